/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef HVKVM_VERSION
#define HVKVM_VERSION "0.0.0"
#endif

struct cli_ctx {
	struct vm_config *cfg;
	char *err;
	size_t errlen;
};

struct cli_option {
	const char *name;
	char short_name;
	const char *metavar;	/* NULL: the option takes no argument */
	const char *help;
	int (*apply)(struct cli_ctx *c, const char *opt, const char *arg);
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

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1ull << 20;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (!strcmp(end, "iB") || !strcmp(end, "B"))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int set_string(char **dst, const char *arg)
{
	free(*dst);
	*dst = strdup(arg);
	return *dst ? 0 : -ENOMEM;
}

static int apply_readable_path(struct cli_ctx *c, const char *opt, const char *arg, char **dst)
{
	if (!*arg)
		return fail(c, "%s: empty path", opt);
	if (access(arg, R_OK) < 0)
		return fail(c, "%s %s: %s", opt, arg, strerror(errno));
	return set_string(dst, arg);
}

static int opt_kernel(struct cli_ctx *c, const char *opt, const char *arg)
{
	return apply_readable_path(c, opt, arg, &c->cfg->kernel);
}

static int opt_initrd(struct cli_ctx *c, const char *opt, const char *arg)
{
	return apply_readable_path(c, opt, arg, &c->cfg->initrd);
}

static int opt_cmdline(struct cli_ctx *c, const char *opt, const char *arg)
{
	(void)opt;
	return set_string(&c->cfg->cmdline, arg);
}

static int opt_memory(struct cli_ctx *c, const char *opt, const char *arg)
{
	uint64_t v;

	if (cli_parse_size(arg, &v) < 0)
		return fail(c, "%s %s: not a size (examples: 512M, 2G)", opt, arg);
	if (v < CONFIG_MIN_MEMORY || v > CONFIG_MAX_MEMORY)
		return fail(c, "%s %s: must be between %lluM and %lluG", opt, arg,
			    CONFIG_MIN_MEMORY >> 20, CONFIG_MAX_MEMORY >> 30);
	if (v % (1ull << 20))
		return fail(c, "%s %s: must be a whole number of MiB", opt, arg);
	c->cfg->memory = v;
	return 0;
}

static int opt_cpus(struct cli_ctx *c, const char *opt, const char *arg)
{
	unsigned n;

	if (cli_parse_uint(arg, 0, 1u << 20, &n) < 0)
		return fail(c, "%s %s: not a number of CPUs", opt, arg);
	if (n == 0)
		return fail(c, "%s %s: a VM needs at least 1 CPU", opt, arg);
	if (n > CONFIG_MAX_CPUS)
		return fail(c, "%s %s: too many CPUs (at most %u)", opt, arg, CONFIG_MAX_CPUS);
	c->cfg->cpus = n;
	return 0;
}

static int opt_serial(struct cli_ctx *c, const char *opt, const char *arg)
{
	struct vm_config *cfg = c->cfg;

	if (!strcmp(arg, "stdio")) {
		cfg->serial = CONSOLE_STDIO;
	} else if (!strcmp(arg, "none")) {
		cfg->serial = CONSOLE_NONE;
	} else if (!strncmp(arg, "file:", 5) && arg[5]) {
		cfg->serial = CONSOLE_FILE;
		return set_string(&cfg->serial_path, arg + 5);
	} else {
		return fail(c, "%s %s: expected stdio, file:PATH or none", opt, arg);
	}
	return 0;
}

static int opt_no_reboot(struct cli_ctx *c, const char *opt, const char *arg)
{
	(void)opt, (void)arg;
	c->cfg->no_reboot = true;
	return 0;
}

static int opt_shutdown_timeout(struct cli_ctx *c, const char *opt, const char *arg)
{
	if (cli_parse_uint(arg, 0, 86400, &c->cfg->shutdown_timeout) < 0)
		return fail(c, "%s %s: expected seconds (0 to 86400)", opt, arg);
	return 0;
}

static int opt_log_level(struct cli_ctx *c, const char *opt, const char *arg)
{
	if (log_parse_level(arg, &c->cfg->log_level) < 0)
		return fail(c, "%s %s: expected error, warn, info or debug", opt, arg);
	return 0;
}

/*
 * "key=value,key=value" for options that describe a device. Calls fn for each pair;
 * a value may not contain a comma. Returns -1 with the message set on the first error.
 */
static int parse_kvlist(struct cli_ctx *c, const char *opt, const char *arg,
			int (*fn)(struct cli_ctx *c, const char *opt, const char *key, const char *val, void *obj),
			void *obj)
{
	char *copy = strdup(arg), *save = NULL, *item;
	int r = 0;

	if (!copy)
		return fail(c, "%s: %s", opt, strerror(ENOMEM));
	for (item = strtok_r(copy, ",", &save); item && r == 0; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq || eq == item) {
			r = fail(c, "%s %s: expected key=value, got '%s'", opt, arg, item);
			break;
		}
		*eq = '\0';
		r = fn(c, opt, item, eq + 1, obj);
	}
	free(copy);
	return r;
}

