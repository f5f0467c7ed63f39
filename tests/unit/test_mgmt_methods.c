/* SPDX-License-Identifier: MIT */
/*
 * The VM's methods and events over a real socket, on a machine without KVM: a VM
 * whose vCPUs were never created (their threads are simply absent), a real
 * Hyper-V partition attached to it, and no VMBus. What needs a guest driver (the
 * shutdown and heartbeat ICs, disks) is checked for its errors here and in the rig
 * for real.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"
#include "hv_proto.h"
#include "hv_time.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "mgmt_internal.h"
#include "pc_firmware.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus.h"
#include "storvsp.h"

#include <fcntl.h>

static char dir[64], path[128];
static struct vm_config cfg;
static struct vm vm;
static struct machine machine;
static struct test_loop tl;
static struct mgmt *mgmt;
static struct mgmt_methods *methods;
static struct tc *t, *ev;

static void noinject(void *ctx, unsigned vp, uint8_t vector)
{
	(void)ctx, (void)vp, (void)vector;
}

/* The TSC rate, roughly: only so that reference time runs. */
static uint64_t tsc_hz(void)
{
	uint64_t t0 = loop_now_ns(), c0 = hv_rdtsc();

	usleep(20000);
	return (hv_rdtsc() - c0) * 1000000000ull / (loop_now_ns() - t0);
}

