/* SPDX-License-Identifier: MIT */
/*
 * MC146818A model, from its data sheet. The clock is not ticked: the time
 * registers and the interrupt flags are computed from the host clock whenever they
 * are looked at, so an idle guest costs nothing. Loop timers run only while an
 * interrupt is enabled, to raise IRQ 8 on time.
 *
 * Guest time is host time + offset_ns. While the clock is halted (SET, or the
 * divider held in reset) the time bytes are frozen in cmos[] where the guest may
 * rewrite them; restarting the clock turns them back into an offset.
 *
 * Not modelled: the daylight-saving bit (DSE) is stored but the clock never jumps
 * for it, and the square-wave output has no pin to drive.
 */
#include "rtc.h"
#include "io.h"
#include "log.h"
#include "loop.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

enum {
	RTC_SECONDS = 0x00,
	RTC_SECONDS_ALARM = 0x01,
	RTC_MINUTES = 0x02,
	RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04,
	RTC_HOURS_ALARM = 0x05,
	RTC_DAY_OF_WEEK = 0x06,
	RTC_DAY_OF_MONTH = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
};

#define RTC_A_UIP	0x80
#define RTC_A_DV	0x70
#define RTC_A_DV_RESET	0x60	/* DV2:DV1 = 11: divider chain held in reset */
#define RTC_A_RS	0x0f

#define RTC_B_SET	0x80
#define RTC_B_PIE	0x40
#define RTC_B_AIE	0x20
#define RTC_B_UIE	0x10
#define RTC_B_SQWE	0x08
#define RTC_B_DM_BINARY	0x04
#define RTC_B_24H	0x02
#define RTC_B_DSE	0x01

#define RTC_C_IRQF	0x80
#define RTC_C_PF	0x40
#define RTC_C_AF	0x20
#define RTC_C_UF	0x10

#define RTC_D_VRT	0x80

#define RTC_ALARM_DONT_CARE	0xc0

#define NSEC		1000000000ll
#define RTC_HZ		32768		/* the time-base crystal */
#define RTC_UIP_NS	244000		/* UIP leads each update by 244 us */

struct rtc {
	struct loop *loop;
	struct irq_line irq;
	int64_t (*now_ns)(void *ctx);
	void *now_ctx;
	struct loop_timer *timer;	/* loop thread only */

	pthread_mutex_t lock;		/* protects everything below */
	uint8_t cmos[128];		/* RAM, alarms, A, B, C; time bytes while halted */
	uint8_t index;
	bool nmi_masked;
	bool halted;			/* SET or divider reset: no update cycles */
	int64_t offset_ns;		/* guest - host time; halted: only its phase counts */
	int64_t checked_ns;		/* guest time up to which flags are accounted */
	int wday_adjust;		/* the guest's day of week minus the computed one */
	bool wday_written;		/* the guest wrote the day of week while halted */
	bool timer_posted;
	int irq_level;
};

struct rtc_tm {
	int64_t year;
	int mon, mday, hour, min, sec, wday;	/* mon 1-12, wday 0 = Sunday */
};

static int64_t rtc_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t rtc_floor_mod(int64_t a, int64_t b)
{
	return a - rtc_floor_div(a, b) * b;
}

/* Proleptic Gregorian calendar <-> days since 1970-01-01, counting in 400-year eras
 * starting on March 1st so that the leap day falls at the end of each year. */
static int64_t rtc_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = rtc_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void rtc_tm_from_secs(int64_t t, struct rtc_tm *tm)
{
	int64_t days = rtc_floor_div(t, 86400), sod = t - days * 86400;
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = rtc_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
	tm->wday = (int)rtc_floor_mod(days + 4, 7);	/* 1970-01-01 was a Thursday */
}

