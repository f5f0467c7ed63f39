/* SPDX-License-Identifier: MIT */
/*
 * The VHDX parsers (src/backends/vhdx.c) on images built by the specification
 * (vhdx_image.c): every structure good, then damaged one field at a time, each refused
 * with a message naming what is wrong; and the log: finding the active sequence and
 * replaying it.
 */
#include "crc32c.h"
#include "testutil.h"
#include "vhdx.h"
#include "vhdx_image.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1u << 20)

static char err[512];

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

struct parsed {
	struct vhdx_hdr h;
	struct vhdx_regions r;
	struct vhdx_meta m;
	struct vhdx_geom g;
	int which;
};

/* What opening does, on a buffer: 0, or the first failure with its message in err. */
static int parse_all(const uint8_t *f, size_t len, struct parsed *p)
{
	int r;

	err[0] = 0;
	if (!vhdx_is_file_id(f, len))
		return -EINVAL;
	r = vhdx_pick_header(f + VHDX_HEADER1_OFFSET, f + VHDX_HEADER2_OFFSET, len, &p->h, &p->which, err, sizeof(err));
	if (r == 0)
		r = vhdx_parse_region_table(f + VHDX_REGION1_OFFSET, len, &p->h, &p->r, err, sizeof(err));
	if (r == 0)
		r = vhdx_parse_metadata(f + p->r.meta_offset, p->r.meta_length, &p->m, err, sizeof(err));
	if (r == 0)
		r = vhdx_geometry(&p->m, &p->r, &p->g, err, sizeof(err));
	if (r == 0)
		r = vhdx_check_bat((const uint64_t *)(f + p->r.bat_offset), &p->g, &p->m, &p->r, &p->h, len, err,
				   sizeof(err));
	return r;
}

#define EXPECT_REFUSED(f, len, code, needle)						\
	do {										\
		struct parsed _p;							\
		int _r = parse_all(f, len, &_p);					\
		ck_assert_int_eq(_r, code);						\
		ck_assert_msg(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);	\
	} while (0)

START_TEST(test_crc32c)
{
	ck_assert_uint_eq(crc32c("123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(crc32c("", 0), 0);
	ck_assert_uint_eq(crc32c_update(crc32c("1234", 4), "56789", 5), 0xe3069283u);
}
END_TEST

START_TEST(test_good_dynamic)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(100 * MiB + 4096, MiB, 512, false, NULL, &len, &lay);
	struct parsed p;

	ck_assert_int_eq(parse_all(f, len, &p), 0);
	ck_assert_int_eq(p.which, 1);	/* header 2 has the higher sequence number */
	ck_assert_uint_eq(p.h.sequence_number, 2);
	ck_assert_uint_eq(p.h.log_offset, TVX_LOG_OFFSET);
	ck_assert_uint_eq(p.r.bat_offset, TVX_BAT_OFFSET);
	ck_assert_uint_eq(p.r.meta_offset, lay.meta_offset);
	ck_assert_uint_eq(p.m.block_size, MiB);
	ck_assert_uint_eq(p.m.virtual_size, 100 * MiB + 4096);
	ck_assert_uint_eq(p.m.logical_sector, 512);
	ck_assert_uint_eq(p.m.physical_sector, 4096);
	ck_assert_uint_eq(p.m.disk_id[0], 0x30);
	ck_assert(!p.m.has_parent);
	ck_assert_uint_eq(p.g.chunk_ratio, 4096);
	ck_assert_uint_eq(p.g.data_blocks, 101);
	ck_assert_uint_eq(p.g.bat_entries, 101);
	free(f);
}
END_TEST

START_TEST(test_geometry)
{
	static const struct { uint32_t bs, ls; uint64_t size, chunk, entries; } c[] = {
		{ MiB, 512, 8ull << 30, 4096, 8192 + 1 },		/* a sector bitmap entry after 4096 blocks */
		{ 32 * MiB, 512, 64 * MiB, 128, 2 },
		{ 32 * MiB, 4096, 64ull << 30, 1024, 2048 + 1 },
		{ 256 * MiB, 512, 256 * MiB, 16, 1 },
		{ MiB, 4096, 32ull << 30, 32768, 32768 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct vhdx_meta m = { .block_size = c[i].bs, .logical_sector = c[i].ls, .virtual_size = c[i].size };
		struct vhdx_regions r = { .bat_length = 64 * MiB };
		struct vhdx_geom g;

		ck_assert_int_eq(vhdx_geometry(&m, &r, &g, err, sizeof(err)), 0);
		ck_assert_uint_eq(g.chunk_ratio, c[i].chunk);
		ck_assert_uint_eq(g.bat_entries, c[i].entries);
	}
	{
		struct vhdx_meta m = { .block_size = MiB, .logical_sector = 512, .virtual_size = 1ull << 40 };
		struct vhdx_regions r = { .bat_length = MiB };
		struct vhdx_geom g;

		ck_assert_int_eq(vhdx_geometry(&m, &r, &g, err, sizeof(err)), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "too small"));
	}
}
END_TEST

START_TEST(test_fixed_and_4k)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(64 * MiB, 32 * MiB, 4096, true, NULL, &len, &lay);
	struct parsed p;

	ck_assert_int_eq(parse_all(f, len, &p), 0);
	ck_assert_uint_eq(p.m.logical_sector, 4096);
	ck_assert(p.m.leave_blocks_allocated);
	ck_assert_uint_eq(p.g.chunk_ratio, 1024);
	{
		uint64_t e = le64toh(((uint64_t *)(f + p.r.bat_offset))[1]);

		ck_assert_uint_eq(vhdx_bat_state(e), VHDX_PAYLOAD_FULLY_PRESENT);
		ck_assert_uint_eq(vhdx_bat_offset(e), lay.data_offset + 32 * MiB);
	}
	free(f);
}
END_TEST

