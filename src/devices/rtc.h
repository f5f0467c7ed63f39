/* SPDX-License-Identifier: MIT */
/*
 * The MC146818 CMOS real-time clock of a PC: ports 0x70 (index; bit 7 masks NMI)
 * and 0x71 (data), IRQ 8. The clock is the host's plus an offset the guest sets;
 * the century lives at index 0x32 (point the FADT's CENTURY field there).
 *
 * Port accesses come from vCPU threads; interrupt timers run on the loop thread.
 * The interrupt line is driven with the RTC's lock held, so irq->set_level must not
 * call back into the RTC.
 */
#ifndef HVKVM_RTC_H
#define HVKVM_RTC_H

#include "platform.h"

#include <stdint.h>

struct loop;
struct rtc;

#define RTC_PORT_BASE		0x70
#define RTC_NR_PORTS		2
#define RTC_IRQ			8
#define RTC_CENTURY_INDEX	0x32

/*
 * now_ns returns the host wall clock in ns since the Unix epoch; NULL uses
 * CLOCK_REALTIME. The guest sees that time (UTC) until it sets its own. Call from
 * the loop thread or any other thread; the loop need not be running yet.
 */
struct rtc *rtc_new(struct loop *loop, struct irq_line irq, int64_t (*now_ns)(void *ctx),
		    void *ctx);

/* Register with: io_bus_register(bus, RTC_PORT_BASE, RTC_NR_PORTS, &rtc_io_ops,
 * rtc, "rtc"). */
extern const struct io_ops rtc_io_ops;

/* Guest reboot: what the chip's RESET pin does (interrupt enables and flags
 * cleared). Time, the guest's offset and CMOS RAM survive, as with a battery. */
void rtc_reset(struct rtc *r);

/* The vCPUs must no longer run. NULL is ok. */
void rtc_free(struct rtc *r);

/* Plain CMOS RAM (index 0x0e-0x7f other than the century), for firmware-style
 * settings the VMM wants the guest to find. Out-of-range indexes are ignored. */
void rtc_cmos_write(struct rtc *r, unsigned index, uint8_t val);
uint8_t rtc_cmos_read(struct rtc *r, unsigned index);

#endif
