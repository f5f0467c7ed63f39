/* SPDX-License-Identifier: MIT */
#include "storvsp_fixture.h"

/* ---- SCSI I/O ------------------------------------------------------------------------------- */

/* WRITE(10) then READ(10), each buffer on pages scattered in RAM, starting inside its
 * first page, as blk-mq hands them to storvsc (§4.1). */
START_TEST(test_rw10_scattered_pages)
{
	const uint64_t wp[3] = { BUF_A / PAGE + 5, BUF_A / PAGE + 1, BUF_A / PAGE + 9 };
	const uint64_t rp[4] = { BUF_B / PAGE + 7, BUF_B / PAGE + 3, BUF_B / PAGE + 12, BUF_B / PAGE + 0 };
	const uint32_t len = 20 * BS, woff = 0x200, roff = 0xa00;
	uint8_t data[20 * BS], cdb[16];
	struct vstor_packet p;
	struct vg_chan c;
	struct comp r;
	uint32_t done;
	uint64_t t;

	ready(&c);
	/* the guest's buffer: 3584 bytes of page 5, all of page 1, 2560 bytes of page 9 */
	for (unsigned i = 0; i < 3; i++)
		memset(gp(wp[i] * PAGE, PAGE), 0xcc, PAGE);
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	done = 0;
	for (unsigned i = 0; i < 3; i++) {
		uint32_t start = i ? 0 : woff, n = PAGE - start < len - done ? PAGE - start : len - done;

		memcpy(gp(wp[i] * PAGE + start, n), data + done, n);
		done += n;
	}
	srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 33, 20), DIR_OUT, len);
	t = next_trans++;
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, t, woff, len, wp, 3, &p, pkt_size), 0);
	expect_comp(&c, t, &r);
	check_good(&r, len);
	check_file(&disks[0], 33 * BS, data, len);
	/* neighbours in the file untouched */
	{
		uint8_t before[BS], after[BS], want[BS];

		ck_assert_int_eq(pread(disks[0].fd, before, BS, 32 * BS), BS);
		ck_assert_int_eq(pread(disks[0].fd, after, BS, 53 * BS), BS);
		for (unsigned i = 0; i < BS; i++)
			want[i] = pattern(32 * BS + i, 0);
		ck_assert_mem_eq(before, want, BS);
		for (unsigned i = 0; i < BS; i++)
			want[i] = pattern(53 * BS + i, 0);
		ck_assert_mem_eq(after, want, BS);
	}

	/* READ(10) into 1536 bytes of page 7, pages 3 and 12, 512 bytes of page 0 */
	for (unsigned i = 0; i < 4; i++)
		memset(gp(rp[i] * PAGE, PAGE), 0xcc, PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 33, 20), DIR_IN, len);
	t = next_trans++;
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, t, roff, len, rp, 4, &p, pkt_size), 0);
	expect_comp(&c, t, &r);
	check_good(&r, len);
	done = 0;
	for (unsigned i = 0; i < 4; i++) {
		uint32_t start = i ? 0 : roff, n = PAGE - start < len - done ? PAGE - start : len - done;

		ck_assert_mem_eq(gp(rp[i] * PAGE + start, n), data + done, n);
		done += n;
	}
	ck_assert_uint_eq(done, len);
	/* not a byte outside the buffer */
	ck_assert(all_bytes(rp[0] * PAGE, roff, 0xcc));
	ck_assert(all_bytes(rp[3] * PAGE + 512, PAGE - 512, 0xcc));
}
END_TEST

/* READ(16)/WRITE(16) at the end of the disk and past it. */
START_TEST(test_rw16)
{
	const uint64_t last = DISK0_BYTES / BS - 1;
	const uint64_t gpa = BUF_A + 0x100;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	fill(gpa, 16 * BS, 0x42);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, true, last - 15, 16), DIR_OUT, gpa, 16 * BS);
	check_good(&r, 16 * BS);
	check_file(&disks[0], (last - 15) * BS, gp(gpa, 16 * BS), 16 * BS);
	memset(gp(BUF_B + 0xe00, 16 * BS), 0, 16 * BS);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, false, last - 15, 16), DIR_IN, BUF_B + 0xe00, 16 * BS);
	check_good(&r, 16 * BS);
	ck_assert_mem_eq(gp(BUF_B + 0xe00, 16 * BS), gp(gpa, 16 * BS), 16 * BS);
	/* one block past the end; an LBA above 2^32 */
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, false, last - 14, 16), DIR_IN, BUF_B, 16 * BS);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, true, 1ull << 33, 1), DIR_OUT, gpa, BS);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
}
END_TEST

