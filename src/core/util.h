/* SPDX-License-Identifier: MIT */
/* Small helpers every layer uses: hex digits, error messages into a caller's buffer, and
 * whole files of bounded size read into memory. */
#ifndef HVKVM_UTIL_H
#define HVKVM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The value of a hex digit of either case, or -1. */
int util_hex_digit(int c);

/* Format a message into err (errlen bytes, truncated, always terminated) and return
 * code: `return util_fail(err, errlen, -EINVAL, "...", ...);`. */
int util_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * A whole regular file of at most max bytes (an image or a configuration a user named),
 * read from offset 0 whatever the descriptor's position. 0, or a negative errno with the
 * reason in err (without the file's name: the caller puts its option and path first):
 *   open's or read's errno		(util_read_file: missing, no permission, ...)
 *   -EINVAL "not a regular file"	(a directory, a device, a pipe)
 *   -EFBIG  "larger than N MiB"	(N as max is best written: MiB, KiB or bytes)
 *   -EIO    "shorter than its size: it shrank while being read"
 *   -ENOMEM "out of memory"
 *
 * util_read_fd: into buf (max bytes, the caller's); *len is the file's size.
 * util_read_fd_alloc, util_read_file: into *out, which the caller frees; it has one byte
 * more than the file, a 0 (text ends there), so an empty file gives a buffer too.
 */
int util_read_fd(int fd, void *buf, size_t max, size_t *len, char *err, size_t errlen);
int util_read_fd_alloc(int fd, size_t max, uint8_t **out, size_t *len, char *err, size_t errlen);
int util_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err, size_t errlen);

#endif
