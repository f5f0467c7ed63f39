/* SPDX-License-Identifier: MIT */
#include "vhd.h"
#include "byteorder.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t vhd_checksum(const void *buf, size_t len, size_t csum_at)
{
	const uint8_t *p = buf;
	uint32_t s = 0;

	for (size_t i = 0; i < len; i++)
		if (i < csum_at || i >= csum_at + 4)
			s += p[i];
	return ~s;
}

bool vhd_is_footer(const void *buf, size_t len)
{
	return len >= 8 && !memcmp(buf, VHD_FOOTER_COOKIE, 8);
}

int vhd_parse_footer(const void *buf, uint64_t file_size, struct vhd_info *out, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	uint32_t version;

	memset(out, 0, sizeof(*out));
	if (!vhd_is_footer(buf, 512))
		return util_fail(err, errlen, -EINVAL, "no footer (cookie \"conectix\")");
	if (get_be32(p + offsetof(struct vhd_footer, checksum)) !=
	    vhd_checksum(p, 512, offsetof(struct vhd_footer, checksum)))
		return util_fail(err, errlen, -EINVAL, "footer: bad checksum");
	version = get_be32(p + offsetof(struct vhd_footer, file_format_version));
	if (version >> 16 != VHD_VERSION >> 16)
		return util_fail(err, errlen, -ENOTSUP, "footer: format version %u.%u (only 1.x is known)",
				 version >> 16, version & 0xffff);
	out->disk_type = get_be32(p + offsetof(struct vhd_footer, disk_type));
	out->size = get_be64(p + offsetof(struct vhd_footer, current_size));
	out->dyn_offset = get_be64(p + offsetof(struct vhd_footer, data_offset));
	memcpy(out->unique_id, p + offsetof(struct vhd_footer, unique_id), 16);
	if (out->size == 0 || out->size % VHD_SECTOR)
		return util_fail(err, errlen, -EINVAL, "footer: disk size %llu is not a whole number of sectors",
				 (unsigned long long)out->size);
	switch (out->disk_type) {
	case VHD_TYPE_FIXED:
		if (file_size < VHD_SECTOR || out->size > file_size - VHD_SECTOR)
			return util_fail(err, errlen, -EINVAL, "fixed image: disk size %llu does not fit the file (%llu bytes)",
					 (unsigned long long)out->size, (unsigned long long)file_size);
		return 0;
	case VHD_TYPE_DYNAMIC:
		if (out->dyn_offset < VHD_SECTOR || out->dyn_offset % VHD_SECTOR || file_size < 3 * VHD_SECTOR ||
		    out->dyn_offset > file_size - 3 * VHD_SECTOR)
			return util_fail(err, errlen, -EINVAL, "footer: the dynamic header's offset %llu is outside the file",
					 (unsigned long long)out->dyn_offset);
		return 0;
	case VHD_TYPE_DIFFERENCING:
		return util_fail(err, errlen, -ENOTSUP, "a differencing image, which hvkvm does not open");
	default:
		return util_fail(err, errlen, -ENOTSUP, "footer: disk type %u", out->disk_type);
	}
}

