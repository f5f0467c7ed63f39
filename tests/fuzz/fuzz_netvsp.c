/* SPDX-License-Identifier: MIT */
/*
 * The synthetic NIC (src/devices/netvsp*.c, rndis.c) on open channels: the harness
 * brings VMBus up as Linux does and, unless the input wants to do it itself, runs NVSP
 * as hv_netvsc does (INIT 6.1, NDIS_CONFIG, NDIS version, the receive and send
 * buffers), RNDIS INITIALIZE, and a sub-channel. Then the input sends any NVSP packet,
 * RNDIS messages in send-buffer sections and in GPA-direct pages (control messages
 * and data packets with their per-packet info), frames from the tap's side (a
 * socketpair), completes receives or not, breaks the rings, writes guest memory,
 * pulls the cable and closes and reopens channels.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "vmbus_guest.h"
#include "hv.h"
#include "loop.h"
#include "netvsp.h"
#include "netvsp_proto.h"
#include "rndis_proto.h"
#include "tap.h"
#include "vmbus.h"

static struct vg g;
static struct vg_chan chans[FZ_NV_MAX_CHAN];
static int peer = -1;
static uint64_t next_tid;
static bool rings_broken;	/* the input wrote ring indices or ring memory itself */
static bool negotiating;	/* the harness sends, not the input */
static bool own_rxbuf;		/* the receive buffer is the harness's, its contents the host's */

static void on_msg(struct vg *gu, const union vg_msg *msg, uint32_t len)
{
	(void)gu;
	vg_chan_offered(chans, FZ_NV_MAX_CHAN, msg, len);
}

