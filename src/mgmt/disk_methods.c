/* SPDX-License-Identifier: MIT */
/* disk.add and disk.remove: SCSI disks on a running guest, with --disk's rules. */
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int errno_code(int r)
{
	switch (r) {
	case -EBUSY: return MGMT_ERR_BUSY;
	case -ENODEV: return MGMT_ERR_NO_DEVICE;
	default: return MGMT_ERR_FAILED;
	}
}

static struct json_object *errno_data(int r, const char *path)
{
	struct json_object *d = mgmt_errno_data(r);

	if (path)
		json_object_object_add(d, "path", json_object_new_string(path));
	return d;
}

static void disk_add(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "path", "controller", "lun", "readonly", "cache", "serial", "format",
					     NULL };
	struct machine *m = opaque;
	struct disk_config d = { 0 };
	const char *path = NULL, *cache = NULL, *serial = NULL, *format = NULL;
	int64_t ctl = 0, lun = -1;
	struct jsonrpc_error e;
	struct json_object *res;
	char err[512];
	int r;

	/* The lengths here only bound the text: the settings' rules are --disk's. */
	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_string(params, "path", true, CONFIG_PATH_MAX, &path, &e) < 0 ||
	    jsonrpc_param_int_rule(params, "controller", false, config_rule_disk_controller, &ctl, &e) < 0 ||
	    jsonrpc_param_int_rule(params, "lun", false, config_rule_disk_lun, &lun, &e) < 0 ||
	    jsonrpc_param_bool(params, "readonly", false, &d.readonly, &e) < 0 ||
	    jsonrpc_param_string(params, "cache", false, 256, &cache, &e) < 0 ||
	    jsonrpc_param_string(params, "serial", false, 256, &serial, &e) < 0 ||
	    jsonrpc_param_string(params, "format", false, 256, &format, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if ((cache && !mgmt_param_keeps(call, "cache", config_rule_disk_cache(cache))) ||
	    (serial && !mgmt_param_keeps(call, "serial", config_rule_disk_serial(serial))) ||
	    (format && !mgmt_param_keeps(call, "format", config_rule_disk_format(format))))
		return;
	if (!mgmt_vm_alive(call, m->vm))
		return;
	if (lun < 0) {
		for (lun = 0; lun < CONFIG_MAX_LUNS && machine_lun_taken(m, (unsigned)ctl, (unsigned)lun); lun++)
			;
		if (lun == CONFIG_MAX_LUNS) {
			mgmt_error(call, MGMT_ERR_BUSY, NULL, "controller %lld has no free LUN", (long long)ctl);
			return;
		}
	}
	d.path = (char *)path;
	d.serial = (char *)serial;
	d.cache = cache && !strcmp(cache, "none") ? DISK_CACHE_NONE : DISK_CACHE_WRITEBACK;
	d.format = format ? config_disk_format(format) : DISK_FORMAT_AUTO;
	d.controller = (unsigned)ctl;
	d.lun = (unsigned)lun;
	r = machine_attach_disk(m, &d, err, sizeof(err));
	if (r < 0) {
		mgmt_error(call, errno_code(r), errno_data(r, path), "disk.add: %s: %s", path, err);
		return;
	}
	res = json_object_new_object();
	json_object_object_add(res, "controller", json_object_new_int((int)ctl));
	json_object_object_add(res, "lun", json_object_new_int((int)lun));
	json_object_object_add(res, "serial", json_object_new_string(m->disks[ctl][lun].serial));
	mgmt_reply(call, res);
}

static void disk_remove(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "controller", "lun", NULL };
	struct machine *m = opaque;
	int64_t ctl = 0, lun;
	struct jsonrpc_error e;
	struct json_object *res;
	char err[256];
	int r;

	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_int_rule(params, "controller", false, config_rule_disk_controller, &ctl, &e) < 0 ||
	    jsonrpc_param_int_rule(params, "lun", true, config_rule_disk_lun, &lun, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (!mgmt_vm_alive(call, m->vm))
		return;
	r = machine_detach_disk(m, (unsigned)ctl, (unsigned)lun, err, sizeof(err));
	if (r < 0) {
		mgmt_error(call, r == -ENOENT ? MGMT_ERR_NO_DEVICE : errno_code(r), errno_data(r, NULL), "%s", err);
		return;
	}
	res = json_object_new_object();
	json_object_object_add(res, "controller", json_object_new_int((int)ctl));
	json_object_object_add(res, "lun", json_object_new_int((int)lun));
	mgmt_reply(call, res);
}

int mgmt_disk_methods_register(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "disk.add", disk_add },
		{ "disk.remove", disk_remove },
	};

	return MGMT_REGISTER_TABLE(m, methods, machine);
}
