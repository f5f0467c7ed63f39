/* SPDX-License-Identifier: MIT */
#include "vmbus_guest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"
#include "hv_features.h"
#include "loop.h"
#include "vmbus.h"

_Static_assert(VG_SIEFP_GPA(VG_MAX_VP - 1) < VG_INT_PAGE, "SynIC pages below the interrupt page");
_Static_assert(VG_POST_GPA(VG_MAX_VP - 1) < VG_SIMP_GPA(0), "input pages below the SynIC pages");

static void vg_count_injection(void *ctx, unsigned vp, uint8_t vector)
{
	struct vg *g = ctx;

	(void)vp;
	(void)vector;
	__atomic_fetch_add(&g->injections, 1, __ATOMIC_SEQ_CST);
	if (g->on_injection)
		g->on_injection(g);
}

void vg_init_with(struct vg *g, const struct vg_config *cfg)
{
	struct hv_features f;
	bool any = false;

	VG_CHECK(cfg->nvp >= 1 && cfg->nvp <= VG_MAX_VP, "%u VPs", cfg->nvp);
	VG_CHECK(cfg->ram > VG_RAM_START, "0x%llx bytes of RAM", (unsigned long long)cfg->ram);
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	for (unsigned s = 0; s < HV_SINT_COUNT; s++)
		any |= cfg->sint_vector[s] != 0;
	if (!any)
		g->cfg.sint_vector[VMBUS_MESSAGE_SINT] = VG_SINT_VECTOR;
	g->mode = cfg->mode;
	g->nvp = cfg->nvp;
	g->msg_sint = VMBUS_MESSAGE_SINT;
	g->msg_conn = VMBUS_MESSAGE_CONNECTION_ID;
	g->ping_id = 0x70000000;
	VG_CHECK(gmem_init(&g->mem, cfg->ram) == 0, "guest RAM of 0x%llx bytes", (unsigned long long)cfg->ram);
	g->loop = loop_new();
	VG_CHECK(g->loop, "loop_new");
	hv_features_default(&f);
	if (cfg->inject)
		g->hv = hv_new(&f, &g->mem, g->nvp, g->loop, cfg->inject, cfg->inject_ctx);
	else
		g->hv = hv_new(&f, &g->mem, g->nvp, g->loop, vg_count_injection, g);
	VG_CHECK(g->hv, "hv_new");
	g->bus = vmbus_new(g->loop, &g->mem, g->hv, g->nvp);
	VG_CHECK(g->bus, "vmbus_new");
	for (unsigned vp = 0; vp < g->nvp; vp++)
		vg_synic_enable(g, vp);
	g->tl = (struct test_loop){ .loop = g->loop };
}

void vg_init(struct vg *g, uint64_t ram, unsigned nvp)
{
	struct vg_config cfg = { .ram = ram, .nvp = nvp, .mode = VG_THREADED };

	vg_init_with(g, &cfg);
}

void vg_start(struct vg *g)
{
	if (g->mode == VG_THREADED)
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
	vg_stop(g);
	hv_free(g->hv);
	loop_free(g->loop);
	gmem_destroy(&g->mem);
	memset(g, 0, sizeof(*g));
}

/* ---- waiting for the host ------------------------------------------------------------ */

/* Pumped: dispatch what is ready until nothing is; how many sources ran. */
static unsigned run_ready(struct vg *g)
{
	unsigned n = 0;
	int r;

	while ((r = loop_run_once(g->loop, 0)) > 0)
		n += (unsigned)r;
	VG_CHECK(r == 0, "loop_run_once: %d", r);
	return n;
}

bool vg_wait(struct vg *g, vg_cond_fn *cond, void *ctx, unsigned ms)
{
	if (g->mode == VG_PUMPED) {
		for (;;) {
			int r;

			if (cond(g, ctx))
				return true;
			r = loop_run_once(g->loop, 0);
			VG_CHECK(r >= 0, "loop_run_once: %d", r);
			if (r == 0)
				return cond(g, ctx);
		}
	}
	for (uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000;;) {
		if (cond(g, ctx))
			return true;
		if (loop_now_ns() >= end)
			return false;
		usleep(200);
	}
}

