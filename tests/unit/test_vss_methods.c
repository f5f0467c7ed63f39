/* SPDX-License-Identifier: MIT */
/*
 * guest.freeze, guest.thaw and guest.fsfreeze_status over a real management socket, end
 * to end: the methods (src/mgmt/vss_methods.c), the VSS integration component and a
 * simulated guest whose hv_vss_daemon answers on a thread of its own (vss_guest.c).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ic.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus_guest.h"
#include "vss_guest.h"

#define RAM		(16ull << 20)
#define RING_GPA	(VG_RAM_START + 0x100000ull)

static char dir[64], path[128];
static struct vg g;
static struct vg_chan ch;
static struct vss_guest vs;
static struct vm vm;
static struct machine machine;
static struct mgmt *mgmt;
static struct mgmt_vss *mv;
static struct tc *t;
static struct vmbus_msg_offer_channel offer;

struct st_call {
	struct ic_status st;
};

static void get_status(void *opaque)
{
	ic_get_status(machine.ic_vss, &((struct st_call *)opaque)->st);
}

static struct ic_status vss_status(void)
{
	struct st_call c;

	vg_call(&g, get_status, &c);
	return c.st;
}

static void set_timeout(void *opaque)
{
	ic_set_request_timeout(machine.ic_vss, *(uint64_t *)opaque);
}

static void setup_with(bool negotiate)
{
	char err[256];

	strcpy(dir, "/tmp/hvkvm-vss-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	vg_init(&g, RAM, 1);
	memset(&vm, 0, sizeof(vm));
	vm.loop = g.loop;
	vm.state = VM_STATE_RUNNING;
	memset(&machine, 0, sizeof(machine));
	machine.vm = &vm;
	machine.vmbus = g.bus;
	machine.ic_vss = ic_vss_new(g.bus, g.loop);
	ck_assert_ptr_nonnull(machine.ic_vss);
	mgmt = mgmt_new(g.loop);
	mv = mgmt_vss_methods_new(mgmt, &machine);
	ck_assert_ptr_nonnull(mv);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, &offer, 1), 1);
	memset(&ch, 0, sizeof(ch));
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, 0x100, RING_GPA, 4, 4, 0), 0);
	vss_guest_init(&vs, &ch);
	if (negotiate) {
		vss_guest_start(&vs);
		ck_assert(WAIT_UNTIL(vss_status().negotiated, VG_TMO));
	}
	t = tc_open(path);
}

static void setup(void)
{
	setup_with(true);
}

static void setup_no_driver(void)
{
	setup_with(false);
}

static void free_methods(void *opaque)
{
	(void)opaque;
	mgmt_vss_methods_free(mv);
	mv = NULL;
}

static void teardown(void)
{
	tc_close(t);
	vss_guest_stop(&vs);
	/*
	 * The methods go first, on the loop, as hvkvm frees them before the machine:
	 * stopping the bus closes the channel, and a state change then must not reach
	 * them (it would post an event to a loop that no longer runs).
	 */
	vg_call(&g, free_methods, NULL);
	vg_stop(&g);
	mgmt_free(mgmt, 0);
	ic_free(machine.ic_vss);
	vg_destroy(&g);
	rmdir(dir);
}

static const char *err_msg(struct json_object *r)
{
	return get_str(get(r, "error"), "message");
}

/* The state guest.fsfreeze_status reports. */
static bool status_is(const char *want)
{
	struct json_object *r = rpc_ok(t, "guest.fsfreeze_status", NULL);
	bool ok = !strcmp(get_str(get(r, "result"), "state"), want);

	json_object_put(r);
	return ok;
}

/* The next fsfreeze event: its state and reason ("state/reason"); a reply on the way
 * (with an id) is skipped, its result's state kept in replied. */
static char replied[32];

static const char *next_event(void)
{
	static char buf[64];
	struct json_object *n, *p;

	for (;;) {
		n = tc_recv(t, VG_TMO);
		ck_assert_ptr_nonnull(n);
		if (!has(n, "id"))
			break;
		snprintf(replied, sizeof(replied), "%s", get_str(get(n, "result"), "state"));
		json_object_put(n);
	}
	ck_assert_str_eq(get_str(n, "method"), "event");
	p = get(n, "params");
	ck_assert_str_eq(get_str(p, "type"), "fsfreeze");
	snprintf(buf, sizeof(buf), "%s/%s", get_str(p, "state"), get_str(p, "reason"));
	json_object_put(n);
	return buf;
}

START_TEST(freeze_status_thaw)
{
	struct json_object *r, *res;

	ck_assert(status_is("thawed"));
	r = rpc_ok(t, "guest.freeze", "{\"timeout_s\":30}");
	res = get(r, "result");
	ck_assert_str_eq(get_str(res, "state"), "frozen");
	ck_assert_int_gt(json_object_get_int64(get(res, "thaw_in_ms")), 29000);
	ck_assert(json_object_get_boolean(get(res, "negotiated")));
	json_object_put(r);
	ck_assert(atomic_load(&vs.frozen));
	ck_assert(status_is("frozen"));
	r = rpc_err(t, "guest.freeze", NULL, MGMT_ERR_VM_STATE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "frozen already"));
	json_object_put(r);
	r = rpc_ok(t, "guest.thaw", NULL);
	ck_assert_str_eq(get_str(get(r, "result"), "state"), "thawed");
	ck_assert(json_object_is_type(get(get(r, "result"), "thaw_in_ms"), json_type_null));
	json_object_put(r);
	ck_assert(!atomic_load(&vs.frozen));
	ck_assert(status_is("thawed"));
}
END_TEST

