/* SPDX-License-Identifier: MIT */
/*
 * The VHDX parsers (src/backends/vhdx.c) on hostile structures: a file's headers,
 * region table, metadata, parent locator, BAT and log. Whatever they are given, they
 * answer 0 or an error with a message, and what they accept keeps the rules the back
 * end relies on: regions inside the file and apart, items inside the metadata region,
 * blocks inside the file and apart, replayed writes past the headers.
 */
#include "crc32c.h"
#include "fuzz.h"
#include "vhdx.h"

#include <endian.h>
#include <errno.h>

static char err[512];

static void fix_crc(uint8_t *p, size_t len)
{
	uint32_t c;

	memset(p + 4, 0, 4);
	c = htole32(crc32c(p, len));
	memcpy(p + 4, &c, 4);
}

static void check_err(int r)
{
	FZ_CHECK(r <= 0, "returned %d", r);
	if (r < 0)
		FZ_CHECK(err[0], "an error (%d) without a message", r);
}

static void fuzz_header(struct fz *in, bool fix)
{
	uint64_t file_size = fz_u64(in);
	uint8_t *h = calloc(1, 2 * VHDX_HEADER_SIZE);
	struct vhdx_hdr a, b;
	int which = -1, r;

	fz_bytes(in, h, VHDX_HEADER_SIZE);
	if (fix)
		fix_crc(h, VHDX_HEADER_SIZE);
	err[0] = 0;
	r = vhdx_parse_header(h, &a, err, sizeof(err));
	check_err(r);
	if (r == 0) {
		FZ_CHECK(a.log_length && a.log_length % VHDX_MiB == 0, "log length %u", a.log_length);
		FZ_CHECK(a.log_offset >= VHDX_MiB && a.log_offset % VHDX_MiB == 0, "log offset");
		/* What is accepted builds back to a header that parses the same. */
		vhdx_build_header(&a, h + VHDX_HEADER_SIZE);
		FZ_CHECK(vhdx_parse_header(h + VHDX_HEADER_SIZE, &b, err, sizeof(err)) == 0, "rebuilt: %s", err);
		FZ_CHECK(a.sequence_number == b.sequence_number && a.log_length == b.log_length &&
				 a.log_offset == b.log_offset && !memcmp(a.log_guid, b.log_guid, 16) &&
				 !memcmp(a.file_write_guid, b.file_write_guid, 16) &&
				 !memcmp(a.data_write_guid, b.data_write_guid, 16), "rebuilt header differs");
	}
	err[0] = 0;
	r = vhdx_pick_header(h, h + VHDX_HEADER_SIZE, file_size, &b, &which, err, sizeof(err));
	check_err(r);
	if (r == 0)
		FZ_CHECK(b.log_offset + b.log_length <= file_size, "the log past the file");
	free(h);
}

static void fuzz_region(struct fz *in, bool fix)
{
	struct vhdx_hdr h = { 0 };
	struct vhdx_regions reg;
	uint64_t file_size = fz_u64(in);
	uint8_t *t = calloc(1, VHDX_REGION_TABLE_SIZE);
	int r;

	h.log_offset = fz_u32(in);
	h.log_length = fz_u32(in);
	fz_bytes(in, t, VHDX_REGION_TABLE_SIZE);
	if (fix)
		fix_crc(t, VHDX_REGION_TABLE_SIZE);
	err[0] = 0;
	r = vhdx_parse_region_table(t, file_size, &h, &reg, err, sizeof(err));
	check_err(r);
	if (r == 0) {
		FZ_CHECK(reg.bat_offset + reg.bat_length <= file_size && reg.meta_offset + reg.meta_length <= file_size,
			 "a region past the file");
		FZ_CHECK(reg.bat_offset + reg.bat_length <= reg.meta_offset ||
				 reg.meta_offset + reg.meta_length <= reg.bat_offset, "regions overlap");
		FZ_CHECK(reg.bat_offset >= VHDX_MiB && reg.meta_offset >= VHDX_MiB && reg.bat_length && reg.meta_length,
			 "a region in the headers or empty");
	}
	free(t);
}

static void fuzz_metadata(struct fz *in)
{
	size_t len = VHDX_METADATA_TABLE_SIZE + fz_u32(in) % VHDX_MiB;
	size_t tl = fz_u16(in);
	uint8_t *m = calloc(1, len);
	struct vhdx_meta meta;
	int r;

	fz_bytes(in, m, tl < VHDX_METADATA_TABLE_SIZE ? tl : VHDX_METADATA_TABLE_SIZE);
	fz_bytes(in, m + VHDX_METADATA_TABLE_SIZE, len - VHDX_METADATA_TABLE_SIZE);
	err[0] = 0;
	r = vhdx_parse_metadata(m, len, &meta, err, sizeof(err));
	check_err(r);
	if (r == 0) {
		FZ_CHECK(meta.block_size >= VHDX_MIN_BLOCK_SIZE && meta.block_size <= VHDX_MAX_BLOCK_SIZE &&
				 !(meta.block_size & (meta.block_size - 1)), "block size %u", meta.block_size);
		FZ_CHECK(meta.logical_sector == 512 || meta.logical_sector == 4096, "logical sector");
		FZ_CHECK(meta.virtual_size && meta.virtual_size % meta.logical_sector == 0 &&
				 meta.virtual_size <= VHDX_MAX_DISK_SIZE, "virtual size");
		FZ_CHECK(!meta.has_parent || meta.parent_linkage[0], "a parent without its linkage");
	}
	free(m);
}

