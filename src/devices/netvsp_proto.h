/* SPDX-License-Identifier: MIT */
/*
 * NVSP, the Network Virtual Service Protocol: the messages NetVSC (the guest's
 * synthetic NIC driver) and NetVSP (its host) exchange in VMBus packets. RNDIS rides
 * inside it (rndis_proto.h). Sources: Linux's drivers/net/hyperv/hyperv_net.h and
 * Microsoft's OpenVMM netvsp (see netvsc-facts.md §2).
 */
#ifndef HVKVM_NETVSP_PROTO_H
#define HVKVM_NETVSP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define NETVSC_CLASS	"f8615163-df3e-46c5-913f-f2d2f965ed0e"

/* Versions: major << 16 | minor. */
#define NVSP_PROTOCOL_VERSION_1		0x00000002
#define NVSP_PROTOCOL_VERSION_2		0x00030002
#define NVSP_PROTOCOL_VERSION_4		0x00040000
#define NVSP_PROTOCOL_VERSION_5		0x00050000
#define NVSP_PROTOCOL_VERSION_6		0x00060000
#define NVSP_PROTOCOL_VERSION_61	0x00060001
#define NVSP_INVALID_PROTOCOL_VERSION	0xffffffffu

enum nvsp_msg_type {
	NVSP_MSG_TYPE_NONE = 0,
	NVSP_MSG_TYPE_INIT = 1,
	NVSP_MSG_TYPE_INIT_COMPLETE = 2,

	NVSP_MSG1_TYPE_SEND_NDIS_VER = 100,
	NVSP_MSG1_TYPE_SEND_RECV_BUF = 101,
	NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE = 102,
	NVSP_MSG1_TYPE_REVOKE_RECV_BUF = 103,
	NVSP_MSG1_TYPE_SEND_SEND_BUF = 104,
	NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE = 105,
	NVSP_MSG1_TYPE_REVOKE_SEND_BUF = 106,
	NVSP_MSG1_TYPE_SEND_RNDIS_PKT = 107,
	NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE = 108,

	NVSP_MSG2_TYPE_SEND_CHIMNEY_DELEGATED_BUF = 109,
	NVSP_MSG2_TYPE_FREE_RXBUF = 122,
	NVSP_MSG2_TYPE_SEND_VMQ_RNDIS_PKT_COMPLETE = 124,
	NVSP_MSG2_TYPE_SEND_NDIS_CONFIG = 125,
	NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE = 126,
	NVSP_MSG2_TYPE_ALLOC_CHIMNEY_HANDLE_COMP = 127,

	NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION = 128,
	NVSP_MSG4_TYPE_SWITCH_DATA_PATH = 129,
	NVSP_MSG4_TYPE_UPLINK_CONNECT_STATE_DEPRECATED = 130,

	NVSP_MSG5_TYPE_OID_QUERY_EX = 131,
	NVSP_MSG5_TYPE_OID_QUERY_EX_COMP = 132,
	NVSP_MSG5_TYPE_SUBCHANNEL = 133,
	NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE = 134,

	NVSP_MSG6_TYPE_PD_API = 135,
	NVSP_MSG6_TYPE_PD_POST_BATCH = 136,
};

enum nvsp_status {
	NVSP_STAT_NONE = 0,
	NVSP_STAT_SUCCESS = 1,
	NVSP_STAT_FAIL = 2,
	NVSP_STAT_PROTOCOL_TOO_NEW = 3,
	NVSP_STAT_PROTOCOL_TOO_OLD = 4,
	NVSP_STAT_INVALID_RNDIS_PKT = 5,
	NVSP_STAT_BUSY = 6,
	NVSP_STAT_PROTOCOL_UNSUPPORTED = 7,
};

/* The union of all messages of a version: the size completions must have. Windows'
 * and OpenVMM's "legacy" size is the header and the v1 union; 6.1 adds the PD API. */
#define NVSP_LEGACY_MESSAGE_SIZE	28
#define NVSP_61_MESSAGE_SIZE		40

#define NVSP_CHANNEL_TYPE_DATA		0	/* RMC_DATA */
#define NVSP_CHANNEL_TYPE_CONTROL	1	/* RMC_CONTROL */
#define NVSP_SECTION_NONE		0xffffffffu	/* send_buf_section_index: no section */

#define NVSP_SUBCHANNEL_ALLOCATE	1
#define NVSP_SEND_TABLE_SIZE		16	/* VRSS_SEND_TAB_SIZE */

/* NDIS_CONFIG capability bits. */
#define NVSP_CAP_VMQ			(1ull << 0)
#define NVSP_CAP_CHIMNEY		(1ull << 1)
#define NVSP_CAP_SRIOV			(1ull << 2)
#define NVSP_CAP_IEEE8021Q		(1ull << 3)
#define NVSP_CAP_CORRELATION_ID		(1ull << 4)
#define NVSP_CAP_TEAMING		(1ull << 5)
#define NVSP_CAP_VSUBNETID		(1ull << 6)
#define NVSP_CAP_RSC			(1ull << 7)

