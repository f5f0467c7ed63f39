/* SPDX-License-Identifier: MIT */
/*
 * The partition's synthetic MSRs through hv_msr_read/hv_msr_write (TLFS "Partition
 * Properties", "Hypercall Interface", "Timers"; hv-facts.md §2, §7, §8): which exist
 * for which feature set, the hypercall page, reference time, crash MSRs and reset.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"
#include "hv_proto.h"
#include "loop.h"
#include "memory.h"
#include "testutil.h"

#define NVP		3
#define RAM_PAGES	32
#define RAM_SIZE	(RAM_PAGES * GMEM_PAGE_SIZE)
#define HC_GPA		0x3000ull	/* hypercall page */
#define TSC_GPA		0x5000ull	/* reference TSC page */
#define TEXT_GPA	0x7000ull	/* a crash message */
#define LINUX_OS_ID	0x8100000601c00000ull
#define CRASH_P3	(HV_X64_MSR_CRASH_P0 + 3)

static uint64_t tsc_hz;		/* measured once, in main() */
static uint8_t *ram;
static struct gmem mem;
static struct loop *loop;
static struct hv *hv;

static void noinject(void *ctx, unsigned vp, uint8_t vector)
{
	(void)ctx, (void)vp, (void)vector;
}

static void make_hv(const char *features)
{
	struct hv_features f;
	char err[256];

	ck_assert_int_eq(hv_features_parse(features, &f, err, sizeof(err)), 0);
	if (hv)
		hv_free(hv);
	hv = hv_new(&f, &mem, NVP, loop, noinject, NULL);
	ck_assert_ptr_nonnull(hv);
	ck_assert_int_eq(hv_set_clock(hv, tsc_hz, 0, hv_rdtsc()), 0);
}

static void setup(void)
{
	struct gmem_region r = { 0, RAM_SIZE, NULL, 0 };

	ram = aligned_alloc(GMEM_PAGE_SIZE, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0, RAM_SIZE);
	r.host = ram;
	ck_assert_int_eq(gmem_init_regions(&mem, &r, 1), 0);
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	hv = NULL;
	make_hv("on");
}

static void teardown(void)
{
	hv_free(hv);
	hv = NULL;
	loop_free(loop);
	free(ram);
}

static void wr_vp(unsigned vp, uint32_t msr, uint64_t val)
{
	int r = hv_msr_write(hv, vp, msr, val);

	ck_assert_msg(r == 0, "write 0x%x = 0x%llx: %d", msr, (unsigned long long)val, r);
}

static uint64_t rd_vp(unsigned vp, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;
	int r = hv_msr_read(hv, vp, msr, &v);

	ck_assert_msg(r == 0, "read 0x%x: %d", msr, r);
	return v;
}

#define wr(msr, val)	wr_vp(0, msr, val)
#define rd(msr)		rd_vp(0, msr)

static void assert_gp_write(uint32_t msr, uint64_t val)
{
	int r = hv_msr_write(hv, 0, msr, val);

	ck_assert_msg(r == -EPERM, "write 0x%x = 0x%llx: %d, expected #GP", msr, (unsigned long long)val, r);
}

/* ---- which MSRs exist ------------------------------------------------------------------ */

enum { P_ON, P_VPINDEX, P_TIME, P_SYNIC, P_FREQ, P_CRASH, P_RESET, P_OFF, NP };

static const char *const partitions[NP] = {
	[P_ON] = "on",
	[P_VPINDEX] = "vpindex",
	[P_TIME] = "time",
	[P_SYNIC] = "vpindex,synic",
	[P_FREQ] = "frequencies",
	[P_CRASH] = "crash",
	[P_RESET] = "reset,runtime",
	[P_OFF] = "off",
};

#define B(p)	(1u << (p))
#define ALL_BUT_OFF	(((1u << NP) - 1) & ~B(P_OFF))

