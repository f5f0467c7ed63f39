/* SPDX-License-Identifier: MIT */
/* Port I/O and MMIO dispatch: registration rules, lookup at range edges, and what an
 * access to nothing looks like. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "testutil.h"

struct fake_dev {
	unsigned reads, writes;
	uint64_t off, val;
	unsigned size;
	uint64_t read_val;	/* what every read returns, whatever its size */
};

static uint64_t fake_read(void *dev, uint64_t off, unsigned size)
{
	struct fake_dev *d = dev;

	d->reads++;
	d->off = off;
	d->size = size;
	return d->read_val;
}

static void fake_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct fake_dev *d = dev;

	d->writes++;
	d->off = off;
	d->val = val;
	d->size = size;
}

static const struct io_ops fake_ops = { fake_read, fake_write };
static const struct io_ops null_ops = { NULL, NULL };

/* ---- registration ---------------------------------------------------------------- */

START_TEST(register_sorted)
{
	struct io_bus bus;
	struct fake_dev d = { 0 };
	static const uint64_t bases[] = { 0x3f8, 0x60, 0xcf8, 0x70, 0x2f8, 0x80, 0x0, 0xffff };

	io_bus_init(&bus, "port");
	ck_assert_str_eq(bus.kind, "port");
	ck_assert_uint_eq(bus.n, 0);
	for (unsigned i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		ck_assert_int_eq(io_bus_register(&bus, bases[i], 1, &fake_ops, &d, "x"), 0);
	ck_assert_uint_eq(bus.n, 8);
	ck_assert_uint_eq(bus.r[0].base, 0x0);
	ck_assert_uint_eq(bus.r[1].base, 0x60);
	ck_assert_uint_eq(bus.r[2].base, 0x70);
	ck_assert_uint_eq(bus.r[3].base, 0x80);
	ck_assert_uint_eq(bus.r[4].base, 0x2f8);
	ck_assert_uint_eq(bus.r[5].base, 0x3f8);
	ck_assert_uint_eq(bus.r[6].base, 0xcf8);
	ck_assert_uint_eq(bus.r[7].base, 0xffff);
	for (unsigned i = 0; i < bus.n; i++) {
		ck_assert_uint_eq(bus.r[i].len, 1);
		ck_assert_ptr_eq(bus.r[i].ops, &fake_ops);
		ck_assert_ptr_eq(bus.r[i].dev, &d);
		ck_assert_str_eq(bus.r[i].name, "x");
	}
}
END_TEST

START_TEST(register_overlap)
{
	struct io_bus bus;
	struct fake_dev d = { 0 };

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x100, 0x10, &fake_ops, &d, "a"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x200, 0x10, &fake_ops, &d, "b"), 0);
	/* Same, inside, containing, left edge, right edge, bridging both. */
	ck_assert_int_eq(io_bus_register(&bus, 0x100, 0x10, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0x104, 0x4, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0xf0, 0x40, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0xff, 0x2, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0x10f, 0x1, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0x1ff, 0x1, &fake_ops, &d, "c"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x20f, 0x2, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0x0, 0x1000, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_int_eq(io_bus_register(&bus, 0x150, 0x100, &fake_ops, &d, "c"), -EEXIST);
	ck_assert_uint_eq(bus.n, 3);
	/* Adjacent on both sides is fine. */
	ck_assert_int_eq(io_bus_register(&bus, 0xf0, 0x10, &fake_ops, &d, "l"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x110, 0x10, &fake_ops, &d, "r"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x120, 0xdf, &fake_ops, &d, "m"), 0);
	ck_assert_uint_eq(bus.n, 6);
	ck_assert_str_eq(bus.r[0].name, "l");
	ck_assert_str_eq(bus.r[1].name, "a");
	ck_assert_str_eq(bus.r[2].name, "r");
	ck_assert_str_eq(bus.r[3].name, "m");
	ck_assert_str_eq(bus.r[4].name, "c");
	ck_assert_str_eq(bus.r[5].name, "b");
}
END_TEST

START_TEST(register_bad_ranges)
{
	struct io_bus bus;
	struct fake_dev d = { 0 };

	io_bus_init(&bus, "mmio");
	ck_assert_int_eq(io_bus_register(&bus, 0x1000, 0, &fake_ops, &d, "zero"), -EINVAL);
	ck_assert_int_eq(io_bus_register(&bus, UINT64_MAX, 2, &fake_ops, &d, "wrap"), -EINVAL);
	ck_assert_int_eq(io_bus_register(&bus, 0x1000, UINT64_MAX, &fake_ops, &d, "wrap"), -EINVAL);
	ck_assert_int_eq(io_bus_register(&bus, 0xfffffffffffff000ull, 0x2000, &fake_ops, &d,
					 "wrap"), -EINVAL);
	ck_assert_uint_eq(bus.n, 0);
	ck_assert_int_eq(io_bus_register(&bus, UINT64_MAX - 0x10, 0x10, &fake_ops, &d, "top"), 0);
	ck_assert_uint_eq(bus.n, 1);
}
END_TEST

START_TEST(register_full)
{
	struct io_bus bus;
	struct fake_dev d = { 0 };

	io_bus_init(&bus, "port");
	/* Fill it in reverse order so every insert shifts the table. */
	for (unsigned i = 0; i < IO_BUS_MAX; i++)
		ck_assert_int_eq(io_bus_register(&bus, 0x1000 - 0x10 * (uint64_t)i, 8, &fake_ops,
						 &d, "x"), 0);
	ck_assert_uint_eq(bus.n, IO_BUS_MAX);
	ck_assert_int_eq(io_bus_register(&bus, 0x5000, 1, &fake_ops, &d, "y"), -ENOSPC);
	ck_assert_uint_eq(bus.n, IO_BUS_MAX);
	for (unsigned i = 0; i < IO_BUS_MAX; i++)
		ck_assert_uint_eq(bus.r[i].base, 0x1000 - 0x10 * (uint64_t)(IO_BUS_MAX - 1 - i));
	ck_assert_ptr_null(io_bus_find(&bus, 0x5000, 1));
	ck_assert_ptr_eq(io_bus_find(&bus, 0x1000 + 7, 1), &bus.r[IO_BUS_MAX - 1]);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x1000 - 0x10 * (IO_BUS_MAX - 1), 8), &bus.r[0]);
}
END_TEST

