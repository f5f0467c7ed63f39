/* SPDX-License-Identifier: MIT */
/*
 * An in-process VMBus guest, without KVM, shared by the unit tests and the fuzz
 * targets. It plays Linux's hv_vmbus against the real server: guest RAM, the Hyper-V
 * partition with the SynIC turned on by MSR writes, channel messages posted with
 * HvCallPostMessage from an input page and read back out of the SIM slots (freeing
 * each slot and writing EOM as Linux does), GPADLs and ring buffers in guest RAM, and
 * HvSignalEvent on a channel's connection.
 *
 * The two modes differ only in how the guest waits for the host: vg_wait(), and
 * beside it vg_call() (device-side calls) and vg_start() (the loop's thread).
 *  - VG_THREADED (unit tests): the caller's thread is the guest (a vCPU); the server
 *    and the devices run on the event loop's own thread (vg_start), as in hvkvm, and
 *    the guest polls for an answer up to a timeout.
 *  - VG_PUMPED (fuzz targets): one thread; the guest runs the loop itself
 *    (loop_run_once) until what it waits for holds or the loop has nothing left to
 *    do, so an input always does the same thing.
 *
 * A failed check calls vg_fail(), which whatever links the harness provides: a Check
 * failure in the unit tests, an abort in the fuzz targets.
 */
#ifndef HVKVM_TEST_VMBUS_GUEST_H
#define HVKVM_TEST_VMBUS_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hv_proto.h"
#include "memory.h"
#include "test_loop.h"
#include "vmbus_proto.h"

struct hv;
struct vmbus;

#define VG_MAX_VP	8
#define VG_PAGE		4096u
#define VG_TMO		5000	/* ms to wait for an answer (threaded) */
/* The guest's pages below VG_RAM_START: input pages for HvCallPostMessage and
 * HvSignalEvent (one a VP), SIMP and SIEFP of every VP, the interrupt page of VMBus
 * before 5.0 and the monitor pages. The rest of RAM is the caller's. */
#define VG_POST_GPA(vp)		(0x1000ull + (uint64_t)(vp) * 0x1000ull)
#define VG_SIMP_GPA(vp)		(0x10000ull + (uint64_t)(vp) * 0x2000ull)
#define VG_SIEFP_GPA(vp)	(0x11000ull + (uint64_t)(vp) * 0x2000ull)
#define VG_INT_PAGE		0x20000ull
#define VG_MON_PAGE1		0x21000ull
#define VG_MON_PAGE2		0x22000ull
#define VG_RAM_START		0x100000ull
#define VG_SINT_VECTOR		0xf3

#define VG_VERSION(maj, min)	((uint32_t)(maj) << 16 | (min))

_Noreturn void vg_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define VG_CHECK(cond, ...)							\
	do {									\
		if (!(cond))							\
			vg_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
	} while (0)

enum vg_mode { VG_THREADED, VG_PUMPED };

union vg_msg {
	struct vmbus_msg_header h;
	struct vmbus_msg_version_response version;
	struct vmbus_msg_offer_channel offer;
	struct vmbus_msg_relid relid;
	struct vmbus_msg_open_result open;
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_gpadl_torndown torndown;
	struct vmbus_msg_modifychannel_response modify;
	uint8_t raw[HV_MESSAGE_PAYLOAD_MAX];
};

struct vg;
/* Each message the guest takes out of a SIM slot, in order (len: its payload size). */
typedef void vg_msg_fn(struct vg *g, const union vg_msg *m, uint32_t len);
typedef void vg_inject_fn(void *ctx, unsigned vp, uint8_t vector);

struct vg_config {
	uint64_t ram;
	unsigned nvp;
	enum vg_mode mode;
	/* SINTn's vector; SINTs left 0 stay masked. All 0: SINT 2 on VG_SINT_VECTOR. */
	uint8_t sint_vector[HV_SINT_COUNT];
	/* Where the SynIC's interrupts go; NULL: g->injections counts them. */
	vg_inject_fn *inject;
	void *inject_ctx;
};

