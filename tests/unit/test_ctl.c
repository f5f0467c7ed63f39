/* SPDX-License-Identifier: MIT */
/*
 * `hvkvm ctl`: its arguments (options anywhere, key=value typing, key:=JSON, every
 * usage error), and the whole client against a real server on a loop thread, with
 * its output and exit status for a result, an error reply, a refused connection,
 * a timeout and an event stream.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "loop.h"
#include "mgmt.h"
#include "testutil.h"

#define ARGV(...) ((char *[]){ "ctl", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "ctl", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) ctl_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err, sizeof(err))

static const char *param_json(struct ctl_args *a, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(a->params, key, &v), "no %s", key);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

START_TEST(parse_method_and_params)
{
	struct ctl_args a;
	char err[256];

	ck_assert_int_eq(PARSE(&a, err, "--socket", "/run/vm.sock", "vm.info"), 0);
	ck_assert_str_eq(a.socket, "/run/vm.sock");
	ck_assert_str_eq(a.method, "vm.info");
	ck_assert_ptr_null(a.params);
	ck_assert_uint_eq(a.timeout_ms, CTL_DEFAULT_TIMEOUT_MS);
	ck_assert(!a.events && !a.help);
	ctl_args_free(&a);

	ck_assert_int_eq(PARSE(&a, err, "-s", "/s", "-t", "0.5", "disk.add", "path=/img/a b.raw", "lun=3", "neg=-12",
			       "f=1.5", "e=2e3", "ro=true", "no=false", "nul=null", "lead=007", "hex=0x10",
			       "empty=", "word=True", "s:=\"123\"", "arr:=[1,\"x\"]", "obj:={\"k\":null}",
			       "eq=a=b", "big=18446744073709551615"), 0);
	ck_assert_uint_eq(a.timeout_ms, 500);
	ck_assert_str_eq(a.method, "disk.add");
	ck_assert_str_eq(param_json(&a, "path"), "\"/img/a b.raw\"");
	ck_assert_str_eq(param_json(&a, "lun"), "3");
	ck_assert_str_eq(param_json(&a, "neg"), "-12");
	ck_assert_str_eq(param_json(&a, "f"), "1.5");
	ck_assert_str_eq(param_json(&a, "e"), "2e3");
	ck_assert_str_eq(param_json(&a, "ro"), "true");
	ck_assert_str_eq(param_json(&a, "no"), "false");
	ck_assert_str_eq(param_json(&a, "nul"), "null");
	ck_assert_str_eq(param_json(&a, "lead"), "\"007\"");	/* not a JSON number */
	ck_assert_str_eq(param_json(&a, "hex"), "\"0x10\"");
	ck_assert_str_eq(param_json(&a, "empty"), "\"\"");
	ck_assert_str_eq(param_json(&a, "word"), "\"True\"");
	ck_assert_str_eq(param_json(&a, "s"), "\"123\"");
	ck_assert_str_eq(param_json(&a, "arr"), "[1,\"x\"]");
	ck_assert_str_eq(param_json(&a, "obj"), "{\"k\":null}");
	ck_assert_str_eq(param_json(&a, "eq"), "\"a=b\"");
	ck_assert_str_eq(param_json(&a, "big"), "18446744073709551615");
	ck_assert_int_eq(json_object_object_length(a.params), 17);
	ctl_args_free(&a);
}
END_TEST

START_TEST(parse_options_anywhere)
{
	struct ctl_args a;
	char err[256];

	ck_assert_int_eq(PARSE(&a, err, "vm.shutdown", "timeout_s=5", "--socket=/s", "--timeout=0"), 0);
	ck_assert_str_eq(a.socket, "/s");
	ck_assert_uint_eq(a.timeout_ms, 0);
	ck_assert_str_eq(param_json(&a, "timeout_s"), "5");
	ctl_args_free(&a);

	ck_assert_int_eq(PARSE(&a, err, "--events", "-s", "/s", "types:=[\"state\"]"), 0);
	ck_assert(a.events);
	ck_assert_ptr_null(a.method);
	ck_assert_str_eq(param_json(&a, "types"), "[\"state\"]");
	ctl_args_free(&a);

	ck_assert_int_eq(PARSE(&a, err, "-s", "/s", "--", "m", "-x=1"), 0);
	ck_assert_str_eq(param_json(&a, "-x"), "1");
	ctl_args_free(&a);

	ck_assert_int_eq(PARSE(&a, err, "--help"), 0);	/* needs nothing else */
	ck_assert(a.help);
	ctl_args_free(&a);
	ck_assert_int_eq(PARSE(&a, err, "vm.info", "-h"), 0);
	ck_assert(a.help);
	ctl_args_free(&a);
}
END_TEST

