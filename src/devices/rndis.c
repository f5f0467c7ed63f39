/* SPDX-License-Identifier: MIT */
/*
 * RNDIS control messages, host side. Every request that carries a request id gets
 * an answer: hv_netvsc waits for each one without a timeout, holding the RTNL lock.
 * Unknown OIDs are answered NOT_SUPPORTED; malformed ones INVALID_DATA or
 * INVALID_LENGTH; nothing the guest sends is trusted beyond the bytes it sent.
 */
#include "rndis.h"
#include "util.h"

#include <stddef.h>
#include <string.h>

static const uint32_t oids_common[] = {
	OID_GEN_SUPPORTED_LIST, OID_GEN_HARDWARE_STATUS, OID_GEN_MEDIA_SUPPORTED, OID_GEN_MEDIA_IN_USE,
	OID_GEN_MAXIMUM_LOOKAHEAD, OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_MAXIMUM_FRAME_SIZE,
	OID_GEN_MAXIMUM_TOTAL_SIZE, OID_GEN_TRANSMIT_BLOCK_SIZE, OID_GEN_RECEIVE_BLOCK_SIZE,
	OID_GEN_LINK_SPEED, OID_GEN_TRANSMIT_BUFFER_SPACE, OID_GEN_RECEIVE_BUFFER_SPACE, OID_GEN_VENDOR_ID,
	OID_GEN_VENDOR_DESCRIPTION, OID_GEN_VENDOR_DRIVER_VERSION, OID_GEN_DRIVER_VERSION,
	OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAC_OPTIONS, OID_GEN_MEDIA_CONNECT_STATUS,
	OID_GEN_MAXIMUM_SEND_PACKETS, OID_GEN_NETWORK_LAYER_ADDRESSES, OID_GEN_FRIENDLY_NAME,
	OID_GEN_XMIT_OK, OID_GEN_RCV_OK, OID_GEN_XMIT_ERROR, OID_GEN_RCV_ERROR, OID_GEN_RCV_NO_BUFFER,
	OID_802_3_PERMANENT_ADDRESS, OID_802_3_CURRENT_ADDRESS, OID_802_3_MULTICAST_LIST,
	OID_802_3_MAXIMUM_LIST_SIZE, OID_802_3_RCV_ERROR_ALIGNMENT, OID_802_3_XMIT_ONE_COLLISION,
	OID_802_3_XMIT_MORE_COLLISIONS, OID_GEN_RNDIS_CONFIG_PARAMETER,
};
static const uint32_t oids_ndis6[] = {
	OID_GEN_LINK_STATE, OID_GEN_MAX_LINK_SPEED, OID_GEN_BYTES_RCV, OID_GEN_BYTES_XMIT,
	OID_TCP_OFFLOAD_PARAMETERS, OID_OFFLOAD_ENCAPSULATION, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
	OID_TCP_OFFLOAD_CURRENT_CONFIG,
};
static const uint32_t oids_ndis630[] = {
	OID_GEN_RECEIVE_SCALE_CAPABILITIES, OID_GEN_RECEIVE_SCALE_PARAMETERS,
};

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

void rndis_reset(struct rndis *r)
{
	r->initialized = false;
	r->halted = false;
	r->filter = 0;
	memset(&r->offload, 0, sizeof(r->offload));
	memset(&r->rss, 0, sizeof(r->rss));
	r->changed = RNDIS_CHANGED_FILTER | RNDIS_CHANGED_OFFLOAD | RNDIS_CHANGED_RSS | RNDIS_CHANGED_MAC;
}

static bool ndis_at_least(const struct rndis *r, uint32_t major, uint32_t minor)
{
	return r->ndis_major > major || (r->ndis_major == major && r->ndis_minor >= minor);
}

/* ---- queries ------------------------------------------------------------------- */

static uint32_t put32(uint8_t *info, uint32_t v)
{
	memcpy(info, &v, 4);
	return 4;
}

static uint32_t put64(uint8_t *info, uint64_t v)
{
	memcpy(info, &v, 8);
	return 8;
}

