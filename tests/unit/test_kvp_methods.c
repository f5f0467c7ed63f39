/* SPDX-License-Identifier: MIT */
/*
 * guest.info, guest.ip and kvp.* over a real management socket, end to end: the
 * methods (src/mgmt/guest_methods.c), the KVP integration component and a simulated
 * guest whose hv_kvp_daemon answers on a thread of its own (kvp_guest.c).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_fixture.h"
#include "ic.h"
#include "kvp_guest.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus_guest.h"

#define RING_GPA	(VG_RAM_START + 0x100000ull)

static struct gf f;
static struct vg_chan ch;
static struct kvp_guest kg;
static struct mgmt_guest *mg;
static struct tc *t;
static uint16_t msg_major;	/* the guest's message version (0: Linux's 4.0) */

struct st_call {
	struct ic_status st;
};

static void get_status(void *opaque)
{
	ic_get_status(f.machine.ic_kvp, &((struct st_call *)opaque)->st);
}

static struct ic_status kvp_status(void)
{
	struct st_call c;

	vg_call(&f.g, get_status, &c);
	return c.st;
}

static void set_timeout(void *opaque)
{
	ic_set_request_timeout(f.machine.ic_kvp, *(uint64_t *)opaque);
}

/* The guest opens its KVP channel; with daemon, its hv_kvp_daemon is running. */
static void setup_with(bool daemon)
{
	gf_init(&f);
	f.machine.ic_kvp = ic_kvp_new(f.g.bus, f.g.loop);
	ck_assert_ptr_nonnull(f.machine.ic_kvp);
	mg = mgmt_guest_methods_new(gf_mgmt(&f, "kvp"), &f.machine);
	ck_assert_ptr_nonnull(mg);
	gf_start(&f, 1);
	t = f.t;
	gf_open(&f, &ch, GF_KVP_CLASS, RING_GPA, 4);
	kvp_guest_init(&kg, &ch);
	kg.msg_major = msg_major;
	/* two adapters (NIC 0 and 1); the guest has an interface for NIC 0 only */
	f.machine.nets[0] = (struct machine_net){ .id = (char *)"net0", .tap = (char *)"tap0",
						  .mac = { 0x00, 0x15, 0x5d, 0, 0, 1 } };
	f.machine.nets[1] = (struct machine_net){ .id = (char *)"net1", .tap = (char *)"tap1",
						  .mac = { 0x00, 0x15, 0x5d, 0, 0, 2 } };
	if (daemon) {
		kvp_guest_start(&kg);
		ck_assert(WAIT_UNTIL(kvp_status().negotiated, VG_TMO));
	}
}

static void setup(void)
{
	setup_with(true);
}

static void setup_v3(void)
{
	msg_major = 3;
	setup_with(true);
	msg_major = 0;
}

static void setup_no_daemon(void)
{
	setup_with(false);
}

static void teardown(void)
{
	f.t = t;	/* the client the test holds now */
	kvp_guest_stop(&kg);
	gf_stop(&f);
	mgmt_guest_methods_free(mg);
	ic_free(f.machine.ic_kvp);
	gf_destroy(&f);
}

static const char *err_msg(struct json_object *r)
{
	return get_str(get(r, "error"), "message");
}

START_TEST(guest_info)
{
	struct json_object *r = rpc_ok(t, "guest.info", NULL), *res = get(r, "result"), *a;

	ck_assert_str_eq(get_str(res, "fqdn"), "debian.example");
	ck_assert_str_eq(get_str(res, "os_name"), "Debian GNU/Linux");
	ck_assert_str_eq(get_str(res, "os_version"), "6.1.0");
	ck_assert_str_eq(get_str(res, "os_major"), "12");
	ck_assert_str_eq(get_str(res, "os_minor"), "");
	ck_assert_str_eq(get_str(res, "os_build"), "6.1.0-40-amd64");
	ck_assert_str_eq(get_str(res, "arch"), "x86_64");
	ck_assert_str_eq(get_str(res, "integration_services_version"), "3.1");
	a = get(res, "ipv4");
	ck_assert_uint_eq(json_object_array_length(a), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(a, 0)), "192.168.7.2");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(a, 1)), "10.0.0.5");
	a = get(res, "ipv6");
	ck_assert_uint_eq(json_object_array_length(a), 1);
	ck_assert_uint_eq(json_object_object_length(get(res, "pairs")), 10);
	json_object_put(r);
	/* eleven transactions: ten records and the end (the daemon counts after sending) */
	ck_assert(WAIT_UNTIL(atomic_load(&kg.served) >= 1 + 11, VG_TMO));
	ck_assert_uint_eq(atomic_load(&kg.served), 1 + 11);
}
END_TEST

