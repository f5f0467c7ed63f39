/* SPDX-License-Identifier: MIT */
/*
 * NetVSP: NVSP on the synthetic NIC's channels. The primary channel negotiates the
 * protocol, the NDIS configuration, the receive and send buffers and the
 * sub-channels; every channel then carries RNDIS packets both ways. Every request the
 * guest asks a completion for gets exactly one, on its own channel, because
 * hv_netvsc waits for each without a timeout (netvsc-facts.md §0). RNDIS control
 * replies go back on the primary in receive-buffer sections kept for them.
 */
#include "netvsp_internal.h"
#include "guid.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

/* The NIC's VMBus instance: this, with the NIC number in its first byte. */
#define NETVSP_INSTANCE		"3d6e4c00-8a1f-4b3e-9c55-68766b6d6e65"
#define NETVSP_LINK_SPEED	10000000000ull	/* 10 Gbit/s, as Hyper-V reports */

static int instance_guid(unsigned index, struct vmbus_guid *g)
{
	if (vmbus_guid_parse(NETVSP_INSTANCE, g) < 0)
		return -EINVAL;
	g->b[0] = (uint8_t)(g->b[0] + index);
	return 0;
}

void netvsp_instance_id(unsigned index, char out[VMBUS_GUID_STRLEN])
{
	struct vmbus_guid g;

	if (instance_guid(index, &g) < 0)
		memset(&g, 0, sizeof(g));
	vmbus_guid_format(&g, out);
}

static const uint32_t nvsp_versions[] = {
	NVSP_PROTOCOL_VERSION_61, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_5,
	NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_1,
};

bool nv_bad(struct netvsp *n, const char *what)
{
	unsigned i = 0;

	n->stats.bad++;
	while (i < NV_BAD_KINDS - 1 && n->bad_log[i].what && strcmp(n->bad_log[i].what, what))
		i++;
	if (!n->bad_log[i].what)
		n->bad_log[i].what = what;
	log_warn_limited(&n->bad_log[i].rl, "netvsp %u: %s", n->cfg.index, what);
	return false;
}

/* Completions are the full NVSP message of the version: 28 bytes (written as 32)
 * before 6.1, 40 from it. Stricter guests drop shorter ones (OpenVMM). */
uint32_t nv_msg_size(const struct netvsp *n)
{
	return n->version >= NVSP_PROTOCOL_VERSION_61 ? NVSP_61_MESSAGE_SIZE : 32;
}

/* ---- sending on a channel ------------------------------------------------------------ */

int nv_send_pkt(struct nv_chan *c, uint16_t type, uint64_t tid, const void *data, uint32_t len)
{
	struct iovec iov = { (void *)data, len };
	struct nv_pending *p;
	int r;

	if (!c->open)
		return -EPIPE;
	if (c->npend == 0) {
		r = vmbus_chan_send(c->ch, type, 0, tid, &iov, len ? 1 : 0);
		if (r != -EAGAIN)
			return r;
	}
	/* The guest has not read its ring: keep it, and read no more requests until it is
	 * sent (one request makes at most one of these). */
	if (c->npend == NV_PENDING_MAX || len > sizeof(p->data)) {
		vmbus_chan_fail(c->ch, "no room for a completion");
		return -ENOSPC;
	}
	p = &c->pending[(c->pend_head + c->npend) % NV_PENDING_MAX];
	p->type = type;
	p->flags = 0;
	p->tid = tid;
	p->len = len;
	memcpy(p->data, data, len);
	c->npend++;
	return 0;
}

/* False while packets still wait for the guest to make room. */
static bool flush_pending(struct nv_chan *c)
{
	while (c->npend && c->open) {
		struct nv_pending *p = &c->pending[c->pend_head];
		struct iovec iov = { p->data, p->len };
		int r = vmbus_chan_send(c->ch, p->type, p->flags, p->tid, &iov, p->len ? 1 : 0);

		if (r == -EAGAIN)
			return false;
		c->pend_head = (c->pend_head + 1) % NV_PENDING_MAX;
		c->npend--;
	}
	return true;
}

