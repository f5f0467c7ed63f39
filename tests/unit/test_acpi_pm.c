/* SPDX-License-Identifier: MIT */
/* ACPI PM1 event/control blocks and PM timer, driven through the port bus. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acpi.h"
#include "acpi_pm.h"
#include "io.h"
#include "platform.h"
#include "testutil.h"

#define PM_BASE		0x600
#define PM1_STS		(PM_BASE + ACPI_PM1_EVT_OFF)
#define PM1_EN		(PM_BASE + ACPI_PM1_EVT_OFF + 2)
#define PM1_CNT		(PM_BASE + ACPI_PM1_CNT_OFF)
#define PM_TMR		(PM_BASE + ACPI_PM_TMR_OFF)
#define SCI_GSI		9

static struct {
	int level;
	unsigned changes;
	unsigned gsi;
} sci;

static struct {
	unsigned poweroffs, others;
} machine;

static uint64_t fake_now;

static struct io_bus bus;
static struct acpi_pm *pm;

static void sci_set_level(void *ctx, unsigned gsi, int level)
{
	ck_assert_ptr_eq(ctx, &sci);
	sci.gsi = gsi;
	sci.level = level;
	sci.changes++;
}

static void machine_event(void *ctx, enum machine_event ev)
{
	ck_assert_ptr_eq(ctx, &machine);
	if (ev == MACHINE_POWEROFF)
		machine.poweroffs++;
	else
		machine.others++;
}

static uint64_t fake_clock(void *ctx)
{
	ck_assert_ptr_eq(ctx, &fake_now);
	return fake_now;
}

static void setup(void)
{
	struct irq_line line = { sci_set_level, &sci, SCI_GSI };
	struct machine_ctl ctl = { machine_event, &machine };

	memset(&sci, 0, sizeof(sci));
	memset(&machine, 0, sizeof(machine));
	fake_now = 1000000000ull * 3600;	/* the host has been up an hour */
	pm = acpi_pm_new(line, ctl);
	ck_assert_ptr_nonnull(pm);
	acpi_pm_set_clock(pm, fake_clock, &fake_now);
	io_bus_init(&bus, "port");
	ck_assert_int_eq(io_bus_register(&bus, PM_BASE, ACPI_PM_IO_LEN, &acpi_pm_io_ops, pm,
					 "acpi-pm"), 0);
}

static void teardown(void)
{
	acpi_pm_free(pm);
}

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	ck_assert(io_bus_access(&bus, port, &v, size, false));
	return v;
}

static void out(uint16_t port, uint32_t v, unsigned size)
{
	ck_assert(io_bus_access(&bus, port, &v, size, true));
}

#define inb(p)		in((p), 1)
#define inw(p)		in((p), 2)
#define inl(p)		in((p), 4)
#define outb(p, v)	out((p), (v), 1)
#define outw(p, v)	out((p), (v), 2)
#define outl(p, v)	out((p), (v), 4)

#define SLP(typ)	((uint32_t)(typ) << ACPI_PM1_SLP_TYP_SHIFT)

