/* SPDX-License-Identifier: MIT */
/*
 * storvscc: the guest side of the vstor protocol (storvscc.h), one request at a time.
 * Every packet sent is a 64-byte vstor packet (WIN8 and later); every answer of ours
 * is a completion packet carrying our transaction id, operation COMPLETE_IO.
 */
#include "storvscc.h"

/* No C library in firmware: the compiler's own (gnu-efi provides memcpy/memset). */
#define sc_copy(d, s, n)	__builtin_memcpy((d), (s), (n))
#define sc_zero(d, n)		__builtin_memset((d), 0, (n))

#define VSTOR_HDR		12u	/* operation, flags, status */
#define RECV_CAP		256u	/* larger than any packet the host has reason to send */

/* What the host answered to one request. */
struct answer {
	struct vstor_packet p;		/* zero-padded */
	uint32_t len;			/* payload bytes */
};

static int fail(struct storvscc *s, int r)
{
	if (r == VMBUSC_EIO || r == VMBUSC_ETIMEDOUT)
		s->broken = true;
	return r;
}

/* In band from the host: ENUMERATE_BUS asks for a rescan; the rest (REMOVE_DEVICE
 * and the like) matters only to an OS driver. */
static void unsolicited(struct storvscc *s, const struct vmbusc_packet *pk, const uint8_t *buf)
{
	if (pk->type == VM_PKT_DATA_INBAND && pk->len >= VSTOR_HDR) {
		uint32_t op;

		sc_copy(&op, buf, sizeof(op));
		if (op == VSTOR_OPERATION_ENUMERATE_BUS) {
			s->enumerates++;
			s->rescan = true;
			return;
		}
	}
	s->skipped++;
}

/*
 * Waits for the completion of trans_id: packets that are not completions (the host's
 * ENUMERATE_BUS, anything in band) are skipped; a completion of any other id is the
 * host breaking the protocol, since only one request is ever outstanding.
 */
static int wait_completion(struct storvscc *s, uint64_t trans_id, uint32_t min_len, struct answer *a,
			   uint32_t timeout_us)
{
	uint64_t start = vmbusc_now_us(s->bus);
	uint8_t buf[RECV_CAP];

	for (;;) {
		struct vmbusc_packet pk;
		int r = vmbusc_recv_wait(s->bus, s->chan, &pk, buf, sizeof(buf), start, timeout_us);

		if (r < 0)
			return fail(s, r);
		if (pk.len > sizeof(buf))
			return fail(s, VMBUSC_EIO);
		if (pk.type != VM_PKT_COMP) {
			unsolicited(s, &pk, buf);
			continue;
		}
		if (pk.trans_id != trans_id || pk.len < min_len)
			return fail(s, VMBUSC_EIO);
		sc_zero(&a->p, sizeof(a->p));
		sc_copy(&a->p, buf, pk.len < sizeof(a->p) ? pk.len : sizeof(a->p));
		a->len = pk.len;
		if (a->p.operation != VSTOR_OPERATION_COMPLETE_IO)
			return fail(s, VMBUSC_EIO);
		return 0;
	}
}

/* One control operation in band; its answer's status in *status. */
static int control(struct storvscc *s, const struct vstor_packet *p, uint32_t min_len, struct answer *a,
		   uint32_t *status, uint32_t timeout_us)
{
	uint64_t id;
	int r;

	if (s->broken)
		return VMBUSC_EIO;
	id = s->next_trans++;
	r = vmbusc_send(s->chan, id, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, p, VSTOR_PACKET_SIZE);
	if (r < 0)
		return fail(s, r == VMBUSC_EAGAIN ? VMBUSC_EIO : r);	/* the ring is empty here */
	r = wait_completion(s, id, min_len, a, timeout_us);
	if (r < 0)
		return r;
	*status = a->p.status;
	return 0;
}

/* A control operation that must succeed. */
static int control_ok(struct storvscc *s, uint32_t op, uint32_t min_len, struct answer *a, uint32_t timeout_us)
{
	struct vstor_packet p;
	uint32_t status;
	int r;

	sc_zero(&p, sizeof(p));
	p.operation = op;
	p.flags = VSTOR_REQUEST_COMPLETION_FLAG;
	r = control(s, &p, min_len, a, &status, timeout_us);
	if (r < 0)
		return r;
	return status == VSTOR_STATUS_SUCCESS ? 0 : VMBUSC_EIO;
}

