/* SPDX-License-Identifier: MIT */
#include "testutil.h"
#include "loop.h"

#include <semaphore.h>
#include <stdlib.h>

int test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void *test_loop_main(void *arg)
{
	loop_run(arg);
	return NULL;
}

static void test_loop_started(void *opaque)
{
	sem_post(opaque);
}

void test_loop_start(struct test_loop *tl)
{
	sem_t sem;

	sem_init(&sem, 0, 0);
	ck_assert_int_eq(pthread_create(&tl->thread, NULL, test_loop_main, tl->loop), 0);
	/*
	 * Posted work runs only inside loop_run(): once it has, the loop counts as
	 * running, so the devices' loop_call() and loop_on_thread() hand work to this
	 * thread instead of running it on the test's thread beside it.
	 */
	ck_assert_int_eq(loop_post(tl->loop, test_loop_started, &sem), 0);
	sem_wait(&sem);
	sem_destroy(&sem);
	tl->running = true;
}

void test_loop_stop(struct test_loop *tl)
{
	if (!tl->running)
		return;
	loop_quit(tl->loop);
	pthread_join(tl->thread, NULL);
	tl->running = false;
}

uint64_t test_now_ms(void)
{
	return loop_now_ns() / 1000000;
}
