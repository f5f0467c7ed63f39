/* SPDX-License-Identifier: MIT */
/*
 * Port I/O and MMIO dispatch. Devices register their ranges before the vCPUs start;
 * the table is read without locks afterwards, so a handler runs on whichever vCPU
 * thread trapped and must lock its own state.
 *
 * A window the guest places itself (a chipset base register, a PCI BAR) is a
 * movable range instead: created unmapped before the vCPUs start, then moved or
 * unmapped at any time from any thread. Movable ranges are looked up under the
 * bus's lock and only when no fixed range claims the access, so fixed ranges always
 * win and a bus without movable ranges dispatches exactly as before.
 */
#ifndef HVKVM_IO_H
#define HVKVM_IO_H

#include <pthread.h>
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
#define IO_BUS_MOVABLE_MAX 8

struct io_bus {
	const char *kind;	/* "port" or "mmio", for messages */
	unsigned n;
	struct io_range r[IO_BUS_MAX];	/* sorted by base, non-overlapping */
	struct log_ratelimit unclaimed_rl;	/* accesses no device claims */
	unsigned nmov;			/* set before the vCPUs start */
	pthread_mutex_t mov_lock;	/* guards mov[].base and .len */
	struct io_range mov[IO_BUS_MOVABLE_MAX];	/* len 0: unmapped; may overlap */
};

void io_bus_init(struct io_bus *bus, const char *kind);
/* -EEXIST on overlap, -ENOSPC when full. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *dev, const char *name);
/* A movable range, unmapped until io_bus_move(); returns its id, or -ENOSPC. Call
 * before the vCPUs start. */
int io_bus_add_movable(struct io_bus *bus, const struct io_ops *ops, void *dev, const char *name);
/* Map movable range id at [base, base + len), or unmap it with len 0. Any thread;
 * an access already dispatched may still reach the handler at the old place.
 * -EINVAL for a bad id or a range that wraps. Where it overlaps a fixed range the
 * fixed range answers; where two movable ranges overlap, the lower id answers. */
int io_bus_move(struct io_bus *bus, int id, uint64_t base, uint64_t len);
/* The fixed range claiming [addr, addr + size); movable ranges are not searched. */
const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr, unsigned size);

/*
 * Perform one access. Unclaimed addresses behave as on a PC with nothing there:
 * reads return all ones, writes are dropped; they are logged at debug level, rate
 * limited per bus. Returns true if a device claimed the access.
 */
bool io_bus_access(struct io_bus *bus, uint64_t addr, void *data, unsigned size,
		   bool is_write);

#endif
