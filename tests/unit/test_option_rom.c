/* SPDX-License-Identifier: MIT */
/*
 * The option ROM function on PCI bus 0: ROM BAR sizing the way the firmware's PCI bus
 * driver does it, decode only with the enable bit and memory decode, the image read
 * through the MMIO bus (writes dropped) and as read-only device memory while it
 * decodes, the hide register, bus reset; and the image walk that checks a ROM file.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "memory.h"
#include "option_rom.h"
#include "pci.h"
#include "testutil.h"

#define DEVFN		PCI_DEVFN(3, 0)
#define ROM_LEN		5000	/* BAR: 8 KiB */
#define ROM_BASE	0xc0000000u

#define RAM_SIZE	(1u << 20)	/* at 0 */

static struct pci_bus *pci;
static struct io_bus mmio;
static struct gmem mem;
static uint8_t ram[RAM_SIZE];

/* What the slot handler was told last, per slot: what the guest sees as memory. */
static struct { uint64_t gpa, size; const uint8_t *host; unsigned flags; } slot[16];

static int record_slot(void *opaque, unsigned n, uint64_t gpa, uint64_t size, void *host,
		       unsigned flags)
{
	(void)opaque;
	ck_assert_uint_lt(n, 16);
	/* A slot is deleted before it is added elsewhere (KVM cannot move one). */
	ck_assert(size == 0 || slot[n].size == 0);
	slot[n].gpa = gpa;
	slot[n].size = size;
	slot[n].host = host;
	slot[n].flags = flags;
	return 0;
}

/* The one device memory slot in place, or -1 if there is none. */
static int mapped_slot(void)
{
	int found = -1;

	for (int i = 0; i < 16; i++)
		if (slot[i].size) {
			ck_assert_int_eq(found, -1);
			found = i;
		}
	return found;
}
static struct option_rom *rom;
static uint8_t image[ROM_LEN];

/* One image of len bytes (a multiple of 512) at img: 55 AA, PCIR at 0x1c. */
static void make_image(uint8_t *img, size_t len, uint8_t code_type, bool last)
{
	memset(img, 0, len);
	img[0] = 0x55;
	img[1] = 0xaa;
	img[OPROM_PCIR_PTR] = 0x1c;
	memcpy(img + 0x1c, "PCIR", 4);
	img[0x1c + PCIR_IMAGE_LENGTH] = (uint8_t)(len / 512);
	img[0x1c + PCIR_IMAGE_LENGTH + 1] = (uint8_t)(len / 512 >> 8);
	img[0x1c + PCIR_CODE_TYPE] = code_type;
	img[0x1c + PCIR_INDICATOR] = last ? PCIR_LAST_IMAGE : 0;
	for (size_t i = 0x40; i < len; i++)
		img[i] = (uint8_t)(i * 13 + 1);
}

static void setup(void)
{
	char err[256] = "";

	struct gmem_region r = { 0, RAM_SIZE, ram, 0 };

	io_bus_init(&mmio, "mmio");
	ck_assert_int_eq(gmem_init_regions(&mem, &r, 1), 0);
	memset(slot, 0, sizeof(slot));
	ck_assert_int_eq(gmem_set_slot_fn(&mem, record_slot, NULL), 0);
	pci = pci_bus_new();
	ck_assert_ptr_nonnull(pci);
	make_image(image, 4608, PCIR_CODE_EFI, true);
	for (size_t i = 4608; i < ROM_LEN; i++)
		image[i] = 0xee;	/* after the last image: still the file's bytes */
	rom = option_rom_new(pci, &mmio, &mem, DEVFN, image, ROM_LEN, err, sizeof(err));
	ck_assert_msg(rom != NULL, "%s", err);
	ck_assert_int_eq(mapped_slot(), -1);
}

static void teardown(void)
{
	pci_bus_free(pci);
	option_rom_free(rom);
	/* Freeing it took its memory out of the guest's address space. */
	ck_assert_int_eq(mapped_slot(), -1);
	for (unsigned i = 0; i < GMEM_MAX_DEVMEM; i++)
		ck_assert_ptr_null(mem.devmem[i]);
}

