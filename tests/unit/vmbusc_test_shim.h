/* SPDX-License-Identifier: MIT */
/*
 * Test-only: vmbusc's channel calls (vmbusc_open, vmbusc_close, vmbusc_send,
 * vmbusc_send_gpa, vmbusc_recv) over the simulated guest's channel helpers
 * (guest/vmbus_guest.h) and the storvsp fixture, so that code written against
 * firmware/vmbusc.h runs against hvkvm's real storvsp. The connection itself is the
 * fixture's (guest_connect); shim_bus() gives the struct vmbusc that names it.
 *
 * The host's alloc_pages hands out guest RAM from 48 MiB (free_pages only counts).
 * A hook sees every packet vmbusc_recv takes, and may change or drop it: a hostile
 * host in front of the real one.
 */
#ifndef HVKVM_TEST_VMBUSC_TEST_SHIM_H
#define HVKVM_TEST_VMBUSC_TEST_SHIM_H

#include "storvsp_fixture.h"
#include "vmbusc.h"

/* Returns false to drop the packet; may change *p (type, trans_id, len) and buf. */
typedef bool shim_hook_fn(void *ctx, struct vmbusc_packet *p, uint8_t *buf);

struct shim_stats {
	unsigned opens, closes, sends, sends_gpa, recvs;
	uint32_t last_gpa_bytes;
	uint64_t last_gpa;
	unsigned pages_out;	/* alloc_pages less free_pages */
};

extern struct shim_stats shim_stats;

/* The fixture's offers (after guest_connect) in a struct vmbusc, with a clock. */
void shim_bus(struct vmbusc *b);
void shim_set_hook(shim_hook_fn *fn, void *ctx);

#endif
