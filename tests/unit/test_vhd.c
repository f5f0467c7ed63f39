/* SPDX-License-Identifier: MIT */
/*
 * The VHD parsers (src/backends/vhd.c) on images built by the specification
 * (vhdx_image.c): footer, dynamic header and BAT, good and damaged one field at a time.
 */
#include "testutil.h"
#include "vhd.h"
#include "vhdx_image.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1u << 20)

static char err[512];

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

/* What opening does on a buffer. */
static int parse_all(const uint8_t *f, size_t len, struct vhd_info *info)
{
	int r;

	err[0] = 0;
	r = vhd_parse_footer(f + len - 512, len, info, err, sizeof(err));
	if (r == 0 && info->disk_type == VHD_TYPE_DYNAMIC) {
		r = vhd_parse_dyn_header(f + info->dyn_offset, len, info, err, sizeof(err));
		if (r == 0)
			r = vhd_check_bat((const uint32_t *)(f + info->bat_offset), info, len, err, sizeof(err));
	}
	return r;
}

#define EXPECT_REFUSED(f, len, code, needle)						\
	do {										\
		struct vhd_info _i;							\
		int _r = parse_all(f, len, &_i);					\
		ck_assert_int_eq(_r, code);						\
		ck_assert_msg(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);	\
	} while (0)

START_TEST(test_fixed)
{
	size_t len;
	uint8_t *f = tvhd_build(4 * MiB, false, 0, &len);
	uint8_t *ft = f + len - 512;
	struct vhd_info i;

	ck_assert_uint_eq(len, 4 * MiB + 512);
	ck_assert(vhd_is_footer(ft, 512));
	ck_assert_int_eq(parse_all(f, len, &i), 0);
	ck_assert_uint_eq(i.disk_type, VHD_TYPE_FIXED);
	ck_assert_uint_eq(i.size, 4 * MiB);
	ft[100] ^= 1;
	EXPECT_REFUSED(f, len, -EINVAL, "footer: bad checksum");
	ft[100] ^= 1;
	ft[0] = 'x';
	EXPECT_REFUSED(f, len, -EINVAL, "no footer");
	ft[0] = 'c';
	/* Larger than the file holds. */
	be64put(ft + 48, 8 * MiB);
	tvhd_fix_footer(ft);
	EXPECT_REFUSED(f, len, -EINVAL, "does not fit the file");
	be64put(ft + 48, 4 * MiB - 100);
	tvhd_fix_footer(ft);
	EXPECT_REFUSED(f, len, -EINVAL, "not a whole number of sectors");
	be64put(ft + 48, 4 * MiB);
	be32put(ft + 12, 0x00020000);
	tvhd_fix_footer(ft);
	EXPECT_REFUSED(f, len, -ENOTSUP, "format version 2.0");
	be32put(ft + 12, VHD_VERSION);
	be32put(ft + 60, VHD_TYPE_DIFFERENCING);
	tvhd_fix_footer(ft);
	EXPECT_REFUSED(f, len, -ENOTSUP, "differencing");
	be32put(ft + 60, 9);
	tvhd_fix_footer(ft);
	EXPECT_REFUSED(f, len, -ENOTSUP, "disk type 9");
	free(f);
}
END_TEST

START_TEST(test_dynamic)
{
	size_t len;
	uint8_t *f = tvhd_build(10 * MiB, true, 2 * MiB, &len);
	uint8_t *d = f + 512, *grown;
	uint32_t *bat;
	struct vhd_info i;

	ck_assert_int_eq(parse_all(f, len, &i), 0);
	ck_assert_uint_eq(i.disk_type, VHD_TYPE_DYNAMIC);
	ck_assert_uint_eq(i.block_size, 2 * MiB);
	ck_assert_uint_eq(i.bat_entries, 5);
	ck_assert_uint_eq(i.bitmap_size, 512);
	ck_assert_uint_eq(i.bat_offset, 1536);
	/* The header. */
	d[0] = 'x';
	EXPECT_REFUSED(f, len, -EINVAL, "no dynamic header");
	d[0] = 'c';
	d[600] ^= 1;
	EXPECT_REFUSED(f, len, -EINVAL, "dynamic header: bad checksum");
	d[600] ^= 1;
	be32put(d + 32, 3 * MiB);
	tvhd_fix_dyn(d);
	EXPECT_REFUSED(f, len, -EINVAL, "block size 3145728");
	be32put(d + 32, 2 * MiB);
	be32put(d + 28, 4);
	tvhd_fix_dyn(d);
	EXPECT_REFUSED(f, len, -EINVAL, "4 BAT entries, too few");
	be32put(d + 28, 100000);
	tvhd_fix_dyn(d);
	EXPECT_REFUSED(f, len, -EINVAL, "the BAT (100000 entries at 1536) is outside the file");
	be32put(d + 28, 5);
	be64put(d + 16, 512);
	tvhd_fix_dyn(d);
	EXPECT_REFUSED(f, len, -EINVAL, "overlaps the header");
	be64put(d + 16, 1536);
	tvhd_fix_dyn(d);
	/* The footer's pointer to the header. */
	be64put(f + len - 512 + 16, (uint64_t)len);
	tvhd_fix_footer(f + len - 512);
	EXPECT_REFUSED(f, len, -EINVAL, "outside the file");
	be64put(f + len - 512 + 16, 512);
	tvhd_fix_footer(f + len - 512);
	ck_assert_int_eq(parse_all(f, len, &i), 0);
	/* A block past the end; then in a file grown to hold it. */
	bat = (uint32_t *)(f + 1536);
	bat[0] = htobe32(4);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entry 0: a block at 2048 past the end of the file");
	grown = realloc(f, len + 4 * MiB + 1024);
	ck_assert_ptr_nonnull(grown);
	f = grown;
	memmove(f + len + 4 * MiB + 512, f + len - 512, 512);
	memset(f + len - 512, 0, 4 * MiB + 1024);
	len += 4 * MiB + 1024;
	bat = (uint32_t *)(f + 1536);
	ck_assert_int_eq(parse_all(f, len, &i), 0);
	/* Over the BAT, over the header, over another block, past the disk. */
	bat[1] = htobe32(3);
	EXPECT_REFUSED(f, len, -EINVAL, "overlaps the header or BAT");
	bat[1] = htobe32(0);
	EXPECT_REFUSED(f, len, -EINVAL, "over the footer's copy");
	bat[1] = htobe32(5);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entries 0 and 1 overlap");
	bat[1] = htobe32(VHD_BAT_UNUSED);
	free(f);
	f = tvhd_build(3 * MiB, true, 2 * MiB, &len);
	be32put(f + 512 + 28, 3);
	tvhd_fix_dyn(f + 512);
	grown = realloc(f, len + 8 * MiB);
	ck_assert_ptr_nonnull(grown);
	f = grown;
	memmove(f + len + 8 * MiB - 512, f + len - 512, 512);
	len += 8 * MiB;
	((uint32_t *)(f + 1536))[2] = htobe32(8);
	EXPECT_REFUSED(f, len, -EINVAL, "BAT entry 2: a block past the disk's end");
	free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhd");
	TCase *t = tcase_create("structures");

	tcase_add_test(t, test_fixed);
	tcase_add_test(t, test_dynamic);
	suite_add_tcase(s, t);
	return test_main(s);
}
