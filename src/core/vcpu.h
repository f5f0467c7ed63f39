/* SPDX-License-Identifier: MIT */
/* One vCPU: its KVM file descriptor, its thread running KVM_RUN, and its exits. */
#ifndef HVKVM_VCPU_H
#define HVKVM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct vm;
struct kvm_run;

enum vcpu_stat {
	VCPU_STAT_EXITS,
	VCPU_STAT_PIO,
	VCPU_STAT_MMIO,
	VCPU_STAT_MSR_READ,
	VCPU_STAT_MSR_WRITE,
	VCPU_STAT_INTR,		/* KVM_RUN interrupted by a signal (kicks) */
	VCPU_STAT_OTHER,
	VCPU_STAT_COUNT
};

struct vcpu {
	struct vm *vm;
	unsigned index;			/* also the APIC ID */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool running;			/* thread started and not yet joined */
	atomic_bool stop;		/* set by vcpu_stop(), read by the thread */
	/* Written by the vCPU thread only, read anywhere: relaxed atomic loads and stores
	 * (no read-modify-write needed with a single writer). */
	uint64_t stats[VCPU_STAT_COUNT];
	/* vCPU thread: what the guest may repeat at will. */
	struct log_ratelimit exit_rl;		/* unexpected exit reasons */
	struct log_ratelimit rdmsr_rl, wrmsr_rl;	/* MSRs nothing handles */
};

static inline void vcpu_stat_inc(struct vcpu *v, enum vcpu_stat k)
{
	__atomic_store_n(&v->stats[k], __atomic_load_n(&v->stats[k], __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static inline uint64_t vcpu_stat(const struct vcpu *v, enum vcpu_stat k)
{
	return __atomic_load_n(&v->stats[k], __ATOMIC_RELAXED);
}

/* A counter's name in --stats output ("port I/O") and as a key ("port_io"). */
const char *vcpu_stat_label(enum vcpu_stat k);
const char *vcpu_stat_key(enum vcpu_stat k);

int vcpu_create(struct vm *vm, unsigned index, struct vcpu **out);
void vcpu_destroy(struct vcpu *v);
/*
 * How vCPU 0 enters the guest, as the guest loader leaves it: firmware starts from
 * the architectural reset state (KVM's power-on registers, the reset vector below
 * 4 GiB); a loaded kernel in 64-bit mode on flat segments of the loader's GDT.
 */
enum vcpu_entry {
	VCPU_ENTRY_RESET,
	VCPU_ENTRY_LONG64,
};

struct vcpu_boot_state {
	enum vcpu_entry entry;
	/* VCPU_ENTRY_LONG64 only */
	uint64_t rip, rsi, rsp;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;		/* selectors into that GDT */
};

/* Registers for vCPU 0's entry (VCPU_ENTRY_RESET: nothing to change). */
int vcpu_set_boot_state(struct vcpu *v, const struct vcpu_boot_state *st);
int vcpu_start(struct vcpu *v);
/* Make KVM_RUN return soon; from any thread. */
void vcpu_kick(struct vcpu *v);
/* Stop the thread and wait for it; from any thread but the vCPU's own. */
void vcpu_stop(struct vcpu *v);
/* Log the vCPU's registers (for faults and errors). */
void vcpu_dump_state(struct vcpu *v, enum log_level level);

/* Install the signal used by vcpu_kick(); once per process before any vCPU starts. */
int vcpu_init_signals(void);

/* The vCPU whose thread is calling, or NULL on other threads. Exit handlers that need
 * the trapping vCPU's registers (hypercalls) use it. */
struct vcpu *vcpu_current(void);

struct kvm_regs;
struct kvm_sregs;
int vcpu_get_regs(struct vcpu *v, struct kvm_regs *r);
int vcpu_set_regs(struct vcpu *v, const struct kvm_regs *r);
int vcpu_get_sregs(struct vcpu *v, struct kvm_sregs *s);
/* Make the guest take exception `vector` (no error code) when it resumes. */
int vcpu_inject_exception(struct vcpu *v, uint8_t vector);
/* Guest TSC minus host TSC, as KVM applies it. */
int vcpu_get_tsc_offset(struct vcpu *v, int64_t *offset);
/* Read or write an MSR KVM itself keeps (KVM_GET_MSRS/KVM_SET_MSRS), as the host: the
 * guest's MSR filter does not apply. -EINVAL when KVM refuses the index or the value. */
int vcpu_kvm_msr_get(struct vcpu *v, uint32_t index, uint64_t *val);
int vcpu_kvm_msr_set(struct vcpu *v, uint32_t index, uint64_t val);

#endif
