/* SPDX-License-Identifier: MIT */
/*
 * The vstor protocol, host side. The guest's requests arrive on the primary channel
 * and its sub-channels; SCSI commands go to the LUN's disk model, whose back end reads
 * and writes the guest's pages in place; every request is completed exactly once,
 * because the guest driver never times one out.
 */
#include "storvsp.h"
#include "guid.h"
#include "iov.h"
#include "log.h"
#include "memory.h"
#include "packet.h"
#include "storvsp_proto.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STORVSP_MAX_PAGES	(STORVSP_MAX_TRANSFER / 4096 + 1)
#define STORVSP_MAX_INFLIGHT	1024	/* per channel; more waits in the ring */
#define STORVSP_PKT_MAX		(sizeof(struct vmbus_gpa_direct_header) + sizeof(struct vmbus_gpa_range) + \
				 8 * STORVSP_MAX_PAGES + VSTOR_PACKET_SIZE)
#define STORVSP_INSTANCE	"f8b3781a-1e82-4818-a1c3-63d806ec15bb"	/* + controller */

enum storvsp_state {
	SV_BEGIN,		/* waiting for BEGIN_INITIALIZATION */
	SV_VERSION,		/* QUERY_PROTOCOL_VERSION */
	SV_PROPERTIES,		/* QUERY_PROPERTIES */
	SV_END,			/* END_INITIALIZATION (or CREATE_SUB_CHANNELS) */
	SV_READY,
};

struct storvsp_lun {
	struct scsi_disk *disk;
};

struct storvsp_chan;

struct storvsp_req {
	struct storvsp_chan *c;
	uint64_t trans_id;
	bool reply;			/* the guest asked for a completion */
	struct vmscsi_request srb;	/* as the guest sent it, checked */
	struct scsi_cmd cmd;
	struct storvsp_req *next;	/* waiting for ring space */
	unsigned niov;
	struct iovec iov[];
};

struct storvsp_chan {
	struct storvsp *s;
	struct vmbus_channel *ch;
	bool open;
	bool closed;			/* the channel closed: freed once nothing uses it */
	bool throttled;			/* stopped reading: too many requests in flight */
	unsigned inflight;
	unsigned busy;			/* storvsp frames on the stack that use it */
	struct storvsp_pending {
		uint64_t trans_id;
		uint16_t type;
		uint32_t size;
		struct vstor_packet pkt;
		struct storvsp_pending *next;
	} *backlog, *backlog_tail;
	uint8_t buf[STORVSP_PKT_MAX + 64];
	struct iovec iov[STORVSP_MAX_PAGES];	/* the packet being read: its data buffer */
};

struct storvsp {
	struct vmbus_device *dev;
	const struct gmem *mem;
	unsigned controller;
	unsigned max_sub;
	enum storvsp_state state;	/* shared by the primary and its sub-channels */
	uint16_t version;
	bool subchannels_made;
	struct storvsp_chan *primary;
	struct storvsp_lun luns[STORVSP_MAX_LUNS];
	/* counters */
	uint64_t srbs, errors, bytes_read, bytes_written, pkts_bad;
	/* What the guest sent wrong, per kind. */
	struct log_ratelimit srb_bad_rl, op_bad_rl, pkt_bad_rl;
};

static bool storvsp_process(struct storvsp_chan *c);
static void free_backlog(struct storvsp_chan *c);

/*
 * A channel's state lives while a storvsp frame or a request uses it: the close only
 * marks it, and the last one out, or the last request to complete, frees it. A send
 * that fails the channel (the guest broke its ring) does not close it under the frame:
 * vmbus_chan_fail() leaves the close to the loop, and further calls get -EPIPE.
 */
static void chan_hold(struct storvsp_chan *c)
{
	c->busy++;
}

static void chan_release(struct storvsp_chan *c)
{
	if (--c->busy || !c->closed || c->inflight)
		return;
	free_backlog(c);
	free(c);
}

static size_t vstor_size(const struct storvsp *s)
{
	return s->version && s->version < VMSTOR_PROTO_VERSION_WIN8 ? VSTOR_PACKET_SIZE_WIN7 : VSTOR_PACKET_SIZE;
}

/* ---- sending --------------------------------------------------------------------- */

