/* SPDX-License-Identifier: MIT */
/*
 * The portable VMBus client of the UEFI driver (firmware/vmbusc.c), compiled natively
 * and run against hvkvm's own VMBus server: its struct vmbusc_host is the simulated
 * guest (vmbusc_vg_host.h): HvPostMessage and HvSignalEvent from VP 0, SINT 2's SIM slot
 * of VP 0, pages of guest RAM. The recording test devices of the vmbus tests
 * (vmbus_fixture.h) are what it finds and opens. Then hosts that misbehave: ring
 * indices and packets no host may write, a packet larger than the reader's buffer, no
 * answer at all, a refused protocol version.
 */
#include <time.h>
#include <unistd.h>

#include "vmbus_fixture.h"
#include "vmbusc.h"
#include "vmbusc_vg_host.h"

#define ALLOC_BASE	(8ull << 20)	/* the client's pages: above the fixture's rings */
#define TMO_US		(5u * 1000 * 1000)

/* ---- the environment: the simulated guest, with a hostile host in front of it ---- */

static struct vmbusc_vg_host env;

static struct {
	bool mute;			/* the host's messages never arrive */
	bool refuse53;			/* INITIATE_CONTACT for 5.3 gets "not supported" */
	bool fake_pending;		/* a refusal waits in place of the host's answer */
	bool flood;			/* after VERSION_RESPONSE, offers without end */
	bool flooding;
	uint32_t contacts[8];		/* versions asked for */
	unsigned ncontacts;
	/* A callback that interrupts the client in next_message (a firmware timer), once. */
	void (*nested)(void);
	unsigned posts;			/* messages posted */
} hostile;

static uint16_t e_post(void *ctx, uint32_t conn, uint32_t type, const void *payload, uint32_t len)
{
	const struct vmbus_msg_initiate_contact *ic = payload;

	ck_assert_ptr_eq(ctx, &env);
	ck_assert_uint_le(len, VMBUS_MSG_MAX);
	hostile.posts++;
	if (len >= sizeof(*ic) && ic->header.msgtype == CHANNELMSG_INITIATE_CONTACT) {
		ck_assert_uint_eq(conn, VMBUS_MESSAGE_CONNECTION_ID_4);
		ck_assert_uint_eq(ic->msg_sint, VMBUS_MESSAGE_SINT);
		ck_assert_uint_eq(ic->target_vcpu, 0);
		if (hostile.ncontacts < 8)
			hostile.contacts[hostile.ncontacts++] = ic->version_requested;
		if (hostile.refuse53 && ic->version_requested == VMBUS_VERSION_WIN10_V5_3) {
			hostile.fake_pending = true;
			return HV_STATUS_SUCCESS;
		}
	}
	return vmbusc_vg_post(ctx, conn, type, payload, len);
}

static int e_next(void *ctx, uint32_t *type, void *buf, uint32_t cap)
{
	int len;

	if (hostile.nested) {
		void (*fn)(void) = hostile.nested;

		hostile.nested = NULL;
		fn();
	}
	if (hostile.fake_pending) {
		struct vmbus_msg_version_response r = { .header.msgtype = CHANNELMSG_VERSION_RESPONSE };

		hostile.fake_pending = false;
		*type = VMBUS_MESSAGE_TYPE;
		memcpy(buf, &r, sizeof(r) < cap ? sizeof(r) : cap);
		return sizeof(r);
	}
	if (hostile.flooding) {
		struct vmbus_msg_offer_channel o = {
			.header.msgtype = CHANNELMSG_OFFERCHANNEL,
			.child_relid = 7,
			.connection_id = 0x1007,
		};

		*type = VMBUS_MESSAGE_TYPE;
		memcpy(buf, &o, sizeof(o) < cap ? sizeof(o) : cap);
		return sizeof(o);
	}
	if (hostile.mute) {
		usleep(50);
		return -1;
	}
	len = vmbusc_vg_next(ctx, type, buf, cap);
	if (hostile.flood && len >= (int)sizeof(struct vmbus_msg_header) && cap >= sizeof(struct vmbus_msg_header))
		hostile.flooding = ((const struct vmbus_msg_header *)buf)->msgtype == CHANNELMSG_VERSION_RESPONSE;
	return len;
}

