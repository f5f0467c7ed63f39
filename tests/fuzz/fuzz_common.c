/* SPDX-License-Identifier: MIT */
#include "fuzz.h"
#include "config.h"
#include "vmbus_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

/* The shared guest's checks fail as FZ_CHECK does: the input is recorded as a crash. */
void vg_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	dprintf(2, "fuzz check failed at %s:%d: %s: ", file, line, cond);
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	abort();
}

void fuzz_guest_init(struct vg *g, uint64_t ram, unsigned nvp)
{
	struct vg_config cfg = { .ram = ram, .nvp = nvp, .mode = VG_PUMPED };

	memset(cfg.sint_vector, VG_SINT_VECTOR, sizeof(cfg.sint_vector));
	vg_init_with(g, &cfg);
}

void fuzz_guest_connect(struct vg *g)
{
	struct vmbus_msg_header m = { .msgtype = CHANNELMSG_REQUESTOFFERS };

	vg_contact(g, VMBUS_VERSION_WIN10_V5_3, 0, VMBUS_MESSAGE_SINT);
	vg_settle(g);
	vg_post_raw(g, 0, g->msg_conn, &m, sizeof(m));
	vg_settle(g);
}

void fuzz_ring_ctl(struct vg_chan *c, struct fz *in)
{
	uint8_t field = fz_u8(in);
	uint32_t val = fz_u32(in);
	struct vmbus_ring_control *ctl;

	if (!c->open)
		return;
	ctl = field & 4 ? c->dn_ctl : c->up_ctl;
	switch (field & 3) {
	case 0: __atomic_store_n(&ctl->write_index, val, __ATOMIC_RELEASE); break;
	case 1: __atomic_store_n(&ctl->read_index, val, __ATOMIC_RELEASE); break;
	case 2: __atomic_store_n(&ctl->interrupt_mask, val, __ATOMIC_RELEASE); break;
	case 3: __atomic_store_n(&ctl->pending_send_sz, val, __ATOMIC_RELEASE); break;
	}
	vg_signal_conn(c->g, c->conn_id, false);
}

static void chans_offered(struct vg *g, const union vg_msg *msg, uint32_t len)
{
	const struct vmbus_msg_offer_channel *o = &msg->offer;
	struct fz_chans *fc = g->opaque;

	if (msg->h.msgtype != CHANNELMSG_OFFERCHANNEL || len < sizeof(*o))
		return;
	for (unsigned k = 0; k < fc->n; k++)
		if (fc->c[k].relid == o->child_relid)
			return;
	for (unsigned k = 0; k < fc->n; k++) {
		if (!fc->c[k].relid) {
			fc->c[k].relid = o->child_relid;
			fc->c[k].conn_id = o->connection_id;
			return;
		}
	}
}

void fz_chans_init(struct fz_chans *fc, struct vg *g, struct vg_chan *chans, unsigned n, uint64_t ram,
		   unsigned ring_pages)
{
	*fc = (struct fz_chans){ .g = g, .c = chans, .n = n, .ring_pages = ring_pages };
	memset(chans, 0, n * sizeof(*chans));
	fuzz_guest_init(g, ram, FZ_VS_NVP);
	g->next_gpadl = 0xe1e10;
	g->on_msg = chans_offered;
	g->opaque = fc;
}

void fz_chan_open(struct fz_chans *fc, struct vg_chan *c)
{
	vg_chan_open(fc->g, c, FZ_RING_GPA(c - fc->c), fc->ring_pages, 0);
}

void fz_chans_connect(struct fz_chans *fc)
{
	fuzz_guest_connect(fc->g);
	for (unsigned k = 0; k < fc->n; k++) {
		fz_chan_open(fc, &fc->c[k]);
		FZ_CHECK(fc->c[k].open, "the harness could not open channel %u", k);
	}
}

struct vg_chan *fz_chan(struct fz_chans *fc, struct fz *in)
{
	return &fc->c[fz_u8(in) % fc->n];
}

void fz_chan_packet(struct fz_chans *fc, struct vg_chan *c, struct fz *in, bool trans, uint16_t max)
{
	static uint8_t pkt[sizeof(struct vmbus_packet_desc) + UINT16_MAX];
	struct vmbus_packet_desc d = { .type = fz_u16(in), .flags = fz_u16(in), .offset8 = 2 };
	uint16_t len;

	if (trans)
		d.trans_id = fz_u8(in);
	len = fz_u16(in) % max;
	fz_bytes(in, pkt + sizeof(d), len);
	if (!c->open)
		return;
	d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
	memcpy(pkt, &d, sizeof(d));
	if (vg_chan_put(c, pkt, (uint32_t)sizeof(d) + len) == 0)
		vg_signal_conn(fc->g, c->conn_id, false);
}