void vg_call(struct vg *g, void (*fn)(void *), void *opaque)
{
	int r;

	if (g->mode == VG_PUMPED) {
		fn(opaque);
		return;
	}
	r = loop_call(g->loop, fn, opaque);
	VG_CHECK(r == 0, "loop_call: %d", r);
}

void vg_settle(struct vg *g)
{
	VG_CHECK(g->mode == VG_PUMPED, "vg_settle runs the loop itself");
	for (unsigned round = 0; round < 100000; round++)
		if (!run_ready(g) && !vg_drain(g))
			return;
	VG_CHECK(false, "the bus never settles");
}

/* ---- the SynIC --------------------------------------------------------------------------- */

void vg_wrmsr(struct vg *g, unsigned vp, uint32_t msr, uint64_t val)
{
	int r = hv_msr_write(g->hv, vp, msr, val);

	VG_CHECK(r == 0, "MSR 0x%x <- 0x%llx on VP %u: %d", msr, (unsigned long long)val, vp, r);
}

void vg_synic_enable(struct vg *g, unsigned vp)
{
	vg_wrmsr(g, vp, HV_X64_MSR_SIMP, VG_SIMP_GPA(vp) | HV_PAGE_ENABLE);
	vg_wrmsr(g, vp, HV_X64_MSR_SIEFP, VG_SIEFP_GPA(vp) | HV_PAGE_ENABLE);
	for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++)
		if (g->cfg.sint_vector[sint])
			vg_wrmsr(g, vp, HV_X64_MSR_SINT0 + sint, g->cfg.sint_vector[sint]);
	vg_wrmsr(g, vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
}

struct hv_message *vg_sim_slot(struct vg *g, unsigned vp, unsigned sint)
{
	uint8_t *page = gmem_ptr(&g->mem, VG_SIMP_GPA(vp), VG_PAGE);

	VG_CHECK(page && vp < g->nvp && sint < HV_SINT_COUNT, "no SIM slot for VP %u SINT %u", vp, sint);
	return (struct hv_message *)(page + sint * HV_MESSAGE_SIZE);
}

uint8_t *vg_sief_byte(struct vg *g, unsigned vp, uint32_t relid)
{
	uint8_t *page = gmem_ptr(&g->mem, VG_SIEFP_GPA(vp), VG_PAGE);

	VG_CHECK(page, "no SIEF page for VP %u", vp);
	return page + VMBUS_MESSAGE_SINT * (HV_EVENT_FLAGS_PER_SINT / 8) + relid / 8;
}

/* ---- messages ---------------------------------------------------------------------------- */

uint16_t vg_post_raw(struct vg *g, unsigned vp, uint32_t conn, const void *msg, uint32_t len)
{
	struct hv_post_message_input in = {
		.connection_id = conn,
		.message_type = VMBUS_MESSAGE_TYPE,
		.payload_size = len,
	};

	memcpy(in.payload, msg, len < sizeof(in.payload) ? len : sizeof(in.payload));
	if (gmem_write(&g->mem, VG_POST_GPA(vp), &in, sizeof(in)) < 0)
		return 0xffff;
	return (uint16_t)hv_hypercall(g->hv, vp, HVCALL_POST_MESSAGE, VG_POST_GPA(vp), 0);
}

void vg_post(struct vg *g, const void *msg, uint32_t len)
{
	uint16_t st;

	VG_CHECK(len <= HV_MESSAGE_PAYLOAD_MAX, "a message of %u bytes", len);
	st = vg_post_raw(g, 0, g->msg_conn, msg, len);
	VG_CHECK(st == HV_STATUS_SUCCESS, "HvCallPostMessage to connection %u: status %u", g->msg_conn, st);
}

void vg_send_hdr(struct vg *g, uint32_t type)
{
	struct vmbus_msg_header m = { .msgtype = type };

	vg_post(g, &m, sizeof(m));
}

void vg_send_relid(struct vg *g, uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid m = { .header.msgtype = type, .child_relid = relid };

	vg_post(g, &m, sizeof(m));
}

