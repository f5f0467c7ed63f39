/* SPDX-License-Identifier: MIT */
#include "ctl.h"
#include "jsonrpc.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_MAX_REPLY	(64u << 20)

static const char usage[] =
	"usage: hvkvm ctl --socket PATH [--timeout SEC] METHOD [key=value | key:=JSON ...]\n"
	"       hvkvm ctl --socket PATH --events [key=value ...]\n"
	"  -s, --socket PATH   the VM's management socket (hvkvm --api-socket PATH)\n"
	"  -t, --timeout SEC   give up waiting for the reply after SEC seconds (default 60; 0: never)\n"
	"      --events        print the VM's events, one JSON object per line, until it exits\n"
	"  -h, --help          show this help\n"
	"key=value passes a number, true, false or null as such and anything else as a string;\n"
	"key:=JSON passes any JSON value, e.g. types:='[\"state\"]' or serial:='\"0042\"'.\n"
	"Methods: vm.info vm.pause vm.resume vm.shutdown [timeout_s=N] vm.poweroff vm.reset vm.stats\n"
	"         guest.heartbeat disk.add path=F [controller=N lun=N readonly=B cache=none|writeback\n"
	"         serial=S] disk.remove [controller=N] lun=N cdrom.eject [force=B]\n"
	"         cdrom.insert path=F [force=B] net.add tap=T [mac=M mtu=N id=I]\n"
	"         net.remove id=I net.set_link id=I up=B net.set_ip id=I|mac=M\n"
	"         [addresses:=JSON gateways:=JSON dns:=JSON dhcp=B] events.subscribe [types:=JSON]\n"
	"         events.unsubscribe guest.info guest.ip mac=M kvp.list [pool=N]\n"
	"         kvp.get [pool=N] key=K kvp.set [pool=0|3] key=K value=V\n"
	"         kvp.delete [pool=0|3] key=K guest.freeze [timeout_s=N] guest.thaw\n"
	"         guest.fsfreeze_status guest.copy_file path=F guest_path=G [overwrite=B\n"
	"         create_path=B] input.send_keys [text=T keys=K]\n"
	"         input.pointer [x=N y=N buttons=B wheel=N] screen.screenshot [path=F]\n"
	"         screen.info   (man hvkvm: what each takes and returns)\n"
	"Exit status: 0 success, 1 error reply, 2 usage, 3 connection failed, 4 timeout.\n";

/* JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

struct json_object *ctl_value(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null") || is_json_number(s))
		return json_tokener_parse(s);	/* null is NULL, as json-c has it */
	return json_object_new_string(s);
}

static int add_param(struct ctl_args *a, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	bool raw = eq && eq > arg && eq[-1] == ':';
	size_t klen = eq ? (size_t)(eq - arg) - raw : 0;
	struct json_object *v;
	struct jsonrpc_error e;
	char *key;

	if (!eq || !klen)
		return util_fail(err, errlen, -1, "'%s': expected key=value or key:=JSON", arg);
	key = strndup(arg, klen);
	if (!key)
		return util_fail(err, errlen, -1, "out of memory");
	if (!a->params)
		a->params = json_object_new_object();
	if (json_object_object_get_ex(a->params, key, NULL)) {
		util_fail(err, errlen, -1, "'%s' is given twice", key);
		free(key);
		return -1;
	}
	if (raw) {
		if (jsonrpc_parse(eq + 1, strlen(eq + 1), &v, &e) < 0) {
			util_fail(err, errlen, -1, "%s:=%s: not JSON (%s)", key, eq + 1, e.message);
			free(key);
			return -1;
		}
	} else {
		const char *val = eq + 1;

		/* json-c would saturate an integer beyond 64 bits: refuse it instead. */
		if (is_json_number(val) && !strpbrk(val, ".eE")) {
			errno = 0;
			if (*val == '-')
				strtoll(val, NULL, 10);
			else
				strtoull(val, NULL, 10);
			if (errno == ERANGE) {
				util_fail(err, errlen, -1,
					  "%s=%s: integer out of range (quote it to pass a string: %s:='\"%s\"')",
					  key, val, key, val);
				free(key);
				return -1;
			}
		}
		v = ctl_value(val);
	}
	json_object_object_add(a->params, key, v);
	free(key);
	return 0;
}

static int parse_timeout(const char *s, unsigned *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || end == s || *end || !(sec >= 0) || sec > 86400.0 * 365)
		return -1;
	*ms = (unsigned)(sec * 1000 + 0.5);
	if (sec > 0 && !*ms)
		*ms = 1;
	return 0;
}

