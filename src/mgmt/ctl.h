/* SPDX-License-Identifier: MIT */
/*
 * `hvkvm ctl`: a client of the management socket in the same binary.
 *
 *   hvkvm ctl --socket PATH [--timeout SEC] METHOD [key=value | key:=JSON ...]
 *   hvkvm ctl --socket PATH --events [key=value ...]
 *
 * key=value makes a number, true, false or null of a value that is one in JSON,
 * and a string of anything else; key:=JSON takes any JSON value as it is. The
 * result is printed as indented JSON on stdout; an error response goes to stderr.
 * With --events, the notifications of events.subscribe (called with the key=value
 * parameters, e.g. types:='["state"]') are printed one per line until the socket
 * closes.
 */
#ifndef HVKVM_CTL_H
#define HVKVM_CTL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,	/* the server answered with an error */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_CONNECT = 3,	/* no connection, or it broke, or the reply made no sense */
	CTL_EXIT_TIMEOUT = 4,
};

#define CTL_DEFAULT_TIMEOUT_MS	60000

struct ctl_args {
	const char *socket;
	unsigned timeout_ms;		/* 0: wait for ever */
	bool events;
	bool help;
	const char *method;
	struct json_object *params;	/* an object; NULL when no key=value was given */
};

/* The arguments after "ctl" (argv[0] is "ctl"): 0, or -1 with a message in err.
 * ctl_args_free() in both cases. */
int ctl_parse_args(int argc, char **argv, struct ctl_args *a, char *err, size_t errlen);
void ctl_args_free(struct ctl_args *a);
/* The JSON value of key=value's value. */
struct json_object *ctl_value(const char *s);
/* `hvkvm ctl ...` (argv[0] is "ctl"); returns an enum ctl_exit. */
int ctl_main(int argc, char **argv);

#endif
