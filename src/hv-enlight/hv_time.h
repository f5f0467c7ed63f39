/* SPDX-License-Identifier: MIT */
/*
 * Partition reference time: 100 ns units since the partition started, derived from
 * the guest's TSC exactly as the guest derives it from the reference TSC page, so that
 * the page, TIME_REF_COUNT and synthetic timer deadlines are one clock.
 *
 *   ref = ((guest_tsc * scale) >> 64) + offset,   guest_tsc = host_tsc + tsc_offset
 *
 * KVM keeps a constant guest-minus-host TSC offset on a host with a stable TSC, so
 * any thread can compute "now" from its own rdtsc.
 */
#ifndef HVKVM_HV_TIME_H
#define HVKVM_HV_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_proto.h"

struct hv_clock {
	uint64_t tsc_hz;
	uint64_t scale;		/* 100 ns per TSC tick, 64.64 fixed point */
	int64_t offset;		/* makes the reference time 0 at guest_tsc_start */
	int64_t tsc_offset;	/* guest TSC minus host TSC */
	/* While the VM is paused reference time stands still at stopped_at; restarting
	 * moves offset back by the time it stood, so the guest never sees the pause. */
	bool stopped;
	uint64_t stopped_at;
};

/* tsc_hz must exceed 10 MHz (else the scale does not fit 64 bits): -EINVAL otherwise. */
int hv_clock_init(struct hv_clock *c, uint64_t tsc_hz, int64_t tsc_offset, uint64_t guest_tsc_start);
uint64_t hv_clock_from_guest_tsc(const struct hv_clock *c, uint64_t guest_tsc);
uint64_t hv_clock_from_host_tsc(const struct hv_clock *c, uint64_t host_tsc);
/* Reference time now, from this thread's TSC (stopped_at while stopped). */
uint64_t hv_clock_now(const struct hv_clock *c);
/* Hold reference time still, and let it go on from where it stood. */
void hv_clock_stop(struct hv_clock *c);
void hv_clock_restart(struct hv_clock *c);
/* Nanoseconds from reference time now_ref until deadline_ref (0 if due, UINT64_MAX if
 * further than that). */
uint64_t hv_clock_ns_until(uint64_t now_ref, uint64_t deadline_ref);
/* The page content for sequence seq (never 0: 0 tells the guest the page is invalid). */
void hv_clock_fill_page(const struct hv_clock *c, uint32_t seq, struct hv_reference_tsc_page *p);

static inline uint64_t hv_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
