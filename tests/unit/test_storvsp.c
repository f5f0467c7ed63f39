/* SPDX-License-Identifier: MIT */
/*
 * storvsp, the VMBus SCSI controller, driven as hv_storvsc drives it
 * (storvsc-facts.md): the guest connects to VMBus, opens the controller's channel on a
 * ring GPADL, puts vstor packets into its ring (control operations in band, SCSI
 * requests as GPA-direct page lists) and reads the completions from the host's ring.
 * The disks are real temp files, unlinked at once and reached through /proc/self/fd:
 * what a WRITE puts in the file is read back with pread, what a READ brings is
 * compared in guest RAM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_file.h"
#include "guid.h"
#include "loop.h"
#include "scsi.h"
#include "storvsp.h"
#include "storvsp_proto.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vmbus_internal.h"

#define NVP		2
#define RAM_SIZE	(64ull << 20)
#define MAX_SUB		3
#define BS		512u
#define DISK0_BYTES	(16u << 20)
#define DISK_SMALL	(1u << 20)
#define PAGE		VG_PAGE
#define MAX_PAGES	(STORVSP_MAX_TRANSFER / PAGE + 1)	/* Linux's sg_tablesize */
#define INFLIGHT_MAX	1024	/* storvsp's per-channel limit */

/* Guest RAM: rings from 1 MiB, 512 KiB a slot; data buffers from 16 MiB. */
#define RING_GPA(slot)	(VG_RAM_START + (uint64_t)(slot) * 0x80000ull)
#define RING_SLOTS	24
#define RING_UP		32	/* pages each way, with their control page: 128 KiB as Linux */
#define RING_DN		32
#define BUF_A		0x1000000ull
#define BUF_B		0x1400000ull
#define BUF_C		0x1800000ull
#define BUF_BIG		0x2000000ull	/* 8 MiB for 2 MiB transfers and floods */

#define RQST_INIT	0xfffffffffffffffdull	/* VMBUS_RQST_INIT */
#define RQST_RESET	0xfffffffffffffffcull	/* VMBUS_RQST_RESET */
#define COMP_REQ	VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED
#define DESC		16u

/* vmscsi_request.data_in */
#define DIR_OUT		0
#define DIR_IN		1
#define DIR_NONE	2

_Static_assert(RING_GPA(RING_SLOTS) <= BUF_A, "rings below the buffers");

/* ---- fixture: a controller with three disks ------------------------------------------ */

struct disk {
	int fd;
	char path[64];
	struct blk *blk;	/* the controller's while attached */
};

static struct vg g;
static struct storvsp *sv;
static struct disk disks[5];	/* LUN 0, LUN 1, LUN 2 (read-only); 3 and 4 for hot-plug */
static struct vmbus_msg_offer_channel offers[8];
static unsigned pkt_size;	/* vstor packets of the version in use */
static uint64_t next_trans;
static uint32_t next_gpadl;
static unsigned next_slot;

static uint8_t pattern(uint64_t off, uint8_t seed)
{
	return (uint8_t)((off * 0x9e3779b1u) >> 11 ^ off >> 9 ^ seed);
}

static void disk_make(struct disk *d, uint32_t bytes, uint8_t seed)
{
	const char *tmp = getenv("TMPDIR");
	char name[256];
	uint8_t *buf = malloc(bytes);

	ck_assert_ptr_nonnull(buf);
	snprintf(name, sizeof(name), "%s/hvkvm-storvsp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	d->fd = mkstemp(name);
	ck_assert_int_ge(d->fd, 0);
	unlink(name);
	snprintf(d->path, sizeof(d->path), "/proc/self/fd/%d", d->fd);
	for (uint32_t i = 0; i < bytes; i++)
		buf[i] = pattern(i, seed);
	ck_assert_int_eq(pwrite(d->fd, buf, bytes, 0), (ssize_t)bytes);
	free(buf);
	d->blk = NULL;
}

static struct blk *disk_blk(struct disk *d, bool ro)
{
	struct blk *b;
	char err[256];
	int r = blk_open(&b, g.loop, d->path, ro, BLK_CACHE_WRITEBACK, err, sizeof(err));

	ck_assert_msg(r == 0, "%s", err);
	return b;
}

static const struct scsi_disk_config disk_cfg = {
	.serial = "HVKVM-STORVSP",
	.naa_id = 0x600224800000abcdull,
	.write_cache = true,
};

static void setup(void)
{
	vg_init(&g, RAM_SIZE, NVP);
	sv = storvsp_new(g.bus, &g.mem, 0, MAX_SUB);
	ck_assert_ptr_nonnull(sv);
	disk_make(&disks[0], DISK0_BYTES, 0x00);
	disk_make(&disks[1], DISK_SMALL, 0x11);
	disk_make(&disks[2], DISK_SMALL, 0x22);
	disk_make(&disks[3], DISK_SMALL, 0x33);
	disk_make(&disks[4], DISK_SMALL, 0x44);
	for (unsigned i = 0; i < 3; i++) {
		disks[i].blk = disk_blk(&disks[i], i == 2);
		ck_assert_int_eq(storvsp_attach(sv, i, disks[i].blk, &disk_cfg), 0);
	}
	pkt_size = VSTOR_PACKET_SIZE;
	next_trans = 1;
	next_gpadl = 0xe1e10;
	next_slot = 0;
	vg_start(&g);
}

static void teardown(void)
{
	/* The bus closes the channels first: storvsp finishes its I/O there. */
	vg_stop(&g);
	storvsp_free(sv);
	vg_destroy(&g);
	for (unsigned i = 0; i < 5; i++)
		close(disks[i].fd);
}

/* ---- device-side calls, on the loop thread --------------------------------------------- */

struct lcall {
	unsigned lun;
	struct disk *d;
	bool ro;
	int r;
};

static void lc_attach(void *o)
{
	struct lcall *c = o;
	struct blk *b = disk_blk(c->d, c->ro);

	c->r = storvsp_attach(sv, c->lun, b, &disk_cfg);
	if (c->r == 0)
		c->d->blk = b;
	else
		blk_close(b);
}

static void lc_detach(void *o)
{
	struct lcall *c = o;

	c->r = storvsp_detach(sv, c->lun);
}

static int attach(unsigned lun, struct disk *d)
{
	struct lcall c = { .lun = lun, .d = d };

	vg_call(&g, lc_attach, &c);
	return c.r;
}

static int detach(unsigned lun)
{
	struct lcall c = { .lun = lun };

	vg_call(&g, lc_detach, &c);
	return c.r;
}

/* The server's and the back ends' state, read where it changes. */
struct probe {
	uint32_t relid;
	bool open, failed;
	bool dev_closed;		/* storvsp's close ran: it let go of the channel */
	unsigned blk_inflight;		/* all disks */
	char stats[512];
};

static void lc_probe(void *o)
{
	struct probe *p = o;
	struct vmbus_channel *ch = g.bus->chan[p->relid];
	FILE *f = fmemopen(p->stats, sizeof(p->stats) - 1, "w");

	p->open = ch && ch->state == CHAN_OPEN;
	p->failed = ch && ch->failed;
	p->dev_closed = ch && !vmbus_chan_priv(ch);
	p->blk_inflight = 0;
	for (unsigned i = 0; i < 5; i++)
		if (disks[i].blk)
			p->blk_inflight += blk_inflight(disks[i].blk);
	ck_assert_ptr_nonnull(f);
	storvsp_print_stats(sv, f);
	fclose(f);
}

static struct probe probe(uint32_t relid)
{
	struct probe p = { .relid = relid };

	vg_call(&g, lc_probe, &p);
	return p;
}

/* The counter before `what` in storvsp's statistics line. */
static unsigned long long stat_of(uint32_t relid, const char *what)
{
	struct probe p = probe(relid);
	char *at = strstr(p.stats, what);

	ck_assert_msg(at != NULL, "no \"%s\" in \"%s\"", what, p.stats);
	while (at > p.stats && at[-1] == ' ')
		at--;
	while (at > p.stats && at[-1] >= '0' && at[-1] <= '9')
		at--;
	return strtoull(at, NULL, 10);
}

/* ---- the guest's storvsc ----------------------------------------------------------------- */

static uint8_t *gp(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(&g.mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void fill(uint64_t gpa, uint32_t len, uint8_t seed)
{
	uint8_t *p = gp(gpa, len);

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + (i >> 8) * 7 + seed);
}

static bool all_bytes(uint64_t gpa, uint32_t len, uint8_t v)
{
	const uint8_t *p = gp(gpa, len);

	for (uint32_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The guest bytes equal the file's at off. */
static void check_file(struct disk *d, uint64_t off, const uint8_t *data, uint32_t len)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(d->fd, buf, len, (off_t)off), (ssize_t)len);
	ck_assert_msg(memcmp(buf, data, len) == 0, "guest memory and file differ at file offset %llu",
		      (unsigned long long)off);
	free(buf);
}

static void guest_connect(void)
{
	struct vmbus_guid class;

	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, offers, 8), 1);
	ck_assert_int_eq(vmbus_guid_parse(STORVSC_SCSI_CLASS, &class), 0);
	ck_assert_mem_eq(&offers[0].offer.if_type, &class, 16);
	ck_assert_uint_eq(offers[0].offer.sub_channel_index, 0);
}

static void chan_open_pages(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, unsigned up, unsigned dn)
{
	ck_assert_uint_lt(next_slot, RING_SLOTS);
	ck_assert_uint_le(up + dn, 128);
	ck_assert_uint_eq(vg_open(&g, c, o, next_gpadl++, RING_GPA(next_slot++), up, dn, 0), 0);
}

static void chan_open(struct vg_chan *c, const struct vmbus_msg_offer_channel *o)
{
	chan_open_pages(c, o, RING_UP, RING_DN);
}

/* A packet from the host, split. */
struct comp {
	struct vmbus_packet_desc d;
	uint32_t size;			/* payload bytes, padding included */
	struct vstor_packet p;		/* zero-padded */
};

