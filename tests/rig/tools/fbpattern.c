/* SPDX-License-Identifier: MIT */
/*
 * fbpattern make W H OUT: write a known picture as /dev/fb0 takes it, W x H pixels of
 * XRGB8888 (bytes B, G, R, 0) in rows of W * 4 bytes.
 * fbpattern check W H PNG: decode a screen.screenshot PNG and compare it with the
 * picture; say how many pixels differ and where the first is; exit 0 if none does.
 * fbpattern ocr SCALE ROWS PNG OUT: the screenshot's first ROWS rows as a grey picture
 * for an OCR tool, dark on light (the console's light text on black inverted), each
 * pixel SCALE x SCALE (a binary PGM).
 *
 * Neighbouring pixels differ in every channel and the high bits of x and y are in
 * red, so a row or column out of place, a wrong pitch or swapped channels all show.
 * For the nested rig's mgmt scenario (the synthetic video device with hyperv_drm).
 */
#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pixel(uint32_t x, uint32_t y, uint8_t rgb[3])
{
	rgb[0] = (uint8_t)((x >> 8) | ((y >> 8) << 3) | (((x ^ y) & 7) << 5));
	rgb[1] = (uint8_t)(y * 5 + (x >> 2));
	rgb[2] = (uint8_t)(x * 3 + y);
}

static int make(uint32_t w, uint32_t h, const char *out)
{
	FILE *f = fopen(out, "wb");
	uint8_t *row = calloc(w, 4);

	if (!f || !row) {
		fprintf(stderr, "fbpattern: %s: %s\n", out, strerror(errno));
		return 1;
	}
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint8_t rgb[3];

			pixel(x, y, rgb);
			row[x * 4] = rgb[2];
			row[x * 4 + 1] = rgb[1];
			row[x * 4 + 2] = rgb[0];
		}
		if (fwrite(row, 4, w, f) != w) {
			fprintf(stderr, "fbpattern: %s: %s\n", out, strerror(errno));
			return 1;
		}
	}
	free(row);
	if (fclose(f)) {
		fprintf(stderr, "fbpattern: %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}

static int check(uint32_t w, uint32_t h, const char *path)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *buf;
	uint64_t bad = 0;
	int64_t fx = -1, fy = -1;
	uint8_t got[3] = { 0 }, want[3] = { 0 };

	if (!png_image_begin_read_from_file(&img, path)) {
		printf("cannot read %s: %s\n", path, img.message);
		return 1;
	}
	if (img.width != w || img.height != h) {
		printf("the screenshot is %ux%u, not %ux%u\n", img.width, img.height, w, h);
		png_image_free(&img);
		return 1;
	}
	img.format = PNG_FORMAT_RGB;
	buf = malloc(PNG_IMAGE_SIZE(img));
	if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		printf("cannot decode %s: %s\n", path, buf ? img.message : "out of memory");
		free(buf);
		png_image_free(&img);
		return 1;
	}
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *p = buf + ((size_t)y * w + x) * 3;
			uint8_t rgb[3];

			pixel(x, y, rgb);
			if (!memcmp(p, rgb, 3))
				continue;
			if (!bad++) {
				fx = x;
				fy = y;
				memcpy(got, p, 3);
				memcpy(want, rgb, 3);
			}
		}
	}
	free(buf);
	if (bad) {
		printf("%llu of %llu pixels differ; the first at (%lld, %lld) is #%02x%02x%02x, not #%02x%02x%02x\n",
		       (unsigned long long)bad, (unsigned long long)w * h, (long long)fx, (long long)fy, got[0],
		       got[1], got[2], want[0], want[1], want[2]);
		return 1;
	}
	printf("all %llu pixels of %ux%u match\n", (unsigned long long)w * h, w, h);
	return 0;
}

static int ocr(unsigned scale, uint32_t rows, const char *path, const char *out)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *buf, *row;
	FILE *f;
	int rc = 1;

	if (!png_image_begin_read_from_file(&img, path)) {
		printf("cannot read %s: %s\n", path, img.message);
		return 1;
	}
	img.format = PNG_FORMAT_GRAY;
	buf = malloc(PNG_IMAGE_SIZE(img));
	row = malloc((size_t)img.width * scale);
	if (!buf || !row || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		printf("cannot decode %s: %s\n", path, buf && row ? img.message : "out of memory");
		goto out;
	}
	f = fopen(out, "wb");
	if (!f) {
		printf("%s: %s\n", out, strerror(errno));
		goto out;
	}
	if (rows > img.height)
		rows = img.height;
	fprintf(f, "P5\n%u %u\n255\n", img.width * scale, rows * scale);
	for (uint32_t y = 0; y < rows; y++) {
		for (uint32_t x = 0; x < img.width * scale; x++)
			row[x] = (uint8_t)(255 - buf[(size_t)y * img.width + x / scale]);
		for (unsigned i = 0; i < scale; i++)
			fwrite(row, 1, (size_t)img.width * scale, f);
	}
	rc = fclose(f) ? 1 : 0;
	if (rc)
		printf("%s: %s\n", out, strerror(errno));
out:
	free(row);
	free(buf);
	png_image_free(&img);
	return rc;
}

int main(int argc, char **argv)
{
	char *e1, *e2;
	unsigned long w, h;

	if (argc == 6 && !strcmp(argv[1], "ocr")) {
		w = strtoul(argv[2], &e1, 10);
		h = strtoul(argv[3], &e2, 10);
		if (*e1 || *e2 || !w || w > 8 || !h || h > 16384)
			goto usage;
		return ocr((unsigned)w, (uint32_t)h, argv[4], argv[5]);
	}
	if (argc != 5 || (strcmp(argv[1], "make") && strcmp(argv[1], "check")))
		goto usage;
	w = strtoul(argv[2], &e1, 10);
	h = strtoul(argv[3], &e2, 10);
	if (*e1 || *e2 || !w || !h || w > 16384 || h > 16384)
		goto usage;
	return !strcmp(argv[1], "make") ? make((uint32_t)w, (uint32_t)h, argv[4]) : check((uint32_t)w, (uint32_t)h, argv[4]);
usage:
	fprintf(stderr, "usage: fbpattern make|check WIDTH HEIGHT FILE\n       fbpattern ocr SCALE ROWS PNG OUT.pgm\n");
	return 2;
}