static const struct {
	uint32_t msr;
	unsigned where;		/* partitions in which the MSR exists */
} gates[] = {
	{ HV_X64_MSR_GUEST_OS_ID, ALL_BUT_OFF },
	{ HV_X64_MSR_HYPERCALL, ALL_BUT_OFF },
	{ HV_X64_MSR_VP_INDEX, B(P_ON) | B(P_VPINDEX) | B(P_SYNIC) },
	{ HV_X64_MSR_RESET, B(P_ON) | B(P_RESET) },
	{ HV_X64_MSR_VP_RUNTIME, B(P_ON) | B(P_RESET) },
	{ HV_X64_MSR_TIME_REF_COUNT, B(P_ON) | B(P_TIME) },
	{ HV_X64_MSR_REFERENCE_TSC, B(P_ON) | B(P_TIME) },
	{ HV_X64_MSR_TSC_FREQUENCY, B(P_ON) | B(P_FREQ) },
	{ HV_X64_MSR_APIC_FREQUENCY, B(P_ON) | B(P_FREQ) },
	/* Linux writes it on every CPU whatever the privileges (facts 0.5). */
	{ HV_X64_MSR_VP_ASSIST_PAGE, ALL_BUT_OFF },
	{ HV_X64_MSR_SCONTROL, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_SVERSION, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_SIEFP, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_SIMP, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_EOM, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_SINT0, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_SINT15, B(P_ON) | B(P_SYNIC) },
	{ HV_X64_MSR_STIMER0_CONFIG, B(P_ON) },
	{ HV_X64_MSR_STIMER3_COUNT, B(P_ON) },
	{ HV_X64_MSR_CRASH_P0, B(P_ON) | B(P_CRASH) },
	{ HV_X64_MSR_CRASH_P4, B(P_ON) | B(P_CRASH) },
	{ HV_X64_MSR_CRASH_CTL, B(P_ON) | B(P_CRASH) },
	/* Never here: the APIC MSRs (vapic: they are the vCPU's LAPIC registers, reached only
	 * from a vCPU, rig-tested), guest idle, reenlightenment, TSC invariant control, holes. */
	{ 0x40000004, 0 }, { 0x40000011, 0 }, { 0x40000024, 0 }, { 0x40000070, 0 },
	{ 0x40000071, 0 }, { 0x40000072, 0 }, { 0x40000085, 0 }, { 0x4000008f, 0 },
	{ 0x400000a0, 0 }, { 0x400000b8, 0 }, { 0x400000f0, 0 }, { 0x40000106, 0 },
	{ 0x40000107, 0 }, { 0x40000108, 0 }, { 0x40000118, 0 }, { 0x400001ff, 0 },
};

START_TEST(msrs_follow_features)
{
	for (unsigned p = 0; p < NP; p++) {
		make_hv(partitions[p]);
		for (size_t i = 0; i < sizeof(gates) / sizeof(gates[0]); i++) {
			uint64_t v;
			int r = hv_msr_read(hv, 0, gates[i].msr, &v);
			bool offered = gates[i].where & B(p);

			ck_assert_msg(offered ? r == 0 : r == -EPERM, "--hv %s: read of 0x%x gives %d",
				      partitions[p], gates[i].msr, r);
			if (!offered)
				ck_assert_msg(hv_msr_write(hv, 0, gates[i].msr, 0) == -EPERM,
					      "--hv %s: write of 0x%x accepted", partitions[p], gates[i].msr);
		}
	}
}
END_TEST

START_TEST(bad_vp)
{
	uint64_t v;

	ck_assert_int_eq(hv_msr_read(hv, NVP, HV_X64_MSR_GUEST_OS_ID, &v), -EPERM);
	ck_assert_int_eq(hv_msr_read(hv, NVP, HV_X64_MSR_VP_INDEX, &v), -EPERM);
	ck_assert_int_eq(hv_msr_write(hv, NVP, HV_X64_MSR_GUEST_OS_ID, 1), -EPERM);
	ck_assert_int_eq(hv_msr_write(hv, NVP + 100, HV_X64_MSR_SCONTROL, 1), -EPERM);
	ck_assert_int_eq(hv_msr_read(hv, NVP, HV_X64_MSR_STIMER0_CONFIG, &v), -EPERM);
	ck_assert_uint_eq(rd(HV_X64_MSR_GUEST_OS_ID), 0);
}
END_TEST

