/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "io.h"
#include "loop.h"
#include "rtc.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS	1000000000ll
#define MS	1000000ll
#define US	1000ll

/* ---- a clock the test controls --------------------------------------------- */

static int64_t fake_base;	/* host "wall clock" at mono_base */
static int64_t mono_base;	/* 0: frozen at fake_base; else runs with CLOCK_MONOTONIC */

static int64_t fake_now(void *ctx)
{
	int64_t base = __atomic_load_n(&fake_base, __ATOMIC_SEQ_CST);
	int64_t mb = __atomic_load_n(&mono_base, __ATOMIC_SEQ_CST);

	(void)ctx;
	return mb ? base + ((int64_t)loop_now_ns() - mb) : base;
}

static void clock_set(int64_t ns)
{
	__atomic_store_n(&mono_base, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fake_base, ns, __ATOMIC_SEQ_CST);
}

static void clock_run_from(int64_t ns)
{
	__atomic_store_n(&mono_base, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fake_base, ns, __ATOMIC_SEQ_CST);
	__atomic_store_n(&mono_base, (int64_t)loop_now_ns(), __ATOMIC_SEQ_CST);
}

static int64_t utc(int y, int mon, int d, int h, int m, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = m, .tm_sec = s };

	return (int64_t)timegm(&tm) * NS;
}

/* ---- IRQ recorder ---------------------------------------------------------- */

static pthread_mutex_t irq_m = PTHREAD_MUTEX_INITIALIZER;
static int irq_level, irq_calls, irq_redundant;

static void irq_set(void *ctx, unsigned gsi, int level)
{
	(void)ctx;
	ck_assert_uint_eq(gsi, RTC_IRQ);
	pthread_mutex_lock(&irq_m);
	if (level == irq_level)
		irq_redundant++;
	irq_level = level;
	irq_calls++;
	pthread_mutex_unlock(&irq_m);
}

static int irq_get(void)
{
	int l;

	pthread_mutex_lock(&irq_m);
	l = irq_level;
	pthread_mutex_unlock(&irq_m);
	return l;
}

static const struct irq_line irq = { .set_level = irq_set, .gsi = RTC_IRQ };

/* ---- loop and device ------------------------------------------------------- */

static struct loop *loop;
static struct test_loop loop_thread;
static struct rtc *r;

static void setup(void)
{
	irq_level = irq_calls = irq_redundant = 0;
	clock_set(utc(2024, 2, 29, 13, 45, 30) + 100 * MS);	/* a Thursday */
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	loop_thread = (struct test_loop){ .loop = loop };
	r = rtc_new(loop, irq, fake_now, NULL);
	ck_assert_ptr_nonnull(r);
}

static void teardown(void)
{
	test_loop_stop(&loop_thread);
	rtc_free(r);
	loop_free(loop);
}

static uint8_t cmos_in(unsigned idx)
{
	rtc_io_ops.write(r, 0, idx, 1);
	return (uint8_t)rtc_io_ops.read(r, 1, 1);
}

static void cmos_out(unsigned idx, uint8_t v)
{
	rtc_io_ops.write(r, 0, idx, 1);
	rtc_io_ops.write(r, 1, v, 1);
}

/* ---- tests ----------------------------------------------------------------- */

