/* SPDX-License-Identifier: MIT */
/*
 * AML encoder. Encodings follow the ACPI specification, section 20 (AML grammar)
 * and section 6.4 (resource data types).
 */
#include "aml.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AML opcodes */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_METHOD_OP		0x14
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR		0x5c
#define AML_PARENT_PREFIX	0x5e
#define AML_RETURN_OP		0xa4
#define AML_ONES_OP		0xff

/* Resource descriptor tags (small items: type << 3 | length) */
#define RES_IRQ_NOFLAGS		0x22
#define RES_IRQ			0x23
#define RES_IO			0x47
#define RES_END_TAG		0x79
#define RES_DWORD_ADDR		0x87
#define RES_EXT_IRQ		0x89
#define RES_QWORD_ADDR		0x8a

#define RES_ADDR_MEMORY		0
#define RES_ADDR_IO		1
#define RES_ADDR_BUS		2
#define RES_WORD_ADDR		0x88

enum frame_kind {
	FRAME_SCOPE,
	FRAME_DEVICE,
	FRAME_METHOD,
	FRAME_PACKAGE,
	FRAME_BUFFER,
	FRAME_RESTEMPLATE,
};

static const size_t pkglen_max[5] = { 0, 0x3f, 0xfff, 0xfffff, 0xfffffff };

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

static int aml_fail(struct aml *a, int err, const char *what)
{
	if (!a->err) {
		a->err = err;
		log_error("aml: %s", what);
	}
	return a->err;
}

static int aml_reserve(struct aml *a, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (a->err)
		return a->err;
	if (more <= a->cap - a->len)
		return 0;
	if (more > SIZE_MAX / 2 - a->len)
		return aml_fail(a, -ENOMEM, "byte code too large");
	cap = a->cap ? a->cap : 256;
	while (cap - a->len < more)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p)
		return aml_fail(a, -ENOMEM, "out of memory");
	a->buf = p;
	a->cap = cap;
	return 0;
}

