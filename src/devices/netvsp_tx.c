/* SPDX-License-Identifier: MIT */
/*
 * Guest to tap. A SEND_RNDIS_PKT carries RNDIS messages in a send-buffer section, in
 * guest pages listed in the packet (GPA direct), or both: the section's bytes then the
 * pages, read as one stream and walked by each message's length (a message may start
 * in the section and end in the pages). Frames go to the tap with writev straight
 * from guest memory; only their first bytes are copied, to insert a VLAN tag and fix
 * up the headers the offload asked for (netvsc-facts.md §9, §10).
 */
#include "netvsp_internal.h"
#include "byteorder.h"
#include "iov.h"
#include "net_csum.h"
#include "log.h"
#include "packet.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The packet's bytes as one stream: the send-buffer section's, then the GPA ranges'. */
struct nv_stream {
	unsigned nseg;
	uint64_t len;
	struct iovec seg[1 + NV_MAX_PFNS];
};

/* 0, or -1 with *why set if anything lies outside the buffers or RAM. */
static int stream_build(struct netvsp *n, struct nv_stream *st, const uint8_t *buf, uint32_t len,
			const struct nvsp_msg1_send_rndis_pkt *m, const char **why)
{
	static const struct vmbus_pkt_limits limits = {
		.max_ranges = NV_MAX_RANGES,
		.max_pages = NV_MAX_PFNS,
		.max_bytes = NV_MAX_PFNS * GMEM_PAGE_SIZE,
	};
	struct vmbus_pkt pkt;

	st->nseg = 0;
	if (m->send_buf_section_index != NVSP_SECTION_NONE) {
		if (!n->have_tx || m->send_buf_section_index >= n->tx.count ||
		    m->send_buf_section_size > NV_SEND_SECTION) {
			*why = "outside the send buffer";
			return -1;
		}
		if (m->send_buf_section_size)
			st->seg[st->nseg++] = (struct iovec){
				n->tx.view.base + (size_t)m->send_buf_section_index * NV_SEND_SECTION,
				m->send_buf_section_size,
			};
	}
	if (vmbus_pkt_parse(buf, len, n->mem, NULL, &limits, st->seg + st->nseg, NV_MAX_PFNS, &pkt) < 0) {
		*why = pkt.bad;
		return -1;
	}
	st->nseg += pkt.niov;
	st->len = iov_size(st->seg, st->nseg);
	return 0;
}

/* Copy [off, off+len) of the stream; -1 if beyond its end. */
static int stream_copy(const struct nv_stream *st, uint64_t off, void *dst, size_t len)
{
	if (off > st->len || len > st->len - off)
		return -1;
	return iov_to_buf(st->seg, st->nseg, off, dst, len) == len ? 0 : -1;
}

/* ---- one frame ---------------------------------------------------------------------- */

struct tx_info {
	bool has_csum, has_lso, has_vlan;
	uint32_t csum, lso, vlan;
};

/* The per-packet information Linux and Windows send; unknown kinds are skipped. */
static bool parse_ppis(const uint8_t *p, uint32_t len, struct tx_info *t)
{
	uint32_t q = 0;

	while (len - q >= sizeof(struct rndis_ppi)) {
		struct rndis_ppi h;
		uint32_t v;

		memcpy(&h, p + q, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - q || h.ppi_offset < sizeof(h) || h.ppi_offset > h.size - 4)
			return false;
		memcpy(&v, p + q + h.ppi_offset, 4);
		switch (h.type) {
		case TCPIP_CHKSUM_PKTINFO: t->has_csum = true; t->csum = v; break;
		case TCP_LARGESEND_PKTINFO: t->has_lso = true; t->lso = v; break;
		case IEEE_8021Q_INFO: t->has_vlan = true; t->vlan = v; break;
		}
		q += h.size;
	}
	return q == len;
}

static void ipv4_header_csum(uint8_t *ip, uint32_t ihl)
{
	put_be16(ip + 10, 0);
	put_be16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, ihl)));
}

/* The TCP/UDP checksum field as NEEDS_CSUM wants it: the pseudo-header sum, length
 * included, not inverted. Linux seeds LSO frames without the length; recomputing
 * serves Linux and Windows alike. */
static void l4_seed(uint8_t *f, bool v6, uint32_t l4, uint32_t proto, uint32_t l4len, uint32_t field)
{
	uint64_t sum = proto + l4len;

	sum = v6 ? net_csum_add(sum, f + 14 + 8, 32) : net_csum_add(sum, f + 14 + 12, 8);
	put_be16(f + l4 + field, net_csum_fold(sum));
}

/*
 * Headers for the offload, in f (the frame's first hl bytes, copied). Fills vh; false
 * if the PPIs contradict the frame. Offsets are the frame's, before any VLAN tag.
 */