int storvscc_init(struct storvscc *s, struct vmbusc *bus, struct vmbusc_chan *chan, void *bounce,
		  uint64_t bounce_gpa, uint32_t bounce_size, uint32_t timeout_us)
{
	/* Linux's storvsc order: the newest first, nothing before WIN8. */
	static const uint16_t versions[] = {
		VMSTOR_PROTO_VERSION_WIN10,
		VMSTOR_PROTO_VERSION_WIN8_1,
		VMSTOR_PROTO_VERSION_WIN8,
	};
	struct answer a;
	int r;

	if (!s || !bus || !chan || !bounce || (bounce_gpa & 0xfff) || ((uintptr_t)bounce & 0xfff) ||
	    bounce_size < STORVSCC_MIN_TRANSFER)
		return VMBUSC_EINVAL;
	sc_zero(s, sizeof(*s));
	s->bus = bus;
	s->chan = chan;
	s->bounce = bounce;
	s->bounce_gpa = bounce_gpa;
	s->bounce_size = bounce_size;
	s->next_trans = 1;

	r = control_ok(s, VSTOR_OPERATION_BEGIN_INITIALIZATION, VSTOR_HDR, &a, timeout_us);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < sizeof(versions) / sizeof(versions[0]) && !s->version; i++) {
		struct vstor_packet p;
		uint32_t status;

		sc_zero(&p, sizeof(p));
		p.operation = VSTOR_OPERATION_QUERY_PROTOCOL_VERSION;
		p.flags = VSTOR_REQUEST_COMPLETION_FLAG;
		p.version.major_minor = versions[i];
		p.version.revision = 0;
		r = control(s, &p, VSTOR_HDR, &a, &status, timeout_us);
		if (r < 0)
			return r;
		if (status == VSTOR_STATUS_SUCCESS)
			s->version = versions[i];
	}
	if (!s->version)
		return VMBUSC_EIO;
	r = control_ok(s, VSTOR_OPERATION_QUERY_PROPERTIES,
		       VSTOR_HDR + (uint32_t)sizeof(struct vmstorage_channel_properties), &a, timeout_us);
	if (r < 0)
		return r;
	s->host_max_transfer = a.p.properties.max_transfer_bytes;
	if (s->host_max_transfer < STORVSCC_MIN_TRANSFER)
		return VMBUSC_EIO;
	s->max_transfer = s->host_max_transfer < bounce_size ? s->host_max_transfer : bounce_size;
	r = control_ok(s, VSTOR_OPERATION_END_INITIALIZATION, VSTOR_HDR, &a, timeout_us);
	if (r < 0)
		return r;
	s->ready = true;
	return 0;
}

int storvscc_open(struct storvscc *s, struct vmbusc *bus, const struct vmbusc_offer *offer, void *bounce,
		  uint64_t bounce_gpa, uint32_t bounce_size, uint32_t timeout_us)
{
	struct vmbusc_chan *chan;
	int r;

	if (!s || !bus || !offer)
		return VMBUSC_EINVAL;
	r = vmbusc_open(bus, offer, STORVSCC_RING_PAGES, timeout_us, &chan);
	if (r < 0)
		return r;
	r = storvscc_init(s, bus, chan, bounce, bounce_gpa, bounce_size, timeout_us);
	if (r < 0) {
		vmbusc_close(chan, timeout_us);
		if (s)
			s->chan = NULL;
		return r;
	}
	return 0;
}

void storvscc_close(struct storvscc *s, uint32_t timeout_us)
{
	if (!s || !s->chan)
		return;
	vmbusc_close(s->chan, timeout_us);
	s->chan = NULL;
	s->ready = false;
	s->broken = true;
}

