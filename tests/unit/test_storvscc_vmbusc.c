/* SPDX-License-Identifier: MIT */
/*
 * The UEFI driver's storage path as it runs in the firmware, natively: storvscc over
 * the real VMBus client (firmware/vmbusc.c), whose struct vmbusc_host is the simulated
 * guest (vmbusc_vg_host.h), against hvkvm's VMBus server and storvsp (the storvsp
 * fixture: LUN 0 16 MiB, LUNs 1 and 2 1 MiB, 2 read-only). Connect, find the controller, open,
 * initialise, list the LUNs, I/O, close, open again, unload.
 */
#include "storvscc.h"
#include "storvsp_fixture.h"
#include "vmbusc.h"
#include "vmbusc_vg_host.h"

#define TMO		5000000u	/* us */
#define ALLOC_BASE	0x3000000ull	/* the client's pages: above the fixture's buffers */
#define BOUNCE_PAGES	64u

static struct vmbusc_vg_host env;
static struct vmbusc bus;

static const struct vmbusc_offer *connect_find(void)
{
	struct vmbus_guid class;
	const struct vmbusc_offer *o;

	vmbusc_vg_host_init(&env, &g, ALLOC_BASE);
	ck_assert_int_eq(vmbusc_connect(&bus, &env.host, TMO), 0);
	ck_assert_int_eq(vmbus_guid_parse(STORVSC_SCSI_CLASS, &class), 0);
	o = vmbusc_find(&bus, &class, 0);
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_null(vmbusc_find(&bus, &class, 1));
	return o;
}

static struct storvscc_srb srb(uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir, void *data,
			       uint32_t len)
{
	struct storvscc_srb r;

	storvscc_srb_init(&r, lun, cdb, (uint8_t)cdb_len, dir, data, len);
	return r;
}

START_TEST(test_life)
{
	const struct vmbusc_offer *o = connect_find();
	struct storvscc sc;
	struct storvsp_stats st;
	uint64_t gpa = 0;
	void *bounce = vmbusc_vg_alloc(&env, BOUNCE_PAGES, &gpa);
	const uint32_t len = 64u << 10;
	uint8_t *out = malloc(len), *in = malloc(len);
	uint8_t cdb[16], inq[36];
	struct storvscc_srb r;

	ck_assert_ptr_nonnull(bounce);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(storvscc_open(&sc, &bus, o, bounce, gpa, BOUNCE_PAGES * PAGE, TMO), 0);
	ck_assert_uint_eq(sc.version, VMSTOR_PROTO_VERSION_WIN10);
	ck_assert_uint_eq(sc.max_transfer, BOUNCE_PAGES * PAGE);
	storvsp_get_stats(sv, &st);
	ck_assert_uint_eq(st.version, VMSTOR_PROTO_VERSION_WIN10);

	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 3);

	/* WRITE(10), READ(10) back, and the file */
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 31 + (i >> 11));
	r = srb(0, cdb, cdb_rw10(cdb, true, 2048, (uint16_t)(len / BS)), STORVSCC_DIR_OUT, out, len);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.srb_status, SRB_STATUS_SUCCESS);
	ck_assert_uint_eq(r.transferred, len);
	check_file(&disks[0], 2048ull * BS, out, len);
	memset(in, 0, len);
	r = srb(0, cdb, cdb_rw10(cdb, false, 2048, (uint16_t)(len / BS)), STORVSCC_DIR_IN, in, len);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.transferred, len);
	ck_assert_mem_eq(in, out, len);

	/* CHECK CONDITION */
	r = srb(1, cdb, cdb_rw10(cdb, false, DISK_SMALL / BS, 1), STORVSCC_DIR_IN, in, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.scsi_status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(r.sense[2] & 0xf, SCSI_SENSE_ILLEGAL_REQUEST);

	/* a CD comes: the host's ENUMERATE_BUS, a new list, its INQUIRY */
	ck_assert_int_eq(attach_cd(), 0);
	ck_assert_int_eq(storvscc_poll(&sc), 0);
	ck_assert(sc.rescan);
	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 4);
	r = srb(3, cdb, cdb_inquiry(cdb, sizeof(inq)), STORVSCC_DIR_IN, inq, sizeof(inq));
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(inq[0], 0x05);

	/* the maximum and one block more */
	r = srb(0, cdb, cdb_rw10(cdb, false, 0, (BOUNCE_PAGES * PAGE + BS) / BS), STORVSCC_DIR_IN, out,
		BOUNCE_PAGES * PAGE + BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), STORVSCC_E2BIG);
	ck_assert_uint_eq(r.transferred, BOUNCE_PAGES * PAGE);

	/* the driver's Stop and Start: close, open again, initialise again */
	storvscc_close(&sc, TMO);
	ck_assert_int_eq(storvscc_open(&sc, &bus, o, bounce, gpa, BOUNCE_PAGES * PAGE, TMO), 0);
	ck_assert_int_eq(storvscc_discover(&sc, TMO), 0);
	ck_assert_uint_eq(sc.nluns, 4);
	r = srb(0, cdb, cdb_rw10(cdb, false, 2048, 8), STORVSCC_DIR_IN, in, 8 * BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_mem_eq(in, out, 8 * BS);
	storvscc_close(&sc, TMO);
	vmbusc_vg_free(&env, bounce, BOUNCE_PAGES);

	/* every page the client took is back before the bus goes */
	ck_assert_uint_eq(env.freed, env.allocated);
	ck_assert_int_eq(vmbusc_unload(&bus, TMO), 0);
	free(out);
	free(in);
}
END_TEST

/* The driver at ExitBootServices: no CLOSECHANNEL (it would free pages there), only
 * UNLOAD; the host lets go of the channel, and the OS finds a clean controller. */
START_TEST(test_unload_open_channel)
{
	const struct vmbusc_offer *o = connect_find();
	uint32_t relid = o->child_relid;
	struct storvscc sc;
	uint64_t gpa = 0;
	void *bounce = vmbusc_vg_alloc(&env, BOUNCE_PAGES, &gpa);
	uint8_t cdb[16], buf[BS];
	struct storvscc_srb r;
	struct vg_chan c;

	ck_assert_int_eq(storvscc_open(&sc, &bus, o, bounce, gpa, BOUNCE_PAGES * PAGE, TMO), 0);
	r = srb(0, cdb, cdb_rw10(cdb, false, 0, 1), STORVSCC_DIR_IN, buf, BS);
	ck_assert_int_eq(storvscc_execute(&sc, &r, TMO), 0);
	ck_assert_uint_eq(r.transferred, BS);
	ck_assert(probe(relid).open);
	ck_assert_int_eq(vmbusc_unload(&bus, TMO), 0);
	ck_assert(!probe(relid).open);

	/* Linux's storvsc next: contact, offers, open, its own initialisation, a read */
	guest_connect();
	chan_open(&c, &offers[0]);
	linux_init(&c);
	{
		struct comp rc = rw10(&c, 0, false, 0, 1, BUF_A);

		check_good(&rc, BS);
		ck_assert_mem_eq(gp(BUF_A, BS), buf, BS);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storvscc_vmbusc");
	TCase *tc;

	tc = tcase(s, "life");
	tcase_add_test(tc, test_life);
	tcase_add_test(tc, test_unload_open_channel);
	return test_main(s);
}
