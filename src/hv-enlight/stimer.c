/* SPDX-License-Identifier: MIT */
#include "stimer.h"
#include "hv_proto.h"
#include "hv_time.h"
#include "log.h"
#include "loop.h"
#include "synic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct stimer {
	struct stimers *owner;
	unsigned vp, idx;
	uint64_t config;
	uint64_t count;
	uint64_t deadline;	/* reference time of the next expiry while armed */
	bool armed;
	struct loop_timer *timer;
};

struct stimers {
	struct loop *loop;
	struct synic *synic;
	const struct hv_clock *clock;
	unsigned nvp;
	bool direct_allowed;
	pthread_mutex_t lock;	/* all timers: written on vCPU threads, fired on the loop */
	struct stimer *t;	/* nvp * HV_STIMER_COUNT */
	bool suspended;		/* the VM is paused: armed timers keep their deadlines only */
	uint64_t expirations;
};

static void stimer_fire(void *opaque);

/* now + period without wrapping: a period of centuries simply never comes. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void timer_arm_ns(struct loop_timer *t, uint64_t ns)
{
	/* timerfd takes seconds in a time_t: past some hundred years, "never" will do. */
	if (ns > (1ull << 62))
		loop_timer_disarm(t);
	else
		loop_timer_arm(t, ns, 0);
}

static void stimer_arm(struct stimer *t, uint64_t now)
{
	if (!t->owner->suspended)
		timer_arm_ns(t->timer, hv_clock_ns_until(now, t->deadline));
	t->armed = true;
}

static void stimer_disarm(struct stimer *t)
{
	if (t->armed)
		loop_timer_disarm(t->timer);
	t->armed = false;
}

/* Enable (or re-enable) with the current COUNT: the first period starts now; a one-shot
 * COUNT is an absolute time, possibly already past (then it fires at once). */
static void stimer_start(struct stimer *t)
{
	uint64_t now = hv_clock_now(t->owner->clock);

	stimer_disarm(t);
	if (!(t->config & HV_STIMER_ENABLE))
		return;
	if (t->count == 0 ||
	    (!(t->config & HV_STIMER_DIRECT) && !(t->config & HV_STIMER_SINT_MASK))) {
		/* Nothing to count to, or nowhere to deliver: the TLFS disables the timer. */
		t->config &= ~HV_STIMER_ENABLE;
		return;
	}
	t->deadline = (t->config & HV_STIMER_PERIODIC) ? add_sat(now, t->count) : t->count;
	stimer_arm(t, now);
}

static void stimer_expire(struct stimer *t, uint64_t now)
{
	struct stimers *st = t->owner;

	__atomic_fetch_add(&st->expirations, 1, __ATOMIC_RELAXED);
	if (t->config & HV_STIMER_DIRECT)
		synic_inject(st->synic, t->vp,
			     (uint8_t)((t->config & HV_STIMER_VECTOR_MASK) >> HV_STIMER_VECTOR_SHIFT));
	else
		synic_post_timer(st->synic, t->vp,
				 (unsigned)((t->config & HV_STIMER_SINT_MASK) >> HV_STIMER_SINT_SHIFT),
				 t->idx, t->deadline, now);
	if (t->config & HV_STIMER_PERIODIC) {
		t->deadline = add_sat(t->deadline, t->count);
		/* Missed periods are not replayed: the next one starts from now. */
		if (t->deadline <= now)
			t->deadline = add_sat(now, t->count);
		stimer_arm(t, now);
	} else {
		t->config &= ~HV_STIMER_ENABLE;
		t->armed = false;
	}
}

static void stimer_check(struct stimer *t)
{
	uint64_t now;

	if (!t->armed || t->owner->suspended || !(t->config & HV_STIMER_ENABLE))
		return;
	now = hv_clock_now(t->owner->clock);
	if (t->deadline > now)
		stimer_arm(t, now);	/* woken early (clock domains differ slightly) */
	else
		stimer_expire(t, now);
}

static void stimer_fire(void *opaque)
{
	struct stimer *t = opaque;

	pthread_mutex_lock(&t->owner->lock);
	stimer_check(t);
	pthread_mutex_unlock(&t->owner->lock);
}