static uint32_t cfg_read(unsigned reg, unsigned size)
{
	return pci_bus_config_read(pci, 0x80000000u | DEVFN << 8 | (reg & 0xfc), reg & 3, size);
}

static void cfg_write(unsigned reg, uint32_t v, unsigned size)
{
	pci_bus_config_write(pci, 0x80000000u | DEVFN << 8 | (reg & 0xfc), reg & 3, v, size);
}

static bool mem_read(uint64_t addr, uint64_t *v, unsigned size)
{
	*v = 0;
	return io_bus_access(&mmio, addr, v, size, false);
}

START_TEST(identity)
{
	ck_assert_uint_eq(cfg_read(PCI_VENDOR_ID, 4), (uint32_t)OPTION_ROM_DEVICE << 16 | OPTION_ROM_VENDOR);
	ck_assert_uint_eq(cfg_read(PCI_REVISION_ID, 4), OPTION_ROM_CLASS << 8);
	ck_assert_uint_eq(cfg_read(PCI_HEADER_TYPE, 1), 0);
	ck_assert_uint_eq(cfg_read(PCI_INTERRUPT_PIN, 1), 0);
	/* No BARs: all six read 0 and stay 0. */
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		cfg_write(PCI_BAR0 + 4 * i, 0xffffffff, 4);
		ck_assert_uint_eq(cfg_read(PCI_BAR0 + 4 * i, 4), 0);
	}
	/* Only memory decode is writable in the command register. */
	cfg_write(PCI_COMMAND, 0xffff, 2);
	ck_assert_uint_eq(cfg_read(PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
}
END_TEST

START_TEST(rom_bar_sizing)
{
	/* The firmware's way: 0xFFFFFFFE (decode off), masked with 0xFFFFF800. */
	cfg_write(PCI_ROM_ADDRESS, 0xfffffffe, 4);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), ~(8192u - 1));
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4) & PCI_ROM_ADDR_MASK, 0xffffe000u);
	cfg_write(PCI_ROM_ADDRESS, 0xfffff800, 4);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), 0xffffe000u);
	cfg_write(PCI_ROM_ADDRESS, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), 0xffffe001u);
	/* Reserved bits 10:1 and address bits below the size read 0. */
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | 0x17fe, 4);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), ROM_BASE);
	/* Byte writes reach the enable bit alone. */
	cfg_write(PCI_ROM_ADDRESS, 1, 1);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), ROM_BASE | 1);
	ck_assert_uint_eq(option_rom_bar_size(1), OPTION_ROM_MIN_BAR);
	ck_assert_uint_eq(option_rom_bar_size(4096), 4096);
	ck_assert_uint_eq(option_rom_bar_size(4097), 8192);
	ck_assert_uint_eq(option_rom_bar_size(OPTION_ROM_MAX_SIZE), OPTION_ROM_MAX_SIZE);
	ck_assert_uint_eq(option_rom_bar_size(OPTION_ROM_MAX_SIZE + 1), 0);
}
END_TEST