/* A completion carrying an NVSP message: type and its first status-like word. */
static void complete(struct nv_chan *c, uint64_t tid, const void *msg, uint32_t len)
{
	uint8_t buf[NVSP_61_MESSAGE_SIZE] = { 0 };
	uint32_t size = nv_msg_size(c->n);

	memcpy(buf, msg, len < size ? len : size);
	nv_send_pkt(c, VM_PKT_COMP, tid, buf, size);
}

static void complete_status(struct nv_chan *c, uint64_t tid, uint32_t type, uint32_t status)
{
	struct nvsp_msg1_send_rndis_pkt_complete m = { .msg_type = type, .status = status };

	complete(c, tid, &m, sizeof(m));
}

/* ---- RNDIS control replies --------------------------------------------------------- */

void nv_ctrl_queue(struct netvsp *n, const void *msg, uint32_t len)
{
	struct nv_ctrl *q;

	if (n->nctrlq >= NV_CTRLQ_MAX) {
		if (n->chan[0] && n->chan[0]->open)
			vmbus_chan_fail(n->chan[0]->ch, "the guest reads no RNDIS replies");
		return;
	}
	q = malloc(sizeof(*q) + len);
	if (!q)
		return;
	q->next = NULL;
	q->len = len;
	memcpy(q->data, msg, len);
	if (n->ctrlq_tail)
		n->ctrlq_tail->next = q;
	else
		n->ctrlq = q;
	n->ctrlq_tail = q;
	n->nctrlq++;
}

static void ctrl_drop_all(struct netvsp *n)
{
	while (n->ctrlq) {
		struct nv_ctrl *q = n->ctrlq;

		n->ctrlq = q->next;
		free(q);
	}
	n->ctrlq_tail = NULL;
	n->nctrlq = 0;
}

/* Send queued replies while control sections and ring room last. */
bool nv_ctrl_flush(struct netvsp *n)
{
	struct nv_chan *p = n->chan[0];

	while (n->ctrlq && p && p->open && n->have_rx) {
		struct nv_ctrl *q = n->ctrlq;
		struct vmbus_xfer_page_range range;
		uint32_t sec = nv_rx_take_ctrl(n);
		int r;

		if (sec == SEC_NONE)
			return false;
		range.byte_offset = sec * n->rx.size;
		range.byte_count = q->len;
		memcpy(n->rx.view.base + range.byte_offset, q->data, q->len);
		r = nv_rx_send_xfer(p, nv_rx_tid(n, sec, 0), &range, 1, NVSP_CHANNEL_TYPE_CONTROL);
		if (r < 0) {
			nv_rx_put_ctrl(n, sec);
			if (r == -EAGAIN)
				return false;
		}
		n->ctrlq = q->next;
		if (!n->ctrlq)
			n->ctrlq_tail = NULL;
		n->nctrlq--;
		free(q);
	}
	return !n->ctrlq;
}

/*
 * With receive coalescing (RSC) and TCP checksum offload on in the guest, the tap may
 * hand over whole TSO frames with their checksums unfinished: they reach the guest as
 * one coalesced packet instead of one per segment.
 */
void nv_rx_offload_update(struct netvsp *n)
{
	const struct rndis_offload *o = &n->rndis.offload;
	bool want = n->have_rx && n->rndis.initialized && o->rsc4 && o->rsc6 && o->rx_tcp4 && o->rx_tcp6 &&
		    n->rx.size > NV_RX_HDR + NV_RX_TAIL &&
		    NV_MAX_FRAME / (n->rx.size - NV_RX_HDR - NV_RX_TAIL) + 1 <= NV_RX_FRAGS_MAX;
	int r;

	if (want == n->rx_gso)
		return;
	r = net_backend_set_offload(n->be, want ? NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6 : 0);
	if (r < 0) {
		log_warn("netvsp %u: %s: setting receive offloads: %s", n->cfg.index, n->be->name, strerror(-r));
		return;
	}
	n->rx_gso = want;
}

static void apply_rndis_changes(struct netvsp *n)
{
	struct rndis *r = &n->rndis;

	if (r->changed & RNDIS_CHANGED_MAC)
		log_debug("netvsp %u: the guest set its address to %02x:%02x:%02x:%02x:%02x:%02x", n->cfg.index,
			  r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4], r->mac[5]);
	r->changed = 0;
	nv_rx_offload_update(n);
	nv_rx_update(n);
}

