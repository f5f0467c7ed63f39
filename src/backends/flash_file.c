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
	char why[256];
	size_t len;
	int r = util_read_fd(f->fd, buf, f->size, &len, why, sizeof(why));

	if (r == -EFBIG || (r == 0 && len != f->size))
		return util_fail(err, errlen, -EIO, "its size changed while being read");
	if (r < 0)
		return util_fail(err, errlen, r, "cannot read it: %s", why);
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

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return 0;
}

int flash_file_create_from(const char *path, const char *template_path, char *err, size_t errlen)
{
	size_t len = strlen(path), tlen;
	uint8_t *image = NULL;
	char why[256], *tmp;
	int out, r;

	if (access(path, F_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	r = util_read_file(template_path, FLASH_FILE_MAX, &image, &tlen, why, sizeof(why));
	if (r < 0)
		return util_fail(err, errlen, r, "no such file, and its template %s cannot be read: %s",
				 template_path, why);
	tmp = malloc(len + sizeof(".XXXXXX"));
	if (!tmp) {
		free(image);
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0) {
		r = util_fail(err, errlen, -errno, "cannot create a file beside it: %s", strerror(errno));
		goto done;
	}
	r = write_all(out, image, tlen);
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
	free(image);
	return r;
}
