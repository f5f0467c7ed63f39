/* SPDX-License-Identifier: MIT */
/*
 * VHD parsing: pure functions over buffers the caller read, each checking what it is
 * given against the specification and the file's size; on failure a negative errno
 * and a phrase naming what is wrong, which the caller prefixes with the file's name.
 */
#ifndef HVKVM_VHD_H
#define HVKVM_VHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhd_proto.h"

struct vhd_info {
	uint32_t disk_type;		/* VHD_TYPE_* */
	uint64_t size;			/* the disk's, bytes: CurrentSize */
	uint64_t dyn_offset;		/* dynamic: the dynamic header */
	uint8_t unique_id[16];
	/* dynamic */
	uint64_t bat_offset;
	uint32_t bat_entries;
	uint32_t block_size;
	uint32_t bitmap_size;		/* bytes before each block's data, whole sectors */
};

/* A footer (512 bytes): cookie, checksum, version, type, sizes. */
bool vhd_is_footer(const void *buf, size_t len);
int vhd_parse_footer(const void *buf, uint64_t file_size, struct vhd_info *out, char *err, size_t errlen);
/* Checksum of a footer or dynamic header (len bytes, checksum field at csum_at). */
uint32_t vhd_checksum(const void *buf, size_t len, size_t csum_at);
/* The dynamic header (1024 bytes) of a dynamic image whose footer is parsed in info. */
int vhd_parse_dyn_header(const void *buf, uint64_t file_size, struct vhd_info *info, char *err, size_t errlen);
/* The BAT (bat_entries big-endian entries): blocks inside the file, before the
 * footer, apart from each other and from the headers and BAT. */
int vhd_check_bat(const uint32_t *bat, const struct vhd_info *info, uint64_t file_size, char *err, size_t errlen);

#endif
