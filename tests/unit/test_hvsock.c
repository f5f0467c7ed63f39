/* SPDX-License-Identifier: MIT */
/*
 * VMBus sockets (src/devices/hvsock.c) against a simulated guest that plays Linux's
 * hv_sock: a guest connect request answered by an offer of the right service and
 * endpoint, data both ways in pipe packets, ends of file both ways and the rescind
 * that follows, a host connect the guest never opens, a back end that takes guest
 * bytes slowly, and packets and requests no guest should send.
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "hvsock.h"
#include "loop.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"

#define RAM		(16ull << 20)
#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define RING_PAGES	7	/* a control page and 24 KiB, as hv_sock's default */

static struct vg g;
static struct hvsock *hs;
static struct vg_chan ch;
static struct vmbus_msg_offer_channel offer;
static uint32_t next_gpadl = 0x100;

/* ---- a back end on the loop ------------------------------------------------------ */

struct fake {
	atomic_int connects, established, eofs, closes, tx_ready;
	atomic_uint rx_bytes;
	atomic_uint rx_takes;		/* rx calls that took bytes */
	bool refuse;
	size_t rx_limit;		/* bytes in all the back end takes; SIZE_MAX: everything */
	uint32_t host_port, guest_port;
	struct hvsock_conn *c;
	uint8_t rx[1 << 20];
};
static struct fake fb;

static int be_connect(void *opaque, struct hvsock_conn *c, uint32_t host_port, uint32_t guest_port, void **conn)
{
	(void)opaque;
	atomic_fetch_add(&fb.connects, 1);
	if (fb.refuse)
		return -ECONNREFUSED;
	fb.host_port = host_port;
	fb.guest_port = guest_port;
	fb.c = c;
	*conn = &fb;
	return 0;
}

static void be_established(void *conn)
{
	ck_assert_ptr_eq(conn, &fb);
	atomic_fetch_add(&fb.established, 1);
}

static size_t be_rx(void *conn, const uint8_t *buf, size_t len)
{
	unsigned have = atomic_load(&fb.rx_bytes);

	(void)conn;
	if (have >= fb.rx_limit)
		return 0;
	if (len > fb.rx_limit - have)
		len = fb.rx_limit - have;
	if (have + len > sizeof(fb.rx))
		len = sizeof(fb.rx) - have;
	memcpy(fb.rx + have, buf, len);
	atomic_store(&fb.rx_bytes, have + (unsigned)len);
	if (len)
		atomic_fetch_add(&fb.rx_takes, 1);
	return len;
}

static void be_rx_eof(void *conn)
{
	(void)conn;
	atomic_fetch_add(&fb.eofs, 1);
}

static void be_tx_ready(void *conn)
{
	(void)conn;
	atomic_fetch_add(&fb.tx_ready, 1);
}

static void be_closed(void *conn)
{
	(void)conn;
	fb.c = NULL;
	atomic_fetch_add(&fb.closes, 1);
}

static const struct hvsock_backend fake_ops = {
	.connect = be_connect,
	.established = be_established,
	.rx = be_rx,
	.rx_eof = be_rx_eof,
	.tx_ready = be_tx_ready,
	.closed = be_closed,
};

/* ---- calls on the loop ------------------------------------------------------------ */

enum { H_SEND, H_SHUTDOWN, H_RX_READY, H_CLOSE, H_CONNECT, H_LIMIT, H_TIMEOUT };

struct call {
	int what;
	const uint8_t *buf;
	size_t len, ret;
	uint32_t port, host_port;
	int r;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case H_SEND: c->ret = hvsock_conn_send(fb.c, c->buf, c->len); break;
	case H_SHUTDOWN: hvsock_conn_shutdown(fb.c); break;
	case H_RX_READY: hvsock_conn_rx_ready(fb.c); break;
	case H_CLOSE: hvsock_conn_close(fb.c); fb.c = NULL; break;
	case H_CONNECT: c->r = hvsock_connect_guest(hs, c->port, &fb, &fb.c, &c->host_port); break;
	case H_LIMIT: fb.rx_limit = c->len; break;
	case H_TIMEOUT: hvsock_set_open_timeout(hs, (unsigned)c->len); break;
	}
}

static size_t host_send(const void *buf, size_t len)
{
	struct call c = { .what = H_SEND, .buf = buf, .len = len };

	vg_call(&g, do_call, &c);
	return c.ret;
}

