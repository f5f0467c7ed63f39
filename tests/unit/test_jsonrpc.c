/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC 2.0 layer without sockets: strict parsing of one message, the
 * request checks (each rule of the specification's Request object), the messages
 * built, and the parameter getters with errors that name the parameter.
 */
#include <check.h>
#include <string.h>

#include "jsonrpc.h"
#include "testutil.h"

static struct json_object *parse_ok(const char *text)
{
	struct jsonrpc_error e = { 0 };
	struct json_object *v = (void *)1;

	ck_assert_msg(jsonrpc_parse(text, strlen(text), &v, &e) == 0, "%s: %s", text, e.message);
	ck_assert_msg(v != NULL || !strcmp(text, "null"), "%s: no value", text);
	return v;
}

static void parse_bad(const char *text, size_t len)
{
	struct jsonrpc_error e = { 0 };
	struct json_object *v = (void *)1;

	ck_assert_msg(jsonrpc_parse(text, len, &v, &e) == -1, "accepted %.*s", (int)len, text);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(e.code, JSONRPC_PARSE_ERROR);
	ck_assert_msg(!strncmp(e.message, "Parse error", 11), "%s", e.message);
	ck_assert_ptr_null(e.data);
}

START_TEST(parse_good)
{
	static const char *const good[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"a\"}",
		"  {\"a\": [1, 2.5, -3e2, 1E+2, true, false, null, \"x\\n\\u00e9\"]}  ",
		"[]", "1", "\"s\"", "-0", "null", "{\"\xc3\xa9\": \"\xe2\x82\xac\"}",
		"{\"a\":1}\r",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		json_object_put(parse_ok(good[i]));
}
END_TEST

START_TEST(parse_bad_inputs)
{
	static const char *const bad[] = {
		"", "   ", "{", "{\"a\":1", "{\"a\":1}}", "{\"a\":1}{\"b\":2}", "{\"a\":1} x", "[1,2,]",
		"{\"a\":1,}", "{'a':1}", "['a']", "{a:1}", "NaN", "Infinity", "-Infinity", "[1.]", "01",
		"+1", ".5", "0x10", "\"\\x\"", "\"a\tb\"", "\"a\x01\"", "/* c */ {}", "True", "nul", "\"abc",
		"\"\xff\"", "\"\xc3\"", "{\"a\" 1}", "[1 2]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i], strlen(bad[i]));
	/* a NUL inside or after the value */
	parse_bad("{\"a\":1}\0", 8);
	parse_bad("{\"a\":\"x\0y\"}", 11);
}
END_TEST

START_TEST(parse_depth)
{
	char deep[2 * JSONRPC_MAX_DEPTH + 8];
	size_t n = 0;

	for (int i = 0; i < JSONRPC_MAX_DEPTH - 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSONRPC_MAX_DEPTH - 1; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	json_object_put(parse_ok(deep));
	n = 0;
	for (int i = 0; i < JSONRPC_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSONRPC_MAX_DEPTH + 1; i++)
		deep[n++] = ']';
	parse_bad(deep, n);
}
END_TEST

/* ---- requests --------------------------------------------------------------------- */

static int check(const char *text, struct jsonrpc_request *req, struct jsonrpc_error *e, struct json_object **msg)
{
	*msg = parse_ok(text);
	memset(e, 0, sizeof(*e));
	return jsonrpc_check_request(*msg, req, e);
}

START_TEST(request_good)
{
	struct jsonrpc_request req;
	struct jsonrpc_error e;
	struct json_object *msg;

	ck_assert_int_eq(check("{\"jsonrpc\":\"2.0\",\"method\":\"vm.info\",\"id\":7}", &req, &e, &msg), 0);
	ck_assert_str_eq(req.method, "vm.info");
	ck_assert(req.has_id);
	ck_assert_int_eq(json_object_get_int(req.id), 7);
	ck_assert_ptr_null(req.params);
	json_object_put(msg);

	ck_assert_int_eq(check("{\"id\":\"a\",\"params\":{\"x\":1},\"method\":\"m\",\"jsonrpc\":\"2.0\"}", &req, &e,
			       &msg), 0);
	ck_assert_str_eq(json_object_get_string(req.id), "a");
	ck_assert(json_object_is_type(req.params, json_type_object));
	json_object_put(msg);

	ck_assert_int_eq(check("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[1],\"id\":null}", &req, &e, &msg), 0);
	ck_assert(req.has_id);		/* id null is a request, not a notification */
	ck_assert_ptr_null(req.id);
	ck_assert(json_object_is_type(req.params, json_type_array));
	json_object_put(msg);

	ck_assert_int_eq(check("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1.5}", &req, &e, &msg), 0);
	json_object_put(msg);

	ck_assert_int_eq(check("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}", &req, &e, &msg), 0);
	ck_assert(!req.has_id);		/* a notification */
	json_object_put(msg);
}
END_TEST

START_TEST(request_bad)
{
	static const struct {
		const char *text;
		const char *why;	/* in the message */
		bool id_echoed;
	} bad[] = {
		{ "[1]", "not an object", false },
		{ "\"x\"", "not an object", false },
		{ "{\"method\":\"m\",\"id\":1}", "\"jsonrpc\"", true },
		{ "{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"id\":1}", "\"jsonrpc\"", true },
		{ "{\"jsonrpc\":2.0,\"method\":\"m\",\"id\":1}", "\"jsonrpc\"", true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1}", "\"method\" is missing", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":1,\"id\":1}", "\"method\" must be a string", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":1}", "\"method\" must be a string", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"x\",\"id\":1}", "\"params\"", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":3,\"id\":1}", "\"params\"", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":null,\"id\":1}", "\"params\"", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":{}}", "\"id\"", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":[1]}", "\"id\"", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":true}", "\"id\"", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"param\":{},\"id\":1}", "unknown member \"param\"", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":1,\"params\":\"bar\"}", "\"method\"", false },
	};
	struct jsonrpc_request req;
	struct jsonrpc_error e;
	struct json_object *msg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(check(bad[i].text, &req, &e, &msg) == -1, "accepted %s", bad[i].text);
		ck_assert_int_eq(e.code, JSONRPC_INVALID_REQUEST);
		ck_assert_msg(strstr(e.message, bad[i].why), "%s: %s", bad[i].text, e.message);
		ck_assert_msg(bad[i].id_echoed == (req.id != NULL), "%s: id", bad[i].text);
		/* data, where there is any, is an object: the unknown member in data.member */
		if (strstr(bad[i].why, "unknown member")) {
			ck_assert(json_object_is_type(e.data, json_type_object));
			ck_assert_str_eq(json_object_get_string(json_object_object_get(e.data, "member")), "param");
		} else {
			ck_assert_ptr_null(e.data);
		}
		json_object_put(e.data);
		json_object_put(msg);
	}
}
END_TEST

/* ---- messages --------------------------------------------------------------------- */

static void text_is(struct json_object *msg, const char *want)
{
	size_t len;
	const char *t = jsonrpc_text(msg, &len);

	ck_assert_str_eq(t, want);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_ptr_null(strchr(t, '\n'));
	json_object_put(msg);
}

START_TEST(messages)
{
	struct json_object *id = json_object_new_string("a/b"), *res = json_object_new_object();
	struct jsonrpc_error e;

	json_object_object_add(res, "s", json_object_new_string("line\nbreak"));
	text_is(jsonrpc_result(id, res), "{\"jsonrpc\":\"2.0\",\"result\":{\"s\":\"line\\nbreak\"},\"id\":\"a/b\"}");
	text_is(jsonrpc_result(NULL, json_object_new_int(3)), "{\"jsonrpc\":\"2.0\",\"result\":3,\"id\":null}");
	jsonrpc_error_set(&e, -32001, json_object_new_string("scsi0"), "device %s not found", "scsi0");
	text_is(jsonrpc_error_response(id, &e),
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"device scsi0 not found\","
		"\"data\":\"scsi0\"},\"id\":\"a/b\"}");
	ck_assert_ptr_null(e.data);	/* consumed */
	jsonrpc_error_set(&e, JSONRPC_PARSE_ERROR, NULL, "Parse error");
	text_is(jsonrpc_error_response(NULL, &e),
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}");
	text_is(jsonrpc_notification("event", NULL), "{\"jsonrpc\":\"2.0\",\"method\":\"event\"}");
	json_object_put(id);
}
END_TEST

/* ---- parameters ------------------------------------------------------------------- */

/* An invalid-params error whose data is exactly {"param": key} (NULL: null). */
static void bad_param(int r, struct jsonrpc_error *e, const char *key)
{
	struct json_object *p;

	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(e->code, JSONRPC_INVALID_PARAMS);
	ck_assert_msg(!key || strstr(e->message, key), "%s does not name %s", e->message, key);
	ck_assert(json_object_is_type(e->data, json_type_object));
	ck_assert_int_eq(json_object_object_length(e->data), 1);
	ck_assert_msg(json_object_object_get_ex(e->data, "param", &p), "no data.param");
	if (key)
		ck_assert_str_eq(json_object_get_string(p), key);
	else
		ck_assert_ptr_null(p);
	json_object_put(e->data);
	e->data = NULL;
}

START_TEST(params_form)
{
	static const char *const known[] = { "a", "b", NULL };
	struct json_object *p;
	struct jsonrpc_error e = { 0 };

	ck_assert_int_eq(jsonrpc_params_check(NULL, known, &e), 0);
	p = parse_ok("[]");
	ck_assert_int_eq(jsonrpc_params_check(p, known, &e), 0);
	json_object_put(p);
	p = parse_ok("{\"a\":1,\"b\":2}");
	ck_assert_int_eq(jsonrpc_params_check(p, known, &e), 0);
	json_object_put(p);
	p = parse_ok("[1,2]");
	ck_assert_int_eq(jsonrpc_params_check(p, known, &e), -1);
	ck_assert(strstr(e.message, "named parameters"));
	/* no one parameter is at fault: data.param is null */
	bad_param(-1, &e, NULL);
	json_object_put(p);
	p = parse_ok("{\"a\":1,\"timeout\":2}");
	bad_param(jsonrpc_params_check(p, known, &e), &e, "timeout");
	json_object_put(p);
}
END_TEST

START_TEST(param_int)
{
	struct json_object *p = parse_ok("{\"n\":5,\"neg\":-3,\"f\":5.0,\"s\":\"5\",\"b\":true,\"nul\":null,"
					 "\"huge\":18446744073709551615,\"max\":9223372036854775807}");
	struct jsonrpc_error e = { 0 };
	int64_t v = 42;

	ck_assert_int_eq(jsonrpc_param_int(p, "n", true, 1, 10, &v, &e), 1);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(jsonrpc_param_int(p, "neg", true, -5, 0, &v, &e), 1);
	ck_assert_int_eq(v, -3);
	v = 42;
	ck_assert_int_eq(jsonrpc_param_int(p, "absent", false, 1, 10, &v, &e), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(jsonrpc_param_int(NULL, "absent", false, 1, 10, &v, &e), 0);
	bad_param(jsonrpc_param_int(p, "absent", true, 1, 10, &v, &e), &e, "absent");
	bad_param(jsonrpc_param_int(p, "n", true, 6, 10, &v, &e), &e, "n");
	bad_param(jsonrpc_param_int(p, "n", true, 1, 4, &v, &e), &e, "n");
	bad_param(jsonrpc_param_int(p, "f", true, 1, 10, &v, &e), &e, "f");
	bad_param(jsonrpc_param_int(p, "s", true, 1, 10, &v, &e), &e, "s");
	bad_param(jsonrpc_param_int(p, "b", true, 0, 10, &v, &e), &e, "b");
	bad_param(jsonrpc_param_int(p, "nul", false, 0, 10, &v, &e), &e, "nul");
	bad_param(jsonrpc_param_int(p, "huge", true, 0, INT64_MAX, &v, &e), &e, "huge");
	ck_assert_int_eq(jsonrpc_param_int(p, "max", true, 0, INT64_MAX, &v, &e), 1);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(v, INT64_MAX);
	json_object_put(p);
}
END_TEST

START_TEST(param_bool_string)
{
	struct json_object *p = parse_ok("{\"t\":true,\"f\":false,\"one\":1,\"s\":\"abc\",\"empty\":\"\","
					 "\"nul\":\"a\\u0000b\",\"num\":3}");
	struct jsonrpc_error e = { 0 };
	const char *s = NULL;
	bool b = false;

	ck_assert_int_eq(jsonrpc_param_bool(p, "t", true, &b, &e), 1);
	ck_assert(b);
	ck_assert_int_eq(jsonrpc_param_bool(p, "f", true, &b, &e), 1);
	ck_assert(!b);
	ck_assert_int_eq(jsonrpc_param_bool(p, "absent", false, &b, &e), 0);
	bad_param(jsonrpc_param_bool(p, "one", true, &b, &e), &e, "one");
	bad_param(jsonrpc_param_bool(p, "s", false, &b, &e), &e, "s");
	bad_param(jsonrpc_param_bool(p, "absent", true, &b, &e), &e, "absent");

	ck_assert_int_eq(jsonrpc_param_string(p, "s", true, 3, &s, &e), 1);
	ck_assert_str_eq(s, "abc");
	ck_assert_int_eq(jsonrpc_param_string(p, "absent", false, 3, &s, &e), 0);
	bad_param(jsonrpc_param_string(p, "s", true, 2, &s, &e), &e, "s");
	bad_param(jsonrpc_param_string(p, "empty", true, 10, &s, &e), &e, "empty");
	bad_param(jsonrpc_param_string(p, "nul", true, 10, &s, &e), &e, "nul");
	bad_param(jsonrpc_param_string(p, "num", true, 10, &s, &e), &e, "num");
	json_object_put(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonrpc");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad_inputs);
	tcase_add_test(tc, parse_depth);
	suite_add_tcase(s, tc);
	tc = tcase_create("requests");
	tcase_add_test(tc, request_good);
	tcase_add_test(tc, request_bad);
	tcase_add_test(tc, messages);
	suite_add_tcase(s, tc);
	tc = tcase_create("params");
	tcase_add_test(tc, params_form);
	tcase_add_test(tc, param_int);
	tcase_add_test(tc, param_bool_string);
	suite_add_tcase(s, tc);
	return test_main(s);
}
