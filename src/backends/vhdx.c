/* SPDX-License-Identifier: MIT */
#include "vhdx.h"
#include "byteorder.h"
#include "crc32c.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GUIDs as they lie in the file: the first three fields little-endian. */
const uint8_t vhdx_guid_bat[16] = { 0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
				    0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
const uint8_t vhdx_guid_metadata[16] = { 0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
					 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e };
const uint8_t vhdx_guid_file_parameters[16] = { 0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d,
						0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b };
const uint8_t vhdx_guid_virtual_disk_size[16] = { 0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
						  0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8 };
const uint8_t vhdx_guid_virtual_disk_id[16] = { 0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,
						0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46 };
const uint8_t vhdx_guid_logical_sector_size[16] = { 0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47,
						    0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f };
const uint8_t vhdx_guid_physical_sector_size[16] = { 0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44, 0x71, 0x44,
						     0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56 };
const uint8_t vhdx_guid_parent_locator[16] = { 0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45,
					       0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c };
const uint8_t vhdx_guid_locator_type_vhdx[16] = { 0xb7, 0xef, 0x4a, 0xb0, 0x9e, 0xd1, 0x81, 0x4a,
						  0xb7, 0x89, 0x25, 0xb8, 0xe9, 0x44, 0x59, 0x13 };

static const uint8_t zero_guid[16];

/* CRC-32C of len bytes with the 4-byte checksum field at csum_at taken as 0. */
static uint32_t crc_without(const uint8_t *buf, size_t len, size_t csum_at)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c_update(0, buf, csum_at);

	c = crc32c_update(c, zero, 4);
	return crc32c_update(c, buf + csum_at + 4, len - csum_at - 4);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* [off, off + len) reaches past size; off and len come from the file, so the sum may
 * not fit. */
static bool beyond(uint64_t off, uint64_t len, uint64_t size)
{
	return off > size || len > size - off;
}

bool vhdx_is_file_id(const void *buf, size_t len)
{
	return len >= 8 && !memcmp(buf, VHDX_FILE_SIGNATURE, 8);
}

/* ---- headers ---------------------------------------------------------------------- */

int vhdx_parse_header(const void *buf, struct vhdx_hdr *out, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	uint16_t log_version, version;

	if (get_le32(p + offsetof(struct vhdx_header, signature)) != VHDX_HEADER_SIGNATURE)
		return util_fail(err, errlen, -EINVAL, "no header signature");
	if (get_le32(p + offsetof(struct vhdx_header, checksum)) !=
	    crc_without(p, VHDX_HEADER_SIZE, offsetof(struct vhdx_header, checksum)))
		return util_fail(err, errlen, -EINVAL, "bad checksum");
	log_version = get_le16(p + offsetof(struct vhdx_header, log_version));
	version = get_le16(p + offsetof(struct vhdx_header, version));
	if (version != VHDX_VERSION)
		return util_fail(err, errlen, -ENOTSUP, "version %u (only %u is known)", version, VHDX_VERSION);
	if (log_version != VHDX_LOG_VERSION)
		return util_fail(err, errlen, -ENOTSUP, "log version %u (only %u is known)", log_version,
				 VHDX_LOG_VERSION);
	out->sequence_number = get_le64(p + offsetof(struct vhdx_header, sequence_number));
	memcpy(out->file_write_guid, p + offsetof(struct vhdx_header, file_write_guid), 16);
	memcpy(out->data_write_guid, p + offsetof(struct vhdx_header, data_write_guid), 16);
	memcpy(out->log_guid, p + offsetof(struct vhdx_header, log_guid), 16);
	out->log_length = get_le32(p + offsetof(struct vhdx_header, log_length));
	out->log_offset = get_le64(p + offsetof(struct vhdx_header, log_offset));
	if (out->log_length == 0 || out->log_length % VHDX_MiB)
		return util_fail(err, errlen, -EINVAL, "log length %u is not a positive multiple of 1 MiB",
				 out->log_length);
	if (out->log_offset < VHDX_HEADER_AREA || out->log_offset % VHDX_MiB)
		return util_fail(err, errlen, -EINVAL, "log offset %llu is not a multiple of 1 MiB past the headers",
				 (unsigned long long)out->log_offset);
	return 0;
}

int vhdx_pick_header(const void *h1, const void *h2, uint64_t file_size, struct vhdx_hdr *out, int *which,
		     char *err, size_t errlen)
{
	struct vhdx_hdr a, b;
	char e1[128], e2[128];
	int r1 = vhdx_parse_header(h1, &a, e1, sizeof(e1));
	int r2 = vhdx_parse_header(h2, &b, e2, sizeof(e2));

	if (r1 == 0 && beyond(a.log_offset, a.log_length, file_size)) {
		snprintf(e1, sizeof(e1), "the log (%u bytes at %llu) ends past the end of the file", a.log_length,
			 (unsigned long long)a.log_offset);
		r1 = -EINVAL;
	}
	if (r2 == 0 && beyond(b.log_offset, b.log_length, file_size)) {
		snprintf(e2, sizeof(e2), "the log (%u bytes at %llu) ends past the end of the file", b.log_length,
			 (unsigned long long)b.log_offset);
		r2 = -EINVAL;
	}
	if (r1 < 0 && r2 < 0)
		return util_fail(err, errlen, r1 == -ENOTSUP ? r1 : r2, "no valid header: header 1: %s; header 2: %s",
				 e1, e2);
	if (r1 == 0 && (r2 < 0 || a.sequence_number > b.sequence_number)) {
		*out = a;
		*which = 0;
	} else {
		*out = b;
		*which = 1;
	}
	return 0;
}

void vhdx_build_header(const struct vhdx_hdr *h, void *buf)
{
	uint8_t *p = buf;

	memset(p, 0, VHDX_HEADER_SIZE);
	put_le32(p + offsetof(struct vhdx_header, signature), VHDX_HEADER_SIGNATURE);
	put_le64(p + offsetof(struct vhdx_header, sequence_number), h->sequence_number);
	memcpy(p + offsetof(struct vhdx_header, file_write_guid), h->file_write_guid, 16);
	memcpy(p + offsetof(struct vhdx_header, data_write_guid), h->data_write_guid, 16);
	memcpy(p + offsetof(struct vhdx_header, log_guid), h->log_guid, 16);
	p[offsetof(struct vhdx_header, log_version)] = VHDX_LOG_VERSION;
	p[offsetof(struct vhdx_header, version)] = VHDX_VERSION;
	put_le32(p + offsetof(struct vhdx_header, log_length), h->log_length);
	put_le64(p + offsetof(struct vhdx_header, log_offset), h->log_offset);
	put_le32(p + offsetof(struct vhdx_header, checksum),
	      crc_without(p, VHDX_HEADER_SIZE, offsetof(struct vhdx_header, checksum)));
}

/* ---- the region table ------------------------------------------------------------- */

int vhdx_parse_region_table(const void *buf, uint64_t file_size, const struct vhdx_hdr *h,
			    struct vhdx_regions *out, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	uint32_t n;
	bool have_bat = false, have_meta = false;

	if (get_le32(p) != VHDX_REGION_SIGNATURE)
		return util_fail(err, errlen, -EINVAL, "no region table signature");
	if (get_le32(p + 4) != crc_without(p, VHDX_REGION_TABLE_SIZE, 4))
		return util_fail(err, errlen, -EINVAL, "bad checksum");
	n = get_le32(p + 8);
	if (n > VHDX_REGION_MAX_ENTRIES)
		return util_fail(err, errlen, -EINVAL, "%u entries (at most %u)", n, VHDX_REGION_MAX_ENTRIES);
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = p + sizeof(struct vhdx_region_table_header) + i * sizeof(struct vhdx_region_entry);
		uint64_t off = get_le64(e + 16), len = get_le32(e + 24);
		bool required = get_le32(e + 28) & 1;
		bool is_bat = !memcmp(e, vhdx_guid_bat, 16), is_meta = !memcmp(e, vhdx_guid_metadata, 16);

		if (!is_bat && !is_meta) {
			if (required)
				return util_fail(err, errlen, -ENOTSUP, "entry %u: an unknown region marked required", i);
			continue;
		}
		if ((is_bat && have_bat) || (is_meta && have_meta))
			return util_fail(err, errlen, -EINVAL, "entry %u: a second %s region", i,
					 is_bat ? "BAT" : "metadata");
		if (off < VHDX_HEADER_AREA || off % VHDX_MiB || len == 0 || len % VHDX_MiB)
			return util_fail(err, errlen, -EINVAL,
					 "entry %u: the %s region (%llu bytes at %llu) is not in whole MiB past the headers",
					 i, is_bat ? "BAT" : "metadata", (unsigned long long)len,
					 (unsigned long long)off);
		if (beyond(off, len, file_size))
			return util_fail(err, errlen, -EINVAL, "entry %u: the %s region ends past the end of the file",
					 i, is_bat ? "BAT" : "metadata");
		if (overlaps(off, len, h->log_offset, h->log_length))
			return util_fail(err, errlen, -EINVAL, "entry %u: the %s region overlaps the log", i,
					 is_bat ? "BAT" : "metadata");
		if (is_bat) {
			out->bat_offset = off;
			out->bat_length = len;
			have_bat = true;
		} else {
			out->meta_offset = off;
			out->meta_length = len;
			have_meta = true;
		}
	}
	if (!have_bat || !have_meta)
		return util_fail(err, errlen, -EINVAL, "no %s region", have_bat ? "metadata" : "BAT");
	if (overlaps(out->bat_offset, out->bat_length, out->meta_offset, out->meta_length))
		return util_fail(err, errlen, -EINVAL, "the BAT and metadata regions overlap");
	return 0;
}

