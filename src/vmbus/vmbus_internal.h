/* SPDX-License-Identifier: MIT */
/* State shared by the VMBus server (server.c) and the channel data path (channel.c). */
#ifndef HVKVM_VMBUS_INTERNAL_H
#define HVKVM_VMBUS_INTERNAL_H

#include <pthread.h>

#include "log.h"
#include "gpadl.h"
#include "ring.h"
#include "vmbus.h"

#define VMBUS_MAX_RELID		2047	/* Linux maps relids 1..2047 */
#define VMBUS_INQ_LEN		256	/* guest messages waiting for the loop */
#define VMBUS_OUTQ_LEN		512	/* host messages waiting for SynIC room */
#define VMBUS_STATS_GONE	8	/* freed channels whose counters the statistics keep */
#define VMBUS_STATUS_FAIL	0xc0000001u	/* STATUS_UNSUCCESSFUL */

enum vmbus_chan_state {
	CHAN_IDLE,		/* offered to no one yet (bus not connected) */
	CHAN_OFFERED,		/* OFFERCHANNEL sent */
	CHAN_OPEN,
	CHAN_RESCINDED,		/* RESCIND sent, waiting for RELID_RELEASED */
};

struct vmbus_channel {
	struct vmbus *bus;
	struct vmbus_device *dev;
	uint32_t relid;
	uint32_t conn_id;		/* what the guest signals */
	uint16_t subidx;
	enum vmbus_chan_state state;
	uint32_t target_vp;
	uint32_t openid;
	struct vmbus_gpadl *ring_gpadl;
	struct gmem_view ring_view;
	struct vmbus_ring in;		/* guest to host */
	struct vmbus_ring out;		/* host to guest */
	int efd;			/* guest signals arrive here (KVM or hvkvm writes it) */
	bool failed;			/* the guest broke it: no more device callbacks */
	bool close_pending;		/* failed, and the device's close has not run yet */
	bool hold_signal;		/* vmbus_chan_send_hold: signal at the flush */
	bool signal_owed;		/* a packet sent while held wants the guest signalled */
	void *priv;
	uint64_t pkts_in, pkts_out, signals_in, signals_out;
};

struct vmbus_device {
	struct vmbus *bus;
	struct vmbus_offer offer;
	const struct vmbus_dev_ops *ops;
	void *opaque;
	bool removed;
	struct vmbus_channel *chan[VMBUS_MAX_SUBCHANNELS + 1];	/* [0]: primary */
	unsigned detached;		/* rescinded sub-channels no longer in chan[] */
	struct vmbus_device *next;
};

struct vmbus_inmsg {
	uint32_t len;
	uint8_t data[VMBUS_MSG_MAX];
};

struct vmbus {
	struct loop *loop;
	const struct gmem *mem;
	struct hv *hv;
	struct synic *synic;
	unsigned nvp;

	/* Connection state; loop thread only. */
	bool connected;
	uint32_t version;
	uint32_t msg_vp;
	uint8_t msg_sint;
	uint64_t int_page;		/* versions before WIN8 */
	bool offers_requested;
	struct vmbus_channel *chan[VMBUS_MAX_RELID + 1];	/* changes under chan_lock */
	pthread_mutex_t chan_lock;	/* lets vCPU threads look channels up (old protocols) */
	struct vmbus_device *devices;
	struct vmbus_gpadl_table gpadls;

	/* Guest messages, queued on vCPU threads and handled on the loop. */
	pthread_mutex_t inq_lock;
	struct vmbus_inmsg inq[VMBUS_INQ_LEN];
	unsigned inq_head, inq_count;
	bool inq_posted;

	/* Host messages the SynIC could not take yet. */
	struct vmbus_inmsg outq[VMBUS_OUTQ_LEN];
	unsigned outq_head, outq_count;
	struct loop_timer *outq_timer;

	vmbus_tl_connect_fn *tl_connect;
	void *tl_connect_opaque;

	uint64_t msgs_in[CHANNELMSG_COUNT], msgs_out[CHANNELMSG_COUNT];
	uint64_t msgs_bad;
	/* Counters of the last channels freed (sockets have one a connection), and how
	 * many were freed in all, for the statistics. */
	struct {
		uint32_t relid;
		char name[16];
		uint64_t pkts_in, pkts_out, signals_in, signals_out;
	} gone[VMBUS_STATS_GONE];
	uint64_t gone_count;
	struct log_ratelimit msg_bad_rl;	/* guest messages dropped */
};

/* server.c */
void vmbus_send_msg(struct vmbus *bus, const void *msg, uint32_t len);

/* channel.c */
struct vmbus_channel *vmbus_chan_new(struct vmbus *bus, struct vmbus_device *dev, uint16_t subidx);
void vmbus_chan_free(struct vmbus_channel *ch);
/* OPENCHANNEL: map the rings of gpadl and call the device. Returns 0 or an errno. */
int vmbus_chan_open(struct vmbus_channel *ch, struct vmbus_gpadl *g, uint32_t downstream_pages,
		    uint32_t target_vp);
/* Unmap, tell the device (if it was open), back to CHAN_OFFERED. */
void vmbus_chan_close(struct vmbus_channel *ch);
void vmbus_chan_signal(struct vmbus_channel *ch);
void vmbus_chan_fill_offer(const struct vmbus_channel *ch, struct vmbus_msg_offer_channel *m);

#endif
