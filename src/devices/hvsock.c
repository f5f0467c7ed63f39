/* SPDX-License-Identifier: MIT */
/* VMBus sockets: one channel a connection (see hvsock.h). */
#include "hvsock.h"
#include "guid.h"
#include "log.h"
#include "loop.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 00000000-facb-11e6-bd58-64006a7986d3 as VMBus carries it: the port replaces the
 * first four bytes. */
static const uint8_t srv_id_template[16] = {
	0x00, 0x00, 0x00, 0x00, 0xcb, 0xfa, 0xe6, 0x11,
	0xbd, 0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3,
};

#define HVSOCK_HDR_LEN	(sizeof(struct vmbus_packet_desc) + sizeof(struct hvsock_pipe_hdr))
#define HVSOCK_PKT_MAX	(HVSOCK_HDR_LEN + HVSOCK_MTU)
/* Guest bytes gathered from several packets before the back end gets them in one call:
 * a guest sends about 4 KiB per packet. */
#define HVSOCK_PEND_MAX	(4 * HVSOCK_MTU)
/* The pipe mode word, then the pipe's own bytes: the first says who connected. */
#define HVSOCK_USER_DEF_FROM_HOST	4
/* Host endpoints of host-initiated connections are taken from here up. */
#define HVSOCK_HOST_PORT_FIRST		0x40000000u

struct hvsock_conn {
	struct hvsock *hs;
	struct hvsock_conn *next;
	struct vmbus_device *dev;	/* NULL once rescinded */
	struct vmbus_channel *ch;	/* while the guest has it open */
	void *be;			/* the back end's */
	struct vmbus_guid type, instance;
	bool from_host;
	bool opened;			/* the guest opened it once */
	bool fin_rcvd;			/* the guest's end arrived ... */
	bool eof_told;			/* ... and the back end heard it, after the data */
	bool fin_wanted, fin_sent;	/* the host's end */
	bool tx_blocked;		/* send took less: tx_ready owed */
	bool finishing;			/* going: rescind and tell the back end */
	bool be_gone;			/* the back end closed it: tell it nothing */
	uint64_t deadline_ns;		/* not opened by then: gone */
	uint8_t *pend;			/* guest bytes the back end did not take yet (HVSOCK_PEND_MAX) */
	uint32_t pend_off, pend_len;
};

struct hvsock {
	struct vmbus *bus;
	struct loop *loop;
	const struct hvsock_backend *be;
	void *opaque;
	struct loop_timer *timer;
	struct hvsock_conn *conns;
	unsigned nconns;
	uint64_t open_timeout_ns;
	uint32_t next_host_port;
	uint8_t pkt[HVSOCK_PKT_MAX];
	struct log_ratelimit bad_rl;
};

void hvsock_port_guid(uint32_t port, struct vmbus_guid *g)
{
	memcpy(g->b, srv_id_template, sizeof(g->b));
	g->b[0] = (uint8_t)port;
	g->b[1] = (uint8_t)(port >> 8);
	g->b[2] = (uint8_t)(port >> 16);
	g->b[3] = (uint8_t)(port >> 24);
}

bool hvsock_guid_port(const struct vmbus_guid *g, uint32_t *port)
{
	if (memcmp(g->b + 4, srv_id_template + 4, sizeof(g->b) - 4))
		return false;
	*port = (uint32_t)g->b[0] | (uint32_t)g->b[1] << 8 | (uint32_t)g->b[2] << 16 | (uint32_t)g->b[3] << 24;
	return true;
}

/* ---- the timer: open deadlines and connections going ----------------------------- */

static void schedule(struct hvsock *hs)
{
	uint64_t now = loop_now_ns(), next = UINT64_MAX;

	for (struct hvsock_conn *c = hs->conns; c; c = c->next) {
		if (c->finishing) {
			next = now;
			break;
		}
		if (!c->opened && c->deadline_ns < next)
			next = c->deadline_ns;
	}
	if (next == UINT64_MAX)
		loop_timer_disarm(hs->timer);
	else
		loop_timer_arm(hs->timer, next > now ? next - now : 1, 0);
}

/* Called from anywhere, callbacks of the bus included: the work happens on the timer. */
static void conn_finish_later(struct hvsock_conn *c)
{
	if (c->finishing)
		return;
	c->finishing = true;
	schedule(c->hs);
}

