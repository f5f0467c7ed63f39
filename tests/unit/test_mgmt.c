/* SPDX-License-Identifier: MIT */
/*
 * The management socket end to end: a real event loop on its own thread, a real
 * UNIX socket, clients that write bytes and read lines. Methods here are test ones
 * (echo, add, later, big, fail); the VM's methods have their own test.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "testutil.h"

static char dir[64], path[128];
static struct loop *loop;
static struct test_loop tl;
static struct mgmt *mgmt;
static atomic_uint cancelled;
static atomic_uint later_started;	/* "later" calls the server has begun */
static atomic_uint later_fired;		/* and those whose timer fired */

/* ---- test methods ----------------------------------------------------------------- */

static void m_echo(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)opaque;
	mgmt_reply(call, json_object_get(params));
}

static void m_add(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "a", "b", NULL };
	struct jsonrpc_error e;
	int64_t a, b = 0;

	(void)opaque;
	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_int(params, "a", true, -1000, 1000, &a, &e) < 0 ||
	    jsonrpc_param_int(params, "b", false, -1000, 1000, &b, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	mgmt_reply(call, json_object_new_int64(a + b));
}

struct later {
	struct mgmt_call *call;
	struct loop_timer *timer;
};

static void later_fire(void *opaque)
{
	struct later *l = opaque;

	atomic_fetch_add(&later_fired, 1);
	mgmt_reply(l->call, json_object_new_string("done"));
	loop_timer_free(l->timer);
	free(l);
}

static void later_cancel(struct mgmt_call *call, void *opaque)
{
	struct later *l = opaque;

	ck_assert_ptr_eq(call, l->call);
	loop_timer_free(l->timer);
	free(l);
	atomic_fetch_add(&cancelled, 1);
}

/* Answers after params.ms milliseconds. */
static void m_later(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	struct later *l = calloc(1, sizeof(*l));
	struct jsonrpc_error e;
	int64_t ms;

	(void)opaque;
	if (jsonrpc_param_int(params, "ms", true, 1, 60000, &ms, &e) < 0) {
		free(l);
		mgmt_fail(call, &e);
		return;
	}
	l->call = call;
	l->timer = loop_timer_new(loop, later_fire, l);
	loop_timer_arm(l->timer, (uint64_t)ms * 1000000ull, 0);
	mgmt_call_set_cancel(call, later_cancel, l);
	atomic_fetch_add(&later_started, 1);
}

static void m_big(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	int64_t n = 0;
	struct jsonrpc_error e;
	char *s;

	(void)opaque;
	jsonrpc_param_int(params, "n", true, 0, 1 << 24, &n, &e);
	s = malloc((size_t)n + 1);
	memset(s, 'x', (size_t)n);
	s[n] = '\0';
	mgmt_reply(call, json_object_new_string(s));
	free(s);
}

static void m_fail(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)params, (void)opaque;
	mgmt_error(call, MGMT_ERR_BUSY, json_object_new_string("lun 3"), "LUN %d is busy", 3);
}

/* ---- fixture ---------------------------------------------------------------------- */

static void make_server(const struct mgmt_limits *lim)
{
	char err[256];

	mgmt = mgmt_new(loop);
	ck_assert_ptr_nonnull(mgmt);
	if (lim)
		mgmt_set_limits(mgmt, lim);
	ck_assert_int_eq(mgmt_register(mgmt, "echo", m_echo, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "add", m_add, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "later", m_later, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "big", m_big, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "fail", m_fail, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "echo", m_echo, NULL), -EEXIST);
	/* a table with one taken name registers none of its methods */
	static const struct mgmt_method_def clash[] = {
		{ "echo2", m_echo },
		{ "add2", m_add },
		{ "fail", m_fail },
		{ "echo3", m_echo },
	};
	ck_assert_int_eq(MGMT_REGISTER_TABLE(mgmt, clash, NULL), -EEXIST);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
}

