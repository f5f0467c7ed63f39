/* SPDX-License-Identifier: MIT */
#include "fuzz_guest.h"
#include "fuzz.h"
#include "hv.h"
#include "hv_features.h"
#include "hv_proto.h"
#include "loop.h"
#include "vmbus.h"

static void fguest_inject(void *ctx, unsigned vp, uint8_t vector)
{
	struct fguest *g = ctx;

	(void)vp, (void)vector;
	g->injections++;
}

static void wrmsr(struct fguest *g, unsigned vp, uint32_t msr, uint64_t val)
{
	int r = hv_msr_write(g->hv, vp, msr, val);

	FZ_CHECK(r == 0, "MSR 0x%x <- 0x%llx on VP %u: %d", msr, (unsigned long long)val, vp, r);
}

int fguest_init(struct fguest *g, uint64_t ram, unsigned nvp)
{
	struct hv_features f;

	memset(g, 0, sizeof(*g));
	g->nvp = nvp;
	g->conn = VMBUS_MESSAGE_CONNECTION_ID;
	if (gmem_init(&g->mem, ram) < 0)
		return -1;
	g->loop = loop_new();
	if (!g->loop)
		return -1;
	hv_features_default(&f);
	g->hv = hv_new(&f, &g->mem, nvp, g->loop, fguest_inject, g);
	if (!g->hv)
		return -1;
	g->bus = vmbus_new(g->loop, &g->mem, g->hv, nvp);
	if (!g->bus)
		return -1;
	/* hv_synic_enable_regs, with every SINT on so that any SINT the guest names works. */
	for (unsigned vp = 0; vp < nvp; vp++) {
		wrmsr(g, vp, HV_X64_MSR_SIMP, FG_SIMP_GPA(vp) | HV_PAGE_ENABLE);
		wrmsr(g, vp, HV_X64_MSR_SIEFP, FG_SIEFP_GPA(vp) | HV_PAGE_ENABLE);
		for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++)
			wrmsr(g, vp, HV_X64_MSR_SINT0 + sint, FG_SINT_VECTOR);
		wrmsr(g, vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	}
	return 0;
}

void fguest_free_bus(struct fguest *g)
{
	vmbus_free(g->bus);
	g->bus = NULL;
}

void fguest_free(struct fguest *g)
{
	fguest_free_bus(g);
	hv_free(g->hv);
	loop_free(g->loop);
	gmem_destroy(&g->mem);
	memset(g, 0, sizeof(*g));
}

uint16_t fguest_post(struct fguest *g, uint32_t conn, const void *msg, uint32_t len)
{
	struct hv_post_message_input in = {
		.connection_id = conn,
		.message_type = VMBUS_MESSAGE_TYPE,
		.payload_size = len,
	};

	memcpy(in.payload, msg, len < sizeof(in.payload) ? len : sizeof(in.payload));
	if (gmem_write(&g->mem, FG_POST_GPA, &in, sizeof(in)) < 0)
		return 0xffff;
	return (uint16_t)hv_hypercall(g->hv, 0, HVCALL_POST_MESSAGE, FG_POST_GPA, 0);
}

uint16_t fguest_signal(struct fguest *g, uint32_t conn_id, int how)
{
	uint64_t in = conn_id;

	if (how == 0)
		return (uint16_t)hv_hypercall(g->hv, 0, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, in, 0);
	if (gmem_write(&g->mem, FG_POST_GPA, &in, sizeof(in)) < 0)
		return 0xffff;
	return (uint16_t)hv_hypercall(g->hv, 0, HVCALL_SIGNAL_EVENT, FG_POST_GPA, 0);
}

/* vmbus_on_msg_dpc: copy the slot, free it, EOM if more wait. Messages taken. */
static unsigned drain_sim(struct fguest *g)
{
	unsigned n = 0;

	for (unsigned vp = 0; vp < g->nvp; vp++) {
		for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++) {
			struct hv_message *m = gmem_ptr(&g->mem, FG_SIMP_GPA(vp) + sint * HV_MESSAGE_SIZE,
							 HV_MESSAGE_SIZE);
			uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
			uint32_t len;

			if (!m || m->header.message_type == HVMSG_NONE)
				continue;
			len = m->header.payload_size;
			if (len > sizeof(buf))
				len = sizeof(buf);
			memcpy(buf, m->payload, len);
			m->header.message_type = HVMSG_NONE;
			if (m->header.message_flags & HV_MESSAGE_PENDING)
				wrmsr(g, vp, HV_X64_MSR_EOM, 0);
			n++;
			if (len >= sizeof(struct vmbus_msg_version_response) &&
			    ((struct vmbus_msg_header *)buf)->msgtype == CHANNELMSG_VERSION_RESPONSE) {
				const struct vmbus_msg_version_response *r = (const void *)buf;

				if (r->version_supported && r->msg_conn_id)
					g->conn = r->msg_conn_id;
			}
			if (len >= sizeof(struct vmbus_msg_open_result) &&
			    ((struct vmbus_msg_header *)buf)->msgtype == CHANNELMSG_OPENCHANNEL_RESULT)
				g->open_status = ((const struct vmbus_msg_open_result *)buf)->status;
			if (g->on_msg)
				g->on_msg(g, buf, len);
		}
	}
	return n;
}

