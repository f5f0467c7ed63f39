/* SPDX-License-Identifier: MIT */
/*
 * Loading Linux into guest RAM: the e820 map, a synthesized bzImage and ELF vmlinux,
 * and every way a kernel, initrd or command line can fail to fit. The images come
 * from a file the user named: they are validated like any other untrusted input.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "boot_proto.h"
#include "byteorder.h"
#include "memory.h"
#include "testutil.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define RSDP 0xe0000ull

/* ---- helpers --------------------------------------------------------------------- */

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("hvkvm-test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* A sparse file of len bytes: zeroes, but 0x5a in the first and last byte. */
static int memfd_sparse(uint64_t len)
{
	int fd = memfd_create("hvkvm-test-sparse", MFD_CLOEXEC);
	const uint8_t mark = 0x5a;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	ck_assert_int_eq(pwrite(fd, &mark, 1, 0), 1);
	ck_assert_int_eq(pwrite(fd, &mark, 1, (off_t)len - 1), 1);
	return fd;
}

static uint8_t pattern(uint64_t i, uint8_t seed)
{
	return (uint8_t)((i * 131 + seed) ^ (i >> 8));
}

static void assert_contains(const char *s, const char *sub)
{
	ck_assert_msg(strstr(s, sub), "\"%s\" does not contain \"%s\"", s, sub);
}

/* ---- boot_build_e820 ------------------------------------------------------------- */

static void check_e820(uint64_t ram, const struct boot_e820_entry *want, unsigned n)
{
	struct gmem m;
	struct boot_e820_entry tab[E820_MAX_ENTRIES];

	ck_assert_int_eq(gmem_init(&m, ram), 0);
	memset(tab, 0xee, sizeof(tab));
	ck_assert_uint_eq(boot_build_e820(&m, tab, E820_MAX_ENTRIES), n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_msg(tab[i].addr == want[i].addr && tab[i].size == want[i].size &&
			      tab[i].type == want[i].type,
			      "entry %u: 0x%llx+0x%llx type %u, want 0x%llx+0x%llx type %u", i,
			      (unsigned long long)tab[i].addr, (unsigned long long)tab[i].size,
			      tab[i].type, (unsigned long long)want[i].addr,
			      (unsigned long long)want[i].size, want[i].type);
	}
	/* Nothing written past the last entry. */
	ck_assert_uint_eq(tab[n].type, 0xeeeeeeee);
	gmem_destroy(&m);
}

START_TEST(e820_64m)
{
	const struct boot_e820_entry want[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x60400, E820_RESERVED },
		{ 0x100000, 64 * MiB - 0x100000, E820_RAM },
	};

	check_e820(64 * MiB, want, 3);
}
END_TEST

START_TEST(e820_1g)
{
	const struct boot_e820_entry want[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x60400, E820_RESERVED },
		{ 0x100000, 0x3ff00000, E820_RAM },
	};

	check_e820(1 * GiB, want, 3);
}
END_TEST

START_TEST(e820_3g)
{
	const struct boot_e820_entry want[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x60400, E820_RESERVED },
		{ 0x100000, 0xbff00000, E820_RAM },
	};

	check_e820(3 * GiB, want, 3);
}
END_TEST

START_TEST(e820_5g)
{
	const struct boot_e820_entry want[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x60400, E820_RESERVED },
		{ 0x100000, 0xbff00000, E820_RAM },
		{ 0x100000000ull, 0x80000000ull, E820_RAM },
	};

	check_e820(5 * GiB, want, 4);
}
END_TEST

START_TEST(e820_max_and_tiny)
{
	static uint8_t small[0x80000];
	const struct gmem_region r = { 0, sizeof(small), small, 0 };
	struct boot_e820_entry tab[4];
	struct gmem m;

	/* The table is cut at max. */
	ck_assert_int_eq(gmem_init(&m, 5 * GiB), 0);
	memset(tab, 0xee, sizeof(tab));
	ck_assert_uint_eq(boot_build_e820(&m, tab, 2), 2);
	ck_assert_uint_eq(tab[1].addr, 0x9fc00);
	ck_assert_uint_eq(tab[2].type, 0xeeeeeeee);
	ck_assert_uint_eq(boot_build_e820(&m, tab, 0), 0);
	gmem_destroy(&m);

	/* RAM ending below the EBDA: one entry. */
	ck_assert_int_eq(gmem_init_regions(&m, &r, 1), 0);
	ck_assert_uint_eq(boot_build_e820(&m, tab, 4), 1);
	ck_assert_uint_eq(tab[0].addr, 0);
	ck_assert_uint_eq(tab[0].size, 0x80000);
	ck_assert_uint_eq(tab[0].type, E820_RAM);
}
END_TEST

START_TEST(fw_e820)
{
	static uint8_t small[0x80000];
	const struct gmem_region r = { 0, sizeof(small), small, 0 };
	uint8_t buf[3 * BOOT_FW_E820_ENTRY_LEN];
	struct gmem m;

	/* 5 GiB: RAM below the MMIO window and above 4 GiB, nothing reserved. */
	ck_assert_int_eq(gmem_init(&m, 5 * GiB), 0);
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(boot_build_fw_e820(&m, buf, sizeof(buf)), 2 * BOOT_FW_E820_ENTRY_LEN);
	ck_assert_uint_eq(get_le64(buf), 0);
	ck_assert_uint_eq(get_le64(buf + 8), 0xc0000000ull);
	ck_assert_uint_eq(get_le32(buf + 16), E820_RAM);
	ck_assert_uint_eq(get_le64(buf + 20), 0x100000000ull);
	ck_assert_uint_eq(get_le64(buf + 28), 0x80000000ull);
	ck_assert_uint_eq(get_le32(buf + 36), E820_RAM);
	ck_assert_uint_eq(buf[40], 0xee);
	/* No room for the second entry. */
	ck_assert_int_eq(boot_build_fw_e820(&m, buf, 2 * BOOT_FW_E820_ENTRY_LEN - 1), -ENOSPC);
	ck_assert_int_eq(boot_build_fw_e820(&m, buf, 0), -ENOSPC);
	gmem_destroy(&m);

	ck_assert_int_eq(gmem_init_regions(&m, &r, 1), 0);
	ck_assert_int_eq(boot_build_fw_e820(&m, buf, sizeof(buf)), BOOT_FW_E820_ENTRY_LEN);
	ck_assert_uint_eq(get_le64(buf), 0);
	ck_assert_uint_eq(get_le64(buf + 8), 0x80000);
	ck_assert_uint_eq(get_le32(buf + 16), E820_RAM);
}
END_TEST

START_TEST(fill_params_high_addresses)
{
	struct gmem m;
	struct boot_params *bp = calloc(1, sizeof(*bp));

	ck_assert_ptr_nonnull(bp);
	ck_assert_int_eq(gmem_init(&m, 64 * MiB), 0);
	ck_assert_int_eq(boot_fill_params(&m, bp, 0x123456789ull, 0x200001000ull, 0x100000002ull,
					  0xabcdef0123ull), 0);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, 0x23456789);
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0x1);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0x00001000);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0x2);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 0x2);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0x1);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, 0xabcdef0123ull);
	ck_assert_uint_eq(bp->e820_entries, 3);
	ck_assert_uint_eq(bp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].size, 63 * MiB);
	gmem_destroy(&m);
	free(bp);
}
END_TEST