static void fuzz_locator(struct fz *in)
{
	size_t len = in->n;
	uint8_t *l = malloc(len ? len : 1);
	struct vhdx_meta meta = { 0 };
	int r;

	fz_bytes(in, l, len);
	err[0] = 0;
	r = vhdx_parse_parent_locator(l, len, &meta, err, sizeof(err));
	check_err(r);
	if (r == 0)
		FZ_CHECK(strlen(meta.relative_path) < sizeof(meta.relative_path), "unterminated");
	free(l);
}

static void fuzz_bat(struct fz *in)
{
	struct vhdx_meta m = { 0 };
	struct vhdx_regions reg = { .bat_offset = 2 * VHDX_MiB, .meta_offset = VHDX_MiB, .meta_length = VHDX_MiB };
	struct vhdx_hdr h = { .log_offset = 0x7fffffff00000ull, .log_length = VHDX_MiB };
	struct vhdx_geom g;
	uint8_t flags;
	uint64_t file_size, *bat;
	int r;

	m.block_size = 1u << (fz_u8(in) % 9 + 20);
	flags = fz_u8(in);
	m.logical_sector = flags & 1 ? 4096 : 512;
	m.has_parent = flags & 2;
	m.virtual_size = (uint64_t)(fz_u32(in) % FZ_VX_MAX_SECTORS + 1) * m.logical_sector;
	file_size = fz_u64(in);
	reg.bat_length = VHDX_MiB * 64;
	err[0] = 0;
	r = vhdx_geometry(&m, &reg, &g, err, sizeof(err));
	check_err(r);
	if (r < 0)
		return;
	reg.bat_length = (g.bat_entries * 8 + VHDX_MiB - 1) / VHDX_MiB * VHDX_MiB;
	bat = calloc(g.bat_entries, 8);
	fz_bytes(in, bat, g.bat_entries * 8);
	err[0] = 0;
	r = vhdx_check_bat(bat, &g, &m, &reg, &h, file_size, err, sizeof(err));
	check_err(r);
	if (r == 0)
		for (uint64_t i = 0; i < g.data_blocks; i++) {
			uint64_t e = le64toh(bat[vhdx_bat_payload_index(&g, i)]);

			if (vhdx_bat_state(e) == VHDX_PAYLOAD_FULLY_PRESENT)
				FZ_CHECK(vhdx_bat_offset(e) >= VHDX_MiB && vhdx_bat_offset(e) + m.block_size <= file_size,
					 "block %llu outside the file", (unsigned long long)i);
		}
	free(bat);
}

static int apply(void *opaque, uint64_t off, const void *data, uint64_t len)
{
	(void)opaque;
	FZ_CHECK(off >= VHDX_REGION1_OFFSET, "a replayed write into the headers");
	FZ_CHECK(off % VHDX_LOG_SECTOR == 0 && len && len % VHDX_LOG_SECTOR == 0, "a replayed write of %llu at %llu",
		 (unsigned long long)len, (unsigned long long)off);
	FZ_CHECK(!data || len == VHDX_LOG_SECTOR, "a data sector of %llu bytes", (unsigned long long)len);
	if (data)
		(void)((volatile const uint8_t *)data)[len - 1];
	return 0;
}

static void fuzz_log(struct fz *in, bool fix)
{
	size_t len = (size_t)(fz_u8(in) % 64 + 1) * VHDX_LOG_SECTOR;
	uint8_t guid[16], *log = calloc(1, len);
	struct vhdx_log_seq seq;
	int r;

	fz_bytes(in, guid, 16);
	fz_bytes(in, log, len);
	/* Put right the checksum of every entry whose length fits. */
	for (size_t off = 0; fix && off < len; off += VHDX_LOG_SECTOR) {
		uint32_t sig, el;

		memcpy(&sig, log + off, 4);
		memcpy(&el, log + off + 8, 4);
		sig = le32toh(sig);
		el = le32toh(el);
		if (sig == VHDX_LOG_SIGNATURE && el && el % VHDX_LOG_SECTOR == 0 && el <= len - off)
			fix_crc(log + off, el);
	}
	err[0] = 0;
	r = vhdx_log_find(log, len, guid, &seq, err, sizeof(err));
	check_err(r);
	if (r == 0 && seq.count) {
		FZ_CHECK(seq.tail < len && seq.head < len && seq.last_seq - seq.first_seq + 1 == seq.count,
			 "a sequence of %u from %llu to %llu", seq.count, (unsigned long long)seq.first_seq,
			 (unsigned long long)seq.last_seq);
		err[0] = 0;
		check_err(vhdx_log_replay(log, len, &seq, UINT64_MAX, apply, NULL, err, sizeof(err)));
	}
	free(log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	uint8_t kind = fz_u8(&in) % FZ_VX_KINDS;
	bool fix = fz_u8(&in) & 1;

	switch (kind) {
	case FZ_VX_HEADER: fuzz_header(&in, fix); break;
	case FZ_VX_REGION: fuzz_region(&in, fix); break;
	case FZ_VX_METADATA: fuzz_metadata(&in); break;
	case FZ_VX_LOCATOR: fuzz_locator(&in); break;
	case FZ_VX_BAT: fuzz_bat(&in); break;
	default: fuzz_log(&in, fix); break;
	}
	return 0;
}
