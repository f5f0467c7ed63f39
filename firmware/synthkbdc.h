/* SPDX-License-Identifier: MIT */
/*
 * A synthetic keyboard client in portable C over vmbusc: the protocol request of
 * Linux's hyperv_keyboard (version 1.0), then the host's key events taken from the
 * channel into a small queue, and the lock keys' lights. No firmware or OS header:
 * hvkvm's UEFI driver runs it over its VMBus client, the unit tests against hvkvm's
 * own device in process.
 *
 * Each event is a scan code set 1 make code (the release bit apart), with the E0 or
 * E1 prefix it had, or a UTF-16 unit when the host flags it as one. Everything the
 * host sends is checked; a malformed keystroke is dropped and counted.
 */
#ifndef HVKVM_FW_SYNTHKBDC_H
#define HVKVM_FW_SYNTHKBDC_H

#include <stdbool.h>
#include <stdint.h>

#include "synthkbd_proto.h"
#include "vmbusc.h"

#define SYNTHKBDC_RING_PAGES	4	/* data pages of each ring */
#define SYNTHKBDC_QUEUE		64	/* events kept; older ones stay, newer are dropped */

struct synthkbdc_key {
	uint16_t code;		/* make code (< 0x80) or, with unicode, a UTF-16 unit */
	uint8_t prefix;		/* 0, 0xE0 or 0xE1 */
	bool down;		/* false: a release */
	bool unicode;
};

struct synthkbdc {
	struct vmbusc *bus;
	struct vmbusc_chan *chan;
	bool own_chan;
	bool broken;
	unsigned head, count;
	struct synthkbdc_key q[SYNTHKBDC_QUEUE];
	uint64_t events;	/* keystrokes taken into the queue */
	uint64_t dropped;	/* keystrokes lost to a full queue */
	uint64_t bad;		/* malformed keystrokes */
	uint64_t skipped;	/* other packets */
	uint64_t next_trans;
	uint8_t buf[SYNTH_KBD_MAX_MESSAGE];
};

/* Opens the channel of a synthetic keyboard offer and sends the protocol request,
 * waiting for it to be accepted, bounded by timeout_us (0: no bound) whatever else the
 * host sends meanwhile. 0, or a negative VMBUSC_E* (the channel is closed again then;
 * VMBUSC_EIO also when the host refuses the version). */
int synthkbdc_open(struct synthkbdc *k, struct vmbusc *bus, const struct vmbusc_offer *offer,
		   uint32_t timeout_us);
/* The same on a channel the caller opened (synthkbdc_close does not close it then). */
int synthkbdc_init(struct synthkbdc *k, struct vmbusc *bus, struct vmbusc_chan *chan, uint32_t timeout_us);
void synthkbdc_close(struct synthkbdc *k, uint32_t timeout_us);

/* Takes the keystrokes waiting in the channel into the queue, without waiting, at
 * most VMBUSC_POLL_MAX packets. 0, or VMBUSC_EIO for a broken ring (the client is
 * broken then). */
int synthkbdc_poll(struct synthkbdc *k);
/* The oldest queued event: true with *key filled, false when none. */
bool synthkbdc_next(struct synthkbdc *k, struct synthkbdc_key *key);
/* The lights: SYNTH_KBD_LED_* bits. */
int synthkbdc_set_leds(struct synthkbdc *k, uint16_t leds);

#endif
