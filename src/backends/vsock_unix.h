/* SPDX-License-Identifier: MIT */
/*
 * VMBus sockets on the host's UNIX sockets (Firecracker's hybrid vsock convention):
 *  - a guest socket connecting to host port P reaches whatever listens on the UNIX
 *    socket PATH_P (PATH, '_', P in decimal); nothing there: the guest's connect
 *    times out;
 *  - a host program connecting to PATH and writing "CONNECT P\n" reaches the guest's
 *    listener on port P and reads "OK <host port>\n" before the guest's bytes; no
 *    listener: the connection is closed without a word.
 * Each end's shutdown(SHUT_WR) or close reaches the other as end of file; an error on
 * the host's socket (a reset) ends the connection at once.
 */
#ifndef HVKVM_VSOCK_UNIX_H
#define HVKVM_VSOCK_UNIX_H

#include <stddef.h>

struct vmbus;
struct loop;
struct vsock_unix;

/* Listen on path (a stale socket there is replaced) and serve the bus's sockets: NULL
 * with the reason in err. */
struct vsock_unix *vsock_unix_new(struct loop *loop, struct vmbus *bus, const char *path, char *err,
				  size_t errlen);
/* After the bus is freed: closes every socket and removes path. */
void vsock_unix_free(struct vsock_unix *v);

#endif
