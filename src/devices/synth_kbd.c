/* SPDX-License-Identifier: MIT */
#include "synth_kbd.h"
#include "synthkbd_proto.h"
#include "guid.h"
#include "log.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A packet the guest's driver sends: a descriptor and one message. */
#define KBD_MAX_PACKET	(sizeof(struct vmbus_packet_desc) + SYNTH_KBD_MAX_MESSAGE)

struct synth_kbd {
	struct vmbus_device *dev;
	struct vmbus_channel *ch;	/* NULL while closed */
	bool connected;			/* the guest's driver accepted the protocol */
	uint16_t leds;
	/* Events not in the ring yet, oldest at head. */
	struct synth_kbd_keystroke queue[SYNTH_KBD_QUEUE];
	unsigned head, count;
	uint64_t events, bad;
	struct log_ratelimit rl;
	uint8_t rx[KBD_MAX_PACKET];
};

static int kbd_send(struct synth_kbd *k, const void *msg, uint32_t len)
{
	struct iovec iov = { (void *)msg, len };

	if (!k->ch)
		return -EPIPE;
	return vmbus_chan_send(k->ch, VM_PKT_DATA_INBAND, 0, 0, &iov, 1);
}

/* Send what waits, in order, until the ring is full. */
static void kbd_flush(struct synth_kbd *k)
{
	while (k->count && k->ch && k->connected) {
		int r = kbd_send(k, &k->queue[k->head], sizeof(k->queue[0]));

		if (r == -EAGAIN)
			return;	/* notify comes when the guest has read */
		if (r < 0) {
			log_warn_limited(&k->rl, "synthetic keyboard: cannot send a key event: %s", strerror(-r));
			k->count = 0;
			return;
		}
		k->head = (k->head + 1) % SYNTH_KBD_QUEUE;
		k->count--;
		k->events++;
	}
}

static void kbd_protocol_request(struct synth_kbd *k, const uint8_t *msg, uint32_t len)
{
	struct synth_kbd_protocol_request rq;
	struct synth_kbd_protocol_response rs = { .type = SYNTH_KBD_PROTOCOL_RESPONSE };

	if (len < sizeof(rq)) {
		k->bad++;
		log_warn_limited(&k->rl, "synthetic keyboard: protocol request of %u bytes", len);
		return;
	}
	memcpy(&rq, msg, sizeof(rq));
	/* A driver that asks again starts over: what waited was for the one before. */
	k->connected = false;
	k->count = 0;
	if (rq.version == SYNTH_KBD_VERSION) {
		rs.status = SYNTH_KBD_PROTOCOL_ACCEPTED;
	} else {
		log_warn_limited(&k->rl, "synthetic keyboard: the guest asks for version 0x%08x, not 0x%08x",
				 rq.version, SYNTH_KBD_VERSION);
	}
	if (kbd_send(k, &rs, sizeof(rs)) < 0) {
		log_warn_limited(&k->rl, "synthetic keyboard: cannot answer the protocol request");
		return;
	}
	if (rs.status && !k->connected)
		log_info("synthetic keyboard: guest driver connected");
	k->connected = rs.status != 0;
}

void synth_kbd_handle_packet(struct synth_kbd *k, const uint8_t *pkt, uint32_t len)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	uint32_t off, type;
	struct synth_kbd_led_indicators led;

	if (len < sizeof(*d))
		goto bad;
	off = (uint32_t)d->offset8 * 8;
	/* Completions of nothing, and other kinds, carry no keyboard message. */
	if (d->type != VM_PKT_DATA_INBAND)
		return;
	if (off < sizeof(*d) || off > len || len - off < sizeof(type))
		goto bad;
	memcpy(&type, pkt + off, sizeof(type));
	switch (type) {
	case SYNTH_KBD_PROTOCOL_REQUEST:
		kbd_protocol_request(k, pkt + off, len - off);
		return;
	case SYNTH_KBD_LED_INDICATORS:
		if (len - off < sizeof(led))
			goto bad;
		memcpy(&led, pkt + off, sizeof(led));
		k->leds = led.led_flags & (SYNTH_KBD_LED_SCROLL_LOCK | SYNTH_KBD_LED_NUM_LOCK | SYNTH_KBD_LED_CAPS_LOCK);
		return;
	default:
		k->bad++;
		log_warn_limited(&k->rl, "synthetic keyboard: unknown message type %u from the guest", type);
		return;
	}