START_TEST(test_headers)
{
	size_t len;
	uint8_t *f = tvx_build(16 * MiB, MiB, 512, false, NULL, &len, NULL);
	uint8_t *h1 = f + VHDX_HEADER1_OFFSET, *h2 = f + VHDX_HEADER2_OFFSET;
	struct parsed p;

	/* A damaged current header: the other one is used. */
	h2[100] ^= 1;
	ck_assert_int_eq(parse_all(f, len, &p), 0);
	ck_assert_int_eq(p.which, 0);
	/* Both damaged. */
	h1[0] = 'x';
	EXPECT_REFUSED(f, len, -EINVAL, "no valid header: header 1: no header signature; header 2: bad checksum");
	h1[0] = 'h';
	/* A version from the future. */
	h1[offsetof(struct vhdx_header, version)] = 2;
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	EXPECT_REFUSED(f, len, -ENOTSUP, "version 2");
	h1[offsetof(struct vhdx_header, version)] = 1;
	h1[offsetof(struct vhdx_header, log_version)] = 1;
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	EXPECT_REFUSED(f, len, -ENOTSUP, "log version 1");
	h1[offsetof(struct vhdx_header, log_version)] = 0;
	/* The log past the end of the file, not in whole MiB, inside the headers. */
	put64(h1 + offsetof(struct vhdx_header, log_offset), 1ull << 40);
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "ends past the end of the file");
	put64(h1 + offsetof(struct vhdx_header, log_offset), MiB + 4096);
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "not a multiple of 1 MiB");
	put64(h1 + offsetof(struct vhdx_header, log_offset), 0);
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "log offset 0");
	put64(h1 + offsetof(struct vhdx_header, log_offset), MiB);
	put32(h1 + offsetof(struct vhdx_header, log_length), 4096);
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "log length 4096");
	put32(h1 + offsetof(struct vhdx_header, log_length), MiB);
	tvx_fix_crc(h1, VHDX_HEADER_SIZE);
	ck_assert_int_eq(parse_all(f, len, &p), 0);
	free(f);
}
END_TEST

