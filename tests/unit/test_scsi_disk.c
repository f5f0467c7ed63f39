/* SPDX-License-Identifier: MIT */
/*
 * The SCSI disk model on a real block back end (a sparse temp file), driven the
 * way storvsp drives it: CDBs executed on the loop thread, completions waited for
 * from the test's thread. Answers are checked byte for byte, and what reaches the
 * file is checked with pread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "blk_file.h"
#include "loop.h"
#include "scsi.h"
#include "scsi_disk.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS		512U
#define DISK_BYTES	(8U << 20)
#define DISK_BLOCKS	(DISK_BYTES / BS)		/* 16384 */
#define MAX_XFER	(1U << 20)
#define WAIT_MS		30000

/* ---- fixture: a loop thread, a temp file, a blk and a disk on it ----------------- */

static struct loop *loop;
static struct test_loop loop_thread;
static char path[256];
static int fd = -1;			/* the test's own view of the file */
static struct blk *blk;
static struct scsi_disk *disk;

static const struct scsi_disk_config default_cfg = {
	.serial = "HVKVM-TEST-0001",
	.naa_id = 0x0123456789abcdefULL,
	.max_transfer = MAX_XFER,
	.write_cache = true,
};

struct open_req {
	bool ro;
	enum blk_cache cache;
	const struct scsi_disk_config *cfg;
	int r;
	char err[256];
};

static void open_on_loop(void *opaque)
{
	struct open_req *o = opaque;

	o->r = blk_open(&blk, loop, path, o->ro, o->cache, o->err, sizeof(o->err));
	if (o->r == 0) {
		disk = scsi_disk_new(blk, o->cfg);
		if (!disk)
			o->r = -errno;
	}
}

static void close_on_loop(void *opaque)
{
	(void)opaque;
	if (disk)
		scsi_disk_free(disk);
	disk = NULL;
	blk_close(blk);
	blk = NULL;
}

static void disk_close(void)
{
	loop_call(loop, close_on_loop, NULL);
}

static int disk_open(bool ro, enum blk_cache cache, const struct scsi_disk_config *cfg)
{
	struct open_req o = { .ro = ro, .cache = cache, .cfg = cfg };

	disk_close();
	loop_call(loop, open_on_loop, &o);
	return o.r;
}

static void disk_open_ok(bool ro, const struct scsi_disk_config *cfg)
{
	ck_assert_int_eq(disk_open(ro, BLK_CACHE_WRITEBACK, cfg), 0);
}

static void setup_in(const char *dir)
{
	/*
	 * The file is unlinked at once and opened again through /proc, so that a failed
	 * check (which skips the teardown) leaves nothing behind.
	 */
	snprintf(path, sizeof(path), "%s/hvkvm-scsi-XXXXXX", dir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ck_assert_int_eq(ftruncate(fd, DISK_BYTES), 0);
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	loop_thread = (struct test_loop){ .loop = loop };
	test_loop_start(&loop_thread);
	disk_open_ok(false, &default_cfg);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	setup_in(tmp && *tmp ? tmp : "/tmp");
}

/* A file in memory (tmpfs): the back end serves it inline, without I/O threads. */
static void setup_shm(void)
{
	setup_in("/dev/shm");
}

static void teardown(void)
{
	disk_close();
	test_loop_stop(&loop_thread);
	loop_free(loop);
	close(fd);
}

/* ---- running commands ------------------------------------------------------------ */

struct run {
	struct scsi_cmd cmd;
	atomic_int calls;
	bool sync;		/* done ran before execute returned */
};

static void run_done(struct scsi_cmd *cmd)
{
	struct run *r = cmd->opaque;

	atomic_fetch_add(&r->calls, 1);
}

static void run_on_loop(void *opaque)
{
	struct run *r = opaque;

	scsi_disk_execute(disk, &r->cmd);
	r->sync = atomic_load(&r->calls) > 0;
}

static void run_prepare(struct run *r, const uint8_t *cdb, unsigned len, bool in, const struct iovec *iov,
			unsigned cnt)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->cmd.cdb, cdb, len);
	r->cmd.cdb_len = (uint8_t)len;
	r->cmd.data_in = in;
	r->cmd.iov = iov;
	r->cmd.iovcnt = cnt;
	for (unsigned i = 0; i < cnt; i++)
		r->cmd.data_len += (uint32_t)iov[i].iov_len;
	r->cmd.done = run_done;
	r->cmd.opaque = r;
	/* Garbage the model has to overwrite. */
	r->cmd.status = 0xee;
	r->cmd.sense_len = 0xee;
	r->cmd.transferred = 0xdeadbeef;
}

static void inflight_on_loop(void *opaque)
{
	*(unsigned *)opaque = scsi_disk_inflight(disk);
}

static unsigned disk_inflight(void)
{
	unsigned n = 0;

	loop_call(loop, inflight_on_loop, &n);
	return n;
}

static void run_wait(struct run *r)
{
	ck_assert_msg(WAIT_UNTIL(atomic_load(&r->calls) > 0, WAIT_MS), "command 0x%02x never completed",
		      r->cmd.cdb[0]);
	/* A second done would be queued on the loop already: let it run, then count. */
	disk_inflight();
	ck_assert_int_eq(atomic_load(&r->calls), 1);
}

