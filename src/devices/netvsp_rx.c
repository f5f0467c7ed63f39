/* SPDX-License-Identifier: MIT */
/*
 * Tap to guest. Frames are read with readv straight into free sections of the guest's
 * receive buffer, behind room for the RNDIS header and PPIs written afterwards; each
 * frame is steered to a channel (RSS), and a channel's frames go out together in one
 * transfer-page packet, one range per frame. A section is the guest's until it
 * completes the packet. When every section is taken or a channel's ring is full,
 * hvkvm stops reading the tap, whose queue holds the frames meanwhile, and starts
 * again when the guest gives sections back or reads its ring.
 */
#include "netvsp_internal.h"
#include "log.h"
#include "loop.h"
#include "net_csum.h"
#include "rss.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ---- sections ------------------------------------------------------------------------ */

static void reset_batches(struct netvsp *n)
{
	for (unsigned i = 0; i < NETVSP_MAX_QUEUES; i++) {
		struct nv_chan *c = n->chan[i];

		c->nranges = 0;
		c->batch_head = c->batch_tail = SEC_NONE;
		c->rx_full = false;
	}
}

int nv_rx_init(struct netvsp *n, uint32_t section_size, uint32_t count)
{
	struct nv_rxbuf *b = &n->rx;

	memset(b, 0, offsetof(struct nv_rxbuf, size));
	b->size = section_size;
	b->count = count;
	/* A quarter at most for control replies: a tiny buffer still carries data. */
	b->nctrl = count / 4 < NV_CTRL_SECTIONS ? (count / 4 ? count / 4 : 1) : NV_CTRL_SECTIONS;
	b->free = calloc(count, sizeof(*b->free));
	b->cfree = calloc(b->nctrl, sizeof(*b->cfree));
	b->next = calloc(count, sizeof(*b->next));
	b->gen = calloc(count, sizeof(*b->gen));
	b->state = calloc(count, 1);
	b->chan = calloc(count, 1);
	if (!b->free || !b->cfree || !b->next || !b->gen || !b->state || !b->chan) {
		nv_rx_fini(n);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < b->nctrl; i++)
		b->cfree[b->ncfree++] = b->nctrl - 1 - i;
	for (uint32_t i = count; i-- > b->nctrl;)
		b->free[b->nfree++] = i;
	reset_batches(n);
	return 0;
}

void nv_rx_fini(struct netvsp *n)
{
	struct nv_rxbuf *b = &n->rx;

	free(b->free);
	free(b->cfree);
	free(b->next);
	free(b->gen);
	free(b->state);
	free(b->chan);
	b->free = b->cfree = b->next = b->gen = NULL;
	b->state = b->chan = NULL;
	b->nfree = b->ncfree = 0;
	reset_batches(n);
}

static void sec_free(struct nv_rxbuf *b, uint32_t s)
{
	b->state[s] = SEC_FREE;
	if (s < b->nctrl)
		b->cfree[b->ncfree++] = s;
	else
		b->free[b->nfree++] = s;
}

static void chain_free(struct nv_rxbuf *b, uint32_t s)
{
	while (s != SEC_NONE) {
		uint32_t next = b->next[s];

		sec_free(b, s);
		s = next;
	}
}

uint32_t nv_rx_take_ctrl(struct netvsp *n)
{
	struct nv_rxbuf *b = &n->rx;
	uint32_t s;

	if (!b->ncfree)
		return SEC_NONE;
	s = b->cfree[--b->ncfree];
	b->next[s] = SEC_NONE;
	b->state[s] = SEC_HEAD;
	b->chan[s] = 0;
	return s;
}

void nv_rx_put_ctrl(struct netvsp *n, uint32_t s)
{
	sec_free(&n->rx, s);
}

/* A packet's transaction id: its first section, and a generation so that a stale or
 * repeated completion frees nothing. */
uint64_t nv_rx_tid(struct netvsp *n, uint32_t head, uint8_t chan)
{
	struct nv_rxbuf *b = &n->rx;

	b->gen[head]++;
	b->chan[head] = chan;
	return (uint64_t)b->gen[head] << 32 | head;
}

