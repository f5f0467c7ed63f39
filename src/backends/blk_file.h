/* SPDX-License-Identifier: MIT */
/*
 * A raw image file or a block device as a block back end (struct blk, devices/blk.h).
 * Opening probes the medium and locks it; requests then reach the file through one
 * I/O engine, picked when it opens:
 *
 *   inline     files in memory (tmpfs, ramfs): a read or write is a copy, done at once
 *   io_uring   when built with it and the kernel allows it
 *   pool       worker threads doing synchronous I/O, otherwise
 *
 * Each engine is a file of its own (blk_inline.c, blk_uring.c, blk_pool.c); what they
 * share is here. Completions reach the loop thread through one eventfd.
 */
#ifndef HVKVM_BLK_FILE_H
#define HVKVM_BLK_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blk.h"
#include "hvkvm-config.h"

#if HVKVM_HAVE_IO_URING
#include <liburing.h>
#endif

struct loop;

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

/* ---- for the engines ------------------------------------------------------------- */

#define BLK_QUEUE_DEPTH		256
#define BLK_WORKERS		4

struct blk_file;

struct blk_engine {
	const char *name;
	/* Set up; 0, or -errno with nothing left to release (the next engine is tried). */
	int (*start)(struct blk_file *f);
	/* Take req (counted in flight already); done runs now or from complete(). */
	void (*submit)(struct blk_file *f, struct blk_req *req);
	/* The eventfd was signalled: deliver what has completed. May be NULL. */
	void (*complete)(struct blk_file *f);
	/* Unplugged: send on what was gathered. May be NULL. */
	void (*kick)(struct blk_file *f);
	/* Nothing in flight any more; release what start set up. May be NULL. */
	void (*stop)(struct blk_file *f);
};

extern const struct blk_engine blk_engine_inline, blk_engine_pool;
#if HVKVM_HAVE_IO_URING
extern const struct blk_engine blk_engine_uring;
#endif

struct blk_file {
	struct blk blk;			/* what the disk model sees; first member */
	struct loop *loop;
	int fd;
	enum blk_cache cache;
	bool in_memory;			/* tmpfs/ramfs */
	const struct blk_engine *engine;
	unsigned inflight;		/* loop thread */
	int efd;			/* completions ready */
	bool plugged;

	/* inline */
	bool running_inline;		/* in the inline loop: more requests queue behind */
	struct blk_req *inline_head, *inline_tail;
	/* io_uring */
	unsigned unsubmitted;		/* SQEs prepared while plugged */
	struct blk_req *backlog, *backlog_tail;	/* waiting for a slot */
#if HVKVM_HAVE_IO_URING
	struct io_uring ring;
#endif
	/* thread pool */
	pthread_t workers[BLK_WORKERS];
	unsigned nworkers;
	pthread_mutex_t lock;		/* todo and done lists, stopping */
	pthread_cond_t cond;
	struct blk_req *todo, *todo_tail, *done;
	bool stopping;
};

/* One request, synchronously, on any thread: bytes transferred, 0, or -errno. */
int64_t blk_file_do_sync(struct blk_file *f, struct blk_req *req);

#endif
