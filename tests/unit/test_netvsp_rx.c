/* SPDX-License-Identifier: MIT */
#include "netvsp_fixture.h"

#include <semaphore.h>

/* ---- receive ------------------------------------------------------------------------------ */

START_TEST(test_rx_basic)
{
	uint8_t f[2048];
	uint32_t len;
	struct rx_frame fr[2];
	struct netvsp_stats s;

	nic_up();
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 1000);
	peer_write(NET_VNET_DATA_VALID, f, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_uint_eq(fr[0].len, len);
	ck_assert_mem_eq(fr[0].data, f, len);
	/* The kernel checked the checksum: TCP succeeded. Linux turns the IPv4 header
	 * checksum offload off, so nothing is said about that. */
	ck_assert(fr[0].has_csum);
	ck_assert_uint_eq(fr[0].csum, NDIS_RXCSUM_TCP_SUCCEEDED);
	ck_assert(!fr[0].has_hash);
	/* Without DATA_VALID nothing is claimed. */
	len = mk_udp6(f, mac, 100);
	peer_write(0, f, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	ck_assert_mem_eq(fr[0].data, f, len);
	vg_ping(&G);
	s = stats();
	ck_assert_uint_eq(s.rx_packets, 2);
	ck_assert_uint_eq(s.rx_drops, 0);
	ck_assert_uint_eq(s.bad, 0);
}
END_TEST

/* With RSC on, a TSO frame from the tap reaches the guest as one coalesced packet: RSC
 * fragments in consecutive ranges of one transfer-page packet, its checksum vouched
 * for by the first; and TSO frames are refused once RSC is off again. */
START_TEST(test_rx_rsc)
{
	struct ndis_offload_params p = { .header = { NDIS_OBJECT_TYPE_DEFAULT, 3, 28 } };
	struct ndis_object_header in = { NDIS_OBJECT_TYPE_OFFLOAD, 3, 156 };
	static uint8_t f[30000], buf[NET_VNET_HDR_LEN + sizeof(f)], got[sizeof(f)];
	static struct rx_frame fr[32];
	struct net_vnet_hdr vh = { .flags = NET_VNET_NEEDS_CSUM, .gso_type = NET_VNET_GSO_TCPV4, .hdr_len = 54,
				   .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
	struct ndis_offload o;
	uint32_t len, cap, m, n, off = 0;

	nic_up();
	ck_assert_uint_eq(query_in(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &in, sizeof(in), &o, &n), 0);
	ck_assert(o.rsc.ip4 && o.rsc.ip6);
	p.rsc_ip_v4 = p.rsc_ip_v6 = NDIS_OFFLOAD_PARAMETERS_ENABLED;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
	/* The kernel's TSO frame: its checksum unfinished, over the whole frame. */
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 20000);
	unfinish(f, len);
	memcpy(buf, &vh, sizeof(vh));
	memcpy(buf + sizeof(vh), f, len);
	ck_assert_int_eq(send(peer, buf, sizeof(vh) + len, 0), (ssize_t)(sizeof(vh) + len));
	cap = sec_size - 128 - 36;
	m = (len + cap - 1) / cap;
	ck_assert_uint_gt(m, 1);
	ck_assert_uint_le(m, 32);
	ck_assert_uint_eq(rx_frames(&ch[0], fr, m, false, NULL), 1);
	for (uint32_t i = 0; i < m; i++) {
		uint32_t flag = fr[i].id >> 8 & 0xff;

		ck_assert(fr[i].has_id);
		ck_assert_uint_eq(fr[i].id & 0xff, RNDIS_PKTINFO_ID_V1);
		ck_assert_uint_eq(flag & RNDIS_PKTINFO_SUBALLOC, RNDIS_PKTINFO_SUBALLOC);
		ck_assert_uint_eq(!!(flag & RNDIS_PKTINFO_1ST_FRAG), i == 0);
		ck_assert_uint_eq(!!(flag & RNDIS_PKTINFO_LAST_FRAG), i + 1 == m);
		ck_assert_uint_eq(fr[i].id >> 16, fr[0].id >> 16);
		ck_assert_uint_eq(fr[i].has_csum, i == 0);
		memcpy(got + off, fr[i].data, fr[i].len);
		off += fr[i].len;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_mem_eq(got, f, len);
	/* A coalesced segment's TCP checksum is left as the kernel made it, and the guest is
	 * told so (NDIS: TcpChecksumValueInvalid), as NDIS's RSC rules allow. */
	ck_assert_uint_eq(fr[0].csum & (NDIS_RXCSUM_TCP_SUCCEEDED | NDIS_RXCSUM_TCP_VALUE_INVALID | NDIS_RXCSUM_UDP_SUCCEEDED),
			  NDIS_RXCSUM_TCP_SUCCEEDED | NDIS_RXCSUM_TCP_VALUE_INVALID);
	/* A large UDP frame (not a TSO frame) with its checksum unfinished, over several
	 * sections: finished across them. */
	len = mk_udp4(f, mac, 8000);
	memcpy(got, f, len);
	{
		struct net_vnet_hdr uvh = unfinish(got, len);

		peer_write_vh(&uvh, got, len);
	}
	m = (len + cap - 1) / cap;
	ck_assert_uint_gt(m, 1);
	rx_frames(&ch[0], fr, m, false, NULL);
	for (uint32_t i = 0, o = 0; i < m; o += fr[i].len, i++)
		memcpy(got + o, fr[i].data, fr[i].len);
	ck_assert_mem_eq(got, f, len);
	ck_assert(l4_valid(got, len, 34, 17));
	ck_assert_uint_eq(fr[0].csum, NDIS_RXCSUM_UDP_SUCCEEDED);
	/* A small frame with its checksum unfinished: one section, checksum finished. */
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 100);
	memcpy(got, f, len);
	vh = unfinish(got, len);
	peer_write_vh(&vh, got, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_id);
	ck_assert_mem_eq(fr[0].data, f, len);
	ck_assert_uint_eq(fr[0].csum & NDIS_RXCSUM_TCP_SUCCEEDED, NDIS_RXCSUM_TCP_SUCCEEDED);
	vg_ping(&G);
	ck_assert_uint_eq(stats().rx_rsc, 2);
	/* RSC off: a TSO frame still queued is dropped, not cut to one section. */
	p = (struct ndis_offload_params){ .header = { NDIS_OBJECT_TYPE_DEFAULT, 3, 28 } };
	p.rsc_ip_v4 = p.rsc_ip_v6 = NDIS_OFFLOAD_PARAMETERS_DISABLED;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 20000);
	memcpy(buf + sizeof(vh), f, len);
	ck_assert_int_eq(send(peer, buf, sizeof(vh) + len, 0), (ssize_t)(sizeof(vh) + len));
	ck_assert(WAIT_UNTIL(stats().rx_drops == 1, VG_TMO));
	ck_assert_uint_eq(vg_read_avail(&ch[0]), 0);
	ck_assert_uint_eq(stats().bad, 0);
	ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
}
END_TEST

