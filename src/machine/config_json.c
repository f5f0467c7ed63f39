/* SPDX-License-Identifier: MIT */
/*
 * The configuration as a JSON file (--config) and back (--print-config). The schema is
 * the command line's: each key is a long option's name and takes what the option takes,
 * typed (numbers as integers, switches as booleans); "disks" and "nets" are arrays of
 * objects whose keys are those of --disk and --net. Every value goes through
 * config_set(), as the command line's do.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE_MAX		(1u << 20)	/* a configuration is a few hundred bytes */
#define WHERE_MAX		(CONFIG_PATH_MAX + 128)

/* "vm.json:3:14" for the byte at off. */
static void text_position(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	size_t start = 0;

	*line = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	}
	*col = (unsigned)(off - start + 1);
}

/*
 * json-c keeps the last of two equal keys in an object without a word, and a file that
 * sets "memory" twice is a mistake worth naming. The text is valid JSON by now, so this
 * only follows strings and nesting, and compares keys as written (escapes undecoded).
 * An object is a handful of keys; past 64 it cannot be valid and the key check will say
 * so, so it stops comparing there.
 */
static bool find_duplicate_key(const char *t, size_t len, size_t *at, size_t *klen)
{
	struct span { unsigned depth; size_t start, len; } *keys = NULL;
	size_t nkeys = 0, cap = 0;
	unsigned depth = 0, per_object[JSON_TOKENER_DEFAULT_DEPTH + 1] = { 0 };
	bool is_object[JSON_TOKENER_DEFAULT_DEPTH + 1] = { false }, want_key = false, dup = false;

	for (size_t i = 0; i < len && !dup; i++) {
		char c = t[i];

		if (c == '"' || c == '\'') {
			size_t s = i + 1;

			for (i = s; i < len && t[i] != c; i++)
				if (t[i] == '\\')
					i++;
			if (!want_key || !is_object[depth] || per_object[depth] >= 64)
				continue;
			want_key = false;
			per_object[depth]++;
			for (size_t k = nkeys; k-- > 0 && keys[k].depth == depth;) {
				if (keys[k].len == i - s && !memcmp(t + keys[k].start, t + s, i - s)) {
					*at = s - 1;
					*klen = i - s;
					dup = true;
					break;
				}
			}
			if (nkeys == cap) {
				struct span *grown = realloc(keys, (cap = cap ? 2 * cap : 64) * sizeof(*keys));

				if (!grown)
					break;	/* only a check: json-c's reading stands */
				keys = grown;
			}
			keys[nkeys++] = (struct span){ depth, s, i - s };
		} else if ((c == '{' || c == '[') && depth < JSON_TOKENER_DEFAULT_DEPTH) {
			depth++;
			is_object[depth] = c == '{';
			per_object[depth] = 0;
			want_key = c == '{';
		} else if ((c == '}' || c == ']') && depth > 0) {
			while (nkeys > 0 && keys[nkeys - 1].depth == depth)
				nkeys--;
			depth--;
		} else if (c == ',') {
			want_key = is_object[depth];
		}
	}
	free(keys);
	return dup;
}

/* The value as the file has it, shortened, for "got ..." in messages. */
static const char *describe(struct json_object *v, char *buf, size_t len)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		s = "?";
	if (strlen(s) < len)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%.*s...", (int)len - 4, s);
	return buf;
}

/* A key as it appears in a message: long or odd keys are cut, not echoed whole. */
static void where_key(char *buf, size_t len, const char *name, const char *prefix, const char *key)
{
	snprintf(buf, len, "%s: %s%s%.64s%s", name, prefix, *prefix ? "." : "", key,
		 strlen(key) > 64 ? "..." : "");
}

static int set_json(struct config_err *e, enum config_scope scope, void *obj, const char *key,
		    struct json_object *jv)
{
	struct config_val v = { .type = CONFIG_V_OTHER };
	char got[64];

	e->got = describe(jv, got, sizeof(got));
	switch (json_object_get_type(jv)) {
	case json_type_string:
		v.type = CONFIG_V_STRING;
		v.s = json_object_get_string(jv);
		if (strlen(v.s) != (size_t)json_object_get_string_len(jv)) {
			snprintf(e->buf, e->len, "%s: a string with a NUL character", e->where);
			return -1;
		}
		break;
	case json_type_int:
		v.type = CONFIG_V_INT;
		v.i = json_object_get_int64(jv);	/* beyond int64: clamped, so out of range */
		break;
	case json_type_boolean:
		v.type = CONFIG_V_BOOL;
		v.b = json_object_get_boolean(jv);
		break;
	default:
		break;
	}
	return config_set(e, scope, obj, key, &v);
}