static void setup(void)
{
	char err[256];

	strcpy(dir, "/tmp/hvkvm-methods-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	config_init(&cfg);
	cfg.cpus = 2;
	memset(&vm, 0, sizeof(vm));
	vm.params = (struct vm_params){ .cpus = cfg.cpus, .memory = cfg.memory };
	vm.kvm_fd = vm.vm_fd = vm.mem.fd = -1;
	vm.mem.size = 64ull << 20;
	vm.ncpus = 2;
	vm.vcpus = calloc(2, sizeof(vm.vcpus[0]));
	pthread_mutex_init(&vm.req_lock, NULL);
	pthread_mutex_init(&vm.ioeventfd_lock, NULL);
	io_bus_init(&vm.pio, "port");
	io_bus_init(&vm.mmio, "mmio");
	vm.loop = loop_new();
	/* as vm_start() leaves it */
	vm.state = VM_STATE_RUNNING;
	vm.boots = 1;
	vm.started_ns = vm.boot_ns = loop_now_ns();
	memset(&machine, 0, sizeof(machine));
	machine.cfg = &cfg;
	machine.vm = &vm;
	machine.hv = hv_new(&cfg.hv, &vm.mem, 2, vm.loop, noinject, NULL);
	ck_assert_ptr_nonnull(machine.hv);
	ck_assert_int_eq(hv_attach(machine.hv, &vm, HV_CRASH_EXIT), 0);
	ck_assert_int_eq(hv_set_clock(machine.hv, tsc_hz(), 0, hv_rdtsc()), 0);

	mgmt = mgmt_new(vm.loop);
	methods = mgmt_methods_new(mgmt, &machine);
	ck_assert_ptr_nonnull(methods);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
	tl.loop = vm.loop;
	tl.running = false;
	test_loop_start(&tl);
	t = tc_open(path);
	ev = tc_open(path);
	json_object_put(call_ok(ev, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"id\":0}"));
}

static void teardown(void)
{
	tc_close(t);
	tc_close(ev);
	test_loop_stop(&tl);
	mgmt_methods_free(methods);
	mgmt_free(mgmt, 0);
	hv_free(machine.hv);
	loop_free(vm.loop);
	free(vm.vcpus);
	config_free(&cfg);
	rmdir(dir);
}

/* The next event; its type must be type. */
static struct json_object *next_event(const char *type)
{
	struct json_object *n = tc_recv(ev, 5000), *p;

	ck_assert_msg(n, "no %s event", type);
	ck_assert_str_eq(get_str(n, "method"), "event");
	p = json_object_get(get(n, "params"));
	json_object_put(n);
	ck_assert_str_eq(get_str(p, "type"), type);
	return p;
}

static uint64_t ref_time(void)
{
	uint64_t v = 0;

	ck_assert_int_eq(hv_msr_read(machine.hv, 0, HV_X64_MSR_TIME_REF_COUNT, &v), 0);
	return v;
}

START_TEST(info)
{
	struct json_object *r = rpc_ok(t, "vm.info", NULL), *res = get(r, "result"), *feats;
	bool synic = false;

	ck_assert_str_eq(get_str(res, "state"), "running");
	ck_assert_int_eq(json_object_get_int(get(res, "vcpus")), 2);
	ck_assert_int_eq(json_object_get_int64(get(res, "memory_bytes")), 64ll << 20);
	ck_assert_int_eq(json_object_get_int(get(res, "boots")), 1);
	ck_assert_int_eq(json_object_get_int(get(res, "pid")), getpid());
	ck_assert(json_object_get_int64(get(res, "uptime_ms")) >= 0);
	feats = get(get(res, "hyperv"), "features");
	for (size_t i = 0; i < json_object_array_length(feats); i++)
		synic |= !strcmp(json_object_get_string(json_object_array_get_idx(feats, i)), "synic");
	ck_assert(synic);
	ck_assert_str_eq(get_str(get(res, "hyperv"), "vendor"), "Microsoft Hv");
	ck_assert(json_object_is_type(get(get(res, "hyperv"), "vmbus_version"), json_type_null));
	ck_assert_uint_eq(json_object_array_length(get(res, "devices")), 0);	/* no board, no VMBus here */
	json_object_put(r);
	json_object_put(rpc_err(t, "vm.info", "{\"x\":1}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "vm.info", "[1]", JSONRPC_INVALID_PARAMS));
}
END_TEST

START_TEST(pause_resume)
{
	struct json_object *r, *e;
	uint64_t held, after;

	r = rpc_ok(t, "vm.pause", NULL);
	ck_assert_str_eq(get_str(get(r, "result"), "state"), "paused");
	json_object_put(r);
	e = next_event("state");
	ck_assert_str_eq(get_str(e, "state"), "paused");
	ck_assert_str_eq(get_str(e, "previous"), "running");
	json_object_put(e);
	/* Reference time stands still while paused. */
	held = ref_time();
	usleep(100000);
	ck_assert_uint_eq(ref_time(), held);
	r = rpc_ok(t, "vm.info", NULL);
	ck_assert_str_eq(get_str(get(r, "result"), "state"), "paused");
	json_object_put(r);
	/* again: no change, no event */
	json_object_put(rpc_ok(t, "vm.pause", NULL));
	json_object_put(rpc_err(t, "vm.shutdown", NULL, MGMT_ERR_VM_STATE));
	r = rpc_ok(t, "vm.resume", NULL);
	ck_assert_str_eq(get_str(get(r, "result"), "state"), "running");
	json_object_put(r);
	after = ref_time();
	ck_assert_uint_ge(after, held);
	ck_assert_msg(after - held < 200000, "reference time jumped %llu ms over a 100 ms pause",
		      (unsigned long long)(after - held) / 10000);
	e = next_event("state");
	ck_assert_str_eq(get_str(e, "state"), "running");
	ck_assert_str_eq(get_str(e, "previous"), "paused");
	json_object_put(e);
	json_object_put(rpc_ok(t, "vm.resume", NULL));
	tc_quiet(ev, 50);
}
END_TEST

/* r's error data is exactly {key: value}: an object, as every error's data is. */
static void data_is(struct json_object *r, const char *key, const char *value)
{
	struct json_object *d = get(get(r, "error"), "data");

	ck_assert_msg(json_object_is_type(d, json_type_object) && json_object_object_length(d) == 1 &&
			      get_str(d, key) && !strcmp(get_str(d, key), value),
		      "data is not {\"%s\": \"%s\"}: %s", key, value, json_object_to_json_string(r));
}

START_TEST(without_guest_drivers)
{
	struct json_object *r;

	r = rpc_err(t, "vm.shutdown", NULL, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "shutdown integration component"));
	data_is(r, "device", "shutdown");
	json_object_put(r);
	r = rpc_err(t, "guest.heartbeat", NULL, MGMT_ERR_NO_DEVICE);
	data_is(r, "device", "heartbeat");
	json_object_put(r);
	r = rpc_err(t, "kvp.list", NULL, MGMT_ERR_NO_DEVICE);
	data_is(r, "device", "kvp");
	json_object_put(r);
	r = rpc_err(t, "guest.thaw", NULL, MGMT_ERR_NO_DEVICE);
	data_is(r, "device", "vss");
	json_object_put(r);
	r = rpc_err(t, "guest.copy_file", "{\"path\":\"/a\",\"guest_path\":\"/b\"}", MGMT_ERR_NO_DEVICE);
	data_is(r, "device", "fcopy");
	json_object_put(r);
	json_object_put(rpc_err(t, "vm.shutdown", "{\"timeout_s\":0}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "vm.shutdown", "{\"timeout_s\":\"5\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "vm.shutdown", "{\"timeout\":5}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "guest.heartbeat", NULL, MGMT_ERR_NO_DEVICE));
	/* KVP needs VMBus */
	r = rpc_err(t, "guest.info", NULL, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "VMBus is off"));
	json_object_put(r);
	json_object_put(rpc_err(t, "kvp.set", "{\"key\":\"k\",\"value\":\"v\"}", MGMT_ERR_NO_DEVICE));
	json_object_put(rpc_err(t, "kvp.set", "{\"pool\":2,\"key\":\"k\",\"value\":\"v\"}", JSONRPC_INVALID_PARAMS));
	/* disks need VMBus */
	r = rpc_err(t, "disk.add", "{\"path\":\"/nonexistent.img\"}", MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "VMBus"));
	json_object_put(r);
	json_object_put(rpc_err(t, "disk.remove", "{\"lun\":0}", MGMT_ERR_NO_DEVICE));
	/* and their parameters are checked first, naming the bad one */
	rpc_bad_param(t, "disk.add", "{\"path\":\"/a\",\"cache\":\"bogus\"}", "cache");
	r = rpc_err(t, "disk.add", "{\"path\":\"/a\",\"format\":\"qcow2\"}", JSONRPC_INVALID_PARAMS);
	check_param(r, "format");
	ck_assert_ptr_nonnull(strstr(json_object_get_string(get(get(r, "error"), "message")), "raw, vhd or vhdx"));
	json_object_put(r);
	rpc_bad_param(t, "disk.add", "{\"path\":\"/a\",\"serial\":\"has space\"}", "serial");
	rpc_bad_param(t, "disk.add", "{\"path\":\"/a\",\"lun\":64}", "lun");
	rpc_bad_param(t, "disk.add", "{\"lun\":1}", "path");
	rpc_bad_param(t, "disk.add", "{\"path\":\"/a\",\"readonly\":\"yes\"}", "readonly");
	rpc_bad_param(t, "disk.remove", "{\"lun\":\"0\"}", "lun");
	json_object_put(rpc_err(t, "disk.remove", "{}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "disk.remove", "{\"lun\":1,\"controller\":8}", JSONRPC_INVALID_PARAMS));
}
END_TEST

START_TEST(stats)
{
	struct json_object *r, *res, *msrs;
	bool found = false;

	ck_assert_int_eq(hv_msr_write(machine.hv, 1, HV_X64_MSR_GUEST_OS_ID, 0x8100000000000000ull), 0);
	r = rpc_ok(t, "vm.stats", NULL);
	res = get(r, "result");
	ck_assert_uint_eq(json_object_array_length(get(res, "vcpus")), 2);
	ck_assert_int_eq(json_object_get_int(get(json_object_array_get_idx(get(res, "vcpus"), 1), "index")), 1);
	ck_assert(has(json_object_array_get_idx(get(res, "vcpus"), 0), "port_io"));
	ck_assert(has(get(res, "totals"), "msr_writes"));
	msrs = get(get(res, "hyperv"), "msrs");
	for (size_t i = 0; i < json_object_array_length(msrs); i++) {
		struct json_object *m = json_object_array_get_idx(msrs, i);

		if (!strcmp(get_str(m, "name"), "GUEST_OS_ID")) {
			found = true;
			ck_assert_str_eq(get_str(m, "msr"), "0x40000000");
			ck_assert_int_eq(json_object_get_int(get(m, "writes")), 1);
		}
	}
	ck_assert(found);
	ck_assert_uint_eq(json_object_array_length(get(res, "storage")), 0);
	ck_assert_uint_eq(json_object_array_length(get(res, "channels")), 0);
	json_object_put(r);
}
END_TEST

START_TEST(poweroff)
{
	struct json_object *r, *e;

	r = rpc_ok(t, "vm.poweroff", NULL);
	ck_assert_int_eq(json_object_object_length(get(r, "result")), 0);
	json_object_put(r);
	e = next_event("state");
	ck_assert_str_eq(get_str(e, "state"), "stopped");
	ck_assert_str_eq(get_str(e, "reason"), "host-stop");
	ck_assert_int_eq(json_object_get_int(get(e, "exit_code")), VM_EXIT_HOST_STOP);
	json_object_put(e);
	ck_assert_int_eq(vm.exit_code, VM_EXIT_HOST_STOP);
}
END_TEST

START_TEST(reset)
{
	struct json_object *e;

	json_object_put(rpc_ok(t, "vm.reset", NULL));
	e = next_event("reset");
	ck_assert_int_eq(json_object_get_int(get(e, "boot")), 2);
	json_object_put(e);
	/* Without KVM the new boot cannot start: the VM stops with an error. */
	e = next_event("state");
	ck_assert_str_eq(get_str(e, "state"), "stopped");
	ck_assert_str_eq(get_str(e, "reason"), "error");
	json_object_put(e);
}
END_TEST

/* The state a VM is in once it has stopped for good, without the loop quitting. */
static void set_stopped(void *opaque)
{
	(void)opaque;
	vm.state = VM_STATE_STOPPED;
}

START_TEST(stopped_vm_refuses)
{
	struct json_object *r;

	loop_call(vm.loop, set_stopped, NULL);
	r = rpc_err(t, "vm.pause", NULL, MGMT_ERR_VM_STATE);
	data_is(r, "state", "stopped");
	json_object_put(r);
	json_object_put(rpc_err(t, "vm.resume", NULL, MGMT_ERR_VM_STATE));
	json_object_put(rpc_err(t, "vm.reset", NULL, MGMT_ERR_VM_STATE));
	json_object_put(rpc_err(t, "vm.poweroff", NULL, MGMT_ERR_VM_STATE));
	json_object_put(rpc_err(t, "disk.add", "{\"path\":\"/a\"}", MGMT_ERR_VM_STATE));
	json_object_put(rpc_ok(t, "vm.info", NULL));
}
END_TEST

/* A crash reported on a vCPU thread (this one): the event carries the crash MSRs,
 * then the VM stops. */
START_TEST(crash_event)
{
	struct hv *hv = machine.hv;
	struct json_object *e;

	ck_assert_int_eq(hv_msr_write(hv, 0, HV_X64_MSR_CRASH_P0, 0x1e), 0);
	ck_assert_int_eq(hv_msr_write(hv, 0, HV_X64_MSR_CRASH_P0 + 1, 0x12345678deadbeefull), 0);
	ck_assert_int_eq(hv_msr_write(hv, 0, HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_NOTIFY), 0);
	e = next_event("crash");
	ck_assert_str_eq(get_str(e, "p0"), "0x000000000000001e");
	ck_assert_str_eq(get_str(e, "p1"), "0x12345678deadbeef");
	ck_assert_str_eq(get_str(e, "ctl"), "0x8000000000000000");
	ck_assert_str_eq(get_str(e, "message"), "");
	ck_assert_str_eq(get_str(e, "action"), "exit");
	json_object_put(e);
	e = next_event("state");
	ck_assert_str_eq(get_str(e, "reason"), "crash");
	json_object_put(e);
}
END_TEST

/* The net.* methods check their parameters, then need the adapter (or VMBus). */
START_TEST(net_methods)
{
	struct json_object *r;

	json_object_put(rpc_err(t, "net.add", NULL, JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "net.add", "{\"tap\":\"t0\",\"mtu\":67}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "net.add", "{\"tap\":\"t0\",\"mtu\":9203}", JSONRPC_INVALID_PARAMS));
	/* --net's rule, with the limit netvsp sets */
	r = rpc_err(t, "net.add", "{\"tap\":\"t0\",\"mtu\":20000}", JSONRPC_INVALID_PARAMS);
	check_param(r, "mtu");
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "68-9202"));
	json_object_put(r);
	r = rpc_err(t, "net.add", "{\"tap\":\"t0\",\"mtu\":\"1500\"}", JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "an integer 68-9202"));
	json_object_put(r);
	rpc_bad_param(t, "net.add", "{\"tap\":\"a/b\"}", "tap");
	rpc_bad_param(t, "net.add", "{\"tap\":\"t0\",\"mac\":\"01:00:00:00:00:01\"}", "mac");
	rpc_bad_param(t, "net.add", "{\"tap\":\"t0\",\"mac\":\"zz\"}", "mac");
	rpc_bad_param(t, "net.add", "{\"tap\":\"t0\",\"mac\":5}", "mac");
	rpc_bad_param(t, "net.add", "{\"tap\":\"t0\",\"id\":\"a b\"}", "id");
	rpc_bad_param(t, "net.add", "{\"tap\":\"t0\",\"bogus\":1}", "bogus");
	/* This machine has no VMBus. */
	json_object_put(rpc_err(t, "net.add", "{\"tap\":\"t0\"}", MGMT_ERR_NO_DEVICE));
	json_object_put(rpc_err(t, "net.remove", "{}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "net.remove", "{\"id\":\"net0\"}", MGMT_ERR_NO_DEVICE));
	json_object_put(rpc_err(t, "net.set_link", "{\"id\":\"net0\"}", JSONRPC_INVALID_PARAMS));
	rpc_bad_param(t, "net.set_link", "{\"id\":\"net0\",\"up\":1}", "up");
	rpc_bad_param(t, "net.remove", "{\"id\":7}", "id");
	json_object_put(rpc_err(t, "net.set_link", "{\"id\":\"net0\",\"up\":false}", MGMT_ERR_NO_DEVICE));
	loop_call(vm.loop, set_stopped, NULL);
	json_object_put(rpc_err(t, "net.add", "{\"tap\":\"t0\"}", MGMT_ERR_VM_STATE));
	json_object_put(rpc_ok(t, "vm.info", NULL));
}
END_TEST

/* Each family of methods names the parameter at fault in data.param, whether the JSON
 * type is wrong or the value breaks the method's own rule; nothing else is in data. */
START_TEST(bad_params_named)
{
	char text[520], params[600];

	/* methods.c */
	rpc_bad_param(t, "vm.shutdown", "{\"timeout_s\":\"5\"}", "timeout_s");
	rpc_bad_param(t, "vm.shutdown", "{\"timeout_s\":0}", "timeout_s");
	rpc_bad_param(t, "vm.info", "{\"verbose\":true}", "verbose");
	/* mgmt.c */
	rpc_bad_param(t, "events.subscribe", "{\"types\":\"state\"}", "types");
	rpc_bad_param(t, "events.subscribe", "{\"types\":[]}", "types");
	/* guest_methods.c: the parameters come before the guest's KVP */
	rpc_bad_param(t, "kvp.list", "{\"pool\":4}", "pool");
	rpc_bad_param(t, "kvp.get", "{\"pool\":\"0\",\"key\":\"k\"}", "pool");
	rpc_bad_param(t, "kvp.get", "{}", "key");
	rpc_bad_param(t, "kvp.get", "{\"key\":3}", "key");
	rpc_bad_param(t, "kvp.set", "{\"pool\":2,\"key\":\"k\",\"value\":\"v\"}", "pool");
	rpc_bad_param(t, "kvp.set", "{\"key\":\"k\",\"value\":5}", "value");
	rpc_bad_param(t, "kvp.set", "{\"key\":\"k\"}", "value");
	rpc_bad_param(t, "kvp.delete", "{\"pool\":1,\"key\":\"k\"}", "pool");
	rpc_bad_param(t, "guest.ip", "{\"mac\":\"zz\"}", "mac");
	rpc_bad_param(t, "guest.ip", "{\"mac\":[]}", "mac");
	/* vss_methods.c */
	rpc_bad_param(t, "guest.freeze", "{\"timeout_s\":0}", "timeout_s");
	rpc_bad_param(t, "guest.freeze", "{\"timeout_s\":true}", "timeout_s");
	/* fcopy_methods.c */
	rpc_bad_param(t, "guest.copy_file", "{\"path\":\"/a\"}", "guest_path");
	rpc_bad_param(t, "guest.copy_file", "{\"path\":\"a\",\"guest_path\":\"/b\"}", "path");
	rpc_bad_param(t, "guest.copy_file", "{\"path\":\"/a\",\"guest_path\":\"b\"}", "guest_path");
	rpc_bad_param(t, "guest.copy_file", "{\"path\":\"/a\",\"guest_path\":\"/b\",\"overwrite\":1}", "overwrite");
	/* screen_methods.c */
	rpc_bad_param(t, "screen.screenshot", "{\"path\":\"shot.png\"}", "path");
	rpc_bad_param(t, "screen.screenshot", "{\"path\":1}", "path");
	/* input_methods.c; neither text nor keys: no one parameter is at fault */
	rpc_bad_param(t, "input.send_keys", "{}", NULL);
	rpc_bad_param(t, "input.send_keys", "{\"text\":\"a\\u0001\"}", "text");
	rpc_bad_param(t, "input.send_keys", "{\"keys\":\"ctrl+nokey\"}", "keys");
	rpc_bad_param(t, "input.send_keys", "{\"keys\":7}", "keys");
	/* 1024 presses and releases at most: 513 characters are 1026 */
	memset(text, 'a', 513);
	text[513] = 0;
	snprintf(params, sizeof(params), "{\"text\":\"%s\"}", text);
	rpc_bad_param(t, "input.send_keys", params, "text");
	rpc_bad_param(t, "input.pointer", "{\"buttons\":\"left+left\"}", "buttons");
	rpc_bad_param(t, "input.pointer", "{\"x\":32768}", "x");
	rpc_bad_param(t, "input.pointer", "{\"wheel\":\"up\"}", "wheel");
}
END_TEST

/* Every registered method answers params of the wrong form (an array) and an unknown
 * parameter alike: -32602 with data {"param": null} and {"param": name}. */
/* The CD/DVD drive on a bus no guest connected to: the methods change the medium the
 * drive model holds, and vm.info shows it. */
struct cd_setup {
	char iso[160], bad[160];
	int r;
	char err[256];
};

static void cd_setup_on_loop(void *opaque)
{
	struct cd_setup *c = opaque;

	machine.vmbus = vmbus_new(vm.loop, &vm.mem, machine.hv, 2);
	ck_assert_ptr_nonnull(machine.vmbus);
	c->r = machine_add_cdrom(&machine, c->iso, c->err, sizeof(c->err));
}

static void cd_teardown_on_loop(void *opaque)
{
	(void)opaque;
	vmbus_free(machine.vmbus);
	storvsp_free(machine.storvsp[0]);
	machine.storvsp[0] = NULL;
	machine.vmbus = NULL;
	free(machine.cdrom.path);
	memset(&machine.cdrom, 0, sizeof(machine.cdrom));
}

static void make_file(const char *p, off_t size)
{
	int f = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(ftruncate(f, size), 0);
	close(f);
}

static struct json_object *scsi0_cdrom(void)
{
	struct json_object *r = rpc_ok(t, "vm.info", NULL), *devs, *cd = NULL;

	devs = get(get(r, "result"), "devices");
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);

		if (!strcmp(get_str(d, "kind"), "scsi"))
			cd = json_object_get(get(d, "cdrom"));
	}
	json_object_put(r);
	ck_assert_ptr_nonnull(cd);
	return cd;
}

START_TEST(cdrom_methods)
{
	struct cd_setup c = { .r = -1 };
	struct json_object *r, *cd, *chans;
	char params[256];

	/* No drive yet. */
	r = rpc_err(t, "cdrom.eject", NULL, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "--cdrom"));
	json_object_put(r);
	rpc_bad_param(t, "cdrom.insert", "{}", "path");
	rpc_bad_param(t, "cdrom.insert", "{\"path\":\"\"}", "path");
	rpc_bad_param(t, "cdrom.eject", "{\"force\":\"yes\"}", "force");

	snprintf(c.iso, sizeof(c.iso), "%s/a.iso", dir);
	snprintf(c.bad, sizeof(c.bad), "%s/b.iso", dir);
	make_file(c.iso, 8 * 2048);
	make_file(c.bad, 8 * 2048 + 1);
	loop_call(vm.loop, cd_setup_on_loop, &c);
	ck_assert_msg(c.r == 0, "%s", c.err);

	/* The drive's controller offers one channel; vm.stats counts its traffic. */
	r = rpc_ok(t, "vm.stats", NULL);
	chans = get(get(r, "result"), "channels");
	ck_assert_uint_eq(json_object_array_length(chans), 1);
	ck_assert_str_eq(get_str(json_object_array_get_idx(chans, 0), "name"), "storvsc");
	ck_assert_int_ge(json_object_get_int(get(json_object_array_get_idx(chans, 0), "relid")), 1);
	ck_assert_int_eq(json_object_get_int64(get(json_object_array_get_idx(chans, 0), "signals_in")), 0);
	ck_assert_int_eq(json_object_get_int64(get(json_object_array_get_idx(chans, 0), "packets_out")), 0);
	json_object_put(r);

	cd = scsi0_cdrom();
	ck_assert_str_eq(get_str(cd, "medium"), c.iso);
	ck_assert_int_eq(json_object_get_int64(get(cd, "size_bytes")), 8 * 2048);
	ck_assert_int_eq(json_object_get_int(get(cd, "lun")), 0);
	ck_assert(!json_object_get_boolean(get(cd, "locked")));
	json_object_put(cd);

	r = rpc_ok(t, "cdrom.eject", NULL);
	ck_assert(json_object_is_type(get(get(r, "result"), "medium"), json_type_null));
	json_object_put(r);
	cd = scsi0_cdrom();
	ck_assert(json_object_is_type(get(cd, "medium"), json_type_null));
	json_object_put(cd);

	/* Bad media: named, with errno; the drive stays empty. */
	snprintf(params, sizeof(params), "{\"path\":\"%s\"}", c.bad);
	r = rpc_err(t, "cdrom.insert", params, MGMT_ERR_FAILED);
	ck_assert_ptr_nonnull(strstr(get_str(get(r, "error"), "message"), "2048-byte"));
	ck_assert_str_eq(get_str(get(get(r, "error"), "data"), "path"), c.bad);
	ck_assert_int_eq(json_object_get_int(get(get(get(r, "error"), "data"), "errno")), EINVAL);
	json_object_put(r);
	r = rpc_err(t, "cdrom.insert", "{\"path\":\"/nonexistent.iso\"}", MGMT_ERR_FAILED);
	ck_assert_int_eq(json_object_get_int(get(get(get(r, "error"), "data"), "errno")), ENOENT);
	json_object_put(r);

	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"force\":false}", c.iso);
	r = rpc_ok(t, "cdrom.insert", params);
	ck_assert_str_eq(get_str(get(r, "result"), "medium"), c.iso);
	json_object_put(r);
	cd = scsi0_cdrom();
	ck_assert_str_eq(get_str(cd, "medium"), c.iso);
	json_object_put(cd);

	unlink(c.iso);
	unlink(c.bad);
	loop_call(vm.loop, cd_teardown_on_loop, NULL);
}
END_TEST

