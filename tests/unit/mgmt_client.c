/* SPDX-License-Identifier: MIT */
#include "mgmt_client.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct tc *tc_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct tc *t = calloc(1, sizeof(*t));

	t->buf = malloc(TC_BUF);
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(t->fd, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return t;
}

void tc_close(struct tc *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->buf);
	free(t);
}

void tc_write(struct tc *t, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);

		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void tc_send(struct tc *t, const char *line)
{
	tc_write(t, line, strlen(line));
	tc_write(t, "\n", 1);
}

/* The next line as text (NUL-terminated in place, valid until the next call), or
 * NULL on end of file or after ms without one. */
char *tc_line(struct tc *t, int ms)
{
	static char line[TC_BUF];
	uint64_t end = test_now_ms() + (uint64_t)ms;

	for (;;) {
		char *nl = memchr(t->buf, '\n', t->len);
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - t->buf);

			memcpy(line, t->buf, l);
			line[l] = '\0';
			memmove(t->buf, nl + 1, t->len - l - 1);
			t->len -= l + 1;
			return line;
		}
		if (t->eof || test_now_ms() >= end)
			return NULL;
		if (poll(&p, 1, (int)(end - test_now_ms())) <= 0)
			continue;
		n = recv(t->fd, t->buf + t->len, TC_BUF - t->len, 0);
		if (n <= 0)
			t->eof = true;
		else
			t->len += (size_t)n;
	}
}

struct json_object *tc_recv(struct tc *t, int ms)
{
	char *line = tc_line(t, ms);
	struct json_object *v;

	if (!line)
		return NULL;
	v = json_tokener_parse(line);
	ck_assert_msg(v, "not JSON: %s", line);
	return v;
}

/* Nothing more arrives within ms. */
void tc_quiet(struct tc *t, int ms)
{
	char *line = tc_line(t, ms);

	ck_assert_msg(!line, "unexpected: %s", line);
}

struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

bool has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* A reply must have exactly jsonrpc, id and one of result/error. */
void check_shape(struct json_object *r)
{
	ck_assert(json_object_is_type(r, json_type_object));
	ck_assert_str_eq(json_object_get_string(get(r, "jsonrpc")), "2.0");
	ck_assert(has(r, "id"));
	ck_assert(has(r, "result") != has(r, "error"));
	ck_assert_int_eq(json_object_object_length(r), 3);
}

int error_code(struct json_object *r)
{
	check_shape(r);
	ck_assert_msg(has(r, "error"), "no error in %s", json_object_to_json_string(r));
	return json_object_get_int(get(get(r, "error"), "code"));
}

/* Send a request line and expect an error with this code and id (NULL: null). */
struct json_object *expect_error(struct tc *t, const char *line, int code, const char *id_json)
{
	struct json_object *r;

	tc_send(t, line);
	r = tc_recv(t, 5000);
	ck_assert_msg(r, "no reply to %s", line);
	ck_assert_msg(error_code(r) == code, "%s -> %s", line, json_object_to_json_string(r));
	ck_assert_str_eq(json_object_to_json_string(get(r, "id")), id_json);
	return r;
}

struct json_object *call_ok(struct tc *t, const char *line)
{
	struct json_object *r;

	tc_send(t, line);
	r = tc_recv(t, 5000);
	ck_assert_msg(r, "no reply to %s", line);
	check_shape(r);
	ck_assert_msg(has(r, "result"), "%s -> %s", line, json_object_to_json_string(r));
	return r;
}


/* The request line for method and params (a buffer as large as the longest a test sends). */
static char *rpc_line(const char *method, const char *params)
{
	static char line[16384];
	int n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":%s,\"id\":1}",
			 method, params ? params : "{}");

	ck_assert_msg(n > 0 && (size_t)n < sizeof(line), "request for %s too long", method);
	return line;
}

struct json_object *rpc_ok(struct tc *t, const char *method, const char *params)
{
	return call_ok(t, rpc_line(method, params));
}

struct json_object *rpc_err(struct tc *t, const char *method, const char *params, int code)
{
	return expect_error(t, rpc_line(method, params), code, "1");
}

const char *get_str(struct json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

void check_param(struct json_object *r, const char *param)
{
	struct json_object *d, *p;

	ck_assert_msg(error_code(r) == -32602, "not invalid params: %s", json_object_to_json_string(r));
	ck_assert_msg(json_object_object_get_ex(get(r, "error"), "data", &d) && json_object_is_type(d, json_type_object) &&
			      json_object_object_length(d) == 1 && json_object_object_get_ex(d, "param", &p),
		      "data is not {\"param\": ...}: %s", json_object_to_json_string(r));
	if (param)
		ck_assert_msg(json_object_is_type(p, json_type_string) && !strcmp(json_object_get_string(p), param),
			      "data.param is not \"%s\": %s", param, json_object_to_json_string(r));
	else
		ck_assert_msg(!p, "data.param is not null: %s", json_object_to_json_string(r));
}

void rpc_bad_param(struct tc *t, const char *method, const char *params, const char *param)
{
	struct json_object *r = rpc_err(t, method, params, -32602);

	check_param(r, param);
	json_object_put(r);
}