static void setup(void)
{
	strcpy(dir, "/tmp/hvkvm-mgmt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	memset(&tl, 0, sizeof(tl));
	tl.loop = loop;
	mgmt = NULL;
	atomic_store(&cancelled, 0);
	atomic_store(&later_started, 0);
	atomic_store(&later_fired, 0);
}

static void noop_fn(void *opaque)
{
	(void)opaque;
}

/*
 * Cancelled "later" calls must not fire: wait until ms after t0 (the last of them
 * started; past their deadlines), let the loop finish what was due, and check that
 * exactly `fired` of them fired.
 */
static void later_fired_only(uint64_t t0, unsigned ms, unsigned fired)
{
	uint64_t now = test_now_ms();

	if (now < t0 + ms)
		usleep((useconds_t)(t0 + ms - now) * 1000);
	loop_call(loop, noop_fn, NULL);
	ck_assert_uint_eq(atomic_load(&later_fired), fired);
}

static void teardown(void)
{
	test_loop_stop(&tl);
	mgmt_free(mgmt, 100);
	loop_free(loop);
	unlink(path);
	rmdir(dir);
}

/* Server with the default limits, loop running. */
static void start(void)
{
	make_server(NULL);
	test_loop_start(&tl);
}

/* ---- the socket file -------------------------------------------------------------- */

START_TEST(socket_mode_0600)
{
	struct stat st;
	struct tc *t;

	umask(0);	/* even with a permissive umask */
	start();
	umask(022);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	t = tc_open(path);
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}"));
	tc_close(t);
	test_loop_stop(&tl);
	mgmt_free(mgmt, 0);
	mgmt = NULL;
	ck_assert_int_eq(lstat(path, &st), -1);	/* removed at the end */
}
END_TEST

START_TEST(socket_refuses_other_files)
{
	char err[256];
	struct stat st;
	int fd;

	mgmt = mgmt_new(loop);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(mgmt_listen(mgmt, path, err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "not a socket"), "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 4);	/* untouched */
	unlink(path);
	ck_assert_int_eq(symlink("/tmp", path), 0);
	ck_assert_int_eq(mgmt_listen(mgmt, path, err, sizeof(err)), -EEXIST);
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(mgmt_listen(mgmt, path, err, sizeof(err)), -EEXIST);
	rmdir(path);
	ck_assert_int_eq(mgmt_listen(mgmt, "/nonexistent-dir/api.sock", err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(mgmt_listen(mgmt, "", err, sizeof(err)), -ENAMETOOLONG);
}
END_TEST

START_TEST(socket_stale_replaced_live_refused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mgmt *other;
	char err[256];
	int fd;

	/* A socket nobody listens on any more: replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	start();
	/* One that is in use: refused, and left alone. */
	other = mgmt_new(loop);
	ck_assert_int_eq(mgmt_listen(other, path, err, sizeof(err)), -EADDRINUSE);
	ck_assert_msg(strstr(err, "another process"), "%s", err);
	mgmt_free(other, 0);
	{
		struct tc *t = tc_open(path);

		json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}"));
		tc_close(t);
	}
}
END_TEST

/* ---- requests --------------------------------------------------------------------- */

START_TEST(good_requests)
{
	struct tc *t;
	struct json_object *r;

	start();
	t = tc_open(path);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":2,\"b\":40},\"id\":1}");
	ck_assert_int_eq(json_object_get_int(get(r, "result")), 42);
	ck_assert_int_eq(json_object_get_int(get(r, "id")), 1);
	json_object_put(r);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1,\"x\"],\"id\":\"abc\"}");
	ck_assert_str_eq(json_object_to_json_string_ext(get(r, "result"), JSON_C_TO_STRING_PLAIN), "[1,\"x\"]");
	ck_assert_str_eq(json_object_get_string(get(r, "id")), "abc");
	json_object_put(r);
	r = call_ok(t, "{\"id\":null,\"method\":\"echo\",\"jsonrpc\":\"2.0\"}");
	ck_assert(json_object_is_type(get(r, "id"), json_type_null));
	ck_assert(has(r, "result"));
	json_object_put(r);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1},\"id\":12345678901234}");
	ck_assert_str_eq(json_object_to_json_string(get(r, "id")), "12345678901234");
	json_object_put(r);
	/* CR LF line ends, blank lines in between */
	{
		static const char crlf[] = "\r\n\n{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":3},\"id\":2}\r\n";

		tc_write(t, crlf, sizeof(crlf) - 1);
	}
	r = tc_recv(t, 5000);
	ck_assert_int_eq(json_object_get_int(get(r, "result")), 3);
	json_object_put(r);
	/* nothing of a table that failed to register stayed registered */
	for (unsigned i = 0; i < 3; i++) {
		static const char *const names[] = { "echo2", "add2", "echo3" };
		char req[128];

		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"id\":7}", names[i]);
		json_object_put(expect_error(t, req, -32601, "7"));
	}
	tc_close(t);
}
END_TEST

START_TEST(notifications_get_no_reply)
{
	struct tc *t;
	struct json_object *r;

	start();
	t = tc_open(path);
	/* valid, unknown method, bad params: none answered */
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1}}");
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}");
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":\"x\"}}");
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}");
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":5},\"id\":9}");
	ck_assert_int_eq(json_object_get_int(get(r, "id")), 9);
	json_object_put(r);
	tc_quiet(t, 100);
	tc_close(t);
}
END_TEST

