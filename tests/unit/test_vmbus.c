/* SPDX-License-Identifier: MIT */
/*
 * The VMBus server against an in-process guest (vmbus-facts.md §2-§5). The test plays
 * Linux's hv_vmbus: it turns on the SynIC of two VPs with MSR writes, posts channel
 * messages with HvCallPostMessage from an input page in guest RAM, reads the answers
 * from SIM slot 2 (freeing the slot and writing EOM as Linux does), builds GPADLs and
 * ring buffers in guest RAM and signals channels with HvSignalEvent. A recording
 * device on the host side shows what the server does with its callbacks.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_features.h"
#include "hv_proto.h"
#include "loop.h"
#include "memory.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_internal.h"
#include "vmbus_proto.h"

#define NVP		2
#define RAM_SIZE	(16ull << 20)
#define POST_GPA(vp)	(0x1000ull + (vp) * 0x1000ull)
#define SIMP_GPA(vp)	(0x10000ull + (vp) * 0x4000ull)
#define SIEFP_GPA(vp)	(0x11000ull + (vp) * 0x4000ull)
#define INT_PAGE	0x20000ull
#define MON_PAGE1	0x21000ull
#define MON_PAGE2	0x22000ull
#define RING_GPA(i)	(0x100000ull + (uint64_t)(i) * 0x20000ull)
#define RING_PAGES	8
#define RING_DOWN	4	/* pages [0, 4): guest to host; [4, 8): host to guest */
#define VEC		0xf3
#define VEC3		0xf4
#define TMO		2000
#define PAGE		4096u
#define DESC		((uint32_t)sizeof(struct vmbus_packet_desc))

#define V(maj, min)	((uint32_t)(maj) << 16 | (min))

static struct gmem mem;
static struct loop *loop;
static struct test_loop tl;
static struct hv *hv;
static struct vmbus *bus;

/* ---- interrupts the SynIC injects --------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned injected[NVP][256];

static int inject_ctx;
static unsigned inject_bad;

static void rec_inject(void *ctx, unsigned vp, uint8_t vector)
{
	pthread_mutex_lock(&lock);
	if (vp < NVP && ctx == &inject_ctx)
		injected[vp][vector]++;
	else
		inject_bad++;
	pthread_mutex_unlock(&lock);
}

static unsigned injections(unsigned vp, uint8_t vector)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = injected[vp][vector];
	pthread_mutex_unlock(&lock);
	return n;
}

/* ---- a recording device ---------------------------------------------------------------- */

#define MAX_PKTS	16

struct tdev {
	struct vmbus_offer offer;
	struct vmbus_device *dev;
	int open_ret;
	bool drain;
	/* written on the loop thread, under lock */
	unsigned opens, closes, notifies, npkts;
	bool in_call;			/* inside vmbus_chan_recv/send on the loop thread */
	unsigned closes_in_call;	/* close callbacks from inside those: must be none */
	struct vmbus_channel *ch;
	uint32_t open_relid, open_vp;
	int recv_err;
	uint8_t pkt[MAX_PKTS][512];
	uint32_t pkt_len[MAX_PKTS];
};

static struct tdev devs[4];

static unsigned get(const unsigned *p)
{
	unsigned v;

	pthread_mutex_lock(&lock);
	v = *p;
	pthread_mutex_unlock(&lock);
	return v;
}

static int td_open(struct vmbus_channel *ch, void *opaque)
{
	struct tdev *d = opaque;

	pthread_mutex_lock(&lock);
	d->opens++;
	d->ch = ch;
	d->open_relid = vmbus_chan_relid(ch);
	d->open_vp = vmbus_chan_target_vp(ch);
	pthread_mutex_unlock(&lock);
	return d->open_ret;
}

static void td_close(struct vmbus_channel *ch, void *opaque)
{
	struct tdev *d = opaque;

	pthread_mutex_lock(&lock);
	ck_assert_ptr_eq(ch, d->ch);
	d->closes++;
	d->closes_in_call += d->in_call;
	pthread_mutex_unlock(&lock);
}

static bool td_notify(struct vmbus_channel *ch, void *opaque)
{
	struct tdev *d = opaque;

	pthread_mutex_lock(&lock);
	d->notifies++;
	pthread_mutex_unlock(&lock);
	if (!d->drain)
		return true;
	for (;;) {
		uint8_t buf[512];
		uint32_t len;
		int r;

		d->in_call = true;
		r = vmbus_chan_recv(ch, buf, sizeof(buf), &len);
		d->in_call = false;

		pthread_mutex_lock(&lock);
		if (r == 0 && d->npkts < MAX_PKTS) {
			memcpy(d->pkt[d->npkts], buf, len);
			d->pkt_len[d->npkts] = len;
		}
		if (r == 0)
			d->npkts++;
		else if (r != -EAGAIN)
			d->recv_err = r;
		pthread_mutex_unlock(&lock);
		if (r != 0)
			break;
	}
	vmbus_chan_recv_done(ch);
	return true;
}

static const struct vmbus_dev_ops td_ops = {
	.open = td_open,
	.close = td_close,
	.notify = td_notify,
};

static void tdev_init(struct tdev *d, unsigned n)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < 16; i++) {
		d->offer.class_id.b[i] = (uint8_t)(0x10 + i + n * 0x40);
		d->offer.instance_id.b[i] = (uint8_t)(0xa0 + i - n);
	}
	d->offer.chn_flags = VMBUS_CHANNEL_ENUMERATE_DEVICE_INTERFACE | VMBUS_CHANNEL_NAMED_PIPE_MODE;
	d->offer.mmio_megabytes = (uint16_t)(n + 1);
	d->offer.user_def[0] = 4;
	d->offer.user_def[119] = (uint8_t)(0x55 + n);
	d->offer.name = "test";
	d->drain = true;
}

/* Device-side calls run on the loop thread, as devices do in hvkvm. */
struct lcall {
	struct tdev *d;
	int r;
	uint16_t type;
	const void *data;
	uint32_t len;
};

static void lc_add(void *o)
{
	struct lcall *c = o;

	c->d->dev = vmbus_device_add(bus, &c->d->offer, &td_ops, c->d);
}

static void lc_remove(void *o)
{
	struct lcall *c = o;

	vmbus_device_remove(c->d->dev);
}

static void lc_send(void *o)
{
	struct lcall *c = o;
	struct iovec iov = { (void *)c->data, c->len };

	c->d->in_call = true;
	c->r = vmbus_chan_send(c->d->ch, c->type, 0, 0x1234, &iov, 1);
	c->d->in_call = false;
}

static void lc_add_subchannel(void *o)
{
	struct lcall *c = o;

	c->r = vmbus_device_add_subchannel(c->d->dev, (uint16_t)c->len);
}

static void lc_version(void *o)
{
	struct lcall *c = o;

	c->r = (int)vmbus_version(bus);
}

static void dev_add(struct tdev *d)
{
	struct lcall c = { .d = d };

	ck_assert_int_eq(loop_call(loop, lc_add, &c), 0);
	ck_assert_ptr_nonnull(d->dev);
}

static void dev_remove(struct tdev *d)
{
	struct lcall c = { .d = d };

	ck_assert_int_eq(loop_call(loop, lc_remove, &c), 0);
}

static int dev_send(struct tdev *d, const void *data, uint32_t len)
{
	struct lcall c = { .d = d, .type = VM_PKT_DATA_INBAND, .data = data, .len = len };

	ck_assert_int_eq(loop_call(loop, lc_send, &c), 0);
	return c.r;
}

static int dev_add_subchannel(struct tdev *d, uint16_t index)
{
	struct lcall c = { .d = d, .len = index };

	ck_assert_int_eq(loop_call(loop, lc_add_subchannel, &c), 0);
	return c.r;
}

static uint32_t bus_version(void)
{
	struct lcall c = { 0 };

	ck_assert_int_eq(loop_call(loop, lc_version, &c), 0);
	return (uint32_t)c.r;
}

/* ---- the guest: SynIC, messages -------------------------------------------------------- */

union vmsg {
	struct vmbus_msg_header h;
	struct vmbus_msg_version_response version;
	struct vmbus_msg_offer_channel offer;
	struct vmbus_msg_relid relid;
	struct vmbus_msg_open_result open;
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_gpadl_torndown torndown;
	struct vmbus_msg_modifychannel_response modify;
	uint8_t raw[HV_MESSAGE_PAYLOAD_MAX];
};

/* Where the server's messages go, and where the guest posts. */
static unsigned c_vp;
static unsigned c_sint = VMBUS_MESSAGE_SINT;
static uint32_t c_conn = VMBUS_MESSAGE_CONNECTION_ID;

static void wrmsr(unsigned vp, uint32_t msr, uint64_t val)
{
	ck_assert_int_eq(hv_msr_write(hv, vp, msr, val), 0);
}

/* hv_synic_enable_regs */
static void synic_enable(unsigned vp)
{
	wrmsr(vp, HV_X64_MSR_SIMP, SIMP_GPA(vp) | HV_PAGE_ENABLE);
	wrmsr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA(vp) | HV_PAGE_ENABLE);
	wrmsr(vp, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, VEC);
	wrmsr(vp, HV_X64_MSR_SINT0 + 3, VEC3);
	wrmsr(vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
}

static uint16_t post_raw(unsigned vp, uint32_t conn, const void *m, uint32_t len)
{
	struct hv_post_message_input in = {
		.connection_id = conn,
		.message_type = VMBUS_MESSAGE_TYPE,
		.payload_size = len,
	};

	ck_assert_uint_le(len, HV_MESSAGE_PAYLOAD_MAX);
	memcpy(in.payload, m, len);
	ck_assert_int_eq(gmem_write(&mem, POST_GPA(vp), &in, sizeof(in)), 0);
	return (uint16_t)hv_hypercall(hv, vp, HVCALL_POST_MESSAGE, POST_GPA(vp), 0);
}

static void post(const void *m, uint32_t len)
{
	ck_assert_uint_eq(post_raw(0, c_conn, m, len), HV_STATUS_SUCCESS);
}

static struct hv_message *sim_slot(unsigned vp, unsigned sint)
{
	uint8_t *page = gmem_ptr(&mem, SIMP_GPA(vp), PAGE);

