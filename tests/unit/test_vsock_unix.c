/* SPDX-License-Identifier: MIT */
/*
 * VMBus sockets on UNIX sockets (src/backends/vsock_unix.c) with a simulated hv_sock
 * guest: a guest connect reaching the listener at PATH_P, "CONNECT P" on PATH reaching
 * the guest with its OK line, data and ends of file both ways, a CONNECT the guest
 * never answers closed without OK, a host that breaks the handshake.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvsock.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vsock_unix.h"

#define RAM		(16ull << 20)
#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define RING_PAGES	7

static struct vg g;
static struct vsock_unix *vu;
static struct vg_chan ch;
static struct vmbus_msg_offer_channel offer;
static char dir[64], path[128];

static void setup(void)
{
	char err[256];

	strcpy(dir, "/tmp/hvkvm-vsock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vs", dir);
	vg_init(&g, RAM, 1);
	vu = vsock_unix_new(g.loop, g.bus, path, err, sizeof(err));
	ck_assert_msg(vu, "%s", err);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, &offer, 1), 0);
	memset(&ch, 0, sizeof(ch));
}

static void teardown(void)
{
	char cmd[128];

	vg_stop(&g);
	vsock_unix_free(vu);
	vg_destroy(&g);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int unix_listen(const char *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(p), sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

static int unix_connect(const char *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(p), sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Up to len bytes from fd within ms: how many; 0 at its end of file. */
static ssize_t read_tmo(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, ms), 1);
	return read(fd, buf, len);
}

/* Exactly len bytes (the test fails on less). */
static void read_exact(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read_tmo(fd, (char *)buf + off, len - off, VG_TMO);

		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
}

static void tl_connect(uint32_t guest_port, uint32_t host_port)
{
	struct vmbus_msg_tl_connect_request m = { .header.msgtype = CHANNELMSG_TL_CONNECT_REQUEST };

	hvsock_port_guid(guest_port, &m.guest_endpoint_id);
	hvsock_port_guid(host_port, &m.host_service_id);
	vg_post(&g, &m, sizeof(m));
}

static int guest_send(const void *data, uint32_t len)
{
	uint8_t buf[4096 + 8];
	struct hvsock_pipe_hdr h = { .pkt_type = 1, .data_size = len };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), data, len);
	return vg_send(&ch, VM_PKT_DATA_INBAND, 0, 0, buf, (uint32_t)sizeof(h) + len);
}

/* The next pipe packet's payload; -2 for the end of file. */
static int guest_read(void *out, size_t max)
{
	uint8_t buf[HVSOCK_MTU + 64];
	struct hvsock_pipe_hdr h;
	int len = vg_read_wait(&ch, buf, sizeof(buf), VG_TMO);

	ck_assert_int_ge(len, 24);
	memcpy(&h, buf + 16, sizeof(h));
	ck_assert_uint_eq(h.pkt_type, 1);
	if (h.data_size == 0)
		return -2;
	ck_assert_uint_le(h.data_size, max);
	memcpy(out, buf + 24, h.data_size);
	return (int)h.data_size;
}

static void take_offer(uint32_t type_port, bool from_host)
{
	union vg_msg m;
	struct vmbus_guid t;

	vg_expect(&g, CHANNELMSG_OFFERCHANNEL, &m);
	offer = m.offer;
	hvsock_port_guid(type_port, &t);
	ck_assert_mem_eq(&offer.offer.if_type, &t, 16);
	ck_assert_uint_eq(offer.offer.user_def[4], from_host);
}

static void expect_rescind(void)
{
	union vg_msg m;

	vg_expect(&g, CHANNELMSG_RESCIND_CHANNELOFFER, &m);
	ck_assert_uint_eq(m.relid.child_relid, offer.child_relid);
	if (ch.open)
		vg_close(&g, &ch);
	vg_send_relid(&g, CHANNELMSG_RELID_RELEASED, offer.child_relid);
	vg_ping(&g);
}

START_TEST(guest_to_host_listener)
{
	char lp[160], buf[64];
	int lfd, fd;

	snprintf(lp, sizeof(lp), "%s_5000", path);
	lfd = unix_listen(lp);
	tl_connect(1234, 5000);
	take_offer(5000, false);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, 0x100, RING_GPA, RING_PAGES, RING_PAGES, 0), 0);
	ck_assert_int_eq(guest_send("hello", 5), 0);
	read_exact(fd, buf, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(write(fd, "world", 5), 5);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "world", 5);
	/* the host's half close reaches the guest; the guest's reaches the host */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), -2);
	ck_assert_int_eq(guest_send("bye", 3), 0);
	read_exact(fd, buf, 3);
	ck_assert_int_eq(guest_send("", 0), 0);
	ck_assert_int_eq(read_tmo(fd, buf, sizeof(buf), VG_TMO), 0);
	expect_rescind();
	close(fd);
	close(lfd);
}
END_TEST