static void bad(int r, struct ctl_args *a, const char *err, const char *want)
{
	ck_assert_int_eq(r, -1);
	ck_assert_msg(strstr(err, want), "\"%s\" does not say \"%s\"", err, want);
	ctl_args_free(a);
}

START_TEST(parse_errors)
{
	struct ctl_args a;
	char err[256];

	bad(PARSE(&a, err, "--socket", "/s"), &a, err, "METHOD is required");
	bad(PARSE(&a, err, "vm.info"), &a, err, "--socket PATH is required");
	bad(PARSE(&a, err, "--socket"), &a, err, "--socket needs a value");
	bad(PARSE(&a, err, "--socket="), &a, err, "empty path");
	bad(PARSE(&a, err, "-s", "/s", "--frob", "vm.info"), &a, err, "unknown option '--frob'");
	bad(PARSE(&a, err, "-s", "/s", "-sx", "vm.info"), &a, err, "unknown option '-sx'");
	bad(PARSE(&a, err, "-s", "/s", "--socketx=1", "vm.info"), &a, err, "unknown option");
	bad(PARSE(&a, err, "-s", "/s", "-t", "abc", "vm.info"), &a, err, "--timeout abc");
	bad(PARSE(&a, err, "-s", "/s", "-t", "-1", "vm.info"), &a, err, "--timeout -1");
	bad(PARSE(&a, err, "-s", "/s", "-t", "nan", "vm.info"), &a, err, "--timeout nan");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "noequals"), &a, err, "expected key=value");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "=v"), &a, err, "expected key=value");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", ":=1"), &a, err, "expected key=value");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "a=1", "a=2"), &a, err, "'a' is given twice");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "a:={x}"), &a, err, "not JSON");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "a:="), &a, err, "not JSON");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "n=99999999999999999999"), &a, err, "out of range");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "n=-9999999999999999999"), &a, err, "out of range");
	bad(PARSE(&a, err, "-s", "/s", "--events", "vm.info"), &a, err, "expected key=value");
	bad(PARSE(&a, err, "-s", "/s", "vm.info", "--events"), &a, err, "--events takes no METHOD");
	bad(PARSE(&a, err, "-s", "/s", "a=1"), &a, err, "METHOD comes before");
}
END_TEST

START_TEST(values)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "0", "0" }, { "-0", "0" }, { "12", "12" }, { "1.25", "1.25" }, { "-1e-3", "-1e-3" },
		{ "true", "true" }, { "false", "false" }, { "null", "null" },
		{ "01", "\"01\"" }, { "1.", "\"1.\"" }, { ".5", "\".5\"" }, { "+1", "\"+1\"" }, { "1e", "\"1e\"" },
		{ "NaN", "\"NaN\"" }, { "-", "\"-\"" }, { "", "\"\"" }, { "TRUE", "\"TRUE\"" }, { "nulls", "\"nulls\"" },
		{ "a\"b", "\"a\\\"b\"" }, { "/p/q", "\"/p/q\"" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct json_object *j = ctl_value(v[i].in);

		const char *got = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

		ck_assert_msg(!strcmp(got, v[i].out), "%s -> %s, want %s", v[i].in, got, v[i].out);
		json_object_put(j);
	}
}
END_TEST

/* ---- against a server ------------------------------------------------------------------- */

static char dir[64], path[128];
static struct loop *loop;
static struct test_loop tl;
static struct mgmt *mgmt;

static void m_echo(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)opaque;
	mgmt_reply(call, json_object_get(params));
}

static void m_fail(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)params, (void)opaque;
	mgmt_error(call, MGMT_ERR_TIMEOUT, json_object_new_string("why"), "it took too long");
}

static void never_cancel(struct mgmt_call *call, void *opaque)
{
	(void)call, (void)opaque;
}

/* Never answers; forgotten when the server goes. */
static void m_never(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)params;
	mgmt_call_set_cancel(call, never_cancel, opaque);
}

