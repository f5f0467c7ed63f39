/* SPDX-License-Identifier: MIT */
/*
 * A SCSI direct-access block device (SBC-3) on a block back end: what a storage
 * controller (storvsp) hands the guest's CDBs to. The model validates every CDB
 * and every parameter list, copies the answers of non-I/O commands into the
 * initiator's buffer, and passes READ/WRITE buffers to the back end without a copy
 * (unless cache=none needs a bounce buffer for alignment).
 *
 * Threads: everything here runs on the event-loop thread, the same one that
 * completes the block back end's requests. scsi_disk_execute() may call cmd->done
 * before it returns (every non-I/O command and every rejected CDB does); I/O
 * commands complete later, from the back end's completion.
 */
#ifndef HVKVM_SCSI_DISK_H
#define HVKVM_SCSI_DISK_H

#include "blk.h"
#include "scsi.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct scsi_disk;

#define SCSI_DISK_SERIAL_MAX	20	/* VPD 0x80 as Hyper-V fills it: up to 20 ASCII characters */

struct scsi_disk_config {
	const char *serial;	/* VPD 0x80 and the T10 vendor id in VPD 0x83; ASCII, up to
				 * SCSI_DISK_SERIAL_MAX chars (NULL or "": the NAA id in hex) */
	uint64_t naa_id;	/* VPD 0x83 NAA (type 6, IEEE registered extended) identifier, unique per disk */
	uint32_t max_transfer;	/* bytes per command the controller allows (VPD B0 maximum transfer
				 * length); 0: no limit but the initiator's buffer */
	bool readonly;		/* or the back end's readonly */
	bool write_cache;	/* WCE in the caching mode page: cache=writeback */
	bool owns_backend;	/* scsi_disk_free closes the back end */
	bool cdrom;		/* a CD/DVD drive (MMC, type 05h, removable, read-only): the back end
				 * is its medium, 2048-byte blocks, and may be NULL (no medium) */
};

struct scsi_cmd {
	uint8_t cdb[16];
	uint8_t cdb_len;
	bool data_in;			/* the initiator reads (device to host) */
	const struct iovec *iov;	/* the initiator's buffer (guest memory) */
	unsigned iovcnt;
	uint32_t data_len;		/* its size */
	/* results */
	uint8_t status;			/* SCSI status: GOOD, CHECK CONDITION, ... */
	uint8_t sense[SCSI_SENSE_FIXED_LEN];	/* fixed-format sense data when CHECK CONDITION */
	uint8_t sense_len;
	uint32_t transferred;		/* bytes actually moved (the initiator computes the residual) */
	void (*done)(struct scsi_cmd *cmd);	/* exactly once, possibly before execute returns */
	void *opaque;
	/* The model's own, meaningful only while the command is in flight: */
	struct blk_req blk;
	struct scsi_disk *disk;
	uint32_t avail;			/* usable bytes of the buffer in the command's direction */
	uint8_t stage;			/* what the pending blk request is doing */
	struct iovec *iov_copy;		/* the buffer trimmed to the transfer length */
	struct iovec bounce_iov;
	void *buf;			/* bounce buffer, WRITE SAME pattern, UNMAP descriptors */
	uint64_t pos, end;		/* WRITE SAME: bytes; UNMAP: descriptor index and count */
	uint32_t chunk;			/* WRITE SAME: bytes of pattern in buf */
};

/*
 * A disk on b, which stays the caller's (close it after scsi_disk_free) unless
 * cfg->owns_backend. NULL with errno set on failure (b is still the caller's). Call
 * on the loop thread, like everything below.
 */
struct scsi_disk *scsi_disk_new(struct blk *b, const struct scsi_disk_config *cfg);
void scsi_disk_free(struct scsi_disk *d);	/* only with no command in flight */

/* For the controller, which never sees the back end: gather the requests of the
 * commands executed between plug and unplug, and wait for every command in flight
 * to complete (done runs here; never from a done callback). */
void scsi_disk_plug(struct scsi_disk *d);
void scsi_disk_unplug(struct scsi_disk *d);
void scsi_disk_drain(struct scsi_disk *d);

/*
 * Runs one command addressed to the disk. The caller fills the CDB and buffer
 * fields and done; the model fills the results and calls done exactly once. The
 * command and its buffer must stay valid until then.
 */
void scsi_disk_execute(struct scsi_disk *d, struct scsi_cmd *cmd);

/*
 * CD/DVD drives: the host changes the medium. b (NULL: remove it) has 2048-byte
 * blocks; the drive owns it from now on if cfg->owns_backend, and the medium it had
 * is closed then (its I/O is finished first). A medium the guest locked (PREVENT
 * ALLOW MEDIUM REMOVAL) stays unless force: -EBUSY, and the guest is told that an
 * eject was asked for. -EINVAL for a disk or a b with other blocks. The guest sees a
 * new medium as UNIT ATTENTION 28/00 and a NEW MEDIA event, a removal as NOT READY
 * 3A/00 and a MEDIA REMOVAL event.
 */
int scsi_disk_change_medium(struct scsi_disk *d, struct blk *b, bool force);

struct scsi_cd_state {
	bool medium;		/* a medium is in the drive */
	bool tray_open;		/* the guest ejected it (the medium stays until the host changes it) */
	bool locked;		/* the guest prevents removal */
};
/* false for a disk. */
bool scsi_disk_cd_state(const struct scsi_disk *d, struct scsi_cd_state *st);

/* Commands executed and not yet completed. */
unsigned scsi_disk_inflight(const struct scsi_disk *d);

/*
 * For the controller, at target level. Each completes the command (calls done)
 * before it returns.
 *
 * A LUN with no disk: INQUIRY answers peripheral qualifier 3 / type 1Fh, REQUEST
 * SENSE returns LOGICAL UNIT NOT SUPPORTED as sense data with GOOD status, and
 * everything else ends in CHECK CONDITION, ILLEGAL REQUEST / LOGICAL UNIT NOT
 * SUPPORTED (SPC-4 5.8).
 */
void scsi_cmd_no_lun(struct scsi_cmd *cmd);
/* REPORT LUNS for the target (any LUN may receive it); luns[] are single-level LUNs < 16384. */
void scsi_cmd_report_luns(struct scsi_cmd *cmd, const uint16_t *luns, unsigned n);
/* Ends the command with CHECK CONDITION, UNIT ATTENTION / asc, ascq. */
void scsi_cmd_unit_attention(struct scsi_cmd *cmd, uint8_t asc, uint8_t ascq);

#endif