void rndis_offload_caps(const struct rndis *r, struct ndis_offload *o, bool current)
{
	const struct rndis_caps *c = &r->caps;
	const struct rndis_offload *on = &r->offload;
	bool tx4 = c->tx_csum, tx6 = c->tx_csum, rx = c->rx_csum;

	memset(o, 0, sizeof(*o));
	o->header.type = NDIS_OBJECT_TYPE_OFFLOAD;
	o->csum.ip4_txenc = o->csum.ip4_rxenc = NDIS_OFFLOAD_ENCAP_8023;
	o->csum.ip6_txenc = o->csum.ip6_rxenc = NDIS_OFFLOAD_ENCAP_8023;
	if (tx4 && (!current || on->tx_tcp4))
		o->csum.ip4_txcsum |= NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT;
	if (tx4 && (!current || on->tx_udp4))
		o->csum.ip4_txcsum |= NDIS_TXCSUM_CAP_UDP4;
	if (c->tx_ip4 && (!current || on->tx_ip4))
		o->csum.ip4_txcsum |= NDIS_TXCSUM_CAP_IP4 | NDIS_TXCSUM_CAP_IP4OPT;
	if (tx6 && (!current || on->tx_tcp6))
		o->csum.ip6_txcsum |= NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6OPT | NDIS_TXCSUM_CAP_IP6EXT;
	if (tx6 && (!current || on->tx_udp6))
		o->csum.ip6_txcsum |= NDIS_TXCSUM_CAP_UDP6 | NDIS_TXCSUM_CAP_IP6EXT;
	if (rx && (!current || on->rx_tcp4))
		o->csum.ip4_rxcsum |= NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT;
	if (rx && (!current || on->rx_udp4))
		o->csum.ip4_rxcsum |= NDIS_TXCSUM_CAP_UDP4;
	if (rx && (!current || on->rx_ip4))
		o->csum.ip4_rxcsum |= NDIS_TXCSUM_CAP_IP4 | NDIS_TXCSUM_CAP_IP4OPT;
	if (rx && (!current || on->rx_tcp6))
		o->csum.ip6_rxcsum |= NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6OPT | NDIS_TXCSUM_CAP_IP6EXT;
	if (rx && (!current || on->rx_udp6))
		o->csum.ip6_rxcsum |= NDIS_TXCSUM_CAP_UDP6 | NDIS_TXCSUM_CAP_IP6EXT;
	if (c->lso && (!current || on->lso4)) {
		o->lsov2.ip4_encap = NDIS_OFFLOAD_ENCAP_8023;
		o->lsov2.ip4_maxsz = c->lso_max;
		o->lsov2.ip4_minsg = 2;
	}
	if (c->lso && (!current || on->lso6)) {
		o->lsov2.ip6_encap = NDIS_OFFLOAD_ENCAP_8023;
		o->lsov2.ip6_maxsz = c->lso_max;
		o->lsov2.ip6_minsg = 2;
		o->lsov2.ip6_opts = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;
	}
	/* The revision follows the guest's NDIS: 6.30 knows RSC, 6.1 IPsec v2. */
	if (ndis_at_least(r, 6, 30)) {
		o->header.revision = NDIS_OFFLOAD_REVISION_3;
		o->header.size = NDIS_OFFLOAD_SIZE;
		o->rsc.ip4 = c->rsc && (!current || on->rsc4);
		o->rsc.ip6 = c->rsc && (!current || on->rsc6);
	} else if (ndis_at_least(r, 6, 1)) {
		o->header.revision = NDIS_OFFLOAD_REVISION_2;
		o->header.size = NDIS_OFFLOAD_SIZE_6_1;
	} else {
		o->header.revision = NDIS_OFFLOAD_REVISION_1;
		o->header.size = NDIS_OFFLOAD_SIZE_6_0;
	}
}

static uint32_t query_supported_list(const struct rndis *r, uint8_t *info)
{
	uint32_t n = 0;

	memcpy(info, oids_common, sizeof(oids_common));
	n += sizeof(oids_common);
	if (r->ndis_major >= 6) {
		memcpy(info + n, oids_ndis6, sizeof(oids_ndis6));
		n += sizeof(oids_ndis6);
	}
	if (ndis_at_least(r, 6, 30)) {
		memcpy(info + n, oids_ndis630, sizeof(oids_ndis630));
		n += sizeof(oids_ndis630);
	}
	return n;
}

