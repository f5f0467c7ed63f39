/* SPDX-License-Identifier: MIT */
/*
 * The schema: every key a configuration has, the values it takes and the message for
 * one it does not, and the checks of a device against the others. The command line
 * and the JSON file both come through config_set() and config_add_*().
 */
#include "config.h"
#include "ic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- messages -------------------------------------------------------------------- */

static int vfail(struct config_err *e, bool show_got, const char *fmt, va_list ap)
{
	char body[512];

	vsnprintf(body, sizeof(body), fmt, ap);
	if (show_got && e->got)
		snprintf(e->buf, e->len, "%s: %s, got %s", e->where, body, e->got);
	else
		snprintf(e->buf, e->len, "%s: %s", e->where, body);
	config_msg_printable(e->buf);
	return -1;
}

/* Messages quote keys and values as given; a control character there (a newline in a
 * JSON key or a command-line word) would break the one line a message is. */
void config_msg_printable(char *msg)
{
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* "<where>: <problem>", and on JSON ", got <value>". */
static int fail(struct config_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct config_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, true, fmt, ap);
	va_end(ap);
	return -1;
}

/* Without the value: for problems the message states in full. */
static int fail_plain(struct config_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_plain(struct config_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, false, fmt, ap);
	va_end(ap);
	return -1;
}

static int expected(struct config_err *e)
{
	return fail(e, "expected %s", e->expect);
}

/* ---- values as each key takes them ----------------------------------------------- */

static int val_text(const struct config_val *v, const char **s)
{
	if (v->type != CONFIG_V_ARG && v->type != CONFIG_V_STRING)
		return -EINVAL;
	*s = v->s;
	return 0;
}

/* A JSON integer, or a command-line word of decimal digits; huge ones clamp, so that
 * they fail the range check rather than wrap. */
