/* SPDX-License-Identifier: MIT */
/*
 * The whole machine: the VM, the PC board, the Hyper-V partition, VMBus and its
 * devices. This is where the layers are put together; each of them knows only the
 * ones below it.
 */
#ifndef HVKVM_MACHINE_H
#define HVKVM_MACHINE_H

#include <stdio.h>

#include "config.h"
#include "pc.h"

struct vm;
struct hv;
struct vmbus;
struct ic;
struct storvsp;
struct netvsp;

struct machine {
	struct vm *vm;
	struct pc pc;
	struct hv *hv;			/* NULL with --hv off */
	struct vmbus *vmbus;		/* NULL without the SynIC */
	struct ic *ic_shutdown, *ic_heartbeat, *ic_timesync;
	struct storvsp *storvsp[CONFIG_MAX_CONTROLLERS];
	struct netvsp **netvsp;		/* one per --net */
	unsigned nnets;
};

/* Build everything; returns 0 or a vm_exit_code after saying why. */
int machine_create(struct machine *m, const struct vm_config *cfg);
/* Boot and run until the machine stops; returns the process exit status. */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);

/* Ask the guest to shut down: the shutdown IC if the guest has one, and the ACPI
 * power button. */
void machine_request_shutdown(struct machine *m);
void machine_print_stats(struct machine *m, FILE *out);

#endif
