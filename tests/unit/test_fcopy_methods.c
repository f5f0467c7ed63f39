/* SPDX-License-Identifier: MIT */
/*
 * guest.copy_file over a real management socket, end to end: the method
 * (src/mgmt/fcopy_methods.c), the file copy integration component and a simulated
 * guest whose hv_fcopy_daemon answers on a thread of its own (fcopy_guest.c).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcopy_guest.h"
#include "ic.h"
#include "ic_fcopy.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus_guest.h"

#define RAM		(16ull << 20)
#define RING_GPA	(VG_RAM_START + 0x100000ull)
#define BIG		(1u << 20)

static char dir[64], path[128], root[128], src[128];
static struct vg g;
static struct vg_chan ch;
static struct fcopy_guest fg;
static struct vm vm;
static struct machine machine;
static struct mgmt *mgmt;
static struct mgmt_fcopy *mf;
static struct vm_config cfg;
static struct vmbus_msg_offer_channel offer;
static struct tc *t;

struct st_call {
	struct ic_status st;
};

static void get_status(void *opaque)
{
	ic_get_status(machine.ic_fcopy, &((struct st_call *)opaque)->st);
}

static struct ic_status fc_status(void)
{
	struct st_call c;

	vg_call(&g, get_status, &c);
	return c.st;
}

static void setup(void)
{
	char err[256];

	strcpy(dir, "/tmp/hvkvm-fcm-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	snprintf(root, sizeof(root), "%s/guest", dir);
	snprintf(src, sizeof(src), "%s/src.bin", dir);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	vg_init(&g, RAM, 1);
	memset(&vm, 0, sizeof(vm));
	vm.loop = g.loop;
	vm.state = VM_STATE_RUNNING;
	memset(&machine, 0, sizeof(machine));
	config_init(&cfg);
	machine.cfg = &cfg;
	machine.vm = &vm;
	machine.vmbus = g.bus;
	machine.ic_fcopy = ic_fcopy_new(g.bus, g.loop);
	ck_assert_ptr_nonnull(machine.ic_fcopy);
	mgmt = mgmt_new(g.loop);
	mf = mgmt_fcopy_methods_new(mgmt, &machine);
	ck_assert_ptr_nonnull(mf);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, &offer, 1), 1);
	memset(&ch, 0, sizeof(ch));
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, 0x100, RING_GPA, 4, 4, 0), 0);
	fcopy_guest_init(&fg, &ch, root);
	fcopy_guest_start(&fg);
	ck_assert(WAIT_UNTIL(fc_status().negotiated, VG_TMO));
	t = tc_open(path);
}

static void teardown(void)
{
	char cmd[128];

	tc_close(t);
	fcopy_guest_fini(&fg);
	vg_stop(&g);
	mgmt_fcopy_methods_free(mf);
	mgmt_free(mgmt, 0);
	ic_free(machine.ic_fcopy);
	vg_destroy(&g);
	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void make_src(const char *p, size_t size, unsigned seed)
{
	uint8_t *b = malloc(size ? size : 1);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(f);
	srand(seed);
	for (size_t i = 0; i < size; i++)
		b[i] = (uint8_t)rand();
	ck_assert_uint_eq(fwrite(b, 1, size, f), size);
	fclose(f);
	free(b);
}

static bool same_file(const char *a, const char *b)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static struct json_object *copy(const char *params, int code)
{
	char line[8192];

	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"guest.copy_file\",\"params\":%s,\"id\":1}",
		 params);
	return code ? expect_error(t, line, code, "1") : call_ok(t, line);
}

static const char *str(struct json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

static const char *err_msg(struct json_object *r)
{
	return str(get(r, "error"), "message");
}

START_TEST(copy_and_exists)
{
	char params[512], guest[256];
	struct json_object *r, *d;

	make_src(src, BIG + 1234, 1);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/big.bin\"}", src);
	r = copy(params, 0);
	ck_assert_int_eq(json_object_get_int64(get(get(r, "result"), "bytes")), BIG + 1234);
	ck_assert_str_eq(str(get(r, "result"), "guest_path"), "/big.bin");
	json_object_put(r);
	snprintf(guest, sizeof(guest), "%s/big.bin", root);
	ck_assert(same_file(src, guest));
	/* 171 WRITEs of 6 KiB, START and COMPLETE */
	ck_assert_uint_eq(fg.ops[1], (BIG + 1234 + 6143) / 6144);

	/* again without overwrite: the guest's status, named */
	make_src(src, 1000, 2);
	r = copy(params, MGMT_ERR_FAILED);
	d = get(get(r, "error"), "data");
	ck_assert_str_eq(str(d, "status"), "0x80070050");
	ck_assert_str_eq(str(d, "status_name"), "ERROR_ALREADY_EXISTS");
	ck_assert_str_eq(str(d, "stage"), "start");
	ck_assert_ptr_nonnull(strstr(err_msg(r), "overwrite=true"));
	json_object_put(r);
	ck_assert(!same_file(src, guest));
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/big.bin\",\"overwrite\":true}", src);
	json_object_put(copy(params, 0));
	ck_assert(same_file(src, guest));

	/* into a directory that is not there, then with create_path */
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/new/dir/f\"}", src);
	r = copy(params, MGMT_ERR_FAILED);
	ck_assert_str_eq(str(get(get(r, "error"), "data"), "status_name"), "E_FAIL");
	ck_assert_ptr_nonnull(strstr(err_msg(r), "create_path=true"));
	json_object_put(r);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/new/dir/f\",\"create_path\":true}", src);
	json_object_put(copy(params, 0));
	snprintf(guest, sizeof(guest), "%s/new/dir/f", root);
	ck_assert(same_file(src, guest));
}
END_TEST

