/* SPDX-License-Identifier: MIT */
#include "ring.h"
#include "iov.h"

#include <errno.h>
#include <string.h>

static uint32_t guest_index(const struct vmbus_ring *r, bool read_side)
{
	const uint32_t *p = read_side ? &r->ctl->read_index : &r->ctl->write_index;

	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static bool index_valid(const struct vmbus_ring *r, uint32_t i)
{
	return i < r->size && i % 8 == 0;
}

int vmbus_ring_init(struct vmbus_ring *r, void *base, size_t bytes, bool inbound)
{
	memset(r, 0, sizeof(*r));
	if (bytes < 2 * VMBUS_RING_CONTROL_SIZE || bytes % VMBUS_RING_CONTROL_SIZE ||
	    bytes - VMBUS_RING_CONTROL_SIZE > UINT32_MAX)
		return -EINVAL;
	r->ctl = base;
	r->data = (uint8_t *)base + VMBUS_RING_CONTROL_SIZE;
	r->size = (uint32_t)(bytes - VMBUS_RING_CONTROL_SIZE);
	r->index = inbound ? guest_index(r, true) : guest_index(r, false);
	if (!index_valid(r, r->index))
		return -EINVAL;
	r->published = r->index;
	if (!inbound) {
		/* hvkvm sets pending_send_sz when this ring is full and waits to be told. */
		__atomic_fetch_or(&r->ctl->feature_bits, VMBUS_RING_FEAT_PENDING_SEND_SZ, __ATOMIC_RELEASE);
		r->ctl->pending_send_sz = 0;
	}
	return 0;
}

/* Copy len bytes out of the ring from offset off, wrapping at the end. */
static void ring_copy_out(const struct vmbus_ring *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t first = r->size - off < len ? r->size - off : len;

	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}

static void ring_copy_in(struct vmbus_ring *r, uint32_t off, const void *src, uint32_t len)
{
	uint32_t first = r->size - off < len ? r->size - off : len;

	memcpy(r->data + off, src, first);
	memcpy(r->data, (const uint8_t *)src + first, len - first);
}

/* Bytes between two indices going forward. */
static uint32_t ring_distance(const struct vmbus_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->size - from + to;
}

int vmbus_ring_recv(struct vmbus_ring *r, void *buf, uint32_t buflen, uint32_t *len)
{
	struct vmbus_packet_desc d;
	uint32_t w, avail, plen, off;

	if (r->broken)
		return -EBADMSG;
	w = guest_index(r, false);
	if (!index_valid(r, w))
		goto broken;
	avail = ring_distance(r, r->index, w);
	if (avail == 0)
		return -EAGAIN;
	if (avail < sizeof(d) + 8)
		goto broken;
	ring_copy_out(r, r->index, &d, sizeof(d));
	plen = (uint32_t)d.len8 * 8;
	off = (uint32_t)d.offset8 * 8;
	if (plen < sizeof(d) || plen + 8 > avail || off < sizeof(d) || off > plen)
		goto broken;
	*len = plen;
	if (plen > buflen)
		return -EMSGSIZE;
	ring_copy_out(r, r->index, buf, plen);
	/* The guest may have changed the descriptor since: keep what was checked. */
	memcpy(buf, &d, sizeof(d));
	r->index = (r->index + plen + 8) % r->size;
	return 0;
broken:
	r->broken = true;
	return -EBADMSG;
}

bool vmbus_ring_recv_done(struct vmbus_ring *r)
{
	uint32_t freed = ring_distance(r, r->published, r->index);
	uint32_t pending, w, writable;

	if (r->broken || freed == 0)
		return false;
	__atomic_store_n(&r->ctl->read_index, r->index, __ATOMIC_RELEASE);
	r->published = r->index;
	if (!(__atomic_load_n(&r->ctl->feature_bits, __ATOMIC_ACQUIRE) & VMBUS_RING_FEAT_PENDING_SEND_SZ))
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pending = __atomic_load_n(&r->ctl->pending_send_sz, __ATOMIC_ACQUIRE);
	if (!pending)
		return false;
	w = guest_index(r, false);
	if (!index_valid(r, w))
		return false;
	/* Space the guest (the writer) now has; signal only when this read crossed its
	 * threshold, so that a guest is woken once, not for every packet. */
	writable = r->size - ring_distance(r, r->index, w);
	return writable > pending && writable - freed <= pending;
}

bool vmbus_ring_empty(struct vmbus_ring *r)
{
	return r->broken || guest_index(r, false) == r->index;
}

void vmbus_ring_mask(struct vmbus_ring *r)
{
	__atomic_store_n(&r->ctl->interrupt_mask, 1, __ATOMIC_SEQ_CST);
}

bool vmbus_ring_unmask(struct vmbus_ring *r)
{
	__atomic_store_n(&r->ctl->interrupt_mask, 0, __ATOMIC_SEQ_CST);
	/* A packet written while masked came without a signal: look once more. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !vmbus_ring_empty(r);
}

uint32_t vmbus_ring_send_room(struct vmbus_ring *r)
{
	uint32_t rd, free_bytes;

	if (r->broken)
		return 0;
	rd = guest_index(r, true);
	if (!index_valid(r, rd))
		return 0;
	/* A packet fits when its space is below the free bytes (both multiples of 8):
	 * padded length + trailer <= free - 8. */
	free_bytes = r->size - ring_distance(r, rd, r->index);
	return free_bytes >= 16 ? free_bytes - 16 : 0;
}

int vmbus_ring_send(struct vmbus_ring *r, const struct iovec *iov, unsigned n, bool *signal)
{
	uint64_t len64 = iov_size(iov, n);
	uint32_t len, space, rd, free_bytes, off, old;
	uint64_t trailer;
	static const uint8_t zeros[8];

	*signal = false;
	if (r->broken)
		return -EBADMSG;
	/* An empty ring takes a packet whose space is less than the ring: never all of it. */
	if (len64 < sizeof(struct vmbus_packet_desc) || len64 >= r->size ||
	    vmbus_ring_packet_space((uint32_t)len64) >= r->size)
		return -EMSGSIZE;
	len = (uint32_t)len64;
	space = vmbus_ring_packet_space(len);
	rd = guest_index(r, true);
	if (!index_valid(r, rd))
		goto broken;
	/* One byte short of full: equal indices mean empty, never full. */
	free_bytes = r->size - ring_distance(r, rd, r->index);
	if (space >= free_bytes) {
		/* The guest signals once more than this is free, exactly what is needed. */
		__atomic_store_n(&r->ctl->pending_send_sz, space, __ATOMIC_SEQ_CST);
		/* The guest may have read in the meantime without seeing the request. */
		rd = guest_index(r, true);
		if (!index_valid(r, rd))
			goto broken;
		free_bytes = r->size - ring_distance(r, rd, r->index);
		if (space >= free_bytes)
			return -EAGAIN;
	}
	__atomic_store_n(&r->ctl->pending_send_sz, 0, __ATOMIC_RELAXED);
	old = r->index;
	off = old;
	for (unsigned i = 0; i < n; i++) {
		ring_copy_in(r, off, iov[i].iov_base, (uint32_t)iov[i].iov_len);
		off = (off + (uint32_t)iov[i].iov_len) % r->size;
	}
	ring_copy_in(r, off, zeros, ((len + 7) & ~7u) - len);
	off = (off + ((len + 7) & ~7u) - len) % r->size;
	trailer = (uint64_t)old << 32;
	ring_copy_in(r, off, &trailer, 8);
	r->index = (old + space) % r->size;
	__atomic_store_n(&r->ctl->write_index, r->index, __ATOMIC_RELEASE);
	/* Signal only on empty to non-empty, and not while the guest polls (mask). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&r->ctl->interrupt_mask, __ATOMIC_ACQUIRE))
		*signal = guest_index(r, true) == old;
	return 0;
broken:
	r->broken = true;
	return -EBADMSG;
}