START_TEST(set_get_list_delete)
{
	struct json_object *r, *items;

	json_object_put(rpc_ok(t, "kvp.set", "{\"key\":\"Role\",\"value\":\"web server\"}"));
	json_object_put(rpc_ok(t, "kvp.set", "{\"pool\":3,\"key\":\"HostName\",\"value\":\"hv1\"}"));
	json_object_put(rpc_ok(t, "kvp.set", "{\"key\":\"Empty\",\"value\":\"\"}"));
	ck_assert_uint_eq(kg.count[0], 2);
	ck_assert_uint_eq(kg.count[3], 1);

	r = rpc_ok(t, "kvp.get", "{\"key\":\"Empty\"}");
	ck_assert_str_eq(get_str(get(r, "result"), "value"), "");
	json_object_put(r);
	r = rpc_ok(t, "kvp.get", "{\"pool\":3,\"key\":\"HostName\"}");
	ck_assert_str_eq(get_str(get(r, "result"), "value"), "hv1");
	json_object_put(r);
	r = rpc_ok(t, "kvp.get", "{\"pool\":2,\"key\":\"OSName\"}");
	ck_assert_str_eq(get_str(get(r, "result"), "value"), "Debian GNU/Linux");
	json_object_put(r);
	r = rpc_err(t, "kvp.get", "{\"key\":\"Nope\"}", MGMT_ERR_FAILED);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no key \"Nope\" in pool 0"));
	json_object_put(r);

	r = rpc_ok(t, "kvp.list", "{\"pool\":0}");
	items = get(get(r, "result"), "items");
	ck_assert_uint_eq(json_object_array_length(items), 2);
	ck_assert_str_eq(get_str(json_object_array_get_idx(items, 0), "key"), "Role");
	ck_assert_str_eq(get_str(json_object_array_get_idx(items, 0), "value"), "web server");
	ck_assert(!json_object_get_boolean(get(get(r, "result"), "truncated")));
	json_object_put(r);
	r = rpc_ok(t, "kvp.list", "{\"pool\":1}");
	ck_assert_uint_eq(json_object_array_length(get(get(r, "result"), "items")), 0);
	json_object_put(r);

	json_object_put(rpc_ok(t, "kvp.delete", "{\"key\":\"Role\"}"));
	ck_assert_uint_eq(kg.count[0], 1);
	/* the daemon's status for a missing key */
	r = rpc_err(t, "kvp.delete", "{\"key\":\"Role\"}", MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x80070103");
	json_object_put(r);
}
END_TEST

START_TEST(bad_params)
{
	char line[4096], big[1100];
	struct json_object *r;

	json_object_put(rpc_err(t, "kvp.set", "{\"pool\":1,\"key\":\"k\",\"value\":\"v\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.set", "{\"pool\":2,\"key\":\"k\",\"value\":\"v\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.delete", "{\"pool\":1,\"key\":\"k\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.list", "{\"pool\":4}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.list", "{\"pool\":\"0\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.set", "{\"key\":\"k\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.set", "{\"key\":\"\",\"value\":\"v\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.set", "{\"key\":\"a\\u0000b\",\"value\":\"v\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.set", "{\"key\":7,\"value\":\"v\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.get", "{\"pool\":0}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "kvp.get", "{\"key\":\"k\",\"other\":1}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.ip", "{\"mac\":\"00:15:5d\"}", JSONRPC_INVALID_PARAMS));
	memset(big, 'k', 256);
	big[256] = 0;
	snprintf(line, sizeof(line), "{\"key\":\"%s\",\"value\":\"v\"}", big);
	r = rpc_err(t, "kvp.set", line, JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "255 UTF-16 code units"));
	json_object_put(r);
	memset(big, 'v', 1024);
	big[1024] = 0;
	snprintf(line, sizeof(line), "{\"key\":\"k\",\"value\":\"%s\"}", big);
	json_object_put(rpc_err(t, "kvp.set", line, JSONRPC_INVALID_PARAMS));
	big[1023] = 0;
	snprintf(line, sizeof(line), "{\"key\":\"k\",\"value\":\"%s\"}", big);
	json_object_put(rpc_ok(t, "kvp.set", line));
}
END_TEST