/* ---- metadata --------------------------------------------------------------------- */

/* UTF-16LE (len bytes) to UTF-8 with a NUL, in out (size bytes). */
static int utf16_to_utf8(const uint8_t *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	if (len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		uint32_t c = get_le16(in + i);
		char tmp[4];
		size_t k;

		if (c >= 0xd800 && c < 0xdc00) {
			uint32_t lo;

			if (i + 4 > len)
				return -EINVAL;
			lo = get_le16(in + i + 2);
			if (lo < 0xdc00 || lo >= 0xe000)
				return -EINVAL;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (c >= 0xdc00 && c < 0xe000) {
			return -EINVAL;
		}
		if (c == 0)
			return -EINVAL;
		if (c < 0x80) {
			tmp[0] = (char)c;
			k = 1;
		} else if (c < 0x800) {
			tmp[0] = (char)(0xc0 | c >> 6);
			tmp[1] = (char)(0x80 | (c & 0x3f));
			k = 2;
		} else if (c < 0x10000) {
			tmp[0] = (char)(0xe0 | c >> 12);
			tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			tmp[2] = (char)(0x80 | (c & 0x3f));
			k = 3;
		} else {
			tmp[0] = (char)(0xf0 | c >> 18);
			tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f));
			tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f));
			tmp[3] = (char)(0x80 | (c & 0x3f));
			k = 4;
		}
		if (o + k + 1 > size)
			return -ENAMETOOLONG;
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = 0;
	return 0;
}

