/* SPDX-License-Identifier: MIT */
#include "methods.h"
#include "hv.h"
#include "ic.h"
#include "log.h"
#include "loop.h"
#include "netvsp.h"
#include "machine.h"
#include "mgmt.h"
#include "storvsp.h"
#include "vm.h"
#include "vmbus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef HVKVM_VERSION
#define HVKVM_VERSION "0.0.0"
#endif

#define SHUTDOWN_DEFAULT_S	30
#define SHUTDOWN_MAX_S		3600

/* A vm.shutdown waiting for the guest to power off. */
struct shutdown_wait {
	struct mgmt_methods *mm;
	struct mgmt_call *call;
	struct loop_timer *timer;
	unsigned timeout_s;
	struct shutdown_wait *next;
};

struct mgmt_methods {
	struct mgmt *mgmt;
	struct machine *machine;
	struct shutdown_wait *waits;
	enum ic_heartbeat_state hb_last;
	struct mgmt_guest *guest;
	struct mgmt_fcopy *fcopy;
	struct mgmt_vss *vss;
};

static struct json_object *hex64(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%016llx", (unsigned long long)v);
	return json_object_new_string(s);
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static const char *exit_reason(int code)
{
	switch (code) {
	case VM_EXIT_POWEROFF: return "poweroff";
	case VM_EXIT_REBOOT: return "reboot";
	case VM_EXIT_GUEST_FAULT: return "fault";
	case VM_EXIT_GUEST_CRASH: return "crash";
	case VM_EXIT_HOST_STOP: return "host-stop";
	default: return "error";
	}
}

static const char *heartbeat_name(enum ic_heartbeat_state s)
{
	switch (s) {
	case IC_HEARTBEAT_ALIVE: return "alive";
	case IC_HEARTBEAT_LOST: return "lost";
	default: return "none";
	}
}

bool mgmt_params_ok(struct mgmt_call *call, struct json_object *params, const char *const *known)
{
	struct jsonrpc_error e;

	if (jsonrpc_params_check(params, known, &e) == 0)
		return true;
	mgmt_fail(call, &e);
	return false;
}

struct json_object *mgmt_hresult(uint32_t status)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%08x", status);
	return json_object_new_string(s);
}

struct json_object *mgmt_errno_data(int r)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "errno", json_object_new_int(-r));
	return d;
}

bool mgmt_ic_unavailable(struct mgmt_call *call, struct machine *m, struct ic *ic, const char *name,
			 const char *label, const char *not_answering)
{
	struct ic_status st;

	if (!mgmt_vm_alive(call, m->vm))
		return true;
	if (vm_get_state(m->vm) == VM_STATE_PAUSED) {
		mgmt_error(call, MGMT_ERR_VM_STATE, jsonrpc_data("state", "paused"),
			   "the VM is paused: resume it first, a paused guest cannot answer");
		return true;
	}
	if (!ic) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", name),
			   "no %s integration component (VMBus is off)", label);
		return true;
	}
	ic_get_status(ic, &st);
	if (st.negotiated)
		return false;
	if (!st.open)
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", name),
			   "the guest has no driver on its %s integration component (hv_utils not loaded?)", label);
	else if (!st.answered)
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", name), "%s", not_answering);
	else
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", name),
			   "the guest accepted none of the %s versions offered", label);
	return true;
}

static const char *const no_params[] = { NULL };

bool mgmt_vm_alive(struct mgmt_call *call, struct vm *vm)
{
	const char *state;

	if (vm_get_state(vm) != VM_STATE_CREATED && vm_get_state(vm) != VM_STATE_STOPPED && !vm_is_stopping(vm))
		return true;
	state = vm_is_stopping(vm) ? "stopping" : vm_state_name(vm_get_state(vm));
	mgmt_error(call, MGMT_ERR_VM_STATE, jsonrpc_data("state", state), "the VM is %s", state);
	return false;
}

bool mgmt_param_keeps(struct mgmt_call *call, const char *key, const char *broken)
{
	if (!broken)
		return true;
	mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key), "Invalid params: \"%s\" must be %s",
		   key, broken);
	return false;
}