static void aml_put(struct aml *a, const void *p, size_t n)
{
	if (n == 0 || aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_put8(struct aml *a, uint8_t v)
{
	aml_put(a, &v, 1);
}

static void aml_put_le(struct aml *a, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_put(a, b, bytes);
}

static struct aml_frame *aml_top(struct aml *a)
{
	return a->depth ? &a->stack[a->depth - 1] : NULL;
}

static bool aml_in(struct aml *a, enum frame_kind kind)
{
	struct aml_frame *f = aml_top(a);

	return f && f->kind == kind;
}

/* Before any data object (which may be the operand owed to Name/Return). */
static int aml_object_start(struct aml *a)
{
	struct aml_frame *f = aml_top(a);

	if (a->err)
		return a->err;
	if (f && (f->kind == FRAME_RESTEMPLATE || f->kind == FRAME_BUFFER))
		return aml_fail(a, -EINVAL, "AML object inside a buffer");
	if (a->pending)
		a->pending--;
	if (f)
		f->count++;
	return 0;
}

/* Before a named-object or statement: nothing may be owed, and packages and
 * buffers hold data only. */
static int aml_statement_start(struct aml *a)
{
	struct aml_frame *f = aml_top(a);

	if (a->err)
		return a->err;
	if (a->pending)
		return aml_fail(a, -EINVAL, "Name() or Return() without a value");
	if (f && f->kind != FRAME_SCOPE && f->kind != FRAME_DEVICE &&
	    f->kind != FRAME_METHOD)
		return aml_fail(a, -EINVAL, "statement inside a Package or Buffer");
	if (f)
		f->count++;
	return 0;
}

static int aml_push(struct aml *a, enum frame_kind kind)
{
	if (a->err)
		return a->err;
	if (a->depth == AML_MAX_DEPTH)
		return aml_fail(a, -E2BIG, "objects nested too deeply");
	a->stack[a->depth++] = (struct aml_frame){ .start = a->len, .kind = kind };
	return 0;
}

int aml_encode_pkglen(size_t body_len, uint8_t out[4])
{
	for (unsigned n = 1; n <= 4; n++) {
		size_t total;

		if (body_len > pkglen_max[n] - n)
			continue;
		total = body_len + n;
		if (n == 1) {
			out[0] = (uint8_t)total;
		} else {
			/* Byte 0 holds the count of following bytes in bits 7:6 and
			 * the low nibble of the length; the rest follows in order. */
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
			for (unsigned i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
		}
		return (int)n;
	}
	return -E2BIG;
}

static unsigned aml_encode_int(uint64_t v, uint8_t out[9])
{
	unsigned n;

	/* Constant objects first; OnesOp is all ones because the DSDT we emit is a
	 * revision 2 definition block (64-bit integers). */
	if (v == 0) {
		out[0] = AML_ZERO_OP;
		return 1;
	}
	if (v == 1) {
		out[0] = AML_ONE_OP;
		return 1;
	}
	if (v == UINT64_MAX) {
		out[0] = AML_ONES_OP;
		return 1;
	}
	if (v <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= 0xffffffff) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	for (unsigned i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return n + 1;
}

static bool aml_seg_char_ok(char c, bool lead)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !lead && c >= '0' && c <= '9';
}

/* Validate path and count its segments; -EINVAL if malformed. */
static int aml_parse_path(const char *path, size_t *prefix_len, unsigned *nseg)
{
	const char *p = path;
	unsigned n = 0;

	if (*p == '\\')
		p++;
	else
		while (*p == '^')
			p++;
	*prefix_len = (size_t)(p - path);
	if (!*p) {
		*nseg = 0;
		/* A bare prefix ("\") names a scope; an empty path names nothing. */
		return *prefix_len ? 0 : -EINVAL;
	}
	for (;;) {
		unsigned len = 0;

		while (p[len] && p[len] != '.') {
			if (len == 4 || !aml_seg_char_ok(p[len], len == 0))
				return -EINVAL;
			len++;
		}
		if (len == 0)
			return -EINVAL;
		n++;
		p += len;
		if (!*p)
			break;
		p++;	/* the dot */
	}
	if (n > 255)
		return -EINVAL;
	*nseg = n;
	return 0;
}

/* Fails, emitting nothing, unless path is well formed. */
static int aml_check_path(struct aml *a, const char *path, size_t *prefix_len,
			  unsigned *nseg)
{
	char msg[96];

	if (a->err)
		return a->err;
	if (path && !aml_parse_path(path, prefix_len, nseg))
		return 0;
	snprintf(msg, sizeof(msg), "invalid name path \"%.64s\"", path ? path : "(null)");
	return aml_fail(a, -EINVAL, msg);
}

static int aml_put_namestring(struct aml *a, const char *path)
{
	size_t prefix_len;
	unsigned nseg;
	const char *p;

	if (aml_check_path(a, path, &prefix_len, &nseg))
		return a->err;
	aml_put(a, path, prefix_len);	/* '\' and '^' are their own encodings */
	if (nseg == 0)
		aml_put8(a, 0x00);	/* NullName */
	else if (nseg == 2)
		aml_put8(a, AML_DUAL_NAME_PREFIX);
	else if (nseg > 2) {
		aml_put8(a, AML_MULTI_NAME_PREFIX);
		aml_put8(a, (uint8_t)nseg);
	}
	p = path + prefix_len;
	for (unsigned i = 0; i < nseg; i++) {
		char seg[4] = { '_', '_', '_', '_' };
		unsigned len = 0;

		while (*p && *p != '.')
			seg[len++] = *p++;
		if (*p)
			p++;
		aml_put(a, seg, 4);
	}
	return a->err;
}

int aml_finish(struct aml *a)
{
	if (a->err)
		return a->err;
	if (a->depth)
		return aml_fail(a, -EINVAL, "aml_end() missing for an open object");
	if (a->pending)
		return aml_fail(a, -EINVAL, "Name() or Return() without a value");
	return 0;
}

static int aml_named_begin(struct aml *a, enum frame_kind kind, const uint8_t *op,
			   size_t oplen, const char *path)
{
	size_t prefix_len;
	unsigned nseg;

	if (aml_check_path(a, path, &prefix_len, &nseg) || aml_statement_start(a))
		return a->err;
	aml_put(a, op, oplen);
	if (aml_push(a, kind))
		return a->err;
	return aml_put_namestring(a, path);
}

int aml_scope_begin(struct aml *a, const char *path)
{
	static const uint8_t op[] = { AML_SCOPE_OP };

	return aml_named_begin(a, FRAME_SCOPE, op, sizeof(op), path);
}

int aml_device_begin(struct aml *a, const char *path)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_DEVICE_OP };

	return aml_named_begin(a, FRAME_DEVICE, op, sizeof(op), path);
}

int aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized)
{
	static const uint8_t op[] = { AML_METHOD_OP };

	if (a->err)
		return a->err;
	if (nargs > 7)
		return aml_fail(a, -EINVAL, "a method takes at most 7 arguments");
	if (aml_named_begin(a, FRAME_METHOD, op, sizeof(op), path))
		return a->err;
	/* MethodFlags: ArgCount in bits 2:0, SerializeFlag in bit 3, SyncLevel 0. */
	aml_put8(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
	return a->err;
}

int aml_package_begin(struct aml *a)
{
	if (aml_object_start(a))
		return a->err;
	aml_put8(a, AML_PACKAGE_OP);
	return aml_push(a, FRAME_PACKAGE);
}

int aml_resource_template_begin(struct aml *a)
{
	if (aml_object_start(a))
		return a->err;
	aml_put8(a, AML_BUFFER_OP);
	return aml_push(a, FRAME_RESTEMPLATE);
}

/* Insert n bytes at offset off, shifting what follows. */
static int aml_insert(struct aml *a, size_t off, const uint8_t *p, size_t n)
{
	if (aml_reserve(a, n))
		return a->err;
	memmove(a->buf + off + n, a->buf + off, a->len - off);
	memcpy(a->buf + off, p, n);
	a->len += n;
	return 0;
}

int aml_end(struct aml *a)
{
	struct aml_frame f;
	uint8_t prefix[4 + 9], after[9];
	size_t body, extra = 0;
	int n;

	if (a->err)
		return a->err;
	if (!a->depth)
		return aml_fail(a, -EINVAL, "aml_end() without an open object");
	if (a->pending)
		return aml_fail(a, -EINVAL, "Name() or Return() without a value");
	f = a->stack[--a->depth];

	if (f.kind == FRAME_RESTEMPLATE) {
		uint8_t sum = RES_END_TAG;

		/* The checksum makes the whole template, end tag included, sum to
		 * zero. */
		for (size_t i = f.start; i < a->len; i++)
			sum += a->buf[i];
		aml_put8(a, RES_END_TAG);
		aml_put8(a, (uint8_t)-sum);
		if (a->err)
			return a->err;
	}

	/* Whatever follows the PkgLength but is only known now. */
	body = a->len - f.start;
	if (f.kind == FRAME_BUFFER || f.kind == FRAME_RESTEMPLATE) {
		extra = aml_encode_int(body, after);	/* BufferSize */
	} else if (f.kind == FRAME_PACKAGE) {
		if (f.count > 255)
			return aml_fail(a, -E2BIG, "a Package holds at most 255 elements");
		after[0] = (uint8_t)f.count;		/* NumElements */
		extra = 1;
	}

	n = aml_encode_pkglen(body + extra, prefix);
	if (n < 0)
		return aml_fail(a, n, "object too large for a PkgLength");
	memcpy(prefix + n, after, extra);
	return aml_insert(a, f.start, prefix, (size_t)n + extra);
}

int aml_name(struct aml *a, const char *path)
{
	size_t prefix_len;
	unsigned nseg;

	if (aml_check_path(a, path, &prefix_len, &nseg) || aml_statement_start(a))
		return a->err;
	aml_put8(a, AML_NAME_OP);
	if (aml_put_namestring(a, path))
		return a->err;
	a->pending = 1;
	return 0;
}

int aml_return(struct aml *a)
{
	if (a->err)
		return a->err;
	if (!aml_in(a, FRAME_METHOD))
		return aml_fail(a, -EINVAL, "Return() outside a Method");
	if (aml_statement_start(a))
		return a->err;
	aml_put8(a, AML_RETURN_OP);
	a->pending = 1;
	return a->err;
}

int aml_int(struct aml *a, uint64_t v)
{
	uint8_t b[9];

	if (aml_object_start(a))
		return a->err;
	aml_put(a, b, aml_encode_int(v, b));
	return a->err;
}

int aml_string(struct aml *a, const char *s)
{
	if (aml_object_start(a))
		return a->err;
	if (!s)
		return aml_fail(a, -EINVAL, "NULL string");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p > 0x7f)
			return aml_fail(a, -EINVAL, "string is not ASCII");
	aml_put8(a, AML_STRING_PREFIX);
	aml_put(a, s, strlen(s) + 1);	/* with its NUL terminator */
	return a->err;
}

