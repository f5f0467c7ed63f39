/* SPDX-License-Identifier: MIT */
#include "vmbus_fixture.h"

/* ---- GPADLs -------------------------------------------------------------------------------- */

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
	struct vg_chan c;

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
	struct vg_chan c;
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
	struct vg_chan c;

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

int main(void)
{
	Suite *s = suite_create("vmbus_gpadl_open");
	TCase *tc = vmbus_tcase(s);

	tcase_add_test(tc, test_gpadl_created);
	tcase_add_test(tc, test_gpadl_failures_answered);
	tcase_add_test(tc, test_gpadl_teardown_unknown);
	tcase_add_test(tc, test_open_good);
	tcase_add_test(tc, test_open_bad);
	tcase_add_test(tc, test_open_device_fails);
	return test_main(s);
}
