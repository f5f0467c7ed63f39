/* SPDX-License-Identifier: MIT */
/*
 * The -smbios option in QEMU's syntax, "type=N,field=value,...", for types 0-3
 * and QEMU's field names. As in QEMU, ",," inside a value is a literal comma.
 */
#include "smbios.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MAX_PAIRS	16
#define MAX_KEY		32

enum kind { K_STR, K_DATE, K_RELEASE, K_BOOL, K_UUID };

struct field {
	const char *name;
	enum kind kind;
	size_t off;		/* of the struct smbios_str (K_STR, K_DATE) */
};

#define OV(m)	offsetof(struct smbios_overrides, m)

static const struct field type0[] = {
	{ "vendor", K_STR, OV(bios.vendor) },
	{ "version", K_STR, OV(bios.version) },
	{ "date", K_DATE, OV(bios.date) },
	{ "release", K_RELEASE, 0 },
	{ "uefi", K_BOOL, 0 },
	{ NULL, 0, 0 },
};

static const struct field type1[] = {
	{ "manufacturer", K_STR, OV(system.manufacturer) },
	{ "product", K_STR, OV(system.product) },
	{ "version", K_STR, OV(system.version) },
	{ "serial", K_STR, OV(system.serial) },
	{ "uuid", K_UUID, 0 },
	{ "sku", K_STR, OV(system.sku) },
	{ "family", K_STR, OV(system.family) },
	{ NULL, 0, 0 },
};

static const struct field type2[] = {
	{ "manufacturer", K_STR, OV(baseboard.manufacturer) },
	{ "product", K_STR, OV(baseboard.product) },
	{ "version", K_STR, OV(baseboard.version) },
	{ "serial", K_STR, OV(baseboard.serial) },
	{ "asset", K_STR, OV(baseboard.asset) },
	{ "location", K_STR, OV(baseboard.location) },
	{ NULL, 0, 0 },
};

static const struct field type3[] = {
	{ "manufacturer", K_STR, OV(chassis.manufacturer) },
	{ "version", K_STR, OV(chassis.version) },
	{ "serial", K_STR, OV(chassis.serial) },
	{ "asset", K_STR, OV(chassis.asset) },
	{ "sku", K_STR, OV(chassis.sku) },
	{ NULL, 0, 0 },
};

static const struct field *const fields[] = { type0, type1, type2, type3 };

