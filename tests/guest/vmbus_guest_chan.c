/* SPDX-License-Identifier: MIT */
/* The simulated guest's side of rings and channels (tests/guest/vmbus_guest.h). */
#include "vmbus_guest.h"

#include <errno.h>
#include <string.h>

#define DESC	((uint32_t)sizeof(struct vmbus_packet_desc))

/* ---- rings ------------------------------------------------------------------------------- */

static bool indices_sane(const struct vg_ring *r, uint32_t a, uint32_t b)
{
	return a < r->size && b < r->size && a % 8 == 0 && b % 8 == 0;
}

int vg_ring_put(struct vg_ring *r, const struct iovec *iov, unsigned n)
{
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
	uint32_t rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_ACQUIRE);
	uint32_t len = 0, padded, total, off, avail;
	uint64_t trailer = (uint64_t)w << 32;

	if (!indices_sane(r, w, rd))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		len += (uint32_t)iov[i].iov_len;
	padded = (len + 7) & ~7u;
	total = padded + 8;
	avail = w >= rd ? r->size - (w - rd) : rd - w;
	/* Never fill the ring completely: equal indices mean empty. */
	if (total >= avail)
		return -EAGAIN;
	off = w;
	for (unsigned i = 0; i < n; i++)
		for (size_t k = 0; k < iov[i].iov_len; k++, off = (off + 1) % r->size)
			r->data[off] = ((const uint8_t *)iov[i].iov_base)[k];
	for (uint32_t k = len; k < padded; k++, off = (off + 1) % r->size)
		r->data[off] = 0;
	for (unsigned k = 0; k < 8; k++, off = (off + 1) % r->size)
		r->data[off] = ((uint8_t *)&trailer)[k];
	__atomic_store_n(&r->ctl->write_index, (w + total) % r->size, __ATOMIC_SEQ_CST);
	return 0;
}

int vg_ring_put1(struct vg_ring *r, const void *pkt, uint32_t len)
{
	struct iovec iov = { (void *)pkt, len };

	return vg_ring_put(r, &iov, 1);
}

int vg_ring_get(struct vg_ring *r, void *buf, uint32_t buflen)
{
	uint32_t rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_ACQUIRE);
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
	struct vmbus_packet_desc d;
	uint32_t len, avail;

	if (!indices_sane(r, w, rd))
		return -EBADMSG;
	if (rd == w)
		return 0;
	avail = w >= rd ? w - rd : r->size - rd + w;
	for (uint32_t i = 0; i < DESC; i++)
		((uint8_t *)&d)[i] = r->data[(rd + i) % r->size];
	len = (uint32_t)d.len8 * 8;
	if (len < DESC || len + 8 > avail)
		return -EBADMSG;
	for (uint32_t i = 0; i < len && i < buflen; i++)
		((uint8_t *)buf)[i] = r->data[(rd + i) % r->size];
	__atomic_store_n(&r->ctl->read_index, (rd + len + 8) % r->size, __ATOMIC_SEQ_CST);
	return (int)len;
}

/* ---- channels ---------------------------------------------------------------------------- */

struct vg_ring vg_up(const struct vg_chan *c)
{
	return (struct vg_ring){ c->up_ctl, c->up, c->up_size };
}

struct vg_ring vg_dn(const struct vg_chan *c)
{
	return (struct vg_ring){ c->dn_ctl, c->dn, c->dn_size };
}

void vg_rings_init(struct vg *g, struct vg_chan *c, uint64_t gpa, unsigned up_pages, unsigned dn_pages)
{
	unsigned pages = up_pages + dn_pages;
	uint8_t *base = gmem_ptr(&g->mem, gpa, (uint64_t)pages * VG_PAGE);

	VG_CHECK(base && up_pages >= 2 && dn_pages >= 2, "rings of %u and %u pages at 0x%llx", up_pages, dn_pages,
		 (unsigned long long)gpa);
	memset(base, 0, (size_t)pages * VG_PAGE);
	c->g = g;
	c->gpa = gpa;
	c->up_ctl = (struct vmbus_ring_control *)base;
	c->up = base + VG_PAGE;
	c->up_size = (up_pages - 1) * VG_PAGE;
	c->dn_ctl = (struct vmbus_ring_control *)(base + (size_t)up_pages * VG_PAGE);
	c->dn = base + (size_t)(up_pages + 1) * VG_PAGE;
	c->dn_size = (dn_pages - 1) * VG_PAGE;
	c->up_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	c->dn_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
}

