/* SPDX-License-Identifier: MIT */
/* The VM's configuration, as the command line (and later a config file) set it. */
#ifndef HVKVM_CONFIG_H
#define HVKVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "hv.h"
#include "hv_features.h"
#include "log.h"

#define CONFIG_DEFAULT_MEMORY	(512ull << 20)
#define CONFIG_MIN_MEMORY	(32ull << 20)
#define CONFIG_MAX_MEMORY	(1ull << 40)
#define CONFIG_MAX_CPUS		254	/* xAPIC IDs 0..253; the I/O APIC and broadcast take the rest */
#define CONFIG_MAX_CONTROLLERS	8	/* SCSI controllers (VMBus devices) */
#define CONFIG_MAX_LUNS		64	/* per controller */
#define CONFIG_SERIAL_MAX	20	/* a SCSI unit serial number */

enum disk_cache {
	DISK_CACHE_WRITEBACK,
	DISK_CACHE_NONE,
};

struct disk_config {
	char *path;
	char *serial;			/* NULL: made from the path */
	bool readonly;
	enum disk_cache cache;
	unsigned controller;
	unsigned lun;
};

struct vm_config {
	char *kernel;
	char *initrd;
	char *cmdline;
	uint64_t memory;		/* bytes */
	unsigned cpus;
	enum console_kind serial;
	char *serial_path;		/* CONSOLE_FILE */
	bool no_reboot;
	unsigned shutdown_timeout;	/* seconds before a graceful stop turns hard */
	enum log_level log_level;
	struct hv_features hv;		/* mask 0: a plain PC without Hyper-V */
	enum hv_crash_action on_crash;
	bool stats;			/* print counters at exit */
	struct disk_config *disks;
	unsigned ndisks;
};

void config_init(struct vm_config *cfg);
void config_free(struct vm_config *cfg);

#endif
