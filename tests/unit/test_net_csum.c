/* SPDX-License-Identifier: MIT */
/*
 * Receive checksums: the sum against a plain 16-bit reference at every length and
 * alignment, finishing a NEEDS_CSUM checksum over a frame cut into iovecs at every
 * place (odd cuts, one-byte and empty pieces), offsets that do not fit refused with
 * nothing touched, and where frames' IP and transport headers are.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_csum.h"
#include "testutil.h"

static uint64_t ref_sum(uint64_t s, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

START_TEST(test_sum_matches_reference)
{
	static uint8_t buf[4096 + 16];

	fill(buf, sizeof(buf), 1);
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len <= 300; len++)
			ck_assert_uint_eq(net_csum_fold(net_csum_add(0, buf + align, len)),
					  ref_fold(ref_sum(0, buf + align, len)));
	ck_assert_uint_eq(net_csum_fold(net_csum_add(7, buf + 3, 4096)), ref_fold(ref_sum(7, buf + 3, 4096)));
	/* All ones: a sum of 0xffff words stays 0xffff (never folds to 0). */
	memset(buf, 0xff, 64);
	ck_assert_uint_eq(net_csum_fold(net_csum_add(0, buf, 64)), 0xffff);
	memset(buf, 0, 64);
	ck_assert_uint_eq(net_csum_fold(net_csum_add(0, buf, 64)), 0);
	/* A 64 KiB frame of 0xff bytes: the unfolded sum does not overflow. */
	{
		uint8_t *big = malloc(65536 + 18);

		ck_assert_ptr_nonnull(big);
		memset(big, 0xff, 65536 + 18);
		ck_assert_uint_eq(net_csum_fold(net_csum_add(0, big, 65536 + 18)), 0xffff);
		free(big);
	}
}
END_TEST

/* The frame's checksum as the kernel would finish it, on one flat copy. */
static uint16_t ref_complete(const uint8_t *f, size_t len, size_t start)
{
	uint16_t c = (uint16_t)~ref_fold(ref_sum(0, f + start, len - start));

	return c ? c : 0xffff;
}

START_TEST(test_complete_split_everywhere)
{
	enum { LEN = 97 };
	uint8_t f[LEN], work[LEN];
	struct iovec iov[4];

	fill(f, LEN, 7);
	for (size_t start = 14; start < 60; start += 3) {
		size_t offset = (start % 2) ? 7 : 16;
		uint16_t want = ref_complete(f, LEN, start);

		/* Cut into three pieces at every pair of places, plus an empty one. */
		for (size_t a = 0; a <= LEN; a++) {
			for (size_t b = a; b <= LEN; b += 5) {
				memcpy(work, f, LEN);
				iov[0] = (struct iovec){ work, a };
				iov[1] = (struct iovec){ work + a, 0 };
				iov[2] = (struct iovec){ work + a, b - a };
				iov[3] = (struct iovec){ work + b, LEN - b };
				ck_assert_int_eq(net_csum_complete(iov, 4, LEN, start, offset), 0);
				ck_assert_uint_eq(get16(work + start + offset), want);
				/* Nothing else changed. */
				ck_assert_mem_eq(work, f, start + offset);
				ck_assert_mem_eq(work + start + offset + 2, f + start + offset + 2, LEN - start - offset - 2);
			}
		}
	}
}
END_TEST

START_TEST(test_complete_one_byte_pieces)
{
	enum { LEN = 61 };
	uint8_t f[LEN], work[LEN];
	struct iovec iov[LEN];

	fill(f, LEN, 99);
	put16(f + 47, 0);	/* a seed of 0: the finished range then sums to all ones */
	memcpy(work, f, LEN);
	for (unsigned i = 0; i < LEN; i++)
		iov[i] = (struct iovec){ work + i, 1 };
	ck_assert_int_eq(net_csum_complete(iov, LEN, LEN, 15, 32), 0);
	ck_assert_uint_eq(get16(work + 47), ref_complete(f, LEN, 15));
	ck_assert_uint_eq(ref_fold(ref_sum(0, work + 15, LEN - 15)), 0xffff);
	/* Frame data past len in the last piece is not summed. */
	memcpy(work, f, LEN);
	iov[0] = (struct iovec){ work, LEN };
	ck_assert_int_eq(net_csum_complete(iov, 1, LEN - 10, 15, 6), 0);
	ck_assert_uint_eq(get16(work + 21), ref_complete(f, LEN - 10, 15));
}
END_TEST

