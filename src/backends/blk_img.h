/* SPDX-License-Identifier: MIT */
/*
 * Image formats as block back ends (struct blk, devices/blk.h), stacked on the engine
 * that drives the image file (blk_file.c). A format maps the disk's blocks to places in
 * its file through a block allocation table (BAT); what is shared by VHD and VHDX is
 * here: splitting requests at block boundaries, zeroes for blocks not allocated,
 * allocating blocks on first write, and writing the BAT in an order that leaves a
 * consistent image at every moment:
 *
 *   1. the new block's data (and what the format writes beside it: zeroes at its end,
 *      a sector bitmap, a footer) go to space past everything the BAT refers to; when
 *      they are written, the block goes into the BAT in memory, and the guest's write
 *      completes: later requests reach the block where it is;
 *   2. the BAT sectors that changed in memory are written in rounds: a flush first,
 *      which makes durable every block that the BAT in memory names (each was written
 *      before it went in), then a copy of the sectors taken before that flush started,
 *      and, for a guest's flush or FUA write, a flush after them.
 *
 * A round runs when the guest flushes, writes with FUA, or discards a whole block, and
 * when the image is closed; a block the guest wrote but did not flush may therefore be
 * missing after a crash (it reads as zeroes, or as the parent's), as the guest allows
 * for what it did not flush, but the BAT in the file never names space whose data was
 * not durable first. A BAT sector torn by a crash holds each 8-byte (VHD: 4-byte) entry
 * old or new, and both are valid. Rounds run one at a time, so an older copy of a
 * sector never lands after a newer. Requests touching a block being allocated wait for
 * its writes. Everything runs on the loop thread, without blocking: every step is a
 * request to the engine. Discarding and zeroing reach the file where blocks are (holes
 * read as zeroes) and are done where none are. A discard of a whole block, where the
 * format can say so, goes the other way round: first a round writes the BAT sector
 * saying the block reads as zeroes and names no space, then the block's space is
 * punched out of the file. A crash between the two leaves that space unreferenced; the
 * space is never handed to another block (new blocks go past the end of the file), so
 * the BAT never names space that holds another block's data.
 */
#ifndef HVKVM_BLK_IMG_H
#define HVKVM_BLK_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blk.h"
#include "blk_file.h"

struct loop;

enum blk_format {
	BLK_FORMAT_AUTO,
	BLK_FORMAT_RAW,
	BLK_FORMAT_VHD,
	BLK_FORMAT_VHDX,
};

const char *blk_format_name(enum blk_format f);

/*
 * The format to open path as: given, or (AUTO) from its name and signature together.
 * A name ending .img or .raw is raw whatever it holds; .vhdx and .vhd must hold their
 * format's signature (head: the file's first bytes, tail: its last 512); any other name
 * is raw, and *note says when it looks like an image (for a warning). Pure.
 */
int blk_format_pick(const char *path, enum blk_format given, const void *head, size_t headlen, const void *tail,
		    size_t taillen, enum blk_format *out, const char **note, char *err, size_t errlen);

/* What the image layer did since it was opened (counts). */
struct blk_image_stats {
	uint64_t allocations;		/* new blocks */
	uint64_t rounds;		/* rounds that wrote BAT sectors */
	uint64_t bat_writes;		/* BAT sectors written */
	uint64_t flushes;		/* flushes of the image file */
};

/* b's counts; -EINVAL if b is not an image (raw files have none). */
int blk_image_stats(struct blk *b, struct blk_image_stats *out);

/* What was opened, for vm.info; the strings live as long as the struct blk. */
struct blk_image_desc {
	enum blk_format format;
	const char *subformat;		/* "fixed", "dynamic", "differencing" */
	uint64_t size;
	const char *parent;		/* differencing: the parent's path as opened */
	char linkage[40];		/* VHDX: its DataWriteGuid as a child names it */
};

#define BLK_IMAGE_MAX_PARENTS	16	/* a longer chain is taken for a loop */

/*
 * Open path as format (blk_open's locking, engines and cache), picking the format
 * if AUTO. On failure -errno and the reason in err, which the caller prefixes with
 * the path.
 */
int blk_image_open(struct blk **out, struct loop *loop, const char *path, enum blk_format format, bool readonly,
		   enum blk_cache cache, struct blk_image_desc *desc, char *err, size_t errlen);
/* The same for a parent depth levels down a differencing chain. */
int blk_image_open_depth(struct blk **out, struct loop *loop, const char *path, enum blk_format format,
			 bool readonly, enum blk_cache cache, unsigned depth, struct blk_image_desc *desc, char *err,
			 size_t errlen);

/* ---- for the formats ------------------------------------------------------------- */

struct img;
struct img_alloc;
struct img_piece;
struct img_round;

