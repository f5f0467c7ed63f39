/* SPDX-License-Identifier: MIT */
/* The simulated guest as the VMBus client's environment (vmbusc_vg_host.h). */
#include "vmbusc_vg_host.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

uint16_t vmbusc_vg_post(void *ctx, uint32_t conn, uint32_t type, const void *payload, uint32_t len)
{
	struct vmbusc_vg_host *h = ctx;

	ck_assert_uint_eq(type, VMBUS_MESSAGE_TYPE);
	return vg_post_raw(h->g, 0, conn, payload, len);
}

uint16_t vmbusc_vg_signal(void *ctx, uint32_t conn)
{
	struct vmbusc_vg_host *h = ctx;

	h->signals++;
	h->last_signal = conn;
	return vg_signal_conn(h->g, conn, false);
}

int vmbusc_vg_next(void *ctx, uint32_t *type, void *buf, uint32_t cap)
{
	struct vmbusc_vg_host *h = ctx;
	union vg_msg m;
	int len = vg_take(h->g, 0, VMBUS_MESSAGE_SINT, &m, type);

	if (len < 0) {
		usleep(50);	/* the loop thread needs the CPU to answer */
		return -1;
	}
	memcpy(buf, &m, (uint32_t)len < cap ? (uint32_t)len : cap);
	return len;
}

void *vmbusc_vg_alloc(void *ctx, uint32_t npages, uint64_t *gpa)
{
	struct vmbusc_vg_host *h = ctx;
	uint64_t len = (uint64_t)npages * VG_PAGE;
	void *p;

	if (h->next + len > h->g->cfg.ram)
		return NULL;
	p = gmem_ptr(&h->g->mem, h->next, len);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, len);
	*gpa = h->next;
	h->next += len;
	h->allocated += npages;
	if (npages > 1)
		h->last = p;
	return p;
}

void vmbusc_vg_free(void *ctx, void *p, uint32_t npages)
{
	struct vmbusc_vg_host *h = ctx;

	ck_assert_ptr_nonnull(p);
	h->freed += npages;
	ck_assert_uint_le(h->freed, h->allocated);
}

uint64_t vmbusc_vg_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void vmbusc_vg_host_init(struct vmbusc_vg_host *h, struct vg *g, uint64_t alloc_base)
{
	ck_assert_uint_eq(alloc_base % VG_PAGE, 0);
	ck_assert_uint_ge(alloc_base, VG_RAM_START);
	memset(h, 0, sizeof(*h));
	h->g = g;
	h->next = alloc_base;
	h->host = (struct vmbusc_host){
		.ctx = h,
		.post_message = vmbusc_vg_post,
		.signal_event = vmbusc_vg_signal,
		.next_message = vmbusc_vg_next,
		.alloc_pages = vmbusc_vg_alloc,
		.free_pages = vmbusc_vg_free,
		.now_us = vmbusc_vg_now,
	};
}