static bool comp_read(struct vg_chan *c, struct comp *r, unsigned ms)
{
	uint8_t buf[256];
	int len = vg_read_wait(c, buf, sizeof(buf), ms);
	uint32_t off;

	memset(r, 0, sizeof(*r));
	if (len < 0)
		return false;
	memcpy(&r->d, buf, DESC);
	off = r->d.offset8 * 8u;
	ck_assert_uint_ge(off, DESC);
	ck_assert_uint_le(off, (uint32_t)len);
	r->size = (uint32_t)len - off;
	memcpy(&r->p, buf + off, r->size < sizeof(r->p) ? r->size : sizeof(r->p));
	return true;
}

/* The next packet is the completion of trans, size bytes of vstor packet, as Linux
 * takes it (storvsc-facts §3.2-3.3). */
static void expect_comp_size(struct vg_chan *c, uint64_t trans, unsigned size, struct comp *r)
{
	ck_assert_msg(comp_read(c, r, VG_TMO), "no completion for request 0x%llx", (unsigned long long)trans);
	ck_assert_uint_eq(r->d.type, VM_PKT_COMP);
	ck_assert_uint_eq(r->d.offset8, 2);
	ck_assert_uint_eq(r->d.len8 * 8u, DESC + size);
	ck_assert_uint_eq(r->d.trans_id, trans);
	ck_assert_uint_eq(r->p.operation, VSTOR_OPERATION_COMPLETE_IO);
	ck_assert_uint_eq(r->p.flags, 0);
}

static void expect_comp(struct vg_chan *c, uint64_t trans, struct comp *r)
{
	expect_comp_size(c, trans, pkt_size, r);
}

static void expect_nothing(struct vg_chan *c)
{
	uint8_t buf[256];

	ck_assert_int_eq(vg_read(c, buf, sizeof(buf)), -1);
}

/* An in-band vstor packet of `size` bytes as storvsc_execute_vstor_op sends it. */
static void vstor_send(struct vg_chan *c, uint64_t trans, uint32_t op, const void *body, uint32_t blen, unsigned size)
{
	uint8_t buf[VSTOR_PACKET_SIZE] = { 0 };
	struct vstor_packet *p = (struct vstor_packet *)buf;

	ck_assert_uint_le(size, sizeof(buf));
	p->operation = op;
	p->flags = VSTOR_REQUEST_COMPLETION_FLAG;
	if (blen)
		memcpy(buf + offsetof(struct vstor_packet, raw), body, blen);
	ck_assert_int_eq(vg_send(c, VM_PKT_DATA_INBAND, COMP_REQ, trans, buf, size), 0);
}

/* One control operation and its answer's status. */
static uint32_t vstor_op_size(struct vg_chan *c, uint32_t op, const void *body, uint32_t blen, unsigned size,
			      unsigned reply_size, struct comp *r)
{
	vstor_send(c, RQST_INIT, op, body, blen, size);
	expect_comp_size(c, RQST_INIT, reply_size, r);
	return r->p.status;
}

static uint32_t vstor_op(struct vg_chan *c, uint32_t op, const void *body, uint32_t blen, struct comp *r)
{
	return vstor_op_size(c, op, body, blen, pkt_size, pkt_size, r);
}

static uint32_t op_version(struct vg_chan *c, uint16_t v, struct comp *r)
{
	struct vmstorage_protocol_version pv = { .major_minor = v };

	return vstor_op(c, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION, &pv, sizeof(pv), r);
}

static uint32_t op_subchannels(struct vg_chan *c, uint16_t n, struct comp *r)
{
	return vstor_op(c, VSTOR_OPERATION_CREATE_SUB_CHANNELS, &n, sizeof(n), r);
}

static uint32_t op(struct vg_chan *c, uint32_t operation)
{
	struct comp r;

	return vstor_op(c, operation, NULL, 0, &r);
}

/* storvsc_channel_init as in Linux 6.1: the versions it knows in its order. */
static struct vmstorage_channel_properties linux_init(struct vg_chan *c)
{
	static const uint16_t versions[] = { VMSTOR_PROTO_VERSION_WIN10, VMSTOR_PROTO_VERSION_WIN8_1,
					     VMSTOR_PROTO_VERSION_WIN8 };
	struct comp r;
	uint32_t st = 1;

	pkt_size = VSTOR_PACKET_SIZE;
	ck_assert_uint_eq(op(c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	for (unsigned i = 0; i < 3 && st; i++) {
		st = op_version(c, versions[i], &r);
		ck_assert(st == 0 || st == VSTOR_STATUS_REVISION_MISMATCH);
	}
	ck_assert_uint_eq(st, 0);
	ck_assert_uint_eq(vstor_op(c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, &r), 0);
	ck_assert_uint_eq(op(c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	return r.p.properties;
}

/* A connected guest with the primary channel open and initialised. */
static void ready(struct vg_chan *c)
{
	guest_connect();
	chan_open(c, &offers[0]);
	linux_init(c);
}

/* ---- SCSI requests ------------------------------------------------------------------------- */

/* The SRB as storvsc_queuecommand fills it (storvsc-facts §2.7). */
static void srb_init(struct vstor_packet *p, uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir,
		     uint32_t xfer)
{
	memset(p, 0, sizeof(*p));
	p->operation = VSTOR_OPERATION_EXECUTE_SRB;
	p->flags = VSTOR_REQUEST_COMPLETION_FLAG;
	p->vm_srb.length = sizeof(struct vmscsi_request);
	p->vm_srb.port_number = 2;
	p->vm_srb.lun = lun;
	p->vm_srb.cdb_length = (uint8_t)cdb_len;
	p->vm_srb.sense_info_length = VMSCSI_SENSE_BUFFER_SIZE;
	p->vm_srb.data_in = dir;
	p->vm_srb.data_transfer_length = xfer;
	memcpy(p->vm_srb.cdb, cdb, cdb_len < 16 ? cdb_len : 16);
	p->vm_srb.queue_tag = 0xff;
	p->vm_srb.queue_action = 0x20;
	p->vm_srb.srb_flags = 0x10a | (dir == DIR_IN ? 0x40 : dir == DIR_OUT ? 0x80 : 0);
	p->vm_srb.time_out_value = 60;
}

static unsigned pfns_of(uint64_t gpa, uint32_t len, uint64_t *pfns)
{
	unsigned n = (unsigned)((gpa % PAGE + len + PAGE - 1) / PAGE);

	for (unsigned i = 0; i < n; i++)
		pfns[i] = gpa / PAGE + i;
	return n;
}

/* Send p with the buffer [gpa, gpa + len) as Linux does: GPA direct with one range
 * when there is data, in band otherwise. Returns the transaction id. */
static uint64_t srb_send(struct vg_chan *c, const struct vstor_packet *p, uint64_t gpa, uint32_t len)
{
	static uint64_t pfns[MAX_PAGES + 8];
	uint64_t trans = next_trans++;

	if (len) {
		unsigned n = pfns_of(gpa, len, pfns);

		ck_assert_uint_le(n, MAX_PAGES + 8);
		ck_assert_int_eq(vg_send_gpa(c, COMP_REQ, trans, (uint32_t)(gpa % PAGE), len, pfns, n, p, pkt_size), 0);
	} else {
		ck_assert_int_eq(vg_send(c, VM_PKT_DATA_INBAND, COMP_REQ, trans, p, pkt_size), 0);
	}
	return trans;
}

/* A SCSI command to a LUN on path 0, target 0, and its completion. */
static struct comp scsi_path(struct vg_chan *c, uint8_t path, uint8_t target, uint8_t lun, const uint8_t *cdb,
			     unsigned cdb_len, uint8_t dir, uint64_t gpa, uint32_t len)
{
	struct vstor_packet p;
	struct comp r;
	uint64_t t;

	srb_init(&p, lun, cdb, cdb_len, dir, len);
	p.vm_srb.path_id = path;
	p.vm_srb.target_id = target;
	t = srb_send(c, &p, gpa, len);
	expect_comp(c, t, &r);
	return r;
}

static struct comp scsi(struct vg_chan *c, uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir,
			uint64_t gpa, uint32_t len)
{
	return scsi_path(c, 0, 0, lun, cdb, cdb_len, dir, gpa, len);
}

static unsigned cdb_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = write ? SCSI_WRITE_10 : SCSI_READ_10;
	scsi_put_be32(cdb + 2, lba);
	scsi_put_be16(cdb + 7, n);
	return 10;
}

static unsigned cdb_rw16(uint8_t *cdb, bool write, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = write ? SCSI_WRITE_16 : SCSI_READ_16;
	scsi_put_be64(cdb + 2, lba);
	scsi_put_be32(cdb + 10, n);
	return 16;
}

static unsigned cdb_inquiry(uint8_t *cdb, uint16_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_INQUIRY;
	scsi_put_be16(cdb + 3, alloc);
	return 6;
}

static unsigned cdb_report_luns(uint8_t *cdb, uint32_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_REPORT_LUNS;
	scsi_put_be32(cdb + 6, alloc);
	return 12;
}

static unsigned cdb_tur(uint8_t *cdb)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_TEST_UNIT_READY;
	return 6;
}

static struct comp tur(struct vg_chan *c, uint8_t lun)
{
	uint8_t cdb[16];

	return scsi(c, lun, cdb, cdb_tur(cdb), DIR_NONE, 0, 0);
}

static struct comp rw10(struct vg_chan *c, uint8_t lun, bool write, uint32_t lba, uint16_t n, uint64_t gpa)
{
	uint8_t cdb[16];

	return scsi(c, lun, cdb, cdb_rw10(cdb, write, lba, n), write ? DIR_OUT : DIR_IN, gpa, n * BS);
}

static void check_good(const struct comp *r, uint32_t xfer)
{
	ck_assert_uint_eq(r->p.status, VSTOR_STATUS_SUCCESS);
	ck_assert_uint_eq(r->p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r->p.vm_srb.scsi_status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(r->p.vm_srb.data_transfer_length, xfer);
	ck_assert_uint_eq(r->p.vm_srb.length, pkt_size - offsetof(struct vstor_packet, vm_srb));
}

/* CHECK CONDITION with autosense: Linux copies the sense if both say so (§4.3). */
static void check_sense(const struct comp *r, uint8_t srb_status, uint8_t key, uint16_t asc)
{
	ck_assert_uint_eq(r->p.status, VSTOR_STATUS_IO_DEVICE_ERROR);
	ck_assert_uint_eq(r->p.vm_srb.srb_status, srb_status | SRB_STATUS_AUTOSENSE_VALID);
	ck_assert_uint_eq(r->p.vm_srb.scsi_status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(r->p.vm_srb.data_transfer_length, 0);
	ck_assert_uint_eq(r->p.vm_srb.sense_info_length,
			  pkt_size == VSTOR_PACKET_SIZE ? VMSCSI_SENSE_BUFFER_SIZE : VMSCSI_SENSE_BUFFER_SIZE_WIN7);
	ck_assert_uint_eq(r->p.vm_srb.sense_data[0], SCSI_SENSE_RESPONSE_CURRENT);
	ck_assert_uint_eq(r->p.vm_srb.sense_data[2] & 0xf, key);
	ck_assert_uint_eq(r->p.vm_srb.sense_data[7], SCSI_SENSE_FIXED_LEN - 8);
	ck_assert_uint_eq(r->p.vm_srb.sense_data[12], SCSI_ASC(asc));
	ck_assert_uint_eq(r->p.vm_srb.sense_data[13], SCSI_ASCQ(asc));
}

/* An SRB refused by the controller itself: no data moved, no sense. */
static void check_refused(const struct comp *r, uint8_t srb_status, uint32_t status)
{
	ck_assert_uint_eq(r->p.status, status);
	ck_assert_uint_eq(r->p.vm_srb.srb_status, srb_status);
	ck_assert_uint_eq(r->p.vm_srb.data_transfer_length, 0);
	ck_assert_msg(!(r->p.vm_srb.srb_status & SRB_STATUS_AUTOSENSE_VALID), "request 0x%llx: SRB status 0x%x",
		      (unsigned long long)r->d.trans_id, r->p.vm_srb.srb_status);
}

/* ---- initialization ------------------------------------------------------------------------ */

START_TEST(test_offer)
{
	struct vmbus_guid inst;

	guest_connect();
	/* Controller 0 is f8b3781a-..., the instance Azure's udev rules know (§1.2). */
	ck_assert_int_eq(vmbus_guid_parse("f8b3781a-1e82-4818-a1c3-63d806ec15bb", &inst), 0);
	ck_assert_mem_eq(&offers[0].offer.if_instance, &inst, 16);
}
END_TEST

/* Linux 6.1's storvsc_channel_init, checked step by step (§3.1). */
START_TEST(test_init_linux)
{
	struct vg_chan c;
	struct comp r;
	uint8_t zero[52] = { 0 };

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION, NULL, 0, &r), 0);
	ck_assert_mem_eq(r.p.raw, zero, sizeof(zero));
	/* 6.2 first: this host takes it */
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN10, &r), 0);
	ck_assert_uint_eq(r.p.version.major_minor, VMSTOR_PROTO_VERSION_WIN10);
	ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, &r), 0);
	ck_assert_uint_eq(r.p.properties.max_channel_cnt, MAX_SUB);
	ck_assert_uint_eq(r.p.properties.flags & STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL, 1);
	/* Linux makes max_sectors and sg_tablesize of it: a whole number of pages */
	ck_assert_uint_eq(r.p.properties.max_transfer_bytes, STORVSP_MAX_TRANSFER);
	ck_assert_uint_eq(r.p.properties.max_transfer_bytes % PAGE, 0);
	ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_END_INITIALIZATION, NULL, 0, &r), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	/* Nothing unasked for: ENUMERATE_BUS is for changes after the start. */
	expect_nothing(&c);
}
END_TEST