/* ---- GUEST_OS_ID and the hypercall page ---------------------------------------------- */

START_TEST(hypercall_needs_guest_os_id)
{
	for (unsigned i = 0; i < GMEM_PAGE_SIZE; i++)
		ck_assert_uint_eq(ram[HC_GPA + i], 0);
	/* "The enable bit will remain zero even when writing a one to it." */
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE, 0);
	for (unsigned i = 0; i < GMEM_PAGE_SIZE; i++)
		ck_assert_uint_eq(ram[HC_GPA + i], 0);
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	ck_assert_uint_eq(rd(HV_X64_MSR_GUEST_OS_ID), LINUX_OS_ID);
	/* Partition-wide. */
	ck_assert_uint_eq(rd_vp(2, HV_X64_MSR_GUEST_OS_ID), LINUX_OS_ID);
	/* Linux: read, keep 11:1, set GPFN and enable. */
	wr(HV_X64_MSR_HYPERCALL, (rd(HV_X64_MSR_HYPERCALL) & 0xffe) | HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd_vp(1, HV_X64_MSR_HYPERCALL), HC_GPA | HV_HYPERCALL_ENABLE);
}
END_TEST

START_TEST(hypercall_page_content)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	unsigned last = 0;
	bool ret = false;

	memset(ram + HC_GPA, 0x00, GMEM_PAGE_SIZE);
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert(!memcmp(ram + HC_GPA, endbr64, sizeof(endbr64)));
	for (unsigned i = 0; i < GMEM_PAGE_SIZE; i++)
		if (ram[HC_GPA + i] != 0xcc)
			last = i;
	/* A short stub, then int3 to the end of the page. */
	ck_assert_uint_lt(last, 128);
	for (unsigned i = last + 1; i < GMEM_PAGE_SIZE; i++)
		ck_assert_uint_eq(ram[HC_GPA + i], 0xcc);
	for (unsigned i = 0; i <= last; i++)
		ret |= ram[HC_GPA + i] == 0xc3;
	ck_assert(ret);
	/* Neighbouring pages untouched. */
	ck_assert_uint_eq(ram[HC_GPA - 1], 0);
	ck_assert_uint_eq(ram[HC_GPA + GMEM_PAGE_SIZE], 0);
	/* Moving the page fills the new one. */
	wr(HV_X64_MSR_HYPERCALL, (HC_GPA + 0x2000) | HV_HYPERCALL_ENABLE);
	ck_assert(!memcmp(ram + HC_GPA + 0x2000, endbr64, sizeof(endbr64)));
	ck_assert_uint_eq(ram[HC_GPA + 0x2000 + GMEM_PAGE_SIZE - 1], 0xcc);
}
END_TEST

START_TEST(hypercall_reserved_bits)
{
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	for (unsigned b = 2; b <= 11; b++) {
		assert_gp_write(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE | (1ull << b));
		ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), HC_GPA | HV_HYPERCALL_ENABLE);
	}
}
END_TEST

START_TEST(hypercall_locked)
{
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), HC_GPA | HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED);
	assert_gp_write(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	assert_gp_write(HV_X64_MSR_HYPERCALL, 0);
	assert_gp_write(HV_X64_MSR_HYPERCALL, (HC_GPA + 0x1000) | HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), HC_GPA | HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED);
	ck_assert_uint_eq(ram[HC_GPA + 0x1000], 0);
	/* Until reset. */
	hv_reset(hv);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), 0);
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, (HC_GPA + 0x1000) | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), (HC_GPA + 0x1000) | HV_HYPERCALL_ENABLE);
}
END_TEST

START_TEST(hypercall_outside_ram)
{
	static const uint64_t bad[] = { RAM_SIZE, 0x100000000ull, 0xfffffffffffff000ull };

	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_gp_write(HV_X64_MSR_HYPERCALL, bad[i] | HV_HYPERCALL_ENABLE);
		ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), 0);
	}
	/* The last page of RAM is fine. */
	wr(HV_X64_MSR_HYPERCALL, (RAM_SIZE - GMEM_PAGE_SIZE) | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(ram[RAM_SIZE - 1], 0xcc);
}
END_TEST