static void host(int what, size_t len)
{
	struct call c = { .what = what, .len = len };

	vg_call(&g, do_call, &c);
}

static bool atomic_reached(struct vg *gu, void *ctx)
{
	(void)gu;
	return atomic_load((atomic_int *)ctx) > 0;
}

static bool rx_reached(struct vg *gu, void *ctx)
{
	(void)gu;
	return atomic_load(&fb.rx_bytes) >= *(unsigned *)ctx;
}

#define WAIT_FOR(field) ck_assert_msg(vg_wait(&g, atomic_reached, &fb.field, VG_TMO), #field " did not happen")

/* ---- the guest's side --------------------------------------------------------------- */

static void tl_connect(uint32_t guest_port, uint32_t host_port)
{
	struct vmbus_msg_tl_connect_request m = { .header.msgtype = CHANNELMSG_TL_CONNECT_REQUEST };

	hvsock_port_guid(guest_port, &m.guest_endpoint_id);
	hvsock_port_guid(host_port, &m.host_service_id);
	vg_post(&g, &m, sizeof(m));
}

/* A pipe packet: pkt_type, data_size and len bytes of payload (data_size may lie). */
static int guest_send(uint32_t type, uint32_t size, const void *data, uint32_t len)
{
	uint8_t buf[HVSOCK_MTU + 1024];
	struct hvsock_pipe_hdr h = { .pkt_type = type, .data_size = size };

	ck_assert_uint_le(len, sizeof(buf) - sizeof(h));

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	return vg_send(&ch, VM_PKT_DATA_INBAND, 0, 0, buf, (uint32_t)sizeof(h) + len);
}

/* The next host packet: its payload into out, its size; -2 for the end of file. */
static int guest_read(void *out, size_t max)
{
	uint8_t buf[HVSOCK_MTU + 64];
	struct vmbus_packet_desc d;
	struct hvsock_pipe_hdr h;
	int len = vg_read_wait(&ch, buf, sizeof(buf), VG_TMO);

	ck_assert_int_gt(len, 0);
	memcpy(&d, buf, sizeof(d));
	ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(d.offset8, 2);
	memcpy(&h, buf + 16, sizeof(h));
	ck_assert_uint_eq(h.pkt_type, 1);
	ck_assert_uint_le(h.data_size, (uint32_t)len - 24);
	ck_assert_uint_le(h.data_size, HVSOCK_MTU);
	if (h.data_size == 0)
		return -2;
	ck_assert_uint_le(h.data_size, max);
	memcpy(out, buf + 24, h.data_size);
	return (int)h.data_size;
}

static void expect_offer(uint32_t type_port, uint32_t instance_port, bool from_host)
{
	union vg_msg m;
	struct vmbus_guid t, i;

	vg_expect(&g, CHANNELMSG_OFFERCHANNEL, &m);
	offer = m.offer;
	hvsock_port_guid(type_port, &t);
	hvsock_port_guid(instance_port, &i);
	ck_assert_mem_eq(&offer.offer.if_type, &t, 16);
	ck_assert_mem_eq(&offer.offer.if_instance, &i, 16);
	ck_assert_uint_eq(offer.offer.chn_flags & VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER, VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER);
	ck_assert_uint_eq(offer.offer.user_def[4], from_host);
	ck_assert_uint_eq(offer.offer.sub_channel_index, 0);
}

/* The host's ring (host to guest) of dn_pages, its control page counted. */
static void open_offer_ring(unsigned dn_pages)
{
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, next_gpadl++, RING_GPA, RING_PAGES, dn_pages, 0), 0);
	WAIT_FOR(established);
}

static void open_offer(void)
{
	open_offer_ring(RING_PAGES);
}

/* The rescind of the open channel; the guest closes and releases it, as hv_sock does. */
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

/* Nothing but the ping's answer comes. */
static void expect_quiet(void)
{
	union vg_msg m;

	vg_ping(&g);
	ck_assert_int_lt(vg_recv(&g, &m, 50), 0);
}

static void setup(void)
{
	memset(&fb, 0, sizeof(fb));
	fb.rx_limit = SIZE_MAX;
	vg_init(&g, RAM, 1);
	hs = hvsock_new(g.bus, g.loop, &fake_ops, NULL);
	ck_assert_ptr_nonnull(hs);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, &offer, 1), 0);
	memset(&ch, 0, sizeof(ch));
}

