/* SPDX-License-Identifier: MIT */
/*
 * Hyper-V's synthetic mouse: the VMBus HID device Linux's hid_hyperv and Windows'
 * VMBusHID bind to. The guest asks for protocol 2.0, the host describes the device
 * (Microsoft's vendor and product ids and a HID report descriptor: five buttons,
 * absolute X and Y from 0 to 32767, a wheel), the guest acknowledges, and from then
 * on the host sends input reports. Everything here is on the loop thread.
 */
#ifndef HVKVM_SYNTH_MOUSE_H
#define HVKVM_SYNTH_MOUSE_H

#include <stdbool.h>
#include <stdint.h>

struct vmbus;
struct synth_mouse;

#define SYNTH_MOUSE_MAX_COORD	32767
#define SYNTH_MOUSE_QUEUE	256	/* reports that can wait for room in the ring */

/* The buttons of a report. */
#define SYNTH_MOUSE_BTN_LEFT	0x01
#define SYNTH_MOUSE_BTN_RIGHT	0x02
#define SYNTH_MOUSE_BTN_MIDDLE	0x04
#define SYNTH_MOUSE_BTN_SIDE	0x08	/* button 4 */
#define SYNTH_MOUSE_BTN_EXTRA	0x10	/* button 5 */
#define SYNTH_MOUSE_BTN_ALL	0x1f

struct synth_mouse *synth_mouse_new(struct vmbus *bus);
void synth_mouse_free(struct synth_mouse *m);

/*
 * One report: the buttons held (SYNTH_MOUSE_BTN_*), the position (0..32767 on each
 * axis, the whole screen), wheel clicks since the last report (positive: away from the
 * user). 0, -EINVAL (out of range), -ENODEV (the guest's driver has not acknowledged
 * the device), -ENOBUFS (the queue is full).
 */
int synth_mouse_report(struct synth_mouse *m, uint8_t buttons, uint16_t x, uint16_t y, int16_t wheel);

struct synth_mouse_status {
	bool open;		/* the guest opened the channel */
	bool connected;		/* and acknowledged the device description */
	unsigned queued;
	uint64_t reports;	/* sent */
	uint64_t bad;		/* malformed messages from the guest */
};
void synth_mouse_get_status(const struct synth_mouse *m, struct synth_mouse_status *st);

/* The message handler on its own, for tests and the fuzz target. */
void synth_mouse_handle_packet(struct synth_mouse *m, const uint8_t *pkt, uint32_t len);

#endif
