/* SPDX-License-Identifier: MIT */
/*
 * A network back end: where the synthetic NIC's frames go and come from (a tap
 * interface, a test's socket). The device holds a struct net_backend * and never
 * knows which one it has.
 *
 * Every frame crosses with a virtio-net header in front of it (struct net_vnet_hdr),
 * so that checksum and segmentation offloads cross in both directions: the device
 * fills it for frames it sends, and reads it for frames it receives (NEEDS_CSUM: a
 * partial checksum to finish or leave to an offloading guest; GSO: one large TCP
 * frame to cut or hand on).
 *
 * Receiving is driven by the event loop: the back end's fd turns readable when
 * frames wait, and the device calls net_backend_recv() until it says -EAGAIN.
 * Everything runs on the loop thread.
 */
#ifndef HVKVM_NET_BACKEND_H
#define HVKVM_NET_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* struct virtio_net_hdr_v1 (12 bytes), little-endian on x86. */
struct net_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

#define NET_VNET_HDR_LEN	12
#define NET_VNET_NEEDS_CSUM	1
#define NET_VNET_DATA_VALID	2
#define NET_VNET_GSO_NONE	0
#define NET_VNET_GSO_TCPV4	1
#define NET_VNET_GSO_UDP	3
#define NET_VNET_GSO_TCPV6	4
#define NET_VNET_GSO_ECN	0x80

_Static_assert(sizeof(struct net_vnet_hdr) == NET_VNET_HDR_LEN, "virtio-net header");

/* Receive offloads: what the back end may hand the device without finishing it
 * first (the values of Linux's TUN_F_*). */
#define NET_OFFLOAD_CSUM	0x01
#define NET_OFFLOAD_TSO4	0x02
#define NET_OFFLOAD_TSO6	0x04
#define NET_OFFLOAD_TSO_ECN	0x08

struct net_backend;

struct net_backend_ops {
	/* One frame, header first, never blocking: bytes taken, or -errno (-EAGAIN: the
	 * host queue is full and the frame is dropped). */
	ssize_t (*send)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* One frame, header first, into iov (a frame longer than iov is cut): its length,
	 * 0 when the back end is gone for good, or -errno (-EAGAIN: nothing waits). */
	ssize_t (*recv)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Receive offloads (NET_OFFLOAD_*) from now on; 0 or -errno. */
	int (*set_offload)(struct net_backend *be, unsigned flags);
	/* Frees be and what it holds. */
	void (*close)(struct net_backend *be);
};

/* Embedded in the back end's own struct. */
struct net_backend {
	const struct net_backend_ops *ops;
	const char *name;	/* for messages: "tap0" */
	int fd;			/* readable when frames wait; the device's loop watches it */
	unsigned offload;	/* NET_OFFLOAD_* in force */
};

static inline ssize_t net_backend_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	return be->ops->send(be, iov, iovcnt);
}

static inline ssize_t net_backend_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	return be->ops->recv(be, iov, iovcnt);
}

static inline int net_backend_set_offload(struct net_backend *be, unsigned flags)
{
	return be->ops->set_offload(be, flags);
}

static inline void net_backend_close(struct net_backend *be)
{
	if (be)
		be->ops->close(be);
}

#endif
