/* SPDX-License-Identifier: MIT */
/*
 * Guest memory: the PC layout gmem_init() builds, and the checked accessors every
 * device uses on guest-controlled addresses (gmem_ptr/gmem_read/gmem_write).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "testutil.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Two test regions with a hole between them. */
#define A_GPA	0x1000ull
#define A_SIZE	0x2000ull
#define B_GPA	0x10000ull
#define B_SIZE	0x1000ull

static uint8_t buf_a[A_SIZE], buf_b[B_SIZE];

static void init_ab(struct gmem *m)
{
	const struct gmem_region r[2] = {
		{ A_GPA, A_SIZE, buf_a, 0 },
		{ B_GPA, B_SIZE, buf_b, 0 },
	};

	memset(buf_a, 0, sizeof(buf_a));
	memset(buf_b, 0, sizeof(buf_b));
	ck_assert_int_eq(gmem_init_regions(m, r, 2), 0);
}

/* Two regions that touch at GPA 0x2000, in separate host buffers. */
static void init_contiguous(struct gmem *m)
{
	const struct gmem_region r[2] = {
		{ 0, A_SIZE, buf_a, 0 },
		{ A_SIZE, B_SIZE, buf_b, 0 },
	};

	memset(buf_a, 0, sizeof(buf_a));
	memset(buf_b, 0, sizeof(buf_b));
	ck_assert_int_eq(gmem_init_regions(m, r, 2), 0);
}

/* ---- gmem_init: the PC layout ---------------------------------------------------- */

START_TEST(layout_1g)
{
	struct gmem m;

	ck_assert_int_eq(gmem_init(&m, 1 * GiB), 0);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_ptr_nonnull(m.base);
	ck_assert_uint_eq(m.size, 1 * GiB);
	ck_assert_uint_eq(m.nregions, 1);
	ck_assert_uint_eq(m.region[0].gpa, 0);
	ck_assert_uint_eq(m.region[0].size, 1 * GiB);
	ck_assert_ptr_eq(m.region[0].host, m.base);
	ck_assert_uint_eq(m.region[0].fd_offset, 0);
	ck_assert_uint_eq(gmem_low_end(&m), 1 * GiB);
	ck_assert_ptr_eq(gmem_ptr(&m, 1 * GiB - 1, 1), m.base + 1 * GiB - 1);
	ck_assert_ptr_null(gmem_ptr(&m, 1 * GiB, 1));
	ck_assert_ptr_null(gmem_ptr(&m, GMEM_HIGH_BASE, 1));
	gmem_destroy(&m);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_ptr_null(m.base);
	ck_assert_uint_eq(m.nregions, 0);
}
END_TEST

START_TEST(layout_3g_exact)
{
	struct gmem m;

	ck_assert_int_eq(gmem_init(&m, 3 * GiB), 0);
	ck_assert_uint_eq(m.size, 3 * GiB);
	ck_assert_uint_eq(m.nregions, 1);
	ck_assert_uint_eq(m.region[0].gpa, 0);
	ck_assert_uint_eq(m.region[0].size, GMEM_LOW_LIMIT);
	ck_assert_uint_eq(gmem_low_end(&m), 0xC0000000ull);
	ck_assert_ptr_eq(gmem_ptr(&m, 0xBFFFFFFFull, 1), m.base + 0xBFFFFFFFull);
	ck_assert_ptr_null(gmem_ptr(&m, 0xC0000000ull, 1));
	ck_assert_ptr_null(gmem_ptr(&m, GMEM_HIGH_BASE, 1));
	gmem_destroy(&m);
}
END_TEST

