/* SPDX-License-Identifier: MIT */
/*
 * The integration components' wire format: the pipe and IC headers every message
 * starts with, the version negotiation, and the messages of each component (shutdown,
 * heartbeat, time sync, key-value pair exchange, VSS, file copy). All little-endian.
 */
#ifndef HVKVM_IC_PROTO_H
#define HVKVM_IC_PROTO_H

#include <stdint.h>

/* The IC framing inside each in-band packet: a pipe header, then the IC header. */
struct ic_pipe_hdr {
	uint32_t flags;
	uint32_t msgsize;		/* bytes after this header */
} __attribute__((packed));

struct ic_version {
	uint16_t major, minor;
} __attribute__((packed));

struct ic_msg_hdr {
	struct ic_version framework;
	uint16_t msgtype;
	struct ic_version message;
	uint16_t msgsize;		/* bytes after this header */
	uint32_t status;
	uint8_t transaction_id;
	uint8_t flags;
	uint8_t reserved[2];
} __attribute__((packed));

struct ic_negotiate {
	uint16_t framework_count;
	uint16_t message_count;
	uint32_t reserved;
	struct ic_version v[];		/* framework versions, then message versions */
} __attribute__((packed));

#define IC_MSGTYPE_NEGOTIATE	0
#define IC_MSGTYPE_HEARTBEAT	1
#define IC_MSGTYPE_KVP		2
#define IC_MSGTYPE_SHUTDOWN	3
#define IC_MSGTYPE_TIMESYNC	4
#define IC_MSGTYPE_VSS		5
#define IC_FLAG_TRANSACTION	1
#define IC_FLAG_REQUEST		2
#define IC_FLAG_RESPONSE	4
#define IC_PIPE_DATA		1
#define IC_STATUS_OK		0

struct ic_shutdown_msg {
	uint32_t reason_code;
	uint32_t timeout_seconds;
	uint32_t flags;
	uint8_t display_message[2048];
} __attribute__((packed));

struct ic_heartbeat_msg {
	uint64_t seq_num;
	uint32_t reserved[8];
} __attribute__((packed));

struct ic_timesync_msg {		/* message version 4.0 and later */
	uint64_t parent_time;		/* UTC, 100 ns since 1601 */
	uint64_t vm_reference_time;	/* partition reference time of the same instant */
	uint8_t flags;
	uint8_t leap_flags;
	uint8_t stratum;
	uint8_t reserved[5];
} __attribute__((packed));

struct ic_timesync_msg_v3 {		/* before 4.0 */
	uint64_t parent_time;
	uint64_t child_time;
	uint64_t round_trip_time;
	uint8_t flags;
	uint8_t reserved[7];
} __attribute__((packed));

_Static_assert(sizeof(struct ic_pipe_hdr) == 8, "pipe header");
_Static_assert(sizeof(struct ic_msg_hdr) == 20, "ic header");
_Static_assert(sizeof(struct ic_shutdown_msg) == 2060, "shutdown message");
_Static_assert(sizeof(struct ic_heartbeat_msg) == 40, "heartbeat message");
_Static_assert(sizeof(struct ic_timesync_msg) == 24, "timesync message");

#define IC_SHUTDOWN_POWEROFF	0
#define IC_SHUTDOWN_RESTART	2
#define IC_SHUTDOWN_REASON_PLANNED 0x80000000u
#define IC_TIMESYNC_SYNC	1
#define IC_TIMESYNC_SAMPLE	2
#define IC_WINDOWS_EPOCH_DELTA	116444736000000000ull	/* 1601 to 1970 in 100 ns */
/* ---- key-value pair exchange (KVP) ---- */

#define KVP_OP_GET		0
#define KVP_OP_SET		1
#define KVP_OP_DELETE		2
#define KVP_OP_ENUMERATE	3
#define KVP_OP_GET_IP_INFO	4
#define KVP_OP_SET_IP_INFO	5

#define KVP_KEY_BYTES		512	/* HV_KVP_EXCHANGE_MAX_KEY_SIZE */
#define KVP_VALUE_BYTES		2048	/* HV_KVP_EXCHANGE_MAX_VALUE_SIZE */
#define KVP_MSG_SIZE		2580	/* GET, SET, DELETE, ENUMERATE as Hyper-V sends them */

#define REG_SZ			1
#define REG_EXPAND_SZ		2
#define REG_DWORD		4
#define REG_U64			8	/* Linux's name for a 64-bit value */
#define REG_QWORD		11	/* Windows' */

struct kvp_value {
	uint32_t value_type;
	uint32_t key_size;		/* bytes of UTF-16, NUL included */
	uint32_t value_size;
	uint8_t key[KVP_KEY_BYTES];
	uint8_t value[KVP_VALUE_BYTES];
} __attribute__((packed));

struct kvp_hdr {
	uint8_t operation;
	uint8_t pool;
	uint16_t pad;
} __attribute__((packed));

struct kvp_msg_set {			/* GET and SET */
	struct kvp_hdr h;
	struct kvp_value v;
} __attribute__((packed));

struct kvp_msg_delete {
	struct kvp_hdr h;
	uint32_t key_size;
	uint8_t key[KVP_KEY_BYTES];
} __attribute__((packed));