static const struct vmbusc_host *host = &env.host;

static struct vmbusc b;

static void env_setup(void)
{
	setup();
	vmbusc_vg_host_init(&env, &fx, ALLOC_BASE);
	env.host.post_message = e_post;
	env.host.next_message = e_next;
	memset(&hostile, 0, sizeof(hostile));
}

static const struct vmbus_guid *class_of(const struct tdev *d)
{
	return (const struct vmbus_guid *)&d->offer.class_id;
}

/* Connected, with devices 0 and 1 offered; device 0's channel open. */
static struct vmbusc_chan *connect_open(uint32_t ring_pages)
{
	struct vmbusc_chan *c = NULL;
	const struct vmbusc_offer *o;

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	ck_assert_int_eq(vmbusc_connect(&b, host, TMO_US), 0);
	o = vmbusc_find(&b, class_of(&devs[0]), 0);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(vmbusc_open(&b, o, ring_pages, TMO_US, &c), 0);
	ck_assert_ptr_nonnull(c);
	return c;
}

static bool dev_has(struct vg *g, void *ctx)
{
	(void)g;
	return get(&devs[0].npkts) >= *(unsigned *)ctx;
}

static void wait_pkts(unsigned n)
{
	ck_assert_msg(vg_wait(&fx, dev_has, &n, TMO), "the device got %u packets of %u", get(&devs[0].npkts), n);
}

/* The next packet from the host, waiting for it. */
static int recv_wait(struct vmbusc_chan *c, struct vmbusc_packet *p, void *buf, uint32_t cap)
{
	uint64_t end = vmbusc_vg_now(NULL) + TMO_US;
	int r;

	while ((r = vmbusc_recv(c, p, buf, cap)) == 0 && vmbusc_vg_now(NULL) < end)
		usleep(100);
	return r;
}

/* The client's receive ring as the host sees it. */
static struct vmbus_ring_control *in_ctl(uint32_t ring_pages)
{
	return (struct vmbus_ring_control *)((uint8_t *)env.last + (ring_pages + 1) * PAGE);
}

static uint8_t *in_data(uint32_t ring_pages)
{
	return (uint8_t *)env.last + (ring_pages + 2) * PAGE;
}

/* ---- the bus ---- */

START_TEST(test_connect_offers)
{
	const struct vmbusc_offer *o0, *o1;

	dev_add(&devs[0]);
	dev_add(&devs[1]);
	ck_assert_int_eq(vmbusc_connect(&b, host, TMO_US), 0);
	ck_assert(b.connected);
	ck_assert_uint_eq(b.version, VMBUS_VERSION_WIN10_V5_3);
	ck_assert_uint_eq(b.msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID);
	ck_assert_uint_eq(bus_version(), VMBUS_VERSION_WIN10_V5_3);
	ck_assert_uint_eq(hostile.ncontacts, 1);
	ck_assert_uint_eq(b.noffers, 2);
	o0 = vmbusc_find(&b, class_of(&devs[0]), 0);
	o1 = vmbusc_find(&b, class_of(&devs[1]), 0);
	ck_assert_ptr_nonnull(o0);
	ck_assert_ptr_nonnull(o1);
	ck_assert_ptr_null(vmbusc_find(&b, class_of(&devs[0]), 1));
	ck_assert_ptr_null(vmbusc_find(&b, class_of(&devs[2]), 0));
	ck_assert_mem_eq(&o0->if_instance, &devs[0].offer.instance_id, 16);
	ck_assert_uint_eq(o0->chn_flags, devs[0].offer.chn_flags);
	ck_assert_uint_ne(o0->child_relid, o1->child_relid);
	ck_assert_uint_gt(o0->connection_id, VMBUS_MESSAGE_CONNECTION_ID_4);

	/* UNLOAD, then the bus takes a new contact and offers again. */
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
	ck_assert(!b.connected);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), VMBUSC_EINVAL);
	ck_assert_int_eq(vmbusc_connect(&b, host, TMO_US), 0);
	ck_assert_uint_eq(b.noffers, 2);
	ck_assert_ptr_nonnull(vmbusc_find(&b, class_of(&devs[1]), 0));
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
	ck_assert_uint_eq(env.allocated, 0);
}
END_TEST

