/* SPDX-License-Identifier: MIT */
/* State shared by hv.c and hypercall.c. */
#ifndef HVKVM_HV_INTERNAL_H
#define HVKVM_HV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "log.h"
#include "hv.h"
#include "hv_time.h"
#include "stimer.h"

/* Ports the hypercall page writes to: 0x36 for every hypercall, 0x37 for the 64-bit
 * HvSignalEvent fast path (an ioeventfd per connection id can take it without an exit
 * to hvkvm). Nothing on a PC decodes 0x30-0x3f. */
#define HV_HYPERCALL_PORT	0x36
#define HV_SIGNAL_PORT		0x37
#define HV_PORT_RANGE		8	/* both take 32-bit writes: claim 0x36-0x3d */
/* Offset of the `out 0x37` in the page, and how far a slow signal skips past it. */
#define HV_PAGE_SIGNAL_OUT	0x22
#define HV_PAGE_SIGNAL_SKIP	4

#define HV_MAX_CONNECTIONS	4096	/* VMBus alone may have 2047 channels */
#define HV_HCALL_STAT_CODES	0x100

struct hv_connection {
	uint32_t id;
	hv_message_fn *msg;
	hv_event_fn *event;
	void *opaque;
	int eventfd;			/* -1, or the fd the fast path signals */
};

struct hv_vp {
	uint64_t vp_assist;
};

struct hv {
	struct hv_features feat;
	struct hv_cpuid_bits bits;
	const struct gmem *mem;
	unsigned nvp;
	struct vm *vm;			/* NULL in unit tests */
	enum hv_crash_action on_crash;
	hv_crash_fn *crash_fn;		/* set with the vCPUs stopped */
	void *crash_opaque;

	pthread_mutex_t lock;		/* partition-wide MSRs and the clock below */
	uint64_t guest_os_id;
	uint64_t hypercall;
	uint64_t reference_tsc;
	uint32_t tsc_sequence;
	uint64_t crash_p[5];
	struct hv_clock clock;
	bool clock_valid;
	struct hv_vp *vp;

	struct synic *synic;
	struct stimers *stimers;

	pthread_rwlock_t conn_lock;	/* connections: read on every hypercall */
	struct hv_connection *conn;	/* sorted by id */
	unsigned nconn, conn_cap;

	/* Counters, updated with relaxed atomic adds. */
	uint64_t msr_reads[0x200], msr_writes[0x200];
	uint64_t hcalls[HV_HCALL_STAT_CODES];
	uint64_t hcalls_other;
	uint64_t hcall_errors;
	struct log_ratelimit hcall_error_rl;
	struct log_ratelimit ioeventfd_rl;	/* KVM_IOEVENTFD failures */
	struct log_ratelimit apic_msr_rl;	/* APIC MSRs KVM refused */
};

struct kvm_regs;
/* The hypercall registers of either calling convention: 64-bit RCX/RDX/R8 and RAX,
 * 32-bit EDX:EAX, EBX:ECX, EDI:ESI and EDX:EAX. */
void hv_hcall_decode(bool long_mode, const struct kvm_regs *r, uint64_t *control, uint64_t *in,
		     uint64_t *out);
void hv_hcall_encode(bool long_mode, uint64_t result, struct kvm_regs *r);

/* The connection with this id, or NULL; conn_lock held. */
struct hv_connection *hv_conn_find(struct hv *hv, uint32_t id);

/* hypercall.c */
uint64_t hv_hypercall_dispatch(struct hv *hv, unsigned vp, uint64_t control, uint64_t in, uint64_t out);

#endif
