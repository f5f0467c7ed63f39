/* SPDX-License-Identifier: MIT */
/*
 * What the synthetic keyboard and mouse send the guest, waiting for room in the ring.
 * Two kinds of message wait here: replies the guest's driver waits for (the protocol
 * response, the device description), which are never lost while the channel is open,
 * and input events, of which a bounded number wait and the rest are refused, counted
 * and warned about. Replies go before events; each kind in order. A full ring makes
 * vmbus_chan_send() answer -EAGAIN and the channel's notify come again when the guest
 * has read: the device calls synth_queue_flush() from it. Loop thread only.
 */
#ifndef HVKVM_SYNTH_QUEUE_H
#define HVKVM_SYNTH_QUEUE_H

#include "log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vmbus_channel;

#define SYNTH_QUEUE_REPLIES	2	/* replies to one request: a response and a description */
#define SYNTH_QUEUE_REPLY_MAX	256	/* bytes of one reply */

struct synth_queue {
	const char *name;		/* the device, for messages */
	struct vmbus_channel *ch;	/* NULL while closed */
	struct {
		uint32_t len;
		uint8_t msg[SYNTH_QUEUE_REPLY_MAX];
	} reply[SYNTH_QUEUE_REPLIES];
	unsigned nreply;
	uint8_t *events;		/* cap events of ev_size bytes, oldest at head */
	size_t ev_size;
	unsigned cap, head, count;
	uint64_t sent;			/* events sent */
	uint64_t dropped;		/* events refused (queue full) or lost (channel broken) */
	struct log_ratelimit rl;
};

/* cap events of ev_size bytes each. 0 or -ENOMEM. */
int synth_queue_init(struct synth_queue *q, const char *name, size_t ev_size, unsigned cap);
void synth_queue_destroy(struct synth_queue *q);

/* The channel opened (ch) or closed (NULL): what waited is for a driver that is gone. */
void synth_queue_attach(struct synth_queue *q, struct vmbus_channel *ch);
/* Forget what waits: the guest's driver starts over. */
void synth_queue_reset(struct synth_queue *q);

/* A reply, the iov joined into one message, sent now or as soon as the ring has room.
 * 0, -EPIPE (closed), -EMSGSIZE (over SYNTH_QUEUE_REPLY_MAX), -ENOBUFS (SYNTH_QUEUE_REPLIES
 * replies wait already). */
int synth_queue_reply(struct synth_queue *q, const struct iovec *iov, unsigned n);
/* An event of ev_size bytes, after every reply and event before it. 0, -EPIPE,
 * -ENOBUFS (cap events wait: counted as dropped, and warned about). */
int synth_queue_event(struct synth_queue *q, const void *ev);
/* Room for n more events now. */
bool synth_queue_room(const struct synth_queue *q, unsigned n);
/* Send what waits, in order, until the ring is full. */
void synth_queue_flush(struct synth_queue *q);
/*
 * A device's notify: each packet the guest sent, copied into buf (size bytes), goes to
 * handle (a larger one fails the channel: no message of these devices is that long),
 * until the ring is empty or the channel closes; then what waits is sent.
 */
bool synth_queue_notify(struct synth_queue *q, struct vmbus_channel *ch, uint8_t *buf, uint32_t size,
			void (*handle)(void *opaque, const uint8_t *pkt, uint32_t len), void *opaque);

#endif
