/* SPDX-License-Identifier: MIT */
/* A flash's contents in a file (flash_file.h). */
#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct flash_file {
	int fd;
	uint64_t size;
	bool readonly;
};

static int lock_file(int fd, bool readonly, char *err, size_t errlen)
{
	/* An open-file-description lock: a second open, even in this process, is refused. */
	struct flock fl = { .l_type = readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return util_fail(err, errlen, -EBUSY, "in use by another process (is another hvkvm running it?)");
	return util_fail(err, errlen, -errno, "cannot lock it: %s", strerror(errno));
}

int flash_file_open(struct flash_file **out, const char *path, uint64_t size, bool readonly,
		    char *err, size_t errlen)
{
	struct flash_file *f;
	struct stat st;
	int fd, r;

	*out = NULL;
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = util_fail(err, errlen, -errno, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = util_fail(err, errlen, -EINVAL, "not a regular file");
		goto fail;
	}
	if ((uint64_t)st.st_size != size) {
		r = util_fail(err, errlen, -EINVAL, "%llu bytes, but this flash holds %llu: not an image for it",
			      (unsigned long long)st.st_size, (unsigned long long)size);
		goto fail;
	}
	if ((r = lock_file(fd, readonly, err, errlen)) < 0)
		goto fail;
	f = calloc(1, sizeof(*f));
	if (!f) {
		r = util_fail(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	f->fd = fd;
	f->size = size;
	f->readonly = readonly;
	*out = f;
	return 0;
fail:
	close(fd);
	return r;
}

int flash_file_load(struct flash_file *f, void *buf, char *err, size_t errlen)
{
	uint64_t done = 0;

	while (done < f->size) {
		ssize_t n = pread(f->fd, (uint8_t *)buf + done, f->size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return util_fail(err, errlen, -errno, "cannot read it: %s", strerror(errno));
		if (n == 0)
			return util_fail(err, errlen, -EIO, "it shrank while being read");
		done += (uint64_t)n;
	}
	return 0;
}

static int store_write(void *opaque, uint64_t off, const void *buf, size_t len)
{
	struct flash_file *f = opaque;
	size_t done = 0;

	if (f->readonly)
		return -EROFS;
	if (off > f->size || len > f->size - off)
		return -EINVAL;
	while (done < len) {
		ssize_t n = pwrite(f->fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int store_flush(void *opaque)
{
	struct flash_file *f = opaque;

	/* Start the write-back; flash_file_close() waits for it. */
	if (sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0)
		return -errno;
	return 0;
}

const struct pflash_store_ops flash_file_store_ops = {
	.write = store_write,
	.flush = store_flush,
};

void flash_file_close(struct flash_file *f)
{
	if (!f)
		return;
	if (!f->readonly)
		fdatasync(f->fd);
	close(f->fd);
	free(f);
}

static int copy_fd(int in, int out)
{
	uint8_t buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += w;
		}
	}
}

int flash_file_create_from(const char *path, const char *template_path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	char *tmp;
	int in, out, r;

	if (access(path, F_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	in = open(template_path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return util_fail(err, errlen, -errno, "no such file, and its template %s cannot be read: %s",
				 template_path, strerror(errno));
	tmp = malloc(len + sizeof(".XXXXXX"));
	if (!tmp) {
		close(in);
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0) {
		r = util_fail(err, errlen, -errno, "cannot create a file beside it: %s", strerror(errno));
		goto done;
	}
	r = copy_fd(in, out);
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	close(out);
	if (r < 0) {
		util_fail(err, errlen, r, "cannot copy its template %s: %s", template_path, strerror(-r));
	} else if (link(tmp, path) == 0) {
		r = 1;
	} else if (errno == EEXIST) {
		r = 0;		/* someone made it meanwhile: theirs stays */
	} else {
		r = util_fail(err, errlen, -errno, "cannot create it: %s", strerror(errno));
	}
	unlink(tmp);
done:
	free(tmp);
	close(in);
	return r;
}