static bool tx_offload(struct netvsp *n, const struct tx_info *t, uint8_t *f, uint32_t hl, uint32_t data_len,
		       struct net_vnet_hdr *vh)
{
	uint32_t ethertype = hl >= 14 ? get_be16(f + 12) : 0;
	bool v6;

	if (t->has_lso) {
		uint32_t mss = NDIS_LSO_MSS(t->lso), l4 = NDIS_LSO_L4_OFFSET(t->lso), hdr_len;

		v6 = t->lso & NDIS_LSO_IPV6;
		if (mss == 0 || ethertype != (v6 ? 0x86ddu : 0x0800u) || l4 < 14 + (v6 ? 40u : 20u) ||
		    l4 + 20 > hl || (f[14] >> 4) != (v6 ? 6 : 4) || data_len - 14 > 65535)
			return false;
		hdr_len = l4 + (uint32_t)(f[l4 + 12] >> 4) * 4;
		if ((f[l4 + 12] >> 4) < 5 || hdr_len > hl)
			return false;
		if (v6) {
			put_be16(f + 14 + 4, data_len - 14 - 40);
			l4_seed(f, true, l4, 6, data_len - l4, 16);
		} else {
			uint32_t ihl = (uint32_t)(f[14] & 15) * 4;

			if (ihl < 20 || 14 + ihl > l4)
				return false;
			put_be16(f + 14 + 2, data_len - 14);
			ipv4_header_csum(f + 14, ihl);
			l4_seed(f, false, l4, 6, data_len - 14 - ihl, 16);
		}
		vh->flags = NET_VNET_NEEDS_CSUM;
		vh->gso_type = v6 ? NET_VNET_GSO_TCPV6 : NET_VNET_GSO_TCPV4;
		if (f[l4 + 13] & 0x80)	/* CWR: later segments must not repeat it */
			vh->gso_type |= NET_VNET_GSO_ECN;
		vh->gso_size = (uint16_t)mss;
		vh->hdr_len = (uint16_t)hdr_len;
		vh->csum_start = (uint16_t)l4;
		vh->csum_offset = 16;
		n->stats.tx_lso++;
		return true;
	}
	if (!t->has_csum)
		return true;
	v6 = (t->csum & NDIS_TXCSUM_IS_IPV6) || (!(t->csum & NDIS_TXCSUM_IS_IPV4) && ethertype == 0x86dd);
	if (ethertype != (v6 ? 0x86ddu : 0x0800u) || hl < 14 + (v6 ? 40u : 20u) || (f[14] >> 4) != (v6 ? 6 : 4))
		return !(t->csum & (NDIS_TXCSUM_TCP | NDIS_TXCSUM_UDP | NDIS_TXCSUM_IP_HEADER));
	if (!v6 && (t->csum & NDIS_TXCSUM_IP_HEADER)) {
		uint32_t ihl = (uint32_t)(f[14] & 15) * 4;

		if (ihl < 20 || 14 + ihl > hl)
			return false;
		ipv4_header_csum(f + 14, ihl);
	}
	if (t->csum & (NDIS_TXCSUM_TCP | NDIS_TXCSUM_UDP)) {
		bool tcp = t->csum & NDIS_TXCSUM_TCP;
		uint32_t field = tcp ? 16 : 6, l4 = NDIS_TXCSUM_L4_OFFSET(t->csum), l4len;

		if (l4 == 0)	/* Windows may leave it to the host: the first header after IP */
			l4 = v6 ? 14 + 40 : 14 + (uint32_t)(f[14] & 15) * 4;
		if (l4 < 14 + (v6 ? 40u : 20u) || l4 + field + 2 > hl || l4 + field + 2 > data_len)
			return false;
		/* The length the IP header gives, not the frame's: short frames are padded. */
		l4len = v6 ? 14 + 40 + get_be16(f + 14 + 4) - l4 : 14 + get_be16(f + 14 + 2) - l4;
		if (l4len > data_len - l4)
			return false;
		l4_seed(f, v6, l4, tcp ? 6 : 17, l4len, field);
		vh->flags = NET_VNET_NEEDS_CSUM;
		vh->csum_start = (uint16_t)l4;
		vh->csum_offset = (uint16_t)field;
		n->stats.tx_csum++;
	}
	return true;
}

