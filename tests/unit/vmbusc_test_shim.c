/* SPDX-License-Identifier: MIT */
/* Test-only vmbusc channel calls over the simulated guest (vmbusc_test_shim.h). */
#include "vmbusc_test_shim.h"

#include <sched.h>
#include <time.h>

struct vmbusc_chan {
	struct vg_chan vc;
	bool open;
};

struct shim_stats shim_stats;
static shim_hook_fn *hook;
static void *hook_ctx;
static struct vmbusc_chan chans[4];

static uint64_t shim_now_us(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Pages for the client's own use (bounce buffers), from SHIM_PAGES_GPA up. */
#define SHIM_PAGES_GPA	0x3000000ull
#define SHIM_PAGES_END	0x3800000ull
static uint64_t shim_next_page = SHIM_PAGES_GPA;

static void *shim_alloc_pages(void *ctx, uint32_t npages, uint64_t *gpa)
{
	uint64_t len = (uint64_t)npages * PAGE;

	(void)ctx;
	if (!npages || shim_next_page + len > SHIM_PAGES_END)
		return NULL;
	*gpa = shim_next_page;
	shim_next_page += len;
	shim_stats.pages_out += npages;
	memset(gp(*gpa, len), 0, len);
	return gp(*gpa, len);
}

static void shim_free_pages(void *ctx, void *p, uint32_t npages)
{
	(void)ctx;
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(shim_stats.pages_out, npages);
	shim_stats.pages_out -= npages;
}

static const struct vmbusc_host shim_host = {
	.now_us = shim_now_us,
	.alloc_pages = shim_alloc_pages,
	.free_pages = shim_free_pages,
};

void shim_bus(struct vmbusc *b)
{
	memset(b, 0, sizeof(*b));
	memset(&shim_stats, 0, sizeof(shim_stats));
	memset(chans, 0, sizeof(chans));
	hook = NULL;
	shim_next_page = SHIM_PAGES_GPA;
	b->host = &shim_host;
	b->version = VMBUS_VERSION_WIN10_V5_3;
	b->connected = true;
	b->noffers = 1;
	b->offers[0].if_type = offers[0].offer.if_type;
	b->offers[0].if_instance = offers[0].offer.if_instance;
	b->offers[0].child_relid = offers[0].child_relid;
	b->offers[0].connection_id = offers[0].connection_id;
}

void shim_set_hook(shim_hook_fn *fn, void *ctx)
{
	hook = fn;
	hook_ctx = ctx;
}

int vmbusc_open(struct vmbusc *b, const struct vmbusc_offer *o, uint32_t ring_pages, uint32_t timeout_us,
		struct vmbusc_chan **out)
{
	struct vmbusc_chan *c = NULL;

	(void)b;
	(void)timeout_us;
	ck_assert_uint_eq(o->child_relid, offers[0].child_relid);
	for (unsigned i = 0; i < sizeof(chans) / sizeof(chans[0]) && !c; i++)
		if (!chans[i].open)
			c = &chans[i];
	ck_assert_ptr_nonnull(c);
	chan_open_pages(&c->vc, &offers[0], ring_pages + 1, ring_pages + 1);
	c->open = true;
	shim_stats.opens++;
	*out = c;
	return 0;
}

void vmbusc_close(struct vmbusc_chan *c, uint32_t timeout_us)
{
	(void)timeout_us;
	ck_assert(c->open);
	vg_close(&g, &c->vc);
	c->open = false;
	shim_stats.closes++;
}

int vmbusc_send(struct vmbusc_chan *c, uint64_t trans_id, uint16_t flags, const void *data, uint32_t len)
{
	int r = vg_send(&c->vc, VM_PKT_DATA_INBAND, flags, trans_id, data, len);

	shim_stats.sends++;
	return r == -EAGAIN ? VMBUSC_EAGAIN : r < 0 ? VMBUSC_EINVAL : 0;
}

int vmbusc_send_gpa(struct vmbusc_chan *c, uint64_t trans_id, const void *data, uint32_t len, uint64_t gpa,
		    uint32_t bytes)
{
	uint64_t pfns[MAX_PAGES];
	unsigned n;
	int r;

	ck_assert_uint_le(bytes, STORVSP_MAX_TRANSFER);
	n = pfns_of(gpa, bytes, pfns);
	r = vg_send_gpa(&c->vc, COMP_REQ, trans_id, (uint32_t)(gpa & (PAGE - 1)), bytes, pfns, n, data, len);
	shim_stats.sends_gpa++;
	shim_stats.last_gpa = gpa;
	shim_stats.last_gpa_bytes = bytes;
	return r == -EAGAIN ? VMBUSC_EAGAIN : r < 0 ? VMBUSC_EINVAL : 0;
}

int vmbusc_recv(struct vmbusc_chan *c, struct vmbusc_packet *p, void *buf, uint32_t cap)
{
	uint8_t pkt[512];
	struct vmbus_packet_desc d;
	uint32_t off, end;
	int len = vg_read(&c->vc, pkt, sizeof(pkt));

	if (len < 0) {
		sched_yield();	/* the host runs on the loop's thread */
		return 0;
	}
	if ((uint32_t)len < sizeof(d))
		return VMBUSC_EIO;
	memcpy(&d, pkt, sizeof(d));
	off = d.offset8 * 8u;
	end = d.len8 * 8u;
	if (off < sizeof(d) || off > end || end > (uint32_t)len || end - off > cap)
		return VMBUSC_EIO;
	p->type = d.type;
	p->flags = d.flags;
	p->trans_id = d.trans_id;
	p->len = end - off;
	memcpy(buf, pkt + off, p->len);
	shim_stats.recvs++;
	if (hook && !hook(hook_ctx, p, buf))
		return 0;
	return 1;
}