START_TEST(bad_requests_keep_connection)
{
	static const struct {
		const char *line;
		int code;
		const char *id;
	} bad[] = {
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1", JSONRPC_PARSE_ERROR, "null" },
		{ "not json", JSONRPC_PARSE_ERROR, "null" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}}", JSONRPC_PARSE_ERROR, "null" },
		{ "{'jsonrpc':'2.0','method':'echo','id':1}", JSONRPC_PARSE_ERROR, "null" },
		{ "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}", JSONRPC_INVALID_REQUEST, "1" },
		{ "{\"jsonrpc\":2,\"method\":\"echo\",\"id\":1}", JSONRPC_INVALID_REQUEST, "1" },
		{ "{\"method\":\"echo\",\"id\":2}", JSONRPC_INVALID_REQUEST, "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3}", JSONRPC_INVALID_REQUEST, "3" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":42,\"id\":4}", JSONRPC_INVALID_REQUEST, "4" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":1,\"params\":\"bar\"}", JSONRPC_INVALID_REQUEST, "null" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":\"x\",\"id\":5}", JSONRPC_INVALID_REQUEST, "5" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":7,\"id\":6}", JSONRPC_INVALID_REQUEST, "6" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{\"a\":1}}", JSONRPC_INVALID_REQUEST, "null" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":7,\"extra\":1}", JSONRPC_INVALID_REQUEST, "7" },
		{ "42", JSONRPC_INVALID_REQUEST, "null" },
		{ "null", JSONRPC_INVALID_REQUEST, "null" },
		{ "[]", JSONRPC_INVALID_REQUEST, "null" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":8}", JSONRPC_METHOD_NOT_FOUND, "8" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"id\":9}", JSONRPC_INVALID_PARAMS, "9" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,\"c\":2},\"id\":10}", JSONRPC_INVALID_PARAMS,
		  "10" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":11}", JSONRPC_INVALID_PARAMS, "11" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":12}", MGMT_ERR_BUSY, "12" },
	};
	struct tc *t;
	struct json_object *r;

	start();
	t = tc_open(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object_put(expect_error(t, bad[i].line, bad[i].code, bad[i].id));
		/* still usable */
		r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1},\"id\":\"ok\"}");
		json_object_put(r);
	}
	/* The errors say what is wrong. */
	r = expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":\"x\"},\"id\":1}",
			 JSONRPC_INVALID_PARAMS, "1");
	ck_assert_str_eq(json_object_get_string(get(get(get(r, "error"), "data"), "param")), "a");
	ck_assert_ptr_nonnull(strstr(json_object_get_string(get(get(r, "error"), "message")), "\"a\""));
	json_object_put(r);
	r = expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}", JSONRPC_METHOD_NOT_FOUND, "1");
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "method"), "nope");
	json_object_put(r);
	r = expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":1}", MGMT_ERR_BUSY, "1");
	ck_assert_str_eq(json_object_get_string(get(get(r, "error"), "message")), "LUN 3 is busy");
	ck_assert_str_eq(json_object_get_string(get(get(r, "error"), "data")), "lun 3");
	json_object_put(r);
	tc_close(t);
}
END_TEST

/* Bytes no JSON text may hold, and nesting past the limit: -32700, and the same
 * connection goes on. */
START_TEST(hostile_bytes_keep_connection)
{
	static const char nul[] = "{\"jsonrpc\":\"2.0\",\"method\":\"ec\0ho\",\"id\":1}\n";
	static const char *const lines[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xc3\"],\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"a\x01" "b\"],\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[NaN],\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1e999999],\"id\":1}",
		"\x1b[2J",
		"}{",
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}",
	};
	struct tc *t;
	struct json_object *r;
	char *deep = malloc(60001);

	start();
	t = tc_open(path);
	tc_write(t, nul, sizeof(nul) - 1);
	json_object_put(expect_error(t, "", JSONRPC_PARSE_ERROR, "null"));
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"ok\"}"));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		r = tc_recv(t, 0);
		ck_assert_ptr_null(r);
		tc_send(t, lines[i]);
		r = tc_recv(t, 5000);
		ck_assert_msg(r, "no answer to line %zu", i);
		/* a number too large may be taken as infinity by some parsers: it must at
		 * least be answered */
		if (i != 4)
			ck_assert_msg(error_code(r) == JSONRPC_PARSE_ERROR, "line %zu: %d", i, error_code(r));
		json_object_put(r);
		json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"ok\"}"));
	}
	/* 30000 nested arrays: no stack overflow, a parse error */
	memset(deep, '[', 30000);
	memset(deep + 30000, ']', 30000);
	deep[60000] = '\0';
	json_object_put(expect_error(t, deep, JSONRPC_PARSE_ERROR, "null"));
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"ok\"}"));
	tc_quiet(t, 50);
	tc_close(t);
	free(deep);
}
END_TEST

