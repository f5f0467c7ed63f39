/* SPDX-License-Identifier: MIT */
/*
 * The KVP integration component (src/devices/ic_kvp.c) and the request queue of the IC
 * framework, against a simulated guest whose hv_utils and hv_kvp_daemon answer as
 * Linux's do (kvp_guest.c), and against answers no daemon should send.
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "guest_fixture.h"
#include "guid.h"
#include "ic.h"
#include "kvp_guest.h"
#include "loop.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"

#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define RING_PAGES	4	/* per direction with the control page, as hv_utils */
#define KVP_INSTANCE	"242ff919-07db-4180-9c2e-b86cb68c8c55"
#define S_CONT		0x80070103u
#define E_FAIL		0x80004005u

static struct gf f;
static struct ic *kvp;
static struct vg_chan ch;
static struct kvp_guest kg;
static uint8_t pkt[KG_PKT];

/* ---- the host's side, called on the loop ----------------------------------------- */

struct res {
	atomic_int done;
	struct ic_kvp_result r;
};

static void on_result(void *opaque, const struct ic_kvp_result *r)
{
	struct res *x = opaque;

	x->r = *r;
	atomic_store(&x->done, 1);
}

enum { C_SET, C_DELETE, C_ENUM, C_IP, C_STATUS, C_TIMEOUT, C_PAUSE, C_RESUME };

struct call {
	int what;
	unsigned pool;
	uint32_t index;
	const char *key, *value;
	struct res *res;
	uint64_t ns;
	int ret;
	struct ic_status st;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;
	ic_kvp_fn *on = c->res ? on_result : NULL;

	switch (c->what) {
	case C_SET: c->ret = ic_kvp_set(kvp, c->pool, c->key, c->value, on, c->res); break;
	case C_DELETE: c->ret = ic_kvp_delete(kvp, c->pool, c->key, on, c->res); break;
	case C_ENUM: c->ret = ic_kvp_enumerate(kvp, c->pool, c->index, on, c->res); break;
	case C_IP: c->ret = ic_kvp_get_ip_info(kvp, c->key, on, c->res); break;
	case C_STATUS: ic_get_status(kvp, &c->st); break;
	case C_TIMEOUT: ic_set_request_timeout(kvp, c->ns); break;
	case C_PAUSE: ic_pause(kvp); break;
	case C_RESUME: ic_resume(kvp); break;
	}
}

static int host(struct call c)
{
	if (c.res)
		atomic_store(&c.res->done, 0);
	vg_call(&f.g, do_call, &c);
	return c.ret;
}

static struct ic_status status(void)
{
	struct call c = { .what = C_STATUS };

	vg_call(&f.g, do_call, &c);
	return c.st;
}

static bool res_done(struct vg *gu, void *ctx)
{
	(void)gu;
	return atomic_load(&((struct res *)ctx)->done);
}

static void wait_res(struct res *r)
{
	ck_assert_msg(vg_wait(&f.g, res_done, r, VG_TMO), "the request did not end");
}

/* ---- setup -------------------------------------------------------------------------- */

static void open_chan(void)
{
	gf_reopen(&f, &ch, GF_KVP_CLASS, RING_GPA, RING_PAGES);
}

static void setup_unnegotiated(void)
{
	gf_init(&f);
	kvp = ic_kvp_new(f.g.bus, f.g.loop);
	ck_assert_ptr_nonnull(kvp);
	gf_start(&f, 1);
	gf_open(&f, &ch, GF_KVP_CLASS, RING_GPA, RING_PAGES);
	kvp_guest_init(&kg, &ch);
}

static void setup(void)
{
	int len;

	setup_unnegotiated();
	len = kvp_guest_read(&kg, pkt, VG_TMO);
	ck_assert_int_gt(len, 0);
	kvp_guest_negotiate(&kg, pkt, len);
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
}

static void teardown(void)
{
	kvp_guest_stop(&kg);
	gf_stop(&f);
	ic_free(kvp);
	gf_destroy(&f);
}