int ctl_parse_args(int argc, char **argv, struct ctl_args *a, char *err, size_t errlen)
{
	bool options = true;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		size_t n;

		if (options && !strcmp(arg, "--")) {
			options = false;
			continue;
		}
		if (options && arg[0] == '-' && arg[1]) {
			if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
				a->help = true;
				continue;
			}
			if (!strcmp(arg, "--events")) {
				a->events = true;
				continue;
			}
			n = strcspn(arg, "=");
			if (!strncmp(arg, "--socket", n) && n == 8)
				val = "socket";
			else if (!strncmp(arg, "--timeout", n) && n == 9)
				val = "timeout";
			else if (!strcmp(arg, "-s"))
				val = "socket";
			else if (!strcmp(arg, "-t"))
				val = "timeout";
			else
				return util_fail(err, errlen, -1, "unknown option '%s'", arg);
			if (arg[n] == '=')
				arg += n + 1;
			else if (i + 1 < argc)
				arg = argv[++i];
			else
				return util_fail(err, errlen, -1, "%s needs a value", arg);
			if (!strcmp(val, "socket")) {
				if (!*arg)
					return util_fail(err, errlen, -1, "--socket: empty path");
				a->socket = arg;
			} else if (parse_timeout(arg, &a->timeout_ms) < 0) {
				return util_fail(err, errlen, -1,
						 "--timeout %s: expected seconds, e.g. 10 or 0.5 (0: no limit)", arg);
			}
			continue;
		}
		if (!a->method && !a->events) {
			if (strchr(arg, '='))
				return util_fail(err, errlen, -1, "'%s': a METHOD comes before the parameters", arg);
			a->method = arg;
			continue;
		}
		if (add_param(a, arg, err, errlen) < 0)
			return -1;
	}
	if (a->help)
		return 0;
	if (a->events && a->method)
		return util_fail(err, errlen, -1, "--events takes no METHOD (its parameters go to events.subscribe)");
	if (!a->events && !a->method)
		return util_fail(err, errlen, -1, "a METHOD is required (e.g. vm.info), or --events");
	if (!a->socket)
		return util_fail(err, errlen, -1, "--socket PATH is required");
	return 0;
}

void ctl_args_free(struct ctl_args *a)
{
	json_object_put(a->params);
	a->params = NULL;
}

/* ---- the connection ------------------------------------------------------------------- */

struct ctl_conn {
	int fd;
	char *buf;
	size_t len, cap;
	uint64_t deadline;	/* CLOCK_MONOTONIC ns; 0: none */
};

static int conn_open(struct ctl_conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hvkvm ctl: %s: path too long\n", path);
		return CTL_EXIT_USAGE;
	}
	memcpy(sa.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hvkvm ctl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is hvkvm running with --api-socket there?)" : "");
		return CTL_EXIT_CONNECT;
	}
	return 0;
}

static int conn_send(struct ctl_conn *c, struct json_object *msg)
{
	size_t len;
	const char *text = jsonrpc_text(msg, &len);

	while (len) {
		ssize_t n = send(c->fd, text, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "hvkvm ctl: sending the request: %s\n", strerror(errno));
			return CTL_EXIT_CONNECT;
		}
		text += n;
		len -= (size_t)n;
	}
	return send(c->fd, "\n", 1, MSG_NOSIGNAL) == 1 ? 0 : CTL_EXIT_CONNECT;
}

/* The next message: 0 with *msg, or an exit status (end of file counts as a
 * connection failure unless eof_ok, then it is CTL_EXIT_OK with *msg NULL). */
static int conn_recv(struct ctl_conn *c, struct json_object **msg, bool eof_ok)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		struct jsonrpc_error e;
		int wait = -1;
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			int r = jsonrpc_parse(c->buf, l, msg, &e);

			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			if (r < 0 || !json_object_is_type(*msg, json_type_object)) {
				json_object_put(*msg);
				fprintf(stderr, "hvkvm ctl: malformed message from the server\n");
				return CTL_EXIT_CONNECT;
			}
			return 0;
		}
		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *b = cap <= CTL_MAX_REPLY ? realloc(c->buf, cap) : NULL;

			if (!b) {
				fprintf(stderr, "hvkvm ctl: reply too large\n");
				return CTL_EXIT_CONNECT;
			}
			c->buf = b;
			c->cap = cap;
		}
		if (c->deadline) {
			uint64_t now = loop_now_ns();

			if (now >= c->deadline) {
				fprintf(stderr, "hvkvm ctl: no reply in time\n");
				return CTL_EXIT_TIMEOUT;
			}
			wait = (int)((c->deadline - now + 999999) / 1000000);
		}
		if (poll(&p, 1, wait) < 0 && errno != EINTR) {
			fprintf(stderr, "hvkvm ctl: poll: %s\n", strerror(errno));
			return CTL_EXIT_CONNECT;
		}
		if (!p.revents)
			continue;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*msg = NULL;
			if (n == 0 && eof_ok)
				return CTL_EXIT_OK;
			fprintf(stderr, "hvkvm ctl: the server closed the connection%s%s\n", n < 0 ? ": " : "",
				n < 0 ? strerror(errno) : "");
			return CTL_EXIT_CONNECT;
		}
		c->len += (size_t)n;
	}
}

