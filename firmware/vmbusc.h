/* SPDX-License-Identifier: MIT */
/*
 * A VMBus client in portable C: what a guest does to reach its devices on VMBus,
 * without any firmware or OS header. hvkvm's UEFI driver runs it over real
 * hypercalls and SynIC pages; the unit tests compile the same file natively and run
 * it against hvkvm's own VMBus server in process. Everything the host writes (SynIC
 * messages, ring indices, packets) is checked before use.
 *
 * The environment supplies struct vmbusc_host; the client never waits on anything
 * but next_message() and the rings, polling with a bound from now_us().
 *
 * Nesting (firmware timer callbacks run in the middle of other code): the message
 * exchanges (vmbusc_unload, vmbusc_open, vmbusc_close) share the host's message slot
 * and the environment's posting page, so one that starts while another waits (say
 * from a callback that interrupted it) changes nothing: vmbusc_open and vmbusc_unload
 * return VMBUSC_EBUSY, vmbusc_close leaves the channel open. The ring operations
 * (vmbusc_send, vmbusc_send_gpa, vmbusc_recv) touch only their channel and the
 * host's signal: they may run inside any of those exchanges, on another channel; one
 * channel is used by one context at a time (its owner's business). vmbusc_connect
 * starts the bus afresh and must not overlap anything.
 */
#ifndef HVKVM_FW_VMBUSC_H
#define HVKVM_FW_VMBUSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbus_proto.h"

#define VMBUSC_MAX_OFFERS	64

/* Results: 0 success, a negative VMBUSC_E* otherwise. */
#define VMBUSC_EIO		(-1)	/* the host refused or broke the protocol */
#define VMBUSC_ETIMEDOUT	(-2)	/* no answer in time */
#define VMBUSC_ENOMEM		(-3)	/* alloc_pages failed */
#define VMBUSC_EINVAL		(-4)	/* a bad argument from the caller */
#define VMBUSC_EAGAIN		(-5)	/* no room in the ring now */
#define VMBUSC_EBUSY		(-6)	/* another message exchange is under way */

/* What the environment provides. */
struct vmbusc_host {
	void *ctx;
	/* HvPostMessage to connection_id; 0 or the hypercall's Hyper-V status. */
	uint16_t (*post_message)(void *ctx, uint32_t connection_id, uint32_t message_type,
				 const void *payload, uint32_t len);
	/* HvSignalEvent on connection_id (flag 0); 0 or the Hyper-V status. */
	uint16_t (*signal_event)(void *ctx, uint32_t connection_id);
	/* The next message in VMBus's SINT slot: copies its payload (at most cap
	 * bytes) out, frees the slot (and writes EOM if the host asked for it);
	 * returns the payload length, or -1 when the slot is empty. */
	int (*next_message)(void *ctx, uint32_t *message_type, void *buf, uint32_t cap);
	/* npages zeroed, page-aligned, physically contiguous pages: the pointer, and
	 * their guest physical address in *gpa; NULL when out of memory. */
	void *(*alloc_pages)(void *ctx, uint32_t npages, uint64_t *gpa);
	void (*free_pages)(void *ctx, void *p, uint32_t npages);
	/* A monotonic clock in microseconds. */
	uint64_t (*now_us)(void *ctx);
};

struct vmbusc_offer {
	struct vmbus_guid if_type;
	struct vmbus_guid if_instance;
	uint32_t child_relid;
	uint32_t connection_id;		/* what the guest signals */
	uint16_t sub_channel_index;
	uint16_t chn_flags;
};

struct vmbusc_chan;

struct vmbusc {
	const struct vmbusc_host *host;
	uint32_t version;		/* negotiated, VMBUS_VERSION_* */
	uint32_t msg_conn_id;		/* where messages go after INITIATE_CONTACT */
	uint32_t next_gpadl;
	unsigned noffers;
	struct vmbusc_offer offers[VMBUSC_MAX_OFFERS];
	bool connected;
	bool busy;			/* a message exchange is under way */
};

