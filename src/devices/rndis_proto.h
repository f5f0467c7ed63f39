/* SPDX-License-Identifier: MIT */
/*
 * RNDIS as NetVSC uses it inside NVSP: the control messages, the data packet with its
 * per-packet information, the OIDs and the NDIS objects they carry. Sources: Linux's
 * include/linux/rndis.h and drivers/net/hyperv/hyperv_net.h, Microsoft's OpenVMM
 * (rndisprot.rs) and the NDIS documentation (netvsc-facts.md §7-§9). Offsets in
 * RNDIS messages count from the message's first byte; "info offsets" from byte 8.
 */
#ifndef HVKVM_RNDIS_PROTO_H
#define HVKVM_RNDIS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define RNDIS_MAJOR_VERSION		1
#define RNDIS_MINOR_VERSION		0
#define RNDIS_DF_CONNECTIONLESS		0x00000001u
#define RNDIS_MEDIUM_802_3		0

#define RNDIS_MSG_COMPLETION		0x80000000u
#define RNDIS_MSG_PACKET		0x00000001u
#define RNDIS_MSG_INIT			0x00000002u
#define RNDIS_MSG_INIT_C		0x80000002u
#define RNDIS_MSG_HALT			0x00000003u
#define RNDIS_MSG_QUERY			0x00000004u
#define RNDIS_MSG_QUERY_C		0x80000004u
#define RNDIS_MSG_SET			0x00000005u
#define RNDIS_MSG_SET_C			0x80000005u
#define RNDIS_MSG_RESET			0x00000006u
#define RNDIS_MSG_RESET_C		0x80000006u
#define RNDIS_MSG_INDICATE		0x00000007u
#define RNDIS_MSG_KEEPALIVE		0x00000008u
#define RNDIS_MSG_KEEPALIVE_C		0x80000008u
#define RNDIS_MSG_SET_EX		0x00000009u
#define RNDIS_MSG_SET_EX_C		0x80000009u

#define RNDIS_STATUS_SUCCESS			0x00000000u
#define RNDIS_STATUS_MEDIA_CONNECT		0x4001000Bu
#define RNDIS_STATUS_MEDIA_DISCONNECT		0x4001000Cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE		0x40010013u
#define RNDIS_STATUS_NETWORK_CHANGE		0x40010018u
#define RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG 0x40020006u
#define RNDIS_STATUS_BUFFER_OVERFLOW		0x80000005u
#define RNDIS_STATUS_FAILURE			0xC0000001u
#define RNDIS_STATUS_RESOURCES			0xC000009Au
#define RNDIS_STATUS_NOT_SUPPORTED		0xC00000BBu
#define RNDIS_STATUS_BAD_VERSION		0xC0010004u
#define RNDIS_STATUS_INVALID_LENGTH		0xC0010014u
#define RNDIS_STATUS_INVALID_DATA		0xC0010015u
#define RNDIS_STATUS_BUFFER_TOO_SHORT		0xC0010016u
#define RNDIS_STATUS_INVALID_OID		0xC0010017u

#define RNDIS_MEDIA_STATE_CONNECTED	0
#define RNDIS_MEDIA_STATE_DISCONNECTED	1

#define RNDIS_PACKET_TYPE_DIRECTED	0x00000001u
#define RNDIS_PACKET_TYPE_MULTICAST	0x00000002u
#define RNDIS_PACKET_TYPE_ALL_MULTICAST	0x00000004u
#define RNDIS_PACKET_TYPE_BROADCAST	0x00000008u
#define RNDIS_PACKET_TYPE_PROMISCUOUS	0x00000020u

/* ---- OIDs ------------------------------------------------------------------------ */