static void conn_free(struct hvsock_conn *c)
{
	struct hvsock *hs = c->hs;

	for (struct hvsock_conn **pp = &hs->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	hs->nconns--;
	free(c->pend);
	free(c);
}

static void conn_finish(struct hvsock_conn *c)
{
	struct hvsock *hs = c->hs;

	if (c->dev) {
		struct vmbus_device *dev = c->dev;

		/* The close callback may run inside: it finds dev gone and does nothing. */
		c->dev = NULL;
		vmbus_device_remove(dev);
	}
	c->ch = NULL;
	if (!c->be_gone)
		hs->be->closed(c->be);
	conn_free(c);
}

static void on_timer(void *opaque)
{
	struct hvsock *hs = opaque;
	uint64_t now = loop_now_ns();
	struct hvsock_conn *c = hs->conns;

	while (c) {
		struct hvsock_conn *next = c->next;

		if (!c->finishing && !c->opened && c->deadline_ns <= now) {
			log_debug("hvsock: the guest did not open the connection to port %02x%02x%02x%02x in time",
				  c->type.b[3], c->type.b[2], c->type.b[1], c->type.b[0]);
			c->finishing = true;
		}
		if (c->finishing)
			conn_finish(c);
		c = next;
	}
	schedule(hs);
}

/* ---- host to guest --------------------------------------------------------------- */

static int send_pkt(struct hvsock_conn *c, const uint8_t *buf, uint32_t len)
{
	struct hvsock_pipe_hdr h = { .pkt_type = HVSOCK_PIPE_DATA, .data_size = len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)buf, len } };

	return vmbus_chan_send(c->ch, VM_PKT_DATA_INBAND, 0, 0, iov, len ? 2 : 1);
}

static void conn_maybe_done(struct hvsock_conn *c)
{
	if (c->fin_sent && c->eof_told)
		conn_finish_later(c);
}

static void try_fin(struct hvsock_conn *c)
{
	if (!c->fin_wanted || c->fin_sent || !c->ch || c->finishing)
		return;
	if (send_pkt(c, NULL, 0) == 0) {
		c->fin_sent = true;
		conn_maybe_done(c);
	}
}

size_t hvsock_conn_send(struct hvsock_conn *c, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	uint32_t max;

	if (!c->ch || c->finishing || c->fin_wanted)
		return 0;
	/* The largest payload the guest's ring ever takes, at most the MTU. */
	max = vmbus_chan_send_max(c->ch);
	max = max > HVSOCK_HDR_LEN ? max - (uint32_t)HVSOCK_HDR_LEN : 0;
	if (max > HVSOCK_MTU)
		max = HVSOCK_MTU;
	vmbus_chan_send_hold(c->ch);
	while (done < len && max) {
		uint32_t want = len - done > max ? max : (uint32_t)(len - done);
		uint32_t room = vmbus_chan_send_room(c->ch);
		uint32_t n = want;
		int r;

		/* Less room than this packet wants: what fits, if that is worth a packet;
		 * else the full packet, which waits for the guest to make room for it. */
		room = room > HVSOCK_HDR_LEN ? room - (uint32_t)HVSOCK_HDR_LEN : 0;
		if (room < want && room >= (want < HVSOCK_SEND_CHUNK ? want : HVSOCK_SEND_CHUNK))
			n = room;
		r = send_pkt(c, buf + done, n);
		if (r < 0) {
			c->tx_blocked = true;
			break;
		}
		done += n;
	}
	/* The channel may have failed meanwhile (c->ch is still the channel). */
	vmbus_chan_send_flush(c->ch);
	return done;
}

void hvsock_conn_shutdown(struct hvsock_conn *c)
{
	c->fin_wanted = true;
	try_fin(c);
}

void hvsock_conn_close(struct hvsock_conn *c)
{
	c->be_gone = true;
	conn_finish_later(c);
}

void hvsock_conn_rx_ready(struct hvsock_conn *c)
{
	if (c->ch && !c->finishing)
		vmbus_chan_kick(c->ch);
}

/* ---- guest to host --------------------------------------------------------------- */

/* Hand held guest bytes and a held end to the back end: true when nothing is held. */
static bool deliver(struct hvsock_conn *c)
{
	struct hvsock *hs = c->hs;

	while (c->pend_len) {
		size_t n = hs->be->rx(c->be, c->pend + c->pend_off, c->pend_len);

		if (c->finishing)
			return false;
		if (n > c->pend_len)
			n = c->pend_len;
		if (n == 0)
			return false;
		c->pend_off += (uint32_t)n;
		c->pend_len -= (uint32_t)n;
	}
	c->pend_off = 0;
	if (c->fin_rcvd && !c->eof_told) {
		c->eof_told = true;
		hs->be->rx_eof(c->be);
		conn_maybe_done(c);
	}
	return true;
}

static bool conn_fail(struct hvsock_conn *c, const char *why)
{
	vmbus_chan_fail(c->ch, why);
	c->ch = NULL;
	conn_finish_later(c);
	return false;
}

/* One packet, copied out of the ring, its payload added to what is held (the caller
 * leaves room for HVSOCK_MTU bytes): false when the channel failed. */
