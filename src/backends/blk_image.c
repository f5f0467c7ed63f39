/* SPDX-License-Identifier: MIT */
/* Picking an image's format and opening it (blk_img.h). */
#include "blk_img.h"
#include "log.h"
#include "util.h"
#include "vhd.h"
#include "vhdx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *blk_format_name(enum blk_format f)
{
	switch (f) {
	case BLK_FORMAT_RAW: return "raw";
	case BLK_FORMAT_VHD: return "vhd";
	case BLK_FORMAT_VHDX: return "vhdx";
	default: return "auto";
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcasecmp(s + n - k, suffix) && s[n - k - 1] != '/';
}

int blk_format_pick(const char *path, enum blk_format given, const void *head, size_t headlen, const void *tail,
		    size_t taillen, enum blk_format *out, const char **note, char *err, size_t errlen)
{
	bool is_vhdx = vhdx_is_file_id(head, headlen);
	/* A dynamic VHD has the footer's copy at the start too. */
	bool is_vhd = (taillen >= 512 && vhd_is_footer(tail, taillen)) || vhd_is_footer(head, headlen);

	*note = NULL;
	if (given != BLK_FORMAT_AUTO) {
		*out = given;
		return 0;
	}
	/* A raw image's contents are the guest's: whatever they look like, they are never
	 * taken for a format's structures. */
	if (ends_with(path, ".img") || ends_with(path, ".raw")) {
		*out = BLK_FORMAT_RAW;
		return 0;
	}
	if (ends_with(path, ".vhdx")) {
		if (!is_vhdx)
			return util_fail(err, errlen, -EINVAL,
					 "named .vhdx but not a VHDX image (no \"vhdxfile\" identifier); format=raw uses it as a raw image");
		*out = BLK_FORMAT_VHDX;
		return 0;
	}
	if (ends_with(path, ".vhd")) {
		if (!is_vhd)
			return util_fail(err, errlen, -EINVAL,
					 "named .vhd but not a VHD image (no \"conectix\" footer); format=raw uses it as a raw image");
		*out = BLK_FORMAT_VHD;
		return 0;
	}
	*out = BLK_FORMAT_RAW;
	if (is_vhdx)
		*note = "it looks like a VHDX image; it is used as a raw image unless it is named .vhdx or given format=vhdx";
	else if (is_vhd)
		*note = "it looks like a VHD image; it is used as a raw image unless it is named .vhd or given format=vhd";
	return 0;
}

/* ---- synchronous I/O at open time ------------------------------------------------- */

static int file_fd(struct blk *file)
{
	return ((struct blk_file *)file)->fd;
}

int img_pread(struct blk *file, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(file_fd(file), (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int img_pwrite(struct blk *file, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(file_fd(file), (const uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		done += (size_t)r;
	}
	return 0;
}

int img_fsync(struct blk *file)
{
	return fdatasync(file_fd(file)) < 0 ? -errno : 0;
}

uint64_t img_file_size(struct blk *file)
{
	struct stat st;

	if (fstat(file_fd(file), &st) < 0)
		return 0;
	return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : file->info.size;	/* a block device's */
}

void *img_alloc_buf(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len ? len : 1))
		return NULL;
	memset(p, 0, len);
	return p;
}

/* ---- opening ---------------------------------------------------------------------- */

int blk_image_open(struct blk **out, struct loop *loop, const char *path, enum blk_format format, bool readonly,
		   enum blk_cache cache, struct blk_image_desc *desc, char *err, size_t errlen)
{
	return blk_image_open_depth(out, loop, path, format, readonly, cache, 0, desc, err, errlen);
}

int blk_image_open_depth(struct blk **out, struct loop *loop, const char *path, enum blk_format format,
			 bool readonly, enum blk_cache cache, unsigned depth, struct blk_image_desc *desc, char *err,
			 size_t errlen)
{
	struct blk *file;
	enum blk_format f = format;
	const char *note = NULL;
	int r;

	*out = NULL;
	memset(desc, 0, sizeof(*desc));
	r = blk_open(&file, loop, path, readonly, cache, err, errlen);
	if (r < 0)
		return r;
	if (format == BLK_FORMAT_AUTO && !ends_with(path, ".img") && !ends_with(path, ".raw")) {
		uint64_t size = file->info.size;
		uint8_t *head = img_alloc_buf(4096), *tail = img_alloc_buf(4096);
		size_t hl = size < 4096 ? (size_t)(size & ~511ull) : 4096;
		/* Whole 4 KiB where that is possible, for O_DIRECT on 4 KiB-sector devices. */
		size_t tl = size >= 4096 && size % 4096 == 0 ? 4096 : size >= 512 && size % 512 == 0 ? 512 : 0;

		if (!head || !tail) {
			r = util_fail(err, errlen, -ENOMEM, "out of memory");
		} else {
			r = hl ? img_pread(file, head, hl, 0) : 0;
			if (r == 0 && tl)
				r = img_pread(file, tail, tl, size - tl);
			if (r < 0)
				util_fail(err, errlen, r, "reading its first and last sectors: %s", strerror(-r));
			else
				r = blk_format_pick(path, format, head, hl, tl ? tail + tl - 512 : tail, tl ? 512 : 0, &f,
						    &note, err, errlen);
		}
		free(head);
		free(tail);
		if (r < 0) {
			blk_close(file);
			return r;
		}
		if (note)
			log_warn("%s: %s", path, note);
	}
	desc->format = f == BLK_FORMAT_AUTO ? BLK_FORMAT_RAW : f;
	switch (desc->format) {
	case BLK_FORMAT_VHDX:
		r = blk_vhdx_open(out, file, loop, path, cache, depth, desc, err, errlen);
		break;
	case BLK_FORMAT_VHD:
		r = blk_vhd_open(out, file, desc, err, errlen);
		break;
	default:
		desc->size = file->info.size;
		*out = file;
		return 0;
	}
	if (r < 0)
		blk_close(file);
	return r;
}