void nv_rndis(struct netvsp *n, const uint8_t *msg, uint32_t len)
{
	struct rndis_counters cnt = {
		.tx_packets = n->stats.tx_packets, .rx_packets = n->stats.rx_packets,
		.tx_bytes = n->stats.tx_bytes, .rx_bytes = n->stats.rx_bytes,
		.tx_errors = n->stats.tx_errors, .rx_errors = n->stats.rx_errors,
		.rx_no_buffer = n->stats.rx_no_buffer,
	};
	uint8_t reply[RNDIS_REPLY_MAX];
	uint64_t bad = n->rndis.bad;
	uint32_t rlen;

	n->stats.ctrl++;
	n->rndis.counters = &cnt;
	rlen = rndis_control(&n->rndis, msg, len, reply);
	n->rndis.counters = NULL;
	if (n->rndis.bad != bad)
		nv_bad(n, "malformed RNDIS control message");
	if (rlen && rlen <= n->rx.size)
		nv_ctrl_queue(n, reply, rlen);
	apply_rndis_changes(n);
}

/* ---- buffers ------------------------------------------------------------------------- */

static void release_rx(struct netvsp *n)
{
	if (!n->have_rx)
		return;
	nv_rx_fini(n);
	ctrl_drop_all(n);
	if (n->chan[0] && n->chan[0]->ch)
		vmbus_chan_gpadl_put(n->chan[0]->ch, n->rx.gpadl, &n->rx.view);
	else
		gmem_view_release(&n->rx.view);
	n->have_rx = false;
	nv_rx_offload_update(n);
}

static void release_tx(struct netvsp *n)
{
	if (!n->have_tx)
		return;
	if (n->chan[0] && n->chan[0]->ch)
		vmbus_chan_gpadl_put(n->chan[0]->ch, n->tx.gpadl, &n->tx.view);
	else
		gmem_view_release(&n->tx.view);
	n->have_tx = false;
}

/* A receive section holds the RNDIS header and PPIs, a frame of the NDIS MTU with a
 * VLAN tag, and Windows' unusable tail. */
static uint32_t rx_section_size(const struct netvsp *n)
{
	return (NV_RX_HDR + n->ndis_mtu + 4 + NV_RX_TAIL + 7) & ~7u;
}

static void handle_recv_buf(struct nv_chan *c, uint64_t tid, bool reply, const struct nvsp_msg1_send_buf *m)
{
	struct netvsp *n = c->n;
	struct nvsp_msg1_send_recv_buf_complete r = {
		.msg_type = NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE,
		.status = NVSP_STAT_FAIL,
	};
	uint32_t size = rx_section_size(n), npages = 0, count;
	struct gmem_view v;

	if (n->have_rx) {
		nv_bad(n, "a second receive buffer");
	} else if (vmbus_chan_gpadl_view(c->ch, m->gpadl_handle, &v, &npages) < 0) {
		nv_bad(n, "receive buffer: no such GPADL, or not one page-aligned range of RAM");
	} else if ((count = (uint32_t)((uint64_t)npages * GMEM_PAGE_SIZE / size)) < 2 ||
		   nv_rx_init(n, size, count) < 0) {
		nv_bad(n, "receive buffer too small");
		vmbus_chan_gpadl_put(c->ch, m->gpadl_handle, &v);
	} else {
		n->rx.view = v;
		n->rx.gpadl = m->gpadl_handle;
		n->rx.id = m->id;
		n->have_rx = true;
		r.status = NVSP_STAT_SUCCESS;
		r.num_sections = 1;
		r.sections[0].offset = 0;
		r.sections[0].sub_alloc_size = size;
		r.sections[0].num_sub_allocs = count;
		r.sections[0].end_offset = size * count;
		log_debug("netvsp %u: receive buffer %u KiB, %u sections of %u bytes", n->cfg.index,
			  npages * 4, count, size);
	}
	if (reply)
		complete(c, tid, &r, sizeof(r));
	nv_ctrl_flush(n);
	nv_rx_update(n);
}