bad:
	k->bad++;
	log_warn_limited(&k->rl, "synthetic keyboard: malformed packet of %u bytes from the guest", len);
}

static bool kbd_notify(struct vmbus_channel *ch, void *opaque)
{
	struct synth_kbd *k = opaque;
	uint32_t len;
	int r;

	while ((r = vmbus_chan_recv(ch, k->rx, sizeof(k->rx), &len)) != -EAGAIN) {
		if (r == -EMSGSIZE) {
			vmbus_chan_fail(ch, "synthetic keyboard: packet larger than any message");
			return true;
		}
		if (r < 0)
			return true;
		synth_kbd_handle_packet(k, k->rx, len);
		if (!k->ch)
			return true;
	}
	vmbus_chan_recv_done(ch);
	kbd_flush(k);
	return true;
}

static int kbd_open(struct vmbus_channel *ch, void *opaque)
{
	struct synth_kbd *k = opaque;

	k->ch = ch;
	k->connected = false;
	k->count = 0;
	return 0;
}

static void kbd_close(struct vmbus_channel *ch, void *opaque)
{
	struct synth_kbd *k = opaque;

	(void)ch;
	k->ch = NULL;
	k->connected = false;
	k->count = 0;
}

static const struct vmbus_dev_ops kbd_ops = {
	.open = kbd_open,
	.close = kbd_close,
	.notify = kbd_notify,
};

struct synth_kbd *synth_kbd_new(struct vmbus *bus)
{
	struct synth_kbd *k = calloc(1, sizeof(*k));
	/* As Hyper-V offers it: a plain channel, no pipe mode. */
	struct vmbus_offer o = {
		.name = "synthetic keyboard",
	};

	if (!k)
		return NULL;
	if (vmbus_guid_parse(SYNTHKBD_CLASS_ID, &o.class_id) < 0 ||
	    vmbus_guid_parse(SYNTHKBD_INSTANCE_ID, &o.instance_id) < 0)
		goto fail;
	k->dev = vmbus_device_add(bus, &o, &kbd_ops, k);
	if (!k->dev)
		goto fail;
	return k;
fail:
	free(k);
	return NULL;
}

void synth_kbd_free(struct synth_kbd *k)
{
	free(k);
}

bool synth_kbd_room(const struct synth_kbd *k, unsigned n)
{
	return n <= SYNTH_KBD_QUEUE - k->count;
}

int synth_kbd_key(struct synth_kbd *k, uint16_t code, bool down)
{
	uint8_t prefix = code >> 8, make = code & 0xff;
	struct synth_kbd_keystroke *ks;

	if (!make || make > 0x7f || (prefix && prefix != 0xe0 && prefix != 0xe1))
		return -EINVAL;
	if (!k->ch || !k->connected)
		return -ENODEV;
	if (k->count == SYNTH_KBD_QUEUE)
		return -ENOBUFS;
	ks = &k->queue[(k->head + k->count) % SYNTH_KBD_QUEUE];
	*ks = (struct synth_kbd_keystroke){
		.type = SYNTH_KBD_EVENT,
		.make_code = make,
		.info = (down ? 0 : SYNTH_KBD_IS_BREAK) | (prefix == 0xe0 ? SYNTH_KBD_IS_E0 : 0) |
			(prefix == 0xe1 ? SYNTH_KBD_IS_E1 : 0),
	};
	k->count++;
	kbd_flush(k);
	return 0;
}

void synth_kbd_get_status(const struct synth_kbd *k, struct synth_kbd_status *st)
{
	*st = (struct synth_kbd_status){
		.open = k->ch != NULL,
		.connected = k->ch && k->connected,
		.leds = k->leds,
		.queued = k->count,
		.events = k->events,
		.bad = k->bad,
	};
}
