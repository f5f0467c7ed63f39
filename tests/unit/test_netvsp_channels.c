/* SPDX-License-Identifier: MIT */
#include "netvsp_fixture.h"

/* ---- sub-channels and RSS ------------------------------------------------------------------- */

static void open_subchannels(unsigned want, unsigned expect)
{
	struct nvsp_msg5_subchannel m = { NVSP_MSG5_TYPE_SUBCHANNEL, NVSP_SUBCHANNEL_ALLOCATE, want }, r;
	uint8_t buf[40];
	uint64_t tid = next_tid++;
	union vg_msg msg;

	nvsp(&ch[0], &m, sizeof(m), tid);
	ck_assert_uint_ge(expect_comp(&ch[0], tid, buf, sizeof(buf)), 12);
	memcpy(&r, buf, sizeof(r));
	ck_assert_uint_eq(r.msg_type, NVSP_MSG5_TYPE_SUBCHANNEL);
	ck_assert_uint_eq(r.op_or_status, expect ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL);
	ck_assert_uint_eq(r.num_subchannels, expect);
	for (unsigned i = 1; i <= expect; i++) {
		vg_expect(&G, CHANNELMSG_OFFERCHANNEL, &msg);
		ck_assert_mem_eq(&msg.offer.offer.if_instance, &primary_offer.offer.if_instance, 16);
		ck_assert_uint_eq(msg.offer.offer.sub_channel_index, i);
		ck_assert_uint_eq(vg_open(&G, &ch[i], &msg.offer, gpadl_id++, RING_GPA(i), 16, 16, 0), 0);
	}
}

static void expect_send_table(unsigned nchan)
{
	uint8_t buf[256];
	struct vmbus_packet_desc d;
	struct nvsp_msg5_send_indirection_table t;
	int n = next_pkt(&ch[0], buf);

	memcpy(&d, buf, sizeof(d));
	ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_ge((uint32_t)n - d.offset8 * 8u, 12 + 64);
	memcpy(&t, buf + d.offset8 * 8u, sizeof(t));
	ck_assert_uint_eq(t.msg_type, NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE);
	ck_assert_uint_eq(t.count, 16);
	ck_assert_uint_eq(t.offset, 12);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(t.table[i], i % nchan);
}

/* rndis_filter_set_rss_param: table of 128 entries, Linux's default key. */
static uint32_t set_rss(uint16_t flag, const uint32_t *table, unsigned entries)
{
	uint8_t buf[1024] = { 0 };
	struct ndis_recv_scale_param p = {
		.hdr = { NDIS_OBJECT_TYPE_RSS_PARAMETERS, 2, 40 },
		.flag = flag,
		.hashinfo = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6 |
			    NDIS_HASH_TCP_IPV6,
		.indirect_tabsize = (uint16_t)(4 * entries),
		.indirect_taboffset = 40,
		.hashkey_size = 40,
		.hashkey_offset = 40 + 4 * entries,
	};

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 40, table, 4 * entries);
	memcpy(buf + 40 + 4 * entries, rss_key, 40);
	return set_oid(OID_GEN_RECEIVE_SCALE_PARAMETERS, buf, 40 + 4 * entries + 40);
}

