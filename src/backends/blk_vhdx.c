/* SPDX-License-Identifier: MIT */
/*
 * VHDX images (vhdx.h parses them): opening replays the metadata log if it holds
 * entries, checks every structure, and for writing stamps new FileWriteGuid and
 * DataWriteGuid into both headers. New blocks go at the end of the file, in whole MiB;
 * blk_img.c orders their writes before the BAT's.
 */
#include "blk_img.h"
#include "util.h"
#include "vhdx.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#define VHDX_LOG_MAX		(256 * VHDX_MiB)	/* read whole at open */
#define VHDX_METADATA_MAX	(64 * VHDX_MiB)

struct vhdx {
	struct img img;			/* first member */
	char *parent_path;		/* differencing: as opened */
	struct vhdx_hdr hdr;
	struct vhdx_regions reg;
	struct vhdx_meta meta;
	struct vhdx_geom geom;
	uint64_t *bat;			/* the BAT region's bytes, little-endian entries */
	uint8_t **bitmap;		/* differencing: each chunk's sector bitmap, or NULL */
	uint64_t file_end;		/* where the next block goes */
	uint8_t *zero;			/* 4 KiB of zeroes */
};

static struct vhdx *vhdx_of(struct img *im)
{
	return (struct vhdx *)im;
}

static uint64_t vhdx_lookup(struct img *im, uint64_t b)
{
	struct vhdx *v = vhdx_of(im);
	uint64_t e = le64toh(v->bat[vhdx_bat_payload_index(&v->geom, b)]);

	switch (vhdx_bat_state(e)) {
	case VHDX_PAYLOAD_FULLY_PRESENT:
		return vhdx_bat_offset(e);
	case VHDX_PAYLOAD_PARTIALLY_PRESENT:
		return IMG_PARTIAL;	/* only with a parent, and its bitmap loaded */
	case VHDX_PAYLOAD_NOT_PRESENT:
		/* Not in this file: a differencing image's parent has it. */
		return v->meta.has_parent ? IMG_PARENT : IMG_UNMAPPED;
	default:
		return IMG_UNMAPPED;	/* zero, unmapped, undefined: zeroes */
	}
}

static uint64_t vhdx_partial_offset(struct img *im, uint64_t b)
{
	struct vhdx *v = vhdx_of(im);

	return vhdx_bat_offset(le64toh(v->bat[vhdx_bat_payload_index(&v->geom, b)]));
}

/* Bit n of a chunk's sector bitmap (bit n % 8 of byte n / 8) is its sector n. */
static uint64_t vhdx_partial_run(struct img *im, uint64_t b, uint64_t in_block, uint64_t len, bool *present)
{
	struct vhdx *v = vhdx_of(im);
	uint64_t ls = v->meta.logical_sector;
	uint64_t sector = (b * v->meta.block_size + in_block) / ls;
	const uint8_t *bits = v->bitmap[sector / VHDX_CHUNK_SECTORS];
	uint64_t first = sector % VHDX_CHUNK_SECTORS, n = 0, want = (len + ls - 1) / ls;
	bool p = bits[first / 8] >> (first % 8) & 1;

	while (n < want && first + n < VHDX_CHUNK_SECTORS &&
	       (bool)(bits[(first + n) / 8] >> ((first + n) % 8) & 1) == p)
		n++;
	*present = p;
	return n * ls < len ? n * ls : len;
}

static int vhdx_alloc_prepare(struct img *im, struct img_alloc *a)
{
	struct vhdx *v = vhdx_of(im);
	uint64_t bs = v->meta.block_size, end = a->in_block + a->len;

	a->data_off = v->file_end;
	v->file_end += bs;
	/* The file must reach the block's end before the BAT names the block: the guest's
	 * write may not, so zeroes go at its end (as a hole before them). */
	if (end < bs) {
		uint64_t from = end > bs - 4096 ? end : bs - 4096;

		a->prep[0].off = a->data_off + from;
		a->prep[0].buf = v->zero;
		a->prep[0].len = (size_t)(bs - from);
		a->nprep = 1;
	}
	return 0;
}

static void vhdx_alloc_commit(struct img *im, struct img_alloc *a, uint64_t *off, uint64_t *len, void **buf)
{
	struct vhdx *v = vhdx_of(im);
	uint64_t i = vhdx_bat_payload_index(&v->geom, a->block), at = (i * 8) & ~4095ull;

	v->bat[i] = htole64(a->data_off | VHDX_PAYLOAD_FULLY_PRESENT);
	*off = v->reg.bat_offset + at;
	*len = 4096;
	*buf = (uint8_t *)v->bat + at;
}

