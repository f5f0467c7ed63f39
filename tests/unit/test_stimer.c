/* SPDX-License-Identifier: MIT */
/*
 * Synthetic timers (TLFS "Timers", hv-facts.md §6), driven through the partition's
 * MSR interface so that privileges apply. Two ways to let time pass: the real
 * clock with the event loop on its own thread (a few ms deadlines, generous waits),
 * or moving the reference clock forward and running the expiry check by hand.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv_internal.h"
#include "hv_proto.h"
#include "loop.h"
#include "memory.h"
#include "stimer.h"
#include "synic.h"
#include "testutil.h"

#define NVP		2
#define RAM_PAGES	64
#define RAM_SIZE	(RAM_PAGES * GMEM_PAGE_SIZE)
#define SIMP_GPA(vp)	(0x10000ull + (vp) * 0x4000ull)
#define SIEFP_GPA(vp)	(0x12000ull + (vp) * 0x4000ull)
#define VEC		0xf3
#define CONFIG(n)	(HV_X64_MSR_STIMER0_CONFIG + 2 * (n))
#define COUNT(n)	(HV_X64_MSR_STIMER0_CONFIG + 2 * (n) + 1)

/* CONFIG values: Linux's message-mode one-shot on SINT2 without Enable (Linux writes
 * 0x20009), and its direct-mode one, 0x1ed9. */
#define CFG_MSG_AUTO	(HV_STIMER_AUTO_ENABLE | (2ull << HV_STIMER_SINT_SHIFT))
#define CFG_DIRECT_AUTO	(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE | HV_STIMER_DIRECT | (0xedull << 4))

static uint64_t tsc_hz;		/* measured once, in main() */
static uint8_t *ram;
static struct gmem mem;
static struct loop *loop;
static struct test_loop tl;
static struct hv *hv;

/* ---- interrupt recorder ---------------------------------------------------------- */

#define MAX_INJ 4096

static pthread_mutex_t inj_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned vp;
	uint8_t vector;
} inj[MAX_INJ];
static unsigned ninj;

static void rec_inject(void *ctx, unsigned vp, uint8_t vector)
{
	(void)ctx;
	pthread_mutex_lock(&inj_lock);
	if (ninj < MAX_INJ) {
		inj[ninj].vp = vp;
		inj[ninj].vector = vector;
	}
	ninj++;
	pthread_mutex_unlock(&inj_lock);
}

static unsigned inj_count(void)
{
	unsigned n;

	pthread_mutex_lock(&inj_lock);
	n = ninj;
	pthread_mutex_unlock(&inj_lock);
	return n;
}

static unsigned inj_count_of(unsigned vp, uint8_t vector)
{
	unsigned n = 0;

	pthread_mutex_lock(&inj_lock);
	for (unsigned i = 0; i < ninj && i < MAX_INJ; i++)
		if (inj[i].vp == vp && inj[i].vector == vector)
			n++;
	pthread_mutex_unlock(&inj_lock);
	return n;
}

/* ---- fixture ---------------------------------------------------------------------- */

static void make_hv(const char *features)
{
	struct hv_features f;
	char err[256];

	ck_assert_int_eq(hv_features_parse(features, &f, err, sizeof(err)), 0);
	hv = hv_new(&f, &mem, NVP, loop, rec_inject, NULL);
	ck_assert_ptr_nonnull(hv);
	ck_assert_int_eq(hv_set_clock(hv, tsc_hz, 0, hv_rdtsc()), 0);
}

static void setup(void)
{
	struct gmem_region r = { 0, RAM_SIZE, NULL, 0 };

	ram = aligned_alloc(GMEM_PAGE_SIZE, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0, RAM_SIZE);
	r.host = ram;
	ck_assert_int_eq(gmem_init_regions(&mem, &r, 1), 0);
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	memset(&tl, 0, sizeof(tl));
	tl.loop = loop;
	ninj = 0;
	make_hv("on");
}