/* ---- a synthesized bzImage ------------------------------------------------------- */

struct bz {
	uint8_t setup_sects;
	uint8_t jump;		/* header ends at 0x202 + jump */
	uint16_t version;
	uint16_t xloadflags;
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	size_t payload_len;
	size_t file_len;	/* 0: setup + payload */
};

static struct bz bz_default(void)
{
	return (struct bz){
		.setup_sects = 4,
		.jump = 0x26c - 0x202,
		.version = 0x020f,
		.xloadflags = BOOT_XLF_KERNEL_64 | BOOT_XLF_CAN_BE_LOADED_ABOVE_4G,
		.kernel_alignment = 0x200000,
		.pref_address = 0x1000000,
		.init_size = 0x800000,
		.cmdline_size = 2047,
		.initrd_addr_max = 0x7fffffff,
		.payload_len = 0x3000 + 123,
	};
}

static size_t bz_setup_size(const struct bz *b)
{
	return ((size_t)(b->setup_sects ? b->setup_sects : 4) + 1) * 512;
}

/* The setup header as the image carries it. */
static struct setup_header bz_header(const struct bz *b)
{
	struct setup_header h;

	memset(&h, 0, sizeof(h));
	h.setup_sects = b->setup_sects;
	h.syssize = (uint32_t)((b->payload_len + 15) / 16);
	h.vid_mode = 0xfffd;	/* "ask": the loader overrides it */
	h.boot_flag = BOOT_FLAG_MAGIC;
	h.jump = (uint16_t)(0xeb | (b->jump << 8));
	h.header = BOOT_HDRS_MAGIC;
	h.version = b->version;
	h.kernel_version = 0x3e0;
	h.loadflags = BOOT_LOADED_HIGH;
	h.code32_start = 0x100000;
	h.initrd_addr_max = b->initrd_addr_max;
	h.kernel_alignment = b->kernel_alignment;
	h.relocatable_kernel = 1;
	h.min_alignment = 21;
	h.xloadflags = b->xloadflags;
	h.cmdline_size = b->cmdline_size;
	h.payload_offset = 0x3b4;
	h.payload_length = 0x1000;
	h.pref_address = b->pref_address;
	h.init_size = b->init_size;
	h.handover_offset = 0x190;
	h.kernel_info_offset = 0x2000;
	return h;
}

static uint8_t *bz_build(const struct bz *b, size_t *len)
{
	size_t setup = bz_setup_size(b), n = b->file_len ? b->file_len : setup + b->payload_len;
	struct setup_header h = bz_header(b);
	uint8_t *img = calloc(1, n > setup + b->payload_len ? n : setup + b->payload_len);

	ck_assert_ptr_nonnull(img);
	/* Real-mode setup code: something that must not end up in the guest. */
	memset(img, 0xcc, setup);
	memcpy(img + BOOT_HDR_OFFSET, &h, sizeof(h));
	memset(img + 0x26c, 0xcc, setup - 0x26c);
	for (size_t i = 0; i < b->payload_len; i++)
		img[setup + i] = pattern(i, 0x5a);
	if (b->payload_len >= 18)
		memcpy(img + setup, "HVKVM-TEST-PAYLOAD", 18);
	*len = n;
	return img;
}

static int bz_fd(const struct bz *b)
{
	size_t len;
	uint8_t *img = bz_build(b, &len);
	int fd = memfd_with(img, len);

	free(img);
	return fd;
}

/* boot_load with a kernel fd, an optional initrd fd, and the given command line. */
struct boot_run {
	struct gmem m;
	struct vcpu_boot_state st;
	char err[512];
	int r;
};

static const char *kernel_name = "vmlinuz-test";

static void boot(struct boot_run *br, uint64_t ram, int kfd, int ifd, const char *cmdline)
{
	const struct boot_files f = { kfd, ifd, kernel_name, "initrd-test" };

	memset(br, 0, sizeof(*br));
	ck_assert_int_eq(gmem_init(&br->m, ram), 0);
	memset(&br->st, 0xee, sizeof(br->st));
	br->r = boot_load(&br->m, &f, cmdline, RSDP, &br->st, br->err, sizeof(br->err));
}

static void boot_done(struct boot_run *br, int kfd, int ifd)
{
	gmem_destroy(&br->m);
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
}

static void assert_boot_ok(const struct boot_run *br)
{
	ck_assert_msg(br->r == 0, "boot_load: %d: %s", br->r, br->err);
}

static void assert_boot_fails(const struct boot_run *br, int code, ...)
{
	va_list ap;

	ck_assert_msg(br->r == code, "boot_load returned %d (%s), want %d", br->r, br->err, code);
	ck_assert_msg(br->err[0], "no message");
	va_start(ap, code);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		assert_contains(br->err, s);
	va_end(ap);
}

static const struct boot_params *params(const struct boot_run *br)
{
	const struct boot_params *bp = gmem_ptr(&br->m, BOOT_PARAMS_ADDR, sizeof(*bp));

	ck_assert_ptr_nonnull(bp);
	return bp;
}

static void check_cpu_state(const struct vcpu_boot_state *st, uint64_t rip)
{
	ck_assert_uint_eq(st->rip, rip);
	ck_assert_uint_eq(st->rsi, BOOT_PARAMS_ADDR);
	ck_assert_uint_eq(st->rsp, BOOT_STACK_TOP);
	ck_assert_uint_eq(st->cr0, 0x80000033ull);	/* PG NE ET MP PE */
	ck_assert_uint_eq(st->cr3, BOOT_PML4_ADDR);
	ck_assert_uint_eq(st->cr4, 0x20);		/* PAE */
	ck_assert_uint_eq(st->efer, 0x500);		/* LMA LME */
	ck_assert_uint_eq(st->gdt_base, BOOT_GDT_ADDR);
	ck_assert_uint_eq(st->gdt_limit, 31);
}

static void check_page_tables(const struct gmem *m)
{
	const uint64_t *pml4 = gmem_ptr(m, 0x9000, 6 * 4096);
	const uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;

	ck_assert_ptr_nonnull(pml4);
	ck_assert_uint_eq(pml4[0], 0xa000 | 0x3);
	for (unsigned i = 1; i < 512; i++)
		ck_assert_uint_eq(pml4[i], 0);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(pdpt[i], (0xb000 + 0x1000 * (uint64_t)i) | 0x3);
	for (unsigned i = 4; i < 512; i++)
		ck_assert_uint_eq(pdpt[i], 0);
	/* 2048 present, writable 2 MiB pages mapping the first 4 GiB 1:1. */
	for (uint64_t i = 0; i < 2048; i++)
		ck_assert_uint_eq(pd[i], (i << 21) | 0x83);
	ck_assert_uint_eq(pd[2047], 0xffe00083ull);
}