void stimer_poll(struct stimers *st, unsigned vp, unsigned idx)
{
	if (vp < st->nvp && idx < HV_STIMER_COUNT)
		stimer_fire(&st->t[vp * HV_STIMER_COUNT + idx]);
}

struct stimers *stimers_new(struct loop *loop, struct synic *synic, const struct hv_clock *clock,
			    unsigned nvp, bool direct_allowed)
{
	struct stimers *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->t = calloc((size_t)nvp * HV_STIMER_COUNT, sizeof(*st->t));
	if (!st->t) {
		free(st);
		return NULL;
	}
	st->loop = loop;
	st->synic = synic;
	st->clock = clock;
	st->nvp = nvp;
	st->direct_allowed = direct_allowed;
	pthread_mutex_init(&st->lock, NULL);
	for (unsigned i = 0; i < nvp * HV_STIMER_COUNT; i++) {
		struct stimer *t = &st->t[i];

		t->owner = st;
		t->vp = i / HV_STIMER_COUNT;
		t->idx = i % HV_STIMER_COUNT;
		t->timer = loop_timer_new(loop, stimer_fire, t);
		if (!t->timer) {
			stimers_free(st);
			return NULL;
		}
	}
	return st;
}

void stimers_free(struct stimers *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < st->nvp * HV_STIMER_COUNT; i++)
		loop_timer_free(st->t[i].timer);
	pthread_mutex_destroy(&st->lock);
	free(st->t);
	free(st);
}

void stimers_reset(struct stimers *st)
{
	pthread_mutex_lock(&st->lock);
	for (unsigned i = 0; i < st->nvp * HV_STIMER_COUNT; i++) {
		stimer_disarm(&st->t[i]);
		st->t[i].config = st->t[i].count = st->t[i].deadline = 0;
	}
	st->suspended = false;
	pthread_mutex_unlock(&st->lock);
}

void stimers_suspend(struct stimers *st)
{
	pthread_mutex_lock(&st->lock);
	st->suspended = true;
	for (unsigned i = 0; i < st->nvp * HV_STIMER_COUNT; i++)
		if (st->t[i].armed)
			loop_timer_disarm(st->t[i].timer);
	pthread_mutex_unlock(&st->lock);
}

void stimers_resume(struct stimers *st)
{
	uint64_t now;

	pthread_mutex_lock(&st->lock);
	st->suspended = false;
	now = hv_clock_now(st->clock);
	for (unsigned i = 0; i < st->nvp * HV_STIMER_COUNT; i++)
		if (st->t[i].armed)
			stimer_arm(&st->t[i], now);
	pthread_mutex_unlock(&st->lock);
}

static struct stimer *stimer_of(struct stimers *st, unsigned vp, uint32_t msr, bool *is_count)
{
	unsigned off = msr - HV_X64_MSR_STIMER0_CONFIG;

	if (vp >= st->nvp || msr < HV_X64_MSR_STIMER0_CONFIG || msr > HV_X64_MSR_STIMER3_COUNT)
		return NULL;
	*is_count = off & 1;
	return &st->t[vp * HV_STIMER_COUNT + off / 2];
}

int stimer_msr_read(struct stimers *st, unsigned vp, uint32_t msr, uint64_t *val)
{
	bool is_count;
	struct stimer *t = stimer_of(st, vp, msr, &is_count);

	if (!t)
		return -EPERM;
	pthread_mutex_lock(&st->lock);
	*val = is_count ? t->count : t->config;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

int stimer_msr_write(struct stimers *st, unsigned vp, uint32_t msr, uint64_t val)
{
	bool is_count;
	struct stimer *t = stimer_of(st, vp, msr, &is_count);

	if (!t)
		return -EPERM;
	if (!is_count && ((val & HV_STIMER_RSVD) || ((val & HV_STIMER_DIRECT) && !st->direct_allowed)))
		return -EPERM;
	pthread_mutex_lock(&st->lock);
	if (is_count) {
		t->count = val;
		if (val == 0)
			t->config &= ~HV_STIMER_ENABLE;
		else if (t->config & HV_STIMER_AUTO_ENABLE)
			t->config |= HV_STIMER_ENABLE;
	} else {
		t->config = val;
	}
	stimer_start(t);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

uint64_t stimers_expirations(struct stimers *st)
{
	return __atomic_load_n(&st->expirations, __ATOMIC_RELAXED);
}
