/* SPDX-License-Identifier: MIT */
/*
 * A character back end: the byte pipe an emulated serial device (the 8250 UART)
 * reads from and writes to, whatever the host end is (a terminal, a file, nothing).
 * The device holds a struct chardev and never knows which back end implements it.
 *
 * Lock order: the device may call chardev_write() and chardev_rx_ready() with its own
 * lock held; a back end never calls the device's frontend with a lock of its own held.
 */
#ifndef HVKVM_CHARDEV_H
#define HVKVM_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the device on the other end provides. All callbacks run on the loop thread
 * with no back-end lock held. */
struct chardev_frontend {
	/* How many input bytes the device can take right now. Returning 0 stops reading
	 * until the device calls chardev_rx_ready(). */
	size_t (*rx_room)(void *opaque);
	/* len <= the last rx_room() answer. */
	void (*rx_push)(void *opaque, const uint8_t *buf, size_t len);
	/* The user asked for a line break condition. May be NULL. */
	void (*rx_break)(void *opaque);
	/* Output that chardev_write() refused to take more of has drained. */
	void (*tx_ready)(void *opaque);
};

struct chardev;

struct chardev_ops {
	/* Connect (fe == NULL: disconnect) the device; input flows once one is attached.
	 * Any thread. */
	void (*attach)(struct chardev *c, const struct chardev_frontend *fe, void *opaque);
	/* Queue output; any thread, never blocks. false: nearly full, the device reports
	 * itself busy until fe->tx_ready(). */
	bool (*write)(struct chardev *c, const void *buf, size_t len);
	/* The device has room again after answering rx_room() == 0. Any thread. */
	void (*rx_ready)(struct chardev *c);
	/* Write out everything queued, waiting a bounded time. Any thread. */
	void (*flush)(struct chardev *c);
};

/* Embedded in the back end's own struct. */
struct chardev {
	const struct chardev_ops *ops;
};

/* A device without a back end (c == NULL) discards output and gets no input. */
static inline void chardev_attach(struct chardev *c, const struct chardev_frontend *fe, void *opaque)
{
	if (c)
		c->ops->attach(c, fe, opaque);
}

static inline bool chardev_write(struct chardev *c, const void *buf, size_t len)
{
	return c ? c->ops->write(c, buf, len) : true;
}

static inline void chardev_rx_ready(struct chardev *c)
{
	if (c)
		c->ops->rx_ready(c);
}

static inline void chardev_flush(struct chardev *c)
{
	if (c)
		c->ops->flush(c);
}

#endif