static void check_gdt(const struct gmem *m)
{
	uint64_t gdt[4];

	ck_assert_int_eq(gmem_read(m, 0x500, gdt, sizeof(gdt)), 0);
	ck_assert_uint_eq(gdt[0], 0);
	ck_assert_uint_eq(gdt[1], 0);
	ck_assert_uint_eq(gdt[2], 0x00af9b000000ffffull);
	ck_assert_uint_eq(gdt[3], 0x00cf93000000ffffull);
	/* 0x10: present, code, L=1 and D=0 (64-bit), DPL 0. */
	ck_assert_uint_eq((gdt[BOOT_CS / 8] >> 47) & 1, 1);
	ck_assert_uint_eq((gdt[BOOT_CS / 8] >> 43) & 1, 1);
	ck_assert_uint_eq((gdt[BOOT_CS / 8] >> 53) & 1, 1);
	ck_assert_uint_eq((gdt[BOOT_CS / 8] >> 54) & 1, 0);
	ck_assert_uint_eq((gdt[BOOT_CS / 8] >> 45) & 3, 0);
	/* 0x18: present, writable data. */
	ck_assert_uint_eq((gdt[BOOT_DS / 8] >> 47) & 1, 1);
	ck_assert_uint_eq((gdt[BOOT_DS / 8] >> 43) & 1, 0);
	ck_assert_uint_eq((gdt[BOOT_DS / 8] >> 41) & 1, 1);
}

static void check_e820_in_params(const struct boot_params *bp, uint64_t ram)
{
	uint64_t low = ram < 3 * GiB ? ram : 3 * GiB;

	ck_assert_uint_eq(bp->e820_entries, ram > 3 * GiB ? 4 : 3);
	ck_assert_uint_eq(bp->e820_table[0].addr, 0);
	ck_assert_uint_eq(bp->e820_table[0].size, 0x9fc00);
	ck_assert_uint_eq(bp->e820_table[0].type, E820_RAM);
	ck_assert_uint_eq(bp->e820_table[1].addr, 0x9fc00);
	ck_assert_uint_eq(bp->e820_table[1].size, 0x60400);
	ck_assert_uint_eq(bp->e820_table[1].type, E820_RESERVED);
	ck_assert_uint_eq(bp->e820_table[2].addr, 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].size, low - 0x100000);
	ck_assert_uint_eq(bp->e820_table[2].type, E820_RAM);
	if (ram > 3 * GiB) {
		ck_assert_uint_eq(bp->e820_table[3].addr, 4 * GiB);
		ck_assert_uint_eq(bp->e820_table[3].size, ram - 3 * GiB);
		ck_assert_uint_eq(bp->e820_table[3].type, E820_RAM);
	}
	ck_assert_uint_eq(bp->e820_table[bp->e820_entries].size, 0);
}

static void check_cmdline(const struct gmem *m, const char *want)
{
	const char *p = gmem_ptr(m, BOOT_CMDLINE_ADDR, strlen(want) + 2);

	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p, want, strlen(want));
	ck_assert_int_eq(p[strlen(want)], '\0');
}

/* A payload of len bytes at gpa, with nothing written just past it. */
static void check_payload(const struct gmem *m, uint64_t gpa, size_t len)
{
	const uint8_t *p = gmem_ptr(m, gpa, len + 16);

	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p, "HVKVM-TEST-PAYLOAD", 18);
	for (size_t i = 18; i < len; i++)
		ck_assert_uint_eq(p[i], pattern(i, 0x5a));
	for (size_t i = len; i < len + 16; i++)
		ck_assert_uint_eq(p[i], 0);
}

START_TEST(bz_good)
{
	const struct bz b = bz_default();
	const size_t ilen = 0x2345;
	uint8_t *initrd = malloc(ilen);
	const char *cmdline = "console=ttyS0 root=/dev/vda quiet";
	struct boot_run br;
	const struct boot_params *bp;
	struct setup_header want;
	const uint64_t initrd_at = 64 * MiB - 0x3000;
	int kfd = bz_fd(&b), ifd;

	ck_assert_ptr_nonnull(initrd);
	for (size_t i = 0; i < ilen; i++)
		initrd[i] = pattern(i, 0x17);
	ifd = memfd_with(initrd, ilen);
	boot(&br, 64 * MiB, kfd, ifd, cmdline);
	assert_boot_ok(&br);

	check_cpu_state(&br.st, 0x1000200);
	check_payload(&br.m, 0x1000000, b.payload_len);
	/* The setup code was not loaded anywhere near. */
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 0xffffff, 1), 0);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 0x100000, 1), 0);

	bp = params(&br);
	/* The header as the image had it, with what the loader fills in. */
	want = bz_header(&b);
	want.type_of_loader = 0xff;
	want.loadflags = BOOT_LOADED_HIGH | BOOT_CAN_USE_HEAP;
	want.heap_end_ptr = 0xfe00;
	want.vid_mode = 0xffff;
	want.code32_start = 0x1000000;
	want.cmd_line_ptr = BOOT_CMDLINE_ADDR;
	want.ramdisk_image = (uint32_t)initrd_at;
	want.ramdisk_size = (uint32_t)ilen;
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.loadflags & BOOT_CAN_USE_HEAP, BOOT_CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.setup_sects, 4);
	ck_assert_uint_eq(bp->hdr.pref_address, 0x1000000);
	ck_assert_uint_eq(bp->hdr.init_size, 0x800000);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, 0x20000);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, initrd_at);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, ilen);
	ck_assert_mem_eq(&bp->hdr, &want, sizeof(want));
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, RSDP);
	ck_assert_uint_eq(bp->sentinel, 0);
	for (unsigned i = 0; i < sizeof(bp->screen_info); i++)
		ck_assert_uint_eq(bp->screen_info[i], 0);
	check_e820_in_params(bp, 64 * MiB);

	check_cmdline(&br.m, cmdline);

	/* The initrd: page-aligned at the top of RAM, the rest of its page untouched. */
	{
		const uint8_t *p = gmem_ptr(&br.m, initrd_at, 0x3000);

		ck_assert_ptr_nonnull(p);
		ck_assert_mem_eq(p, initrd, ilen);
		for (size_t i = ilen; i < 0x3000; i++)
			ck_assert_uint_eq(p[i], 0);
		ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, initrd_at - 1, 1), 0);
	}

	check_page_tables(&br.m);
	check_gdt(&br.m);
	boot_done(&br, kfd, ifd);
	free(initrd);
}
END_TEST

START_TEST(bz_no_initrd)
{
	const struct bz b = bz_default();
	struct boot_run br;
	int kfd = bz_fd(&b), ifd = memfd_with("", 0);

	boot(&br, 64 * MiB, kfd, -1, "");
	assert_boot_ok(&br);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_image, 0);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_size, 0);
	check_cmdline(&br.m, "");
	boot_done(&br, kfd, -1);

	/* An empty initrd file is no initrd. */
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, ifd, "x");
	assert_boot_ok(&br);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_image, 0);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_size, 0);
	boot_done(&br, kfd, ifd);
}
END_TEST

/* Where the initrd goes for a given RAM size and initrd_addr_max. */
static void check_initrd_at(uint64_t ram, uint32_t initrd_addr_max, uint64_t want)
{
	struct bz b = bz_default();
	uint8_t data[0x1800];
	struct boot_run br;
	int kfd, ifd;

	b.initrd_addr_max = initrd_addr_max;
	kfd = bz_fd(&b);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i, 0x33);
	ifd = memfd_with(data, sizeof(data));
	boot(&br, ram, kfd, ifd, "console=ttyS0");
	assert_boot_ok(&br);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_image, want);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_size, sizeof(data));
	ck_assert_uint_eq(params(&br)->ext_ramdisk_image, 0);
	ck_assert_mem_eq(gmem_ptr(&br.m, want, sizeof(data)), data, sizeof(data));
	ck_assert_uint_eq(want % 4096, 0);
	ck_assert_uint_le(want + sizeof(data) - 1, initrd_addr_max ? initrd_addr_max : 0x37ffffff);
	boot_done(&br, kfd, ifd);
}

