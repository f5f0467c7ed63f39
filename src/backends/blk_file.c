/* SPDX-License-Identifier: MIT */
#include "blk_file.h"
#include "iov.h"
#include "log.h"
#include "loop.h"
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

/* ---- one request, synchronously (the thread pool, inline) ------------------------ */

int64_t blk_file_do_sync(struct blk_file *f, struct blk_req *req)
{
	switch (req->op) {
	case BLK_READ:
	case BLK_WRITE: {
		struct iovec iov[1024];
		uint64_t total = 0;

		if (req->iovcnt > 1024)
			return -EINVAL;
		while (total < req->len) {
			/* What is left of the request, after short transfers. */
			int n = iov_slice(req->iov, req->iovcnt, total, req->len - total, iov, 1024);
			ssize_t r;

			if (n < 0)
				return -EINVAL;	/* len is more than the vector holds */
			r = req->op == BLK_READ ?
				    preadv(f->fd, iov, n, (off_t)(req->offset + total)) :
				    pwritev2(f->fd, iov, n, (off_t)(req->offset + total),
					     req->fua ? RWF_DSYNC : 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -EIO;	/* past the end of the file */
			total += (uint64_t)r;
		}
		return (int64_t)total;
	}
	case BLK_FLUSH:
		return fdatasync(f->fd) < 0 ? -errno : 0;
	case BLK_DISCARD:
		return fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)req->offset,
				 (off_t)req->len) < 0 ? -errno : 0;
	case BLK_WRITE_ZEROES:
		return fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)req->offset,
				 (off_t)req->len) < 0 ? -errno : 0;
	}
	return -EINVAL;
}

/* ---- the struct blk ops ----------------------------------------------------------- */

static struct blk_file *file_of(struct blk *b)
{
	return (struct blk_file *)b;	/* its first member */
}

