/* SPDX-License-Identifier: MIT */
/* VMBus sockets on UNIX sockets (see vsock_unix.h). */
#include "vsock_unix.h"
#include "hvsock.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define VU_BUF		65536	/* host bytes read ahead of the guest */
#define VU_LINE_MAX	32	/* "CONNECT 4294967295\n" and then some */
#define VU_MAX_CONNS	(HVSOCK_MAX_CONNS + 16)

enum vu_state {
	VU_HANDSHAKE,		/* host connected, its CONNECT line not read yet */
	VU_WAIT,		/* offered to the guest, not opened yet */
	VU_OPEN,
};

struct vu_conn {
	struct vsock_unix *v;
	struct vu_conn *next;
	struct hvsock_conn *c;
	int fd;
	enum vu_state state;
	uint32_t events;		/* registered with the loop; 0: not registered */
	bool paused;			/* the guest's ring is full (or not open yet) */
	bool host_eof, fin_sent;	/* host to guest */
	bool want_out;			/* guest bytes wait for room in the socket */
	bool from_host;			/* the host connected: "OK <port>" owed */
	uint32_t host_port;
	uint32_t off, len;
	uint8_t buf[VU_BUF];
};

struct vsock_unix {
	struct loop *loop;
	struct hvsock *hs;
	char *path;
	int lfd;
	struct vu_conn *conns;
	unsigned nconns;
};

static void conn_drop(struct vu_conn *vc)
{
	struct vsock_unix *v = vc->v;

	if (vc->events)
		loop_del_fd(v->loop, vc->fd);
	close(vc->fd);
	for (struct vu_conn **pp = &v->conns; *pp; pp = &(*pp)->next) {
		if (*pp == vc) {
			*pp = vc->next;
			break;
		}
	}
	v->nconns--;
	free(vc);
}

/* The host's socket failed, or the host broke the handshake: the connection ends. */
static void conn_reset(struct vu_conn *vc, const char *why)
{
	log_debug("vsock: %s", why);
	if (vc->c)
		hvsock_conn_close(vc->c);
	conn_drop(vc);
}

static void on_fd(void *opaque, uint32_t events);

static void update_events(struct vu_conn *vc)
{
	struct vsock_unix *v = vc->v;
	uint32_t want = 0;

	if (vc->state == VU_HANDSHAKE ||
	    (vc->state == VU_OPEN && !vc->paused && !vc->host_eof && vc->len == 0))
		want |= EPOLLIN;
	if (vc->want_out)
		want |= EPOLLOUT;
	if (want == vc->events)
		return;
	/* Not registered at all when nothing is wanted: a hung-up socket would be
	 * reported over and over. */
	if (!want)
		loop_del_fd(v->loop, vc->fd);
	else if (!vc->events)
		loop_add_fd(v->loop, vc->fd, want, on_fd, vc);
	else
		loop_mod_fd(v->loop, vc->fd, want);
	vc->events = want;
}

/* Host bytes (and then the host's end) to the guest, as far as its ring takes them. */
static void push(struct vu_conn *vc)
{
	if (vc->state != VU_OPEN)
		return;
	if (vc->len) {
		size_t n = hvsock_conn_send(vc->c, vc->buf + vc->off, vc->len);

		vc->off += (uint32_t)n;
		vc->len -= (uint32_t)n;
		if (vc->len)
			vc->paused = true;
		else
			vc->off = 0;
	}
	if (!vc->len && vc->host_eof && !vc->fin_sent) {
		vc->fin_sent = true;
		hvsock_conn_shutdown(vc->c);
	}
}

/* "CONNECT <port>\n": the port, or -1. */
static int64_t parse_connect(const char *s, size_t len)
{
	static const char verb[] = "CONNECT ";
	uint64_t port = 0;
	size_t i = sizeof(verb) - 1;

	if (len <= i || memcmp(s, verb, i) || len - i > 10)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (uint64_t)(s[i] - '0');
	}
	return port <= 0xfffffffe ? (int64_t)port : -1;	/* 0xffffffff: VMADDR_PORT_ANY */
}

static void handshake(struct vu_conn *vc)
{
	ssize_t r = read(vc->fd, vc->buf + vc->len, VU_LINE_MAX - vc->len);
	uint8_t *nl;
	int64_t port;
	uint32_t host_port;
	int e;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_reset(vc, "a host connection went before its CONNECT line");
		return;
	}
	vc->len += (uint32_t)r;
	nl = memchr(vc->buf, '\n', vc->len);
	if (!nl) {
		if (vc->len == VU_LINE_MAX)
			conn_reset(vc, "a host connection sent no CONNECT line");
		return;
	}
	port = parse_connect((const char *)vc->buf, (size_t)(nl - vc->buf));
	if (port < 0) {
		conn_reset(vc, "a host connection's first line is not CONNECT <port>");
		return;
	}
	/* What follows the line is the first of the data. */
	vc->off = (uint32_t)(nl + 1 - vc->buf);
	vc->len -= vc->off;
	e = hvsock_connect_guest(vc->v->hs, (uint32_t)port, vc, &vc->c, &host_port);
	if (e < 0) {
		log_debug("vsock: CONNECT %lld: %s", (long long)port, strerror(-e));
		conn_drop(vc);
		return;
	}
	/* The host port goes into the OK line once the guest accepts. */
	vc->state = VU_WAIT;
	vc->paused = true;
	vc->from_host = true;
	vc->host_port = host_port;
	update_events(vc);
	log_debug("vsock: host connection to guest port %lld offered", (long long)port);
}

