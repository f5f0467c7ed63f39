/* SPDX-License-Identifier: MIT */
/* Byte-exact checks of the AML encoder against the encodings in the ACPI spec. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "aml.h"
#include "log.h"
#include "testutil.h"

static void check_bytes(const struct aml *a, size_t off, const uint8_t *exp, size_t n,
			const char *file, int line)
{
	char got[256] = "", want[256] = "";

	if (a->len >= off + n && !memcmp(a->buf + off, exp, n) && a->len == off + n)
		return;
	for (size_t i = 0; i < n && i < 40; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%02x ", exp[i]);
	for (size_t i = off; i < a->len && i < off + 40; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%02x ", a->buf[i]);
	ck_abort_msg("%s:%d: bytes at %zu (len %zu, want %zu):\n want %s\n got  %s", file,
		     line, off, a->len - off, n, want, got);
}

/* The whole buffer (from off) must be exactly these bytes. */
#define EXPECT_AT(a, off, ...)							\
	check_bytes((a), (off), (const uint8_t[]){ __VA_ARGS__ },		\
		    sizeof((const uint8_t[]){ __VA_ARGS__ }), __FILE__, __LINE__)
#define EXPECT(a, ...) EXPECT_AT(a, 0, __VA_ARGS__)

static struct aml a;

static void setup(void)
{
	aml_init(&a);
}

static void teardown(void)
{
	aml_free(&a);
}

static void expect_int(uint64_t v, const uint8_t *exp, size_t n)
{
	struct aml t;

	aml_init(&t);
	ck_assert_int_eq(aml_int(&t, v), 0);
	ck_assert_int_eq(aml_finish(&t), 0);
	check_bytes(&t, 0, exp, n, __FILE__, __LINE__);
	aml_free(&t);
}

#define EXPECT_INT(v, ...)							\
	expect_int((v), (const uint8_t[]){ __VA_ARGS__ },			\
		   sizeof((const uint8_t[]){ __VA_ARGS__ }))

