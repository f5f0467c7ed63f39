/* SPDX-License-Identifier: MIT */
/*
 * VHD images (vhd.h parses them). A fixed image is the disk followed by its footer: its
 * blocks map one to one. A dynamic image gets new blocks where its footer was: the
 * block's sector bitmap (all present) and data, then the footer again after them; the
 * copy of the footer at the file's start keeps the image readable while the one at
 * the end moves. blk_img.c orders these writes before the BAT's.
 */
#include "blk_img.h"
#include "util.h"
#include "vhd.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VHD_FIXED_BLOCK		(2u << 20)	/* how requests on a fixed image are split */

struct vhd {
	struct img img;			/* first member */
	struct vhd_info info;
	uint32_t *bat;			/* big-endian entries, whole sectors of the file */
	uint64_t bat_bytes;
	uint64_t footer_off;		/* the footer at the end; new blocks go here */
	uint8_t *footer;		/* 512 bytes */
	uint8_t *bitmap;		/* a block's sector bitmap, all present */
};

static struct vhd *vhd_of(struct img *im)
{
	return (struct vhd *)im;
}

static uint64_t vhd_fixed_lookup(struct img *im, uint64_t b)
{
	return b * im->block_size;
}

static uint64_t vhd_lookup(struct img *im, uint64_t b)
{
	struct vhd *v = vhd_of(im);
	uint32_t e = be32toh(v->bat[b]);

	return e == VHD_BAT_UNUSED ? IMG_UNMAPPED : (uint64_t)e * VHD_SECTOR + v->info.bitmap_size;
}

static int vhd_fixed_prepare(struct img *im, struct img_alloc *a)
{
	(void)im;
	(void)a;
	return -EIO;	/* every block of a fixed image is there */
}

static int vhd_alloc_prepare(struct img *im, struct img_alloc *a)
{
	struct vhd *v = vhd_of(im);
	uint64_t start = v->footer_off;

	if (start / VHD_SECTOR > 0xfffffffeull)
		return -EFBIG;	/* past what a BAT entry can name */
	a->data_off = start + v->info.bitmap_size;
	v->footer_off = a->data_off + v->info.block_size;
	a->prep[0].off = start;
	a->prep[0].buf = v->bitmap;
	a->prep[0].len = v->info.bitmap_size;
	a->prep[1].off = v->footer_off;
	a->prep[1].buf = v->footer;
	a->prep[1].len = VHD_SECTOR;
	a->nprep = 2;
	return 0;
}

static void vhd_alloc_commit(struct img *im, struct img_alloc *a, uint64_t *off, uint64_t *len, void **buf)
{
	struct vhd *v = vhd_of(im);
	uint64_t at = (a->block * 4) & ~(uint64_t)(VHD_SECTOR - 1);

	v->bat[a->block] = htobe32((uint32_t)((a->data_off - v->info.bitmap_size) / VHD_SECTOR));
	*off = v->info.bat_offset + at;
	*len = VHD_SECTOR;
	*buf = (uint8_t *)v->bat + at;
}

static void vhd_close(struct img *im)
{
	struct vhd *v = vhd_of(im);

	free(v->bat);
	free(v->footer);
	free(v->bitmap);
	free(v);
}

static const struct img_format vhd_fixed_format = {
	.name = "VHD",
	.lookup = vhd_fixed_lookup,
	.alloc_prepare = vhd_fixed_prepare,
	.close = vhd_close,
};

static const struct img_format vhd_dynamic_format = {
	.name = "VHD",
	.lookup = vhd_lookup,
	.alloc_prepare = vhd_alloc_prepare,
	.alloc_commit = vhd_alloc_commit,
	.close = vhd_close,
	.one_alloc = true,
};