static uint8_t exec_iov(struct run *r, const uint8_t *cdb, unsigned len, bool in, const struct iovec *iov,
			unsigned cnt)
{
	run_prepare(r, cdb, len, in, iov, cnt);
	loop_call(loop, run_on_loop, r);
	run_wait(r);
	ck_assert_uint_eq(disk_inflight(), 0);
	return r->cmd.status;
}

static uint8_t exec(struct run *r, const uint8_t *cdb, unsigned len, bool in, void *buf, uint32_t buflen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = buflen };

	return exec_iov(r, cdb, len, in, &iov, buf ? 1 : 0);
}

/* A CDB as two arguments: its bytes and its length. */
#define CDB(...) (const uint8_t[]){ __VA_ARGS__ }, (unsigned)sizeof((const uint8_t[]){ __VA_ARGS__ })

#define ck_good(r, n) do {							\
	ck_assert_uint_eq((r)->cmd.status, SCSI_STATUS_GOOD);			\
	ck_assert_uint_eq((r)->cmd.sense_len, 0);				\
	ck_assert_uint_eq((r)->cmd.transferred, (n));				\
} while (0)

#define ck_sense(r, key, asc) do {						\
	ck_assert_uint_eq((r)->cmd.status, SCSI_STATUS_CHECK_CONDITION);	\
	ck_assert_uint_eq((r)->cmd.sense_len, 18);				\
	ck_assert_uint_eq((r)->cmd.sense[0], 0x70);				\
	ck_assert_uint_eq((r)->cmd.sense[2], (key));				\
	ck_assert_uint_eq((r)->cmd.sense[7], 10);				\
	ck_assert_uint_eq((r)->cmd.sense[12], (asc) >> 8);			\
	ck_assert_uint_eq((r)->cmd.sense[13], (asc) & 0xff);			\
	ck_assert_uint_eq((r)->cmd.transferred, 0);				\
} while (0)

#define ck_illegal(r, asc) ck_sense(r, SCSI_SENSE_ILLEGAL_REQUEST, asc)

#define ck_bytes(got, want, n) do {						\
	for (size_t _i = 0; _i < (size_t)(n); _i++)				\
		ck_assert_msg(((const uint8_t *)(got))[_i] == ((const uint8_t *)(want))[_i], \
			      "byte %zu: got 0x%02x, want 0x%02x", _i,		\
			      ((const uint8_t *)(got))[_i], ((const uint8_t *)(want))[_i]); \
} while (0)

/* READ/WRITE/VERIFY/SYNCHRONIZE CACHE/WRITE SAME CDBs by opcode group. */
static unsigned cdb_lba(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags)
{
	memset(c, 0, 16);
	c[0] = op;
	switch (op >> 5) {
	case 0:
		c[1] = (uint8_t)((lba >> 16) & 0x1f);
		c[2] = (uint8_t)(lba >> 8);
		c[3] = (uint8_t)lba;
		c[4] = (uint8_t)n;
		return 6;
	case 1:
	case 2:
		c[1] = flags;
		scsi_put_be32(c + 2, (uint32_t)lba);
		scsi_put_be16(c + 7, (uint16_t)n);
		return 10;
	case 5:
		c[1] = flags;
		scsi_put_be32(c + 2, (uint32_t)lba);
		scsi_put_be32(c + 6, n);
		return 12;
	default:
		c[1] = flags;
		scsi_put_be64(c + 2, lba);
		scsi_put_be32(c + 10, n);
		return 16;
	}
}

static uint8_t io(struct run *r, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags, bool in, void *buf,
		  uint32_t len)
{
	uint8_t c[16];
	unsigned cl = cdb_lba(c, op, lba, n, flags);

	return exec(r, c, cl, in, buf, len);
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9) + 1);
}

static void file_read(uint64_t off, void *buf, size_t len)
{
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
}

static void file_write(uint64_t off, const void *buf, size_t len)
{
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
}

static bool is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static long long file_alloc_blocks(void)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return (long long)st.st_blocks;
}

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

static const uint8_t inquiry_std[96] = {
	0x00, 0x00, 0x06, 0x02, 0x5b, 0x00, 0x00, 0x02,
	'M', 's', 'f', 't', ' ', ' ', ' ', ' ',
	'V', 'i', 'r', 't', 'u', 'a', 'l', ' ', 'D', 'i', 's', 'k', ' ', ' ', ' ', ' ',
	'1', '.', '0', ' ',
	[58] = 0x00, 0xa0, 0x04, 0x60, 0x04, 0xc0,
};

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
	ck_assert_uint_eq(scsi_get_be64(buf + 36), 0x200000);
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
	ck_assert_uint_eq(scsi_get_be32(buf), 0xffffffff);
	exec(&r, CDB(SCSI_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), true, buf, 32);
	ck_good(&r, 32);
	ck_assert_uint_eq(scsi_get_be64(buf), blocks - 1);
	/* Short block descriptor saturates, the long one does not. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0, 0x08, 0, 64, 0), true, buf, 64);
	ck_good(&r, 32);
	ck_assert_uint_eq(scsi_get_be32(buf + 4), 0xffffffff);
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x10, 0x08, 0, 0, 0, 0, 0, 64, 0), true, buf, 64);
	ck_good(&r, 44);
	ck_assert_uint_eq(scsi_get_be64(buf + 8), blocks);

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

/* ---- reads and writes ------------------------------------------------------------ */