START_TEST(test_integers)
{
	EXPECT_INT(0, 0x00);
	EXPECT_INT(1, 0x01);
	EXPECT_INT(2, 0x0a, 0x02);
	EXPECT_INT(0xff, 0x0a, 0xff);
	EXPECT_INT(0x100, 0x0b, 0x00, 0x01);
	EXPECT_INT(0xffff, 0x0b, 0xff, 0xff);
	EXPECT_INT(0x10000, 0x0c, 0x00, 0x00, 0x01, 0x00);
	EXPECT_INT(0xffffffff, 0x0c, 0xff, 0xff, 0xff, 0xff);
	EXPECT_INT(0x100000000ull, 0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
	EXPECT_INT(0x0123456789abcdefull, 0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01);
	EXPECT_INT(UINT64_MAX - 1, 0x0e, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	EXPECT_INT(UINT64_MAX, 0xff);
}
END_TEST

static void expect_pkglen(size_t body, int n, const uint8_t *exp)
{
	uint8_t out[4];

	ck_assert_int_eq(aml_encode_pkglen(body, out), n);
	ck_assert_msg(!memcmp(out, exp, (size_t)n), "pkglen for body %zu", body);
}

#define EXPECT_PKGLEN(body, ...)						\
	expect_pkglen((body), (int)sizeof((const uint8_t[]){ __VA_ARGS__ }),	\
		      (const uint8_t[]){ __VA_ARGS__ })

START_TEST(test_pkglen_encoding)
{
	uint8_t out[4];

	/* The value counts the PkgLength bytes themselves. */
	EXPECT_PKGLEN(0, 0x01);
	EXPECT_PKGLEN(62, 0x3f);
	EXPECT_PKGLEN(63, 0x41, 0x04);		/* 65 */
	EXPECT_PKGLEN(4093, 0x4f, 0xff);	/* 0xfff */
	EXPECT_PKGLEN(4094, 0x81, 0x00, 0x01);	/* 0x1001 */
	EXPECT_PKGLEN(0xfffff - 3, 0x8f, 0xff, 0xff);
	EXPECT_PKGLEN(0xfffff - 2, 0xc1, 0x00, 0x00, 0x01);	/* 0x100001 */
	EXPECT_PKGLEN(0xfffffff - 4, 0xcf, 0xff, 0xff, 0xff);
	ck_assert_int_eq(aml_encode_pkglen(0xfffffff - 3, out), -E2BIG);
	ck_assert_int_eq(aml_encode_pkglen(SIZE_MAX, out), -E2BIG);
}
END_TEST

/*
 * Scope (ABCD) { Name (STR_, "xxx...") } has a body (after the PkgLength) of
 * 4 (name) + 1 (NameOp) + 4 + 1 (StringPrefix) + len + 1 (NUL) = len + 11.
 */
static void check_scope_body(size_t body, const uint8_t *pkglen, size_t n)
{
	size_t slen = body - 11;
	char *s = malloc(slen + 1);
	struct aml t;

	ck_assert_ptr_nonnull(s);
	memset(s, 'x', slen);
	s[slen] = 0;
	aml_init(&t);
	aml_scope_begin(&t, "ABCD");
	aml_name_string(&t, "STR", s);
	ck_assert_int_eq(aml_end(&t), 0);
	ck_assert_int_eq(aml_finish(&t), 0);
	ck_assert_uint_eq(t.len, 1 + n + body);
	ck_assert_uint_eq(t.buf[0], 0x10);
	ck_assert_msg(!memcmp(t.buf + 1, pkglen, n), "PkgLength of a %zu byte body", body);
	ck_assert(!memcmp(t.buf + 1 + n, "ABCD\x08STR_\x0dxxx", 13));
	ck_assert_uint_eq(t.buf[t.len - 1], 0);
	aml_free(&t);
	free(s);
}

#define CHECK_SCOPE_BODY(body, ...)						\
	check_scope_body((body), (const uint8_t[]){ __VA_ARGS__ },		\
			 sizeof((const uint8_t[]){ __VA_ARGS__ }))

START_TEST(test_pkglen_in_objects)
{
	CHECK_SCOPE_BODY(62, 0x3f);
	CHECK_SCOPE_BODY(63, 0x41, 0x04);
	CHECK_SCOPE_BODY(4093, 0x4f, 0xff);
	CHECK_SCOPE_BODY(4094, 0x81, 0x00, 0x01);
	CHECK_SCOPE_BODY(0xfffff - 3, 0x8f, 0xff, 0xff);
	CHECK_SCOPE_BODY(0xfffff - 2, 0xc1, 0x00, 0x00, 0x01);
}
END_TEST

START_TEST(test_pkglen_nested)
{
	/* An inner object growing past 63 bytes must shift the outer body too. */
	static uint8_t data[100];

	aml_scope_begin(&a, "\\");
	aml_device_begin(&a, "DEV0");
	aml_name(&a, "BUF0");
	aml_buffer(&a, data, sizeof(data));
	aml_end(&a);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	/* Buffer: 0A 64 + 100 bytes = 102, PkgLength 2 bytes: 104 = 0x68 -> 48 06.
	 * Name: 1 + 4 + 1 + 2 + 102 = 110. Device body: 4 + 110 = 114 -> 116 = 0x74.
	 * Scope body: 2 (\ NullName) + 2 + 2 + 114 = 120 -> 122 = 0x7a. */
	ck_assert_uint_eq(a.len, 1 + 2 + 120);
	ck_assert(!memcmp(a.buf, "\x10\x4a\x07\x5c\x00\x5b\x82\x44\x07" "DEV0"
			  "\x08" "BUF0" "\x11\x48\x06\x0a\x64", 23));
}
END_TEST

static void expect_path(const char *path, const uint8_t *exp, size_t n)
{
	struct aml t;

	aml_init(&t);
	ck_assert_int_eq(aml_namestring(&t, path), 0);
	check_bytes(&t, 0, exp, n, __FILE__, __LINE__);
	aml_free(&t);
}

#define EXPECT_PATH(path, ...)							\
	expect_path((path), (const uint8_t[]){ __VA_ARGS__ },			\
		    sizeof((const uint8_t[]){ __VA_ARGS__ }))

START_TEST(test_name_paths)
{
	EXPECT_PATH("ABCD", 'A', 'B', 'C', 'D');
	EXPECT_PATH("_S5", '_', 'S', '5', '_');
	EXPECT_PATH("A", 'A', '_', '_', '_');
	EXPECT_PATH("\\", 0x5c, 0x00);
	EXPECT_PATH("^", 0x5e, 0x00);
	EXPECT_PATH("\\_SB", 0x5c, '_', 'S', 'B', '_');
	EXPECT_PATH("\\_SB.COM1", 0x5c, 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1');
	EXPECT_PATH("_SB.PCI0", 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	EXPECT_PATH("^^FOO", 0x5e, 0x5e, 'F', 'O', 'O', '_');
	EXPECT_PATH("^A.B", 0x5e, 0x2e, 'A', '_', '_', '_', 'B', '_', '_', '_');
	EXPECT_PATH("\\A.B.C9", 0x5c, 0x2f, 0x03, 'A', '_', '_', '_', 'B', '_', '_', '_',
		    'C', '9', '_', '_');
}
END_TEST

START_TEST(test_name_path_errors)
{
	static const char *const bad[] = {
		"", "abcd", "ABCDE", "1ABC", "A..B", "A.", ".A", "\\\\A", "\\^A", "A^B",
		"A B", "A-B", "^\\A", "\\.", "AB.CDEFG",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml t;

		aml_init(&t);
		ck_assert_msg(aml_namestring(&t, bad[i]) == -EINVAL, "path \"%s\"", bad[i]);
		ck_assert_int_eq(aml_finish(&t), -EINVAL);
		aml_free(&t);
	}
	ck_assert_int_eq(aml_namestring(&a, NULL), -EINVAL);
	aml_free(&a);
	ck_assert_int_eq(aml_device_begin(&a, "dev"), -EINVAL);
	aml_free(&a);
	ck_assert_int_eq(aml_name_int(&a, "TOOLONG", 1), -EINVAL);
}
END_TEST

START_TEST(test_eisaid)
{
	aml_eisaid(&a, "PNP0501");
	aml_eisaid(&a, "PNP0B00");
	aml_eisaid(&a, "PNP0A03");
	aml_eisaid(&a, "ACP0000");
	ck_assert_int_eq(aml_finish(&a), 0);
	EXPECT(&a, 0x0c, 0x41, 0xd0, 0x05, 0x01,
	       0x0c, 0x41, 0xd0, 0x0b, 0x00,
	       0x0c, 0x41, 0xd0, 0x0a, 0x03,
	       0x0c, 0x04, 0x70, 0x00, 0x00);
}
END_TEST

START_TEST(test_eisaid_errors)
{
	static const char *const bad[] = {
		"pnp0501", "PNP050", "PNP05011", "PNP05G1", "P1P0501", "PNP0b00", "",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml t;

		aml_init(&t);
		ck_assert_msg(aml_eisaid(&t, bad[i]) == -EINVAL, "EISA id \"%s\"", bad[i]);
		aml_free(&t);
	}
	ck_assert_int_eq(aml_eisaid(&a, NULL), -EINVAL);
}
END_TEST

START_TEST(test_strings_buffers)
{
	static const uint8_t data[] = { 1, 2, 3 };

	aml_string(&a, "VMBUS");
	aml_string(&a, "");
	aml_buffer(&a, data, sizeof(data));
	aml_buffer(&a, NULL, 0);
	ck_assert_int_eq(aml_finish(&a), 0);
	EXPECT(&a, 0x0d, 'V', 'M', 'B', 'U', 'S', 0x00,
	       0x0d, 0x00,
	       0x11, 0x06, 0x0a, 0x03, 1, 2, 3,
	       0x11, 0x02, 0x00);
}
END_TEST

START_TEST(test_string_errors)
{
	ck_assert_int_eq(aml_string(&a, "caf\xc3\xa9"), -EINVAL);
	aml_free(&a);
	ck_assert_int_eq(aml_string(&a, NULL), -EINVAL);
	aml_free(&a);
	ck_assert_int_eq(aml_buffer(&a, NULL, 3), -EINVAL);
}
END_TEST

START_TEST(test_named_objects)
{
	aml_device_begin(&a, "VMBS");
	aml_name_int(&a, "_UID", 0);
	aml_method_begin(&a, "_STA", 0, false);
	aml_return(&a);
	aml_int(&a, 0x0f);
	aml_end(&a);
	aml_method_begin(&a, "_PS0", 0, false);
	aml_end(&a);
	aml_method_begin(&a, "\\M2", 2, true);
	aml_end(&a);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	/* Device body: 4 + 6 (Name) + 10 (_STA) + 7 (_PS0) + 8 (\M2) = 35 -> 0x24 */
	EXPECT(&a, 0x5b, 0x82, 0x24, 'V', 'M', 'B', 'S',
	       0x08, '_', 'U', 'I', 'D', 0x00,
	       0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f,
	       0x14, 0x06, '_', 'P', 'S', '0', 0x00,
	       0x14, 0x07, 0x5c, 'M', '2', '_', '_', 0x0a);
}
END_TEST

START_TEST(test_packages)
{
	aml_name(&a, "\\_S5");
	aml_package_begin(&a);
	aml_int(&a, 5);
	aml_int(&a, 0);
	aml_package_begin(&a);
	aml_end(&a);
	aml_string(&a, "A");
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	/* Outer body: count + 2 + 1 + 3 (empty package: 12 02 00) + 3 = 10 -> 0x0b */
	EXPECT(&a, 0x08, 0x5c, '_', 'S', '5', '_',
	       0x12, 0x0b, 0x04, 0x0a, 0x05, 0x00, 0x12, 0x02, 0x00, 0x0d, 'A', 0x00);
}
END_TEST

START_TEST(test_package_limits)
{
	aml_package_begin(&a);
	for (int i = 0; i < 255; i++)
		aml_int(&a, 0);
	ck_assert_int_eq(aml_end(&a), 0);
	/* 255 ZeroOps + count = 256 -> 2-byte PkgLength 258 = 0x102 -> 42 10 */
	ck_assert_uint_eq(a.len, 1 + 2 + 256);
	ck_assert(!memcmp(a.buf, "\x12\x42\x10\xff\x00", 5));
	aml_free(&a);

	aml_package_begin(&a);
	for (int i = 0; i < 256; i++)
		aml_int(&a, 0);
	ck_assert_int_eq(aml_end(&a), -E2BIG);
	ck_assert_int_eq(aml_finish(&a), -E2BIG);
}
END_TEST

/* Sum of a resource template's bytes from the first descriptor to the end tag. */
static uint8_t template_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

START_TEST(test_end_tag)
{
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_end(&a), 0);
	/* Empty: just the end tag, 79 and a checksum making 0x79 + chk = 0 */
	EXPECT(&a, 0x11, 0x05, 0x0a, 0x02, 0x79, 0x87);
	aml_free(&a);

	aml_resource_template_begin(&a);
	aml_irq_noflags(&a, 1u << 4);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	EXPECT(&a, 0x11, 0x08, 0x0a, 0x05, 0x22, 0x10, 0x00, 0x79, 0x55);
}
END_TEST

START_TEST(test_io_irq)
{
	aml_resource_template_begin(&a);
	aml_io(&a, 0x3f8, 0x3f8, 1, 8);
	aml_irq_noflags(&a, 1u << 4);
	aml_irq(&a, 1u << 9, 0);
	aml_irq(&a, 1u << 5, AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED | AML_IRQ_WAKE);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	EXPECT_AT(&a, 4, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
		  0x22, 0x10, 0x00,
		  0x23, 0x00, 0x02, 0x00,
		  0x23, 0x20, 0x00, 0x39,
		  0x79, a.buf[a.len - 1]);
	ck_assert(!memcmp(a.buf, "\x11\x18\x0a\x15", 4));
	ck_assert_uint_eq(template_sum(a.buf + 4, 21), 0);
}
END_TEST

START_TEST(test_extended_interrupt)
{
	static const uint32_t one[] = { 5 }, two[] = { 16, 0x12345678 };

	aml_resource_template_begin(&a);
	aml_interrupt(&a, 0, one, 1);
	aml_interrupt(&a, AML_IRQ_PRODUCER | AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW |
		      AML_IRQ_SHARED | AML_IRQ_WAKE, two, 2);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	ck_assert(!memcmp(a.buf, "\x11\x1b\x0a\x18", 4));
	EXPECT_AT(&a, 4, 0x89, 0x06, 0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00,
		  0x89, 0x0a, 0x00, 0x1e, 0x02, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12,
		  0x79, a.buf[a.len - 1]);
	ck_assert_uint_eq(template_sum(a.buf + 4, a.len - 4), 0);
}
END_TEST

START_TEST(test_dword_memory)
{
	struct aml_mem_range r = {
		.min_fixed = true, .max_fixed = true, .cache = AML_MEM_CACHEABLE,
		.min = 0xf8000000, .max = 0xfbffffff, .length = 0x04000000,
	};

	aml_resource_template_begin(&a);
	aml_dword_memory(&a, &r);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	EXPECT_AT(&a, 4, 0x87, 0x17, 0x00, 0x00, 0x0d, 0x03,
		  0x00, 0x00, 0x00, 0x00,
		  0x00, 0x00, 0x00, 0xf8,
		  0xff, 0xff, 0xff, 0xfb,
		  0x00, 0x00, 0x00, 0x00,
		  0x00, 0x00, 0x00, 0x04,
		  0x79, a.buf[a.len - 1]);
	ck_assert_uint_eq(template_sum(a.buf + 4, a.len - 4), 0);
}
END_TEST

START_TEST(test_qword_memory)
{
	struct aml_mem_range r = {
		.producer = true, .sub_decode = true, .cache = AML_MEM_PREFETCHABLE,
		.read_only = true, .mem_type = 2, .granularity = 0xfff,
		.min = 0x1000000000ull, .max = 0x10ffffffffull, .length = 0x100000000ull,
		.translation = 0x0102030405060708ull,
	};

	aml_resource_template_begin(&a);
	aml_qword_memory(&a, &r);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), 0);
	/* gen: producer 0, SubDecode 2; type: RO 0, prefetch 3 << 1, ACPI 2 << 3 */
	EXPECT_AT(&a, 4, 0x8a, 0x2b, 0x00, 0x00, 0x02, 0x16,
		  0xff, 0x0f, 0, 0, 0, 0, 0, 0,
		  0, 0, 0, 0, 0x10, 0, 0, 0,
		  0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0,
		  0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		  0, 0, 0, 0, 0x01, 0, 0, 0,
		  0x79, a.buf[a.len - 1]);
	ck_assert(!memcmp(a.buf, "\x11\x33\x0a\x30", 4));
	ck_assert_uint_eq(template_sum(a.buf + 4, a.len - 4), 0);
}
END_TEST

START_TEST(test_memory_errors)
{
	struct aml_mem_range big = { .min = 0x100000000ull, .max = 0x1ffffffffull,
				     .length = 0x100000000ull };
	struct aml_mem_range bad_len = { .min_fixed = true, .max_fixed = true,
					 .min = 0x1000, .max = 0x1fff, .length = 0x800 };
	struct aml_mem_range inverted = { .min = 0x2000, .max = 0x1fff, .length = 1 };

	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_dword_memory(&a, &big), -ERANGE);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_qword_memory(&a, &bad_len), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_qword_memory(&a, &inverted), -EINVAL);
	aml_free(&a);
	/* QWord takes the range DWord refused. */
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_qword_memory(&a, &big), 0);
	ck_assert_int_eq(aml_end(&a), 0);
}
END_TEST

