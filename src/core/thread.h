/* SPDX-License-Identifier: MIT */
/*
 * The kinds of threads hvkvm runs, and a hook every thread it starts calls first
 * thing: the sandbox (src/mgmt/sandbox.c) confines each kind there. The core only
 * says which kind it is; it does not know what confines it.
 */
#ifndef HVKVM_THREAD_H
#define HVKVM_THREAD_H

enum thread_kind {
	THREAD_LOOP,	/* the event loop: devices, timers, the management socket */
	THREAD_VCPU,	/* one per vCPU: KVM_RUN and synchronous exits */
	THREAD_IO,	/* disk I/O workers (without io_uring) */
	THREAD_DISPLAY,	/* the VNC server: its viewers' sockets */
	THREAD_KINDS,
};

/* Called on the new thread before it does its work; it must not fail (a hook that
 * cannot do its job ends the process). */
typedef void thread_start_fn(enum thread_kind kind);

/* Before any thread of these kinds starts (NULL: none). */
void thread_set_start_hook(thread_start_fn *fn);
void thread_started(enum thread_kind kind);
const char *thread_kind_name(enum thread_kind kind);

#endif
