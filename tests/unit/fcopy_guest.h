/* SPDX-License-Identifier: MIT */
/*
 * A guest's file copy, as Linux's hv_utils and hv_fcopy_daemon answer: the version
 * negotiation (framework 3.0, message 1.1, answered even without the daemon), then each
 * request in place with the host's trans_id and length, the daemon's status in the IC
 * header. The daemon writes under a host directory standing for the guest's root, with
 * the daemon's own rules (missing directories created only with CREATE_PATH and only
 * those before a '/', an existing file kept without OVER_WRITE, CANCEL removes the
 * file). Without the daemon every request is answered E_FAIL, as hv_utils does.
 */
#ifndef HVKVM_TEST_FCOPY_GUEST_H
#define HVKVM_TEST_FCOPY_GUEST_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmbus_guest.h"

#define FG_PKT		8192	/* what hv_fcopy reads */
#define FG_IC		(16 + 8)		/* the IC header in a packet */
#define FG_BODY		(FG_IC + 20)		/* the fcopy message */
#define FG_FLAGS	(FG_IC + 17)
#define FG_STATUS	(FG_IC + 12)
#define FG_MSGTYPE	(FG_IC + 4)
#define FG_MSGSIZE	(FG_IC + 10)

struct fcopy_guest {
	struct vg_chan *c;
	char root[PATH_MAX];		/* the guest's "/" on the host */
	bool daemon;			/* hv_fcopy_daemon registered */
	int fd;				/* the file being written, -1 */
	char target[PATH_MAX];
	unsigned ops[4];		/* requests seen per operation */
	uint32_t fail_write_at;		/* the nth WRITE (1-based) answers DISK_FULL; 0 never */
	uint32_t fail_status;		/* what it answers instead, if not 0 */
	unsigned fail_times;		/* WRITEs from the nth on that fail (0: 1) */
	/* the daemon thread */
	pthread_t thread;
	atomic_bool stop;
	atomic_uint served;
	bool running;
};

void fcopy_guest_init(struct fcopy_guest *fg, struct vg_chan *c, const char *root);
void fcopy_guest_fini(struct fcopy_guest *fg);
/* The next packet from the host (waiting up to ms): its length, or -1. */
int fcopy_guest_read(struct fcopy_guest *fg, uint8_t *pkt, unsigned ms);
/* Answer the negotiation in pkt as Linux does. */
void fcopy_guest_negotiate(struct fcopy_guest *fg, uint8_t *pkt, int len);
/* What hv_utils and the daemon make of request pkt, written in place. */
void fcopy_guest_process(struct fcopy_guest *fg, uint8_t *pkt, int len);
/* Send pkt (descriptor included) back with its trans_id. */
void fcopy_guest_send(struct fcopy_guest *fg, const uint8_t *pkt, int len);
/* Read, process and answer one message; false if none came within ms. */
bool fcopy_guest_serve(struct fcopy_guest *fg, unsigned ms);
void fcopy_guest_start(struct fcopy_guest *fg);
void fcopy_guest_stop(struct fcopy_guest *fg);

#endif