/* The largest transfer the controller announces, on 513 pages (Linux's sg_tablesize). */
START_TEST(test_max_transfer)
{
	const uint32_t len = STORVSP_MAX_TRANSFER;
	const uint64_t gpa = BUF_BIG + 0x800;
	uint8_t cdb[16];
	uint64_t pfns[MAX_PAGES + 1];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	ck_assert_uint_eq(pfns_of(gpa, len, pfns), MAX_PAGES);
	fill(gpa, len, 0x99);
	r = scsi(&c, 0, cdb, cdb_rw10(cdb, true, 2048, (uint16_t)(len / BS)), DIR_OUT, gpa, len);
	check_good(&r, len);
	check_file(&disks[0], 2048ull * BS, gp(gpa, len), len);
	memset(gp(BUF_B, len), 0, len);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, false, 2048, len / BS), DIR_IN, BUF_B, len);
	check_good(&r, len);
	ck_assert_mem_eq(gp(BUF_B, len), gp(gpa, len), len);
}
END_TEST

/* Failures the disk reports: the SRB status Linux's error handling expects (§4.4-4.5). */
START_TEST(test_check_condition)
{
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	/* illegal requests: INVALID_REQUEST with autosense */
	r = rw10(&c, 0, false, DISK0_BYTES / BS - 1, 2, BUF_B);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xc5;
	r = scsi(&c, 0, cdb, 6, DIR_NONE, 0, 0);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST,
		    SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	/* the sense replaced the CDB in the answer */
	ck_assert_uint_ne(r.p.vm_srb.sense_data[0], 0xc5);
	/* any other sense key: ERROR with autosense (the write-protected LUN 2) */
	fill(BUF_A, BS, 1);
	r = rw10(&c, 2, true, 0, 1, BUF_A);
	check_sense(&r, SRB_STATUS_ERROR, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* the direction the SRB gives counts: a READ whose data would go out moves nothing */
	memset(gp(BUF_B, BS), 0xee, BS);
	r = scsi(&c, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_OUT, BUF_B, BS);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
	ck_assert(all_bytes(BUF_B, BS, 0xee));
	/* and the controller goes on */
	check_good((struct comp[]){ rw10(&c, 2, false, 0, 1, BUF_B) }, BS);
	check_file(&disks[2], 0, gp(BUF_B, BS), BS);
	ck_assert_uint_ge(stat_of(c.relid, "failed"), 3);
}
END_TEST

/* LUNs without a disk: INQUIRY answers "no LUN here" with real data, anything else
 * SRB_STATUS_INVALID_LUN, the one status that makes Linux drop a LUN (§0.4-0.6). */
START_TEST(test_absent_luns)
{
	static const struct {
		uint8_t path, target, lun;
	} absent[] = {
		{ 0, 0, 5 }, { 0, 0, 63 }, { 0, 0, 64 }, { 0, 0, 255 }, { 1, 0, 0 }, { 7, 0, 0 }, { 0, 1, 0 }, { 0, 1, 1 },
	};
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	memset(gp(BUF_B, 96), 0xee, 96);
	r = scsi(&c, 0, cdb, cdb_inquiry(cdb, 36), DIR_IN, BUF_B, 36);
	check_good(&r, 36);
	ck_assert_uint_eq(gp(BUF_B, 1)[0], SCSI_TYPE_DISK);
	for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		memset(gp(BUF_B, 96), 0xee, 96);
		r = scsi_path(&c, absent[i].path, absent[i].target, absent[i].lun, cdb, cdb_inquiry(cdb, 36), DIR_IN,
			      BUF_B, 36);
		check_good(&r, 36);
		ck_assert_uint_eq(gp(BUF_B, 1)[0], SCSI_TYPE_NO_LUN);
		ck_assert_uint_eq(gp(BUF_B + 36, 1)[0], 0xee);

		r = scsi_path(&c, absent[i].path, absent[i].target, absent[i].lun, cdb, cdb_tur(cdb), DIR_NONE, 0, 0);
		check_refused(&r, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);
		ck_assert_uint_eq(r.p.vm_srb.scsi_status, SCSI_STATUS_CHECK_CONDITION);

		memset(gp(BUF_B, 4096), 0xee, 4096);
		r = scsi_path(&c, absent[i].path, absent[i].target, absent[i].lun, cdb, cdb_rw10(cdb, false, 0, 8),
			      DIR_IN, BUF_B, 4096);
		check_refused(&r, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);
		ck_assert(all_bytes(BUF_B, 4096, 0xee));
	}
}
END_TEST

