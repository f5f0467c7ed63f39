/* SPDX-License-Identifier: MIT */
#include "scsi_disk_fixture.h"

/*
 * The SCSI disk model on a real block back end (a sparse temp file), driven the
 * way storvsp drives it: CDBs executed on the loop thread, completions waited for
 * from the test's thread. Answers are checked byte for byte, and what reaches the
 * file is checked with pread.
 */

/* ---- fixture: a loop thread, a temp file, a blk and a disk on it ----------------- */

struct loop *loop;
struct test_loop loop_thread;
char path[256];
int fd = -1;			/* the test's own view of the file */
struct blk *blk;
struct scsi_disk *disk;

const struct scsi_disk_config default_cfg = {
	.serial = "HVKVM-TEST-0001",
	.naa_id = 0x0123456789abcdefULL,
	.max_transfer = MAX_XFER,
	.write_cache = true,
};

void open_on_loop(void *opaque)
{
	struct open_req *o = opaque;

	o->r = blk_open(&blk, loop, path, o->ro, o->cache, o->err, sizeof(o->err));
	if (o->r == 0) {
		disk = scsi_disk_new(blk, o->cfg);
		if (!disk)
			o->r = -errno;
	}
}

void close_on_loop(void *opaque)
{
	(void)opaque;
	if (disk)
		scsi_disk_free(disk);
	disk = NULL;
	blk_close(blk);
	blk = NULL;
}

void disk_close(void)
{
	loop_call(loop, close_on_loop, NULL);
}

int disk_open(bool ro, enum blk_cache cache, const struct scsi_disk_config *cfg)
{
	struct open_req o = { .ro = ro, .cache = cache, .cfg = cfg };

	disk_close();
	loop_call(loop, open_on_loop, &o);
	return o.r;
}

void disk_open_ok(bool ro, const struct scsi_disk_config *cfg)
{
	ck_assert_int_eq(disk_open(ro, BLK_CACHE_WRITEBACK, cfg), 0);
}

void setup_in(const char *dir)
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

void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	setup_in(tmp && *tmp ? tmp : "/tmp");
}

/* A file in memory (tmpfs): the back end serves it inline, without I/O threads. */
void setup_shm(void)
{
	setup_in("/dev/shm");
}

void teardown(void)
{
	disk_close();
	test_loop_stop(&loop_thread);
	loop_free(loop);
	close(fd);
}

/* ---- running commands ------------------------------------------------------------ */

void run_done(struct scsi_cmd *cmd)
{
	struct run *r = cmd->opaque;

	atomic_fetch_add(&r->calls, 1);
}

void run_on_loop(void *opaque)
{
	struct run *r = opaque;

	scsi_disk_execute(disk, &r->cmd);
	r->sync = atomic_load(&r->calls) > 0;
}

void run_prepare(struct run *r, const uint8_t *cdb, unsigned len, bool in, const struct iovec *iov,
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

void inflight_on_loop(void *opaque)
{
	*(unsigned *)opaque = scsi_disk_inflight(disk);
}

unsigned disk_inflight(void)
{
	unsigned n = 0;

	loop_call(loop, inflight_on_loop, &n);
	return n;
}

void run_wait(struct run *r)
{
	ck_assert_msg(WAIT_UNTIL(atomic_load(&r->calls) > 0, WAIT_MS), "command 0x%02x never completed",
		      r->cmd.cdb[0]);
	/* A second done would be queued on the loop already: let it run, then count. */
	disk_inflight();
	ck_assert_int_eq(atomic_load(&r->calls), 1);
}

uint8_t exec_iov(struct run *r, const uint8_t *cdb, unsigned len, bool in, const struct iovec *iov,
			unsigned cnt)
{
	run_prepare(r, cdb, len, in, iov, cnt);
	loop_call(loop, run_on_loop, r);
	run_wait(r);
	ck_assert_uint_eq(disk_inflight(), 0);
	return r->cmd.status;
}

uint8_t exec(struct run *r, const uint8_t *cdb, unsigned len, bool in, void *buf, uint32_t buflen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = buflen };

	return exec_iov(r, cdb, len, in, &iov, buf ? 1 : 0);
}

/* A CDB as two arguments: its bytes and its length. */

/* READ/WRITE/VERIFY/SYNCHRONIZE CACHE/WRITE SAME CDBs by opcode group. */
unsigned cdb_lba(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags)
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
		put_be32(c + 2, (uint32_t)lba);
		put_be16(c + 7, (uint16_t)n);
		return 10;
	case 5:
		c[1] = flags;
		put_be32(c + 2, (uint32_t)lba);
		put_be32(c + 6, n);
		return 12;
	default:
		c[1] = flags;
		put_be64(c + 2, lba);
		put_be32(c + 10, n);
		return 16;
	}
}

uint8_t io(struct run *r, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags, bool in, void *buf,
		  uint32_t len)
{
	uint8_t c[16];
	unsigned cl = cdb_lba(c, op, lba, n, flags);

	return exec(r, c, cl, in, buf, len);
}

void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9) + 1);
}

void file_read(uint64_t off, void *buf, size_t len)
{
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
}

void file_write(uint64_t off, const void *buf, size_t len)
{
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
}

bool is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

long long file_alloc_blocks(void)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return (long long)st.st_blocks;
}

const uint8_t inquiry_std[96] = {
	0x00, 0x00, 0x06, 0x02, 0x5b, 0x00, 0x00, 0x02,
	'M', 's', 'f', 't', ' ', ' ', ' ', ' ',
	'V', 'i', 'r', 't', 'u', 'a', 'l', ' ', 'D', 'i', 's', 'k', ' ', ' ', ' ', ' ',
	'1', '.', '0', ' ',
	[58] = 0x00, 0xa0, 0x04, 0x60, 0x04, 0xc0,
};

void write_pattern(uint64_t lba, uint32_t blocks, unsigned seed)
{
	uint8_t *p = malloc((size_t)blocks * BS);

	fill(p, (size_t)blocks * BS, seed);
	file_write(lba * BS, p, (size_t)blocks * BS);
	ck_assert_int_eq(fsync(fd), 0);
	free(p);
}

bool file_range_is(uint64_t lba, uint32_t blocks, const uint8_t *block)
{
	uint8_t *p = malloc((size_t)blocks * BS);
	bool ok = true;

	file_read(lba * BS, p, (size_t)blocks * BS);
	for (uint32_t i = 0; i < blocks && ok; i++)
		ok = block ? memcmp(p + (size_t)i * BS, block, BS) == 0 : is_zero(p + (size_t)i * BS, BS);
	free(p);
	return ok;
}

unsigned unmap_list(uint8_t *p, const uint64_t *lba, const uint32_t *n, unsigned cnt)
{
	memset(p, 0, 8 + 16 * cnt);
	put_be16(p, (uint16_t)(6 + 16 * cnt));
	put_be16(p + 2, (uint16_t)(16 * cnt));
	for (unsigned i = 0; i < cnt; i++) {
		put_be64(p + 8 + 16 * i, lba[i]);
		put_be32(p + 16 + 16 * i, n[i]);
	}
	return 8 + 16 * cnt;
}

uint8_t unmap(struct run *r, void *list, unsigned plen, uint32_t buflen)
{
	return exec(r, CDB(SCSI_UNMAP, 0, 0, 0, 0, 0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 0), false, list,
		    buflen);
}