/* Every version the host knows, each with its own packet size (§2.1): a Windows guest
 * or the UEFI firmware sends the version's size from the first packet on. */
START_TEST(test_init_each_version)
{
	static const struct {
		uint16_t version;
		unsigned size;
		bool multi;
	} v[] = {
		{ VMSTOR_PROTO_VERSION_WIN10, 64, true }, { VMSTOR_PROTO_VERSION_WIN8_1, 64, true },
		{ VMSTOR_PROTO_VERSION_WIN8, 64, true },  { VMSTOR_PROTO_VERSION_WIN7, 48, false },
		{ VMSTOR_PROTO_VERSION_WIN6, 48, false },
	};
	uint8_t cdb[16];

	guest_connect();
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vg_chan c;
		struct comp r;
		uint32_t lba = 100 + 8 * i;

		/* Closing the primary started the protocol over. */
		chan_open(&c, &offers[0]);
		pkt_size = v[i].size;
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
		ck_assert_uint_eq(op_version(&c, v[i].version, &r), 0);
		ck_assert_uint_eq(vstor_op(&c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, &r), 0);
		ck_assert_uint_eq(r.p.properties.max_channel_cnt, v[i].multi ? MAX_SUB : 0);
		ck_assert_uint_eq(r.p.properties.flags, v[i].multi ? STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL : 0);
		ck_assert_uint_eq(r.p.properties.max_transfer_bytes, STORVSP_MAX_TRANSFER);
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);

		fill(BUF_A, 1024, (uint8_t)i);
		r = rw10(&c, 0, true, lba, 2, BUF_A);
		check_good(&r, 1024);
		ck_assert_uint_eq(r.p.vm_srb.sense_info_length,
				  v[i].size == 64 ? VMSCSI_SENSE_BUFFER_SIZE : VMSCSI_SENSE_BUFFER_SIZE_WIN7);
		check_file(&disks[0], lba * BS, gp(BUF_A, 1024), 1024);
		memset(gp(BUF_B, 1024), 0xee, 1024);
		check_good((struct comp[]){ rw10(&c, 0, false, lba, 2, BUF_B) }, 1024);
		ck_assert_mem_eq(gp(BUF_B, 1024), gp(BUF_A, 1024), 1024);
		/* Sense data fits the version's buffer (18 bytes before Windows 8). */
		r = scsi(&c, 0, cdb, cdb_rw10(cdb, false, DISK0_BYTES / BS, 1), DIR_IN, BUF_B, BS);
		check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
		expect_nothing(&c);
		vg_close(&g, &c);
	}
}
END_TEST

/* The Gen2 UEFI firmware: 48-byte packets until its version is taken, then 64 (§3.3). */
START_TEST(test_init_uefi_sizes)
{
	struct vmstorage_protocol_version pv = { .major_minor = VMSTOR_PROTO_VERSION_WIN8_1 };
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION, NULL, 0, 48, 48, &r), 0);
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION, &pv, sizeof(pv), 48, 48, &r), 0);
	ck_assert_uint_eq(r.p.version.major_minor, VMSTOR_PROTO_VERSION_WIN8_1);
	/* from here on the version's size, whatever the guest sends */
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_QUERY_PROPERTIES, NULL, 0, 48, 64, &r), 0);
	ck_assert_uint_gt(r.p.properties.max_transfer_bytes, 0);
	ck_assert_uint_eq(vstor_op_size(&c, VSTOR_OPERATION_END_INITIALIZATION, NULL, 0, 64, 64, &r), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* A host that refuses a version answers REVISION_MISMATCH and waits for another one,
 * as Linux's loop over its list expects (§3.1). */
START_TEST(test_init_version_refused)
{
	static const uint16_t bad[] = { 0x0603, 0x0700, 0x0601, 0x0502, 0x0500, 0x0401, 0x0100, 0x0000, 0xffff };
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_uint_eq(op_version(&c, bad[i], &r), VSTOR_STATUS_REVISION_MISMATCH);
	/* still no version: the next steps are out of order */
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN8_1, &r), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Each step only in its place; a refused step changes nothing (§3.4). */
START_TEST(test_init_out_of_order)
{
	static const uint32_t all[] = {
		VSTOR_OPERATION_BEGIN_INITIALIZATION, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION,
		VSTOR_OPERATION_QUERY_PROPERTIES,     VSTOR_OPERATION_END_INITIALIZATION,
		VSTOR_OPERATION_CREATE_SUB_CHANNELS,  VSTOR_OPERATION_RESET_BUS,
		VSTOR_OPERATION_RESET_LUN,	      VSTOR_OPERATION_RESET_ADAPTER,
	};
	struct vg_chan c;
	struct vstor_packet p;
	struct comp r;
	uint8_t cdb[16];
	uint64_t t;

	guest_connect();
	chan_open(&c, &offers[0]);
	/* Before BEGIN: all but BEGIN refused. */
	for (unsigned i = 1; i < sizeof(all) / sizeof(all[0]); i++)
		ck_assert_uint_eq(op(&c, all[i]), VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* A READ before initialization: refused, nothing written, no bytes claimed. */
	memset(gp(BUF_B, 4096), 0xee, 4096);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 8), DIR_IN, 4096);
	t = srb_send(&c, &p, BUF_B, 4096);
	expect_comp(&c, t, &r);
	ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_ne(r.p.vm_srb.srb_status & 0x3f, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r.p.vm_srb.data_transfer_length, 0);
	ck_assert(all_bytes(BUF_B, 4096, 0xee));

	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN10, &r), 0);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN10, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_RESET_BUS), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), VSTOR_STATUS_INVALID_DEVICE_STATE);
	r = tur(&c, 0);
	ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_ne(r.p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	/* Ready: the initialization steps are over. */
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(op(&c, all[i]), VSTOR_STATUS_INVALID_DEVICE_STATE);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	memset(gp(BUF_B, 4096), 0xee, 4096);
	check_good((struct comp[]){ rw10(&c, 0, false, 0, 8, BUF_B) }, 4096);
	check_file(&disks[0], 0, gp(BUF_B, 4096), 4096);
}
END_TEST

/* The reset operations: nothing is queued that could be dropped, so they succeed once
 * the controller is ready; Linux's RESET_BUS has its own transaction id (§3.2). */
