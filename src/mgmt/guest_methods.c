/* SPDX-License-Identifier: MIT */
/*
 * guest.info, guest.ip, kvp.list, kvp.get, kvp.set, kvp.delete and net.set_ip: what the
 * guest tells the host and what the host tells it, over the KVP integration component. Each call is one or
 * more transactions with the guest, answered when the last one is; the loop never
 * waits for the guest. While a client subscribes to `kvp` events, the guest's own
 * pools (1, what it writes for the host; 2, its name, OS and addresses) are read every
 * few seconds, as Hyper-V's host does, and each change is an event.
 */
#include "ic.h"
#include "jsonrpc.h"
#include "log.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "netvsp.h"
#include "vm.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INFO_MAX_ITEMS		64	/* pool 2 records guest.info reads at most */
#define LIST_MAX_ITEMS		1024	/* kvp.list and kvp.get */
#define LIST_MAX_BYTES		(384u << 10)	/* of keys and values in one reply, as JSON */
#define WATCH_MAX_ITEMS		256	/* records of a pool the watch compares */
#define WATCH_PERIOD_MS		5000	/* how often the watch reads the guest's pools */

enum op_kind { OP_INFO, OP_LIST, OP_GET, OP_SET, OP_DELETE, OP_IP, OP_SET_IP, OP_WATCH };

struct kvp_op {
	struct mgmt_guest *mg;
	struct mgmt_call *call;		/* NULL for OP_WATCH */
	enum op_kind kind;
	unsigned pool;
	uint32_t index;
	size_t bytes;
	char *key;			/* kvp.get: the key looked for */
	struct json_object *acc;	/* guest.info: the pairs; kvp.list: the items */
	struct kvp_op *prev, *next;
};

struct mgmt_guest {
	struct mgmt *mgmt;
	struct machine *machine;
	struct kvp_op *ops;
	/* the watch: its timer, its read under way, and the pools as last read (1 and 2) */
	struct loop_timer *watch_timer;
	struct kvp_op *watch;
	struct json_object *seen[2];
};

/* op, zeroed, becomes an operation of mg's: of kind on pool, first in mg->ops. */
static void op_link(struct mgmt_guest *mg, struct kvp_op *op, enum op_kind kind, unsigned pool)
{
	op->mg = mg;
	op->kind = kind;
	op->pool = pool;
	op->next = mg->ops;
	if (mg->ops)
		mg->ops->prev = op;
	mg->ops = op;
}

static void op_free(struct kvp_op *op)
{
	if (op->mg->watch == op)
		op->mg->watch = NULL;
	if (op->prev)
		op->prev->next = op->next;
	else
		op->mg->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	free(op->key);
	json_object_put(op->acc);
	free(op);
}

static void op_cancel(struct mgmt_call *call, void *opaque)
{
	struct kvp_op *op = opaque;

	(void)call;
	ic_cancel(op->mg->machine->ic_kvp, op);
	op_free(op);
}

/* Why the guest's KVP cannot be asked, as an error to call; false if it can. */
static bool kvp_unavailable(struct mgmt_call *call, struct machine *m)
{
	return mgmt_ic_unavailable(call, m, m->ic_kvp, "kvp", "KVP",
				   "the guest's KVP daemon (hv_kvp_daemon) is not answering: is it installed and running?");
}

/* A request that could not even be queued. */
static void submit_failed(struct mgmt_call *call, struct machine *m, int r)
{
	struct json_object *d;

	if (r == -ENODEV && kvp_unavailable(call, m))
		return;
	if (r == -EBUSY) {
		mgmt_error(call, MGMT_ERR_LIMIT, NULL, "too many KVP requests are waiting for the guest");
		return;
	}
	d = json_object_new_object();
	json_object_object_add(d, "errno", json_object_new_int(-r));
	mgmt_error(call, MGMT_ERR_FAILED, d, "cannot send the KVP request: %s", strerror(-r));
}