void fguest_pump(struct fguest *g)
{
	for (unsigned round = 0; round < 100000; round++) {
		unsigned n = 0;
		int r;

		while ((r = loop_run_once(g->loop, 0)) > 0)
			n += (unsigned)r;
		FZ_CHECK(r == 0, "loop_run_once: %d", r);
		n += drain_sim(g);
		if (!n)
			return;
	}
	FZ_CHECK(false, "the bus never settles");
}

void fguest_contact(struct fguest *g, uint32_t version)
{
	struct vmbus_msg_initiate_contact m = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = version,
		.monitor_page1 = FG_MON_PAGE1,
		.monitor_page2 = FG_MON_PAGE2,
	};
	uint32_t conn = VMBUS_MESSAGE_CONNECTION_ID;

	if (version >= VMBUS_VERSION_WIN10_V5) {
		m.msg_sint = VMBUS_MESSAGE_SINT;
		conn = VMBUS_MESSAGE_CONNECTION_ID_4;
	} else {
		m.interrupt_page = FG_INT_PAGE;
	}
	fguest_post(g, conn, &m, sizeof(m));
	fguest_pump(g);
}

void fguest_connect(struct fguest *g)
{
	struct vmbus_msg_header m = { .msgtype = CHANNELMSG_REQUESTOFFERS };

	fguest_contact(g, VMBUS_VERSION_WIN10_V5_3);
	fguest_post(g, g->conn, &m, sizeof(m));
	fguest_pump(g);
}

void fguest_gpadl(struct fguest *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(sizeof(struct vmbus_gpa_range) + 8 * pages),
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = pages * 4096u };
	unsigned first = pages < 26 ? pages : 26, done, msgno = 0;
	uint64_t pfn;

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, sizeof(range));
	for (unsigned i = 0; i < first; i++) {
		pfn = gpa / 4096 + i;
		memcpy(m + sizeof(h) + sizeof(range) + 8 * i, &pfn, 8);
	}
	fguest_post(g, g->conn, m, (uint32_t)(sizeof(h) + sizeof(range) + 8 * first));
	for (done = first; done < pages;) {
		struct vmbus_msg_gpadl_body b = {
			.header.msgtype = CHANNELMSG_GPADL_BODY, .msgnumber = ++msgno, .gpadl = id,
		};
		unsigned k = pages - done < 28 ? pages - done : 28;

		memcpy(m, &b, sizeof(b));
		for (unsigned i = 0; i < k; i++) {
			pfn = gpa / 4096 + done + i;
			memcpy(m + sizeof(b) + 8 * i, &pfn, 8);
		}
		fguest_post(g, g->conn, m, (uint32_t)(sizeof(b) + 8 * k));
		done += k;
	}
	fguest_pump(g);
}

void fguest_open(struct fguest *g, uint32_t relid, uint32_t gpadl, uint64_t gpa, unsigned pages,
		 unsigned down, uint32_t target_vp)
{
	uint8_t *base = gmem_ptr(&g->mem, gpa, (uint64_t)pages * 4096);
	struct vmbus_msg_open_channel m = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = relid,
		.openid = relid,
		.ringbuffer_gpadl = gpadl,
		.target_vp = target_vp,
		.downstream_page_offset = down,
	};

	FZ_CHECK(base, "rings outside RAM");
	memset(base, 0, (size_t)pages * 4096);
	((struct vmbus_ring_control *)base)->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	((struct vmbus_ring_control *)(base + (size_t)down * 4096))->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	fguest_post(g, g->conn, &m, sizeof(m));
	fguest_pump(g);
}

/* ---- the guest's side of a ring ------------------------------------------------------ */

bool fring_put(struct fring *r, const void *pkt, uint32_t len)
{
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
	uint32_t rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_ACQUIRE);
	uint32_t padded = (len + 7) & ~7u, total = padded + 8, avail;
	uint64_t trailer = (uint64_t)w << 32;
	static const uint8_t zeros[8];

	if (w >= r->size || rd >= r->size || w % 8 || rd % 8)
		return false;
	avail = w >= rd ? r->size - (w - rd) : rd - w;
	if (total >= avail)
		return false;
	for (uint32_t i = 0; i < total; i++) {
		uint8_t b = i < len ? ((const uint8_t *)pkt)[i] : i < padded ? zeros[0] : ((uint8_t *)&trailer)[i - padded];

		r->data[(w + i) % r->size] = b;
	}
	__atomic_store_n(&r->ctl->write_index, (w + total) % r->size, __ATOMIC_RELEASE);
	return true;
}

