/* SPDX-License-Identifier: MIT */
/*
 * The configuration model and its JSON front end: good files, every kind of bad one
 * and the message it gets, the command line over a file, --print-config read back,
 * and the MAC helpers.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "testutil.h"

static char dir[64], kernel_path[96], initrd_path[96], json_path[96];

static struct vm_config cfg;
static char err[512];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Load text as the file "vm.json" into a fresh cfg; the result of config_load_json. */
static int load(const char *text)
{
	config_free(&cfg);
	config_init(&cfg);
	memset(err, 'x', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return config_load_json(&cfg, "vm.json", text, strlen(text), err, sizeof(err));
}

/* printf-style text with "K" standing for the kernel's path in quotes. */
static int loadf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int loadf(const char *fmt, ...)
{
	char *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	r = load(text);
	free(text);
	return r;
}

#define assert_loaded() ck_assert_msg(err[0] == 'x', "unexpected error: %s", err)

static void assert_load_ok(int r)
{
	ck_assert_msg(r == 0, "config_load_json: %d (%s)", r, err);
}

/* An error that is exactly want. */
static void assert_load_err(int r, const char *want)
{
	ck_assert_msg(r < 0, "config_load_json succeeded, wanted \"%s\"", want);
	ck_assert_str_eq(err, want);
}

/* An error that contains every given substring. */
static void assert_load_err_has(int r, const char *sub, ...)
{
	va_list ap;

	ck_assert_msg(r < 0, "config_load_json succeeded, wanted \"%s\"", sub);
	va_start(ap, sub);
	for (const char *s = sub; s; s = va_arg(ap, const char *))
		ck_assert_msg(strstr(err, s), "error \"%s\" does not contain \"%s\"", err, s);
	va_end(ap);
}

/* ---- the command line with a file ------------------------------------------------ */

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
	config_free(&cfg);
	run_free();
}

/* ---- good files ------------------------------------------------------------------ */

START_TEST(minimal_file)
{
	assert_load_ok(loadf("{\"kernel\": \"%s\"}", kernel_path));
	ck_assert_str_eq(cfg.kernel, kernel_path);
	/* Everything else keeps config_init's defaults... */
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_ptr_null(cfg.cmdline);
	ck_assert_uint_eq(cfg.memory, 512ull << 20);
	ck_assert_uint_eq(cfg.cpus, 1);
	ck_assert(cfg.seccomp);
	ck_assert_uint_eq(cfg.ndisks, 0);
	ck_assert_uint_eq(cfg.nnets, 0);
	/* ...and config_finish adds the ones that depend on the rest. */
	ck_assert_int_eq(config_finish(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0");
	/* An empty object is a valid file (the kernel may come from the command line). */
	assert_load_ok(load("{}"));
	assert_load_ok(load(" \n\t{ }\n\n"));
}
END_TEST

START_TEST(cdrom_key)
{
	char iso[160], bad[160];
	FILE *f;

	snprintf(iso, sizeof(iso), "%s.iso", kernel_path);
	snprintf(bad, sizeof(bad), "%s.bad", kernel_path);
	f = fopen(iso, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), 2 * 2048), 0);
	fclose(f);
	f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), 2048 + 2), 0);
	fclose(f);
	assert_load_ok(loadf("{\"cdrom\": \"%s\"}", iso));
	ck_assert(cfg.cdrom);
	ck_assert_str_eq(cfg.cdrom_path, iso);
	assert_load_ok(load("{\"cdrom\": \"\"}"));
	ck_assert(cfg.cdrom);
	ck_assert_ptr_null(cfg.cdrom_path);
	assert_load_ok(load("{}"));
	ck_assert(!cfg.cdrom);
	assert_load_err_has(loadf("{\"cdrom\": \"%s\"}", bad), "vm.json: cdrom: ", "not a CD/DVD image", "2050 bytes",
			    NULL);
	assert_load_err_has(load("{\"cdrom\": \"/nonexistent/a.iso\"}"), "vm.json: cdrom: /nonexistent/a.iso: ",
			    "No such file", NULL);
	assert_load_err_has(load("{\"cdrom\": 5}"), "vm.json: cdrom: ", NULL);
	unlink(iso);
	unlink(bad);
}
END_TEST

/* "boot": a list or the command line's string; each device once; cdrom and disk only.
 * Then the check against the rest of the VM, and the CD/DVD drive's LUN. */
START_TEST(boot_key)
{
	struct disk_config d[3] = { { .controller = 0, .lun = 0 }, { .controller = 1, .lun = 0 },
				    { .controller = 0, .lun = 1 } };

	assert_load_ok(load("{\"boot\": [\"cdrom\", \"disk\"]}"));
	ck_assert_uint_eq(cfg.nboot, 2);
	ck_assert_int_eq(cfg.boot[0], CONFIG_BOOT_CDROM);
	ck_assert_int_eq(cfg.boot[1], CONFIG_BOOT_DISK);
	assert_load_ok(load("{\"boot\": \"disk,cdrom\"}"));
	ck_assert_uint_eq(cfg.nboot, 2);
	ck_assert_int_eq(cfg.boot[0], CONFIG_BOOT_DISK);
	ck_assert_int_eq(cfg.boot[1], CONFIG_BOOT_CDROM);
	assert_load_ok(load("{\"boot\": [\"disk\"]}"));
	ck_assert_uint_eq(cfg.nboot, 1);
	ck_assert_int_eq(cfg.boot[0], CONFIG_BOOT_DISK);
	assert_load_ok(load("{}"));
	ck_assert_uint_eq(cfg.nboot, 0);
	assert_load_err_has(load("{\"boot\": [\"disk\", \"disk\"]}"), "vm.json: boot: ", "each at most once",
			    "got [\"disk\",\"disk\"]", NULL);
	assert_load_err_has(load("{\"boot\": \"net\"}"), "vm.json: boot: ", "cdrom and disk", NULL);
	assert_load_err_has(load("{\"boot\": []}"), "vm.json: boot: ", "cdrom and disk", NULL);
	assert_load_err_has(load("{\"boot\": \"\"}"), "vm.json: boot: ", NULL);
	assert_load_err_has(load("{\"boot\": \"cdrom,\"}"), "vm.json: boot: ", NULL);
	assert_load_err_has(load("{\"boot\": \",disk\"}"), "vm.json: boot: ", NULL);
	assert_load_err_has(load("{\"boot\": \"disk,,cdrom\"}"), "vm.json: boot: ", NULL);
	assert_load_err(load("{\"boot\": [\"disk\", 1]}"), "vm.json: boot[1]: expected cdrom or disk, got 1");
	assert_load_err_has(load("{\"boot\": [\"cdrom,disk\"]}"), "vm.json: boot[0]: expected cdrom or disk", NULL);
	assert_load_err_has(load("{\"boot\": [\"disk\\u0000\"]}"), "vm.json: boot[0]: ", NULL);
	assert_load_err_has(load("{\"boot\": 3}"), "vm.json: boot: ", NULL);
	assert_load_err_has(load("{\"boot\": {}}"), "vm.json: boot: ", NULL);

	/* against the VM: a firmware, the devices named, hvkvm's driver */
	assert_load_ok(load("{\"boot\": [\"cdrom\", \"disk\"]}"));
	cfg.firmware = strdup("/fw");
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--boot cdrom,disk: there is no CD/DVD drive (--cdrom)");
	cfg.cdrom = true;
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--boot cdrom,disk: there is no disk (--disk)");
	cfg.disks = d;
	cfg.ndisks = 1;
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), 0);
	cfg.no_option_rom = true;
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--option-rom is none"));
	cfg.no_option_rom = false;
	cfg.kernel = strdup("/k");
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--boot cdrom,disk: orders the firmware's boot devices, but --kernel starts "
			 "the kernel without them");
	free(cfg.kernel);
	cfg.kernel = NULL;
	free(cfg.firmware);
	cfg.firmware = NULL;
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "there is no --firmware"));
	cfg.nboot = 0;
	ck_assert_int_eq(config_check_boot(&cfg, err, sizeof(err)), 0);

	/* the drive takes controller 0's lowest LUN no disk has */
	ck_assert_uint_eq(config_cdrom_lun(&cfg), 1);
	cfg.ndisks = 0;
	ck_assert_uint_eq(config_cdrom_lun(&cfg), 0);
	d[0].lun = 1;
	d[2].lun = 0;
	cfg.ndisks = 3;
	ck_assert_uint_eq(config_cdrom_lun(&cfg), 2);
	d[0].controller = 1;
	ck_assert_uint_eq(config_cdrom_lun(&cfg), 1);
	cfg.disks = NULL;
	cfg.ndisks = 0;
}
END_TEST

