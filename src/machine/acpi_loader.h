/* SPDX-License-Identifier: MIT */
/*
 * The "etc/table-loader" script that QEMU-style firmware (OVMF, SeaBIOS) runs over
 * fw_cfg files to place ACPI tables: allocate each blob in guest memory, add blob
 * base addresses to the blob-relative pointers inside them, then fix checksums.
 * Commands are 128 bytes each, little-endian.
 *
 * The builder knows every blob it allocated (name, size, contents) and refuses
 * commands the firmware would reject or misapply: unknown files, pointers or
 * checksums outside their blob, pointer sizes other than 1/2/4/8, a pointer whose
 * current value lies outside the pointee, a checksum byte outside its range or not
 * zero (OVMF sums the range including it). So a blob's contents must be final
 * before commands naming it are added; the builder keeps a pointer to them.
 */
#ifndef HVKVM_ACPI_LOADER_H
#define HVKVM_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_LOADER_FNAME_SIZE		56	/* with the terminating NUL */
#define ACPI_LOADER_ENTRY_SIZE		128
#define ACPI_LOADER_MAX_BLOBS		16
#define ACPI_LOADER_MAX_ALIGN		4096	/* OVMF refuses more */

#define ACPI_LOADER_ALLOCATE		1
#define ACPI_LOADER_ADD_POINTER		2
#define ACPI_LOADER_ADD_CHECKSUM	3
#define ACPI_LOADER_WRITE_POINTER	4

#define ACPI_LOADER_ZONE_HIGH		1
#define ACPI_LOADER_ZONE_FSEG		2

/* Offsets inside one command. */
#define ACPI_LOADER_OFF_TYPE		0
#define ACPI_LOADER_OFF_FILE		4
#define ACPI_LOADER_OFF_FILE2		(4 + ACPI_LOADER_FNAME_SIZE)		/* 60 */
#define ACPI_LOADER_OFF_ALLOC_ALIGN	(4 + ACPI_LOADER_FNAME_SIZE)		/* 60 */
#define ACPI_LOADER_OFF_ALLOC_ZONE	(8 + ACPI_LOADER_FNAME_SIZE)		/* 64 */
#define ACPI_LOADER_OFF_PTR_OFFSET	(4 + 2 * ACPI_LOADER_FNAME_SIZE)	/* 116 */
#define ACPI_LOADER_OFF_PTR_SIZE	(8 + 2 * ACPI_LOADER_FNAME_SIZE)	/* 120 */
#define ACPI_LOADER_OFF_CSUM_RESULT	(4 + ACPI_LOADER_FNAME_SIZE)		/* 60 */
#define ACPI_LOADER_OFF_CSUM_START	(8 + ACPI_LOADER_FNAME_SIZE)		/* 64 */
#define ACPI_LOADER_OFF_CSUM_LENGTH	(12 + ACPI_LOADER_FNAME_SIZE)		/* 68 */
#define ACPI_LOADER_OFF_WP_DST_OFFSET	(4 + 2 * ACPI_LOADER_FNAME_SIZE)	/* 116 */
#define ACPI_LOADER_OFF_WP_SRC_OFFSET	(8 + 2 * ACPI_LOADER_FNAME_SIZE)	/* 120 */
#define ACPI_LOADER_OFF_WP_SIZE		(12 + 2 * ACPI_LOADER_FNAME_SIZE)	/* 124 */

struct acpi_loader_blob {
	char name[ACPI_LOADER_FNAME_SIZE];
	const uint8_t *data;	/* borrowed: the fw_cfg file's contents */
	uint32_t size;
};

struct acpi_loader {
	uint8_t *buf;		/* the script */
	size_t len, cap;
	struct acpi_loader_blob blob[ACPI_LOADER_MAX_BLOBS];
	unsigned nblobs;
};

void acpi_loader_init(struct acpi_loader *l);
void acpi_loader_free(struct acpi_loader *l);

/*
 * Each returns 0 or: -EINVAL for a command the firmware would refuse or misapply
 * (the script is left unchanged), -ENOSPC past ACPI_LOADER_MAX_BLOBS, -ENOMEM.
 */

/* Allocate blob name (size bytes at data, size >= 1) at align (a power of two,
 * at most 4096) in zone ACPI_LOADER_ZONE_*. */
int acpi_loader_allocate(struct acpi_loader *l, const char *name, const void *data,
			 size_t size, uint32_t align, uint8_t zone);
/* Add the base of blob src to the size-byte little-endian value at dst_off in blob
 * dst; that value must be an offset inside src. */
int acpi_loader_add_pointer(struct acpi_loader *l, const char *dst, uint32_t dst_off,
			    uint8_t size, const char *src);
/* Store at result_off the checksum that makes [start, start+len) of blob file sum
 * to zero; the byte must lie in that range and be zero now. */
int acpi_loader_add_checksum(struct acpi_loader *l, const char *file, uint32_t result_off,
			     uint32_t start, uint32_t len);
/* Write the guest address of src_off in blob src, size bytes, at dst_off into the
 * writable fw_cfg file dst (dst_size bytes long; not an allocated blob). */
int acpi_loader_write_pointer(struct acpi_loader *l, const char *dst, uint32_t dst_size,
			      uint32_t dst_off, uint8_t size, const char *src,
			      uint32_t src_off);

#endif
