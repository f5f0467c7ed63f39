/* SPDX-License-Identifier: MIT */
/*
 * The firmware flash (src/devices/pflash.c) and its file (src/backends/flash_file.c).
 *
 * The guest here behaves as under KVM: where the flash's slot is present, reads come
 * from the array's memory without the device seeing them, and writes (the slot is
 * read-only) exit to the device; where it is absent, both exit. So OVMF's probe below
 * only finds a flash if the slot goes away in command mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "flash_file.h"
#include "memory.h"
#include "pflash.h"

#define BASE		0xffc00000ull
#define SIZE		0x10000ull	/* 16 blocks */
#define OVMF_VARS	"/usr/share/OVMF/OVMF_VARS_4M.fd"
#define OVMF_VARS_SIZE	0x84000ull

/* ---- a VM's view: the slot KVM would have ---------------------------------------------- */

static struct {
	bool present;
	uint64_t gpa, size;
	unsigned flags;
	uint8_t *host;
	unsigned calls;
	int fail_show;		/* the next call that adds a slot fails with this */
	bool keep;		/* removing the slot does nothing (a broken VMM) */
} kvm;

static int slot_fn(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host, unsigned flags)
{
	(void)opaque;
	(void)slot;
	kvm.calls++;
	if (size && kvm.fail_show) {
		int r = kvm.fail_show;

		kvm.fail_show = 0;
		return r;
	}
	if (!size && kvm.keep)
		return 0;
	kvm.present = size != 0;
	kvm.gpa = gpa;
	kvm.size = size;
	kvm.flags = flags;
	kvm.host = host;
	return 0;
}

struct rig {
	struct gmem mem;
	uint8_t ram[4096];
	struct gmem_devmem *array;
	struct pflash *fl;
	bool unexpected_ram_write;
};

static uint64_t guest_read(struct rig *r, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	if (kvm.present && gpa >= kvm.gpa && gpa + size <= kvm.gpa + kvm.size) {
		memcpy(&v, kvm.host + (gpa - kvm.gpa), size);
		return v;
	}
	return pflash_io_ops.read(r->fl, gpa - BASE, size);
}

static uint8_t rd8(struct rig *r, uint64_t off)
{
	return (uint8_t)guest_read(r, BASE + off, 1);
}

static void guest_write(struct rig *r, uint64_t gpa, uint64_t val, unsigned size)
{
	if (kvm.present && gpa >= kvm.gpa && gpa + size <= kvm.gpa + kvm.size &&
	    !(kvm.flags & GMEM_SLOT_READONLY)) {
		/* A writable slot: the write would change the array behind the device's back. */
		r->unexpected_ram_write = true;
		memcpy(kvm.host + (gpa - kvm.gpa), &val, size);
		return;
	}
	pflash_io_ops.write(r->fl, gpa - BASE, val, size);
}

static void wr8(struct rig *r, uint64_t off, uint8_t val)
{
	guest_write(r, BASE + off, val, 1);
}

/* ---- a store that remembers ---------------------------------------------------------- */

struct fake_store {
	uint8_t copy[SIZE];
	unsigned writes, flushes;
	int fail;
};

static int fake_write(void *opaque, uint64_t off, const void *buf, size_t len)
{
	struct fake_store *s = opaque;

	ck_assert_uint_le(off + len, SIZE);
	if (s->fail)
		return s->fail;
	memcpy(s->copy + off, buf, len);
	s->writes++;
	return 0;
}

static int fake_flush(void *opaque)
{
	struct fake_store *s = opaque;

	s->flushes++;
	return 0;
}

static const struct pflash_store_ops fake_ops = { fake_write, fake_flush };

static void rig_up_sized(struct rig *r, uint64_t size, bool readonly, const void *image,
			 const struct pflash_store_ops *ops, void *opaque)
{
	struct gmem_region reg = { 0, sizeof(r->ram), r->ram, 0 };
	struct pflash_config cfg = { .name = readonly ? "flash code" : "flash vars", .gpa = BASE,
				     .readonly = readonly };

	memset(&kvm, 0, sizeof(kvm));
	memset(r, 0, sizeof(*r));
	reg.host = r->ram;
	ck_assert_int_eq(gmem_init_regions(&r->mem, &reg, 1), 0);
	ck_assert_int_eq(gmem_set_slot_fn(&r->mem, slot_fn, NULL), 0);
	ck_assert_int_eq(gmem_devmem_new(&r->mem, size, &r->array), 0);
	if (image)
		memcpy(gmem_devmem_host(r->array), image, size);
	else
		memset(gmem_devmem_host(r->array), 0xff, size);
	ck_assert_int_eq(pflash_new(&r->fl, &cfg, r->array, ops, opaque), 0);
}

