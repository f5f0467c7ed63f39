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
#define GMEM_MAX_DEVMEM		6	/* device memory blocks (frame buffer, flash, ROM) */

struct gmem_devmem;

/*
 * Whoever gives the guest its memory (the VM: KVM memslots) is told when device memory
 * appears at a GPA (size > 0) or goes (size 0), under slot numbers of its own, above
 * RAM's. flags: GMEM_SLOT_*. 0 or a negative errno. It is called from any thread, one
 * call at a time (under device memory's lock), and must take no lock a device holds.
 */
#define GMEM_SLOT_READONLY	1u	/* guest writes are not stored: they exit as MMIO */
typedef int gmem_slot_fn(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host,
			 unsigned flags);

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
	/* Device memory, and who maps it; loop thread (and set-up). */
	struct gmem_devmem *devmem[GMEM_MAX_DEVMEM];
	gmem_slot_fn *slot_fn;
	void *slot_opaque;
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

/*
 * Device memory: host memory of its own (not RAM: gmem_ptr() never sees it) that a
 * device places in the guest's physical address space where the guest asks, as a
 * frame buffer in an MMIO window or a PCI expansion ROM. Created at set-up (it
 * allocates); mapped, moved, unmapped, hidden and shown while the guest runs, from any
 * thread (the loop's, or a vCPU's in the middle of an exit): one lock inside serialises
 * all blocks' placements and the slot handler's calls, and nothing else is called with
 * it held.
 */
int gmem_devmem_new(struct gmem *m, uint64_t size, struct gmem_devmem **out);
void gmem_devmem_free(struct gmem_devmem *d);
/* Map at gpa, moving it if it was mapped elsewhere. -EINVAL: gpa not page-aligned or
 * the range wraps; -EEXIST: it overlaps RAM or other device memory; what the slot
 * handler returned. On failure the old mapping stays. */
int gmem_devmem_map(struct gmem_devmem *d, uint64_t gpa);
void gmem_devmem_unmap(struct gmem_devmem *d);
/* Where it is mapped (hidden or not); false if it is not. */
bool gmem_devmem_gpa(const struct gmem_devmem *d, uint64_t *gpa);
/*
 * Read-only device memory (a flash's array): the guest reads it without exits, and each
 * write exits to the MMIO handlers instead of changing it. Only before it is first
 * mapped: -EBUSY after.
 */
int gmem_devmem_set_readonly(struct gmem_devmem *d, bool readonly);
/*
 * Take the memory out of the guest's address space while keeping its place (hide), and
 * put it back (show): while hidden, guest accesses there exit to the MMIO handlers (a
 * flash in command mode, whose reads return status, not the array). Mapping, moving and
 * unmapping work while hidden; only showing tells the slot handler of the mapping again.
 * Showing fails with what the handler returned, and the block stays hidden.
 */
int gmem_devmem_hide(struct gmem_devmem *d, bool hide);
bool gmem_devmem_hidden(const struct gmem_devmem *d);
uint8_t *gmem_devmem_host(const struct gmem_devmem *d);
uint64_t gmem_devmem_size(const struct gmem_devmem *d);
/* The slot handler; called at once for device memory mapped already. */
int gmem_set_slot_fn(struct gmem *m, gmem_slot_fn *fn, void *opaque);
/* Tell the slot handler again of every mapping (a new KVM VM after a reset). */
int gmem_devmem_replay(const struct gmem *m);

/* Highest RAM address + 1 below 4 GiB. */
uint64_t gmem_low_end(const struct gmem *m);

#endif