START_TEST(test_reset_ops)
{
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned resets = 0, reads = 0;

	ready(&c);
	/* with I/O in flight: the reset is answered and every request still completes */
	c.quiet = true;
	for (unsigned i = 0; i < 8; i++) {
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 8 * i, 8), DIR_IN, 4096);
		srb_send(&c, &p, BUF_B + i * 4096ull, 4096);
	}
	vstor_send(&c, RQST_RESET, VSTOR_OPERATION_RESET_BUS, NULL, 0, pkt_size);
	vg_signal(&c);
	c.quiet = false;
	for (unsigned i = 0; i < 9; i++) {
		ck_assert(comp_read(&c, &r, VG_TMO));
		ck_assert_uint_eq(r.d.type, VM_PKT_COMP);
		if (r.d.trans_id == RQST_RESET) {
			ck_assert_uint_eq(r.p.status, 0);
			resets++;
		} else {
			check_good(&r, 4096);
			reads++;
		}
	}
	ck_assert_uint_eq(resets, 1);
	ck_assert_uint_eq(reads, 8);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_RESET_LUN), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_RESET_ADAPTER), 0);
	expect_nothing(&c);
}
END_TEST

/* ---- SCSI I/O ------------------------------------------------------------------------------- */

/* WRITE(10) then READ(10), each buffer on pages scattered in RAM, starting inside its
 * first page, as blk-mq hands them to storvsc (§4.1). */
START_TEST(test_rw10_scattered_pages)
{
	const uint64_t wp[3] = { BUF_A / PAGE + 5, BUF_A / PAGE + 1, BUF_A / PAGE + 9 };
	const uint64_t rp[4] = { BUF_B / PAGE + 7, BUF_B / PAGE + 3, BUF_B / PAGE + 12, BUF_B / PAGE + 0 };
	const uint32_t len = 20 * BS, woff = 0x200, roff = 0xa00;
	uint8_t data[20 * BS], cdb[16];
	struct vstor_packet p;
	struct vg_chan c;
	struct comp r;
	uint32_t done;
	uint64_t t;

	ready(&c);
	/* the guest's buffer: 3584 bytes of page 5, all of page 1, 2560 bytes of page 9 */
	for (unsigned i = 0; i < 3; i++)
		memset(gp(wp[i] * PAGE, PAGE), 0xcc, PAGE);
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	done = 0;
	for (unsigned i = 0; i < 3; i++) {
		uint32_t start = i ? 0 : woff, n = PAGE - start < len - done ? PAGE - start : len - done;

		memcpy(gp(wp[i] * PAGE + start, n), data + done, n);
		done += n;
	}
	srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 33, 20), DIR_OUT, len);
	t = next_trans++;
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, t, woff, len, wp, 3, &p, pkt_size), 0);
	expect_comp(&c, t, &r);
	check_good(&r, len);
	check_file(&disks[0], 33 * BS, data, len);
	/* neighbours in the file untouched */
	{
		uint8_t before[BS], after[BS], want[BS];

		ck_assert_int_eq(pread(disks[0].fd, before, BS, 32 * BS), BS);
		ck_assert_int_eq(pread(disks[0].fd, after, BS, 53 * BS), BS);
		for (unsigned i = 0; i < BS; i++)
			want[i] = pattern(32 * BS + i, 0);
		ck_assert_mem_eq(before, want, BS);
		for (unsigned i = 0; i < BS; i++)
			want[i] = pattern(53 * BS + i, 0);
		ck_assert_mem_eq(after, want, BS);
	}

	/* READ(10) into 1536 bytes of page 7, pages 3 and 12, 512 bytes of page 0 */
	for (unsigned i = 0; i < 4; i++)
		memset(gp(rp[i] * PAGE, PAGE), 0xcc, PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 33, 20), DIR_IN, len);
	t = next_trans++;
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, t, roff, len, rp, 4, &p, pkt_size), 0);
	expect_comp(&c, t, &r);
	check_good(&r, len);
	done = 0;
	for (unsigned i = 0; i < 4; i++) {
		uint32_t start = i ? 0 : roff, n = PAGE - start < len - done ? PAGE - start : len - done;

		ck_assert_mem_eq(gp(rp[i] * PAGE + start, n), data + done, n);
		done += n;
	}
	ck_assert_uint_eq(done, len);
	/* not a byte outside the buffer */
	ck_assert(all_bytes(rp[0] * PAGE, roff, 0xcc));
	ck_assert(all_bytes(rp[3] * PAGE + 512, PAGE - 512, 0xcc));
}
END_TEST

/* READ(16)/WRITE(16) at the end of the disk and past it. */
START_TEST(test_rw16)
{
	const uint64_t last = DISK0_BYTES / BS - 1;
	const uint64_t gpa = BUF_A + 0x100;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	fill(gpa, 16 * BS, 0x42);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, true, last - 15, 16), DIR_OUT, gpa, 16 * BS);
	check_good(&r, 16 * BS);
	check_file(&disks[0], (last - 15) * BS, gp(gpa, 16 * BS), 16 * BS);
	memset(gp(BUF_B + 0xe00, 16 * BS), 0, 16 * BS);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, false, last - 15, 16), DIR_IN, BUF_B + 0xe00, 16 * BS);
	check_good(&r, 16 * BS);
	ck_assert_mem_eq(gp(BUF_B + 0xe00, 16 * BS), gp(gpa, 16 * BS), 16 * BS);
	/* one block past the end; an LBA above 2^32 */
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, false, last - 14, 16), DIR_IN, BUF_B, 16 * BS);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, true, 1ull << 33, 1), DIR_OUT, gpa, BS);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
}
END_TEST

/* The largest transfer the controller announces, on 513 pages (Linux's sg_tablesize). */
START_TEST(test_max_transfer)
{
	const uint32_t len = STORVSP_MAX_TRANSFER;
	const uint64_t gpa = BUF_BIG + 0x800;
	uint8_t cdb[16];
	uint64_t pfns[MAX_PAGES + 1];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	ck_assert_uint_eq(pfns_of(gpa, len, pfns), MAX_PAGES);
	fill(gpa, len, 0x99);
	r = scsi(&c, 0, cdb, cdb_rw10(cdb, true, 2048, (uint16_t)(len / BS)), DIR_OUT, gpa, len);
	check_good(&r, len);
	check_file(&disks[0], 2048ull * BS, gp(gpa, len), len);
	memset(gp(BUF_B, len), 0, len);
	r = scsi(&c, 0, cdb, cdb_rw16(cdb, false, 2048, len / BS), DIR_IN, BUF_B, len);
	check_good(&r, len);
	ck_assert_mem_eq(gp(BUF_B, len), gp(gpa, len), len);
}
END_TEST

/* Failures the disk reports: the SRB status Linux's error handling expects (§4.4-4.5). */
START_TEST(test_check_condition)
{
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	/* illegal requests: INVALID_REQUEST with autosense */
	r = rw10(&c, 0, false, DISK0_BYTES / BS - 1, 2, BUF_B);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xc5;
	r = scsi(&c, 0, cdb, 6, DIR_NONE, 0, 0);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST,
		    SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	/* the sense replaced the CDB in the answer */
	ck_assert_uint_ne(r.p.vm_srb.sense_data[0], 0xc5);
	/* any other sense key: ERROR with autosense (the write-protected LUN 2) */
	fill(BUF_A, BS, 1);
	r = rw10(&c, 2, true, 0, 1, BUF_A);
	check_sense(&r, SRB_STATUS_ERROR, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* the direction the SRB gives counts: a READ whose data would go out moves nothing */
	memset(gp(BUF_B, BS), 0xee, BS);
	r = scsi(&c, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_OUT, BUF_B, BS);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
	ck_assert(all_bytes(BUF_B, BS, 0xee));
	/* and the controller goes on */
	check_good((struct comp[]){ rw10(&c, 2, false, 0, 1, BUF_B) }, BS);
	check_file(&disks[2], 0, gp(BUF_B, BS), BS);
	ck_assert_uint_ge(stat_of(c.relid, "failed"), 3);
}
END_TEST

/* LUNs without a disk: INQUIRY answers "no LUN here" with real data, anything else
 * SRB_STATUS_INVALID_LUN, the one status that makes Linux drop a LUN (§0.4-0.6). */
START_TEST(test_absent_luns)
{
	static const struct {
		uint8_t path, target, lun;
	} absent[] = {
		{ 0, 0, 5 }, { 0, 0, 63 }, { 0, 0, 64 }, { 0, 0, 255 }, { 1, 0, 0 }, { 7, 0, 0 }, { 0, 1, 0 }, { 0, 1, 1 },
	};
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	memset(gp(BUF_B, 96), 0xee, 96);
	r = scsi(&c, 0, cdb, cdb_inquiry(cdb, 36), DIR_IN, BUF_B, 36);
	check_good(&r, 36);
	ck_assert_uint_eq(gp(BUF_B, 1)[0], SCSI_TYPE_DISK);
	for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		memset(gp(BUF_B, 96), 0xee, 96);
		r = scsi_path(&c, absent[i].path, absent[i].target, absent[i].lun, cdb, cdb_inquiry(cdb, 36), DIR_IN,
			      BUF_B, 36);
		check_good(&r, 36);
		ck_assert_uint_eq(gp(BUF_B, 1)[0], SCSI_TYPE_NO_LUN);
		ck_assert_uint_eq(gp(BUF_B + 36, 1)[0], 0xee);

		r = scsi_path(&c, absent[i].path, absent[i].target, absent[i].lun, cdb, cdb_tur(cdb), DIR_NONE, 0, 0);
		check_refused(&r, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);
		ck_assert_uint_eq(r.p.vm_srb.scsi_status, SCSI_STATUS_CHECK_CONDITION);

		memset(gp(BUF_B, 4096), 0xee, 4096);
		r = scsi_path(&c, absent[i].path, absent[i].target, absent[i].lun, cdb, cdb_rw10(cdb, false, 0, 8),
			      DIR_IN, BUF_B, 4096);
		check_refused(&r, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);
		ck_assert(all_bytes(BUF_B, 4096, 0xee));
	}
}
END_TEST

/* REPORT LUNS is the target's: any LUN of path 0/target 0 lists the disks, in order
 * (§4.5); other targets have none. */
