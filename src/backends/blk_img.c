/* SPDX-License-Identifier: MIT */
/* The request path shared by the image formats (blk_img.h). */
#include "blk_img.h"
#include "iov.h"
#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define container_of_sw(w, type) ((type *)(void *)((char *)(w) - offsetof(type, sw)))

/* A guest request, split into pieces of one block each. */
struct img_io {
	struct img *im;
	struct blk_req *req;
	unsigned pending;		/* pieces, and one while they are being sent */
	int error;
};

struct img_piece {
	struct blk_req r;		/* to the file */
	struct img_io *io;
	struct img_piece *next;		/* waiting for an allocation */
	uint64_t block;
	uint64_t in_block;		/* offset in the block */
	uint64_t voff;			/* offset in the guest's request */
	uint64_t len;
	int64_t result;			/* a FUA write's, while it waits for a round */
	struct img_sync_wait sw;	/* a flush, or a FUA write */
	struct iovec iov[];		/* the guest's buffer, sliced */
};

static struct img *img_of(struct blk *b)
{
	return (struct img *)b;
}

static void io_put(struct img_io *io)
{
	struct img *im = io->im;
	struct blk_req *req = io->req;
	int64_t result;

	if (--io->pending)
		return;
	result = io->error ? io->error : (req->op == BLK_READ || req->op == BLK_WRITE) ? (int64_t)req->len : 0;
	free(io);
	im->inflight--;
	req->done(req, result);
}

static void piece_finish(struct img_piece *p, int64_t result)
{
	struct img_io *io = p->io;

	if (result < 0 && !io->error)
		io->error = (int)result;
	else if (result >= 0 && (p->r.op == BLK_READ || p->r.op == BLK_WRITE) && (uint64_t)result != p->len &&
		 !io->error)
		io->error = -EIO;
	free(p);
	io_put(io);
}

static void sync_wait(struct img *im, struct img_sync_wait *w, bool durable,
		      void (*done)(struct img *im, struct img_sync_wait *w, int error));

/* Whether the BAT in the file may lack what the BAT in memory names. */
static bool bat_undurable(const struct img *im)
{
	return im->ndirty || im->sync_busy;
}

static void piece_synced(struct img *im, struct img_sync_wait *w, int error)
{
	struct img_piece *p = container_of_sw(w, struct img_piece);

	(void)im;
	piece_finish(p, error ? error : p->result);
}

static void piece_done(struct blk_req *r, int64_t result)
{
	struct img_piece *p = (struct img_piece *)r;
	struct img *im = p->io->im;

	/* A FUA write is durable only once the BAT naming its block is. */
	if (result >= 0 && r->fua && r->op != BLK_READ && bat_undurable(im)) {
		p->result = result;
		sync_wait(im, &p->sw, true, piece_synced);
		return;
	}
	piece_finish(p, result);
}

/* Fill the piece's part of the guest's buffer with zeroes. */
static void piece_zero(struct img_piece *p)
{
	static const uint8_t zero[65536];
	uint64_t done = 0;

	while (done < p->len) {
		size_t k = p->len - done < sizeof(zero) ? (size_t)(p->len - done) : sizeof(zero);

		iov_from_buf(p->iov, p->r.iovcnt, done, zero, k);
		done += k;
	}
}

static struct img_alloc *alloc_find(struct img *im, uint64_t block)
{
	for (struct img_alloc *a = im->allocs; a; a = a->next)
		if (a->block == block)
			return a;
	return NULL;
}

static void piece_dispatch(struct img *im, struct img_piece *p);
static void alloc_start(struct img *im, struct img_piece *p);

static void piece_submit(struct img *im, struct img_piece *p, uint64_t file_off)
{
	int r;

	p->r.offset = file_off + p->in_block;
	p->r.done = piece_done;
	r = blk_submit(im->file, &p->r);
	if (r < 0)
		piece_finish(p, r);
}

static void piece_from_parent(struct img *im, struct img_piece *p)
{
	int r;

	p->r.offset = p->block * im->block_size + p->in_block;
	p->r.done = piece_done;
	r = blk_submit(im->parent, &p->r);
	if (r < 0)
		piece_finish(p, r);
}

/* A read of a block present in part: a piece for each run of sectors, from this file
 * or from the parent. */