/* What the NIC wrote to the tap goes nowhere. */
static void drain_tap(void)
{
	static uint8_t buf[70000];

	while (recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void settle(void)
{
	vg_settle(&g);
	drain_tap();
	vg_settle(&g);
}

static void chan_open(unsigned k)
{
	vg_chan_open(&g, &chans[k], FZ_RING_GPA(k), FZ_NV_RING_PAGES, k % FZ_VS_NVP);
}

static void chan_close(unsigned k)
{
	vg_chan_close(&g, &chans[k]);
}

/* A packet as netvsc sends it: in-band, or GPA direct with its ranges and pages. */
static void send_raw(unsigned k, const void *pkt, uint32_t len)
{
	struct vg_chan *c = &chans[k];
	struct vmbus_packet_desc d;
	uint32_t type = 0;

	/* A receive buffer the input chose may be a ring's pages: the host's writes into
	 * it then break the ring, as they would the guest's. */
	memcpy(&d, pkt, sizeof(d));
	if (d.offset8 * 8u + 4 <= len)
		memcpy(&type, (const uint8_t *)pkt + d.offset8 * 8u, 4);
	if (type == NVSP_MSG1_TYPE_SEND_RECV_BUF && !negotiating) {
		rings_broken = true;
		own_rxbuf = false;
	}

	if (c->open && vg_chan_put(c, pkt, len) == 0)
		vg_signal_conn(&g, c->conn_id, false);
}

static void send_inband(unsigned k, uint16_t flags, uint64_t tid, const void *msg, uint32_t len)
{
	uint8_t pkt[16 + 256];
	struct vmbus_packet_desc d = {
		.type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = (uint16_t)((16 + len + 7) / 8), .flags = flags,
		.trans_id = tid,
	};

	memcpy(pkt, &d, sizeof(d));
	memcpy(pkt + 16, msg, len);
	send_raw(k, pkt, 16 + len);
}

/* A transfer-page packet as netvsc_receive and rndis_filter_receive check it. */
static void check_xfer(const uint8_t *buf, uint32_t len)
{
	struct vmbus_xfer_page_header h;

	FZ_CHECK(len >= sizeof(h), "a transfer-page packet of %u bytes", len);
	memcpy(&h, buf, sizeof(h));
	FZ_CHECK(h.xfer_pageset_id == 0xcafe, "transfer page set %#x", h.xfer_pageset_id);
	FZ_CHECK(h.range_cnt >= 1 && sizeof(h) + 8ull * h.range_cnt <= h.d.offset8 * 8u &&
		 h.d.offset8 * 8u + 4 <= len, "%u ranges, payload at %u of %u", h.range_cnt, h.d.offset8 * 8u, len);
	for (uint32_t i = 0; i < h.range_cnt; i++) {
		struct vmbus_xfer_page_range r;
		struct rndis_msg_header m;

		memcpy(&r, buf + sizeof(h) + 8 * i, sizeof(r));
		FZ_CHECK((uint64_t)r.byte_offset + r.byte_count <= FZ_NV_RECV_PAGES * 4096ull,
			 "range %u: %u bytes at %u, outside the receive buffer", i, r.byte_count, r.byte_offset);
		FZ_CHECK(r.byte_count >= sizeof(m), "range %u: %u bytes", i, r.byte_count);
		gmem_read(&g.mem, FZ_NV_RECV_GPA + r.byte_offset, &m, sizeof(m));
		FZ_CHECK(m.msg_len >= sizeof(m) && m.msg_len <= r.byte_count,
			 "range %u: an RNDIS message of %u bytes in %u", i, m.msg_len, r.byte_count);
	}
}

/* The guest reads what the host sent; with complete, it hands every receive back. */
static void consume(unsigned k, bool complete)
{
	struct vg_chan *c = &chans[k];
	static uint8_t buf[8192];
	struct vmbus_packet_desc d;
	int n = 0;

	if (!c->open)
		return;
	for (unsigned i = 0; i < 4096 && (n = vg_chan_get(c, buf, sizeof(buf))) > 0; i++) {
		memcpy(&d, buf, sizeof(d));
		/* Linux reads at most NETVSC_MAX_PKT_SIZE bytes of a packet. */
		FZ_CHECK(rings_broken || n <= 4624, "a host packet of %d bytes", n);
		if (d.type == VM_PKT_DATA_USING_XFER_PAGES && own_rxbuf)
			check_xfer(buf, (uint32_t)n);
		if (complete && d.type == VM_PKT_DATA_USING_XFER_PAGES) {
			struct nvsp_msg1_send_rndis_pkt_complete m = {
				NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS,
			};
			uint8_t pkt[16 + sizeof(m)];
			struct vmbus_packet_desc cd = { .type = VM_PKT_COMP, .offset8 = 2, .len8 = 3,
							.trans_id = d.trans_id };

			memcpy(pkt, &cd, sizeof(cd));
			memcpy(pkt + 16, &m, sizeof(m));
			vg_chan_put(c, pkt, sizeof(pkt));
		}
	}
	FZ_CHECK(rings_broken || n >= 0, "the host wrote a ring the guest cannot read");
	vg_signal_conn(&g, c->conn_id, false);
}

/* SEND_RNDIS_PKT: the section (or none) and, with ranges, GPA direct. */
static void send_rndis(unsigned k, uint32_t section, uint32_t section_size, uint32_t chan_type,
		       const uint64_t *gpa, const uint32_t *count, unsigned nranges)
{
	struct nvsp_msg1_send_rndis_pkt m = { NVSP_MSG1_TYPE_SEND_RNDIS_PKT, chan_type, section, section_size };
	uint8_t pkt[2048];
	struct vmbus_gpa_direct_header h = { .d = { .type = VM_PKT_DATA_USING_GPA_DIRECT,
						    .flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED,
						    .trans_id = next_tid++ },
					     .range_cnt = nranges };
	uint32_t p = sizeof(h);

	if (!nranges) {
		send_inband(k, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, h.d.trans_id, &m, sizeof(m));
		return;
	}
	for (unsigned i = 0; i < nranges; i++) {
		struct vmbus_gpa_range r = { .byte_count = count[i], .byte_offset = (uint32_t)(gpa[i] & 4095) };
		uint64_t pages = (r.byte_offset + (uint64_t)count[i] + 4095) / 4096;

		memcpy(pkt + p, &r, sizeof(r));
		p += sizeof(r);
		for (uint64_t j = 0; j < pages && p + 8 <= sizeof(pkt) - 64; j++, p += 8) {
			uint64_t pfn = gpa[i] / 4096 + j;

			memcpy(pkt + p, &pfn, 8);
		}
	}
	h.d.offset8 = (uint16_t)(p / 8);
	memcpy(pkt + p, &m, sizeof(m));
	p += sizeof(m);
	h.d.len8 = (uint16_t)((p + 7) / 8);
	memcpy(pkt, &h, sizeof(h));
	send_raw(k, pkt, p);
}

static void negotiate(uint8_t flags)
{
	struct nvsp_msg_init init = { NVSP_MSG_TYPE_INIT, NVSP_PROTOCOL_VERSION_61, NVSP_PROTOCOL_VERSION_61 };
	struct nvsp_msg2_send_ndis_config cfg = { NVSP_MSG2_TYPE_SEND_NDIS_CONFIG, flags & NV_F_JUMBO ? 9014 : 1514,
						  0, 0xac };
	struct nvsp_msg1_send_ndis_ver ver = { NVSP_MSG1_TYPE_SEND_NDIS_VER, 6, 30 };
	struct nvsp_msg1_send_buf rb = { NVSP_MSG1_TYPE_SEND_RECV_BUF, 0, 0xcafe };
	struct nvsp_msg1_send_buf sb = { NVSP_MSG1_TYPE_SEND_SEND_BUF, 0, 0 };

	/* netvsc_connect_vsp: every message is a 40-byte struct nvsp_message. */
	uint8_t m[40] = { 0 };

	negotiating = true;
#define NVSP(msg, fl)								\
	do {									\
		memset(m, 0, sizeof(m));					\
		memcpy(m, &(msg), sizeof(msg));					\
		send_inband(0, fl, next_tid++, m, sizeof(m));			\
		settle();							\
		consume(0, true);						\
		settle();							\
	} while (0)
	NVSP(init, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	NVSP(cfg, 0);
	NVSP(ver, 0);
	rb.gpadl_handle = ++g.next_gpadl;
	vg_gpadl_post_pages(&g, chans[0].relid, rb.gpadl_handle, FZ_NV_RECV_GPA, FZ_NV_RECV_PAGES);
	vg_settle(&g);
	NVSP(rb, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	sb.gpadl_handle = ++g.next_gpadl;
	vg_gpadl_post_pages(&g, chans[0].relid, sb.gpadl_handle, FZ_NV_SEND_GPA, FZ_NV_SEND_PAGES);
	vg_settle(&g);
	NVSP(sb, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	if (flags & NV_F_SUBCHAN) {
		struct nvsp_msg5_subchannel sub = { NVSP_MSG5_TYPE_SUBCHANNEL, NVSP_SUBCHANNEL_ALLOCATE,
						    FZ_NV_MAX_CHAN - 1 };

		NVSP(sub, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
		for (unsigned k = 1; k < FZ_NV_MAX_CHAN; k++)
			chan_open(k);
		settle();
		consume(0, true);
	}
#undef NVSP
	if (flags & NV_F_RNDIS_INIT) {
		/* rndis_filter_init_device: INITIALIZE in a send section. */
		struct rndis_initialize_request r = { RNDIS_MSG_INIT, sizeof(r), 1, 1, 0, 0x4000 };

		gmem_write(&g.mem, FZ_NV_SEND_GPA, &r, sizeof(r));
		send_rndis(0, 0, sizeof(r), NVSP_CHANNEL_TYPE_CONTROL, NULL, NULL, 0);
		settle();
		consume(0, true);
		settle();
	}
	negotiating = false;
}

static void op_rndis(struct fz *in)
{
	unsigned k = fz_u8(in) % FZ_NV_MAX_CHAN;
	uint32_t section = fz_u32(in), size = fz_u32(in), type = fz_u32(in);
	unsigned n = fz_u8(in) % 5;
	uint64_t gpa[4];
	uint32_t count[4];

	for (unsigned i = 0; i < n; i++) {
		gpa[i] = fz_u32(in);
		count[i] = fz_u16(in);
	}
	send_rndis(k, section, size, type, gpa, count, n);
}

static void op_packet(struct fz *in)
{
	unsigned k = fz_u8(in) % FZ_NV_MAX_CHAN;
	struct vmbus_packet_desc d = { .type = fz_u16(in), .flags = fz_u16(in), .trans_id = fz_u64(in) };
	uint8_t nranges = fz_u8(in);
	uint32_t count = fz_u32(in), offset = fz_u32(in);
	unsigned npfn = fz_u8(in) % 65;
	static uint8_t pkt[4096];
	uint32_t off = sizeof(d);
	uint8_t len;

	if (d.type == VM_PKT_DATA_USING_GPA_DIRECT) {
		/* One range and its pages; range_cnt may say otherwise. */
		struct vmbus_gpa_direct_header h = { .range_cnt = nranges };
		struct vmbus_gpa_range r = { count, offset };

		memcpy(pkt + sizeof(d), (uint8_t *)&h + sizeof(d), sizeof(h) - sizeof(d));
		memcpy(pkt + sizeof(h), &r, sizeof(r));
		off = sizeof(h) + sizeof(r);
		for (unsigned i = 0; i < npfn; i++, off += 8) {
			uint64_t pfn = fz_u64(in);

			memcpy(pkt + off, &pfn, 8);
		}
	}
	len = fz_u8(in);
	fz_bytes(in, pkt + off, len);
	d.offset8 = (uint16_t)(off / 8);
	d.len8 = (uint16_t)((off + len + 7) / 8);
	memcpy(pkt, &d, sizeof(d));
	send_raw(k, pkt, off + len);
}

static void op_ring_ctl(struct fz *in)
{
	struct vg_chan *c = &chans[fz_u8(in) % FZ_NV_MAX_CHAN];

	if (c->open)
		rings_broken = true;
	fuzz_ring_ctl(c, in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[FZ_NV_TAP_MAX];
	struct fz in = { data, size };
	uint8_t flags = fz_u8(&in);
	struct netvsp_config cfg = { .mac = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 },
				     .mtu = flags & NV_F_JUMBO ? 9000 : 1500, .queues = FZ_NV_MAX_CHAN };
	struct netvsp *n;
	struct net_backend *be;
	int sv[2];

	fuzz_quiet_logs();
	memset(chans, 0, sizeof(chans));
	next_tid = 1;
	rings_broken = false;
	fuzz_guest_init(&g, FZ_NV_RAM, FZ_VS_NVP);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	FZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
	peer = sv[1];
	be = tap_open_fd(sv[0]);
	FZ_CHECK(be, "tap_open_fd");
	n = netvsp_new(g.bus, g.loop, &g.mem, be, &cfg);
	FZ_CHECK(n, "netvsp_new");

	fuzz_guest_connect(&g);
	chan_open(0);
	FZ_CHECK(chans[0].open, "the harness could not open the netvsp channel");
	own_rxbuf = false;
	if (flags & NV_F_NEGOTIATE) {
		negotiate(flags);
		own_rxbuf = true;
	}

	while (in.n) {
		switch (fz_u8(&in) % NV_OP_COUNT) {
		case NV_OP_NVSP: {
			unsigned k = fz_u8(&in) % FZ_NV_MAX_CHAN;
			uint16_t fl = fz_u16(&in);
			uint64_t tid = fz_u64(&in);
			uint8_t len = fz_u8(&in);

			fz_bytes(&in, buf, len);
			send_inband(k, fl, tid, buf, len);
			break;
		}
		case NV_OP_RNDIS: op_rndis(&in); break;
		case NV_OP_SECTION: {
			uint32_t sec = fz_u16(&in) % 16, off = fz_u16(&in) % 6144;
			uint16_t len = fz_u16(&in);
			uint64_t gpa = FZ_NV_SEND_GPA + sec * 6144ull + off;

			len = (uint16_t)fz_bytes(&in, buf, len < sizeof(buf) ? len : sizeof(buf));
			if (gpa + len <= FZ_NV_RAM)
				gmem_write(&g.mem, gpa, buf, len);
			break;
		}
		case NV_OP_PACKET: op_packet(&in); break;
		case NV_OP_WRITE_MEM: {
			uint32_t gpa = fz_u32(&in) % FZ_NV_RAM;
			uint16_t len = fz_u16(&in);

			if (gpa < FZ_RING_GPA(FZ_NV_MAX_CHAN) && gpa + len > FZ_RING_GPA(0))
				rings_broken = true;
			if (gpa < FZ_NV_RECV_GPA + FZ_NV_RECV_PAGES * 4096u && gpa + len > FZ_NV_RECV_GPA)
				own_rxbuf = false;

			len = (uint16_t)fz_bytes(&in, buf, len < sizeof(buf) ? len : sizeof(buf));
			gmem_write(&g.mem, gpa, buf, len <= FZ_NV_RAM - gpa ? len : FZ_NV_RAM - gpa);
			break;
		}
		case NV_OP_RING_CTL: op_ring_ctl(&in); break;
		case NV_OP_CONSUME: {
			unsigned k = fz_u8(&in) % FZ_NV_MAX_CHAN;

			consume(k, fz_u8(&in) & 1);
			break;
		}
		case NV_OP_TAP: {
			uint16_t len = fz_u16(&in) % FZ_NV_TAP_MAX;

			len = (uint16_t)fz_bytes(&in, buf, len);
			if (send(peer, buf, len, MSG_DONTWAIT) < 0)
				FZ_CHECK(errno == EAGAIN || errno == ENOBUFS, "send to the tap: %s", strerror(errno));
			break;
		}
		case NV_OP_LINK: netvsp_set_link(n, fz_u8(&in) & 1); break;
		case NV_OP_CLOSE: chan_close(fz_u8(&in) % FZ_NV_MAX_CHAN); break;
		case NV_OP_OPEN: chan_open(fz_u8(&in) % FZ_NV_MAX_CHAN); break;
		}
		settle();
		if (flags & NV_F_CONSUME) {
			for (unsigned k = 0; k < FZ_NV_MAX_CHAN; k++)
				consume(k, true);
			settle();
		}
	}
	if (getenv("HVKVM_FUZZ_LOG"))
		netvsp_print_stats(n, stderr);
	vg_stop(&g);
	netvsp_free(n);
	close(peer);
	peer = -1;
	vg_destroy(&g);
	return 0;
}