START_TEST(events_and_automatic_thaw)
{
	json_object_put(rpc_ok(t, "events.subscribe", "{\"types\":[\"fsfreeze\"]}"));
	replied[0] = 0;
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"guest.freeze\",\"params\":{\"timeout_s\":1},\"id\":2}");
	ck_assert_str_eq(next_event(), "freezing/request");
	ck_assert_str_eq(next_event(), "frozen/guest");
	/* nobody thaws: hvkvm does after a second */
	ck_assert_str_eq(next_event(), "thawing/timeout");
	ck_assert_str_eq(next_event(), "thawed/guest");
	ck_assert_str_eq(replied, "frozen");
	ck_assert(!atomic_load(&vs.frozen));
	ck_assert_uint_eq(atomic_load(&vs.thaws), 1);
}
END_TEST

START_TEST(freeze_outlives_its_client)
{
	/* The client that froze goes away: the freeze stays, the timer still thaws. */
	json_object_put(rpc_ok(t, "guest.freeze", "{\"timeout_s\":3}"));
	tc_close(t);
	t = tc_open(path);
	ck_assert(status_is("frozen"));
	ck_assert(WAIT_UNTIL(!atomic_load(&vs.frozen), 6000));
	ck_assert(WAIT_UNTIL(status_is("thawed"), VG_TMO));
}
END_TEST

START_TEST(client_goes_away_before_the_answer)
{
	/* The guest is slow; the client leaves; the answer goes nowhere, the state is true. */
	vss_guest_stop(&vs);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"guest.freeze\",\"id\":3}");
	ck_assert(WAIT_UNTIL(vss_status().queued == 1, VG_TMO));
	tc_close(t);
	t = tc_open(path);
	vss_guest_start(&vs);
	ck_assert(WAIT_UNTIL(status_is("frozen"), VG_TMO));
	json_object_put(rpc_ok(t, "guest.thaw", NULL));
}
END_TEST

START_TEST(guest_fails)
{
	struct json_object *r;

	atomic_store(&vs.status, 0x80004005u);
	r = rpc_err(t, "guest.freeze", NULL, MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x80004005");
	ck_assert_ptr_nonnull(strstr(err_msg(r), "hv_vss_daemon"));
	json_object_put(r);
	ck_assert(status_is("thawed"));
}
END_TEST

START_TEST(timeout)
{
	uint64_t ns = 1000000000ull, zero = 0;
	struct json_object *r;

	/* The daemon hangs: the FREEZE (given 1 s) times out, a THAW (the usual 35 s) follows. */
	vss_guest_stop(&vs);
	vg_call(&g, set_timeout, &ns);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"guest.freeze\",\"id\":4}");
	ck_assert(WAIT_UNTIL(vss_status().queued == 1, VG_TMO));
	vg_call(&g, set_timeout, &zero);
	r = tc_recv(t, VG_TMO);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(error_code(r), MGMT_ERR_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "asked it to thaw"));
	json_object_put(r);
	ck_assert(status_is("thawing"));
	r = rpc_err(t, "guest.freeze", NULL, MGMT_ERR_BUSY);
	json_object_put(r);
}
END_TEST

START_TEST(bad_params)
{
	json_object_put(rpc_err(t, "guest.freeze", "{\"timeout_s\":0}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.freeze", "{\"timeout_s\":3601}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.freeze", "{\"timeout_s\":\"5\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.freeze", "{\"timeout\":5}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.thaw", "{\"now\":true}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.fsfreeze_status", "{\"x\":1}", JSONRPC_INVALID_PARAMS));
	ck_assert_uint_eq(atomic_load(&vs.freezes), 0);
}
END_TEST

START_TEST(paused_vm)
{
	struct json_object *r;

	vm.state = VM_STATE_PAUSED;
	r = rpc_err(t, "guest.freeze", NULL, MGMT_ERR_VM_STATE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "paused"));
	json_object_put(r);
	json_object_put(rpc_err(t, "guest.thaw", NULL, MGMT_ERR_VM_STATE));
	ck_assert(status_is("thawed"));
	vm.state = VM_STATE_RUNNING;
}
END_TEST

START_TEST(channel_closes)
{
	struct json_object *r;

	json_object_put(rpc_ok(t, "guest.freeze", NULL));
	vss_guest_stop(&vs);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(status_is("unknown"), VG_TMO));
	r = rpc_err(t, "guest.thaw", NULL, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no driver"));
	json_object_put(r);
}
END_TEST

START_TEST(no_driver)
{
	struct json_object *r;

	/* open, negotiation not answered yet */
	r = rpc_err(t, "guest.freeze", NULL, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "not answered"));
	json_object_put(r);
	r = rpc_ok(t, "guest.fsfreeze_status", NULL);
	ck_assert(!json_object_get_boolean(get(get(r, "result"), "negotiated")));
	ck_assert(json_object_get_boolean(get(get(r, "result"), "open")));
	json_object_put(r);
	vss_guest_start(&vs);
	ck_assert(WAIT_UNTIL(vss_status().negotiated, VG_TMO));
	json_object_put(rpc_ok(t, "guest.freeze", NULL));
	json_object_put(rpc_ok(t, "guest.thaw", NULL));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vss_methods");
	TCase *tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, freeze_status_thaw);
	tcase_add_test(tc, events_and_automatic_thaw);
	tcase_add_test(tc, freeze_outlives_its_client);
	tcase_add_test(tc, client_goes_away_before_the_answer);
	tcase_add_test(tc, guest_fails);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, bad_params);
	tcase_add_test(tc, paused_vm);
	tcase_add_test(tc, channel_closes);
	suite_add_tcase(s, tc);
	tc = tcase_create("no_driver");
	tcase_add_checked_fixture(tc, setup_no_driver, teardown);
	tcase_add_test(tc, no_driver);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
