/* SPDX-License-Identifier: MIT */
/*
 * What the NetVSP files share: netvsp.c (NVSP, channels, buffers, control replies),
 * netvsp_tx.c (guest to tap) and netvsp_rx.c (tap to guest).
 */
#ifndef HVKVM_NETVSP_INTERNAL_H
#define HVKVM_NETVSP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "log.h"
#include "memory.h"
#include "netvsp.h"
#include "netvsp_proto.h"
#include "rndis.h"
#include "net_backend.h"
#include "vmbus.h"

#define NV_BAD_KINDS	32	/* distinct nv_bad() messages, with room to spare */

#define NV_MAX_PKT		4624	/* NETVSC_MAX_PKT_SIZE: the largest packet Linux reads */
#define NV_PKT_BUF		16384	/* the largest guest packet hvkvm reads */
#define NV_SEND_SECTION		6144	/* send-buffer section size, as Hyper-V */
#define NV_RX_HDR		128	/* receive section: RNDIS header and PPIs, then the frame */
#define NV_RX_TAIL		36	/* Windows' netvsc cannot use a section's last 36 bytes */
#define NV_CTRL_SECTIONS	16	/* receive sections kept for control replies */
#define NV_RX_BATCH		128	/* ranges per transfer-page packet */
#define NV_RX_FRAGS_MAX		64	/* sections one coalesced (RSC) frame may take */
#define NV_RX_BUDGET		256	/* frames read per tap wake-up before others get a turn */
#define NV_PENDING_MAX		8	/* small packets a channel holds while its ring is full */
#define NV_CTRLQ_MAX		256	/* control replies waiting; more is a guest gone wrong */
#define NV_MAX_RANGES		64	/* GPA ranges in one guest packet */
#define NV_MAX_PFNS		512
#define NV_MAX_FRAME		(65536 + 18)	/* an LSO frame: 64 KiB of IP and its L2 header */
#define NV_HDR_COPY		256	/* frame headers hvkvm copies to fix up */
#define NV_LSO_MAX		62780	/* LSOv2 bytes offered, as Hyper-V */
#define NV_CTRL_MSG_MAX		(4096 + 64)	/* the largest RNDIS control message taken */

/* A small host-to-guest packet (a completion, the send table) waiting for ring room. */
struct nv_pending {
	uint16_t type, flags;
	uint32_t len;
	uint64_t tid;
	uint8_t data[80];
};

struct nv_chan {
	struct netvsp *n;
	struct vmbus_channel *ch;
	uint16_t idx;
	bool open;
	struct nv_pending pending[NV_PENDING_MAX];
	unsigned pend_head, npend;
	/* Received frames not yet sent: a chain of sections and their ranges. */
	struct vmbus_xfer_page_range ranges[NV_RX_BATCH];
	unsigned nranges;
	uint32_t batch_head, batch_tail;
	bool rx_full;			/* the batch waits for ring room */
	uint8_t pkt[NV_PKT_BUF];
};

/* Receive-buffer section states. */
enum { SEC_FREE, SEC_BATCHED, SEC_HEAD, SEC_MEMBER };
#define SEC_NONE	UINT32_MAX

struct nv_rxbuf {
	struct gmem_view view;
	uint32_t gpadl;
	uint16_t id;
	uint32_t size;			/* bytes per section */
	uint32_t count;			/* sections; [0, nctrl) answer control messages */
	uint32_t nctrl;
	uint32_t *free, nfree;		/* data sections */
	uint32_t *cfree, ncfree;	/* control sections */
	uint32_t *next;			/* chains of one packet's sections */
	uint32_t *gen;			/* of a chain's head: part of the transaction id */
	uint8_t *state, *chan;
};

struct nv_txbuf {
	struct gmem_view view;
	uint32_t gpadl;
	uint16_t id;
	uint32_t count;			/* sections of NV_SEND_SECTION bytes */
};

struct nv_ctrl {
	struct nv_ctrl *next;
	uint32_t len;
	uint8_t data[];
};

struct netvsp {
	struct vmbus_device *dev;
	struct loop *loop;
	const struct gmem *mem;
	struct net_backend *be;
	struct netvsp_config cfg;
	struct nv_chan *chan[NETVSP_MAX_QUEUES];
	unsigned nopen;			/* channels open */

	/* The NVSP session, from INIT to the primary's close. */
	uint32_t version;		/* 0 until INIT succeeds */
	uint32_t ndis_mtu;		/* frame size in force: NDIS_CONFIG's, capped by cfg.mtu */
	uint64_t ndis_caps;
	unsigned granted;		/* sub-channels */
	bool table_sent;
	bool have_rx, have_tx;
	struct nv_rxbuf rx;
	struct nv_txbuf tx;
	struct rndis rndis;
	struct nv_ctrl *ctrlq, *ctrlq_tail;
	unsigned nctrlq;

	bool tap_armed;			/* the loop watches the tap for frames */
	bool tap_dead;
	bool rx_gso;			/* the tap hands over TSO frames: coalesced (RSC) for the guest */
	uint16_t rsc_id;		/* the next coalesced frame's id */
	struct netvsp_stats stats;
	/* nv_bad()'s limits, one per message: the messages are the source's own strings,
	 * fewer than the slots (the last slot takes any beyond), never the guest's. */
	struct {
		const char *what;
		struct log_ratelimit rl;
	} bad_log[NV_BAD_KINDS];
	struct log_ratelimit tx_err_rl;	/* frames the tap refused */
	uint8_t scratch[NV_MAX_FRAME + NET_VNET_HDR_LEN];	/* frames read to be dropped */
};

/* netvsp.c */
int nv_send_pkt(struct nv_chan *c, uint16_t type, uint64_t tid, const void *data, uint32_t len);
uint32_t nv_msg_size(const struct netvsp *n);
void nv_ctrl_queue(struct netvsp *n, const void *msg, uint32_t len);
bool nv_ctrl_flush(struct netvsp *n);
/* Count and log (rate limited per message) what the guest did wrong; false. what is
 * a string of the source, not one built from guest data. */
bool nv_bad(struct netvsp *n, const char *what);
/* One RNDIS control message, copied out of guest memory: its reply is queued. */
void nv_rndis(struct netvsp *n, const uint8_t *msg, uint32_t len);

/* netvsp_tx.c: one SEND_RNDIS_PKT (the whole packet, len bytes, in buf; m its NVSP
 * message); returns the NVSP status. */
uint32_t nv_tx_packet(struct nv_chan *c, const uint8_t *buf, uint32_t len, const struct nvsp_msg1_send_rndis_pkt *m);

/* netvsp_rx.c */
int nv_rx_init(struct netvsp *n, uint32_t section_size, uint32_t count);
void nv_rx_fini(struct netvsp *n);
uint32_t nv_rx_take_ctrl(struct netvsp *n);
void nv_rx_put_ctrl(struct netvsp *n, uint32_t sec);
uint64_t nv_rx_tid(struct netvsp *n, uint32_t head, uint8_t chan);
int nv_rx_send_xfer(struct nv_chan *c, uint64_t tid, const struct vmbus_xfer_page_range *r, unsigned n,
		    uint32_t channel_type);
void nv_rx_completion(struct nv_chan *c, uint64_t tid);
bool nv_rx_flush(struct nv_chan *c);
void nv_rx_offload_update(struct netvsp *n);
void nv_rx_chan_close(struct nv_chan *c);
void nv_rx_update(struct netvsp *n);
void nv_tap_ready(void *opaque, uint32_t events);

#endif