static int send_pkt(struct storvsp_chan *c, uint64_t trans_id, const struct vstor_packet *p, uint32_t size,
		    uint16_t type)
{
	struct iovec iov = { (void *)p, size };

	return vmbus_chan_send(c->ch, type, 0, trans_id, &iov, 1);
}

/* Send a packet now, or keep it until the guest makes room: none may be lost. */
static void queue_pkt(struct storvsp_chan *c, uint16_t type, uint64_t trans_id, const struct vstor_packet *p,
		      uint32_t size)
{
	struct storvsp_pending *q;

	if (!c->open)
		return;
	if (!c->backlog && send_pkt(c, trans_id, p, size, type) != -EAGAIN)
		return;
	q = malloc(sizeof(*q));
	if (!q) {
		vmbus_chan_fail(c->ch, "out of memory for a completion");
		return;
	}
	q->trans_id = trans_id;
	q->type = type;
	q->size = size;
	q->pkt = *p;
	q->next = NULL;
	if (c->backlog_tail)
		c->backlog_tail->next = q;
	else
		c->backlog = q;
	c->backlog_tail = q;
}

static void complete_pkt(struct storvsp_chan *c, uint64_t trans_id, const struct vstor_packet *p, uint32_t size)
{
	queue_pkt(c, VM_PKT_COMP, trans_id, p, size);
}

/* Returns false while completions still wait for room. */
static bool flush_backlog(struct storvsp_chan *c)
{
	while (c->backlog && c->open) {
		struct storvsp_pending *q = c->backlog;

		if (send_pkt(c, q->trans_id, &q->pkt, q->size, q->type) == -EAGAIN)
			return false;
		c->backlog = q->next;
		if (!c->backlog)
			c->backlog_tail = NULL;
		free(q);
	}
	return true;
}

static void free_backlog(struct storvsp_chan *c)
{
	while (c->backlog) {
		struct storvsp_pending *q = c->backlog;

		c->backlog = q->next;
		free(q);
	}
	c->backlog_tail = NULL;
}

static void reply_status(struct storvsp_chan *c, uint64_t trans_id, const struct vstor_packet *req, uint32_t size,
			 uint32_t status)
{
	struct vstor_packet p;

	memset(&p, 0, sizeof(p));
	memcpy(&p, req, size);
	p.operation = VSTOR_OPERATION_COMPLETE_IO;
	p.flags = 0;
	p.status = status;
	complete_pkt(c, trans_id, &p, size);
}

/* Ask the guest to rescan the bus (LUNs came or went); it never asks by itself, so
 * this waits for room like a completion. */
static void send_enumerate(struct storvsp *s)
{
	struct vstor_packet p = { .operation = VSTOR_OPERATION_ENUMERATE_BUS };
	struct storvsp_chan *c = s->primary;

	if (!c || !c->open || s->state != SV_READY || s->version < VMSTOR_PROTO_VERSION_WIN7)
		return;
	chan_hold(c);
	queue_pkt(c, VM_PKT_DATA_INBAND, 0, &p, (uint32_t)vstor_size(s));
	chan_release(c);
}

/* ---- SCSI requests ---------------------------------------------------------------- */

