/* SPDX-License-Identifier: MIT */
#include "gpadl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void gpadl_free(struct vmbus_gpadl *g)
{
	free(g->buf);
	free(g->ranges);
	free(g->pfns);
	free(g);
}

struct vmbus_gpadl *vmbus_gpadl_find(struct vmbus_gpadl_table *t, uint32_t id)
{
	for (struct vmbus_gpadl *g = t->head; g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

void vmbus_gpadl_remove(struct vmbus_gpadl_table *t, struct vmbus_gpadl *g)
{
	for (struct vmbus_gpadl **pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			t->count--;
			gpadl_free(g);
			return;
		}
	}
}

void vmbus_gpadl_clear(struct vmbus_gpadl_table *t)
{
	while (t->head) {
		struct vmbus_gpadl *g = t->head;

		t->head = g->next;
		gpadl_free(g);
	}
	t->count = 0;
}

/* The range buffer is complete: split it into ranges and page numbers, checking that
 * it describes exactly what was announced. */
static int gpadl_parse(struct vmbus_gpadl *g, unsigned rangecount)
{
	uint32_t off = 0, npfns = 0;

	g->ranges = calloc(rangecount, sizeof(*g->ranges));
	g->pfns = malloc(g->buflen);	/* at least as many page numbers as could fit */
	if (!g->ranges || !g->pfns)
		return -ENOMEM;
	for (unsigned i = 0; i < rangecount; i++) {
		struct vmbus_gpa_range r;
		uint64_t pages;

		if (g->buflen - off < sizeof(r))
			return -EINVAL;
		memcpy(&r, g->buf + off, sizeof(r));
		off += sizeof(r);
		if (r.byte_count == 0 || r.byte_offset >= GMEM_PAGE_SIZE)
			return -EINVAL;
		pages = ((uint64_t)r.byte_offset + r.byte_count + GMEM_PAGE_SIZE - 1) / GMEM_PAGE_SIZE;
		if (pages > (g->buflen - off) / 8)
			return -EINVAL;
		g->ranges[i] = (struct vmbus_gpadl_range){ r.byte_count, r.byte_offset, npfns, (uint32_t)pages };
		memcpy(g->pfns + npfns, g->buf + off, pages * 8);
		off += (uint32_t)pages * 8;
		npfns += (uint32_t)pages;
	}
	if (off != g->buflen)
		return -EINVAL;
	g->nranges = rangecount;
	g->npfns = npfns;
	g->complete = true;
	free(g->buf);
	g->buf = NULL;
	return 0;
}

static int gpadl_append(struct vmbus_gpadl *g, const uint8_t *data, uint32_t len)
{
	if (len > g->buflen - g->received)
		return -EINVAL;
	memcpy(g->buf + g->received, data, len);
	g->received += len;
	return 0;
}

int vmbus_gpadl_header(struct vmbus_gpadl_table *t, const void *msg, uint32_t len, struct vmbus_gpadl **out)
{
	struct vmbus_msg_gpadl_header h;
	struct vmbus_gpadl *g;
	uint32_t data_len;
	int r;

	*out = NULL;
	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, msg, sizeof(h));
	/* Ranges and page numbers are 8-byte words: so is all of it. */
	if (h.rangecount == 0 || h.range_buflen < sizeof(struct vmbus_gpa_range) + 8 || h.range_buflen % 8)
		return -EINVAL;
	if (vmbus_gpadl_find(t, h.gpadl))
		return -EEXIST;
	if (t->count >= VMBUS_GPADL_MAX)
		return -ENOSPC;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->id = h.gpadl;
	g->relid = h.child_relid;
	g->buflen = h.range_buflen;
	g->buf = malloc(g->buflen);
	if (!g->buf) {
		gpadl_free(g);
		return -ENOMEM;
	}
	/* The header carries the first part of the range buffer, the rest follows. Some
	 * clients (UEFI) always send whole 240-byte messages: only the 8-byte words count. */
	data_len = (len - (uint32_t)sizeof(h)) & ~7u;
	r = gpadl_append(g, (const uint8_t *)msg + sizeof(h), data_len < g->buflen ? data_len : g->buflen);
	if (r == 0 && g->received == g->buflen)
		r = gpadl_parse(g, h.rangecount);
	if (r < 0) {
		gpadl_free(g);
		return r;
	}
	/* Remember the range count until the buffer is complete. */
	g->nranges = h.rangecount;
	g->next = t->head;
	t->head = g;
	t->count++;
	*out = g;
	return g->complete ? 1 : 0;
}

int vmbus_gpadl_body(struct vmbus_gpadl_table *t, const void *msg, uint32_t len, struct vmbus_gpadl **out)
{
	struct vmbus_msg_gpadl_body b;
	struct vmbus_gpadl *g;
	uint32_t data_len;
	int r;

	*out = NULL;
	if (len < sizeof(b))
		return -EINVAL;
	memcpy(&b, msg, sizeof(b));
	g = vmbus_gpadl_find(t, b.gpadl);
	if (!g)
		return -ENOENT;
	*out = g;
	if (g->complete)
		return -EINVAL;
	data_len = (len - (uint32_t)sizeof(b)) & ~7u;
	if (data_len > g->buflen - g->received)
		data_len = g->buflen - g->received;	/* trailing padding of the last message */
	r = gpadl_append(g, (const uint8_t *)msg + sizeof(b), data_len);
	if (r == 0 && g->received == g->buflen)
		r = gpadl_parse(g, g->nranges);
	if (r < 0) {
		vmbus_gpadl_remove(t, g);
		*out = NULL;
		return r;
	}
	return g->complete ? 1 : 0;
}

int vmbus_gpadl_view(const struct vmbus_gpadl *g, const struct gmem *m, uint32_t first, uint32_t n,
		     struct gmem_view *v)
{
	if (!g->complete || first > g->npfns || n > g->npfns - first) {
		/* As gmem_view_pages leaves it: empty, safe to release. */
		memset(v, 0, sizeof(*v));
		return -EINVAL;
	}
	return gmem_view_pages(m, g->pfns + first, n, v);
}
