/* SPDX-License-Identifier: MIT */
#include "guid.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Byte i of the text form (in hex digit pairs, dashes skipped) goes to position
 * order[i] of the wire form. */
static const unsigned char order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

int vmbus_guid_parse(const char *s, struct vmbus_guid *g)
{
	unsigned byte = 0;

	if (strlen(s) != VMBUS_GUID_STRLEN - 1)
		return -EINVAL;
	for (unsigned i = 0; i < VMBUS_GUID_STRLEN - 1;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		hi = util_hex_digit(s[i]);
		lo = util_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		g->b[order[byte++]] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void vmbus_guid_format(const struct vmbus_guid *g, char out[VMBUS_GUID_STRLEN])
{
	const unsigned char *b = g->b;

	snprintf(out, VMBUS_GUID_STRLEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

bool vmbus_guid_equal(const struct vmbus_guid *a, const struct vmbus_guid *b)
{
	return !memcmp(a, b, sizeof(*a));
}