static int parse_on_off(struct cli_ctx *c, const char *opt, const char *key, const char *val, bool *out)
{
	if (!strcmp(val, "on") || !strcmp(val, "true") || !strcmp(val, "1"))
		*out = true;
	else if (!strcmp(val, "off") || !strcmp(val, "false") || !strcmp(val, "0"))
		*out = false;
	else
		return fail(c, "%s %s=%s: expected on or off", opt, key, val);
	return 0;
}

static int disk_key(struct cli_ctx *c, const char *opt, const char *key, const char *val, void *obj)
{
	struct disk_config *d = obj;
	unsigned n;

	if (!strcmp(key, "path")) {
		if (!*val)
			return fail(c, "%s path=: empty path", opt);
		return set_string(&d->path, val);
	}
	if (!strcmp(key, "readonly"))
		return parse_on_off(c, opt, key, val, &d->readonly);
	if (!strcmp(key, "serial")) {
		if (!*val || strlen(val) > CONFIG_SERIAL_MAX)
			return fail(c, "%s serial=%s: 1 to %u characters", opt, val, CONFIG_SERIAL_MAX);
		for (const char *p = val; *p; p++)
			if (*p < 0x21 || *p > 0x7e)
				return fail(c, "%s serial=%s: printable ASCII without spaces only", opt, val);
		return set_string(&d->serial, val);
	}
	if (!strcmp(key, "cache")) {
		if (!strcmp(val, "none"))
			d->cache = DISK_CACHE_NONE;
		else if (!strcmp(val, "writeback"))
			d->cache = DISK_CACHE_WRITEBACK;
		else
			return fail(c, "%s cache=%s: expected none or writeback", opt, val);
		return 0;
	}
	if (!strcmp(key, "controller")) {
		if (cli_parse_uint(val, 0, CONFIG_MAX_CONTROLLERS - 1, &n) < 0)
			return fail(c, "%s controller=%s: 0 to %u", opt, val, CONFIG_MAX_CONTROLLERS - 1);
		d->controller = n;
		return 0;
	}
	if (!strcmp(key, "lun")) {
		if (cli_parse_uint(val, 0, CONFIG_MAX_LUNS - 1, &n) < 0)
			return fail(c, "%s lun=%s: 0 to %u", opt, val, CONFIG_MAX_LUNS - 1);
		d->lun = n;
		return 0;
	}
	return fail(c, "%s: unknown key '%s' (path, readonly, serial, cache, controller, lun)", opt, key);
}

static bool lun_taken(const struct vm_config *cfg, unsigned controller, unsigned lun)
{
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].controller == controller && cfg->disks[i].lun == lun)
			return true;
	return false;
}

static int opt_disk(struct cli_ctx *c, const char *opt, const char *arg)
{
	struct vm_config *cfg = c->cfg;
	struct disk_config d = { .lun = UINT32_MAX }, *grown;
	int r;

	r = parse_kvlist(c, opt, arg, disk_key, &d);
	if (r == 0 && !d.path)
		r = fail(c, "%s %s: path=FILE is required", opt, arg);
	if (r == 0 && d.lun == UINT32_MAX) {
		/* No LUN given: the first free one on that controller. */
		for (d.lun = 0; d.lun < CONFIG_MAX_LUNS && lun_taken(cfg, d.controller, d.lun); d.lun++)
			;
		if (d.lun == CONFIG_MAX_LUNS)
			r = fail(c, "%s %s: controller %u has no free LUN", opt, arg, d.controller);
	} else if (r == 0 && lun_taken(cfg, d.controller, d.lun)) {
		r = fail(c, "%s %s: controller %u LUN %u is already used", opt, arg, d.controller, d.lun);
	}
	if (r == 0) {
		grown = realloc(cfg->disks, (cfg->ndisks + 1) * sizeof(*grown));
		if (!grown)
			r = fail(c, "%s: %s", opt, strerror(ENOMEM));
		else
			cfg->disks = grown;
	}
	if (r < 0) {
		free(d.path);
		free(d.serial);
		return r;
	}
	cfg->disks[cfg->ndisks++] = d;
	return 0;
}