START_TEST(disk_full)
{
	char params[512], guest[256];
	struct json_object *r, *d;

	make_src(src, 100000, 3);
	fg.fail_write_at = 3;
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/full\"}", src);
	r = copy(params, MGMT_ERR_FAILED);
	d = get(get(r, "error"), "data");
	ck_assert_str_eq(str(d, "status_name"), "ERROR_DISK_FULL");
	ck_assert_str_eq(str(d, "stage"), "write");
	ck_assert_int_eq(json_object_get_int(get(d, "bytes")), 2 * 6144);
	json_object_put(r);
	/* the partial file is removed by the CANCEL that followed (the fake guest counts a
	 * request as it takes it, before it acts on it: the removal is the event to wait for) */
	snprintf(guest, sizeof(guest), "%s/full", root);
	ck_assert(WAIT_UNTIL(fg.ops[3] == 1 && access(guest, F_OK) != 0, VG_TMO));
}
END_TEST

/* hv_utils fails a WRITE with E_FAIL when it lost the daemon's answer: the WRITE goes
 * again and the copy completes; failed three times, the error says so. */
START_TEST(write_fails)
{
	char params[512], guest[256];
	struct json_object *r, *d;

	make_src(src, 100000, 3);
	fg.fail_write_at = 2;
	fg.fail_status = 0x80004005u;
	fg.fail_times = 2;
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/again\"}", src);
	r = copy(params, 0);
	ck_assert_int_eq(json_object_get_int64(get(get(r, "result"), "bytes")), 100000);
	json_object_put(r);
	ck_assert_uint_eq(fg.ops[1], 17 + 2);
	snprintf(guest, sizeof(guest), "%s/again", root);
	ck_assert(same_file(src, guest));

	fg.fail_write_at = fg.ops[1] + 2;
	fg.fail_times = 3;
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/never\"}", src);
	r = copy(params, MGMT_ERR_FAILED);
	d = get(get(r, "error"), "data");
	ck_assert_str_eq(str(d, "status"), "0x80004005");
	ck_assert_str_eq(str(d, "stage"), "write");
	ck_assert_int_eq(json_object_get_int(get(d, "bytes")), 6144);
	ck_assert_int_eq(json_object_get_int(get(d, "tries")), 3);
	json_object_put(r);
	ck_assert(WAIT_UNTIL(fg.ops[3] == 1, VG_TMO));
}
END_TEST