int storvscc_execute(struct storvscc *s, struct storvscc_srb *r, uint32_t timeout_us)
{
	struct vstor_packet p;
	struct vmscsi_request *srb = &p.vm_srb;
	const struct vmscsi_request *done;
	struct answer a;
	uint64_t id;
	uint32_t sense_len;
	int rc;

	if (!s || !r)
		return VMBUSC_EINVAL;
	r->srb_status = 0;
	r->scsi_status = 0;
	r->transferred = 0;
	r->sense_len = 0;
	if (s->broken || !s->ready)
		return VMBUSC_EIO;
	if (r->cdb_len == 0 || r->cdb_len > sizeof(r->cdb) || r->lun >= STORVSCC_MAX_LUNS ||
	    (r->len && (!r->data || (r->dir != STORVSCC_DIR_IN && r->dir != STORVSCC_DIR_OUT))) ||
	    (!r->len && r->dir != STORVSCC_DIR_NONE))
		return VMBUSC_EINVAL;
	if (r->len > s->max_transfer) {
		r->transferred = s->max_transfer;
		return STORVSCC_E2BIG;
	}

	sc_zero(&p, sizeof(p));
	p.operation = VSTOR_OPERATION_EXECUTE_SRB;
	p.flags = VSTOR_REQUEST_COMPLETION_FLAG;
	srb->length = (uint16_t)sizeof(*srb);
	srb->port_number = 0;
	srb->path_id = 0;
	srb->target_id = 0;
	srb->lun = r->lun;
	srb->cdb_length = r->cdb_len;
	sc_copy(srb->cdb, r->cdb, r->cdb_len);
	srb->sense_info_length = VMSCSI_SENSE_BUFFER_SIZE;
	srb->data_in = r->dir;
	srb->data_transfer_length = r->len;

	id = s->next_trans++;
	if (r->len) {
		if (r->dir == STORVSCC_DIR_OUT)
			sc_copy(s->bounce, r->data, r->len);
		rc = vmbusc_send_gpa(s->chan, id, &p, VSTOR_PACKET_SIZE, s->bounce_gpa, r->len);
	} else {
		rc = vmbusc_send(s->chan, id, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, &p, VSTOR_PACKET_SIZE);
	}
	if (rc < 0)
		return rc == VMBUSC_EAGAIN || rc == VMBUSC_EINVAL ? rc : fail(s, rc);

	rc = wait_completion(s, id, VSTOR_PACKET_SIZE, &a, timeout_us);
	if (rc < 0)
		return rc;
	done = &a.p.vm_srb;
	/* The answer must be about this request and make sense for it. */
	if (done->data_transfer_length > r->len || done->sense_info_length > VMSCSI_SENSE_BUFFER_SIZE)
		return fail(s, VMBUSC_EIO);
	r->srb_status = done->srb_status;
	r->scsi_status = done->scsi_status;
	if ((done->srb_status & 0x3f) == SRB_STATUS_SUCCESS) {
		if (a.p.status != VSTOR_STATUS_SUCCESS)
			return fail(s, VMBUSC_EIO);
		r->transferred = done->data_transfer_length;
	}
	if (r->transferred && r->dir == STORVSCC_DIR_IN)
		sc_copy(r->data, s->bounce, r->transferred);
	sense_len = done->sense_info_length;
	if ((done->srb_status & SRB_STATUS_AUTOSENSE_VALID) && done->scsi_status == STORVSCC_SCSI_CHECK_CONDITION &&
	    sense_len) {
		sc_copy(r->sense, done->sense_data, sense_len);
		r->sense_len = (uint8_t)sense_len;
	}
	return 0;
}

int storvscc_poll(struct storvscc *s)
{
	uint8_t buf[RECV_CAP];

	if (!s)
		return VMBUSC_EINVAL;
	if (s->broken || !s->ready)
		return VMBUSC_EIO;
	for (unsigned n = 0; n < VMBUSC_POLL_MAX; n++) {
		struct vmbusc_packet pk;
		int r = vmbusc_recv(s->chan, &pk, buf, sizeof(buf));

		if (r < 0 || (r > 0 && pk.len > sizeof(buf)))
			return fail(s, VMBUSC_EIO);
		if (r == 0)
			return 0;
		/* nothing of ours is outstanding: a completion now is the host's error */
		if (pk.type == VM_PKT_COMP)
			return fail(s, VMBUSC_EIO);
		unsolicited(s, &pk, buf);
	}
	return 0;
}

int storvscc_reset(struct storvscc *s, uint32_t op, uint32_t timeout_us)
{
	struct answer a;

	if (!s || (op != VSTOR_OPERATION_RESET_LUN && op != VSTOR_OPERATION_RESET_ADAPTER))
		return VMBUSC_EINVAL;
	if (s->broken || !s->ready)
		return VMBUSC_EIO;
	return control_ok(s, op, VSTOR_HDR, &a, timeout_us);
}

