/* SPDX-License-Identifier: MIT */
/*
 * The VSS integration component (src/devices/ic_vss.c): freeze, thaw, the automatic
 * thaw and the state hvkvm keeps, against a simulated guest that answers as Linux's
 * hv_utils and hv_vss_daemon do (vss_guest.c), and against answers no guest should send:
 * unknown operations, out-of-order transactions, short packets.
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "ic.h"
#include "loop.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vss_guest.h"

#define RAM		(16ull << 20)
#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define RING_PAGES	4
#define VSS_CLASS	"35fa2e29-ea23-4236-96ae-3a6ebacba440"
#define VSS_INSTANCE	"2450ee40-33bf-4fbd-892e-9fb06e9214cf"
#define E_FAIL		0x80004005u
#define MS		1000000ull

static struct vg g;
static struct ic *vss;
static struct vg_chan ch;
static struct vmbus_msg_offer_channel offer;
static struct vss_guest vs;
static uint8_t pkt[VSG_PKT];
static uint32_t next_gpadl = 0x100;

/* ---- what the host's side says, recorded on the loop ----------------------------------- */

struct res {
	atomic_int done;
	int err;
	uint32_t status;
};

static void on_result(void *opaque, int err, uint32_t status)
{
	struct res *x = opaque;

	x->err = err;
	x->status = status;
	atomic_store(&x->done, 1);
}

#define MAX_EV 64
static struct {
	enum ic_vss_state state, prev;
	const char *reason;
} ev[MAX_EV];
static atomic_uint nev;

static void on_state(void *opaque, enum ic_vss_state state, enum ic_vss_state prev, const char *reason)
{
	unsigned n = atomic_load(&nev);

	(void)opaque;
	if (n < MAX_EV) {
		ev[n].state = state;
		ev[n].prev = prev;
		ev[n].reason = reason;
		atomic_store(&nev, n + 1);
	}
}

enum { C_FREEZE, C_THAW, C_STATE, C_STATUS, C_TIMEOUT, C_PAUSE, C_RESUME, C_RESET, C_NOTIFY };

struct call {
	int what;
	uint64_t ns;
	struct res *res;
	int ret;
	enum ic_vss_state st;
	uint64_t left;
	struct ic_status s;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;
	ic_vss_fn *on = c->res ? on_result : NULL;

	switch (c->what) {
	case C_FREEZE: c->ret = ic_vss_freeze(vss, c->ns, on, c->res); break;
	case C_THAW: c->ret = ic_vss_thaw(vss, on, c->res); break;
	case C_STATE: c->st = ic_vss_get_state(vss, &c->left); break;
	case C_STATUS: ic_get_status(vss, &c->s); break;
	case C_TIMEOUT: ic_set_request_timeout(vss, c->ns); break;
	case C_PAUSE: ic_pause(vss); break;
	case C_RESUME: ic_resume(vss); break;
	case C_RESET: ic_vss_reset(vss); break;
	case C_NOTIFY: ic_vss_set_notify(vss, on_state, NULL); break;
	}
}

static int host(int what, uint64_t ns, struct res *res)
{
	struct call c = { .what = what, .ns = ns, .res = res };

	if (res)
		atomic_store(&res->done, 0);
	vg_call(&g, do_call, &c);
	return c.ret;
}

static enum ic_vss_state state(uint64_t *left)
{
	struct call c = { .what = C_STATE };

	vg_call(&g, do_call, &c);
	if (left)
		*left = c.left;
	return c.st;
}

static struct ic_status status(void)
{
	struct call c = { .what = C_STATUS };

	vg_call(&g, do_call, &c);
	return c.s;
}

static bool res_done(struct vg *gu, void *ctx)
{
	(void)gu;
	return atomic_load(&((struct res *)ctx)->done);
}

static void wait_res(struct res *r)
{
	ck_assert_msg(vg_wait(&g, res_done, r, VG_TMO), "the request did not end");
}