static void teardown(void)
{
	test_loop_stop(&tl);
	hv_free(hv);
	loop_free(loop);
	free(ram);
}

static void wr(unsigned vp, uint32_t msr, uint64_t val)
{
	int r = hv_msr_write(hv, vp, msr, val);

	ck_assert_msg(r == 0, "write 0x%x = 0x%llx on VP %u: %d", msr, (unsigned long long)val, vp, r);
}

static uint64_t rd(unsigned vp, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;

	ck_assert_int_eq(hv_msr_read(hv, vp, msr, &v), 0);
	return v;
}

static uint64_t ref_now(void)
{
	return rd(0, HV_X64_MSR_TIME_REF_COUNT);
}

/* Move reference time forward (only while the loop thread is not running). */
static void advance(uint64_t ticks)
{
	hv->clock.offset += (int64_t)ticks;
}

static void synic_on(unsigned vp)
{
	wr(vp, HV_X64_MSR_SIMP, SIMP_GPA(vp) | HV_PAGE_ENABLE);
	wr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA(vp) | HV_PAGE_ENABLE);
	wr(vp, HV_X64_MSR_SINT0 + 2, VEC);
	wr(vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
}

static struct hv_message *slot(unsigned vp, unsigned sint)
{
	return (struct hv_message *)(ram + SIMP_GPA(vp) + sint * HV_MESSAGE_SIZE);
}

static uint32_t slot_type(unsigned vp, unsigned sint)
{
	return __atomic_load_n(test_slot_type(slot(vp, sint)), __ATOMIC_ACQUIRE);
}

static struct hv_timer_message_payload slot_timer(unsigned vp, unsigned sint)
{
	struct hv_timer_message_payload p;

	ck_assert_uint_eq(slot_type(vp, sint), HVMSG_TIMER_EXPIRED);
	ck_assert_uint_eq(slot(vp, sint)->header.payload_size, sizeof(p));
	memcpy(&p, slot(vp, sint)->payload, sizeof(p));
	return p;
}

static void guest_done(unsigned vp, unsigned sint)
{
	struct hv_message *m = slot(vp, sint);

	__atomic_store_n(test_slot_type(m), HVMSG_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) & HV_MESSAGE_PENDING)
		wr(vp, HV_X64_MSR_EOM, 0);
}

static bool page_is_zero(uint64_t gpa)
{
	for (uint64_t i = 0; i < GMEM_PAGE_SIZE; i++)
		if (ram[gpa + i])
			return false;
	return true;
}

/* ---- CONFIG and COUNT ---------------------------------------------------------------- */

START_TEST(config_reserved_bits)
{
	static const unsigned bits[] = { 13, 14, 15, 20, 21, 31, 32, 47, 63 };

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		for (unsigned t = 0; t < HV_STIMER_COUNT; t++) {
			uint64_t v = (1ull << bits[i]) | CFG_MSG_AUTO;

			ck_assert_msg(hv_msr_write(hv, 1, CONFIG(t), v) == -EPERM, "bit %u accepted", bits[i]);
			ck_assert_uint_eq(rd(1, CONFIG(t)), 0);
		}
	}
	/* All defined bits at once are fine (COUNT is 0, so nothing runs). */
	wr(0, CONFIG(3), 0xf1ffeull);
	ck_assert_uint_eq(rd(0, CONFIG(3)), 0xf1ffeull);
}
END_TEST

START_TEST(config_count_read_back)
{
	wr(1, CONFIG(2), CFG_MSG_AUTO);
	ck_assert_uint_eq(rd(1, CONFIG(2)), CFG_MSG_AUTO);
	ck_assert_uint_eq(rd(0, CONFIG(2)), 0);
	wr(1, COUNT(1), 0x123456789ull);
	ck_assert_uint_eq(rd(1, COUNT(1)), 0x123456789ull);
	ck_assert_uint_eq(rd(1, CONFIG(1)), 0);	/* no AutoEnable: stays off */
	ck_assert_uint_eq(rd(0, COUNT(1)), 0);
}
END_TEST

