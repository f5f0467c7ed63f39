/* SPDX-License-Identifier: MIT */
/*
 * The per-vCPU CPUID table, from synthetic KVM_GET_SUPPORTED_CPUID answers for an
 * Intel and an AMD host: topology leaves for one socket of single-thread cores, no
 * nested virtualization, no KVM signature.
 */
#include <check.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuid.h"
#include "testutil.h"

#define SIG	KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/* Intel leaf 4 / AMD 0x8000001D: type 1 data, 2 instruction, 3 unified; level in 7:5;
 * bit 8 self-initializing, bit 9 fully associative. */
#define CACHE_EAX(type, level)	((type) | ((level) << 5) | (1u << 8))

static const struct kvm_cpuid_entry2 intel_entries[] = {
	/* "GenuineIntel", max basic leaf 0xd */
	{ .function = 0, .eax = 0xd, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
	/* brand 0x00, CLFLUSH 8, host says 16 logical, APIC ID 7; VMX (ecx bit 5) set */
	{ .function = 1, .eax = 0x000906ea, .ebx = 0x07100800, .ecx = 0x7ffafbff,
	  .edx = 0xbfebfbff },
	{ .function = 4, .index = 0, .flags = SIG, .eax = CACHE_EAX(1, 1) | (1u << 14) | (7u << 26),
	  .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 4, .index = 1, .flags = SIG, .eax = CACHE_EAX(2, 1) | (1u << 14) | (7u << 26),
	  .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 4, .index = 2, .flags = SIG, .eax = CACHE_EAX(3, 2) | (1u << 14) | (7u << 26),
	  .ebx = 0x00c0003f, .ecx = 0x3ff },
	{ .function = 4, .index = 3, .flags = SIG,
	  .eax = CACHE_EAX(3, 3) | (1u << 9) | (15u << 14) | (7u << 26), .ebx = 0x03c0003f,
	  .ecx = 0x2fff, .edx = 0x6 },
	{ .function = 4, .index = 4, .flags = SIG },	/* no more caches */
	{ .function = 7, .index = 0, .flags = SIG, .eax = 0, .ebx = 0x029c6fbf },
	/* Host topology: 2 threads per core, 8 logical processors. */
	{ .function = 0xb, .index = 0, .flags = SIG, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 7 },
	{ .function = 0xb, .index = 1, .flags = SIG, .eax = 4, .ebx = 8, .ecx = 0x201, .edx = 7 },
	{ .function = 0xb, .index = 2, .flags = SIG, .eax = 0, .ebx = 0, .ecx = 0x2, .edx = 7 },
	{ .function = 0xd, .index = 0, .flags = SIG, .eax = 0x7, .ebx = 0x340, .ecx = 0x340 },
	/* KVM's own leaves */
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b, .ecx = 0x564b4d56,
	  .edx = 0x4d },
	{ .function = 0x40000001, .eax = 0x01007afb },
	{ .function = 0x80000000, .eax = 0x80000008 },
	/* LAHF (bit 0), CmpLegacy (1) and SVM (2) set to see them cleared */
	{ .function = 0x80000001, .ecx = 0x00000127, .edx = 0x2c100800 },
	{ .function = 0x80000008, .eax = 0x3027 },
};

