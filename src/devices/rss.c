/* SPDX-License-Identifier: MIT */
#include "rss.h"
#include "rndis_proto.h"

#include <string.h>

uint32_t rss_toeplitz(const uint8_t key[RSS_KEY_SIZE], const uint8_t *data, size_t len)
{
	uint64_t window = 0;
	uint32_t h = 0;

	/* The key's next 64 bits; each input bit takes the top 32 and moves on one. */
	for (unsigned i = 0; i < 8; i++)
		window = window << 8 | key[i];
	for (size_t i = 0; i < len; i++) {
		for (int b = 7; b >= 0; b--) {
			if (data[i] & (1u << b))
				h ^= (uint32_t)(window >> 32);
			window <<= 1;
		}
		if (i + 8 < RSS_KEY_SIZE)
			window |= key[i + 8];
	}
	return h;
}

bool rss_hash_frame(const uint8_t key[RSS_KEY_SIZE], uint32_t hashinfo, const uint8_t *f, size_t len,
		    uint32_t *hash)
{
	uint8_t in[36];
	size_t off = 12, n;
	uint16_t type;

	if ((hashinfo & NDIS_HASH_FUNC_MASK) != NDIS_HASH_FUNC_TOEPLITZ || len < 14)
		return false;
	type = (uint16_t)(f[off] << 8 | f[off + 1]);
	off += 2;
	if ((type == 0x8100 || type == 0x88a8) && len >= off + 4) {
		type = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	if (type == 0x0800) {
		const uint8_t *ip = f + off;
		size_t ihl;
		bool frag;

		if (len < off + 20 || (ip[0] >> 4) != 4 || (ihl = (size_t)(ip[0] & 15) * 4) < 20)
			return false;
		frag = (ip[6] & 0x3f) || ip[7];	/* more fragments, or an offset */
		memcpy(in, ip + 12, 8);
		n = 8;
		if ((hashinfo & NDIS_HASH_TCP_IPV4) && ip[9] == 6 && !frag && len >= off + ihl + 4) {
			memcpy(in + 8, ip + ihl, 4);
			n = 12;
		} else if (!(hashinfo & NDIS_HASH_IPV4)) {
			return false;
		}
	} else if (type == 0x86dd) {
		const uint8_t *ip = f + off;

		if (len < off + 40 || (ip[0] >> 4) != 6)
			return false;
		memcpy(in, ip + 8, 32);
		n = 32;
		if ((hashinfo & NDIS_HASH_TCP_IPV6) && ip[6] == 6 && len >= off + 44) {
			memcpy(in + 32, ip + 40, 4);
			n = 36;
		} else if (!(hashinfo & NDIS_HASH_IPV6)) {
			return false;
		}
	} else {
		return false;
	}
	*hash = rss_toeplitz(key, in, n);
	return true;
}