START_TEST(test_read_bcd)
{
	ck_assert_uint_eq(cmos_in(0x00), 0x30);
	ck_assert_uint_eq(cmos_in(0x02), 0x45);
	ck_assert_uint_eq(cmos_in(0x04), 0x13);
	ck_assert_uint_eq(cmos_in(0x06), 0x05);	/* Thursday, Sunday = 1 */
	ck_assert_uint_eq(cmos_in(0x07), 0x29);
	ck_assert_uint_eq(cmos_in(0x08), 0x02);
	ck_assert_uint_eq(cmos_in(0x09), 0x24);
	ck_assert_uint_eq(cmos_in(RTC_CENTURY_INDEX), 0x20);
	ck_assert_uint_eq(cmos_in(0x0a), 0x26);
	ck_assert_uint_eq(cmos_in(0x0b), 0x02);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	ck_assert_uint_eq(cmos_in(0x0d), 0x80);
	/* the index port is write-only; bit 7 (NMI mask) does not change the index */
	ck_assert_uint_eq((uint8_t)rtc_io_ops.read(r, 0, 1), 0xff);
	rtc_io_ops.write(r, 0, 0x80 | 0x09, 1);
	ck_assert_uint_eq((uint8_t)rtc_io_ops.read(r, 1, 1), 0x24);
	/* C and D are read-only */
	cmos_out(0x0d, 0x00);
	ck_assert_uint_eq(cmos_in(0x0d), 0x80);
	cmos_out(0x0c, 0xff);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
}
END_TEST

START_TEST(test_read_binary)
{
	cmos_out(0x0b, 0x06);
	ck_assert_uint_eq(cmos_in(0x00), 30);
	ck_assert_uint_eq(cmos_in(0x02), 45);
	ck_assert_uint_eq(cmos_in(0x04), 13);
	ck_assert_uint_eq(cmos_in(0x06), 5);
	ck_assert_uint_eq(cmos_in(0x07), 29);
	ck_assert_uint_eq(cmos_in(0x08), 2);
	ck_assert_uint_eq(cmos_in(0x09), 24);
	ck_assert_uint_eq(cmos_in(RTC_CENTURY_INDEX), 20);
}
END_TEST

START_TEST(test_12_hour)
{
	cmos_out(0x0b, 0x00);			/* BCD, 12-hour */
	ck_assert_uint_eq(cmos_in(0x04), 0x81);	/* 1 PM */
	clock_set(utc(2024, 2, 29, 0, 15, 0));
	ck_assert_uint_eq(cmos_in(0x04), 0x12);	/* 12 AM */
	clock_set(utc(2024, 2, 29, 12, 0, 0));
	ck_assert_uint_eq(cmos_in(0x04), 0x92);	/* 12 PM */
	clock_set(utc(2024, 2, 29, 11, 59, 59));
	ck_assert_uint_eq(cmos_in(0x04), 0x11);
	cmos_out(0x0b, 0x04);			/* binary, 12-hour */
	clock_set(utc(2024, 2, 29, 23, 0, 0));
	ck_assert_uint_eq(cmos_in(0x04), 0x80 | 11);

	/* setting the time in 12-hour mode: 3 PM */
	cmos_out(0x0b, 0x80);			/* SET, BCD, 12-hour */
	cmos_out(0x04, 0x83);
	cmos_out(0x0b, 0x00);			/* run, same mode */
	ck_assert_uint_eq(cmos_in(0x04), 0x83);
	cmos_out(0x0b, 0x02);			/* 24-hour */
	ck_assert_uint_eq(cmos_in(0x04), 0x15);
}
END_TEST

START_TEST(test_century_rollover)
{
	clock_set(utc(1999, 12, 31, 23, 59, 59) + 500 * MS);
	ck_assert_uint_eq(cmos_in(RTC_CENTURY_INDEX), 0x19);
	ck_assert_uint_eq(cmos_in(0x09), 0x99);
	ck_assert_uint_eq(cmos_in(0x06), 0x06);	/* Friday */
	clock_set(utc(1999, 12, 31, 23, 59, 59) + 1500 * MS);
	ck_assert_uint_eq(cmos_in(RTC_CENTURY_INDEX), 0x20);
	ck_assert_uint_eq(cmos_in(0x09), 0x00);
	ck_assert_uint_eq(cmos_in(0x08), 0x01);
	ck_assert_uint_eq(cmos_in(0x07), 0x01);
	ck_assert_uint_eq(cmos_in(0x04), 0x00);
	ck_assert_uint_eq(cmos_in(0x06), 0x07);	/* Saturday */
}
END_TEST