#define OID_GEN_SUPPORTED_LIST			0x00010101u
#define OID_GEN_HARDWARE_STATUS			0x00010102u
#define OID_GEN_MEDIA_SUPPORTED			0x00010103u
#define OID_GEN_MEDIA_IN_USE			0x00010104u
#define OID_GEN_MAXIMUM_LOOKAHEAD		0x00010105u
#define OID_GEN_MAXIMUM_FRAME_SIZE		0x00010106u
#define OID_GEN_LINK_SPEED			0x00010107u
#define OID_GEN_TRANSMIT_BUFFER_SPACE		0x00010108u
#define OID_GEN_RECEIVE_BUFFER_SPACE		0x00010109u
#define OID_GEN_TRANSMIT_BLOCK_SIZE		0x0001010Au
#define OID_GEN_RECEIVE_BLOCK_SIZE		0x0001010Bu
#define OID_GEN_VENDOR_ID			0x0001010Cu
#define OID_GEN_VENDOR_DESCRIPTION		0x0001010Du
#define OID_GEN_CURRENT_PACKET_FILTER		0x0001010Eu
#define OID_GEN_CURRENT_LOOKAHEAD		0x0001010Fu
#define OID_GEN_DRIVER_VERSION			0x00010110u
#define OID_GEN_MAXIMUM_TOTAL_SIZE		0x00010111u
#define OID_GEN_PROTOCOL_OPTIONS		0x00010112u
#define OID_GEN_MAC_OPTIONS			0x00010113u
#define OID_GEN_MEDIA_CONNECT_STATUS		0x00010114u
#define OID_GEN_MAXIMUM_SEND_PACKETS		0x00010115u
#define OID_GEN_VENDOR_DRIVER_VERSION		0x00010116u
#define OID_GEN_NETWORK_LAYER_ADDRESSES		0x00010118u
#define OID_GEN_RECEIVE_SCALE_CAPABILITIES	0x00010203u
#define OID_GEN_RECEIVE_SCALE_PARAMETERS	0x00010204u
#define OID_GEN_MAX_LINK_SPEED			0x00010206u
#define OID_GEN_LINK_STATE			0x00010207u
#define OID_GEN_LINK_PARAMETERS			0x00010208u
#define OID_GEN_RNDIS_CONFIG_PARAMETER		0x0001021Bu
#define OID_GEN_XMIT_OK				0x00020101u
#define OID_GEN_RCV_OK				0x00020102u
#define OID_GEN_XMIT_ERROR			0x00020103u
#define OID_GEN_RCV_ERROR			0x00020104u
#define OID_GEN_RCV_NO_BUFFER			0x00020105u
#define OID_GEN_FRIENDLY_NAME			0x00020216u
#define OID_GEN_BYTES_RCV			0x00020219u
#define OID_GEN_BYTES_XMIT			0x0002021Au
#define OID_802_3_PERMANENT_ADDRESS		0x01010101u
#define OID_802_3_CURRENT_ADDRESS		0x01010102u
#define OID_802_3_MULTICAST_LIST		0x01010103u
#define OID_802_3_MAXIMUM_LIST_SIZE		0x01010104u
#define OID_OFFLOAD_ENCAPSULATION		0x0101010Au
#define OID_802_3_RCV_ERROR_ALIGNMENT		0x01020101u
#define OID_802_3_XMIT_ONE_COLLISION		0x01020102u
#define OID_802_3_XMIT_MORE_COLLISIONS		0x01020103u
#define OID_TCP_OFFLOAD_CURRENT_CONFIG		0xFC01020Bu
#define OID_TCP_OFFLOAD_PARAMETERS		0xFC01020Cu
#define OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES	0xFC01020Du

#define NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA	0x00000001u
#define NDIS_MAC_OPTION_TRANSFERS_NOT_PEND	0x00000008u
#define NDIS_MAC_OPTION_NO_LOOPBACK		0x00000040u
#define NDIS_MAC_OPTION_8021P_PRIORITY		0x00000080u	/* as OpenVMM: 0x24D in all */
#define NDIS_MAC_OPTION_8021Q_VLAN		0x00000200u

/* ---- messages -------------------------------------------------------------------- */

struct rndis_msg_header {
	uint32_t msg_type;
	uint32_t msg_len;
} __attribute__((packed));

#define RNDIS_HEADER_SIZE	8

struct rndis_initialize_request {
	uint32_t msg_type, msg_len;
	uint32_t req_id;
	uint32_t major_ver;
	uint32_t minor_ver;
	uint32_t max_xfer_size;
} __attribute__((packed));