START_TEST(test_header_roundtrip)
{
	struct vhdx_hdr h = { .sequence_number = 77, .log_length = MiB, .log_offset = 5 * MiB }, back;
	uint8_t *buf = calloc(1, 4096);

	h.log_guid[3] = 9;
	vhdx_build_header(&h, buf);
	ck_assert_int_eq(vhdx_parse_header(buf, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.sequence_number, 77);
	ck_assert_uint_eq(back.log_length, MiB);
	ck_assert_uint_eq(back.log_offset, 5 * MiB);
	ck_assert_mem_eq(back.log_guid, h.log_guid, 16);
	ck_assert_mem_eq(back.file_write_guid, h.file_write_guid, 16);
	ck_assert_mem_eq(back.data_write_guid, h.data_write_guid, 16);
	free(buf);
}
END_TEST

START_TEST(test_region_table)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(16 * MiB, MiB, 512, false, NULL, &len, &lay);
	uint8_t *t = f + VHDX_REGION1_OFFSET, *save = malloc(VHDX_REGION_TABLE_SIZE);

	memcpy(save, t, VHDX_REGION_TABLE_SIZE);
#define RESET() memcpy(t, save, VHDX_REGION_TABLE_SIZE)
	t[0] = 'x';
	EXPECT_REFUSED(f, len, -EINVAL, "no region table signature");
	RESET();
	t[500] = 1;
	EXPECT_REFUSED(f, len, -EINVAL, "bad checksum");
	RESET();
	put32(t + 8, 3000);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "3000 entries");
	RESET();
	/* The metadata region over the BAT. */
	put64(t + 64, TVX_BAT_OFFSET);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "overlap");
	RESET();
	/* Over the log. */
	put64(t + 32, TVX_LOG_OFFSET);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "the BAT region overlaps the log");
	RESET();
	/* Past the end of the file. */
	put64(t + 64, len);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "the metadata region ends past the end of the file");
	RESET();
	/* Not on a MiB. */
	put64(t + 32, TVX_BAT_OFFSET + 4096);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "not in whole MiB");
	RESET();
	/* Two BATs. */
	memcpy(t + 48, t + 16, 16);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "a second BAT region");
	RESET();
	/* No metadata region. */
	put32(t + 8, 1);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -EINVAL, "no metadata region");
	RESET();
	/* An unknown region: ignored unless required. */
	put32(t + 8, 3);
	memset(t + 80, 0xab, 16);
	put64(t + 96, 64 * MiB);
	put32(t + 104, MiB);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	{
		struct parsed p;

		ck_assert_int_eq(parse_all(f, len, &p), 0);
	}
	put32(t + 108, 1);
	tvx_fix_crc(t, VHDX_REGION_TABLE_SIZE);
	EXPECT_REFUSED(f, len, -ENOTSUP, "unknown region marked required");
#undef RESET
	free(save);
	free(f);
}
END_TEST

START_TEST(test_metadata)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(16 * MiB, MiB, 512, false, NULL, &len, &lay);
	uint8_t *m, *save = malloc(MiB);

	m = f + lay.meta_offset;
	memcpy(save, m, MiB);
#define RESET() memcpy(m, save, MiB)
	m[0] = 'x';
	EXPECT_REFUSED(f, len, -EINVAL, "no metadata table signature");
	RESET();
	m[10] = 0xff;
	m[11] = 0xff;
	EXPECT_REFUSED(f, len, -EINVAL, "65535 entries");
	RESET();
	/* File parameters missing: the entry becomes an unknown, optional item. */
	m[32] ^= 0xff;
	put32(m + 32 + 24, 0);
	EXPECT_REFUSED(f, len, -EINVAL, "no file parameters");
	put32(m + 32 + 24, VHDX_META_IS_REQUIRED);
	EXPECT_REFUSED(f, len, -ENOTSUP, "unknown item marked required");
	RESET();
	/* Block size 3 MiB, 512 KiB, 512 MiB. */
	put32(m + 0x10000, 3 * MiB);
	EXPECT_REFUSED(f, len, -EINVAL, "block size 3145728");
	put32(m + 0x10000, MiB / 2);
	EXPECT_REFUSED(f, len, -EINVAL, "not a power of two from 1 MiB to 256 MiB");
	put32(m + 0x10000, 512 * MiB);
	EXPECT_REFUSED(f, len, -EINVAL, "block size");
	RESET();
	put32(m + 0x10020, 1024);
	EXPECT_REFUSED(f, len, -EINVAL, "logical sector size 1024");
	RESET();
	put32(m + 0x10024, 0);
	EXPECT_REFUSED(f, len, -EINVAL, "physical sector size 0");
	RESET();
	put64(m + 0x10008, 0);
	EXPECT_REFUSED(f, len, -EINVAL, "virtual disk size 0");
	put64(m + 0x10008, 1000);
	EXPECT_REFUSED(f, len, -EINVAL, "virtual disk size 1000");
	put64(m + 0x10008, 1ull << 50);
	EXPECT_REFUSED(f, len, -EINVAL, "up to 64 TiB");
	RESET();
	/* An item outside the region, inside the table, overlapping another. */
	put32(m + 32 + 16, MiB - 4);
	EXPECT_REFUSED(f, len, -EINVAL, "lie outside the metadata region");
	put32(m + 32 + 16, 4096);
	EXPECT_REFUSED(f, len, -EINVAL, "lie outside the metadata region");
	put32(m + 32 + 16, 0x10004);
	EXPECT_REFUSED(f, len, -EINVAL, "overlap");
	RESET();
	/* Too short an item; one given twice. */
	put32(m + 64 + 20, 4);
	EXPECT_REFUSED(f, len, -EINVAL, "virtual disk size of 4 bytes");
	RESET();
	memcpy(m + 64, m + 32, 16);
	EXPECT_REFUSED(f, len, -EINVAL, "file parameters given twice");
	RESET();
	/* An empty entry with an offset. */
	put32(m + 64 + 20, 0);
	EXPECT_REFUSED(f, len, -EINVAL, "empty but at offset");
	RESET();
	/* Has a parent but no locator. */
	put32(m + 0x10004, VHDX_PARAMS_HAS_PARENT);
	EXPECT_REFUSED(f, len, -EINVAL, "without a parent locator");
