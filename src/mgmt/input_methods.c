/* SPDX-License-Identifier: MIT */
/* input.send_keys and input.pointer: the guest's synthetic keyboard and mouse, fed
 * through input.h as a remote display would. */
#include "input.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "synth_kbd.h"
#include "synth_mouse.h"
#include "synthhid_proto.h"
#include "synthkbd_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_KEY_EVENTS	1024	/* presses and releases in one call */
/* Each of them fits in the keyboard's queue, however many scan codes it takes. */
_Static_assert(MAX_KEY_EVENTS * INPUT_MAX_CODES_PER_KEYSYM <= SYNTH_KBD_QUEUE, "key events outgrow the queue");
#define MAX_TEXT	4096	/* bytes of text or keys */
#define MAX_NAME	32

struct key_ev {
	uint32_t keysym;
	bool down;
	bool combo;	/* of a named combination: Shift held stays held */
};

struct key_list {
	struct key_ev ev[MAX_KEY_EVENTS];
	unsigned n;
};

static bool list_add(struct key_list *l, uint32_t keysym, bool down, bool combo)
{
	if (l->n == MAX_KEY_EVENTS)
		return false;
	l->ev[l->n++] = (struct key_ev){ keysym, down, combo };
	return true;
}

/* key: the parameter whose events crossed the limit (text's come first). */
static void too_many(struct mgmt_call *call, const char *key)
{
	mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
		   "Invalid params: at most %u key presses and releases in one call", MAX_KEY_EVENTS);
}

/* Each character pressed and released. */
static bool add_text(struct mgmt_call *call, struct key_list *l, const char *text)
{
	for (size_t i = 0; text[i]; i++) {
		uint32_t ks;

		if (text[i] == '\r' && text[i + 1] == '\n')
			continue;	/* a CRLF line end is one Return */
		if (input_keysym_from_char((unsigned char)text[i], &ks) < 0) {
			mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("text"),
				   "Invalid params: \"text\": byte %zu (0x%02x) has no key on the US layout", i,
				   (unsigned char)text[i]);
			return false;
		}
		if (!list_add(l, ks, true, false) || !list_add(l, ks, false, false)) {
			too_many(call, "text");
			return false;
		}
	}
	return true;
}

/* A combination "ctrl+alt+Delete": pressed in order, released in reverse. A '+' where
 * a key name starts is the key itself ("ctrl++"). */
static bool add_combo(struct mgmt_call *call, struct key_list *l, const char *s, size_t len)
{
	uint32_t ks[8];
	unsigned n = 0;
	size_t p = 0;

	while (p < len) {
		char name[MAX_NAME + 1];
		size_t q = p + 1;

		if (s[p] != '+')
			while (q < len && s[q] != '+')
				q++;
		if (q - p > MAX_NAME || n == sizeof(ks) / sizeof(ks[0]))
			goto bad;
		memcpy(name, s + p, q - p);
		name[q - p] = 0;
		if (input_keysym_from_name(name, &ks[n]) < 0) {
			mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("keys"),
				   "Invalid params: \"keys\": no key is named \"%s\"", name);
			return false;
		}
		n++;
		p = q;
		if (p < len) {
			/* a '+' between keys, never at the end */
			if (++p == len)
				goto bad;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!list_add(l, ks[i], true, true))
			goto many;
	for (unsigned i = n; i-- > 0;)
		if (!list_add(l, ks[i], false, true))
			goto many;
	return true;
bad:
	mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("keys"),
		   "Invalid params: \"keys\": \"%.*s\" is not a key combination (names joined by '+', at most 8)",
		   (int)(len > 64 ? 64 : len), s);
	return false;
many:
	too_many(call, "keys");
	return false;
}

/* Combinations separated by white space. */
static bool add_keys(struct mgmt_call *call, struct key_list *l, const char *s)
{
	while (*s) {
		size_t n;

		s += strspn(s, " \t\n");
		n = strcspn(s, " \t\n");
		if (n && !add_combo(call, l, s, n))
			return false;
		s += n;
	}
	return true;
}

