/* SPDX-License-Identifier: MIT */
/*
 * The command line. Each option is one row of a table: its name, its argument, its
 * help line and the function that applies it to the configuration. Options that set a
 * configuration key hand it to config_set() under their own name, which is also the
 * key's name in a --config file; so a new setting is one row here and one key in
 * config_keys.c, and both front ends get it.
 */
#ifndef HVKVM_CLI_H
#define HVKVM_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

enum cli_result {
	CLI_RUN = 0,		/* configuration complete: run the VM */
	CLI_EXIT_OK = 1,	/* --help, --version or --print-config printed: exit 0 */
	CLI_ERROR = -1,		/* message in err: exit 2 */
};

/*
 * Fill cfg (config_init'ed) from argv: first the --config file if there is one, then
 * every other option in order, so the command line overrides the file.
 */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out,
			  char *err, size_t errlen);
void cli_print_help(FILE *out);

#endif
