/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

/* ---- malformed and untimely messages --------------------------------------------------------- */

START_TEST(test_malformed_messages)
{
	struct vmbus_msg_offer_channel o;
	uint32_t relid = setup_one(&o);
	uint8_t m[VMBUS_MSG_MAX];
	struct vg_chan c;
	static const uint32_t unknown[] = { 0, 1, 2, 4, 6, 10, 12, 15, 17, 18, 19, 20, 21, 23, 24, 25, 29, 100,
					    0xffffffffu };

	memset(m, 0, sizeof(m));
	/* shorter than a header */
	ck_assert_uint_eq(post_raw(0, fx.msg_conn, m, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(post_raw(0, fx.msg_conn, m, 4), HV_STATUS_SUCCESS);
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
	ck_assert_int_lt(recv_on(0, VMBUS_MESSAGE_SINT, (union vg_msg *)m, 100), 0);
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
	struct vg_chan a, b, cc;
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
	struct vg_chan c;
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
	struct vg_chan c;
	union vg_msg r;
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
	union vg_msg r;

	setup_one(&o);
	sem_init(&blk_started, 0, 0);
	sem_init(&blk_release, 0, 0);
	ck_assert_int_eq(loop_post(loop, blocker, NULL), 0);
	sem_wait(&blk_started);
	/* The loop is busy: messages queue up to the limit, then the guest must retry. */
	for (uint32_t i = 0; i < VMBUS_INQ_LEN; i++) {
		m.gpadl = 0x8000 + i;
		ck_assert_uint_eq(post_raw(i % NVP, fx.msg_conn, &m, sizeof(m)), HV_STATUS_SUCCESS);
	}
	m.gpadl = 0x9000;
	ck_assert_uint_eq(post_raw(0, fx.msg_conn, &m, sizeof(m)), HV_STATUS_INSUFFICIENT_BUFFERS);
	ck_assert_uint_eq(post_raw(1, fx.msg_conn, &m, sizeof(m)), HV_STATUS_INSUFFICIENT_BUFFERS);
	sem_post(&blk_release);
	/* every queued message is answered, in order */
	for (uint32_t i = 0; i < VMBUS_INQ_LEN; i++) {
		expect(CHANNELMSG_GPADL_TORNDOWN, &r);
		ck_assert_uint_eq(r.torndown.gpadl, 0x8000 + i);
	}
	/* the retry goes through */
	ck_assert_uint_eq(post_raw(0, fx.msg_conn, &m, sizeof(m)), HV_STATUS_SUCCESS);
	expect_torndown(0x9000);
	sem_destroy(&blk_started);
	sem_destroy(&blk_release);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmbus_hostile");
	TCase *tc = vmbus_tcase(s);

	tcase_add_test(tc, test_malformed_messages);
	tcase_add_test(tc, test_messages_before_contact);
	tcase_add_test(tc, test_corrupt_ring_fails_channel);
	tcase_add_test(tc, test_corrupt_descriptor_fails_channel);
	tcase_add_test(tc, test_device_fail_closes_later_once);
	tcase_add_test(tc, test_inq_limit);
	return test_main(s);
}