uint32_t vg_open(struct vg *g, struct vg_chan *c, const struct vmbus_msg_offer_channel *o, uint32_t gpadl,
		 uint64_t gpa, unsigned up_pages, unsigned dn_pages, uint32_t target_vp)
{
	uint32_t st;

	memset(c, 0, sizeof(*c));
	c->g = g;
	c->relid = o->child_relid;
	c->conn_id = o->connection_id;
	c->gpadl = gpadl;
	c->gpa = gpa;
	st = vg_gpadl_create(g, c->relid, gpadl, gpa, up_pages + dn_pages);
	if (st)
		return st;
	vg_rings_init(g, c, gpa, up_pages, dn_pages);
	st = vg_open_chan(g, c->relid, gpadl, target_vp, up_pages);
	c->open = st == 0;
	return st;
}

void vg_close(struct vg *g, struct vg_chan *c)
{
	vg_send_relid(g, CHANNELMSG_CLOSECHANNEL, c->relid);
	vg_gpadl_teardown(g, c->relid, c->gpadl);
	vg_expect_torndown(g, c->gpadl);
	c->open = false;
}

void vg_signal(struct vg_chan *c)
{
	uint16_t st = vg_signal_conn(c->g, c->conn_id, false);

	VG_CHECK(st == HV_STATUS_SUCCESS, "HvSignalEvent on connection %u: status %u", c->conn_id, st);
	c->signals++;
}

static uint32_t ring_used(uint32_t size, uint32_t r, uint32_t w)
{
	return w >= r ? w - r : size - r + w;
}

uint32_t vg_write_space(const struct vg_chan *c)
{
	uint32_t r = __atomic_load_n(&c->up_ctl->read_index, __ATOMIC_ACQUIRE);

	return c->up_size - ring_used(c->up_size, r, c->up_ctl->write_index);
}

uint32_t vg_read_avail(const struct vg_chan *c)
{
	uint32_t w = __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_ACQUIRE);

	return ring_used(c->dn_size, c->dn_ctl->read_index, w);
}

int vg_write(struct vg_chan *c, const struct iovec *iov, unsigned n, bool signal)
{
	struct vg_ring up = vg_up(c);
	uint32_t w = c->up_ctl->write_index;
	int r = vg_ring_put(&up, iov, n);

	VG_CHECK(r != -EINVAL, "the guest's ring of relid %u has indices no guest writes", c->relid);
	if (r < 0)
		return r;
	if (signal && !c->quiet && !__atomic_load_n(&c->up_ctl->interrupt_mask, __ATOMIC_SEQ_CST) &&
	    w == __atomic_load_n(&c->up_ctl->read_index, __ATOMIC_SEQ_CST))
		vg_signal(c);
	return 0;
}

int vg_send(struct vg_chan *c, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload, uint32_t len)
{
	struct vmbus_packet_desc d = {
		.type = type,
		.offset8 = DESC / 8,
		.len8 = (uint16_t)((DESC + len + 7) / 8),
		.flags = flags,
		.trans_id = trans_id,
	};
	struct iovec iov[2] = { { &d, DESC }, { (void *)payload, len } };

	return vg_write(c, iov, 2, true);
}

int vg_send_gpa(struct vg_chan *c, uint16_t flags, uint64_t trans_id, uint32_t byte_offset, uint32_t byte_count,
		const uint64_t *pfns, unsigned npfn, const void *payload, uint32_t len)
{
	uint32_t hdr = (uint32_t)sizeof(struct vmbus_gpa_direct_header) + (uint32_t)sizeof(struct vmbus_gpa_range) +
		       8 * npfn;
	struct vmbus_gpa_direct_header h = {
		.d = {
			.type = VM_PKT_DATA_USING_GPA_DIRECT,
			.offset8 = (uint16_t)(hdr / 8),
			.len8 = (uint16_t)((hdr + len + 7) / 8),
			.flags = flags,
			.trans_id = trans_id,
		},
		.range_cnt = 1,
	};
	struct vmbus_gpa_range r = { .byte_count = byte_count, .byte_offset = byte_offset };
	struct iovec iov[4] = {
		{ &h, sizeof(h) },
		{ &r, sizeof(r) },
		{ (void *)pfns, 8 * npfn },
		{ (void *)payload, len },
	};

	return vg_write(c, iov, 4, true);
}