START_TEST(layout_5g)
{
	struct gmem m;
	uint32_t v = 0x11223344, w = 0;

	ck_assert_int_eq(gmem_init(&m, 5 * GiB), 0);
	ck_assert_uint_eq(m.size, 5 * GiB);
	ck_assert_uint_eq(m.nregions, 2);
	ck_assert_uint_eq(m.region[0].gpa, 0);
	ck_assert_uint_eq(m.region[0].size, 3 * GiB);
	ck_assert_ptr_eq(m.region[0].host, m.base);
	ck_assert_uint_eq(m.region[0].fd_offset, 0);
	ck_assert_uint_eq(m.region[1].gpa, 4 * GiB);
	ck_assert_uint_eq(m.region[1].size, 2 * GiB);
	ck_assert_ptr_eq(m.region[1].host, m.base + 3 * GiB);
	ck_assert_uint_eq(m.region[1].fd_offset, 3 * GiB);
	ck_assert_uint_eq(gmem_low_end(&m), 3 * GiB);

	/* The MMIO hole between 3 and 4 GiB is not RAM. */
	ck_assert_ptr_null(gmem_ptr(&m, 3 * GiB, 1));
	ck_assert_ptr_null(gmem_ptr(&m, 4 * GiB - 1, 1));
	ck_assert_ptr_null(gmem_ptr(&m, 3 * GiB + 0x1000, 0));
	ck_assert_ptr_eq(gmem_ptr(&m, 4 * GiB, 1), m.base + 3 * GiB);
	ck_assert_ptr_eq(gmem_ptr(&m, 6 * GiB - 4, 4), m.base + 5 * GiB - 4);
	ck_assert_ptr_null(gmem_ptr(&m, 6 * GiB - 4, 5));
	ck_assert_ptr_null(gmem_ptr(&m, 6 * GiB, 1));
	ck_assert_ptr_eq(gmem_ptr(&m, 6 * GiB, 0), m.base + 5 * GiB);

	/* GPA 4 GiB is memfd offset 3 GiB. */
	ck_assert_int_eq(gmem_write(&m, 4 * GiB + 8, &v, sizeof(v)), 0);
	memcpy(&w, m.base + 3 * GiB + 8, sizeof(w));
	ck_assert_uint_eq(w, 0x11223344);
	/* Across the hole: the low region ends at 3 GiB, the high one starts at 4. */
	ck_assert_int_eq(gmem_write(&m, 3 * GiB - 2, &v, sizeof(v)), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, 4 * GiB - 2, &w, sizeof(w)), -EFAULT);
	gmem_destroy(&m);
}
END_TEST

START_TEST(init_bad_sizes)
{
	struct gmem m;

	ck_assert_int_eq(gmem_init(&m, 0), -EINVAL);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_uint_eq(m.nregions, 0);
	ck_assert_int_eq(gmem_init(&m, 4097), -EINVAL);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_int_eq(gmem_init(&m, 64 * MiB + 1), -EINVAL);
	ck_assert_uint_eq(m.nregions, 0);
	gmem_destroy(&m);
}
END_TEST

/* ---- gmem_ptr -------------------------------------------------------------------- */

START_TEST(ptr_region_edges)
{
	struct gmem m;

	init_ab(&m);
	ck_assert_uint_eq(m.size, A_SIZE + B_SIZE);
	ck_assert_ptr_eq(gmem_ptr(&m, A_GPA, 1), buf_a);
	ck_assert_ptr_eq(gmem_ptr(&m, A_GPA, A_SIZE), buf_a);
	ck_assert_ptr_eq(gmem_ptr(&m, A_GPA + A_SIZE - 1, 1), buf_a + A_SIZE - 1);
	ck_assert_ptr_eq(gmem_ptr(&m, A_GPA + 0x123, 0x10), buf_a + 0x123);
	ck_assert_ptr_eq(gmem_ptr(&m, B_GPA, B_SIZE), buf_b);
	ck_assert_ptr_eq(gmem_ptr(&m, B_GPA + B_SIZE - 8, 8), buf_b + B_SIZE - 8);
	/* Just below a region, and straddling its start. */
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA - 1, 1));
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA - 1, 2));
	ck_assert_ptr_null(gmem_ptr(&m, 0, 1));
	ck_assert_ptr_null(gmem_ptr(&m, B_GPA - 4, 8));
}
END_TEST