/* Offsets in a message from the host: the descriptor, then the IC header. */
#define ICH		16		/* the IC header after the descriptor */
#define ICH_MSGTYPE	(ICH + 12)	/* u16; 0: negotiation */
#define ICH_STATUS	(ICH + 20)
#define ICH_FLAGS	(ICH + 25)
#define ICH_NEG		(ICH + 28)	/* icframe_vercnt, icmsg_vercnt, reserved, versions */

void fz_ic_answer(struct fz_chans *fc, struct vg_chan *c, struct fz *in, const uint16_t versions[4][2],
		  uint32_t fail_status)
{
	static uint8_t pkt[16384];
	uint8_t how = fz_u8(in), edits = fz_u8(in) % 16;
	uint32_t status;
	uint64_t trans;
	int len;

	if (!c->open || (len = vg_chan_get(c, pkt, sizeof(pkt))) < ICH + 28)
		return;
	if (pkt[ICH_MSGTYPE] == 0 && len >= ICH_NEG + 8) {
		/* Linux's negotiation answer: one framework and one message version. */
		uint16_t v[4] = { 3, 0, versions[how & 3][0], versions[how & 3][1] }, one = 1;

		memcpy(pkt + ICH_NEG, &one, 2);
		memcpy(pkt + ICH_NEG + 2, &one, 2);
		if ((size_t)len >= ICH_NEG + 8 + sizeof(v))
			memcpy(pkt + ICH_NEG + 8, v, sizeof(v));
	}
	pkt[ICH_FLAGS] = 1 | 4;	/* transaction, response */
	status = how & 0x10 ? fz_u32(in) : how & 0x20 ? fail_status : 0;
	memcpy(pkt + ICH_STATUS, &status, 4);
	for (unsigned i = 0; i < edits; i++) {
		uint16_t off = fz_u16(in);
		uint8_t val = fz_u8(in);

		pkt[ICH + off % (uint32_t)(len - ICH)] = val;
	}
	if (how & 0x40) {
		trans = fz_u64(in);
		memcpy(pkt + 8, &trans, 8);
	}
	if (how & 0x80)
		len = ICH + (int)(fz_u16(in) % (uint32_t)(len - ICH));
	len = (len + 7) & ~7;
	((struct vmbus_packet_desc *)pkt)->len8 = (uint16_t)(len / 8);
	if (vg_chan_put(c, pkt, (uint32_t)len) == 0)
		vg_signal_conn(fc->g, c->conn_id, false);
}

void fuzz_quiet_logs(void)
{
	static bool done;
	FILE *null;

	if (done || getenv("HVKVM_FUZZ_LOG"))
		return;
	done = true;
	/* log.c writes to the stdio stream stderr; libFuzzer and the sanitizers write to
	 * file descriptor 2, which stays. */
	null = fopen("/dev/null", "we");
	if (null)
		stderr = null;
}

int fuzz_temp_file(uint64_t bytes, char *path, size_t pathlen)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, pathlen, "%s/hvkvm-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, (off_t)bytes) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

static char *print(const struct vm_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FZ_CHECK(f, "open_memstream");
	FZ_CHECK(config_print_json(cfg, f) == 0, "config_print_json");
	fclose(f);
	return buf;
}

void fuzz_config_roundtrip(const struct vm_config *cfg)
{
	struct vm_config again;
	char err[512];
	size_t len, len2;
	char *text = print(cfg, &len), *text2;

	config_init(&again);
	FZ_CHECK(config_load_json(&again, "printed.json", text, len, err, sizeof(err)) == 0,
		 "--print-config wrote a file --config refuses: %s\n%s", err, text);
	FZ_CHECK(config_finish(&again, err, sizeof(err)) == 0, "config_finish: %s", err);
	text2 = print(&again, &len2);
	FZ_CHECK(len == len2 && !memcmp(text, text2, len), "the printed file loads differently:\n%s\n%s", text, text2);
	free(text);
	free(text2);
	config_free(&again);
}