/* The request the host sent: read it, check the framing Linux relies on. */
static int read_request(void)
{
	int len = kvp_guest_read(&kg, pkt, VG_TMO);
	uint16_t msgsize;

	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq(pkt[KG_MSGTYPE], 2);
	ck_assert_uint_eq(pkt[KG_FLAGS], 1 | 2);	/* TRANSACTION | REQUEST */
	memcpy(&msgsize, pkt + KG_MSGSIZE, 2);
	ck_assert_int_eq(KG_BODY + msgsize, len);
	return len;
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

/* One request through the simulated daemon. */
static void serve(void)
{
	ck_assert(kvp_guest_serve(&kg, VG_TMO));
}

static void set_ok(unsigned pool, const char *key, const char *value)
{
	struct res r;

	ck_assert_int_eq(host((struct call){ C_SET, pool, 0, key, value, &r, 0, 0, { 0 } }), 0);
	serve();
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
}

static struct res *enumerate(unsigned pool, uint32_t index)
{
	static struct res r;

	ck_assert_int_eq(host((struct call){ C_ENUM, pool, index, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	serve();
	wait_res(&r);
	return &r;
}

/* ---- tests -------------------------------------------------------------------------- */

START_TEST(negotiation)
{
	struct ic_status st;
	uint16_t v[2];
	int len;

	setup_unnegotiated();
	/* No daemon yet: Linux does not answer, and nothing can be asked. */
	st = status();
	ck_assert(st.open && !st.answered && !st.negotiated);
	ck_assert_int_eq(host((struct call){ C_ENUM, 0, 0, NULL, NULL, NULL, 0, 0, { 0 } }), -ENODEV);
	len = kvp_guest_read(&kg, pkt, VG_TMO);
	ck_assert_int_gt(len, 0);
	/* framework 1.0 and 3.0, messages 3.0, 4.0 and 5.0 */
	memcpy(v, pkt + KG_BODY, 4);
	ck_assert_uint_eq(v[0], 2);
	ck_assert_uint_eq(v[1], 3);
	kvp_guest_negotiate(&kg, pkt, len);
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	st = status();
	ck_assert(st.answered);
	ck_assert_uint_eq(st.major, 4);
	ck_assert_str_eq(st.instance_id, KVP_INSTANCE);
}
END_TEST

START_TEST(set_enumerate_delete)
{
	struct res r, *e;
	int len;
	uint32_t ks, vs, type;
	uint16_t key[8];

	/* SET goes full size and zeroed, REG_SZ, sizes in bytes with the NUL. */
	ck_assert_int_eq(host((struct call){ C_SET, 0, 0, "Role", "web", &r, 0, 0, { 0 } }), 0);
	len = read_request();
	ck_assert_int_eq(len, KG_BODY + 2580);
	ck_assert_uint_eq(pkt[KG_BODY], 1);
	ck_assert_uint_eq(pkt[KG_BODY + 1], 0);
	memcpy(&type, pkt + KG_BODY + 4, 4);
	memcpy(&ks, pkt + KG_BODY + 8, 4);
	memcpy(&vs, pkt + KG_BODY + 12, 4);
	ck_assert_uint_eq(type, 1);
	ck_assert_uint_eq(ks, 10);
	ck_assert_uint_eq(vs, 8);
	memcpy(key, pkt + KG_BODY + 16, 10);
	ck_assert(key[0] == 'R' && key[3] == 'e' && key[4] == 0);
	for (int i = KG_BODY + 16 + 10; i < KG_BODY + 528; i++)
		ck_assert_uint_eq(pkt[i], 0);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);

	set_ok(0, "Zone", "eu-1");
	set_ok(0, "Role", "db");	/* replaces */
	e = enumerate(0, 0);
	ck_assert_int_eq(e->r.err, 0);
	ck_assert_str_eq(e->r.key, "Role");
	ck_assert_str_eq(e->r.value, "db");
	ck_assert_uint_eq(e->r.value_type, 1);
	e = enumerate(0, 1);
	ck_assert_str_eq(e->r.key, "Zone");
	e = enumerate(0, 2);
	ck_assert_int_eq(e->r.err, 0);
	ck_assert_uint_eq(e->r.status, S_CONT);

	ck_assert_int_eq(host((struct call){ C_DELETE, 0, 0, "Role", NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	ck_assert_uint_eq(pkt[KG_BODY], 2);
	memcpy(&ks, pkt + KG_BODY + 4, 4);
	ck_assert_uint_eq(ks, 10);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_uint_eq(r.r.status, 0);
	/* a missing key: the daemon's status */
	ck_assert_int_eq(host((struct call){ C_DELETE, 0, 0, "Role", NULL, &r, 0, 0, { 0 } }), 0);
	serve();
	wait_res(&r);
	ck_assert_uint_eq(r.r.status, S_CONT);
	ck_assert_uint_eq(kg.count[0], 1);
}
END_TEST

START_TEST(auto_pool)
{
	struct res *e;

	e = enumerate(2, 0);
	ck_assert_str_eq(e->r.key, "FullyQualifiedDomainName");
	ck_assert_str_eq(e->r.value, "debian.example");
	e = enumerate(2, 2);
	ck_assert_str_eq(e->r.key, "NetworkAddressIPv4");
	ck_assert_str_eq(e->r.value, "192.168.7.2;10.0.0.5");
	e = enumerate(2, 7);
	ck_assert_str_eq(e->r.key, "OSMinorVersion");
	ck_assert_str_eq(e->r.value, "");
	e = enumerate(2, 10);
	ck_assert_uint_eq(e->r.status, S_CONT);
}
END_TEST

START_TEST(unicode_and_limits)
{
	char big[4096];
	struct res *e;

	set_ok(0, "ключ-\xf0\x9f\x98\x80", "v\xc3\xa4rde");
	e = enumerate(0, 0);
	ck_assert_int_eq(e->r.err, 0);
	ck_assert_str_eq(e->r.key, "ключ-\xf0\x9f\x98\x80");
	ck_assert_str_eq(e->r.value, "v\xc3\xa4rde");
	/* The daemon's record holds the surrogate pair. */
	ck_assert_uint_eq(kg.pools[0][0].key_units, 7);

	ck_assert_ptr_nonnull(ic_kvp_check_key(""));
	ck_assert_ptr_nonnull(ic_kvp_check_key("\xff"));
	ck_assert_ptr_nonnull(ic_kvp_check_key("\xc0\x80"));		/* overlong NUL */
	ck_assert_ptr_nonnull(ic_kvp_check_key("\xed\xa0\x80"));	/* a surrogate */
	ck_assert_ptr_nonnull(ic_kvp_check_key("\xf4\x90\x80\x80"));	/* past U+10FFFF */
	ck_assert_ptr_nonnull(ic_kvp_check_key("a\xc3"));		/* cut short */
	memset(big, 'k', 255);
	big[255] = 0;
	ck_assert_ptr_null(ic_kvp_check_key(big));
	big[255] = 'k', big[256] = 0;
	ck_assert_ptr_nonnull(ic_kvp_check_key(big));
	/* 170 units but 510 bytes of UTF-8: within both limits; 171 (513 bytes) is not. */
	big[0] = 0;
	for (int i = 0; i < 170; i++)
		strcat(big, "\xe2\x82\xac");
	ck_assert_ptr_null(ic_kvp_check_key(big));
	strcat(big, "\xe2\x82\xac");
	ck_assert_ptr_nonnull(ic_kvp_check_key(big));
	memset(big, 'v', 1023);
	big[1023] = 0;
	ck_assert_ptr_null(ic_kvp_check_value(big));
	ck_assert_ptr_null(ic_kvp_check_value(""));
	big[1023] = 'v', big[1024] = 0;
	ck_assert_ptr_nonnull(ic_kvp_check_value(big));
	ck_assert_int_eq(host((struct call){ C_SET, 0, 0, big, "x", NULL, 0, 0, { 0 } }), -EINVAL);
	ck_assert_int_eq(host((struct call){ C_SET, 1, 0, "k", big, NULL, 0, 0, { 0 } }), -EINVAL);
	ck_assert_int_eq(host((struct call){ C_ENUM, 5, 0, NULL, NULL, NULL, 0, 0, { 0 } }), -EINVAL);
}
END_TEST

/* An ENUMERATE answer for pool 0 index 0 with the record edited by how. */
static void bad_enumerate(void (*how)(uint8_t *m), int want_err)
{
	static struct res r;
	int len;

	ck_assert_int_eq(host((struct call){ C_ENUM, 0, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	kvp_guest_process(&kg, pkt, len);
	how(pkt + KG_BODY);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, want_err);
	if (!want_err)
		ck_assert_str_eq(r.r.key, "Key");
	else
		ck_assert_str_eq(r.r.key, "");
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void keep(uint8_t *m) { (void)m; }
static void no_nul(uint8_t *m) { put32(m + 12, 512); for (int i = 0; i < 512; i += 2) m[20 + i] = 'A'; }
static void odd_key(uint8_t *m) { put32(m + 12, 7); }
static void zero_key(uint8_t *m) { put32(m + 12, 0); }
static void big_key(uint8_t *m) { put32(m + 12, 514); }
static void big_value(uint8_t *m) { put32(m + 16, 2050); }
static void odd_value(uint8_t *m) { put32(m + 16, 3); }
static void lone_high(uint8_t *m) { m[20] = 0x00; m[21] = 0xd8; }
static void lone_low(uint8_t *m) { m[22] = 0x00; m[23] = 0xdc; }
static void bad_type(uint8_t *m) { put32(m + 8, 99); }
static void dword(uint8_t *m) { put32(m + 8, 4); put32(m + 16, 4); put32(m + 532, 42); }
static void dword_size(uint8_t *m) { put32(m + 8, 4); put32(m + 16, 3); }
static void qword(uint8_t *m) { put32(m + 8, 11); put32(m + 16, 8); put32(m + 532, 7); put32(m + 536, 1); }
static void other_op(uint8_t *m) { m[0] = 9; }
static void other_pool(uint8_t *m) { m[1] = 1; }

START_TEST(malformed_enumerate)
{
	set_ok(0, "Key", "Value");
	bad_enumerate(keep, 0);
	bad_enumerate(no_nul, -EPROTO);
	bad_enumerate(odd_key, -EPROTO);
	bad_enumerate(zero_key, -EPROTO);
	bad_enumerate(big_key, -EPROTO);
	bad_enumerate(big_value, -EPROTO);
	bad_enumerate(odd_value, -EPROTO);
	bad_enumerate(lone_high, -EPROTO);
	bad_enumerate(lone_low, -EPROTO);
	bad_enumerate(bad_type, -EPROTO);
	bad_enumerate(dword_size, -EPROTO);
	bad_enumerate(other_op, -EPROTO);
	bad_enumerate(other_pool, -EPROTO);
	bad_enumerate(dword, 0);
	ck_assert_str_eq(enumerate(0, 0)->r.value, "Value");
}
END_TEST

START_TEST(integer_values)
{
	static struct res r;
	int len;

	set_ok(0, "Key", "Value");
	ck_assert_int_eq(host((struct call){ C_ENUM, 0, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	kvp_guest_process(&kg, pkt, len);
	qword(pkt + KG_BODY);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_str_eq(r.r.value, "4294967303");
	ck_assert_uint_eq(r.r.value_type, 11);
}
END_TEST

START_TEST(short_answer)
{
	static struct res r;
	uint16_t small = 100;
	int len;

	set_ok(0, "Key", "Value");
	ck_assert_int_eq(host((struct call){ C_ENUM, 0, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	kvp_guest_process(&kg, pkt, len);
	/* The IC header says the message is shorter than an ENUMERATE. */
	memcpy(pkt + KG_MSGSIZE, &small, 2);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -EPROTO);
	/* A packet cut short of what its IC header claims is no answer at all. */
	ck_assert_int_eq(host((struct call){ C_ENUM, 0, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, KG_BODY + 1000);
	ck_assert(WAIT_UNTIL(status().dropped == 1, VG_TMO));
	ck_assert(!atomic_load(&r.done));
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
}
END_TEST

START_TEST(trans_id_and_flags)
{
	static struct res r;
	uint64_t t;
	int len;

	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	t = trans_of();
	ck_assert_uint_ne(t, 0);
	kvp_guest_process(&kg, pkt, len);
	/* another trans_id, no response flag, another message type: all dropped */
	set_trans(t + 1);
	kvp_guest_send(&kg, pkt, len);
	set_trans(t);
	pkt[KG_FLAGS] = 1;
	kvp_guest_send(&kg, pkt, len);
	pkt[KG_FLAGS] = 1 | 4;
	pkt[KG_MSGTYPE] = 1;
	kvp_guest_send(&kg, pkt, len);
	pkt[KG_MSGTYPE] = 2;
	ck_assert(WAIT_UNTIL(status().dropped == 2, VG_TMO));
	ck_assert(!atomic_load(&r.done));
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_str_eq(r.r.key, "FullyQualifiedDomainName");
	/* The same answer again, with nothing outstanding: dropped. */
	kvp_guest_send(&kg, pkt, len);
	ck_assert(WAIT_UNTIL(status().dropped == 3, VG_TMO));
	/* The next request has a new trans_id. */
	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 1, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	ck_assert_uint_eq(trans_of(), t + 1);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_str_eq(r.r.key, "IntegrationServicesVersion");
}
END_TEST

START_TEST(one_at_a_time)
{
	static struct res r[3];
	uint64_t t0;
	int len;

	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(host((struct call){ C_ENUM, 2, i, NULL, NULL, &r[i], 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(status().queued, 3);
	len = read_request();
	t0 = trans_of();
	/* Nothing else comes until the first is answered. */
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r[0]);
	ck_assert_str_eq(r[0].r.key, "FullyQualifiedDomainName");
	/* An answer to the second with the first's trans_id (out of order) is dropped. */
	len = read_request();
	ck_assert_uint_eq(trans_of(), t0 + 1);
	kvp_guest_process(&kg, pkt, len);
	set_trans(t0);
	kvp_guest_send(&kg, pkt, len);
	ck_assert(WAIT_UNTIL(status().dropped == 1, VG_TMO));
	ck_assert(!atomic_load(&r[1].done));
	set_trans(t0 + 1);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r[1]);
	ck_assert_str_eq(r[1].r.key, "IntegrationServicesVersion");
	serve();
	wait_res(&r[2]);
	ck_assert_str_eq(r[2].r.key, "NetworkAddressIPv4");
	ck_assert_uint_eq(status().queued, 0);
}
END_TEST

START_TEST(queue_bound)
{
	unsigned i;

	/* One with the guest and 32 waiting; then the queue is full. */
	for (i = 0; i < 33; i++)
		ck_assert_int_eq(host((struct call){ C_ENUM, 2, 0, NULL, NULL, NULL, 0, 0, { 0 } }), 0);
	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 0, NULL, NULL, NULL, 0, 0, { 0 } }), -EBUSY);
	ck_assert_uint_eq(status().queued, 33);
	for (i = 0; i < 33; i++)
		serve();
	ck_assert(WAIT_UNTIL(status().queued == 0, VG_TMO));
}
END_TEST

START_TEST(timeout)
{
	static struct res r, r2;
	uint64_t t;
	int len;

	host((struct call){ .what = C_TIMEOUT, .ns = 100000000ull });
	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	t = trans_of();
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -ETIMEDOUT);
	/* The slot is free: the next goes (a guest would read it after the first). */
	host((struct call){ .what = C_TIMEOUT, .ns = 0 });
	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 1, NULL, NULL, &r2, 0, 0, { 0 } }), 0);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);	/* late: dropped by its trans_id */
	len = read_request();
	ck_assert_uint_eq(trans_of(), t + 1);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r2);
	ck_assert_int_eq(r2.r.err, 0);
	ck_assert_str_eq(r2.r.key, "IntegrationServicesVersion");
	ck_assert_uint_eq(status().dropped, 1);
}
END_TEST

START_TEST(paused)
{
	static struct res r;

	/* A paused guest cannot answer: requests wait, and go on resume. */
	host((struct call){ .what = C_PAUSE });
	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 5, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
	ck_assert_uint_eq(status().queued, 1);
	host((struct call){ .what = C_RESUME });
	serve();
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_str_eq(r.r.key, "OSName");
}
END_TEST

START_TEST(close_ends_requests)
{
	static struct res r[2];

	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(host((struct call){ C_ENUM, 2, i, NULL, NULL, &r[i], 0, 0, { 0 } }), 0);
	vg_close(&f.g, &ch);
	wait_res(&r[0]);
	wait_res(&r[1]);
	ck_assert_int_eq(r[0].r.err, -EPIPE);
	ck_assert_int_eq(r[1].r.err, -EPIPE);
	ck_assert(!status().open);
	ck_assert_int_eq(host((struct call){ C_ENUM, 2, 0, NULL, NULL, NULL, 0, 0, { 0 } }), -ENODEV);
	/* Reopened: a new negotiation, then requests again. */
	open_chan();
	serve();
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	ck_assert_str_eq(enumerate(2, 9)->r.key, "ProcessorArchitecture");
}
END_TEST

START_TEST(ip_info)
{
	static struct res r;
	uint16_t id[18];
	int len;

	/* lower case in, upper case to the daemon, as it compares */
	ck_assert_int_eq(host((struct call){ C_IP, 0, 0, "00:15:5d:00:00:01", NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	ck_assert_int_eq(len, KG_BODY + 7428);	/* above 4096: the KVP's larger packets */
	ck_assert_uint_eq(pkt[KG_BODY], 4);
	memcpy(id, pkt + KG_BODY + 2, sizeof(id));
	ck_assert(id[7] == 'D' && id[17] == 0);
	kvp_guest_process(&kg, pkt, len);
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.addr_family, 3);
	ck_assert_uint_eq(r.r.dhcp, 1);
	ck_assert_str_eq(r.r.ip, "192.168.7.2;fe80::215:5dff:fe00:1");
	ck_assert_str_eq(r.r.subnet, "255.255.255.0;fe80::/64");
	ck_assert_str_eq(r.r.gateway, "192.168.7.1");
	ck_assert_str_eq(r.r.dns, "192.168.7.1;9.9.9.9");
	/* an unknown adapter: the daemon's error */
	ck_assert_int_eq(host((struct call){ C_IP, 0, 0, "00:15:5d:00:00:02", NULL, &r, 0, 0, { 0 } }), 0);
	serve();
	wait_res(&r);
	ck_assert_uint_eq(r.r.status, E_FAIL);
	/* an address that is none */
	ck_assert_int_eq(host((struct call){ C_IP, 0, 0, "00:15:5d:00:00:01", NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	kvp_guest_process(&kg, pkt, len);
	pkt[KG_BODY + 260] = '9';
	pkt[KG_BODY + 262] = '9';
	pkt[KG_BODY + 264] = '9';
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -EPROTO);
	/* a list with no NUL in its array */
	ck_assert_int_eq(host((struct call){ C_IP, 0, 0, "00:15:5d:00:00:01", NULL, &r, 0, 0, { 0 } }), 0);
	len = read_request();
	kvp_guest_process(&kg, pkt, len);
	for (int i = 0; i < 1024; i++)
		pkt[KG_BODY + 4356 + 2 * i] = '1';
	kvp_guest_send(&kg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -EPROTO);
	ck_assert_int_eq(host((struct call){ C_IP, 0, 0, "00:15:5d:00:00:1", NULL, &r, 0, 0, { 0 } }), -EINVAL);
	ck_assert_int_eq(host((struct call){ C_IP, 0, 0, "00-15-5d-00-00-01", NULL, &r, 0, 0, { 0 } }), -EINVAL);
}
END_TEST

START_TEST(daemon_thread)
{
	struct res r;

	/* The threaded daemon the management tests use answers as the test's thread did. */
	kvp_guest_start(&kg);
	ck_assert_int_eq(host((struct call){ C_SET, 3, 0, "HostName", "hv1", &r, 0, 0, { 0 } }), 0);
	wait_res(&r);
	ck_assert_uint_eq(r.r.status, 0);
	ck_assert_int_eq(host((struct call){ C_ENUM, 3, 0, NULL, NULL, &r, 0, 0, { 0 } }), 0);
	wait_res(&r);
	ck_assert_str_eq(r.r.value, "hv1");
	kvp_guest_stop(&kg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ic_kvp");
	TCase *tc = tcase_create("kvp");

	tcase_add_test(tc, negotiation);
	tcase_add_checked_fixture(tc, NULL, teardown);
	suite_add_tcase(s, tc);
	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, set_enumerate_delete);
	tcase_add_test(tc, auto_pool);
	tcase_add_test(tc, unicode_and_limits);
	tcase_add_test(tc, malformed_enumerate);
	tcase_add_test(tc, integer_values);
	tcase_add_test(tc, short_answer);
	tcase_add_test(tc, trans_id_and_flags);
	tcase_add_test(tc, one_at_a_time);
	tcase_add_test(tc, queue_bound);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, paused);
	tcase_add_test(tc, close_ends_requests);
	tcase_add_test(tc, ip_info);
	tcase_add_test(tc, daemon_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
