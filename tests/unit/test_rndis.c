/* SPDX-License-Identifier: MIT */
/*
 * The RNDIS control plane on its own: the answers Linux's rndis_filter and Windows'
 * netvsc need for each OID, the settings the guest makes, and requests cut short or
 * lying about their buffers.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rndis.h"
#include "testutil.h"

static struct rndis r;
static uint8_t out[RNDIS_REPLY_MAX];
static uint32_t req = 1;

static void setup(void)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x11, 0x22, 0x33 };

	memset(&r, 0, sizeof(r));
	memcpy(r.perm_mac, mac, 6);
	memcpy(r.mac, mac, 6);
	r.mtu = 1514;
	r.ndis_major = 6;
	r.ndis_minor = 30;
	r.max_queues = 4;
	r.link_up = true;
	r.link_speed = 10000000000ull;
	r.caps = (struct rndis_caps){ .tx_csum = true, .tx_ip4 = true, .lso = true, .lso_max = 62780, .rx_csum = true };
	rndis_reset(&r);
}

static uint32_t query(uint32_t oid, void *info, uint32_t *len)
{
	struct rndis_query_request q = { RNDIS_MSG_QUERY, sizeof(q), req++, oid, 0, 0, 0 };
	struct rndis_query_complete c;
	uint32_t n = rndis_control(&r, &q, sizeof(q), out);

	ck_assert_uint_ge(n, sizeof(c));
	ck_assert_uint_le(n, RNDIS_REPLY_MAX);
	memcpy(&c, out, sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_QUERY_C);
	ck_assert_uint_eq(c.msg_len, n);
	ck_assert_uint_eq(c.req_id, q.req_id);
	ck_assert_uint_eq(c.info_buflen + sizeof(c), n);
	if (c.info_buflen) {
		ck_assert_uint_eq(c.info_buf_offset, 16);
		memcpy(info, out + sizeof(c), c.info_buflen);
	}
	*len = c.info_buflen;
	return c.status;
}

static uint32_t q32(uint32_t oid)
{
	uint32_t v, n;

	ck_assert_uint_eq(query(oid, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	return v;
}

static uint32_t set(uint32_t oid, const void *info, uint32_t len)
{
	uint8_t m[2048];
	struct rndis_query_request s = { RNDIS_MSG_SET, (uint32_t)sizeof(s) + len, req++, oid, len, 20, 0 };
	struct rndis_status_complete c;

	memcpy(m, &s, sizeof(s));
	memcpy(m + sizeof(s), info, len);
	ck_assert_uint_eq(rndis_control(&r, m, s.msg_len, out), sizeof(c));
	memcpy(&c, out, sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_SET_C);
	ck_assert_uint_eq(c.req_id, s.req_id);
	return c.status;
}

START_TEST(test_initialize)
{
	struct rndis_initialize_request m = { RNDIS_MSG_INIT, sizeof(m), 77, 1, 0, 0x4000 };
	struct rndis_initialize_complete c;

	ck_assert_uint_eq(rndis_control(&r, &m, sizeof(m), out), 52);
	memcpy(&c, out, sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_INIT_C);
	ck_assert_uint_eq(c.msg_len, 52);
	ck_assert_uint_eq(c.req_id, 77);
	ck_assert_uint_eq(c.status, 0);
	ck_assert_uint_eq(c.major_ver, 1);
	ck_assert_uint_eq(c.minor_ver, 0);
	ck_assert_uint_eq(c.dev_flags, RNDIS_DF_CONNECTIONLESS);
	ck_assert_uint_eq(c.medium, 0);
	ck_assert_uint_eq(c.max_pkt_per_msg, 8);
	ck_assert_uint_eq(c.pkt_alignment_factor, 3);
	ck_assert(r.initialized);
	ck_assert(r.changed & RNDIS_CHANGED_INIT);
}
END_TEST

START_TEST(test_general_oids)
{
	uint8_t info[RNDIS_REPLY_MAX];
	uint32_t n, list[64];

	ck_assert_uint_eq(q32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
	ck_assert_uint_eq(q32(OID_GEN_MAXIMUM_TOTAL_SIZE), 1514);
	ck_assert_uint_eq(q32(OID_GEN_LINK_SPEED), 100000000);
	ck_assert_uint_eq(q32(OID_GEN_MEDIA_CONNECT_STATUS), 0);
	ck_assert_uint_eq(q32(OID_GEN_VENDOR_ID), 0x155d);
	ck_assert_uint_eq(q32(OID_GEN_MAC_OPTIONS), 0x24d);
	ck_assert_uint_eq(query(OID_802_3_PERMANENT_ADDRESS, info, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(info, r.perm_mac, 6);
	ck_assert_uint_eq(query(OID_GEN_DRIVER_VERSION, info, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(query(OID_GEN_FRIENDLY_NAME, info, &n), 0);
	ck_assert_uint_eq(n, 512);
	/* The supported list grows with the NDIS version, and lists only what is answered. */
	ck_assert_uint_eq(query(OID_GEN_SUPPORTED_LIST, list, &n), 0);
	ck_assert_uint_eq(n % 4, 0);
	for (uint32_t i = 0; i < n / 4; i++) {
		uint32_t st, m;

		if (list[i] == OID_802_3_MULTICAST_LIST || list[i] == OID_GEN_NETWORK_LAYER_ADDRESSES ||
		    list[i] == OID_GEN_RNDIS_CONFIG_PARAMETER || list[i] == OID_TCP_OFFLOAD_PARAMETERS ||
		    list[i] == OID_GEN_RECEIVE_SCALE_PARAMETERS)
			continue;	/* set only */
		st = query(list[i], info, &m);
		ck_assert_msg(st == 0 && m > 0, "listed OID 0x%08x not answered", list[i]);
	}
	{
		uint32_t n630 = n;

		r.ndis_minor = 1;
		ck_assert_uint_eq(query(OID_GEN_SUPPORTED_LIST, list, &n), 0);
		ck_assert_uint_lt(n, n630);
		r.ndis_major = 5;
		r.ndis_minor = 0;
		ck_assert_uint_eq(query(OID_GEN_SUPPORTED_LIST, list, &n), 0);
	}
	{
		struct ndis_link_state s;

		ck_assert_uint_eq(query(OID_GEN_LINK_STATE, &s, &n), 0);
		ck_assert_uint_eq(n, 40);
		ck_assert_uint_eq(s.media_connect_state, 1);
		ck_assert_uint_eq(s.xmit_link_speed, 10000000000ull);
	}
	r.link_up = false;
	ck_assert_uint_eq(q32(OID_GEN_MEDIA_CONNECT_STATUS), 1);
	ck_assert_uint_eq(query(0xdeadbeef, info, &n), RNDIS_STATUS_NOT_SUPPORTED);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* The offload capability object by NDIS version: the size and revision Linux checks. */