	ck_assert_ptr_nonnull(page);
	return (struct hv_message *)(page + sint * HV_MESSAGE_SIZE);
}

/* vmbus_on_msg_dpc + vmbus_signal_eom: copy the slot, free it, EOM if more wait. */
static int recv_on(unsigned vp, unsigned sint, union vmsg *buf, unsigned ms)
{
	struct hv_message *m = sim_slot(vp, sint);
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
		wrmsr(vp, HV_X64_MSR_EOM, 0);
	return len;
}

static int expect_on(unsigned vp, unsigned sint, uint32_t type, union vmsg *buf)
{
	int n = recv_on(vp, sint, buf, TMO);

	ck_assert_msg(n >= 8, "no message on VP %u SINT %u (wanted type %u)", vp, sint, type);
	ck_assert_msg(buf->h.msgtype == type, "got message type %u, wanted %u", buf->h.msgtype, type);
	return n;
}

static int expect(uint32_t type, union vmsg *buf)
{
	return expect_on(c_vp, c_sint, type, buf);
}

static void assert_slot_empty(unsigned vp, unsigned sint)
{
	ck_assert_msg(sim_slot(vp, sint)->header.message_type == HVMSG_NONE, "unexpected message on VP %u SINT %u: %u",
		      vp, sint, ((union vmsg *)sim_slot(vp, sint)->payload)->h.msgtype);
}

/*
 * A request with a known answer, GPADL_TEARDOWN of a GPADL that does not exist:
 * messages are handled in order, so whatever was posted before had its answer (if
 * any) delivered before this one. The next message must be the ping's answer.
 */
static uint32_t ping_id = 0x70000000;

static void ping(void)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .gpadl = ++ping_id };
	union vmsg r;

	post(&m, sizeof(m));
	expect(CHANNELMSG_GPADL_TORNDOWN, &r);
	ck_assert_uint_eq(r.torndown.gpadl, ping_id);
}

static void send_hdr(uint32_t type)
{
	struct vmbus_msg_header m = { .msgtype = type };

	post(&m, sizeof(m));
}

static void send_relid(uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid m = { .header.msgtype = type, .child_relid = relid };

	post(&m, sizeof(m));
}

static void initiate(uint32_t version, uint32_t target_vcpu, uint8_t sint)
{
	struct vmbus_msg_initiate_contact m = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = version,
		.target_vcpu = target_vcpu,
		.monitor_page1 = MON_PAGE1,
		.monitor_page2 = MON_PAGE2,
	};
	uint32_t conn = VMBUS_MESSAGE_CONNECTION_ID;

	if (version >= V(5, 0)) {
		m.msg_sint = sint;
		conn = VMBUS_MESSAGE_CONNECTION_ID_4;
	} else {
		m.interrupt_page = INT_PAGE;
	}
	ck_assert_uint_eq(post_raw(0, conn, &m, sizeof(m)), HV_STATUS_SUCCESS);
}

/* vmbus_negotiate_version: the answer on VP target_vcpu from 3.0, SINT msg_sint from 5.0. */
static void connect_with(uint32_t version, uint32_t target_vcpu, uint8_t sint)
{
	union vmsg r;

	initiate(version, target_vcpu, sint);
	c_vp = version >= V(3, 0) ? target_vcpu : 0;
	c_sint = version >= V(5, 0) ? sint : VMBUS_MESSAGE_SINT;
	ck_assert_int_ge(expect(CHANNELMSG_VERSION_RESPONSE, &r), (int)sizeof(r.version));
	ck_assert_msg(r.version.version_supported != 0, "version %u.%u refused", version >> 16, version & 0xffff);
	if (version >= V(5, 0)) {
		ck_assert_uint_ne(r.version.msg_conn_id, 0);
		c_conn = r.version.msg_conn_id;
	} else {
		c_conn = VMBUS_MESSAGE_CONNECTION_ID;
	}
	ck_assert_uint_eq(bus_version(), version);
}

static void connect53(void)
{
	connect_with(V(5, 3), 0, VMBUS_MESSAGE_SINT);
}

/* REQUESTOFFERS: the offers, then ALLOFFERS_DELIVERED. */
static unsigned request_offers(struct vmbus_msg_offer_channel *offers, unsigned max)
{
	unsigned n = 0;
	union vmsg r;

	send_hdr(CHANNELMSG_REQUESTOFFERS);
	for (;;) {
		int len = recv_on(c_vp, c_sint, &r, TMO);

		ck_assert_msg(len >= 8, "no ALLOFFERS_DELIVERED");
		if (r.h.msgtype == CHANNELMSG_ALLOFFERS_DELIVERED)
			break;
		ck_assert_uint_eq(r.h.msgtype, CHANNELMSG_OFFERCHANNEL);
		ck_assert_int_eq(len, 196);
		ck_assert_uint_lt(n, max);
		offers[n++] = r.offer;
	}
	return n;
}

static const struct vmbus_msg_offer_channel *offer_of(const struct vmbus_msg_offer_channel *o, unsigned n,
						       const struct tdev *d)
{
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(&o[i].offer.if_instance, &d->offer.instance_id, 16))
			return &o[i];
	ck_abort_msg("no offer for the device");
	return NULL;
}

/* ---- the guest: GPADLs and channels ------------------------------------------------------ */

/* vmbus_establish_gpadl's messages: 26 page numbers in the header, 28 per body. */
static void gpadl_send_pfns(uint32_t relid, uint32_t id, uint32_t byte_count, const uint64_t *pfns, unsigned n)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(8 + 8 * n),
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = byte_count, .byte_offset = 0 };
	unsigned first = n < 26 ? n : 26, done;

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, sizeof(range));
	memcpy(m + sizeof(h) + 8, pfns, first * 8);
	post(m, (uint32_t)sizeof(h) + 8 + first * 8);
	for (done = first; done < n;) {
		struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = id };
		unsigned k = n - done < 28 ? n - done : 28;

		memcpy(m, &b, sizeof(b));
		memcpy(m + sizeof(b), pfns + done, k * 8);
		post(m, (uint32_t)sizeof(b) + k * 8);
		done += k;
	}
}

static void gpadl_send(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint64_t pfns[256];

	ck_assert_uint_le(pages, 256);
	for (unsigned i = 0; i < pages; i++)
		pfns[i] = gpa / PAGE + i;
	gpadl_send_pfns(relid, id, pages * PAGE, pfns, pages);
}

static uint32_t expect_created(uint32_t relid, uint32_t id)
{
	union vmsg r;

	ck_assert_int_ge(expect(CHANNELMSG_GPADL_CREATED, &r), 20);
	ck_assert_uint_eq(r.created.child_relid, relid);
	ck_assert_uint_eq(r.created.gpadl, id);
	return r.created.creation_status;
}

static uint32_t gpadl_create(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	gpadl_send(relid, id, gpa, pages);
	return expect_created(relid, id);
}

static void gpadl_teardown(uint32_t relid, uint32_t id)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = id };

	post(&m, sizeof(m));
}

static void expect_torndown(uint32_t id)
{
	union vmsg r;

	ck_assert_int_ge(expect(CHANNELMSG_GPADL_TORNDOWN, &r), 12);
	ck_assert_uint_eq(r.torndown.gpadl, id);
}

static uint32_t open_chan(uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down)
{
	struct vmbus_msg_open_channel m = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = relid,
		.openid = relid + 0x1000,
		.ringbuffer_gpadl = gpadl,
		.target_vp = target_vp,
		.downstream_page_offset = down,
	};
	union vmsg r;

	post(&m, sizeof(m));
	ck_assert_int_ge(expect(CHANNELMSG_OPENCHANNEL_RESULT, &r), 20);
	ck_assert_uint_eq(r.open.child_relid, relid);
	ck_assert_uint_eq(r.open.openid, relid + 0x1000);
	return r.open.status;
}

/* The guest's view of an open channel. */
struct gchan {
	uint32_t relid, conn_id, gpadl;
	uint64_t gpa;
	struct vmbus_ring_control *up_ctl, *dn_ctl;
	uint8_t *up, *dn;
	uint32_t up_size, dn_size;
};

/* hv_ringbuffer_init for both rings: zeroed, feature bit set, before OPENCHANNEL. */
static void gchan_rings(struct gchan *c, uint64_t gpa)
{
	uint8_t *base = gmem_ptr(&mem, gpa, RING_PAGES * PAGE);

	ck_assert_ptr_nonnull(base);
	memset(base, 0, RING_PAGES * PAGE);
	c->gpa = gpa;
	c->up_ctl = (struct vmbus_ring_control *)base;
	c->up = base + PAGE;
	c->up_size = (RING_DOWN - 1) * PAGE;
	c->dn_ctl = (struct vmbus_ring_control *)(base + RING_DOWN * PAGE);
	c->dn = base + (RING_DOWN + 1) * PAGE;
	c->dn_size = (RING_PAGES - RING_DOWN - 1) * PAGE;
	c->up_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	c->dn_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
}

/* vmbus_open: GPADL for both rings, rings initialised, OPENCHANNEL. */
static void gopen_at(struct gchan *c, const struct vmbus_msg_offer_channel *o, unsigned slot, uint32_t target_vp)
{
	memset(c, 0, sizeof(*c));
	c->relid = o->child_relid;
	c->conn_id = o->connection_id;
	c->gpadl = 0xe1e10 + slot;
	ck_assert_uint_eq(gpadl_create(c->relid, c->gpadl, RING_GPA(slot), RING_PAGES), 0);
	gchan_rings(c, RING_GPA(slot));
	ck_assert_uint_eq(open_chan(c->relid, c->gpadl, target_vp, RING_DOWN), 0);
}

static uint16_t signal_host(uint32_t conn_id)
{
	return (uint16_t)hv_hypercall(hv, 0, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, conn_id, 0);
}