struct vg {
	struct vg_config cfg;
	struct gmem mem;
	struct loop *loop;
	struct test_loop tl;
	struct hv *hv;
	struct vmbus *bus;
	enum vg_mode mode;
	unsigned nvp;
	/* where the server's messages go (what INITIATE_CONTACT named), and where the
	 * guest posts (what VERSION_RESPONSE named) */
	unsigned msg_vp;
	unsigned msg_sint;
	uint32_t msg_conn;
	uint32_t ping_id;
	unsigned injections;	/* interrupts the SynIC raised, atomic */
	/* Called with each interrupt counted there, on the thread that raised it. */
	void (*on_injection)(struct vg *g);
	uint32_t open_status;	/* of the last OPENCHANNEL_RESULT taken */
	uint32_t next_gpadl;	/* the GPADL id vg_chan_open takes next, less one */
	vg_msg_fn *on_msg;
	void *opaque;
};

/* RAM, a loop, the partition (SynIC on for every VP) and the bus. Threaded: the loop
 * is not running yet, so devices can be added from the caller's thread first. */
void vg_init_with(struct vg *g, const struct vg_config *cfg);
/* Threaded, SINT 2 on. */
void vg_init(struct vg *g, uint64_t ram, unsigned nvp);
/* Threaded: the loop's thread starts; pumped: nothing to do. */
void vg_start(struct vg *g);
/* Stops the loop's thread (threaded) and frees the bus (which closes every channel):
 * devices can be freed afterwards, then vg_destroy(). */
void vg_stop(struct vg *g);
void vg_destroy(struct vg *g);

/* ---- the one seam between the modes ---- */

typedef bool vg_cond_fn(struct vg *g, void *ctx);
/*
 * Until cond(g, ctx) holds: true, or false if it did not within ms (threaded) or
 * once the loop has nothing left to do (pumped; ms is not used).
 */
bool vg_wait(struct vg *g, vg_cond_fn *cond, void *ctx, unsigned ms);
/* Run fn(opaque) on the loop's side and wait for it, as device-side calls are made. */
void vg_call(struct vg *g, void (*fn)(void *), void *opaque);
/* Pumped: run the loop and take every message (vg_drain) until nothing more happens. */
void vg_settle(struct vg *g);

/* ---- the SynIC ---- */

void vg_wrmsr(struct vg *g, unsigned vp, uint32_t msr, uint64_t val);
/* hv_synic_enable_regs on vp: SIMP, SIEFP, the SINTs of the configuration, SCONTROL. */
void vg_synic_enable(struct vg *g, unsigned vp);
struct hv_message *vg_sim_slot(struct vg *g, unsigned vp, unsigned sint);
/* The byte of vp's SIEF for VMBus (SINT 2) that holds relid's flag. */
uint8_t *vg_sief_byte(struct vg *g, unsigned vp, uint32_t relid);

/* ---- channel messages ---- */

/* HvCallPostMessage of len bytes from vp's input page to connection conn: the
 * hypercall's status (more than 240 bytes is the host's to refuse). */
uint16_t vg_post_raw(struct vg *g, unsigned vp, uint32_t conn, const void *msg, uint32_t len);
/* The same from VP 0 to g->msg_conn, checked to succeed. */
void vg_post(struct vg *g, const void *msg, uint32_t len);
void vg_send_hdr(struct vg *g, uint32_t type);
void vg_send_relid(struct vg *g, uint32_t type, uint32_t relid);
/* HvSignalEvent of conn_id from VP 0: fast (in registers) or slow (input page). */
uint16_t vg_signal_conn(struct vg *g, uint32_t conn_id, bool slow);

/*
 * vmbus_on_msg_dpc + vmbus_signal_eom: the message in vp's slot for sint, if any, is
 * copied to m, the slot freed and EOM written if more wait; VERSION_RESPONSE and
 * OPENCHANNEL_RESULT are noted (msg_conn, open_status) and on_msg sees it. The
 * payload size, or -1 if the slot was empty; *type: the message type.
 */