/* The statuses hv_kvp_daemon answers SET_IP_INFO with. */
static const char *setip_status_name(uint32_t status)
{
	switch (status) {
	case IC_HV_E_FAIL: return " (E_FAIL: the guest's configuration script hv_set_ifconfig failed)";
	case 0x80041002u: return " (GUID_NOTFOUND: no interface in the guest is this adapter)";
	case 0x80070057u: return " (E_INVALIDARG: the guest refused an address)";
	case 0x80070032u: return " (ERROR_NOT_SUPPORTED)";
	case 0x80070070u: return " (ERROR_DISK_FULL)";
	default: return "";
	}
}

/* A transaction that ended without what was asked for (err set, or a status). */
static void result_failed(struct mgmt_call *call, const struct ic_kvp_result *r, bool setip)
{
	struct json_object *d = json_object_new_object();

	switch (r->err) {
	case 0:
		json_object_object_add(d, "status", mgmt_hresult(r->status));
		if (setip) {
			mgmt_error(call, MGMT_ERR_FAILED, d,
				   "the guest's KVP daemon could not configure the adapter: status 0x%08x%s", r->status,
				   setip_status_name(r->status));
			return;
		}
		mgmt_error(call, MGMT_ERR_FAILED, d, "the guest's KVP daemon answered with status 0x%08x%s", r->status,
			   r->status == IC_HV_E_FAIL ? " (E_FAIL)" : "");
		return;
	case -ETIMEDOUT:
		json_object_put(d);
		mgmt_error(call, MGMT_ERR_TIMEOUT, NULL, "the guest's KVP daemon did not answer in time");
		return;
	case -EPIPE:
	case -ECANCELED:
		json_object_put(d);
		mgmt_error(call, MGMT_ERR_CANCELLED, NULL,
			   "the guest's KVP channel closed before it answered (driver unloaded or VM reset)");
		return;
	default:
		json_object_object_add(d, "errno", json_object_new_int(-r->err));
		mgmt_error(call, MGMT_ERR_FAILED, d, "the guest's KVP answer was unusable: %s",
			   r->err == -EPROTO ? "malformed" : strerror(-r->err));
		return;
	}
}

/* guest.info's fields from pool 2, the keys Hyper-V guests fill in. */
static const struct {
	const char *kvp, *json;
} info_keys[] = {
	{ "FullyQualifiedDomainName", "fqdn" },
	{ "OSName", "os_name" },
	{ "OSVersion", "os_version" },
	{ "OSMajorVersion", "os_major" },
	{ "OSMinorVersion", "os_minor" },
	{ "OSBuildNumber", "os_build" },
	{ "ProcessorArchitecture", "arch" },
	{ "IntegrationServicesVersion", "integration_services_version" },
};

static struct json_object *split_list(const char *s)
{
	struct json_object *a = json_object_new_array();

	while (s && *s) {
		size_t n = strcspn(s, ";");

		if (n)
			json_object_array_add(a, json_object_new_string_len(s, (int)n));
		s += n;
		if (*s)
			s++;
	}
	return a;
}

static void info_reply(struct kvp_op *op)
{
	struct json_object *r = json_object_new_object(), *v;
	struct mgmt_call *call = op->call;

	for (size_t i = 0; i < sizeof(info_keys) / sizeof(info_keys[0]); i++)
		json_object_object_add(r, info_keys[i].json,
				       json_object_object_get_ex(op->acc, info_keys[i].kvp, &v) ?
					       json_object_get(v) : NULL);
	json_object_object_get_ex(op->acc, "NetworkAddressIPv4", &v);
	json_object_object_add(r, "ipv4", split_list(v ? json_object_get_string(v) : NULL));
	v = NULL;
	json_object_object_get_ex(op->acc, "NetworkAddressIPv6", &v);
	json_object_object_add(r, "ipv6", split_list(v ? json_object_get_string(v) : NULL));
	json_object_object_add(r, "pairs", json_object_get(op->acc));
	op_free(op);
	mgmt_reply(call, r);
}

/* What s costs in a reply: control characters become \u00XX, quotes and slashes two. */
static size_t json_cost(const char *s)
{
	size_t n = 2;

	for (; *s; s++)
		n += (unsigned char)*s < 0x20 ? 6 : *s == '"' || *s == '\\' || *s == '/' ? 2 : 1;
	return n;
}

