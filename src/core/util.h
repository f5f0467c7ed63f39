/* SPDX-License-Identifier: MIT */
/* Small helpers every layer uses: hex digits, and error messages into a caller's buffer. */
#ifndef HVKVM_UTIL_H
#define HVKVM_UTIL_H

#include <stddef.h>

/* The value of a hex digit of either case, or -1. */
int util_hex_digit(int c);

/* Format a message into err (errlen bytes, truncated, always terminated) and return
 * code: `return util_fail(err, errlen, -EINVAL, "...", ...);`. */
int util_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