START_TEST(test_resource_errors)
{
	static const uint32_t irq = 5;

	/* Descriptors only inside a template ... */
	ck_assert_int_eq(aml_io(&a, 0x70, 0x70, 1, 2), -EINVAL);
	aml_free(&a);
	aml_package_begin(&a);
	ck_assert_int_eq(aml_irq_noflags(&a, 1), -EINVAL);
	aml_free(&a);
	/* ... and only descriptors there. */
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_int(&a, 1), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_device_begin(&a, "DEV0"), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_io(&a, 0x71, 0x70, 1, 2), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_irq(&a, 1, AML_IRQ_PRODUCER), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_interrupt(&a, 0, &irq, 0), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_interrupt(&a, 0, NULL, 1), -EINVAL);
	aml_free(&a);
	aml_resource_template_begin(&a);
	ck_assert_int_eq(aml_interrupt(&a, 1u << 7, &irq, 1), -EINVAL);
}
END_TEST

START_TEST(test_structure_errors)
{
	ck_assert_int_eq(aml_end(&a), -EINVAL);
	aml_free(&a);

	aml_scope_begin(&a, "\\_SB");
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_free(&a);

	/* Name() owes a value: closing the scope or starting a statement fails. */
	aml_scope_begin(&a, "\\_SB");
	aml_name(&a, "FOO");
	ck_assert_int_eq(aml_end(&a), -EINVAL);
	aml_free(&a);
	aml_name(&a, "FOO");
	ck_assert_int_eq(aml_name(&a, "BAR"), -EINVAL);
	aml_free(&a);
	aml_name(&a, "FOO");
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_free(&a);

	ck_assert_int_eq(aml_return(&a), -EINVAL);
	aml_free(&a);
	aml_device_begin(&a, "DEV0");
	ck_assert_int_eq(aml_return(&a), -EINVAL);
	aml_free(&a);
	ck_assert_int_eq(aml_method_begin(&a, "FOO", 8, false), -EINVAL);
	aml_free(&a);
	aml_package_begin(&a);
	ck_assert_int_eq(aml_device_begin(&a, "DEV0"), -EINVAL);
	aml_free(&a);

	for (int i = 0; i < AML_MAX_DEPTH; i++)
		ck_assert_int_eq(aml_scope_begin(&a, "\\"), 0);
	ck_assert_int_eq(aml_scope_begin(&a, "\\"), -E2BIG);
}
END_TEST