START_TEST(guest_ip)
{
	struct json_object *r = rpc_ok(t, "guest.ip", "{\"mac\":\"00:15:5d:00:00:01\"}"), *res = get(r, "result");

	ck_assert(json_object_get_boolean(get(res, "ipv4")));
	ck_assert(json_object_get_boolean(get(res, "dhcp")));
	ck_assert_uint_eq(json_object_array_length(get(res, "addresses")), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(get(res, "dns"), 1)), "9.9.9.9");
	json_object_put(r);
	r = rpc_err(t, "guest.ip", "{\"mac\":\"00:15:5d:00:00:02\"}", MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x80004005");
	json_object_put(r);
}
END_TEST

START_TEST(set_ip)
{
	struct json_object *r;

	r = rpc_ok(t, "net.set_ip",
		   "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\",\"2001:db8::5/64\",\"10.1.2.3/8\"],"
		   "\"gateways\":[\"192.0.2.1\"],\"dns\":[\"192.0.2.53\",\"2001:db8::53\"]}");
	ck_assert_str_eq(get_str(get(r, "result"), "id"), "net0");
	ck_assert_str_eq(get_str(get(r, "result"), "status"), "0x00000000");
	json_object_put(r);
	ck_assert_uint_eq(kg.setip.count, 1);
	/* the adapter by its VMBus instance, as the daemon finds it in device/device_id */
	ck_assert_str_eq(kg.setip.adapter, KG_DEVICE_ID);
	ck_assert_uint_eq(kg.setip.family, 3);
	ck_assert_uint_eq(kg.setip.dhcp, 0);
	ck_assert_str_eq(kg.setip.ip, "192.0.2.88;2001:db8::5;10.1.2.3");
	ck_assert_str_eq(kg.setip.subnet, "255.255.255.0;64;255.0.0.0");
	ck_assert_str_eq(kg.setip.gateway, "192.0.2.1");
	ck_assert_str_eq(kg.setip.dns, "192.0.2.53;2001:db8::53");

	/* DHCP: no lists; the adapter by its id */
	json_object_put(rpc_ok(t, "net.set_ip", "{\"id\":\"net0\",\"dhcp\":true}"));
	ck_assert_uint_eq(kg.setip.count, 2);
	ck_assert_str_eq(kg.setip.adapter, KG_DEVICE_ID);
	ck_assert_uint_eq(kg.setip.dhcp, 1);
	ck_assert_uint_eq(kg.setip.family, 0);
	ck_assert_str_eq(kg.setip.ip, "");
	ck_assert_str_eq(kg.setip.subnet, "");

	/* an IPv4-only configuration, /32 and /0; the MAC in upper case */
	json_object_put(rpc_ok(t, "net.set_ip", "{\"mac\":\"00:15:5D:00:00:01\",\"addresses\":[\"192.0.2.9/32\",\"198.51.100.1/0\"]}"));
	ck_assert_uint_eq(kg.setip.family, 1);
	ck_assert_str_eq(kg.setip.subnet, "255.255.255.255;0.0.0.0");
	ck_assert_str_eq(kg.setip.gateway, "");
}
END_TEST

START_TEST(set_ip_guest_errors)
{
	struct json_object *r;

	/* NIC 1: the daemon finds no interface with its device_id */
	r = rpc_err(t, "net.set_ip", "{\"id\":\"net1\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x80041002");
	ck_assert_ptr_nonnull(strstr(err_msg(r), "could not configure the adapter"));
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no interface"));
	json_object_put(r);
	ck_assert_str_eq(kg.setip.adapter, "{3d6e4c01-8a1f-4b3e-9c55-68766b6d6e65}");
	/* the daemon's E_FAIL (its script failed) */
	kg.setip.status = 0x80004005u;
	r = rpc_err(t, "net.set_ip", "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x80004005");
	ck_assert_ptr_nonnull(strstr(err_msg(r), "E_FAIL"));
	json_object_put(r);
	/* the daemon refuses the values */
	kg.setip.status = 0x80070057u;
	r = rpc_err(t, "net.set_ip", "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x80070057");
	ck_assert_ptr_nonnull(strstr(err_msg(r), "E_INVALIDARG"));
	json_object_put(r);
	/* a status hvkvm has no name for is passed on as it is */
	kg.setip.status = 0x12345678u;
	r = rpc_err(t, "net.set_ip", "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_FAILED);
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "status"), "0x12345678");
	json_object_put(r);
	ck_assert_uint_eq(kg.setip.count, 4);
	/* adapters the VM does not have: nothing is sent */
	r = rpc_err(t, "net.set_ip", "{\"id\":\"net7\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no such adapter"));
	json_object_put(r);
	r = rpc_err(t, "net.set_ip", "{\"mac\":\"00:15:5d:00:00:03\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no such adapter"));
	json_object_put(r);
	ck_assert_uint_eq(kg.setip.count, 4);
}
END_TEST

