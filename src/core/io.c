/* SPDX-License-Identifier: MIT */
#include "io.h"
#include "log.h"

#include <errno.h>
#include <string.h>

void io_bus_init(struct io_bus *bus, const char *kind)
{
	memset(bus, 0, sizeof(*bus));
	bus->kind = kind;
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
	uint64_t v = 0;

	if (size == 0 || size > 8)
		return false;
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
