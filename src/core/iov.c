/* SPDX-License-Identifier: MIT */
#include "iov.h"

#include <errno.h>
#include <string.h>

uint64_t iov_size(const struct iovec *iov, unsigned n)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

/* The piece holding byte off of the list, and off within it; n if the list ends first. */
static unsigned iov_seek(const struct iovec *iov, unsigned n, uint64_t *off)
{
	unsigned i = 0;

	while (i < n && *off >= iov[i].iov_len) {
		*off -= iov[i].iov_len;
		i++;
	}
	return i;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, uint64_t off, void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;

	for (unsigned i = iov_seek(iov, n, &off); i < n && done < len; i++, off = 0) {
		size_t k = iov[i].iov_len - (size_t)off;

		if (k > len - done)
			k = len - done;
		memcpy(d + done, (const uint8_t *)iov[i].iov_base + off, k);
		done += k;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, uint64_t off, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;

	for (unsigned i = iov_seek(iov, n, &off); i < n && done < len; i++, off = 0) {
		size_t k = iov[i].iov_len - (size_t)off;

		if (k > len - done)
			k = len - done;
		memcpy((uint8_t *)iov[i].iov_base + off, s + done, k);
		done += k;
	}
	return done;
}

int iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len, struct iovec *out, unsigned max)
{
	unsigned count = 0, i = iov_seek(iov, n, &off);

	if (i == n && off)
		return -ERANGE;	/* off is past the end, even for an empty slice */
	for (; i < n && len; i++, off = 0) {
		uint64_t k = iov[i].iov_len - off;

		if (k > len)
			k = len;
		if (!k)
			continue;
		if (count == max)
			return -E2BIG;
		out[count++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, (size_t)k };
		len -= k;
	}
	return len ? -ERANGE : (int)count;
}