static struct json_object *state_result(struct vm *vm)
{
	struct json_object *r = json_object_new_object();

	add(r, "state", json_object_new_string(vm_state_name(vm_get_state(vm))));
	return r;
}

/* ---- vm.info ------------------------------------------------------------------------- */

static struct json_object *pc_device(const char *kind, const char *id, unsigned port, unsigned irq)
{
	struct json_object *d = json_object_new_object();

	add(d, "kind", json_object_new_string(kind));
	add(d, "id", json_object_new_string(id));
	add(d, "port", json_object_new_int((int)port));
	add(d, "irq", json_object_new_int((int)irq));
	return d;
}

struct json_object *mgmt_vmbus_device(const char *kind, const char *id, const char *class_id,
				      const char *instance_id, bool open)
{
	struct json_object *d = json_object_new_object();

	add(d, "kind", json_object_new_string(kind));
	add(d, "id", json_object_new_string(id));
	add(d, "class_id", json_object_new_string(class_id));
	add(d, "instance_id", json_object_new_string(instance_id));
	add(d, "open", json_object_new_boolean(open));
	return d;
}

static struct json_object *ic_device(const char *id, const struct ic *ic)
{
	struct json_object *d;
	struct ic_status st;
	char v[16];

	ic_get_status(ic, &st);
	snprintf(v, sizeof(v), "%u.%u", st.major, st.minor);
	d = mgmt_vmbus_device("ic", id, st.class_id, st.instance_id, st.open);
	add(d, "negotiated", json_object_new_boolean(st.negotiated));
	add(d, "version", st.negotiated ? json_object_new_string(v) : NULL);
	add(d, "answered", json_object_new_boolean(st.answered));
	return d;
}

static struct json_object *scsi_device(struct machine *m, unsigned ctl)
{
	struct json_object *d = json_object_new_object(), *disks = json_object_new_array();
	struct storvsp_stats st;
	char id[16];

	storvsp_get_stats(m->storvsp[ctl], &st);
	snprintf(id, sizeof(id), "scsi%u", ctl);
	add(d, "kind", json_object_new_string("scsi"));
	add(d, "id", json_object_new_string(id));
	add(d, "controller", json_object_new_int((int)ctl));
	add(d, "protocol", st.version ? json_object_new_int(st.version) : NULL);
	for (unsigned lun = 0; lun < CONFIG_MAX_LUNS; lun++) {
		const struct machine_disk *md = &m->disks[ctl][lun];
		struct json_object *k;

		if (!md->path)
			continue;
		k = json_object_new_object();
		add(k, "lun", json_object_new_int((int)lun));
		add(k, "path", json_object_new_string(md->path));
		add(k, "serial", json_object_new_string(md->serial));
		add(k, "readonly", json_object_new_boolean(md->readonly));
		add(k, "cache", json_object_new_string(md->cache == DISK_CACHE_NONE ? "none" : "writeback"));
		add(k, "format", json_object_new_string(config_disk_format_name(md->format)));
		add(k, "subformat", md->subformat ? json_object_new_string(md->subformat) : NULL);
		add(k, "size_bytes", json_object_new_int64((int64_t)md->size));
		if (md->parent)
			add(k, "parent", json_object_new_string(md->parent));
		json_object_array_add(disks, k);
	}
	add(d, "disks", disks);
	if (m->cdrom.present && m->cdrom.controller == ctl)
		add(d, "cdrom", mgmt_cdrom_json(m));
	return d;
}

static struct json_object *net_device(const struct machine_net *n)
{
	struct json_object *d = mgmt_net_json(n);
	struct netvsp_stats st;

	netvsp_get_stats(n->dev, &st);
	add(d, "kind", json_object_new_string("net"));
	add(d, "tx_packets", json_object_new_int64((int64_t)st.tx_packets));
	add(d, "rx_packets", json_object_new_int64((int64_t)st.rx_packets));
	return d;
}

static struct json_object *hyperv_info(struct machine *m)
{
	const struct hv_features *f = &m->cfg->hv;
	struct json_object *h, *feats;
	char buf[256], *tok, *save = NULL;
	uint32_t ver;

