/* SPDX-License-Identifier: MIT */
#include "storvsp_fixture.h"

#include "blk_iso.h"

/*
 * storvsp, the VMBus SCSI controller, driven as hv_storvsc drives it
 * (storvsc-facts.md): the guest connects to VMBus, opens the controller's channel on a
 * ring GPADL, puts vstor packets into its ring (control operations in band, SCSI
 * requests as GPA-direct page lists) and reads the completions from the host's ring.
 * The disks are real temp files, unlinked at once and reached through /proc/self/fd:
 * what a WRITE puts in the file is read back with pread, what a READ brings is
 * compared in guest RAM.
 */



/* ---- fixture: a controller with three disks ------------------------------------------ */

struct vg g;
struct storvsp *sv;
struct disk disks[5];	/* LUN 0, LUN 1, LUN 2 (read-only); 3 and 4 for hot-plug */
struct vmbus_msg_offer_channel offers[8];
unsigned pkt_size;	/* vstor packets of the version in use */
uint64_t next_trans;
uint32_t next_gpadl;
unsigned next_slot;

uint8_t pattern(uint64_t off, uint8_t seed)
{
	return (uint8_t)((off * 0x9e3779b1u) >> 11 ^ off >> 9 ^ seed);
}

void disk_make(struct disk *d, uint32_t bytes, uint8_t seed)
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

struct blk *disk_blk(struct disk *d, bool ro)
{
	struct blk *b;
	char err[256];
	int r = blk_open(&b, g.loop, d->path, ro, BLK_CACHE_WRITEBACK, err, sizeof(err));

	ck_assert_msg(r == 0, "%s", err);
	return b;
}

const struct scsi_disk_config disk_cfg = {
	.serial = "HVKVM-STORVSP",
	.naa_id = 0x600224800000abcdull,
	.write_cache = true,
};

void setup(void)
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

void teardown(void)
{
	/* The bus closes the channels first: storvsp finishes its I/O there. */
	vg_stop(&g);
	storvsp_free(sv);
	vg_destroy(&g);
	for (unsigned i = 0; i < 5; i++)
		close(disks[i].fd);
}

/* A test case of s with the fixture and a minute for each test. */
TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

/* ---- device-side calls, on the loop thread --------------------------------------------- */

void lc_attach(void *o)
{
	struct lcall *c = o;
	struct blk *b = disk_blk(c->d, c->ro);

	c->r = storvsp_attach(sv, c->lun, b, &disk_cfg);
	if (c->r == 0)
		c->d->blk = b;
	else
		blk_close(b);
}

void lc_detach(void *o)
{
	struct lcall *c = o;

	c->r = storvsp_detach(sv, c->lun);
}

int attach(unsigned lun, struct disk *d)
{
	struct lcall c = { .lun = lun, .d = d };

	vg_call(&g, lc_attach, &c);
	return c.r;
}

int detach(unsigned lun)
{
	struct lcall c = { .lun = lun };

	vg_call(&g, lc_detach, &c);
	return c.r;
}

static void lc_attach_cd(void *o)
{
	static const struct scsi_disk_config cd = { .serial = "HVKVM-CD", .naa_id = 0x600224800000cd00ull,
						    .cdrom = true };
	int *r = o;
	struct blk *b;
	char err[256];

	*r = blk_iso_open(&b, g.loop, disks[3].path, err, sizeof(err));
	ck_assert_msg(*r == 0, "%s", err);
	*r = storvsp_attach(sv, 3, b, &cd);
	if (*r == 0)
		disks[3].blk = b;
	else
		blk_close(b);
}

int attach_cd(void)
{
	int r = -1;

	vg_call(&g, lc_attach_cd, &r);
	return r;
}

/* The server's and the back ends' state, read where it changes. */

void lc_probe(void *o)
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

struct probe probe(uint32_t relid)
{
	struct probe p = { .relid = relid };

	vg_call(&g, lc_probe, &p);
	return p;
}

/* The counter before `what` in storvsp's statistics line. */
unsigned long long stat_of(uint32_t relid, const char *what)
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

