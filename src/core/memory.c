/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int gmem_init(struct gmem *m, uint64_t size)
{
	uint64_t low = size < GMEM_LOW_LIMIT ? size : GMEM_LOW_LIMIT;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (size == 0 || size % GMEM_PAGE_SIZE)
		return -EINVAL;
	m->fd = memfd_create("hvkvm-ram", MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)size) < 0)
		goto fail;
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		goto fail;
	}
	/* Guest RAM is not worth a core dump of gigabytes. */
	madvise(m->base, size, MADV_DONTDUMP);
	m->size = size;
	m->region[0] = (struct gmem_region){ 0, low, m->base, 0 };
	m->nregions = 1;
	if (size > low) {
		m->region[1] = (struct gmem_region){ GMEM_HIGH_BASE, size - low, m->base + low, low };
		m->nregions = 2;
	}
	return 0;
fail:;
	int err = -errno;

	close(m->fd);
	m->fd = -1;
	return err;
}

int gmem_init_regions(struct gmem *m, const struct gmem_region *r, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (n == 0 || n > GMEM_MAX_REGIONS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].gpa + r[i].size < r[i].gpa)
			return -EINVAL;
		if (i && r[i].gpa < r[i - 1].gpa + r[i - 1].size)
			return -EINVAL;
		m->region[i] = r[i];
		m->size += r[i].size;
	}
	m->nregions = n;
	return 0;
}

void gmem_destroy(struct gmem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct gmem_region *r = &m->region[i];

		/* Written so that no sum can overflow: gpa and len are guest-controlled. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
		if (len == 0 && gpa == r->gpa + r->size)
			return r->host + r->size;
	}
	return NULL;
}

static int gmem_copy(const struct gmem *m, uint64_t gpa, void *buf, size_t len, int to_guest)
{
	uint8_t *b = buf;

	while (len) {
		const struct gmem_region *r = NULL;
		uint64_t chunk;

		for (unsigned i = 0; i < m->nregions; i++) {
			if (gpa >= m->region[i].gpa && gpa - m->region[i].gpa < m->region[i].size) {
				r = &m->region[i];
				break;
			}
		}
		if (!r)
			return -EFAULT;
		chunk = r->size - (gpa - r->gpa);
		if (chunk > len)
			chunk = len;
		if (to_guest)
			memcpy(r->host + (gpa - r->gpa), b, chunk);
		else
			memcpy(b, r->host + (gpa - r->gpa), chunk);
		b += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len)
{
	return gmem_copy(m, gpa, dst, len, 0);
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len)
{
	return gmem_copy(m, gpa, (void *)src, len, 1);
}

int gmem_discard(struct gmem *m)
{
	if (m->fd < 0) {
		for (unsigned i = 0; i < m->nregions; i++)
			memset(m->region[i].host, 0, m->region[i].size);
		return 0;
	}
	if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)m->size) < 0)
		return -errno;
	return 0;
}

static const struct gmem_region *gmem_region_of(const struct gmem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->nregions; i++)
		if (gpa >= m->region[i].gpa && gpa - m->region[i].gpa < m->region[i].size)
			return &m->region[i];
	return NULL;
}

int gmem_view_pages(const struct gmem *m, const uint64_t *pfns, size_t n, struct gmem_view *v)
{
	bool contiguous = true;
	uint8_t *base;
	size_t i, run;

	memset(v, 0, sizeof(*v));
	if (n == 0 || n > SIZE_MAX / GMEM_PAGE_SIZE)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (pfns[i] > UINT64_MAX / GMEM_PAGE_SIZE || !gmem_ptr(m, pfns[i] * GMEM_PAGE_SIZE, GMEM_PAGE_SIZE))
			return -EFAULT;
		if (i && pfns[i] != pfns[i - 1] + 1)
			contiguous = false;
	}
	if (contiguous) {
		base = gmem_ptr(m, pfns[0] * GMEM_PAGE_SIZE, n * GMEM_PAGE_SIZE);
		if (base) {
			v->base = base;
			v->len = n * GMEM_PAGE_SIZE;
			return 0;
		}
	}
	if (m->fd < 0)
		return -ENOTSUP;
	base = mmap(NULL, n * GMEM_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	for (i = 0; i < n; i += run) {
		uint64_t gpa = pfns[i] * GMEM_PAGE_SIZE;
		const struct gmem_region *r = gmem_region_of(m, gpa);

		/* Map each run of pages that are contiguous in one region with one call. */
		for (run = 1; i + run < n && pfns[i + run] == pfns[i] + run &&
			      gpa + run * GMEM_PAGE_SIZE - r->gpa < r->size; run++)
			;
		if (mmap(base + i * GMEM_PAGE_SIZE, run * GMEM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, m->fd, (off_t)(r->fd_offset + (gpa - r->gpa))) == MAP_FAILED) {
			int err = -errno;

			munmap(base, n * GMEM_PAGE_SIZE);
			return err;
		}
	}
	madvise(base, n * GMEM_PAGE_SIZE, MADV_DONTDUMP);
	v->base = base;
	v->len = n * GMEM_PAGE_SIZE;
	v->mapped = true;
	return 0;
}

