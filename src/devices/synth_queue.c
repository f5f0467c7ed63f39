/* SPDX-License-Identifier: MIT */
#include "synth_queue.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int synth_queue_init(struct synth_queue *q, const char *name, size_t ev_size, unsigned cap)
{
	memset(q, 0, sizeof(*q));
	q->name = name;
	q->ev_size = ev_size;
	q->cap = cap;
	q->events = calloc(cap, ev_size);
	return q->events ? 0 : -ENOMEM;
}

void synth_queue_destroy(struct synth_queue *q)
{
	free(q->events);
	q->events = NULL;
}

void synth_queue_reset(struct synth_queue *q)
{
	q->nreply = 0;
	q->count = 0;
}

void synth_queue_attach(struct synth_queue *q, struct vmbus_channel *ch)
{
	q->ch = ch;
	synth_queue_reset(q);
}

static int send_one(struct synth_queue *q, const void *msg, uint32_t len)
{
	struct iovec iov = { (void *)msg, len };

	return vmbus_chan_send(q->ch, VM_PKT_DATA_INBAND, 0, 0, &iov, 1);
}

void synth_queue_flush(struct synth_queue *q)
{
	int r = 0;

	while (q->ch && q->nreply) {
		r = send_one(q, q->reply[0].msg, q->reply[0].len);
		if (r == -EAGAIN)
			return;	/* notify comes when the guest has read */
		if (r < 0)
			break;
		memmove(&q->reply[0], &q->reply[1], (q->nreply - 1) * sizeof(q->reply[0]));
		q->nreply--;
	}
	while (r == 0 && q->ch && q->count) {
		r = send_one(q, q->events + (size_t)q->head * q->ev_size, (uint32_t)q->ev_size);
		if (r == -EAGAIN)
			return;
		if (r == 0) {
			q->head = (q->head + 1) % q->cap;
			q->count--;
			q->sent++;
		}
	}
	if (r < 0) {
		/* The channel is broken (vmbus_chan_send failed it): nothing more gets through. */
		log_warn_limited(&q->rl, "%s: cannot send to the guest: %s; %u events lost", q->name, strerror(-r),
				 q->count);
		q->dropped += q->count;
		synth_queue_reset(q);
	}
}

struct notify_ctx {
	struct synth_queue *q;
	void (*handle)(void *opaque, const uint8_t *pkt, uint32_t len);
	void *opaque;
};

static bool queue_packet(void *opaque, const void *pkt, uint32_t len)
{
	struct notify_ctx *c = opaque;

	c->handle(c->opaque, pkt, len);
	return c->q->ch != NULL;	/* closed under us */
}

bool synth_queue_notify(struct synth_queue *q, struct vmbus_channel *ch, uint8_t *buf, uint32_t size,
			void (*handle)(void *opaque, const uint8_t *pkt, uint32_t len), void *opaque)
{
	struct notify_ctx c = { q, handle, opaque };

	if (vmbus_chan_recv_each(ch, buf, size, queue_packet, &c))
		synth_queue_flush(q);
	return true;
}

int synth_queue_reply(struct synth_queue *q, const struct iovec *iov, unsigned n)
{
	uint32_t len = 0;

	if (!q->ch)
		return -EPIPE;
	if (q->nreply == SYNTH_QUEUE_REPLIES)
		return -ENOBUFS;
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].iov_len > SYNTH_QUEUE_REPLY_MAX - len)
			return -EMSGSIZE;
		memcpy(q->reply[q->nreply].msg + len, iov[i].iov_base, iov[i].iov_len);
		len += (uint32_t)iov[i].iov_len;
	}
	q->reply[q->nreply++].len = len;
	synth_queue_flush(q);
	return 0;
}

bool synth_queue_room(const struct synth_queue *q, unsigned n)
{
	return n <= q->cap - q->count;
}

int synth_queue_event(struct synth_queue *q, const void *ev)
{
	if (!q->ch)
		return -EPIPE;
	if (q->count == q->cap) {
		q->dropped++;
		log_warn_limited(&q->rl, "%s: %u events wait for the guest to read; one more refused", q->name,
				 q->cap);
		return -ENOBUFS;
	}
	memcpy(q->events + (size_t)((q->head + q->count) % q->cap) * q->ev_size, ev, q->ev_size);
	q->count++;
	synth_queue_flush(q);
	return 0;
}