/* A host that refuses 5.3 gets 5.2 asked next. */
START_TEST(test_connect_older_version)
{
	hostile.refuse53 = true;
	ck_assert_int_eq(vmbusc_connect(&b, host, TMO_US), 0);
	ck_assert_uint_eq(hostile.ncontacts, 2);
	ck_assert_uint_eq(hostile.contacts[0], VMBUS_VERSION_WIN10_V5_3);
	ck_assert_uint_eq(hostile.contacts[1], VMBUS_VERSION_WIN10_V5_2);
	ck_assert_uint_eq(b.version, VMBUS_VERSION_WIN10_V5_2);
	ck_assert_uint_eq(bus_version(), VMBUS_VERSION_WIN10_V5_2);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* ---- a channel ---- */

START_TEST(test_open_exchange_close)
{
	/* 16 pages a ring: 34 pages, more than GPADL_HEADER holds (a body follows). */
	struct vmbusc_chan *c = connect_open(16);
	const char hello[] = "hello, host";
	uint8_t buf[512], reply[100];
	struct vmbusc_packet p;
	struct vmbus_gpa_direct_header h;
	struct vmbus_gpa_range rg;
	uint64_t pfn[2];

	ck_assert_uint_eq(get(&devs[0].opens), 1);
	ck_assert_uint_eq(get(&devs[1].opens), 0);
	ck_assert_uint_eq(env.allocated, 1 + 34);

	/* inband, into an empty ring: the host is signalled on the offer's connection */
	ck_assert_int_eq(vmbusc_send(c, 0x77, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, hello, sizeof(hello)), 0);
	wait_pkts(1);
	ck_assert_uint_eq(env.signals, 1);
	ck_assert_uint_eq(env.last_signal, vmbusc_find(&b, class_of(&devs[0]), 0)->connection_id);
	pthread_mutex_lock(&lock);
	ck_assert_uint_eq(devs[0].pkt_len[0], (DESC + sizeof(hello) + 7) & ~7u);	/* padded */
	memcpy(buf, devs[0].pkt[0], sizeof(buf));
	pthread_mutex_unlock(&lock);
	ck_assert_uint_eq(((struct vmbus_packet_desc *)buf)->type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(((struct vmbus_packet_desc *)buf)->flags, 1);
	ck_assert_uint_eq(((struct vmbus_packet_desc *)buf)->trans_id, 0x77);
	ck_assert_mem_eq(buf + DESC, hello, sizeof(hello));

	/* GPA direct: 0x2000 bytes from 0x10 into a page span three pages */
	ck_assert_int_eq(vmbusc_send_gpa(c, 0x78, hello, 4, 0x300010, 0x2000), 0);
	wait_pkts(2);
	pthread_mutex_lock(&lock);
	memcpy(buf, devs[0].pkt[1], sizeof(buf));
	ck_assert_uint_eq(devs[0].pkt_len[1], sizeof(h) + sizeof(rg) + 3 * 8 + 8);
	pthread_mutex_unlock(&lock);
	memcpy(&h, buf, sizeof(h));
	memcpy(&rg, buf + sizeof(h), sizeof(rg));
	ck_assert_uint_eq(h.d.type, VM_PKT_DATA_USING_GPA_DIRECT);
	ck_assert_uint_eq(h.d.flags, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	ck_assert_uint_eq(h.d.trans_id, 0x78);
	ck_assert_uint_eq(h.d.offset8 * 8u, sizeof(h) + sizeof(rg) + 3 * 8);
	ck_assert_uint_eq(h.range_cnt, 1);
	ck_assert_uint_eq(rg.byte_offset, 0x10);
	ck_assert_uint_eq(rg.byte_count, 0x2000);
	memcpy(pfn, buf + sizeof(h) + sizeof(rg), 16);
	ck_assert_uint_eq(pfn[0], 0x300);
	ck_assert_uint_eq(pfn[1], 0x301);
	ck_assert_mem_eq(buf + h.d.offset8 * 8u, hello, 4);

	/* from the host */
	ck_assert_int_eq(vmbusc_recv(c, &p, reply, sizeof(reply)), 0);
	ck_assert_int_eq(dev_send(&devs[0], "answer", 6), 0);
	ck_assert_int_eq(recv_wait(c, &p, reply, sizeof(reply)), 1);
	ck_assert_uint_eq(p.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(p.trans_id, 0x1234);
	ck_assert_uint_eq(p.len, 8);	/* packets carry 8-byte multiples */
	ck_assert_mem_eq(reply, "answer", 6);
	ck_assert_int_eq(vmbusc_recv(c, &p, reply, sizeof(reply)), 0);

	/* closed: the host's close ran, the GPADL went, every page came back */
	vmbusc_close(c, TMO_US);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	ck_assert_uint_eq(env.freed, env.allocated);
	/* and the channel opens again */
	ck_assert_int_eq(vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[0]), 0), 2, TMO_US, &c), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 2);
	vmbusc_close(c, TMO_US);
	ck_assert_uint_eq(env.freed, env.allocated);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
	/* after UNLOAD and a new contact, the device opens once more */
	ck_assert_int_eq(vmbusc_connect(&b, host, TMO_US), 0);
	ck_assert_int_eq(vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[0]), 0), 2, TMO_US, &c), 0);
	ck_assert_uint_eq(get(&devs[0].opens), 3);
	vmbusc_close(c, TMO_US);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* A timer callback that interrupts a message exchange (here: the client waiting for
 * the host's answer to an open): another exchange is refused and changes nothing,
 * ring operations on an open channel go on. */
static struct vmbusc_chan *nest_chan, *nest_opened;
static int nest_open_r, nest_unload_r, nest_send_r;
static unsigned nest_posts;

static void nest_fn(void)
{
	unsigned posts = hostile.posts;

	nest_opened = (struct vmbusc_chan *)&nest_opened;	/* overwritten by the refusal */
	nest_open_r = vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[1]), 0), 1, TMO_US, &nest_opened);
	nest_unload_r = vmbusc_unload(&b, TMO_US);
	vmbusc_close(nest_chan, TMO_US);
	nest_send_r = vmbusc_send(nest_chan, 0x99, 0, "nested", 6);
	nest_posts = hostile.posts - posts;
}

