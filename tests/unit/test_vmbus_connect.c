/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

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
	union vg_msg r;
	int len;

	initiate(V(5, 3), 0, VMBUS_MESSAGE_SINT);
	len = expect(CHANNELMSG_VERSION_RESPONSE, &r);
	ck_assert_int_ge(len, 16);
	ck_assert_uint_ne(r.version.version_supported, 0);
	ck_assert_uint_eq(r.version.connection_state, 0);
	/* a connection id the server takes messages on */
	fx.msg_conn = r.version.msg_conn_id;
	ck_assert_uint_ne(fx.msg_conn, 0);
	ping();
}
END_TEST

START_TEST(test_contact_unsupported_version)
{
	static const uint32_t bad[] = { V(6, 0), V(2, 0), V(4, 2), V(5, 4), V(1, 0), 0, 0xffffffffu };
	union vg_msg r;

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
	struct vg_chan c;
	union vg_msg r;

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
	union vg_msg r;

	dev_add(&devs[0]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		initiate(cases[i].version, 1, VMBUS_MESSAGE_SINT);
		expect_on(cases[i].vp, VMBUS_MESSAGE_SINT, CHANNELMSG_VERSION_RESPONSE, &r);
		ck_assert_uint_ne(r.version.version_supported, 0);
		assert_slot_empty(!cases[i].vp, VMBUS_MESSAGE_SINT);
		fx.msg_vp = cases[i].vp;
		fx.msg_conn = cases[i].version >= V(5, 0) ? r.version.msg_conn_id : VMBUS_MESSAGE_CONNECTION_ID;
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
	union vg_msg r;
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

START_TEST(test_offers)
{
	struct vmbus_msg_offer_channel o[4];
	union vg_msg r;

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

int main(void)
{
	Suite *s = suite_create("vmbus_connect");
	TCase *tc = vmbus_tcase(s);

	tcase_add_test(tc, test_contact_every_version);
	tcase_add_test(tc, test_contact_version_response_layout);
	tcase_add_test(tc, test_contact_unsupported_version);
	tcase_add_test(tc, test_contact_unsupported_while_connected);
	tcase_add_test(tc, test_contact_target_vcpu);
	tcase_add_test(tc, test_contact_msg_sint);
	tcase_add_test(tc, test_offers);
	tcase_add_test(tc, test_offer_waits_for_request);
	return test_main(s);
}
