/* SPDX-License-Identifier: MIT */
/*
 * The file copy integration component (src/devices/ic_fcopy.c). Parser mode: an answer
 * to an operation, which ic_fcopy_check_answer() takes or refuses. Channel mode: the
 * channel opened by the simulated guest, the host starting and abandoning copies of a
 * file that shrinks and grows meanwhile, the guest answering each message in place
 * with any edits, trans_id, status and length, sending any packets, breaking its ring,
 * closing and reopening; every copy must end exactly once (or, abandoned, never), with
 * what it may end with, and never claim more bytes than the file had.
 */
#include "fuzz.h"
#include "ic.h"
#include "ic_fcopy.h"
#include "vmbus_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static struct vg g;
static struct vg_chan ch;
static unsigned submitted, ended, aborted;
static unsigned tags[64];	/* per copy: 0 waiting, 1 ended, 2 abandoned */
static uint64_t sizes[64];

static void on_msg(struct vg *gu, const union vg_msg *m, uint32_t len)
{
	(void)gu;
	vg_chan_offered(&ch, 1, m, len);
}

static void on_result(void *opaque, const struct ic_fcopy_result *r)
{
	unsigned i = (unsigned)(uintptr_t)opaque;

	FZ_CHECK(i < submitted && tags[i] == 0, "copy %u ended twice or after being abandoned", i);
	tags[i] = 1;
	ended++;
	FZ_CHECK(r->err == 0 || r->err == -EPROTO || r->err == -EPIPE || r->err == -ECANCELED ||
			 r->err == -ETIMEDOUT || r->err == -ESTALE || r->err == -ENOMEM,
		 "copy ended with %d", r->err);
	FZ_CHECK(r->bytes <= sizes[i], "%llu bytes of a file of %llu", (unsigned long long)r->bytes,
		 (unsigned long long)sizes[i]);
	FZ_CHECK(r->stage <= IC_FCOPY_STAGE_COMPLETE, "stage %d", r->stage);
	FZ_CHECK(r->tries >= 1 && r->tries <= 3, "the last transaction sent %u times", r->tries);
	if (!r->err && !r->status)
		FZ_CHECK(r->bytes == sizes[i] && r->stage == IC_FCOPY_STAGE_COMPLETE, "a copy done short");
}

static const char *const dirs[FZ_FC_NAMES] = { "/", "/tmp", "/var/lib/x/", "/\xc3\xa9" };
static const char *const names[FZ_FC_NAMES] = { "a", "file.bin", "\xf0\x9f\x98\x80", "a/b" };

static void host_op(struct ic *fc, struct fz *in, const char *path)
{
	uint8_t what = fz_u8(in) % 3;
	uint16_t size = fz_u16(in);
	uint8_t flags = fz_u8(in) % 4, nm = fz_u8(in);
	int fd, r;

	if (what == 2) {
		if (submitted && tags[submitted - 1] == 0) {
			ic_fcopy_abort(fc, (void *)(uintptr_t)(submitted - 1));
			if (!ic_fcopy_busy(fc)) {
				tags[submitted - 1] = 2;
				aborted++;
			}
		}
		return;
	}
	if (submitted >= sizeof(tags) / sizeof(tags[0]))
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	FZ_CHECK(fd >= 0, "open %s", path);
	FZ_CHECK(ftruncate(fd, size) == 0, "ftruncate");
	sizes[submitted] = size;
	r = ic_fcopy_copy(fc, fd, size, dirs[nm % FZ_FC_NAMES], names[(nm >> 2) % FZ_FC_NAMES], flags, on_result,
			  (void *)(uintptr_t)submitted);
	FZ_CHECK(r == 0 || r == -EINVAL || r == -ENODEV || r == -EBUSY, "copy: %d", r);
	if (r == 0) {
		tags[submitted] = 0;
		submitted++;
	} else {
		close(fd);
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
		/* Linux's negotiation answer: one framework and one message version */
		static const uint16_t msg[4][2] = { { 1, 1 }, { 1, 0 }, { 3, 0 }, { 1, 1 } };
		uint16_t v[4] = { 3, 0, msg[how & 3][0], msg[how & 3][1] }, one = 1;

		memcpy(pkt + 16 + 28, &one, 2);
		memcpy(pkt + 16 + 30, &one, 2);
		if ((size_t)len >= 16 + 28 + 8 + sizeof(v))
			memcpy(pkt + 16 + 36, v, sizeof(v));
	}
	pkt[16 + 25] = 1 | 4;
	status = how & 0x10 ? fz_u32(in) : how & 0x20 ? IC_HV_ERROR_ALREADY_EXISTS : 0;
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
	char path[64];
	struct ic *fc;
	int base = fuzz_temp_file(0, path, sizeof(path));

	FZ_CHECK(base >= 0, "temp file");
	memset(&ch, 0, sizeof(ch));
	submitted = ended = aborted = 0;
	fuzz_guest_init(&g, FZ_IC_RAM, FZ_VS_NVP);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	fc = ic_fcopy_new(g.bus, g.loop);
	FZ_CHECK(fc, "ic_fcopy_new");
	fuzz_guest_connect(&g);
	vg_chan_open(&g, &ch, FZ_RING_GPA(0), 4, 0);
	FZ_CHECK(ch.open, "the harness could not open the file copy channel");
	while (in->n) {
		switch (fz_u8(in) % FC_OP_COUNT) {
		case FC_OP_HOST: host_op(fc, in, path); break;
		case FC_OP_ANSWER: guest_answer(in); break;
		case FC_OP_PACKET: {
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
		case FC_OP_RING_CTL: fuzz_ring_ctl(&ch, in); break;
		case FC_OP_FILE: FZ_CHECK(ftruncate(base, fz_u16(in)) == 0, "ftruncate"); break;
		case FC_OP_CLOSE: vg_chan_close(&g, &ch); break;
		case FC_OP_OPEN: vg_chan_open(&g, &ch, FZ_RING_GPA(0), 4, 0); break;
		}
		vg_settle(&g);
	}
	vg_stop(&g);
	/* what the guest left unanswered ends now */
	ic_free(fc);
	FZ_CHECK(ended + aborted == submitted, "%u copies ended and %u abandoned of %u", ended, aborted, submitted);
	vg_destroy(&g);
	close(base);
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
	if (size < 2)
		return 0;
	e = ic_fcopy_check_answer(data[1] % 5, data + 2, (uint32_t)(size - 2));
	FZ_CHECK(e == 0 || e == -EPROTO, "check_answer: %d", e);
	if (e == 0)
		FZ_CHECK(size - 2 >= 36 && data[2] == data[1] % 5, "an answer taken that is none");
	return 0;
}