	if (!m->hv)
		return NULL;
	h = json_object_new_object();
	feats = json_object_new_array();
	hv_features_describe(f, buf, sizeof(buf));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_object_array_add(feats, json_object_new_string(tok));
	add(h, "features", feats);
	add(h, "vendor", json_object_new_string(f->vendor));
	add(h, "spinlock_retries", u64(f->spinlock_retries));
	ver = m->vmbus ? vmbus_version(m->vmbus) : 0;
	if (ver) {
		snprintf(buf, sizeof(buf), "%u.%u", ver >> 16, ver & 0xffff);
		add(h, "vmbus_version", json_object_new_string(buf));
	} else {
		add(h, "vmbus_version", NULL);
	}
	return h;
}

static void vm_info(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	struct mgmt_methods *mm = opaque;
	struct machine *m = mm->machine;
	struct vm *vm = m->vm;
	struct json_object *r, *devs;
	uint64_t now = loop_now_ns();

	if (!mgmt_params_ok(call, params, no_params))
		return;
	r = json_object_new_object();
	add(r, "version", json_object_new_string(HVKVM_VERSION));
	add(r, "pid", json_object_new_int((int)getpid()));
	add(r, "state", json_object_new_string(vm_state_name(vm_get_state(vm))));
	add(r, "boots", json_object_new_int((int)vm_boots(vm)));
	add(r, "uptime_ms", u64(vm_started_ns(vm) ? (now - vm_started_ns(vm)) / 1000000 : 0));
	add(r, "boot_uptime_ms", u64(vm_boot_ns(vm) ? (now - vm_boot_ns(vm)) / 1000000 : 0));
	add(r, "vcpus", json_object_new_int((int)vm_vcpu_count(vm)));
	add(r, "memory_bytes", u64(vm_memory_size(vm)));
	add(r, "hyperv", hyperv_info(m));
	add(r, "vnc", mgmt_screen_vnc(m));
	devs = json_object_new_array();
	if (m->pc.uart)
		json_object_array_add(devs, pc_device("serial", "com1", PC_COM1_PORT, PC_COM1_IRQ));
	if (m->pc.rtc)
		json_object_array_add(devs, pc_device("rtc", "rtc", PC_RTC_PORT, PC_RTC_IRQ));
	if (m->pc.pm)
		json_object_array_add(devs, pc_device("acpi-pm", "pm", PC_PM_BASE, PC_SCI_IRQ));
	if (m->ic_shutdown)
		json_object_array_add(devs, ic_device("shutdown", m->ic_shutdown));
	if (m->ic_heartbeat)
		json_object_array_add(devs, ic_device("heartbeat", m->ic_heartbeat));
	if (m->ic_timesync)
		json_object_array_add(devs, ic_device("timesync", m->ic_timesync));
	if (m->ic_kvp)
		json_object_array_add(devs, ic_device("kvp", m->ic_kvp));
	if (m->ic_fcopy)
		json_object_array_add(devs, ic_device("fcopy", m->ic_fcopy));
	if (m->ic_vss)
		json_object_array_add(devs, ic_device("vss", m->ic_vss));
	mgmt_input_devices(m, devs);
	mgmt_screen_devices(m, devs);
	for (unsigned i = 0; i < CONFIG_MAX_CONTROLLERS; i++)
		if (m->storvsp[i])
			json_object_array_add(devs, scsi_device(m, i));
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++)
		if (m->nets[i].dev)
			json_object_array_add(devs, net_device(&m->nets[i]));
	add(r, "devices", devs);
	mgmt_reply(call, r);
}

/* ---- life: pause, resume, shutdown, poweroff, reset -------------------------------------- */

static void vm_pause_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	struct mgmt_methods *mm = opaque;
	struct vm *vm = mm->machine->vm;

	if (!mgmt_params_ok(call, params, no_params) || !mgmt_vm_alive(call, vm))
		return;
	if (vm_pause(vm) < 0) {
		mgmt_error(call, MGMT_ERR_VM_STATE, jsonrpc_data("state", vm_state_name(vm_get_state(vm))), "the VM is %s",
			   vm_state_name(vm_get_state(vm)));
		return;
	}
	mgmt_reply(call, state_result(vm));
}

