/* SPDX-License-Identifier: MIT */
/*
 * Key-value pair exchange, Hyper-V's "Data Exchange" IC. The host asks, one
 * transaction at a time, and the guest answers in place: Linux's hv_utils hands each
 * request to hv_kvp_daemon and writes its answer into the host's message, which it
 * sends back whole. Without the daemon Linux does not even answer the version
 * negotiation.
 *
 * Every message is sent full size and zeroed: Linux never checks the length against
 * the operation, and it does not write the NUL after the strings it answers with, so
 * the zeroes of the request terminate them. Linux's GET never returns the value (the
 * kernel does not pass the value size on), so reading a key means enumerating.
 */
#include "ic_internal.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KVP_TIMEOUT_NS		35000000000ull	/* Linux gives its daemon 30 s */
#define KVP_MAX_PKT		16384		/* hv_kvp_init's max_pkt_size */

/* ---- UTF-8 and UTF-16 ----------------------------------------------------------------- */

/*
 * UTF-16LE text from the guest, `bytes` bytes of it: the text must end at a NUL unit
 * within them and be valid UTF-16 (no unpaired surrogates). Written to out as UTF-8
 * (room for 3 bytes per unit, plus the NUL). 0 or -EPROTO.
 */
static int utf16_to_utf8(const uint8_t *in, uint32_t bytes, char *out, size_t outlen)
{
	uint32_t units = bytes / 2;
	size_t o = 0;

	for (uint32_t i = 0; i < units; i++) {
		uint16_t u;
		uint32_t c;

		memcpy(&u, in + 2 * i, 2);
		if (u == 0) {
			out[o] = 0;
			return 0;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			uint16_t lo;

			if (i + 1 >= units)
				return -EPROTO;
			memcpy(&lo, in + 2 * (i + 1), 2);
			if (lo < 0xdc00 || lo > 0xdfff)
				return -EPROTO;
			c = 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -EPROTO;
		} else {
			c = u;
		}
		if (o + 5 > outlen)
			return -EPROTO;
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | (c >> 12 & 0x3f));
			out[o++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	return -EPROTO;	/* no NUL within the field */
}

static const char *check_text(const char *s, unsigned max_units, unsigned max_utf8, bool key)
{
	int n = ic_utf8_to_utf16(s, NULL, UINT32_MAX / 2);

	if (n < 0)
		return "valid UTF-8";
	if (key && n == 0)
		return "a non-empty string";
	if ((unsigned)n > max_units || strlen(s) > max_utf8)
		return key ? "at most 255 UTF-16 code units and 511 bytes of UTF-8"
			   : "at most 1023 UTF-16 code units and 2047 bytes of UTF-8";
	return NULL;
}

const char *ic_kvp_check_key(const char *s)
{
	return check_text(s, IC_KVP_KEY_UNITS, IC_KVP_KEY_UTF8, true);
}

const char *ic_kvp_check_value(const char *s)
{
	return check_text(s, IC_KVP_VALUE_UNITS, IC_KVP_VALUE_UTF8, false);
}

/* A checked string into a UTF-16 field with its NUL: the size in bytes. */
static uint32_t put_text(const char *s, uint8_t *field, unsigned max_units)
{
	int n = ic_utf8_to_utf16(s, field, max_units);

	return n < 0 ? 0 : (uint32_t)(n + 1) * 2;
}

/* ---- parsing the guest's answers ----------------------------------------------------- */

/* A size field of a UTF-16 string: even, at least the NUL, within its array. */
static bool size_ok(uint32_t size, uint32_t max)
{
	return size >= 2 && size <= max && !(size & 1);
}

int ic_kvp_parse_enumerate(const uint8_t *body, uint32_t len, uint8_t pool, struct ic_kvp_result *r)
{
	struct kvp_msg_enumerate m;

	if (len < sizeof(m))
		return -EPROTO;
	memcpy(&m, body, sizeof(m));
	if (m.h.operation != KVP_OP_ENUMERATE || m.h.pool != pool)
		return -EPROTO;
	if (!size_ok(m.v.key_size, KVP_KEY_BYTES) ||
	    utf16_to_utf8(m.v.key, m.v.key_size, r->key, sizeof(r->key)) < 0)
		return -EPROTO;
	r->value_type = m.v.value_type;
	switch (m.v.value_type) {
	case REG_SZ:
	case REG_EXPAND_SZ:
		if (!size_ok(m.v.value_size, KVP_VALUE_BYTES) ||
		    utf16_to_utf8(m.v.value, m.v.value_size, r->value, sizeof(r->value)) < 0)
			return -EPROTO;
		return 0;
	case REG_DWORD: {
		uint32_t v;

		if (m.v.value_size != 4)
			return -EPROTO;
		memcpy(&v, m.v.value, 4);
		snprintf(r->value, sizeof(r->value), "%u", v);
		return 0;
	}
	case REG_U64:
	case REG_QWORD: {
		uint64_t v;

		if (m.v.value_size != 8)
			return -EPROTO;
		memcpy(&v, m.v.value, 8);
		snprintf(r->value, sizeof(r->value), "%llu", (unsigned long long)v);
		return 0;
	}
	default:
		return -EPROTO;
	}
}

/* Each ';'-separated item of list must be an IPv4 or IPv6 address. */
static bool addresses_ok(const char *list)
{
	char buf[64], addr[16];
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ";");

		if (n) {
			if (n >= sizeof(buf))
				return false;
			memcpy(buf, p, n);
			buf[n] = 0;
			if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1)
				return false;
		}
		p += n;
		if (*p)
			p++;
	}
	return true;
}

