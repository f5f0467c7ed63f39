/* SPDX-License-Identifier: MIT */
#include "netvsp_fixture.h"

/* ---- bring-up ----------------------------------------------------------------------------- */

START_TEST(test_offer)
{
	static const uint8_t class[16] = { 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
					   0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e };

	ck_assert_mem_eq(primary_offer.offer.if_type.b, class, 16);
	ck_assert_uint_eq(primary_offer.offer.sub_channel_index, 0);
	ck_assert_uint_eq(primary_offer.offer.mmio_megabytes, 0);
	ck_assert_uint_eq(primary_offer.monitor_allocated, 0);
}
END_TEST

/* netvsc-facts.md §3.2, message by message, as Linux 6.1 sends them. */
START_TEST(test_linux_bringup)
{
	uint8_t buf[1024];
	uint32_t n;
	struct ndis_object_header caps_in = { NDIS_OBJECT_TYPE_OFFLOAD, 3, 156 };
	struct ndis_offload o;
	struct ndis_recv_scale_cap rss;
	struct ndis_object_header rss_in = { NDIS_OBJECT_TYPE_RSS_CAPABILITIES, 2, 18 };
	struct netvsp_stats s;

	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 16);
	/* Room for the RNDIS header, PPIs and a 1514-byte frame with a VLAN tag. */
	ck_assert_uint_ge(sec_size, 44 + 48 + 1518);
	rndis_init();
	ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
	ck_assert_uint_eq(query(OID_802_3_PERMANENT_ADDRESS, buf, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(buf, mac, 6);
	/* Hyper-V's default name: Linux makes no alias of it. */
	ck_assert_uint_eq(query(OID_GEN_FRIENDLY_NAME, buf, &n), 0);
	ck_assert_uint_le(n, 512);
	ck_assert_mem_eq(buf, "N\0e\0t\0w\0o\0r\0k\0 \0A\0d\0a\0p\0t\0e\0r\0\0", 32);
	ck_assert_uint_eq(query_in(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &caps_in, sizeof(caps_in), &o, &n), 0);
	ck_assert_uint_eq(n, 156);
	ck_assert_uint_eq(o.header.type, NDIS_OBJECT_TYPE_OFFLOAD);
	ck_assert_uint_eq(o.header.revision, 3);
	ck_assert_uint_le(o.header.size, n);
	ck_assert_uint_ge(o.header.size, 112);
	/* What rndis_netdev_set_hwcaps looks for: TCP and UDP checksums, LSOv2 both. */
	ck_assert_uint_eq(o.csum.ip4_txcsum & 0x14, 0x14);
	ck_assert_uint_eq(o.csum.ip4_txcsum & 0x40, 0x40);
	ck_assert_uint_eq(o.csum.ip6_txcsum & 0x15, 0x15);
	ck_assert_uint_eq(o.csum.ip6_txcsum & 0x40, 0x40);
	ck_assert_uint_eq(o.lsov2.ip4_encap & 2, 2);
	ck_assert_uint_eq(o.lsov2.ip6_encap & 2, 2);
	ck_assert_uint_eq(o.lsov2.ip6_opts & 5, 5);
	ck_assert_uint_ge(o.lsov2.ip4_maxsz, 32768);
	set_offloads();
	ck_assert_uint_eq(query32(OID_GEN_MEDIA_CONNECT_STATUS), 0);
	ck_assert_uint_eq(query32(OID_GEN_LINK_SPEED), 100000000);	/* 10 Gbit/s in 100 bit/s */
	ck_assert_uint_eq(query_in(OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rss_in, sizeof(rss_in), &rss, &n), 0);
	ck_assert_uint_eq(n, 18);
	ck_assert_uint_eq(rss.hdr.type, NDIS_OBJECT_TYPE_RSS_CAPABILITIES);
	ck_assert_uint_eq(rss.num_recv_que, 2);
	ck_assert_uint_eq(rss.num_indirect_tabent, 128);
	ck_assert_uint_eq(set_filter(0x0d), 0);
	ck_assert_uint_eq(query32(OID_GEN_CURRENT_PACKET_FILTER), 0x0d);
	s = stats();
	ck_assert_uint_eq(s.bad, 0);
	ck_assert_uint_ge(s.ctrl, 10);
	/* Nothing unasked-for came. */
	ck_assert(vg_read_avail(&ch[0]) == 0);
}
END_TEST

/* Each version Linux or Windows offers works; others get a full negative answer. */
START_TEST(test_versions)
{
	static const uint32_t good[] = {
		NVSP_PROTOCOL_VERSION_61, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_5,
		NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_1,
	};

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		nvsp_up(good[i], RECV_PAGES, 16);
		rndis_init();
		ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
		close_chan(&ch[0]);
		vg_ping(&G);
	}
	ck_assert_uint_eq(vg_open(&G, &ch[0], &primary_offer, gpadl_id++, RING_GPA(0), 16, 16, 0), 0);
	init_version(0x00050001, false);
	init_version(0, false);
	init_version(0xffffffffu, false);
	init_version(NVSP_PROTOCOL_VERSION_5, true);
}
END_TEST

