/* SPDX-License-Identifier: MIT */
/*
 * SMBIOS structures and the 3.0 entry point (DMTF DSP0134 3.1). The content
 * follows what Hyper-V's Generation 2 firmware puts in its tables: the same
 * strings, characteristics and structure set, one processor structure per socket,
 * one memory device per RAM range.
 */
#include "smbios.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HV_VENDOR		"Microsoft Corporation"
#define HV_PRODUCT		"Virtual Machine"
#define HV_FW_VERSION		"Hyper-V UEFI Release v4.1"
#define HV_FW_DATE		"04/06/2022"
#define HV_FW_MAJOR		4
#define HV_FW_MINOR		1
#define HV_NONE			"None"

/* Structure lengths for SMBIOS 3.1 (the formatted areas). */
#define T0_LEN			0x1a
#define T1_LEN			0x1b
#define T2_LEN			0x0f
#define T3_LEN			0x16	/* no contained elements, then the SKU string */
#define T4_LEN			0x30
#define T16_LEN			0x17
#define T17_LEN			0x28
#define T19_LEN			0x1f
#define T32_LEN			0x0b
#define T127_LEN		0x04

/* Type 0 BIOS characteristics: "not supported" (bit 3) and, as Hyper-V sets them
 * beside it, Plug and Play, boot from CD, selectable boot, EDD, serial. */
#define T0_CHARACTERISTICS	((1ull << 3) | (1ull << 9) | (1ull << 15) | (1ull << 16) | \
				 (1ull << 19) | (1ull << 28))
#define T0_EXT1_ACPI		0x01
#define T0_EXT2_TCD		0x04	/* targeted content distribution */
#define T0_EXT2_UEFI		0x08
#define T0_EXT2_VM		0x10

#define STR_(x)			#x
#define STR(x)			STR_(x)

#define HANDLE_NOT_PROVIDED	0xfffe
#define HANDLE_NONE		0xffff
#define MAX_MB_PER_DEVICE	0x7fffffffull	/* type 17 extended size, in MiB */

struct bld {
	uint8_t *buf;
	size_t len, cap;
	size_t cur;		/* offset of the structure being built */
	unsigned nstr;		/* its strings so far */
	uint8_t type;
	uint16_t next_handle;
	int err;
	char *errbuf;
	size_t errlen;
};

static void fail(struct bld *b, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct bld *b, int err, const char *fmt, ...)
{
	va_list ap;

	if (b->err)
		return;
	b->err = err;
	if (b->errbuf && b->errlen) {
		va_start(ap, fmt);
		vsnprintf(b->errbuf, b->errlen, fmt, ap);
		va_end(ap);
	}
}

static uint8_t *grow(struct bld *b, size_t n)
{
	uint8_t *p;

	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p) {
			fail(b, -ENOMEM, "smbios: out of memory");
			return NULL;
		}
		b->buf = p;
		b->cap = cap;
	}
	p = b->buf + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

static uint16_t st_begin(struct bld *b, uint8_t type, uint8_t length)
{
	uint16_t handle = b->next_handle++;
	uint8_t *p;

	b->cur = b->len;
	b->nstr = 0;
	b->type = type;
	p = grow(b, length);
	if (p) {
		p[0] = type;
		p[1] = length;
		p[2] = (uint8_t)handle;
		p[3] = (uint8_t)(handle >> 8);
	}
	return handle;
}

/* Fields of the current structure; offsets are the spec's, within its length. */
static void st_u8(struct bld *b, unsigned off, uint8_t v)
{
	if (!b->err)
		b->buf[b->cur + off] = v;
}

static void st_u16(struct bld *b, unsigned off, uint16_t v)
{
	st_u8(b, off, (uint8_t)v);
	st_u8(b, off + 1, (uint8_t)(v >> 8));
}

static void st_u32(struct bld *b, unsigned off, uint32_t v)
{
	st_u16(b, off, (uint16_t)v);
	st_u16(b, off + 2, (uint16_t)(v >> 16));
}

static void st_u64(struct bld *b, unsigned off, uint64_t v)
{
	st_u32(b, off, (uint32_t)v);
	st_u32(b, off + 4, (uint32_t)(v >> 32));
}

/* A string field: appended to the structure's string set and numbered; NULL or
 * "" leaves the field 0 (no string). what names it in an error. */
