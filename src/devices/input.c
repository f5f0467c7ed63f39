/* SPDX-License-Identifier: MIT */
#include "input.h"
#include "synth_kbd.h"
#include "synth_mouse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HELD	64	/* keys down at once */

#define SC_LSHIFT	0x2a
#define SC_RSHIFT	0x36
#define SC_PAUSE	0xe11d	/* E1 1D 45, and its release at once */

struct input {
	struct synth_kbd *kbd;
	struct synth_mouse *mouse;
	struct { uint32_t keysym; uint16_t code; } held[MAX_HELD];
	unsigned nheld;
	uint16_t x, y;
	uint8_t buttons;
};

/* ---- the US layout ------------------------------------------------------------------ */

enum shift { ANY, NO_SHIFT, SHIFT };

/* Printable ASCII 0x20..0x7e: the key and whether it needs Shift. */
static const struct { uint8_t code, shift; } ascii[95] = {
	[' ' - 32] = { 0x39, ANY },
	['!' - 32] = { 0x02, SHIFT }, ['"' - 32] = { 0x28, SHIFT }, ['#' - 32] = { 0x04, SHIFT },
	['$' - 32] = { 0x05, SHIFT }, ['%' - 32] = { 0x06, SHIFT }, ['&' - 32] = { 0x08, SHIFT },
	['\'' - 32] = { 0x28, NO_SHIFT }, ['(' - 32] = { 0x0a, SHIFT }, [')' - 32] = { 0x0b, SHIFT },
	['*' - 32] = { 0x09, SHIFT }, ['+' - 32] = { 0x0d, SHIFT }, [',' - 32] = { 0x33, NO_SHIFT },
	['-' - 32] = { 0x0c, NO_SHIFT }, ['.' - 32] = { 0x34, NO_SHIFT }, ['/' - 32] = { 0x35, NO_SHIFT },
	['0' - 32] = { 0x0b, NO_SHIFT }, ['1' - 32] = { 0x02, NO_SHIFT }, ['2' - 32] = { 0x03, NO_SHIFT },
	['3' - 32] = { 0x04, NO_SHIFT }, ['4' - 32] = { 0x05, NO_SHIFT }, ['5' - 32] = { 0x06, NO_SHIFT },
	['6' - 32] = { 0x07, NO_SHIFT }, ['7' - 32] = { 0x08, NO_SHIFT }, ['8' - 32] = { 0x09, NO_SHIFT },
	['9' - 32] = { 0x0a, NO_SHIFT }, [':' - 32] = { 0x27, SHIFT }, [';' - 32] = { 0x27, NO_SHIFT },
	['<' - 32] = { 0x33, SHIFT }, ['=' - 32] = { 0x0d, NO_SHIFT }, ['>' - 32] = { 0x34, SHIFT },
	['?' - 32] = { 0x35, SHIFT }, ['@' - 32] = { 0x03, SHIFT }, ['[' - 32] = { 0x1a, NO_SHIFT },
	['\\' - 32] = { 0x2b, NO_SHIFT }, [']' - 32] = { 0x1b, NO_SHIFT }, ['^' - 32] = { 0x07, SHIFT },
	['_' - 32] = { 0x0c, SHIFT }, ['`' - 32] = { 0x29, NO_SHIFT }, ['{' - 32] = { 0x1a, SHIFT },
	['|' - 32] = { 0x2b, SHIFT }, ['}' - 32] = { 0x1b, SHIFT }, ['~' - 32] = { 0x29, SHIFT },
};

/* The letters' keys, a to z. */
static const uint8_t letters[26] = {
	0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
	0x31, 0x18, 0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, 0x2d, 0x15, 0x2c,
};