int vhdx_parse_parent_locator(const void *buf, size_t len, struct vhdx_meta *out, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	unsigned n;
	const size_t hdr = sizeof(struct vhdx_parent_locator_header), ent = sizeof(struct vhdx_parent_locator_entry);

	if (len < hdr)
		return util_fail(err, errlen, -EINVAL, "parent locator: %zu bytes, shorter than its header", len);
	if (memcmp(p, vhdx_guid_locator_type_vhdx, 16))
		return util_fail(err, errlen, -ENOTSUP, "parent locator: not of the VHDX locator type");
	n = get_le16(p + 18);
	if (n == 0 || hdr + (size_t)n * ent > len)
		return util_fail(err, errlen, -EINVAL, "parent locator: %u entries do not fit its %zu bytes", n, len);
	out->parent_linkage[0] = out->parent_linkage2[0] = out->relative_path[0] = out->volume_path[0] =
		out->absolute_win32_path[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = p + hdr + i * ent;
		uint32_t ko = get_le32(e), vo = get_le32(e + 4);
		uint16_t kl = get_le16(e + 8), vl = get_le16(e + 10);
		char key[256], value[VHDX_LOCATOR_VALUE_MAX];
		char *dst = NULL;
		size_t dlen = 0;

		if (kl == 0 || vl == 0 || (uint64_t)ko + kl > len || (uint64_t)vo + vl > len || ko < hdr + n * ent ||
		    vo < hdr + n * ent)
			return util_fail(err, errlen, -EINVAL, "parent locator: entry %u lies outside the item", i);
		if (overlaps(ko, kl, vo, vl))
			return util_fail(err, errlen, -EINVAL, "parent locator: entry %u's key and value overlap", i);
		if (utf16_to_utf8(p + ko, kl, key, sizeof(key)) < 0)
			return util_fail(err, errlen, -EINVAL,
					 "parent locator: entry %u: a key that is not UTF-16 text of at most 255 bytes", i);
		if (utf16_to_utf8(p + vo, vl, value, sizeof(value)) < 0)
			return util_fail(err, errlen, -EINVAL, "parent locator: %s: a value that is not UTF-16 text of at most %d bytes",
					 key, VHDX_LOCATOR_VALUE_MAX - 1);
		if (!strcmp(key, "parent_linkage"))
			dst = out->parent_linkage, dlen = sizeof(out->parent_linkage);
		else if (!strcmp(key, "parent_linkage2"))
			dst = out->parent_linkage2, dlen = sizeof(out->parent_linkage2);
		else if (!strcmp(key, "relative_path"))
			dst = out->relative_path, dlen = sizeof(out->relative_path);
		else if (!strcmp(key, "volume_path"))
			dst = out->volume_path, dlen = sizeof(out->volume_path);
		else if (!strcmp(key, "absolute_win32_path"))
			dst = out->absolute_win32_path, dlen = sizeof(out->absolute_win32_path);
		if (!dst)
			continue;	/* keys hvkvm does not use */
		if (dst[0])
			return util_fail(err, errlen, -EINVAL, "parent locator: %s given twice", key);
		if (strlen(value) >= dlen)
			return util_fail(err, errlen, -EINVAL, "parent locator: %s is too long", key);
		strcpy(dst, value);
	}
	if (!out->parent_linkage[0])
		return util_fail(err, errlen, -EINVAL, "parent locator: no parent_linkage");
	if (!out->relative_path[0] && !out->volume_path[0] && !out->absolute_win32_path[0])
		return util_fail(err, errlen, -EINVAL, "parent locator: no path to the parent");
	return 0;
}