static void vm_resume_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	struct mgmt_methods *mm = opaque;
	struct vm *vm = mm->machine->vm;
	int r;

	if (!mgmt_params_ok(call, params, no_params) || !mgmt_vm_alive(call, vm))
		return;
	r = vm_resume(vm);
	if (r == -ESRCH) {
		mgmt_error(call, MGMT_ERR_VM_STATE, jsonrpc_data("state", vm_state_name(vm_get_state(vm))), "the VM is %s",
			   vm_state_name(vm_get_state(vm)));
		return;
	}
	if (r < 0) {
		struct json_object *d = json_object_new_object();

		add(d, "errno", json_object_new_int(-r));
		mgmt_error(call, MGMT_ERR_FAILED, d, "cannot start the vCPUs again: %s", strerror(-r));
		return;
	}
	mgmt_reply(call, state_result(vm));
}

static void shutdown_wait_free(struct shutdown_wait *w)
{
	struct shutdown_wait **pp;

	for (pp = &w->mm->waits; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	loop_timer_free(w->timer);
	free(w);
}

static void shutdown_timeout(void *opaque)
{
	struct shutdown_wait *w = opaque;
	struct json_object *d = json_object_new_object();
	struct mgmt_call *call = w->call;
	unsigned timeout = w->timeout_s;

	add(d, "timeout_s", json_object_new_int((int)timeout));
	shutdown_wait_free(w);
	mgmt_error(call, MGMT_ERR_TIMEOUT, d, "the guest did not power off within %u s", timeout);
}

static void shutdown_cancel(struct mgmt_call *call, void *opaque)
{
	(void)call;
	shutdown_wait_free(opaque);
}

/* The VM stopped or reset: every vm.shutdown waiting learns how. */
static void shutdown_waits_done(struct mgmt_methods *mm, bool reset)
{
	struct vm *vm = mm->machine->vm;

	while (mm->waits) {
		struct shutdown_wait *w = mm->waits;
		struct mgmt_call *call = w->call;

		shutdown_wait_free(w);
		if (reset) {
			mgmt_error(call, MGMT_ERR_CANCELLED, NULL, "the guest restarted instead of powering off");
		} else {
			struct json_object *r = state_result(vm);

			add(r, "reason", json_object_new_string(exit_reason(vm_exit_code(vm))));
			add(r, "exit_code", json_object_new_int(vm_exit_code(vm)));
			mgmt_reply(call, r);
		}
	}
}

static void vm_shutdown_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "timeout_s", NULL };
	struct mgmt_methods *mm = opaque;
	struct machine *m = mm->machine;
	struct vm *vm = m->vm;
	struct shutdown_wait *w;
	struct jsonrpc_error e;
	struct ic_status st;
	int64_t timeout = SHUTDOWN_DEFAULT_S;

	if (!mgmt_params_ok(call, params, known))
		return;
	if (jsonrpc_param_int(params, "timeout_s", false, 1, SHUTDOWN_MAX_S, &timeout, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (!mgmt_vm_alive(call, vm))
		return;
	if (vm_get_state(vm) == VM_STATE_PAUSED) {
		mgmt_error(call, MGMT_ERR_VM_STATE, jsonrpc_data("state", "paused"),
			   "the VM is paused: resume it first, a paused guest cannot shut down");
		return;
	}
	if (m->ic_shutdown)
		ic_get_status(m->ic_shutdown, &st);
	if (!m->ic_shutdown || !st.negotiated) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", "shutdown"),
			   "the guest has no shutdown integration component connected (%s)",
			   !m->ic_shutdown ? "VMBus is off" : "no driver on it, e.g. hv_utils not loaded");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->timer = loop_timer_new(vm_loop(vm), shutdown_timeout, w))) {
		free(w);
		mgmt_error(call, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return;
	}
	w->mm = mm;
	w->call = call;
	w->timeout_s = (unsigned)timeout;
	w->next = mm->waits;
	mm->waits = w;
	loop_timer_arm(w->timer, (uint64_t)timeout * 1000000000ull, 0);
	mgmt_call_set_cancel(call, shutdown_cancel, w);
	log_info("api socket: client %u asks the guest to shut down (waiting %u s)", mgmt_call_client(call),
		 w->timeout_s);
	ic_shutdown_request(m->ic_shutdown, false);
	vm_note_shutdown(vm);
}

