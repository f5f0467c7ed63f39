/* SPDX-License-Identifier: MIT */
/* The management socket's connections: listening, reading lines, queueing output. */
#include "mgmt_internal.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MGMT_READS_PER_EVENT	16		/* then other clients get their turn */
#define MGMT_OUT_KEEP		(64u << 10)	/* output buffer kept once drained */
#define MGMT_ACCEPT_RETRY_NS	1000000000ull	/* after running out of descriptors */

/* ---- connections ---------------------------------------------------------------------- */

void mgmt_client_maybe_close(struct mgmt_client *c)
{
	if (!c->dead && c->eof && c->outhead == c->outlen && !c->npending)
		mgmt_client_kill(c);
}

static void client_update_events(struct mgmt_client *c)
{
	uint32_t ev = 0;

	if (c->reading && !c->eof)
		ev |= EPOLLIN;
	if (c->outhead < c->outlen)
		ev |= EPOLLOUT;
	if (ev != c->events && loop_mod_fd(c->m->loop, c->fd, ev) == 0)
		c->events = ev;
}

static void client_free(struct mgmt_client *c)
{
	free(c->in);
	free(c->out);
	json_object_put(c->types);
	free(c);
}

void mgmt_client_kill(struct mgmt_client *c)
{
	struct mgmt *m = c->m;
	struct mgmt_client **pp;
	struct mgmt_call *call, *next;

	if (c->dead)
		return;
	c->dead = true;
	loop_del_fd(m->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	for (pp = &m->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			m->nclients--;
			break;
		}
	}
	log_debug("api socket: client %u disconnected", c->id);
	/* Its calls are orphans now: those whose handler can forget them are cancelled,
	 * the others are freed when answered. */
	for (call = m->calls; call; call = next) {
		next = call->next;
		if (call->client != c)
			continue;
		call->client = NULL;
		c->npending--;
		if (call->batch)
			call->batch->client = NULL;
		if (!call->in_handler && call->cancel)
			mgmt_call_cancel(call);
	}
	if (!c->busy)
		client_free(c);
}

/* Send (out) or read on a client's socket, again when interrupted: the bytes moved,
 * -EAGAIN until the socket is ready, or -EPIPE once a failure dropped the client (c
 * may be freed then). */
static ssize_t client_xfer(struct mgmt_client *c, bool out, void *buf, size_t len)
{
	ssize_t n;

	do
		n = out ? send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) : read(c->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	log_debug("api socket: client %u: %s", c->id, strerror(errno));
	mgmt_client_kill(c);
	return -EPIPE;
}

static void client_flush(struct mgmt_client *c)
{
	while (c->outhead < c->outlen) {
		ssize_t n = client_xfer(c, true, c->out + c->outhead, c->outlen - c->outhead);

		if (n == -EAGAIN)
			break;
		if (n < 0)
			return;
		c->outhead += (size_t)n;
	}
	if (c->outhead == c->outlen) {
		c->outhead = c->outlen = 0;
		if (c->outcap > MGMT_OUT_KEEP) {
			free(c->out);
			c->out = NULL;
			c->outcap = 0;
		}
	}
	client_update_events(c);
}

/* Queue text and a newline. */
void mgmt_client_append(struct mgmt_client *c, const char *text, size_t len)
{
	size_t queued = c->outlen - c->outhead;

	if (c->dead)
		return;
	if (queued + len + 1 > c->m->lim.max_out) {
		log_warn("api socket: client %u does not read what it is sent (%zu bytes queued, at most %zu): "
			 "disconnecting it", c->id, queued, c->m->lim.max_out);
		mgmt_client_kill(c);
		return;
	}
	if (c->outcap - c->outlen < len + 1 && c->outhead) {
		memmove(c->out, c->out + c->outhead, queued);
		c->outhead = 0;
		c->outlen = queued;
	}
	if (c->outcap - c->outlen < len + 1) {
		size_t cap = c->outcap ? c->outcap : 4096;
		char *out;

		while (cap - c->outlen < len + 1)
			cap *= 2;
		out = realloc(c->out, cap);
		if (!out) {
			log_warn("api socket: client %u: out of memory: disconnecting it", c->id);
			mgmt_client_kill(c);
			return;
		}
		c->out = out;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, text, len);
	c->out[c->outlen + len] = '\n';
	c->outlen += len + 1;
	if (!queued)
		client_flush(c);	/* otherwise EPOLLOUT is already asked for */
}