/* mc146818_set_time() in Linux, register by register. */
START_TEST(test_set_time_linux)
{
	int64_t t0 = utc(2024, 2, 29, 13, 45, 30) + 300 * MS;
	uint8_t save_b, save_a;

	clock_set(t0);
	save_b = cmos_in(0x0b);
	cmos_out(0x0b, save_b | 0x80);
	save_a = cmos_in(0x0a);
	cmos_out(0x0a, save_a | 0x70);		/* RTC_DIV_RESET2 */
	cmos_out(0x09, 0x30);
	cmos_out(0x08, 0x06);
	cmos_out(0x07, 0x15);
	cmos_out(0x04, 0x08);
	cmos_out(0x02, 0x00);
	cmos_out(0x00, 0x00);
	cmos_out(RTC_CENTURY_INDEX, 0x20);

	/* frozen while SET: time passes, the registers hold what was written */
	clock_set(t0 + 5 * NS);
	ck_assert_uint_eq(cmos_in(0x00), 0x00);
	ck_assert_uint_eq(cmos_in(0x04), 0x08);
	ck_assert_uint_eq(cmos_in(0x0a) & 0x80, 0);	/* no UIP while stopped */

	cmos_out(0x0b, save_b);
	cmos_out(0x0a, save_a);	/* divider restarts: first update 500 ms later */
	ck_assert_uint_eq(cmos_in(0x00), 0x00);
	ck_assert_uint_eq(cmos_in(0x02), 0x00);
	ck_assert_uint_eq(cmos_in(0x04), 0x08);
	ck_assert_uint_eq(cmos_in(0x07), 0x15);
	ck_assert_uint_eq(cmos_in(0x08), 0x06);
	ck_assert_uint_eq(cmos_in(0x09), 0x30);
	ck_assert_uint_eq(cmos_in(0x06), 0x07);	/* 2030-06-15 is a Saturday */
	clock_set(t0 + 5 * NS + 499 * MS);
	ck_assert_uint_eq(cmos_in(0x00), 0x00);
	clock_set(t0 + 5 * NS + 501 * MS);
	ck_assert_uint_eq(cmos_in(0x00), 0x01);

	/* the offset survives a guest reset and keeps running */
	rtc_reset(r);
	clock_set(t0 + 5 * NS + 3600 * NS + 501 * MS);
	ck_assert_uint_eq(cmos_in(0x04), 0x09);
	ck_assert_uint_eq(cmos_in(0x02), 0x00);
	ck_assert_uint_eq(cmos_in(0x00), 0x01);
	ck_assert_uint_eq(cmos_in(0x09), 0x30);
}
END_TEST

/* With SET alone the divider keeps its phase. */
START_TEST(test_set_keeps_phase)
{
	int64_t t0 = utc(2024, 2, 29, 13, 45, 30) + 700 * MS;

	clock_set(t0);
	cmos_out(0x0b, 0x82);
	cmos_out(0x00, 0x10);
	cmos_out(0x0b, 0x02);
	ck_assert_uint_eq(cmos_in(0x00), 0x10);
	clock_set(t0 + 299 * MS);
	ck_assert_uint_eq(cmos_in(0x00), 0x10);
	clock_set(t0 + 301 * MS);
	ck_assert_uint_eq(cmos_in(0x00), 0x11);
	ck_assert_uint_eq(cmos_in(0x02), 0x45);

	/* a write without SET takes effect at once */
	cmos_out(0x02, 0x59);
	ck_assert_uint_eq(cmos_in(0x02), 0x59);
	ck_assert_uint_eq(cmos_in(0x00), 0x11);
	clock_set(t0 + 60 * NS + 301 * MS);
	ck_assert_uint_eq(cmos_in(0x02), 0x00);
	ck_assert_uint_eq(cmos_in(0x04), 0x14);

	/* a day of week the guest chose counts on from there */
	cmos_out(0x06, 0x02);
	ck_assert_uint_eq(cmos_in(0x06), 0x02);
	clock_set(t0 + 86400 * NS + 60 * NS + 301 * MS);
	ck_assert_uint_eq(cmos_in(0x07), 0x01);	/* March 1st */
	ck_assert_uint_eq(cmos_in(0x06), 0x03);
}
END_TEST

