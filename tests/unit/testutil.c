/* SPDX-License-Identifier: MIT */
#include "testutil.h"
#include "loop.h"
#include "vmbus_guest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The shared guest's checks fail the test, as ck_assert does. */
void vg_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	_ck_assert_failed(file, line, "Assertion failed", "'%s': %s", cond, msg);
	abort();
}

uint64_t test_now_ms(void)
{
	return loop_now_ns() / 1000000;
}

static FILE *stderr_file;
static int stderr_saved = -1;

void test_stderr_begin(void)
{
	fflush(stderr);
	stderr_file = tmpfile();
	ck_assert_ptr_nonnull(stderr_file);
	stderr_saved = dup(STDERR_FILENO);
	ck_assert_int_ge(stderr_saved, 0);
	ck_assert_int_ge(dup2(fileno(stderr_file), STDERR_FILENO), 0);
}

char *test_stderr_end(void)
{
	long len;
	char *text;

	fflush(stderr);
	ck_assert_int_ge(dup2(stderr_saved, STDERR_FILENO), 0);
	close(stderr_saved);
	stderr_saved = -1;
	len = ftell(stderr_file);
	ck_assert_int_ge(len, 0);
	text = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	rewind(stderr_file);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, stderr_file), (size_t)len);
	fclose(stderr_file);
	stderr_file = NULL;
	return text;
}

unsigned test_count_lines(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *hit = strstr(line, needle);

		if (hit && (size_t)(hit - line) < len)
			n++;
		line += len + (end != NULL);
	}
	return n;
}
