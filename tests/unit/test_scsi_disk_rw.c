/* SPDX-License-Identifier: MIT */
#include "scsi_disk_fixture.h"

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
	put_be16(list + 2, 32);
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

static Suite *scsi_disk_suite(void)
{
	Suite *s = suite_create("scsi_disk_rw");
	TCase *tc = tcase_create("scsi_disk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
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
