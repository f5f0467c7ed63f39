/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

/*
 * The VMBus server against an in-process guest (vmbus-facts.md §2-§5). The test plays
 * Linux's hv_vmbus: it turns on the SynIC of two VPs with MSR writes, posts channel
 * messages with HvCallPostMessage from an input page in guest RAM, reads the answers
 * from SIM slot 2 (freeing the slot and writing EOM as Linux does), builds GPADLs and
 * ring buffers in guest RAM and signals channels with HvSignalEvent. A recording
 * device on the host side shows what the server does with its callbacks.
 */

struct gmem mem;
struct loop *loop;
struct test_loop tl;
struct hv *hv;
struct vmbus *bus;

/* ---- interrupts the SynIC injects --------------------------------------------------- */

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
unsigned injected[NVP][256];

int inject_ctx;
unsigned inject_bad;

void rec_inject(void *ctx, unsigned vp, uint8_t vector)
{
	pthread_mutex_lock(&lock);
	if (vp < NVP && ctx == &inject_ctx)
		injected[vp][vector]++;
	else
		inject_bad++;
	pthread_mutex_unlock(&lock);
}

unsigned injections(unsigned vp, uint8_t vector)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = injected[vp][vector];
	pthread_mutex_unlock(&lock);
	return n;
}

/* ---- a recording device ---------------------------------------------------------------- */

struct tdev devs[4];

unsigned get(const unsigned *p)
{
	unsigned v;

	pthread_mutex_lock(&lock);
	v = *p;
	pthread_mutex_unlock(&lock);
	return v;
}

int td_open(struct vmbus_channel *ch, void *opaque)
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

void td_close(struct vmbus_channel *ch, void *opaque)
{
	struct tdev *d = opaque;

	pthread_mutex_lock(&lock);
	ck_assert_ptr_eq(ch, d->ch);
	d->closes++;
	d->closes_in_call += d->in_call;
	pthread_mutex_unlock(&lock);
}

bool td_notify(struct vmbus_channel *ch, void *opaque)
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

const struct vmbus_dev_ops td_ops = {
	.open = td_open,
	.close = td_close,
	.notify = td_notify,
};

void tdev_init(struct tdev *d, unsigned n)
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

void lc_add(void *o)
{
	struct lcall *c = o;

	c->d->dev = vmbus_device_add(bus, &c->d->offer, &td_ops, c->d);
}

void lc_remove(void *o)
{
	struct lcall *c = o;

	vmbus_device_remove(c->d->dev);
}

void lc_send(void *o)
{
	struct lcall *c = o;
	struct iovec iov = { (void *)c->data, c->len };

	c->d->in_call = true;
	c->r = vmbus_chan_send(c->d->ch, c->type, 0, 0x1234, &iov, 1);
	c->d->in_call = false;
}

void lc_add_subchannel(void *o)
{
	struct lcall *c = o;

	c->r = vmbus_device_add_subchannel(c->d->dev, (uint16_t)c->len);
}

void lc_version(void *o)
{
	struct lcall *c = o;

	c->r = (int)vmbus_version(bus);
}

void dev_add(struct tdev *d)
{
	struct lcall c = { .d = d };

	ck_assert_int_eq(loop_call(loop, lc_add, &c), 0);
	ck_assert_ptr_nonnull(d->dev);
}

void dev_remove(struct tdev *d)
{
	struct lcall c = { .d = d };

	ck_assert_int_eq(loop_call(loop, lc_remove, &c), 0);
}

int dev_send(struct tdev *d, const void *data, uint32_t len)
{
	struct lcall c = { .d = d, .type = VM_PKT_DATA_INBAND, .data = data, .len = len };

	ck_assert_int_eq(loop_call(loop, lc_send, &c), 0);
	return c.r;
}

int dev_add_subchannel(struct tdev *d, uint16_t index)
{
	struct lcall c = { .d = d, .len = index };

	ck_assert_int_eq(loop_call(loop, lc_add_subchannel, &c), 0);
	return c.r;
}

uint32_t bus_version(void)
{
	struct lcall c = { 0 };

	ck_assert_int_eq(loop_call(loop, lc_version, &c), 0);
	return (uint32_t)c.r;
}

