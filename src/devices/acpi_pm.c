/* SPDX-License-Identifier: MIT */
/*
 * ACPI PM1a event/control blocks and PM timer (ACPI 6.0, section 4.8).
 */
#include "acpi_pm.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Enable bits the guest can set; the rest read as 0. Bit 14 is PCIEXP_WAKE_DIS. */
#define PM1_EN_WRITABLE	(ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | \
			 ACPI_PM1_SLPBTN_EN | ACPI_PM1_RTC_EN | (1u << 14))
/* Control bits that are stored; SLP_EN and GBL_RLS are write-only actions. */
#define PM1_CNT_STORED	(ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP_MASK)

#define NSEC_PER_SEC	1000000000ull

struct acpi_pm {
	struct irq_line sci;
	struct machine_ctl ctl;

	pthread_mutex_t lock;	/* guards everything below */
	uint16_t sts, en, cnt;
	int sci_level;		/* last level driven onto the SCI line */
	acpi_pm_clock_fn *clock;
	void *clock_ctx;
	uint64_t epoch_ns;	/* clock value at which the timer read 0 */
	struct log_ratelimit sleep_rl;	/* sleep types other than S5 */
	unsigned s5_type;	/* set up before the vCPUs start */
	uint32_t timer_mask;	/* likewise */

	/* Movable placement, set up before the vCPUs start; the bus locks the move. */
	struct io_bus *bus;
	int mov_id;
	unsigned mov_len;
};

static uint64_t acpi_pm_monotonic_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Called with the lock held. */
static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_line_set(&pm->sci, level);
	}
}

/* Called with the lock held. */
static uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
	uint64_t ns = pm->clock(pm->clock_ctx) - pm->epoch_ns;
	uint64_t sec = ns / NSEC_PER_SEC, rem = ns % NSEC_PER_SEC;

	/* floor(ns * HZ / 1e9) without overflowing 64 bits, hence monotonic. */
	return (uint32_t)(sec * ACPI_PM_TIMER_HZ + rem * ACPI_PM_TIMER_HZ / NSEC_PER_SEC) &
	       pm->timer_mask;
}

/* Called with the lock held. */
static void acpi_pm_reset_locked(struct acpi_pm *pm)
{
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = 0;
	pm->epoch_ns = pm->clock(pm->clock_ctx);
	acpi_pm_update_sci(pm);
}

struct acpi_pm *acpi_pm_new(struct irq_line sci, struct machine_ctl ctl)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pm->sci = sci;
	pm->ctl = ctl;
	pm->clock = acpi_pm_monotonic_ns;
	pm->s5_type = ACPI_SLP_TYP_S5;
	pm->timer_mask = 0xffffffffu;
	pm->mov_id = -1;
	pthread_mutex_init(&pm->lock, NULL);
	pm->epoch_ns = pm->clock(pm->clock_ctx);
	return pm;
}