START_TEST(set_ip_bad_params)
{
	static const char *const bad[] = {
		"{\"addresses\":[\"192.0.2.88/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"id\":\"net0\",\"addresses\":[\"192.0.2.88/24\"]}",
		"{\"mac\":\"00:15:5d:00:00\",\"addresses\":[\"192.0.2.88/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\"}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":\"192.0.2.88/24\"}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/33\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"2001:db8::1/129\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.888/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.8/-1\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.8/ 24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.8;10.0.0.1/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[7]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.8/24\\u0000\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"],\"gateways\":[\"gw\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"],\"gateways\":[\"192.0.2.1/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"],\"dns\":[\"1.1.1.1;8.8.8.8\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"],\"dns\":{}}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"dhcp\":true,\"addresses\":[\"192.0.2.88/24\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"dhcp\":true,\"dns\":[\"192.0.2.53\"]}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"dhcp\":1}",
		"{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"],\"gateway\":\"192.0.2.1\"}",
		"{\"id\":7,\"addresses\":[\"192.0.2.88/24\"]}",
	};
	char line[8192];
	size_t n;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		json_object_put(rpc_err(t, "net.set_ip", bad[i], JSONRPC_INVALID_PARAMS));
	/* too many items, and a list longer than the message's field */
	n = (size_t)snprintf(line, sizeof(line), "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[");
	for (unsigned i = 0; i < 33; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"10.0.0.%u/24\"", i ? "," : "", i);
	snprintf(line + n, sizeof(line) - n, "]}");
	json_object_put(rpc_err(t, "net.set_ip", line, JSONRPC_INVALID_PARAMS));
	n = (size_t)snprintf(line, sizeof(line), "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[");
	for (unsigned i = 0; i < 32; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"2001:db8:aaaa:bbbb:cccc:dddd:eeee:%x/64\"",
				      i ? "," : "", i);
	snprintf(line + n, sizeof(line) - n, "]}");
	json_object_put(rpc_err(t, "net.set_ip", line, JSONRPC_INVALID_PARAMS));
	ck_assert_uint_eq(kg.setip.count, 0);
}
END_TEST

START_TEST(set_ip_timeout)
{
	uint64_t ns = 100000000ull;
	struct json_object *r;

	kvp_guest_stop(&kg);
	vg_call(&f.g, set_timeout, &ns);
	r = rpc_err(t, "net.set_ip", "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"]}", MGMT_ERR_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "did not answer"));
	json_object_put(r);
}
END_TEST

START_TEST(set_ip_old_version)
{
	struct json_object *r;

	/* a guest that picked message version 3.0 has no IP injection */
	r = rpc_err(t, "net.set_ip", "{\"mac\":\"00:15:5d:00:00:01\",\"addresses\":[\"192.0.2.88/24\"]}",
		    MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "does not offer IP injection"));
	json_object_put(r);
	ck_assert_uint_eq(kg.setip.count, 0);
	json_object_put(rpc_ok(t, "kvp.set", "{\"key\":\"k\",\"value\":\"v\"}"));
}
END_TEST

START_TEST(paused_vm)
{
	struct json_object *r;

	f.vm.state = VM_STATE_PAUSED;
	r = rpc_err(t, "guest.info", NULL, MGMT_ERR_VM_STATE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "paused"));
	json_object_put(r);
	f.vm.state = VM_STATE_RUNNING;
}
END_TEST

START_TEST(timeout)
{
	uint64_t ns = 100000000ull;
	struct json_object *r;

	/* The daemon stops answering (hung), the host gives up. */
	kvp_guest_stop(&kg);
	vg_call(&f.g, set_timeout, &ns);
	r = rpc_err(t, "kvp.list", NULL, MGMT_ERR_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "did not answer"));
	json_object_put(r);
}
END_TEST