START_TEST(test_sci_en_reads_one)
{
	ck_assert_uint_eq(inw(PM1_CNT), ACPI_PM1_SCI_EN);
	/* The OS may try to leave ACPI mode; it cannot. */
	outw(PM1_CNT, 0);
	ck_assert_uint_eq(inw(PM1_CNT) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
	ck_assert_uint_eq(inb(PM1_CNT), ACPI_PM1_SCI_EN);
}
END_TEST

START_TEST(test_poweroff)
{
	outw(PM1_CNT, SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN | ACPI_PM1_SCI_EN);
	ck_assert_uint_eq(machine.poweroffs, 1);
	ck_assert_uint_eq(machine.others, 0);
	/* SLP_EN is write-only; SLP_TYP is kept. */
	ck_assert_uint_eq(inw(PM1_CNT), SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SCI_EN);
}
END_TEST

START_TEST(test_poweroff_two_steps)
{
	/* SLP_TYP first, then SLP_EN with a byte write to the high half. */
	outw(PM1_CNT, SLP(ACPI_SLP_TYP_S5));
	ck_assert_uint_eq(machine.poweroffs, 0);
	outb(PM1_CNT + 1, (ACPI_PM1_SLP_EN | SLP(ACPI_SLP_TYP_S5)) >> 8);
	ck_assert_uint_eq(machine.poweroffs, 1);
	/* A dword write covering PM1_CNT works too. */
	outl(PM1_CNT, SLP(ACPI_SLP_TYP_S5) | ACPI_PM1_SLP_EN);
	ck_assert_uint_eq(machine.poweroffs, 2);
}
END_TEST

START_TEST(test_other_sleep_types_ignored)
{
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == ACPI_SLP_TYP_S5)
			continue;
		outw(PM1_CNT, SLP(typ) | ACPI_PM1_SLP_EN);
		outw(PM1_CNT, SLP(typ) | ACPI_PM1_SLP_EN);	/* logged once, still ignored */
		ck_assert_uint_eq(inw(PM1_CNT), SLP(typ) | ACPI_PM1_SCI_EN);
	}
	/* S5 without SLP_EN does nothing either. */
	outw(PM1_CNT, SLP(ACPI_SLP_TYP_S5));
	ck_assert_uint_eq(machine.poweroffs, 0);
	ck_assert_uint_eq(machine.others, 0);
}
END_TEST

START_TEST(test_status_write_one_to_clear)
{
	acpi_pm_press_power_button(pm);
	ck_assert_uint_eq(inw(PM1_STS), ACPI_PM1_PWRBTN_STS);
	outw(PM1_STS, 0);				/* zeros change nothing */
	outw(PM1_STS, ~ACPI_PM1_PWRBTN_STS & 0xffff);	/* nor do other ones */
	ck_assert_uint_eq(inw(PM1_STS), ACPI_PM1_PWRBTN_STS);
	outw(PM1_STS, ACPI_PM1_PWRBTN_STS);
	ck_assert_uint_eq(inw(PM1_STS), 0);

	/* By byte: only the high byte holds PWRBTN_STS. */
	acpi_pm_press_power_button(pm);
	outb(PM1_STS, 0xff);
	ck_assert_uint_eq(inw(PM1_STS), ACPI_PM1_PWRBTN_STS);
	ck_assert_uint_eq(inb(PM1_STS + 1), ACPI_PM1_PWRBTN_STS >> 8);
	outb(PM1_STS + 1, ACPI_PM1_PWRBTN_STS >> 8);
	ck_assert_uint_eq(inw(PM1_STS), 0);
}
END_TEST

START_TEST(test_enable_register)
{
	outw(PM1_EN, 0xffff);
	ck_assert_uint_eq(inw(PM1_EN), ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN |
				       ACPI_PM1_SLPBTN_EN | ACPI_PM1_RTC_EN | (1u << 14));
	outb(PM1_EN + 1, 0);
	ck_assert_uint_eq(inw(PM1_EN), ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN);
	outb(PM1_EN, 0);
	ck_assert_uint_eq(inw(PM1_EN), 0);
	/* Writing enable never touches status, and vice versa. */
	acpi_pm_press_power_button(pm);
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN);
	ck_assert_uint_eq(inw(PM1_STS), ACPI_PM1_PWRBTN_STS);
	outw(PM1_STS, ACPI_PM1_PWRBTN_STS);
	ck_assert_uint_eq(inw(PM1_EN), ACPI_PM1_PWRBTN_EN);
}
END_TEST

START_TEST(test_sci_follows_status_and_enable)
{
	/* Pressed while disabled: status only. */
	acpi_pm_press_power_button(pm);
	ck_assert_int_eq(sci.level, 0);
	ck_assert_uint_eq(sci.changes, 0);
	/* Enabling with the status pending raises the SCI. */
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN);
	ck_assert_int_eq(sci.level, 1);
	ck_assert_uint_eq(sci.gsi, SCI_GSI);
	/* Level-triggered: stays up, no repeated edges, until cleared. */
	acpi_pm_press_power_button(pm);
	ck_assert_uint_eq(sci.changes, 1);
	outw(PM1_STS, ACPI_PM1_PWRBTN_STS);
	ck_assert_int_eq(sci.level, 0);
	ck_assert_uint_eq(sci.changes, 2);

	acpi_pm_press_power_button(pm);
	ck_assert_int_eq(sci.level, 1);
	/* Disabling also drops it; re-enabling raises it again. */
	outw(PM1_EN, 0);
	ck_assert_int_eq(sci.level, 0);
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN);
	ck_assert_int_eq(sci.level, 1);
	/* Clearing some other status bit leaves it up. */
	outw(PM1_STS, ACPI_PM1_TMR_STS);
	ck_assert_int_eq(sci.level, 1);
	ck_assert_uint_eq(sci.changes, 5);
}
END_TEST

