/* SPDX-License-Identifier: MIT */
/*
 * Hyper-V integration components: shutdown, heartbeat and time synchronization, the
 * VMBus devices Linux's hv_utils and Windows' ICs bind to. Every exchange is started
 * by the host: a version negotiation when the guest opens the channel, then requests
 * the guest answers.
 */
#ifndef HVKVM_IC_H
#define HVKVM_IC_H

#include <stdbool.h>
#include <stdint.h>

struct vmbus;
struct loop;
struct ic;

/* Partition reference time (100 ns) now, for time-sync samples. */
typedef uint64_t ic_ref_time_fn(void *ctx);

struct ic *ic_shutdown_new(struct vmbus *bus, struct loop *loop);
struct ic *ic_heartbeat_new(struct vmbus *bus, struct loop *loop);
struct ic *ic_timesync_new(struct vmbus *bus, struct loop *loop, ic_ref_time_fn *ref_time, void *ctx);
void ic_free(struct ic *ic);

/*
 * Ask the guest to power off (reboot = false) or restart. Returns false if no guest
 * driver is there to ask (the channel is not open or not negotiated yet); the
 * request is then kept and sent once it is.
 */
bool ic_shutdown_request(struct ic *ic, bool reboot);

enum ic_heartbeat_state {
	IC_HEARTBEAT_NONE,	/* the guest never answered */
	IC_HEARTBEAT_ALIVE,
	IC_HEARTBEAT_LOST,	/* it answered once, then stopped */
};
enum ic_heartbeat_state ic_heartbeat_state(const struct ic *ic, uint64_t *last_seq);
/* Send the host time now with the hard "sync" flag (after a pause or restore). */
void ic_timesync_sync(struct ic *ic);

/* The VM pauses: periodic messages stop (a paused guest cannot answer a heartbeat);
 * on resume they start again, and time sync sends the host time with the sync flag. */
void ic_pause(struct ic *ic);
void ic_resume(struct ic *ic);

#endif
