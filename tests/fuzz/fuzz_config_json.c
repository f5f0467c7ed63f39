/* SPDX-License-Identifier: MIT */
/*
 * The --config loader (src/machine/config_json.c, and every key's check in config_keys.c):
 * any text as a configuration file. An error is one line. A file that loads is
 * printed as --print-config prints it, and that print must load again to the same
 * configuration (printed again, byte for byte the same): the README's promise.
 */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg;
	char err[512];

	fuzz_quiet_logs();
	config_init(&cfg);
	err[0] = '\0';
	if (config_load_json(&cfg, "fuzz.json", (const char *)data, size, err, sizeof(err)) == 0) {
		FZ_CHECK(config_finish(&cfg, err, sizeof(err)) == 0, "config_finish: %s", err);
		fuzz_config_roundtrip(&cfg);
	} else {
		FZ_CHECK(err[0] && !strchr(err, '\n'), "the error is not one line: \"%s\"", err);
	}
	config_free(&cfg);
	return 0;
}
