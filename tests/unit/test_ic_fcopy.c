/* SPDX-License-Identifier: MIT */
/*
 * The file copy integration component (src/devices/ic_fcopy.c) against a simulated
 * guest whose hv_utils and hv_fcopy_daemon answer as Linux's do (fcopy_guest.c), and
 * against answers no guest should send: another operation, a message cut short, a
 * stale trans_id, names without terminators in the echo.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcopy_guest.h"
#include "guid.h"
#include "ic.h"
#include "ic_fcopy.h"
#include "loop.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"

#define RAM		(16ull << 20)
#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define RING_PAGES	4
#define FCOPY_CLASS	"34d14be3-dee4-41c8-9ae7-6b174977c192"
#define FCOPY_INSTANCE	"eb765408-105f-49b6-b4aa-c123b64d17d4"
#define E_FAIL		0x80004005u
#define EXISTS		0x80070050u
#define DISK_FULL	0x80070070u
#define CHUNK		6144

static struct vg g;
static struct ic *fc;
static struct vg_chan ch;
static struct vmbus_msg_offer_channel offer;
static struct fcopy_guest fg;
static uint8_t pkt[FG_PKT];
static char dir[64], root[128], src[128];
static uint32_t next_gpadl = 0x100;

/* ---- the host's side, on the loop ------------------------------------------------- */

struct res {
	atomic_int done;
	struct ic_fcopy_result r;
};

static void on_result(void *opaque, const struct ic_fcopy_result *r)
{
	struct res *x = opaque;

	ck_assert_int_eq(atomic_load(&x->done), 0);
	x->r = *r;
	atomic_store(&x->done, 1);
}

enum { C_COPY, C_ABORT, C_STATUS, C_TIMEOUT, C_BUSY };

struct call {
	int what;
	int fd;
	uint64_t size;
	const char *dir, *name;
	uint32_t flags;
	struct res *res;
	uint64_t ns;
	int ret;
	struct ic_status st;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case C_COPY: c->ret = ic_fcopy_copy(fc, c->fd, c->size, c->dir, c->name, c->flags, on_result, c->res); break;
	case C_ABORT: ic_fcopy_abort(fc, c->res); break;
	case C_STATUS: ic_get_status(fc, &c->st); break;
	case C_TIMEOUT: ic_set_request_timeout(fc, c->ns); break;
	case C_BUSY: c->ret = ic_fcopy_busy(fc); break;
	}
}

static int host(struct call c)
{
	if (c.res)
		atomic_store(&c.res->done, 0);
	vg_call(&g, do_call, &c);
	return c.ret;
}

static struct ic_status status(void)
{
	struct call c = { .what = C_STATUS };

	vg_call(&g, do_call, &c);
	return c.st;
}

static bool res_done(struct vg *gu, void *ctx)
{
	(void)gu;
	return atomic_load(&((struct res *)ctx)->done);
}

static void wait_res(struct res *r)
{
	ck_assert_msg(vg_wait(&g, res_done, r, VG_TMO), "the copy did not end");
}

/* A host file of size bytes (a pattern), opened for the copy. */
static int make_src(uint64_t size)
{
	int fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	for (uint64_t i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(i * 7 + i / 251);

		ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)i), 1);
	}
	return fd;
}

/* The guest's file at path (under root) holds what make_src wrote. */
static void check_copy(const char *path, uint64_t size)
{
	char full[256];
	struct stat st;
	int fd;

	snprintf(full, sizeof(full), "%s%s", root, path);
	fd = open(full, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s is not in the guest", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, size);
	for (uint64_t i = 0; i < size; i++) {
		uint8_t b;

		ck_assert_int_eq(pread(fd, &b, 1, (off_t)i), 1);
		ck_assert_uint_eq(b, (uint8_t)(i * 7 + i / 251));
	}
	close(fd);
}

static bool guest_has(const char *path)
{
	char full[256];

	snprintf(full, sizeof(full), "%s%s", root, path);
	return access(full, F_OK) == 0;
}

/* ---- setup ------------------------------------------------------------------------- */

static void open_chan(void)
{
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, next_gpadl++, RING_GPA, RING_PAGES, RING_PAGES, 0), 0);
}

