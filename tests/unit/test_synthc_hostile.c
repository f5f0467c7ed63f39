/* SPDX-License-Identifier: MIT */
/*
 * synthvidc and synthkbdc against a host that answers what the test scripts: a
 * test-only vmbusc channel (open, send, recv, close) whose receive side is a queue the
 * test fills, and whose send side records each packet and may answer it. Answers too
 * short, for the wrong version or context, of unknown types, late, or never.
 */
#include <check.h>
#include <string.h>
#include <time.h>

#include "synthkbdc.h"
#include "synthvidc.h"
#include "testutil.h"
#include "vmbusc.h"

#define TMO	200000u	/* us: every answer here is already queued, or never comes */

struct vmbusc_chan {
	int dummy;
};

static struct vmbusc_chan the_chan;
static unsigned opens, closes, recv_fail;

/* What the host will send: packets in order. */
#define QMAX	32
static struct { uint16_t type; uint8_t data[1100]; uint32_t len; } q[QMAX];
static unsigned qhead, qtail;

/* What the client sent. */
static struct { uint16_t flags; uint8_t data[1100]; uint32_t len; } sent[QMAX];
static unsigned nsent;

/* Called on each send, to queue the answer. */
typedef void responder_fn(const uint8_t *data, uint32_t len);
static responder_fn *responder;

static uint64_t t_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const struct vmbusc_host host = { .now_us = t_now };
static struct vmbusc bus;
static struct vmbusc_offer offer;

int vmbusc_open(struct vmbusc *b, const struct vmbusc_offer *o, uint32_t ring_pages, uint32_t timeout_us,
		struct vmbusc_chan **out)
{
	(void)b, (void)o, (void)timeout_us;
	ck_assert_uint_ge(ring_pages, 1);
	opens++;
	*out = &the_chan;
	return 0;
}

void vmbusc_close(struct vmbusc_chan *c, uint32_t timeout_us)
{
	(void)timeout_us;
	ck_assert_ptr_eq(c, &the_chan);
	closes++;
}

int vmbusc_send(struct vmbusc_chan *c, uint64_t trans_id, uint16_t flags, const void *data, uint32_t len)
{
	(void)trans_id;
	ck_assert_ptr_eq(c, &the_chan);
	ck_assert_uint_lt(nsent, QMAX);
	ck_assert_uint_le(len, sizeof(sent[0].data));
	sent[nsent].flags = flags;
	memcpy(sent[nsent].data, data, len);
	sent[nsent++].len = len;
	if (responder)
		responder(data, len);
	return 0;
}

/* With the queue empty: this packet, again and again (a host that never stops). */
static struct { uint16_t type; uint8_t data[64]; uint32_t len; } flood;
static bool flooding;
static unsigned long flooded;

int vmbusc_recv(struct vmbusc_chan *c, struct vmbusc_packet *p, void *buf, uint32_t cap)
{
	ck_assert_ptr_eq(c, &the_chan);
	if (recv_fail)
		return VMBUSC_EIO;
	if (qhead == qtail && flooding) {
		ck_assert_uint_le(flood.len, cap);
		memset(p, 0, sizeof(*p));
		p->type = flood.type;
		p->len = flood.len;
		memcpy(buf, flood.data, flood.len);
		flooded++;
		return 1;
	}
	if (qhead == qtail)
		return 0;
	if (q[qhead % QMAX].len > cap)
		return VMBUSC_EIO;
	memset(p, 0, sizeof(*p));
	p->type = q[qhead % QMAX].type;
	p->len = q[qhead % QMAX].len;
	memcpy(buf, q[qhead % QMAX].data, p->len);
	qhead++;
	return 1;
}

static void push_raw(uint16_t type, const void *data, uint32_t len)
{
	ck_assert_uint_lt(qtail - qhead, QMAX);
	ck_assert_uint_le(len, sizeof(q[0].data));
	q[qtail % QMAX].type = type;
	memcpy(q[qtail % QMAX].data, data, len);
	q[qtail % QMAX].len = len;
	qtail++;
}

