/* SPDX-License-Identifier: MIT */
/*
 * Hyper-V's synthetic keyboard, the VMBus device Linux's hyperv_keyboard and
 * Windows' hyperkbd bind to. The guest asks for protocol 1.0; the host then sends
 * key events as scan code set 1 make codes with a release flag and the E0/E1
 * prefixes, which Linux feeds to atkbd as a translated AT keyboard. The guest tells
 * the lock keys' lights. Everything here is on the loop thread.
 *
 * Front ends (the management socket, a remote display) go through input.h, which
 * turns key names and keysyms into the scan codes this device sends.
 */
#ifndef HVKVM_SYNTH_KBD_H
#define HVKVM_SYNTH_KBD_H

#include <stdbool.h>
#include <stdint.h>

struct vmbus;
struct synth_kbd;

/* Events that can wait for room in the guest's ring. */
#define SYNTH_KBD_QUEUE	8192

struct synth_kbd *synth_kbd_new(struct vmbus *bus);
void synth_kbd_free(struct synth_kbd *k);

/*
 * One key pressed (down) or released: code is a set 1 make code (0x01..0x7f) with
 * its prefix in the high byte, 0xE0 or 0xE1 (0xE048: Up). Queued and sent in order.
 * 0, -EINVAL (not such a code), -ENODEV (no guest driver has connected: the event
 * would be lost), -ENOBUFS (SYNTH_KBD_QUEUE events wait already).
 */
int synth_kbd_key(struct synth_kbd *k, uint16_t code, bool down);
/* Room for n more events now. */
bool synth_kbd_room(const struct synth_kbd *k, unsigned n);

struct synth_kbd_status {
	bool open;		/* the guest opened the channel */
	bool connected;		/* and its driver agreed on the protocol */
	uint16_t leds;		/* SYNTH_KBD_LED_* the guest set last */
	unsigned queued;	/* events waiting for room in the ring */
	uint64_t events;	/* events sent */
	uint64_t bad;		/* malformed messages from the guest */
};
void synth_kbd_get_status(const struct synth_kbd *k, struct synth_kbd_status *st);

/* The message handler on its own, for tests and the fuzz target: one packet as the
 * ring gave it (descriptor included). */
void synth_kbd_handle_packet(struct synth_kbd *k, const uint8_t *pkt, uint32_t len);

#endif
