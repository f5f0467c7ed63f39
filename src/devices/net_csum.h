/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums (RFC 1071) of received frames: finishing a checksum the host's
 * kernel left to the device (virtio-net NEEDS_CSUM: the sum from csum_start to the end
 * of the frame, stored at csum_start + csum_offset), and where a frame's IP and TCP/UDP
 * headers are, to tell the guest which checksums hold. NetVSC has no way to say
 * "checksum not finished": a guest that checks one itself (a DHCP client on a raw
 * socket) must find it done. Pure functions over caller memory, no I/O.
 */
#ifndef HVKVM_NET_CSUM_H
#define HVKVM_NET_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define NET_CSUM_TCP	6
#define NET_CSUM_UDP	17

/*
 * The ones' complement sum of len bytes as big-endian 16-bit words (an odd last byte
 * is the high half of a word), added to sum unfolded. Chains while the total stays
 * under 16 GiB.
 */
uint64_t net_csum_add(uint64_t sum, const uint8_t *p, size_t len);

/* A sum folded to 16 bits (not inverted). */
uint16_t net_csum_fold(uint64_t sum);

/*
 * Finish the checksum of a frame of len bytes held in iov[0..niov) in order: the sum
 * of bytes [start, len) (the field holds the pseudo-header's sum), inverted, stored
 * big-endian at start + offset (0 becomes 0xffff, which UDP requires). The field must
 * lie in [start, len) and the frame in the iovecs; else -EINVAL and nothing is read
 * or written outside them or changed.
 */
int net_csum_complete(const struct iovec *iov, unsigned niov, size_t len, size_t start, size_t offset);

/* An Ethernet frame's IP and transport headers, as far as its first len bytes show. */
struct net_csum_frame {
	unsigned ip;		/* 4 or 6; 0: neither */
	bool ip4_hdr_ok;	/* IPv4: the header's checksum is right */
	uint8_t l4;		/* NET_CSUM_TCP or NET_CSUM_UDP; 0: other, an IPv4 fragment,
				 * or IPv6 extension headers first */
	uint32_t l4_off;	/* where its TCP or UDP header starts */
};

/* One 802.1Q tag at most; IPv6 only with TCP or UDP as its next header. */
void net_csum_parse(const uint8_t *f, size_t len, struct net_csum_frame *out);

/* The checksum field's offset in a TCP or UDP header (16 or 6); 0 for other protocols. */
static inline uint32_t net_csum_l4_field(uint8_t l4)
{
	return l4 == NET_CSUM_TCP ? 16 : l4 == NET_CSUM_UDP ? 6 : 0;
}

#endif
