/* SPDX-License-Identifier: MIT */
/*
 * What the scsi_disk tests share: the fixture, the guest-side helpers and the
 * checks (tests/unit/scsi_disk_fixture.c); each test_scsi_disk_*.c holds one topic.
 */
#ifndef HVKVM_TEST_SCSI_DISK_FIXTURE_H
#define HVKVM_TEST_SCSI_DISK_FIXTURE_H

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

extern struct loop *loop;
extern struct test_loop loop_thread;
extern char path[256];
extern int fd;
extern struct blk *blk;
extern struct scsi_disk *disk;

extern const struct scsi_disk_config default_cfg;

struct open_req {
	bool ro;
	enum blk_cache cache;
	const struct scsi_disk_config *cfg;
	int r;
	char err[256];
};

void open_on_loop(void *opaque);

void close_on_loop(void *opaque);

void disk_close(void);

int disk_open(bool ro, enum blk_cache cache, const struct scsi_disk_config *cfg);

void disk_open_ok(bool ro, const struct scsi_disk_config *cfg);

void setup_in(const char *dir);

void setup(void);

void setup_shm(void);

void teardown(void);

struct run {
	struct scsi_cmd cmd;
	atomic_int calls;
	bool sync;		/* done ran before execute returned */
};

void run_done(struct scsi_cmd *cmd);

void run_on_loop(void *opaque);

void run_prepare(struct run *r, const uint8_t *cdb, unsigned len, bool in, const struct iovec *iov,
			unsigned cnt);

void inflight_on_loop(void *opaque);

unsigned disk_inflight(void);

void run_wait(struct run *r);

uint8_t exec_iov(struct run *r, const uint8_t *cdb, unsigned len, bool in, const struct iovec *iov,
			unsigned cnt);

uint8_t exec(struct run *r, const uint8_t *cdb, unsigned len, bool in, void *buf, uint32_t buflen);

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

unsigned cdb_lba(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags);

uint8_t io(struct run *r, uint8_t op, uint64_t lba, uint32_t n, uint8_t flags, bool in, void *buf,
		  uint32_t len);

void fill(uint8_t *p, size_t len, unsigned seed);

void file_read(uint64_t off, void *buf, size_t len);

void file_write(uint64_t off, const void *buf, size_t len);

bool is_zero(const uint8_t *p, size_t len);

long long file_alloc_blocks(void);

extern const uint8_t inquiry_std[96];

void write_pattern(uint64_t lba, uint32_t blocks, unsigned seed);

bool file_range_is(uint64_t lba, uint32_t blocks, const uint8_t *block);

unsigned unmap_list(uint8_t *p, const uint64_t *lba, const uint32_t *n, unsigned cnt);

uint8_t unmap(struct run *r, void *list, unsigned plen, uint32_t buflen);

#endif
