/* SPDX-License-Identifier: MIT */
#include "vmbus_guest.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "hv.h"
#include "hv_features.h"
#include "loop.h"
#include "vmbus.h"

#define POST_GPA(vp)	(0x1000ull + (vp) * 0x1000ull)
#define SIMP_GPA(vp)	(0x10000ull + (vp) * 0x4000ull)
#define SIEFP_GPA(vp)	(0x11000ull + (vp) * 0x4000ull)
#define MON_PAGE1	0x21000ull
#define MON_PAGE2	0x22000ull
#define VEC		0xf3
#define DESC		((uint32_t)sizeof(struct vmbus_packet_desc))

_Static_assert(SIEFP_GPA(VG_MAX_VP) <= VG_RAM_START, "SynIC pages below the test's RAM");

static void vg_inject(void *ctx, unsigned vp, uint8_t vector)
{
	struct vg *g = ctx;

	(void)vp;
	(void)vector;
	__atomic_fetch_add(&g->injections, 1, __ATOMIC_SEQ_CST);
}

static void wrmsr(struct vg *g, unsigned vp, uint32_t msr, uint64_t val)
{
	ck_assert_int_eq(hv_msr_write(g->hv, vp, msr, val), 0);
}

void vg_init(struct vg *g, uint64_t ram, unsigned nvp)
{
	struct hv_features f;

	ck_assert_uint_le(nvp, VG_MAX_VP);
	memset(g, 0, sizeof(*g));
	g->nvp = nvp;
	g->msg_sint = VMBUS_MESSAGE_SINT;
	g->msg_conn = VMBUS_MESSAGE_CONNECTION_ID;
	g->ping_id = 0x70000000;
	ck_assert_int_eq(gmem_init(&g->mem, ram), 0);
	g->loop = loop_new();
	ck_assert_ptr_nonnull(g->loop);
	hv_features_default(&f);
	g->hv = hv_new(&f, &g->mem, nvp, g->loop, vg_inject, g);
	ck_assert_ptr_nonnull(g->hv);
	g->bus = vmbus_new(g->loop, &g->mem, g->hv, nvp);
	ck_assert_ptr_nonnull(g->bus);
	/* hv_synic_enable_regs */
	for (unsigned vp = 0; vp < nvp; vp++) {
		wrmsr(g, vp, HV_X64_MSR_SIMP, SIMP_GPA(vp) | HV_PAGE_ENABLE);
		wrmsr(g, vp, HV_X64_MSR_SIEFP, SIEFP_GPA(vp) | HV_PAGE_ENABLE);
		wrmsr(g, vp, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, VEC);
		wrmsr(g, vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	}
	g->tl = (struct test_loop){ .loop = g->loop };
}

void vg_start(struct vg *g)
{
	test_loop_start(&g->tl);
}

void vg_stop(struct vg *g)
{
	test_loop_stop(&g->tl);
	vmbus_free(g->bus);
	g->bus = NULL;
}

void vg_destroy(struct vg *g)
{
	hv_free(g->hv);
	loop_free(g->loop);
	gmem_destroy(&g->mem);
}

void vg_call(struct vg *g, void (*fn)(void *), void *opaque)
{
	ck_assert_int_eq(loop_call(g->loop, fn, opaque), 0);
}

/* ---- messages ---------------------------------------------------------------------- */

static uint16_t post_raw(struct vg *g, uint32_t conn, const void *m, uint32_t len)
{
	struct hv_post_message_input in = {
		.connection_id = conn,
		.message_type = VMBUS_MESSAGE_TYPE,
		.payload_size = len,
	};

	ck_assert_uint_le(len, HV_MESSAGE_PAYLOAD_MAX);
	memcpy(in.payload, m, len);
	ck_assert_int_eq(gmem_write(&g->mem, POST_GPA(0), &in, sizeof(in)), 0);
	return (uint16_t)hv_hypercall(g->hv, 0, HVCALL_POST_MESSAGE, POST_GPA(0), 0);
}

void vg_post(struct vg *g, const void *msg, uint32_t len)
{
	ck_assert_uint_eq(post_raw(g, g->msg_conn, msg, len), HV_STATUS_SUCCESS);
}

static struct hv_message *sim_slot(struct vg *g, unsigned vp, unsigned sint)
{
	uint8_t *page = gmem_ptr(&g->mem, SIMP_GPA(vp), VG_PAGE);

	ck_assert_ptr_nonnull(page);
	return (struct hv_message *)(page + sint * HV_MESSAGE_SIZE);
}

/* vmbus_on_msg_dpc + vmbus_signal_eom: copy the slot, free it, EOM if more wait. */
int vg_recv(struct vg *g, union vg_msg *buf, unsigned ms)
{
	struct hv_message *m = sim_slot(g, g->msg_vp, g->msg_sint);
	uint8_t len;

	memset(buf, 0, sizeof(*buf));
	if (!WAIT_UNTIL(__atomic_load_n(&m->header.message_type, __ATOMIC_ACQUIRE) != HVMSG_NONE, ms))
		return -1;
	ck_assert_uint_eq(m->header.message_type, VMBUS_MESSAGE_TYPE);
	len = m->header.payload_size;
	ck_assert_uint_le(len, HV_MESSAGE_PAYLOAD_MAX);
	memcpy(buf, m->payload, len);
	__atomic_store_n(&m->header.message_type, HVMSG_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) & HV_MESSAGE_PENDING)
		wrmsr(g, g->msg_vp, HV_X64_MSR_EOM, 0);
	return len;
}