static uint32_t put_utf16(uint8_t *info, const char *s, uint32_t bytes)
{
	memset(info, 0, bytes);
	for (uint32_t i = 0; s[i] && 2 * i + 2 < bytes; i++)
		info[2 * i] = (uint8_t)s[i];
	return bytes;
}

/* The answer's bytes in info (room for RNDIS_REPLY_MAX - 24), or a failure status. */
static uint32_t query_oid(struct rndis *r, uint32_t oid, uint8_t *info, uint32_t *status)
{
	const struct rndis_counters zero = { 0 }, *c = r->counters ? r->counters : &zero;

	*status = RNDIS_STATUS_SUCCESS;
	switch (oid) {
	case OID_GEN_SUPPORTED_LIST:
		return query_supported_list(r, info);
	case OID_GEN_HARDWARE_STATUS:
	case OID_GEN_MEDIA_SUPPORTED:
	case OID_GEN_MEDIA_IN_USE:
	case OID_802_3_MAXIMUM_LIST_SIZE:
	case OID_802_3_RCV_ERROR_ALIGNMENT:
	case OID_802_3_XMIT_ONE_COLLISION:
	case OID_802_3_XMIT_MORE_COLLISIONS:
		return put32(info, 0);
	case OID_GEN_MAXIMUM_LOOKAHEAD:
	case OID_GEN_CURRENT_LOOKAHEAD:
	case OID_GEN_MAXIMUM_FRAME_SIZE:
		return put32(info, r->mtu - 14);
	case OID_GEN_MAXIMUM_TOTAL_SIZE:
	case OID_GEN_TRANSMIT_BLOCK_SIZE:
	case OID_GEN_RECEIVE_BLOCK_SIZE:
		return put32(info, r->mtu);
	case OID_GEN_LINK_SPEED:	/* in units of 100 bit/s */
		return put32(info, r->link_speed / 100 > UINT32_MAX ? UINT32_MAX : (uint32_t)(r->link_speed / 100));
	case OID_GEN_TRANSMIT_BUFFER_SPACE:
	case OID_GEN_RECEIVE_BUFFER_SPACE:
		return put32(info, 256 * 1024);
	case OID_GEN_VENDOR_ID:		/* the first bytes of Microsoft's MAC prefix */
		return put32(info, 0x0000155d);
	case OID_GEN_VENDOR_DESCRIPTION:
		memcpy(info, "Microsoft Corporation", 22);
		return 22;
	case OID_GEN_VENDOR_DRIVER_VERSION:
	case OID_GEN_DRIVER_VERSION:
		info[0] = 0x00;
		info[1] = 0x01;
		return 2;
	case OID_GEN_CURRENT_PACKET_FILTER:
		return put32(info, r->filter);
	case OID_GEN_MAC_OPTIONS:
		return put32(info, 0x1 | 0x4 | 0x8 | 0x40 | 0x200);	/* OpenVMM's, as vmswitch */
	case OID_GEN_MEDIA_CONNECT_STATUS:
		return put32(info, r->link_up ? RNDIS_MEDIA_STATE_CONNECTED : RNDIS_MEDIA_STATE_DISCONNECTED);
	case OID_GEN_MAXIMUM_SEND_PACKETS:
		return put32(info, UINT32_MAX);
	case OID_GEN_FRIENDLY_NAME:
		/* Hyper-V's default name, which Linux does not turn into an alias. */
		return put_utf16(info, "Network Adapter", 512);
	case OID_GEN_XMIT_OK:
		return put64(info, c->tx_packets);
	case OID_GEN_RCV_OK:
		return put64(info, c->rx_packets);
	case OID_GEN_XMIT_ERROR:
		return put64(info, c->tx_errors);
	case OID_GEN_RCV_ERROR:
		return put64(info, c->rx_errors);
	case OID_GEN_RCV_NO_BUFFER:
		return put64(info, c->rx_no_buffer);
	case OID_GEN_BYTES_XMIT:
		return put64(info, c->tx_bytes);
	case OID_GEN_BYTES_RCV:
		return put64(info, c->rx_bytes);
	case OID_802_3_PERMANENT_ADDRESS:
		memcpy(info, r->perm_mac, 6);
		return 6;
	case OID_802_3_CURRENT_ADDRESS:
		memcpy(info, r->mac, 6);
		return 6;
	case OID_GEN_LINK_STATE: {
		struct ndis_link_state s = {
			.header = { NDIS_OBJECT_TYPE_DEFAULT, 1, sizeof(s) },
			.media_connect_state = r->link_up ? 1 : 2,
			.xmit_link_speed = r->link_speed,
			.rcv_link_speed = r->link_speed,
		};

		memcpy(info, &s, sizeof(s));
		return sizeof(s);
	}
	case OID_GEN_MAX_LINK_SPEED:
		put64(info, r->link_speed);
		return 8 + put64(info + 8, r->link_speed);
	case OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
	case OID_TCP_OFFLOAD_CURRENT_CONFIG: {
		struct ndis_offload o;

		rndis_offload_caps(r, &o, oid == OID_TCP_OFFLOAD_CURRENT_CONFIG);
		memcpy(info, &o, o.header.size);
		return o.header.size;
	}
	case OID_OFFLOAD_ENCAPSULATION: {
		struct ndis_offload_encapsulation e = {
			.header = { NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION, 1, sizeof(e) },
			.ipv4_enabled = NDIS_OFFLOAD_SET_ON,
			.ipv4_encapsulation_type = NDIS_ENCAPSULATION_IEEE_802_3,
			.ipv4_header_size = 14,
			.ipv6_enabled = NDIS_OFFLOAD_SET_ON,
			.ipv6_encapsulation_type = NDIS_ENCAPSULATION_IEEE_802_3,
			.ipv6_header_size = 14,
		};

		memcpy(info, &e, sizeof(e));
		return sizeof(e);
	}
	case OID_GEN_RECEIVE_SCALE_CAPABILITIES: {
		struct ndis_recv_scale_cap cap = {
			.hdr = { NDIS_OBJECT_TYPE_RSS_CAPABILITIES, 2, sizeof(cap) },
			.cap_flag = NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 |
				    NDIS_HASH_FUNC_TOEPLITZ,
			.num_int_msg = 1,
			.num_recv_que = r->max_queues ? r->max_queues : 1,
			/* Never 0, even with one queue: DPDK takes 0 badly (OpenVMM). */
			.num_indirect_tabent = RNDIS_TABLE_DEFAULT,
		};

		memcpy(info, &cap, sizeof(cap));
		return sizeof(cap);
	}
	default:
		*status = RNDIS_STATUS_NOT_SUPPORTED;
		return 0;
	}
}