static void rig_up(struct rig *r, bool readonly, const void *image, struct fake_store *s)
{
	rig_up_sized(r, SIZE, readonly, image, s ? &fake_ops : NULL, s);
	if (s)
		memcpy(s->copy, gmem_devmem_host(r->array), SIZE);
}

static void rig_down(struct rig *r)
{
	ck_assert(!r->unexpected_ram_write);
	pflash_free(r->fl);
	ck_assert(!kvm.present);
	gmem_devmem_free(r->array);
	gmem_destroy(&r->mem);
}

/* OvmfPkg/QemuFlashFvbServicesRuntimeDxe/QemuFlash.c, QemuFlashDetected(). */
enum probe { PROBE_NO_LOCATION, PROBE_RAM, PROBE_ROM, PROBE_FLASH, PROBE_NOTHING };

static enum probe ovmf_probe(struct rig *r, uint64_t *where)
{
	uint64_t off;
	uint8_t orig, probe;

	for (off = 0; off < PFLASH_BLOCK_SIZE; off++) {
		probe = rd8(r, off);
		if (probe != 0x50 && probe != 0x70 && probe != 0x00)
			break;
	}
	if (off >= PFLASH_BLOCK_SIZE)
		return PROBE_NO_LOCATION;
	*where = off;
	orig = rd8(r, off);
	wr8(r, off, 0x50);
	probe = rd8(r, off);
	if (orig != 0x50 && probe == 0x50) {
		wr8(r, off, orig);
		return PROBE_RAM;
	}
	wr8(r, off, 0x70);
	probe = rd8(r, off);
	if (probe == orig)
		return PROBE_ROM;
	if (probe == 0x70) {
		wr8(r, off, orig);
		return PROBE_RAM;
	}
	if (probe == 0x00) {
		wr8(r, off, 0xff);
		return PROBE_FLASH;
	}
	return PROBE_NOTHING;
}

/* QemuFlashWrite(): 0x10 and the byte, for each byte; 0xFF after the last. */
static void ovmf_write(struct rig *r, uint64_t off, const void *buf, size_t n)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < n; i++) {
		wr8(r, off + i, 0x10);
		ck_assert(!kvm.present);
		wr8(r, off + i, b[i]);
	}
	if (n)
		wr8(r, off + n - 1, 0xff);
}

/* QemuFlashEraseBlock(). */
static void ovmf_erase(struct rig *r, uint64_t lba)
{
	wr8(r, lba * PFLASH_BLOCK_SIZE, 0x20);
	wr8(r, lba * PFLASH_BLOCK_SIZE, 0xd0);
}

/* ---- the command set ------------------------------------------------------------------- */

START_TEST(probe_finds_flash)
{
	static uint8_t image[SIZE];
	struct rig r;
	uint64_t where = 0;
	unsigned calls;

	memset(image, 0xff, sizeof(image));
	/* the probe skips bytes that look like its own commands or a cleared status */
	image[0] = 0x00;
	image[1] = 0x50;
	image[2] = 0x70;
	image[3] = 0x5a;
	rig_up(&r, false, image, NULL);
	ck_assert(kvm.present);
	ck_assert_uint_eq(kvm.gpa, BASE);
	ck_assert_uint_eq(kvm.size, SIZE);
	ck_assert_uint_eq(kvm.flags, GMEM_SLOT_READONLY);
	calls = kvm.calls;
	ck_assert_int_eq(ovmf_probe(&r, &where), PROBE_FLASH);
	ck_assert_uint_eq(where, 3);
	/* read-array again: the slot is back, the array as it was */
	ck_assert(kvm.present);
	ck_assert(pflash_reads_array(r.fl));
	ck_assert_uint_eq(kvm.calls, calls + 2);	/* hidden at 0x70, shown at 0xFF */
	ck_assert_mem_eq(gmem_devmem_host(r.array), image, SIZE);
	ck_assert_uint_eq(rd8(&r, 3), 0x5a);
	rig_down(&r);
}
END_TEST

/* The probe runs again at every boot: the status a program run left must not matter. */
START_TEST(probe_after_program)
{
	struct rig r;
	uint64_t where;

	rig_up(&r, false, NULL, NULL);
	ovmf_write(&r, 0, "\x12", 1);
	ck_assert_int_eq(ovmf_probe(&r, &where), PROBE_FLASH);
	ck_assert_uint_eq(where, 0);
	ck_assert_uint_eq(rd8(&r, 0), 0x12);
	rig_down(&r);
}
END_TEST