static void st_str(struct bld *b, unsigned off, const char *s, const char *what)
{
	const char *why;
	size_t n;
	uint8_t *p;

	if (b->err || !s || !*s)
		return;
	why = smbios_string_check(s);
	if (why) {
		fail(b, -EINVAL, "smbios type %u %s: %s", b->type, what, why);
		return;
	}
	if (b->nstr >= SMBIOS_MAX_STRINGS) {
		fail(b, -EINVAL, "smbios type %u %s: more than %u strings in one structure",
		     b->type, what, SMBIOS_MAX_STRINGS);
		return;
	}
	n = strlen(s) + 1;
	p = grow(b, n);
	if (!p)
		return;
	memcpy(p, s, n);
	st_u8(b, off, (uint8_t)++b->nstr);
}

/* The string set ends with one more NUL; an empty set is two NULs. */
static void st_end(struct bld *b)
{
	grow(b, b->nstr ? 1 : 2);
}

static const char *pick(const struct smbios_str *o, const char *dflt)
{
	return o && o->set ? o->s : dflt;
}

const char *smbios_string_check(const char *s)
{
	size_t n = strnlen(s, SMBIOS_STRING_MAX + 1);

	if (n > SMBIOS_STRING_MAX)
		return "longer than " STR(SMBIOS_STRING_MAX) " bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "control character in the string";
	}
	return NULL;
}

uint8_t smbios_checksum(const void *p, size_t len)
{
	const uint8_t *q = p;
	uint8_t s = 0;

	while (len--)
		s += *q++;
	return (uint8_t)-s;
}