/* Connects (INITIATE_CONTACT, 5.3 then older versions the host may prefer) and
 * collects every offer up to ALLOFFERS_DELIVERED. Messages VMBus sends on vp 0,
 * SINT 2. */
int vmbusc_connect(struct vmbusc *b, const struct vmbusc_host *host, uint32_t timeout_us);
/* The index-th primary offer (sub_channel_index 0) of the given interface type, or
 * NULL. */
const struct vmbusc_offer *vmbusc_find(const struct vmbusc *b, const struct vmbus_guid *if_type,
				       unsigned index);
/* UNLOAD, waiting for UNLOAD_RESPONSE (bounded). Channels must be closed first;
 * the bus is unusable after it, whatever the result. */
int vmbusc_unload(struct vmbusc *b, uint32_t timeout_us);

/* Opens a channel with send and receive rings of ring_pages pages each (data,
 * plus one control page each): allocates them, shares them in one GPADL, sends
 * OPENCHANNEL and waits for its result. *out is the channel. */
int vmbusc_open(struct vmbusc *b, const struct vmbusc_offer *o, uint32_t ring_pages,
		uint32_t timeout_us, struct vmbusc_chan **out);
/* CLOSECHANNEL, GPADL teardown (bounded wait), frees the rings. Inside another
 * message exchange it does nothing (the channel stays open). */
void vmbusc_close(struct vmbusc_chan *c, uint32_t timeout_us);

/* One inband packet (VM_PKT_DATA_INBAND; flags e.g.
 * VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED), signalling the host when the ring
 * was empty or the host asked to be told. VMBUSC_EAGAIN when it does not fit now. */
int vmbusc_send(struct vmbusc_chan *c, uint64_t trans_id, uint16_t flags, const void *data,
		uint32_t len);
/* One GPA-direct packet (VM_PKT_DATA_USING_GPA_DIRECT) with one range: bytes at guest
 * physical address gpa, any alignment, completion requested. */
int vmbusc_send_gpa(struct vmbusc_chan *c, uint64_t trans_id, const void *data, uint32_t len,
		    uint64_t gpa, uint32_t bytes);

struct vmbusc_packet {
	uint16_t type;			/* enum vmbus_packet_type */
	uint16_t flags;
	uint64_t trans_id;
	uint32_t len;			/* payload bytes copied to the caller's buffer */
};
/* Takes the next packet from the receive ring, copying its payload (from the
 * descriptor's offset8) into buf: 1 with *p filled, 0 when the ring is empty,
 * VMBUSC_EIO when the ring or packet is malformed or larger than cap (the channel
 * is then unusable). */
int vmbusc_recv(struct vmbusc_chan *c, struct vmbusc_packet *p, void *buf, uint32_t cap);

/* Packets one poll of a client (a take of what the host sent by itself, without
 * waiting) takes at most: a host that refills the ring as fast as it is read does not
 * keep the caller there. */
#define VMBUSC_POLL_MAX		1024u

/* The host's clock (its now_us), in microseconds. */
static inline uint64_t vmbusc_now_us(const struct vmbusc *b)
{
	return b->host->now_us(b->host->ctx);
}

/*
 * The next packet for a client that waits for an answer: vmbusc_recv, polled while
 * the ring is empty, bounded by timeout_us (0: no bound) from start (a time of
 * vmbusc_now_us). The bound is checked before each packet is taken, so a host that
 * keeps sending what the client skips does not hold it past the bound either. 1 with
 * *p filled, VMBUSC_ETIMEDOUT, or VMBUSC_EIO from vmbusc_recv. (Built on vmbusc_recv
 * alone, so that it serves over any implementation of the channel calls.)
 */
static inline int vmbusc_recv_wait(const struct vmbusc *b, struct vmbusc_chan *c, struct vmbusc_packet *p,
				   void *buf, uint32_t cap, uint64_t start, uint32_t timeout_us)
{
	for (;;) {
		int r;

		if (timeout_us && vmbusc_now_us(b) - start >= timeout_us)
			return VMBUSC_ETIMEDOUT;
		r = vmbusc_recv(c, p, buf, cap);
		if (r)
			return r;
	}
}

#endif
