/* SPDX-License-Identifier: MIT */
/*
 * The table-loader script: the builder's checks, the bytes of each command, and the
 * firmware's side of it. The replay does what OVMF's AcpiPlatformDxe
 * (QemuFwCfgAcpi.c) does, through a real fw_cfg device on the port bus: find the
 * files in the directory, allocate each blob in whole pages below 4 GiB and read it
 * there by DMA, add blob bases to the pointers, compute checksums over ranges that
 * include their own byte, then, for every ADD_POINTER once per target address,
 * install what looks like a FACS or a table with a valid checksum (RSDT and XSDT
 * skipped). Then the installed tables are walked from the RSDP and compared with
 * the ones direct boot writes.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "acpi_loader.h"
#include "aml.h"
#include "byteorder.h"
#include "fw_cfg_fixture.h"
#include "testutil.h"

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static struct acpi_config make_config(unsigned ncpus)
{
	return (struct acpi_config){
		.ncpus = ncpus,
		.lapic_addr = 0xfee00000,
		.ioapic_addr = 0xfec00000,
		.pm_base = 0x600,
		.sci_irq = 9,
		.reset_port = 0xcf9,
		.reset_value = 0x06,
	};
}

static void hook(struct aml *a, void *opaque)
{
	(void)opaque;
	aml_device_begin(a, "VMOD");
	aml_name_string(a, "_HID", "ACPI0004");
	aml_name_int(a, "_UID", 0);
	aml_end(a);
}

/* ---- the builder ---- */

static const uint8_t blob_a[64] = { [8] = 0x10, [16] = 0x3f, [20] = 0x40 };
static const uint8_t blob_b[64] = { 0 };

START_TEST(builder_commands)
{
	struct acpi_loader l;
	const uint8_t *c;

	acpi_loader_init(&l);
	ck_assert_int_eq(acpi_loader_allocate(&l, "a", blob_a, sizeof(blob_a), 64,
					      ACPI_LOADER_ZONE_HIGH), 0);
	ck_assert_int_eq(acpi_loader_allocate(&l, "b", blob_b, sizeof(blob_b), 16,
					      ACPI_LOADER_ZONE_FSEG), 0);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 8, 4, "b"), 0);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 9, 0, 64), 0);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "etc/w", 8, 0, 8, "a", 4), 0);
	ck_assert_uint_eq(l.len, 5 * ACPI_LOADER_ENTRY_SIZE);

	c = l.buf;
	ck_assert_uint_eq(get_le32(c), ACPI_LOADER_ALLOCATE);
	ck_assert_str_eq((const char *)c + 4, "a");
	ck_assert_uint_eq(get_le32(c + 60), 64);
	ck_assert_uint_eq(c[64], ACPI_LOADER_ZONE_HIGH);
	for (unsigned i = 65; i < 128; i++)
		ck_assert_uint_eq(c[i], 0);
	c += 128;
	ck_assert_uint_eq(get_le32(c), ACPI_LOADER_ALLOCATE);
	ck_assert_uint_eq(c[64], ACPI_LOADER_ZONE_FSEG);
	c += 128;
	ck_assert_uint_eq(get_le32(c), ACPI_LOADER_ADD_POINTER);
	ck_assert_str_eq((const char *)c + 4, "a");
	ck_assert_str_eq((const char *)c + 60, "b");
	ck_assert_uint_eq(get_le32(c + 116), 8);
	ck_assert_uint_eq(c[120], 4);
	c += 128;
	ck_assert_uint_eq(get_le32(c), ACPI_LOADER_ADD_CHECKSUM);
	ck_assert_str_eq((const char *)c + 4, "a");
	ck_assert_uint_eq(get_le32(c + 60), 9);
	ck_assert_uint_eq(get_le32(c + 64), 0);
	ck_assert_uint_eq(get_le32(c + 68), 64);
	c += 128;
	ck_assert_uint_eq(get_le32(c), ACPI_LOADER_WRITE_POINTER);
	ck_assert_str_eq((const char *)c + 4, "etc/w");
	ck_assert_str_eq((const char *)c + 60, "a");
	ck_assert_uint_eq(get_le32(c + 116), 0);
	ck_assert_uint_eq(get_le32(c + 120), 4);
	ck_assert_uint_eq(c[124], 8);
	acpi_loader_free(&l);
}
END_TEST