START_TEST(test_wide_and_unaligned_access)
{
	acpi_pm_press_power_button(pm);
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN | ACPI_PM1_GBL_EN);
	/* One dword covers status (low) and enable (high). */
	ck_assert_uint_eq(inl(PM1_STS), ACPI_PM1_PWRBTN_STS |
					(uint32_t)(ACPI_PM1_PWRBTN_EN | ACPI_PM1_GBL_EN) << 16);
	/* A word straddling them: status high byte, enable low byte. */
	ck_assert_uint_eq(inw(PM1_STS + 1), (ACPI_PM1_PWRBTN_STS >> 8) | ACPI_PM1_GBL_EN << 8);
	/* A dword write clears status and sets enable at once. */
	outl(PM1_STS, ACPI_PM1_PWRBTN_STS | (uint32_t)ACPI_PM1_RTC_EN << 16);
	ck_assert_uint_eq(inw(PM1_STS), 0);
	ck_assert_uint_eq(inw(PM1_EN), ACPI_PM1_RTC_EN);
	ck_assert_int_eq(sci.level, 0);
	/* The reserved bytes read 0 and ignore writes; so does the timer. */
	outw(PM1_CNT + 2, 0xffff);
	ck_assert_uint_eq(inw(PM1_CNT + 2), 0);
	ck_assert_uint_eq(inl(PM1_CNT), ACPI_PM1_SCI_EN);
	fake_now += 1000;
	uint32_t t = inl(PM_TMR);
	outl(PM_TMR, 0);
	ck_assert_uint_eq(inl(PM_TMR), t);
	/* Nothing registered beyond the block. */
	ck_assert(!io_bus_access(&bus, PM_BASE + ACPI_PM_IO_LEN, &t, 1, false));
}
END_TEST

/* The first nanosecond at which the counter has made 2^32 ticks. */
#define TIMER_WRAP_NS	1199864031882ull

/* floor(ns * 3579545 / 1e9) mod 2^32, computed the obvious way. */
static uint32_t ticks(uint64_t ns)
{
	return (uint32_t)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / 1000000000u);
}

START_TEST(test_timer_rate)
{
	uint64_t start = fake_now;

	ck_assert_uint_eq(inl(PM_TMR), 0);
	fake_now = start + 1000000000ull;
	ck_assert_uint_eq(inl(PM_TMR), ACPI_PM_TIMER_HZ);
	fake_now = start + 279;		/* one tick is 279.37 ns */
	ck_assert_uint_eq(inl(PM_TMR), 0);
	fake_now = start + 280;
	ck_assert_uint_eq(inl(PM_TMR), 1);
	/* 32 bits wrap after 2^32 ticks, just under 20 minutes. */
	fake_now = start + TIMER_WRAP_NS - 1;
	ck_assert_uint_eq(inl(PM_TMR), 0xffffffff);
	fake_now = start + TIMER_WRAP_NS;
	ck_assert_uint_eq(inl(PM_TMR), 0);
	/* No overflow after years of uptime. */
	fake_now = start + 1000000000ull * 86400 * 365 * 30;
	ck_assert_uint_eq(inl(PM_TMR), ticks(1000000000ull * 86400 * 365 * 30));
	/* Bytes and words read the same counter. */
	fake_now = start + 123456789012ull;
	uint32_t v = ticks(123456789012ull);
	ck_assert_uint_eq(inb(PM_TMR) | inb(PM_TMR + 1) << 8 | inb(PM_TMR + 2) << 16 |
			  (uint32_t)inb(PM_TMR + 3) << 24, v);
	ck_assert_uint_eq(inw(PM_TMR) | (uint32_t)inw(PM_TMR + 2) << 16, v);
}
END_TEST