/*
 * Frames the host's kernel made with their checksums left to the device (NEEDS_CSUM;
 * dnsmasq's DHCP replies once the guest turned receive offloads on) reach the guest
 * finished, UDP and TCP, IPv4 and IPv6, even and odd lengths: a DHCP client checks them
 * itself on a raw socket. Vouched for only when finished or verified by the kernel.
 */
START_TEST(test_rx_csum_unfinished)
{
	uint8_t f[2048], w[2048];
	struct rx_frame fr[1];
	struct net_vnet_hdr vh;
	uint32_t len;
	/* UDP over IPv4, UDP over IPv6, TCP over IPv4; each with an even and an odd length. */
	static const struct { uint32_t l4, proto, ndis; } kinds[] = {
		{ 34, 17, NDIS_RXCSUM_UDP_SUCCEEDED }, { 34, 17, NDIS_RXCSUM_UDP_SUCCEEDED },
		{ 54, 17, NDIS_RXCSUM_UDP_SUCCEEDED }, { 54, 17, NDIS_RXCSUM_UDP_SUCCEEDED },
		{ 34, 6, NDIS_RXCSUM_TCP_SUCCEEDED }, { 34, 6, NDIS_RXCSUM_TCP_SUCCEEDED },
	};

	nic_up();
	for (unsigned k = 0; k < 6; k++) {
		uint32_t pay = k % 2 ? 301 : 300;	/* DHCP replies are about 300 bytes */

		len = k < 2 ? mk_udp4(f, mac, pay) : k < 4 ? mk_udp6(f, mac, pay) :
		      mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, pay);
		ck_assert(l4_valid(f, len, kinds[k].l4, kinds[k].proto));
		memcpy(w, f, len);
		vh = unfinish(w, len);
		ck_assert(!l4_valid(w, len, kinds[k].l4, kinds[k].proto));
		peer_write_vh(&vh, w, len);
		rx_frames(&ch[0], fr, 1, false, NULL);
		ck_assert_uint_eq(fr[0].len, len);
		ck_assert_mem_eq(fr[0].data, f, len);
		ck_assert(l4_valid(fr[0].data, len, kinds[k].l4, kinds[k].proto));
		ck_assert(fr[0].has_csum);
		ck_assert_uint_eq(fr[0].csum, kinds[k].ndis);
	}
	/* A wrong UDP checksum the kernel says nothing about: not vouched for. */
	len = mk_udp4(f, mac, 300);
	f[34 + 6] ^= 0x40;
	peer_write(0, f, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	ck_assert_mem_eq(fr[0].data, f, len);
	/* NEEDS_CSUM naming a field that is not UDP's checksum (its length field): the kernel
	 * never does that; whatever was finished there, UDP's own checksum is wrong and must
	 * not be vouched for. */
	len = mk_udp4(f, mac, 300);
	memcpy(w, f, len);
	vh = unfinish(w, len);
	vh.csum_offset = 4;
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!l4_valid(fr[0].data, len, 34, 17));
	ck_assert(!fr[0].has_csum || !(fr[0].csum & (NDIS_RXCSUM_UDP_SUCCEEDED | NDIS_RXCSUM_TCP_SUCCEEDED)));
	/* Nor one starting elsewhere than the UDP header. */
	memcpy(w, f, len);
	vh = unfinish(w, len);
	vh.csum_start = 36;
	vh.csum_offset = 4;
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum || !(fr[0].csum & (NDIS_RXCSUM_UDP_SUCCEEDED | NDIS_RXCSUM_TCP_SUCCEEDED)));
	/* An IPv4 fragment: its checksum is finished, but there is no datagram to vouch for. */
	len = mk_udp4(f, mac, 300);
	f[14 + 6] = 0x20;
	put16(f + 14 + 10, 0);
	put16(f + 14 + 10, (uint16_t)~fold(sum16(0, f + 14, 20)));
	memcpy(w, f, len);
	vh = unfinish(w, len);
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	vg_ping(&G);
	ck_assert_uint_eq(stats().rx_csum, 6);
	ck_assert_uint_eq(stats().rx_drops, 0);
	ck_assert_uint_eq(stats().bad, 0);
}
END_TEST

