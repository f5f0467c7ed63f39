/* SPDX-License-Identifier: MIT */
/*
 * Receive-side scaling as NDIS defines it: the Toeplitz hash of a frame's addresses
 * (and TCP ports), by the hash types the guest enabled. The guest's indirection table
 * then maps the hash to one of its receive queues.
 */
#ifndef HVKVM_RSS_H
#define HVKVM_RSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSS_KEY_SIZE	40
#define RSS_HDR_MAX	128	/* frame bytes rss_hash_frame may look at */

/* Toeplitz over len bytes (at most 36) with a 40-byte key. */
uint32_t rss_toeplitz(const uint8_t key[RSS_KEY_SIZE], const uint8_t *data, size_t len);

/*
 * The hash of an Ethernet frame (its first len bytes) by hashinfo (NDIS_HASH_*): the
 * 4-tuple for TCP over IPv4/IPv6 when that type is on, else the address pair when the
 * IP version's type is on. False if no enabled type applies (the frame then goes to
 * the first queue, unhashed).
 */
bool rss_hash_frame(const uint8_t key[RSS_KEY_SIZE], uint32_t hashinfo, const uint8_t *frame, size_t len,
		    uint32_t *hash);

#endif
