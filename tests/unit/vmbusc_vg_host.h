/* SPDX-License-Identifier: MIT */
/*
 * The environment of the portable VMBus client (firmware/vmbusc.h) when the simulated
 * guest (guest/vmbus_guest.h) runs it against hvkvm's VMBus server in process: its
 * struct vmbusc_host posts HvPostMessage and signals HvSignalEvent from VP 0, reads
 * SINT 2's SIM slot of VP 0, hands out zeroed pages of guest RAM from a bump allocator
 * and tells the time from CLOCK_MONOTONIC.
 *
 * A test that plays a hostile host replaces any of host's functions with its own
 * before it connects; the context stays the struct vmbusc_vg_host, and the functions
 * below are there to call for what the hostile one leaves to the guest.
 */
#ifndef HVKVM_TEST_VMBUSC_VG_HOST_H
#define HVKVM_TEST_VMBUSC_VG_HOST_H

#include <stdint.h>

#include "vmbus_guest.h"
#include "vmbusc.h"

struct vmbusc_vg_host {
	struct vmbusc_host host;	/* what vmbusc_connect takes; ctx: this */
	struct vg *g;
	uint64_t next;			/* the next page alloc_pages hands out */
	unsigned allocated, freed;	/* pages */
	void *last;			/* the last allocation of more than a page (a channel's rings) */
	unsigned signals;		/* signal_event calls */
	uint32_t last_signal;		/* and the connection of the last one */
};

/* The guest's functions in h->host; pages from alloc_base up to the end of g's RAM. */
void vmbusc_vg_host_init(struct vmbusc_vg_host *h, struct vg *g, uint64_t alloc_base);

/* The guest's functions, ctx a struct vmbusc_vg_host. */
uint16_t vmbusc_vg_post(void *ctx, uint32_t connection_id, uint32_t message_type, const void *payload,
			uint32_t len);
uint16_t vmbusc_vg_signal(void *ctx, uint32_t connection_id);
/* The slot empty: sleeps a little first (the loop's thread needs the CPU to answer). */
int vmbusc_vg_next(void *ctx, uint32_t *message_type, void *buf, uint32_t cap);
void *vmbusc_vg_alloc(void *ctx, uint32_t npages, uint64_t *gpa);
void vmbusc_vg_free(void *ctx, void *p, uint32_t npages);
/* ctx is not used: NULL will do. */
uint64_t vmbusc_vg_now(void *ctx);

#endif
