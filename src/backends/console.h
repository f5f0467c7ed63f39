/* SPDX-License-Identifier: MIT */
/*
 * The host side of the serial console (--serial stdio|file:PATH|none).
 *
 * A console is a byte pipe between one emulated device (the "frontend", e.g. the
 * 8250 UART, which sees it as a struct chardev) and host file descriptors. Output is queued from any thread into a
 * buffer that the event-loop thread drains with non-blocking writes, so a vCPU never
 * waits for the host terminal. Input is read on the loop thread only while the
 * frontend has room for it, so a paste into a slow guest is held back by the host
 * (pipe, tty) rather than dropped.
 *
 * Lock order: the frontend may call console_write() and console_rx_ready() with its
 * own lock held; the console never calls the frontend with a console lock held.
 */
#ifndef HVKVM_CONSOLE_H
#define HVKVM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chardev.h"

struct loop;
struct console;

enum console_kind { CONSOLE_STDIO, CONSOLE_FILE, CONSOLE_NONE };

/* Parse the argument of --serial ("stdio", "file:PATH", "none"); *path points into s. */
int console_parse_kind(const char *s, enum console_kind *kind, const char **path);

/*
 * On error returns -errno; the caller prints "hvkvm: --serial file:PATH: <strerror>".
 * on_quit runs on the loop thread when the user types the quit escape (Ctrl-A x).
 * Call from the loop thread or any other thread; the loop need not be running yet.
 */
int console_open(struct console **out, struct loop *loop, enum console_kind kind,
		 const char *path, void (*on_quit)(void *ctx), void *ctx);

/* Escape processing (Ctrl-A commands) on input; console_open uses it for a tty. */
#define CONSOLE_ESCAPES	(1u << 0)

/*
 * A console on descriptors the caller keeps owning (close them after
 * console_close). in_fd or out_fd may be -1. Used by console_open and by tests.
 */
int console_open_fds(struct console **out, struct loop *loop, int in_fd, int out_fd,
		     unsigned flags, void (*on_quit)(void *ctx), void *ctx);

/* Flushes pending output (bounded wait), restores the terminal, frees c. NULL is ok. */
void console_close(struct console *c);

/*
 * Put the terminal back the way console_open found it. Idempotent and
 * async-signal-safe: call it from fatal-signal handlers. console_open also registers
 * it with atexit() and installs it for fatal signals whose disposition is SIG_DFL.
 */
void console_restore_terminal(void);

/* The console as the character back end of a device (the UART's). */
struct chardev *console_chardev(struct console *c);

/* Connect (or with fe == NULL disconnect) the device; input starts flowing once a
 * frontend is attached. Any thread. */
void console_attach(struct console *c, const struct chardev_frontend *fe, void *opaque);

/*
 * Queue output; any thread, never blocks. Returns false when the buffer is nearly
 * full: the device should report itself busy until fe->tx_ready(). Bytes beyond the
 * buffer's capacity are dropped (only a device ignoring "busy" can get there).
 * With c == NULL or a console without output, bytes are discarded and true returned.
 */
bool console_write(struct console *c, const void *buf, size_t len);

/* The device has room again after answering rx_room() == 0. Any thread. */
void console_rx_ready(struct console *c);

/* Write out everything queued, waiting a bounded time for a stuck reader. Any thread. */
void console_flush(struct console *c);

#endif