static void handle_send_buf(struct nv_chan *c, uint64_t tid, bool reply, const struct nvsp_msg1_send_buf *m)
{
	struct netvsp *n = c->n;
	struct nvsp_msg1_send_send_buf_complete r = {
		.msg_type = NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE,
		.status = NVSP_STAT_FAIL,
	};
	uint32_t npages = 0;
	struct gmem_view v;

	if (n->have_tx) {
		nv_bad(n, "a second send buffer");
	} else if (vmbus_chan_gpadl_view(c->ch, m->gpadl_handle, &v, &npages) < 0) {
		nv_bad(n, "send buffer: no such GPADL, or not one page-aligned range of RAM");
	} else if ((uint64_t)npages * GMEM_PAGE_SIZE < NV_SEND_SECTION) {
		nv_bad(n, "send buffer smaller than a section");
		vmbus_chan_gpadl_put(c->ch, m->gpadl_handle, &v);
	} else {
		n->tx.view = v;
		n->tx.gpadl = m->gpadl_handle;
		n->tx.id = m->id;
		n->tx.count = (uint32_t)((uint64_t)npages * GMEM_PAGE_SIZE / NV_SEND_SECTION);
		n->have_tx = true;
		r.status = NVSP_STAT_SUCCESS;
		r.section_size = NV_SEND_SECTION;
	}
	if (reply)
		complete(c, tid, &r, sizeof(r));
}

/* ---- sub-channels -------------------------------------------------------------------- */

/* Once every granted sub-channel is open: which channel the guest should send each
 * flow on. Round robin, as Hyper-V. */
static void send_indirection_table(struct netvsp *n)
{
	struct nvsp_msg5_send_indirection_table t = {
		.msg_type = NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE,
		.count = NVSP_SEND_TABLE_SIZE,
		.offset = offsetof(struct nvsp_msg5_send_indirection_table, table),
	};

	if (n->table_sent || n->version < NVSP_PROTOCOL_VERSION_5 || !n->granted || n->nopen != 1 + n->granted ||
	    !n->chan[0] || !n->chan[0]->open)
		return;
	for (unsigned i = 0; i < NVSP_SEND_TABLE_SIZE; i++)
		t.table[i] = i % (1 + n->granted);
	n->table_sent = true;
	nv_send_pkt(n->chan[0], VM_PKT_DATA_INBAND, 0, &t, sizeof(t));
}

static void handle_subchannel(struct nv_chan *c, uint64_t tid, bool reply, const struct nvsp_msg5_subchannel *m)
{
	struct netvsp *n = c->n;
	struct nvsp_msg5_subchannel r = { .msg_type = NVSP_MSG5_TYPE_SUBCHANNEL, .op_or_status = NVSP_STAT_FAIL };
	unsigned want = m->num_subchannels, grant;

	if (c->idx != 0 || n->version < NVSP_PROTOCOL_VERSION_5 || m->op_or_status != NVSP_SUBCHANNEL_ALLOCATE ||
	    n->granted || want == 0 || !n->have_rx) {
		nv_bad(n, "sub-channel request refused");
		if (reply)
			complete(c, tid, &r, sizeof(r));
		return;
	}
	grant = want < n->cfg.queues - 1 ? want : n->cfg.queues - 1;
	/* Each channel needs receive sections of its own to make progress. */
	if (grant > n->rx.count - n->rx.nctrl - 1)
		grant = n->rx.count - n->rx.nctrl - 1;
	if (grant) {
		r.op_or_status = NVSP_STAT_SUCCESS;
		r.num_subchannels = grant;
	}
	if (reply)
		complete(c, tid, &r, sizeof(r));
	/* Offered after the answer, exactly as many as granted: Linux waits for that many
	 * to open. */
	n->granted = grant;
	for (unsigned i = 1; i <= grant; i++) {
		if (vmbus_device_add_subchannel(n->dev, (uint16_t)i) < 0) {
			log_error("netvsp %u: cannot offer sub-channel %u", n->cfg.index, i);
			n->granted = i - 1;
			break;
		}
	}
}

/* ---- NVSP messages ------------------------------------------------------------------- */

static bool version_supported(uint32_t v)
{
	for (size_t i = 0; i < sizeof(nvsp_versions) / sizeof(nvsp_versions[0]); i++)
		if (nvsp_versions[i] == v)
			return true;
	return false;
}

