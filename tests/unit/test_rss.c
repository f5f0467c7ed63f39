/* SPDX-License-Identifier: MIT */
/*
 * The Toeplitz hash against Microsoft's RSS verification vectors (the default key
 * Linux's hv_netvsc also uses), and the hash of whole frames by hash type.
 */
#include <check.h>
#include <string.h>

#include "rndis_proto.h"
#include "rss.h"
#include "testutil.h"

static const uint8_t key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct v4 {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint32_t ip, tcp;
};

static const struct v4 v4[] = {
	{ { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, 48228, 2217, 0x82989176, 0xafc7327f },
	{ { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};

static const uint8_t v6_src[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t v6_dst[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

START_TEST(test_vectors_ipv4)
{
	for (unsigned i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		uint8_t in[12];

		memcpy(in, v4[i].src, 4);
		memcpy(in + 4, v4[i].dst, 4);
		put16(in + 8, v4[i].sport);
		put16(in + 10, v4[i].dport);
		ck_assert_uint_eq(rss_toeplitz(key, in, 8), v4[i].ip);
		ck_assert_uint_eq(rss_toeplitz(key, in, 12), v4[i].tcp);
	}
}
END_TEST

START_TEST(test_vectors_ipv6)
{
	uint8_t in[36];

	memcpy(in, v6_src, 16);
	memcpy(in + 16, v6_dst, 16);
	put16(in + 32, 2794);
	put16(in + 34, 1766);
	ck_assert_uint_eq(rss_toeplitz(key, in, 32), 0x2cc18cd5);
	ck_assert_uint_eq(rss_toeplitz(key, in, 36), 0x40207d3d);
}
END_TEST

static uint32_t frame4(uint8_t *f, const struct v4 *v, uint8_t proto, bool vlan, bool frag)
{
	uint8_t *ip;

	memset(f, 0, 128);
	put16(f + 12, 0x0800);
	ip = f + 14;
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, 42);
		put16(f + 16, 0x0800);
		ip = f + 18;
	}
	ip[0] = 0x45;
	if (frag)
		ip[6] = 0x20;	/* more fragments */
	ip[9] = proto;
	memcpy(ip + 12, v->src, 4);
	memcpy(ip + 16, v->dst, 4);
	put16(ip + 20, v->sport);
	put16(ip + 22, v->dport);
	return (uint32_t)(ip - f) + 40;
}

START_TEST(test_frames)
{
	const uint32_t all = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6 |
			     NDIS_HASH_TCP_IPV6;
	uint8_t f[128];
	uint32_t h, len;

	len = frame4(f, &v4[0], 6, false, false);
	ck_assert(rss_hash_frame(key, all, f, len, &h));
	ck_assert_uint_eq(h, v4[0].tcp);
	/* VLAN-tagged the same. */
	len = frame4(f, &v4[0], 6, true, false);
	ck_assert(rss_hash_frame(key, all, f, len, &h));
	ck_assert_uint_eq(h, v4[0].tcp);
	/* UDP and fragments: addresses only. */
	len = frame4(f, &v4[1], 17, false, false);
	ck_assert(rss_hash_frame(key, all, f, len, &h));
	ck_assert_uint_eq(h, v4[1].ip);
	len = frame4(f, &v4[1], 6, false, true);
	ck_assert(rss_hash_frame(key, all, f, len, &h));
	ck_assert_uint_eq(h, v4[1].ip);
	/* Without the TCP type: addresses; without any IPv4 type: nothing. */
	len = frame4(f, &v4[2], 6, false, false);
	ck_assert(rss_hash_frame(key, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4, f, len, &h));
	ck_assert_uint_eq(h, v4[2].ip);
	ck_assert(!rss_hash_frame(key, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV6, f, len, &h));
	ck_assert(!rss_hash_frame(key, NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, f, len, &h));
	/* IPv6 TCP */
	memset(f, 0, sizeof(f));
	put16(f + 12, 0x86dd);
	f[14] = 0x60;
	f[14 + 6] = 6;
	memcpy(f + 14 + 8, v6_src, 16);
	memcpy(f + 14 + 24, v6_dst, 16);
	put16(f + 54, 2794);
	put16(f + 56, 1766);
	ck_assert(rss_hash_frame(key, all, f, 74, &h));
	ck_assert_uint_eq(h, 0x40207d3d);
	ck_assert(rss_hash_frame(key, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV6, f, 74, &h));
	ck_assert_uint_eq(h, 0x2cc18cd5);
	/* Truncated headers and other protocols: no hash, no overrun. */
	for (uint32_t n = 0; n < 54; n++)
		if (rss_hash_frame(key, all, f, n, &h))
			ck_abort_msg("hashed a %u-byte IPv6 frame", n);
	put16(f + 12, 0x0806);
	ck_assert(!rss_hash_frame(key, all, f, 74, &h));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rss");
	TCase *t = tcase_create("toeplitz");

	tcase_add_test(t, test_vectors_ipv4);
	tcase_add_test(t, test_vectors_ipv6);
	tcase_add_test(t, test_frames);
	suite_add_tcase(s, t);
	return test_main(s);
}
