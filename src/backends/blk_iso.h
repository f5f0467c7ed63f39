/* SPDX-License-Identifier: MIT */
/*
 * An ISO 9660 / UDF image (or any file of 2048-byte sectors) as the read-only medium
 * of a CD/DVD drive: a raw file (blk_file.h) with 2048-byte logical blocks.
 */
#ifndef HVKVM_BLK_ISO_H
#define HVKVM_BLK_ISO_H

#include <stddef.h>

struct blk;
struct loop;

#define BLK_ISO_SECTOR	2048

/*
 * Open path read-only (shared lock). A file that is empty or whose size is not a
 * multiple of 2048 bytes is refused (-EINVAL). On failure -errno and the reason in
 * err, which the caller prefixes with the path.
 */
int blk_iso_open(struct blk **out, struct loop *loop, const char *path, char *err, size_t errlen);

#endif
