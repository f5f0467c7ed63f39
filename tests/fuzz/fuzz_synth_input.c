/* SPDX-License-Identifier: MIT */
/*
 * The synthetic keyboard and mouse (src/devices/synth_kbd.c, synth_mouse.c) and the
 * keysym layer in front of them (input.c), on open channels as hyperv_keyboard and
 * hid_hyperv have them after vmbus_open. The input sends any packets on them (protocol
 * requests, LED states, acknowledgements, garbage), breaks their rings, reads what the
 * host sent, presses keys and moves the pointer, and closes and reopens the channels;
 * the host must answer what it can and never act on a malformed message.
 */
#include <errno.h>

#include "fuzz.h"
#include "vmbus_guest.h"
#include "input.h"
#include "loop.h"
#include "synth_kbd.h"
#include "synth_mouse.h"
#include "vmbus.h"

#define NCHAN	2

static struct vg g;
static struct vg_chan chans[NCHAN];

/* Offers come in the order the devices were added: keyboard, mouse. */
static void on_msg(struct vg *gu, const union vg_msg *msg, uint32_t len)
{
	const struct vmbus_msg_offer_channel *o = &msg->offer;

	(void)gu;
	if (msg->h.msgtype == CHANNELMSG_OFFERCHANNEL && len >= sizeof(*o)) {
		for (unsigned k = 0; k < NCHAN; k++)
			if (chans[k].relid == o->child_relid)
				return;
		for (unsigned k = 0; k < NCHAN; k++) {
			if (!chans[k].relid) {
				chans[k].relid = o->child_relid;
				chans[k].conn_id = o->connection_id;
				break;
			}
		}
	}
}

static void chan_open(unsigned k)
{
	vg_chan_open(&g, &chans[k], FZ_RING_GPA(k), FZ_SI_RING_PAGES, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct synth_kbd *kbd;
	struct synth_mouse *mouse;
	struct input *input;

	fuzz_quiet_logs();
	memset(chans, 0, sizeof(chans));
	fuzz_guest_init(&g, FZ_SI_RAM, FZ_VS_NVP);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	kbd = synth_kbd_new(g.bus);
	mouse = synth_mouse_new(g.bus);
	input = input_new(kbd, mouse);
	FZ_CHECK(kbd && mouse && input, "synth_*_new");

	fuzz_guest_connect(&g);
	for (unsigned k = 0; k < NCHAN; k++) {
		chan_open(k);
		FZ_CHECK(chans[k].open, "the harness could not open channel %u", k);
	}

	while (in.n) {
		switch (fz_u8(&in) % SI_OP_COUNT) {
		case SI_OP_PACKET: {
			struct vg_chan *c = &chans[fz_u8(&in) % NCHAN];
			struct vmbus_packet_desc d = { .type = fz_u16(&in), .flags = fz_u16(&in), .offset8 = 2 };
			uint16_t len = fz_u16(&in) % (SI_FUZZ_MAX - 16);
			uint8_t pkt[SI_FUZZ_MAX];

			fz_bytes(&in, pkt + sizeof(d), len);
			if (!c->open)
				break;
			d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
			memcpy(pkt, &d, sizeof(d));
			if (vg_chan_put(c, pkt, (uint32_t)sizeof(d) + len) == 0)
				vg_signal_conn(&g, c->conn_id, false);
			break;
		}
		case SI_OP_RING_CTL: fuzz_ring_ctl(&chans[fz_u8(&in) % NCHAN], &in); break;
		case SI_OP_CONSUME: vg_chan_consume(&chans[fz_u8(&in) % NCHAN], 256); break;
		case SI_OP_KEY: {
			uint32_t ks = fz_u32(&in);
			int r = input_keysym(input, ks, fz_u8(&in) & 1);

			FZ_CHECK(r == 0 || r == -ENOENT || r == -ENODEV || r == -ENOBUFS, "input_keysym: %d", r);
			break;
		}
		case SI_OP_POINTER: {
			uint8_t b = fz_u8(&in);
			uint16_t x = fz_u16(&in), y = fz_u16(&in);
			int r = input_pointer(input, x, y, b, (int16_t)fz_u16(&in));

			FZ_CHECK(r == 0 || r == -EINVAL || r == -ENODEV || r == -ENOBUFS, "input_pointer: %d", r);
			break;
		}
		case SI_OP_CLOSE: vg_chan_close(&g, &chans[fz_u8(&in) % NCHAN]); break;
		case SI_OP_OPEN: chan_open(fz_u8(&in) % NCHAN); break;
		}
		vg_settle(&g);
	}
	vg_stop(&g);
	vg_destroy(&g);
	input_free(input);
	synth_kbd_free(kbd);
	synth_mouse_free(mouse);
	return 0;
}
