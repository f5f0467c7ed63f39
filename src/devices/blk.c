/* SPDX-License-Identifier: MIT */
#include "blk.h"
#include "hvkvm-config.h"
#include "log.h"
#include "loop.h"
#include "thread.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#if HVKVM_HAVE_IO_URING
#include <liburing.h>
#endif

#define BLK_QUEUE_DEPTH		256
#define BLK_WORKERS		4

struct blk {
	struct loop *loop;
	int fd;
	struct blk_info info;
	enum blk_cache cache;
	unsigned inflight;		/* loop thread */
	int efd;			/* completions ready */
	bool plugged;
	unsigned unsubmitted;		/* SQEs prepared while plugged */
	bool in_memory;			/* tmpfs/ramfs: requests run as they are submitted */
	bool running_inline;		/* in inline_run: more requests queue behind */
	struct blk_req *inline_head, *inline_tail;
	struct blk_req *backlog, *backlog_tail;	/* waiting for a slot */
#if HVKVM_HAVE_IO_URING
	bool uring;
	struct io_uring ring;
#endif
	/* The thread pool, when io_uring is not there. */
	pthread_t workers[BLK_WORKERS];
	unsigned nworkers;
	pthread_mutex_t lock;		/* todo and done lists, stopping */
	pthread_cond_t cond;
	struct blk_req *todo, *todo_tail, *done;
	bool stopping;
};

/* ---- one request, synchronously (the thread pool) -------------------------------- */

static int64_t blk_do_sync(struct blk *b, struct blk_req *req)
{
	switch (req->op) {
	case BLK_READ:
	case BLK_WRITE: {
		struct iovec iov[1024];
		unsigned n = req->iovcnt < 1024 ? req->iovcnt : 1024;
		uint64_t total = 0;

		if (req->iovcnt > 1024)
			return -EINVAL;
		memcpy(iov, req->iov, n * sizeof(iov[0]));
		while (total < req->len) {
			ssize_t r = req->op == BLK_READ ?
					    preadv(b->fd, iov, (int)n, (off_t)(req->offset + total)) :
					    pwritev2(b->fd, iov, (int)n, (off_t)(req->offset + total),
						     req->fua ? RWF_DSYNC : 0);
			unsigned i = 0;

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -EIO;	/* past the end of the file */
			total += (uint64_t)r;
			/* Drop what was done from the front of the vector. */
			while (i < n && (size_t)r >= iov[i].iov_len)
				r -= (ssize_t)iov[i++].iov_len;
			memmove(iov, iov + i, (n - i) * sizeof(iov[0]));
			n -= i;
			if (n) {
				iov[0].iov_base = (uint8_t *)iov[0].iov_base + r;
				iov[0].iov_len -= (size_t)r;
			}
		}
		return (int64_t)total;
	}
	case BLK_FLUSH:
		return fdatasync(b->fd) < 0 ? -errno : 0;
	case BLK_DISCARD:
		return fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)req->offset,
				 (off_t)req->len) < 0 ? -errno : 0;
	case BLK_WRITE_ZEROES:
		return fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)req->offset,
				 (off_t)req->len) < 0 ? -errno : 0;
	}
	return -EINVAL;
}

