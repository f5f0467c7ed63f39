/* SPDX-License-Identifier: MIT */
/*
 * The synthetic NIC against an in-process guest that speaks as Linux 6.1's hv_netvsc
 * does (netvsc-facts.md §3): NVSP negotiation, buffers, RNDIS over GPA-direct
 * packets, sub-channels; then frames both ways through a socketpair standing in for
 * the tap, with their virtio-net headers; then running out of receive buffer and ring
 * space, and malformed input of every kind.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "netvsp.h"
#include "netvsp_proto.h"
#include "rndis_proto.h"
#include "rss.h"
#include "tap.h"
#include "testutil.h"
#include "vmbus_guest.h"

#define RAM		(96ull << 20)
#define RING_GPA(i)	(0x100000ull + (uint64_t)(i) * 0x40000ull)
#define SEND_GPA	0x800000ull
#define SEND_PAGES	255			/* Linux: 170 sections of 6144 bytes */
#define RECV_GPA	0x1000000ull
#define RECV_PAGES	512			/* 2 MiB (Linux: 16 MiB) */
#define CTRL_GPA	0x3000000ull		/* where RNDIS requests are built */
#define DATA_GPA	0x3100000ull		/* frames sent by GPA direct */
#define NO_RESPONSE	0xfffffffffffffffdull	/* VMBUS_RQST_ID_NO_RESPONSE */
#define PAGE		4096u
#define DESC		16u

static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static struct netvsp *nv;
static int peer = -1;
static struct vmbus_msg_offer_channel primary_offer;
static struct vg_chan ch[NETVSP_MAX_QUEUES];
static uint64_t next_tid;
static uint32_t next_req;
static uint32_t version;
static uint32_t sec_size, sec_count;
static uint32_t gpadl_id;

static struct vg G;

/* CLOSECHANNEL alone: the ring's GPADL stays, as when Linux closes and re-opens. */
static void close_chan(struct vg_chan *c)
{
	vg_send_relid(&G, CHANNELMSG_CLOSECHANNEL, c->relid);
}

/* GPADL_TEARDOWN without waiting for the answer. */
static void gpadl_teardown(uint32_t relid, uint32_t id)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = id };

	vg_post(&G, &m, sizeof(m));
}

/* A whole packet, descriptor included, as one write. */
static int write_pkt(struct vg_chan *c, const void *pkt, uint32_t len)
{
	struct iovec iov = { (void *)pkt, len };

	return vg_write(c, &iov, 1, true);
}

/* ---- the device on the loop thread ------------------------------------------------------- */

struct lc {
	struct netvsp_config cfg;
	int fd;
	bool up;
	struct netvsp_stats stats;
};

static void lc_new(void *o)
{
	struct lc *c = o;

	nv = netvsp_new(G.bus, G.loop, &G.mem, tap_open_fd(c->fd), &c->cfg);
}

static void lc_link(void *o)
{
	netvsp_set_link(nv, ((struct lc *)o)->up);
}

static void lc_stats(void *o)
{
	netvsp_get_stats(nv, &((struct lc *)o)->stats);
}

static struct netvsp_stats stats(void)
{
	struct lc c;

	ck_assert_int_eq(loop_call(G.loop, lc_stats, &c), 0);
	return c.stats;
}

static void set_link(bool up)
{
	struct lc c = { .up = up };

	ck_assert_int_eq(loop_call(G.loop, lc_link, &c), 0);
}

static void free_nic(void)
{
	netvsp_free(nv);
	nv = NULL;
}

static void nic_create(unsigned mtu, unsigned queues)
{
	struct lc c = { .cfg = { .mtu = mtu, .queues = queues } };
	int sv[2];

	memcpy(c.cfg.mac, mac, 6);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* Room for every frame a test queues before the device reads any. */
	for (int i = 0; i < 2; i++) {
		int sz = 16 << 20;

		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	}
	c.fd = sv[0];
	peer = sv[1];
	ck_assert_int_eq(loop_call(G.loop, lc_new, &c), 0);
	ck_assert_ptr_nonnull(nv);
}

static void setup_with(unsigned mtu, unsigned queues)
{
	struct vmbus_msg_offer_channel o[4];

	next_tid = 1;
	next_req = 1;
	gpadl_id = 0xe1e10;
	memset(ch, 0, sizeof(ch));
	vg_init(&G, RAM, 2);
	vg_start(&G);
	nic_create(mtu, queues);
	vg_connect(&G, VMBUS_VERSION_WIN10_V5_3);
	ck_assert_uint_eq(vg_request_offers(&G, o, 4), 1);
	primary_offer = o[0];
}

static void setup(void)
{
	setup_with(1500, 2);
}

static void teardown(void)
{
	vg_stop(&G);
	free_nic();
	vg_destroy(&G);
	if (peer >= 0)
		close(peer);
	peer = -1;
}

/* ---- NVSP as hv_netvsc sends it ------------------------------------------------------------ */

/* Every NVSP message Linux originates is 40 bytes (struct nvsp_message). */
static void nvsp(struct vg_chan *c, const void *msg, uint32_t len, uint64_t tid)
{
	uint8_t m[40] = { 0 };

	memcpy(m, msg, len);
	ck_assert_int_eq(vg_send(c, VM_PKT_DATA_INBAND, tid == NO_RESPONSE ? 0 : 1, tid, m, sizeof(m)), 0);
}

/* The next host packet on c. */
static int next_pkt(struct vg_chan *c, uint8_t *buf)
{
	int n = vg_read_wait(c, buf, 8192, VG_TMO);

	ck_assert_msg(n >= (int)DESC, "no packet from the host on channel %u", c->relid);
	return n;
}

/* A completion for tid: its payload in out, the payload length returned. */
static uint32_t expect_comp(struct vg_chan *c, uint64_t tid, void *out, uint32_t max)
{
	uint8_t buf[8192];
	struct vmbus_packet_desc d;
	uint32_t len = (uint32_t)next_pkt(c, buf), off;

	memcpy(&d, buf, sizeof(d));
	ck_assert_uint_eq(d.type, VM_PKT_COMP);
	ck_assert_uint_eq(d.trans_id, tid);
	off = d.offset8 * 8u;
	ck_assert_uint_le(len - off, max);
	memcpy(out, buf + off, len - off);
	return len - off;
}

static uint32_t comp_status(struct vg_chan *c, uint64_t tid, uint32_t type)
{
	uint32_t m[10] = { 0 };

	ck_assert_uint_ge(expect_comp(c, tid, m, sizeof(m)), 8);
	ck_assert_uint_eq(m[0], type);
	return m[1];
}

static void init_version(uint32_t v, bool ok)
{
	struct nvsp_msg_init m = { NVSP_MSG_TYPE_INIT, v, v };
	struct nvsp_msg_init_complete r;
	uint8_t buf[40];
	uint64_t tid = next_tid++;

	nvsp(&ch[0], &m, sizeof(m), tid);
	/* A full message: Linux drops INIT_COMPLETEs under 28 bytes and hangs. */
	ck_assert_uint_ge(expect_comp(&ch[0], tid, buf, sizeof(buf)), 28);
	memcpy(&r, buf, sizeof(r));
	ck_assert_uint_eq(r.msg_type, NVSP_MSG_TYPE_INIT_COMPLETE);
	if (ok)
		ck_assert_uint_eq(r.status, NVSP_STAT_SUCCESS);
	else
		ck_assert_uint_ne(r.status, NVSP_STAT_SUCCESS);
}

static uint32_t send_recv_buf(uint32_t gpadl, uint16_t id, struct nvsp_msg1_send_recv_buf_complete *r)
{
	struct nvsp_msg1_send_buf m = { NVSP_MSG1_TYPE_SEND_RECV_BUF, gpadl, id };
	uint8_t buf[40];
	uint64_t tid = next_tid++;
	uint32_t n;

	nvsp(&ch[0], &m, sizeof(m), tid);
	n = expect_comp(&ch[0], tid, buf, sizeof(buf));
	ck_assert_uint_ge(n, 28);
	ck_assert_uint_eq(n, version >= NVSP_PROTOCOL_VERSION_61 ? 40 : 32);
	memcpy(r, buf, sizeof(*r));
	ck_assert_uint_eq(r->msg_type, NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE);
	return r->status;
}

static uint32_t send_send_buf(uint32_t gpadl, uint16_t id, uint32_t *section)
{
	struct nvsp_msg1_send_buf m = { NVSP_MSG1_TYPE_SEND_SEND_BUF, gpadl, id };
	struct nvsp_msg1_send_send_buf_complete r;
	uint8_t buf[40];
	uint64_t tid = next_tid++;

	nvsp(&ch[0], &m, sizeof(m), tid);
	ck_assert_uint_ge(expect_comp(&ch[0], tid, buf, sizeof(buf)), 12);
	memcpy(&r, buf, sizeof(r));
	ck_assert_uint_eq(r.msg_type, NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE);
	*section = r.section_size;
	return r.status;
}

/* Open the primary and run NVSP up to working buffers, as netvsc_device_add does. */
static void nvsp_up(uint32_t v, unsigned recv_pages, unsigned dn_pages)
{
	struct nvsp_msg2_send_ndis_config cfg = { NVSP_MSG2_TYPE_SEND_NDIS_CONFIG, 1514, 0, 0 };
	struct nvsp_msg1_send_ndis_ver ver = { NVSP_MSG1_TYPE_SEND_NDIS_VER, 6, v >= NVSP_PROTOCOL_VERSION_5 ? 30 : 1 };
	struct nvsp_msg1_send_recv_buf_complete rb;
	uint32_t send_section;
	static const uint32_t order[] = {
		NVSP_PROTOCOL_VERSION_61, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_5,
		NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_1,
	};

	ck_assert_uint_eq(vg_open(&G, &ch[0], &primary_offer, gpadl_id++, RING_GPA(0), 16, dn_pages, 0), 0);
	/* Linux tries its versions newest first, one INIT each, until one succeeds. */
	for (unsigned i = 0; order[i] != v; i++)
		;
	version = v;
	init_version(v, true);
	if (v >= NVSP_PROTOCOL_VERSION_2) {
		/* ieee8021q, + sriov and teaming from 5, + rsc from 6.1 */
		cfg.capability = 0x8 | (v >= NVSP_PROTOCOL_VERSION_5 ? 0x24 : 0) | (v >= NVSP_PROTOCOL_VERSION_61 ? 0x80 : 0);
		nvsp(&ch[0], &cfg, sizeof(cfg), NO_RESPONSE);
	}
	nvsp(&ch[0], &ver, sizeof(ver), NO_RESPONSE);
	ck_assert_uint_eq(vg_gpadl_create(&G, ch[0].relid, gpadl_id, RECV_GPA, recv_pages), 0);
	ck_assert_uint_eq(send_recv_buf(gpadl_id++, 0xcafe, &rb), NVSP_STAT_SUCCESS);
	ck_assert_uint_eq(rb.num_sections, 1);
	ck_assert_uint_eq(rb.sections[0].offset, 0);
	sec_size = rb.sections[0].sub_alloc_size;
	sec_count = rb.sections[0].num_sub_allocs;
	ck_assert_uint_ge(sec_size, 68);
	ck_assert_uint_le((uint64_t)sec_size * sec_count, (uint64_t)recv_pages * PAGE);
	ck_assert_uint_eq(rb.sections[0].end_offset, sec_size * sec_count);
	ck_assert_uint_eq(vg_gpadl_create(&G, ch[0].relid, gpadl_id, SEND_GPA, SEND_PAGES), 0);
	ck_assert_uint_eq(send_send_buf(gpadl_id++, 0, &send_section), NVSP_STAT_SUCCESS);
	ck_assert_uint_eq(send_section, 6144);
}

