/* SPDX-License-Identifier: MIT */
/*
 * Port I/O and MMIO dispatch. Devices register their ranges before the vCPUs start;
 * the table is read without locks afterwards, so a handler runs on whichever vCPU
 * thread trapped and must lock its own state.
 */
#ifndef HVKVM_IO_H
#define HVKVM_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct io_ops {
	/* off is relative to the registered base; size is 1, 2, 4 or 8. */
	uint64_t (*read)(void *dev, uint64_t off, unsigned size);
	void (*write)(void *dev, uint64_t off, uint64_t val, unsigned size);
};

struct io_range {
	uint64_t base, len;
	const struct io_ops *ops;
	void *dev;
	const char *name;
};

#define IO_BUS_MAX 64

struct io_bus {
	const char *kind;	/* "port" or "mmio", for messages */
	unsigned n;
	struct io_range r[IO_BUS_MAX];	/* sorted by base, non-overlapping */
	struct log_ratelimit unclaimed_rl;	/* accesses no device claims */
};

void io_bus_init(struct io_bus *bus, const char *kind);
/* -EEXIST on overlap, -ENOSPC when full. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *dev, const char *name);
const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr, unsigned size);

/*
 * Perform one access. Unclaimed addresses behave as on a PC with nothing there:
 * reads return all ones, writes are dropped; they are logged at debug level, rate
 * limited per bus. Returns true if a device claimed the access.
 */
bool io_bus_access(struct io_bus *bus, uint64_t addr, void *data, unsigned size,
		   bool is_write);

#endif
