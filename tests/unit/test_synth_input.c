/* SPDX-License-Identifier: MIT */
/*
 * The synthetic keyboard and mouse (src/devices/synth_kbd.c, synth_mouse.c), the
 * keysym layer in front of them (input.c) and the input.* methods
 * (src/mgmt/input_methods.c), against a simulated guest that speaks as Linux's
 * hyperv_keyboard and hid_hyperv do, and against messages no driver should send.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guid.h"
#include "input.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "synth_kbd.h"
#include "synth_mouse.h"
#include "synthhid_proto.h"
#include "synthkbd_proto.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus_guest.h"

#define RAM		(16ull << 20)
#define KBD_GPA		(VG_RAM_START + 0x100000ull)
#define MOUSE_GPA	(VG_RAM_START + 0x200000ull)
#define RING_PAGES	4
#define COMPLETION_REQUESTED	1

static char dir[64], path[128];
static struct vg g;
static struct vg_chan kch, mch;
static struct vmbus_msg_offer_channel koffer, moffer;
static struct vm vm;
static struct machine machine;
static struct mgmt *mgmt;
static struct vm_config cfg;
static struct tc *t;
static uint8_t pkt[4096];

/* ---- calls on the loop thread ---------------------------------------------------------- */

enum { C_KEY, C_KEYSYM, C_POINTER, C_KSTATUS, C_MSTATUS, C_REPORT, C_KPACKET, C_MPACKET };

struct call {
	int what;
	uint32_t a;
	bool down;
	uint16_t x, y;
	uint8_t buttons;
	int16_t wheel;
	const uint8_t *pkt;
	uint32_t len;
	int ret;
	struct synth_kbd_status ks;
	struct synth_mouse_status ms;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case C_KEY: c->ret = synth_kbd_key(machine.kbd, (uint16_t)c->a, c->down); break;
	case C_KEYSYM: c->ret = input_keysym(machine.input, c->a, c->down); break;
	case C_POINTER: c->ret = input_pointer(machine.input, c->x, c->y, c->buttons, c->wheel); break;
	case C_REPORT: c->ret = synth_mouse_report(machine.mouse, c->buttons, c->x, c->y, c->wheel); break;
	case C_KSTATUS: synth_kbd_get_status(machine.kbd, &c->ks); break;
	case C_MSTATUS: synth_mouse_get_status(machine.mouse, &c->ms); break;
	case C_KPACKET: synth_kbd_handle_packet(machine.kbd, c->pkt, c->len); break;
	case C_MPACKET: synth_mouse_handle_packet(machine.mouse, c->pkt, c->len); break;
	}
}

static int host(struct call c)
{
	vg_call(&g, do_call, &c);
	return c.ret;
}

static int key(uint16_t code, bool down)
{
	return host((struct call){ .what = C_KEY, .a = code, .down = down });
}

static int keysym(uint32_t ks, bool down)
{
	return host((struct call){ .what = C_KEYSYM, .a = ks, .down = down });
}

static int report(uint8_t buttons, uint16_t x, uint16_t y, int16_t wheel)
{
	return host((struct call){ .what = C_REPORT, .x = x, .y = y, .buttons = buttons, .wheel = wheel });
}

static struct synth_kbd_status kstatus(void)
{
	struct call c = { .what = C_KSTATUS };

	vg_call(&g, do_call, &c);
	return c.ks;
}

static struct synth_mouse_status mstatus(void)
{
	struct call c = { .what = C_MSTATUS };

	vg_call(&g, do_call, &c);
	return c.ms;
}

/* ---- the guest's drivers ------------------------------------------------------------------ */

/* The next packet from the host: its payload (after the descriptor) and its length. */
static uint8_t *host_msg(struct vg_chan *c, int *len)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	int n = vg_read_wait(c, pkt, sizeof(pkt), VG_TMO);

	ck_assert_int_gt(n, (int)sizeof(*d));
	ck_assert_uint_eq(d->type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(d->flags, 0);
	*len = n - d->offset8 * 8;
	return pkt + d->offset8 * 8;
}