static void on_fd(void *opaque, uint32_t events)
{
	struct vu_conn *vc = opaque;

	if (vc->state == VU_HANDSHAKE) {
		handshake(vc);
		return;
	}
	if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && vc->want_out) {
		vc->want_out = false;
		update_events(vc);
		hvsock_conn_rx_ready(vc->c);
		return;	/* vc may be gone */
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (vc->events & EPOLLIN)) {
		ssize_t r = read(vc->fd, vc->buf, sizeof(vc->buf));

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r < 0) {
			conn_reset(vc, strerror(errno));
			return;
		}
		vc->off = 0;
		if (r == 0)
			vc->host_eof = true;
		else
			vc->len = (uint32_t)r;
		push(vc);
		update_events(vc);
		return;
	}
	if (events & EPOLLERR)
		conn_reset(vc, "socket error");
}

/* ---- what the device calls ---- */

static struct vu_conn *conn_alloc(struct vsock_unix *v, int fd, enum vu_state st)
{
	struct vu_conn *vc;

	if (v->nconns >= VU_MAX_CONNS)
		return NULL;
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		return NULL;
	vc->v = v;
	vc->fd = fd;
	vc->state = st;
	vc->next = v->conns;
	v->conns = vc;
	v->nconns++;
	return vc;
}

static int be_connect(void *opaque, struct hvsock_conn *c, uint32_t host_port, uint32_t guest_port, void **conn)
{
	struct vsock_unix *v = opaque;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vu_conn *vc;
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->path, host_port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A UNIX socket connects at once, or its listener's queue is full (EAGAIN). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	vc = conn_alloc(v, fd, VU_WAIT);
	if (!vc) {
		close(fd);
		return -ENOMEM;
	}
	vc->c = c;
	vc->paused = true;
	*conn = vc;
	log_debug("vsock: guest port %u connected to %s", guest_port, sa.sun_path);
	return 0;
}

static void be_established(void *conn)
{
	struct vu_conn *vc = conn;

	vc->state = VU_OPEN;
	if (vc->from_host) {
		/* The guest accepted: the OK line comes before any of its bytes. A fresh
		 * socket's buffer takes these few bytes whole. */
		char line[24];
		int n = snprintf(line, sizeof(line), "OK %u\n", vc->host_port);

		if (write(vc->fd, line, (size_t)n) != n)
			conn_reset(vc, "the host connection went before its OK line");
	}
}

static size_t be_rx(void *conn, const uint8_t *buf, size_t len)
{
	struct vu_conn *vc = conn;
	ssize_t r = write(vc->fd, buf, len);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		r = 0;
	if (r < 0) {
		conn_reset(vc, strerror(errno));
		return 0;
	}
	if ((size_t)r < len) {
		vc->want_out = true;
		update_events(vc);
	}
	return (size_t)r;
}

static void be_rx_eof(void *conn)
{
	struct vu_conn *vc = conn;

	shutdown(vc->fd, SHUT_WR);
}

static void be_tx_ready(void *conn)
{
	struct vu_conn *vc = conn;

	vc->paused = false;
	push(vc);
	update_events(vc);
}

static void be_closed(void *conn)
{
	struct vu_conn *vc = conn;

	vc->c = NULL;
	conn_drop(vc);
}

static const struct hvsock_backend vu_ops = {
	.connect = be_connect,
	.established = be_established,
	.rx = be_rx,
	.rx_eof = be_rx_eof,
	.tx_ready = be_tx_ready,
	.closed = be_closed,
};

/* ---- the listener ---- */

static void on_accept(void *opaque, uint32_t events)
{
	struct vsock_unix *v = opaque;
	struct vu_conn *vc;
	int fd;

	(void)events;
	fd = accept4(v->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	vc = conn_alloc(v, fd, VU_HANDSHAKE);
	if (!vc) {
		close(fd);
		return;
	}
	update_events(vc);
}

struct vsock_unix *vsock_unix_new(struct loop *loop, struct vmbus *bus, const char *path, char *err,
				  size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_unix *v;
	struct stat st;

	/* Room for "_4294967295" after the path in the guest's connections. */
	if (!*path || strlen(path) + 11 >= sizeof(sa.sun_path)) {
		util_fail(err, errlen, -ENAMETOOLONG, "%s: a socket path must have 1 to %zu bytes", path,
			  sizeof(sa.sun_path) - 12);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			util_fail(err, errlen, -EEXIST, "%s: exists and is not a socket; refusing to replace it", path);
			return NULL;
		}
		unlink(path);
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->path = strdup(path))) {
		free(v);
		util_fail(err, errlen, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	v->loop = loop;
	v->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->lfd < 0 || fchmod(v->lfd, 0600) < 0 || bind(v->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(v->lfd, 64) < 0) {
		util_fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	v->hs = hvsock_new(bus, loop, &vu_ops, v);
	if (!v->hs || loop_add_fd(loop, v->lfd, EPOLLIN, on_accept, v) < 0) {
		util_fail(err, errlen, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
		goto fail;
	}
	return v;
fail:
	if (v->lfd >= 0) {
		close(v->lfd);
		unlink(path);
	}
	hvsock_free(v->hs);
	free(v->path);
	free(v);
	return NULL;
}

void vsock_unix_free(struct vsock_unix *v)
{
	if (!v)
		return;
	while (v->conns)
		conn_drop(v->conns);
	loop_del_fd(v->loop, v->lfd);
	close(v->lfd);
	unlink(v->path);
	hvsock_free(v->hs);
	free(v->path);
	free(v);
}