START_TEST(ptr_crossing_end)
{
	struct gmem m;

	init_ab(&m);
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA, A_SIZE + 1));
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA + A_SIZE - 1, 2));
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA + A_SIZE - 8, 9));
	ck_assert_ptr_null(gmem_ptr(&m, B_GPA + B_SIZE - 1, 2));
	/* From the first region all the way into the second, over the hole. */
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA, B_GPA + B_SIZE - A_GPA));
}
END_TEST

START_TEST(ptr_hole)
{
	struct gmem m;

	init_ab(&m);
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA + A_SIZE, 1));
	ck_assert_ptr_null(gmem_ptr(&m, 0x8000, 1));
	ck_assert_ptr_null(gmem_ptr(&m, 0x8000, 0));
	ck_assert_ptr_null(gmem_ptr(&m, B_GPA - 1, 1));
	ck_assert_ptr_null(gmem_ptr(&m, B_GPA + B_SIZE, 1));
	ck_assert_ptr_null(gmem_ptr(&m, B_GPA + B_SIZE + 1, 0));
}
END_TEST

START_TEST(ptr_len0_at_end)
{
	struct gmem m;

	init_ab(&m);
	/* An empty range exactly at the end of a region is fine; one byte is not. */
	ck_assert_ptr_eq(gmem_ptr(&m, A_GPA + A_SIZE, 0), buf_a + A_SIZE);
	ck_assert_ptr_eq(gmem_ptr(&m, B_GPA + B_SIZE, 0), buf_b + B_SIZE);
	ck_assert_ptr_eq(gmem_ptr(&m, A_GPA, 0), buf_a);
	ck_assert_ptr_eq(gmem_ptr(&m, B_GPA + 5, 0), buf_b + 5);
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA + A_SIZE + 1, 0));
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA - 1, 0));
}
END_TEST

START_TEST(ptr_overflow)
{
	static uint8_t top[0x1000];
	const uint64_t top_gpa = UINT64_MAX - 0x1fff;	/* ends at UINT64_MAX - 0xfff */
	const struct gmem_region r[2] = {
		{ A_GPA, A_SIZE, buf_a, 0 },
		{ top_gpa, sizeof(top), top, 0 },
	};
	struct gmem m;

	ck_assert_int_eq(gmem_init_regions(&m, r, 2), 0);
	/* gpa + len wraps around to a small number: must not look "in range". */
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA + 0x10, UINT64_MAX - 0x8));
	ck_assert_ptr_null(gmem_ptr(&m, A_GPA + 0x10, 0ull - A_GPA - 0x10));
	ck_assert_ptr_null(gmem_ptr(&m, top_gpa + 0x10, 0ull - 0x8));
	ck_assert_ptr_null(gmem_ptr(&m, top_gpa + 0x10, 0ull - top_gpa - 0x8));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX, 1));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX, 2));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX, 0));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX - 0xfff, 1));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX - 0x1000, 2));
	/* The top region itself works up to its last byte. */
	ck_assert_ptr_eq(gmem_ptr(&m, top_gpa, sizeof(top)), top);
	ck_assert_ptr_eq(gmem_ptr(&m, UINT64_MAX - 0x1000, 1), top + sizeof(top) - 1);
	ck_assert_ptr_eq(gmem_ptr(&m, UINT64_MAX - 0xfff, 0), top + sizeof(top));

	{
		uint8_t b[4];

		ck_assert_int_eq(gmem_read(&m, UINT64_MAX, b, 1), -EFAULT);
		ck_assert_int_eq(gmem_read(&m, UINT64_MAX - 0x1001, b, 4), -EFAULT);
		ck_assert_int_eq(gmem_write(&m, UINT64_MAX - 1, b, 4), -EFAULT);
		ck_assert_int_eq(gmem_read(&m, UINT64_MAX - 0x1003, b, 4), 0);
	}
}
END_TEST