/*
 * The guest's interrupts, on the loop's thread, taken as Linux's vmbus ISR takes them:
 * it clears the channel's event flag (so the next signal interrupts again). A signal
 * on the file copy channel brings a request, which hv_utils answers in place, as large
 * as it came, and drops if its ring has no room for it: then the ring must have room.
 */
static uint32_t watch_relid;		/* 0: interrupts are only counted */
static atomic_uint signals_seen, signals_without_room;

#define WRITE_ANSWER_SPACE	(FG_BODY + 6196 + 8)	/* a WRITE's packet and its trailer */

static void on_inject(void *ctx, unsigned vp, uint8_t vector)
{
	uint8_t bit, *flags;

	(void)ctx, (void)vp, (void)vector;
	__atomic_fetch_add(&g.injections, 1, __ATOMIC_SEQ_CST);
	if (!watch_relid)
		return;
	flags = vg_sief_byte(&g, 0, watch_relid);
	bit = (uint8_t)(1u << (watch_relid % 8));
	if (!(__atomic_fetch_and(flags, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit))
		return;
	atomic_fetch_add(&signals_seen, 1);
	/* Linux: bytes_avail_towrite <= totalbytes_towrite is -EAGAIN */
	if (vg_write_space(&ch) <= WRITE_ANSWER_SPACE)
		atomic_fetch_add(&signals_without_room, 1);
}

static void setup_unnegotiated(void)
{
	struct vg_config cfg = { .ram = RAM, .nvp = 1, .mode = VG_THREADED, .inject = on_inject };
	struct vmbus_guid class, inst;

	strcpy(dir, "/tmp/hvkvm-fcopy-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/guest", dir);
	snprintf(src, sizeof(src), "%s/src.bin", dir);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	watch_relid = 0;
	atomic_store(&signals_seen, 0);
	atomic_store(&signals_without_room, 0);
	vg_init_with(&g, &cfg);
	fc = ic_fcopy_new(g.bus, g.loop);
	ck_assert_ptr_nonnull(fc);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, &offer, 1), 1);
	ck_assert_int_eq(vmbus_guid_parse(FCOPY_CLASS, &class), 0);
	ck_assert_int_eq(vmbus_guid_parse(FCOPY_INSTANCE, &inst), 0);
	ck_assert_mem_eq(&offer.offer.if_type, &class, 16);
	ck_assert_mem_eq(&offer.offer.if_instance, &inst, 16);
	memset(&ch, 0, sizeof(ch));
	open_chan();
	fcopy_guest_init(&fg, &ch, root);
}

static void setup(void)
{
	int len;

	setup_unnegotiated();
	len = fcopy_guest_read(&fg, pkt, VG_TMO);
	ck_assert_int_gt(len, 0);
	fcopy_guest_negotiate(&fg, pkt, len);
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
}

