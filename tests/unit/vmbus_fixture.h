/* SPDX-License-Identifier: MIT */
/*
 * What the vmbus tests share: the fixture, the guest-side helpers and the
 * checks (tests/unit/vmbus_fixture.c); each test_vmbus_*.c holds one topic.
 */
#ifndef HVKVM_TEST_VMBUS_FIXTURE_H
#define HVKVM_TEST_VMBUS_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_features.h"
#include "hv_proto.h"
#include "loop.h"
#include "memory.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vmbus_internal.h"
#include "vmbus_proto.h"

#define NVP		2
#define RAM_SIZE	(16ull << 20)
#define INT_PAGE	VG_INT_PAGE
#define RING_GPA(i)	(0x100000ull + (uint64_t)(i) * 0x20000ull)
#define RING_PAGES	8
#define RING_DOWN	4	/* pages [0, 4): guest to host; [4, 8): host to guest */
#define VEC		VG_SINT_VECTOR	/* SINT 2 */
#define VEC3		0xf4		/* SINT 3 */
#define TMO		2000
#define PAGE		VG_PAGE
#define DESC		((uint32_t)sizeof(struct vmbus_packet_desc))

#define V(maj, min)	VG_VERSION(maj, min)

/* The guest; loop, hv and bus are its. */
extern struct vg fx;
extern struct loop *loop;
extern struct hv *hv;
extern struct vmbus *bus;

extern pthread_mutex_t lock;
extern unsigned injected[NVP][256];

extern int inject_ctx;
extern unsigned inject_bad;

void rec_inject(void *ctx, unsigned vp, uint8_t vector);

unsigned injections(unsigned vp, uint8_t vector);

#define MAX_PKTS	16

struct tdev {
	struct vmbus_offer offer;
	struct vmbus_device *dev;
	int open_ret;
	bool drain;
	/* written on the loop thread, under lock */
	unsigned opens, closes, notifies, npkts;
	bool in_call;			/* inside vmbus_chan_recv/send on the loop thread */
	unsigned closes_in_call;	/* close callbacks from inside those: must be none */
	struct vmbus_channel *ch;
	uint32_t open_relid, open_vp;
	int recv_err;
	uint8_t pkt[MAX_PKTS][512];
	uint32_t pkt_len[MAX_PKTS];
};

extern struct tdev devs[4];

unsigned get(const unsigned *p);

int td_open(struct vmbus_channel *ch, void *opaque);

void td_close(struct vmbus_channel *ch, void *opaque);

bool td_notify(struct vmbus_channel *ch, void *opaque);

extern const struct vmbus_dev_ops td_ops;

void tdev_init(struct tdev *d, unsigned n);

struct lcall {
	struct tdev *d;
	int r;
	uint16_t type;
	const void *data;
	uint32_t len;
};

void lc_add(void *o);

void lc_remove(void *o);

void lc_send(void *o);

void lc_add_subchannel(void *o);

void lc_version(void *o);

void dev_add(struct tdev *d);

void dev_remove(struct tdev *d);

int dev_send(struct tdev *d, const void *data, uint32_t len);

int dev_add_subchannel(struct tdev *d, uint16_t index);

uint32_t bus_version(void);

void wrmsr(unsigned vp, uint32_t msr, uint64_t val);

void synic_enable(unsigned vp);

uint16_t post_raw(unsigned vp, uint32_t conn, const void *m, uint32_t len);

void post(const void *m, uint32_t len);

struct hv_message *sim_slot(unsigned vp, unsigned sint);

int recv_on(unsigned vp, unsigned sint, union vg_msg *buf, unsigned ms);

int expect_on(unsigned vp, unsigned sint, uint32_t type, union vg_msg *buf);

int expect(uint32_t type, union vg_msg *buf);

void assert_slot_empty(unsigned vp, unsigned sint);

void ping(void);

void send_hdr(uint32_t type);

void send_relid(uint32_t type, uint32_t relid);

void initiate(uint32_t version, uint32_t target_vcpu, uint8_t sint);

void connect_with(uint32_t version, uint32_t target_vcpu, uint8_t sint);

void connect53(void);

unsigned request_offers(struct vmbus_msg_offer_channel *offers, unsigned max);

const struct vmbus_msg_offer_channel *offer_of(const struct vmbus_msg_offer_channel *o, unsigned n,
						       const struct tdev *d);

void gpadl_send_pfns(uint32_t relid, uint32_t id, uint32_t byte_count, const uint64_t *pfns, unsigned n);

void gpadl_send(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);

uint32_t expect_created(uint32_t relid, uint32_t id);

uint32_t gpadl_create(uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages);

void gpadl_teardown(uint32_t relid, uint32_t id);

void expect_torndown(uint32_t id);

uint32_t open_chan(uint32_t relid, uint32_t gpadl, uint32_t target_vp, uint32_t down);

void gchan_rings(struct vg_chan *c, uint64_t gpa);

void gopen_at(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, unsigned slot, uint32_t target_vp);

uint16_t signal_host(uint32_t conn_id);

void guest_send(struct vg_chan *c, const void *payload, uint32_t plen, uint64_t trans);

int guest_recv(struct vg_chan *c, uint8_t *buf, uint32_t buflen);

uint8_t *sief_byte(unsigned vp, uint32_t relid);

bool sief_bit(unsigned vp, uint32_t relid);

void sief_clear(unsigned vp, uint32_t relid);

void setup(void);

void teardown(void);
TCase *vmbus_tcase(Suite *s);

void check_offer(const struct vmbus_msg_offer_channel *o, const struct tdev *d);

uint32_t setup_one(struct vmbus_msg_offer_channel *o);

void open_one(struct vg_chan *c, uint32_t target_vp);

#endif