START_TEST(test_subchannels_and_rss)
{
	uint32_t table[128], hash;
	uint8_t f[2048];
	struct rx_frame fr[1];
	union vg_msg msg;
	uint32_t old_relid;

	nic_up();
	open_subchannels(7, 1);		/* two queues configured: one sub-channel */
	expect_send_table(2);
	for (unsigned i = 0; i < 128; i++)
		table[i] = i % 2;
	ck_assert_uint_eq(set_rss(NDIS_RSS_PARAM_FLAG_DISABLE_RSS, table, 128), 0);
	ck_assert_uint_eq(set_rss(0, table, 128), 0);
	/* Each flow goes where the Toeplitz hash points in the table, with its hash. */
	for (unsigned port = 1000; port < 1016; port++) {
		uint8_t in[12] = { 10, 0, 0, 2, 10, 0, 0, 1, 0, 80, (uint8_t)(port >> 8), (uint8_t)port };
		uint32_t len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)port, 40);
		unsigned q;

		hash = rss_toeplitz(rss_key, in, sizeof(in));
		q = table[hash % 128];
		peer_write(0, f, len);
		rx_frames(&ch[q], fr, 1, false, NULL);
		ck_assert(fr[0].has_hash);
		ck_assert_uint_eq(fr[0].hash, hash);
	}
	/* Data sent on the sub-channel is completed there. */
	{
		uint32_t len = mk_tcp4(f, peer_mac, 1, 2, 3, 4, 50);
		struct net_vnet_hdr vh;
		uint8_t out[2048];

		ck_assert_uint_eq(tx_section(&ch[1], 9, mk_rndis(send_section(9), f, len, NULL, 0)), NVSP_STAT_SUCCESS);
		ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	}
	/* A second request is refused; the channel count stays. */
	open_subchannels(1, 0);
	/* Closing the primary takes the sub-channel away; a new session gets a new one. */
	old_relid = ch[1].relid;
	close_chan(&ch[1]);
	close_chan(&ch[0]);
	vg_expect(&G, CHANNELMSG_RESCIND_CHANNELOFFER, &msg);
	ck_assert_uint_eq(msg.relid.child_relid, old_relid);
	nic_up();
	open_subchannels(1, 1);
	ck_assert_uint_ne(ch[1].relid, old_relid);
	expect_send_table(2);
}
END_TEST

/* ---- link, address ------------------------------------------------------------------------ */

START_TEST(test_link_down_up)
{
	uint8_t buf[64], f[256];
	struct rx_pkt p;
	struct rndis_indicate_status ind;
	struct netvsp_stats s;

	nic_up();
	set_link(false);
	parse_xfer(buf, (uint32_t)next_pkt(&ch[0], buf), &p);
	memcpy(&ind, recv_buf() + p.r[0].byte_offset, sizeof(ind));
	complete_rx(&ch[0], p.tid);
	ck_assert_uint_eq(ind.msg_type, RNDIS_MSG_INDICATE);
	ck_assert_uint_eq(ind.status, RNDIS_STATUS_MEDIA_DISCONNECT);
	ck_assert_uint_ge(ind.msg_len, 20);
	ck_assert_uint_eq(query32(OID_GEN_MEDIA_CONNECT_STATUS), 1);
	/* No cable: frames go nowhere either way. */
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 10));
	ck_assert_uint_eq(tx_section(&ch[0], 0, mk_rndis(send_section(0), f, mk_tcp4(f, peer_mac, 1, 2, 3, 4, 10),
							 NULL, 0)), NVSP_STAT_SUCCESS);
	ck_assert(peer_idle());
	set_link(true);
	parse_xfer(buf, (uint32_t)next_pkt(&ch[0], buf), &p);
	memcpy(&ind, recv_buf() + p.r[0].byte_offset, sizeof(ind));
	complete_rx(&ch[0], p.tid);
	ck_assert_uint_eq(ind.status, RNDIS_STATUS_MEDIA_CONNECT);
	ck_assert_uint_eq(query32(OID_GEN_MEDIA_CONNECT_STATUS), 0);
	s = stats();
	ck_assert_uint_eq(s.tx_drops, 1);
	ck_assert_uint_eq(s.rx_drops, 1);
	ck_assert_uint_eq(s.tx_packets, 0);
}
END_TEST

/* rndis_filter_set_device_mac: "NetworkAddress" as 12 hex digits in UTF-16. */
static uint32_t set_address(const char *hex)
{
	uint8_t info[72] = { 0 };
	struct rndis_config_parameter_info p = { 20, 28, RNDIS_CONFIG_PARAM_TYPE_STRING, 48, 24 };
	const char *name = "NetworkAddress";

	memcpy(info, &p, sizeof(p));
	for (unsigned i = 0; i < 14; i++)
		info[20 + 2 * i] = (uint8_t)name[i];
	for (unsigned i = 0; i < 12; i++)
		info[48 + 2 * i] = (uint8_t)hex[i];
	return set_oid(OID_GEN_RNDIS_CONFIG_PARAMETER, info, sizeof(info));
}

