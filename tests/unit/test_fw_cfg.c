/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg driven through the port bus the way firmware drives it: the selector and
 * data ports, and DMA requests in guest memory started by the two halves of the
 * big-endian address register.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "fw_cfg_fixture.h"
#include "testutil.h"

#define RAM_SIZE	0x100000u	/* one region at 0 */
#define DESC		0x1000u		/* where the tests put their FWCfgDmaAccess */
#define BUF		0x2000u		/* and the data */

static struct fw_cfg_fx fx;

static void setup(void)
{
	fw_cfg_fx_init(&fx, RAM_SIZE);
}

static void teardown(void)
{
	fw_cfg_fx_fini(&fx);
}

static uint64_t in(uint16_t port, unsigned size)
{
	uint64_t v = 0;

	ck_assert(io_bus_access(&fx.bus, port, &v, size, false));
	return v;
}

static void out(uint16_t port, uint64_t v, unsigned size)
{
	ck_assert(io_bus_access(&fx.bus, port, &v, size, true));
}

static void select_key(uint16_t key)
{
	fw_cfg_fx_select(&fx, key);
}

static void read_data(void *dst, size_t n)
{
	fw_cfg_fx_read(&fx, dst, n);
}

/* Start the request at desc as OVMF does: high half, then low half (the trigger),
 * each byte-swapped into the big-endian register. */
static void dma_kick(uint64_t desc)
{
	out(FW_CFG_PORT_DMA, __builtin_bswap32((uint32_t)(desc >> 32)), 4);
	out(FW_CFG_PORT_DMA + 4, __builtin_bswap32((uint32_t)desc), 4);
}

/* One request at DESC; returns the control word the device left there. */
static uint32_t dma(uint32_t control, uint32_t len, uint64_t addr)
{
	put_be32(fx.ram + DESC, control);
	put_be32(fx.ram + DESC + 4, len);
	put_be64(fx.ram + DESC + 8, addr);
	dma_kick(DESC);
	return get_be32(fx.ram + DESC);
}

START_TEST(signature_and_id)
{
	char sig[6];
	uint8_t id[4];

	/* The signature is selected after creation and after a reset. */
	read_data(sig, 6);
	ck_assert(!memcmp(sig, "QEMU\0\0", 6));

	select_key(FW_CFG_ID);
	read_data(id, 4);
	ck_assert_uint_eq(get_le32(id), FW_CFG_VERSION | FW_CFG_VERSION_DMA);

	fw_cfg_reset(fx.fc);
	read_data(sig, 4);
	ck_assert(!memcmp(sig, "QEMU", 4));

	/* The DMA register reads as "QEMU CFG" in memory order. */
	ck_assert_uint_eq(in(FW_CFG_PORT_DMA, 4), get_le32("QEMU"));
	ck_assert_uint_eq(in(FW_CFG_PORT_DMA + 4, 4), get_le32(" CFG"));
	ck_assert_uint_eq(in(FW_CFG_PORT_DMA + 1, 1), 'E');
	/* Nothing at 0x512-0x513, nor a readable selector. */
	ck_assert_uint_eq(in(0x512, 2), 0xffff);
	ck_assert_uint_eq(in(FW_CFG_PORT_SEL, 1), 0xff);
}
END_TEST

START_TEST(numbered_items)
{
	uint8_t b[8];

	ck_assert_int_eq(fw_cfg_add_u16(fx.fc, FW_CFG_NB_CPUS, 4), 0);
	ck_assert_int_eq(fw_cfg_add_u64(fx.fc, FW_CFG_RAM_SIZE, 0x123456789ull), 0);
	ck_assert_int_eq(fw_cfg_add_u32(fx.fc, FW_CFG_KERNEL_SIZE, 0), 0);
	select_key(FW_CFG_NB_CPUS);
	read_data(b, 3);
	ck_assert_uint_eq(get_le16(b), 4);
	ck_assert_uint_eq(b[2], 0);
	select_key(FW_CFG_RAM_SIZE);
	read_data(b, 8);
	ck_assert_uint_eq(get_le64(b), 0x123456789ull);

	/* An item again replaces it. */
	ck_assert_int_eq(fw_cfg_add_u16(fx.fc, FW_CFG_NB_CPUS, 7), 0);
	select_key(FW_CFG_NB_CPUS);
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 2), 7);	/* a wide read: bytes in order */

	/* Keys the device owns, and file keys, are not numbered items. */
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_SIGNATURE, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_ID, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_FILE_DIR, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_FILE_FIRST, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, 0x8000, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_UUID, NULL, 4), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_UUID, NULL, 0), 0);
}
END_TEST

