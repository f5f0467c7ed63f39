/* SPDX-License-Identifier: MIT */
#include "scsi_disk_fixture.h"

/* ---- basic commands -------------------------------------------------------------- */

START_TEST(test_test_unit_ready)
{
	struct run r;

	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(r.sync);
	/* NACA without NormACA, and a CDB shorter than its opcode's group. */
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0x04), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0), true, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_unknown_opcodes)
{
	static const uint8_t ops[] = { 0x01, 0x04, 0x1d, 0x2e, 0x3b, 0x4d, 0x5e, 0x7f, SCSI_ATA_PASS_THROUGH_16,
				       SCSI_MAINTENANCE_IN, 0xc0, 0xff };
	uint8_t buf[64];
	struct run r;

	for (unsigned i = 0; i < sizeof(ops); i++) {
		exec(&r, CDB(ops[i], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, sizeof(buf));
		ck_illegal(&r, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	}
	/* No CDB at all. */
	run_prepare(&r, (const uint8_t[]){ 0 }, 0, false, NULL, 0);
	loop_call(loop, run_on_loop, &r);
	run_wait(&r);
	ck_illegal(&r, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
}
END_TEST

START_TEST(test_inquiry_standard)
{
	uint8_t buf[256];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 96);
	ck_bytes(buf, inquiry_std, 96);
	ck_assert_uint_eq(buf[96], 0xaa);

	/* What Linux's scan asks first: 36 bytes. */
	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 36, 0), true, buf, 36);
	ck_good(&r, 36);
	ck_bytes(buf, inquiry_std, 36);
	ck_assert_uint_eq(buf[36], 0xaa);

	/* Allocation length below the data, a 16-bit allocation length, a buffer below it. */
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 5, 0), true, buf, sizeof(buf));
	ck_good(&r, 5);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0x01, 0x00, 0), true, buf, sizeof(buf));
	ck_good(&r, 96);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 96, 0), true, buf, 20);
	ck_good(&r, 20);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 0);

	/* A data-out buffer is never written into. */
	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 96, 0), false, buf, sizeof(buf));
	ck_good(&r, 0);
	ck_assert_uint_eq(buf[0], 0xaa);

	/* CMDDT, reserved bits, a page code without EVPD. */
	exec(&r, CDB(SCSI_INQUIRY, 0x02, 0, 0, 96, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_INQUIRY, 0x80, 0, 0, 96, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0x80, 0, 96, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

static const uint8_t vpd_00[] = { 0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
static const uint8_t vpd_80[] = { 0x00, 0x80, 0x00, 0x0f,
				  'H', 'V', 'K', 'V', 'M', '-', 'T', 'E', 'S', 'T', '-', '0', '0', '0', '1' };
static const uint8_t vpd_83[] = {
	0x00, 0x83, 0x00, 0x2f,
	/* NAA 6, OUI 00-22-48, vendor id 0, extension = naa_id */
	0x01, 0x03, 0x00, 0x10,
	0x60, 0x02, 0x24, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	/* T10 vendor id */
	0x02, 0x01, 0x00, 0x17,
	'M', 's', 'f', 't', ' ', ' ', ' ', ' ',
	'H', 'V', 'K', 'V', 'M', '-', 'T', 'E', 'S', 'T', '-', '0', '0', '0', '1',
};
static const uint8_t vpd_b0[64] = {
	0x00, 0xb0, 0x00, 0x3c,
	0x01, 0x00, 0x00, 0x08,			/* WSNZ; optimal granularity 8 blocks (4 KiB) */
	0x00, 0x00, 0x08, 0x00,			/* maximum transfer 2048 blocks (1 MiB) */
	0x00, 0x00, 0x00, 0x00,			/* optimal transfer: not reported */
	0x00, 0x00, 0x00, 0x00,			/* maximum prefetch */
	0x00, 0x20, 0x00, 0x00,			/* maximum unmap LBA count: 1 GiB */
	0x00, 0x00, 0x01, 0x00,			/* maximum unmap descriptors: 256 */
	0x00, 0x00, 0x00, 0x08,			/* optimal unmap granularity */
	0x00, 0x00, 0x00, 0x00,			/* unmap granularity alignment: not valid */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,	/* maximum write same length: 1 GiB */
};
static const uint8_t vpd_b1[64] = { 0x00, 0xb1, 0x00, 0x3c, 0x00, 0x01 };
static const uint8_t vpd_b2[] = { 0x00, 0xb2, 0x00, 0x04, 0x00, 0xe4, 0x02, 0x00 };

START_TEST(test_inquiry_vpd)
{
	static const struct {
		uint8_t page;
		const uint8_t *data;
		unsigned len;
	} pages[] = {
		{ 0x00, vpd_00, sizeof(vpd_00) },
		{ 0x80, vpd_80, sizeof(vpd_80) },
		{ 0x83, vpd_83, sizeof(vpd_83) },
		{ 0xb0, vpd_b0, sizeof(vpd_b0) },
		{ 0xb1, vpd_b1, sizeof(vpd_b1) },
		{ 0xb2, vpd_b2, sizeof(vpd_b2) },
	};
	uint8_t buf[256];
	struct run r;

	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		memset(buf, 0xaa, sizeof(buf));
		exec(&r, CDB(SCSI_INQUIRY, 0x01, pages[i].page, 0, 255, 0), true, buf, sizeof(buf));
		ck_good(&r, pages[i].len);
		ck_bytes(buf, pages[i].data, pages[i].len);
		ck_assert_uint_eq(buf[pages[i].len], 0xaa);
		/* Truncated to the allocation length. */
		memset(buf, 0xaa, sizeof(buf));
		exec(&r, CDB(SCSI_INQUIRY, 0x01, pages[i].page, 0, 6, 0), true, buf, sizeof(buf));
		ck_good(&r, 6);
		ck_bytes(buf, pages[i].data, 6);
		ck_assert_uint_eq(buf[6], 0xaa);
	}
	/* Pages that are not there: Linux probes 0x89 (ATA) and others. */
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0x89, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0xb3, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0x01, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_inquiry_vpd_readonly_defaults)
{
	struct scsi_disk_config cfg = { .naa_id = 0xfedcba9876543210ULL, .readonly = true };
	static const uint8_t b0[24] = { 0x00, 0xb0, 0x00, 0x3c, 0x01, 0x00, 0x00, 0x08 };
	uint8_t buf[256];
	struct run r;

	/* No discard on a read-only disk: no B2, no unmap limits, no LBPME. No
	 * max_transfer: no limits at all. No serial: the NAA id in hex. */
	disk_open_ok(false, &cfg);
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0x00, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 9);
	ck_assert_uint_eq(buf[3], 5);
	ck_bytes(buf + 4, vpd_00 + 4, 5);
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0xb2, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0xb0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 64);
	ck_bytes(buf, b0, sizeof(b0));
	ck_assert(is_zero(buf + 24, 12));
	ck_assert_uint_eq(get_be64(buf + 36), 0x200000);
	exec(&r, CDB(SCSI_INQUIRY, 0x01, 0x80, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 20);
	ck_assert_uint_eq(buf[3], 16);
	ck_assert(memcmp(buf + 4, "fedcba9876543210", 16) == 0);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), true, buf, 32);
	ck_good(&r, 32);
	ck_assert_uint_eq(buf[14], 0);
}
END_TEST

