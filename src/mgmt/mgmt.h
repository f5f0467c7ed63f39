/* SPDX-License-Identifier: MIT */
/*
 * The management socket: a UNIX stream socket speaking JSON-RPC 2.0, one message per
 * line, to any number of clients at once, all on the event-loop thread.
 *
 * No client can stall the VM: sockets are non-blocking; a client's replies and
 * events queue in a bounded buffer, and a client that lets it overflow is
 * disconnected (with a log line). While a client has more than limits.out_high
 * bytes of output queued, its further requests wait unread: a client that sends
 * requests without reading the replies slows only itself.
 *
 * A message longer than limits.max_msg bytes without a newline is answered with a
 * -32600 error (id null) and skipped up to the next newline: the connection stays
 * usable. So does it after any other error.
 *
 * Layers register methods; a handler answers its call at once or later (async), and
 * learns through a cancel function when the client went away first. Events go as
 * notifications {"jsonrpc":"2.0","method":"event","params":{"type":...}} to the
 * clients that called events.subscribe.
 */
#ifndef HVKVM_MGMT_H
#define HVKVM_MGMT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "jsonrpc.h"

struct loop;
struct mgmt;
struct mgmt_call;

/* hvkvm's own error codes (JSON-RPC's application range). */
enum mgmt_code {
	MGMT_ERR_VM_STATE = -32000,	/* not possible in the VM's state (stopped, paused, ...) */
	MGMT_ERR_NO_DEVICE = -32001,	/* no such device, or the guest has no driver on it */
	MGMT_ERR_BUSY = -32002,		/* the resource is in use (e.g. a LUN taken) */
	MGMT_ERR_TIMEOUT = -32003,	/* the guest did not do it in time */
	MGMT_ERR_FAILED = -32004,	/* it failed: data.errno, or the guest's data.status */
	MGMT_ERR_LIMIT = -32005,	/* too many clients or requests in flight */
	MGMT_ERR_CANCELLED = -32006,	/* overtaken by events (e.g. the guest reset) */
};

struct mgmt_limits {
	size_t max_msg;		/* bytes in a request line */
	size_t max_reply;	/* bytes in one reply; a larger one becomes a -32603 error */
	size_t out_high;	/* queued output above which the client's requests wait */
	size_t max_out;		/* queued output that disconnects the client */
	unsigned max_clients;
	unsigned max_pending;	/* unanswered calls per client */
};
#define MGMT_DEFAULT_LIMITS { 64 << 10, 512 << 10, 128 << 10, 1 << 20, 128, 32 }

/*
 * A method: handles call on the loop thread. params (NULL when absent) is valid during
 * the handler only. The handler must answer exactly once with mgmt_reply() or
 * mgmt_error(), now or later; for a notification the answer is dropped.
 */
typedef void mgmt_handler_fn(struct mgmt_call *call, struct json_object *params, void *opaque);
/* The client went away (or the server is freed) before the answer: forget the call,
 * which is freed when this returns. */
typedef void mgmt_cancel_fn(struct mgmt_call *call, void *opaque);

struct mgmt *mgmt_new(struct loop *loop);
/* Limits other than the defaults (before any client connects). */
void mgmt_set_limits(struct mgmt *m, const struct mgmt_limits *lim);
/*
 * Listen on path, created with mode 0600. A stale socket there (nobody listening)
 * is replaced; anything else there is an error. Before the loop runs or on its
 * thread; changes the umask for a moment. 0 or -errno, with a message in err.
 */
int mgmt_listen(struct mgmt *m, const char *path, char *err, size_t errlen);
/* Serve a connected stream socket (taken over), e.g. one end of a socketpair. */
int mgmt_add_client(struct mgmt *m, int fd);
/*
 * Cancel pending calls, send what is queued (waiting at most flush_ms), close
 * every connection and remove the socket. On the loop thread or after it stopped.
 */
void mgmt_free(struct mgmt *m, unsigned flush_ms);

/* name is copied; -EEXIST if taken. Register before clients call. */
int mgmt_register(struct mgmt *m, const char *name, mgmt_handler_fn *fn, void *opaque);

struct mgmt_method_def {
	const char *name;
	mgmt_handler_fn *fn;
};
/* Register n methods sharing opaque: all of them, or (on error) none. */
int mgmt_register_table(struct mgmt *m, const struct mgmt_method_def *defs, size_t n, void *opaque);
#define MGMT_REGISTER_TABLE(m, defs, opaque) mgmt_register_table(m, defs, sizeof(defs) / sizeof((defs)[0]), opaque)

/* Answer a call; result, data and e->data are consumed. The call is freed. An error's
 * data is NULL or an object (jsonrpc_data(); -32602's always jsonrpc_param_data()). */
void mgmt_reply(struct mgmt_call *call, struct json_object *result);
void mgmt_error(struct mgmt_call *call, int code, struct json_object *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void mgmt_fail(struct mgmt_call *call, struct jsonrpc_error *e);
/* For an answer that comes later: what to do if it cannot be sent any more. */
void mgmt_call_set_cancel(struct mgmt_call *call, mgmt_cancel_fn *fn, void *opaque);
/* Which connection made the call (for logs); 0 once it has gone. */
unsigned mgmt_call_client(const struct mgmt_call *call);

/*
 * Send event `type` with fields (consumed; NULL for none) to every subscriber, as
 * params {"type": type, "time_ms": ms since 1970, ...fields}. From any thread: off
 * the loop thread it is queued to it.
 */
void mgmt_emit(struct mgmt *m, const char *type, struct json_object *fields);
/* Whether a connected client has subscribed to events of this type (loop thread). */
bool mgmt_subscribed(struct mgmt *m, const char *type);

#endif