static int vhd_load(struct vhd *v, struct blk_image_desc *desc, char *err, size_t errlen)
{
	struct blk *file = v->img.file;
	uint64_t file_size = img_file_size(file);
	uint8_t *dyn;
	char e1[160];
	bool end_ok;
	int r;

	if (file_size < VHD_SECTOR || file_size % VHD_SECTOR)
		return util_fail(err, errlen, -EINVAL, "%llu bytes: not a whole number of sectors with a footer",
				 (unsigned long long)file_size);
	r = img_pread(file, v->footer, VHD_SECTOR, file_size - VHD_SECTOR);
	if (r < 0)
		return util_fail(err, errlen, r, "reading its footer: %s", strerror(-r));
	end_ok = vhd_parse_footer(v->footer, file_size, &v->info, e1, sizeof(e1)) == 0;
	if (!end_ok) {
		/* A dynamic image's copy at the start stands in for a damaged footer. */
		r = img_pread(file, v->footer, VHD_SECTOR, 0);
		if (r < 0)
			return util_fail(err, errlen, r, "reading its first sector: %s", strerror(-r));
		if (!vhd_is_footer(v->footer, VHD_SECTOR))
			return util_fail(err, errlen, -EINVAL, "%s", e1);
		r = vhd_parse_footer(v->footer, file_size, &v->info, err, errlen);
		if (r < 0)
			return r;
		if (v->info.disk_type != VHD_TYPE_DYNAMIC)
			return util_fail(err, errlen, -EINVAL, "%s", e1);
	}
	v->img.blk.info.size = v->info.size;
	v->img.blk.info.logical_block = VHD_SECTOR;
	v->img.blk.info.physical_block = 4096;
	desc->size = v->info.size;
	if (v->info.disk_type == VHD_TYPE_FIXED) {
		v->img.fmt = &vhd_fixed_format;
		v->img.block_size = VHD_FIXED_BLOCK;
		desc->subformat = "fixed";
		return 0;
	}
	desc->subformat = "dynamic";
	dyn = img_alloc_buf(1024);
	if (!dyn)
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	r = img_pread(file, dyn, 1024, v->info.dyn_offset);
	if (r < 0)
		util_fail(err, errlen, r, "reading its dynamic header: %s", strerror(-r));
	else
		r = vhd_parse_dyn_header(dyn, file_size, &v->info, err, errlen);
	free(dyn);
	if (r < 0)
		return r;
	v->bat_bytes = ((uint64_t)v->info.bat_entries * 4 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	if (v->info.bat_offset + v->bat_bytes > file_size)
		return util_fail(err, errlen, -EINVAL, "the BAT's last sector lies past the end of the file");
	v->bat = img_alloc_buf(v->bat_bytes);
	v->bitmap = img_alloc_buf(v->info.bitmap_size);
	if (!v->bat || !v->bitmap)
		return util_fail(err, errlen, -ENOMEM, "out of memory for its BAT");
	memset(v->bitmap, 0xff, v->info.bitmap_size);
	r = img_pread(file, v->bat, v->bat_bytes, v->info.bat_offset);
	if (r < 0)
		return util_fail(err, errlen, r, "reading its BAT: %s", strerror(-r));
	r = vhd_check_bat(v->bat, &v->info, file_size, err, errlen);
	if (r < 0)
		return r;
	v->footer_off = file_size - VHD_SECTOR;
	if (!end_ok && !file->info.readonly) {
		/* Put the footer back at the end from its copy. */
		r = img_pwrite(file, v->footer, VHD_SECTOR, v->footer_off);
		if (r == 0)
			r = img_fsync(file);
		if (r < 0)
			return util_fail(err, errlen, r, "restoring its footer: %s", strerror(-r));
	}
	v->img.fmt = &vhd_dynamic_format;
	v->img.block_size = v->info.block_size;
	return 0;
}

int blk_vhd_open(struct blk **out, struct blk *file, struct blk_image_desc *desc, char *err, size_t errlen)
{
	struct vhd *v = calloc(1, sizeof(*v));
	int r;

	if (!v || !(v->footer = img_alloc_buf(VHD_SECTOR))) {
		free(v);
		return util_fail(err, errlen, -ENOMEM, "out of memory");
	}
	img_init(&v->img, file, &vhd_fixed_format);
	r = vhd_load(v, desc, err, errlen);
	if (r < 0) {
		free(v->bat);
		free(v->bitmap);
		free(v->footer);
		free(v);
		return r;
	}
	*out = &v->img.blk;
	return 0;
}