START_TEST(test_uip_window)
{
	int64_t s = utc(2024, 2, 29, 13, 45, 30);

	clock_set(s + NS - 200 * US);
	ck_assert_uint_eq(cmos_in(0x0a), 0x80 | 0x26);
	clock_set(s + NS - 244 * US);
	ck_assert_uint_eq(cmos_in(0x0a) & 0x80, 0x80);
	clock_set(s + NS - 245 * US);
	ck_assert_uint_eq(cmos_in(0x0a), 0x26);
	clock_set(s + NS);
	ck_assert_uint_eq(cmos_in(0x0a), 0x26);
	ck_assert_uint_eq(cmos_in(0x00), 0x31);
	clock_set(s + NS - 100 * US);
	cmos_out(0x0b, 0x82);
	ck_assert_uint_eq(cmos_in(0x0a) & 0x80, 0);
	/* UIP is read-only */
	cmos_out(0x0a, 0xa6);
	ck_assert_uint_eq(cmos_in(0x0a), 0x26);
}
END_TEST

/* Flags are set whether or not their interrupt is enabled; reading C clears them. */
START_TEST(test_reg_c_flags)
{
	int64_t s = utc(2024, 2, 29, 13, 45, 30);

	clock_set(s + 100 * MS);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	clock_set(s + NS + 100 * MS);
	ck_assert_uint_eq(cmos_in(0x0c), 0x40 | 0x10);	/* PF (1024 Hz) and UF, no IRQF */
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	ck_assert_int_eq(irq_calls, 0);

	/* enabling an interrupt whose flag is up raises IRQF and the line at once */
	clock_set(s + 2 * NS + 100 * MS);
	cmos_out(0x0b, 0x12);
	ck_assert_int_eq(irq_get(), 1);
	ck_assert_uint_eq(cmos_in(0x0c), 0x80 | 0x40 | 0x10);
	ck_assert_int_eq(irq_get(), 0);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);

	/* disabling it drops IRQF with the flag still up */
	clock_set(s + 3 * NS + 100 * MS);
	cmos_out(0x0b, 0x12);
	ck_assert_int_eq(irq_get(), 1);
	cmos_out(0x0b, 0x02);
	ck_assert_int_eq(irq_get(), 0);
	ck_assert_uint_eq(cmos_in(0x0c), 0x50);
	ck_assert_int_eq(irq_redundant, 0);
}
END_TEST

START_TEST(test_alarm_dont_care)
{
	int64_t s = utc(2024, 2, 29, 10, 20, 14) + 500 * MS;

	clock_set(s);
	cmos_out(0x01, 0x15);	/* second 15 */
	cmos_out(0x03, 0xc0);	/* any minute */
	cmos_out(0x05, 0xff);	/* any hour */
	cmos_in(0x0c);
	clock_set(s + 400 * MS);
	ck_assert_uint_eq(cmos_in(0x0c) & 0x30, 0x00);
	clock_set(s + 600 * MS);	/* 10:20:15.1 */
	ck_assert_uint_eq(cmos_in(0x0c) & 0x30, 0x30);
	clock_set(s + 1600 * MS);	/* 10:20:16.1 */
	ck_assert_uint_eq(cmos_in(0x0c) & 0x30, 0x10);
	clock_set(s + 60 * NS + 600 * MS);	/* 10:21:15.1, minutes don't care */
	ck_assert_uint_eq(cmos_in(0x0c) & 0x30, 0x30);

	/* an exact alarm, reached by a jump of several minutes */
	cmos_out(0x01, 0x00);
	cmos_out(0x03, 0x30);
	cmos_out(0x05, 0x10);
	clock_set(s + 5 * 60 * NS);
	ck_assert_uint_eq(cmos_in(0x0c) & 0x20, 0x00);
	clock_set(s + 10 * 60 * NS);	/* 10:30:14 passed 10:30:00 */
	ck_assert_uint_eq(cmos_in(0x0c) & 0x20, 0x20);
	clock_set(s + 20 * 60 * NS);
	ck_assert_uint_eq(cmos_in(0x0c) & 0x20, 0x00);
	/* a whole day later it has matched again */
	clock_set(s + 20 * 60 * NS + 86400 * NS);
	ck_assert_uint_eq(cmos_in(0x0c) & 0x20, 0x20);

	/* an impossible alarm never fires */
	cmos_out(0x01, 0x75);
	clock_set(s + 20 * 60 * NS + 3 * 86400 * NS);
	ck_assert_uint_eq(cmos_in(0x0c) & 0x20, 0x00);

	/* AIE drives the line */
	cmos_out(0x01, 0xc0);
	cmos_out(0x03, 0xc0);
	cmos_out(0x05, 0xc0);
	cmos_out(0x0b, 0x22);
	ck_assert_int_eq(irq_get(), 0);
	clock_set(s + 20 * 60 * NS + 3 * 86400 * NS + NS);
	ck_assert_uint_eq(cmos_in(0x0c), 0x80 | 0x20 | 0x10 | 0x40);
	ck_assert_int_eq(irq_redundant, 0);
}
END_TEST