/* ---- lookup ---------------------------------------------------------------------- */

START_TEST(find_edges)
{
	struct io_bus bus;
	struct fake_dev d1 = { 0 }, d2 = { 0 };
	const struct io_range *r;

	io_bus_init(&bus, "port");
	ck_assert_ptr_null(io_bus_find(&bus, 0, 1));
	ck_assert_int_eq(io_bus_register(&bus, 0x3f8, 8, &fake_ops, &d1, "com1"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x400, 4, &fake_ops, &d2, "next"), 0);

	r = io_bus_find(&bus, 0x3f8, 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(r->dev, &d1);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x3ff, 1), r);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x3f8, 8), r);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x3fe, 2), r);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x3fc, 4), r);
	ck_assert_ptr_null(io_bus_find(&bus, 0x3f7, 1));
	ck_assert_ptr_null(io_bus_find(&bus, 0x3f7, 2));	/* straddles the start */
	/* Straddles the end of com1 into the adjacent range: neither may take it. */
	ck_assert_ptr_null(io_bus_find(&bus, 0x3ff, 2));
	ck_assert_ptr_null(io_bus_find(&bus, 0x3fc, 8));
	ck_assert_ptr_null(io_bus_find(&bus, 0x3f8, 9));
	r = io_bus_find(&bus, 0x400, 4);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(r->dev, &d2);
	ck_assert_ptr_null(io_bus_find(&bus, 0x403, 2));
	ck_assert_ptr_null(io_bus_find(&bus, 0x404, 1));
	ck_assert_ptr_null(io_bus_find(&bus, 0xffff, 1));
}
END_TEST