START_TEST(bz_initrd_addr_max)
{
	check_initrd_at(1 * GiB, 0x7fffffff, 1 * GiB - 0x2000);
	check_initrd_at(1 * GiB, 0x1fffffff, 0x20000000 - 0x2000);
	check_initrd_at(1 * GiB, 0x1fffefff, 0x1ffff000 - 0x2000);
	check_initrd_at(1 * GiB, 0, 0x38000000 - 0x2000);	/* the protocol's default */
	/* Below the MMIO hole even when the kernel would take it higher. */
	check_initrd_at(5 * GiB, 0xffffffff, 3 * GiB - 0x2000);
}
END_TEST

START_TEST(bz_5g_e820)
{
	const struct bz b = bz_default();
	struct boot_run br;
	int kfd = bz_fd(&b);

	boot(&br, 5 * GiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	check_e820_in_params(params(&br), 5 * GiB);
	check_page_tables(&br.m);
	boot_done(&br, kfd, -1);
}
END_TEST

static void check_load_at(uint64_t pref, uint32_t align, uint64_t want)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	b.pref_address = pref;
	b.kernel_alignment = align;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	ck_assert_uint_eq(br.st.rip, want + 0x200);
	check_payload(&br.m, want, b.payload_len);
	ck_assert_uint_eq(params(&br)->hdr.code32_start, want);
	ck_assert_uint_eq(params(&br)->hdr.pref_address, pref);
	boot_done(&br, kfd, -1);
}

START_TEST(bz_pref_address)
{
	check_load_at(0x2000000, 0x200000, 0x2000000);
	check_load_at(0x1000000, 0, 0x1000000);
	check_load_at(0x1000001, 0x200000, 0x100000);	/* not aligned */
	check_load_at(0x1100000, 0x200000, 0x100000);	/* not a multiple of the alignment */
	check_load_at(0x80000, 0x1000, 0x100000);	/* below 1 MiB */
	check_load_at(0xfffff, 0x1, 0x100000);
	check_load_at(0, 0x200000, 0x100000);
	check_load_at(0xc0000000ull, 0x200000, 0x100000);	/* in the MMIO hole */
	check_load_at(0x100000000ull, 0x200000, 0x100000);	/* above 4 GiB */
}
END_TEST

START_TEST(bz_setup_sects_zero)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	/* 0 means 4 for old images. */
	b.setup_sects = 0;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	check_payload(&br.m, 0x1000000, b.payload_len);
	boot_done(&br, kfd, -1);

	b.setup_sects = 30;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	check_payload(&br.m, 0x1000000, b.payload_len);
	boot_done(&br, kfd, -1);
}
END_TEST

/* A jump past the end of the header this loader knows (a newer protocol): only the
 * known part is used, and nothing is copied beyond it. */
START_TEST(bz_long_header_jump)
{
	static const uint8_t jumps[] = { 0x6b, 0x7f, 0xff };
	struct bz b = bz_default();

	for (unsigned i = 0; i < sizeof(jumps); i++) {
		struct boot_run br;
		int kfd;

		b.jump = jumps[i];
		kfd = bz_fd(&b);
		boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
		assert_boot_ok(&br);
		ck_assert_uint_eq(br.st.rip, 0x1000200);
		ck_assert_uint_eq(params(&br)->hdr.jump, 0xeb | (jumps[i] << 8));
		ck_assert_uint_eq(params(&br)->hdr.kernel_info_offset, 0x2000);
		ck_assert_uint_eq(params(&br)->pad7[0], 0);
		boot_done(&br, kfd, -1);
	}
}
END_TEST

START_TEST(bz_init_size_exact_fit)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	/* The kernel may use RAM up to exactly its end. */
	b.init_size = 48 * MiB;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	boot_done(&br, kfd, -1);
}
END_TEST

/* ---- bzImage errors -------------------------------------------------------------- */

START_TEST(err_not_a_kernel)
{
	uint8_t junk[8192];
	struct boot_run br;
	int kfd;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = pattern(i, 1);
	kfd = memfd_with(junk, sizeof(junk));
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "--kernel vmlinuz-test", "neither a bzImage nor an ELF",
			  NULL);
	boot_done(&br, kfd, -1);

	/* An empty file. */
	kfd = memfd_with("", 0);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "neither", NULL);
	boot_done(&br, kfd, -1);

	/* The boot flag without "HdrS" (a pre-2.00 image, or a boot sector). */
	memset(junk, 0, sizeof(junk));
	junk[0x1fe] = 0x55;
	junk[0x1ff] = 0xaa;
	kfd = memfd_with(junk, sizeof(junk));
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "neither", NULL);
	boot_done(&br, kfd, -1);

	/* "HdrS" without the boot flag. */
	memset(junk, 0, sizeof(junk));
	memcpy(junk + 0x202, "HdrS", 4);
	kfd = memfd_with(junk, sizeof(junk));
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "neither", NULL);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(err_old_protocol)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	b.version = 0x020b;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "--kernel vmlinuz-test", "boot protocol 2.11", "2.12",
			  NULL);
	boot_done(&br, kfd, -1);

	/* 2.12 is enough. */
	b.version = 0x020c;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(err_no_64bit_entry)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	b.xloadflags = BOOT_XLF_CAN_BE_LOADED_ABOVE_4G;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "2.15", "64-bit entry point", NULL);
	boot_done(&br, kfd, -1);

	/* A header cut short by its jump, before version and xloadflags. */
	b = bz_default();
	b.jump = 0;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "64-bit entry point", NULL);
	boot_done(&br, kfd, -1);

	/* Ending just before xloadflags: version is read, xloadflags is not. */
	b = bz_default();
	b.jump = 0x236 - 0x202;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "2.15", "64-bit entry point", NULL);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(err_setup_past_eof)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	b.setup_sects = 200;	/* 100 KiB of setup in a 14 KiB file */
	b.file_len = 0x3600;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "no protected-mode kernel", NULL);
	boot_done(&br, kfd, -1);

	/* Setup exactly fills the file: no kernel at all. */
	b = bz_default();
	b.payload_len = 0;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "no protected-mode kernel", NULL);
	boot_done(&br, kfd, -1);
}
END_TEST

/* Protected-mode code that ends before its 64-bit entry point (0x200 into it): the
 * vCPU would start in RAM the file never filled. */