/* Batch replies may come in any order: find one by id. */
static struct json_object *by_id(struct json_object *arr, const char *id_json)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);

		check_shape(r);
		if (!strcmp(json_object_to_json_string(get(r, "id")), id_json))
			return r;
	}
	ck_abort_msg("no reply with id %s", id_json);
	return NULL;
}

START_TEST(batches)
{
	struct tc *t;
	struct json_object *r, *x;

	start();
	t = tc_open(path);
	tc_send(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,\"b\":2},\"id\":\"1\"},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":7}},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"2\"},"
		   "{\"foo\":\"boo\"},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":\"x\"},\"id\":\"5\"},"
		   "1,"
		   "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"nested\"}],"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"k\":true},\"id\":\"9\"}]");
	r = tc_recv(t, 5000);
	ck_assert(json_object_is_type(r, json_type_array));
	ck_assert_uint_eq(json_object_array_length(r), 7);	/* all but the notification */
	ck_assert_int_eq(json_object_get_int(get(by_id(r, "\"1\""), "result")), 3);
	ck_assert_int_eq(error_code(by_id(r, "\"2\"")), JSONRPC_METHOD_NOT_FOUND);
	ck_assert_int_eq(error_code(by_id(r, "\"5\"")), JSONRPC_INVALID_PARAMS);
	x = by_id(r, "\"9\"");
	ck_assert(json_object_get_boolean(get(get(x, "result"), "k")));
	{
		unsigned invalid = 0;

		for (size_t i = 0; i < json_object_array_length(r); i++) {
			x = json_object_array_get_idx(r, i);
			if (json_object_is_type(get(x, "id"), json_type_null)) {
				ck_assert_int_eq(error_code(x), JSONRPC_INVALID_REQUEST);
				invalid++;
			}
		}
		ck_assert_uint_eq(invalid, 3);	/* {"foo"}, 1, and the nested array */
	}
	json_object_put(r);

	/* The specification's examples. */
	r = expect_error(t, "[]", JSONRPC_INVALID_REQUEST, "null");
	json_object_put(r);
	tc_send(t, "[1,2,3]");
	r = tc_recv(t, 5000);
	ck_assert_uint_eq(json_object_array_length(r), 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(error_code(json_object_array_get_idx(r, i)), JSONRPC_INVALID_REQUEST);
	json_object_put(r);
	r = expect_error(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,4],\"id\":\"1\"},"
			    "{\"jsonrpc\":\"2.0\",\"method\"]", JSONRPC_PARSE_ERROR, "null");
	json_object_put(r);
	/* Only notifications: nothing at all comes back. */
	tc_send(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]");
	tc_quiet(t, 100);
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}"));
	tc_close(t);
}
END_TEST

START_TEST(partial_lines)
{
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":20,\"b\":3},\"id\":77}\n";
	struct tc *t;
	struct json_object *r;

	start();
	t = tc_open(path);
	/* one byte per write, with the loop reading in between */
	for (const char *p = req; *p; p++) {
		tc_write(t, p, 1);
		if ((p - req) % 7 == 0)
			usleep(1000);
	}
	r = tc_recv(t, 5000);
	ck_assert_int_eq(json_object_get_int(get(r, "result")), 23);
	json_object_put(r);
	/* three requests in one write, the last cut in two */
	tc_write(t, req, strlen(req));
	tc_write(t, req, strlen(req));
	tc_write(t, req, 10);
	usleep(20000);
	tc_write(t, req + 10, strlen(req) - 10);
	for (int i = 0; i < 3; i++) {
		r = tc_recv(t, 5000);
		ck_assert_msg(r, "reply %d", i);
		ck_assert_int_eq(json_object_get_int(get(r, "result")), 23);
		json_object_put(r);
	}
	tc_quiet(t, 50);
	tc_close(t);
}
END_TEST