START_TEST(direct_needs_feature)
{
	uint64_t v;

	wr(0, COUNT(0), ref_now() + 100000000ull);
	wr(0, CONFIG(0), CFG_DIRECT_AUTO);
	ck_assert_uint_eq(rd(0, CONFIG(0)), CFG_DIRECT_AUTO);
	hv_free(hv);
	make_hv("on,stimer-direct=off");
	ck_assert_int_eq(hv_msr_write(hv, 0, CONFIG(0), CFG_DIRECT_AUTO), -EPERM);
	ck_assert_int_eq(hv_msr_write(hv, 0, CONFIG(0), HV_STIMER_DIRECT), -EPERM);
	ck_assert_uint_eq(rd(0, CONFIG(0)), 0);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	/* Without stimer at all the MSRs do not exist. */
	hv_free(hv);
	make_hv("vpindex,time,synic");
	ck_assert_int_eq(hv_msr_write(hv, 0, CONFIG(0), CFG_MSG_AUTO), -EPERM);
	ck_assert_int_eq(hv_msr_read(hv, 0, COUNT(0), &v), -EPERM);
}
END_TEST

START_TEST(count_zero_disables)
{
	synic_on(0);
	/* The TLFS order without AutoEnable: COUNT, then Enable. */
	wr(0, COUNT(0), ref_now() + 100000000ull);
	wr(0, CONFIG(0), HV_STIMER_ENABLE | (2ull << HV_STIMER_SINT_SHIFT));
	ck_assert(rd(0, CONFIG(0)) & HV_STIMER_ENABLE);
	wr(0, COUNT(0), 0);
	ck_assert(!(rd(0, CONFIG(0)) & HV_STIMER_ENABLE));
	ck_assert_uint_eq(rd(0, COUNT(0)), 0);
	advance(200000000ull);
	stimer_poll(hv->stimers, 0, 0);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 0);
}
END_TEST

START_TEST(auto_enable)
{
	wr(0, CONFIG(1), CFG_MSG_AUTO);
	ck_assert_uint_eq(rd(0, CONFIG(1)), CFG_MSG_AUTO);
	wr(0, COUNT(1), ref_now() + 100000000ull);
	ck_assert_uint_eq(rd(0, CONFIG(1)), CFG_MSG_AUTO | HV_STIMER_ENABLE);
	/* COUNT 0 disables regardless of AutoEnable. */
	wr(0, COUNT(1), 0);
	ck_assert_uint_eq(rd(0, CONFIG(1)), CFG_MSG_AUTO);
	/* Without AutoEnable a COUNT write does not enable. */
	wr(0, CONFIG(1), 2ull << HV_STIMER_SINT_SHIFT);
	wr(0, COUNT(1), ref_now() + 100000000ull);
	ck_assert_uint_eq(rd(0, CONFIG(1)), 2ull << HV_STIMER_SINT_SHIFT);
}
END_TEST

START_TEST(enable_without_sint_disables)
{
	wr(0, COUNT(0), ref_now() + 100000000ull);
	wr(0, CONFIG(0), HV_STIMER_ENABLE);	/* message mode, SINTx 0 */
	ck_assert(!(rd(0, CONFIG(0)) & HV_STIMER_ENABLE));
	wr(0, CONFIG(0), HV_STIMER_AUTO_ENABLE);
	wr(0, COUNT(0), ref_now() + 100000000ull);
	ck_assert(!(rd(0, CONFIG(0)) & HV_STIMER_ENABLE));
	/* Direct mode needs no SINT. */
	wr(0, CONFIG(0), HV_STIMER_ENABLE | HV_STIMER_DIRECT | (0xedull << 4));
	ck_assert(rd(0, CONFIG(0)) & HV_STIMER_ENABLE);
	advance(200000000ull);
	stimer_poll(hv->stimers, 0, 0);
	ck_assert_uint_eq(inj_count_of(0, 0xed), 1);
}
END_TEST

/* ---- expiry by hand --------------------------------------------------------------------- */

