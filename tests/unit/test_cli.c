/* SPDX-License-Identifier: MIT */
/* The command line: every option in both spellings, defaults, and the message each
 * bad input produces. */
#include <check.h>
#include <fcntl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "hvkvm-config.h"
#include "testutil.h"

#ifndef HVKVM_VERSION
#define HVKVM_VERSION "0.0.0"	/* cli.c's fallback; meson defines it for both */
#endif

static char kernel_path[64], initrd_path[64];

/* The result of one cli_parse() over "hvkvm" followed by the given arguments. */
struct run {
	enum cli_result r;
	struct vm_config cfg;
	char err[256];
	char *out;
	size_t outlen;
};

static struct run run;

static void parse_argv(int argc, char **argv)
{
	FILE *f;

	config_free(&run.cfg);
	free(run.out);
	memset(&run, 0, sizeof(run));
	config_init(&run.cfg);
	memset(run.err, 'x', sizeof(run.err) - 1);	/* cli_parse must clear it */
	f = open_memstream(&run.out, &run.outlen);
	ck_assert_ptr_nonnull(f);
	run.r = cli_parse(argc, argv, &run.cfg, f, run.err, sizeof(run.err));
	fclose(f);
}

/* parse("--memory", "2G", NULL) */
static void parse(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "hvkvm";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, 31);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	parse_argv(argc, argv);
}

static void cleanup(void)
{
	config_free(&run.cfg);
	free(run.out);
	memset(&run, 0, sizeof(run));
}

#define assert_ok() do {							\
	ck_assert_msg(run.r == CLI_RUN, "cli_parse: %d (%s)", run.r, run.err);	\
	ck_assert_str_eq(run.err, "");						\
	ck_assert_uint_eq(run.outlen, 0);					\
} while (0)

/* An error whose message contains every given substring. */
static void assert_error(const char *sub, ...)
{
	va_list ap;

	ck_assert_msg(run.r == CLI_ERROR, "cli_parse returned %d, not CLI_ERROR", run.r);
	ck_assert_uint_eq(run.outlen, 0);
	ck_assert_msg(strlen(run.err) > 0 && strlen(run.err) < sizeof(run.err) - 1,
		      "no error message");
	va_start(ap, sub);
	for (const char *s = sub; s; s = va_arg(ap, const char *))
		ck_assert_msg(strstr(run.err, s), "error \"%s\" does not contain \"%s\"",
			      run.err, s);
	va_end(ap);
}

/* ---- defaults and good values ---------------------------------------------------- */

START_TEST(defaults)
{
	parse("--kernel", kernel_path, NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.kernel, kernel_path);
	ck_assert_ptr_null(run.cfg.initrd);
	ck_assert_str_eq(run.cfg.cmdline, "console=ttyS0");
	ck_assert_uint_eq(run.cfg.memory, 512ull << 20);
	ck_assert_uint_eq(run.cfg.cpus, 1);
	ck_assert_int_eq(run.cfg.serial, CONSOLE_STDIO);
	ck_assert_ptr_null(run.cfg.serial_path);
	ck_assert(!run.cfg.no_reboot);
	ck_assert_uint_eq(run.cfg.shutdown_timeout, 90);
	ck_assert_int_eq(run.cfg.log_level, LOG_INFO);
	ck_assert_ptr_null(run.cfg.name);
	ck_assert_ptr_null(run.cfg.api_socket);
	ck_assert(run.cfg.seccomp);
	ck_assert_uint_eq(run.cfg.ndisks, 0);
	ck_assert_uint_eq(run.cfg.nnets, 0);
	cleanup();
}
END_TEST

/* Every option, first as "--opt value", then as "--opt=value". */
static void check_all_options(void)
{
	assert_ok();
	ck_assert_str_eq(run.cfg.kernel, kernel_path);
	ck_assert_str_eq(run.cfg.initrd, initrd_path);
	ck_assert_str_eq(run.cfg.cmdline, "console=ttyS0 root=/dev/sda1 quiet");
	ck_assert_uint_eq(run.cfg.memory, 2ull << 30);
	ck_assert_uint_eq(run.cfg.cpus, 4);
	ck_assert_int_eq(run.cfg.serial, CONSOLE_FILE);
	ck_assert_str_eq(run.cfg.serial_path, "/tmp/serial.log");
	ck_assert(run.cfg.no_reboot);
	ck_assert_uint_eq(run.cfg.shutdown_timeout, 5);
	ck_assert_int_eq(run.cfg.log_level, LOG_DEBUG);
	ck_assert_str_eq(run.cfg.name, "web-1");
	ck_assert_str_eq(run.cfg.api_socket, "/run/hvkvm/web-1.sock");
	ck_assert(!run.cfg.seccomp);
	ck_assert_uint_eq(run.cfg.nnets, 1);
	ck_assert_str_eq(run.cfg.nets[0].tap, "tap0");
	ck_assert_uint_eq(run.cfg.nets[0].mtu, 9000);
}

START_TEST(all_options_separate)
{
	parse("--kernel", kernel_path, "--initrd", initrd_path,
	      "--cmdline", "console=ttyS0 root=/dev/sda1 quiet", "--memory", "2G", "--cpus", "4",
	      "--serial", "file:/tmp/serial.log", "--no-reboot", "--shutdown-timeout", "5",
	      "--log-level", "debug", "--name", "web-1", "--api-socket", "/run/hvkvm/web-1.sock",
	      "--seccomp", "off", "--net", "tap=tap0,mtu=9000", NULL);
	check_all_options();
	cleanup();
}
END_TEST

START_TEST(all_options_equals)
{
	char k[80], i[80];

	snprintf(k, sizeof(k), "--kernel=%s", kernel_path);
	snprintf(i, sizeof(i), "--initrd=%s", initrd_path);
	parse(k, i, "--cmdline=console=ttyS0 root=/dev/sda1 quiet", "--memory=2G", "--cpus=4",
	      "--serial=file:/tmp/serial.log", "--no-reboot", "--shutdown-timeout=5",
	      "--log-level=debug", "--name=web-1", "--api-socket=/run/hvkvm/web-1.sock",
	      "--seccomp=off", "--net=tap=tap0,mtu=9000", NULL);
	check_all_options();
	cleanup();
}
END_TEST