static void op_done(void *opaque, const struct ic_kvp_result *r);

/* ---- the watch ---------------------------------------------------------------------------- */

static void watch_forget(struct mgmt_guest *mg)
{
	for (int i = 0; i < 2; i++) {
		json_object_put(mg->seen[i]);
		mg->seen[i] = NULL;
	}
}

static void watch_event(struct mgmt_guest *mg, unsigned pool, const char *key, struct json_object *value,
			struct json_object *previous)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "pool", json_object_new_int((int)pool));
	json_object_object_add(f, "key", json_object_new_string(key));
	json_object_object_add(f, "value", json_object_get(value));
	json_object_object_add(f, "previous", json_object_get(previous));
	mgmt_emit(mg->mgmt, "kvp", f);
}

/* Events for what differs between the last reading of pool and this one. */
static void watch_compare(struct mgmt_guest *mg, unsigned pool, struct json_object *old, struct json_object *now)
{
	struct json_object *v;

	json_object_object_foreach(now, key, val) {
		if (!json_object_object_get_ex(old, key, &v))
			watch_event(mg, pool, key, val, NULL);
		else if (strcmp(json_object_get_string(v), json_object_get_string(val)))
			watch_event(mg, pool, key, val, v);
	}
	json_object_object_foreach(old, okey, oval)
		if (!json_object_object_get_ex(now, okey, &v))
			watch_event(mg, pool, okey, NULL, oval);
}

static void watch_read(struct mgmt_guest *mg, unsigned pool)
{
	struct kvp_op *op = calloc(1, sizeof(*op));

	if (!op || !(op->acc = json_object_new_object())) {
		free(op);
		return;
	}
	op_link(mg, op, OP_WATCH, pool);
	mg->watch = op;
	if (ic_kvp_enumerate(mg->machine->ic_kvp, pool, 0, op_done, op) < 0)
		op_free(op);
}

/* One answer of the watch's reading. A failed transaction ends this round, the last
 * readings kept; a failure status is the end of the pool, as for Linux's daemon. */
static void watch_done(struct kvp_op *op, const struct ic_kvp_result *r)
{
	struct mgmt_guest *mg = op->mg;
	unsigned pool = op->pool, slot = pool == IC_KVP_POOL_GUEST ? 0 : 1;

	if (r->err) {
		op_free(op);
		return;
	}
	if (r->status == IC_HV_S_OK && op->index + 1 < WATCH_MAX_ITEMS) {
		json_object_object_add(op->acc, r->key, json_object_new_string(r->value));
		op->index++;
		if (ic_kvp_enumerate(mg->machine->ic_kvp, pool, op->index, op_done, op) < 0)
			op_free(op);
		return;
	}
	if (r->status == IC_HV_S_OK)
		json_object_object_add(op->acc, r->key, json_object_new_string(r->value));
	if (mg->seen[slot])
		watch_compare(mg, pool, mg->seen[slot], op->acc);
	json_object_put(mg->seen[slot]);
	mg->seen[slot] = json_object_get(op->acc);
	op_free(op);
	if (pool == IC_KVP_POOL_GUEST)
		watch_read(mg, IC_KVP_POOL_AUTO);
}

static void watch_tick(void *opaque)
{
	struct mgmt_guest *mg = opaque;
	struct ic_status st;

	if (!mgmt_subscribed(mg->mgmt, "kvp")) {
		/* a later subscriber starts from what the guest has then */
		watch_forget(mg);
		return;
	}
	if (mg->watch || !mg->machine->ic_kvp)
		return;
	ic_get_status(mg->machine->ic_kvp, &st);
	if (st.negotiated)
		watch_read(mg, IC_KVP_POOL_GUEST);
}

void mgmt_guest_set_watch_period(struct mgmt_guest *mg, unsigned ms)
{
	if (mg->watch_timer)
		loop_timer_arm(mg->watch_timer, (uint64_t)ms * 1000000, (uint64_t)ms * 1000000);
}

