/* SPDX-License-Identifier: MIT */
/*
 * Guest memory. All guest RAM lives in one memfd mapped once in hvkvm; it appears to
 * the guest as up to two regions around the PC's MMIO window below 4 GiB.
 *
 * Everything in guest memory is written by the guest and is hostile: reach it only
 * through gmem_ptr()/gmem_read()/gmem_write(), which check that the whole range is
 * RAM. A pointer from gmem_ptr() stays valid for the life of the VM, but the guest
 * may change the bytes under it at any time: copy what you validate.
 */
#ifndef HVKVM_MEMORY_H
#define HVKVM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_PAGE_SIZE		4096ull
#define GMEM_LOW_LIMIT		0xC0000000ull	/* RAM below 4 GiB ends here at most */
#define GMEM_HIGH_BASE		0x100000000ull	/* the rest of RAM starts here */
#define GMEM_MAX_REGIONS	2

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	uint64_t fd_offset;	/* offset of this region in the memfd */
};

struct gmem {
	int fd;			/* the memfd, -1 for regions given by a test */
	uint8_t *base;		/* mapping of the whole memfd */
	uint64_t size;		/* bytes of RAM in all regions */
	unsigned nregions;
	struct gmem_region region[GMEM_MAX_REGIONS];
};

/* Create size bytes of RAM (a multiple of the page size) with the PC layout. */
int gmem_init(struct gmem *m, uint64_t size);
/* Use caller-provided host buffers as RAM (unit tests). */
int gmem_init_regions(struct gmem *m, const struct gmem_region *r, unsigned n);
void gmem_destroy(struct gmem *m);

/* Host pointer for [gpa, gpa+len) if it is entirely RAM, else NULL. len may be 0. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Copy to/from guest RAM; the range may span regions only where RAM is contiguous.
 * -EFAULT if any byte is not RAM. */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len);
/* Give every page back to the kernel: RAM reads as zeroes afterwards (reset). */
int gmem_discard(struct gmem *m);

/*
 * A contiguous host view of guest pages given as page frame numbers (GPA >> 12), for
 * rings and buffers the guest scatters over RAM. Pages contiguous in RAM are used in
 * place; otherwise the memfd's pages are mapped side by side, which needs no copy.
 */
struct gmem_view {
	uint8_t *base;
	size_t len;
	bool mapped;		/* base is a mapping of hvkvm's own to release */
};

/* -EFAULT if a page is not RAM, -ENOTSUP for scattered pages without a memfd. */
int gmem_view_pages(const struct gmem *m, const uint64_t *pfns, size_t n, struct gmem_view *v);
void gmem_view_release(struct gmem_view *v);

/* Highest RAM address + 1 below 4 GiB. */
uint64_t gmem_low_end(const struct gmem *m);

#endif