/* A sum of 0 is stored as 0xffff (UDP's "no checksum" is 0). */
START_TEST(test_complete_zero_becomes_ffff)
{
	uint8_t f[40] = { 0 };
	struct iovec iov = { f, sizeof(f) };

	/* Bytes from 14: 0x1234, 0xedcb (sum 0xffff), the field 0: ~0xffff = 0. */
	put16(f + 14, 0x1234);
	put16(f + 16, 0xedcb);
	ck_assert_int_eq(net_csum_complete(&iov, 1, sizeof(f), 14, 6), 0);
	ck_assert_uint_eq(get16(f + 20), 0xffff);
	ck_assert_uint_eq(ref_fold(ref_sum(0, f + 14, sizeof(f) - 14)), 0xffff);
}
END_TEST

/* Offsets that do not fit: refused, no byte written, none read past the pieces (the
 * pieces are separate allocations of exactly their size, for the sanitizers). */
START_TEST(test_complete_bad_offsets)
{
	enum { LEN = 60 };
	static const struct { size_t len, start, offset; } bad[] = {
		{ LEN, LEN, 0 },		/* start at the end */
		{ LEN, LEN + 100, 0 },
		{ LEN, 0xffff, 0xffff },
		{ LEN, LEN - 1, 0 },		/* the field's second byte past the end */
		{ LEN, LEN - 2, 1 },
		{ LEN, 14, LEN - 15 },
		{ LEN, 14, 0xffff },
		{ LEN, 14, (size_t)-1 },
		{ (size_t)-1, 14, 6 },		/* the frame longer than the pieces */
		{ LEN + 1, 14, 6 },
		{ 0, 0, 0 },
	};
	uint8_t *a = malloc(25), *b = malloc(LEN - 25), ca[25], cb[LEN - 25];
	struct iovec iov[2] = { { a, 25 }, { b, LEN - 25 } };

	ck_assert(a && b);
	fill(a, 25, 3);
	fill(b, LEN - 25, 4);
	memcpy(ca, a, 25);
	memcpy(cb, b, LEN - 25);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(net_csum_complete(iov, 2, bad[i].len, bad[i].start, bad[i].offset), -EINVAL);
		ck_assert_mem_eq(a, ca, 25);
		ck_assert_mem_eq(b, cb, LEN - 25);
	}
	/* Pieces whose lengths add up past SIZE_MAX. */
	{
		struct iovec huge[2] = { { a, (size_t)-1 }, { b, 2 } };

		ck_assert_int_eq(net_csum_complete(huge, 2, 30, 14, 6), -EINVAL);
	}
	/* The last place the field fits works. */
	ck_assert_int_eq(net_csum_complete(iov, 2, LEN, LEN - 2, 0), 0);
	ck_assert_int_eq(net_csum_complete(iov, 2, LEN, 14, LEN - 16), 0);
	free(a);
	free(b);
}
END_TEST

/* Ethernet + IPv4 (ihl words) + proto header; the IPv4 header checksum right. */
static size_t mk4(uint8_t *f, unsigned ihl, uint8_t proto, bool vlan)
{
	size_t off = vlan ? 18 : 14;

	memset(f, 0, 128);
	put16(f + 12, vlan ? 0x8100 : 0x0800);
	if (vlan)
		put16(f + 16, 0x0800);
	f[off] = (uint8_t)(0x40 | ihl);
	put16(f + off + 2, ihl * 4 + 20);
	f[off + 8] = 64;
	f[off + 9] = proto;
	put16(f + off + 12, 0x0a00);
	put16(f + off + 14, 0x0001);
	put16(f + off + 16, 0x0a00);
	put16(f + off + 18, 0x0002);
	put16(f + off + 10, (uint16_t)~ref_fold(ref_sum(0, f + off, ihl * 4)));
	return off + ihl * 4 + 20;
}