START_TEST(test_periodic_rate)
{
	int64_t s = utc(2024, 2, 29, 13, 45, 30);

	/* 1024 Hz: edges every 976.5625 us from the second */
	clock_set(s);
	cmos_in(0x0c);
	clock_set(s + 900 * US);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	clock_set(s + 977 * US);
	ck_assert_uint_eq(cmos_in(0x0c), 0x40);
	clock_set(s + 1900 * US);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	clock_set(s + 1960 * US);
	ck_assert_uint_eq(cmos_in(0x0c), 0x40);

	/* 2 Hz */
	cmos_out(0x0a, 0x2f);
	clock_set(s + 100 * MS);
	cmos_in(0x0c);
	clock_set(s + 499 * MS);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	clock_set(s + 501 * MS);
	ck_assert_uint_eq(cmos_in(0x0c), 0x40);

	/* RS = 0: none */
	cmos_out(0x0a, 0x20);
	clock_set(s + 800 * MS);
	cmos_in(0x0c);
	clock_set(s + 990 * MS);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);

	/* 256 Hz for RS = 1 with a 32 kHz time base */
	cmos_out(0x0a, 0x21);
	clock_set(s + 2 * NS);
	cmos_in(0x0c);
	clock_set(s + 2 * NS + 3900 * US);
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	clock_set(s + 2 * NS + 3910 * US);
	ck_assert_uint_eq(cmos_in(0x0c), 0x40);
}
END_TEST

/* Real time: the loop timer raises IRQ 8 at the periodic rate. */
START_TEST(test_periodic_irq_live)
{
	uint64_t t0, end, ms;
	int count = 0;

	clock_run_from(utc(2024, 2, 29, 13, 45, 30));
	test_loop_start(&loop_thread);
	cmos_out(0x0a, 0x2a);	/* 64 Hz */
	cmos_in(0x0c);
	t0 = test_now_ms();
	cmos_out(0x0b, 0x42);	/* PIE */
	/* 20 interrupts (about 310 ms), however loaded the machine: at most 10 s. Late
	 * ones coalesce, but there are never more than the periods that passed. */
	end = t0 + 10000;
	while (count < 20 && test_now_ms() < end) {
		if (irq_get()) {
			uint8_t c = cmos_in(0x0c);

			ck_assert_uint_eq(c & 0xc0, 0xc0);
			count++;
		}
		usleep(100);
	}
	ms = test_now_ms() - t0;
	ck_assert_msg(count == 20, "%d periodic interrupts at 64 Hz in 10 s", count);
	ck_assert_msg(count <= (int)(ms * 64 / 1000) + 1, "%d periodic interrupts at 64 Hz in %llu ms", count,
		      (unsigned long long)ms);
	cmos_out(0x0b, 0x02);
	ck_assert_int_eq(irq_redundant, 0);
}
END_TEST