static void handle_init(struct nv_chan *c, uint64_t tid, bool reply, const struct nvsp_msg_init *m)
{
	struct netvsp *n = c->n;
	struct nvsp_msg_init_complete r = {
		.msg_type = NVSP_MSG_TYPE_INIT_COMPLETE,
		.negotiated_protocol_ver = NVSP_INVALID_PROTOCOL_VERSION,
		.max_mdl_chain_len = 34,
		.status = NVSP_STAT_NONE,
	};
	uint32_t v = 0;
	uint8_t buf[32] = { 0 };

	/* Linux and OpenVMM use min == max; a range gets the newest version in it. */
	if (version_supported(m->min_protocol_ver)) {
		v = m->min_protocol_ver;
	} else {
		for (size_t i = 0; i < sizeof(nvsp_versions) / sizeof(nvsp_versions[0]) && !v; i++)
			if (nvsp_versions[i] >= m->min_protocol_ver && nvsp_versions[i] <= m->max_protocol_ver)
				v = nvsp_versions[i];
	}
	if (c->idx != 0 || n->version) {
		nv_bad(n, "NVSP INIT again, or on a sub-channel");
		r.status = NVSP_STAT_FAIL;
	} else if (v) {
		n->version = v;
		r.status = NVSP_STAT_SUCCESS;
		if (v == NVSP_PROTOCOL_VERSION_1)
			r.negotiated_protocol_ver = v;
		log_debug("netvsp %u: NVSP %u.%u", n->cfg.index, v >> 16, v & 0xffff);
	}
	/* Always 32 bytes, whatever the version: Linux reads at least 28. */
	memcpy(buf, &r, sizeof(r));
	if (reply)
		nv_send_pkt(c, VM_PKT_COMP, tid, buf, sizeof(buf));
}

static void handle_ndis_config(struct netvsp *n, const struct nvsp_msg2_send_ndis_config *m)
{
	uint32_t mtu = m->mtu, cap = n->cfg.mtu + 14;

	if (mtu < RNDIS_MIN_MTU)
		mtu = RNDIS_MIN_MTU;
	if (mtu > RNDIS_MAX_MTU)
		mtu = RNDIS_MAX_MTU;
	/* Above what the tap is set up for, the guest learns the smaller size from
	 * OID_GEN_MAXIMUM_FRAME_SIZE and lowers its MTU. */
	n->ndis_mtu = mtu < cap ? mtu : cap;
	n->ndis_caps = m->capability;
	n->rndis.mtu = n->ndis_mtu;
}