START_TEST(test_nested_exchange)
{
	struct vmbusc_chan *c = connect_open(2), *c1 = NULL;
	unsigned allocated;
	uint8_t buf[64];

	nest_chan = c;
	allocated = env.allocated;
	hostile.nested = nest_fn;
	ck_assert_int_eq(vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[1]), 0), 2, TMO_US, &c1), 0);
	ck_assert_ptr_null(hostile.nested);		/* it ran, inside the open */
	ck_assert_int_eq(nest_open_r, VMBUSC_EBUSY);
	ck_assert_ptr_null(nest_opened);
	ck_assert_int_eq(nest_unload_r, VMBUSC_EBUSY);
	ck_assert(b.connected);
	ck_assert_uint_eq(nest_posts, 0);	/* nothing reached the host from them */
	/* the outer open alone allocated (its page and 6 ring pages); device 1 opened once */
	ck_assert_uint_eq(env.allocated, allocated + 1 + 6);
	ck_assert_uint_eq(get(&devs[1].opens), 1);
	/* the nested close left device 0's channel open; the nested send reached it */
	ck_assert_uint_eq(get(&devs[0].closes), 0);
	ck_assert_int_eq(nest_send_r, 0);
	wait_pkts(1);
	pthread_mutex_lock(&lock);
	memcpy(buf, devs[0].pkt[0], sizeof(buf));
	pthread_mutex_unlock(&lock);
	ck_assert_uint_eq(((struct vmbus_packet_desc *)buf)->trans_id, 0x99);
	ck_assert_mem_eq(buf + DESC, "nested", 6);
	ck_assert(!b.busy);
	/* and everything works afterwards */
	ck_assert_int_eq(vmbusc_send(c, 0x9a, 0, "after", 5), 0);
	wait_pkts(2);
	vmbusc_close(c1, TMO_US);
	vmbusc_close(c, TMO_US);
	ck_assert_uint_eq(get(&devs[0].closes), 1);
	ck_assert_uint_eq(get(&devs[1].closes), 1);
	ck_assert_uint_eq(env.freed, env.allocated);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* Both rings wrap many times; a host that filled the client's receive ring is told
 * when room is made (pending_send_sz), and resumes. */
