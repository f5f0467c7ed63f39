/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

/* ---- rescind, unload, reconnect ------------------------------------------------------------------ */

START_TEST(test_rescind)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	struct vg_chan c;
	union vg_msg r;
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
	union vg_msg r;

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
	union vg_msg r;

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
	struct vg_chan c;
	union vg_msg r;
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
	struct vg_chan c;
	union vg_msg r;

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
	struct vg_chan c;

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

int main(void)
{
	Suite *s = suite_create("vmbus_lifecycle");
	TCase *tc = vmbus_tcase(s);

	tcase_add_test(tc, test_rescind);
	tcase_add_test(tc, test_rescind_unopened);
	tcase_add_test(tc, test_remove_unconnected);
	tcase_add_test(tc, test_unload);
	tcase_add_test(tc, test_unload_mid_open);
	tcase_add_test(tc, test_contact_while_connected_resets);
	tcase_add_test(tc, test_subchannel_after_reconnect);
	return test_main(s);
}