static void teardown(void)
{
	vg_stop(&g);
	hvsock_free(hs);
	vg_destroy(&g);
}

static void connected_from_guest_ring(unsigned dn_pages)
{
	tl_connect(1234, 5000);
	expect_offer(5000, 1234, false);
	ck_assert_int_eq(atomic_load(&fb.connects), 1);
	ck_assert_uint_eq(fb.host_port, 5000);
	ck_assert_uint_eq(fb.guest_port, 1234);
	open_offer_ring(dn_pages);
}

static void connected_from_guest(void)
{
	connected_from_guest_ring(RING_PAGES);
}

/* The guest reads packets of exactly the sizes in want (0 ends the list), checking
 * their bytes against data from *off on. */
static void expect_packets(const uint8_t *data, size_t *off, const int *want)
{
	static uint8_t got[HVSOCK_MTU];

	for (; *want; want++) {
		ck_assert_int_eq(guest_read(got, sizeof(got)), *want);
		ck_assert_mem_eq(got, data + *off, (size_t)*want);
		*off += (size_t)*want;
	}
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
}

/* Bytes in the host's packets: a packet takes its payload, 24 bytes of headers, the
 * padding to 8 and an 8-byte trailer; one always stays free. */
#define PKT_SPACE(n)	((((n) + 24u + 7u) & ~7u) + 8u)
#define RING_DATA	((RING_PAGES - 1) * 4096u)

/* ---- tests ------------------------------------------------------------------------- */

START_TEST(port_guids)
{
	struct vmbus_guid id, want;
	uint32_t port;

	/* 0x00001388 (5000) in 00000000-facb-11e6-bd58-64006a7986d3 */
	ck_assert_int_eq(vmbus_guid_parse("00001388-facb-11e6-bd58-64006a7986d3", &want), 0);
	hvsock_port_guid(5000, &id);
	ck_assert_mem_eq(&id, &want, 16);
	ck_assert(hvsock_guid_port(&id, &port));
	ck_assert_uint_eq(port, 5000);
	id.b[10] ^= 1;
	ck_assert(!hvsock_guid_port(&id, &port));
}
END_TEST

START_TEST(guest_connect_data_both_ways)
{
	static uint8_t big[3 * HVSOCK_SEND_CHUNK + 100], got[sizeof(big)];
	unsigned want = 5;
	size_t off = 0;
	char buf[16];

	connected_from_guest();
	ck_assert_int_ge(atomic_load(&fb.tx_ready), 1);	/* the back end may start sending */
	/* guest to host */
	ck_assert_int_eq(guest_send(1, 5, "hello", 5), 0);
	ck_assert(vg_wait(&g, rx_reached, &want, VG_TMO));
	ck_assert_mem_eq(fb.rx, "hello", 5);
	/* host to guest: one packet, then more than one packet's worth in chunks */
	ck_assert_uint_eq(host_send("world", 5), 5);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "world", 5);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + i / 7);
	ck_assert_uint_eq(host_send(big, sizeof(big)), sizeof(big));
	while (off < sizeof(big)) {
		int n = guest_read(got + off, sizeof(got) - off);

		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	ck_assert_mem_eq(got, big, sizeof(big));
	/* a packet of the largest payload the guest may send */
	{
		static uint8_t mtu[HVSOCK_MTU];

		memset(mtu, 0x5a, sizeof(mtu));
		ck_assert_int_eq(guest_send(1, HVSOCK_MTU, mtu, HVSOCK_MTU), 0);
		want = 5 + HVSOCK_MTU;
		ck_assert(vg_wait(&g, rx_reached, &want, VG_TMO));
		ck_assert_mem_eq(fb.rx + 5, mtu, HVSOCK_MTU);
	}
	/* the guest ends its side: the back end hears it; the channel stays for the host */
	ck_assert_int_eq(guest_send(1, 0, NULL, 0), 0);
	WAIT_FOR(eofs);
	expect_quiet();
	ck_assert_uint_eq(host_send("late", 4), 4);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), 4);
	/* the host ends its side: the guest reads the end, then the rescind comes */
	host(H_SHUTDOWN, 0);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), -2);
	expect_rescind();
	WAIT_FOR(closes);
	ck_assert_int_eq(atomic_load(&fb.eofs), 1);
}
END_TEST

