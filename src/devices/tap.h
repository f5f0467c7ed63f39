/* SPDX-License-Identifier: MIT */
/*
 * The tap back end of the synthetic NIC: a Linux tap interface opened with a
 * virtio-net header in front of every frame (IFF_VNET_HDR), so that checksum and
 * segmentation offloads cross it in both directions. One queue: hvkvm steers received
 * frames to the guest's channels itself (netvsp.c), so the kernel's own queue
 * selection would add nothing.
 *
 * Frames are read and written with readv/writev on a non-blocking fd that the event
 * loop watches. A unit test may hand in any fd that keeps datagram boundaries (a
 * SOCK_SEQPACKET socketpair): each datagram is a virtio-net header and one frame.
 */
#ifndef HVKVM_TAP_H
#define HVKVM_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct virtio_net_hdr_v1 (12 bytes), little-endian on x86. */
struct tap_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

#define TAP_VNET_HDR_LEN	12
#define TAP_VNET_NEEDS_CSUM	1
#define TAP_VNET_DATA_VALID	2
#define TAP_VNET_GSO_NONE	0
#define TAP_VNET_GSO_TCPV4	1
#define TAP_VNET_GSO_UDP	3
#define TAP_VNET_GSO_TCPV6	4
#define TAP_VNET_GSO_ECN	0x80

/* TUNSETOFFLOAD: what the kernel may hand hvkvm without finishing it first. */
#define TAP_OFFLOAD_CSUM	0x01
#define TAP_OFFLOAD_TSO4	0x02
#define TAP_OFFLOAD_TSO6	0x04
#define TAP_OFFLOAD_TSO_ECN	0x08

_Static_assert(sizeof(struct tap_vnet_hdr) == TAP_VNET_HDR_LEN, "virtio-net header");

struct tap {
	int fd;
	char name[IF_NAMESIZE];
	bool is_tap;		/* false: a test's socket, no ioctls */
	bool created;		/* hvkvm created the interface; it goes with hvkvm */
	unsigned offload;	/* TAP_OFFLOAD_* in force */
};

/*
 * Open tap `name` (non-blocking), creating it if it does not exist and hvkvm may;
 * an interface hvkvm creates gets mtu (if non-zero) and is brought up. On failure a
 * negative errno and the reason in err, which the caller prefixes with the name.
 */
int tap_open(struct tap *t, const char *name, unsigned mtu, char *err, size_t errlen);
/* Use fd (a test's socket) as the tap; the tap owns it from now on. */
void tap_open_fd(struct tap *t, int fd);
void tap_close(struct tap *t);
/* TUNSETOFFLOAD; 0 or a negative errno. A test's socket takes anything. */
int tap_set_offload(struct tap *t, unsigned flags);

#endif