/* One RNDIS PACKET at stream offset pos: to the tap. False if malformed. */
static bool tx_frame(struct netvsp *n, const struct nv_stream *st, uint64_t pos, uint32_t msg_len)
{
	struct rndis_packet p;
	struct tx_info t = { 0 };
	struct net_vnet_hdr vh = { 0 };
	uint8_t ppi[512], f[NV_HDR_COPY], tag[4];
	struct iovec iov[5 + 1 + NV_MAX_PFNS];
	uint64_t data;
	uint32_t hl;
	unsigned niov = 0;
	int k;
	ssize_t w;

	if (msg_len < sizeof(p) || stream_copy(st, pos, &p, sizeof(p)) < 0)
		return false;
	if (p.data_offset > msg_len - 8 || p.data_len > msg_len - 8 - p.data_offset || p.data_len < 14 ||
	    p.data_len > NV_MAX_FRAME)
		return false;
	data = pos + 8 + p.data_offset;
	if (p.per_pkt_info_len) {
		if (p.per_pkt_info_offset > msg_len - 8 || p.per_pkt_info_len > msg_len - 8 - p.per_pkt_info_offset ||
		    p.per_pkt_info_len > sizeof(ppi) ||
		    stream_copy(st, pos + 8 + p.per_pkt_info_offset, ppi, p.per_pkt_info_len) < 0 ||
		    !parse_ppis(ppi, p.per_pkt_info_len, &t))
			return false;
	}
	if (!n->rndis.link_up) {
		n->stats.tx_drops++;	/* the cable is out */
		return true;
	}
	hl = p.data_len < sizeof(f) ? p.data_len : (uint32_t)sizeof(f);
	if (stream_copy(st, data, f, hl) < 0 || !tx_offload(n, &t, f, hl, p.data_len, &vh))
		return false;
	iov[niov++] = (struct iovec){ &vh, sizeof(vh) };
	if (t.has_vlan) {
		/* Linux always hands the tag over out of band; the wire wants it inline. */
		uint32_t tci = NDIS_VLAN_PRI(t.vlan) << 13 | NDIS_VLAN_CFI(t.vlan) << 12 | NDIS_VLAN_ID(t.vlan);

		put_be16(tag, 0x8100);
		put_be16(tag + 2, tci);
		iov[niov++] = (struct iovec){ f, 12 };
		iov[niov++] = (struct iovec){ tag, 4 };
		iov[niov++] = (struct iovec){ f + 12, hl - 12 };
		if (vh.flags & NET_VNET_NEEDS_CSUM)
			vh.csum_start = (uint16_t)(vh.csum_start + 4);
		if (vh.hdr_len)
			vh.hdr_len = (uint16_t)(vh.hdr_len + 4);
	} else {
		iov[niov++] = (struct iovec){ f, hl };
	}
	k = iov_slice(st->seg, st->nseg, data + hl, p.data_len - hl, iov + niov,
		      (unsigned)(sizeof(iov) / sizeof(iov[0]) - niov));
	if (k < 0)
		return false;
	niov += (unsigned)k;
	n->stats.tx_writes++;
	w = net_backend_send(n->be, iov, (int)niov);
	if (w < 0) {
		n->stats.tx_errors++;
		log_warn_limited(&n->tx_err_rl, "netvsp %u: writing a frame to %s: %s", n->cfg.index, n->be->name,
				 strerror((int)-w));
		return true;
	}
	n->stats.tx_packets++;
	n->stats.tx_bytes += p.data_len;
	return true;
}

uint32_t nv_tx_packet(struct nv_chan *c, const uint8_t *buf, uint32_t len, const struct nvsp_msg1_send_rndis_pkt *m)
{
	struct netvsp *n = c->n;
	struct nv_stream st;
	uint32_t status = NVSP_STAT_SUCCESS;
	uint64_t pos = 0;
	const char *why = NULL;
	char what[96];

	if (stream_build(n, &st, buf, len, m, &why) < 0) {
		snprintf(what, sizeof(what), "RNDIS packet's data: %s", why);
		nv_bad(n, what);
		return NVSP_STAT_FAIL;
	}
	while (st.len - pos >= RNDIS_HEADER_SIZE) {
		struct rndis_msg_header h;

		stream_copy(&st, pos, &h, sizeof(h));
		if (h.msg_len < RNDIS_HEADER_SIZE || h.msg_len > st.len - pos) {
			nv_bad(n, "RNDIS message length outside its packet");
			status = NVSP_STAT_FAIL;
			break;
		}
		if (h.msg_type == RNDIS_MSG_PACKET) {
			if (!tx_frame(n, &st, pos, h.msg_len)) {
				nv_bad(n, "malformed RNDIS data packet");
				n->stats.tx_drops++;
				status = NVSP_STAT_FAIL;
			}
		} else if (h.msg_len > NV_CTRL_MSG_MAX) {
			nv_bad(n, "RNDIS control message too long");
			status = NVSP_STAT_FAIL;
		} else {
			uint8_t msg[NV_CTRL_MSG_MAX];

			stream_copy(&st, pos, msg, h.msg_len);
			nv_rndis(n, msg, h.msg_len);
			/* A guest that never reads its replies loses the channel, and with it
			 * the buffers this stream points into. */
			if (!c->open)
				break;
		}
		pos += h.msg_len;
	}
	return status;
}