/* The next ENUMERATE of a listing op; false after answering the call. */
static bool op_next(struct kvp_op *op)
{
	int e = ic_kvp_enumerate(op->mg->machine->ic_kvp, op->pool, op->index, op_done, op);

	if (e < 0) {
		struct mgmt_call *call = op->call;
		struct machine *m = op->mg->machine;

		op_free(op);
		submit_failed(call, m, e);
		return false;
	}
	return true;
}

static void op_done(void *opaque, const struct ic_kvp_result *r)
{
	struct kvp_op *op = opaque;
	struct mgmt_call *call = op->call;
	bool end = !r->err && r->status == IC_HV_S_CONT;
	struct json_object *res;

	if (op->kind == OP_WATCH) {
		watch_done(op, r);
		return;
	}

	/* Past the last record of a listing is its normal end. */
	if ((r->err || r->status != IC_HV_S_OK) && !(end && (op->kind == OP_INFO || op->kind == OP_LIST ||
							      op->kind == OP_GET))) {
		/* Linux's daemon ends an enumeration with an error status too. */
		if (op->kind == OP_INFO && !r->err && json_object_object_length(op->acc)) {
			info_reply(op);
			return;
		}
		bool setip = op->kind == OP_SET_IP;

		op_free(op);
		result_failed(call, r, setip);
		return;
	}
	switch (op->kind) {
	case OP_INFO:
		if (!end)
			op->bytes += 2 * (json_cost(r->key) + json_cost(r->value)) + 16;
		if (end || op->index + 1 >= INFO_MAX_ITEMS || op->bytes >= LIST_MAX_BYTES) {
			if (!end)
				json_object_object_add(op->acc, r->key, json_object_new_string(r->value));
			info_reply(op);
			return;
		}
		json_object_object_add(op->acc, r->key, json_object_new_string(r->value));
		break;
	case OP_LIST: {
		struct json_object *item;
		bool full;

		if (end) {
			res = json_object_new_object();
			json_object_object_add(res, "pool", json_object_new_int((int)op->pool));
			json_object_object_add(res, "items", json_object_get(op->acc));
			json_object_object_add(res, "truncated", json_object_new_boolean(false));
			op_free(op);
			mgmt_reply(call, res);
			return;
		}
		item = json_object_new_object();
		json_object_object_add(item, "key", json_object_new_string(r->key));
		json_object_object_add(item, "value", json_object_new_string(r->value));
		json_object_array_add(op->acc, item);
		op->bytes += json_cost(r->key) + json_cost(r->value) + 32;
		full = op->index + 1 >= LIST_MAX_ITEMS || op->bytes >= LIST_MAX_BYTES;
		if (full) {
			res = json_object_new_object();
			json_object_object_add(res, "pool", json_object_new_int((int)op->pool));
			json_object_object_add(res, "items", json_object_get(op->acc));
			json_object_object_add(res, "truncated", json_object_new_boolean(true));
			op_free(op);
			mgmt_reply(call, res);
			return;
		}
		break;
	}
	case OP_GET:
		if (end || op->index + 1 >= LIST_MAX_ITEMS) {
			struct json_object *d = json_object_new_object();

			json_object_object_add(d, "errno", json_object_new_int(ENOENT));
			mgmt_error(call, MGMT_ERR_FAILED, d, "the guest has no key \"%s\" in pool %u", op->key,
				   op->pool);
			op_free(op);
			return;
		}
		if (!strcmp(r->key, op->key)) {
			res = json_object_new_object();
			json_object_object_add(res, "pool", json_object_new_int((int)op->pool));
			json_object_object_add(res, "key", json_object_new_string(r->key));
			json_object_object_add(res, "value", json_object_new_string(r->value));
			op_free(op);
			mgmt_reply(call, res);
			return;
		}
		break;
	case OP_IP:
		res = json_object_new_object();
		json_object_object_add(res, "ipv4", json_object_new_boolean(r->addr_family & 1));
		json_object_object_add(res, "ipv6", json_object_new_boolean(r->addr_family & 2));
		json_object_object_add(res, "dhcp", json_object_new_boolean(r->dhcp));
		json_object_object_add(res, "addresses", split_list(r->ip));
		json_object_object_add(res, "subnets", split_list(r->subnet));
		json_object_object_add(res, "gateways", split_list(r->gateway));
		json_object_object_add(res, "dns", split_list(r->dns));
		op_free(op);
		mgmt_reply(call, res);
		return;
	case OP_SET_IP:
		res = json_object_new_object();
		json_object_object_add(res, "id", json_object_new_string(op->key));
		json_object_object_add(res, "status", mgmt_hresult(r->status));
		op_free(op);
		mgmt_reply(call, res);
		return;
	default:	/* SET, DELETE */
		op_free(op);
		mgmt_reply(call, json_object_new_object());
		return;
	}
	op->index++;
	op_next(op);
}