START_TEST(test_errors_are_sticky)
{
	size_t len;

	aml_int(&a, 7);
	len = a.len;
	/* A bad name is caught before anything is emitted. */
	ck_assert_int_eq(aml_name(&a, "bad"), -EINVAL);
	ck_assert_uint_eq(a.len, len);
	/* Nothing after the first error changes the buffer or the error. */
	ck_assert_int_eq(aml_int(&a, 1), -EINVAL);
	ck_assert_int_eq(aml_eisaid(&a, "PNP0501"), -EINVAL);
	ck_assert_int_eq(aml_scope_begin(&a, "\\"), -EINVAL);
	ck_assert_int_eq(aml_end(&a), -EINVAL);
	ck_assert_int_eq(aml_method_begin(&a, "FOO", 9, false), -EINVAL);
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	ck_assert_uint_eq(a.len, len);
	/* aml_free() makes it reusable. */
	aml_free(&a);
	ck_assert_int_eq(aml_int(&a, 1), 0);
	ck_assert_int_eq(aml_finish(&a), 0);
}
END_TEST

START_TEST(test_allocation_failure)
{
	static const uint8_t byte;

	/* A request the allocator could never satisfy is refused before it is
	 * made; the data is never read. */
	ck_assert_int_eq(aml_buffer(&a, &byte, SIZE_MAX / 2), -ENOMEM);
	ck_assert_int_eq(aml_finish(&a), -ENOMEM);
}
END_TEST