int fring_get(struct fring *r, void *buf, uint32_t buflen)
{
	uint32_t rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_ACQUIRE);
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
	struct vmbus_packet_desc d;
	uint32_t len, avail;

	if (w >= r->size || rd >= r->size || w % 8 || rd % 8)
		return -1;
	if (rd == w)
		return 0;
	avail = w >= rd ? w - rd : r->size - rd + w;
	for (uint32_t i = 0; i < sizeof(d); i++)
		((uint8_t *)&d)[i] = r->data[(rd + i) % r->size];
	len = (uint32_t)d.len8 * 8;
	if (len < sizeof(d) || len + 8 > avail)
		return -1;
	for (uint32_t i = 0; i < len && i < buflen; i++)
		((uint8_t *)buf)[i] = r->data[(rd + i) % r->size];
	__atomic_store_n(&r->ctl->read_index, (rd + len + 8) % r->size, __ATOMIC_RELEASE);
	return (int)len;
}

/* ---- channels --------------------------------------------------------------------------- */

void fchan_offered(struct fchan *chans, unsigned n, const uint8_t *msg, uint32_t len)
{
	const struct vmbus_msg_offer_channel *o = (const void *)msg;

	if (len < sizeof(*o) || o->header.msgtype != CHANNELMSG_OFFERCHANNEL || o->offer.sub_channel_index >= n)
		return;
	chans[o->offer.sub_channel_index].relid = o->child_relid;
	chans[o->offer.sub_channel_index].conn = o->connection_id;
}

void fchan_open(struct fguest *g, struct fchan *c, unsigned k, unsigned ring_pages, uint32_t target_vp)
{
	unsigned pages = 2 * (1 + ring_pages);
	uint8_t *base;

	if (!c->relid || c->open)
		return;
	c->gpadl = ++g->next_gpadl;
	fguest_gpadl(g, c->relid, c->gpadl, FG_RING_GPA(k), pages);
	g->open_status = ~0u;
	fguest_open(g, c->relid, c->gpadl, FG_RING_GPA(k), pages, 1 + ring_pages, target_vp);
	if (g->open_status != 0)
		return;
	base = gmem_ptr(&g->mem, FG_RING_GPA(k), pages * 4096ull);
	c->in = (struct fring){ (void *)base, base + 4096, ring_pages * 4096 };
	base += (1 + ring_pages) * 4096;
	c->out = (struct fring){ (void *)base, base + 4096, ring_pages * 4096 };
	c->open = true;
}

void fchan_close(struct fguest *g, struct fchan *c)
{
	struct vmbus_msg_relid m = { .header.msgtype = CHANNELMSG_CLOSECHANNEL, .child_relid = c->relid };
	struct vmbus_msg_gpadl_teardown t = {
		.header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = c->relid, .gpadl = c->gpadl,
	};

	if (!c->relid)
		return;
	fguest_post(g, g->conn, &m, sizeof(m));
	if (c->gpadl)
		fguest_post(g, g->conn, &t, sizeof(t));
	c->open = false;
	c->gpadl = 0;
	fguest_pump(g);
}

void fchan_consume(struct fguest *g, struct fchan *c, unsigned max)
{
	uint8_t buf[512];

	if (!c->open)
		return;
	for (unsigned i = 0; i < max && fring_get(&c->out, buf, sizeof(buf)) > 0; i++)
		;
	fguest_signal(g, c->conn, 0);
}

void fchan_op_ring_ctl(struct fguest *g, struct fchan *c, struct fz *in)
{
	uint8_t field = fz_u8(in);
	uint32_t val = fz_u32(in);
	struct vmbus_ring_control *ctl;

	if (!c->open)
		return;
	ctl = field & 4 ? c->out.ctl : c->in.ctl;
	switch (field & 3) {
	case 0: __atomic_store_n(&ctl->write_index, val, __ATOMIC_RELEASE); break;
	case 1: __atomic_store_n(&ctl->read_index, val, __ATOMIC_RELEASE); break;
	case 2: __atomic_store_n(&ctl->interrupt_mask, val, __ATOMIC_RELEASE); break;
	case 3: __atomic_store_n(&ctl->pending_send_sz, val, __ATOMIC_RELEASE); break;
	}
	fguest_signal(g, c->conn, 0);
}