/* hv_pkt_iter_first/next/close */
int vg_read(struct vg_chan *c, void *buf, uint32_t buflen)
{
	struct vg_ring dn = vg_dn(c);
	uint32_t r = c->dn_ctl->read_index, w, after, before, pending;
	int len = vg_ring_get(&dn, buf, buflen);

	VG_CHECK(len != -EBADMSG, "the host's ring of relid %u makes no sense", c->relid);
	if (len == 0)
		return -1;
	VG_CHECK((uint32_t)len <= buflen, "a packet of %d bytes for a buffer of %u", len, buflen);
	/* The host waits for room (pending_send_sz): signal once this read gave it. */
	pending = __atomic_load_n(&c->dn_ctl->pending_send_sz, __ATOMIC_SEQ_CST);
	if (!pending)
		return len;
	w = __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_SEQ_CST);
	after = c->dn_size - ring_used(c->dn_size, (r + (uint32_t)len + 8) % c->dn_size, w);
	before = after - ((uint32_t)len + 8);
	if (after > pending && before <= pending)
		vg_signal(c);
	return len;
}

struct read_wait {
	struct vg_chan *c;
	void *buf;
	uint32_t buflen;
	int len;
};

static bool read_one(struct vg *g, void *ctx)
{
	struct read_wait *rw = ctx;

	(void)g;
	return (rw->len = vg_read(rw->c, rw->buf, rw->buflen)) >= 0;
}

int vg_read_wait(struct vg_chan *c, void *buf, uint32_t buflen, unsigned ms)
{
	struct read_wait rw = { c, buf, buflen, -1 };

	vg_wait(c->g, read_one, &rw, ms);
	return rw.len;
}

int vg_chan_put(struct vg_chan *c, const void *pkt, uint32_t len)
{
	struct vg_ring up = vg_up(c);

	return vg_ring_put1(&up, pkt, len);
}

int vg_chan_get(struct vg_chan *c, void *buf, uint32_t buflen)
{
	struct vg_ring dn = vg_dn(c);

	return vg_ring_get(&dn, buf, buflen);
}

/* ---- channels the way the fuzz targets drive them ------------------------------------------ */

void vg_chan_offered(struct vg_chan *chans, unsigned n, const union vg_msg *m, uint32_t len)
{
	const struct vmbus_msg_offer_channel *o = &m->offer;

	if (len < sizeof(*o) || o->header.msgtype != CHANNELMSG_OFFERCHANNEL || o->offer.sub_channel_index >= n)
		return;
	chans[o->offer.sub_channel_index].relid = o->child_relid;
	chans[o->offer.sub_channel_index].conn_id = o->connection_id;
}

void vg_chan_open(struct vg *g, struct vg_chan *c, uint64_t gpa, unsigned ring_pages, uint32_t target_vp)
{
	unsigned pages = 2 * (1 + ring_pages);

	if (!c->relid || c->open)
		return;
	c->g = g;
	c->gpadl = ++g->next_gpadl;
	vg_gpadl_post_pages(g, c->relid, c->gpadl, gpa, pages);
	vg_settle(g);
	vg_rings_init(g, c, gpa, 1 + ring_pages, 1 + ring_pages);
	g->open_status = ~0u;
	vg_open_post(g, c->relid, c->gpadl, target_vp, 1 + ring_pages);
	vg_settle(g);
	c->open = g->open_status == 0;
}

void vg_chan_close(struct vg *g, struct vg_chan *c)
{
	struct vmbus_msg_relid m = { .header.msgtype = CHANNELMSG_CLOSECHANNEL, .child_relid = c->relid };
	struct vmbus_msg_gpadl_teardown t = {
		.header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = c->relid, .gpadl = c->gpadl,
	};

	if (!c->relid)
		return;
	vg_post_raw(g, 0, g->msg_conn, &m, sizeof(m));
	if (c->gpadl)
		vg_post_raw(g, 0, g->msg_conn, &t, sizeof(t));
	c->open = false;
	c->gpadl = 0;
	vg_settle(g);
}

void vg_chan_consume(struct vg_chan *c, unsigned max)
{
	uint8_t buf[512];

	if (!c->open)
		return;
	for (unsigned i = 0; i < max && vg_chan_get(c, buf, sizeof(buf)) > 0; i++)
		;
	vg_signal_conn(c->g, c->conn_id, false);
}