/* hv_ringbuffer_write into the guest-to-host ring, then vmbus_setevent if needed. */
static void guest_send(struct gchan *c, const void *payload, uint32_t plen, uint64_t trans)
{
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = 2, .trans_id = trans };
	uint32_t len = DESC + plen, padded = (len + 7) & ~7u, total = padded + 8;
	uint32_t w = c->up_ctl->write_index, r = c->up_ctl->read_index;
	uint32_t avail = w >= r ? c->up_size - (w - r) : r - w;
	uint8_t pkt[1024] = { 0 };
	uint64_t trailer = (uint64_t)w << 32;

	ck_assert_uint_le(total, sizeof(pkt));
	ck_assert_uint_gt(avail, total);
	d.len8 = (uint16_t)(padded / 8);
	memcpy(pkt, &d, DESC);
	memcpy(pkt + DESC, payload, plen);
	memcpy(pkt + padded, &trailer, 8);
	for (uint32_t i = 0; i < total; i++)
		c->up[(w + i) % c->up_size] = pkt[i];
	__atomic_store_n(&c->up_ctl->write_index, (w + total) % c->up_size, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&c->up_ctl->interrupt_mask, __ATOMIC_SEQ_CST) &&
	    w == __atomic_load_n(&c->up_ctl->read_index, __ATOMIC_SEQ_CST))
		ck_assert_uint_eq(signal_host(c->conn_id), HV_STATUS_SUCCESS);
}

/* One packet from the host-to-guest ring: its length, or -1 if empty. */
static int guest_recv(struct gchan *c, uint8_t *buf, uint32_t buflen)
{
	uint32_t r = c->dn_ctl->read_index, w = __atomic_load_n(&c->dn_ctl->write_index, __ATOMIC_ACQUIRE);
	struct vmbus_packet_desc d;
	uint32_t len;

	if (r == w)
		return -1;
	for (uint32_t i = 0; i < DESC; i++)
		((uint8_t *)&d)[i] = c->dn[(r + i) % c->dn_size];
	len = d.len8 * 8u;
	ck_assert_uint_le(len, buflen);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = c->dn[(r + i) % c->dn_size];
	__atomic_store_n(&c->dn_ctl->read_index, (r + len + 8) % c->dn_size, __ATOMIC_SEQ_CST);
	return (int)len;
}

static uint8_t *sief_byte(unsigned vp, uint32_t relid)
{
	uint8_t *page = gmem_ptr(&mem, SIEFP_GPA(vp), PAGE);

	ck_assert_ptr_nonnull(page);
	return page + VMBUS_MESSAGE_SINT * (HV_EVENT_FLAGS_PER_SINT / 8) + relid / 8;
}

static bool sief_bit(unsigned vp, uint32_t relid)
{
	return __atomic_load_n(sief_byte(vp, relid), __ATOMIC_SEQ_CST) & (1u << (relid % 8));
}

static void sief_clear(unsigned vp, uint32_t relid)
{
	__atomic_fetch_and(sief_byte(vp, relid), (uint8_t) ~(1u << (relid % 8)), __ATOMIC_SEQ_CST);
}

/* ---- fixture ------------------------------------------------------------------------------ */

static void setup(void)
{
	struct hv_features f;

	memset(injected, 0, sizeof(injected));
	inject_bad = 0;
	for (unsigned i = 0; i < 4; i++)
		tdev_init(&devs[i], i);
	c_vp = 0;
	c_sint = VMBUS_MESSAGE_SINT;
	c_conn = VMBUS_MESSAGE_CONNECTION_ID;
	ck_assert_int_eq(gmem_init(&mem, RAM_SIZE), 0);
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	hv_features_default(&f);
	hv = hv_new(&f, &mem, NVP, loop, rec_inject, &inject_ctx);
	ck_assert_ptr_nonnull(hv);
	bus = vmbus_new(loop, &mem, hv, NVP);
	ck_assert_ptr_nonnull(bus);
	for (unsigned vp = 0; vp < NVP; vp++)
		synic_enable(vp);
	tl = (struct test_loop){ .loop = loop };
	test_loop_start(&tl);
}

static void teardown(void)
{
	ck_assert_uint_eq(get(&inject_bad), 0);
	test_loop_stop(&tl);
	vmbus_free(bus);
	hv_free(hv);
	loop_free(loop);
	gmem_destroy(&mem);
}

/* ---- connecting ---------------------------------------------------------------------------- */

static const uint32_t all_versions[] = {
	V(0, 13), V(1, 1), V(2, 4), V(3, 0), V(4, 0), V(4, 1), V(5, 0), V(5, 1), V(5, 2), V(5, 3),
};

START_TEST(test_contact_every_version)
{
	struct vmbus_msg_offer_channel o[4];

	dev_add(&devs[0]);
	for (size_t i = 0; i < sizeof(all_versions) / sizeof(all_versions[0]); i++) {
		/* Each INITIATE_CONTACT starts a new connection, whatever came before. */
		connect_with(all_versions[i], 0, VMBUS_MESSAGE_SINT);
		/* later messages reach the server on the connection id it named */
		ck_assert_uint_eq(request_offers(o, 4), 1);
		ping();
	}
}
END_TEST

START_TEST(test_contact_version_response_layout)
{
	union vmsg r;
	int len;

	initiate(V(5, 3), 0, VMBUS_MESSAGE_SINT);
	len = expect(CHANNELMSG_VERSION_RESPONSE, &r);
	ck_assert_int_ge(len, 16);
	ck_assert_uint_ne(r.version.version_supported, 0);
	ck_assert_uint_eq(r.version.connection_state, 0);
	/* a connection id the server takes messages on */
	c_conn = r.version.msg_conn_id;
	ck_assert_uint_ne(c_conn, 0);
	ping();
}
END_TEST

START_TEST(test_contact_unsupported_version)
{
	static const uint32_t bad[] = { V(6, 0), V(2, 0), V(4, 2), V(5, 4), V(1, 0), 0, 0xffffffffu };
	union vmsg r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		initiate(bad[i], 0, VMBUS_MESSAGE_SINT);
		expect_on(0, VMBUS_MESSAGE_SINT, CHANNELMSG_VERSION_RESPONSE, &r);
		ck_assert_msg(r.version.version_supported == 0, "version 0x%x accepted", bad[i]);
		ck_assert_uint_eq(bus_version(), 0);
	}
	/* Still not connected: requests are dropped, the next answer is the next contact's. */
	dev_add(&devs[0]);
	send_hdr(CHANNELMSG_REQUESTOFFERS);
	gpadl_teardown(0, 5);
	connect53();
	ping();
}
END_TEST

/* Refusing a version ends the connection that was there. */
START_TEST(test_contact_unsupported_while_connected)
{
	struct vmbus_msg_offer_channel o[2];
	struct gchan c;
	union vmsg r;

	dev_add(&devs[0]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 1);
	gopen_at(&c, &o[0], 0, 0);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
	initiate(V(6, 0), 0, VMBUS_MESSAGE_SINT);
	expect(CHANNELMSG_VERSION_RESPONSE, &r);
	ck_assert_uint_eq(r.version.version_supported, 0);
	ck_assert_uint_eq(bus_version(), 0);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
}
END_TEST

START_TEST(test_contact_target_vcpu)
{
	static const struct {
		uint32_t version;
		unsigned vp;
	} cases[] = {
		{ V(0, 13), 0 }, { V(1, 1), 0 }, { V(2, 4), 0 }, { V(3, 0), 1 }, { V(4, 0), 1 },
		{ V(4, 1), 1 },	 { V(5, 0), 1 }, { V(5, 2), 1 }, { V(5, 3), 1 },
	};
	struct vmbus_msg_offer_channel o[2];
	union vmsg r;

	dev_add(&devs[0]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		initiate(cases[i].version, 1, VMBUS_MESSAGE_SINT);
		expect_on(cases[i].vp, VMBUS_MESSAGE_SINT, CHANNELMSG_VERSION_RESPONSE, &r);
		ck_assert_uint_ne(r.version.version_supported, 0);
		assert_slot_empty(!cases[i].vp, VMBUS_MESSAGE_SINT);
		c_vp = cases[i].vp;
		c_conn = cases[i].version >= V(5, 0) ? r.version.msg_conn_id : VMBUS_MESSAGE_CONNECTION_ID;
		/* every later message goes there too */
		ck_assert_uint_eq(request_offers(o, 2), 1);
		ping();
		assert_slot_empty(!cases[i].vp, VMBUS_MESSAGE_SINT);
	}
}
END_TEST

START_TEST(test_contact_msg_sint)
{
	struct vmbus_msg_offer_channel o[2];
	union vmsg r;
	unsigned before = injections(0, VEC3);

	dev_add(&devs[0]);
	/* From 5.0 the guest names the SINT. */
	connect_with(V(5, 0), 0, 3);
	ck_assert_uint_gt(injections(0, VEC3), before);
	assert_slot_empty(0, VMBUS_MESSAGE_SINT);
	ck_assert_uint_eq(request_offers(o, 2), 1);
	ping();
	assert_slot_empty(0, VMBUS_MESSAGE_SINT);
	connect_with(V(5, 3), 1, 3);
	ping();
	/* Before 5.0 those bytes are the interrupt page: SINT 2 whatever they hold. */
	{
		struct vmbus_msg_initiate_contact m = {
			.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
			.version_requested = V(4, 1),
			.interrupt_page = INT_PAGE | 3,
		};

		ck_assert_uint_eq(post_raw(0, VMBUS_MESSAGE_CONNECTION_ID, &m, sizeof(m)), HV_STATUS_SUCCESS);
		expect_on(0, VMBUS_MESSAGE_SINT, CHANNELMSG_VERSION_RESPONSE, &r);
		ck_assert_uint_ne(r.version.version_supported, 0);
		assert_slot_empty(0, 3);
	}
}
END_TEST

/* ---- offers -------------------------------------------------------------------------------- */

static void check_offer(const struct vmbus_msg_offer_channel *o, const struct tdev *d)
{
	ck_assert_uint_eq(o->header.msgtype, CHANNELMSG_OFFERCHANNEL);
	ck_assert_mem_eq(&o->offer.if_type, &d->offer.class_id, 16);
	ck_assert_mem_eq(&o->offer.if_instance, &d->offer.instance_id, 16);
	ck_assert_uint_eq(o->offer.chn_flags, d->offer.chn_flags);
	ck_assert_uint_eq(o->offer.mmio_megabytes, d->offer.mmio_megabytes);
	ck_assert_mem_eq(o->offer.user_def, d->offer.user_def, VMBUS_MAX_USER_DEFINED_BYTES);
	ck_assert_uint_eq(o->offer.sub_channel_index, 0);
	ck_assert(o->child_relid >= 1 && o->child_relid <= 2047);
	ck_assert_uint_eq(o->monitor_allocated & 1, 0);
	ck_assert_uint_eq(o->monitorid, 0xff);
	ck_assert_uint_eq(o->is_dedicated_interrupt & 1, 1);
	/* what the guest signals: not one of the VMBus message/event connections */
	ck_assert_uint_gt(o->connection_id, VMBUS_MESSAGE_CONNECTION_ID_4);
	ck_assert_uint_eq(o->connection_id & 0xff000000u, 0);
}

