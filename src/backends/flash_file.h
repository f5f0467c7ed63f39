/* SPDX-License-Identifier: MIT */
/*
 * A file holding a firmware flash's contents: OVMF's code image (read-only) or a VM's
 * own copy of its variable store (written through as the guest programs the flash).
 * The file must be exactly the flash's size, and is locked while open (exclusively
 * when writable, shared when read-only) so that two VMs cannot write one store.
 *
 * Errors: -errno, and the reason in err ("in use by another process ..."), which the
 * caller prefixes with the option and path.
 */
#ifndef HVKVM_FLASH_FILE_H
#define HVKVM_FLASH_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pflash.h"

/* The largest flash image (and template) the files hold: the PC's two flash images end
 * at 4 GiB within 16 MiB. */
#define FLASH_FILE_MAX		(16u << 20)

struct flash_file;

int flash_file_open(struct flash_file **out, const char *path, uint64_t size, bool readonly,
		    char *err, size_t errlen);

/* Read the whole file (size bytes) into buf: the flash's contents at start. */
int flash_file_load(struct flash_file *f, void *buf, char *err, size_t errlen);

/*
 * The flash's store (opaque: the struct flash_file). Writes go straight to the file
 * (pwrite into the page cache); a flush starts the write-back without waiting for it,
 * so a vCPU never waits for the disk; closing waits (fdatasync).
 */
extern const struct pflash_store_ops flash_file_store_ops;

/* Make the file durable, unlock it, close it. NULL is ok. */
void flash_file_close(struct flash_file *f);

/*
 * A VM's variable store from a template (Debian's /usr/share/OVMF/OVMF_VARS_4M.fd)
 * when path does not exist yet: a copy is written beside path and linked into place,
 * so a half-written store is never seen and a file someone else created meanwhile is
 * kept. 1 if it created path, 0 if path existed, or -errno.
 */
int flash_file_create_from(const char *path, const char *template_path, char *err, size_t errlen);

#endif