/* ---- capacity -------------------------------------------------------------------- */

START_TEST(test_read_capacity)
{
	static const uint8_t rc10[8] = { 0x00, 0x00, 0x3f, 0xff, 0x00, 0x00, 0x02, 0x00 };
	static const uint8_t rc16[32] = { 0, 0, 0, 0, 0x00, 0x00, 0x3f, 0xff, 0x00, 0x00, 0x02, 0x00,
					  0x00, 0x03, 0xc0, 0x00 };
	uint8_t buf[64];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	ck_bytes(buf, rc10, 8);
	ck_assert_uint_eq(buf[8], 0xaa);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, 4);
	ck_good(&r, 4);
	/* The obsolete LBA field without PMI; with PMI it is answered. */
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), true, buf,
	     sizeof(buf));
	ck_good(&r, 32);
	ck_bytes(buf, rc16, 32);
	ck_assert_uint_eq(buf[32], 0xaa);
	/* Allocation lengths: 12, 0, and larger than the data. */
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0), true, buf,
	     sizeof(buf));
	ck_good(&r, 12);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf,
	     sizeof(buf));
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0), true, buf,
	     sizeof(buf));
	ck_good(&r, 32);
	/* Another service action (what sd tells apart from "no RC16"), the LBA field. */
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), true, buf,
	     sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 32, 0, 0), true, buf,
	     sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32), true, buf,
	     sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_large_disk)
{
	/* 2^32 + 8 blocks: the last LBA does not fit READ CAPACITY (10). */
	uint64_t blocks = (1ULL << 32) + 8;
	uint8_t buf[64], data[BS];
	struct run r;

	disk_close();
	ck_assert_int_eq(ftruncate(fd, (off_t)(blocks * BS)), 0);
	disk_open_ok(false, &default_cfg);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, 8);
	ck_good(&r, 8);
	ck_assert_uint_eq(get_be32(buf), 0xffffffff);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), true, buf, 32);
	ck_good(&r, 32);
	ck_assert_uint_eq(get_be64(buf), blocks - 1);
	/* Short block descriptor saturates, the long one does not. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x08, 0, 64, 0), true, buf, 64);
	ck_good(&r, 32);
	ck_assert_uint_eq(get_be32(buf + 4), 0xffffffff);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x10, 0x08, 0, 0, 0, 0, 0, 64, 0), true, buf, 64);
	ck_good(&r, 44);
	ck_assert_uint_eq(get_be64(buf + 8), blocks);

	/* The last blocks, above 32 bits, are there. */
	fill(data, BS, 9);
	ck_assert_uint_eq(io(&r, SCSI_WRITE_16, blocks - 1, 1, 0, false, data, BS), SCSI_STATUS_GOOD);
	memset(data, 0, BS);
	ck_assert_uint_eq(io(&r, SCSI_READ_16, blocks - 1, 1, 0, true, data, BS), SCSI_STATUS_GOOD);
	ck_good(&r, BS);
	{
		uint8_t want[BS];

		fill(want, BS, 9);
		ck_bytes(data, want, BS);
	}
	io(&r, SCSI_READ_16, blocks, 1, 0, true, data, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* The highest LBA READ (10) can name. */
	io(&r, SCSI_READ_10, 0xffffffffULL, 1, 0, true, data, BS);
	ck_good(&r, BS);
}
END_TEST

static Suite *scsi_disk_suite(void)
{
	Suite *s = suite_create("scsi_disk_basic");
	TCase *tc = tcase_create("scsi_disk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_test_unit_ready);
	tcase_add_test(tc, test_unknown_opcodes);
	tcase_add_test(tc, test_inquiry_standard);
	tcase_add_test(tc, test_inquiry_vpd);
	tcase_add_test(tc, test_inquiry_vpd_readonly_defaults);
	tcase_add_test(tc, test_read_capacity);
	tcase_add_test(tc, test_large_disk);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_main(scsi_disk_suite());
}
