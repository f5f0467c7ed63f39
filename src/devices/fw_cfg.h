/* SPDX-License-Identifier: MIT */
/*
 * The QEMU firmware configuration device (fw_cfg), as OVMF and SeaBIOS find it on a
 * PC: a 16-bit selector at port 0x510, a byte-wide data port at 0x511 and the DMA
 * address register at 0x514 (big-endian, high half at 0x514, low half at 0x518; the
 * write of the low half starts the transfer).
 *
 * An item is a byte array under a 16-bit key. Keys below FW_CFG_FILE_FIRST are
 * numbered items; files get keys from FW_CFG_FILE_FIRST up, in the order of their
 * names, and are listed in the directory item FW_CFG_FILE_DIR. The signature, the ID
 * and the directory are the device's own. Items and files are added at set-up,
 * before the vCPUs start; the data is copied.
 *
 * Reading past an item's end, or reading an item that does not exist, gives zeroes.
 * The port and the DMA interface share one offset into the selected item; selecting
 * an item resets it. A DMA request that names memory that is not RAM completes with
 * FW_CFG_DMA_CTL_ERROR; nothing the guest writes makes the device allocate or loop
 * beyond the request's 32-bit length.
 */
#ifndef HVKVM_FW_CFG_H
#define HVKVM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

struct gmem;

#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_PORT_DMA		0x514
#define FW_CFG_PORT_BASE	FW_CFG_PORT_SEL
#define FW_CFG_PORT_LEN		0x0c	/* 0x510-0x51b */

/* Item keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h numbering). */
#define FW_CFG_SIGNATURE	0x0000	/* "QEMU" */
#define FW_CFG_ID		0x0001	/* le32: FW_CFG_VERSION* bits */
#define FW_CFG_UUID		0x0002
#define FW_CFG_RAM_SIZE		0x0003	/* le64 */
#define FW_CFG_NOGRAPHIC	0x0004
#define FW_CFG_NB_CPUS		0x0005	/* le16: vCPUs at boot */
#define FW_CFG_MACHINE_ID	0x0006
#define FW_CFG_KERNEL_ADDR	0x0007
#define FW_CFG_KERNEL_SIZE	0x0008
#define FW_CFG_KERNEL_CMDLINE	0x0009
#define FW_CFG_INITRD_ADDR	0x000a
#define FW_CFG_INITRD_SIZE	0x000b
#define FW_CFG_BOOT_DEVICE	0x000c
#define FW_CFG_NUMA		0x000d
#define FW_CFG_BOOT_MENU	0x000e	/* le16 */
#define FW_CFG_MAX_CPUS		0x000f	/* le16 */
#define FW_CFG_KERNEL_ENTRY	0x0010
#define FW_CFG_KERNEL_DATA	0x0011
#define FW_CFG_INITRD_DATA	0x0012
#define FW_CFG_CMDLINE_ADDR	0x0013
#define FW_CFG_CMDLINE_SIZE	0x0014
#define FW_CFG_CMDLINE_DATA	0x0015
#define FW_CFG_SETUP_ADDR	0x0016
#define FW_CFG_SETUP_SIZE	0x0017
#define FW_CFG_SETUP_DATA	0x0018
#define FW_CFG_FILE_DIR		0x0019	/* be32 count, then struct fw_cfg_file each */
#define FW_CFG_FILE_FIRST	0x0020
#define FW_CFG_MAX_FILES	64
#define FW_CFG_INVALID		0xffff

#define FW_CFG_VERSION		0x01	/* the selector/data ports */
#define FW_CFG_VERSION_DMA	0x02	/* the DMA interface */

#define FW_CFG_MAX_FILE_PATH	56	/* with the terminating NUL */

/* A directory entry, all big-endian. */
struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[FW_CFG_MAX_FILE_PATH];
};
_Static_assert(sizeof(struct fw_cfg_file) == 64, "fw_cfg directory entry");

/* The DMA access structure in guest memory, all big-endian. */
struct fw_cfg_dma_access {
	uint32_t control;
	uint32_t length;
	uint64_t address;
};
_Static_assert(sizeof(struct fw_cfg_dma_access) == 16, "FWCfgDmaAccess");

#define FW_CFG_DMA_CTL_ERROR	0x01
#define FW_CFG_DMA_CTL_READ	0x02
#define FW_CFG_DMA_CTL_SKIP	0x04
#define FW_CFG_DMA_CTL_SELECT	0x08	/* the key is in bits 31:16 */
#define FW_CFG_DMA_CTL_WRITE	0x10

/* What a read of the DMA address register returns: "QEMU CFG", big-endian. */
#define FW_CFG_DMA_SIGNATURE	0x51454d5520434647ull

struct fw_cfg;

/*
 * Called after the guest wrote len bytes at off into a writable file; data is the
 * whole file (size bytes), valid during the call. Runs on the vCPU thread with the
 * device locked: it must not call back into fw_cfg.
 */
typedef void fw_cfg_write_fn(void *opaque, const char *name, const uint8_t *data,
			     size_t size, uint32_t off, uint32_t len);

/* DMA reaches guest memory through m only. NULL on allocation failure. */
struct fw_cfg *fw_cfg_new(const struct gmem *m);
void fw_cfg_free(struct fw_cfg *c);
/* Selects the signature again and forgets a half-written DMA address (reset). */
void fw_cfg_reset(struct fw_cfg *c);

/*
 * A numbered item (key < FW_CFG_FILE_FIRST, and not the signature, the ID or the
 * directory); len up to UINT32_MAX; replaces an item added before. 0, -EINVAL,
 * -ENOMEM.
 */
int fw_cfg_add_item(struct fw_cfg *c, uint16_t key, const void *data, size_t len);
int fw_cfg_add_u16(struct fw_cfg *c, uint16_t key, uint16_t v);	/* little-endian */
int fw_cfg_add_u32(struct fw_cfg *c, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *c, uint16_t key, uint64_t v);

/*
 * A file: name 1 to 55 bytes; -EINVAL for a bad name or length, -EEXIST for a
 * name already there, -ENOSPC past FW_CFG_MAX_FILES, -ENOMEM. A writable file takes
 * DMA writes that stay inside it (the loader's WRITE_POINTER targets); write_fn may
 * be NULL.
 */
int fw_cfg_add_file(struct fw_cfg *c, const char *name, const void *data, size_t len);
int fw_cfg_add_file_writable(struct fw_cfg *c, const char *name, const void *data,
			     size_t len, fw_cfg_write_fn *write_fn, void *opaque);

/* The key a file got (it changes while files are added), or FW_CFG_INVALID. */
uint16_t fw_cfg_file_key(struct fw_cfg *c, const char *name);

/* Ports FW_CFG_PORT_BASE .. +FW_CFG_PORT_LEN. */
int fw_cfg_register(struct fw_cfg *c, struct io_bus *bus);
extern const struct io_ops fw_cfg_io_ops;

#endif