START_TEST(ptr_no_span_between_regions)
{
	struct gmem m;

	/* RAM is contiguous at GPA 0x2000 but the host buffers are not: no one pointer. */
	init_contiguous(&m);
	ck_assert_ptr_eq(gmem_ptr(&m, 0x1fff, 1), buf_a + 0x1fff);
	ck_assert_ptr_eq(gmem_ptr(&m, 0x2000, 1), buf_b);
	ck_assert_ptr_eq(gmem_ptr(&m, 0x2000, 0), buf_a + A_SIZE);
	ck_assert_ptr_null(gmem_ptr(&m, 0x1fff, 2));
	ck_assert_ptr_null(gmem_ptr(&m, 0x3000, 1));
	ck_assert_uint_eq(gmem_low_end(&m), A_SIZE);
}
END_TEST

/* ---- gmem_read / gmem_write ------------------------------------------------------ */

START_TEST(rw_within_region)
{
	struct gmem m;
	uint8_t in[100], out[100];

	init_ab(&m);
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(gmem_write(&m, A_GPA + 0x100, in, sizeof(in)), 0);
	ck_assert_mem_eq(buf_a + 0x100, in, sizeof(in));
	ck_assert_uint_eq(buf_a[0xff], 0);
	ck_assert_uint_eq(buf_a[0x100 + sizeof(in)], 0);
	memset(out, 0xee, sizeof(out));
	ck_assert_int_eq(gmem_read(&m, A_GPA + 0x100, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, in, sizeof(in));

	/* The last bytes of a region. */
	ck_assert_int_eq(gmem_write(&m, B_GPA + B_SIZE - 3, in, 3), 0);
	ck_assert_mem_eq(buf_b + B_SIZE - 3, in, 3);
	ck_assert_int_eq(gmem_read(&m, B_GPA + B_SIZE - 3, out, 3), 0);
	ck_assert_mem_eq(out, in, 3);
	/* A whole region. */
	ck_assert_int_eq(gmem_read(&m, B_GPA, buf_a, B_SIZE), 0);
	ck_assert_mem_eq(buf_a, buf_b, B_SIZE);
}
END_TEST

START_TEST(rw_across_contiguous_regions)
{
	struct gmem m;
	uint8_t in[32], out[32];

	init_contiguous(&m);
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(gmem_write(&m, 0x2000 - 10, in, sizeof(in)), 0);
	ck_assert_mem_eq(buf_a + A_SIZE - 10, in, 10);
	ck_assert_mem_eq(buf_b, in + 10, 22);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(gmem_read(&m, 0x2000 - 10, out, sizeof(out)), 0);
	ck_assert_mem_eq(out, in, sizeof(in));
	/* All of RAM in one go, and one byte more. */
	{
		static uint8_t all[A_SIZE + B_SIZE + 1];

		ck_assert_int_eq(gmem_read(&m, 0, all, A_SIZE + B_SIZE), 0);
		ck_assert_mem_eq(all + A_SIZE - 10, in, sizeof(in));
		ck_assert_int_eq(gmem_read(&m, 0, all, A_SIZE + B_SIZE + 1), -EFAULT);
	}
}
END_TEST

START_TEST(rw_across_hole_fails)
{
	struct gmem m;
	uint8_t in[16] = { 1, 2, 3 }, out[16];

	init_ab(&m);
	ck_assert_int_eq(gmem_write(&m, A_GPA + A_SIZE - 8, in, sizeof(in)), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, A_GPA + A_SIZE - 8, out, sizeof(out)), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, B_GPA - 1, out, 2), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, 0x8000, out, 1), -EFAULT);
	ck_assert_int_eq(gmem_write(&m, 0x8000, in, 1), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, B_GPA + B_SIZE, out, 1), -EFAULT);
	ck_assert_int_eq(gmem_read(&m, A_GPA - 1, out, 1), -EFAULT);
	/* Nothing was written into the second region. */
	for (unsigned i = 0; i < B_SIZE; i++)
		ck_assert_uint_eq(buf_b[i], 0);
}
END_TEST