START_TEST(guest_os_id_zero_disables_hypercall)
{
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	wr_vp(1, HV_X64_MSR_GUEST_OS_ID, 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_GUEST_OS_ID), 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE, 0);
	/* and it stays off until a guest OS ID is written again */
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE, 0);
	wr(HV_X64_MSR_GUEST_OS_ID, 1);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE, HV_HYPERCALL_ENABLE);
}
END_TEST

/* ---- VP_INDEX, time ------------------------------------------------------------------- */

START_TEST(vp_index)
{
	for (unsigned vp = 0; vp < NVP; vp++) {
		uint64_t v = 0xdeadbeef;

		ck_assert_int_eq(hv_msr_read(hv, vp, HV_X64_MSR_VP_INDEX, &v), 0);
		ck_assert_uint_eq(v, vp);
		ck_assert_int_eq(hv_msr_write(hv, vp, HV_X64_MSR_VP_INDEX, vp), -EPERM);
		ck_assert_int_eq(hv_msr_write(hv, vp, HV_X64_MSR_VP_INDEX, 7), -EPERM);
	}
	ck_assert_uint_eq(rd_vp(2, HV_X64_MSR_VP_INDEX), 2);
}
END_TEST

START_TEST(time_ref_count)
{
	uint64_t a, b, prev, t0, t0b, t1a, t1;

	make_hv("on");		/* time 0 is now */
	t0 = loop_now_ns();
	a = rd(HV_X64_MSR_TIME_REF_COUNT);
	t0b = loop_now_ns();
	ck_assert_uint_lt(a, 10000000ull);	/* well under a second since the partition began */
	usleep(50000);
	t1a = loop_now_ns();
	b = rd_vp(2, HV_X64_MSR_TIME_REF_COUNT);
	t1 = loop_now_ns();
	/* 100 ns units at the wall clock's pace: allow 20% for the measured TSC rate. The
	 * reads took their time: at least what passed between them, at most what passed
	 * from before the first to after the second (a loaded machine stalls anywhere). */
	ck_assert_uint_ge(b - a, (t1a - t0b) / 100 * 8 / 10 - 10000);
	ck_assert_uint_le(b - a, (t1 - t0) / 100 * 12 / 10 + 10000);
	prev = b;
	for (unsigned i = 0; i < 10000; i++) {
		uint64_t v = rd_vp(i % NVP, HV_X64_MSR_TIME_REF_COUNT);

		ck_assert_uint_ge(v, prev);
		prev = v;
	}
	assert_gp_write(HV_X64_MSR_TIME_REF_COUNT, 0);
	assert_gp_write(HV_X64_MSR_TIME_REF_COUNT, b);
	ck_assert_uint_ge(rd(HV_X64_MSR_TIME_REF_COUNT), prev);
}
END_TEST