static void teardown(void)
{
	char cmd[128];

	fcopy_guest_fini(&fg);
	vg_stop(&g);
	ic_free(fc);
	vg_destroy(&g);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The next request: checked as Linux reads it; its operation. */
static uint32_t read_request(int *lenp)
{
	int len = fcopy_guest_read(&fg, pkt, VG_TMO);
	uint16_t msgsize;
	uint32_t op;

	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq(pkt[FG_MSGTYPE], 7);
	ck_assert_uint_eq(pkt[FG_FLAGS], 1 | 2);
	memcpy(&msgsize, pkt + FG_MSGSIZE, 2);
	ck_assert_int_eq((FG_BODY + msgsize + 7) & ~7, len);	/* packets are padded to 8 bytes */
	ck_assert_int_le(len, 8192);	/* what hv_fcopy reads */
	memcpy(&op, pkt + FG_BODY, 4);
	*lenp = len;
	return op;
}

static void answer(int len)
{
	fcopy_guest_process(&fg, pkt, len);
	fcopy_guest_send(&fg, pkt, len);
}

static uint64_t trans_of(void)
{
	uint64_t t;

	memcpy(&t, pkt + 8, 8);
	return t;
}

/* Serve until r ends. */
static void serve_until(struct res *r)
{
	uint64_t end = test_now_ms() + VG_TMO;

	while (!atomic_load(&r->done)) {
		ck_assert_msg(test_now_ms() < end, "the copy did not end");
		fcopy_guest_serve(&fg, 20);
	}
}

/* The guest's answer, once its ring has room for it (the host reads what it drops). */
static void send_answer(int len)
{
	ck_assert(WAIT_UNTIL(vg_write_space(&ch) >= (uint32_t)len + 64, VG_TMO));
	fcopy_guest_send(&fg, pkt, len);
}

/* ---- tests --------------------------------------------------------------------------- */

START_TEST(negotiation)
{
	struct ic_status st;
	uint16_t v[6];
	int len;

	setup_unnegotiated();
	ck_assert_int_eq(host((struct call){ .what = C_COPY, .fd = -1, .dir = "/tmp", .name = "x" }), -ENODEV);
	len = fcopy_guest_read(&fg, pkt, VG_TMO);
	ck_assert_int_gt(len, 0);
	/* framework 1.0 and 3.0, message 1.1 */
	memcpy(v, pkt + FG_BODY, 4);
	ck_assert_uint_eq(v[0], 2);
	ck_assert_uint_eq(v[1], 1);
	memcpy(v, pkt + FG_BODY + 8 + 8, 4);
	ck_assert(v[0] == 1 && v[1] == 1);
	fcopy_guest_negotiate(&fg, pkt, len);
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	st = status();
	ck_assert_uint_eq(st.major, 1);
	ck_assert_uint_eq(st.minor, 1);
	ck_assert_str_eq(st.instance_id, FCOPY_INSTANCE);
	ck_assert_str_eq(st.name, "file copy");
}
END_TEST

START_TEST(copy_whole)
{
	uint64_t size = 3 * CHUNK + 100, off = 0;
	static struct res r;
	uint32_t op, flags, wsize;
	uint64_t fsize, woff, t;
	uint16_t u;
	char d[160];
	int fd = make_src(size), len;

	ck_assert_int_eq(host((struct call){ C_COPY, fd, size, "/data", "out.bin", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_int_eq(host((struct call){ .what = C_BUSY }), 1);
	snprintf(d, sizeof(d), "%s/data", root);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	/* START: the names NUL-terminated, the directory with a '/' at its end */
	op = read_request(&len);
	ck_assert_uint_eq(op, 0);
	ck_assert_int_eq(len, (FG_BODY + 1088 + 7) & ~7);
	memcpy(&u, pkt + FG_BODY + 36 + 2 * 7, 2);
	ck_assert_uint_eq(u, 0);
	memcpy(&u, pkt + FG_BODY + 36, 2);
	ck_assert_uint_eq(u, 'o');
	memcpy(&u, pkt + FG_BODY + 556 + 2 * 5, 2);
	ck_assert_uint_eq(u, '/');
	memcpy(&u, pkt + FG_BODY + 556 + 2 * 6, 2);
	ck_assert_uint_eq(u, 0);
	memcpy(&flags, pkt + FG_BODY + 1076, 4);
	memcpy(&fsize, pkt + FG_BODY + 1080, 8);
	ck_assert_uint_eq(flags, 0);
	ck_assert_uint_eq(fsize, size);
	t = trans_of();
	answer(len);
	/* WRITEs: whole 6196-byte messages, 6 KiB each, in order; one at a time */
	for (int i = 0; i < 4; i++) {
		op = read_request(&len);
		ck_assert_uint_eq(op, 1);
		ck_assert_int_eq(len, FG_BODY + 6196);
		ck_assert_uint_eq(trans_of(), t + 1 + (uint64_t)i);
		memcpy(&woff, pkt + FG_BODY + 40, 8);
		memcpy(&wsize, pkt + FG_BODY + 48, 4);
		ck_assert_uint_eq(woff, off);
		ck_assert_uint_eq(wsize, i < 3 ? CHUNK : 100);
		off += wsize;
		ck_assert_uint_eq(vg_read_avail(&ch), 0);
		answer(len);
	}
	op = read_request(&len);
	ck_assert_uint_eq(op, 2);
	ck_assert_int_eq(len, FG_BODY + 36);
	answer(len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
	ck_assert_uint_eq(r.r.bytes, size);
	ck_assert_int_eq(host((struct call){ .what = C_BUSY }), 0);
	check_copy("/data/out.bin", size);
	/* the host file was closed: its descriptor is free again */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_uint_eq(status().dropped, 0);
}
END_TEST

/*
 * Each answer can start the next request, which Linux answers in place at its full
 * size: 6 KiB for a WRITE in a 12 KiB ring. The host must have taken the last answer
 * out of the guest's ring (published its read index) before it signals the next
 * request, or hv_utils finds no room for its answer and drops it for good.
 */
START_TEST(answer_room)
{
	uint64_t size = 12 * CHUNK + 1;
	static struct res r;
	int fd = make_src(size);

	/* the negotiation's signal left the flag set: from now on the ISR clears it */
	__atomic_and_fetch(vg_sief_byte(&g, 0, offer.child_relid), (uint8_t)~(1u << (offer.child_relid % 8)),
			   __ATOMIC_SEQ_CST);
	watch_relid = offer.child_relid;
	ck_assert_int_eq(host((struct call){ C_COPY, fd, size, "/", "room.bin", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
	ck_assert_uint_eq(r.r.bytes, size);
	check_copy("/room.bin", size);
	/* START, 13 WRITEs, COMPLETE: the host signalled each, into an empty ring */
	ck_assert_uint_ge(atomic_load(&signals_seen), 10);
	ck_assert_uint_eq(atomic_load(&signals_without_room), 0);
	ck_assert_uint_eq(status().dropped, 0);
}
END_TEST

START_TEST(empty_file)
{
	static struct res r;
	int fd = make_src(0);

	ck_assert_int_eq(host((struct call){ C_COPY, fd, 0, "/", "empty", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
	ck_assert_uint_eq(fg.ops[1], 0);
	ck_assert_uint_eq(fg.ops[2], 1);
	check_copy("/empty", 0);
}
END_TEST

START_TEST(exists_and_overwrite)
{
	static struct res r;
	int fd;

	fd = make_src(10000);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 10000, "/", "f", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, 0);
	/* again, without overwrite: the daemon's status, nothing written, no CANCEL */
	fd = make_src(20000);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 20000, "/", "f", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, EXISTS);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_START);
	ck_assert_uint_eq(r.r.bytes, 0);
	ck_assert(!fcopy_guest_serve(&fg, 200));
	ck_assert_uint_eq(fg.ops[3], 0);
	check_copy("/f", 10000);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	/* with it: replaced */
	fd = make_src(20000);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 20000, "/", "f", IC_FCOPY_OVERWRITE, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, 0);
	check_copy("/f", 20000);
}
END_TEST

START_TEST(create_path)
{
	static struct res r;
	int fd;

	fd = make_src(5);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 5, "/a/b", "c", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, E_FAIL);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_START);
	/* the '/' added at the end makes the daemon create the last directory too */
	fd = make_src(5);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 5, "/a/b", "c", IC_FCOPY_CREATE_PATH, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, 0);
	check_copy("/a/b/c", 5);
	fd = make_src(7);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 7, "/a/x/", "c", IC_FCOPY_CREATE_PATH, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, 0);
	check_copy("/a/x/c", 7);
}
END_TEST

START_TEST(disk_full)
{
	static struct res r;
	int fd = make_src(5 * CHUNK);

	fg.fail_write_at = 2;
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 5 * CHUNK, "/", "big", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, DISK_FULL);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_WRITE);
	ck_assert_uint_eq(r.r.bytes, CHUNK);
	/* then CANCEL, sent before the copy's end was told (serve_until may have served
	 * it already): the daemon removes the partial file */
	ck_assert(fg.ops[3] == 1 || fcopy_guest_serve(&fg, VG_TMO));
	ck_assert_uint_eq(fg.ops[3], 1);
	ck_assert(!guest_has("/big"));
	ck_assert_uint_eq(fg.ops[2], 0);
}
END_TEST

START_TEST(no_daemon)
{
	static struct res r;
	int fd = make_src(100);

	/* hv_utils negotiates without the daemon, then fails every request */
	fg.daemon = false;
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 100, "/", "x", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, E_FAIL);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_START);
}
END_TEST

