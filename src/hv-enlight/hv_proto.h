/* SPDX-License-Identifier: MIT */
/*
 * The Hyper-V partition interface as the TLFS defines it: CPUID leaves, synthetic
 * MSRs, hypercall codes and status values, SynIC messages, the reference TSC page.
 */
#ifndef HVKVM_HV_PROTO_H
#define HVKVM_HV_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* CPUID leaves */
#define HV_CPUID_VENDOR_AND_MAX		0x40000000
#define HV_CPUID_INTERFACE		0x40000001
#define HV_CPUID_VERSION		0x40000002
#define HV_CPUID_FEATURES		0x40000003
#define HV_CPUID_ENLIGHTENMENT_INFO	0x40000004
#define HV_CPUID_IMPLEMENT_LIMITS	0x40000005
#define HV_CPUID_HARDWARE_FEATURES	0x40000006
#define HV_CPUID_MAX			0x4000000a
#define HV_CPUID_INTERFACE_HV1		0x31237648	/* "Hv#1" */

/* 0x40000003 EAX: partition privileges, low half */
#define HV_ACCESS_VP_RUNTIME		(1u << 0)
#define HV_ACCESS_TIME_REF_COUNT	(1u << 1)
#define HV_ACCESS_SYNIC			(1u << 2)
#define HV_ACCESS_STIMER		(1u << 3)
#define HV_ACCESS_APIC_MSRS		(1u << 4)
#define HV_ACCESS_HYPERCALL		(1u << 5)
#define HV_ACCESS_VP_INDEX		(1u << 6)
#define HV_ACCESS_RESET			(1u << 7)
#define HV_ACCESS_REFERENCE_TSC		(1u << 9)
#define HV_ACCESS_GUEST_IDLE		(1u << 10)
#define HV_ACCESS_FREQUENCY_MSRS	(1u << 11)
/* 0x40000003 EBX: partition privileges, high half */
#define HV_POST_MESSAGES		(1u << 4)
#define HV_SIGNAL_EVENTS		(1u << 5)
/* 0x40000003 EDX: features */
#define HV_FEATURE_FREQUENCY_MSRS	(1u << 8)
#define HV_FEATURE_GUEST_CRASH_MSRS	(1u << 10)
#define HV_FEATURE_HYPERCALL_MSR_LOCK	(1u << 18)
#define HV_FEATURE_STIMER_DIRECT	(1u << 19)
/* 0x40000004 EAX: recommendations */
#define HV_HINT_REMOTE_TLB_FLUSH	(1u << 2)
#define HV_HINT_APIC_ACCESS		(1u << 3)
#define HV_HINT_SYSTEM_RESET		(1u << 4)
#define HV_HINT_RELAXED_TIMING		(1u << 5)
#define HV_HINT_DEPRECATE_AEOI		(1u << 9)
#define HV_HINT_CLUSTER_IPI		(1u << 10)
#define HV_HINT_EX_PROCESSOR_MASKS	(1u << 11)
/* 0x40000006 EAX: hardware features in use */
#define HV_HW_MSR_BITMAPS		(1u << 1)
#define HV_HW_SLAT			(1u << 3)

/* Synthetic MSRs */
#define HV_X64_MSR_GUEST_OS_ID		0x40000000
#define HV_X64_MSR_HYPERCALL		0x40000001
#define HV_X64_MSR_VP_INDEX		0x40000002
#define HV_X64_MSR_RESET		0x40000003
#define HV_X64_MSR_VP_RUNTIME		0x40000010
#define HV_X64_MSR_TIME_REF_COUNT	0x40000020
#define HV_X64_MSR_REFERENCE_TSC	0x40000021
#define HV_X64_MSR_TSC_FREQUENCY	0x40000022
#define HV_X64_MSR_APIC_FREQUENCY	0x40000023
#define HV_X64_MSR_EOI			0x40000070
#define HV_X64_MSR_ICR			0x40000071
#define HV_X64_MSR_TPR			0x40000072
#define HV_X64_MSR_VP_ASSIST_PAGE	0x40000073
#define HV_X64_MSR_SCONTROL		0x40000080
#define HV_X64_MSR_SVERSION		0x40000081
#define HV_X64_MSR_SIEFP		0x40000082
#define HV_X64_MSR_SIMP			0x40000083
#define HV_X64_MSR_EOM			0x40000084
#define HV_X64_MSR_SINT0		0x40000090
#define HV_X64_MSR_SINT15		0x4000009f
#define HV_X64_MSR_STIMER0_CONFIG	0x400000b0
#define HV_X64_MSR_STIMER3_COUNT	0x400000b7
#define HV_X64_MSR_CRASH_P0		0x40000100
#define HV_X64_MSR_CRASH_P4		0x40000104
#define HV_X64_MSR_CRASH_CTL		0x40000105
#define HV_X64_MSR_FIRST		0x40000000
#define HV_X64_MSR_LAST			0x400001ff	/* what hvkvm traps */