static void srb_done(struct scsi_cmd *cmd)
{
	struct storvsp_req *r = cmd->opaque;
	struct storvsp_chan *c = r->c;
	struct storvsp *s = c->s;
	struct vstor_packet p;
	uint8_t srb_status = SRB_STATUS_SUCCESS;
	uint32_t status = VSTOR_STATUS_SUCCESS;
	size_t sense_max = s->version < VMSTOR_PROTO_VERSION_WIN8 ? VMSCSI_SENSE_BUFFER_SIZE_WIN7
								  : VMSCSI_SENSE_BUFFER_SIZE;

	memset(&p, 0, sizeof(p));
	p.operation = VSTOR_OPERATION_COMPLETE_IO;
	p.vm_srb = r->srb;
	p.vm_srb.length = (uint16_t)(vstor_size(s) - offsetof(struct vstor_packet, vm_srb));
	p.vm_srb.scsi_status = cmd->status;
	p.vm_srb.data_transfer_length = cmd->transferred;
	p.vm_srb.sense_info_length = (uint8_t)sense_max;
	memset(p.vm_srb.cdb, 0, sizeof(p.vm_srb.sense_data));
	if (cmd->status == SCSI_STATUS_CHECK_CONDITION) {
		/* The sense key says which SRB status Windows and Linux expect. */
		srb_status = (cmd->sense_len >= 3 && (cmd->sense[2] & 0xf) == SCSI_SENSE_ILLEGAL_REQUEST ?
				      SRB_STATUS_INVALID_REQUEST : SRB_STATUS_ERROR) | SRB_STATUS_AUTOSENSE_VALID;
		memcpy(p.vm_srb.sense_data, cmd->sense, cmd->sense_len < sense_max ? cmd->sense_len : sense_max);
		p.vm_srb.data_transfer_length = 0;
		status = VSTOR_STATUS_IO_DEVICE_ERROR;
		s->errors++;
	} else if (cmd->status == SCSI_STATUS_BUSY || cmd->status == SCSI_STATUS_TASK_SET_FULL) {
		/* Out of host memory for a moment: the guest's SCSI layer retries BUSY. */
		srb_status = SRB_STATUS_BUSY;
		p.vm_srb.data_transfer_length = 0;
		status = VSTOR_STATUS_IO_DEVICE_ERROR;
	} else if (cmd->status != SCSI_STATUS_GOOD) {
		srb_status = SRB_STATUS_ERROR;
		p.vm_srb.data_transfer_length = 0;
		status = VSTOR_STATUS_IO_DEVICE_ERROR;
		s->errors++;
	} else if (r->srb.data_in == VSTOR_DATA_IN) {
		s->bytes_read += cmd->transferred;
	} else {
		s->bytes_written += cmd->transferred;
	}
	p.vm_srb.srb_status = srb_status;
	p.status = status;
	chan_hold(c);
	if (r->reply)
		complete_pkt(c, r->trans_id, &p, (uint32_t)vstor_size(s));
	c->inflight--;
	free(r);
	/* Reading stopped at the limit: the guest's requests are still in the ring. */
	if (c->throttled && c->inflight < STORVSP_MAX_INFLIGHT / 2 && c->open) {
		c->throttled = false;
		vmbus_chan_recv_done(c->ch);
		storvsp_process(c);
	}
	chan_release(c);
}

/* An SRB answered by the controller without a disk: no data moved, no sense. */
static void srb_refuse(struct storvsp_chan *c, uint64_t trans_id, bool reply, const struct vmscsi_request *srb,
		       uint8_t srb_status, uint32_t status)
{
	struct storvsp *s = c->s;
	struct vstor_packet p;

	if (!reply)
		return;
	memset(&p, 0, sizeof(p));
	p.operation = VSTOR_OPERATION_COMPLETE_IO;
	p.vm_srb = *srb;
	p.vm_srb.length = (uint16_t)(vstor_size(s) - offsetof(struct vstor_packet, vm_srb));
	p.vm_srb.srb_status = srb_status;
	p.vm_srb.scsi_status = srb_status == SRB_STATUS_INVALID_LUN ? SCSI_STATUS_CHECK_CONDITION : 0;
	p.vm_srb.data_transfer_length = 0;
	p.vm_srb.sense_info_length = 0;
	memset(p.vm_srb.sense_data, 0, sizeof(p.vm_srb.sense_data));
	p.status = status;
	complete_pkt(c, trans_id, &p, (uint32_t)vstor_size(s));
}