START_TEST(rom_decode)
{
	uint64_t v;

	cfg_write(PCI_ROM_ADDRESS, ROM_BASE, 4);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
	/* The enable bit without memory decode: nothing. */
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
	/* Both: the image, byte by byte as the firmware reads it, and wider. */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	for (unsigned i = 0; i < ROM_LEN; i++) {
		ck_assert(mem_read(ROM_BASE + i, &v, 1));
		ck_assert_uint_eq(v, image[i]);
	}
	ck_assert(mem_read(ROM_BASE, &v, 4));
	ck_assert_uint_eq(v, (uint64_t)image[3] << 24 | image[2] << 16 | 0xaa55);
	ck_assert(mem_read(ROM_BASE + 0x40, &v, 8));
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq((v >> (8 * i)) & 0xff, image[0x40 + i]);
	/* Past the file, inside the BAR: zeroes; past the BAR: nothing. */
	ck_assert(mem_read(ROM_BASE + ROM_LEN, &v, 4));
	ck_assert_uint_eq(v, 0);
	ck_assert(mem_read(ROM_BASE + 8191, &v, 1));
	ck_assert_uint_eq(v, 0);
	ck_assert(!mem_read(ROM_BASE + 8192, &v, 1));
	/* Read-only: a write changes nothing. */
	v = 0x12345678;
	ck_assert(io_bus_access(&mmio, ROM_BASE, &v, 4, true));
	ck_assert(mem_read(ROM_BASE, &v, 2));
	ck_assert_uint_eq(v, 0xaa55);
	/* Moving it, then decode off by either bit. */
	cfg_write(PCI_ROM_ADDRESS, 0xd0000000u | PCI_ROM_ENABLE, 4);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
	ck_assert(mem_read(0xd0000000u, &v, 2));
	ck_assert_uint_eq(v, 0xaa55);
	cfg_write(PCI_ROM_ADDRESS, 0xfffffffe, 4);
	ck_assert(!mem_read(0xd0000000u, &v, 1));
	cfg_write(PCI_ROM_ADDRESS, 0xd0000000u | PCI_ROM_ENABLE, 4);
	ck_assert(mem_read(0xd0000000u, &v, 1));
	cfg_write(PCI_COMMAND, 0, 2);
	ck_assert(!mem_read(0xd0000000u, &v, 1));
	/* The all-ones sizing value with the enable bit is no window either. */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(PCI_ROM_ADDRESS, 0xffffffff, 4);
	ck_assert(!mem_read(0xffffe000u, &v, 1));
}
END_TEST

START_TEST(hide_and_reset)
{
	uint64_t v;

	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert(mem_read(ROM_BASE, &v, 1));
	/* Anything but a dword write of the magic value: ignored, and reads 0. */
	cfg_write(OPTION_ROM_HIDE_REG, OPTION_ROM_HIDE_MAGIC - 1, 4);
	cfg_write(OPTION_ROM_HIDE_REG, OPTION_ROM_HIDE_MAGIC & 0xffff, 2);
	cfg_write(OPTION_ROM_HIDE_REG + 2, OPTION_ROM_HIDE_MAGIC >> 16, 2);
	cfg_write(OPTION_ROM_HIDE_REG, OPTION_ROM_HIDE_MAGIC & 0xff, 1);
	ck_assert_uint_eq(cfg_read(OPTION_ROM_HIDE_REG, 4), 0);
	ck_assert_uint_eq(cfg_read(PCI_VENDOR_ID, 2), OPTION_ROM_VENDOR);
	ck_assert(mem_read(ROM_BASE, &v, 1));
	/* The magic: gone from the bus, the ROM with it. */
	cfg_write(OPTION_ROM_HIDE_REG, OPTION_ROM_HIDE_MAGIC, 4);
	ck_assert_uint_eq(cfg_read(PCI_VENDOR_ID, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(PCI_VENDOR_ID, 2), 0xffff);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), 0xffffffffu);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
	/* Writes do not bring it back. */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
	ck_assert_uint_eq(cfg_read(PCI_VENDOR_ID, 2), 0xffff);
	/* A reset does, at power-on values. */
	pci_bus_reset(pci);
	ck_assert_uint_eq(cfg_read(PCI_VENDOR_ID, 2), OPTION_ROM_VENDOR);
	ck_assert_uint_eq(cfg_read(PCI_COMMAND, 2), 0);
	ck_assert_uint_eq(cfg_read(PCI_ROM_ADDRESS, 4), 0);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert(mem_read(ROM_BASE, &v, 2));
	ck_assert_uint_eq(v, 0xaa55);
	/* A reset while decoding unmaps it. */
	pci_bus_reset(pci);
	ck_assert(!mem_read(ROM_BASE, &v, 1));
}
END_TEST

/* While it decodes, the window is read-only memory holding the image then zeroes, at the
 * BAR's address; it follows the BAR, and goes with either decode bit, the hide
 * register and a reset. */
