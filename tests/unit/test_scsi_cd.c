/* SPDX-License-Identifier: MIT */
#include "scsi_disk_fixture.h"
#include "blk_iso.h"

/*
 * The CD/DVD drive model: the MMC commands Linux's sr, OVMF and Windows' cdrom.sys
 * send, answered byte for byte, and the medium changing under the guest (host
 * eject/insert, the guest's own eject and lock). The medium is an image file opened
 * as the back end opens --cdrom.
 */

#define CD_BS		2048U
#define CD_BLOCKS	64U		/* a 128 KiB "CD" */

static char iso_path[256], iso2_path[256];
static struct blk *medium;

static void make_iso(char *p, size_t len, uint64_t bytes, unsigned seed)
{
	const char *tmp = getenv("TMPDIR");
	uint8_t *buf = malloc(bytes ? bytes : 1);
	int f;

	snprintf(p, len, "%s/hvkvm-cd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	f = mkstemp(p);
	ck_assert_int_ge(f, 0);
	fill(buf, bytes, seed);
	ck_assert_int_eq(write(f, buf, bytes), (ssize_t)bytes);
	close(f);
	free(buf);
}

struct cd_open {
	const char *path;
	int r;
	char err[256];
	struct blk *b;
};

static void iso_open_on_loop(void *opaque)
{
	struct cd_open *o = opaque;

	o->r = blk_iso_open(&o->b, loop, o->path, o->err, sizeof(o->err));
}

static struct blk *iso_open(const char *p)
{
	struct cd_open o = { .path = p };

	loop_call(loop, iso_open_on_loop, &o);
	ck_assert_msg(o.r == 0, "%s", o.err);
	return o.b;
}

static const struct scsi_disk_config cd_cfg = {
	.serial = "HVKVM-CD-0001",
	.naa_id = 0x1122334455667788ULL,
	.max_transfer = MAX_XFER,
	.cdrom = true,
	.owns_backend = true,
};

static void cd_new_on_loop(void *opaque)
{
	disk = scsi_disk_new(opaque, &cd_cfg);
}

struct change {
	struct blk *b;
	bool force;
	int r;
};

static void change_on_loop(void *opaque)
{
	struct change *c = opaque;

	c->r = scsi_disk_change_medium(disk, c->b, c->force);
}

static int change_medium(struct blk *b, bool force)
{
	struct change c = { .b = b, .force = force };

	loop_call(loop, change_on_loop, &c);
	return c.r;
}

static void state_on_loop(void *opaque)
{
	ck_assert(scsi_disk_cd_state(disk, opaque));
}

static struct scsi_cd_state cd_state(void)
{
	struct scsi_cd_state st;

	loop_call(loop, state_on_loop, &st);
	return st;
}

/* The scsi_disk fixture's loop and file, then a drive with the ISO in it (the
 * fixture's disk is closed first: `disk` is the drive from here on). */
static void cd_setup(void)
{
	setup();
	disk_close();
	make_iso(iso_path, sizeof(iso_path), (uint64_t)CD_BLOCKS * CD_BS, 7);
	make_iso(iso2_path, sizeof(iso2_path), (uint64_t)CD_BLOCKS * 2 * CD_BS, 9);
	medium = iso_open(iso_path);
	loop_call(loop, cd_new_on_loop, medium);
	ck_assert_ptr_nonnull(disk);
}

static void cd_teardown(void)
{
	unlink(iso_path);
	unlink(iso2_path);
	teardown();
}

/* A new drive starts with no unit attention; the first command sees the medium. */
static void ck_not_ready(struct run *r)
{
	ck_sense(r, SCSI_SENSE_NOT_READY, SCSI_ASC_MEDIUM_NOT_PRESENT);
}

START_TEST(test_iso_open_refused)
{
	char p[256], err[256];
	struct cd_open o = { .path = p };

	make_iso(p, sizeof(p), 2048 * 3 + 512, 1);
	loop_call(loop, iso_open_on_loop, &o);
	ck_assert_int_eq(o.r, -EINVAL);
	ck_assert_msg(strstr(o.err, "2048-byte"), "%s", o.err);
	unlink(p);
	make_iso(p, sizeof(p), 0, 1);
	loop_call(loop, iso_open_on_loop, &o);
	ck_assert_int_eq(o.r, -EINVAL);
	unlink(p);
	o.path = "/nonexistent/hvkvm.iso";
	loop_call(loop, iso_open_on_loop, &o);
	ck_assert_int_eq(o.r, -ENOENT);
	(void)err;
}
END_TEST

START_TEST(test_inquiry)
{
	uint8_t buf[256];
	struct run r;

	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 96, 0), true, buf, sizeof(buf));
	ck_good(&r, 96);
	ck_assert_uint_eq(buf[0], SCSI_TYPE_CDROM);
	ck_assert_uint_eq(buf[1], 0x80);		/* RMB */
	ck_bytes(buf + 8, "Msft    Virtual DVD-ROM 1.0 ", 28);
	ck_assert_uint_eq(get_be16(buf + 62), 0x05c0);
	/* The VPD pages a disk has (no provisioning: the medium is read-only). */
	exec(&r, CDB(SCSI_INQUIRY, 1, 0x00, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 9);
	ck_assert_uint_eq(buf[0], SCSI_TYPE_CDROM);
	ck_bytes(buf + 4, ((const uint8_t[]){ 0x00, 0x80, 0x83, 0xb0, 0xb1 }), 5);
	exec(&r, CDB(SCSI_INQUIRY, 1, 0x80, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 4 + 13);
	ck_bytes(buf + 4, "HVKVM-CD-0001", 13);
	exec(&r, CDB(SCSI_INQUIRY, 1, 0x83, 0, 255, 0), true, buf, sizeof(buf));
	ck_assert_uint_eq(r.cmd.status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(get_be64(buf + 4 + 12), 0x1122334455667788ULL);
	exec(&r, CDB(SCSI_INQUIRY, 1, 0xb2, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* INQUIRY answers with a unit attention pending, and with no medium. */
	ck_assert_int_eq(change_medium(NULL, false), 0);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 36, 0), true, buf, sizeof(buf));
	ck_good(&r, 36);
}
END_TEST

START_TEST(test_tur_capacity_read)
{
	uint8_t buf[4 * CD_BS], want[CD_BLOCKS * CD_BS], c[16];
	struct run r;

	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, 8);
	ck_good(&r, 8);
	ck_assert_uint_eq(get_be32(buf), CD_BLOCKS - 1);
	ck_assert_uint_eq(get_be32(buf + 4), CD_BS);
	fill(want, sizeof(want), 7);
	/* READ (10), (12), (16) in 2048-byte blocks. */
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 5, 0, 0, 2, 0), true, buf, sizeof(buf));
	ck_good(&r, 2 * CD_BS);
	ck_bytes(buf, want + 5 * CD_BS, 2 * CD_BS);
	exec(&r, CDB(SCSI_READ_12, 0, 0, 0, 0, CD_BLOCKS - 4, 0, 0, 0, 4, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 4 * CD_BS);
	ck_bytes(buf, want + (CD_BLOCKS - 4) * CD_BS, 4 * CD_BS);
	cdb_lba(c, SCSI_READ_16, 1, 1, 0);
	exec(&r, c, 16, true, buf, sizeof(buf));
	ck_good(&r, CD_BS);
	ck_bytes(buf, want + CD_BS, CD_BS);
	/* Past the end, wrapping, larger than the buffer. */
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, CD_BLOCKS - 1, 0, 0, 2, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	cdb_lba(c, SCSI_READ_16, UINT64_MAX, 2, 0);
	exec(&r, c, 16, true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 5, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Data-out buffer for a read: no buffer at all. */
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), false, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_READ_10, 0x20, 0, 0, 0, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* A short CDB. */
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* VERIFY checks the range only. */
	exec(&r, CDB(SCSI_VERIFY_10, 0, 0, 0, 0, 0, 0, 0, CD_BLOCKS, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_VERIFY_10, 0, 0, 0, 0, 1, 0, 0, CD_BLOCKS, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
}
END_TEST

START_TEST(test_write_refused)
{
	uint8_t buf[CD_BS] = { 0 }, c[16];
	struct run r;

	exec(&r, CDB(SCSI_WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), false, buf, sizeof(buf));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	exec(&r, CDB(SCSI_WRITE_12, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), false, buf, sizeof(buf));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	cdb_lba(c, SCSI_WRITE_16, 0, 1, 0);
	exec(&r, c, 16, false, buf, sizeof(buf));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	exec(&r, CDB(SCSI_WRITE_SAME_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), false, buf, sizeof(buf));
	ck_sense(&r, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* Unknown commands, and the disk's that a drive has not. */
	exec(&r, CDB(0xc5, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	exec(&r, CDB(SCSI_READ_6, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	exec(&r, CDB(SCSI_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	/* The file is as it was. */
	{
		uint8_t got[CD_BS], want[CD_BS];
		int f = open(iso_path, O_RDONLY);

		ck_assert_int_eq(pread(f, got, CD_BS, 0), CD_BS);
		close(f);
		fill(want, sizeof(want), 7);
		ck_bytes(got, want, CD_BS);
	}
}
END_TEST

START_TEST(test_read_toc)
{
	static const uint8_t toc_lba[20] = {
		0, 18, 1, 1,
		0, 0x14, 1, 0, 0, 0, 0, 0,
		0, 0x14, 0xaa, 0, 0, 0, 0, CD_BLOCKS,
	};
	/* LBA 0 is 00:02:00, the lead-out at 64 blocks 00:02:64. */
	static const uint8_t toc_msf[20] = {
		0, 18, 1, 1,
		0, 0x14, 1, 0, 0, 0, 2, 0,
		0, 0x14, 0xaa, 0, 0, 0, 2, 64,
	};
	static const uint8_t session[12] = { 0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0 };
	uint8_t buf[64];
	struct run r;

	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 20);
	ck_bytes(buf, toc_lba, 20);
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0x02, 0, 0, 0, 0, 0, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 20);
	ck_bytes(buf, toc_msf, 20);
	/* From the lead-out only. */
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0xaa, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 12);
	ck_assert_uint_eq(get_be16(buf), 10);
	ck_assert_uint_eq(buf[6], 0xaa);
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 2, 0, 64, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Format 1, and format 1 by the old place in the control byte. */
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 1, 0, 0, 0, 0, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 12);
	ck_bytes(buf, session, 12);
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0, 0, 64, 0x40), true, buf, sizeof(buf));
	ck_good(&r, 12);
	ck_bytes(buf, session, 12);
	/* The allocation length truncates; other formats are refused. */
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0, 0, 4, 0), true, buf, sizeof(buf));
	ck_good(&r, 4);
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 5, 0, 0, 0, 0, 0, 64, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	ck_assert_int_eq(change_medium(NULL, false), 0);
	exec(&r, CDB(SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0, 0, 64, 0), true, buf, sizeof(buf));
	ck_not_ready(&r);
}
END_TEST

START_TEST(test_get_configuration)
{
	uint8_t buf[256];
	struct run r;

	memset(buf, 0xaa, sizeof(buf));
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 1, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8 + 12 + 12 + 8 + 8 + 12 + 4);
	ck_assert_uint_eq(get_be32(buf), r.cmd.transferred - 4);
	ck_assert_uint_eq(get_be16(buf + 6), 0x0008);		/* CD-ROM: a small medium */
	/* Profile list: DVD-ROM not current, CD-ROM current. */
	ck_bytes(buf + 8, ((const uint8_t[]){ 0, 0, 0x03, 8, 0, 0x10, 0, 0, 0, 0x08, 1, 0 }), 12);
	/* Core: SCSI, DBE. */
	ck_bytes(buf + 20, ((const uint8_t[]){ 0, 1, 0x0b, 8, 0, 0, 0, 1, 1, 0, 0, 0 }), 12);
	ck_bytes(buf + 32, ((const uint8_t[]){ 0, 2, 0x07, 4, 0x02, 0, 0, 0 }), 8);
	ck_bytes(buf + 40, ((const uint8_t[]){ 0, 3, 0x0b, 4, 0x3d, 0, 0, 0 }), 8);
	ck_bytes(buf + 48, ((const uint8_t[]){ 0, 0x10, 0x01, 8, 0, 0, 0x08, 0, 0, 1, 0, 0 }), 12);
	ck_bytes(buf + 60, ((const uint8_t[]){ 0, 0x1f, 0x00, 0 }), 4);
	/* RT 1: current features only (no DVD Read on a CD). */
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 1, 0, 0, 0, 0, 0, 1, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8 + 12 + 12 + 8 + 8 + 12);
	/* RT 2: one feature. */
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 2, 0, 3, 0, 0, 0, 1, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 16);
	ck_assert_uint_eq(get_be16(buf + 8), 3);
	/* From feature 0x10 on. */
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 0, 0, 0x10, 0, 0, 0, 1, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8 + 12 + 4);
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 3, 0, 0, 0, 0, 0, 1, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Header only (Linux asks for 8 bytes first). */
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0, 8, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	/* A DVD-sized medium is a DVD-ROM; no medium, no profile. */
	ck_assert_int_eq(change_medium(NULL, false), 0);
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 1, 0, 0, 0, 0, 0, 1, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8 + 12 + 12 + 8 + 8);
	ck_assert_uint_eq(get_be16(buf + 6), 0);
}
END_TEST

