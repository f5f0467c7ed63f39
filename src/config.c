/* SPDX-License-Identifier: MIT */
/* The configuration model: defaults and value syntax. The keys and their checks are in
 * config_keys.c. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = CONFIG_DEFAULT_MEMORY;
	cfg->cpus = 1;
	cfg->serial = CONSOLE_STDIO;
	cfg->shutdown_timeout = 30;
	cfg->log_level = LOG_INFO;
	hv_features_default(&cfg->hv);
	cfg->on_crash = HV_CRASH_EXIT;
}

void config_disk_init(struct disk_config *d)
{
	memset(d, 0, sizeof(*d));
	d->lun = UINT32_MAX;
}

void config_disk_free(struct disk_config *d)
{
	free(d->path);
	free(d->serial);
	memset(d, 0, sizeof(*d));
}

void config_free(struct vm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->serial_path);
	for (unsigned i = 0; i < cfg->ndisks; i++)
		config_disk_free(&cfg->disks[i]);
	free(cfg->disks);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- value syntax ---------------------------------------------------------------- */

int config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1ull << 20;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (!strcmp(end, "iB") || !strcmp(end, "B"))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int config_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int config_finish(struct vm_config *cfg, char *err, size_t errlen)
{
	if (!cfg->cmdline && !(cfg->cmdline = strdup("console=ttyS0"))) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	return 0;
}