static struct kvp_op *op_new(struct mgmt_guest *mg, struct mgmt_call *call, enum op_kind kind, unsigned pool)
{
	struct kvp_op *op = calloc(1, sizeof(*op));

	if (!op) {
		mgmt_error(call, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return NULL;
	}
	op_link(mg, op, kind, pool);
	op->call = call;
	mgmt_call_set_cancel(call, op_cancel, op);
	return op;
}

/* "pool": 0-3 (writable: only the host's own, 0 and 3). */
static bool param_pool(struct mgmt_call *call, struct json_object *params, bool writable, int64_t *pool)
{
	struct jsonrpc_error e;

	*pool = 0;
	if (jsonrpc_param_int(params, "pool", false, 0, IC_KVP_POOL_AUTO_EXTERNAL, pool, &e) < 0) {
		mgmt_fail(call, &e);
		return false;
	}
	if (writable && *pool != IC_KVP_POOL_EXTERNAL && *pool != IC_KVP_POOL_AUTO_EXTERNAL) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("pool"),
			   "Invalid params: \"pool\" must be 0 (external) or 3 (auto-external): the host writes only its own pools");
		return false;
	}
	return true;
}

/* A text parameter: a JSON string without NUL that rule passes (may be empty unless
 * rule says otherwise). */
static bool param_text(struct mgmt_call *call, struct json_object *params, const char *key,
		       const char *(*rule)(const char *), const char **out)
{
	struct json_object *v;
	const char *broken;

	if (!params || !json_object_object_get_ex(params, key, &v)) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
			   "Invalid params: \"%s\" is required", key);
		return false;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
			   "Invalid params: \"%s\" must be a string without NUL", key);
		return false;
	}
	*out = json_object_get_string(v);
	broken = rule(*out);
	return mgmt_param_keeps(call, key, broken);
}

static void start_listing(struct mgmt_guest *mg, struct mgmt_call *call, enum op_kind kind, unsigned pool,
			  const char *key)
{
	struct kvp_op *op = op_new(mg, call, kind, pool);

	if (!op)
		return;
	op->acc = kind == OP_LIST ? json_object_new_array() : json_object_new_object();
	if (key && !(op->key = strdup(key))) {
		op_free(op);
		mgmt_error(call, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return;
	}
	op_next(op);
}

static void guest_info_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { NULL };
	struct mgmt_guest *mg = opaque;

	if (!mgmt_params_ok(call, params, known) || kvp_unavailable(call, mg->machine))
		return;
	start_listing(mg, call, OP_INFO, IC_KVP_POOL_AUTO, NULL);
}

static void kvp_list_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "pool", NULL };
	struct mgmt_guest *mg = opaque;
	int64_t pool;

	if (!mgmt_params_ok(call, params, known) || !param_pool(call, params, false, &pool) ||
	    kvp_unavailable(call, mg->machine))
		return;
	start_listing(mg, call, OP_LIST, (unsigned)pool, NULL);
}

static void kvp_get_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "pool", "key", NULL };
	struct mgmt_guest *mg = opaque;
	const char *key;
	int64_t pool;

	if (!mgmt_params_ok(call, params, known) || !param_pool(call, params, false, &pool) ||
	    !param_text(call, params, "key", ic_kvp_check_key, &key) || kvp_unavailable(call, mg->machine))
		return;
	start_listing(mg, call, OP_GET, (unsigned)pool, key);
}