/* A discarded block reads as zeroes and names no space (PAYLOAD_BLOCK_ZERO with
 * FileOffsetMB 0): its old space is punched, and never used again while open. */
static void vhdx_unmap_commit(struct img *im, struct img_alloc *a, uint64_t *off, uint64_t *len, void **buf)
{
	struct vhdx *v = vhdx_of(im);
	uint64_t i = vhdx_bat_payload_index(&v->geom, a->block), at = (i * 8) & ~4095ull;

	v->bat[i] = htole64(VHDX_PAYLOAD_ZERO);
	*off = v->reg.bat_offset + at;
	*len = 4096;
	*buf = (uint8_t *)v->bat + at;
}

static void vhdx_close(struct img *im)
{
	struct vhdx *v = vhdx_of(im);

	if (v->bitmap)
		for (uint64_t c = 0; c < v->geom.bitmap_blocks; c++)
			free(v->bitmap[c]);
	free(v->bitmap);
	free(v->bat);
	free(v->zero);
	free(v->parent_path);
	free(v);
}

static const struct img_format vhdx_format = {
	.name = "VHDX",
	.lookup = vhdx_lookup,
	.alloc_prepare = vhdx_alloc_prepare,
	.alloc_commit = vhdx_alloc_commit,
	.unmap_commit = vhdx_unmap_commit,
	.close = vhdx_close,
};

/* A differencing image's first write into a block reads the rest of it from the parent
 * into memory: one at a time bounds that memory to a block. */
static const struct img_format vhdx_diff_format = {
	.name = "VHDX",
	.lookup = vhdx_lookup,
	.partial_offset = vhdx_partial_offset,
	.partial_run = vhdx_partial_run,
	.alloc_prepare = vhdx_alloc_prepare,
	.alloc_commit = vhdx_alloc_commit,
	.close = vhdx_close,
	.one_alloc = true,
};

/* ---- opening ---------------------------------------------------------------------- */

struct replay_ctx {
	struct blk *file;
	uint8_t *buf;			/* 4 KiB, aligned */
};

