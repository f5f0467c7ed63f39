/* SPDX-License-Identifier: MIT */
/*
 * GPADLs: guest page lists the guest hands the host (ring buffers, device buffers),
 * sent as a GPADL_HEADER and as many GPADL_BODY messages as the page list needs.
 * All of it is hostile input: counts, offsets and page numbers are checked when the
 * list is complete, before anything maps it.
 */
#ifndef HVKVM_VMBUS_GPADL_H
#define HVKVM_VMBUS_GPADL_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"
#include "vmbus_proto.h"

#define VMBUS_GPADL_MAX		4096	/* per guest */

struct vmbus_gpadl_range {
	uint32_t byte_count;
	uint32_t byte_offset;	/* into the first page */
	uint32_t first;		/* index of its first page in pfns */
	uint32_t npages;
};

struct vmbus_gpadl {
	uint32_t id;
	uint32_t relid;
	uint32_t buflen;	/* bytes of ranges and page numbers announced */
	uint32_t received;
	uint8_t *buf;
	bool complete;
	bool teardown_pending;	/* torn down while a channel still used it */
	unsigned users;		/* open channels whose ring lives here, device holds */
	unsigned nranges;
	struct vmbus_gpadl_range *ranges;
	uint64_t *pfns;		/* all ranges' page numbers, copied out of buf */
	uint32_t npfns;
	struct vmbus_gpadl *next;
};

struct vmbus_gpadl_table {
	struct vmbus_gpadl *head;
	unsigned count;
};

/*
 * A GPADL_HEADER message (len bytes). Returns 1 if the GPADL is complete, 0 if body
 * messages must follow, or a negative errno: -EEXIST (id in use), -ENOSPC (too many),
 * -EINVAL (malformed; nothing kept).
 */
int vmbus_gpadl_header(struct vmbus_gpadl_table *t, const void *msg, uint32_t len, struct vmbus_gpadl **out);
/* A GPADL_BODY message: 1 complete, 0 more to come, -ENOENT, -EINVAL (the GPADL is dropped). */
int vmbus_gpadl_body(struct vmbus_gpadl_table *t, const void *msg, uint32_t len, struct vmbus_gpadl **out);

struct vmbus_gpadl *vmbus_gpadl_find(struct vmbus_gpadl_table *t, uint32_t id);
void vmbus_gpadl_remove(struct vmbus_gpadl_table *t, struct vmbus_gpadl *g);
void vmbus_gpadl_clear(struct vmbus_gpadl_table *t);

/* A host view of pages [first, first + n) of the GPADL's page list; on failure *v
 * is left empty. */
int vmbus_gpadl_view(const struct vmbus_gpadl *g, const struct gmem *m, uint32_t first, uint32_t n,
		     struct gmem_view *v);

#endif
