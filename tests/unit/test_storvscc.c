/* SPDX-License-Identifier: MIT */
/*
 * firmware/storvscc.c, the UEFI driver's StorVSC client, compiled natively and run
 * against hvkvm's real storvsp (the storvsp fixture: LUN 0 a 16 MiB disk, LUNs 1 and
 * 2 of 1 MiB, 2 read-only) through vmbusc's channel calls over the simulated guest
 * (vmbusc_test_shim.c). A hook in front of the real host plays a hostile one.
 */
#include <time.h>

#include "storvscc.h"
#include "vmbusc_test_shim.h"

#define TMO		5000000u	/* us */
#define BOUNCE_GPA	BUF_BIG
#define BOUNCE_SIZE	(256u << 10)

static struct vmbusc bus;
static struct storvscc sc;

/* Connected, the shim's bus, and s opened over it with hook (NULL: none) in front of
 * the host: what storvscc_open returned. */
static int open_over(struct storvscc *s, shim_hook_fn *hook, void *ctx)
{
	guest_connect();
	shim_bus(&bus);
	shim_set_hook(hook, ctx);
	return storvscc_open(s, &bus, &bus.offers[0], gp(BOUNCE_GPA, BOUNCE_SIZE), BOUNCE_GPA, BOUNCE_SIZE, TMO);
}

static void sc_open(void)
{
	ck_assert_int_eq(open_over(&sc, NULL, NULL), 0);
}

static struct storvscc_srb srb6(uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir, void *data,
				uint32_t len)
{
	struct storvscc_srb r;

	storvscc_srb_init(&r, lun, cdb, (uint8_t)cdb_len, dir, data, len);
	return r;
}

static struct storvscc_srb inquiry(uint8_t lun, uint8_t *buf, uint8_t len)
{
	uint8_t cdb[16];
	unsigned n = cdb_inquiry(cdb, len);
	struct storvscc_srb r = srb6(lun, cdb, n, STORVSCC_DIR_IN, buf, len);

	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	return r;
}

static struct storvscc_srb rw10_sc(uint8_t lun, bool write, uint32_t lba, uint16_t n, void *buf, uint32_t len)
{
	uint8_t cdb[16];
	unsigned cl = cdb_rw10(cdb, write, lba, n);

	return srb6(lun, cdb, cl, write ? STORVSCC_DIR_OUT : STORVSCC_DIR_IN, buf, len);
}

