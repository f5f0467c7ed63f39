/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC 2.0 (jsonrpc.org/specification) as the management socket speaks it: one
 * message per line. This layer knows no sockets: it parses a message, checks a
 * request, builds responses and notifications, and reads a request's parameters
 * with errors that name the parameter.
 */
#ifndef HVKVM_JSONRPC_H
#define HVKVM_JSONRPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The specification's codes; hvkvm's own are in mgmt.h (-32000 to -32099). */
enum jsonrpc_code {
	JSONRPC_PARSE_ERROR = -32700,
	JSONRPC_INVALID_REQUEST = -32600,
	JSONRPC_METHOD_NOT_FOUND = -32601,
	JSONRPC_INVALID_PARAMS = -32602,
	JSONRPC_INTERNAL_ERROR = -32603,
};

#define JSONRPC_MAX_DEPTH	32	/* nesting of arrays and objects in a message */

/* An error on its way to the client: data is owned (NULL: no "data" member). */
struct jsonrpc_error {
	int code;
	char message[256];
	struct json_object *data;
};

void jsonrpc_error_set(struct jsonrpc_error *e, int code, struct json_object *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * An error's data is an object (or absent), never a bare value, so that a client reads
 * one shape: {key: value} (value NULL: null).
 */
struct json_object *jsonrpc_data(const char *key, const char *value);
/* The data of every invalid-params error: {"param": key}, the parameter at fault, or
 * {"param": null} (key NULL) when no one parameter is (params not an object, or a rule
 * across parameters). */
struct json_object *jsonrpc_param_data(const char *key);

/*
 * One message (a line without its newline) to a JSON value in *out (json-c's null is
 * NULL): 0, or -1 with e set to a -32700 error if it is not exactly one strict JSON
 * value (RFC 8259: no NaN, no single quotes, no control characters in strings, UTF-8)
 * nested at most JSONRPC_MAX_DEPTH deep, with only whitespace around it.
 */
int jsonrpc_parse(const char *buf, size_t len, struct json_object **out, struct jsonrpc_error *e);

struct jsonrpc_request {
	const char *method;
	struct json_object *params;	/* an object or an array; NULL when absent */
	struct json_object *id;		/* string, number or NULL for null */
	bool has_id;			/* false: a notification, never answered */
};

/*
 * Check that msg is a request: {"jsonrpc": "2.0", "method": string, "params"?:
 * object|array, "id"?: string|number|null} and nothing else. 0 with req pointing
 * into msg, or -1 with e set to -32600; req->id is then the id to answer with
 * (NULL for null when it is missing or not a valid id).
 */
int jsonrpc_check_request(struct json_object *msg, struct jsonrpc_request *req, struct jsonrpc_error *e);

/* Messages. id is borrowed (NULL: null); result, e->data and params are consumed. */
struct json_object *jsonrpc_result(struct json_object *id, struct json_object *result);
struct json_object *jsonrpc_error_response(struct json_object *id, struct jsonrpc_error *e);
struct json_object *jsonrpc_notification(const char *method, struct json_object *params);

/* A message as one line of compact JSON, without the newline; valid while msg is. */
const char *jsonrpc_text(struct json_object *msg, size_t *len);

/*
 * Parameters. Methods take named parameters: params must be an object, or absent, or
 * an empty array. jsonrpc_params_check() fails on any other form and on a key not in
 * known (NULL-terminated). The getters return 1 when the key is there and valid, 0
 * when an optional key is absent (*out untouched), -1 with e set to -32602 naming
 * the key otherwise.
 */
int jsonrpc_params_check(struct json_object *params, const char *const *known, struct jsonrpc_error *e);
int jsonrpc_param_int(struct json_object *params, const char *key, bool required, int64_t min, int64_t max,
		      int64_t *out, struct jsonrpc_error *e);
/* An integer parameter that rule passes: rule returns NULL, or the phrase the value
 * must be ("an integer 68-9202"), as config_rule_*() do. 1, 0 or -1 as above. */
int jsonrpc_param_int_rule(struct json_object *params, const char *key, bool required,
			   const char *(*rule)(int64_t), int64_t *out, struct jsonrpc_error *e);
int jsonrpc_param_bool(struct json_object *params, const char *key, bool required, bool *out,
		       struct jsonrpc_error *e);
/* A non-empty string of at most maxlen bytes without NUL; *out points into params. */
int jsonrpc_param_string(struct json_object *params, const char *key, bool required, size_t maxlen,
			 const char **out, struct jsonrpc_error *e);

#endif
