/* SPDX-License-Identifier: MIT */
/*
 * Loading Linux: a bzImage (as distributions ship it) or an uncompressed ELF vmlinux
 * is placed in guest RAM with its initrd, command line, boot_params and e820 map, and
 * identity-mapped page tables so that vCPU 0 starts at the kernel's 64-bit entry.
 */
#ifndef HVKVM_BOOT_H
#define HVKVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "boot_proto.h"
#include "memory.h"
#include "vcpu.h"

/* What hvkvm writes below 1 MiB (guest-physical). */
#define BOOT_GDT_ADDR		0x500ull
#define BOOT_PARAMS_ADDR	0x7000ull
#define BOOT_PML4_ADDR		0x9000ull	/* then the PDPT and four page directories */
#define BOOT_STACK_TOP		0x8ff0ull
#define BOOT_CMDLINE_ADDR	0x20000ull
#define BOOT_CMDLINE_MAX	0x10000ull
#define BOOT_EBDA_START		0x9fc00ull	/* reserved from here to 1 MiB */
#define BOOT_ACPI_ADDR		0xe0000ull	/* where Linux scans for the RSDP */
#define BOOT_ACPI_SIZE		0x20000ull
#define BOOT_HIGH_MEM		0x100000ull

/* GDT selectors the 64-bit boot protocol expects. */
#define BOOT_CS			0x10
#define BOOT_DS			0x18


struct boot_files {
	int kernel_fd;
	int initrd_fd;		/* -1: none */
	const char *kernel_name;	/* for messages */
	const char *initrd_name;
};

/* A kernel image as loaded into guest RAM. */
struct boot_kernel {
	uint64_t entry;		/* 64-bit entry point */
	uint64_t end;		/* first byte after what the kernel needs at load time */
	uint64_t cmdline_size;	/* bytes including the terminating NUL */
	uint32_t initrd_addr_max;	/* last byte an initrd may occupy */
	struct setup_header hdr;	/* what goes into boot_params.hdr */
};

/*
 * Check a kernel image, img (the whole file, len bytes), a bzImage or an ELF vmlinux,
 * and copy what the kernel runs from into m (between 1 MiB and gmem_low_end(m)); k
 * says where and how. name is the file's name for messages. On error returns -errno
 * and a message in err. boot_load does the same with the file it is given.
 */
int boot_load_kernel(const struct gmem *m, const uint8_t *img, uint64_t len, const char *name,
		     struct boot_kernel *k, char *err, size_t errlen);

/*
 * Load into m, which must already be zeroed. rsdp is the ACPI RSDP's address (0 if
 * none). On error returns -errno and a message (without the "hvkvm: " prefix) in err.
 */
int boot_load(struct gmem *m, const struct boot_files *f, const char *cmdline, uint64_t rsdp,
	      struct vcpu_boot_state *st, char *err, size_t errlen);

/* The e820 map for m's RAM; returns the number of entries. */
unsigned boot_build_e820(const struct gmem *m, struct boot_e820_entry *tab, unsigned max);

/*
 * The e820 map firmware reads from fw_cfg ("etc/e820"): one RAM entry per region of
 * m, packed {le64 addr, le64 len, le32 type}, as QEMU gives it; the firmware keeps
 * the legacy areas below 1 MiB out of its own map. Writes into buf (size bytes);
 * returns the bytes written, or -ENOSPC.
 */
#define BOOT_FW_E820_NAME	"etc/e820"
#define BOOT_FW_E820_ENTRY_LEN	20
long boot_build_fw_e820(const struct gmem *m, uint8_t *buf, size_t size);

/* Fill zero-page fields that do not depend on the kernel image. */
int boot_fill_params(const struct gmem *m, struct boot_params *bp, uint64_t cmdline_addr,
		     uint64_t initrd_addr, uint64_t initrd_size, uint64_t rsdp);

#endif