/* Edits to the guest's answer to the current request, then whether the copy goes on. */
static void other_op(void) { uint32_t op = 9; memcpy(pkt + FG_BODY, &op, 4); }
static void short_msg(void) { uint16_t s = 20; memcpy(pkt + FG_MSGSIZE, &s, 2); }

START_TEST(malformed_answers)
{
	static struct res r;
	int fd, len;

	/* another operation in the answer: not an answer to this request */
	fd = make_src(3 * CHUNK);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 3 * CHUNK, "/", "m", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	fcopy_guest_process(&fg, pkt, len);
	other_op();
	fcopy_guest_send(&fg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -EPROTO);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_WRITE);
	ck_assert_uint_eq(read_request(&len), 3);	/* CANCEL */
	answer(len);
	ck_assert(!guest_has("/m"));

	/* an IC message too short for the fcopy header */
	fd = make_src(10);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 10, "/", "m", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	fcopy_guest_process(&fg, pkt, len);
	short_msg();
	fcopy_guest_send(&fg, pkt, len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -EPROTO);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_START);
	ck_assert_uint_eq(read_request(&len), 3);
	answer(len);

	/* the echo of START with names that end nowhere and are no UTF-16: the host reads
	 * no text from the guest, only the status */
	fd = make_src(10);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 10, "/", "m", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	fcopy_guest_process(&fg, pkt, len);
	for (int i = 0; i < 520; i += 2) {
		pkt[FG_BODY + 36 + i] = 0x00;
		pkt[FG_BODY + 36 + i + 1] = 0xd8;
		pkt[FG_BODY + 556 + i] = 'A';
		pkt[FG_BODY + 556 + i + 1] = 0;
	}
	fcopy_guest_send(&fg, pkt, len);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
	check_copy("/m", 10);
	/* the answer to an unknown operation is checked the same way */
	ck_assert_int_eq(ic_fcopy_check_answer(1, (const uint8_t *)"\x09\0\0\0", 4), -EPROTO);
	{
		uint8_t h[36] = { 4 };

		ck_assert_int_eq(ic_fcopy_check_answer(4, h, 36), 0);
		ck_assert_int_eq(ic_fcopy_check_answer(4, h, 35), -EPROTO);
		ck_assert_int_eq(ic_fcopy_check_answer(5, h, 36), -EPROTO);
	}
}
END_TEST