START_TEST(find_straddle_near_top)
{
	struct io_bus bus;
	struct fake_dev d = { 0 };
	const uint64_t base = 0xfffffffffffffff0ull;

	io_bus_init(&bus, "mmio");
	ck_assert_int_eq(io_bus_register(&bus, base, 0xf, &fake_ops, &d, "top"), 0);
	ck_assert_ptr_eq(io_bus_find(&bus, base + 0xe, 1), &bus.r[0]);
	ck_assert_ptr_eq(io_bus_find(&bus, base + 0x7, 8), &bus.r[0]);
	/* [base+0xe, base+0x16) runs past the range's end (and past 2^64). */
	ck_assert_ptr_null(io_bus_find(&bus, base + 0xe, 8));
	ck_assert_ptr_null(io_bus_find(&bus, base + 0xc, 4));
	ck_assert_ptr_null(io_bus_find(&bus, UINT64_MAX, 1));
}
END_TEST

/* ---- dispatch -------------------------------------------------------------------- */

START_TEST(access_dispatch)
{
	struct io_bus bus;
	struct fake_dev d = { .read_val = 0x8877665544332211ull };
	uint8_t buf[8];
	uint64_t v;

	io_bus_init(&bus, "mmio");
	ck_assert_int_eq(io_bus_register(&bus, 0xfed00000ull, 0x400, &fake_ops, &d, "hpet"), 0);

	/* Writes: offset relative to the base, value of exactly size bytes. */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x5a;
	ck_assert(io_bus_access(&bus, 0xfed00003ull, buf, 1, true));
	ck_assert_uint_eq(d.writes, 1);
	ck_assert_uint_eq(d.off, 3);
	ck_assert_uint_eq(d.size, 1);
	ck_assert_uint_eq(d.val, 0x5a);

	v = 0xdeadbeefcafef00dull;
	ck_assert(io_bus_access(&bus, 0xfed00010ull, &v, 2, true));
	ck_assert_uint_eq(d.off, 0x10);
	ck_assert_uint_eq(d.size, 2);
	ck_assert_uint_eq(d.val, 0xf00d);
	ck_assert(io_bus_access(&bus, 0xfed00020ull, &v, 4, true));
	ck_assert_uint_eq(d.off, 0x20);
	ck_assert_uint_eq(d.size, 4);
	ck_assert_uint_eq(d.val, 0xcafef00d);
	ck_assert(io_bus_access(&bus, 0xfed003f8ull, &v, 8, true));
	ck_assert_uint_eq(d.off, 0x3f8);
	ck_assert_uint_eq(d.size, 8);
	ck_assert_uint_eq(d.val, 0xdeadbeefcafef00dull);
	ck_assert_uint_eq(d.writes, 4);
	ck_assert_uint_eq(d.reads, 0);

	/* Reads: only size bytes of the buffer are filled, from the low end of the value. */
	memset(buf, 0xcc, sizeof(buf));
	ck_assert(io_bus_access(&bus, 0xfed00001ull, buf, 1, false));
	ck_assert_uint_eq(d.off, 1);
	ck_assert_uint_eq(d.size, 1);
	ck_assert_uint_eq(buf[0], 0x11);
	ck_assert_uint_eq(buf[1], 0xcc);
	memset(buf, 0xcc, sizeof(buf));
	ck_assert(io_bus_access(&bus, 0xfed00002ull, buf, 2, false));
	ck_assert_uint_eq(d.off, 2);
	ck_assert_uint_eq(d.size, 2);
	ck_assert_uint_eq(buf[0], 0x11);
	ck_assert_uint_eq(buf[1], 0x22);
	ck_assert_uint_eq(buf[2], 0xcc);
	memset(buf, 0xcc, sizeof(buf));
	ck_assert(io_bus_access(&bus, 0xfed00004ull, buf, 4, false));
	ck_assert_uint_eq(d.size, 4);
	{
		static const uint8_t want[8] = { 0x11, 0x22, 0x33, 0x44, 0xcc, 0xcc, 0xcc, 0xcc };

		ck_assert_mem_eq(buf, want, 8);
	}
	v = 0;
	ck_assert(io_bus_access(&bus, 0xfed00008ull, &v, 8, false));
	ck_assert_uint_eq(d.size, 8);
	ck_assert_uint_eq(d.off, 8);
	ck_assert_uint_eq(v, 0x8877665544332211ull);
	ck_assert_uint_eq(d.reads, 4);
	ck_assert_uint_eq(d.writes, 4);
}
END_TEST

