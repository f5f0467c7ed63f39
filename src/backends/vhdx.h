/* SPDX-License-Identifier: MIT */
/*
 * VHDX parsing: pure functions over buffers the caller read from the file, so that
 * each structure can be tested and fuzzed alone. Every function checks what it is
 * given against the specification and the file's size, and on failure returns a
 * negative errno with a phrase naming what is wrong ("header 1: bad checksum"), which
 * the caller prefixes with the file's name.
 */
#ifndef HVKVM_VHDX_H
#define HVKVM_VHDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhdx_proto.h"

extern const uint8_t vhdx_guid_bat[16], vhdx_guid_metadata[16];
extern const uint8_t vhdx_guid_file_parameters[16], vhdx_guid_virtual_disk_size[16],
	vhdx_guid_virtual_disk_id[16], vhdx_guid_logical_sector_size[16],
	vhdx_guid_physical_sector_size[16], vhdx_guid_parent_locator[16], vhdx_guid_locator_type_vhdx[16];

/* The file identifier: at least 8 bytes of the file's start. */
bool vhdx_is_file_id(const void *buf, size_t len);

/* A header that passed its checks. */
struct vhdx_hdr {
	uint64_t sequence_number;
	uint8_t file_write_guid[16];
	uint8_t data_write_guid[16];
	uint8_t log_guid[16];
	uint32_t log_length;
	uint64_t log_offset;
};

/* One 4 KiB header. */
int vhdx_parse_header(const void *buf, struct vhdx_hdr *out, char *err, size_t errlen);
/* The current header of the two (4 KiB each): the valid one with the higher sequence
 * number. *which is 0 or 1. Fails only when neither is valid (both reasons given). */
int vhdx_pick_header(const void *h1, const void *h2, uint64_t file_size, struct vhdx_hdr *out, int *which,
		     char *err, size_t errlen);
/* A header's 4 KiB image of h, checksummed. */
void vhdx_build_header(const struct vhdx_hdr *h, void *buf);

struct vhdx_regions {
	uint64_t bat_offset, bat_length;
	uint64_t meta_offset, meta_length;
};

/* One 64 KiB region table; regions must lie inside the file, apart from each other
 * and from the log. */
int vhdx_parse_region_table(const void *buf, uint64_t file_size, const struct vhdx_hdr *h,
			    struct vhdx_regions *out, char *err, size_t errlen);

#define VHDX_LOCATOR_VALUE_MAX	1024	/* bytes of UTF-8, with the NUL */

struct vhdx_meta {
	uint32_t block_size;
	bool leave_blocks_allocated;
	bool has_parent;
	uint64_t virtual_size;
	uint8_t disk_id[16];		/* page 83 data */
	uint32_t logical_sector;
	uint32_t physical_sector;
	/* Parent locator (has_parent): the keys hvkvm uses, UTF-8, "" if absent. */
	char parent_linkage[64];
	char parent_linkage2[64];
	char relative_path[VHDX_LOCATOR_VALUE_MAX];
	char volume_path[VHDX_LOCATOR_VALUE_MAX];
	char absolute_win32_path[VHDX_LOCATOR_VALUE_MAX];
};

/* The metadata region, len bytes (its length in the region table). */
int vhdx_parse_metadata(const void *buf, size_t len, struct vhdx_meta *out, char *err, size_t errlen);
/* One parent locator item on its own (vhdx_parse_metadata calls it). */
int vhdx_parse_parent_locator(const void *buf, size_t len, struct vhdx_meta *out, char *err, size_t errlen);

struct vhdx_geom {
	uint64_t chunk_ratio;		/* payload blocks per sector-bitmap block */
	uint64_t data_blocks;
	uint64_t bitmap_blocks;
	uint64_t bat_entries;
};

/* Derived sizes; checks that the BAT region holds them. */
int vhdx_geometry(const struct vhdx_meta *m, const struct vhdx_regions *r, struct vhdx_geom *out,
		  char *err, size_t errlen);

/* BAT index of payload block i, and of the sector bitmap of chunk c. */
static inline uint64_t vhdx_bat_payload_index(const struct vhdx_geom *g, uint64_t i)
{
	return i + i / g->chunk_ratio;
}

static inline uint64_t vhdx_bat_bitmap_index(const struct vhdx_geom *g, uint64_t c)
{
	return c * (g->chunk_ratio + 1) + g->chunk_ratio;
}

static inline unsigned vhdx_bat_state(uint64_t e)
{
	return (unsigned)(e & VHDX_BAT_STATE_MASK);
}

static inline uint64_t vhdx_bat_offset(uint64_t e)
{
	return (e >> VHDX_BAT_OFFSET_SHIFT) << 20;
}

/* The whole BAT (bat_entries little-endian entries): states, offsets inside the file,
 * no block overlapping another or the log and regions. */
int vhdx_check_bat(const uint64_t *bat, const struct vhdx_geom *g, const struct vhdx_meta *m,
		   const struct vhdx_regions *r, const struct vhdx_hdr *h, uint64_t file_size,
		   char *err, size_t errlen);

/* ---- the log ---------------------------------------------------------------------- */

struct vhdx_log_seq {
	unsigned count;			/* 0: nothing to replay */
	uint8_t log_guid[16];
	uint64_t tail;			/* offset in the log of the first entry */
	uint64_t head;			/* of the last */
	uint64_t first_seq, last_seq;
	uint64_t flushed_file_offset;	/* the head's */
	uint64_t last_file_offset;
};

/* The active sequence of the log (log_len bytes, the whole log region) for log_guid:
 * the valid run of entries whose head has the highest sequence number, from the head's
 * tail. count 0 if no entry is valid. */
int vhdx_log_find(const void *log, size_t log_len, const uint8_t log_guid[16], struct vhdx_log_seq *out,
		  char *err, size_t errlen);

/* Called for each write of the replay, in order: len bytes at file_offset, data NULL
 * for zeroes. 0 or -errno (which stops the replay). */
typedef int (*vhdx_log_apply_fn)(void *opaque, uint64_t file_offset, const void *data, uint64_t len);

/* Replay seq: the writes its entries describe, oldest first. file_size: the file's
 * size now (shorter than the head's FlushedFileOffset means the file lost data). */
int vhdx_log_replay(const void *log, size_t log_len, const struct vhdx_log_seq *seq, uint64_t file_size,
		    vhdx_log_apply_fn fn, void *opaque, char *err, size_t errlen);

/* A log entry for writes of whole 4 KiB sectors (for tests and for writing through
 * the log): n sectors of data at offsets[i]; writes the entry into out (its size is
 * returned by vhdx_log_entry_size) and returns its length. */
size_t vhdx_log_entry_size(unsigned n);
size_t vhdx_log_build_entry(void *out, const uint8_t log_guid[16], uint64_t seq, uint32_t tail,
			    uint64_t flushed_file_offset, uint64_t last_file_offset, const uint64_t *offsets,
			    const void *const *sectors, unsigned n);

#endif