int ic_kvp_parse_ip_info(const uint8_t *body, uint32_t len, struct ic_kvp_result *r)
{
#define IP_FIELD(f) body + __builtin_offsetof(struct kvp_msg_ip, f), sizeof(((struct kvp_msg_ip *)0)->f)
	uint8_t family, dhcp;

	if (len < sizeof(struct kvp_msg_ip) || body[0] != KVP_OP_GET_IP_INFO)
		return -EPROTO;
	family = body[__builtin_offsetof(struct kvp_msg_ip, addr_family)];
	dhcp = body[__builtin_offsetof(struct kvp_msg_ip, dhcp_enabled)];
	if (family > 3 || dhcp > 1)
		return -EPROTO;
	r->addr_family = family;
	r->dhcp = dhcp;
	if (utf16_to_utf8(IP_FIELD(ip_addr), r->ip, sizeof(r->ip)) < 0 ||
	    utf16_to_utf8(IP_FIELD(sub_net), r->subnet, sizeof(r->subnet)) < 0 ||
	    utf16_to_utf8(IP_FIELD(gate_way), r->gateway, sizeof(r->gateway)) < 0 ||
	    utf16_to_utf8(IP_FIELD(dns_addr), r->dns, sizeof(r->dns)) < 0)
		return -EPROTO;
#undef IP_FIELD
	if (!addresses_ok(r->ip) || !addresses_ok(r->gateway) || !addresses_ok(r->dns))
		return -EPROTO;
	return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

static const char *op_name(uint8_t op)
{
	switch (op) {
	case KVP_OP_SET: return "SET";
	case KVP_OP_DELETE: return "DELETE";
	case KVP_OP_ENUMERATE: return "ENUMERATE";
	case KVP_OP_GET_IP_INFO: return "GET_IP_INFO";
	case KVP_OP_SET_IP_INFO: return "SET_IP_INFO";
	default: return "GET";
	}
}

static void kvp_done(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len)
{
	ic_kvp_fn *fn = (ic_kvp_fn *)rq->fn;
	uint8_t op = rq->body[0], pool = rq->body[1];
	struct ic_kvp_result *r;

	if (!fn && (err || status))
		log_warn_limited(&rq->ic->rl, "KVP IC: the guest did not take %s (pool %u): %s 0x%08x", op_name(op),
				 pool, err ? strerror(-err) : "status", err ? 0 : status);
	if (rq->cancelled || !fn)
		return;
	r = calloc(1, sizeof(*r));
	if (!r) {
		struct ic_kvp_result small = { .err = -ENOMEM };

		log_error("KVP IC: out of memory for an answer");
		fn(rq->opaque, &small);
		return;
	}
	r->err = err;
	r->status = status;
	/* Only a success carries data; an error leaves the body as the host sent it. */
	if (!err && status == IC_HV_S_OK) {
		int e = 0;

		if (op == KVP_OP_ENUMERATE)
			e = ic_kvp_parse_enumerate(body, len, pool, r);
		else if (op == KVP_OP_GET_IP_INFO)
			e = ic_kvp_parse_ip_info(body, len, r);
		if (e < 0) {
			log_warn_limited(&rq->ic->rl, "KVP IC: the guest's answer to %s (pool %u) is malformed",
					 op_name(op), pool);
			memset(r, 0, sizeof(*r));
			r->err = e;
		}
	}
	fn(rq->opaque, r);
	free(r);
}

static int kvp_submit(struct ic *ic, const void *msg, uint32_t len, ic_kvp_fn *fn, void *opaque)
{
	return ic_submit(ic, msg, len, kvp_done, (void *)fn, opaque);
}

int ic_kvp_set(struct ic *ic, unsigned pool, const char *key, const char *value, ic_kvp_fn *fn, void *opaque)
{
	uint8_t buf[KVP_MSG_SIZE] = { 0 };
	struct kvp_msg_set m = { .h = { KVP_OP_SET, (uint8_t)pool, 0 } };

	if (pool >= IC_KVP_POOL_COUNT || ic_kvp_check_key(key) || ic_kvp_check_value(value))
		return -EINVAL;
	memset(&m.v, 0, sizeof(m.v));
	m.v.value_type = REG_SZ;
	m.v.key_size = put_text(key, m.v.key, IC_KVP_KEY_UNITS);
	m.v.value_size = put_text(value, m.v.value, IC_KVP_VALUE_UNITS);
	memcpy(buf, &m, sizeof(m));
	return kvp_submit(ic, buf, sizeof(buf), fn, opaque);
}

int ic_kvp_delete(struct ic *ic, unsigned pool, const char *key, ic_kvp_fn *fn, void *opaque)
{
	uint8_t buf[KVP_MSG_SIZE] = { 0 };
	struct kvp_msg_delete m = { .h = { KVP_OP_DELETE, (uint8_t)pool, 0 } };

	if (pool >= IC_KVP_POOL_COUNT || ic_kvp_check_key(key))
		return -EINVAL;
	memset(m.key, 0, sizeof(m.key));
	m.key_size = put_text(key, m.key, IC_KVP_KEY_UNITS);
	memcpy(buf, &m, sizeof(m));
	return kvp_submit(ic, buf, sizeof(buf), fn, opaque);
}

int ic_kvp_enumerate(struct ic *ic, unsigned pool, uint32_t index, ic_kvp_fn *fn, void *opaque)
{
	struct kvp_msg_enumerate m;

	if (pool >= IC_KVP_POOL_COUNT)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.h.operation = KVP_OP_ENUMERATE;
	m.h.pool = (uint8_t)pool;
	m.index = index;
	return kvp_submit(ic, &m, sizeof(m), fn, opaque);
}

/* The adapter id: six hex pairs with ':', which hv_kvp_daemon compares with the
 * upper-cased address of each interface. */
static int put_adapter(const char *mac, uint8_t *field)
{
	if (strlen(mac) != 17)
		return -EINVAL;
	for (unsigned i = 0; i < 17; i++) {
		if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			return -EINVAL;
		field[2 * i] = (uint8_t)toupper((unsigned char)mac[i]);
		field[2 * i + 1] = 0;
	}
	field[34] = field[35] = 0;
	return 0;
}

int ic_kvp_get_ip_info(struct ic *ic, const char *mac, ic_kvp_fn *fn, void *opaque)
{
	uint8_t id[36];
	struct kvp_msg_ip *m;
	int r;

	if (put_adapter(mac, id) < 0)
		return -EINVAL;
	if (!ic->negotiated || !ic->ch)
		return -ENODEV;
	if (ic->message.major >= 5)
		return -EOPNOTSUPP;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->operation = KVP_OP_GET_IP_INFO;
	memcpy(m->adapter_id, id, sizeof(id));
	r = kvp_submit(ic, m, sizeof(*m), fn, opaque);
	free(m);
	return r;
}

/* ASCII list s into a UTF-16LE field of units (NUL included); false if it does not fit. */
static bool put_ascii(const char *s, uint8_t *field, size_t units)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= units)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
		field[2 * i] = (uint8_t)s[i];
		field[2 * i + 1] = 0;
	}
	field[2 * n] = field[2 * n + 1] = 0;
	return true;
}

