/* SPDX-License-Identifier: MIT */
/*
 * VMBus wire formats: the channel-management messages exchanged over SynIC messages
 * and HvCallPostMessage, the ring buffers and the packets in them.
 */
#ifndef HVKVM_VMBUS_PROTO_H
#define HVKVM_VMBUS_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Protocol versions: major << 16 | minor. */
#define VMBUS_VERSION_WS2008		((0 << 16) | 13)
#define VMBUS_VERSION_WIN7		((1 << 16) | 1)
#define VMBUS_VERSION_WIN8		((2 << 16) | 4)
#define VMBUS_VERSION_WIN8_1		((3 << 16) | 0)
#define VMBUS_VERSION_WIN10		((4 << 16) | 0)
#define VMBUS_VERSION_WIN10_V4_1	((4 << 16) | 1)
#define VMBUS_VERSION_WIN10_V5		((5 << 16) | 0)
#define VMBUS_VERSION_WIN10_V5_1	((5 << 16) | 1)
#define VMBUS_VERSION_WIN10_V5_2	((5 << 16) | 2)
#define VMBUS_VERSION_WIN10_V5_3	((5 << 16) | 3)

/* Connection ids and the SINT of the channel-management protocol. */
#define VMBUS_MESSAGE_CONNECTION_ID	1	/* messages, before 5.0 */
#define VMBUS_EVENT_CONNECTION_ID	2	/* guest signals, before WIN8 */
#define VMBUS_MONITOR_CONNECTION_ID	3
#define VMBUS_MESSAGE_CONNECTION_ID_4	4	/* INITIATE_CONTACT from 5.0 */
#define VMBUS_MESSAGE_SINT		2
#define VMBUS_MESSAGE_TYPE		1	/* HvPostMessage type of every VMBus message */

enum vmbus_channel_message_type {
	CHANNELMSG_INVALID = 0,
	CHANNELMSG_OFFERCHANNEL = 1,
	CHANNELMSG_RESCIND_CHANNELOFFER = 2,
	CHANNELMSG_REQUESTOFFERS = 3,
	CHANNELMSG_ALLOFFERS_DELIVERED = 4,
	CHANNELMSG_OPENCHANNEL = 5,
	CHANNELMSG_OPENCHANNEL_RESULT = 6,
	CHANNELMSG_CLOSECHANNEL = 7,
	CHANNELMSG_GPADL_HEADER = 8,
	CHANNELMSG_GPADL_BODY = 9,
	CHANNELMSG_GPADL_CREATED = 10,
	CHANNELMSG_GPADL_TEARDOWN = 11,
	CHANNELMSG_GPADL_TORNDOWN = 12,
	CHANNELMSG_RELID_RELEASED = 13,
	CHANNELMSG_INITIATE_CONTACT = 14,
	CHANNELMSG_VERSION_RESPONSE = 15,
	CHANNELMSG_UNLOAD = 16,
	CHANNELMSG_UNLOAD_RESPONSE = 17,
	CHANNELMSG_TL_CONNECT_REQUEST = 21,
	CHANNELMSG_MODIFYCHANNEL = 22,
	CHANNELMSG_TL_CONNECT_RESULT = 23,
	CHANNELMSG_MODIFYCHANNEL_RESPONSE = 24,
	CHANNELMSG_COUNT
};

struct vmbus_guid {
	uint8_t b[16];
} __attribute__((packed));

struct vmbus_msg_header {
	uint32_t msgtype;
	uint32_t padding;
} __attribute__((packed));

struct vmbus_msg_initiate_contact {
	struct vmbus_msg_header header;
	uint32_t version_requested;
	uint32_t target_vcpu;		/* the VP the host answers on */
	union {
		uint64_t interrupt_page;	/* before 5.0 */
		struct {
			uint8_t msg_sint;	/* from 5.0 */
			uint8_t msg_vtl;
			uint8_t padding1[2];
			uint32_t feature_flags;	/* from 5.3? reserved before */
		} __attribute__((packed));
	};
	uint64_t monitor_page1;
	uint64_t monitor_page2;
} __attribute__((packed));

struct vmbus_msg_version_response {
	struct vmbus_msg_header header;
	uint8_t version_supported;
	uint8_t connection_state;
	uint16_t padding;
	uint32_t msg_conn_id;		/* from 5.0: where later messages go */
} __attribute__((packed));

#define VMBUS_MAX_USER_DEFINED_BYTES	120

