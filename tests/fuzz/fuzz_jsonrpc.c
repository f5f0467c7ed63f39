/* SPDX-License-Identifier: MIT */
/*
 * The management socket's request handling (src/mgmt/jsonrpc.c, mgmt.c, mgmt_conn.c):
 * a client on one end of a socketpair writes the input, in pieces, to a server with
 * a few methods (one that answers at once, one that reads typed parameters, one that
 * fails, one that answers later and may be cancelled, and events.subscribe), then
 * ends its output. Single requests, batches, notifications, deep nesting, bad UTF-8,
 * lines over the limit, a client that stops reading. Everything the server writes
 * must be lines of JSON-RPC responses or notifications.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "jsonrpc.h"
#include "loop.h"
#include "mgmt.h"

#define MAX_LATER	8

static struct mgmt_call *later[MAX_LATER];

static void m_echo(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)opaque;
	mgmt_reply(call, params ? json_object_get(params) : NULL);
}

static void m_typed(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "n", "flag", "name", NULL };
	struct jsonrpc_error e;
	int64_t n = 0;
	bool flag = false;
	const char *name = "";
	struct json_object *res;

	(void)opaque;
	if (jsonrpc_params_check(params, known, &e) < 0 || jsonrpc_param_int(params, "n", true, -5, 1000, &n, &e) < 0 ||
	    jsonrpc_param_bool(params, "flag", false, &flag, &e) < 0 ||
	    jsonrpc_param_string(params, "name", false, 64, &name, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	res = json_object_new_object();
	json_object_object_add(res, "n", json_object_new_int64(n));
	json_object_object_add(res, "flag", json_object_new_boolean(flag));
	json_object_object_add(res, "name", json_object_new_string(name));
	mgmt_reply(call, res);
}

static void m_fail(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)opaque;
	mgmt_error(call, MGMT_ERR_FAILED, params ? json_object_get(params) : NULL, "failed as asked");
}

static void later_cancel(struct mgmt_call *call, void *opaque)
{
	(void)call;
	later[(uintptr_t)opaque] = NULL;
}

static void m_later(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)params;
	(void)opaque;
	for (uintptr_t i = 0; i < MAX_LATER; i++) {
		if (!later[i]) {
			later[i] = call;
			mgmt_call_set_cancel(call, later_cancel, (void *)i);
			return;
		}
	}
	mgmt_error(call, MGMT_ERR_LIMIT, NULL, "too many");
}

static void answer_later(void)
{
	for (unsigned i = 0; i < MAX_LATER; i++) {
		struct mgmt_call *call = later[i];

		if (call) {
			later[i] = NULL;
			mgmt_reply(call, json_object_new_int(i));
		}
	}
}

/* What the server wrote: complete lines, each one JSON-RPC message. */
static char out[1 << 20];
static size_t outlen;

static void check_output(void)
{
	size_t start = 0;

	for (;;) {
		char *nl = memchr(out + start, '\n', outlen - start);
		struct json_object *msg = NULL;
		struct jsonrpc_error e = { 0 };
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (out + start));
		FZ_CHECK(jsonrpc_parse(out + start, len, &msg, &e) == 0, "the server wrote a line that is not JSON: %.*s",
			 (int)(len < 400 ? len : 400), out + start);
		FZ_CHECK(json_object_is_type(msg, json_type_object) || json_object_is_type(msg, json_type_array),
			 "the server wrote %.*s", (int)(len < 400 ? len : 400), out + start);
		json_object_put(msg);
		json_object_put(e.data);
		start += len + 1;
	}
	memmove(out, out + start, outlen - start);
	outlen -= start;
}

static void read_output(int fd)
{
	ssize_t n;

	while (outlen < sizeof(out) && (n = recv(fd, out + outlen, sizeof(out) - outlen, MSG_DONTWAIT)) > 0)
		outlen += (size_t)n;
	check_output();
	/* A line longer than the buffer would be a reply over max_reply. */
	FZ_CHECK(outlen < sizeof(out), "a reply line over %zu bytes", sizeof(out));
}

static void run(struct loop *loop)
{
	for (unsigned i = 0; i < 1000 && loop_run_once(loop, 0) > 0; i++)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgmt_limits lim = MGMT_DEFAULT_LIMITS;
	struct loop *loop;
	struct mgmt *m;
	int sv[2];
	size_t off = 0;
	unsigned step = 0;
	bool reading = true;

	fuzz_quiet_logs();
	memset(later, 0, sizeof(later));
	outlen = 0;
	loop = loop_new();
	FZ_CHECK(loop, "loop_new");
	m = mgmt_new(loop);
	FZ_CHECK(m, "mgmt_new");
	lim.max_msg = FZ_JR_MAX_MSG;
	lim.max_reply = 64 << 10;
	lim.out_high = 8 << 10;
	lim.max_out = 128 << 10;
	mgmt_set_limits(m, &lim);
	FZ_CHECK(mgmt_register(m, "echo", m_echo, NULL) == 0 && mgmt_register(m, "typed", m_typed, NULL) == 0 &&
		 mgmt_register(m, "fail", m_fail, NULL) == 0 && mgmt_register(m, "later", m_later, NULL) == 0,
		 "mgmt_register");
	FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
	/* Small socket buffers: the server's own output queue and its flow control do the
	 * work, not the kernel's. */
	for (int i = 0; i < 2; i++) {
		int sz = 4096;

		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	FZ_CHECK(mgmt_add_client(m, sv[0]) == 0, "mgmt_add_client");

	/* Pieces of varying size, so that lines arrive whole, split and batched together.
	 * A client whose first byte is '#' never reads after the first half. */
	while (off < size) {
		size_t piece = 1 + (size_t)(data[off] * 37u + step * 101u) % 1500;
		ssize_t n;

		if (piece > size - off)
			piece = size - off;
		n = send(sv[1], data + off, piece, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break;	/* the server hung up (its output overflowed) */
		run(loop);
		if (step++ % 3 == 2)
			answer_later();
		if (size && data[0] == '#' && off > size / 2)
			reading = false;
		if (reading)
			read_output(sv[1]);
		else if (n < 0) {
			/* The server waits for the client to read: it must not hang up on it
			 * for that, but the harness stops writing here. */
			break;
		}
	}
	shutdown(sv[1], SHUT_WR);
	for (unsigned i = 0; i < 8; i++) {
		run(loop);
		answer_later();
		read_output(sv[1]);
	}
	mgmt_emit(m, "fuzz", NULL);
	run(loop);
	read_output(sv[1]);
	mgmt_free(m, 0);
	read_output(sv[1]);
	close(sv[1]);
	loop_free(loop);
	return 0;
}
