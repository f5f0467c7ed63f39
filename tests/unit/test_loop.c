/* SPDX-License-Identifier: MIT */
/* The event loop: cross-thread work, timers, and sources removed while their events
 * are already in hand. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "testutil.h"

#define MS 1000000ull

/* ---- a loop running on its own thread -------------------------------------------- */

struct loop_thread {
	struct loop *loop;
	pthread_t thread;
	int rc;
	sem_t started;
};

static void *loop_thread_main(void *opaque)
{
	struct loop_thread *lt = opaque;

	lt->rc = loop_run(lt->loop);
	return NULL;
}

static void post_sem(void *opaque)
{
	sem_post(opaque);
}

static void sem_wait_ms(sem_t *s, unsigned ms)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	do
		r = sem_timedwait(s, &ts);
	while (r < 0 && errno == EINTR);
	ck_assert_msg(r == 0, "timed out waiting for the loop thread");
}

static void start_loop(struct loop_thread *lt)
{
	lt->loop = loop_new();
	ck_assert_ptr_nonnull(lt->loop);
	lt->rc = -1;
	sem_init(&lt->started, 0, 0);
	ck_assert_int_eq(pthread_create(&lt->thread, NULL, loop_thread_main, lt), 0);
	/* Posted work runs only inside loop_run: once it has, the loop is running. */
	ck_assert_int_eq(loop_post(lt->loop, post_sem, &lt->started), 0);
	sem_wait_ms(&lt->started, 2000);
}

static void join_loop(struct loop_thread *lt)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	ck_assert_msg(pthread_timedjoin_np(lt->thread, NULL, &ts) == 0, "loop_run did not return");
	ck_assert_int_eq(lt->rc, 0);
}

static void stop_loop(struct loop_thread *lt)
{
	loop_quit(lt->loop);
	join_loop(lt);
	loop_free(lt->loop);
	sem_destroy(&lt->started);
}

/* ---- loop_post / loop_call ------------------------------------------------------- */

struct where {
	struct loop *loop;
	bool on_thread;
	pthread_t self;
	sem_t done;
};

static void record_where(void *opaque)
{
	struct where *w = opaque;

	w->on_thread = loop_on_thread(w->loop);
	w->self = pthread_self();
	sem_post(&w->done);
}

START_TEST(post_runs_on_loop_thread)
{
	struct loop_thread lt;
	struct where w = { 0 };

	start_loop(&lt);
	w.loop = lt.loop;
	sem_init(&w.done, 0, 0);
	ck_assert(!loop_on_thread(lt.loop));
	ck_assert_int_eq(loop_post(lt.loop, record_where, &w), 0);
	sem_wait_ms(&w.done, 2000);
	ck_assert(w.on_thread);
	ck_assert(pthread_equal(w.self, lt.thread));
	ck_assert(!pthread_equal(w.self, pthread_self()));
	stop_loop(&lt);
	sem_destroy(&w.done);
}
END_TEST

#define NPOST 500

struct order {
	unsigned seen[2][NPOST];
	unsigned n[2];
	unsigned total;
	bool all_on_thread;
	struct loop *loop;
	sem_t done;
};

struct order_item {
	struct order *o;
	unsigned producer, seq;
};

static void record_order(void *opaque)
{
	struct order_item *it = opaque;
	struct order *o = it->o;

	if (!loop_on_thread(o->loop))
		o->all_on_thread = false;
	o->seen[it->producer][o->n[it->producer]++] = it->seq;
	if (++o->total == 2 * NPOST)
		sem_post(&o->done);
}

struct producer {
	struct loop *loop;
	struct order_item items[NPOST];
};

static void *produce(void *opaque)
{
	struct producer *p = opaque;

	for (unsigned i = 0; i < NPOST; i++)
		if (loop_post(p->loop, record_order, &p->items[i]) < 0)
			abort();
	return NULL;
}