START_TEST(test_rings_wrap)
{
	struct vmbusc_chan *c = connect_open(1);	/* 4 KiB a ring */
	uint8_t data[700], got[700];
	struct vmbusc_packet p;
	unsigned sent = 0, recvd = 0, eagain = 0;

	for (unsigned i = 0; i < 40; i++) {
		memset(data, (int)i, sizeof(data));
		for (;;) {
			int r = vmbusc_send(c, i, 0, data, 300 + i);

			if (r == 0)
				break;
			ck_assert_int_eq(r, VMBUSC_EAGAIN);
			eagain++;
			usleep(100);
		}
	}
	wait_pkts(40);
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < MAX_PKTS; i++) {
		ck_assert_uint_eq(devs[0].pkt_len[i], (DESC + 300 + i + 7) & ~7u);
		ck_assert_uint_eq(devs[0].pkt[i][DESC + 299 + i], i);
	}
	pthread_mutex_unlock(&lock);
	ck_assert_uint_eq((unsigned)devs[0].recv_err, 0);

	/* the host fills the receive ring until it must wait */
	while (sent < 40) {
		int r;

		memset(data, (int)sent, sizeof(data));
		r = dev_send(&devs[0], data, 500 + sent);
		if (r == -EAGAIN)
			break;
		ck_assert_int_eq(r, 0);
		sent++;
	}
	ck_assert_uint_lt(sent, 40);
	ck_assert_uint_ne(in_ctl(1)->pending_send_sz, 0);
	unsigned signals = env.signals;
	while (recvd < sent) {
		ck_assert_int_eq(recv_wait(c, &p, got, sizeof(got)), 1);
		ck_assert_uint_eq(p.len, (500 + recvd + 7) & ~7u);
		ck_assert_uint_eq(got[500 + recvd - 1], recvd);
		recvd++;
	}
	ck_assert_uint_eq(env.signals, signals + 1);
	/* and the host writes again */
	for (; sent < 40; sent++) {
		memset(data, (int)sent, sizeof(data));
		ck_assert_int_eq(dev_send(&devs[0], data, 500 + sent), 0);
		ck_assert_int_eq(recv_wait(c, &p, got, sizeof(got)), 1);
		ck_assert_uint_eq(p.len, (500 + sent + 7) & ~7u);
		ck_assert_uint_eq(got[500 + sent - 1], sent);
	}
	vmbusc_close(c, TMO_US);
	ck_assert_uint_eq(env.freed, env.allocated);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* What the caller may not ask. */
START_TEST(test_bad_arguments)
{
	struct vmbusc_chan *c = connect_open(1);
	struct vmbusc_chan *c2 = (struct vmbusc_chan *)1;
	uint8_t big[4096] = { 0 };

	ck_assert_int_eq(vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[1]), 0), 0, TMO_US, &c2), VMBUSC_EINVAL);
	ck_assert_ptr_null(c2);
	ck_assert_int_eq(vmbusc_open(&b, NULL, 1, TMO_US, &c2), VMBUSC_EINVAL);
	/* a packet that can never fit the ring */
	ck_assert_int_eq(vmbusc_send(c, 1, 0, big, sizeof(big)), VMBUSC_EINVAL);
	ck_assert_int_eq(vmbusc_send_gpa(c, 1, big, 8, 0x1000, 0), VMBUSC_EINVAL);
	ck_assert_int_eq(vmbusc_send_gpa(c, 1, big, 8, 0x1000, 257 * PAGE), VMBUSC_EINVAL);
	/* still usable */
	ck_assert_int_eq(vmbusc_send(c, 1, 0, big, 16), 0);
	wait_pkts(1);
	vmbusc_close(c, TMO_US);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
	ck_assert_int_eq(vmbusc_open(&b, &b.offers[0], 1, TMO_US, &c2), VMBUSC_EINVAL);
}
END_TEST

/* ---- hostile hosts ---- */

/* A write index that is not 8-aligned, or beyond the ring, behind a packet that is
 * well formed: the channel is broken, and stays so. */