void gmem_view_release(struct gmem_view *v)
{
	if (v->mapped && v->base)
		munmap(v->base, v->len);
	memset(v, 0, sizeof(*v));
}

uint64_t gmem_low_end(const struct gmem *m)
{
	return m->nregions && m->region[0].gpa == 0 ? m->region[0].size : 0;
}

/* ---- device memory ------------------------------------------------------------------- */

/*
 * Placing device memory: the table of blocks, where each is, and the slot handler's
 * calls. Devices place theirs from different threads (the video device's on the loop
 * thread, a PCI function's ROM and the flash on vCPU threads), and a placement checks
 * every other block's: one lock for all. Nothing is called with it held but the slot
 * handler, which takes no lock of a device's.
 */
static pthread_mutex_t devmem_lock = PTHREAD_MUTEX_INITIALIZER;

struct gmem_devmem {
	struct gmem *mem;
	unsigned index;		/* in mem->devmem[]; its slot is GMEM_MAX_REGIONS + index */
	uint8_t *host;
	uint64_t size;
	uint64_t gpa;
	bool mapped;
	bool readonly;		/* set before the first map */
	bool hidden;		/* placed at gpa but not in the guest's address space */
};

int gmem_devmem_new(struct gmem *m, uint64_t size, struct gmem_devmem **out)
{
	struct gmem_devmem *d;
	unsigned i;

	*out = NULL;
	if (size == 0 || size % GMEM_PAGE_SIZE)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* Anonymous shared memory: KVM maps it like RAM, and it is never part of RAM's memfd. */
	d->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (d->host == MAP_FAILED) {
		int err = -errno;

		free(d);
		return err;
	}
	madvise(d->host, size, MADV_DONTDUMP);
	d->mem = m;
	d->size = size;
	pthread_mutex_lock(&devmem_lock);
	for (i = 0; i < GMEM_MAX_DEVMEM && m->devmem[i]; i++)
		;
	if (i < GMEM_MAX_DEVMEM) {
		d->index = i;
		m->devmem[i] = d;
	}
	pthread_mutex_unlock(&devmem_lock);
	if (i == GMEM_MAX_DEVMEM) {
		munmap(d->host, size);
		free(d);
		return -ENOSPC;
	}
	*out = d;
	return 0;
}

static void devmem_unmap_locked(struct gmem_devmem *d);

void gmem_devmem_free(struct gmem_devmem *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&devmem_lock);
	devmem_unmap_locked(d);
	d->mem->devmem[d->index] = NULL;
	pthread_mutex_unlock(&devmem_lock);
	munmap(d->host, d->size);
	free(d);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int devmem_slot(const struct gmem_devmem *d, uint64_t gpa, uint64_t size)
{
	const struct gmem *m = d->mem;

	/* A hidden block has no slot: nothing to add or remove. */
	if (d->hidden || !m->slot_fn)
		return 0;
	return m->slot_fn(m->slot_opaque, GMEM_MAX_REGIONS + d->index, gpa, size, d->host,
			  d->readonly ? GMEM_SLOT_READONLY : 0);
}

