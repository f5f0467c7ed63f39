/* SPDX-License-Identifier: MIT */
/*
 * VMBus sockets (src/devices/hvsock.c): the guest's transport connect requests (any
 * ids), the socket channels the host offers for them and for host connects, opened,
 * closed and released in any order, any packets in them (pipe headers of any type and
 * size, other packet types, ends of file and data after them), broken rings; the host
 * side sends, ends, aborts and stalls its connections as the input says. The host
 * must never act on a malformed packet, and must keep its own books: no back-end call
 * for a connection it was told is gone.
 */
#include <errno.h>

#include "fuzz.h"
#include "vmbus_guest.h"
#include "hvsock.h"
#include "loop.h"
#include "vmbus.h"

#define HS_RAM		(16ull << 20)
#define HS_CHANS	8
#define HS_CONNS	16
#define HS_RING_PAGES	6


struct fconn {
	struct hvsock_conn *c;
	bool live, stalled;
};

static struct vg g;
static struct vg_chan chans[HS_CHANS];
static unsigned nchans;
static struct fconn conns[HS_CONNS];
static bool refuse;
static struct hvsock *hs;
static uint8_t buf[HVSOCK_MTU + 128];

static struct fconn *new_conn(struct hvsock_conn *c)
{
	for (unsigned k = 0; k < HS_CONNS; k++) {
		if (!conns[k].live) {
			conns[k] = (struct fconn){ .c = c, .live = true };
			return &conns[k];
		}
	}
	return NULL;
}

static int be_connect(void *opaque, struct hvsock_conn *c, uint32_t host_port, uint32_t guest_port, void **conn)
{
	struct fconn *f;

	(void)opaque, (void)host_port, (void)guest_port;
	if (refuse || !(f = new_conn(c)))
		return -ECONNREFUSED;
	*conn = f;
	return 0;
}

static void check_live(void *conn)
{
	struct fconn *f = conn;

	FZ_CHECK(f >= conns && f < conns + HS_CONNS && f->live, "a call for a connection that is gone");
}

static void be_established(void *conn)
{
	check_live(conn);
}

static size_t be_rx(void *conn, const uint8_t *b, size_t len)
{
	struct fconn *f = conn;

	check_live(conn);
	FZ_CHECK(len > 0 && len <= HVSOCK_MTU, "rx of %zu bytes", len);
	(void)b[len - 1];
	return f->stalled ? 0 : len;
}

static void be_rx_eof(void *conn)
{
	check_live(conn);
}

static void be_tx_ready(void *conn)
{
	check_live(conn);
}

static void be_closed(void *conn)
{
	struct fconn *f = conn;

	check_live(conn);
	f->live = false;
	f->c = NULL;
}

static const struct hvsock_backend ops = {
	.connect = be_connect,
	.established = be_established,
	.rx = be_rx,
	.rx_eof = be_rx_eof,
	.tx_ready = be_tx_ready,
	.closed = be_closed,
};

/* Each new offer takes the next channel slot (a relid offered again reuses its slot). */
static void on_msg(struct vg *gu, const union vg_msg *m, uint32_t len)
{
	(void)gu;
	if (len < sizeof(m->offer) || m->h.msgtype != CHANNELMSG_OFFERCHANNEL)
		return;
	for (unsigned k = 0; k < nchans; k++) {
		if (chans[k].relid == m->offer.child_relid) {
			memset(&chans[k], 0, sizeof(chans[k]));
			chans[k].relid = m->offer.child_relid;
			chans[k].conn_id = m->offer.connection_id;
			return;
		}
	}
	if (nchans < HS_CHANS) {
		chans[nchans].relid = m->offer.child_relid;
		chans[nchans].conn_id = m->offer.connection_id;
		nchans++;
	}
}

static struct vg_chan *pick_chan(struct fz *in)
{
	uint8_t k = fz_u8(in);

	return nchans ? &chans[k % nchans] : NULL;
}

static struct fconn *pick_conn(struct fz *in)
{
	struct fconn *f = &conns[fz_u8(in) % HS_CONNS];

	return f->live ? f : NULL;
}

static void op_connect(struct fz *in)
{
	struct vmbus_msg_tl_connect_request m = { .header.msgtype = CHANNELMSG_TL_CONNECT_REQUEST };
	uint32_t gp = fz_u32(in), hp = fz_u32(in);
	uint8_t mangle = fz_u8(in);

	hvsock_port_guid(gp, &m.guest_endpoint_id);
	hvsock_port_guid(hp, &m.host_service_id);
	if (mangle & 0x80)
		((uint8_t *)&m)[8 + mangle % 32] ^= (uint8_t)(mangle | 1);
	vg_post_raw(&g, 0, g.msg_conn, &m, sizeof(m) - (mangle & 0x40 ? 1 : 0));
}