START_TEST(last_line_without_newline)
{
	struct tc *t;
	struct json_object *r;
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":4},\"id\":1}";

	start();
	t = tc_open(path);
	tc_write(t, req, strlen(req));
	ck_assert_int_eq(shutdown(t->fd, SHUT_WR), 0);
	r = tc_recv(t, 5000);
	ck_assert_int_eq(json_object_get_int(get(r, "result")), 4);
	json_object_put(r);
	ck_assert_ptr_null(tc_line(t, 5000));
	ck_assert(t->eof);	/* closed once answered */
	tc_close(t);
}
END_TEST

START_TEST(oversized_message_resyncs)
{
	struct tc *t;
	struct json_object *r;
	size_t n = (64 << 10) + 1000;
	char *big = malloc(n);

	start();
	t = tc_open(path);
	/* A line just under the limit is fine. */
	memset(big, ' ', n);
	memcpy(big, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}", 40);
	tc_write(t, big, 64 << 10);
	tc_write(t, "\n", 1);
	json_object_put(call_ok(t, ""));	/* the blank line is ignored; the reply is to the long one */
	/* One far over it: an error, then the next line works. */
	memset(big, 'x', n);
	tc_write(t, big, n);
	tc_write(t, big, n);
	r = tc_recv(t, 5000);
	ck_assert_int_eq(error_code(r), JSONRPC_INVALID_REQUEST);
	ck_assert(json_object_is_type(get(r, "id"), json_type_null));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(get(get(r, "error"), "message")), "65536"));
	json_object_put(r);
	tc_write(t, "tail of the big one\n", 20);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":8},\"id\":2}");
	ck_assert_int_eq(json_object_get_int(get(r, "result")), 8);
	json_object_put(r);
	tc_quiet(t, 50);	/* one error for the whole oversized line */
	tc_close(t);
	free(big);
}
END_TEST

START_TEST(reply_too_large)
{
	struct tc *t;
	struct json_object *r;

	start();
	t = tc_open(path);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"n\":100000},\"id\":1}");
	ck_assert_uint_eq(json_object_get_string_len(get(r, "result")), 100000);
	json_object_put(r);
	r = expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"n\":2000000},\"id\":2}",
			 JSONRPC_INTERNAL_ERROR, "2");
	json_object_put(r);
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":3}"));
	tc_close(t);
}
END_TEST

/* ---- asynchronous answers ---------------------------------------------------------- */

START_TEST(async_replies_out_of_order)
{
	struct tc *t;
	struct json_object *r;

	start();
	t = tc_open(path);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":100},\"id\":1}");
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1},\"id\":2}");
	r = tc_recv(t, 5000);
	ck_assert_int_eq(json_object_get_int(get(r, "id")), 2);
	json_object_put(r);
	r = tc_recv(t, 5000);
	ck_assert_int_eq(json_object_get_int(get(r, "id")), 1);
	ck_assert_str_eq(json_object_get_string(get(r, "result")), "done");
	json_object_put(r);
	/* in a batch: one array once the slow one is done */
	tc_send(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":50},\"id\":\"a\"},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":10}},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"b\"}]");
	r = tc_recv(t, 5000);
	ck_assert_uint_eq(json_object_array_length(r), 2);
	ck_assert_str_eq(json_object_get_string(get(by_id(r, "\"a\""), "result")), "done");
	by_id(r, "\"b\"");
	json_object_put(r);
	tc_close(t);
	ck_assert_uint_eq(atomic_load(&cancelled), 0);
}
END_TEST

START_TEST(async_client_gone)
{
	struct tc *t, *u;
	struct json_object *r;

	uint64_t t0;

	start();
	t = tc_open(path);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":300},\"id\":1}");
	tc_send(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":300},\"id\":2},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":3}]");
	/* both calls are pending when it goes */
	ck_assert(WAIT_UNTIL(atomic_load(&later_started) == 2, 10000));
	t0 = test_now_ms();
	tc_close(t);
	ck_assert(WAIT_UNTIL(atomic_load(&cancelled) == 2, 10000));
	/* the server is fine */
	u = tc_open(path);
	r = call_ok(u, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":1},\"id\":4}");
	json_object_put(r);
	tc_close(u);
	/* The cancelled timers must not fire: only id 4's did, by 300 ms + 100 ms. */
	later_fired_only(t0, 400, 1);
}
END_TEST

/* Clients that go away half-way: in the middle of a line, right after sending
 * requests they never read the answers of, or while a big reply is being written. */