/* REPORT LUNS is the target's: any LUN of path 0/target 0 lists the disks, in order
 * (§4.5); other targets have none. */
START_TEST(test_report_luns)
{
	static const uint8_t want[32] = { 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					  0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0 };
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	for (uint8_t lun = 0; lun < 12; lun += 3) {
		memset(gp(BUF_B, 4096), 0xee, 4096);
		r = scsi(&c, lun, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_B, 4096);
		check_good(&r, 32);
		ck_assert_mem_eq(gp(BUF_B, 32), want, 32);
	}
	r = scsi_path(&c, 0, 1, 0, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_B, 4096);
	check_good(&r, 8);
	ck_assert(all_bytes(BUF_B, 8, 0));
	r = scsi_path(&c, 2, 0, 0, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_B, 4096);
	check_good(&r, 8);
	/* a short allocation gets the start of the list */
	memset(gp(BUF_B, 64), 0xee, 64);
	r = scsi(&c, 0, cdb, cdb_report_luns(cdb, 16), DIR_IN, BUF_B, 16);
	check_good(&r, 16);
	ck_assert_mem_eq(gp(BUF_B, 16), want, 16);
	ck_assert_uint_eq(gp(BUF_B + 16, 1)[0], 0xee);
}
END_TEST

/* ---- sub-channels -------------------------------------------------------------------------- */

/* CREATE_SUB_CHANNELS: once, on the primary, from Windows 8 on, no more than announced. */
START_TEST(test_subchannel_limits)
{
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN8, &r), 0);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op_subchannels(&c, MAX_SUB + 1, &r), VSTOR_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(op_subchannels(&c, 0xffff, &r), VSTOR_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	/* none offered so far (the ping's answer is the next message) */
	vg_ping(&g);
	/* zero is a valid count, and uses up the one request */
	ck_assert_uint_eq(op_subchannels(&c, 0, &r), 0);
	vg_ping(&g);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	vg_ping(&g);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

START_TEST(test_subchannel_old_versions)
{
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	pkt_size = VSTOR_PACKET_SIZE_WIN7;
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN7, &r), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	vg_ping(&g);
}
END_TEST

/* handle_multichannel_storage: sub-channels after END, opened like the primary, I/O on
 * each answered on that channel (§6). */
