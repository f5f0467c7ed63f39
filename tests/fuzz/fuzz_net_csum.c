/* SPDX-License-Identifier: MIT */
/*
 * Finishing a NEEDS_CSUM checksum (src/devices/net_csum.c) with any offsets the tap's
 * header could hold, over a frame cut into pieces anywhere (each piece its own
 * allocation of exactly its size, so that the sanitizer sees any byte read past one):
 * the offsets are refused exactly when the field does not fit the frame, a refusal
 * changes nothing, and a finished checksum is the one a flat copy gives, with no other
 * byte changed. Then the header parser on the same bytes.
 */
#include "fuzz.h"
#include "net_csum.h"

#include <errno.h>

static uint16_t flat_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	size_t start = fz_u16(&in), offset = fz_u16(&in), slack = fz_u8(&in) % 5, ncuts = fz_u8(&in) % FZ_NC_MAX_CUTS;
	size_t cuts[FZ_NC_MAX_CUTS + 2], flen, len, at = 0;
	uint16_t raw[FZ_NC_MAX_CUTS];
	struct iovec iov[FZ_NC_MAX_CUTS + 1];
	struct net_csum_frame p;
	uint8_t *work;
	unsigned n = 0;
	bool fits;
	int r;

	for (size_t i = 0; i < ncuts; i++)
		raw[i] = fz_u16(&in);
	flen = in.n;
	for (size_t i = 0; i < ncuts; i++)
		cuts[i] = raw[i] % (flen + 1);
	cuts[ncuts] = 0;
	cuts[ncuts + 1] = flen;
	qsort(cuts, ncuts + 2, sizeof(cuts[0]), cmp_size);
	for (size_t i = 0; i + 1 < ncuts + 2; i++) {
		size_t k = cuts[i + 1] - cuts[i];
		uint8_t *b = malloc(k ? k : 1);

		FZ_CHECK(b, "out of memory");
		memcpy(b, in.p + cuts[i], k);
		iov[n++] = (struct iovec){ b, k };
	}
	len = slack == 4 ? flen + 1 : flen >= slack ? flen - slack : 0;
	fits = len <= flen && start < len && offset <= len - start && len - start - offset >= 2;
	r = net_csum_complete(iov, n, len, start, offset);
	FZ_CHECK(fits ? r == 0 : r == -EINVAL, "start %zu offset %zu len %zu of %zu: %d", start, offset, len, flen, r);
	work = malloc(flen ? flen : 1);
	FZ_CHECK(work, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		memcpy(work + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
		free(iov[i].iov_base);
	}
	for (size_t i = 0; i < flen; i++)
		FZ_CHECK(work[i] == in.p[i] || (r == 0 && i >= start + offset && i < start + offset + 2),
			 "byte %zu changed", i);
	if (r == 0) {
		uint16_t want = (uint16_t)~flat_sum(in.p + start, len - start), got;

		got = (uint16_t)(work[start + offset] << 8 | work[start + offset + 1]);
		FZ_CHECK(got == (want ? want : 0xffff), "checksum %#x, not %#x", got, want);
	}
	net_csum_parse(work, flen, &p);
	FZ_CHECK(p.ip == 0 || p.ip == 4 || p.ip == 6, "IP version %u", p.ip);
	FZ_CHECK(!p.l4 || (p.ip && p.l4_off <= flen && net_csum_l4_field(p.l4)), "transport header at %u of %zu",
		 p.l4_off, flen);
	free(work);
	return 0;
}
