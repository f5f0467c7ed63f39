/* SPDX-License-Identifier: MIT */
#include "jsonrpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonrpc_error_set(struct jsonrpc_error *e, int code, struct json_object *data, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->data = data;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * What json-c accepts even in strict mode and RFC 8259 does not: single-quoted
 * strings, NaN and Infinity, "1.", and control characters inside strings. Everything
 * else (structure, escapes, numbers, UTF-8) json-c checks itself. Returns the offset
 * of the first such byte, or len.
 */
static size_t lenient_json_at(const char *s, size_t len)
{
	static const char *const words[] = { "true", "false", "null" };
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;	/* the escaped character, checked by json-c */
			else if (c == '"')
				in_string = false;
			else if ((unsigned char)c < 0x20)
				return i;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == 't' || c == 'f' || c == 'n') {
			size_t n = 0;

			for (unsigned w = 0; w < 3 && !n; w++)
				if (strlen(words[w]) <= len - i && !memcmp(s + i, words[w], strlen(words[w])))
					n = strlen(words[w]);
			if (!n)
				return i;
			i += n - 1;
		} else if (c == 'e' || c == 'E') {
			if (!i || !is_digit(s[i - 1]))
				return i;
		} else if (c == '.') {
			if (i + 1 >= len || !is_digit(s[i + 1]))
				return i;
		} else if (!is_ws(c) && !is_digit(c) && !strchr("{}[],:-+", c)) {
			return i;
		}
	}
	return len;
}

int jsonrpc_parse(const char *buf, size_t len, struct json_object **out, struct jsonrpc_error *e)
{
	struct json_tokener *tok;
	struct json_object *v;
	enum json_tokener_error err;
	size_t bad = lenient_json_at(buf, len), end;
	char *text;

	*out = NULL;
	if (bad < len) {
		jsonrpc_error_set(e, JSONRPC_PARSE_ERROR, NULL, "Parse error: unexpected character at offset %zu", bad);
		return -1;
	}
	if (len > INT32_MAX - 1) {
		jsonrpc_error_set(e, JSONRPC_PARSE_ERROR, NULL, "Parse error: message too long");
		return -1;
	}
	/* json-c needs the terminating NUL to know that a number at the end has ended. */
	text = malloc(len + 1);
	tok = json_tokener_new_ex(JSONRPC_MAX_DEPTH);
	if (!text || !tok) {
		free(text);
		json_tokener_free(tok);
		jsonrpc_error_set(e, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return -1;
	}
	memcpy(text, buf, len);
	text[len] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)len + 1);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	while (err == json_tokener_success && end < len && is_ws(text[end]))
		end++;
	json_tokener_free(tok);
	free(text);
	if (err == json_tokener_success && end == len) {
		*out = v;
		return 0;
	}
	json_object_put(v);
	if (err == json_tokener_success)
		jsonrpc_error_set(e, JSONRPC_PARSE_ERROR, NULL, "Parse error: more than one JSON value (offset %zu)", end);
	else
		jsonrpc_error_set(e, JSONRPC_PARSE_ERROR, NULL, "Parse error: %s at offset %zu",
				  json_tokener_error_desc(err == json_tokener_continue ? json_tokener_error_parse_eof : err),
				  end);
	return -1;
}

static bool valid_id(struct json_object *id)
{
	switch (json_object_get_type(id)) {
	case json_type_null:
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return true;
	default:
		return false;
	}
}

int jsonrpc_check_request(struct json_object *msg, struct jsonrpc_request *req, struct jsonrpc_error *e)
{
	struct json_object *v;

	memset(req, 0, sizeof(*req));
	if (!json_object_is_type(msg, json_type_object)) {
		jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL, "Invalid Request: not an object");
		return -1;
	}
	if (json_object_object_get_ex(msg, "id", &v) && valid_id(v)) {
		req->id = v;
		req->has_id = true;
	}
	json_object_object_foreach(msg, key, val) {
		if (!strcmp(key, "jsonrpc")) {
			if (!json_object_is_type(val, json_type_string) || strcmp(json_object_get_string(val), "2.0")) {
				jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL,
						  "Invalid Request: \"jsonrpc\" must be \"2.0\"");
				return -1;
			}
		} else if (!strcmp(key, "method")) {
			if (!json_object_is_type(val, json_type_string)) {
				jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL,
						  "Invalid Request: \"method\" must be a string");
				return -1;
			}
			req->method = json_object_get_string(val);
		} else if (!strcmp(key, "params")) {
			if (!json_object_is_type(val, json_type_object) && !json_object_is_type(val, json_type_array)) {
				jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL,
						  "Invalid Request: \"params\" must be an object or an array");
				return -1;
			}
			req->params = val;
		} else if (!strcmp(key, "id")) {
			if (!valid_id(val)) {
				jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL,
						  "Invalid Request: \"id\" must be a string, a number or null");
				return -1;
			}
		} else {
			jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, jsonrpc_data("member", key),
					  "Invalid Request: unknown member \"%.64s\"", key);
			return -1;
		}
	}
	if (!json_object_object_get_ex(msg, "jsonrpc", NULL)) {
		jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL, "Invalid Request: \"jsonrpc\": \"2.0\" is missing");
		return -1;
	}
	if (!req->method) {
		jsonrpc_error_set(e, JSONRPC_INVALID_REQUEST, NULL, "Invalid Request: \"method\" is missing");
		return -1;
	}
	/* Only a valid request without an id is a notification; an invalid one is
	 * answered, with id null. */
	return 0;
}