/* ---- RNDIS over NVSP --------------------------------------------------------------------- */

/* A GPA-direct packet: ranges over [gpa, gpa+len) pieces, then the NVSP message. */
static int send_gpa(struct vg_chan *c, uint64_t tid, const uint64_t *gpa, const uint32_t *len, unsigned n,
		    const void *msg, uint32_t mlen)
{
	uint8_t pkt[4096] = { 0 };
	struct vmbus_gpa_direct_header h = { .d = { .type = VM_PKT_DATA_USING_GPA_DIRECT, .flags = 1, .trans_id = tid },
					     .range_cnt = n };
	uint32_t p = sizeof(h);

	for (unsigned i = 0; i < n; i++) {
		struct vmbus_gpa_range r = { .byte_count = len[i], .byte_offset = (uint32_t)(gpa[i] & (PAGE - 1)) };
		uint64_t pages = (r.byte_offset + len[i] + PAGE - 1) / PAGE;

		memcpy(pkt + p, &r, sizeof(r));
		p += sizeof(r);
		for (uint64_t k = 0; k < pages; k++, p += 8) {
			uint64_t pfn = gpa[i] / PAGE + k;

			memcpy(pkt + p, &pfn, 8);
		}
	}
	h.d.offset8 = (uint16_t)(p / 8);
	memcpy(pkt + p, msg, mlen);
	p += 40;
	h.d.len8 = (uint16_t)(p / 8);
	memcpy(pkt, &h, sizeof(h));
	return write_pkt(c, pkt, p);
}

struct rx_pkt {
	uint64_t tid;
	uint32_t nranges;
	struct vmbus_xfer_page_range r[512];
	uint32_t channel_type;
};

static uint8_t *recv_buf(void)
{
	return gmem_ptr(&G.mem, RECV_GPA, (uint64_t)RECV_PAGES * PAGE);
}

/* A transfer-page packet as Linux's netvsc_receive checks it. */
static void parse_xfer(const uint8_t *buf, uint32_t len, struct rx_pkt *p)
{
	struct vmbus_xfer_page_header h;
	struct nvsp_msg1_send_rndis_pkt m;

	ck_assert_uint_ge(len, sizeof(h));
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.d.type, VM_PKT_DATA_USING_XFER_PAGES);
	ck_assert_uint_le(len, 4624);
	ck_assert_uint_eq(h.xfer_pageset_id, 0xcafe);
	ck_assert_uint_ge(h.range_cnt, 1);
	ck_assert_uint_le(sizeof(h) + 8u * h.range_cnt, h.d.offset8 * 8u);
	ck_assert_uint_ge(len - h.d.offset8 * 8u, 4);
	memcpy(&m, buf + h.d.offset8 * 8u, sizeof(m));
	ck_assert_uint_eq(m.msg_type, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
	p->tid = h.d.trans_id;
	p->nranges = h.range_cnt;
	p->channel_type = m.channel_type;
	memcpy(p->r, buf + sizeof(h), 8u * h.range_cnt);
	for (uint32_t i = 0; i < h.range_cnt; i++) {
		ck_assert_uint_le(p->r[i].byte_count, sec_size);
		ck_assert_uint_le((uint64_t)p->r[i].byte_offset + p->r[i].byte_count, (uint64_t)sec_size * sec_count);
	}
}

static void complete_rx(struct vg_chan *c, uint64_t tid)
{
	struct nvsp_msg1_send_rndis_pkt_complete m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	ck_assert_int_eq(vg_send(c, VM_PKT_COMP, 0, tid, &m, sizeof(m)), 0);
}

/* Send an RNDIS control message as rndis_filter_send_request does (a GPA-direct packet
 * with the request in one range, on the primary) and return the reply's length. The
 * host completes the send, then the reply arrives in a receive section. */
static uint32_t rndis_at(uint64_t gpa, const void *msg, uint32_t len, void *reply, uint32_t max)
{
	struct nvsp_msg1_send_rndis_pkt m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT, NVSP_CHANNEL_TYPE_CONTROL,
					      NVSP_SECTION_NONE, 0 };
	uint64_t tid = next_tid++;
	uint8_t buf[8192];
	struct rx_pkt p;
	struct rndis_msg_header h;

	ck_assert_int_eq(gmem_write(&G.mem, gpa, msg, len), 0);
	ck_assert_int_eq(send_gpa(&ch[0], tid, &gpa, &len, 1, &m, sizeof(m)), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_SUCCESS);
	parse_xfer(buf, (uint32_t)next_pkt(&ch[0], buf), &p);
	ck_assert_uint_eq(p.nranges, 1);
	memcpy(&h, recv_buf() + p.r[0].byte_offset, sizeof(h));
	ck_assert_uint_le(h.msg_len, p.r[0].byte_count);
	ck_assert_uint_le(h.msg_len, max);
	memcpy(reply, recv_buf() + p.r[0].byte_offset, h.msg_len);
	complete_rx(&ch[0], p.tid);
	return h.msg_len;
}

static uint32_t rndis(const void *msg, uint32_t len, void *reply, uint32_t max)
{
	return rndis_at(CTRL_GPA + 0x100, msg, len, reply, max);
}

static void rndis_init(void)
{
	struct rndis_initialize_request m = { RNDIS_MSG_INIT, sizeof(m), next_req++, 1, 0, 0x4000 };
	struct rndis_initialize_complete c;

	ck_assert_uint_eq(rndis(&m, sizeof(m), &c, sizeof(c)), sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_INIT_C);
	ck_assert_uint_eq(c.req_id, m.req_id);
	ck_assert_uint_eq(c.status, 0);
	ck_assert_uint_eq(c.max_pkt_per_msg, 8);
	ck_assert_uint_eq(c.pkt_alignment_factor, 3);
}

/* QUERY oid with an optional input object; the reply's status, its data in out. */
static uint32_t query_in(uint32_t oid, const void *in, uint32_t inlen, void *out, uint32_t *outlen)
{
	uint8_t m[256] = { 0 }, r[4200];
	struct rndis_query_request q = { RNDIS_MSG_QUERY, (uint32_t)sizeof(q) + inlen, next_req++, oid, inlen,
					 inlen ? 20 : 0, 0 };
	struct rndis_query_complete c;
	uint32_t n;

	memcpy(m, &q, sizeof(q));
	if (inlen)
		memcpy(m + sizeof(q), in, inlen);
	n = rndis(m, q.msg_len, r, sizeof(r));
	ck_assert_uint_ge(n, sizeof(c));
	memcpy(&c, r, sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_QUERY_C);
	ck_assert_uint_eq(c.req_id, q.req_id);
	ck_assert_uint_eq(c.msg_len, n);
	*outlen = c.info_buflen;
	if (c.info_buflen) {
		/* What rndis_filter_receive_response checks. */
		ck_assert_uint_ge(c.info_buf_offset, 16);
		ck_assert_uint_le(c.info_buf_offset, n - 8);
		ck_assert_uint_le(c.info_buflen, n - 8 - c.info_buf_offset);
		memcpy(out, r + 8 + c.info_buf_offset, c.info_buflen);
	}
	return c.status;
}

static uint32_t query(uint32_t oid, void *out, uint32_t *outlen)
{
	return query_in(oid, NULL, 0, out, outlen);
}

static uint32_t query32(uint32_t oid)
{
	uint32_t v = 0, n;

	ck_assert_uint_eq(query(oid, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	return v;
}

static uint32_t set_oid(uint32_t oid, const void *info, uint32_t len)
{
	uint8_t m[1024] = { 0 };
	struct rndis_query_request s = { RNDIS_MSG_SET, (uint32_t)sizeof(s) + len, next_req++, oid, len, 20, 0 };
	struct rndis_status_complete c;

	memcpy(m, &s, sizeof(s));
	memcpy(m + sizeof(s), info, len);
	ck_assert_uint_eq(rndis(m, s.msg_len, &c, sizeof(c)), sizeof(c));
	ck_assert_uint_eq(c.msg_type, RNDIS_MSG_SET_C);
	ck_assert_uint_eq(c.req_id, s.req_id);
	return c.status;
}

static uint32_t set_filter(uint32_t filter)
{
	return set_oid(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4);
}

/* rndis_netdev_set_hwcaps: the capabilities, then the offloads Linux turns on. */
static void set_offloads(void)
{
	struct ndis_object_header in = { NDIS_OBJECT_TYPE_OFFLOAD, 3, 156 };
	struct ndis_offload o;
	struct ndis_offload_params p = { .header = { NDIS_OBJECT_TYPE_DEFAULT, 3, 28 } };
	uint32_t n;

	ck_assert_uint_eq(query_in(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &in, sizeof(in), &o, &n), 0);
	ck_assert_uint_eq(n, 156);
	p.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED;
	p.tcp_ip_v4_csum = p.udp_ip_v4_csum = p.tcp_ip_v6_csum = p.udp_ip_v6_csum =
		NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED;
	p.lso_v2_ipv4 = p.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMETERS_ENABLED;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
}

/* The whole of Linux's device add with a single channel, the interface up. */
static void nic_up(void)
{
	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 16);
	rndis_init();
	set_offloads();
	ck_assert_uint_eq(set_filter(0x0d), 0);
}

/* ---- frames ------------------------------------------------------------------------------ */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

static uint64_t sum16(uint64_t s, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		s += get16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Ethernet + IPv4 + TCP with payload bytes; checksums complete. */
static uint32_t mk_tcp4(uint8_t *f, const uint8_t *dst, uint32_t saddr, uint32_t daddr, uint16_t sport,
			uint16_t dport, uint32_t payload)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint32_t tot = 20 + 20 + payload;

	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	put16(ip + 2, tot);
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = 6;
	put16(ip + 12, saddr >> 16);
	put16(ip + 14, saddr & 0xffff);
	put16(ip + 16, daddr >> 16);
	put16(ip + 18, daddr & 0xffff);
	put16(ip + 10, (uint16_t)~fold(sum16(0, ip, 20)));
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put16(tcp + 4, 0x1000);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put16(tcp + 14, 0xffff);
	for (uint32_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	put16(tcp + 16, (uint16_t)~fold(sum16(sum16(6 + 20 + payload, ip + 12, 8), tcp, 20 + payload)));
	return 14 + tot;
}

/* Ethernet + IPv6 + UDP. */
static uint32_t mk_udp6(uint8_t *f, const uint8_t *dst, uint32_t payload)
{
	uint8_t *ip = f + 14, *udp = ip + 40;

	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x86dd);
	memset(ip, 0, 48);
	ip[0] = 0x60;
	put16(ip + 4, 8 + payload);
	ip[6] = 17;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;
	ip[24] = 0xfd;
	ip[39] = 2;
	put16(udp, 5000);
	put16(udp + 2, 6000);
	put16(udp + 4, 8 + payload);
	for (uint32_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)(i ^ 0x5a);
	put16(udp + 6, (uint16_t)~fold(sum16(sum16(17 + 8 + payload, ip + 8, 32), udp, 8 + payload)));
	return 14 + 40 + 8 + payload;
}

/* Whether an IPv4/IPv6 TCP or UDP frame's checksums are right. */
static bool l4_valid(const uint8_t *f, uint32_t len, uint32_t l4, uint32_t proto)
{
	bool v6 = get16(f + 12) == 0x86dd;
	uint64_t s = proto + len - l4;

	s = v6 ? sum16(s, f + 14 + 8, 32) : sum16(s, f + 14 + 12, 8);
	return fold(sum16(s, f + l4, len - l4)) == 0xffff;
}

/* What the kernel does with NEEDS_CSUM: the sum from csum_start, stored inverted. */
static void finish_csum(uint8_t *f, uint32_t len, const struct net_vnet_hdr *vh)
{
	uint16_t c = (uint16_t)~fold(sum16(0, f + vh->csum_start, len - vh->csum_start));

	put16(f + vh->csum_start + vh->csum_offset, c);
}

/* Ethernet + IPv4 + UDP from the server's port 67 to the client's 68, as a DHCP reply. */
static uint32_t mk_udp4(uint8_t *f, const uint8_t *dst, uint32_t payload)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t tot = 20 + 8 + payload;

	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, tot);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 12, 0x0a4e);
	put16(ip + 14, 0x0001);
	put16(ip + 16, 0x0a4e);
	put16(ip + 18, 0x0032);
	put16(ip + 10, (uint16_t)~fold(sum16(0, ip, 20)));
	put16(udp, 67);
	put16(udp + 2, 68);
	put16(udp + 4, 8 + payload);
	for (uint32_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)(i * 13 + 1);
	put16(udp + 6, (uint16_t)~fold(sum16(sum16(17 + 8 + payload, ip + 12, 8), udp, 8 + payload)));
	return 14 + tot;
}