int vg_expect(struct vg *g, uint32_t type, union vg_msg *buf)
{
	int n = vg_recv(g, buf, VG_TMO);

	ck_assert_msg(n >= 8, "no VMBus message (wanted type %u)", type);
	ck_assert_msg(buf->h.msgtype == type, "got VMBus message type %u, wanted %u", buf->h.msgtype, type);
	return n;
}

/* GPADL_TEARDOWN of a GPADL that does not exist is answered at once; messages are
 * handled in order, so everything posted before it has been handled. */
void vg_ping(struct vg *g)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .gpadl = ++g->ping_id };
	union vg_msg r;

	vg_post(g, &m, sizeof(m));
	vg_expect(g, CHANNELMSG_GPADL_TORNDOWN, &r);
	ck_assert_uint_eq(r.torndown.gpadl, g->ping_id);
}

void vg_send_relid(struct vg *g, uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid m = { .header.msgtype = type, .child_relid = relid };

	vg_post(g, &m, sizeof(m));
}

void vg_connect(struct vg *g, uint32_t version)
{
	struct vmbus_msg_initiate_contact m = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = version,
		.target_vcpu = 0,
		.msg_sint = VMBUS_MESSAGE_SINT,
		.monitor_page1 = MON_PAGE1,
		.monitor_page2 = MON_PAGE2,
	};
	union vg_msg r;

	ck_assert_uint_ge(version, VG_VERSION(5, 0));
	ck_assert_uint_eq(post_raw(g, VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m)), HV_STATUS_SUCCESS);
	g->msg_vp = 0;
	g->msg_sint = VMBUS_MESSAGE_SINT;
	ck_assert_int_ge(vg_expect(g, CHANNELMSG_VERSION_RESPONSE, &r), (int)sizeof(r.version));
	ck_assert_msg(r.version.version_supported != 0, "VMBus version 0x%x refused", version);
	ck_assert_uint_ne(r.version.msg_conn_id, 0);
	g->msg_conn = r.version.msg_conn_id;
}

unsigned vg_request_offers(struct vg *g, struct vmbus_msg_offer_channel *offers, unsigned max)
{
	struct vmbus_msg_header m = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	unsigned n = 0;
	union vg_msg r;

	vg_post(g, &m, sizeof(m));
	for (;;) {
		int len = vg_recv(g, &r, VG_TMO);

		ck_assert_msg(len >= 8, "no ALLOFFERS_DELIVERED");
		if (r.h.msgtype == CHANNELMSG_ALLOFFERS_DELIVERED)
			return n;
		ck_assert_uint_eq(r.h.msgtype, CHANNELMSG_OFFERCHANNEL);
		ck_assert_uint_lt(n, max);
		offers[n++] = r.offer;
	}
}

/* vmbus_establish_gpadl: 26 page numbers in the header, 28 per body message. */
uint32_t vg_gpadl_create(struct vg *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(8 + 8 * pages),
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = pages * VG_PAGE, .byte_offset = 0 };
	unsigned first = pages < 26 ? pages : 26;
	union vg_msg r;
	uint64_t pfn[28];

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, sizeof(range));
	for (unsigned i = 0; i < first; i++)
		pfn[i] = gpa / VG_PAGE + i;
	memcpy(m + sizeof(h) + 8, pfn, first * 8);
	vg_post(g, m, (uint32_t)sizeof(h) + 8 + first * 8);
	for (unsigned done = first; done < pages;) {
		struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = id };
		unsigned k = pages - done < 28 ? pages - done : 28;

		for (unsigned i = 0; i < k; i++)
			pfn[i] = gpa / VG_PAGE + done + i;
		memcpy(m, &b, sizeof(b));
		memcpy(m + sizeof(b), pfn, k * 8);
		vg_post(g, m, (uint32_t)sizeof(b) + k * 8);
		done += k;
	}
	ck_assert_int_ge(vg_expect(g, CHANNELMSG_GPADL_CREATED, &r), 20);
	ck_assert_uint_eq(r.created.child_relid, relid);
	ck_assert_uint_eq(r.created.gpadl, id);
	return r.created.creation_status;
}

/* ---- channels ---------------------------------------------------------------------- */