void nv_rx_completion(struct nv_chan *c, uint64_t tid)
{
	struct netvsp *n = c->n;
	struct nv_rxbuf *b = &n->rx;
	uint32_t head = (uint32_t)tid;

	if (!n->have_rx || head >= b->count || b->state[head] != SEC_HEAD || b->chan[head] != c->idx ||
	    b->gen[head] != (uint32_t)(tid >> 32)) {
		nv_bad(n, "completion of a receive packet that is not outstanding");
		return;
	}
	chain_free(b, head);
	if (head < b->nctrl && n->ctrlq)
		nv_ctrl_flush(n);
}

/* ---- transfer-page packets ------------------------------------------------------------ */

int nv_rx_send_xfer(struct nv_chan *c, uint64_t tid, const struct vmbus_xfer_page_range *r, unsigned nr,
		    uint32_t channel_type)
{
	struct netvsp *n = c->n;
	uint8_t pkt[sizeof(struct vmbus_xfer_page_header) + NV_RX_BATCH * sizeof(*r) +
		    sizeof(struct nvsp_msg1_send_rndis_pkt)];
	struct vmbus_xfer_page_header h = {
		.d = {
			.type = VM_PKT_DATA_USING_XFER_PAGES,
			.offset8 = (uint16_t)((sizeof(h) + nr * sizeof(*r)) / 8),
			.len8 = (uint16_t)((sizeof(h) + nr * sizeof(*r) + sizeof(struct nvsp_msg1_send_rndis_pkt)) / 8),
			.flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED,
			.trans_id = tid,
		},
		.xfer_pageset_id = n->rx.id,
		.range_cnt = nr,
	};
	struct nvsp_msg1_send_rndis_pkt m = {
		.msg_type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
		.channel_type = channel_type,
		.send_buf_section_index = NVSP_SECTION_NONE,
	};
	size_t len = 0;
	struct iovec iov;
	int ret;

	memcpy(pkt, &h, sizeof(h));
	len += sizeof(h);
	memcpy(pkt + len, r, nr * sizeof(*r));
	len += nr * sizeof(*r);
	memcpy(pkt + len, &m, sizeof(m));
	len += sizeof(m);
	iov = (struct iovec){ pkt, len };
	ret = vmbus_chan_send_raw(c->ch, &iov, 1);
	if (ret == 0)
		n->stats.rx_xfer++;
	return ret;
}

/* Send the channel's batch; false if its ring is full (it waits for the guest). */
bool nv_rx_flush(struct nv_chan *c)
{
	struct netvsp *n = c->n;
	struct nv_rxbuf *b = &n->rx;
	uint32_t head = c->batch_head;
	int r;

	if (!c->nranges)
		return true;
	r = nv_rx_send_xfer(c, nv_rx_tid(n, head, (uint8_t)c->idx), c->ranges, c->nranges, NVSP_CHANNEL_TYPE_DATA);
	if (r == -EAGAIN) {
		if (!c->rx_full)
			n->stats.rx_ring_full++;
		c->rx_full = true;
		return false;
	}
	if (r < 0)
		chain_free(b, head);	/* the channel is gone */
	else
		b->state[head] = SEC_HEAD;
	c->nranges = 0;
	c->batch_head = c->batch_tail = SEC_NONE;
	c->rx_full = false;
	return true;
}

void nv_rx_chan_close(struct nv_chan *c)
{
	struct netvsp *n = c->n;
	struct nv_rxbuf *b = &n->rx;

	if (!n->have_rx)
		return;
	/* Its batch, and what the guest will never complete now. */
	chain_free(b, c->batch_head);
	c->nranges = 0;
	c->batch_head = c->batch_tail = SEC_NONE;
	c->rx_full = false;
	for (uint32_t s = 0; s < b->count; s++)
		if (b->state[s] == SEC_HEAD && b->chan[s] == c->idx)
			chain_free(b, s);
}

/* ---- reading the tap ------------------------------------------------------------------ */

/* The guest takes frames: buffers, an initialized adapter with a filter, link up. */
static bool rx_accepting(const struct netvsp *n)
{
	return n->have_rx && n->chan[0]->open && n->rndis.initialized && !n->rndis.halted && n->rndis.filter &&
	       n->rndis.link_up;
}