START_TEST(err_no_code_at_entry)
{
	static const size_t short_payloads[] = { 1, 222, 0x1ff, 0x200 };
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	for (unsigned i = 0; i < sizeof(short_payloads) / sizeof(short_payloads[0]); i++) {
		/* As the fuzzer found it: no preferred address, no init_size. */
		b.payload_len = short_payloads[i];
		b.pref_address = 0;
		b.init_size = 0;
		kfd = bz_fd(&b);
		boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
		assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "ends before its 64-bit entry point", NULL);
		boot_done(&br, kfd, -1);
		/* An init_size that covers the entry does not make up for the missing code. */
		b.init_size = 0x800000;
		kfd = bz_fd(&b);
		boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
		assert_boot_fails(&br, -EINVAL, "ends before its 64-bit entry point", NULL);
		boot_done(&br, kfd, -1);
	}

	/* One byte of code at the entry is enough for the loader. */
	b.payload_len = 0x201;
	b.init_size = 0;
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_ok(&br);
	ck_assert_uint_eq(br.st.rip, 0x100200);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(err_init_size_too_big)
{
	struct bz b = bz_default();
	struct boot_run br;
	int kfd;

	b.init_size = 64 * MiB;		/* at 16 MiB: needs 80 MiB */
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -ENOSPC, "vmlinuz-test", "80 MiB", "--memory", NULL);
	boot_done(&br, kfd, -1);

	b.init_size = 48 * MiB + 1;	/* one byte too many */
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -ENOSPC, "65 MiB", "--memory", NULL);
	boot_done(&br, kfd, -1);

	b.init_size = 0xffffffffu;
	kfd = bz_fd(&b);
	boot(&br, 1 * GiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -ENOSPC, "--memory", NULL);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(err_cmdline_too_long)
{
	struct bz b = bz_default();
	char cmdline[300];
	struct boot_run br;
	int kfd;

	b.cmdline_size = 255;
	memset(cmdline, 'a', 256);
	cmdline[256] = '\0';
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, cmdline);
	assert_boot_fails(&br, -E2BIG, "--cmdline is 256 bytes", NULL);
	boot_done(&br, kfd, -1);

	/* 254 characters are certainly fine. */
	cmdline[254] = '\0';
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, cmdline);
	assert_boot_ok(&br);
	check_cmdline(&br.m, cmdline);
	boot_done(&br, kfd, -1);
}
END_TEST

/*
 * boot.rst: cmdline_size is "the maximum size of the command line without the
 * terminating zero", so a command line of exactly cmdline_size characters fits
 * (Linux sets it to COMMAND_LINE_SIZE - 1 and its buffer holds that plus the NUL).
 */
START_TEST(bz_cmdline_exactly_cmdline_size)
{
	struct bz b = bz_default();
	char cmdline[300];
	struct boot_run br;
	int kfd;

	b.cmdline_size = 255;
	memset(cmdline, 'b', 255);
	cmdline[255] = '\0';
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, cmdline);
	assert_boot_ok(&br);
	check_cmdline(&br.m, cmdline);
	boot_done(&br, kfd, -1);

	/* And the message for one more names the real limit. */
	memset(cmdline, 'b', 256);
	cmdline[256] = '\0';
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, cmdline);
	assert_boot_fails(&br, -E2BIG, "--cmdline is 256 bytes", "at most 255", NULL);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(err_cmdline_over_hvkvm_limit)
{
	struct bz b = bz_default();
	char *cmdline = malloc(BOOT_CMDLINE_MAX + 1);
	struct boot_run br;
	int kfd;

	ck_assert_ptr_nonnull(cmdline);
	b.cmdline_size = 0x100000;
	memset(cmdline, 'c', BOOT_CMDLINE_MAX);
	cmdline[BOOT_CMDLINE_MAX] = '\0';
	kfd = bz_fd(&b);
	boot(&br, 64 * MiB, kfd, -1, cmdline);
	assert_boot_fails(&br, -E2BIG, "--cmdline is 65536 bytes", NULL);
	boot_done(&br, kfd, -1);
	free(cmdline);
}
END_TEST

START_TEST(err_initrd_too_big)
{
	const struct bz b = bz_default();
	struct boot_run br;
	int kfd, ifd;

	/* The kernel ends at 24 MiB (16 + init_size 8): 40 MiB fit exactly under 64. */
	kfd = bz_fd(&b);
	ifd = memfd_sparse(40 * MiB);
	boot(&br, 64 * MiB, kfd, ifd, "console=ttyS0");
	assert_boot_ok(&br);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_image, 24 * MiB);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_size, 40 * MiB);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 24 * MiB, 1), 0x5a);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 24 * MiB + 1, 1), 0);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 64 * MiB - 1, 1), 0x5a);
	/* The kernel's last byte is still its own. */
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 24 * MiB - 1, 1), 0);
	boot_done(&br, kfd, ifd);

	/* One byte more, and the page-aligned start would overlap the kernel. */
	kfd = bz_fd(&b);
	ifd = memfd_sparse(40 * MiB + 1);
	boot(&br, 64 * MiB, kfd, ifd, "console=ttyS0");
	assert_boot_fails(&br, -ENOSPC, "--initrd initrd-test", "--memory", NULL);
	boot_done(&br, kfd, ifd);

	/* Bigger than RAM. */
	kfd = bz_fd(&b);
	ifd = memfd_sparse(100 * MiB);
	boot(&br, 64 * MiB, kfd, ifd, "console=ttyS0");
	assert_boot_fails(&br, -ENOSPC, "--initrd initrd-test (100 MiB)", "--memory", NULL);
	boot_done(&br, kfd, ifd);

	/* Bigger than what initrd_addr_max allows, though RAM would hold it. */
	{
		struct bz b2 = bz_default();

		b2.initrd_addr_max = 0x1ffffff;	/* 32 MiB */
		kfd = bz_fd(&b2);
		ifd = memfd_sparse(9 * MiB);
		boot(&br, 1 * GiB, kfd, ifd, "console=ttyS0");
		assert_boot_fails(&br, -ENOSPC, "--initrd initrd-test", "below 32 MiB", NULL);
		boot_done(&br, kfd, ifd);
	}
}
END_TEST

START_TEST(err_truncated)
{
	struct bz b = bz_default();
	size_t len;
	uint8_t *img = bz_build(&b, &len);
	struct boot_run br;
	int kfd;

	/* Shorter than the boot sector. */
	kfd = memfd_with(img, 0x100);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", NULL);
	boot_done(&br, kfd, -1);

	/* Cut right after "HdrS": the header the jump announces is not there. */
	kfd = memfd_with(img, 0x206);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "truncated setup header", NULL);
	boot_done(&br, kfd, -1);

	/* The header is whole, the setup code is not, the kernel is missing. */
	kfd = memfd_with(img, 0x400);
	boot(&br, 64 * MiB, kfd, -1, "console=ttyS0");
	assert_boot_fails(&br, -EINVAL, "vmlinuz-test", "no protected-mode kernel", NULL);
	boot_done(&br, kfd, -1);
	free(img);
}
END_TEST

START_TEST(err_ram_too_small)
{
	static uint8_t ram[1 << 20];
	const struct gmem_region r = { 0, sizeof(ram), ram, 0 };
	const struct bz b = bz_default();
	const struct boot_files f = { bz_fd(&b), -1, "vmlinuz-test", NULL };
	struct vcpu_boot_state st;
	struct gmem m;
	char err[256] = "";

	ck_assert_int_eq(gmem_init_regions(&m, &r, 1), 0);
	ck_assert_int_eq(boot_load(&m, &f, "", 0, &st, err, sizeof(err)), -ENOSPC);
	assert_contains(err, "too small");
	close(f.kernel_fd);
}
END_TEST

/* ---- a synthesized ELF vmlinux --------------------------------------------------- */