START_TEST(data_port_end_and_selection)
{
	uint8_t b[8];

	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_MACHINE_ID, "abc", 3), 0);
	ck_assert_int_eq(fw_cfg_add_item(fx.fc, FW_CFG_BOOT_MENU, "xy", 2), 0);
	select_key(FW_CFG_MACHINE_ID);
	memset(b, 0xee, sizeof(b));
	read_data(b, 5);
	ck_assert(!memcmp(b, "abc\0\0", 5));
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 4), 0);	/* still past the end */

	/* Selecting resets the offset, also for the item already selected. */
	select_key(FW_CFG_MACHINE_ID);
	read_data(b, 2);
	ck_assert(!memcmp(b, "ab", 2));
	select_key(FW_CFG_BOOT_MENU);
	read_data(b, 1);
	ck_assert_uint_eq(b[0], 'x');
	select_key(FW_CFG_MACHINE_ID);
	read_data(b, 1);
	ck_assert_uint_eq(b[0], 'a');

	/* Keys that name nothing read as zeroes. */
	select_key(0x1234);
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 4), 0);
	select_key(FW_CFG_FILE_FIRST);	/* no files yet */
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), 0);
	select_key(FW_CFG_UUID);	/* never added */
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), 0);

	/* Byte writes to the selector and data writes change nothing. */
	select_key(FW_CFG_MACHINE_ID);
	out(FW_CFG_PORT_SEL, FW_CFG_BOOT_MENU, 1);
	out(FW_CFG_PORT_DATA, 'z', 1);
	read_data(b, 1);
	ck_assert_uint_eq(b[0], 'a');
}
END_TEST

START_TEST(file_directory)
{
	static const char *names[] = { "opt/x", "etc/table-loader", "bootorder", "etc/e820",
				       "etc/acpi/tables" };
	static const char *sorted[] = { "bootorder", "etc/acpi/tables", "etc/e820",
					"etc/table-loader", "opt/x" };
	uint8_t dir[4 + 5 * 64], content[32];
	char longname[FW_CFG_MAX_FILE_PATH + 1];

	for (unsigned i = 0; i < 5; i++) {
		char data[32];

		memset(data, 'A' + (int)i, sizeof(data));
		ck_assert_int_eq(fw_cfg_add_file(fx.fc, names[i], data, 10 + i), 0);
	}
	select_key(FW_CFG_FILE_DIR);
	read_data(dir, sizeof(dir));
	ck_assert_uint_eq(get_be32(dir), 5);
	for (unsigned i = 0; i < 5; i++) {
		const uint8_t *e = dir + 4 + 64 * i;
		unsigned added = 0;
		char name[FW_CFG_MAX_FILE_PATH];

		while (strcmp(names[added], sorted[i]))
			added++;
		ck_assert_uint_eq(get_be32(e), 10 + added);
		ck_assert_uint_eq(get_be16(e + 4), FW_CFG_FILE_FIRST + i);
		ck_assert_uint_eq(get_be16(e + 6), 0);
		memcpy(name, e + 8, sizeof(name));
		ck_assert_str_eq(name, sorted[i]);
		for (size_t k = strlen(sorted[i]); k < sizeof(name); k++)
			ck_assert_uint_eq((uint8_t)name[k], 0);
		ck_assert_uint_eq(fw_cfg_file_key(fx.fc, sorted[i]), FW_CFG_FILE_FIRST + i);

		/* Each file reads back under its key. */
		select_key((uint16_t)(FW_CFG_FILE_FIRST + i));
		read_data(content, 10 + added + 1);
		for (unsigned k = 0; k < 10 + added; k++)
			ck_assert_uint_eq(content[k], 'A' + added);
		ck_assert_uint_eq(content[10 + added], 0);
	}
	/* The directory ends where it says. */
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), 0);
	ck_assert_uint_eq(fw_cfg_file_key(fx.fc, "etc/none"), FW_CFG_INVALID);

	/* Bad names, duplicates, a full directory. */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[FW_CFG_MAX_FILE_PATH] = 0;
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, longname, "x", 1), -EINVAL);
	longname[FW_CFG_MAX_FILE_PATH - 1] = 0;	/* 55 bytes: fits */
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, longname, "x", 1), 0);
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "", "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, NULL, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "bootorder", "x", 1), -EEXIST);
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "etc/empty", NULL, 0), 0);
	for (unsigned i = 7; i < FW_CFG_MAX_FILES; i++) {
		char n[16];

		snprintf(n, sizeof(n), "f/%03u", i);
		ck_assert_int_eq(fw_cfg_add_file(fx.fc, n, "x", 1), 0);
	}
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "z", "x", 1), -ENOSPC);
	select_key(FW_CFG_FILE_DIR);
	read_data(dir, 4);
	ck_assert_uint_eq(get_be32(dir), FW_CFG_MAX_FILES);
}
END_TEST