static void handle_packet(struct nv_chan *c, uint32_t len)
{
	struct netvsp *n = c->n;
	struct vmbus_packet_desc d;
	union {
		uint32_t type;
		struct nvsp_msg_init init;
		struct nvsp_msg1_send_ndis_ver ndis_ver;
		struct nvsp_msg1_send_buf buf;
		struct nvsp_msg1_revoke_buf revoke;
		struct nvsp_msg1_send_rndis_pkt rndis;
		struct nvsp_msg2_send_ndis_config config;
		struct nvsp_msg5_subchannel sub;
		uint8_t raw[NVSP_61_MESSAGE_SIZE];
	} m;
	uint32_t off, plen, status;
	bool reply;

	memcpy(&d, c->pkt, sizeof(d));
	off = (uint32_t)d.offset8 * 8;
	plen = len - off;
	reply = d.flags & VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED;
	memset(&m, 0, sizeof(m));
	memcpy(&m, c->pkt + off, plen < sizeof(m) ? plen : sizeof(m));
	if (d.type == VM_PKT_COMP) {
		if (plen < 4 || m.type != NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE)
			nv_bad(n, "a completion that is not an RNDIS packet's");
		else
			nv_rx_completion(c, d.trans_id);
		return;
	}
	if ((d.type != VM_PKT_DATA_INBAND && d.type != VM_PKT_DATA_USING_GPA_DIRECT) || plen < 4) {
		nv_bad(n, "unexpected VMBus packet");
		return;
	}
	/* Before INIT only INIT; sub-channels carry RNDIS packets alone. */
	if ((!n->version && m.type != NVSP_MSG_TYPE_INIT) ||
	    (c->idx && m.type != NVSP_MSG1_TYPE_SEND_RNDIS_PKT)) {
		nv_bad(n, "NVSP message out of order");
		if (reply)
			complete_status(c, d.trans_id, m.type, NVSP_STAT_FAIL);
		return;
	}
	switch (m.type) {
	case NVSP_MSG_TYPE_INIT:
		if (plen < sizeof(m.init))
			break;
		handle_init(c, d.trans_id, reply, &m.init);
		return;
	case NVSP_MSG2_TYPE_SEND_NDIS_CONFIG:
		if (plen < sizeof(m.config) || n->version < NVSP_PROTOCOL_VERSION_2 || n->have_rx)
			break;
		handle_ndis_config(n, &m.config);
		if (reply)	/* UEFI asks; an empty completion is what it takes */
			nv_send_pkt(c, VM_PKT_COMP, d.trans_id, NULL, 0);
		return;
	case NVSP_MSG1_TYPE_SEND_NDIS_VER:
		if (plen < sizeof(m.ndis_ver))
			break;
		n->rndis.ndis_major = m.ndis_ver.ndis_major_ver;
		n->rndis.ndis_minor = m.ndis_ver.ndis_minor_ver;
		if (reply)
			nv_send_pkt(c, VM_PKT_COMP, d.trans_id, NULL, 0);
		return;
	case NVSP_MSG1_TYPE_SEND_RECV_BUF:
		if (plen < sizeof(m.buf))
			break;
		handle_recv_buf(c, d.trans_id, reply, &m.buf);
		return;
	case NVSP_MSG1_TYPE_SEND_SEND_BUF:
		if (plen < sizeof(m.buf))
			break;
		handle_send_buf(c, d.trans_id, reply, &m.buf);
		return;
	case NVSP_MSG1_TYPE_REVOKE_RECV_BUF:
		if (plen < sizeof(m.revoke) || !n->have_rx || m.revoke.id != n->rx.id)
			break;
		release_rx(n);
		nv_rx_update(n);
		return;
	case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
		if (plen < sizeof(m.revoke) || !n->have_tx || m.revoke.id != n->tx.id)
			break;
		release_tx(n);
		return;
	case NVSP_MSG1_TYPE_SEND_RNDIS_PKT:
		if (plen < sizeof(m.rndis))
			break;
		n->stats.tx_nvsp++;
		status = nv_tx_packet(c, c->pkt, len, &m.rndis);
		if (reply)
			complete_status(c, d.trans_id, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, status);
		/* Control replies after the send's completion, as Hyper-V. */
		if (n->ctrlq)
			nv_ctrl_flush(n);
		return;
	case NVSP_MSG5_TYPE_SUBCHANNEL:
		if (plen < sizeof(m.sub))
			break;
		handle_subchannel(c, d.trans_id, reply, &m.sub);
		return;
	case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
		/* There is no VF to switch to; the synthetic path stays. */
		if (reply && n->version >= NVSP_PROTOCOL_VERSION_4)
			nv_send_pkt(c, VM_PKT_COMP, d.trans_id, NULL, 0);
		else if (reply)
			break;
		return;
	case NVSP_MSG5_TYPE_OID_QUERY_EX:
		if (reply && n->version >= NVSP_PROTOCOL_VERSION_5) {
			struct nvsp_msg5_oid_query_ex_comp r = {
				.msg_type = NVSP_MSG5_TYPE_OID_QUERY_EX_COMP, .status = RNDIS_STATUS_NOT_SUPPORTED,
			};

			complete(c, d.trans_id, &r, sizeof(r));
			return;
		}
		break;
	}
	nv_bad(n, "malformed or unknown NVSP message");
	if (reply)
		complete_status(c, d.trans_id, m.type, NVSP_STAT_FAIL);
}

/* ---- channels ------------------------------------------------------------------------ */

