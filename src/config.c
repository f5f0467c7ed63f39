/* SPDX-License-Identifier: MIT */
#include "config.h"

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

void config_free(struct vm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->serial_path);
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		free(cfg->disks[i].path);
		free(cfg->disks[i].serial);
	}
	free(cfg->disks);
	memset(cfg, 0, sizeof(*cfg));
}
