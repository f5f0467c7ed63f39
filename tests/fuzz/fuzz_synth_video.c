/* SPDX-License-Identifier: MIT */
/*
 * The synthetic video device (src/devices/synth_video.c) on an open channel, as
 * hyperv_drm has it after vmbus_open. The input sends any packets (versions, VRAM
 * locations anywhere, modes, dirty rectangles, pointer shapes in parts, garbage),
 * breaks the ring, reads what the host sent, closes and reopens the channel, and a
 * front end reads the screen: the host must never map VRAM outside the windows or over
 * RAM, never describe a screen that does not fit its VRAM, nor act on a malformed
 * message.
 */
#include <errno.h>

#include "fuzz.h"
#include "vmbus_guest.h"
#include "loop.h"
#include "synth_video.h"
#include "vmbus.h"

static struct vg g;
static struct vg_chan chan;
static uint64_t rects_seen;

static void on_msg(struct vg *gu, const union vg_msg *msg, uint32_t len)
{
	const struct vmbus_msg_offer_channel *o = &msg->offer;

	(void)gu;
	if (msg->h.msgtype == CHANNELMSG_OFFERCHANNEL && len >= sizeof(*o) && !chan.relid) {
		chan.relid = o->child_relid;
		chan.conn_id = o->connection_id;
	}
}

static void on_update(void *opaque, const struct display_rect *r, bool mode_changed)
{
	const struct synth_video *v = opaque;
	struct display_mode m;

	display_get_mode(v, &m);
	if (m.active)
		FZ_CHECK(r->x1 < r->x2 && r->y1 < r->y2 && r->x2 <= m.width && r->y2 <= m.height,
			 "rectangle %u,%u-%u,%u outside %ux%u (mode change %d)", r->x1, r->y1, r->x2, r->y2,
			 m.width, m.height, mode_changed);
	rects_seen++;
}

/* What a front end relies on: the screen inside the VRAM, the VRAM inside a window. */
static void look(struct synth_video *v, struct gmem_devmem *vram)
{
	struct display_mode m;
	struct display_pointer p;
	struct display_rect box;
	struct display_status st;
	struct vmbus_mmio_window w[2];
	const uint8_t *px = display_pixels(v, &m);
	uint32_t sum = 0;

	if (px) {
		uint64_t off = (uint64_t)(px - gmem_devmem_host(vram));
		uint64_t end = off + (uint64_t)m.pitch * (m.height - 1) + (uint64_t)m.width * 4;

		FZ_CHECK(m.active && m.width && m.height && m.depth == 32 && m.pitch >= m.width * 4, "mode");
		FZ_CHECK(end <= gmem_devmem_size(vram), "screen past the VRAM: %llu", (unsigned long long)end);
		/* Every row's first and last pixel, as a copy would. */
		for (uint32_t y = 0; y < m.height; y++)
			sum += px[(size_t)y * m.pitch] + px[(size_t)y * m.pitch + m.width * 4 - 1];
	}
	display_get_pointer(v, &p);
	if (p.argb) {
		FZ_CHECK(p.width && p.height && p.width <= 96 && p.height <= 96, "pointer %ux%u", p.width, p.height);
		sum += p.argb[p.width * p.height * 4 - 1];
	}
	if (display_take_dirty(v, &box) && m.active)
		FZ_CHECK(box.x2 <= m.width && box.y2 <= m.height && box.x1 < box.x2 && box.y1 < box.y2, "dirty box");
	display_get_status(v, &st);
	if (st.vram_mapped) {
		bool inside = false;

		vmbus_mmio_windows(g.bus, &w[0], &w[1]);
		for (unsigned i = 0; i < 2; i++)
			inside |= st.vram_gpa >= w[i].base && st.vram_gpa + st.vram_size <= w[i].base + w[i].size;
		FZ_CHECK(inside, "VRAM at 0x%llx outside the windows", (unsigned long long)st.vram_gpa);
		FZ_CHECK(!gmem_ptr(&g.mem, st.vram_gpa, 1) && st.vram_gpa % 4096 == 0, "VRAM over RAM or misaligned");
	}
	(void)sum;
}

static void chan_open(void)
{
	vg_chan_open(&g, &chan, FZ_RING_GPA(0), FZ_VID_RING_PAGES, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[VID_FUZZ_MAX];
	struct fz in = { data, size };
	struct gmem_devmem *vram;
	struct synth_video *v;

	fuzz_quiet_logs();
	memset(&chan, 0, sizeof(chan));
	fuzz_guest_init(&g, FZ_VID_RAM, 1);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	FZ_CHECK(gmem_devmem_new(&g.mem, SYNTH_VIDEO_VRAM_SIZE, &vram) == 0, "gmem_devmem_new");
	v = synth_video_new(g.bus, vram);
	FZ_CHECK(v, "synth_video_new");

	fuzz_guest_connect(&g);
	chan_open();
	FZ_CHECK(chan.open, "the harness could not open the channel");

	while (in.n) {
		switch (fz_u8(&in) % VID_OP_COUNT) {
		case VID_OP_PACKET: {
			struct vmbus_packet_desc d = { .type = fz_u16(&in), .flags = fz_u16(&in), .offset8 = 2 };
			uint16_t len = fz_u16(&in) % (VID_FUZZ_MAX - 16);

			fz_bytes(&in, pkt + sizeof(d), len);
			if (!chan.open)
				break;
			d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
			memcpy(pkt, &d, sizeof(d));
			if (vg_chan_put(&chan, pkt, (uint32_t)sizeof(d) + len) == 0)
				vg_signal_conn(&g, chan.conn_id, false);
			break;
		}
		case VID_OP_RING_CTL: fuzz_ring_ctl(&chan, &in); break;
		case VID_OP_CONSUME: vg_chan_consume(&chan, 256); break;
		case VID_OP_LOOK: look(v, vram); break;
		case VID_OP_LISTEN:
			if (fz_u8(&in) & 1)
				display_set_listener(v, on_update, v);
			else
				display_set_listener(v, NULL, NULL);
			break;
		case VID_OP_CLOSE: vg_chan_close(&g, &chan); break;
		case VID_OP_OPEN: chan_open(); break;
		}
		vg_settle(&g);
		look(v, vram);
	}
	vg_stop(&g);
	synth_video_free(v);	/* its timer before the loop */
	vg_destroy(&g);
	gmem_devmem_free(vram);
	return 0;
}