START_TEST(full_file)
{
	assert_load_ok(loadf(
		"{\n"
		"  \"name\": \"web-1\",\n"
		"  \"kernel\": \"%s\",\n"
		"  \"initrd\": \"%s\",\n"
		"  \"cmdline\": \"console=ttyS0 root=/dev/sda1\",\n"
		"  \"memory\": \"2G\",\n"
		"  \"cpus\": 4,\n"
		"  \"serial\": \"file:/var/log/web-1.log\",\n"
		"  \"hv\": \"on,ipi=off\",\n"
		"  \"on-crash\": \"reset\",\n"
		"  \"no-reboot\": true,\n"
		"  \"shutdown-timeout\": 120,\n"
		"  \"log-level\": \"debug\",\n"
		"  \"stats\": true,\n"
		"  \"seccomp\": false,\n"
		"  \"api-socket\": \"/run/hvkvm/web-1.sock\",\n"
		"  \"disks\": [\n"
		"    { \"path\": \"/var/lib/hvkvm/root.img\", \"serial\": \"ROOT\" },\n"
		"    { \"path\": \"/dev/vg0/data\", \"readonly\": true, \"cache\": \"none\",\n"
		"      \"controller\": 1, \"lun\": 9 },\n"
		"    { \"path\": \"/var/lib/hvkvm/swap.img\", \"format\": \"vhdx\" }\n"
		"  ],\n"
		"  \"nets\": [\n"
		"    { \"tap\": \"tap-web1\" },\n"
		"    { \"tap\": \"tap-web1b\", \"mac\": \"02:00:00:aa:bb:cc\", \"mtu\": 9000, \"id\": \"backend\" }\n"
		"  ]\n"
		"}\n", kernel_path, initrd_path));
	ck_assert_str_eq(cfg.name, "web-1");
	ck_assert_str_eq(cfg.kernel, kernel_path);
	ck_assert_str_eq(cfg.initrd, initrd_path);
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0 root=/dev/sda1");
	ck_assert_uint_eq(cfg.memory, 2ull << 30);
	ck_assert_uint_eq(cfg.cpus, 4);
	ck_assert_int_eq(cfg.serial, CONSOLE_FILE);
	ck_assert_str_eq(cfg.serial_path, "/var/log/web-1.log");
	ck_assert(hv_has(&cfg.hv, HV_FEAT_SYNIC));
	ck_assert(!hv_has(&cfg.hv, HV_FEAT_IPI));
	ck_assert_int_eq(cfg.on_crash, HV_CRASH_RESET);
	ck_assert(cfg.no_reboot);
	ck_assert_uint_eq(cfg.shutdown_timeout, 120);
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
	ck_assert(cfg.stats);
	ck_assert(!cfg.seccomp);
	ck_assert_str_eq(cfg.api_socket, "/run/hvkvm/web-1.sock");
	ck_assert_uint_eq(cfg.ndisks, 3);
	ck_assert_str_eq(cfg.disks[0].path, "/var/lib/hvkvm/root.img");
	ck_assert_str_eq(cfg.disks[0].serial, "ROOT");
	ck_assert_uint_eq(cfg.disks[0].lun, 0);
	ck_assert(cfg.disks[1].readonly);
	ck_assert_int_eq(cfg.disks[1].cache, DISK_CACHE_NONE);
	ck_assert_uint_eq(cfg.disks[1].controller, 1);
	ck_assert_uint_eq(cfg.disks[1].lun, 9);
	ck_assert_uint_eq(cfg.disks[2].controller, 0);
	ck_assert_uint_eq(cfg.disks[2].lun, 1);
	ck_assert_int_eq(cfg.disks[0].format, DISK_FORMAT_AUTO);
	ck_assert_int_eq(cfg.disks[2].format, DISK_FORMAT_VHDX);
	ck_assert_uint_eq(cfg.nnets, 2);
	ck_assert_str_eq(cfg.nets[0].tap, "tap-web1");
	ck_assert(!cfg.nets[0].has_mac);
	ck_assert_uint_eq(cfg.nets[0].mtu, 1500);
	ck_assert_ptr_null(cfg.nets[0].id);
	ck_assert(cfg.nets[1].has_mac);
	ck_assert_mem_eq(cfg.nets[1].mac, ((uint8_t[]){ 2, 0, 0, 0xaa, 0xbb, 0xcc }), 6);
	ck_assert_uint_eq(cfg.nets[1].mtu, 9000);
	ck_assert_str_eq(cfg.nets[1].id, "backend");
	ck_assert_int_eq(config_finish(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.nets[0].id, "net0");
}
END_TEST

START_TEST(memory_forms)
{
	static const struct { const char *json; uint64_t bytes; } t[] = {
		{ "\"1G\"", 1ull << 30 }, { "\"512M\"", 512ull << 20 }, { "\"512MiB\"", 512ull << 20 },
		{ "\"33792K\"", 33ull << 20 }, { "\"1T\"", 1ull << 40 },
		{ "2048", 2ull << 30 },		/* an integer is MiB, as a bare number on the command line */
		{ "\"2048\"", 2ull << 30 }, { "32", 32ull << 20 }, { "1048576", 1ull << 40 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_load_ok(loadf("{\"memory\": %s}", t[i].json));
		ck_assert_msg(cfg.memory == t[i].bytes, "%s: %llu", t[i].json, (unsigned long long)cfg.memory);
	}
}
END_TEST

START_TEST(empty_arrays)
{
	assert_load_ok(load("{\"disks\": [], \"nets\": []}"));
	ck_assert_uint_eq(cfg.ndisks, 0);
	ck_assert_uint_eq(cfg.nnets, 0);
	ck_assert_ptr_null(cfg.disks);
	ck_assert_ptr_null(cfg.nets);
	/* An empty device is not a device: its required key is missing. */
	assert_load_err(load("{\"disks\": [{}]}"), "vm.json: disks[0]: \"path\" is required");
	assert_load_err(load("{\"nets\": [{}]}"), "vm.json: nets[0]: \"tap\" is required");
}
END_TEST

/* ---- every kind of error --------------------------------------------------------- */

START_TEST(unknown_keys)
{
	assert_load_err(load("{\"cpus\": 1, \"memroy\": \"1G\"}"),
			"vm.json: memroy: unknown key (known: name, kernel, initrd, cmdline, firmware, firmware-vars, option-rom, memory, "
			"cpus, serial, hv, on-crash, no-reboot, shutdown-timeout, log-level, stats, "
			"seccomp, api-socket, vsock, cdrom, vnc, vnc-password-file, boot, disks, nets, kvp)");
	assert_load_err(load("{\"disks\": [{\"path\": \"a\"}, {\"path\": \"b\", \"discard\": true}]}"),
			"vm.json: disks[1].discard: unknown key (known: path, format, readonly, serial, cache, controller, lun)");
	assert_load_err(load("{\"nets\": [{\"tap\": \"t\", \"vlan\": 3}]}"),
			"vm.json: nets[0].vlan: unknown key (known: id, tap, mac, mtu)");
	/* Command-line-only options are not keys, nor are singular device names. */
	assert_load_err_has(load("{\"config\": \"x.json\"}"), "vm.json: config: unknown key", NULL);
	assert_load_err_has(load("{\"print-config\": true}"), "vm.json: print-config: unknown key", NULL);
	assert_load_err_has(load("{\"disk\": []}"), "vm.json: disk: unknown key", NULL);
	/* Keys are case-sensitive and spelled as the options are. */
	assert_load_err_has(load("{\"CPUS\": 1}"), "vm.json: CPUS: unknown key", NULL);
	assert_load_err_has(load("{\"on_crash\": \"exit\"}"), "vm.json: on_crash: unknown key", NULL);
	assert_load_err_has(load("{\"\": 1}"), "vm.json: : unknown key", NULL);
}
END_TEST

START_TEST(wrong_types)
{
	static const struct { const char *json, *want; } t[] = {
		{ "{\"cpus\": \"4\"}", "vm.json: cpus: expected an integer 1-254, got \"4\"" },
		{ "{\"cpus\": 4.0}", "vm.json: cpus: expected an integer 1-254, got 4.0" },
		{ "{\"cpus\": true}", "vm.json: cpus: expected an integer 1-254, got true" },
		{ "{\"cpus\": null}", "vm.json: cpus: expected an integer 1-254, got null" },
		{ "{\"cpus\": [4]}", "vm.json: cpus: expected an integer 1-254, got [4]" },
		{ "{\"cmdline\": 1}", "vm.json: cmdline: expected a string, got 1" },
		{ "{\"cmdline\": {}}", "vm.json: cmdline: expected a string, got {}" },
		{ "{\"memory\": 1.5}", "vm.json: memory: expected a size such as \"512M\" or \"2G\", or an integer number of MiB, got 1.5" },
		{ "{\"memory\": false}", "vm.json: memory: expected a size such as \"512M\" or \"2G\", or an integer number of MiB, got false" },
		{ "{\"no-reboot\": \"yes\"}", "vm.json: no-reboot: expected true or false, got \"yes\"" },
		{ "{\"no-reboot\": 1}", "vm.json: no-reboot: expected true or false, got 1" },
		{ "{\"seccomp\": \"off\"}", "vm.json: seccomp: expected true or false, got \"off\"" },
		{ "{\"stats\": null}", "vm.json: stats: expected true or false, got null" },
		{ "{\"shutdown-timeout\": \"30\"}", "vm.json: shutdown-timeout: expected seconds (0 to 86400), got \"30\"" },
		{ "{\"serial\": 0}", "vm.json: serial: expected stdio, file:PATH or none, got 0" },
		{ "{\"hv\": true}", "vm.json: hv: expected on, off or a list of Hyper-V features, got true" },
		{ "{\"kernel\": 7}", "vm.json: kernel: expected a path, got 7" },
		{ "{\"name\": [\"a\"]}", "vm.json: name: expected a name of 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, got [\"a\"]" },
		{ "{\"disks\": {\"path\": \"a\"}}", "vm.json: disks: expected an array of disk objects, got {\"path\":\"a\"}" },
		{ "{\"disks\": \"a.img\"}", "vm.json: disks: expected an array of disk objects, got \"a.img\"" },
		{ "{\"nets\": null}", "vm.json: nets: expected an array of network adapter objects, got null" },
		{ "{\"disks\": [\"a.img\"]}", "vm.json: disks[0]: expected an object, got \"a.img\"" },
		{ "{\"disks\": [[]]}", "vm.json: disks[0]: expected an object, got []" },
		{ "{\"disks\": [{\"path\": \"a\", \"lun\": \"x\"}]}", "vm.json: disks[0].lun: expected an integer 0-63, got \"x\"" },
		{ "{\"disks\": [{\"path\": \"a\", \"readonly\": \"on\"}]}", "vm.json: disks[0].readonly: expected true or false, got \"on\"" },
		{ "{\"disks\": [{\"path\": 1}]}", "vm.json: disks[0].path: expected a path, got 1" },
		{ "{\"nets\": [{\"tap\": \"t\", \"mtu\": \"9000\"}]}", "vm.json: nets[0].mtu: expected an integer 68-9202 (9202 is the largest MTU: frames of 9216 bytes, as Hyper-V's), got \"9000\"" },
		{ "{\"nets\": [{\"tap\": \"t\", \"mac\": 5}]}", "vm.json: nets[0].mac: expected a MAC address such as 52:54:00:12:34:56, got 5" },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_load_err(load(t[i].json), t[i].want);
}
END_TEST

START_TEST(ranges)
{
	static const struct { const char *json, *want; } t[] = {
		{ "{\"cpus\": 0}", "vm.json: cpus: a VM needs at least 1 CPU, got 0" },
		{ "{\"cpus\": -3}", "vm.json: cpus: a VM needs at least 1 CPU, got -3" },
		{ "{\"cpus\": 255}", "vm.json: cpus: too many CPUs (at most 254), got 255" },
		{ "{\"cpus\": 99999999999999999999}", "vm.json: cpus: too many CPUs (at most 254), got 18446744073709551615" },
		{ "{\"memory\": \"31M\"}", "vm.json: memory: must be between 32M and 1024G, got \"31M\"" },
		{ "{\"memory\": 31}", "vm.json: memory: must be between 32M and 1024G (an integer counts MiB), got 31" },
		{ "{\"memory\": 536870912}", "vm.json: memory: must be between 32M and 1024G (an integer counts MiB), got 536870912" },
		{ "{\"memory\": 9223372036854775807}", "vm.json: memory: must be between 32M and 1024G (an integer counts MiB), got 9223372036854775807" },
		{ "{\"memory\": -1}", "vm.json: memory: not a size (examples: 512M, 2G), got -1" },
		{ "{\"memory\": \"32769K\"}", "vm.json: memory: must be a whole number of MiB, got \"32769K\"" },
		{ "{\"memory\": \"12X\"}", "vm.json: memory: not a size (examples: 512M, 2G), got \"12X\"" },
		{ "{\"shutdown-timeout\": 86401}", "vm.json: shutdown-timeout: expected seconds (0 to 86400), got 86401" },
		{ "{\"shutdown-timeout\": -1}", "vm.json: shutdown-timeout: expected seconds (0 to 86400), got -1" },
		{ "{\"log-level\": \"trace\"}", "vm.json: log-level: expected error, warn, info or debug, got \"trace\"" },
		{ "{\"on-crash\": \"panic\"}", "vm.json: on-crash: expected exit or reset, got \"panic\"" },
		{ "{\"serial\": \"file:\"}", "vm.json: serial: expected stdio, file:PATH or none, got \"file:\"" },
		{ "{\"hv\": \"stimer,synic,vpindex\"}", "vm.json: hv: stimer: needs time,synic, got \"stimer,synic,vpindex\"" },
		{ "{\"hv\": \"tlbflush\"}", "vm.json: hv: tlbflush: not offered: KVM gives user space no way to flush another vCPU's TLB, so the flush hypercalls cannot be honoured, got \"tlbflush\"" },
		{ "{\"hv\": \"\"}", "vm.json: hv: empty (use on, off or a list of features), got \"\"" },
		{ "{\"name\": \"-web\"}", "vm.json: name: expected a name of 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, got \"-web\"" },
		{ "{\"api-socket\": \"\"}", "vm.json: api-socket: empty path" },
		{ "{\"firmware-vars\": \"\"}", "vm.json: firmware-vars: empty path" },
		{ "{\"vnc-password-file\": \"\"}", "vm.json: vnc-password-file: empty path" },
		{ "{\"vsock\": \"path=\"}", "vm.json: vsock: empty path" },
		{ "{\"vsock\": \"/run/v.sock\"}", "vm.json: vsock: expected path=PATH, got \"/run/v.sock\"" },
		{ "{\"kernel\": \"\"}", "vm.json: kernel: empty path" },
		{ "{\"kernel\": \"/nonexistent/vmlinuz\"}", "vm.json: kernel: /nonexistent/vmlinuz: No such file or directory" },
		{ "{\"disks\": [{\"path\": \"a\", \"lun\": 64}]}", "vm.json: disks[0].lun: expected an integer 0-63, got 64" },
		{ "{\"disks\": [{\"path\": \"a\", \"controller\": -1}]}", "vm.json: disks[0].controller: expected an integer 0-7, got -1" },
		{ "{\"disks\": [{\"path\": \"a\", \"controller\": 8}]}", "vm.json: disks[0].controller: expected an integer 0-7, got 8" },
		{ "{\"disks\": [{\"path\": \"a\", \"cache\": \"unsafe\"}]}", "vm.json: disks[0].cache: expected none or writeback, got \"unsafe\"" },
		{ "{\"disks\": [{\"path\": \"a\", \"format\": \"qcow2\"}]}", "vm.json: disks[0].format: expected raw, vhd or vhdx, got \"qcow2\"" },
		{ "{\"disks\": [{\"path\": \"a\", \"format\": \"VHDX\"}]}", "vm.json: disks[0].format: expected raw, vhd or vhdx, got \"VHDX\"" },
		{ "{\"disks\": [{\"path\": \"a\", \"serial\": \"\"}]}", "vm.json: disks[0].serial: expected 1 to 20 printable ASCII characters without spaces, got \"\"" },
		{ "{\"disks\": [{\"path\": \"a\", \"serial\": \"a b\"}]}", "vm.json: disks[0].serial: expected 1 to 20 printable ASCII characters without spaces, got \"a b\"" },
		{ "{\"disks\": [{\"path\": \"\"}]}", "vm.json: disks[0].path: empty path" },
		{ "{\"nets\": [{\"tap\": \"t\", \"mtu\": 67}]}", "vm.json: nets[0].mtu: expected an integer 68-9202 (9202 is the largest MTU: frames of 9216 bytes, as Hyper-V's), got 67" },
		{ "{\"nets\": [{\"tap\": \"t\", \"mtu\": 65522}]}", "vm.json: nets[0].mtu: expected an integer 68-9202 (9202 is the largest MTU: frames of 9216 bytes, as Hyper-V's), got 65522" },
		{ "{\"nets\": [{\"tap\": \"abcdefghijklmnop\"}]}", "vm.json: nets[0].tap: expected an interface name of 1 to 15 characters without '/', ':', '%' or spaces, got \"abcdefghijklmnop\"" },
		{ "{\"nets\": [{\"tap\": \"t\", \"id\": \"a b\"}]}", "vm.json: nets[0].id: expected an id of 1 to 32 letters, digits, '.', '_' or '-', got \"a b\"" },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_load_err(load(t[i].json), t[i].want);
	/* The limits themselves are good. */
	assert_load_ok(load("{\"cpus\": 254, \"memory\": \"1024G\", \"shutdown-timeout\": 86400,"
			    " \"nets\": [{\"tap\": \"abcdefghijklmno\", \"mtu\": 9202},"
			    " {\"tap\": \"b\", \"mtu\": 68}],"
			    " \"disks\": [{\"path\": \"a\", \"controller\": 7, \"lun\": 63,"
			    " \"serial\": \"12345678901234567890\"}]}"));
}
END_TEST

START_TEST(bad_macs)
{
	static const struct { const char *mac, *want; } t[] = {
		{ "01:00:5e:00:00:01", "a multicast address (the first octet is odd); a NIC needs a unicast one" },
		{ "ff:ff:ff:ff:ff:ff", "a multicast address" },
		{ "03:00:00:00:00:00", "a multicast address" },
		{ "00:00:00:00:00:00", "the all-zero address" },
		{ "", "expected a MAC address" },
		{ "52:54:00:12:34", "expected a MAC address" },
		{ "52:54:00:12:34:56:78", "expected a MAC address" },
		{ "52-54-00-12-34-56", "expected a MAC address" },
		{ "52:54:00:12:34:5", "expected a MAC address" },
		{ "52:54:0:12:34:567", "expected a MAC address" },
		{ " 52:54:00:12:34:5", "expected a MAC address" },
		{ "g2:54:00:12:34:56", "expected a MAC address" },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char want[160];

		assert_load_err_has(loadf("{\"nets\": [{\"tap\": \"t\", \"mac\": \"%s\"}]}", t[i].mac),
				    "vm.json: nets[0].mac: ", t[i].want, NULL);
		snprintf(want, sizeof(want), ", got \"%s\"", t[i].mac);
		ck_assert_msg(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
	}
}
END_TEST

START_TEST(device_clashes)
{
	assert_load_err(load("{\"disks\": [{\"path\": \"a.img\", \"lun\": 2},"
			     " {\"path\": \"b.img\", \"controller\": 0, \"lun\": 2}]}"),
			"vm.json: disks[1]: controller 0 LUN 2 is already used by a.img");
	/* The same LUN on another controller is another disk. */
	assert_load_ok(load("{\"disks\": [{\"path\": \"a.img\", \"lun\": 2},"
			    " {\"path\": \"b.img\", \"controller\": 1, \"lun\": 2}]}"));
	/* A free LUN is picked after the explicit ones before it, not around later ones. */
	assert_load_err(load("{\"disks\": [{\"path\": \"a.img\"}, {\"path\": \"b.img\", \"lun\": 0}]}"),
			"vm.json: disks[1]: controller 0 LUN 0 is already used by a.img");
	assert_load_err(load("{\"nets\": [{\"tap\": \"t0\"}, {\"tap\": \"t0\"}]}"),
			"vm.json: nets[1]: tap t0 is already used by another network adapter");
	assert_load_err(load("{\"nets\": [{\"tap\": \"t0\", \"id\": \"a\"}, {\"tap\": \"t1\", \"id\": \"a\"}]}"),
			"vm.json: nets[1]: id a is already used by the adapter on tap t0");
	assert_load_err(load("{\"nets\": [{\"tap\": \"t0\", \"mac\": \"02:00:00:00:00:01\"},"
			     " {\"tap\": \"t1\", \"mac\": \"02:00:00:00:00:01\"}]}"),
			"vm.json: nets[1]: MAC 02:00:00:00:00:01 is already used by the adapter on tap t0");
	{
		char text[4096];
		size_t n = (size_t)snprintf(text, sizeof(text), "{\"nets\": [");

		for (unsigned i = 0; i < 65; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s{\"tap\": \"t%u\"}", i ? ", " : "", i);
		snprintf(text + n, sizeof(text) - n, "]}");
		assert_load_err(load(text), "vm.json: nets[64]: too many network adapters (at most 64)");
	}
}
END_TEST

START_TEST(long_strings)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 64), *text = malloc(n + 64);

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(text);
	/* The longest command line is fine, one more is not. */
	memset(big, 'a', CONFIG_CMDLINE_MAX);
	big[CONFIG_CMDLINE_MAX] = '\0';
	snprintf(text, n + 64, "{\"cmdline\": \"%s\"}", big);
	assert_load_ok(load(text));
	ck_assert_uint_eq(strlen(cfg.cmdline), CONFIG_CMDLINE_MAX);
	snprintf(text, n + 64, "{\"cmdline\": \"%sb\"}", big);
	assert_load_err_has(load(text), "vm.json: cmdline: longer than 65535 characters, got \"aaaa",
			    "aaa...", NULL);
	ck_assert_uint_lt(strlen(err), 200);
	/* Paths. */
	memset(big, 'p', 5000);
	big[5000] = '\0';
	snprintf(text, n + 64, "{\"kernel\": \"%s\"}", big);
	assert_load_err_has(load(text), "vm.json: kernel: longer than 4095 characters, got \"ppp", NULL);
	snprintf(text, n + 64, "{\"firmware-vars\": \"%s\"}", big);
	assert_load_err_has(load(text), "vm.json: firmware-vars: longer than 4095 characters, got \"ppp", NULL);
	snprintf(text, n + 64, "{\"vnc-password-file\": \"%s\"}", big);
	assert_load_err_has(load(text), "vm.json: vnc-password-file: longer than 4095 characters, got \"ppp", NULL);
	snprintf(text, n + 64, "{\"api-socket\": \"%.108s\"}", big);
	assert_load_err_has(load(text),
			    "vm.json: api-socket: longer than 107 characters, the limit of a Unix socket's path, got \"ppp",
			    NULL);
	snprintf(text, n + 64, "{\"api-socket\": \"%.107s\"}", big);
	assert_load_ok(load(text));
	snprintf(text, n + 64, "{\"disks\": [{\"path\": \"%s\"}]}", big);
	assert_load_err_has(load(text), "vm.json: disks[0].path: longer than 4095 characters", NULL);
	snprintf(text, n + 64, "{\"serial\": \"file:%s\"}", big);
	assert_load_err_has(load(text), "vm.json: serial: longer than 4095 characters", NULL);
	/* A long unknown key is cut in the message. */
	snprintf(text, n + 64, "{\"%s\": 1}", big);
	assert_load_err_has(load(text), "vm.json: pppppppppppppppp", "...: unknown key", NULL);
	ck_assert_uint_lt(strlen(err), 400);
	/* A value of nearly the file limit. */
	memset(big, 'n', n - 64);
	big[n - 64] = '\0';
	snprintf(text, n + 64, "{\"name\": \"%s\"}", big);
	assert_load_err_has(load(text), "vm.json: name: expected a name", "got \"nnnn", "...", NULL);
	free(big);
	free(text);
}
END_TEST

START_TEST(non_object_root)
{
	assert_load_err(load("[]"), "vm.json: expected a JSON object at the top level, got []");
	assert_load_err(load("[{\"kernel\": \"x\"}]"),
			"vm.json: expected a JSON object at the top level, got [{\"kernel\":\"x\"}]");
	assert_load_err(load("\"kernel\""), "vm.json: expected a JSON object at the top level, got \"kernel\"");
	assert_load_err(load("42"), "vm.json: expected a JSON object at the top level, got 42");
	assert_load_err(load("null"), "vm.json: expected a JSON object at the top level, got null");
	assert_load_err(load("true\n"), "vm.json: expected a JSON object at the top level, got true");
}
END_TEST

START_TEST(syntax_errors)
{
	assert_load_err(load(""), "vm.json:1:1: JSON syntax error: unexpected end of data");
	assert_load_err(load("  \n \n"), "vm.json:3:1: JSON syntax error: unexpected end of data");
	assert_load_err(load("{\"cpus\": 1"), "vm.json:1:11: JSON syntax error: unexpected end of data");
	/* Trailing garbage, a second document, a trailing comma. */
	assert_load_err(load("{\"cpus\": 1} x"), "vm.json:1:13: JSON syntax error: unexpected character");
	assert_load_err(load("{\"cpus\": 1}\n{}\n"), "vm.json:2:1: JSON syntax error: unexpected character");
	assert_load_err(load("{},"), "vm.json:1:3: JSON syntax error: unexpected character");
	assert_load_err(load("{\n  \"cpus\": 1,\n  \"memory\": \"1G\",\n}\n"),
			"vm.json:4:1: JSON syntax error: unexpected character");
	assert_load_err(load("{\n  \"cpus\": 1\n  \"memory\": \"1G\"\n}\n"),
			"vm.json:3:3: JSON syntax error: object value separator ',' expected");
	assert_load_err(load("{\"cpus\": 01}"), "vm.json:1:12: JSON syntax error: number expected");
	assert_load_err_has(load("{\"cpus\": 1 /* two */}"), "vm.json:1:", "JSON syntax error", NULL);
	assert_load_err_has(load("{cpus: 1}"), "vm.json:1:2: JSON syntax error", NULL);
	assert_load_err_has(load("{\"stats\": tru}"), "vm.json:1:", "JSON syntax error: boolean expected", NULL);
	/* Not UTF-8. */
	assert_load_err_has(load("{\"cmdline\": \"\xff\"}"), "vm.json:1:", "JSON syntax error", NULL);
	/* Nesting deeper than anyone writes. */
	{
		char deep[200] = "{\"x\": ";

		for (unsigned i = 0; i < 40; i++)
			strcat(deep, "[");
		assert_load_err_has(load(deep), "vm.json:1:", "JSON syntax error: nesting too deep", NULL);
	}
}
END_TEST

START_TEST(nul_bytes)
{
	static const char with_nul[] = "{\n \"cmdline\": \"a\0b\"}";

	config_free(&cfg);
	config_init(&cfg);
	ck_assert_int_lt(config_load_json(&cfg, "vm.json", with_nul, sizeof(with_nul) - 1, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.json:2:15: a NUL byte: not a JSON text");
	/* Escaped, it is JSON, but no string here can hold it. */
	assert_load_err(load("{\"cmdline\": \"a\\u0000b\"}"), "vm.json: cmdline: a string with a NUL character");
	assert_load_err(load("{\"nets\": [{\"tap\": \"t\\u0000x\"}]}"), "vm.json: nets[0].tap: a string with a NUL character");
}
END_TEST

START_TEST(duplicate_keys)
{
	assert_load_err(load("{\"cpus\": 2, \"memory\": \"1G\", \"cpus\": 4}"),
			"vm.json:1:29: \"cpus\" is given twice in one object");
	assert_load_err(load("{\"disks\": [{\"path\": \"a\",\n \"lun\": 1, \"lun\": 2}]}"),
			"vm.json:2:12: \"lun\" is given twice in one object");
	/* The same key in different objects, and a key's name as a value, are fine. */
	assert_load_ok(load("{\"disks\": [{\"path\": \"path\"}, {\"path\": \"b\", \"serial\": \"path\"}],"
			    " \"cmdline\": \"cmdline\"}"));
	/* Strings with escaped quotes do not confuse the scan. */
	assert_load_ok(load("{\"cmdline\": \"a=\\\"cpus\\\", \\\\\", \"cpus\": 2}"));
	ck_assert_str_eq(cfg.cmdline, "a=\"cpus\", \\");
}
END_TEST

START_TEST(files)
{
	char path[160];

	config_free(&cfg);
	config_init(&cfg);
	ck_assert_int_lt(config_load_file(&cfg, "/nonexistent/vm.json", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "/nonexistent/vm.json: No such file or directory");
	ck_assert_int_lt(config_load_file(&cfg, dir, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s: %s", dir, strerror(EISDIR));
	ck_assert_str_eq(err, path);
	ck_assert_int_lt(config_load_file(&cfg, "", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "--config: empty path");
	if (geteuid() != 0) {
		write_file(json_path, "{}", 2);
		chmod(json_path, 0);
		ck_assert_int_lt(config_load_file(&cfg, json_path, err, sizeof(err)), 0);
		snprintf(path, sizeof(path), "%s: %s", json_path, strerror(EACCES));
		ck_assert_str_eq(err, path);
		chmod(json_path, 0600);
	}
	/* Larger than any configuration: refused without parsing. */
	{
		size_t n = (1u << 20) + 1;
		char *big = malloc(n);

		ck_assert_ptr_nonnull(big);
		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		write_file(json_path, big, n);
		free(big);
		ck_assert_int_lt(config_load_file(&cfg, json_path, err, sizeof(err)), 0);
		snprintf(path, sizeof(path), "%s: larger than 1048576 bytes: not a configuration", json_path);
		ck_assert_str_eq(err, path);
	}
	/* A good one, named in messages by the path given. */
	write_file(json_path, "{\"cpus\": 3}", 11);
	ck_assert_int_eq(config_load_file(&cfg, json_path, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.cpus, 3);
	write_file(json_path, "{\"cpus\": 300}", 13);
	ck_assert_int_lt(config_load_file(&cfg, json_path, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s: cpus: too many CPUs (at most 254), got 300", json_path);
	ck_assert_str_eq(err, path);
}
END_TEST

/* ---- the command line over a file ------------------------------------------------ */

START_TEST(cli_overrides_file)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"name\": \"filevm\", \"kernel\": \"%s\", \"cmdline\": \"from-file\", \"memory\": \"1G\","
		 " \"cpus\": 2, \"serial\": \"file:/tmp/f.log\", \"hv\": \"off\", \"seccomp\": false,"
		 " \"api-socket\": \"/run/f.sock\", \"log-level\": \"warn\", \"shutdown-timeout\": 5,"
		 " \"disks\": [{\"path\": \"f0.img\"}, {\"path\": \"f1.img\", \"lun\": 4}],"
		 " \"nets\": [{\"tap\": \"ftap\"}]}", kernel_path);
	write_file(json_path, text, strlen(text));

	/* The file alone. */
	parse("--config", json_path, NULL);
	assert_run_ok();
	ck_assert_str_eq(run.cfg.name, "filevm");
	ck_assert_str_eq(run.cfg.cmdline, "from-file");
	ck_assert_uint_eq(run.cfg.cpus, 2);
	ck_assert_uint_eq(run.cfg.hv.mask, 0);

	/* Scalars on the command line replace the file's, wherever --config stands. */
	parse("--cpus", "6", "--memory", "3G", "--config", json_path, "--cmdline", "from-cli",
	      "--serial", "none", "--hv", "on", "--seccomp", "on", "--name", "clivm",
	      "--api-socket", "/run/c.sock", "--kernel", initrd_path, "--shutdown-timeout", "0", NULL);
	assert_run_ok();
	ck_assert_str_eq(run.cfg.name, "clivm");
	ck_assert_str_eq(run.cfg.kernel, initrd_path);
	ck_assert_str_eq(run.cfg.cmdline, "from-cli");
	ck_assert_uint_eq(run.cfg.memory, 3ull << 30);
	ck_assert_uint_eq(run.cfg.cpus, 6);
	ck_assert_int_eq(run.cfg.serial, CONSOLE_NONE);
	ck_assert_ptr_null(run.cfg.serial_path);
	ck_assert(hv_has(&run.cfg.hv, HV_FEAT_SYNIC));
	ck_assert(run.cfg.seccomp);
	ck_assert_str_eq(run.cfg.api_socket, "/run/c.sock");
	ck_assert_int_eq(run.cfg.log_level, LOG_WARN);	/* not given: the file's */
	ck_assert_uint_eq(run.cfg.shutdown_timeout, 0);

	/* --disk and --net add devices after the file's; a disk without lun= takes the
	 * first LUN the file left free. */
	parse("--config", json_path, "--disk", "path=c0.img", "--disk", "path=c1.img,lun=9",
	      "--net", "tap=ctap", NULL);
	assert_run_ok();
	ck_assert_uint_eq(run.cfg.ndisks, 4);
	ck_assert_str_eq(run.cfg.disks[0].path, "f0.img");
	ck_assert_str_eq(run.cfg.disks[1].path, "f1.img");
	ck_assert_str_eq(run.cfg.disks[2].path, "c0.img");
	ck_assert_uint_eq(run.cfg.disks[2].lun, 1);
	ck_assert_uint_eq(run.cfg.disks[3].lun, 9);
	ck_assert_uint_eq(run.cfg.nnets, 2);
	ck_assert_str_eq(run.cfg.nets[0].tap, "ftap");
	ck_assert_str_eq(run.cfg.nets[0].id, "net0");
	ck_assert_str_eq(run.cfg.nets[1].tap, "ctap");
	ck_assert_str_eq(run.cfg.nets[1].id, "net1");

	/* A clash with the file's devices names them. */
	parse("--config", json_path, "--disk", "path=c.img,lun=4", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "--disk path=c.img,lun=4: controller 0 LUN 4 is already used by f1.img");
	parse("--config", json_path, "--net", "tap=ftap", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "--net tap=ftap: tap ftap is already used by another network adapter");

	/* Flags set what the file left false. */
	parse("--config", json_path, "--no-reboot", "--stats", NULL);
	assert_run_ok();
	ck_assert(run.cfg.no_reboot);
	ck_assert(run.cfg.stats);
}
END_TEST

START_TEST(cli_config_errors)
{
	char want[256];

	/* The file's message, as the command line reports it. */
	write_file(json_path, "{\"cpus\": \"two\"}", 15);
	parse("--config", json_path, "--kernel", kernel_path, NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	snprintf(want, sizeof(want), "%s: cpus: expected an integer 1-254, got \"two\"", json_path);
	ck_assert_str_eq(run.err, want);
	/* Even when the command line sets the same key: the file is checked whole. */
	parse("--config", json_path, "--cpus", "2", "--kernel", kernel_path, NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, want);
	parse("--kernel", kernel_path, "--config", "/nonexistent.json", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "/nonexistent.json: No such file or directory");
	parse("--kernel", kernel_path, "--config=", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "--config: empty path");
	parse("--kernel", kernel_path, "--config", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "--config needs an argument: FILE");
	/* One file. */
	write_file(json_path, "{}", 2);
	parse("--kernel", kernel_path, "--config", json_path, "--config", json_path, NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	snprintf(want, sizeof(want), "--config %s: only one --config file is read", json_path);
	ck_assert_str_eq(run.err, want);
	/* No kernel in either. */
	parse("--config", json_path, NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	snprintf(want, sizeof(want), "nothing to boot: give --kernel PATH, or \"kernel\" in %s, or "
		 "--disk or --cdrom for the firmware to boot the VM from (see --help)", json_path);
	ck_assert_str_eq(run.err, want);
	/* --help and earlier mistakes come before the file: it is not even read. */
	parse("--config", "/nonexistent.json", "--help", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	parse("--config", "/nonexistent.json", "--frobnicate", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "unknown option '--frobnicate' (see --help)");
	/* An argument that happens to be "--config" is not the option. */
	parse("--kernel", kernel_path, "--cmdline", "--config", NULL);
	assert_run_ok();
	ck_assert_str_eq(run.cfg.cmdline, "--config");
}
END_TEST

/* ---- --print-config read back ---------------------------------------------------- */

static void assert_same_config(const struct vm_config *a, const struct vm_config *b)
{
#define SAME_STR(f) do {							\
	if (!a->f || !b->f)							\
		ck_assert_msg(a->f == b->f, #f ": %s / %s", a->f ? a->f : "(null)", b->f ? b->f : "(null)"); \
	else									\
		ck_assert_str_eq(a->f, b->f);					\
} while (0)
	SAME_STR(name);
	SAME_STR(cdrom_path);
	ck_assert_int_eq(a->cdrom, b->cdrom);
	ck_assert_uint_eq(a->nboot, b->nboot);
	for (unsigned i = 0; i < a->nboot; i++)
		ck_assert_int_eq(a->boot[i], b->boot[i]);
	SAME_STR(kernel);
	SAME_STR(initrd);
	SAME_STR(cmdline);
	ck_assert_uint_eq(a->memory, b->memory);
	ck_assert_uint_eq(a->cpus, b->cpus);
	ck_assert_int_eq(a->serial, b->serial);
	if (a->serial == CONSOLE_FILE)
		SAME_STR(serial_path);
	ck_assert_int_eq(a->no_reboot, b->no_reboot);
	ck_assert_uint_eq(a->shutdown_timeout, b->shutdown_timeout);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_uint_eq(a->hv.mask, b->hv.mask);
	if (a->hv.mask) {
		ck_assert_uint_eq(a->hv.spinlock_retries, b->hv.spinlock_retries);
		ck_assert_str_eq(a->hv.vendor, b->hv.vendor);
	}
	ck_assert_int_eq(a->on_crash, b->on_crash);
	ck_assert_int_eq(a->stats, b->stats);
	SAME_STR(api_socket);
	SAME_STR(vnc);
	SAME_STR(vnc_password_file);
	ck_assert_int_eq(a->vnc_addr.is_unix, b->vnc_addr.is_unix);
	ck_assert_str_eq(a->vnc_addr.path, b->vnc_addr.path);
	ck_assert_str_eq(a->vnc_addr.host, b->vnc_addr.host);
	ck_assert_int_eq(a->vnc_addr.family, b->vnc_addr.family);
	ck_assert_uint_eq(a->vnc_addr.port, b->vnc_addr.port);
	ck_assert_int_eq(a->vnc_addr.loopback, b->vnc_addr.loopback);
	ck_assert_int_eq(a->seccomp, b->seccomp);
	ck_assert_uint_eq(a->ndisks, b->ndisks);
	for (unsigned i = 0; i < a->ndisks; i++) {
		SAME_STR(disks[i].path);
		SAME_STR(disks[i].serial);
		ck_assert_int_eq(a->disks[i].readonly, b->disks[i].readonly);
		ck_assert_int_eq(a->disks[i].cache, b->disks[i].cache);
		ck_assert_uint_eq(a->disks[i].controller, b->disks[i].controller);
		ck_assert_uint_eq(a->disks[i].lun, b->disks[i].lun);
	}
	ck_assert_uint_eq(a->nnets, b->nnets);
	for (unsigned i = 0; i < a->nnets; i++) {
		SAME_STR(nets[i].id);
		SAME_STR(nets[i].tap);
		ck_assert_int_eq(a->nets[i].has_mac, b->nets[i].has_mac);
		if (a->nets[i].has_mac)
			ck_assert_mem_eq(a->nets[i].mac, b->nets[i].mac, 6);
		ck_assert_uint_eq(a->nets[i].mtu, b->nets[i].mtu);
	}
#undef SAME_STR
}

/* Print run.cfg, load the text with --config, print again: same configuration, same text. */
static void round_trip(void)
{
	struct vm_config first;
	char *text;

	ck_assert_msg(run.r == CLI_EXIT_OK, "--print-config: %d (%s)", run.r, run.err);
	text = strdup(run.out);
	first = run.cfg;
	memset(&run.cfg, 0, sizeof(run.cfg));
	write_file(json_path, text, strlen(text));
	parse("--config", json_path, "--print-config", NULL);
	ck_assert_msg(run.r == CLI_EXIT_OK, "--config of --print-config's output: %s\n%s", run.err, text);
	assert_same_config(&first, &run.cfg);
	ck_assert_str_eq(run.out, text);
	config_free(&first);
	free(text);
}

START_TEST(print_round_trip_defaults)
{
	const char *k;
	char key[64];

	parse("--kernel", kernel_path, "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	/* Every default is spelled out, so the output documents the schema. */
	for (unsigned i = 0; (k = config_key_name(CONFIG_SCOPE_VM, i)); i++) {
		if (!strcmp(k, "name") || !strcmp(k, "initrd") || !strcmp(k, "api-socket") ||
		    !strcmp(k, "vsock") || !strcmp(k, "vnc") || !strcmp(k, "vnc-password-file") || !strcmp(k, "cdrom") ||
		    !strcmp(k, "firmware") || !strcmp(k, "firmware-vars") || !strcmp(k, "option-rom") ||
		    !strcmp(k, "boot"))
			continue;	/* unset: absent */
		snprintf(key, sizeof(key), "\"%s\": ", k);
		ck_assert_msg(strstr(run.out, key), "no %s in\n%s", key, run.out);
	}
	ck_assert_ptr_nonnull(strstr(run.out, "\"disks\": [],\n"));
	ck_assert_ptr_nonnull(strstr(run.out, "\"memory\": \"512M\",\n"));
	ck_assert_ptr_nonnull(strstr(run.out, "\"hv\": \"on\",\n"));
	round_trip();
}
END_TEST

/* --firmware uefi is Debian's OVMF: its path is what is kept and printed. */
START_TEST(print_round_trip_firmware)
{
	/* The smallest ROM the firmware walks: one 512-byte image, "PCIR" at 0x1c. */
	static char rom[512] = "\x55\xaa";
	char rom_path[128], want[192];

	if (access(CONFIG_FIRMWARE_UEFI, R_OK) || access(CONFIG_FIRMWARE_VARS_TEMPLATE, R_OK))
		return;		/* no ovmf package here */
	rom[0x18] = 0x1c;
	memcpy(rom + 0x1c, "PCIR", 4);
	rom[0x1c + 0x10] = 1;
	snprintf(rom_path, sizeof(rom_path), "%s.rom", kernel_path);
	write_file(rom_path, rom, sizeof(rom));
	parse("--firmware", "uefi", "--firmware-vars", "/var/lib/hvkvm/rt-1.vars", "--option-rom", rom_path,
	      "--cdrom", "", "--disk", "path=/images/c.img", "--boot", "disk,cdrom", "--print-config", NULL);
	ck_assert_msg(run.r == CLI_EXIT_OK, "%s", run.err);
	snprintf(want, sizeof(want), "\"option-rom\": \"%s\",\n", rom_path);
	ck_assert_ptr_nonnull(strstr(run.out, want));
	ck_assert_ptr_nonnull(strstr(run.out, "\"firmware\": \"" CONFIG_FIRMWARE_UEFI "\",\n"));
	ck_assert_ptr_nonnull(strstr(run.out, "\"firmware-vars\": \"/var/lib/hvkvm/rt-1.vars\",\n"));
	ck_assert_ptr_null(strstr(run.out, "\"kernel\": "));
	ck_assert_ptr_nonnull(strstr(run.out, "\"boot\": ["));
	ck_assert_ptr_nonnull(strstr(run.out, "\"disk\",\n"));
	round_trip();
	ck_assert_uint_eq(run.cfg.nboot, 2);
	ck_assert_int_eq(run.cfg.boot[0], CONFIG_BOOT_DISK);
	ck_assert_int_eq(run.cfg.boot[1], CONFIG_BOOT_CDROM);
	unlink(rom_path);
}
END_TEST

START_TEST(print_round_trip_everything)
{
	parse("--name", "rt-1", "--kernel", kernel_path, "--initrd", initrd_path,
	      "--cmdline", "console=ttyS0 \"quoted\" back\\slash / tab\there \xc3\xa9",
	      "--memory", "3G", "--cpus", "7", "--serial", "file:/tmp/rt serial.log",
	      "--hv", "relaxed,vpindex,synic,spinlocks=0x1fff,vendor-id=HvKvm Test",
	      "--on-crash", "reset", "--no-reboot", "--shutdown-timeout", "17", "--log-level", "error",
	      "--stats", "--seccomp", "off", "--api-socket", "/run/hvkvm/rt-1.sock",
	      "--vsock", "path=/run/hvkvm/rt-1.vsock", "--vnc", "[::]:5905", "--vnc-password-file", "/etc/hvkvm/rt-1.vncpw",
	      "--disk", "path=/images/a b.img,serial=A-1,readonly=on,cache=none,controller=2,lun=5",
	      "--disk", "path=/images/c.img", "--disk", "path=/images/d.vhdx,controller=2,format=vhdx",
	      "--net", "tap=tap0", "--net", "tap=tap1,mac=02:11:22:33:44:55,mtu=9000,id=storage",
	      "--kvp", "Role=web,db=x", "--kvp", "Cl\xc3\xa9=\"quoted\"", "--cdrom", "--print-config", NULL);
	ck_assert_msg(run.r == CLI_EXIT_OK, "%s", run.err);
	ck_assert_ptr_nonnull(strstr(run.out, "\"cdrom\": \"\",\n"));
	/* Every key of every scope is printed when it has a value. */
	for (enum config_scope s = CONFIG_SCOPE_VM; s <= CONFIG_SCOPE_NET; s++) {
		const char *k;

		for (unsigned i = 0; (k = config_key_name(s, i)); i++) {
			char key[64];

			if (!strncmp(k, "firmware", 8) || !strcmp(k, "option-rom") || !strcmp(k, "boot"))
				continue;	/* print_round_trip_firmware */
			snprintf(key, sizeof(key), "\"%s\": ", k);
			ck_assert_msg(strstr(run.out, key), "no %s in\n%s", key, run.out);
		}
	}
	ck_assert_ptr_nonnull(strstr(run.out, "\"hv\": \"relaxed,vpindex,synic,spinlocks=8191,vendor-id=HvKvm Test\""));
	round_trip();
}
END_TEST

START_TEST(print_round_trip_variants)
{
	static const char *const hv[] = {
		"off", "on", "on,ipi=off", "relaxed", "on,spinlocks=0", "on,vendor-id=Linux KVM Hv",
		"vpindex,synic,time,stimer,stimer-direct", "on,vapic", "on,vapic=off", "vpindex,vapic",
	};
	static const char *const mem[] = { "32M", "1T", "1025M", "33792K", "1024" };
	static const char *const serial[] = { "stdio", "none", "file:x" };

	for (unsigned i = 0; i < sizeof(hv) / sizeof(hv[0]); i++) {
		parse("--kernel", kernel_path, "--hv", hv[i], "--print-config", NULL);
		round_trip();
	}
	for (unsigned i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		parse("--kernel", kernel_path, "--memory", mem[i], "--print-config", NULL);
		round_trip();
	}
	for (unsigned i = 0; i < sizeof(serial) / sizeof(serial[0]); i++) {
		parse("--kernel", kernel_path, "--serial", serial[i], "--print-config", NULL);
		round_trip();
	}
	/* A full controller: 64 LUNs picked automatically come back as given. */
	{
		char *argv[3 + 2 * 64 + 2];
		int argc = 0;
		FILE *f;

		argv[argc++] = "hvkvm";
		argv[argc++] = "--kernel";
		argv[argc++] = kernel_path;
		for (unsigned i = 0; i < 64; i++) {
			argv[argc++] = "--disk";
			argv[argc++] = i % 2 ? "path=odd.img,controller=3" : "path=even.img,controller=3";
		}
		argv[argc++] = "--print-config";
		argv[argc] = NULL;
		run_free();
		config_init(&run.cfg);
		f = open_memstream(&run.out, &run.outlen);
		run.r = cli_parse(argc, argv, &run.cfg, f, run.err, sizeof(run.err));
		fclose(f);
		round_trip();
	}
}
END_TEST

/* vapic unasked: offered to a Linux kernel hvkvm boots, not to whatever firmware boots
 * (which may run its APIC in xAPIC mode, where the synthetic APIC MSRs cannot be served). */
START_TEST(vapic_default)
{
	const uint32_t vapic = 1u << HV_FEAT_VAPIC;

	parse("--kernel", kernel_path, "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert(run.cfg.hv.mask & vapic);
	ck_assert_ptr_nonnull(strstr(run.out, "\"hv\": \"on\",\n"));
	parse("--kernel", kernel_path, "--cmdline", "console=ttyS0 nox2apic", "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert(!(run.cfg.hv.mask & vapic));
	ck_assert_ptr_nonnull(strstr(run.out, "\"hv\": \"on,vapic=off\",\n"));
	round_trip();
	parse("--kernel", kernel_path, "--cmdline", "nox2apic", "--hv", "on,vapic", "--print-config", NULL);
	ck_assert_int_eq(run.r, CLI_EXIT_OK);
	ck_assert(run.cfg.hv.mask & vapic);
	round_trip();
	if (access(CONFIG_FIRMWARE_UEFI, R_OK) || access(CONFIG_FIRMWARE_VARS_TEMPLATE, R_OK))
		return;		/* no ovmf package here */
	parse("--firmware", "uefi", "--option-rom", "none", "--print-config", NULL);
	ck_assert_msg(run.r == CLI_EXIT_OK, "%s", run.err);
	ck_assert(!(run.cfg.hv.mask & vapic));
	ck_assert_ptr_nonnull(strstr(run.out, "\"hv\": \"on,vapic=off\",\n"));
	round_trip();
	parse("--firmware", "uefi", "--option-rom", "none", "--hv", "on,vapic", "--print-config", NULL);
	ck_assert_msg(run.r == CLI_EXIT_OK, "%s", run.err);
	ck_assert(run.cfg.hv.mask & vapic);
	ck_assert_ptr_nonnull(strstr(run.out, "\"hv\": \"on,vapic\",\n"));
	round_trip();
	ck_assert(run.cfg.hv.mask & vapic);
}
END_TEST

/* A message is one line, whatever the file's keys and values hold. */
START_TEST(errors_one_line)
{
	assert_load_err(load("{\"kern\\nel\": \"k\"}"),
			"vm.json: kern?el: unknown key (known: name, kernel, initrd, cmdline, firmware, firmware-vars, option-rom, memory, "
			"cpus, serial, hv, on-crash, no-reboot, shutdown-timeout, log-level, stats, "
			"seccomp, api-socket, vsock, cdrom, vnc, vnc-password-file, boot, disks, nets, kvp)");
	assert_load_err_has(load("{\"hv\": \"relaxed\\r\\u001b[2J\"}"), "vm.json: hv: ", NULL);
	ck_assert_ptr_null(strpbrk(err, "\r\n\x1b"));
	assert_load_err_has(load("{\"disks\": [{\"path\": \"a\", \"ca\\nche\": 1}]}"),
			    "vm.json: disks[0].ca?che: unknown key", NULL);
	/* A key given twice is quoted as written, raw control characters and all. */
	assert_load_err(load("{ \"kern\nel\": \"k\", \"kern\nel\": \"k\" }"),
			"vm.json:2:11: \"kern?el\" is given twice in one object");
}
END_TEST

/* What the command line takes, a file can hold: text that is not UTF-8 is refused
 * there, not written by --print-config into a file --config refuses. */
START_TEST(cli_not_utf8)
{
	static const char *const bad[] = {
		"ot=/dii\x08\xe0\xe0", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse("--kernel", kernel_path, "--cmdline", bad[i], "--print-config", NULL);
		ck_assert_int_eq(run.r, CLI_ERROR);
		ck_assert_msg(strstr(run.err, "--cmdline") && strstr(run.err, "not valid UTF-8 text"), "%s", run.err);
	}
	parse("--kernel", kernel_path, "--name", "vm", "--disk", "path=/tmp/\xff.img", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_msg(strstr(run.err, "not valid UTF-8 text"), "%s", run.err);
	/* Real UTF-8, up to four bytes, goes through and back. */
	parse("--kernel", kernel_path, "--cmdline", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", "--print-config", NULL);
	round_trip();
}
END_TEST

/* Every key of the file is an option of the same name (but the device lists). */
START_TEST(kvp_keys)
{
	char big[300];

	assert_load_ok(loadf("{\"kvp\": {\"Role\": \"web\", \"Zone\": \"\"}}"));
	ck_assert_uint_eq(cfg.nkvp, 2);
	ck_assert_str_eq(cfg.kvp[0].key, "Role");
	ck_assert_str_eq(cfg.kvp[1].value, "");
	assert_load_err_has(loadf("{\"kvp\": [\"Role\"]}"), "vm.json: kvp: expected an object", NULL);
	assert_load_err_has(loadf("{\"kvp\": {\"Role\": 5}}"), "vm.json: kvp: the value of a key must be a string",
			    NULL);
	assert_load_err_has(loadf("{\"kvp\": {\"\": \"x\"}}"), "a KVP key must be a non-empty string", NULL);

	/* A value may hold '=' and ','; a key given again takes the last value. */
	parse("--kernel", kernel_path, "--kvp", "Role=a=b,c", "--kvp", "Zone=eu", "--kvp", "Role=db", NULL);
	assert_run_ok();
	ck_assert_uint_eq(run.cfg.nkvp, 2);
	ck_assert_str_eq(run.cfg.kvp[0].value, "db");
	ck_assert_str_eq(run.cfg.kvp[1].value, "eu");
	parse("--kernel", kernel_path, "--kvp", "Role=a=b,c", NULL);
	assert_run_ok();
	ck_assert_str_eq(run.cfg.kvp[0].value, "a=b,c");
	parse("--kernel", kernel_path, "--kvp", "Role", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_str_eq(run.err, "--kvp Role: expected KEY=VALUE");
	parse("--kernel", kernel_path, "--kvp", "=x", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	memset(big, 'k', 256);
	strcpy(big + 256, "=v");
	parse("--kernel", kernel_path, "--kvp", big, NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_msg(strstr(run.err, "at most 255 UTF-16 code units"), "%s", run.err);
	parse("--kernel", kernel_path, "--kvp", "k=\xff", NULL);
	ck_assert_int_eq(run.r, CLI_ERROR);
	ck_assert_msg(strstr(run.err, "a KVP value must be valid UTF-8"), "%s", run.err);
	/* at most 64 */
	{
		const char *argv[140];
		char keys[65][16];
		int n = 0;

		for (int i = 0; i < 65; i++) {
			snprintf(keys[i], sizeof(keys[i]), "k%d=v", i);
			argv[n++] = "--kvp";
			argv[n++] = keys[i];
		}
		run_free();
		config_init(&run.cfg);
		{
			char *av[140];
			FILE *f = open_memstream(&run.out, &run.outlen);

			av[0] = "hvkvm";
			for (int i = 0; i < n; i++)
				av[i + 1] = (char *)argv[i];
			av[n + 1] = NULL;
			run.r = cli_parse(n + 1, av, &run.cfg, f, run.err, sizeof(run.err));
			fclose(f);
		}
		ck_assert_int_eq(run.r, CLI_ERROR);
		ck_assert_msg(strstr(run.err, "too many KVP keys (at most 64)"), "%s", run.err);
	}
}
END_TEST

START_TEST(schema_matches_options)
{
	const char *k;

	for (unsigned i = 0; (k = config_key_name(CONFIG_SCOPE_VM, i)); i++) {
		char opt[64];

		if (!strcmp(k, "disks") || !strcmp(k, "nets"))
			continue;
		snprintf(opt, sizeof(opt), "--%s", k);
		parse(opt, NULL);
		ck_assert_int_eq(run.r, CLI_ERROR);
		ck_assert_msg(!strstr(run.err, "unknown option"), "%s: %s", opt, run.err);
	}
}
END_TEST

/* ---- sizes and MACs -------------------------------------------------------------- */

START_TEST(format_size)
{
	static const struct { uint64_t v; const char *s; } t[] = {
		{ 512ull << 20, "512M" }, { 1ull << 30, "1G" }, { 3ull << 30, "3G" },
		{ 1025ull << 20, "1025M" }, { 1ull << 40, "1T" }, { 1536ull << 30, "1536G" },
		{ 4096, "4K" },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[32];
		uint64_t back;

		config_format_size(t[i].v, buf, sizeof(buf));
		ck_assert_str_eq(buf, t[i].s);
		ck_assert_int_eq(config_parse_size(buf, &back), 0);
		ck_assert_uint_eq(back, t[i].v);
	}
}
END_TEST

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
	make_file(initrd_path, sizeof(initrd_path), "initrd");
	snprintf(json_path, sizeof(json_path), "%s/vm.json", dir);

	tc = tcase_create("good");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, minimal_file);
	tcase_add_test(tc, cdrom_key);
	tcase_add_test(tc, boot_key);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, memory_forms);
	tcase_add_test(tc, empty_arrays);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, bad_macs);
	tcase_add_test(tc, device_clashes);
	tcase_add_test(tc, long_strings);
	tcase_add_test(tc, non_object_root);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, files);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, cli_overrides_file);
	tcase_add_test(tc, cli_config_errors);
	tcase_add_test(tc, print_round_trip_defaults);
	tcase_add_test(tc, print_round_trip_everything);
	tcase_add_test(tc, print_round_trip_firmware);
	tcase_add_test(tc, print_round_trip_variants);
	tcase_add_test(tc, vapic_default);
	tcase_add_test(tc, errors_one_line);
	tcase_add_test(tc, cli_not_utf8);
	tcase_add_test(tc, schema_matches_options);
	tcase_add_test(tc, kvp_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, format_size);
	tcase_add_test(tc, parse_mac);
	tcase_add_test(tc, default_mac);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, net_mac);
	suite_add_tcase(s, tc);

	ret = test_main(s);
	unlink(kernel_path);
	unlink(initrd_path);
	unlink(json_path);
	rmdir(dir);
	return ret;
}