/* "disks": [ { "path": ... }, ... ] or "nets": [ ... ]: each element as one --disk or --net. */
static int load_devices(struct vm_config *cfg, const char *name, const char *key,
			struct json_object *arr, char *err, size_t errlen)
{
	enum config_scope scope = !strcmp(key, "disks") ? CONFIG_SCOPE_DISK : CONFIG_SCOPE_NET;
	char where[WHERE_MAX], got[64], elem[32];
	struct config_err e = { .buf = err, .len = errlen, .where = where, .json = true };
	size_t n;

	if (!json_object_is_type(arr, json_type_array)) {
		e.got = describe(arr, got, sizeof(got));
		where_key(where, sizeof(where), name, "", key);
		return config_set(&e, CONFIG_SCOPE_VM, cfg, key, &(struct config_val){ .type = CONFIG_V_OTHER });
	}
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct disk_config d;
		struct net_config nc;
		void *dev = scope == CONFIG_SCOPE_DISK ? (void *)&d : (void *)&nc;
		int r = 0;

		snprintf(elem, sizeof(elem), "%s[%zu]", key, i);
		snprintf(where, sizeof(where), "%s: %s", name, elem);
		if (!json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "%s: expected an object, got %s", where,
				 describe(o, got, sizeof(got)));
			return -1;
		}
		if (scope == CONFIG_SCOPE_DISK)
			config_disk_init(&d);
		else
			config_net_init(&nc);
		json_object_object_foreach(o, k, v) {
			where_key(where, sizeof(where), name, elem, k);
			e.got = NULL;
			if ((r = set_json(&e, scope, dev, k, v)) < 0)
				break;
		}
		snprintf(where, sizeof(where), "%s: %s", name, elem);
		e.got = NULL;
		if (r == 0)
			r = scope == CONFIG_SCOPE_DISK ? config_add_disk(&e, cfg, &d) : config_add_net(&e, cfg, &nc);
		else if (scope == CONFIG_SCOPE_DISK)
			config_disk_free(&d);
		else
			config_net_free(&nc);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* "boot": [ "cdrom", "disk" ]: as --boot cdrom,disk, the list joined. */
static int load_boot(struct vm_config *cfg, const char *name, struct json_object *arr, char *err,
		     size_t errlen)
{
	char where[WHERE_MAX], list[64] = "", got[64];
	struct config_err e = { .buf = err, .len = errlen, .where = where, .json = true };
	size_t n = json_object_array_length(arr);

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
		size_t used = strlen(list);

		if (!s || strchr(s, ',') || strlen(s) != (size_t)json_object_get_string_len(o) ||
		    used + strlen(s) + 2 > sizeof(list)) {
			snprintf(err, errlen, "%s: boot[%zu]: expected cdrom or disk, got %s", name, i,
				 describe(o, got, sizeof(got)));
			config_msg_printable(err);
			return -1;
		}
		snprintf(list + used, sizeof(list) - used, "%s%s", i ? "," : "", s);
	}
	where_key(where, sizeof(where), name, "", "boot");
	e.got = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
	return config_set(&e, CONFIG_SCOPE_VM, cfg, "boot",
			  &(struct config_val){ .type = CONFIG_V_STRING, .s = list });
}

/* "kvp": { "key": "value", ... }: each pair as one --kvp. */
static int load_kvp(struct vm_config *cfg, const char *name, struct json_object *obj, char *err, size_t errlen)
{
	char where[WHERE_MAX], got[64];
	struct config_err e = { .buf = err, .len = errlen, .where = where, .json = true };

	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "%s: kvp: expected an object of string values, got %s", name,
			 describe(obj, got, sizeof(got)));
		return -1;
	}
	json_object_object_foreach(obj, k, v) {
		snprintf(where, sizeof(where), "%s: kvp", name);
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
			snprintf(err, errlen, "%s: kvp: the value of a key must be a string without NUL, got %s", name,
				 describe(v, got, sizeof(got)));
			return -1;
		}
		if (config_add_kvp(&e, cfg, k, json_object_get_string(v)) < 0)
			return -1;
	}
	return 0;
}