static void expect_good(const struct storvscc_srb *r, uint32_t len)
{
	ck_assert_uint_eq(r->srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r->scsi_status, 0);
	ck_assert_uint_eq(r->transferred, len);
	ck_assert_uint_eq(r->sense_len, 0);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* ---- the hostile host ---- */

enum mangle { M_NONE, M_TRANS_ID, M_SHORT, M_DROP, M_VERSION_REFUSED, M_NO_MAX, M_OVERLONG, M_OPERATION,
	      M_NO_REPORT_LUNS };

struct hostile {
	enum mangle m;
	uint64_t from_trans;	/* completions of this id and later */
	unsigned hits;
	uint16_t versions[8];	/* QUERY_PROTOCOL_VERSION answers seen */
	unsigned nversions;
};

static bool hostile_hook(void *ctx, struct vmbusc_packet *p, uint8_t *buf)
{
	struct hostile *h = ctx;
	struct vstor_packet v;

	if (p->type != VM_PKT_COMP || p->trans_id < h->from_trans || p->len < 12)
		return true;
	memset(&v, 0, sizeof(v));
	memcpy(&v, buf, p->len < sizeof(v) ? p->len : sizeof(v));
	switch (h->m) {
	case M_NONE:
		return true;
	case M_TRANS_ID:
		p->trans_id += 0x100;
		break;
	case M_SHORT:
		p->len = 40;
		break;
	case M_DROP:
		h->hits++;
		return false;
	case M_VERSION_REFUSED:
		/* 1 is BEGIN_INITIALIZATION, then the versions; storvsp echoes the one asked
		 * (after the first it answers from its next state, refused all the same) */
		if (p->trans_id < 2 || p->trans_id > 4 || h->nversions >= 8)
			return true;
		h->versions[h->nversions++] = v.version.major_minor;
		v.status = VSTOR_STATUS_REVISION_MISMATCH;
		break;
	case M_NO_MAX:
		if (p->len < 36 || v.properties.max_transfer_bytes != STORVSP_MAX_TRANSFER)
			return true;
		v.properties.max_transfer_bytes = 0;
		break;
	case M_OVERLONG:
		v.vm_srb.data_transfer_length += 512;
		break;
	case M_OPERATION:
		v.operation = VSTOR_OPERATION_EXECUTE_SRB;
		break;
	case M_NO_REPORT_LUNS:
		/* the first SRB after the hook was set: REPORT LUNS, answered as unsupported */
		if (p->trans_id != h->from_trans)
			return true;
		v.vm_srb.srb_status = SRB_STATUS_INVALID_REQUEST | SRB_STATUS_AUTOSENSE_VALID;
		v.vm_srb.scsi_status = SCSI_STATUS_CHECK_CONDITION;
		v.vm_srb.data_transfer_length = 0;
		v.status = VSTOR_STATUS_IO_DEVICE_ERROR;
		break;
	}
	h->hits++;
	memcpy(buf, &v, p->len < sizeof(v) ? p->len : sizeof(v));
	return true;
}

/* ---- tests ---- */

START_TEST(test_init)
{
	struct storvsp_stats st;

	sc_open();
	ck_assert(sc.ready);
	ck_assert(!sc.broken);
	ck_assert_uint_eq(sc.version, VMSTOR_PROTO_VERSION_WIN10);
	ck_assert_uint_eq(sc.host_max_transfer, STORVSP_MAX_TRANSFER);
	ck_assert_uint_eq(sc.max_transfer, BOUNCE_SIZE);
	/* BEGIN, one version, PROPERTIES, END: each in band, each answered */
	ck_assert_uint_eq(shim_stats.opens, 1);
	ck_assert_uint_eq(shim_stats.sends, 4);
	ck_assert_uint_eq(shim_stats.sends_gpa, 0);
	ck_assert_uint_eq(shim_stats.recvs, 4);
	ck_assert_uint_eq(sc.next_trans, 5);
	storvsp_get_stats(sv, &st);
	ck_assert_uint_eq(st.version, VMSTOR_PROTO_VERSION_WIN10);
	ck_assert_uint_eq(st.malformed, 0);
	/* ready: a TEST UNIT READY goes through, in band */
	{
		uint8_t cdb[16];
		unsigned n = cdb_tur(cdb);
		struct storvscc_srb r = srb6(0, cdb, n, STORVSCC_DIR_NONE, NULL, 0);

		ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
		expect_good(&r, 0);
		ck_assert_uint_eq(shim_stats.sends, 5);
	}
	ck_assert_int_eq(storvscc_reset(&sc, VSTOR_OPERATION_RESET_LUN, TMO), 0);
	ck_assert_int_eq(storvscc_reset(&sc, VSTOR_OPERATION_RESET_ADAPTER, TMO), 0);
	ck_assert_int_eq(storvscc_reset(&sc, VSTOR_OPERATION_BEGIN_INITIALIZATION, TMO), VMBUSC_EINVAL);
	storvscc_close(&sc, TMO);
	ck_assert_uint_eq(shim_stats.closes, 1);
}
END_TEST

START_TEST(test_init_bad_args)
{
	struct storvscc s2;

	guest_connect();
	shim_bus(&bus);
	/* a bounce buffer that is not page-aligned, or too small: nothing opened */
	ck_assert_int_eq(storvscc_init(&s2, &bus, (struct vmbusc_chan *)&s2, gp(BOUNCE_GPA + 8, 4096),
				       BOUNCE_GPA + 8, 4096, TMO),
			 VMBUSC_EINVAL);
	ck_assert_int_eq(storvscc_open(&s2, &bus, &bus.offers[0], gp(BOUNCE_GPA, 4096), BOUNCE_GPA, 256, TMO),
			 VMBUSC_EINVAL);
	ck_assert_uint_eq(shim_stats.sends, 0);
	ck_assert_uint_eq(shim_stats.opens, shim_stats.closes);
}
END_TEST

START_TEST(test_inquiry_disk_and_cd)
{
	uint8_t inq[96];
	struct storvscc_srb r;

	sc_open();
	memset(inq, 0xee, sizeof(inq));
	r = inquiry(0, inq, 96);
	ck_assert_uint_eq(r.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r.scsi_status, 0);
	ck_assert_uint_ge(r.transferred, 36);
	ck_assert_uint_le(r.transferred, 96);
	ck_assert_uint_eq(inq[0], 0x00);		/* direct access, connected */
	ck_assert_uint_eq(inq[1] & 0x80, 0);	/* not removable */
	ck_assert_mem_eq(inq + 8, "Msft    ", 8);
	ck_assert_uint_eq(shim_stats.sends_gpa, 1);
	ck_assert_uint_eq(shim_stats.last_gpa, BOUNCE_GPA);
	ck_assert_uint_eq(shim_stats.last_gpa_bytes, 96);

	ck_assert_int_eq(attach_cd(), 0);
	memset(inq, 0xee, sizeof(inq));
	r = inquiry(3, inq, 36);
	ck_assert_uint_eq(r.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r.transferred, 36);
	ck_assert_uint_eq(inq[0], 0x05);		/* CD/DVD */
	ck_assert_uint_eq(inq[1] & 0x80, 0x80);	/* removable */
	ck_assert_uint_eq(inq[36], 0xee);		/* nothing past what came */
	/* the host's ENUMERATE_BUS for the new LUN came before the answer: skipped, noted */
	ck_assert_uint_eq(sc.enumerates, 1);
	ck_assert(sc.rescan);
	ck_assert(!sc.broken);
}
END_TEST

START_TEST(test_read_capacity)
{
	uint8_t cdb[16] = { 0x25 };	/* READ CAPACITY(10) */
	uint8_t cap[8];
	struct storvscc_srb r;

	sc_open();
	r = srb6(0, cdb, 10, STORVSCC_DIR_IN, cap, 8);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, 8);
	ck_assert_uint_eq(get_be32(cap), DISK0_BYTES / BS - 1);
	ck_assert_uint_eq(get_be32(cap + 4), BS);
	r = srb6(1, cdb, 10, STORVSCC_DIR_IN, cap, 8);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, 8);
	ck_assert_uint_eq(get_be32(cap), DISK_SMALL / BS - 1);
	ck_assert_int_eq(attach_cd(), 0);
	/* a CD's first command after it came reports the new medium (unit attention) */
	for (unsigned i = 0; i < 3; i++) {
		r = srb6(3, cdb, 10, STORVSCC_DIR_IN, cap, 8);
		ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
		if (r.scsi_status == 0)
			break;
		ck_assert_uint_eq(r.scsi_status, SCSI_STATUS_CHECK_CONDITION);
		ck_assert_uint_ge(r.sense_len, 14);
		ck_assert_uint_eq(r.sense[2] & 0xf, 0x6);
	}
	expect_good(&r, 8);
	ck_assert_uint_eq(get_be32(cap), DISK_SMALL / 2048 - 1);
	ck_assert_uint_eq(get_be32(cap + 4), 2048);
}
END_TEST