/* The i-th state change was to st, for reason. */
static void expect_ev(unsigned i, enum ic_vss_state st, const char *reason)
{
	ck_assert_msg(WAIT_UNTIL(atomic_load(&nev) > i, VG_TMO), "no state change %u", i);
	ck_assert_str_eq(ic_vss_state_name(ev[i].state), ic_vss_state_name(st));
	ck_assert_str_eq(ev[i].reason, reason);
}

/* ---- setup ------------------------------------------------------------------------------- */

static void open_chan(void)
{
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, next_gpadl++, RING_GPA, RING_PAGES, RING_PAGES, 0), 0);
}

static void setup_unnegotiated(void)
{
	struct vmbus_guid class;

	vg_init(&g, RAM, 1);
	vss = ic_vss_new(g.bus, g.loop);
	ck_assert_ptr_nonnull(vss);
	atomic_store(&nev, 0);
	host(C_NOTIFY, 0, NULL);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, &offer, 1), 1);
	ck_assert_int_eq(vmbus_guid_parse(VSS_CLASS, &class), 0);
	ck_assert_mem_eq(&offer.offer.if_type, &class, 16);
	memset(&ch, 0, sizeof(ch));
	open_chan();
	vss_guest_init(&vs, &ch);
}

static void setup(void)
{
	int len;

	setup_unnegotiated();
	len = vss_guest_read(&vs, pkt, VG_TMO);
	ck_assert_int_gt(len, 0);
	vss_guest_negotiate(&vs, pkt, len);
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
}

static void teardown(void)
{
	vss_guest_stop(&vs);
	vg_stop(&g);
	ic_free(vss);
	vg_destroy(&g);
}

/* The request the host sent: its operation, after checking what Linux relies on. */
static int read_request(int *len_out)
{
	int len = vss_guest_read(&vs, pkt, VG_TMO);
	uint16_t msgsize;

	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq(pkt[VSG_MSGTYPE], 5);
	ck_assert_uint_eq(pkt[VSG_FLAGS], 1 | 2);	/* TRANSACTION | REQUEST */
	memcpy(&msgsize, pkt + VSG_MSGSIZE, 2);
	ck_assert_uint_eq(msgsize, 12);		/* hv_vss_msg */
	ck_assert_int_eq(len, VSG_BODY + 12);
	for (int i = 1; i < 12; i++)
		ck_assert_uint_eq(pkt[VSG_BODY + i], 0);
	if (len_out)
		*len_out = len;
	return pkt[VSG_BODY];
}

static uint64_t trans_of(void)
{
	uint64_t t;

	memcpy(&t, pkt + 8, 8);
	return t;
}

static void set_trans(uint64_t t)
{
	memcpy(pkt + 8, &t, 8);
}

/* Answer the request just read with status. */
static void answer(int len, uint32_t st)
{
	vss_guest_answer(&vs, pkt, len, st);
}