struct rndis_initialize_complete {
	uint32_t msg_type, msg_len;
	uint32_t req_id;
	uint32_t status;
	uint32_t major_ver;
	uint32_t minor_ver;
	uint32_t dev_flags;
	uint32_t medium;
	uint32_t max_pkt_per_msg;
	uint32_t max_xfer_size;
	uint32_t pkt_alignment_factor;
	uint32_t af_list_offset;
	uint32_t af_list_size;
} __attribute__((packed));

struct rndis_request_id {		/* HALT, KEEPALIVE */
	uint32_t msg_type, msg_len;
	uint32_t req_id;
} __attribute__((packed));

struct rndis_query_request {		/* QUERY, SET */
	uint32_t msg_type, msg_len;
	uint32_t req_id;
	uint32_t oid;
	uint32_t info_buflen;
	uint32_t info_buf_offset;	/* from byte 8 */
	uint32_t dev_vc_handle;
} __attribute__((packed));

struct rndis_query_complete {
	uint32_t msg_type, msg_len;
	uint32_t req_id;
	uint32_t status;
	uint32_t info_buflen;
	uint32_t info_buf_offset;	/* from byte 8 */
} __attribute__((packed));

struct rndis_status_complete {		/* SET_C, KEEPALIVE_C */
	uint32_t msg_type, msg_len;
	uint32_t req_id;
	uint32_t status;
} __attribute__((packed));

struct rndis_reset_complete {
	uint32_t msg_type, msg_len;
	uint32_t status;
	uint32_t addressing_reset;
} __attribute__((packed));

struct rndis_indicate_status {
	uint32_t msg_type, msg_len;
	uint32_t status;
	uint32_t status_buflen;
	uint32_t status_buf_offset;	/* from byte 8 */
} __attribute__((packed));

struct rndis_packet {
	uint32_t msg_type, msg_len;
	uint32_t data_offset;		/* from byte 8 */
	uint32_t data_len;
	uint32_t oob_data_offset;
	uint32_t oob_data_len;
	uint32_t num_oob_data_elements;
	uint32_t per_pkt_info_offset;	/* from byte 8 */
	uint32_t per_pkt_info_len;
	uint32_t vc_handle;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct rndis_msg_header) == RNDIS_HEADER_SIZE, "header");
_Static_assert(sizeof(struct rndis_initialize_request) == 24, "initialize");
_Static_assert(sizeof(struct rndis_initialize_complete) == 52, "initialize complete");
_Static_assert(offsetof(struct rndis_initialize_complete, pkt_alignment_factor) == 40, "alignment factor");
_Static_assert(sizeof(struct rndis_query_request) == 28, "query");
_Static_assert(sizeof(struct rndis_query_complete) == 24, "query complete");
_Static_assert(sizeof(struct rndis_status_complete) == 16, "set complete");
_Static_assert(sizeof(struct rndis_reset_complete) == 16, "reset complete");
_Static_assert(sizeof(struct rndis_indicate_status) == 20, "indicate status");
_Static_assert(sizeof(struct rndis_packet) == 44, "packet");
_Static_assert(offsetof(struct rndis_packet, per_pkt_info_offset) == 28, "packet ppi offset");

/* ---- per-packet information ------------------------------------------------------ */

struct rndis_ppi {
	uint32_t size;			/* header and payload */
	uint32_t type;			/* bit 31: internal */
	uint32_t ppi_offset;		/* of the payload, from the PPI's start */
} __attribute__((packed));

#define RNDIS_PPI_SIZE(payload)	((uint32_t)sizeof(struct rndis_ppi) + (payload))
#define RNDIS_PPI_INTERNAL	0x80000000u

enum ndis_per_pkt_info_type {
	TCPIP_CHKSUM_PKTINFO = 0,
	IPSEC_PKTINFO = 1,
	TCP_LARGESEND_PKTINFO = 2,
	CLASSIFICATION_HANDLE_PKTINFO = 3,
	SG_LIST_PKTINFO = 5,
	IEEE_8021Q_INFO = 6,
	ORIGINAL_PKTINFO = 7,
	NBL_HASH_VALUE = 8,
};
#define RNDIS_PKTINFO_ID	(RNDIS_PPI_INTERNAL | 1)	/* RSC fragments */

