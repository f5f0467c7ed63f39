/* SPDX-License-Identifier: MIT */
/*
 * A loop run by its own thread, as the devices see it in hvkvm: for the unit tests
 * and the threaded VMBus guest. Set .loop, leave the rest zeroed; test_loop_stop()
 * does nothing if the thread is not running, so a teardown can call it whether or
 * not the test started the loop.
 */
#ifndef HVKVM_TEST_LOOP_H
#define HVKVM_TEST_LOOP_H

#include <pthread.h>
#include <stdbool.h>

struct loop;

struct test_loop {
	struct loop *loop;
	pthread_t thread;
	bool running;
};

void test_loop_start(struct test_loop *tl);
void test_loop_stop(struct test_loop *tl);

#endif