START_TEST(test_report_luns)
{
	static const uint8_t want[32] = { 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					  0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0 };
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	for (uint8_t lun = 0; lun < 12; lun += 3) {
		memset(gp(BUF_B, 4096), 0xee, 4096);
		r = scsi(&c, lun, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_B, 4096);
		check_good(&r, 32);
		ck_assert_mem_eq(gp(BUF_B, 32), want, 32);
	}
	r = scsi_path(&c, 0, 1, 0, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_B, 4096);
	check_good(&r, 8);
	ck_assert(all_bytes(BUF_B, 8, 0));
	r = scsi_path(&c, 2, 0, 0, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_B, 4096);
	check_good(&r, 8);
	/* a short allocation gets the start of the list */
	memset(gp(BUF_B, 64), 0xee, 64);
	r = scsi(&c, 0, cdb, cdb_report_luns(cdb, 16), DIR_IN, BUF_B, 16);
	check_good(&r, 16);
	ck_assert_mem_eq(gp(BUF_B, 16), want, 16);
	ck_assert_uint_eq(gp(BUF_B + 16, 1)[0], 0xee);
}
END_TEST

/* ---- sub-channels -------------------------------------------------------------------------- */

/* CREATE_SUB_CHANNELS: once, on the primary, from Windows 8 on, no more than announced. */
START_TEST(test_subchannel_limits)
{
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN8, &r), 0);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op_subchannels(&c, MAX_SUB + 1, &r), VSTOR_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(op_subchannels(&c, 0xffff, &r), VSTOR_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	/* none offered so far (the ping's answer is the next message) */
	vg_ping(&g);
	/* zero is a valid count, and uses up the one request */
	ck_assert_uint_eq(op_subchannels(&c, 0, &r), 0);
	vg_ping(&g);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	vg_ping(&g);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

START_TEST(test_subchannel_old_versions)
{
	struct vg_chan c;
	struct comp r;

	guest_connect();
	chan_open(&c, &offers[0]);
	pkt_size = VSTOR_PACKET_SIZE_WIN7;
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
	ck_assert_uint_eq(op_version(&c, VMSTOR_PROTO_VERSION_WIN7, &r), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
	ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
	ck_assert_uint_eq(op_subchannels(&c, 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	vg_ping(&g);
}
END_TEST

/* handle_multichannel_storage: sub-channels after END, opened like the primary, I/O on
 * each answered on that channel (§6). */
START_TEST(test_subchannel_io)
{
	struct vg_chan c, sub[MAX_SUB];
	struct vmstorage_channel_properties props;
	struct vstor_packet p;
	uint8_t cdb[16];
	struct comp r;
	union vg_msg m;
	uint64_t t[MAX_SUB + 1];

	guest_connect();
	chan_open(&c, &offers[0]);
	props = linux_init(&c);
	ck_assert_uint_eq(props.max_channel_cnt, MAX_SUB);
	ck_assert_uint_eq(op_subchannels(&c, MAX_SUB, &r), 0);
	for (unsigned i = 0; i < MAX_SUB; i++) {
		vg_expect(&g, CHANNELMSG_OFFERCHANNEL, &m);
		ck_assert_mem_eq(&m.offer.offer.if_type, &offers[0].offer.if_type, 16);
		ck_assert_mem_eq(&m.offer.offer.if_instance, &offers[0].offer.if_instance, 16);
		ck_assert_uint_eq(m.offer.offer.sub_channel_index, i + 1);
		ck_assert_uint_ne(m.offer.child_relid, offers[0].child_relid);
		offers[1 + i] = m.offer;
	}
	vg_ping(&g);
	for (unsigned i = 0; i < MAX_SUB; i++) {
		ck_assert_uint_eq(vg_open(&g, &sub[i], &offers[1 + i], next_gpadl++, RING_GPA(next_slot++), RING_UP,
					  RING_DN, i % NVP),
				  0);
	}
	/* no initialization on a sub-channel: it uses the primary's */
	ck_assert_uint_eq(op(&sub[0], VSTOR_OPERATION_BEGIN_INITIALIZATION), VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_eq(op_subchannels(&sub[1], 1, &r), VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* a write on sub-channel 2, read back on each channel */
	fill(BUF_A, 8192, 0x77);
	check_good((struct comp[]){ rw10(&sub[2], 1, true, 16, 16, BUF_A) }, 8192);
	check_file(&disks[1], 16 * BS, gp(BUF_A, 8192), 8192);
	for (unsigned i = 0; i <= MAX_SUB; i++) {
		struct vg_chan *ch = i ? &sub[i - 1] : &c;

		memset(gp(BUF_B + i * 0x10000ull, 8192), 0, 8192);
		srb_init(&p, 1, cdb, cdb_rw10(cdb, false, 16, 16), DIR_IN, 8192);
		t[i] = srb_send(ch, &p, BUF_B + i * 0x10000ull, 8192);
	}
	for (unsigned i = 0; i <= MAX_SUB; i++) {
		struct vg_chan *ch = i ? &sub[i - 1] : &c;

		expect_comp(ch, t[i], &r);
		check_good(&r, 8192);
		ck_assert_mem_eq(gp(BUF_B + i * 0x10000ull, 8192), gp(BUF_A, 8192), 8192);
		expect_nothing(ch);
	}
	/* a sub-channel closes, the others go on */
	vg_close(&g, &sub[0]);
	check_good((struct comp[]){ tur(&sub[1], 0) }, 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	/* the primary closes: the protocol is over for the sub-channels too */
	vg_close(&g, &c);
	r = tur(&sub[1], 0);
	ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_STATE);
	ck_assert_uint_ne(r.p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
}
END_TEST

/* ---- hot-plug ---------------------------------------------------------------------------- */

static void expect_enumerate(struct vg_chan *c, unsigned size)
{
	struct comp r;

	ck_assert_msg(comp_read(c, &r, VG_TMO), "no ENUMERATE_BUS");
	ck_assert_uint_eq(r.d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(r.d.flags, 0);
	ck_assert_uint_eq(r.d.trans_id, 0);
	ck_assert_uint_eq(r.size, size);
	ck_assert_uint_eq(r.p.operation, VSTOR_OPERATION_ENUMERATE_BUS);
}

static unsigned report_luns(struct vg_chan *c, uint16_t *luns)
{
	uint8_t cdb[16];
	struct comp r = scsi(c, 0, cdb, cdb_report_luns(cdb, 4096), DIR_IN, BUF_C, 4096);
	const uint8_t *p = gp(BUF_C, 4096);
	unsigned n;

	check_good(&r, 8 + scsi_get_be32(p));
	n = scsi_get_be32(p) / 8;
	for (unsigned i = 0; i < n; i++)
		luns[i] = scsi_get_be16(p + 8 + 8 * i);
	return n;
}

/* Disks come and go while the guest runs: ENUMERATE_BUS makes Linux rescan (§5). */
START_TEST(test_hotplug_enumerate)
{
	struct vg_chan c;
	uint16_t luns[64];

	guest_connect();
	chan_open(&c, &offers[0]);
	/* before initialization: the guest scans anyway, nothing is sent */
	ck_assert_int_eq(attach(3, &disks[3]), 0);
	expect_nothing(&c);
	linux_init(&c);
	ck_assert_uint_eq(report_luns(&c, luns), 4);
	ck_assert_uint_eq(luns[3], 3);

	ck_assert_int_eq(detach(3), 0);
	disks[3].blk = NULL;
	expect_enumerate(&c, VSTOR_PACKET_SIZE);
	ck_assert_uint_eq(report_luns(&c, luns), 3);
	check_refused((struct comp[]){ tur(&c, 3) }, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);

	ck_assert_int_eq(attach(9, &disks[3]), 0);
	expect_enumerate(&c, VSTOR_PACKET_SIZE);
	ck_assert_uint_eq(report_luns(&c, luns), 4);
	ck_assert_uint_eq(luns[3], 9);
	check_good((struct comp[]){ rw10(&c, 9, false, 4, 4, BUF_B) }, 2048);
	check_file(&disks[3], 4 * BS, gp(BUF_B, 2048), 2048);

	/* refused changes say nothing */
	ck_assert_int_eq(attach(9, &disks[4]), -EBUSY);
	ck_assert_int_eq(attach(STORVSP_MAX_LUNS, &disks[4]), -EINVAL);
	ck_assert_int_eq(detach(10), -ENOENT);
	ck_assert_int_eq(detach(STORVSP_MAX_LUNS), -ENOENT);
	expect_nothing(&c);
}
END_TEST

/* ENUMERATE_BUS has the negotiated size, and exists from Windows 7 on. */
START_TEST(test_hotplug_old_versions)
{
	struct vg_chan c;
	struct comp r;

	guest_connect();
	for (unsigned i = 0; i < 2; i++) {
		chan_open(&c, &offers[0]);
		pkt_size = VSTOR_PACKET_SIZE_WIN7;
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_BEGIN_INITIALIZATION), 0);
		ck_assert_uint_eq(op_version(&c, i ? VMSTOR_PROTO_VERSION_WIN6 : VMSTOR_PROTO_VERSION_WIN7, &r), 0);
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_QUERY_PROPERTIES), 0);
		ck_assert_uint_eq(op(&c, VSTOR_OPERATION_END_INITIALIZATION), 0);
		ck_assert_int_eq(attach(3, &disks[3]), 0);
		if (i == 0)
			expect_enumerate(&c, VSTOR_PACKET_SIZE_WIN7);
		ck_assert_int_eq(detach(3), 0);
		disks[3].blk = NULL;
		if (i == 0)
			expect_enumerate(&c, VSTOR_PACKET_SIZE_WIN7);
		expect_nothing(&c);
		vg_close(&g, &c);
	}
}
END_TEST

/* A disk removed with I/O in flight: the I/O ends first, then the guest is told. */
START_TEST(test_detach_with_io)
{
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	uint64_t t0 = next_trans;
	bool seen[16] = { false };
	unsigned got = 0, enums = 0;

	ready(&c);
	c.quiet = true;
	for (unsigned i = 0; i < 16; i++) {
		srb_init(&p, 1, cdb, cdb_rw10(cdb, false, 8 * i, 8), DIR_IN, 4096);
		srb_send(&c, &p, BUF_B + i * 4096ull, 4096);
	}
	vg_signal(&c);
	ck_assert_int_eq(detach(1), 0);
	disks[1].blk = NULL;
	ck_assert_uint_eq(probe(c.relid).blk_inflight, 0);
	while (comp_read(&c, &r, 200)) {
		if (r.d.type == VM_PKT_DATA_INBAND) {
			ck_assert_uint_eq(r.p.operation, VSTOR_OPERATION_ENUMERATE_BUS);
			enums++;
			continue;
		}
		unsigned i = (unsigned)(r.d.trans_id - t0);

		ck_assert_uint_lt(i, 16);
		ck_assert(!seen[i]);
		seen[i] = true;
		/* each completed whole, or (not read yet at the detach) found no LUN */
		if (r.p.vm_srb.srb_status == SRB_STATUS_SUCCESS)
			check_file(&disks[1], 8ull * i * BS, gp(BUF_B + i * 4096ull, 4096), 4096);
		else
			check_refused(&r, SRB_STATUS_INVALID_LUN, VSTOR_STATUS_DEVICE_DOES_NOT_EXIST);
		got++;
	}
	ck_assert_uint_eq(got, 16);
	ck_assert_uint_eq(enums, 1);
}
END_TEST

/* ---- hostile guests ---------------------------------------------------------------------- */

/*
 * storvsc waits for every answer forever (storvsc-facts §0.3), so a request storvsp
 * cannot use still gets one when it asks: the controller refuses an SRB with
 * SRB_STATUS_INVALID_REQUEST and moves no data, anything else gets an error status.
 */

/* Shorter than the vstor header, or than the SRB of the version. */
START_TEST(test_short_packets)
{
	uint8_t buf[VSTOR_PACKET_SIZE] = { 0 };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned n = 0;

	ready(&c);
	for (unsigned len = 0; len < 12; len += 4, n++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = VSTOR_OPERATION_EXECUTE_SRB;
		ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x100 + len, buf, len), 0);
		expect_comp(&c, 0x100 + len, &r);
		ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		ck_assert_uint_ne(r.p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
	}
	/* An SRB cut short (the ring pads to 8 bytes): in band, and with a page list whose
	 * pages must stay untouched. */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, 0);
	for (unsigned len = 12; len <= VSTOR_PACKET_SIZE - 8; len += 4, n++) {
		ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x200 + len, &p, len), 0);
		expect_comp(&c, 0x200 + len, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	}
	{
		uint64_t pfn = BUF_B / PAGE;

		memset(gp(BUF_B, PAGE), 0xee, PAGE);
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
		ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x300, 0, BS, &pfn, 1, &p, 47), 0);
		expect_comp(&c, 0x300, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		ck_assert(all_bytes(BUF_B, PAGE, 0xee));
		n++;
	}
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	ck_assert_uint_eq(stat_of(c.relid, "malformed"), n);
}
END_TEST

