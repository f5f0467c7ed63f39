/* SPDX-License-Identifier: MIT */
/* cdrom.eject and cdrom.insert: the medium of the CD/DVD drive (--cdrom). */
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "storvsp.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct json_object *mgmt_cdrom_json(struct machine *m)
{
	struct json_object *d;
	struct scsi_cd_state st = { 0 };

	if (!m->cdrom.present)
		return NULL;
	if (m->storvsp[m->cdrom.controller])
		storvsp_cd_state(m->storvsp[m->cdrom.controller], m->cdrom.lun, &st);
	d = json_object_new_object();
	json_object_object_add(d, "controller", json_object_new_int((int)m->cdrom.controller));
	json_object_object_add(d, "lun", json_object_new_int((int)m->cdrom.lun));
	json_object_object_add(d, "medium", m->cdrom.path ? json_object_new_string(m->cdrom.path) : NULL);
	json_object_object_add(d, "size_bytes", json_object_new_int64((int64_t)m->cdrom.size));
	json_object_object_add(d, "tray_open", json_object_new_boolean(st.tray_open));
	json_object_object_add(d, "locked", json_object_new_boolean(st.locked));
	return d;
}

static int errno_code(int r)
{
	switch (r) {
	case -EBUSY: return MGMT_ERR_BUSY;
	case -ENODEV: return MGMT_ERR_NO_DEVICE;
	default: return MGMT_ERR_FAILED;
	}
}

static void cdrom_change(struct mgmt_call *call, struct machine *m, const char *path, bool force)
{
	struct json_object *data;
	char err[512];
	int r;

	if (!mgmt_vm_alive(call, m->vm))
		return;
	r = machine_cdrom_change(m, path, force, err, sizeof(err));
	if (r < 0) {
		data = mgmt_errno_data(r);
		if (path)
			json_object_object_add(data, "path", json_object_new_string(path));
		if (path && r != -EBUSY && r != -ENODEV)
			mgmt_error(call, MGMT_ERR_FAILED, data, "cdrom.insert: %s: %s", path, err);
		else
			mgmt_error(call, errno_code(r), data, "%s: %s", path ? "cdrom.insert" : "cdrom.eject", err);
		return;
	}
	mgmt_reply(call, mgmt_cdrom_json(m));
}

static void cdrom_eject(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "force", NULL };
	struct jsonrpc_error e;
	bool force = false;

	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_bool(params, "force", false, &force, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	cdrom_change(call, opaque, NULL, force);
}

static void cdrom_insert(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "path", "force", NULL };
	struct jsonrpc_error e;
	const char *path = NULL;
	bool force = false;

	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_string(params, "path", true, CONFIG_PATH_MAX, &path, &e) < 0 ||
	    jsonrpc_param_bool(params, "force", false, &force, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (!*path) {
		mgmt_param_keeps(call, "path", "a path of an ISO image");
		return;
	}
	cdrom_change(call, opaque, path, force);
}

int mgmt_cdrom_methods_register(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "cdrom.eject", cdrom_eject },
		{ "cdrom.insert", cdrom_insert },
	};

	return MGMT_REGISTER_TABLE(m, methods, machine);
}
