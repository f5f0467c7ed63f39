/* SPDX-License-Identifier: MIT */
#include "storvsp_fixture.h"

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

/* The guest signals only when its ring was empty and not masked (Linux's rule): a
 * request written while storvsp drains the masked ring comes without a signal, and one
 * written as storvsp unmasks must still be seen by its look after unmasking. Wherever
 * the guest's writes fall against a drain, none may be left unread: every request of a
 * stream with gaps of 0 to 80 us and a few in flight completes, and the ring ends
 * unmasked. */
START_TEST(test_stream_loses_nothing)
{
	enum { N = 3000, DEPTH = 4 };
	struct vstor_packet p;
	struct vg_chan c;
	struct comp r;
	uint8_t cdb[16];
	unsigned sent = 0, got = 0, sig0;
	unsigned seed = 1;

	ready(&c);
	while (got < N) {
		while (sent < N && sent - got < DEPTH) {
			uint64_t t0 = loop_now_ns(), gap = (rand_r(&seed) % 81) * 1000ull;

			srb_init(&p, 0, cdb, cdb_rw10(cdb, false, 8 * (sent % 64), 8), DIR_IN, 4096);
			srb_send(&c, &p, BUF_BIG + (uint64_t)(sent % 64) * PAGE, 4096);
			sent++;
			while (loop_now_ns() - t0 < gap)
				;
		}
		ck_assert_msg(comp_read(&c, &r, VG_TMO), "%u of %u requests completed", got, N);
		check_good(&r, 4096);
		got++;
	}
	expect_nothing(&c);
	ck_assert_uint_eq(c.up_ctl->read_index, c.up_ctl->write_index);
	/* the ring is unmasked, and a request is signalled again */
	ck_assert(WAIT_UNTIL(__atomic_load_n(&c.up_ctl->interrupt_mask, __ATOMIC_SEQ_CST) == 0, VG_TMO));
	sig0 = c.signals;
	check_good((struct comp[]){ tur(&c, 0) }, 0);
	ck_assert_uint_eq(c.signals, sig0 + 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storvsp_flow");
	TCase *tc;

	tc = tcase(s, "flow");
	tcase_add_test(tc, test_inflight_limit);
	tcase_add_test(tc, test_completion_backlog);
	tcase_add_test(tc, test_close_with_io_in_flight);
	tcase_add_test(tc, test_close_racing_io);
	tcase_add_test(tc, test_unload_racing_io);
	tcase_add_test(tc, test_teardown_with_io);
	tcase_add_test(tc, test_stream_loses_nothing);
	return test_main(s);
}