int vg_take(struct vg *g, unsigned vp, unsigned sint, union vg_msg *m, uint32_t *type);
/* Every message waiting in any slot of any VP: how many. */
unsigned vg_drain(struct vg *g);
/* The next VMBus message in vp's slot for sint, waiting up to ms: its length, or -1. */
int vg_recv_on(struct vg *g, unsigned vp, unsigned sint, union vg_msg *m, unsigned ms);
/* The same where the server's messages go. */
int vg_recv(struct vg *g, union vg_msg *m, unsigned ms);
/* The next message must be of this type (VG_TMO). */
int vg_expect_on(struct vg *g, unsigned vp, unsigned sint, uint32_t type, union vg_msg *m);
int vg_expect(struct vg *g, uint32_t type, union vg_msg *m);
/* A request with a known answer: every message posted before has been handled, and
 * its answers delivered, when this returns. */
void vg_ping(struct vg *g);

/* INITIATE_CONTACT for version, answers to target_vcpu's SINT sint (from 5.0; on
 * connection 4, else connection 1 with the interrupt page): the post's status. */
uint16_t vg_contact(struct vg *g, uint32_t version, uint32_t target_vcpu, uint8_t sint);
/* vmbus_negotiate_version: INITIATE_CONTACT, and VERSION_RESPONSE must accept it;
 * where the messages go from now on is noted. */
void vg_connect_with(struct vg *g, uint32_t version, uint32_t target_vcpu, uint8_t sint);
/* The same for version 5.0 or later: SINT 2 on VP 0. */
void vg_connect(struct vg *g, uint32_t version);
/* REQUESTOFFERS: the offers until ALLOFFERS_DELIVERED; how many. */
unsigned vg_request_offers(struct vg *g, struct vmbus_msg_offer_channel *offers, unsigned max);

/* vmbus_establish_gpadl's messages (26 page numbers in the header, 28 a body) for one
 * range of byte_count bytes from byte_offset: 0, or the first post's failed status. */
uint16_t vg_gpadl_post(struct vg *g, uint32_t relid, uint32_t id, uint32_t byte_offset, uint32_t byte_count,
		       const uint64_t *pfns, unsigned n);
/* The same for `pages` pages from gpa. */
uint16_t vg_gpadl_post_pages(struct vg *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);
/* The GPADL_CREATED that must come next, for relid and id: its status. */
uint32_t vg_expect_created(struct vg *g, uint32_t relid, uint32_t id);
/* GPADL for `pages` pages from gpa, and its GPADL_CREATED status. */
uint32_t vg_gpadl_create(struct vg *g, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);
/* The same over any page numbers. */
uint32_t vg_gpadl_create_pfns(struct vg *g, uint32_t relid, uint32_t id, uint32_t byte_offset, uint32_t byte_count,
			      const uint64_t *pfns, unsigned n);
void vg_gpadl_teardown(struct vg *g, uint32_t relid, uint32_t id);
/* The GPADL_TORNDOWN that must come next, for id. */
void vg_expect_torndown(struct vg *g, uint32_t id);
/* OPENCHANNEL (openid: relid + 0x1000): the post's status. */
uint16_t vg_open_post(struct vg *g, uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down);
/* OPENCHANNEL and its OPENCHANNEL_RESULT: the open status. */
uint32_t vg_open_chan(struct vg *g, uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down);

/* ---- rings and channels ---- */

/* The guest's side of one ring: control page and data area. */
struct vg_ring {
	struct vmbus_ring_control *ctl;
	uint8_t *data;
	uint32_t size;
};

/* hv_ringbuffer_write: one packet (iov: descriptor and payload, whatever they hold),
 * padded to 8, and its trailer at the write index. 0; -EAGAIN if it does not fit;
 * -EINVAL if the indices are not ones a guest would write to. */
