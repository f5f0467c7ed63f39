/* SPDX-License-Identifier: MIT */
/*
 * The guest's keyboard and pointer as front ends see them: the management socket's
 * input.* methods, and a remote display. Keys are X keysyms (what an RFB client
 * sends, and what key names stand for), turned into scan code set 1 for a US
 * layout; the pointer is absolute, in the synthetic mouse's units. This keeps what is
 * held (keys, buttons, the position), so that a character that needs Shift gets it
 * (or loses it) for just its own press, and a release matches its press.
 * Everything here is on the loop thread.
 */
#ifndef HVKVM_INPUT_H
#define HVKVM_INPUT_H

#include <stdbool.h>
#include <stdint.h>

struct synth_kbd;
struct synth_mouse;
struct input;

/* Scan code events one keysym event can take: a key that must not be shifted while
 * both Shift keys are held, the shifts released and pressed again around it. */
#define INPUT_MAX_CODES_PER_KEYSYM	5

/* kbd and mouse may be NULL (the machine has no VMBus): their calls fail with -ENODEV. */
struct input *input_new(struct synth_kbd *kbd, struct synth_mouse *mouse);
void input_free(struct input *in);

/*
 * A key pressed or released. 0; -ENOENT for a keysym without a key on the layout;
 * -ENODEV, -ENOBUFS as synth_kbd_key(). A release of a key not held is ignored.
 */
int input_keysym(struct input *in, uint32_t keysym, bool down);
/*
 * The same for a key of a named combination (ctrl+shift+t): Shift is pressed for a
 * keysym that needs it, but a Shift the combination holds is never released around a
 * key that does not, so the combination reaches the guest as named.
 */
int input_keysym_combo(struct input *in, uint32_t keysym, bool down);
/* Release every key held (a front end went away). */
void input_release_all(struct input *in);
/* Room for n keysym events in the keyboard's queue. */
bool input_key_room(const struct input *in, unsigned n);
/* Whether the guest's keyboard driver is there. */
bool input_kbd_connected(const struct input *in);

/*
 * The keysym a key name stands for: an X keysym name (Return, BackSpace, Control_L,
 * F5, KP_Enter, a ...), a short name (enter, esc, ctrl, alt, shift, win, del, pgup,
 * ...; these and X names of more than one character in any case), or one printable
 * ASCII character as itself. -ENOENT if none.
 */
int input_keysym_from_name(const char *name, uint32_t *keysym);
/* The keysym of a character typed as text ('\n' Return, '\t' Tab); -ENOENT if the
 * layout has no key for it. */
int input_keysym_from_char(uint32_t c, uint32_t *keysym);

/* The pointer: buttons held (SYNTH_MOUSE_BTN_*), the position (0..32767 each axis),
 * wheel clicks now. As synth_mouse_report(). */
int input_pointer(struct input *in, uint16_t x, uint16_t y, uint8_t buttons, int16_t wheel);
void input_pointer_state(const struct input *in, uint16_t *x, uint16_t *y, uint8_t *buttons);

#endif