static bool handle_pkt(struct hvsock_conn *c, const uint8_t *pkt, uint32_t len)
{
	struct vmbus_packet_desc d;
	struct hvsock_pipe_hdr h;
	uint32_t off;

	if (len < sizeof(d))
		return conn_fail(c, "socket packet shorter than its descriptor");
	memcpy(&d, pkt, sizeof(d));
	off = (uint32_t)d.offset8 * 8;
	if (d.type != VM_PKT_DATA_INBAND)
		return conn_fail(c, "socket packet not in-band");
	if (off < sizeof(d) || off > len || len - off < sizeof(h))
		return conn_fail(c, "socket packet without a pipe header");
	memcpy(&h, pkt + off, sizeof(h));
	if (h.pkt_type != HVSOCK_PIPE_DATA)
		return conn_fail(c, "socket packet of an unknown pipe type");
	if (h.data_size > len - off - sizeof(h) || h.data_size > HVSOCK_MTU)
		return conn_fail(c, "socket packet payload larger than the packet");
	if (c->fin_rcvd)
		return conn_fail(c, "socket data after the guest ended its side");
	if (h.data_size == 0) {
		c->fin_rcvd = true;
		return true;
	}
	if (!c->pend) {
		c->pend = malloc(HVSOCK_PEND_MAX);
		if (!c->pend)
			return conn_fail(c, "out of memory");
	}
	memcpy(c->pend + c->pend_off + c->pend_len, pkt + off + sizeof(h), h.data_size);
	c->pend_len += h.data_size;
	return true;
}

/* ---- the channel ----------------------------------------------------------------- */

static int conn_open(struct vmbus_channel *ch, void *opaque)
{
	struct hvsock_conn *c = opaque;

	if (c->finishing || c->opened || vmbus_chan_subchannel(ch))
		return -EINVAL;
	c->ch = ch;
	c->opened = true;
	c->hs->be->established(c->be);
	/* The back end may have data waiting already. */
	if (!c->finishing && !c->be_gone)
		c->hs->be->tx_ready(c->be);
	schedule(c->hs);
	return 0;
}

static void conn_close(struct vmbus_channel *ch, void *opaque)
{
	struct hvsock_conn *c = opaque;

	(void)ch;
	c->ch = NULL;
	/* The guest closed its end (or the bus went): the connection cannot go on. */
	if (c->dev)
		conn_finish_later(c);
}

static bool conn_notify(struct vmbus_channel *ch, void *opaque)
{
	struct hvsock_conn *c = opaque;
	struct hvsock *hs = c->hs;

	/* Going: leave the ring as it is (and masked); it is rescinded soon. Saying
	 * "drained" over a ring that is not would have the bus call again at once. */
	if (c->finishing || c->ch != ch)
		return false;
	/* Room in the guest's ring for what the host holds back. */
	if (c->fin_wanted && !c->fin_sent)
		try_fin(c);
	if (c->tx_blocked && !c->fin_wanted) {
		c->tx_blocked = false;
		hs->be->tx_ready(c->be);
		if (c->finishing || !c->ch)
			return false;
	}
	for (;;) {
		uint32_t len;
		int r;

		/* Packets' payloads are gathered until no other fits, the ring is empty
		 * or the guest ended its side; then the back end takes them at once. */
		if ((c->fin_rcvd || c->pend_off + c->pend_len > HVSOCK_PEND_MAX - HVSOCK_MTU) &&
		    !deliver(c))
			goto backend_full;
		r = vmbus_chan_recv(ch, hs->pkt, sizeof(hs->pkt), &len);
		if (r == -EAGAIN)
			break;
		if (r == -EMSGSIZE) {
			conn_fail(c, "socket packet larger than 16 KiB of payload");
			return true;
		}
		if (r < 0) {
			c->ch = NULL;
			conn_finish_later(c);
			return true;
		}
		if (!handle_pkt(c, hs->pkt, len))
			return true;
	}
	if (!deliver(c))
		goto backend_full;
	vmbus_chan_recv_done(ch);
	return true;

backend_full:
	/* The back end is full (the device waits for hvsock_conn_rx_ready), or the
	 * connection is going. */
	if (!c->finishing && c->ch)
		vmbus_chan_recv_done(ch);
	return false;
}

static const struct vmbus_dev_ops conn_ops = {
	.open = conn_open,
	.close = conn_close,
	.notify = conn_notify,
};

static bool pair_in_use(struct hvsock *hs, const struct vmbus_guid *type, const struct vmbus_guid *instance)
{
	for (struct hvsock_conn *c = hs->conns; c; c = c->next)
		if (vmbus_guid_equal(&c->type, type) && vmbus_guid_equal(&c->instance, instance))
			return true;
	return false;
}

static struct hvsock_conn *conn_alloc(struct hvsock *hs, const struct vmbus_guid *type,
				      const struct vmbus_guid *instance, bool from_host)
{
	struct hvsock_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->hs = hs;
	c->type = *type;
	c->instance = *instance;
	c->from_host = from_host;
	return c;
}