START_TEST(out_of_order)
{
	static struct res r;
	uint64_t t;
	int fd, len;

	fd = make_src(3 * CHUNK);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 3 * CHUNK, "/", "o", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	t = trans_of();
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	fcopy_guest_process(&fg, pkt, len);
	/* the second WRITE's answer carrying the first's trans_id, then again the first's,
	 * then one without the response flag: all dropped, the copy waits */
	memcpy(pkt + 8, &t, 8);
	send_answer(len);
	pkt[FG_FLAGS] = 1;
	t++;
	memcpy(pkt + 8, &t, 8);
	send_answer(len);
	ck_assert(WAIT_UNTIL(status().dropped == 1, VG_TMO));
	ck_assert(WAIT_UNTIL(vg_write_space(&ch) >= (uint32_t)len + 64, VG_TMO));
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
	ck_assert(!atomic_load(&r.done));
	pkt[FG_FLAGS] = 1 | 4;
	send_answer(len);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
	check_copy("/o", 3 * CHUNK);
	/* an answer once the copy ended: dropped */
	send_answer(len);
	ck_assert(WAIT_UNTIL(status().dropped == 2, VG_TMO));
}
END_TEST

START_TEST(names)
{
	static struct res r;
	char big[300];
	uint16_t u;
	int fd, len;

	ck_assert_ptr_null(ic_fcopy_check_name("a.bin"));
	ck_assert_ptr_nonnull(ic_fcopy_check_name(""));
	ck_assert_ptr_nonnull(ic_fcopy_check_name("."));
	ck_assert_ptr_nonnull(ic_fcopy_check_name(".."));
	ck_assert_ptr_nonnull(ic_fcopy_check_name("a/b"));
	ck_assert_ptr_nonnull(ic_fcopy_check_name("\xff"));
	ck_assert_ptr_nonnull(ic_fcopy_check_name("\xed\xa0\x80"));	/* a surrogate */
	ck_assert_ptr_nonnull(ic_fcopy_check_name("a\xc3"));		/* cut short */
	ck_assert_ptr_null(ic_fcopy_check_dir("/"));
	ck_assert_ptr_null(ic_fcopy_check_dir("/tmp/x"));
	ck_assert_ptr_nonnull(ic_fcopy_check_dir("tmp"));
	ck_assert_ptr_nonnull(ic_fcopy_check_dir(""));
	memset(big, 'n', 259);
	big[259] = 0;
	ck_assert_ptr_null(ic_fcopy_check_name(big));
	big[259] = 'n', big[260] = 0;
	ck_assert_ptr_nonnull(ic_fcopy_check_name(big));
	/* 259 bytes of UTF-8 but fewer units: Linux converts into 259 bytes */
	big[0] = 0;
	for (int i = 0; i < 86; i++)
		strcat(big, "\xe2\x82\xac");
	ck_assert_ptr_null(ic_fcopy_check_name(strcat(big, "e")));
	ck_assert_ptr_nonnull(ic_fcopy_check_name(strcat(big, "e")));
	/* a directory needs room for its '/' */
	big[0] = '/';
	memset(big + 1, 'd', 257);
	big[258] = 0;
	ck_assert_ptr_null(ic_fcopy_check_dir(big));
	big[258] = 'd', big[259] = 0;
	ck_assert_ptr_nonnull(ic_fcopy_check_dir(big));
	big[258] = '/';
	ck_assert_ptr_null(ic_fcopy_check_dir(big));
	ck_assert_int_eq(host((struct call){ C_COPY, -1, 0, "/", "a/b", 0, &r, 0, 0, { 0 } }), -EINVAL);
	ck_assert_int_eq(host((struct call){ C_COPY, -1, 0, "rel", "a", 0, &r, 0, 0, { 0 } }), -EINVAL);
	ck_assert_int_eq(host((struct call){ C_COPY, -1, 0, "/", "a", 4, &r, 0, 0, { 0 } }), -EINVAL);

	/* the longest name fills its field but the last unit, which stays the NUL; a
	 * directory of 258 bytes gets its '/' as unit 258 */
	memset(big, 'n', 259);
	big[259] = 0;
	{
		char d[260];

		d[0] = '/';
		memset(d + 1, 'd', 257);
		d[258] = 0;
		fd = make_src(1);
		ck_assert_int_eq(host((struct call){ C_COPY, fd, 1, d, big, 0, &r, 0, 0, { 0 } }), 0);
	}
	ck_assert_uint_eq(read_request(&len), 0);
	memcpy(&u, pkt + FG_BODY + 36 + 2 * 258, 2);
	ck_assert_uint_eq(u, 'n');
	memcpy(&u, pkt + FG_BODY + 36 + 2 * 259, 2);
	ck_assert_uint_eq(u, 0);
	memcpy(&u, pkt + FG_BODY + 556 + 2 * 258, 2);
	ck_assert_uint_eq(u, '/');
	memcpy(&u, pkt + FG_BODY + 556 + 2 * 259, 2);
	ck_assert_uint_eq(u, 0);
	/* the guest has no such directory */
	answer(len);
	wait_res(&r);
	ck_assert_uint_eq(r.r.status, E_FAIL);

	/* non-ASCII: UTF-16, a surrogate pair for what is beyond the BMP */
	fd = make_src(1);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 1, "/", "\xc3\xa9\xf0\x9f\x98\x80", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	memcpy(&u, pkt + FG_BODY + 36, 2);
	ck_assert_uint_eq(u, 0xe9);
	memcpy(&u, pkt + FG_BODY + 38, 2);
	ck_assert_uint_eq(u, 0xd83d);
	memcpy(&u, pkt + FG_BODY + 40, 2);
	ck_assert_uint_eq(u, 0xde00);
	memcpy(&u, pkt + FG_BODY + 42, 2);
	ck_assert_uint_eq(u, 0);
	answer(len);
	serve_until(&r);
}
END_TEST