START_TEST(builder_rejects)
{
	char name[ACPI_LOADER_FNAME_SIZE + 1];
	struct acpi_loader l;
	size_t len;

	acpi_loader_init(&l);
	test_stderr_begin();
	ck_assert_int_eq(acpi_loader_allocate(&l, "a", blob_a, sizeof(blob_a), 64,
					      ACPI_LOADER_ZONE_HIGH), 0);
	ck_assert_int_eq(acpi_loader_allocate(&l, "b", blob_b, sizeof(blob_b), 16,
					      ACPI_LOADER_ZONE_FSEG), 0);
	len = l.len;

	/* Allocations. */
	memset(name, 'n', sizeof(name));
	name[ACPI_LOADER_FNAME_SIZE] = 0;
	ck_assert_int_eq(acpi_loader_allocate(&l, name, blob_a, 4, 16, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "", blob_a, 4, 16, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, NULL, blob_a, 4, 16, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "a", blob_a, 4, 16, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", NULL, 4, 16, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", blob_a, 0, 16, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", blob_a, 4, 0, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", blob_a, 4, 24, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", blob_a, 4, 8192, 1), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", blob_a, 4, 16, 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_allocate(&l, "c", blob_a, 4, 16, 3), -EINVAL);

	/* Pointers: files, sizes, places, values. */
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "x", 8, 4, "b"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 8, 4, "x"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 8, 4, NULL), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 8, 3, "b"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 8, 0, "b"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 8, 16, "b"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 61, 4, "b"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 0xfffffffeu, 4, "b"), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 20, 1, "b"), -EINVAL); /* 0x40 */
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 16, 1, "b"), 0);	/* 0x3f */
	ck_assert_int_eq(acpi_loader_add_pointer(&l, "a", 60, 4, "b"), 0);	/* last fit */
	len = l.len;

	/* Checksums: inside the blob, the byte inside the range and zero. */
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "x", 9, 0, 64), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 9, 0, 65), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 9, 10, 54), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 9, 0, 9), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 64, 0, 64), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 9, 0, 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 9, 0xffffffffu, 2), -EINVAL);
	ck_assert_int_eq(acpi_loader_add_checksum(&l, "a", 8, 0, 64), -EINVAL);	/* 0x10 */

	/* Write pointers: into a fw_cfg file, not a blob, inside it, to a blob. */
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "a", 8, 0, 8, "b", 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "w", 8, 0, 8, "x", 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "w", 8, 4, 8, "b", 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "w", 4, 0, 8, "b", 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "w", 8, 0, 5, "b", 0), -EINVAL);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "w", 8, 0, 8, "b", 64), -EINVAL);
	ck_assert_int_eq(acpi_loader_write_pointer(&l, "", 8, 0, 8, "b", 0), -EINVAL);
	ck_assert_uint_eq(l.len, len);

	/* The blob table fills up. */
	for (unsigned i = 2; i < ACPI_LOADER_MAX_BLOBS; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		ck_assert_int_eq(acpi_loader_allocate(&l, name, blob_b, 1, 1, 1), 0);
	}
	ck_assert_int_eq(acpi_loader_allocate(&l, "full", blob_b, 1, 1, 1), -ENOSPC);
	free(test_stderr_end());
	acpi_loader_free(&l);
}
END_TEST

/* ---- the firmware's side: fw_cfg, then OVMF's two passes ---- */

#define RAM_SIZE	0x400000u	/* guest RAM at 0; blobs go at its top */
#define DESC		0x1000u
#define DIRBUF		0x2000u

struct fw {
	struct fw_cfg_fx x;
	uint64_t top;		/* allocations go down from here */
};

struct blob {
	char name[ACPI_LOADER_FNAME_SIZE];
	uint64_t base;
	uint32_t size;
};

struct installed {
	uint64_t addr;
	char sig[5];
	uint32_t len;
};

static void port_out(struct fw *f, uint16_t port, uint64_t v, unsigned size)
{
	ck_assert(io_bus_access(&f->x.bus, port, &v, size, true));
}

/* QemuFwCfgSelectItem + QemuFwCfgReadBytes (DMA). */
static void fw_read(struct fw *f, uint16_t key, uint64_t dst, uint32_t len)
{
	fw_cfg_fx_select(&f->x, key);
	put_be32(f->x.ram + DESC, FW_CFG_DMA_CTL_READ);
	put_be32(f->x.ram + DESC + 4, len);
	put_be64(f->x.ram + DESC + 8, dst);
	port_out(f, FW_CFG_PORT_DMA, 0, 4);
	port_out(f, FW_CFG_PORT_DMA + 4, __builtin_bswap32(DESC), 4);
	ck_assert_uint_eq(get_be32(f->x.ram + DESC), 0);
}