/* The storage as the machine attaches it at start: the configuration's disks, then its
 * CD/DVD drive. */
struct storage_setup {
	int code;
	int detached[2];
};

static void storage_on_loop(void *opaque)
{
	struct storage_setup *s = opaque;

	machine.vmbus = vmbus_new(vm.loop, &vm.mem, machine.hv, 2);
	s->code = machine.vmbus ? machine_attach_storage(&machine) : -1;
}

static void storage_teardown_on_loop(void *opaque)
{
	struct storage_setup *s = opaque;
	char err[256];

	for (unsigned i = 0; i < cfg.ndisks; i++)
		s->detached[i] = machine_detach_disk(&machine, cfg.disks[i].controller, cfg.disks[i].lun, err,
						     sizeof(err));
	cd_teardown_on_loop(NULL);
}

/* Disks at LUNs 0 and 2 of controller 0 and a CD/DVD drive: the LUN the machine puts the
 * drive on is the one the firmware's boot order names for it (the hole, LUN 1). */
START_TEST(cdrom_lun_is_the_boot_order_lun)
{
	static const unsigned luns[2] = { 0, 2 };
	struct storage_setup s = { .code = -1, .detached = { -1, -1 } };
	struct json_object *cd;
	char file[160], buf[512];
	const char *at;
	unsigned boot_lun = CONFIG_MAX_LUNS;
	long n;

	cfg.disks = calloc(2, sizeof(cfg.disks[0]));
	ck_assert_ptr_nonnull(cfg.disks);
	for (unsigned i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/d%u.img", dir, i);
		make_file(file, 1 << 20);
		cfg.disks[i] = (struct disk_config){
			.path = strdup(file), .format = DISK_FORMAT_RAW, .controller = 0, .lun = luns[i],
		};
		cfg.ndisks++;
	}
	snprintf(file, sizeof(file), "%s/cd.iso", dir);
	make_file(file, 8 * 2048);
	cfg.cdrom = true;
	cfg.cdrom_path = strdup(file);
	cfg.boot[0] = CONFIG_BOOT_CDROM;
	cfg.nboot = 1;

	/* the line of the CD in the firmware's "bootorder" */
	n = pc_fw_bootorder(&cfg, PC_FW_OPTION_ROM_DEVFN, buf, sizeof(buf));
	ck_assert_int_eq(n, (long)strlen(buf) + 1);
	ck_assert_msg(strchr(buf, '\n') == buf + strlen(buf) - 1, "one line: %s", buf);
	at = strstr(buf, "/scsi@0/channel@0/disk@0,");
	ck_assert_msg(at && sscanf(at, "/scsi@0/channel@0/disk@0,%x", &boot_lun) == 1, "%s", buf);
	ck_assert_uint_eq(boot_lun, 1);

	/* the LUN the machine attached the drive to */
	loop_call(vm.loop, storage_on_loop, &s);
	ck_assert_int_eq(s.code, 0);
	ck_assert(machine.cdrom.present);
	ck_assert_uint_eq(machine.cdrom.controller, 0);
	ck_assert_uint_eq(machine.cdrom.lun, boot_lun);
	ck_assert(machine_lun_taken(&machine, 0, 0) && machine_lun_taken(&machine, 0, 2));
	cd = scsi0_cdrom();
	ck_assert_int_eq(json_object_get_int(get(cd, "lun")), (int)boot_lun);
	json_object_put(cd);

	loop_call(vm.loop, storage_teardown_on_loop, &s);
	ck_assert_int_eq(s.detached[0], 0);
	ck_assert_int_eq(s.detached[1], 0);
	for (unsigned i = 0; i < 2; i++)
		unlink(cfg.disks[i].path);
	unlink(cfg.cdrom_path);
}
END_TEST

