/* SPDX-License-Identifier: MIT */
/*
 * The inline engine, for a file in memory, which never waits for a device: a read or
 * write is a copy, cheaper done here than handed to a worker thread and waited for
 * (io_uring hands tmpfs I/O to its workers on kernels where tmpfs cannot do
 * non-blocking I/O). done runs before blk_submit returns; requests submitted from a
 * done callback run after it, in order, so that chains of requests (WRITE SAME, UNMAP)
 * do not recurse.
 */
#include "blk_file.h"

static int inline_start(struct blk_file *f)
{
	(void)f;
	return 0;
}

static void inline_submit(struct blk_file *f, struct blk_req *req)
{
	if (f->inline_tail)
		f->inline_tail->next = req;
	else
		f->inline_head = req;
	f->inline_tail = req;
	if (f->running_inline)
		return;
	f->running_inline = true;
	while ((req = f->inline_head)) {
		int64_t r;

		f->inline_head = req->next;
		if (!f->inline_head)
			f->inline_tail = NULL;
		req->next = NULL;
		r = blk_file_do_sync(f, req);
		f->inflight--;
		req->done(req, r);
	}
	f->running_inline = false;
}

const struct blk_engine blk_engine_inline = {
	.name = "inline",
	.start = inline_start,
	.submit = inline_submit,
};