START_TEST(test_mode_sense)
{
	uint8_t buf[256];
	struct run r;

	exec(&r, CDB(SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0, 128, 0), true, buf, sizeof(buf));
	ck_good(&r, 8 + 22);
	ck_assert_uint_eq(get_be16(buf), 8 + 22 - 2);
	ck_assert_uint_eq(get_be16(buf + 6), 0);		/* no block descriptor */
	ck_assert_uint_eq(buf[8], 0x2a);
	ck_assert_uint_eq(buf[9], 20);
	ck_assert_uint_eq(buf[10] & 0x08, 0x08);		/* DVD-ROM read */
	ck_assert_uint_eq(buf[11], 0);				/* no writing */
	ck_assert_uint_eq(buf[14], 0x29);			/* tray, eject, lock; unlocked */
	ck_assert_uint_eq(get_be16(buf + 16), 50 * 176);
	/* The lock state follows PREVENT ALLOW MEDIUM REMOVAL. */
	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 1, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x2a, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 4 + 22);
	ck_assert_uint_eq(buf[0], 4 + 22 - 1);
	ck_assert_uint_eq(buf[3], 0);
	ck_assert_uint_eq(buf[10], 0x2b);
	/* All pages; changeable values; pages a drive has not. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x3f, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 4 + 12 + 22);
	ck_assert_uint_eq(buf[4], 0x01);
	ck_assert_uint_eq(buf[16], 0x2a);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x6a, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 4 + 22);
	ck_assert(is_zero(buf + 6, 20));
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x08, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0xea, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0, 3, 0), true, buf, sizeof(buf));
	ck_good(&r, 3);
}
END_TEST

START_TEST(test_disc_info_dvd_structure_misc)
{
	uint8_t buf[4096];
	struct run r;

	exec(&r, CDB(SCSI_READ_DISC_INFORMATION, 0, 0, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 34);
	ck_assert_uint_eq(get_be16(buf), 32);
	ck_bytes(buf + 2, ((const uint8_t[]){ 0x0e, 1, 1, 1, 1, 0x20, 0 }), 7);
	exec(&r, CDB(SCSI_READ_DISC_INFORMATION, 1, 0, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* DVD structures: the list always, the physical format only for a DVD. */
	exec(&r, CDB(SCSI_READ_DVD_STRUCTURE, 0, 0, 0, 0, 0, 0, 0xff, 0x10, 0, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 16);
	ck_assert_uint_eq(get_be16(buf), 14);
	ck_bytes(buf + 4, ((const uint8_t[]){ 0x00, 0x40, 0x08, 0x04 }), 4);
	exec(&r, CDB(SCSI_READ_DVD_STRUCTURE, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT);
	exec(&r, CDB(SCSI_READ_DVD_STRUCTURE, 0, 0, 0, 0, 0, 0, 0x30, 0x10, 0, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_READ_DVD_STRUCTURE, 0, 0, 0, 0, 0, 1, 0, 0x10, 0, 0, 0), true, buf, sizeof(buf));
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* SET CD SPEED, MECHANISM STATUS, SYNCHRONIZE CACHE. */
	exec(&r, CDB(SCSI_SET_CD_SPEED, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_MECHANISM_STATUS, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	ck_assert(is_zero(buf, 8));
	exec(&r, CDB(SCSI_MECHANISM_STATUS, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 2);
	exec(&r, CDB(SCSI_SYNCHRONIZE_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
}
END_TEST

START_TEST(test_dvd_medium)
{
	char p[300];
	uint8_t buf[4096];
	struct run r;
	/* A medium just over 80 minutes of CD: sparse, so it costs nothing. */
	uint64_t blocks = 80ULL * 60 * 75 + 16;
	int f;

	snprintf(p, sizeof(p), "%s.dvd", iso_path);
	f = open(p, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(ftruncate(f, (off_t)(blocks * CD_BS)), 0);
	close(f);
	ck_assert_int_eq(change_medium(iso_open(p), false), 0);
	unlink(p);
	exec(&r, CDB(SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0, 8, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	ck_assert_uint_eq(get_be16(buf + 6), 0x0010);
	exec(&r, CDB(SCSI_READ_DVD_STRUCTURE, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04, 0, 0), true, buf, sizeof(buf));
	ck_sense(&r, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_NOT_READY_TO_READY_CHANGE);
	exec(&r, CDB(SCSI_READ_DVD_STRUCTURE, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 2052);
	ck_assert_uint_eq(get_be16(buf), 2050);
	ck_assert_uint_eq(buf[4], 0x01);
	ck_assert_uint_eq(get_be32(buf + 8), 0x030000);
	ck_assert_uint_eq(get_be32(buf + 12), 0x030000 + blocks - 1);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, 8);
	ck_good(&r, 8);
	ck_assert_uint_eq(get_be32(buf), blocks - 1);
}
END_TEST

static uint8_t gesn(struct run *r, uint8_t *buf)
{
	exec(r, CDB(SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, 0, 0, 0x10, 0, 0, 0, 8, 0), true, buf, 8);
	ck_good(r, 8);
	ck_assert_uint_eq(get_be16(buf), 4);
	ck_assert_uint_eq(buf[2], 4);
	ck_assert_uint_eq(buf[3], 0x10);
	return buf[4];
}

static struct blk *medium2;

static void same_medium_on_loop(void *opaque)
{
	(void)opaque;
	ck_assert_int_eq(scsi_disk_change_medium(disk, medium2, false), 0);
}

START_TEST(test_media_change)
{
	uint8_t buf[CD_BS], want[2 * CD_BS];
	struct run r;
	struct scsi_cd_state st;

	/* Events: none pending at first; the media class only. */
	ck_assert_uint_eq(gesn(&r, buf), 0);
	ck_assert_uint_eq(buf[5], 0x02);		/* media present */
	exec(&r, CDB(SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, 0, 0, 0x02, 0, 0, 0, 8, 0), true, buf, 8);
	ck_good(&r, 4);
	ck_assert_uint_eq(buf[2], 0x80);		/* NEA */
	exec(&r, CDB(SCSI_GET_EVENT_STATUS_NOTIFICATION, 0, 0, 0, 0x10, 0, 0, 0, 8, 0), true, buf, 8);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);

	/* Host eject: NOT READY, a removal event once. */
	ck_assert_int_eq(change_medium(NULL, false), 0);
	st = cd_state();
	ck_assert(!st.medium);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_not_ready(&r);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, 8);
	ck_not_ready(&r);
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_not_ready(&r);
	exec(&r, CDB(SCSI_REQUEST_SENSE, 0, 0, 0, 18, 0), true, buf, 18);
	ck_good(&r, 18);
	ck_assert_uint_eq(buf[2], SCSI_SENSE_NOT_READY);
	ck_assert_uint_eq(buf[12], 0x3a);
	ck_assert_uint_eq(gesn(&r, buf), 3);
	ck_assert_uint_eq(buf[5], 0);
	ck_assert_uint_eq(gesn(&r, buf), 0);
	/* An empty drive ejects again without complaint. */
	ck_assert_int_eq(change_medium(NULL, false), 0);

	/* Host insert: a new-media event and one UNIT ATTENTION 28/00, then the new data. */
	medium2 = iso_open(iso2_path);
	ck_assert_int_eq(change_medium(medium2, false), 0);
	ck_assert_uint_eq(gesn(&r, buf), 2);
	ck_assert_uint_eq(buf[5], 0x02);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 36, 0), true, buf, sizeof(buf));
	ck_good(&r, 36);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_sense(&r, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_NOT_READY_TO_READY_CHANGE);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, buf, 8);
	ck_good(&r, 8);
	ck_assert_uint_eq(get_be32(buf), 2 * CD_BLOCKS - 1);
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_good(&r, CD_BS);
	fill(want, sizeof(want), 9);
	ck_bytes(buf, want, CD_BS);

	/* The medium that is in, again: a new arrival, the data still there. */
	loop_call(loop, same_medium_on_loop, NULL);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_sense(&r, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_NOT_READY_TO_READY_CHANGE);
	exec(&r, CDB(SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0), true, buf, sizeof(buf));
	ck_good(&r, CD_BS);
	ck_bytes(buf, want, CD_BS);

	/* REQUEST SENSE takes the unit attention too. */
	ck_assert_int_eq(change_medium(iso_open(iso_path), false), 0);
	exec(&r, CDB(SCSI_REQUEST_SENSE, 0, 0, 0, 18, 0), true, buf, 18);
	ck_good(&r, 18);
	ck_assert_uint_eq(buf[2], SCSI_SENSE_UNIT_ATTENTION);
	ck_assert_uint_eq(buf[12], 0x28);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
}
END_TEST

START_TEST(test_lock_and_eject)
{
	uint8_t buf[64];
	struct run r;
	struct scsi_cd_state st;

	/* The guest locks: its own eject and the host's plain eject are refused. */
	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 1, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 2, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	ck_assert(cd_state().locked);
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x02, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_MEDIUM_REMOVAL_PREVENTED);
	ck_assert_int_eq(change_medium(NULL, false), -EBUSY);
	ck_assert(cd_state().medium);
	/* ... which the guest hears as an eject request. */
	ck_assert_uint_eq(gesn(&r, buf), 1);
	/* Forced: out it goes, and the lock with it. */
	ck_assert_int_eq(change_medium(NULL, true), 0);
	st = cd_state();
	ck_assert(!st.medium && !st.locked);
	ck_assert_int_eq(change_medium(iso_open(iso_path), false), 0);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_sense(&r, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_NOT_READY_TO_READY_CHANGE);

	/* The guest's eject opens the tray: NOT READY, a removal event; load closes it. */
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x02, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(cd_state().tray_open);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_not_ready(&r);
	ck_assert_uint_eq(gesn(&r, buf), 3);
	ck_assert_uint_eq(buf[5], 0x01);		/* tray open */
	exec(&r, CDB(SCSI_MECHANISM_STATUS, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0), true, buf, sizeof(buf));
	ck_good(&r, 8);
	ck_assert_uint_eq(buf[1], 0x10);
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x03, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert_uint_eq(gesn(&r, buf), 2);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	/* A power condition or no LoEj moves nothing; reserved bits are refused. */
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x00, 0), false, NULL, 0);
	ck_good(&r, 0);
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x32, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(!cd_state().tray_open);
	exec(&r, CDB(SCSI_START_STOP_UNIT, 0, 0, 0, 0x04, 0), false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Allowed again: the guest's eject works. */
	exec(&r, CDB(SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	ck_assert_int_eq(change_medium(NULL, false), 0);
}
END_TEST

static void medium_bad_on_loop(void *opaque)
{
	struct scsi_disk_config c = cd_cfg;
	struct scsi_disk *cd;

	(void)opaque;
	c.owns_backend = false;
	ck_assert_ptr_null(scsi_disk_new(blk, &c));
	cd = scsi_disk_new(NULL, &c);
	ck_assert_ptr_nonnull(cd);
	ck_assert_int_eq(scsi_disk_change_medium(cd, blk, false), -EINVAL);
	scsi_disk_free(cd);
}

START_TEST(test_empty_drive_and_bad_medium)
{
	uint8_t buf[64];
	struct run r;
	struct open_req o = { .cfg = &default_cfg };
	loop_call(loop, close_on_loop, NULL);
	/* An empty drive from the start. */
	loop_call(loop, cd_new_on_loop, NULL);
	ck_assert_ptr_nonnull(disk);
	exec(&r, CDB(SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_not_ready(&r);
	exec(&r, CDB(SCSI_INQUIRY, 0, 0, 0, 36, 0), true, buf, sizeof(buf));
	ck_good(&r, 36);
	ck_assert_uint_eq(buf[0], 5);
	exec(&r, CDB(SCSI_READ_DISC_INFORMATION, 0, 0, 0, 0, 0, 0, 0, 34, 0), true, buf, sizeof(buf));
	ck_not_ready(&r);
	/* A disk is no CD. */
	loop_call(loop, close_on_loop, NULL);
	loop_call(loop, open_on_loop, &o);
	ck_assert_int_eq(o.r, 0);
	ck_assert_int_eq(change_medium(NULL, false), -EINVAL);
	/* A disk's back end (512-byte blocks) is no medium for a drive. */
	loop_call(loop, medium_bad_on_loop, NULL);
}
END_TEST

static Suite *scsi_cd_suite(void)
{
	Suite *s = suite_create("scsi_cd");
	TCase *tc = tcase_create("scsi_cd");

	tcase_add_checked_fixture(tc, cd_setup, cd_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_iso_open_refused);
	tcase_add_test(tc, test_inquiry);
	tcase_add_test(tc, test_tur_capacity_read);
	tcase_add_test(tc, test_write_refused);
	tcase_add_test(tc, test_read_toc);
	tcase_add_test(tc, test_get_configuration);
	tcase_add_test(tc, test_mode_sense);
	tcase_add_test(tc, test_disc_info_dvd_structure_misc);
	tcase_add_test(tc, test_dvd_medium);
	tcase_add_test(tc, test_media_change);
	tcase_add_test(tc, test_lock_and_eject);
	tcase_add_test(tc, test_empty_drive_and_bad_medium);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(scsi_cd_suite());
}