int ic_kvp_set_ip_info(struct ic *ic, const char *adapter_id, const struct ic_kvp_ip_config *cfg, ic_kvp_fn *fn,
		       void *opaque)
{
	struct kvp_msg_ip *m = calloc(1, sizeof(*m));
	int r = -EINVAL;

	if (!m)
		return -ENOMEM;
#define FIELD(f) ((uint8_t *)m + __builtin_offsetof(struct kvp_msg_ip, f))
	if (!adapter_id || !*adapter_id || !put_ascii(adapter_id, FIELD(adapter_id), KVP_ADAPTER_UNITS) ||
	    cfg->family > 3 ||
	    !put_ascii(cfg->ip, FIELD(ip_addr), KVP_IP_UNITS) || !put_ascii(cfg->subnet, FIELD(sub_net), KVP_IP_UNITS) ||
	    !put_ascii(cfg->gateway, FIELD(gate_way), KVP_GW_UNITS) ||
	    !put_ascii(cfg->dns, FIELD(dns_addr), KVP_IP_UNITS))
		goto out;
#undef FIELD
	r = -ENODEV;
	if (!ic->negotiated || !ic->ch)
		goto out;
	/* 4.0 is where Hyper-V added IP injection; 5.0 has a binary form Linux never
	 * negotiates. */
	r = -EOPNOTSUPP;
	if (ic->message.major != 4)
		goto out;
	m->operation = KVP_OP_SET_IP_INFO;
	m->addr_family = cfg->family;
	m->dhcp_enabled = cfg->dhcp ? 1 : 0;
	r = kvp_submit(ic, m, sizeof(*m), fn, opaque);
out:
	free(m);
	return r;
}

/* ---- the kind ----------------------------------------------------------------------- */

/* Linux picks 4.0 (string IP info), Windows 5.0. */
static const struct ic_version kvp_versions[] = { { 3, 0 }, { 4, 0 }, { 5, 0 } };

static const struct ic_kind kvp_kind = {
	.name = "KVP",
	.class_id = "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6",
	.instance_id = "242ff919-07db-4180-9c2e-b86cb68c8c55",
	.msgtype = IC_MSGTYPE_KVP,
	.msg_versions = kvp_versions,
	.nmsg_versions = sizeof(kvp_versions) / sizeof(kvp_versions[0]),
	.max_pkt = KVP_MAX_PKT,
	.request_timeout_ns = KVP_TIMEOUT_NS,
};

struct ic *ic_kvp_new(struct vmbus *bus, struct loop *loop)
{
	return ic_new(bus, loop, &kvp_kind);
}
