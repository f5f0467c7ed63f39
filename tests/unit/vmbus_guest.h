/* SPDX-License-Identifier: MIT */
/*
 * An in-process VMBus guest for device tests, without KVM. It plays Linux's hv_vmbus
 * against the real server: the SynIC is turned on with MSR writes, channel messages
 * are posted with HvCallPostMessage from an input page in guest RAM and read back from
 * SIM slot 2 (freeing the slot and writing EOM as Linux does), GPADLs and ring buffers
 * live in guest RAM, and channels are signalled with HvSignalEvent.
 *
 * The test's thread is the guest (a vCPU); the server and the devices run on the
 * event loop's own thread, as in hvkvm.
 */
#ifndef HVKVM_TEST_VMBUS_GUEST_H
#define HVKVM_TEST_VMBUS_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hv_proto.h"
#include "memory.h"
#include "testutil.h"
#include "vmbus_proto.h"

struct loop;
struct hv;
struct vmbus;

#define VG_MAX_VP	4
#define VG_PAGE		4096u
#define VG_TMO		5000	/* ms to wait for an answer */
/* Guest RAM below this holds the SynIC and hypercall pages; tests use the rest. */
#define VG_RAM_START	0x100000ull

#define VG_VERSION(maj, min)	((uint32_t)(maj) << 16 | (min))

struct vg {
	struct gmem mem;
	struct loop *loop;
	struct test_loop tl;
	struct hv *hv;
	struct vmbus *bus;
	unsigned nvp;
	/* where the server's messages go, and where the guest posts */
	unsigned msg_vp;
	unsigned msg_sint;
	uint32_t msg_conn;
	uint32_t ping_id;
	unsigned injections;	/* interrupts the SynIC raised, atomic */
};

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

/* RAM, a loop, the partition (SynIC on for every VP) and the bus; the loop is not
 * running yet, so devices can be added from the test's thread first. */
void vg_init(struct vg *g, uint64_t ram, unsigned nvp);
void vg_start(struct vg *g);
/* Stops the loop and frees the bus (which closes every channel): devices can be
 * freed afterwards, then vg_destroy(). */
void vg_stop(struct vg *g);
void vg_destroy(struct vg *g);

/* Run fn(opaque) on the loop thread and wait for it, as device-side calls are made. */
void vg_call(struct vg *g, void (*fn)(void *), void *opaque);

/* ---- channel messages ---- */

void vg_post(struct vg *g, const void *msg, uint32_t len);
/* The next message to the guest: its length, or -1 if none came within ms. */
int vg_recv(struct vg *g, union vg_msg *m, unsigned ms);
/* The next message must be of this type. */
int vg_expect(struct vg *g, uint32_t type, union vg_msg *m);
/* A request with a known answer: every message posted before has been handled, and
 * its answers delivered, when this returns. */
void vg_ping(struct vg *g);
void vg_send_relid(struct vg *g, uint32_t type, uint32_t relid);
/* INITIATE_CONTACT for version (5.0 and later: SINT 2 on VP 0), checked. */
void vg_connect(struct vg *g, uint32_t version);
/* REQUESTOFFERS: the offers until ALLOFFERS_DELIVERED; how many. */
unsigned vg_request_offers(struct vg *g, struct vmbus_msg_offer_channel *offers, unsigned max);
/* A GPADL of `pages` pages from gpa for relid; the GPADL_CREATED status. */
uint32_t vg_gpadl_create(struct vg *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);

/* ---- channels ---- */

/* The guest's view of an open channel. */
struct vg_chan {
	struct vg *g;
	uint32_t relid, conn_id, gpadl;
	uint64_t gpa;
	struct vmbus_ring_control *up_ctl, *dn_ctl;	/* guest to host, host to guest */
	uint8_t *up, *dn;
	uint32_t up_size, dn_size;
	uint64_t signals;	/* HvSignalEvent calls made */
	bool quiet;		/* vg_write never signals: the test batches packets */
};

/*
 * vmbus_open: a GPADL (id gpadl) for both rings at gpa, up_pages for the guest's
 * ring and dn_pages for the host's (each counting its control page), zeroed and
 * with the pending-send-size feature, then OPENCHANNEL. Returns the open status.
 */
uint32_t vg_open(struct vg *g, struct vg_chan *c, const struct vmbus_msg_offer_channel *o, uint32_t gpadl,
		 uint64_t gpa, unsigned up_pages, unsigned dn_pages, uint32_t target_vp);
/* CLOSECHANNEL and GPADL_TEARDOWN, as vmbus_close does; waits for GPADL_TORNDOWN. */
void vg_close(struct vg *g, struct vg_chan *c);

/* HvSignalEvent on the channel's connection. */
void vg_signal(struct vg_chan *c);
/*
 * Write one packet (iov: descriptor and payload, whatever they hold) into the guest's
 * ring with its trailer, and signal as Linux does (the ring was empty and the host
 * did not mask) if `signal`. -EAGAIN if it does not fit.
 */
int vg_write(struct vg_chan *c, const struct iovec *iov, unsigned n, bool signal);
/* A packet with a descriptor of type/flags/trans_id in front of the payload. */
int vg_send(struct vg_chan *c, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
	    uint32_t len);
/* VM_PKT_DATA_USING_GPA_DIRECT with one range (as storvsc and netvsc send). */
int vg_send_gpa(struct vg_chan *c, uint16_t flags, uint64_t trans_id, uint32_t byte_offset, uint32_t byte_count,
		const uint64_t *pfns, unsigned npfn, const void *payload, uint32_t len);
/* Bytes the guest's ring can take now. */
uint32_t vg_write_space(const struct vg_chan *c);
/* Bytes of packets waiting in the host's ring. */
uint32_t vg_read_avail(const struct vg_chan *c);

/*
 * One packet from the host's ring (descriptor included): its length, or -1 if the
 * ring is empty. Like hv_pkt_iter_close, signals the host when it waits for room
 * that this read made.
 */
int vg_read(struct vg_chan *c, void *buf, uint32_t buflen);
/* The same, waiting up to ms for a packet. */
int vg_read_wait(struct vg_chan *c, void *buf, uint32_t buflen, unsigned ms);

#endif