START_TEST(test_mac_change)
{
	static const uint8_t newmac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c };
	uint8_t buf[16], f[256];
	struct rx_frame fr[1];
	uint32_t n;

	nic_up();
	ck_assert_uint_eq(set_address("00155d0a0b0c"), 0);
	ck_assert_uint_eq(query(OID_802_3_CURRENT_ADDRESS, buf, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(buf, newmac, 6);
	ck_assert_uint_eq(query(OID_802_3_PERMANENT_ADDRESS, buf, &n), 0);
	ck_assert_mem_eq(buf, mac, 6);
	peer_write(0, f, mk_tcp4(f, newmac, 1, 2, 3, 4, 10));
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_mem_eq(fr[0].data, newmac, 6);
	/* Not hex, a multicast address: refused, the address stays. */
	ck_assert_uint_eq(set_address("00155d0a0b0g"), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_address("01155d0a0b0c"), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(query(OID_802_3_CURRENT_ADDRESS, buf, &n), 0);
	ck_assert_mem_eq(buf, newmac, 6);
}
END_TEST

/* ---- malformed input ------------------------------------------------------------------------ */

/* After anything below, the device still answers a good request. */
static void still_works(void)
{
	ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
}

START_TEST(test_bad_nvsp)
{
	struct nvsp_msg1_send_rndis_pkt m;
	struct nvsp_msg1_send_recv_buf_complete rb;
	uint32_t type, sec;
	uint64_t tid;

	ck_assert_uint_eq(vg_open(&G, &ch[0], &primary_offer, gpadl_id++, RING_GPA(0), 16, 16, 0), 0);
	/* Before INIT: refused, but answered. */
	m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, 0, 100 };
	tid = next_tid++;
	nvsp(&ch[0], &m, sizeof(m), tid);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT), NVSP_STAT_FAIL);
	init_version(NVSP_PROTOCOL_VERSION_61, true);
	version = NVSP_PROTOCOL_VERSION_61;
	/* A second INIT. */
	init_version(NVSP_PROTOCOL_VERSION_5, false);
	/* Unknown messages, and one too short for its type (4 bytes of a SEND_RECV_BUF). */
	type = 9999;
	tid = next_tid++;
	ck_assert_int_eq(vg_send(&ch[0], VM_PKT_DATA_INBAND, 1, tid, &type, 4), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, 9999), NVSP_STAT_FAIL);
	type = NVSP_MSG1_TYPE_SEND_RECV_BUF;
	tid = next_tid++;
	ck_assert_int_eq(vg_send(&ch[0], VM_PKT_DATA_INBAND, 1, tid, &type, 4), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RECV_BUF), NVSP_STAT_FAIL);
	/* Buffers: a GPADL that does not exist, one of another channel's... */
	ck_assert_uint_eq(send_recv_buf(0x12345, 0xcafe, &rb), NVSP_STAT_FAIL);
	ck_assert_uint_eq(rb.num_sections, 0);
	/* ... one with an offset into its first page. */
	{
		uint64_t pfns[4] = { RECV_GPA / PAGE, RECV_GPA / PAGE + 1, RECV_GPA / PAGE + 2, RECV_GPA / PAGE + 3 };

		ck_assert_uint_eq(vg_gpadl_create_pfns(&G, ch[0].relid, 0x501, 100, 4 * PAGE - 100, pfns, 4), 0);
		ck_assert_uint_eq(send_recv_buf(0x501, 0xcafe, &rb), NVSP_STAT_FAIL);
	}
	ck_assert_uint_eq(send_send_buf(0x12345, 0, &sec), NVSP_STAT_FAIL);
	ck_assert_uint_eq(sec, 0);
	/* The good ones still go through, once. */
	ck_assert_uint_eq(vg_gpadl_create(&G, ch[0].relid, 0x502, RECV_GPA, RECV_PAGES), 0);
	ck_assert_uint_eq(send_recv_buf(0x502, 0xcafe, &rb), NVSP_STAT_SUCCESS);
	sec_size = rb.sections[0].sub_alloc_size;
	sec_count = rb.sections[0].num_sub_allocs;
	ck_assert_uint_eq(send_recv_buf(0x502, 0xcafe, &rb), NVSP_STAT_FAIL);
	ck_assert_uint_eq(vg_gpadl_create(&G, ch[0].relid, 0x503, SEND_GPA, SEND_PAGES), 0);
	ck_assert_uint_eq(send_send_buf(0x503, 0, &sec), NVSP_STAT_SUCCESS);
	rndis_init();
	/* RNDIS packets: a section past the buffer, a size over a section, a size past the
	 * data; GPA direct with no range, a page outside RAM, an offset past the page. */
	{
		static const struct { uint32_t index, size; } bad[] = { { 170, 100 }, { 0, 6145 }, { 169, 6144 + 1 } };

		for (unsigned i = 0; i < 3; i++) {
			m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, bad[i].index, bad[i].size };
			tid = next_tid++;
			nvsp(&ch[0], &m, sizeof(m), tid);
			ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
		}
	}
	{
		uint64_t gpa[2] = { RAM + 0x1000, CTRL_GPA };
		uint32_t len[2] = { 100, 100 };

		m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 1, NVSP_SECTION_NONE, 0 };
		tid = next_tid++;
		ck_assert_int_eq(send_gpa(&ch[0], tid, gpa, len, 1, &m, sizeof(m)), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
		tid = next_tid++;
		ck_assert_int_eq(send_gpa(&ch[0], tid, gpa, len, 0, &m, sizeof(m)), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
	}
	{
		/* A range whose page list runs into the NVSP message. */
		uint8_t pkt[256] = { 0 };
		struct vmbus_gpa_direct_header h = { .d = { VM_PKT_DATA_USING_GPA_DIRECT, 5, 10, 1, 0 }, 0, 1 };
		struct vmbus_gpa_range r = { 3 * PAGE, 0 };

		h.d.trans_id = tid = next_tid++;
		memcpy(pkt, &h, sizeof(h));
		memcpy(pkt + sizeof(h), &r, sizeof(r));
		memcpy(pkt + 40, &m, sizeof(m));
		ck_assert_int_eq(write_pkt(&ch[0], pkt, 80), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
	}
	/* Receive completions for packets never sent. */
	complete_rx(&ch[0], 0x777);
	complete_rx(&ch[0], 0xffffffffffffffffull);
	still_works();
	ck_assert_uint_ge(stats().bad, 10);
	ck_assert(peer_idle());
}
END_TEST

/* A data message whose stream ends early, PPIs that do not add up, offsets out of
 * the message: the send fails, nothing reaches the tap, the next one works. */
START_TEST(test_bad_rndis_packets)
{
	uint8_t f[2048], *sec;
	uint32_t len, ml, ppi[2] = { TCPIP_CHKSUM_PKTINFO, NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | (34u << 16) };
	struct rndis_packet p;
	struct rndis_ppi h;
	struct net_vnet_hdr vh;
	uint8_t out[2048];

	nic_up();
	sec = send_section(3);
	len = mk_tcp4(f, peer_mac, 1, 2, 3, 4, 100);
	/* msg_len beyond the bytes sent */
	ml = mk_rndis(sec, f, len, NULL, 0);
	ck_assert_uint_eq(tx_section(&ch[0], 3, ml - 8), NVSP_STAT_FAIL);
	/* msg_len 0, and under 8 */
	memset(sec, 0, 16);
	ck_assert_uint_eq(tx_section(&ch[0], 3, 16), NVSP_STAT_FAIL);
	/* data offset past the message */
	ml = mk_rndis(sec, f, len, NULL, 0);
	memcpy(&p, sec, sizeof(p));
	p.data_offset = ml;
	memcpy(sec, &p, sizeof(p));
	ck_assert_uint_eq(tx_section(&ch[0], 3, ml), NVSP_STAT_FAIL);
	/* a PPI of size 0, a PPI running past its area, an offset past the PPI */
	for (unsigned k = 0; k < 3; k++) {
		ml = mk_rndis(sec, f, len, ppi, 1);
		memcpy(&h, sec + 44, sizeof(h));
		if (k == 0)
			h.size = 0;
		else if (k == 1)
			h.size = 32;
		else
			h.ppi_offset = 16;
		memcpy(sec + 44, &h, sizeof(h));
		ck_assert_uint_eq(tx_section(&ch[0], 3, ml), NVSP_STAT_FAIL);
	}
	/* a checksum offset beyond the frame, an LSO for an IPv6 frame that is IPv4 */
	ppi[1] = NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | (1000u << 16);
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, len, ppi, 1)), NVSP_STAT_FAIL);
	ppi[0] = TCP_LARGESEND_PKTINFO;
	ppi[1] = 1000u | (34u << 20) | NDIS_LSO_V2 | NDIS_LSO_IPV6;
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, len, ppi, 1)), NVSP_STAT_FAIL);
	/* a runt */
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, 10, NULL, 0)), NVSP_STAT_FAIL);
	ck_assert(peer_idle());
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, len, NULL, 0)), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(stats().tx_packets, 1);
}
END_TEST

