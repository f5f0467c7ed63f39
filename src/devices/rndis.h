/* SPDX-License-Identifier: MIT */
/*
 * The RNDIS control plane of the synthetic NIC: INITIALIZE, QUERY, SET, RESET,
 * KEEPALIVE and HALT, the OIDs Linux's hv_netvsc and Windows' netvsc.sys use, and
 * the status indications the host sends. It knows nothing of VMBus: the caller hands
 * it one message copied out of guest memory and sends the reply it builds. The
 * guest's settings (filter, offloads, RSS, MAC) land in struct rndis, with a bit in
 * `changed` for each kind the caller must act on.
 */
#ifndef HVKVM_RNDIS_H
#define HVKVM_RNDIS_H

#include <stdbool.h>
#include <stdint.h>

#include "rndis_proto.h"

#define RNDIS_MAX_PKT_PER_MSG	8	/* frames the guest may batch in one send */
#define RNDIS_ALIGN_FACTOR	3	/* and their alignment: 1 << 3 */
#define RNDIS_MIN_MTU		1514	/* NDIS frame sizes (MTU + 14), as Hyper-V */
#define RNDIS_MAX_MTU		9216
#define RNDIS_REPLY_MAX		1024	/* no reply is longer */
#define RNDIS_TABLE_DEFAULT	128	/* receive indirection table entries offered */

/* What the guest turned on (OID_TCP_OFFLOAD_PARAMETERS, config keywords). */
struct rndis_offload {
	bool tx_ip4, tx_tcp4, tx_udp4, tx_tcp6, tx_udp6;
	bool rx_ip4, rx_tcp4, rx_udp4, rx_tcp6, rx_udp6;
	bool lso4, lso6;
	bool rsc4, rsc6;
};

/* What the host can do; a guest setting beyond it is masked off. */
struct rndis_caps {
	bool tx_csum;		/* TCP/UDP checksums, both IP versions */
	bool tx_ip4;		/* IPv4 header checksum */
	bool lso;		/* LSOv2, both IP versions */
	uint32_t lso_max;	/* bytes */
	bool rx_csum;
	bool rsc;		/* receive segment coalescing, both IP versions */
};

struct rndis_rss {
	bool enabled;
	uint32_t hashinfo;	/* NDIS_HASH_* */
	uint8_t key[NDIS_RSS_KEY_SIZE];
	uint16_t table[NDIS_RSS_TABLE_MAX];
	unsigned entries;	/* 1..NDIS_RSS_TABLE_MAX (hashes index it modulo), 0 while disabled */
};

struct rndis_counters {
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes, tx_errors, rx_errors, rx_no_buffer;
};

enum {
	RNDIS_CHANGED_FILTER = 1u << 0,
	RNDIS_CHANGED_OFFLOAD = 1u << 1,
	RNDIS_CHANGED_RSS = 1u << 2,
	RNDIS_CHANGED_MAC = 1u << 3,
	RNDIS_CHANGED_HALT = 1u << 4,
	RNDIS_CHANGED_INIT = 1u << 5,
};

struct rndis {
	/* The device's, set before the guest speaks. */
	uint8_t perm_mac[6];
	uint32_t mtu;			/* NDIS frame size: MTU + 14, from NDIS_CONFIG */
	uint32_t ndis_major, ndis_minor;	/* from NVSP SEND_NDIS_VER */
	unsigned max_queues;		/* receive queues vRSS may spread over */
	bool link_up;
	uint64_t link_speed;		/* bits per second */
	struct rndis_caps caps;
	const struct rndis_counters *counters;

	/* The guest's. */
	bool initialized, halted;
	uint8_t mac[6];			/* current address */
	uint32_t filter;
	struct rndis_offload offload;
	struct rndis_rss rss;
	unsigned changed;		/* RNDIS_CHANGED_*, cleared by the caller */
	uint64_t bad;			/* malformed requests */
};

/* Guest state back to power-on (a new NVSP session); the device's fields and the
 * current address stay. */
void rndis_reset(struct rndis *r);

/*
 * Handle one control message (msg_len bytes, copied out of guest memory). Writes the
 * reply into out (room for RNDIS_REPLY_MAX bytes) and returns its length, or 0 when
 * the message has no reply (HALT, INDICATE_STATUS, or too short to carry a request
 * id, which a driver never sends).
 */
uint32_t rndis_control(struct rndis *r, const void *msg, uint32_t len, void *out);

/* An INDICATE_STATUS message for status (MEDIA_CONNECT, ...) without a buffer. */
uint32_t rndis_indicate(uint32_t status, void *out);

/* Whether a frame with this destination passes the guest's packet filter. */
bool rndis_filter_accepts(const struct rndis *r, const uint8_t *dst);

/* The NDIS offload structure for what caps allow (capabilities) or what is on. */
void rndis_offload_caps(const struct rndis *r, struct ndis_offload *o, bool current);

#endif