START_TEST(test_subchannel_io)
{
	struct vg_chan c, sub[MAX_SUB];
	struct vmstorage_channel_properties props;
	struct vstor_packet p;
	uint8_t cdb[16];
	struct comp r;
	union vg_msg m;
	uint64_t t[MAX_SUB + 1];

	guest_connect();
	chan_open(&c, &offers[0]);
	props = linux_init(&c);
	ck_assert_uint_eq(props.max_channel_cnt, MAX_SUB);
	ck_assert_uint_eq(op_subchannels(&c, MAX_SUB, &r), 0);
	for (unsigned i = 0; i < MAX_SUB; i++) {
		vg_expect(&g, CHANNELMSG_OFFERCHANNEL, &m);
		ck_assert_mem_eq(&m.offer.offer.if_type, &offers[0].offer.if_type, 16);
		ck_assert_mem_eq(&m.offer.offer.if_instance, &offers[0].offer.if_instance, 16);
		ck_assert_uint_eq(m.offer.offer.sub_channel_index, i + 1);
		ck_assert_uint_ne(m.offer.child_relid, offers[0].child_relid);
		offers[1 + i] = m.offer;
	}
	vg_ping(&g);
	for (unsigned i = 0; i < MAX_SUB; i++) {
		ck_assert_uint_eq(vg_open(&g, &sub[i], &offers[1 + i], next_gpadl++, RING_GPA(next_slot++), RING_UP,
					  RING_DN, i % NVP),
				  0);
	}
	/* no initialization on a sub-channel: it uses the primary's */
	ck_assert_uint_eq(op(&sub[0], VSTOR_OPERATION_BEGIN_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_subchannels(&sub[1], 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* a write on sub-channel 2, read back on each channel */
	fill(BUF_A, 8192, 0x77);
	check_good((struct comp[]){ rw10(&sub[2], 1, true, 16, 16, BUF_A) }, 8192);
	check_file(&disks[1], 16 * BS, gp(BUF_A, 8192), 8192);
	for (unsigned i = 0; i <= MAX_SUB; i++) {
		struct vg_chan *ch = i ? &sub[i - 1] : &c;

		memset(gp(BUF_B + i * 0x10000ull, 8192), 0, 8192);
		srb_init(&p, 1, cdb, cdb_rw10(cdb, false, 16, 16), DIR_IN, 8192);
		t[i] = srb_send(ch, &p, BUF_B + i * 0x10000ull, 8192);
	}
	for (unsigned i = 0; i <= MAX_SUB; i++) {
		struct vg_chan *ch = i ? &sub[i - 1] : &c;

		expect_comp(ch, t[i], &r);
		check_good(&r, 8192);
		ck_assert_mem_eq(gp(BUF_B + i * 0x10000ull, 8192), gp(BUF_A, 8192), 8192);
		expect_nothing(ch);
	}
	/* a sub-channel closes, the others go on */
	vg_close(&g, &sub[0]);
	check_good((struct comp[]){ tur(&sub[1], 0) }, 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	/* the primary closes: the protocol is over for the sub-channels too */
	vg_close(&g, &c);
	r = tur(&sub[1], 0);
	ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_ne(r.p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
}
END_TEST

/* ---- hot-plug ---------------------------------------------------------------------------- */

static void expect_enumerate(struct vg_chan *c, unsigned size)
{
	struct comp r;

	ck_assert_msg(comp_read(c, &r, VG_TMO), "no ENUMERATE_BUS");
	ck_assert_uint_eq(r.d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(r.d.flags, 0);
	ck_assert_uint_eq(r.d.trans_id, 0);
	ck_assert_uint_eq(r.size, size);
	ck_assert_uint_eq(r.p.operation, VSTOR_OPERATION_ENUMERATE_BUS);
}

static unsigned report_luns(struct vg_chan *c, uint16_t *luns)
{
	uint8_t cdb[16];
	struct comp r = scsi(c, 0, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_C, 4096);
	const uint8_t *p = gp(BUF_C, 4096);
	unsigned n;

	check_good(&r, 8 + get_be32(p));
	n = get_be32(p) / 8;
	for (unsigned i = 0; i < n; i++)
		luns[i] = get_be16(p + 8 + 8 * i);
	return n;
}

/* Disks come and go while the guest runs: ENUMERATE_BUS makes Linux rescan (§5). */
START_TEST(test_hotplug_enumerate)
{
	struct vg_chan c;
	uint16_t luns[64];

	guest_connect();
	chan_open(&c, &offers[0]);
	/* before initialization: the guest scans anyway, nothing is sent */
	ck_assert_int_eq(attach(3, &disks[3]), 0);
	expect_nothing(&c);
	linux_init(&c);
	ck_assert_uint_eq(report_luns(&c, luns), 4);
	ck_assert_uint_eq(luns[3], 3);

	ck_assert_int_eq(detach(3), 0);
	disks[3].blk = NULL;
	expect_enumerate(&c, VSTOR_PACKET_SIZE);
	ck_assert_uint_eq(report_luns(&c, luns), 3);
	check_refused((struct comp[]){ tur(&c, 3) }, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);

	ck_assert_int_eq(attach(9, &disks[3]), 0);
	expect_enumerate(&c, VSTOR_PACKET_SIZE);
	ck_assert_uint_eq(report_luns(&c, luns), 4);
	ck_assert_uint_eq(luns[3], 9);
	check_good((struct comp[]){ rw10(&c, 9, false, 4, 4, BUF_B) }, 2048);
	check_file(&disks[3], 4 * BS, gp(BUF_B, 2048), 2048);

	/* refused changes say nothing */
	ck_assert_int_eq(attach(9, &disks[4]), -EBUSY);
	ck_assert_int_eq(attach(STORVSP_MAX_LUNS, &disks[4]), -EINVAL);
	ck_assert_int_eq(detach(10), -ENOENT);
	ck_assert_int_eq(detach(STORVSP_MAX_LUNS), -ENOENT);
	expect_nothing(&c);
}
END_TEST

/* ENUMERATE_BUS has the negotiated size, and exists from Windows 7 on. */
START_TEST(test_hotplug_old_versions)
{
	struct vg_chan c;
	struct comp r;

	guest_connect();
	for (unsigned i = 0; i < 2; i++) {
		chan_open(&c, &offers[0]);
		pkt_size = VSTOR_PACKET_SIZE_WIN7;
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
		ck_assert_uint_eq(op_version(&c, i ? VMSTOR_PROTO_VERSION_WIN6 : VMSTOR_PROTO_VERSION_WIN7, &r), 0);
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
		ck_assert_int_eq(attach(3, &disks[3]), 0);
		if (i == 0)
			expect_enumerate(&c, VSTOR_PACKET_SIZE_WIN7);
		ck_assert_int_eq(detach(3), 0);
		disks[3].blk = NULL;
		if (i == 0)
			expect_enumerate(&c, VSTOR_PACKET_SIZE_WIN7);
		expect_nothing(&c);
		vg_close(&g, &c);
	}
}
END_TEST

/* A disk removed with I/O in flight: the I/O ends first, then the guest is told. */
START_TEST(test_detach_with_io)
{
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	uint64_t t0 = next_trans;
	bool seen[16] = { false };
	unsigned got = 0, enums = 0;

	ready(&c);
	c.quiet = true;
	for (unsigned i = 0; i < 16; i++) {
		srb_init(&p, 1, cdb, cdb_rw10(cdb, false, 8 * i, 8), DIR_IN, 4096);
		srb_send(&c, &p, BUF_B + i * 4096ull, 4096);
	}
	vg_signal(&c);
	ck_assert_int_eq(detach(1), 0);
	disks[1].blk = NULL;
	ck_assert_uint_eq(probe(c.relid).blk_inflight, 0);
	while (comp_read(&c, &r, 200)) {
		if (r.d.type == VM_PKT_DATA_INBAND) {
			ck_assert_uint_eq(r.p.operation, VSTOR_OPERATION_ENUMERATE_BUS);
			enums++;
			continue;
		}
		unsigned i = (unsigned)(r.d.trans_id - t0);

		ck_assert_uint_lt(i, 16);
		ck_assert(!seen[i]);
		seen[i] = true;
		/* each completed whole, or (not read yet at the detach) found no LUN */
		if (r.p.vm_srb.srb_status == SRB_STATUS_SUCCESS)
			check_file(&disks[1], 8ull * i * BS, gp(BUF_B + i * 4096ull, 4096), 4096);
		else
			check_refused(&r, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);
		got++;
	}
	ck_assert_uint_eq(got, 16);
	ck_assert_uint_eq(enums, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storvsp_io");
	TCase *tc;

	tc = tcase(s, "io");
	tcase_add_test(tc, test_rw10_scattered_pages);
	tcase_add_test(tc, test_rw16);
	tcase_add_test(tc, test_max_transfer);
	tcase_add_test(tc, test_check_condition);
	tcase_add_test(tc, test_absent_luns);
	tcase_add_test(tc, test_report_luns);
	tc = tcase(s, "subchannels");
	tcase_add_test(tc, test_subchannel_limits);
	tcase_add_test(tc, test_subchannel_old_versions);
	tcase_add_test(tc, test_subchannel_io);
	tc = tcase(s, "hotplug");
	tcase_add_test(tc, test_hotplug_enumerate);
	tcase_add_test(tc, test_hotplug_old_versions);
	tcase_add_test(tc, test_detach_with_io);
	return test_main(s);
}