/* ---- sets ------------------------------------------------------------------------ */

/* NDIS tri-state checksum setting: 0 no change, 1..4 as NDIS_OFFLOAD_PARAMETERS_*. */
static int set_csum(uint8_t v, bool cap, bool *tx, bool *rx, bool rx_cap)
{
	switch (v) {
	case NDIS_OFFLOAD_PARAMETERS_NO_CHANGE: return 0;
	case NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED: *tx = false; *rx = false; return 0;
	case NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED: *tx = cap; *rx = false; return 0;
	case NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED: *tx = false; *rx = rx_cap; return 0;
	case NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED: *tx = cap; *rx = rx_cap; return 0;
	default: return -1;
	}
}

static int set_onoff(uint8_t v, bool cap, bool *on)
{
	switch (v) {
	case NDIS_OFFLOAD_PARAMETERS_NO_CHANGE: return 0;
	case NDIS_OFFLOAD_PARAMETERS_DISABLED: *on = false; return 0;
	case NDIS_OFFLOAD_PARAMETERS_ENABLED: *on = cap; return 0;
	default: return -1;
	}
}

static uint32_t set_offload_params(struct rndis *r, const uint8_t *info, uint32_t len)
{
	struct ndis_offload_params p;
	struct rndis_offload o = r->offload;
	const struct rndis_caps *c = &r->caps;
	int bad = 0;

	memset(&p, 0, sizeof(p));
	if (len < NDIS_OFFLOAD_PARAMETERS_SIZE_1)
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&p, info, len < sizeof(p) ? len : sizeof(p));
	if (p.header.type != NDIS_OBJECT_TYPE_DEFAULT || p.header.revision < 1 ||
	    p.header.size < NDIS_OFFLOAD_PARAMETERS_SIZE_1 || p.header.size > len)
		return RNDIS_STATUS_INVALID_DATA;
	/* Fields beyond the size the guest declared are not there. */
	if (p.header.size < sizeof(p))
		memset((uint8_t *)&p + p.header.size, 0, sizeof(p) - p.header.size);
	if (p.lso_v1 == NDIS_OFFLOAD_PARAMETERS_ENABLED)
		return RNDIS_STATUS_NOT_SUPPORTED;
	bad |= set_csum(p.ip_v4_csum, c->tx_ip4, &o.tx_ip4, &o.rx_ip4, c->rx_csum);
	bad |= set_csum(p.tcp_ip_v4_csum, c->tx_csum, &o.tx_tcp4, &o.rx_tcp4, c->rx_csum);
	bad |= set_csum(p.udp_ip_v4_csum, c->tx_csum, &o.tx_udp4, &o.rx_udp4, c->rx_csum);
	bad |= set_csum(p.tcp_ip_v6_csum, c->tx_csum, &o.tx_tcp6, &o.rx_tcp6, c->rx_csum);
	bad |= set_csum(p.udp_ip_v6_csum, c->tx_csum, &o.tx_udp6, &o.rx_udp6, c->rx_csum);
	bad |= set_onoff(p.lso_v2_ipv4, c->lso, &o.lso4);
	bad |= set_onoff(p.lso_v2_ipv6, c->lso, &o.lso6);
	bad |= set_onoff(p.rsc_ip_v4, c->rsc, &o.rsc4);
	bad |= set_onoff(p.rsc_ip_v6, c->rsc, &o.rsc6);
	if (bad)
		return RNDIS_STATUS_INVALID_DATA;
	r->offload = o;
	r->changed |= RNDIS_CHANGED_OFFLOAD;
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t set_offload_encap(const uint8_t *info, uint32_t len)
{
	struct ndis_offload_encapsulation e;

	if (len < sizeof(e))
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&e, info, sizeof(e));
	if (e.header.type != NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION || e.header.revision < 1 ||
	    e.header.size < sizeof(e) || e.header.size > len)
		return RNDIS_STATUS_INVALID_DATA;
	if ((e.ipv4_enabled == NDIS_OFFLOAD_SET_ON &&
	     (e.ipv4_encapsulation_type != NDIS_ENCAPSULATION_IEEE_802_3 || e.ipv4_header_size != 14)) ||
	    (e.ipv6_enabled == NDIS_OFFLOAD_SET_ON &&
	     (e.ipv6_encapsulation_type != NDIS_ENCAPSULATION_IEEE_802_3 || e.ipv6_header_size != 14)))
		return RNDIS_STATUS_NOT_SUPPORTED;
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t set_rss(struct rndis *r, const uint8_t *info, uint32_t len)
{
	struct ndis_recv_scale_param p;
	struct rndis_rss rss = r->rss;

	/* Like vmswitch, no check of the object header: Linux and Windows differ. */
	if (len < sizeof(p))
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&p, info, sizeof(p));
	if ((p.flag & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) ||
	    (!(p.flag & NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED) && !(p.hashinfo & NDIS_HASH_FUNC_MASK))) {
		memset(&r->rss, 0, sizeof(r->rss));
		r->changed |= RNDIS_CHANGED_RSS;
		return RNDIS_STATUS_SUCCESS;
	}
	if (!(p.flag & NDIS_RSS_PARAM_FLAG_HASH_INFO_UNCHANGED)) {
		if ((p.hashinfo & NDIS_HASH_FUNC_MASK) != NDIS_HASH_FUNC_TOEPLITZ)
			return RNDIS_STATUS_INVALID_DATA;
		rss.hashinfo = p.hashinfo;
	}
	if (!(p.flag & NDIS_RSS_PARAM_FLAG_HASH_KEY_UNCHANGED)) {
		if (p.hashkey_size != NDIS_RSS_KEY_SIZE || p.hashkey_offset > len ||
		    len - p.hashkey_offset < NDIS_RSS_KEY_SIZE)
			return RNDIS_STATUS_INVALID_DATA;
		memcpy(rss.key, info + p.hashkey_offset, NDIS_RSS_KEY_SIZE);
	}
	if (!(p.flag & NDIS_RSS_PARAM_FLAG_ITABLE_UNCHANGED)) {
		unsigned n = p.indirect_tabsize / 4;

		if (p.indirect_tabsize % 4 || n == 0 || n > NDIS_RSS_TABLE_MAX || p.indirect_taboffset > len ||
		    len - p.indirect_taboffset < p.indirect_tabsize)
			return RNDIS_STATUS_INVALID_DATA;
		for (unsigned i = 0; i < n; i++) {
			uint32_t q;

			memcpy(&q, info + p.indirect_taboffset + 4 * i, 4);
			if (q >= (r->max_queues ? r->max_queues : 1))
				return RNDIS_STATUS_INVALID_DATA;
			rss.table[i] = (uint16_t)q;
		}
		rss.entries = n;
	}
	/* Everything marked unchanged must have been set before. */
	if (!rss.entries || !(rss.hashinfo & NDIS_HASH_FUNC_MASK))
		return RNDIS_STATUS_INVALID_DATA;
	rss.enabled = true;
	r->rss = rss;
	r->changed |= RNDIS_CHANGED_RSS;
	return RNDIS_STATUS_SUCCESS;
}