uint16_t vg_signal_conn(struct vg *g, uint32_t conn_id, bool slow)
{
	uint64_t in = conn_id;

	if (!slow)
		return (uint16_t)hv_hypercall(g->hv, 0, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, in, 0);
	if (gmem_write(&g->mem, VG_POST_GPA(0), &in, sizeof(in)) < 0)
		return 0xffff;
	return (uint16_t)hv_hypercall(g->hv, 0, HVCALL_SIGNAL_EVENT, VG_POST_GPA(0), 0);
}

/* The slot's message type, its first word: the slots are 256-byte aligned, which the
 * packed header does not tell the compiler (it would call libatomic for it). */
static uint32_t *slot_type(void *slot)
{
	return slot;
}

int vg_take(struct vg *g, unsigned vp, unsigned sint, union vg_msg *buf, uint32_t *type)
{
	struct hv_message *m = vg_sim_slot(g, vp, sint);
	uint32_t t = __atomic_load_n(slot_type(m), __ATOMIC_ACQUIRE);
	uint8_t len;

	memset(buf, 0, sizeof(*buf));
	if (t == HVMSG_NONE)
		return -1;
	len = m->header.payload_size;
	memcpy(buf, m->payload, len < sizeof(*buf) ? len : sizeof(*buf));
	__atomic_store_n(slot_type(m), HVMSG_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) & HV_MESSAGE_PENDING)
		vg_wrmsr(g, vp, HV_X64_MSR_EOM, 0);
	if (type)
		*type = t;
	if (len >= sizeof(buf->version) && buf->h.msgtype == CHANNELMSG_VERSION_RESPONSE &&
	    buf->version.version_supported && buf->version.msg_conn_id)
		g->msg_conn = buf->version.msg_conn_id;
	if (len >= sizeof(buf->open) && buf->h.msgtype == CHANNELMSG_OPENCHANNEL_RESULT)
		g->open_status = buf->open.status;
	if (g->on_msg)
		g->on_msg(g, buf, len < sizeof(*buf) ? len : sizeof(*buf));
	return len;
}

unsigned vg_drain(struct vg *g)
{
	union vg_msg m;
	unsigned n = 0;

	for (unsigned vp = 0; vp < g->nvp; vp++)
		for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++)
			if (vg_take(g, vp, sint, &m, NULL) >= 0)
				n++;
	return n;
}

struct slot {
	unsigned vp, sint;
};

static bool slot_full(struct vg *g, void *ctx)
{
	struct slot *s = ctx;

	return __atomic_load_n(slot_type(vg_sim_slot(g, s->vp, s->sint)), __ATOMIC_ACQUIRE) != HVMSG_NONE;
}

int vg_recv_on(struct vg *g, unsigned vp, unsigned sint, union vg_msg *buf, unsigned ms)
{
	struct slot s = { vp, sint };
	uint32_t type;
	int len;

	memset(buf, 0, sizeof(*buf));
	if (!vg_wait(g, slot_full, &s, ms))
		return -1;
	VG_CHECK(vg_sim_slot(g, vp, sint)->header.payload_size <= HV_MESSAGE_PAYLOAD_MAX,
		 "a message of %u bytes on VP %u SINT %u", vg_sim_slot(g, vp, sint)->header.payload_size, vp, sint);
	len = vg_take(g, vp, sint, buf, &type);
	VG_CHECK(type == VMBUS_MESSAGE_TYPE, "message type 0x%x on VP %u SINT %u", type, vp, sint);
	return len;
}

int vg_recv(struct vg *g, union vg_msg *buf, unsigned ms)
{
	return vg_recv_on(g, g->msg_vp, g->msg_sint, buf, ms);
}

int vg_expect_on(struct vg *g, unsigned vp, unsigned sint, uint32_t type, union vg_msg *buf)
{
	int n = vg_recv_on(g, vp, sint, buf, VG_TMO);

	VG_CHECK(n >= 8, "no VMBus message on VP %u SINT %u (wanted type %u)", vp, sint, type);
	VG_CHECK(buf->h.msgtype == type, "got VMBus message type %u, wanted %u", buf->h.msgtype, type);
	return n;
}

int vg_expect(struct vg *g, uint32_t type, union vg_msg *buf)
{
	return vg_expect_on(g, g->msg_vp, g->msg_sint, type, buf);
}

