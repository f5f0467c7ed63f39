/* SPDX-License-Identifier: MIT */
/*
 * The VSS integration component (src/devices/ic_vss.c): what a guest sends it. Parser
 * mode: a FREEZE or THAW answer's body, checked alone. Channel mode: the VSS channel
 * opened by the simulated guest, the host freezing, thawing, resetting, pausing and
 * timing out (a freeze held 1 ns thaws at once), the guest answering each message in
 * place with any edits, trans_id and status, sending any packets, breaking its ring,
 * closing and reopening. Every request ends exactly once and only with what it may end
 * with, each state change is a change, and the state is always one of the five.
 */
#include "fuzz.h"
#include "ic.h"
#include "vmbus_guest.h"

#include <errno.h>

#define HOUR_NS		3600000000000ull

static struct vg g;
static struct vg_chan ch;
static struct ic *vss;
static unsigned submitted, ended;
static bool paused;

static void on_msg(struct vg *gu, const union vg_msg *m, uint32_t len)
{
	(void)gu;
	vg_chan_offered(&ch, 1, m, len);
}

static void on_result(void *opaque, int err, uint32_t status)
{
	(void)opaque;
	ended++;
	FZ_CHECK(ended <= submitted, "a request ended twice");
	FZ_CHECK(err == 0 || err == -EPROTO || err == -EPIPE || err == -ECANCELED || err == -ETIMEDOUT,
		 "request ended with %d", err);
	FZ_CHECK(!err || !status, "a failed request carries a status");
}

static void on_state(void *opaque, enum ic_vss_state st, enum ic_vss_state prev, const char *reason)
{
	(void)opaque;
	FZ_CHECK(st != prev, "a state change to the same state");
	FZ_CHECK(st <= IC_VSS_UNKNOWN && prev <= IC_VSS_UNKNOWN, "state %d from %d", st, prev);
	FZ_CHECK(reason && *reason, "a change without a reason");
}

static void host_op(struct fz *in)
{
	uint8_t what = fz_u8(in), hold = fz_u8(in);
	enum ic_vss_state before = ic_vss_get_state(vss, NULL);
	int r;

	switch (what % 5) {
	case 0:
		r = ic_vss_freeze(vss, hold & 1 ? 1 : HOUR_NS, on_result, NULL);
		FZ_CHECK(r == 0 || r == -ENODEV || r == -EBUSY || r == -EALREADY, "freeze: %d", r);
		FZ_CHECK(r != -EALREADY || before == IC_VSS_FROZEN, "freeze refused in state %d", before);
		if (r == 0)
			submitted++;
		break;
	case 1:
		r = ic_vss_thaw(vss, on_result, NULL);
		FZ_CHECK(r == 0 || r == -ENODEV || r == -EBUSY, "thaw: %d", r);
		if (r == 0)
			submitted++;
		break;
	case 2:
		ic_vss_reset(vss);
		FZ_CHECK(ic_vss_get_state(vss, NULL) == IC_VSS_THAWED, "reset");
		break;
	case 3:
		if (paused)
			ic_resume(vss);
		else
			ic_pause(vss);
		paused = !paused;
		break;
	default:
		ic_set_request_timeout(vss, hold & 1 ? 1 : 0);
		break;
	}
}

