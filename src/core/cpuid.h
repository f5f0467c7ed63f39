/* SPDX-License-Identifier: MIT */
/* The CPUID table each vCPU sees: what KVM supports on this host, with the VM's
 * topology (one socket, one thread per core, APIC ID = vCPU index) and without
 * KVM's own paravirtual leaves. */
#ifndef HVKVM_CPUID_H
#define HVKVM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_cpuid2;
struct kvm_cpuid_entry2;

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd);
bool cpuid_is_amd(const struct kvm_cpuid2 *c);
/* A new table for vCPU index of ncpus; free() it. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index, unsigned ncpus);

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index);
/* Append an entry; the table must have room (cpuid_for_vcpu leaves CPUID_SPARE). */
int cpuid_add(struct kvm_cpuid2 *c, const struct kvm_cpuid_entry2 *e);
void cpuid_remove_range(struct kvm_cpuid2 *c, uint32_t first, uint32_t last);

#define CPUID_SPARE 32

#endif