START_TEST(host_resets)
{
	char lp[160];
	union vg_msg m;
	int lfd, fd;

	snprintf(lp, sizeof(lp), "%s_5002", path);
	lfd = unix_listen(lp);
	tl_connect(1234, 5002);
	take_offer(5002, false);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, 0x100, RING_GPA, RING_PAGES, RING_PAGES, 0), 0);
	ck_assert_int_eq(guest_send("unread", 6), 0);
	/* the bytes reach the host's socket ... */
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };

		ck_assert_int_eq(poll(&p, 1, VG_TMO), 1);
	}
	/* ... which closes without reading them: a reset; the connection goes at once,
	 * without an end of file first */
	close(fd);
	vg_expect(&g, CHANNELMSG_RESCIND_CHANNELOFFER, &m);
	ck_assert_uint_eq(m.relid.child_relid, offer.child_relid);
	ck_assert_int_eq(vg_read_avail(&ch), 0);
	vg_close(&g, &ch);
	close(lfd);
}
END_TEST

START_TEST(guest_to_nothing)
{
	union vg_msg m;

	/* no listener at PATH_5001: no offer, the guest's connect times out */
	tl_connect(1234, 5001);
	vg_ping(&g);
	ck_assert_int_lt(vg_recv(&g, &m, 100), 0);
}
END_TEST

START_TEST(host_to_guest_listener)
{
	char buf[64];
	int fd = unix_connect(path);
	ssize_t n;

	/* the first data right behind the line */
	ck_assert_int_eq(write(fd, "CONNECT 80\nearly", 16), 16);
	take_offer(80, true);
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, 0x100, RING_GPA, RING_PAGES, RING_PAGES, 0), 0);
	n = read_tmo(fd, buf, sizeof(buf) - 1, VG_TMO);
	ck_assert_int_gt(n, 0);
	buf[n] = 0;
	ck_assert_str_eq(buf, "OK 1073741824\n");
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "early", 5);
	ck_assert_int_eq(guest_send("pong", 4), 0);
	read_exact(fd, buf, 4);
	ck_assert_mem_eq(buf, "pong", 4);
	/* the host closes: the guest reads the end, ends too, the channel goes */
	close(fd);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), -2);
	ck_assert_int_eq(guest_send("", 0), 0);
	expect_rescind();
}
END_TEST

START_TEST(host_to_no_listener)
{
	char buf[16];
	int fd = unix_connect(path);

	ck_assert_int_eq(write(fd, "CONNECT 81\n", 11), 11);
	take_offer(81, true);
	/* the guest never opens it: closed without OK after hvkvm's timeout */
	ck_assert_int_eq(read_tmo(fd, buf, sizeof(buf), HVSOCK_OPEN_TIMEOUT_MS + VG_TMO), 0);
	close(fd);
}
END_TEST

START_TEST(host_bad_lines)
{
	static const char *const lines[] = { "HELLO\n", "CONNECT\n", "CONNECT 4294967295\n", "CONNECT 1x\n",
					     "CONNECT 99999999999\n", "CONNECT 5 \n" };
	char buf[16];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int fd = unix_connect(path);

		ck_assert_int_eq(write(fd, lines[i], strlen(lines[i])), (ssize_t)strlen(lines[i]));
		ck_assert_msg(read_tmo(fd, buf, sizeof(buf), VG_TMO) == 0, "%s", lines[i]);
		close(fd);
	}
	/* a line that never ends */
	{
		int fd = unix_connect(path);
		char junk[64];

		memset(junk, 'x', sizeof(junk));
		ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
		ck_assert_int_le(read_tmo(fd, buf, sizeof(buf), VG_TMO), 0);
		close(fd);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vsock_unix");
	TCase *t = tcase_create("vsock_unix");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, guest_to_host_listener);
	tcase_add_test(t, host_resets);
	tcase_add_test(t, guest_to_nothing);
	tcase_add_test(t, host_to_guest_listener);
	tcase_add_test(t, host_to_no_listener);
	tcase_add_test(t, host_bad_lines);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_main(suite());
}