START_TEST(rom_as_memory)
{
	uint64_t v;
	int n;

	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert_int_eq(mapped_slot(), -1);	/* no memory decode yet */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	n = mapped_slot();
	ck_assert_int_ge(n, 0);
	ck_assert_uint_eq(slot[n].gpa, ROM_BASE);
	ck_assert_uint_eq(slot[n].size, 8192);
	ck_assert_uint_eq(slot[n].flags, GMEM_SLOT_READONLY);
	ck_assert_mem_eq(slot[n].host, image, ROM_LEN);
	for (unsigned i = ROM_LEN; i < 8192; i++)
		ck_assert_uint_eq(slot[n].host[i], 0);
	/* Moved with the BAR. */
	cfg_write(PCI_ROM_ADDRESS, 0xd0000000u | PCI_ROM_ENABLE, 4);
	n = mapped_slot();
	ck_assert_int_ge(n, 0);
	ck_assert_uint_eq(slot[n].gpa, 0xd0000000u);
	/* Either decode bit off: gone; back on: there again. */
	cfg_write(PCI_ROM_ADDRESS, 0xd0000000u, 4);
	ck_assert_int_eq(mapped_slot(), -1);
	cfg_write(PCI_ROM_ADDRESS, 0xd0000000u | PCI_ROM_ENABLE, 4);
	ck_assert_int_ge(mapped_slot(), 0);
	cfg_write(PCI_COMMAND, 0, 2);
	ck_assert_int_eq(mapped_slot(), -1);
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	ck_assert_int_ge(mapped_slot(), 0);
	/* Over RAM: no memory there (nor left at the old place), but the MMIO range still
	 * serves the image. */
	cfg_write(PCI_ROM_ADDRESS, 0x80000u | PCI_ROM_ENABLE, 4);
	ck_assert_int_eq(mapped_slot(), -1);
	ck_assert(mem_read(0x80000u, &v, 2));
	ck_assert_uint_eq(v, 0xaa55);
	/* The firmware's sizing write (all ones) is no window. */
	cfg_write(PCI_ROM_ADDRESS, 0xffffffff, 4);
	ck_assert_int_eq(mapped_slot(), -1);
	/* From there to a free place: memory again. */
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert_int_ge(mapped_slot(), 0);
	/* Hidden: gone, and writes do not bring it back; a reset neither (decode off)... */
	cfg_write(OPTION_ROM_HIDE_REG, OPTION_ROM_HIDE_MAGIC, 4);
	ck_assert_int_eq(mapped_slot(), -1);
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert_int_eq(mapped_slot(), -1);
	pci_bus_reset(pci);
	ck_assert_int_eq(mapped_slot(), -1);
	/* ... until the guest enables it again, and a reset while it decodes takes it away. */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert_int_ge(mapped_slot(), 0);
	pci_bus_reset(pci);
	ck_assert_int_eq(mapped_slot(), -1);
	/* Left mapped for the teardown to check that freeing unmaps it. */
	cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cfg_write(PCI_ROM_ADDRESS, ROM_BASE | PCI_ROM_ENABLE, 4);
	ck_assert_int_ge(mapped_slot(), 0);
}
END_TEST

START_TEST(add_rom_limits)
{
	struct pci_func_id id = { .vendor = 0x1234, .device = 1 };
	struct pci_func *f;

	ck_assert_int_eq(pci_bus_add(pci, PCI_DEVFN(4, 0), &id, NULL, NULL, &f), 0);
	ck_assert_int_eq(pci_func_add_rom(f, 1024), -EINVAL);
	ck_assert_int_eq(pci_func_add_rom(f, 3 * 4096), -EINVAL);
	ck_assert_int_eq(pci_func_add_rom(f, PCI_ROM_MAX_SIZE * 2), -EINVAL);
	ck_assert_int_eq(pci_func_add_rom(f, PCI_ROM_MIN_SIZE), 0);
	ck_assert_int_eq(pci_func_add_rom(f, 4096), -EEXIST);
	/* A 2 KiB ROM sizes as the firmware's "no ROM" value: why the function uses 4 KiB. */
	pci_bus_config_write(pci, 0x80000000u | PCI_DEVFN(4, 0) << 8 | PCI_ROM_ADDRESS, 0, 0xfffffffe, 4);
	ck_assert_uint_eq(pci_bus_config_read(pci, 0x80000000u | PCI_DEVFN(4, 0) << 8 | PCI_ROM_ADDRESS, 0, 4),
			  0xfffff800u);
	/* Another function at the option ROM's place: refused, with the reason. */
	{
		char err[256] = "";

		ck_assert_ptr_null(option_rom_new(pci, &mmio, &mem, DEVFN, image, ROM_LEN, err, sizeof(err)));
		ck_assert_msg(strstr(err, "03.0") != NULL, "%s", err);
	}
}
END_TEST