static void request_m(struct mgmt_call *call, struct json_object *params, struct mgmt_methods *mm,
		      enum vm_request req, const char *what)
{
	struct vm *vm = mm->machine->vm;

	if (!mgmt_params_ok(call, params, no_params) || !mgmt_vm_alive(call, vm))
		return;
	log_info("api socket: client %u: %s", mgmt_call_client(call), what);
	/* Answer first: the request is handled on this thread after we return. */
	mgmt_reply(call, json_object_new_object());
	vm_request(vm, req);
}

static void vm_poweroff_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	request_m(call, params, opaque, VM_REQ_STOP, "power off");
}

static void vm_reset_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	request_m(call, params, opaque, VM_REQ_HOST_RESET, "reset");
}

/* ---- vm.stats, guest.heartbeat ------------------------------------------------------------ */

/* Counters by key; index first when it is one vCPU's (-1: the totals). */
static struct json_object *vcpu_counters(int index, const uint64_t *v)
{
	struct json_object *o = json_object_new_object();

	if (index >= 0)
		add(o, "index", json_object_new_int(index));
	for (unsigned k = 0; k < VCPU_STAT_COUNT; k++)
		add(o, vcpu_stat_key((enum vcpu_stat)k), u64(v[k]));
	return o;
}

static void msr_stat(void *opaque, uint32_t msr, const char *name, uint64_t reads, uint64_t writes)
{
	struct json_object *o = json_object_new_object();
	char s[16];

	snprintf(s, sizeof(s), "0x%08x", msr);
	add(o, "msr", json_object_new_string(s));
	add(o, "name", json_object_new_string(name));
	add(o, "reads", u64(reads));
	add(o, "writes", u64(writes));
	json_object_array_add(opaque, o);
}

static void hcall_stat(void *opaque, unsigned code, const char *name, uint64_t count)
{
	struct json_object *o = json_object_new_object();
	char s[8];

	snprintf(s, sizeof(s), "0x%04x", code);
	add(o, "code", json_object_new_string(s));
	add(o, "name", json_object_new_string(name));
	add(o, "count", u64(count));
	json_object_array_add(opaque, o);
}

static struct json_object *hyperv_stats(struct hv *hv)
{
	struct json_object *h = json_object_new_object(), *msrs = json_object_new_array(),
			   *calls = json_object_new_array(), *syn = json_object_new_object();
	struct hv_stats s;

	hv_get_stats(hv, &s);
	hv_foreach_msr_stat(hv, msr_stat, msrs);
	hv_foreach_hcall_stat(hv, hcall_stat, calls);
	add(h, "msrs", msrs);
	add(h, "hypercalls", calls);
	add(h, "hypercalls_other", u64(s.hcalls_other));
	add(h, "hypercalls_failed", u64(s.hcall_errors));
	add(syn, "messages", u64(s.synic.messages));
	add(syn, "event_flags", u64(s.synic.events));
	add(syn, "interrupts", u64(s.synic.interrupts));
	add(syn, "eoms", u64(s.synic.eoms));
	add(syn, "queue_full", u64(s.synic.queue_full));
	add(h, "synic", syn);
	add(h, "stimer_expirations", u64(s.stimer_expirations));
	return h;
}

static void chan_stat(void *opaque, const struct vmbus_chan_stats *st)
{
	struct json_object *o = json_object_new_object();

	add(o, "relid", json_object_new_int((int)st->relid));
	add(o, "name", json_object_new_string(st->name));
	add(o, "packets_in", u64(st->pkts_in));
	add(o, "packets_out", u64(st->pkts_out));
	add(o, "signals_in", u64(st->signals_in));
	add(o, "signals_out", u64(st->signals_out));
	json_object_array_add(opaque, o);
}