uint32_t vg_open(struct vg *g, struct vg_chan *c, const struct vmbus_msg_offer_channel *o, uint32_t gpadl,
		 uint64_t gpa, unsigned up_pages, unsigned dn_pages, uint32_t target_vp)
{
	unsigned pages = up_pages + dn_pages;
	uint8_t *base = gmem_ptr(&g->mem, gpa, (uint64_t)pages * VG_PAGE);
	struct vmbus_msg_open_channel m = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = o->child_relid,
		.openid = o->child_relid + 0x1000,
		.ringbuffer_gpadl = gpadl,
		.target_vp = target_vp,
		.downstream_page_offset = up_pages,
	};
	union vg_msg r;
	uint32_t st;

	ck_assert_ptr_nonnull(base);
	memset(c, 0, sizeof(*c));
	c->g = g;
	c->relid = o->child_relid;
	c->conn_id = o->connection_id;
	c->gpadl = gpadl;
	c->gpa = gpa;
	st = vg_gpadl_create(g, c->relid, gpadl, gpa, pages);
	if (st)
		return st;
	/* hv_ringbuffer_init */
	memset(base, 0, (size_t)pages * VG_PAGE);
	c->up_ctl = (struct vmbus_ring_control *)base;
	c->up = base + VG_PAGE;
	c->up_size = (up_pages - 1) * VG_PAGE;
	c->dn_ctl = (struct vmbus_ring_control *)(base + (size_t)up_pages * VG_PAGE);
	c->dn = base + (size_t)(up_pages + 1) * VG_PAGE;
	c->dn_size = (dn_pages - 1) * VG_PAGE;
	c->up_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	c->dn_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	vg_post(g, &m, sizeof(m));
	ck_assert_int_ge(vg_expect(g, CHANNELMSG_OPENCHANNEL_RESULT, &r), 20);
	ck_assert_uint_eq(r.open.child_relid, c->relid);
	ck_assert_uint_eq(r.open.openid, m.openid);
	return r.open.status;
}

void vg_close(struct vg *g, struct vg_chan *c)
{
	struct vmbus_msg_gpadl_teardown t = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = c->relid,
					      .gpadl = c->gpadl };
	union vg_msg r;

	vg_send_relid(g, CHANNELMSG_CLOSECHANNEL, c->relid);
	vg_post(g, &t, sizeof(t));
	vg_expect(g, CHANNELMSG_GPADL_TORNDOWN, &r);
	ck_assert_uint_eq(r.torndown.gpadl, c->gpadl);
}

void vg_signal(struct vg_chan *c)
{
	uint16_t st = (uint16_t)hv_hypercall(c->g->hv, 0, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, c->conn_id, 0);

	ck_assert_uint_eq(st, HV_STATUS_SUCCESS);
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

/* hv_ringbuffer_write */
int vg_write(struct vg_chan *c, const struct iovec *iov, unsigned n, bool signal)
{
	uint32_t w = c->up_ctl->write_index, len = 0, padded, total, off;
	uint64_t trailer = (uint64_t)w << 32;
	static const uint8_t zeros[8];

	for (unsigned i = 0; i < n; i++)
		len += (uint32_t)iov[i].iov_len;
	padded = (len + 7) & ~7u;
	total = padded + 8;
	/* Never fill the ring completely: equal indices mean empty. */
	if (total >= vg_write_space(c))
		return -EAGAIN;
	off = w;
	for (unsigned i = 0; i < n; i++)
		for (size_t k = 0; k < iov[i].iov_len; k++, off = (off + 1) % c->up_size)
			c->up[off] = ((const uint8_t *)iov[i].iov_base)[k];
	for (uint32_t k = len; k < padded; k++, off = (off + 1) % c->up_size)
		c->up[off] = zeros[k - len];
	for (unsigned k = 0; k < 8; k++, off = (off + 1) % c->up_size)
		c->up[off] = ((uint8_t *)&trailer)[k];
	__atomic_store_n(&c->up_ctl->write_index, (w + total) % c->up_size, __ATOMIC_SEQ_CST);
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
	uint32_t r = c->dn_ctl->read_index, w = __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_ACQUIRE);
	uint32_t len, before, after, pending;
	struct vmbus_packet_desc d;

	if (r == w)
		return -1;
	for (uint32_t i = 0; i < DESC; i++)
		((uint8_t *)&d)[i] = c->dn[(r + i) % c->dn_size];
	len = d.len8 * 8u;
	ck_assert_uint_ge(len, DESC);
	ck_assert_uint_le(len + 8, ring_used(c->dn_size, r, w));
	ck_assert_uint_le(len, buflen);
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = c->dn[(r + i) % c->dn_size];
	__atomic_store_n(&c->dn_ctl->read_index, (r + len + 8) % c->dn_size, __ATOMIC_SEQ_CST);
	/* The host waits for room (pending_send_sz): signal once this read gave it. */
	pending = __atomic_load_n(&c->dn_ctl->pending_send_sz, __ATOMIC_SEQ_CST);
	if (!pending)
		return (int)len;
	w = __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_SEQ_CST);
	after = c->dn_size - ring_used(c->dn_size, (r + len + 8) % c->dn_size, w);
	before = after - (len + 8);
	if (after > pending && before <= pending)
		vg_signal(c);
	return (int)len;
}

int vg_read_wait(struct vg_chan *c, void *buf, uint32_t buflen, unsigned ms)
{
	int len = -1;

	WAIT_UNTIL((len = vg_read(c, buf, buflen)) >= 0, ms);
	return len;
}