START_TEST(every_method_one_error_shape)
{
	static const char *const families[] = { "vm.info", "guest.heartbeat", "disk.add", "net.add", "input.pointer",
						"screen.screenshot", "kvp.get", "guest.freeze", "guest.copy_file",
						"events.subscribe" };
	const char *names[128];
	char *first = NULL;
	unsigned n = 0;

	for (const struct mgmt_method *m = mgmt->methods; m; m = m->next) {
		ck_assert_uint_lt(n, sizeof(names) / sizeof(names[0]));
		names[n++] = m->name;
	}
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		bool found = false;

		for (unsigned i = 0; i < n && !found; i++)
			found = !strcmp(names[i], families[f]);
		ck_assert_msg(found, "%s is not registered", families[f]);
	}
	for (unsigned i = 0; i < n; i++) {
		struct json_object *r = rpc_err(t, names[i], "[1]", JSONRPC_INVALID_PARAMS);

		check_param(r, NULL);
		/* and the same words from every method */
		if (!first)
			first = strdup(get_str(get(r, "error"), "message"));
		ck_assert_msg(!strcmp(get_str(get(r, "error"), "message"), first), "%s: %s", names[i],
			      json_object_to_json_string(r));
		json_object_put(r);
		rpc_bad_param(t, names[i], "{\"no_such_parameter\":{}}", "no_such_parameter");
	}
	free(first);
	/* nothing happened meanwhile */
	ck_assert_int_eq(vm_get_state(&vm), VM_STATE_RUNNING);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mgmt_methods");
	TCase *tc = tcase_create("vm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, info);
	tcase_add_test(tc, pause_resume);
	tcase_add_test(tc, without_guest_drivers);
	tcase_add_test(tc, stats);
	tcase_add_test(tc, poweroff);
	tcase_add_test(tc, reset);
	tcase_add_test(tc, stopped_vm_refuses);
	tcase_add_test(tc, crash_event);
	tcase_add_test(tc, net_methods);
	tcase_add_test(tc, bad_params_named);
	tcase_add_test(tc, every_method_one_error_shape);
	tcase_add_test(tc, cdrom_methods);
	tcase_add_test(tc, cdrom_lun_is_the_boot_order_lun);
	suite_add_tcase(s, tc);
	return test_main(s);
}
