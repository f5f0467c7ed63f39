/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum log_level log_threshold = LOG_INFO;

static int stderr_is_tty = -1;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void log_vmsg(unsigned suppressed, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "hvkvm: ");
	vsnprintf(buf + n, sizeof(buf) - n - 2, fmt, ap);
	n = strlen(buf);
	if (suppressed) {
		snprintf(buf + n, sizeof(buf) - n - 2, " (%u similar messages suppressed before this one)",
			 suppressed);
		n = strlen(buf);
	}
	/* One write per line so concurrent threads do not interleave within a line. A
	 * terminal may be in raw mode for the serial console: end lines with CR LF there. */
	if (stderr_is_tty < 0)
		stderr_is_tty = isatty(STDERR_FILENO);
	if (stderr_is_tty)
		buf[n++] = '\r';
	buf[n++] = '\n';
	fwrite(buf, 1, n, stderr);
	fflush(stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	log_vmsg(0, fmt, ap);
	va_end(ap);
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

/* Whether a line may pass now; if so, *dropped is how many did not since the last
 * that did. Races between threads may let a line or two more through an interval. */
static bool ratelimit_pass(struct log_ratelimit *rl, unsigned *dropped)
{
	uint64_t now = now_ms(), start = atomic_load(&rl->start_ms);
	unsigned interval = rl->interval_ms ? rl->interval_ms : LOG_RATELIMIT_INTERVAL_MS;

	/* Another thread may have begun the interval a moment after this one read the clock. */
	if ((!start || (now > start && now - start >= interval)) &&
	    atomic_compare_exchange_strong(&rl->start_ms, &start, now))
		atomic_store(&rl->passed, 0);
	/* Counting stops at the burst, so a long flood cannot wrap the counter. */
	if (atomic_load(&rl->passed) >= LOG_RATELIMIT_BURST ||
	    atomic_fetch_add(&rl->passed, 1) >= LOG_RATELIMIT_BURST) {
		if (atomic_load(&rl->suppressed) < UINT32_MAX)
			atomic_fetch_add(&rl->suppressed, 1);
		return false;
	}
	*dropped = atomic_exchange(&rl->suppressed, 0);
	return true;
}

void log_limited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	unsigned dropped;
	va_list ap;

	if (level > log_threshold || !ratelimit_pass(rl, &dropped))
		return;
	va_start(ap, fmt);
	log_vmsg(dropped, fmt, ap);
	va_end(ap);
}