/* A guest that sends bad packets without end, each a little different, gets a
 * bounded number of log lines, and a different complaint after them is still logged. */
START_TEST(test_bad_flood_log_bounded)
{
	uint8_t f[2048], *sec;
	uint32_t len, ml;
	char *text;

	nic_up();
	sec = send_section(3);
	len = mk_tcp4(f, peer_mac, 1, 2, 3, 4, 100);
	ml = mk_rndis(sec, f, len, NULL, 0);
	test_stderr_begin();
	for (unsigned i = 0; i < 500; i++)
		ck_assert_uint_eq(tx_section(&ch[0], 3, ml - 8 - (i % 64)), NVSP_STAT_FAIL);
	complete_rx(&ch[0], 0x777);
	still_works();
	text = test_stderr_end();
	ck_assert_uint_ge(test_count_lines(text, "netvsp 0: "), 2);
	ck_assert_uint_le(test_count_lines(text, "netvsp 0: "), LOG_RATELIMIT_BURST + 1);
	ck_assert_uint_eq(test_count_lines(text, "netvsp 0: completion of a receive packet that is not outstanding"), 1);
	ck_assert_uint_ge(stats().bad, 501);
	free(text);
}
END_TEST

/* RNDIS control messages with lengths and offsets that lie: answered with an error
 * status (or, below the request id, not at all), and the device keeps going. */