struct img_format {
	const char *name;
	/* File offset of block b's data, IMG_UNMAPPED for a block that reads as zeroes,
	 * or IMG_PARENT for one whose data is the parent's. */
	uint64_t (*lookup)(struct img *im, uint64_t b);
	/* IMG_PARTIAL blocks: where the block is in the file, and how many bytes from
	 * in_block (at most len) are alike, all in this file (*present) or all the
	 * parent's. */
	uint64_t (*partial_offset)(struct img *im, uint64_t b);
	uint64_t (*partial_run)(struct img *im, uint64_t b, uint64_t in_block, uint64_t len, bool *present);
	/* Place block b (a->block) for a first write: set a->data_off and up to
	 * IMG_PREP_MAX writes (a->prep) that must be durable before the BAT names it. */
	int (*alloc_prepare)(struct img *im, struct img_alloc *a);
	/* Put the block into the BAT in memory; the byte range of the BAT in the file
	 * that now differs (*off, *len), and its bytes in memory (*buf). */
	void (*alloc_commit)(struct img *im, struct img_alloc *a, uint64_t *off, uint64_t *len, void **buf);
	/* Optional: mark block a->block as reading zeroes and naming no space in the BAT in
	 * memory (a discard of the whole block); the BAT bytes that differ as above. */
	void (*unmap_commit)(struct img *im, struct img_alloc *a, uint64_t *off, uint64_t *len, void **buf);
	void (*close)(struct img *im);
	/* One allocation at a time: each writes where the one before ended. */
	bool one_alloc;
};

#define IMG_UNMAPPED	UINT64_MAX
#define IMG_PARENT	(UINT64_MAX - 1)	/* the parent's data (img->parent) */
#define IMG_PARTIAL	(UINT64_MAX - 2)	/* sector by sector, this file's or the parent's */
#define IMG_PREP_MAX	2

struct img_prep {
	uint64_t off;
	const void *buf;
	size_t len;
};

/* Something waiting for a round of BAT writes (blk_img.c). */
struct img_sync_wait {
	struct img_sync_wait *next;
	bool durable;			/* needs the flush after the BAT's sectors */
	void (*done)(struct img *im, struct img_sync_wait *w, int error);
};

struct img_alloc {
	struct img_alloc *next;		/* allocations in progress */
	uint64_t block;
	uint64_t data_off;
	struct img_prep prep[IMG_PREP_MAX];
	unsigned nprep;
	void *scratch;			/* freed with the allocation */
	struct img_piece *first;	/* the write that allocates */
	uint64_t in_block, len;		/* the part of the block it writes */
	struct img_piece *waiting;	/* pieces that touch the block meanwhile */
	/* A block whose data was the parent's, in whole or in part: what the write leaves
	 * of it is read first (from the parent, and for a block present in part from
	 * here too, merged), then written with the rest; the block is then whole here. */
	bool in_place;			/* present in part: the block stays where it is */
	void *bounce[2];		/* freed with the allocation */
	unsigned nread;
	struct blk *rd_dev[2];
	uint64_t rd_off[2], rd_len[2];
	void *rd_buf[2];
	unsigned nfill;
	void *fill_buf[2];		/* into bounce[] */
	uint64_t fill_off[2], fill_len[2];	/* in the block */
	struct iovec fill_iov[2];
	struct blk_req fill_req[2];
	unsigned pending;
	int error;
	bool fua;
	bool unmap;			/* a discard of the whole block at data_off */
	struct iovec prep_iov[IMG_PREP_MAX];
	struct blk_req prep_req[IMG_PREP_MAX];
	struct img_sync_wait sw;	/* FUA, or a discard: for its round */
};

/* A range of the BAT in the file that differs from the BAT in memory. */
struct img_dirty {
	uint64_t off, len;
	void *buf;			/* in the BAT in memory */
};

struct img {
	struct blk blk;			/* what the disk model sees; first member */
	struct blk *file;		/* the engine on the image file */
	struct blk *parent;		/* differencing: the parent image, read-only */
	const struct img_format *fmt;
	uint64_t block_size;
	unsigned inflight;		/* guest requests */
	struct img_alloc *allocs;	/* in progress */
	/* The BAT's rounds (loop thread only). */
	struct img_dirty *dirty;	/* changed since the last round's copy */
	unsigned ndirty, dirty_cap;
	struct img_sync_wait *sync_next;	/* for the next round */
	struct img_sync_wait *sync_batch;	/* for the round in flight */
	bool sync_busy;
	struct img_round *round;	/* in flight */
	bool broken;			/* a round failed: no more writes */
	struct blk_image_stats stats;
};
/* Set up im (embedded first in the format's struct) over file; size and block size in
 * im->blk.info and im->block_size. */
void img_init(struct img *im, struct blk *file, const struct img_format *fmt);

/* Synchronous, aligned I/O on the image file at open time (O_DIRECT-safe: buf aligned
 * to 4096, off and len to 512). 0 or -errno; -EIO for a short file. */
int img_pread(struct blk *file, void *buf, size_t len, uint64_t off);
int img_pwrite(struct blk *file, const void *buf, size_t len, uint64_t off);
int img_fsync(struct blk *file);
uint64_t img_file_size(struct blk *file);
/* A buffer aligned for any O_DIRECT, zeroed. */
void *img_alloc_buf(size_t len);

int blk_vhdx_open(struct blk **out, struct blk *file, struct loop *loop, const char *path, enum blk_cache cache,
		  unsigned depth, struct blk_image_desc *desc, char *err, size_t errlen);
int blk_vhd_open(struct blk **out, struct blk *file, struct blk_image_desc *desc, char *err, size_t errlen);

#endif