_Static_assert(sizeof(struct rndis_ppi) == 12, "ppi");

/* Checksum PPI, transmit. */
#define NDIS_TXCSUM_IS_IPV4		(1u << 0)
#define NDIS_TXCSUM_IS_IPV6		(1u << 1)
#define NDIS_TXCSUM_TCP			(1u << 2)
#define NDIS_TXCSUM_UDP			(1u << 3)
#define NDIS_TXCSUM_IP_HEADER		(1u << 4)
#define NDIS_TXCSUM_L4_OFFSET(v)	(((v) >> 16) & 0x3ff)
/* Checksum PPI, receive. */
#define NDIS_RXCSUM_TCP_FAILED		(1u << 0)
#define NDIS_RXCSUM_UDP_FAILED		(1u << 1)
#define NDIS_RXCSUM_IP_FAILED		(1u << 2)
#define NDIS_RXCSUM_TCP_SUCCEEDED	(1u << 3)
#define NDIS_RXCSUM_UDP_SUCCEEDED	(1u << 4)
#define NDIS_RXCSUM_IP_SUCCEEDED	(1u << 5)
#define NDIS_RXCSUM_LOOPBACK		(1u << 6)
#define NDIS_RXCSUM_TCP_VALUE_INVALID	(1u << 7)
#define NDIS_RXCSUM_IP_VALUE_INVALID	(1u << 8)
/* Large send (LSOv2 transmit). */
#define NDIS_LSO_MSS(v)			((v) & 0xfffff)
#define NDIS_LSO_L4_OFFSET(v)		(((v) >> 20) & 0x3ff)
#define NDIS_LSO_V2			(1u << 30)
#define NDIS_LSO_IPV6			(1u << 31)
/* 802.1Q. */
#define NDIS_VLAN_PRI(v)		((v) & 7)
#define NDIS_VLAN_CFI(v)		(((v) >> 3) & 1)
#define NDIS_VLAN_ID(v)			(((v) >> 4) & 0xfff)
/* RSC fragment id (RNDIS_PKTINFO_ID): ver, flag, pkt_id. */
#define RNDIS_PKTINFO_ID_V1		1
#define RNDIS_PKTINFO_SUBALLOC		0x01
#define RNDIS_PKTINFO_1ST_FRAG		0x02
#define RNDIS_PKTINFO_LAST_FRAG		0x04

/* ---- NDIS objects ------------------------------------------------------------------ */

struct ndis_object_header {
	uint8_t type;
	uint8_t revision;
	uint16_t size;
} __attribute__((packed));

#define NDIS_OBJECT_TYPE_DEFAULT		0x80
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES	0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS		0x89
#define NDIS_OBJECT_TYPE_OFFLOAD		0xA7
#define NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION	0xA8

/* OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES / _CURRENT_CONFIG. Naturally aligned. */
struct ndis_offload {
	struct ndis_object_header header;
	struct {
		uint32_t ip4_txenc, ip4_txcsum, ip4_rxenc, ip4_rxcsum;
		uint32_t ip6_txenc, ip6_txcsum, ip6_rxenc, ip6_rxcsum;
	} csum;
	struct {
		uint32_t encap, maxsize, minsegs, opts;
	} lsov1;
	struct {
		uint32_t encap, ah_esp, xport_tun, ip4_opts, flags, ip4_ah, ip4_esp;
	} ipsecv1;
	struct {
		uint32_t ip4_encap, ip4_maxsz, ip4_minsg;
		uint32_t ip6_encap, ip6_maxsz, ip6_minsg, ip6_opts;
	} lsov2;
	uint32_t flags;
	struct {
		uint32_t encap;
		uint8_t ip6, ip4opt, ip6ext, ah, esp, ah_esp, xport, tun, xport_tun, lso, extseq;
		uint32_t udp_esp, auth, crypto, sa_caps;
	} ipsecv2;
	struct {
		uint8_t ip4, ip6;
	} rsc;
	struct {
		uint32_t flags, maxhdr;
	} encap_gre;
};