#define VMBUS_CHANNEL_ENUMERATE_DEVICE_INTERFACE	0x0001
#define VMBUS_CHANNEL_SERVER_SUPPORTS_TRANSFER_PAGES	0x0002
#define VMBUS_CHANNEL_SERVER_SUPPORTS_GPADLS		0x0004
#define VMBUS_CHANNEL_NAMED_PIPE_MODE			0x0010
#define VMBUS_CHANNEL_REQUEST_MONITORED_NOTIFICATION	0x0400
#define VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER		0x2000	/* a socket (hv_sock) channel */

struct vmbus_channel_offer {
	struct vmbus_guid if_type;
	struct vmbus_guid if_instance;
	uint64_t reserved1;
	uint64_t reserved2;
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	uint8_t user_def[VMBUS_MAX_USER_DEFINED_BYTES];
	uint16_t sub_channel_index;
	uint16_t reserved3;
} __attribute__((packed));

struct vmbus_msg_offer_channel {
	struct vmbus_msg_header header;
	struct vmbus_channel_offer offer;
	uint32_t child_relid;
	uint8_t monitorid;
	uint8_t monitor_allocated;	/* bit 0 */
	uint16_t is_dedicated_interrupt;	/* bit 0 */
	uint32_t connection_id;		/* from WIN8: what the guest signals */
} __attribute__((packed));

/* A guest socket connects to a host service (hv_sock's connect()). */
struct vmbus_msg_tl_connect_request {
	struct vmbus_msg_header header;
	struct vmbus_guid guest_endpoint_id;
	struct vmbus_guid host_service_id;
} __attribute__((packed));

struct vmbus_msg_relid {		/* RESCIND_CHANNELOFFER, CLOSECHANNEL, RELID_RELEASED */
	struct vmbus_msg_header header;
	uint32_t child_relid;
} __attribute__((packed));

struct vmbus_msg_open_channel {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t ringbuffer_gpadl;
	uint32_t target_vp;
	uint32_t downstream_page_offset;	/* host-to-guest ring, in pages */
	uint8_t userdata[VMBUS_MAX_USER_DEFINED_BYTES];
} __attribute__((packed));

struct vmbus_msg_open_result {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t status;		/* 0: success */
} __attribute__((packed));

struct vmbus_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset;
	/* uint64_t pfn[] */
} __attribute__((packed));

struct vmbus_msg_gpadl_header {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t gpadl;
	uint16_t range_buflen;		/* bytes of ranges and their PFNs, all messages */
	uint16_t rangecount;
	/* struct vmbus_gpa_range range[] with their PFNs */
} __attribute__((packed));

struct vmbus_msg_gpadl_body {
	struct vmbus_msg_header header;
	uint32_t msgnumber;
	uint32_t gpadl;
	/* uint64_t pfn[] */
} __attribute__((packed));

struct vmbus_msg_gpadl_created {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t gpadl;
	uint32_t creation_status;	/* 0: success */
} __attribute__((packed));

struct vmbus_msg_gpadl_teardown {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t gpadl;
} __attribute__((packed));

struct vmbus_msg_gpadl_torndown {
	struct vmbus_msg_header header;
	uint32_t gpadl;
} __attribute__((packed));

struct vmbus_msg_modifychannel {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t target_vp;
} __attribute__((packed));

struct vmbus_msg_modifychannel_response {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t status;
} __attribute__((packed));

#define VMBUS_MSG_MAX	240	/* a SynIC message payload */

_Static_assert(sizeof(struct vmbus_msg_header) == 8, "header");
_Static_assert(sizeof(struct vmbus_msg_initiate_contact) == 40, "initiate contact");
_Static_assert(sizeof(struct vmbus_msg_version_response) == 16, "version response");
_Static_assert(sizeof(struct vmbus_channel_offer) == 176, "offer");
_Static_assert(sizeof(struct vmbus_msg_offer_channel) == 196, "offer channel");
_Static_assert(offsetof(struct vmbus_msg_offer_channel, connection_id) == 192, "offer connection id");
_Static_assert(sizeof(struct vmbus_msg_open_channel) == 148, "open channel");
_Static_assert(sizeof(struct vmbus_msg_open_result) == 20, "open result");
_Static_assert(sizeof(struct vmbus_msg_gpadl_header) == 20, "gpadl header");
_Static_assert(sizeof(struct vmbus_msg_gpadl_body) == 16, "gpadl body");
_Static_assert(sizeof(struct vmbus_msg_gpadl_created) == 20, "gpadl created");
_Static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16, "gpadl teardown");
_Static_assert(sizeof(struct vmbus_msg_modifychannel) == 16, "modify channel");

