/* SPDX-License-Identifier: MIT */
#include "vhdx_image.h"
#include "crc32c.h"
#include "vhd.h"
#include "vhdx.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

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

void tvx_fix_crc(uint8_t *p, size_t len)
{
	memset(p + 4, 0, 4);
	put32(p + 4, crc32c(p, len));
}

static void meta_entry(uint8_t *e, const uint8_t *id, uint32_t off, uint32_t len, uint32_t flags)
{
	memcpy(e, id, 16);
	put32(e + 16, off);
	put32(e + 20, len);
	put32(e + 24, flags);
}

/* UTF-16LE of an ASCII string; returns bytes written. */
static size_t utf16(uint8_t *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++, n += 2)
		put16(out + n, (uint8_t)*s);
	return n;
}

uint8_t *tvx_build(uint64_t virtual_size, uint32_t block_size, uint32_t logical_sector, bool fixed,
		   const char *parent, size_t *len, struct tvx_layout *lay)
{
	const uint64_t MiB = 1u << 20;
	uint64_t chunk = (1ull << 23) * logical_sector / block_size;
	uint64_t blocks = (virtual_size + block_size - 1) / block_size;
	uint64_t entries = parent ? (blocks + chunk - 1) / chunk * (chunk + 1) : blocks + (blocks - 1) / chunk;
	uint64_t bat_len = (entries * 8 + MiB - 1) / MiB * MiB;
	uint64_t meta_off = TVX_BAT_OFFSET + bat_len, data_off = meta_off + MiB;
	uint64_t size = data_off + (fixed ? blocks * block_size : 0);
	uint8_t *f = calloc(1, size), *h, *m;
	struct vhdx_hdr hdr = { .log_length = TVX_LOG_LENGTH, .log_offset = TVX_LOG_OFFSET };

	if (!f)
		return NULL;
	memcpy(f, VHDX_FILE_SIGNATURE, 8);
	for (int i = 0; i < 16; i++) {
		hdr.file_write_guid[i] = (uint8_t)(0x10 + i);
		hdr.data_write_guid[i] = (uint8_t)(0x20 + i);
	}
	hdr.sequence_number = 1;
	vhdx_build_header(&hdr, f + VHDX_HEADER1_OFFSET);
	hdr.sequence_number = 2;
	vhdx_build_header(&hdr, f + VHDX_HEADER2_OFFSET);
	for (int k = 0; k < 2; k++) {
		h = f + (k ? VHDX_REGION2_OFFSET : VHDX_REGION1_OFFSET);
		put32(h, VHDX_REGION_SIGNATURE);
		put32(h + 8, 2);
		memcpy(h + 16, vhdx_guid_bat, 16);
		put64(h + 32, TVX_BAT_OFFSET);
		put32(h + 40, (uint32_t)bat_len);
		put32(h + 44, 1);
		memcpy(h + 48, vhdx_guid_metadata, 16);
		put64(h + 64, meta_off);
		put32(h + 72, (uint32_t)MiB);
		put32(h + 76, 1);
		tvx_fix_crc(h, VHDX_REGION_TABLE_SIZE);
	}
	m = f + meta_off;
	put64(m, VHDX_METADATA_SIGNATURE);
	put16(m + 10, parent ? 6 : 5);
	meta_entry(m + 32, vhdx_guid_file_parameters, 0x10000, 8, VHDX_META_IS_REQUIRED);
	meta_entry(m + 64, vhdx_guid_virtual_disk_size, 0x10008, 8, VHDX_META_IS_REQUIRED | VHDX_META_IS_VIRTUAL_DISK);
	meta_entry(m + 96, vhdx_guid_virtual_disk_id, 0x10010, 16, VHDX_META_IS_REQUIRED | VHDX_META_IS_VIRTUAL_DISK);
	meta_entry(m + 128, vhdx_guid_logical_sector_size, 0x10020, 4, VHDX_META_IS_REQUIRED | VHDX_META_IS_VIRTUAL_DISK);
	meta_entry(m + 160, vhdx_guid_physical_sector_size, 0x10024, 4, VHDX_META_IS_REQUIRED | VHDX_META_IS_VIRTUAL_DISK);
	put32(m + 0x10000, block_size);
	put32(m + 0x10004, (fixed ? VHDX_PARAMS_LEAVE_BLOCKS_ALLOCATED : 0) | (parent ? VHDX_PARAMS_HAS_PARENT : 0));
	put64(m + 0x10008, virtual_size);
	for (int i = 0; i < 16; i++)
		m[0x10010 + i] = (uint8_t)(0x30 + i);
	put32(m + 0x10020, logical_sector);
	put32(m + 0x10024, 4096);
	if (parent) {
		uint8_t *l = m + 0x11000;
		size_t o = 20 + 2 * 12, kl, vl;

		memcpy(l, vhdx_guid_locator_type_vhdx, 16);
		put16(l + 18, 2);
		kl = utf16(l + o, "parent_linkage");
		vl = utf16(l + o + kl, "{00000000-0000-0000-0000-000000000000}");
		put32(l + 20, (uint32_t)o);
		put32(l + 24, (uint32_t)(o + kl));
		put16(l + 28, (uint16_t)kl);
		put16(l + 30, (uint16_t)vl);
		o += kl + vl;
		kl = utf16(l + o, "relative_path");
		vl = utf16(l + o + kl, parent);
		put32(l + 32, (uint32_t)o);
		put32(l + 36, (uint32_t)(o + kl));
		put16(l + 40, (uint16_t)kl);
		put16(l + 42, (uint16_t)vl);
		o += kl + vl;
		meta_entry(m + 192, vhdx_guid_parent_locator, 0x11000, (uint32_t)o, VHDX_META_IS_REQUIRED);
	}
	if (fixed)
		for (uint64_t b = 0; b < blocks; b++)
			put64(f + TVX_BAT_OFFSET + (b + b / chunk) * 8,
			      (data_off + b * block_size) | VHDX_PAYLOAD_FULLY_PRESENT);
	if (lay) {
		lay->bat_offset = TVX_BAT_OFFSET;
		lay->bat_length = bat_len;
		lay->meta_offset = meta_off;
		lay->meta_length = MiB;
		lay->data_offset = data_off;
		lay->bat_entries = entries;
		lay->chunk_ratio = chunk;
	}
	*len = size;
	return f;
}