#define ELF_SEG0_OFF	0x1000
#define ELF_SEG0_FILESZ	0x1800
#define ELF_SEG0_MEMSZ	0x3000
#define ELF_BSS		(ELF_SEG0_MEMSZ - ELF_SEG0_FILESZ)
#define ELF_SEG0_PADDR	0x1000000ull
#define ELF_SEG0_VADDR	0xffffffff81000000ull
#define ELF_SEG1_OFF	0x2800
#define ELF_SEG1_SZ	0x800
#define ELF_SEG1_PADDR	0x1400000ull
#define ELF_SEG1_VADDR	0xffffffff81400000ull
#define ELF_FILE_LEN	0x3000

struct elf_image {
	uint8_t data[ELF_FILE_LEN];
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;		/* [0] PT_NOTE, [1] PT_LOAD text+bss, [2] PT_LOAD data */
};

static void elf_build(struct elf_image *e)
{
	memset(e->data, 0, sizeof(e->data));
	e->eh = (Elf64_Ehdr *)e->data;
	e->ph = (Elf64_Phdr *)(e->data + sizeof(Elf64_Ehdr));
	memcpy(e->eh->e_ident, ELFMAG, SELFMAG);
	e->eh->e_ident[EI_CLASS] = ELFCLASS64;
	e->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh->e_ident[EI_VERSION] = EV_CURRENT;
	e->eh->e_type = ET_EXEC;
	e->eh->e_machine = EM_X86_64;
	e->eh->e_version = EV_CURRENT;
	e->eh->e_entry = ELF_SEG0_VADDR + 0x40;
	e->eh->e_phoff = sizeof(Elf64_Ehdr);
	e->eh->e_ehsize = sizeof(Elf64_Ehdr);
	e->eh->e_phentsize = sizeof(Elf64_Phdr);
	e->eh->e_phnum = 3;
	e->ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x200, .p_vaddr = 0x200,
				 .p_paddr = 0x200, .p_filesz = 0x40, .p_memsz = 0x40 };
	e->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
				 .p_offset = ELF_SEG0_OFF, .p_vaddr = ELF_SEG0_VADDR,
				 .p_paddr = ELF_SEG0_PADDR, .p_filesz = ELF_SEG0_FILESZ,
				 .p_memsz = ELF_SEG0_MEMSZ, .p_align = 0x200000 };
	e->ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
				 .p_offset = ELF_SEG1_OFF, .p_vaddr = ELF_SEG1_VADDR,
				 .p_paddr = ELF_SEG1_PADDR, .p_filesz = ELF_SEG1_SZ,
				 .p_memsz = ELF_SEG1_SZ, .p_align = 0x200000 };
	for (size_t i = ELF_SEG0_OFF; i < ELF_FILE_LEN; i++)
		e->data[i] = pattern(i, 0x99);
}

static int elf_fd(const struct elf_image *e, size_t len)
{
	return memfd_with(e->data, len);
}

/* boot_load on prepared (possibly dirtied) RAM. */
static void boot_elf(struct boot_run *br, uint64_t ram, const struct elf_image *e, size_t len,
		     int ifd, const char *cmdline, int *kfd)
{
	*kfd = elf_fd(e, len);
	kernel_name = "vmlinux-test";
	boot(br, ram, *kfd, ifd, cmdline);
	kernel_name = "vmlinuz-test";
}

START_TEST(elf_good)
{
	struct elf_image e;
	struct boot_run br;
	const struct boot_params *bp;
	struct boot_files f = { -1, -1, "vmlinux-test", NULL };
	uint8_t *bss;
	int kfd;

	elf_build(&e);
	kfd = elf_fd(&e, sizeof(e.data));
	f.kernel_fd = kfd;
	memset(&br, 0, sizeof(br));
	ck_assert_int_eq(gmem_init(&br.m, 64 * MiB), 0);
	/* Dirty the bss and what follows: the loader must clear exactly the bss. */
	bss = gmem_ptr(&br.m, ELF_SEG0_PADDR + ELF_SEG0_FILESZ, ELF_BSS + 16);
	ck_assert_ptr_nonnull(bss);
	memset(bss, 0xaa, ELF_BSS + 16);
	br.r = boot_load(&br.m, &f, "console=ttyS0 earlyprintk", RSDP, &br.st, br.err,
			 sizeof(br.err));
	assert_boot_ok(&br);

	/* Entry translated from its virtual address through segment 1. */
	check_cpu_state(&br.st, ELF_SEG0_PADDR + 0x40);
	ck_assert_mem_eq(gmem_ptr(&br.m, ELF_SEG0_PADDR, ELF_SEG0_FILESZ), e.data + ELF_SEG0_OFF,
			 ELF_SEG0_FILESZ);
	for (size_t i = 0; i < ELF_BSS; i++)
		ck_assert_uint_eq(bss[i], 0);
	for (size_t i = ELF_BSS; i < ELF_BSS + 16; i++)
		ck_assert_uint_eq(bss[i], 0xaa);
	ck_assert_mem_eq(gmem_ptr(&br.m, ELF_SEG1_PADDR, ELF_SEG1_SZ), e.data + ELF_SEG1_OFF,
			 ELF_SEG1_SZ);
	/* The PT_NOTE was not loaded at its (low) address. */
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&br.m, 0x200, 1), 0);

	bp = params(&br);
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.loadflags, BOOT_LOADED_HIGH | BOOT_CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.heap_end_ptr, 0xfe00);
	ck_assert_uint_eq(bp->hdr.vid_mode, 0xffff);
	ck_assert_uint_eq(bp->hdr.cmdline_size, 2047);
	ck_assert_uint_eq(bp->hdr.initrd_addr_max, 0x7fffffff);
	ck_assert_uint_eq(bp->hdr.kernel_alignment, 0x1000000);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0);
	ck_assert_uint_eq(bp->hdr.setup_sects, 0);
	ck_assert_uint_eq(bp->hdr.xloadflags, 0);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, RSDP);
	check_e820_in_params(bp, 64 * MiB);
	check_cmdline(&br.m, "console=ttyS0 earlyprintk");
	check_page_tables(&br.m);
	check_gdt(&br.m);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(elf_entry_forms)
{
	struct elf_image e;
	struct boot_run br;
	int kfd;

	/* A physical entry point is taken as it is. */
	elf_build(&e);
	e.eh->e_entry = ELF_SEG1_PADDR + 0x10;
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), -1, "", &kfd);
	assert_boot_ok(&br);
	ck_assert_uint_eq(br.st.rip, ELF_SEG1_PADDR + 0x10);
	boot_done(&br, kfd, -1);

	/* A virtual one in the second segment. */
	elf_build(&e);
	e.eh->e_entry = ELF_SEG1_VADDR + 0x7f0;
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), -1, "", &kfd);
	assert_boot_ok(&br);
	ck_assert_uint_eq(br.st.rip, ELF_SEG1_PADDR + 0x7f0);
	boot_done(&br, kfd, -1);

	/* In the bss of the first. */
	elf_build(&e);
	e.eh->e_entry = ELF_SEG0_VADDR + ELF_SEG0_MEMSZ - 1;
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), -1, "", &kfd);
	assert_boot_ok(&br);
	ck_assert_uint_eq(br.st.rip, ELF_SEG0_PADDR + ELF_SEG0_MEMSZ - 1);
	boot_done(&br, kfd, -1);
}
END_TEST