START_TEST(oneshot_at_deadline)
{
	struct hv_timer_message_payload p;
	uint64_t deadline;

	synic_on(1);
	wr(1, CONFIG(1), CFG_MSG_AUTO);
	deadline = ref_now() + 100000000ull;	/* 10 s */
	wr(1, COUNT(1), deadline);
	stimer_poll(hv->stimers, 1, 1);
	ck_assert_uint_eq(slot_type(1, 2), HVMSG_NONE);	/* not before its time */
	ck_assert_uint_eq(inj_count(), 0);
	advance(100000000ull + 1000);
	stimer_poll(hv->stimers, 1, 1);
	p = slot_timer(1, 2);
	ck_assert_uint_eq(p.timer_index, 1);
	ck_assert_uint_eq(p.expiration_time, deadline);
	ck_assert_uint_ge(p.delivery_time, deadline);
	ck_assert_uint_le(p.delivery_time, ref_now());
	ck_assert_uint_eq(slot(1, 2)->header.origin, 0);
	ck_assert_uint_eq(inj_count(), 1);
	ck_assert_uint_eq(inj_count_of(1, VEC), 1);
	/* One-shot: Enable is cleared, COUNT kept, nothing more. */
	ck_assert_uint_eq(rd(1, CONFIG(1)), CFG_MSG_AUTO);
	ck_assert_uint_eq(rd(1, COUNT(1)), deadline);
	guest_done(1, 2);
	advance(100000000ull);
	stimer_poll(hv->stimers, 1, 1);
	ck_assert_uint_eq(slot_type(1, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 1);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 1);
	/* VP 0's page saw nothing. */
	ck_assert(page_is_zero(SIMP_GPA(0)));
}
END_TEST

START_TEST(past_deadline_fires_at_once)
{
	struct hv_timer_message_payload p;

	synic_on(0);
	advance(5000);
	wr(0, CONFIG(2), CFG_MSG_AUTO);
	wr(0, COUNT(2), 1);
	stimer_poll(hv->stimers, 0, 2);
	p = slot_timer(0, 2);
	ck_assert_uint_eq(p.timer_index, 2);
	ck_assert_uint_eq(p.expiration_time, 1);
	ck_assert_uint_ge(p.delivery_time, 5000);
	ck_assert_uint_eq(rd(0, CONFIG(2)), CFG_MSG_AUTO);
}
END_TEST

START_TEST(periodic_by_hand)
{
	struct hv_timer_message_payload p1, p2, p3;
	const uint64_t period = 1000000;	/* 100 ms */
	uint64_t before;

	synic_on(0);
	wr(0, COUNT(0), period);
	before = ref_now();
	wr(0, CONFIG(0), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | (2ull << HV_STIMER_SINT_SHIFT));
	stimer_poll(hv->stimers, 0, 0);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	advance(period);
	stimer_poll(hv->stimers, 0, 0);
	p1 = slot_timer(0, 2);
	/* The first period starts when the timer is enabled. */
	ck_assert_uint_ge(p1.expiration_time, before + period);
	ck_assert_uint_le(p1.expiration_time, p1.delivery_time);
	guest_done(0, 2);
	advance(period);
	stimer_poll(hv->stimers, 0, 0);
	p2 = slot_timer(0, 2);
	ck_assert_uint_eq(p2.expiration_time, p1.expiration_time + period);
	guest_done(0, 2);
	advance(period);
	stimer_poll(hv->stimers, 0, 0);
	p3 = slot_timer(0, 2);
	ck_assert_uint_eq(p3.expiration_time, p2.expiration_time + period);
	ck_assert(rd(0, CONFIG(0)) & HV_STIMER_ENABLE);
	ck_assert_uint_eq(inj_count(), 3);
}
END_TEST