static int parse(const uint8_t *r, size_t len, struct option_rom_info *info, char *err)
{
	return option_rom_parse(r, len, info, err, 256);
}

START_TEST(parse_images)
{
	static uint8_t r[4096];
	struct option_rom_info info;
	char err[256];

	/* Legacy image, then an EFI image marked last, then bytes after it. */
	make_image(r, 1024, 0, false);
	make_image(r + 1024, 2048, PCIR_CODE_EFI, true);
	memset(r + 3072, 0xff, 1024);
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), 0);
	ck_assert_uint_eq(info.nimages, 2);
	ck_assert_uint_eq(info.nefi, 1);
	ck_assert_uint_eq(info.used, 3072);
	/* Without the last-image mark the walk stops at the block without 55 AA. */
	r[1024 + 0x1c + PCIR_INDICATOR] = 0;
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), 0);
	ck_assert_uint_eq(info.nimages, 2);
	/* The last image may end exactly at the end of the file. */
	ck_assert_int_eq(parse(r, 3072, &info, err), 0);
}
END_TEST

START_TEST(parse_refuses)
{
	static uint8_t r[2048];
	struct option_rom_info info;
	char err[256];

	make_image(r, 2048, PCIR_CODE_EFI, true);
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), 0);
	ck_assert_int_eq(parse(r, 511, &info, err), -EINVAL);		/* shorter than a block */
	ck_assert_ptr_nonnull(strstr(err, "not a PCI expansion ROM"));
	ck_assert_int_eq(parse(r, 1024, &info, err), -EINVAL);		/* image past the end */
	ck_assert_ptr_nonnull(strstr(err, "past the end"));
	r[0] = 0x54;
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "55 AA"));
	r[0] = 0x55;
	r[OPROM_PCIR_PTR] = 0;
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "offset 0x0"));
	r[OPROM_PCIR_PTR] = 0x1e;					/* not dword aligned */
	memmove(r + 0x1e, r + 0x1c, 0x18);
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "dword"));
	make_image(r, 2048, PCIR_CODE_EFI, true);
	r[OPROM_PCIR_PTR] = 0xf0;					/* PCIR outside the file */
	r[OPROM_PCIR_PTR + 1] = 0x07;
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	make_image(r, 2048, PCIR_CODE_EFI, true);
	r[0x1c + 3] = 'S';						/* "PCIS" */
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "PCIR"));
	make_image(r, 2048, PCIR_CODE_EFI, true);
	r[0x1c + PCIR_IMAGE_LENGTH] = 0;				/* length 0 */
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	r[0x1c + PCIR_IMAGE_LENGTH] = 0xff;
	r[0x1c + PCIR_IMAGE_LENGTH + 1] = 0xff;
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	/* A second image whose PCIR is bad: the whole file is refused. */
	make_image(r, 1024, 0, false);
	make_image(r + 1024, 1024, PCIR_CODE_EFI, true);
	r[1024 + OPROM_PCIR_PTR] = 2;
	ck_assert_int_eq(parse(r, sizeof(r), &info, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "image 1 at 0x400"));
	/* Larger than a ROM BAR can be. */
	ck_assert_int_eq(parse(r, OPTION_ROM_MAX_SIZE + 1, &info, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "16 MiB"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("option_rom");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity);
	tcase_add_test(tc, rom_bar_sizing);
	tcase_add_test(tc, rom_decode);
	tcase_add_test(tc, hide_and_reset);
	tcase_add_test(tc, rom_as_memory);
	tcase_add_test(tc, add_rom_limits);
	tcase_add_test(tc, parse_images);
	tcase_add_test(tc, parse_refuses);
	suite_add_tcase(s, tc);
	return test_main(s);
}