START_TEST(test_read_write_roundtrip)
{
	static const uint8_t reads[] = { SCSI_READ_6, SCSI_READ_10, SCSI_READ_12, SCSI_READ_16 };
	static const uint8_t writes[] = { SCSI_WRITE_6, SCSI_WRITE_10, SCSI_WRITE_12, SCSI_WRITE_16 };
	uint8_t *data = malloc(64 * BS), *back = malloc(64 * BS);
	struct run r;

	for (unsigned w = 0; w < 4; w++) {
		uint64_t lba = 100 + 200 * w;

		fill(data, 16 * BS, w);
		io(&r, writes[w], lba, 16, 0, false, data, 16 * BS);
		ck_good(&r, 16 * BS);
		ck_assert(!r.sync);		/* it went to the back end */
		memset(back, 0, 16 * BS);
		file_read(lba * BS, back, 16 * BS);
		ck_bytes(back, data, 16 * BS);
		for (unsigned i = 0; i < 4; i++) {
			memset(back, 0, 16 * BS);
			io(&r, reads[i], lba, 16, 0, true, back, 16 * BS);
			ck_good(&r, 16 * BS);
			ck_bytes(back, data, 16 * BS);
		}
	}
	/* Written behind the model's back, read through it. */
	fill(data, 8 * BS, 77);
	file_write(5000 * BS, data, 8 * BS);
	io(&r, SCSI_READ_16, 5000, 8, 0, true, back, 8 * BS);
	ck_good(&r, 8 * BS);
	ck_bytes(back, data, 8 * BS);
	/* A larger buffer than the transfer: only the transfer moves. */
	memset(back, 0xaa, 64 * BS);
	io(&r, SCSI_READ_10, 5000, 8, 0, true, back, 64 * BS);
	ck_good(&r, 8 * BS);
	ck_bytes(back, data, 8 * BS);
	ck_assert_uint_eq(back[8 * BS], 0xaa);
	/* The last block of the disk. */
	io(&r, SCSI_WRITE_10, DISK_BLOCKS - 1, 1, 0, false, data, BS);
	ck_good(&r, BS);
	free(data);
	free(back);
}
END_TEST

START_TEST(test_read_write_lengths)
{
	uint8_t *buf = calloc(1, 256 * BS), *want = malloc(256 * BS);
	struct run r;

	/* A 6-byte transfer length of 0 is 256 blocks. */
	fill(want, 256 * BS, 3);
	io(&r, SCSI_WRITE_6, 0x1000, 0, 0, false, want, 256 * BS);
	ck_good(&r, 256 * BS);
	io(&r, SCSI_READ_6, 0x1000, 0, 0, true, buf, 256 * BS);
	ck_good(&r, 256 * BS);
	ck_bytes(buf, want, 256 * BS);
	io(&r, SCSI_READ_6, 0x1000, 0, 0, true, buf, 255 * BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* In 10/12/16 it is nothing, and nothing is not an error... */
	io(&r, SCSI_READ_10, 7, 0, 0, true, buf, BS);
	ck_good(&r, 0);
	ck_assert(r.sync);
	io(&r, SCSI_WRITE_12, 7, 0, 0, false, buf, BS);
	ck_good(&r, 0);
	io(&r, SCSI_WRITE_16, 7, 0, 0, false, NULL, 0);
	ck_good(&r, 0);
	/* ...but the LBA must exist. */
	io(&r, SCSI_READ_16, DISK_BLOCKS, 0, 0, true, buf, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	free(buf);
	free(want);
}
END_TEST

START_TEST(test_read_write_bad_cdbs)
{
	uint8_t *buf = calloc(1, 2 * MAX_XFER), *orig = malloc(DISK_BYTES), *now = malloc(DISK_BYTES);
	struct run r;

	fill(orig, DISK_BYTES, 5);
	file_write(0, orig, DISK_BYTES);

	/* Out of range: past the end, straddling it, wrapping 64 bits, 6-byte LBA. */
	io(&r, SCSI_READ_10, DISK_BLOCKS, 1, 0, true, buf, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_WRITE_10, DISK_BLOCKS - 1, 2, 0, false, buf, 2 * BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_READ_16, ~0ULL, 2, 0, true, buf, 2 * BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_WRITE_16, ~0ULL - 1, 4, 0, false, buf, 4 * BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_WRITE_12, 0xfffffff0U, 0x20, 0, false, buf, 0x20 * BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_READ_6, 0x1fffff, 1, 0, true, buf, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);

	/* Transfer lengths beyond the buffer, beyond max_transfer, absurd. */
	io(&r, SCSI_READ_10, 0, 4, 0, true, buf, 4 * BS - 1);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_10, 0, 4, 0, false, buf, 3 * BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_READ_10, 0, MAX_XFER / BS + 1, 0, true, buf, 2 * MAX_XFER);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_16, 0, 0xffffffff, 0, false, buf, 2 * MAX_XFER);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_READ_12, 0, 0xffffffff, 0, true, buf, 2 * MAX_XFER);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Exactly max_transfer is fine. */
	io(&r, SCSI_READ_10, 0, MAX_XFER / BS, 0, true, buf, 2 * MAX_XFER);
	ck_good(&r, MAX_XFER);

	/* The buffer points the wrong way: a read has nowhere to go, a write nothing to take. */
	io(&r, SCSI_READ_10, 0, 1, 0, false, buf, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_10, 0, 1, 0, true, buf, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);

	/* Protection information, reserved bits of the 6-byte CDBs (the old LUN). */
	io(&r, SCSI_READ_10, 0, 1, 0x20, true, buf, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_16, 0, 1, 0xe0, false, buf, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_READ_6, 0x20, 0, 0, 1, 0), true, buf, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* DPO and RARC are accepted. */
	io(&r, SCSI_READ_10, 0, 1, 0x14, true, buf, BS);
	ck_good(&r, BS);

	/* Nothing of the refused writes reached the file. */
	file_read(0, now, DISK_BYTES);
	ck_assert(memcmp(now, orig, DISK_BYTES) == 0);
	free(buf);
	free(orig);
	free(now);
}
END_TEST

