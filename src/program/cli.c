/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvkvm-config.h"

#ifndef HVKVM_VERSION
#define HVKVM_VERSION "0.0.0"
#endif

#define WHERE_MAX	(CONFIG_PATH_MAX + 128)

struct cli_ctx {
	struct vm_config *cfg;
	char *err;
	size_t errlen;
	unsigned nconfig;		/* --config seen so far */
	const char *config;		/* its FILE */
	bool print_config;
};

struct cli_option {
	const char *name;		/* also its key in config_keys.c and a --config file */
	char short_name;
	const char *metavar;		/* NULL: the option takes no argument; "[X]": an optional one */
	const char *help;
	int (*apply)(struct cli_ctx *c, const struct cli_option *o, const char *arg);
};

static int fail(struct cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cli_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "--memory 12X", or "--memory" for an empty argument: how messages name a value. A
 * long one is cut, so that what is wrong with it still fits in the message. */
#define WHERE_ARG_MAX	200
static void where_arg(char *buf, size_t len, const char *opt, const char *arg)
{
	size_t n = strlen(arg);
	bool cut = n > WHERE_ARG_MAX;

	snprintf(buf, len, "%s%s%.*s%s", opt, *arg ? " " : "", (int)(cut ? WHERE_ARG_MAX - 3 : n), arg,
		 cut ? "..." : "");
}

/* An option that is a configuration key: the value goes to config_set as typed. */
static int opt_setting(struct cli_ctx *c, const struct cli_option *o, const char *arg)
{
	char opt[64], where[WHERE_MAX];
	struct config_err e = { .buf = c->err, .len = c->errlen, .where = where };
	struct config_val v = { .type = CONFIG_V_ARG, .s = arg };

	snprintf(opt, sizeof(opt), "--%s", o->name);
	where_arg(where, sizeof(where), opt, arg);
	if (!o->metavar)
		v = (struct config_val){ .type = CONFIG_V_BOOL, .b = true };	/* a flag */
	return config_set(&e, CONFIG_SCOPE_VM, c->cfg, o->name, &v);
}

/*
 * --disk and --net: "key=value,key=value", each pair set as the same key of a "disks"
 * or "nets" object in a file would be, then the device checked and added as one from a
 * file is. A value cannot contain a comma.
 */
static int opt_device(struct cli_ctx *c, const struct cli_option *o, const char *arg)
{
	enum config_scope scope = !strcmp(o->name, "disk") ? CONFIG_SCOPE_DISK : CONFIG_SCOPE_NET;
	char opt[64], where[WHERE_MAX], *copy, *save = NULL, *item;
	struct config_err e = { .buf = c->err, .len = c->errlen, .where = where };
	struct disk_config d;
	struct net_config n;
	void *dev = scope == CONFIG_SCOPE_DISK ? (void *)&d : (void *)&n;
	int r = 0;

	snprintf(opt, sizeof(opt), "--%s", o->name);
	copy = strdup(arg);
	if (!copy)
		return fail(c, "%s: %s", opt, strerror(ENOMEM));
	if (scope == CONFIG_SCOPE_DISK)
		config_disk_init(&d);
	else
		config_net_init(&n);
	for (item = strtok_r(copy, ",", &save); item && r == 0; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq || eq == item) {
			where_arg(where, sizeof(where), opt, arg);
			r = fail(c, "%s: expected key=value, got '%.40s%s'", where, item,
				 strlen(item) > 40 ? "..." : "");
			break;
		}
		where_arg(where, sizeof(where), opt, item);
		*eq = '\0';
		r = config_set(&e, scope, dev, item, &(struct config_val){ .type = CONFIG_V_ARG, .s = eq + 1 });
	}
	free(copy);
	where_arg(where, sizeof(where), opt, arg);
	if (r == 0)
		return scope == CONFIG_SCOPE_DISK ? config_add_disk(&e, c->cfg, &d) : config_add_net(&e, c->cfg, &n);
	if (scope == CONFIG_SCOPE_DISK)
		config_disk_free(&d);
	else
		config_net_free(&n);
	return r;
}

/* --kvp KEY=VALUE: the value may hold anything, '=' and ',' included. */
static int opt_kvp(struct cli_ctx *c, const struct cli_option *o, const char *arg)
{
	char where[WHERE_MAX], *copy, *eq;
	struct config_err e = { .buf = c->err, .len = c->errlen, .where = where };
	int r;

	(void)o;
	where_arg(where, sizeof(where), "--kvp", arg);
	eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return fail(c, "%s: expected KEY=VALUE", where);
	copy = strdup(arg);
	if (!copy)
		return fail(c, "--kvp: %s", strerror(ENOMEM));
	copy[eq - arg] = '\0';
	r = config_add_kvp(&e, c->cfg, copy, copy + (eq - arg) + 1);
	free(copy);
	return r;
}

