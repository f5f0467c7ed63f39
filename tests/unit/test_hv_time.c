/* SPDX-License-Identifier: MIT */
/*
 * Partition reference time (TLFS "Partition Reference Time", hv-facts.md §7): the
 * scale (10^7 << 64) / f, time 0 at the partition's start, the reference TSC page,
 * and the guest's own formula over ten simulated seconds.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv_time.h"
#include "testutil.h"

#define REF_HZ		10000000ull

static const uint64_t freqs[] = {
	1000000000ull,		/* 1 GHz */
	2596118000ull,		/* 2.596118 GHz */
	3000000000ull,		/* 3 GHz */
	10000001ull,		/* just above the limit */
	4999999999ull,
};

#define NFREQS (sizeof(freqs) / sizeof(freqs[0]))

static uint64_t expected_scale(uint64_t f)
{
	return (uint64_t)(((unsigned __int128)REF_HZ << 64) / f);
}

/* What the guest computes from the page: ((tsc * scale) >> 64) + offset. */
static uint64_t guest_read(const struct hv_reference_tsc_page *p, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * p->tsc_scale) >> 64) + (uint64_t)p->tsc_offset;
}

/* CLOCK_MONOTONIC in ns */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

START_TEST(init_rejects_slow_tsc)
{
	struct hv_clock c;

	ck_assert_int_eq(hv_clock_init(&c, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(hv_clock_init(&c, 1000000, 0, 0), -EINVAL);
	ck_assert_int_eq(hv_clock_init(&c, 10000000, 0, 0), -EINVAL);
	ck_assert_int_eq(hv_clock_init(&c, 10000001, 0, 0), 0);
	ck_assert_int_eq(hv_clock_init(&c, 1000000000, 0, 0), 0);
}
END_TEST

START_TEST(scale_values)
{
	struct hv_clock c;

	ck_assert_int_eq(hv_clock_init(&c, 1000000000ull, 0, 0), 0);
	ck_assert_uint_eq(c.scale, 184467440737095516ull);	/* 2^64 / 100 */
	ck_assert_uint_eq(c.tsc_hz, 1000000000ull);
	ck_assert_int_eq(hv_clock_init(&c, 3000000000ull, 0, 0), 0);
	ck_assert_uint_eq(c.scale, 61489146912365172ull);	/* 2^64 / 300 */
	for (size_t i = 0; i < NFREQS; i++) {
		ck_assert_int_eq(hv_clock_init(&c, freqs[i], 0, 12345), 0);
		ck_assert_uint_eq(c.scale, expected_scale(freqs[i]));
		ck_assert_uint_eq(c.tsc_hz, freqs[i]);
	}
}
END_TEST

START_TEST(zero_at_start)
{
	static const uint64_t starts[] = { 0, 1, 12345, 1000000000000ull, 0x123456789abcdefull,
					   0x8000000000000123ull, 0xfffffff000000000ull };
	struct hv_clock c;

	for (size_t i = 0; i < NFREQS; i++) {
		for (size_t j = 0; j < sizeof(starts) / sizeof(starts[0]); j++) {
			ck_assert_int_eq(hv_clock_init(&c, freqs[i], 0, starts[j]), 0);
			ck_assert_msg(hv_clock_from_guest_tsc(&c, starts[j]) == 0,
				      "f %llu start 0x%llx: time %llu", (unsigned long long)freqs[i],
				      (unsigned long long)starts[j],
				      (unsigned long long)hv_clock_from_guest_tsc(&c, starts[j]));
			/* One second of TSC later: 10^7 ticks. */
			ck_assert_uint_le(absdiff(hv_clock_from_guest_tsc(&c, starts[j] + freqs[i]), REF_HZ), 1);
		}
	}
}
END_TEST

START_TEST(host_tsc_offset)
{
	struct hv_clock c;
	const int64_t off = -5000000000ll;
	const uint64_t host = 80000000000ull;

	ck_assert_int_eq(hv_clock_init(&c, 2000000000ull, off, host + (uint64_t)off), 0);
	ck_assert_int_eq(c.tsc_offset, off);
	ck_assert_uint_eq(hv_clock_from_host_tsc(&c, host), 0);
	ck_assert_uint_eq(hv_clock_from_host_tsc(&c, host + 2000000000ull),
			  hv_clock_from_guest_tsc(&c, host + (uint64_t)off + 2000000000ull));
	ck_assert_uint_le(absdiff(hv_clock_from_host_tsc(&c, host + 2000000000ull), REF_HZ), 1);
}
END_TEST

START_TEST(now_runs)
{
	struct hv_clock c;
	uint64_t a, b;

	/* Whatever the real TSC rate, "now" starts near 0 and does not go back. */
	ck_assert_int_eq(hv_clock_init(&c, 1000000000ull, 0, hv_rdtsc()), 0);
	a = hv_clock_now(&c);
	usleep(1000);
	b = hv_clock_now(&c);
	ck_assert_uint_lt(a, 10000000ull);	/* < 1 s at any plausible rate */
	ck_assert_uint_gt(b, a);
}
END_TEST

START_TEST(fill_page)
{
	struct hv_clock c;
	struct hv_reference_tsc_page p;

	ck_assert_int_eq(hv_clock_init(&c, 2596118000ull, 0, 0x1234567890ull), 0);
	memset(&p, 0xa5, sizeof(p));
	hv_clock_fill_page(&c, 7, &p);
	ck_assert_uint_eq(p.tsc_sequence, 7);
	ck_assert_uint_eq(p.tsc_scale, c.scale);
	ck_assert_int_eq(p.tsc_offset, c.offset);
	ck_assert_int_lt(p.tsc_offset, 0);

	memset(&p, 0xa5, sizeof(p));
	hv_clock_fill_page(&c, 0, &p);
	ck_assert_uint_ne(p.tsc_sequence, 0);	/* 0 means "invalid, use the MSR" */
	ck_assert_uint_eq(p.tsc_scale, c.scale);
	ck_assert_int_eq(p.tsc_offset, c.offset);

	hv_clock_fill_page(&c, 0xffffffffu, &p);
	ck_assert_uint_ne(p.tsc_sequence, 0);
}
END_TEST

/* Ten simulated seconds in 10,000 steps: the page gives the same time as hvkvm's own
 * clock (which is what TIME_REF_COUNT and the stimers use), and the true elapsed time. */
START_TEST(guest_formula_matches)
{
	const uint64_t start = 0x2468ace0135ull;

	for (size_t i = 0; i < NFREQS; i++) {
		const uint64_t f = freqs[i];
		struct hv_clock c;
		struct hv_reference_tsc_page p;
		uint64_t prev = 0;

		ck_assert_int_eq(hv_clock_init(&c, f, 0, start), 0);
		hv_clock_fill_page(&c, 1, &p);
		for (unsigned step = 0; step <= 10000; step++) {
			/* t = step ms, plus an odd fraction so steps are not round numbers */
			uint64_t dt = (uint64_t)(((unsigned __int128)f * step) / 1000) + step * 7;
			uint64_t tsc = start + dt;
			uint64_t g = guest_read(&p, tsc);
			uint64_t h = hv_clock_from_guest_tsc(&c, tsc);
			uint64_t ideal = (uint64_t)(((unsigned __int128)dt * REF_HZ) / f);

			ck_assert_msg(absdiff(g, h) <= 10, "f %llu step %u: page %llu, clock %llu",
				      (unsigned long long)f, step, (unsigned long long)g, (unsigned long long)h);
			ck_assert_msg(absdiff(h, ideal) <= 10, "f %llu step %u: clock %llu, true %llu",
				      (unsigned long long)f, step, (unsigned long long)h,
				      (unsigned long long)ideal);
			ck_assert_msg(h >= prev, "f %llu step %u: went back", (unsigned long long)f, step);
			prev = h;
		}
		ck_assert_uint_ge(prev, 10 * REF_HZ);
	}
}
END_TEST

START_TEST(monotonic)
{
	struct hv_clock c;
	uint64_t prev;

	ck_assert_int_eq(hv_clock_init(&c, 2596118000ull, 0, 1000), 0);
	prev = hv_clock_from_guest_tsc(&c, 1000);
	for (uint64_t tsc = 1001; tsc < 1000 + 2000000; tsc += 3) {
		uint64_t t = hv_clock_from_guest_tsc(&c, tsc);

		ck_assert_uint_ge(t, prev);
		ck_assert_uint_le(t - prev, 1);	/* 3 cycles < 100 ns */
		prev = t;
	}
	/* Near the top of the 64-bit TSC range, time still only grows. */
	ck_assert_int_eq(hv_clock_init(&c, 3000000000ull, 0, 0xffffffff00000000ull), 0);
	prev = 0;
	for (uint64_t tsc = 0xffffffff00000000ull; tsc < 0xffffffff00000000ull + 300000000ull; tsc += 999983) {
		uint64_t t = hv_clock_from_guest_tsc(&c, tsc);

		ck_assert_uint_ge(t, prev);
		prev = t;
	}
}
END_TEST

START_TEST(ns_until)
{
	ck_assert_uint_eq(hv_clock_ns_until(100, 150), 5000);
	ck_assert_uint_eq(hv_clock_ns_until(100, 101), 100);
	ck_assert_uint_eq(hv_clock_ns_until(100, 100), 0);
	ck_assert_uint_eq(hv_clock_ns_until(150, 100), 0);
	ck_assert_uint_eq(hv_clock_ns_until(10000000, 0), 0);
	ck_assert_uint_eq(hv_clock_ns_until(0, 10000000), 1000000000ull);
	/* Reference time counts from 0 at partition start and would need 58,000 years to
	 * wrap: a smaller deadline is in the past, a larger one in the future, however far. */
	ck_assert_uint_eq(hv_clock_ns_until(0xfffffffffffffffbull, 6), 0);
	ck_assert_uint_eq(hv_clock_ns_until(6, 0xfffffffffffffffbull), UINT64_MAX);
}
END_TEST

/*
 * A deadline further away than 2^64 ns must not come out as a short wait (or as
 * "due"): the wait is at least what fits in 64 bits. The stimers arm their
 * timerfds with this value, and a guest chooses the deadline.
 */
START_TEST(ns_until_far_deadline)
{
	static const uint64_t far[] = {
		184467440737095517ull,		/* just over 2^64 / 100 ticks */
		1ull << 60,
		1ull << 62,
		(1ull << 63) - 1,
	};

	for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		uint64_t ns = hv_clock_ns_until(1000, 1000 + far[i]);

		ck_assert_msg(ns >= 184467440737095516ull * 100,
			      "deadline %llu ticks away: wait %llu ns", (unsigned long long)far[i],
			      (unsigned long long)ns);
	}
	/* and the largest exact value still works */
	ck_assert_uint_eq(hv_clock_ns_until(0, 184467440737095516ull), 18446744073709551600ull);
}
END_TEST

/* A paused VM: reference time stands still, then goes on from where it stood, and
 * the page the guest reads agrees with the host's "now" afterwards. */
START_TEST(stop_and_restart)
{
	struct hv_clock c;
	struct hv_reference_tsc_page p;
	const int64_t off = 123456789;
	uint64_t before, held, after, guest, t0, t1;

	ck_assert_int_eq(hv_clock_init(&c, 1000000000ull, off, hv_rdtsc() + (uint64_t)off), 0);
	usleep(2000);
	before = hv_clock_now(&c);
	hv_clock_stop(&c);
	held = hv_clock_now(&c);
	ck_assert_uint_ge(held, before);
	usleep(50000);
	ck_assert_uint_eq(hv_clock_now(&c), held);
	hv_clock_stop(&c);			/* twice is once */
	ck_assert_uint_eq(hv_clock_now(&c), held);
	t0 = mono_ns();
	hv_clock_restart(&c);
	after = hv_clock_now(&c);
	/* The 50 ms pause would be 500000 units of 100 ns: the clock may only have moved
	 * by what passed since the restart began (+ 10 ms), however loaded the machine. */
	ck_assert_uint_ge(after, held);
	ck_assert_msg(after - held < (mono_ns() - t0) / 100 + 100000,
		      "reference time jumped by %llu over the pause", (unsigned long long)(after - held));
	hv_clock_fill_page(&c, 7, &p);
	guest = guest_read(&p, hv_rdtsc() + (uint64_t)off);
	t1 = mono_ns();
	ck_assert_uint_ge(guest, after);
	ck_assert_uint_lt(guest - after, (t1 - t0) / 100 + 100000);
	usleep(1000);
	ck_assert_uint_gt(hv_clock_now(&c), after);	/* and it runs again */
	hv_clock_restart(&c);			/* restarting a running clock does nothing */
	ck_assert_uint_lt(hv_clock_now(&c) - after, 10000000);
}
END_TEST

static Suite *hv_time_suite(void)
{
	Suite *s = suite_create("hv_time");
	TCase *tc = tcase_create("clock");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, init_rejects_slow_tsc);
	tcase_add_test(tc, scale_values);
	tcase_add_test(tc, zero_at_start);
	tcase_add_test(tc, host_tsc_offset);
	tcase_add_test(tc, now_runs);
	tcase_add_test(tc, fill_page);
	tcase_add_test(tc, guest_formula_matches);
	tcase_add_test(tc, monotonic);
	tcase_add_test(tc, ns_until);
	tcase_add_test(tc, ns_until_far_deadline);
	tcase_add_test(tc, stop_and_restart);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(hv_time_suite());
}