uint8_t *gp(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(&g.mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

void fill(uint64_t gpa, uint32_t len, uint8_t seed)
{
	uint8_t *p = gp(gpa, len);

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + (i >> 8) * 7 + seed);
}

bool all_bytes(uint64_t gpa, uint32_t len, uint8_t v)
{
	const uint8_t *p = gp(gpa, len);

	for (uint32_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The guest bytes equal the file's at off. */
void check_file(struct disk *d, uint64_t off, const uint8_t *data, uint32_t len)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(d->fd, buf, len, (off_t)off), (ssize_t)len);
	ck_assert_msg(memcmp(buf, data, len) == 0, "guest memory and file differ at file offset %llu",
		      (unsigned long long)off);
	free(buf);
}

void guest_connect(void)
{
	struct vmbus_guid class;

	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, offers, 8), 1);
	ck_assert_int_eq(vmbus_guid_parse(STORVSC_SCSI_CLASS, &class), 0);
	ck_assert_mem_eq(&offers[0].offer.if_type, &class, 16);
	ck_assert_uint_eq(offers[0].offer.sub_channel_index, 0);
}

void chan_open_pages(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, unsigned up, unsigned dn)
{
	ck_assert_uint_lt(next_slot, RING_SLOTS);
	ck_assert_uint_le(up + dn, 128);
	ck_assert_uint_eq(vg_open(&g, c, o, next_gpadl++, RING_GPA(next_slot++), up, dn, 0), 0);
}

void chan_open(struct vg_chan *c, const struct vmbus_msg_offer_channel *o)
{
	chan_open_pages(c, o, RING_UP, RING_DN);
}

/* A packet from the host, split. */

bool comp_read(struct vg_chan *c, struct comp *r, unsigned ms)
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
void expect_comp_size(struct vg_chan *c, uint64_t trans, unsigned size, struct comp *r)
{
	ck_assert_msg(comp_read(c, r, VG_TMO), "no completion for request 0x%llx", (unsigned long long)trans);
	ck_assert_uint_eq(r->d.type, VM_PKT_COMP);
	ck_assert_uint_eq(r->d.offset8, 2);
	ck_assert_uint_eq(r->d.len8 * 8u, DESC + size);
	ck_assert_uint_eq(r->d.trans_id, trans);
	ck_assert_uint_eq(r->p.operation, VSTOR_OPERATION_COMPLETE_IO);
	ck_assert_uint_eq(r->p.flags, 0);
}

void expect_comp(struct vg_chan *c, uint64_t trans, struct comp *r)
{
	expect_comp_size(c, trans, pkt_size, r);
}

void expect_nothing(struct vg_chan *c)
{
	uint8_t buf[256];

	ck_assert_int_eq(vg_read(c, buf, sizeof(buf)), -1);
}

/* An in-band vstor packet of `size` bytes as storvsc_execute_vstor_op sends it. */
void vstor_send(struct vg_chan *c, uint64_t trans, uint32_t op, const void *body, uint32_t blen, unsigned size)
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
uint32_t vstor_op_size(struct vg_chan *c, uint32_t op, const void *body, uint32_t blen, unsigned size,
			      unsigned reply_size, struct comp *r)
{
	vstor_send(c, RQST_INIT, op, body, blen, size);
	expect_comp_size(c, RQST_INIT, reply_size, r);
	return r->p.status;
}

uint32_t vstor_op(struct vg_chan *c, uint32_t op, const void *body, uint32_t blen, struct comp *r)
{
	return vstor_op_size(c, op, body, blen, pkt_size, pkt_size, r);
}

uint32_t op_version(struct vg_chan *c, uint16_t v, struct comp *r)
{
	struct vmstorage_protocol_version pv = { .major_minor = v };

	return vstor_op(c, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION, &pv, sizeof(pv), r);
}

uint32_t op_subchannels(struct vg_chan *c, uint16_t n, struct comp *r)
{
	return vstor_op(c, VSTOR_OPERATION_CREATE_SUB_CHANNELS, &n, sizeof(n), r);
}

uint32_t op(struct vg_chan *c, uint32_t operation)
{
	struct comp r;

	return vstor_op(c, operation, NULL, 0, &r);
}