/* No LUN there, or the request itself is bad. */
static void srb_fail(struct storvsp_req *r, uint8_t srb_status)
{
	srb_refuse(r->c, r->trans_id, r->reply, &r->srb, srb_status,
		   srb_status == SRB_STATUS_INVALID_LUN ? VSTOR_STATUS_DEVICE_DOES_NOT_EXIST
							: VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	r->c->inflight--;
	free(r);
}

static void execute_srb(struct storvsp_chan *c, uint64_t trans_id, bool reply, const struct vmscsi_request *srb,
			const struct vmbus_pkt *pkt)
{
	struct storvsp *s = c->s;
	struct storvsp_req *r = calloc(1, sizeof(*r) + (pkt->niov ? pkt->niov : 1) * sizeof(struct iovec));
	struct storvsp_lun *lun;
	uint32_t len = srb->data_transfer_length;
	int niov = 0;

	if (!r) {
		vmbus_chan_fail(c->ch, "out of memory for a request");
		return;
	}
	r->c = c;
	r->trans_id = trans_id;
	r->reply = reply;
	r->srb = *srb;
	c->inflight++;
	s->srbs++;
	/* The data buffer is the start of the packet's GPA range; inline packets have none. */
	if (len > pkt->bytes || srb->cdb_length == 0 || srb->cdb_length > 16 ||
	    (niov = iov_slice(pkt->iov, pkt->niov, 0, len, r->iov, pkt->niov)) < 0) {
		s->pkts_bad++;
		log_warn_limited(&s->srb_bad_rl,
				 "storvsp %u: malformed SCSI request (CDB length %u, %u bytes, a buffer of %llu)",
				 s->controller, srb->cdb_length, len, (unsigned long long)pkt->bytes);
		srb_fail(r, SRB_STATUS_INVALID_REQUEST);
		return;
	}
	r->niov = (unsigned)niov;
	memcpy(r->cmd.cdb, srb->cdb, srb->cdb_length);
	r->cmd.cdb_len = srb->cdb_length;
	r->cmd.data_in = srb->data_in == VSTOR_DATA_IN;
	r->cmd.iov = r->iov;
	r->cmd.iovcnt = r->niov;
	r->cmd.data_len = len;
	r->cmd.done = srb_done;
	r->cmd.opaque = r;

	/* The LUNs live on path 0, target 0; the guest scans 8 paths and 2 targets. */
	lun = srb->path_id == 0 && srb->target_id == 0 && srb->lun < STORVSP_MAX_LUNS ? &s->luns[srb->lun] : NULL;
	if (srb->cdb[0] == SCSI_REPORT_LUNS) {
		/* The target answers, whichever LUN is asked: every LUN it has. */
		uint16_t list[STORVSP_MAX_LUNS];
		unsigned n = 0;

		for (unsigned i = 0; srb->path_id == 0 && srb->target_id == 0 && i < STORVSP_MAX_LUNS; i++)
			if (s->luns[i].disk)
				list[n++] = (uint16_t)i;
		scsi_cmd_report_luns(&r->cmd, list, n);
	} else if (lun && lun->disk) {
		scsi_disk_execute(lun->disk, &r->cmd);
	} else if (srb->cdb[0] == SCSI_INQUIRY) {
		/* Every INQUIRY needs real data: the guest takes an empty answer as a disk. */
		scsi_cmd_no_lun(&r->cmd);
	} else {
		/* The one status that makes the guest drop the LUN. */
		srb_fail(r, SRB_STATUS_INVALID_LUN);
	}
}

/* ---- the protocol ---------------------------------------------------------------- */

static bool version_supported(uint16_t v)
{
	return v == VMSTOR_PROTO_VERSION_WIN10 || v == VMSTOR_PROTO_VERSION_WIN8_1 ||
	       v == VMSTOR_PROTO_VERSION_WIN8 || v == VMSTOR_PROTO_VERSION_WIN7 || v == VMSTOR_PROTO_VERSION_WIN6;
}

static void handle_control(struct storvsp_chan *c, uint64_t trans_id, bool reply, struct vstor_packet *p,
			   uint32_t size)
{
	struct storvsp *s = c->s;
	uint32_t status = VSTOR_STATUS_SUCCESS;

	switch (p->operation) {
	case VSTOR_OPERATION_BEGIN_INITIALIZATION:
		if (c != s->primary || s->state != SV_BEGIN)
			status = VSTOR_STATUS_INVALID_DEVICE_STATE;
		else
			s->state = SV_VERSION;
		break;
	case VSTOR_OPERATION_QUERY_PROTOCOL_VERSION:
		if (c != s->primary || s->state != SV_VERSION) {
			status = VSTOR_STATUS_INVALID_DEVICE_STATE;
		} else if (!version_supported(p->version.major_minor)) {
			status = VSTOR_STATUS_REVISION_MISMATCH;
		} else {
			s->version = p->version.major_minor;
			s->state = SV_PROPERTIES;
		}
		break;
	case VSTOR_OPERATION_QUERY_PROPERTIES:
		if (c != s->primary || s->state != SV_PROPERTIES) {
			status = VSTOR_STATUS_INVALID_DEVICE_STATE;
			break;
		}
		memset(&p->properties, 0, sizeof(p->properties));
		if (s->version >= VMSTOR_PROTO_VERSION_WIN8 && s->max_sub) {
			p->properties.max_channel_cnt = (uint16_t)s->max_sub;
			p->properties.flags = STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL;
		}
		p->properties.max_transfer_bytes = STORVSP_MAX_TRANSFER;
		s->state = SV_END;
		break;
	case VSTOR_OPERATION_END_INITIALIZATION:
		if (c != s->primary || s->state != SV_END)
			status = VSTOR_STATUS_INVALID_DEVICE_STATE;
		else
			s->state = SV_READY;
		break;
	case VSTOR_OPERATION_CREATE_SUB_CHANNELS:
		if (c != s->primary || s->state < SV_END || s->subchannels_made || s->version < VMSTOR_PROTO_VERSION_WIN8) {
			status = VSTOR_STATUS_INVALID_DEVICE_STATE;
		} else if (p->sub_channel_count > s->max_sub) {
			status = VSTOR_STATUS_INVALID_PARAMETER;
		} else {
			for (unsigned i = 1; i <= p->sub_channel_count; i++) {
				if (vmbus_device_add_subchannel(s->dev, (uint16_t)i) < 0) {
					status = VSTOR_STATUS_INVALID_DEVICE_STATE;
					break;
				}
			}
			s->subchannels_made = true;
		}
		break;
	case VSTOR_OPERATION_RESET_LUN:
	case VSTOR_OPERATION_RESET_ADAPTER:
	case VSTOR_OPERATION_RESET_BUS:
		/* Nothing is queued that could be abandoned: every request completes. */
		if (s->state != SV_READY)
			status = VSTOR_STATUS_INVALID_DEVICE_STATE;
		break;
	default:
		s->pkts_bad++;
		log_warn_limited(&s->op_bad_rl, "storvsp %u: unknown operation %u", s->controller, p->operation);
		status = VSTOR_STATUS_INVALID_DEVICE_REQUEST;
		break;
	}
	if (reply)
		reply_status(c, trans_id, p, size, status);
}

static void handle_packet(struct storvsp_chan *c, const uint8_t *buf, uint32_t len)
{
	/* One GPA range, as the guest drivers send: the request's data buffer. */
	static const struct vmbus_pkt_limits limits = {
		.max_ranges = 1,
		.max_pages = STORVSP_MAX_PAGES,
		.max_bytes = STORVSP_MAX_PAGES * GMEM_PAGE_SIZE,
	};
	struct storvsp *s = c->s;
	struct vmbus_pkt d;
	struct vstor_packet p;
	uint32_t size;
	const char *bad = NULL;
	bool reply;
	int r;

	r = vmbus_pkt_parse(buf, len, s->mem, NULL, &limits, c->iov, STORVSP_MAX_PAGES, &d);
	reply = d.flags & VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED;
	if (d.type != VM_PKT_DATA_INBAND && d.type != VM_PKT_DATA_USING_GPA_DIRECT)
		bad = "not a data packet";
	else if (r < 0)
		bad = d.bad;
	size = d.data_len < VSTOR_PACKET_SIZE ? d.data_len : VSTOR_PACKET_SIZE;
	memset(&p, 0, sizeof(p));
	if (size)
		memcpy(&p, d.data, size);
	if (!bad && size < offsetof(struct vstor_packet, vm_srb))
		bad = "shorter than a vstor packet";
	if (!bad && p.operation == VSTOR_OPERATION_EXECUTE_SRB && size < vstor_size(s))
		bad = "SCSI request shorter than the protocol version's";
	if (bad) {
		/* Answered all the same: the guest driver waits for every answer forever. */
		s->pkts_bad++;
		log_warn_limited(&s->pkt_bad_rl, "storvsp %u: malformed packet (type %u, %u bytes): %s",
				 s->controller, d.type, len, bad);
		if (p.operation == VSTOR_OPERATION_EXECUTE_SRB)
			srb_refuse(c, d.trans_id, reply, &p.vm_srb, SRB_STATUS_INVALID_REQUEST,
				   VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		else if (reply)
			reply_status(c, d.trans_id, &p, (uint32_t)vstor_size(s), VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		return;
	}
	if (p.operation == VSTOR_OPERATION_EXECUTE_SRB) {
		/* Refused whole: an answer of the version's size that moved no data. */
		if (s->state != SV_READY)
			srb_refuse(c, d.trans_id, reply, &p.vm_srb, SRB_STATUS_INVALID_REQUEST,
				   VSTOR_STATUS_INVALID_DEVICE_STATE);
		else
			execute_srb(c, d.trans_id, reply, &p.vm_srb, &d);
		return;
	}
	/* Before a version is agreed the answer has the size of the question; after, the
	 * size of the version (Windows checks it exactly). */
	handle_control(c, d.trans_id, reply, &p, s->version ? (uint32_t)vstor_size(s) : size);
}

/* Read and start everything the guest queued; false if stopped before the ring was
 * empty (no room for completions, or too many requests in flight). */
static bool storvsp_process(struct storvsp_chan *c)
{
	struct storvsp *s = c->s;
	bool drained = true;
	uint32_t len;
	int r;

	chan_hold(c);
	if (!flush_backlog(c)) {
		chan_release(c);
		return false;
	}
	for (unsigned i = 0; i < STORVSP_MAX_LUNS; i++)
		if (s->luns[i].disk)
			scsi_disk_plug(s->luns[i].disk);
	while (c->open) {
		if (c->inflight >= STORVSP_MAX_INFLIGHT || c->backlog) {
			c->throttled = c->inflight >= STORVSP_MAX_INFLIGHT;
			drained = false;
			break;
		}
		r = vmbus_chan_recv(c->ch, c->buf, sizeof(c->buf), &len);
		if (r == -EAGAIN)
			break;
		if (r == -EMSGSIZE) {
			vmbus_chan_fail(c->ch, "packet larger than any vstor request");
			break;
		}
		if (r < 0)
			break;
		handle_packet(c, c->buf, len);
	}
	if (c->open)
		vmbus_chan_recv_done(c->ch);
	for (unsigned i = 0; i < STORVSP_MAX_LUNS; i++)
		if (s->luns[i].disk)
			scsi_disk_unplug(s->luns[i].disk);
	chan_release(c);
	return drained;
}

static bool sv_notify(struct vmbus_channel *ch, void *opaque)
{
	(void)opaque;
	return storvsp_process(vmbus_chan_priv(ch));
}

static int sv_open(struct vmbus_channel *ch, void *opaque)
{
	struct storvsp *s = opaque;
	struct storvsp_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->s = s;
	c->ch = ch;
	c->open = true;
	vmbus_chan_set_priv(ch, c);
	if (vmbus_chan_subchannel(ch) == 0) {
		s->primary = c;
		s->state = SV_BEGIN;
		s->version = 0;
		s->subchannels_made = false;
	}
	return 0;
}

/*
 * The guest may free its buffers once the channel is closed: no I/O may still write
 * into them, so every request in flight finishes first. The close comes from the loop
 * (the guest's CLOSECHANNEL, or after storvsp or the ring failed the channel), outside
 * storvsp's frames; should it come inside one, possibly a disk's completion, waiting
 * for the disk there would never end: the requests then finish on their own,
 * unanswered, and the last one frees the channel.
 */
static void sv_close(struct vmbus_channel *ch, void *opaque)
{
	struct storvsp *s = opaque;
	struct storvsp_chan *c = vmbus_chan_priv(ch);

	if (!c)
		return;
	c->open = false;
	if (c == s->primary) {
		/* The next open starts the protocol over (hibernation resume, reboot). */
		s->primary = NULL;
		s->state = SV_BEGIN;
		s->version = 0;
		s->subchannels_made = false;
	}
	vmbus_chan_set_priv(ch, NULL);
	chan_hold(c);
	if (c->busy == 1)
		for (unsigned i = 0; i < STORVSP_MAX_LUNS && c->inflight; i++)
			if (s->luns[i].disk)
				scsi_disk_drain(s->luns[i].disk);
	c->closed = true;
	chan_release(c);
}

static const struct vmbus_dev_ops storvsp_ops = {
	.open = sv_open,
	.close = sv_close,
	.notify = sv_notify,
};

struct storvsp *storvsp_new(struct vmbus *bus, const struct gmem *mem, unsigned controller,
			    unsigned max_subchannels)
{
	struct storvsp *s = calloc(1, sizeof(*s));
	struct vmbus_offer o = {
		.max_pkt = 16 + VSTOR_PACKET_SIZE,	/* what hv_storvsc reads per packet */
		.name = "storvsc",
	};

	if (!s)
		return NULL;
	s->mem = mem;
	s->controller = controller;
	s->max_sub = max_subchannels > VMBUS_MAX_SUBCHANNELS ? VMBUS_MAX_SUBCHANNELS : max_subchannels;
	if (vmbus_guid_parse(STORVSC_SCSI_CLASS, &o.class_id) < 0 ||
	    vmbus_guid_parse(STORVSP_INSTANCE, &o.instance_id) < 0) {
		free(s);
		return NULL;
	}
	/* Controller k is f8b3781a+k-..., the convention Azure's udev rules know. */
	o.instance_id.b[0] = (uint8_t)(o.instance_id.b[0] + controller);
	s->dev = vmbus_device_add(bus, &o, &storvsp_ops, s);
	if (!s->dev) {
		free(s);
		return NULL;
	}
	return s;
}

void storvsp_free(struct storvsp *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < STORVSP_MAX_LUNS; i++) {
		if (s->luns[i].disk)
			scsi_disk_drain(s->luns[i].disk);
		scsi_disk_free(s->luns[i].disk);
	}
	free(s);
}

int storvsp_attach(struct storvsp *s, unsigned lun, struct blk *b, const struct scsi_disk_config *cfg)
{
	struct scsi_disk_config c = *cfg;

	if (lun >= STORVSP_MAX_LUNS)
		return -EINVAL;
	if (s->luns[lun].disk)
		return -EBUSY;
	if (!c.max_transfer || c.max_transfer > STORVSP_MAX_TRANSFER)
		c.max_transfer = STORVSP_MAX_TRANSFER;
	c.owns_backend = true;
	s->luns[lun].disk = scsi_disk_new(b, &c);
	if (!s->luns[lun].disk)
		return errno ? -errno : -ENOMEM;
	send_enumerate(s);
	return 0;
}

int storvsp_change_medium(struct storvsp *s, unsigned lun, struct blk *b, bool force)
{
	if (lun >= STORVSP_MAX_LUNS || !s->luns[lun].disk)
		return -ENOENT;
	return scsi_disk_change_medium(s->luns[lun].disk, b, force);
}

bool storvsp_cd_state(const struct storvsp *s, unsigned lun, struct scsi_cd_state *st)
{
	return lun < STORVSP_MAX_LUNS && s->luns[lun].disk && scsi_disk_cd_state(s->luns[lun].disk, st);
}

int storvsp_detach(struct storvsp *s, unsigned lun)
{
	struct storvsp_lun *l;

	if (lun >= STORVSP_MAX_LUNS || !s->luns[lun].disk)
		return -ENOENT;
	l = &s->luns[lun];
	scsi_disk_drain(l->disk);
	scsi_disk_free(l->disk);
	l->disk = NULL;
	send_enumerate(s);
	return 0;
}

void storvsp_get_stats(struct storvsp *s, struct storvsp_stats *st)
{
	*st = (struct storvsp_stats){
		.version = s->version,
		.requests = s->srbs,
		.errors = s->errors,
		.malformed = s->pkts_bad,
		.bytes_read = s->bytes_read,
		.bytes_written = s->bytes_written,
	};
	for (unsigned i = 0; i < STORVSP_MAX_LUNS; i++)
		st->luns += s->luns[i].disk != NULL;
}

bool storvsp_has_lun(const struct storvsp *s, unsigned lun)
{
	return lun < STORVSP_MAX_LUNS && s->luns[lun].disk;
}

void storvsp_print_stats(struct storvsp *s, FILE *out)
{
	struct storvsp_stats st;

	storvsp_get_stats(s, &st);
	fprintf(out, "  storvsp %u: %u LUNs, protocol 0x%04x, %llu SCSI requests, %llu failed, %llu malformed, "
		     "read %llu MiB, written %llu MiB\n",
		s->controller, st.luns, st.version, (unsigned long long)st.requests, (unsigned long long)st.errors,
		(unsigned long long)st.malformed, (unsigned long long)(st.bytes_read >> 20),
		(unsigned long long)(st.bytes_written >> 20));
}
