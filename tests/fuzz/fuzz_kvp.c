/* SPDX-License-Identifier: MIT */
/*
 * The parsers of the guest's KVP answers (src/devices/ic_kvp.c): an ENUMERATE record
 * (sizes, UTF-16 text, value types) and the string form of GET_IP_INFO (UTF-16 lists
 * of addresses). Whatever the guest wrote, a parse either fails or yields
 * NUL-terminated, valid UTF-8 that fits its field.
 */
#include "fuzz.h"
#include "ic.h"

#include <errno.h>

static struct ic_kvp_result r;

/* Valid UTF-8, as the management socket's JSON needs it. */
static bool utf8_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	if (n == max)
		return false;
	while (*p) {
		unsigned len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
			       (p[0] & 0xf8) == 0xf0 ? 4 : 0;
		uint32_t c = len == 1 ? p[0] : len == 2 ? p[0] & 0x1fu : len == 3 ? p[0] & 0x0fu : p[0] & 0x07u;

		if (!len)
			return false;
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += len;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel;
	int e;

	fuzz_quiet_logs();
	if (size < 1)
		return 0;
	sel = data[0];
	memset(&r, 0x5a, sizeof(r));
	if (sel & 1) {
		e = ic_kvp_parse_ip_info(data + 1, (uint32_t)(size - 1), &r);
		FZ_CHECK(e == 0 || e == -EPROTO, "ip info: %d", e);
		if (e == 0) {
			FZ_CHECK(r.addr_family <= 3 && r.dhcp <= 1, "ip info flags");
			FZ_CHECK(utf8_ok(r.ip, sizeof(r.ip)) && utf8_ok(r.subnet, sizeof(r.subnet)) &&
					 utf8_ok(r.gateway, sizeof(r.gateway)) && utf8_ok(r.dns, sizeof(r.dns)),
				 "ip info text");
		}
	} else {
		e = ic_kvp_parse_enumerate(data + 1, (uint32_t)(size - 1), (uint8_t)((sel >> 1) % 5), &r);
		FZ_CHECK(e == 0 || e == -EPROTO, "enumerate: %d", e);
		if (e == 0)
			FZ_CHECK(utf8_ok(r.key, sizeof(r.key)) && utf8_ok(r.value, sizeof(r.value)), "record text");
	}
	return 0;
}
