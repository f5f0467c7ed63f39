/* SPDX-License-Identifier: MIT */
/*
 * The heartbeat integration component (src/devices/ic.c) against a simulated guest: the
 * beats a guest that answers sees, the state the host derives, and what a guest that
 * stops reading its ring gets (one beat, not a ring filled with them).
 */
#include <check.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "guest_fixture.h"
#include "guid.h"
#include "ic.h"
#include "kvp_guest.h"
#include "loop.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"

#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define RING_PAGES	4
#define HB_CLASS	"57164f39-9115-4e78-ab55-382f3bd5422d"
#define PERIOD_NS	(20 * 1000 * 1000ull)
#define MISSED		3	/* unanswered beats before the host calls the guest lost */

static struct gf f;
static struct ic *hb;
static struct vg_chan ch;
static struct kvp_guest kg;	/* only its packet reader and writer */
static uint8_t pkt[KG_PKT];

struct hb_state {
	enum ic_heartbeat_state st;
	uint64_t seq;
	unsigned changes;
};
static struct hb_state seen;	/* written by the notify hook on the loop thread */

static void on_change(void *opaque, enum ic_heartbeat_state st, uint64_t seq)
{
	(void)opaque;
	seen.st = st;
	seen.seq = seq;
	seen.changes++;
}

struct q {
	struct hb_state s;
	uint64_t period;
};

static void do_query(void *opaque)
{
	struct q *q = opaque;

	q->s = seen;
	q->s.st = ic_heartbeat_state(hb, &q->s.seq);
}

static void do_period(void *opaque)
{
	ic_set_period(hb, ((struct q *)opaque)->period);
}

static struct hb_state state(void)
{
	struct q q;

	vg_call(&f.g, do_query, &q);
	return q.s;
}

static bool is_lost(struct vg *gu, void *ctx)
{
	(void)gu, (void)ctx;
	return state().st == IC_HEARTBEAT_LOST;
}

/* Answer the negotiation as Linux's hv_utils does for the heartbeat: 3.0 and 3.0. */
static void negotiate(void)
{
	uint16_t nf, nm, v[4] = { 3, 0, 3, 0 }, size = 0x10;
	int len = kvp_guest_read(&kg, pkt, VG_TMO);

	ck_assert_int_ge(len, KG_BODY + 8);
	ck_assert_uint_eq(pkt[KG_MSGTYPE], 0);
	nf = nm = 1;
	memcpy(pkt + KG_BODY, &nf, 2);
	memcpy(pkt + KG_BODY + 2, &nm, 2);
	memcpy(pkt + KG_BODY + 8, v, 8);
	memcpy(pkt + KG_MSGSIZE, &size, 2);
	pkt[KG_FLAGS] = 1 | 4;
	memset(pkt + KG_STATUS, 0, 4);
	kvp_guest_send(&kg, pkt, len);
}

/* The next beat: its sequence number. */
static uint64_t read_beat(int *len)
{
	uint64_t seq;

	*len = kvp_guest_read(&kg, pkt, VG_TMO);
	ck_assert_int_ge(*len, KG_BODY + 8);
	ck_assert_uint_eq(pkt[KG_MSGTYPE], 1);		/* heartbeat */
	ck_assert_uint_eq(pkt[KG_FLAGS], 1 | 2);	/* TRANSACTION | REQUEST */
	memcpy(&seq, pkt + KG_BODY, 8);
	return seq;
}

/* Answer the beat in pkt as hv_utils does: its sequence number plus one. */
static void answer_beat(int len, uint64_t seq)
{
	seq++;
	memcpy(pkt + KG_BODY, &seq, 8);
	pkt[KG_FLAGS] = 1 | 4;
	memset(pkt + KG_STATUS, 0, 4);
	kvp_guest_send(&kg, pkt, len);
}

static void setup(void)
{
	struct q q = { .period = PERIOD_NS };

	memset(&seen, 0, sizeof(seen));
	gf_init(&f);
	hb = ic_heartbeat_new(f.g.bus, f.g.loop);
	ck_assert_ptr_nonnull(hb);
	ic_heartbeat_set_notify(hb, on_change, NULL);
	gf_start(&f, 1);
	vg_call(&f.g, do_period, &q);
	gf_open(&f, &ch, HB_CLASS, RING_GPA, RING_PAGES);
	kvp_guest_init(&kg, &ch);
	negotiate();
}

static void teardown(void)
{
	gf_stop(&f);
	ic_free(hb);
	gf_destroy(&f);
}

START_TEST(answered_beats_keep_the_guest_alive)
{
	uint64_t want = 0;
	int len;

	for (unsigned i = 0; i < 5; i++) {
		uint64_t seq = read_beat(&len);

		ck_assert_uint_eq(seq, want);
		answer_beat(len, seq);
		want = seq + 1;
	}
	ck_assert(WAIT_UNTIL(state().seq == want, VG_TMO));
	ck_assert_int_eq(state().st, IC_HEARTBEAT_ALIVE);
	ck_assert_uint_eq(state().changes, 1);	/* none → alive, once */
}
END_TEST

START_TEST(a_silent_guest_gets_one_beat)
{
	struct hb_state s0;
	int len;
	uint64_t seq;

	seq = read_beat(&len);
	answer_beat(len, seq);
	seq = read_beat(&len);		/* this one stays unanswered */
	ck_assert_msg(vg_wait(&f.g, is_lost, NULL, VG_TMO), "the guest never counted as lost");
	/* many periods later: still no second beat in the ring */
	for (unsigned i = 0; i < 4 * MISSED; i++) {
		struct hb_state s = state();

		ck_assert_int_eq(s.st, IC_HEARTBEAT_LOST);
		usleep(PERIOD_NS / 1000);
	}
	ck_assert_int_lt(kvp_guest_read(&kg, pkt + 1024, 0), 0);
	/* the late answer brings it back, and the beats go on from there; the state is
	 * taken at the moment it is seen alive (the next beat, never answered, makes the
	 * guest lost again 3 periods later, which a slow test thread may well see) */
	answer_beat(len, seq);
	ck_assert(WAIT_UNTIL((s0 = state()).st == IC_HEARTBEAT_ALIVE, VG_TMO));
	ck_assert_uint_eq(s0.changes, 3);	/* alive, lost, alive */
	ck_assert_uint_eq(read_beat(&len), seq + 1);
}
END_TEST

START_TEST(wrong_answers_do_not_count)
{
	int len;
	uint64_t seq = read_beat(&len);

	answer_beat(len, seq + 5);	/* not this beat's number plus one */
	for (unsigned i = 0; i < 4 * MISSED; i++)
		usleep(PERIOD_NS / 1000);
	ck_assert_int_eq(state().st, IC_HEARTBEAT_NONE);
	ck_assert_uint_eq(state().changes, 0);
	ck_assert_int_lt(kvp_guest_read(&kg, pkt, 0), 0);	/* and no second beat */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ic_heartbeat");
	TCase *tc = tcase_create("beats");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, answered_beats_keep_the_guest_alive);
	tcase_add_test(tc, a_silent_guest_gets_one_beat);
	tcase_add_test(tc, wrong_answers_do_not_count);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
