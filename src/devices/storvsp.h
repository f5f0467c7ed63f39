/* SPDX-License-Identifier: MIT */
/*
 * storvsp: a Hyper-V synthetic SCSI controller on VMBus (the device hv_storvsc and
 * Windows' storvsc drive). One controller is one VMBus device with up to 64 LUNs on
 * path 0, target 0, and up to one sub-channel per vCPU for multi-queue I/O.
 */
#ifndef HVKVM_STORVSP_H
#define HVKVM_STORVSP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scsi_disk.h"

struct vmbus;
struct loop;
struct gmem;
struct blk;
struct storvsp;

#define STORVSP_MAX_LUNS	64
#define STORVSP_MAX_TRANSFER	(2u << 20)	/* bytes per SCSI command, as Hyper-V in Azure */

struct storvsp *storvsp_new(struct vmbus *bus, const struct gmem *mem, unsigned controller,
			    unsigned max_subchannels);
/* Frees the disks too; after vmbus_free(), which closes the channels. */
void storvsp_free(struct storvsp *s);

/* Give LUN lun a disk on the back end b (the disk owns it from now on; a CD/DVD
 * drive's b may be NULL, no medium). While the guest
 * runs, the guest is told to rescan the bus. -EBUSY if the LUN is taken. */
int storvsp_attach(struct storvsp *s, unsigned lun, struct blk *b, const struct scsi_disk_config *cfg);
/* A CD/DVD drive's medium (cfg->cdrom at attach; b may be NULL there and here):
 * scsi_disk_change_medium. -ENOENT if the LUN is empty. */
int storvsp_change_medium(struct storvsp *s, unsigned lun, struct blk *b, bool force);
/* false unless LUN lun is a CD/DVD drive. */
bool storvsp_cd_state(const struct storvsp *s, unsigned lun, struct scsi_cd_state *st);
/* Remove a LUN (its I/O is finished first) and tell the guest. -ENOENT if empty. */
int storvsp_detach(struct storvsp *s, unsigned lun);

struct storvsp_stats {
	unsigned luns;			/* attached */
	uint16_t version;		/* protocol the guest negotiated, 0 before */
	uint64_t requests, errors, malformed;	/* SCSI requests, failed ones, bad packets */
	uint64_t bytes_read, bytes_written;
};
void storvsp_get_stats(struct storvsp *s, struct storvsp_stats *st);
/* Whether LUN lun has a disk. */
bool storvsp_has_lun(const struct storvsp *s, unsigned lun);
void storvsp_print_stats(struct storvsp *s, FILE *out);

#endif