/*
 * What the host's kernel hands over for a frame it made with the checksum left to the
 * device (CHECKSUM_PARTIAL): the TCP or UDP checksum field holds the pseudo-header's
 * sum, folded, not inverted; NEEDS_CSUM with csum_start and csum_offset saying where.
 */
static struct net_vnet_hdr unfinish(uint8_t *f, uint32_t len)
{
	bool v6 = get16(f + 12) == 0x86dd;
	uint32_t l4 = v6 ? 54 : 34, proto = v6 ? f[20] : f[23], field = proto == 6 ? 16 : 6;
	uint64_t s = proto + len - l4;

	s = v6 ? sum16(s, f + 14 + 8, 32) : sum16(s, f + 14 + 12, 8);
	put16(f + l4 + field, fold(s));
	return (struct net_vnet_hdr){ .flags = NET_VNET_NEEDS_CSUM, .csum_start = (uint16_t)l4,
				      .csum_offset = (uint16_t)field };
}

/* An RNDIS PACKET for frame with the given PPIs ({type, value} pairs), in out. */
static uint32_t mk_rndis(uint8_t *out, const uint8_t *frame, uint32_t flen, const uint32_t *ppi, unsigned nppi)
{
	struct rndis_packet p = {
		.msg_type = RNDIS_MSG_PACKET,
		.data_offset = 36 + nppi * 16,
		.data_len = flen,
		.per_pkt_info_offset = nppi ? 36 : 0,
		.per_pkt_info_len = nppi * 16,
	};

	p.msg_len = 44 + nppi * 16 + flen;
	memcpy(out, &p, sizeof(p));
	for (unsigned i = 0; i < nppi; i++) {
		struct rndis_ppi h = { 16, ppi[2 * i], 12 };

		memcpy(out + 44 + 16 * i, &h, sizeof(h));
		memcpy(out + 44 + 16 * i + 12, &ppi[2 * i + 1], 4);
	}
	memcpy(out + 44 + nppi * 16, frame, flen);
	return p.msg_len;
}

static uint8_t *send_section(uint32_t i)
{
	return gmem_ptr(&G.mem, SEND_GPA + (uint64_t)i * 6144, 6144);
}

/* SEND_RNDIS_PKT of bytes already in send section sec: the completion's status. */
static uint32_t tx_section(struct vg_chan *c, uint32_t sec, uint32_t len)
{
	struct nvsp_msg1_send_rndis_pkt m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT, NVSP_CHANNEL_TYPE_DATA, sec, len };
	uint64_t tid = next_tid++;

	nvsp(c, &m, sizeof(m), tid);
	return comp_status(c, tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
}

/* The next frame hvkvm wrote to the tap: its virtio-net header and length. */
static int peer_read(struct net_vnet_hdr *vh, uint8_t *f, uint32_t max)
{
	struct pollfd p = { peer, POLLIN, 0 };
	uint8_t buf[70000];
	ssize_t n;

	if (poll(&p, 1, VG_TMO) != 1)
		return -1;
	n = recv(peer, buf, sizeof(buf), 0);
	ck_assert_int_ge(n, NET_VNET_HDR_LEN);
	ck_assert_uint_le((size_t)n - NET_VNET_HDR_LEN, max);
	memcpy(vh, buf, sizeof(*vh));
	memcpy(f, buf + NET_VNET_HDR_LEN, (size_t)n - NET_VNET_HDR_LEN);
	return (int)n - NET_VNET_HDR_LEN;
}

static bool peer_idle(void)
{
	struct pollfd p = { peer, POLLIN, 0 };

	return poll(&p, 1, 100) == 0;
}

/* A frame arriving on the tap. */
static void peer_write(uint8_t flags, const uint8_t *f, uint32_t len)
{
	uint8_t buf[70000] = { 0 };

	buf[0] = flags;
	memcpy(buf + NET_VNET_HDR_LEN, f, len);
	ck_assert_int_eq(send(peer, buf, NET_VNET_HDR_LEN + len, 0), (ssize_t)(NET_VNET_HDR_LEN + len));
}

/* A frame arriving on the tap with the virtio-net header given. */
static void peer_write_vh(const struct net_vnet_hdr *vh, const uint8_t *f, uint32_t len)
{
	static uint8_t buf[70000];

	memcpy(buf, vh, sizeof(*vh));
	memcpy(buf + NET_VNET_HDR_LEN, f, len);
	ck_assert_int_eq(send(peer, buf, NET_VNET_HDR_LEN + len, 0), (ssize_t)(NET_VNET_HDR_LEN + len));
}

/* One received RNDIS data message as rndis_filter_receive_data checks it: the
 * frame's offset in the receive buffer and length, its PPIs. */
struct rx_frame {
	uint32_t off, len;
	bool has_csum, has_hash, has_id;
	uint32_t csum, hash, id;
	uint8_t data[2048];	/* copied before the section goes back to the host */
};

static void parse_rx_range(const struct vmbus_xfer_page_range *r, struct rx_frame *fr)
{
	const uint8_t *m = recv_buf() + r->byte_offset;
	struct rndis_packet p;

	memset(fr, 0, sizeof(*fr));
	ck_assert_uint_ge(r->byte_count, 44);
	memcpy(&p, m, sizeof(p));
	ck_assert_uint_eq(p.msg_type, RNDIS_MSG_PACKET);
	ck_assert_uint_ge(p.msg_len, 8);
	ck_assert_uint_le(p.msg_len, r->byte_count);
	ck_assert_uint_lt(p.data_offset, r->byte_count - 8);
	ck_assert_uint_ge(r->byte_count - 8 - p.data_offset, p.data_len);
	ck_assert_uint_ge(p.data_len, 14);
	if (p.per_pkt_info_offset) {
		uint32_t q = 0;

		ck_assert_uint_ge(p.per_pkt_info_offset, 36);
		ck_assert_uint_ge(p.per_pkt_info_len, 12);
		ck_assert_uint_le(p.per_pkt_info_len, r->byte_count - 8 - p.per_pkt_info_offset);
		while (q < p.per_pkt_info_len) {
			struct rndis_ppi h;
			uint32_t v;

			memcpy(&h, m + 8 + p.per_pkt_info_offset + q, sizeof(h));
			/* Linux 6.1 spins forever on a PPI that does not advance. */
			ck_assert_uint_gt(h.size, 0);
			ck_assert_uint_le(h.size, p.per_pkt_info_len - q);
			ck_assert_uint_lt(h.ppi_offset, h.size);
			ck_assert_uint_ge(h.size - h.ppi_offset, 4);
			memcpy(&v, m + 8 + p.per_pkt_info_offset + q + h.ppi_offset, 4);
			if (h.type == TCPIP_CHKSUM_PKTINFO) {
				fr->has_csum = true;
				fr->csum = v;
			} else if (h.type == NBL_HASH_VALUE) {
				fr->has_hash = true;
				fr->hash = v;
			} else if (h.type == RNDIS_PKTINFO_ID) {
				fr->has_id = true;
				fr->id = v;
			}
			q += h.size;
		}
	}
	fr->off = r->byte_offset + 8 + p.data_offset;
	fr->len = p.data_len;
	memcpy(fr->data, recv_buf() + fr->off, p.data_len < sizeof(fr->data) ? p.data_len : sizeof(fr->data));
}

/* Read transfer-page packets on c until n frames came: their frames in fr (in
 * order), completing every packet unless hold. Returns the packets read. */
static unsigned rx_frames(struct vg_chan *c, struct rx_frame *fr, unsigned n, bool hold, uint64_t *tids)
{
	unsigned got = 0, pkts = 0;

	while (got < n) {
		uint8_t buf[8192];
		struct rx_pkt p;

		parse_xfer(buf, (uint32_t)next_pkt(c, buf), &p);
		ck_assert_uint_le(got + p.nranges, n);
		for (uint32_t i = 0; i < p.nranges; i++)
			parse_rx_range(&p.r[i], &fr[got++]);
		if (tids)
			tids[pkts] = p.tid;
		if (!hold)
			complete_rx(c, p.tid);
		pkts++;
	}
	return pkts;
}

/* ---- bring-up ----------------------------------------------------------------------------- */

START_TEST(test_offer)
{
	static const uint8_t class[16] = { 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
					   0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e };

	ck_assert_mem_eq(primary_offer.offer.if_type.b, class, 16);
	ck_assert_uint_eq(primary_offer.offer.sub_channel_index, 0);
	ck_assert_uint_eq(primary_offer.offer.mmio_megabytes, 0);
	ck_assert_uint_eq(primary_offer.monitor_allocated, 0);
}
END_TEST