START_TEST(test_unknown_operations)
{
	static const uint32_t ops[] = { 0, VSTOR_OPERATION_COMPLETE_IO, VSTOR_OPERATION_REMOVE_DEVICE,
					VSTOR_OPERATION_ENUMERATE_BUS, VSTOR_OPERATION_FCHBA_DATA, 14, 0x10000,
					0xffffffffu };
	struct vg_chan c;

	ready(&c);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		ck_assert_uint_eq(op(&c, ops[i]), VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

START_TEST(test_bad_cdb_length)
{
	static const uint8_t lens[] = { 0, 17, 20, 255 };
	struct vg_chan c;
	uint8_t cdb[16];

	ready(&c);
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct vstor_packet p;
		struct comp r;
		uint64_t t;

		memset(gp(BUF_B, 4096), 0xee, 4096);
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 8), DIR_IN, 4096);
		p.vm_srb.cdb_length = lens[i];
		t = srb_send(&c, &p, BUF_B, 4096);
		expect_comp(&c, t, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		ck_assert(all_bytes(BUF_B, 4096, 0xee));
	}
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* data_transfer_length must fit the range the page list describes. */
START_TEST(test_transfer_beyond_page_list)
{
	uint64_t pfns[2] = { BUF_B / PAGE, BUF_B / PAGE + 1 };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	memset(gp(BUF_B, 2 * PAGE), 0xee, 2 * PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 16), DIR_IN, 8192);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x400, 0, 4096, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x400, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* the same through an offset: 4096 bytes from 0x800 need two pages */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 8), DIR_IN, 4096);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x401, 0x800, 2048, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x401, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* a range shorter than its one page */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x403, 0x10, 100, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x403, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	ck_assert(all_bytes(BUF_B, 2 * PAGE, 0xee));
	/* a buffer larger than the transfer is fine: only the transfer is used */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x404, 0x800, 4096, pfns, 2, &p, pkt_size), 0);
	expect_comp(&c, 0x404, &r);
	check_good(&r, BS);
	check_file(&disks[0], 0, gp(BUF_B + 0x800, BS), BS);
	ck_assert(all_bytes(BUF_B + 0x800 + BS, 0x800, 0xee));
}
END_TEST

/* More than max_transfer_bytes, more pages than a request may have. */
START_TEST(test_transfer_too_large)
{
	static uint64_t pfns[2 * MAX_PAGES];
	const uint32_t big = STORVSP_MAX_TRANSFER + PAGE;
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	/* 514 pages */
	memset(gp(BUF_BIG, big + PAGE), 0xee, big + PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, (uint16_t)(big / BS)), DIR_IN, big);
	ck_assert_uint_eq(pfns_of(BUF_BIG + 0x800, big, pfns), MAX_PAGES + 1);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x500, 0x800, big, pfns, MAX_PAGES + 1, &p, pkt_size), 0);
	expect_comp(&c, 0x500, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* 513 pages from offset 0, 2 MiB + 4 KiB */
	ck_assert_uint_eq(pfns_of(BUF_BIG, big, pfns), MAX_PAGES);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x501, 0, big, pfns, MAX_PAGES, &p, pkt_size), 0);
	expect_comp(&c, 0x501, &r);
	check_sense(&r, SRB_STATUS_INVALID_REQUEST, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* a command that would use few of 514 pages: refused all the same */
	srb_init(&p, 0, cdb, cdb_inquiry(cdb, 36), DIR_IN, 36);
	ck_assert_uint_eq(pfns_of(BUF_BIG + 0x800, big, pfns), MAX_PAGES + 1);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x503, 0x800, big, pfns, MAX_PAGES + 1, &p, pkt_size), 0);
	expect_comp(&c, 0x503, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	ck_assert(all_bytes(BUF_BIG, big + PAGE, 0xee));
	/* a range of 4 GiB - 1 described by one page */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, 0xffffffffu);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x502, 0xfff, 0xffffffffu, pfns, 1, &p, pkt_size), 0);
	expect_comp(&c, 0x502, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Page numbers that are not guest RAM. */
START_TEST(test_bad_pfns)
{
	const uint64_t bad[] = {
		RAM_SIZE / PAGE,		/* just past RAM */
		RAM_SIZE / PAGE + 1000,
		0xc0000000ull / PAGE,		/* the MMIO hole */
		(1ull << 40) / PAGE,
		1ull << 52,			/* beyond any physical address */
		UINT64_MAX / PAGE + 1,		/* overflows when made an address */
		UINT64_MAX,
	};
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned where = 0; where < 2; where++) {
			/* the bad page first or second: the good one stays untouched */
			uint64_t pfns[2] = { BUF_B / PAGE, BUF_B / PAGE };

			pfns[where] = bad[i];
			memset(gp(BUF_B, PAGE), 0xee, PAGE);
			srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 16), DIR_IN, 8192);
			ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x600 + i, 0, 8192, pfns, 2, &p, pkt_size), 0);
			expect_comp(&c, 0x600 + i, &r);
			check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
			ck_assert(all_bytes(BUF_B, PAGE, 0xee));
			/* a write from there moves nothing to the disk either */
			srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 64, 16), DIR_OUT, 8192);
			ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x680 + i, 0, 8192, pfns, 2, &p, pkt_size), 0);
			expect_comp(&c, 0x680 + i, &r);
			check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		}
	}
	{
		uint8_t want[8192];

		for (unsigned i = 0; i < sizeof(want); i++)
			want[i] = pattern(64 * BS + i, 0);
		check_file(&disks[0], 64 * BS, want, sizeof(want));
	}
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* A GPA-direct packet built by hand: any range count, the one range given, npfn page
 * numbers, and the vstor packet at offset8 * 8 (0: after the page numbers). */
static void send_gpa_raw(struct vg_chan *c, uint64_t trans, uint32_t range_cnt, uint32_t byte_offset,
			 uint32_t byte_count, const uint64_t *pfns, unsigned npfn, unsigned offset8,
			 const struct vstor_packet *p)
{
	static uint8_t pkt[8192];
	struct vmbus_gpa_direct_header h = { 0 };
	struct vmbus_gpa_range range = { .byte_count = byte_count, .byte_offset = byte_offset };
	uint32_t off = offset8 ? offset8 * 8 : 32 + 8 * npfn;
	struct iovec iov;

	memset(pkt, 0, sizeof(pkt));
	h.d.type = VM_PKT_DATA_USING_GPA_DIRECT;
	h.d.offset8 = (uint16_t)(off / 8);
	h.d.len8 = (uint16_t)((off + pkt_size + 7) / 8);
	h.d.flags = COMP_REQ;
	h.d.trans_id = trans;
	h.range_cnt = range_cnt;
	ck_assert_uint_le(off + pkt_size, sizeof(pkt));
	memcpy(pkt, &h, sizeof(h));
	memcpy(pkt + 24, &range, sizeof(range));
	memcpy(pkt + 32, pfns, 8 * npfn);
	memcpy(pkt + off, p, pkt_size);
	iov = (struct iovec){ pkt, h.d.len8 * 8u };
	ck_assert_int_eq(vg_write(c, &iov, 1, true), 0);
}

