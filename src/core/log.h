/* SPDX-License-Identifier: MIT */
/* Logging: one line per message on stderr, prefixed "hvkvm: ". */
#ifndef HVKVM_LOG_H
#define HVKVM_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int log_parse_level(const char *s, enum log_level *out);

/* True the first time (kind, key) is seen, false afterwards; thread-safe. Used so
 * that a guest hammering an unhandled port or MSR produces one log line, not millions. */
bool log_first_time(uint32_t kind, uint64_t key);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_threshold >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* Kinds for log_first_time(). */
enum { LOG_ONCE_PIO = 1, LOG_ONCE_MMIO, LOG_ONCE_MSR, LOG_ONCE_CPUID, LOG_ONCE_MISC };

#endif