/* A freeze answered by the guest; the state is then FROZEN. */
static void frozen(uint64_t hold_ns)
{
	struct res r;
	int len;

	ck_assert_int_eq(host(C_FREEZE, hold_ns, &r), 0);
	ck_assert_int_eq(read_request(&len), 5);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_int_eq(state(NULL), IC_VSS_FROZEN);
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(negotiation)
{
	struct ic_status st;
	uint16_t v[6];
	int len;

	setup_unnegotiated();
	ck_assert_int_eq(host(C_FREEZE, 1000 * MS, NULL), -ENODEV);
	ck_assert_int_eq(host(C_THAW, 0, NULL), -ENODEV);
	len = vss_guest_read(&vs, pkt, VG_TMO);
	ck_assert_int_gt(len, 0);
	/* framework 1.0 and 3.0, message 5.0 only (FREEZE and THAW) */
	memcpy(v, pkt + VSG_BODY, 4);
	ck_assert_uint_eq(v[0], 2);
	ck_assert_uint_eq(v[1], 1);
	memcpy(v, pkt + VSG_BODY + 8, 12);
	ck_assert(v[4] == 5 && v[5] == 0);
	vss_guest_negotiate(&vs, pkt, len);
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	st = status();
	ck_assert_uint_eq(st.major, 5);
	ck_assert_str_eq(st.instance_id, VSS_INSTANCE);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
	ck_assert_uint_eq(atomic_load(&nev), 0);
}
END_TEST

START_TEST(freeze_then_thaw)
{
	struct res r;
	uint64_t left;
	int len;

	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	ck_assert_int_eq(state(NULL), IC_VSS_FREEZING);
	expect_ev(0, IC_VSS_FREEZING, "request");
	ck_assert_int_eq(read_request(&len), 5);
	ck_assert(!atomic_load(&r.done));
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_int_eq(state(&left), IC_VSS_FROZEN);
	ck_assert(left > 9000 * MS && left <= 10000 * MS);
	expect_ev(1, IC_VSS_FROZEN, "guest");
	ck_assert_int_eq(ev[1].prev, IC_VSS_FREEZING);

	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	ck_assert_int_eq(state(&left), IC_VSS_THAWING);
	ck_assert_uint_eq(left, 0);
	expect_ev(2, IC_VSS_THAWING, "request");
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
	expect_ev(3, IC_VSS_THAWED, "guest");
	/* a thaw with nothing frozen still asks the guest */
	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
	ck_assert_uint_eq(atomic_load(&nev), 6);
}
END_TEST

START_TEST(automatic_thaw)
{
	int len;

	/* Frozen for 150 ms, then the IC thaws by itself. */
	frozen(150 * MS);
	ck_assert_int_eq(read_request(&len), 6);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWING);
	expect_ev(2, IC_VSS_THAWING, "timeout");
	answer(len, 0);
	ck_assert(WAIT_UNTIL(state(NULL) == IC_VSS_THAWED, VG_TMO));
	expect_ev(3, IC_VSS_THAWED, "guest");
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
}
END_TEST

START_TEST(thaw_cancels_the_timer)
{
	struct res r;
	int len;

	frozen(1000 * MS);
	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r);
	/* no second THAW when the second is over */
	ck_assert_int_lt(vss_guest_read(&vs, pkt, 1300), 0);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
}
END_TEST

START_TEST(refused)
{
	struct res r, r2;
	int len;

	ck_assert_int_eq(host(C_FREEZE, 0, NULL), -EINVAL);
	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	ck_assert_int_eq(host(C_FREEZE, 1000 * MS, NULL), -EBUSY);
	ck_assert_int_eq(read_request(&len), 5);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(host(C_FREEZE, 1000 * MS, NULL), -EALREADY);
	ck_assert_int_eq(host(C_THAW, 0, &r2), 0);
	ck_assert_int_eq(host(C_FREEZE, 1000 * MS, NULL), -EBUSY);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r2);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
}
END_TEST

START_TEST(guest_fails)
{
	struct res r;
	int len;

	/* no daemon: Linux answers E_FAIL at once, nothing is frozen */
	ck_assert_int_eq(host(C_FREEZE, 1000 * MS, &r), 0);
	ck_assert_int_eq(read_request(&len), 5);
	answer(len, E_FAIL);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.status, E_FAIL);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
	expect_ev(1, IC_VSS_THAWED, "failed");
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
	/* a failed thaw: nobody knows */
	frozen(10000 * MS);
	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, E_FAIL);
	wait_res(&r);
	ck_assert_uint_eq(r.status, E_FAIL);
	ck_assert_int_eq(state(NULL), IC_VSS_UNKNOWN);
}
END_TEST

START_TEST(freeze_not_answered)
{
	struct res r;
	uint64_t t;
	int len, len2;

	/* The guest sits on the FREEZE: the caller hears of it, and a THAW follows it. */
	host(C_TIMEOUT, 100 * MS, NULL);
	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	/* the FREEZE keeps its 100 ms; the THAW after it gets the usual time */
	host(C_TIMEOUT, 0, NULL);
	ck_assert_int_eq(read_request(&len), 5);
	t = trans_of();
	wait_res(&r);
	ck_assert_int_eq(r.err, -ETIMEDOUT);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWING);
	/* the late answer is dropped by its trans_id */
	answer(len, 0);
	ck_assert(WAIT_UNTIL(status().dropped == 1, VG_TMO));
	ck_assert_int_eq(read_request(&len2), 6);
	ck_assert_uint_eq(trans_of(), t + 1);
	answer(len2, 0);
	ck_assert(WAIT_UNTIL(state(NULL) == IC_VSS_THAWED, VG_TMO));
	expect_ev(1, IC_VSS_THAWING, "timeout");
	expect_ev(2, IC_VSS_THAWED, "guest");
}
END_TEST