START_TEST(test_scattered_buffers)
{
	uint8_t a[100], b[900], c[1200], want[4 * BS], back[4 * BS];
	struct iovec w[] = { { a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) }, { c, sizeof(c) } };
	struct iovec rv[] = { { back, 1 }, { back + 1, 1000 }, { back + 1001, 4 * BS - 1001 } };
	struct run r;
	uint8_t cdb[16];
	unsigned cl;

	/* 4 blocks from 2200 bytes of buffer: the last piece is trimmed. */
	fill(want, sizeof(want), 11);
	memcpy(a, want, 100);
	memcpy(b, want + 100, 900);
	memcpy(c, want + 1000, 4 * BS - 1000);
	cl = cdb_lba(cdb, SCSI_WRITE_10, 40, 4, 0);
	exec_iov(&r, cdb, cl, false, w, 4);
	ck_good(&r, 4 * BS);
	memset(back, 0, sizeof(back));
	file_read(40 * BS, back, sizeof(back));
	ck_bytes(back, want, sizeof(back));
	memset(back, 0, sizeof(back));
	cl = cdb_lba(cdb, SCSI_READ_16, 40, 4, 0);
	exec_iov(&r, cdb, cl, true, rv, 3);
	ck_good(&r, 4 * BS);
	ck_bytes(back, want, sizeof(back));
	/* data_len shorter than the vectors: it rules. */
	run_prepare(&r, cdb, cl, true, rv, 3);
	r.cmd.data_len = 4 * BS - 1;
	loop_call(loop, run_on_loop, &r);
	run_wait(&r);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_many_iovecs)
{
	/* More pieces than one back-end request takes: bounced, still correct. */
	enum { N = 1100 };
	struct iovec *iov = calloc(N, sizeof(*iov));
	uint8_t *data = malloc(N * BS), *back = malloc(N * BS);
	uint8_t cdb[16];
	struct run r;
	unsigned cl;
	struct scsi_disk_config cfg = default_cfg;

	cfg.max_transfer = 0;
	disk_open_ok(false, &cfg);
	fill(data, N * BS, 21);
	for (unsigned i = 0; i < N; i++)
		iov[i] = (struct iovec){ data + (size_t)i * BS, BS };
	cl = cdb_lba(cdb, SCSI_WRITE_16, 3000, N, 0);
	exec_iov(&r, cdb, cl, false, iov, N);
	ck_good(&r, N * BS);
	ck_assert_ptr_eq(r.cmd.blk.iov, &r.cmd.bounce_iov);
	file_read(3000 * BS, back, N * BS);
	ck_assert(memcmp(back, data, N * BS) == 0);
	memset(back, 0, N * BS);
	for (unsigned i = 0; i < N; i++)
		iov[i] = (struct iovec){ back + (size_t)i * BS, BS };
	cl = cdb_lba(cdb, SCSI_READ_16, 3000, N, 0);
	exec_iov(&r, cdb, cl, true, iov, N);
	ck_good(&r, N * BS);
	ck_assert(memcmp(back, data, N * BS) == 0);
	free(iov);
	free(data);
	free(back);
}
END_TEST

struct batch {
	struct run runs[64];
	uint8_t *buf;
	unsigned inflight;
};

static void batch_on_loop(void *opaque)
{
	struct batch *b = opaque;

	for (unsigned i = 0; i < 64; i++)
		scsi_disk_execute(disk, &b->runs[i].cmd);
	b->inflight = scsi_disk_inflight(disk);
}

START_TEST(test_many_in_flight)
{
	struct batch *b = calloc(1, sizeof(*b));
	uint8_t *want = malloc(64 * 8 * BS), *back = malloc(64 * 8 * BS);
	struct iovec iov[64];

	b->buf = malloc(64 * 8 * BS);
	fill(want, 64 * 8 * BS, 31);
	memcpy(b->buf, want, 64 * 8 * BS);
	for (unsigned i = 0; i < 64; i++) {
		uint8_t cdb[16];
		unsigned cl = cdb_lba(cdb, SCSI_WRITE_10, 8 * i, 8, 0);

		iov[i] = (struct iovec){ b->buf + i * 8 * BS, 8 * BS };
		run_prepare(&b->runs[i], cdb, cl, false, &iov[i], 1);
	}
	loop_call(loop, batch_on_loop, b);
	ck_assert_uint_eq(b->inflight, 64);
	for (unsigned i = 0; i < 64; i++) {
		run_wait(&b->runs[i]);
		ck_good(&b->runs[i], 8 * BS);
	}
	ck_assert_uint_eq(disk_inflight(), 0);
	file_read(0, back, 64 * 8 * BS);
	ck_assert(memcmp(back, want, 64 * 8 * BS) == 0);
	free(b->buf);
	free(b);
	free(want);
	free(back);
}
END_TEST

