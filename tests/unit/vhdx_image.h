/* SPDX-License-Identifier: MIT */
/*
 * VHDX and VHD images built in memory, the way the specifications lay them out, for
 * the parsers' tests and the fuzz targets' seeds; and checksum fix-ups for tests that
 * damage one field and want only that field to be wrong.
 */
#ifndef HVKVM_TEST_VHDX_IMAGE_H
#define HVKVM_TEST_VHDX_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the built VHDX puts things. */
#define TVX_LOG_OFFSET	(1u << 20)
#define TVX_LOG_LENGTH	(1u << 20)
#define TVX_BAT_OFFSET	(2u << 20)

struct tvx_layout {
	uint64_t bat_offset, bat_length;
	uint64_t meta_offset, meta_length;
	uint64_t data_offset;		/* the first byte past the metadata: blocks go here */
	uint64_t bat_entries, chunk_ratio;
};

/*
 * A dynamic VHDX with no block allocated (len: the file's size), or with fixed every
 * block allocated after the metadata. parent: a differencing image with a parent
 * locator naming parent as its relative path. malloc'd.
 */
uint8_t *tvx_build(uint64_t virtual_size, uint32_t block_size, uint32_t logical_sector, bool fixed,
		   const char *parent, size_t *len, struct tvx_layout *lay);

/* Recompute the CRC-32C at offset 4 of a header (4 KiB), region table (64 KiB) or log
 * entry (its length). */
void tvx_fix_crc(uint8_t *p, size_t len);

/* A VHD: fixed (footer after the data) or dynamic (block_size, no block allocated). */
uint8_t *tvhd_build(uint64_t size, bool dynamic, uint32_t block_size, size_t *len);
/* Recompute a VHD footer's (512) or dynamic header's (1024) checksum. */
void tvhd_fix_footer(uint8_t *footer);
void tvhd_fix_dyn(uint8_t *dyn);

#endif
