/* SPDX-License-Identifier: MIT */
#include "storvsp_fixture.h"

/* ---- hostile guests ---------------------------------------------------------------------- */

/*
 * storvsc waits for every answer forever (storvsc-facts §0.3), so a request storvsp
 * cannot use still gets one when it asks: the controller refuses an SRB with
 * SRB_STATUS_INVALID_REQUEST and moves no data, anything else gets an error status.
 */

/* Shorter than the vstor header, or than the SRB of the version. */
START_TEST(test_short_packets)
{
	uint8_t buf[VSTOR_PACKET_SIZE] = { 0 };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned n = 0;

	ready(&c);
	for (unsigned len = 0; len < 12; len += 4, n++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = VSTOR_OPERATION_EXECUTE_SRB;
		ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x100 + len, buf, len), 0);
		expect_comp(&c, 0x100 + len, &r);
		ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		ck_assert_uint_ne(r.p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
	}
	/* An SRB cut short (the ring pads to 8 bytes): in band, and with a page list whose
	 * pages must stay untouched. */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, 0);
	for (unsigned len = 12; len <= VSTOR_PACKET_SIZE - 8; len += 4, n++) {
		ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x200 + len, &p, len), 0);
		expect_comp(&c, 0x200 + len, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	}
	{
		uint64_t pfn = BUF_B / PAGE;

		memset(gp(BUF_B, PAGE), 0xee, PAGE);
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
		ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x300, 0, BS, &pfn, 1, &p, 47), 0);
		expect_comp(&c, 0x300, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		ck_assert(all_bytes(BUF_B, PAGE, 0xee));
		n++;
	}
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	ck_assert_uint_eq(stat_of(c.relid, "malformed"), n);
}
END_TEST

START_TEST(test_unknown_operations)
{
	static const uint32_t ops[] = { 0, VSTOR_OPERATION_COMPLETE_IO, VSTOR_OPERATION_REMOVE_DEVICE,
					VSTOR_OPERATION_ENUMERATE_BUS, VSTOR_OPERATION_FCHBA_DATA, 14, 0x10000,
					0xffffffffu };
	struct vg_chan c;

	ready(&c);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		ck_assert_uint_eq(op(&c, ops[i]), VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

START_TEST(test_bad_cdb_length)
{
	static const uint8_t lens[] = { 0, 17, 20, 255 };
	struct vg_chan c;
	uint8_t cdb[16];

	ready(&c);
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct vstor_packet p;
		struct comp r;
		uint64_t t;

		memset(gp(BUF_B, 4096), 0xee, 4096);
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 8), DIR_IN, 4096);
		p.vm_srb.cdb_length = lens[i];
		t = srb_send(&c, &p, BUF_B, 4096);
		expect_comp(&c, t, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		ck_assert(all_bytes(BUF_B, 4096, 0xee));
	}
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* data_transfer_length must fit the range the page list describes. */
START_TEST(test_transfer_beyond_page_list)
{
	uint64_t pfns[2] = { BUF_B / PAGE, BUF_B / PAGE + 1 };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	memset(gp(BUF_B, 2 * PAGE), 0xee, 2 * PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 16), DIR_IN, 8192);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x400, 0, 4096, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x400, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* the same through an offset: 4096 bytes from 0x800 need two pages */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 8), DIR_IN, 4096);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x401, 0x800, 2048, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x401, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* a range shorter than its one page */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x403, 0x10, 100, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x403, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	ck_assert(all_bytes(BUF_B, 2 * PAGE, 0xee));
	/* a buffer larger than the transfer is fine: only the transfer is used */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x404, 0x800, 4096, pfns, 2, &p, pkt_size), 0);
	expect_comp(&c, 0x404, &r);
	check_good(&r, BS);
	check_file(&disks[0], 0, gp(BUF_B + 0x800, BS), BS);
	ck_assert(all_bytes(BUF_B + 0x800 + BS, 0x800, 0xee));
}
END_TEST

