/* SPDX-License-Identifier: MIT */
/*
 * A CFI parallel NOR flash with the Intel/Sharp command set, byte-wide, as the PC's
 * firmware flash: OVMF's code (read-only) and its variable store, whose driver
 * (OvmfPkg/QemuFlashFvbServicesRuntimeDxe) probes it with clear status (0x50) and read
 * status (0x70), programs bytes (0x10, then the byte), erases 4 KiB blocks (0x20, then
 * confirm 0xD0) and returns to read-array mode (0xFF). Also: 0x40 (program), 0x90
 * (read identifier: zeroes, as the PC's QEMU flash), 0x98 (CFI query: a table that
 * describes this device), 0x00 and 0xF0 (read array). Any other command returns to
 * read-array mode with the command-sequence error bits set in the status register.
 *
 * The array is device memory (struct gmem_devmem) that the flash maps read-only at
 * its address: in read-array mode the guest reads it without exits, and every write
 * exits to pflash_io_ops. Any command that leaves read-array mode hides the memory, so
 * that the guest's reads reach the device (status, identifier, query); returning to
 * read-array mode shows it again. Programming only clears bits (1 -> 0), as on NOR
 * flash; only an erase sets them.
 *
 * Changes reach the host through struct pflash_store_ops (a file, src/backends);
 * a flash without one keeps them in memory only.
 *
 * Guest accesses come from vCPU threads; the flash has a lock of its own.
 */
#ifndef HVKVM_PFLASH_H
#define HVKVM_PFLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "memory.h"

#define PFLASH_BLOCK_SIZE	0x1000u	/* erase block; OVMF's QEMU_FLASH_BLOCK_SIZE */

/* Status register bits (Intel's SR.7, SR.5, SR.4). */
#define PFLASH_SR_READY		0x80	/* write state machine ready */
#define PFLASH_SR_ERASE_ERR	0x20
#define PFLASH_SR_PROGRAM_ERR	0x10
#define PFLASH_SR_SEQ_ERR	(PFLASH_SR_ERASE_ERR | PFLASH_SR_PROGRAM_ERR)

/* Where the array's changes go. Called with the flash's lock held, on a vCPU thread:
 * neither may call back into the flash, and neither should wait for the disk. */
struct pflash_store_ops {
	/* The guest changed len bytes at offset off of the array to buf. 0 or -errno. */
	int (*write)(void *opaque, uint64_t off, const void *buf, size_t len);
	/* A run of changes ended (the guest returned to read-array mode). 0 or -errno. */
	int (*flush)(void *opaque);
};

struct pflash_config {
	const char *name;	/* for messages, e.g. "flash vars" */
	uint64_t gpa;		/* where the array is mapped; page-aligned */
	bool readonly;		/* writes are ignored (and logged); always read-array */
};

struct pflash;

/*
 * array holds the flash's contents (the caller fills gmem_devmem_host() first); its
 * size, a multiple of PFLASH_BLOCK_SIZE, is the flash's. The flash makes it read-only
 * and maps it at cfg->gpa (so it must not have been mapped before); the caller keeps
 * owning it and frees it after pflash_free(). store may be NULL. Returns 0, or -EINVAL
 * (size, gpa), -EEXIST (the range overlaps RAM or other device memory), -ENOMEM, or
 * what mapping returned.
 */
int pflash_new(struct pflash **out, const struct pflash_config *cfg, struct gmem_devmem *array,
	       const struct pflash_store_ops *store, void *store_opaque);

/* Register with: io_bus_register(mmio, cfg->gpa, size, &pflash_io_ops, flash, cfg->name).
 * Accesses of 1, 2, 4 and 8 bytes, little-endian; a write's command is its low byte. */
extern const struct io_ops pflash_io_ops;

/* Power-on state: read-array mode, status ready, the array mapped. The contents stay. */
void pflash_reset(struct pflash *fl);

/* Whether guest reads return the array (read-array mode). */
bool pflash_reads_array(struct pflash *fl);

/* Flush what the guest changed, unmap the array. The vCPUs must no longer run. NULL is ok. */
void pflash_free(struct pflash *fl);

#endif
