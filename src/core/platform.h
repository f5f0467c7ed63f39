/* SPDX-License-Identifier: MIT */
/*
 * What the emulated platform devices (UART, RTC, ACPI PM, reset ports) may ask of the
 * machine: drive an interrupt line and request a power transition. They never see
 * KVM; tests pass their own implementations.
 */
#ifndef HVKVM_PLATFORM_H
#define HVKVM_PLATFORM_H

struct irq_line {
	void (*set_level)(void *ctx, unsigned gsi, int level);
	void *ctx;
	unsigned gsi;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set_level)
		l->set_level(l->ctx, l->gsi, level);
}

enum machine_event {
	MACHINE_POWEROFF,	/* ACPI S5 or equivalent: the guest is done */
	MACHINE_RESET,		/* reset control register, keyboard controller, ... */
};

struct machine_ctl {
	void (*event)(void *ctx, enum machine_event ev);
	void *ctx;
};

static inline void machine_ctl_event(const struct machine_ctl *m, enum machine_event ev)
{
	if (m->event)
		m->event(m->ctx, ev);
}

#endif
