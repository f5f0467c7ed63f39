/* SPDX-License-Identifier: MIT */
#include "fuzz.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void fuzz_quiet_logs(void)
{
	static bool done;
	FILE *null;

	if (done || getenv("HVKVM_FUZZ_LOG"))
		return;
	done = true;
	/* log.c writes to the stdio stream stderr; libFuzzer and the sanitizers write to
	 * file descriptor 2, which stays. */
	null = fopen("/dev/null", "we");
	if (null)
		stderr = null;
}

int fuzz_temp_file(uint64_t bytes, char *path, size_t pathlen)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, pathlen, "%s/hvkvm-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, (off_t)bytes) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

static char *print(const struct vm_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FZ_CHECK(f, "open_memstream");
	FZ_CHECK(config_print_json(cfg, f) == 0, "config_print_json");
	fclose(f);
	return buf;
}

void fuzz_config_roundtrip(const struct vm_config *cfg)
{
	struct vm_config again;
	char err[512];
	size_t len, len2;
	char *text = print(cfg, &len), *text2;

	config_init(&again);
	FZ_CHECK(config_load_json(&again, "printed.json", text, len, err, sizeof(err)) == 0,
		 "--print-config wrote a file --config refuses: %s\n%s", err, text);
	FZ_CHECK(config_finish(&again, err, sizeof(err)) == 0, "config_finish: %s", err);
	text2 = print(&again, &len2);
	FZ_CHECK(len == len2 && !memcmp(text, text2, len), "the printed file loads differently:\n%s\n%s", text, text2);
	free(text);
	free(text2);
	config_free(&again);
}