START_TEST(test_update_irq_live)
{
	uint64_t t0 = test_now_ms();
	uint8_t sec;

	clock_run_from(utc(2024, 2, 29, 13, 45, 30) + 900 * MS);
	test_loop_start(&loop_thread);
	cmos_in(0x0c);
	cmos_out(0x0b, 0x12);	/* UIE */
	ck_assert(WAIT_UNTIL(irq_get() == 1, 2000));
	ck_assert_uint_eq(cmos_in(0x0c) & 0x90, 0x90);
	ck_assert_int_eq(irq_get(), 0);
	/* The update to :31 came first; a loaded machine may read a second or more later. */
	sec = cmos_in(0x00);
	ck_assert_uint_ge(sec, 0x31);
	ck_assert_uint_le(sec, 0x31 + (test_now_ms() - t0) / 1000);

	/* alarm two seconds ahead, matching only seconds */
	cmos_out(0x0b, 0x02);
	cmos_out(0x01, 0x33);
	cmos_out(0x03, 0xff);
	cmos_out(0x05, 0xff);
	cmos_in(0x0c);
	cmos_out(0x0b, 0x22);	/* AIE */
	ck_assert_int_eq(irq_get(), 0);
	ck_assert(WAIT_UNTIL(irq_get() == 1, 4000));
	ck_assert_uint_eq(cmos_in(0x00), 0x33);
	ck_assert_uint_eq(cmos_in(0x0c) & 0xa0, 0xa0);
	ck_assert_int_eq(irq_redundant, 0);
}
END_TEST

START_TEST(test_cmos_ram_survives_reset)
{
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY_INDEX)
			cmos_out(i, (uint8_t)(i * 3 + 1));
	cmos_out(0x01, 0x12);
	cmos_out(0x0b, 0x7e);	/* all enables, SQWE, binary, 24h */
	clock_set(utc(2024, 2, 29, 13, 45, 30) + 200 * MS);
	cmos_out(0x0b, 0x7e);	/* PF is up now: IRQF */
	ck_assert_int_eq(irq_get(), 1);
	rtc_reset(r);
	ck_assert_int_eq(irq_get(), 0);
	ck_assert_uint_eq(cmos_in(0x0b), 0x06);	/* enables and SQWE cleared */
	ck_assert_uint_eq(cmos_in(0x0c), 0x00);
	ck_assert_uint_eq(cmos_in(0x01), 0x12);
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY_INDEX)
			ck_assert_uint_eq(cmos_in(i), (uint8_t)(i * 3 + 1));
	ck_assert_uint_eq(rtc_cmos_read(r, 0x0e), 0x0e * 3 + 1);
	rtc_cmos_write(r, 0x40, 0xaa);
	ck_assert_uint_eq(cmos_in(0x40), 0xaa);
	rtc_cmos_write(r, 0x00, 0xaa);	/* not RAM: ignored */
	ck_assert_uint_eq(cmos_in(0x00), 30);
}
END_TEST

static Suite *rtc_suite(void)
{
	Suite *s = suite_create("rtc");
	TCase *tc = tcase_create("rtc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_read_bcd);
	tcase_add_test(tc, test_read_binary);
	tcase_add_test(tc, test_12_hour);
	tcase_add_test(tc, test_century_rollover);
	tcase_add_test(tc, test_set_time_linux);
	tcase_add_test(tc, test_set_keeps_phase);
	tcase_add_test(tc, test_uip_window);
	tcase_add_test(tc, test_reg_c_flags);
	tcase_add_test(tc, test_alarm_dont_care);
	tcase_add_test(tc, test_periodic_rate);
	tcase_add_test(tc, test_periodic_irq_live);
	tcase_add_test(tc, test_update_irq_live);
	tcase_add_test(tc, test_cmos_ram_survives_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(rtc_suite());
}