/* GPADL_TEARDOWN of a GPADL that does not exist is answered at once; messages are
 * handled in order, so whatever was posted before had its answer (if any) delivered
 * before this one. The next message must be the ping's answer. */
void vg_ping(struct vg *g)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .gpadl = ++g->ping_id };
	union vg_msg r;

	vg_post(g, &m, sizeof(m));
	vg_expect(g, CHANNELMSG_GPADL_TORNDOWN, &r);
	VG_CHECK(r.torndown.gpadl == g->ping_id, "GPADL_TORNDOWN for %u, pinged %u", r.torndown.gpadl, g->ping_id);
}

uint16_t vg_contact(struct vg *g, uint32_t version, uint32_t target_vcpu, uint8_t sint)
{
	struct vmbus_msg_initiate_contact m = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = version,
		.target_vcpu = target_vcpu,
		.monitor_page1 = VG_MON_PAGE1,
		.monitor_page2 = VG_MON_PAGE2,
	};
	uint32_t conn = VMBUS_MESSAGE_CONNECTION_ID;

	if (version >= VG_VERSION(5, 0)) {
		m.msg_sint = sint;
		conn = VMBUS_MESSAGE_CONNECTION_ID_4;
	} else {
		m.interrupt_page = VG_INT_PAGE;
	}
	return vg_post_raw(g, 0, conn, &m, sizeof(m));
}

/* The answer on VP target_vcpu from 3.0, SINT msg_sint from 5.0. */
void vg_connect_with(struct vg *g, uint32_t version, uint32_t target_vcpu, uint8_t sint)
{
	uint16_t st = vg_contact(g, version, target_vcpu, sint);
	union vg_msg r;

	VG_CHECK(st == HV_STATUS_SUCCESS, "INITIATE_CONTACT: status %u", st);
	g->msg_vp = version >= VG_VERSION(3, 0) ? target_vcpu : 0;
	g->msg_sint = version >= VG_VERSION(5, 0) ? sint : VMBUS_MESSAGE_SINT;
	VG_CHECK(vg_expect(g, CHANNELMSG_VERSION_RESPONSE, &r) >= (int)sizeof(r.version), "short VERSION_RESPONSE");
	VG_CHECK(r.version.version_supported != 0, "VMBus version %u.%u refused", version >> 16, version & 0xffff);
	if (version >= VG_VERSION(5, 0)) {
		VG_CHECK(r.version.msg_conn_id != 0, "VERSION_RESPONSE names no connection");
		g->msg_conn = r.version.msg_conn_id;
	} else {
		g->msg_conn = VMBUS_MESSAGE_CONNECTION_ID;
	}
}

void vg_connect(struct vg *g, uint32_t version)
{
	VG_CHECK(version >= VG_VERSION(5, 0), "version 0x%x", version);
	vg_connect_with(g, version, 0, VMBUS_MESSAGE_SINT);
}

unsigned vg_request_offers(struct vg *g, struct vmbus_msg_offer_channel *offers, unsigned max)
{
	unsigned n = 0;
	union vg_msg r;

	vg_send_hdr(g, CHANNELMSG_REQUESTOFFERS);
	for (;;) {
		int len = vg_recv(g, &r, VG_TMO);

		VG_CHECK(len >= 8, "no ALLOFFERS_DELIVERED");
		if (r.h.msgtype == CHANNELMSG_ALLOFFERS_DELIVERED)
			return n;
		VG_CHECK(r.h.msgtype == CHANNELMSG_OFFERCHANNEL, "message type %u among the offers", r.h.msgtype);
		VG_CHECK(len == (int)sizeof(r.offer), "an offer of %d bytes", len);
		VG_CHECK(n < max, "more than %u offers", max);
		offers[n++] = r.offer;
	}
}