START_TEST(test_read_write_round_trip)
{
	const uint32_t lba = 300, len = 128u << 10;
	uint8_t *out = malloc(len), *in = malloc(len);
	struct storvscc_srb r;
	struct storvsp_stats before, after;
	uint64_t sum;

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(in);
	sc_open();
	/* what the disk holds */
	r = rw10_sc(0, false, 0, 16, in, 16 * BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, 16 * BS);
	for (uint32_t i = 0; i < 16 * BS; i++)
		ck_assert_uint_eq(in[i], pattern(i, 0x00));

	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 9) + 0x5a);
	sum = fnv1a(out, len);
	storvsp_get_stats(sv, &before);
	r = rw10_sc(0, true, lba, (uint16_t)(len / BS), out, len);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, len);
	ck_assert_uint_eq(shim_stats.last_gpa, BOUNCE_GPA);
	ck_assert_uint_eq(shim_stats.last_gpa_bytes, len);
	check_file(&disks[0], (uint64_t)lba * BS, out, len);

	memset(in, 0, len);
	memset(gp(BOUNCE_GPA, BOUNCE_SIZE), 0, BOUNCE_SIZE);
	r = rw10_sc(0, false, lba, (uint16_t)(len / BS), in, len);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, len);
	ck_assert_uint_eq(fnv1a(in, len), sum);
	ck_assert_mem_eq(in, out, len);
	storvsp_get_stats(sv, &after);
	ck_assert_uint_eq(after.bytes_written - before.bytes_written, len);
	ck_assert_uint_eq(after.bytes_read - before.bytes_read, len);

	/* a read-only LUN refuses the write: DATA PROTECT, no data moved */
	r = rw10_sc(2, true, 0, 1, out, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.scsi_status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(r.transferred, 0);
	ck_assert_uint_eq(r.sense[2] & 0xf, 0x7);
	free(out);
	free(in);
}
END_TEST

