/* SPDX-License-Identifier: MIT */
/*
 * VMBus sockets (Hyper-V sockets, Linux's hv_sock under AF_VSOCK): every connection is
 * a channel of its own. A guest socket connecting to host port P posts a transport
 * connect request naming its own endpoint and the host's service; the host answers by
 * offering a socket channel whose type is the service and whose instance is the
 * guest's endpoint. The host connects to a guest listener on port P by offering a
 * channel whose type is P's service and whose instance is a host endpoint, with the
 * "connection from the host" byte set. A port is the first four bytes (little endian)
 * of a service id; the other twelve are those of 00000000-facb-11e6-bd58-64006a7986d3.
 *
 * On the channel each packet is an in-band packet holding a pipe header (type 1, the
 * payload's size) and up to 16 KiB of payload; a packet with no payload ends that
 * direction. Once both directions have ended the host rescinds the channel, which is
 * how the guest learns the connection is gone (and what it waits for before it lets
 * the socket go). A guest that never opens an offered channel (no listener, or its
 * connect gave up) has it rescinded after a timeout.
 *
 * The device knows nothing of the host's end: a back end (struct hvsock_backend)
 * says which host services accept connections and moves the bytes. Everything runs
 * on the loop thread; every byte of the guest's is checked.
 */
#ifndef HVKVM_HVSOCK_H
#define HVKVM_HVSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmbus;
struct loop;
struct hvsock;
struct hvsock_conn;
struct vmbus_guid;

#define HVSOCK_MTU		16384	/* largest payload of one packet (both ways) */
/* The host's packets carry up to HVSOCK_MTU bytes (Linux's hv_sock reads payloads up to
 * 16 KiB, as does the VMBus pipe protocol Windows speaks), as far as the guest's ring
 * takes one: into a ring with less room than that, a packet of what fits is sent if it
 * carries at least this much (a page with its headers), else the host waits. */
#define HVSOCK_SEND_CHUNK	4088
#define HVSOCK_MAX_CONNS	256	/* connections at once (each holds a channel) */
#define HVSOCK_OPEN_TIMEOUT_MS	5000	/* an offered connection the guest did not open goes */
#define HVSOCK_PIPE_DATA	1	/* struct hvsock_pipe_hdr.pkt_type */

/* Before every payload. */
struct hvsock_pipe_hdr {
	uint32_t pkt_type;
	uint32_t data_size;
} __attribute__((packed));

/* The host's end. conn is the back end's per-connection pointer. Callbacks run on the
 * loop thread; none is called after the connection was closed by hvsock_conn_close(). */
struct hvsock_backend {
	/* A guest socket on guest_port connects to host_port: 0 with *conn set to accept
	 * (the channel is offered), or a negative errno to refuse (the guest's connect
	 * then times out: the protocol has no refusal). */
	int (*connect)(void *opaque, struct hvsock_conn *c, uint32_t host_port, uint32_t guest_port,
		       void **conn);
	/* The guest opened the connection's channel: data flows from now on. */
	void (*established)(void *conn);
	/* Bytes from the guest: how many the back end took (0..len). Fewer than len: the
	 * device keeps the rest, reads no more from the guest, and offers it again after
	 * hvsock_conn_rx_ready(). */
	size_t (*rx)(void *conn, const uint8_t *buf, size_t len);
	/* The guest will send nothing more (it shut its side down or closed). */
	void (*rx_eof)(void *conn);
	/* The guest made room after hvsock_conn_send() took less than it was given. */
	void (*tx_ready)(void *conn);
	/* The connection is gone (both sides ended it, the guest never opened it, the guest
	 * reset or broke the protocol): the back end drops it; c is freed after this. */
	void (*closed)(void *conn);
};

struct hvsock *hvsock_new(struct vmbus *bus, struct loop *loop, const struct hvsock_backend *be, void *opaque);
/* After the bus is freed (it closed every channel): frees what is left, calls nothing. */
void hvsock_free(struct hvsock *hs);
/* For tests: how long an offered connection waits for the guest to open it. */
void hvsock_set_open_timeout(struct hvsock *hs, unsigned ms);

/* The host connects to the guest's listener on guest_port: 0 with *c and *host_port
 * (the host's endpoint, unique among live connections), or a negative errno. The back
 * end hears established() when the guest accepts, closed() if it never does. */
int hvsock_connect_guest(struct hvsock *hs, uint32_t guest_port, void *conn, struct hvsock_conn **c,
			 uint32_t *host_port);
/* Bytes to the guest: how many fit now (0 before the guest opened the channel, after
 * hvsock_conn_shutdown, or when its ring is full: tx_ready follows once it has room).
 * Packets of up to HVSOCK_MTU bytes (see HVSOCK_SEND_CHUNK). */
size_t hvsock_conn_send(struct hvsock_conn *c, const uint8_t *buf, size_t len);
/* The host sends nothing more (the guest reads end of file after the data sent). */
void hvsock_conn_shutdown(struct hvsock_conn *c);
/* The back end can take guest data again after rx() took less than it was given. */
void hvsock_conn_rx_ready(struct hvsock_conn *c);
/* Abort the connection (the guest sees it end at once); no callback follows. */
void hvsock_conn_close(struct hvsock_conn *c);

/* Ports and service ids. */
void hvsock_port_guid(uint32_t port, struct vmbus_guid *g);
/* The port of a service id, or false if it is not one of hv_sock's form. */
bool hvsock_guid_port(const struct vmbus_guid *g, uint32_t *port);

#endif