/* Why the slot must leave in command mode: a slot that stayed reads as ROM. */
START_TEST(probe_needs_the_slot_gone)
{
	struct rig r;
	uint64_t where;

	rig_up(&r, false, NULL, NULL);
	kvm.keep = true;
	ck_assert_int_eq(ovmf_probe(&r, &where), PROBE_ROM);
	kvm.keep = false;
	pflash_reset(r.fl);
	rig_down(&r);
}
END_TEST

/* The slot cannot come back: the flash still works, through exits. */
START_TEST(show_failure_still_works)
{
	struct rig r;
	uint64_t where;

	rig_up(&r, false, NULL, NULL);
	ck_assert_int_eq(ovmf_probe(&r, &where), PROBE_FLASH);
	kvm.fail_show = -ENOMEM;
	test_stderr_begin();
	wr8(&r, 0, 0x70);
	wr8(&r, 0, 0xff);
	free(test_stderr_end());
	ck_assert(!kvm.present);
	/* the flash still works, through exits */
	ck_assert(pflash_reads_array(r.fl));
	ck_assert_uint_eq(rd8(&r, 0), 0xff);
	ovmf_write(&r, 0, "\x34", 1);
	ck_assert(kvm.present);
	ck_assert_uint_eq(rd8(&r, 0), 0x34);
	rig_down(&r);
}
END_TEST

START_TEST(program_clears_bits_only)
{
	struct fake_store s;
	struct rig r;
	static const uint8_t data[] = { 0x12, 0x34, 0x00, 0xf0 };

	memset(&s, 0, sizeof(s));
	rig_up(&r, false, NULL, &s);
	ovmf_write(&r, 0x1000 + 100, data, sizeof(data));
	ck_assert_uint_eq(rd8(&r, 0x1000 + 100), 0x12);
	ck_assert_uint_eq(rd8(&r, 0x1000 + 103), 0xf0);
	ck_assert_uint_eq(rd8(&r, 0x1000 + 104), 0xff);
	/* 0xf0 over 0x0f: only the bits both clear... */
	ovmf_write(&r, 0x1000 + 103, "\x0f", 1);
	ck_assert_uint_eq(rd8(&r, 0x1000 + 103), 0x00);
	/* ...and 0xff changes nothing */
	ovmf_write(&r, 0x1000 + 100, "\xff", 1);
	ck_assert_uint_eq(rd8(&r, 0x1000 + 100), 0x12);
	/* the store saw every byte, and one flush per run */
	ck_assert_mem_eq(s.copy, gmem_devmem_host(r.array), SIZE);
	ck_assert_uint_eq(s.writes, 6);
	ck_assert_uint_eq(s.flushes, 3);
	rig_down(&r);
}
END_TEST

START_TEST(program_status)
{
	struct rig r;

	rig_up(&r, false, NULL, NULL);
	wr8(&r, 8, 0x50);
	ck_assert(kvm.present);		/* clear status stays in read-array mode */
	wr8(&r, 8, 0x40);
	ck_assert(!kvm.present);
	ck_assert_uint_eq(rd8(&r, 8), 0x00);	/* status while it waits for the data */
	guest_write(&r, BASE + 8, 0x11223344, 4);	/* a dword program */
	ck_assert_uint_eq(guest_read(&r, BASE + 8, 4), 0x80808080);	/* ready, in each byte */
	ck_assert_uint_eq(guest_read(&r, BASE + 8, 8), 0x8080808080808080ull);
	wr8(&r, 8, 0xff);
	ck_assert(kvm.present);
	ck_assert_uint_eq(guest_read(&r, BASE + 8, 4), 0x11223344);
	ck_assert_uint_eq(guest_read(&r, BASE + 12, 4), 0xffffffff);
	/* the device's own reads agree with the memory */
	ck_assert_uint_eq(pflash_io_ops.read(r.fl, 8, 2), 0x3344);
	rig_down(&r);
}
END_TEST

