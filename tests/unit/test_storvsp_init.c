/* SPDX-License-Identifier: MIT */
#include "storvsp_fixture.h"

/* ---- initialization ------------------------------------------------------------------------ */

START_TEST(test_offer)
{
	struct vmbus_guid inst;

	guest_connect();
	/* Controller 0 is f8b3781a-..., the instance Azure's udev rules know (§1.2). */
	ck_assert_int_eq(vmbus_guid_parse("f8b3781a-1e82-4818-a1c3-63d806ec15bb", &inst), 0);
	ck_assert_mem_eq(&offers[0].offer.if_instance, &inst, 16);
}
END_TEST

/* Linux 6.1's storvsc_channel_init, checked step by step (§3.1). */
START_TEST(test_init_linux)
{
	struct vg_chan c;
	struct comp r;
	uint8_t zero[52] = { 0 };

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION, NULL, 0, &r), 0);
	ck_assert_mem_eq(r.p.raw, zero, sizeof(zero));
	/* 6.2 first: this host takes it */
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN10, &r), 0);
	ck_assert_uint_eq(r.p.version.major_minor, VMSTOR_PROTO_VERSION_WIN10);
	ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, &r), 0);
	ck_assert_uint_eq(r.p.properties.max_channel_cnt, MAX_SUB);
	ck_assert_uint_eq(r.p.properties.flags & STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL, 1);
	/* Linux makes max_sectors and sg_tablesize of it: a whole number of pages */
	ck_assert_uint_eq(r.p.properties.max_transfer_bytes, STORVSP_MAX_TRANSFER);
	ck_assert_uint_eq(r.p.properties.max_transfer_bytes % PAGE, 0);
	ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_END_INITIALIZATION, NULL, 0, &r), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	/* Nothing unasked for: ENUMERATE_BUS is for changes after the start. */
	expect_nothing(&c);
}
END_TEST

/* Every version the host knows, each with its own packet size (§2.1): a Windows guest
 * or the UEFI firmware sends the version's size from the first packet on. */
START_TEST(test_init_each_version)
{
	static const struct {
		uint16_t version;
		unsigned size;
		bool multi;
	} v[] = {
		{ VMSTOR_PROTO_VERSION_WIN10, 64, true }, { VMSTOR_PROTO_VERSION_WIN8_1, 64, true },
		{ VMSTOR_PROTO_VERSION_WIN8, 64, true },  { VMSTOR_PROTO_VERSION_WIN7, 48, false },
		{ VMSTOR_PROTO_VERSION_WIN6, 48, false },
	};
	uint8_t cdb[16];

	guest_connect();
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vg_chan c;
		struct comp r;
		uint32_t lba = 100 + 8 * i;

		/* Closing the primary started the protocol over. */
		chan_open(&c, &offers[0]);
		pkt_size = v[i].size;
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
		ck_assert_uint_eq(op_version(&c, v[i].version, &r), 0);
		ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, &r), 0);
		ck_assert_uint_eq(r.p.properties.max_channel_cnt, v[i].multi ? MAX_SUB : 0);
		ck_assert_uint_eq(r.p.properties.flags, v[i].multi ? STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL : 0);
		ck_assert_uint_eq(r.p.properties.max_transfer_bytes, STORVSP_MAX_TRANSFER);
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);

		fill(BUF_A, 1024, (uint8_t)i);
		r = rw10(&c, 0, true, lba, 2, BUF_A);
		check_good(&r, 1024);
		ck_assert_uint_eq(r.p.vm_srb.sense_info_length,
				  v[i].size == 64 ? VMSCSI_SENSE_BUFFER_SIZE : VMSCSI_SENSE_BUFFER_SIZE_WIN7);
		check_file(&disks[0], lba * BS, gp(BUF_A, 1024), 1024);
		memset(gp(BUF_B, 1024), 0xee, 1024);
		check_good((struct comp[]){ rw10(&c, 0, false, lba, 2, BUF_B) }, 1024);
		ck_assert_mem_eq(gp(BUF_B, 1024), gp(BUF_A, 1024), 1024);
		/* Sense data fits the version's buffer (18 bytes before Windows 8). */
		r = scsi(&c, 0, cdb, cdb_rw10(cdb, false, DISK0_BYTES / BS, 1), DIR_IN, BUF_B, BS);
		check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
		expect_nothing(&c);
		vg_close(&g, &c);
	}
}
END_TEST

