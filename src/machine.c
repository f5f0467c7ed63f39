/* SPDX-License-Identifier: MIT */
#include "machine.h"
#include "hv.h"
#include "ic.h"
#include "log.h"
#include "vm.h"
#include "vmbus.h"

#include <string.h>

static void machine_vmbus_reset(struct vm *vm, void *opaque)
{
	(void)vm;
	vmbus_reset(opaque);
}

static uint64_t machine_ref_time(void *ctx)
{
	return hv_reference_time(ctx);
}

/* VMBus and its first devices, the integration components. */
static int machine_create_vmbus(struct machine *m)
{
	struct vm *vm = m->vm;

	m->vmbus = vmbus_new(vm->loop, &vm->mem, m->hv, vm->ncpus);
	if (!m->vmbus)
		return -1;
	/* VMBus resets before the partition does, so its last messages are dropped with
	 * the SynIC's state rather than delivered into the next boot. */
	if (pc_add_dsdt_hook(&m->pc, vmbus_dsdt, m->vmbus) < 0 ||
	    vm_add_reset_hook(vm, machine_vmbus_reset, m->vmbus) < 0)
		return -1;
	m->ic_shutdown = ic_shutdown_new(m->vmbus, vm->loop);
	m->ic_heartbeat = ic_heartbeat_new(m->vmbus, vm->loop);
	m->ic_timesync = ic_timesync_new(m->vmbus, vm->loop, machine_ref_time, m->hv);
	return m->ic_shutdown && m->ic_heartbeat && m->ic_timesync ? 0 : -1;
}

int machine_create(struct machine *m, const struct vm_config *cfg)
{
	int code;

	memset(m, 0, sizeof(*m));
	code = vm_create(cfg, &m->vm);
	if (code == 0)
		code = pc_init(&m->pc, m->vm);
	if (code || !cfg->hv.mask)
		return code;
	m->hv = hv_create_for_vm(m->vm);
	if (!m->hv || hv_attach(m->hv, m->vm, cfg->on_crash) < 0) {
		log_error("cannot set up the Hyper-V partition");
		return VM_EXIT_ERROR;
	}
	if (hv_has(&cfg->hv, HV_FEAT_SYNIC) && machine_create_vmbus(m) < 0) {
		log_error("cannot set up VMBus");
		return VM_EXIT_ERROR;
	}
	return 0;
}

int machine_run(struct machine *m)
{
	int code = vm_start(m->vm);

	if (code)
		return code;
	if (loop_run(m->vm->loop) < 0)
		return VM_EXIT_ERROR;
	return m->vm->exit_code;
}

void machine_destroy(struct machine *m)
{
	if (m->vm)
		vm_stop(m->vm);
	/* Devices close their channels through the bus: the bus goes first. */
	vmbus_free(m->vmbus);
	ic_free(m->ic_shutdown);
	ic_free(m->ic_heartbeat);
	ic_free(m->ic_timesync);
	hv_free(m->hv);
	if (m->pc.vm)
		pc_fini(&m->pc);
	vm_destroy(m->vm);
	memset(m, 0, sizeof(*m));
}

void machine_request_shutdown(struct machine *m)
{
	if (m->ic_shutdown && ic_shutdown_request(m->ic_shutdown, false))
		return;
	pc_request_shutdown(&m->pc);
}

void machine_print_stats(struct machine *m, FILE *out)
{
	vm_print_stats(m->vm, out);
	if (m->hv)
		hv_print_stats(m->hv, out);
	if (m->vmbus)
		vmbus_print_stats(m->vmbus, out);
}