int aml_buffer(struct aml *a, const void *data, size_t len)
{
	if (aml_object_start(a))
		return a->err;
	if (!data && len)
		return aml_fail(a, -EINVAL, "NULL buffer");
	aml_put8(a, AML_BUFFER_OP);
	if (aml_push(a, FRAME_BUFFER))
		return a->err;
	if (len)
		aml_put(a, data, len);
	return aml_end(a);
}

int aml_eisaid(struct aml *a, const char *id)
{
	uint32_t vendor = 0, product = 0;
	uint8_t b[4];

	if (aml_object_start(a))
		return a->err;
	if (!id || strlen(id) != 7)
		goto bad;
	/* Three letters in 5 bits each ('A' is 1), then four hex digits. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			goto bad;
		vendor = (vendor << 5) | (uint32_t)(id[i] - '@');
	}
	for (int i = 3; i < 7; i++) {
		/* Upper case only, as ACPI spells EISA ids. */
		int d = id[i] >= 'a' && id[i] <= 'f' ? -1 : util_hex_digit(id[i]);

		if (d < 0)
			goto bad;
		product = (product << 4) | (uint32_t)d;
	}
	/* The compressed ID is stored big-endian byte by byte. */
	b[0] = (uint8_t)(vendor >> 8);
	b[1] = (uint8_t)vendor;
	b[2] = (uint8_t)(product >> 8);
	b[3] = (uint8_t)product;
	aml_put8(a, AML_DWORD_PREFIX);
	aml_put(a, b, 4);
	return a->err;
