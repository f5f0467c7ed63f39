/* SPDX-License-Identifier: MIT */
#include "test_loop.h"

#include <semaphore.h>

#include "loop.h"
#include "vmbus_guest.h"

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
	int r;

	sem_init(&sem, 0, 0);
	r = pthread_create(&tl->thread, NULL, test_loop_main, tl->loop);
	VG_CHECK(r == 0, "pthread_create: %d", r);
	/*
	 * Posted work runs only inside loop_run(): once it has, the loop counts as
	 * running, so the devices' loop_call() and loop_on_thread() hand work to this
	 * thread instead of running it on the test's thread beside it.
	 */
	r = loop_post(tl->loop, test_loop_started, &sem);
	VG_CHECK(r == 0, "loop_post: %d", r);
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
