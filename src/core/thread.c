/* SPDX-License-Identifier: MIT */
#include "thread.h"

static thread_start_fn *start_hook;	/* set before threads start; atomic for the readers */

void thread_set_start_hook(thread_start_fn *fn)
{
	__atomic_store_n(&start_hook, fn, __ATOMIC_RELEASE);
}

void thread_started(enum thread_kind kind)
{
	thread_start_fn *fn = __atomic_load_n(&start_hook, __ATOMIC_ACQUIRE);

	if (fn)
		fn(kind);
}

const char *thread_kind_name(enum thread_kind kind)
{
	switch (kind) {
	case THREAD_LOOP: return "event-loop";
	case THREAD_VCPU: return "vCPU";
	case THREAD_IO: return "I/O";
	case THREAD_DISPLAY: return "display";
	case THREAD_KINDS: break;
	}
	return "?";
}
