/* SPDX-License-Identifier: MIT */
/*
 * A guest's VSS, as Linux's hv_utils (hv_snapshot.c) and hv_vss_daemon answer: the
 * version negotiation (framework 3.0, message 5.0, the only ones Linux takes), then
 * each request in place, with the host's trans_id and the host's packet length. For the
 * VSS unit tests, on the simulated guest; by the test's thread or a thread of its own.
 */
#ifndef HVKVM_TEST_VSS_GUEST_H
#define HVKVM_TEST_VSS_GUEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmbus_guest.h"

#define VSG_PKT		8192

/* Offsets in a packet from the host (descriptor of 16 bytes, pipe header, IC header). */
#define VSG_IC		(16 + 8)
#define VSG_BODY	(VSG_IC + 20)
#define VSG_FLAGS	(VSG_IC + 17)
#define VSG_STATUS	(VSG_IC + 12)
#define VSG_MSGTYPE	(VSG_IC + 4)
#define VSG_MSGSIZE	(VSG_IC + 10)

struct vss_guest {
	struct vg_chan *c;
	atomic_uint status;		/* what the daemon answers FREEZE and THAW with */
	atomic_bool frozen;		/* what the daemon did last */
	atomic_uint freezes, thaws;	/* requests served */
	pthread_t thread;
	atomic_bool stop;
	bool running;
};

void vss_guest_init(struct vss_guest *vs, struct vg_chan *c);
/* The next packet from the host (waiting up to ms): its length, or -1. */
int vss_guest_read(struct vss_guest *vs, uint8_t *pkt, unsigned ms);
/* Answer the negotiation in pkt as Linux does (checks the host offered 3.0 and 5.0). */
void vss_guest_negotiate(struct vss_guest *vs, uint8_t *pkt, int len);
/* Mark pkt answered with status (flags TRANSACTION | RESPONSE) and send it back with its
 * trans_id and length. */
void vss_guest_answer(struct vss_guest *vs, uint8_t *pkt, int len, uint32_t status);
/* Read and answer one message as hv_vss_daemon would; false if none came within ms. */
bool vss_guest_serve(struct vss_guest *vs, unsigned ms);
void vss_guest_start(struct vss_guest *vs);
void vss_guest_stop(struct vss_guest *vs);

#endif
