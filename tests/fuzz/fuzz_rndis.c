/* SPDX-License-Identifier: MIT */
/*
 * The RNDIS control plane alone (src/devices/rndis.c): INITIALIZE, QUERY, SET, RESET,
 * KEEPALIVE, HALT and whatever else a guest writes, with any offsets and lengths, one
 * after another on one device, as netvsp.c hands them over (a copy of at most
 * NV_CTRL_MSG_MAX bytes). Every reply must fit the reply buffer and say its own
 * length; the settings the guest leaves behind must be ones the data path can use.
 */
#include "fuzz.h"
#include "rndis.h"

#define CTRL_MAX	(4096 + 64)	/* NV_CTRL_MSG_MAX */

static void check_state(const struct rndis *r)
{
	const struct rndis_rss *rss = &r->rss;

	FZ_CHECK(rss->entries <= NDIS_RSS_TABLE_MAX, "%u indirection entries", rss->entries);
	FZ_CHECK(!rss->enabled || rss->entries, "RSS on without a table");
	for (unsigned i = 0; i < rss->entries; i++)
		FZ_CHECK(rss->table[i] < (r->max_queues ? r->max_queues : 1), "entry %u names queue %u", i,
			 rss->table[i]);
	FZ_CHECK(!(r->mac[0] & 1), "a multicast current address");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x11, 0x22, 0x33 };
	static uint8_t msg[CTRL_MAX];
	static uint8_t out[RNDIS_REPLY_MAX + 64];
	static const struct rndis_counters counters = { 1, 2, 3, 4, 5, 6, 7 };
	struct fz in = { data, size };
	struct rndis r;
	uint8_t flags = fz_u8(&in);

	fuzz_quiet_logs();
	memset(&r, 0, sizeof(r));
	memcpy(r.perm_mac, mac, 6);
	memcpy(r.mac, mac, 6);
	r.mtu = flags & 1 ? 9216 : 1514;
	r.ndis_major = 6;
	r.ndis_minor = flags & 2 ? 1 : 30;
	r.max_queues = (flags >> 2 & 7) + 1;
	r.link_up = !(flags & 0x20);
	r.link_speed = 10000000000ull;
	r.counters = &counters;
	r.caps = (struct rndis_caps){ .tx_csum = true, .tx_ip4 = true, .lso = !(flags & 0x40), .lso_max = 62780,
				      .rx_csum = true, .rsc = !(flags & 0x80) };
	rndis_reset(&r);

	while (in.n) {
		uint16_t len = fz_u16(&in) % (CTRL_MAX + 1);
		struct ndis_offload o;
		uint8_t dst[6];
		uint32_t n;

		fz_bytes(&in, msg, len);
		memset(out, 0xa5, sizeof(out));
		n = rndis_control(&r, msg, len, out);
		FZ_CHECK(n <= RNDIS_REPLY_MAX, "a reply of %u bytes", n);
		for (unsigned i = RNDIS_REPLY_MAX; i < sizeof(out); i++)
			FZ_CHECK(out[i] == 0xa5, "the reply ran past its buffer");
		if (n) {
			struct rndis_msg_header h;

			FZ_CHECK(n >= sizeof(h), "a reply of %u bytes", n);
			memcpy(&h, out, sizeof(h));
			FZ_CHECK(h.msg_len == n, "reply says %u bytes, is %u", h.msg_len, n);
			FZ_CHECK(h.msg_type & RNDIS_MSG_COMPLETION, "reply type %#x", h.msg_type);
		}
		r.changed = 0;
		check_state(&r);
		memcpy(dst, msg, 6);
		rndis_filter_accepts(&r, dst);
		rndis_offload_caps(&r, &o, false);
		rndis_offload_caps(&r, &o, true);
	}
	return 0;
}