static bool nv_notify(struct vmbus_channel *ch, void *opaque)
{
	struct nv_chan *c = vmbus_chan_priv(ch);
	struct netvsp *n = opaque;
	bool drained = true;
	uint32_t len;
	int r;

	if (!c || !c->open)
		return true;
	if (!flush_pending(c))
		return false;
	if (c->idx == 0)
		nv_ctrl_flush(n);
	if (c->rx_full)
		nv_rx_flush(c);
	while (c->open) {
		if (c->npend) {
			drained = false;
			break;
		}
		r = vmbus_chan_recv(ch, c->pkt, sizeof(c->pkt), &len);
		if (r == -EAGAIN)
			break;
		if (r == -EMSGSIZE) {
			vmbus_chan_fail(ch, "a packet larger than any NVSP message");
			return true;
		}
		if (r < 0)
			return true;
		handle_packet(c, len);
	}
	if (c->open)
		vmbus_chan_recv_done(ch);
	nv_rx_update(n);
	return drained;
}

static int nv_open(struct vmbus_channel *ch, void *opaque)
{
	struct netvsp *n = opaque;
	uint16_t idx = vmbus_chan_subchannel(ch);
	struct nv_chan *c;

	if (idx >= NETVSP_MAX_QUEUES || (idx && (!n->chan[0] || !n->chan[0]->open || idx > n->granted)))
		return -EINVAL;
	c = n->chan[idx];
	memset(c, 0, offsetof(struct nv_chan, pkt));
	c->n = n;
	c->ch = ch;
	c->idx = idx;
	c->open = true;
	c->batch_head = c->batch_tail = SEC_NONE;
	vmbus_chan_set_priv(ch, c);
	n->nopen++;
	if (idx == 0) {
		/* A new session: the protocol starts over (re-attach, hibernation, reboot). */
		n->version = 0;
		n->ndis_mtu = n->cfg.mtu + 14 < RNDIS_MIN_MTU ? n->cfg.mtu + 14 : RNDIS_MIN_MTU;
		n->ndis_caps = 0;
		n->granted = 0;
		n->table_sent = false;
		n->rndis.mtu = n->ndis_mtu;
		n->rndis.ndis_major = 6;
		n->rndis.ndis_minor = 1;
		rndis_reset(&n->rndis);
		n->rndis.changed = 0;
	}
	send_indirection_table(n);
	return 0;
}

static void nv_close(struct vmbus_channel *ch, void *opaque)
{
	struct nv_chan *c = vmbus_chan_priv(ch);
	struct netvsp *n = opaque;

	if (!c || !c->open)
		return;
	nv_rx_chan_close(c);
	c->open = false;
	c->npend = 0;
	n->nopen--;
	vmbus_chan_set_priv(ch, NULL);
	if (c->idx == 0) {
		/* Hyper-V takes the sub-channels away with the primary: a guest that opens it
		 * again asks for new ones. */
		vmbus_device_remove_subchannels(n->dev);
		release_rx(n);
		release_tx(n);
		n->version = 0;
		n->granted = 0;
		rndis_reset(&n->rndis);
		n->rndis.changed = 0;
		nv_rx_offload_update(n);
	}
	c->ch = NULL;
	nv_rx_update(n);
}

static const struct vmbus_dev_ops netvsp_ops = {
	.open = nv_open,
	.close = nv_close,
	.notify = nv_notify,
};

/* ---- the device ---------------------------------------------------------------------- */

struct netvsp *netvsp_new(struct vmbus *bus, struct loop *loop, const struct gmem *mem, struct net_backend *be,
			  const struct netvsp_config *cfg)
{
	struct netvsp *n;
	struct vmbus_offer o = {
		.max_pkt = NV_MAX_PKT,
		.name = "netvsc",
	};

	if (cfg->mtu < NETVSP_MIN_MTU || cfg->mtu > NETVSP_MAX_MTU || cfg->queues < 1 ||
	    cfg->queues > NETVSP_MAX_QUEUES || (cfg->mac[0] & 1))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	for (unsigned i = 0; i < NETVSP_MAX_QUEUES; i++) {
		n->chan[i] = calloc(1, sizeof(*n->chan[i]));
		if (!n->chan[i])
			goto fail;
	}
	n->loop = loop;
	n->mem = mem;
	n->cfg = *cfg;
	n->be = be;
	memcpy(n->rndis.perm_mac, cfg->mac, 6);
	memcpy(n->rndis.mac, cfg->mac, 6);
	n->rndis.max_queues = cfg->queues;
	n->rndis.link_up = true;
	n->rndis.link_speed = NETVSP_LINK_SPEED;
	n->rndis.caps = (struct rndis_caps){
		.tx_csum = true, .tx_ip4 = true, .lso = true, .lso_max = NV_LSO_MAX, .rx_csum = true, .rsc = true,
	};
	n->rndis.mtu = RNDIS_MIN_MTU;
	if (vmbus_guid_parse(NETVSC_CLASS, &o.class_id) < 0 || instance_guid(cfg->index, &o.instance_id) < 0)
		goto fail;
	if (loop_add_fd(loop, n->be->fd, EPOLLIN, nv_tap_ready, n) < 0)
		goto fail;
	n->tap_armed = true;
	n->dev = vmbus_device_add(bus, &o, &netvsp_ops, n);
	if (!n->dev) {
		loop_del_fd(loop, n->be->fd);
		goto fail;
	}
	return n;
fail:
	for (unsigned i = 0; i < NETVSP_MAX_QUEUES; i++)
		free(n->chan[i]);
	free(n);
	return NULL;
}