START_TEST(host_ends_first)
{
	char buf[16];

	connected_from_guest();
	host(H_SHUTDOWN, 0);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), -2);
	/* after its end the host sends nothing */
	ck_assert_uint_eq(host_send("x", 1), 0);
	/* the guest may still send, then ends: gone */
	ck_assert_int_eq(guest_send(1, 3, "abc", 3), 0);
	ck_assert_int_eq(guest_send(1, 0, NULL, 0), 0);
	expect_rescind();
	WAIT_FOR(closes);
	ck_assert_uint_eq(atomic_load(&fb.rx_bytes), 3);
	ck_assert_int_eq(atomic_load(&fb.eofs), 1);
}
END_TEST

START_TEST(host_aborts)
{
	connected_from_guest();
	host(H_CLOSE, 0);
	expect_rescind();
	expect_quiet();
	ck_assert_int_eq(atomic_load(&fb.closes), 0);	/* the back end asked: not told */
}
END_TEST

START_TEST(abort_with_guest_data_waiting)
{
	unsigned one = 10;

	connected_from_guest();
	host(H_LIMIT, 10);
	ck_assert_int_eq(guest_send(1, 100, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", 100), 0);
	ck_assert(vg_wait(&g, rx_reached, &one, VG_TMO));
	/* more arrives while the device holds back; the host aborts; the guest signals */
	ck_assert_int_eq(guest_send(1, 3, "abc", 3), 0);
	vg_signal(&ch);
	host(H_CLOSE, 0);
	vg_signal(&ch);
	expect_rescind();
	ck_assert_uint_eq(atomic_load(&fb.rx_bytes), 10);
}
END_TEST

START_TEST(guest_closes_channel)
{
	union vg_msg m;

	connected_from_guest();
	/* the guest closes the channel under the connection: it ends, and is rescinded */
	vg_send_relid(&g, CHANNELMSG_CLOSECHANNEL, ch.relid);
	WAIT_FOR(closes);
	vg_expect(&g, CHANNELMSG_RESCIND_CHANNELOFFER, &m);
	ck_assert_uint_eq(m.relid.child_relid, offer.child_relid);
	vg_gpadl_teardown(&g, ch.relid, ch.gpadl);
	vg_expect_torndown(&g, ch.gpadl);
	vg_send_relid(&g, CHANNELMSG_RELID_RELEASED, offer.child_relid);
	expect_quiet();
}
END_TEST

START_TEST(slow_backend)
{
	static uint8_t data[4000];
	unsigned want = 3 * sizeof(data);

	connected_from_guest();
	host(H_LIMIT, 100);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(guest_send(1, sizeof(data), data, sizeof(data)), 0);
	ck_assert_int_eq(guest_send(1, 0, NULL, 0), 0);
	/* 100 bytes taken, then the device waits for the back end */
	vg_ping(&g);
	{
		unsigned one = 100;

		ck_assert(vg_wait(&g, rx_reached, &one, VG_TMO));
	}
	ck_assert_uint_eq(atomic_load(&fb.rx_bytes), 100);
	ck_assert_int_eq(atomic_load(&fb.eofs), 0);
	host(H_LIMIT, SIZE_MAX);
	host(H_RX_READY, 0);
	ck_assert(vg_wait(&g, rx_reached, &want, VG_TMO));
	WAIT_FOR(eofs);
	for (int i = 0; i < 3; i++)
		ck_assert_mem_eq(fb.rx + i * sizeof(data), data, sizeof(data));
}
END_TEST

/* Payloads of packets waiting in the ring reach the back end together, in one call (a
 * guest sends about 4 KiB a packet: one host write each would cost a system call per
 * packet). */
START_TEST(packets_gathered)
{
	static uint8_t data[4000];
	unsigned want = 4 * sizeof(data);

	connected_from_guest();
	host(H_LIMIT, 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(guest_send(1, sizeof(data), data, sizeof(data)), 0);
	vg_ping(&g);
	ck_assert_uint_eq(atomic_load(&fb.rx_bytes), 0);
	host(H_LIMIT, SIZE_MAX);
	host(H_RX_READY, 0);
	ck_assert(vg_wait(&g, rx_reached, &want, VG_TMO));
	ck_assert_uint_eq(atomic_load(&fb.rx_takes), 1);
	for (int i = 0; i < 4; i++)
		ck_assert_mem_eq(fb.rx + i * sizeof(data), data, sizeof(data));
}
END_TEST

START_TEST(full_guest_ring)
{
	static uint8_t data[64 << 10], got[sizeof(data)];
	size_t sent, off = 0;

	connected_from_guest();
	memset(data, 0xa5, sizeof(data));
	sent = host_send(data, sizeof(data));
	/* 24 KiB of ring: less than all of it fits, and tx_ready follows reading */
	ck_assert_uint_gt(sent, 0);
	ck_assert_uint_lt(sent, sizeof(data));
	atomic_store(&fb.tx_ready, 0);
	while (off < sent) {
		int n = guest_read(got + off, sizeof(got) - off);

		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	WAIT_FOR(tx_ready);
	ck_assert_uint_gt(host_send(data + sent, sizeof(data) - sent), 0);
}
END_TEST

/* The host sends packets of 16 KiB of payload (what Linux's hv_sock and the pipe
 * protocol accept), and into a ring with less room than that one of what fits. */
START_TEST(host_packets_mtu)
{
	static uint8_t data[40000];
	/* 24 KiB: one 16 KiB packet, then the rest of the ring but its last 8 bytes */
	const int first[] = { HVSOCK_MTU, RING_DATA - PKT_SPACE(HVSOCK_MTU) - 16 - 24, 0 };
	size_t sent, off = 0;

	connected_from_guest();
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + i / 253);
	sent = host_send(data, sizeof(data));
	ck_assert_uint_eq(sent, (size_t)first[0] + (size_t)first[1]);
	atomic_store(&fb.tx_ready, 0);
	expect_packets(data, &off, first);
	WAIT_FOR(tx_ready);
	{
		const int rest[] = { (int)(sizeof(data) - sent), 0 };

		ck_assert_uint_eq(host_send(data + sent, sizeof(data) - sent), sizeof(data) - sent);
		expect_packets(data, &off, rest);
	}
}
END_TEST

/* Partial room in the guest's ring: a packet of what fits if that is at least
 * HVSOCK_SEND_CHUNK bytes, else nothing until the guest has read. */
START_TEST(host_packets_partial_room)
{
	static uint8_t data[64 << 10];
	uint32_t left = RING_DATA - PKT_SPACE(HVSOCK_MTU) - PKT_SPACE(3616);
	/* 20000 bytes, then of 10000 the room left (more than a chunk) */
	const int a[] = { HVSOCK_MTU, 3616, (int)(left - 16 - 24), 0 };
	size_t off = 0, n;

	ck_assert_uint_ge(left - 16 - 24, HVSOCK_SEND_CHUNK);
	connected_from_guest();
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 1021);
	ck_assert_uint_eq(host_send(data, 20000), 20000);
	ck_assert_uint_eq(host_send(data + 20000, 10000), (size_t)a[2]);
	expect_packets(data, &off, a);
	WAIT_FOR(tx_ready);
	/* now leave less than a chunk of room: nothing more goes until the guest reads */
	ck_assert_uint_eq(host_send(data + off, 21000), 21000);
	{
		const int c[] = { HVSOCK_MTU, 21000 - HVSOCK_MTU, 0 };

		left = RING_DATA - PKT_SPACE(HVSOCK_MTU) - PKT_SPACE(21000 - HVSOCK_MTU);
		ck_assert_uint_lt(left - 16 - 24, HVSOCK_SEND_CHUNK);
		atomic_store(&fb.tx_ready, 0);
		ck_assert_uint_eq(host_send(data + off + 21000, 10000), 0);
		expect_packets(data, &off, c);
	}
	WAIT_FOR(tx_ready);
	n = host_send(data + off, 10000);
	ck_assert_uint_eq(n, 10000);
	{
		const int d[] = { 10000, 0 };

		expect_packets(data, &off, d);
	}
}
END_TEST

/* A ring too small for a 16 KiB packet: packets as large as it takes. */
static void small_ring(unsigned dn_pages)
{
	static uint8_t data[30000];
	const int one = (int)((dn_pages - 1) * 4096u - 16 - 24);
	size_t off = 0, sent = 0;

	connected_from_guest_ring(dn_pages);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5 + i / 509);
	while (sent < sizeof(data)) {
		size_t n;
		int want[2] = { 0, 0 };

		atomic_store(&fb.tx_ready, 0);
		n = host_send(data + sent, sizeof(data) - sent);
		want[0] = (int)n;
		ck_assert_uint_eq(n, sizeof(data) - sent < (size_t)one ? sizeof(data) - sent : (size_t)one);
		sent += n;
		expect_packets(data, &off, want);
		if (sent < sizeof(data))
			WAIT_FOR(tx_ready);
	}
	ck_assert_uint_eq(off, sizeof(data));
}

START_TEST(host_packets_small_ring)
{
	small_ring(_i);
}
END_TEST

static void print_stats(void *opaque)
{
	vmbus_print_stats(g.bus, opaque);
}

/* A connection's channel is freed when it ends; its counters stay in the statistics. */
START_TEST(closed_channel_stats)
{
	char *text = NULL, want[128], buf[8];
	size_t size = 0;
	unsigned three = 3;
	FILE *f;

	connected_from_guest();
	ck_assert_int_eq(guest_send(1, 1, "a", 1), 0);
	ck_assert_int_eq(guest_send(1, 2, "bc", 2), 0);
	ck_assert(vg_wait(&g, rx_reached, &three, VG_TMO));
	ck_assert_uint_eq(host_send("x", 1), 1);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), 1);
	ck_assert_int_eq(guest_send(1, 0, NULL, 0), 0);
	WAIT_FOR(eofs);
	host(H_SHUTDOWN, 0);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), -2);
	expect_rescind();
	WAIT_FOR(closes);
	f = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(f);
	vg_call(&g, print_stats, f);
	fclose(f);
	/* three packets from the guest (the end included), two to it */
	snprintf(want, sizeof(want), "vmbus closed channel %u hvsock       packets in 3 out 2,", offer.child_relid);
	ck_assert_msg(strstr(text, want), "no \"%s\" in:\n%s", want, text);
	free(text);
}
END_TEST

