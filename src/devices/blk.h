/* SPDX-License-Identifier: MIT */
/*
 * Block back ends: a raw image file or a block device, read and written
 * asynchronously. Requests are submitted and completed on the event-loop thread;
 * many can be in flight. io_uring when built with it, a thread pool otherwise.
 *
 * A flush completes only once everything written before it is durable.
 */
#ifndef HVKVM_BLK_H
#define HVKVM_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct loop;
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
	/* The back end's own: */
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
};

enum blk_cache {
	BLK_CACHE_WRITEBACK,		/* page cache; flushes make data durable */
	BLK_CACHE_NONE,			/* O_DIRECT */
};

/*
 * Open path and take an fcntl lock on it (shared when readonly, exclusive otherwise)
 * so that two VMs cannot use one image. On failure returns -errno and the reason in
 * err ("in use by another process ..."), which the caller prefixes with the path.
 */
int blk_open(struct blk **out, struct loop *loop, const char *path, bool readonly, enum blk_cache cache,
	     char *err, size_t errlen);
void blk_close(struct blk *b);
const struct blk_info *blk_info(const struct blk *b);

/* Queue a request; 0, or -errno if it could not even be queued (done is not called). */
int blk_submit(struct blk *b, struct blk_req *req);
/* Between plug and unplug, submissions are gathered and sent to the kernel together. */
void blk_plug(struct blk *b);
void blk_unplug(struct blk *b);

/* Wait until every submitted request has completed (their done callbacks run here),
 * e.g. before the guest memory they use goes away. Loop thread only, and never from a
 * done callback: completions already collected would not be delivered again. */
void blk_drain(struct blk *b);

/* Requests submitted and not completed yet. */
unsigned blk_inflight(const struct blk *b);

/* Alignment O_DIRECT needs for memory, offsets and lengths (1 without cache=none). */
size_t blk_dma_alignment(const struct blk *b);

#endif