static void vm_stats_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	struct mgmt_methods *mm = opaque;
	struct machine *m = mm->machine;
	struct vm *vm = m->vm;
	struct json_object *r, *vcpus = json_object_new_array(), *storage = json_object_new_array(), *chans;
	uint64_t v[VCPU_STAT_COUNT];

	if (!mgmt_params_ok(call, params, no_params)) {
		json_object_put(vcpus);
		json_object_put(storage);
		return;
	}
	r = json_object_new_object();
	add(r, "boots", json_object_new_int((int)vm_boots(vm)));
	for (unsigned i = 0; i < vm_vcpu_count(vm); i++) {
		for (unsigned k = 0; k < VCPU_STAT_COUNT; k++)
			v[k] = vm_vcpu_stat(vm, i, (enum vcpu_stat)k);
		json_object_array_add(vcpus, vcpu_counters((int)i, v));
	}
	add(r, "vcpus", vcpus);
	vm_get_stats(vm, v);
	add(r, "totals", vcpu_counters(-1, v));
	add(r, "hyperv", m->hv ? hyperv_stats(m->hv) : NULL);
	for (unsigned i = 0; i < CONFIG_MAX_CONTROLLERS; i++) {
		struct storvsp_stats st;
		struct json_object *o;

		if (!m->storvsp[i])
			continue;
		storvsp_get_stats(m->storvsp[i], &st);
		o = json_object_new_object();
		add(o, "controller", json_object_new_int((int)i));
		add(o, "luns", json_object_new_int((int)st.luns));
		add(o, "requests", u64(st.requests));
		add(o, "errors", u64(st.errors));
		add(o, "malformed", u64(st.malformed));
		add(o, "bytes_read", u64(st.bytes_read));
		add(o, "bytes_written", u64(st.bytes_written));
		json_object_array_add(storage, o);
	}
	add(r, "storage", storage);
	chans = json_object_new_array();
	if (m->vmbus)
		vmbus_foreach_chan_stats(m->vmbus, chan_stat, chans);
	add(r, "channels", chans);
	mgmt_reply(call, r);
}

static void guest_heartbeat_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	struct mgmt_methods *mm = opaque;
	struct ic *ic = mm->machine->ic_heartbeat;
	struct json_object *r;
	struct ic_status st;
	uint64_t seq, last;
	enum ic_heartbeat_state hs;

	if (!mgmt_params_ok(call, params, no_params))
		return;
	if (!ic) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", "heartbeat"),
			   "no heartbeat integration component (VMBus is off)");
		return;
	}
	ic_get_status(ic, &st);
	hs = ic_heartbeat_state(ic, &seq);
	last = ic_heartbeat_last_ns(ic);
	r = json_object_new_object();
	add(r, "state", json_object_new_string(heartbeat_name(hs)));
	add(r, "seq", u64(seq));
	add(r, "last_ms_ago", last ? u64((loop_now_ns() - last) / 1000000) : NULL);
	add(r, "open", json_object_new_boolean(st.open));
	add(r, "negotiated", json_object_new_boolean(st.negotiated));
	mgmt_reply(call, r);
}

/* ---- events ------------------------------------------------------------------------------- */

static void on_vm_event(struct vm *vm, enum vm_event ev, enum vm_state prev, void *opaque)
{
	struct mgmt_methods *mm = opaque;
	struct json_object *f = json_object_new_object();

	if (ev == VM_EVENT_RESET) {
		shutdown_waits_done(mm, true);
		add(f, "boot", json_object_new_int((int)vm_boots(vm) + 1));
		mgmt_emit(mm->mgmt, "reset", f);
		return;
	}
	if (vm_get_state(vm) == VM_STATE_STOPPED)
		shutdown_waits_done(mm, false);
	add(f, "state", json_object_new_string(vm_state_name(vm_get_state(vm))));
	add(f, "previous", json_object_new_string(vm_state_name(prev)));
	if (vm_get_state(vm) == VM_STATE_STOPPED) {
		add(f, "reason", json_object_new_string(exit_reason(vm_exit_code(vm))));
		add(f, "exit_code", json_object_new_int(vm_exit_code(vm)));
	}
	mgmt_emit(mm->mgmt, "state", f);
}