START_TEST(host_file_errors)
{
	char params[512];
	struct json_object *r;

	snprintf(params, sizeof(params), "{\"path\":\"%s/nope\",\"guest_path\":\"/x\"}", dir);
	r = copy(params, MGMT_ERR_FAILED);
	ck_assert_int_eq(json_object_get_int(get(get(get(r, "error"), "data"), "errno")), ENOENT);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "No such file"));
	json_object_put(r);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/x\"}", dir);
	r = copy(params, MGMT_ERR_FAILED);
	ck_assert_int_eq(json_object_get_int(get(get(get(r, "error"), "data"), "errno")), EISDIR);
	json_object_put(r);
	r = copy("{\"path\":\"/dev/null\",\"guest_path\":\"/x\"}", MGMT_ERR_FAILED);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "not a regular file"));
	json_object_put(r);
	/* nothing reached the guest */
	ck_assert_uint_eq(fg.ops[0], 0);
}
END_TEST

START_TEST(bad_params)
{
	char params[1024], big[300];

	make_src(src, 10, 4);
	json_object_put(copy("{\"guest_path\":\"/x\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(copy("{\"path\":\"rel.bin\",\"guest_path\":\"/x\"}", JSONRPC_INVALID_PARAMS));
#define BAD(gp) do {										\
		snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"%s\"}", src, gp);	\
		json_object_put(copy(params, JSONRPC_INVALID_PARAMS));				\
	} while (0)
	BAD("x");
	BAD("/dir/");
	BAD("/");
	BAD("/a/..");
	BAD("/a\\u0000b");
	big[0] = '/';
	memset(big + 1, 'n', 260);
	big[261] = 0;
	BAD(big);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/x\",\"overwrite\":\"yes\"}", src);
	json_object_put(copy(params, JSONRPC_INVALID_PARAMS));
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/x\",\"other\":1}", src);
	json_object_put(copy(params, JSONRPC_INVALID_PARAMS));
	ck_assert_uint_eq(fg.ops[0], 0);
#undef BAD
}
END_TEST

START_TEST(unavailable)
{
	char params[512];
	struct json_object *r;

	make_src(src, 10, 5);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/x\"}", src);
	vm.state = VM_STATE_PAUSED;
	r = copy(params, MGMT_ERR_VM_STATE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "paused"));
	json_object_put(r);
	vm.state = VM_STATE_RUNNING;
	/* the guest's driver closes its channel */
	fcopy_guest_stop(&fg);
	vg_close(&g, &ch);
	r = copy(params, MGMT_ERR_NO_DEVICE);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "no driver"));
	json_object_put(r);
}
END_TEST

START_TEST(no_daemon)
{
	char params[512];
	struct json_object *r;

	fg.daemon = false;
	make_src(src, 10, 6);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/x\"}", src);
	r = copy(params, MGMT_ERR_FAILED);
	ck_assert_ptr_nonnull(strstr(err_msg(r), "hv_fcopy_daemon"));
	ck_assert_str_eq(str(get(get(r, "error"), "data"), "status"), "0x80004005");
	json_object_put(r);
}
END_TEST

START_TEST(busy_and_client_gone)
{
	char params[512], line[1024];
	struct json_object *r;

	make_src(src, 20000, 7);
	snprintf(params, sizeof(params), "{\"path\":\"%s\",\"guest_path\":\"/g\"}", src);
	/* the daemon hangs: the call waits */
	fcopy_guest_stop(&fg);
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"guest.copy_file\",\"params\":%s,\"id\":5}",
		 params);
	tc_send(t, line);
	ck_assert(WAIT_UNTIL(fc_status().queued == 1, VG_TMO));
	/* one copy at a time */
	{
		struct tc *t2 = tc_open(path);

		r = expect_error(t2, line, MGMT_ERR_BUSY, "5");
		ck_assert_ptr_nonnull(strstr(err_msg(r), "one at a time"));
		json_object_put(r);
		tc_close(t2);
	}
	/* the client goes away: the guest is told to cancel, and the next copy works */
	tc_close(t);
	t = tc_open(path);
	fcopy_guest_start(&fg);
	ck_assert(WAIT_UNTIL(fg.ops[3] == 1, VG_TMO));
	r = copy(params, 0);
	ck_assert_int_eq(json_object_get_int(get(get(r, "result"), "bytes")), 20000);
	json_object_put(r);
	ck_assert_uint_eq(fg.ops[0], 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fcopy_methods");
	TCase *tc = tcase_create("copy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, copy_and_exists);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, write_fails);
	tcase_add_test(tc, host_file_errors);
	tcase_add_test(tc, bad_params);
	tcase_add_test(tc, unavailable);
	tcase_add_test(tc, no_daemon);
	tcase_add_test(tc, busy_and_client_gone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
