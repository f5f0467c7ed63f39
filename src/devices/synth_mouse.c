/* SPDX-License-Identifier: MIT */
#include "synth_mouse.h"
#include "synthhid_proto.h"
#include "guid.h"
#include "log.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The largest message a guest driver sends is a few bytes; this takes a page. */
#define MOUSE_MAX_PACKET	4096

/* Generic Desktop Mouse: buttons 1-5 and 3 bits of padding, X and Y absolute 16-bit
 * 0..32767, a relative 16-bit wheel. No report id: a report is 7 bytes
 * (struct synthhid_mouse_report). Byte 14 is 0x29 (Usage Maximum), where Linux
 * patches an old Hyper-V descriptor's 0x25. */
static const uint8_t report_descriptor[] = {
	0x05, 0x01,		/* Usage Page (Generic Desktop) */
	0x09, 0x02,		/* Usage (Mouse) */
	0xa1, 0x01,		/* Collection (Application) */
	0x09, 0x01,		/*   Usage (Pointer) */
	0xa1, 0x00,		/*   Collection (Physical) */
	0x05, 0x09,		/*     Usage Page (Button) */
	0x19, 0x01,		/*     Usage Minimum (1) */
	0x29, 0x05,		/*     Usage Maximum (5) */
	0x15, 0x00,		/*     Logical Minimum (0) */
	0x25, 0x01,		/*     Logical Maximum (1) */
	0x95, 0x05,		/*     Report Count (5) */
	0x75, 0x01,		/*     Report Size (1) */
	0x81, 0x02,		/*     Input (Data, Variable, Absolute) */
	0x95, 0x01,		/*     Report Count (1) */
	0x75, 0x03,		/*     Report Size (3) */
	0x81, 0x01,		/*     Input (Constant) */
	0x05, 0x01,		/*     Usage Page (Generic Desktop) */
	0x09, 0x30,		/*     Usage (X) */
	0x09, 0x31,		/*     Usage (Y) */
	0x15, 0x00,		/*     Logical Minimum (0) */
	0x26, 0xff, 0x7f,	/*     Logical Maximum (32767) */
	0x75, 0x10,		/*     Report Size (16) */
	0x95, 0x02,		/*     Report Count (2) */
	0x81, 0x02,		/*     Input (Data, Variable, Absolute) */
	0x05, 0x01,		/*     Usage Page (Generic Desktop) */
	0x09, 0x38,		/*     Usage (Wheel) */
	0x16, 0x01, 0x80,	/*     Logical Minimum (-32767) */
	0x26, 0xff, 0x7f,	/*     Logical Maximum (32767) */
	0x75, 0x10,		/*     Report Size (16) */
	0x95, 0x01,		/*     Report Count (1) */
	0x81, 0x06,		/*     Input (Data, Variable, Relative) */
	0xc0,			/*   End Collection */
	0xc0,			/* End Collection */
};
_Static_assert(sizeof(report_descriptor) == 67, "report descriptor");

/* What hid_hyperv matches: Microsoft's vendor id and the synthetic mouse's product. */
#define MOUSE_VENDOR	0x045e
#define MOUSE_PRODUCT	0x0621
#define MOUSE_VERSION	0x0001

struct synth_mouse {
	struct vmbus_device *dev;
	struct vmbus_channel *ch;	/* NULL while closed */
	bool approved;			/* the guest asked for our version */
	bool connected;			/* and acknowledged the description */
	struct synthhid_mouse_report queue[SYNTH_MOUSE_QUEUE];
	unsigned head, count;
	uint64_t reports, bad;
	struct log_ratelimit rl;
	uint8_t rx[MOUSE_MAX_PACKET];
};

/* One message: the pipe and synthhid headers are built here. */
static int mouse_send(struct synth_mouse *m, uint32_t type, const void *body, uint32_t len)
{
	struct {
		struct synthhid_pipe_hdr pipe;
		struct synthhid_msg_hdr hid;
	} __attribute__((packed)) h = {
		.pipe = { SYNTHHID_PIPE_DATA, (uint32_t)sizeof(struct synthhid_msg_hdr) + len },
		.hid = { type, len },
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)body, len } };

	if (!m->ch)
		return -EPIPE;
	return vmbus_chan_send(m->ch, VM_PKT_DATA_INBAND, 0, 0, iov, 2);
}