/* Keysyms beyond ASCII (X11 keysymdef.h) and their keys. */
static const struct { uint32_t keysym; uint16_t code; } special[] = {
	{ 0xff08, 0x0e },	/* BackSpace */
	{ 0xff09, 0x0f },	/* Tab */
	{ 0xff0d, 0x1c },	/* Return */
	{ 0xff13, SC_PAUSE },	/* Pause */
	{ 0xff14, 0x46 },	/* Scroll_Lock */
	{ 0xff15, 0x54 },	/* Sys_Req */
	{ 0xff1b, 0x01 },	/* Escape */
	{ 0xff50, 0xe047 },	/* Home */
	{ 0xff51, 0xe04b },	/* Left */
	{ 0xff52, 0xe048 },	/* Up */
	{ 0xff53, 0xe04d },	/* Right */
	{ 0xff54, 0xe050 },	/* Down */
	{ 0xff55, 0xe049 },	/* Prior (Page Up) */
	{ 0xff56, 0xe051 },	/* Next (Page Down) */
	{ 0xff57, 0xe04f },	/* End */
	{ 0xff61, 0xe037 },	/* Print */
	{ 0xff63, 0xe052 },	/* Insert */
	{ 0xff67, 0xe05d },	/* Menu */
	{ 0xff7f, 0x45 },	/* Num_Lock */
	{ 0xff8d, 0xe01c },	/* KP_Enter */
	{ 0xffaa, 0x37 },	/* KP_Multiply */
	{ 0xffab, 0x4e },	/* KP_Add */
	{ 0xffad, 0x4a },	/* KP_Subtract */
	{ 0xffae, 0x53 },	/* KP_Decimal */
	{ 0xffaf, 0xe035 },	/* KP_Divide */
	{ 0xffb0, 0x52 }, { 0xffb1, 0x4f }, { 0xffb2, 0x50 }, { 0xffb3, 0x51 }, { 0xffb4, 0x4b },
	{ 0xffb5, 0x4c }, { 0xffb6, 0x4d }, { 0xffb7, 0x47 }, { 0xffb8, 0x48 }, { 0xffb9, 0x49 },
	{ 0xffbe, 0x3b }, { 0xffbf, 0x3c }, { 0xffc0, 0x3d }, { 0xffc1, 0x3e }, { 0xffc2, 0x3f },
	{ 0xffc3, 0x40 }, { 0xffc4, 0x41 }, { 0xffc5, 0x42 }, { 0xffc6, 0x43 }, { 0xffc7, 0x44 },
	{ 0xffc8, 0x57 }, { 0xffc9, 0x58 },	/* F1..F12 */
	{ 0xffe1, SC_LSHIFT },	/* Shift_L */
	{ 0xffe2, SC_RSHIFT },	/* Shift_R */
	{ 0xffe3, 0x1d },	/* Control_L */
	{ 0xffe4, 0xe01d },	/* Control_R */
	{ 0xffe5, 0x3a },	/* Caps_Lock */
	{ 0xffe7, 0xe05b },	/* Meta_L */
	{ 0xffe8, 0xe05c },	/* Meta_R */
	{ 0xffe9, 0x38 },	/* Alt_L */
	{ 0xffea, 0xe038 },	/* Alt_R */
	{ 0xffeb, 0xe05b },	/* Super_L */
	{ 0xffec, 0xe05c },	/* Super_R */
	{ 0xfe03, 0xe038 },	/* ISO_Level3_Shift (AltGr) */
	{ 0xffff, 0xe053 },	/* Delete */
};

static int keysym_key(uint32_t keysym, uint16_t *code, enum shift *shift)
{
	*shift = ANY;
	if (keysym >= 'a' && keysym <= 'z') {
		*code = letters[keysym - 'a'];
		*shift = NO_SHIFT;
		return 0;
	}
	if (keysym >= 'A' && keysym <= 'Z') {
		*code = letters[keysym - 'A'];
		*shift = SHIFT;
		return 0;
	}
	if (keysym >= 0x20 && keysym <= 0x7e) {
		*code = ascii[keysym - 0x20].code;
		*shift = ascii[keysym - 0x20].shift;
		return 0;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		if (special[i].keysym == keysym) {
			*code = special[i].code;
			return 0;
		}
	}
	return -ENOENT;
}

