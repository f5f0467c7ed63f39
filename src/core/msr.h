/* SPDX-License-Identifier: MIT */
/*
 * MSR accesses KVM hands to user space (KVM_CAP_X86_USER_SPACE_MSR): MSRs KVM does
 * not know, and those a filter sends here. Handlers claim index ranges; an access no
 * handler claims raises #GP, as on hardware without that MSR.
 */
#ifndef HVKVM_MSR_H
#define HVKVM_MSR_H

#include <stdint.h>

struct vm;
struct vcpu;

struct msr_handler {
	uint32_t first, last;	/* inclusive range of indices */
	/* Return 0, or a negative errno to raise #GP in the guest. */
	int (*read)(struct vcpu *v, uint32_t index, uint64_t *val, void *opaque);
	int (*write)(struct vcpu *v, uint32_t index, uint64_t val, void *opaque);
	void *opaque;
};

#define MSR_MAX_HANDLERS 16

int msr_register(struct vm *vm, const struct msr_handler *h);
int msr_read(struct vcpu *v, uint32_t index, uint64_t *val);
int msr_write(struct vcpu *v, uint32_t index, uint64_t val);

#endif