/* A synthvid message as Hyper-V writes it; len bytes of body. */
static void push_vid(uint32_t pipe_type, uint32_t type, const void *body, uint32_t len)
{
	uint8_t buf[1100];
	struct synthvid_pipe_hdr p = { pipe_type, len + 8 };
	struct synthvid_msg_hdr h = { type, len };

	memcpy(buf, &p, 8);
	memcpy(buf + 8, &h, 8);
	if (len)
		memcpy(buf + 16, body, len);
	push_raw(VM_PKT_DATA_INBAND, buf, 16 + len);
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	bus.host = &host;
	bus.version = VMBUS_VERSION_WIN10_V5_3;
	bus.connected = true;
	opens = closes = recv_fail = nsent = 0;
	qhead = qtail = 0;
	responder = NULL;
	flooding = false;
	flooded = 0;
}

static void flood_with(uint16_t type, const void *data, uint32_t len)
{
	ck_assert_uint_le(len, sizeof(flood.data));
	flood.type = type;
	memcpy(flood.data, data, len);
	flood.len = len;
	flooding = true;
	flooded = 0;
}

/* A wait that began at t0, in a flood of what the client skips, ended at its bound:
 * after TMO, but not long after. */
static void bounded_since(uint64_t t0)
{
	uint64_t spent = t_now(NULL) - t0;

	ck_assert_uint_ge(spent, TMO);
	ck_assert_uint_lt(spent, 20 * TMO);
	ck_assert_uint_gt(flooded, 100);
}

/* The message type of sent packet i, checking its headers as hyperv_drm writes them. */
static uint32_t sent_type(unsigned i, uint32_t *body_len)
{
	struct synthvid_pipe_hdr p;
	struct synthvid_msg_hdr h;

	ck_assert_uint_lt(i, nsent);
	ck_assert_uint_ge(sent[i].len, 16);
	memcpy(&p, sent[i].data, 8);
	memcpy(&h, sent[i].data + 8, 8);
	ck_assert_uint_eq(p.type, SYNTHVID_PIPE_DATA);
	ck_assert_uint_eq(p.size, sent[i].len - 8);
	ck_assert_uint_eq(h.size, sent[i].len - 8);
	*body_len = sent[i].len - 16;
	return h.type;
}

static uint32_t sent_version(unsigned i)
{
	uint32_t len, v;

	ck_assert_uint_eq(sent_type(i, &len), SYNTHVID_VERSION_REQUEST);
	ck_assert_uint_eq(len, 4);
	memcpy(&v, sent[i].data + 16, 4);
	return v;
}

/* ---- video ------------------------------------------------------------------------------ */

static uint8_t accept_win8, accept_win10, short_answer, wrong_version, outputs = 1;

static void vid_responder(const uint8_t *data, uint32_t len)
{
	struct synthvid_msg_hdr h;

	memcpy(&h, data + 8, 8);
	if (h.type == SYNTHVID_VERSION_REQUEST) {
		struct synthvid_version_response rs;

		memcpy(&rs.version, data + 16, 4);
		rs.is_accepted = rs.version == SYNTHVID_VERSION_WIN10 ? accept_win10 : accept_win8;
		rs.max_video_outputs = outputs;
		if (wrong_version)
			rs.version ^= 1u << 16;
		/* unknown and foreign messages first: skipped */
		push_vid(SYNTHVID_PIPE_DATA, 99, "xxxx", 4);
		push_vid(7, SYNTHVID_VERSION_RESPONSE, &rs, sizeof(rs));
		push_raw(VM_PKT_COMP, "", 0);
		push_vid(SYNTHVID_PIPE_DATA, SYNTHVID_VERSION_RESPONSE, &rs, short_answer ? 5 : sizeof(rs));
	}
	(void)len;
}

static void vid_reset(void)
{
	setup();
	accept_win8 = accept_win10 = 2;
	short_answer = wrong_version = 0;
	outputs = 1;
	responder = vid_responder;
}

START_TEST(vid_versions)
{
	struct synthvidc v;

	/* 3.5 refused, 3.2 taken; the junk before each answer skipped. */
	vid_reset();
	accept_win10 = 0;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), 0);
	ck_assert_uint_eq(v.version, SYNTHVID_VERSION_WIN8);
	ck_assert_uint_eq(nsent, 2);
	ck_assert_uint_eq(sent_version(0), SYNTHVID_VERSION_WIN10);
	ck_assert_uint_eq(sent_version(1), SYNTHVID_VERSION_WIN8);
	ck_assert_uint_eq(v.skipped, 6);
	synthvidc_close(&v, TMO);
	ck_assert_uint_eq(closes, 1);
	/* An older VMBus: 3.2 alone. */
	vid_reset();
	bus.version = VMBUS_VERSION_WIN8_1;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), 0);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent_version(0), SYNTHVID_VERSION_WIN8);
	synthvidc_close(&v, TMO);
	/* Both refused: no client, the channel closed again. */
	vid_reset();
	accept_win10 = accept_win8 = 0;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_EIO);
	ck_assert_uint_eq(opens, 1);
	ck_assert_uint_eq(closes, 1);
	/* An answer too short, for another version, or with no output. */
	vid_reset();
	short_answer = 1;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_EIO);
	ck_assert_uint_eq(closes, 1);
	vid_reset();
	wrong_version = 1;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_EIO);
	vid_reset();
	outputs = 0;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_EIO);
	/* No answer at all. */
	vid_reset();
	responder = NULL;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_ETIMEDOUT);
	ck_assert_uint_eq(closes, 1);
	/* A broken ring. */
	vid_reset();
	recv_fail = 1;
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_EIO);
}
END_TEST