START_TEST(test_allocation_failure_rlimit)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan reserves its shadow with mmap and cannot run under RLIMIT_AS. */
	return;
#else
	const char *preload = getenv("LD_PRELOAD");
	const size_t n = 64u << 20;
	struct rlimit rl, saved;
	char *s;

	if (preload && strstr(preload, "vgpreload"))
		return;	/* valgrind ignores the limit for its own allocator */
	s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, 'x', n);
	s[n] = 0;
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &saved), 0);
	rl = saved;
	rl.rlim_cur = 256u << 20;
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
	/* The buffer doubles past 64 MiB, then past 128 MiB, and must fail cleanly. */
	aml_string(&a, s);
	aml_string(&a, s);
	aml_string(&a, s);
	ck_assert_int_eq(aml_finish(&a), -ENOMEM);
	/* For CK_FORK=no runs. */
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &saved), 0);
	free(s);
#endif
}
END_TEST

static Suite *aml_suite(void)
{
	Suite *s = suite_create("aml");
	TCase *tc = tcase_create("encode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_pkglen_encoding);
	tcase_add_test(tc, test_pkglen_in_objects);
	tcase_add_test(tc, test_pkglen_nested);
	tcase_add_test(tc, test_name_paths);
	tcase_add_test(tc, test_name_path_errors);
	tcase_add_test(tc, test_eisaid);
	tcase_add_test(tc, test_eisaid_errors);
	tcase_add_test(tc, test_strings_buffers);
	tcase_add_test(tc, test_string_errors);
	tcase_add_test(tc, test_named_objects);
	tcase_add_test(tc, test_packages);
	tcase_add_test(tc, test_package_limits);
	tcase_add_test(tc, test_end_tag);
	tcase_add_test(tc, test_io_irq);
	tcase_add_test(tc, test_extended_interrupt);
	tcase_add_test(tc, test_dword_memory);
	tcase_add_test(tc, test_qword_memory);
	tcase_add_test(tc, test_memory_errors);
	tcase_add_test(tc, test_resource_errors);
	tcase_add_test(tc, test_structure_errors);
	tcase_add_test(tc, test_errors_are_sticky);
	tcase_add_test(tc, test_allocation_failure);
	tcase_add_test(tc, test_allocation_failure_rlimit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(aml_suite());
}
