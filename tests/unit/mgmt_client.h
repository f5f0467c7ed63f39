/* SPDX-License-Identifier: MIT */
/* A line-reading client of the management socket for the unit tests, and checks of
 * what a JSON-RPC reply must look like. */
#ifndef HVKVM_TEST_MGMT_CLIENT_H
#define HVKVM_TEST_MGMT_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct tc {
	int fd;
	char *buf;		/* TC_BUF bytes */
	size_t len;
	bool eof;
};

#define TC_BUF (4u << 20)

struct tc *tc_open(const char *path);
void tc_close(struct tc *t);
void tc_write(struct tc *t, const void *data, size_t len);
/* line and a newline */
void tc_send(struct tc *t, const char *line);
/* The next line as text (NUL-terminated, valid until the next call), or NULL on end
 * of file or after ms without one. */
char *tc_line(struct tc *t, int ms);
/* The next line parsed (NULL as tc_line). */
struct json_object *tc_recv(struct tc *t, int ms);
/* Nothing more arrives within ms. */
void tc_quiet(struct tc *t, int ms);

struct json_object *get(struct json_object *o, const char *key);
bool has(struct json_object *o, const char *key);
/* A reply has exactly jsonrpc, id and one of result/error. */
void check_shape(struct json_object *r);
int error_code(struct json_object *r);
/* Send a request line, expect an error with this code and id (as JSON text). */
struct json_object *expect_error(struct tc *t, const char *line, int code, const char *id_json);
/* Send a request line, expect a result. */
struct json_object *call_ok(struct tc *t, const char *line);
/* Call method with params (JSON text, NULL: {}) and id 1: expect a result, or an error
 * with this code. */
struct json_object *rpc_ok(struct tc *t, const char *method, const char *params);
struct json_object *rpc_err(struct tc *t, const char *method, const char *params, int code);
/* r is an invalid-params error (-32602) whose data is exactly {"param": param} (NULL:
 * null), the one shape every method gives. */
void check_param(struct json_object *r, const char *param);
/* rpc_err() of an invalid-params error naming param, checked with check_param(). */
void rpc_bad_param(struct tc *t, const char *method, const char *params, const char *param);
/* A string member of o (NULL if absent). */
const char *get_str(struct json_object *o, const char *key);

#endif