struct pair {
	char key[MAX_KEY + 1];
	char val[SMBIOS_STRING_MAX + 1];
	bool has_val;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Split spec into key[=value] pairs. Keys are [a-z0-9_-]; values end at a
 * single comma. */
static int split(const char *spec, struct pair *pairs, unsigned *npairs, char *err, size_t errlen)
{
	const char *p = spec;
	unsigned n = 0;

	if (!*p)
		return fail(err, errlen, "-smbios: empty option (expected type=N,FIELD=VALUE,...)");
	for (;;) {
		struct pair *pr;
		size_t k = 0, v = 0;

		if (n == MAX_PAIRS)
			return fail(err, errlen, "-smbios: more than %u fields", MAX_PAIRS);
		pr = &pairs[n++];
		memset(pr, 0, sizeof(*pr));
		while (*p && *p != '=' && *p != ',') {
			char c = *p++;

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
				return fail(err, errlen, "-smbios: bad character %#x in a field name",
					    (unsigned char)c);
			if (k == MAX_KEY)
				return fail(err, errlen, "-smbios: field name longer than %u", MAX_KEY);
			pr->key[k++] = c;
		}
		if (!k)
			return fail(err, errlen, "-smbios: empty field name in '%.64s'", spec);
		if (*p == '=') {
			p++;
			pr->has_val = true;
			while (*p) {
				if (*p == ',') {
					if (p[1] != ',')
						break;
					p++;	/* ",," is a comma */
				}
				if (v == SMBIOS_STRING_MAX)
					return fail(err, errlen, "-smbios: %s: value longer than %u bytes",
						    pr->key, SMBIOS_STRING_MAX);
				pr->val[v++] = *p++;
			}
		}
		if (!*p)
			break;
		p++;			/* the comma */
		if (!*p)
			return fail(err, errlen, "-smbios: trailing comma in '%.64s'", spec);
	}
	*npairs = n;
	return 0;
}

static bool parse_u8(const char *s, size_t len, uint8_t *out)
{
	unsigned v = 0;

	if (!len || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 255)
		return false;
	*out = (uint8_t)v;
	return true;
}

static bool parse_date(const char *s)
{
	uint8_t m, d;

	if (strlen(s) != 10 || s[2] != '/' || s[5] != '/')
		return false;
	for (int i = 6; i < 10; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return parse_u8(s, 2, &m) && parse_u8(s + 3, 2, &d) && m >= 1 && m <= 12 && d >= 1 &&
	       d <= 31;
}

/* 8-4-4-4-12 hex digits, RFC 4122 byte order. */
static bool parse_uuid(const char *s, uint8_t out[16])
{
	unsigned o = 0;

	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return false;
			continue;
		}
		hi = util_hex_digit((unsigned char)s[i]);
		lo = util_hex_digit((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return o == 16;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true"))
		*out = true;
	else if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false"))
		*out = false;
	else
		return false;
	return true;
}

static int known_list(const struct field *t, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; t->name; t++) {
		int n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", t->name);

		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return 0;
}

static int apply(const struct field *fd, unsigned type, const struct pair *pr,
		 struct smbios_overrides *ov, char *err, size_t errlen)
{
	const char *why;

	switch (fd->kind) {
	case K_DATE:
		if (*pr->val && !parse_date(pr->val))
			return fail(err, errlen, "-smbios type=%u,date=%s: expected mm/dd/yyyy", type,
				    pr->val);
		/* fall through */
	case K_STR: {
		struct smbios_str *st = (struct smbios_str *)((char *)ov + fd->off);

		why = smbios_string_check(pr->val);
		if (why)
			return fail(err, errlen, "-smbios type=%u,%s: %s", type, pr->key, why);
		st->set = true;
		snprintf(st->s, sizeof(st->s), "%s", pr->val);
		return 0;
	}
	case K_RELEASE: {
		const char *dot = strchr(pr->val, '.');

		if (!dot || !parse_u8(pr->val, (size_t)(dot - pr->val), &ov->bios.release_major) ||
		    !parse_u8(dot + 1, strlen(dot + 1), &ov->bios.release_minor))
			return fail(err, errlen,
				    "-smbios type=0,release=%s: expected MAJOR.MINOR, each 0-255",
				    pr->val);
		ov->bios.release_set = true;
		return 0;
	}
	case K_BOOL:
		if (!parse_bool(pr->val, &ov->bios.uefi))
			return fail(err, errlen, "-smbios type=0,uefi=%s: expected on or off", pr->val);
		ov->bios.uefi_set = true;
		return 0;
	case K_UUID:
		if (!parse_uuid(pr->val, ov->system.uuid))
			return fail(err, errlen,
				    "-smbios type=1,uuid=%s: expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
				    pr->val);
		ov->system.uuid_set = true;
		return 0;
	}
	return fail(err, errlen, "-smbios: internal error");
}

int smbios_parse_option(const char *spec, struct smbios_overrides *ov, char *err, size_t errlen)
{
	struct pair pairs[MAX_PAIRS];
	struct smbios_overrides tmp;
	const struct field *tbl;
	unsigned npairs = 0, type = 0;
	int type_at = -1;
	char known[128];
	int rc;

	if (!spec || !ov)
		return fail(err, errlen, "-smbios: no option");
	rc = split(spec, pairs, &npairs, err, errlen);
	if (rc)
		return rc;
	for (unsigned i = 0; i < npairs; i++) {
		uint8_t t;

		if (!strcmp(pairs[i].key, "file"))
			return fail(err, errlen,
				    "-smbios file=: binary SMBIOS tables are not supported; use type=N,FIELD=VALUE");
		if (strcmp(pairs[i].key, "type"))
			continue;
		if (type_at >= 0)
			return fail(err, errlen, "-smbios: type= given twice");
		if (!pairs[i].has_val || !parse_u8(pairs[i].val, strlen(pairs[i].val), &t))
			return fail(err, errlen, "-smbios type=%s: expected a number", pairs[i].val);
		if (t > 3)
			return fail(err, errlen,
				    "-smbios type=%u: not supported (supported types: 0, 1, 2, 3)", t);
		type = t;
		type_at = (int)i;
	}
	if (type_at < 0)
		return fail(err, errlen, "-smbios: type= is missing (type=0, 1, 2 or 3)");

	tbl = fields[type];
	known_list(tbl, known, sizeof(known));
	tmp = *ov;
	for (unsigned i = 0; i < npairs; i++) {
		const struct field *fd;

		if ((int)i == type_at)
			continue;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(pairs[j].key, pairs[i].key))
				return fail(err, errlen, "-smbios type=%u: %s given twice", type,
					    pairs[i].key);
		for (fd = tbl; fd->name && strcmp(fd->name, pairs[i].key); fd++)
			;
		if (!fd->name)
			return fail(err, errlen, "-smbios type=%u: unknown field '%s' (known: %s)", type,
				    pairs[i].key, known);
		if (!pairs[i].has_val)
			return fail(err, errlen, "-smbios type=%u,%s: expected %s=VALUE", type,
				    pairs[i].key, pairs[i].key);
		rc = apply(fd, type, &pairs[i], &tmp, err, errlen);
		if (rc)
			return rc;
	}
	*ov = tmp;
	return 0;
}