/* Names: X keysym names with more than one character, and short ones. */
static const struct { const char *name; uint32_t keysym; } names[] = {
	{ "BackSpace", 0xff08 }, { "Tab", 0xff09 }, { "Return", 0xff0d }, { "Enter", 0xff0d },
	{ "Pause", 0xff13 }, { "Scroll_Lock", 0xff14 }, { "Sys_Req", 0xff15 }, { "Escape", 0xff1b },
	{ "Esc", 0xff1b }, { "Home", 0xff50 }, { "Left", 0xff51 }, { "Up", 0xff52 }, { "Right", 0xff53 },
	{ "Down", 0xff54 }, { "Prior", 0xff55 }, { "Page_Up", 0xff55 }, { "PgUp", 0xff55 },
	{ "Next", 0xff56 }, { "Page_Down", 0xff56 }, { "PgDn", 0xff56 }, { "End", 0xff57 },
	{ "Print", 0xff61 }, { "Insert", 0xff63 }, { "Ins", 0xff63 }, { "Menu", 0xff67 },
	{ "Num_Lock", 0xff7f }, { "KP_Enter", 0xff8d }, { "KP_Multiply", 0xffaa }, { "KP_Add", 0xffab },
	{ "KP_Subtract", 0xffad }, { "KP_Decimal", 0xffae }, { "KP_Divide", 0xffaf },
	{ "KP_0", 0xffb0 }, { "KP_1", 0xffb1 }, { "KP_2", 0xffb2 }, { "KP_3", 0xffb3 }, { "KP_4", 0xffb4 },
	{ "KP_5", 0xffb5 }, { "KP_6", 0xffb6 }, { "KP_7", 0xffb7 }, { "KP_8", 0xffb8 }, { "KP_9", 0xffb9 },
	{ "F1", 0xffbe }, { "F2", 0xffbf }, { "F3", 0xffc0 }, { "F4", 0xffc1 }, { "F5", 0xffc2 },
	{ "F6", 0xffc3 }, { "F7", 0xffc4 }, { "F8", 0xffc5 }, { "F9", 0xffc6 }, { "F10", 0xffc7 },
	{ "F11", 0xffc8 }, { "F12", 0xffc9 },
	{ "Shift_L", 0xffe1 }, { "Shift", 0xffe1 }, { "Shift_R", 0xffe2 },
	{ "Control_L", 0xffe3 }, { "Control", 0xffe3 }, { "Ctrl", 0xffe3 }, { "Control_R", 0xffe4 },
	{ "Caps_Lock", 0xffe5 }, { "Meta_L", 0xffe7 }, { "Meta_R", 0xffe8 },
	{ "Alt_L", 0xffe9 }, { "Alt", 0xffe9 }, { "Alt_R", 0xffea }, { "AltGr", 0xfe03 },
	{ "ISO_Level3_Shift", 0xfe03 }, { "Super_L", 0xffeb }, { "Super", 0xffeb }, { "Win", 0xffeb },
	{ "Super_R", 0xffec }, { "Delete", 0xffff }, { "Del", 0xffff },
	{ "space", ' ' }, { "minus", '-' }, { "plus", '+' }, { "equal", '=' }, { "comma", ',' },
	{ "period", '.' }, { "slash", '/' }, { "backslash", '\\' }, { "semicolon", ';' },
	{ "apostrophe", '\'' }, { "grave", '`' }, { "bracketleft", '[' }, { "bracketright", ']' },
};

int input_keysym_from_name(const char *name, uint32_t *keysym)
{
	if (name[0] && !name[1]) {
		if ((unsigned char)name[0] < 0x20 || (unsigned char)name[0] > 0x7e)
			return -ENOENT;
		*keysym = (unsigned char)name[0];
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(names[i].name, name)) {
			*keysym = names[i].keysym;
			return 0;
		}
	}
	return -ENOENT;
}

int input_keysym_from_char(uint32_t c, uint32_t *keysym)
{
	if (c == '\n' || c == '\r')
		*keysym = 0xff0d;
	else if (c == '\t')
		*keysym = 0xff09;
	else if (c >= 0x20 && c <= 0x7e)
		*keysym = c;
	else
		return -ENOENT;
	return 0;
}

/* ---- keys ----------------------------------------------------------------------------- */

struct input *input_new(struct synth_kbd *kbd, struct synth_mouse *mouse)
{
	struct input *in = calloc(1, sizeof(*in));

	if (in) {
		in->kbd = kbd;
		in->mouse = mouse;
	}
	return in;
}

void input_free(struct input *in)
{
	free(in);
}

bool input_key_room(const struct input *in, unsigned n)
{
	return in->kbd && n <= SYNTH_KBD_QUEUE / INPUT_MAX_CODES_PER_KEYSYM &&
	       synth_kbd_room(in->kbd, n * INPUT_MAX_CODES_PER_KEYSYM);
}

bool input_kbd_connected(const struct input *in)
{
	struct synth_kbd_status st;

	if (!in->kbd)
		return false;
	synth_kbd_get_status(in->kbd, &st);
	return st.connected;
}