static void setup(void)
{
	char err[256];

	strcpy(dir, "/tmp/hvkvm-ctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	loop = loop_new();
	memset(&tl, 0, sizeof(tl));
	tl.loop = loop;
	mgmt = mgmt_new(loop);
	ck_assert_int_eq(mgmt_register(mgmt, "echo", m_echo, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "fail", m_fail, NULL), 0);
	ck_assert_int_eq(mgmt_register(mgmt, "never", m_never, NULL), 0);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
	test_loop_start(&tl);
}

static void teardown(void)
{
	test_loop_stop(&tl);
	mgmt_free(mgmt, 0);
	loop_free(loop);
	unlink(path);
	rmdir(dir);
}

struct run {
	int status;
	char out[8192], err[8192];
};

static void slurp(const char *file, char *buf, size_t len)
{
	FILE *f = fopen(file, "r");
	size_t n = fread(buf, 1, len - 1, f);

	buf[n] = '\0';
	fclose(f);
	unlink(file);
}

/* Run ctl_main with stdout and stderr in files. */
static void run_ctl(struct run *r, int argc, char **argv)
{
	char o[160], e[160];
	int so = dup(1), se = dup(2), fo, fe;

	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	fo = open(o, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	fe = open(e, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	fflush(stdout);
	fflush(stderr);
	dup2(fo, 1);
	dup2(fe, 2);
	r->status = ctl_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	slurp(o, r->out, sizeof(r->out));
	slurp(e, r->err, sizeof(r->err));
}

#define RUN(r, ...) run_ctl(r, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

START_TEST(client_result)
{
	struct run r;

	RUN(&r, "--socket", path, "echo", "a=1", "b=x", "c:=[true]");
	ck_assert_int_eq(r.status, CTL_EXIT_OK);
	ck_assert_str_eq(r.out, "{\n  \"a\": 1,\n  \"b\": \"x\",\n  \"c\": [\n    true\n  ]\n}\n");
	ck_assert_str_eq(r.err, "");
	RUN(&r, "--socket", path, "echo", "x:={}");
	ck_assert_str_eq(r.out, "{\n  \"x\": {}\n}\n");
	RUN(&r, "--socket", path, "echo");
	ck_assert_int_eq(r.status, CTL_EXIT_OK);
	ck_assert_str_eq(r.out, "null\n");
}
END_TEST

START_TEST(client_errors)
{
	struct run r;
	char bogus[200];

	RUN(&r, "--socket", path, "fail");
	ck_assert_int_eq(r.status, CTL_EXIT_ERROR);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "hvkvm ctl: fail: it took too long (error -32003)\nhvkvm ctl: data: \"why\"\n");
	RUN(&r, "--socket", path, "nope");
	ck_assert_int_eq(r.status, CTL_EXIT_ERROR);
	ck_assert_ptr_nonnull(strstr(r.err, "Method not found"));
	RUN(&r, "--socket", path);
	ck_assert_int_eq(r.status, CTL_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.err, "METHOD is required"));
	ck_assert_ptr_null(strchr(strchr(r.err, '\n') + 1, '\n'));	/* one line */
	snprintf(bogus, sizeof(bogus), "%s/nothing.sock", dir);
	RUN(&r, "--socket", bogus, "echo");
	ck_assert_int_eq(r.status, CTL_EXIT_CONNECT);
	ck_assert_ptr_nonnull(strstr(r.err, "No such file"));
	RUN(&r, "--socket", path, "--timeout", "0.2", "never");
	ck_assert_int_eq(r.status, CTL_EXIT_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(r.err, "no reply in time"));
}
END_TEST

/* The client's output so far (run_ctl's file): its size. */
static off_t out_size(void)
{
	char o[160];
	struct stat st;

	snprintf(o, sizeof(o), "%s/out", dir);
	return stat(o, &st) == 0 ? st.st_size : 0;
}

/* Events until the client has printed one (it subscribes first), at most 10 s. */
static void *stop_later(void *opaque)
{
	uint64_t end = test_now_ms() + 10000;

	while (out_size() == 0 && test_now_ms() < end) {
		mgmt_emit(mgmt, "other", NULL);
		mgmt_emit(mgmt, "state", json_object_new_object());
		usleep(10000);
	}
	test_loop_stop(opaque);
	mgmt_free(mgmt, 100);	/* the server goes: the stream ends */
	mgmt = NULL;
	return NULL;
}

START_TEST(client_events)
{
	struct run r;
	pthread_t t;

	pthread_create(&t, NULL, stop_later, &tl);
	RUN(&r, "--socket", path, "--events", "types:=[\"state\"]");
	pthread_join(t, NULL);
	ck_assert_int_eq(r.status, CTL_EXIT_OK);
	ck_assert_msg(r.out[0], "no event in 10 s");
	/* Only the type asked for: every line a state event, never "other". */
	for (const char *l = r.out; *l; l = strchr(l, '\n') + 1) {
		ck_assert_msg(!strncmp(l, "{\"type\":\"state\",\"time_ms\":", 26), "%s", r.out);
		ck_assert_ptr_nonnull(strchr(l, '\n'));
	}
	ck_assert_ptr_null(strstr(r.out, "other"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("args");

	tcase_add_test(tc, parse_method_and_params);
	tcase_add_test(tc, parse_options_anywhere);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, values);
	suite_add_tcase(s, tc);
	tc = tcase_create("client");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, client_result);
	tcase_add_test(tc, client_errors);
	tcase_add_test(tc, client_events);
	suite_add_tcase(s, tc);
	return test_main(s);
}
