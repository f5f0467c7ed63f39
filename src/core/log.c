/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum log_level log_threshold = LOG_INFO;

static int stderr_is_tty = -1;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_threshold)
		return;
	n = snprintf(buf, sizeof(buf), "hvkvm: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n - 2, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent threads do not interleave within a line. A
	 * terminal may be in raw mode for the serial console: end lines with CR LF there. */
	n = strlen(buf);
	if (stderr_is_tty < 0)
		stderr_is_tty = isatty(STDERR_FILENO);
	if (stderr_is_tty)
		buf[n++] = '\r';
	buf[n++] = '\n';
	fwrite(buf, 1, n, stderr);
	fflush(stderr);
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

/* Open-addressed set of (kind, key); when full, everything counts as seen so a
 * flood stays quiet. */
#define ONCE_SLOTS 1024
static struct { uint32_t kind; uint64_t key; } once_set[ONCE_SLOTS];
static unsigned once_used;
static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;

bool log_first_time(uint32_t kind, uint64_t key)
{
	uint64_t h = (key ^ ((uint64_t)kind << 56)) * 0x9e3779b97f4a7c15ull;
	unsigned i = (unsigned)(h >> 54) % ONCE_SLOTS;
	bool first = false;

	pthread_mutex_lock(&once_lock);
	if (once_used < ONCE_SLOTS * 3 / 4) {
		for (;;) {
			if (once_set[i].kind == 0) {
				once_set[i].kind = kind;
				once_set[i].key = key;
				once_used++;
				first = true;
				break;
			}
			if (once_set[i].kind == kind && once_set[i].key == key)
				break;
			i = (i + 1) % ONCE_SLOTS;
		}
	}
	pthread_mutex_unlock(&once_lock);
	return first;
}
