/* SPDX-License-Identifier: MIT */
/*
 * The --config loader (src/machine/config_json.c, and every key's check in config_keys.c):
 * any text as a configuration file. An error is one line. A file that loads and passes
 * the rules across keys is printed as --print-config prints it, and that print must load
 * again to the same configuration (printed again, byte for byte the same): the README's
 * promise.
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
		/* Rules across keys (--vnc-password-file needs --vnc, --boot needs a firmware
		 * and the device) are checked once every source is in, as for the command
		 * line: a file alone may break one, and then the answer is one line too. */
		if (config_finish(&cfg, err, sizeof(err)) == 0)
			fuzz_config_roundtrip(&cfg);
		else
			FZ_CHECK(err[0] && !strchr(err, '\n'), "config_finish: the error is not one line: \"%s\"", err);
	} else {
		FZ_CHECK(err[0] && !strchr(err, '\n'), "the error is not one line: \"%s\"", err);
	}
	config_free(&cfg);
	return 0;
}
