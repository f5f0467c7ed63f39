/* SPDX-License-Identifier: MIT */
/*
 * The thread-pool engine: BLK_WORKERS threads do synchronous I/O and hand the
 * finished requests back through the eventfd.
 */
#include "blk_file.h"
#include "log.h"
#include "thread.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void *pool_worker(void *opaque)
{
	struct blk_file *f = opaque;
	uint64_t one = 1;

	thread_started(THREAD_IO);
	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct blk_req *req;
		int64_t r;

		while (!f->todo && !f->stopping)
			pthread_cond_wait(&f->cond, &f->lock);
		if (!f->todo)
			break;
		req = f->todo;
		f->todo = req->next;
		if (!f->todo)
			f->todo_tail = NULL;
		pthread_mutex_unlock(&f->lock);
		r = blk_file_do_sync(f, req);
		pthread_mutex_lock(&f->lock);
		req->transferred = (uint64_t)r;	/* the result travels in the request */
		req->next = f->done;
		f->done = req;
		if (write(f->efd, &one, sizeof(one)) < 0)
			log_error("block: cannot signal a completion: %s", strerror(errno));
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}


static void pool_complete(struct blk_file *f)
{
	struct blk_req *list, *rev = NULL;

	pthread_mutex_lock(&f->lock);
	list = f->done;
	f->done = NULL;
	pthread_mutex_unlock(&f->lock);
	/* Completions in submission order where possible. */
	while (list) {
		struct blk_req *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct blk_req *req = rev;

		rev = req->next;
		f->inflight--;
		req->done(req, (int64_t)req->transferred);
	}
}

static void pool_submit(struct blk_file *f, struct blk_req *req)
{
	req->next = NULL;
	pthread_mutex_lock(&f->lock);
	if (f->todo_tail)
		f->todo_tail->next = req;
	else
		f->todo = req;
	f->todo_tail = req;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static void pool_stop(struct blk_file *f)
{
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < f->nworkers; i++)
		pthread_join(f->workers[i], NULL);
	f->nworkers = 0;
}

/* Fails as a whole: no worker is left running. */
static int pool_start(struct blk_file *f)
{
	for (unsigned i = 0; i < BLK_WORKERS; i++) {
		int r = pthread_create(&f->workers[i], NULL, pool_worker, f);

		if (r) {
			pool_stop(f);
			return -r;
		}
		f->nworkers++;
	}
	return 0;
}

const struct blk_engine blk_engine_pool = {
	.name = "thread pool",
	.start = pool_start,
	.submit = pool_submit,
	.complete = pool_complete,
	.stop = pool_stop,
};