START_TEST(direct_mode_injects_vector)
{
	wr(1, CONFIG(0), CFG_DIRECT_AUTO);
	wr(1, COUNT(0), ref_now() + 100000000ull);
	stimer_poll(hv->stimers, 1, 0);
	ck_assert_uint_eq(inj_count(), 0);
	advance(100000001ull);
	stimer_poll(hv->stimers, 1, 0);
	ck_assert_uint_eq(inj_count(), 1);
	ck_assert_uint_eq(inj_count_of(1, 0xed), 1);
	/* No message anywhere, even with a SIM page set up. */
	ck_assert(page_is_zero(SIMP_GPA(1)));
	ck_assert(!(rd(1, CONFIG(0)) & HV_STIMER_ENABLE));
	synic_on(1);
	wr(1, COUNT(0), 1);		/* AutoEnable again, in the past */
	stimer_poll(hv->stimers, 1, 0);
	ck_assert_uint_eq(inj_count_of(1, 0xed), 2);
	ck_assert(page_is_zero(SIMP_GPA(1)));
}
END_TEST

START_TEST(busy_slot_waits_for_eom)
{
	struct hv_timer_message_payload p;
	uint8_t payload[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint64_t deadline;

	synic_on(0);
	ck_assert_int_eq(synic_post_message(hv_synic(hv), 0, 2, 1, 0, payload, sizeof(payload)), 0);
	ck_assert_uint_eq(inj_count(), 1);
	wr(0, CONFIG(3), CFG_MSG_AUTO);
	deadline = ref_now() + 1000;
	wr(0, COUNT(3), deadline);
	advance(2000);
	stimer_poll(hv->stimers, 0, 3);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 1);
	ck_assert_uint_eq(slot_type(0, 2), 1);
	ck_assert(slot(0, 2)->header.message_flags & HV_MESSAGE_PENDING);
	ck_assert_uint_eq(inj_count(), 1);
	guest_done(0, 2);
	p = slot_timer(0, 2);
	ck_assert_uint_eq(p.timer_index, 3);
	ck_assert_uint_eq(p.expiration_time, deadline);
	ck_assert_uint_eq(inj_count(), 2);
}
END_TEST

/*
 * DeliveryTime is "the time when the message is placed into the respective message
 * slot of the SIM page" (TLFS HV_TIMER_MESSAGE_PAYLOAD): for a message held back by a
 * busy slot or a disabled SIM page, that is when it is finally written.
 */
START_TEST(delivery_time_is_when_written)
{
	struct hv_timer_message_payload p;
	uint8_t payload[8] = { 0 };
	uint64_t deadline, written;

	synic_on(0);
	ck_assert_int_eq(synic_post_message(hv_synic(hv), 0, 2, 1, 0, payload, sizeof(payload)), 0);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	deadline = ref_now() + 1000;
	wr(0, COUNT(0), deadline);
	advance(2000);
	stimer_poll(hv->stimers, 0, 0);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 1);
	advance(5000000);	/* the guest takes half a second to free the slot */
	written = ref_now();
	guest_done(0, 2);
	p = slot_timer(0, 2);
	ck_assert_uint_eq(p.expiration_time, deadline);
	ck_assert_msg(p.delivery_time >= written, "delivery time %llu, but written at %llu",
		      (unsigned long long)p.delivery_time, (unsigned long long)written);
	ck_assert_uint_le(p.delivery_time, ref_now());

	/* The same with the SIM page off at expiry. */
	guest_done(0, 2);
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0));
	deadline = ref_now() + 1000;
	wr(0, COUNT(0), deadline);
	advance(2000);
	stimer_poll(hv->stimers, 0, 0);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 2);
	advance(5000000);
	written = ref_now();
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0) | HV_PAGE_ENABLE);
	p = slot_timer(0, 2);
	ck_assert_uint_eq(p.expiration_time, deadline);
	ck_assert_msg(p.delivery_time >= written, "delivery time %llu, but written at %llu",
		      (unsigned long long)p.delivery_time, (unsigned long long)written);
}
END_TEST

