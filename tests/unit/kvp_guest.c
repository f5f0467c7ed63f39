/* SPDX-License-Identifier: MIT */
#include "kvp_guest.h"

#include <check.h>
#include <string.h>
#include <unistd.h>

#define OP_SET		1
#define OP_DELETE	2
#define OP_ENUMERATE	3
#define OP_GET_IP_INFO	4
#define OP_SET_IP_INFO	5
#define S_CONT		0x80070103u
#define E_FAIL		0x80004005u

unsigned kg_utf16(const char *s, uint16_t *out, unsigned max)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n = 0;

	while (*p && n + 2 < max) {
		uint32_t c;

		if (p[0] < 0x80) {
			c = *p++;
		} else if ((p[0] & 0xe0) == 0xc0) {
			c = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if ((p[0] & 0xf0) == 0xe0) {
			c = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
			p += 3;
		} else {
			c = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 |
			    (p[3] & 0x3f);
			p += 4;
		}
		if (c >= 0x10000) {
			out[n++] = (uint16_t)(0xd800 + ((c - 0x10000) >> 10));
			out[n++] = (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff));
		} else {
			out[n++] = (uint16_t)c;
		}
	}
	out[n] = 0;
	return n;
}

static const char *const auto_keys[10][2] = {
	{ "FullyQualifiedDomainName", NULL },
	{ "IntegrationServicesVersion", "3.1" },
	{ "NetworkAddressIPv4", "192.168.7.2;10.0.0.5" },
	{ "NetworkAddressIPv6", "fe80::215:5dff:fe00:1" },
	{ "OSBuildNumber", "6.1.0-40-amd64" },
	{ "OSName", "Debian GNU/Linux" },
	{ "OSMajorVersion", "12" },
	{ "OSMinorVersion", "" },
	{ "OSVersion", "6.1.0" },
	{ "ProcessorArchitecture", "x86_64" },
};

void kvp_guest_init(struct kvp_guest *kg, struct vg_chan *c)
{
	memset(kg, 0, sizeof(*kg));
	kg->c = c;
	strcpy(kg->fqdn, "debian.example");
}

int kvp_guest_read(struct kvp_guest *kg, uint8_t *pkt, unsigned ms)
{
	return vg_read_wait(kg->c, pkt, KG_PKT, ms);
}

void kvp_guest_send(struct kvp_guest *kg, const uint8_t *pkt, int len)
{
	uint64_t trans;

	memcpy(&trans, pkt + 8, 8);
	ck_assert_int_eq(vg_send(kg->c, VM_PKT_DATA_INBAND, 0, trans, pkt + 16, (uint32_t)len - 16), 0);
}

static void set_response(uint8_t *pkt, uint32_t status)
{
	pkt[KG_FLAGS] = 1 | 4;	/* TRANSACTION | RESPONSE */
	memcpy(pkt + KG_STATUS, &status, 4);
}

void kvp_guest_negotiate(struct kvp_guest *kg, uint8_t *pkt, int len)
{
	uint16_t nf, nm, v[4];
	bool fw = false, msg = false;
	uint16_t size = 0x10, major = kg->msg_major ? kg->msg_major : 4;

	ck_assert_int_ge(len, KG_BODY + 8);
	ck_assert_uint_eq(pkt[KG_MSGTYPE], 0);
	memcpy(&nf, pkt + KG_BODY, 2);
	memcpy(&nm, pkt + KG_BODY + 2, 2);
	ck_assert_int_ge(len, KG_BODY + 8 + 4 * (nf + nm));
	for (unsigned i = 0; i < nf + nm; i++) {
		memcpy(v, pkt + KG_BODY + 8 + 4 * i, 4);
		if (i < nf && v[0] == 3 && v[1] == 0)
			fw = true;
		if (i >= nf && v[0] == major && v[1] == 0)
			msg = true;
	}
	ck_assert(fw && msg);
	nf = nm = 1;
	memcpy(pkt + KG_BODY, &nf, 2);
	memcpy(pkt + KG_BODY + 2, &nm, 2);
	v[0] = 3, v[1] = 0, v[2] = major, v[3] = 0;
	memcpy(pkt + KG_BODY + 8, v, 8);
	memcpy(pkt + KG_MSGSIZE, &size, 2);
	set_response(pkt, 0);
	kvp_guest_send(kg, pkt, len);
}

static struct kg_record *find(struct kvp_guest *kg, unsigned pool, const uint16_t *key, unsigned units)
{
	for (unsigned i = 0; i < kg->count[pool]; i++)
		if (kg->pools[pool][i].key_units == units && !memcmp(kg->pools[pool][i].key, key, 2 * units))
			return &kg->pools[pool][i];
	return NULL;
}

/* Linux writes the units without the NUL: the host's zeroes end the text. */
static void put_record(uint8_t *v, const uint16_t *key, unsigned kn, const uint16_t *val, unsigned vn)
{
	uint32_t type = 1, ks = 2 * (kn + 1), vs = 2 * (vn + 1);

	memcpy(v, &type, 4);
	memcpy(v + 4, &ks, 4);
	memcpy(v + 8, &vs, 4);
	memcpy(v + 12, key, 2 * kn);
	memcpy(v + 524, val, 2 * vn);
}