static const struct kvm_cpuid_entry2 amd_entries[] = {
	/* "AuthenticAMD", max basic leaf 0x10 */
	{ .function = 0, .eax = 0x10, .ebx = 0x68747541, .ecx = 0x444d4163, .edx = 0x69746e65 },
	{ .function = 1, .eax = 0x00a20f10, .ebx = 0x0a100800, .ecx = 0x7ed8320b,
	  .edx = 0x178bfbff },
	{ .function = 7, .index = 0, .flags = SIG, .ebx = 0x219c97a9 },
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b, .ecx = 0x564b4d56,
	  .edx = 0x4d },
	{ .function = 0x40000001, .eax = 0x01007afb },
	{ .function = 0x80000000, .eax = 0x80000021 },
	/* LAHF, CmpLegacy, SVM and more */
	{ .function = 0x80000001, .eax = 0x00a20f10, .ecx = 0x75c237ff, .edx = 0x2fd3fbff },
	/* PerfTscSize 3 (bits 17:16), ApicIdCoreIdSize 7, NC 15 */
	{ .function = 0x80000008, .eax = 0x3030, .ebx = 0x111ef657, .ecx = 0x0003700f },
	{ .function = 0x8000001d, .index = 0, .flags = SIG, .eax = CACHE_EAX(1, 1) | (1u << 14),
	  .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 0x8000001d, .index = 1, .flags = SIG, .eax = CACHE_EAX(2, 1) | (1u << 14),
	  .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 0x8000001d, .index = 2, .flags = SIG, .eax = CACHE_EAX(3, 2) | (1u << 14),
	  .ebx = 0x01c0003f, .ecx = 0x3ff, .edx = 0x2 },
	{ .function = 0x8000001d, .index = 3, .flags = SIG, .eax = CACHE_EAX(3, 3) | (15u << 14),
	  .ebx = 0x03c0003f, .ecx = 0x7fff, .edx = 0x1 },
	{ .function = 0x8000001d, .index = 4, .flags = SIG },
	/* extended APIC ID 10, 2 threads per core, core 5, node 0 of 1 */
	{ .function = 0x8000001e, .eax = 0xa, .ebx = 0x0105, .ecx = 0x0000, .edx = 0 },
};

#define N_INTEL	(sizeof(intel_entries) / sizeof(intel_entries[0]))
#define N_AMD	(sizeof(amd_entries) / sizeof(amd_entries[0]))

static struct kvm_cpuid2 *make_table(const struct kvm_cpuid_entry2 *e, unsigned n, unsigned room)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (n + room) * sizeof(c->entries[0]));

	ck_assert_ptr_nonnull(c);
	c->nent = n;
	memcpy(c->entries, e, n * sizeof(*e));
	return c;
}

static unsigned count_function(const struct kvm_cpuid2 *c, uint32_t function)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nent; i++)
		n += c->entries[i].function == function;
	return n;
}

static unsigned expect_core_bits(unsigned ncpus)
{
	switch (ncpus) {
	case 1: return 0;
	case 2: return 1;
	case 3: case 4: return 2;
	case 5: case 6: case 7: case 8: return 3;
	}
	ck_abort_msg("no expectation for %u CPUs", ncpus);
	return 0;
}

static const struct { unsigned ncpus, index; } cases[] = {
	{ 1, 0 }, { 2, 0 }, { 2, 1 }, { 3, 0 }, { 3, 2 }, { 8, 0 }, { 8, 5 }, { 8, 7 },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* The topology leaf (0xB or 0x1F) of vCPU index of ncpus: exactly three subleaves. */
static void check_ext_topology(struct kvm_cpuid2 *c, uint32_t function, unsigned index,
			       unsigned ncpus)
{
	unsigned cb = expect_core_bits(ncpus);
	struct kvm_cpuid_entry2 *e;

	ck_assert_uint_eq(count_function(c, function), 3);
	e = cpuid_find(c, function, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->index, 0);
	ck_assert_uint_eq(e->flags & SIG, SIG);
	ck_assert_uint_eq(e->eax, 0);		/* shift to the next level: no SMT */
	ck_assert_uint_eq(e->ebx, 1);		/* one thread per core */
	ck_assert_uint_eq(e->ecx, 0x100);	/* level type 1 (SMT), level 0 */
	ck_assert_uint_eq(e->edx, index);	/* x2APIC ID */
	e = cpuid_find(c, function, 1);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->flags & SIG, SIG);
	ck_assert_uint_eq(e->eax, cb);
	ck_assert_uint_eq(e->ebx, ncpus);
	ck_assert_uint_eq(e->ecx, 0x201);	/* level type 2 (core), level 1 */
	ck_assert_uint_eq(e->edx, index);
	e = cpuid_find(c, function, 2);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->flags & SIG, SIG);
	ck_assert_uint_eq(e->eax, 0);
	ck_assert_uint_eq(e->ebx, 0);
	ck_assert_uint_eq(e->ecx, 2);		/* invalid level: type 0, ECX[7:0] echoed */
	ck_assert_uint_eq(e->edx, index);
	ck_assert_ptr_null(cpuid_find(c, function, 3));
}

