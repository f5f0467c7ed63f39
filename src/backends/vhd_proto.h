/* SPDX-License-Identifier: MIT */
/*
 * The VHD file format (Microsoft's "Virtual Hard Disk Image Format Specification"):
 * big-endian structures. A fixed image is the disk's bytes followed by a 512-byte
 * footer; a dynamic one starts with a copy of the footer, then a dynamic header, the
 * BAT (one 32-bit sector number per block) and blocks, each a sector bitmap followed by
 * the block's data, and ends with the footer.
 */
#ifndef HVKVM_VHD_PROTO_H
#define HVKVM_VHD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VHD_FOOTER_COOKIE	"conectix"
#define VHD_DYN_COOKIE		"cxsparse"
#define VHD_SECTOR		512
#define VHD_VERSION		0x00010000u
#define VHD_FEATURES_RESERVED	0x00000002u
#define VHD_NO_DATA_OFFSET	0xffffffffffffffffull
#define VHD_BAT_UNUSED		0xffffffffu

#define VHD_TYPE_FIXED		2
#define VHD_TYPE_DYNAMIC	3
#define VHD_TYPE_DIFFERENCING	4

struct vhd_footer {
	char cookie[8];
	uint32_t features;
	uint32_t file_format_version;
	uint64_t data_offset;		/* the dynamic header; all ones for a fixed image */
	uint32_t timestamp;		/* seconds since 2000-01-01 UTC */
	char creator_app[4];
	uint32_t creator_version;
	uint32_t creator_host_os;
	uint64_t original_size;
	uint64_t current_size;
	uint16_t cylinders;
	uint8_t heads;
	uint8_t sectors_per_track;
	uint32_t disk_type;
	uint32_t checksum;		/* ones' complement of the byte sum without this field */
	uint8_t unique_id[16];
	uint8_t saved_state;
	uint8_t reserved[427];
} __attribute__((packed));
_Static_assert(sizeof(struct vhd_footer) == 512, "VHD footer");
_Static_assert(offsetof(struct vhd_footer, current_size) == 48, "VHD footer CurrentSize");
_Static_assert(offsetof(struct vhd_footer, checksum) == 64, "VHD footer Checksum");

struct vhd_parent_locator {
	uint32_t platform_code;
	uint32_t platform_data_space;
	uint32_t platform_data_length;
	uint32_t reserved;
	uint64_t platform_data_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct vhd_parent_locator) == 24, "VHD parent locator entry");

struct vhd_dyn_header {
	char cookie[8];
	uint64_t data_offset;		/* all ones */
	uint64_t table_offset;		/* the BAT */
	uint32_t header_version;
	uint32_t max_table_entries;
	uint32_t block_size;
	uint32_t checksum;
	uint8_t parent_unique_id[16];
	uint32_t parent_timestamp;
	uint32_t reserved;
	uint8_t parent_unicode_name[512];	/* UTF-16BE */
	struct vhd_parent_locator parent_locator[8];
	uint8_t reserved2[256];
} __attribute__((packed));
_Static_assert(sizeof(struct vhd_dyn_header) == 1024, "VHD dynamic disk header");
_Static_assert(offsetof(struct vhd_dyn_header, checksum) == 36, "VHD dynamic header Checksum");
_Static_assert(offsetof(struct vhd_dyn_header, parent_locator) == 576, "VHD dynamic header locators");

#endif