/* More than max_transfer_bytes, more pages than a request may have. */
START_TEST(test_transfer_too_large)
{
	static uint64_t pfns[2 * MAX_PAGES];
	const uint32_t big = STORVSP_MAX_TRANSFER + PAGE;
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	/* 514 pages */
	memset(gp(BUF_BIG, big + PAGE), 0xee, big + PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, (uint16_t)(big / BS)), DIR_IN, big);
	ck_assert_uint_eq(pfns_of(BUF_BIG + 0x800, big, pfns), MAX_PAGES + 1);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x500, 0x800, big, pfns, MAX_PAGES + 1, &p, pkt_size), 0);
	expect_comp(&c, 0x500, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* 513 pages from offset 0, 2 MiB + 4 KiB */
	ck_assert_uint_eq(pfns_of(BUF_BIG, big, pfns), MAX_PAGES);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x501, 0, big, pfns, MAX_PAGES, &p, pkt_size), 0);
	expect_comp(&c, 0x501, &r);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* a command that would use few of 514 pages: refused all the same */
	srb_init(&p, 0, cdb, cdb_inquiry(cdb, 36), DIR_IN, 36);
	ck_assert_uint_eq(pfns_of(BUF_BIG + 0x800, big, pfns), MAX_PAGES + 1);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x503, 0x800, big, pfns, MAX_PAGES + 1, &p, pkt_size), 0);
	expect_comp(&c, 0x503, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	ck_assert(all_bytes(BUF_BIG, big + PAGE, 0xee));
	/* a range of 4 GiB - 1 described by one page */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, 0xffffffffu);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x502, 0xfff, 0xffffffffu, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x502, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Page numbers that are not guest RAM. */
START_TEST(test_bad_pfns)
{
	const uint64_t bad[] = {
		RAM_SIZE / PAGE,		/* just past RAM */
		RAM_SIZE / PAGE + 1000,
		0xc0000000ull / PAGE,		/* the MMIO hole */
		(1ull << 40) / PAGE,
		1ull << 52,			/* beyond any physical address */
		UINT64_MAX / PAGE + 1,		/* overflows when made an address */
		UINT64_MAX,
	};
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned where = 0; where < 2; where++) {
			/* the bad page first or second: the good one stays untouched */
			uint64_t pfns[2] = { BUF_B / PAGE, BUF_B / PAGE };

			pfns[where] = bad[i];
			memset(gp(BUF_B, PAGE), 0xee, PAGE);
			srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 16), DIR_IN, 8192);
			ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x600 + i, 0, 8192, pfns, 2, &p, pkt_size), 0);
			expect_comp(&c, 0x600 + i, &r);
			check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
			ck_assert(all_bytes(BUF_B, PAGE, 0xee));
			/* a write from there moves nothing to the disk either */
			srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 64, 16), DIR_OUT, 8192);
			ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x680 + i, 0, 8192, pfns, 2, &p, pkt_size), 0);
			expect_comp(&c, 0x680 + i, &r);
			check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		}
	}
	{
		uint8_t want[8192];

		for (unsigned i = 0; i < sizeof(want); i++)
			want[i] = pattern(64 * BS + i, 0);
		check_file(&disks[0], 64 * BS, want, sizeof(want));
	}
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* A GPA-direct packet built by hand: any range count, the one range given, npfn page
 * numbers, and the vstor packet at offset8 * 8 (0: after the page numbers). */
static void send_gpa_raw(struct vg_chan *c, uint64_t trans, uint32_t range_cnt, uint32_t byte_offset,
			 uint32_t byte_count, const uint64_t *pfns, unsigned npfn, unsigned offset8,
			 const struct vstor_packet *p)
{
	static uint8_t pkt[8192];
	struct vmbus_gpa_direct_header h = { 0 };
	struct vmbus_gpa_range range = { .byte_count = byte_count, .byte_offset = byte_offset };
	uint32_t off = offset8 ? offset8 * 8 : 32 + 8 * npfn;
	struct iovec iov;

	memset(pkt, 0, sizeof(pkt));
	h.d.type = VM_PKT_DATA_USING_GPA_DIRECT;
	h.d.offset8 = (uint16_t)(off / 8);
	h.d.len8 = (uint16_t)((off + pkt_size + 7) / 8);
	h.d.flags = COMP_REQ;
	h.d.trans_id = trans;
	h.range_cnt = range_cnt;
	ck_assert_uint_le(off + pkt_size, sizeof(pkt));
	memcpy(pkt, &h, sizeof(h));
	memcpy(pkt + 24, &range, sizeof(range));
	memcpy(pkt + 32, pfns, 8 * npfn);
	memcpy(pkt + off, p, pkt_size);
	iov = (struct iovec){ pkt, h.d.len8 * 8u };
	ck_assert_int_eq(vg_write(c, &iov, 1, true), 0);
}