START_TEST(test_offload_caps)
{
	struct ndis_offload o;
	uint32_t n;

	ck_assert_uint_eq(query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &o, &n), 0);
	ck_assert_uint_eq(n, 156);
	ck_assert_uint_eq(o.header.size, 156);
	ck_assert_uint_eq(o.header.revision, 3);
	ck_assert_uint_eq(o.csum.ip4_txcsum, 0x155);
	ck_assert_uint_eq(o.csum.ip6_txcsum, 0x55);
	ck_assert_uint_eq(o.lsov2.ip4_maxsz, 62780);
	ck_assert_uint_eq(o.rsc.ip4, 0);
	r.ndis_minor = 1;
	ck_assert_uint_eq(query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &o, &n), 0);
	ck_assert_uint_eq(n, 144);
	ck_assert_uint_eq(o.header.revision, 2);
	r.ndis_minor = 0;
	ck_assert_uint_eq(query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &o, &n), 0);
	ck_assert_uint_eq(n, 112);
	/* Without the host's support nothing is offered. */
	r.caps.lso = false;
	r.caps.tx_csum = false;
	ck_assert_uint_eq(query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &o, &n), 0);
	ck_assert_uint_eq(o.csum.ip4_txcsum & 0x54, 0);
	ck_assert_uint_eq(o.lsov2.ip4_encap, 0);
}
END_TEST