/* netvsc-facts.md §3.2, message by message, as Linux 6.1 sends them. */
START_TEST(test_linux_bringup)
{
	uint8_t buf[1024];
	uint32_t n;
	struct ndis_object_header caps_in = { NDIS_OBJECT_TYPE_OFFLOAD, 3, 156 };
	struct ndis_offload o;
	struct ndis_recv_scale_cap rss;
	struct ndis_object_header rss_in = { NDIS_OBJECT_TYPE_RSS_CAPABILITIES, 2, 18 };
	struct netvsp_stats s;

	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 16);
	/* Room for the RNDIS header, PPIs and a 1514-byte frame with a VLAN tag. */
	ck_assert_uint_ge(sec_size, 44 + 48 + 1518);
	rndis_init();
	ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
	ck_assert_uint_eq(query(OID_802_3_PERMANENT_ADDRESS, buf, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(buf, mac, 6);
	/* Hyper-V's default name: Linux makes no alias of it. */
	ck_assert_uint_eq(query(OID_GEN_FRIENDLY_NAME, buf, &n), 0);
	ck_assert_uint_le(n, 512);
	ck_assert_mem_eq(buf, "N\0e\0t\0w\0o\0r\0k\0 \0A\0d\0a\0p\0t\0e\0r\0\0", 32);
	ck_assert_uint_eq(query_in(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &caps_in, sizeof(caps_in), &o, &n), 0);
	ck_assert_uint_eq(n, 156);
	ck_assert_uint_eq(o.header.type, NDIS_OBJECT_TYPE_OFFLOAD);
	ck_assert_uint_eq(o.header.revision, 3);
	ck_assert_uint_le(o.header.size, n);
	ck_assert_uint_ge(o.header.size, 112);
	/* What rndis_netdev_set_hwcaps looks for: TCP and UDP checksums, LSOv2 both. */
	ck_assert_uint_eq(o.csum.ip4_txcsum & 0x14, 0x14);
	ck_assert_uint_eq(o.csum.ip4_txcsum & 0x40, 0x40);
	ck_assert_uint_eq(o.csum.ip6_txcsum & 0x15, 0x15);
	ck_assert_uint_eq(o.csum.ip6_txcsum & 0x40, 0x40);
	ck_assert_uint_eq(o.lsov2.ip4_encap & 2, 2);
	ck_assert_uint_eq(o.lsov2.ip6_encap & 2, 2);
	ck_assert_uint_eq(o.lsov2.ip6_opts & 5, 5);
	ck_assert_uint_ge(o.lsov2.ip4_maxsz, 32768);
	set_offloads();
	ck_assert_uint_eq(query32(OID_GEN_MEDIA_CONNECT_STATUS), 0);
	ck_assert_uint_eq(query32(OID_GEN_LINK_SPEED), 100000000);	/* 10 Gbit/s in 100 bit/s */
	ck_assert_uint_eq(query_in(OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rss_in, sizeof(rss_in), &rss, &n), 0);
	ck_assert_uint_eq(n, 18);
	ck_assert_uint_eq(rss.hdr.type, NDIS_OBJECT_TYPE_RSS_CAPABILITIES);
	ck_assert_uint_eq(rss.num_recv_que, 2);
	ck_assert_uint_eq(rss.num_indirect_tabent, 128);
	ck_assert_uint_eq(set_filter(0x0d), 0);
	ck_assert_uint_eq(query32(OID_GEN_CURRENT_PACKET_FILTER), 0x0d);
	s = stats();
	ck_assert_uint_eq(s.bad, 0);
	ck_assert_uint_ge(s.ctrl, 10);
	/* Nothing unasked-for came. */
	ck_assert(vg_read_avail(&ch[0]) == 0);
}
END_TEST

/* Each version Linux or Windows offers works; others get a full negative answer. */
START_TEST(test_versions)
{
	static const uint32_t good[] = {
		NVSP_PROTOCOL_VERSION_61, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_5,
		NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_1,
	};

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		nvsp_up(good[i], RECV_PAGES, 16);
		rndis_init();
		ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
		close_chan(&ch[0]);
		vg_ping(&G);
	}
	ck_assert_uint_eq(vg_open(&G, &ch[0], &primary_offer, gpadl_id++, RING_GPA(0), 16, 16, 0), 0);
	init_version(0x00050001, false);
	init_version(0, false);
	init_version(0xffffffffu, false);
	init_version(NVSP_PROTOCOL_VERSION_5, true);
}
END_TEST

/* ---- transmit ----------------------------------------------------------------------------- */

/* Several frames in one section, each padded to 8 as Linux batches them. */
START_TEST(test_tx_batch)
{
	uint8_t f[3][256], out[2048], *sec;
	uint32_t len[3], off = 0;
	struct net_vnet_hdr vh;
	struct netvsp_stats s, before;

	nic_up();
	before = stats();
	sec = send_section(5);
	/* Linux pads each message's msg_len up to the alignment when more follow. */
	for (unsigned i = 0; i < 3; i++) {
		uint32_t ml, padded;

		len[i] = mk_tcp4(f[i], peer_mac, 0x0a000001, 0x0a000002, (uint16_t)(1000 + i), 80, 60 + i * 13);
		ml = mk_rndis(sec + off, f[i], len[i], NULL, 0);
		padded = (ml + 7) & ~7u;
		memcpy(sec + off + 4, &padded, 4);
		memset(sec + off + ml, 0, padded - ml);
		off += padded;
	}
	ck_assert_uint_eq(tx_section(&ch[0], 5, off), NVSP_STAT_SUCCESS);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len[i]);
		ck_assert_mem_eq(out, f[i], len[i]);
		ck_assert_uint_eq(vh.flags, 0);
		ck_assert_uint_eq(vh.gso_type, 0);
	}
	s = stats();
	ck_assert_uint_eq(s.tx_packets, 3);
	ck_assert_uint_eq(s.tx_bytes, len[0] + len[1] + len[2]);
	ck_assert_uint_eq(s.tx_nvsp - before.tx_nvsp, 1);
	ck_assert_uint_eq(s.tx_writes, 3);
}
END_TEST

/* Checksum offload: TCP/IPv4 and UDP/IPv6, seeded by Linux with the pseudo header. */
START_TEST(test_tx_csum)
{
	uint8_t f[2048], out[2048];
	uint32_t len, ppi[2];
	struct net_vnet_hdr vh;

	nic_up();
	len = mk_tcp4(f, peer_mac, 0xc0a80001, 0xc0a80002, 40000, 22, 300);
	/* Linux leaves the pseudo-header sum in the checksum field. */
	put16(f + 14 + 20 + 16, fold(sum16(6 + 20 + 300, f + 14 + 12, 8)));
	ppi[0] = TCPIP_CHKSUM_PKTINFO;
	ppi[1] = NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | (34u << 16);
	ck_assert_uint_eq(tx_section(&ch[0], 0, mk_rndis(send_section(0), f, len, ppi, 1)), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(vh.flags, NET_VNET_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, NET_VNET_GSO_NONE);
	ck_assert_uint_eq(vh.csum_start, 34);
	ck_assert_uint_eq(vh.csum_offset, 16);
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 34, 6));

	len = mk_udp6(f, peer_mac, 777);
	put16(f + 14 + 40 + 6, fold(sum16(17 + 8 + 777, f + 14 + 8, 32)));
	ppi[1] = NDIS_TXCSUM_IS_IPV6 | NDIS_TXCSUM_UDP | (54u << 16);
	ck_assert_uint_eq(tx_section(&ch[0], 1, mk_rndis(send_section(1), f, len, ppi, 1)), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(vh.flags, NET_VNET_NEEDS_CSUM);
	ck_assert_uint_eq(vh.csum_start, 54);
	ck_assert_uint_eq(vh.csum_offset, 6);
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 54, 17));
	ck_assert_uint_eq(stats().tx_csum, 2);
}
END_TEST

/* LSO as Linux sends it: the RNDIS header in a section (partial copy), the frame in
 * guest pages by GPA direct; IPv4 length and checksum zeroed, the TCP seed without
 * the length. The tap gets a TCPv4 GSO frame with the headers fixed up. */
START_TEST(test_tx_lso_ipv4)
{
	static uint8_t f[70000], out[70000];
	uint32_t payload = 20000, len, ppi[2], hlen, ranges[2];
	uint64_t gpa[2];
	struct nvsp_msg1_send_rndis_pkt m;
	struct net_vnet_hdr vh;
	uint8_t hdr[64];
	uint64_t tid;

	nic_up();
	len = mk_tcp4(f, peer_mac, 0x0a000001, 0x0a000002, 5001, 443, payload);
	put16(f + 14 + 2, 0);
	put16(f + 14 + 10, 0);
	put16(f + 14 + 20 + 16, fold(sum16(6, f + 14 + 12, 8)));
	ppi[0] = TCP_LARGESEND_PKTINFO;
	ppi[1] = 1448u | (34u << 20) | NDIS_LSO_V2;
	/* The RNDIS header and PPI at the end of section 7, the frame in two page ranges:
	 * the headers in one, the payload in another, as an skb's linear part and frag. */
	{
		uint8_t *sec = send_section(7);
		struct rndis_packet p = { RNDIS_MSG_PACKET, 44 + 16 + len, 36 + 16, len, 0, 0, 0, 36, 16, 0, 0 };
		struct rndis_ppi h = { 16, ppi[0], 12 };

		memcpy(hdr, &p, sizeof(p));
		memcpy(hdr + 44, &h, sizeof(h));
		memcpy(hdr + 56, &ppi[1], 4);
		memcpy(sec + 100, hdr, 60);
	}
	hlen = 54;
	gpa[0] = DATA_GPA + 0xf00;		/* straddles a page */
	gpa[1] = DATA_GPA + 0x10000 + 0x123;
	ranges[0] = hlen;
	ranges[1] = len - hlen;
	ck_assert_int_eq(gmem_write(&G.mem, gpa[0], f, hlen), 0);
	ck_assert_int_eq(gmem_write(&G.mem, gpa[1], f + hlen, len - hlen), 0);
	/* The section part starts at byte 100: move it to the start, as a partial copy
	 * sits right after earlier frames of the batch. */
	memmove(send_section(7), send_section(7) + 100, 60);
	m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, 7, 60 };
	tid = next_tid++;
	ck_assert_int_eq(send_gpa(&ch[0], tid, gpa, ranges, 2, &m, sizeof(m)), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(vh.flags, NET_VNET_NEEDS_CSUM);
	ck_assert_uint_eq(vh.gso_type, NET_VNET_GSO_TCPV4);
	ck_assert_uint_eq(vh.gso_size, 1448);
	ck_assert_uint_eq(vh.hdr_len, 54);
	ck_assert_uint_eq(vh.csum_start, 34);
	ck_assert_uint_eq(vh.csum_offset, 16);
	/* Fixed: the IP length, its checksum, the seed with the length. */
	ck_assert_uint_eq(get16(out + 14 + 2), len - 14);
	ck_assert_uint_eq(fold(sum16(0, out + 14, 20)), 0xffff);
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 34, 6));
	ck_assert_mem_eq(out + 54, f + 54, payload);
	ck_assert_uint_eq(stats().tx_lso, 1);
}
END_TEST