/* storvsc_channel_init as in Linux 6.1: the versions it knows in its order. */
struct vmstorage_channel_properties linux_init(struct vg_chan *c)
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
void ready(struct vg_chan *c)
{
	guest_connect();
	chan_open(c, &offers[0]);
	linux_init(c);
}

/* ---- SCSI requests ------------------------------------------------------------------------- */

/* The SRB as storvsc_queuecommand fills it (storvsc-facts §2.7). */
void srb_init(struct vstor_packet *p, uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir,
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

unsigned pfns_of(uint64_t gpa, uint32_t len, uint64_t *pfns)
{
	unsigned n = (unsigned)((gpa % PAGE + len + PAGE - 1) / PAGE);

	for (unsigned i = 0; i < n; i++)
		pfns[i] = gpa / PAGE + i;
	return n;
}

/* Send p with the buffer [gpa, gpa + len) as Linux does: GPA direct with one range
 * when there is data, in band otherwise. Returns the transaction id. */
uint64_t srb_send(struct vg_chan *c, const struct vstor_packet *p, uint64_t gpa, uint32_t len)
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
struct comp scsi_path(struct vg_chan *c, uint8_t path, uint8_t target, uint8_t lun, const uint8_t *cdb,
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

struct comp scsi(struct vg_chan *c, uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir,
			uint64_t gpa, uint32_t len)
{
	return scsi_path(c, 0, 0, lun, cdb, cdb_len, dir, gpa, len);
}

unsigned cdb_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = write ? SCSI_WRITE_10 : SCSI_READ_10;
	put_be32(cdb + 2, lba);
	put_be16(cdb + 7, n);
	return 10;
}

unsigned cdb_rw16(uint8_t *cdb, bool write, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = write ? SCSI_WRITE_16 : SCSI_READ_16;
	put_be64(cdb + 2, lba);
	put_be32(cdb + 10, n);
	return 16;
}

unsigned cdb_inquiry(uint8_t *cdb, uint16_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_INQUIRY;
	put_be16(cdb + 3, alloc);
	return 6;
}

unsigned cdb_report_luns(uint8_t *cdb, uint32_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_REPORT_LUNS;
	put_be32(cdb + 6, alloc);
	return 12;
}

unsigned cdb_tur(uint8_t *cdb)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_TEST_UNIT_READY;
	return 6;
}

struct comp tur(struct vg_chan *c, uint8_t lun)
{
	uint8_t cdb[16];

	return scsi(c, lun, cdb, cdb_tur(cdb), DIR_NONE, 0, 0);
}

struct comp rw10(struct vg_chan *c, uint8_t lun, bool write, uint32_t lba, uint16_t n, uint64_t gpa)
{
	uint8_t cdb[16];

	return scsi(c, lun, cdb, cdb_rw10(cdb, write, lba, n), write ? DIR_OUT : DIR_IN, gpa, n * BS);
}

void check_good(const struct comp *r, uint32_t xfer)
{
	ck_assert_uint_eq(r->p.status, VSTOR_STATUS_SUCCESS);
	ck_assert_uint_eq(r->p.vm_srb.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r->p.vm_srb.scsi_status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(r->p.vm_srb.data_transfer_length, xfer);
	ck_assert_uint_eq(r->p.vm_srb.length, pkt_size - offsetof(struct vstor_packet, vm_srb));
}

/* CHECK CONDITION with autosense: Linux copies the sense if both say so (§4.3). */
void check_sense(const struct comp *r, uint8_t srb_status, uint8_t key, uint16_t asc)
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
void check_refused(const struct comp *r, uint8_t srb_status, uint32_t status)
{
	ck_assert_uint_eq(r->p.status, status);
	ck_assert_uint_eq(r->p.vm_srb.srb_status, srb_status);
	ck_assert_uint_eq(r->p.vm_srb.data_transfer_length, 0);
	ck_assert_msg(!(r->p.vm_srb.srb_status & SRB_STATUS_AUTOSENSE_VALID), "request 0x%llx: SRB status 0x%x",
		      (unsigned long long)r->d.trans_id, r->p.vm_srb.srb_status);
}