#define HV_HYPERCALL_ENABLE		(1ull << 0)
#define HV_HYPERCALL_LOCKED		(1ull << 1)
#define HV_HYPERCALL_RSVD		0xffcull	/* bits 11:2 */
#define HV_PAGE_ENABLE			(1ull << 0)	/* SIMP, SIEFP, REFERENCE_TSC, VP_ASSIST */
#define HV_PAGE_RSVD			0xffeull	/* bits 11:1 */
#define HV_SCONTROL_ENABLE		(1ull << 0)
#define HV_SYNIC_VERSION		1
#define HV_SINT_VECTOR_MASK		0xffull
#define HV_SINT_MASKED			(1ull << 16)
#define HV_SINT_AUTO_EOI		(1ull << 17)
#define HV_SINT_POLLING			(1ull << 18)
#define HV_SINT_RESET			HV_SINT_MASKED
#define HV_SINT_COUNT			16
#define HV_CRASH_CTL_NOTIFY		(1ull << 63)
#define HV_CRASH_CTL_MESSAGE		(1ull << 62)
#define HV_CRASH_MESSAGE_MAX		4096
#define HV_APIC_FREQUENCY_HZ		1000000000ull	/* KVM's LAPIC timer runs at 1 GHz */

/* Synthetic timers */
#define HV_STIMER_COUNT			4
#define HV_STIMER_ENABLE		(1ull << 0)
#define HV_STIMER_PERIODIC		(1ull << 1)
#define HV_STIMER_LAZY			(1ull << 2)
#define HV_STIMER_AUTO_ENABLE		(1ull << 3)
#define HV_STIMER_VECTOR_SHIFT		4
#define HV_STIMER_VECTOR_MASK		(0xffull << 4)
#define HV_STIMER_DIRECT		(1ull << 12)
#define HV_STIMER_SINT_SHIFT		16
#define HV_STIMER_SINT_MASK		(0xfull << 16)
#define HV_STIMER_RSVD			(~0xf1fffull)	/* 15:13 and 63:20 */

/* Hypercall input value */
#define HV_HCALL_CODE_MASK		0xffffull
#define HV_HCALL_FAST			(1ull << 16)
#define HV_HCALL_VARHEAD_SHIFT		17
#define HV_HCALL_VARHEAD_MASK		(0x3ffull << 17)
#define HV_HCALL_REP_COUNT_SHIFT	32
#define HV_HCALL_REP_COUNT_MASK		(0xfffull << 32)
#define HV_HCALL_REP_START_SHIFT	48
#define HV_HCALL_REP_START_MASK		(0xfffull << 48)
#define HV_HCALL_RSVD			0xf000f000f8000000ull	/* 31:27, 47:44, 63:60 */
#define HV_HCALL_REPS_DONE_SHIFT	32

/* Hypercall codes */
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE	0x0002
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST	0x0003
#define HVCALL_NOTIFY_LONG_SPIN_WAIT		0x0008
#define HVCALL_SEND_IPI				0x000b
#define HVCALL_SEND_IPI_EX			0x0015
#define HVCALL_POST_MESSAGE			0x005c
#define HVCALL_SIGNAL_EVENT			0x005d