static void *blk_worker(void *opaque)
{
	struct blk *b = opaque;
	uint64_t one = 1;

	thread_started(THREAD_IO);
	pthread_mutex_lock(&b->lock);
	for (;;) {
		struct blk_req *req;
		int64_t r;

		while (!b->todo && !b->stopping)
			pthread_cond_wait(&b->cond, &b->lock);
		if (!b->todo)
			break;
		req = b->todo;
		b->todo = req->next;
		if (!b->todo)
			b->todo_tail = NULL;
		pthread_mutex_unlock(&b->lock);
		r = blk_do_sync(b, req);
		pthread_mutex_lock(&b->lock);
		req->transferred = (uint64_t)r;	/* the result travels in the request */
		req->next = b->done;
		b->done = req;
		if (write(b->efd, &one, sizeof(one)) < 0)
			log_error("block: cannot signal a completion: %s", strerror(errno));
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static void pool_complete(struct blk *b)
{
	struct blk_req *list, *rev = NULL;

	pthread_mutex_lock(&b->lock);
	list = b->done;
	b->done = NULL;
	pthread_mutex_unlock(&b->lock);
	/* Completions in submission order where possible. */
	while (list) {
		struct blk_req *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct blk_req *req = rev;

		rev = req->next;
		b->inflight--;
		req->done(req, (int64_t)req->transferred);
	}
}

static void pool_submit(struct blk *b, struct blk_req *req)
{
	req->next = NULL;
	pthread_mutex_lock(&b->lock);
	if (b->todo_tail)
		b->todo_tail->next = req;
	else
		b->todo = req;
	b->todo_tail = req;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* ---- io_uring -------------------------------------------------------------------- */

#if HVKVM_HAVE_IO_URING
static bool uring_prep(struct blk *b, struct blk_req *req)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	const struct iovec *iov = req->rest ? req->rest : req->iov;
	unsigned n = req->rest ? req->rest_cnt : req->iovcnt;
	uint64_t off = req->offset + req->transferred;

	if (!sqe)
		return false;
	switch (req->op) {
	case BLK_READ:
		io_uring_prep_readv(sqe, b->fd, iov, n, off);
		break;
	case BLK_WRITE:
		io_uring_prep_writev(sqe, b->fd, iov, n, off);
		if (req->fua)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case BLK_FLUSH:
		io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLK_DISCARD:
		io_uring_prep_fallocate(sqe, b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	case BLK_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	b->unsubmitted++;
	return true;
}

static void uring_flush(struct blk *b)
{
	if (b->unsubmitted && !b->plugged) {
		int r = io_uring_submit(&b->ring);

		if (r < 0)
			log_error("block: io_uring_submit: %s", strerror(-r));
		else
			b->unsubmitted = 0;
	}
}

/* After a short transfer of `done` bytes of the current vector: a vector for the rest. */
static int uring_rest(struct blk_req *req, uint64_t done)
{
	const struct iovec *cur = req->rest ? req->rest : req->iov;
	unsigned cnt = req->rest ? req->rest_cnt : req->iovcnt, i = 0, n = 0;
	struct iovec *rest;

	for (; i < cnt && done >= cur[i].iov_len; i++)
		done -= cur[i].iov_len;
	if (i == cnt)
		return -EIO;
	rest = calloc(cnt - i, sizeof(*rest));
	if (!rest)
		return -ENOMEM;
	for (; i < cnt; i++, n++)
		rest[n] = cur[i];
	rest[0].iov_base = (uint8_t *)rest[0].iov_base + done;
	rest[0].iov_len -= done;
	free(req->rest);
	req->rest = rest;
	req->rest_cnt = n;
	return 0;
}

static void uring_complete(struct blk *b)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		struct blk_req *req = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		int64_t result;

		io_uring_cqe_seen(&b->ring, cqe);
		if (res == -EAGAIN || res == -EINTR) {
			if (!uring_prep(b, req))
				goto backlog;
			continue;
		}
		if ((req->op == BLK_READ || req->op == BLK_WRITE) && res >= 0) {
			req->transferred += (uint64_t)res;
			if (res == 0 && req->transferred < req->len) {
				result = -EIO;	/* the file ended */
			} else if (req->transferred < req->len) {
				if (uring_rest(req, (uint64_t)res) == 0 && uring_prep(b, req))
					continue;
				if (!req->rest) {
					result = -ENOMEM;
				} else {
				backlog:
					req->next = NULL;
					if (b->backlog_tail)
						b->backlog_tail->next = req;
					else
						b->backlog = req;
					b->backlog_tail = req;
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
		b->inflight--;
		req->done(req, result);
	}
	/* Room in the queue again: what waited goes in. */
	while (b->backlog && uring_prep(b, b->backlog)) {
		b->backlog = b->backlog->next;
		if (!b->backlog)
			b->backlog_tail = NULL;
	}
	uring_flush(b);
}
#endif

static void blk_on_completion(void *opaque, uint32_t events)
{
	struct blk *b = opaque;
	uint64_t n;

	(void)events;
	if (read(b->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
#if HVKVM_HAVE_IO_URING
	if (b->uring) {
		uring_complete(b);
		return;
	}
#endif
	pool_complete(b);
}

/*
 * A file in memory never waits for a device: a read or write is a copy, cheaper done
 * here than handed to a worker thread and waited for (io_uring hands tmpfs I/O to its
 * workers on kernels where tmpfs cannot do non-blocking I/O). done runs before
 * blk_submit returns; requests submitted from a done callback run after it, in order,
 * so that chains of requests (WRITE SAME, UNMAP) do not recurse.
 */
static void inline_run(struct blk *b, struct blk_req *req)
{
	if (b->inline_tail)
		b->inline_tail->next = req;
	else
		b->inline_head = req;
	b->inline_tail = req;
	if (b->running_inline)
		return;
	b->running_inline = true;
	while ((req = b->inline_head)) {
		int64_t r;

		b->inline_head = req->next;
		if (!b->inline_head)
			b->inline_tail = NULL;
		req->next = NULL;
		r = blk_do_sync(b, req);
		b->inflight--;
		req->done(req, r);
	}
	b->running_inline = false;
}

int blk_submit(struct blk *b, struct blk_req *req)
{
	if ((req->op == BLK_READ || req->op == BLK_WRITE) && req->iovcnt == 0)
		return -EINVAL;
	if (b->info.readonly && req->op != BLK_READ)
		return -EROFS;
	req->transferred = 0;
	req->rest = NULL;
	req->rest_cnt = 0;
	req->next = NULL;
	b->inflight++;
	if (b->in_memory) {
		inline_run(b, req);
		return 0;
	}
#if HVKVM_HAVE_IO_URING
	if (b->uring) {
		if (b->backlog || !uring_prep(b, req)) {
			if (b->backlog_tail)
				b->backlog_tail->next = req;
			else
				b->backlog = req;
			b->backlog_tail = req;
		}
		uring_flush(b);
		return 0;
	}
#endif
	pool_submit(b, req);
	return 0;
}

void blk_drain(struct blk *b)
{
	blk_unplug(b);
	while (b->inflight) {
		struct pollfd p = { .fd = b->efd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			log_error("block: waiting for I/O to finish: %s", strerror(errno));
			return;
		}
		blk_on_completion(b, EPOLLIN);
	}
}

void blk_plug(struct blk *b)
{
	b->plugged = true;
}

void blk_unplug(struct blk *b)
{
	b->plugged = false;
#if HVKVM_HAVE_IO_URING
	if (b->uring)
		uring_flush(b);
#endif
}

unsigned blk_inflight(const struct blk *b)
{
	return b->inflight;
}

const struct blk_info *blk_info(const struct blk *b)
{
	return &b->info;
}

size_t blk_dma_alignment(const struct blk *b)
{
	return b->cache == BLK_CACHE_NONE ? b->info.logical_block : 1;
}

/* ---- opening --------------------------------------------------------------------- */

static int read_sysfs_u64(dev_t dev, const char *attr, uint64_t *out)
{
	char path[128], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s", major(dev), minor(dev), attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	*out = strtoull(buf, NULL, 10);
	return 0;
}

static int blk_probe(struct blk *b, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(b->fd, &st) < 0)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	b->info.logical_block = 512;
	b->info.physical_block = 4096;
	if (S_ISBLK(st.st_mode)) {
		uint64_t v;
		int sz;

		if (ioctl(b->fd, BLKGETSIZE64, &b->info.size) < 0)
			return util_fail(err, errlen, -errno, "BLKGETSIZE64: %s", strerror(errno));
		if (ioctl(b->fd, BLKSSZGET, &sz) == 0 && sz > 0)
			b->info.logical_block = (uint32_t)sz;
		if (ioctl(b->fd, BLKPBSZGET, &sz) == 0 && sz > 0)
			b->info.physical_block = (uint32_t)sz;
		b->info.rotational = read_sysfs_u64(st.st_rdev, "rotational", &v) == 0 && v;
		b->info.discard = !b->info.readonly &&
				  read_sysfs_u64(st.st_rdev, "discard_max_bytes", &v) == 0 && v;
	} else if (S_ISREG(st.st_mode)) {
		struct statfs sf;

		b->info.size = (uint64_t)st.st_size;
		b->in_memory = fstatfs(b->fd, &sf) == 0 &&
			       (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC);
		b->info.rotational = false;
		/* Punching a hole past the end changes nothing and tells whether the file
		 * system can punch holes at all. */
		b->info.discard = !b->info.readonly &&
				  fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size, 4096) == 0;
	} else {
		return util_fail(err, errlen, -EINVAL, "not a regular file or a block device");
	}
	if (b->info.size < b->info.logical_block)
		return util_fail(err, errlen, -EINVAL, "empty (%llu bytes)", (unsigned long long)b->info.size);
	if (b->info.size % b->info.logical_block)
		return util_fail(err, errlen, -EINVAL, "%llu bytes is not a whole number of %u-byte blocks",
				 (unsigned long long)b->info.size, b->info.logical_block);
	return 0;
}

static int blk_lock(struct blk *b, char *err, size_t errlen)
{
	struct flock fl = { .l_type = b->info.readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(b->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return util_fail(err, errlen, -EBUSY, "in use by another process (is another hvkvm running it?)");
	return util_fail(err, errlen, -errno, "cannot lock it: %s", strerror(errno));
}

static int blk_start(struct blk *b)
{
	int r;

	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0)
		return -errno;
#if HVKVM_HAVE_IO_URING
	r = io_uring_queue_init(BLK_QUEUE_DEPTH, &b->ring, 0);
	if (r == 0 && io_uring_register_eventfd(&b->ring, b->efd) == 0) {
		b->uring = true;
	} else {
		if (r == 0)
			io_uring_queue_exit(&b->ring);
		log_info("io_uring is not available (%s): disk I/O uses a thread pool", strerror(-r));
	}
	if (!b->uring)
#endif
	{
		for (unsigned i = 0; i < BLK_WORKERS; i++) {
			r = pthread_create(&b->workers[i], NULL, blk_worker, b);
			if (r)
				return -r;
			b->nworkers++;
		}
	}
	return loop_add_fd(b->loop, b->efd, EPOLLIN, blk_on_completion, b);
}

int blk_open(struct blk **out, struct loop *loop, const char *path, bool readonly, enum blk_cache cache,
	     char *err, size_t errlen)
{
	struct blk *b = calloc(1, sizeof(*b));
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (cache == BLK_CACHE_NONE ? O_DIRECT : 0);
	int r;

	*out = NULL;
	if (!b)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	b->loop = loop;
	b->cache = cache;
	b->efd = -1;
	b->info.readonly = readonly;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	/* O_NONBLOCK: a FIFO (or a tty) given as a disk must not hang the caller, which
	 * may be the event loop (disk.add); the probe refuses it. */
	b->fd = open(path, flags | O_NONBLOCK);
	if (b->fd >= 0 && fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(b->fd);
		b->fd = -1;
	}
	if (b->fd < 0) {
		r = errno;
		if (r == EINVAL && cache == BLK_CACHE_NONE)
			util_fail(err, errlen, -r, "the file system does not support cache=none (O_DIRECT)");
		else
			util_fail(err, errlen, -r, "%s", strerror(r));
		blk_close(b);
		return -r;
	}
	r = blk_probe(b, err, errlen);
	if (r == 0)
		r = blk_lock(b, err, errlen);
	if (r == 0) {
		r = blk_start(b);
		if (r < 0)
			util_fail(err, errlen, r, "cannot start its I/O: %s", strerror(-r));
	}
	if (r < 0) {
		blk_close(b);
		return r;
	}
	*out = b;
	return 0;
}

void blk_close(struct blk *b)
{
	if (!b)
		return;
	if (b->efd >= 0)
		loop_del_fd(b->loop, b->efd);
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	for (unsigned i = 0; i < b->nworkers; i++)
		pthread_join(b->workers[i], NULL);
#if HVKVM_HAVE_IO_URING
	if (b->uring)
		io_uring_queue_exit(&b->ring);
#endif
	if (b->efd >= 0)
		close(b->efd);
	if (b->fd >= 0)
		close(b->fd);	/* drops the lock */
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
