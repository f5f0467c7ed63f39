/* SPDX-License-Identifier: MIT */
#include "mgmt_internal.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- calls ------------------------------------------------------------------------ */

static void batch_release(struct mgmt_batch *b)
{
	if (--b->pending)
		return;
	if (b->client && json_object_array_length(b->responses))
		mgmt_client_send(b->client, b->responses);
	else
		json_object_put(b->responses);
	free(b);
}

static void call_free(struct mgmt_call *call)
{
	json_object_put(call->id);
	free(call);
}

static void call_unlink(struct mgmt_call *call)
{
	struct mgmt *m = call->m;

	if (call->prev)
		call->prev->next = call->next;
	else
		m->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
	if (call->client)
		call->client->npending--;
}

/* Deliver resp (consumed; NULL: nothing to say) and free the call. */
static void call_finish(struct mgmt_call *call, struct json_object *resp)
{
	struct mgmt_batch *b = call->batch;
	struct mgmt_client *c = call->client;

	call_unlink(call);
	call->done = true;
	if (call->notification || !resp)
		json_object_put(resp);
	else if (b && b->client)
		json_object_array_add(b->responses, resp);
	else if (b)
		json_object_put(resp);
	else
		mgmt_client_send(c, resp);
	if (b)
		batch_release(b);
	if (c && !c->dead && !c->busy)
		mgmt_client_maybe_close(c);
	if (!call->in_handler)
		call_free(call);
}

void mgmt_call_cancel(struct mgmt_call *call)
{
	if (call->cancel)
		call->cancel(call, call->cancel_opaque);
	call_finish(call, NULL);
}

void mgmt_reply(struct mgmt_call *call, struct json_object *result)
{
	call_finish(call, call->notification ? (json_object_put(result), NULL) : jsonrpc_result(call->id, result));
}

void mgmt_fail(struct mgmt_call *call, struct jsonrpc_error *e)
{
	if (call->notification) {
		log_debug("api socket: notification failed: %s", e->message);
		json_object_put(e->data);
		e->data = NULL;
		call_finish(call, NULL);
		return;
	}
	call_finish(call, jsonrpc_error_response(call->id, e));
}

void mgmt_error(struct mgmt_call *call, int code, struct json_object *data, const char *fmt, ...)
{
	struct jsonrpc_error e = { .code = code, .data = data };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	mgmt_fail(call, &e);
}

void mgmt_call_set_cancel(struct mgmt_call *call, mgmt_cancel_fn *fn, void *opaque)
{
	call->cancel = fn;
	call->cancel_opaque = opaque;
}

unsigned mgmt_call_client(const struct mgmt_call *call)
{
	return call->client ? call->client->id : 0;
}

int mgmt_register(struct mgmt *m, const char *name, mgmt_handler_fn *fn, void *opaque)
{
	struct mgmt_method *meth;

	for (meth = m->methods; meth; meth = meth->next)
		if (!strcmp(meth->name, name))
			return -EEXIST;
	meth = calloc(1, sizeof(*meth));
	if (!meth || !(meth->name = strdup(name))) {
		free(meth);
		return -ENOMEM;
	}
	meth->fn = fn;
	meth->opaque = opaque;
	meth->next = m->methods;
	m->methods = meth;
	return 0;
}

int mgmt_register_table(struct mgmt *m, const struct mgmt_method_def *defs, size_t n, void *opaque)
{
	for (size_t i = 0; i < n; i++) {
		int r = mgmt_register(m, defs[i].name, defs[i].fn, opaque);

		if (r < 0) {
			/* The first i are the newest i entries of the list. */
			for (size_t j = 0; j < i; j++) {
				struct mgmt_method *meth = m->methods;

				m->methods = meth->next;
				free(meth->name);
				free(meth);
			}
			return r;
		}
	}
	return 0;
}

static struct mgmt_method *method_find(struct mgmt *m, const char *name)
{
	for (struct mgmt_method *meth = m->methods; meth; meth = meth->next)
		if (!strcmp(meth->name, name))
			return meth;
	return NULL;
}

/* An error found before any call exists (the message is not a valid request). */
void mgmt_answer_now(struct mgmt_client *c, struct mgmt_batch *b, struct json_object *id,
		       struct jsonrpc_error *e)
{
	struct json_object *resp = jsonrpc_error_response(id, e);

