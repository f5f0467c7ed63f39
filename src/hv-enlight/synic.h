/* SPDX-License-Identifier: MIT */
/*
 * The synthetic interrupt controller: per virtual processor, 16 SINTs, each with a
 * message slot in the guest's SIM page and 2048 event flags in its SIEF page.
 *
 * Messages are posted from any thread (the event loop, timers); a busy slot queues
 * them, with MessagePending set so the guest writes EOM once it frees the slot. All
 * guest pages are guest RAM the guest may change at any moment: every access goes
 * through gmem and the slot protocol tolerates a guest that never cooperates.
 */
#ifndef HVKVM_SYNIC_H
#define HVKVM_SYNIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_proto.h"

struct gmem;
struct synic;

/* Deliver vector to the local APIC of virtual processor vp (fixed, edge). */
typedef void synic_inject_fn(void *ctx, unsigned vp, uint8_t vector);

/* Messages a SINT can hold back while its slot is busy; more is a caller's problem. */
#define SYNIC_QUEUE_LEN 64

struct synic_stats {
	uint64_t messages;	/* written into a SIM slot */
	uint64_t events;	/* event flags newly set */
	uint64_t interrupts;	/* SINT vectors injected */
	uint64_t eoms;
	uint64_t queue_full;	/* posts refused */
};

struct synic *synic_new(const struct gmem *mem, unsigned nvp, synic_inject_fn *inject, void *ctx);
void synic_free(struct synic *s);
/* Every VP back to its power-on state; queued messages are dropped. */
void synic_reset(struct synic *s);

/* MSRs 0x40000080-0x4000009F of vp. Return 0, or -EPERM for #GP. */
int synic_msr_read(struct synic *s, unsigned vp, uint32_t msr, uint64_t *val);
int synic_msr_write(struct synic *s, unsigned vp, uint32_t msr, uint64_t val);

/*
 * Queue a message for (vp, sint) and deliver it if the slot is free. Returns 0,
 * -EINVAL for a bad vp/sint/type/size, -EAGAIN when the SINT's queue is full.
 */
int synic_post_message(struct synic *s, unsigned vp, unsigned sint, uint32_t type, uint64_t origin,
		       const void *payload, size_t len);

/* Set event flag `flag` of (vp, sint); interrupt if it was clear. Returns an HV_STATUS. */
int synic_signal_event(struct synic *s, unsigned vp, unsigned sint, unsigned flag);

/*
 * A timer's expiry message: each timer has one dedicated buffer, so this never fails
 * for lack of space; a busy slot keeps it pending until EOM. `delivery` is the time
 * now; a message written later carries the time it is written, from the clock given
 * to synic_set_clock(). Returns true if written now.
 */
bool synic_post_timer(struct synic *s, unsigned vp, unsigned sint, unsigned timer,
		      uint64_t expiration, uint64_t delivery);

/* Inject the vector of (vp, sint)'s direct interrupt: used by direct-mode timers. */
void synic_inject(struct synic *s, unsigned vp, uint8_t vector);

void synic_get_stats(struct synic *s, struct synic_stats *out);

/* Reference time, for the DeliveryTime of timer messages written after a delay. */
void synic_set_clock(struct synic *s, uint64_t (*now)(void *ctx), void *ctx);

#endif