START_TEST(test_check_condition)
{
	uint8_t buf[BS];
	struct storvscc_srb r;

	sc_open();
	r = rw10_sc(1, false, DISK_SMALL / BS, 1, buf, BS);	/* one past the end */
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.scsi_status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(r.srb_status & SRB_STATUS_AUTOSENSE_VALID, SRB_STATUS_AUTOSENSE_VALID);
	ck_assert_uint_eq(r.srb_status & 0x3f, SRB_STATUS_INVALID_REQUEST);
	ck_assert_uint_eq(r.transferred, 0);
	ck_assert_uint_eq(r.sense_len, VMSCSI_SENSE_BUFFER_SIZE);
	ck_assert_uint_eq(r.sense[0] & 0x7f, 0x70);
	ck_assert_uint_eq(r.sense[2] & 0xf, SCSI_SENSE_ILLEGAL_REQUEST);
	ck_assert_uint_eq(r.sense[12], 0x21);	/* LBA out of range */
	ck_assert(!sc.broken);
	/* and the next command is fine */
	r = rw10_sc(1, false, 0, 1, buf, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, BS);
	ck_assert_uint_eq(buf[BS - 1], pattern(BS - 1, 0x11));
}
END_TEST

START_TEST(test_unknown_lun_and_discovery)
{
	uint8_t cdb[16], inq[36];
	unsigned n = cdb_tur(cdb);
	struct storvscc_srb r = srb6(7, cdb, n, STORVSCC_DIR_NONE, NULL, 0);

	sc_open();
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.srb_status & 0x3f, SRB_STATUS_INVALID_LUN);
	ck_assert_uint_eq(r.transferred, 0);
	/* INQUIRY of an empty LUN answers: no device there */
	r = inquiry(7, inq, 36);
	ck_assert_uint_eq(r.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(inq[0] >> 5, 3);
	/* a LUN the protocol cannot name */
	r = srb6(STORVSCC_MAX_LUNS, cdb, n, STORVSCC_DIR_NONE, NULL, 0);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EINVAL);

	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 3);
	ck_assert_uint_eq(sc.luns[0], 0);
	ck_assert_uint_eq(sc.luns[1], 1);
	ck_assert_uint_eq(sc.luns[2], 2);
	ck_assert(storvscc_has_lun(&sc, 2));
	ck_assert(!storvscc_has_lun(&sc, 7));
	ck_assert_int_eq(attach_cd(), 0);
	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 4);
	ck_assert_uint_eq(sc.luns[3], 3);
	ck_assert_uint_eq(sc.enumerates, 1);
	ck_assert(!sc.rescan);	/* the ENUMERATE_BUS came before the list */
	ck_assert_int_eq(detach(1), 0);
	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 3);
	ck_assert(!storvscc_has_lun(&sc, 1));
	ck_assert_uint_eq(sc.enumerates, 2);
}
END_TEST

static bool enumerate_as_completion(void *ctx, struct vmbusc_packet *p, uint8_t *buf)
{
	(void)buf;
	if (p->type == VM_PKT_DATA_INBAND) {
		p->type = VM_PKT_COMP;
		(*(unsigned *)ctx)++;
	}
	return true;
}

