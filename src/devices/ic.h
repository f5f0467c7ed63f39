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
/* CLOCK_MONOTONIC (ns) of the guest's last heartbeat answer, 0 if none. */
uint64_t ic_heartbeat_last_ns(const struct ic *ic);
/* Called on the loop thread when the state changes (alive, lost, alive again). */
typedef void ic_heartbeat_fn(void *opaque, enum ic_heartbeat_state state, uint64_t seq);
void ic_heartbeat_set_notify(struct ic *ic, ic_heartbeat_fn *fn, void *opaque);

/* Send the host time now with the hard "sync" flag (after a pause or restore). */
void ic_timesync_sync(struct ic *ic);

/* What the management API shows of a component. */
struct ic_status {
	const char *name;		/* "shutdown", "heartbeat", "time sync" */
	const char *class_id, *instance_id;
	bool open;			/* the guest opened the channel */
	bool negotiated;		/* and agreed on a version */
	uint16_t major, minor;		/* the message version then */
};
void ic_get_status(const struct ic *ic, struct ic_status *st);

/* The VM pauses: periodic messages stop (a paused guest cannot answer a heartbeat);
 * on resume they start again, and time sync sends the host time with the sync flag. */
void ic_pause(struct ic *ic);
void ic_resume(struct ic *ic);

#endif
