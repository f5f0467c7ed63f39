/* SPDX-License-Identifier: MIT */
/*
 * The packets a guest writes into a channel's ring, read by the devices: a descriptor
 * (type, flags, transaction id), for GPA-direct packets page ranges over guest RAM
 * (each a byte count, an offset into its first page and its page numbers), for
 * transfer-page packets byte ranges in a buffer shared earlier, then the in-band
 * payload. The ring reader copies each packet out first, because the guest can
 * rewrite its ring at any time; vmbus_pkt_parse() reads that copy alone and turns the
 * ranges into host iovecs, each one checked against guest RAM or the buffer, so that
 * no device parses a page list of its own.
 */
#ifndef HVKVM_VMBUS_PACKET_H
#define HVKVM_VMBUS_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "memory.h"
#include "vmbus_proto.h"

/* What one device takes in one packet; every field must be set. */
struct vmbus_pkt_limits {
	uint32_t max_ranges;	/* GPA or transfer-page ranges */
	uint32_t max_pages;	/* GPA direct: page numbers of all ranges together */
	uint64_t max_bytes;	/* bytes of all ranges together */
};

/* A buffer the guest shared for transfer-page packets (a GPADL's host view), known to
 * the packets by its transfer page set id. */
struct vmbus_xfer_buf {
	uint16_t id;
	uint8_t *base;
	size_t len;
};

struct vmbus_pkt {
	uint16_t type;			/* enum vmbus_packet_type */
	uint16_t flags;
	uint64_t trans_id;
	const uint8_t *data;		/* the in-band payload, inside the caller's copy */
	uint32_t data_len;
	uint16_t xfer_pageset_id;	/* transfer-page packets */
	uint32_t nranges;
	/* The ranges' bytes in order. GPA direct: one run of bytes in guest RAM, pieces
	 * adjacent in hvkvm merged; transfer pages: one iovec per range, in the buffer.
	 * The guest may change the bytes at any time: copy what must be validated. */
	struct iovec *iov;
	unsigned niov;
	uint64_t bytes;			/* in all of iov */
	const char *bad;		/* why parsing failed, for the caller's log */
};

/*
 * Parse the packet in buf (len bytes, as the ring reader copied it) into p, with the
 * ranges' pieces in iov (room for max_iov; GPA direct needs at most one per page,
 * transfer pages one per range). xfer is the buffer transfer-page packets refer to,
 * or NULL. Packets of other types get their payload and no ranges.
 *
 * Returns 0, or a negative errno with p->bad saying why: -EINVAL for a malformed
 * packet (the descriptor, a range count, a length or an offset that does not fit),
 * -E2BIG beyond lim or max_iov, -EFAULT for a page outside guest RAM or a range
 * outside the buffer, -ENOENT for a transfer page set other than xfer's. Whenever the
 * descriptor itself was sound, p's descriptor fields and payload are filled even on
 * failure (so that the request can be answered); p->niov and p->bytes are 0 then.
 */
int vmbus_pkt_parse(const void *buf, uint32_t len, const struct gmem *m, const struct vmbus_xfer_buf *xfer,
		    const struct vmbus_pkt_limits *lim, struct iovec *iov, unsigned max_iov, struct vmbus_pkt *p);

#endif
