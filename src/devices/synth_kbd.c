/* SPDX-License-Identifier: MIT */
#include "synth_kbd.h"
#include "synthkbd_proto.h"
#include "synth_queue.h"
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
	struct synth_queue q;		/* the response and key events not in the ring yet */
	uint64_t bad;
	struct log_ratelimit rl;
	uint8_t rx[KBD_MAX_PACKET];
};

static void kbd_protocol_request(struct synth_kbd *k, const uint8_t *msg, uint32_t len)
{
	struct synth_kbd_protocol_request rq;
	struct synth_kbd_protocol_response rs = { .type = SYNTH_KBD_PROTOCOL_RESPONSE };
	struct iovec iov = { &rs, sizeof(rs) };
	int r;

	if (len < sizeof(rq)) {
		k->bad++;
		log_warn_limited(&k->rl, "synthetic keyboard: protocol request of %u bytes", len);
		return;
	}
	memcpy(&rq, msg, sizeof(rq));
	/* A driver that asks again starts over: what waited was for the one before. */
	k->connected = false;
	synth_queue_reset(&k->q);
	if (rq.version == SYNTH_KBD_VERSION) {
		rs.status = SYNTH_KBD_PROTOCOL_ACCEPTED;
	} else {
		log_warn_limited(&k->rl, "synthetic keyboard: the guest asks for version 0x%08x, not 0x%08x",
				 rq.version, SYNTH_KBD_VERSION);
	}
	if ((r = synth_queue_reply(&k->q, &iov, 1)) < 0) {
		log_warn_limited(&k->rl, "synthetic keyboard: cannot answer the protocol request: %s", strerror(-r));
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

static void kbd_handle(void *opaque, const uint8_t *pkt, uint32_t len)
{
	synth_kbd_handle_packet(opaque, pkt, len);
}

static bool kbd_notify(struct vmbus_channel *ch, void *opaque)
{
	struct synth_kbd *k = opaque;

	return synth_queue_notify(&k->q, ch, k->rx, sizeof(k->rx), kbd_handle, k);
}

static int kbd_open(struct vmbus_channel *ch, void *opaque)
{
	struct synth_kbd *k = opaque;

	k->ch = ch;
	k->connected = false;
	synth_queue_attach(&k->q, ch);
	return 0;
}

static void kbd_close(struct vmbus_channel *ch, void *opaque)
{
	struct synth_kbd *k = opaque;

	(void)ch;
	k->ch = NULL;
	k->connected = false;
	synth_queue_attach(&k->q, NULL);
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
	if (synth_queue_init(&k->q, "synthetic keyboard", sizeof(struct synth_kbd_keystroke), SYNTH_KBD_QUEUE) < 0)
		goto fail;
	if (vmbus_guid_parse(SYNTHKBD_CLASS_ID, &o.class_id) < 0 ||
	    vmbus_guid_parse(SYNTHKBD_INSTANCE_ID, &o.instance_id) < 0)
		goto fail;
	k->dev = vmbus_device_add(bus, &o, &kbd_ops, k);
	if (!k->dev)
		goto fail;
	return k;
fail:
	synth_queue_destroy(&k->q);
	free(k);
	return NULL;
}

void synth_kbd_free(struct synth_kbd *k)
{
	if (k)
		synth_queue_destroy(&k->q);
	free(k);
}

bool synth_kbd_room(const struct synth_kbd *k, unsigned n)
{
	return synth_queue_room(&k->q, n);
}

int synth_kbd_key(struct synth_kbd *k, uint16_t code, bool down)
{
	uint8_t prefix = code >> 8, make = code & 0xff;
	struct synth_kbd_keystroke ks;

	if (!make || make > 0x7f || (prefix && prefix != 0xe0 && prefix != 0xe1))
		return -EINVAL;
	if (!k->ch || !k->connected)
		return -ENODEV;
	ks = (struct synth_kbd_keystroke){
		.type = SYNTH_KBD_EVENT,
		.make_code = make,
		.info = (down ? 0 : SYNTH_KBD_IS_BREAK) | (prefix == 0xe0 ? SYNTH_KBD_IS_E0 : 0) |
			(prefix == 0xe1 ? SYNTH_KBD_IS_E1 : 0),
	};
	return synth_queue_event(&k->q, &ks);
}

void synth_kbd_get_status(const struct synth_kbd *k, struct synth_kbd_status *st)
{
	*st = (struct synth_kbd_status){
		.open = k->ch != NULL,
		.connected = k->ch && k->connected,
		.leds = k->leds,
		.queued = k->q.count,
		.events = k->q.sent,
		.dropped = k->q.dropped,
		.bad = k->bad,
	};
}