/* The file was read before any other option (cli_parse); here only its count. */
static int opt_config(struct cli_ctx *c, const struct cli_option *o, const char *arg)
{
	(void)o;
	if (++c->nconfig > 1)
		return fail(c, "--config %s: only one --config file is read", arg);
	c->config = arg;
	return 0;
}

static int opt_print_config(struct cli_ctx *c, const struct cli_option *o, const char *arg)
{
	(void)o, (void)arg;
	c->print_config = true;
	return 0;
}

static const struct cli_option options[] = {
	{ "config", 0, "FILE", "read the settings from a JSON file; options given here override it", opt_config },
	{ "print-config", 0, NULL, "print the configuration as JSON (a --config file) and exit", opt_print_config },
	{ "name", 0, "NAME", "the VM's name (letters, digits, . _ -); NICs without mac= derive theirs from it", opt_setting },
	{ "kernel", 0, "PATH", "Linux kernel: a bzImage (/boot/vmlinuz-*) or an ELF vmlinux", opt_setting },
	{ "initrd", 0, "PATH", "initial ramdisk", opt_setting },
	{ "cmdline", 0, "STR", "kernel command line (default: console=ttyS0)", opt_setting },
	{ "firmware", 0, "uefi|PATH", "boot UEFI firmware (uefi: " CONFIG_FIRMWARE_UEFI ", the default without --kernel); it starts --kernel if given", opt_setting },
	{ "firmware-vars", 0, "PATH", "the firmware's variable store, made from " CONFIG_FIRMWARE_VARS_TEMPLATE " if missing (default: not kept)", opt_setting },
	{ "option-rom", 0, "PATH|none", "a PCI expansion ROM image for the firmware (default: hvkvm's UEFI driver for VMBus disks; at 00:03.0)", opt_setting },
	{ "memory", 'm', "SIZE", "guest RAM, e.g. 512M or 2G (default 512M; a bare number is MiB)", opt_setting },
	{ "cpus", 0, "N", "number of vCPUs (default 1, at most 254)", opt_setting },
	{ "serial", 0, "stdio|file:PATH|none", "where COM1 goes (default stdio; Ctrl-A x quits, Ctrl-A h helps)", opt_setting },
	{ "disk", 0, "path=FILE[,...]", "a SCSI disk on a VMBus storage controller (repeatable; see README)", opt_device },
	{ "cdrom", 0, "[PATH]", "a CD/DVD drive on SCSI controller 0 with the ISO image PATH (read-only; no PATH: empty)", opt_setting },
	{ "boot", 0, "LIST", "the firmware's boot order: cdrom,disk, disk,cdrom, cdrom or disk; only these are tried (default: the firmware's own order)", opt_setting },
	{ "net", 0, "tap=NAME[,...]", "a network adapter on a host tap interface (repeatable; see README)", opt_device },
	{ "kvp", 0, "KEY=VALUE", "a key the guest's KVP daemon finds in pool 0 (repeatable)", opt_kvp },
	{ "hv", 0, "LIST|on|off", "Hyper-V enlightenments (default on: all; see README)", opt_setting },
	{ "on-crash", 0, "exit|reset", "when the guest reports a crash: exit with status 5 (default) or restart it", opt_setting },
	{ "stats", 0, NULL, "print exit, MSR, hypercall, SynIC and VMBus counters when hvkvm exits", opt_setting },
	{ "no-reboot", 0, NULL, "exit with status 3 when the guest reboots instead of restarting it", opt_setting },
	{ "shutdown-timeout", 0, "SEC", "on SIGTERM/SIGINT, stop hard if the guest has not powered off after SEC (default 90, systemd's own stop timeout)", opt_setting },
	{ "vsock", 0, "path=PATH", "VMBus sockets (the guest's AF_VSOCK) on Unix sockets PATH and PATH_<port> (see README)", opt_setting },
	{ "api-socket", 0, "PATH", "serve the JSON-RPC management API on this Unix socket (default: none)", opt_setting },
	{ "vnc", 0, "unix:PATH|[HOST]:PORT", "serve the screen, keyboard and mouse to VNC viewers (default: none; no HOST: 127.0.0.1)", opt_setting },
	{ "vnc-password-file", 0, "PATH", "VNC authentication: the password is the file's first line (needed off loopback)", opt_setting },
	{ "seccomp", 0, "on|off", "confine hvkvm with a seccomp filter (default on)", opt_setting },
	{ "log-level", 0, "LEVEL", "error, warn, info (default) or debug", opt_setting },
};