static void kbd_request(uint32_t version)
{
	struct synth_kbd_protocol_request rq = { SYNTH_KBD_PROTOCOL_REQUEST, version };

	ck_assert_int_eq(vg_send(&kch, VM_PKT_DATA_INBAND, COMPLETION_REQUESTED, 0xffff8880deadbeefull, &rq,
				 sizeof(rq)), 0);
}

static uint32_t kbd_response(void)
{
	struct synth_kbd_protocol_response rs;
	int len;
	uint8_t *m = host_msg(&kch, &len);

	ck_assert_int_ge(len, (int)sizeof(rs));
	memcpy(&rs, m, sizeof(rs));
	ck_assert_uint_eq(rs.type, SYNTH_KBD_PROTOCOL_RESPONSE);
	return rs.status;
}

/* The next key event: make code and info. */
static void kbd_event(uint16_t make, uint32_t info)
{
	struct synth_kbd_keystroke ks;
	int len;
	uint8_t *m = host_msg(&kch, &len);

	ck_assert_int_ge(len, (int)sizeof(ks));
	memcpy(&ks, m, sizeof(ks));
	ck_assert_uint_eq(ks.type, SYNTH_KBD_EVENT);
	ck_assert_msg(ks.make_code == make && ks.info == info, "event 0x%x/0x%x, expected 0x%x/0x%x", ks.make_code,
		      ks.info, make, info);
}

static void kbd_nothing(void)
{
	usleep(20000);
	ck_assert_uint_eq(vg_read_avail(&kch), 0);
}

static void kbd_connect(void)
{
	kbd_request(SYNTH_KBD_VERSION);
	ck_assert_uint_eq(kbd_response(), SYNTH_KBD_PROTOCOL_ACCEPTED);
	ck_assert(WAIT_UNTIL(kstatus().connected, VG_TMO));
}

/* A message as hid_hyperv sends it: pipe header, synthhid header, payload. */
static void mouse_send(uint32_t pipe_size, uint32_t type, uint32_t size, const void *body, uint32_t blen)
{
	uint8_t buf[256];
	struct synthhid_pipe_hdr p = { SYNTHHID_PIPE_DATA, pipe_size };
	struct synthhid_msg_hdr h = { type, size };

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 8, &h, sizeof(h));
	memcpy(buf + 16, body, blen);
	ck_assert_int_eq(vg_send(&mch, VM_PKT_DATA_INBAND, COMPLETION_REQUESTED, 0x1234, buf, 16 + blen), 0);
}

/* The next message from the mouse: checks both headers agree; returns the payload. */
static uint8_t *mouse_msg(uint32_t type, uint32_t *size)
{
	struct synthhid_pipe_hdr p;
	struct synthhid_msg_hdr h;
	int len;
	uint8_t *m = host_msg(&mch, &len);

	ck_assert_int_ge(len, 16);
	memcpy(&p, m, sizeof(p));
	memcpy(&h, m + 8, sizeof(h));
	ck_assert_uint_eq(p.type, SYNTHHID_PIPE_DATA);
	ck_assert_uint_eq(h.type, type);
	ck_assert_uint_eq(p.size, h.size + 8);
	ck_assert_int_ge(len, (int)(16 + h.size));
	*size = h.size;
	return m + 16;
}

static void mouse_request(uint32_t version)
{
	/* Linux: pipe size 12 (the synthhid request), header size 4, 23 bytes sent. */
	uint8_t body[7] = { 0 };

	memcpy(body, &version, 4);
	mouse_send(12, SYNTH_HID_PROTOCOL_REQUEST, 4, body, 7);
}

static void mouse_ack(void)
{
	uint8_t body[4] = { 0 };

	mouse_send(9, SYNTH_HID_INITIAL_DEVICE_INFO_ACK, 1, body, 4);
}