struct kvp_msg_enumerate {
	struct kvp_hdr h;
	uint32_t index;
	struct kvp_value v;
} __attribute__((packed));

/* GET_IP_INFO and SET_IP_INFO in the string form of message versions before 5.0
 * (hv_kvp_ip_msg). */
#define KVP_ADAPTER_UNITS	128
#define KVP_IP_UNITS		1024
#define KVP_GW_UNITS		512
#define KVP_FAMILY_IPV4		1
#define KVP_FAMILY_IPV6		2
struct kvp_msg_ip {
	uint8_t operation;
	uint8_t pool;
	uint16_t adapter_id[KVP_ADAPTER_UNITS];
	uint8_t addr_family;
	uint8_t dhcp_enabled;
	uint16_t ip_addr[KVP_IP_UNITS];
	uint16_t sub_net[KVP_IP_UNITS];
	uint16_t gate_way[KVP_GW_UNITS];
	uint16_t dns_addr[KVP_IP_UNITS];
} __attribute__((packed));

_Static_assert(sizeof(struct kvp_value) == 2572, "hv_kvp_exchg_msg_value");
_Static_assert(sizeof(struct kvp_msg_set) == 2576, "SET message");
_Static_assert(sizeof(struct kvp_msg_enumerate) == KVP_MSG_SIZE, "ENUMERATE message");
_Static_assert(__builtin_offsetof(struct kvp_msg_enumerate, v.key) == 20, "ENUMERATE key");
_Static_assert(__builtin_offsetof(struct kvp_msg_enumerate, v.value) == 532, "ENUMERATE value");
_Static_assert(sizeof(struct kvp_msg_ip) == 7428, "hv_kvp_ip_msg");
_Static_assert(__builtin_offsetof(struct kvp_msg_ip, addr_family) == 258, "IP family");
_Static_assert(__builtin_offsetof(struct kvp_msg_ip, dns_addr) == 5380, "IP dns");

/* ---- file copy (Guest Services, "fcopy") ---- */

#define IC_MSGTYPE_FCOPY	7

#define FCOPY_OP_START		0	/* START_FILE_COPY */
#define FCOPY_OP_WRITE		1	/* WRITE_TO_FILE */
#define FCOPY_OP_COMPLETE	2	/* COMPLETE_FCOPY */
#define FCOPY_OP_CANCEL		3	/* CANCEL_FCOPY */

#define FCOPY_W_MAX_PATH	260	/* UTF-16 units of each name field, NUL included */
#define FCOPY_DATA_FRAGMENT	6144	/* bytes of file in one WRITE_TO_FILE */
#define FCOPY_OVER_WRITE	0x1
#define FCOPY_CREATE_PATH	0x2

struct fcopy_hdr {
	uint32_t operation;
	uint8_t service_id0[16];	/* unused by Linux */
	uint8_t service_id1[16];
} __attribute__((packed));

struct fcopy_start {
	struct fcopy_hdr h;
	uint16_t file_name[FCOPY_W_MAX_PATH];	/* the name alone */
	uint16_t path_name[FCOPY_W_MAX_PATH];	/* the directory it goes in */
	uint32_t copy_flags;
	uint64_t file_size;
} __attribute__((packed));

struct fcopy_write {
	struct fcopy_hdr h;
	uint32_t pad;
	uint64_t offset;
	uint32_t size;
	uint8_t data[FCOPY_DATA_FRAGMENT];
} __attribute__((packed));

_Static_assert(sizeof(struct fcopy_hdr) == 36, "hv_fcopy_hdr");
_Static_assert(sizeof(struct fcopy_start) == 1088, "hv_start_fcopy");
_Static_assert(__builtin_offsetof(struct fcopy_start, path_name) == 556, "hv_start_fcopy path_name");
_Static_assert(__builtin_offsetof(struct fcopy_start, copy_flags) == 1076, "hv_start_fcopy copy_flags");
_Static_assert(sizeof(struct fcopy_write) == 6196, "hv_do_fcopy");
_Static_assert(__builtin_offsetof(struct fcopy_write, offset) == 40, "hv_do_fcopy offset");
_Static_assert(__builtin_offsetof(struct fcopy_write, data) == 52, "hv_do_fcopy data");
/* ---- VSS (Backup: volume snapshots) ---- */

#define VSS_OP_CREATE		0
#define VSS_OP_DELETE		1
#define VSS_OP_HOT_BACKUP	2
#define VSS_OP_GET_DM_INFO	3
#define VSS_OP_BU_COMPLETE	4
#define VSS_OP_FREEZE		5	/* message version 5.0 and later */
#define VSS_OP_THAW		6
#define VSS_OP_AUTO_RECOVER	7
#define VSS_OP_COUNT		9	/* QUERY_GUEST_CLUSTER_INFO (8) is the last, 6.0 */

/* hv_vss_msg: what Linux reads of every VSS message (it drops packets shorter than the
 * IC header and this); Windows' FREEZE carries a LUN list after it, which Linux ignores. */
struct vss_msg {
	uint8_t operation;
	uint8_t reserved[7];
	uint32_t flags;			/* vss_cf.flags, dm_info.flags */
} __attribute__((packed));

_Static_assert(sizeof(struct vss_msg) == 12, "hv_vss_msg");

#endif