void cli_print_help(FILE *out)
{
	fprintf(out,
		"Usage: hvkvm --kernel PATH [options]\n"
		"       hvkvm --disk path=IMAGE [options]   (no --kernel: UEFI boots the VM from its disks)\n"
		"       hvkvm --config FILE.json [options]\n"
		"       hvkvm ctl --socket PATH METHOD [key=value ...]   (see hvkvm ctl --help)\n"
		"Run a virtual machine on KVM that presents itself to the guest as Microsoft Hyper-V.\n\n"
		"Options:\n");
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct cli_option *o = &options[i];
		char left[64];

		snprintf(left, sizeof(left), "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
			 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(out, "  %-34s %s\n", left, o->help);
	}
	fprintf(out,
		"  -h, --help                         show this help\n"
		"  -V, --version                      show the version\n\n"
		"--disk path=FILE[,format=raw|vhd|vhdx][,readonly=on][,serial=STR][,cache=writeback|none]\n"
		"       [,controller=N][,lun=N]\n"
		"--net tap=NAME[,mac=MAC][,mtu=N][,id=ID]   (no mac: a stable one from --name, else the tap)\n\n"
		"A --config file holds the same settings: each key is an option's name (\"memory\": \"2G\",\n"
		"\"cpus\": 2, \"no-reboot\": true), and \"disks\" and \"nets\" are arrays of objects with the keys\n"
		"of --disk and --net. Options on the command line override the file; --disk and --net add\n"
		"devices after the file's.\n\n"
		"Exit status: 0 guest powered off; 1 hvkvm failed; 2 bad usage or setup;\n"
		"3 guest rebooted under --no-reboot; 4 guest triple fault or KVM could not run it;\n"
		"5 the guest reported a crash (Hyper-V crash MSRs);\n"
		"6 stopped from the host (Ctrl-A x, second signal, shutdown timeout).\n");
}

static const struct cli_option *find_option(const char *name, size_t len, char short_name)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct cli_option *o = &options[i];

		if (short_name ? o->short_name == short_name
			       : strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	}
	return NULL;
}

enum cli_token { TOKEN_OPTION, TOKEN_HELP, TOKEN_VERSION, TOKEN_ERROR };

/* The option at argv[*i] and its argument, which may be the next word (then *i moves
 * on to it). */
static enum cli_token next_option(struct cli_ctx *c, int argc, char **argv, int *i,
				  const struct cli_option **po, const char **parg)
{
	const char *a = argv[*i], *arg = NULL, *eq = NULL;
	const struct cli_option *o;

	if (!strcmp(a, "-h") || !strcmp(a, "--help"))
		return TOKEN_HELP;
	if (!strcmp(a, "-V") || !strcmp(a, "--version"))
		return TOKEN_VERSION;
	if (!strncmp(a, "--", 2) && a[2]) {
		eq = strchr(a + 2, '=');
		o = find_option(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), 0);
		if (eq)
			arg = eq + 1;
	} else if (a[0] == '-' && a[1] && !a[2]) {
		o = find_option(NULL, 0, a[1]);
	} else {
		fail(c, "unexpected argument '%s' (see --help)", a);
		return TOKEN_ERROR;
	}
	if (!o) {
		fail(c, "unknown option '%.*s' (see --help)",
		     (int)(eq && a[1] == '-' ? eq - a : (long)strlen(a)), a);
		return TOKEN_ERROR;
	}
	if (o->metavar && o->metavar[0] == '[' && !arg) {
		/* Optional: the next word, unless it is an option or there is none. */
		if (*i + 1 < argc && argv[*i + 1][0] != '-')
			arg = argv[++*i];
	} else if (o->metavar && !arg) {
		if (*i + 1 >= argc) {
			fail(c, "--%s needs an argument: %s", o->name, o->metavar);
			return TOKEN_ERROR;
		}
		arg = argv[++*i];
	} else if (!o->metavar && arg) {
		fail(c, "--%s takes no argument", o->name);
		return TOKEN_ERROR;
	}
	*po = o;
	*parg = arg ? arg : "";
	return TOKEN_OPTION;
}

/*
 * The file comes first whatever its place on the line, so that every other option
 * overrides it. Nothing is read if the line holds --help or --version before any
 * mistake, or a mistake: the second pass reports those as it always has.
 */
static int load_config_first(struct cli_ctx *c, int argc, char **argv)
{
	char scratch[256];
	struct cli_ctx quiet = { .cfg = c->cfg, .err = scratch, .errlen = sizeof(scratch) };
	const struct cli_option *o;
	const char *arg, *file = NULL;
	unsigned nfiles = 0;

	for (int i = 1; i < argc; i++) {
		if (next_option(&quiet, argc, argv, &i, &o, &arg) != TOKEN_OPTION)
			return 0;
		if (o->apply == opt_config) {
			file = arg;
			nfiles++;
		}
	}
	if (nfiles != 1)
		return 0;
	return config_load_file(c->cfg, file, c->err, c->errlen);
}