static struct json_object *response(void)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	return r;
}

struct json_object *jsonrpc_result(struct json_object *id, struct json_object *result)
{
	struct json_object *r = response();

	json_object_object_add(r, "result", result);
	json_object_object_add(r, "id", json_object_get(id));
	return r;
}

struct json_object *jsonrpc_error_response(struct json_object *id, struct jsonrpc_error *e)
{
	struct json_object *r = response(), *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_int(e->code));
	json_object_object_add(err, "message", json_object_new_string(e->message));
	if (e->data)
		json_object_object_add(err, "data", e->data);
	e->data = NULL;
	json_object_object_add(r, "error", err);
	json_object_object_add(r, "id", json_object_get(id));
	return r;
}

struct json_object *jsonrpc_notification(const char *method, struct json_object *params)
{
	struct json_object *r = response();

	json_object_object_add(r, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(r, "params", params);
	return r;
}

const char *jsonrpc_text(struct json_object *msg, size_t *len)
{
	return json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

/* ---- parameters ------------------------------------------------------------------- */

struct json_object *jsonrpc_data(const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, key, value ? json_object_new_string(value) : NULL);
	return d;
}

struct json_object *jsonrpc_param_data(const char *key)
{
	return jsonrpc_data("param", key);
}

int jsonrpc_params_check(struct json_object *params, const char *const *known, struct jsonrpc_error *e)
{
	if (!params)
		return 0;
	if (json_object_is_type(params, json_type_array)) {
		if (json_object_array_length(params) == 0)
			return 0;
		jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(NULL),
				  "Invalid params: this method takes named parameters (an object)");
		return -1;
	}
	json_object_object_foreach(params, key, val) {
		bool ok = false;

		(void)val;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(key, *k);
		if (!ok) {
			jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
					  "Invalid params: unknown parameter \"%.64s\"", key);
			return -1;
		}
	}
	return 0;
}

/* 1 with *v, 0 if absent and optional, -1 (e set) if absent and required. */
static int param_get(struct json_object *params, const char *key, bool required, struct json_object **v,
		     struct jsonrpc_error *e)
{
	if (params && json_object_is_type(params, json_type_object) &&
	    json_object_object_get_ex(params, key, v))
		return 1;
	if (!required)
		return 0;
	jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key), "Invalid params: \"%s\" is required", key);
	return -1;
}

int jsonrpc_param_int(struct json_object *params, const char *key, bool required, int64_t min, int64_t max,
		      int64_t *out, struct jsonrpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, key, required, &v, e);
	int64_t n;

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_int))
		goto bad;
	n = json_object_get_int64(v);
	/* json-c keeps integers above INT64_MAX as uint64 and saturates them here. */
	if (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
		goto bad;
	if (n < min || n > max)
		goto bad;
	*out = n;
	return 1;
bad:
	jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
			  "Invalid params: \"%s\" must be an integer from %lld to %lld", key, (long long)min,
			  (long long)max);
	return -1;
}

int jsonrpc_param_int_rule(struct json_object *params, const char *key, bool required,
			   const char *(*rule)(int64_t), int64_t *out, struct jsonrpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, key, required, &v, e);
	const char *broken;
	int64_t n = INT64_MIN;

	if (r <= 0)
		return r;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		/* json-c keeps integers above INT64_MAX as uint64 and saturates them here. */
		if (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
			n = INT64_MIN;
	}
	/* Not an integer: INT64_MIN, which every rule refuses, gives the rule's phrase. */
	broken = rule(n);
	if (broken) {
		jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key), "Invalid params: \"%s\" must be %s",
				  key, broken);
		return -1;
	}
	*out = n;
	return 1;
}

int jsonrpc_param_bool(struct json_object *params, const char *key, bool required, bool *out,
		       struct jsonrpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, key, required, &v, e);

	if (r <= 0)
		return r;
	if (!json_object_is_type(v, json_type_boolean)) {
		jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
				  "Invalid params: \"%s\" must be true or false", key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

int jsonrpc_param_string(struct json_object *params, const char *key, bool required, size_t maxlen,
			 const char **out, struct jsonrpc_error *e)
{
	struct json_object *v;
	int r = param_get(params, key, required, &v, e);
	size_t len;

	if (r <= 0)
		return r;
	len = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : 0;
	if (!len || len > maxlen || strlen(json_object_get_string(v)) != len) {
		jsonrpc_error_set(e, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
				  "Invalid params: \"%s\" must be a string of 1 to %zu bytes", key, maxlen);
		return -1;
	}
	*out = json_object_get_string(v);
	return 1;
}
