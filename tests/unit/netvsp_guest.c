/* SPDX-License-Identifier: MIT */
#include "netvsp_guest.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_features.h"
#include "loop.h"
#include "vmbus.h"

#define POST_GPA(vp)	(0x1000ull + (vp) * 0x1000ull)
#define SIMP_GPA(vp)	(0x10000ull + (vp) * 0x4000ull)
#define SIEFP_GPA(vp)	(0x11000ull + (vp) * 0x4000ull)
#define VEC		0xf3
#define PAGE		4096u

struct gmem vg_mem;
struct loop *vg_loop;
struct hv *vg_hv;
struct vmbus *vg_bus;
static struct test_loop tl;
static uint32_t conn = VMBUS_MESSAGE_CONNECTION_ID;
static int inject_ctx;

static void ignore_inject(void *ctx, unsigned vp, uint8_t vector)
{
	(void)ctx, (void)vp, (void)vector;
}

static void wrmsr(unsigned vp, uint32_t msr, uint64_t val)
{
	ck_assert_int_eq(hv_msr_write(vg_hv, vp, msr, val), 0);
}

void vg_setup(uint64_t ram)
{
	struct hv_features f;

	conn = VMBUS_MESSAGE_CONNECTION_ID;
	ck_assert_int_eq(gmem_init(&vg_mem, ram), 0);
	vg_loop = loop_new();
	ck_assert_ptr_nonnull(vg_loop);
	hv_features_default(&f);
	vg_hv = hv_new(&f, &vg_mem, VG_NVP, vg_loop, ignore_inject, &inject_ctx);
	ck_assert_ptr_nonnull(vg_hv);
	vg_bus = vmbus_new(vg_loop, &vg_mem, vg_hv, VG_NVP);
	ck_assert_ptr_nonnull(vg_bus);
	for (unsigned vp = 0; vp < VG_NVP; vp++) {
		wrmsr(vp, HV_X64_MSR_SIMP, SIMP_GPA(vp) | HV_PAGE_ENABLE);
		wrmsr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA(vp) | HV_PAGE_ENABLE);
		wrmsr(vp, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, VEC);
		wrmsr(vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	}
	tl = (struct test_loop){ .loop = vg_loop };
	test_loop_start(&tl);
}

void vg_fini(void (*free_devices)(void))
{
	test_loop_stop(&tl);
	vmbus_free(vg_bus);
	if (free_devices)
		free_devices();
	hv_free(vg_hv);
	loop_free(vg_loop);
	gmem_destroy(&vg_mem);
}

/* ---- messages ------------------------------------------------------------------------- */

static void post_on(uint32_t c, const void *m, uint32_t len)
{
	struct hv_post_message_input in = {
		.connection_id = c,
		.message_type = VMBUS_MESSAGE_TYPE,
		.payload_size = len,
	};
	uint16_t r;

	ck_assert_uint_le(len, HV_MESSAGE_PAYLOAD_MAX);
	memcpy(in.payload, m, len);
	ck_assert_int_eq(gmem_write(&vg_mem, POST_GPA(0), &in, sizeof(in)), 0);
	/* A full queue asks the guest to try again, as Linux does. */
	while ((r = (uint16_t)hv_hypercall(vg_hv, 0, HVCALL_POST_MESSAGE, POST_GPA(0), 0)) ==
	       HV_STATUS_INSUFFICIENT_BUFFERS)
		usleep(100);
	ck_assert_uint_eq(r, HV_STATUS_SUCCESS);
}

void vg_post(const void *m, uint32_t len)
{
	post_on(conn, m, len);
}

int vg_recv_msg(union vg_msg *buf, unsigned ms)
{
	struct hv_message *m = (struct hv_message *)((uint8_t *)gmem_ptr(&vg_mem, SIMP_GPA(0), PAGE) +
						     VMBUS_MESSAGE_SINT * HV_MESSAGE_SIZE);
	uint8_t len;

	memset(buf, 0, sizeof(*buf));
	if (!WAIT_UNTIL(__atomic_load_n(&m->header.message_type, __ATOMIC_ACQUIRE) != HVMSG_NONE, ms))
		return -1;
	len = m->header.payload_size;
	memcpy(buf, m->payload, len);
	__atomic_store_n(&m->header.message_type, HVMSG_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) & HV_MESSAGE_PENDING)
		wrmsr(0, HV_X64_MSR_EOM, 0);
	return len;
}

void vg_expect_msg(uint32_t type, union vg_msg *m)
{
	int n = vg_recv_msg(m, VG_TMO);

	ck_assert_msg(n >= 8, "no channel message (wanted type %u)", type);
	ck_assert_msg(m->h.msgtype == type, "got channel message %u, wanted %u", m->h.msgtype, type);
}