START_TEST(test_offers)
{
	struct vmbus_msg_offer_channel o[4];
	union vmsg r;

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	connect53();
	/* Nothing offered before the guest asks. */
	ping();
	ck_assert_uint_eq(request_offers(o, 4), 2);
	check_offer(offer_of(o, 2, &devs[0]), &devs[0]);
	check_offer(offer_of(o, 2, &devs[1]), &devs[1]);
	ck_assert_uint_ne(o[0].child_relid, o[1].child_relid);
	ck_assert_uint_ne(o[0].connection_id, o[1].connection_id);
	/* Added once offers were requested: offered at once, alone. */
	dev_add(&devs[2]);
	expect(CHANNELMSG_OFFERCHANNEL, &r);
	check_offer(&r.offer, &devs[2]);
	ck_assert_uint_ne(r.offer.child_relid, o[0].child_relid);
	ck_assert_uint_ne(r.offer.child_relid, o[1].child_relid);
	ck_assert_uint_ne(r.offer.connection_id, o[0].connection_id);
	ck_assert_uint_ne(r.offer.connection_id, o[1].connection_id);
	ping();
}
END_TEST

/* A device added while connected but before REQUESTOFFERS waits for it. */
START_TEST(test_offer_waits_for_request)
{
	struct vmbus_msg_offer_channel o[4];

	connect53();
	dev_add(&devs[0]);
	ping();
	ck_assert_uint_eq(request_offers(o, 4), 1);
	check_offer(&o[0], &devs[0]);
}
END_TEST

/* ---- GPADLs -------------------------------------------------------------------------------- */

static uint32_t setup_one(struct vmbus_msg_offer_channel *o)
{
	dev_add(&devs[0]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 1), 1);
	return o->child_relid;
}

START_TEST(test_gpadl_created)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);

	/* one message */
	ck_assert_uint_eq(gpadl_create(relid, 100, RING_GPA(0), 8), 0);
	/* header and bodies: the answer comes after the last one only */
	gpadl_send(relid, 101, RING_GPA(1), 26);
	ck_assert_uint_eq(expect_created(relid, 101), 0);
	{
		uint64_t pfns[100];
		uint8_t m[VMBUS_MSG_MAX];
		struct vmbus_msg_gpadl_header h = {
			.header.msgtype = CHANNELMSG_GPADL_HEADER,
			.child_relid = relid,
			.gpadl = 102,
			.range_buflen = 8 + 8 * 100,
			.rangecount = 1,
		};
		struct vmbus_gpa_range range = { .byte_count = 100 * PAGE };

		for (int i = 0; i < 100; i++)
			pfns[i] = RING_GPA(2) / PAGE + (uint64_t)i;
		memcpy(m, &h, sizeof(h));
		memcpy(m + sizeof(h), &range, 8);
		memcpy(m + sizeof(h) + 8, pfns, 26 * 8);
		post(m, sizeof(h) + 8 + 26 * 8);
		ping();
		for (unsigned done = 26; done < 100;) {
			struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = 102 };
			unsigned k = 100 - done < 28 ? 100 - done : 28;

			memcpy(m, &b, sizeof(b));
			memcpy(m + sizeof(b), pfns + done, k * 8);
			post(m, (uint32_t)sizeof(b) + k * 8);
			done += k;
			if (done < 100)
				ping();
		}
		ck_assert_uint_eq(expect_created(relid, 102), 0);
	}
	/* torn down: answered */
	gpadl_teardown(relid, 100);
	expect_torndown(100);
	gpadl_teardown(relid, 102);
	expect_torndown(102);
}
END_TEST

/* Every refused GPADL is answered, with a failure: the guest waits for it forever. */
START_TEST(test_gpadl_failures_answered)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = 200,
		.range_buflen = 8 + 2 * 8,
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = 3 * PAGE };
	uint64_t pfns[3] = { 0x200, 0x201, 0x202 };

	/* a range of 3 pages with 2 page numbers */
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, 8);
	memcpy(m + sizeof(h) + 8, pfns, 16);
	post(m, sizeof(h) + 24);
	ck_assert_uint_ne(expect_created(relid, 200), 0);
	/* 2 pages with 3 page numbers */
	h.gpadl = 201;
	h.range_buflen = 8 + 3 * 8;
	range.byte_count = 2 * PAGE;
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, 8);
	memcpy(m + sizeof(h) + 8, pfns, 24);
	post(m, sizeof(h) + 32);
	ck_assert_uint_ne(expect_created(relid, 201), 0);
	/* no ranges */
	h.gpadl = 202;
	h.rangecount = 0;
	memcpy(m, &h, sizeof(h));
	post(m, sizeof(h) + 32);
	ck_assert_uint_ne(expect_created(relid, 202), 0);
	/* byte_count 0 */
	h.gpadl = 203;
	h.rangecount = 1;
	h.range_buflen = 16;
	range.byte_count = 0;
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, 8);
	post(m, sizeof(h) + 16);
	ck_assert_uint_ne(expect_created(relid, 203), 0);
	/* unknown channels */
	gpadl_send(relid + 100, 204, RING_GPA(0), 2);
	ck_assert_uint_ne(expect_created(relid + 100, 204), 0);
	gpadl_send(0, 205, RING_GPA(0), 2);
	ck_assert_uint_ne(expect_created(0, 205), 0);
	gpadl_send(5000, 206, RING_GPA(0), 2);
	ck_assert_uint_ne(expect_created(5000, 206), 0);
	/* an id in use */
	ck_assert_uint_eq(gpadl_create(relid, 207, RING_GPA(0), 2), 0);
	ck_assert_uint_ne(gpadl_create(relid, 207, RING_GPA(1), 2), 0);
	/* a body that makes the list malformed: answered with the header's relid */
	h.gpadl = 208;
	h.range_buflen = 8 + 4 * 8;
	range.byte_count = 3 * PAGE;	/* one page number too many */
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), &range, 8);
	post(m, sizeof(h) + 8);
	ping();
	{
		struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = 208 };
		uint64_t four[4] = { 1, 2, 3, 4 };

		memcpy(m, &b, sizeof(b));
		memcpy(m + sizeof(b), four, 32);
		post(m, sizeof(b) + 32);
		ck_assert_uint_ne(expect_created(relid, 208), 0);
		/* a body for nothing: nobody to answer, dropped */
		b.gpadl = 209;
		memcpy(m, &b, sizeof(b));
		post(m, sizeof(b) + 32);
		ping();
		/* a body for a complete GPADL: dropped, the GPADL still works */
		b.gpadl = 207;
		memcpy(m, &b, sizeof(b));
		post(m, sizeof(b) + 32);
		ping();
	}
	gpadl_teardown(relid, 207);
	expect_torndown(207);
}
END_TEST

START_TEST(test_gpadl_teardown_unknown)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);

	gpadl_teardown(relid, 0x1234);
	expect_torndown(0x1234);
	gpadl_teardown(999, 0x1235);
	expect_torndown(0x1235);
	/* twice */
	ck_assert_uint_eq(gpadl_create(relid, 300, RING_GPA(0), 8), 0);
	gpadl_teardown(relid, 300);
	expect_torndown(300);
	gpadl_teardown(relid, 300);
	expect_torndown(300);
}
END_TEST

/* ---- opening channels ------------------------------------------------------------------------ */

START_TEST(test_open_good)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	struct gchan c;

	gopen_at(&c, &o, 0, 1);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
	ck_assert_uint_eq(get(&devs[0].closes), 0);
	ck_assert_uint_eq(devs[0].open_relid, relid);
	ck_assert_uint_eq(devs[0].open_vp, 1);
	ping();
}
END_TEST