void acpi_pm_free(struct acpi_pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

void acpi_pm_set_clock(struct acpi_pm *pm, acpi_pm_clock_fn *fn, void *ctx)
{
	pthread_mutex_lock(&pm->lock);
	pm->clock = fn ? fn : acpi_pm_monotonic_ns;
	pm->clock_ctx = fn ? ctx : NULL;
	pm->epoch_ns = pm->clock(pm->clock_ctx);
	pthread_mutex_unlock(&pm->lock);
}

int acpi_pm_attach_movable(struct acpi_pm *pm, struct io_bus *bus, unsigned len)
{
	int id;

	if (pm->bus)
		return -EBUSY;
	if (len < ACPI_PM_IO_LEN || len > 0x10000)
		return -EINVAL;
	id = io_bus_add_movable(bus, &acpi_pm_io_ops, pm, "acpi-pm");
	if (id < 0)
		return id;
	pm->bus = bus;
	pm->mov_id = id;
	pm->mov_len = len;
	return 0;
}

int acpi_pm_set_base(struct acpi_pm *pm, uint16_t base)
{
	if (!pm->bus)
		return -ENODEV;
	if ((uint32_t)base + pm->mov_len > 0x10000)
		return -EINVAL;
	return io_bus_move(pm->bus, pm->mov_id, base, pm->mov_len);
}

void acpi_pm_disable(struct acpi_pm *pm)
{
	if (pm->bus)
		io_bus_move(pm->bus, pm->mov_id, 0, 0);
}

void acpi_pm_set_s5_type(struct acpi_pm *pm, unsigned typ)
{
	pthread_mutex_lock(&pm->lock);
	pm->s5_type = typ & 7;
	pthread_mutex_unlock(&pm->lock);
}

int acpi_pm_set_timer_bits(struct acpi_pm *pm, unsigned bits)
{
	if (bits != 24 && bits != 32)
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->timer_mask = bits == 24 ? 0xffffffu : 0xffffffffu;
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	acpi_pm_reset_locked(pm);
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_press_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN_STS;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/*
 * The block is a 12-byte register file; an access of any size at any offset
 * touches the bytes it covers, so the guest may use byte, word or dword accesses
 * (ACPICA splits PM1 event blocks into 16-bit halves, others may not).
 */
static uint64_t acpi_pm_read(void *dev, uint64_t off, unsigned size)
{
	struct acpi_pm *pm = dev;
	uint16_t cnt;
	uint32_t tmr = 0;
	uint64_t val = 0;

	pthread_mutex_lock(&pm->lock);
	cnt = pm->cnt | ACPI_PM1_SCI_EN;	/* always in ACPI mode */
	if (off < ACPI_PM_TMR_OFF + ACPI_PM_TMR_LEN && off + size > ACPI_PM_TMR_OFF)
		tmr = acpi_pm_timer(pm);
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		uint8_t b = 0;

		if (o < ACPI_PM1_EVT_OFF + 2)
			b = (uint8_t)(pm->sts >> (8 * (o - ACPI_PM1_EVT_OFF)));
		else if (o < ACPI_PM1_EVT_OFF + ACPI_PM1_EVT_LEN)
			b = (uint8_t)(pm->en >> (8 * (o - ACPI_PM1_EVT_OFF - 2)));
		else if (o >= ACPI_PM1_CNT_OFF && o < ACPI_PM1_CNT_OFF + ACPI_PM1_CNT_LEN)
			b = (uint8_t)(cnt >> (8 * (o - ACPI_PM1_CNT_OFF)));
		else if (o >= ACPI_PM_TMR_OFF && o < ACPI_PM_TMR_OFF + ACPI_PM_TMR_LEN)
			b = (uint8_t)(tmr >> (8 * (o - ACPI_PM_TMR_OFF)));
		val |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&pm->lock);
	return val;
}

/* A 16-bit register's share of an access: the bytes written and their mask. */
struct reg_write {
	uint16_t val, mask;
};

static void acpi_pm_split(struct reg_write *w, uint64_t base, uint64_t o, uint8_t b)
{
	unsigned shift = 8 * (unsigned)(o - base);

	w->val |= (uint16_t)(b << shift);
	w->mask |= (uint16_t)(0xff << shift);
}

static void acpi_pm_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct acpi_pm *pm = dev;
	struct reg_write sts = { 0, 0 }, en = { 0, 0 }, cnt = { 0, 0 };
	bool poweroff = false;

	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (o < ACPI_PM1_EVT_OFF + 2)
			acpi_pm_split(&sts, ACPI_PM1_EVT_OFF, o, b);
		else if (o < ACPI_PM1_EVT_OFF + ACPI_PM1_EVT_LEN)
			acpi_pm_split(&en, ACPI_PM1_EVT_OFF + 2, o, b);
		else if (o >= ACPI_PM1_CNT_OFF && o < ACPI_PM1_CNT_OFF + ACPI_PM1_CNT_LEN)
			acpi_pm_split(&cnt, ACPI_PM1_CNT_OFF, o, b);
		/* the timer is read-only, the gap at 6-7 is reserved */
	}

	pthread_mutex_lock(&pm->lock);
	pm->sts &= (uint16_t)~(sts.val & sts.mask);
	pm->en = (uint16_t)((pm->en & ~en.mask) | (en.val & en.mask & PM1_EN_WRITABLE));
	if (cnt.mask) {
		uint16_t v = (uint16_t)((pm->cnt & ~cnt.mask) | (cnt.val & cnt.mask));

		pm->cnt = v & PM1_CNT_STORED;
		if (v & ACPI_PM1_SLP_EN) {
			unsigned typ = (v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT;

			if (typ == pm->s5_type)
				poweroff = true;
			else
				log_warn_limited(&pm->sleep_rl,
						 "acpi_pm: guest asked for sleep type %u; only S5 (%u) is supported, ignored",
						 typ, pm->s5_type);
		}
	}
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);

	/* Outside the lock: the machine may stop vCPUs or reset devices, us too. */
	if (poweroff) {
		log_debug("guest entered S5 (soft off)");
		machine_ctl_event(&pm->ctl, MACHINE_POWEROFF);
	}
}

const struct io_ops acpi_pm_io_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};