static atomic_uint ring_at_injection;

static void note_ring(struct vg *gu)
{
	(void)gu;
	atomic_store(&ring_at_injection, vg_read_avail(&ch));
}

/* Several packets written at once signal the guest once, after the last: it wakes to
 * all of them, not to the first while the host writes the rest. */
START_TEST(host_packets_one_signal)
{
	static uint8_t data[40000];
	const int sizes[] = { HVSOCK_MTU, RING_DATA - PKT_SPACE(HVSOCK_MTU) - 16 - 24, 0 };
	unsigned before;
	size_t off = 0;

	connected_from_guest();
	memset(data, 0x3c, sizeof(data));
	/* the guest takes the channel's event flag, as its interrupt handler does */
	__atomic_and_fetch(vg_sief_byte(&g, 0, ch.relid), (uint8_t)~(1u << (ch.relid % 8)), __ATOMIC_SEQ_CST);
	before = __atomic_load_n(&g.injections, __ATOMIC_SEQ_CST);
	g.on_injection = note_ring;
	ck_assert_uint_eq(host_send(data, sizeof(data)), (size_t)sizes[0] + (size_t)sizes[1]);
	g.on_injection = NULL;
	ck_assert_uint_eq(__atomic_load_n(&g.injections, __ATOMIC_SEQ_CST), before + 1);
	ck_assert_uint_eq(atomic_load(&ring_at_injection),
			  PKT_SPACE(HVSOCK_MTU) + PKT_SPACE((uint32_t)sizes[1]));
	expect_packets(data, &off, sizes);
}
END_TEST