void kvp_guest_process(struct kvp_guest *kg, uint8_t *pkt, int len)
{
	uint8_t *m = pkt + KG_BODY;
	uint8_t op = m[0], pool = m[1];
	uint32_t status = 0, ks, vs, index;
	uint16_t key[256], val[1024];
	struct kg_record *r;

	ck_assert_uint_eq(pkt[KG_MSGTYPE], 2);
	ck_assert_int_ge(len, KG_BODY + 2580);
	ck_assert_uint_lt(pool, 5);
	switch (op) {
	case OP_SET:
		memcpy(&ks, m + 8, 4);
		memcpy(&vs, m + 12, 4);
		ck_assert(ks >= 2 && ks <= 512 && vs >= 2 && vs <= 2048);
		memset(key, 0, sizeof(key));
		memset(val, 0, sizeof(val));
		memcpy(key, m + 16, ks);
		memcpy(val, m + 528, vs);
		r = find(kg, pool, key, ks / 2 - 1);
		if (!r && kg->count[pool] < KG_RECORDS)
			r = &kg->pools[pool][kg->count[pool]++];
		if (!r) {
			status = S_CONT;
			break;
		}
		memcpy(r->key, key, sizeof(key));
		memcpy(r->value, val, sizeof(val));
		r->key_units = ks / 2 - 1;
		r->value_units = vs / 2 - 1;
		break;
	case OP_DELETE:
		memcpy(&ks, m + 4, 4);
		ck_assert(ks >= 2 && ks <= 512);
		memset(key, 0, sizeof(key));
		memcpy(key, m + 8, ks);
		r = find(kg, pool, key, ks / 2 - 1);
		if (!r) {
			status = S_CONT;
			break;
		}
		*r = kg->pools[pool][--kg->count[pool]];
		break;
	case OP_ENUMERATE:
		memcpy(&index, m + 4, 4);
		if (pool == 2) {
			unsigned kn, vn;

			if (index >= 10) {
				status = S_CONT;
				break;
			}
			kn = kg_utf16(auto_keys[index][0], key, 256);
			vn = kg_utf16(auto_keys[index][1] ? auto_keys[index][1] : kg->fqdn, val, 1024);
			put_record(m + 8, key, kn, val, vn);
			break;
		}
		if (index >= kg->count[pool]) {
			status = S_CONT;
			break;
		}
		r = &kg->pools[pool][index];
		put_record(m + 8, r->key, r->key_units, r->value, r->value_units);
		break;
	case OP_GET_IP_INFO: {
		char mac[18];
		uint16_t u;
		unsigned n;

		ck_assert_int_ge(len, KG_BODY + 7428);
		for (unsigned i = 0; i < 18; i++) {
			memcpy(&u, m + 2 + 2 * i, 2);
			mac[i] = (char)u;
		}
		if (memcmp(mac, KG_AUTO_MAC, 18)) {
			status = E_FAIL;
			break;
		}
		m[258] = 1 | 2;
		m[259] = 1;
		n = kg_utf16("192.168.7.2;fe80::215:5dff:fe00:1", val, 1024);
		memcpy(m + 260, val, 2 * n);
		n = kg_utf16("255.255.255.0;fe80::/64", val, 1024);
		memcpy(m + 2308, val, 2 * n);
		n = kg_utf16("192.168.7.1", val, 1024);
		memcpy(m + 4356, val, 2 * n);
		n = kg_utf16("192.168.7.1;9.9.9.9", val, 1024);
		memcpy(m + 5380, val, 2 * n);
		break;
	}
	case OP_SET_IP_INFO: {
		static const struct {
			unsigned off, units;
			size_t out;
		} f[] = { { 2, 128, 0 }, { 260, 1024, 1 }, { 2308, 1024, 2 }, { 4356, 512, 3 }, { 5380, 1024, 4 } };
		char *outs[] = { kg->setip.adapter, kg->setip.ip, kg->setip.subnet, kg->setip.gateway,
				 kg->setip.dns };

		/* hv_kvp_ip_msg whole; every list ASCII and ended within its field */
		ck_assert_int_ge(len, KG_BODY + 7428);
		ck_assert_uint_eq(m[1], 0);
		for (unsigned i = 0; i < 5; i++) {
			unsigned k;

			for (k = 0; k < f[i].units; k++) {
				uint16_t u;

				memcpy(&u, m + f[i].off + 2 * k, 2);
				ck_assert_uint_lt(u, 0x80);
				outs[f[i].out][k] = (char)u;
				if (!u)
					break;
			}
			ck_assert_uint_lt(k, f[i].units);
		}
		kg->setip.family = m[258];
		kg->setip.dhcp = m[259];
		kg->setip.count++;
		status = strcmp(kg->setip.adapter, KG_DEVICE_ID) ? 0x80041002u : kg->setip.status;
		break;
	}
	default:
		status = E_FAIL;
		break;
	}
	set_response(pkt, status);
}

bool kvp_guest_serve(struct kvp_guest *kg, unsigned ms)
{
	static _Thread_local uint8_t pkt[KG_PKT];
	int len = kvp_guest_read(kg, pkt, ms);

	if (len < 0)
		return false;
	if (pkt[KG_MSGTYPE] == 0)
		kvp_guest_negotiate(kg, pkt, len);
	else {
		kvp_guest_process(kg, pkt, len);
		kvp_guest_send(kg, pkt, len);
	}
	atomic_fetch_add(&kg->served, 1);
	return true;
}

static void *daemon_thread(void *opaque)
{
	struct kvp_guest *kg = opaque;

	while (!atomic_load(&kg->stop))
		kvp_guest_serve(kg, 20);
	return NULL;
}

void kvp_guest_start(struct kvp_guest *kg)
{
	atomic_store(&kg->stop, false);
	ck_assert_int_eq(pthread_create(&kg->thread, NULL, daemon_thread, kg), 0);
	kg->running = true;
}

void kvp_guest_stop(struct kvp_guest *kg)
{
	if (!kg->running)
		return;
	atomic_store(&kg->stop, true);
	pthread_join(kg->thread, NULL);
	kg->running = false;
}