START_TEST(test_open_bad)
{
	struct vmbus_msg_offer_channel o[2];
	uint32_t relid, relid2;
	struct gchan c;
	uint64_t pfns[RING_PAGES];

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 2);
	relid = offer_of(o, 2, &devs[0])->child_relid;
	relid2 = offer_of(o, 2, &devs[1])->child_relid;
	ck_assert_uint_eq(gpadl_create(relid, 1, RING_GPA(0), RING_PAGES), 0);
	ck_assert_uint_eq(gpadl_create(relid2, 2, RING_GPA(1), RING_PAGES), 0);
	gchan_rings(&c, RING_GPA(0));
	gchan_rings(&c, RING_GPA(1));

	/* unknown relid */
	ck_assert_uint_ne(open_chan(relid + relid2 + 10, 1, 0, RING_DOWN), 0);
	ck_assert_uint_ne(open_chan(0, 1, 0, RING_DOWN), 0);
	ck_assert_uint_ne(open_chan(100000, 1, 0, RING_DOWN), 0);
	/* a GPADL that does not exist */
	ck_assert_uint_ne(open_chan(relid, 77, 0, RING_DOWN), 0);
	/* another channel's GPADL */
	ck_assert_uint_ne(open_chan(relid, 2, 0, RING_DOWN), 0);
	/* the host-to-guest ring at page 0, at the end, beyond it */
	ck_assert_uint_ne(open_chan(relid, 1, 0, 0), 0);
	ck_assert_uint_ne(open_chan(relid, 1, 0, RING_PAGES), 0);
	ck_assert_uint_ne(open_chan(relid, 1, 0, RING_PAGES + 1), 0);
	ck_assert_uint_ne(open_chan(relid, 1, 0, 0xffffffffu), 0);
	ck_assert_uint_ne(open_chan(relid, 1, 0, 0xfffffffeu), 0);
	ck_assert_uint_ne(open_chan(relid, 1, 0, 1), 0);	/* no data page for the guest's ring */
	/* a VP the VM does not have */
	ck_assert_uint_ne(open_chan(relid, 1, NVP, RING_DOWN), 0);
	ck_assert_uint_ne(open_chan(relid, 1, 64, RING_DOWN), 0);
	/* pages outside RAM */
	for (unsigned i = 0; i < RING_PAGES; i++)
		pfns[i] = RING_GPA(2) / PAGE + i;
	pfns[6] = RAM_SIZE / PAGE + 5;
	gpadl_send_pfns(relid, 3, RING_PAGES * PAGE, pfns, RING_PAGES);
	expect_created(relid, 3);	/* answered, whatever it says */
	ck_assert_uint_ne(open_chan(relid, 3, 0, RING_DOWN), 0);
	/* a GPADL still being built */
	{
		uint8_t m[VMBUS_MSG_MAX];
		struct vmbus_msg_gpadl_header h = {
			.header.msgtype = CHANNELMSG_GPADL_HEADER,
			.child_relid = relid,
			.gpadl = 4,
			.range_buflen = 8 + 8 * 30,
			.rangecount = 1,
		};
		struct vmbus_gpa_range range = { .byte_count = 30 * PAGE };

		memcpy(m, &h, sizeof(h));
		memcpy(m + sizeof(h), &range, 8);
		memcpy(m + sizeof(h) + 8, pfns, 8 * 8);
		post(m, sizeof(h) + 8 + 64);
		ck_assert_uint_ne(open_chan(relid, 4, 0, RING_DOWN), 0);
	}
	/* ring GPADLs must be one page-aligned range (facts §4.1) */
	{
		uint8_t m[VMBUS_MSG_MAX];
		struct vmbus_msg_gpadl_header h = {
			.header.msgtype = CHANNELMSG_GPADL_HEADER,
			.child_relid = relid,
			.gpadl = 5,
			.range_buflen = 2 * (8 + 4 * 8),
			.rangecount = 2,
		};
		struct vmbus_gpa_range range = { .byte_count = 4 * PAGE };
		uint8_t *p = m + sizeof(h);

		for (unsigned i = 0; i < RING_PAGES; i++)
			pfns[i] = RING_GPA(2) / PAGE + i;
		memcpy(m, &h, sizeof(h));
		memcpy(p, &range, 8);
		memcpy(p + 8, pfns, 32);
		memcpy(p + 40, &range, 8);
		memcpy(p + 48, pfns + 4, 32);
		post(m, sizeof(h) + 80);
		ck_assert_uint_eq(expect_created(relid, 5), 0);
		ck_assert_uint_ne(open_chan(relid, 5, 0, RING_DOWN), 0);
		/* starting inside its first page */
		h.gpadl = 6;
		h.rangecount = 1;
		h.range_buflen = 8 + RING_PAGES * 8;
		range = (struct vmbus_gpa_range){ .byte_count = RING_PAGES * PAGE - 64, .byte_offset = 64 };
		memcpy(m, &h, sizeof(h));
		memcpy(p, &range, 8);
		memcpy(p + 8, pfns, RING_PAGES * 8);
		post(m, sizeof(h) + 8 + RING_PAGES * 8);
		ck_assert_uint_eq(expect_created(relid, 6), 0);
		ck_assert_uint_ne(open_chan(relid, 6, 0, RING_DOWN), 0);
		/* not a whole number of pages */
		h.gpadl = 7;
		range = (struct vmbus_gpa_range){ .byte_count = RING_PAGES * PAGE - 100 };
		memcpy(m, &h, sizeof(h));
		memcpy(p, &range, 8);
		post(m, sizeof(h) + 8 + RING_PAGES * 8);
		ck_assert_uint_eq(expect_created(relid, 7), 0);
		ck_assert_uint_ne(open_chan(relid, 7, 0, RING_DOWN), 0);
	}
	ck_assert_uint_eq(get(&devs[0].opens), 0);
	ck_assert_uint_eq(get(&devs[1].opens), 0);

	/* and then the right one */
	ck_assert_uint_eq(open_chan(relid, 1, 0, RING_DOWN), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
	/* opened twice */
	ck_assert_uint_ne(open_chan(relid, 1, 0, RING_DOWN), 0);
	ck_assert_uint_ne(open_chan(relid, 2, 0, RING_DOWN), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
	ck_assert_uint_eq(get(&devs[0].closes), 0);
	/* the other channel is unaffected */
	ck_assert_uint_eq(open_chan(relid2, 2, 1, RING_DOWN), 0);
	ck_assert_uint_eq(get(&devs[1].opens), 1);
}
END_TEST

START_TEST(test_open_device_fails)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	struct gchan c;

	devs[0].open_ret = -EIO;
	ck_assert_uint_eq(gpadl_create(relid, 1, RING_GPA(0), RING_PAGES), 0);
	gchan_rings(&c, RING_GPA(0));
	ck_assert_uint_ne(open_chan(relid, 1, 0, RING_DOWN), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
	ck_assert_uint_eq(get(&devs[0].closes), 0);
	/* Linux tears the GPADL down after a failed open: answered at once. */
	gpadl_teardown(relid, 1);
	expect_torndown(1);
	/* and may try again */
	devs[0].open_ret = 0;
	gopen_at(&c, &o, 1, 0);
	ck_assert_uint_eq(get(&devs[0].opens), 2);
}
END_TEST

/* ---- data ---------------------------------------------------------------------------------------- */

static void open_one(struct gchan *c, uint32_t target_vp)
{
	struct vmbus_msg_offer_channel o;

	setup_one(&o);
	gopen_at(c, &o, 0, target_vp);
}

START_TEST(test_data_guest_to_host)
{
	struct gchan c;
	uint8_t pay[300];

	open_one(&c, 0);
	for (unsigned i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 7);
	guest_send(&c, pay, 100, 0xaa01);
	ck_assert(WAIT_UNTIL(get(&devs[0].npkts) == 1, TMO));
	ck_assert_uint_ge(get(&devs[0].notifies), 1);
	{
		struct vmbus_packet_desc d;

		pthread_mutex_lock(&lock);
		memcpy(&d, devs[0].pkt[0], DESC);
		ck_assert_uint_eq(devs[0].pkt_len[0], 120);
		ck_assert_mem_eq(devs[0].pkt[0] + DESC, pay, 100);
		pthread_mutex_unlock(&lock);
		ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
		ck_assert_uint_eq(d.trans_id, 0xaa01);
	}
	/* the device's recv_done published its read index */
	ck_assert(WAIT_UNTIL(c.up_ctl->read_index == c.up_ctl->write_index, TMO));
	ck_assert_uint_eq(c.up_ctl->interrupt_mask, 0);
	/* many more, each signalled as Linux would */
	for (unsigned i = 1; i < MAX_PKTS; i++) {
		guest_send(&c, pay + i, 10 * i, 0xaa01 + i);
		ck_assert(WAIT_UNTIL(get(&devs[0].npkts) == i + 1, TMO));
	}
	pthread_mutex_lock(&lock);
	for (unsigned i = 1; i < MAX_PKTS; i++) {
		ck_assert_uint_eq(devs[0].pkt_len[i], (DESC + 10 * i + 7) & ~7u);
		ck_assert_mem_eq(devs[0].pkt[i] + DESC, pay + i, 10 * i);
	}
	ck_assert_int_eq(devs[0].recv_err, 0);
	pthread_mutex_unlock(&lock);
}
END_TEST

START_TEST(test_data_host_to_guest)
{
	struct gchan c;
	uint8_t pay[200], buf[512];
	unsigned inj0, inj1;
	struct vmbus_packet_desc d;
	int len;

	open_one(&c, 1);
	for (unsigned i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i ^ 0x5a);
	sief_clear(0, c.relid);
	sief_clear(1, c.relid);
	inj0 = injections(0, VEC);
	inj1 = injections(1, VEC);
	ck_assert_int_eq(dev_send(&devs[0], pay, 200), 0);
	len = guest_recv(&c, buf, sizeof(buf));
	ck_assert_int_eq(len, 216);
	memcpy(&d, buf, DESC);
	ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(d.offset8, 2);
	ck_assert_uint_eq(d.trans_id, 0x1234);
	ck_assert_mem_eq(buf + DESC, pay, 200);
	/* the relid's event flag in SINT 2 of the channel's VP, and its interrupt */
	ck_assert(sief_bit(1, c.relid));
	ck_assert(!sief_bit(0, c.relid));
	ck_assert_uint_eq(injections(1, VEC), inj1 + 1);
	ck_assert_uint_eq(injections(0, VEC), inj0);
	/* The guest has emptied the ring: the next packet signals again. */
	sief_clear(1, c.relid);
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), 0);
	ck_assert(sief_bit(1, c.relid));
	ck_assert_uint_eq(injections(1, VEC), inj1 + 2);
	/* Not read yet: no signal for the second one. */
	sief_clear(1, c.relid);
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), 0);
	ck_assert(!sief_bit(1, c.relid));
	ck_assert_uint_eq(injections(1, VEC), inj1 + 2);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), 24);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), 24);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), -1);
}
END_TEST

/* Host packets are limited to what the guest driver reads (facts §0.4: 4096 bytes with
 * the descriptor by default). */
START_TEST(test_data_max_packet)
{
	struct gchan c;
	static uint8_t pay[5000], buf[5000];

	open_one(&c, 0);
	ck_assert_int_eq(dev_send(&devs[0], pay, 4096 - DESC), 0);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), 4096);
	ck_assert_int_eq(dev_send(&devs[0], pay, 4096 - DESC + 1), -EMSGSIZE);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(test_close_channel)
{
	struct gchan c;
	uint8_t pay[8] = { 0 };

	open_one(&c, 0);
	send_relid(CHANNELMSG_CLOSECHANNEL, c.relid);
	/* no answer to CLOSECHANNEL */
	ping();
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), -EPIPE);
	/* vmbus_close then tears the ring GPADL down */
	gpadl_teardown(c.relid, c.gpadl);
	expect_torndown(c.gpadl);
	/* closed twice: nothing more */
	send_relid(CHANNELMSG_CLOSECHANNEL, c.relid);
	ping();
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	/* signals to a closed channel reach no one */
	ck_assert_uint_eq(signal_host(c.conn_id), HV_STATUS_SUCCESS);
	ping();
	ck_assert_uint_eq(get(&devs[0].notifies), 0);
}
END_TEST