struct meta_item {
	uint32_t offset, length;
};

static int cmp_item(const void *a, const void *b)
{
	const struct meta_item *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int vhdx_parse_metadata(const void *buf, size_t len, struct vhdx_meta *out, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	const uint8_t *found[6] = { 0 };	/* parameters, size, id, logical, physical, locator */
	uint32_t flen[6] = { 0 };
	static const uint8_t *const ids[6] = { vhdx_guid_file_parameters, vhdx_guid_virtual_disk_size,
					       vhdx_guid_virtual_disk_id, vhdx_guid_logical_sector_size,
					       vhdx_guid_physical_sector_size, vhdx_guid_parent_locator };
	static const char *const names[6] = { "file parameters", "virtual disk size", "virtual disk id",
					      "logical sector size", "physical sector size", "parent locator" };
	static const uint32_t min_len[6] = { 8, 8, 16, 4, 4, 20 };
	struct meta_item items[VHDX_METADATA_MAX_ENTRIES];
	unsigned n, nitems = 0;

	if (len < VHDX_METADATA_TABLE_SIZE)
		return util_fail(err, errlen, -EINVAL, "metadata region of %zu bytes, smaller than its table", len);
	if (get_le64(p) != VHDX_METADATA_SIGNATURE)
		return util_fail(err, errlen, -EINVAL, "no metadata table signature");
	n = get_le16(p + 10);
	if (n > VHDX_METADATA_MAX_ENTRIES)
		return util_fail(err, errlen, -EINVAL, "metadata table: %u entries (at most %u)", n,
				 VHDX_METADATA_MAX_ENTRIES);
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = p + 32 + i * 32;
		uint32_t off = get_le32(e + 16), l = get_le32(e + 20), flags = get_le32(e + 24);
		int k = -1;

		for (int j = 0; j < 6; j++)
			if (!memcmp(e, ids[j], 16))
				k = j;
		if (l == 0) {
			if (off != 0)
				return util_fail(err, errlen, -EINVAL, "metadata entry %u: empty but at offset %u", i, off);
		} else {
			if (off < VHDX_METADATA_TABLE_SIZE || (uint64_t)off + l > len)
				return util_fail(err, errlen, -EINVAL,
						 "metadata entry %u: %u bytes at %u lie outside the metadata region", i, l, off);
			items[nitems].offset = off;
			items[nitems++].length = l;
		}
		if (k < 0) {
			if (flags & VHDX_META_IS_REQUIRED)
				return util_fail(err, errlen, -ENOTSUP, "metadata entry %u: an unknown item marked required", i);
			continue;
		}
		if (found[k])
			return util_fail(err, errlen, -EINVAL, "metadata: %s given twice", names[k]);
		if (l < min_len[k])
			return util_fail(err, errlen, -EINVAL, "metadata: %s of %u bytes (needs %u)", names[k], l, min_len[k]);
		found[k] = p + off;
		flen[k] = l;
	}
	qsort(items, nitems, sizeof(items[0]), cmp_item);
	for (unsigned i = 1; i < nitems; i++)
		if ((uint64_t)items[i - 1].offset + items[i - 1].length > items[i].offset)
			return util_fail(err, errlen, -EINVAL, "metadata: items at %u and %u overlap", items[i - 1].offset,
					 items[i].offset);
	for (int j = 0; j < 5; j++)
		if (!found[j])
			return util_fail(err, errlen, -EINVAL, "metadata: no %s", names[j]);
	out->block_size = get_le32(found[0]);
	out->leave_blocks_allocated = get_le32(found[0] + 4) & VHDX_PARAMS_LEAVE_BLOCKS_ALLOCATED;
	out->has_parent = get_le32(found[0] + 4) & VHDX_PARAMS_HAS_PARENT;
	out->virtual_size = get_le64(found[1]);
	memcpy(out->disk_id, found[2], 16);
	out->logical_sector = get_le32(found[3]);
	out->physical_sector = get_le32(found[4]);
	if (out->block_size < VHDX_MIN_BLOCK_SIZE || out->block_size > VHDX_MAX_BLOCK_SIZE ||
	    (out->block_size & (out->block_size - 1)))
		return util_fail(err, errlen, -EINVAL, "metadata: block size %u is not a power of two from 1 MiB to 256 MiB",
				 out->block_size);
	if (out->logical_sector != 512 && out->logical_sector != 4096)
		return util_fail(err, errlen, -EINVAL, "metadata: logical sector size %u (512 or 4096)",
				 out->logical_sector);
	if (out->physical_sector != 512 && out->physical_sector != 4096)
		return util_fail(err, errlen, -EINVAL, "metadata: physical sector size %u (512 or 4096)",
				 out->physical_sector);
	if (out->virtual_size == 0 || out->virtual_size > VHDX_MAX_DISK_SIZE ||
	    out->virtual_size % out->logical_sector)
		return util_fail(err, errlen, -EINVAL,
				 "metadata: virtual disk size %llu is not a whole number of sectors up to 64 TiB",
				 (unsigned long long)out->virtual_size);
	if (out->has_parent) {
		if (!found[5])
			return util_fail(err, errlen, -EINVAL, "metadata: a differencing image without a parent locator");
		return vhdx_parse_parent_locator(found[5], flen[5], out, err, errlen);
	}
	return 0;
}