START_TEST(test_parse)
{
	uint8_t f[128];
	struct net_csum_frame p;
	size_t len;

	len = mk4(f, 5, NET_CSUM_UDP, false);
	net_csum_parse(f, len, &p);
	ck_assert_uint_eq(p.ip, 4);
	ck_assert(p.ip4_hdr_ok);
	ck_assert_uint_eq(p.l4, NET_CSUM_UDP);
	ck_assert_uint_eq(p.l4_off, 34);
	ck_assert_uint_eq(net_csum_l4_field(p.l4), 6);
	/* Options and a VLAN tag move the transport header. */
	len = mk4(f, 7, NET_CSUM_TCP, true);
	net_csum_parse(f, len, &p);
	ck_assert_uint_eq(p.ip, 4);
	ck_assert(p.ip4_hdr_ok);
	ck_assert_uint_eq(p.l4, NET_CSUM_TCP);
	ck_assert_uint_eq(p.l4_off, 18 + 28);
	ck_assert_uint_eq(net_csum_l4_field(p.l4), 16);
	/* A wrong header checksum. */
	f[18 + 10] ^= 1;
	net_csum_parse(f, len, &p);
	ck_assert(!p.ip4_hdr_ok);
	/* A fragment: no transport header to vouch for. */
	len = mk4(f, 5, NET_CSUM_UDP, false);
	f[14 + 7] = 1;
	net_csum_parse(f, len, &p);
	ck_assert_uint_eq(p.ip, 4);
	ck_assert_uint_eq(p.l4, 0);
	len = mk4(f, 5, NET_CSUM_UDP, false);
	f[14 + 6] = 0x20;	/* more fragments */
	net_csum_parse(f, len, &p);
	ck_assert_uint_eq(p.l4, 0);
	/* Other protocols; an IHL under 5 or past the bytes given. */
	len = mk4(f, 5, 1, false);
	net_csum_parse(f, len, &p);
	ck_assert_uint_eq(p.ip, 4);
	ck_assert_uint_eq(p.l4, 0);
	ck_assert_uint_eq(net_csum_l4_field(1), 0);
	mk4(f, 5, NET_CSUM_UDP, false);
	f[14] = 0x44;
	net_csum_parse(f, 60, &p);
	ck_assert_uint_eq(p.ip, 0);
	mk4(f, 15, NET_CSUM_UDP, false);
	net_csum_parse(f, 14 + 59, &p);
	ck_assert_uint_eq(p.ip, 0);
	/* IPv6: TCP or UDP directly; an extension header first says nothing. */
	memset(f, 0, sizeof(f));
	put16(f + 12, 0x86dd);
	f[14] = 0x60;
	f[14 + 6] = NET_CSUM_TCP;
	net_csum_parse(f, 14 + 40 + 20, &p);
	ck_assert_uint_eq(p.ip, 6);
	ck_assert_uint_eq(p.l4, NET_CSUM_TCP);
	ck_assert_uint_eq(p.l4_off, 54);
	f[14 + 6] = 0;	/* hop-by-hop options */
	net_csum_parse(f, 14 + 40 + 20, &p);
	ck_assert_uint_eq(p.ip, 6);
	ck_assert_uint_eq(p.l4, 0);
	f[14 + 6] = NET_CSUM_UDP;
	net_csum_parse(f, 14 + 39, &p);
	ck_assert_uint_eq(p.ip, 0);
	f[14] = 0x40;	/* says IPv4 in an IPv6 type */
	net_csum_parse(f, 14 + 48, &p);
	ck_assert_uint_eq(p.ip, 0);
	/* Runts and other types. */
	net_csum_parse(f, 13, &p);
	ck_assert_uint_eq(p.ip, 0);
	put16(f + 12, 0x8100);
	net_csum_parse(f, 17, &p);
	ck_assert_uint_eq(p.ip, 0);
	put16(f + 12, 0x0806);
	net_csum_parse(f, 60, &p);
	ck_assert_uint_eq(p.ip, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_csum");
	TCase *t = tcase_create("csum");

	tcase_add_test(t, test_sum_matches_reference);
	tcase_add_test(t, test_complete_split_everywhere);
	tcase_add_test(t, test_complete_one_byte_pieces);
	tcase_add_test(t, test_complete_zero_becomes_ffff);
	tcase_add_test(t, test_complete_bad_offsets);
	tcase_add_test(t, test_parse);
	suite_add_tcase(s, t);
	return test_main(s);
}