#undef RESET
	free(save);
	free(f);
}
END_TEST

START_TEST(test_parent_locator)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(16 * MiB, MiB, 512, false, "base.vhdx", &len, &lay);
	uint8_t *l = f + lay.meta_offset + 0x11000;
	struct parsed p;

	ck_assert_int_eq(parse_all(f, len, &p), 0);
	ck_assert(p.m.has_parent);
	ck_assert_str_eq(p.m.relative_path, "base.vhdx");
	ck_assert_str_eq(p.m.parent_linkage, "{00000000-0000-0000-0000-000000000000}");
	ck_assert_uint_eq(p.g.bat_entries, 4097);	/* whole chunks with a parent */
	/* A value running past the item. */
	put32(l + 36, 0x1000);
	EXPECT_REFUSED(f, len, -EINVAL, "entry 1 lies outside the item");
	put32(l + 36, 44 + 28 + 76 + 26);
	/* An unpaired surrogate in a key. */
	l[44] = 0x00;
	l[45] = 0xd8;
	EXPECT_REFUSED(f, len, -EINVAL, "not UTF-16 text");
	l[44] = 'p';
	l[45] = 0;
	/* The same key twice. */
	memcpy(l + 32, l + 20, 12);
	EXPECT_REFUSED(f, len, -EINVAL, "parent_linkage given twice");
	free(f);
	/* Another locator type. */
	f = tvx_build(16 * MiB, MiB, 512, false, "base.vhdx", &len, &lay);
	f[lay.meta_offset + 0x11000] ^= 1;
	EXPECT_REFUSED(f, len, -ENOTSUP, "not of the VHDX locator type");
	free(f);
}
END_TEST

START_TEST(test_bat)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(16 * MiB, MiB, 512, false, NULL, &len, &lay);
	uint8_t *bat = f + lay.bat_offset;
	uint8_t *grown;
	struct parsed p;

	/* Every payload state without data is fine. */
	for (int i = 0; i < 4; i++)
		put64(bat + 8 * i, (uint64_t)i);
	ck_assert_int_eq(parse_all(f, len, &p), 0);
	put64(bat, 4);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entry 0: payload block state 4");
	put64(bat, lay.data_offset | VHDX_PAYLOAD_PARTIALLY_PRESENT);
	EXPECT_REFUSED(f, len, -EINVAL, "payload block state 7");
	/* A block past the end of the file, then in a file grown to hold it. */
	put64(bat, lay.data_offset | VHDX_PAYLOAD_FULLY_PRESENT);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entry 0: a block at");
	ck_assert_ptr_nonnull(strstr(err, "past the end of the file"));
	grown = realloc(f, len + 2 * MiB);
	ck_assert_ptr_nonnull(grown);
	f = grown;
	bat = f + lay.bat_offset;
	memset(f + len, 0, 2 * MiB);
	len += 2 * MiB;
	ck_assert_int_eq(parse_all(f, len, &p), 0);
	/* Two blocks at one place; a block over the metadata, the log, the headers. */
	put64(bat + 8, lay.data_offset | VHDX_PAYLOAD_FULLY_PRESENT);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entries 0 and 1 overlap");
	put64(bat + 8, lay.meta_offset | VHDX_PAYLOAD_FULLY_PRESENT);
	EXPECT_REFUSED(f, len, -EINVAL, "overlaps the log, BAT or metadata");
	put64(bat + 8, TVX_LOG_OFFSET | VHDX_PAYLOAD_FULLY_PRESENT);
	EXPECT_REFUSED(f, len, -EINVAL, "overlaps the log, BAT or metadata");
	put64(bat + 8, VHDX_PAYLOAD_FULLY_PRESENT);
	EXPECT_REFUSED(f, len, -EINVAL, "inside the headers");
	put64(bat + 8, (lay.data_offset + MiB) | VHDX_PAYLOAD_FULLY_PRESENT);
	ck_assert_int_eq(parse_all(f, len, &p), 0);
	free(f);
}
END_TEST