/* ---- cpuid_find / cpuid_remove_range / cpuid_add --------------------------------- */

START_TEST(find_index)
{
	struct kvm_cpuid2 *c = make_table(intel_entries, N_INTEL, 0);
	struct kvm_cpuid_entry2 *e;

	/* Without a significant index, any index finds the leaf. */
	e = cpuid_find(c, 1, 0);
	ck_assert_ptr_eq(e, &c->entries[1]);
	ck_assert_ptr_eq(cpuid_find(c, 1, 5), e);
	ck_assert_ptr_eq(cpuid_find(c, 1, 0xffffffff), e);
	/* With one, only the exact subleaf. */
	for (uint32_t i = 0; i < 5; i++) {
		e = cpuid_find(c, 4, i);
		ck_assert_ptr_eq(e, &c->entries[2 + i]);
		ck_assert_uint_eq(e->index, i);
	}
	ck_assert_ptr_null(cpuid_find(c, 4, 5));
	ck_assert_ptr_eq(cpuid_find(c, 0xb, 2), &c->entries[10]);
	ck_assert_ptr_null(cpuid_find(c, 0xb, 3));
	ck_assert_ptr_null(cpuid_find(c, 7, 1));
	ck_assert_ptr_null(cpuid_find(c, 2, 0));
	ck_assert_ptr_null(cpuid_find(c, 0x80000002, 0));
	ck_assert_ptr_eq(cpuid_find(c, 0x80000008, 0), &c->entries[N_INTEL - 1]);
	free(c);
}
END_TEST

START_TEST(remove_range)
{
	struct kvm_cpuid2 *c = make_table(intel_entries, N_INTEL, 0);

	cpuid_remove_range(c, 0x40000000, 0x4fffffff);
	ck_assert_uint_eq(c->nent, N_INTEL - 2);
	ck_assert_ptr_null(cpuid_find(c, 0x40000000, 0));
	ck_assert_ptr_null(cpuid_find(c, 0x40000001, 0));
	/* The others keep their order. */
	for (unsigned i = 0, j = 0; i < N_INTEL; i++) {
		if (intel_entries[i].function >> 28 == 4)
			continue;
		ck_assert_mem_eq(&c->entries[j], &intel_entries[i], sizeof(intel_entries[i]));
		j++;
	}
	/* All subleaves of one function. */
	cpuid_remove_range(c, 4, 4);
	ck_assert_uint_eq(c->nent, N_INTEL - 7);
	ck_assert_uint_eq(count_function(c, 4), 0);
	ck_assert_ptr_nonnull(cpuid_find(c, 1, 0));
	ck_assert_ptr_nonnull(cpuid_find(c, 7, 0));
	/* An empty range (first > last) and a range with nothing in it. */
	cpuid_remove_range(c, 0x80000008, 0x80000000);
	ck_assert_uint_eq(c->nent, N_INTEL - 7);
	cpuid_remove_range(c, 0x20, 0x3fffffff);
	ck_assert_uint_eq(c->nent, N_INTEL - 7);
	/* The edges are inclusive. */
	cpuid_remove_range(c, 0x80000001, 0x80000008);
	ck_assert_uint_eq(c->nent, N_INTEL - 9);
	ck_assert_ptr_nonnull(cpuid_find(c, 0x80000000, 0));
	ck_assert_ptr_null(cpuid_find(c, 0x80000001, 0));
	ck_assert_ptr_null(cpuid_find(c, 0x80000008, 0));
	/* Everything. */
	cpuid_remove_range(c, 0, 0xffffffff);
	ck_assert_uint_eq(c->nent, 0);
	ck_assert_ptr_null(cpuid_find(c, 0, 0));
	free(c);
}
END_TEST