START_TEST(test_tx_lso_ipv6_vlan)
{
	static uint8_t f[9000], out[9100];
	uint8_t *ip = f + 14, *tcp = ip + 40;
	uint32_t payload = 8000, len = 14 + 40 + 20 + payload, ppi[4];
	struct net_vnet_hdr vh;

	nic_up();
	memcpy(f, peer_mac, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x86dd);
	memset(ip, 0, 60);
	ip[0] = 0x60;
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 9;
	ip[24] = 0xfd;
	ip[39] = 7;
	put16(tcp, 1234);
	put16(tcp + 2, 80);
	tcp[12] = 5 << 4;
	tcp[13] = 0x80 | 0x10;	/* CWR */
	for (uint32_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)i;
	/* tcp_v6_gso_csum_prep: payload_len 0, seed without the length */
	put16(tcp + 16, fold(sum16(6, ip + 8, 32)));
	ppi[0] = IEEE_8021Q_INFO;
	ppi[1] = 5 | (1u << 3) | (100u << 4);	/* priority 5, DEI, VLAN 100 */
	ppi[2] = TCP_LARGESEND_PKTINFO;
	ppi[3] = 1200u | (54u << 20) | NDIS_LSO_V2 | NDIS_LSO_IPV6;
	{
		/* All of it by GPA direct, in one range: no section. */
		uint64_t gpa = DATA_GPA + 0x40;
		uint8_t *msg = malloc(len + 100);
		uint32_t ml = mk_rndis(msg, f, len, ppi, 2);
		struct nvsp_msg1_send_rndis_pkt m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, NVSP_SECTION_NONE, 0 };
		uint64_t tid = next_tid++;

		ck_assert_int_eq(gmem_write(&G.mem, gpa, msg, ml), 0);
		ck_assert_int_eq(send_gpa(&ch[0], tid, &gpa, &ml, 1, &m, sizeof(m)), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_SUCCESS);
		free(msg);
	}
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len + 4);
	/* The tag is back in the frame, and the offsets moved with it. */
	ck_assert_uint_eq(get16(out + 12), 0x8100);
	ck_assert_uint_eq(get16(out + 14), (5u << 13) | (1u << 12) | 100u);
	ck_assert_uint_eq(get16(out + 16), 0x86dd);
	ck_assert_uint_eq(vh.gso_type, NET_VNET_GSO_TCPV6 | NET_VNET_GSO_ECN);
	ck_assert_uint_eq(vh.gso_size, 1200);
	ck_assert_uint_eq(vh.csum_start, 58);
	ck_assert_uint_eq(vh.hdr_len, 78);
	ck_assert_uint_eq(get16(out + 18 + 4), 20 + payload);
	/* Check the checksum on the untagged frame. */
	memmove(out + 12, out + 16, len - 12);
	vh.csum_start -= 4;
	finish_csum(out, len, &vh);
	ck_assert(l4_valid(out, len, 54, 6));
}
END_TEST

/* ---- receive ------------------------------------------------------------------------------ */

START_TEST(test_rx_basic)
{
	uint8_t f[2048];
	uint32_t len;
	struct rx_frame fr[2];
	struct netvsp_stats s;

	nic_up();
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 1000);
	peer_write(NET_VNET_DATA_VALID, f, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_uint_eq(fr[0].len, len);
	ck_assert_mem_eq(fr[0].data, f, len);
	/* The kernel checked the checksum: TCP succeeded. Linux turns the IPv4 header
	 * checksum offload off, so nothing is said about that. */
	ck_assert(fr[0].has_csum);
	ck_assert_uint_eq(fr[0].csum, NDIS_RXCSUM_TCP_SUCCEEDED);
	ck_assert(!fr[0].has_hash);
	/* Without DATA_VALID nothing is claimed. */
	len = mk_udp6(f, mac, 100);
	peer_write(0, f, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	ck_assert_mem_eq(fr[0].data, f, len);
	vg_ping(&G);
	s = stats();
	ck_assert_uint_eq(s.rx_packets, 2);
	ck_assert_uint_eq(s.rx_drops, 0);
	ck_assert_uint_eq(s.bad, 0);
}
END_TEST

/* With RSC on, a TSO frame from the tap reaches the guest as one coalesced packet: RSC
 * fragments in consecutive ranges of one transfer-page packet, its checksum vouched
 * for by the first; and TSO frames are refused once RSC is off again. */
START_TEST(test_rx_rsc)
{
	struct ndis_offload_params p = { .header = { NDIS_OBJECT_TYPE_DEFAULT, 3, 28 } };
	struct ndis_object_header in = { NDIS_OBJECT_TYPE_OFFLOAD, 3, 156 };
	static uint8_t f[30000], buf[NET_VNET_HDR_LEN + sizeof(f)], got[sizeof(f)];
	static struct rx_frame fr[32];
	struct net_vnet_hdr vh = { .flags = NET_VNET_NEEDS_CSUM, .gso_type = NET_VNET_GSO_TCPV4, .hdr_len = 54,
				   .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
	struct ndis_offload o;
	uint32_t len, cap, m, n, off = 0;

	nic_up();
	ck_assert_uint_eq(query_in(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &in, sizeof(in), &o, &n), 0);
	ck_assert(o.rsc.ip4 && o.rsc.ip6);
	p.rsc_ip_v4 = p.rsc_ip_v6 = NDIS_OFFLOAD_PARAMETERS_ENABLED;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
	/* The kernel's TSO frame: its checksum unfinished, over the whole frame. */
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 20000);
	unfinish(f, len);
	memcpy(buf, &vh, sizeof(vh));
	memcpy(buf + sizeof(vh), f, len);
	ck_assert_int_eq(send(peer, buf, sizeof(vh) + len, 0), (ssize_t)(sizeof(vh) + len));
	cap = sec_size - 128 - 36;
	m = (len + cap - 1) / cap;
	ck_assert_uint_gt(m, 1);
	ck_assert_uint_le(m, 32);
	ck_assert_uint_eq(rx_frames(&ch[0], fr, m, false, NULL), 1);
	for (uint32_t i = 0; i < m; i++) {
		uint32_t flag = fr[i].id >> 8 & 0xff;

		ck_assert(fr[i].has_id);
		ck_assert_uint_eq(fr[i].id & 0xff, RNDIS_PKTINFO_ID_V1);
		ck_assert_uint_eq(flag & RNDIS_PKTINFO_SUBALLOC, RNDIS_PKTINFO_SUBALLOC);
		ck_assert_uint_eq(!!(flag & RNDIS_PKTINFO_1ST_FRAG), i == 0);
		ck_assert_uint_eq(!!(flag & RNDIS_PKTINFO_LAST_FRAG), i + 1 == m);
		ck_assert_uint_eq(fr[i].id >> 16, fr[0].id >> 16);
		ck_assert_uint_eq(fr[i].has_csum, i == 0);
		memcpy(got + off, fr[i].data, fr[i].len);
		off += fr[i].len;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_mem_eq(got, f, len);
	/* A coalesced segment's TCP checksum is left as the kernel made it, and the guest is
	 * told so (NDIS: TcpChecksumValueInvalid), as NDIS's RSC rules allow. */
	ck_assert_uint_eq(fr[0].csum & (NDIS_RXCSUM_TCP_SUCCEEDED | NDIS_RXCSUM_TCP_VALUE_INVALID | NDIS_RXCSUM_UDP_SUCCEEDED),
			  NDIS_RXCSUM_TCP_SUCCEEDED | NDIS_RXCSUM_TCP_VALUE_INVALID);
	/* A large UDP frame (not a TSO frame) with its checksum unfinished, over several
	 * sections: finished across them. */
	len = mk_udp4(f, mac, 8000);
	memcpy(got, f, len);
	{
		struct net_vnet_hdr uvh = unfinish(got, len);

		peer_write_vh(&uvh, got, len);
	}
	m = (len + cap - 1) / cap;
	ck_assert_uint_gt(m, 1);
	rx_frames(&ch[0], fr, m, false, NULL);
	for (uint32_t i = 0, o = 0; i < m; o += fr[i].len, i++)
		memcpy(got + o, fr[i].data, fr[i].len);
	ck_assert_mem_eq(got, f, len);
	ck_assert(l4_valid(got, len, 34, 17));
	ck_assert_uint_eq(fr[0].csum, NDIS_RXCSUM_UDP_SUCCEEDED);
	/* A small frame with its checksum unfinished: one section, checksum finished. */
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 100);
	memcpy(got, f, len);
	vh = unfinish(got, len);
	peer_write_vh(&vh, got, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_id);
	ck_assert_mem_eq(fr[0].data, f, len);
	ck_assert_uint_eq(fr[0].csum & NDIS_RXCSUM_TCP_SUCCEEDED, NDIS_RXCSUM_TCP_SUCCEEDED);
	vg_ping(&G);
	ck_assert_uint_eq(stats().rx_rsc, 2);
	/* RSC off: a TSO frame still queued is dropped, not cut to one section. */
	p = (struct ndis_offload_params){ .header = { NDIS_OBJECT_TYPE_DEFAULT, 3, 28 } };
	p.rsc_ip_v4 = p.rsc_ip_v6 = NDIS_OFFLOAD_PARAMETERS_DISABLED;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &p, 28), 0);
	len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, 20000);
	memcpy(buf + sizeof(vh), f, len);
	ck_assert_int_eq(send(peer, buf, sizeof(vh) + len, 0), (ssize_t)(sizeof(vh) + len));
	ck_assert(WAIT_UNTIL(stats().rx_drops == 1, VG_TMO));
	ck_assert_uint_eq(vg_read_avail(&ch[0]), 0);
	ck_assert_uint_eq(stats().bad, 0);
	ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
}
END_TEST

/*
 * Frames the host's kernel made with their checksums left to the device (NEEDS_CSUM;
 * dnsmasq's DHCP replies once the guest turned receive offloads on) reach the guest
 * finished, UDP and TCP, IPv4 and IPv6, even and odd lengths: a DHCP client checks them
 * itself on a raw socket. Vouched for only when finished or verified by the kernel.
 */
START_TEST(test_rx_csum_unfinished)
{
	uint8_t f[2048], w[2048];
	struct rx_frame fr[1];
	struct net_vnet_hdr vh;
	uint32_t len;
	/* UDP over IPv4, UDP over IPv6, TCP over IPv4; each with an even and an odd length. */
	static const struct { uint32_t l4, proto, ndis; } kinds[] = {
		{ 34, 17, NDIS_RXCSUM_UDP_SUCCEEDED }, { 34, 17, NDIS_RXCSUM_UDP_SUCCEEDED },
		{ 54, 17, NDIS_RXCSUM_UDP_SUCCEEDED }, { 54, 17, NDIS_RXCSUM_UDP_SUCCEEDED },
		{ 34, 6, NDIS_RXCSUM_TCP_SUCCEEDED }, { 34, 6, NDIS_RXCSUM_TCP_SUCCEEDED },
	};

	nic_up();
	for (unsigned k = 0; k < 6; k++) {
		uint32_t pay = k % 2 ? 301 : 300;	/* DHCP replies are about 300 bytes */

		len = k < 2 ? mk_udp4(f, mac, pay) : k < 4 ? mk_udp6(f, mac, pay) :
		      mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, 1000, pay);
		ck_assert(l4_valid(f, len, kinds[k].l4, kinds[k].proto));
		memcpy(w, f, len);
		vh = unfinish(w, len);
		ck_assert(!l4_valid(w, len, kinds[k].l4, kinds[k].proto));
		peer_write_vh(&vh, w, len);
		rx_frames(&ch[0], fr, 1, false, NULL);
		ck_assert_uint_eq(fr[0].len, len);
		ck_assert_mem_eq(fr[0].data, f, len);
		ck_assert(l4_valid(fr[0].data, len, kinds[k].l4, kinds[k].proto));
		ck_assert(fr[0].has_csum);
		ck_assert_uint_eq(fr[0].csum, kinds[k].ndis);
	}
	/* A wrong UDP checksum the kernel says nothing about: not vouched for. */
	len = mk_udp4(f, mac, 300);
	f[34 + 6] ^= 0x40;
	peer_write(0, f, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	ck_assert_mem_eq(fr[0].data, f, len);
	/* NEEDS_CSUM naming a field that is not UDP's checksum (its length field): the kernel
	 * never does that; whatever was finished there, UDP's own checksum is wrong and must
	 * not be vouched for. */
	len = mk_udp4(f, mac, 300);
	memcpy(w, f, len);
	vh = unfinish(w, len);
	vh.csum_offset = 4;
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!l4_valid(fr[0].data, len, 34, 17));
	ck_assert(!fr[0].has_csum || !(fr[0].csum & (NDIS_RXCSUM_UDP_SUCCEEDED | NDIS_RXCSUM_TCP_SUCCEEDED)));
	/* Nor one starting elsewhere than the UDP header. */
	memcpy(w, f, len);
	vh = unfinish(w, len);
	vh.csum_start = 36;
	vh.csum_offset = 4;
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum || !(fr[0].csum & (NDIS_RXCSUM_UDP_SUCCEEDED | NDIS_RXCSUM_TCP_SUCCEEDED)));
	/* An IPv4 fragment: its checksum is finished, but there is no datagram to vouch for. */
	len = mk_udp4(f, mac, 300);
	f[14 + 6] = 0x20;
	put16(f + 14 + 10, 0);
	put16(f + 14 + 10, (uint16_t)~fold(sum16(0, f + 14, 20)));
	memcpy(w, f, len);
	vh = unfinish(w, len);
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	vg_ping(&G);
	ck_assert_uint_eq(stats().rx_csum, 6);
	ck_assert_uint_eq(stats().rx_drops, 0);
	ck_assert_uint_eq(stats().bad, 0);
}
END_TEST

