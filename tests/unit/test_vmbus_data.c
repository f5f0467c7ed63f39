/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

/* ---- data ---------------------------------------------------------------------------------------- */

START_TEST(test_data_guest_to_host)
{
	struct vg_chan c;
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
	struct vg_chan c;
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
	struct vg_chan c;
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
	struct vg_chan c;
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
	struct vg_chan c;
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
	struct vg_chan c;
	uint8_t pay[8] = { 0 }, buf[64];
	union vg_msg r;
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
	struct vg_chan c;
	uint8_t pay[16] = { 9 }, buf[64];
	uint8_t *ip = gmem_ptr(&fx.mem, INT_PAGE, PAGE);
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
	struct vg_chan c;
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

int main(void)
{
	Suite *s = suite_create("vmbus_data");
	TCase *tc = vmbus_tcase(s);

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
	return test_main(s);
}