/* Checksum offsets from the tap that do not fit the frame: the frame is dropped, no byte
 * outside it read or written; the next frame goes through. */
START_TEST(test_rx_csum_bad_offsets)
{
	static const struct { uint16_t start, offset; } bad[] = {
		{ 0, 6 },		/* inside the Ethernet header */
		{ 13, 6 },
		{ 0xffff, 0 },
		{ 0xffff, 0xffff },
		{ 34, 0xffff },
		{ 34, 307 },		/* the field's second byte past the end of a 342-byte frame */
		{ 341, 0 },
		{ 340, 1 },
		{ 342, 0 },
		{ 2048, 6 },		/* past the section */
	};
	uint8_t f[2048], w[2048];
	struct rx_frame fr[1];
	struct net_vnet_hdr vh;
	uint32_t len = mk_udp4(f, mac, 300);

	nic_up();
	ck_assert_uint_eq(len, 342);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(w, f, len);
		vh = unfinish(w, len);
		vh.csum_start = bad[i].start;
		vh.csum_offset = bad[i].offset;
		peer_write_vh(&vh, w, len);
		ck_assert(WAIT_UNTIL(stats().rx_drops == i + 1, VG_TMO));
		ck_assert_uint_eq(vg_read_avail(&ch[0]), 0);
	}
	/* The last place the field fits: the frame's last two bytes. */
	memcpy(w, f, len);
	vh = unfinish(w, len);
	vh.csum_offset = (uint16_t)(len - 2 - vh.csum_start);
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	memcpy(w, f, len);
	vh = unfinish(w, len);
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_mem_eq(fr[0].data, f, len);
	ck_assert_uint_eq(fr[0].csum, NDIS_RXCSUM_UDP_SUCCEEDED);
	vg_ping(&G);
	ck_assert_uint_eq(stats().rx_drops, sizeof(bad) / sizeof(bad[0]));
	ck_assert_uint_eq(stats().rx_packets, 2);
	ck_assert_uint_eq(stats().bad, 0);
}
END_TEST