/* UTF-16LE of ASCII text, compared without case. */
static bool utf16_is(const uint8_t *s, uint32_t bytes, const char *ascii)
{
	size_t n = strlen(ascii);

	if (bytes != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[2 * i];

		if (s[2 * i + 1] || (c | 0x20) != (ascii[i] | 0x20))
			return false;
	}
	return true;
}

/* "NetworkAddress": 12 hex digits, separators '-' or ':' allowed between bytes. */
static uint32_t set_network_address(struct rndis *r, const uint8_t *v, uint32_t bytes)
{
	uint8_t mac[6];
	unsigned nd = 0;

	for (uint32_t i = 0; i + 1 < bytes; i += 2) {
		int h;

		if (v[i + 1])
			return RNDIS_STATUS_INVALID_DATA;
		if ((v[i] == '-' || v[i] == ':') && nd % 2 == 0 && nd)
			continue;
		if (v[i] == 0)
			break;
		h = util_hex_digit(v[i]);
		if (h < 0 || nd >= 12)
			return RNDIS_STATUS_INVALID_DATA;
		if (nd % 2 == 0)
			mac[nd / 2] = (uint8_t)(h << 4);
		else
			mac[nd / 2] |= (uint8_t)h;
		nd++;
	}
	if (nd != 12 || (mac[0] & 1))
		return RNDIS_STATUS_INVALID_DATA;
	memcpy(r->mac, mac, 6);
	r->changed |= RNDIS_CHANGED_MAC;
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t set_config_parameter(struct rndis *r, const uint8_t *info, uint32_t len)
{
	struct rndis_config_parameter_info p;
	const uint8_t *name, *val;
	struct rndis_offload o = r->offload;
	unsigned digit;
	bool tx, rx;

	if (len < sizeof(p))
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&p, info, sizeof(p));
	if (p.parameter_name_length > 255 * 2 || p.parameter_value_length > 255 * 2 ||
	    p.parameter_name_offset > len || len - p.parameter_name_offset < p.parameter_name_length ||
	    p.parameter_value_offset > len || len - p.parameter_value_offset < p.parameter_value_length)
		return RNDIS_STATUS_INVALID_DATA;
	name = info + p.parameter_name_offset;
	val = info + p.parameter_value_offset;
	if (p.parameter_type != RNDIS_CONFIG_PARAM_TYPE_STRING)
		return RNDIS_STATUS_SUCCESS;	/* integers: accepted, as vmswitch */
	if (utf16_is(name, p.parameter_name_length, "NetworkAddress"))
		return set_network_address(r, val, p.parameter_value_length);
	/* Windows' offload keywords: the first digit says bit 0 TX, bit 1 RX. */
	if (p.parameter_value_length < 2 || val[1] || val[0] < '0' || val[0] > '9')
		return RNDIS_STATUS_SUCCESS;
	digit = val[0] - '0';
	tx = digit & 1;
	rx = digit & 2;
	if (utf16_is(name, p.parameter_name_length, "*IPChecksumOffloadIPv4")) {
		o.tx_ip4 = tx && r->caps.tx_ip4;
		o.rx_ip4 = rx && r->caps.rx_csum;
	} else if (utf16_is(name, p.parameter_name_length, "*TCPChecksumOffloadIPv4")) {
		o.tx_tcp4 = tx && r->caps.tx_csum;
		o.rx_tcp4 = rx && r->caps.rx_csum;
	} else if (utf16_is(name, p.parameter_name_length, "*TCPChecksumOffloadIPv6")) {
		o.tx_tcp6 = tx && r->caps.tx_csum;
		o.rx_tcp6 = rx && r->caps.rx_csum;
	} else if (utf16_is(name, p.parameter_name_length, "*UDPChecksumOffloadIPv4")) {
		o.tx_udp4 = tx && r->caps.tx_csum;
		o.rx_udp4 = rx && r->caps.rx_csum;
	} else if (utf16_is(name, p.parameter_name_length, "*UDPChecksumOffloadIPv6")) {
		o.tx_udp6 = tx && r->caps.tx_csum;
		o.rx_udp6 = rx && r->caps.rx_csum;
	} else if (utf16_is(name, p.parameter_name_length, "*LsoV2IPv4")) {
		o.lso4 = digit && r->caps.lso;
	} else if (utf16_is(name, p.parameter_name_length, "*LsoV2IPv6")) {
		o.lso6 = digit && r->caps.lso;
	} else {
		return RNDIS_STATUS_SUCCESS;
	}
	r->offload = o;
	r->changed |= RNDIS_CHANGED_OFFLOAD;
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t set_oid(struct rndis *r, uint32_t oid, const uint8_t *info, uint32_t len)
{
	switch (oid) {
	case OID_GEN_CURRENT_PACKET_FILTER:
		if (len < 4)
			return RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&r->filter, info, 4);
		r->changed |= RNDIS_CHANGED_FILTER;
		return RNDIS_STATUS_SUCCESS;
	case OID_TCP_OFFLOAD_PARAMETERS:
		return set_offload_params(r, info, len);
	case OID_OFFLOAD_ENCAPSULATION:
		return set_offload_encap(info, len);
	case OID_GEN_RECEIVE_SCALE_PARAMETERS:
		return set_rss(r, info, len);
	case OID_GEN_RNDIS_CONFIG_PARAMETER:
		return set_config_parameter(r, info, len);
	case OID_GEN_NETWORK_LAYER_ADDRESSES:
	case OID_802_3_MULTICAST_LIST:
		/* Multicast frames pass by the filter's multicast bits alone. */
		return RNDIS_STATUS_SUCCESS;
	default:
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
}

/* ---- messages -------------------------------------------------------------------- */

static uint32_t status_reply(uint32_t type, uint32_t req_id, uint32_t status, void *out)
{
	struct rndis_status_complete c = {
		.msg_type = type, .msg_len = sizeof(c), .req_id = req_id, .status = status,
	};

	memcpy(out, &c, sizeof(c));
	return sizeof(c);
}

static uint32_t handle_query(struct rndis *r, const uint8_t *m, uint32_t len, uint8_t *out)
{
	struct rndis_query_request q;
	struct rndis_query_complete c = { .msg_type = RNDIS_MSG_QUERY_C };
	uint32_t n = 0;

	memcpy(&q, m, len < sizeof(q) ? len : sizeof(q));
	c.req_id = q.req_id;
	if (len < sizeof(q)) {
		c.status = RNDIS_STATUS_INVALID_LENGTH;
		r->bad++;
	} else if (q.info_buflen && (q.info_buf_offset > len - 8 || len - 8 - q.info_buf_offset < q.info_buflen)) {
		/* The input buffer (an NDIS header for some OIDs) lies outside the message. */
		c.status = RNDIS_STATUS_INVALID_DATA;
		r->bad++;
	} else {
		uint32_t status;

		n = query_oid(r, q.oid, out + sizeof(c), &status);
		c.status = status;
	}
	c.info_buflen = n;
	c.info_buf_offset = n ? sizeof(c) - 8 : 0;
	c.msg_len = sizeof(c) + n;
	memcpy(out, &c, sizeof(c));
	return c.msg_len;
}

static uint32_t handle_set(struct rndis *r, const uint8_t *m, uint32_t len, uint8_t *out)
{
	struct rndis_query_request s;
	uint32_t status;

	memcpy(&s, m, len < sizeof(s) ? len : sizeof(s));
	if (len < sizeof(s)) {
		status = RNDIS_STATUS_INVALID_LENGTH;
	} else if (s.info_buf_offset > len - 8 || len - 8 - s.info_buf_offset < s.info_buflen) {
		status = RNDIS_STATUS_INVALID_DATA;
	} else {
		status = set_oid(r, s.oid, m + 8 + s.info_buf_offset, s.info_buflen);
	}
	if (status == RNDIS_STATUS_INVALID_LENGTH || status == RNDIS_STATUS_INVALID_DATA)
		r->bad++;
	return status_reply(RNDIS_MSG_SET_C, s.req_id, status, out);
}

uint32_t rndis_control(struct rndis *r, const void *msg, uint32_t len, void *out)
{
	const uint8_t *m = msg;
	struct rndis_msg_header h;
	uint32_t req_id;

	if (len < 12) {
		r->bad++;
		return 0;
	}
	memcpy(&h, m, sizeof(h));
	memcpy(&req_id, m + 8, 4);
	switch (h.msg_type) {
	case RNDIS_MSG_INIT: {
		struct rndis_initialize_complete c = {
			.msg_type = RNDIS_MSG_INIT_C,
			.msg_len = sizeof(c),
			.req_id = req_id,
			.status = RNDIS_STATUS_SUCCESS,
			.major_ver = RNDIS_MAJOR_VERSION,
			.minor_ver = RNDIS_MINOR_VERSION,
			.dev_flags = RNDIS_DF_CONNECTIONLESS,
			.medium = RNDIS_MEDIUM_802_3,
			.max_pkt_per_msg = RNDIS_MAX_PKT_PER_MSG,
			.max_xfer_size = 0xefffffff,
			.pkt_alignment_factor = RNDIS_ALIGN_FACTOR,
		};

		/* Any version works: the guests all speak 1.0. A second INITIALIZE
		 * (after a HALT) starts the adapter over. */
		if (r->initialized)
			rndis_reset(r);
		r->initialized = true;
		r->changed |= RNDIS_CHANGED_INIT;
		memcpy(out, &c, sizeof(c));
		return sizeof(c);
	}
	case RNDIS_MSG_QUERY:
		return handle_query(r, m, len, out);
	case RNDIS_MSG_SET:
		return handle_set(r, m, len, out);
	case RNDIS_MSG_SET_EX:
		return status_reply(RNDIS_MSG_SET_EX_C, req_id, RNDIS_STATUS_NOT_SUPPORTED, out);
	case RNDIS_MSG_KEEPALIVE:
		return status_reply(RNDIS_MSG_KEEPALIVE_C, req_id, RNDIS_STATUS_SUCCESS, out);
	case RNDIS_MSG_RESET: {
		/* Nothing is queued that a reset would drop; addresses stay. */
		struct rndis_reset_complete c = { .msg_type = RNDIS_MSG_RESET_C, .msg_len = sizeof(c) };

		memcpy(out, &c, sizeof(c));
		return sizeof(c);
	}
	case RNDIS_MSG_HALT:
		/* No answer exists; the guest then waits for its sends to complete. */
		r->halted = true;
		r->changed |= RNDIS_CHANGED_HALT;
		return 0;
	case RNDIS_MSG_INDICATE:
		return 0;
	default:
		r->bad++;
		return 0;
	}
}

uint32_t rndis_indicate(uint32_t status, void *out)
{
	struct rndis_indicate_status s = {
		.msg_type = RNDIS_MSG_INDICATE, .msg_len = sizeof(s), .status = status,
	};

	memcpy(out, &s, sizeof(s));
	return sizeof(s);
}

bool rndis_filter_accepts(const struct rndis *r, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (r->halted || !r->filter)
		return false;
	if (r->filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	if (!memcmp(dst, bcast, 6))
		return r->filter & RNDIS_PACKET_TYPE_BROADCAST;
	if (dst[0] & 1)
		return r->filter & (RNDIS_PACKET_TYPE_MULTICAST | RNDIS_PACKET_TYPE_ALL_MULTICAST);
	/* The permanent address too: a guest that changed its address and then
	 * rebooted uses the permanent one again without telling. */
	return (r->filter & RNDIS_PACKET_TYPE_DIRECTED) && (!memcmp(dst, r->mac, 6) || !memcmp(dst, r->perm_mac, 6));
}