/* Sections one read takes: a whole TSO frame when the tap hands them over. */
static unsigned rx_frags(const struct netvsp *n)
{
	uint32_t cap;

	if (!n->rx_gso || n->rx.size <= NV_RX_HDR + NV_RX_TAIL)
		return 1;
	cap = n->rx.size - NV_RX_HDR - NV_RX_TAIL;
	return NV_MAX_FRAME / cap + 1 <= NV_RX_FRAGS_MAX ? NV_MAX_FRAME / cap + 1 : 1;
}

static bool rx_blocked(const struct netvsp *n)
{
	if (n->rx.nfree < rx_frags(n))
		return true;
	for (unsigned i = 0; i < NETVSP_MAX_QUEUES; i++)
		if (n->chan[i]->open && n->chan[i]->rx_full)
			return true;
	return false;
}

/* Watch the tap unless the guest has no room; frames it does not take are read and
 * dropped, as a NIC without a driver drops them. */
void nv_rx_update(struct netvsp *n)
{
	bool want = !n->tap_dead && !(rx_accepting(n) && rx_blocked(n));

	if (want == n->tap_armed)
		return;
	if (loop_mod_fd(n->loop, n->be->fd, want ? EPOLLIN : 0) == 0)
		n->tap_armed = want;
}

static void ppi_put(uint8_t *p, uint32_t type, uint32_t value)
{
	struct rndis_ppi h = { .size = RNDIS_PPI_SIZE(4), .type = type, .ppi_offset = sizeof(h) };

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &value, 4);
}

/*
 * The checksum PPI for a frame, by what the guest enabled (0: nothing to say), in *info.
 * The kernel verified a DATA_VALID frame; a NEEDS_CSUM frame it made itself and left its
 * checksum to the device: that is finished here, in the frame's iov[0..m), since the
 * guest cannot be told "not finished" and may check it itself. TCP or UDP is vouched for
 * only when its own checksum field is the one finished. -EINVAL if the header's offsets
 * do not fit the frame.
 *
 * A TSO frame reaches the guest as one coalesced segment (RSC), which NDIS lets a device
 * indicate with its TCP checksum not recomputed when it says so (TcpChecksumValueInvalid;
 * the guest's stack does not look at it): summing 64 KiB would cost twice the copy.
 */
static int rx_csum_info(const struct netvsp *n, const struct net_vnet_hdr *vh, const uint8_t *f, uint32_t hl,
			const struct iovec *iov, unsigned m, uint32_t flen, uint32_t *info)
{
	const struct rndis_offload *o = &n->rndis.offload;
	struct net_csum_frame p;
	bool l4_ok, tcp_on, udp_on;

	*info = 0;
	if (!(vh->flags & (NET_VNET_DATA_VALID | NET_VNET_NEEDS_CSUM)))
		return 0;
	net_csum_parse(f, hl, &p);
	tcp_on = p.ip == 4 ? o->rx_tcp4 : o->rx_tcp6;
	udp_on = p.ip == 4 ? o->rx_udp4 : o->rx_udp6;
	if (vh->flags & NET_VNET_NEEDS_CSUM) {
		if (vh->csum_start < 14 || (uint32_t)vh->csum_start + vh->csum_offset + 2 > flen)
			return -EINVAL;
		l4_ok = p.l4 && vh->csum_start == p.l4_off && vh->csum_offset == net_csum_l4_field(p.l4);
		if (l4_ok && p.l4 == NET_CSUM_TCP && tcp_on && vh->gso_type != NET_VNET_GSO_NONE)
			*info |= NDIS_RXCSUM_TCP_VALUE_INVALID;
		else if (net_csum_complete(iov, m, flen, vh->csum_start, vh->csum_offset) < 0)
			return -EINVAL;
	} else {
		l4_ok = p.l4 != 0;
	}
	if (p.ip == 4 && p.ip4_hdr_ok && o->rx_ip4)
		*info |= NDIS_RXCSUM_IP_SUCCEEDED;
	if (l4_ok && p.l4 == NET_CSUM_TCP && tcp_on)
		*info |= NDIS_RXCSUM_TCP_SUCCEEDED;
	else if (l4_ok && p.l4 == NET_CSUM_UDP && udp_on)
		*info |= NDIS_RXCSUM_UDP_SUCCEEDED;
	return 0;
}