#define NDIS_OFFLOAD_REVISION_1		1
#define NDIS_OFFLOAD_REVISION_2		2
#define NDIS_OFFLOAD_REVISION_3		3
#define NDIS_OFFLOAD_SIZE_6_0		112	/* revision 1 */
#define NDIS_OFFLOAD_SIZE_6_1		144	/* revision 2 */
#define NDIS_OFFLOAD_SIZE		156	/* revision 3 */

#define NDIS_OFFLOAD_ENCAP_8023		0x0002
#define NDIS_TXCSUM_CAP_IP4OPT		0x001
#define NDIS_TXCSUM_CAP_TCP4OPT		0x004
#define NDIS_TXCSUM_CAP_TCP4		0x010
#define NDIS_TXCSUM_CAP_UDP4		0x040
#define NDIS_TXCSUM_CAP_IP4		0x100
#define NDIS_TXCSUM_CAP_IP6EXT		0x001
#define NDIS_TXCSUM_CAP_TCP6OPT		0x004
#define NDIS_TXCSUM_CAP_TCP6		0x010
#define NDIS_TXCSUM_CAP_UDP6		0x040
#define NDIS_LSOV2_CAP_IP6EXT		0x001
#define NDIS_LSOV2_CAP_TCP6OPT		0x004

_Static_assert(sizeof(struct ndis_offload) == NDIS_OFFLOAD_SIZE, "offload");
_Static_assert(offsetof(struct ndis_offload, lsov2) == 80, "offload lsov2");
_Static_assert(offsetof(struct ndis_offload, lsov2.ip6_opts) == 104, "offload lsov2 ipv6 options");
_Static_assert(offsetof(struct ndis_offload, ipsecv2) == NDIS_OFFLOAD_SIZE_6_0, "offload 6.0 size");
_Static_assert(offsetof(struct ndis_offload, rsc) == NDIS_OFFLOAD_SIZE_6_1, "offload 6.1 size");
_Static_assert(offsetof(struct ndis_offload, encap_gre) == 148, "offload gre");

/* OID_TCP_OFFLOAD_PARAMETERS. Naturally aligned. */
struct ndis_offload_params {
	struct ndis_object_header header;
	uint8_t ip_v4_csum;
	uint8_t tcp_ip_v4_csum;
	uint8_t udp_ip_v4_csum;
	uint8_t tcp_ip_v6_csum;
	uint8_t udp_ip_v6_csum;
	uint8_t lso_v1;
	uint8_t ip_sec_v1;
	uint8_t lso_v2_ipv4;
	uint8_t lso_v2_ipv6;
	uint8_t tcp_connection_ip_v4;
	uint8_t tcp_connection_ip_v6;
	uint32_t flags;
	uint8_t ip_sec_v2;
	uint8_t ip_sec_v2_ip_v4;
	uint8_t rsc_ip_v4;
	uint8_t rsc_ip_v6;
	uint8_t encapsulated_packet_task_offload;
	uint8_t encapsulation_types;
};

#define NDIS_OFFLOAD_PARAMETERS_SIZE_1	20	/* revision 1: up to flags */
#define NDIS_OFFLOAD_PARAMETERS_SIZE_2	24	/* + RSC */
#define NDIS_OFFLOAD_PARAMETERS_NO_CHANGE		0
#define NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED		1
#define NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED	2
#define NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED	3
#define NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED		4
#define NDIS_OFFLOAD_PARAMETERS_DISABLED		1	/* LSO, RSC */
#define NDIS_OFFLOAD_PARAMETERS_ENABLED			2

_Static_assert(sizeof(struct ndis_offload_params) == 28, "offload parameters");
_Static_assert(offsetof(struct ndis_offload_params, flags) == 16, "offload parameters flags");
_Static_assert(offsetof(struct ndis_offload_params, rsc_ip_v4) == 22, "offload parameters rsc");