START_TEST(add_entry)
{
	struct kvm_cpuid2 *c = make_table(intel_entries, 2, 1);
	const struct kvm_cpuid_entry2 e = { .function = 0x40000000, .eax = 0x40000005,
					    .ebx = 0x7263694d };

	ck_assert_int_eq(cpuid_add(c, &e), 0);
	ck_assert_uint_eq(c->nent, 3);
	ck_assert_mem_eq(&c->entries[2], &e, sizeof(e));
	ck_assert_ptr_eq(cpuid_find(c, 0x40000000, 0), &c->entries[2]);
	free(c);
}
END_TEST

START_TEST(vendor)
{
	struct kvm_cpuid2 *c = make_table(intel_entries, N_INTEL, 0);

	ck_assert(!cpuid_is_amd(c));
	free(c);
	c = make_table(amd_entries, N_AMD, 0);
	ck_assert(cpuid_is_amd(c));
	/* Hygon's Dhyana is AMD for topology purposes. */
	c->entries[0].ebx = 0x6f677948;	/* "Hygo" */
	c->entries[0].edx = 0x6e65476e;	/* "nGen" */
	c->entries[0].ecx = 0x656e6975;	/* "uine" */
	ck_assert(cpuid_is_amd(c));
	/* No leaf 0 at all. */
	cpuid_remove_range(c, 0, 0);
	ck_assert(!cpuid_is_amd(c));
	free(c);
}
END_TEST

/* ---- cpuid_for_vcpu: Intel ------------------------------------------------------- */

START_TEST(intel_vcpu)
{
	const unsigned ncpus = cases[_i].ncpus, index = cases[_i].index;
	const unsigned cb = expect_core_bits(ncpus);
	struct kvm_cpuid2 *sup = make_table(intel_entries, N_INTEL, 0);
	struct kvm_cpuid2 *copy = make_table(intel_entries, N_INTEL, 0);
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, index, ncpus);
	struct kvm_cpuid_entry2 *e;

	ck_assert_ptr_nonnull(c);
	/* The supported table is left alone. */
	ck_assert_uint_eq(sup->nent, N_INTEL);
	ck_assert_mem_eq(sup->entries, copy->entries, N_INTEL * sizeof(sup->entries[0]));

	/* KVM's signature and features are gone; 0xB was replaced by three subleaves. */
	ck_assert_ptr_null(cpuid_find(c, 0x40000000, 0));
	ck_assert_ptr_null(cpuid_find(c, 0x40000001, 0));
	ck_assert_uint_eq(count_function(c, 0x40000000) + count_function(c, 0x40000001), 0);
	ck_assert_uint_eq(c->nent, N_INTEL - 2);

	/* Untouched leaves. */
	ck_assert_mem_eq(cpuid_find(c, 0, 0), &intel_entries[0], sizeof(intel_entries[0]));
	ck_assert_mem_eq(cpuid_find(c, 7, 0), &intel_entries[7], sizeof(intel_entries[7]));
	ck_assert_mem_eq(cpuid_find(c, 0xd, 0), &intel_entries[11], sizeof(intel_entries[11]));
	ck_assert_mem_eq(cpuid_find(c, 0x80000008, 0), &intel_entries[N_INTEL - 1],
			 sizeof(intel_entries[0]));

	/* Leaf 1. */
	e = cpuid_find(c, 1, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax, 0x000906ea);
	ck_assert_uint_eq(e->ebx, (index << 24) | ((1u << cb) << 16) | 0x0800);
	ck_assert_uint_eq(e->ecx, (0x7ffafbffu & ~(1u << 5)) | (1u << 31));
	ck_assert_uint_eq(e->edx, ncpus > 1 ? 0xbfebfbffu : 0xbfebfbffu & ~(1u << 28));

	/* Leaf 4: L1 and L2 private, L3 shared by every core; cores per package. */
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t in = intel_entries[2 + i].eax;
		uint32_t sharing = i == 3 ? (1u << cb) - 1 : 0;

		e = cpuid_find(c, 4, i);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->eax,
				  (in & 0x3fff) | (sharing << 14) | (((1u << cb) - 1) << 26));
		ck_assert_uint_eq(e->ebx, intel_entries[2 + i].ebx);
		ck_assert_uint_eq(e->ecx, intel_entries[2 + i].ecx);
		ck_assert_uint_eq(e->edx, intel_entries[2 + i].edx);
	}
	e = cpuid_find(c, 4, 4);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);

	check_ext_topology(c, 0xb, index, ncpus);
	ck_assert_uint_eq(count_function(c, 0x1f), 0);

	/* No SVM, and CmpLegacy is AMD's. */
	e = cpuid_find(c, 0x80000001, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ecx, 0x00000121);
	ck_assert_uint_eq(e->edx, 0x2c100800);

	/* Room for the Hyper-V leaves. */
	for (unsigned i = 0; i < CPUID_SPARE - 3; i++) {
		const struct kvm_cpuid_entry2 x = { .function = 0x40000080 + i };

		ck_assert_int_eq(cpuid_add(c, &x), 0);
	}
	ck_assert_uint_eq(c->nent, N_INTEL - 2 + CPUID_SPARE - 3);
	free(c);
	free(sup);
	free(copy);
}
END_TEST

