/* SPDX-License-Identifier: MIT */
/*
 * The tap back end of the synthetic NIC (a struct net_backend): a Linux tap interface opened with a
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

#include "net_backend.h"

/* A tap as a network back end: the struct net_backend is its first member. */
struct tap {
	struct net_backend be;
	char name[IF_NAMESIZE];
	bool is_tap;		/* false: a test's socket, no ioctls */
	bool created;		/* hvkvm created the interface; it goes with hvkvm */
};

/*
 * Open tap `name` (non-blocking), creating it if it does not exist and hvkvm may;
 * an interface hvkvm creates gets mtu (if non-zero) and is brought up. On failure a
 * negative errno and the reason in err, which the caller prefixes with the name.
 */
int tap_open(struct net_backend **out, const char *name, unsigned mtu, char *err, size_t errlen);
/* Use fd (a test's socket) as the tap; the tap owns it from now on (closed if this
 * fails: NULL, out of memory). Offloads are taken as asked, without ioctls. */
struct net_backend *tap_open_fd(int fd);

#endif