static void kvp_set_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "pool", "key", "value", NULL };
	struct mgmt_guest *mg = opaque;
	const char *key, *value;
	struct kvp_op *op;
	int64_t pool;
	int r;

	if (!mgmt_params_ok(call, params, known) || !param_pool(call, params, true, &pool) ||
	    !param_text(call, params, "key", ic_kvp_check_key, &key) ||
	    !param_text(call, params, "value", ic_kvp_check_value, &value) || kvp_unavailable(call, mg->machine))
		return;
	op = op_new(mg, call, OP_SET, (unsigned)pool);
	if (!op)
		return;
	r = ic_kvp_set(mg->machine->ic_kvp, (unsigned)pool, key, value, op_done, op);
	if (r < 0) {
		op_free(op);
		submit_failed(call, mg->machine, r);
		return;
	}
	log_info("api socket: client %u sets KVP key \"%s\" in pool %u", mgmt_call_client(call), key,
		 (unsigned)pool);
}

static void kvp_delete_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "pool", "key", NULL };
	struct mgmt_guest *mg = opaque;
	const char *key;
	struct kvp_op *op;
	int64_t pool;
	int r;

	if (!mgmt_params_ok(call, params, known) || !param_pool(call, params, true, &pool) ||
	    !param_text(call, params, "key", ic_kvp_check_key, &key) || kvp_unavailable(call, mg->machine))
		return;
	op = op_new(mg, call, OP_DELETE, (unsigned)pool);
	if (!op)
		return;
	r = ic_kvp_delete(mg->machine->ic_kvp, (unsigned)pool, key, op_done, op);
	if (r < 0) {
		op_free(op);
		submit_failed(call, mg->machine, r);
	}
}

static const char *mac_rule(const char *s)
{
	uint8_t mac[6];

	return config_parse_mac(s, mac) < 0 ? "six hex pairs with ':'" : NULL;
}

static void guest_ip_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "mac", NULL };
	struct mgmt_guest *mg = opaque;
	const char *mac;
	struct kvp_op *op;
	int r;

	if (!mgmt_params_ok(call, params, known) || !param_text(call, params, "mac", mac_rule, &mac) ||
	    kvp_unavailable(call, mg->machine))
		return;
	op = op_new(mg, call, OP_IP, 0);
	if (!op)
		return;
	r = ic_kvp_get_ip_info(mg->machine->ic_kvp, mac, op_done, op);
	if (r == -EOPNOTSUPP) {
		op_free(op);
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", "kvp"),
			   "the guest's KVP version has only the binary form of address information");
		return;
	}
	if (r < 0) {
		op_free(op);
		submit_failed(call, mg->machine, r);
	}
}

/* ---- net.set_ip ---- */

#define SETIP_MAX_ITEMS		32	/* of each list */

struct ip_lists {
	char ip[IC_KVP_IP_CHARS + 1], subnet[IC_KVP_IP_CHARS + 1], gateway[IC_KVP_GW_CHARS + 1],
		dns[IC_KVP_IP_CHARS + 1];
	uint8_t family;
};

/* item appended to the ';'-separated list buf of size room; false if it is full. */
static bool list_add(char *buf, size_t room, const char *item)
{
	size_t n = strlen(buf), k = strlen(item);

	if (n + (n ? 1 : 0) + k >= room)
		return false;
	if (n)
		buf[n++] = ';';
	memcpy(buf + n, item, k + 1);
	return true;
}

/* 4 (IPv4), 6 (IPv6) or 0: what s is as an address. */
static int addr_kind(const char *s)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