/* Checksum offsets from the tap that do not fit the frame: the frame is dropped, no byte
 * outside it read or written; the next frame goes through. */
START_TEST(test_rx_csum_bad_offsets)
{
	static const struct { uint16_t start, offset; } bad[] = {
		{ 0, 6 },		/* inside the Ethernet header */
		{ 13, 6 },
		{ 0xffff, 0 },
		{ 0xffff, 0xffff },
		{ 34, 0xffff },
		{ 34, 307 },		/* the field's second byte past the end of a 342-byte frame */
		{ 341, 0 },
		{ 340, 1 },
		{ 342, 0 },
		{ 2048, 6 },		/* past the section */
	};
	uint8_t f[2048], w[2048];
	struct rx_frame fr[1];
	struct net_vnet_hdr vh;
	uint32_t len = mk_udp4(f, mac, 300);

	nic_up();
	ck_assert_uint_eq(len, 342);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(w, f, len);
		vh = unfinish(w, len);
		vh.csum_start = bad[i].start;
		vh.csum_offset = bad[i].offset;
		peer_write_vh(&vh, w, len);
		ck_assert(WAIT_UNTIL(stats().rx_drops == i + 1, VG_TMO));
		ck_assert_uint_eq(vg_read_avail(&ch[0]), 0);
	}
	/* The last place the field fits: the frame's last two bytes. */
	memcpy(w, f, len);
	vh = unfinish(w, len);
	vh.csum_offset = (uint16_t)(len - 2 - vh.csum_start);
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert(!fr[0].has_csum);
	memcpy(w, f, len);
	vh = unfinish(w, len);
	peer_write_vh(&vh, w, len);
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_mem_eq(fr[0].data, f, len);
	ck_assert_uint_eq(fr[0].csum, NDIS_RXCSUM_UDP_SUCCEEDED);
	vg_ping(&G);
	ck_assert_uint_eq(stats().rx_drops, sizeof(bad) / sizeof(bad[0]));
	ck_assert_uint_eq(stats().rx_packets, 2);
	ck_assert_uint_eq(stats().bad, 0);
}
END_TEST

/* Frames waiting in the tap go out several per transfer-page packet. */
START_TEST(test_rx_batching)
{
	uint8_t f[2048];
	static struct rx_frame fr[40];
	uint32_t len[40];
	unsigned pkts;

	uint64_t xfer;

	nic_up();
	xfer = stats().rx_xfer;
	for (unsigned i = 0; i < 40; i++) {
		len[i] = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)(2000 + i), 100 + i);
		peer_write(0, f, len[i]);
	}
	pkts = rx_frames(&ch[0], fr, 40, false, NULL);
	for (unsigned i = 0; i < 40; i++) {
		ck_assert_uint_eq(fr[i].len, len[i]);
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), 2000 + i);	/* in order */
	}
	ck_assert_uint_lt(pkts, 40);
	ck_assert_uint_eq(stats().rx_xfer - xfer, pkts);
}
END_TEST

/* A receive buffer of few sections: the device stops reading the tap when they are
 * all the guest's, loses nothing, and goes on as the guest gives them back. */
START_TEST(test_rx_buffer_exhaustion)
{
	uint8_t f[2048];
	static struct rx_frame fr[200];
	uint64_t tids[200];
	unsigned data_secs, got = 0, pkts;
	struct netvsp_stats s;

	nvsp_up(NVSP_PROTOCOL_VERSION_61, 16, 16);	/* 64 KiB: about 38 sections */
	rndis_init();
	ck_assert_uint_eq(set_filter(0x0d), 0);
	data_secs = sec_count - (sec_count / 4 < 16 ? sec_count / 4 : 16);
	for (unsigned i = 0; i < 100; i++) {
		uint32_t len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)i, 200);

		peer_write(0, f, len);
	}
	/* Everything the sections hold arrives, then nothing while the guest holds them. */
	pkts = rx_frames(&ch[0], fr, data_secs, true, tids);
	ck_assert(WAIT_UNTIL(stats().rx_no_buffer > 0, VG_TMO));
	ck_assert(vg_read_avail(&ch[0]) == 0);
	for (unsigned i = 0; i < data_secs; i++)
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), i);
	got = data_secs;
	for (unsigned i = 0; i < pkts; i++)
		complete_rx(&ch[0], tids[i]);
	rx_frames(&ch[0], fr + got, 100 - got, false, NULL);
	for (unsigned i = got; i < 100; i++)
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), i);
	vg_ping(&G);
	s = stats();
	ck_assert_uint_eq(s.rx_packets, 100);
	ck_assert_uint_eq(s.rx_drops, 0);
	ck_assert_uint_eq(s.bad, 0);
}
END_TEST

/* A host-to-guest ring too small for the frames waiting: the device waits for the
 * guest to read (pending_send_sz), and every frame arrives in order. */
START_TEST(test_rx_ring_full)
{
	uint8_t f[2048];
	static struct rx_frame fr[1000];
	struct netvsp_stats s;

	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 2);	/* 4 KiB of ring: 500 ranges */
	rndis_init();
	ck_assert_uint_eq(set_filter(0x0d), 0);
	for (unsigned i = 0; i < 1000; i++) {
		uint32_t len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)i, 64);

		peer_write(0, f, len);
	}
	ck_assert(WAIT_UNTIL(stats().rx_ring_full > 0, VG_TMO));
	rx_frames(&ch[0], fr, 1000, false, NULL);
	for (unsigned i = 0; i < 1000; i++)
		ck_assert_uint_eq(get16(fr[i].data + 34 + 2), i);
	s = stats();
	ck_assert_uint_eq(s.rx_packets, 1000);
	ck_assert_uint_eq(s.rx_drops, 0);
}
END_TEST

/* The packet filter: nothing at 0 (the interface is down), only the guest's frames
 * and broadcasts at 0x0D, everything promiscuous. */
START_TEST(test_rx_filter)
{
	static const uint8_t other[6] = { 0x02, 1, 2, 3, 4, 5 }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[2048];
	struct rx_frame fr[4];

	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 16);
	rndis_init();
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 10));
	ck_assert(WAIT_UNTIL(stats().rx_drops == 1, VG_TMO));
	ck_assert_uint_eq(set_filter(RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST), 0);
	peer_write(0, f, mk_tcp4(f, other, 1, 2, 3, 4, 10));
	peer_write(0, f, mk_tcp4(f, bcast, 1, 2, 3, 4, 11));
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 12));
	rx_frames(&ch[0], fr, 2, false, NULL);
	ck_assert_uint_eq(fr[0].len, 14 + 40 + 11);
	ck_assert_uint_eq(fr[1].len, 14 + 40 + 12);
	ck_assert_uint_eq(set_filter(RNDIS_PACKET_TYPE_PROMISCUOUS), 0);
	peer_write(0, f, mk_tcp4(f, other, 1, 2, 3, 4, 13));
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_uint_eq(fr[0].len, 14 + 40 + 13);
	ck_assert_uint_eq(stats().rx_drops, 2);
}
END_TEST

/* ---- sub-channels and RSS ------------------------------------------------------------------- */

static void open_subchannels(unsigned want, unsigned expect)
{
	struct nvsp_msg5_subchannel m = { NVSP_MSG5_TYPE_SUBCHANNEL, NVSP_SUBCHANNEL_ALLOCATE, want }, r;
	uint8_t buf[40];
	uint64_t tid = next_tid++;
	union vg_msg msg;

	nvsp(&ch[0], &m, sizeof(m), tid);
	ck_assert_uint_ge(expect_comp(&ch[0], tid, buf, sizeof(buf)), 12);
	memcpy(&r, buf, sizeof(r));
	ck_assert_uint_eq(r.msg_type, NVSP_MSG5_TYPE_SUBCHANNEL);
	ck_assert_uint_eq(r.op_or_status, expect ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL);
	ck_assert_uint_eq(r.num_subchannels, expect);
	for (unsigned i = 1; i <= expect; i++) {
		vg_expect(&G, CHANNELMSG_OFFERCHANNEL, &msg);
		ck_assert_mem_eq(&msg.offer.offer.if_instance, &primary_offer.offer.if_instance, 16);
		ck_assert_uint_eq(msg.offer.offer.sub_channel_index, i);
		ck_assert_uint_eq(vg_open(&G, &ch[i], &msg.offer, gpadl_id++, RING_GPA(i), 16, 16, 0), 0);
	}
}

static void expect_send_table(unsigned nchan)
{
	uint8_t buf[256];
	struct vmbus_packet_desc d;
	struct nvsp_msg5_send_indirection_table t;
	int n = next_pkt(&ch[0], buf);

	memcpy(&d, buf, sizeof(d));
	ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_ge((uint32_t)n - d.offset8 * 8u, 12 + 64);
	memcpy(&t, buf + d.offset8 * 8u, sizeof(t));
	ck_assert_uint_eq(t.msg_type, NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE);
	ck_assert_uint_eq(t.count, 16);
	ck_assert_uint_eq(t.offset, 12);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(t.table[i], i % nchan);
}

/* rndis_filter_set_rss_param: table of 128 entries, Linux's default key. */
static uint32_t set_rss(uint16_t flag, const uint32_t *table, unsigned entries)
{
	uint8_t buf[1024] = { 0 };
	struct ndis_recv_scale_param p = {
		.hdr = { NDIS_OBJECT_TYPE_RSS_PARAMETERS, 2, 40 },
		.flag = flag,
		.hashinfo = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6 |
			    NDIS_HASH_TCP_IPV6,
		.indirect_tabsize = (uint16_t)(4 * entries),
		.indirect_taboffset = 40,
		.hashkey_size = 40,
		.hashkey_offset = 40 + 4 * entries,
	};

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 40, table, 4 * entries);
	memcpy(buf + 40 + 4 * entries, rss_key, 40);
	return set_oid(OID_GEN_RECEIVE_SCALE_PARAMETERS, buf, 40 + 4 * entries + 40);
}

