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
static struct fz_chans fc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct synth_kbd *kbd;
	struct synth_mouse *mouse;
	struct input *input;

	fuzz_quiet_logs();
	/* Offers come in the order the devices are added: keyboard, mouse. */
	fz_chans_init(&fc, &g, chans, NCHAN, FZ_SI_RAM, FZ_SI_RING_PAGES);
	kbd = synth_kbd_new(g.bus);
	mouse = synth_mouse_new(g.bus);
	input = input_new(kbd, mouse);
	FZ_CHECK(kbd && mouse && input, "synth_*_new");
	fz_chans_connect(&fc);

	while (in.n) {
		switch (fz_u8(&in) % SI_OP_COUNT) {
		case SI_OP_PACKET: fz_chan_packet(&fc, fz_chan(&fc, &in), &in, false, SI_FUZZ_MAX - 16); break;
		case SI_OP_RING_CTL: fuzz_ring_ctl(fz_chan(&fc, &in), &in); break;
		case SI_OP_CONSUME: vg_chan_consume(fz_chan(&fc, &in), 256); break;
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
		case SI_OP_CLOSE: vg_chan_close(&g, fz_chan(&fc, &in)); break;
		case SI_OP_OPEN: fz_chan_open(&fc, fz_chan(&fc, &in)); break;
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