/* The receive queue for a frame: the guest's indirection table at its Toeplitz hash. */
static unsigned rx_steer(const struct netvsp *n, const uint8_t *f, uint32_t hl, uint32_t *hash, bool *hashed)
{
	const struct rndis_rss *rss = &n->rndis.rss;
	unsigned q;

	*hashed = false;
	if (!rss->enabled || !rss->entries || !rss_hash_frame(rss->key, rss->hashinfo, f, hl, hash))
		return 0;
	*hashed = true;
	q = rss->table[*hash % rss->entries];
	return q < NETVSP_MAX_QUEUES && n->chan[q]->open ? q : 0;
}

static void batch_add(struct nv_chan *c, uint32_t s)
{
	struct nv_rxbuf *b = &c->n->rx;

	c->ranges[c->nranges++] = (struct vmbus_xfer_page_range){ b->size, s * b->size };
	b->next[s] = SEC_NONE;
	b->state[s] = SEC_BATCHED;
	if (c->batch_tail != SEC_NONE)
		b->next[c->batch_tail] = s;
	else
		c->batch_head = s;
	c->batch_tail = s;
}

static void tap_failed(struct netvsp *n, const char *why)
{
	log_error("netvsp %u: %s %s; receiving stops", n->cfg.index, n->be->name, why);
	n->tap_dead = true;
}

static void secs_free(struct nv_rxbuf *b, const uint32_t *secs, unsigned from, unsigned to)
{
	while (to > from)
		b->free[b->nfree++] = secs[--to];
}

/*
 * One frame into free sections and onto its channel's batch; false to stop reading.
 * A frame longer than a section (a TSO frame from the tap) goes out as consecutive
 * RSC fragments, one section each, which the guest puts back together.
 */