/* keys: a string, or an array of strings. */
static bool get_keys(struct mgmt_call *call, struct json_object *params, struct key_list *l, bool *given)
{
	struct json_object *v;

	*given = params && json_object_object_get_ex(params, "keys", &v) && v;
	if (!*given)
		return true;
	if (json_object_is_type(v, json_type_string))
		return add_keys(call, l, json_object_get_string(v));
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string))
				goto bad;
			if (!add_keys(call, l, json_object_get_string(e)))
				return false;
		}
		return true;
	}
bad:
	mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("keys"),
		   "Invalid params: \"keys\" must be a string or an array of strings");
	return false;
}

static void input_send_keys(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "text", "keys", NULL };
	static struct key_list l;	/* the loop thread's: one call at a time */
	struct machine *m = opaque;
	const char *text = NULL;
	struct jsonrpc_error e;
	struct json_object *res;
	bool keys;
	int r;

	l.n = 0;
	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_string(params, "text", false, MAX_TEXT, &text, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if ((text && !add_text(call, &l, text)) || !get_keys(call, params, &l, &keys))
		return;
	if (!text && !keys) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(NULL),
			   "Invalid params: give \"text\" or \"keys\" (or both)");
		return;
	}
	if (!mgmt_vm_alive(call, m->vm))
		return;
	if (!m->input || !input_kbd_connected(m->input)) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "%s",
			   m->input ? "the guest's keyboard driver (hyperv_keyboard) has not connected"
				    : "no keyboard: the VM has no VMBus");
		return;
	}
	if (!input_key_room(m->input, l.n)) {
		mgmt_error(call, MGMT_ERR_BUSY, NULL, "too many key events wait for the guest to read them");
		return;
	}
	for (unsigned i = 0; i < l.n; i++) {
		r = l.ev[i].combo ? input_keysym_combo(m->input, l.ev[i].keysym, l.ev[i].down)
				  : input_keysym(m->input, l.ev[i].keysym, l.ev[i].down);
		if (r < 0) {
			input_release_all(m->input);
			mgmt_error(call, r == -ENODEV ? MGMT_ERR_NO_DEVICE : MGMT_ERR_FAILED, mgmt_errno_data(r),
				   "key event %u of %u: %s", i + 1, l.n, strerror(-r));
			return;
		}
	}
	res = json_object_new_object();
	json_object_object_add(res, "events", json_object_new_int((int)l.n));
	mgmt_reply(call, res);
}

static const struct { const char *name; uint8_t bit; } buttons[] = {
	{ "left", SYNTH_MOUSE_BTN_LEFT }, { "right", SYNTH_MOUSE_BTN_RIGHT }, { "middle", SYNTH_MOUSE_BTN_MIDDLE },
	{ "side", SYNTH_MOUSE_BTN_SIDE }, { "extra", SYNTH_MOUSE_BTN_EXTRA },
};

/*
 * "none", or one or more of the buttons' names joined by '+', each at most once
 * ("left+middle"). Nothing else: not "", not a '+' at either end or twice in a row,
 * not another separator, not "none" among names.
 */
static int parse_buttons(const char *s, uint8_t *out)
{
	*out = 0;
	if (!strcmp(s, "none"))
		return 0;
	for (;;) {
		size_t n = strcspn(s, "+");
		size_t i;

		for (i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++)
			if (strlen(buttons[i].name) == n && !strncmp(buttons[i].name, s, n))
				break;
		if (i == sizeof(buttons) / sizeof(buttons[0]) || (*out & buttons[i].bit))
			return -EINVAL;
		*out |= buttons[i].bit;
		s += n;
		if (!*s)
			return 0;
		s++;	/* the '+' before the next name */
	}
}