/* As hid_hyperv's probe: request, response, device info (parsed as Linux does), ack. */
static void mouse_connect(void)
{
	uint32_t size, dsize;
	uint8_t *m;
	struct synthhid_protocol_response rs;
	struct synthhid_dev_info info;
	struct synthhid_hid_descriptor hd;

	mouse_request(SYNTHHID_INPUT_VERSION);
	m = mouse_msg(SYNTH_HID_PROTOCOL_RESPONSE, &size);
	/* Linux copies pipe.size + 11 bytes into 24: at most 13 after the pipe header. */
	ck_assert_uint_eq(size + 8, 13);
	memcpy(&rs, m, sizeof(rs));
	ck_assert_uint_eq(rs.version_requested, SYNTHHID_INPUT_VERSION);
	ck_assert_uint_eq(rs.approved, 1);
	m = mouse_msg(SYNTH_HID_INITIAL_DEVICE_INFO, &size);
	ck_assert_uint_ge(size + 8, 49);
	memcpy(&info, m, sizeof(info));
	ck_assert_uint_eq(info.size, 32);
	ck_assert_uint_eq(info.vendor, 0x045e);
	ck_assert_uint_eq(info.product, 0x0621);
	memcpy(&hd, m + 32, sizeof(hd));
	dsize = size + 8 - 40;	/* mousevsc_on_receive_device_info's desc_size */
	ck_assert_uint_ge(hd.bLength, 9);
	ck_assert_uint_le(hd.bLength, dsize);
	ck_assert_uint_eq(hd.bReportType, 0x22);
	ck_assert_uint_eq(hd.wReportLength, 67);
	ck_assert_uint_le(hd.wReportLength, dsize - hd.bLength);
	ck_assert_uint_eq(m[32 + hd.bLength], 0x05);	/* Usage Page */
	ck_assert_uint_eq(m[32 + hd.bLength + 14], 0x29);
	ck_assert(!mstatus().connected);
	mouse_ack();
	ck_assert(WAIT_UNTIL(mstatus().connected, VG_TMO));
}

static void mouse_report_is(uint8_t buttons, uint16_t x, uint16_t y, int16_t wheel)
{
	struct synthhid_mouse_report r;
	uint32_t size;
	uint8_t *m = mouse_msg(SYNTH_HID_INPUT_REPORT, &size);

	ck_assert_uint_eq(size, 7);
	memcpy(&r, m, sizeof(r));
	ck_assert_uint_eq(r.buttons, buttons);
	ck_assert_uint_eq(r.x, x);
	ck_assert_uint_eq(r.y, y);
	ck_assert_int_eq(r.wheel, wheel);
}

/* ---- setup ---------------------------------------------------------------------------------- */

static const struct vmbus_msg_offer_channel *find_offer(const struct vmbus_msg_offer_channel *o, unsigned n,
							const char *class_id)
{
	struct vmbus_guid c;

	ck_assert_int_eq(vmbus_guid_parse(class_id, &c), 0);
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(&o[i].offer.if_type, &c, sizeof(c)))
			return &o[i];
	ck_abort_msg("no offer of class %s", class_id);
	return NULL;
}

static void setup(void)
{
	struct vmbus_msg_offer_channel offers[2];
	char err[256];

	strcpy(dir, "/tmp/hvkvm-input-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	vg_init(&g, RAM, 1);
	memset(&vm, 0, sizeof(vm));
	vm.loop = g.loop;
	vm.state = VM_STATE_RUNNING;
	memset(&machine, 0, sizeof(machine));
	config_init(&cfg);
	machine.cfg = &cfg;
	machine.vm = &vm;
	machine.vmbus = g.bus;
	machine.kbd = synth_kbd_new(g.bus);
	machine.mouse = synth_mouse_new(g.bus);
	machine.input = input_new(machine.kbd, machine.mouse);
	ck_assert(machine.kbd && machine.mouse && machine.input);
	mgmt = mgmt_new(g.loop);
	ck_assert_int_eq(mgmt_input_methods_register(mgmt, &machine), 0);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, offers, 2), 2);
	koffer = *find_offer(offers, 2, SYNTHKBD_CLASS_ID);
	moffer = *find_offer(offers, 2, SYNTHHID_CLASS_ID);
	memset(&kch, 0, sizeof(kch));
	memset(&mch, 0, sizeof(mch));
	ck_assert_uint_eq(vg_open(&g, &kch, &koffer, 0x100, KBD_GPA, RING_PAGES, RING_PAGES, 0), 0);
	ck_assert_uint_eq(vg_open(&g, &mch, &moffer, 0x101, MOUSE_GPA, RING_PAGES, RING_PAGES, 0), 0);
	t = tc_open(path);
}

