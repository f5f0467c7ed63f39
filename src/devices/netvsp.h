/* SPDX-License-Identifier: MIT */
/*
 * The synthetic NIC (NetVSP, the host side of NetVSC): NVSP and RNDIS over a VMBus
 * channel and its sub-channels, with a network back end (a tap) behind it. Everything runs on
 * the event-loop thread; call netvsp_set_link() there too (loop_call from others).
 */
#ifndef HVKVM_NETVSP_H
#define HVKVM_NETVSP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vmbus;
struct loop;
struct gmem;
struct net_backend;

#define NETVSP_MAX_QUEUES	8	/* channels, the primary included (Linux uses at most 8) */
#define NETVSP_MIN_MTU		68
#define NETVSP_MAX_MTU		9202	/* frames up to 9216 bytes, as Hyper-V */

struct netvsp_config {
	uint8_t mac[6];
	unsigned mtu;		/* largest guest MTU; the guest starts at min(mtu, 1500) */
	unsigned queues;	/* receive/transmit channels offered, 1..NETVSP_MAX_QUEUES */
	unsigned index;		/* NIC number: part of the VMBus instance id */
};

struct netvsp_stats {
	uint64_t tx_packets, tx_bytes;	/* guest to tap */
	uint64_t rx_packets, rx_bytes;	/* tap to guest */
	uint64_t tx_csum, tx_lso;	/* sends with checksum offload, segmentation offload */
	uint64_t rx_csum, rx_rsc;	/* receives with a verified checksum, coalesced */
	uint64_t tx_drops, rx_drops;	/* malformed, link down, filtered, too big */
	uint64_t tx_errors, rx_errors;	/* the tap refused */
	uint64_t rx_no_buffer;		/* reads stopped: every receive section in use */
	uint64_t rx_ring_full;		/* sends stopped: the guest's ring was full */
	uint64_t tx_writes, rx_reads;	/* tap system calls */
	uint64_t tx_nvsp, rx_xfer;	/* NVSP data packets from the guest, transfer-page packets to it */
	uint64_t ctrl, bad;		/* RNDIS control messages, malformed guest messages */
};

struct netvsp;

/* Offer the NIC on bus. It takes over be on success; on failure be stays the caller's. */
struct netvsp *netvsp_new(struct vmbus *bus, struct loop *loop, const struct gmem *mem, struct net_backend *be,
			  const struct netvsp_config *cfg);
/* After the bus is gone (its channels closed); closes the back end. */
void netvsp_free(struct netvsp *n);
/* Hot-unplug: rescind the offer (the guest's driver lets go; its channels close now,
 * through the device's close); netvsp_free() follows at once. */
void netvsp_remove(struct netvsp *n);

/* Cable in or out: the guest sees a media connect/disconnect indication. */
void netvsp_set_link(struct netvsp *n, bool up);
bool netvsp_link(const struct netvsp *n);
/* The VMBus instance GUID of NIC number index, in the text form (lower case) Linux shows
 * in /sys/class/net/IF/device/device_id (there within braces). */
void netvsp_instance_id(unsigned index, char out[37]);
void netvsp_get_stats(const struct netvsp *n, struct netvsp_stats *s);
void netvsp_print_stats(const struct netvsp *n, FILE *out);

#endif