static int devmem_map_locked(struct gmem_devmem *d, uint64_t gpa)
{
	const struct gmem *m = d->mem;
	int r;

	if (gpa % GMEM_PAGE_SIZE || gpa + d->size < gpa)
		return -EINVAL;
	if (d->mapped && d->gpa == gpa)
		return 0;
	for (unsigned i = 0; i < m->nregions; i++)
		if (ranges_overlap(gpa, d->size, m->region[i].gpa, m->region[i].size))
			return -EEXIST;
	for (unsigned i = 0; i < GMEM_MAX_DEVMEM; i++) {
		const struct gmem_devmem *o = m->devmem[i];

		if (o && o != d && o->mapped && ranges_overlap(gpa, d->size, o->gpa, o->size))
			return -EEXIST;
	}
	/* A memslot cannot move: the old one goes first, and comes back if the new fails. */
	if (d->mapped && (r = devmem_slot(d, d->gpa, 0)) < 0)
		return r;
	r = devmem_slot(d, gpa, d->size);
	if (r < 0) {
		if (d->mapped && devmem_slot(d, d->gpa, d->size) < 0)
			d->mapped = false;
		return r;
	}
	d->gpa = gpa;
	d->mapped = true;
	return 0;
}

int gmem_devmem_map(struct gmem_devmem *d, uint64_t gpa)
{
	int r;

	pthread_mutex_lock(&devmem_lock);
	r = devmem_map_locked(d, gpa);
	pthread_mutex_unlock(&devmem_lock);
	return r;
}

static void devmem_unmap_locked(struct gmem_devmem *d)
{
	if (!d->mapped)
		return;
	/* Deleting a slot only fails for a slot that is not there. */
	devmem_slot(d, d->gpa, 0);
	d->mapped = false;
}

void gmem_devmem_unmap(struct gmem_devmem *d)
{
	pthread_mutex_lock(&devmem_lock);
	devmem_unmap_locked(d);
	pthread_mutex_unlock(&devmem_lock);
}

int gmem_devmem_set_readonly(struct gmem_devmem *d, bool readonly)
{
	int r = 0;

	pthread_mutex_lock(&devmem_lock);
	/* KVM cannot change a slot's flags in place; a block that was mapped may still have one. */
	if (d->mapped)
		r = -EBUSY;
	else
		d->readonly = readonly;
	pthread_mutex_unlock(&devmem_lock);
	return r;
}

static int devmem_hide_locked(struct gmem_devmem *d, bool hide)
{
	int r;

	if (d->hidden == hide)
		return 0;
	if (hide) {
		/* Deleting a slot only fails for a slot that is not there. */
		if (d->mapped)
			devmem_slot(d, d->gpa, 0);
		d->hidden = true;
		return 0;
	}
	d->hidden = false;
	if (d->mapped && (r = devmem_slot(d, d->gpa, d->size)) < 0) {
		d->hidden = true;
		return r;
	}
	return 0;
}

int gmem_devmem_hide(struct gmem_devmem *d, bool hide)
{
	int r;

	pthread_mutex_lock(&devmem_lock);
	r = devmem_hide_locked(d, hide);
	pthread_mutex_unlock(&devmem_lock);
	return r;
}

bool gmem_devmem_hidden(const struct gmem_devmem *d)
{
	bool h;

	pthread_mutex_lock(&devmem_lock);
	h = d->hidden;
	pthread_mutex_unlock(&devmem_lock);
	return h;
}

bool gmem_devmem_gpa(const struct gmem_devmem *d, uint64_t *gpa)
{
	bool mapped;

	pthread_mutex_lock(&devmem_lock);
	mapped = d->mapped;
	if (mapped)
		*gpa = d->gpa;
	pthread_mutex_unlock(&devmem_lock);
	return mapped;
}

uint8_t *gmem_devmem_host(const struct gmem_devmem *d)
{
	return d->host;
}

uint64_t gmem_devmem_size(const struct gmem_devmem *d)
{
	return d->size;
}

static int devmem_replay_locked(const struct gmem *m)
{
	for (unsigned i = 0; i < GMEM_MAX_DEVMEM; i++) {
		const struct gmem_devmem *d = m->devmem[i];
		int r;

		if (d && d->mapped && (r = devmem_slot(d, d->gpa, d->size)) < 0)
			return r;
	}
	return 0;
}

int gmem_set_slot_fn(struct gmem *m, gmem_slot_fn *fn, void *opaque)
{
	int r;

	pthread_mutex_lock(&devmem_lock);
	m->slot_fn = fn;
	m->slot_opaque = opaque;
	r = devmem_replay_locked(m);
	pthread_mutex_unlock(&devmem_lock);
	return r;
}

int gmem_devmem_replay(const struct gmem *m)
{
	int r;

	pthread_mutex_lock(&devmem_lock);
	r = devmem_replay_locked(m);
	pthread_mutex_unlock(&devmem_lock);
	return r;
}