int vhdx_geometry(const struct vhdx_meta *m, const struct vhdx_regions *r, struct vhdx_geom *out,
		  char *err, size_t errlen)
{
	out->chunk_ratio = VHDX_CHUNK_SECTORS * m->logical_sector / m->block_size;
	out->data_blocks = (m->virtual_size + m->block_size - 1) / m->block_size;
	out->bitmap_blocks = (out->data_blocks + out->chunk_ratio - 1) / out->chunk_ratio;
	out->bat_entries = m->has_parent ? out->bitmap_blocks * (out->chunk_ratio + 1) :
					   out->data_blocks + (out->data_blocks - 1) / out->chunk_ratio;
	if (out->bat_entries * 8 > r->bat_length)
		return util_fail(err, errlen, -EINVAL, "the BAT region (%llu bytes) is too small for %llu entries",
				 (unsigned long long)r->bat_length, (unsigned long long)out->bat_entries);
	return 0;
}

struct span {
	uint64_t off, len;
	uint64_t index;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

int vhdx_check_bat(const uint64_t *bat, const struct vhdx_geom *g, const struct vhdx_meta *m,
		   const struct vhdx_regions *r, const struct vhdx_hdr *h, uint64_t file_size,
		   char *err, size_t errlen)
{
	struct span *s = malloc((g->bat_entries + 1) * sizeof(*s));
	uint64_t ns = 0;
	int ret = 0;

	if (!s)
		return util_fail(err, errlen, -ENOMEM, "out of memory for the BAT's check");
	for (uint64_t i = 0; i < g->bat_entries && ret == 0; i++) {
		uint64_t e = le64toh(bat[i]), off = vhdx_bat_offset(e), len;
		unsigned st = vhdx_bat_state(e);
		bool bitmap = i % (g->chunk_ratio + 1) == g->chunk_ratio;

		if (bitmap) {
			if (st != VHDX_SB_NOT_PRESENT && st != VHDX_SB_PRESENT) {
				ret = util_fail(err, errlen, -EINVAL, "BAT entry %llu: sector bitmap state %u",
						(unsigned long long)i, st);
				break;
			}
			if (st != VHDX_SB_PRESENT)
				continue;
			len = VHDX_MiB;
		} else {
			uint64_t blk = i - i / (g->chunk_ratio + 1);

			if (st == 4 || st == 5 || (st == VHDX_PAYLOAD_PARTIALLY_PRESENT && !m->has_parent)) {
				ret = util_fail(err, errlen, -EINVAL, "BAT entry %llu: payload block state %u",
						(unsigned long long)i, st);
				break;
			}
			if (st != VHDX_PAYLOAD_FULLY_PRESENT && st != VHDX_PAYLOAD_PARTIALLY_PRESENT)
				continue;
			if (blk >= g->data_blocks) {
				ret = util_fail(err, errlen, -EINVAL, "BAT entry %llu: a block past the disk's end",
						(unsigned long long)i);
				break;
			}
			len = m->block_size;
		}
		if (off < VHDX_HEADER_AREA || beyond(off, len, file_size)) {
			ret = util_fail(err, errlen, -EINVAL, "BAT entry %llu: a block at %llu %s", (unsigned long long)i,
					(unsigned long long)off, off < VHDX_HEADER_AREA ? "inside the headers" :
					"past the end of the file");
			break;
		}
		if (overlaps(off, len, h->log_offset, h->log_length) || overlaps(off, len, r->bat_offset, r->bat_length) ||
		    overlaps(off, len, r->meta_offset, r->meta_length)) {
			ret = util_fail(err, errlen, -EINVAL, "BAT entry %llu: a block at %llu overlaps the log, BAT or metadata",
					(unsigned long long)i, (unsigned long long)off);
			break;
		}
		s[ns].off = off;
		s[ns].len = len;
		s[ns++].index = i;
	}
	if (ret == 0) {
		qsort(s, ns, sizeof(*s), cmp_span);
		for (uint64_t i = 1; i < ns; i++)
			if (s[i - 1].off + s[i - 1].len > s[i].off) {
				ret = util_fail(err, errlen, -EINVAL, "BAT entries %llu and %llu overlap in the file",
						(unsigned long long)s[i - 1].index, (unsigned long long)s[i].index);
				break;
			}
	}
	free(s);
	return ret;
}

/* ---- the log ---------------------------------------------------------------------- */

#define LOG_MAX_ENTRIES_SCAN	(1u << 20)

/* Copy len bytes at off of the circular log into out. */
static void log_copy(const uint8_t *log, size_t log_len, uint64_t off, void *out, size_t len)
{
	uint8_t *o = out;

	while (len) {
		size_t k = log_len - off < len ? log_len - off : len;

		memcpy(o, log + off, k);
		o += k;
		len -= k;
		off = 0;
	}
}

/* The entry at off, if valid: header, descriptors and data sectors. */
static int log_entry_valid(const uint8_t *log, size_t log_len, uint64_t off, const uint8_t guid[16],
			   struct vhdx_log_entry_header *hdr, uint8_t **whole)
{
	uint8_t first[VHDX_LOG_SECTOR], *e;
	uint32_t len, ndesc;
	uint64_t dsect, nd = 0;