/* Ring buffers: a 4 KiB control page, then the data area. */
struct vmbus_ring_control {
	uint32_t write_index;		/* byte offsets into the data area */
	uint32_t read_index;
	uint32_t interrupt_mask;	/* set by the reader: do not signal me */
	uint32_t pending_send_sz;	/* set by a blocked writer */
	uint32_t reserved1[12];
	uint32_t feature_bits;		/* bit 0: this ring's writer honours pending_send_sz */
};	/* naturally aligned: the indices are accessed atomically */

#define VMBUS_RING_FEAT_PENDING_SEND_SZ	1u
#define VMBUS_RING_CONTROL_SIZE		4096

_Static_assert(offsetof(struct vmbus_ring_control, feature_bits) == 64, "ring feature bits");

/* Packets in a ring: a descriptor, 8-byte aligned contents, then 8 bytes with the
 * writer's index at the time (which no one reads). */
enum vmbus_packet_type {
	VM_PKT_INVALID = 0x0,
	VM_PKT_SYNCH = 0x1,
	VM_PKT_ADD_XFER_PAGESET = 0x2,
	VM_PKT_RM_XFER_PAGESET = 0x3,
	VM_PKT_ESTABLISH_GPADL = 0x4,
	VM_PKT_TEARDOWN_GPADL = 0x5,
	VM_PKT_DATA_INBAND = 0x6,
	VM_PKT_DATA_USING_XFER_PAGES = 0x7,
	VM_PKT_DATA_USING_GPADL = 0x8,
	VM_PKT_DATA_USING_GPA_DIRECT = 0x9,
	VM_PKT_CANCEL_REQUEST = 0xa,
	VM_PKT_COMP = 0xb,
	VM_PKT_DATA_USING_ADDITIONAL_PKT = 0xc,
	VM_PKT_ADDITIONAL_DATA = 0xd,
};

#define VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED 1

struct vmbus_packet_desc {
	uint16_t type;
	uint16_t offset8;		/* where the payload starts, in 8-byte units */
	uint16_t len8;			/* the whole packet, in 8-byte units */
	uint16_t flags;
	uint64_t trans_id;
} __attribute__((packed));

struct vmbus_xfer_page_range {
	uint32_t byte_count;
	uint32_t byte_offset;
} __attribute__((packed));

/* Transfer pages (Linux: vmtransfer_page_packet_header): byte ranges in the buffer
 * shared as transfer page set xfer_pageset_id. */
struct vmbus_xfer_page_header {
	struct vmbus_packet_desc d;
	uint16_t xfer_pageset_id;
	uint8_t sender_owns_set;
	uint8_t reserved;
	uint32_t range_cnt;
	/* struct vmbus_xfer_page_range ranges[] */
} __attribute__((packed));

/* GPA direct (Linux: vmbus_packet_mpb_array, vmbus_channel_packet_page_buffer): the
 * ranges and their page numbers end where the payload begins (offset8). */
struct vmbus_gpa_direct_header {
	struct vmbus_packet_desc d;
	uint32_t reserved;
	uint32_t range_cnt;
	/* struct vmbus_gpa_range ranges[] with their PFNs */
} __attribute__((packed));

_Static_assert(sizeof(struct vmbus_packet_desc) == 16, "packet descriptor");
_Static_assert(sizeof(struct vmbus_msg_tl_connect_request) == 40, "tl connect request");
_Static_assert(offsetof(struct vmbus_packet_desc, offset8) == 2, "packet descriptor offset8");
_Static_assert(offsetof(struct vmbus_packet_desc, len8) == 4, "packet descriptor len8");
_Static_assert(offsetof(struct vmbus_packet_desc, flags) == 6, "packet descriptor flags");
_Static_assert(offsetof(struct vmbus_packet_desc, trans_id) == 8, "packet descriptor transaction id");
_Static_assert(sizeof(struct vmbus_xfer_page_range) == 8, "xfer page range");
_Static_assert(sizeof(struct vmbus_xfer_page_header) == 24, "xfer page header");
_Static_assert(offsetof(struct vmbus_xfer_page_header, xfer_pageset_id) == 16, "xfer page set id");
_Static_assert(offsetof(struct vmbus_xfer_page_header, sender_owns_set) == 18, "xfer sender owns set");
_Static_assert(offsetof(struct vmbus_xfer_page_header, range_cnt) == 20, "xfer page range count");
_Static_assert(sizeof(struct vmbus_gpa_range) == 8, "gpa range");
_Static_assert(offsetof(struct vmbus_gpa_range, byte_offset) == 4, "gpa range byte offset");
_Static_assert(sizeof(struct vmbus_gpa_direct_header) == 24, "gpa direct header");
_Static_assert(offsetof(struct vmbus_gpa_direct_header, range_cnt) == 20, "gpa direct range count");

#endif