static int val_int(const struct config_val *v, int64_t *out)
{
	unsigned long long n;
	char *end;

	if (v->type == CONFIG_V_INT) {
		*out = v->i;
		return 0;
	}
	if (v->type != CONFIG_V_ARG || v->s[0] < '0' || v->s[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(v->s, &end, 10);
	if (*end)
		return -EINVAL;
	*out = errno == ERANGE || n > INT64_MAX ? INT64_MAX : (int64_t)n;
	return 0;
}

static int val_bool(const struct config_val *v, bool *out)
{
	if (v->type == CONFIG_V_BOOL) {
		*out = v->b;
		return 0;
	}
	if (v->type != CONFIG_V_ARG)
		return -EINVAL;
	if (!strcmp(v->s, "on") || !strcmp(v->s, "true") || !strcmp(v->s, "1"))
		*out = true;
	else if (!strcmp(v->s, "off") || !strcmp(v->s, "false") || !strcmp(v->s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int set_bool(struct config_err *e, const struct config_val *v, bool *dst)
{
	if (val_bool(v, dst) < 0)
		return fail(e, e->json ? "expected true or false" : "expected on or off");
	return 0;
}

/* An integer key whose only message is the key's expect line. */
static int set_uint(struct config_err *e, const struct config_val *v, unsigned min, unsigned max,
		    unsigned *dst)
{
	int64_t n;

	if (val_int(v, &n) < 0 || n < min || n > max)
		return expected(e);
	*dst = (unsigned)n;
	return 0;
}

static int store_string(struct config_err *e, char **dst, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return fail_plain(e, "%s", strerror(ENOMEM));
	free(*dst);
	*dst = copy;
	return 0;
}

/* Any string up to max characters. */
static int set_string(struct config_err *e, const struct config_val *v, size_t max, char **dst)
{
	const char *s;

	if (val_text(v, &s) < 0)
		return expected(e);
	if (strlen(s) > max)
		return fail(e, "longer than %zu characters", max);
	return store_string(e, dst, s);
}

/* A path the user gives, in *s: text, not empty, at most max characters (limit: what
 * that maximum is, for the message, or ""). */
static int val_path(struct config_err *e, const struct config_val *v, size_t max, const char *limit,
		    const char **s)
{
	if (val_text(v, s) < 0)
		return expected(e);
	if (!**s)
		return fail_plain(e, "empty path");
	if (strlen(*s) > max)
		return fail(e, "longer than %zu characters%s", max, limit);
	return 0;
}

/* A path the user gives, stored as it is. */
static int set_path(struct config_err *e, const struct config_val *v, size_t max, const char *limit, char **dst)
{
	const char *s = NULL;

	if (val_path(e, v, max, limit, &s) < 0)
		return -1;
	return store_string(e, dst, s);
}

/* A path to a file hvkvm reads now: checked here so the message names the option. */
static int set_readable_path(struct config_err *e, const struct config_val *v, char **dst)
{
	const char *s = NULL;

	if (val_path(e, v, CONFIG_PATH_MAX, "", &s) < 0)
		return -1;
	if (access(s, R_OK) < 0) {
		int err = errno;

		/* The command line's where already shows the path. */
		return e->json ? fail_plain(e, "%s: %s", s, strerror(err))
			       : fail_plain(e, "%s", strerror(err));
	}
	return store_string(e, dst, s);
}

/* ---- one rule per setting -------------------------------------------------------- */

/* The rules' phrases: config_set's expect lines, and the management methods'. */
#define RULE_NAME	"a name of 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
#define RULE_NET_ID	"an id of 1 to 32 letters, digits, '.', '_' or '-'"
#define RULE_NET_TAP	"an interface name of 1 to 15 characters without '/', ':', '%' or spaces"
#define RULE_NET_MTU	"an integer 68-9202 (9202 is the largest MTU: frames of 9216 bytes, as Hyper-V's)"
#define RULE_SERIAL	"1 to 20 printable ASCII characters without spaces"
#define RULE_CACHE	"none or writeback"
#define RULE_FORMAT	"raw, vhd or vhdx"
#define RULE_CONTROLLER	"an integer 0-7"
#define RULE_LUN	"an integer 0-63"

_Static_assert(CONFIG_MAX_CPUS == 254 && CONFIG_MAX_CONTROLLERS == 8 && CONFIG_MAX_LUNS == 64 &&
	       CONFIG_SERIAL_MAX == 20 && CONFIG_NAME_MAX == 63 && CONFIG_NET_ID_MAX == 32 &&
	       CONFIG_TAP_NAME_MAX == 15 && CONFIG_NET_MTU_MIN == 68 && CONFIG_NET_MTU_MAX == 9202,
	       "the rules' phrases and the expect lines spell these numbers out");

bool config_name_chars(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

const char *config_rule_name(const char *s)
{
	if (!*s || strlen(s) > CONFIG_NAME_MAX || *s == '.' || *s == '-' || *s == '_' || !config_name_chars(s))
		return RULE_NAME;
	return NULL;
}

const char *config_rule_net_id(const char *s)
{
	if (!*s || strlen(s) > CONFIG_NET_ID_MAX || !config_name_chars(s))
		return RULE_NET_ID;
	return NULL;
}

/* Linux's rule for interface names (dev_valid_name), less '%', which would ask the
 * kernel to pick a number: a NIC's tap must have a name that stays the same. */
const char *config_rule_net_tap(const char *s)
{
	if (!*s || strlen(s) > CONFIG_TAP_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return RULE_NET_TAP;
	for (const char *p = s; *p; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '/' || *p == ':' || *p == '%')
			return RULE_NET_TAP;
	return NULL;
}

const char *config_rule_net_mtu(int64_t mtu)
{
	return mtu < CONFIG_NET_MTU_MIN || mtu > CONFIG_NET_MTU_MAX ? RULE_NET_MTU : NULL;
}

/* VPD page 0x80 holds printable ASCII; a space would end the serial for many tools. */
const char *config_rule_disk_serial(const char *s)
{
	if (!*s || strlen(s) > CONFIG_SERIAL_MAX)
		return RULE_SERIAL;
	for (const char *p = s; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return RULE_SERIAL;
	return NULL;
}

const char *config_rule_disk_cache(const char *s)
{
	return strcmp(s, "none") && strcmp(s, "writeback") ? RULE_CACHE : NULL;
}

const char *config_rule_disk_format(const char *s)
{
	return strcmp(s, "raw") && strcmp(s, "vhd") && strcmp(s, "vhdx") ? RULE_FORMAT : NULL;
}

enum disk_format config_disk_format(const char *s)
{
	return !strcmp(s, "raw") ? DISK_FORMAT_RAW : !strcmp(s, "vhd") ? DISK_FORMAT_VHD :
	       !strcmp(s, "vhdx") ? DISK_FORMAT_VHDX : DISK_FORMAT_AUTO;
}

const char *config_disk_format_name(enum disk_format f)
{
	switch (f) {
	case DISK_FORMAT_RAW: return "raw";
	case DISK_FORMAT_VHD: return "vhd";
	case DISK_FORMAT_VHDX: return "vhdx";
	default: return NULL;
	}
}

const char *config_rule_disk_controller(int64_t controller)
{
	return controller < 0 || controller >= CONFIG_MAX_CONTROLLERS ? RULE_CONTROLLER : NULL;
}

const char *config_rule_disk_lun(int64_t lun)
{
	return lun < 0 || lun >= CONFIG_MAX_LUNS ? RULE_LUN : NULL;
}

/* An integer key that keeps rule, whose only message is the key's expect line. */
static int set_uint_rule(struct config_err *e, const struct config_val *v, const char *(*rule)(int64_t),
			 unsigned *dst)
{
	int64_t n;

	if (val_int(v, &n) < 0 || rule(n))
		return expected(e);
	*dst = (unsigned)n;
	return 0;
}

/* A text key that keeps rule. */
static int set_text_rule(struct config_err *e, const struct config_val *v, const char *(*rule)(const char *),
			 char **dst)
{
	const char *s;

	if (val_text(v, &s) < 0 || rule(s))
		return expected(e);
	return store_string(e, dst, s);
}

/* ---- the VM's keys --------------------------------------------------------------- */

static int set_name(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_text_rule(e, v, config_rule_name, &((struct vm_config *)obj)->name);
}

static int set_kernel(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_readable_path(e, v, &((struct vm_config *)obj)->kernel);
}

static int set_initrd(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_readable_path(e, v, &((struct vm_config *)obj)->initrd);
}

static int set_firmware(struct config_err *e, const struct config_val *v, void *obj)
{
	const char *s;
	struct config_val path = *v;

	if (val_text(v, &s) < 0)
		return expected(e);
	if (!strcmp(s, "uefi"))
		path.s = CONFIG_FIRMWARE_UEFI;
	return set_readable_path(e, &path, &((struct vm_config *)obj)->firmware);
}

/* The store need not exist yet: it is made from the template at the first start. */
static int set_firmware_vars(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_path(e, v, CONFIG_PATH_MAX, "", &((struct vm_config *)obj)->firmware_vars);
}

static int set_option_rom(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	const char *s;

	if (val_text(v, &s) == 0 && !strcmp(s, "none")) {
		free(cfg->option_rom);
		cfg->option_rom = NULL;
		cfg->no_option_rom = true;
		return 0;
	}
	cfg->no_option_rom = false;
	return set_readable_path(e, v, &cfg->option_rom);
}

static int set_cmdline(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_string(e, v, CONFIG_CMDLINE_MAX, &((struct vm_config *)obj)->cmdline);
}

static int set_memory(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	const char *s;
	uint64_t b;

	if (v->type == CONFIG_V_INT) {
		if (v->i < 0)
			return fail(e, "not a size (examples: 512M, 2G)");
		/* An integer is MiB, as a bare number on the command line. */
		b = (uint64_t)v->i > (UINT64_MAX >> 20) ? UINT64_MAX : (uint64_t)v->i << 20;
	} else if (val_text(v, &s) == 0) {
		if (config_parse_size(s, &b) < 0)
			return fail(e, "not a size (examples: 512M, 2G)");
	} else {
		return expected(e);
	}
	if (b < CONFIG_MIN_MEMORY || b > CONFIG_MAX_MEMORY)
		return fail(e, "must be between %lluM and %lluG%s",
			    CONFIG_MIN_MEMORY >> 20, CONFIG_MAX_MEMORY >> 30,
			    v->type == CONFIG_V_INT ? " (an integer counts MiB)" : "");
	if (b % (1ull << 20))
		return fail(e, "must be a whole number of MiB");
	cfg->memory = b;
	return 0;
}

static int set_cpus(struct config_err *e, const struct config_val *v, void *obj)
{
	int64_t n;

	if (val_int(v, &n) < 0)
		return v->type == CONFIG_V_ARG ? fail(e, "not a number of CPUs") : expected(e);
	if (n < 1)
		return fail(e, "a VM needs at least 1 CPU");
	if (n > CONFIG_MAX_CPUS)
		return fail(e, "too many CPUs (at most %u)", CONFIG_MAX_CPUS);
	((struct vm_config *)obj)->cpus = (unsigned)n;
	return 0;
}

static int set_serial(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	const char *s;

	if (val_text(v, &s) < 0)
		return expected(e);
	if (!strcmp(s, "stdio") || !strcmp(s, "none")) {
		cfg->serial = !strcmp(s, "stdio") ? CONSOLE_STDIO : CONSOLE_NONE;
		free(cfg->serial_path);
		cfg->serial_path = NULL;
		return 0;
	}
	if (strncmp(s, "file:", 5) || !s[5])
		return expected(e);
	if (strlen(s + 5) > CONFIG_PATH_MAX)
		return fail(e, "longer than %u characters", CONFIG_PATH_MAX);
	if (store_string(e, &cfg->serial_path, s + 5) < 0)
		return -1;
	cfg->serial = CONSOLE_FILE;
	return 0;
}

static int set_hv(struct config_err *e, const struct config_val *v, void *obj)
{
	struct hv_features f;
	const char *s;
	char err[512];

	if (val_text(v, &s) < 0)
		return expected(e);
	if (hv_features_parse(s, &f, err, sizeof(err)) < 0) {
		if (e->json)
			return fail(e, "%s", err);
		/* "ITEM: problem" names the item already: "--hv ipi: needs vpindex". */
		snprintf(e->buf, e->len, "--hv%s%s", *s ? " " : ": ", err);
		config_msg_printable(e->buf);
		return -1;
	}
	((struct vm_config *)obj)->hv = f;
	return 0;
}

static int set_on_crash(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	const char *s;

	if (val_text(v, &s) < 0)
		return expected(e);
	if (!strcmp(s, "exit"))
		cfg->on_crash = HV_CRASH_EXIT;
	else if (!strcmp(s, "reset"))
		cfg->on_crash = HV_CRASH_RESET;
	else
		return expected(e);
	return 0;
}

static int set_no_reboot(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_bool(e, v, &((struct vm_config *)obj)->no_reboot);
}

static int set_shutdown_timeout(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_uint(e, v, 0, 86400, &((struct vm_config *)obj)->shutdown_timeout);
}

static int set_log_level(struct config_err *e, const struct config_val *v, void *obj)
{
	const char *s;

	if (val_text(v, &s) < 0 || log_parse_level(s, &((struct vm_config *)obj)->log_level) < 0)
		return expected(e);
	return 0;
}

static int set_stats(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_bool(e, v, &((struct vm_config *)obj)->stats);
}

static int set_seccomp(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_bool(e, v, &((struct vm_config *)obj)->seccomp);
}

static int set_api_socket(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_path(e, v, CONFIG_SOCKET_PATH_MAX, ", the limit of a Unix socket's path",
			&((struct vm_config *)obj)->api_socket);
}

/* "path=PATH": the form of --disk's path, room for more keys later. */
static int set_vsock(struct config_err *e, const struct config_val *v, void *obj)
{
	const char *s;

	if (val_text(v, &s) < 0)
		return expected(e);
	if (strncmp(s, "path=", 5))
		return expected(e);
	s += 5;
	if (!*s)
		return fail_plain(e, "empty path");
	if (strchr(s, ','))
		return fail_plain(e, "path=PATH is its only key; a ',' in the path is not supported");
	if (strlen(s) > CONFIG_VSOCK_PATH_MAX)
		return fail(e, "path longer than %u characters (a Unix socket's path, less \"_<port>\")",
			    CONFIG_VSOCK_PATH_MAX);
	return store_string(e, &((struct vm_config *)obj)->vsock_path, s);
}

const char *config_check_cdrom(const char *path, char *buf, size_t len)
{
	struct stat st;

	if (strlen(path) > CONFIG_PATH_MAX) {
		errno = ENAMETOOLONG;
		snprintf(buf, len, "longer than %u characters", CONFIG_PATH_MAX);
		return buf;
	}
	if (access(path, R_OK) < 0 || stat(path, &st) < 0) {
		snprintf(buf, len, "%s", strerror(errno));
		return buf;
	}
	if (S_ISBLK(st.st_mode))
		return NULL;		/* a drive's medium: its size is known once open */
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		snprintf(buf, len, "not a regular file or a block device");
		return buf;
	}
	if (st.st_size == 0 || st.st_size % CONFIG_CDROM_SECTOR) {
		errno = EINVAL;
		snprintf(buf, len, "not a CD/DVD image (ISO): its size, %lld bytes, is not a whole number of %u-byte sectors",
			 (long long)st.st_size, CONFIG_CDROM_SECTOR);
		return buf;
	}
	return NULL;
}

/* A path to an ISO image, or "" for an empty drive. */
static int set_cdrom(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	const char *s, *why;
	char buf[160];

	if (val_text(v, &s) < 0)
		return expected(e);
	if (!*s) {
		cfg->cdrom = true;
		free(cfg->cdrom_path);
		cfg->cdrom_path = NULL;
		return 0;
	}
	why = config_check_cdrom(s, buf, sizeof(buf));
	if (why)
		return e->json ? fail_plain(e, "%s: %s", s, why) : fail_plain(e, "%s", why);
	cfg->cdrom = true;
	return store_string(e, &cfg->cdrom_path, s);
}

const char *config_boot_dev_name(enum config_boot_dev d)
{
	return d == CONFIG_BOOT_CDROM ? "cdrom" : d == CONFIG_BOOT_DISK ? "disk" : "?";
}

const char *config_parse_boot(const char *s, enum config_boot_dev out[CONFIG_BOOT_MAX], unsigned *n)
{
	static const char rule[] = "a comma-separated list of cdrom and disk, each at most once";
	unsigned k = 0;

	if (!*s)
		return rule;
	for (;;) {
		size_t len = strcspn(s, ",");
		enum config_boot_dev d;

		if (len == 5 && !strncmp(s, "cdrom", len))
			d = CONFIG_BOOT_CDROM;
		else if (len == 4 && !strncmp(s, "disk", len))
			d = CONFIG_BOOT_DISK;
		else
			return rule;
		for (unsigned j = 0; j < k; j++)
			if (out[j] == d)
				return rule;
		if (k == CONFIG_BOOT_MAX)
			return rule;
		out[k++] = d;
		if (!s[len])
			break;
		s += len + 1;
	}
	*n = k;
	return NULL;
}

static int set_boot(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	enum config_boot_dev d[CONFIG_BOOT_MAX];
	unsigned n = 0;
	const char *s, *rule;

	if (val_text(v, &s) < 0)
		return expected(e);
	rule = config_parse_boot(s, d, &n);
	if (rule)
		return fail(e, "%s", rule);
	memcpy(cfg->boot, d, sizeof(d[0]) * n);
	cfg->nboot = n;
	return 0;
}

static int set_vnc(struct config_err *e, const struct config_val *v, void *obj)
{
	struct vm_config *cfg = obj;
	struct vnc_addr a;
	const char *s, *rule;

	if (val_text(v, &s) < 0)
		return expected(e);
	rule = vnc_addr_parse(s, &a);
	if (rule)
		return fail(e, "expected %s", rule);
	if (store_string(e, &cfg->vnc, s) < 0)
		return -1;
	cfg->vnc_addr = a;
	return 0;
}

static int set_vnc_password_file(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_path(e, v, CONFIG_PATH_MAX, "", &((struct vm_config *)obj)->vnc_password_file);
}

/*
 * VNC authentication is the only one RFB viewers share, and it is weak (an 8-character
 * DES challenge, nothing encrypted): a server that anyone on the network can reach and
 * type into the guest's console needs at least that; a Unix socket needs a password
 * no more than the management socket does, and cannot use one.
 */
const char *config_rule_vnc(const struct vm_config *cfg)
{
	if (cfg->vnc_password_file && !cfg->vnc)
		return "--vnc-password-file needs --vnc HOST:PORT";
	if (!cfg->vnc)
		return NULL;
	if (cfg->vnc_addr.is_unix && cfg->vnc_password_file)
		return "VNC authentication is for TCP: a Unix socket's mode 0600 guards it";
	if (!cfg->vnc_addr.loopback && !cfg->vnc_password_file)
		return "an address other hosts can reach needs --vnc-password-file";
	return NULL;
}

/* ---- a disk's keys --------------------------------------------------------------- */

static int set_disk_path(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_path(e, v, CONFIG_PATH_MAX, "", &((struct disk_config *)obj)->path);
}

static int set_disk_readonly(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_bool(e, v, &((struct disk_config *)obj)->readonly);
}

static int set_disk_serial(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_text_rule(e, v, config_rule_disk_serial, &((struct disk_config *)obj)->serial);
}

static int set_disk_cache(struct config_err *e, const struct config_val *v, void *obj)
{
	struct disk_config *d = obj;
	const char *s;

	if (val_text(v, &s) < 0 || config_rule_disk_cache(s))
		return expected(e);
	d->cache = !strcmp(s, "none") ? DISK_CACHE_NONE : DISK_CACHE_WRITEBACK;
	return 0;
}

static int set_disk_format(struct config_err *e, const struct config_val *v, void *obj)
{
	const char *s;

	if (val_text(v, &s) < 0 || config_rule_disk_format(s))
		return expected(e);
	((struct disk_config *)obj)->format = config_disk_format(s);
	return 0;
}

static int set_disk_controller(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_uint_rule(e, v, config_rule_disk_controller, &((struct disk_config *)obj)->controller);
}

static int set_disk_lun(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_uint_rule(e, v, config_rule_disk_lun, &((struct disk_config *)obj)->lun);
}

/* ---- a NIC's keys ---------------------------------------------------------------- */

static int set_net_id(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_text_rule(e, v, config_rule_net_id, &((struct net_config *)obj)->id);
}

static int set_net_tap(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_text_rule(e, v, config_rule_net_tap, &((struct net_config *)obj)->tap);
}

static int set_net_mac(struct config_err *e, const struct config_val *v, void *obj)
{
	struct net_config *n = obj;
	const char *s;
	int r;

	if (val_text(v, &s) < 0)
		return expected(e);
	r = config_parse_mac(s, n->mac);
	if (r == -EADDRNOTAVAIL)
		return fail(e, "%s", strspn(s, "0:") == strlen(s) ?
			    "the all-zero address; give a unicast one, or none to get a stable one" :
			    "a multicast address (the first octet is odd); a NIC needs a unicast one");
	if (r < 0)
		return expected(e);
	n->has_mac = true;
	return 0;
}

static int set_net_mtu(struct config_err *e, const struct config_val *v, void *obj)
{
	return set_uint_rule(e, v, config_rule_net_mtu, &((struct net_config *)obj)->mtu);
}

/* ---- the schema ------------------------------------------------------------------ */

struct config_key {
	const char *name;
	const char *expect;
	int (*set)(struct config_err *e, const struct config_val *v, void *obj);
};

static const struct config_key vm_keys[] = {
	{ "name", RULE_NAME, set_name },
	{ "kernel", "a path", set_kernel },
	{ "initrd", "a path", set_initrd },
	{ "cmdline", "a string", set_cmdline },
	{ "firmware", "uefi or a path", set_firmware },
	{ "firmware-vars", "a path", set_firmware_vars },
	{ "option-rom", "a path or none", set_option_rom },
	{ "memory", "a size such as \"512M\" or \"2G\", or an integer number of MiB", set_memory },
	{ "cpus", "an integer 1-254", set_cpus },
	{ "serial", "stdio, file:PATH or none", set_serial },
	{ "hv", "on, off or a list of Hyper-V features", set_hv },
	{ "on-crash", "exit or reset", set_on_crash },
	{ "no-reboot", "true or false", set_no_reboot },
	{ "shutdown-timeout", "seconds (0 to 86400)", set_shutdown_timeout },
	{ "log-level", "error, warn, info or debug", set_log_level },
	{ "stats", "true or false", set_stats },
	{ "seccomp", "true or false", set_seccomp },
	{ "api-socket", "a path", set_api_socket },
	{ "vsock", "path=PATH", set_vsock },
	{ "cdrom", "the path of an ISO image, or \"\" for an empty drive", set_cdrom },
	{ "vnc", "unix:PATH or [HOST]:PORT", set_vnc },
	{ "vnc-password-file", "a path", set_vnc_password_file },
	{ "boot", "cdrom, disk, or both in order: a list or \"cdrom,disk\"", set_boot },
	{ "disks", "an array of disk objects", NULL },
	{ "nets", "an array of network adapter objects", NULL },
	{ "kvp", "an object of string values: keys the guest finds in KVP pool 0", NULL },
	{ NULL, NULL, NULL },
};

static const struct config_key disk_keys[] = {
	{ "path", "a path", set_disk_path },
	{ "format", RULE_FORMAT, set_disk_format },
	{ "readonly", "true or false", set_disk_readonly },
	{ "serial", RULE_SERIAL, set_disk_serial },
	{ "cache", RULE_CACHE, set_disk_cache },
	{ "controller", RULE_CONTROLLER, set_disk_controller },
	{ "lun", RULE_LUN, set_disk_lun },
	{ NULL, NULL, NULL },
};

static const struct config_key net_keys[] = {
	{ "id", RULE_NET_ID, set_net_id },
	{ "tap", RULE_NET_TAP, set_net_tap },
	{ "mac", "a MAC address such as 52:54:00:12:34:56", set_net_mac },
	{ "mtu", RULE_NET_MTU, set_net_mtu },
	{ NULL, NULL, NULL },
};


static const struct config_key *scope_keys(enum config_scope scope)
{
	switch (scope) {
	case CONFIG_SCOPE_DISK: return disk_keys;
	case CONFIG_SCOPE_NET: return net_keys;
	default: return vm_keys;
	}
}

const char *config_key_name(enum config_scope scope, unsigned i)
{
	const struct config_key *k = scope_keys(scope);

	for (unsigned j = 0; j < i; j++)
		if (!k[j].name)
			return NULL;
	return k[i].name;
}

/* Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates, or code
 * points past U+10FFFF. */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned n, cp;

		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 1, cp = *s & 0x1f;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 2, cp = *s & 0x0f;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 3, cp = *s & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
			return false;
		if (n == 3 && (cp < 0x10000 || cp > 0x10ffff))
			return false;
		s += n + 1;
	}
	return true;
}

int config_set(struct config_err *e, enum config_scope scope, void *obj, const char *key,
	       const struct config_val *v)
{
	const struct config_key *k = scope_keys(scope);
	char known[256];
	size_t n = 0;

	for (unsigned i = 0; k[i].name; i++) {
		if (strcmp(k[i].name, key))
			continue;
		e->expect = k[i].expect;
		if (!k[i].set)
			return expected(e);
		/* Every setting must fit in a --config file, and JSON holds only text. */
		if ((v->type == CONFIG_V_ARG || v->type == CONFIG_V_STRING) && !utf8_valid(v->s))
			return fail_plain(e, "not valid UTF-8 text");
		return k[i].set(e, v, obj);
	}
	for (unsigned i = 0; k[i].name && n < sizeof(known); i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "", k[i].name);
	return fail_plain(e, "unknown key (known: %s)", known);
}

/* ---- devices --------------------------------------------------------------------- */

static const struct disk_config *lun_user(const struct vm_config *cfg, unsigned controller,
					  unsigned lun)
{
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].controller == controller && cfg->disks[i].lun == lun)
			return &cfg->disks[i];
	return NULL;
}

/* The lowest LUN of the controller that no disk of cfg has; CONFIG_MAX_LUNS if none. */
static unsigned first_free_lun(const struct vm_config *cfg, unsigned controller)
{
	unsigned lun;

	for (lun = 0; lun < CONFIG_MAX_LUNS && lun_user(cfg, controller, lun); lun++)
		;
	return lun;
}

unsigned config_cdrom_lun(const struct vm_config *cfg)
{
	return first_free_lun(cfg, 0);
}

int config_add_disk(struct config_err *e, struct vm_config *cfg, struct disk_config *d)
{
	const struct disk_config *other;
	struct disk_config *grown;
	int r = 0;

	if (!d->path) {
		r = fail_plain(e, e->json ? "\"path\" is required" : "path=FILE is required");
	} else if (d->lun == UINT32_MAX) {
		/* No LUN given: the first free one on that controller. */
		d->lun = first_free_lun(cfg, d->controller);
		if (d->lun == CONFIG_MAX_LUNS)
			r = fail_plain(e, "controller %u has no free LUN", d->controller);
	} else if ((other = lun_user(cfg, d->controller, d->lun))) {
		r = fail_plain(e, "controller %u LUN %u is already used by %s", d->controller, d->lun,
			       other->path);
	}
	if (r == 0) {
		grown = realloc(cfg->disks, (cfg->ndisks + 1) * sizeof(*grown));
		if (!grown)
			r = fail_plain(e, "%s", strerror(ENOMEM));
		else
			cfg->disks = grown;
	}
	if (r < 0) {
		config_disk_free(d);
		return r;
	}
	cfg->disks[cfg->ndisks++] = *d;
	memset(d, 0, sizeof(*d));
	return 0;
}

int config_add_net(struct config_err *e, struct vm_config *cfg, struct net_config *n)
{
	struct net_config *grown;
	char mac[18];
	int r = 0;

	if (!n->tap)
		r = fail_plain(e, e->json ? "\"tap\" is required" : "tap=NAME is required");
	else if (cfg->nnets == CONFIG_MAX_NETS)
		r = fail_plain(e, "too many network adapters (at most %u)", CONFIG_MAX_NETS);
	for (unsigned i = 0; i < cfg->nnets && r == 0; i++) {
		const struct net_config *o = &cfg->nets[i];

		if (!strcmp(o->tap, n->tap))
			r = fail_plain(e, "tap %s is already used by another network adapter", n->tap);
		else if (n->id && o->id && !strcmp(o->id, n->id))
			r = fail_plain(e, "id %s is already used by the adapter on tap %s", n->id, o->tap);
		else if (n->has_mac && o->has_mac && !memcmp(o->mac, n->mac, 6)) {
			config_format_mac(n->mac, mac);
			r = fail_plain(e, "MAC %s is already used by the adapter on tap %s", mac, o->tap);
		}
	}
	if (r == 0) {
		grown = realloc(cfg->nets, (cfg->nnets + 1) * sizeof(*grown));
		if (!grown)
			r = fail_plain(e, "%s", strerror(ENOMEM));
		else
			cfg->nets = grown;
	}
	if (r < 0) {
		config_net_free(n);
		return r;
	}
	cfg->nets[cfg->nnets++] = *n;
	memset(n, 0, sizeof(*n));
	return 0;
}

int config_add_kvp(struct config_err *e, struct vm_config *cfg, const char *key, const char *value)
{
	struct kvp_config *grown;
	const char *broken;
	char *k, *v;

	if ((broken = ic_kvp_check_key(key)))
		return fail_plain(e, "a KVP key must be %s", broken);
	if ((broken = ic_kvp_check_value(value)))
		return fail_plain(e, "a KVP value must be %s", broken);
	if (!(v = strdup(value)))
		return fail_plain(e, "%s", strerror(ENOMEM));
	for (unsigned i = 0; i < cfg->nkvp; i++) {
		if (!strcmp(cfg->kvp[i].key, key)) {
			free(cfg->kvp[i].value);
			cfg->kvp[i].value = v;
			return 0;
		}
	}
	if (cfg->nkvp == CONFIG_MAX_KVP) {
		free(v);
		return fail_plain(e, "too many KVP keys (at most %u)", CONFIG_MAX_KVP);
	}
	k = strdup(key);
	grown = k ? realloc(cfg->kvp, (cfg->nkvp + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(k);
		free(v);
		return fail_plain(e, "%s", strerror(ENOMEM));
	}
	cfg->kvp = grown;
	cfg->kvp[cfg->nkvp++] = (struct kvp_config){ k, v };
	return 0;
}