/* Holds the event loop's thread until the test releases it. */
struct loop_hold {
	sem_t held, release;
};

static void loop_hold_fn(void *opaque)
{
	struct loop_hold *h = opaque;

	sem_post(&h->held);
	sem_wait(&h->release);
}

/* Frames waiting in the tap go out several per transfer-page packet. */
START_TEST(test_rx_batching)
{
	uint8_t f[2048];
	static struct rx_frame fr[40];
	uint32_t len[40];
	struct loop_hold hold;
	unsigned pkts;

	uint64_t xfer;

	nic_up();
	xfer = stats().rx_xfer;
	/* The frames must be waiting when the device reads: the loop is held meanwhile. */
	sem_init(&hold.held, 0, 0);
	sem_init(&hold.release, 0, 0);
	ck_assert_int_eq(loop_post(G.loop, loop_hold_fn, &hold), 0);
	sem_wait(&hold.held);
	for (unsigned i = 0; i < 40; i++) {
		len[i] = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)(2000 + i), 100 + i);
		peer_write(0, f, len[i]);
	}
	sem_post(&hold.release);
	pkts = rx_frames(&ch[0], fr, 40, false, NULL);
	for (unsigned i = 0; i < 40; i++) {
		ck_assert_uint_eq(fr[i].len, len[i]);
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), 2000 + i);	/* in order */
	}
	ck_assert_uint_lt(pkts, 40);
	ck_assert_uint_eq(stats().rx_xfer - xfer, pkts);
	sem_destroy(&hold.held);
	sem_destroy(&hold.release);
}
END_TEST

/* A receive buffer of few sections: the device stops reading the tap when they are
 * all the guest's, loses nothing, and goes on as the guest gives them back. */