static void add_lun(struct storvscc *s, unsigned lun)
{
	unsigned i;

	if (lun >= STORVSCC_MAX_LUNS || storvscc_has_lun(s, lun) || s->nluns >= STORVSCC_MAX_LUNS)
		return;
	for (i = s->nluns; i > 0 && s->luns[i - 1] > lun; i--)
		s->luns[i] = s->luns[i - 1];
	s->luns[i] = (uint8_t)lun;
	s->nluns++;
}

bool storvscc_has_lun(const struct storvscc *s, unsigned lun)
{
	for (unsigned i = 0; i < s->nluns; i++)
		if (s->luns[i] == lun)
			return true;
	return false;
}

void storvscc_srb_init(struct storvscc_srb *r, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, uint8_t dir,
		       void *data, uint32_t len)
{
	sc_zero(r, sizeof(*r));
	r->lun = lun;
	r->cdb_len = cdb_len;
	sc_copy(r->cdb, cdb, cdb_len < sizeof(r->cdb) ? cdb_len : sizeof(r->cdb));
	r->dir = dir;
	r->data = data;
	r->len = len;
}

/* REPORT LUNS at LUN 0 (the target answers it): 1 if it did, 0 if not. */
static int report_luns(struct storvscc *s, uint32_t timeout_us)
{
	uint8_t list[8 + 8 * STORVSCC_MAX_LUNS];
	const uint8_t cdb[12] = {
		0xa0, 0, 0, 0, 0, 0,	/* REPORT LUNS, select report 0 */
		(uint8_t)(sizeof(list) >> 24), (uint8_t)(sizeof(list) >> 16), (uint8_t)(sizeof(list) >> 8),
		(uint8_t)sizeof(list),
	};
	struct storvscc_srb r;
	uint32_t n;
	int rc;

	if (sizeof(list) > s->max_transfer)
		return 0;
	storvscc_srb_init(&r, 0, cdb, sizeof(cdb), STORVSCC_DIR_IN, list, sizeof(list));
	rc = storvscc_execute(s, &r, timeout_us);
	if (rc < 0)
		return rc;
	if ((r.srb_status & 0x3f) != SRB_STATUS_SUCCESS || r.scsi_status != 0 || r.transferred < 8)
		return 0;
	n = (uint32_t)list[0] << 24 | (uint32_t)list[1] << 16 | (uint32_t)list[2] << 8 | list[3];
	if (n % 8)
		return 0;
	if (n > r.transferred - 8)
		n = (r.transferred - 8) & ~7u;	/* the rest did not fit: what came */
	for (uint32_t off = 8; off < 8 + n; off += 8) {
		const uint8_t *e = &list[off];
		unsigned method = e[0] >> 6;

		/* Single level, peripheral (00b) or flat (01b) addressing. */
		if ((method == 0 || method == 1) && !(e[2] | e[3] | e[4] | e[5] | e[6] | e[7]))
			add_lun(s, (unsigned)(e[0] & 0x3f) << 8 | e[1]);
	}
	return 1;
}

int storvscc_discover(struct storvscc *s, uint32_t timeout_us)
{
	int rc;

	if (!s)
		return VMBUSC_EINVAL;
	s->nluns = 0;
	rc = report_luns(s, timeout_us);
	if (rc < 0)
		return rc;
	/* An ENUMERATE_BUS the host sent before its answer is in the answer (the ring
	 * keeps the order): only one after it asks for another look. */
	if (rc > 0) {
		s->rescan = false;
		return 0;
	}
	/* No list: ask each LUN what it is. */
	for (unsigned lun = 0; lun < STORVSCC_MAX_LUNS; lun++) {
		uint8_t inq[36];
		const uint8_t cdb[6] = { 0x12, 0, 0, 0, sizeof(inq), 0 };	/* INQUIRY */
		struct storvscc_srb r;

		storvscc_srb_init(&r, (uint8_t)lun, cdb, sizeof(cdb), STORVSCC_DIR_IN, inq, sizeof(inq));
		rc = storvscc_execute(s, &r, timeout_us);
		if (rc < 0)
			return rc;
		if ((r.srb_status & 0x3f) == SRB_STATUS_SUCCESS && r.scsi_status == 0 && r.transferred >= 1 &&
		    (inq[0] >> 5) == 0 && (inq[0] & 0x1f) != 0x1f)
			add_lun(s, lun);
	}
	s->rescan = false;
	return 0;
}
