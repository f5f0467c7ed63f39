/* SPDX-License-Identifier: MIT */
/*
 * The KVP integration component (src/devices/ic_kvp.c) and the IC request queue.
 * Parser modes: an ENUMERATE record (sizes, UTF-16 text, value types) or the string
 * form of GET_IP_INFO (UTF-16 lists of addresses); whatever the guest wrote, a parse
 * either fails or yields NUL-terminated, valid UTF-8 that fits its field. Channel
 * mode: the KVP channel opened by the simulated guest, the host asking, the guest
 * answering each message in place with any edits, trans_id and status, sending any
 * packets, breaking its ring, closing and reopening; every request must end exactly
 * once, and only with what it may end with.
 */
#include "fuzz.h"
#include "ic.h"
#include "vmbus_guest.h"

#include <errno.h>

static struct ic_kvp_result r;

/* Valid UTF-8, as the management socket's JSON needs it. */
static bool utf8_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	if (n == max)
		return false;
	while (*p) {
		unsigned len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
			       (p[0] & 0xf8) == 0xf0 ? 4 : 0;
		uint32_t c = len == 1 ? p[0] : len == 2 ? p[0] & 0x1fu : len == 3 ? p[0] & 0x0fu : p[0] & 0x07u;

		if (!len)
			return false;
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += len;
	}
	return true;
}

static struct vg g;
static struct vg_chan ch;
static struct fz_chans fc;
static unsigned submitted, ended;

static void on_result(void *opaque, const struct ic_kvp_result *res)
{
	(void)opaque;
	ended++;
	FZ_CHECK(ended <= submitted, "a request ended twice");
	FZ_CHECK(res->err == 0 || res->err == -EPROTO || res->err == -EPIPE || res->err == -ECANCELED ||
			 res->err == -ETIMEDOUT,
		 "request ended with %d", res->err);
	if (!res->err && !res->status)
		FZ_CHECK(utf8_ok(res->key, sizeof(res->key)) && utf8_ok(res->value, sizeof(res->value)) &&
				 utf8_ok(res->ip, sizeof(res->ip)) && utf8_ok(res->dns, sizeof(res->dns)),
			 "answer text");
}

static const char *const texts[] = { "Role", "", "Cl\xc3\xa9-\xf0\x9f\x98\x80", "NetworkAddressIPv4" };

static void host_op(struct ic *kvp, struct fz *in)
{
	uint8_t what = fz_u8(in), pool = fz_u8(in) % 6;
	uint32_t index = fz_u32(in) % 16;
	const char *key = texts[fz_u8(in) % 4], *value = texts[fz_u8(in) % 4];
	int r;

	switch (what % 4) {
	case 0: r = ic_kvp_enumerate(kvp, pool, index, on_result, NULL); break;
	case 1: r = ic_kvp_set(kvp, pool, key, value, on_result, NULL); break;
	case 2: r = ic_kvp_delete(kvp, pool, key, on_result, NULL); break;
	default: r = ic_kvp_get_ip_info(kvp, what & 4 ? "00:15:5d:00:00:01" : "00:15:5D:0", on_result, NULL); break;
	}
	FZ_CHECK(r == 0 || r == -EINVAL || r == -ENODEV || r == -EBUSY || r == -EOPNOTSUPP, "submit: %d", r);
	if (r == 0)
		submitted++;
}

/* Linux's negotiation answers: message 3.0, 4.0, 5.0, or one not offered. */
static const uint16_t versions[4][2] = { { 3, 0 }, { 4, 0 }, { 5, 0 }, { 9, 9 } };

static void channel_mode(struct fz *in)
{
	struct ic *kvp;

	submitted = ended = 0;
	fz_chans_init(&fc, &g, &ch, 1, FZ_IC_RAM, 4);
	kvp = ic_kvp_new(g.bus, g.loop);
	FZ_CHECK(kvp, "ic_kvp_new");
	fz_chans_connect(&fc);
	while (in->n) {
		switch (fz_u8(in) % KV_OP_COUNT) {
		case KV_OP_HOST: host_op(kvp, in); break;
		case KV_OP_ANSWER: fz_ic_answer(&fc, &ch, in, versions, 0x80070103u); break;
		case KV_OP_PACKET: fz_chan_packet(&fc, &ch, in, true, 8192); break;
		case KV_OP_RING_CTL: fuzz_ring_ctl(&ch, in); break;
		case KV_OP_CLOSE: vg_chan_close(&g, &ch); break;
		case KV_OP_OPEN: fz_chan_open(&fc, &ch); break;
		}
		vg_settle(&g);
	}
	vg_stop(&g);
	FZ_CHECK(ended == submitted, "%u requests ended of %u once the channel closed", ended, submitted);
	ic_free(kvp);
	vg_destroy(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data + 1, size ? size - 1 : 0 };
	uint8_t sel;
	int e;

	fuzz_quiet_logs();
	if (size < 1)
		return 0;
	sel = data[0];
	memset(&r, 0x5a, sizeof(r));
	if ((sel & 3) == 2) {
		channel_mode(&in);
		return 0;
	}
	if (sel & 1) {
		e = ic_kvp_parse_ip_info(data + 1, (uint32_t)(size - 1), &r);
		FZ_CHECK(e == 0 || e == -EPROTO, "ip info: %d", e);
		if (e == 0) {
			FZ_CHECK(r.addr_family <= 3 && r.dhcp <= 1, "ip info flags");
			FZ_CHECK(utf8_ok(r.ip, sizeof(r.ip)) && utf8_ok(r.subnet, sizeof(r.subnet)) &&
					 utf8_ok(r.gateway, sizeof(r.gateway)) && utf8_ok(r.dns, sizeof(r.dns)),
				 "ip info text");
		}
	} else {
		e = ic_kvp_parse_enumerate(data + 1, (uint32_t)(size - 1), (uint8_t)((sel >> 2) % 5), &r);
		FZ_CHECK(e == 0 || e == -EPROTO, "enumerate: %d", e);
		if (e == 0)
			FZ_CHECK(utf8_ok(r.key, sizeof(r.key)) && utf8_ok(r.value, sizeof(r.value)), "record text");
	}
	return 0;
}