/* ---- the guest: SynIC, messages -------------------------------------------------------- */

/* Where the server's messages go, and where the guest posts. */
unsigned c_vp;
unsigned c_sint = VMBUS_MESSAGE_SINT;
uint32_t c_conn = VMBUS_MESSAGE_CONNECTION_ID;

void wrmsr(unsigned vp, uint32_t msr, uint64_t val)
{
	ck_assert_int_eq(hv_msr_write(hv, vp, msr, val), 0);
}

/* hv_synic_enable_regs */
void synic_enable(unsigned vp)
{
	wrmsr(vp, HV_X64_MSR_SIMP, SIMP_GPA(vp) | HV_PAGE_ENABLE);
	wrmsr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA(vp) | HV_PAGE_ENABLE);
	wrmsr(vp, HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, VEC);
	wrmsr(vp, HV_X64_MSR_SINT0 + 3, VEC3);
	wrmsr(vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
}

uint16_t post_raw(unsigned vp, uint32_t conn, const void *m, uint32_t len)
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

void post(const void *m, uint32_t len)
{
	ck_assert_uint_eq(post_raw(0, c_conn, m, len), HV_STATUS_SUCCESS);
}

struct hv_message *sim_slot(unsigned vp, unsigned sint)
{
	uint8_t *page = gmem_ptr(&mem, SIMP_GPA(vp), PAGE);

	ck_assert_ptr_nonnull(page);
	return (struct hv_message *)(page + sint * HV_MESSAGE_SIZE);
}

/* vmbus_on_msg_dpc + vmbus_signal_eom: copy the slot, free it, EOM if more wait. */
int recv_on(unsigned vp, unsigned sint, union vmsg *buf, unsigned ms)
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

int expect_on(unsigned vp, unsigned sint, uint32_t type, union vmsg *buf)
{
	int n = recv_on(vp, sint, buf, TMO);

	ck_assert_msg(n >= 8, "no message on VP %u SINT %u (wanted type %u)", vp, sint, type);
	ck_assert_msg(buf->h.msgtype == type, "got message type %u, wanted %u", buf->h.msgtype, type);
	return n;
}

int expect(uint32_t type, union vmsg *buf)
{
	return expect_on(c_vp, c_sint, type, buf);
}

void assert_slot_empty(unsigned vp, unsigned sint)
{
	ck_assert_msg(sim_slot(vp, sint)->header.message_type == HVMSG_NONE, "unexpected message on VP %u SINT %u: %u",
		      vp, sint, ((union vmsg *)sim_slot(vp, sint)->payload)->h.msgtype);
}

/*
 * A request with a known answer, GPADL_TEARDOWN of a GPADL that does not exist:
 * messages are handled in order, so whatever was posted before had its answer (if
 * any) delivered before this one. The next message must be the ping's answer.
 */
uint32_t ping_id = 0x70000000;

void ping(void)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .gpadl = ++ping_id };
	union vmsg r;

	post(&m, sizeof(m));
	expect(CHANNELMSG_GPADL_TORNDOWN, &r);
	ck_assert_uint_eq(r.torndown.gpadl, ping_id);
}

void send_hdr(uint32_t type)
{
	struct vmbus_msg_header m = { .msgtype = type };

	post(&m, sizeof(m));
}

void send_relid(uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid m = { .header.msgtype = type, .child_relid = relid };

	post(&m, sizeof(m));
}

void initiate(uint32_t version, uint32_t target_vcpu, uint8_t sint)
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
void connect_with(uint32_t version, uint32_t target_vcpu, uint8_t sint)
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

void connect53(void)
{
	connect_with(V(5, 3), 0, VMBUS_MESSAGE_SINT);
}

/* REQUESTOFFERS: the offers, then ALLOFFERS_DELIVERED. */
unsigned request_offers(struct vmbus_msg_offer_channel *offers, unsigned max)
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

