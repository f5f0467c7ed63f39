/* SPDX-License-Identifier: MIT */
/*
 * An in-process guest for the VMBus targets, on one thread: guest RAM, the Hyper-V
 * partition with the SynIC turned on, the VMBus server and an event loop that the
 * harness runs itself (loop_run_once), so an input always does the same thing. The
 * guest posts messages with HvCallPostMessage from an input page, reads the server's
 * answers out of its SIM slots (freeing each and writing EOM, as Linux does), and
 * reads and writes ring buffers as the guest side of a channel.
 */
#ifndef HVKVM_FUZZ_GUEST_H
#define HVKVM_FUZZ_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"
#include "vmbus_proto.h"

#define FG_POST_GPA		0x1000ull
#define FG_SIMP_GPA(vp)		(0x10000ull + (uint64_t)(vp) * 0x2000ull)
#define FG_SIEFP_GPA(vp)	(0x11000ull + (uint64_t)(vp) * 0x2000ull)
#define FG_INT_PAGE		0x20000ull
#define FG_MON_PAGE1		0x21000ull
#define FG_MON_PAGE2		0x22000ull
#define FG_SINT_VECTOR		0xf3
/* Channel k's rings: 64 KiB a channel from 1 MiB. */
#define FG_RING_GPA(k)		(0x100000ull + (uint64_t)(k) * 0x10000ull)

struct loop;
struct hv;
struct vmbus;
struct fguest;
struct fz;

typedef void fguest_msg_fn(struct fguest *g, const uint8_t *msg, uint32_t len);

struct fguest {
	struct gmem mem;
	struct loop *loop;
	struct hv *hv;
	struct vmbus *bus;
	unsigned nvp;
	uint32_t conn;			/* where messages go: 1, or what VERSION_RESPONSE named */
	fguest_msg_fn *on_msg;		/* every message the server sent, in order */
	void *opaque;
	unsigned injections;
	uint32_t open_status;		/* of the last OPENCHANNEL_RESULT */
	uint32_t next_gpadl;		/* the GPADL id fchan_open takes next, less one */
};

/* RAM of ram bytes (a memfd, as hvkvm's), nvp VPs with SIMP, SIEFP and every SINT on. */
int fguest_init(struct fguest *g, uint64_t ram, unsigned nvp);
/* Frees the bus too, if the harness has not (devices are freed after the bus). */
void fguest_free(struct fguest *g);
void fguest_free_bus(struct fguest *g);

/* HvCallPostMessage of len bytes (more than 240 is refused) to connection conn. */
uint16_t fguest_post(struct fguest *g, uint32_t conn, const void *msg, uint32_t len);
/* HvSignalEvent: how 0 fast, 1 slow (input page). */
uint16_t fguest_signal(struct fguest *g, uint32_t conn_id, int how);
/* Run the loop and take the server's messages until nothing more happens. */
void fguest_pump(struct fguest *g);

/* The usual requests. INITIATE_CONTACT for version (5.x on connection 4). */
void fguest_contact(struct fguest *g, uint32_t version);
/* vmbus_connect and vmbus_request_offers: INITIATE_CONTACT 5.3, then REQUESTOFFERS. */
void fguest_connect(struct fguest *g);
/* GPADL_HEADER and BODY messages for pages [gpa, gpa + pages) as Linux builds them. */
void fguest_gpadl(struct fguest *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);
/* Zeroed rings with pending_send_sz support, then OPENCHANNEL (down = pages of the
 * guest-to-host ring, control page included). */
void fguest_open(struct fguest *g, uint32_t relid, uint32_t gpadl, uint64_t gpa, unsigned pages,
		 unsigned down, uint32_t target_vp);

/* The guest's side of one ring: control page and data area. */
struct fring {
	struct vmbus_ring_control *ctl;
	uint8_t *data;
	uint32_t size;
};

/* Write a packet (len bytes, padded to 8) and its trailer at the write index, as
 * hv_ringbuffer_write does: false if it does not fit or the indices are not ones a
 * guest would write to. */
bool fring_put(struct fring *r, const void *pkt, uint32_t len);
/* Read the next packet at the read index (at most buflen bytes of it) and move past
 * it: its length, 0 if empty, -1 if the ring's contents make no sense. */
int fring_get(struct fring *r, void *buf, uint32_t buflen);

/* The guest's side of one channel: what the offer named, and its rings once open. */
struct fchan {
	uint32_t relid, conn;
	uint32_t gpadl;			/* of its rings, 0 if none */
	bool open;
	struct fring in, out;		/* guest to host, host to guest */
};

/* If msg is an OFFERCHANNEL: note its relid and connection in chans[its sub-channel
 * index], if below n. */
void fchan_offered(struct fchan *chans, unsigned n, const uint8_t *msg, uint32_t len);
/* vmbus_open of an offered channel that is not open: a GPADL for two rings of
 * ring_pages data pages each (and their control pages) at FG_RING_GPA(k), then
 * OPENCHANNEL; c->open if the host opened it. */
void fchan_open(struct fguest *g, struct fchan *c, unsigned k, unsigned ring_pages, uint32_t target_vp);
/* vmbus_close_internal: CLOSECHANNEL, then the GPADL of the rings goes. */
void fchan_close(struct fguest *g, struct fchan *c);
/* Read up to max packets from the host's ring (their contents unchecked), then
 * signal the host. */
void fchan_consume(struct fguest *g, struct fchan *c, unsigned max);
/* From the input: any value in one field of either ring's control page. */
void fchan_op_ring_ctl(struct fguest *g, struct fchan *c, struct fz *in);

#endif
