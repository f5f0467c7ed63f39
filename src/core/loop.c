/* SPDX-License-Identifier: MIT */
#include "loop.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct loop_source {
	int fd;
	bool dead;
	loop_fd_fn *fn;
	void *opaque;
	struct loop_source *next;	/* all sources, or the graveyard once dead */
};

struct loop_work {
	loop_fn *fn;
	void *opaque;
	struct loop_work *next;
};

struct loop {
	int epfd;
	int wake_fd;			/* eventfd: posted work or quit */
	pthread_t thread;		/* valid while running */
	bool running;
	struct loop_source *sources;	/* loop thread only */
	struct loop_source *graveyard;	/* freed after each epoll batch */
	pthread_mutex_t lock;		/* protects work_head/work_tail/quit */
	struct loop_work *work_head, *work_tail;
	bool quit;
};

struct loop_timer {
	struct loop *loop;
	int fd;
	loop_fn *fn;
	void *opaque;
};

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void loop_wake(struct loop *loop)
{
	uint64_t one = 1;
	ssize_t r;

	do
		r = write(loop->wake_fd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
}

static void loop_run_work(void *opaque, uint32_t events)
{
	struct loop *loop = opaque;
	struct loop_work *w;
	uint64_t v;

	(void)events;
	if (read(loop->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("event loop: reading the wake-up eventfd: %s", strerror(errno));
	pthread_mutex_lock(&loop->lock);
	w = loop->work_head;
	loop->work_head = loop->work_tail = NULL;
	pthread_mutex_unlock(&loop->lock);
	while (w) {
		struct loop_work *next = w->next;

		w->fn(w->opaque);
		free(w);
		w = next;
	}
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&loop->lock, NULL);
	if (loop->epfd < 0 || loop->wake_fd < 0 ||
	    loop_add_fd(loop, loop->wake_fd, EPOLLIN, loop_run_work, loop) < 0) {
		loop_free(loop);
		return NULL;
	}
	return loop;
}

static void loop_reap(struct loop *loop)
{
	while (loop->graveyard) {
		struct loop_source *s = loop->graveyard;

		loop->graveyard = s->next;
		free(s);
	}
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->sources) {
		struct loop_source *s = loop->sources;

		loop->sources = s->next;
		free(s);
	}
	loop_reap(loop);
	while (loop->work_head) {
		struct loop_work *w = loop->work_head;

		loop->work_head = w->next;
		free(w);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn *fn, void *opaque)
{
	struct loop_source *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->fn = fn;
	s->opaque = opaque;
	ev.data.ptr = s;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(s);
		return err;
	}
	s->next = loop->sources;
	loop->sources = s;
	return 0;
}

static struct loop_source *loop_find(struct loop *loop, int fd, struct loop_source ***link)
{
	struct loop_source **pp;

	for (pp = &loop->sources; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

int loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct loop_source *s = loop_find(loop, fd, NULL);
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOENT;
	ev.data.ptr = s;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *loop, int fd)
{
	struct loop_source **link, *s = loop_find(loop, fd, &link);

	if (!s)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	*link = s->next;
	s->dead = true;
	s->next = loop->graveyard;
	loop->graveyard = s;
}

static void loop_timer_fire(void *opaque, uint32_t events)
{
	struct loop_timer *t = opaque;
	uint64_t expirations;

	(void)events;
	if (read(t->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;	/* disarmed or re-armed since it fired */
	t->fn(t->opaque);
}

struct loop_timer *loop_timer_new(struct loop *loop, loop_fn *fn, void *opaque)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = loop;
	t->fn = fn;
	t->opaque = opaque;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0 || loop_add_fd(loop, t->fd, EPOLLIN, loop_timer_fire, t) < 0) {
		if (t->fd >= 0)
			close(t->fd);
		free(t);
		return NULL;
	}
	return t;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull),
				  .tv_nsec = (long)(ns % 1000000000ull) };
}

int loop_timer_arm(struct loop_timer *t, uint64_t delay_ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = ns_to_ts(delay_ns ? delay_ns : 1),
		.it_interval = ns_to_ts(period_ns),
	};

	return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void loop_timer_disarm(struct loop_timer *t)
{
	struct itimerspec its = { 0 };

	timerfd_settime(t->fd, 0, &its, NULL);
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	loop_del_fd(t->loop, t->fd);
	close(t->fd);
	free(t);
}

int loop_post(struct loop *loop, loop_fn *fn, void *opaque)
{
	struct loop_work *w = malloc(sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->opaque = opaque;
	w->next = NULL;
	pthread_mutex_lock(&loop->lock);
	if (loop->work_tail)
		loop->work_tail->next = w;
	else
		loop->work_head = w;
	loop->work_tail = w;
	pthread_mutex_unlock(&loop->lock);
	loop_wake(loop);
	return 0;
}

struct loop_sync_call {
	loop_fn *fn;
	void *opaque;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void loop_sync_trampoline(void *opaque)
{
	struct loop_sync_call *c = opaque;

	c->fn(c->opaque);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

int loop_call(struct loop *loop, loop_fn *fn, void *opaque)
{
	struct loop_sync_call c = { .fn = fn, .opaque = opaque };
	int r;

	if (!loop->running || loop_on_thread(loop)) {
		fn(opaque);
		return 0;
	}
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	r = loop_post(loop, loop_sync_trampoline, &c);
	if (r == 0) {
		pthread_mutex_lock(&c.lock);
		while (!c.done)
			pthread_cond_wait(&c.cond, &c.lock);
		pthread_mutex_unlock(&c.lock);
	}
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
	return r;
}

bool loop_on_thread(const struct loop *loop)
{
	return loop->running && pthread_equal(loop->thread, pthread_self());
}

/* One epoll batch: the callbacks of every source that is ready. */
static int loop_dispatch(struct loop *loop, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(loop->epfd, evs, 32, timeout_ms);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct loop_source *s = evs[i].data.ptr;

		if (!s->dead)
			s->fn(s->opaque, evs[i].events);
	}
	loop_reap(loop);
	return n;
}

int loop_run(struct loop *loop)
{
	int r = 0;

	loop->thread = pthread_self();
	loop->running = true;
	for (;;) {
		bool quit;
		int n;

		pthread_mutex_lock(&loop->lock);
		quit = loop->quit;
		pthread_mutex_unlock(&loop->lock);
		if (quit)
			break;
		n = loop_dispatch(loop, -1);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			r = n;
			log_error("event loop: epoll_wait: %s", strerror(-n));
			break;
		}
	}
	loop->running = false;
	return r;
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
	int n = loop_dispatch(loop, timeout_ms);

	return n == -EINTR ? 0 : n;
}

void loop_quit(struct loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	loop->quit = true;
	pthread_mutex_unlock(&loop->lock);
	loop_wake(loop);
}