START_TEST(reference_tsc_page)
{
	const struct hv_reference_tsc_page *p = (const void *)(ram + TSC_GPA);
	uint32_t seq1, seq2;
	uint64_t r1, r2, g;

	memset(ram + TSC_GPA, 0xa5, GMEM_PAGE_SIZE);
	ck_assert_uint_eq(rd(HV_X64_MSR_REFERENCE_TSC), 0);
	/* Linux: read, keep the rest, set enable and the PFN. */
	wr(HV_X64_MSR_REFERENCE_TSC, (rd(HV_X64_MSR_REFERENCE_TSC) & 0xffe) | TSC_GPA | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd_vp(1, HV_X64_MSR_REFERENCE_TSC), TSC_GPA | HV_PAGE_ENABLE);
	seq1 = p->tsc_sequence;
	ck_assert_uint_ne(seq1, 0);
	ck_assert_uint_eq(p->tsc_scale, hv->clock.scale);
	ck_assert_int_eq(p->tsc_offset, hv->clock.offset);
	ck_assert_uint_eq(p->tsc_scale, (uint64_t)(((unsigned __int128)10000000 << 64) / tsc_hz));
	/* The guest's reading lies between two MSR readings. */
	r1 = rd(HV_X64_MSR_TIME_REF_COUNT);
	g = (uint64_t)(((unsigned __int128)hv_rdtsc() * p->tsc_scale) >> 64) + (uint64_t)p->tsc_offset;
	r2 = rd(HV_X64_MSR_TIME_REF_COUNT);
	ck_assert_uint_le(r1, g + 10);
	ck_assert_uint_le(g, r2 + 10);
	/* Re-enabling publishes a new, valid sequence. */
	wr(HV_X64_MSR_REFERENCE_TSC, TSC_GPA | HV_PAGE_ENABLE);
	seq2 = p->tsc_sequence;
	ck_assert_uint_ne(seq2, 0);
	ck_assert_uint_ne(seq2, seq1);
	/* Reserved bits 11:1. */
	for (unsigned b = 1; b <= 11; b++) {
		assert_gp_write(HV_X64_MSR_REFERENCE_TSC, TSC_GPA | HV_PAGE_ENABLE | (1ull << b));
		ck_assert_uint_eq(rd(HV_X64_MSR_REFERENCE_TSC), TSC_GPA | HV_PAGE_ENABLE);
	}
	/* A page outside RAM is not written (and nothing breaks). */
	wr(HV_X64_MSR_REFERENCE_TSC, 0x100000000ull | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_REFERENCE_TSC), 0x100000000ull | HV_PAGE_ENABLE);
}
END_TEST

/* A TSC too slow for the page's 64-bit scale: the page says "invalid" (sequence 0). */
START_TEST(reference_tsc_without_clock)
{
	const struct hv_reference_tsc_page *p = (const void *)(ram + TSC_GPA);

	ck_assert_int_eq(hv_set_clock(hv, 10000000ull, 0, 0), -EINVAL);
	memset(ram + TSC_GPA, 0xa5, GMEM_PAGE_SIZE);
	wr(HV_X64_MSR_REFERENCE_TSC, TSC_GPA | HV_PAGE_ENABLE);
	ck_assert_uint_eq(p->tsc_sequence, 0);
	/* A usable clock later, and the next enable publishes it. */
	ck_assert_int_eq(hv_set_clock(hv, tsc_hz, 0, hv_rdtsc()), 0);
	wr(HV_X64_MSR_REFERENCE_TSC, TSC_GPA | HV_PAGE_ENABLE);
	ck_assert_uint_ne(p->tsc_sequence, 0);
	ck_assert_uint_eq(p->tsc_scale, hv->clock.scale);
}
END_TEST

START_TEST(frequencies)
{
	ck_assert_int_eq(hv_set_clock(hv, 2596118000ull, 0, 0), 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_TSC_FREQUENCY), 2596118000ull);
	ck_assert_uint_eq(rd_vp(2, HV_X64_MSR_TSC_FREQUENCY), 2596118000ull);
	ck_assert_uint_eq(rd(HV_X64_MSR_APIC_FREQUENCY), 1000000000ull);
	assert_gp_write(HV_X64_MSR_TSC_FREQUENCY, 1000000000ull);
	assert_gp_write(HV_X64_MSR_APIC_FREQUENCY, 1);
	ck_assert_uint_eq(rd(HV_X64_MSR_TSC_FREQUENCY), 2596118000ull);
	ck_assert_uint_eq(rd(HV_X64_MSR_APIC_FREQUENCY), 1000000000ull);
}
END_TEST

START_TEST(vp_runtime_and_reset_msr)
{
	uint64_t v;

	ck_assert_int_eq(hv_msr_read(hv, 0, HV_X64_MSR_VP_RUNTIME, &v), 0);
	assert_gp_write(HV_X64_MSR_VP_RUNTIME, 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_RESET), 0);
	wr(HV_X64_MSR_RESET, 1);	/* no VM attached: nothing to reset */
	ck_assert_uint_eq(rd(HV_X64_MSR_RESET), 0);
}
END_TEST