START_TEST(post_order)
{
	static struct producer prod[2];
	static struct order o;
	struct loop_thread lt;
	pthread_t t[2];

	start_loop(&lt);
	memset(&o, 0, sizeof(o));
	o.loop = lt.loop;
	o.all_on_thread = true;
	sem_init(&o.done, 0, 0);
	for (unsigned p = 0; p < 2; p++) {
		prod[p].loop = lt.loop;
		for (unsigned i = 0; i < NPOST; i++)
			prod[p].items[i] = (struct order_item){ &o, p, i };
	}
	for (unsigned p = 0; p < 2; p++)
		ck_assert_int_eq(pthread_create(&t[p], NULL, produce, &prod[p]), 0);
	for (unsigned p = 0; p < 2; p++)
		pthread_join(t[p], NULL);
	sem_wait_ms(&o.done, 3000);
	stop_loop(&lt);

	ck_assert(o.all_on_thread);
	for (unsigned p = 0; p < 2; p++) {
		ck_assert_uint_eq(o.n[p], NPOST);
		for (unsigned i = 0; i < NPOST; i++)
			ck_assert_uint_eq(o.seen[p][i], i);
	}
	sem_destroy(&o.done);
}
END_TEST

/* Posted before loop_run: runs, in order, once the loop starts. */
static unsigned early_log[8], early_n;

static void early_work(void *opaque)
{
	early_log[early_n++] = (unsigned)(uintptr_t)opaque;
}

static void quit_work(void *opaque)
{
	loop_quit(opaque);
}