START_TEST(test_garbage_write_index)
{
	static const struct vmbus_packet_desc good = { .type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = 3 };
	static const uint32_t bad[] = { 36, PAGE + 32, PAGE, 13 };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vmbusc_chan *c;
		struct vmbusc_packet p;
		uint8_t buf[64];

		if (i == 0)
			c = connect_open(1);
		else
			ck_assert_int_eq(vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[0]), 0), 1, TMO_US, &c), 0);
		memcpy(in_data(1), &good, sizeof(good));
		__atomic_store_n(&in_ctl(1)->write_index, bad[i], __ATOMIC_SEQ_CST);
		ck_assert_msg(vmbusc_recv(c, &p, buf, sizeof(buf)) == VMBUSC_EIO, "write index %u taken", bad[i]);
		__atomic_store_n(&in_ctl(1)->write_index, 32, __ATOMIC_SEQ_CST);
		ck_assert_int_eq(vmbusc_recv(c, &p, buf, sizeof(buf)), VMBUSC_EIO);	/* stays broken */
		ck_assert_int_eq(vmbusc_send(c, 1, 0, buf, 8), VMBUSC_EIO);
		vmbusc_close(c, TMO_US);
	}
	ck_assert_uint_eq(env.freed, env.allocated);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* The same packet with a sane index is taken: the cases above fail for their index. */