START_TEST(access_dispatch_two_devices)
{
	struct io_bus bus;
	struct fake_dev a = { .read_val = 0xaa }, b = { .read_val = 0xbb };
	uint8_t v = 0;

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x60, 1, &fake_ops, &a, "a"), 0);
	ck_assert_int_eq(io_bus_register(&bus, 0x61, 1, &fake_ops, &b, "b"), 0);
	ck_assert(io_bus_access(&bus, 0x61, &v, 1, false));
	ck_assert_uint_eq(v, 0xbb);
	ck_assert_uint_eq(b.off, 0);
	ck_assert(io_bus_access(&bus, 0x60, &v, 1, false));
	ck_assert_uint_eq(v, 0xaa);
	ck_assert_uint_eq(a.reads, 1);
	ck_assert_uint_eq(b.reads, 1);
}
END_TEST

START_TEST(access_unclaimed)
{
	struct io_bus bus;
	struct fake_dev d = { .read_val = 0 };
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x70, 2, &fake_ops, &d, "rtc"), 0);
	for (unsigned i = 0; i < 4; i++) {
		uint8_t buf[16];

		memset(buf, 0, sizeof(buf));
		ck_assert(!io_bus_access(&bus, 0x1234, buf, sizes[i], false));
		for (unsigned j = 0; j < sizeof(buf); j++)
			ck_assert_uint_eq(buf[j], j < sizes[i] ? 0xff : 0);
	}
	/* A read straddling the end of a range is unclaimed too. */
	{
		uint16_t w = 0;

		ck_assert(!io_bus_access(&bus, 0x71, &w, 2, false));
		ck_assert_uint_eq(w, 0xffff);
	}
	/* Writes to nothing are dropped. */
	{
		uint32_t v = 0x12345678;

		ck_assert(!io_bus_access(&bus, 0x1234, &v, 4, true));
		ck_assert(!io_bus_access(&bus, 0x6f, &v, 2, true));
		ck_assert(!io_bus_access(&bus, 0x71, &v, 2, true));
		ck_assert_uint_eq(v, 0x12345678);
	}
	ck_assert_uint_eq(d.reads, 0);
	ck_assert_uint_eq(d.writes, 0);
	/* Same address again (logged only once) behaves the same. */
	{
		uint8_t b = 0;

		ck_assert(!io_bus_access(&bus, 0x1234, &b, 1, false));
		ck_assert_uint_eq(b, 0xff);
	}
}
END_TEST

START_TEST(access_bad_size)
{
	struct io_bus bus;
	struct fake_dev d = { .read_val = 0x1122334455667788ull };
	uint8_t buf[16];

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x100, 0x100, &fake_ops, &d, "big"), 0);
	memset(buf, 0xcc, sizeof(buf));
	ck_assert(!io_bus_access(&bus, 0x100, buf, 0, false));
	ck_assert(!io_bus_access(&bus, 0x100, buf, 9, false));
	ck_assert(!io_bus_access(&bus, 0x100, buf, 16, true));
	ck_assert(!io_bus_access(&bus, 0x100, buf, 0, true));
	ck_assert_uint_eq(d.reads, 0);
	ck_assert_uint_eq(d.writes, 0);
	for (unsigned j = 0; j < sizeof(buf); j++)
		ck_assert_uint_eq(buf[j], 0xcc);
}
END_TEST

START_TEST(access_null_ops)
{
	struct io_bus bus;
	uint32_t v = 0;

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x500, 4, &null_ops, NULL, "null"), 0);
	ck_assert(io_bus_access(&bus, 0x500, &v, 4, false));
	ck_assert_uint_eq(v, 0xffffffffu);
	v = 0;
	ck_assert(io_bus_access(&bus, 0x502, &v, 2, false));
	ck_assert_uint_eq(v, 0xffff);
	ck_assert(io_bus_access(&bus, 0x500, &v, 4, true));
}
END_TEST

/* ---- movable ranges ---------------------------------------------------------------- */