const struct vmbus_msg_offer_channel *offer_of(const struct vmbus_msg_offer_channel *o, unsigned n,
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
void gpadl_send_pfns(uint32_t relid, uint32_t id, uint32_t byte_count, const uint64_t *pfns, unsigned n)
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

void gpadl_send(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	uint64_t pfns[256];

	ck_assert_uint_le(pages, 256);
	for (unsigned i = 0; i < pages; i++)
		pfns[i] = gpa / PAGE + i;
	gpadl_send_pfns(relid, id, pages * PAGE, pfns, pages);
}

uint32_t expect_created(uint32_t relid, uint32_t id)
{
	union vmsg r;

	ck_assert_int_ge(expect(CHANNELMSG_GPADL_CREATED, &r), 20);
	ck_assert_uint_eq(r.created.child_relid, relid);
	ck_assert_uint_eq(r.created.gpadl, id);
	return r.created.creation_status;
}

uint32_t gpadl_create(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	gpadl_send(relid, id, gpa, pages);
	return expect_created(relid, id);
}

void gpadl_teardown(uint32_t relid, uint32_t id)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = id };

	post(&m, sizeof(m));
}

void expect_torndown(uint32_t id)
{
	union vmsg r;

	ck_assert_int_ge(expect(CHANNELMSG_GPADL_TORNDOWN, &r), 12);
	ck_assert_uint_eq(r.torndown.gpadl, id);
}

uint32_t open_chan(uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down)
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

/* hv_ringbuffer_init for both rings: zeroed, feature bit set, before OPENCHANNEL. */
void gchan_rings(struct gchan *c, uint64_t gpa)
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
void gopen_at(struct gchan *c, const struct vmbus_msg_offer_channel *o, unsigned slot, uint32_t target_vp)
{
	memset(c, 0, sizeof(*c));
	c->relid = o->child_relid;
	c->conn_id = o->connection_id;
	c->gpadl = 0xe1e10 + slot;
	ck_assert_uint_eq(gpadl_create(c->relid, c->gpadl, RING_GPA(slot), RING_PAGES), 0);
	gchan_rings(c, RING_GPA(slot));
	ck_assert_uint_eq(open_chan(c->relid, c->gpadl, target_vp, RING_DOWN), 0);
}

uint16_t signal_host(uint32_t conn_id)
{
	return (uint16_t)hv_hypercall(hv, 0, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, conn_id, 0);
}

/* hv_ringbuffer_write into the guest-to-host ring, then vmbus_setevent if needed. */
void guest_send(struct gchan *c, const void *payload, uint32_t plen, uint64_t trans)
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
int guest_recv(struct gchan *c, uint8_t *buf, uint32_t buflen)
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

uint8_t *sief_byte(unsigned vp, uint32_t relid)
{
	uint8_t *page = gmem_ptr(&mem, SIEFP_GPA(vp), PAGE);

	ck_assert_ptr_nonnull(page);
	return page + VMBUS_MESSAGE_SINT * (HV_EVENT_FLAGS_PER_SINT / 8) + relid / 8;
}

bool sief_bit(unsigned vp, uint32_t relid)
{
	return __atomic_load_n(sief_byte(vp, relid), __ATOMIC_SEQ_CST) & (1u << (relid % 8));
}

void sief_clear(unsigned vp, uint32_t relid)
{
	__atomic_fetch_and(sief_byte(vp, relid), (uint8_t) ~(1u << (relid % 8)), __ATOMIC_SEQ_CST);
}

/* ---- fixture ------------------------------------------------------------------------------ */

void setup(void)
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

void teardown(void)
{
	ck_assert_uint_eq(get(&inject_bad), 0);
	test_loop_stop(&tl);
	vmbus_free(bus);
	hv_free(hv);
	loop_free(loop);
	gmem_destroy(&mem);
}

/* A test case of s with the fixture and a minute for each test. */
TCase *vmbus_tcase(Suite *s)
{
	TCase *tc = tcase_create("vmbus");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

void check_offer(const struct vmbus_msg_offer_channel *o, const struct tdev *d)
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

uint32_t setup_one(struct vmbus_msg_offer_channel *o)
{
	dev_add(&devs[0]);
	connect53();
	ck_assert_uint_eq(request_offers(o, 1), 1);
	return o->child_relid;
}

void open_one(struct gchan *c, uint32_t target_vp)
{
	struct vmbus_msg_offer_channel o;

	setup_one(&o);
	gopen_at(c, &o, 0, target_vp);
}
