/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

/*
 * The VMBus server against an in-process guest (vmbus-facts.md §2-§5): the shared
 * simulated guest (tests/guest/vmbus_guest.h), threaded, with two VPs and SINTs 2 and
 * 3 on, plays Linux's hv_vmbus. A recording device on the host side shows what the
 * server does with its callbacks; the interrupts the SynIC injects are counted by VP
 * and vector.
 */

struct vg fx;
struct loop *loop;
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

/* ---- the guest: the shared simulated guest (tests/guest/vmbus_guest.h) -------------------- */

void wrmsr(unsigned vp, uint32_t msr, uint64_t val)
{
	vg_wrmsr(&fx, vp, msr, val);
}

/* hv_synic_enable_regs: SINT 2 on VEC and SINT 3 on VEC3 */
void synic_enable(unsigned vp)
{
	vg_synic_enable(&fx, vp);
}

uint16_t post_raw(unsigned vp, uint32_t conn, const void *m, uint32_t len)
{
	ck_assert_uint_le(len, HV_MESSAGE_PAYLOAD_MAX);
	return vg_post_raw(&fx, vp, conn, m, len);
}

void post(const void *m, uint32_t len)
{
	vg_post(&fx, m, len);
}

struct hv_message *sim_slot(unsigned vp, unsigned sint)
{
	return vg_sim_slot(&fx, vp, sint);
}

int recv_on(unsigned vp, unsigned sint, union vg_msg *buf, unsigned ms)
{
	return vg_recv_on(&fx, vp, sint, buf, ms);
}

int expect_on(unsigned vp, unsigned sint, uint32_t type, union vg_msg *buf)
{
	return vg_expect_on(&fx, vp, sint, type, buf);
}

int expect(uint32_t type, union vg_msg *buf)
{
	return vg_expect(&fx, type, buf);
}

void assert_slot_empty(unsigned vp, unsigned sint)
{
	ck_assert_msg(sim_slot(vp, sint)->header.message_type == HVMSG_NONE, "unexpected message on VP %u SINT %u: %u",
		      vp, sint, ((union vg_msg *)sim_slot(vp, sint)->payload)->h.msgtype);
}

void ping(void)
{
	vg_ping(&fx);
}

void send_hdr(uint32_t type)
{
	vg_send_hdr(&fx, type);
}

void send_relid(uint32_t type, uint32_t relid)
{
	vg_send_relid(&fx, type, relid);
}

void initiate(uint32_t version, uint32_t target_vcpu, uint8_t sint)
{
	ck_assert_uint_eq(vg_contact(&fx, version, target_vcpu, sint), HV_STATUS_SUCCESS);
}

void connect_with(uint32_t version, uint32_t target_vcpu, uint8_t sint)
{
	vg_connect_with(&fx, version, target_vcpu, sint);
	ck_assert_uint_eq(bus_version(), version);
}

void connect53(void)
{
	connect_with(V(5, 3), 0, VMBUS_MESSAGE_SINT);
}

unsigned request_offers(struct vmbus_msg_offer_channel *offers, unsigned max)
{
	return vg_request_offers(&fx, offers, max);
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

void gpadl_send_pfns(uint32_t relid, uint32_t id, uint32_t byte_count, const uint64_t *pfns, unsigned n)
{
	ck_assert_uint_eq(vg_gpadl_post(&fx, relid, id, 0, byte_count, pfns, n), HV_STATUS_SUCCESS);
}

void gpadl_send(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	ck_assert_uint_le(pages, 256);
	ck_assert_uint_eq(vg_gpadl_post_pages(&fx, relid, id, gpa, pages), HV_STATUS_SUCCESS);
}

uint32_t expect_created(uint32_t relid, uint32_t id)
{
	return vg_expect_created(&fx, relid, id);
}

uint32_t gpadl_create(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages)
{
	gpadl_send(relid, id, gpa, pages);
	return expect_created(relid, id);
}

void gpadl_teardown(uint32_t relid, uint32_t id)
{
	vg_gpadl_teardown(&fx, relid, id);
}

void expect_torndown(uint32_t id)
{
	vg_expect_torndown(&fx, id);
}

uint32_t open_chan(uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down)
{
	return vg_open_chan(&fx, relid, gpadl, target_vp, down);
}

void gchan_rings(struct vg_chan *c, uint64_t gpa)
{
	vg_rings_init(&fx, c, gpa, RING_DOWN, RING_PAGES - RING_DOWN);
}

void gopen_at(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, unsigned slot, uint32_t target_vp)
{
	ck_assert_uint_eq(vg_open(&fx, c, o, 0xe1e10 + slot, RING_GPA(slot), RING_DOWN, RING_PAGES - RING_DOWN,
				  target_vp), 0);
}

uint16_t signal_host(uint32_t conn_id)
{
	return vg_signal_conn(&fx, conn_id, false);
}

/* hv_ringbuffer_write into the guest-to-host ring, then vmbus_setevent if needed. */
void guest_send(struct vg_chan *c, const void *payload, uint32_t plen, uint64_t trans)
{
	ck_assert_int_eq(vg_send(c, VM_PKT_DATA_INBAND, 0, trans, payload, plen), 0);
}

int guest_recv(struct vg_chan *c, uint8_t *buf, uint32_t buflen)
{
	int len = vg_chan_get(c, buf, buflen);

	ck_assert_int_ne(len, -EBADMSG);
	if (len == 0)
		return -1;
	ck_assert_uint_le(len, buflen);
	return len;
}

uint8_t *sief_byte(unsigned vp, uint32_t relid)
{
	return vg_sief_byte(&fx, vp, relid);
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
	struct vg_config cfg = {
		.ram = RAM_SIZE,
		.nvp = NVP,
		.mode = VG_THREADED,
		.sint_vector = { [VMBUS_MESSAGE_SINT] = VEC, [3] = VEC3 },
		.inject = rec_inject,
		.inject_ctx = &inject_ctx,
	};

	memset(injected, 0, sizeof(injected));
	inject_bad = 0;
	for (unsigned i = 0; i < 4; i++)
		tdev_init(&devs[i], i);
	vg_init_with(&fx, &cfg);
	loop = fx.loop;
	hv = fx.hv;
	bus = fx.bus;
	vg_start(&fx);
}

void teardown(void)
{
	ck_assert_uint_eq(get(&inject_bad), 0);
	vg_destroy(&fx);
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

void open_one(struct vg_chan *c, uint32_t target_vp)
{
	struct vmbus_msg_offer_channel o;

	setup_one(&o);
	gopen_at(c, &o, 0, target_vp);
}