uint16_t vg_gpadl_post(struct vg *g, uint32_t relid, uint32_t id, uint32_t byte_offset, uint32_t byte_count,
		       const uint64_t *pfns, unsigned n)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(sizeof(struct vmbus_gpa_range) + 8 * n),
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = byte_count, .byte_offset = byte_offset };
	unsigned first = n < 26 ? n : 26;
	uint16_t st, ret;

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, sizeof(range));
	memcpy(m + sizeof(h) + sizeof(range), pfns, first * 8);
	ret = vg_post_raw(g, 0, g->msg_conn, m, (uint32_t)(sizeof(h) + sizeof(range) + first * 8));
	for (unsigned done = first; done < n;) {
		struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = id };
		unsigned k = n - done < 28 ? n - done : 28;

		memcpy(m, &b, sizeof(b));
		memcpy(m + sizeof(b), pfns + done, k * 8);
		st = vg_post_raw(g, 0, g->msg_conn, m, (uint32_t)sizeof(b) + k * 8);
		if (!ret)
			ret = st;
		done += k;
	}
	return ret;
}

uint16_t vg_gpadl_post_pages(struct vg *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint64_t *pfns = calloc(pages ? pages : 1, sizeof(*pfns));
	uint16_t st;

	VG_CHECK(pfns, "%u page numbers", pages);
	for (unsigned i = 0; i < pages; i++)
		pfns[i] = gpa / VG_PAGE + i;
	st = vg_gpadl_post(g, relid, id, 0, pages * VG_PAGE, pfns, pages);
	free(pfns);
	return st;
}

uint32_t vg_expect_created(struct vg *g, uint32_t relid, uint32_t id)
{
	union vg_msg r;

	VG_CHECK(vg_expect(g, CHANNELMSG_GPADL_CREATED, &r) >= 20, "short GPADL_CREATED");
	VG_CHECK(r.created.child_relid == relid, "GPADL_CREATED for relid %u, wanted %u", r.created.child_relid, relid);
	VG_CHECK(r.created.gpadl == id, "GPADL_CREATED for GPADL %u, wanted %u", r.created.gpadl, id);
	return r.created.creation_status;
}

uint32_t vg_gpadl_create_pfns(struct vg *g, uint32_t relid, uint32_t id, uint32_t byte_offset, uint32_t byte_count,
			      const uint64_t *pfns, unsigned n)
{
	uint16_t st = vg_gpadl_post(g, relid, id, byte_offset, byte_count, pfns, n);

	VG_CHECK(st == HV_STATUS_SUCCESS, "GPADL messages: status %u", st);
	return vg_expect_created(g, relid, id);
}

uint32_t vg_gpadl_create(struct vg *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint16_t st = vg_gpadl_post_pages(g, relid, id, gpa, pages);

	VG_CHECK(st == HV_STATUS_SUCCESS, "GPADL messages: status %u", st);
	return vg_expect_created(g, relid, id);
}

void vg_gpadl_teardown(struct vg *g, uint32_t relid, uint32_t id)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = id };

	vg_post(g, &m, sizeof(m));
}

void vg_expect_torndown(struct vg *g, uint32_t id)
{
	union vg_msg r;

	VG_CHECK(vg_expect(g, CHANNELMSG_GPADL_TORNDOWN, &r) >= 12, "short GPADL_TORNDOWN");
	VG_CHECK(r.torndown.gpadl == id, "GPADL_TORNDOWN for %u, wanted %u", r.torndown.gpadl, id);
}

uint16_t vg_open_post(struct vg *g, uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down)
{
	struct vmbus_msg_open_channel m = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = relid,
		.openid = relid + 0x1000,
		.ringbuffer_gpadl = gpadl,
		.target_vp = target_vp,
		.downstream_page_offset = down,
	};

	return vg_post_raw(g, 0, g->msg_conn, &m, sizeof(m));
}

uint32_t vg_open_chan(struct vg *g, uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down)
{
	uint16_t st = vg_open_post(g, relid, gpadl, target_vp, down);
	union vg_msg r;

	VG_CHECK(st == HV_STATUS_SUCCESS, "OPENCHANNEL: status %u", st);
	VG_CHECK(vg_expect(g, CHANNELMSG_OPENCHANNEL_RESULT, &r) >= 20, "short OPENCHANNEL_RESULT");
	VG_CHECK(r.open.child_relid == relid, "OPENCHANNEL_RESULT for relid %u, wanted %u", r.open.child_relid, relid);
	VG_CHECK(r.open.openid == relid + 0x1000, "OPENCHANNEL_RESULT with openid 0x%x", r.open.openid);
	return r.open.status;
}
