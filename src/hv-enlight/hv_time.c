/* SPDX-License-Identifier: MIT */
#include "hv_time.h"

#include <errno.h>
#include <string.h>

#define HV_REF_HZ 10000000ull	/* 100 ns units */

int hv_clock_init(struct hv_clock *c, uint64_t tsc_hz, int64_t tsc_offset, uint64_t guest_tsc_start)
{
	unsigned __int128 scale;

	if (tsc_hz <= HV_REF_HZ)
		return -EINVAL;
	scale = ((unsigned __int128)HV_REF_HZ << 64) / tsc_hz;
	c->tsc_hz = tsc_hz;
	c->scale = (uint64_t)scale;
	c->tsc_offset = tsc_offset;
	c->stopped = false;
	c->offset = 0;
	c->offset = -(int64_t)hv_clock_from_guest_tsc(c, guest_tsc_start);
	return 0;
}

uint64_t hv_clock_from_guest_tsc(const struct hv_clock *c, uint64_t guest_tsc)
{
	return (uint64_t)(((unsigned __int128)guest_tsc * c->scale) >> 64) + (uint64_t)c->offset;
}

uint64_t hv_clock_from_host_tsc(const struct hv_clock *c, uint64_t host_tsc)
{
	return hv_clock_from_guest_tsc(c, host_tsc + (uint64_t)c->tsc_offset);
}

uint64_t hv_clock_now(const struct hv_clock *c)
{
	return c->stopped ? c->stopped_at : hv_clock_from_host_tsc(c, hv_rdtsc());
}

void hv_clock_stop(struct hv_clock *c)
{
	if (c->stopped)
		return;
	c->stopped_at = hv_clock_now(c);
	c->stopped = true;
}

void hv_clock_restart(struct hv_clock *c)
{
	uint64_t now;

	if (!c->stopped)
		return;
	c->stopped = false;
	now = hv_clock_now(c);
	if (now > c->stopped_at)
		c->offset -= (int64_t)(now - c->stopped_at);
}

uint64_t hv_clock_ns_until(uint64_t now_ref, uint64_t deadline_ref)
{
	/* Reference time starts at 0 and would need 58,000 years to wrap: plain unsigned
	 * comparisons, and a delay too long for nanoseconds saturates. */
	if (deadline_ref <= now_ref)
		return 0;
	if (deadline_ref - now_ref > UINT64_MAX / 100)
		return UINT64_MAX;
	return (deadline_ref - now_ref) * 100;
}

void hv_clock_fill_page(const struct hv_clock *c, uint32_t seq, struct hv_reference_tsc_page *p)
{
	/* The sequence is at offset 0 of the page (aligned, which the packed struct does
	 * not say). The guest reads it before and after the fields: publish it last. */
	uint32_t *seqp = __builtin_assume_aligned(p, 4);

	__atomic_store_n(seqp, 0, __ATOMIC_SEQ_CST);
	p->tsc_scale = c->scale;
	p->tsc_offset = c->offset;
	__atomic_store_n(seqp, seq ? seq : 1, __ATOMIC_RELEASE);
}
