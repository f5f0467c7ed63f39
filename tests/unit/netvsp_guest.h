/* SPDX-License-Identifier: MIT */
/*
 * An in-process VMBus guest for device tests, playing Linux's hv_vmbus: it turns on
 * the SynIC, connects, takes offers, builds GPADLs and ring buffers in guest RAM and
 * moves packets through the rings with Linux's signalling rules. The device under
 * test runs on the loop thread; these functions run on the test's thread.
 */
#ifndef HVKVM_NETVSP_GUEST_H
#define HVKVM_NETVSP_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "hv_proto.h"
#include "memory.h"
#include "testutil.h"
#include "vmbus_proto.h"

#define VG_NVP		2
#define VG_TMO		2000	/* ms to wait for anything the host should do */

struct loop;
struct hv;
struct vmbus;

extern struct gmem vg_mem;
extern struct loop *vg_loop;
extern struct hv *vg_hv;
extern struct vmbus *vg_bus;

union vg_msg {
	struct vmbus_msg_header h;
	struct vmbus_msg_version_response version;
	struct vmbus_msg_offer_channel offer;
	struct vmbus_msg_relid relid;
	struct vmbus_msg_open_result open;
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_gpadl_torndown torndown;
	uint8_t raw[HV_MESSAGE_PAYLOAD_MAX];
};

/* RAM of ram bytes, a loop on its own thread, the partition, the bus, SynICs on. */
void vg_setup(uint64_t ram);
/* Stops the loop thread and frees everything: the bus, then (free_devices) the
 * devices whose channels it closed, then the rest. */
void vg_fini(void (*free_devices)(void));

void vg_post(const void *msg, uint32_t len);
/* The next channel message, -1 after ms. */
int vg_recv_msg(union vg_msg *m, unsigned ms);
void vg_expect_msg(uint32_t type, union vg_msg *m);
/* Everything posted before has been handled and answered when this returns. */
void vg_ping(void);

void vg_connect(void);
unsigned vg_request_offers(struct vmbus_msg_offer_channel *o, unsigned max);

/* A GPADL over pages [gpa, gpa + pages * 4096): the creation status. */
uint32_t vg_gpadl(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);
/* ... over any page numbers, one range of byte_count bytes at byte_offset. */
uint32_t vg_gpadl_pfns(uint32_t relid, uint32_t id, uint32_t byte_offset, uint32_t byte_count, const uint64_t *pfns,
		       unsigned n);
void vg_gpadl_teardown(uint32_t relid, uint32_t id);

struct vg_chan {
	uint32_t relid, conn_id, gpadl;
	uint16_t subidx;
	struct vmbus_ring_control *up_ctl, *dn_ctl;	/* up: guest to host */
	uint8_t *up, *dn;
	uint32_t up_size, dn_size;
	bool napi;		/* keep interrupt_mask set as a polling Linux driver does */
};

/* vmbus_open: ring GPADL, rings (up pages, then down pages), OPENCHANNEL: its status. */
uint32_t vg_open(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, uint64_t ring_gpa, unsigned up_pages,
		 unsigned down_pages, uint32_t gpadl_id);
void vg_close(struct vg_chan *c);

/* hv_ringbuffer_write of a whole packet (descriptor included, len a multiple of 8):
 * 0, or -1 if the ring has no room (Linux's -EAGAIN). Signals as Linux does. */
int vg_write(struct vg_chan *c, const void *pkt, uint32_t len);
/* An inband (type 6) packet with payload, or a completion (0xB). */
int vg_send(struct vg_chan *c, uint16_t type, uint16_t flags, uint64_t tid, const void *payload, uint32_t plen);
/* The next host packet (descriptor included) within ms: its length, or -1. Publishes
 * the read index and signals the host if it waits for room, as Linux does. */
int vg_read(struct vg_chan *c, void *buf, uint32_t max, unsigned ms);
bool vg_empty(struct vg_chan *c);

/* Signals hvkvm made for channel relid (its SIEF bit), and clears it. */
bool vg_take_event(uint32_t relid);

#endif