static void blk_file_on_completion(void *opaque, uint32_t events)
{
	struct blk_file *f = opaque;
	uint64_t n;

	(void)events;
	if (read(f->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (f->engine->complete)
		f->engine->complete(f);
}

static int blk_file_submit(struct blk *b, struct blk_req *req)
{
	struct blk_file *f = file_of(b);

	if ((req->op == BLK_READ || req->op == BLK_WRITE) && req->iovcnt == 0)
		return -EINVAL;
	if (b->info.readonly && req->op != BLK_READ)
		return -EROFS;
	req->transferred = 0;
	req->rest = NULL;
	req->rest_cnt = 0;
	req->next = NULL;
	f->inflight++;
	f->engine->submit(f, req);
	return 0;
}

static void blk_file_plug(struct blk *b)
{
	file_of(b)->plugged = true;
}

static void blk_file_unplug(struct blk *b)
{
	struct blk_file *f = file_of(b);

	f->plugged = false;
	if (f->engine->kick)
		f->engine->kick(f);
}

static void blk_file_drain(struct blk *b)
{
	struct blk_file *f = file_of(b);

	blk_file_unplug(b);
	while (f->inflight) {
		struct pollfd p = { .fd = f->efd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			log_error("block: waiting for I/O to finish: %s", strerror(errno));
			return;
		}
		blk_file_on_completion(f, EPOLLIN);
	}
}

static unsigned blk_file_inflight(const struct blk *b)
{
	return ((const struct blk_file *)b)->inflight;
}

static void blk_file_close(struct blk *b);

static const struct blk_ops blk_file_ops = {
	.submit = blk_file_submit,
	.plug = blk_file_plug,
	.unplug = blk_file_unplug,
	.drain = blk_file_drain,
	.inflight = blk_file_inflight,
	.close = blk_file_close,
};

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

static int blk_probe(struct blk_file *f, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	f->blk.info.logical_block = 512;
	f->blk.info.physical_block = 4096;
	if (S_ISBLK(st.st_mode)) {
		uint64_t v;
		int sz;

		if (ioctl(f->fd, BLKGETSIZE64, &f->blk.info.size) < 0)
			return util_fail(err, errlen, -errno, "BLKGETSIZE64: %s", strerror(errno));
		if (ioctl(f->fd, BLKSSZGET, &sz) == 0 && sz > 0)
			f->blk.info.logical_block = (uint32_t)sz;
		if (ioctl(f->fd, BLKPBSZGET, &sz) == 0 && sz > 0)
			f->blk.info.physical_block = (uint32_t)sz;
		f->blk.info.rotational = read_sysfs_u64(st.st_rdev, "rotational", &v) == 0 && v;
		f->blk.info.discard = !f->blk.info.readonly &&
				  read_sysfs_u64(st.st_rdev, "discard_max_bytes", &v) == 0 && v;
	} else if (S_ISREG(st.st_mode)) {
		struct statfs sf;

		f->blk.info.size = (uint64_t)st.st_size;
		f->in_memory = fstatfs(f->fd, &sf) == 0 &&
			       (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC);
		f->blk.info.rotational = false;
		/* Punching a hole past the end changes nothing and tells whether the file
		 * system can punch holes at all. */
		f->blk.info.discard = !f->blk.info.readonly &&
				  fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size, 4096) == 0;
	} else {
		return util_fail(err, errlen, -EINVAL, "not a regular file or a block device");
	}
	if (f->blk.info.size < f->blk.info.logical_block)
		return util_fail(err, errlen, -EINVAL, "empty (%llu bytes)", (unsigned long long)f->blk.info.size);
	if (f->blk.info.size % f->blk.info.logical_block)
		return util_fail(err, errlen, -EINVAL, "%llu bytes is not a whole number of %u-byte blocks",
				 (unsigned long long)f->blk.info.size, f->blk.info.logical_block);
	return 0;
}

static int blk_lock(struct blk_file *f, char *err, size_t errlen)
{
	struct flock fl = { .l_type = f->blk.info.readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(f->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return util_fail(err, errlen, -EBUSY, "in use by another process (is another hvkvm running it?)");
	return util_fail(err, errlen, -errno, "cannot lock it: %s", strerror(errno));
}

static int blk_file_start(struct blk_file *f)
{
	static const struct blk_engine *const engines[] = {
#if HVKVM_HAVE_IO_URING
		&blk_engine_uring,
#endif
		&blk_engine_pool,
	};
	int r = -ENODEV;

	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0)
		return -errno;
	if (f->in_memory) {
		f->engine = &blk_engine_inline;
		r = f->engine->start(f);
	}
	for (size_t i = 0; !f->engine && i < sizeof(engines) / sizeof(engines[0]); i++) {
		r = engines[i]->start(f);
		if (r == 0)
			f->engine = engines[i];
	}
	if (!f->engine)
		return r;
	log_debug("block: %s engine", f->engine->name);
	return loop_add_fd(f->loop, f->efd, EPOLLIN, blk_file_on_completion, f);
}

int blk_open(struct blk **out, struct loop *loop, const char *path, bool readonly, enum blk_cache cache,
	     char *err, size_t errlen)
{
	struct blk_file *f = calloc(1, sizeof(*f));
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (cache == BLK_CACHE_NONE ? O_DIRECT : 0);
	int r;

	*out = NULL;
	if (!f)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	f->blk.ops = &blk_file_ops;
	f->loop = loop;
	f->cache = cache;
	f->efd = -1;
	f->blk.info.readonly = readonly;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	/* O_NONBLOCK: a FIFO (or a tty) given as a disk must not hang the caller, which
	 * may be the event loop (disk.add); the probe refuses it. */
	f->fd = open(path, flags | O_NONBLOCK);
	if (f->fd >= 0 && fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(f->fd);
		f->fd = -1;
	}
	if (f->fd < 0) {
		r = errno;
		if (r == EINVAL && cache == BLK_CACHE_NONE)
			util_fail(err, errlen, -r, "the file system does not support cache=none (O_DIRECT)");
		else
			util_fail(err, errlen, -r, "%s", strerror(r));
		blk_file_close(&f->blk);
		return -r;
	}
	r = blk_probe(f, err, errlen);
	if (r == 0) {
		f->blk.info.dma_align = cache == BLK_CACHE_NONE ? f->blk.info.logical_block : 1;
		r = blk_lock(f, err, errlen);
	}
	if (r == 0) {
		r = blk_file_start(f);
		if (r < 0)
			util_fail(err, errlen, r, "cannot start its I/O: %s", strerror(-r));
	}
	if (r < 0) {
		blk_file_close(&f->blk);
		return r;
	}
	*out = &f->blk;
	return 0;
}

static void blk_file_close(struct blk *b)
{
	struct blk_file *f = file_of(b);

	if (f->efd >= 0 && f->engine)
		loop_del_fd(f->loop, f->efd);
	if (f->engine && f->engine->stop)
		f->engine->stop(f);
	if (f->efd >= 0)
		close(f->efd);
	if (f->fd >= 0)
		close(f->fd);	/* drops the lock */
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
