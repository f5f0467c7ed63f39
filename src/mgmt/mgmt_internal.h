/* SPDX-License-Identifier: MIT */
/* What mgmt.c (calls, methods, events) and mgmt_conn.c (sockets) share. */
#ifndef HVKVM_MGMT_INTERNAL_H
#define HVKVM_MGMT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mgmt.h"

struct mgmt_method {
	char *name;
	mgmt_handler_fn *fn;
	void *opaque;
	struct mgmt_method *next;
};

/* Everything here is on the loop thread. */
struct mgmt_client {
	struct mgmt *m;
	unsigned id;
	int fd;
	bool dead;			/* disconnected; freed once no callback is inside it */
	bool eof;			/* the peer sends no more: answer, then close */
	bool reading;			/* false while too much output is queued */
	bool discarding;		/* skipping an oversized message up to its newline */
	unsigned busy;			/* callbacks of this client on the stack */
	unsigned npending;		/* its unanswered calls */
	uint32_t events;		/* the epoll mask asked for */
	char *in;			/* max_msg + 1 bytes: what is not processed yet */
	size_t inlen;
	char *out;			/* queued output from outhead to outlen */
	size_t outhead, outlen, outcap;
	bool subscribed;
	struct json_object *types;	/* event types subscribed to, NULL for all */
	struct mgmt_client *next;
};

/* A batch is answered with one array once its last call is. */
struct mgmt_batch {
	struct mgmt_client *client;	/* NULL once it has gone */
	struct json_object *responses;
	unsigned pending;		/* unanswered calls, plus one while dispatching */
};

struct mgmt_call {
	struct mgmt *m;
	struct mgmt_client *client;	/* NULL once it has gone */
	struct mgmt_batch *batch;
	struct json_object *id;		/* own reference; NULL for null */
	bool notification;
	bool in_handler;		/* its handler is on the stack: it frees nothing */
	bool done;
	mgmt_cancel_fn *cancel;
	void *cancel_opaque;
	struct mgmt_call *prev, *next;	/* m->calls */
};

struct mgmt {
	struct loop *loop;
	struct mgmt_limits lim;
	int listen_fd;
	char *path;			/* the socket we created, removed at the end */
	dev_t dev;
	ino_t ino;
	struct loop_timer *accept_timer;
	struct mgmt_method *methods;
	struct mgmt_client *clients;
	unsigned nclients, next_id;
	struct mgmt_call *calls;	/* unanswered, of every client */
};

/* mgmt.c */
void mgmt_handle_message(struct mgmt_client *c, const char *text, size_t len);
void mgmt_answer_now(struct mgmt_client *c, struct mgmt_batch *b, struct json_object *id,
		     struct jsonrpc_error *e);
void mgmt_call_cancel(struct mgmt_call *call);

/* mgmt_conn.c */
/* Send msg (consumed) to c; nothing if c is NULL or gone. */
void mgmt_client_send(struct mgmt_client *c, struct json_object *msg);
/* Queue text and a newline; disconnects a client whose queue overflows. */
void mgmt_client_append(struct mgmt_client *c, const char *text, size_t len);
/* Disconnect; c is freed now or when the callback inside it returns. */
void mgmt_client_kill(struct mgmt_client *c);
void mgmt_client_maybe_close(struct mgmt_client *c);
/* Flush, disconnect everyone, stop listening. */
void mgmt_conn_fini(struct mgmt *m, unsigned flush_ms);

#endif