START_TEST(elf_initrd_above_kernel)
{
	struct elf_image e;
	struct boot_run br;
	uint8_t data[100];
	int kfd, ifd;

	memset(data, 0x42, sizeof(data));
	ifd = memfd_with(data, sizeof(data));
	elf_build(&e);
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), ifd, "", &kfd);
	assert_boot_ok(&br);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_image, 64 * MiB - 0x1000);
	ck_assert_uint_eq(params(&br)->hdr.ramdisk_size, 100);
	ck_assert_mem_eq(gmem_ptr(&br.m, 64 * MiB - 0x1000, 100), data, 100);
	boot_done(&br, kfd, ifd);

	/* The kernel ends at 0x1400800: an initrd needing more than the rest fails. */
	elf_build(&e);
	ifd = memfd_sparse(64 * MiB - ELF_SEG1_PADDR - ELF_SEG1_SZ + 1);
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), ifd, "", &kfd);
	assert_boot_fails(&br, -ENOSPC, "--initrd", NULL);
	boot_done(&br, kfd, ifd);
}
END_TEST

START_TEST(elf_cmdline_limit)
{
	struct elf_image e;
	struct boot_run br;
	char cmdline[2049];
	int kfd;

	memset(cmdline, 'e', 2047);
	cmdline[2047] = '\0';
	elf_build(&e);
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), -1, cmdline, &kfd);
	assert_boot_ok(&br);
	check_cmdline(&br.m, cmdline);
	boot_done(&br, kfd, -1);

	memset(cmdline, 'e', 2048);
	cmdline[2048] = '\0';
	boot_elf(&br, 64 * MiB, &e, sizeof(e.data), -1, cmdline, &kfd);
	assert_boot_fails(&br, -E2BIG, "--cmdline is 2048 bytes", "at most 2047", NULL);
	boot_done(&br, kfd, -1);
}
END_TEST

/* One malformed ELF: build, break, boot, expect. */
#define ELF_BAD(ram, mutate, code, ...) do {					\
	struct elf_image e;							\
	struct boot_run br;							\
	size_t len = sizeof(e.data);						\
	int kfd;								\
										\
	elf_build(&e);								\
	mutate;									\
	boot_elf(&br, ram, &e, len, -1, "console=ttyS0", &kfd);			\
	assert_boot_fails(&br, code, __VA_ARGS__, NULL);			\
	boot_done(&br, kfd, -1);						\
} while (0)

START_TEST(elf_bad_header)
{
	const char *msg = "not an x86-64 executable ELF vmlinux";

	ELF_BAD(64 * MiB, e.eh->e_ident[EI_CLASS] = ELFCLASS32, -EINVAL, "vmlinux-test", msg);
	ELF_BAD(64 * MiB, e.eh->e_ident[EI_CLASS] = ELFCLASSNONE, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_ident[EI_DATA] = ELFDATA2MSB, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_machine = EM_386, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_machine = EM_AARCH64, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_type = ET_DYN, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_type = ET_REL, -EINVAL, msg);
	/* Shorter than its own header. */
	ELF_BAD(64 * MiB, len = 40, -EINVAL, "vmlinux-test", "truncated ELF header");
	ELF_BAD(64 * MiB, len = 4, -EINVAL, "vmlinux-test");
}
END_TEST

START_TEST(elf_bad_phdrs)
{
	const char *msg = "bad program headers";

	ELF_BAD(64 * MiB, e.eh->e_phnum = 0xffff, -EINVAL, "vmlinux-test", msg);
	ELF_BAD(64 * MiB, e.eh->e_phnum = 65, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phnum = 0, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phentsize = 32, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phentsize = 0, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phoff = ELF_FILE_LEN, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phoff = ELF_FILE_LEN - 100, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phoff = UINT64_MAX, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_phoff = UINT64_MAX - 55, -EINVAL, msg);
	/* The file ends inside the program headers. */
	ELF_BAD(64 * MiB, len = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr), -EINVAL, msg);
}
END_TEST

START_TEST(elf_bad_segment_file_range)
{
	const char *msg = "segment 1 lies outside the file";

	ELF_BAD(64 * MiB, e.ph[1].p_offset = ELF_FILE_LEN + 1, -EINVAL, "vmlinux-test", msg);
	ELF_BAD(64 * MiB, e.ph[1].p_offset = ELF_FILE_LEN - 0x10, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.ph[1].p_offset = UINT64_MAX, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.ph[1].p_offset = UINT64_MAX - 0x100, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.ph[1].p_filesz = e.ph[1].p_memsz = UINT64_MAX, -EINVAL, msg);
	/* More file bytes than memory. */
	ELF_BAD(64 * MiB, e.ph[1].p_filesz = ELF_SEG0_MEMSZ + 1, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.ph[2].p_filesz = ELF_SEG1_SZ + 1, -EINVAL, "segment 2 lies outside");
	/* Cut the file inside the last segment. */
	ELF_BAD(64 * MiB, len = ELF_SEG1_OFF + 0x100, -EINVAL, "segment 2 lies outside");
}
END_TEST

START_TEST(elf_bad_segment_ram)
{
	const char *msg = "does not fit in guest RAM";

	ELF_BAD(64 * MiB, e.ph[1].p_paddr = 0x8000000, -ENOSPC, "vmlinux-test",
		"segment 1 at 0x8000000+0x3000", msg);
	/* Straddling the end of RAM. */
	ELF_BAD(64 * MiB, e.ph[1].p_paddr = 64 * MiB - 0x1000, -ENOSPC, msg);
	/* Below 1 MiB, over hvkvm's own boot structures. */
	ELF_BAD(64 * MiB, e.ph[1].p_paddr = 0x7000, -ENOSPC, msg);
	ELF_BAD(64 * MiB, e.ph[1].p_paddr = 0, -ENOSPC, msg);
	ELF_BAD(64 * MiB, e.ph[1].p_paddr = 0xff000, -ENOSPC, msg);
	/* A size that wraps around. */
	ELF_BAD(64 * MiB, e.ph[1].p_memsz = UINT64_MAX - 0x800000, -ENOSPC, msg);
	ELF_BAD(64 * MiB, e.ph[1].p_paddr = UINT64_MAX - 0x1000, -ENOSPC, msg);
	/* In the MMIO hole, and above 4 GiB where RAM exists but boot does not map. */
	ELF_BAD(5 * GiB, e.ph[1].p_paddr = 0xd0000000ull, -ENOSPC, msg);
	ELF_BAD(5 * GiB, e.ph[2].p_paddr = 0x100000000ull, -ENOSPC, "segment 2", msg);
}
END_TEST

START_TEST(elf_bad_entry)
{
	const char *msg = "is in no loadable segment";

	ELF_BAD(64 * MiB, e.eh->e_entry = 0xdeadbeef, -EINVAL, "vmlinux-test",
		"entry point 0xdeadbeef", msg);
	ELF_BAD(64 * MiB, e.eh->e_entry = 0, -EINVAL, msg);
	/* Just past the end of each segment, virtually and physically. */
	ELF_BAD(64 * MiB, e.eh->e_entry = ELF_SEG0_VADDR + ELF_SEG0_MEMSZ, -EINVAL, msg);
	ELF_BAD(64 * MiB, e.eh->e_entry = ELF_SEG1_PADDR + ELF_SEG1_SZ, -EINVAL, msg);
	/* In the PT_NOTE, which is not loaded. */
	ELF_BAD(64 * MiB, e.eh->e_entry = 0x210, -EINVAL, msg);
	/* Only zero-sized loadable segments: nothing to enter. */
	ELF_BAD(64 * MiB, e.ph[1].p_memsz = e.ph[1].p_filesz = 0;
		e.ph[2].p_memsz = e.ph[2].p_filesz = 0, -EINVAL, msg);
}
END_TEST

