/* SPDX-License-Identifier: MIT */
/*
 * A simulated guest (tests/guest/vmbus_guest.h, threaded) on a bus, as the device and
 * method tests of the ICs and the synthetic input devices set it up: the test adds its
 * devices to machine (whose vm runs and whose bus is g's), registers its methods on
 * the management socket if it wants one, then gf_start() connects VMBus and takes the
 * offers, and gf_open() opens a device's channel.
 */
#ifndef HVKVM_TEST_GUEST_FIXTURE_H
#define HVKVM_TEST_GUEST_FIXTURE_H

#include "config.h"
#include "machine.h"
#include "vm.h"
#include "vmbus_guest.h"

#include <stdbool.h>

#define GF_RAM		(16ull << 20)
/* The classes of the ICs the tests open. */
#define GF_KVP_CLASS	"a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"
#define GF_VSS_CLASS	"35fa2e29-ea23-4236-96ae-3a6ebacba440"
#define GF_MAX_OFFERS	4

struct gf {
	struct vg g;
	struct vm vm;
	struct machine machine;
	struct vm_config cfg;
	struct mgmt *mgmt;		/* with gf_mgmt() */
	struct tc *t;			/* its client, once started */
	char dir[64], path[128];
	struct vmbus_msg_offer_channel offers[GF_MAX_OFFERS];
	unsigned noffers;
	uint32_t next_gpadl;		/* the GPADL id gf_open takes next */
};

/* The guest with 1 VP and GF_RAM bytes, the loop not running yet; machine.cfg, .vm,
 * .vmbus set. */
void gf_init(struct gf *f);
/* A management socket in a temp dir (name: what for, in its name) on the guest's
 * loop: register methods on f->mgmt before gf_start. */
struct mgmt *gf_mgmt(struct gf *f, const char *name);
/* The socket listens and a client connects (with gf_mgmt); the loop starts; VMBus 5.3
 * is connected and exactly noffers offers come. */
void gf_start(struct gf *f, unsigned noffers);
/* The offer of a class (its GUID as text); fails the test if there is none. */
const struct vmbus_msg_offer_channel *gf_offer(struct gf *f, const char *class_id);
/* ch (zeroed here) opened on the offer of class_id: rings of pages pages each way at gpa. */
void gf_open(struct gf *f, struct vg_chan *ch, const char *class_id, uint64_t gpa, unsigned pages);
/* The same channel opened again (after the guest closed it): a new GPADL. */
void gf_reopen(struct gf *f, struct vg_chan *ch, const char *class_id, uint64_t gpa, unsigned pages);
/* The client goes and the loop stops with the bus (every channel closes): free devices
 * and methods after this, then gf_destroy(). */
void gf_stop(struct gf *f);
void gf_destroy(struct gf *f);

#endif