START_TEST(clients_vanish_mid_call)
{
	static const char req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"n\":400000},\"id\":1}\n";
	struct tc *t;
	uint64_t t0 = 0;

	start();
	for (int round = 0; round < 20; round++) {
		unsigned started = atomic_load(&later_started);

		t = tc_open(path);
		switch (round % 4) {
		case 0:	/* half a request */
			tc_write(t, req, 20);
			break;
		case 1:	/* requests whose replies fill the socket buffer, then gone */
			for (int i = 0; i < 8; i++)
				tc_write(t, req, sizeof(req) - 1);
			break;
		case 2:	/* a slow call pending and a batch half-answered */
			tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":1000},\"id\":1}");
			tc_send(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":1000},\"id\":2},"
				   "{\"jsonrpc\":\"2.0\",\"method\":\"big\",\"params\":{\"n\":300000},\"id\":3}]");
			/* both calls are pending when it goes */
			ck_assert(WAIT_UNTIL(atomic_load(&later_started) == started + 2, 10000));
			t0 = test_now_ms();
			break;
		case 3:	/* reads a bit of a big reply, then goes */
			tc_write(t, req, sizeof(req) - 1);
			{
				char b[100];

				ck_assert_int_gt(read(t->fd, b, sizeof(b)), 0);
			}
			break;
		}
		if (round & 1)
			usleep(2000);
		tc_close(t);
	}
	ck_assert(WAIT_UNTIL(atomic_load(&cancelled) == 10, 10000));
	t = tc_open(path);
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1},\"id\":1}"));
	tc_close(t);
	/* The cancelled timers must not fire: none of the ten, by 1000 ms + 200 ms. */
	later_fired_only(t0, 1200, 0);
}
END_TEST

START_TEST(async_pending_at_free)
{
	struct tc *t;

	start();
	t = tc_open(path);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":10000},\"id\":1}");
	/* the call is pending on the server before it goes away */
	ck_assert(WAIT_UNTIL(atomic_load(&later_started) == 1, 5000));
	test_loop_stop(&tl);
	mgmt_free(mgmt, 100);
	mgmt = NULL;
	ck_assert_uint_eq(atomic_load(&cancelled), 1);
	ck_assert_ptr_null(tc_line(t, 1000));
	ck_assert(t->eof);
	tc_close(t);
}
END_TEST

START_TEST(too_many_pending)
{
	struct mgmt_limits lim = MGMT_DEFAULT_LIMITS;
	struct tc *t;

	lim.max_pending = 2;
	make_server(&lim);
	test_loop_start(&tl);
	t = tc_open(path);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":200},\"id\":1}");
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":200},\"id\":2}");
	json_object_put(expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":1},\"id\":3}",
				     MGMT_ERR_LIMIT, "3"));
	json_object_put(tc_recv(t, 5000));
	json_object_put(tc_recv(t, 5000));
	json_object_put(call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{\"ms\":1},\"id\":4}"));
	tc_close(t);
}
END_TEST

/* ---- many clients, slow clients ------------------------------------------------------- */

START_TEST(many_clients)
{
	enum { N = 60 };	/* more than the 50 a deployment is expected to serve at once */
	struct tc *t[N];
	char line[200];

	start();
	for (int i = 0; i < N; i++)
		t[i] = tc_open(path);
	/* interleaved: all send, then all read their own answer */
	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":%d},\"id\":%d}", i,
			 1000 + i);
		tc_send(t[i], line);
	}
	for (int i = N - 1; i >= 0; i--) {
		struct json_object *r = tc_recv(t[i], 5000);

		ck_assert_int_eq(json_object_get_int(get(r, "id")), 1000 + i);
		ck_assert_int_eq(json_object_get_int(get(r, "result")), i);
		json_object_put(r);
	}
	for (int i = 0; i < N; i++)
		tc_close(t[i]);
}
END_TEST

START_TEST(client_limit)
{
	struct mgmt_limits lim = MGMT_DEFAULT_LIMITS;
	struct tc *t[4], *extra;
	struct json_object *r;

	lim.max_clients = 3;
	make_server(&lim);
	test_loop_start(&tl);
	for (int i = 0; i < 3; i++) {
		t[i] = tc_open(path);
		json_object_put(call_ok(t[i], "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}"));
	}
	extra = tc_open(path);
	r = tc_recv(extra, 5000);
	ck_assert_int_eq(error_code(r), MGMT_ERR_LIMIT);
	json_object_put(r);
	ck_assert_ptr_null(tc_line(extra, 2000));
	ck_assert(extra->eof);
	tc_close(extra);
	/* a place frees up once the server has seen t[0] go: until then a new client
	 * gets the limit error (the first line, whatever it sent) and is closed */
	tc_close(t[0]);
	for (uint64_t end = test_now_ms() + 10000;;) {
		static const char echo[] = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n";

		t[3] = tc_open(path);
		send(t[3]->fd, echo, sizeof(echo) - 1, MSG_NOSIGNAL);
		r = tc_recv(t[3], 5000);
		ck_assert_ptr_nonnull(r);
		if (!has(r, "error"))
			break;
		ck_assert_int_eq(error_code(r), MGMT_ERR_LIMIT);
		ck_assert_msg(test_now_ms() < end, "no place for a client 10 s after one left");
		json_object_put(r);
		tc_close(t[3]);
		usleep(1000);
	}
	json_object_put(r);
	for (int i = 1; i < 4; i++)
		tc_close(t[i]);
}
END_TEST