/* ---- boot_load_kernel: an image in a buffer ----------------------------------------- */

struct kernel_run {
	struct gmem m;
	struct boot_kernel k;
	char err[512];
	int r;
};

static void load_buf(struct kernel_run *kr, uint64_t ram, const uint8_t *img, size_t len)
{
	memset(kr, 0, sizeof(*kr));
	ck_assert_int_eq(gmem_init(&kr->m, ram), 0);
	kr->r = boot_load_kernel(&kr->m, img, len, "img-test", &kr->k, kr->err, sizeof(kr->err));
}

START_TEST(buf_bzimage)
{
	const struct bz b = bz_default();
	struct bz h = bz_default();
	struct kernel_run kr;
	size_t len;
	uint8_t *img = bz_build(&b, &len);

	load_buf(&kr, 64 * MiB, img, len);
	ck_assert_msg(kr.r == 0, "%d: %s", kr.r, kr.err);
	ck_assert_uint_eq(kr.k.entry, 0x1000200);
	ck_assert_uint_eq(kr.k.end, 0x1000000 + b.init_size);
	ck_assert_uint_eq(kr.k.cmdline_size, 2048);
	ck_assert_uint_eq(kr.k.initrd_addr_max, 0x7fffffff);
	ck_assert_uint_eq(kr.k.hdr.code32_start, 0x1000000);
	ck_assert_uint_eq(kr.k.hdr.type_of_loader, 0xff);
	check_payload(&kr.m, 0x1000000, b.payload_len);
	gmem_destroy(&kr.m);

	/* The image the fuzzer found: 222 bytes of code where the entry is 0x200 in. */
	free(img);
	h.payload_len = 222;
	h.pref_address = 0;
	h.init_size = 0;
	img = bz_build(&h, &len);
	load_buf(&kr, 64 * MiB, img, len);
	ck_assert_int_eq(kr.r, -EINVAL);
	assert_contains(kr.err, "--kernel img-test: the protected-mode kernel (222 bytes) ends before");
	gmem_destroy(&kr.m);
	free(img);
}
END_TEST

START_TEST(buf_vmlinux)
{
	struct elf_image e;
	struct kernel_run kr;

	elf_build(&e);
	load_buf(&kr, 64 * MiB, e.data, sizeof(e.data));
	ck_assert_msg(kr.r == 0, "%d: %s", kr.r, kr.err);
	ck_assert_uint_eq(kr.k.entry, ELF_SEG0_PADDR + 0x40);
	ck_assert_uint_eq(kr.k.end, ELF_SEG1_PADDR + ELF_SEG1_SZ);
	ck_assert_mem_eq(gmem_ptr(&kr.m, ELF_SEG1_PADDR, ELF_SEG1_SZ), e.data + ELF_SEG1_OFF, ELF_SEG1_SZ);
	gmem_destroy(&kr.m);

	e.eh->e_phoff = UINT64_MAX - 55;
	load_buf(&kr, 64 * MiB, e.data, sizeof(e.data));
	ck_assert_int_eq(kr.r, -EINVAL);
	assert_contains(kr.err, "--kernel img-test: bad program headers");
	gmem_destroy(&kr.m);
}
END_TEST

/*
 * Every cut of a good image, at the end of a page with nothing mapped after it: the
 * loader refuses it or loads it, and never reads a byte past the end of the buffer.
 */
static void check_every_cut(const uint8_t *img, size_t len)
{
	const size_t page = 4096, span = (len + page - 1) / page * page;
	uint8_t *map = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gmem m;

	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + span, page, PROT_NONE), 0);
	ck_assert_int_eq(gmem_init(&m, 64 * MiB), 0);
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *at = map + span - cut;
		struct boot_kernel k;
		char err[512] = "";
		int r;

		memcpy(at, img, cut);
		r = boot_load_kernel(&m, at, cut, "img-test", &k, err, sizeof(err));
		ck_assert_msg(r == 0 || (r < 0 && err[0]), "cut at %zu: %d without a message", cut, r);
		ck_assert_msg((r == 0) == (cut == len), "cut at %zu: %d (%s)", cut, r, err);
	}
	gmem_destroy(&m);
	munmap(map, span + page);
}

START_TEST(buf_every_cut)
{
	struct bz b = bz_default();
	struct elf_image e;
	size_t len;
	uint8_t *img;

	/* No init_size: a cut bzImage is a smaller kernel, refused only once its code
	 * ends before the entry; so the payload is just past it. */
	b.payload_len = 0x201;
	b.init_size = 0;
	img = bz_build(&b, &len);
	check_every_cut(img, len);
	free(img);
	elf_build(&e);
	check_every_cut(e.data, sizeof(e.data));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("e820");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, e820_64m);
	tcase_add_test(tc, e820_1g);
	tcase_add_test(tc, e820_3g);
	tcase_add_test(tc, e820_5g);
	tcase_add_test(tc, e820_max_and_tiny);
	tcase_add_test(tc, fw_e820);
	tcase_add_test(tc, fill_params_high_addresses);
	suite_add_tcase(s, tc);

	tc = tcase_create("bzimage");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bz_good);
	tcase_add_test(tc, bz_no_initrd);
	tcase_add_test(tc, bz_initrd_addr_max);
	tcase_add_test(tc, bz_5g_e820);
	tcase_add_test(tc, bz_pref_address);
	tcase_add_test(tc, bz_setup_sects_zero);
	tcase_add_test(tc, bz_long_header_jump);
	tcase_add_test(tc, bz_init_size_exact_fit);
	tcase_add_test(tc, err_not_a_kernel);
	tcase_add_test(tc, err_old_protocol);
	tcase_add_test(tc, err_no_64bit_entry);
	tcase_add_test(tc, err_setup_past_eof);
	tcase_add_test(tc, err_no_code_at_entry);
	tcase_add_test(tc, err_init_size_too_big);
	tcase_add_test(tc, err_cmdline_too_long);
	tcase_add_test(tc, bz_cmdline_exactly_cmdline_size);
	tcase_add_test(tc, err_cmdline_over_hvkvm_limit);
	tcase_add_test(tc, err_initrd_too_big);
	tcase_add_test(tc, err_truncated);
	tcase_add_test(tc, err_ram_too_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("elf");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, elf_good);
	tcase_add_test(tc, elf_entry_forms);
	tcase_add_test(tc, elf_initrd_above_kernel);
	tcase_add_test(tc, elf_cmdline_limit);
	tcase_add_test(tc, elf_bad_header);
	tcase_add_test(tc, elf_bad_phdrs);
	tcase_add_test(tc, elf_bad_segment_file_range);
	tcase_add_test(tc, elf_bad_segment_ram);
	tcase_add_test(tc, elf_bad_entry);
	suite_add_tcase(s, tc);

	tc = tcase_create("buffer");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, buf_bzimage);
	tcase_add_test(tc, buf_vmlinux);
	tcase_add_test(tc, buf_every_cut);
	suite_add_tcase(s, tc);

	return test_main(s);
}