START_TEST(test_bad_rndis_control)
{
	uint8_t m[128] = { 0 }, r[256];
	struct rndis_query_request q = { RNDIS_MSG_QUERY, 28, 0, OID_GEN_MAXIMUM_FRAME_SIZE, 4, 200, 0 };
	struct rndis_query_complete qc;
	struct rndis_status_complete sc;
	struct ndis_offload_params op = { .header = { 0x55, 3, 28 } };
	uint32_t table[4] = { 0, 1, 0, 9 };

	nic_up();
	/* An input buffer outside the message */
	q.req_id = next_req++;
	memcpy(m, &q, sizeof(q));
	ck_assert_uint_ge(rndis(m, sizeof(q), r, sizeof(r)), sizeof(qc));
	memcpy(&qc, r, sizeof(qc));
	ck_assert_uint_eq(qc.req_id, q.req_id);
	ck_assert_uint_eq(qc.status, RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(qc.info_buflen, 0);
	/* A SET whose buffer runs past the message */
	q.msg_type = RNDIS_MSG_SET;
	q.msg_len = 40;
	q.req_id = next_req++;
	q.info_buf_offset = 20;
	q.info_buflen = 100;
	memcpy(m, &q, sizeof(q));
	ck_assert_uint_eq(rndis(m, 40, &sc, sizeof(sc)), sizeof(sc));
	ck_assert_uint_eq(sc.status, RNDIS_STATUS_INVALID_DATA);
	/* Too short for a QUERY: still answered */
	q.msg_type = RNDIS_MSG_QUERY;
	q.req_id = next_req++;
	q.msg_len = 16;
	memcpy(m, &q, sizeof(q));
	ck_assert_uint_ge(rndis(m, 16, r, sizeof(r)), sizeof(qc));
	memcpy(&qc, r, sizeof(qc));
	ck_assert_uint_eq(qc.status, RNDIS_STATUS_INVALID_LENGTH);
	/* Objects with a bad header, RSS tables naming queues that do not exist */
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_INVALID_DATA);
	op.header.type = NDIS_OBJECT_TYPE_DEFAULT;
	op.header.size = 200;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_rss(0, table, 4), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_oid(OID_GEN_RECEIVE_SCALE_PARAMETERS, table, 12), RNDIS_STATUS_INVALID_LENGTH);
	ck_assert_uint_eq(set_filter(0x0d), 0);
	/* Unknown OIDs */
	ck_assert_uint_eq(set_oid(0x12345678, table, 4), RNDIS_STATUS_NOT_SUPPORTED);
	{
		uint32_t n;

		ck_assert_uint_eq(query(0x12345678, r, &n), RNDIS_STATUS_NOT_SUPPORTED);
		ck_assert_uint_eq(n, 0);
	}
	still_works();
}
END_TEST