START_TEST(thaw_while_freezing)
{
	struct res r, r2;
	int len;

	/* THAW waits behind the FREEZE the guest is doing, and the freeze is not held. */
	ck_assert_int_eq(host(C_FREEZE, 100 * MS, &r), 0);
	ck_assert_int_eq(host(C_THAW, 0, &r2), 0);
	ck_assert_int_eq(state(NULL), IC_VSS_FREEZING);
	ck_assert_uint_eq(status().queued, 2);
	ck_assert_int_eq(read_request(&len), 5);
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWING);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r2);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
	/* no THAW of the timer's own */
	ck_assert_int_lt(vss_guest_read(&vs, pkt, 300), 0);
}
END_TEST

START_TEST(malformed_answers)
{
	struct res r;
	uint64_t t;
	int len, len2;

	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	ck_assert_int_eq(read_request(&len), 5);
	t = trans_of();
	/* out of order: another trans_id; no response flag; another message type; a packet
	 * cut short of its IC header's size; none of them is the answer */
	set_trans(t + 7);
	answer(len, 0);
	set_trans(t);
	pkt[VSG_FLAGS] = 1;
	ck_assert_int_eq(vg_send(&ch, VM_PKT_DATA_INBAND, 0, t, pkt + 16, (uint32_t)len - 16), 0);
	pkt[VSG_MSGTYPE] = 2;
	answer(len, 0);
	pkt[VSG_MSGTYPE] = 5;
	ck_assert_int_eq(vg_send(&ch, VM_PKT_DATA_INBAND, 0, t, pkt + 16, VSG_BODY - 16 + 4), 0);
	ck_assert(WAIT_UNTIL(status().dropped == 3, VG_TMO));
	ck_assert(!atomic_load(&r.done));
	ck_assert_int_eq(state(NULL), IC_VSS_FREEZING);
	/* an unknown operation in the answer: malformed, and a THAW follows */
	pkt[VSG_BODY] = 99;
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, -EPROTO);
	ck_assert_int_eq(read_request(&len2), 6);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWING);
	answer(len2, 0);
	ck_assert(WAIT_UNTIL(state(NULL) == IC_VSS_THAWED, VG_TMO));

	/* an answer shorter than hv_vss_msg (its IC header says 4 bytes) */
	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	ck_assert_int_eq(read_request(&len), 5);
	pkt[VSG_MSGSIZE] = 4;
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, -EPROTO);
	ck_assert_int_eq(read_request(&len), 6);
	/* the same answer twice: the second matches nothing */
	answer(len, 0);
	ck_assert(WAIT_UNTIL(state(NULL) == IC_VSS_THAWED, VG_TMO));
	t = status().dropped;
	answer(len, 0);
	ck_assert(WAIT_UNTIL(status().dropped == t + 1, VG_TMO));
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);

	ck_assert_int_eq(ic_vss_check_answer((const uint8_t *)"\x05", 1, 5), -EPROTO);
	ck_assert_int_eq(ic_vss_check_answer((const uint8_t *)"\x05\0\0\0\0\0\0\0\0\0\0\0", 12, 5), 0);
	ck_assert_int_eq(ic_vss_check_answer((const uint8_t *)"\x06\0\0\0\0\0\0\0\0\0\0\0", 12, 5), -EPROTO);
}
END_TEST