int vhd_parse_dyn_header(const void *buf, uint64_t file_size, struct vhd_info *info, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	uint64_t need;

	if (memcmp(p, VHD_DYN_COOKIE, 8))
		return util_fail(err, errlen, -EINVAL, "no dynamic header (cookie \"cxsparse\")");
	if (get_be32(p + offsetof(struct vhd_dyn_header, checksum)) !=
	    vhd_checksum(p, 1024, offsetof(struct vhd_dyn_header, checksum)))
		return util_fail(err, errlen, -EINVAL, "dynamic header: bad checksum");
	if (get_be32(p + offsetof(struct vhd_dyn_header, header_version)) >> 16 != VHD_VERSION >> 16)
		return util_fail(err, errlen, -ENOTSUP, "dynamic header: version %#x",
				 get_be32(p + offsetof(struct vhd_dyn_header, header_version)));
	info->bat_offset = get_be64(p + offsetof(struct vhd_dyn_header, table_offset));
	info->bat_entries = get_be32(p + offsetof(struct vhd_dyn_header, max_table_entries));
	info->block_size = get_be32(p + offsetof(struct vhd_dyn_header, block_size));
	if (info->block_size < 4096 || info->block_size > (256u << 20) || (info->block_size & (info->block_size - 1)))
		return util_fail(err, errlen, -EINVAL, "dynamic header: block size %u is not a power of two from 4 KiB to 256 MiB",
				 info->block_size);
	info->bitmap_size = (info->block_size / VHD_SECTOR / 8 + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
	need = info->size / info->block_size + (info->size % info->block_size != 0);
	if (info->bat_entries < need)
		return util_fail(err, errlen, -EINVAL, "dynamic header: %u BAT entries, too few for %llu bytes",
				 info->bat_entries, (unsigned long long)info->size);
	if (info->bat_offset % VHD_SECTOR || info->bat_offset < VHD_SECTOR || info->bat_offset > file_size - VHD_SECTOR ||
	    (uint64_t)info->bat_entries * 4 > file_size - VHD_SECTOR - info->bat_offset)
		return util_fail(err, errlen, -EINVAL, "dynamic header: the BAT (%u entries at %llu) is outside the file",
				 info->bat_entries, (unsigned long long)info->bat_offset);
	if (info->bat_offset < info->dyn_offset + 1024 && info->dyn_offset < info->bat_offset + (uint64_t)info->bat_entries * 4)
		return util_fail(err, errlen, -EINVAL, "dynamic header: the BAT overlaps the header");
	return 0;
}

struct span {
	uint64_t off;
	uint32_t index;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

int vhd_check_bat(const uint32_t *bat, const struct vhd_info *info, uint64_t file_size, char *err, size_t errlen)
{
	uint64_t blen = (uint64_t)info->bitmap_size + info->block_size;
	uint64_t bat_end = info->bat_offset + (uint64_t)info->bat_entries * 4;
	struct span *s = malloc(((size_t)info->bat_entries + 1) * sizeof(*s));
	uint32_t ns = 0;
	int ret = 0;

	if (!s)
		return util_fail(err, errlen, -ENOMEM, "out of memory for the BAT's check");
	for (uint32_t i = 0; i < info->bat_entries; i++) {
		uint32_t e = be32toh(bat[i]);
		uint64_t off = (uint64_t)e * VHD_SECTOR;

		if (e == VHD_BAT_UNUSED)
			continue;
		if ((uint64_t)i * info->block_size >= info->size) {
			ret = util_fail(err, errlen, -EINVAL, "BAT entry %u: a block past the disk's end", i);
			break;
		}
		if (off < VHD_SECTOR || off + blen > file_size - VHD_SECTOR) {
			ret = util_fail(err, errlen, -EINVAL, "BAT entry %u: a block at %llu %s", i, (unsigned long long)off,
					off < VHD_SECTOR ? "over the footer's copy" : "past the end of the file");
			break;
		}
		if ((off < info->dyn_offset + 1024 && info->dyn_offset < off + blen) ||
		    (off < bat_end && info->bat_offset < off + blen)) {
			ret = util_fail(err, errlen, -EINVAL, "BAT entry %u: a block at %llu overlaps the header or BAT", i,
					(unsigned long long)off);
			break;
		}
		s[ns].off = off;
		s[ns++].index = i;
	}
	if (ret == 0) {
		qsort(s, ns, sizeof(*s), cmp_span);
		for (uint32_t i = 1; i < ns; i++)
			if (s[i - 1].off + blen > s[i].off) {
				ret = util_fail(err, errlen, -EINVAL, "BAT entries %u and %u overlap in the file",
						s[i - 1].index, s[i].index);
				break;
			}
	}
	free(s);
	return ret;
}