static void piece_partial(struct img *im, struct img_piece *p)
{
	struct img_io *io = p->io;
	uint64_t base = im->fmt->partial_offset(im, p->block), at = 0;

	while (at < p->len) {
		bool present;
		uint64_t run = im->fmt->partial_run(im, p->block, p->in_block + at, p->len - at, &present);
		struct img_piece *q;
		int n;

		if (!run) {
			piece_finish(p, -EIO);
			return;
		}
		q = malloc(sizeof(*q) + p->r.iovcnt * sizeof(struct iovec));
		n = q ? iov_slice(p->iov, p->r.iovcnt, at, run, q->iov, p->r.iovcnt) : -ENOMEM;
		if (n <= 0) {
			free(q);
			piece_finish(p, n < 0 ? n : -EINVAL);
			return;
		}
		memset(q, 0, sizeof(*q));
		q->io = io;
		q->block = p->block;
		q->in_block = p->in_block + at;
		q->voff = p->voff + at;
		q->len = run;
		q->r.op = BLK_READ;
		q->r.len = run;
		q->r.iov = q->iov;
		q->r.iovcnt = (unsigned)n;
		io->pending++;
		if (present)
			piece_submit(im, q, base);
		else
			piece_from_parent(im, q);
		at += run;
	}
	piece_finish(p, (int64_t)p->len);	/* its runs carry on */
}

/* The piece covers its block whole (the last block of the disk may be cut short). */
static bool piece_whole_block(struct img *im, struct img_piece *p)
{
	uint64_t base = p->block * im->block_size, end = im->blk.info.size - base;

	if (end > im->block_size)
		end = im->block_size;
	return p->in_block == 0 && p->len == end;
}

static void unmap_start(struct img *im, struct img_piece *p, uint64_t off);

static void piece_dispatch(struct img *im, struct img_piece *p)
{
	struct img_alloc *a = alloc_find(im, p->block);
	uint64_t off;

	if (a) {
		p->next = a->waiting;
		a->waiting = p;
		return;
	}
	off = im->fmt->lookup(im, p->block);
	if (off == IMG_PARENT && p->r.op == BLK_READ) {
		piece_from_parent(im, p);
	} else if (off == IMG_PARTIAL && p->r.op == BLK_READ) {
		piece_partial(im, p);
	} else if (off != IMG_UNMAPPED && off != IMG_PARENT && off != IMG_PARTIAL) {
		if (p->r.op == BLK_DISCARD && im->fmt->unmap_commit && piece_whole_block(im, p))
			unmap_start(im, p, off);
		else
			piece_submit(im, p, off);
	} else if (p->r.op == BLK_READ) {
		piece_zero(p);
		piece_finish(p, (int64_t)p->len);
	} else if (p->r.op != BLK_WRITE) {
		/* Discarding or zeroing a block that reads as zeroes (a differencing image
		 * does neither: its blocks may be the parent's). */
		piece_finish(p, off == IMG_UNMAPPED ? 0 : -EOPNOTSUPP);
	} else if (im->fmt->one_alloc && im->allocs) {
		/* This format's allocations write where the previous one ended. */
		p->next = im->allocs->waiting;
		im->allocs->waiting = p;
	} else {
		alloc_start(im, p);
	}
}

/* ---- allocation ------------------------------------------------------------------- */

static void alloc_free(struct img_alloc *a);