START_TEST(erase_block)
{
	struct fake_store s;
	struct rig r;

	memset(&s, 0, sizeof(s));
	rig_up(&r, false, NULL, &s);
	memset(gmem_devmem_host(r.array), 0x00, SIZE);
	memset(s.copy, 0x00, SIZE);
	ovmf_erase(&r, 2);
	ck_assert(!kvm.present);
	ck_assert_uint_eq(rd8(&r, 0), 0x80);	/* status: ready, no error */
	wr8(&r, 0, 0xff);
	ck_assert(kvm.present);
	for (uint64_t i = 0; i < SIZE; i++)
		ck_assert_uint_eq(rd8(&r, i), i / PFLASH_BLOCK_SIZE == 2 ? 0xff : 0x00);
	ck_assert_mem_eq(s.copy, gmem_devmem_host(r.array), SIZE);
	ck_assert_uint_eq(s.flushes, 1);
	/* the confirm's address picks the block, anywhere in it */
	wr8(&r, 5 * PFLASH_BLOCK_SIZE + 77, 0x20);
	wr8(&r, 5 * PFLASH_BLOCK_SIZE + 4095, 0xd0);
	wr8(&r, 0, 0xff);
	ck_assert_uint_eq(rd8(&r, 5 * PFLASH_BLOCK_SIZE), 0xff);
	ck_assert_uint_eq(rd8(&r, 6 * PFLASH_BLOCK_SIZE), 0x00);
	/* erased bytes program again */
	ovmf_write(&r, 2 * PFLASH_BLOCK_SIZE, "\xa5", 1);
	ck_assert_uint_eq(rd8(&r, 2 * PFLASH_BLOCK_SIZE), 0xa5);
	rig_down(&r);
}
END_TEST

START_TEST(erase_bad_confirm)
{
	struct rig r;
	char *log;

	rig_up(&r, false, NULL, NULL);
	memset(gmem_devmem_host(r.array), 0x5a, SIZE);
	test_stderr_begin();
	wr8(&r, 0, 0x20);
	wr8(&r, 0, 0x33);
	log = test_stderr_end();
	ck_assert_uint_eq(test_count_lines(log, "flash vars: command 0x33"), 1);
	free(log);
	/* nothing erased, read-array again, the error in the status */
	ck_assert(kvm.present);
	ck_assert_uint_eq(rd8(&r, 0), 0x5a);
	wr8(&r, 0, 0x70);
	ck_assert_uint_eq(rd8(&r, 0), 0x80 | PFLASH_SR_SEQ_ERR);
	/* clear status clears it */
	wr8(&r, 0, 0x50);
	wr8(&r, 0, 0x70);
	ck_assert_uint_eq(rd8(&r, 0), 0x00);
	/* 0xff instead of the confirm aborts without an error */
	wr8(&r, 0, 0x20);
	wr8(&r, 0, 0xff);
	ck_assert(kvm.present);
	wr8(&r, 0, 0x70);
	ck_assert_uint_eq(rd8(&r, 0), 0x00);
	wr8(&r, 0, 0xff);
	ck_assert_uint_eq(rd8(&r, PFLASH_BLOCK_SIZE - 1), 0x5a);
	rig_down(&r);
}
END_TEST

START_TEST(unknown_commands)
{
	static const uint8_t cmds[] = { 0x01, 0x60, 0xe8, 0xd0, 0xb0, 0x71, 0x30 };
	struct rig r;
	char *log;

	rig_up(&r, false, NULL, NULL);
	test_stderr_begin();
	for (unsigned i = 0; i < sizeof(cmds); i++) {
		wr8(&r, 0x10, 0x50);
		wr8(&r, 0x10, cmds[i]);
		ck_assert_msg(kvm.present, "command 0x%02x", cmds[i]);
		ck_assert(pflash_reads_array(r.fl));
		wr8(&r, 0x10, 0x70);
		ck_assert_uint_eq(rd8(&r, 0x10), PFLASH_SR_SEQ_ERR);
		wr8(&r, 0x10, 0xff);
	}
	/* 0x00 and 0xF0 are read array, without an error */
	wr8(&r, 0x10, 0x50);
	wr8(&r, 0x10, 0x70);
	wr8(&r, 0x10, 0x00);
	ck_assert(kvm.present);
	wr8(&r, 0x10, 0x70);
	wr8(&r, 0x10, 0xf0);
	ck_assert(kvm.present);
	wr8(&r, 0x10, 0x70);
	ck_assert_uint_eq(rd8(&r, 0x10), 0x00);
	wr8(&r, 0x10, 0xff);
	log = test_stderr_end();
	ck_assert_uint_eq(test_count_lines(log, "not supported"), sizeof(cmds));
	free(log);
	ck_assert_uint_eq(rd8(&r, 0x10), 0xff);
	rig_down(&r);
}
END_TEST