/* "A.B.C.D/prefix" or "IPv6/prefix" into the address and subnet lists; why not, or NULL. */
static const char *add_address(struct ip_lists *l, const char *s)
{
	char addr[INET6_ADDRSTRLEN + 1], sub[24];
	const char *slash = strchr(s, '/');
	unsigned long prefix;
	size_t n;
	int kind;

	if (!slash || slash[1] == 0 || strlen(slash + 1) > 3 || strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return "an address with its prefix length, like 192.0.2.88/24 or 2001:db8::5/64";
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr))
		return "an address with its prefix length, like 192.0.2.88/24 or 2001:db8::5/64";
	memcpy(addr, s, n);
	addr[n] = 0;
	kind = addr_kind(addr);
	prefix = strtoul(slash + 1, NULL, 10);
	if (!kind)
		return "an address with its prefix length, like 192.0.2.88/24 or 2001:db8::5/64";
	if (kind == 4) {
		struct in_addr m;

		if (prefix > 32)
			return "an IPv4 address with a prefix length of 0 to 32";
		m.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
		inet_ntop(AF_INET, &m, sub, sizeof(sub));
		l->family |= 1;
	} else {
		if (prefix > 128)
			return "an IPv6 address with a prefix length of 0 to 128";
		snprintf(sub, sizeof(sub), "%lu", prefix);
		l->family |= 2;
	}
	if (!list_add(l->ip, sizeof(l->ip), addr) || !list_add(l->subnet, sizeof(l->subnet), sub))
		return "a list that fits the message (1023 characters of addresses)";
	return NULL;
}

/* Optional list param key of strings into buf (addresses: address/prefix items into
 * l's ip and subnet). The number of items, or -1 after an error to call. */
static int param_ip_list(struct mgmt_call *call, struct json_object *params, const char *key, struct ip_lists *l,
			 char *buf, size_t room)
{
	struct json_object *a;
	size_t n;

	if (!params || !json_object_object_get_ex(params, key, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > SETIP_MAX_ITEMS) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
			   "Invalid params: \"%s\" must be an array of at most %d strings", key, SETIP_MAX_ITEMS);
		return -1;
	}
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		const char *s, *broken = NULL;

		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
			mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
				   "Invalid params: \"%s\" must be an array of strings without NUL", key);
			return -1;
		}
		s = json_object_get_string(v);
		if (!buf)
			broken = add_address(l, s);
		else if (!addr_kind(s))
			broken = "IPv4 or IPv6 addresses";
		else if (!list_add(buf, room, s))
			broken = "a list that fits the message";
		if (broken) {
			mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data(key),
				   "Invalid params: \"%s\" item %zu (\"%.64s\") must be %s", key, i, s, broken);
			return -1;
		}
	}
	return (int)n;
}