START_TEST(host_connect)
{
	struct call c = { .what = H_CONNECT, .port = 80 };
	char buf[8];

	vg_call(&g, do_call, &c);
	ck_assert_int_eq(c.r, 0);
	expect_offer(80, c.host_port, true);
	open_offer();
	ck_assert_uint_eq(host_send("GET", 3), 3);
	ck_assert_int_eq(guest_read(buf, sizeof(buf)), 3);
	ck_assert_int_eq(guest_send(1, 2, "OK", 2), 0);
	{
		unsigned two = 2;

		ck_assert(vg_wait(&g, rx_reached, &two, VG_TMO));
	}
	/* a second connection to the same port gets its own host endpoint */
	{
		struct hvsock_conn *first = fb.c;
		struct call d = { .what = H_CONNECT, .port = 80 };

		vg_call(&g, do_call, &d);
		ck_assert_int_eq(d.r, 0);
		ck_assert_uint_ne(d.host_port, c.host_port);
		expect_offer(80, d.host_port, true);
		(void)first;
	}
}
END_TEST

START_TEST(host_connect_not_opened)
{
	struct call c = { .what = H_CONNECT, .port = 81 };
	union vg_msg m;

	host(H_TIMEOUT, 100);
	vg_call(&g, do_call, &c);
	ck_assert_int_eq(c.r, 0);
	expect_offer(81, c.host_port, true);
	/* no listener in the guest: it never opens; the offer goes, the back end hears */
	WAIT_FOR(closes);
	ck_assert_int_eq(atomic_load(&fb.established), 0);
	vg_expect(&g, CHANNELMSG_RESCIND_CHANNELOFFER, &m);
	ck_assert_uint_eq(m.relid.child_relid, offer.child_relid);
}
END_TEST