/* The Gen2 UEFI firmware: 48-byte packets until its version is taken, then 64 (§3.3). */
START_TEST(test_init_uefi_sizes)
{
	struct vmstorage_protocol_version pv = { .major_minor = VMSTOR_PROTO_VERSION_WIN8_1 };
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION, NULL, 0, 48, 48, &r), 0);
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION, &pv, sizeof(pv), 48, 48, &r), 0);
	ck_assert_uint_eq(r.p.version.major_minor, VMSTOR_PROTO_VERSION_WIN8_1);
	/* from here on the version's size, whatever the guest sends */
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, 48, 64, &r), 0);
	ck_assert_uint_gt(r.p.properties.max_transfer_bytes, 0);
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_END_INITIALIZATION, NULL, 0, 64, 64, &r), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* A host that refuses a version answers REVISION_MISMATCH and waits for another one,
 * as Linux's loop over its list expects (§3.1). */
START_TEST(test_init_version_refused)
{
	static const uint16_t bad[] = { 0x0603, 0x0700, 0x0601, 0x0502, 0x0500, 0x0401, 0x0100, 0x0000, 0xffff };
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_uint_eq(op_version(&c, bad[i], &r), VSTOR_STATUS_REVISION_MISMATCH);
	/* still no version: the next steps are out of order */
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN8_1, &r), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Each step only in its place; a refused step changes nothing (§3.4). */
START_TEST(test_init_out_of_order)
{
	static const uint32_t all[] = {
		VSTOR_OPERATION_BEGIN_INITIALIZATION, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION,
		VSTOR_OPERATION_QUERY_PROPERTIES,     VSTOR_OPERATION_END_INITIALIZATION,
		VSTOR_OPERATION_CREATE_SUB_CHANNELS,  VSTOR_OPERATION_RESET_BUS,
		VSTOR_OPERATION_RESET_LUN,	      VSTOR_OPERATION_RESET_ADAPTER,
	};
	struct vg_chan c;
	struct vstor_packet p;
	struct comp r;
	uint8_t cdb[16];
	uint64_t t;

	guest_connect();
	chan_open(&c, &offers[0]);
	/* Before BEGIN: all but BEGIN refused. */
	for (unsigned i = 1; i < sizeof(all) / sizeof(all[0]); i++)
		ck_assert_uint_eq(op(&c, all[i]), VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* A READ before initialization: refused, nothing written, no bytes claimed. */
	memset(gp(BUF_B, 4096), 0xee, 4096);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 8), DIR_IN, 4096);
	t = srb_send(&c, &p, BUF_B, 4096);
	expect_comp(&c, t, &r);
	ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_ne(r.p.vm_srb.srb_status & 0x3f, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r.p.vm_srb.data_transfer_length, 0);
	ck_assert(all_bytes(BUF_B, 4096, 0xee));

	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN10, &r), 0);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN10, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_RESET_BUS), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), VSTOR_STATUS_INVALID_DEVICE_STATE);
	r = tur(&c, 0);
	ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_ne(r.p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	/* Ready: the initialization steps are over. */
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(op(&c, all[i]), VSTOR_STATUS_INVALID_DEVICE_STATE);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	memset(gp(BUF_B, 4096), 0xee, 4096);
	check_good((struct comp[]){ rw10(&c, 0, false, 0, 8, BUF_B) }, 4096);
	check_file(&disks[0], 0, gp(BUF_B, 4096), 4096);
}
END_TEST

/* The reset operations: nothing is queued that could be dropped, so they succeed once
 * the controller is ready; Linux's RESET_BUS has its own transaction id (§3.2). */
START_TEST(test_reset_ops)
{
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned resets = 0, reads = 0;

	ready(&c);
	/* with I/O in flight: the reset is answered and every request still completes */
	c.quiet = true;
	for (unsigned i = 0; i < 8; i++) {
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 8 * i, 8), DIR_IN, 4096);
		srb_send(&c, &p, BUF_B + i * 4096ull, 4096);
	}
	vstor_send(&c, RQST_RESET, VSTOR_OPERATION_RESET_BUS, NULL, 0, pkt_size);
	vg_signal(&c);
	c.quiet = false;
	for (unsigned i = 0; i < 9; i++) {
		ck_assert(comp_read(&c, &r, VG_TMO));
		ck_assert_uint_eq(r.d.type, VM_PKT_COMP);
		if (r.d.trans_id == RQST_RESET) {
			ck_assert_uint_eq(r.p.status, 0);
			resets++;
		} else {
			check_good(&r, 4096);
			reads++;
		}
	}
	ck_assert_uint_eq(resets, 1);
	ck_assert_uint_eq(reads, 8);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_RESET_LUN), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_RESET_ADAPTER), 0);
	expect_nothing(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storvsp_init");
	TCase *tc;

	tc = tcase(s, "init");
	tcase_add_test(tc, test_offer);
	tcase_add_test(tc, test_init_linux);
	tcase_add_test(tc, test_init_each_version);
	tcase_add_test(tc, test_init_uefi_sizes);
	tcase_add_test(tc, test_init_version_refused);
	tcase_add_test(tc, test_init_out_of_order);
	tcase_add_test(tc, test_reset_ops);
	return test_main(s);
}