/* OID_OFFLOAD_ENCAPSULATION, revision 1. */
struct ndis_offload_encapsulation {
	struct ndis_object_header header;
	uint32_t ipv4_enabled;
	uint32_t ipv4_encapsulation_type;
	uint32_t ipv4_header_size;
	uint32_t ipv6_enabled;
	uint32_t ipv6_encapsulation_type;
	uint32_t ipv6_header_size;
} __attribute__((packed));

#define NDIS_OFFLOAD_SET_ON		1
#define NDIS_ENCAPSULATION_IEEE_802_3	2

_Static_assert(sizeof(struct ndis_offload_encapsulation) == 28, "offload encapsulation");

/* OID_GEN_RECEIVE_SCALE_CAPABILITIES, revision 2. Packed. */
struct ndis_recv_scale_cap {
	struct ndis_object_header hdr;
	uint32_t cap_flag;
	uint32_t num_int_msg;
	uint32_t num_recv_que;
	uint16_t num_indirect_tabent;
} __attribute__((packed));

#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4	0x00000100u
#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6	0x00000200u

_Static_assert(sizeof(struct ndis_recv_scale_cap) == 18, "rss capabilities");

/* OID_GEN_RECEIVE_SCALE_PARAMETERS, revision 2. Naturally aligned. */
struct ndis_recv_scale_param {
	struct ndis_object_header hdr;
	uint16_t flag;
	uint16_t base_cpu_number;
	uint32_t hashinfo;
	uint16_t indirect_tabsize;	/* bytes */
	uint32_t indirect_taboffset;	/* from the start of this object */
	uint16_t hashkey_size;
	uint32_t hashkey_offset;
	uint32_t processor_masks_offset;
	uint32_t num_processor_masks;
	uint32_t processor_masks_entry_size;
};

#define NDIS_RSS_PARAM_FLAG_BASE_CPU_UNCHANGED	0x0001
#define NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED	0x0002
#define NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED	0x0004
#define NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED	0x0008
#define NDIS_RSS_PARAM_FLAG_DISABLE_RSS		0x0010

#define NDIS_HASH_FUNC_TOEPLITZ		0x00000001u
#define NDIS_HASH_FUNC_MASK		0x000000ffu
#define NDIS_HASH_IPV4			0x00000100u
#define NDIS_HASH_TCP_IPV4		0x00000200u
#define NDIS_HASH_IPV6			0x00000400u
#define NDIS_HASH_IPV6_EX		0x00000800u
#define NDIS_HASH_TCP_IPV6		0x00001000u
#define NDIS_HASH_TCP_IPV6_EX		0x00002000u

#define NDIS_RSS_KEY_SIZE		40
#define NDIS_RSS_TABLE_MAX		256	/* entries */

_Static_assert(sizeof(struct ndis_recv_scale_param) == 40, "rss parameters");
_Static_assert(offsetof(struct ndis_recv_scale_param, indirect_taboffset) == 16, "rss table offset");
_Static_assert(offsetof(struct ndis_recv_scale_param, hashkey_offset) == 24, "rss key offset");

/* OID_GEN_RNDIS_CONFIG_PARAMETER. */
struct rndis_config_parameter_info {
	uint32_t parameter_name_offset;	/* from the start of this struct */
	uint32_t parameter_name_length;	/* bytes */
	uint32_t parameter_type;
	uint32_t parameter_value_offset;
	uint32_t parameter_value_length;
} __attribute__((packed));

#define RNDIS_CONFIG_PARAM_TYPE_INTEGER	0
#define RNDIS_CONFIG_PARAM_TYPE_STRING	2

_Static_assert(sizeof(struct rndis_config_parameter_info) == 20, "config parameter");

/* OID_GEN_LINK_STATE, revision 1. */
struct ndis_link_state {
	struct ndis_object_header header;
	uint32_t media_connect_state;	/* 0 unknown, 1 connected, 2 disconnected */
	uint32_t media_duplex_state;
	uint32_t padding;
	uint64_t xmit_link_speed;
	uint64_t rcv_link_speed;
	uint32_t pause_functions;
	uint32_t auto_negotiation_flags;
} __attribute__((packed));

_Static_assert(sizeof(struct ndis_link_state) == 40, "link state");

#endif