static uint32_t ping_id = 0x70000000;

void vg_ping(void)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .gpadl = ++ping_id };
	union vg_msg r;

	vg_post(&m, sizeof(m));
	vg_expect_msg(CHANNELMSG_GPADL_TORNDOWN, &r);
	ck_assert_uint_eq(r.torndown.gpadl, ping_id);
}

void vg_connect(void)
{
	struct vmbus_msg_initiate_contact m = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = VMBUS_VERSION_WIN10_V5_3,
		.msg_sint = VMBUS_MESSAGE_SINT,
	};
	union vg_msg r;

	post_on(VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m));
	vg_expect_msg(CHANNELMSG_VERSION_RESPONSE, &r);
	ck_assert_uint_ne(r.version.version_supported, 0);
	conn = r.version.msg_conn_id;
}

unsigned vg_request_offers(struct vmbus_msg_offer_channel *o, unsigned max)
{
	struct vmbus_msg_header m = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	union vg_msg r;
	unsigned n = 0;

	vg_post(&m, sizeof(m));
	for (;;) {
		ck_assert_int_ge(vg_recv_msg(&r, VG_TMO), 8);
		if (r.h.msgtype == CHANNELMSG_ALLOFFERS_DELIVERED)
			return n;
		ck_assert_uint_eq(r.h.msgtype, CHANNELMSG_OFFERCHANNEL);
		ck_assert_uint_lt(n, max);
		o[n++] = r.offer;
	}
}

/* ---- GPADLs --------------------------------------------------------------------------- */

uint32_t vg_gpadl_pfns(uint32_t relid, uint32_t id, uint32_t byte_offset, uint32_t byte_count, const uint64_t *pfns,
		       unsigned n)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(8 + 8 * n),
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = byte_count, .byte_offset = byte_offset };
	unsigned first = n < 26 ? n : 26;
	union vg_msg r;

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, sizeof(range));
	memcpy(m + sizeof(h) + 8, pfns, first * 8);
	vg_post(m, (uint32_t)sizeof(h) + 8 + first * 8);
	for (unsigned done = first; done < n;) {
		struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = id };
		unsigned k = n - done < 28 ? n - done : 28;

		memcpy(m, &b, sizeof(b));
		memcpy(m + sizeof(b), pfns + done, k * 8);
		vg_post(m, (uint32_t)sizeof(b) + k * 8);
		done += k;
	}
	vg_expect_msg(CHANNELMSG_GPADL_CREATED, &r);
	ck_assert_uint_eq(r.created.gpadl, id);
	return r.created.creation_status;
}

uint32_t vg_gpadl(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint64_t *pfns = calloc(pages, sizeof(*pfns));
	uint32_t r;

	ck_assert_ptr_nonnull(pfns);
	for (unsigned i = 0; i < pages; i++)
		pfns[i] = gpa / PAGE + i;
	r = vg_gpadl_pfns(relid, id, 0, pages * PAGE, pfns, pages);
	free(pfns);
	return r;
}

void vg_gpadl_teardown(uint32_t relid, uint32_t id)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = id };

	vg_post(&m, sizeof(m));
}

/* ---- channels ------------------------------------------------------------------------- */

uint32_t vg_open(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, uint64_t ring_gpa, unsigned up_pages,
		 unsigned down_pages, uint32_t gpadl_id)
{
	uint8_t *base = gmem_ptr(&vg_mem, ring_gpa, (uint64_t)(up_pages + down_pages) * PAGE);
	struct vmbus_msg_open_channel m = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = o->child_relid,
		.openid = o->child_relid,
		.ringbuffer_gpadl = gpadl_id,
		.downstream_page_offset = up_pages,
	};
	union vg_msg r;

	ck_assert_ptr_nonnull(base);
	memset(c, 0, sizeof(*c));
	c->relid = o->child_relid;
	c->conn_id = o->connection_id;
	c->gpadl = gpadl_id;
	c->subidx = o->offer.sub_channel_index;
	ck_assert_uint_eq(vg_gpadl(c->relid, gpadl_id, ring_gpa, up_pages + down_pages), 0);
	memset(base, 0, (size_t)(up_pages + down_pages) * PAGE);
	c->up_ctl = (struct vmbus_ring_control *)base;
	c->up = base + PAGE;
	c->up_size = (up_pages - 1) * PAGE;
	c->dn_ctl = (struct vmbus_ring_control *)(base + up_pages * PAGE);
	c->dn = base + (up_pages + 1) * PAGE;
	c->dn_size = (down_pages - 1) * PAGE;
	c->up_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	c->dn_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	vg_post(&m, sizeof(m));
	vg_expect_msg(CHANNELMSG_OPENCHANNEL_RESULT, &r);
	ck_assert_uint_eq(r.open.child_relid, c->relid);
	return r.open.status;
}