int vg_ring_put(struct vg_ring *r, const struct iovec *iov, unsigned n);
/* The same for one packet in one buffer. */
int vg_ring_put1(struct vg_ring *r, const void *pkt, uint32_t len);
/* The next packet at the read index (at most buflen bytes of it copied) and move
 * past it: its length; 0 if the ring is empty; -EBADMSG if its contents make no sense. */
int vg_ring_get(struct vg_ring *r, void *buf, uint32_t buflen);

/* The guest's view of a channel. */
struct vg_chan {
	struct vg *g;
	uint32_t relid, conn_id, gpadl;
	uint64_t gpa;
	bool open;		/* vg_chan_open: the host opened it */
	struct vmbus_ring_control *up_ctl, *dn_ctl;	/* guest to host, host to guest */
	uint8_t *up, *dn;
	uint32_t up_size, dn_size;
	uint64_t signals;	/* HvSignalEvent calls made */
	bool quiet;		/* vg_write never signals: the test batches packets */
};

struct vg_ring vg_up(const struct vg_chan *c);
struct vg_ring vg_dn(const struct vg_chan *c);

/* hv_ringbuffer_init for both rings at gpa, zeroed, with pending_send_sz support:
 * up_pages for the guest's ring and dn_pages for the host's, each counting its
 * control page. */
void vg_rings_init(struct vg *g, struct vg_chan *c, uint64_t gpa, unsigned up_pages, unsigned dn_pages);
/*
 * vmbus_open: a GPADL (id gpadl) for both rings at gpa, the rings (vg_rings_init),
 * then OPENCHANNEL. Returns the GPADL's status if it failed, else the open status.
 */
uint32_t vg_open(struct vg *g, struct vg_chan *c, const struct vmbus_msg_offer_channel *o, uint32_t gpadl,
		 uint64_t gpa, unsigned up_pages, unsigned dn_pages, uint32_t target_vp);
/* CLOSECHANNEL and GPADL_TEARDOWN, as vmbus_close does; waits for GPADL_TORNDOWN. */
void vg_close(struct vg *g, struct vg_chan *c);

/* HvSignalEvent on the channel's connection, checked. */
void vg_signal(struct vg_chan *c);
/* vg_ring_put into the guest's ring; then, if `signal`, signal as Linux does (the ring
 * was empty and the host did not mask). -EAGAIN if it does not fit. */
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
 * One packet from the host's ring (descriptor included), checked to make sense and
 * fit buflen: its length, or -1 if the ring is empty. Like hv_pkt_iter_close,
 * signals the host when it waits for room that this read made.
 */
int vg_read(struct vg_chan *c, void *buf, uint32_t buflen);
/* The same, waiting up to ms for a packet. */
int vg_read_wait(struct vg_chan *c, void *buf, uint32_t buflen, unsigned ms);

/* vg_ring_put1 into the guest's ring, vg_ring_get from the host's: no checks, no signal. */
int vg_chan_put(struct vg_chan *c, const void *pkt, uint32_t len);
int vg_chan_get(struct vg_chan *c, void *buf, uint32_t buflen);

/* ---- channels the way the fuzz targets drive them (pumped) ---- */

/* If m is an OFFERCHANNEL: note its relid and connection in chans[its sub-channel
 * index], if below n. */
void vg_chan_offered(struct vg_chan *chans, unsigned n, const union vg_msg *m, uint32_t len);
/* vmbus_open of an offered channel that is not open: a GPADL (id ++g->next_gpadl) for
 * two rings of ring_pages data pages each and their control pages at gpa, then
 * OPENCHANNEL, each settled; c->open if the host opened it. */
void vg_chan_open(struct vg *g, struct vg_chan *c, uint64_t gpa, unsigned ring_pages, uint32_t target_vp);
/* vmbus_close_internal: CLOSECHANNEL, then the GPADL of the rings goes; settled. */
void vg_chan_close(struct vg *g, struct vg_chan *c);
/* Read up to max packets from the host's ring (contents unchecked), then signal. */
void vg_chan_consume(struct vg_chan *c, unsigned max);

#endif
