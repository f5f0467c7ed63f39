/* SPDX-License-Identifier: MIT */
/* The x86 Linux boot protocol (Documentation/arch/x86/boot.rst): the setup header and
 * the "zero page" (struct boot_params) a 64-bit boot loader hands to the kernel. */
#ifndef HVKVM_BOOT_PROTO_H
#define HVKVM_BOOT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define BOOT_HDR_OFFSET		0x1f1	/* setup header within the image and boot_params */
#define BOOT_FLAG_MAGIC		0xaa55
#define BOOT_HDRS_MAGIC		0x53726448	/* "HdrS" */
#define BOOT_LOADER_UNDEFINED	0xff

/* loadflags */
#define BOOT_LOADED_HIGH	0x01
#define BOOT_KEEP_SEGMENTS	0x40
#define BOOT_CAN_USE_HEAP	0x80
/* xloadflags */
#define BOOT_XLF_KERNEL_64	0x0001
#define BOOT_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002

#define E820_RAM		1
#define E820_RESERVED		2
#define E820_ACPI		3
#define E820_MAX_ENTRIES	128

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct boot_params {
	uint8_t screen_info[0x40];
	uint8_t apm_bios_info[0x14];
	uint8_t pad2[4];
	uint64_t tboot_addr;
	uint8_t ist_info[0x10];
	uint64_t acpi_rsdp_addr;
	uint8_t pad3[8];
	uint8_t hd0_info[16];
	uint8_t hd1_info[16];
	uint8_t sys_desc_table[0x10];
	uint8_t olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image;
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad4[0x1e8 - 0xcc];
	uint8_t e820_entries;
	uint8_t eddbuf_entries;
	uint8_t edd_mbr_sig_buf_entries;
	uint8_t kbd_status;
	uint8_t secure_boot;
	uint8_t pad5[2];
	uint8_t sentinel;
	uint8_t pad6[1];
	struct setup_header hdr;
	uint8_t pad7[0x290 - BOOT_HDR_OFFSET - sizeof(struct setup_header)];
	uint32_t edd_mbr_sig_buffer[16];
	struct boot_e820_entry e820_table[E820_MAX_ENTRIES];
	uint8_t pad8[0x1000 - 0xcd0];
} __attribute__((packed));

_Static_assert(sizeof(struct setup_header) == 0x26c - BOOT_HDR_OFFSET, "setup_header size");
_Static_assert(offsetof(struct setup_header, header) == 0x202 - BOOT_HDR_OFFSET, "header");
_Static_assert(offsetof(struct setup_header, type_of_loader) == 0x210 - BOOT_HDR_OFFSET, "type_of_loader");
_Static_assert(offsetof(struct setup_header, cmd_line_ptr) == 0x228 - BOOT_HDR_OFFSET, "cmd_line_ptr");
_Static_assert(offsetof(struct setup_header, xloadflags) == 0x236 - BOOT_HDR_OFFSET, "xloadflags");
_Static_assert(offsetof(struct setup_header, pref_address) == 0x258 - BOOT_HDR_OFFSET, "pref_address");
_Static_assert(offsetof(struct setup_header, init_size) == 0x260 - BOOT_HDR_OFFSET, "init_size");
_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == BOOT_HDR_OFFSET, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct boot_params) == 0x1000, "boot_params size");

#endif
