/* SPDX-License-Identifier: MIT */
/*
 * The VHDX file format (Microsoft's "VHDX Format Specification" v1.00): the structures
 * as they lie in the file, little-endian. Names follow the specification.
 *
 *   0       file identifier (64 KiB)
 *   64 KiB  header 1, 128 KiB header 2 (4 KiB used of each 64 KiB)
 *   192 KiB region table 1, 256 KiB region table 2 (64 KiB each)
 *   then, anywhere at 1 MiB multiples: the log, the BAT region, the metadata region,
 *   payload and sector-bitmap blocks.
 */
#ifndef HVKVM_VHDX_PROTO_H
#define HVKVM_VHDX_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VHDX_KiB		1024ull
#define VHDX_MiB		(1024ull * 1024)

#define VHDX_FILE_ID_OFFSET	0
#define VHDX_HEADER1_OFFSET	(64 * VHDX_KiB)
#define VHDX_HEADER2_OFFSET	(128 * VHDX_KiB)
#define VHDX_REGION1_OFFSET	(192 * VHDX_KiB)
#define VHDX_REGION2_OFFSET	(256 * VHDX_KiB)
#define VHDX_HEADER_AREA	(1 * VHDX_MiB)	/* nothing else may lie below */

#define VHDX_FILE_SIGNATURE	"vhdxfile"
#define VHDX_HEADER_SIGNATURE	0x64616568u	/* "head" */
#define VHDX_REGION_SIGNATURE	0x69676572u	/* "regi" */
#define VHDX_METADATA_SIGNATURE	0x617461646174656dull	/* "metadata" */
#define VHDX_LOG_SIGNATURE	0x65676f6cu	/* "loge" */
#define VHDX_ZERO_SIGNATURE	0x6f72657au	/* "zero" */
#define VHDX_DESC_SIGNATURE	0x63736564u	/* "desc" */
#define VHDX_DATA_SIGNATURE	0x61746164u	/* "data" */

#define VHDX_HEADER_SIZE	(4 * VHDX_KiB)
#define VHDX_REGION_TABLE_SIZE	(64 * VHDX_KiB)
#define VHDX_REGION_MAX_ENTRIES	2047
#define VHDX_METADATA_TABLE_SIZE (64 * VHDX_KiB)
#define VHDX_METADATA_MAX_ENTRIES 2047
#define VHDX_LOG_SECTOR		(4 * VHDX_KiB)
#define VHDX_VERSION		1
#define VHDX_LOG_VERSION	0

struct vhdx_header {
	uint32_t signature;
	uint32_t checksum;		/* CRC-32C of the 4 KiB with this field 0 */
	uint64_t sequence_number;
	uint8_t file_write_guid[16];
	uint8_t data_write_guid[16];
	uint8_t log_guid[16];		/* zero: the log is empty */
	uint16_t log_version;
	uint16_t version;
	uint32_t log_length;
	uint64_t log_offset;
	uint8_t reserved[4016];
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_header) == 4096, "VHDX header");
_Static_assert(offsetof(struct vhdx_header, log_version) == 64, "VHDX header LogVersion");
_Static_assert(offsetof(struct vhdx_header, log_offset) == 72, "VHDX header LogOffset");

struct vhdx_region_table_header {
	uint32_t signature;
	uint32_t checksum;		/* CRC-32C of the 64 KiB with this field 0 */
	uint32_t entry_count;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_region_table_header) == 16, "VHDX region table header");

struct vhdx_region_entry {
	uint8_t guid[16];
	uint64_t file_offset;
	uint32_t length;
	uint32_t required;		/* bit 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_region_entry) == 32, "VHDX region table entry");

struct vhdx_metadata_table_header {
	uint64_t signature;
	uint16_t reserved;
	uint16_t entry_count;
	uint32_t reserved2[5];
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_metadata_table_header) == 32, "VHDX metadata table header");

#define VHDX_META_IS_USER		(1u << 0)
#define VHDX_META_IS_VIRTUAL_DISK	(1u << 1)
#define VHDX_META_IS_REQUIRED		(1u << 2)

struct vhdx_metadata_entry {
	uint8_t item_id[16];
	uint32_t offset;		/* from the start of the metadata region */
	uint32_t length;
	uint32_t flags;
	uint32_t reserved2;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_metadata_entry) == 32, "VHDX metadata table entry");

#define VHDX_PARAMS_LEAVE_BLOCKS_ALLOCATED	(1u << 0)
#define VHDX_PARAMS_HAS_PARENT			(1u << 1)

struct vhdx_file_parameters {
	uint32_t block_size;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_file_parameters) == 8, "VHDX file parameters");

struct vhdx_parent_locator_header {
	uint8_t locator_type[16];
	uint16_t reserved;
	uint16_t key_value_count;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_parent_locator_header) == 20, "VHDX parent locator header");

struct vhdx_parent_locator_entry {
	uint32_t key_offset;		/* from the start of the locator item */
	uint32_t value_offset;
	uint16_t key_length;		/* bytes of UTF-16LE */
	uint16_t value_length;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_parent_locator_entry) == 12, "VHDX parent locator entry");

struct vhdx_log_entry_header {
	uint32_t signature;
	uint32_t checksum;		/* CRC-32C of the whole entry with this field 0 */
	uint32_t entry_length;		/* a multiple of 4 KiB */
	uint32_t tail;			/* offset in the log of the sequence's first entry */
	uint64_t sequence_number;
	uint32_t descriptor_count;
	uint32_t reserved;
	uint8_t log_guid[16];
	uint64_t flushed_file_offset;
	uint64_t last_file_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_log_entry_header) == 64, "VHDX log entry header");

/* Both descriptor kinds are 32 bytes and share signature and the last two fields. */
struct vhdx_log_descriptor {
	uint32_t signature;
	uint32_t trailing_bytes;	/* "desc": the sector's last 4 bytes; "zero": reserved */
	uint64_t leading_bytes;		/* "desc": the sector's first 8 bytes; "zero": ZeroLength */
	uint64_t file_offset;
	uint64_t sequence_number;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_log_descriptor) == 32, "VHDX log descriptor");

struct vhdx_log_data_sector {
	uint32_t signature;
	uint32_t sequence_high;
	uint8_t data[4084];
	uint32_t sequence_low;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdx_log_data_sector) == 4096, "VHDX log data sector");

/* BAT entries: state in bits 0-2, FileOffsetMB in bits 20-63. */
#define VHDX_BAT_STATE_MASK		7ull
#define VHDX_BAT_OFFSET_SHIFT		20
#define VHDX_PAYLOAD_NOT_PRESENT	0
#define VHDX_PAYLOAD_UNDEFINED		1
#define VHDX_PAYLOAD_ZERO		2
#define VHDX_PAYLOAD_UNMAPPED		3
#define VHDX_PAYLOAD_FULLY_PRESENT	6
#define VHDX_PAYLOAD_PARTIALLY_PRESENT	7
#define VHDX_SB_NOT_PRESENT		0
#define VHDX_SB_PRESENT			6

#define VHDX_MIN_BLOCK_SIZE	(1 * VHDX_MiB)
#define VHDX_MAX_BLOCK_SIZE	(256 * VHDX_MiB)
#define VHDX_MAX_DISK_SIZE	(64ull * 1024 * 1024 * 1024 * 1024)	/* 64 TiB */
#define VHDX_CHUNK_SECTORS	(1ull << 23)	/* sectors one sector-bitmap block covers */

#endif