START_TEST(channel_closes)
{
	char line[256];
	struct json_object *r;

	/* A call waits for the guest; the guest unloads its driver meanwhile. */
	kvp_guest_stop(&kg);
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"kvp.get\",\"params\":{\"key\":\"x\"},\"id\":5}");
	tc_send(t, line);
	ck_assert(WAIT_UNTIL(kvp_status().queued == 1, VG_TMO));
	vg_close(&f.g, &ch);
	r = tc_recv(t, VG_TMO);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(error_code(r), MGMT_ERR_CANCELLED);
	json_object_put(r);
	r = rpc_err(t, "kvp.get", "{\"key\":\"x\"}", MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no driver"));
	json_object_put(r);
}
END_TEST

START_TEST(client_goes_away)
{
	struct json_object *r;

	/* The client that asked is gone before the answer: the answer goes nowhere and the
	 * next call works. */
	kvp_guest_stop(&kg);
	tc_send(t, "{\"jsonrpc\":\"2.0\",\"method\":\"guest.info\",\"id\":9}");
	ck_assert(WAIT_UNTIL(kvp_status().queued == 1, VG_TMO));
	tc_close(t);
	t = tc_open(f.path);
	kvp_guest_start(&kg);
	r = rpc_ok(t, "kvp.list", "{\"pool\":2}");
	ck_assert_uint_eq(json_object_array_length(get(get(r, "result"), "items")), 10);
	json_object_put(r);
}
END_TEST

START_TEST(no_daemon)
{
	struct json_object *r;

	/* hv_utils opened the channel; without hv_kvp_daemon nothing answers. */
	r = rpc_err(t, "guest.info", NULL, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "hv_kvp_daemon"));
	json_object_put(r);
	r = rpc_err(t, "kvp.set", "{\"key\":\"k\",\"value\":\"v\"}", MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "hv_kvp_daemon"));
	json_object_put(r);
	/* The daemon starts: the pending negotiation is answered and calls work. */
	kvp_guest_start(&kg);
	ck_assert(WAIT_UNTIL(kvp_status().negotiated, VG_TMO));
	json_object_put(rpc_ok(t, "kvp.set", "{\"key\":\"k\",\"value\":\"v\"}"));
}
END_TEST

static bool host_keys_set(const struct kvp_guest *k)
{
	return k->count[0] == 2;
}

START_TEST(host_keys)
{
	char err[256];
	struct config_err e = { .buf = err, .len = sizeof(err), .where = "test" };
	struct json_object *r;

	/* --kvp keys reach pool 0 once the daemon answers the negotiation. */
	ck_assert_int_eq(config_add_kvp(&e, &f.cfg, "Role", "web"), 0);
	ck_assert_int_eq(config_add_kvp(&e, &f.cfg, "Cl\xc3\xa9", "\xe2\x82\xac"), 0);
	machine_kvp_attach(&f.machine);
	kvp_guest_start(&kg);
	ck_assert(WAIT_UNTIL(host_keys_set(&kg), VG_TMO));
	r = rpc_ok(t, "kvp.get", "{\"key\":\"Cl\xc3\xa9\"}");
	ck_assert_str_eq(get_str(get(r, "result"), "value"), "\xe2\x82\xac");
	json_object_put(r);
	/* and again after the guest's driver reopened the channel (a guest reboot) */
	kvp_guest_stop(&kg);
	vg_close(&f.g, &ch);
	kg.count[0] = 0;
	gf_reopen(&f, &ch, GF_KVP_CLASS, RING_GPA, 4);
	kvp_guest_start(&kg);
	ck_assert(WAIT_UNTIL(host_keys_set(&kg), VG_TMO));
	ck_assert_uint_eq(kg.pools[0][0].key_units, 4);
	ck_assert_uint_eq(kg.pools[0][0].value[0], 'w');
}
END_TEST

static void set_watch(void *opaque)
{
	mgmt_guest_set_watch_period(mg, *(unsigned *)opaque);
}

/* The next kvp event's params as "pool key value previous" (~ for null); replies and
 * other events are skipped. */