static void emit_many(void *opaque)
{
	unsigned n = *(unsigned *)opaque;

	for (unsigned i = 0; i < n; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "seq", json_object_new_int((int)i));
		json_object_object_add(f, "pad", json_object_new_string("0123456789abcdef0123456789abcdef"));
		mgmt_emit(mgmt, "test", f);
	}
}

START_TEST(events_to_subscribers)
{
	struct tc *t, *u;
	struct json_object *r, *p;
	unsigned n = 3;

	start();
	t = tc_open(path);
	u = tc_open(path);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"id\":1}");
	ck_assert(json_object_get_boolean(get(get(r, "result"), "subscribed")));
	json_object_put(r);
	json_object_put(call_ok(u, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\","
				   "\"params\":{\"types\":[\"other\"]},\"id\":1}"));
	loop_call(loop, emit_many, &n);
	mgmt_emit(mgmt, "other", NULL);	/* from this thread: queued to the loop */
	for (unsigned i = 0; i < n; i++) {
		r = tc_recv(t, 5000);
		ck_assert_int_eq(json_object_object_length(r), 3);	/* a notification: no id */
		ck_assert_str_eq(json_object_get_string(get(r, "jsonrpc")), "2.0");
		ck_assert_str_eq(json_object_get_string(get(r, "method")), "event");
		ck_assert(!has(r, "id"));
		p = get(r, "params");
		ck_assert_str_eq(json_object_get_string(get(p, "type")), "test");
		ck_assert_int_eq(json_object_get_int(get(p, "seq")), (int)i);
		ck_assert_int_gt(json_object_get_int64(get(p, "time_ms")), 1600000000000ll);
		json_object_put(r);
	}
	r = tc_recv(t, 5000);
	ck_assert_str_eq(json_object_get_string(get(get(r, "params"), "type")), "other");
	json_object_put(r);
	r = tc_recv(u, 5000);	/* u only gets "other" */
	ck_assert_str_eq(json_object_get_string(get(get(r, "params"), "type")), "other");
	json_object_put(r);
	tc_quiet(u, 50);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"events.unsubscribe\",\"id\":2}");
	ck_assert(!json_object_get_boolean(get(get(r, "result"), "subscribed")));
	json_object_put(r);
	loop_call(loop, emit_many, &n);
	tc_quiet(t, 100);
	json_object_put(expect_error(u, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\","
				       "\"params\":{\"types\":[]},\"id\":3}", JSONRPC_INVALID_PARAMS, "3"));
	json_object_put(expect_error(u, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\","
				       "\"params\":{\"types\":\"test\"},\"id\":4}", JSONRPC_INVALID_PARAMS, "4"));
	{	/* at most 32 types, each a short name */
		char line[2048];
		int off = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\","
					      "\"params\":{\"types\":[");

		for (int i = 0; i < 33; i++)
			off += snprintf(line + off, sizeof(line) - (size_t)off, "%s\"t%d\"", i ? "," : "", i);
		snprintf(line + off, sizeof(line) - (size_t)off, "]},\"id\":6}");
		json_object_put(expect_error(u, line, JSONRPC_INVALID_PARAMS, "6"));
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\","
					     "\"params\":{\"types\":[\"%065d\"]},\"id\":7}", 0);
		json_object_put(expect_error(u, line, JSONRPC_INVALID_PARAMS, "7"));
	}
	json_object_put(expect_error(u, "{\"jsonrpc\":\"2.0\",\"method\":\"events.unsubscribe\","
				       "\"params\":{\"x\":1},\"id\":5}", JSONRPC_INVALID_PARAMS, "5"));
	tc_close(t);
	tc_close(u);
}
END_TEST

/* A subscriber that never reads: the loop goes on, others are served, and it is cut
 * off once its queue is full. */