START_TEST(test_bat_bitmap_entries)
{
	struct tvx_layout lay;
	size_t len;
	/* 4097 blocks of 1 MiB: entry 4096 is the first chunk's sector bitmap. */
	uint8_t *f = tvx_build(4097ull * MiB, MiB, 512, false, NULL, &len, &lay);
	uint8_t *bat = f + lay.bat_offset;
	struct parsed p;

	ck_assert_int_eq(parse_all(f, len, &p), 0);
	ck_assert_uint_eq(p.g.bat_entries, 4098);
	ck_assert_uint_eq(vhdx_bat_payload_index(&p.g, 4096), 4097);
	ck_assert_uint_eq(vhdx_bat_bitmap_index(&p.g, 0), 4096);
	put64(bat + 4096 * 8, 2);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entry 4096: sector bitmap state 2");
	put64(bat + 4096 * 8, VHDX_SB_PRESENT | ((uint64_t)len << 0));
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entry 4096");
	free(f);
}
END_TEST

/* ---- the log ---------------------------------------------------------------------- */

struct replayed {
	uint64_t off[16], len[16];
	uint8_t first[16];
	bool zero[16];
	unsigned n;
};

static int record(void *opaque, uint64_t off, const void *data, uint64_t len)
{
	struct replayed *r = opaque;

	if (r->n == 16)
		return -E2BIG;
	r->off[r->n] = off;
	r->len[r->n] = len;
	r->zero[r->n] = !data;
	r->first[r->n] = data ? *(const uint8_t *)data : 0;
	r->n++;
	return 0;
}

static const uint8_t guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* Entry seq at log offset at, writing one sector filled with fill at target. */
static size_t put_entry(uint8_t *log, size_t at, uint64_t seq, uint32_t tail, uint64_t target, uint8_t fill)
{
	uint8_t sector[4096];
	const void *s = sector;

	memset(sector, fill, sizeof(sector));
	sector[0] = fill;
	sector[4095] = (uint8_t)(fill + 1);
	return vhdx_log_build_entry(log + at, guid, seq, tail, 8 * MiB, 8 * MiB, &target, &s, 1);
}