static void net_set_ip_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "id", "mac", "addresses", "gateways", "dns", "dhcp", NULL };
	struct mgmt_guest *mg = opaque;
	const char *id = NULL, *mac = NULL;
	struct ic_kvp_ip_config cfg = { 0 };
	struct ip_lists *l;
	struct jsonrpc_error e;
	struct kvp_op *op;
	struct machine_net *net = NULL;
	char macbuf[18], guid[37], adapter[40];
	int na, ng, nd, r;
	bool dhcp = false;

	if (!mgmt_params_ok(call, params, known))
		return;
	if (jsonrpc_param_string(params, "id", false, CONFIG_NET_ID_MAX, &id, &e) < 0 ||
	    jsonrpc_param_bool(params, "dhcp", false, &dhcp, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (params && json_object_object_get_ex(params, "mac", NULL) &&
	    !param_text(call, params, "mac", mac_rule, &mac))
		return;
	if (!id == !mac) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, NULL,
			   "Invalid params: give the adapter as exactly one of \"id\" and \"mac\"");
		return;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		mgmt_error(call, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return;
	}
	na = param_ip_list(call, params, "addresses", l, NULL, 0);
	ng = na < 0 ? -1 : param_ip_list(call, params, "gateways", l, l->gateway, sizeof(l->gateway));
	nd = ng < 0 ? -1 : param_ip_list(call, params, "dns", l, l->dns, sizeof(l->dns));
	if (nd < 0)
		goto out;
	if (dhcp && (na || ng || nd)) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("dhcp"),
			   "Invalid params: with \"dhcp\" true the guest takes its addresses, gateways and DNS servers from DHCP: give none");
		goto out;
	}
	if (!dhcp && !na) {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("addresses"),
			   "Invalid params: \"addresses\" is required (at least one address/prefix) unless \"dhcp\" is true");
		goto out;
	}
	if (!mgmt_vm_alive(call, mg->machine->vm))
		goto out;
	if (id) {
		net = machine_find_net(mg->machine, id);
	} else {
		uint8_t want[6];

		config_parse_mac(mac, want);
		for (unsigned i = 0; i < CONFIG_MAX_NETS && !net; i++)
			if (mg->machine->nets[i].id && !memcmp(mg->machine->nets[i].mac, want, 6))
				net = &mg->machine->nets[i];
	}
	if (!net) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "network adapter %s: no such adapter", id ? id : mac);
		goto out;
	}
	snprintf(macbuf, sizeof(macbuf), "%02x:%02x:%02x:%02x:%02x:%02x", net->mac[0], net->mac[1], net->mac[2],
		 net->mac[3], net->mac[4], net->mac[5]);
	/* the adapter's slot is its NIC number, which names its VMBus instance */
	netvsp_instance_id((unsigned)(net - mg->machine->nets), guid);
	snprintf(adapter, sizeof(adapter), "{%s}", guid);
	if (kvp_unavailable(call, mg->machine))
		goto out;
	cfg.dhcp = dhcp;
	cfg.family = dhcp ? 0 : l->family;
	cfg.ip = l->ip;
	cfg.subnet = l->subnet;
	cfg.gateway = l->gateway;
	cfg.dns = l->dns;
	op = op_new(mg, call, OP_SET_IP, 0);
	if (!op)
		goto out;
	op->key = strdup(net->id);
	r = op->key ? ic_kvp_set_ip_info(mg->machine->ic_kvp, adapter, &cfg, op_done, op) : -ENOMEM;
	if (r == -EOPNOTSUPP) {
		op_free(op);
		mgmt_error(call, MGMT_ERR_NO_DEVICE, jsonrpc_data("device", "kvp"),
			   "the guest's KVP does not offer IP injection (SET_IP_INFO needs message version 4.0)");
		goto out;
	}
	if (r < 0) {
		op_free(op);
		submit_failed(call, mg->machine, r);
		goto out;
	}
	log_info("api socket: client %u sets the addresses of adapter %s (%s, %s): %s", mgmt_call_client(call),
		 net->id, macbuf, adapter, dhcp ? "DHCP" : l->ip);
out:
	free(l);
}

struct mgmt_guest *mgmt_guest_methods_new(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "guest.info", guest_info_m },
		{ "guest.ip", guest_ip_m },
		{ "kvp.list", kvp_list_m },
		{ "kvp.get", kvp_get_m },
		{ "kvp.set", kvp_set_m },
		{ "kvp.delete", kvp_delete_m },
		{ "net.set_ip", net_set_ip_m },
	};
	struct mgmt_guest *mg = calloc(1, sizeof(*mg));

	if (!mg)
		return NULL;
	mg->mgmt = m;
	mg->machine = machine;
	mg->watch_timer = loop_timer_new(vm_loop(machine->vm), watch_tick, mg);
	if (!mg->watch_timer || MGMT_REGISTER_TABLE(m, methods, mg) < 0) {
		loop_timer_free(mg->watch_timer);
		free(mg);
		return NULL;
	}
	mgmt_guest_set_watch_period(mg, WATCH_PERIOD_MS);
	return mg;
}

void mgmt_guest_methods_free(struct mgmt_guest *mg)
{
	if (!mg)
		return;
	loop_timer_free(mg->watch_timer);
	while (mg->ops) {
		struct kvp_op *op = mg->ops;
		struct mgmt_call *call = op->call;

		ic_cancel(mg->machine->ic_kvp, op);
		op_free(op);
		if (call)
			mgmt_error(call, MGMT_ERR_CANCELLED, NULL, "hvkvm is exiting");
	}
	watch_forget(mg);
	free(mg);
}