/* The page list's own fields: offset, range count, and its size against the packet. */
START_TEST(test_bad_page_list)
{
	uint64_t pfns[4] = { BUF_B / PAGE, BUF_B / PAGE + 1, BUF_B / PAGE + 2, BUF_B / PAGE + 3 };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	memset(gp(BUF_B, 4 * PAGE), 0xee, 4 * PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	/* byte_offset inside the page only */
	send_gpa_raw(&c, 0x700, 1, PAGE, BS, pfns, 2, 0, &p);
	expect_comp(&c, 0x700, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	send_gpa_raw(&c, 0x701, 1, 0xffffffffu, BS, pfns, 2, 0, &p);
	expect_comp(&c, 0x701, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* exactly one range */
	send_gpa_raw(&c, 0x702, 0, 0, BS, pfns, 1, 0, &p);
	expect_comp(&c, 0x702, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	send_gpa_raw(&c, 0x703, 2, 0, BS, pfns, 2, 0, &p);
	expect_comp(&c, 0x703, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* the range needs three pages, the packet holds two page numbers before the
	 * vstor packet */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 16), DIR_IN, 8192);
	send_gpa_raw(&c, 0x704, 1, 0x100, 8192, pfns, 2, 0, &p);
	expect_comp(&c, 0x704, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* the vstor packet placed over the page numbers */
	send_gpa_raw(&c, 0x705, 1, 0, 8192, pfns, 2, 4, &p);
	expect_comp(&c, 0x705, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* a GPA-direct header without its range (nor a vstor packet) */
	{
		struct vmbus_gpa_direct_header h = {
			.d = { .type = VM_PKT_DATA_USING_GPA_DIRECT, .offset8 = 3, .len8 = 3, .flags = COMP_REQ,
			       .trans_id = 0x706 },
			.range_cnt = 1,
		};
		struct iovec iov = { &h, sizeof(h) };

		ck_assert_int_eq(vg_write(&c, &iov, 1, true), 0);
		expect_comp(&c, 0x706, &r);
		ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	}
	/* none of it touched the buffer */
	ck_assert(all_bytes(BUF_B, 4 * PAGE, 0xee));
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Data with an in-band packet has nowhere to go. */
START_TEST(test_inband_with_data)
{
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x800, &p, pkt_size), 0);
	expect_comp(&c, 0x800, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 0, 1), DIR_OUT, BS);
	ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x801, &p, pkt_size), 0);
	expect_comp(&c, 0x801, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Packet kinds storvsc never sends. */
START_TEST(test_other_packet_types)
{
	static const uint16_t types[] = { VM_PKT_DATA_USING_XFER_PAGES, VM_PKT_DATA_USING_GPADL, VM_PKT_COMP,
					  VM_PKT_CANCEL_REQUEST, VM_PKT_SYNCH, 0x7fff };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	srb_init(&p, 0, cdb, cdb_tur(cdb), DIR_NONE, 0);
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_int_eq(vg_send(&c, types[i], COMP_REQ, 0x900 + i, &p, pkt_size), 0);
		expect_comp(&c, 0x900 + i, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	}
	/* no completion asked: none given */
	ck_assert_int_eq(vg_send(&c, VM_PKT_COMP, 0, 0x9ff, &p, pkt_size), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	expect_nothing(&c);
}
END_TEST

/* A request without COMPLETION_REQUESTED runs, unanswered. */
START_TEST(test_no_completion_requested)
{
	uint64_t pfns[1] = { BUF_A / PAGE };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;

	ready(&c);
	fill(BUF_A, BS, 0x31);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 7, 1), DIR_OUT, BS);
	ck_assert_int_eq(vg_send_gpa(&c, 0, 0xa00, 0, BS, pfns, 1, &p, pkt_size), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	ck_assert(WAIT_UNTIL(probe(c.relid).blk_inflight == 0, VG_TMO));
	check_file(&disks[0], 7 * BS, gp(BUF_A, BS), BS);
	expect_nothing(&c);
}
END_TEST

/* Transaction ids are the guest's business: the same one twice gets two answers. */
START_TEST(test_reused_ids)
{
	uint64_t pa = BUF_B / PAGE, pb = BUF_B / PAGE + 4;
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned good = 0;

	ready(&c);
	c.quiet = true;
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 40, 8), DIR_IN, 4096);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x42, 0, 4096, &pa, 1, &p, pkt_size), 0);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 80, 8), DIR_IN, 4096);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x42, 0, 4096, &pb, 1, &p, pkt_size), 0);
	vstor_send(&c, 0x42, 77, NULL, 0, pkt_size);
	vg_signal(&c);
	for (unsigned i = 0; i < 3; i++) {
		expect_comp(&c, 0x42, &r);
		if (r.p.status == VSTOR_STATUS_SUCCESS) {
			check_good(&r, 4096);
			good++;
		}
	}
	ck_assert_uint_eq(good, 2);
	expect_nothing(&c);
	check_file(&disks[0], 40 * BS, gp(BUF_B, 4096), 4096);
	check_file(&disks[0], 80 * BS, gp(BUF_B + 4 * PAGE, 4096), 4096);
}
END_TEST