/* What the host sends by itself, taken between requests. */
START_TEST(test_poll)
{
	unsigned turned = 0;

	sc_open();
	ck_assert_int_eq(storvscc_poll(&sc), 0);
	ck_assert(!sc.rescan);
	ck_assert_int_eq(attach_cd(), 0);
	ck_assert_int_eq(storvscc_poll(&sc), 0);
	ck_assert(sc.rescan);
	ck_assert_uint_eq(sc.enumerates, 1);
	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 4);
	ck_assert(!sc.rescan);
	/* a completion when nothing is outstanding */
	shim_set_hook(enumerate_as_completion, &turned);
	ck_assert_int_eq(detach(3), 0);
	ck_assert_int_eq(storvscc_poll(&sc), VMBUSC_EIO);
	ck_assert_uint_eq(turned, 1);
	ck_assert(sc.broken);
}
END_TEST

START_TEST(test_discovery_by_inquiry)
{
	struct hostile h = { .m = M_NO_REPORT_LUNS };
	unsigned sends;

	sc_open();
	h.from_trans = sc.next_trans;
	shim_set_hook(hostile_hook, &h);
	sends = shim_stats.sends_gpa;
	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(h.hits, 1);
	/* REPORT LUNS, then an INQUIRY for every LUN */
	ck_assert_uint_eq(shim_stats.sends_gpa - sends, 1 + STORVSCC_MAX_LUNS);
	ck_assert_uint_eq(sc.nluns, 3);
	ck_assert_uint_eq(sc.luns[0], 0);
	ck_assert_uint_eq(sc.luns[1], 1);
	ck_assert_uint_eq(sc.luns[2], 2);
}
END_TEST

START_TEST(test_too_large)
{
	uint8_t *buf = malloc(BOUNCE_SIZE + BS);
	struct storvscc_srb r;
	unsigned sends;

	ck_assert_ptr_nonnull(buf);
	sc_open();
	sends = shim_stats.sends_gpa;
	r = rw10_sc(0, false, 0, (BOUNCE_SIZE + BS) / BS, buf, BOUNCE_SIZE + BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), STORVSCC_E2BIG);
	ck_assert_uint_eq(r.transferred, BOUNCE_SIZE);	/* the maximum */
	ck_assert_uint_eq(shim_stats.sends_gpa, sends);	/* nothing sent */
	ck_assert(!sc.broken);
	/* the maximum itself goes */
	r = rw10_sc(0, false, 0, BOUNCE_SIZE / BS, buf, BOUNCE_SIZE);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	expect_good(&r, BOUNCE_SIZE);
	ck_assert_uint_eq(shim_stats.last_gpa_bytes, BOUNCE_SIZE);
	for (uint32_t i = 0; i < BOUNCE_SIZE; i += 4093)
		ck_assert_uint_eq(buf[i], pattern(i, 0x00));
	/* bad requests: nothing sent */
	r = rw10_sc(0, false, 0, 1, NULL, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EINVAL);
	r = rw10_sc(0, false, 0, 1, buf, BS);
	r.cdb_len = 17;
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EINVAL);
	r.cdb_len = 0;
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EINVAL);
	{
		/* a CDB longer than an SRB holds: 16 bytes copied, the length kept, refused */
		uint8_t cdb[20];

		memset(cdb, 0x28, sizeof(cdb));
		storvscc_srb_init(&r, 0, cdb, sizeof(cdb), STORVSCC_DIR_IN, buf, BS);
		ck_assert_uint_eq(r.cdb_len, sizeof(cdb));
		ck_assert_mem_eq(r.cdb, cdb, sizeof(r.cdb));
		ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EINVAL);
	}
	ck_assert_uint_eq(shim_stats.sends_gpa, sends + 1);
	free(buf);
}
END_TEST