START_TEST(id_and_query)
{
	struct rig r;

	rig_up(&r, false, NULL, NULL);
	wr8(&r, 0, 0x98);
	ck_assert(!kvm.present);
	ck_assert_uint_eq(rd8(&r, 0x10), 'Q');
	ck_assert_uint_eq(rd8(&r, 0x11), 'R');
	ck_assert_uint_eq(rd8(&r, 0x12), 'Y');
	ck_assert_uint_eq(guest_read(&r, BASE + 0x13, 2), 0x0001);	/* Intel command set */
	ck_assert_uint_eq(rd8(&r, 0x27), 16);				/* 2^16 bytes */
	ck_assert_uint_eq(rd8(&r, 0x2c), 1);				/* one region: */
	ck_assert_uint_eq(guest_read(&r, BASE + 0x2d, 2), SIZE / PFLASH_BLOCK_SIZE - 1);
	ck_assert_uint_eq(guest_read(&r, BASE + 0x2f, 2) * 256, PFLASH_BLOCK_SIZE);
	ck_assert_uint_eq(rd8(&r, 0x31), 'P');
	ck_assert_uint_eq(rd8(&r, 0x100 + 0x10), 'Q');		/* the table repeats */
	ck_assert_uint_eq(rd8(&r, 0x50), 0);
	wr8(&r, 0, 0x90);
	ck_assert_uint_eq(guest_read(&r, BASE, 2), 0);
	wr8(&r, 0, 0xff);
	ck_assert(kvm.present);
	ck_assert_uint_eq(rd8(&r, 0x10), 0xff);
	rig_down(&r);
}
END_TEST

START_TEST(readonly_code)
{
	static uint8_t image[SIZE];
	struct rig r;
	unsigned calls;
	char *log;

	for (unsigned i = 0; i < SIZE; i++)
		image[i] = (uint8_t)(i * 7);
	rig_up(&r, true, image, NULL);
	ck_assert(kvm.present);
	ck_assert_uint_eq(kvm.flags, GMEM_SLOT_READONLY);
	calls = kvm.calls;
	test_stderr_begin();
	ovmf_erase(&r, 0);
	wr8(&r, 4, 0x70);
	for (unsigned i = 0; i < 100; i++) {
		wr8(&r, i, 0x10);
		wr8(&r, i, 0x00);
	}
	log = test_stderr_end();
	/* never out of read-array mode, never a slot change, nothing written */
	ck_assert(kvm.present);
	ck_assert_uint_eq(kvm.calls, calls);
	ck_assert(pflash_reads_array(r.fl));
	ck_assert_mem_eq(gmem_devmem_host(r.array), image, SIZE);
	ck_assert_uint_eq(pflash_io_ops.read(r.fl, 4, 1), image[4]);
	/* logged, but not 203 times */
	ck_assert_uint_ge(test_count_lines(log, "read-only"), 1);
	ck_assert_uint_le(test_count_lines(log, "read-only"), LOG_RATELIMIT_BURST + 1);
	free(log);
	rig_down(&r);
}
END_TEST

START_TEST(reset_returns_to_array)
{
	struct rig r;

	rig_up(&r, false, NULL, NULL);
	wr8(&r, 0, 0x20);
	ck_assert(!kvm.present);
	pflash_reset(r.fl);
	ck_assert(kvm.present);
	ck_assert(pflash_reads_array(r.fl));
	/* the half-done erase is forgotten: a confirm now is a command of its own */
	test_stderr_begin();
	wr8(&r, 0, 0xd0);
	free(test_stderr_end());
	ck_assert_uint_eq(rd8(&r, 0), 0xff);
	pflash_reset(r.fl);
	wr8(&r, 0, 0x70);
	ck_assert_uint_eq(rd8(&r, 0), 0x80);
	rig_down(&r);
}
END_TEST

START_TEST(store_failure_sets_status)
{
	struct fake_store s;
	struct rig r;
	char *log;

	memset(&s, 0, sizeof(s));
	rig_up(&r, false, NULL, &s);
	s.fail = -ENOSPC;
	test_stderr_begin();
	wr8(&r, 0, 0x10);
	wr8(&r, 0, 0x00);
	ck_assert_uint_eq(rd8(&r, 0), 0x80 | PFLASH_SR_PROGRAM_ERR);
	wr8(&r, 0, 0x20);
	wr8(&r, 0, 0xd0);
	ck_assert_uint_eq(rd8(&r, 0), 0x80 | PFLASH_SR_SEQ_ERR);
	log = test_stderr_end();
	ck_assert_uint_eq(test_count_lines(log, "No space left"), 2);
	free(log);
	wr8(&r, 0, 0xff);
	rig_down(&r);
}
END_TEST

