/* SPDX-License-Identifier: MIT */
/*
 * A StorVSC client in portable C over vmbusc: the vstor initialisation of a SCSI
 * controller's channel, one SCSI request at a time through a caller's bounce buffer,
 * and the list of LUNs. No firmware or OS header: hvkvm's UEFI driver runs it over
 * its VMBus client, the unit tests run it against hvkvm's own storvsp in process.
 *
 * Everything the host answers is checked (packet type, transaction id, sizes,
 * operation, status, lengths). A host that breaks the protocol, or a request that
 * does not complete in time, leaves the client broken: the bounce buffer may still
 * be the host's, so every later call fails with VMBUSC_EIO.
 */
#ifndef HVKVM_FW_STORVSCC_H
#define HVKVM_FW_STORVSCC_H

#include <stdbool.h>
#include <stdint.h>

#include "storvsp_proto.h"
#include "vmbusc.h"

#define STORVSCC_MAX_LUNS	64	/* path 0, target 0, LUNs 0..63 */
#define STORVSCC_RING_PAGES	8	/* data pages of each ring */
#define STORVSCC_MIN_TRANSFER	512u	/* a host that allows less is broken */

/* Beyond vmbusc's results: the request is larger than max_transfer. */
#define STORVSCC_E2BIG		(-10)

/* vmscsi_request.data_in */
#define STORVSCC_DIR_OUT	0
#define STORVSCC_DIR_IN		1
#define STORVSCC_DIR_NONE	2

/* The SCSI status of a CHECK CONDITION */
#define STORVSCC_SCSI_CHECK_CONDITION	0x02

struct storvscc {
	struct vmbusc *bus;
	struct vmbusc_chan *chan;
	uint16_t version;		/* VMSTOR_PROTO_VERSION_* agreed */
	uint32_t host_max_transfer;	/* what QUERY_PROPERTIES said */
	uint32_t max_transfer;		/* the smaller of that and the bounce buffer */
	uint8_t *bounce;
	uint64_t bounce_gpa;
	uint32_t bounce_size;
	uint64_t next_trans;
	bool ready;			/* END_INITIALIZATION done */
	bool broken;			/* see above */
	bool rescan;			/* the host sent ENUMERATE_BUS since the last discovery */
	uint64_t enumerates;		/* ENUMERATE_BUS packets seen */
	uint64_t skipped;		/* other packets from the host that were not ours */
	unsigned nluns;
	uint8_t luns[STORVSCC_MAX_LUNS];	/* ascending */
};

/* One SCSI command. The caller fills the request part; storvscc_execute the rest. */
struct storvscc_srb {
	uint8_t lun;
	uint8_t cdb_len;		/* 1..16 */
	uint8_t cdb[16];
	uint8_t dir;			/* STORVSCC_DIR_*; NONE when len is 0 */
	void *data;			/* len bytes: read into, or written from */
	uint32_t len;
	/* results */
	uint8_t srb_status;		/* SRB_STATUS_* (AUTOSENSE_VALID included) */
	uint8_t scsi_status;
	uint32_t transferred;		/* bytes moved; for STORVSCC_E2BIG the maximum */
	uint8_t sense_len;
	uint8_t sense[VMSCSI_SENSE_BUFFER_SIZE];
};

/*
 * Opens the channel of a StorVSC offer (STORVSCC_RING_PAGES each way) and runs the
 * initialisation: BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION from WIN10 down to
 * WIN8, QUERY_PROPERTIES, END_INITIALIZATION. bounce: page-aligned memory of
 * bounce_size bytes at guest physical address bounce_gpa, the client's until
 * storvscc_close. Every wait is bounded by timeout_us. 0, or a negative VMBUSC_E*
 * (the channel is closed again then).
 */
int storvscc_open(struct storvscc *s, struct vmbusc *bus, const struct vmbusc_offer *offer, void *bounce,
		  uint64_t bounce_gpa, uint32_t bounce_size, uint32_t timeout_us);
/* The same on a channel the caller opened (storvscc_close does not close it then). */
int storvscc_init(struct storvscc *s, struct vmbusc *bus, struct vmbusc_chan *chan, void *bounce,
		  uint64_t bounce_gpa, uint32_t bounce_size, uint32_t timeout_us);
/* Closes the channel storvscc_open opened (bounded by timeout_us). */
void storvscc_close(struct storvscc *s, uint32_t timeout_us);

/*
 * One SCSI command on target 0: sent (GPA-direct through the bounce buffer when it
 * moves data, in band otherwise) and polled to its completion within timeout_us
 * (0: forever), skipping what else the host sends. 0 when the host completed it,
 * whatever its SRB and SCSI status; STORVSCC_E2BIG (nothing sent, r->transferred =
 * max_transfer); VMBUSC_EINVAL for a bad request; VMBUSC_ETIMEDOUT, VMBUSC_EIO (the
 * client is broken from then on); VMBUSC_EAGAIN if the ring had no room (nothing
 * sent).
 */
int storvscc_execute(struct storvscc *s, struct storvscc_srb *r, uint32_t timeout_us);
/* Fills r's request part (the results zeroed): cdb_len bytes of cdb (at most 16 are
 * copied; storvscc_execute refuses a longer one), len bytes of data in direction dir. */
void storvscc_srb_init(struct storvscc_srb *r, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, uint8_t dir,
		       void *data, uint32_t len);

/* Takes what the host sent by itself since the last call (ENUMERATE_BUS sets
 * s->rescan), without waiting, at most VMBUSC_POLL_MAX packets. 0; VMBUSC_EIO if the
 * host sent a completion when nothing was outstanding, or broke the ring (the client
 * is broken then). */
int storvscc_poll(struct storvscc *s);

/* RESET_LUN or RESET_ADAPTER (op), checked to succeed. */
int storvscc_reset(struct storvscc *s, uint32_t op, uint32_t timeout_us);

/*
 * The LUNs of target 0 into s->luns: REPORT LUNS at LUN 0, or if the host does not
 * answer it, INQUIRY on each LUN keeping those with a device (peripheral qualifier
 * 0). Clears s->rescan once the list is made. 0 or a negative result of storvscc_execute.
 */
int storvscc_discover(struct storvscc *s, uint32_t timeout_us);
bool storvscc_has_lun(const struct storvscc *s, unsigned lun);

#endif