bad:
	{
		char msg[64];

		snprintf(msg, sizeof(msg), "invalid EISA id \"%.16s\"", id ? id : "(null)");
		return aml_fail(a, -EINVAL, msg);
	}
}

int aml_namestring(struct aml *a, const char *path)
{
	size_t prefix_len;
	unsigned nseg;

	if (aml_check_path(a, path, &prefix_len, &nseg) || aml_object_start(a))
		return a->err;
	return aml_put_namestring(a, path);
}

int aml_name_int(struct aml *a, const char *path, uint64_t v)
{
	aml_name(a, path);
	return aml_int(a, v);
}

int aml_name_string(struct aml *a, const char *path, const char *s)
{
	aml_name(a, path);
	return aml_string(a, s);
}

int aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
	aml_name(a, path);
	return aml_eisaid(a, id);
}

static int aml_resource_start(struct aml *a)
{
	if (a->err)
		return a->err;
	if (!aml_in(a, FRAME_RESTEMPLATE))
		return aml_fail(a, -EINVAL, "resource descriptor outside a ResourceTemplate");
	return 0;
}

int aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	if (aml_resource_start(a))
		return a->err;
	if (min > max)
		return aml_fail(a, -EINVAL, "IO descriptor with min above max");
	aml_put8(a, RES_IO);
	aml_put8(a, 0x01);	/* decodes all 16 address bits */
	aml_put_le(a, min, 2);
	aml_put_le(a, max, 2);
	aml_put8(a, align);
	aml_put8(a, len);
	return a->err;
}

int aml_irq_noflags(struct aml *a, uint16_t mask)
{
	if (aml_resource_start(a))
		return a->err;
	aml_put8(a, RES_IRQ_NOFLAGS);
	aml_put_le(a, mask, 2);
	return a->err;
}

int aml_irq(struct aml *a, uint16_t mask, unsigned flags)
{
	uint8_t info = 0;

	if (aml_resource_start(a))
		return a->err;
	if (flags & ~(AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED | AML_IRQ_WAKE))
		return aml_fail(a, -EINVAL, "unsupported IRQ descriptor flags");
	if (flags & AML_IRQ_EDGE)
		info |= 0x01;
	if (flags & AML_IRQ_ACTIVE_LOW)
		info |= 0x08;
	if (flags & AML_IRQ_SHARED)
		info |= 0x10;
	if (flags & AML_IRQ_WAKE)
		info |= 0x20;
	aml_put8(a, RES_IRQ);
	aml_put_le(a, mask, 2);
	aml_put8(a, info);
	return a->err;
}