/* hvkvm's UEFI driver ROM (firmware/): beside the executable in a build tree
 * (firmware/hvkvm-vmbus.rom), else where the package installs it; NULL if neither is
 * there. */
static char *driver_rom(void)
{
	char exe[PATH_MAX], *slash, *p = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		if (slash && asprintf(&p, "%s/firmware/hvkvm-vmbus.rom", exe) >= 0) {
			if (!access(p, R_OK))
				return p;
			free(p);
		}
	}
	return access(HVKVM_DRIVER_ROM, R_OK) ? NULL : strdup(HVKVM_DRIVER_ROM);
}

/*
 * Without --kernel the VM boots as a Generation 2 VM does: UEFI (Debian's OVMF) from
 * its own disks, which the firmware finds through hvkvm's UEFI driver. The driver goes
 * with every firmware boot unless --option-rom names another ROM or none.
 */
static int boot_defaults(struct cli_ctx *c)
{
	struct vm_config *cfg = c->cfg;

	if (!cfg->kernel && !cfg->firmware) {
		if (!cfg->ndisks && !cfg->cdrom) {
			fail(c, "nothing to boot: give --kernel PATH%s%s, or --disk or --cdrom for the "
			     "firmware to boot the VM from (see --help)",
			     c->config ? ", or \"kernel\" in " : "", c->config ? c->config : "");
			return -1;
		}
		if (access(CONFIG_FIRMWARE_UEFI, R_OK) < 0) {
			int e = errno;

			fail(c, "no --kernel, and no UEFI firmware to boot the VM's disks with: %s: %s "
			     "(apt-get install ovmf, or give --kernel PATH%s%s)", CONFIG_FIRMWARE_UEFI,
			     strerror(e), c->config ? ", or \"kernel\" in " : "", c->config ? c->config : "");
			return -1;
		}
		if (!(cfg->firmware = strdup(CONFIG_FIRMWARE_UEFI)))
			goto nomem;
	}
	if (cfg->firmware && !cfg->option_rom && !cfg->no_option_rom)
		cfg->option_rom = driver_rom();
	if (!cfg->kernel && !cfg->option_rom && !cfg->no_option_rom) {
		fail(c, "no --kernel, and no UEFI driver ROM to boot the disks with (firmware/hvkvm-vmbus.rom "
		     "beside hvkvm, or %s): give --kernel PATH or --option-rom PATH|none", HVKVM_DRIVER_ROM);
		return -1;
	}
	return 0;
nomem:
	fail(c, "%s", strerror(ENOMEM));
	return -1;
}

static enum cli_result parse_args(int argc, char **argv, struct vm_config *cfg, FILE *out,
				  char *err, size_t errlen)
{
	struct cli_ctx c = { .cfg = cfg, .err = err, .errlen = errlen };
	const struct cli_option *o;
	const char *arg;

	err[0] = '\0';
	if (load_config_first(&c, argc, argv) < 0)
		return CLI_ERROR;
	for (int i = 1; i < argc; i++) {
		switch (next_option(&c, argc, argv, &i, &o, &arg)) {
		case TOKEN_HELP:
			cli_print_help(out);
			return CLI_EXIT_OK;
		case TOKEN_VERSION:
			fprintf(out, "hvkvm %s\n", HVKVM_VERSION);
			return CLI_EXIT_OK;
		case TOKEN_ERROR:
			return CLI_ERROR;
		case TOKEN_OPTION:
			break;
		}
		if (o->apply(&c, o, arg) < 0) {
			if (!err[0])
				fail(&c, "--%s: %s", o->name, strerror(ENOMEM));
			return CLI_ERROR;
		}
	}
	if (boot_defaults(&c) < 0)
		return CLI_ERROR;
	if (config_finish(cfg, err, errlen) < 0)
		return CLI_ERROR;
	if (c.print_config) {
		if (config_print_json(cfg, out) < 0) {
			fail(&c, "--print-config: %s", strerror(EIO));
			return CLI_ERROR;
		}
		return CLI_EXIT_OK;
	}
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out,
			  char *err, size_t errlen)
{
	enum cli_result r = parse_args(argc, argv, cfg, out, err, errlen);

	/* Messages quote what was typed: a newline in an argument would break the one
	 * line they are, an escape sequence the terminal. */
	if (r == CLI_ERROR)
		config_msg_printable(err);
	return r;
}