START_TEST(one_copy_at_a_time)
{
	static struct res r, r2;
	int fd = make_src(CHUNK + 1), fd2 = make_src(1);

	ck_assert_int_eq(host((struct call){ C_COPY, fd, CHUNK + 1, "/", "one", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_int_eq(host((struct call){ C_COPY, fd2, 1, "/", "two", 0, &r2, 0, 0, { 0 } }), -EBUSY);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, 0);
	ck_assert_int_eq(host((struct call){ C_COPY, fd2, 1, "/", "two", 0, &r2, 0, 0, { 0 } }), 0);
	serve_until(&r2);
	ck_assert_uint_eq(r2.r.status, 0);
	ck_assert_int_eq(fcntl(fd2, F_GETFD), -1);
}
END_TEST

START_TEST(timeout)
{
	static struct res r;
	int fd = make_src(2 * CHUNK), len, writes = 0;
	uint64_t woff;
	uint32_t op;

	ck_assert_int_eq(host((struct call){ C_COPY, fd, 2 * CHUNK, "/", "t", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	/* the WRITEs after this START get 100 ms each */
	host((struct call){ .what = C_TIMEOUT, .ns = 100000000ull });
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	/* unanswered, it goes twice more (while the guest holds it), then the copy fails */
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -ETIMEDOUT);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_WRITE);
	ck_assert_uint_eq(r.r.tries, 3);
	ck_assert_uint_eq(r.r.bytes, 0);
	/* the late answers are dropped; what the guest reads then is the same WRITE again,
	 * then CANCEL */
	host((struct call){ .what = C_TIMEOUT, .ns = 0 });
	fcopy_guest_process(&fg, pkt, len);
	send_answer(len);
	while ((op = read_request(&len)) == 1) {
		memcpy(&woff, pkt + FG_BODY + 40, 8);
		ck_assert_uint_eq(woff, 0);
		fcopy_guest_process(&fg, pkt, len);
		send_answer(len);
		writes++;
	}
	ck_assert_uint_eq(op, 3);
	ck_assert_int_ge(writes, 1);
	fcopy_guest_process(&fg, pkt, len);
	send_answer(len);
	ck_assert(!guest_has("/t"));
	ck_assert(WAIT_UNTIL(status().dropped >= 2, VG_TMO));
	ck_assert(!fcopy_guest_serve(&fg, 200));
}
END_TEST

/* Answer the WRITE in pkt with status, as hv_utils does when it gives up waiting for
 * the daemon (E_FAIL) or the daemon failed. */
static void answer_status(int len, uint32_t st)
{
	pkt[FG_FLAGS] = 1 | 4;
	memcpy(pkt + FG_STATUS, &st, 4);
	fcopy_guest_send(&fg, pkt, len);
}

/* A WRITE the guest fails with E_FAIL goes again at its offset, three times at most. */
START_TEST(write_again)
{
	static struct res r;
	uint64_t size = 3 * CHUNK, woff, t;
	int fd = make_src(size), len;

	ck_assert_int_eq(host((struct call){ C_COPY, fd, size, "/", "w", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	answer(len);
	/* the second WRITE: E_FAIL once, then it comes again with a new trans_id */
	ck_assert_uint_eq(read_request(&len), 1);
	t = trans_of();
	answer_status(len, E_FAIL);
	ck_assert_uint_eq(read_request(&len), 1);
	ck_assert_uint_gt(trans_of(), t);
	memcpy(&woff, pkt + FG_BODY + 40, 8);
	ck_assert_uint_eq(woff, CHUNK);
	answer(len);
	serve_until(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, 0);
	ck_assert_uint_eq(r.r.bytes, size);
	check_copy("/w", size);
	ck_assert_uint_eq(fg.ops[1], 3);	/* the daemon never saw the failed one */

	/* E_FAIL each time: the third is final, and CANCEL removes the file */
	fd = make_src(size);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, size, "/", "w2", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	answer(len);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(read_request(&len), 1);
		memcpy(&woff, pkt + FG_BODY + 40, 8);
		ck_assert_uint_eq(woff, 0);
		answer_status(len, E_FAIL);
	}
	wait_res(&r);
	ck_assert_int_eq(r.r.err, 0);
	ck_assert_uint_eq(r.r.status, E_FAIL);
	ck_assert_int_eq(r.r.stage, IC_FCOPY_STAGE_WRITE);
	ck_assert_uint_eq(r.r.tries, 3);
	ck_assert_uint_eq(r.r.bytes, 0);
	ck_assert_uint_eq(read_request(&len), 3);
	answer(len);
	ck_assert(!guest_has("/w2"));

	/* a full disk is final at once */
	fd = make_src(size);
	fg.fail_write_at = fg.ops[1] + 1;
	ck_assert_int_eq(host((struct call){ C_COPY, fd, size, "/", "w3", 0, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, DISK_FULL);
	ck_assert_uint_eq(r.r.tries, 1);
	ck_assert_uint_eq(status().dropped, 0);
}
END_TEST

START_TEST(channel_closes)
{
	static struct res r;
	int fd = make_src(2 * CHUNK), len;

	ck_assert_int_eq(host((struct call){ C_COPY, fd, 2 * CHUNK, "/", "c", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	vg_close(&g, &ch);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -EPIPE);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(host((struct call){ .what = C_BUSY }), 0);
	fd = make_src(1);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 1, "/", "c", 0, &r, 0, 0, { 0 } }), -ENODEV);
	close(fd);
	/* reopened: negotiated again, copies work */
	open_chan();
	ck_assert(fcopy_guest_serve(&fg, VG_TMO));
	ck_assert(WAIT_UNTIL(status().negotiated, VG_TMO));
	fd = make_src(1);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 1, "/", "c", IC_FCOPY_OVERWRITE, &r, 0, 0, { 0 } }), 0);
	serve_until(&r);
	ck_assert_uint_eq(r.r.status, 0);
}
END_TEST

START_TEST(abort_copy)
{
	static struct res r, r2;
	int fd = make_src(3 * CHUNK), len;

	ck_assert_int_eq(host((struct call){ C_COPY, fd, 3 * CHUNK, "/", "a", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	/* the caller goes away while a WRITE is with the guest */
	host((struct call){ .what = C_ABORT, .res = &r });
	ck_assert_int_eq(host((struct call){ .what = C_BUSY }), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD), 0);	/* held until its WRITE ends */
	fd = make_src(1);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, 1, "/", "b", 0, &r2, 0, 0, { 0 } }), 0);
	answer(len);
	/* CANCEL comes before the next copy's START */
	ck_assert_uint_eq(read_request(&len), 3);
	answer(len);
	ck_assert(!guest_has("/a"));
	serve_until(&r2);
	ck_assert_uint_eq(r2.r.status, 0);
	ck_assert(!atomic_load(&r.done));
	ck_assert_uint_eq(fg.ops[1], 2);	/* the aborted copy's one WRITE, and b's */
}
END_TEST

START_TEST(file_shrinks)
{
	static struct res r;
	int fd = make_src(3 * CHUNK), len;

	ck_assert_int_eq(host((struct call){ C_COPY, fd, 3 * CHUNK, "/", "s", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	ck_assert_int_eq(truncate(src, CHUNK + 10), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	answer(len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -ESTALE);
	ck_assert_uint_eq(r.r.bytes, CHUNK);
	ck_assert_uint_eq(read_request(&len), 3);
	answer(len);
	ck_assert(!guest_has("/s"));
	/* grows: the end would be missing */
	fd = make_src(CHUNK);
	ck_assert_int_eq(host((struct call){ C_COPY, fd, CHUNK, "/", "s", 0, &r, 0, 0, { 0 } }), 0);
	ck_assert_uint_eq(read_request(&len), 0);
	ck_assert_int_eq(truncate(src, CHUNK + 10), 0);
	answer(len);
	ck_assert_uint_eq(read_request(&len), 1);
	answer(len);
	wait_res(&r);
	ck_assert_int_eq(r.r.err, -ESTALE);
	ck_assert_uint_eq(read_request(&len), 3);
	answer(len);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ic_fcopy");
	TCase *tc = tcase_create("negotiation");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, negotiation);
	suite_add_tcase(s, tc);
	tc = tcase_create("copies");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, copy_whole);
	tcase_add_test(tc, answer_room);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, exists_and_overwrite);
	tcase_add_test(tc, create_path);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, no_daemon);
	tcase_add_test(tc, malformed_answers);
	tcase_add_test(tc, out_of_order);
	tcase_add_test(tc, names);
	tcase_add_test(tc, one_copy_at_a_time);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, write_again);
	tcase_add_test(tc, channel_closes);
	tcase_add_test(tc, abort_copy);
	tcase_add_test(tc, file_shrinks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