static int load_json(struct vm_config *cfg, const char *name, const char *text, size_t len,
		     char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	char where[WHERE_MAX], got[64];
	struct config_err e = { .buf = err, .len = errlen, .where = where, .json = true };
	const char *nul = len <= CONFIG_FILE_MAX ? memchr(text, '\0', len) : NULL;
	size_t off, klen;
	unsigned line, col;
	int r = 0;

	if (len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes: not a configuration", name, CONFIG_FILE_MAX);
		return -1;
	}
	if (nul) {
		text_position(text, len, (size_t)(nul - text), &line, &col);
		snprintf(err, errlen, "%s:%u:%u: a NUL byte: not a JSON text", name, line, col);
		return -1;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "%s: %s", name, strerror(ENOMEM));
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (!root && jerr == json_tokener_continue) {
		/* The end of the text ends a number, or says the text stopped short. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		off = len;
	}
	json_tokener_free(tok);
	if (!root && jerr == json_tokener_success) {
		snprintf(err, errlen, "%s: expected a JSON object at the top level, got null", name);
		return -1;
	}
	if (!root) {
		text_position(text, len, off, &line, &col);
		snprintf(err, errlen, "%s:%u:%u: JSON syntax error: %s", name, line, col,
			 json_tokener_error_desc(jerr));
		return -1;
	}
	if (find_duplicate_key(text, len, &off, &klen)) {
		text_position(text, len, off, &line, &col);
		snprintf(err, errlen, "%s:%u:%u: \"%.*s\" is given twice in one object", name, line, col,
			 (int)(klen > 64 ? 64 : klen), text + off + 1);
		r = -1;
	} else if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "%s: expected a JSON object at the top level, got %s", name,
			 describe(root, got, sizeof(got)));
		r = -1;
	} else {
		json_object_object_foreach(root, k, v) {
			if (!strcmp(k, "disks") || !strcmp(k, "nets")) {
				r = load_devices(cfg, name, k, v, err, errlen);
			} else if (!strcmp(k, "kvp")) {
				r = load_kvp(cfg, name, v, err, errlen);
			} else if (!strcmp(k, "boot") && json_object_is_type(v, json_type_array)) {
				r = load_boot(cfg, name, v, err, errlen);
			} else {
				where_key(where, sizeof(where), name, "", k);
				e.got = NULL;
				r = set_json(&e, CONFIG_SCOPE_VM, cfg, k, v);
			}
			if (r < 0)
				break;
		}
	}
	json_object_put(root);
	return r;
}

int config_load_json(struct vm_config *cfg, const char *name, const char *text, size_t len,
		     char *err, size_t errlen)
{
	int r = load_json(cfg, name, text, len, err, errlen);

	/* Some messages quote the text as written (a key given twice). */
	if (r < 0)
		config_msg_printable(err);
	return r;
}

int config_load_file(struct vm_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	int r;

	if (!*path) {
		snprintf(err, errlen, "--config: empty path");
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One byte more than the limit tells a large file from one at the limit. */
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		r = -1;
	} else {
		r = config_load_json(cfg, path, buf, n, err, errlen);
	}
	fclose(f);
	free(buf);
	return r;
}

/* ---- printing -------------------------------------------------------------------- */

/* --hv's text for f, which hv_features_parse reads back to the same features: "on",
 * "off", or the list. vapic is named when it was asked for: unnamed, config_finish leaves
 * it out for a guest behind firmware. */
static void format_hv(const struct hv_features *f, char *buf, size_t len)
{
	const uint32_t vapic = 1u << HV_FEAT_VAPIC;
	struct hv_features def;
	size_t n;

	hv_features_default(&def);
	if (!f->mask) {
		snprintf(buf, len, "off");
		return;
	}
	if (f->mask == def.mask)
		snprintf(buf, len, f->named & vapic ? "on,vapic" : "on");
	else if (f->mask == (def.mask & ~vapic))
		snprintf(buf, len, "on,vapic=off");
	else
		hv_features_describe(f, buf, len);
	n = strlen(buf);
	if (f->spinlock_retries != def.spinlock_retries && n < len)
		n += (size_t)snprintf(buf + n, len - n, ",spinlocks=%u", f->spinlock_retries);
	if (strcmp(f->vendor, def.vendor) && n < len)
		snprintf(buf + n, len - n, ",vendor-id=%s", f->vendor);
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	if (s)
		add(o, key, json_object_new_string(s));
}

static struct json_object *disk_json(const struct disk_config *d)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_str(o, "path", d->path);
	if (d->format != DISK_FORMAT_AUTO)
		add_str(o, "format", config_disk_format_name(d->format));
	add(o, "readonly", json_object_new_boolean(d->readonly));
	add_str(o, "serial", d->serial);
	add_str(o, "cache", d->cache == DISK_CACHE_NONE ? "none" : "writeback");
	add(o, "controller", json_object_new_int64(d->controller));
	add(o, "lun", json_object_new_int64(d->lun));
	return o;
}