static void teardown(void)
{
	tc_close(t);
	vg_stop(&g);
	mgmt_free(mgmt, 0);
	vg_destroy(&g);
	input_free(machine.input);
	synth_kbd_free(machine.kbd);
	synth_mouse_free(machine.mouse);
	config_free(&cfg);
	rmdir(dir);
}

/* ---- the keyboard --------------------------------------------------------------------------- */

START_TEST(kbd_offer)
{
	struct vmbus_guid inst;

	ck_assert_int_eq(vmbus_guid_parse(SYNTHKBD_INSTANCE_ID, &inst), 0);
	ck_assert_mem_eq(&koffer.offer.if_instance, &inst, 16);
	/* Raw packets, as Hyper-V offers the keyboard; the mouse is a message pipe. */
	ck_assert_uint_eq(koffer.offer.chn_flags & 0x10, 0);
	ck_assert_uint_eq(moffer.offer.chn_flags & 0x10, 0x10);
	ck_assert_uint_eq(moffer.offer.user_def[0], 4);
}
END_TEST

START_TEST(kbd_keys)
{
	struct synth_kbd_status st;

	/* Nothing reaches a guest without a driver. */
	ck_assert_int_eq(key(0x1e, true), -ENODEV);
	ck_assert_int_eq(keysym('a', true), -ENODEV);
	kbd_connect();
	ck_assert_int_eq(key(0x1e, true), 0);
	kbd_event(0x1e, 0);
	ck_assert_int_eq(key(0x1e, false), 0);
	kbd_event(0x1e, SYNTH_KBD_IS_BREAK);
	ck_assert_int_eq(key(0xe048, true), 0);
	kbd_event(0x48, SYNTH_KBD_IS_E0);
	ck_assert_int_eq(key(0xe048, false), 0);
	kbd_event(0x48, SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_BREAK);
	/* Not scan codes. */
	ck_assert_int_eq(key(0, true), -EINVAL);
	ck_assert_int_eq(key(0x80, true), -EINVAL);
	ck_assert_int_eq(key(0x1e1e, true), -EINVAL);
	kbd_nothing();
	st = kstatus();
	ck_assert_uint_eq(st.events, 4);
	ck_assert_uint_eq(st.bad, 0);
}
END_TEST

START_TEST(kbd_version_refused)
{
	kbd_request(0x00020000);
	ck_assert_uint_eq(kbd_response(), 0);
	ck_assert(!kstatus().connected);
	ck_assert_int_eq(key(0x1e, true), -ENODEV);
	/* It may ask again. */
	kbd_connect();
}
END_TEST

START_TEST(kbd_leds)
{
	struct synth_kbd_led_indicators led = { SYNTH_KBD_LED_INDICATORS, SYNTH_KBD_LED_CAPS_LOCK | 0xff00, 0 };

	kbd_connect();
	ck_assert_int_eq(vg_send(&kch, VM_PKT_DATA_INBAND, 0, 0, &led, sizeof(led)), 0);
	ck_assert(WAIT_UNTIL(kstatus().leds == SYNTH_KBD_LED_CAPS_LOCK, VG_TMO));
}
END_TEST