/* Offer c's channel; it joins the live connections. */
static int conn_offer(struct hvsock_conn *c)
{
	struct hvsock *hs = c->hs;
	struct vmbus_offer o = {
		.class_id = c->type,
		.instance_id = c->instance,
		.chn_flags = VMBUS_CHANNEL_TLNPI_PROVIDER_OFFER | VMBUS_CHANNEL_NAMED_PIPE_MODE,
		.max_pkt = HVSOCK_PKT_MAX,
		.name = "hvsock",
	};

	/* Pipe mode 0 (bytes), then whether the host connected. */
	o.user_def[HVSOCK_USER_DEF_FROM_HOST] = c->from_host;
	c->deadline_ns = loop_now_ns() + hs->open_timeout_ns;
	c->dev = vmbus_device_add(hs->bus, &o, &conn_ops, c);
	if (!c->dev)
		return -ENOMEM;
	c->next = hs->conns;
	hs->conns = c;
	hs->nconns++;
	schedule(hs);
	return 0;
}

int hvsock_connect_guest(struct hvsock *hs, uint32_t guest_port, void *conn, struct hvsock_conn **c,
			 uint32_t *host_port)
{
	struct vmbus_guid type, instance;
	uint32_t port = 0;

	if (hs->nconns >= HVSOCK_MAX_CONNS)
		return -EAGAIN;
	if (!vmbus_version(hs->bus))
		return -ENOTCONN;
	hvsock_port_guid(guest_port, &type);
	for (unsigned tries = 0; tries <= HVSOCK_MAX_CONNS; tries++) {
		port = hs->next_host_port++;
		if (hs->next_host_port == UINT32_MAX)
			hs->next_host_port = HVSOCK_HOST_PORT_FIRST;
		hvsock_port_guid(port, &instance);
		if (!pair_in_use(hs, &type, &instance))
			break;
	}
	*c = conn_alloc(hs, &type, &instance, true);
	if (!*c)
		return -ENOMEM;
	(*c)->be = conn;
	if (conn_offer(*c) < 0) {
		free(*c);
		*c = NULL;
		return -ENOMEM;
	}
	*host_port = port;
	return 0;
}

/* CHANNELMSG_TL_CONNECT_REQUEST: everything in it is the guest's. */
static void on_tl_connect(void *opaque, const struct vmbus_guid *guest_endpoint,
			  const struct vmbus_guid *host_service)
{
	struct hvsock *hs = opaque;
	uint32_t gport, hport;
	struct hvsock_conn *c;
	void *be = NULL;
	int r;

	if (!hvsock_guid_port(guest_endpoint, &gport) || !hvsock_guid_port(host_service, &hport)) {
		log_warn_limited(&hs->bad_rl, "hvsock: a guest connect request for a service not of a port, dropped");
		return;
	}
	if (hs->nconns >= HVSOCK_MAX_CONNS || pair_in_use(hs, host_service, guest_endpoint)) {
		log_warn_limited(&hs->bad_rl, "hvsock: guest port %u to host port %u: %s, dropped", gport, hport,
				 hs->nconns >= HVSOCK_MAX_CONNS ? "too many connections" : "already connected");
		return;
	}
	c = conn_alloc(hs, host_service, guest_endpoint, false);
	if (!c)
		return;
	r = hs->be->connect(hs->opaque, c, hport, gport, &be);
	if (r < 0) {
		log_debug("hvsock: guest port %u to host port %u refused: %s", gport, hport, strerror(-r));
		free(c);
		return;
	}
	c->be = be;
	if (conn_offer(c) < 0) {
		log_warn("hvsock: guest port %u to host port %u: no channel for it", gport, hport);
		hs->be->closed(be);
		free(c);
	}
}

struct hvsock *hvsock_new(struct vmbus *bus, struct loop *loop, const struct hvsock_backend *be, void *opaque)
{
	struct hvsock *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->bus = bus;
	hs->loop = loop;
	hs->be = be;
	hs->opaque = opaque;
	hs->open_timeout_ns = HVSOCK_OPEN_TIMEOUT_MS * 1000000ull;
	hs->next_host_port = HVSOCK_HOST_PORT_FIRST;
	hs->timer = loop_timer_new(loop, on_timer, hs);
	if (!hs->timer) {
		free(hs);
		return NULL;
	}
	vmbus_set_tl_connect(bus, on_tl_connect, hs);
	return hs;
}

void hvsock_set_open_timeout(struct hvsock *hs, unsigned ms)
{
	hs->open_timeout_ns = ms * 1000000ull;
}

void hvsock_free(struct hvsock *hs)
{
	if (!hs)
		return;
	while (hs->conns)
		conn_free(hs->conns);
	loop_timer_free(hs->timer);
	free(hs);
}