static uint64_t ack_ctx_bias;
static bool ack_short;

static void vid_mode_responder(const uint8_t *data, uint32_t len)
{
	struct synthvid_msg_hdr h;
	uint64_t ctx;

	memcpy(&h, data + 8, 8);
	memcpy(&ctx, data + 16, 8);
	ctx += ack_ctx_bias;
	if (h.type == SYNTHVID_VRAM_LOCATION) {
		struct synthvid_feature_change fc = { 0, 0, 0, 0 };

		/* a late acknowledgement of an earlier location first: skipped */
		uint64_t old = ctx - 0x1000;

		push_vid(SYNTHVID_PIPE_DATA, SYNTHVID_VRAM_LOCATION_ACK, &old, 8);
		push_vid(SYNTHVID_PIPE_DATA, SYNTHVID_VRAM_LOCATION_ACK, &ctx, ack_short ? 7 : 8);
		push_vid(SYNTHVID_PIPE_DATA, SYNTHVID_FEATURE_CHANGE, &fc, sizeof(fc));
	} else if (h.type == SYNTHVID_SITUATION_UPDATE) {
		push_vid(SYNTHVID_PIPE_DATA, SYNTHVID_SITUATION_UPDATE_ACK, &ctx, ack_short ? 3 : 8);
	}
	(void)len;
}

static void vid_ready(struct synthvidc *v)
{
	vid_reset();
	ck_assert_int_eq(synthvidc_open(v, &bus, &offer, TMO), 0);
	responder = vid_mode_responder;
	ack_ctx_bias = 0;
	ack_short = false;
}