/* ---- VP assist, crash -------------------------------------------------------------------- */

START_TEST(vp_assist_per_vp)
{
	wr_vp(0, HV_X64_MSR_VP_ASSIST_PAGE, 0x8000 | HV_PAGE_ENABLE);
	wr_vp(1, HV_X64_MSR_VP_ASSIST_PAGE, 0x9000 | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd_vp(0, HV_X64_MSR_VP_ASSIST_PAGE), 0x8000 | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd_vp(1, HV_X64_MSR_VP_ASSIST_PAGE), 0x9000 | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd_vp(2, HV_X64_MSR_VP_ASSIST_PAGE), 0);
	for (unsigned b = 1; b <= 11; b++)
		ck_assert_int_eq(hv_msr_write(hv, 1, HV_X64_MSR_VP_ASSIST_PAGE, 0xa000 | (1ull << b)), -EPERM);
	ck_assert_uint_eq(rd_vp(1, HV_X64_MSR_VP_ASSIST_PAGE), 0x9000 | HV_PAGE_ENABLE);
	/* Also where the APIC privilege is not offered (Linux writes it anyway). */
	make_hv("vpindex");
	wr_vp(2, HV_X64_MSR_VP_ASSIST_PAGE, 0xb000 | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd_vp(2, HV_X64_MSR_VP_ASSIST_PAGE), 0xb000 | HV_PAGE_ENABLE);
	ck_assert_uint_eq(rd_vp(0, HV_X64_MSR_VP_ASSIST_PAGE), 0);
}
END_TEST

START_TEST(crash_msrs)
{
	static const char text[] = "Kernel panic - not syncing: sysrq triggered crash\n\x01\x02tail";

	ck_assert_uint_eq(rd(HV_X64_MSR_CRASH_CTL), HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(rd(HV_X64_MSR_CRASH_P0 + i), 0);
	for (unsigned i = 0; i < 5; i++)
		wr_vp(i % NVP, HV_X64_MSR_CRASH_P0 + i, 0x1111111111111111ull * (i + 1));
	/* Partition-wide. */
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(rd_vp((i + 1) % NVP, HV_X64_MSR_CRASH_P0 + i), 0x1111111111111111ull * (i + 1));
	/* Bits 57:0 are reserved. */
	assert_gp_write(HV_X64_MSR_CRASH_CTL, 1);
	assert_gp_write(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY | (1ull << 57));
	assert_gp_write(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY | (1ull << 20));
	/* The P0-P4 form, then the message form, with hostile P3/P4. */
	wr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY);
	memcpy(ram + TEXT_GPA, text, sizeof(text) - 1);
	wr(CRASH_P3, TEXT_GPA);
	wr(HV_X64_MSR_CRASH_P4, sizeof(text) - 1);
	wr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	wr(HV_X64_MSR_CRASH_P4, 1ull << 40);
	wr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	wr(CRASH_P3, RAM_SIZE - 16);
	wr(HV_X64_MSR_CRASH_P4, 4096);
	wr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	wr(CRASH_P3, 0xfffffffffffff000ull);
	wr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	/* The capability read is unchanged by all this. */
	ck_assert_uint_eq(rd(HV_X64_MSR_CRASH_CTL), HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	ck_assert_uint_eq(rd(HV_X64_MSR_CRASH_P0), 0x1111111111111111ull);
}
END_TEST

/* ---- hv_reset -------------------------------------------------------------------------- */

START_TEST(reset_power_on_values)
{
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED);
	wr(HV_X64_MSR_REFERENCE_TSC, TSC_GPA | HV_PAGE_ENABLE);
	for (unsigned vp = 0; vp < NVP; vp++) {
		wr_vp(vp, HV_X64_MSR_VP_ASSIST_PAGE, (0x8000 + vp * 0x1000) | HV_PAGE_ENABLE);
		wr_vp(vp, HV_X64_MSR_SIMP, (0x10000 + vp * 0x2000) | HV_PAGE_ENABLE);
		wr_vp(vp, HV_X64_MSR_SIEFP, (0x11000 + vp * 0x2000) | HV_PAGE_ENABLE);
		wr_vp(vp, HV_X64_MSR_SINT0 + 2, 0xf3);
		wr_vp(vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
		wr_vp(vp, HV_X64_MSR_STIMER0_CONFIG, 0x20008);
		wr_vp(vp, HV_X64_MSR_STIMER0_CONFIG + 1, 0x7fffffffffffull);
	}
	for (unsigned i = 0; i < 5; i++)
		wr(HV_X64_MSR_CRASH_P0 + i, i + 1);
	hv_reset(hv);
	ck_assert_uint_eq(rd(HV_X64_MSR_GUEST_OS_ID), 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_REFERENCE_TSC), 0);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(rd(HV_X64_MSR_CRASH_P0 + i), 0);
	ck_assert_uint_eq(rd(HV_X64_MSR_CRASH_CTL), HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE);
	for (unsigned vp = 0; vp < NVP; vp++) {
		ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_VP_ASSIST_PAGE), 0);
		ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_VP_INDEX), vp);
		ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_SCONTROL), 0);
		ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_SVERSION), 1);
		ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_SIMP), 0);
		ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_SIEFP), 0);
		for (unsigned s = 0; s < HV_SINT_COUNT; s++)
			ck_assert_uint_eq(rd_vp(vp, HV_X64_MSR_SINT0 + s), 0x10000);
		for (uint32_t m = HV_X64_MSR_STIMER0_CONFIG; m <= HV_X64_MSR_STIMER3_COUNT; m++)
			ck_assert_uint_eq(rd_vp(vp, m), 0);
	}
	/* Reference time keeps running; the hypercall MSR is writable again. */
	ck_assert_int_eq(hv_msr_read(hv, 0, HV_X64_MSR_TIME_REF_COUNT, &(uint64_t){ 0 }), 0);
	wr(HV_X64_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wr(HV_X64_MSR_HYPERCALL, HC_GPA | HV_HYPERCALL_ENABLE);
	ck_assert_uint_eq(rd(HV_X64_MSR_HYPERCALL), HC_GPA | HV_HYPERCALL_ENABLE);
}
END_TEST

