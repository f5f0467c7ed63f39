/* SPDX-License-Identifier: MIT */
#include "net_csum.h"
#include "iov.h"

#include <errno.h>
#include <string.h>

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Eight bytes at a time in the machine's byte order, four sums side by side: a 32-bit
 * word is its two 16-bit halves' sum modulo 0xffff (2^16 = 1 there), and the ones'
 * complement sum of byte-swapped words is the byte-swapped sum, so one swap at the end
 * gives the big-endian sum. Each step adds less than 2^33 to a sum.
 */
uint64_t net_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t s[4] = { 0, 0, 0, 0 }, ne;

	for (; len >= 32; p += 32, len -= 32) {
		uint64_t a = load64(p), b = load64(p + 8), c = load64(p + 16), d = load64(p + 24);

		s[0] += (a >> 32) + (uint32_t)a;
		s[1] += (b >> 32) + (uint32_t)b;
		s[2] += (c >> 32) + (uint32_t)c;
		s[3] += (d >> 32) + (uint32_t)d;
	}
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t a = load64(p);

		s[0] += (a >> 32) + (uint32_t)a;
	}
	ne = net_csum_fold(s[0]) + (uint64_t)net_csum_fold(s[1]) + net_csum_fold(s[2]) + net_csum_fold(s[3]);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	ne = net_csum_fold(ne);
	ne = (uint16_t)(ne << 8 | ne >> 8);
#endif
	sum += ne;
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t net_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int net_csum_complete(const struct iovec *iov, unsigned niov, size_t len, size_t start, size_t offset)
{
	size_t pos = 0;
	uint64_t sum = 0;
	uint16_t c;
	uint8_t field[2];

	if (len > iov_size(iov, niov) || start >= len || offset > len - start || len - start - offset < 2)
		return -EINVAL;
	for (unsigned i = 0; i < niov && pos < len; pos += iov[i++].iov_len) {
		size_t b = pos > start ? pos : start, e = len - pos < iov[i].iov_len ? len : pos + iov[i].iov_len;
		uint16_t part;

		if (b >= e)
			continue;
		part = net_csum_fold(net_csum_add(0, (const uint8_t *)iov[i].iov_base + (b - pos), e - b));
		/* A piece starting at an odd distance from start holds the low halves of words. */
		if ((b - start) & 1)
			part = (uint16_t)(part << 8 | part >> 8);
		sum += part;
	}
	c = (uint16_t)~net_csum_fold(sum);
	if (!c)
		c = 0xffff;
	field[0] = (uint8_t)(c >> 8);
	field[1] = (uint8_t)c;
	iov_from_buf(iov, niov, start + offset, field, sizeof(field));
	return 0;
}

void net_csum_parse(const uint8_t *f, size_t len, struct net_csum_frame *out)
{
	size_t off = 14;
	uint32_t type;

	memset(out, 0, sizeof(*out));
	if (len < 14)
		return;
	type = (uint32_t)(f[12] << 8 | f[13]);
	if (type == 0x8100) {
		if (len < 18)
			return;
		type = (uint32_t)(f[16] << 8 | f[17]);
		off = 18;
	}
	if (type == 0x0800 && len >= off + 20 && (f[off] >> 4) == 4) {
		uint32_t ihl = (uint32_t)(f[off] & 15) * 4;
		bool frag = (f[off + 6] & 0x3f) || f[off + 7];

		if (ihl < 20 || len < off + ihl)
			return;
		out->ip = 4;
		out->ip4_hdr_ok = net_csum_fold(net_csum_add(0, f + off, ihl)) == 0xffff;
		if (!frag && (f[off + 9] == NET_CSUM_TCP || f[off + 9] == NET_CSUM_UDP)) {
			out->l4 = f[off + 9];
			out->l4_off = (uint32_t)(off + ihl);
		}
	} else if (type == 0x86dd && len >= off + 40 && (f[off] >> 4) == 6) {
		out->ip = 6;
		if (f[off + 6] == NET_CSUM_TCP || f[off + 6] == NET_CSUM_UDP) {
			out->l4 = f[off + 6];
			out->l4_off = (uint32_t)(off + 40);
		}
	}
}