static struct json_object *net_json(const struct net_config *n)
{
	struct json_object *o = json_object_new_object();
	char mac[18];

	if (!o)
		return NULL;
	add_str(o, "id", n->id);
	add_str(o, "tap", n->tap);
	if (n->has_mac) {
		config_format_mac(n->mac, mac);
		add_str(o, "mac", mac);
	}
	add(o, "mtu", json_object_new_int64(n->mtu));
	return o;
}

/* json-c prints an empty array over two lines: "[]" reads better. A newline inside the
 * brackets cannot be part of a string (the printer escapes those), so this never
 * touches a value. */
static int print_pretty(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (*s == '[') {
			size_t n = 1 + strspn(s + 1, " \n");

			if (s[n] == ']' && memchr(s, '\n', n)) {
				fputs("[]", out);
				s += n;
				continue;
			}
		}
		fputc(*s, out);
	}
	fputc('\n', out);
	return ferror(out) || fflush(out) ? -EIO : 0;
}

int config_print_json(const struct vm_config *cfg, FILE *out)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	struct json_object *root = json_object_new_object(), *disks, *nets, *kvp;
	char buf[256];
	const char *s;
	int r = 0;

	if (!root)
		return -ENOMEM;
	add_str(root, "name", cfg->name);
	add_str(root, "kernel", cfg->kernel);
	add_str(root, "initrd", cfg->initrd);
	add_str(root, "cmdline", cfg->cmdline);
	add_str(root, "firmware", cfg->firmware);
	add_str(root, "firmware-vars", cfg->firmware_vars);
	add_str(root, "option-rom", cfg->no_option_rom ? "none" : cfg->option_rom);
	config_format_size(cfg->memory, buf, sizeof(buf));
	add_str(root, "memory", buf);
	add(root, "cpus", json_object_new_int64(cfg->cpus));
	if (cfg->serial == CONSOLE_FILE) {
		char *f = NULL;

		if (asprintf(&f, "file:%s", cfg->serial_path) < 0)
			f = NULL;
		add_str(root, "serial", f ? f : "none");
		free(f);
	} else {
		add_str(root, "serial", cfg->serial == CONSOLE_NONE ? "none" : "stdio");
	}
	format_hv(&cfg->hv, buf, sizeof(buf));
	add_str(root, "hv", buf);
	add_str(root, "on-crash", cfg->on_crash == HV_CRASH_RESET ? "reset" : "exit");
	add(root, "no-reboot", json_object_new_boolean(cfg->no_reboot));
	add(root, "shutdown-timeout", json_object_new_int64(cfg->shutdown_timeout));
	add_str(root, "log-level", (unsigned)cfg->log_level < 4 ? levels[cfg->log_level] : "info");
	add(root, "stats", json_object_new_boolean(cfg->stats));
	add(root, "seccomp", json_object_new_boolean(cfg->seccomp));
	add_str(root, "api-socket", cfg->api_socket);
	if (cfg->vsock_path) {
		char *f = NULL;

		if (asprintf(&f, "path=%s", cfg->vsock_path) < 0)
			f = NULL;
		add_str(root, "vsock", f);
		free(f);
	} else {
		add_str(root, "vsock", NULL);
	}
	add_str(root, "cdrom", cfg->cdrom ? (cfg->cdrom_path ? cfg->cdrom_path : "") : NULL);
	add_str(root, "vnc", cfg->vnc);
	add_str(root, "vnc-password-file", cfg->vnc_password_file);
	add(root, "disks", disks = json_object_new_array());
	for (unsigned i = 0; i < cfg->ndisks && disks; i++)
		json_object_array_add(disks, disk_json(&cfg->disks[i]));
	add(root, "nets", nets = json_object_new_array());
	for (unsigned i = 0; i < cfg->nnets && nets; i++)
		json_object_array_add(nets, net_json(&cfg->nets[i]));
	if (cfg->nboot) {
		struct json_object *boot = json_object_new_array();

		for (unsigned i = 0; i < cfg->nboot && boot; i++)
			json_object_array_add(boot, json_object_new_string(config_boot_dev_name(cfg->boot[i])));
		add(root, "boot", boot);
	}
	add(root, "kvp", kvp = json_object_new_object());
	for (unsigned i = 0; i < cfg->nkvp && kvp; i++)
		add(kvp, cfg->kvp[i].key, json_object_new_string(cfg->kvp[i].value));
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || print_pretty(s, out) < 0)
		r = -EIO;
	json_object_put(root);
	return r;
}