/* QemuFwCfgFindFile: the directory, read entry by entry. */
static bool fw_find(struct fw *f, const char *name, uint16_t *key, uint32_t *size)
{
	uint32_t n;

	fw_read(f, FW_CFG_FILE_DIR, DIRBUF, 4);
	n = get_be32(f->x.ram + DIRBUF);
	ck_assert_uint_le(n, FW_CFG_MAX_FILES);
	fw_read(f, FW_CFG_FILE_DIR, DIRBUF, 4 + 64 * n);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = f->x.ram + DIRBUF + 4 + 64 * i;

		if (!strcmp((const char *)e + 8, name)) {
			*size = get_be32(e);
			*key = get_be16(e + 4);
			return true;
		}
	}
	return false;
}

static struct blob *blob_find(struct blob *b, unsigned n, const uint8_t *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(b[i].name, (const char *)name))
			return &b[i];
	return NULL;
}

static uint64_t get_n(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_n(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Runs the script; returns the tables installed, in order, in inst. */
static unsigned replay(struct fw *f, struct blob *blobs, unsigned *nblobs,
		       struct installed *inst, unsigned max)
{
	uint16_t key;
	uint32_t size;
	uint8_t *script;
	unsigned nentries, ninst = 0;
	uint64_t seen[64];
	unsigned nseen = 0;

	ck_assert(fw_find(f, ACPI_FW_CFG_LOADER, &key, &size));
	ck_assert_uint_eq(size % ACPI_LOADER_ENTRY_SIZE, 0);
	ck_assert_uint_gt(size, 0);
	script = malloc(size);
	ck_assert_ptr_nonnull(script);
	fw_read(f, key, DIRBUF, size);	/* through guest memory, as a pool buffer */
	memcpy(script, f->x.ram + DIRBUF, size);
	nentries = size / ACPI_LOADER_ENTRY_SIZE;
	*nblobs = 0;

	/* First pass. */
	for (unsigned i = 0; i < nentries; i++) {
		const uint8_t *c = script + i * ACPI_LOADER_ENTRY_SIZE;
		const uint8_t *f1 = c + ACPI_LOADER_OFF_FILE, *f2 = c + ACPI_LOADER_OFF_FILE2;

		switch (get_le32(c)) {
		case ACPI_LOADER_ALLOCATE: {
			struct blob *b = &blobs[(*nblobs)++];
			uint16_t bk;
			uint32_t bs, pages;

			ck_assert_uint_eq(f1[ACPI_LOADER_FNAME_SIZE - 1], 0);
			ck_assert_uint_le(get_le32(c + ACPI_LOADER_OFF_ALLOC_ALIGN), 4096);
			ck_assert_ptr_null(blob_find(blobs, *nblobs - 1, f1));
			ck_assert_msg(fw_find(f, (const char *)f1, &bk, &bs), "no file %s", f1);
			pages = (bs + 4095) / 4096;
			f->top -= (uint64_t)pages * 4096;
			ck_assert_uint_gt(f->top, 0x100000);
			memcpy(b->name, f1, sizeof(b->name));
			b->base = f->top;
			b->size = bs;
			memset(f->x.ram + b->base, 0xcc, (size_t)pages * 4096);
			fw_read(f, bk, b->base, bs);
			memset(f->x.ram + b->base + bs, 0, (size_t)pages * 4096 - bs);
			break;
		}
		case ACPI_LOADER_ADD_POINTER: {
			struct blob *d = blob_find(blobs, *nblobs, f1);
			struct blob *s = blob_find(blobs, *nblobs, f2);
			uint32_t off = get_le32(c + ACPI_LOADER_OFF_PTR_OFFSET);
			uint8_t psize = c[ACPI_LOADER_OFF_PTR_SIZE];
			uint64_t v;

			ck_assert(f1[ACPI_LOADER_FNAME_SIZE - 1] == 0 &&
				  f2[ACPI_LOADER_FNAME_SIZE - 1] == 0);
			ck_assert(d && s);
			ck_assert(psize == 1 || psize == 2 || psize == 4 || psize == 8);
			ck_assert(d->size >= psize && d->size - psize >= off);
			v = get_n(f->x.ram + d->base + off, psize);
			ck_assert_uint_lt(v, s->size);
			v += s->base;
			ck_assert(psize == 8 || (v >> (8 * psize)) == 0);
			put_n(f->x.ram + d->base + off, psize, v);
			break;
		}
		case ACPI_LOADER_ADD_CHECKSUM: {
			struct blob *b = blob_find(blobs, *nblobs, f1);
			uint32_t res = get_le32(c + ACPI_LOADER_OFF_CSUM_RESULT);
			uint32_t start = get_le32(c + ACPI_LOADER_OFF_CSUM_START);
			uint32_t len = get_le32(c + ACPI_LOADER_OFF_CSUM_LENGTH);

			ck_assert_uint_eq(f1[ACPI_LOADER_FNAME_SIZE - 1], 0);
			ck_assert_ptr_nonnull(b);
			ck_assert(b->size > res && b->size >= len && b->size - len >= start);
			/* As OVMF does: the byte itself is in the sum. */
			f->x.ram[b->base + res] = (uint8_t)-sum8(f->x.ram + b->base + start, len);
			break;
		}
		default:
			ck_abort_msg("command %u: type %u", i, get_le32(c));
		}
	}

	/* Second pass: each target address once. */
	for (unsigned i = 0; i < nentries; i++) {
		const uint8_t *c = script + i * ACPI_LOADER_ENTRY_SIZE;
		struct blob *d, *s;
		uint64_t v, remaining;
		const uint8_t *t;
		bool dup = false;

		if (get_le32(c) != ACPI_LOADER_ADD_POINTER)
			continue;
		d = blob_find(blobs, *nblobs, c + ACPI_LOADER_OFF_FILE);
		s = blob_find(blobs, *nblobs, c + ACPI_LOADER_OFF_FILE2);
		v = get_n(f->x.ram + d->base + get_le32(c + ACPI_LOADER_OFF_PTR_OFFSET),
			  c[ACPI_LOADER_OFF_PTR_SIZE]);
		ck_assert(v >= s->base && v < s->base + s->size);
		for (unsigned k = 0; k < nseen; k++)
			dup |= seen[k] == v;
		if (dup)
			continue;
		ck_assert_uint_lt(nseen, 64);
		seen[nseen++] = v;
		remaining = s->base + s->size - v;
		t = f->x.ram + v;
		if (remaining >= 64 && !memcmp(t, "FACS", 4) && get_le32(t + 4) >= 64 &&
		    get_le32(t + 4) <= remaining) {
			/* a FACS */
		} else {
			ck_assert_msg(remaining >= 36 && get_le32(t + 4) >= 36 &&
				      get_le32(t + 4) <= remaining &&
				      sum8(t, get_le32(t + 4)) == 0,
				      "pointer %u: no valid table at 0x%llx (%.4s)", i,
				      (unsigned long long)v, (const char *)t);
			if (!memcmp(t, "RSDT", 4) || !memcmp(t, "XSDT", 4))
				continue;
		}
		ck_assert_uint_lt(ninst, max);
		inst[ninst].addr = v;
		memcpy(inst[ninst].sig, t, 4);
		inst[ninst].sig[4] = 0;
		inst[ninst].len = get_le32(t + 4);
		ninst++;
	}
	free(script);
	return ninst;
}

static void fw_setup(struct fw *f, const struct acpi_fw_cfg_tables *t)
{
	memset(f, 0, sizeof(*f));
	fw_cfg_fx_init(&f->x, RAM_SIZE);
	ck_assert_int_eq(fw_cfg_add_file(f->x.fc, ACPI_FW_CFG_RSDP, t->rsdp, t->rsdp_len), 0);
	ck_assert_int_eq(fw_cfg_add_file(f->x.fc, ACPI_FW_CFG_TABLES, t->tables, t->tables_len), 0);
	ck_assert_int_eq(fw_cfg_add_file(f->x.fc, ACPI_FW_CFG_LOADER, t->loader, t->loader_len), 0);
	f->top = RAM_SIZE;
}

static void fw_teardown(struct fw *f)
{
	fw_cfg_fx_fini(&f->x);
}

/* The table at a 32/64-bit address in a flat buffer seen at guest address base. */
static const uint8_t *at(const uint8_t *buf, uint64_t base, size_t size, uint64_t gpa,
			 const char *sig)
{
	const uint8_t *t;

	ck_assert_msg(gpa >= base && gpa - base + 36 <= size, "%s at 0x%llx is outside", sig,
		      (unsigned long long)gpa);
	t = buf + (gpa - base);
	ck_assert_msg(!memcmp(t, sig, 4), "want %s, found %.4s", sig, (const char *)t);
	ck_assert_uint_le(gpa - base + get_le32(t + 4), size);
	if (strcmp(sig, "FACS"))
		ck_assert_msg(sum8(t, get_le32(t + 4)) == 0, "%s checksum", sig);
	return t;
}

struct walked {
	const uint8_t *rsdp, *rsdt, *xsdt, *fadt, *madt, *dsdt, *facs;
};

static void walk(const uint8_t *buf, uint64_t base, size_t size, uint64_t rsdp_gpa,
		 struct walked *w)
{
	const uint8_t *r;

	ck_assert(rsdp_gpa >= base && rsdp_gpa - base + 36 <= size);
	r = w->rsdp = buf + (rsdp_gpa - base);
	ck_assert(!memcmp(r, "RSD PTR ", 8));
	ck_assert_uint_eq(sum8(r, 20), 0);
	ck_assert_uint_eq(sum8(r, 36), 0);
	w->rsdt = at(buf, base, size, get_le32(r + 16), "RSDT");
	w->xsdt = at(buf, base, size, get_le64(r + 24), "XSDT");
	for (unsigned i = 0; i < 2; i++)
		ck_assert_uint_eq(get_le32(w->rsdt + 36 + 4 * i), get_le64(w->xsdt + 36 + 8 * i));
	w->fadt = at(buf, base, size, get_le64(w->xsdt + 36), "FACP");
	w->madt = at(buf, base, size, get_le64(w->xsdt + 44), "APIC");
	ck_assert_uint_eq(get_le32(w->fadt + 40), get_le64(w->fadt + 140));
	w->dsdt = at(buf, base, size, get_le64(w->fadt + 140), "DSDT");
	ck_assert_uint_eq(get_le64(w->fadt + 132), 0);
	ck_assert_uint_eq(get_le32(w->fadt + 36) % 64, 0);
	w->facs = at(buf, base, size, get_le32(w->fadt + 36), "FACS");
}

/* Equal but for the checksum byte and the given pointer fields. */
static void same_table(const uint8_t *a, const uint8_t *b, const unsigned *skip,
		       const unsigned *skip_len, unsigned nskip)
{
	uint32_t len = get_le32(a + 4);

	ck_assert_uint_eq(get_le32(b + 4), len);
	for (uint32_t i = 0; i < len; i++) {
		bool ignore = i == 9;

		for (unsigned k = 0; k < nskip; k++)
			ignore |= i >= skip[k] && i < skip[k] + skip_len[k];
		if (!ignore)
			ck_assert_msg(a[i] == b[i], "%.4s byte %u differs", (const char *)a, i);
	}
}

static void replay_config(const struct acpi_config *cfg)
{
	static uint8_t image[0x20000];
	struct acpi_fw_cfg_tables t;
	struct blob blobs[4];
	struct installed inst[8];
	struct walked d, w;
	unsigned nblobs, n;
	uint64_t rsdp_gpa;
	struct blob *rb, *tb;
	struct fw f;

	ck_assert_int_eq(acpi_build_fw_cfg(cfg, &t), 0);
	ck_assert_uint_eq(t.rsdp_len, 36);
	ck_assert_uint_eq(t.loader_len % ACPI_LOADER_ENTRY_SIZE, 0);
	fw_setup(&f, &t);
	n = replay(&f, blobs, &nblobs, inst, 8);

	ck_assert_uint_eq(nblobs, 2);
	rb = blob_find(blobs, nblobs, (const uint8_t *)ACPI_FW_CFG_RSDP);
	tb = blob_find(blobs, nblobs, (const uint8_t *)ACPI_FW_CFG_TABLES);
	ck_assert(rb && tb);
	/* Installed once each, the FACS and DSDT through the FADT. */
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(inst[0].sig, "FACS");
	ck_assert_str_eq(inst[1].sig, "DSDT");
	ck_assert_str_eq(inst[2].sig, "FACP");
	ck_assert_str_eq(inst[3].sig, "APIC");
	for (unsigned i = 0; i < n; i++)
		ck_assert(inst[i].addr >= tb->base && inst[i].addr + inst[i].len <=
			  tb->base + tb->size);

	/* The RSDP and everything reachable from it, in the allocated blobs. */
	walk(f.x.ram, 0, RAM_SIZE, rb->base, &w);
	ck_assert_ptr_eq(w.facs, f.x.ram + inst[0].addr);
	ck_assert_ptr_eq(w.dsdt, f.x.ram + inst[1].addr);
	ck_assert_ptr_eq(w.fadt, f.x.ram + inst[2].addr);
	ck_assert_ptr_eq(w.madt, f.x.ram + inst[3].addr);

	/* The same tables as direct boot, but for where they are. */
	ck_assert_int_eq(acpi_build(cfg, image, 0xe0000, sizeof(image), &rsdp_gpa), 0);
	walk(image, 0xe0000, sizeof(image), rsdp_gpa, &d);
	ck_assert(!memcmp(w.dsdt, d.dsdt, get_le32(d.dsdt + 4)));
	ck_assert(!memcmp(w.madt, d.madt, get_le32(d.madt + 4)));
	ck_assert(!memcmp(w.facs, d.facs, 64));
	{
		static const unsigned fadt_skip[] = { 36, 40, 140 }, fadt_len[] = { 4, 4, 8 };
		static const unsigned rsdt_skip[] = { 36 }, rsdt_len[] = { 8 };
		static const unsigned xsdt_skip[] = { 36 }, xsdt_len[] = { 16 };

		same_table(w.fadt, d.fadt, fadt_skip, fadt_len, 3);
		same_table(w.rsdt, d.rsdt, rsdt_skip, rsdt_len, 1);
		same_table(w.xsdt, d.xsdt, xsdt_skip, xsdt_len, 1);
		/* RSDP: signature, OEM, revision, length. */
		ck_assert(!memcmp(w.rsdp, d.rsdp, 8));
		ck_assert(!memcmp(w.rsdp + 9, d.rsdp + 9, 7));
		ck_assert(!memcmp(w.rsdp + 20, d.rsdp + 20, 4));
	}

	fw_teardown(&f);
	acpi_fw_cfg_tables_free(&t);
	ck_assert_ptr_null(t.tables);
}

START_TEST(replay_one_cpu)
{
	struct acpi_config cfg = make_config(1);

	replay_config(&cfg);
}
END_TEST

START_TEST(replay_many_cpus_with_hook)
{
	struct acpi_config cfg = make_config(ACPI_MAX_CPUS);
	struct acpi_dsdt_hook h = { hook, NULL };

	cfg.hooks = &h;
	cfg.nhooks = 1;
	replay_config(&cfg);
}
END_TEST

START_TEST(blobs_and_errors)
{
	struct acpi_config cfg = make_config(2);
	struct acpi_fw_cfg_tables t;

	/* Pointers are offsets, checksum bytes zero: the loader's input. */
	ck_assert_int_eq(acpi_build_fw_cfg(&cfg, &t), 0);
	ck_assert(!memcmp(t.tables, "FACS", 4));
	ck_assert_uint_eq(t.rsdp[8], 0);
	ck_assert_uint_eq(t.rsdp[32], 0);
	ck_assert_uint_lt(get_le32(t.rsdp + 16), t.tables_len);
	ck_assert(!memcmp(t.tables + get_le32(t.rsdp + 16), "RSDT", 4));
	ck_assert(!memcmp(t.tables + get_le64(t.rsdp + 24), "XSDT", 4));
	ck_assert_uint_eq(t.tables[get_le32(t.rsdp + 16) + 9], 0);
	acpi_fw_cfg_tables_free(&t);

	test_stderr_begin();
	cfg.ncpus = 0;
	ck_assert_int_eq(acpi_build_fw_cfg(&cfg, &t), -EINVAL);
	ck_assert_ptr_null(t.loader);
	ck_assert_int_eq(acpi_build_fw_cfg(NULL, &t), -EINVAL);
	free(test_stderr_end());
}
END_TEST

static Suite *acpi_loader_suite(void)
{
	Suite *s = suite_create("acpi_loader");
	TCase *tc = tcase_create("loader");

	tcase_add_test(tc, builder_commands);
	tcase_add_test(tc, builder_rejects);
	tcase_add_test(tc, replay_one_cpu);
	tcase_add_test(tc, replay_many_cpus_with_hook);
	tcase_add_test(tc, blobs_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(acpi_loader_suite());
}