/* ---- gmem_discard ---------------------------------------------------------------- */

START_TEST(discard_test_regions)
{
	struct gmem m;
	uint8_t v[8];

	init_ab(&m);
	memset(buf_a, 0xaa, sizeof(buf_a));
	memset(buf_b, 0xbb, sizeof(buf_b));
	ck_assert_int_eq(gmem_discard(&m), 0);
	for (unsigned i = 0; i < A_SIZE; i++)
		ck_assert_uint_eq(buf_a[i], 0);
	for (unsigned i = 0; i < B_SIZE; i++)
		ck_assert_uint_eq(buf_b[i], 0);
	ck_assert_int_eq(gmem_read(&m, B_GPA, v, sizeof(v)), 0);
	ck_assert_uint_eq(v[0] | v[7], 0);
}
END_TEST

START_TEST(discard_memfd)
{
	struct gmem m;
	const uint64_t at[] = { 0, 0x1000, 0x9fc00, 3 * GiB - 8, 4 * GiB, 5 * GiB - 16 };
	uint64_t pat = 0x0123456789abcdefull, v;

	ck_assert_int_eq(gmem_init(&m, 4 * GiB), 0);
	ck_assert_uint_eq(m.nregions, 2);
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		ck_assert_int_eq(gmem_write(&m, at[i], &pat, sizeof(pat)), 0);
		ck_assert_int_eq(gmem_read(&m, at[i], &v, sizeof(v)), 0);
		ck_assert_uint_eq(v, pat);
	}
	ck_assert_int_eq(gmem_discard(&m), 0);
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		v = 1;
		ck_assert_int_eq(gmem_read(&m, at[i], &v, sizeof(v)), 0);
		ck_assert_uint_eq(v, 0);
	}
	/* The mapping survives: RAM is usable again after a reset. */
	ck_assert_int_eq(gmem_write(&m, 0x1000, &pat, sizeof(pat)), 0);
	ck_assert_int_eq(gmem_read(&m, 0x1000, &v, sizeof(v)), 0);
	ck_assert_uint_eq(v, pat);
	gmem_destroy(&m);
}
END_TEST

/* ---- gmem_init_regions validation ------------------------------------------------- */

START_TEST(regions_validation)
{
	struct gmem m;
	struct gmem_region r[3] = {
		{ 0x1000, 0x1000, buf_a, 0 },
		{ 0x2000, 0x1000, buf_b, 0 },
		{ 0x8000, 0x1000, buf_b, 0 },
	};

	/* Adjacent is fine. */
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), 0);
	ck_assert_uint_eq(m.nregions, 2);
	ck_assert_uint_eq(m.size, 0x2000);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_uint_eq(gmem_low_end(&m), 0);	/* no RAM at GPA 0 */

	/* Too few and too many. */
	ck_assert_int_eq(gmem_init_regions(&m, r, 0), -EINVAL);
	ck_assert_uint_eq(m.nregions, 0);
	ck_assert_int_eq(gmem_init_regions(&m, r, 3), -EINVAL);
	ck_assert_uint_eq(m.nregions, 0);
	ck_assert_int_eq(gmem_init_regions(&m, r, GMEM_MAX_REGIONS + 10), -EINVAL);

	/* Overlap by one byte. */
	r[1].gpa = 0x1fff;
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), -EINVAL);
	ck_assert_uint_eq(m.nregions, 0);
	ck_assert_ptr_null(gmem_ptr(&m, 0x1000, 1));
	/* Identical. */
	r[1].gpa = 0x1000;
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), -EINVAL);
	/* Out of order (not overlapping, but the table must be sorted). */
	r[1].gpa = 0;
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), -EINVAL);
	/* Second contains the first. */
	r[1].gpa = 0x800;
	r[1].size = 0x4000;
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), -EINVAL);

	/* A region whose end wraps past 2^64. */
	r[0].gpa = UINT64_MAX - 0xff;
	r[0].size = 0x1000;
	ck_assert_int_eq(gmem_init_regions(&m, r, 1), -EINVAL);
	ck_assert_uint_eq(m.nregions, 0);
	r[0].gpa = 0x1000;
	r[1].gpa = 0xfffffffffffff000ull;
	r[1].size = 0x2000;
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), -EINVAL);
	ck_assert_uint_eq(m.nregions, 0);
	ck_assert_ptr_null(gmem_ptr(&m, 0x1000, 1));
}
END_TEST

