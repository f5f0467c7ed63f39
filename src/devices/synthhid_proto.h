/* SPDX-License-Identifier: MIT */
/*
 * The synthetic HID (mouse) wire format (Linux: hid_hyperv, Windows: VMBusHID): each
 * in-band packet is a pipe header, a synthhid header and the message. All
 * little-endian, packed.
 */
#ifndef HVKVM_SYNTHHID_PROTO_H
#define HVKVM_SYNTHHID_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SYNTHHID_CLASS_ID	"cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a"
#define SYNTHHID_INSTANCE_ID	"58f75a6d-d949-4320-99e1-a2a2576d581c"

#define SYNTHHID_INPUT_VERSION	0x00020000u	/* 2.0: major in the high half */

#define SYNTHHID_PIPE_DATA	1

/* Before every message; size counts the bytes after it. */
struct synthhid_pipe_hdr {
	uint32_t type;
	uint32_t size;
} __attribute__((packed));

#define SYNTH_HID_PROTOCOL_REQUEST		0	/* guest to host */
#define SYNTH_HID_PROTOCOL_RESPONSE		1	/* host to guest */
#define SYNTH_HID_INITIAL_DEVICE_INFO		2	/* host to guest */
#define SYNTH_HID_INITIAL_DEVICE_INFO_ACK	3	/* guest to host */
#define SYNTH_HID_INPUT_REPORT			4	/* host to guest */

/* size counts the payload after it. */
struct synthhid_msg_hdr {
	uint32_t type;
	uint32_t size;
} __attribute__((packed));

struct synthhid_protocol_response {
	uint32_t version_requested;
	uint8_t approved;
} __attribute__((packed));

struct synthhid_dev_info {
	uint32_t size;			/* of this struct: 32 */
	uint16_t vendor, product, version;
	uint16_t reserved[11];
} __attribute__((packed));

/* USB HID's class descriptor with one report descriptor. */
struct synthhid_hid_descriptor {
	uint8_t bLength;
	uint8_t bDescriptorType;	/* 0x21 */
	uint16_t bcdHID;
	uint8_t bCountryCode;
	uint8_t bNumDescriptors;
	uint8_t bReportType;		/* 0x22 */
	uint16_t wReportLength;
} __attribute__((packed));

/* The report the host sends (the descriptor in synth_mouse.c says so). */
struct synthhid_mouse_report {
	uint8_t buttons;		/* bit 0 left, 1 right, 2 middle, 3 and 4 buttons 4, 5 */
	uint16_t x, y;			/* absolute, 0..32767 */
	int16_t wheel;			/* relative */
} __attribute__((packed));

_Static_assert(sizeof(struct synthhid_pipe_hdr) == 8, "pipe header");
_Static_assert(sizeof(struct synthhid_msg_hdr) == 8, "synthhid header");
/* Linux copies pipe.size + 11 bytes of the response into a 24-byte buffer. */
_Static_assert(sizeof(struct synthhid_msg_hdr) + sizeof(struct synthhid_protocol_response) == 13,
	       "protocol response");
_Static_assert(sizeof(struct synthhid_dev_info) == 32, "device info");
_Static_assert(sizeof(struct synthhid_hid_descriptor) == 9, "HID descriptor");
_Static_assert(offsetof(struct synthhid_hid_descriptor, wReportLength) == 7, "report length");
_Static_assert(sizeof(struct synthhid_mouse_report) == 7, "mouse report");

#endif
