/* SPDX-License-Identifier: MIT */
#include "scsi_disk_fixture.h"

/* ---- MODE SENSE / MODE SELECT ---------------------------------------------------- */

static const uint8_t ms6_all[44] = {
	43, 0x00, 0x10, 0x08,					/* DPOFUA, 8-byte descriptor */
	0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x02, 0x00,		/* 16384 blocks of 512 */
	0x08, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* caching: WCE */
	0x0a, 0x0a, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0,		/* control: QAM 1 */
};

START_TEST(test_mode_sense)
{
	static const uint8_t ms10_llba_caching[44] = {
		0x00, 42, 0x00, 0x10, 0x01, 0x00, 0x00, 0x10,
		0, 0, 0, 0, 0, 0, 0x40, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,
		0x08, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t ms6_changeable_dbd[36] = {
		35, 0x00, 0x10, 0x00,
		0x08, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x0a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t buf[256];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x3f, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 44);
	ck_bytes(buf, ms6_all, 44);
	ck_assert_uint_eq(buf[44], 0xaa);
	/* sd's write-protect probe: 4 bytes of everything. */
	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x3f, 0, 4, 0), true, buf, 4);
	ck_good(&r, 4);
	ck_bytes(buf, ms6_all, 4);
	/* All subpages is the same (there are none). */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x3f, 0xff, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 44);
	ck_bytes(buf, ms6_all, 44);
	/* MODE SENSE (10), long LBA descriptor, the caching page alone. */
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x10, 0x08, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 44);
	ck_bytes(buf, ms10_llba_caching, 44);
	/* MODE SENSE (10) without LLBAA: the short descriptor. */
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x00, 0x0a, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 28);
	ck_assert_uint_eq(get_be16(buf), 26);
	ck_assert_uint_eq(buf[4], 0);
	ck_assert_uint_eq(get_be16(buf + 6), 8);
	ck_bytes(buf + 8, ms6_all + 4, 8);
	ck_bytes(buf + 16, ms6_all + 32, 12);
	/* Changeable values, no block descriptors: only WCE. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0x08, 0x7f, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 36);
	ck_bytes(buf, ms6_changeable_dbd, 36);
	/* Defaults, DBD in (10). */
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x08, 0x88, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 28);
	ck_assert_uint_eq(get_be16(buf + 6), 0);
	ck_bytes(buf + 8, ms6_all + 12, 20);
	/* Allocation length 0, and a 16-bit one truncating. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x3f, 0, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0, 0x3f, 0, 0, 0, 0, 0, 10, 0), true, buf, sizeof(buf));
	ck_good(&r, 10);

	/* Saved values cannot exist; pages and subpages that are not there; reserved bits. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0xc8, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x1c, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0, 0x00, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x08, 0x01, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0x10, 0x08, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x01, 0x08, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

static uint8_t mode_select6(struct run *r, const uint8_t *list, unsigned len, uint8_t flags)
{
	return exec(r, CDB(SCSI_MODE_SELECT_6, flags, 0, 0, (uint8_t)len, 0), false, (void *)list, len);
}

static uint8_t current_wce(void)
{
	uint8_t buf[64];
	struct run r;

	exec(&r, CDB(SCSI_MODE_SENSE_6, 0x08, 0x08, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 24);
	return buf[6] & 0x04;
}

START_TEST(test_mode_select)
{
	uint8_t list[64], data[BS];
	struct run r;

	/* What sd's cache_type_store sends: header, no descriptor, the caching page. */
	memset(list, 0, sizeof(list));
	list[4] = 0x08;
	list[5] = 0x12;
	list[6] = 0x00;			/* WCE off */
	mode_select6(&r, list, 24, 0x10);
	ck_good(&r, 24);
	ck_assert(!r.sync);		/* turning WCE off flushes first */
	ck_assert_uint_eq(current_wce(), 0);
	fill(data, BS, 1);
	io(&r, SCSI_WRITE_10, 0, 1, 0, false, data, BS);
	ck_assert(r.cmd.blk.fua);	/* honoured: write-through now */
	/* Back on, with MODE SELECT (10), a matching block descriptor and the control page. */
	memset(list, 0, sizeof(list));
	list[7] = 8;
	put_be32(list + 8, DISK_BLOCKS);
	put_be32(list + 12, BS);
	list[16] = 0x08;
	list[17] = 0x12;
	list[18] = 0x04;
	list[36] = 0x0a;
	list[37] = 0x0a;
	list[39] = 0x10;
	exec(&r, CDB(SCSI_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, 48, 0), false, list, 48);
	ck_good(&r, 48);
	ck_assert(r.sync);
	ck_assert_uint_eq(current_wce(), 0x04);
	io(&r, SCSI_WRITE_10, 0, 1, 0, false, data, BS);
	ck_assert(!r.cmd.blk.fua);
	/* A list with only a header, and no list. */
	memset(list, 0, sizeof(list));
	mode_select6(&r, list, 4, 0x10);
	ck_good(&r, 4);
	mode_select6(&r, list, 0, 0x10);
	ck_good(&r, 0);
	/* The sd-style list with PS set in the page (reserved in MODE SELECT): ignored. */
	memset(list, 0, sizeof(list));
	list[4] = 0x88;
	list[5] = 0x12;
	list[6] = 0x04;
	mode_select6(&r, list, 24, 0x10);
	ck_good(&r, 24);
}
END_TEST

