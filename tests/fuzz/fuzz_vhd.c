/* SPDX-License-Identifier: MIT */
/*
 * The VHD parsers (src/backends/vhd.c) on hostile structures: footer, dynamic header,
 * BAT. They answer 0 or an error with a message, and what they accept fits the file:
 * the disk of a fixed image, the BAT, every block before the footer and apart.
 */
#include "fuzz.h"
#include "vhd.h"

#include <endian.h>

static char err[512];

static void check_err(int r)
{
	FZ_CHECK(r <= 0, "returned %d", r);
	if (r < 0)
		FZ_CHECK(err[0], "an error (%d) without a message", r);
}

static void fix(uint8_t *p, size_t len, size_t at)
{
	uint32_t c = htobe32(vhd_checksum(p, len, at));

	memcpy(p + at, &c, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	uint8_t kind = fz_u8(&in) % FZ_VHD_KINDS;
	bool fixit = fz_u8(&in) & 1;
	struct vhd_info info = { 0 };
	int r;

	err[0] = 0;
	if (kind == FZ_VHD_FOOTER) {
		uint64_t file_size = fz_u64(&in);
		uint8_t f[512];

		fz_bytes(&in, f, sizeof(f));
		if (fixit)
			fix(f, 512, offsetof(struct vhd_footer, checksum));
		r = vhd_parse_footer(f, file_size, &info, err, sizeof(err));
		check_err(r);
		if (r == 0 && info.disk_type == VHD_TYPE_FIXED)
			FZ_CHECK(info.size + 512 <= file_size, "a fixed disk larger than its file");
		if (r == 0 && info.disk_type == VHD_TYPE_DYNAMIC)
			FZ_CHECK(info.dyn_offset + 1024 <= file_size - 512, "the header past the file");
	} else if (kind == FZ_VHD_DYNAMIC) {
		uint64_t file_size = fz_u64(&in);
		uint8_t d[1024];

		info.size = fz_u64(&in);
		info.dyn_offset = fz_u64(&in);
		fz_bytes(&in, d, sizeof(d));
		if (fixit)
			fix(d, 1024, offsetof(struct vhd_dyn_header, checksum));
		if (file_size < 1536 || info.size == 0)
			return 0;	/* what the footer's check guarantees */
		r = vhd_parse_dyn_header(d, file_size, &info, err, sizeof(err));
		check_err(r);
		if (r == 0) {
			FZ_CHECK(info.bat_offset + (uint64_t)info.bat_entries * 4 <= file_size - 512, "the BAT past the file");
			FZ_CHECK((uint64_t)info.bat_entries * info.block_size >= info.size, "a BAT too short");
		}
	} else {
		uint64_t file_size;
		uint32_t *bat;

		info.block_size = 1u << (fz_u8(&in) % 17 + 12);
		info.bitmap_size = (info.block_size / 512 / 8 + 511) / 512 * 512;
		info.bat_entries = fz_u16(&in);
		info.size = fz_u64(&in);
		file_size = fz_u64(&in);
		info.bat_offset = fz_u32(&in);
		info.dyn_offset = fz_u32(&in);
		if (file_size < 1536)
			return 0;
		bat = calloc((size_t)info.bat_entries + 1, 4);
		fz_bytes(&in, bat, (size_t)info.bat_entries * 4);
		r = vhd_check_bat(bat, &info, file_size, err, sizeof(err));
		check_err(r);
		if (r == 0) {
			uint64_t blen = (uint64_t)info.bitmap_size + info.block_size;

			for (uint32_t i = 0; i < info.bat_entries && i < 256; i++) {
				uint32_t e = be32toh(bat[i]);

				if (e == VHD_BAT_UNUSED)
					continue;
				FZ_CHECK((uint64_t)e * 512 + blen <= file_size - 512, "block %u past the footer", i);
				for (uint32_t j = 0; j < i; j++) {
					uint32_t o = be32toh(bat[j]);

					if (o != VHD_BAT_UNUSED)
						FZ_CHECK((uint64_t)o * 512 + blen <= (uint64_t)e * 512 ||
								 (uint64_t)e * 512 + blen <= (uint64_t)o * 512,
							 "blocks %u and %u overlap", j, i);
				}
			}
		}
		free(bat);
	}
	return 0;
}
