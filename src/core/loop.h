/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one thread waits in epoll for file descriptors, timers and work
 * posted from other threads. Devices live here; vCPU threads hand work to it with
 * loop_post() and never block on device I/O themselves.
 */
#ifndef HVKVM_LOOP_H
#define HVKVM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

typedef void loop_fd_fn(void *opaque, uint32_t events);
typedef void loop_fn(void *opaque);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* events are EPOLLIN/EPOLLOUT/...; the callback runs on the loop thread. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn *fn, void *opaque);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
/* Safe from inside any callback, including the fd's own. */
void loop_del_fd(struct loop *loop, int fd);

/* CLOCK_MONOTONIC timers. Arm/disarm only on the loop thread. */
struct loop_timer *loop_timer_new(struct loop *loop, loop_fn *fn, void *opaque);
/* First expiry after delay_ns (0 is promoted to 1 ns), then every period_ns if non-zero. */
int loop_timer_arm(struct loop_timer *t, uint64_t delay_ns, uint64_t period_ns);
void loop_timer_disarm(struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

/* Run fn(opaque) on the loop thread soon; callable from any thread. */
int loop_post(struct loop *loop, loop_fn *fn, void *opaque);
/* Run fn(opaque) on the loop thread and wait for it; from a thread other than the
 * loop's (on the loop thread itself it calls fn directly). */
int loop_call(struct loop *loop, loop_fn *fn, void *opaque);
bool loop_on_thread(const struct loop *loop);

/* Dispatch until loop_quit(); returns 0, or -errno if epoll fails. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop);
/* Dispatch what is ready, waiting up to timeout_ms for something (0: not at all, -1:
 * forever); the number of sources that were ready, or -errno. For a single-threaded
 * caller that drives the loop itself (fuzz harnesses), never beside loop_run(). */
int loop_run_once(struct loop *loop, int timeout_ms);

uint64_t loop_now_ns(void);	/* CLOCK_MONOTONIC in ns */

#endif