START_TEST(bad_geometry)
{
	struct gmem m;
	uint8_t ram[4096];
	struct gmem_region reg = { 0, sizeof(ram), ram, 0 };
	struct gmem_devmem *d;
	struct pflash *fl = (struct pflash *)1;
	struct pflash_config cfg = { .name = "x", .gpa = 0x1000 };

	ck_assert_int_eq(gmem_init_regions(&m, &reg, 1), 0);
	ck_assert_int_eq(gmem_devmem_new(&m, 0x4000, &d), 0);
	/* over RAM */
	cfg.gpa = 0;
	ck_assert_int_eq(pflash_new(&fl, &cfg, d, NULL, NULL), -EEXIST);
	ck_assert_ptr_null(fl);
	/* not aligned */
	cfg.gpa = BASE + 1;
	ck_assert_int_eq(pflash_new(&fl, &cfg, d, NULL, NULL), -EINVAL);
	/* mapped already */
	ck_assert_int_eq(gmem_devmem_map(d, BASE), 0);
	cfg.gpa = BASE;
	ck_assert_int_eq(pflash_new(&fl, &cfg, d, NULL, NULL), -EINVAL);
	gmem_devmem_unmap(d);
	ck_assert_int_eq(pflash_new(&fl, &cfg, d, NULL, NULL), 0);
	/* accesses outside the flash, from a caller that does not check */
	ck_assert_uint_eq(pflash_io_ops.read(fl, 0x4000, 1), ~0ull);
	ck_assert_uint_eq(pflash_io_ops.read(fl, 0x3ffe, 4), ~0ull);
	pflash_io_ops.write(fl, 0x3fff, 0x10, 2);
	ck_assert(pflash_reads_array(fl));
	pflash_free(fl);
	ck_assert(!gmem_devmem_gpa(d, &cfg.gpa));
	gmem_devmem_free(d);
	gmem_destroy(&m);
}
END_TEST

/* ---- the file ---------------------------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	const char *base = getenv("HVKVM_TEST_DIR") ? getenv("HVKVM_TEST_DIR") : "/var/tmp";

	snprintf(dir, sizeof(dir), "%s/pflash-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void read_file(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* A flash on a file: the rig with the file's contents and the file as the store. */
static struct flash_file *file_rig_up(struct rig *r, const char *path, uint64_t size)
{
	struct flash_file *f;
	char err[256];
	struct gmem_region reg;
	struct pflash_config cfg = { .name = "flash vars", .gpa = BASE };