static void mouse_flush(struct synth_mouse *m)
{
	while (m->count && m->ch && m->connected) {
		int r = mouse_send(m, SYNTH_HID_INPUT_REPORT, &m->queue[m->head], sizeof(m->queue[0]));

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			log_warn_limited(&m->rl, "synthetic mouse: cannot send a report: %s", strerror(-r));
			m->count = 0;
			return;
		}
		m->head = (m->head + 1) % SYNTH_MOUSE_QUEUE;
		m->count--;
		m->reports++;
	}
}

static int mouse_send_device_info(struct synth_mouse *m)
{
	struct {
		struct synthhid_dev_info info;
		struct synthhid_hid_descriptor hid;
		uint8_t report[sizeof(report_descriptor)];
	} __attribute__((packed)) di = {
		.info = {
			.size = sizeof(struct synthhid_dev_info),
			.vendor = MOUSE_VENDOR,
			.product = MOUSE_PRODUCT,
			.version = MOUSE_VERSION,
		},
		.hid = {
			.bLength = sizeof(struct synthhid_hid_descriptor),
			.bDescriptorType = 0x21,
			.bcdHID = 0x0101,
			.bNumDescriptors = 1,
			.bReportType = 0x22,
			.wReportLength = sizeof(report_descriptor),
		},
	};

	memcpy(di.report, report_descriptor, sizeof(report_descriptor));
	return mouse_send(m, SYNTH_HID_INITIAL_DEVICE_INFO, &di, sizeof(di));
}

static void mouse_protocol_request(struct synth_mouse *m, const uint8_t *body, uint32_t len)
{
	struct synthhid_protocol_response rs = { 0 };

	if (len < sizeof(rs.version_requested)) {
		m->bad++;
		log_warn_limited(&m->rl, "synthetic mouse: protocol request of %u bytes", len);
		return;
	}
	memcpy(&rs.version_requested, body, sizeof(rs.version_requested));
	m->approved = m->connected = false;
	m->count = 0;
	rs.approved = rs.version_requested == SYNTHHID_INPUT_VERSION;
	if (!rs.approved)
		log_warn_limited(&m->rl, "synthetic mouse: the guest asks for version 0x%08x, not 0x%08x",
				 rs.version_requested, SYNTHHID_INPUT_VERSION);
	/* The guest waits for the answer and then for the description: both go now. */
	if (mouse_send(m, SYNTH_HID_PROTOCOL_RESPONSE, &rs, sizeof(rs)) < 0 ||
	    (rs.approved && mouse_send_device_info(m) < 0)) {
		log_warn_limited(&m->rl, "synthetic mouse: cannot answer the protocol request");
		return;
	}
	m->approved = rs.approved;
}

void synth_mouse_handle_packet(struct synth_mouse *m, const uint8_t *pkt, uint32_t len)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	struct synthhid_pipe_hdr pipe;
	struct synthhid_msg_hdr h;
	uint32_t off;

	if (len < sizeof(*d))
		goto bad;
	if (d->type != VM_PKT_DATA_INBAND)
		return;
	off = (uint32_t)d->offset8 * 8;
	if (off < sizeof(*d) || off > len || len - off < sizeof(pipe) + sizeof(h))
		goto bad;
	memcpy(&pipe, pkt + off, sizeof(pipe));
	memcpy(&h, pkt + off + sizeof(pipe), sizeof(h));
	off += sizeof(pipe) + sizeof(h);
	if (pipe.type != SYNTHHID_PIPE_DATA)
		return;
	/* Both sizes must fit the packet, and the message the pipe's. */
	if (pipe.size > len - off + sizeof(h) || pipe.size < sizeof(h) || h.size > pipe.size - sizeof(h))
		goto bad;
	switch (h.type) {
	case SYNTH_HID_PROTOCOL_REQUEST:
		mouse_protocol_request(m, pkt + off, h.size);
		return;
	case SYNTH_HID_INITIAL_DEVICE_INFO_ACK:
		if (!m->approved) {
			m->bad++;
			log_warn_limited(&m->rl, "synthetic mouse: an acknowledgement before the protocol request");
			return;
		}
		if (!m->connected)
			log_info("synthetic mouse: guest driver connected");
		m->connected = true;
		mouse_flush(m);
		return;
	default:
		m->bad++;
		log_warn_limited(&m->rl, "synthetic mouse: unknown message type %u from the guest", h.type);
		return;
	}