START_TEST(post_before_run)
{
	struct loop *loop = loop_new();

	ck_assert_ptr_nonnull(loop);
	early_n = 0;
	for (uintptr_t i = 0; i < 5; i++)
		ck_assert_int_eq(loop_post(loop, early_work, (void *)i), 0);
	ck_assert_int_eq(loop_post(loop, quit_work, loop), 0);
	ck_assert_uint_eq(early_n, 0);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_eq(early_n, 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(early_log[i], i);
	ck_assert(!loop_on_thread(loop));	/* not running any more */
	loop_free(loop);
}
END_TEST

/* A caller that drives the loop itself: posted work, ready fds and timers run in its
 * loop_run_once() calls, on its own thread, and nothing runs between them. */
static unsigned once_fd_calls;

static void once_fd(void *opaque, uint32_t events)
{
	uint64_t v;

	(void)events;
	ck_assert_int_eq(read(*(int *)opaque, &v, sizeof(v)), (int)sizeof(v));
	once_fd_calls++;
}

static void once_timer(void *opaque)
{
	(*(unsigned *)opaque)++;
}

START_TEST(run_once)
{
	struct loop *loop = loop_new();
	struct loop_timer *t;
	unsigned fired = 0;
	uint64_t one = 1, t0;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	ck_assert_ptr_nonnull(loop);
	ck_assert_int_ge(efd, 0);
	/* nothing ready: returns at once */
	ck_assert_int_eq(loop_run_once(loop, 0), 0);

	early_n = 0;
	for (uintptr_t i = 0; i < 3; i++)
		ck_assert_int_eq(loop_post(loop, early_work, (void *)i), 0);
	ck_assert_uint_eq(early_n, 0);
	ck_assert_int_eq(loop_run_once(loop, 0), 1);
	ck_assert_uint_eq(early_n, 3);
	ck_assert_uint_eq(early_log[2], 2);
	ck_assert(!loop_on_thread(loop));

	once_fd_calls = 0;
	ck_assert_int_eq(loop_add_fd(loop, efd, EPOLLIN, once_fd, &efd), 0);
	ck_assert_int_eq(write(efd, &one, sizeof(one)), (int)sizeof(one));
	ck_assert_int_eq(loop_run_once(loop, 0), 1);
	ck_assert_uint_eq(once_fd_calls, 1);
	ck_assert_int_eq(loop_run_once(loop, 0), 0);

	/* a timeout waits for a timer */
	t = loop_timer_new(loop, once_timer, &fired);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(loop_timer_arm(t, 5 * MS, 0), 0);
	t0 = loop_now_ns();
	while (!fired && loop_now_ns() - t0 < 2000 * MS)
		ck_assert_int_ge(loop_run_once(loop, 1000), 0);
	ck_assert_uint_eq(fired, 1);
	ck_assert_uint_ge(loop_now_ns() - t0, 4 * MS);

	loop_timer_free(t);
	loop_del_fd(loop, efd);
	close(efd);
	loop_free(loop);
}
END_TEST

struct slow {
	struct loop *loop;
	bool on_thread;
	int done;
	uint64_t finished_ns;
};

static void slow_fn(void *opaque)
{
	struct slow *s = opaque;

	s->on_thread = loop_on_thread(s->loop);
	usleep(30000);
	s->finished_ns = loop_now_ns();
	s->done = 1;
}

START_TEST(call_waits)
{
	struct loop_thread lt;
	struct slow s = { 0 };
	uint64_t t0, t1;

	start_loop(&lt);
	s.loop = lt.loop;
	t0 = loop_now_ns();
	ck_assert_int_eq(loop_call(lt.loop, slow_fn, &s), 0);
	t1 = loop_now_ns();
	ck_assert_int_eq(s.done, 1);
	ck_assert(s.on_thread);
	ck_assert_uint_ge(t1 - t0, 30 * MS);
	ck_assert_uint_le(s.finished_ns, t1);
	stop_loop(&lt);
}
END_TEST

struct nested {
	struct loop *loop;
	int inner_done;
	int inner_done_seen;
	bool inner_on_thread;
	sem_t done;
};

static void inner_fn(void *opaque)
{
	struct nested *n = opaque;

	n->inner_on_thread = loop_on_thread(n->loop);
	n->inner_done = 1;
}

static void outer_fn(void *opaque)
{
	struct nested *n = opaque;

	/* On the loop thread itself loop_call runs fn at once (no deadlock). */
	loop_call(n->loop, inner_fn, n);
	n->inner_done_seen = n->inner_done;
	sem_post(&n->done);
}

START_TEST(call_from_loop_thread)
{
	struct loop_thread lt;
	struct nested n = { 0 };

	start_loop(&lt);
	n.loop = lt.loop;
	sem_init(&n.done, 0, 0);
	ck_assert_int_eq(loop_post(lt.loop, outer_fn, &n), 0);
	sem_wait_ms(&n.done, 2000);
	ck_assert_int_eq(n.inner_done_seen, 1);
	ck_assert(n.inner_on_thread);
	stop_loop(&lt);
	sem_destroy(&n.done);
}
END_TEST

START_TEST(quit_from_other_thread)
{
	struct loop_thread lt;

	start_loop(&lt);
	usleep(10000);
	loop_quit(lt.loop);
	join_loop(&lt);
	loop_free(lt.loop);
	sem_destroy(&lt.started);
}
END_TEST

START_TEST(quit_before_run)
{
	struct loop *loop = loop_new();
	uint64_t t0 = loop_now_ns();

	ck_assert_ptr_nonnull(loop);
	loop_quit(loop);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_lt(loop_now_ns() - t0, 1000 * MS);
	loop_free(loop);
}
END_TEST

/* ---- timers (the loop runs on the test's own thread) ----------------------------- */

struct tick {
	struct loop_timer *t;
	unsigned count;
	unsigned stop_after;	/* disarm itself after this many, 0: never */
	struct loop *quit;	/* and then make this loop return, if set */
	uint64_t first_ns, last_ns;
};

static void tick_fn(void *opaque)
{
	struct tick *k = opaque;

	if (!k->count)
		k->first_ns = loop_now_ns();
	k->last_ns = loop_now_ns();
	if (++k->count == k->stop_after) {
		loop_timer_disarm(k->t);
		if (k->quit)
			loop_quit(k->quit);
	}
}

/* A bound for waiting on a timer's callbacks: generous, for a loaded machine. */
#define TIMER_BOUND	(10000 * MS)

/* After loop_run() returned: dispatch on this thread for ns more. */
static void run_for(struct loop *loop, uint64_t ns)
{
	uint64_t end = loop_now_ns() + ns, now;

	while ((now = loop_now_ns()) < end) {
		int r = loop_run_once(loop, (int)((end - now + MS - 1) / MS));

		ck_assert(r >= 0 || r == -EINTR);
	}
}

static struct loop_timer *quit_timer(struct loop *loop, uint64_t after_ns)
{
	struct loop_timer *q = loop_timer_new(loop, quit_work, loop);

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(loop_timer_arm(q, after_ns, 0), 0);
	return q;
}

START_TEST(timer_one_shot)
{
	struct loop *loop = loop_new();
	struct tick k = { 0 };
	struct loop_timer *q;
	uint64_t t0;

	ck_assert_ptr_nonnull(loop);
	k.t = loop_timer_new(loop, tick_fn, &k);
	ck_assert_ptr_nonnull(k.t);
	k.stop_after = 1;
	k.quit = loop;
	t0 = loop_now_ns();
	ck_assert_int_eq(loop_timer_arm(k.t, 10 * MS, 0), 0);
	q = quit_timer(loop, TIMER_BOUND);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_msg(k.count == 1, "the timer did not fire in %llu ms", TIMER_BOUND / MS);
	ck_assert_uint_ge(k.first_ns - t0, 10 * MS);
	/* One shot: 50 ms (five of its delays) more, and it has not fired again. */
	run_for(loop, 50 * MS);
	ck_assert_uint_eq(k.count, 1);
	loop_timer_free(k.t);
	loop_timer_free(q);
	loop_free(loop);
}
END_TEST

START_TEST(timer_zero_delay)
{
	struct loop *loop = loop_new();
	struct tick k = { 0 };
	struct loop_timer *q;

	ck_assert_ptr_nonnull(loop);
	k.t = loop_timer_new(loop, tick_fn, &k);
	ck_assert_ptr_nonnull(k.t);
	/* 0 does not mean "disarmed" here: it fires as soon as possible. */
	k.stop_after = 1;
	k.quit = loop;
	ck_assert_int_eq(loop_timer_arm(k.t, 0, 0), 0);
	q = quit_timer(loop, TIMER_BOUND);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_eq(k.count, 1);
	run_for(loop, 20 * MS);
	ck_assert_uint_eq(k.count, 1);
	loop_timer_free(k.t);
	loop_timer_free(q);
	loop_free(loop);
}
END_TEST

START_TEST(timer_periodic)
{
	struct loop *loop = loop_new();
	struct tick k = { 0 };
	struct loop_timer *q;
	uint64_t t0, elapsed;

	ck_assert_ptr_nonnull(loop);
	k.t = loop_timer_new(loop, tick_fn, &k);
	ck_assert_ptr_nonnull(k.t);
	k.stop_after = 10;
	k.quit = loop;
	t0 = loop_now_ns();
	ck_assert_int_eq(loop_timer_arm(k.t, 5 * MS, 5 * MS), 0);
	q = quit_timer(loop, TIMER_BOUND);
	ck_assert_int_eq(loop_run(loop), 0);
	elapsed = loop_now_ns() - t0;
	/* Ten callbacks, however late: late wake-ups coalesce, so ten may take longer
	 * than ten periods, but never less. */
	ck_assert_msg(k.count == 10, "%u callbacks of a 5 ms timer in %llu ms", k.count,
		      TIMER_BOUND / MS);
	ck_assert_uint_le(k.count, elapsed / (5 * MS));
	ck_assert_uint_ge(k.first_ns - t0, 5 * MS);
	/* The n-th callback needs at least n expirations behind it. */
	ck_assert_uint_ge(k.last_ns - t0, k.count * 5 * MS);
	loop_timer_free(k.t);
	loop_timer_free(q);
	loop_free(loop);
}
END_TEST

START_TEST(timer_disarm)
{
	struct loop *loop = loop_new();
	struct tick k = { .stop_after = 3 }, never = { 0 };
	struct loop_timer *q;

	ck_assert_ptr_nonnull(loop);
	/* Disarmed from its own callback after the third expiry. */
	k.quit = loop;
	k.t = loop_timer_new(loop, tick_fn, &k);
	ck_assert_ptr_nonnull(k.t);
	ck_assert_int_eq(loop_timer_arm(k.t, 2 * MS, 2 * MS), 0);
	/* Armed and disarmed before it could fire. */
	never.t = loop_timer_new(loop, tick_fn, &never);
	ck_assert_ptr_nonnull(never.t);
	ck_assert_int_eq(loop_timer_arm(never.t, 10 * MS, 1 * MS), 0);
	loop_timer_disarm(never.t);
	q = quit_timer(loop, TIMER_BOUND);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_eq(k.count, 3);
	/* Then 50 ms more (25 periods of k's, 50 of never's) without either firing. */
	run_for(loop, 50 * MS);
	ck_assert_uint_eq(k.count, 3);
	ck_assert_uint_eq(never.count, 0);
	loop_timer_free(k.t);
	loop_timer_free(never.t);
	loop_timer_free(q);
	loop_free(loop);
}
END_TEST

/* Two timers expired in the same epoll batch; whichever runs first disarms the
 * other, whose callback must then not run. */
struct pair_timer {
	struct loop_timer *self, *other;
	unsigned *count;
};

static void pair_fn(void *opaque)
{
	struct pair_timer *p = opaque;

	(*p->count)++;
	loop_timer_disarm(p->other);
}

START_TEST(timer_disarm_same_batch)
{
	struct loop *loop = loop_new();
	unsigned count = 0;
	struct pair_timer a = { .count = &count }, b = { .count = &count };
	struct loop_timer *q;

	ck_assert_ptr_nonnull(loop);
	a.self = loop_timer_new(loop, pair_fn, &a);
	b.self = loop_timer_new(loop, pair_fn, &b);
	ck_assert_ptr_nonnull(a.self);
	ck_assert_ptr_nonnull(b.self);
	a.other = b.self;
	b.other = a.self;
	ck_assert_int_eq(loop_timer_arm(a.self, 1, 0), 0);
	ck_assert_int_eq(loop_timer_arm(b.self, 1, 0), 0);
	usleep(5000);	/* both have expired before the first epoll_wait */
	q = quit_timer(loop, 20 * MS);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_eq(count, 1);
	loop_timer_free(a.self);
	loop_timer_free(b.self);
	loop_timer_free(q);
	loop_free(loop);
}
END_TEST

/* ---- file descriptors ------------------------------------------------------------ */

struct pair_fd {
	struct loop *loop;
	int fd, other_fd;
	unsigned *count;
	bool consume;
};

static void pair_fd_fn(void *opaque, uint32_t events)
{
	struct pair_fd *p = opaque;
	uint64_t v;

	ck_assert_uint_eq(events & EPOLLIN, EPOLLIN);
	(*p->count)++;
	if (p->consume && read(p->fd, &v, sizeof(v)) != sizeof(v))
		abort();
	loop_del_fd(p->loop, p->other_fd);
}

START_TEST(del_other_fd_same_batch)
{
	struct loop *loop = loop_new();
	unsigned count = 0;
	int a = eventfd(1, EFD_NONBLOCK), b = eventfd(1, EFD_NONBLOCK);
	struct pair_fd pa = { loop, a, b, &count, true }, pb = { loop, b, a, &count, true };
	struct loop_timer *q;
	uint64_t v;
	int left;

	ck_assert_ptr_nonnull(loop);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	/* Both are readable before the loop starts: one epoll batch reports both. */
	ck_assert_int_eq(loop_add_fd(loop, a, EPOLLIN, pair_fd_fn, &pa), 0);
	ck_assert_int_eq(loop_add_fd(loop, b, EPOLLIN, pair_fd_fn, &pb), 0);
	q = quit_timer(loop, 20 * MS);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_eq(count, 1);
	/* Exactly one eventfd was consumed; the deleted one still holds its count. */
	left = (read(a, &v, sizeof(v)) == sizeof(v)) + (read(b, &v, sizeof(v)) == sizeof(v));
	ck_assert_int_eq(left, 1);
	/* The survivor is still registered, the deleted one is not. */
	left = (loop_mod_fd(loop, a, EPOLLIN) == 0) + (loop_mod_fd(loop, b, EPOLLIN) == 0);
	ck_assert_int_eq(left, 1);
	loop_timer_free(q);
	loop_free(loop);
	close(a);
	close(b);
}
END_TEST

static void del_self_fn(void *opaque, uint32_t events)
{
	struct pair_fd *p = opaque;

	(void)events;
	(*p->count)++;
	loop_del_fd(p->loop, p->fd);	/* level-triggered and not read: would fire again */
}

START_TEST(del_own_fd)
{
	struct loop *loop = loop_new();
	unsigned count = 0;
	int a = eventfd(1, EFD_NONBLOCK);
	struct pair_fd pa = { loop, a, -1, &count, false };
	struct loop_timer *q;

	ck_assert_ptr_nonnull(loop);
	ck_assert_int_eq(loop_add_fd(loop, a, EPOLLIN, del_self_fn, &pa), 0);
	q = quit_timer(loop, 20 * MS);
	ck_assert_int_eq(loop_run(loop), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(loop_mod_fd(loop, a, EPOLLIN), -ENOENT);
	loop_timer_free(q);
	loop_free(loop);
	close(a);
}
END_TEST

START_TEST(fd_errors)
{
	struct loop *loop = loop_new();
	unsigned count = 0;
	int a = eventfd(0, EFD_NONBLOCK);
	struct pair_fd pa = { loop, a, -1, &count, false };

	ck_assert_ptr_nonnull(loop);
	ck_assert_int_eq(loop_add_fd(loop, -1, EPOLLIN, del_self_fn, &pa), -EBADF);
	ck_assert_int_eq(loop_add_fd(loop, a, EPOLLIN, del_self_fn, &pa), 0);
	ck_assert_int_eq(loop_add_fd(loop, a, EPOLLIN, del_self_fn, &pa), -EEXIST);
	ck_assert_int_eq(loop_mod_fd(loop, a, EPOLLOUT), 0);
	ck_assert_int_eq(loop_mod_fd(loop, 12345, EPOLLIN), -ENOENT);
	loop_del_fd(loop, 12345);	/* unknown: nothing happens */
	loop_del_fd(loop, a);
	ck_assert_int_eq(loop_mod_fd(loop, a, EPOLLIN), -ENOENT);
	loop_del_fd(loop, a);
	/* Can be added again after removal. */
	ck_assert_int_eq(loop_add_fd(loop, a, EPOLLIN, del_self_fn, &pa), 0);
	loop_free(loop);
	close(a);
}
END_TEST

START_TEST(now_monotonic)
{
	uint64_t a = loop_now_ns(), b;

	usleep(2000);
	b = loop_now_ns();
	ck_assert_uint_gt(a, 0);
	ck_assert_uint_ge(b - a, 2 * MS);
	ck_assert_uint_lt(b - a, 2000 * MS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, post_runs_on_loop_thread);
	tcase_add_test(tc, post_order);
	tcase_add_test(tc, post_before_run);
	tcase_add_test(tc, run_once);
	tcase_add_test(tc, call_waits);
	tcase_add_test(tc, call_from_loop_thread);
	tcase_add_test(tc, quit_from_other_thread);
	tcase_add_test(tc, quit_before_run);
	suite_add_tcase(s, tc);

	tc = tcase_create("timers");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, timer_one_shot);
	tcase_add_test(tc, timer_zero_delay);
	tcase_add_test(tc, timer_periodic);
	tcase_add_test(tc, timer_disarm);
	tcase_add_test(tc, timer_disarm_same_batch);
	suite_add_tcase(s, tc);

	tc = tcase_create("fds");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, del_other_fd_same_batch);
	tcase_add_test(tc, del_own_fd);
	tcase_add_test(tc, fd_errors);
	tcase_add_test(tc, now_monotonic);
	suite_add_tcase(s, tc);

	return test_main(s);
}
