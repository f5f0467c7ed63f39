/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the Check unit tests: the runner every main() ends with, an
 * event loop on its own thread for device tests, and a bounded poll for state
 * that another thread changes.
 */
#ifndef HVKVM_TESTUTIL_H
#define HVKVM_TESTUTIL_H

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "test_loop.h"

struct loop;

/* Runs every test in s with CK_NORMAL output and frees it; the exit status. */
int test_main(Suite *s);

uint64_t test_now_ms(void);	/* CLOCK_MONOTONIC, the loop's own clock */

/* What the code under test logs: stderr goes to a temporary file from
 * test_stderr_begin() until test_stderr_end(), which restores it and returns the
 * text written (free() it). */
void test_stderr_begin(void);
char *test_stderr_end(void);
/* Lines of text that contain needle. */
unsigned test_count_lines(const char *text, const char *needle);

/* A SIM slot's message type, its first word, for __atomic builtins: slots are 256-byte
 * aligned, which the packed struct hv_message does not tell the compiler (clang would
 * call libatomic for it). */
static inline uint32_t *test_slot_type(void *slot)
{
	return slot;
}

/* Polls cond until it holds or ms pass; true if it held. */
#define WAIT_UNTIL(cond, ms) ({						\
	uint64_t _end = test_now_ms() + (ms);				\
	bool _ok;							\
	while (!(_ok = (cond)) && test_now_ms() < _end)			\
		usleep(200);						\
	_ok; })

#endif