static int64_t rtc_host_now(const struct rtc *r)
{
	struct timespec ts;

	if (r->now_ns)
		return r->now_ns(r->now_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t rtc_enc(const struct rtc *r, int v)
{
	return rtc_binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* -1 for bytes that are not a valid number in the current mode. */
static int rtc_dec(const struct rtc *r, uint8_t b)
{
	if (rtc_binary(r))
		return b;
	if ((b >> 4) > 9 || (b & 15) > 9)
		return -1;
	return (b >> 4) * 10 + (b & 15);
}

static uint8_t rtc_enc_hour(const struct rtc *r, int h)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_enc(r, h);
	return rtc_enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static int rtc_dec_hour(const struct rtc *r, uint8_t b)
{
	int h;

	if (r->cmos[RTC_REG_B] & RTC_B_24H) {
		h = rtc_dec(r, b);
		return h <= 23 ? h : -1;
	}
	h = rtc_dec(r, b & 0x7f);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + (b & 0x80 ? 12 : 0);
}

static bool rtc_div_reset(const struct rtc *r)
{
	return (r->cmos[RTC_REG_A] & RTC_A_DV_RESET) == RTC_A_DV_RESET;
}

static bool rtc_should_halt(const struct rtc *r)
{
	return (r->cmos[RTC_REG_B] & RTC_B_SET) || rtc_div_reset(r);
}

/* One time register of the running clock, encoded as the guest reads it. */
static uint8_t rtc_time_reg(const struct rtc *r, unsigned idx, int64_t host)
{
	struct rtc_tm tm;

	rtc_tm_from_secs(rtc_floor_div(host + r->offset_ns, NSEC), &tm);
	switch (idx) {
	case RTC_SECONDS:
		return rtc_enc(r, tm.sec);
	case RTC_MINUTES:
		return rtc_enc(r, tm.min);
	case RTC_HOURS:
		return rtc_enc_hour(r, tm.hour);
	case RTC_DAY_OF_WEEK:
		return rtc_enc(r, (tm.wday + r->wday_adjust) % 7 + 1);
	case RTC_DAY_OF_MONTH:
		return rtc_enc(r, tm.mday);
	case RTC_MONTH:
		return rtc_enc(r, tm.mon);
	case RTC_YEAR:
		return rtc_enc(r, (int)rtc_floor_mod(tm.year, 100));
	default:	/* RTC_CENTURY_INDEX */
		return rtc_enc(r, (int)rtc_floor_mod(rtc_floor_div(tm.year, 100), 100));
	}
}

static bool rtc_is_time_reg(unsigned idx)
{
	return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
	       (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY_INDEX;
}

static const uint8_t rtc_time_regs[] = {
	RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH,
	RTC_MONTH, RTC_YEAR, RTC_CENTURY_INDEX,
};

/* Freeze the clock into cmos[]. */
static void rtc_latch(struct rtc *r, int64_t host)
{
	for (unsigned i = 0; i < sizeof(rtc_time_regs); i++)
		r->cmos[rtc_time_regs[i]] = rtc_time_reg(r, rtc_time_regs[i], host);
	r->wday_written = false;
}

static int rtc_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Restart the clock from what cmos[] holds, keeping the sub-second phase of the
 * divider chain: the next update comes when the divider completes its second.
 * Out-of-range bytes are clamped; a real chip would count on from them.
 */
static void rtc_unlatch(struct rtc *r, int64_t host)
{
	struct rtc_tm tm;
	int64_t secs, phase = rtc_floor_mod(host + r->offset_ns, NSEC);
	int cent, yy, wday, hour;

	cent = rtc_clamp(rtc_dec(r, r->cmos[RTC_CENTURY_INDEX]), 0, 99);
	yy = rtc_clamp(rtc_dec(r, r->cmos[RTC_YEAR]), 0, 99);
	tm.year = cent * 100 + yy;
	tm.mon = rtc_clamp(rtc_dec(r, r->cmos[RTC_MONTH]), 1, 12);
	tm.mday = rtc_clamp(rtc_dec(r, r->cmos[RTC_DAY_OF_MONTH]), 1, 31);
	hour = rtc_dec_hour(r, r->cmos[RTC_HOURS]);
	tm.hour = hour < 0 ? 0 : hour;
	tm.min = rtc_clamp(rtc_dec(r, r->cmos[RTC_MINUTES]), 0, 59);
	tm.sec = rtc_clamp(rtc_dec(r, r->cmos[RTC_SECONDS]), 0, 59);
	secs = rtc_days_from_civil(tm.year, tm.mon, tm.mday) * 86400 +
	       tm.hour * 3600 + tm.min * 60 + tm.sec;
	r->offset_ns = secs * NSEC + phase - host;

	/*
	 * The chip counts the day of week on from whatever it was given. Keep that
	 * for guests that set it (DOS, Windows), but a guest that leaves it alone
	 * (Linux never writes it) gets the right day for the new date, not a stale one.
	 */
	if (r->wday_written) {
		rtc_tm_from_secs(secs, &tm);
		wday = rtc_clamp(rtc_dec(r, r->cmos[RTC_DAY_OF_WEEK]), 1, 7) - 1;
		r->wday_adjust = (int)rtc_floor_mod(wday - tm.wday, 7);
	}
}

/* Periodic interrupt period in 1/32768 s, 0 if off. */
static int64_t rtc_period_ticks(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & RTC_A_RS;

	if (rs == 0)
		return 0;
	if (rs <= 2)
		return 128ll << (rs - 1);	/* 256 and 128 Hz, not 32768 and 16384 */
	return 1ll << (rs - 1);
}

static int64_t rtc_ns_to_ticks(int64_t ns)
{
	return rtc_floor_div(ns, NSEC) * RTC_HZ + rtc_floor_mod(ns, NSEC) * RTC_HZ / NSEC;
}

/* The first ns at which the tick count reaches k. */
static int64_t rtc_ticks_to_ns(int64_t k)
{
	return rtc_floor_div(k, RTC_HZ) * NSEC +
	       (rtc_floor_mod(k, RTC_HZ) * NSEC + RTC_HZ - 1) / RTC_HZ;
}

/* Alarm byte -> value to match, -1 for "any", -2 for "never". */
static int rtc_alarm_field(const struct rtc *r, unsigned idx, int max)
{
	uint8_t b = r->cmos[idx];
	int v;

	if ((b & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE)
		return -1;
	v = idx == RTC_HOURS_ALARM ? rtc_dec_hour(r, b) : rtc_dec(r, b);
	return v >= 0 && v <= max ? v : -2;
}

/* The first whole second after t at which the alarm matches, or INT64_MAX. */
static int64_t rtc_next_alarm(const struct rtc *r, int64_t t)
{
	int as = rtc_alarm_field(r, RTC_SECONDS_ALARM, 59);
	int am = rtc_alarm_field(r, RTC_MINUTES_ALARM, 59);
	int ah = rtc_alarm_field(r, RTC_HOURS_ALARM, 23);
	int64_t c = t + 1, limit = t + 1 + 86400;

	if (as == -2 || am == -2 || ah == -2)
		return INT64_MAX;
	/* Skip whole hours and minutes that cannot match: a few hundred steps at most. */
	while (c <= limit) {
		int64_t sod = rtc_floor_mod(c, 86400);

		if (ah >= 0 && sod / 3600 != ah) {
			c += 3600 - sod % 3600;
			continue;
		}
		if (am >= 0 && sod / 60 % 60 != am) {
			c += 60 - sod % 60;
			continue;
		}
		if (as >= 0 && sod % 60 != as) {
			c++;
			continue;
		}
		return c;
	}
	return INT64_MAX;
}

static void rtc_update_irq(struct rtc *r)
{
	uint8_t *c = &r->cmos[RTC_REG_C];
	int level;

	/* IRQF is the OR of each flag with its enable, so it follows B as well. */
	if (*c & r->cmos[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
		*c |= RTC_C_IRQF;
	else
		*c &= ~RTC_C_IRQF;
	level = !!(*c & RTC_C_IRQF);
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_line_set(&r->irq, level);
	}
}

/* Set the flags for whatever happened since the last look, under the current
 * settings; call before changing any of them. */
static void rtc_advance(struct rtc *r, int64_t host)
{
	int64_t g = host + r->offset_ns, p = r->checked_ns, period = rtc_period_ticks(r);

	r->checked_ns = g;
	if (g <= p)
		return;	/* nothing new, or the host clock stepped back */
	if (period && !rtc_div_reset(r) &&
	    rtc_floor_div(rtc_ns_to_ticks(g), period) > rtc_floor_div(rtc_ns_to_ticks(p), period))
		r->cmos[RTC_REG_C] |= RTC_C_PF;
	if (!r->halted) {
		int64_t s0 = rtc_floor_div(p, NSEC), s1 = rtc_floor_div(g, NSEC);

		if (s1 > s0) {
			r->cmos[RTC_REG_C] |= RTC_C_UF;
			if (rtc_next_alarm(r, s0) <= s1)
				r->cmos[RTC_REG_C] |= RTC_C_AF;
		}
	}
	rtc_update_irq(r);
}

/* Loop thread, lock held: arm the timer for the next enabled event. */
static void rtc_timer_arm(struct rtc *r, int64_t host)
{
	uint8_t b = r->cmos[RTC_REG_B];
	int64_t g = host + r->offset_ns, next = INT64_MAX, period = rtc_period_ticks(r);

	if ((b & RTC_B_PIE) && period && !rtc_div_reset(r)) {
		int64_t k = (rtc_floor_div(rtc_ns_to_ticks(g), period) + 1) * period;

		next = rtc_ticks_to_ns(k);
	}
	if (!r->halted && (b & RTC_B_UIE)) {
		int64_t t = (rtc_floor_div(g, NSEC) + 1) * NSEC;

		if (t < next)
			next = t;
	}
	if (!r->halted && (b & RTC_B_AIE)) {
		int64_t a = rtc_next_alarm(r, rtc_floor_div(g, NSEC));

		if (a != INT64_MAX && a * NSEC < next)
			next = a * NSEC;
	}
	if (!r->timer)
		return;
	if (next == INT64_MAX)
		loop_timer_disarm(r->timer);
	else
		loop_timer_arm(r->timer, (uint64_t)(next - g), 0);
}

static void rtc_timer_fire(void *opaque)
{
	struct rtc *r = opaque;
	int64_t host;

	pthread_mutex_lock(&r->lock);
	r->timer_posted = false;
	host = rtc_host_now(r);
	rtc_advance(r, host);
	rtc_timer_arm(r, host);
	pthread_mutex_unlock(&r->lock);
}

/* Lock held, any thread: the next event may have moved. Only an enabled interrupt
 * needs the timer; one that was just disabled lets it run out by itself. */
static void rtc_timer_kick(struct rtc *r)
{
	if (!(r->cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)) || r->timer_posted)
		return;
	r->timer_posted = true;
	if (loop_post(r->loop, rtc_timer_fire, r) < 0)
		r->timer_posted = false;
}

/* Lock held: a register write that may stop or restart the clock. */
static void rtc_set_halt(struct rtc *r, int64_t host, bool was_div_reset)
{
	bool halt = rtc_should_halt(r);

	if (was_div_reset && !rtc_div_reset(r)) {
		/* A released divider runs its first update half a second later. */
		r->offset_ns = NSEC / 2 - rtc_floor_mod(host, NSEC);
	}
	if (halt && !r->halted)
		rtc_latch(r, host);
	else if (!halt && r->halted)
		rtc_unlatch(r, host);
	r->halted = halt;
	r->checked_ns = host + r->offset_ns;
}

static uint8_t rtc_read_reg(struct rtc *r, unsigned idx)
{
	int64_t host;
	uint8_t v;

	if (rtc_is_time_reg(idx) && !r->halted)
		return rtc_time_reg(r, idx, rtc_host_now(r));
	switch (idx) {
	case RTC_REG_A:
		v = r->cmos[RTC_REG_A] & ~RTC_A_UIP;
		host = rtc_host_now(r);
		/* Our update is instantaneous at the second; UIP just has to warn of it,
		 * and a stopped clock (SET, divider reset) has no update to warn of. */
		if (!r->halted && rtc_floor_mod(host + r->offset_ns, NSEC) >= NSEC - RTC_UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		rtc_advance(r, rtc_host_now(r));
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		rtc_update_irq(r);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;	/* the battery is always good */
	default:
		return r->cmos[idx];
	}
}

static void rtc_write_reg(struct rtc *r, unsigned idx, uint8_t val)
{
	int64_t host = rtc_host_now(r);
	bool was_div_reset = rtc_div_reset(r);

	switch (idx) {
	case RTC_REG_A:
		rtc_advance(r, host);
		r->cmos[RTC_REG_A] = val & ~RTC_A_UIP;
		rtc_set_halt(r, host, was_div_reset);
		break;
	case RTC_REG_B:
		rtc_advance(r, host);
		/* SET stops update-ended interrupts along with the updates. */
		if (val & RTC_B_SET)
			val &= ~RTC_B_UIE;
		r->cmos[RTC_REG_B] = val;
		rtc_set_halt(r, host, was_div_reset);
		rtc_update_irq(r);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		return;	/* read-only */
	default:
		if (rtc_is_time_reg(idx)) {
			rtc_advance(r, host);
			/* Setting the time without SET takes effect at once. */
			if (!r->halted)
				rtc_latch(r, host);
			r->cmos[idx] = val;
			if (idx == RTC_DAY_OF_WEEK)
				r->wday_written = true;
			if (!r->halted) {
				rtc_unlatch(r, host);
				r->checked_ns = host + r->offset_ns;
			}
		} else if (idx == RTC_SECONDS_ALARM || idx == RTC_MINUTES_ALARM ||
			   idx == RTC_HOURS_ALARM) {
			rtc_advance(r, host);
			r->cmos[idx] = val;
		} else {
			r->cmos[idx] = val;
			return;
		}
		break;
	}
	rtc_timer_kick(r);
}

static uint64_t rtc_io_read(void *dev, uint64_t off, unsigned size)
{
	struct rtc *r = dev;
	uint64_t v = 0;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++) {
		/* The index port is write-only on a PC. */
		uint8_t b = off + i == 1 ? rtc_read_reg(r, r->index) : 0xff;

		v |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void rtc_io_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct rtc *r = dev;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (off + i == 0) {
			r->index = b & 0x7f;
			r->nmi_masked = b & 0x80;
		} else if (off + i == 1) {
			rtc_write_reg(r, r->index, b);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

const struct io_ops rtc_io_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

static void rtc_timer_new_fn(void *opaque)
{
	struct rtc *r = opaque;

	r->timer = loop_timer_new(r->loop, rtc_timer_fire, r);
}

static void rtc_timer_free_fn(void *opaque)
{
	struct rtc *r = opaque;

	loop_timer_free(r->timer);
	r->timer = NULL;
}

struct rtc *rtc_new(struct loop *loop, struct irq_line irq, int64_t (*now_ns)(void *ctx),
		    void *ctx)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->loop = loop;
	r->irq = irq;
	r->now_ns = now_ns;
	r->now_ctx = ctx;
	pthread_mutex_init(&r->lock, NULL);
	loop_call(loop, rtc_timer_new_fn, r);
	if (!r->timer) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	/* What a BIOS leaves: 32.768 kHz time base, 1024 Hz rate, BCD, 24-hour. */
	r->cmos[RTC_REG_A] = 0x26;
	r->cmos[RTC_REG_B] = RTC_B_24H;
	r->checked_ns = rtc_host_now(r);
	return r;
}

void rtc_reset(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	rtc_advance(r, rtc_host_now(r));
	r->cmos[RTC_REG_B] &= ~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
	r->cmos[RTC_REG_C] = 0;
	r->index = 0;
	r->nmi_masked = false;
	rtc_update_irq(r);
	pthread_mutex_unlock(&r->lock);
}

void rtc_free(struct rtc *r)
{
	if (!r)
		return;
	/* On the loop thread, after any timer kick already posted. */
	loop_call(r->loop, rtc_timer_free_fn, r);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static bool rtc_is_plain_ram(unsigned index)
{
	return index > RTC_REG_D && index < 128 && index != RTC_CENTURY_INDEX;
}

void rtc_cmos_write(struct rtc *r, unsigned index, uint8_t val)
{
	if (!rtc_is_plain_ram(index))
		return;
	pthread_mutex_lock(&r->lock);
	r->cmos[index] = val;
	pthread_mutex_unlock(&r->lock);
}

uint8_t rtc_cmos_read(struct rtc *r, unsigned index)
{
	uint8_t v = 0xff;

	if (!rtc_is_plain_ram(index))
		return v;
	pthread_mutex_lock(&r->lock);
	v = r->cmos[index];
	pthread_mutex_unlock(&r->lock);
	return v;
}