/* ---- device memory ---------------------------------------------------------------------------- */

/* What the core told the VM: the slot calls, in order. */
static struct { unsigned slot; uint64_t gpa, size; unsigned flags; } slots[8];
static unsigned nslots;

static int record_slot(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host,
		       unsigned flags)
{
	(void)opaque;
	(void)host;
	if (nslots < 8) {
		slots[nslots].slot = slot;
		slots[nslots].gpa = gpa;
		slots[nslots].size = size;
		slots[nslots].flags = flags;
		nslots++;
	}
	return 0;
}


START_TEST(devmem_core)
{
	struct gmem m;
	struct gmem_region r[2] = { { 0, 1 << 20, NULL, 0 }, { 0x100000000ull, 1 << 20, NULL, 0 } };
	static uint8_t ram[2][1 << 20];
	struct gmem_devmem *a, *b, *more[GMEM_MAX_DEVMEM];
	uint64_t gpa;

	r[0].host = ram[0];
	r[1].host = ram[1];
	ck_assert_int_eq(gmem_init_regions(&m, r, 2), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 0, &a), -EINVAL);
	ck_assert_int_eq(gmem_devmem_new(&m, 4097, &a), -EINVAL);
	ck_assert_int_eq(gmem_devmem_new(&m, 1 << 20, &a), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 1 << 20, &b), 0);
	ck_assert(!gmem_devmem_gpa(a, &gpa));
	/* RAM, the other block, alignment, wrapping */
	ck_assert_int_eq(gmem_devmem_map(a, 0), -EEXIST);
	ck_assert_int_eq(gmem_devmem_map(a, 0xff000), -EEXIST);
	ck_assert_int_eq(gmem_devmem_map(a, 0x100000000ull - 0x1000), -EEXIST);
	ck_assert_int_eq(gmem_devmem_map(a, 0x200001), -EINVAL);
	ck_assert_int_eq(gmem_devmem_map(a, 0xfffffffffff00000ull), -EINVAL);
	ck_assert_int_eq(gmem_devmem_map(a, 0xc0000000ull), 0);
	ck_assert_int_eq(gmem_devmem_map(b, 0xc0080000ull), -EEXIST);
	ck_assert_int_eq(gmem_devmem_map(b, 0xc0100000ull), 0);
	ck_assert(gmem_devmem_gpa(b, &gpa));
	ck_assert_uint_eq(gpa, 0xc0100000ull);
	/* not RAM */
	ck_assert_ptr_null(gmem_ptr(&m, 0xc0000000ull, 1));
	/* the handler learns of what is mapped when it comes */
	nslots = 0;
	ck_assert_int_eq(gmem_set_slot_fn(&m, record_slot, NULL), 0);
	ck_assert_uint_eq(nslots, 2);
	ck_assert_uint_eq(slots[0].slot, GMEM_MAX_REGIONS + 0);
	ck_assert_uint_eq(slots[1].slot, GMEM_MAX_REGIONS + 1);
	gmem_devmem_unmap(b);
	ck_assert(!gmem_devmem_gpa(b, &gpa));
	ck_assert_uint_eq(nslots, 3);
	ck_assert_uint_eq(slots[2].size, 0);
	nslots = 0;
	ck_assert_int_eq(gmem_devmem_replay(&m), 0);
	ck_assert_uint_eq(nslots, 1);
	/* at most GMEM_MAX_DEVMEM */
	for (unsigned i = 0; i < GMEM_MAX_DEVMEM - 2; i++)
		ck_assert_int_eq(gmem_devmem_new(&m, 4096, &more[i]), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 4096, &more[GMEM_MAX_DEVMEM - 2]), -ENOSPC);
	for (unsigned i = 0; i < GMEM_MAX_DEVMEM - 2; i++)
		gmem_devmem_free(more[i]);
	gmem_devmem_free(a);
	gmem_devmem_free(b);
	gmem_destroy(&m);
}
END_TEST

