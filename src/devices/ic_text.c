/* SPDX-License-Identifier: MIT */
/* Text the host puts into IC messages: UTF-8 from users, UTF-16LE on the wire. */
#include "ic_internal.h"

#include <string.h>

int ic_utf8_to_utf16(const char *s, uint8_t *out, unsigned max_units)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n = 0;

	while (*p) {
		uint32_t c;
		unsigned len;

		if (p[0] < 0x80) {
			c = p[0];
			len = 1;
		} else if ((p[0] & 0xe0) == 0xc0) {
			c = p[0] & 0x1f;
			len = 2;
		} else if ((p[0] & 0xf0) == 0xe0) {
			c = p[0] & 0x0f;
			len = 3;
		} else if ((p[0] & 0xf8) == 0xf0) {
			c = p[0] & 0x07;
			len = 4;
		} else {
			return -1;
		}
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return -1;
		p += len;
		if (c >= 0x10000) {
			if (n + 2 > max_units)
				return -1;
			if (out) {
				uint16_t hi = (uint16_t)(0xd800 + ((c - 0x10000) >> 10));
				uint16_t lo = (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff));

				memcpy(out + 2 * n, &hi, 2);
				memcpy(out + 2 * n + 2, &lo, 2);
			}
			n += 2;
		} else {
			uint16_t u = (uint16_t)c;

			if (n + 1 > max_units)
				return -1;
			if (out)
				memcpy(out + 2 * n, &u, 2);
			n++;
		}
	}
	return (int)n;
}