START_TEST(test_subchannels_and_rss)
{
	uint32_t table[128], hash;
	uint8_t f[2048];
	struct rx_frame fr[1];
	union vg_msg msg;
	uint32_t old_relid;

	nic_up();
	open_subchannels(7, 1);		/* two queues configured: one sub-channel */
	expect_send_table(2);
	for (unsigned i = 0; i < 128; i++)
		table[i] = i % 2;
	ck_assert_uint_eq(set_rss(NDIS_RSS_PARAM_FLAG_DISABLE_RSS, table, 128), 0);
	ck_assert_uint_eq(set_rss(0, table, 128), 0);
	/* Each flow goes where the Toeplitz hash points in the table, with its hash. */
	for (unsigned port = 1000; port < 1016; port++) {
		uint8_t in[12] = { 10, 0, 0, 2, 10, 0, 0, 1, 0, 80, (uint8_t)(port >> 8), (uint8_t)port };
		uint32_t len = mk_tcp4(f, mac, 0x0a000002, 0x0a000001, 80, (uint16_t)port, 40);
		unsigned q;

		hash = rss_toeplitz(rss_key, in, sizeof(in));
		q = table[hash % 128];
		peer_write(0, f, len);
		rx_frames(&ch[q], fr, 1, false, NULL);
		ck_assert(fr[0].has_hash);
		ck_assert_uint_eq(fr[0].hash, hash);
	}
	/* Data sent on the sub-channel is completed there. */
	{
		uint32_t len = mk_tcp4(f, peer_mac, 1, 2, 3, 4, 50);
		struct net_vnet_hdr vh;
		uint8_t out[2048];

		ck_assert_uint_eq(tx_section(&ch[1], 9, mk_rndis(send_section(9), f, len, NULL, 0)), NVSP_STAT_SUCCESS);
		ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	}
	/* A second request is refused; the channel count stays. */
	open_subchannels(1, 0);
	/* Closing the primary takes the sub-channel away; a new session gets a new one. */
	old_relid = ch[1].relid;
	close_chan(&ch[1]);
	close_chan(&ch[0]);
	vg_expect(&G, CHANNELMSG_RESCIND_CHANNELOFFER, &msg);
	ck_assert_uint_eq(msg.relid.child_relid, old_relid);
	nic_up();
	open_subchannels(1, 1);
	ck_assert_uint_ne(ch[1].relid, old_relid);
	expect_send_table(2);
}
END_TEST

/* ---- link, address ------------------------------------------------------------------------ */

START_TEST(test_link_down_up)
{
	uint8_t buf[64], f[256];
	struct rx_pkt p;
	struct rndis_indicate_status ind;
	struct netvsp_stats s;

	nic_up();
	set_link(false);
	parse_xfer(buf, (uint32_t)next_pkt(&ch[0], buf), &p);
	memcpy(&ind, recv_buf() + p.r[0].byte_offset, sizeof(ind));
	complete_rx(&ch[0], p.tid);
	ck_assert_uint_eq(ind.msg_type, RNDIS_MSG_INDICATE);
	ck_assert_uint_eq(ind.status, RNDIS_STATUS_MEDIA_DISCONNECT);
	ck_assert_uint_ge(ind.msg_len, 20);
	ck_assert_uint_eq(query32(OID_GEN_MEDIA_CONNECT_STATUS), 1);
	/* No cable: frames go nowhere either way. */
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 10));
	ck_assert_uint_eq(tx_section(&ch[0], 0, mk_rndis(send_section(0), f, mk_tcp4(f, peer_mac, 1, 2, 3, 4, 10),
							 NULL, 0)), NVSP_STAT_SUCCESS);
	ck_assert(peer_idle());
	set_link(true);
	parse_xfer(buf, (uint32_t)next_pkt(&ch[0], buf), &p);
	memcpy(&ind, recv_buf() + p.r[0].byte_offset, sizeof(ind));
	complete_rx(&ch[0], p.tid);
	ck_assert_uint_eq(ind.status, RNDIS_STATUS_MEDIA_CONNECT);
	ck_assert_uint_eq(query32(OID_GEN_MEDIA_CONNECT_STATUS), 0);
	s = stats();
	ck_assert_uint_eq(s.tx_drops, 1);
	ck_assert_uint_eq(s.rx_drops, 1);
	ck_assert_uint_eq(s.tx_packets, 0);
}
END_TEST

/* rndis_filter_set_device_mac: "NetworkAddress" as 12 hex digits in UTF-16. */
static uint32_t set_address(const char *hex)
{
	uint8_t info[72] = { 0 };
	struct rndis_config_parameter_info p = { 20, 28, RNDIS_CONFIG_PARAM_TYPE_STRING, 48, 24 };
	const char *name = "NetworkAddress";

	memcpy(info, &p, sizeof(p));
	for (unsigned i = 0; i < 14; i++)
		info[20 + 2 * i] = (uint8_t)name[i];
	for (unsigned i = 0; i < 12; i++)
		info[48 + 2 * i] = (uint8_t)hex[i];
	return set_oid(OID_GEN_RNDIS_CONFIG_PARAMETER, info, sizeof(info));
}

START_TEST(test_mac_change)
{
	static const uint8_t newmac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c };
	uint8_t buf[16], f[256];
	struct rx_frame fr[1];
	uint32_t n;

	nic_up();
	ck_assert_uint_eq(set_address("00155d0a0b0c"), 0);
	ck_assert_uint_eq(query(OID_802_3_CURRENT_ADDRESS, buf, &n), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(buf, newmac, 6);
	ck_assert_uint_eq(query(OID_802_3_PERMANENT_ADDRESS, buf, &n), 0);
	ck_assert_mem_eq(buf, mac, 6);
	peer_write(0, f, mk_tcp4(f, newmac, 1, 2, 3, 4, 10));
	rx_frames(&ch[0], fr, 1, false, NULL);
	ck_assert_mem_eq(fr[0].data, newmac, 6);
	/* Not hex, a multicast address: refused, the address stays. */
	ck_assert_uint_eq(set_address("00155d0a0b0g"), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_address("01155d0a0b0c"), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(query(OID_802_3_CURRENT_ADDRESS, buf, &n), 0);
	ck_assert_mem_eq(buf, newmac, 6);
}
END_TEST

/* ---- malformed input ------------------------------------------------------------------------ */

/* After anything below, the device still answers a good request. */
static void still_works(void)
{
	ck_assert_uint_eq(query32(OID_GEN_MAXIMUM_FRAME_SIZE), 1500);
}

START_TEST(test_bad_nvsp)
{
	struct nvsp_msg1_send_rndis_pkt m;
	struct nvsp_msg1_send_recv_buf_complete rb;
	uint32_t type, sec;
	uint64_t tid;

	ck_assert_uint_eq(vg_open(&G, &ch[0], &primary_offer, gpadl_id++, RING_GPA(0), 16, 16, 0), 0);
	/* Before INIT: refused, but answered. */
	m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, 0, 100 };
	tid = next_tid++;
	nvsp(&ch[0], &m, sizeof(m), tid);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT), NVSP_STAT_FAIL);
	init_version(NVSP_PROTOCOL_VERSION_61, true);
	version = NVSP_PROTOCOL_VERSION_61;
	/* A second INIT. */
	init_version(NVSP_PROTOCOL_VERSION_5, false);
	/* Unknown messages, and one too short for its type (4 bytes of a SEND_RECV_BUF). */
	type = 9999;
	tid = next_tid++;
	ck_assert_int_eq(vg_send(&ch[0], VM_PKT_DATA_INBAND, 1, tid, &type, 4), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, 9999), NVSP_STAT_FAIL);
	type = NVSP_MSG1_TYPE_SEND_RECV_BUF;
	tid = next_tid++;
	ck_assert_int_eq(vg_send(&ch[0], VM_PKT_DATA_INBAND, 1, tid, &type, 4), 0);
	ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RECV_BUF), NVSP_STAT_FAIL);
	/* Buffers: a GPADL that does not exist, one of another channel's... */
	ck_assert_uint_eq(send_recv_buf(0x12345, 0xcafe, &rb), NVSP_STAT_FAIL);
	ck_assert_uint_eq(rb.num_sections, 0);
	/* ... one with an offset into its first page. */
	{
		uint64_t pfns[4] = { RECV_GPA / PAGE, RECV_GPA / PAGE + 1, RECV_GPA / PAGE + 2, RECV_GPA / PAGE + 3 };

		ck_assert_uint_eq(vg_gpadl_create_pfns(&G, ch[0].relid, 0x501, 100, 4 * PAGE - 100, pfns, 4), 0);
		ck_assert_uint_eq(send_recv_buf(0x501, 0xcafe, &rb), NVSP_STAT_FAIL);
	}
	ck_assert_uint_eq(send_send_buf(0x12345, 0, &sec), NVSP_STAT_FAIL);
	ck_assert_uint_eq(sec, 0);
	/* The good ones still go through, once. */
	ck_assert_uint_eq(vg_gpadl_create(&G, ch[0].relid, 0x502, RECV_GPA, RECV_PAGES), 0);
	ck_assert_uint_eq(send_recv_buf(0x502, 0xcafe, &rb), NVSP_STAT_SUCCESS);
	sec_size = rb.sections[0].sub_alloc_size;
	sec_count = rb.sections[0].num_sub_allocs;
	ck_assert_uint_eq(send_recv_buf(0x502, 0xcafe, &rb), NVSP_STAT_FAIL);
	ck_assert_uint_eq(vg_gpadl_create(&G, ch[0].relid, 0x503, SEND_GPA, SEND_PAGES), 0);
	ck_assert_uint_eq(send_send_buf(0x503, 0, &sec), NVSP_STAT_SUCCESS);
	rndis_init();
	/* RNDIS packets: a section past the buffer, a size over a section, a size past the
	 * data; GPA direct with no range, a page outside RAM, an offset past the page. */
	{
		static const struct { uint32_t index, size; } bad[] = { { 170, 100 }, { 0, 6145 }, { 169, 6144 + 1 } };

		for (unsigned i = 0; i < 3; i++) {
			m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 0, bad[i].index, bad[i].size };
			tid = next_tid++;
			nvsp(&ch[0], &m, sizeof(m), tid);
			ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
		}
	}
	{
		uint64_t gpa[2] = { RAM + 0x1000, CTRL_GPA };
		uint32_t len[2] = { 100, 100 };

		m = (struct nvsp_msg1_send_rndis_pkt){ NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 1, NVSP_SECTION_NONE, 0 };
		tid = next_tid++;
		ck_assert_int_eq(send_gpa(&ch[0], tid, gpa, len, 1, &m, sizeof(m)), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
		tid = next_tid++;
		ck_assert_int_eq(send_gpa(&ch[0], tid, gpa, len, 0, &m, sizeof(m)), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
	}
	{
		/* A range whose page list runs into the NVSP message. */
		uint8_t pkt[256] = { 0 };
		struct vmbus_gpa_direct_header h = { .d = { VM_PKT_DATA_USING_GPA_DIRECT, 5, 10, 1, 0 }, 0, 1 };
		struct vmbus_gpa_range r = { 3 * PAGE, 0 };

		h.d.trans_id = tid = next_tid++;
		memcpy(pkt, &h, sizeof(h));
		memcpy(pkt + sizeof(h), &r, sizeof(r));
		memcpy(pkt + 40, &m, sizeof(m));
		ck_assert_int_eq(write_pkt(&ch[0], pkt, 80), 0);
		ck_assert_uint_eq(comp_status(&ch[0], tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE), NVSP_STAT_FAIL);
	}
	/* Receive completions for packets never sent. */
	complete_rx(&ch[0], 0x777);
	complete_rx(&ch[0], 0xffffffffffffffffull);
	still_works();
	ck_assert_uint_ge(stats().bad, 10);
	ck_assert(peer_idle());
}
END_TEST

/* A data message whose stream ends early, PPIs that do not add up, offsets out of
 * the message: the send fails, nothing reaches the tap, the next one works. */
START_TEST(test_bad_rndis_packets)
{
	uint8_t f[2048], *sec;
	uint32_t len, ml, ppi[2] = { TCPIP_CHKSUM_PKTINFO, NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | (34u << 16) };
	struct rndis_packet p;
	struct rndis_ppi h;
	struct net_vnet_hdr vh;
	uint8_t out[2048];

	nic_up();
	sec = send_section(3);
	len = mk_tcp4(f, peer_mac, 1, 2, 3, 4, 100);
	/* msg_len beyond the bytes sent */
	ml = mk_rndis(sec, f, len, NULL, 0);
	ck_assert_uint_eq(tx_section(&ch[0], 3, ml - 8), NVSP_STAT_FAIL);
	/* msg_len 0, and under 8 */
	memset(sec, 0, 16);
	ck_assert_uint_eq(tx_section(&ch[0], 3, 16), NVSP_STAT_FAIL);
	/* data offset past the message */
	ml = mk_rndis(sec, f, len, NULL, 0);
	memcpy(&p, sec, sizeof(p));
	p.data_offset = ml;
	memcpy(sec, &p, sizeof(p));
	ck_assert_uint_eq(tx_section(&ch[0], 3, ml), NVSP_STAT_FAIL);
	/* a PPI of size 0, a PPI running past its area, an offset past the PPI */
	for (unsigned k = 0; k < 3; k++) {
		ml = mk_rndis(sec, f, len, ppi, 1);
		memcpy(&h, sec + 44, sizeof(h));
		if (k == 0)
			h.size = 0;
		else if (k == 1)
			h.size = 32;
		else
			h.ppi_offset = 16;
		memcpy(sec + 44, &h, sizeof(h));
		ck_assert_uint_eq(tx_section(&ch[0], 3, ml), NVSP_STAT_FAIL);
	}
	/* a checksum offset beyond the frame, an LSO for an IPv6 frame that is IPv4 */
	ppi[1] = NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | (1000u << 16);
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, len, ppi, 1)), NVSP_STAT_FAIL);
	ppi[0] = TCP_LARGESEND_PKTINFO;
	ppi[1] = 1000u | (34u << 20) | NDIS_LSO_V2 | NDIS_LSO_IPV6;
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, len, ppi, 1)), NVSP_STAT_FAIL);
	/* a runt */
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, 10, NULL, 0)), NVSP_STAT_FAIL);
	ck_assert(peer_idle());
	ck_assert_uint_eq(tx_section(&ch[0], 3, mk_rndis(sec, f, len, NULL, 0)), NVSP_STAT_SUCCESS);
	ck_assert_int_eq(peer_read(&vh, out, sizeof(out)), (int)len);
	ck_assert_uint_eq(stats().tx_packets, 1);
}
END_TEST