START_TEST(guest_sends_garbage)
{
	static uint8_t junk[600];
	struct res r;
	int len;

	/* packets the guest sends of its own: requests, other packet types, nothing */
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_int_eq(vg_send(&ch, VM_PKT_DATA_INBAND, 0, 1, junk, sizeof(junk)), 0);
	ck_assert_int_eq(vg_send(&ch, VM_PKT_DATA_INBAND, 0, 1, junk, 3), 0);
	ck_assert_int_eq(vg_send(&ch, VM_PKT_COMP, 0, 1, junk, 40), 0);
	frozen(10000 * MS);
	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
}
END_TEST

START_TEST(channel_closes_while_frozen)
{
	int len;

	frozen(10000 * MS);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(state(NULL) == IC_VSS_UNKNOWN, VG_TMO));
	expect_ev(2, IC_VSS_UNKNOWN, "closed");
	ck_assert_int_eq(host(C_THAW, 0, NULL), -ENODEV);
	/* Reopened and negotiated: the IC thaws, to be sure. */
	open_chan();
	ck_assert(vss_guest_serve(&vs, VG_TMO));
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	ck_assert_int_eq(read_request(&len), 6);
	expect_ev(3, IC_VSS_THAWING, "recover");
	answer(len, 0);
	ck_assert(WAIT_UNTIL(state(NULL) == IC_VSS_THAWED, VG_TMO));
}
END_TEST

START_TEST(channel_closes_while_freezing)
{
	struct res r;

	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	ck_assert_int_eq(read_request(NULL), 5);
	vg_close(&g, &ch);
	wait_res(&r);
	ck_assert_int_eq(r.err, -EPIPE);
	ck_assert_int_eq(state(NULL), IC_VSS_UNKNOWN);
	/* the VM restarts: nothing of it is frozen */
	host(C_RESET, 0, NULL);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
	expect_ev(2, IC_VSS_THAWED, "reset");
	open_chan();
	ck_assert(vss_guest_serve(&vs, VG_TMO));
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	ck_assert_int_lt(vss_guest_read(&vs, pkt, 200), 0);
}
END_TEST

START_TEST(paused)
{
	struct res r;
	int len;

	/* A paused guest cannot answer: the FREEZE waits and goes on resume. */
	host(C_PAUSE, 0, NULL);
	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
	host(C_RESUME, 0, NULL);
	ck_assert_int_eq(read_request(&len), 5);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(state(NULL), IC_VSS_FROZEN);
	/* the timer runs on while paused; its THAW goes on resume */
	host(C_PAUSE, 0, NULL);
	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	ck_assert_int_lt(vss_guest_read(&vs, pkt, 100), 0);
	host(C_RESUME, 0, NULL);
	ck_assert_int_eq(read_request(&len), 6);
	answer(len, 0);
	wait_res(&r);
	ck_assert_int_eq(state(NULL), IC_VSS_THAWED);
}
END_TEST

START_TEST(daemon_thread)
{
	struct res r;

	vss_guest_start(&vs);
	ck_assert_int_eq(host(C_FREEZE, 10000 * MS, &r), 0);
	wait_res(&r);
	ck_assert(atomic_load(&vs.frozen));
	ck_assert_int_eq(host(C_THAW, 0, &r), 0);
	wait_res(&r);
	ck_assert(!atomic_load(&vs.frozen));
	ck_assert_uint_eq(atomic_load(&vs.freezes), 1);
	ck_assert_uint_eq(atomic_load(&vs.thaws), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ic_vss");
	TCase *tc = tcase_create("negotiation");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, negotiation);
	suite_add_tcase(s, tc);
	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, freeze_then_thaw);
	tcase_add_test(tc, automatic_thaw);
	tcase_add_test(tc, thaw_cancels_the_timer);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, guest_fails);
	tcase_add_test(tc, freeze_not_answered);
	tcase_add_test(tc, thaw_while_freezing);
	tcase_add_test(tc, malformed_answers);
	tcase_add_test(tc, guest_sends_garbage);
	tcase_add_test(tc, channel_closes_while_frozen);
	tcase_add_test(tc, channel_closes_while_freezing);
	tcase_add_test(tc, paused);
	tcase_add_test(tc, daemon_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