/* What a hostile guest may send: counted and dropped, the channel keeps working. */
START_TEST(kbd_hostile)
{
	uint32_t type9 = 9;
	struct synth_kbd_protocol_request shortrq = { SYNTH_KBD_PROTOCOL_REQUEST, SYNTH_KBD_VERSION };
	uint8_t big[1024] = { 0 };

	kbd_connect();
	ck_assert_int_eq(vg_send(&kch, VM_PKT_DATA_INBAND, 0, 0, &type9, 4), 0);	/* unknown */
	ck_assert_int_eq(vg_send(&kch, VM_PKT_DATA_INBAND, 0, 0, &shortrq, 0), 0);	/* empty */
	ck_assert_int_eq(vg_send(&kch, VM_PKT_COMP, 0, 0, &shortrq, sizeof(shortrq)), 0);	/* ignored */
	ck_assert(WAIT_UNTIL(kstatus().bad == 2, VG_TMO));
	ck_assert(kstatus().connected);
	ck_assert_int_eq(key(0x10, true), 0);
	kbd_event(0x10, 0);
	/* A packet larger than any message ends the channel. */
	ck_assert_int_eq(vg_send(&kch, VM_PKT_DATA_INBAND, 0, 0, big, sizeof(big)), 0);
	ck_assert(WAIT_UNTIL(!kstatus().open, VG_TMO));
	ck_assert_int_eq(key(0x10, true), -ENODEV);
}
END_TEST

/* Descriptors that lie about their own size, fed straight to the parser. */
START_TEST(kbd_malformed_descriptors)
{
	uint8_t p[64] = { 0 };
	struct vmbus_packet_desc *d = (void *)p;

	kbd_connect();
	d->type = VM_PKT_DATA_INBAND;
	d->offset8 = 1;	/* inside the descriptor */
	host((struct call){ .what = C_KPACKET, .pkt = p, .len = 24 });
	d->offset8 = 200;	/* past the end */
	host((struct call){ .what = C_KPACKET, .pkt = p, .len = 24 });
	host((struct call){ .what = C_KPACKET, .pkt = p, .len = 3 });	/* not even a descriptor */
	ck_assert_uint_eq(kstatus().bad, 3);
	ck_assert(kstatus().connected);
}
END_TEST

/* More events than the ring holds wait, and go in order as the guest reads. */
START_TEST(kbd_queue)
{
	unsigned n = 0, sent;

	kbd_connect();
	for (sent = 0; sent < 1000; sent++)
		ck_assert_int_eq(key(0x1e, (sent & 1) == 0), 0);
	ck_assert_uint_gt(kstatus().queued, 0);
	while (n < sent) {
		kbd_event(0x1e, (n & 1) ? SYNTH_KBD_IS_BREAK : 0);
		n++;
	}
	kbd_nothing();
	ck_assert_uint_eq(kstatus().queued, 0);
	ck_assert_uint_eq(kstatus().events, sent);
}
END_TEST

/* ---- keysyms ---------------------------------------------------------------------------- */