void vg_close(struct vg_chan *c)
{
	struct vmbus_msg_relid m = { .header.msgtype = CHANNELMSG_CLOSECHANNEL, .child_relid = c->relid };

	vg_post(&m, sizeof(m));
}

static void signal_host(struct vg_chan *c)
{
	ck_assert_uint_eq(hv_hypercall(vg_hv, 0, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, c->conn_id, 0) & 0xffff,
			  HV_STATUS_SUCCESS);
}

int vg_write(struct vg_chan *c, const void *pkt, uint32_t len)
{
	uint32_t w = c->up_ctl->write_index, r = __atomic_load_n(&c->up_ctl->read_index, __ATOMIC_ACQUIRE);
	uint32_t avail = w >= r ? c->up_size - (w - r) : r - w;
	uint64_t trailer = (uint64_t)w << 32;
	const uint8_t *p = pkt;

	ck_assert_uint_eq(len % 8, 0);
	if (avail <= len + 8)
		return -1;
	for (uint32_t i = 0; i < len; i++)
		c->up[(w + i) % c->up_size] = p[i];
	for (uint32_t i = 0; i < 8; i++)
		c->up[(w + len + i) % c->up_size] = ((uint8_t *)&trailer)[i];
	__atomic_store_n(&c->up_ctl->write_index, (w + len + 8) % c->up_size, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&c->up_ctl->interrupt_mask, __ATOMIC_SEQ_CST) &&
	    w == __atomic_load_n(&c->up_ctl->read_index, __ATOMIC_SEQ_CST))
		signal_host(c);
	return 0;
}

int vg_send(struct vg_chan *c, uint16_t type, uint16_t flags, uint64_t tid, const void *payload, uint32_t plen)
{
	struct vmbus_packet_desc d = { .type = type, .offset8 = 2, .flags = flags, .trans_id = tid };
	uint32_t len = (uint32_t)sizeof(d) + plen, padded = (len + 7) & ~7u;
	uint8_t *pkt = calloc(1, padded);
	int r;

	ck_assert_ptr_nonnull(pkt);
	d.len8 = (uint16_t)(padded / 8);
	memcpy(pkt, &d, sizeof(d));
	memcpy(pkt + sizeof(d), payload, plen);
	r = vg_write(c, pkt, padded);
	free(pkt);
	return r;
}

bool vg_empty(struct vg_chan *c)
{
	return c->dn_ctl->read_index == __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_ACQUIRE);
}

int vg_read(struct vg_chan *c, void *buf, uint32_t max, unsigned ms)
{
	uint32_t r = c->dn_ctl->read_index, len, pending, w, avail_after;
	struct vmbus_packet_desc d;

	if (!c->napi)
		__atomic_store_n(&c->dn_ctl->interrupt_mask, 0, __ATOMIC_SEQ_CST);
	if (!WAIT_UNTIL(!vg_empty(c), ms))
		return -1;
	for (uint32_t i = 0; i < sizeof(d); i++)
		((uint8_t *)&d)[i] = c->dn[(r + i) % c->dn_size];
	len = d.len8 * 8u;
	ck_assert_uint_le(len, max);
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = c->dn[(r + i) % c->dn_size];
	__atomic_store_n(&c->dn_ctl->read_index, (r + len + 8) % c->dn_size, __ATOMIC_SEQ_CST);
	/* hv_pkt_iter_close: wake a host waiting for this much room. */
	pending = __atomic_load_n(&c->dn_ctl->pending_send_sz, __ATOMIC_SEQ_CST);
	if (pending) {
		w = __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_ACQUIRE);
		r = c->dn_ctl->read_index;
		avail_after = w >= r ? c->dn_size - (w - r) : r - w;
		if (avail_after > pending && avail_after - (len + 8) <= pending)
			signal_host(c);
	}
	return (int)len;
}

bool vg_take_event(uint32_t relid)
{
	uint8_t *page = gmem_ptr(&vg_mem, SIEFP_GPA(0), PAGE);
	uint8_t *byte = page + VMBUS_MESSAGE_SINT * (HV_EVENT_FLAGS_PER_SINT / 8) + relid / 8;
	uint8_t bit = (uint8_t)(1u << (relid % 8));

	return __atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit;
}
