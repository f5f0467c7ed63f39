/* SPDX-License-Identifier: MIT */
#include "io.h"
#include "log.h"

#include <errno.h>
#include <string.h>

void io_bus_init(struct io_bus *bus, const char *kind)
{
	memset(bus, 0, sizeof(*bus));
	bus->kind = kind;
	pthread_mutex_init(&bus->mov_lock, NULL);
}

int io_bus_add_movable(struct io_bus *bus, const struct io_ops *ops, void *dev, const char *name)
{
	if (bus->nmov == IO_BUS_MOVABLE_MAX)
		return -ENOSPC;
	bus->mov[bus->nmov] = (struct io_range){ 0, 0, ops, dev, name };
	return (int)bus->nmov++;
}

int io_bus_move(struct io_bus *bus, int id, uint64_t base, uint64_t len)
{
	if (id < 0 || (unsigned)id >= bus->nmov || (len && base + len < base))
		return -EINVAL;
	pthread_mutex_lock(&bus->mov_lock);
	bus->mov[id].base = len ? base : 0;
	bus->mov[id].len = len;
	pthread_mutex_unlock(&bus->mov_lock);
	return 0;
}

/* Copies the movable range claiming the access into *out; false if none does. */
static bool io_bus_find_movable(struct io_bus *bus, uint64_t addr, unsigned size,
				struct io_range *out)
{
	bool found = false;

	if (bus->nmov == 0)
		return false;
	pthread_mutex_lock(&bus->mov_lock);
	for (unsigned i = 0; i < bus->nmov && !found; i++) {
		const struct io_range *r = &bus->mov[i];

		if (r->len && addr >= r->base && addr - r->base < r->len &&
		    size <= r->base + r->len - addr) {
			*out = *r;
			found = true;
		}
	}
	pthread_mutex_unlock(&bus->mov_lock);
	return found;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *dev, const char *name)
{
	unsigned i;

	if (len == 0 || base + len < base)
		return -EINVAL;
	if (bus->n == IO_BUS_MAX)
		return -ENOSPC;
	for (i = 0; i < bus->n; i++) {
		const struct io_range *r = &bus->r[i];

		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
		if (r->base > base)
			break;
	}
	memmove(&bus->r[i + 1], &bus->r[i], (bus->n - i) * sizeof(bus->r[0]));
	bus->r[i] = (struct io_range){ base, len, ops, dev, name };
	bus->n++;
	return 0;
}

const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr, unsigned size)
{
	unsigned lo = 0, hi = bus->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct io_range *r = &bus->r[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr >= r->base + r->len)
			lo = mid + 1;
		else
			return size <= r->base + r->len - addr ? r : NULL;
	}
	return NULL;
}

bool io_bus_access(struct io_bus *bus, uint64_t addr, void *data, unsigned size,
		   bool is_write)
{
	const struct io_range *r = io_bus_find(bus, addr, size);
	struct io_range mov;
	uint64_t v = 0;

	if (size == 0 || size > 8)
		return false;
	/* The handler runs outside the lock: it may move ranges or stop the machine. */
	if (!r && io_bus_find_movable(bus, addr, size, &mov))
		r = &mov;
	if (!r) {
		log_debug_limited(&bus->unclaimed_rl, "unhandled %s %s at 0x%llx (size %u)", bus->kind,
				  is_write ? "write" : "read", (unsigned long long)addr, size);
		if (!is_write)
			memset(data, 0xff, size);
		return false;
	}
	if (is_write) {
		memcpy(&v, data, size);
		if (r->ops->write)
			r->ops->write(r->dev, addr - r->base, v, size);
	} else {
		v = r->ops->read ? r->ops->read(r->dev, addr - r->base, size) : ~0ull;
		memcpy(data, &v, size);
	}
	return true;
}