START_TEST(reset_stops_by_hand)
{
	synic_on(0);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	wr(0, COUNT(0), ref_now() + 1000);
	wr(1, CONFIG(1), CFG_DIRECT_AUTO);
	wr(1, COUNT(1), ref_now() + 1000);
	stimers_reset(hv->stimers);
	for (unsigned vp = 0; vp < NVP; vp++) {
		for (unsigned t = 0; t < HV_STIMER_COUNT; t++) {
			ck_assert_uint_eq(rd(vp, CONFIG(t)), 0);
			ck_assert_uint_eq(rd(vp, COUNT(t)), 0);
		}
	}
	advance(100000);
	for (unsigned vp = 0; vp < NVP; vp++)
		for (unsigned t = 0; t < HV_STIMER_COUNT; t++)
			stimer_poll(hv->stimers, vp, t);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 0);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 0);
}
END_TEST

static void noop_fn(void *opaque)
{
	(void)opaque;
}

/* Once a call on the loop thread has returned, what the loop was doing is done. */
static void loop_barrier(void)
{
	loop_call(loop, noop_fn, NULL);
}

/* ---- expiry in real time ------------------------------------------------------------------ */

START_TEST(oneshot_real_time)
{
	struct hv_timer_message_payload p;
	uint64_t deadline, t0;

	synic_on(0);
	test_loop_start(&tl);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	t0 = test_now_ms();
	deadline = ref_now() + 200000;	/* 20 ms */
	wr(0, COUNT(0), deadline);
	ck_assert(WAIT_UNTIL(slot_type(0, 2) != HVMSG_NONE, 5000));
	/* Never early: by the reference clock, and by the wall clock. */
	ck_assert_uint_ge(ref_now(), deadline);
	ck_assert_uint_ge(test_now_ms() - t0, 15);
	p = slot_timer(0, 2);
	ck_assert_uint_eq(p.timer_index, 0);
	ck_assert_uint_eq(p.expiration_time, deadline);
	ck_assert_uint_ge(p.delivery_time, deadline);
	ck_assert(WAIT_UNTIL(inj_count() == 1, 10000));
	ck_assert_uint_eq(inj_count_of(0, VEC), 1);
	ck_assert(WAIT_UNTIL(!(rd(0, CONFIG(0)) & HV_STIMER_ENABLE), 10000));
	/* and only once */
	guest_done(0, 2);
	usleep(50000);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 1);
}
END_TEST

static void pause_fn(void *opaque)
{
	hv_pause(opaque);
}

static void resume_fn(void *opaque)
{
	hv_resume(opaque);
}

/* A paused VM: reference time stands still, no timer fires, and on resume the timer
 * fires when the guest's clock reaches its deadline, not at once. */
START_TEST(pause_holds_timers)
{
	uint64_t deadline, held, t0;

	synic_on(0);
	test_loop_start(&tl);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	deadline = ref_now() + 1000000;	/* 100 ms */
	wr(0, COUNT(0), deadline);
	loop_call(loop, pause_fn, hv);
	held = ref_now();
	ck_assert_uint_lt(held, deadline);
	usleep(300000);	/* the pause under test: 3 times the timer's delay */
	ck_assert_uint_eq(ref_now(), held);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 0);
	t0 = test_now_ms();
	loop_call(loop, resume_fn, hv);
	/* Reference time goes on from where it stood: no more than the time since the
	 * resume began (+ 5 ms), nowhere near the 300 ms of the pause. */
	ck_assert_uint_lt(ref_now() - held, (test_now_ms() - t0) * 10000 + 50000);
	ck_assert(WAIT_UNTIL(slot_type(0, 2) != HVMSG_NONE, 5000));
	ck_assert_uint_ge(test_now_ms() - t0, (deadline - held) / 10000 - 5);
	ck_assert_uint_eq(slot_timer(0, 2).expiration_time, deadline);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 1);
}
END_TEST