static void input_pointer_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "x", "y", "buttons", "wheel", NULL };
	struct machine *m = opaque;
	const char *bs = NULL;
	int64_t x, y, wheel = 0;
	uint16_t cx = 0, cy = 0;
	uint8_t b = 0;
	struct jsonrpc_error e;
	struct json_object *res, *arr;
	int r;

	if (m->input)
		input_pointer_state(m->input, &cx, &cy, &b);
	x = cx;
	y = cy;
	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_int(params, "x", false, 0, SYNTH_MOUSE_MAX_COORD, &x, &e) < 0 ||
	    jsonrpc_param_int(params, "y", false, 0, SYNTH_MOUSE_MAX_COORD, &y, &e) < 0 ||
	    jsonrpc_param_string(params, "buttons", false, 64, &bs, &e) < 0 ||
	    jsonrpc_param_int(params, "wheel", false, -32767, 32767, &wheel, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (bs && parse_buttons(bs, &b) < 0) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("buttons"),
			   "Invalid params: \"buttons\": \"%s\" is not none, or some of left, right, middle, side, "
			   "extra joined by '+', each once", bs);
		return;
	}
	if (!mgmt_vm_alive(call, m->vm))
		return;
	if (!m->input) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "no mouse: the VM has no VMBus");
		return;
	}
	r = input_pointer(m->input, (uint16_t)x, (uint16_t)y, b, (int16_t)wheel);
	if (r == -ENODEV) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "the guest's mouse driver (hid_hyperv) has not connected");
		return;
	}
	if (r == -ENOBUFS) {
		mgmt_error(call, MGMT_ERR_BUSY, NULL, "too many reports wait for the guest to read them");
		return;
	}
	if (r < 0) {
		mgmt_error(call, MGMT_ERR_FAILED, mgmt_errno_data(r), "%s", strerror(-r));
		return;
	}
	res = json_object_new_object();
	arr = json_object_new_array();
	for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++)
		if (b & buttons[i].bit)
			json_object_array_add(arr, json_object_new_string(buttons[i].name));
	json_object_object_add(res, "x", json_object_new_int((int)x));
	json_object_object_add(res, "y", json_object_new_int((int)y));
	json_object_object_add(res, "buttons", arr);
	mgmt_reply(call, res);
}

void mgmt_input_devices(struct machine *m, struct json_object *devs)
{
	struct json_object *d, *leds;
	struct synth_kbd_status ks;
	struct synth_mouse_status ms;

	if (m->kbd) {
		synth_kbd_get_status(m->kbd, &ks);
		leds = json_object_new_array();
		if (ks.leds & SYNTH_KBD_LED_SCROLL_LOCK)
			json_object_array_add(leds, json_object_new_string("scroll_lock"));
		if (ks.leds & SYNTH_KBD_LED_NUM_LOCK)
			json_object_array_add(leds, json_object_new_string("num_lock"));
		if (ks.leds & SYNTH_KBD_LED_CAPS_LOCK)
			json_object_array_add(leds, json_object_new_string("caps_lock"));
		d = mgmt_vmbus_device("keyboard", "keyboard", SYNTHKBD_CLASS_ID, SYNTHKBD_INSTANCE_ID, ks.open);
		json_object_object_add(d, "connected", json_object_new_boolean(ks.connected));
		json_object_object_add(d, "leds", leds);
		json_object_object_add(d, "events", json_object_new_int64((int64_t)ks.events));
		json_object_object_add(d, "dropped", json_object_new_int64((int64_t)ks.dropped));
		json_object_object_add(d, "malformed", json_object_new_int64((int64_t)ks.bad));
		json_object_array_add(devs, d);
	}
	if (m->mouse) {
		synth_mouse_get_status(m->mouse, &ms);
		d = mgmt_vmbus_device("mouse", "mouse", SYNTHHID_CLASS_ID, SYNTHHID_INSTANCE_ID, ms.open);
		json_object_object_add(d, "connected", json_object_new_boolean(ms.connected));
		json_object_object_add(d, "reports", json_object_new_int64((int64_t)ms.reports));
		json_object_object_add(d, "dropped", json_object_new_int64((int64_t)ms.dropped));
		json_object_object_add(d, "malformed", json_object_new_int64((int64_t)ms.bad));
		json_object_array_add(devs, d);
	}
}

int mgmt_input_methods_register(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "input.send_keys", input_send_keys },
		{ "input.pointer", input_pointer_m },
	};

	return MGMT_REGISTER_TABLE(m, methods, machine);
}