/* A flash's array: read-only in the guest, and hidden while it is in command mode. */
START_TEST(devmem_readonly_hidden)
{
	struct gmem m;
	struct gmem_region r[1] = { { 0, 1 << 20, NULL, 0 } };
	static uint8_t ram[1 << 20];
	struct gmem_devmem *fl, *other;
	uint64_t gpa;

	r[0].host = ram;
	ck_assert_int_eq(gmem_init_regions(&m, r, 1), 0);
	nslots = 0;
	ck_assert_int_eq(gmem_set_slot_fn(&m, record_slot, NULL), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 0x84000, &fl), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 0x1000, &other), 0);
	ck_assert_int_eq(gmem_devmem_set_readonly(fl, true), 0);
	/* hiding what is not mapped tells nobody */
	ck_assert_int_eq(gmem_devmem_hide(fl, true), 0);
	ck_assert(gmem_devmem_hidden(fl));
	ck_assert_uint_eq(nslots, 0);
	ck_assert_int_eq(gmem_devmem_hide(fl, false), 0);
	ck_assert_uint_eq(nslots, 0);
	/* mapped: a read-only slot */
	ck_assert_int_eq(gmem_devmem_map(fl, 0xffc00000ull), 0);
	ck_assert_uint_eq(nslots, 1);
	ck_assert_uint_eq(slots[0].gpa, 0xffc00000ull);
	ck_assert_uint_eq(slots[0].size, 0x84000);
	ck_assert_uint_eq(slots[0].flags, GMEM_SLOT_READONLY);
	/* the flags cannot change under a slot */
	ck_assert_int_eq(gmem_devmem_set_readonly(fl, false), -EBUSY);
	/* hide: the slot goes, the place stays */
	ck_assert_int_eq(gmem_devmem_hide(fl, true), 0);
	ck_assert_uint_eq(nslots, 2);
	ck_assert_uint_eq(slots[1].size, 0);
	ck_assert_uint_eq(slots[1].slot, slots[0].slot);
	ck_assert(gmem_devmem_gpa(fl, &gpa));
	ck_assert_uint_eq(gpa, 0xffc00000ull);
	ck_assert_int_eq(gmem_devmem_map(other, 0xffc80000ull), -EEXIST);
	/* twice is once */
	ck_assert_int_eq(gmem_devmem_hide(fl, true), 0);
	ck_assert_uint_eq(nslots, 2);
	/* a new VM while hidden: no slot */
	ck_assert_int_eq(gmem_devmem_replay(&m), 0);
	ck_assert_uint_eq(nslots, 2);
	/* show: the same slot again, read-only */
	ck_assert_int_eq(gmem_devmem_hide(fl, false), 0);
	ck_assert_uint_eq(nslots, 3);
	ck_assert_uint_eq(slots[2].gpa, 0xffc00000ull);
	ck_assert_uint_eq(slots[2].size, 0x84000);
	ck_assert_uint_eq(slots[2].flags, GMEM_SLOT_READONLY);
	ck_assert(!gmem_devmem_hidden(fl));
	/* moving while hidden moves the place only; showing maps the new place */
	ck_assert_int_eq(gmem_devmem_hide(fl, true), 0);
	ck_assert_uint_eq(nslots, 4);
	ck_assert_int_eq(gmem_devmem_map(fl, 0xff000000ull), 0);
	ck_assert_uint_eq(nslots, 4);
	ck_assert_int_eq(gmem_devmem_hide(fl, false), 0);
	ck_assert_uint_eq(nslots, 5);
	ck_assert_uint_eq(slots[4].gpa, 0xff000000ull);
	/* unmapping while hidden removes no slot twice */
	ck_assert_int_eq(gmem_devmem_hide(fl, true), 0);
	ck_assert_uint_eq(nslots, 6);
	gmem_devmem_unmap(fl);
	ck_assert_uint_eq(nslots, 6);
	ck_assert(!gmem_devmem_gpa(fl, &gpa));
	ck_assert_int_eq(gmem_devmem_hide(fl, false), 0);
	ck_assert_uint_eq(nslots, 6);
	/* RAM-like device memory stays writable */
	ck_assert_int_eq(gmem_devmem_map(other, 0xffc80000ull), 0);
	ck_assert_uint_eq(nslots, 7);
	ck_assert_uint_eq(slots[6].flags, 0);
	gmem_devmem_free(other);
	gmem_devmem_free(fl);
	gmem_destroy(&m);
}
END_TEST