START_TEST(intel_leaf_1f)
{
	struct kvm_cpuid2 *sup = make_table(intel_entries, N_INTEL, 4);
	const struct kvm_cpuid_entry2 x[] = {
		{ .function = 0x1f, .index = 0, .flags = SIG,
		  .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 3 },
		{ .function = 0x1f, .index = 1, .flags = SIG,
		  .eax = 6, .ebx = 24, .ecx = 0x201, .edx = 3 },
		{ .function = 0x1f, .index = 2, .flags = SIG,	/* die level */
		  .eax = 7, .ebx = 24, .ecx = 0x502, .edx = 3 },
		{ .function = 0x1f, .index = 3, .flags = SIG, .ecx = 3, .edx = 3 },
	};
	struct kvm_cpuid2 *c;

	sup->entries[0].eax = 0x1f;
	for (unsigned i = 0; i < 4; i++)
		cpuid_add(sup, &x[i]);
	c = cpuid_for_vcpu(sup, 2, 4);
	ck_assert_ptr_nonnull(c);
	check_ext_topology(c, 0xb, 2, 4);
	check_ext_topology(c, 0x1f, 2, 4);
	free(c);

	/* Max leaf 0x1f but no 0x1F in the table: none is invented. */
	cpuid_remove_range(sup, 0x1f, 0x1f);
	c = cpuid_for_vcpu(sup, 1, 4);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(count_function(c, 0x1f), 0);
	check_ext_topology(c, 0xb, 1, 4);
	free(c);

	/* Max basic leaf below 0xB: the host's 0xB is left as it is. */
	sup->entries[0].eax = 0xa;
	c = cpuid_for_vcpu(sup, 1, 4);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(count_function(c, 0xb), 3);
	ck_assert_mem_eq(cpuid_find(c, 0xb, 1), &intel_entries[9], sizeof(intel_entries[9]));
	free(c);
	free(sup);
}
END_TEST

/* ---- cpuid_for_vcpu: AMD --------------------------------------------------------- */

