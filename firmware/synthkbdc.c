/* SPDX-License-Identifier: MIT */
/* synthkbdc: the guest side of the synthetic keyboard protocol (synthkbdc.h). */
#include "synthkbdc.h"

/* No C library in firmware: the compiler's own (gnu-efi provides memcpy/memset). */
#define sk_copy(d, s, n)	__builtin_memcpy((d), (s), (n))
#define sk_zero(d, n)		__builtin_memset((d), 0, (n))

static int fail(struct synthkbdc *k, int r)
{
	if (r == VMBUSC_EIO || r == VMBUSC_ETIMEDOUT)
		k->broken = true;
	return r;
}

static void keystroke(struct synthkbdc *k, const uint8_t *msg, uint32_t len)
{
	struct synth_kbd_keystroke ks;
	struct synthkbdc_key key;

	if (len < sizeof(ks)) {
		k->bad++;
		return;
	}
	sk_copy(&ks, msg, sizeof(ks));
	key.unicode = (ks.info & SYNTH_KBD_IS_UNICODE) != 0;
	key.down = !(ks.info & SYNTH_KBD_IS_BREAK);
	key.prefix = ks.info & SYNTH_KBD_IS_E0 ? 0xe0 : ks.info & SYNTH_KBD_IS_E1 ? 0xe1 : 0;
	key.code = ks.make_code;
	/* A make code is 7 bits; both prefixes at once mean nothing. */
	if ((!key.unicode && (key.code == 0 || key.code >= 0x80)) ||
	    (ks.info & (SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_E1)) == (SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_E1)) {
		k->bad++;
		return;
	}
	if (key.unicode)
		key.prefix = 0;
	if (k->count == SYNTHKBDC_QUEUE) {
		k->dropped++;
		return;
	}
	k->q[(k->head + k->count) % SYNTHKBDC_QUEUE] = key;
	k->count++;
	k->events++;
}

/* A packet taken into k->buf: keystrokes go to the queue. The message type of an
 * in-band packet (0 for others). */
static uint32_t took(struct synthkbdc *k, const struct vmbusc_packet *pk)
{
	uint32_t type = 0;

	if (pk->type == VM_PKT_DATA_INBAND && pk->len >= sizeof(uint32_t))
		sk_copy(&type, k->buf, sizeof(type));
	if (type == SYNTH_KBD_EVENT)
		keystroke(k, k->buf, pk->len);
	else if (type != SYNTH_KBD_PROTOCOL_RESPONSE)
		k->skipped++;
	return type;
}

int synthkbdc_init(struct synthkbdc *k, struct vmbusc *bus, struct vmbusc_chan *chan, uint32_t timeout_us)
{
	struct synth_kbd_protocol_request rq = { SYNTH_KBD_PROTOCOL_REQUEST, SYNTH_KBD_VERSION };
	struct synth_kbd_protocol_response rs;
	struct vmbusc_packet pk;
	uint64_t start;
	int r;

	sk_zero(k, sizeof(*k));
	k->bus = bus;
	k->chan = chan;
	if ((r = vmbusc_send(chan, ++k->next_trans, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, &rq,
			     sizeof(rq))) < 0)
		return fail(k, r);
	start = vmbusc_now_us(k->bus);
	for (;;) {
		if ((r = vmbusc_recv_wait(bus, chan, &pk, k->buf, sizeof(k->buf), start, timeout_us)) < 0)
			return fail(k, r);
		if (took(k, &pk) != SYNTH_KBD_PROTOCOL_RESPONSE)
			continue;
		if (pk.len < sizeof(rs))
			return fail(k, VMBUSC_EIO);
		sk_copy(&rs, k->buf, sizeof(rs));
		return rs.status & SYNTH_KBD_PROTOCOL_ACCEPTED ? 0 : fail(k, VMBUSC_EIO);
	}
}

int synthkbdc_open(struct synthkbdc *k, struct vmbusc *bus, const struct vmbusc_offer *offer,
		   uint32_t timeout_us)
{
	struct vmbusc_chan *chan;
	int r;

	sk_zero(k, sizeof(*k));
	if ((r = vmbusc_open(bus, offer, SYNTHKBDC_RING_PAGES, timeout_us, &chan)) < 0)
		return r;
	if ((r = synthkbdc_init(k, bus, chan, timeout_us)) < 0) {
		vmbusc_close(chan, timeout_us);
		k->chan = NULL;
		return r;
	}
	k->own_chan = true;
	return 0;
}

void synthkbdc_close(struct synthkbdc *k, uint32_t timeout_us)
{
	if (k->chan && k->own_chan)
		vmbusc_close(k->chan, timeout_us);
	k->chan = NULL;
	k->own_chan = false;
}

int synthkbdc_poll(struct synthkbdc *k)
{
	struct vmbusc_packet pk;
	int r;

	if (k->broken || !k->chan)
		return VMBUSC_EIO;
	for (unsigned n = 0; n < VMBUSC_POLL_MAX; n++) {
		if ((r = vmbusc_recv(k->chan, &pk, k->buf, sizeof(k->buf))) <= 0)
			return r < 0 ? fail(k, VMBUSC_EIO) : 0;
		took(k, &pk);
	}
	return 0;
}

bool synthkbdc_next(struct synthkbdc *k, struct synthkbdc_key *key)
{
	if (!k->count)
		return false;
	*key = k->q[k->head];
	k->head = (k->head + 1) % SYNTHKBDC_QUEUE;
	k->count--;
	return true;
}

int synthkbdc_set_leds(struct synthkbdc *k, uint16_t leds)
{
	struct synth_kbd_led_indicators m = { SYNTH_KBD_LED_INDICATORS, leds, 0 };

	if (k->broken || !k->chan)
		return VMBUSC_EIO;
	return vmbusc_send(k->chan, ++k->next_trans, 0, &m, sizeof(m));
}