static void op_packet(struct fz *in)
{
	struct vg_chan *c = pick_chan(in);
	uint16_t type = fz_u16(in);
	struct hvsock_pipe_hdr h = { .pkt_type = fz_u32(in), .data_size = fz_u32(in) };
	uint16_t len = fz_u16(in) % (HVSOCK_MTU + 32);

	struct vmbus_packet_desc d = { .offset8 = 2 };

	fz_bytes(in, buf + sizeof(d) + sizeof(h), len);
	/* Mostly in-band pipe packets, as hv_sock sends. */
	d.type = type & 0x8000 ? VM_PKT_DATA_INBAND : type;
	d.len8 = (uint16_t)((sizeof(d) + sizeof(h) + len + 7) / 8);
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + sizeof(d), &h, sizeof(h));
	/* No checks on the guest's side: the input may have broken its own ring. */
	if (c && c->open && vg_chan_put(c, buf, (uint32_t)(sizeof(d) + sizeof(h)) + len) == 0)
		vg_signal_conn(&g, c->conn_id, false);
}

static void op_host_send(struct fz *in)
{
	struct fconn *f = pick_conn(in);
	uint16_t len = fz_u16(in);
	static uint8_t data[65536];

	if (f)
		hvsock_conn_send(f->c, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };

	fuzz_quiet_logs();
	memset(chans, 0, sizeof(chans));
	memset(conns, 0, sizeof(conns));
	nchans = 0;
	refuse = false;
	fuzz_guest_init(&g, HS_RAM, 1);
	g.on_msg = on_msg;
	hs = hvsock_new(g.bus, g.loop, &ops, NULL);
	FZ_CHECK(hs, "hvsock_new");
	fuzz_guest_connect(&g);

	while (in.n) {
		struct vg_chan *c;
		struct fconn *f;

		switch (fz_u8(&in) % HS_OP_COUNT) {
		case HS_OP_CONNECT: op_connect(&in); break;
		case HS_OP_OPEN:
			c = pick_chan(&in);
			if (c)
				vg_chan_open(&g, c, FZ_RING_GPA(c - chans), HS_RING_PAGES, 0);
			break;
		case HS_OP_PACKET: op_packet(&in); break;
		case HS_OP_CONSUME:
			c = pick_chan(&in);
			if (c && c->open)
				vg_chan_consume(c, 256);
			break;
		case HS_OP_CLOSE:
			c = pick_chan(&in);
			if (c && c->open)
				vg_chan_close(&g, c);
			break;
		case HS_OP_RELEASE:
			c = pick_chan(&in);
			if (c && c->relid)
				vg_send_relid(&g, CHANNELMSG_RELID_RELEASED, c->relid);
			break;
		case HS_OP_RING_CTL:
			c = pick_chan(&in);
			if (c && c->open)
				fuzz_ring_ctl(c, &in);
			break;
		case HS_OP_HOST_SEND: op_host_send(&in); break;
		case HS_OP_HOST_SHUTDOWN:
			if ((f = pick_conn(&in)))
				hvsock_conn_shutdown(f->c);
			break;
		case HS_OP_HOST_CLOSE:
			if ((f = pick_conn(&in))) {
				hvsock_conn_close(f->c);
				f->live = false;
				f->c = NULL;
			}
			break;
		case HS_OP_HOST_STALL:
			f = pick_conn(&in);
			{
				bool on = fz_u8(&in) & 1;

				if (f) {
					f->stalled = on;
					if (!on)
						hvsock_conn_rx_ready(f->c);
				}
			}
			break;
		case HS_OP_HOST_CONNECT: {
			uint32_t port = fz_u32(&in), hp;
			struct fconn *nf = new_conn(NULL);
			struct hvsock_conn *hc;

			if (nf) {
				if (hvsock_connect_guest(hs, port, nf, &hc, &hp) == 0)
					nf->c = hc;
				else
					nf->live = false;
			}
			break;
		}
		case HS_OP_REFUSE: refuse = fz_u8(&in) & 1; break;
		}
		vg_settle(&g);
	}
	vg_stop(&g);
	hvsock_free(hs);
	vg_destroy(&g);
	return 0;
}