/* A read whose completion the hook spoils: EIO, and the client stays broken. */
static void spoiled_read(enum mangle m)
{
	struct hostile h = { .m = m };
	uint8_t buf[BS];
	struct storvscc_srb r;
	unsigned sends;

	sc_open();
	h.from_trans = sc.next_trans;
	shim_set_hook(hostile_hook, &h);
	r = rw10_sc(0, false, 0, 1, buf, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EIO);
	ck_assert_uint_eq(h.hits, 1);
	ck_assert(sc.broken);
	ck_assert_uint_eq(r.transferred, 0);
	shim_set_hook(NULL, NULL);
	sends = shim_stats.sends_gpa;
	r = rw10_sc(0, false, 0, 1, buf, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), VMBUSC_EIO);
	ck_assert_int_eq(storvscc_discover(&sc, TMO), VMBUSC_EIO);
	ck_assert_uint_eq(shim_stats.sends_gpa, sends);
	storvscc_close(&sc, TMO);
	ck_assert_uint_eq(shim_stats.closes, 1);
}

START_TEST(test_hostile_trans_id)
{
	spoiled_read(M_TRANS_ID);
}
END_TEST

START_TEST(test_hostile_short)
{
	spoiled_read(M_SHORT);
}
END_TEST

START_TEST(test_hostile_overlong)
{
	spoiled_read(M_OVERLONG);
}
END_TEST

START_TEST(test_hostile_operation)
{
	spoiled_read(M_OPERATION);
}
END_TEST

START_TEST(test_hostile_silent)
{
	struct hostile h = { .m = M_DROP };
	uint8_t buf[BS];
	struct storvscc_srb r;
	struct timespec t0, t1;
	long ms;

	sc_open();
	h.from_trans = sc.next_trans;
	shim_set_hook(hostile_hook, &h);
	r = rw10_sc(0, false, 0, 1, buf, BS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(storvscc_execute(&sc, &r, 300000), VMBUSC_ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 300);
	ck_assert_int_lt(ms, 30000);
	ck_assert_uint_eq(h.hits, 1);	/* the answer came and was dropped */
	ck_assert(sc.broken);
}
END_TEST

START_TEST(test_hostile_init)
{
	struct hostile h = { .m = M_VERSION_REFUSED, .from_trans = 0 };
	struct storvscc s2;

	ck_assert_int_eq(open_over(&s2, hostile_hook, &h), VMBUSC_EIO);
	/* WIN10, WIN8.1, WIN8 asked in turn, then it gives up and closes the channel */
	ck_assert_uint_eq(h.nversions, 3);
	ck_assert_uint_eq(h.versions[0], VMSTOR_PROTO_VERSION_WIN10);
	ck_assert_uint_eq(h.versions[1], VMSTOR_PROTO_VERSION_WIN8_1);
	ck_assert_uint_eq(h.versions[2], VMSTOR_PROTO_VERSION_WIN8);
	ck_assert_uint_eq(shim_stats.sends, 4);
	ck_assert_uint_eq(shim_stats.closes, 1);
}
END_TEST

START_TEST(test_hostile_no_max)
{
	struct hostile h = { .m = M_NO_MAX, .from_trans = 0 };
	struct storvscc s2;

	ck_assert_int_eq(open_over(&s2, hostile_hook, &h), VMBUSC_EIO);
	ck_assert_uint_eq(h.hits, 1);
	ck_assert_uint_eq(shim_stats.sends, 3);	/* no END_INITIALIZATION */
	ck_assert_uint_eq(shim_stats.closes, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storvscc");
	TCase *tc;

	tc = tcase(s, "init");
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_init_bad_args);
	tc = tcase(s, "scsi");
	tcase_add_test(tc, test_inquiry_disk_and_cd);
	tcase_add_test(tc, test_read_capacity);
	tcase_add_test(tc, test_read_write_round_trip);
	tcase_add_test(tc, test_check_condition);
	tcase_add_test(tc, test_unknown_lun_and_discovery);
	tcase_add_test(tc, test_discovery_by_inquiry);
	tcase_add_test(tc, test_poll);
	tcase_add_test(tc, test_too_large);
	tc = tcase(s, "hostile");
	tcase_add_test(tc, test_hostile_trans_id);
	tcase_add_test(tc, test_hostile_short);
	tcase_add_test(tc, test_hostile_overlong);
	tcase_add_test(tc, test_hostile_operation);
	tcase_add_test(tc, test_hostile_silent);
	tcase_add_test(tc, test_hostile_init);
	tcase_add_test(tc, test_hostile_no_max);
	return test_main(s);
}
