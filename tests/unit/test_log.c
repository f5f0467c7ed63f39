/* SPDX-License-Identifier: MIT */
/*
 * Rate-limited logging: a message repeated without end passes a bounded number of
 * lines, never silences another source's, and says what it dropped when it resumes.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

/* A flood of one source, each line different (as a guest's GPAs are), passes
 * LOG_RATELIMIT_BURST lines; a second source still logs afterwards. */
START_TEST(flood_bounded_other_source_logs)
{
	struct log_ratelimit flood = { 0 }, other = { 0 }, third = { 0 };
	char *text;

	test_stderr_begin();
	for (unsigned i = 0; i < 100000; i++)
		log_warn_limited(&flood, "flood: bad address 0x%x", i * 4096);
	log_warn_limited(&other, "other: a different warning");
	log_warn_limited(&third, "third: and another");
	log_warn("plain: not limited");
	text = test_stderr_end();
	ck_assert_uint_eq(test_count_lines(text, "flood: "), LOG_RATELIMIT_BURST);
	ck_assert_uint_eq(test_count_lines(text, "other: a different warning"), 1);
	ck_assert_uint_eq(test_count_lines(text, "third: and another"), 1);
	ck_assert_uint_eq(test_count_lines(text, "plain: not limited"), 1);
	ck_assert_uint_eq(test_count_lines(text, "suppressed"), 0);
	free(text);
}
END_TEST

/* After the interval the source logs again, and its first line counts what was dropped. */
START_TEST(resumes_with_suppressed_count)
{
	struct log_ratelimit rl = { .interval_ms = 50 };
	char *text;

	test_stderr_begin();
	for (unsigned i = 0; i < LOG_RATELIMIT_BURST + 25; i++)
		log_warn_limited(&rl, "kind A %u", i);
	usleep(80 * 1000);
	log_warn_limited(&rl, "kind A again");
	log_warn_limited(&rl, "kind A once more");
	text = test_stderr_end();
	ck_assert_uint_eq(test_count_lines(text, "kind A"), LOG_RATELIMIT_BURST + 2);
	ck_assert_uint_eq(test_count_lines(text, "kind A again (25 similar messages suppressed before this one)"), 1);
	ck_assert_uint_eq(test_count_lines(text, "suppressed"), 1);
	free(text);
}
END_TEST

/* Below the threshold a line neither prints nor uses up the burst. */
START_TEST(below_threshold_costs_nothing)
{
	struct log_ratelimit rl = { 0 };
	char *text;

	test_stderr_begin();
	for (unsigned i = 0; i < 1000; i++)
		log_debug_limited(&rl, "debug %u", i);
	log_warn_limited(&rl, "warn after debug");
	text = test_stderr_end();
	ck_assert_uint_eq(test_count_lines(text, "hvkvm: debug "), 0);
	ck_assert_uint_eq(test_count_lines(text, "warn after debug"), 1);
	free(text);
}
END_TEST

struct flood_arg {
	struct log_ratelimit *rl;
	unsigned id;
};

static void *flood_thread(void *p)
{
	struct flood_arg *a = p;

	for (unsigned i = 0; i < 20000; i++)
		log_warn_limited(a->rl, "threaded flood %u.%u", a->id, i);
	return NULL;
}

/* vCPU threads share a bus's limit: together they stay near the burst. */
START_TEST(threads_share_one_limit)
{
	struct log_ratelimit rl = { 0 };
	struct flood_arg a[4];
	pthread_t t[4];
	char *text;
	unsigned n;

	test_stderr_begin();
	for (unsigned i = 0; i < 4; i++) {
		a[i] = (struct flood_arg){ &rl, i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, flood_thread, &a[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	text = test_stderr_end();
	n = test_count_lines(text, "threaded flood");
	ck_assert_uint_ge(n, LOG_RATELIMIT_BURST);
	/* An interval may end during the run: at most a burst more per interval begun. */
	ck_assert_uint_le(n, 4 * LOG_RATELIMIT_BURST);
	free(text);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_test(tc, flood_bounded_other_source_logs);
	tcase_add_test(tc, resumes_with_suppressed_count);
	tcase_add_test(tc, below_threshold_costs_nothing);
	tcase_add_test(tc, threads_share_one_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(log_suite());
}