static int replay_write(void *opaque, uint64_t off, const void *data, uint64_t len)
{
	struct replay_ctx *c = opaque;

	if (data) {
		memcpy(c->buf, data, 4096);
		return img_pwrite(c->file, c->buf, 4096, off);
	}
	memset(c->buf, 0, 4096);
	for (uint64_t done = 0; done < len; done += 4096) {
		int r = img_pwrite(c->file, c->buf, 4096, off + done);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Write h to both header slots, the one not current first, each made durable before
 * the next, so that one valid header is always there. */
static int write_headers(struct vhdx *v, struct vhdx_hdr *h, int current)
{
	uint8_t *buf = img_alloc_buf(VHDX_HEADER_SIZE);
	int r = buf ? 0 : -ENOMEM;

	for (int k = 0; k < 2 && r == 0; k++) {
		int slot = k == 0 ? 1 - current : current;

		h->sequence_number++;
		vhdx_build_header(h, buf);
		r = img_pwrite(v->img.file, buf, VHDX_HEADER_SIZE, slot ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET);
		if (r == 0)
			r = img_fsync(v->img.file);
	}
	free(buf);
	return r;
}

static void new_guid(uint8_t g[16])
{
	if (getrandom(g, 16, 0) != 16) {
		for (int i = 0; i < 16; i++)
			g[i] = (uint8_t)random();
	}
	g[7] = (uint8_t)((g[7] & 0x0f) | 0x40);	/* version 4, in the file's byte order */
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
}

static int replay_log(struct vhdx *v, int current, uint64_t file_size, char *err, size_t errlen)
{
	struct blk *file = v->img.file;
	struct vhdx_log_seq seq;
	struct replay_ctx ctx = { .file = file };
	uint8_t *log;
	int r;

	if (v->hdr.log_length > VHDX_LOG_MAX)
		return util_fail(err, errlen, -ENOTSUP, "a log of %u bytes (hvkvm replays at most %llu)", v->hdr.log_length,
				 (unsigned long long)VHDX_LOG_MAX);
	log = img_alloc_buf(v->hdr.log_length);
	ctx.buf = img_alloc_buf(4096);
	if (!log || !ctx.buf) {
		free(log);
		free(ctx.buf);
		return util_fail(err, errlen, -ENOMEM, "out of memory for the log");
	}
	r = img_pread(file, log, v->hdr.log_length, v->hdr.log_offset);
	if (r < 0)
		util_fail(err, errlen, r, "reading the log: %s", strerror(-r));
	if (r == 0)
		r = vhdx_log_find(log, v->hdr.log_length, v->hdr.log_guid, &seq, err, errlen);
	if (r == 0 && seq.count && file->info.readonly)
		r = util_fail(err, errlen, -EROFS, "its metadata log must be replayed, which needs it opened read-write");
	if (r == 0 && seq.count) {
		r = vhdx_log_replay(log, v->hdr.log_length, &seq, file_size, replay_write, &ctx, err, errlen);
		if (r == 0 && seq.last_file_offset > img_file_size(file) &&
		    ftruncate(((struct blk_file *)file)->fd, (off_t)seq.last_file_offset) < 0)
			r = util_fail(err, errlen, -errno, "growing it after the log's replay: %s", strerror(errno));
		if (r == 0 && (r = img_fsync(file)) < 0)
			util_fail(err, errlen, r, "after the log's replay: %s", strerror(-r));
	}
	free(log);
	free(ctx.buf);
	if (r < 0 || file->info.readonly)
		return r;
	/* The log is empty now. */
	memset(v->hdr.log_guid, 0, 16);
	r = write_headers(v, &v->hdr, current);
	if (r < 0)
		util_fail(err, errlen, r, "writing its headers: %s", strerror(-r));
	return r;
}

/* A GUID as Windows prints it, as parent_linkage holds it. */
static void guid_text(const uint8_t g[16], char out[40])
{
	snprintf(out, 40, "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x}", g[3], g[2], g[1],
		 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/*
 * The parent named by the locator: relative_path as Hyper-V writes it (backslashes,
 * often ".\"), from the child's directory; else absolute_win32_path's last component
 * there too (an image set moved from Windows keeps its files together).
 */
static char *parent_path(const char *child, const struct vhdx_meta *m)
{
	const char *rel = m->relative_path[0] ? m->relative_path : NULL;
	const char *slash = strrchr(child, '/');
	size_t dirlen = slash ? (size_t)(slash - child) + 1 : 0;
	char name[VHDX_LOCATOR_VALUE_MAX];
	char *out;

	if (!rel) {
		const char *w = m->absolute_win32_path[0] ? m->absolute_win32_path : m->volume_path;
		const char *last = strrchr(w, '\\');

		rel = last ? last + 1 : w;
	}
	snprintf(name, sizeof(name), "%s", rel);
	for (char *c = name; *c; c++)
		if (*c == '\\')
			*c = '/';
	rel = name;
	while (!strncmp(rel, "./", 2))
		rel += 2;
	if (rel[0] == '/' || !dirlen)
		return strdup(rel);
	out = malloc(dirlen + strlen(rel) + 1);
	if (out) {
		memcpy(out, child, dirlen);
		strcpy(out + dirlen, rel);
	}
	return out;
}

static int open_parent(struct vhdx *v, struct loop *loop, const char *path, enum blk_cache cache, unsigned depth,
		       char *err, size_t errlen)
{
	struct blk_image_desc pd;
	char want[64], perr[384];
	int r;

	if (depth + 1 >= BLK_IMAGE_MAX_PARENTS)
		return util_fail(err, errlen, -ELOOP, "more than %d images in its parent chain (a loop?)",
				 BLK_IMAGE_MAX_PARENTS);
	v->parent_path = parent_path(path, &v->meta);
	if (!v->parent_path)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	r = blk_image_open_depth(&v->img.parent, loop, v->parent_path, BLK_FORMAT_VHDX, true, cache, depth + 1, &pd,
				 perr, sizeof(perr));
	if (r == -ELOOP)
		return util_fail(err, errlen, r, "%s", perr);	/* the same parents again and again */
	if (r < 0)
		return util_fail(err, errlen, r, "its parent %s: %s", v->parent_path, perr);
	snprintf(want, sizeof(want), "%s", v->meta.parent_linkage);
	if (strcasecmp(want, pd.linkage) &&
	    (!v->meta.parent_linkage2[0] || strcasecmp(v->meta.parent_linkage2, pd.linkage)))
		return util_fail(err, errlen, -ESTALE,
				 "its parent %s has changed since it was made (its DataWriteGuid is %s, this image expects %s)",
				 v->parent_path, pd.linkage, want);
	if (pd.size != v->meta.virtual_size || blk_info(v->img.parent)->logical_block != v->meta.logical_sector)
		return util_fail(err, errlen, -EINVAL,
				 "its parent %s is a disk of %llu bytes in %u-byte sectors, not %llu in %u",
				 v->parent_path, (unsigned long long)pd.size, blk_info(v->img.parent)->logical_block,
				 (unsigned long long)v->meta.virtual_size, v->meta.logical_sector);
	return 0;
}

/* The sector bitmaps of the chunks that have blocks present in part. */
static int load_bitmaps(struct vhdx *v, char *err, size_t errlen)
{
	v->bitmap = calloc(v->geom.bitmap_blocks, sizeof(*v->bitmap));
	if (!v->bitmap)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	for (uint64_t b = 0; b < v->geom.data_blocks; b++) {
		uint64_t c = b / v->geom.chunk_ratio, e;
		int r;

		if (vhdx_bat_state(le64toh(v->bat[vhdx_bat_payload_index(&v->geom, b)])) != VHDX_PAYLOAD_PARTIALLY_PRESENT ||
		    v->bitmap[c])
			continue;
		e = le64toh(v->bat[vhdx_bat_bitmap_index(&v->geom, c)]);
		if (vhdx_bat_state(e) != VHDX_SB_PRESENT)
			return util_fail(err, errlen, -EINVAL, "block %llu is present in part, but its sector bitmap is not",
					 (unsigned long long)b);
		if (!(v->bitmap[c] = img_alloc_buf(VHDX_MiB)))
			return util_fail(err, errlen, -ENOMEM, "out of memory for a sector bitmap");
		r = img_pread(v->img.file, v->bitmap[c], VHDX_MiB, vhdx_bat_offset(e));
		if (r < 0)
			return util_fail(err, errlen, r, "reading the sector bitmap of chunk %llu: %s", (unsigned long long)c,
					 strerror(-r));
	}
	return 0;
}

static int vhdx_load(struct vhdx *v, struct loop *loop, const char *path, enum blk_cache cache, unsigned depth,
		     struct blk_image_desc *desc, char *err, size_t errlen)
{
	struct blk *file = v->img.file;
	uint64_t file_size = img_file_size(file);
	uint8_t *buf = img_alloc_buf(VHDX_REGION_TABLE_SIZE), *meta = NULL;
	uint8_t *h2;
	char e1[256] = "", e2[256] = "";
	int current = 0, r;
	uint64_t end;

	if (!buf)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	if (file_size < VHDX_HEADER_AREA) {
		free(buf);
		return util_fail(err, errlen, -EINVAL, "truncated: %llu bytes, fewer than the VHDX headers' 1 MiB",
				 (unsigned long long)file_size);
	}
	/* Headers 1 and 2 (4 KiB each) into one buffer. */
	h2 = buf + VHDX_HEADER_SIZE;
	r = img_pread(file, buf, 4096, 0) == 0 && vhdx_is_file_id(buf, 8) ? 0 : -EINVAL;
	if (r < 0) {
		free(buf);
		return util_fail(err, errlen, r, "not a VHDX image (no \"vhdxfile\" identifier)");
	}
	if ((r = img_pread(file, buf, VHDX_HEADER_SIZE, VHDX_HEADER1_OFFSET)) < 0 ||
	    (r = img_pread(file, h2, VHDX_HEADER_SIZE, VHDX_HEADER2_OFFSET)) < 0) {
		free(buf);
		return util_fail(err, errlen, r, "reading its headers: %s", strerror(-r));
	}
	r = vhdx_pick_header(buf, h2, file_size, &v->hdr, &current, err, errlen);
	if (r == 0 && (memcmp(v->hdr.log_guid, (uint8_t[16]){ 0 }, 16)))
		r = replay_log(v, current, file_size, err, errlen);
	file_size = img_file_size(file);
	/* The region table: the first copy, or the second if the first is damaged. */
	if (r == 0 && (r = img_pread(file, buf, VHDX_REGION_TABLE_SIZE, VHDX_REGION1_OFFSET)) < 0)
		util_fail(err, errlen, r, "reading its region table: %s", strerror(-r));
	if (r == 0 && vhdx_parse_region_table(buf, file_size, &v->hdr, &v->reg, e1, sizeof(e1)) < 0) {
		if ((r = img_pread(file, buf, VHDX_REGION_TABLE_SIZE, VHDX_REGION2_OFFSET)) < 0)
			util_fail(err, errlen, r, "reading its region table: %s", strerror(-r));
		else if ((r = vhdx_parse_region_table(buf, file_size, &v->hdr, &v->reg, e2, sizeof(e2))) < 0)
			util_fail(err, errlen, r, "no valid region table: table 1: %s; table 2: %s", e1, e2);
	}
	free(buf);
	if (r < 0)
		return r;
	if (v->reg.meta_length > VHDX_METADATA_MAX)
		return util_fail(err, errlen, -ENOTSUP, "a metadata region of %llu bytes (hvkvm reads at most %llu)",
				 (unsigned long long)v->reg.meta_length, (unsigned long long)VHDX_METADATA_MAX);
	meta = img_alloc_buf(v->reg.meta_length);
	if (!meta)
		return util_fail(err, errlen, -ENOMEM, "out of memory for its metadata");
	r = img_pread(file, meta, v->reg.meta_length, v->reg.meta_offset);
	if (r < 0)
		util_fail(err, errlen, r, "reading its metadata: %s", strerror(-r));
	else
		r = vhdx_parse_metadata(meta, v->reg.meta_length, &v->meta, err, errlen);
	free(meta);
	if (r < 0)
		return r;
	r = vhdx_geometry(&v->meta, &v->reg, &v->geom, err, errlen);
	if (r < 0)
		return r;
	v->bat = img_alloc_buf(v->reg.bat_length);
	if (!v->bat)
		return util_fail(err, errlen, -ENOMEM, "out of memory for its BAT (%llu bytes)",
				 (unsigned long long)v->reg.bat_length);
	r = img_pread(file, v->bat, v->reg.bat_length, v->reg.bat_offset);
	if (r < 0)
		return util_fail(err, errlen, r, "reading its BAT: %s", strerror(-r));
	r = vhdx_check_bat(v->bat, &v->geom, &v->meta, &v->reg, &v->hdr, file_size, err, errlen);
	if (r < 0)
		return r;
	if (v->meta.has_parent) {
		r = load_bitmaps(v, err, errlen);
		if (r < 0)
			return r;
		r = open_parent(v, loop, path, cache, depth, err, errlen);
		if (r < 0)
			return r;
		v->img.fmt = &vhdx_diff_format;
	}
	/* New blocks go past everything there is. */
	end = file_size;
	if (v->hdr.log_offset + v->hdr.log_length > end)
		end = v->hdr.log_offset + v->hdr.log_length;
	if (v->reg.bat_offset + v->reg.bat_length > end)
		end = v->reg.bat_offset + v->reg.bat_length;
	if (v->reg.meta_offset + v->reg.meta_length > end)
		end = v->reg.meta_offset + v->reg.meta_length;
	v->file_end = (end + VHDX_MiB - 1) / VHDX_MiB * VHDX_MiB;
	if (!file->info.readonly) {
		new_guid(v->hdr.file_write_guid);
		new_guid(v->hdr.data_write_guid);
		r = write_headers(v, &v->hdr, current);
		if (r < 0)
			return util_fail(err, errlen, r, "writing its headers: %s", strerror(-r));
	}
	v->img.block_size = v->meta.block_size;
	v->img.blk.info.size = v->meta.virtual_size;
	v->img.blk.info.logical_block = v->meta.logical_sector;
	v->img.blk.info.physical_block = v->meta.physical_sector;
	if (v->img.blk.info.dma_align > 1 && v->img.blk.info.dma_align < v->meta.logical_sector)
		v->img.blk.info.dma_align = v->meta.logical_sector;
	desc->size = v->meta.virtual_size;
	/* A fixed image says its blocks stay where they are: its space is not given back.
	 * A differencing one cannot make a block read as zeroes but by writing them. */
	desc->subformat = v->meta.has_parent ? "differencing" : v->meta.leave_blocks_allocated ? "fixed" : "dynamic";
	if (v->meta.leave_blocks_allocated || v->meta.has_parent)
		v->img.blk.info.discard = false;
	desc->parent = v->parent_path;
	guid_text(v->hdr.data_write_guid, desc->linkage);
	return 0;
}

int blk_vhdx_open(struct blk **out, struct blk *file, struct loop *loop, const char *path, enum blk_cache cache,
		  unsigned depth, struct blk_image_desc *desc, char *err, size_t errlen)
{
	struct vhdx *v = calloc(1, sizeof(*v));
	int r;

	if (!v || !(v->zero = img_alloc_buf(4096))) {
		free(v);
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	}
	img_init(&v->img, file, &vhdx_format);
	r = vhdx_load(v, loop, path, cache, depth, desc, err, errlen);
	if (r < 0) {
		blk_close(v->img.parent);
		vhdx_close(&v->img);
		return r;
	}
	*out = &v->img.blk;
	return 0;
}
