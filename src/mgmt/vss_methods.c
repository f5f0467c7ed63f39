/* SPDX-License-Identifier: MIT */
/*
 * guest.freeze, guest.thaw and guest.fsfreeze_status: the guest's file systems frozen
 * for a consistent snapshot of its disks, over the VSS ("Backup") integration
 * component, and the fsfreeze event at each change.
 *
 * guest.freeze answers once the guest has frozen (or failed to). A freeze lasts until
 * guest.thaw or until its timeout_s runs out, when the IC thaws the guest by itself; it
 * does not end with the connection that asked for it, as `hvkvm ctl` connects once per
 * call and a backup tool freezes, snapshots and thaws in separate calls. The timeout is
 * what guarantees the thaw when the caller never comes back.
 */
#include "ic.h"
#include "jsonrpc.h"
#include "log.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FREEZE_DEFAULT_S	60
#define FREEZE_MAX_S		3600

struct vss_call {
	struct mgmt_vss *mv;
	struct mgmt_call *call;
	bool freeze;
	struct vss_call *prev, *next;
};

struct mgmt_vss {
	struct mgmt *mgmt;
	struct machine *machine;
	struct vss_call *calls;
};

static void vc_free(struct vss_call *vc)
{
	if (vc->prev)
		vc->prev->next = vc->next;
	else
		vc->mv->calls = vc->next;
	if (vc->next)
		vc->next->prev = vc->prev;
	free(vc);
}

static void vc_cancel(struct mgmt_call *call, void *opaque)
{
	struct vss_call *vc = opaque;

	(void)call;
	/* The freeze or thaw goes on; only its answer has nobody to go to. */
	ic_cancel(vc->mv->machine->ic_vss, vc);
	vc_free(vc);
}

/* The state as guest.fsfreeze_status and the methods' results show it. */
static struct json_object *state_json(struct ic *ic)
{
	struct json_object *r = json_object_new_object();
	enum ic_vss_state st;
	uint64_t left;
	struct ic_status s;

	st = ic_vss_get_state(ic, &left);
	ic_get_status(ic, &s);
	json_object_object_add(r, "state", json_object_new_string(ic_vss_state_name(st)));
	json_object_object_add(r, "thaw_in_ms",
			       st == IC_VSS_FROZEN ? json_object_new_uint64((left + 999999) / 1000000) : NULL);
	json_object_object_add(r, "open", json_object_new_boolean(s.open));
	json_object_object_add(r, "negotiated", json_object_new_boolean(s.negotiated));
	return r;
}

static void vss_answer(void *opaque, int err, uint32_t status)
{
	struct vss_call *vc = opaque;
	struct mgmt_call *call = vc->call;
	struct ic *ic = vc->mv->machine->ic_vss;
	bool freeze = vc->freeze;
	const char *what = freeze ? "freeze" : "thaw";
	struct json_object *d;

	vc_free(vc);
	switch (err) {
	case 0:
		if (status == IC_HV_S_OK) {
			mgmt_reply(call, state_json(ic));
			return;
		}
		d = json_object_new_object();
		json_object_object_add(d, "status", mgmt_hresult(status));
		mgmt_error(call, MGMT_ERR_FAILED, d, "the guest could not %s its file systems (status 0x%08x%s)", what,
			   status, status == IC_HV_E_FAIL ? ": E_FAIL; is hv_vss_daemon running?" : "");
		return;
	case -ETIMEDOUT:
		mgmt_error(call, MGMT_ERR_TIMEOUT, NULL, "the guest did not %s its file systems in time%s", what,
			   freeze ? "; hvkvm asked it to thaw" : "");
		return;
	case -EPIPE:
	case -ECANCELED:
		mgmt_error(call, MGMT_ERR_CANCELLED, NULL,
			   "the guest's VSS channel closed before it answered (driver unloaded or VM reset)");
		return;
	default:
		d = json_object_new_object();
		json_object_object_add(d, "errno", json_object_new_int(-err));
		mgmt_error(call, MGMT_ERR_FAILED, d, "the guest's answer to the %s was unusable: %s", what,
			   err == -EPROTO ? "malformed" : strerror(-err));
		return;
	}
}

static struct vss_call *vc_new(struct mgmt_vss *mv, struct mgmt_call *call, bool freeze)
{
	struct vss_call *vc = calloc(1, sizeof(*vc));

