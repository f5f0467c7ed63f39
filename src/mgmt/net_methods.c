/* SPDX-License-Identifier: MIT */
/* net.add, net.remove and net.set_link: network adapters on a running guest, with
 * --net's rules. */
#include "netvsp.h"
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
	case -EBUSY: case -EEXIST: case -ENOSPC: return MGMT_ERR_BUSY;
	case -ENODEV: case -ENOENT: return MGMT_ERR_NO_DEVICE;
	default: return MGMT_ERR_FAILED;
	}
}

struct json_object *mgmt_net_json(const struct machine_net *n)
{
	struct json_object *o = json_object_new_object();
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
		 n->mac[4], n->mac[5]);
	json_object_object_add(o, "id", json_object_new_string(n->id));
	json_object_object_add(o, "tap", json_object_new_string(n->tap));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "mtu", json_object_new_int((int)n->mtu));
	json_object_object_add(o, "link", json_object_new_boolean(netvsp_link(n->dev)));
	return o;
}

static void net_add(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "tap", "mac", "mtu", "id", NULL };
	struct machine *m = opaque;
	struct net_config nc = { .mtu = CONFIG_NET_MTU_DEFAULT };
	const char *tap = NULL, *mac = NULL, *id = NULL;
	int64_t mtu = CONFIG_NET_MTU_DEFAULT;
	struct jsonrpc_error e;
	char err[512];
	int r;

	/* The lengths here only bound the text: the settings' rules are --net's. */
	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_string(params, "tap", true, 256, &tap, &e) < 0 ||
	    jsonrpc_param_string(params, "mac", false, 256, &mac, &e) < 0 ||
	    jsonrpc_param_int_rule(params, "mtu", false, config_rule_net_mtu, &mtu, &e) < 0 ||
	    jsonrpc_param_string(params, "id", false, 256, &id, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (!mgmt_param_keeps(call, "tap", config_rule_net_tap(tap)))
		return;
	if (mac && config_parse_mac(mac, nc.mac) < 0) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("mac"),
			   "Invalid params: \"mac\" must be a unicast address, six hex pairs with ':'");
		return;
	}
	if (id && !mgmt_param_keeps(call, "id", config_rule_net_id(id)))
		return;
	if (!mgmt_vm_alive(call, m->vm))
		return;
	nc.has_mac = mac != NULL;
	nc.tap = (char *)tap;
	nc.id = (char *)id;
	nc.mtu = (unsigned)mtu;
	r = machine_attach_net(m, &nc, err, sizeof(err));
	if (r < 0) {
		mgmt_error(call, errno_code(r), mgmt_errno_data(r), "net.add: %s: %s", tap, err);
		return;
	}
	/* Find it by its tap, which only one adapter can hold. */
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++) {
		if (m->nets[i].id && !strcmp(m->nets[i].tap, tap)) {
			mgmt_reply(call, mgmt_net_json(&m->nets[i]));
			return;
		}
	}
	mgmt_reply(call, json_object_new_object());
}

static void net_remove(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "id", NULL };
	struct machine *m = opaque;
	const char *id = NULL;
	struct jsonrpc_error e;
	struct json_object *res;
	char err[256];
	int r;

	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_string(params, "id", true, CONFIG_NET_ID_MAX, &id, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (!mgmt_vm_alive(call, m->vm))
		return;
	r = machine_detach_net(m, id, err, sizeof(err));
	if (r < 0) {
		mgmt_error(call, errno_code(r), mgmt_errno_data(r), "%s", err);
		return;
	}
	res = json_object_new_object();
	json_object_object_add(res, "id", json_object_new_string(id));
	mgmt_reply(call, res);
}

static void net_set_link(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "id", "up", NULL };
	struct machine *m = opaque;
	const char *id = NULL;
	struct machine_net *n;
	struct jsonrpc_error e;
	bool up;

	if (jsonrpc_params_check(params, known, &e) < 0 ||
	    jsonrpc_param_string(params, "id", true, CONFIG_NET_ID_MAX, &id, &e) < 0 ||
	    jsonrpc_param_bool(params, "up", true, &up, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (!mgmt_vm_alive(call, m->vm))
		return;
	n = machine_find_net(m, id);
	if (!n) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "network adapter %s: no such adapter", id);
		return;
	}
	netvsp_set_link(n->dev, up);
	mgmt_reply(call, mgmt_net_json(n));
}

int mgmt_net_methods_register(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "net.add", net_add },
		{ "net.remove", net_remove },
		{ "net.set_link", net_set_link },
	};

	return MGMT_REGISTER_TABLE(m, methods, machine);
}