static Suite *hv_msr_suite(void)
{
	Suite *s = suite_create("hv_msr");
	TCase *tg = tcase_create("gates");
	TCase *th = tcase_create("hypercall");
	TCase *tt = tcase_create("time");
	TCase *to = tcase_create("other");

	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_test(tg, msrs_follow_features);
	tcase_add_test(tg, bad_vp);
	suite_add_tcase(s, tg);

	tcase_add_checked_fixture(th, setup, teardown);
	tcase_add_test(th, hypercall_needs_guest_os_id);
	tcase_add_test(th, hypercall_page_content);
	tcase_add_test(th, hypercall_reserved_bits);
	tcase_add_test(th, hypercall_locked);
	tcase_add_test(th, hypercall_outside_ram);
	tcase_add_test(th, guest_os_id_zero_disables_hypercall);
	suite_add_tcase(s, th);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, vp_index);
	tcase_add_test(tt, time_ref_count);
	tcase_add_test(tt, reference_tsc_page);
	tcase_add_test(tt, reference_tsc_without_clock);
	tcase_add_test(tt, frequencies);
	tcase_add_test(tt, vp_runtime_and_reset_msr);
	suite_add_tcase(s, tt);

	tcase_add_checked_fixture(to, setup, teardown);
	tcase_add_test(to, vp_assist_per_vp);
	tcase_add_test(to, crash_msrs);
	tcase_add_test(to, reset_power_on_values);
	suite_add_tcase(s, to);
	return s;
}

static uint64_t measure_tsc_hz(void)
{
	uint64_t t0 = loop_now_ns(), c0 = hv_rdtsc(), t1, c1;

	usleep(100000);
	t1 = loop_now_ns();
	c1 = hv_rdtsc();
	return (uint64_t)(((unsigned __int128)(c1 - c0) * 1000000000ull) / (t1 - t0));
}

int main(void)
{
	tsc_hz = measure_tsc_hz();
	return test_main(hv_msr_suite());
}
