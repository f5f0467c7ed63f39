/* SPDX-License-Identifier: MIT */
/*
 * What the SCSI disk (scsi_disk.c) and the CD/DVD drive (scsi_cd.c) models share:
 * the LU's state and the command plumbing. Not for the controller.
 */
#ifndef HVKVM_SCSI_DISK_INTERNAL_H
#define HVKVM_SCSI_DISK_INTERNAL_H

#include "iov.h"
#include "log.h"
#include "scsi_disk.h"

#include <stdbool.h>
#include <stdint.h>

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

struct scsi_disk {
	struct blk *blk;
	bool owns_blk;
	uint64_t blocks;		/* capacity in logical blocks */
	uint32_t block_size;		/* logical, bytes */
	uint8_t phys_exp;		/* log2 of logical blocks per physical block */
	uint32_t max_xfer_blocks;	/* 0: no limit */
	uint32_t opt_xfer_blocks;
	uint32_t max_unmap_blocks;
	uint32_t max_ws_blocks;
	size_t align;			/* what O_DIRECT needs, 1 without it */
	bool readonly;
	bool discard;			/* logical block provisioning: holes read back zeroes */
	bool rotational;
	bool wce;			/* current WCE; MODE SELECT may change it */
	bool default_wce;
	bool no_write_zeroes;		/* the back end refused BLK_WRITE_ZEROES once */
	char serial[SCSI_DISK_SERIAL_MAX + 1];
	uint64_t naa_id;
	unsigned inflight;		/* loop thread */
	struct log_ratelimit io_error_rl;	/* back-end errors */
	/* A CD/DVD drive (MMC): blk is the medium, NULL when there is none. */
	bool cd;
	bool tray_open;			/* the guest ejected: the medium (if any) is out of reach */
	bool locked;			/* PREVENT ALLOW MEDIUM REMOVAL */
	bool unit_attention;		/* 28/00 once after a medium arrived */
	uint8_t media_event;		/* GESN media event code waiting for the guest, 0: none */
};

/* Resets the results and works out how much buffer the initiator really gave. */
static inline void cmd_begin(struct scsi_cmd *cmd)
{
	cmd->status = SCSI_STATUS_GOOD;
	cmd->sense_len = 0;
	cmd->transferred = 0;
	cmd->iov_copy = NULL;
	cmd->buf = NULL;
	cmd->avail = (uint32_t)MIN(iov_size(cmd->iov, cmd->iovcnt), (uint64_t)cmd->data_len);
}

/*
 * A buffer in the wrong direction counts as no buffer: the model never writes
 * into memory the initiator only meant to be read.
 */
static inline uint32_t cmd_in_len(const struct scsi_cmd *cmd)
{
	return cmd->data_in ? cmd->avail : 0;
}

static inline uint32_t cmd_out_len(const struct scsi_cmd *cmd)
{
	return cmd->data_in ? 0 : cmd->avail;
}

static inline void cmd_set_check(struct scsi_cmd *cmd, uint8_t key, uint16_t asc)
{
	cmd->status = SCSI_STATUS_CHECK_CONDITION;
	cmd->sense_len = scsi_build_sense(cmd->sense, key, asc);
	cmd->transferred = 0;
}

static inline void cmd_fail(struct scsi_cmd *cmd, uint8_t key, uint16_t asc)
{
	cmd_set_check(cmd, key, asc);
	cmd->done(cmd);
}

static inline void cmd_illegal(struct scsi_cmd *cmd, uint16_t asc)
{
	cmd_fail(cmd, SCSI_SENSE_ILLEGAL_REQUEST, asc);
}

static inline void cmd_good(struct scsi_cmd *cmd)
{
	cmd->done(cmd);
}

/* Out of host memory for the moment: BUSY makes the initiator try again. */
static inline void cmd_set_busy(struct scsi_cmd *cmd)
{
	cmd->status = SCSI_STATUS_BUSY;
	cmd->sense_len = 0;
	cmd->transferred = 0;
}

/* Answers a data-in command: as much of data as the allocation length and buffer allow. */
static inline void cmd_reply(struct scsi_cmd *cmd, const void *data, uint32_t len, uint32_t alloc)
{
	uint32_t n = MIN(MIN(len, alloc), cmd_in_len(cmd));

	iov_from_buf(cmd->iov, cmd->iovcnt, 0, data, n);
	cmd->transferred = n;
	cmd_good(cmd);
}

static inline bool disk_range_ok(const struct scsi_disk *d, uint64_t lba, uint64_t n)
{
	/* An LBA must exist even for zero blocks; lba + n is not computed (it may wrap). */
	return lba < d->blocks && n <= d->blocks - lba;
}

/* INQUIRY, with the peripheral device type and RMB of the LU. */
void scsi_disk_inquiry(struct scsi_disk *d, struct scsi_cmd *cmd);
/* READ/WRITE of n blocks at lba into/from the initiator's buffer; checks the range. */
void scsi_disk_rw(struct scsi_disk *d, struct scsi_cmd *cmd, bool write, uint64_t lba, uint32_t n, bool fua);
/* LBA and transfer length of a 10-, 12- or 16-byte READ/WRITE/VERIFY CDB. */
void scsi_cdb_lba_len(const uint8_t *cdb, uint64_t *lba, uint32_t *n);
/* scsi_disk_new for cfg->cdrom. */
struct scsi_disk *scsi_cd_new(struct blk *b, const struct scsi_disk_config *cfg);
/* Runs a command addressed to a CD/DVD drive (scsi_cd.c). */
void scsi_cd_execute(struct scsi_disk *d, struct scsi_cmd *cmd);
/* The CDB is long enough and its control byte is fine; completes the command if not. */
bool scsi_cmd_cdb_ok(struct scsi_cmd *cmd, unsigned len);

#endif