START_TEST(test_host_written_packet)
{
	static const struct vmbus_packet_desc good = { .type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = 3, .trans_id = 9 };
	struct vmbusc_chan *c = connect_open(1);
	struct vmbusc_packet p;
	uint8_t buf[64];

	memcpy(in_data(1), &good, sizeof(good));
	memcpy(in_data(1) + 16, "8 bytes!", 8);
	__atomic_store_n(&in_ctl(1)->write_index, 32, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(vmbusc_recv(c, &p, buf, sizeof(buf)), 1);
	ck_assert_uint_eq(p.len, 8);
	ck_assert_uint_eq(p.trans_id, 9);
	ck_assert_mem_eq(buf, "8 bytes!", 8);
	ck_assert_uint_eq(in_ctl(1)->read_index, 32);
	ck_assert_int_eq(vmbusc_recv(c, &p, buf, sizeof(buf)), 0);
	vmbusc_close(c, TMO_US);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* The host's read index of the client's ring out of range: sends fail. */
START_TEST(test_garbage_read_index)
{
	struct vmbusc_chan *c = connect_open(1);
	struct vmbus_ring_control *out = env.last;

	/* the server stops reading a ring it finds broken: no race with it here, as it
	 * only reads this index when signalled */
	out->read_index = 4;
	ck_assert_int_eq(vmbusc_send(c, 1, 0, "x", 1), VMBUSC_EIO);
	vmbusc_close(c, TMO_US);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* Descriptors that lie: longer than what was published, an offset past the packet,
 * a length below the descriptor's own. */
START_TEST(test_garbage_descriptors)
{
	static const struct vmbus_packet_desc bad[] = {
		{ .type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = 100 },	/* beyond the write index */
		{ .type = VM_PKT_DATA_INBAND, .offset8 = 4, .len8 = 3 },	/* offset beyond the packet */
		{ .type = VM_PKT_DATA_INBAND, .offset8 = 1, .len8 = 3 },	/* payload inside the descriptor */
		{ .type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = 1 },	/* shorter than a descriptor */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vmbusc_chan *c;
		struct vmbusc_packet p;
		uint8_t buf[256];

		if (i == 0)
			c = connect_open(1);
		else
			ck_assert_int_eq(vmbusc_open(&b, vmbusc_find(&b, class_of(&devs[0]), 0), 1, TMO_US, &c), 0);
		/* as a host would write it, 8 bytes of payload and a trailer: 32 bytes */
		memcpy(in_data(1), &bad[i], sizeof(bad[i]));
		__atomic_store_n(&in_ctl(1)->write_index, 32, __ATOMIC_SEQ_CST);
		ck_assert_msg(vmbusc_recv(c, &p, buf, sizeof(buf)) == VMBUSC_EIO, "descriptor %u taken", i);
		vmbusc_close(c, TMO_US);
	}
	ck_assert_uint_eq(env.freed, env.allocated);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* A packet larger than the caller's buffer is not cut short: the channel breaks. */
START_TEST(test_oversized_packet)
{
	struct vmbusc_chan *c = connect_open(2);
	uint8_t data[1000] = { 1 }, buf[100];
	struct vmbusc_packet p;

	ck_assert_int_eq(dev_send(&devs[0], data, sizeof(data)), 0);
	ck_assert_int_eq(recv_wait(c, &p, buf, sizeof(buf)), VMBUSC_EIO);
	ck_assert_int_eq(vmbusc_recv(c, &p, buf, sizeof(buf)), VMBUSC_EIO);
	vmbusc_close(c, TMO_US);
	ck_assert_int_eq(vmbusc_unload(&b, TMO_US), 0);
}
END_TEST

/* No answer: each wait ends at its bound with VMBUSC_ETIMEDOUT. */
START_TEST(test_no_answer)
{
	struct vmbusc_chan *c = (struct vmbusc_chan *)1;
	uint64_t t0;
	unsigned allocated;

	hostile.mute = true;
	t0 = vmbusc_vg_now(NULL);
	ck_assert_int_eq(vmbusc_connect(&b, host, 200000), VMBUSC_ETIMEDOUT);
	ck_assert_uint_ge(vmbusc_vg_now(NULL) - t0, 200000);
	ck_assert_uint_lt(vmbusc_vg_now(NULL) - t0, TMO_US);
	ck_assert(!b.connected);

	/* connected, then the host goes silent: the open times out, and its ring pages,
	 * which the host may hold, are never freed */
	hostile.mute = false;
	dev_add(&devs[0]);
	ck_assert_int_eq(vmbusc_connect(&b, host, TMO_US), 0);
	hostile.mute = true;
	t0 = vmbusc_vg_now(NULL);
	ck_assert_int_eq(vmbusc_open(&b, &b.offers[0], 1, 200000, &c), VMBUSC_ETIMEDOUT);
	ck_assert_uint_ge(vmbusc_vg_now(NULL) - t0, 200000);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(env.allocated, 1 + 4);
	ck_assert_uint_eq(env.freed, 1);
	allocated = env.allocated;
	ck_assert_int_eq(vmbusc_unload(&b, 100000), VMBUSC_ETIMEDOUT);
	ck_assert(!b.connected);
	ck_assert_uint_eq(env.allocated, allocated);
}
END_TEST

/* A host that never stops talking: the waits end at their bound all the same. */
START_TEST(test_flood)
{
	uint64_t t0 = vmbusc_vg_now(NULL);

	hostile.flood = true;
	ck_assert_int_eq(vmbusc_connect(&b, host, 200000), VMBUSC_ETIMEDOUT);
	ck_assert_uint_ge(vmbusc_vg_now(NULL) - t0, 200000);
	ck_assert_uint_lt(vmbusc_vg_now(NULL) - t0, TMO_US);
	ck_assert_uint_eq(b.noffers, 1);	/* the same relid, noted once */
	t0 = vmbusc_vg_now(NULL);
	ck_assert_int_eq(vmbusc_unload(&b, 100000), VMBUSC_ETIMEDOUT);
	ck_assert_uint_ge(vmbusc_vg_now(NULL) - t0, 100000);
	ck_assert_uint_lt(vmbusc_vg_now(NULL) - t0, TMO_US);
}
END_TEST

static Suite *vmbusc_suite(void)
{
	Suite *s = suite_create("vmbusc");
	TCase *tc = tcase_create("vmbusc");

	tcase_add_checked_fixture(tc, env_setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, test_connect_offers);
	tcase_add_test(tc, test_connect_older_version);
	tcase_add_test(tc, test_open_exchange_close);
	tcase_add_test(tc, test_rings_wrap);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_garbage_write_index);
	tcase_add_test(tc, test_host_written_packet);
	tcase_add_test(tc, test_garbage_read_index);
	tcase_add_test(tc, test_garbage_descriptors);
	tcase_add_test(tc, test_oversized_packet);
	tcase_add_test(tc, test_no_answer);
	tcase_add_test(tc, test_flood);
	tcase_add_test(tc, test_nested_exchange);
	return s;
}

int main(void)
{
	return test_main(vmbusc_suite());
}