/* The ring GPADL is not freed while the channel uses it; the answer waits for the close. */
START_TEST(test_teardown_while_open)
{
	struct gchan c;
	uint8_t pay[32] = { 1 };

	open_one(&c, 0);
	gpadl_teardown(c.relid, c.gpadl);
	ping();
	/* still usable */
	guest_send(&c, pay, 32, 1);
	ck_assert(WAIT_UNTIL(get(&devs[0].npkts) == 1, TMO));
	send_relid(CHANNELMSG_CLOSECHANNEL, c.relid);
	expect_torndown(c.gpadl);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	ping();
}
END_TEST

static void modify(uint32_t relid, uint32_t vp)
{
	struct vmbus_msg_modifychannel m = { .header.msgtype = CHANNELMSG_MODIFYCHANNEL, .child_relid = relid,
					     .target_vp = vp };

	post(&m, sizeof(m));
}

static void check_modify(uint32_t version)
{
	struct vmbus_msg_offer_channel o;
	struct gchan c;
	uint8_t pay[8] = { 0 }, buf[64];
	union vmsg r;
	unsigned inj1;

	dev_add(&devs[0]);
	connect_with(version, 0, VMBUS_MESSAGE_SINT);
	ck_assert_uint_eq(request_offers(&o, 1), 1);
	gopen_at(&c, &o, 0, 0);
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), 0);
	ck_assert(sief_bit(0, c.relid));
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), 24);
	sief_clear(0, c.relid);

	modify(c.relid, 1);
	if (version >= V(5, 3)) {
		ck_assert_int_ge(expect(CHANNELMSG_MODIFYCHANNEL_RESPONSE, &r), 16);
		ck_assert_uint_eq(r.modify.child_relid, c.relid);
		ck_assert_uint_eq(r.modify.status, 0);
	}
	ping();
	inj1 = injections(1, VEC);
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), 0);
	ck_assert(sief_bit(1, c.relid));
	ck_assert(!sief_bit(0, c.relid));
	ck_assert_uint_eq(injections(1, VEC), inj1 + 1);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), 24);
	sief_clear(1, c.relid);

	/* a VP that does not exist: refused, signals stay where they were */
	modify(c.relid, NVP);
	if (version >= V(5, 3)) {
		expect(CHANNELMSG_MODIFYCHANNEL_RESPONSE, &r);
		ck_assert_uint_eq(r.modify.child_relid, c.relid);
		ck_assert_uint_ne(r.modify.status, 0);
	}
	ping();
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), 0);
	ck_assert(sief_bit(1, c.relid));
	ck_assert(!sief_bit(0, c.relid));
}

START_TEST(test_modify_channel_53)
{
	check_modify(V(5, 3));
}
END_TEST

START_TEST(test_modify_channel_41)
{
	check_modify(V(4, 1));
}
END_TEST

START_TEST(test_modify_channel_52)
{
	check_modify(V(5, 2));
}
END_TEST

/*
 * Before Windows 8 (2.4) channels have no event flag of their own (facts §3.4): the
 * host sets the relid's bit in the receive half of the guest's interrupt page and
 * event flag 0 on VP 0; the guest sets the bit in the send half and signals event
 * connection 2.
 */
static void check_legacy(uint32_t version)
{
	struct vmbus_msg_offer_channel o;
	struct gchan c;
	uint8_t pay[16] = { 9 }, buf[64];
	uint8_t *ip = gmem_ptr(&mem, INT_PAGE, PAGE);
	unsigned inj0;

	dev_add(&devs[0]);
	connect_with(version, 0, VMBUS_MESSAGE_SINT);
	ck_assert_uint_eq(request_offers(&o, 1), 1);
	/* target_vp is not honoured yet: interrupts go to VP 0 */
	gopen_at(&c, &o, 0, 1);
	ck_assert_uint_eq(devs[0].open_vp, 0);
	memset(ip, 0, PAGE);
	sief_clear(0, 0);
	inj0 = injections(0, VEC);
	ck_assert_int_eq(dev_send(&devs[0], pay, 16), 0);
	ck_assert(ip[c.relid / 8] & (1u << (c.relid % 8)));
	ck_assert(sief_bit(0, 0));
	ck_assert(!sief_bit(0, c.relid));
	ck_assert(!sief_bit(1, 0));
	ck_assert_uint_eq(injections(0, VEC), inj0 + 1);
	ck_assert_int_eq(guest_recv(&c, buf, sizeof(buf)), 32);
	/* guest to host */
	c.conn_id = VMBUS_EVENT_CONNECTION_ID;
	__atomic_fetch_or(&ip[PAGE / 2 + c.relid / 8], (uint8_t)(1u << (c.relid % 8)), __ATOMIC_SEQ_CST);
	guest_send(&c, pay, 16, 5);
	ck_assert(WAIT_UNTIL(get(&devs[0].npkts) == 1, TMO));
}

START_TEST(test_legacy_interrupt_page_11)
{
	check_legacy(V(1, 1));
}
END_TEST

START_TEST(test_legacy_interrupt_page_013)
{
	check_legacy(V(0, 13));
}
END_TEST

/* Windows 8 hosts have 2048 event flags, hence relids up to 2047 (facts §0.3, §2.4):
 * a bus with a hundred channels (one NIC may want 64 sub-channels) must work. */
START_TEST(test_many_channels)
{
	enum { N = 100 };
	static struct tdev many[N];
	static struct vmbus_msg_offer_channel o[N];
	struct gchan c;
	unsigned added = 0;

	for (unsigned i = 0; i < N; i++) {
		struct lcall lc = { .d = &many[i] };

		tdev_init(&many[i], i);
		many[i].offer.instance_id.b[15] = (uint8_t)i;
		many[i].offer.instance_id.b[14] = 0x77;
		ck_assert_int_eq(loop_call(loop, lc_add, &lc), 0);
		if (many[i].dev)
			added++;
	}
	ck_assert_uint_eq(added, N);
	connect53();
	ck_assert_uint_eq(request_offers(o, N), N);
	for (unsigned i = 0; i < N; i++)
		for (unsigned j = i + 1; j < N; j++) {
			ck_assert_uint_ne(o[i].child_relid, o[j].child_relid);
			ck_assert_uint_ne(o[i].connection_id, o[j].connection_id);
		}
	gopen_at(&c, offer_of(o, N, &many[N - 1]), 0, 0);
	guest_send(&c, "hello", 5, 1);
	ck_assert(WAIT_UNTIL(get(&many[N - 1].npkts) == 1, TMO));
}
END_TEST

/* ---- rescind, unload, reconnect ------------------------------------------------------------------ */

START_TEST(test_rescind)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	struct gchan c;
	union vmsg r;
	uint8_t pay[8] = { 0 };
	uint32_t extra_gpadl = 0x999;

	gopen_at(&c, &o, 0, 0);
	ck_assert_uint_eq(gpadl_create(relid, extra_gpadl, RING_GPA(3), 4), 0);
	dev_remove(&devs[0]);
	ck_assert_int_ge(expect(CHANNELMSG_RESCIND_CHANNELOFFER, &r), 12);
	ck_assert_uint_eq(r.relid.child_relid, relid);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
	ck_assert_uint_le(get(&devs[0].closes), 1);
	{
		unsigned opens = get(&devs[0].opens), closes = get(&devs[0].closes);
		unsigned notifies = get(&devs[0].notifies);

		/* The guest keeps poking the channel: the device hears nothing more. */
		guest_send(&c, pay, 8, 1);
		ck_assert_uint_eq(signal_host(c.conn_id), HV_STATUS_SUCCESS);
		ck_assert_uint_ne(open_chan(relid, c.gpadl, 0, RING_DOWN), 0);
		/* A device added meanwhile gets another relid. */
		dev_add(&devs[1]);
		expect(CHANNELMSG_OFFERCHANNEL, &r);
		ck_assert_uint_ne(r.offer.child_relid, relid);
		/* vmbus_onoffer_rescind -> vmbus_close (no GPADL_TEARDOWN) -> RELID_RELEASED */
		send_relid(CHANNELMSG_CLOSECHANNEL, relid);
		send_relid(CHANNELMSG_RELID_RELEASED, relid);
		ping();
		usleep(50000);
		ck_assert_uint_eq(get(&devs[0].opens), opens);
		ck_assert_uint_eq(get(&devs[0].closes), closes);
		ck_assert_uint_eq(get(&devs[0].notifies), notifies);
	}
	/* The relid is free again, and the rescinded channel's GPADLs are gone with it. */
	dev_add(&devs[2]);
	expect(CHANNELMSG_OFFERCHANNEL, &r);
	ck_assert_uint_eq(r.offer.child_relid, relid);
	check_offer(&r.offer, &devs[2]);
	ck_assert_uint_eq(gpadl_create(relid, c.gpadl, RING_GPA(4), RING_PAGES), 0);
	ck_assert_uint_eq(gpadl_create(relid, extra_gpadl, RING_GPA(5), 4), 0);
	gchan_rings(&c, RING_GPA(4));
	ck_assert_uint_eq(open_chan(relid, c.gpadl, 0, RING_DOWN), 0);
	ck_assert_uint_eq(get(&devs[2].opens), 1);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
}
END_TEST

/* A channel offered but never opened: rescinded, no device callback at all. */
START_TEST(test_rescind_unopened)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	union vmsg r;

	ck_assert_uint_eq(gpadl_create(relid, 5, RING_GPA(0), RING_PAGES), 0);
	dev_remove(&devs[0]);
	expect(CHANNELMSG_RESCIND_CHANNELOFFER, &r);
	ck_assert_uint_eq(r.relid.child_relid, relid);
	/* OpenVMM answers teardowns of a revoked channel's GPADLs directly */
	gpadl_teardown(relid, 5);
	expect_torndown(5);
	send_relid(CHANNELMSG_RELID_RELEASED, relid);
	ping();
	ck_assert_uint_eq(get(&devs[0].opens), 0);
	ck_assert_uint_eq(get(&devs[0].closes), 0);
	/* a removed device is not offered again on reconnect */
	connect53();
	{
		struct vmbus_msg_offer_channel os[2];

		ck_assert_uint_eq(request_offers(os, 2), 0);
	}
}
END_TEST