static const char *plain(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Send the request (id 1), wait for its answer; 0 with *result, or an exit status. */
static int call(struct ctl_conn *c, const char *method, struct json_object *params, struct json_object **result)
{
	struct json_object *req = jsonrpc_notification(method, json_object_get(params)), *msg;
	int r;

	json_object_object_add(req, "id", json_object_new_int(1));
	r = conn_send(c, req);
	json_object_put(req);
	while (r == 0 && (r = conn_recv(c, &msg, false)) == 0) {
		struct json_object *id = member(msg, "id"), *err = member(msg, "error");

		/* Ours: id 1, or an error with id null (the server could not read the
		 * request, or refused the connection). Anything else is an event. */
		if (!json_object_object_get_ex(msg, "id", NULL) || (id ? json_object_get_int(id) != 1 : !err)) {
			json_object_put(msg);
			continue;
		}
		if (err) {
			struct json_object *data = member(err, "data");

			fprintf(stderr, "hvkvm ctl: %s: %s (error %d)\n", method,
				json_object_get_string(member(err, "message")), json_object_get_int(member(err, "code")));
			if (json_object_object_get_ex(err, "data", NULL))
				fprintf(stderr, "hvkvm ctl: data: %s\n", plain(data));
			json_object_put(msg);
			return CTL_EXIT_ERROR;
		}
		*result = json_object_get(member(msg, "result"));
		json_object_put(msg);
		return 0;
	}
	return r;
}

/* Indented by two spaces a level, {} and [] when empty (json-c spreads those). */
static void print_pretty(FILE *f, struct json_object *v, unsigned depth)
{
	bool first = true;

	if (json_object_is_type(v, json_type_object) && json_object_object_length(v)) {
		fputs("{\n", f);
		json_object_object_foreach(v, key, val) {
			struct json_object *k = json_object_new_string(key);

			fprintf(f, "%s%*s%s: ", first ? "" : ",\n", (int)(depth + 1) * 2, "", plain(k));
			json_object_put(k);
			print_pretty(f, val, depth + 1);
			first = false;
		}
		fprintf(f, "\n%*s}", (int)depth * 2, "");
	} else if (json_object_is_type(v, json_type_array) && json_object_array_length(v)) {
		fputs("[\n", f);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			fprintf(f, "%s%*s", i ? ",\n" : "", (int)(depth + 1) * 2, "");
			print_pretty(f, json_object_array_get_idx(v, i), depth + 1);
		}
		fprintf(f, "\n%*s]", (int)depth * 2, "");
	} else {
		fputs(plain(v), f);
	}
}

static int stream_events(struct ctl_conn *c)
{
	struct json_object *msg;
	int r;

	c->deadline = 0;
	while ((r = conn_recv(c, &msg, true)) == 0 && msg) {
		struct json_object *m = member(msg, "method");

		if (m && !strcmp(json_object_get_string(m), "event")) {
			printf("%s\n", plain(member(msg, "params")));
			fflush(stdout);
		}
		json_object_put(msg);
	}
	return r;
}

int ctl_main(int argc, char **argv)
{
	struct ctl_conn c = { .fd = -1 };
	struct ctl_args a;
	struct json_object *result = NULL;
	char err[512];
	int r;

	if (ctl_parse_args(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "hvkvm ctl: %s (hvkvm ctl --help tells more)\n", err);
		ctl_args_free(&a);
		return CTL_EXIT_USAGE;
	}
	if (a.help) {
		fputs(usage, stdout);
		ctl_args_free(&a);
		return CTL_EXIT_OK;
	}
	r = conn_open(&c, a.socket);
	if (r == 0) {
		c.deadline = a.timeout_ms ? loop_now_ns() + (uint64_t)a.timeout_ms * 1000000ull : 0;
		r = call(&c, a.events ? "events.subscribe" : a.method, a.params, &result);
	}
	if (r == 0 && a.events) {
		r = stream_events(&c);
	} else if (r == 0) {
		print_pretty(stdout, result, 0);
		putchar('\n');
	}
	json_object_put(result);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	ctl_args_free(&a);
	return r;
}