/* ---- FUA, caches, flushes -------------------------------------------------------- */

START_TEST(test_fua_and_synchronize_cache)
{
	uint8_t data[8 * BS], back[8 * BS];
	struct run r;

	fill(data, sizeof(data), 41);
	io(&r, SCSI_WRITE_10, 64, 8, 0x08, false, data, sizeof(data));		/* FUA */
	ck_good(&r, sizeof(data));
	ck_assert(!r.sync);
	ck_assert(r.cmd.blk.fua);
	file_read(64 * BS, back, sizeof(back));
	ck_bytes(back, data, sizeof(data));
	io(&r, SCSI_WRITE_12, 64, 8, 0x08, false, data, sizeof(data));
	ck_assert(r.cmd.blk.fua);
	io(&r, SCSI_WRITE_16, 64, 8, 0x18, false, data, sizeof(data));		/* DPO FUA */
	ck_good(&r, sizeof(data));
	ck_assert(r.cmd.blk.fua);
	/* Write-back cache on: plain writes are not forced. */
	io(&r, SCSI_WRITE_10, 64, 8, 0, false, data, sizeof(data));
	ck_assert(!r.cmd.blk.fua);
	io(&r, SCSI_WRITE_6, 64, 8, 0, false, data, sizeof(data));
	ck_assert(!r.cmd.blk.fua);

	/* SYNCHRONIZE CACHE goes through the back end's flush before GOOD. */
	io(&r, SCSI_SYNCHRONIZE_CACHE_10, 0, 0, 0, false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(!r.sync);
	ck_assert_uint_eq(r.cmd.blk.op, BLK_FLUSH);
	io(&r, SCSI_SYNCHRONIZE_CACHE_16, 64, 8, 0x02, false, NULL, 0);	/* IMMED still waits */
	ck_good(&r, 0);
	ck_assert(!r.sync);
	ck_assert_uint_eq(r.cmd.blk.op, BLK_FLUSH);
	io(&r, SCSI_SYNCHRONIZE_CACHE_10, DISK_BLOCKS, 0, 0, false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_SYNCHRONIZE_CACHE_16, DISK_BLOCKS - 1, 2, 0, false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_SYNCHRONIZE_CACHE_16, 1, ~0U, 0, false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_SYNCHRONIZE_CACHE_10, 0, 0, 0x80, false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(test_write_through)
{
	struct scsi_disk_config cfg = default_cfg;
	uint8_t data[BS], buf[64];
	struct run r;

	/* cache=writethrough: WCE 0, and every write is forced. */
	cfg.write_cache = false;
	disk_open_ok(false, &cfg);
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0x08, 0x08, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 24);
	ck_assert_uint_eq(buf[4 + 2], 0x00);
	fill(data, BS, 1);
	io(&r, SCSI_WRITE_10, 1, 1, 0, false, data, BS);
	ck_good(&r, BS);
	ck_assert(r.cmd.blk.fua);
	io(&r, SCSI_WRITE_6, 1, 1, 0, false, data, BS);
	ck_assert(r.cmd.blk.fua);
	/* Default values show the configured WCE too. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0x08, 0x88, 0, 64, 0), true, buf, sizeof(buf));
	ck_good(&r, 24);
	ck_assert_uint_eq(buf[4 + 2], 0x00);
}
END_TEST

/* ---- WRITE SAME and UNMAP -------------------------------------------------------- */

static void write_pattern(uint64_t lba, uint32_t blocks, unsigned seed)
{
	uint8_t *p = malloc((size_t)blocks * BS);

	fill(p, (size_t)blocks * BS, seed);
	file_write(lba * BS, p, (size_t)blocks * BS);
	ck_assert_int_eq(fsync(fd), 0);
	free(p);
}

static bool file_range_is(uint64_t lba, uint32_t blocks, const uint8_t *block)
{
	uint8_t *p = malloc((size_t)blocks * BS);
	bool ok = true;

	file_read(lba * BS, p, (size_t)blocks * BS);
	for (uint32_t i = 0; i < blocks && ok; i++)
		ok = block ? memcmp(p + (size_t)i * BS, block, BS) == 0 : is_zero(p + (size_t)i * BS, BS);
	free(p);
	return ok;
}

START_TEST(test_write_same_pattern)
{
	uint8_t block[BS], big[2 * BS];
	struct run r;

	/* 3000 blocks: more than one chunk of writes. */
	fill(block, BS, 51);
	io(&r, SCSI_WRITE_SAME_16, 1000, 3000, 0, false, block, BS);
	ck_good(&r, BS);
	ck_assert(!r.sync);
	ck_assert(file_range_is(1000, 3000, block));
	ck_assert(file_range_is(999, 1, NULL));
	ck_assert(file_range_is(4000, 1, NULL));
	/* WRITE SAME (10), a buffer larger than a block: the first block counts. */
	fill(big, sizeof(big), 52);
	io(&r, SCSI_WRITE_SAME_10, 9000, 10, 0, false, big, sizeof(big));
	ck_good(&r, BS);
	ck_assert(file_range_is(9000, 10, big));
	/* UNMAP with data that is not zeroes: the data wins. */
	io(&r, SCSI_WRITE_SAME_16, 9000, 10, 0x08, false, block, BS);
	ck_good(&r, BS);
	ck_assert(file_range_is(9000, 10, block));
	/* The last blocks. */
	io(&r, SCSI_WRITE_SAME_16, DISK_BLOCKS - 3, 3, 0, false, block, BS);
	ck_good(&r, BS);
	ck_assert(file_range_is(DISK_BLOCKS - 3, 3, block));
}
END_TEST

START_TEST(test_write_same_zero_and_unmap)
{
	uint8_t zero[BS] = { 0 };
	long long before, after;
	struct run r;

	/* Zeroes without UNMAP: zeroed, still allocated. */
	write_pattern(0, 4096, 61);
	before = file_alloc_blocks();
	io(&r, SCSI_WRITE_SAME_10, 0, 2048, 0, false, zero, BS);
	ck_good(&r, BS);
	ck_assert(file_range_is(0, 2048, NULL));
	ck_assert(!file_range_is(2048, 1, NULL));
	after = file_alloc_blocks();
	ck_assert_int_ge(after, before - 8);

	/* Zeroes with UNMAP: the file system gets the blocks back. */
	before = after;
	io(&r, SCSI_WRITE_SAME_16, 2048, 2048, 0x08, false, zero, BS);
	ck_good(&r, BS);
	ck_assert_uint_eq(r.cmd.blk.op, BLK_DISCARD);
	ck_assert(file_range_is(2048, 2048, NULL));
	after = file_alloc_blocks();
	ck_assert_int_le(after, before - 2048);

	/* NDOB: no data-out buffer at all. */
	write_pattern(6000, 256, 62);
	io(&r, SCSI_WRITE_SAME_16, 6000, 256, 0x09, false, NULL, 0);
	ck_good(&r, 0);
	ck_assert(file_range_is(6000, 256, NULL));
	write_pattern(6000, 256, 63);
	io(&r, SCSI_WRITE_SAME_16, 6000, 256, 0x01, false, NULL, 0);
	ck_good(&r, 0);
	/* Written as zeroes where the file system cannot zero a range (tmpfs). */
	ck_assert(r.cmd.blk.op == BLK_WRITE_ZEROES || r.cmd.blk.op == BLK_WRITE);
	ck_assert(file_range_is(6000, 256, NULL));
}
END_TEST

START_TEST(test_write_same_bad)
{
	uint8_t block[BS];
	struct run r;

	fill(block, BS, 71);
	write_pattern(0, 64, 72);
	/* WSNZ: no count; beyond the maximum write same length; out of range. */
	io(&r, SCSI_WRITE_SAME_16, 0, 0, 0, false, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_16, 0, 0x200001, 0, false, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_16, DISK_BLOCKS - 1, 2, 0, false, block, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_WRITE_SAME_16, ~0ULL, 2, 0x08, false, block, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	io(&r, SCSI_WRITE_SAME_10, DISK_BLOCKS, 1, 0, false, block, BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* No block to repeat: a short buffer, a data-in buffer. */
	io(&r, SCSI_WRITE_SAME_10, 0, 4, 0, false, block, BS - 1);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_10, 0, 4, 0, true, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* WRPROTECT, ANCHOR, PBDATA, LBDATA; NDOB does not exist in (10). */
	io(&r, SCSI_WRITE_SAME_16, 0, 4, 0x20, false, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_16, 0, 4, 0x18, false, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_10, 0, 4, 0x04, false, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_10, 0, 4, 0x02, false, block, BS);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	io(&r, SCSI_WRITE_SAME_10, 0, 4, 0x01, false, NULL, 0);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	ck_assert(!file_range_is(0, 1, NULL));
	ck_assert(!file_range_is(0, 1, block));
}
END_TEST

static unsigned unmap_list(uint8_t *p, const uint64_t *lba, const uint32_t *n, unsigned cnt)
{
	memset(p, 0, 8 + 16 * cnt);
	scsi_put_be16(p, (uint16_t)(6 + 16 * cnt));
	scsi_put_be16(p + 2, (uint16_t)(16 * cnt));
	for (unsigned i = 0; i < cnt; i++) {
		scsi_put_be64(p + 8 + 16 * i, lba[i]);
		scsi_put_be32(p + 16 + 16 * i, n[i]);
	}
	return 8 + 16 * cnt;
}

static uint8_t unmap(struct run *r, void *list, unsigned plen, uint32_t buflen)
{
	return exec(r, CDB(SCSI_UNMAP, 0, 0, 0, 0, 0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 0), false, list,
		    buflen);
}

START_TEST(test_unmap)
{
	uint8_t list[8 + 16 * 4];
	long long before, after;
	struct run r;
	unsigned plen;

	/* What Linux sends: one descriptor, 24 bytes. */
	write_pattern(0, 4096, 81);
	before = file_alloc_blocks();
	plen = unmap_list(list, (const uint64_t[]){ 0 }, (const uint32_t[]){ 2048 }, 1);
	ck_assert_uint_eq(plen, 24);
	unmap(&r, list, plen, plen);
	ck_good(&r, 24);
	ck_assert(!r.sync);
	ck_assert(file_range_is(0, 2048, NULL));
	ck_assert(!file_range_is(2048, 1, NULL));
	after = file_alloc_blocks();
	ck_assert_int_le(after, before - 2048);

	/* Several, one empty, all done before GOOD. */
	write_pattern(0, 4096, 82);
	plen = unmap_list(list, (const uint64_t[]){ 100, 500, DISK_BLOCKS, 3000 },
			  (const uint32_t[]){ 50, 8, 0, 1096 }, 4);
	unmap(&r, list, plen, sizeof(list));
	ck_good(&r, plen);
	ck_assert(file_range_is(100, 50, NULL));
	ck_assert(file_range_is(500, 8, NULL));
	ck_assert(file_range_is(3000, 1096, NULL));
	ck_assert(!file_range_is(99, 1, NULL));
	ck_assert(!file_range_is(150, 1, NULL));
	ck_assert(!file_range_is(2999, 1, NULL));
	/* The whole disk at once. */
	plen = unmap_list(list, (const uint64_t[]){ 0 }, (const uint32_t[]){ DISK_BLOCKS }, 1);
	unmap(&r, list, plen, plen);
	ck_good(&r, plen);
	ck_assert(file_range_is(0, DISK_BLOCKS, NULL));
	/* A list with no descriptors, and no list at all. */
	plen = unmap_list(list, NULL, NULL, 0);
	unmap(&r, list, plen, plen);
	ck_good(&r, 8);
	unmap(&r, NULL, 0, 0);
	ck_good(&r, 0);
}
END_TEST

START_TEST(test_unmap_bad)
{
	uint8_t *list = calloc(1, 8 + 16 * 300);
	struct run r;
	unsigned plen;

	write_pattern(0, 64, 91);
	/* Parameter list shorter than its header, longer than the buffer. */
	plen = unmap_list(list, (const uint64_t[]){ 0 }, (const uint32_t[]){ 8 }, 1);
	unmap(&r, list, 7, 24);
	ck_illegal(&r, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	unmap(&r, list, plen, plen - 1);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Descriptor length beyond the list. */
	scsi_put_be16(list + 2, 32);
	unmap(&r, list, plen, plen);
	ck_illegal(&r, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* An LBA out of range in the second descriptor: the first is not done either. */
	plen = unmap_list(list, (const uint64_t[]){ 0, DISK_BLOCKS - 4 }, (const uint32_t[]){ 8, 5 }, 2);
	unmap(&r, list, plen, plen);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	plen = unmap_list(list, (const uint64_t[]){ 0, ~0ULL }, (const uint32_t[]){ 8, 2 }, 2);
	unmap(&r, list, plen, plen);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	ck_assert(!file_range_is(0, 1, NULL));
	/* More blocks than the maximum unmap LBA count, more descriptors than allowed. */
	plen = unmap_list(list, (const uint64_t[]){ 0, 0 }, (const uint32_t[]){ 0x200000, 1 }, 2);
	disk_close();
	ck_assert_int_eq(ftruncate(fd, 2ULL << 30), 0);
	disk_open_ok(false, &default_cfg);
	unmap(&r, list, plen, plen);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	{
		uint64_t lbas[257] = { 0 };
		uint32_t ns[257] = { 0 };

		plen = unmap_list(list, lbas, ns, 257);
		unmap(&r, list, plen, plen);
		ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
		plen = unmap_list(list, lbas, ns, 256);
		unmap(&r, list, plen, plen);
		ck_good(&r, plen);
	}
	/* ANCHOR, reserved bits. */
	plen = unmap_list(list, (const uint64_t[]){ 0 }, (const uint32_t[]){ 8 }, 1);
	exec(&r, CDB(SCSI_UNMAP, 0x01, 0, 0, 0, 0, 0, 0, 24, 0), false, list, plen);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	exec(&r, CDB(SCSI_UNMAP, 0x80, 0, 0, 0, 0, 0, 0, 24, 0), false, list, plen);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_CDB);
	ck_assert(!file_range_is(0, 1, NULL));
	free(list);
}
END_TEST

/* ---- a file in memory ------------------------------------------------------------ */

START_TEST(test_mem_inline)
{
	uint8_t *data = malloc(16 * BS), *back = malloc(16 * BS);
	struct run r;

	fill(data, 16 * BS, 91);
	io(&r, SCSI_WRITE_10, 300, 16, 0, false, data, 16 * BS);
	ck_good(&r, 16 * BS);
	ck_assert(r.sync);		/* done before execute returned */
	file_read(300 * BS, back, 16 * BS);
	ck_bytes(back, data, 16 * BS);
	memset(back, 0, 16 * BS);
	io(&r, SCSI_READ_16, 300, 16, 0, true, back, 16 * BS);
	ck_good(&r, 16 * BS);
	ck_assert(r.sync);
	ck_bytes(back, data, 16 * BS);
	/* A flush, and a write past the end still fails cleanly. */
	exec(&r, CDB(SCSI_SYNCHRONIZE_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0), false, NULL, 0);
	ck_good(&r, 0);
	io(&r, SCSI_WRITE_10, DISK_BLOCKS - 1, 2, 0, false, data, 2 * BS);
	ck_illegal(&r, SCSI_ASC_LBA_OUT_OF_RANGE);
	free(data);
	free(back);
}
END_TEST

/* Requests chained from completions (WRITE SAME in chunks, UNMAP lists) run one after
 * the other without recursing, and all land. */
START_TEST(test_mem_chains)
{
	uint8_t block[BS], list[8 + 16 * 2];
	unsigned plen;
	struct run r;

	fill(block, BS, 92);
	io(&r, SCSI_WRITE_SAME_16, 1000, 3000, 0, false, block, BS);
	ck_good(&r, BS);
	ck_assert(r.sync);
	ck_assert(file_range_is(1000, 3000, block));
	ck_assert(file_range_is(999, 1, NULL));
	ck_assert(file_range_is(4000, 1, NULL));
	plen = unmap_list(list, (const uint64_t[]){ 1000, 3000 }, (const uint32_t[]){ 100, 1000 }, 2);
	unmap(&r, list, plen, plen);
	ck_good(&r, plen);
	ck_assert(file_range_is(1000, 100, NULL));
	ck_assert(file_range_is(1100, 1900, block));
	ck_assert(file_range_is(3000, 1000, NULL));
}
END_TEST

START_TEST(test_mem_many)
{
	struct batch *b = calloc(1, sizeof(*b));
	uint8_t *want = malloc(64 * 8 * BS), *back = malloc(64 * 8 * BS);
	struct iovec iov[64];

	b->buf = malloc(64 * 8 * BS);
	fill(want, 64 * 8 * BS, 93);
	memcpy(b->buf, want, 64 * 8 * BS);
	for (unsigned i = 0; i < 64; i++) {
		uint8_t cdb[16];
		unsigned cl = cdb_lba(cdb, SCSI_WRITE_10, 8 * i, 8, 0);

		iov[i] = (struct iovec){ b->buf + i * 8 * BS, 8 * BS };
		run_prepare(&b->runs[i], cdb, cl, false, &iov[i], 1);
	}
	loop_call(loop, batch_on_loop, b);
	ck_assert_uint_eq(b->inflight, 0);	/* every one done inside execute */
	for (unsigned i = 0; i < 64; i++) {
		run_wait(&b->runs[i]);
		ck_good(&b->runs[i], 8 * BS);
	}
	file_read(0, back, 64 * 8 * BS);
	ck_assert(memcmp(back, want, 64 * 8 * BS) == 0);
	free(b->buf);
	free(b);
	free(want);
	free(back);
}
END_TEST

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
	ck_assert_uint_eq(scsi_get_be16(buf), 26);
	ck_assert_uint_eq(buf[4], 0);
	ck_assert_uint_eq(scsi_get_be16(buf + 6), 8);
	ck_bytes(buf + 8, ms6_all + 4, 8);
	ck_bytes(buf + 16, ms6_all + 32, 12);
	/* Changeable values, no block descriptors: only WCE. */
	exec(&r, CDB(SCSI_MODE_SENSE_6, 0x08, 0x7f, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 36);
	ck_bytes(buf, ms6_changeable_dbd, 36);
	/* Defaults, DBD in (10). */
	exec(&r, CDB(SCSI_MODE_SENSE_10, 0x08, 0x88, 0, 0, 0, 0, 0, 255, 0), true, buf, sizeof(buf));
	ck_good(&r, 28);
	ck_assert_uint_eq(scsi_get_be16(buf + 6), 0);
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
	scsi_put_be32(list + 8, DISK_BLOCKS);
	scsi_put_be32(list + 12, BS);
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
	scsi_put_be32(list + 4, DISK_BLOCKS);
	scsi_put_be32(list + 8, 4096);
	BAD_MS6(12, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	scsi_put_be32(list + 8, BS);
	scsi_put_be32(list + 4, DISK_BLOCKS * 2);
	BAD_MS6(12, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	scsi_put_be32(list + 4, 0);			/* 0: no change */
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
	scsi_put_be64(list + 8, DISK_BLOCKS + 1);
	scsi_put_be32(list + 20, BS);
	exec(&r, CDB(SCSI_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, 24, 0), false, list, 24);
	ck_illegal(&r, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	scsi_put_be64(list + 8, DISK_BLOCKS);
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
	ck_assert_uint_eq(scsi_get_be32(buf), 0);
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
	Suite *s = suite_create("scsi_disk");
	TCase *tc = tcase_create("scsi_disk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_test_unit_ready);
	tcase_add_test(tc, test_open_fifo_refused);
	tcase_add_test(tc, test_unknown_opcodes);
	tcase_add_test(tc, test_inquiry_standard);
	tcase_add_test(tc, test_inquiry_vpd);
	tcase_add_test(tc, test_inquiry_vpd_readonly_defaults);
	tcase_add_test(tc, test_read_capacity);
	tcase_add_test(tc, test_large_disk);
	tcase_add_test(tc, test_read_write_roundtrip);
	tcase_add_test(tc, test_read_write_lengths);
	tcase_add_test(tc, test_read_write_bad_cdbs);
	tcase_add_test(tc, test_scattered_buffers);
	tcase_add_test(tc, test_many_iovecs);
	tcase_add_test(tc, test_many_in_flight);
	tcase_add_test(tc, test_fua_and_synchronize_cache);
	tcase_add_test(tc, test_write_through);
	tcase_add_test(tc, test_write_same_pattern);
	tcase_add_test(tc, test_write_same_zero_and_unmap);
	tcase_add_test(tc, test_write_same_bad);
	tcase_add_test(tc, test_unmap);
	tcase_add_test(tc, test_unmap_bad);
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

	tc = tcase_create("in_memory");
	tcase_add_checked_fixture(tc, setup_shm, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mem_inline);
	tcase_add_test(tc, test_mem_chains);
	tcase_add_test(tc, test_mem_many);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(scsi_disk_suite());
}