bad:
	m->bad++;
	log_warn_limited(&m->rl, "synthetic mouse: malformed packet of %u bytes from the guest", len);
}

static bool mouse_notify(struct vmbus_channel *ch, void *opaque)
{
	struct synth_mouse *m = opaque;
	uint32_t len;
	int r;

	while ((r = vmbus_chan_recv(ch, m->rx, sizeof(m->rx), &len)) != -EAGAIN) {
		if (r == -EMSGSIZE) {
			vmbus_chan_fail(ch, "synthetic mouse: packet larger than any message");
			return true;
		}
		if (r < 0)
			return true;
		synth_mouse_handle_packet(m, m->rx, len);
		if (!m->ch)
			return true;
	}
	vmbus_chan_recv_done(ch);
	mouse_flush(m);
	return true;
}

static int mouse_open(struct vmbus_channel *ch, void *opaque)
{
	struct synth_mouse *m = opaque;

	m->ch = ch;
	m->approved = m->connected = false;
	m->count = 0;
	return 0;
}

static void mouse_close(struct vmbus_channel *ch, void *opaque)
{
	struct synth_mouse *m = opaque;

	(void)ch;
	m->ch = NULL;
	m->approved = m->connected = false;
	m->count = 0;
}

static const struct vmbus_dev_ops mouse_ops = {
	.open = mouse_open,
	.close = mouse_close,
	.notify = mouse_notify,
};

struct synth_mouse *synth_mouse_new(struct vmbus *bus)
{
	struct synth_mouse *m = calloc(1, sizeof(*m));
	/* As Hyper-V offers it: a message-mode pipe. */
	struct vmbus_offer o = {
		.chn_flags = VMBUS_CHANNEL_NAMED_PIPE_MODE,
		.name = "synthetic mouse",
	};

	if (!m)
		return NULL;
	o.user_def[0] = 4;	/* pipe mode: message */
	if (vmbus_guid_parse(SYNTHHID_CLASS_ID, &o.class_id) < 0 ||
	    vmbus_guid_parse(SYNTHHID_INSTANCE_ID, &o.instance_id) < 0)
		goto fail;
	m->dev = vmbus_device_add(bus, &o, &mouse_ops, m);
	if (!m->dev)
		goto fail;
	return m;
fail:
	free(m);
	return NULL;
}

void synth_mouse_free(struct synth_mouse *m)
{
	free(m);
}

int synth_mouse_report(struct synth_mouse *m, uint8_t buttons, uint16_t x, uint16_t y, int16_t wheel)
{
	if (buttons & ~SYNTH_MOUSE_BTN_ALL || x > SYNTH_MOUSE_MAX_COORD || y > SYNTH_MOUSE_MAX_COORD ||
	    wheel < -32767)
		return -EINVAL;
	if (!m->ch || !m->connected)
		return -ENODEV;
	if (m->count == SYNTH_MOUSE_QUEUE)
		return -ENOBUFS;
	m->queue[(m->head + m->count) % SYNTH_MOUSE_QUEUE] = (struct synthhid_mouse_report){
		.buttons = buttons, .x = x, .y = y, .wheel = wheel,
	};
	m->count++;
	mouse_flush(m);
	return 0;
}

void synth_mouse_get_status(const struct synth_mouse *m, struct synth_mouse_status *st)
{
	*st = (struct synth_mouse_status){
		.open = m->ch != NULL,
		.connected = m->ch && m->connected,
		.queued = m->count,
		.reports = m->reports,
		.bad = m->bad,
	};
}