START_TEST(short_memory)
{
	parse("-m", "1G", "--kernel", kernel_path, NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 1ull << 30);
	cleanup();
}
END_TEST

START_TEST(last_one_wins)
{
	parse("--kernel", kernel_path, "--memory", "1G", "--memory=3G", "--cmdline", "a",
	      "--cmdline=b c", "--serial", "file:/x", "--serial", "none", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 3ull << 30);
	ck_assert_str_eq(run.cfg.cmdline, "b c");
	ck_assert_int_eq(run.cfg.serial, CONSOLE_NONE);
	cleanup();
}
END_TEST

START_TEST(cmdline_values)
{
	/* An empty command line, and one that looks like an option. */
	parse("--kernel", kernel_path, "--cmdline", "", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.cmdline, "");
	parse("--kernel", kernel_path, "--cmdline=", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.cmdline, "");
	parse("--cmdline", "--help", "--kernel", kernel_path, NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.cmdline, "--help");
	parse("--kernel", kernel_path, "--cmdline=a=b --x", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.cmdline, "a=b --x");
	cleanup();
}
END_TEST

/* ---- sizes ----------------------------------------------------------------------- */

START_TEST(parse_size)
{
	static const struct { const char *s; int r; uint64_t v; } t[] = {
		{ "512M", 0, 512ull << 20 },
		{ "2G", 0, 2ull << 30 },
		{ "2g", 0, 2ull << 30 },
		{ "1024", 0, 1ull << 30 },	/* bare number: MiB */
		{ "0", 0, 0 },
		{ "1T", 0, 1ull << 40 },
		{ "1t", 0, 1ull << 40 },
		{ "4096K", 0, 4ull << 20 },
		{ "4096k", 0, 4ull << 20 },
		{ "512MiB", 0, 512ull << 20 },
		{ "512MB", 0, 512ull << 20 },
		{ "16777215T", 0, 16777215ull << 40 },
		{ "16777216T", -ERANGE, 0 },
		{ "17592186044415M", 0, 17592186044415ull << 20 },
		{ "17592186044416", -ERANGE, 0 },
		{ "99999999999999999999", -EINVAL, 0 },	/* beyond 64 bits */
		{ "12X", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1G", -EINVAL, 0 },
		{ " 1G", -EINVAL, 0 },
		{ "1G ", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "1GG", -EINVAL, 0 },
		{ "1GiBx", -EINVAL, 0 },
		{ "1B", -EINVAL, 0 },
		{ "1iB", -EINVAL, 0 },
		{ "0x100", -EINVAL, 0 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0xdeadbeef;
		int r = config_parse_size(t[i].s, &v);

		ck_assert_msg(r == t[i].r, "config_parse_size(\"%s\") = %d, want %d",
			      t[i].s, r, t[i].r);
		ck_assert_msg(v == (t[i].r ? 0xdeadbeef : t[i].v),
			      "config_parse_size(\"%s\") set %llu", t[i].s, (unsigned long long)v);
	}
	ck_assert_int_eq(config_parse_size(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(memory_option)
{
	parse("--kernel", kernel_path, "--memory", "1024", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 1ull << 30);
	parse("--kernel", kernel_path, "--memory=2g", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 2ull << 30);
	parse("--kernel", kernel_path, "--memory", "1T", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 1ull << 40);
	parse("--kernel", kernel_path, "--memory", "32M", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 32ull << 20);
	parse("--kernel", kernel_path, "--memory", "33792K", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.memory, 33ull << 20);
	cleanup();
}
END_TEST

START_TEST(memory_bad)
{
	/* Too small, too big. */
	parse("--kernel", kernel_path, "--memory", "4096K", NULL);
	assert_error("--memory", "4096K", "32M", "1024G", NULL);
	parse("--kernel", kernel_path, "--memory", "31M", NULL);
	assert_error("--memory 31M", "between", NULL);
	parse("--kernel", kernel_path, "--memory", "1025G", NULL);
	assert_error("--memory 1025G", "between", NULL);
	parse("--kernel", kernel_path, "--memory=2T", NULL);
	assert_error("--memory 2T", "between", NULL);
	parse("--kernel", kernel_path, "--memory", "0", NULL);
	assert_error("--memory 0", "between", NULL);
	/* Not whole MiB. */
	parse("--kernel", kernel_path, "--memory", "32769K", NULL);
	assert_error("--memory 32769K", "whole number of MiB", NULL);
	/* Not sizes at all. */
	parse("--kernel", kernel_path, "--memory", "12X", NULL);
	assert_error("--memory 12X", "not a size", NULL);
	parse("--kernel", kernel_path, "--memory", "", NULL);
	assert_error("--memory", "not a size", NULL);
	parse("--kernel", kernel_path, "--memory=", NULL);
	assert_error("--memory", "not a size", NULL);
	parse("--kernel", kernel_path, "--memory", "M", NULL);
	assert_error("--memory M", "not a size", NULL);
	parse("--kernel", kernel_path, "--memory", "-1", NULL);
	assert_error("--memory -1", "not a size", NULL);
	parse("--kernel", kernel_path, "-m", "99999999999999999999", NULL);
	assert_error("--memory 99999999999999999999", NULL);
	parse("--kernel", kernel_path, "--memory", "17592186044416", NULL);
	assert_error("--memory 17592186044416", NULL);
	parse("--kernel", kernel_path, "-m", "16777216T", NULL);
	assert_error("--memory 16777216T", NULL);
	cleanup();
}
END_TEST

/* ---- cpus, serial, the rest ------------------------------------------------------- */

START_TEST(parse_uint)
{
	unsigned v = 77;

	ck_assert_int_eq(config_parse_uint("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(config_parse_uint("10", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	v = 77;
	ck_assert_int_eq(config_parse_uint("11", 0, 10, &v), -ERANGE);
	ck_assert_int_eq(config_parse_uint("0", 1, 10, &v), -ERANGE);
	ck_assert_int_eq(config_parse_uint("4294967297", 0, 10, &v), -ERANGE);
	ck_assert_int_eq(config_parse_uint("99999999999999999999999", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(config_parse_uint("", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(config_parse_uint("-1", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(config_parse_uint("1x", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(config_parse_uint(" 1", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(config_parse_uint(NULL, 0, 10, &v), -EINVAL);
	ck_assert_uint_eq(v, 77);
}
END_TEST

START_TEST(cpus_option)
{
	parse("--kernel", kernel_path, "--cpus", "1", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.cpus, 1);
	parse("--kernel", kernel_path, "--cpus=254", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.cpus, 254);
	parse("--kernel", kernel_path, "--cpus", "255", NULL);
	assert_error("--cpus 255", "too many CPUs (at most 254)", NULL);
	parse("--kernel", kernel_path, "--cpus", "abc", NULL);
	assert_error("--cpus abc", "not a number of CPUs", NULL);
	parse("--kernel", kernel_path, "--cpus", "", NULL);
	assert_error("--cpus", "not a number of CPUs", NULL);
	parse("--kernel", kernel_path, "--cpus=-2", NULL);
	assert_error("--cpus -2", "not a number of CPUs", NULL);
	parse("--kernel", kernel_path, "--cpus=4x", NULL);
	assert_error("--cpus 4x", NULL);
	cleanup();
}
END_TEST

START_TEST(cpus_zero)
{
	parse("--kernel", kernel_path, "--cpus", "0", NULL);
	assert_error("--cpus 0", "at least 1 CPU", NULL);
	/* Zero CPUs is not "too many". */
	ck_assert_msg(!strstr(run.err, "too many"), "misleading message: \"%s\"", run.err);
	cleanup();
}
END_TEST

START_TEST(serial_option)
{
	parse("--kernel", kernel_path, "--serial", "none", NULL);
	assert_ok();
	ck_assert_int_eq(run.cfg.serial, CONSOLE_NONE);
	ck_assert_ptr_null(run.cfg.serial_path);
	parse("--kernel", kernel_path, "--serial=none", "--serial=stdio", NULL);
	assert_ok();
	ck_assert_int_eq(run.cfg.serial, CONSOLE_STDIO);
	parse("--kernel", kernel_path, "--serial", "file:/x", NULL);
	assert_ok();
	ck_assert_int_eq(run.cfg.serial, CONSOLE_FILE);
	ck_assert_str_eq(run.cfg.serial_path, "/x");
	parse("--kernel", kernel_path, "--serial=file:a:b=c", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.serial_path, "a:b=c");

	parse("--kernel", kernel_path, "--serial", "file:", NULL);
	assert_error("--serial file:", "stdio, file:PATH or none", NULL);
	parse("--kernel", kernel_path, "--serial", "tcp:x", NULL);
	assert_error("--serial tcp:x", "stdio, file:PATH or none", NULL);
	parse("--kernel", kernel_path, "--serial", "", NULL);
	assert_error("--serial", "stdio, file:PATH or none", NULL);
	parse("--kernel", kernel_path, "--serial=STDIO", NULL);
	assert_error("--serial STDIO", NULL);
	parse("--kernel", kernel_path, "--serial", "file", NULL);
	assert_error("--serial file", NULL);
	cleanup();
}
END_TEST

START_TEST(no_reboot_option)
{
	parse("--no-reboot", "--kernel", kernel_path, NULL);
	assert_ok();
	ck_assert(run.cfg.no_reboot);
	parse("--kernel", kernel_path, "--no-reboot=1", NULL);
	assert_error("--no-reboot", "takes no argument", NULL);
	parse("--kernel", kernel_path, "--no-reboot=", NULL);
	assert_error("--no-reboot", "takes no argument", NULL);
	/* The next word is not swallowed as its argument. */
	parse("--no-reboot", "1", "--kernel", kernel_path, NULL);
	assert_error("unexpected argument '1'", NULL);
	cleanup();
}
END_TEST

START_TEST(shutdown_timeout_option)
{
	parse("--kernel", kernel_path, "--shutdown-timeout", "0", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.shutdown_timeout, 0);
	parse("--kernel", kernel_path, "--shutdown-timeout=86400", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.shutdown_timeout, 86400);
	parse("--kernel", kernel_path, "--shutdown-timeout", "86401", NULL);
	assert_error("--shutdown-timeout 86401", "0 to 86400", NULL);
	parse("--kernel", kernel_path, "--shutdown-timeout", "10s", NULL);
	assert_error("--shutdown-timeout 10s", "seconds", NULL);
	cleanup();
}
END_TEST

START_TEST(log_level_option)
{
	static const struct { const char *s; enum log_level l; } t[] = {
		{ "error", LOG_ERROR }, { "warn", LOG_WARN },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};

	for (unsigned i = 0; i < 4; i++) {
		parse("--kernel", kernel_path, "--log-level", t[i].s, NULL);
		assert_ok();
		ck_assert_int_eq(run.cfg.log_level, t[i].l);
	}
	parse("--kernel", kernel_path, "--log-level=trace", NULL);
	assert_error("--log-level trace", "error, warn, info or debug", NULL);
	parse("--kernel", kernel_path, "--log-level", "DEBUG", NULL);
	assert_error("--log-level DEBUG", NULL);
	cleanup();
}
END_TEST

/* ---- devices: --disk and --net --------------------------------------------------- */

START_TEST(disk_option)
{
	parse("--kernel", kernel_path, "--disk", "path=a.img", "--disk",
	      "path=b.img,readonly=on,serial=SER-B,cache=none,controller=1,lun=7",
	      "--disk=path=c.img", "--disk", "path=d.img,controller=1,readonly=off", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.ndisks, 4);
	ck_assert_str_eq(run.cfg.disks[0].path, "a.img");
	ck_assert(!run.cfg.disks[0].readonly);
	ck_assert_ptr_null(run.cfg.disks[0].serial);
	ck_assert_int_eq(run.cfg.disks[0].cache, DISK_CACHE_WRITEBACK);
	ck_assert_uint_eq(run.cfg.disks[0].controller, 0);
	ck_assert_uint_eq(run.cfg.disks[0].lun, 0);
	ck_assert_str_eq(run.cfg.disks[1].path, "b.img");
	ck_assert(run.cfg.disks[1].readonly);
	ck_assert_str_eq(run.cfg.disks[1].serial, "SER-B");
	ck_assert_int_eq(run.cfg.disks[1].cache, DISK_CACHE_NONE);
	ck_assert_uint_eq(run.cfg.disks[1].controller, 1);
	ck_assert_uint_eq(run.cfg.disks[1].lun, 7);
	/* No lun=: the first free LUN of its controller. */
	ck_assert_uint_eq(run.cfg.disks[2].controller, 0);
	ck_assert_uint_eq(run.cfg.disks[2].lun, 1);
	ck_assert_uint_eq(run.cfg.disks[3].controller, 1);
	ck_assert_uint_eq(run.cfg.disks[3].lun, 0);
	ck_assert(!run.cfg.disks[3].readonly);
	/* The last of a repeated key wins, as with options. */
	parse("--kernel", kernel_path, "--disk", "path=a.img,path=b.img,lun=1,lun=2", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.disks[0].path, "b.img");
	ck_assert_uint_eq(run.cfg.disks[0].lun, 2);
	cleanup();
}
END_TEST

START_TEST(disk_bad)
{
	parse("--kernel", kernel_path, "--disk", "readonly=on", NULL);
	assert_error("--disk readonly=on: path=FILE is required", NULL);
	parse("--kernel", kernel_path, "--disk", "", NULL);
	assert_error("--disk: path=FILE is required", NULL);
	parse("--kernel", kernel_path, "--disk", "a.img", NULL);
	assert_error("--disk a.img: expected key=value, got 'a.img'", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,=x", NULL);
	assert_error("expected key=value, got '=x'", NULL);
	parse("--kernel", kernel_path, "--disk", "path=", NULL);
	assert_error("--disk path=: empty path", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,discard=on", NULL);
	assert_error("--disk discard=on: unknown key (known: path, format, readonly, serial, cache, controller, lun)", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,lun=x", NULL);
	assert_error("--disk lun=x: expected an integer 0-63", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,lun=64", NULL);
	assert_error("--disk lun=64: expected an integer 0-63", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,lun=-1", NULL);
	assert_error("--disk lun=-1: expected an integer 0-63", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,controller=8", NULL);
	assert_error("--disk controller=8: expected an integer 0-7", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,readonly=yes", NULL);
	assert_error("--disk readonly=yes: expected on or off", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,cache=directsync", NULL);
	assert_error("--disk cache=directsync: expected none or writeback", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,format=qcow2", NULL);
	assert_error("--disk format=qcow2: expected raw, vhd or vhdx", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,serial=123456789012345678901", NULL);
	assert_error("--disk serial=123456789012345678901: expected 1 to 20 printable ASCII", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,serial=", NULL);
	assert_error("--disk serial=: expected 1 to 20", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a,serial=a\tb", NULL);
	assert_error("without spaces", NULL);
	parse("--kernel", kernel_path, "--disk", "path=a.img,lun=3", "--disk", "path=b.img,lun=3", NULL);
	assert_error("--disk path=b.img,lun=3: controller 0 LUN 3 is already used by a.img", NULL);
	cleanup();
}
END_TEST

START_TEST(disk_full_controller)
{
	char *argv[3 + 2 * 65 + 1];
	int argc = 0;

	argv[argc++] = "hvkvm";
	argv[argc++] = "--kernel";
	argv[argc++] = kernel_path;
	for (unsigned i = 0; i < 65; i++) {
		argv[argc++] = "--disk";
		argv[argc++] = "path=x.img";
	}
	argv[argc] = NULL;
	parse_argv(argc - 2, argv);	/* 64 disks */
	assert_ok();
	ck_assert_uint_eq(run.cfg.ndisks, 64);
	ck_assert_uint_eq(run.cfg.disks[63].lun, 63);
	parse_argv(argc, argv);
	assert_error("--disk path=x.img: controller 0 has no free LUN", NULL);
	cleanup();
}
END_TEST

START_TEST(net_option)
{
	parse("--kernel", kernel_path, "--net", "tap=tap0", "--net",
	      "tap=vm1.lan,mac=52:54:00:AB:cd:0f,mtu=9202,id=lan", "--net=tap=t2,mtu=68", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.nnets, 3);
	ck_assert_str_eq(run.cfg.nets[0].tap, "tap0");
	ck_assert(!run.cfg.nets[0].has_mac);
	ck_assert_uint_eq(run.cfg.nets[0].mtu, 1500);
	ck_assert_str_eq(run.cfg.nets[0].id, "net0");
	ck_assert_str_eq(run.cfg.nets[1].tap, "vm1.lan");
	ck_assert(run.cfg.nets[1].has_mac);
	ck_assert_mem_eq(run.cfg.nets[1].mac, ((uint8_t[]){ 0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f }), 6);
	ck_assert_uint_eq(run.cfg.nets[1].mtu, 9202);
	ck_assert_str_eq(run.cfg.nets[1].id, "lan");
	ck_assert_uint_eq(run.cfg.nets[2].mtu, 68);
	ck_assert_str_eq(run.cfg.nets[2].id, "net2");
	/* A default id never takes one given: the next free number instead. */
	parse("--kernel", kernel_path, "--net", "tap=a,id=net1", "--net", "tap=b", "--net", "tap=c,id=net2", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.nets[0].id, "net1");
	ck_assert_str_eq(run.cfg.nets[1].id, "net3");
	ck_assert_str_eq(run.cfg.nets[2].id, "net2");
	/* Fifteen characters is IFNAMSIZ - 1. */
	parse("--kernel", kernel_path, "--net", "tap=abcdefghijklmno", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.nets[0].tap, "abcdefghijklmno");
	cleanup();
}
END_TEST

START_TEST(net_bad)
{
	static const struct { const char *arg, *msg; } t[] = {
		{ "mtu=1500", "--net mtu=1500: tap=NAME is required" },
		{ "", "--net: tap=NAME is required" },
		{ "tap0", "--net tap0: expected key=value" },
		{ "tap=t,vlan=3", "--net vlan=3: unknown key (known: id, tap, mac, mtu)" },
		{ "tap=", "--net tap=: expected an interface name of 1 to 15 characters" },
		{ "tap=abcdefghijklmnop", "--net tap=abcdefghijklmnop: expected an interface name" },
		{ "tap=a/b", "--net tap=a/b: expected an interface name" },
		{ "tap=a:1", "--net tap=a:1: expected an interface name" },
		{ "tap=tap%d", "--net tap=tap%d: expected an interface name" },
		{ "tap=a b", "--net tap=a b: expected an interface name" },
		{ "tap=.", "--net tap=.: expected an interface name" },
		{ "tap=..", "--net tap=..: expected an interface name" },
		{ "tap=t,mtu=67", "--net mtu=67: expected an integer 68-9202" },
		{ "tap=t,mtu=65522", "--net mtu=65522: expected an integer 68-9202" },
		{ "tap=t,mtu=1500B", "--net mtu=1500B: expected an integer 68-9202" },
		{ "tap=t,mac=", "--net mac=: expected a MAC address such as 52:54:00:12:34:56" },
		{ "tap=t,mac=52:54:00:12:34", "--net mac=52:54:00:12:34: expected a MAC address" },
		{ "tap=t,mac=52:54:00:12:34:567", "--net mac=52:54:00:12:34:567: expected a MAC address" },
		{ "tap=t,mac=52-54-00-12-34-56", "expected a MAC address" },
		{ "tap=t,mac=5254.0012.3456", "expected a MAC address" },
		{ "tap=t,mac=52:54:00:12:34:5g", "expected a MAC address" },
		{ "tap=t,mac=01:00:5e:00:00:01", "--net mac=01:00:5e:00:00:01: a multicast address" },
		{ "tap=t,mac=ff:ff:ff:ff:ff:ff", "multicast" },
		{ "tap=t,mac=33:33:00:00:00:01", "multicast" },
		{ "tap=t,mac=00:00:00:00:00:00", "--net mac=00:00:00:00:00:00: the all-zero address" },
		{ "tap=t,id=", "--net id=: expected an id of 1 to 32" },
		{ "tap=t,id=a/b", "--net id=a/b: expected an id" },
		{ "tap=t,id=abcdefghijklmnopqrstuvwxyz0123456", "expected an id of 1 to 32" },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse("--kernel", kernel_path, "--net", t[i].arg, NULL);
		assert_error(t[i].msg, NULL);
	}
	parse("--kernel", kernel_path, "--net", "tap=t0", "--net", "tap=t0,mtu=9000", NULL);
	assert_error("--net tap=t0,mtu=9000: tap t0 is already used by another network adapter", NULL);
	parse("--kernel", kernel_path, "--net", "tap=t0,id=x", "--net", "tap=t1,id=x", NULL);
	assert_error("--net tap=t1,id=x: id x is already used by the adapter on tap t0", NULL);
	parse("--kernel", kernel_path, "--net", "tap=t0,mac=02:00:00:00:00:01", "--net",
	      "tap=t1,mac=02:00:00:00:00:01", NULL);
	assert_error("MAC 02:00:00:00:00:01 is already used by the adapter on tap t0", NULL);
	{
		char *argv[3 + 2 * 65 + 1], taps[65][16];
		int argc = 0;

		argv[argc++] = "hvkvm";
		argv[argc++] = "--kernel";
		argv[argc++] = kernel_path;
		for (unsigned i = 0; i < 65; i++) {
			snprintf(taps[i], sizeof(taps[i]), "tap=t%u", i);
			argv[argc++] = "--net";
			argv[argc++] = taps[i];
		}
		argv[argc] = NULL;
		parse_argv(argc - 2, argv);
		assert_ok();
		ck_assert_uint_eq(run.cfg.nnets, 64);
		parse_argv(argc, argv);
		assert_error("--net tap=t64: too many network adapters (at most 64)", NULL);
	}
	cleanup();
}
END_TEST

/* ---- --name, --api-socket, --seccomp, flags -------------------------------------- */

START_TEST(name_option)
{
	static const char *const good[] = {
		"a", "web1", "Web-1.prod_eu", "0",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",	/* 63 */
	};
	static const char *const bad[] = {
		"", "-a", ".a", "_a", "a b", "a/b", "a:b", "a@b", "caf\xc3\xa9",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",	/* 64 */
	};

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parse("--kernel", kernel_path, "--name", good[i], NULL);
		assert_ok();
		ck_assert_str_eq(run.cfg.name, good[i]);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse("--kernel", kernel_path, "--name", bad[i], NULL);
		assert_error("--name", "expected a name of 1 to 63 letters, digits", NULL);
	}
	parse("--kernel", kernel_path, "--name", "a", "--name", "b", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.name, "b");
	cleanup();
}
END_TEST

START_TEST(api_socket_option)
{
	char path[128];

	parse("--kernel", kernel_path, "--api-socket", "/run/hvkvm/vm.sock", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.api_socket, "/run/hvkvm/vm.sock");
	parse("--kernel", kernel_path, "--api-socket=vm.sock", NULL);
	assert_ok();
	ck_assert_str_eq(run.cfg.api_socket, "vm.sock");
	memset(path, 'a', 107);
	path[107] = '\0';
	parse("--kernel", kernel_path, "--api-socket", path, NULL);
	assert_ok();
	strcat(path, "b");
	parse("--kernel", kernel_path, "--api-socket", path, NULL);
	assert_error("--api-socket aaa", "longer than 107 characters", NULL);
	parse("--kernel", kernel_path, "--api-socket", "", NULL);
	assert_error("--api-socket: empty path", NULL);
	cleanup();
}
END_TEST

static void make_sized(const char *p, off_t size)
{
	int f = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(ftruncate(f, size), 0);
	close(f);
}

START_TEST(cdrom_option)
{
	char iso[80], bad[80], empty[80];

	snprintf(iso, sizeof(iso), "%s.iso", kernel_path);
	snprintf(bad, sizeof(bad), "%s.bad", kernel_path);
	snprintf(empty, sizeof(empty), "%s.empty", kernel_path);
	make_sized(iso, 4 * 2048);
	make_sized(bad, 4 * 2048 - 1);
	make_sized(empty, 0);
	parse("--kernel", kernel_path, NULL);
	assert_ok();
	ck_assert(!run.cfg.cdrom);
	parse("--kernel", kernel_path, "--cdrom", iso, NULL);
	assert_ok();
	ck_assert(run.cfg.cdrom);
	ck_assert_str_eq(run.cfg.cdrom_path, iso);
	cleanup();
	/* No PATH, at the end, before another option, or empty: an empty drive. */
	parse("--kernel", kernel_path, "--cdrom", NULL);
	assert_ok();
	ck_assert(run.cfg.cdrom);
	ck_assert_ptr_null(run.cfg.cdrom_path);
	cleanup();
	parse("--cdrom", "--kernel", kernel_path, NULL);
	assert_ok();
	ck_assert(run.cfg.cdrom && !run.cfg.cdrom_path);
	ck_assert_str_eq(run.cfg.kernel, kernel_path);
	cleanup();
	parse("--kernel", kernel_path, "--cdrom", "", NULL);
	assert_ok();
	ck_assert(run.cfg.cdrom && !run.cfg.cdrom_path);
	cleanup();
	parse("--kernel", kernel_path, "--cdrom=", NULL);
	assert_ok();
	ck_assert(run.cfg.cdrom && !run.cfg.cdrom_path);
	cleanup();
	/* Not whole 2048-byte sectors, empty, missing. */
	parse("--kernel", kernel_path, "--cdrom", bad, NULL);
	assert_error("--cdrom", "not a CD/DVD image", "8191 bytes", NULL);
	cleanup();
	parse("--kernel", kernel_path, "--cdrom", empty, NULL);
	assert_error("--cdrom", "not a CD/DVD image", NULL);
	cleanup();
	parse("--kernel", kernel_path, "--cdrom=/nonexistent/x.iso", NULL);
	assert_error("--cdrom /nonexistent/x.iso", "No such file", NULL);
	cleanup();
	unlink(iso);
	unlink(bad);
	unlink(empty);
}
END_TEST

/* --boot: parsed as the "boot" key, refused with --kernel or without the device it
 * names (exit 2: CLI_ERROR). */
START_TEST(boot_option)
{
	char iso[80];

	snprintf(iso, sizeof(iso), "%s.iso", kernel_path);
	make_sized(iso, 4 * 2048);
	parse("--kernel", kernel_path, "--boot", "disk", "--disk", "path=/dev/null", NULL);
	assert_error("--boot disk: orders the firmware's boot devices, but --kernel starts the kernel without them",
		     NULL);
	cleanup();
	parse("--kernel", kernel_path, "--boot", "floppy", NULL);
	assert_error("--boot floppy: ", "cdrom and disk", NULL);
	cleanup();
	parse("--kernel", kernel_path, "--boot", "cdrom,cdrom", NULL);
	assert_error("--boot cdrom,cdrom: ", "each at most once", NULL);
	cleanup();
	if (access(CONFIG_FIRMWARE_UEFI, R_OK) == 0) {
		parse("--disk", "path=/dev/null", "--option-rom", "none", "--boot", "cdrom,disk", NULL);
		assert_error("--boot cdrom,disk: there is no CD/DVD drive (--cdrom)", NULL);
		cleanup();
		parse("--cdrom", iso, "--option-rom", "none", "--boot", "disk", NULL);
		assert_error("--boot disk: there is no disk (--disk)", NULL);
		cleanup();
		parse("--cdrom", iso, "--disk", "path=/dev/null", "--option-rom", "none", "--boot", "cdrom,disk", NULL);
		assert_error("--option-rom is none", NULL);
		cleanup();
	}
	unlink(iso);
}
END_TEST

/* A value too long for its key: the message names it cut short, and says why. */
START_TEST(long_path_message)
{
	char path[5000];

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	parse("--kernel", kernel_path, "--firmware", "uefi", "--firmware-vars", path, NULL);
	assert_error("--firmware-vars ppp", "ppp...: longer than 4095 characters", NULL);
	ck_assert_uint_lt(strlen(run.err), 300);
	parse("--kernel", path, NULL);
	assert_error("--kernel ppp", "ppp...: longer than 4095 characters", NULL);
	{
		char disk[5100], item[100];

		snprintf(disk, sizeof(disk), "path=%s", path);
		parse("--kernel", kernel_path, "--disk", disk, NULL);
		assert_error("--disk path=ppp", "ppp...: longer than 4095 characters", NULL);
		ck_assert_uint_lt(strlen(run.err), 300);
		memset(item, 'q', sizeof(item) - 1);
		item[sizeof(item) - 1] = '\0';
		snprintf(disk, sizeof(disk), "path=a.img,%s", item);
		parse("--kernel", kernel_path, "--disk", disk, NULL);
		assert_error("--disk path=a.img,qqq", ": expected key=value, got 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...'", NULL);
	}
	path[150] = '\0';
	parse("--kernel", kernel_path, "--api-socket", path, NULL);
	assert_error("--api-socket ppp", "ppp: longer than 107 characters, the limit of a Unix socket's path", NULL);
	cleanup();
}
END_TEST

START_TEST(seccomp_option)
{
	parse("--kernel", kernel_path, "--seccomp", "off", NULL);
	assert_ok();
	ck_assert(!run.cfg.seccomp);
	parse("--kernel", kernel_path, "--seccomp", "off", "--seccomp=on", NULL);
	assert_ok();
	ck_assert(run.cfg.seccomp);
	parse("--kernel", kernel_path, "--seccomp", "maybe", NULL);
	assert_error("--seccomp maybe: expected on or off", NULL);
	parse("--kernel", kernel_path, "--seccomp", "", NULL);
	assert_error("--seccomp: expected on or off", NULL);
	parse("--kernel", kernel_path, "--seccomp", NULL);
	assert_error("--seccomp needs an argument: on|off", NULL);
	cleanup();
}
END_TEST

START_TEST(flags_and_crash)
{
	parse("--kernel", kernel_path, "--stats", "--on-crash", "reset", NULL);
	assert_ok();
	ck_assert(run.cfg.stats);
	ck_assert_int_eq(run.cfg.on_crash, HV_CRASH_RESET);
	parse("--kernel", kernel_path, "--stats=on", NULL);
	assert_error("--stats takes no argument", NULL);
	parse("--kernel", kernel_path, "--on-crash", "panic", NULL);
	assert_error("--on-crash panic: expected exit or reset", NULL);
	/* --hv keeps the messages of its own parser. */
	parse("--kernel", kernel_path, "--hv", "ipi,vpindex=off", NULL);
	assert_error("--hv ipi: needs vpindex", NULL);
	parse("--kernel", kernel_path, "--hv", "off", NULL);
	assert_ok();
	ck_assert_uint_eq(run.cfg.hv.mask, 0);
	cleanup();
}
END_TEST

START_TEST(print_config_option)
{
	parse("--kernel", kernel_path, "--print-config", "--cpus", "3", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_str_eq(run.err, "");
	ck_assert_ptr_nonnull(strstr(run.out, "\"cpus\": 3,"));
	ck_assert_int_eq(run.out[0], '{');
	ck_assert_int_eq(run.out[run.outlen - 1], '\n');
	/* It checks what a run would check. */
	parse("--print-config", NULL);
	assert_error("nothing to boot: give --kernel PATH, or --disk or --cdrom for the firmware to boot the VM from (see --help)", NULL);
	parse("--kernel", kernel_path, "--print-config", "--cpus", "0", NULL);
	assert_error("--cpus 0", NULL);
	parse("--kernel", kernel_path, "--print-config=yes", NULL);
	assert_error("--print-config takes no argument", NULL);
	/* --help still wins. */
	parse("--print-config", "--help", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(run.out, "Usage"));
	cleanup();
}
END_TEST

/* ---- structure errors ------------------------------------------------------------ */

START_TEST(missing_argument)
{
	static const char *const opts[][2] = {
		{ "--kernel", "PATH" }, { "--initrd", "PATH" }, { "--cmdline", "STR" },
		{ "--memory", "SIZE" }, { "--cpus", "N" }, { "--serial", "stdio|file:PATH|none" },
		{ "--shutdown-timeout", "SEC" }, { "--log-level", "LEVEL" },
		{ "--disk", "path=FILE[,...]" }, { "--net", "tap=NAME[,...]" }, { "--name", "NAME" },
		{ "--api-socket", "PATH" }, { "--seccomp", "on|off" }, { "--config", "FILE" },
		{ "--hv", "LIST|on|off" }, { "--on-crash", "exit|reset" },
	};

	for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char want[80];

		parse("--kernel", kernel_path, opts[i][0], NULL);
		snprintf(want, sizeof(want), "%s needs an argument: %s", opts[i][0], opts[i][1]);
		assert_error(want, NULL);
	}
	parse("--kernel", kernel_path, "-m", NULL);
	assert_error("--memory needs an argument", NULL);
	cleanup();
}
END_TEST

START_TEST(unknown_options)
{
	parse("--kernel", kernel_path, "--frobnicate", NULL);
	assert_error("unknown option '--frobnicate'", "--help", NULL);
	parse("--kernel", kernel_path, "--frobnicate=7", NULL);
	assert_error("unknown option '--frobnicate'", NULL);
	ck_assert_ptr_null(strstr(run.err, "=7"));
	parse("--kernel", kernel_path, "-x", NULL);
	assert_error("unknown option '-x'", NULL);
	parse("--kernel", kernel_path, "-M", "1G", NULL);
	assert_error("unknown option '-M'", NULL);
	/* No prefix matching. */
	parse("--kernel", kernel_path, "--mem", "1G", NULL);
	assert_error("unknown option '--mem'", NULL);
	parse("--kernel", kernel_path, "--memoryx=1G", NULL);
	assert_error("unknown option '--memoryx'", NULL);
	/* A short name exists only for --memory. */
	parse("-k", kernel_path, NULL);
	assert_error("unknown option '-k'", NULL);
	cleanup();
}
END_TEST

START_TEST(positional_argument)
{
	parse("--kernel", kernel_path, "disk.img", NULL);
	assert_error("unexpected argument 'disk.img'", NULL);
	parse(kernel_path, NULL);
	assert_error("unexpected argument", kernel_path, NULL);
	parse("--kernel", kernel_path, "-", NULL);
	assert_error("unexpected argument '-'", NULL);
	parse("--kernel", kernel_path, "-m2G", NULL);
	assert_error("'-m2G'", NULL);
	cleanup();
}
END_TEST

START_TEST(kernel_required)
{
	/* Without --kernel, the firmware boots the VM's disks: with none there is nothing. */
	parse(NULL);
	assert_error("nothing to boot: give --kernel PATH", NULL);
	parse("--memory", "1G", "--cpus", "2", NULL);
	assert_error("nothing to boot", "--disk or --cdrom", NULL);
	cleanup();
}
END_TEST

/* With a disk and no kernel: UEFI (where OVMF is installed) with hvkvm's driver ROM,
 * which this test program has not beside it; --option-rom none goes without it. */
START_TEST(firmware_by_default)
{
	if (access(CONFIG_FIRMWARE_UEFI, R_OK) < 0)
		return;
	parse("--disk", "path=/dev/null", "--option-rom", "none", "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(run.out, "\"firmware\": \"" CONFIG_FIRMWARE_UEFI "\""));
	ck_assert_ptr_nonnull(strstr(run.out, "\"option-rom\": \"none\""));
	/* An explicit ROM is kept, and --kernel keeps the direct boot. */
	parse("--disk", "path=/dev/null", "--option-rom", kernel_path, "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);	/* not a ROM: the check still runs */
	ck_assert_ptr_nonnull(strstr(run.err, "--option-rom"));
	parse("--kernel", kernel_path, "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_ptr_null(strstr(run.out, "\"firmware\""));
	if (access(HVKVM_DRIVER_ROM, R_OK) < 0) {
		parse("--disk", "path=/dev/null", NULL);
		assert_error("no --kernel, and no UEFI driver ROM to boot the disks with", HVKVM_DRIVER_ROM, NULL);
	}
	cleanup();
}
END_TEST

START_TEST(kernel_missing_file)
{
	const char *p = "/nonexistent/hvkvm-test/vmlinuz";
	char want[128];

	parse("--kernel", p, NULL);
	snprintf(want, sizeof(want), "--kernel %s: %s", p, strerror(ENOENT));
	assert_error(want, NULL);
	parse("--kernel", kernel_path, "--initrd", p, NULL);
	snprintf(want, sizeof(want), "--initrd %s: %s", p, strerror(ENOENT));
	assert_error(want, NULL);
	parse("--kernel=", NULL);
	assert_error("--kernel: empty path", NULL);
	parse("--kernel", kernel_path, "--initrd", "", NULL);
	assert_error("--initrd: empty path", NULL);
	cleanup();
}
END_TEST

/* ---- help and version ------------------------------------------------------------ */

static const char *const help_lines[] = {
	"--kernel PATH", "--initrd PATH", "--cmdline STR", "--memory SIZE", "--cpus N",
	"--serial stdio|file:PATH|none", "--no-reboot", "--shutdown-timeout SEC",
	"--log-level LEVEL", "--help", "--version", "--disk path=FILE[,...]",
	"--net tap=NAME[,...]", "--name NAME", "--api-socket PATH", "--seccomp on|off",
	"--config FILE", "--print-config", "--hv LIST|on|off", "--on-crash exit|reset", "--stats",
	NULL,
};

START_TEST(help)
{
	static const char *const forms[] = { "-h", "--help" };

	for (unsigned i = 0; i < 2; i++) {
		/* Even without --kernel, and before a bad option. */
		parse(forms[i], "--bogus", NULL);
		ck_assert_int_eq(run.r, CLI_EXIT_OK);
		ck_assert_str_eq(run.err, "");
		ck_assert_ptr_nonnull(run.out);
		ck_assert_uint_eq(strncmp(run.out, "Usage: hvkvm --kernel PATH", 26), 0);
		ck_assert_uint_eq(run.outlen, strlen(run.out));
		ck_assert_int_eq(run.out[run.outlen - 1], '\n');
		for (const char *const *o = help_lines; *o; o++)
			ck_assert_msg(strstr(run.out, *o), "help lacks \"%s\"", *o);
		ck_assert_ptr_nonnull(strstr(run.out, "-m, --memory SIZE"));
		ck_assert_ptr_nonnull(strstr(run.out, "-h, --help"));
		ck_assert_ptr_nonnull(strstr(run.out, "-V, --version"));
	}
	/* After good options too. */
	parse("--memory", "1G", "--help", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(run.out, "Usage"));
	/* But a bad option before it is reported. */
	parse("--memory", "1X", "--help", NULL);
	assert_error("--memory 1X", NULL);
	cleanup();
}
END_TEST

/* Long-only options line up with --memory, whose short form takes "-m, ". */
START_TEST(help_alignment)
{
	const char *opts, *mem, *line;
	long col_mem, col;

	parse("--help", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	opts = strstr(run.out, "Options:\n");
	ck_assert_ptr_nonnull(opts);
	mem = strstr(opts, "--memory SIZE");
	ck_assert_ptr_nonnull(mem);
	for (line = mem; line > run.out && line[-1] != '\n'; line--)
		;
	col_mem = mem - line;
	ck_assert_int_eq(col_mem, 6);
	for (const char *const *o = help_lines; *o; o++) {
		const char *p = strstr(opts, *o);

		ck_assert_ptr_nonnull(p);
		for (line = p; line > run.out && line[-1] != '\n'; line--)
			;
		col = p - line;
		ck_assert_msg(col == col_mem, "\"%s\" starts in column %ld, --memory in %ld",
			      *o, col, col_mem);
	}
	cleanup();
}
END_TEST

START_TEST(help_to_file)
{
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	size_t n;

	ck_assert_ptr_nonnull(f);
	cli_print_help(f);
	n = (size_t)ftell(f);
	fclose(f);
	ck_assert_uint_gt(n, 100);
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_uint_eq(strncmp(buf, "Usage", 5), 0);
}
END_TEST

START_TEST(version)
{
	parse("-V", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_str_eq(run.out, "hvkvm " HVKVM_VERSION "\n");
	ck_assert_str_eq(run.err, "");
	parse("--kernel", kernel_path, "--version", "--cpus", "999", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert_str_eq(run.out, "hvkvm " HVKVM_VERSION "\n");
	parse("--version=1", NULL);
	assert_error("unknown option '--version'", NULL);
	cleanup();
}
END_TEST

static void make_file(char *path, size_t len, const char *tmpl)
{
	int fd;

	snprintf(path, len, "%s", tmpl);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, "x", 1) != 1) {
		perror("mkstemp");
		exit(EXIT_FAILURE);
	}
	close(fd);
}

/* An argument with control characters in it still gives a one-line message. */
START_TEST(error_control_characters)
{
	parse("a\nb", NULL);
	assert_error("unexpected argument 'a?b'", NULL);
	parse("--memory", "1\r\x1b[2J", NULL);
	assert_error("--memory", NULL);
	ck_assert_ptr_null(strpbrk(run.err, "\r\n\x1b"));
	parse("--disk", "path=x,\nbogus=1", NULL);
	assert_error("--disk", NULL);
	ck_assert_ptr_null(strchr(run.err, '\n'));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("options");
	int ret;

	make_file(kernel_path, sizeof(kernel_path), "/tmp/hvkvm-test-kernel-XXXXXX");
	make_file(initrd_path, sizeof(initrd_path), "/tmp/hvkvm-test-initrd-XXXXXX");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, all_options_separate);
	tcase_add_test(tc, all_options_equals);
	tcase_add_test(tc, short_memory);
	tcase_add_test(tc, last_one_wins);
	tcase_add_test(tc, cmdline_values);
	tcase_add_test(tc, parse_size);
	tcase_add_test(tc, memory_option);
	tcase_add_test(tc, memory_bad);
	tcase_add_test(tc, parse_uint);
	tcase_add_test(tc, cpus_option);
	tcase_add_test(tc, cpus_zero);
	tcase_add_test(tc, serial_option);
	tcase_add_test(tc, no_reboot_option);
	tcase_add_test(tc, shutdown_timeout_option);
	tcase_add_test(tc, log_level_option);
	tcase_add_test(tc, disk_option);
	tcase_add_test(tc, disk_bad);
	tcase_add_test(tc, disk_full_controller);
	tcase_add_test(tc, net_option);
	tcase_add_test(tc, net_bad);
	tcase_add_test(tc, name_option);
	tcase_add_test(tc, api_socket_option);
	tcase_add_test(tc, cdrom_option);
	tcase_add_test(tc, boot_option);
	tcase_add_test(tc, long_path_message);
	tcase_add_test(tc, seccomp_option);
	tcase_add_test(tc, flags_and_crash);
	tcase_add_test(tc, print_config_option);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, missing_argument);
	tcase_add_test(tc, unknown_options);
	tcase_add_test(tc, positional_argument);
	tcase_add_test(tc, kernel_required);
	tcase_add_test(tc, firmware_by_default);
	tcase_add_test(tc, kernel_missing_file);
	tcase_add_test(tc, help);
	tcase_add_test(tc, help_alignment);
	tcase_add_test(tc, help_to_file);
	tcase_add_test(tc, version);
	tcase_add_test(tc, error_control_characters);
	suite_add_tcase(s, tc);

	ret = test_main(s);
	unlink(kernel_path);
	unlink(initrd_path);
	return ret;
}