START_TEST(test_offload_params)
{
	struct ndis_offload_params p = { .header = { NDIS_OBJECT_TYPE_DEFAULT, 3, 28 } };
	struct ndis_offload o;
	uint32_t n;

	p.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED;
	p.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
	p.udp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED;
	p.lso_v2_ipv4 = NDIS_OFFLOAD_PARAMETERS_ENABLED;
	p.rsc_ip_v4 = NDIS_OFFLOAD_PARAMETERS_ENABLED;	/* not offered: stays off */
	r.changed = 0;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
	ck_assert(r.changed & RNDIS_CHANGED_OFFLOAD);
	ck_assert(!r.offload.tx_ip4 && r.offload.tx_tcp4 && r.offload.rx_tcp4 && !r.offload.tx_udp6);
	ck_assert(r.offload.rx_udp6 && r.offload.lso4 && !r.offload.lso6 && !r.offload.rsc4);
	/* NO_CHANGE keeps what was set. */
	memset(&p.ip_v4_csum, 0, 11);
	p.lso_v2_ipv4 = NDIS_OFFLOAD_PARAMETERS_DISABLED;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
	ck_assert(r.offload.tx_tcp4 && !r.offload.lso4);
	ck_assert_uint_eq(query(OID_TCP_OFFLOAD_CURRENT_CONFIG, &o, &n), 0);
	ck_assert_uint_eq(o.csum.ip4_txcsum, 0x14);
	ck_assert_uint_eq(o.lsov2.ip4_encap, 0);
	/* NVSP 4's 22-byte form; revision 1's 20 bytes. */
	p.header.size = 22;
	p.tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 22), 0);
	ck_assert(r.offload.tx_tcp6);
	p.header.size = 20;
	p.header.revision = 1;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 20), 0);
	/* Refused: LSOv1, unknown values, a header that lies. */
	p.lso_v1 = NDIS_OFFLOAD_PARAMETERS_ENABLED;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 20), RNDIS_STATUS_NOT_SUPPORTED);
	p.lso_v1 = 0;
	p.tcp_ip_v4_csum = 5;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 20), RNDIS_STATUS_INVALID_DATA);
	ck_assert(r.offload.tx_tcp4);
	p.tcp_ip_v4_csum = 0;
	p.header.size = 28;
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 20), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set(OID_TCP_OFFLOAD_PARAMETERS, &p, 10), RNDIS_STATUS_INVALID_LENGTH);
}
END_TEST

static uint32_t set_rss(uint16_t flag, uint32_t hashinfo, const uint32_t *table, unsigned n, uint16_t keysize)
{
	uint8_t buf[2048] = { 0 };
	struct ndis_recv_scale_param p = {
		.hdr = { NDIS_OBJECT_TYPE_RSS_PARAMETERS, 2, 40 },
		.flag = flag,
		.hashinfo = hashinfo,
		.indirect_tabsize = (uint16_t)(4 * n),
		.indirect_taboffset = 40,
		.hashkey_size = keysize,
		.hashkey_offset = 40 + 4 * n,
	};

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 40, table, 4 * n);
	for (unsigned i = 0; i < 40; i++)
		buf[40 + 4 * n + i] = (uint8_t)(i + 1);
	return set(OID_GEN_RECEIVE_SCALE_PARAMETERS, buf, 40 + 4 * n + 40);
}

START_TEST(test_rss)
{
	struct ndis_recv_scale_cap cap;
	uint32_t n, t[257];	/* one more than a table may have */
	const uint32_t hi = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4;

	ck_assert_uint_eq(query(OID_GEN_RECEIVE_SCALE_CAPABILITIES, &cap, &n), 0);
	ck_assert_uint_eq(n, 18);
	ck_assert_uint_eq(cap.num_recv_que, 4);
	ck_assert_uint_eq(cap.num_indirect_tabent, 128);
	for (unsigned i = 0; i < 257; i++)
		t[i] = i % 4;
	ck_assert_uint_eq(set_rss(0, hi, t, 128, 40), 0);
	ck_assert(r.rss.enabled);
	ck_assert_uint_eq(r.rss.entries, 128);
	ck_assert_uint_eq(r.rss.table[127], 3);
	ck_assert_uint_eq(r.rss.key[39], 40);
	ck_assert_uint_eq(r.rss.hashinfo, hi);
	/* Only the table changes; then disabled. */
	t[0] = 2;
	ck_assert_uint_eq(set_rss(NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED | NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED, 0, t,
				  64, 0), 0);
	ck_assert_uint_eq(r.rss.entries, 64);
	ck_assert_uint_eq(r.rss.table[0], 2);
	ck_assert_uint_eq(set_rss(NDIS_RSS_PARAM_FLAG_DISABLE_RSS, hi, t, 128, 40), 0);
	ck_assert(!r.rss.enabled);
	/* Refused: a queue that does not exist, a key of another size, a table of
	 * nothing or too much, a hash that is not Toeplitz, unchanged parts never set. */
	t[5] = 4;
	ck_assert_uint_eq(set_rss(0, hi, t, 128, 40), RNDIS_STATUS_INVALID_DATA);
	t[5] = 1;
	ck_assert_uint_eq(set_rss(0, hi, t, 128, 16), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_rss(0, hi, t, 0, 40), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_rss(0, hi, t, 257, 40), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_rss(0, 2 | NDIS_HASH_IPV4, t, 128, 40), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_rss(NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED, hi, t, 128, 40), RNDIS_STATUS_INVALID_DATA);
	ck_assert(!r.rss.enabled);
}
END_TEST

