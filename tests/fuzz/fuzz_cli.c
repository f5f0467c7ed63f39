/* SPDX-License-Identifier: MIT */
/*
 * The command line (src/program/cli.c): any words, so every option's value parser (sizes,
 * numbers, MACs, the --hv list, the --disk and --net key=value lists) through
 * config_set. A command line that is accepted prints, with --print-config's printer,
 * a configuration that --config loads back to the same one. --config itself is left
 * out: reading files is the config_json target's.
 */
#include "cli.h"
#include "config.h"
#include "fuzz.h"

#define MAX_WORDS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	char *copy = malloc(size + 1), *argv[MAX_WORDS + 2], err[512];
	struct vm_config cfg;
	enum cli_result r;
	int argc = 1;

	fuzz_quiet_logs();
	if (!out)
		out = fopen("/dev/null", "we");
	FZ_CHECK(copy && out, "setup");
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "hvkvm";
	for (size_t i = 0; i < size && argc <= MAX_WORDS; i += strlen(copy + i) + 1) {
		const char *w = copy + i;

		if (!strcmp(w, "--config") || !strncmp(w, "--config=", 9))
			goto out;
		argv[argc++] = copy + i;
	}
	argv[argc] = NULL;
	config_init(&cfg);
	err[0] = '\0';
	r = cli_parse(argc, argv, &cfg, out, err, sizeof(err));
	if (r == CLI_ERROR)
		FZ_CHECK(err[0] && !strchr(err, '\n'), "the error is not one line: \"%s\"", err);
	else if (r == CLI_RUN)
		fuzz_config_roundtrip(&cfg);
	config_free(&cfg);
out:
	free(copy);
	return 0;
}
