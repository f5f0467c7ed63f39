/* SPDX-License-Identifier: MIT */
/*
 * VHDX and VHD images as block back ends (src/backends/blk_img.c and the formats),
 * against qemu-img (qemu-utils) as the reference: images qemu-img made and filled are
 * read back exactly; a pseudo-random pattern written at scattered offsets through the
 * back end passes `qemu-img check` and `qemu-img convert -O raw` holds exactly it.
 * Then format selection, damaged images, and the replay of a metadata log.
 */
#include "blk_img.h"
#include "loop.h"
#include "testutil.h"
#include "vhdx.h"
#include "vhdx_image.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1u << 20)

static struct loop *loop;
static char dir[256];
static char err[512];

static void setup(void)
{
	const char *base = getenv("HVKVM_TEST_DIR") ? getenv("HVKVM_TEST_DIR") : "/var/tmp";

	ck_assert_msg(system("qemu-img --version >/dev/null 2>&1") == 0,
		      "qemu-img is not installed (scripts/deps --test installs qemu-utils)");
	snprintf(dir, sizeof(dir), "%s/hvkvm-img-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	loop_free(loop);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rnd();

		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *buf;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/*
 * What qemu-img reads from the image (format fmt): converted to raw beside it, checked
 * to be size bytes; the bytes, to be freed.
 */
static uint8_t *qemu_reads(const char *fmt, const char *img, uint64_t size)
{
	char out[300];
	uint8_t *got;
	size_t got_len;

	snprintf(out, sizeof(out), "%s/qemu-reads.raw", dir);
	ck_assert_int_eq(sh("qemu-img convert -q -f %s -O raw '%s' '%s'", fmt, img, out), 0);
	got = read_file(out, &got_len);
	unlink(out);
	ck_assert_uint_eq(got_len, size);
	return got;
}

/* qemu-img reads exactly want (size bytes) from the image; names the first sector that differs. */
static void qemu_reads_same(const char *fmt, const char *img, const uint8_t *want, uint64_t size)
{
	uint8_t *got = qemu_reads(fmt, img, size);

	for (uint64_t i = 0; i < size; i += 512)
		ck_assert_msg(!memcmp(got + i, want + i, size - i < 512 ? size - i : 512),
			      "qemu-img reads other data at %llu", (unsigned long long)i);
	free(got);
}

static void req_done(struct blk_req *req, int64_t result)
{
	*(int64_t *)req->opaque = result;
}

static int64_t io(struct blk *b, enum blk_op op, uint64_t off, void *buf, size_t len, bool fua)
{
	struct iovec iov = { buf, len };
	int64_t result = INT64_MIN;
	struct blk_req req = { .op = op, .offset = off, .len = len, .iov = &iov, .iovcnt = buf ? 1 : 0,
			       .fua = fua, .done = req_done, .opaque = &result };
	int r = blk_submit(b, &req);

	if (r < 0)
		return r;
	blk_drain(b);
	ck_assert_int_ne(result, INT64_MIN);
	return result;
}

static enum blk_cache cache_mode = BLK_CACHE_WRITEBACK;

static struct blk *open_image(const char *path, enum blk_format f, bool ro, struct blk_image_desc *desc)
{
	struct blk *b = NULL;
	int r = blk_image_open(&b, loop, path, f, ro, cache_mode, desc, err, sizeof(err));

	ck_assert_msg(r == 0, "opening %s: %s", path, err);
	return b;
}

/* Read the whole disk through b, in pieces of odd sizes, and compare with want. */
static void check_contents(struct blk *b, const uint8_t *want, uint64_t size, uint32_t sector)
{
	uint8_t *got = img_alloc_buf(3 * MiB);	/* aligned for O_DIRECT */
	uint64_t off = 0;

	ck_assert_ptr_nonnull(got);
	while (off < size) {
		uint64_t len = ((rnd() % (3 * MiB)) / sector + 1) * sector;

		if (len > size - off)
			len = size - off;
		ck_assert_int_eq(io(b, BLK_READ, off, got, len, false), (int64_t)len);
		for (uint64_t i = 0; i < len; i += sector)
			ck_assert_msg(!memcmp(got + i, want + off + i, sector), "sector at %llu differs",
				      (unsigned long long)(off + i));
		off += len;
	}
	free(got);
}

/*
 * Batches of writes at scattered offsets, in flight together (not overlapping within
 * a batch, so the result is defined), some crossing block boundaries, some FUA, some
 * into the same new block; want follows.
 */
static void scatter_writes(struct blk *b, uint8_t *want, uint64_t size, uint32_t sector, uint64_t block)
{
	enum { BATCH = 24 };
	static uint8_t data[BATCH][3 * MiB] __attribute__((aligned(4096)));	/* O_DIRECT */

	for (int round = 0; round < 8; round++) {
		struct blk_req req[BATCH];
		struct iovec iov[BATCH][3];
		int64_t result[BATCH];
		uint64_t lo[BATCH], hi[BATCH];
		int n = 0;

		for (int k = 0; k < BATCH; k++) {
			uint64_t len = (rnd() % 3 == 0 ? (rnd() % (2 * MiB)) : (rnd() % 65536)) / sector * sector + sector;
			uint64_t off = rnd() % (size / sector) * sector;
			bool clash = false;

			if (k % 5 == 0) {	/* across a block boundary */
				uint64_t edge = (rnd() % (size / block) + 1) * block;

				off = edge > len / 2 ? edge - len / 2 / sector * sector : 0;
			}
			if (off >= size)
				off = size - sector;
			if (len > size - off)
				len = size - off;
			for (int j = 0; j < n; j++)
				clash |= off < hi[j] && lo[j] < off + len;
			if (clash)
				continue;
			fill(data[n], len);
			memcpy(want + off, data[n], len);
			/* Three pieces of guest memory. */
			iov[n][0] = (struct iovec){ data[n], len / sector / 3 * sector };
			iov[n][1] = (struct iovec){ data[n] + iov[n][0].iov_len, sector };
			iov[n][2] = (struct iovec){ data[n] + iov[n][0].iov_len + sector, len - iov[n][0].iov_len - sector };
			req[n] = (struct blk_req){ .op = BLK_WRITE, .offset = off, .len = len, .iov = iov[n],
						   .iovcnt = iov[n][2].iov_len ? 3 : 2, .fua = k % 7 == 3,
						   .done = req_done, .opaque = &result[n] };
			result[n] = INT64_MIN;
			lo[n] = off;
			hi[n] = off + len;
			n++;
		}
		blk_plug(b);
		for (int j = 0; j < n; j++)
			ck_assert_int_eq(blk_submit(b, &req[j]), 0);
		blk_unplug(b);
		blk_drain(b);
		ck_assert_uint_eq(blk_inflight(b), 0);
		for (int j = 0; j < n; j++)
			ck_assert_msg(result[j] == (int64_t)req[j].len, "write %d of %llu bytes at %llu: %lld", j,
				      (unsigned long long)req[j].len, (unsigned long long)req[j].offset,
				      (long long)result[j]);
	}
	ck_assert_int_eq(io(b, BLK_FLUSH, 0, NULL, 0, false), 0);
}

/* A disk image qemu-img made from a raw pattern: read it, write into it, and have
 * qemu-img check it and turn it back into raw. */
static void roundtrip(const char *fmt, const char *opts, const char *name, enum blk_format want_format,
		      const char *subformat, uint64_t size, uint64_t block)
{
	char raw[300], img[300];
	uint8_t *want = calloc(1, size);
	struct blk_image_desc desc;
	struct blk *b;

	ck_assert_ptr_nonnull(want);
	snprintf(raw, sizeof(raw), "%s/pattern.raw", dir);
	snprintf(img, sizeof(img), "%s/%s", dir, name);
	/* Some data in scattered places, zeroes elsewhere. */
	for (int i = 0; i < 12; i++) {
		uint64_t off = rnd() % (size / 4096) * 4096, len = (rnd() % 512 + 1) * 4096;

		if (len > size - off)
			len = size - off;
		fill(want + off, len);
	}
	write_file(raw, want, size);
	ck_assert_int_eq(sh("qemu-img convert -q -f raw -O %s %s '%s' '%s'", fmt, opts, raw, img), 0);

	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	ck_assert_int_eq(desc.format, want_format);
	ck_assert_str_eq(desc.subformat, subformat);
	ck_assert_uint_eq(desc.size, size);
	ck_assert_uint_eq(blk_info(b)->size, size);
	check_contents(b, want, size, 512);
	scatter_writes(b, want, size, 512, block);
	check_contents(b, want, size, 512);
	/* Discarding and zeroing across blocks there and not there, from the middle of
	 * one. */
	/* A fixed VHDX keeps its space (LeaveBlocksAllocated). */
	ck_assert_int_eq(blk_info(b)->discard, want_format == BLK_FORMAT_VHD || strcmp(subformat, "fixed"));
	if (!blk_info(b)->discard) {
		ck_assert_int_eq(io(b, BLK_WRITE_ZEROES, 0, NULL, 4096, false), -EOPNOTSUPP);
	} else {
		uint64_t off = size / 3 / 512 * 512 + 512, len = 2 * block + 3 * 4096;
		int64_t zr;

		if (len > size - off)
			len = size - off;
		ck_assert_int_eq(io(b, BLK_DISCARD, off, NULL, len, false), 0);
		memset(want + off, 0, len);
		off = size / 2 / 512 * 512 + 1024;
		len = block + 512;
		if (len > size - off)
			len = size - off;
		/* tmpfs zeroes no range: the disk model then writes zeroes itself. */
		zr = io(b, BLK_WRITE_ZEROES, off, NULL, len, false);
		ck_assert_msg(zr == 0 || zr == -EOPNOTSUPP, "WRITE_ZEROES: %lld", (long long)zr);
		if (zr == 0)
			memset(want + off, 0, len);
	}
	check_contents(b, want, size, 512);
	blk_close(b);

	ck_assert_msg(strcmp(fmt, "vhdx") || sh("qemu-img check -q -f vhdx '%s'", img) == 0, "qemu-img check %s", img);
	qemu_reads_same(fmt, img, want, size);

	/* Opened again, read-only. */
	b = open_image(img, BLK_FORMAT_AUTO, true, &desc);
	check_contents(b, want, size, 512);
	ck_assert_int_eq(io(b, BLK_WRITE, 0, want, 512, false), -EROFS);
	blk_close(b);
	free(want);
}

START_TEST(test_vhdx_dynamic_1m)
{
	roundtrip("vhdx", "-o subformat=dynamic,block_size=1M", "d1.vhdx", BLK_FORMAT_VHDX, "dynamic", 72 * MiB + 512 * 7,
		  MiB);
}
END_TEST

START_TEST(test_vhdx_dynamic_32m)
{
	roundtrip("vhdx", "-o subformat=dynamic,block_size=32M", "d32.vhdx", BLK_FORMAT_VHDX, "dynamic", 80 * MiB,
		  32 * MiB);
}
END_TEST

START_TEST(test_vhdx_fixed_1m)
{
	roundtrip("vhdx", "-o subformat=fixed,block_size=1M", "f1.vhdx", BLK_FORMAT_VHDX, "fixed", 24 * MiB, MiB);
}
END_TEST

START_TEST(test_vhdx_fixed_32m)
{
	roundtrip("vhdx", "-o subformat=fixed,block_size=32M", "f32.vhdx", BLK_FORMAT_VHDX, "fixed", 70 * MiB,
		  32 * MiB);
}
END_TEST

START_TEST(test_vpc_dynamic)
{
	roundtrip("vpc", "-o subformat=dynamic,force_size=on", "d.vhd", BLK_FORMAT_VHD, "dynamic", 40 * MiB, 2 * MiB);
}
END_TEST

/* cache=none: O_DIRECT on the image, every write of the format's own aligned. */
START_TEST(test_vhdx_dynamic_direct)
{
	cache_mode = BLK_CACHE_NONE;
	roundtrip("vhdx", "-o subformat=dynamic,block_size=1M", "dd.vhdx", BLK_FORMAT_VHDX, "dynamic", 40 * MiB, MiB);
}
END_TEST

START_TEST(test_vpc_dynamic_direct)
{
	cache_mode = BLK_CACHE_NONE;
	roundtrip("vpc", "-o subformat=dynamic,force_size=on", "dd.vhd", BLK_FORMAT_VHD, "dynamic", 40 * MiB, 2 * MiB);
}
END_TEST

START_TEST(test_vpc_fixed)
{
	roundtrip("vpc", "-o subformat=fixed,force_size=on", "f.vhd", BLK_FORMAT_VHD, "fixed", 40 * MiB, 2 * MiB);
}
END_TEST

/* An empty image from qemu-img create, sized by its CHS geometry. */
START_TEST(test_vpc_created)
{
	char img[300];
	struct blk_image_desc desc;
	struct blk *b;
	uint8_t *want;

	snprintf(img, sizeof(img), "%s/c.vhd", dir);
	ck_assert_int_eq(sh("qemu-img create -q -f vpc '%s' 30M", img), 0);
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	want = calloc(1, desc.size);
	check_contents(b, want, desc.size, 512);
	scatter_writes(b, want, desc.size, 512, 2 * MiB);
	blk_close(b);
	qemu_reads_same("vpc", img, want, desc.size);
	free(want);
}
END_TEST

/*
 * An image built as the specification lays it out (qemu-img makes none with 4096-byte
 * logical sectors, and opens none either): with 512-byte sectors qemu-img checks and
 * reads what was written here; with 4096-byte ones hvkvm reads back what it wrote,
 * also after opening the image again.
 */
static void built_image(uint32_t sector)
{
	char img[300];
	struct blk_image_desc desc;
	size_t len;
	uint8_t *f = tvx_build(48 * MiB, MiB, sector, false, NULL, &len, NULL), *want;
	struct blk *b;

	snprintf(img, sizeof(img), "%s/s%u.vhdx", dir, sector);
	write_file(img, f, len);
	free(f);
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	ck_assert_uint_eq(blk_info(b)->logical_block, sector);
	ck_assert_uint_eq(blk_info(b)->physical_block, 4096);
	want = calloc(1, 48 * MiB);
	scatter_writes(b, want, 48 * MiB, sector, MiB);
	check_contents(b, want, 48 * MiB, sector);
	blk_close(b);
	b = open_image(img, BLK_FORMAT_AUTO, true, &desc);
	check_contents(b, want, 48 * MiB, sector);
	blk_close(b);
	if (sector == 512) {
		ck_assert_int_eq(sh("qemu-img check -q -f vhdx '%s'", img), 0);
		qemu_reads_same("vhdx", img, want, 48 * MiB);
	}
	free(want);
}

START_TEST(test_vhdx_built_512)
{
	built_image(512);
}
END_TEST

START_TEST(test_vhdx_4k_sectors)
{
	built_image(4096);
}
END_TEST

/* ---- format selection ------------------------------------------------------------- */

START_TEST(test_pick)
{
	static const uint8_t vhdx_head[8] = "vhdxfile";
	uint8_t footer[512] = "conectix", raw[512] = { 0 };
	enum blk_format f;
	const char *note;

	ck_assert_int_eq(blk_format_pick("a.vhdx", BLK_FORMAT_AUTO, vhdx_head, 8, raw, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_VHDX);
	ck_assert_int_eq(blk_format_pick("A.VHD", BLK_FORMAT_AUTO, raw, 512, footer, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_VHD);
	/* A raw image is never taken for what its contents look like. */
	ck_assert_int_eq(blk_format_pick("disk.img", BLK_FORMAT_AUTO, vhdx_head, 8, footer, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_RAW);
	ck_assert_ptr_null(note);
	ck_assert_int_eq(blk_format_pick("disk.raw", BLK_FORMAT_AUTO, raw, 512, footer, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_RAW);
	ck_assert_int_eq(blk_format_pick("/dev/sdb", BLK_FORMAT_AUTO, vhdx_head, 8, raw, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_RAW);
	ck_assert_ptr_nonnull(strstr(note, "looks like a VHDX image"));
	ck_assert_int_eq(blk_format_pick("x.vhdx", BLK_FORMAT_AUTO, raw, 512, raw, 512, &f, &note, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "named .vhdx but not a VHDX image"));
	ck_assert_int_eq(blk_format_pick("x.vhd", BLK_FORMAT_AUTO, vhdx_head, 8, raw, 512, &f, &note, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "named .vhd but not a VHD image"));
	/* Given: taken as it is. */
	ck_assert_int_eq(blk_format_pick("x.vhdx", BLK_FORMAT_RAW, vhdx_head, 8, raw, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_RAW);
	ck_assert_int_eq(blk_format_pick("x.img", BLK_FORMAT_VHDX, vhdx_head, 8, raw, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_VHDX);
	/* ".vhdx" alone is a name without an extension. */
	ck_assert_int_eq(blk_format_pick("dir/.vhdx", BLK_FORMAT_AUTO, raw, 512, raw, 512, &f, &note, err, sizeof(err)), 0);
	ck_assert_int_eq(f, BLK_FORMAT_RAW);
}
END_TEST

START_TEST(test_open_by_name)
{
	char img[300], as_img[300], plain[300];
	struct blk_image_desc desc;
	struct blk *b;
	struct stat st;
	int r;

	snprintf(img, sizeof(img), "%s/a.vhdx", dir);
	snprintf(as_img, sizeof(as_img), "%s/a.img", dir);
	snprintf(plain, sizeof(plain), "%s/a.vhd", dir);
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx '%s' 16M && cp '%s' '%s'", img, img, as_img), 0);
	ck_assert_int_eq(stat(as_img, &st), 0);
	/* The same bytes named .img: a raw disk of the file's size. */
	b = open_image(as_img, BLK_FORMAT_AUTO, true, &desc);
	ck_assert_int_eq(desc.format, BLK_FORMAT_RAW);
	ck_assert_uint_eq(blk_info(b)->size, (uint64_t)st.st_size);
	blk_close(b);
	/* Unless the format is given. */
	b = open_image(as_img, BLK_FORMAT_VHDX, true, &desc);
	ck_assert_int_eq(desc.format, BLK_FORMAT_VHDX);
	ck_assert_uint_eq(desc.size, 16 * MiB);
	blk_close(b);
	/* A raw file named .vhd. */
	ck_assert_int_eq(sh("truncate -s 1M '%s'", plain), 0);
	r = blk_image_open(&b, loop, plain, BLK_FORMAT_AUTO, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "named .vhd but not a VHD image"));
	/* format=vhd on a file without a footer. */
	r = blk_image_open(&b, loop, as_img, BLK_FORMAT_VHD, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no footer"));
	r = blk_image_open(&b, loop, plain, BLK_FORMAT_VHDX, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a VHDX image"));
}
END_TEST

/* ---- damaged images --------------------------------------------------------------- */

static void patch(const char *path, uint64_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void expect_refused(const char *path, int code, const char *needle)
{
	struct blk_image_desc desc;
	struct blk *b = NULL;
	int r = blk_image_open(&b, loop, path, BLK_FORMAT_AUTO, false, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));

	ck_assert_msg(r == code, "%s: %d (%s), expected %d", path, r, err, code);
	ck_assert_msg(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);
	ck_assert_ptr_null(b);
}

START_TEST(test_damaged_vhdx)
{
	char img[300];
	uint8_t junk[64] = { 0xde, 0xad };
	struct blk_image_desc desc;
	struct blk *b;
	uint64_t e;

	snprintf(img, sizeof(img), "%s/bad.vhdx", dir);
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx -o block_size=1M '%s' 16M", img), 0);
	/* One header damaged: the other serves, and opening for writing repairs both. */
	patch(img, VHDX_HEADER1_OFFSET + 8, junk, 8);
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	blk_close(b);
	ck_assert_int_eq(sh("qemu-img check -q -f vhdx '%s'", img), 0);
	patch(img, VHDX_HEADER1_OFFSET + 8, junk, 8);
	patch(img, VHDX_HEADER2_OFFSET + 8, junk, 8);
	expect_refused(img, -EINVAL, "no valid header: header 1: bad checksum; header 2: bad checksum");
	/* The first region table damaged: the second serves; both: refused. */
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx -o block_size=1M '%s' 16M", img), 0);
	patch(img, VHDX_REGION1_OFFSET + 100, junk, 8);
	b = open_image(img, BLK_FORMAT_AUTO, true, &desc);
	blk_close(b);
	patch(img, VHDX_REGION2_OFFSET + 100, junk, 8);
	expect_refused(img, -EINVAL, "no valid region table: table 1: bad checksum; table 2: bad checksum");
	/* A BAT entry past the end of the file. */
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx -o block_size=1M '%s' 16M", img), 0);
	e = htole64((1ull << 40) | VHDX_PAYLOAD_FULLY_PRESENT);
	patch(img, 2 * MiB + 8, &e, 8);	/* qemu-img puts the BAT at 2 MiB */
	expect_refused(img, -EINVAL, "BAT entry 1: a block at 1099511627776 past the end of the file");
	/* A BAT entry over the metadata region (3 MiB). */
	e = htole64((3ull << 20) | VHDX_PAYLOAD_FULLY_PRESENT);
	patch(img, 2 * MiB + 8, &e, 8);
	expect_refused(img, -EINVAL, "overlaps the log, BAT or metadata");
	/* Truncated. */
	ck_assert_int_eq(sh("truncate -s 300K '%s'", img), 0);
	expect_refused(img, -EINVAL, "truncated: 307200 bytes");
	ck_assert_int_eq(sh("truncate -s 0 '%s'", img), 0);
	expect_refused(img, -EINVAL, "empty");
}
END_TEST

START_TEST(test_damaged_vhd)
{
	char img[300];
	uint8_t junk[8] = { 1, 2, 3 };
	struct blk_image_desc desc;
	struct blk *b;
	struct stat st;
	uint8_t *want;

	snprintf(img, sizeof(img), "%s/bad.vhd", dir);
	ck_assert_int_eq(sh("qemu-img create -q -f vpc -o force_size=on '%s' 8M", img), 0);
	ck_assert_int_eq(stat(img, &st), 0);
	/* The footer at the end damaged: the copy at the start serves, and writing puts
	 * it back. */
	patch(img, (uint64_t)st.st_size - 512 + 70, junk, 8);
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	ck_assert_str_eq(desc.subformat, "dynamic");
	want = calloc(1, 8 * MiB);
	scatter_writes(b, want, 8 * MiB, 512, 2 * MiB);
	blk_close(b);
	qemu_reads_same("vpc", img, want, 8 * MiB);
	free(want);
	/* Both footers damaged. */
	ck_assert_int_eq(stat(img, &st), 0);
	patch(img, (uint64_t)st.st_size - 512 + 70, junk, 8);
	patch(img, 70, junk, 8);
	expect_refused(img, -EINVAL, "footer: bad checksum");
	/* Not a whole number of sectors. */
	ck_assert_int_eq(sh("truncate -s 1000 '%s'", img), 0);
	expect_refused(img, -EINVAL, "not a whole number of");
}
END_TEST

/* ---- the log ---------------------------------------------------------------------- */

/*
 * A metadata update left in the log, as after a crash between writing the log and
 * the BAT: block 3 is mapped to data past the old end of the file. Opening replays it;
 * qemu-img then sees the same.
 */
START_TEST(test_log_replay_on_open)
{
	char img[300];
	uint8_t *hdr = img_alloc_buf(4096), *bat_sector = img_alloc_buf(4096), *block = malloc(MiB);
	uint8_t *entry = calloc(1, vhdx_log_entry_size(1)), *got;
	struct vhdx_hdr h1, h2, h;
	struct blk_image_desc desc;
	struct blk *b;
	struct stat st;
	uint64_t target = 2 * MiB, new_block;
	const void *sectors[1] = { bat_sector };
	size_t n;
	int fd, which;

	snprintf(img, sizeof(img), "%s/log.vhdx", dir);
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx -o block_size=1M '%s' 16M", img), 0);
	fd = open(img, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	new_block = ((uint64_t)st.st_size + MiB - 1) / MiB * MiB;
	fill(block, MiB);
	ck_assert_int_eq(pwrite(fd, block, MiB, (off_t)new_block), MiB);
	/* The BAT's first sector with block 3 present at new_block. */
	ck_assert_int_eq(pread(fd, bat_sector, 4096, (off_t)target), 4096);
	{
		uint64_t e = htole64(new_block | VHDX_PAYLOAD_FULLY_PRESENT);

		memcpy(bat_sector + 3 * 8, &e, 8);
	}
	/* The current header gets a log GUID; the entry goes at the log's start. */
	ck_assert_int_eq(pread(fd, hdr, 4096, VHDX_HEADER1_OFFSET), 4096);
	ck_assert_int_eq(vhdx_parse_header(hdr, &h1, err, sizeof(err)), 0);
	ck_assert_int_eq(pread(fd, hdr, 4096, VHDX_HEADER2_OFFSET), 4096);
	ck_assert_int_eq(vhdx_parse_header(hdr, &h2, err, sizeof(err)), 0);
	which = h2.sequence_number > h1.sequence_number;
	h = which ? h2 : h1;
	for (int i = 0; i < 16; i++)
		h.log_guid[i] = (uint8_t)(0xa0 + i);
	h.sequence_number++;
	vhdx_build_header(&h, hdr);
	ck_assert_int_eq(pwrite(fd, hdr, 4096, which ? VHDX_HEADER1_OFFSET : VHDX_HEADER2_OFFSET), 4096);
	n = vhdx_log_build_entry(entry, h.log_guid, 1, 0, new_block + MiB, new_block + MiB, &target, sectors, 1);
	ck_assert_int_eq(pwrite(fd, entry, n, (off_t)h.log_offset), (ssize_t)n);
	close(fd);

	/* Read-only: the log cannot be replayed. */
	{
		int r = blk_image_open(&b, loop, img, BLK_FORMAT_AUTO, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));

		ck_assert_int_eq(r, -EROFS);
		ck_assert_ptr_nonnull(strstr(err, "must be replayed"));
	}
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	got = malloc(MiB);
	ck_assert_int_eq(io(b, BLK_READ, 3 * MiB, got, MiB, false), MiB);
	ck_assert(!memcmp(got, block, MiB));
	ck_assert_int_eq(io(b, BLK_READ, 2 * MiB, got, MiB, false), MiB);
	for (int i = 0; i < (int)MiB; i++)
		ck_assert_uint_eq(got[i], 0);
	blk_close(b);
	free(got);
	ck_assert_int_eq(sh("qemu-img check -q -f vhdx '%s'", img), 0);
	got = qemu_reads("vhdx", img, 16 * MiB);
	ck_assert(!memcmp(got + 3 * MiB, block, MiB));
	free(got);
	free(entry);
	free(block);
	free(hdr);
	free(bat_sector);
}
END_TEST


/* ---- differencing images ---------------------------------------------------------- */

/* The DataWriteGuid of a VHDX file's current header, as a child's parent_linkage
 * names it. */
static void linkage_of(const char *path, char out[40])
{
	uint8_t *h = img_alloc_buf(2 * 4096);
	struct vhdx_hdr hdr;
	int fd = open(path, O_RDONLY), which;
	const uint8_t *g;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, h, 4096, VHDX_HEADER1_OFFSET), 4096);
	ck_assert_int_eq(pread(fd, h + 4096, 4096, VHDX_HEADER2_OFFSET), 4096);
	close(fd);
	ck_assert_int_eq(vhdx_pick_header(h, h + 4096, 1ull << 40, &hdr, &which, err, sizeof(err)), 0);
	g = hdr.data_write_guid;
	snprintf(out, 40, "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x}", g[3], g[2], g[1],
		 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
	free(h);
}

/* The BAT entries of the first n payload blocks of a VHDX (n at most its chunk ratio). */
static void bat_of(const char *path, uint64_t *out, unsigned n)
{
	uint8_t *h = img_alloc_buf(2 * 4096), *rt = img_alloc_buf(VHDX_REGION_TABLE_SIZE);
	struct vhdx_regions reg;
	struct vhdx_hdr hdr;
	struct stat st;
	int fd = open(path, O_RDONLY), which;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(pread(fd, h, 4096, VHDX_HEADER1_OFFSET), 4096);
	ck_assert_int_eq(pread(fd, h + 4096, 4096, VHDX_HEADER2_OFFSET), 4096);
	ck_assert_int_eq(vhdx_pick_header(h, h + 4096, (uint64_t)st.st_size, &hdr, &which, err, sizeof(err)), 0);
	ck_assert_int_eq(pread(fd, rt, VHDX_REGION_TABLE_SIZE, VHDX_REGION1_OFFSET), VHDX_REGION_TABLE_SIZE);
	ck_assert_msg(vhdx_parse_region_table(rt, (uint64_t)st.st_size, &hdr, &reg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(pread(fd, out, n * 8, (off_t)reg.bat_offset), (ssize_t)(n * 8));
	for (unsigned i = 0; i < n; i++)
		out[i] = le64toh(out[i]);
	close(fd);
	free(h);
	free(rt);
}

/* Discarding whole blocks of a dynamic VHDX leaves them PAYLOAD_BLOCK_ZERO, naming no
 * space, and their space punched; a discard of part of a block punches that part.
 * qemu-img agrees, and a block written again after its discard is a new one. */
START_TEST(test_vhdx_discard_blocks)
{
	const uint64_t size = 8 * MiB + 512 * 1024;	/* the last block is cut short */
	char img[300];
	uint8_t *want = malloc(size);
	struct blk_image_desc desc;
	uint64_t bat[9];
	struct stat st0, st1;
	struct blk *b;

	snprintf(img, sizeof(img), "%s/discard.vhdx", dir);
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx -o block_size=1M '%s' %llu", img, (unsigned long long)size), 0);
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	ck_assert(blk_info(b)->discard);
	fill(want, size);
	ck_assert_int_eq(io(b, BLK_WRITE, 0, want, size, false), (int64_t)size);
	ck_assert_int_eq(io(b, BLK_FLUSH, 0, NULL, 0, false), 0);
	ck_assert_int_eq(stat(img, &st0), 0);
	/* Block 2 whole; blocks 4 and 5 whole and half of 6; 8 KiB of block 7; the short
	 * last block whole. */
	ck_assert_int_eq(io(b, BLK_DISCARD, 2 * MiB, NULL, MiB, false), 0);
	ck_assert_int_eq(io(b, BLK_DISCARD, 4 * MiB, NULL, 2 * MiB + MiB / 2, false), 0);
	ck_assert_int_eq(io(b, BLK_DISCARD, 7 * MiB + 4096, NULL, 8192, false), 0);
	ck_assert_int_eq(io(b, BLK_DISCARD, 8 * MiB, NULL, size - 8 * MiB, false), 0);
	memset(want + 2 * MiB, 0, MiB);
	memset(want + 4 * MiB, 0, 2 * MiB + MiB / 2);
	memset(want + 7 * MiB + 4096, 0, 8192);
	memset(want + 8 * MiB, 0, size - 8 * MiB);
	check_contents(b, want, size, 512);
	blk_close(b);

	bat_of(img, bat, 9);
	for (unsigned i = 0; i < 9; i++) {
		bool gone = i == 2 || i == 4 || i == 5 || i == 8;

		ck_assert_msg(vhdx_bat_state(bat[i]) == (gone ? VHDX_PAYLOAD_ZERO : VHDX_PAYLOAD_FULLY_PRESENT),
			      "block %u: state %u", i, vhdx_bat_state(bat[i]));
		ck_assert_msg(!gone || vhdx_bat_offset(bat[i]) == 0, "block %u still names space", i);
	}
	/* Their space went back to the file system, unless it is one that cannot punch. */
	ck_assert_int_eq(stat(img, &st1), 0);
	ck_assert_int_eq(st1.st_size, st0.st_size);
	ck_assert_int_le(st1.st_blocks, st0.st_blocks);
	ck_assert_int_eq(sh("qemu-img check -q -f vhdx '%s'", img), 0);
	qemu_reads_same("vhdx", img, want, size);

	/* Written again: a new block past the end of the file, the rest of it zeroes. */
	b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
	fill(want + 2 * MiB + 4096, 4096);
	ck_assert_int_eq(io(b, BLK_WRITE, 2 * MiB + 4096, want + 2 * MiB + 4096, 4096, false), 4096);
	check_contents(b, want, size, 512);
	blk_close(b);
	bat_of(img, bat, 9);
	ck_assert_uint_eq(vhdx_bat_state(bat[2]), VHDX_PAYLOAD_FULLY_PRESENT);
	ck_assert_uint_ge(vhdx_bat_offset(bat[2]), (uint64_t)st0.st_size);
	ck_assert_int_eq(sh("qemu-img check -q -f vhdx '%s'", img), 0);
	qemu_reads_same("vhdx", img, want, size);
	free(want);
}
END_TEST

/* A differencing image built as the specification lays it out (qemu-img makes none),
 * whose locator names parent (relative to it) with linkage. */
static void make_child(const char *path, uint64_t size, uint32_t block, const char *parent, const char *linkage)
{
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(size, block, 512, false, parent, &len, &lay);
	uint8_t *v = f + lay.meta_offset + 0x11000 + 72;	/* parent_linkage's value */

	ck_assert_uint_eq(strlen(linkage), 38);
	for (int i = 0; i < 38; i++) {
		v[2 * i] = (uint8_t)linkage[i];
		v[2 * i + 1] = 0;
	}
	write_file(path, f, len);
	free(f);
}

START_TEST(test_vhdx_differencing)
{
	const uint64_t size = 24 * MiB;
	char raw[300], base[300], child[300], top[300], link[40];
	uint8_t *want = calloc(1, size), *pattern;
	struct blk_image_desc desc;
	struct blk *b;
	int r;

	snprintf(raw, sizeof(raw), "%s/pattern.raw", dir);
	snprintf(base, sizeof(base), "%s/base.vhdx", dir);
	snprintf(child, sizeof(child), "%s/child.vhdx", dir);
	snprintf(top, sizeof(top), "%s/top.vhdx", dir);
	for (int i = 0; i < 10; i++) {
		uint64_t off = rnd() % (size / 4096) * 4096, len = (rnd() % 700 + 1) * 4096;

		if (len > size - off)
			len = size - off;
		fill(want + off, len);
	}
	pattern = malloc(size);
	memcpy(pattern, want, size);
	write_file(raw, want, size);
	ck_assert_int_eq(sh("qemu-img convert -q -f raw -O vhdx -o block_size=1M '%s' '%s'", raw, base), 0);
	/* qemu-img's writes may have left a log; opening the base read-write once
	 * replays it, so that it opens read-only as a parent. */
	b = open_image(base, BLK_FORMAT_AUTO, false, &desc);
	blk_close(b);
	linkage_of(base, link);
	/* The child has blocks of another size than its parent's. */
	make_child(child, size, 2 * MiB, ".\\base.vhdx", link);
	b = open_image(child, BLK_FORMAT_AUTO, false, &desc);
	ck_assert_str_eq(desc.subformat, "differencing");
	ck_assert_str_eq(desc.parent, base);
	ck_assert(!blk_info(b)->discard);
	check_contents(b, want, size, 512);
	scatter_writes(b, want, size, 512, 2 * MiB);
	check_contents(b, want, size, 512);
	blk_close(b);
	/* The parent is as it was. */
	ck_assert_int_eq(sh("qemu-img check -q -f vhdx '%s'", base), 0);
	qemu_reads_same("vhdx", base, pattern, size);
	/* A chain of two, read-only. */
	linkage_of(child, link);
	make_child(top, size, MiB, "child.vhdx", link);
	b = open_image(top, BLK_FORMAT_AUTO, true, &desc);
	check_contents(b, want, size, 512);
	blk_close(b);
	/* The parent changed since: refused. */
	make_child(top, size, MiB, "child.vhdx", "{01234567-89ab-cdef-0123-456789abcdef}");
	r = blk_image_open(&b, loop, top, BLK_FORMAT_AUTO, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -ESTALE);
	ck_assert_ptr_nonnull(strstr(err, "has changed since it was made"));
	/* No parent there. */
	make_child(top, size, MiB, "gone.vhdx", link);
	r = blk_image_open(&b, loop, top, BLK_FORMAT_AUTO, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "gone.vhdx: No such file or directory"));
	/* Its own parent: a loop. */
	make_child(top, size, MiB, "top.vhdx", link);
	r = blk_image_open(&b, loop, top, BLK_FORMAT_AUTO, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "a loop?"));
	r = blk_image_open(&b, loop, top, BLK_FORMAT_AUTO, false, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_lt(r, 0);
	/* A parent of another size. */
	ck_assert_int_eq(sh("qemu-img create -q -f vhdx '%s/small.vhdx' 8M", dir), 0);
	{
		char small[300];

		snprintf(small, sizeof(small), "%s/small.vhdx", dir);
		linkage_of(small, link);
	}
	make_child(top, size, MiB, "small.vhdx", link);
	r = blk_image_open(&b, loop, top, BLK_FORMAT_AUTO, true, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err));
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "a disk of 8388608 bytes"));
	free(pattern);
	free(want);
}
END_TEST

/*
 * A block present in part, as Hyper-V leaves them in differencing images: its sector
 * bitmap says which sectors are here and which are the parent's. Read through, then
 * written into, which makes the block whole here.
 */
START_TEST(test_vhdx_partial_block)
{
	const uint64_t size = 8 * MiB, blk = 3;
	char raw[300], base[300], child[300], link[40];
	uint8_t *want = calloc(1, size), *f, *grown, *got;
	struct tvx_layout lay;
	struct blk_image_desc desc;
	struct blk *b;
	size_t len;
	uint64_t sb_off, data_off, e;

	snprintf(raw, sizeof(raw), "%s/pattern.raw", dir);
	snprintf(base, sizeof(base), "%s/base.vhdx", dir);
	snprintf(child, sizeof(child), "%s/child.vhdx", dir);
	fill(want, size);
	write_file(raw, want, size);
	ck_assert_int_eq(sh("qemu-img convert -q -f raw -O vhdx -o block_size=1M '%s' '%s'", raw, base), 0);
	b = open_image(base, BLK_FORMAT_AUTO, false, &desc);
	blk_close(b);
	linkage_of(base, link);

	f = tvx_build(size, MiB, 512, false, "base.vhdx", &len, &lay);
	for (int i = 0; i < 38; i++)
		f[lay.meta_offset + 0x11000 + 72 + 2 * i] = (uint8_t)link[i];
	sb_off = len;
	data_off = len + MiB;
	grown = realloc(f, len + 2 * MiB);
	ck_assert_ptr_nonnull(grown);
	f = grown;
	memset(f + len, 0, 2 * MiB);
	len += 2 * MiB;
	e = htole64(data_off | VHDX_PAYLOAD_PARTIALLY_PRESENT);
	memcpy(f + lay.bat_offset + blk * 8, &e, 8);
	e = htole64(sb_off | VHDX_SB_PRESENT);
	memcpy(f + lay.bat_offset + lay.chunk_ratio * 8, &e, 8);
	/* Runs of 7 sectors here, 7 the parent's, across the block. */
	for (uint64_t s = 0; s < MiB / 512; s++) {
		uint64_t sector = blk * MiB / 512 + s;

		if ((s / 7) % 2 == 0) {
			f[sb_off + sector / 8] |= (uint8_t)(1u << (sector % 8));
			fill(f + data_off + s * 512, 512);
			memcpy(want + blk * MiB + s * 512, f + data_off + s * 512, 512);
		} else {
			memset(f + data_off + s * 512, 0xee, 512);	/* not to be read */
		}
	}
	write_file(child, f, len);
	free(f);

	b = open_image(child, BLK_FORMAT_AUTO, true, &desc);
	check_contents(b, want, size, 512);
	blk_close(b);
	b = open_image(child, BLK_FORMAT_AUTO, false, &desc);
	got = malloc(4096);
	fill(got, 4096);
	ck_assert_int_eq(io(b, BLK_WRITE, blk * MiB + 5 * 4096 + 512, got, 4096, false), 4096);
	memcpy(want + blk * MiB + 5 * 4096 + 512, got, 4096);
	check_contents(b, want, size, 512);
	scatter_writes(b, want, size, 512, MiB);
	check_contents(b, want, size, 512);
	blk_close(b);
	b = open_image(child, BLK_FORMAT_AUTO, true, &desc);
	check_contents(b, want, size, 512);
	blk_close(b);
	free(got);
	free(want);
}
END_TEST

/* ---- crashes ---------------------------------------------------------------------- */

/* What the writer tells the checker: a batch about to be written (its ranges may hold
 * old or new data until it is flushed), then that it was flushed. */
struct crash_msg {
	uint32_t kind;			/* 0: will write, 1: flushed */
	uint32_t seed;
	uint64_t off, len;
};

static void crash_pattern(uint8_t *p, uint64_t len, uint32_t seed, uint64_t off)
{
	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t v = ((uint64_t)seed << 40) ^ (off + i) ^ 0x5bd1e995ull;

		memcpy(p + i, &v, 8);
	}
}

/* The child: batches of writes into a dynamic image until it is killed. */
static void crash_writer(const char *img, int fd, uint64_t size)
{
	enum { N = 16 };
	static uint8_t data[N][64 * 1024];
	struct blk_image_desc desc;
	struct blk *b;
	uint32_t seed = 1;

	rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull | 1;
	loop = loop_new();	/* its own, not the parent's */
	if (!loop || blk_image_open(&b, loop, img, BLK_FORMAT_AUTO, false, BLK_CACHE_WRITEBACK, &desc, err, sizeof(err)) < 0)
		_exit(3);
	for (;;) {
		struct blk_req req[N];
		struct iovec iov[N];
		int64_t result[N];
		struct crash_msg m[N];

		for (int k = 0; k < N; k++) {
			uint64_t len, off;
			bool clash;

			/* Apart from each other, so that the order they land in does not matter. */
			do {
				len = (rnd() % 16 + 1) * 4096;
				off = rnd() % (size / 4096) * 4096;
				if (len > size - off)
					len = size - off;
				clash = false;
				for (int j = 0; j < k; j++)
					clash |= off < m[j].off + m[j].len && m[j].off < off + len;
			} while (clash);
			m[k] = (struct crash_msg){ 0, seed++, off, len };
			crash_pattern(data[k], len, m[k].seed, off);
			iov[k] = (struct iovec){ data[k], len };
			req[k] = (struct blk_req){ .op = BLK_WRITE, .offset = off, .len = len, .iov = &iov[k], .iovcnt = 1,
						   .done = req_done, .opaque = &result[k] };
		}
		if (write(fd, m, sizeof(m)) != sizeof(m))
			_exit(4);
		for (int k = 0; k < N; k++)
			if (blk_submit(b, &req[k]) < 0)
				_exit(5);
		blk_drain(b);
		for (int k = 0; k < N; k++)
			if (result[k] != (int64_t)req[k].len)
				_exit(6);
		if (io(b, BLK_FLUSH, 0, NULL, 0, false) != 0)
			_exit(7);
		for (int k = 0; k < N; k++)
			m[k].kind = 1;
		if (write(fd, m, sizeof(m)) != sizeof(m))
			_exit(4);
	}
}

/*
 * kill -9 during writes into a dynamic image, ten times: every time the image opens, is
 * clean for qemu-img check (VHDX; it checks no VPC), and holds every write that was
 * flushed.
 */
static void crash_rounds(const char *name, const char *create, bool qemu_check)
{
	const uint64_t size = 64 * MiB;
	char img[300];
	uint8_t *want = calloc(1, size), *unsure = calloc(1, size / 4096), *got = malloc(64 * 1024);
	struct blk_image_desc desc;
	struct blk *b;

	snprintf(img, sizeof(img), "%s/%s", dir, name);
	ck_assert_int_eq(sh("qemu-img create -q %s '%s' 64M", create, img), 0);
	for (int round = 0; round < 10; round++) {
		int p[2], status;
		pid_t pid;
		uint64_t t0;
		struct crash_msg m;

		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(p[0]);
			crash_writer(img, p[1], size);
		}
		close(p[1]);
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		t0 = test_now_ms();
		while (test_now_ms() < t0 + 150 + rnd() % 300) {
			ssize_t n = read(p[0], &m, sizeof(m));

			if (n == sizeof(m)) {
				for (uint64_t s = m.off / 4096; s < (m.off + m.len) / 4096; s++)
					unsure[s] = m.kind == 0;
				if (m.kind == 1)
					crash_pattern(want + m.off, m.len, m.seed, m.off);
			} else {
				usleep(100);
			}
		}
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status), "the writer stopped by itself: %d", status);
		/* What it said before it died. */
		for (;;) {
			ssize_t n = read(p[0], &m, sizeof(m));

			if (n != sizeof(m))
				break;
			for (uint64_t s = m.off / 4096; s < (m.off + m.len) / 4096; s++)
				unsure[s] = m.kind == 0;
			if (m.kind == 1)
				crash_pattern(want + m.off, m.len, m.seed, m.off);
		}
		close(p[0]);
		/* The dead writer's io_uring lets go of the file (and its lock) a little after
		 * the process is gone; opened read-only, the image stays as the crash left it
		 * for qemu-img check. */
		{
			uint64_t t1 = test_now_ms();
			int r;

			while ((r = blk_image_open(&b, loop, img, BLK_FORMAT_AUTO, true, cache_mode, &desc, err,
						   sizeof(err))) == -EBUSY && test_now_ms() < t1 + 5000)
				usleep(10000);
			ck_assert_msg(r == 0, "round %d: opening %s: %s", round, img, err);
			blk_close(b);
		}
		ck_assert_msg(!qemu_check || sh("qemu-img check -q -f vhdx '%s'", img) == 0,
			      "round %d: qemu-img check", round);
		b = open_image(img, BLK_FORMAT_AUTO, false, &desc);
		for (uint64_t off = 0; off < size; off += 64 * 1024) {
			ck_assert_int_eq(io(b, BLK_READ, off, got, 64 * 1024, false), 64 * 1024);
			for (uint64_t s = off / 4096; s < (off + 64 * 1024) / 4096; s++)
				ck_assert_msg(unsure[s] || !memcmp(got + (s * 4096 - off), want + s * 4096, 4096),
					      "round %d: the 4 KiB at %llu lost what was flushed", round,
					      (unsigned long long)s * 4096);
		}
		/* The uncertain ones: whatever they hold is now what they hold. */
		for (uint64_t s = 0; s < size / 4096; s++)
			if (unsure[s]) {
				ck_assert_int_eq(io(b, BLK_READ, s * 4096, want + s * 4096, 4096, false), 4096);
				unsure[s] = 0;
			}
		blk_close(b);
	}
	free(got);
	free(unsure);
	free(want);
}

START_TEST(test_crash_dynamic_vhdx)
{
	crash_rounds("crash.vhdx", "-f vhdx -o block_size=1M", true);
}
END_TEST

START_TEST(test_crash_dynamic_vhd)
{
	crash_rounds("crash.vhd", "-f vpc -o force_size=on", false);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blk_image");
	TCase *rt = tcase_create("qemu-img");
	TCase *sel = tcase_create("selection");
	TCase *bad = tcase_create("damaged");

	tcase_add_checked_fixture(rt, setup, teardown);
	tcase_set_timeout(rt, 60);
	tcase_add_test(rt, test_vhdx_dynamic_1m);
	tcase_add_test(rt, test_vhdx_dynamic_32m);
	tcase_add_test(rt, test_vhdx_fixed_1m);
	tcase_add_test(rt, test_vhdx_fixed_32m);
	tcase_add_test(rt, test_vpc_dynamic);
	tcase_add_test(rt, test_vpc_fixed);
	/* A file system in memory may not do O_DIRECT (tmpfs before Linux 6.6). */
	if (!getenv("HVKVM_TEST_DIR")) {
		tcase_add_test(rt, test_vhdx_dynamic_direct);
		tcase_add_test(rt, test_vpc_dynamic_direct);
	}
	tcase_add_test(rt, test_vpc_created);
	tcase_add_test(rt, test_vhdx_built_512);
	tcase_add_test(rt, test_vhdx_4k_sectors);
	tcase_add_test(rt, test_log_replay_on_open);
	tcase_add_test(rt, test_vhdx_differencing);
	tcase_add_test(rt, test_vhdx_partial_block);
	tcase_add_test(rt, test_vhdx_discard_blocks);
	suite_add_tcase(s, rt);
	tcase_add_checked_fixture(sel, setup, teardown);
	tcase_add_test(sel, test_pick);
	tcase_add_test(sel, test_open_by_name);
	suite_add_tcase(s, sel);
	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_test(bad, test_damaged_vhdx);
	tcase_add_test(bad, test_damaged_vhd);
	suite_add_tcase(s, bad);
	{
		TCase *crash = tcase_create("crash");

		tcase_add_checked_fixture(crash, setup, teardown);
		tcase_set_timeout(crash, 120);
		tcase_add_test(crash, test_crash_dynamic_vhdx);
		tcase_add_test(crash, test_crash_dynamic_vhd);
		suite_add_tcase(s, crash);
	}
	return test_main(s);
}