void netvsp_free(struct netvsp *n)
{
	if (!n)
		return;
	ctrl_drop_all(n);
	if (n->have_rx)
		nv_rx_fini(n);
	if (n->be->fd >= 0)
		loop_del_fd(n->loop, n->be->fd);
	net_backend_close(n->be);
	for (unsigned i = 0; i < NETVSP_MAX_QUEUES; i++)
		free(n->chan[i]);
	free(n);
}

void netvsp_remove(struct netvsp *n)
{
	if (n && n->dev) {
		vmbus_device_remove(n->dev);
		n->dev = NULL;
	}
}

void netvsp_set_link(struct netvsp *n, bool up)
{
	uint8_t msg[sizeof(struct rndis_indicate_status)];
	uint32_t len;

	if (n->rndis.link_up == up)
		return;
	n->rndis.link_up = up;
	log_info("netvsp %u: link %s", n->cfg.index, up ? "up" : "down");
	if (n->rndis.initialized && n->have_rx) {
		len = rndis_indicate(up ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT, msg);
		nv_ctrl_queue(n, msg, len);
		nv_ctrl_flush(n);
	}
	nv_rx_update(n);
}

bool netvsp_link(const struct netvsp *n)
{
	return n->rndis.link_up;
}

void netvsp_get_stats(const struct netvsp *n, struct netvsp_stats *s)
{
	*s = n->stats;
}

void netvsp_print_stats(const struct netvsp *n, FILE *out)
{
	const struct netvsp_stats *s = &n->stats;

	fprintf(out, "  netvsp %u (%s): NVSP %u.%u, %u channels, link %s\n", n->cfg.index, n->be->name,
		n->version >> 16, n->version & 0xffff, n->nopen, n->rndis.link_up ? "up" : "down");
	fprintf(out, "  netvsp %u tx: %llu packets %llu bytes, %llu checksum-offloaded, %llu LSO, %llu dropped, "
		     "%llu errors, %llu NVSP packets, %llu tap writes\n",
		n->cfg.index, (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		(unsigned long long)s->tx_csum, (unsigned long long)s->tx_lso, (unsigned long long)s->tx_drops,
		(unsigned long long)s->tx_errors, (unsigned long long)s->tx_nvsp, (unsigned long long)s->tx_writes);
	fprintf(out, "  netvsp %u rx: %llu packets %llu bytes, %llu checksum-verified, %llu coalesced, "
		     "%llu dropped, %llu errors, %llu transfer packets, %llu tap reads, %llu stalls for "
		     "buffers, %llu for ring space\n",
		n->cfg.index, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		(unsigned long long)s->rx_csum, (unsigned long long)s->rx_rsc, (unsigned long long)s->rx_drops,
		(unsigned long long)s->rx_errors, (unsigned long long)s->rx_xfer, (unsigned long long)s->rx_reads,
		(unsigned long long)s->rx_no_buffer, (unsigned long long)s->rx_ring_full);
	fprintf(out, "  netvsp %u control: %llu RNDIS messages, %llu malformed guest messages\n", n->cfg.index,
		(unsigned long long)s->ctrl, (unsigned long long)s->bad);
}