START_TEST(past_deadline_real_time)
{
	uint64_t t0;

	synic_on(1);
	test_loop_start(&tl);
	wr(1, CONFIG(3), CFG_MSG_AUTO);
	t0 = test_now_ms();
	wr(1, COUNT(3), ref_now() > 10 ? ref_now() - 10 : 1);
	ck_assert(WAIT_UNTIL(slot_type(1, 2) == HVMSG_TIMER_EXPIRED, 2000));
	ck_assert_uint_lt(test_now_ms() - t0, 1000);
	ck_assert_uint_eq(slot_timer(1, 2).timer_index, 3);
}
END_TEST

START_TEST(periodic_real_time)
{
	unsigned n, later;
	uint64_t t0, ms;

	test_loop_start(&tl);
	t0 = test_now_ms();
	wr(0, COUNT(1), 50000);	/* 5 ms */
	wr(0, CONFIG(1), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_DIRECT | (0xedull << 4));
	/* It goes on firing: 10 expiries, however loaded the machine, and never more
	 * than the periods that passed (late ones coalesce). */
	ck_assert_msg(WAIT_UNTIL(inj_count_of(0, 0xed) >= 10, 10000), "%u expiries of a 5 ms timer in 10 s",
		      inj_count_of(0, 0xed));
	n = inj_count_of(0, 0xed);
	ms = test_now_ms() - t0;
	ck_assert_msg(n <= ms / 5 + 1, "%u expiries of a 5 ms timer in %llu ms", n, (unsigned long long)ms);
	ck_assert(rd(0, CONFIG(1)) & HV_STIMER_ENABLE);
	wr(0, CONFIG(1), 0);
	loop_barrier();	/* an expiry the loop was handling when it was disabled is done */
	n = inj_count_of(0, 0xed);
	/* Disabled, it fires no more: not in 50 ms, ten of its periods. */
	usleep(50000);
	later = inj_count_of(0, 0xed);
	ck_assert_uint_eq(later, n);
	ck_assert_uint_eq(inj_count(), n);
}
END_TEST

START_TEST(busy_slot_real_time)
{
	uint8_t payload[4] = { 9, 9, 9, 9 };

	synic_on(0);
	test_loop_start(&tl);
	ck_assert_int_eq(synic_post_message(hv_synic(hv), 0, 2, 1, 0, payload, sizeof(payload)), 0);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	wr(0, COUNT(0), ref_now() + 20000);	/* 2 ms */
	ck_assert(WAIT_UNTIL(stimers_expirations(hv->stimers) == 1, 5000));
	loop_barrier();	/* the expiry's attempt to post is done */
	ck_assert_uint_eq(slot_type(0, 2), 1);
	ck_assert(slot(0, 2)->header.message_flags & HV_MESSAGE_PENDING);
	guest_done(0, 2);
	ck_assert_uint_eq(slot_timer(0, 2).timer_index, 0);
}
END_TEST

START_TEST(reset_stops_real_time)
{
	synic_on(0);
	test_loop_start(&tl);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	wr(0, COUNT(0), ref_now() + 300000);	/* 30 ms */
	wr(0, COUNT(1), 20000);
	wr(0, CONFIG(1), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_DIRECT | (0xeeull << 4));
	hv_reset(hv);
	usleep(100000);
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 0);
	ck_assert_uint_eq(inj_count(), 0);
	ck_assert(page_is_zero(SIMP_GPA(0)));
	for (unsigned t = 0; t < HV_STIMER_COUNT; t++) {
		ck_assert_uint_eq(rd(0, CONFIG(t)), 0);
		ck_assert_uint_eq(rd(0, COUNT(t)), 0);
	}
}
END_TEST

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * A guest may write any 64-bit period (the TLFS lets COUNT wrap "with no effect on
 * the behavior of the timer"). A period of 2^63 ticks or more (29,000 years) must not
 * expire now, nor again and again, and the event loop must sleep meanwhile.
 */
static void huge_period(uint64_t count)
{
	uint64_t c0, c1;

	synic_on(0);
	test_loop_start(&tl);
	wr(0, COUNT(0), count);
	wr(0, CONFIG(0), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | (2ull << HV_STIMER_SINT_SHIFT));
	loop_barrier();	/* the loop has handled the writes */
	c0 = cpu_ns();
	usleep(200000);
	c1 = cpu_ns();
	ck_assert_msg(stimers_expirations(hv->stimers) == 0, "period 0x%llx: %llu expirations at once",
		      (unsigned long long)count, (unsigned long long)stimers_expirations(hv->stimers));
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 0);
	ck_assert_msg(c1 - c0 < 100000000ull, "period 0x%llx: %llu ms of CPU in 200 ms of sleep",
		      (unsigned long long)count, (unsigned long long)((c1 - c0) / 1000000));
}