START_TEST(vid_mode_answers)
{
	struct synthvidc v;
	struct synthvid_rect r = { 1, 2, 3, 4 };
	uint32_t len;
	uint8_t n;

	vid_ready(&v);
	ck_assert_int_eq(synthvidc_set_vram(&v, 0xc0000000ull, TMO), 0);
	ck_assert_uint_eq(v.vram_gpa, 0xc0000000ull);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), 0);
	/* The FEATURE_CHANGE that came after the acknowledgement, taken while waiting for
	 * the next one: no dirt wanted. */
	ck_assert(!v.dirt_needed);
	ck_assert_uint_eq(v.features, 1);
	ck_assert_int_eq(synthvidc_poll(&v), 0);
	/* What was sent: the location and the mode as the device reads them. */
	{
		struct synthvid_vram_location loc;
		struct synthvid_situation_update su;
		unsigned i = nsent - 2;

		ck_assert_uint_eq(sent_type(i, &len), SYNTHVID_VRAM_LOCATION);
		ck_assert_uint_eq(len, sizeof(loc));
		memcpy(&loc, sent[i].data + 16, sizeof(loc));
		ck_assert_uint_eq(loc.is_vram_gpa_specified, 1);
		ck_assert_uint_eq(loc.vram_gpa, 0xc0000000ull);
		ck_assert_uint_eq(sent_type(i + 1, &len), SYNTHVID_SITUATION_UPDATE);
		ck_assert_uint_eq(len, sizeof(su));
		memcpy(&su, sent[i + 1].data + 16, sizeof(su));
		ck_assert_uint_eq(su.video_output_count, 1);
		ck_assert_uint_eq(su.video_output[0].active, 1);
		ck_assert_uint_eq(su.video_output[0].depth_bits, 32);
		ck_assert_uint_eq(su.video_output[0].width_pixels, 1024);
		ck_assert_uint_eq(su.video_output[0].height_pixels, 768);
		ck_assert_uint_eq(su.video_output[0].pitch_bytes, 4096);
	}
	/* Full-screen dirt: one rectangle, the mode's size. */
	ck_assert_int_eq(synthvidc_dirt(&v, NULL, 0), 0);
	ck_assert_uint_eq(sent_type(nsent - 1, &len), SYNTHVID_DIRT);
	ck_assert_uint_eq(len, 2 + 16);
	n = sent[nsent - 1].data[17];
	ck_assert_uint_eq(n, 1);
	{
		struct synthvid_rect f;

		memcpy(&f, sent[nsent - 1].data + 18, sizeof(f));
		ck_assert(f.x1 == 0 && f.y1 == 0 && f.x2 == 1024 && f.y2 == 768);
	}
	ck_assert_int_eq(synthvidc_dirt(&v, &r, 1), 0);
	ck_assert_uint_eq(sent_type(nsent - 1, &len), SYNTHVID_DIRT);
	ck_assert_mem_eq(sent[nsent - 1].data + 18, &r, sizeof(r));
	/* Pointer: position then shape. */
	ck_assert_int_eq(synthvidc_hide_pointer(&v), 0);
	ck_assert_uint_eq(sent_type(nsent - 2, &len), SYNTHVID_POINTER_POSITION);
	ck_assert_uint_eq(sent_type(nsent - 1, &len), SYNTHVID_POINTER_SHAPE);
	ck_assert_uint_eq(len, sizeof(struct synthvid_pointer_shape) + 4);
	ck_assert(!v.broken);
	synthvidc_close(&v, TMO);

	/* A situation acknowledgement with another context breaks the client. */
	vid_ready(&v);
	ack_ctx_bias = 1;
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), VMBUSC_EIO);
	ck_assert(v.broken);
	ck_assert_int_eq(synthvidc_dirt(&v, NULL, 0), VMBUSC_EIO);
	ck_assert_int_eq(synthvidc_poll(&v), VMBUSC_EIO);
	synthvidc_close(&v, TMO);
	/* A VRAM acknowledgement with only others' contexts: a timeout. */
	vid_ready(&v);
	ack_ctx_bias = 5;
	ck_assert_int_eq(synthvidc_set_vram(&v, 0xc0000000ull, TMO), VMBUSC_ETIMEDOUT);
	ck_assert(v.broken);
	synthvidc_close(&v, TMO);
	/* Acknowledgements too short. */
	vid_ready(&v);
	ack_short = true;
	ck_assert_int_eq(synthvidc_set_vram(&v, 0xc0000000ull, TMO), VMBUSC_EIO);
	vid_ready(&v);
	ack_short = true;
	ck_assert_int_eq(synthvidc_set_mode(&v, 800, 600, 3200, TMO), VMBUSC_EIO);
	/* A packet larger than the client's buffer (vmbusc refuses it). */
	vid_ready(&v);
	{
		static uint8_t big[1100];

		push_raw(VM_PKT_DATA_INBAND, big, sizeof(big));
		ck_assert_int_eq(synthvidc_poll(&v), VMBUSC_EIO);
		ck_assert(v.broken);
	}
}
END_TEST

/* ---- keyboard ---------------------------------------------------------------------------- */

static uint32_t kbd_status = SYNTH_KBD_PROTOCOL_ACCEPTED;
static uint32_t kbd_resp_len = 8;

static void kbd_responder(const uint8_t *data, uint32_t len)
{
	struct synth_kbd_protocol_response rs = { SYNTH_KBD_PROTOCOL_RESPONSE, kbd_status };
	uint32_t type;

	memcpy(&type, data, 4);
	if (type == SYNTH_KBD_PROTOCOL_REQUEST && len == 8) {
		push_raw(VM_PKT_COMP, "", 0);
		push_raw(VM_PKT_DATA_INBAND, "\x09\x00\x00\x00", 4);
		push_raw(VM_PKT_DATA_INBAND, &rs, kbd_resp_len);
	}
}

static void kbd_reset(void)
{
	setup();
	kbd_status = SYNTH_KBD_PROTOCOL_ACCEPTED;
	kbd_resp_len = 8;
	responder = kbd_responder;
}

static void push_key(uint16_t code, uint32_t info, uint32_t len)
{
	struct synth_kbd_keystroke ks = { SYNTH_KBD_EVENT, code, 0, info };
	uint8_t buf[32] = { 0 };

	ck_assert_uint_le(len, sizeof(buf));
	memcpy(buf, &ks, sizeof(ks));
	push_raw(VM_PKT_DATA_INBAND, buf, len);
}

