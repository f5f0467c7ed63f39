/* SPDX-License-Identifier: MIT */
/*
 * The command line. Each option is one row of a table: its name, its argument, its
 * help line and the function that applies it to the configuration, so a new flag is
 * one row and one small function.
 */
#ifndef HVKVM_CLI_H
#define HVKVM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

enum cli_result {
	CLI_RUN = 0,		/* configuration complete: run the VM */
	CLI_EXIT_OK = 1,	/* --help or --version printed: exit 0 */
	CLI_ERROR = -1,		/* message in err: exit 2 */
};

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out,
			  char *err, size_t errlen);
void cli_print_help(FILE *out);

/* "512M", "2G", "1048576K", "1T"; a bare number means MiB as in QEMU's -m. */
int cli_parse_size(const char *s, uint64_t *out);
/* Decimal integer in [min, max]. */
int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

#endif
