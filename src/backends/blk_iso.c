/* SPDX-License-Identifier: MIT */
/* CD/DVD media (blk_iso.h). */
#include "blk_iso.h"
#include "blk_file.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>

int blk_iso_open(struct blk **out, struct loop *loop, const char *path, char *err, size_t errlen)
{
	struct blk *b;
	uint64_t size;
	int r;

	r = blk_open(&b, loop, path, true, BLK_CACHE_WRITEBACK, err, errlen);
	if (r < 0)
		return r;
	size = b->info.size;
	if (size == 0 || size % BLK_ISO_SECTOR || size / BLK_ISO_SECTOR > 0xffffffffULL) {
		blk_close(b);
		if (size == 0)
			return util_fail(err, errlen, -EINVAL, "not a CD/DVD image: the file is empty");
		return util_fail(err, errlen, -EINVAL,
				 "not a CD/DVD image: its size (%llu bytes) is not a whole number of 2048-byte sectors",
				 (unsigned long long)size);
	}
	b->info.logical_block = BLK_ISO_SECTOR;
	b->info.physical_block = BLK_ISO_SECTOR;
	b->info.readonly = true;
	b->info.discard = false;
	*out = b;
	return 0;
}