/* Hot-unplug of a device whose channel the guest does not know (never connected, or
 * unloaded since): nothing to rescind, it goes at once, and the bus lives on. */
START_TEST(test_remove_unconnected)
{
	struct vmbus_msg_offer_channel o[2];
	union vmsg r;

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	dev_remove(&devs[0]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 1);
	ck_assert(!memcmp(&o[0].offer.if_instance, &devs[1].offer.instance_id, 16));
	send_hdr(CHANNELMSG_UNLOAD);
	expect(CHANNELMSG_UNLOAD_RESPONSE, &r);
	dev_remove(&devs[1]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 0);
	ck_assert_uint_eq(get(&devs[0].opens) + get(&devs[1].opens), 0);
	ping();
}
END_TEST

static void unload_and_reconnect(bool mid_open)
{
	struct vmbus_msg_offer_channel o[2], o2[2];
	struct gchan c;
	union vmsg r;
	uint32_t relid0, relid1;

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	connect_with(V(5, 3), 1, VMBUS_MESSAGE_SINT);
	ck_assert_uint_eq(request_offers(o, 2), 2);
	relid0 = offer_of(o, 2, &devs[0])->child_relid;
	relid1 = offer_of(o, 2, &devs[1])->child_relid;
	gopen_at(&c, offer_of(o, 2, &devs[0]), 0, 1);
	/* the other channel is half way: its GPADL made, not opened yet */
	if (mid_open)
		ck_assert_uint_eq(gpadl_create(relid1, 0x5555, RING_GPA(1), RING_PAGES), 0);
	send_hdr(CHANNELMSG_UNLOAD);
	/* the answer goes where the connection's messages went */
	expect_on(1, VMBUS_MESSAGE_SINT, CHANNELMSG_UNLOAD_RESPONSE, &r);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	ck_assert_uint_eq(get(&devs[1].opens), 0);
	ck_assert_uint_eq(bus_version(), 0);
	/* disconnected: requests are dropped */
	send_hdr(CHANNELMSG_REQUESTOFFERS);
	ck_assert_int_lt(recv_on(1, VMBUS_MESSAGE_SINT, &r, 100), 0);
	/* kexec'd kernel: a new connection, everything offered again */
	connect_with(V(5, 3), 0, VMBUS_MESSAGE_SINT);
	ck_assert_uint_eq(request_offers(o2, 2), 2);
	check_offer(offer_of(o2, 2, &devs[0]), &devs[0]);
	check_offer(offer_of(o2, 2, &devs[1]), &devs[1]);
	ck_assert_uint_eq(offer_of(o2, 2, &devs[0])->child_relid, relid0);
	/* the old GPADLs are gone: their ids can be used again */
	gopen_at(&c, offer_of(o2, 2, &devs[0]), 0, 0);
	ck_assert_uint_eq(get(&devs[0].opens), 2);
	if (mid_open)
		ck_assert_uint_eq(gpadl_create(relid1, 0x5555, RING_GPA(1), RING_PAGES), 0);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
}

START_TEST(test_unload)
{
	unload_and_reconnect(false);
}
END_TEST

START_TEST(test_unload_mid_open)
{
	unload_and_reconnect(true);
}
END_TEST

/*
 * Sub-channels belong to one connection: after UNLOAD and a new connection the guest
 * knows none of them (the server "closes/releases every channel", facts §3.7), the
 * primary is offered and opened again, and its device offers its sub-channels again.
 */
START_TEST(test_subchannel_after_reconnect)
{
	struct vmbus_msg_offer_channel o[2];
	struct gchan c;
	union vmsg r;

	dev_add(&devs[0]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 1);
	gopen_at(&c, &o[0], 0, 0);
	ck_assert_int_eq(dev_add_subchannel(&devs[0], 1), 0);
	expect(CHANNELMSG_OFFERCHANNEL, &r);
	ck_assert_uint_eq(r.offer.offer.sub_channel_index, 1);
	ck_assert_mem_eq(&r.offer.offer.if_instance, &devs[0].offer.instance_id, 16);
	ck_assert_uint_ne(r.offer.child_relid, o[0].child_relid);

	send_hdr(CHANNELMSG_UNLOAD);
	expect(CHANNELMSG_UNLOAD_RESPONSE, &r);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 1);
	ck_assert_uint_eq(o[0].offer.sub_channel_index, 0);
	gopen_at(&c, &o[0], 1, 0);
	ck_assert_int_eq(dev_add_subchannel(&devs[0], 1), 0);
	expect(CHANNELMSG_OFFERCHANNEL, &r);
	ck_assert_uint_eq(r.offer.offer.sub_channel_index, 1);
}
END_TEST

/* Linux never unloads on reboot: a new INITIATE_CONTACT resets the bus. */
START_TEST(test_contact_while_connected_resets)
{
	struct vmbus_msg_offer_channel o[2];
	struct gchan c;

	dev_add(&devs[0]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 2), 1);
	gopen_at(&c, &o[0], 0, 0);
	connect53();
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	/* everything is offered again, nothing is left open */
	ck_assert_uint_eq(request_offers(o, 2), 1);
	gopen_at(&c, &o[0], 0, 0);
	ck_assert_uint_eq(get(&devs[0].opens), 2);
}
END_TEST

/* ---- malformed and untimely messages --------------------------------------------------------- */

START_TEST(test_malformed_messages)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	uint8_t m[VMBUS_MSG_MAX];
	struct gchan c;
	static const uint32_t unknown[] = { 0, 1, 2, 4, 6, 10, 12, 15, 17, 18, 19, 20, 21, 23, 24, 25, 29, 100,
					    0xffffffffu };

	memset(m, 0, sizeof(m));
	/* shorter than a header */
	ck_assert_uint_eq(post_raw(0, c_conn, m, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(post_raw(0, c_conn, m, 4), HV_STATUS_SUCCESS);
	/* too short for their types */
	{
		struct vmbus_msg_open_channel op = {
			.header.msgtype = CHANNELMSG_OPENCHANNEL, .child_relid = relid, .openid = relid,
			.ringbuffer_gpadl = 1, .downstream_page_offset = 4,
		};
		struct vmbus_msg_initiate_contact ic = { .header.msgtype = CHANNELMSG_INITIATE_CONTACT,
							 .version_requested = V(5, 3) };
		struct vmbus_msg_gpadl_teardown td = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .gpadl = 9 };
		struct vmbus_msg_modifychannel mc = {
			.header.msgtype = CHANNELMSG_MODIFYCHANNEL, .child_relid = relid,
		};
		struct vmbus_msg_gpadl_header gh = { .header.msgtype = CHANNELMSG_GPADL_HEADER, .child_relid = relid,
						     .gpadl = 1, .range_buflen = 16, .rangecount = 1 };

		ck_assert_uint_eq(gpadl_create(relid, 1, RING_GPA(0), RING_PAGES), 0);
		gchan_rings(&c, RING_GPA(0));
		post(&op, sizeof(op) - 1);
		post(&op, 20);
		post(&ic, sizeof(ic) - 1);
		post(&ic, 12);
		post(&td, sizeof(td) - 1);
		post(&mc, sizeof(mc) - 1);
		gh.gpadl = 2;
		post(&gh, sizeof(gh) - 1);
		post(&gh, 12);
		post(&op.header, 8);	/* a bare OPENCHANNEL header */
		ping();
		ck_assert_uint_eq(get(&devs[0].opens), 0);
		ck_assert_uint_eq(bus_version(), V(5, 3));
	}
	/* types the host does not take from a guest, or that do not exist */
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct vmbus_msg_header h = { .msgtype = unknown[i] };

		memcpy(m, &h, sizeof(h));
		post(m, VMBUS_MSG_MAX);
		post(m, 8);
	}
	ping();
	ck_assert_uint_eq(bus_version(), V(5, 3));
	/* the bus still works */
	ck_assert_uint_eq(open_chan(relid, 1, 0, RING_DOWN), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 1);
}
END_TEST

START_TEST(test_messages_before_contact)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_open_channel op = { .header.msgtype = CHANNELMSG_OPENCHANNEL, .child_relid = 1, .openid = 1,
					     .ringbuffer_gpadl = 1, .downstream_page_offset = 4 };
	struct vmbus_msg_modifychannel mc = { .header.msgtype = CHANNELMSG_MODIFYCHANNEL, .child_relid = 1 };

	dev_add(&devs[0]);
	memset(m, 0, sizeof(m));
	send_hdr(CHANNELMSG_REQUESTOFFERS);
	gpadl_send(1, 1, RING_GPA(0), RING_PAGES);
	post(&op, sizeof(op));
	post(&mc, sizeof(mc));
	send_relid(CHANNELMSG_CLOSECHANNEL, 1);
	send_relid(CHANNELMSG_RELID_RELEASED, 1);
	gpadl_teardown(1, 1);
	send_hdr(CHANNELMSG_UNLOAD);
	ck_assert_int_lt(recv_on(0, VMBUS_MESSAGE_SINT, (union vmsg *)m, 100), 0);
	/* the first answer is the contact's */
	connect53();
	ping();
	ck_assert_uint_eq(get(&devs[0].opens), 0);
	/* and the GPADL sent before did not stay */
	{
		struct vmbus_msg_offer_channel o;

		ck_assert_uint_eq(request_offers(&o, 1), 1);
		ck_assert_uint_eq(gpadl_create(o.child_relid, 1, RING_GPA(0), RING_PAGES), 0);
	}
}
END_TEST

/* ---- a guest that corrupts its rings ------------------------------------------------------------ */