/* Hypercall status */
#define HV_STATUS_SUCCESS			0x00
#define HV_STATUS_INVALID_HYPERCALL_CODE	0x02
#define HV_STATUS_INVALID_HYPERCALL_INPUT	0x03
#define HV_STATUS_INVALID_ALIGNMENT		0x04
#define HV_STATUS_INVALID_PARAMETER		0x05
#define HV_STATUS_ACCESS_DENIED			0x06
#define HV_STATUS_INSUFFICIENT_MEMORY		0x0b
#define HV_STATUS_INVALID_VP_INDEX		0x0e
#define HV_STATUS_INVALID_PORT_ID		0x11
#define HV_STATUS_INVALID_CONNECTION_ID		0x12
#define HV_STATUS_INSUFFICIENT_BUFFERS		0x13
#define HV_STATUS_INVALID_SYNIC_STATE		0x18

/* SynIC messages */
#define HV_MESSAGE_SIZE			256
#define HV_MESSAGE_PAYLOAD_MAX		240
#define HV_MESSAGE_PENDING		0x01	/* message_flags */
#define HVMSG_NONE			0x00000000u
#define HVMSG_TIMER_EXPIRED		0x80000010u
#define HV_EVENT_FLAGS_PER_SINT		2048

struct hv_message_header {
	uint32_t message_type;
	uint8_t payload_size;
	uint8_t message_flags;
	uint16_t reserved;
	uint64_t origin;		/* sender / port id */
} __attribute__((packed));

struct hv_message {
	struct hv_message_header header;
	uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
} __attribute__((packed));

struct hv_timer_message_payload {
	uint32_t timer_index;
	uint32_t reserved;
	uint64_t expiration_time;	/* 100 ns reference time */
	uint64_t delivery_time;
} __attribute__((packed));

/* HvCallPostMessage input */
struct hv_post_message_input {
	uint32_t connection_id;
	uint32_t reserved;
	uint32_t message_type;
	uint32_t payload_size;
	uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
} __attribute__((packed));

/* HvCallSignalEvent input (8 bytes; usually fast, in RDX) */
#define HV_SIGNAL_CONNECTION_MASK	0x00ffffffull
#define HV_SIGNAL_FLAG_SHIFT		32

/* HvCallSendSyntheticClusterIpi(Ex) */
struct hv_send_ipi_input {
	uint32_t vector;
	uint8_t target_vtl;
	uint8_t reserved[3];
	uint64_t cpu_mask;
} __attribute__((packed));

#define HV_GENERIC_SET_SPARSE_4K	0
#define HV_GENERIC_SET_ALL		1

struct hv_send_ipi_ex_input {
	uint32_t vector;
	uint8_t target_vtl;
	uint8_t reserved[3];
	uint64_t format;		/* the hv_vpset begins here */
	uint64_t valid_bank_mask;
	/* uint64_t bank_contents[popcount(valid_bank_mask)] */
} __attribute__((packed));

#define HV_IPI_LOW_VECTOR		0x10
#define HV_IPI_HIGH_VECTOR		0xff

/* Reference TSC page */
struct hv_reference_tsc_page {
	uint32_t tsc_sequence;		/* 0: invalid, use TIME_REF_COUNT */
	uint32_t reserved1;
	uint64_t tsc_scale;
	int64_t tsc_offset;
} __attribute__((packed));

_Static_assert(sizeof(struct hv_message_header) == 16, "hv_message_header");
_Static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE, "hv_message");
_Static_assert(sizeof(struct hv_timer_message_payload) == 24, "timer payload");
_Static_assert(sizeof(struct hv_post_message_input) == 256, "post message input");
_Static_assert(offsetof(struct hv_post_message_input, payload) == 16, "post message payload");
_Static_assert(sizeof(struct hv_send_ipi_input) == 16, "send ipi input");
_Static_assert(sizeof(struct hv_send_ipi_ex_input) == 24, "send ipi ex input");
_Static_assert(offsetof(struct hv_reference_tsc_page, tsc_scale) == 8, "tsc page scale");
_Static_assert(offsetof(struct hv_reference_tsc_page, tsc_offset) == 16, "tsc page offset");

#endif