	if (b)
		json_object_array_add(b->responses, resp);
	else
		mgmt_client_send(c, resp);
}

static void dispatch(struct mgmt_client *c, struct mgmt_batch *b, struct json_object *msg)
{
	struct mgmt *m = c->m;
	struct jsonrpc_request req;
	struct jsonrpc_error e;
	struct mgmt_method *meth;
	struct mgmt_call *call;

	if (jsonrpc_check_request(msg, &req, &e) < 0) {
		mgmt_answer_now(c, b, req.id, &e);
		return;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		jsonrpc_error_set(&e, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		mgmt_answer_now(c, b, req.id, &e);
		return;
	}
	call->m = m;
	call->client = c;
	call->batch = b;
	call->id = json_object_get(req.id);
	call->notification = !req.has_id;
	call->next = m->calls;
	if (m->calls)
		m->calls->prev = call;
	m->calls = call;
	c->npending++;
	if (b)
		b->pending++;
	meth = method_find(m, req.method);
	if (!meth) {
		mgmt_error(call, JSONRPC_METHOD_NOT_FOUND, jsonrpc_data("method", req.method),
			   "Method not found: \"%.64s\"", req.method);
		return;
	}
	if (c->npending > m->lim.max_pending) {
		mgmt_error(call, MGMT_ERR_LIMIT, NULL, "too many requests in flight (at most %u)", m->lim.max_pending);
		return;
	}
	call->in_handler = true;
	meth->fn(call, req.params, meth->opaque);
	call->in_handler = false;
	if (call->done)
		call_free(call);
	else if (!call->client && call->cancel)
		mgmt_call_cancel(call);	/* the client went away while the handler ran */
}

void mgmt_handle_message(struct mgmt_client *c, const char *text, size_t len)
{
	struct jsonrpc_error e;
	struct json_object *msg;
	size_t n, i;

	for (i = 0; i < len && strchr(" \t\r", text[i]); i++)
		;
	if (i == len)
		return;		/* blank lines are ignored */
	if (jsonrpc_parse(text, len, &msg, &e) < 0) {
		mgmt_answer_now(c, NULL, NULL, &e);
		return;
	}
	if (!json_object_is_type(msg, json_type_array)) {
		dispatch(c, NULL, msg);
	} else if ((n = json_object_array_length(msg)) == 0) {
		jsonrpc_error_set(&e, JSONRPC_INVALID_REQUEST, NULL, "Invalid Request: empty batch");
		mgmt_answer_now(c, NULL, NULL, &e);
	} else {
		struct mgmt_batch *b = calloc(1, sizeof(*b));

		if (!b || !(b->responses = json_object_new_array())) {
			free(b);
			jsonrpc_error_set(&e, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
			mgmt_answer_now(c, NULL, NULL, &e);
		} else {
			b->client = c;
			b->pending = 1;
			for (i = 0; i < n && !c->dead; i++)
				dispatch(c, b, json_object_array_get_idx(msg, i));
			batch_release(b);
		}
	}
	json_object_put(msg);
}

/* ---- events --------------------------------------------------------------------------- */

static bool client_wants(const struct mgmt_client *c, const char *type)
{
	size_t n;

	if (!c->subscribed)
		return false;
	if (!c->types)
		return true;
	n = json_object_array_length(c->types);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(c->types, i)), type))
			return true;
	return false;
}

bool mgmt_subscribed(struct mgmt *m, const char *type)
{
	for (struct mgmt_client *c = m->clients; c; c = c->next)
		if (client_wants(c, type))
			return true;
	return false;
}