/* A guest that sends bad packets without end, each a little different, gets a
 * bounded number of log lines, and a different complaint after them is still logged. */
START_TEST(test_bad_flood_log_bounded)
{
	uint8_t f[2048], *sec;
	uint32_t len, ml;
	char *text;

	nic_up();
	sec = send_section(3);
	len = mk_tcp4(f, peer_mac, 1, 2, 3, 4, 100);
	ml = mk_rndis(sec, f, len, NULL, 0);
	test_stderr_begin();
	for (unsigned i = 0; i < 500; i++)
		ck_assert_uint_eq(tx_section(&ch[0], 3, ml - 8 - (i % 64)), NVSP_STAT_FAIL);
	complete_rx(&ch[0], 0x777);
	still_works();
	text = test_stderr_end();
	ck_assert_uint_ge(test_count_lines(text, "netvsp 0: "), 2);
	ck_assert_uint_le(test_count_lines(text, "netvsp 0: "), LOG_RATELIMIT_BURST + 1);
	ck_assert_uint_eq(test_count_lines(text, "netvsp 0: completion of a receive packet that is not outstanding"), 1);
	ck_assert_uint_ge(stats().bad, 501);
	free(text);
}
END_TEST

/* RNDIS control messages with lengths and offsets that lie: answered with an error
 * status (or, below the request id, not at all), and the device keeps going. */
START_TEST(test_bad_rndis_control)
{
	uint8_t m[128] = { 0 }, r[256];
	struct rndis_query_request q = { RNDIS_MSG_QUERY, 28, 0, OID_GEN_MAXIMUM_FRAME_SIZE, 4, 200, 0 };
	struct rndis_query_complete qc;
	struct rndis_status_complete sc;
	struct ndis_offload_params op = { .header = { 0x55, 3, 28 } };
	uint32_t table[4] = { 0, 1, 0, 9 };

	nic_up();
	/* An input buffer outside the message */
	q.req_id = next_req++;
	memcpy(m, &q, sizeof(q));
	ck_assert_uint_ge(rndis(m, sizeof(q), r, sizeof(r)), sizeof(qc));
	memcpy(&qc, r, sizeof(qc));
	ck_assert_uint_eq(qc.req_id, q.req_id);
	ck_assert_uint_eq(qc.status, RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(qc.info_buflen, 0);
	/* A SET whose buffer runs past the message */
	q.msg_type = RNDIS_MSG_SET;
	q.msg_len = 40;
	q.req_id = next_req++;
	q.info_buf_offset = 20;
	q.info_buflen = 100;
	memcpy(m, &q, sizeof(q));
	ck_assert_uint_eq(rndis(m, 40, &sc, sizeof(sc)), sizeof(sc));
	ck_assert_uint_eq(sc.status, RNDIS_STATUS_INVALID_DATA);
	/* Too short for a QUERY: still answered */
	q.msg_type = RNDIS_MSG_QUERY;
	q.req_id = next_req++;
	q.msg_len = 16;
	memcpy(m, &q, sizeof(q));
	ck_assert_uint_ge(rndis(m, 16, r, sizeof(r)), sizeof(qc));
	memcpy(&qc, r, sizeof(qc));
	ck_assert_uint_eq(qc.status, RNDIS_STATUS_INVALID_LENGTH);
	/* Objects with a bad header, RSS tables naming queues that do not exist */
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_INVALID_DATA);
	op.header.type = NDIS_OBJECT_TYPE_DEFAULT;
	op.header.size = 200;
	ck_assert_uint_eq(set_oid(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_rss(0, table, 4), RNDIS_STATUS_INVALID_DATA);
	ck_assert_uint_eq(set_oid(OID_GEN_RECEIVE_SCALE_PARAMETERS, table, 12), RNDIS_STATUS_INVALID_LENGTH);
	ck_assert_uint_eq(set_filter(0x0d), 0);
	/* Unknown OIDs */
	ck_assert_uint_eq(set_oid(0x12345678, table, 4), RNDIS_STATUS_NOT_SUPPORTED);
	{
		uint32_t n;

		ck_assert_uint_eq(query(0x12345678, r, &n), RNDIS_STATUS_NOT_SUPPORTED);
		ck_assert_uint_eq(n, 0);
	}
	still_works();
}
END_TEST

/* Revoking the receive buffer stops delivery; a teardown of a buffer in use waits
 * for the revoke; closing answers the rest. */
START_TEST(test_revoke_and_teardown)
{
	struct nvsp_msg1_revoke_buf rv = { NVSP_MSG1_TYPE_REVOKE_RECV_BUF, 0xcafe };
	union vg_msg msg;
	uint8_t f[256];
	uint32_t recv_gpadl;

	nic_up();
	recv_gpadl = gpadl_id - 2;
	/* The guest takes the buffer back while hvkvm uses it: no answer yet. */
	gpadl_teardown(ch[0].relid, recv_gpadl);
	ck_assert_int_lt(vg_recv(&G, &msg, 200), 0);
	nvsp(&ch[0], &rv, sizeof(rv), NO_RESPONSE);
	vg_expect(&G, CHANNELMSG_GPADL_TORNDOWN, &msg);
	ck_assert_uint_eq(msg.torndown.gpadl, recv_gpadl);
	peer_write(0, f, mk_tcp4(f, mac, 1, 2, 3, 4, 10));
	ck_assert(WAIT_UNTIL(stats().rx_drops == 1, VG_TMO));
	ck_assert(vg_read_avail(&ch[0]) == 0);
	rv.msg_type = NVSP_MSG1_TYPE_REVOKE_SEND_BUF;
	rv.id = 0;
	nvsp(&ch[0], &rv, sizeof(rv), NO_RESPONSE);
	close_chan(&ch[0]);
	gpadl_teardown(ch[0].relid, recv_gpadl + 1);
	vg_expect(&G, CHANNELMSG_GPADL_TORNDOWN, &msg);
	ck_assert_uint_eq(msg.torndown.gpadl, recv_gpadl + 1);
	/* And the whole thing again on the same channel. */
	nic_up();
	still_works();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netvsp");
	TCase *t = tcase_create("bring-up");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_offer);
	tcase_add_test(t, test_linux_bringup);
	tcase_add_test(t, test_versions);
	suite_add_tcase(s, t);

	t = tcase_create("transmit");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_tx_batch);
	tcase_add_test(t, test_tx_csum);
	tcase_add_test(t, test_tx_lso_ipv4);
	tcase_add_test(t, test_tx_lso_ipv6_vlan);
	suite_add_tcase(s, t);

	t = tcase_create("receive");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_rx_basic);
	tcase_add_test(t, test_rx_rsc);
	tcase_add_test(t, test_rx_csum_unfinished);
	tcase_add_test(t, test_rx_csum_bad_offsets);
	tcase_add_test(t, test_rx_batching);
	tcase_add_test(t, test_rx_buffer_exhaustion);
	tcase_add_test(t, test_rx_ring_full);
	tcase_add_test(t, test_rx_filter);
	suite_add_tcase(s, t);

	t = tcase_create("channels");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_subchannels_and_rss);
	tcase_add_test(t, test_link_down_up);
	tcase_add_test(t, test_mac_change);
	suite_add_tcase(s, t);

	t = tcase_create("malformed");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_bad_nvsp);
	tcase_add_test(t, test_bad_rndis_packets);
	tcase_add_test(t, test_bad_flood_log_bounded);
	tcase_add_test(t, test_bad_rndis_control);
	tcase_add_test(t, test_revoke_and_teardown);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_main(suite());
}