START_TEST(slow_subscriber_disconnected)
{
	struct tc *slow, *good;
	struct json_object *r;
	unsigned batch = 1000, sent = 0, got = 0;
	uint64_t t0;

	start();
	slow = tc_open(path);
	good = tc_open(path);
	json_object_put(call_ok(slow, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"id\":1}"));
	/* Far more than the socket buffer and the 1 MiB queue together. */
	while (sent < 40000) {
		t0 = test_now_ms();
		loop_call(loop, emit_many, &batch);
		sent += batch;
		ck_assert_msg(test_now_ms() - t0 < 2000, "the loop blocked on a slow client");
		r = call_ok(good, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}");
		json_object_put(r);
	}
	/* It got the beginning, then the connection ends. */
	while (tc_line(slow, 2000))
		got++;
	ck_assert(slow->eof);
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_lt(got, sent);
	tc_close(slow);
	json_object_put(call_ok(good, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}"));
	tc_close(good);
}
END_TEST

/* A client that sends many requests and reads nothing is not cut off: its requests
 * wait until it reads, and the loop serves others meanwhile. */
START_TEST(request_flood_waits)
{
	enum { N = 3000 };
	struct tc *flood, *other;
	char *req = malloc(2048);
	size_t len, off = 0;
	unsigned got = 0, sent = 0;

	start();
	flood = tc_open(path);
	other = tc_open(path);
	len = (size_t)snprintf(req, 2048, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"%01000d\"],\"id\":1}\n", 0);
	ck_assert(fcntl(flood->fd, F_SETFL, O_NONBLOCK) == 0);
	while (sent < N) {
		ssize_t n = send(flood->fd, req + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = flood->fd, .events = POLLOUT };

			if (poll(&p, 1, 300) == 1)
				continue;
			/* the server stopped reading us: others still get answers */
			json_object_put(call_ok(other, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}"));
			break;
		}
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
		if (off == len) {
			off = 0;
			sent++;
		}
	}
	ck_assert_uint_lt(sent, N);
	ck_assert(fcntl(flood->fd, F_SETFL, 0) == 0);
	/* Everything sent is answered once it reads. */
	while (tc_line(flood, 1000))
		got++;
	ck_assert_uint_eq(got, sent);
	ck_assert(!flood->eof);
	if (off) {	/* end the request cut short: it is answered as what it is */
		tc_write(flood, "\n", 1);
		json_object_put(expect_error(flood, "", JSONRPC_PARSE_ERROR, "null"));
	}
	json_object_put(call_ok(flood, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"last\"}"));
	tc_close(flood);
	tc_close(other);
	free(req);
}
END_TEST

START_TEST(socketpair_client)
{
	int sv[2];
	struct tc t = { .buf = malloc(TC_BUF) };
	struct json_object *r;

	make_server(NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(mgmt_add_client(mgmt, sv[0]), 0);
	test_loop_start(&tl);
	ck_assert(fcntl(sv[1], F_SETFL, 0) == 0);
	t.fd = sv[1];
	r = call_ok(&t, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":6},\"id\":1}");
	ck_assert_int_eq(json_object_get_int(get(r, "result")), 6);
	json_object_put(r);
	close(sv[1]);
	free(t.buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mgmt");
	TCase *tc = tcase_create("socket");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, socket_mode_0600);
	tcase_add_test(tc, socket_refuses_other_files);
	tcase_add_test(tc, socket_stale_replaced_live_refused);
	tcase_add_test(tc, socketpair_client);
	suite_add_tcase(s, tc);

	tc = tcase_create("protocol");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, good_requests);
	tcase_add_test(tc, notifications_get_no_reply);
	tcase_add_test(tc, bad_requests_keep_connection);
	tcase_add_test(tc, hostile_bytes_keep_connection);
	tcase_add_test(tc, batches);
	tcase_add_test(tc, partial_lines);
	tcase_add_test(tc, last_line_without_newline);
	tcase_add_test(tc, oversized_message_resyncs);
	tcase_add_test(tc, reply_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("async");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, async_replies_out_of_order);
	tcase_add_test(tc, async_client_gone);
	tcase_add_test(tc, clients_vanish_mid_call);
	tcase_add_test(tc, async_pending_at_free);
	tcase_add_test(tc, too_many_pending);
	suite_add_tcase(s, tc);

	tc = tcase_create("clients");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, many_clients);
	tcase_add_test(tc, client_limit);
	tcase_add_test(tc, events_to_subscribers);
	tcase_add_test(tc, slow_subscriber_disconnected);
	tcase_add_test(tc, request_flood_waits);
	suite_add_tcase(s, tc);
	return test_main(s);
}