void mgmt_client_send(struct mgmt_client *c, struct json_object *msg)
{
	struct json_object *big = NULL;
	const char *text;
	size_t len;

	if (c && !c->dead) {
		text = jsonrpc_text(msg, &len);
		if (len > c->m->lim.max_reply) {
			struct json_object *id = NULL;
			struct jsonrpc_error e;

			log_warn("api socket: client %u: a reply of %zu bytes is too large", c->id, len);
			json_object_object_get_ex(msg, "id", &id);
			jsonrpc_error_set(&e, JSONRPC_INTERNAL_ERROR, NULL,
					  "Internal error: the reply is too large (%zu bytes, at most %zu)", len,
					  c->m->lim.max_reply);
			big = jsonrpc_error_response(id, &e);
			text = jsonrpc_text(big, &len);
		}
		mgmt_client_append(c, text, len);
	}
	json_object_put(big);
	json_object_put(msg);
}

/* Run the complete lines received; keep a partial one; skip an oversized one. */
static void client_process_input(struct mgmt_client *c)
{
	struct mgmt *m = c->m;
	size_t start = 0;

	while (!c->dead && c->reading) {
		char *nl = memchr(c->in + start, '\n', c->inlen - start);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (c->in + start));
		if (c->discarding)
			c->discarding = false;	/* the end of the oversized message */
		else
			mgmt_handle_message(c, c->in + start, len);
		start += len + 1;
		if (c->outlen - c->outhead >= m->lim.out_high)
			c->reading = false;	/* until the client reads its replies */
	}
	if (c->dead)
		return;
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->reading && c->discarding) {
		c->inlen = 0;
	} else if (c->reading && c->inlen > m->lim.max_msg) {
		struct jsonrpc_error e;

		jsonrpc_error_set(&e, JSONRPC_INVALID_REQUEST, NULL,
				  "Invalid Request: message longer than %zu bytes; skipped to the next newline",
				  m->lim.max_msg);
		c->discarding = true;
		c->inlen = 0;
		mgmt_answer_now(c, NULL, NULL, &e);
	}
	if (!c->dead)
		client_update_events(c);
}

static void client_read(struct mgmt_client *c)
{
	size_t cap = c->m->lim.max_msg + 1;

	for (unsigned i = 0; i < MGMT_READS_PER_EVENT && c->reading && !c->eof && !c->dead; i++) {
		ssize_t n = client_xfer(c, false, c->in + c->inlen, cap - c->inlen);

		if (n == -EAGAIN)
			break;
		if (n < 0)
			return;
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->inlen += (size_t)n;
		client_process_input(c);
	}
	if (c->eof && !c->dead) {
		/* A last message without its newline still counts. */
		if (c->inlen && !c->discarding)
			mgmt_handle_message(c, c->in, c->inlen);
		c->inlen = 0;
		if (!c->dead)
			client_update_events(c);
	}
}

static void client_event(void *opaque, uint32_t events)
{
	struct mgmt_client *c = opaque;

	c->busy++;
	if (events & EPOLLIN)
		client_read(c);
	if (!c->dead && (events & EPOLLOUT)) {
		client_flush(c);
		if (!c->dead && !c->reading && c->outlen - c->outhead < c->m->lim.out_high) {
			c->reading = true;
			client_process_input(c);
		}
	}
	if (!c->dead && (events & (EPOLLHUP | EPOLLERR)))
		mgmt_client_kill(c);	/* nothing can reach it any more */
	if (!c->dead)
		mgmt_client_maybe_close(c);
	if (!--c->busy && c->dead)
		client_free(c);
}

int mgmt_add_client(struct mgmt *m, int fd)
{
	struct mgmt_client *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int r;

	if (m->nclients >= m->lim.max_clients) {
		static const char busy[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32005,"
					   "\"message\":\"too many clients\"},\"id\":null}\n";

		log_warn("api socket: %u clients already: refusing another", m->nclients);
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("api socket: %s", strerror(errno));
		close(fd);
		return -EBUSY;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->in = malloc(m->lim.max_msg + 1))) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->m = m;
	c->fd = fd;
	c->id = ++m->next_id;
	c->reading = true;
	c->events = EPOLLIN;
	r = loop_add_fd(m->loop, fd, EPOLLIN, client_event, c);
	if (r < 0) {
		client_free(c);
		close(fd);
		return r;
	}
	c->next = m->clients;
	m->clients = c;
	m->nclients++;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		log_debug("api socket: client %u connected (pid %d, uid %u)", c->id, (int)cred.pid, (unsigned)cred.uid);
	return 0;
}