START_TEST(movable_ranges)
{
	struct io_bus bus;
	struct fake_dev fixed = { .read_val = 0x11 }, a = { .read_val = 0x22 }, b = { .read_val = 0x33 };
	uint64_t v = 0;
	int ia, ib;

	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, 0x100, 0x10, &fake_ops, &fixed, "fixed"), 0);
	ia = io_bus_add_movable(&bus, &fake_ops, &a, "a");
	ib = io_bus_add_movable(&bus, &fake_ops, &b, "b");
	ck_assert_int_eq(ia, 0);
	ck_assert_int_eq(ib, 1);
	/* Unmapped until moved. */
	ck_assert(!io_bus_access(&bus, 0x0, &v, 1, false));
	ck_assert_int_eq(io_bus_move(&bus, ia, 0x200, 0x40), 0);
	ck_assert(io_bus_access(&bus, 0x23f, &v, 1, false));
	ck_assert_uint_eq(v, 0x22);
	ck_assert_uint_eq(a.off, 0x3f);
	/* Crossing its end: nobody. */
	v = 0;
	ck_assert(!io_bus_access(&bus, 0x23f, &v, 2, false));
	ck_assert_uint_eq(v, 0xffff);
	/* Over a fixed range: the fixed one answers; around it the movable one. */
	ck_assert_int_eq(io_bus_move(&bus, ia, 0xf0, 0x40), 0);
	v = 0;
	ck_assert(io_bus_access(&bus, 0x104, &v, 1, false));
	ck_assert_uint_eq(v, 0x11);
	ck_assert(io_bus_access(&bus, 0x110, &v, 1, false));
	ck_assert_uint_eq(v, 0x22);
	ck_assert_uint_eq(a.off, 0x20);
	/* Two movable ranges overlapping: the lower id answers. */
	ck_assert_int_eq(io_bus_move(&bus, ib, 0x120, 0x40), 0);
	ck_assert(io_bus_access(&bus, 0x128, &v, 1, false));
	ck_assert_uint_eq(v, 0x22);
	ck_assert(io_bus_access(&bus, 0x140, &v, 1, false));
	ck_assert_uint_eq(v, 0x33);
	v = 0x5a;
	ck_assert(io_bus_access(&bus, 0x150, &v, 1, true));
	ck_assert_uint_eq(b.writes, 1);
	ck_assert_uint_eq(b.off, 0x30);
	ck_assert_uint_eq(b.val, 0x5a);
	/* Unmapping; bad ids and wrapping ranges are refused. */
	ck_assert_int_eq(io_bus_move(&bus, ib, 0, 0), 0);
	ck_assert(!io_bus_access(&bus, 0x150, &v, 1, false));
	ck_assert_int_eq(io_bus_move(&bus, 2, 0x300, 4), -EINVAL);
	ck_assert_int_eq(io_bus_move(&bus, -1, 0x300, 4), -EINVAL);
	ck_assert_int_eq(io_bus_move(&bus, ia, ~0ull, 2), -EINVAL);
	for (unsigned i = 2; i < IO_BUS_MOVABLE_MAX; i++)
		ck_assert_int_eq(io_bus_add_movable(&bus, &fake_ops, &a, "more"), (int)i);
	ck_assert_int_eq(io_bus_add_movable(&bus, &fake_ops, &a, "one too many"), -ENOSPC);
	/* The fixed table is what io_bus_find searches. */
	ck_assert_ptr_null(io_bus_find(&bus, 0x110, 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("register");

	tcase_add_test(tc, register_sorted);
	tcase_add_test(tc, register_overlap);
	tcase_add_test(tc, register_bad_ranges);
	tcase_add_test(tc, register_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("find");
	tcase_add_test(tc, find_edges);
	tcase_add_test(tc, find_straddle_near_top);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_test(tc, access_dispatch);
	tcase_add_test(tc, access_dispatch_two_devices);
	tcase_add_test(tc, access_unclaimed);
	tcase_add_test(tc, access_bad_size);
	tcase_add_test(tc, access_null_ops);
	tcase_add_test(tc, movable_ranges);
	suite_add_tcase(s, tc);

	return test_main(s);
}