	*whole = NULL;
	log_copy(log, log_len, off, first, sizeof(first));
	if (get_le32(first) != VHDX_LOG_SIGNATURE)
		return -EINVAL;
	len = get_le32(first + 8);
	ndesc = get_le32(first + 24);
	if (len == 0 || len % VHDX_LOG_SECTOR || len > log_len || memcmp(first + 32, guid, 16))
		return -EINVAL;
	dsect = (64 + (uint64_t)ndesc * 32 + VHDX_LOG_SECTOR - 1) / VHDX_LOG_SECTOR;
	if (dsect * VHDX_LOG_SECTOR > len)
		return -EINVAL;
	e = malloc(len);
	if (!e)
		return -ENOMEM;
	log_copy(log, log_len, off, e, len);
	if (get_le32(e + 4) != crc_without(e, len, 4)) {
		free(e);
		return -EINVAL;
	}
	hdr->signature = VHDX_LOG_SIGNATURE;
	hdr->entry_length = len;
	hdr->tail = get_le32(e + 12);
	hdr->sequence_number = get_le64(e + 16);
	hdr->descriptor_count = ndesc;
	hdr->flushed_file_offset = get_le64(e + 48);
	hdr->last_file_offset = get_le64(e + 56);
	if (hdr->tail % VHDX_LOG_SECTOR || hdr->tail >= log_len || hdr->sequence_number == 0) {
		free(e);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < ndesc; i++) {
		const uint8_t *d = e + 64 + (size_t)i * 32;
		uint32_t sig = get_le32(d);

		if (get_le64(d + 24) != hdr->sequence_number || get_le64(d + 16) % VHDX_LOG_SECTOR)
			break;
		if (sig == VHDX_ZERO_SIGNATURE) {
			if (get_le64(d + 8) == 0 || get_le64(d + 8) % VHDX_LOG_SECTOR)
				break;
		} else if (sig == VHDX_DESC_SIGNATURE) {
			const uint8_t *s = e + (dsect + nd) * VHDX_LOG_SECTOR;

			if ((dsect + nd + 1) * VHDX_LOG_SECTOR > len || get_le32(s) != VHDX_DATA_SIGNATURE ||
			    ((uint64_t)get_le32(s + 4) << 32 | get_le32(s + 4092)) != hdr->sequence_number)
				break;
			nd++;
		} else {
			break;
		}
		if (i + 1 == ndesc) {
			*whole = e;
			return 0;
		}
	}
	if (ndesc == 0) {
		*whole = e;
		return 0;
	}
	free(e);
	return -EINVAL;
}

int vhdx_log_find(const void *log, size_t log_len, const uint8_t log_guid[16], struct vhdx_log_seq *out,
		  char *err, size_t errlen)
{
	const uint8_t *l = log;
	struct vhdx_log_entry_header hdr, best = { 0 };
	uint64_t best_off = 0;
	bool have = false;
	uint8_t *e;
	int r;

	memset(out, 0, sizeof(*out));
	if (log_len == 0 || log_len % VHDX_LOG_SECTOR)
		return util_fail(err, errlen, -EINVAL, "log of %zu bytes is not in whole 4 KiB sectors", log_len);
	if (!memcmp(log_guid, zero_guid, 16))
		return 0;
	/* The head: the valid entry with the highest sequence number. */
	for (uint64_t off = 0; off < log_len; off += VHDX_LOG_SECTOR) {
		r = log_entry_valid(l, log_len, off, log_guid, &hdr, &e);
		if (r == -ENOMEM)
			return util_fail(err, errlen, r, "out of memory reading the log");
		if (r < 0)
			continue;
		free(e);
		if (!have || hdr.sequence_number > best.sequence_number) {
			best = hdr;
			best_off = off;
			have = true;
		}
	}
	if (!have)
		return 0;
	/* From the head's tail, entries follow one another with sequence numbers one
	 * apart, up to the head. */
	{
		uint64_t off = best.tail, seq = 0, used = 0;
		unsigned count = 0;

		for (;;) {
			r = log_entry_valid(l, log_len, off, log_guid, &hdr, &e);
			if (r == -ENOMEM)
				return util_fail(err, errlen, r, "out of memory reading the log");
			if (r < 0)
				return util_fail(err, errlen, -EINVAL,
						 "log: the entry at %llu in the sequence ending at %llu is not valid",
						 (unsigned long long)off, (unsigned long long)best_off);
			free(e);
			if (count && hdr.sequence_number != seq + 1)
				return util_fail(err, errlen, -EINVAL,
						 "log: sequence numbers jump from %llu to %llu at %llu",
						 (unsigned long long)seq, (unsigned long long)hdr.sequence_number,
						 (unsigned long long)off);
			if (count == 0)
				out->first_seq = hdr.sequence_number;
			seq = hdr.sequence_number;
			count++;
			used += hdr.entry_length;
			if (off == best_off)
				break;
			if (used >= log_len || count >= LOG_MAX_ENTRIES_SCAN || seq >= best.sequence_number)
				return util_fail(err, errlen, -EINVAL,
						 "log: the head's tail at %u does not lead to the head at %llu", best.tail,
						 (unsigned long long)best_off);
			off = (off + hdr.entry_length) % log_len;
		}
		out->count = count;
		memcpy(out->log_guid, log_guid, 16);
		out->tail = best.tail;
		out->head = best_off;
		out->last_seq = best.sequence_number;
		out->flushed_file_offset = best.flushed_file_offset;
		out->last_file_offset = best.last_file_offset;
	}
	return 0;
}

int vhdx_log_replay(const void *log, size_t log_len, const struct vhdx_log_seq *seq, uint64_t file_size,
		    vhdx_log_apply_fn fn, void *opaque, char *err, size_t errlen)
{
	const uint8_t *l = log;
	uint64_t off = seq->tail;

	if (seq->count == 0)
		return 0;
	if (file_size < seq->flushed_file_offset)
		return util_fail(err, errlen, -EINVAL,
				 "the file (%llu bytes) is shorter than the log says it was (%llu): data is lost",
				 (unsigned long long)file_size, (unsigned long long)seq->flushed_file_offset);
	for (unsigned k = 0; k < seq->count; k++) {
		struct vhdx_log_entry_header hdr;
		uint8_t *e, sector[VHDX_LOG_SECTOR];
		uint64_t dsect, nd = 0;
		int r = log_entry_valid(l, log_len, off, seq->log_guid, &hdr, &e);

		if (r < 0)
			return util_fail(err, errlen, r == -ENOMEM ? r : -EINVAL, "log: the entry at %llu is not valid",
					 (unsigned long long)off);
		dsect = (64 + (uint64_t)hdr.descriptor_count * 32 + VHDX_LOG_SECTOR - 1) / VHDX_LOG_SECTOR;
		for (uint32_t i = 0; i < hdr.descriptor_count && r == 0; i++) {
			const uint8_t *d = e + 64 + (size_t)i * 32;
			uint64_t target = get_le64(d + 16);

			if (target < VHDX_REGION1_OFFSET) {
				r = util_fail(err, errlen, -EINVAL, "log: entry %llu writes into the file's headers",
					      (unsigned long long)hdr.sequence_number);
				break;
			}
			if (get_le32(d) == VHDX_ZERO_SIGNATURE) {
				r = fn(opaque, target, NULL, get_le64(d + 8));
			} else {
				const uint8_t *s = e + (dsect + nd++) * VHDX_LOG_SECTOR;

				memcpy(sector, d + 8, 8);		/* LeadingBytes */
				memcpy(sector + 8, s + 8, 4084);
				memcpy(sector + 4092, d + 4, 4);	/* TrailingBytes */
				r = fn(opaque, target, sector, sizeof(sector));
			}
			if (r < 0)
				util_fail(err, errlen, r, "log: replaying entry %llu: %s",
					  (unsigned long long)hdr.sequence_number, strerror(-r));
		}
		free(e);
		if (r < 0)
			return r;
		off = (off + hdr.entry_length) % log_len;
	}
	return 0;
}

size_t vhdx_log_entry_size(unsigned n)
{
	return ((64 + (size_t)n * 32 + VHDX_LOG_SECTOR - 1) / VHDX_LOG_SECTOR + n) * VHDX_LOG_SECTOR;
}

size_t vhdx_log_build_entry(void *out, const uint8_t log_guid[16], uint64_t seq, uint32_t tail,
			    uint64_t flushed_file_offset, uint64_t last_file_offset, const uint64_t *offsets,
			    const void *const *sectors, unsigned n)
{
	uint8_t *e = out;
	size_t len = vhdx_log_entry_size(n);
	size_t dsect = (64 + (size_t)n * 32 + VHDX_LOG_SECTOR - 1) / VHDX_LOG_SECTOR;

	memset(e, 0, len);
	put_le32(e, VHDX_LOG_SIGNATURE);
	put_le32(e + 8, (uint32_t)len);
	put_le32(e + 12, tail);
	put_le64(e + 16, seq);
	put_le32(e + 24, n);
	memcpy(e + 32, log_guid, 16);
	put_le64(e + 48, flushed_file_offset);
	put_le64(e + 56, last_file_offset);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = e + 64 + (size_t)i * 32, *s = e + (dsect + i) * VHDX_LOG_SECTOR;
		const uint8_t *src = sectors[i];

		put_le32(d, VHDX_DESC_SIGNATURE);
		memcpy(d + 4, src + 4092, 4);
		memcpy(d + 8, src, 8);
		put_le64(d + 16, offsets[i]);
		put_le64(d + 24, seq);
		put_le32(s, VHDX_DATA_SIGNATURE);
		put_le32(s + 4, (uint32_t)(seq >> 32));
		memcpy(s + 8, src + 8, 4084);
		put_le32(s + 4092, (uint32_t)seq);
	}
	put_le32(e + 4, crc_without(e, len, 4));
	return len;
}
