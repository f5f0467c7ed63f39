/* SPDX-License-Identifier: MIT */
#include "cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

bool cpuid_is_amd(const struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 0)
			/* "AuthenticAMD" or "HygonGenuine": EBX holds "Auth" / "Hygo". */
			return e->ebx == 0x68747541 || e->ebx == 0x6f677948;
	}
	return false;
}

int cpuid_add(struct kvm_cpuid2 *c, const struct kvm_cpuid_entry2 *e)
{
	c->entries[c->nent++] = *e;
	return 0;
}

void cpuid_remove_range(struct kvm_cpuid2 *c, uint32_t first, uint32_t last)
{
	unsigned j = 0;

	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function < first || c->entries[i].function > last)
			c->entries[j++] = c->entries[i];
	c->nent = j;
}

static unsigned ceil_log2(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/* Leaf 4 and AMD's 0x8000001D describe caches: say L3 is shared by all cores and the
 * others are private, which is what one socket of single-thread cores looks like. */
static void fix_cache_sharing(struct kvm_cpuid2 *c, uint32_t function, unsigned core_bits,
			      bool set_cores)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		unsigned level = (e->eax >> 5) & 7, sharing;

		if (e->function != function || (e->eax & 0x1f) == 0)
			continue;
		sharing = level == 3 ? (1u << core_bits) : 1;
		e->eax = (e->eax & ~(0xfffu << 14)) | ((sharing - 1) << 14);
		if (set_cores)
			e->eax = (e->eax & 0x03ffffff) | (((1u << core_bits) - 1) << 26);
	}
}

static void set_ext_topology(struct kvm_cpuid2 *c, uint32_t function, unsigned apic_id,
			     unsigned ncpus, unsigned core_bits)
{
	struct kvm_cpuid_entry2 e = { .function = function, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };

	cpuid_remove_range(c, function, function);
	/* SMT level: one thread per core. */
	e.index = 0;
	e.eax = 0;
	e.ebx = 1;
	e.ecx = (1u << 8) | 0;
	e.edx = apic_id;
	cpuid_add(c, &e);
	/* Core level: all vCPUs in one package. */
	e.index = 1;
	e.eax = core_bits;
	e.ebx = ncpus;
	e.ecx = (2u << 8) | 1;
	cpuid_add(c, &e);
	/* Terminator. */
	e.index = 2;
	e.eax = e.ebx = 0;
	e.ecx = 2;
	cpuid_add(c, &e);
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned index, unsigned ncpus)
{
	size_t sz = sizeof(*supported) + (supported->nent + CPUID_SPARE) * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	unsigned core_bits = ceil_log2(ncpus);
	bool amd = cpuid_is_amd(supported);
	struct kvm_cpuid_entry2 *e;
	uint32_t max_basic = 0;

	if (!c)
		return NULL;
	memcpy(c, supported, sizeof(*supported) + supported->nent * sizeof(supported->entries[0]));
	/* KVM's paravirtual leaves: a Hyper-V guest must not find a KVM signature (Linux
	 * prefers KVM when it sees both). The Hyper-V leaves are added by hv-enlight. */
	cpuid_remove_range(c, 0x40000000, 0x4fffffff);

	if ((e = cpuid_find(c, 0, 0)))
		max_basic = e->eax;
	if ((e = cpuid_find(c, 1, 0))) {
		unsigned logical = 1u << core_bits;

		e->ebx = (e->ebx & 0x0000ffff) | (index << 24) | ((logical > 255 ? 255 : logical) << 16);
		if (ncpus > 1)
			e->edx |= 1u << 28;	/* HTT: more than one logical processor */
		else
			e->edx &= ~(1u << 28);
		e->ecx &= ~(1u << 5);		/* no VMX for the guest */
		e->ecx |= 1u << 31;		/* running under a hypervisor */
	}
	if (!amd)
		fix_cache_sharing(c, 4, core_bits, true);
	if (max_basic >= 0xb)
		set_ext_topology(c, 0xb, index, ncpus, core_bits);
	if (max_basic >= 0x1f && cpuid_find(c, 0x1f, 0))
		set_ext_topology(c, 0x1f, index, ncpus, core_bits);

	if ((e = cpuid_find(c, 0x80000001, 0))) {
		e->ecx &= ~(1u << 2);		/* no SVM for the guest */
		if (amd && ncpus > 1)
			e->ecx |= 1u << 1;	/* CmpLegacy: cores, not threads */
		else
			e->ecx &= ~(1u << 1);
	}
	if (amd && (e = cpuid_find(c, 0x80000008, 0)))
		e->ecx = (e->ecx & ~0xf0ffu) | (core_bits << 12) | (ncpus - 1);
	if (amd) {
		fix_cache_sharing(c, 0x8000001d, core_bits, false);
		if ((e = cpuid_find(c, 0x8000001e, 0))) {
			e->eax = index;		/* extended APIC ID */
			e->ebx = index & 0xff;	/* core ID; one thread per core */
			e->ecx = 0;		/* node 0, one node */
			e->edx = 0;
		}
	}
	return c;
}