START_TEST(amd_vcpu)
{
	const unsigned ncpus = cases[_i].ncpus, index = cases[_i].index;
	const unsigned cb = expect_core_bits(ncpus);
	struct kvm_cpuid2 *sup = make_table(amd_entries, N_AMD, 0);
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, index, ncpus);
	struct kvm_cpuid_entry2 *e;

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(sup->nent, N_AMD);
	ck_assert_mem_eq(sup->entries, amd_entries, sizeof(amd_entries));

	ck_assert_ptr_null(cpuid_find(c, 0x40000000, 0));
	ck_assert_ptr_null(cpuid_find(c, 0x40000001, 0));
	/* -2 KVM leaves, +3 for leaf 0xB (max basic leaf 0x10). */
	ck_assert_uint_eq(c->nent, N_AMD - 2 + 3);
	check_ext_topology(c, 0xb, index, ncpus);
	ck_assert_mem_eq(cpuid_find(c, 0, 0), &amd_entries[0], sizeof(amd_entries[0]));
	ck_assert_mem_eq(cpuid_find(c, 7, 0), &amd_entries[2], sizeof(amd_entries[2]));

	e = cpuid_find(c, 1, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ebx, (index << 24) | ((1u << cb) << 16) | 0x0800);
	ck_assert_uint_eq(e->ecx, 0x7ed8320bu | (1u << 31));
	ck_assert_uint_eq(e->edx, ncpus > 1 ? 0x178bfbffu : 0x178bfbffu & ~(1u << 28));

	/* SVM off; CmpLegacy says the logical processors are cores. */
	e = cpuid_find(c, 0x80000001, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ecx, ncpus > 1 ? 0x75c237fbu : 0x75c237f9u);
	ck_assert_uint_eq(e->edx, 0x2fd3fbff);
	ck_assert_uint_eq(e->eax, 0x00a20f10);

	/* NC = ncpus - 1, ApicIdCoreIdSize = core bits, the rest kept. */
	e = cpuid_find(c, 0x80000008, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ecx, 0x00030000u | (cb << 12) | (ncpus - 1));
	ck_assert_uint_eq(e->eax, 0x3030);
	ck_assert_uint_eq(e->ebx, 0x111ef657);

	for (uint32_t i = 0; i < 4; i++) {
		const struct kvm_cpuid_entry2 *in = &amd_entries[8 + i];
		uint32_t sharing = i == 3 ? (1u << cb) - 1 : 0;

		e = cpuid_find(c, 0x8000001d, i);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->eax, (in->eax & ~(0xfffu << 14)) | (sharing << 14));
		ck_assert_uint_eq(e->ebx, in->ebx);
		ck_assert_uint_eq(e->ecx, in->ecx);
		ck_assert_uint_eq(e->edx, in->edx);
	}
	e = cpuid_find(c, 0x8000001d, 4);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);

	e = cpuid_find(c, 0x8000001e, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax, index);	/* extended APIC ID */
	ck_assert_uint_eq(e->ebx, index);	/* core ID, one thread per core */
	ck_assert_uint_eq(e->ecx, 0);
	ck_assert_uint_eq(e->edx, 0);
	ck_assert_uint_eq(count_function(c, 4), 0);
	free(c);
	free(sup);
}
END_TEST

START_TEST(sparse_table)
{
	/* Only leaf 0 and an extended leaf: nothing to fix up, nothing invented. */
	const struct kvm_cpuid_entry2 e[] = {
		{ .function = 0, .eax = 1,
		  .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
		{ .function = 0x80000000, .eax = 0x80000001 },
	};
	struct kvm_cpuid2 *sup = make_table(e, 2, 0);
	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, 3, 4);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nent, 2);
	ck_assert_mem_eq(c->entries, e, sizeof(e));
	free(c);
	free(sup);

	/* An empty table. */
	sup = make_table(e, 0, 0);
	c = cpuid_for_vcpu(sup, 0, 1);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nent, 0);
	free(c);
	free(sup);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, find_index);
	tcase_add_test(tc, remove_range);
	tcase_add_test(tc, add_entry);
	tcase_add_test(tc, vendor);
	suite_add_tcase(s, tc);

	tc = tcase_create("vcpu");
	tcase_add_loop_test(tc, intel_vcpu, 0, N_CASES);
	tcase_add_test(tc, intel_leaf_1f);
	tcase_add_loop_test(tc, amd_vcpu, 0, N_CASES);
	tcase_add_test(tc, sparse_table);
	suite_add_tcase(s, tc);

	return test_main(s);
}
