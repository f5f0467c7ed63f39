/* SPDX-License-Identifier: MIT */
/* The configuration model's helpers: MAC addresses, given and derived. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "testutil.h"

static char dir[64], kernel_path[96];

/* ---- the command line ------------------------------------------------------------ */

struct run {
	enum cli_result r;
	struct vm_config cfg;
	char err[512];
	char *out;
	size_t outlen;
};

static struct run run;

static void run_free(void)
{
	config_free(&run.cfg);
	free(run.out);
	memset(&run, 0, sizeof(run));
}

static void parse(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	FILE *f;

	run_free();
	config_init(&run.cfg);
	argv[argc++] = "hvkvm";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, 63);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	f = open_memstream(&run.out, &run.outlen);
	ck_assert_ptr_nonnull(f);
	run.r = cli_parse(argc, argv, &run.cfg, f, run.err, sizeof(run.err));
	fclose(f);
}

#define assert_run_ok() ck_assert_msg(run.r == CLI_RUN, "cli_parse: %d (%s)", run.r, run.err)

static void teardown(void)
{
	run_free();
}

/* ---- MACs ------------------------------------------------------------------------ */

START_TEST(parse_mac)
{
	uint8_t mac[6] = { 9, 9, 9, 9, 9, 9 };
	char buf[18];

	ck_assert_int_eq(config_parse_mac("52:54:00:AB:cd:0F", mac), 0);
	ck_assert_mem_eq(mac, ((uint8_t[]){ 0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f }), 6);
	config_format_mac(mac, buf);
	ck_assert_str_eq(buf, "52:54:00:ab:cd:0f");
	ck_assert_int_eq(config_parse_mac("02:00:00:00:00:00", mac), 0);
	ck_assert_int_eq(config_parse_mac("fe:ff:ff:ff:ff:ff", mac), 0);
	memset(mac, 9, 6);
	ck_assert_int_eq(config_parse_mac("01:00:00:00:00:00", mac), -EADDRNOTAVAIL);
	ck_assert_int_eq(config_parse_mac("ff:ff:ff:ff:ff:ff", mac), -EADDRNOTAVAIL);
	ck_assert_int_eq(config_parse_mac("00:00:00:00:00:00", mac), -EADDRNOTAVAIL);
	ck_assert_int_eq(config_parse_mac("52:54:00:ab:cd:0", mac), -EINVAL);
	ck_assert_int_eq(config_parse_mac("52:54:00:ab:cd:0ff", mac), -EINVAL);
	ck_assert_int_eq(config_parse_mac("52:54:00:ab:cd-0f", mac), -EINVAL);
	ck_assert_int_eq(config_parse_mac("52:54:00:ab:cd:0x", mac), -EINVAL);
	ck_assert_int_eq(config_parse_mac("5254:00:ab:cd:0f:", mac), -EINVAL);
	ck_assert_int_eq(config_parse_mac("", mac), -EINVAL);
	ck_assert_int_eq(config_parse_mac(NULL, mac), -EINVAL);
	ck_assert_mem_eq(mac, ((uint8_t[]){ 9, 9, 9, 9, 9, 9 }), 6);
}
END_TEST

START_TEST(default_mac)
{
	uint8_t a[6], b[6], seen[1000][6];
	char buf[18];

	/* A function of its inputs only, and the same on every build: MACs must survive
	 * restarts and upgrades, or guests lose their DHCP leases and udev names. */
	config_default_mac("web-1", 0, a);
	config_format_mac(a, buf);
	ck_assert_str_eq(buf, "5a:08:19:b4:80:a1");
	config_default_mac("web-1", 0, b);
	ck_assert_mem_eq(a, b, 6);
	config_default_mac("tap0", 0, a);
	config_format_mac(a, buf);
	ck_assert_str_eq(buf, "d6:2d:24:5b:67:1e");
	/* A NULL seed is the empty one. */
	config_default_mac(NULL, 3, a);
	config_default_mac("", 3, b);
	ck_assert_mem_eq(a, b, 6);
	/* Unicast, locally administered, never zero; different for other indices and seeds. */
	for (unsigned i = 0; i < 1000; i++) {
		config_default_mac(i % 2 ? "web-1" : "web-2", i / 2, seen[i]);
		ck_assert_uint_eq(seen[i][0] & 3, 2);
		ck_assert_int_eq(config_parse_mac((config_format_mac(seen[i], buf), buf), a), 0);
		for (unsigned j = 0; j < i; j++)
			ck_assert_msg(memcmp(seen[i], seen[j], 6), "MACs %u and %u are equal", i, j);
	}
	/* Seed and index do not blur into each other. */
	config_default_mac("a", 0x62, a);
	config_default_mac("ab", 0, b);
	ck_assert(memcmp(a, b, 6));
}
END_TEST

START_TEST(net_mac)
{
	uint8_t mac[6], want[6];

	parse("--kernel", kernel_path, "--net", "tap=t0", "--net", "tap=t1,mac=02:00:00:00:00:07",
	      "--net", "tap=t2", NULL);
	assert_run_ok();
	/* No name: from the tap alone, so it follows the tap whatever its place. */
	config_net_mac(&run.cfg, 0, mac);
	config_default_mac("t0", 0, want);
	ck_assert_mem_eq(mac, want, 6);
	config_net_mac(&run.cfg, 2, mac);
	config_default_mac("t2", 0, want);
	ck_assert_mem_eq(mac, want, 6);
	config_net_mac(&run.cfg, 1, mac);
	ck_assert_mem_eq(mac, ((uint8_t[]){ 2, 0, 0, 0, 0, 7 }), 6);
	/* With a name: from the name and the adapter's position. */
	parse("--kernel", kernel_path, "--name", "db", "--net", "tap=t0", "--net", "tap=t1", NULL);
	assert_run_ok();
	config_net_mac(&run.cfg, 0, mac);
	config_default_mac("db", 0, want);
	ck_assert_mem_eq(mac, want, 6);
	config_net_mac(&run.cfg, 1, mac);
	config_default_mac("db", 1, want);
	ck_assert_mem_eq(mac, want, 6);
}
END_TEST

static void make_file(char *path, size_t len, const char *name)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs("x", f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(EXIT_FAILURE);
	}
}

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc;
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/hvkvm-test-config-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	make_file(kernel_path, sizeof(kernel_path), "vmlinuz");

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, parse_mac);
	tcase_add_test(tc, default_mac);
	tcase_add_test(tc, net_mac);
	suite_add_tcase(s, tc);

	ret = test_main(s);
	unlink(kernel_path);
	rmdir(dir);
	return ret;
}