static uint32_t config_param(const char *name, uint32_t type, const char *value)
{
	uint8_t info[1024] = { 0 };
	struct rndis_config_parameter_info p = { 20, (uint32_t)(2 * strlen(name)), type, 0, 0 };
	uint32_t off = 20;

	for (size_t i = 0; name[i]; i++)
		info[off + 2 * i] = (uint8_t)name[i];
	off += p.parameter_name_length;
	p.parameter_value_offset = off;
	p.parameter_value_length = (uint32_t)(2 * strlen(value));
	for (size_t i = 0; value[i]; i++)
		info[off + 2 * i] = (uint8_t)value[i];
	memcpy(info, &p, sizeof(p));
	return set(OID_GEN_RNDIS_CONFIG_PARAMETER, info, off + p.parameter_value_length);
}

START_TEST(test_config_parameters)
{
	ck_assert_uint_eq(config_param("NetworkAddress", RNDIS_CONFIG_PARAM_TYPE_STRING, "02aabbccddee"), 0);
	ck_assert_uint_eq(r.mac[0], 0x02);
	ck_assert_uint_eq(r.mac[5], 0xee);
	ck_assert_uint_eq(config_param("networkaddress", RNDIS_CONFIG_PARAM_TYPE_STRING, "02-AA-BB-CC-DD-EF"), 0);
	ck_assert_uint_eq(r.mac[5], 0xef);
	ck_assert_uint_eq(config_param("NetworkAddress", RNDIS_CONFIG_PARAM_TYPE_STRING, "02aabbccdd"),
			  RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(config_param("NetworkAddress", RNDIS_CONFIG_PARAM_TYPE_STRING, "03aabbccddee"),
			  RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(r.mac[5], 0xef);
	/* Windows' offload keywords. */
	ck_assert_uint_eq(config_param("*TCPChecksumOffloadIPv4", RNDIS_CONFIG_PARAM_TYPE_STRING, "3"), 0);
	ck_assert(r.offload.tx_tcp4 && r.offload.rx_tcp4);
	ck_assert_uint_eq(config_param("*TCPChecksumOffloadIPv4", RNDIS_CONFIG_PARAM_TYPE_STRING, "2"), 0);
	ck_assert(!r.offload.tx_tcp4 && r.offload.rx_tcp4);
	ck_assert_uint_eq(config_param("*LsoV2IPv6", RNDIS_CONFIG_PARAM_TYPE_STRING, "1"), 0);
	ck_assert(r.offload.lso6);
	ck_assert_uint_eq(config_param("*Anything", RNDIS_CONFIG_PARAM_TYPE_INTEGER, "x"), 0);
	/* Offsets outside the buffer. */
	{
		struct rndis_config_parameter_info p = { 20, 600, RNDIS_CONFIG_PARAM_TYPE_STRING, 20, 2 };

		ck_assert_uint_eq(set(OID_GEN_RNDIS_CONFIG_PARAMETER, &p, sizeof(p)), RNDIS_STATUS_INVALID_DATA);
		p.parameter_name_length = 2;
		p.parameter_value_offset = 0xfffffff0;
		ck_assert_uint_eq(set(OID_GEN_RNDIS_CONFIG_PARAMETER, &p, sizeof(p)), RNDIS_STATUS_INVALID_DATA);
	}
}
END_TEST

START_TEST(test_filter)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, mc[6] = { 0x33, 0x33, 0, 0, 0, 1 },
			     other[6] = { 2, 0, 0, 0, 0, 1 };
	uint32_t f = 0x0d;

	ck_assert(!rndis_filter_accepts(&r, r.mac));
	ck_assert_uint_eq(set(OID_GEN_CURRENT_PACKET_FILTER, &f, 4), 0);
	ck_assert(rndis_filter_accepts(&r, r.mac));
	ck_assert(rndis_filter_accepts(&r, bc));
	ck_assert(rndis_filter_accepts(&r, mc));
	ck_assert(!rndis_filter_accepts(&r, other));
	f = RNDIS_PACKET_TYPE_DIRECTED;
	ck_assert_uint_eq(set(OID_GEN_CURRENT_PACKET_FILTER, &f, 4), 0);
	ck_assert(!rndis_filter_accepts(&r, bc));
	ck_assert(!rndis_filter_accepts(&r, mc));
	f = RNDIS_PACKET_TYPE_PROMISCUOUS;
	ck_assert_uint_eq(set(OID_GEN_CURRENT_PACKET_FILTER, &f, 4), 0);
	ck_assert(rndis_filter_accepts(&r, other));
	ck_assert_uint_eq(set(OID_GEN_CURRENT_PACKET_FILTER, &f, 2), RNDIS_STATUS_INVALID_LENGTH);
	/* HALT: nothing passes any more, and there is no answer. */
	{
		struct rndis_request_id h = { RNDIS_MSG_HALT, 12, 5 };

		ck_assert_uint_eq(rndis_control(&r, &h, sizeof(h), out), 0);
		ck_assert(!rndis_filter_accepts(&r, other));
	}
}
END_TEST

START_TEST(test_other_messages)
{
	struct rndis_request_id k = { RNDIS_MSG_KEEPALIVE, 12, 9 };
	struct rndis_status_complete c;
	struct rndis_reset_complete rc;
	uint32_t reset[3] = { RNDIS_MSG_RESET, 12, 0 };

	ck_assert_uint_eq(rndis_control(&r, &k, sizeof(k), out), 16);
	memcpy(&c, out, sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_KEEPALIVE_C);
	ck_assert_uint_eq(c.req_id, 9);
	ck_assert_uint_eq(rndis_control(&r, reset, sizeof(reset), out), 16);
	memcpy(&rc, out, sizeof(rc));
	ck_assert_uint_eq(rc.msg_type, RNDIS_MSG_RESET_C);
	ck_assert_uint_eq(rc.status, 0);
	k.msg_type = RNDIS_MSG_SET_EX;
	ck_assert_uint_eq(rndis_control(&r, &k, sizeof(k), out), 16);
	memcpy(&c, out, sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_SET_EX_C);
	ck_assert_uint_eq(c.status, RNDIS_STATUS_NOT_SUPPORTED);
	ck_assert_uint_eq(rndis_indicate(RNDIS_STATUS_MEDIA_CONNECT, out), 20);
}
END_TEST

/* Every request cut at every length, and random bytes: never more than a reply's
 * room, never a read past the message (ASan watches), a request id → an answer. */
START_TEST(test_truncated_and_random)
{
	uint8_t m[600];
	uint32_t types[] = { RNDIS_MSG_INIT, RNDIS_MSG_QUERY, RNDIS_MSG_SET, RNDIS_MSG_RESET, RNDIS_MSG_KEEPALIVE };
	uint32_t oids[] = { OID_TCP_OFFLOAD_PARAMETERS, OID_GEN_RECEIVE_SCALE_PARAMETERS, OID_GEN_RNDIS_CONFIG_PARAMETER,
			    OID_GEN_CURRENT_PACKET_FILTER, OID_OFFLOAD_ENCAPSULATION, OID_GEN_SUPPORTED_LIST };

	srand(1);
	for (unsigned t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (unsigned o = 0; o < sizeof(oids) / sizeof(oids[0]); o++) {
			for (uint32_t len = 0; len <= sizeof(m); len++) {
				uint8_t *exact = malloc(len ? len : 1);
				uint32_t n;

				for (unsigned i = 0; i < sizeof(m); i++)
					m[i] = (uint8_t)rand();
				memcpy(m, &types[t], 4);
				memcpy(m + 4, &len, 4);
				memcpy(m + 12, &oids[o], 4);
				if (len % 3 == 0) {
					uint32_t small[2] = { (uint32_t)rand() % 64, 20 };

					memcpy(m + 16, small, 8);
				}
				memcpy(exact, m, len);
				n = rndis_control(&r, exact, len, out);
				ck_assert_uint_le(n, RNDIS_REPLY_MAX);
				if (len >= 12 && types[t] != RNDIS_MSG_RESET)
					ck_assert_uint_gt(n, 0);
				free(exact);
			}
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rndis");
	TCase *t = tcase_create("control");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, test_initialize);
	tcase_add_test(t, test_general_oids);
	tcase_add_test(t, test_offload_caps);
	tcase_add_test(t, test_offload_params);
	tcase_add_test(t, test_rss);
	tcase_add_test(t, test_config_parameters);
	tcase_add_test(t, test_filter);
	tcase_add_test(t, test_other_messages);
	tcase_add_test(t, test_truncated_and_random);
	suite_add_tcase(s, t);
	return test_main(s);
}
