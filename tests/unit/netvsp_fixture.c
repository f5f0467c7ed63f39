/* SPDX-License-Identifier: MIT */
#include "netvsp_fixture.h"

/*
 * The synthetic NIC against an in-process guest that speaks as Linux 6.1's hv_netvsc
 * does (netvsc-facts.md §3): NVSP negotiation, buffers, RNDIS over GPA-direct
 * packets, sub-channels; then frames both ways through a socketpair standing in for
 * the tap, with their virtio-net headers; then running out of receive buffer and ring
 * space, and malformed input of every kind.
 */

const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };
const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct netvsp *nv;
int peer = -1;
struct vmbus_msg_offer_channel primary_offer;
struct vg_chan ch[NETVSP_MAX_QUEUES];
uint64_t next_tid;
uint32_t next_req;
uint32_t version;
uint32_t sec_size, sec_count;
uint32_t gpadl_id;

struct vg G;

/* CLOSECHANNEL alone: the ring's GPADL stays, as when Linux closes and re-opens. */
void close_chan(struct vg_chan *c)
{
	vg_send_relid(&G, CHANNELMSG_CLOSECHANNEL, c->relid);
}

/* GPADL_TEARDOWN without waiting for the answer. */
void gpadl_teardown(uint32_t relid, uint32_t id)
{
	struct vmbus_msg_gpadl_teardown m = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = id };

	vg_post(&G, &m, sizeof(m));
}

/* A whole packet, descriptor included, as one write. */
int write_pkt(struct vg_chan *c, const void *pkt, uint32_t len)
{
	struct iovec iov = { (void *)pkt, len };

	return vg_write(c, &iov, 1, true);
}

/* ---- the device on the loop thread ------------------------------------------------------- */

void lc_new(void *o)
{
	struct lc *c = o;

	nv = netvsp_new(G.bus, G.loop, &G.mem, tap_open_fd(c->fd), &c->cfg);
}

void lc_link(void *o)
{
	netvsp_set_link(nv, ((struct lc *)o)->up);
}

void lc_stats(void *o)
{
	netvsp_get_stats(nv, &((struct lc *)o)->stats);
}

struct netvsp_stats stats(void)
{
	struct lc c;

	ck_assert_int_eq(loop_call(G.loop, lc_stats, &c), 0);
	return c.stats;
}

void set_link(bool up)
{
	struct lc c = { .up = up };

	ck_assert_int_eq(loop_call(G.loop, lc_link, &c), 0);
}

void free_nic(void)
{
	netvsp_free(nv);
	nv = NULL;
}

void nic_create(unsigned mtu, unsigned queues)
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

void setup_with(unsigned mtu, unsigned queues)
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

void setup(void)
{
	setup_with(1500, 2);
}

void teardown(void)
{
	vg_stop(&G);
	free_nic();
	vg_destroy(&G);
	if (peer >= 0)
		close(peer);
	peer = -1;
}

/* A test case of s with the fixture and a minute for each test. */
TCase *netvsp_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

/* ---- NVSP as hv_netvsc sends it ------------------------------------------------------------ */

/* Every NVSP message Linux originates is 40 bytes (struct nvsp_message). */
void nvsp(struct vg_chan *c, const void *msg, uint32_t len, uint64_t tid)
{
	uint8_t m[40] = { 0 };

	memcpy(m, msg, len);
	ck_assert_int_eq(vg_send(c, VM_PKT_DATA_INBAND, tid == NO_RESPONSE ? 0 : 1, tid, m, sizeof(m)), 0);
}

/* The next host packet on c. */
int next_pkt(struct vg_chan *c, uint8_t *buf)
{
	int n = vg_read_wait(c, buf, 8192, VG_TMO);

	ck_assert_msg(n >= (int)DESC, "no packet from the host on channel %u", c->relid);
	return n;
}

/* A completion for tid: its payload in out, the payload length returned. */
uint32_t expect_comp(struct vg_chan *c, uint64_t tid, void *out, uint32_t max)
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

uint32_t comp_status(struct vg_chan *c, uint64_t tid, uint32_t type)
{
	uint32_t m[10] = { 0 };

	ck_assert_uint_ge(expect_comp(c, tid, m, sizeof(m)), 8);
	ck_assert_uint_eq(m[0], type);
	return m[1];
}

void init_version(uint32_t v, bool ok)
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

uint32_t send_recv_buf(uint32_t gpadl, uint16_t id, struct nvsp_msg1_send_recv_buf_complete *r)
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

