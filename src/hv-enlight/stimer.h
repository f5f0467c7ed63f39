/* SPDX-License-Identifier: MIT */
/*
 * Synthetic timers: four per virtual processor, one-shot or periodic, expiring in
 * partition reference time and delivered as HVMSG_TIMER_EXPIRED on a SINT or, in
 * direct mode, as a plain vector. Each armed timer is a timerfd on the event loop.
 */
#ifndef HVKVM_STIMER_H
#define HVKVM_STIMER_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct synic;
struct hv_clock;
struct stimers;

struct stimers *stimers_new(struct loop *loop, struct synic *synic, const struct hv_clock *clock,
			    unsigned nvp, bool direct_allowed);
void stimers_free(struct stimers *st);
/* All timers stopped and cleared (guest reset). */
void stimers_reset(struct stimers *st);
/* The VM pauses: no timer fires until stimers_resume(), which re-arms every enabled
 * timer from its deadline in reference time (stopped meanwhile). Loop thread. */
void stimers_suspend(struct stimers *st);
void stimers_resume(struct stimers *st);

/* STIMERn_CONFIG/COUNT of vp. Return 0, or -EPERM for #GP. Any thread. */
int stimer_msr_read(struct stimers *st, unsigned vp, uint32_t msr, uint64_t *val);
int stimer_msr_write(struct stimers *st, unsigned vp, uint32_t msr, uint64_t val);

/* Run timer (vp, idx)'s expiry check now, as its timerfd would: for tests. */
void stimer_poll(struct stimers *st, unsigned vp, unsigned idx);

uint64_t stimers_expirations(struct stimers *st);

#endif