void smbios_serial_from_uuid(const uint8_t uuid[16], char *buf)
{
	unsigned __int128 v = 0;
	char digits[26];
	size_t o = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | uuid[i];
	for (int i = 25; i >= 0; i--) {
		digits[i] = (char)('0' + (unsigned)(v % 10));
		v /= 10;
	}
	for (int i = 0; i < 26; i++) {
		if (i && i % 4 == 0)
			buf[o++] = '-';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void add_bios(struct bld *b, const struct smbios_overrides *ov)
{
	uint8_t ext2 = T0_EXT2_TCD | T0_EXT2_UEFI | T0_EXT2_VM;

	if (ov && ov->bios.uefi_set && !ov->bios.uefi)
		ext2 &= (uint8_t)~T0_EXT2_UEFI;
	st_begin(b, 0, T0_LEN);
	st_str(b, 0x04, pick(ov ? &ov->bios.vendor : NULL, HV_VENDOR), "vendor");
	st_str(b, 0x05, pick(ov ? &ov->bios.version : NULL, HV_FW_VERSION), "version");
	st_u16(b, 0x06, 0);		/* no real-mode BIOS segment under UEFI */
	st_str(b, 0x08, pick(ov ? &ov->bios.date : NULL, HV_FW_DATE), "date");
	st_u8(b, 0x09, 0);		/* ROM size 64 KiB, as Hyper-V says */
	st_u64(b, 0x0a, T0_CHARACTERISTICS);
	st_u8(b, 0x12, T0_EXT1_ACPI);
	st_u8(b, 0x13, ext2);
	st_u8(b, 0x14, ov && ov->bios.release_set ? ov->bios.release_major : HV_FW_MAJOR);
	st_u8(b, 0x15, ov && ov->bios.release_set ? ov->bios.release_minor : HV_FW_MINOR);
	st_u8(b, 0x16, 0xff);		/* no embedded controller firmware */
	st_u8(b, 0x17, 0xff);
	st_end(b);
}

/* SMBIOS 2.6+ stores the first three UUID fields little-endian. */
static void uuid_to_smbios(const uint8_t in[16], uint8_t out[16])
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

	for (int i = 0; i < 16; i++)
		out[i] = in[order[i]];
}

static void add_system(struct bld *b, const struct smbios_overrides *ov, const uint8_t uuid[16],
		       const char *serial)
{
	uint8_t u[16];

	uuid_to_smbios(uuid, u);
	st_begin(b, 1, T1_LEN);
	st_str(b, 0x04, pick(ov ? &ov->system.manufacturer : NULL, HV_VENDOR), "manufacturer");
	st_str(b, 0x05, pick(ov ? &ov->system.product : NULL, HV_PRODUCT), "product");
	st_str(b, 0x06, pick(ov ? &ov->system.version : NULL, HV_FW_VERSION), "version");
	st_str(b, 0x07, pick(ov ? &ov->system.serial : NULL, serial), "serial");
	for (int i = 0; i < 16; i++)
		st_u8(b, 0x08 + (unsigned)i, u[i]);
	st_u8(b, 0x18, 0x06);		/* woken by the power switch */
	st_str(b, 0x19, pick(ov ? &ov->system.sku : NULL, HV_NONE), "sku");
	st_str(b, 0x1a, pick(ov ? &ov->system.family : NULL, HV_PRODUCT), "family");
	st_end(b);
}

static uint16_t add_chassis(struct bld *b, const struct smbios_overrides *ov, const char *serial)
{
	uint16_t h = st_begin(b, 3, T3_LEN);

	st_str(b, 0x04, pick(ov ? &ov->chassis.manufacturer : NULL, HV_VENDOR), "manufacturer");
	st_u8(b, 0x05, 0x03);		/* desktop, no lock */
	st_str(b, 0x06, pick(ov ? &ov->chassis.version : NULL, HV_FW_VERSION), "version");
	st_str(b, 0x07, pick(ov ? &ov->chassis.serial : NULL, serial), "serial");
	st_str(b, 0x08, pick(ov ? &ov->chassis.asset : NULL, SMBIOS_AZURE_ASSET_TAG), "asset");
	st_u8(b, 0x09, 0x03);		/* boot-up, power supply, thermal: safe */
	st_u8(b, 0x0a, 0x03);
	st_u8(b, 0x0b, 0x03);
	st_u8(b, 0x0c, 0x02);		/* security status unknown */
	/* 0x0d OEM, 0x11 height, 0x12 power cords, 0x13/0x14 no contained elements */
	st_str(b, 0x15, pick(ov ? &ov->chassis.sku : NULL, HV_PRODUCT), "sku");
	st_end(b);
	return h;
}

static void add_baseboard(struct bld *b, const struct smbios_overrides *ov, const char *serial,
			  uint16_t chassis)
{
	st_begin(b, 2, T2_LEN);
	st_str(b, 0x04, pick(ov ? &ov->baseboard.manufacturer : NULL, HV_VENDOR), "manufacturer");
	st_str(b, 0x05, pick(ov ? &ov->baseboard.product : NULL, HV_PRODUCT), "product");
	st_str(b, 0x06, pick(ov ? &ov->baseboard.version : NULL, HV_FW_VERSION), "version");
	st_str(b, 0x07, pick(ov ? &ov->baseboard.serial : NULL, serial), "serial");
	st_str(b, 0x08, pick(ov ? &ov->baseboard.asset : NULL, HV_NONE), "asset");
	st_u8(b, 0x09, 0x01);		/* a hosting board */
	st_str(b, 0x0a, pick(ov ? &ov->baseboard.location : NULL, HV_PRODUCT), "location");
	st_u16(b, 0x0b, chassis);
	st_u8(b, 0x0d, 0x0a);		/* motherboard */
	st_end(b);
}

static void add_processors(struct bld *b, const struct smbios_facts *f)
{
	unsigned per = f->cpus_per_socket && f->cpus_per_socket < f->ncpus ? f->cpus_per_socket :
									      f->ncpus;
	unsigned tpc = f->threads_per_core ? f->threads_per_core : 1;
	unsigned sockets = (f->ncpus + per - 1) / per;
	uint16_t family = f->cpu_family ? f->cpu_family : 0x02;

	for (unsigned s = 0; s < sockets && !b->err; s++) {
		/* Spread the vCPUs evenly, the first sockets taking the remainder. */
		unsigned threads = f->ncpus / sockets + (s < f->ncpus % sockets);
		unsigned cores = (threads + tpc - 1) / tpc;

		st_begin(b, 4, T4_LEN);
		st_str(b, 0x04, HV_NONE, "socket");
		st_u8(b, 0x05, 0x03);	/* central processor */
		st_u8(b, 0x06, family > 0xfd ? 0xfe : (uint8_t)family);
		st_str(b, 0x07, f->cpu_manufacturer ? f->cpu_manufacturer : HV_NONE, "manufacturer");
		st_u64(b, 0x08, f->cpu_id);
		st_str(b, 0x10, f->cpu_version ? f->cpu_version : HV_NONE, "version");
		st_u8(b, 0x11, 0);	/* voltage unknown */
		st_u16(b, 0x12, 0);	/* external clock unknown */
		st_u16(b, 0x14, f->cpu_mhz);
		st_u16(b, 0x16, f->cpu_mhz);
		st_u8(b, 0x18, 0x41);	/* socket populated, CPU enabled */
		st_u8(b, 0x19, 0x06);	/* upgrade: none */
		st_u16(b, 0x1a, HANDLE_NONE);	/* no cache information */
		st_u16(b, 0x1c, HANDLE_NONE);
		st_u16(b, 0x1e, HANDLE_NONE);
		st_str(b, 0x20, HV_NONE, "serial");
		st_str(b, 0x21, HV_NONE, "asset");
		st_str(b, 0x22, HV_NONE, "part");
		st_u8(b, 0x23, cores > 0xff ? 0xff : (uint8_t)cores);
		st_u8(b, 0x24, cores > 0xff ? 0xff : (uint8_t)cores);
		st_u8(b, 0x25, threads > 0xff ? 0xff : (uint8_t)threads);
		st_u16(b, 0x26, 0x0004);	/* 64-bit capable */
		st_u16(b, 0x28, family);
		st_u16(b, 0x2a, (uint16_t)cores);
		st_u16(b, 0x2c, (uint16_t)cores);
		st_u16(b, 0x2e, (uint16_t)threads);
		st_end(b);
	}
}

static void add_memory(struct bld *b, const struct smbios_facts *f)
{
	uint64_t total = 0;
	uint64_t kb;
	uint16_t array;

	for (unsigned i = 0; i < f->nmem; i++)
		total += f->mem[i].size;

	array = st_begin(b, 16, T16_LEN);
	st_u8(b, 0x04, 0x03);		/* on the system board */
	st_u8(b, 0x05, 0x03);		/* system memory */
	st_u8(b, 0x06, 0x03);		/* no error correction */
	kb = (total + 1023) >> 10;
	if (kb < 0x80000000ull) {
		st_u32(b, 0x07, (uint32_t)kb);
	} else {
		st_u32(b, 0x07, 0x80000000u);
		st_u64(b, 0x0f, total);
	}
	st_u16(b, 0x0b, HANDLE_NOT_PROVIDED);
	st_u16(b, 0x0d, (uint16_t)f->nmem);
	st_end(b);

	for (unsigned i = 0; i < f->nmem && !b->err; i++) {
		uint64_t base = f->mem[i].base, size = f->mem[i].size;
		uint64_t last = base + size - 1;
		uint64_t mb = (size + (1ull << 20) - 1) >> 20;
		char loc[16];	/* "M" and up to 8 hex digits: -Wformat-truncation cannot bound i */

		snprintf(loc, sizeof(loc), "M%04X", i + 1);
		st_begin(b, 17, T17_LEN);
		st_u16(b, 0x04, array);
		st_u16(b, 0x06, HANDLE_NOT_PROVIDED);
		st_u16(b, 0x08, 0xffff);	/* widths unknown */
		st_u16(b, 0x0a, 0xffff);
		if (size % (1ull << 20) && ((size + 1023) >> 10) < 0x8000)
			st_u16(b, 0x0c, (uint16_t)(0x8000 | ((size + 1023) >> 10)));	/* KiB */
		else if (mb < 0x7fff)
			st_u16(b, 0x0c, (uint16_t)mb);
		else {
			st_u16(b, 0x0c, 0x7fff);
			st_u32(b, 0x1c, (uint32_t)mb);
		}
		st_u8(b, 0x0e, 0x02);		/* form factor unknown */
		st_str(b, 0x10, loc, "device locator");
		st_str(b, 0x11, HV_NONE, "bank locator");
		st_u8(b, 0x12, 0x02);		/* type unknown */
		st_u16(b, 0x13, 0x0004);	/* type detail unknown */
		st_str(b, 0x17, HV_VENDOR, "manufacturer");
		st_str(b, 0x18, HV_NONE, "serial");
		st_str(b, 0x19, HV_NONE, "asset");
		st_str(b, 0x1a, HV_NONE, "part");
		st_end(b);

		st_begin(b, 19, T19_LEN);
		if ((last >> 10) < 0xffffffffull) {
			st_u32(b, 0x04, (uint32_t)(base >> 10));
			st_u32(b, 0x08, (uint32_t)(last >> 10));
		} else {
			st_u32(b, 0x04, 0xffffffffu);
			st_u32(b, 0x08, 0xffffffffu);
			st_u64(b, 0x0f, base);
			st_u64(b, 0x17, last);
		}
		st_u16(b, 0x0c, array);
		st_u8(b, 0x0e, 1);		/* one device wide */
		st_end(b);
	}
}

static void add_boot_status(struct bld *b)
{
	st_begin(b, 32, T32_LEN);
	st_u8(b, 0x0a, 0);		/* no errors detected */
	st_end(b);
}

static void add_end(struct bld *b)
{
	st_begin(b, 127, T127_LEN);
	st_end(b);
}

static int check_facts(const struct smbios_facts *f, struct bld *b)
{
	if (f->ncpus < 1 || f->ncpus > SMBIOS_MAX_CPUS) {
		fail(b, -EINVAL, "smbios: %u vCPUs (1-%u)", f->ncpus, SMBIOS_MAX_CPUS);
		return b->err;
	}
	if (f->threads_per_core > SMBIOS_MAX_CPUS || f->cpus_per_socket > SMBIOS_MAX_CPUS) {
		fail(b, -EINVAL, "smbios: %u vCPUs per socket, %u per core", f->cpus_per_socket,
		     f->threads_per_core);
		return b->err;
	}
	if (f->nmem < 1 || f->nmem > SMBIOS_MAX_MEM_RANGES) {
		fail(b, -EINVAL, "smbios: %u memory ranges (1-%u)", f->nmem, SMBIOS_MAX_MEM_RANGES);
		return b->err;
	}
	for (unsigned i = 0; i < f->nmem; i++) {
		const struct smbios_mem_range *r = &f->mem[i];

		if (!r->size || r->base + r->size - 1 < r->base ||
		    (r->size >> 20) >= MAX_MB_PER_DEVICE) {
			fail(b, -EINVAL, "smbios: memory range %u (base %#llx size %#llx)", i,
			     (unsigned long long)r->base, (unsigned long long)r->size);
			return b->err;
		}
	}
	return 0;
}

int smbios_build(const struct smbios_facts *f, const struct smbios_overrides *ov,
		 struct smbios_blobs *out, char *err, size_t errlen)
{
	struct bld b = { .errbuf = err, .errlen = errlen };
	char serial[SMBIOS_SERIAL_LEN + 1];
	const uint8_t *uuid;
	uint16_t chassis;
	uint8_t *ep;

	memset(out, 0, sizeof(*out));
	if (check_facts(f, &b))
		return b.err;
	uuid = ov && ov->system.uuid_set ? ov->system.uuid : f->uuid;
	if (f->serial) {
		const char *why = smbios_string_check(f->serial);

		if (why) {
			fail(&b, -EINVAL, "smbios serial: %s", why);
			return b.err;
		}
		snprintf(serial, sizeof(serial), "%s", f->serial);
	} else {
		smbios_serial_from_uuid(uuid, serial);
	}

	/* Hyper-V's order: BIOS, system, chassis, baseboard, processors, memory. */
	add_bios(&b, ov);
	add_system(&b, ov, uuid, serial);
	chassis = add_chassis(&b, ov, serial);
	add_baseboard(&b, ov, serial, chassis);
	add_processors(&b, f);
	add_memory(&b, f);
	add_boot_status(&b);
	add_end(&b);
	if (!b.err && b.len > UINT32_MAX)
		fail(&b, -EINVAL, "smbios: tables of %zu bytes", b.len);
	if (b.err) {
		free(b.buf);
		return b.err;
	}

	out->tables = b.buf;
	out->tables_len = b.len;
	out->anchor_len = SMBIOS_EP3_LEN;
	ep = out->anchor;
	memcpy(ep, "_SM3_", 5);
	ep[0x06] = SMBIOS_EP3_LEN;
	ep[0x07] = SMBIOS_MAJOR;
	ep[0x08] = SMBIOS_MINOR;
	ep[0x09] = 0;			/* docrev */
	ep[0x0a] = 1;			/* entry point revision: 3.0 */
	for (int i = 0; i < 4; i++)	/* structure table maximum size */
		ep[0x0c + i] = (uint8_t)(b.len >> (8 * i));
	/* 0x10: table address, 0 here; whoever places the table fills it in. */
	ep[0x05] = smbios_checksum(ep, SMBIOS_EP3_LEN);
	return 0;
}

void smbios_blobs_free(struct smbios_blobs *bl)
{
	free(bl->tables);
	bl->tables = NULL;
	bl->tables_len = 0;
}