uint32_t send_send_buf(uint32_t gpadl, uint16_t id, uint32_t *section)
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
void nvsp_up(uint32_t v, unsigned recv_pages, unsigned dn_pages)
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
int send_gpa(struct vg_chan *c, uint64_t tid, const uint64_t *gpa, const uint32_t *len, unsigned n,
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

uint8_t *recv_buf(void)
{
	return gmem_ptr(&G.mem, RECV_GPA, (uint64_t)RECV_PAGES * PAGE);
}

/* A transfer-page packet as Linux's netvsc_receive checks it. */
void parse_xfer(const uint8_t *buf, uint32_t len, struct rx_pkt *p)
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

void complete_rx(struct vg_chan *c, uint64_t tid)
{
	struct nvsp_msg1_send_rndis_pkt_complete m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	ck_assert_int_eq(vg_send(c, VM_PKT_COMP, 0, tid, &m, sizeof(m)), 0);
}

/* Send an RNDIS control message as rndis_filter_send_request does (a GPA-direct packet
 * with the request in one range, on the primary) and return the reply's length. The
 * host completes the send, then the reply arrives in a receive section. */
uint32_t rndis_at(uint64_t gpa, const void *msg, uint32_t len, void *reply, uint32_t max)
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

uint32_t rndis(const void *msg, uint32_t len, void *reply, uint32_t max)
{
	return rndis_at(CTRL_GPA + 0x100, msg, len, reply, max);
}

void rndis_init(void)
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
uint32_t query_in(uint32_t oid, const void *in, uint32_t inlen, void *out, uint32_t *outlen)
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

uint32_t query(uint32_t oid, void *out, uint32_t *outlen)
{
	return query_in(oid, NULL, 0, out, outlen);
}

uint32_t query32(uint32_t oid)
{
	uint32_t v = 0, n;

	ck_assert_uint_eq(query(oid, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	return v;
}

uint32_t set_oid(uint32_t oid, const void *info, uint32_t len)
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

uint32_t set_filter(uint32_t filter)
{
	return set_oid(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4);
}

/* rndis_netdev_set_hwcaps: the capabilities, then the offloads Linux turns on. */
void set_offloads(void)
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
void nic_up(void)
{
	nvsp_up(NVSP_PROTOCOL_VERSION_61, RECV_PAGES, 16);
	rndis_init();
	set_offloads();
	ck_assert_uint_eq(set_filter(0x0d), 0);
}

/* ---- frames ------------------------------------------------------------------------------ */

void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

uint64_t sum16(uint64_t s, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		s += get16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Ethernet + IPv4 + TCP with payload bytes; checksums complete. */
uint32_t mk_tcp4(uint8_t *f, const uint8_t *dst, uint32_t saddr, uint32_t daddr, uint16_t sport,
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
uint32_t mk_udp6(uint8_t *f, const uint8_t *dst, uint32_t payload)
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
bool l4_valid(const uint8_t *f, uint32_t len, uint32_t l4, uint32_t proto)
{
	bool v6 = get16(f + 12) == 0x86dd;
	uint64_t s = proto + len - l4;

	s = v6 ? sum16(s, f + 14 + 8, 32) : sum16(s, f + 14 + 12, 8);
	return fold(sum16(s, f + l4, len - l4)) == 0xffff;
}

/* What the kernel does with NEEDS_CSUM: the sum from csum_start, stored inverted. */
void finish_csum(uint8_t *f, uint32_t len, const struct net_vnet_hdr *vh)
{
	uint16_t c = (uint16_t)~fold(sum16(0, f + vh->csum_start, len - vh->csum_start));

	put16(f + vh->csum_start + vh->csum_offset, c);
}

/* Ethernet + IPv4 + UDP from the server's port 67 to the client's 68, as a DHCP reply. */
uint32_t mk_udp4(uint8_t *f, const uint8_t *dst, uint32_t payload)
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
struct net_vnet_hdr unfinish(uint8_t *f, uint32_t len)
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
uint32_t mk_rndis(uint8_t *out, const uint8_t *frame, uint32_t flen, const uint32_t *ppi, unsigned nppi)
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

uint8_t *send_section(uint32_t i)
{
	return gmem_ptr(&G.mem, SEND_GPA + (uint64_t)i * 6144, 6144);
}

/* SEND_RNDIS_PKT of bytes already in send section sec: the completion's status. */
uint32_t tx_section(struct vg_chan *c, uint32_t sec, uint32_t len)
{
	struct nvsp_msg1_send_rndis_pkt m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT, NVSP_CHANNEL_TYPE_DATA, sec, len };
	uint64_t tid = next_tid++;

	nvsp(c, &m, sizeof(m), tid);
	return comp_status(c, tid, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
}

/* The next frame hvkvm wrote to the tap: its virtio-net header and length. */
int peer_read(struct net_vnet_hdr *vh, uint8_t *f, uint32_t max)
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

bool peer_idle(void)
{
	struct pollfd p = { peer, POLLIN, 0 };

	return poll(&p, 1, 100) == 0;
}

/* A frame arriving on the tap. */
void peer_write(uint8_t flags, const uint8_t *f, uint32_t len)
{
	uint8_t buf[70000] = { 0 };

	buf[0] = flags;
	memcpy(buf + NET_VNET_HDR_LEN, f, len);
	ck_assert_int_eq(send(peer, buf, NET_VNET_HDR_LEN + len, 0), (ssize_t)(NET_VNET_HDR_LEN + len));
}

/* A frame arriving on the tap with the virtio-net header given. */
void peer_write_vh(const struct net_vnet_hdr *vh, const uint8_t *f, uint32_t len)
{
	static uint8_t buf[70000];

	memcpy(buf, vh, sizeof(*vh));
	memcpy(buf + NET_VNET_HDR_LEN, f, len);
	ck_assert_int_eq(send(peer, buf, NET_VNET_HDR_LEN + len, 0), (ssize_t)(NET_VNET_HDR_LEN + len));
}

/* One received RNDIS data message as rndis_filter_receive_data checks it: the
 * frame's offset in the receive buffer and length, its PPIs. */

void parse_rx_range(const struct vmbus_xfer_page_range *r, struct rx_frame *fr)
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
unsigned rx_frames(struct vg_chan *c, struct rx_frame *fr, unsigned n, bool hold, uint64_t *tids)
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