static const char *next_kvp_event(void)
{
	static char buf[256];
	struct json_object *n, *p, *v, *pv;

	for (;;) {
		n = tc_recv(t, VG_TMO);
		ck_assert_ptr_nonnull(n);
		if (!has(n, "id") && !strcmp(get_str(n, "method"), "event") &&
		    !strcmp(get_str(get(n, "params"), "type"), "kvp"))
			break;
		json_object_put(n);
	}
	p = get(n, "params");
	ck_assert(json_object_object_get_ex(p, "value", &v));
	ck_assert(json_object_object_get_ex(p, "previous", &pv));
	snprintf(buf, sizeof(buf), "%d %s %s %s", json_object_get_int(get(p, "pool")), get_str(p, "key"),
		 v ? json_object_get_string(v) : "~", pv ? json_object_get_string(pv) : "~");
	json_object_put(n);
	return buf;
}

/* The next two kvp events, in the order of their text (a change can fall between the
 * readings of the two pools, so the order they come in is not fixed). */
static void next_two(char got[2][256])
{
	char tmp[256];

	snprintf(got[0], 256, "%s", next_kvp_event());
	snprintf(got[1], 256, "%s", next_kvp_event());
	if (strcmp(got[0], got[1]) > 0) {
		memcpy(tmp, got[0], 256);
		memcpy(got[0], got[1], 256);
		memcpy(got[1], tmp, 256);
	}
}

static void guest_record(unsigned pool, const char *key, const char *value)
{
	struct kg_record *r = &kg.pools[pool][kg.count[pool]++];

	r->key_units = kg_utf16(key, r->key, 256);
	r->value_units = kg_utf16(value, r->value, 1024);
}

START_TEST(watch_events)
{
	unsigned ms = 20, served;
	char got[2][256];

	/* Nobody subscribed: the guest's pools are not read. */
	vg_call(&f.g, set_watch, &ms);
	served = atomic_load(&kg.served);
	tc_quiet(t, 10 * ms);
	ck_assert_uint_eq(atomic_load(&kg.served), served);

	json_object_put(rpc_ok(t, "events.subscribe", "{\"types\":[\"kvp\"]}"));
	/* The first reading (pool 1: its end; pool 2: ten records and the end) is what later
	 * ones are compared with: no events for it. */
	ck_assert(WAIT_UNTIL(atomic_load(&kg.served) >= served + 1 + 11, VG_TMO));
	kvp_guest_stop(&kg);
	strcpy(kg.fqdn, "renamed.example");
	guest_record(1, "Status", "ready");
	kvp_guest_start(&kg);
	next_two(got);
	ck_assert_str_eq(got[0], "1 Status ready ~");
	ck_assert_str_eq(got[1], "2 FullyQualifiedDomainName renamed.example debian.example");

	kvp_guest_stop(&kg);
	kg.count[1] = 0;
	guest_record(1, "Status", "draining");
	guest_record(1, "Load", "7");
	kvp_guest_start(&kg);
	next_two(got);
	ck_assert_str_eq(got[0], "1 Load 7 ~");
	ck_assert_str_eq(got[1], "1 Status draining ready");
	kvp_guest_stop(&kg);
	kg.count[1] = 0;
	kvp_guest_start(&kg);
	next_two(got);
	ck_assert_str_eq(got[0], "1 Load ~ 7");
	ck_assert_str_eq(got[1], "1 Status ~ draining");

	/* Unsubscribed: the reading stops once the one under way has ended, so some span of
	 * ten periods soon passes without a transaction (a reading goes on for one period). */
	json_object_put(rpc_ok(t, "events.unsubscribe", NULL));
	for (int tries = 0;; tries++) {
		ck_assert_int_lt(tries, 50);
		served = atomic_load(&kg.served);
		tc_quiet(t, 10 * ms);
		if (atomic_load(&kg.served) == served)
			break;
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kvp_methods");
	TCase *tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, guest_info);
	tcase_add_test(tc, set_get_list_delete);
	tcase_add_test(tc, bad_params);
	tcase_add_test(tc, guest_ip);
	tcase_add_test(tc, set_ip);
	tcase_add_test(tc, set_ip_guest_errors);
	tcase_add_test(tc, set_ip_bad_params);
	tcase_add_test(tc, set_ip_timeout);
	tcase_add_test(tc, paused_vm);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, channel_closes);
	tcase_add_test(tc, client_goes_away);
	tcase_add_test(tc, watch_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("version_3");
	tcase_add_checked_fixture(tc, setup_v3, teardown);
	tcase_add_test(tc, set_ip_old_version);
	suite_add_tcase(s, tc);
	tc = tcase_create("no_daemon");
	tcase_add_checked_fixture(tc, setup_no_daemon, teardown);
	tcase_add_test(tc, no_daemon);
	tcase_add_test(tc, host_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