START_TEST(keysym_shift)
{
	kbd_connect();
	/* 'A' without Shift held: Shift goes down and up around it. */
	ck_assert_int_eq(keysym('A', true), 0);
	kbd_event(0x2a, 0);
	kbd_event(0x1e, 0);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	ck_assert_int_eq(keysym('A', false), 0);
	kbd_event(0x1e, SYNTH_KBD_IS_BREAK);
	/* With Shift held (as an RFB client sends it), 'A' is the key alone; '1' with
	 * Shift held loses it for its press. */
	ck_assert_int_eq(keysym(0xffe1, true), 0);
	kbd_event(0x2a, 0);
	ck_assert_int_eq(keysym('A', true), 0);
	kbd_event(0x1e, 0);
	ck_assert_int_eq(keysym('1', true), 0);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	kbd_event(0x02, 0);
	kbd_event(0x2a, 0);
	/* A release matches its press, whatever Shift did meanwhile. */
	ck_assert_int_eq(keysym(0xffe1, false), 0);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	ck_assert_int_eq(keysym('a', false), 0);	/* never pressed as 'a' */
	ck_assert_int_eq(keysym('A', false), 0);
	kbd_event(0x1e, SYNTH_KBD_IS_BREAK);
	ck_assert_int_eq(keysym('1', false), 0);
	kbd_event(0x02, SYNTH_KBD_IS_BREAK);
	/* Pause: E1 1D 45 E1 9D C5 at once, nothing on release. */
	ck_assert_int_eq(keysym(0xff13, true), 0);
	kbd_event(0x1d, SYNTH_KBD_IS_E1);
	kbd_event(0x45, 0);
	kbd_event(0x1d, SYNTH_KBD_IS_E1 | SYNTH_KBD_IS_BREAK);
	kbd_event(0x45, SYNTH_KBD_IS_BREAK);
	ck_assert_int_eq(keysym(0xff13, false), 0);
	/* No key on the layout. */
	ck_assert_int_eq(keysym(0x20ac, true), -ENOENT);
	kbd_nothing();
}
END_TEST

START_TEST(key_names)
{
	uint32_t ks;

	ck_assert_int_eq(input_keysym_from_name("Return", &ks), 0);
	ck_assert_uint_eq(ks, 0xff0d);
	ck_assert_int_eq(input_keysym_from_name("enter", &ks), 0);
	ck_assert_uint_eq(ks, 0xff0d);
	ck_assert_int_eq(input_keysym_from_name("CTRL", &ks), 0);
	ck_assert_uint_eq(ks, 0xffe3);
	ck_assert_int_eq(input_keysym_from_name("f12", &ks), 0);
	ck_assert_uint_eq(ks, 0xffc9);
	ck_assert_int_eq(input_keysym_from_name("A", &ks), 0);
	ck_assert_uint_eq(ks, 'A');
	ck_assert_int_eq(input_keysym_from_name("+", &ks), 0);
	ck_assert_uint_eq(ks, '+');
	ck_assert_int_eq(input_keysym_from_name("F13", &ks), -ENOENT);
	ck_assert_int_eq(input_keysym_from_name("\x01", &ks), -ENOENT);
	ck_assert_int_eq(input_keysym_from_name("\xc3\xa9", &ks), -ENOENT);
	ck_assert_int_eq(input_keysym_from_char('\n', &ks), 0);
	ck_assert_uint_eq(ks, 0xff0d);
	ck_assert_int_eq(input_keysym_from_char(0xe9, &ks), -ENOENT);
}
END_TEST

/* ---- the mouse -------------------------------------------------------------------------------- */

