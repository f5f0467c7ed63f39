/* SPDX-License-Identifier: MIT */
/*
 * The Hyper-V partition: synthetic MSRs, the hypercall page and hypercalls, the
 * SynIC and synthetic timers, reference time and crash reporting, all in user space.
 *
 * hvkvm traps the synthetic MSR range with a KVM MSR filter (KVM's own Hyper-V code,
 * where it exists, never sees an access) and fills the hypercall page with code that
 * exits to hvkvm through port I/O, since KVM answers a bare VMCALL itself.
 *
 * VMBus uses this module through connections: handlers for HvCallPostMessage and
 * HvCallSignalEvent per connection id, and the SynIC to post messages and set event
 * flags in the other direction.
 */
#ifndef HVKVM_HV_H
#define HVKVM_HV_H

#include <stdint.h>
#include <stdio.h>

#include "hv_features.h"
#include "synic.h"

struct gmem;
struct loop;
struct vm;
struct hv;

/* The guest posted a message to this connection: return an HV_STATUS. Runs on the
 * vCPU thread that made the hypercall. */
typedef int hv_message_fn(void *opaque, unsigned vp, uint32_t type, const void *payload, uint32_t len);
/* The guest signalled this connection's event (flag relative to it): an HV_STATUS. */
typedef int hv_event_fn(void *opaque, unsigned vp, uint16_t flag);

enum hv_crash_action {
	HV_CRASH_EXIT,		/* log the crash and exit with status 5 */
	HV_CRASH_RESET,		/* log the crash and restart the guest */
};

/* The guest reported a crash through the crash MSRs (on the vCPU thread that wrote
 * CRASH_CTL): ctl, P0-P4, and its message (printable ASCII, "" if none). */
typedef void hv_crash_fn(void *opaque, uint64_t ctl, const uint64_t p[5], const char *message);

/* The partition without KVM around it; hv_attach() wires it into a VM. */
struct hv *hv_new(const struct hv_features *f, const struct gmem *mem, unsigned nvp,
		  struct loop *loop, synic_inject_fn *inject, void *inject_ctx);
void hv_free(struct hv *hv);
/* Partition and VP state back to power-on (guest reset). */
void hv_reset(struct hv *hv);
/* (Re)start reference time: guest TSC at tsc_hz, guest_tsc = host_tsc + tsc_offset,
 * time 0 at guest TSC guest_tsc_start. */
int hv_set_clock(struct hv *hv, uint64_t tsc_hz, int64_t tsc_offset, uint64_t guest_tsc_start);

/* The partition with features f for vm, delivering interrupts through KVM. */
struct hv *hv_create_for_vm(struct vm *vm, const struct hv_features *f);
/* CPUID, MSR filter and handlers, hypercall ports, reset and boot hooks. */
int hv_attach(struct hv *hv, struct vm *vm, enum hv_crash_action on_crash);

/* Synthetic MSR access by vp: 0, or -EPERM for #GP. */
int hv_msr_read(struct hv *hv, unsigned vp, uint32_t msr, uint64_t *val);
int hv_msr_write(struct hv *hv, unsigned vp, uint32_t msr, uint64_t val);

/* One hypercall by vp in its register form; returns the result value. Fast calls take
 * their input from in/out; slow calls read guest memory at in and write it at out. */
uint64_t hv_hypercall(struct hv *hv, unsigned vp, uint64_t control, uint64_t in, uint64_t out);

struct synic *hv_synic(struct hv *hv);
/* Partition reference time now (100 ns since the guest started), 0 before it does. */
uint64_t hv_reference_time(struct hv *hv);
int hv_connect_messages(struct hv *hv, uint32_t conn_id, hv_message_fn *fn, void *opaque);
int hv_connect_events(struct hv *hv, uint32_t conn_id, hv_event_fn *fn, void *opaque);
/* A connection whose events only signal fd: KVM does it without an exit for the
 * 64-bit fast HvSignalEvent, hvkvm for every other form. */
int hv_connect_eventfd(struct hv *hv, uint32_t conn_id, int fd);
void hv_disconnect(struct hv *hv, uint32_t conn_id);

/*
 * The VM pauses: reference time (TIME_REF_COUNT, the TSC page, synthetic timer
 * deadlines) stands still and no synthetic timer fires. On resume it goes on from
 * where it stood: the TSC page gets a new offset (and sequence), so the guest's
 * reference time does not jump, while its TSC has run on through the pause. Loop
 * thread, vCPUs stopped.
 */
void hv_pause(struct hv *hv);
void hv_resume(struct hv *hv);

/* Set before the vCPUs run or while they are stopped; NULL removes it. */
void hv_set_crash_fn(struct hv *hv, hv_crash_fn *fn, void *opaque);

/* Counters of MSR accesses, hypercalls and SynIC deliveries. */
struct hv_stats {
	uint64_t hcalls_other;		/* codes beyond the per-code table */
	uint64_t hcall_errors;
	uint64_t stimer_expirations;
	struct synic_stats synic;
};
void hv_get_stats(struct hv *hv, struct hv_stats *s);
/* fn for every synthetic MSR accessed so far, and every hypercall code called. */
void hv_foreach_msr_stat(struct hv *hv, void (*fn)(void *opaque, uint32_t msr, const char *name,
						   uint64_t reads, uint64_t writes), void *opaque);
void hv_foreach_hcall_stat(struct hv *hv, void (*fn)(void *opaque, unsigned code, const char *name,
						     uint64_t count), void *opaque);
void hv_print_stats(struct hv *hv, FILE *out);

#endif