START_TEST(test_mode_select_bad)
{
	uint8_t list[600], good[24] = { [4] = 0x08, 0x12, 0x04 };
	struct run r;

#define BAD_MS6(len, asc) do {						\
		mode_select6(&r, list, (len), 0x10);			\
		ck_illegal(&r, (asc));					\
		ck_assert_uint_eq(current_wce(), 0x04);			\
	} while (0)

	memcpy(list, good, 24);
	list[6] = 0x05;					/* RCD is not changeable */
	BAD_MS6(24, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	memcpy(list, good, 24);
	list[6] = 0x00;
	list[16] = 0x01;				/* a non-changeable byte, with WCE off */
	BAD_MS6(24, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	memcpy(list, good, 24);
	list[5] = 0x11;					/* wrong page length */
	BAD_MS6(23, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	memcpy(list, good, 24);
	BAD_MS6(23, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);	/* truncated page */
	BAD_MS6(5, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);	/* half a page header */
	BAD_MS6(3, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);	/* not even a header */
	memcpy(list, good, 24);
	list[4] = 0x1c;					/* a page that is not there */
	BAD_MS6(24, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	memcpy(list, good, 24);
	list[4] = 0x48;					/* SPF */
	BAD_MS6(24, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	memcpy(list, good, 24);
	list[1] = 0x05;					/* medium type */
	BAD_MS6(24, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	/* The control page cannot change. */
	memset(list, 0, 16);
	list[4] = 0x0a;
	list[5] = 0x0a;
	list[6] = 0x04;					/* D_SENSE */
	list[7] = 0x10;
	BAD_MS6(16, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	list[6] = 0x00;
	mode_select6(&r, list, 16, 0x10);
	ck_good(&r, 16);
	/* Block descriptors: another block size, another capacity, a wrong length. */
	memset(list, 0, 32);
	list[3] = 8;
	put_be32(list + 4, DISK_BLOCKS);
	put_be32(list + 8, 4096);
	BAD_MS6(12, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	put_be32(list + 8, BS);
	put_be32(list + 4, DISK_BLOCKS * 2);
	BAD_MS6(12, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	put_be32(list + 4, 0);			/* 0: no change */
	mode_select6(&r, list, 12, 0x10);
	ck_good(&r, 12);
	BAD_MS6(11, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	list[3] = 16;
	BAD_MS6(20, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	/* SP, PF 0 with a page, reserved CDB bits, a list longer than the buffer. */
	memcpy(list, good, 24);
	list[6] = 0;
	mode_select6(&r, list, 24, 0x11);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	mode_select6(&r, list, 24, 0x00);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	mode_select6(&r, list, 24, 0x12);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SELECT_6, 0x10, 0, 0, 24, 0), false, list, 23);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SELECT_6, 0x10, 0, 0, 24, 0), true, list, 24);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* MODE SELECT (10): an absurd length, a long descriptor with a wrong count. */
	memset(list, 0, sizeof(list));
	exec(&r, CDB(SCSI_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0x02, 0x58, 0), false, list, 600);
	ck_illegal(&r, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	list[4] = 0x01;
	list[7] = 16;
	put_be64(list + 8, DISK_BLOCKS + 1);
	put_be32(list + 20, BS);
	exec(&r, CDB(SCSI_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, 24, 0), false, list, 24);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	put_be64(list + 8, DISK_BLOCKS);
	exec(&r, CDB(SCSI_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, 24, 0), false, list, 24);
	ck_good(&r, 24);
	ck_assert_uint_eq(current_wce(), 0x04);
#undef BAD_MS6
}
END_TEST

/* ---- the rest of the command set ------------------------------------------------- */

START_TEST(test_request_sense)
{
	static const uint8_t no_sense[18] = { 0x70, 0, 0, 0, 0, 0, 0, 10 };
	uint8_t buf[64];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_REQUEST_SENSE, 0, 0, 0, 252, 0), true, buf, sizeof(buf));
	ck_good(&r, 18);
	ck_bytes(buf, no_sense, 18);
	exec(&r, CDB(SCSI_REQUEST_SENSE, 0, 0, 0, 8, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	exec(&r, CDB(SCSI_REQUEST_SENSE, 1, 0, 0, 252, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_start_stop_prevent_verify)
{
	struct run r;

	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x01, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(r.sync);
	/* A stop writes the cache out; with NO_FLUSH it does not. */
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x00, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(!r.sync);
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x04, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(r.sync);
	exec(&r, CDB(SCSI_START_STOP_UNIT, 1, 0, 0, 0x30, 0), false, NULL, 0);
	ck_good(&r, 0);
	/* Still ready after a stop. */
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);

	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 1, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 2, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);

	io(&r, SCSI_VERIFY_10, 0, 100, 0x10, false, NULL, 0);
	ck_good(&r, 0);
	io(&r, SCSI_VERIFY_16, DISK_BLOCKS - 1, 1, 0, false, NULL, 0);
	ck_good(&r, 0);
	io(&r, SCSI_VERIFY_12, DISK_BLOCKS - 1, 2, 0, false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_VERIFY_10, 0, 1, 0x02, false, NULL, 0);	/* BYTCHK */
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_report_luns)
{
	static const uint8_t one[16] = { 0, 0, 0, 8 };
	uint8_t buf[64];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 16);
	ck_bytes(buf, one, 16);
	ck_assert_uint_eq(buf[16], 0xaa);
	exec(&r, CDB(SCSI_REPORT_LUNS, 0, 2, 0, 0, 0, 0, 0, 0, 8, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	exec(&r, CDB(SCSI_REPORT_LUNS, 0, 1, 0, 0, 0, 0, 0, 0, 64, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	ck_assert_uint_eq(get_be32(buf), 0);
	exec(&r, CDB(SCSI_REPORT_LUNS, 0, 0x10, 0, 0, 0, 0, 0, 0, 64, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

/* The target-level helpers, as the controller calls them. */
enum helper { NO_LUN, REPORT_LUNS, UNIT_ATTENTION };

struct helper_call {
	struct run *r;
	enum helper which;
};

static void helper_on_loop(void *opaque)
{
	static const uint16_t luns[] = { 0, 1, 300 };
	struct helper_call *h = opaque;

	switch (h->which) {
	case NO_LUN:
		scsi_cmd_no_lun(&h->r->cmd);
		break;
	case REPORT_LUNS:
		scsi_cmd_report_luns(&h->r->cmd, luns, 3);
		break;
	case UNIT_ATTENTION:
		scsi_cmd_unit_attention(&h->r->cmd, 0x29, 0x00);
		break;
	}
	h->r->sync = atomic_load(&h->r->calls) > 0;
}

static uint8_t helper(struct run *r, enum helper which, const uint8_t *cdb, unsigned len, bool in, void *buf,
		      uint32_t buflen)
{
	struct iovec iov = { buf, buflen };
	struct helper_call h = { r, which };

	run_prepare(r, cdb, len, in, &iov, buf ? 1 : 0);
	loop_call(loop, helper_on_loop, &h);
	ck_assert(r->sync);
	ck_assert_int_eq(atomic_load(&r->calls), 1);
	return r->cmd.status;
}

START_TEST(test_no_lun)
{
	static const uint8_t lu_not_supported[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x25, 0x00 };
	uint8_t buf[128];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	helper(&r, NO_LUN, CDB(SCSI_INQUIRY, 0, 0, 0, 96, 0), true, buf, sizeof(buf));
	ck_good(&r, 96);
	ck_assert_uint_eq(buf[0], 0x7f);
	ck_bytes(buf + 1, inquiry_std + 1, 95);
	helper(&r, NO_LUN, CDB(SCSI_INQUIRY, 0, 0, 0, 36, 0), true, buf, sizeof(buf));
	ck_good(&r, 36);
	helper(&r, NO_LUN, CDB(SCSI_INQUIRY, 1, 0x83, 0, 96, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_LOGICAL_UNIT_NOT_SUPPORTED);
	helper(&r, NO_LUN, CDB(SCSI_INQUIRY, 2, 0, 0, 96, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	helper(&r, NO_LUN, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_LOGICAL_UNIT_NOT_SUPPORTED);
	helper(&r, NO_LUN, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_LOGICAL_UNIT_NOT_SUPPORTED);
	memset(buf, 0xaa, sizeof(buf));
	helper(&r, NO_LUN, CDB(SCSI_REQUEST_SENSE, 0, 0, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 18);
	ck_bytes(buf, lu_not_supported, 18);
}
END_TEST

START_TEST(test_report_luns_helper)
{
	static const uint8_t want[32] = {
		0, 0, 0, 24, 0, 0, 0, 0,
		0x00, 0x00, 0, 0, 0, 0, 0, 0,
		0x00, 0x01, 0, 0, 0, 0, 0, 0,
		0x41, 0x2c, 0, 0, 0, 0, 0, 0,		/* 300: flat space addressing */
	};
	uint8_t buf[64];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	helper(&r, REPORT_LUNS, CDB(SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 32);
	ck_bytes(buf, want, 32);
	helper(&r, REPORT_LUNS, CDB(SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 20);
	helper(&r, REPORT_LUNS, CDB(SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0), true, buf, 12);
	ck_good(&r, 12);
	helper(&r, REPORT_LUNS, CDB(SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0x04), true, buf,
	       sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_unit_attention)
{
	uint8_t buf[16];
	struct run r;

	helper(&r, UNIT_ATTENTION, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_sense(&r, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
}
END_TEST

/* ---- read-only ------------------------------------------------------------------- */

static void check_write_protected(void)
{
	uint8_t data[8 * BS], list[24], buf[64];
	struct run r;

	fill(data, sizeof(data), 101);
	io(&r, SCSI_WRITE_6, 8, 8, 0, false, data, sizeof(data));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	io(&r, SCSI_WRITE_10, 8, 8, 0, false, data, sizeof(data));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	io(&r, SCSI_WRITE_12, 8, 8, 0x08, false, data, sizeof(data));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	io(&r, SCSI_WRITE_16, 8, 0, 0, false, data, sizeof(data));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	io(&r, SCSI_WRITE_SAME_10, 8, 8, 0, false, data, BS);
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	io(&r, SCSI_WRITE_SAME_16, 8, 8, 0x09, false, NULL, 0);
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	unmap_list(list, (const uint64_t[]){ 8 }, (const uint32_t[]){ 8 }, 1);
	unmap(&r, list, 24, 24);
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* Reads, flushes and the WP bit. */
	io(&r, SCSI_READ_10, 8, 8, 0, true, data, sizeof(data));
	ck_good(&r, sizeof(data));
	io(&r, SCSI_SYNCHRONIZE_CACHE_10, 0, 0, 0, false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x3f, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 44);
	ck_assert_uint_eq(buf[2], 0x90);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0, 0x3f, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_assert_uint_eq(buf[3], 0x90);
}

START_TEST(test_readonly)
{
	struct scsi_disk_config cfg = default_cfg;
	uint8_t *orig = malloc(DISK_BYTES), *now = malloc(DISK_BYTES);

	fill(orig, DISK_BYTES, 100);
	file_write(0, orig, DISK_BYTES);
	/* Read-only in the disk's configuration... */
	cfg.readonly = true;
	disk_open_ok(false, &cfg);
	check_write_protected();
	/* ...and in the back end's. */
	disk_open_ok(true, &default_cfg);
	check_write_protected();
	file_read(0, now, DISK_BYTES);
	ck_assert(memcmp(now, orig, DISK_BYTES) == 0);
	free(orig);
	free(now);
}
END_TEST

/* ---- back-end failures ----------------------------------------------------------- */

START_TEST(test_read_error)
{
	uint8_t data[8 * BS];
	struct run r;

	/* The file shrinks under the disk: reads past its new end fail. */
	ck_assert_int_eq(ftruncate(fd, DISK_BYTES / 2), 0);
	io(&r, SCSI_READ_10, DISK_BLOCKS - 8, 8, 0, true, data, sizeof(data));
	ck_sense(&r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
	ck_assert(!r.sync);
	io(&r, SCSI_READ_10, 0, 8, 0, true, data, sizeof(data));
	ck_good(&r, sizeof(data));
}
END_TEST

static bool fd_target(int n, char *target, size_t len)
{
	char link[64];
	ssize_t r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", n);
	r = readlink(link, target, len - 1);
	if (r <= 0)
		return false;
	target[r] = 0;
	return true;
}

/* Finds the back end's descriptor for the file: another one on the same file as ours. */
static int find_blk_fd(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	char ours[512];
	int found = -1;

	ck_assert_ptr_nonnull(dir);
	ck_assert(fd_target(fd, ours, sizeof(ours)));
	while ((e = readdir(dir))) {
		char target[512];
		int n = atoi(e->d_name);

		if (e->d_name[0] != '.' && n != fd && fd_target(n, target, sizeof(target)) &&
		    strcmp(target, ours) == 0)
			found = n;
	}
	closedir(dir);
	return found;
}

START_TEST(test_write_error)
{
	uint8_t data[8 * BS], back[8 * BS], zero[BS] = { 0 }, list[24];
	int bfd = find_blk_fd(), ro;
	struct run r;

	/* A read-only descriptor under the back end: every write fails with EBADF. */
	ck_assert_int_ge(bfd, 0);
	ro = open(path, O_RDONLY | O_CLOEXEC);	/* our /proc/self/fd link: the same file */
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(dup2(ro, bfd), bfd);
	close(ro);
	fill(data, sizeof(data), 111);
	io(&r, SCSI_WRITE_10, 16, 8, 0, false, data, sizeof(data));
	ck_sense(&r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	io(&r, SCSI_WRITE_SAME_16, 16, 8, 0, false, data, BS);
	ck_sense(&r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	io(&r, SCSI_WRITE_SAME_16, 16, 8, 0x08, false, zero, BS);
	ck_sense(&r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	unmap_list(list, (const uint64_t[]){ 16 }, (const uint32_t[]){ 8 }, 1);
	unmap(&r, list, 24, 24);
	ck_sense(&r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	file_read(16 * BS, back, sizeof(back));
	ck_assert(is_zero(back, sizeof(back)));
	/* Reads still work. */
	io(&r, SCSI_READ_10, 16, 8, 0, true, back, sizeof(back));
	ck_good(&r, sizeof(back));
}
END_TEST

/* ---- cache=none ------------------------------------------------------------------ */

static bool open_direct(void)
{
	int r = disk_open(false, BLK_CACHE_NONE, &default_cfg);

	if (r == -EINVAL) {
		fprintf(stderr, "test_scsi_disk: the file system of $TMPDIR (or /tmp) refuses O_DIRECT: "
			"cache=none parts skipped\n");
		return false;
	}
	ck_assert_int_eq(r, 0);
	return true;
}

START_TEST(test_direct_aligned)
{
	uint8_t *data, *back;
	struct run r;

	if (!open_direct())
		return;
	ck_assert_int_eq(posix_memalign((void **)&data, 4096, 64 * BS), 0);
	ck_assert_int_eq(posix_memalign((void **)&back, 4096, 64 * BS), 0);
	fill(data, 64 * BS, 121);
	/* Page-aligned guest memory goes straight to the back end. */
	io(&r, SCSI_WRITE_10, 128, 64, 0, false, data, 64 * BS);
	ck_good(&r, 64 * BS);
	ck_assert_ptr_eq(r.cmd.blk.iov, r.cmd.iov);
	memset(back, 0, 64 * BS);
	io(&r, SCSI_READ_16, 128, 64, 0, true, back, 64 * BS);
	ck_good(&r, 64 * BS);
	ck_assert_ptr_eq(r.cmd.blk.iov, r.cmd.iov);
	ck_assert(memcmp(back, data, 64 * BS) == 0);
	file_read(128 * BS, back, 64 * BS);
	ck_assert(memcmp(back, data, 64 * BS) == 0);
	free(data);
	free(back);
}
END_TEST

START_TEST(test_direct_unaligned)
{
	uint8_t *mem = malloc(64 * BS + 64), *data = mem + 3, *want = malloc(64 * BS);
	uint8_t *amem, zero[BS] = { 0 }, list[24];
	struct iovec iov[2];
	uint8_t cdb[16];
	struct run r;
	unsigned cl;

	if (!open_direct()) {
		free(mem);
		free(want);
		return;
	}
	fill(want, 64 * BS, 131);
	memcpy(data, want, 64 * BS);
	/* An odd address: bounced, in both directions. */
	io(&r, SCSI_WRITE_10, 256, 64, 0x08, false, data, 64 * BS);
	ck_good(&r, 64 * BS);
	ck_assert_ptr_eq(r.cmd.blk.iov, &r.cmd.bounce_iov);
	memset(data, 0, 64 * BS);
	file_read(256 * BS, data, 64 * BS);
	ck_assert(memcmp(data, want, 64 * BS) == 0);
	memset(data, 0, 64 * BS);
	io(&r, SCSI_READ_10, 256, 64, 0, true, data, 64 * BS);
	ck_good(&r, 64 * BS);
	ck_assert_ptr_eq(r.cmd.blk.iov, &r.cmd.bounce_iov);
	ck_assert(memcmp(data, want, 64 * BS) == 0);
	/* Aligned addresses, a piece that is not a whole number of sectors. */
	ck_assert_int_eq(posix_memalign((void **)&amem, 4096, 2 * 4096), 0);
	iov[0] = (struct iovec){ amem, 700 };
	iov[1] = (struct iovec){ amem + 4096, 2 * BS - 700 };
	memcpy(amem, want, 700);
	memcpy(amem + 4096, want + 700, 2 * BS - 700);
	cl = cdb_lba(cdb, SCSI_WRITE_16, 400, 2, 0);
	exec_iov(&r, cdb, cl, false, iov, 2);
	ck_good(&r, 2 * BS);
	ck_assert_ptr_eq(r.cmd.blk.iov, &r.cmd.bounce_iov);
	memset(data, 0, 2 * BS);
	file_read(400 * BS, data, 2 * BS);
	ck_assert(memcmp(data, want, 2 * BS) == 0);
	/* WRITE SAME and UNMAP use their own aligned memory. */
	fill(data, BS, 132);
	io(&r, SCSI_WRITE_SAME_16, 500, 100, 0, false, data, BS);
	ck_good(&r, BS);
	ck_assert(file_range_is(500, 100, data));
	io(&r, SCSI_WRITE_SAME_16, 500, 50, 0x08, false, zero, BS);
	ck_good(&r, BS);
	ck_assert(file_range_is(500, 50, NULL));
	unmap_list(list, (const uint64_t[]){ 256 }, (const uint32_t[]){ 64 }, 1);
	unmap(&r, list, 24, 24);
	ck_good(&r, 24);
	ck_assert(file_range_is(256, 64, NULL));
	free(amem);
	free(mem);
	free(want);
}
END_TEST

/* A FIFO given as a disk (read-only: an open that waits for a writer) is refused
 * at once, not waited on. */
START_TEST(test_open_fifo_refused)
{
	char dir[] = "/tmp/hvkvm-fifo-XXXXXX", fifo[64], err[256];
	struct blk *b = NULL;
	uint64_t t0 = test_now_ms();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(blk_open(&b, loop, fifo, true, BLK_CACHE_WRITEBACK, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(b);
	ck_assert_msg(strstr(err, "not a regular file or a block device"), "%s", err);
	ck_assert_int_eq(blk_open(&b, loop, fifo, false, BLK_CACHE_WRITEBACK, err, sizeof(err)), -EINVAL);
	ck_assert_uint_lt(test_now_ms() - t0, 2000);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

static Suite *scsi_disk_suite(void)
{
	Suite *s = suite_create("scsi_disk_commands");
	TCase *tc = tcase_create("scsi_disk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_open_fifo_refused);
	tcase_add_test(tc, test_mode_sense);
	tcase_add_test(tc, test_mode_select);
	tcase_add_test(tc, test_mode_select_bad);
	tcase_add_test(tc, test_request_sense);
	tcase_add_test(tc, test_start_stop_prevent_verify);
	tcase_add_test(tc, test_report_luns);
	tcase_add_test(tc, test_no_lun);
	tcase_add_test(tc, test_report_luns_helper);
	tcase_add_test(tc, test_unit_attention);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_direct_aligned);
	tcase_add_test(tc, test_direct_unaligned);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_main(scsi_disk_suite());
}