/* ---- transmit ----------------------------------------------------------------------------- */

/* Several frames in one section, each padded to 8 as Linux batches them. */
START_TEST(test_tx_batch)
{
	uint8_t f[3][256], out[2048], *sec;
	uint32_t len[3], off = 0;
	struct net_vnet_hdr vh;
	struct netvsp_stats s, before;

	nic_up();
	before = stats();
	sec = send_section(5);
	/* Linux pads each message's msg_len up to the alignment when more follow. */
	for (unsigned i = 0; i < 3; i++) {
		uint32_t ml, padded;

		len[i] = mk_tcp4(f[i], peer_mac, 0x0a000001, 0x0a000002, (uint16_t)(1000 + i), 80, 60 + i * 13);
		ml = mk_rndis(sec + off, f[i], len[i], NULL, 0);
		padded = (ml + 7) & ~7u;
		memcpy(sec + off + 4, &padded, 4);
		memset(sec + off + ml, 0, padded - ml);
		off += padded;
	}
	ck_assert_uint_eq(tx_section(&ch[0], 5, off), NVSP_STAT_SUCCESS);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len[i]);
		ck_assert_mem_eq(out, f[i], len[i]);
		ck_assert_uint_eq(vh.flags, 0);
		ck_assert_uint_eq(vh.gso_type, 0);
	}
	s = stats();
	ck_assert_uint_eq(s.tx_packets, 3);
	ck_assert_uint_eq(s.tx_bytes, len[0] + len[1] + len[2]);
	ck_assert_uint_eq(s.tx_nvsp - before.tx_nvsp, 1);
	ck_assert_uint_eq(s.tx_writes, 3);
}
END_TEST

/* Checksum offload: TCP/IPv4 and UDP/IPv6, seeded by Linux with the pseudo header. */
START_TEST(test_tx_csum)
{
	uint8_t f[2048], out[2048];
	uint32_t len, ppi[2];
	struct net_vnet_hdr vh;

	nic_up();
	len = mk_tcp4(f, peer_mac, 0xc0a80001, 0xc0a80002, 40000, 22, 300);
	/* Linux leaves the pseudo-header sum in the checksum field. */
	put16(f + 14 + 20 + 16, fold(sum16(6 + 20 + 300, f + 14 + 12, 8)));
	ppi[0] = TCPIP_CHKSUM_PKTINFO;
	ppi[1] = NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | (34u << 16);
	ck_assert_uint_eq(tx_section(&ch[0], 0, mk_rndis(send_section(0), f, len, ppi, 1)), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(vh.flags, NET_VNET_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, NET_VNET_GSO_NONE);
	ck_assert_uint_eq(vh.csum_start, 34);
	ck_assert_uint_eq(vh.csum_offset, 16);
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 34, 6));

	len = mk_udp6(f, peer_mac, 777);
	put16(f + 14 + 40 + 6, fold(sum16(17 + 8 + 777, f + 14 + 8, 32)));
	ppi[1] = NDIS_TXCSUM_IS_IPV6 | NDIS_TXCSUM_UDP | (54u << 16);
	ck_assert_uint_eq(tx_section(&ch[0], 1, mk_rndis(send_section(1), f, len, ppi, 1)), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(vh.flags, NET_VNET_NEEDS_CSUM);
	ck_assert_uint_eq(vh.csum_start, 54);
	ck_assert_uint_eq(vh.csum_offset, 6);
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 54, 17));
	ck_assert_uint_eq(stats().tx_csum, 2);
}
END_TEST

/* LSO as Linux sends it: the RNDIS header in a section (partial copy), the frame in
 * guest pages by GPA direct; IPv4 length and checksum zeroed, the TCP seed without
 * the length. The tap gets a TCPv4 GSO frame with the headers fixed up. */