START_TEST(test_rx_buffer_exhaustion)
{
	uint8_t f[2048];
	static struct rx_frame fr[200];
	uint64_t tids[200];
	unsigned data_secs, got = 0, pkts;
	struct netvsp_stats s;

	nvsp_up(NVSP_PROTOCOL_VERSION_61, 16, 16);	/* 64 KiB: about 38 sections */
	rndis_init();
	ck_assert_uint_eq(set_filter(0x0d), 0);
	data_secs = sec_count - (sec_count / 4 < 16 ? sec_count / 4 : 16);
	for (unsigned i = 0; i < 100; i++) {
		uint32_t len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)i, 200);

		peer_write(0, f, len);
	}
	/* Everything the sections hold arrives, then nothing while the guest holds them. */
	pkts = rx_frames(&ch[0], fr, data_secs, true, tids);
	ck_assert(WAIT_UNTIL(stats().rx_no_buffer > 0, VG_TMO));
	ck_assert(vg_read_avail(&ch[0]) == 0);
	for (unsigned i = 0; i < data_secs; i++)
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), i);
	got = data_secs;
	for (unsigned i = 0; i < pkts; i++)
		complete_rx(&ch[0], tids[i]);
	rx_frames(&ch[0], fr + got, 100 - got, false, NULL);
	for (unsigned i = got; i < 100; i++)
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), i);
	vg_ping(&G);
	s = stats();
	ck_assert_uint_eq(s.rx_packets, 100);
	ck_assert_uint_eq(s.rx_drops, 0);
	ck_assert_uint_eq(s.bad, 0);
}
END_TEST

/* A host-to-guest ring too small for the frames waiting: the device waits for the
 * guest to read (pending_send_sz), and every frame arrives in order. */
START_TEST(test_rx_ring_full)
{
	uint8_t f[2048];
	static struct rx_frame fr[1000];
	struct netvsp_stats s;

	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 2);	/* 4 KiB of ring: 500 ranges */
	rndis_init();
	ck_assert_uint_eq(set_filter(0x0d), 0);
	for (unsigned i = 0; i < 1000; i++) {
		uint32_t len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)i, 64);

		peer_write(0, f, len);
	}
	ck_assert(WAIT_UNTIL(stats().rx_ring_full > 0, VG_TMO));
	rx_frames(&ch[0], fr, 1000, false, NULL);
	for (unsigned i = 0; i < 1000; i++)
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), i);
	s = stats();
	ck_assert_uint_eq(s.rx_packets, 1000);
	ck_assert_uint_eq(s.rx_drops, 0);
}
END_TEST

/* The packet filter: nothing at 0 (the interface is down), only the guest's frames
 * and broadcasts at 0x0D, everything promiscuous. */
START_TEST(test_rx_filter)
{
	static const uint8_t other[6] = { 0x02, 1, 2, 3, 4, 5 }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[2048];
	struct rx_frame fr[4];

	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 16);
	rndis_init();
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 10));
	ck_assert(WAIT_UNTIL(stats().rx_drops == 1, VG_TMO));
	ck_assert_uint_eq(set_filter(RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST), 0);
	peer_write(0, f, mk_tcp4(f, other, 1, 2, 3, 4, 10));
	peer_write(0, f, mk_tcp4(f, bcast, 1, 2, 3, 4, 11));
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 12));
	rx_frames(&ch[0], fr, 2, false, NULL);
	ck_assert_uint_eq(fr[0].len, 14 + 40 + 11);
	ck_assert_uint_eq(fr[1].len, 14 + 40 + 12);
	ck_assert_uint_eq(set_filter(RNDIS_PACKET_TYPE_PROMISCUOUS), 0);
	peer_write(0, f, mk_tcp4(f, other, 1, 2, 3, 4, 13));
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_uint_eq(fr[0].len, 14 + 40 + 13);
	ck_assert_uint_eq(stats().rx_drops, 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netvsp_rx");
	TCase *t;

	t = netvsp_tcase(s, "receive");
	tcase_add_test(t, test_rx_basic);
	tcase_add_test(t, test_rx_rsc);
	tcase_add_test(t, test_rx_csum_unfinished);
	tcase_add_test(t, test_rx_csum_bad_offsets);
	tcase_add_test(t, test_rx_batching);
	tcase_add_test(t, test_rx_buffer_exhaustion);
	tcase_add_test(t, test_rx_ring_full);
	tcase_add_test(t, test_rx_filter);

	return s;
}

int main(void)
{
	return test_main(suite());
}