START_TEST(mouse_reports)
{
	ck_assert_int_eq(report(0, 1, 2, 0), -ENODEV);
	mouse_connect();
	ck_assert_int_eq(report(SYNTH_MOUSE_BTN_LEFT, 16384, 32767, 0), 0);
	mouse_report_is(1, 16384, 32767, 0);
	ck_assert_int_eq(report(0, 0, 0, -3), 0);
	mouse_report_is(0, 0, 0, -3);
	ck_assert_int_eq(report(0x20, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(report(0, 32768, 0, 0), -EINVAL);
	ck_assert_int_eq(report(0, 0, 0, -32768), -EINVAL);
	ck_assert_uint_eq(mstatus().reports, 2);
	ck_assert_uint_eq(mstatus().bad, 0);
}
END_TEST

START_TEST(mouse_version_refused)
{
	struct synthhid_protocol_response rs;
	uint32_t size;

	mouse_request(0x00010000);
	memcpy(&rs, mouse_msg(SYNTH_HID_PROTOCOL_RESPONSE, &size), sizeof(rs));
	ck_assert_uint_eq(rs.approved, 0);
	/* No description follows, and an ack now is out of order. */
	mouse_ack();
	ck_assert(WAIT_UNTIL(mstatus().bad == 1, VG_TMO));
	ck_assert(!mstatus().connected);
	ck_assert_uint_eq(vg_read_avail(&mch), 0);
	mouse_connect();
}
END_TEST

START_TEST(mouse_hostile)
{
	uint8_t body[16] = { 0 };
	uint32_t v = SYNTHHID_INPUT_VERSION;

	mouse_connect();
	memcpy(body, &v, 4);
	mouse_send(200, SYNTH_HID_PROTOCOL_REQUEST, 4, body, 4);	/* pipe size past the packet */
	mouse_send(12, SYNTH_HID_PROTOCOL_REQUEST, 40, body, 4);	/* message past the pipe's */
	mouse_send(4, SYNTH_HID_PROTOCOL_REQUEST, 4, body, 4);		/* pipe smaller than a header */
	mouse_send(12, SYNTH_HID_PROTOCOL_REQUEST, 2, body, 4);		/* request without a version */
	mouse_send(12, 77, 4, body, 4);					/* unknown */
	ck_assert(WAIT_UNTIL(mstatus().bad == 5, VG_TMO));
	/* None of them touched the connection. */
	ck_assert(mstatus().connected);
	ck_assert_uint_eq(vg_read_avail(&mch), 0);
	ck_assert_int_eq(report(2, 3, 4, 5), 0);
	mouse_report_is(2, 3, 4, 5);
}
END_TEST

/* ---- the methods ------------------------------------------------------------------------------- */

START_TEST(send_keys_method)
{
	struct json_object *r;

	json_object_put(rpc_err(t, "input.send_keys", "{\"text\":\"ls\"}", MGMT_ERR_NO_DEVICE));
	kbd_connect();
	r = rpc_ok(t, "input.send_keys", "{\"text\":\"l:\\n\",\"keys\":\"ctrl+alt+Delete\"}");
	ck_assert_int_eq(json_object_get_int(get(get(r, "result"), "events")), 12);
	json_object_put(r);
	kbd_event(0x26, 0);
	kbd_event(0x26, SYNTH_KBD_IS_BREAK);
	kbd_event(0x2a, 0);
	kbd_event(0x27, 0);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	kbd_event(0x27, SYNTH_KBD_IS_BREAK);
	kbd_event(0x1c, 0);
	kbd_event(0x1c, SYNTH_KBD_IS_BREAK);
	kbd_event(0x1d, 0);
	kbd_event(0x38, 0);
	kbd_event(0x53, SYNTH_KBD_IS_E0);
	kbd_event(0x53, SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_BREAK);
	kbd_event(0x38, SYNTH_KBD_IS_BREAK);
	kbd_event(0x1d, SYNTH_KBD_IS_BREAK);
	/* An array of combinations, and '+' as a key. */
	json_object_put(rpc_ok(t, "input.send_keys", "{\"keys\":[\"shift++\", \"Up\"]}"));
	kbd_event(0x2a, 0);
	kbd_event(0x0d, 0);
	kbd_event(0x0d, SYNTH_KBD_IS_BREAK);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	kbd_event(0x48, SYNTH_KBD_IS_E0);
	kbd_event(0x48, SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_BREAK);
	/* A combination's Shift stays down for its other keys. */
	json_object_put(rpc_ok(t, "input.send_keys", "{\"keys\":\"ctrl+shift+t\"}"));
	kbd_event(0x1d, 0);
	kbd_event(0x2a, 0);
	kbd_event(0x14, 0);
	kbd_event(0x14, SYNTH_KBD_IS_BREAK);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	kbd_event(0x1d, SYNTH_KBD_IS_BREAK);
	/* A CRLF in text is one Return. */
	json_object_put(rpc_ok(t, "input.send_keys", "{\"text\":\"a\\r\\nb\"}"));
	kbd_event(0x1e, 0);
	kbd_event(0x1e, SYNTH_KBD_IS_BREAK);
	kbd_event(0x1c, 0);
	kbd_event(0x1c, SYNTH_KBD_IS_BREAK);
	kbd_event(0x30, 0);
	kbd_event(0x30, SYNTH_KBD_IS_BREAK);
	/* Nothing is sent for a call with any bad part. */
	json_object_put(rpc_err(t, "input.send_keys", "{}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"text\":\"ok\",\"keys\":\"Return Nokey\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"keys\":\"ctrl+\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"keys\":\"a+b+c+d+e+f+g+h+i\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"keys\":7}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"keys\":[\"a\",7]}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"text\":\"caf\\u00e9\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.send_keys", "{\"text\":\"x\",\"hold\":1}", JSONRPC_INVALID_PARAMS));
	kbd_nothing();
}
END_TEST

START_TEST(send_keys_too_many)
{
	char params[4200] = "{\"text\":\"";
	size_t n = strlen(params);

	kbd_connect();
	for (int i = 0; i < 513; i++)
		params[n++] = 'x';
	strcpy(params + n, "\"}");
	json_object_put(rpc_err(t, "input.send_keys", params, JSONRPC_INVALID_PARAMS));
	kbd_nothing();
	/* The most a call may hold is accepted with the queue empty: 512 characters. */
	strcpy(params + n - 1, "\"}");
	{
		struct json_object *r = rpc_ok(t, "input.send_keys", params);

		ck_assert_int_eq(json_object_get_int(get(get(r, "result"), "events")), 1024);
		json_object_put(r);
	}
}
END_TEST

START_TEST(pointer_method)
{
	struct json_object *r, *res;

	json_object_put(rpc_err(t, "input.pointer", "{\"x\":1}", MGMT_ERR_NO_DEVICE));
	mouse_connect();
	r = rpc_ok(t, "input.pointer", "{\"x\":100,\"y\":32767,\"buttons\":\"left+middle\"}");
	res = get(r, "result");
	ck_assert_int_eq(json_object_get_int(get(res, "x")), 100);
	ck_assert_int_eq(json_object_get_int(get(res, "y")), 32767);
	ck_assert_uint_eq(json_object_array_length(get(res, "buttons")), 2);
	json_object_put(r);
	mouse_report_is(SYNTH_MOUSE_BTN_LEFT | SYNTH_MOUSE_BTN_MIDDLE, 100, 32767, 0);
	/* What is not given stays. */
	json_object_put(rpc_ok(t, "input.pointer", "{\"wheel\":-2}"));
	mouse_report_is(SYNTH_MOUSE_BTN_LEFT | SYNTH_MOUSE_BTN_MIDDLE, 100, 32767, -2);
	json_object_put(rpc_ok(t, "input.pointer", "{\"buttons\":\"none\",\"x\":0}"));
	mouse_report_is(0, 0, 32767, 0);
	json_object_put(rpc_err(t, "input.pointer", "{\"x\":32768}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.pointer", "{\"y\":-1}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.pointer", "{\"buttons\":\"left+\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.pointer", "{\"buttons\":\"thumb\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "input.pointer", "{\"wheel\":40000}", JSONRPC_INVALID_PARAMS));
	usleep(20000);
	ck_assert_uint_eq(vg_read_avail(&mch), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("synth_input");
	TCase *tc = tcase_create("devices");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kbd_offer);
	tcase_add_test(tc, kbd_keys);
	tcase_add_test(tc, kbd_version_refused);
	tcase_add_test(tc, kbd_leds);
	tcase_add_test(tc, kbd_hostile);
	tcase_add_test(tc, kbd_malformed_descriptors);
	tcase_add_test(tc, kbd_queue);
	tcase_add_test(tc, keysym_shift);
	tcase_add_test(tc, key_names);
	tcase_add_test(tc, mouse_reports);
	tcase_add_test(tc, mouse_version_refused);
	tcase_add_test(tc, mouse_hostile);
	tcase_add_test(tc, send_keys_method);
	tcase_add_test(tc, send_keys_too_many);
	tcase_add_test(tc, pointer_method);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
