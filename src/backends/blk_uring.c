/* SPDX-License-Identifier: MIT */
/*
 * The io_uring engine: requests become SQEs (gathered while plugged), completions
 * come back through the eventfd registered with the ring. Short transfers continue
 * from where they stopped; requests that find the queue full wait in a backlog.
 */
#include "blk_file.h"

#if HVKVM_HAVE_IO_URING
#include "iov.h"
#include "log.h"

#include <errno.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>

static bool uring_prep(struct blk_file *f, struct blk_req *req)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);
	const struct iovec *iov = req->rest ? req->rest : req->iov;
	unsigned n = req->rest ? req->rest_cnt : req->iovcnt;
	uint64_t off = req->offset + req->transferred;

	if (!sqe)
		return false;
	switch (req->op) {
	case BLK_READ:
		io_uring_prep_readv(sqe, f->fd, iov, n, off);
		break;
	case BLK_WRITE:
		io_uring_prep_writev(sqe, f->fd, iov, n, off);
		if (req->fua)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case BLK_FLUSH:
		io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLK_DISCARD:
		io_uring_prep_fallocate(sqe, f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	case BLK_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	f->unsubmitted++;
	return true;
}

static void uring_kick(struct blk_file *f)
{
	if (f->unsubmitted && !f->plugged) {
		int r = io_uring_submit(&f->ring);

		if (r < 0)
			log_error("block: io_uring_submit: %s", strerror(-r));
		else
			f->unsubmitted = 0;
	}
}

/* A request the queue has no room for waits, in order. */
static void uring_backlog(struct blk_file *f, struct blk_req *req)
{
	req->next = NULL;
	if (f->backlog_tail)
		f->backlog_tail->next = req;
	else
		f->backlog = req;
	f->backlog_tail = req;
}

/* After a short transfer: a vector for what is left of the request. */
static int uring_rest(struct blk_req *req)
{
	int n;

	/* What is left never has more pieces than the whole. */
	if (!req->rest && !(req->rest = calloc(req->iovcnt, sizeof(*req->rest))))
		return -ENOMEM;
	n = iov_slice(req->iov, req->iovcnt, req->transferred, req->len - req->transferred, req->rest,
		      req->iovcnt);
	if (n <= 0)
		return -EIO;	/* len is more than the vector holds */
	req->rest_cnt = (unsigned)n;
	return 0;
}

static void uring_complete(struct blk_file *f)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&f->ring, &cqe) == 0) {
		struct blk_req *req = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		int64_t result;

		io_uring_cqe_seen(&f->ring, cqe);
		if (res == -EAGAIN || res == -EINTR) {
			if (!uring_prep(f, req))
				goto backlog;
			continue;
		}
		if ((req->op == BLK_READ || req->op == BLK_WRITE) && res >= 0) {
			req->transferred += (uint64_t)res;
			if (res == 0 && req->transferred < req->len) {
				result = -EIO;	/* the file ended */
			} else if (req->transferred < req->len) {
				int r = uring_rest(req);

				if (r < 0) {
					result = r;
				} else if (uring_prep(f, req)) {
					continue;
				} else {
				backlog:
					uring_backlog(f, req);
					continue;
				}
			} else {
				result = (int64_t)req->transferred;
			}
		} else {
			result = res;
		}
		free(req->rest);
		req->rest = NULL;
		f->inflight--;
		req->done(req, result);
	}
	/* Room in the queue again: what waited goes in. */
	while (f->backlog && uring_prep(f, f->backlog)) {
		f->backlog = f->backlog->next;
		if (!f->backlog)
			f->backlog_tail = NULL;
	}
	uring_kick(f);
}

static void uring_submit(struct blk_file *f, struct blk_req *req)
{
	if (f->backlog || !uring_prep(f, req))
		uring_backlog(f, req);
	uring_kick(f);
}

static int uring_start(struct blk_file *f)
{
	int r = io_uring_queue_init(BLK_QUEUE_DEPTH, &f->ring, 0);

	if (r == 0 && (r = io_uring_register_eventfd(&f->ring, f->efd)) < 0)
		io_uring_queue_exit(&f->ring);
	if (r < 0)
		log_info("io_uring is not available (%s): disk I/O uses a thread pool", strerror(-r));
	return r;
}

static void uring_stop(struct blk_file *f)
{
	io_uring_queue_exit(&f->ring);
}

const struct blk_engine blk_engine_uring = {
	.name = "io_uring",
	.start = uring_start,
	.submit = uring_submit,
	.complete = uring_complete,
	.kick = uring_kick,
	.stop = uring_stop,
};
#endif
