/* SPDX-License-Identifier: MIT */
/*
 * The block back-end interface a disk model (scsi_disk) consumes: requests with
 * completion callbacks, batching, draining, and what the medium can do. The model
 * never knows what implements it: an I/O engine on a raw image or block device
 * (backends/: io_uring, a thread pool, inline for files in memory), or a format
 * driver (an image format that maps guest blocks to places in its file) stacked on
 * such an engine by implementing these ops over another struct blk.
 *
 * Requests are submitted and completed on the event-loop thread; many can be in
 * flight. A flush completes only once everything written before it is durable.
 */
#ifndef HVKVM_BLK_H
#define HVKVM_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct blk;

enum blk_op {
	BLK_READ,
	BLK_WRITE,
	BLK_FLUSH,		/* fdatasync */
	BLK_DISCARD,		/* punch a hole: reads return zeroes afterwards */
	BLK_WRITE_ZEROES,	/* zero the range (may be done by discarding) */
};

struct blk_req {
	enum blk_op op;
	uint64_t offset;		/* bytes */
	uint64_t len;			/* DISCARD/WRITE_ZEROES: bytes; READ/WRITE: sum of iov */
	const struct iovec *iov;	/* READ/WRITE: guest memory, valid until done */
	unsigned iovcnt;
	bool fua;			/* WRITE: durable when done (forced unit access) */
	/* Runs on the loop thread: result is the bytes transferred, 0, or -errno. */
	void (*done)(struct blk_req *req, int64_t result);
	void *opaque;
	/* The back end's own (a format driver uses its own requests below it): */
	uint64_t transferred;		/* across short transfers */
	struct iovec *rest;		/* the remainder after a short transfer */
	unsigned rest_cnt;
	struct blk_req *next;		/* waiting for a submission slot */
};

struct blk_info {
	uint64_t size;			/* bytes */
	uint32_t logical_block;		/* bytes, 512 or 4096 */
	uint32_t physical_block;
	bool readonly;
	bool discard;			/* holes can be punched */
	bool rotational;
	uint32_t dma_align;		/* memory, offsets and lengths (O_DIRECT); 1: any */
};

struct blk_ops {
	/* Queue a request; 0, or -errno if it could not even be queued (done is not
	 * called). */
	int (*submit)(struct blk *b, struct blk_req *req);
	/* Between plug and unplug, submissions are gathered and sent on together. */
	void (*plug)(struct blk *b);
	void (*unplug)(struct blk *b);
	/* Wait until every submitted request has completed (their done callbacks run
	 * here), e.g. before the guest memory they use goes away. Never from a done
	 * callback. */
	void (*drain)(struct blk *b);
	/* Requests submitted and not completed yet. */
	unsigned (*inflight)(const struct blk *b);
	/* Frees b; nothing may be in flight (drain first). */
	void (*close)(struct blk *b);
};

/* Embedded in the back end's own struct. */
struct blk {
	const struct blk_ops *ops;
	struct blk_info info;		/* fixed once open */
};

static inline int blk_submit(struct blk *b, struct blk_req *req)
{
	return b->ops->submit(b, req);
}

static inline void blk_plug(struct blk *b)
{
	b->ops->plug(b);
}

static inline void blk_unplug(struct blk *b)
{
	b->ops->unplug(b);
}

static inline void blk_drain(struct blk *b)
{
	b->ops->drain(b);
}

static inline unsigned blk_inflight(const struct blk *b)
{
	return b->ops->inflight(b);
}

static inline void blk_close(struct blk *b)
{
	if (b)
		b->ops->close(b);
}

static inline const struct blk_info *blk_info(const struct blk *b)
{
	return &b->info;
}

static inline size_t blk_dma_alignment(const struct blk *b)
{
	return b->info.dma_align;
}

#endif