static bool rx_one(struct netvsp *n)
{
	struct nv_rxbuf *b = &n->rx;
	uint32_t cap = b->size - NV_RX_HDR - NV_RX_TAIL, flen, hl, csum, hash = 0, secs[NV_RX_FRAGS_MAX];
	unsigned k = rx_frags(n), m;
	uint8_t hdr[NV_RX_HDR] = { 0 }, f[RSS_HDR_MAX];
	struct iovec iov[1 + NV_RX_FRAGS_MAX];
	struct net_vnet_hdr vh;
	struct nv_chan *c;
	bool hashed;
	ssize_t r;

	iov[0] = (struct iovec){ &vh, sizeof(vh) };
	for (unsigned i = 0; i < k; i++) {
		secs[i] = b->free[--b->nfree];
		iov[1 + i] = (struct iovec){ n->rx.view.base + (size_t)secs[i] * b->size + NV_RX_HDR, cap };
	}
	n->stats.rx_reads++;
	r = net_backend_recv(n->be, iov, (int)k + 1);
	if (r <= 0) {
		secs_free(b, secs, 0, k);
		if (r == 0)
			tap_failed(n, "was closed");
		else if (r != -EAGAIN && r != -EINTR)
			tap_failed(n, strerror((int)-r));
		return false;
	}
	/* Runts, frames larger than the guest takes (a whole read: the tap cut them), and
	 * TSO frames queued before the guest turned coalescing off. */
	if ((size_t)r < sizeof(vh) + 14 || (n->rx_gso && (size_t)r - sizeof(vh) >= (size_t)k * cap) ||
	    (!n->rx_gso && vh.gso_type != NET_VNET_GSO_NONE)) {
		secs_free(b, secs, 0, k);
		n->stats.rx_drops++;
		return true;
	}
	flen = (uint32_t)(r - sizeof(vh));
	m = (flen + cap - 1) / cap;
	secs_free(b, secs, m, k);
	hl = flen < sizeof(f) ? flen : (uint32_t)sizeof(f);
	memcpy(f, iov[1].iov_base, hl);
	if (!rndis_filter_accepts(&n->rndis, f)) {
		secs_free(b, secs, 0, m);
		n->stats.rx_drops++;
		return true;
	}
	if (rx_csum_info(n, &vh, f, hl, iov + 1, m, flen, &csum) < 0) {
		log_debug("netvsp %u: %s: a frame's checksum offsets (%u + %u) do not fit its %u bytes; dropped",
			  n->cfg.index, n->be->name, vh.csum_start, vh.csum_offset, flen);
		secs_free(b, secs, 0, m);
		n->stats.rx_drops++;
		return true;
	}
	c = n->chan[rx_steer(n, f, hl, &hash, &hashed)];
	if (csum)
		n->stats.rx_csum++;
	if (m > 1) {
		n->stats.rx_rsc++;
		n->rsc_id++;
	}
	for (unsigned i = 0; i < m; i++) {
		uint32_t nppi = 0, len = i + 1 < m ? cap : flen - i * cap;
		uint8_t *sec = n->rx.view.base + (size_t)secs[i] * b->size;
		struct rndis_packet p;

		/* The first fragment's checksum and hash stand for the whole frame. */
		if (i == 0 && csum)
			ppi_put(hdr + sizeof(p) + nppi++ * RNDIS_PPI_SIZE(4), TCPIP_CHKSUM_PKTINFO, csum);
		if (i == 0 && hashed)
			ppi_put(hdr + sizeof(p) + nppi++ * RNDIS_PPI_SIZE(4), NBL_HASH_VALUE, hash);
		if (m > 1) {
			uint32_t id = RNDIS_PKTINFO_ID_V1 | (uint32_t)(RNDIS_PKTINFO_SUBALLOC |
				      (i == 0 ? RNDIS_PKTINFO_1ST_FRAG : 0) | (i + 1 == m ? RNDIS_PKTINFO_LAST_FRAG : 0)) << 8 |
				      (uint32_t)n->rsc_id << 16;

			ppi_put(hdr + sizeof(p) + nppi++ * RNDIS_PPI_SIZE(4), RNDIS_PKTINFO_ID, id);
		}
		/* The message claims the whole section, as the range does (Windows wants them
		 * equal); the frame says how much of it is data. */
		p = (struct rndis_packet){
			.msg_type = RNDIS_MSG_PACKET,
			.msg_len = b->size,
			.data_offset = NV_RX_HDR - RNDIS_HEADER_SIZE,
			.data_len = len,
			.per_pkt_info_offset = nppi ? sizeof(p) - RNDIS_HEADER_SIZE : 0,
			.per_pkt_info_len = nppi * RNDIS_PPI_SIZE(4),
		};
		memcpy(hdr, &p, sizeof(p));
		memcpy(sec, hdr, sizeof(p) + nppi * RNDIS_PPI_SIZE(4));
		batch_add(c, secs[i]);
	}
	n->stats.rx_packets++;
	n->stats.rx_bytes += flen;
	/* Room for the next read's sections in this packet, or send it now. */
	return c->nranges + k <= NV_RX_BATCH || nv_rx_flush(c);
}

void nv_tap_ready(void *opaque, uint32_t events)
{
	struct netvsp *n = opaque;
	struct nv_rxbuf *b = &n->rx;

	(void)events;
	for (unsigned budget = NV_RX_BUDGET; budget && !n->tap_dead; budget--) {
		if (!rx_accepting(n)) {
			const struct iovec iov = { n->scratch, sizeof(n->scratch) };
			ssize_t r = net_backend_recv(n->be, &iov, 1);

			if (r > 0) {
				n->stats.rx_drops++;
				continue;
			}
			if (r == 0)
				tap_failed(n, "was closed");
			else if (r != -EAGAIN && r != -EINTR)
				tap_failed(n, strerror((int)-r));
			break;
		}
		if (rx_blocked(n)) {
			if (b->nfree < rx_frags(n))
				n->stats.rx_no_buffer++;
			break;
		}
		if (!rx_one(n))
			break;
	}
	for (unsigned i = 0; i < NETVSP_MAX_QUEUES; i++)
		if (n->chan[i]->open && n->chan[i]->nranges && !n->chan[i]->rx_full)
			nv_rx_flush(n->chan[i]);
	nv_rx_update(n);
}