static void be32put(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void be64put(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

void tvhd_fix_footer(uint8_t *footer)
{
	be32put(footer + offsetof(struct vhd_footer, checksum),
		vhd_checksum(footer, 512, offsetof(struct vhd_footer, checksum)));
}

void tvhd_fix_dyn(uint8_t *dyn)
{
	be32put(dyn + offsetof(struct vhd_dyn_header, checksum),
		vhd_checksum(dyn, 1024, offsetof(struct vhd_dyn_header, checksum)));
}

uint8_t *tvhd_build(uint64_t size, bool dynamic, uint32_t block_size, size_t *len)
{
	uint8_t footer[512] = { 0 };
	uint32_t entries = dynamic ? (uint32_t)((size + block_size - 1) / block_size) : 0;
	uint64_t bat_bytes = ((uint64_t)entries * 4 + 511) / 512 * 512;
	uint64_t total = dynamic ? 512 + 1024 + bat_bytes + 512 : size + 512;
	uint8_t *f = calloc(1, total);

	if (!f)
		return NULL;
	memcpy(footer, VHD_FOOTER_COOKIE, 8);
	be32put(footer + 8, VHD_FEATURES_RESERVED);
	be32put(footer + 12, VHD_VERSION);
	be64put(footer + 16, dynamic ? 512 : VHD_NO_DATA_OFFSET);
	memcpy(footer + 28, "test", 4);
	be64put(footer + 40, size);
	be64put(footer + 48, size);
	be32put(footer + 60, dynamic ? VHD_TYPE_DYNAMIC : VHD_TYPE_FIXED);
	for (int i = 0; i < 16; i++)
		footer[68 + i] = (uint8_t)(0x40 + i);
	tvhd_fix_footer(footer);
	memcpy(f + total - 512, footer, 512);
	if (dynamic) {
		uint8_t *d = f + 512;

		memcpy(f, footer, 512);
		memcpy(d, VHD_DYN_COOKIE, 8);
		be64put(d + 8, VHD_NO_DATA_OFFSET);
		be64put(d + 16, 512 + 1024);
		be32put(d + 24, VHD_VERSION);
		be32put(d + 28, entries);
		be32put(d + 32, block_size);
		tvhd_fix_dyn(d);
		memset(f + 512 + 1024, 0xff, (size_t)entries * 4);
	}
	*len = total;
	return f;
}