START_TEST(kbd_protocol)
{
	struct synthkbdc k;
	struct synth_kbd_protocol_request rq;

	kbd_reset();
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), 0);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent[0].len, sizeof(rq));
	memcpy(&rq, sent[0].data, sizeof(rq));
	ck_assert_uint_eq(rq.type, SYNTH_KBD_PROTOCOL_REQUEST);
	ck_assert_uint_eq(rq.version, SYNTH_KBD_VERSION);
	ck_assert_uint_eq(sent[0].flags, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	ck_assert_uint_eq(k.skipped, 2);
	synthkbdc_close(&k, TMO);
	ck_assert_uint_eq(closes, 1);
	/* Refused, too short, never. */
	kbd_reset();
	kbd_status = 0;
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), VMBUSC_EIO);
	ck_assert_uint_eq(closes, 1);
	kbd_reset();
	kbd_resp_len = 6;
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), VMBUSC_EIO);
	kbd_reset();
	responder = NULL;
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), VMBUSC_ETIMEDOUT);
	ck_assert_uint_eq(closes, 1);
	kbd_reset();
	recv_fail = 1;
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), VMBUSC_EIO);
}
END_TEST

START_TEST(kbd_events)
{
	struct synthkbdc k;
	struct synthkbdc_key e;
	struct synth_kbd_led_indicators led;

	kbd_reset();
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), 0);
	push_key(0x1e, 0, 12);					/* a down */
	push_key(0x1e, SYNTH_KBD_IS_BREAK, 12);			/* a up */
	push_key(0x4b, SYNTH_KBD_IS_E0, 12);			/* Left */
	push_key(0x1d, SYNTH_KBD_IS_E1, 12);			/* Pause's first */
	push_key(0x00e9, SYNTH_KBD_IS_UNICODE | SYNTH_KBD_IS_E0, 12);	/* é */
	push_key(0x1e, 0, 11);					/* short */
	push_key(0x80, 0, 12);					/* not a make code */
	push_key(0x00, 0, 12);
	push_key(0x1e, SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_E1, 12);	/* both prefixes */
	push_raw(VM_PKT_DATA_INBAND, "\x07\x00\x00\x00", 4);	/* unknown type */
	push_raw(VM_PKT_DATA_INBAND, "\x03\x00", 2);		/* no type */
	push_key(0x1c, 0, 16);					/* longer: Enter */
	ck_assert_int_eq(synthkbdc_poll(&k), 0);
	ck_assert_uint_eq(k.events, 6);
	ck_assert_uint_eq(k.bad, 4);
	ck_assert_uint_eq(k.skipped, 4);
	ck_assert(synthkbdc_next(&k, &e));
	ck_assert(e.code == 0x1e && e.prefix == 0 && e.down && !e.unicode);
	ck_assert(synthkbdc_next(&k, &e));
	ck_assert(e.code == 0x1e && e.prefix == 0 && !e.down);
	ck_assert(synthkbdc_next(&k, &e));
	ck_assert(e.code == 0x4b && e.prefix == 0xe0 && e.down);
	ck_assert(synthkbdc_next(&k, &e));
	ck_assert(e.code == 0x1d && e.prefix == 0xe1 && e.down);
	ck_assert(synthkbdc_next(&k, &e));
	ck_assert(e.code == 0xe9 && e.prefix == 0 && e.unicode && e.down);
	ck_assert(synthkbdc_next(&k, &e));
	ck_assert(e.code == 0x1c && e.down);
	ck_assert(!synthkbdc_next(&k, &e));
	/* The lights as the device reads them. */
	ck_assert_int_eq(synthkbdc_set_leds(&k, SYNTH_KBD_LED_SCROLL_LOCK), 0);
	ck_assert_uint_eq(sent[nsent - 1].len, sizeof(led));
	memcpy(&led, sent[nsent - 1].data, sizeof(led));
	ck_assert_uint_eq(led.type, SYNTH_KBD_LED_INDICATORS);
	ck_assert_uint_eq(led.led_flags, SYNTH_KBD_LED_SCROLL_LOCK);
	/* A broken ring: the client is broken. */
	recv_fail = 1;
	ck_assert_int_eq(synthkbdc_poll(&k), VMBUSC_EIO);
	ck_assert(k.broken);
	ck_assert_int_eq(synthkbdc_set_leds(&k, 0), VMBUSC_EIO);
	synthkbdc_close(&k, TMO);
}
END_TEST