/* Revoking the receive buffer stops delivery; a teardown of a buffer in use waits
 * for the revoke; closing answers the rest. */
START_TEST(test_revoke_and_teardown)
{
	struct nvsp_msg1_revoke_buf rv = { NVSP_MSG1_TYPE_REVOKE_RECV_BUF, 0xcafe };
	union vg_msg msg;
	uint8_t f[256];
	uint32_t recv_gpadl;

	nic_up();
	recv_gpadl = gpadl_id - 2;
	/* The guest takes the buffer back while hvkvm uses it: no answer yet. */
	gpadl_teardown(ch[0].relid, recv_gpadl);
	ck_assert_int_lt(vg_recv(&G, &msg, 200), 0);
	nvsp(&ch[0], &rv, sizeof(rv), NO_RESPONSE);
	vg_expect(&G, CHANNELMSG_GPADL_TORNDOWN, &msg);
	ck_assert_uint_eq(msg.torndown.gpadl, recv_gpadl);
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 10));
	ck_assert(WAIT_UNTIL(stats().rx_drops == 1, VG_TMO));
	ck_assert(vg_read_avail(&ch[0]) == 0);
	rv.msg_type = NVSP_MSG1_TYPE_REVOKE_SEND_BUF;
	rv.id = 0;
	nvsp(&ch[0], &rv, sizeof(rv), NO_RESPONSE);
	close_chan(&ch[0]);
	gpadl_teardown(ch[0].relid, recv_gpadl + 1);
	vg_expect(&G, CHANNELMSG_GPADL_TORNDOWN, &msg);
	ck_assert_uint_eq(msg.torndown.gpadl, recv_gpadl + 1);
	/* And the whole thing again on the same channel. */
	nic_up();
	still_works();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netvsp_channels");
	TCase *t;

	t = netvsp_tcase(s, "channels");
	tcase_add_test(t, test_subchannels_and_rss);
	tcase_add_test(t, test_link_down_up);
	tcase_add_test(t, test_mac_change);

	t = netvsp_tcase(s, "malformed");
	tcase_add_test(t, test_bad_nvsp);
	tcase_add_test(t, test_bad_rndis_packets);
	tcase_add_test(t, test_bad_flood_log_bounded);
	tcase_add_test(t, test_bad_rndis_control);
	tcase_add_test(t, test_revoke_and_teardown);
	return s;
}

int main(void)
{
	return test_main(suite());
}
