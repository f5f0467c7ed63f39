/* SPDX-License-Identifier: MIT */
/*
 * One direction of a VMBus channel: a control page and a data area in guest memory.
 * hvkvm reads the guest-to-host ring and writes the host-to-guest one.
 *
 * The guest can change any byte at any time. hvkvm keeps its own index in private
 * memory (the guest cannot move it), checks the guest's index on every use, and
 * copies a packet out before anyone parses it; a ring the guest has corrupted makes
 * every call fail with -EBADMSG and the channel is closed by its owner.
 */
#ifndef HVKVM_VMBUS_RING_H
#define HVKVM_VMBUS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmbus_proto.h"

struct vmbus_ring {
	struct vmbus_ring_control *ctl;	/* guest memory */
	uint8_t *data;			/* guest memory, size bytes */
	uint32_t size;
	uint32_t index;			/* ours: read index (inbound) or write index (outbound) */
	uint32_t published;		/* the read index last made visible (inbound) */
	bool broken;			/* the guest corrupted it */
};

/* base: the control page followed by the data area, bytes in all (a multiple of 4 KiB,
 * at least two pages). Takes over the index the guest initialised. -EINVAL if unusable. */
int vmbus_ring_init(struct vmbus_ring *r, void *base, size_t bytes, bool inbound);

/*
 * Inbound: copy the next packet (descriptor and payload, without the trailer) into
 * buf and consume it. Returns 0 with *len set, -EAGAIN if the ring is empty,
 * -EMSGSIZE if buf is too small (*len says how much is needed; nothing consumed),
 * -EBADMSG if the guest broke the ring.
 */
int vmbus_ring_recv(struct vmbus_ring *r, void *buf, uint32_t buflen, uint32_t *len);
/* Publish what recv consumed. Returns true if the guest waits for this space
 * (pending_send_sz crossed) and must be signalled. */
bool vmbus_ring_recv_done(struct vmbus_ring *r);
bool vmbus_ring_empty(struct vmbus_ring *r);
/* Tell the guest not to signal while the host drains the ring (mask), or again
 * (unmask): unmasking returns true if packets arrived meanwhile. */
void vmbus_ring_mask(struct vmbus_ring *r);
bool vmbus_ring_unmask(struct vmbus_ring *r);

/*
 * Outbound: write one packet gathered from iov (the caller's descriptor first), pad
 * it to 8 bytes and add the trailer. Returns 0 and whether the guest must be
 * signalled, -EAGAIN if it does not fit now (pending_send_sz is set so that the guest
 * signals when it has read enough), -EMSGSIZE if it can never fit, -EBADMSG.
 */
int vmbus_ring_send(struct vmbus_ring *r, const struct iovec *iov, unsigned n, bool *signal);
/* Outbound: the largest packet (descriptor and payload, as vmbus_ring_send counts it)
 * that fits now, 0 if none does or the guest broke the ring; and the largest an empty
 * ring takes. */
uint32_t vmbus_ring_send_room(struct vmbus_ring *r);
static inline uint32_t vmbus_ring_send_max(const struct vmbus_ring *r)
{
	/* Its space (padded, with the trailer) must stay below the ring's size. */
	return r->size >= 16 ? r->size - 16 : 0;
}
/* Bytes a packet of len payload+descriptor bytes takes in the ring. */
static inline uint32_t vmbus_ring_packet_space(uint32_t len)
{
	return ((len + 7) & ~7u) + 8;
}

#endif