START_TEST(refused_and_bad_requests)
{
	struct vmbus_msg_tl_connect_request m = { .header.msgtype = CHANNELMSG_TL_CONNECT_REQUEST };

	/* the back end refuses: no offer */
	fb.refuse = true;
	tl_connect(1, 2);
	expect_quiet();
	ck_assert_int_eq(atomic_load(&fb.connects), 1);
	fb.refuse = false;
	/* ids not of hv_sock's form: the back end is not asked */
	hvsock_port_guid(7, &m.guest_endpoint_id);
	memset(&m.host_service_id, 0xee, 16);
	vg_post(&g, &m, sizeof(m));
	/* cut short */
	hvsock_port_guid(8, &m.host_service_id);
	vg_post(&g, &m, sizeof(m) - 1);
	expect_quiet();
	ck_assert_int_eq(atomic_load(&fb.connects), 1);
	/* the same pair again while connected: dropped */
	tl_connect(1234, 5000);
	expect_offer(5000, 1234, false);
	tl_connect(1234, 5000);
	expect_quiet();
	ck_assert_int_eq(atomic_load(&fb.connects), 2);
}
END_TEST

/* Each malformed packet ends the connection: rescind, the back end told. */
static void bad_packet(int kind)
{
	uint8_t raw[64] = { 0 };

	connected_from_guest();
	switch (kind) {
	case 0: guest_send(2, 4, "abcd", 4); break;		/* unknown pipe type */
	case 1: guest_send(1, 100, "abcd", 4); break;		/* size beyond the packet */
	case 2: guest_send(1, HVSOCK_MTU + 8, raw, 40); break;	/* beyond the MTU */
	case 3: vg_send(&ch, VM_PKT_DATA_USING_GPA_DIRECT, 0, 0, raw, 16); break;
	case 4: vg_send(&ch, VM_PKT_DATA_INBAND, 0, 0, raw, 4); break;	/* no room for a header */
	case 5: guest_send(1, 0, NULL, 0); guest_send(1, 1, "x", 1); break;	/* data after the end */
	}
	WAIT_FOR(closes);
	expect_rescind();
}

START_TEST(malformed_packets)
{
	bad_packet(_i);
}
END_TEST

START_TEST(oversized_packet)
{
	static uint8_t huge[HVSOCK_MTU + 512];

	connected_from_guest();
	/* a packet larger than any payload plus headers */
	ck_assert_int_eq(guest_send(1, 4, huge, sizeof(huge)), 0);
	WAIT_FOR(closes);
	expect_rescind();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hvsock");
	TCase *t = tcase_create("hvsock");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 20);
	tcase_add_test(t, port_guids);
	tcase_add_test(t, guest_connect_data_both_ways);
	tcase_add_test(t, host_ends_first);
	tcase_add_test(t, host_aborts);
	tcase_add_test(t, abort_with_guest_data_waiting);
	tcase_add_test(t, guest_closes_channel);
	tcase_add_test(t, slow_backend);
	tcase_add_test(t, packets_gathered);
	tcase_add_test(t, full_guest_ring);
	tcase_add_test(t, host_packets_mtu);
	tcase_add_test(t, host_packets_partial_room);
	tcase_add_loop_test(t, host_packets_small_ring, 2, 4);
	tcase_add_test(t, host_packets_one_signal);
	tcase_add_test(t, closed_channel_stats);
	tcase_add_test(t, host_connect);
	tcase_add_test(t, host_connect_not_opened);
	tcase_add_test(t, refused_and_bad_requests);
	tcase_add_loop_test(t, malformed_packets, 0, 6);
	tcase_add_test(t, oversized_packet);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_main(suite());
}
