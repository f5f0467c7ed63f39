/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int util_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int util_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The file's size, if it is a regular file of at most max bytes. */
static int regular_size(int fd, size_t max, size_t *size, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return util_fail(err, errlen, -EINVAL, "not a regular file");
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		if (max % (1u << 20) == 0)
			return util_fail(err, errlen, -EFBIG, "larger than %zu MiB", max >> 20);
		if (max % (1u << 10) == 0)
			return util_fail(err, errlen, -EFBIG, "larger than %zu KiB", max >> 10);
		return util_fail(err, errlen, -EFBIG, "larger than %zu bytes", max);
	}
	*size = (size_t)st.st_size;
	return 0;
}

static int read_exactly(int fd, uint8_t *buf, size_t size, char *err, size_t errlen)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = pread(fd, buf + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return util_fail(err, errlen, -errno, "%s", strerror(errno));
		if (n == 0)
			return util_fail(err, errlen, -EIO, "shorter than its size: it shrank while being read");
		done += (size_t)n;
	}
	return 0;
}

int util_read_fd(int fd, void *buf, size_t max, size_t *len, char *err, size_t errlen)
{
	size_t size;
	int r = regular_size(fd, max, &size, err, errlen);

	if (r == 0)
		r = read_exactly(fd, buf, size, err, errlen);
	if (r == 0)
		*len = size;
	return r;
}

int util_read_fd_alloc(int fd, size_t max, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t size;
	int r = regular_size(fd, max, &size, err, errlen);

	if (r < 0)
		return r;
	buf = size < SIZE_MAX ? malloc(size + 1) : NULL;
	if (!buf)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	r = read_exactly(fd, buf, size, err, errlen);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[size] = 0;
	*out = buf;
	*len = size;
	return 0;
}

int util_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO fails the regular-file check instead of waiting for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r;

	if (fd < 0)
		return util_fail(err, errlen, -errno, "%s", strerror(errno));
	r = util_read_fd_alloc(fd, max, out, len, err, errlen);
	close(fd);
	return r;
}