START_TEST(test_timer_monotonic)
{
	uint64_t start = fake_now, elapsed = TIMER_WRAP_NS - 5000000000ull;
	uint32_t prev;

	/* Run across the wrap-around. */
	fake_now = start + elapsed;
	prev = inl(PM_TMR);

	srand(1);
	for (int i = 0; i < 200000; i++) {
		uint32_t now;

		elapsed += (uint64_t)(rand() % 100000);
		fake_now = start + elapsed;
		now = inl(PM_TMR);
		ck_assert_uint_eq(now, ticks(elapsed));
		/* Never backwards: modulo 2^32 the step is small and non-negative. */
		ck_assert_uint_le((uint32_t)(now - prev), 100000);
		prev = now;
	}
	ck_assert_uint_gt(elapsed, TIMER_WRAP_NS);
}
END_TEST

START_TEST(test_timer_real_clock)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };
	uint32_t a, b;

	acpi_pm_set_clock(pm, NULL, NULL);	/* back to CLOCK_MONOTONIC */
	a = inl(PM_TMR);
	nanosleep(&d, NULL);
	b = inl(PM_TMR);
	/* 20 ms is 71591 ticks; allow for a slow, busy machine. */
	ck_assert_uint_ge(b - a, 71591 - 100);
	ck_assert_uint_lt(b - a, 71591 * 50);
}
END_TEST

START_TEST(test_reset)
{
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN);
	acpi_pm_press_power_button(pm);
	outw(PM1_CNT, SLP(3) | ACPI_PM1_BM_RLD);
	fake_now += 5000000000ull;
	ck_assert_int_eq(sci.level, 1);
	ck_assert_uint_ne(inl(PM_TMR), 0);

	acpi_pm_reset(pm);
	ck_assert_int_eq(sci.level, 0);
	ck_assert_uint_eq(inw(PM1_STS), 0);
	ck_assert_uint_eq(inw(PM1_EN), 0);
	ck_assert_uint_eq(inw(PM1_CNT), ACPI_PM1_SCI_EN);
	ck_assert_uint_eq(inl(PM_TMR), 0);
	fake_now += 1000000000ull;
	ck_assert_uint_eq(inl(PM_TMR), ACPI_PM_TIMER_HZ);
	/* And it works as before. */
	acpi_pm_press_power_button(pm);
	ck_assert_int_eq(sci.level, 0);
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN);
	ck_assert_int_eq(sci.level, 1);
}
END_TEST

static void *presser(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++)
		acpi_pm_press_power_button(pm);
	return NULL;
}

START_TEST(test_concurrent_access)
{
	pthread_t th;

	/* The loop thread presses while a vCPU acknowledges: the line must end
	 * up matching the registers, whatever the interleaving. */
	outw(PM1_EN, ACPI_PM1_PWRBTN_EN);
	ck_assert_int_eq(pthread_create(&th, NULL, presser, NULL), 0);
	for (int i = 0; i < 20000; i++) {
		if (inw(PM1_STS) & ACPI_PM1_PWRBTN_STS)
			outw(PM1_STS, ACPI_PM1_PWRBTN_STS);
	}
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(sci.level, (inw(PM1_STS) & inw(PM1_EN)) != 0);
	outw(PM1_STS, 0xffff);
	ck_assert_int_eq(sci.level, 0);
}
END_TEST

static Suite *acpi_pm_suite(void)
{
	Suite *s = suite_create("acpi_pm");
	TCase *tc = tcase_create("registers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sci_en_reads_one);
	tcase_add_test(tc, test_poweroff);
	tcase_add_test(tc, test_poweroff_two_steps);
	tcase_add_test(tc, test_other_sleep_types_ignored);
	tcase_add_test(tc, test_status_write_one_to_clear);
	tcase_add_test(tc, test_enable_register);
	tcase_add_test(tc, test_sci_follows_status_and_enable);
	tcase_add_test(tc, test_wide_and_unaligned_access);
	tcase_add_test(tc, test_timer_rate);
	tcase_add_test(tc, test_timer_monotonic);
	tcase_add_test(tc, test_timer_real_clock);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_concurrent_access);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(acpi_pm_suite());
}