START_TEST(test_log_empty)
{
	uint8_t *log = calloc(1, MiB);
	static const uint8_t zero[16];
	struct vhdx_log_seq s;

	ck_assert_int_eq(vhdx_log_find(log, MiB, zero, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_int_eq(vhdx_log_find(log, 1000, guid, &s, err, sizeof(err)), -EINVAL);
	free(log);
}
END_TEST

START_TEST(test_log_replay)
{
	uint8_t *log = calloc(1, MiB);
	struct vhdx_log_seq s;
	struct replayed r = { 0 };
	size_t at = 0, n;
	uint64_t zoff = 5 * MiB;

	n = put_entry(log, at, 10, 0, 3 * MiB, 0xaa);
	ck_assert_uint_eq(n, 8192);
	at += n;
	at += put_entry(log, at, 11, 0, 3 * MiB + 4096, 0xbb);
	/* An entry of an older run further on does not count. */
	put_entry(log, 64 * 4096, 3, 64 * 4096, 2 * MiB, 0xcc);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_uint_eq(s.first_seq, 10);
	ck_assert_uint_eq(s.last_seq, 11);
	ck_assert_uint_eq(s.head, 8192);
	ck_assert_int_eq(vhdx_log_replay(log, MiB, &s, 8 * MiB, record, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.off[0], 3 * MiB);
	ck_assert_uint_eq(r.first[0], 0xaa);
	ck_assert_uint_eq(r.len[0], 4096);
	ck_assert_uint_eq(r.off[1], 3 * MiB + 4096);
	ck_assert_uint_eq(r.first[1], 0xbb);
	/* The file lost its end: refused. */
	ck_assert_int_eq(vhdx_log_replay(log, MiB, &s, 4 * MiB, record, &r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "shorter than the log says"));
	/* A zero descriptor. */
	memset(log, 0, MiB);
	{
		uint8_t *e = log;

		put32(e, VHDX_LOG_SIGNATURE);
		put32(e + 8, 4096);
		put64(e + 16, 5);
		put32(e + 24, 1);
		memcpy(e + 32, guid, 16);
		put32(e + 64, VHDX_ZERO_SIGNATURE);
		put64(e + 72, 3 * 4096);
		put64(e + 80, zoff);
		put64(e + 88, 5);
		tvx_fix_crc(e, 4096);
	}
	r.n = 0;
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_int_eq(vhdx_log_replay(log, MiB, &s, 8 * MiB, record, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(r.zero[0]);
	ck_assert_uint_eq(r.off[0], zoff);
	ck_assert_uint_eq(r.len[0], 3 * 4096);
	free(log);
}
END_TEST

START_TEST(test_log_wraps)
{
	/* An entry that starts in the log's last sector and goes on at its start. */
	const size_t L = 64 * 4096;
	uint8_t *log = calloc(1, L), *tmp = calloc(1, 8192);
	struct vhdx_log_seq s;
	struct replayed r = { 0 };

	put_entry(tmp, 0, 7, L - 4096, 3 * MiB, 0x5a);
	memcpy(log + L - 4096, tmp, 4096);
	memcpy(log, tmp + 4096, 4096);
	ck_assert_int_eq(vhdx_log_find(log, L, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(s.tail, L - 4096);
	ck_assert_int_eq(vhdx_log_replay(log, L, &s, 8 * MiB, record, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.first[0], 0x5a);
	free(tmp);
	free(log);
}
END_TEST

START_TEST(test_log_damaged)
{
	uint8_t *log = calloc(1, MiB);
	struct vhdx_log_seq s;
	struct replayed r = { 0 };
	size_t n;

	/* A bad checksum: the entry is not valid, so there is nothing to replay. */
	n = put_entry(log, 0, 10, 0, 3 * MiB, 0xaa);
	log[100] ^= 1;
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 0);
	/* A data sector of another sequence number. */
	put_entry(log, 0, 10, 0, 3 * MiB, 0xaa);
	log[4096 + 4] ^= 1;
	tvx_fix_crc(log, n);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 0);
	/* The head's tail names an entry that is not there. */
	memset(log, 0, MiB);
	n = put_entry(log, 0, 10, 0, 3 * MiB, 0xaa);
	put_entry(log, n, 11, 4096 * 100, 3 * MiB, 0xbb);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is not valid"));
	/* Sequence numbers that jump. */
	memset(log, 0, MiB);
	n = put_entry(log, 0, 10, 0, 3 * MiB, 0xaa);
	put_entry(log, n, 12, 0, 3 * MiB, 0xbb);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "jump from 10 to 12"));
	/* A write into the headers. */
	memset(log, 0, MiB);
	put_entry(log, 0, 10, 0, 64 * 1024, 0xaa);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_int_eq(vhdx_log_replay(log, MiB, &s, 8 * MiB, record, &r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "writes into the file's headers"));
	/* An entry longer than the log; a descriptor count past the entry. */
	memset(log, 0, MiB);
	n = put_entry(log, 0, 10, 0, 3 * MiB, 0xaa);
	put32(log + 8, 2 * MiB);
	tvx_fix_crc(log, n);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 0);
	put32(log + 8, (uint32_t)n);
	put32(log + 24, 1000);
	tvx_fix_crc(log, n);
	ck_assert_int_eq(vhdx_log_find(log, MiB, guid, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 0);
	free(log);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhdx");
	TCase *t = tcase_create("structures");
	TCase *l = tcase_create("log");

	tcase_add_test(t, test_crc32c);
	tcase_add_test(t, test_good_dynamic);
	tcase_add_test(t, test_geometry);
	tcase_add_test(t, test_fixed_and_4k);
	tcase_add_test(t, test_headers);
	tcase_add_test(t, test_header_roundtrip);
	tcase_add_test(t, test_region_table);
	tcase_add_test(t, test_metadata);
	tcase_add_test(t, test_parent_locator);
	tcase_add_test(t, test_bat);
	tcase_add_test(t, test_bat_bitmap_entries);
	suite_add_tcase(s, t);
	tcase_add_test(l, test_log_empty);
	tcase_add_test(l, test_log_replay);
	tcase_add_test(l, test_log_wraps);
	tcase_add_test(l, test_log_damaged);
	suite_add_tcase(s, l);
	return test_main(s);
}