	ck_assert_msg(flash_file_open(&f, path, size, false, err, sizeof(err)) == 0, "%s", err);
	memset(&kvm, 0, sizeof(kvm));
	memset(r, 0, sizeof(*r));
	reg = (struct gmem_region){ 0, sizeof(r->ram), r->ram, 0 };
	ck_assert_int_eq(gmem_init_regions(&r->mem, &reg, 1), 0);
	ck_assert_int_eq(gmem_set_slot_fn(&r->mem, slot_fn, NULL), 0);
	ck_assert_int_eq(gmem_devmem_new(&r->mem, size, &r->array), 0);
	ck_assert_msg(flash_file_load(f, gmem_devmem_host(r->array), err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(pflash_new(&r->fl, &cfg, r->array, &flash_file_store_ops, f), 0);
	return f;
}

START_TEST(file_persists)
{
	static uint8_t image[SIZE], after[SIZE];
	char path[128];
	struct rig r;
	struct flash_file *f;
	uint64_t where;

	make_dir();
	snprintf(path, sizeof(path), "%s/vars.fd", dir);
	memset(image, 0xff, sizeof(image));
	memset(image + 3 * PFLASH_BLOCK_SIZE, 0x00, PFLASH_BLOCK_SIZE);
	write_file(path, image, sizeof(image));
	f = file_rig_up(&r, path, SIZE);
	ck_assert_int_eq(ovmf_probe(&r, &where), PROBE_FLASH);
	ovmf_write(&r, 0x20, "hvkvm", 5);
	ovmf_erase(&r, 3);
	wr8(&r, 0, 0xff);
	/* written through at once, before any close */
	read_file(path, after, sizeof(after));
	ck_assert_mem_eq(after, gmem_devmem_host(r.array), SIZE);
	ck_assert_mem_eq(after + 0x20, "hvkvm", 5);
	rig_down(&r);
	flash_file_close(f);

	/* a second flash on the same file: what the first wrote */
	f = file_rig_up(&r, path, SIZE);
	ck_assert_mem_eq(gmem_devmem_host(r.array) + 0x20, "hvkvm", 5);
	for (unsigned i = 0; i < PFLASH_BLOCK_SIZE; i++)
		ck_assert_uint_eq(rd8(&r, 3 * PFLASH_BLOCK_SIZE + i), 0xff);
	ovmf_write(&r, 0x20, "HVKVM", 5);	/* clears bits only: 'h' & 'H' == 'H' */
	ck_assert_mem_eq(gmem_devmem_host(r.array) + 0x20, "HVKVM", 5);
	rig_down(&r);
	flash_file_close(f);
	read_file(path, after, sizeof(after));
	ck_assert_mem_eq(after + 0x20, "HVKVM", 5);
	remove_dir();
}
END_TEST

START_TEST(file_refusals)
{
	static uint8_t image[SIZE + PFLASH_BLOCK_SIZE];	/* written one block too long, too */
	char path[128], err[256];
	struct flash_file *f, *g, *ro1, *ro2;

	make_dir();
	snprintf(path, sizeof(path), "%s/vars.fd", dir);
	/* missing */
	ck_assert_int_eq(flash_file_open(&f, path, SIZE, false, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(f);
	/* wrong size, both ways */
	write_file(path, image, SIZE - 1);
	ck_assert_int_eq(flash_file_open(&f, path, SIZE, false, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "65535 bytes, but this flash holds 65536") != NULL, "%s", err);
	write_file(path, image, SIZE + PFLASH_BLOCK_SIZE);
	ck_assert_int_eq(flash_file_open(&f, path, SIZE, false, err, sizeof(err)), -EINVAL);
	/* not a file */
	ck_assert_int_eq(flash_file_open(&f, dir, SIZE, true, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "not a regular file");
	/* one writer */
	write_file(path, image, SIZE);
	ck_assert_int_eq(flash_file_open(&f, path, SIZE, false, err, sizeof(err)), 0);
	ck_assert_int_eq(flash_file_open(&g, path, SIZE, false, err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, "in use by another process") != NULL, "%s", err);
	ck_assert_int_eq(flash_file_open(&g, path, SIZE, true, err, sizeof(err)), -EBUSY);
	flash_file_close(f);
	/* read-only opens share (one code image, many VMs), and keep writers out */
	ck_assert_int_eq(flash_file_open(&ro1, path, SIZE, true, err, sizeof(err)), 0);
	ck_assert_int_eq(flash_file_open(&ro2, path, SIZE, true, err, sizeof(err)), 0);
	ck_assert_int_eq(flash_file_open(&g, path, SIZE, false, err, sizeof(err)), -EBUSY);
	ck_assert_int_eq(flash_file_store_ops.write(ro1, 0, image, 1), -EROFS);
	flash_file_close(ro1);
	flash_file_close(ro2);
	ck_assert_int_eq(flash_file_open(&g, path, SIZE, false, err, sizeof(err)), 0);
	/* the store refuses what lies outside the file */
	ck_assert_int_eq(flash_file_store_ops.write(g, SIZE - 1, image, 2), -EINVAL);
	ck_assert_int_eq(flash_file_store_ops.write(g, ~0ull, image, 2), -EINVAL);
	ck_assert_int_eq(flash_file_store_ops.flush(g), 0);
	flash_file_close(g);
	remove_dir();
}
END_TEST

START_TEST(file_from_template)
{
	static uint8_t image[SIZE], got[SIZE];
	char path[128], tmpl[128], err[256];
	struct stat st;

	make_dir();
	snprintf(path, sizeof(path), "%s/vm/vars.fd", dir);
	snprintf(tmpl, sizeof(tmpl), "%s/template.fd", dir);
	/* the template missing: says which */
	ck_assert_int_eq(flash_file_create_from(path, tmpl, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, tmpl) != NULL, "%s", err);
	/* a template that is not a regular file: says so */
	ck_assert_int_eq(mkdir(tmpl, 0755), 0);
	ck_assert_int_eq(flash_file_create_from(path, tmpl, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, tmpl) && strstr(err, "not a regular file"), "%s", err);
	ck_assert_int_eq(rmdir(tmpl), 0);
	for (unsigned i = 0; i < SIZE; i++)
		image[i] = (uint8_t)(i ^ (i >> 8));
	write_file(tmpl, image, sizeof(image));
	/* the directory missing */
	ck_assert_int_eq(flash_file_create_from(path, tmpl, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot create a file beside it") != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/vm", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/vm/vars.fd", dir);
	/* created: a private copy, and nothing else left in the directory */
	ck_assert_int_eq(flash_file_create_from(path, tmpl, err, sizeof(err)), 1);
	read_file(path, got, sizeof(got));
	ck_assert_mem_eq(got, image, SIZE);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(st.st_nlink, 1);
	/* there already: kept as it is */
	write_file(path, "mine", 4);
	ck_assert_int_eq(flash_file_create_from(path, tmpl, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_size, 4);
	remove_dir();
}
END_TEST

/* Debian's OVMF variable store, programmed as OVMF's variable driver does. */
START_TEST(ovmf_vars_template)
{
	static uint8_t orig[OVMF_VARS_SIZE], after[OVMF_VARS_SIZE];
	/* a variable header as OVMF's authenticated variable store lays it out: StartId
	 * 0x55AA, State VAR_ADDED (0x3F), reserved, attributes, ... */
	static const uint8_t var[] = { 0xaa, 0x55, 0x3f, 0x00, 0x07, 0x00, 0x00, 0x00, 'h', 'v', 'k', 'v', 'm' };
	char path[128], err[256];
	struct flash_file *f;
	struct rig r;
	uint64_t where, off;

	if (access(OVMF_VARS, R_OK) != 0) {
		fprintf(stderr, "%s: not installed (Debian's ovmf package); skipped\n", OVMF_VARS);
		return;
	}
	read_file(OVMF_VARS, orig, sizeof(orig));
	/* the firmware volume's signature, and the variable store header after it */
	ck_assert_mem_eq(orig + 0x28, "_FVH", 4);
	make_dir();
	snprintf(path, sizeof(path), "%s/vm-vars.fd", dir);
	ck_assert_msg(flash_file_create_from(path, OVMF_VARS, err, sizeof(err)) == 1, "%s", err);
	f = file_rig_up(&r, path, OVMF_VARS_SIZE);
	ck_assert_int_eq(ovmf_probe(&r, &where), PROBE_FLASH);
	ck_assert_uint_lt(where, PFLASH_BLOCK_SIZE);
	/* the first free (erased) place after the headers */
	for (off = 0x100; off < 0x40000 && orig[off] != 0xff; off++)
		;
	ck_assert_uint_lt(off, 0x40000);
	off = (off + 3) & ~3ull;
	ovmf_write(&r, off, var, sizeof(var));
	ck_assert(kvm.present);
	ck_assert_mem_eq(gmem_devmem_host(r.array) + off, var, sizeof(var));
	ck_assert_mem_eq(gmem_devmem_host(r.array) + 0x28, "_FVH", 4);
	/* then deleted, as a state change: bits cleared in place (VAR_ADDED & VAR_DELETED) */
	ovmf_write(&r, off + 2, "\x3d", 1);
	ck_assert_uint_eq(rd8(&r, off + 2), 0x3d);
	rig_down(&r);
	flash_file_close(f);
	read_file(path, after, sizeof(after));
	ck_assert_mem_eq(after + 0x28, "_FVH", 4);
	ck_assert_mem_eq(after, orig, off);
	ck_assert_uint_eq(after[off + 2], 0x3d);
	ck_assert_mem_eq(after + off + 3, var + 3, sizeof(var) - 3);
	ck_assert_mem_eq(after + off + sizeof(var), orig + off + sizeof(var), OVMF_VARS_SIZE - off - sizeof(var));
	/* the template itself is untouched */
	read_file(OVMF_VARS, after, sizeof(after));
	ck_assert_mem_eq(after, orig, OVMF_VARS_SIZE);
	remove_dir();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pflash");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tc, probe_finds_flash);
	tcase_add_test(tc, probe_after_program);
	tcase_add_test(tc, probe_needs_the_slot_gone);
	tcase_add_test(tc, show_failure_still_works);
	tcase_add_test(tc, program_clears_bits_only);
	tcase_add_test(tc, program_status);
	tcase_add_test(tc, erase_block);
	tcase_add_test(tc, erase_bad_confirm);
	tcase_add_test(tc, unknown_commands);
	tcase_add_test(tc, id_and_query);
	tcase_add_test(tc, readonly_code);
	tcase_add_test(tc, reset_returns_to_array);
	tcase_add_test(tc, store_failure_sets_status);
	tcase_add_test(tc, bad_geometry);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, file_persists);
	tcase_add_test(tc, file_refusals);
	tcase_add_test(tc, file_from_template);
	tcase_add_test(tc, ovmf_vars_template);
	suite_add_tcase(s, tc);

	return test_main(s);
}
