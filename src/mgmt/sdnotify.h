/* SPDX-License-Identifier: MIT */
/*
 * systemd's readiness protocol (sd_notify(3)), by hand: one datagram of
 * newline-separated KEY=VALUE assignments to the AF_UNIX socket named in
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Without
 * $NOTIFY_SOCKET (not run by systemd as Type=notify) every call does nothing.
 *
 * The socket is made once, before the sandbox closes; sending never blocks (a
 * datagram the manager has no room for is dropped).
 */
#ifndef HVKVM_SDNOTIFY_H
#define HVKVM_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	int fd;				/* -1: not under systemd */
	struct sockaddr_un addr;
	socklen_t addrlen;
	bool ready, stopping;		/* sent already */
};

/*
 * From $NOTIFY_SOCKET (NULL or empty: nothing to do, returns 0 with n->fd = -1).
 * 0, or -EINVAL for a value that names no socket (relative, too long), or the
 * -errno of socket().
 */
int sdnotify_open(struct sdnotify *n, const char *notify_socket);
void sdnotify_close(struct sdnotify *n);
/* Send state ("READY=1\nSTATUS=..."): 0 (also when not under systemd) or -errno. */
int sdnotify_send(struct sdnotify *n, const char *state);
/* printf-style; at most 1 KiB. */
int sdnotify_sendf(struct sdnotify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