int aml_interrupt(struct aml *a, unsigned flags, const uint32_t *irqs, unsigned n)
{
	uint8_t info = 0;

	if (aml_resource_start(a))
		return a->err;
	if (n == 0 || n > 255 || !irqs)
		return aml_fail(a, -EINVAL, "Interrupt descriptor needs 1-255 interrupts");
	if (flags & ~(AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED | AML_IRQ_WAKE |
		      AML_IRQ_PRODUCER))
		return aml_fail(a, -EINVAL, "unsupported Interrupt descriptor flags");
	if (!(flags & AML_IRQ_PRODUCER))
		info |= 0x01;
	if (flags & AML_IRQ_EDGE)
		info |= 0x02;
	if (flags & AML_IRQ_ACTIVE_LOW)
		info |= 0x04;
	if (flags & AML_IRQ_SHARED)
		info |= 0x08;
	if (flags & AML_IRQ_WAKE)
		info |= 0x10;
	aml_put8(a, RES_EXT_IRQ);
	aml_put_le(a, 2 + 4 * n, 2);
	aml_put8(a, info);
	aml_put8(a, (uint8_t)n);
	for (unsigned i = 0; i < n; i++)
		aml_put_le(a, irqs[i], 4);
	return a->err;
}

static int aml_address_memory(struct aml *a, const struct aml_mem_range *r, unsigned width)
{
	uint8_t gen = 0, type = 0;
	uint64_t limit = width == 4 ? UINT32_MAX : UINT64_MAX;

	if (aml_resource_start(a))
		return a->err;
	if (r->granularity > limit || r->min > limit || r->max > limit ||
	    r->translation > limit || r->length > limit)
		return aml_fail(a, -ERANGE, "memory range does not fit a DWordMemory");
	if (r->cache > AML_MEM_PREFETCHABLE || r->mem_type > 3)
		return aml_fail(a, -EINVAL, "invalid memory range attributes");
	if (r->length) {
		uint64_t span = r->max - r->min;	/* span + 1 bytes */

		/* The combinations the spec allows for a non-zero _LEN. */
		if (r->min > r->max || r->length - 1 > span ||
		    (r->min_fixed && r->max_fixed && r->length - 1 != span))
			return aml_fail(a, -EINVAL, "memory range min/max/length disagree");
	}
	if (!r->producer)
		gen |= 0x01;
	if (r->sub_decode)
		gen |= 0x02;
	if (r->min_fixed)
		gen |= 0x04;
	if (r->max_fixed)
		gen |= 0x08;
	if (!r->read_only)
		type |= 0x01;
	type |= (uint8_t)(r->cache << 1);
	type |= (uint8_t)(r->mem_type << 3);

	aml_put8(a, width == 4 ? RES_DWORD_ADDR : RES_QWORD_ADDR);
	aml_put_le(a, 3 + 5 * width, 2);	/* type, flags, flags, five values */
	aml_put8(a, RES_ADDR_MEMORY);
	aml_put8(a, gen);
	aml_put8(a, type);
	aml_put_le(a, r->granularity, width);
	aml_put_le(a, r->min, width);
	aml_put_le(a, r->max, width);
	aml_put_le(a, r->translation, width);
	aml_put_le(a, r->length, width);
	return a->err;
}

static int aml_word_addr(struct aml *a, uint8_t space, uint8_t type_flags, uint16_t min, uint16_t max)
{
	if (aml_resource_start(a))
		return a->err;
	if (min > max || (min == 0 && max == 0xffff))
		return aml_fail(a, -EINVAL, "word address descriptor with min above max, or 64 KiB long");
	aml_put8(a, RES_WORD_ADDR);
	aml_put_le(a, 3 + 5 * 2, 2);
	aml_put8(a, space);
	aml_put8(a, 0x0c);		/* producer, positive decode, min and max fixed */
	aml_put8(a, type_flags);
	aml_put_le(a, 0, 2);		/* granularity */
	aml_put_le(a, min, 2);
	aml_put_le(a, max, 2);
	aml_put_le(a, 0, 2);		/* translation */
	aml_put_le(a, (uint32_t)max - min + 1, 2);
	return a->err;
}

int aml_word_bus_number(struct aml *a, uint16_t min, uint16_t max)
{
	return aml_word_addr(a, RES_ADDR_BUS, 0, min, max);
}

int aml_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	return aml_word_addr(a, RES_ADDR_IO, 0x03, min, max);
}

int aml_dword_memory(struct aml *a, const struct aml_mem_range *r)
{
	return aml_address_memory(a, r, 4);
}

int aml_qword_memory(struct aml *a, const struct aml_mem_range *r)
{
	return aml_address_memory(a, r, 8);
}