/* A packet larger than any vstor request cannot be skipped: the channel is closed (and
 * logged), the rest of the VM goes on, and the guest can open it again. */
START_TEST(test_oversized_packet)
{
	static uint8_t big[6000];
	struct vg_chan c;

	ready(&c);
	ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0xb00, big, sizeof(big)), 0);
	ck_assert(WAIT_UNTIL(probe(c.relid).failed, VG_TMO));
	ck_assert(WAIT_UNTIL(probe(c.relid).dev_closed, VG_TMO));
	vg_ping(&g);
	expect_nothing(&c);
	vg_close(&g, &c);
	chan_open(&c, &offers[0]);
	linux_init(&c);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* The guest breaks the ring storvsp answers in: the channel fails at the first
 * completion, whether it is sent at once or when the disk is done, and with more
 * requests of the same batch still on the disk. */
START_TEST(test_broken_completion_ring)
{
	struct vstor_packet p;
	uint8_t cdb[16];

	guest_connect();
	for (unsigned round = 0; round < 3; round++) {
		struct vg_chan c;

		chan_open(&c, &offers[0]);
		linux_init(&c);
		c.dn_ctl->read_index = 12;
		c.quiet = true;
		for (unsigned i = 0; i < 16; i++) {
			if (round == 0) {
				srb_init(&p, 0, cdb, cdb_tur(cdb), DIR_NONE, 0);
				srb_send(&c, &p, 0, 0);
			} else {
				srb_init(&p, (uint8_t)(round - 1), cdb, cdb_rw10(cdb, round == 2, 8 * i, 8),
					 round == 2 ? DIR_OUT : DIR_IN, 4096);
				srb_send(&c, &p, BUF_B + i * 4096ull, 4096);
			}
		}
		vg_signal(&c);
		ck_assert_msg(WAIT_UNTIL(probe(c.relid).failed, VG_TMO), "round %u: the channel goes on", round);
		/* storvsp hears of it from the loop, before the guest closes anything, and
		 * lets the disks finish: the loop is alive and the disks idle */
		ck_assert(WAIT_UNTIL(probe(c.relid).dev_closed, VG_TMO));
		vg_ping(&g);
		ck_assert(WAIT_UNTIL(probe(c.relid).blk_inflight == 0, VG_TMO));
		c.dn_ctl->read_index = c.dn_ctl->write_index;
		vg_close(&g, &c);
	}
	{
		struct vg_chan c;

		chan_open(&c, &offers[0]);
		linux_init(&c);
		check_good((struct comp[]){ tur(&c, 0) }, 0);
	}
}
END_TEST

/* A broken guest-to-host ring (an index outside it). */
START_TEST(test_broken_request_ring)
{
	struct vg_chan c;

	ready(&c);
	c.up_ctl->write_index = c.up_size + 8;
	vg_signal(&c);
	ck_assert(WAIT_UNTIL(probe(c.relid).failed, VG_TMO));
	ck_assert(WAIT_UNTIL(probe(c.relid).dev_closed, VG_TMO));
	vg_ping(&g);
	vg_close(&g, &c);
	chan_open(&c, &offers[0]);
	linux_init(&c);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storvsp_hostile");
	TCase *tc;

	tc = tcase(s, "hostile");
	tcase_add_test(tc, test_short_packets);
	tcase_add_test(tc, test_unknown_operations);
	tcase_add_test(tc, test_bad_cdb_length);
	tcase_add_test(tc, test_transfer_beyond_page_list);
	tcase_add_test(tc, test_transfer_too_large);
	tcase_add_test(tc, test_bad_pfns);
	tcase_add_test(tc, test_bad_page_list);
	tcase_add_test(tc, test_inband_with_data);
	tcase_add_test(tc, test_other_packet_types);
	tcase_add_test(tc, test_no_completion_requested);
	tcase_add_test(tc, test_reused_ids);
	tcase_add_test(tc, test_oversized_packet);
	tcase_add_test(tc, test_broken_request_ring);
	tcase_add_test(tc, test_broken_completion_ring);
	return test_main(s);
}