static void emit_now(struct mgmt *m, const char *type, struct json_object *fields)
{
	struct json_object *params = json_object_new_object(), *msg;
	struct mgmt_client *c, *next;
	struct timespec now;
	const char *text;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(params, "type", json_object_new_string(type));
	json_object_object_add(params, "time_ms",
			       json_object_new_int64((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
	if (fields) {
		json_object_object_foreach(fields, key, val)
			json_object_object_add(params, key, json_object_get(val));
		json_object_put(fields);
	}
	msg = jsonrpc_notification("event", params);
	text = jsonrpc_text(msg, &len);
	if (len > m->lim.max_reply)
		log_warn("api socket: event %s is too large (%zu bytes): not sent", type, len);
	for (c = m->clients; c && len <= m->lim.max_reply; c = next) {
		next = c->next;	/* c may be disconnected: it is not reading */
		if (client_wants(c, type))
			mgmt_client_append(c, text, len);
	}
	json_object_put(msg);
}

struct mgmt_event {
	struct mgmt *m;
	struct json_object *fields;
	char type[];
};

static void emit_posted(void *opaque)
{
	struct mgmt_event *ev = opaque;

	emit_now(ev->m, ev->type, ev->fields);
	free(ev);
}

void mgmt_emit(struct mgmt *m, const char *type, struct json_object *fields)
{
	struct mgmt_event *ev;

	if (loop_on_thread(m->loop)) {
		emit_now(m, type, fields);
		return;
	}
	ev = malloc(sizeof(*ev) + strlen(type) + 1);
	if (ev) {
		ev->m = m;
		ev->fields = fields;
		strcpy(ev->type, type);
		if (loop_post(m->loop, emit_posted, ev) == 0)
			return;
		free(ev);
	}
	log_warn("api socket: out of memory: event %s lost", type);
	json_object_put(fields);
}

#define MGMT_MAX_EVENT_TYPES 32

static void events_subscribe(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "types", NULL };
	struct json_object *types = NULL, *res;
	struct jsonrpc_error e;
	size_t n = 0;

	(void)opaque;
	if (jsonrpc_params_check(params, known, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (params && json_object_object_get_ex(params, "types", &types)) {
		/* bounded: every event is matched against each subscriber's list */
		bool ok = json_object_is_type(types, json_type_array) && (n = json_object_array_length(types)) > 0 &&
			  n <= MGMT_MAX_EVENT_TYPES;

		for (size_t i = 0; ok && i < n; i++) {
			struct json_object *t = json_object_array_get_idx(types, i);

			ok = json_object_is_type(t, json_type_string) && json_object_get_string_len(t) > 0 &&
			     json_object_get_string_len(t) <= 64;
		}
		if (!ok) {
			mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("types"),
				   "Invalid params: \"types\" must be an array of 1 to %d event type names",
				   MGMT_MAX_EVENT_TYPES);
			return;
		}
	}
	if (call->client) {
		call->client->subscribed = true;
		json_object_put(call->client->types);
		call->client->types = json_object_get(types);
	}
	res = json_object_new_object();
	json_object_object_add(res, "subscribed", json_object_new_boolean(true));
	json_object_object_add(res, "types", json_object_get(types));
	mgmt_reply(call, res);
}

static void events_unsubscribe(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { NULL };
	struct json_object *res;
	struct jsonrpc_error e;

	(void)opaque;
	if (jsonrpc_params_check(params, known, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (call->client) {
		call->client->subscribed = false;
		json_object_put(call->client->types);
		call->client->types = NULL;
	}
	res = json_object_new_object();
	json_object_object_add(res, "subscribed", json_object_new_boolean(false));
	mgmt_reply(call, res);
}

/* ---- the server ----------------------------------------------------------------------- */

struct mgmt *mgmt_new(struct loop *loop)
{
	struct mgmt *m = calloc(1, sizeof(*m));
	static const struct mgmt_limits defaults = MGMT_DEFAULT_LIMITS;
	static const struct mgmt_method_def methods[] = {
		{ "events.subscribe", events_subscribe },
		{ "events.unsubscribe", events_unsubscribe },
	};

	if (!m)
		return NULL;
	m->loop = loop;
	m->lim = defaults;
	m->listen_fd = -1;
	if (MGMT_REGISTER_TABLE(m, methods, NULL) < 0) {
		mgmt_free(m, 0);
		return NULL;
	}
	return m;
}

void mgmt_set_limits(struct mgmt *m, const struct mgmt_limits *lim)
{
	m->lim = *lim;
}

void mgmt_free(struct mgmt *m, unsigned flush_ms)
{
	if (!m)
		return;
	while (m->calls)
		mgmt_call_cancel(m->calls);
	mgmt_conn_fini(m, flush_ms);
	free(m->path);
	while (m->methods) {
		struct mgmt_method *meth = m->methods;

		m->methods = meth->next;
		free(meth->name);
		free(meth);
	}
	free(m);
}
