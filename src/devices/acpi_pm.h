/* SPDX-License-Identifier: MIT */
/*
 * ACPI fixed-hardware power management registers: the PM1a event block (status
 * and enable), the PM1a control block and the 32-bit PM timer, laid out at the
 * offsets below, which acpi.c writes into the FADT.
 *
 * The platform is always in ACPI mode (SCI_EN reads 1). The only event source is
 * the fixed-feature power button; the SCI is a level-triggered line that is high
 * while an enabled status bit is set. Writing SLP_EN with the \_S5 sleep type
 * powers the machine off; other sleep states are not supported.
 *
 * Register accesses come from vCPU threads and the power button from the event
 * loop: all state is behind one mutex, and the SCI line is driven under it so
 * that level changes reach the interrupt controller in order.
 */
#ifndef HVKVM_ACPI_PM_H
#define HVKVM_ACPI_PM_H

#include <stdint.h>

#include "io.h"
#include "platform.h"

/* Register blocks at pm_base, as the FADT describes them. */
#define ACPI_PM1_EVT_OFF	0	/* PM1a_STS (2 bytes), then PM1a_EN (2 bytes) */
#define ACPI_PM1_EVT_LEN	4
#define ACPI_PM1_CNT_OFF	4
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR_OFF		8
#define ACPI_PM_TMR_LEN		4
#define ACPI_PM_IO_LEN		12	/* the whole range to register */

/* SLP_TYP value of \_S5 in the DSDT: writing it with SLP_EN powers off. This is the
 * default; a chipset model with its own encoding sets another (acpi_pm_set_s5_type). */
#define ACPI_SLP_TYP_S5		5

#define ACPI_PM_TIMER_HZ	3579545

/* PM1 status (write 1 to clear) and enable bits */
#define ACPI_PM1_TMR_STS	(1u << 0)
#define ACPI_PM1_BM_STS		(1u << 4)
#define ACPI_PM1_GBL_STS	(1u << 5)
#define ACPI_PM1_PWRBTN_STS	(1u << 8)
#define ACPI_PM1_SLPBTN_STS	(1u << 9)
#define ACPI_PM1_RTC_STS	(1u << 10)
#define ACPI_PM1_WAK_STS	(1u << 15)

#define ACPI_PM1_TMR_EN		(1u << 0)
#define ACPI_PM1_GBL_EN		(1u << 5)
#define ACPI_PM1_PWRBTN_EN	(1u << 8)
#define ACPI_PM1_SLPBTN_EN	(1u << 9)
#define ACPI_PM1_RTC_EN		(1u << 10)

/* PM1 control bits */
#define ACPI_PM1_SCI_EN		(1u << 0)
#define ACPI_PM1_BM_RLD		(1u << 1)
#define ACPI_PM1_GBL_RLS	(1u << 2)
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP_MASK	(7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN		(1u << 13)

struct acpi_pm;

/* NULL if out of memory. sci.gsi is the FADT's SCI_INT. */
struct acpi_pm *acpi_pm_new(struct irq_line sci, struct machine_ctl ctl);
void acpi_pm_free(struct acpi_pm *pm);

/* Register at cfg.pm_base with length ACPI_PM_IO_LEN (acpi.h); dev is the acpi_pm.
 * That fixed placement is the default; a chipset that lets the guest place the block
 * uses acpi_pm_attach_movable() instead. */
extern const struct io_ops acpi_pm_io_ops;

/*
 * Relocatable placement: a movable range of len bytes (>= ACPI_PM_IO_LEN; bytes past
 * the registers read 0 and ignore writes) on bus, unmapped until acpi_pm_set_base().
 * Call once, before the vCPUs start. -EBUSY if already attached, -EINVAL for a bad
 * len, -ENOSPC if the bus has no movable range left.
 */
int acpi_pm_attach_movable(struct acpi_pm *pm, struct io_bus *bus, unsigned len);
/* Decode the block at port base (any thread). -ENODEV if not attached movable,
 * -EINVAL if the block would pass port 0xffff. */
int acpi_pm_set_base(struct acpi_pm *pm, uint16_t base);
/* Stop decoding (the registers keep their values). No-op if not attached movable. */
void acpi_pm_disable(struct acpi_pm *pm);

/* The SLP_TYP value that powers off with SLP_EN, i.e. what the machine's DSDT names
 * \_S5 (0..7; default ACPI_SLP_TYP_S5). */
void acpi_pm_set_s5_type(struct acpi_pm *pm, unsigned typ);
/* Width of the PM timer: 32 (the default; FADT TMR_VAL_EXT set) or 24 bits. */
int acpi_pm_set_timer_bits(struct acpi_pm *pm, unsigned bits);

/* Sets PWRBTN_STS; raises the SCI if the guest enabled PWRBTN_EN. Any thread. */
void acpi_pm_press_power_button(struct acpi_pm *pm);

/* Back to power-on values, the timer restarting at 0 (guest reboot). */
void acpi_pm_reset(struct acpi_pm *pm);

/* Replace the CLOCK_MONOTONIC nanosecond clock behind the PM timer (tests).
 * The timer restarts at 0. */
typedef uint64_t acpi_pm_clock_fn(void *ctx);
void acpi_pm_set_clock(struct acpi_pm *pm, acpi_pm_clock_fn *fn, void *ctx);

#endif