static void alloc_end(struct img *im, struct img_alloc *a)
{
	struct img_alloc **pp;
	struct img_piece *w = a->waiting, *rev = NULL;

	for (pp = &im->allocs; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	piece_finish(a->first, a->error ? a->error : (int64_t)a->first->len);
	alloc_free(a);
	/* What waited sees the block now (or tries to allocate it again after an error),
	 * oldest first. */
	while (w) {
		struct img_piece *n = w->next;

		w->next = rev;
		rev = w;
		w = n;
	}
	while (rev) {
		struct img_piece *n = rev->next;

		piece_dispatch(im, rev);
		rev = n;
	}
}

static void alloc_synced(struct img *im, struct img_sync_wait *w, int error)
{
	struct img_alloc *a = container_of_sw(w, struct img_alloc);

	if (error && !a->error)
		a->error = error;
	alloc_end(im, a);
}

static int dirty_add(struct img *im, uint64_t off, uint64_t len, void *buf);
static int dirty_reserve(struct img *im);

/* One step of an allocation's writes is over; after the last, the block goes into the
 * BAT in memory, and its sector waits for the next round. */
static void alloc_put(struct img *im, struct img_alloc *a)
{
	uint64_t off, len;
	void *buf;

	if (--a->pending)
		return;
	if (!a->error)
		a->error = dirty_reserve(im);
	if (a->error) {
		alloc_end(im, a);
		return;
	}
	im->fmt->alloc_commit(im, a, &off, &len, &buf);
	dirty_add(im, off, len, buf);
	im->stats.allocations++;
	if (a->fua)
		sync_wait(im, &a->sw, true, alloc_synced);
	else
		alloc_end(im, a);
}

static void alloc_step(struct blk_req *r, int64_t result)
{
	struct img_alloc *a = r->opaque;

	if (result < 0 && !a->error)
		a->error = (int)result;
	else if (result >= 0 && (uint64_t)result != r->len && !a->error)
		a->error = -EIO;
	alloc_put(a->first->io->im, a);
}

/* Everything for the new block goes out together: the format's writes, what was read
 * from the parent, the guest's data; one more count keeps the allocation alive while
 * they are being sent. */
static void alloc_write(struct img *im, struct img_alloc *a)
{
	struct img_piece *p = a->first;
	int r;

	a->pending = a->nprep + a->nfill + 2;
	for (unsigned i = 0; i < a->nprep + a->nfill; i++) {
		bool fill = i >= a->nprep;
		struct blk_req *w = fill ? &a->fill_req[i - a->nprep] : &a->prep_req[i];
		struct iovec *v = fill ? &a->fill_iov[i - a->nprep] : &a->prep_iov[i];

		memset(w, 0, sizeof(*w));
		if (fill) {
			v->iov_base = a->fill_buf[i - a->nprep];
			v->iov_len = a->fill_len[i - a->nprep];
			w->offset = a->data_off + a->fill_off[i - a->nprep];
		} else {
			v->iov_base = (void *)a->prep[i].buf;
			v->iov_len = a->prep[i].len;
			w->offset = a->prep[i].off;
		}
		w->op = BLK_WRITE;
		w->len = v->iov_len;
		w->iov = v;
		w->iovcnt = 1;
		w->done = alloc_step;
		w->opaque = a;
		r = blk_submit(im->file, w);
		if (r < 0)
			alloc_step(w, r);
	}
	p->r.offset = a->data_off + p->in_block;
	p->r.done = alloc_step;
	p->r.opaque = a;
	r = blk_submit(im->file, &p->r);
	if (r < 0)
		alloc_step(&p->r, r);
	alloc_put(im, a);
}

/* A block present in part: the parent's data where this file has none. */
static void alloc_merge(struct img *im, struct img_alloc *a, uint64_t end)
{
	uint8_t *here = a->bounce[0], *parent = a->bounce[1];

	for (uint64_t at = 0; at < end;) {
		bool present;
		uint64_t run = im->fmt->partial_run(im, a->block, at, end - at, &present);

		if (!run)
			run = end - at;	/* cannot happen: a run has a sector at least */
		if (!present)
			memcpy(here + at, parent + at, run);
		at += run;
	}
}

static void alloc_filled(struct blk_req *r, int64_t result)
{
	struct img_alloc *a = r->opaque;
	struct img *im = a->first->io->im;

	if (result < 0 && !a->error)
		a->error = (int)result;
	else if (result >= 0 && (uint64_t)result != r->len && !a->error)
		a->error = -EIO;
	if (--a->pending)
		return;
	if (a->error) {
		alloc_end(im, a);
		return;
	}
	if (a->in_place)
		alloc_merge(im, a, a->rd_len[0]);
	alloc_write(im, a);
}

/* Read what the guest's write leaves of a block. */
static void alloc_fill(struct img_alloc *a)
{
	a->pending = a->nread + 1;
	for (unsigned i = 0; i < a->nread; i++) {
		struct blk_req *rd = &a->fill_req[i];
		int r;

		a->fill_iov[i] = (struct iovec){ a->rd_buf[i], a->rd_len[i] };
		*rd = (struct blk_req){ .op = BLK_READ, .offset = a->rd_off[i], .len = a->rd_len[i],
					.iov = &a->fill_iov[i], .iovcnt = 1, .done = alloc_filled, .opaque = a };
		r = blk_submit(a->rd_dev[i], rd);
		if (r < 0)
			alloc_filled(rd, r);
	}
	{
		struct blk_req guard = { .op = BLK_FLUSH, .opaque = a };

		alloc_filled(&guard, 0);
	}
}

static void alloc_free(struct img_alloc *a)
{
	free(a->scratch);
	free(a->bounce[0]);
	free(a->bounce[1]);
	free(a);
}

/*
 * The reads before the write: for a block that was the parent's, the parts the write
 * leaves, from the parent; for one present in part, the whole block from here and from
 * the parent, merged in memory and written back around the guest's data.
 */
static int alloc_plan_fill(struct img *im, struct img_alloc *a, uint64_t kind)
{
	struct img_piece *p = a->first;
	uint64_t base = a->block * im->block_size;
	/* The block's part of the disk: the last block may be cut short. */
	uint64_t end = im->blk.info.size - base;

	if (end > im->block_size)
		end = im->block_size;
	if (kind == IMG_PARTIAL) {
		uint8_t *here = img_alloc_buf(end), *parent = img_alloc_buf(end);

		a->bounce[0] = here;
		a->bounce[1] = parent;
		if (!here || !parent)
			return -ENOMEM;
		a->in_place = true;
		a->data_off = im->fmt->partial_offset(im, a->block);
		a->nread = 2;
		a->rd_dev[0] = im->file;
		a->rd_off[0] = a->data_off;
		a->rd_buf[0] = here;
		a->rd_len[0] = end;
		a->rd_dev[1] = im->parent;
		a->rd_off[1] = base;
		a->rd_buf[1] = parent;
		a->rd_len[1] = end;
		if (p->in_block) {
			a->fill_buf[a->nfill] = here;
			a->fill_off[a->nfill] = 0;
			a->fill_len[a->nfill++] = p->in_block;
		}
		if (p->in_block + p->len < end) {
			a->fill_buf[a->nfill] = here + p->in_block + p->len;
			a->fill_off[a->nfill] = p->in_block + p->len;
			a->fill_len[a->nfill++] = end - (p->in_block + p->len);
		}
		return 0;
	}
	if (p->in_block) {
		a->fill_off[a->nfill] = 0;
		a->fill_len[a->nfill++] = p->in_block;
	}
	if (p->in_block + p->len < end) {
		a->fill_off[a->nfill] = p->in_block + p->len;
		a->fill_len[a->nfill++] = end - (p->in_block + p->len);
	}
	for (unsigned i = 0; i < a->nfill; i++) {
		if (!(a->bounce[i] = img_alloc_buf(a->fill_len[i])))
			return -ENOMEM;
		a->fill_buf[i] = a->bounce[i];
		a->rd_dev[i] = im->parent;
		a->rd_off[i] = base + a->fill_off[i];
		a->rd_buf[i] = a->bounce[i];
		a->rd_len[i] = a->fill_len[i];
	}
	a->nread = a->nfill;
	/* The format sees the write as reaching as far as the filled block. */
	a->in_block = 0;
	a->len = end;
	return im->fmt->alloc_prepare(im, a);
}

static void alloc_start(struct img *im, struct img_piece *p)
{
	struct img_alloc *a = calloc(1, sizeof(*a));
	uint64_t kind = im->parent ? im->fmt->lookup(im, p->block) : IMG_UNMAPPED;
	int r;

	if (!a) {
		piece_finish(p, -ENOMEM);
		return;
	}
	a->block = p->block;
	a->first = p;
	a->in_block = p->in_block;
	a->len = p->len;
	a->fua = p->r.fua;
	r = kind == IMG_PARENT || kind == IMG_PARTIAL ? alloc_plan_fill(im, a, kind) : im->fmt->alloc_prepare(im, a);
	if (r < 0) {
		alloc_free(a);
		piece_finish(p, r);
		return;
	}
	a->next = im->allocs;
	im->allocs = a;
	if (a->nread)
		alloc_fill(a);
	else
		alloc_write(im, a);
}

/* ---- discarding whole blocks ------------------------------------------------------- */

/* The block's space is given back; a file that cannot punch it only keeps it (the BAT
 * names it no more either way). */
static void unmap_punched(struct blk_req *r, int64_t result)
{
	struct img_alloc *a = r->opaque;

	if (result < 0)
		log_debug("%s: giving back the space of block %llu: %s", a->first->io->im->fmt->name,
			  (unsigned long long)a->block, strerror((int)-result));
	alloc_end(a->first->io->im, a);
}

/* The BAT no longer names the block: punch its old space. */
static void unmap_punch(struct img *im, struct img_alloc *a)
{
	struct img_piece *p = a->first;
	int r;

	p->r.offset = a->data_off;
	p->r.done = unmap_punched;
	p->r.opaque = a;
	r = blk_submit(im->file, &p->r);
	if (r < 0)
		unmap_punched(&p->r, r);
}

static void unmap_synced(struct img *im, struct img_sync_wait *w, int error)
{
	struct img_alloc *a = container_of_sw(w, struct img_alloc);

	if (error) {
		a->error = error;
		alloc_end(im, a);
	} else {
		unmap_punch(im, a);
	}
}

/* A discard of block p->block whole, which is at file offset off: requests touching the
 * block wait while a round writes its BAT sector, then its space is punched. */
static void unmap_start(struct img *im, struct img_piece *p, uint64_t off)
{
	struct img_alloc *a = calloc(1, sizeof(*a));
	uint64_t boff, blen;
	void *buf;
	int r = a ? dirty_reserve(im) : -ENOMEM;

	if (r < 0) {
		free(a);
		piece_finish(p, r);
		return;
	}
	a->block = p->block;
	a->first = p;
	a->len = p->len;
	a->data_off = off;
	a->fua = p->r.fua;
	a->unmap = true;
	a->next = im->allocs;
	im->allocs = a;
	im->fmt->unmap_commit(im, a, &boff, &blen, &buf);
	dirty_add(im, boff, blen, buf);
	sync_wait(im, &a->sw, a->fua, unmap_synced);
}

/* ---- the BAT's rounds -------------------------------------------------------------- */

struct img_round {
	unsigned n;			/* BAT sectors it writes */
	uint8_t *copy;			/* theirs, 4 KiB apart */
	struct blk_req *reqs;
	struct iovec *iov;
	struct blk_req flush;
	unsigned pending;
	int error;
	bool durable;
};

/* Room for one more dirty range, asked for before the BAT in memory changes. */
static int dirty_reserve(struct img *im)
{
	struct img_dirty *d;
	unsigned cap;

	if (im->ndirty < im->dirty_cap)
		return 0;
	cap = im->dirty_cap ? im->dirty_cap * 2 : 16;
	d = realloc(im->dirty, cap * sizeof(*d));
	if (!d)
		return -ENOMEM;
	im->dirty = d;
	im->dirty_cap = cap;
	return 0;
}

/* After dirty_reserve. */
static int dirty_add(struct img *im, uint64_t off, uint64_t len, void *buf)
{
	for (unsigned i = 0; i < im->ndirty; i++)
		if (im->dirty[i].off == off)
			return 0;
	if (im->ndirty == im->dirty_cap)
		return -ENOMEM;
	im->dirty[im->ndirty++] = (struct img_dirty){ off, len, buf };
	return 0;
}

static void round_kick(struct img *im);

static void round_free(struct img_round *rd)
{
	if (!rd)
		return;
	free(rd->copy);
	free(rd->reqs);
	free(rd->iov);
	free(rd);
}

/* The round is over: what waited for it carries on, oldest first. */
static void round_end(struct img *im, int error)
{
	struct img_sync_wait *w = im->sync_batch, *rev = NULL;

	round_free(im->round);
	im->round = NULL;
	im->sync_batch = NULL;
	im->sync_busy = false;
	while (w) {
		struct img_sync_wait *n = w->next;

		w->next = rev;
		rev = w;
		w = n;
	}
	while (rev) {
		struct img_sync_wait *n = rev->next;

		rev->done(im, rev, error);
		rev = n;
	}
	round_kick(im);
}

static void round_flush(struct img *im, void (*done)(struct blk_req *r, int64_t result))
{
	struct img_round *rd = im->round;
	int e;

	memset(&rd->flush, 0, sizeof(rd->flush));
	rd->flush.op = BLK_FLUSH;
	rd->flush.done = done;
	rd->flush.opaque = im;
	im->stats.flushes++;
	e = blk_submit(im->file, &rd->flush);
	if (e < 0)
		done(&rd->flush, e);
}

static void round_after(struct blk_req *r, int64_t result)
{
	round_end(r->opaque, result < 0 ? (int)result : 0);
}

static void round_written(struct blk_req *r, int64_t result)
{
	struct img *im = r->opaque;
	struct img_round *rd = im->round;

	if (result < 0 && !rd->error)
		rd->error = (int)result;
	else if (result >= 0 && (uint64_t)result != r->len && !rd->error)
		rd->error = -EIO;
	if (--rd->pending)
		return;
	if (rd->error) {
		/* The BAT in memory names blocks the file's may not: nothing more is
		 * written to this image. */
		im->broken = true;
		log_error("block: %s image: writing its BAT: %s", im->fmt->name, strerror(-rd->error));
		round_end(im, rd->error);
	} else if (rd->durable) {
		round_flush(im, round_after);
	} else {
		round_end(im, 0);
	}
}

/* Every block the copied sectors name is durable now: write them. */
static void round_before(struct blk_req *r, int64_t result)
{
	struct img *im = r->opaque;
	struct img_round *rd = im->round;

	rd->pending = rd->n + 1;
	if (result < 0) {
		rd->pending = 1;
		rd->error = (int)result;
	} else {
		for (unsigned i = 0; i < rd->n; i++) {
			int e = blk_submit(im->file, &rd->reqs[i]);

			if (e < 0)
				round_written(&rd->reqs[i], e);
		}
		im->stats.bat_writes += rd->n;
	}
	{
		struct blk_req guard = { .op = BLK_FLUSH, .opaque = im };

		round_written(&guard, 0);
	}
}

/*
 * Start a round for what waits for the next one: copy the BAT sectors that changed (each
 * names only blocks whose writes are done), flush, write the copies, and flush again if
 * a guest's flush or FUA write waits. With nothing changed, a flush alone.
 */
static void round_kick(struct img *im)
{
	struct img_round *rd;
	unsigned n = im->ndirty;
	bool durable = false;

	if (im->sync_busy || !im->sync_next)
		return;
	im->sync_busy = true;
	im->sync_batch = im->sync_next;
	im->sync_next = NULL;
	for (struct img_sync_wait *w = im->sync_batch; w; w = w->next)
		durable |= w->durable;
	rd = calloc(1, sizeof(*rd));
	if (rd && n) {
		rd->copy = img_alloc_buf((size_t)n * 4096);
		rd->reqs = calloc(n, sizeof(*rd->reqs));
		rd->iov = calloc(n, sizeof(*rd->iov));
	}
	if (!rd || (n && (!rd->copy || !rd->reqs || !rd->iov))) {
		/* The sectors stay dirty for a later round. */
		im->round = rd;
		round_end(im, -ENOMEM);
		return;
	}
	im->round = rd;
	rd->n = n;
	rd->durable = durable;
	for (unsigned i = 0; i < n; i++) {
		struct img_dirty *d = &im->dirty[i];

		memcpy(rd->copy + (size_t)i * 4096, d->buf, d->len);
		rd->iov[i] = (struct iovec){ rd->copy + (size_t)i * 4096, d->len };
		rd->reqs[i] = (struct blk_req){ .op = BLK_WRITE, .offset = d->off, .len = d->len, .iov = &rd->iov[i],
						.iovcnt = 1, .done = round_written, .opaque = im };
	}
	im->ndirty = 0;
	if (n) {
		im->stats.rounds++;
		round_flush(im, round_before);
	} else if (durable) {
		round_flush(im, round_after);
	} else {
		round_end(im, 0);
	}
}

static void sync_wait(struct img *im, struct img_sync_wait *w, bool durable,
		      void (*done)(struct img *im, struct img_sync_wait *w, int error))
{
	w->durable = durable;
	w->done = done;
	w->next = im->sync_next;
	im->sync_next = w;
	round_kick(im);
}

/* ---- the struct blk ops ----------------------------------------------------------- */

static int img_submit(struct blk *b, struct blk_req *req)
{
	struct img *im = img_of(b);
	struct img_io *io;
	uint64_t voff = 0;

	if (b->info.readonly && req->op != BLK_READ)
		return -EROFS;
	if ((req->op == BLK_READ || req->op == BLK_WRITE) && req->iovcnt == 0)
		return -EINVAL;
	if ((req->op == BLK_READ || req->op == BLK_WRITE || req->op == BLK_DISCARD || req->op == BLK_WRITE_ZEROES) &&
	    (req->offset > b->info.size || req->len > b->info.size - req->offset))
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->im = im;
	io->req = req;
	io->pending = 1;
	im->inflight++;
	if (req->op != BLK_READ && im->broken) {
		io->error = -EIO;
	} else if ((req->op == BLK_DISCARD || req->op == BLK_WRITE_ZEROES) && !b->info.discard) {
		io->error = -EOPNOTSUPP;
	} else if (req->op == BLK_FLUSH) {
		struct img_piece *p = calloc(1, sizeof(*p));

		if (!p) {
			io->error = -ENOMEM;
		} else {
			p->io = io;
			p->r.op = BLK_FLUSH;
			io->pending++;
			sync_wait(im, &p->sw, true, piece_synced);
		}
	} else {
		while (voff < req->len && !io->error) {
			uint64_t pos = req->offset + voff;
			uint64_t in_block = pos % im->block_size;
			uint64_t len = im->block_size - in_block;
			struct img_piece *p;
			int n;

			if (len > req->len - voff)
				len = req->len - voff;
			p = malloc(sizeof(*p) + req->iovcnt * sizeof(struct iovec));
			if (!p) {
				io->error = -ENOMEM;
				break;
			}
			memset(p, 0, sizeof(*p));
			n = req->op == BLK_READ || req->op == BLK_WRITE ?
				    iov_slice(req->iov, req->iovcnt, voff, len, p->iov, req->iovcnt) : 0;
			if (n < 0 || (n == 0 && (req->op == BLK_READ || req->op == BLK_WRITE))) {
				free(p);
				io->error = -EINVAL;
				break;
			}
			p->io = io;
			p->block = pos / im->block_size;
			p->in_block = in_block;
			p->voff = voff;
			p->len = len;
			p->r.op = req->op;
			p->r.len = len;
			p->r.iov = p->iov;
			p->r.iovcnt = (unsigned)n;
			p->r.fua = req->fua;
			io->pending++;
			voff += len;
			piece_dispatch(im, p);
		}
	}
	io_put(io);
	return 0;
}

static void img_plug(struct blk *b)
{
	blk_plug(img_of(b)->file);
}

static void img_unplug(struct blk *b)
{
	blk_unplug(img_of(b)->file);
}

static void img_drain(struct blk *b)
{
	struct img *im = img_of(b);

	while (im->inflight || im->sync_busy || im->allocs) {
		if (blk_inflight(im->file)) {
			blk_drain(im->file);
		} else if (im->parent && blk_inflight(im->parent)) {
			blk_drain(im->parent);
		} else {
			log_error("block: %s image: requests wait for nothing", im->fmt->name);
			return;
		}
	}
}

static unsigned img_inflight(const struct blk *b)
{
	return ((const struct img *)b)->inflight;
}

struct close_wait {
	struct img_sync_wait sw;
	bool done;
	int error;
};

static void close_synced(struct img *im, struct img_sync_wait *w, int error)
{
	struct close_wait *c = container_of_sw(w, struct close_wait);

	(void)im;
	c->done = true;
	c->error = error;
}

static void img_close(struct blk *b)
{
	struct img *im = img_of(b);
	struct blk *file = im->file;
	struct blk *parent = im->parent;

	img_drain(b);
	/* What the BAT in memory names that the file's does not yet. */
	if (im->ndirty && !im->broken) {
		struct close_wait c = { 0 };

		sync_wait(im, &c.sw, true, close_synced);
		while (!c.done && blk_inflight(im->file))
			blk_drain(im->file);
		if (!c.done || c.error)
			log_error("block: %s image: writing its BAT at close: %s", im->fmt->name,
				  strerror(c.done ? -c.error : EIO));
	}
	free(im->dirty);
	if (im->fmt->close)
		im->fmt->close(im);	/* frees im */
	blk_close(file);
	blk_close(parent);
}

static const struct blk_ops img_ops = {
	.submit = img_submit,
	.plug = img_plug,
	.unplug = img_unplug,
	.drain = img_drain,
	.inflight = img_inflight,
	.close = img_close,
};

int blk_image_stats(struct blk *b, struct blk_image_stats *out)
{
	if (b->ops != &img_ops)
		return -EINVAL;
	*out = img_of(b)->stats;
	return 0;
}

void img_init(struct img *im, struct blk *file, const struct img_format *fmt)
{
	im->blk.ops = &img_ops;
	im->file = file;
	im->fmt = fmt;
	im->blk.info.readonly = file->info.readonly;
	im->blk.info.rotational = file->info.rotational;
	im->blk.info.dma_align = file->info.dma_align;
	/* Discarding punches holes where blocks are, which then read as zeroes; the BAT
	 * stays as it is, so nothing needs ordering. */
	im->blk.info.discard = file->info.discard;
}