/* On the vCPU thread that wrote CRASH_CTL: mgmt_emit() queues it to the loop. */
static void on_crash(void *opaque, uint64_t ctl, const uint64_t p[5], const char *message)
{
	struct mgmt_methods *mm = opaque;
	struct json_object *f = json_object_new_object();
	char key[4];

	add(f, "ctl", hex64(ctl));
	for (unsigned i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "p%u", i);
		add(f, key, hex64(p[i]));
	}
	add(f, "message", json_object_new_string(message));
	add(f, "action", json_object_new_string(mm->machine->cfg->on_crash == HV_CRASH_RESET ? "reset" : "exit"));
	mgmt_emit(mm->mgmt, "crash", f);
}

static void on_heartbeat(void *opaque, enum ic_heartbeat_state state, uint64_t seq)
{
	struct mgmt_methods *mm = opaque;
	struct json_object *f = json_object_new_object();

	add(f, "state", json_object_new_string(heartbeat_name(state)));
	add(f, "previous", json_object_new_string(heartbeat_name(mm->hb_last)));
	add(f, "seq", u64(seq));
	mm->hb_last = state;
	mgmt_emit(mm->mgmt, "heartbeat", f);
}

/* ---- registration -------------------------------------------------------------------------- */

struct mgmt_methods *mgmt_methods_new(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "vm.info", vm_info },
		{ "vm.pause", vm_pause_m },
		{ "vm.resume", vm_resume_m },
		{ "vm.shutdown", vm_shutdown_m },
		{ "vm.poweroff", vm_poweroff_m },
		{ "vm.reset", vm_reset_m },
		{ "vm.stats", vm_stats_m },
		{ "guest.heartbeat", guest_heartbeat_m },
	};
	struct mgmt_methods *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	mm->mgmt = m;
	mm->machine = machine;
	if (MGMT_REGISTER_TABLE(m, methods, mm) < 0) {
		free(mm);
		return NULL;
	}
	if (mgmt_disk_methods_register(m, machine) < 0 || mgmt_net_methods_register(m, machine) < 0 ||
	    mgmt_cdrom_methods_register(m, machine) < 0 ||
	    mgmt_input_methods_register(m, machine) < 0 || mgmt_screen_methods_register(m, machine) < 0 ||
	    !(mm->guest = mgmt_guest_methods_new(m, machine)) || !(mm->vss = mgmt_vss_methods_new(m, machine)) ||
	    !(mm->fcopy = mgmt_fcopy_methods_new(m, machine)) ||
	    vm_add_event_hook(machine->vm, on_vm_event, mm) < 0) {
		mgmt_fcopy_methods_free(mm->fcopy);
		mgmt_vss_methods_free(mm->vss);
		mgmt_guest_methods_free(mm->guest);
		free(mm);
		return NULL;
	}
	if (machine->hv)
		hv_set_crash_fn(machine->hv, on_crash, mm);
	if (machine->ic_heartbeat)
		ic_heartbeat_set_notify(machine->ic_heartbeat, on_heartbeat, mm);
	return mm;
}

void mgmt_methods_free(struct mgmt_methods *mm)
{
	if (!mm)
		return;
	vm_del_event_hook(mm->machine->vm, on_vm_event, mm);
	if (mm->machine->hv)
		hv_set_crash_fn(mm->machine->hv, NULL, NULL);
	if (mm->machine->ic_heartbeat)
		ic_heartbeat_set_notify(mm->machine->ic_heartbeat, NULL, NULL);
	while (mm->waits) {
		struct mgmt_call *call = mm->waits->call;

		shutdown_wait_free(mm->waits);
		mgmt_error(call, MGMT_ERR_CANCELLED, NULL, "hvkvm is exiting");
	}
	mgmt_fcopy_methods_free(mm->fcopy);
	mgmt_guest_methods_free(mm->guest);
	mgmt_vss_methods_free(mm->vss);
	free(mm);
}
