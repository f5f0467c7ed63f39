/* SPDX-License-Identifier: MIT */
/*
 * The SCSI disk model (src/devices/scsi_disk.c) and the target-level helpers: any CDB
 * of any length with any buffer, split into any pieces, in either direction, against
 * a 1 MiB disk on a temp file through the real block back end (and, where the file
 * system allows O_DIRECT, a cache=none one). Up to 8 commands are in flight at once;
 * the loop runs until each completes. Every buffer piece is its own heap allocation,
 * so the sanitizer sees any access past it.
 *
 * The same for the CD/DVD drive model on two ISO media (2048-byte blocks), with the
 * host ejecting and inserting media between commands.
 *
 * What the model promises is checked: done exactly once, status and sense that make
 * sense, no more transferred than the buffer holds, and a buffer the initiator only
 * meant to be read (data out) never written.
 */
#include "blk_file.h"
#include "blk_iso.h"
#include "fuzz.h"
#include "loop.h"
#include "scsi.h"
#include "scsi_disk.h"

#include <errno.h>
#include <unistd.h>

#define MAX_PIECES	8

struct fcmd {
	struct scsi_cmd cmd;
	struct iovec iov[MAX_PIECES];
	unsigned done;
	bool busy;
	uint64_t sum;			/* of a data-out buffer before the command */
};

static struct loop *loop;
static struct blk *blks[2];		/* writeback, cache=none (NULL if the file system cannot) */
static struct blk *media[2];		/* CD/DVD media, the drive's for a while but never closed by it */
static struct fcmd cmds[FZ_SD_MAX_INFLIGHT];

static uint64_t buf_sum(const struct fcmd *c)
{
	uint64_t h = 1469598103934665603ull;

	for (unsigned i = 0; i < c->cmd.iovcnt; i++)
		for (size_t j = 0; j < c->iov[i].iov_len; j++)
			h = (h ^ ((const uint8_t *)c->iov[i].iov_base)[j]) * 1099511628211ull;
	return h;
}

static void cmd_done(struct scsi_cmd *cmd)
{
	struct fcmd *c = cmd->opaque;

	FZ_CHECK(c->busy && c->done == 0, "done called twice");
	c->done++;
	FZ_CHECK(cmd->transferred <= cmd->data_len, "transferred %u of a %u-byte buffer", cmd->transferred,
		 cmd->data_len);
	FZ_CHECK(cmd->status == SCSI_STATUS_GOOD || cmd->status == SCSI_STATUS_CHECK_CONDITION ||
			 cmd->status == SCSI_STATUS_BUSY,
		 "status 0x%x", cmd->status);
	if (cmd->status == SCSI_STATUS_CHECK_CONDITION)
		FZ_CHECK(cmd->sense_len >= 14 && cmd->sense_len <= sizeof(cmd->sense) && (cmd->sense[0] & 0x7f) == 0x70,
			 "sense of %u bytes, response code 0x%x", cmd->sense_len, cmd->sense[0]);
	else
		FZ_CHECK(cmd->sense_len == 0, "sense with status 0x%x", cmd->status);
	if (!cmd->data_in)
		FZ_CHECK(buf_sum(c) == c->sum, "a data-out buffer was written (CDB %02x)", cmd->cdb[0]);
}

static void cmd_release(struct fcmd *c)
{
	for (unsigned i = 0; i < MAX_PIECES; i++)
		free(c->iov[i].iov_base);
	memset(c, 0, sizeof(*c));
}

static void wait_all(struct scsi_disk *d)
{
	uint64_t start = loop_now_ns();

	for (;;) {
		bool busy = false;

		for (unsigned i = 0; i < FZ_SD_MAX_INFLIGHT; i++) {
			if (cmds[i].busy && cmds[i].done)
				cmd_release(&cmds[i]);
			busy |= cmds[i].busy;
		}
		if (!busy)
			break;
		FZ_CHECK(loop_now_ns() - start < 20000000000ull, "commands never complete");
		loop_run_once(loop, 100);
	}
	FZ_CHECK(scsi_disk_inflight(d) == 0, "%u commands in flight after every one completed", scsi_disk_inflight(d));
}