START_TEST(huge_period_2_63)
{
	huge_period(1ull << 63);
}
END_TEST

START_TEST(huge_period_3_2_62)
{
	huge_period(0xc000000000000000ull);
}
END_TEST

START_TEST(huge_period_max)
{
	huge_period(0xffffffffffffffffull);
}
END_TEST

/*
 * A one-shot 2^62 ticks away (14,600 years) is armed and left alone: the event
 * loop must sleep, not wake up over and over to find it not yet due.
 */
START_TEST(far_deadline_loop_sleeps)
{
	uint64_t c0, c1;

	synic_on(0);
	test_loop_start(&tl);
	wr(0, CONFIG(0), CFG_MSG_AUTO);
	wr(0, COUNT(0), ref_now() + (1ull << 62));
	ck_assert(rd(0, CONFIG(0)) & HV_STIMER_ENABLE);
	loop_barrier();	/* the loop has handled the writes */
	c0 = cpu_ns();
	usleep(300000);
	c1 = cpu_ns();
	ck_assert_msg(c1 - c0 < 100000000ull, "the process used %llu ms of CPU in 300 ms of sleep",
		      (unsigned long long)((c1 - c0) / 1000000));
	ck_assert_uint_eq(stimers_expirations(hv->stimers), 0);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
}
END_TEST

static Suite *stimer_suite(void)
{
	Suite *s = suite_create("stimer");
	TCase *tr = tcase_create("registers");
	TCase *th = tcase_create("by_hand");
	TCase *tt = tcase_create("real_time");

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, config_reserved_bits);
	tcase_add_test(tr, config_count_read_back);
	tcase_add_test(tr, direct_needs_feature);
	tcase_add_test(tr, count_zero_disables);
	tcase_add_test(tr, auto_enable);
	tcase_add_test(tr, enable_without_sint_disables);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(th, setup, teardown);
	tcase_add_test(th, oneshot_at_deadline);
	tcase_add_test(th, past_deadline_fires_at_once);
	tcase_add_test(th, periodic_by_hand);
	tcase_add_test(th, direct_mode_injects_vector);
	tcase_add_test(th, busy_slot_waits_for_eom);
	tcase_add_test(th, delivery_time_is_when_written);
	tcase_add_test(th, reset_stops_by_hand);
	suite_add_tcase(s, th);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, oneshot_real_time);
	tcase_add_test(tt, past_deadline_real_time);
	tcase_add_test(tt, periodic_real_time);
	tcase_add_test(tt, busy_slot_real_time);
	tcase_add_test(tt, reset_stops_real_time);
	tcase_add_test(tt, pause_holds_timers);
	tcase_add_test(tt, huge_period_2_63);
	tcase_add_test(tt, huge_period_3_2_62);
	tcase_add_test(tt, huge_period_max);
	tcase_add_test(tt, far_deadline_loop_sleeps);
	suite_add_tcase(s, tt);
	return s;
}

/* The host TSC rate, so that reference time runs at the wall clock's pace. */
static uint64_t measure_tsc_hz(void)
{
	uint64_t t0 = loop_now_ns(), c0 = hv_rdtsc(), t1, c1;

	usleep(100000);
	t1 = loop_now_ns();
	c1 = hv_rdtsc();
	return (uint64_t)(((unsigned __int128)(c1 - c0) * 1000000000ull) / (t1 - t0));
}

int main(void)
{
	tsc_hz = measure_tsc_hz();
	return test_main(stimer_suite());
}
