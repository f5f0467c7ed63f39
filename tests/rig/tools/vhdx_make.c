/* SPDX-License-Identifier: MIT */
/*
 * vhdx-make OUT SIZE_MIB BLOCK_MIB SECTOR [PARENT]: write a dynamic VHDX with no block
 * allocated, laid out as the specification says (tests/unit/vhdx_image.c), with
 * SECTOR-byte logical sectors; with PARENT, a differencing image whose locator names
 * PARENT (in the same directory) and its current DataWriteGuid. For the nested rig's
 * images scenario: qemu-img makes neither differencing images nor 4096-byte sectors.
 */
#include "vhdx.h"
#include "vhdx_image.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int linkage(const char *path, char out[40])
{
	static uint8_t h[2 * 4096];
	struct vhdx_hdr hdr;
	struct stat st;
	char err[256];
	int fd = open(path, O_RDONLY), which;
	const uint8_t *g;

	if (fd < 0 || fstat(fd, &st) < 0 || pread(fd, h, 4096, VHDX_HEADER1_OFFSET) != 4096 ||
	    pread(fd, h + 4096, 4096, VHDX_HEADER2_OFFSET) != 4096) {
		perror(path);
		return -1;
	}
	close(fd);
	if (vhdx_pick_header(h, h + 4096, (uint64_t)st.st_size, &hdr, &which, err, sizeof(err)) < 0) {
		fprintf(stderr, "vhdx-make: %s: %s\n", path, err);
		return -1;
	}
	g = hdr.data_write_guid;
	snprintf(out, 40, "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x}", g[3], g[2], g[1],
		 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *parent = argc > 5 ? argv[5] : NULL, *base;
	struct tvx_layout lay;
	char link[40];
	size_t len;
	uint8_t *f;
	FILE *out;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: vhdx-make OUT SIZE_MIB BLOCK_MIB SECTOR [PARENT]\n");
		return 2;
	}
	if (parent && linkage(parent, link) < 0)
		return 1;
	base = parent ? strrchr(parent, '/') : NULL;
	base = base ? base + 1 : parent;
	f = tvx_build(strtoull(argv[2], NULL, 0) << 20, (uint32_t)strtoul(argv[3], NULL, 0) << 20,
		      (uint32_t)strtoul(argv[4], NULL, 0), false, base, &len, &lay);
	if (!f) {
		fprintf(stderr, "vhdx-make: out of memory\n");
		return 1;
	}
	if (parent) {
		/* The parent_linkage value tvx_build leaves as zeroes: the first locator entry's. */
		uint8_t *v = f + lay.meta_offset + 0x11000 + 20 + 2 * 12 + 2 * strlen("parent_linkage");

		for (int i = 0; i < 38; i++) {
			v[2 * i] = (uint8_t)link[i];
			v[2 * i + 1] = 0;
		}
	}
	out = fopen(argv[1], "wb");
	if (!out || fwrite(f, 1, len, out) != len || fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	free(f);
	return 0;
}