static void op_cmd(struct scsi_disk *d, struct fz *in)
{
	struct fcmd *c = NULL;
	uint8_t target = fz_u8(in) % 4, pieces;

	for (unsigned i = 0; i < FZ_SD_MAX_INFLIGHT && !c; i++) {
		if (cmds[i].busy && cmds[i].done)
			cmd_release(&cmds[i]);
		if (!cmds[i].busy)
			c = &cmds[i];
	}
	if (!c) {
		wait_all(d);
		c = &cmds[0];
	}
	c->busy = true;
	c->cmd.cdb_len = fz_u8(in);
	fz_bytes(in, c->cmd.cdb, sizeof(c->cmd.cdb));
	c->cmd.data_in = fz_u8(in) & 1;
	c->cmd.data_len = fz_u32(in) % (4u << 20);
	pieces = fz_u8(in) % (MAX_PIECES + 1);
	for (unsigned i = 0; i < pieces; i++) {
		size_t len = fz_u32(in) % ((1u << 20) + 1);

		c->iov[i].iov_base = malloc(len ? len : 1);
		FZ_CHECK(c->iov[i].iov_base, "malloc");
		c->iov[i].iov_len = len;
		/* Data out from the input, the rest a pattern the model must not leak. */
		memset(c->iov[i].iov_base, 0xcc, len);
		fz_bytes(in, c->iov[i].iov_base, len < in->n ? len : in->n);
	}
	c->cmd.iov = c->iov;
	c->cmd.iovcnt = pieces;
	c->cmd.done = cmd_done;
	c->cmd.opaque = c;
	c->sum = buf_sum(c);
	switch (target) {
	case 0:
		scsi_disk_execute(d, &c->cmd);
		break;
	case 1:
		scsi_cmd_no_lun(&c->cmd);
		break;
	case 2: {
		uint16_t luns[64];
		unsigned n = fz_u8(in) % 65;

		for (unsigned i = 0; i < n; i++)
			luns[i] = fz_u16(in);
		scsi_cmd_report_luns(&c->cmd, luns, n);
		break;
	}
	case 3: {
		uint8_t asc = fz_u8(in);

		scsi_cmd_unit_attention(&c->cmd, asc, fz_u8(in));
		FZ_CHECK(c->cmd.status == SCSI_STATUS_CHECK_CONDITION, "unit attention");
		break;
	}
	}
	/* The target-level helpers complete before they return. */
	if (target)
		FZ_CHECK(c->done == 1, "helper %u did not complete", target);
}

static void init(void)
{
	char path[64], err[256];
	int fd;

	loop = loop_new();
	FZ_CHECK(loop, "loop_new");
	fd = fuzz_temp_file(FZ_SD_DISK_BYTES, path, sizeof(path));
	FZ_CHECK(fd >= 0, "temp file");
	FZ_CHECK(blk_open(&blks[0], loop, path, false, BLK_CACHE_WRITEBACK, err, sizeof(err)) == 0, "blk_open: %s", err);
	fd = fuzz_temp_file(FZ_SD_DISK_BYTES, path, sizeof(path));
	FZ_CHECK(fd >= 0, "temp file");
	if (blk_open(&blks[1], loop, path, false, BLK_CACHE_NONE, err, sizeof(err)) < 0)
		blks[1] = NULL;
	for (unsigned i = 0; i < 2; i++) {
		fd = fuzz_temp_file(FZ_SD_CD_BYTES * (i + 1), path, sizeof(path));
		FZ_CHECK(fd >= 0, "temp file");
		FZ_CHECK(blk_iso_open(&media[i], loop, path, err, sizeof(err)) == 0, "blk_iso_open: %s", err);
	}
}

static void op_medium(struct scsi_disk *d, struct fz *in)
{
	uint8_t what = fz_u8(in) % 4;
	struct scsi_cd_state st;
	int r;

	wait_all(d);
	if (!scsi_disk_cd_state(d, &st))
		return;
	r = scsi_disk_change_medium(d, what & 1 ? media[what >> 1] : NULL, what == 2);
	FZ_CHECK(r == 0 || (r == -EBUSY && st.locked && st.medium && !st.tray_open && what != 2),
		 "medium change %u: %d", what, r);
	scsi_disk_cd_state(d, &st);
	if (r == 0)
		FZ_CHECK(st.medium == (what & 1) && !st.tray_open, "medium change %u: state", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct fz in = { data, size };
	uint8_t flags = fz_u8(&in);
	struct scsi_disk_config cfg = {
		.serial = flags & 8 ? NULL : "FUZZ-SERIAL\x01\x7f",
		.naa_id = 0x6002248000001234ull,
		.readonly = flags & 1,
		.write_cache = flags & 2,
		.cdrom = flags & 0x10,
	};
	struct blk *b;
	struct scsi_disk *d;

	fuzz_quiet_logs();
	if (!initialized) {
		init();
		initialized = true;
	}
	cfg.max_transfer = fz_u32(&in) % (2u << 20);
	b = flags & 4 && blks[1] ? blks[1] : blks[0];
	if (cfg.cdrom)
		b = flags & 0x20 ? NULL : media[0];
	d = scsi_disk_new(b, &cfg);
	FZ_CHECK(d, "scsi_disk_new");
	while (in.n) {
		switch (fz_u8(&in) % SD_OP_COUNT) {
		case SD_OP_CMD: op_cmd(d, &in); break;
		case SD_OP_WAIT: wait_all(d); break;
		case SD_OP_MEDIUM: op_medium(d, &in); break;
		}
	}
	wait_all(d);
	scsi_disk_free(d);
	return 0;
}