/* The page list's own fields: offset, range count, and its size against the packet. */
START_TEST(test_bad_page_list)
{
	uint64_t pfns[4] = { BUF_B / PAGE, BUF_B / PAGE + 1, BUF_B / PAGE + 2, BUF_B / PAGE + 3 };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	memset(gp(BUF_B, 4 * PAGE), 0xee, 4 * PAGE);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	/* byte_offset inside the page only */
	send_gpa_raw(&c, 0x700, 1, PAGE, BS, pfns, 2, 0, &p);
	expect_comp(&c, 0x700, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	send_gpa_raw(&c, 0x701, 1, 0xffffffffu, BS, pfns, 2, 0, &p);
	expect_comp(&c, 0x701, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* exactly one range */
	send_gpa_raw(&c, 0x702, 0, 0, BS, pfns, 1, 0, &p);
	expect_comp(&c, 0x702, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	send_gpa_raw(&c, 0x703, 2, 0, BS, pfns, 2, 0, &p);
	expect_comp(&c, 0x703, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* the range needs three pages, the packet holds two page numbers before the
	 * vstor packet */
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 16), DIR_IN, 8192);
	send_gpa_raw(&c, 0x704, 1, 0x100, 8192, pfns, 2, 0, &p);
	expect_comp(&c, 0x704, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* the vstor packet placed over the page numbers */
	send_gpa_raw(&c, 0x705, 1, 0, 8192, pfns, 2, 4, &p);
	expect_comp(&c, 0x705, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	/* a GPA-direct header without its range (nor a vstor packet) */
	{
		struct vmbus_gpa_direct_header h = {
			.d = { .type = VM_PKT_DATA_USING_GPA_DIRECT, .offset8 = 3, .len8 = 3, .flags = COMP_REQ,
			       .trans_id = 0x706 },
			.range_cnt = 1,
		};
		struct iovec iov = { &h, sizeof(h) };

		ck_assert_int_eq(vg_write(&c, &iov, 1, true), 0);
		expect_comp(&c, 0x706, &r);
		ck_assert_uint_eq(r.p.status, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	}
	/* none of it touched the buffer */
	ck_assert(all_bytes(BUF_B, 4 * PAGE, 0xee));
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Data with an in-band packet has nowhere to go. */
START_TEST(test_inband_with_data)
{
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 0, 1), DIR_IN, BS);
	ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x800, &p, pkt_size), 0);
	expect_comp(&c, 0x800, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 0, 1), DIR_OUT, BS);
	ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0x801, &p, pkt_size), 0);
	expect_comp(&c, 0x801, &r);
	check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* Packet kinds storvsc never sends. */
START_TEST(test_other_packet_types)
{
	static const uint16_t types[] = { VM_PKT_DATA_USING_XFER_PAGES, VM_PKT_DATA_USING_GPADL, VM_PKT_COMP,
					  VM_PKT_CANCEL_REQUEST, VM_PKT_SYNCH, 0x7fff };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;

	ready(&c);
	srb_init(&p, 0, cdb, cdb_tur(cdb), DIR_NONE, 0);
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_int_eq(vg_send(&c, types[i], COMP_REQ, 0x900 + i, &p, pkt_size), 0);
		expect_comp(&c, 0x900 + i, &r);
		check_refused(&r, SRB_STATUS_INVALID_REQUEST, VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	}
	/* no completion asked: none given */
	ck_assert_int_eq(vg_send(&c, VM_PKT_COMP, 0, 0x9ff, &p, pkt_size), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	expect_nothing(&c);
}
END_TEST

/* A request without COMPLETION_REQUESTED runs, unanswered. */
START_TEST(test_no_completion_requested)
{
	uint64_t pfns[1] = { BUF_A / PAGE };
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;

	ready(&c);
	fill(BUF_A, BS, 0x31);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, true, 7, 1), DIR_OUT, BS);
	ck_assert_int_eq(vg_send_gpa(&c, 0, 0xa00, 0, BS, pfns, 1, &p, pkt_size), 0);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	ck_assert(WAIT_UNTIL(probe(c.relid).blk_inflight == 0, VG_TMO));
	check_file(&disks[0], 7 * BS, gp(BUF_A, BS), BS);
	expect_nothing(&c);
}
END_TEST

/* Transaction ids are the guest's business: the same one twice gets two answers. */
START_TEST(test_reused_ids)
{
	uint64_t pa = BUF_B / PAGE, pb = BUF_B / PAGE + 4;
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned good = 0;

	ready(&c);
	c.quiet = true;
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 40, 8), DIR_IN, 4096);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x42, 0, 4096, &pa, 1, &p, pkt_size), 0);
	srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 80, 8), DIR_IN, 4096);
	ck_assert_int_eq(vg_send_gpa(&c, COMP_REQ, 0x42, 0, 4096, &pb, 1, &p, pkt_size), 0);
	vstor_send(&c, 0x42, 77, NULL, 0, pkt_size);
	vg_signal(&c);
	for (unsigned i = 0; i < 3; i++) {
		expect_comp(&c, 0x42, &r);
		if (r.p.status == VSTOR_STATUS_SUCCESS) {
			check_good(&r, 4096);
			good++;
		}
	}
	ck_assert_uint_eq(good, 2);
	expect_nothing(&c);
	check_file(&disks[0], 40 * BS, gp(BUF_B, 4096), 4096);
	check_file(&disks[0], 80 * BS, gp(BUF_B + 4 * PAGE, 4096), 4096);
}
END_TEST

/* A packet larger than any vstor request cannot be skipped: the channel is closed (and
 * logged), the rest of the VM goes on, and the guest can open it again. */
START_TEST(test_oversized_packet)
{
	static uint8_t big[6000];
	struct vg_chan c;

	ready(&c);
	ck_assert_int_eq(vg_send(&c, VM_PKT_DATA_INBAND, COMP_REQ, 0xb00, big, sizeof(big)), 0);
	ck_assert(WAIT_UNTIL(probe(c.relid).failed, VG_TMO));
	ck_assert(WAIT_UNTIL(probe(c.relid).dev_closed, VG_TMO));
	vg_ping(&g);
	expect_nothing(&c);
	vg_close(&g, &c);
	chan_open(&c, &offers[0]);
	linux_init(&c);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* The guest breaks the ring storvsp answers in: the channel fails at the first
 * completion, whether it is sent at once or when the disk is done, and with more
 * requests of the same batch still on the disk. */
START_TEST(test_broken_completion_ring)
{
	struct vstor_packet p;
	uint8_t cdb[16];

	guest_connect();
	for (unsigned round = 0; round < 3; round++) {
		struct vg_chan c;

		chan_open(&c, &offers[0]);
		linux_init(&c);
		c.dn_ctl->read_index = 12;
		c.quiet = true;
		for (unsigned i = 0; i < 16; i++) {
			if (round == 0) {
				srb_init(&p, 0, cdb, cdb_tur(cdb), DIR_NONE, 0);
				srb_send(&c, &p, 0, 0);
			} else {
				srb_init(&p, (uint8_t)(round - 1), cdb, cdb_rw10(cdb, round == 2, 8 * i, 8),
					 round == 2 ? DIR_OUT : DIR_IN, 4096);
				srb_send(&c, &p, BUF_B + i * 4096ull, 4096);
			}
		}
		vg_signal(&c);
		ck_assert_msg(WAIT_UNTIL(probe(c.relid).failed, VG_TMO), "round %u: the channel goes on", round);
		/* storvsp hears of it from the loop, before the guest closes anything, and
		 * lets the disks finish: the loop is alive and the disks idle */
		ck_assert(WAIT_UNTIL(probe(c.relid).dev_closed, VG_TMO));
		vg_ping(&g);
		ck_assert(WAIT_UNTIL(probe(c.relid).blk_inflight == 0, VG_TMO));
		c.dn_ctl->read_index = c.dn_ctl->write_index;
		vg_close(&g, &c);
	}
	{
		struct vg_chan c;

		chan_open(&c, &offers[0]);
		linux_init(&c);
		check_good((struct comp[]){ tur(&c, 0) }, 0);
	}
}
END_TEST

/* A broken guest-to-host ring (an index outside it). */
START_TEST(test_broken_request_ring)
{
	struct vg_chan c;

	ready(&c);
	c.up_ctl->write_index = c.up_size + 8;
	vg_signal(&c);
	ck_assert(WAIT_UNTIL(probe(c.relid).failed, VG_TMO));
	ck_assert(WAIT_UNTIL(probe(c.relid).dev_closed, VG_TMO));
	vg_ping(&g);
	vg_close(&g, &c);
	chan_open(&c, &offers[0]);
	linux_init(&c);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* ---- flow control ------------------------------------------------------------------------ */

/* Run storvsp's notify on the loop thread, as chan_on_signal does, and look at the
 * rings and disks before the loop can complete anything. */
struct hold {
	uint32_t relid;
	bool close;		/* then close the channel, as CLOSECHANNEL does */
	bool drained;
	uint32_t read_index;	/* of the guest's ring, as storvsp published it */
	unsigned inflight_before, inflight_after;
};

static void lc_notify(void *o)
{
	struct hold *h = o;
	struct vmbus_channel *ch = g.bus->chan[h->relid];
	struct probe p = { .relid = h->relid };

	ck_assert_ptr_nonnull(ch);
	h->drained = ch->dev->ops->notify(ch, ch->dev->opaque);
	h->read_index = __atomic_load_n(&ch->in.ctl->read_index, __ATOMIC_SEQ_CST);
	lc_probe(&p);
	h->inflight_before = p.blk_inflight;
	if (h->close) {
		vmbus_chan_close(ch);
		lc_probe(&p);
		h->inflight_after = p.blk_inflight;
	}
}

/* The guest queues more than storvsp keeps in flight: it takes what it may, leaves the
 * rest in the ring, and takes more as requests complete; none is lost. */
START_TEST(test_inflight_limit)
{
	enum { N = INFLIGHT_MAX + 100 };
	static bool seen[N];
	const uint32_t space = 112;	/* a one-page GPA-direct READ in the ring */
	struct vstor_packet p;
	struct hold h = { 0 };
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned got = 0;
	uint32_t base;

	guest_connect();
	chan_open_pages(&c, &offers[0], 64, 32);
	linux_init(&c);
	base = c.up_ctl->write_index;
	memset(seen, 0, sizeof(seen));
	c.quiet = true;
	memset(gp(BUF_BIG, N * PAGE), 0xee, N * PAGE);
	for (unsigned i = 0; i < N; i++) {
		srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 8 * i, 8), DIR_IN, 4096);
		ck_assert_uint_eq(srb_send(&c, &p, BUF_BIG + (uint64_t)i * PAGE, 4096), 1 + i);
	}
	ck_assert_uint_eq(c.up_ctl->write_index, base + N * space);
	h.relid = c.relid;
	vg_call(&g, lc_notify, &h);
	ck_assert(!h.drained);
	ck_assert_uint_eq(h.read_index, base + INFLIGHT_MAX * space);
	ck_assert_uint_eq(h.inflight_before, INFLIGHT_MAX);
	while (got < N) {
		ck_assert_msg(comp_read(&c, &r, VG_TMO), "%u of %u requests completed", got, N);
		ck_assert_uint_eq(r.d.type, VM_PKT_COMP);
		ck_assert(r.d.trans_id >= 1 && r.d.trans_id <= N);
		ck_assert(!seen[r.d.trans_id - 1]);
		seen[r.d.trans_id - 1] = true;
		check_good(&r, 4096);
		got++;
	}
	expect_nothing(&c);
	ck_assert_uint_eq(c.up_ctl->read_index, c.up_ctl->write_index);
	for (unsigned i = 0; i < N; i++)
		check_file(&disks[0], 8ull * i * BS, gp(BUF_BIG + (uint64_t)i * PAGE, PAGE), PAGE);
}
END_TEST