START_TEST(test_tx_lso_ipv4)
{
	static uint8_t f[70000], out[70000];
	uint32_t payload = 20000, len, ppi[2], hlen, ranges[2];
	uint64_t gpa[2];
	struct nvsp_msg1_send_rndis_pkt m;
	struct net_vnet_hdr vh;
	uint8_t hdr[64];
	uint64_t tid;

	nic_up();
	len = mk_tcp4(f, peer_mac, 0x0a000001, 0x0a000002, 5001, 443, payload);
	put16(f + 14 + 2, 0);
	put16(f + 14 + 10, 0);
	put16(f + 14 + 20 + 16, fold(sum16(6, f + 14 + 12, 8)));
	ppi[0] = TCP_LARGESEND_PKTINFO;
	ppi[1] = 1448u | (34u << 20) | NDIS_LSO_V2;
	/* The RNDIS header and PPI at the end of section 7, the frame in two page ranges:
	 * the headers in one, the payload in another, as an skb's linear part and frag. */
	{
		uint8_t *sec = send_section(7);
		struct rndis_packet p = { RNDIS_MSG_PACKET, 44 + 16 + len, 36 + 16, len, 0, 0, 0, 36, 16, 0, 0 };
		struct rndis_ppi h = { 16, ppi[0], 12 };

		memcpy(hdr, &p, sizeof(p));
		memcpy(hdr + 44, &h, sizeof(h));
		memcpy(hdr + 56, &ppi[1], 4);
		memcpy(sec + 100, hdr, 60);
	}
	hlen = 54;
	gpa[0] = DATA_GPA + 0xf00;		/* straddles a page */
	gpa[1] = DATA_GPA + 0x10000 + 0x123;
	ranges[0] = hlen;
	ranges[1] = len - hlen;
	ck_assert_int_eq(gmem_write(&G.mem, gpa[0], f, hlen), 0);
	ck_assert_int_eq(gmem_write(&G.mem, gpa[1], f + hlen, len - hlen), 0);
	/* The section part starts at byte 100: move it to the start, as a partial copy
	 * sits right after earlier frames of the batch. */
	memmove(send_section(7), send_section(7) + 100, 60);
	m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, 7, 60 };
	tid = next_tid++;
	ck_assert_int_eq(send_gpa(&ch[0], tid, gpa, ranges, 2, &m, sizeof(m)), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(vh.flags, NET_VNET_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, NET_VNET_GSO_TCPV4);
	ck_assert_uint_eq(vh.gso_size, 1448);
	ck_assert_uint_eq(vh.hdr_len, 54);
	ck_assert_uint_eq(vh.csum_start, 34);
	ck_assert_uint_eq(vh.csum_offset, 16);
	/* Fixed: the IP length, its checksum, the seed with the length. */
	ck_assert_uint_eq(get16(out + 14 + 2), len - 14);
	ck_assert_uint_eq(fold(sum16(0, out + 14, 20)), 0xffff);
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 34, 6));
	ck_assert_mem_eq(out + 54, f + 54, payload);
	ck_assert_uint_eq(stats().tx_lso, 1);
}
END_TEST

START_TEST(test_tx_lso_ipv6_vlan)
{
	static uint8_t f[9000], out[9100];
	uint8_t *ip = f + 14, *tcp = ip + 40;
	uint32_t payload = 8000, len = 14 + 40 + 20 + payload, ppi[4];
	struct net_vnet_hdr vh;

	nic_up();
	memcpy(f, peer_mac, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x86dd);
	memset(ip, 0, 60);
	ip[0] = 0x60;
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 9;
	ip[24] = 0xfd;
	ip[39] = 7;
	put16(tcp, 1234);
	put16(tcp + 2, 80);
	tcp[12] = 5 << 4;
	tcp[13] = 0x80 | 0x10;	/* CWR */
	for (uint32_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)i;
	/* tcp_v6_gso_csum_prep: payload_len 0, seed without the length */
	put16(tcp + 16, fold(sum16(6, ip + 8, 32)));
	ppi[0] = IEEE_8021Q_INFO;
	ppi[1] = 5 | (1u << 3) | (100u << 4);	/* priority 5, DEI, VLAN 100 */
	ppi[2] = TCP_LARGESEND_PKTINFO;
	ppi[3] = 1200u | (54u << 20) | NDIS_LSO_V2 | NDIS_LSO_IPV6;
	{
		/* All of it by GPA direct, in one range: no section. */
		uint64_t gpa = DATA_GPA + 0x40;
		uint8_t *msg = malloc(len + 100);
		uint32_t ml = mk_rndis(msg, f, len, ppi, 2);
		struct nvsp_msg1_send_rndis_pkt m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, NVSP_SECTION_NONE, 0 };
		uint64_t tid = next_tid++;

		ck_assert_int_eq(gmem_write(&G.mem, gpa, msg, ml), 0);
		ck_assert_int_eq(send_gpa(&ch[0], tid, &gpa, &ml, 1, &m, sizeof(m)), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_SUCCESS);
		free(msg);
	}
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len + 4);
	/* The tag is back in the frame, and the offsets moved with it. */
	ck_assert_uint_eq(get16(out + 12), 0x8100);
	ck_assert_uint_eq(get16(out + 14), (5u << 13) | (1u << 12) | 100u);
	ck_assert_uint_eq(get16(out + 16), 0x86dd);
	ck_assert_uint_eq(vh.gso_type, NET_VNET_GSO_TCPV6 | NET_VNET_GSO_ECN);
	ck_assert_uint_eq(vh.gso_size, 1200);
	ck_assert_uint_eq(vh.csum_start, 58);
	ck_assert_uint_eq(vh.hdr_len, 78);
	ck_assert_uint_eq(get16(out + 18 + 4), 20 + payload);
	/* Check the checksum on the untagged frame. */
	memmove(out + 12, out + 16, len - 12);
	vh.csum_start -= 4;
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 54, 6));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netvsp_bringup_tx");
	TCase *t = netvsp_tcase(s, "bring-up");

	tcase_add_test(t, test_offer);
	tcase_add_test(t, test_linux_bringup);
	tcase_add_test(t, test_versions);

	t = netvsp_tcase(s, "transmit");
	tcase_add_test(t, test_tx_batch);
	tcase_add_test(t, test_tx_csum);
	tcase_add_test(t, test_tx_lso_ipv4);
	tcase_add_test(t, test_tx_lso_ipv6_vlan);

	return s;
}

int main(void)
{
	return test_main(suite());
}