START_TEST(dma_read_skip_select)
{
	static const char data[] = "0123456789";
	uint16_t key;

	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "etc/data", data, 10), 0);
	key = fw_cfg_file_key(fx.fc, "etc/data");

	/* SELECT + READ in one request. */
	memset(fx.ram + BUF, 0xee, 32);
	ck_assert_uint_eq(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
			      4, BUF), 0);
	ck_assert(!memcmp(fx.ram + BUF, "0123", 4));
	ck_assert_uint_eq(fx.ram[BUF + 4], 0xee);

	/* The port continues where DMA stopped, and DMA where the port stopped. */
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), '4');
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_SKIP, 2, 0), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 1, BUF), 0);
	ck_assert_uint_eq(fx.ram[BUF], '7');

	/* A read past the end: the rest, then zeroes; the offset stays at the end. */
	memset(fx.ram + BUF, 0xee, 32);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 8, BUF), 0);
	ck_assert(!memcmp(fx.ram + BUF, "89\0\0\0\0\0\0", 8));
	ck_assert_uint_eq(fx.ram[BUF + 8], 0xee);
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), 0);

	/* Port selection, then DMA from the start. */
	select_key(key);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 10, BUF), 0);
	ck_assert(!memcmp(fx.ram + BUF, data, 10));

	/* SELECT alone moves nothing but resets the offset; so does no operation. */
	ck_assert_uint_eq(dma((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 100,
			      BUF), 0);
	ck_assert_uint_eq(fx.ram[BUF], '0');
	ck_assert_uint_eq(dma(0, 100, BUF), 0);
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), 'Q');

	/* Skipping far past the end is no error, and reads stay zero. */
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_SKIP, 0xffffffffu, 0), 0);
	ck_assert_uint_eq(in(FW_CFG_PORT_DATA, 1), 0);

	/* A missing key reads as zeroes through DMA too. */
	memset(fx.ram + BUF, 0xee, 4);
	ck_assert_uint_eq(dma(0x4321u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4,
			      BUF), 0);
	ck_assert(!memcmp(fx.ram + BUF, "\0\0\0\0", 4));
}
END_TEST

struct write_seen {
	unsigned calls;
	uint32_t off, len;
	uint8_t data[16];
	char name[FW_CFG_MAX_FILE_PATH];
};

static void on_write(void *opaque, const char *name, const uint8_t *data, size_t size,
		     uint32_t off, uint32_t len)
{
	struct write_seen *w = opaque;

	w->calls++;
	w->off = off;
	w->len = len;
	ck_assert_uint_le(size, sizeof(w->data));
	memcpy(w->data, data, size);
	snprintf(w->name, sizeof(w->name), "%s", name);
}

START_TEST(dma_write)
{
	struct write_seen w = { 0 };
	uint16_t key, ro;
	uint8_t b[8];

	ck_assert_int_eq(fw_cfg_add_file_writable(fx.fc, "etc/addr", "\0\0\0\0\0\0\0\0", 8,
						  on_write, &w), 0);
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "etc/ro", "abcd", 4), 0);
	key = fw_cfg_file_key(fx.fc, "etc/addr");
	ro = fw_cfg_file_key(fx.fc, "etc/ro");

	/* Skip 4, write 4: what WRITE_POINTER does. */
	memcpy(fx.ram + BUF, "\x78\x56\x34\x12", 4);
	ck_assert_uint_eq(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP,
			      4, 0), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_WRITE, 4, BUF), 0);
	ck_assert_uint_eq(w.calls, 1);
	ck_assert_uint_eq(w.off, 4);
	ck_assert_uint_eq(w.len, 4);
	ck_assert_str_eq(w.name, "etc/addr");
	ck_assert_uint_eq(get_le32(w.data + 4), 0x12345678);
	select_key(key);
	read_data(b, 8);
	ck_assert_uint_eq(get_le64(b), 0x1234567800000000ull);

	/* Past the end: an error, and nothing changes. */
	ck_assert_uint_eq(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP,
			      6, 0), 0);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_WRITE, 4, BUF), FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(w.calls, 1);
	select_key(key);
	read_data(b, 8);
	ck_assert_uint_eq(get_le64(b), 0x1234567800000000ull);

	/* A read-only file, a missing key, data that is not RAM. */
	ck_assert_uint_eq(dma((uint32_t)ro << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
			      2, BUF), FW_CFG_DMA_CTL_ERROR);
	select_key(ro);
	read_data(b, 4);
	ck_assert(!memcmp(b, "abcd", 4));
	ck_assert_uint_eq(dma(0x4321u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
			      2, BUF), FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(dma((uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
			      2, RAM_SIZE - 1), FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(w.calls, 1);
	/* Signature and ID are read-only too. */
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, BUF),
			  FW_CFG_DMA_CTL_ERROR);
}
END_TEST