struct nvsp_msg_init {
	uint32_t msg_type;
	uint32_t min_protocol_ver;	/* Windows: protocol_version */
	uint32_t max_protocol_ver;	/* Windows: protocol_version2 */
} __attribute__((packed));

struct nvsp_msg_init_complete {
	uint32_t msg_type;
	uint32_t negotiated_protocol_ver;
	uint32_t max_mdl_chain_len;
	uint32_t status;
} __attribute__((packed));

struct nvsp_msg1_send_ndis_ver {
	uint32_t msg_type;
	uint32_t ndis_major_ver;
	uint32_t ndis_minor_ver;
} __attribute__((packed));

struct nvsp_msg1_send_buf {		/* SEND_RECV_BUF and SEND_SEND_BUF */
	uint32_t msg_type;
	uint32_t gpadl_handle;
	uint16_t id;
} __attribute__((packed));

struct nvsp_recv_buf_section {
	uint32_t offset;
	uint32_t sub_alloc_size;
	uint32_t num_sub_allocs;
	uint32_t end_offset;
} __attribute__((packed));

struct nvsp_msg1_send_recv_buf_complete {
	uint32_t msg_type;
	uint32_t status;
	uint32_t num_sections;
	struct nvsp_recv_buf_section sections[1];
} __attribute__((packed));

struct nvsp_msg1_revoke_buf {		/* REVOKE_RECV_BUF and REVOKE_SEND_BUF */
	uint32_t msg_type;
	uint16_t id;
} __attribute__((packed));

struct nvsp_msg1_send_send_buf_complete {
	uint32_t msg_type;
	uint32_t status;
	uint32_t section_size;
} __attribute__((packed));

struct nvsp_msg1_send_rndis_pkt {
	uint32_t msg_type;
	uint32_t channel_type;
	uint32_t send_buf_section_index;
	uint32_t send_buf_section_size;
} __attribute__((packed));

struct nvsp_msg1_send_rndis_pkt_complete {
	uint32_t msg_type;
	uint32_t status;
} __attribute__((packed));

struct nvsp_msg2_send_ndis_config {
	uint32_t msg_type;
	uint32_t mtu;			/* the frame: the guest's MTU + 14 */
	uint32_t reserved;
	uint64_t capability;
} __attribute__((packed));

struct nvsp_msg4_switch_data_path {
	uint32_t msg_type;
	uint32_t active_datapath;
} __attribute__((packed));

struct nvsp_msg5_oid_query_ex_comp {
	uint32_t msg_type;
	uint32_t status;
	uint32_t bytes;
} __attribute__((packed));

struct nvsp_msg5_subchannel {		/* the request, and its completion */
	uint32_t msg_type;
	uint32_t op_or_status;		/* request: operation; completion: status */
	uint32_t num_subchannels;
} __attribute__((packed));

struct nvsp_msg5_send_indirection_table {
	uint32_t msg_type;
	uint32_t count;
	uint32_t offset;		/* of the table, from the start of this message */
	uint32_t table[NVSP_SEND_TABLE_SIZE];
} __attribute__((packed));

_Static_assert(sizeof(struct nvsp_msg_init) == 12, "init");
_Static_assert(sizeof(struct nvsp_msg_init_complete) == 16, "init complete");
_Static_assert(sizeof(struct nvsp_msg1_send_ndis_ver) == 12, "ndis version");
_Static_assert(sizeof(struct nvsp_msg1_send_buf) == 10, "send buffer");
_Static_assert(sizeof(struct nvsp_msg1_send_recv_buf_complete) == NVSP_LEGACY_MESSAGE_SIZE, "recv buf complete");
_Static_assert(offsetof(struct nvsp_msg1_send_recv_buf_complete, sections[0].sub_alloc_size) == 16,
	       "recv buf complete section size");
_Static_assert(sizeof(struct nvsp_msg1_revoke_buf) == 6, "revoke");
_Static_assert(sizeof(struct nvsp_msg1_send_send_buf_complete) == 12, "send buf complete");
_Static_assert(sizeof(struct nvsp_msg1_send_rndis_pkt) == 16, "send rndis packet");
_Static_assert(sizeof(struct nvsp_msg1_send_rndis_pkt_complete) == 8, "rndis packet complete");
_Static_assert(sizeof(struct nvsp_msg2_send_ndis_config) == 20, "ndis config");
_Static_assert(offsetof(struct nvsp_msg2_send_ndis_config, capability) == 12, "ndis config capability");
_Static_assert(sizeof(struct nvsp_msg5_subchannel) == 12, "subchannel");
_Static_assert(sizeof(struct nvsp_msg5_send_indirection_table) == 12 + 4 * NVSP_SEND_TABLE_SIZE, "send table");

#endif