static int opt_hv(struct cli_ctx *c, const char *opt, const char *arg)
{
	(void)opt;
	return hv_features_parse(arg, &c->cfg->hv, c->err, c->errlen) < 0 ? -1 : 0;
}

static int opt_on_crash(struct cli_ctx *c, const char *opt, const char *arg)
{
	if (!strcmp(arg, "exit"))
		c->cfg->on_crash = HV_CRASH_EXIT;
	else if (!strcmp(arg, "reset"))
		c->cfg->on_crash = HV_CRASH_RESET;
	else
		return fail(c, "%s %s: expected exit or reset", opt, arg);
	return 0;
}

static int opt_stats(struct cli_ctx *c, const char *opt, const char *arg)
{
	(void)opt, (void)arg;
	c->cfg->stats = true;
	return 0;
}

static const struct cli_option options[] = {
	{ "kernel", 0, "PATH", "Linux kernel: a bzImage (/boot/vmlinuz-*) or an ELF vmlinux", opt_kernel },
	{ "initrd", 0, "PATH", "initial ramdisk", opt_initrd },
	{ "cmdline", 0, "STR", "kernel command line (default: console=ttyS0)", opt_cmdline },
	{ "memory", 'm', "SIZE", "guest RAM, e.g. 512M or 2G (default 512M)", opt_memory },
	{ "cpus", 0, "N", "number of vCPUs (default 1)", opt_cpus },
	{ "serial", 0, "stdio|file:PATH|none", "where COM1 goes (default stdio; Ctrl-A x quits, Ctrl-A h helps)", opt_serial },
	{ "disk", 0, "path=FILE[,...]", "a SCSI disk on a VMBus storage controller (repeatable; see README)", opt_disk },
	{ "hv", 0, "LIST|on|off", "Hyper-V enlightenments (default on: all; see README)", opt_hv },
	{ "on-crash", 0, "exit|reset", "when the guest reports a crash: exit with status 5 (default) or restart it", opt_on_crash },
	{ "stats", 0, NULL, "print exit, MSR, hypercall and SynIC counters when hvkvm exits", opt_stats },
	{ "no-reboot", 0, NULL, "exit with status 3 when the guest reboots instead of restarting it", opt_no_reboot },
	{ "shutdown-timeout", 0, "SEC", "on SIGTERM/SIGINT, stop hard if the guest has not powered off after SEC (default 30)", opt_shutdown_timeout },
	{ "log-level", 0, "LEVEL", "error, warn, info (default) or debug", opt_log_level },
};

void cli_print_help(FILE *out)
{
	fprintf(out,
		"Usage: hvkvm --kernel PATH [options]\n"
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

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out,
			  char *err, size_t errlen)
{
	struct cli_ctx c = { cfg, err, errlen };

	err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *arg = NULL, *eq = NULL;
		const struct cli_option *o;
		char opt[80];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cli_print_help(out);
			return CLI_EXIT_OK;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			fprintf(out, "hvkvm %s\n", HVKVM_VERSION);
			return CLI_EXIT_OK;
		}
		if (!strncmp(a, "--", 2) && a[2]) {
			eq = strchr(a + 2, '=');
			o = find_option(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), 0);
			if (eq)
				arg = eq + 1;
		} else if (a[0] == '-' && a[1] && !a[2]) {
			o = find_option(NULL, 0, a[1]);
		} else {
			fail(&c, "unexpected argument '%s' (see --help)", a);
			return CLI_ERROR;
		}
		if (!o) {
			fail(&c, "unknown option '%.*s' (see --help)",
			     (int)(eq && a[1] == '-' ? eq - a : (long)strlen(a)), a);
			return CLI_ERROR;
		}
		snprintf(opt, sizeof(opt), "--%s", o->name);
		if (o->metavar && !arg) {
			if (i + 1 >= argc) {
				fail(&c, "%s needs an argument: %s", opt, o->metavar);
				return CLI_ERROR;
			}
			arg = argv[++i];
		} else if (!o->metavar && arg) {
			fail(&c, "%s takes no argument", opt);
			return CLI_ERROR;
		}
		if (o->apply(&c, opt, arg ? arg : "") < 0) {
			if (!err[0])
				fail(&c, "%s: %s", opt, strerror(ENOMEM));
			return CLI_ERROR;
		}
	}
	if (!cfg->kernel) {
		fail(&c, "--kernel PATH is required (see --help)");
		return CLI_ERROR;
	}
	if (!cfg->cmdline && set_string(&cfg->cmdline, "console=ttyS0") < 0) {
		fail(&c, "%s", strerror(ENOMEM));
		return CLI_ERROR;
	}
	return CLI_RUN;
}
