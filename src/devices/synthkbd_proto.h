/* SPDX-License-Identifier: MIT */
/*
 * The synthetic keyboard's wire format (Linux: hyperv_keyboard, Windows: hyperkbd):
 * raw in-band packets without a pipe header, each a message starting with its type.
 * All little-endian.
 */
#ifndef HVKVM_SYNTHKBD_PROTO_H
#define HVKVM_SYNTHKBD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SYNTHKBD_CLASS_ID	"f912ad6d-2b17-48ea-bd65-f927a61c7684"
#define SYNTHKBD_INSTANCE_ID	"d34b2567-b9b6-42b9-8778-0a4ec0b955bf"

#define SYNTH_KBD_VERSION		0x00010000u	/* 1.0: major in the high half */
#define SYNTH_KBD_MAX_MESSAGE		256		/* HK_MAXIMUM_MESSAGE_SIZE */

#define SYNTH_KBD_PROTOCOL_REQUEST	1	/* guest to host */
#define SYNTH_KBD_PROTOCOL_RESPONSE	2	/* host to guest */
#define SYNTH_KBD_EVENT			3	/* host to guest */
#define SYNTH_KBD_LED_INDICATORS	4	/* guest to host */

struct synth_kbd_protocol_request {
	uint32_t type;
	uint32_t version;
} __attribute__((packed));

#define SYNTH_KBD_PROTOCOL_ACCEPTED	0x1u
struct synth_kbd_protocol_response {
	uint32_t type;
	uint32_t status;
} __attribute__((packed));

#define SYNTH_KBD_IS_UNICODE	0x1u	/* make_code is a UTF-16 unit; Linux does not know it */
#define SYNTH_KBD_IS_BREAK	0x2u	/* a release */
#define SYNTH_KBD_IS_E0		0x4u	/* preceded by 0xE0 */
#define SYNTH_KBD_IS_E1		0x8u	/* preceded by 0xE1 */
struct synth_kbd_keystroke {
	uint32_t type;
	uint16_t make_code;	/* scan code set 1, without the release bit */
	uint16_t reserved;
	uint32_t info;
} __attribute__((packed));

/* The lock keys' lights, as the guest sets them. */
#define SYNTH_KBD_LED_SCROLL_LOCK	0x1u
#define SYNTH_KBD_LED_NUM_LOCK		0x2u
#define SYNTH_KBD_LED_CAPS_LOCK		0x4u
struct synth_kbd_led_indicators {
	uint32_t type;
	uint16_t led_flags;
	uint16_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct synth_kbd_protocol_request) == 8, "protocol request");
_Static_assert(sizeof(struct synth_kbd_protocol_response) == 8, "protocol response");
_Static_assert(sizeof(struct synth_kbd_keystroke) == 12, "keystroke");
_Static_assert(offsetof(struct synth_kbd_keystroke, info) == 8, "keystroke info");
_Static_assert(sizeof(struct synth_kbd_led_indicators) == 8, "LED indicators");

#endif