START_TEST(test_corrupt_ring_fails_channel)
{
	struct vmbus_msg_offer_channel o[3];
	struct gchan a, b, cc;
	uint8_t pay[40] = { 3 }, buf[128];
	unsigned notifies;

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	dev_add(&devs[2]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 3), 3);
	gopen_at(&a, offer_of(o, 3, &devs[0]), 0, 0);
	gopen_at(&b, offer_of(o, 3, &devs[1]), 1, 0);
	gopen_at(&cc, offer_of(o, 3, &devs[2]), 2, 1);

	/* a: a write index past the end of its ring */
	guest_send(&a, pay, 40, 1);
	ck_assert(WAIT_UNTIL(get(&devs[0].npkts) == 1, TMO));
	a.up_ctl->write_index = a.up_size + 64;
	ck_assert_uint_eq(signal_host(a.conn_id), HV_STATUS_SUCCESS);
	ck_assert(WAIT_UNTIL(get(&devs[0].closes) == 1, TMO));
	ck_assert_int_eq(devs[0].recv_err, -EBADMSG);
	ck_assert_int_lt(dev_send(&devs[0], pay, 8), 0);
	/* c: the read index of the ring the host writes */
	cc.dn_ctl->read_index = 12;
	ck_assert_int_eq(dev_send(&devs[2], pay, 8), -EBADMSG);
	ck_assert_int_eq(dev_send(&devs[2], pay, 8), -EPIPE);
	ck_assert(WAIT_UNTIL(get(&devs[2].closes) == 1, TMO));
	/* Neither device heard of it inside the call that found the ring broken: a
	 * device must be able to go on using its state until it returns. */
	ck_assert_uint_eq(get(&devs[0].closes_in_call), 0);
	ck_assert_uint_eq(get(&devs[2].closes_in_call), 0);

	/* b keeps working both ways */
	guest_send(&b, pay, 40, 2);
	ck_assert(WAIT_UNTIL(get(&devs[1].npkts) == 1, TMO));
	ck_assert_int_eq(dev_send(&devs[1], pay, 40), 0);
	ck_assert_int_eq(guest_recv(&b, buf, sizeof(buf)), 56);
	ck_assert_uint_eq(get(&devs[1].closes), 0);

	/* the failed channel does not call its device again */
	notifies = get(&devs[0].notifies);
	ck_assert_uint_eq(signal_host(a.conn_id), HV_STATUS_SUCCESS);
	ping();
	usleep(50000);
	ck_assert_uint_eq(get(&devs[0].notifies), notifies);
	ck_assert_uint_eq(get(&devs[0].closes), 1);

	/* The guest closes it and tears its GPADL down as usual; a new open works. */
	send_relid(CHANNELMSG_CLOSECHANNEL, a.relid);
	gpadl_teardown(a.relid, a.gpadl);
	expect_torndown(a.gpadl);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	gopen_at(&a, offer_of(o, 3, &devs[0]), 3, 0);
	ck_assert_uint_eq(get(&devs[0].opens), 2);
	guest_send(&a, pay, 40, 3);
	ck_assert(WAIT_UNTIL(get(&devs[0].npkts) == 2, TMO));
}
END_TEST

/* A bad descriptor (len8 0) kills the channel the same way. */
START_TEST(test_corrupt_descriptor_fails_channel)
{
	struct gchan c;
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = 0 };

	open_one(&c, 0);
	memcpy(c.up, &d, DESC);
	c.up_ctl->write_index = 64;
	ck_assert_uint_eq(signal_host(c.conn_id), HV_STATUS_SUCCESS);
	ck_assert(WAIT_UNTIL(get(&devs[0].closes) == 1, TMO));
	ck_assert_uint_eq(get(&devs[0].npkts), 0);
	ping();
}
END_TEST

/* ---- flow control of guest messages ------------------------------------------------------------- */

static sem_t blk_started, blk_release;

static void blocker(void *opaque)
{
	(void)opaque;
	sem_post(&blk_started);
	sem_wait(&blk_release);
}

static void lc_fail(void *o)
{
	struct lcall *c = o;

	c->d->in_call = true;
	vmbus_chan_fail(c->d->ch, "failed by the test");
	c->d->in_call = false;
	c->r = (int)c->d->closes;
}

/*
 * The device fails its own channel: its close comes later, from the loop, not inside
 * the call. When the guest's CLOSECHANNEL is handled before the loop told the device,
 * or the channel goes away, the device still hears of it exactly once.
 */
START_TEST(test_device_fail_closes_later_once)
{
	struct vmbus_msg_offer_channel o;
	struct lcall lc = { .d = &devs[0] };
	struct gchan c;
	union vmsg r;
	uint8_t pay[16] = { 5 };

	setup_one(&o);
	sem_init(&blk_started, 0, 0);
	sem_init(&blk_release, 0, 0);

	/* alone: told once, after the call returned */
	gopen_at(&c, &o, 0, 0);
	ck_assert_int_eq(loop_call(loop, lc_fail, &lc), 0);
	ck_assert_int_eq(lc.r, 0);
	ck_assert_int_eq(dev_send(&devs[0], pay, 8), -EPIPE);
	ck_assert(WAIT_UNTIL(get(&devs[0].closes) == 1, TMO));
	send_relid(CHANNELMSG_CLOSECHANNEL, c.relid);
	gpadl_teardown(c.relid, c.gpadl);
	expect_torndown(c.gpadl);
	ck_assert_uint_eq(get(&devs[0].closes), 1);

	/* the guest's CLOSECHANNEL queued while the loop is busy failing the channel */
	gopen_at(&c, &o, 1, 0);
	ck_assert_int_eq(loop_post(loop, lc_fail, &lc), 0);
	ck_assert_int_eq(loop_post(loop, blocker, NULL), 0);
	sem_wait(&blk_started);
	send_relid(CHANNELMSG_CLOSECHANNEL, c.relid);
	sem_post(&blk_release);
	gpadl_teardown(c.relid, c.gpadl);
	expect_torndown(c.gpadl);
	ck_assert(WAIT_UNTIL(get(&devs[0].closes) == 2, TMO));
	ping();
	usleep(50000);
	ck_assert_uint_eq(get(&devs[0].closes), 2);

	/* failed, then the device goes away before the loop told it */
	gopen_at(&c, &o, 2, 0);
	ck_assert_int_eq(loop_post(loop, lc_fail, &lc), 0);
	ck_assert_int_eq(loop_post(loop, lc_remove, &lc), 0);
	expect(CHANNELMSG_RESCIND_CHANNELOFFER, &r);
	ck_assert_uint_eq(r.relid.child_relid, c.relid);
	ck_assert_uint_eq(get(&devs[0].closes), 3);
	send_relid(CHANNELMSG_CLOSECHANNEL, c.relid);
	send_relid(CHANNELMSG_RELID_RELEASED, c.relid);
	ping();
	usleep(50000);
	ck_assert_uint_eq(get(&devs[0].closes), 3);
	ck_assert_uint_eq(get(&devs[0].closes_in_call), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 3);
	sem_destroy(&blk_started);
	sem_destroy(&blk_release);
}
END_TEST

START_TEST(test_inq_limit)
{
	struct vmbus_msg_offer_channel o;
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN };
	union vmsg r;

	setup_one(&o);
	sem_init(&blk_started, 0, 0);
	sem_init(&blk_release, 0, 0);
	ck_assert_int_eq(loop_post(loop, blocker, NULL), 0);
	sem_wait(&blk_started);
	/* The loop is busy: messages queue up to the limit, then the guest must retry. */
	for (uint32_t i = 0; i < VMBUS_INQ_LEN; i++) {
		m.gpadl = 0x8000 + i;
		ck_assert_uint_eq(post_raw(i % NVP, c_conn, &m, sizeof(m)), HV_STATUS_SUCCESS);
	}
	m.gpadl = 0x9000;
	ck_assert_uint_eq(post_raw(0, c_conn, &m, sizeof(m)), HV_STATUS_INSUFFICIENT_BUFFERS);
	ck_assert_uint_eq(post_raw(1, c_conn, &m, sizeof(m)), HV_STATUS_INSUFFICIENT_BUFFERS);
	sem_post(&blk_release);
	/* every queued message is answered, in order */
	for (uint32_t i = 0; i < VMBUS_INQ_LEN; i++) {
		expect(CHANNELMSG_GPADL_TORNDOWN, &r);
		ck_assert_uint_eq(r.torndown.gpadl, 0x8000 + i);
	}
	/* the retry goes through */
	ck_assert_uint_eq(post_raw(0, c_conn, &m, sizeof(m)), HV_STATUS_SUCCESS);
	expect_torndown(0x9000);
	sem_destroy(&blk_started);
	sem_destroy(&blk_release);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmbus");
	TCase *tc = tcase_create("vmbus");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_contact_every_version);
	tcase_add_test(tc, test_contact_version_response_layout);
	tcase_add_test(tc, test_contact_unsupported_version);
	tcase_add_test(tc, test_contact_unsupported_while_connected);
	tcase_add_test(tc, test_contact_target_vcpu);
	tcase_add_test(tc, test_contact_msg_sint);
	tcase_add_test(tc, test_offers);
	tcase_add_test(tc, test_offer_waits_for_request);
	tcase_add_test(tc, test_gpadl_created);
	tcase_add_test(tc, test_gpadl_failures_answered);
	tcase_add_test(tc, test_gpadl_teardown_unknown);
	tcase_add_test(tc, test_open_good);
	tcase_add_test(tc, test_open_bad);
	tcase_add_test(tc, test_open_device_fails);
	tcase_add_test(tc, test_data_guest_to_host);
	tcase_add_test(tc, test_data_host_to_guest);
	tcase_add_test(tc, test_data_max_packet);
	tcase_add_test(tc, test_close_channel);
	tcase_add_test(tc, test_teardown_while_open);
	tcase_add_test(tc, test_modify_channel_53);
	tcase_add_test(tc, test_modify_channel_52);
	tcase_add_test(tc, test_modify_channel_41);
	tcase_add_test(tc, test_legacy_interrupt_page_11);
	tcase_add_test(tc, test_legacy_interrupt_page_013);
	tcase_add_test(tc, test_many_channels);
	tcase_add_test(tc, test_rescind);
	tcase_add_test(tc, test_rescind_unopened);
	tcase_add_test(tc, test_remove_unconnected);
	tcase_add_test(tc, test_unload);
	tcase_add_test(tc, test_unload_mid_open);
	tcase_add_test(tc, test_contact_while_connected_resets);
	tcase_add_test(tc, test_subchannel_after_reconnect);
	tcase_add_test(tc, test_malformed_messages);
	tcase_add_test(tc, test_messages_before_contact);
	tcase_add_test(tc, test_corrupt_ring_fails_channel);
	tcase_add_test(tc, test_corrupt_descriptor_fails_channel);
	tcase_add_test(tc, test_device_fail_closes_later_once);
	tcase_add_test(tc, test_inq_limit);
	suite_add_tcase(s, tc);
	return test_main(s);
}