/* The slot handler refusing to show the block again: it stays hidden, and says so. */
static int fail_slot(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host, unsigned flags)
{
	(void)opaque;
	(void)slot;
	(void)gpa;
	(void)host;
	(void)flags;
	return size ? -ENOMEM : 0;
}

START_TEST(devmem_show_fails)
{
	struct gmem m;
	struct gmem_region r[1] = { { 0, 1 << 20, NULL, 0 } };
	static uint8_t ram[1 << 20];
	struct gmem_devmem *fl;

	r[0].host = ram;
	ck_assert_int_eq(gmem_init_regions(&m, r, 1), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 0x4000, &fl), 0);
	ck_assert_int_eq(gmem_devmem_map(fl, 0xffc00000ull), 0);
	ck_assert_int_eq(gmem_devmem_hide(fl, true), 0);
	ck_assert_int_eq(gmem_set_slot_fn(&m, fail_slot, NULL), 0);
	ck_assert_int_eq(gmem_devmem_hide(fl, false), -ENOMEM);
	ck_assert(gmem_devmem_hidden(fl));
	gmem_devmem_free(fl);
	gmem_destroy(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("layout");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, layout_1g);
	tcase_add_test(tc, layout_3g_exact);
	tcase_add_test(tc, layout_5g);
	tcase_add_test(tc, init_bad_sizes);
	tcase_add_test(tc, discard_memfd);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_test(tc, ptr_region_edges);
	tcase_add_test(tc, ptr_crossing_end);
	tcase_add_test(tc, ptr_hole);
	tcase_add_test(tc, ptr_len0_at_end);
	tcase_add_test(tc, ptr_overflow);
	tcase_add_test(tc, ptr_no_span_between_regions);
	tcase_add_test(tc, rw_within_region);
	tcase_add_test(tc, rw_across_contiguous_regions);
	tcase_add_test(tc, rw_across_hole_fails);
	tcase_add_test(tc, discard_test_regions);
	tcase_add_test(tc, regions_validation);
	suite_add_tcase(s, tc);

	tc = tcase_create("devmem");
	tcase_add_test(tc, devmem_core);
	tcase_add_test(tc, devmem_readonly_hidden);
	tcase_add_test(tc, devmem_show_fails);
	suite_add_tcase(s, tc);

	return test_main(s);
}