static bool code_held(const struct input *in, uint16_t code)
{
	for (unsigned i = 0; i < in->nheld; i++)
		if (in->held[i].code == code)
			return true;
	return false;
}

static int held_find(const struct input *in, uint32_t keysym)
{
	for (unsigned i = 0; i < in->nheld; i++)
		if (in->held[i].keysym == keysym)
			return (int)i;
	return -1;
}

static int key_down(struct input *in, uint32_t keysym, bool keep_shift)
{
	bool lshift = code_held(in, SC_LSHIFT), rshift = code_held(in, SC_RSHIFT);
	uint16_t code;
	enum shift shift;
	int r = keysym_key(keysym, &code, &shift);

	if (r < 0)
		return r;
	if (!synth_kbd_room(in->kbd, INPUT_MAX_CODES_PER_KEYSYM))
		return -ENOBUFS;
	if (code == SC_PAUSE) {
		/* No release of its own: E1 1D 45 E1 9D C5 in one go. */
		if ((r = synth_kbd_key(in->kbd, SC_PAUSE, true)) < 0)
			return r;
		synth_kbd_key(in->kbd, 0x45, true);
		synth_kbd_key(in->kbd, SC_PAUSE, false);
		synth_kbd_key(in->kbd, 0x45, false);
		return 0;
	}
	if (held_find(in, keysym) >= 0)
		return synth_kbd_key(in->kbd, code, true);	/* auto-repeat */
	if (in->nheld == MAX_HELD)
		return -ENOBUFS;
	if (shift == SHIFT && !lshift && !rshift) {
		if ((r = synth_kbd_key(in->kbd, SC_LSHIFT, true)) < 0)
			return r;
		synth_kbd_key(in->kbd, code, true);
		synth_kbd_key(in->kbd, SC_LSHIFT, false);
	} else if (shift == NO_SHIFT && (lshift || rshift) && !keep_shift) {
		/* The shifts held go up for the key and down again after it. */
		if (lshift && (r = synth_kbd_key(in->kbd, SC_LSHIFT, false)) < 0)
			return r;
		if (rshift && (r = synth_kbd_key(in->kbd, SC_RSHIFT, false)) < 0)
			return r;
		synth_kbd_key(in->kbd, code, true);
		if (lshift)
			synth_kbd_key(in->kbd, SC_LSHIFT, true);
		if (rshift)
			synth_kbd_key(in->kbd, SC_RSHIFT, true);
	} else if ((r = synth_kbd_key(in->kbd, code, true)) < 0) {
		return r;
	}
	in->held[in->nheld].keysym = keysym;
	in->held[in->nheld].code = code;
	in->nheld++;
	return 0;
}

static int key_event(struct input *in, uint32_t keysym, bool down, bool keep_shift)
{
	int i, r;

	if (!in->kbd)
		return -ENODEV;
	if (!input_kbd_connected(in)) {
		in->nheld = 0;	/* a new driver starts with every key up */
		return -ENODEV;
	}
	if (down)
		return key_down(in, keysym, keep_shift);
	i = held_find(in, keysym);
	if (i < 0)
		return 0;
	r = synth_kbd_key(in->kbd, in->held[i].code, false);
	if (r < 0)
		return r;
	in->held[i] = in->held[--in->nheld];
	return 0;
}

int input_keysym(struct input *in, uint32_t keysym, bool down)
{
	return key_event(in, keysym, down, false);
}

int input_keysym_combo(struct input *in, uint32_t keysym, bool down)
{
	return key_event(in, keysym, down, true);
}

void input_release_all(struct input *in)
{
	while (in->nheld && input_keysym(in, in->held[in->nheld - 1].keysym, false) == 0)
		;
	in->nheld = 0;
}

/* ---- the pointer ------------------------------------------------------------------------ */

int input_pointer(struct input *in, uint16_t x, uint16_t y, uint8_t buttons, int16_t wheel)
{
	int r;

	if (!in->mouse)
		return -ENODEV;
	r = synth_mouse_report(in->mouse, buttons, x, y, wheel);
	if (r == 0) {
		in->x = x;
		in->y = y;
		in->buttons = buttons;
	}
	return r;
}

void input_pointer_state(const struct input *in, uint16_t *x, uint16_t *y, uint8_t *buttons)
{
	*x = in->x;
	*y = in->y;
	*buttons = in->buttons;
}