	if (!vc) {
		mgmt_error(call, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return NULL;
	}
	vc->mv = mv;
	vc->call = call;
	vc->freeze = freeze;
	vc->next = mv->calls;
	if (mv->calls)
		mv->calls->prev = vc;
	mv->calls = vc;
	return vc;
}

/* Why the guest's VSS cannot be asked, as an error to call; false if it can. */
static bool vss_unavailable(struct mgmt_call *call, struct machine *m)
{
	return mgmt_ic_unavailable(call, m, m->ic_vss, "vss", "VSS",
				   "the guest's VSS driver has not answered the version negotiation yet");
}

static void submit_failed(struct mgmt_call *call, struct machine *m, int r)
{
	struct json_object *d;

	switch (r) {
	case -ENODEV:
		if (vss_unavailable(call, m))
			return;
		break;
	case -EALREADY:
		mgmt_error(call, MGMT_ERR_VM_STATE, jsonrpc_data("state", "frozen"),
			   "the guest's file systems are frozen already: guest.thaw first");
		return;
	case -EBUSY:
		mgmt_error(call, MGMT_ERR_BUSY,
			   jsonrpc_data("state", ic_vss_state_name(ic_vss_get_state(m->ic_vss, NULL))), "a freeze or thaw of the guest's file systems is under way");
		return;
	}
	d = json_object_new_object();
	json_object_object_add(d, "errno", json_object_new_int(-r));
	mgmt_error(call, MGMT_ERR_FAILED, d, "cannot send the VSS request: %s", strerror(-r));
}

static void guest_freeze_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "timeout_s", NULL };
	struct mgmt_vss *mv = opaque;
	struct jsonrpc_error e;
	struct vss_call *vc;
	int64_t timeout;
	int r;

	if (!mgmt_params_ok(call, params, known))
		return;
	timeout = FREEZE_DEFAULT_S;
	if (jsonrpc_param_int(params, "timeout_s", false, 1, FREEZE_MAX_S, &timeout, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (vss_unavailable(call, mv->machine) || !(vc = vc_new(mv, call, true)))
		return;
	r = ic_vss_freeze(mv->machine->ic_vss, (uint64_t)timeout * 1000000000ull, vss_answer, vc);
	if (r < 0) {
		vc_free(vc);
		submit_failed(call, mv->machine, r);
		return;
	}
	mgmt_call_set_cancel(call, vc_cancel, vc);
	log_info("api socket: client %u freezes the guest's file systems for at most %lld s", mgmt_call_client(call),
		 (long long)timeout);
}

static void guest_thaw_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { NULL };
	struct mgmt_vss *mv = opaque;
	struct vss_call *vc;
	int r;

	if (!mgmt_params_ok(call, params, known) || vss_unavailable(call, mv->machine) || !(vc = vc_new(mv, call, false)))
		return;
	r = ic_vss_thaw(mv->machine->ic_vss, vss_answer, vc);
	if (r < 0) {
		vc_free(vc);
		submit_failed(call, mv->machine, r);
		return;
	}
	mgmt_call_set_cancel(call, vc_cancel, vc);
	log_info("api socket: client %u thaws the guest's file systems", mgmt_call_client(call));
}

static void guest_fsfreeze_status_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { NULL };
	struct mgmt_vss *mv = opaque;

	if (!mgmt_params_ok(call, params, known))
		return;
	if (!mv->machine->ic_vss) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", "vss"),
			   "no VSS integration component (VMBus is off)");
		return;
	}
	mgmt_reply(call, state_json(mv->machine->ic_vss));
}

static void on_vss(void *opaque, enum ic_vss_state state, enum ic_vss_state prev, const char *reason)
{
	struct mgmt_vss *mv = opaque;
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "state", json_object_new_string(ic_vss_state_name(state)));
	json_object_object_add(f, "previous", json_object_new_string(ic_vss_state_name(prev)));
	json_object_object_add(f, "reason", json_object_new_string(reason));
	mgmt_emit(mv->mgmt, "fsfreeze", f);
}

struct mgmt_vss *mgmt_vss_methods_new(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "guest.freeze", guest_freeze_m },
		{ "guest.thaw", guest_thaw_m },
		{ "guest.fsfreeze_status", guest_fsfreeze_status_m },
	};
	struct mgmt_vss *mv = calloc(1, sizeof(*mv));

	if (!mv)
		return NULL;
	mv->mgmt = m;
	mv->machine = machine;
	if (MGMT_REGISTER_TABLE(m, methods, mv) < 0) {
		free(mv);
		return NULL;
	}
	if (machine->ic_vss)
		ic_vss_set_notify(machine->ic_vss, on_vss, mv);
	return mv;
}

void mgmt_vss_methods_free(struct mgmt_vss *mv)
{
	if (!mv)
		return;
	if (mv->machine->ic_vss)
		ic_vss_set_notify(mv->machine->ic_vss, NULL, NULL);
	while (mv->calls) {
		struct vss_call *vc = mv->calls;
		struct mgmt_call *call = vc->call;

		ic_cancel(mv->machine->ic_vss, vc);
		vc_free(vc);
		mgmt_error(call, MGMT_ERR_CANCELLED, NULL, "hvkvm is exiting");
	}
	free(mv);
}