/* The guest does not read its completions: storvsp keeps those that do not fit, stops
 * taking requests, and goes on when the guest makes room. Nothing is lost, not even a
 * bus change announced meanwhile. */
START_TEST(test_completion_backlog)
{
	enum { N = 300 };
	const uint32_t fit = (PAGE - 1) / 88;	/* 80-byte completions in one data page */
	struct vstor_packet p;
	uint8_t cdb[16];
	struct vg_chan c;
	struct comp r;
	unsigned got = 0, enums = 0;
	uint32_t base, dn_base;

	guest_connect();
	chan_open_pages(&c, &offers[0], 32, 2);
	linux_init(&c);
	base = c.up_ctl->write_index;
	dn_base = c.dn_ctl->write_index;
	c.quiet = true;
	for (unsigned i = 0; i < N; i++) {
		srb_init(&p, 0, cdb, cdb_tur(cdb), DIR_NONE, 0);
		ck_assert_uint_eq(srb_send(&c, &p, 0, 0), 1 + i);
	}
	vg_signal(&c);
	/* the ring full, one completion kept, no more requests taken */
	ck_assert(WAIT_UNTIL(vg_read_avail(&c) == fit * 88, VG_TMO));
	ck_assert(WAIT_UNTIL(c.up_ctl->read_index == base + (fit + 1) * 88, VG_TMO));
	usleep(20000);
	ck_assert_uint_eq(c.up_ctl->read_index, base + (fit + 1) * 88);
	ck_assert_uint_eq(c.dn_ctl->write_index, (dn_base + fit * 88) % c.dn_size);
	ck_assert_uint_ne(c.dn_ctl->pending_send_sz, 0);
	/* a disk comes meanwhile */
	ck_assert_int_eq(attach(3, &disks[3]), 0);
	while (got < N) {
		ck_assert_msg(comp_read(&c, &r, VG_TMO), "%u of %u requests completed", got, N);
		if (r.d.type == VM_PKT_DATA_INBAND && r.p.operation == VSTOR_OPERATION_ENUMERATE_BUS) {
			enums++;
			continue;
		}
		ck_assert_uint_eq(r.d.type, VM_PKT_COMP);
		ck_assert_uint_eq(r.d.trans_id, 1 + got);
		check_good(&r, 0);
		got++;
	}
	while (comp_read(&c, &r, 100)) {
		ck_assert_uint_eq(r.p.operation, VSTOR_OPERATION_ENUMERATE_BUS);
		enums++;
	}
	ck_assert_uint_eq(enums, 1);
	ck_assert_uint_eq(c.up_ctl->read_index, c.up_ctl->write_index);
}
END_TEST

/* ---- close and reset with I/O in flight ------------------------------------------------------ */

static void queue_io(struct vg_chan *c, unsigned n, uint64_t gpa)
{
	struct vstor_packet p;
	uint8_t cdb[16];

	for (unsigned i = 0; i < n; i++) {
		bool write = i % 2;

		if (write)
			fill(gpa + i * 4096ull, 4096, (uint8_t)i);
		else
			memset(gp(gpa + i * 4096ull, 4096), 0xee, 4096);
		srb_init(&p, 0, cdb, cdb_rw10(cdb, write, 512 + 8 * i, 8), write ? DIR_OUT : DIR_IN, 4096);
		srb_send(c, &p, gpa + i * 4096ull, 4096);
	}
}

static void check_io_done(unsigned n, uint64_t gpa)
{
	for (unsigned i = 0; i < n; i++)
		check_file(&disks[0], (512 + 8ull * i) * BS, gp(gpa + i * 4096ull, 4096), 4096);
}

/* CLOSECHANNEL while the disk still works for the guest: the guest may free its pages
 * right after, so every request ends before the close does, and nothing is written
 * to the ring afterwards. */
START_TEST(test_close_with_io_in_flight)
{
	enum { N = 64 };
	struct hold h = { 0 };
	struct vg_chan c;
	uint32_t w;

	ready(&c);
	c.quiet = true;
	queue_io(&c, N, BUF_BIG);
	w = c.dn_ctl->write_index;
	h.relid = c.relid;
	h.close = true;
	vg_call(&g, lc_notify, &h);
	ck_assert_uint_eq(h.inflight_before, N);
	ck_assert_uint_eq(h.inflight_after, 0);
	/* closed before any completion could be sent */
	ck_assert_uint_eq(c.dn_ctl->write_index, w);
	check_io_done(N, BUF_BIG);
	vg_close(&g, &c);
	expect_nothing(&c);
	/* the controller starts over on the next open */
	chan_open(&c, &offers[0]);
	linux_init(&c);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}
END_TEST

/* The same as the guest does it, and then nothing changes in its memory. */
static void close_racing_io(bool unload)
{
	enum { N = 64 };
	struct vg_chan c;
	union vg_msg m;
	uint32_t w;

	ready(&c);
	queue_io(&c, N, BUF_BIG);
	/* every request taken from the ring, some still on the disk */
	ck_assert(WAIT_UNTIL(c.up_ctl->read_index == c.up_ctl->write_index, VG_TMO));
	if (unload) {
		struct vmbus_msg_header u = { .msgtype = CHANNELMSG_UNLOAD };

		vg_post(&g, &u, sizeof(u));
		vg_expect(&g, CHANNELMSG_UNLOAD_RESPONSE, &m);
	} else {
		vg_send_relid(&g, CHANNELMSG_CLOSECHANNEL, c.relid);
		vg_ping(&g);
	}
	ck_assert_uint_eq(probe(c.relid).blk_inflight, 0);
	check_io_done(N, BUF_BIG);
	w = c.dn_ctl->write_index;
	memset(gp(BUF_BIG, N * 4096), 0xa5, N * 4096);
	usleep(100000);
	ck_assert(all_bytes(BUF_BIG, N * 4096, 0xa5));
	ck_assert_uint_eq(c.dn_ctl->write_index, w);
	if (unload) {
		guest_connect();
	} else {
		struct vmbus_msg_gpadl_teardown t = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN,
						      .child_relid = c.relid, .gpadl = c.gpadl };

		vg_post(&g, &t, sizeof(t));
		vg_expect(&g, CHANNELMSG_GPADL_TORNDOWN, &m);
	}
	chan_open(&c, &offers[0]);
	linux_init(&c);
	check_good((struct comp[]){ tur(&c, 0) }, 0);
}

START_TEST(test_close_racing_io)
{
	close_racing_io(false);
}
END_TEST

START_TEST(test_unload_racing_io)
{
	close_racing_io(true);
}
END_TEST

/* The VMM stops with requests in flight: the teardown waits for them. */
START_TEST(test_teardown_with_io)
{
	struct vg_chan c;

	ready(&c);
	queue_io(&c, 64, BUF_BIG);
}
END_TEST

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("storvsp");
	TCase *tc;

	tc = tcase(s, "init");
	tcase_add_test(tc, test_offer);
	tcase_add_test(tc, test_init_linux);
	tcase_add_test(tc, test_init_each_version);
	tcase_add_test(tc, test_init_uefi_sizes);
	tcase_add_test(tc, test_init_version_refused);
	tcase_add_test(tc, test_init_out_of_order);
	tcase_add_test(tc, test_reset_ops);
	tc = tcase(s, "io");
	tcase_add_test(tc, test_rw10_scattered_pages);
	tcase_add_test(tc, test_rw16);
	tcase_add_test(tc, test_max_transfer);
	tcase_add_test(tc, test_check_condition);
	tcase_add_test(tc, test_absent_luns);
	tcase_add_test(tc, test_report_luns);
	tc = tcase(s, "subchannels");
	tcase_add_test(tc, test_subchannel_limits);
	tcase_add_test(tc, test_subchannel_old_versions);
	tcase_add_test(tc, test_subchannel_io);
	tc = tcase(s, "hotplug");
	tcase_add_test(tc, test_hotplug_enumerate);
	tcase_add_test(tc, test_hotplug_old_versions);
	tcase_add_test(tc, test_detach_with_io);
	tc = tcase(s, "hostile");
	tcase_add_test(tc, test_short_packets);
	tcase_add_test(tc, test_unknown_operations);
	tcase_add_test(tc, test_bad_cdb_length);
	tcase_add_test(tc, test_transfer_beyond_page_list);
	tcase_add_test(tc, test_transfer_too_large);
	tcase_add_test(tc, test_bad_pfns);
	tcase_add_test(tc, test_bad_page_list);
	tcase_add_test(tc, test_inband_with_data);
	tcase_add_test(tc, test_other_packet_types);
	tcase_add_test(tc, test_no_completion_requested);
	tcase_add_test(tc, test_reused_ids);
	tcase_add_test(tc, test_oversized_packet);
	tcase_add_test(tc, test_broken_request_ring);
	tcase_add_test(tc, test_broken_completion_ring);
	tc = tcase(s, "flow");
	tcase_add_test(tc, test_inflight_limit);
	tcase_add_test(tc, test_completion_backlog);
	tcase_add_test(tc, test_close_with_io_in_flight);
	tcase_add_test(tc, test_close_racing_io);
	tcase_add_test(tc, test_unload_racing_io);
	tcase_add_test(tc, test_teardown_with_io);
	return test_main(s);
}