/* A host that never stops sending what the client skips, and never answers: every
 * wait ends at its bound all the same. */
START_TEST(floods_bounded)
{
	static const uint8_t unknown_vid[16] = { SYNTHVID_PIPE_DATA, 0, 0, 0, 8, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0 };
	struct synth_kbd_keystroke ks = { SYNTH_KBD_EVENT, 0x1e, 0, 0 };
	struct synthvidc v;
	struct synthkbdc k;
	uint64_t t0;

	/* video: completions, then synthvid messages of an unknown type */
	vid_reset();
	responder = NULL;
	flood_with(VM_PKT_COMP, "", 0);
	t0 = t_now(NULL);
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_ETIMEDOUT);
	bounded_since(t0);
	ck_assert_uint_eq(closes, 1);
	vid_reset();
	responder = NULL;
	flood_with(VM_PKT_DATA_INBAND, unknown_vid, sizeof(unknown_vid));
	t0 = t_now(NULL);
	ck_assert_int_eq(synthvidc_open(&v, &bus, &offer, TMO), VMBUSC_ETIMEDOUT);
	bounded_since(t0);
	/* an open client: the VRAM location and a mode wait for their acknowledgements */
	vid_ready(&v);
	responder = NULL;
	flood_with(VM_PKT_DATA_INBAND, unknown_vid, sizeof(unknown_vid));
	t0 = t_now(NULL);
	ck_assert_int_eq(synthvidc_set_vram(&v, 0xc0000000ull, TMO), VMBUSC_ETIMEDOUT);
	bounded_since(t0);
	ck_assert(v.broken);
	vid_ready(&v);
	responder = NULL;
	flood_with(VM_PKT_COMP, "", 0);
	t0 = t_now(NULL);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), VMBUSC_ETIMEDOUT);
	bounded_since(t0);

	/* keyboard: keystrokes, which fill the queue, while the protocol answer never comes */
	kbd_reset();
	responder = NULL;
	flood_with(VM_PKT_DATA_INBAND, &ks, sizeof(ks));
	t0 = t_now(NULL);
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), VMBUSC_ETIMEDOUT);
	bounded_since(t0);
	ck_assert_uint_eq(k.events, SYNTHKBDC_QUEUE);
	ck_assert_uint_gt(k.dropped, 0);
	ck_assert_uint_eq(closes, 1);
}
END_TEST

/* Polls in a flood: each takes VMBUSC_POLL_MAX packets and returns. */
START_TEST(floods_polled)
{
	struct synth_kbd_keystroke ks = { SYNTH_KBD_EVENT, 0x1e, 0, 0 };
	struct synthvidc v;
	struct synthkbdc k;

	vid_ready(&v);
	flood_with(VM_PKT_COMP, "", 0);
	ck_assert_int_eq(synthvidc_poll(&v), 0);
	ck_assert_uint_eq(flooded, VMBUSC_POLL_MAX);
	flood_with(VM_PKT_DATA_INBAND, "\x09\x00\x00\x00", 4);	/* too short for a synthvid message */
	ck_assert_int_eq(synthvidc_poll(&v), 0);
	ck_assert_uint_eq(flooded, VMBUSC_POLL_MAX);
	ck_assert(!v.broken);
	synthvidc_close(&v, TMO);

	kbd_reset();
	ck_assert_int_eq(synthkbdc_open(&k, &bus, &offer, TMO), 0);
	flood_with(VM_PKT_DATA_INBAND, &ks, sizeof(ks));
	ck_assert_int_eq(synthkbdc_poll(&k), 0);
	ck_assert_uint_eq(flooded, VMBUSC_POLL_MAX);
	ck_assert_uint_eq(k.events, SYNTHKBDC_QUEUE);
	ck_assert_uint_eq(k.dropped, VMBUSC_POLL_MAX - SYNTHKBDC_QUEUE);
	ck_assert(!k.broken);
	synthkbdc_close(&k, TMO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("synthc_hostile");
	TCase *tc = tcase_create("hostile");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, vid_versions);
	tcase_add_test(tc, vid_mode_answers);
	tcase_add_test(tc, kbd_protocol);
	tcase_add_test(tc, kbd_events);
	tcase_add_test(tc, floods_bounded);
	tcase_add_test(tc, floods_polled);
	suite_add_tcase(s, tc);
	return test_main(s);
}
