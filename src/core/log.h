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

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_threshold >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/*
 * Rate limiting per source. Each message a guest (or a failing host) can repeat has a
 * struct log_ratelimit of its own, inside the object that logs it (a vCPU, a device, a
 * bus), so a flood of one message passes LOG_RATELIMIT_BURST lines per interval and
 * never silences another message or another device. When lines were dropped, the next
 * line that passes says how many. Zero-initialised is ready to use; thread-safe.
 */
#define LOG_RATELIMIT_BURST		10
#define LOG_RATELIMIT_INTERVAL_MS	5000

struct log_ratelimit {
	_Atomic uint64_t start_ms;	/* the current interval's start (monotonic + 1); 0: none yet */
	_Atomic uint32_t passed;	/* lines logged in the interval */
	_Atomic uint32_t suppressed;	/* lines dropped since the last one logged */
	unsigned interval_ms;		/* 0: LOG_RATELIMIT_INTERVAL_MS */
};

void log_limited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_warn_limited(rl, ...) log_limited(rl, LOG_WARN, __VA_ARGS__)
#define log_debug_limited(rl, ...) \
	do { if (log_threshold >= LOG_DEBUG) log_limited(rl, LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