/* The guest takes the host's next message and answers it in place. */
static void guest_answer(struct fz *in)
{
	static uint8_t pkt[8192];
	uint8_t how = fz_u8(in), edits = fz_u8(in) % 16;
	uint32_t status;
	uint64_t trans;
	int len;

	if (!ch.open || (len = vg_chan_get(&ch, pkt, sizeof(pkt))) < 16 + 28)
		return;
	if (pkt[16 + 12] == 0 && len >= 16 + 28 + 8) {
		/* Linux's negotiation answer: framework 3.0, message 5.0 (or one not offered) */
		static const uint16_t msg[4][2] = { { 5, 0 }, { 5, 0 }, { 4, 0 }, { 9, 9 } };
		uint16_t v[4] = { 3, 0, msg[how & 3][0], msg[how & 3][1] }, one = 1;

		memcpy(pkt + 16 + 28, &one, 2);
		memcpy(pkt + 16 + 30, &one, 2);
		if ((size_t)len >= 16 + 28 + 8 + sizeof(v))
			memcpy(pkt + 16 + 36, v, sizeof(v));
	}
	pkt[16 + 25] = 1 | 4;
	status = how & 0x10 ? fz_u32(in) : how & 0x20 ? 0x80004005u : 0;
	memcpy(pkt + 16 + 20, &status, 4);
	for (unsigned i = 0; i < edits; i++) {
		uint16_t off = fz_u16(in);
		uint8_t val = fz_u8(in);

		pkt[16 + off % (uint32_t)(len - 16)] = val;
	}
	if (how & 0x40) {
		trans = fz_u64(in);
		memcpy(pkt + 8, &trans, 8);
	}
	if (how & 0x80)
		len = 16 + (int)(fz_u16(in) % (uint32_t)(len - 16));
	len = (len + 7) & ~7;
	((struct vmbus_packet_desc *)pkt)->len8 = (uint16_t)(len / 8);
	if (vg_chan_put(&ch, pkt, (uint32_t)len) == 0)
		vg_signal_conn(&g, ch.conn_id, false);
}

static void channel_mode(struct fz *in)
{
	memset(&ch, 0, sizeof(ch));
	submitted = ended = 0;
	paused = false;
	fuzz_guest_init(&g, FZ_IC_RAM, FZ_VS_NVP);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	vss = ic_vss_new(g.bus, g.loop);
	FZ_CHECK(vss, "ic_vss_new");
	ic_vss_set_notify(vss, on_state, NULL);
	fuzz_guest_connect(&g);
	vg_chan_open(&g, &ch, FZ_RING_GPA(0), 4, 0);
	FZ_CHECK(ch.open, "the harness could not open the VSS channel");
	while (in->n) {
		switch (fz_u8(in) % FV_OP_COUNT) {
		case FV_OP_HOST: host_op(in); break;
		case FV_OP_ANSWER: guest_answer(in); break;
		case FV_OP_PACKET: {
			struct vmbus_packet_desc d = { .type = fz_u16(in), .flags = fz_u16(in), .offset8 = 2,
						       .trans_id = fz_u8(in) };
			uint16_t len = fz_u16(in) % 8192;
			static uint8_t pkt[8192 + 16];

			fz_bytes(in, pkt + sizeof(d), len);
			if (!ch.open)
				break;
			d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
			memcpy(pkt, &d, sizeof(d));
			if (vg_chan_put(&ch, pkt, (uint32_t)sizeof(d) + len) == 0)
				vg_signal_conn(&g, ch.conn_id, false);
			break;
		}
		case FV_OP_RING_CTL: fuzz_ring_ctl(&ch, in); break;
		case FV_OP_CLOSE: vg_chan_close(&g, &ch); break;
		case FV_OP_OPEN: vg_chan_open(&g, &ch, FZ_RING_GPA(0), 4, 0); break;
		}
		vg_settle(&g);
		FZ_CHECK(ic_vss_get_state(vss, NULL) <= IC_VSS_UNKNOWN, "state out of range");
	}
	vg_stop(&g);
	ic_free(vss);
	FZ_CHECK(ended == submitted, "%u requests ended of %u once the IC went", ended, submitted);
	vg_destroy(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data + 1, size ? size - 1 : 0 };
	int e;

	fuzz_quiet_logs();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		channel_mode(&in);
		return 0;
	}
	e = ic_vss_check_answer(data + 1, (uint32_t)(size - 1), data[0] & 2 ? 6 : 5);
	FZ_CHECK(e == 0 || e == -EPROTO, "answer check: %d", e);
	FZ_CHECK(e == -EPROTO || (size - 1 >= 12 && data[1] == (data[0] & 2 ? 6 : 5)), "a wrong answer passed");
	return 0;
}