static void mgmt_accept(void *opaque, uint32_t events)
{
	struct mgmt *m = opaque;

	(void)events;
	for (;;) {
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			mgmt_add_client(m, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			/* Out of descriptors or memory: the socket stays readable, so stop
			 * watching it for a while instead of spinning. */
			log_warn("api socket: cannot accept a connection: %s; trying again in 1 s", strerror(errno));
			loop_mod_fd(m->loop, m->listen_fd, 0);
			loop_timer_arm(m->accept_timer, MGMT_ACCEPT_RETRY_NS, 0);
		}
		return;
	}
}

static void mgmt_accept_again(void *opaque)
{
	struct mgmt *m = opaque;

	loop_mod_fd(m->loop, m->listen_fd, EPOLLIN);
}

/* 1 if a server listens on the socket at sa, 0 if nobody does (a stale socket). */
static int socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), r;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN)
		r = 1;
	else
		r = errno == ECONNREFUSED ? 0 : -errno;
	close(fd);
	return r;
}

int mgmt_listen(struct mgmt *m, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t mask;
	int fd, r;

	if (m->listen_fd >= 0)
		return util_fail(err, errlen, -EBUSY, "%s: already listening on %s", path, m->path);
	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return util_fail(err, errlen, -ENAMETOOLONG, "%s: a socket path must have 1 to %zu bytes", path,
				 sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return util_fail(err, errlen, -EEXIST, "%s: exists and is not a socket; refusing to replace it",
					 path);
		r = socket_in_use(&sa);
		if (r > 0)
			return util_fail(err, errlen, -EADDRINUSE, "%s: another process is listening on it", path);
		if (r < 0)
			return util_fail(err, errlen, r, "%s: %s", path, strerror(-r));
		if (unlink(path) < 0 && errno != ENOENT)
			return util_fail(err, errlen, -errno, "%s: removing the stale socket: %s", path, strerror(errno));
		log_info("api socket: replaced the stale socket %s", path);
	} else if (errno != ENOENT) {
		return util_fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return util_fail(err, errlen, -errno, "%s: socket: %s", path, strerror(errno));
	/* Linux gives the socket file the socket's mode (less the umask): no moment in
	 * which another user could connect. */
	if (fchmod(fd, 0600) < 0) {
		r = util_fail(err, errlen, -errno, "%s: fchmod: %s", path, strerror(errno));
		goto fail;
	}
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(mask);
	if (r == 0 && (lstat(path, &st) < 0 || listen(fd, 16) < 0)) {
		r = -errno;
		unlink(path);
	}
	if (r < 0) {
		util_fail(err, errlen, r, "%s: %s", path, strerror(-r));
		goto fail;
	}
	m->path = strdup(path);
	if (!m->accept_timer)
		m->accept_timer = loop_timer_new(m->loop, mgmt_accept_again, m);
	r = m->path && m->accept_timer ? loop_add_fd(m->loop, fd, EPOLLIN, mgmt_accept, m) : -ENOMEM;
	if (r < 0) {
		util_fail(err, errlen, r, "%s: %s", path, strerror(-r));
		unlink(path);
		free(m->path);
		m->path = NULL;
		goto fail;
	}
	m->listen_fd = fd;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	return 0;
fail:
	close(fd);
	return r;
}

/* Send what is queued, waiting up to ms for slow readers. */
static void mgmt_flush(struct mgmt *m, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct pollfd *pfd = calloc(m->nclients + 1, sizeof(*pfd));
	struct mgmt_client **who = calloc(m->nclients + 1, sizeof(*who));

	while (pfd && who) {
		uint64_t now = loop_now_ns();
		unsigned n = 0;

		for (struct mgmt_client *c = m->clients; c; c = c->next) {
			if (c->outhead < c->outlen) {
				pfd[n] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
				who[n++] = c;
			}
		}
		if (!n || now >= end)
			break;
		if (poll(pfd, n, (int)((end - now + 999999) / 1000000)) <= 0)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (pfd[i].revents)
				client_flush(who[i]);
	}
	free(pfd);
	free(who);
}

void mgmt_conn_fini(struct mgmt *m, unsigned flush_ms)
{
	mgmt_flush(m, flush_ms);
	while (m->clients)
		mgmt_client_kill(m->clients);
	if (m->listen_fd >= 0) {
		struct stat st;

		loop_del_fd(m->loop, m->listen_fd);
		close(m->listen_fd);
		m->listen_fd = -1;
		/* Only if it is still ours: someone may have replaced it meanwhile. */
		if (lstat(m->path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino)
			unlink(m->path);
	}
	loop_timer_free(m->accept_timer);
	m->accept_timer = NULL;
}