START_TEST(dma_hostile)
{
	uint8_t big[200];
	uint64_t t0;

	memset(big, 'b', sizeof(big));
	ck_assert_int_eq(fw_cfg_add_file(fx.fc, "etc/big", big, sizeof(big)), 0);
	select_key(fw_cfg_file_key(fx.fc, "etc/big"));

	/* The target is not RAM, or runs off its end, or wraps. */
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 16, 0x40000000), FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 16, RAM_SIZE - 8), FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 16, UINT64_MAX - 7), FW_CFG_DMA_CTL_ERROR);
	/* Reading zeroes past the end into memory that is not RAM. */
	select_key(FW_CFG_ID);
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 16, UINT64_MAX - 7), FW_CFG_DMA_CTL_ERROR);

	/* 4 GiB - 1 of zeroes: bounded by RAM, done at once. */
	t0 = test_now_ms();
	select_key(FW_CFG_ID);
	memset(fx.ram + BUF, 0xee, 16);
	fx.ram[BUF + 0x20000] = 0xee;
	ck_assert_uint_eq(dma(FW_CFG_DMA_CTL_READ, 0xffffffffu, BUF), FW_CFG_DMA_CTL_ERROR);
	ck_assert_uint_eq(get_le32(fx.ram + BUF), FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	ck_assert_uint_eq(fx.ram[BUF + 4], 0);
	ck_assert_uint_eq(fx.ram[BUF + 0x20000], 0);
	ck_assert_uint_lt(test_now_ms() - t0, 2000);

	/* The descriptor itself is not RAM: nothing to report to, nothing breaks. */
	dma_kick(0x40000000);
	dma_kick(UINT64_MAX);
	dma_kick(UINT64_MAX - 15);
	/* Half of it is: the error lands in its control word. */
	put_be32(fx.ram + RAM_SIZE - 8, FW_CFG_DMA_CTL_READ);
	dma_kick(RAM_SIZE - 8);
	ck_assert_uint_eq(get_be32(fx.ram + RAM_SIZE - 8), FW_CFG_DMA_CTL_ERROR);

	/* Only the low half starts a request, and each request needs its high half
	 * again: a stale high half is forgotten. */
	out(FW_CFG_PORT_DMA, __builtin_bswap32(1), 4);
	out(FW_CFG_PORT_DMA + 4, __builtin_bswap32(DESC), 4);	/* 0x1_0000_1000: not RAM */
	put_be32(fx.ram + DESC, FW_CFG_DMA_CTL_SKIP);
	put_be32(fx.ram + DESC + 4, 1);
	out(FW_CFG_PORT_DMA + 4, __builtin_bswap32(DESC), 4);
	ck_assert_uint_eq(get_be32(fx.ram + DESC), 0);
	/* Narrow writes to the register are ignored. */
	put_be32(fx.ram + DESC, FW_CFG_DMA_CTL_SKIP);
	out(FW_CFG_PORT_DMA + 4, DESC, 2);
	out(FW_CFG_PORT_DMA + 7, 0, 1);
	ck_assert_uint_eq(get_be32(fx.ram + DESC), FW_CFG_DMA_CTL_SKIP);
}
END_TEST

static Suite *fw_cfg_suite(void)
{
	Suite *s = suite_create("fw_cfg");
	TCase *tc = tcase_create("fw_cfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, signature_and_id);
	tcase_add_test(tc, numbered_items);
	tcase_add_test(tc, data_port_end_and_selection);
	tcase_add_test(tc, file_directory);
	tcase_add_test(tc, dma_read_skip_select);
	tcase_add_test(tc, dma_write);
	tcase_add_test(tc, dma_hostile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(fw_cfg_suite());
}
