/* SPDX-License-Identifier: MIT */
#include "pc_firmware.h"
#include "pc.h"
#include "acpi.h"
#include "acpi_pm.h"
#include "flash_file.h"
#include "fw_cfg.h"
#include "option_rom.h"
#include "pc_ports.h"
#include "pci.h"
#include "pflash.h"
#include "piix.h"
#include "smbios.h"
#include "log.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

int pc_fw_flash_layout(uint64_t code_size, uint64_t vars_size, uint64_t *code_gpa,
		       uint64_t *vars_gpa)
{
	if (!code_size || code_size % PFLASH_BLOCK_SIZE || vars_size % PFLASH_BLOCK_SIZE ||
	    !vars_size || code_size > CONFIG_FIRMWARE_MAX || vars_size > CONFIG_FIRMWARE_MAX - code_size)
		return -EINVAL;
	*code_gpa = PC_FW_FLASH_END - code_size;
	*vars_gpa = *code_gpa - vars_size;
	return 0;
}

/* The boot protocol's header fields (Documentation/arch/x86/boot.rst). */
#define BZ_SETUP_SECTS		0x1f1
#define BZ_HEADER		0x202	/* "HdrS" */
#define BZ_MIN_LEN		0x264

/* fw_cfg gives the firmware 32-bit sizes. */
#define PC_FW_FILE_MAX		(4095ull << 20)

static int read_all(int fd, const char *name, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	char why[256];
	int r = util_read_fd_alloc(fd, PC_FW_FILE_MAX, out, len, why, sizeof(why));

	if (r < 0)
		snprintf(err, errlen, "%s: %s", name, why);
	return r;
}

int pc_fw_add_kernel(struct fw_cfg *c, const struct boot_files *f, const char *cmdline,
		     char *err, size_t errlen)
{
	uint8_t *k = NULL, *initrd = NULL;
	size_t klen, ilen = 0, setup;
	int r;

	r = read_all(f->kernel_fd, f->kernel_name, &k, &klen, err, errlen);
	if (r < 0)
		return r;
	if (klen < BZ_MIN_LEN || memcmp(k + BZ_HEADER, "HdrS", 4)) {
		snprintf(err, errlen, "%s: not a bzImage (firmware starts a bzImage's EFI stub)", f->kernel_name);
		r = -EINVAL;
		goto out;
	}
	/* 0 setup sectors means 4, from the time the field was not there. */
	setup = ((size_t)(k[BZ_SETUP_SECTS] ? k[BZ_SETUP_SECTS] : 4) + 1) * 512;
	if (setup >= klen) {
		snprintf(err, errlen, "%s: not a bzImage: its setup is as long as the file", f->kernel_name);
		r = -EINVAL;
		goto out;
	}
	if (f->initrd_fd >= 0) {
		r = read_all(f->initrd_fd, f->initrd_name, &initrd, &ilen, err, errlen);
		if (r < 0)
			goto out;
	}
	r = fw_cfg_add_u32(c, FW_CFG_SETUP_SIZE, (uint32_t)setup);
	if (!r)
		r = fw_cfg_add_item(c, FW_CFG_SETUP_DATA, k, setup);
	if (!r)
		r = fw_cfg_add_u32(c, FW_CFG_KERNEL_SIZE, (uint32_t)(klen - setup));
	if (!r)
		r = fw_cfg_add_item(c, FW_CFG_KERNEL_DATA, k + setup, klen - setup);
	if (!r)
		r = fw_cfg_add_u32(c, FW_CFG_INITRD_SIZE, (uint32_t)ilen);
	if (!r && ilen)
		r = fw_cfg_add_item(c, FW_CFG_INITRD_DATA, initrd, ilen);
	/* The size counts the terminating NUL, which is part of the data. */
	if (!r)
		r = fw_cfg_add_u32(c, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(cmdline) + 1);
	if (!r)
		r = fw_cfg_add_item(c, FW_CFG_CMDLINE_DATA, cmdline, strlen(cmdline) + 1);
	if (r < 0)
		snprintf(err, errlen, "%s: cannot give it to the firmware: %s", f->kernel_name, strerror(-r));
out:
	free(k);
	free(initrd);
	return r;
}

/* A flash image of size bytes at gpa, from path (or, vars without a file of its own,
 * from the template, kept in memory). */
static int pc_fw_flash(struct pc *pc, const char *opt, const char *path, bool readonly, bool keep,
		       uint64_t size, uint64_t gpa, struct gmem_devmem **mem, struct pflash **fl,
		       struct flash_file **file)
{
	struct vm *vm = pc->vm;
	struct pflash_config fc = { .name = readonly ? "flash code" : "flash vars", .gpa = gpa,
				    .readonly = readonly };
	struct flash_file *ff = NULL;
	char err[512];
	int r;

	r = flash_file_open(&ff, path, size, readonly || !keep, err, sizeof(err));
	if (r < 0) {
		log_error("%s %s: %s", opt, path, err);
		return VM_EXIT_USAGE;
	}
	r = gmem_devmem_new(&vm->mem, size, mem);
	if (r < 0) {
		log_error("%s %s: cannot allocate %llu bytes of flash: %s", opt, path,
			  (unsigned long long)size, strerror(-r));
		flash_file_close(ff);
		return VM_EXIT_ERROR;
	}
	r = flash_file_load(ff, gmem_devmem_host(*mem), err, sizeof(err));
	if (r < 0) {
		log_error("%s %s: %s", opt, path, err);
		flash_file_close(ff);
		return VM_EXIT_USAGE;
	}
	if (!keep) {
		flash_file_close(ff);
		ff = NULL;
	}
	r = pflash_new(fl, &fc, *mem, ff ? &flash_file_store_ops : NULL, ff);
	if (r == 0)
		r = io_bus_register(&vm->mmio, gpa, size, &pflash_io_ops, *fl, fc.name);
	if (r < 0) {
		log_error("%s %s: cannot map the flash at 0x%llx: %s", opt, path, (unsigned long long)gpa,
			  strerror(-r));
		*file = ff;	/* the flash may hold it: closed after the flash */
		return VM_EXIT_ERROR;
	}
	*file = ff;
	return 0;
}

/* A stable UUID for a named VM (a name-based one, RFC 4122 version 5 layout over an
 * FNV hash), a random one otherwise. */
static void pc_fw_uuid(const char *name, uint8_t uuid[16])
{
	if (name) {
		uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;

		for (const char *s = name; *s; s++) {
			h1 = (h1 ^ (uint8_t)*s) * 0x100000001b3ull;
			h2 = (h2 ^ (uint8_t)*s) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
		}
		for (int i = 0; i < 8; i++) {
			uuid[i] = (uint8_t)(h1 >> (8 * i));
			uuid[8 + i] = (uint8_t)(h2 >> (8 * i));
		}
	} else if (getrandom(uuid, 16, 0) != 16) {
		memset(uuid, 0x5a, 16);
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | (name ? 0x50 : 0x40));
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

static int pc_fw_smbios(struct pc *pc, const struct vm_config *cfg)
{
	struct pc_firmware *fw = pc->fw;
	const struct gmem *m = &pc->vm->mem;
	struct smbios_facts f = { .ncpus = pc->vm->ncpus };
	struct smbios_blobs b;
	char err[256];
	int r;

	for (unsigned i = 0; i < m->nregions && f.nmem < SMBIOS_MAX_MEM_RANGES; i++)
		if (m->region[i].size)
			f.mem[f.nmem++] = (struct smbios_mem_range){ m->region[i].gpa, m->region[i].size };
	pc_fw_uuid(cfg->name, f.uuid);
	r = smbios_build(&f, NULL, &b, err, sizeof(err));
	if (r < 0) {
		log_error("SMBIOS: %s", err);
		return r;
	}
	r = fw_cfg_add_file(fw->fw_cfg, "etc/smbios/smbios-tables", b.tables, b.tables_len);
	if (r == 0)
		r = fw_cfg_add_file(fw->fw_cfg, "etc/smbios/smbios-anchor", b.anchor, b.anchor_len);
	smbios_blobs_free(&b);
	return r;
}

/* The function whose expansion ROM holds path's image (a regular file, checked as the
 * firmware walks it). */
static int pc_fw_option_rom(struct pc *pc, const char *path)
{
	struct pc_firmware *fw = pc->fw;
	uint8_t *rom = NULL;
	size_t len;
	char err[512];
	int r;

	r = util_read_file(path, OPTION_ROM_MAX_SIZE, &rom, &len, err, sizeof(err));
	if (r < 0) {
		log_error("--option-rom %s: %s", path, err);
		return r == -ENOMEM ? VM_EXIT_ERROR : VM_EXIT_USAGE;
	}
	fw->option_rom = option_rom_new(fw->pci, &pc->vm->mmio, &pc->vm->mem, PC_FW_OPTION_ROM_DEVFN,
					rom, len, err, sizeof(err));
	free(rom);
	if (!fw->option_rom) {
		log_error("--option-rom %s: %s", path, err);
		return VM_EXIT_USAGE;
	}
	return 0;
}

static int bootorder_line(char *buf, size_t len, size_t *used, unsigned devfn, unsigned controller,
			  unsigned lun)
{
	unsigned slot = devfn >> 3, fn = devfn & 7;
	int n;

	if (fn)
		n = snprintf(buf + *used, len - *used, "/pci@i0cf8/pci-bridge@%x,%x/scsi@%x/channel@0/disk@0,%x\n",
			     slot, fn, controller, lun);
	else
		n = snprintf(buf + *used, len - *used, "/pci@i0cf8/pci-bridge@%x/scsi@%x/channel@0/disk@0,%x\n",
			     slot, controller, lun);
	if (n < 0 || (size_t)n >= len - *used)
		return -ENOSPC;
	*used += (size_t)n;
	return 0;
}

long pc_fw_bootorder(const struct vm_config *cfg, unsigned devfn, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->nboot; i++) {
		if (cfg->boot[i] == CONFIG_BOOT_CDROM && cfg->cdrom &&
		    bootorder_line(buf, len, &used, devfn, 0, config_cdrom_lun(cfg)) < 0)
			return -ENOSPC;
		if (cfg->boot[i] == CONFIG_BOOT_DISK)
			for (unsigned d = 0; d < cfg->ndisks; d++)
				if (bootorder_line(buf, len, &used, devfn, cfg->disks[d].controller,
						   cfg->disks[d].lun) < 0)
					return -ENOSPC;
	}
	return (long)used + 1;
}

/* --boot: the order OVMF's BDS gives BootOrder at every start (so a stored one does
 * not win), and the only devices it connects and makes boot options for. */
static int pc_fw_add_bootorder(struct pc_firmware *fw, const struct vm_config *cfg)
{
	char *buf;
	long n;
	int r;

	if (!cfg->nboot)
		return 0;
	buf = malloc(PC_FW_BOOTORDER_MAX);
	if (!buf)
		return -ENOMEM;
	n = pc_fw_bootorder(cfg, PC_FW_OPTION_ROM_DEVFN, buf, PC_FW_BOOTORDER_MAX);
	r = n < 0 ? (int)n : fw_cfg_add_file(fw->fw_cfg, PC_FW_BOOTORDER_NAME, buf, (size_t)n);
	free(buf);
	return r;
}

int pc_fw_init(struct pc *pc, const struct vm_config *cfg)
{
	struct vm *vm = pc->vm;
	struct pc_firmware *fw;
	uint64_t code_size, vars_size, code_gpa, vars_gpa;
	struct stat st;
	uint8_t e820[BOOT_FW_E820_ENTRY_LEN * GMEM_MAX_REGIONS];
	long e820_len;
	const char *vars_path = cfg->firmware_vars ? cfg->firmware_vars : CONFIG_FIRMWARE_VARS_TEMPLATE;
	char err[512];
	int r, code;

	fw = pc->fw = calloc(1, sizeof(*fw));
	if (!fw)
		return VM_EXIT_ERROR;
	if (cfg->firmware_vars) {
		r = flash_file_create_from(cfg->firmware_vars, CONFIG_FIRMWARE_VARS_TEMPLATE, err, sizeof(err));
		if (r < 0) {
			log_error("--firmware-vars %s: %s", cfg->firmware_vars, err);
			return VM_EXIT_USAGE;
		}
		if (r == 1)
			log_info("--firmware-vars %s: a new variable store from %s", cfg->firmware_vars,
				 CONFIG_FIRMWARE_VARS_TEMPLATE);
	}
	if (stat(cfg->firmware, &st) < 0) {
		log_error("--firmware %s: %s", cfg->firmware, strerror(errno));
		return VM_EXIT_USAGE;
	}
	code_size = (uint64_t)st.st_size;
	if (stat(vars_path, &st) < 0) {
		log_error("--firmware-vars %s: %s", vars_path, strerror(errno));
		return VM_EXIT_USAGE;
	}
	vars_size = (uint64_t)st.st_size;
	if (pc_fw_flash_layout(code_size, vars_size, &code_gpa, &vars_gpa) < 0) {
		log_error("--firmware %s: %llu bytes of code and %llu of variables do not fit the flash",
			  cfg->firmware, (unsigned long long)code_size, (unsigned long long)vars_size);
		return VM_EXIT_USAGE;
	}
	code = pc_fw_flash(pc, "--firmware", cfg->firmware, true, false, code_size, code_gpa,
			   &fw->code_mem, &fw->code, &fw->code_file);
	if (code == 0)
		code = pc_fw_flash(pc, "--firmware-vars", vars_path, false, cfg->firmware_vars != NULL,
				   vars_size, vars_gpa, &fw->vars_mem, &fw->vars, &fw->vars_file);
	if (code)
		return code;

	fw->pci = pci_bus_new();
	fw->fw_cfg = fw_cfg_new(&vm->mem);
	if (!fw->pci || !fw->fw_cfg)
		return VM_EXIT_ERROR;
	fw->piix = piix_new(fw->pci, pc->pm, &vm->pio);
	if (!fw->piix) {
		log_error("the PCI host bridge: %s", strerror(errno));
		return VM_EXIT_ERROR;
	}
	pc_ports_attach_pci(pc->ports, fw->pci);
	if (cfg->option_rom && (code = pc_fw_option_rom(pc, cfg->option_rom)))
		return code;
	e820_len = boot_build_fw_e820(&vm->mem, e820, sizeof(e820));
	r = e820_len < 0 ? (int)e820_len : fw_cfg_register(fw->fw_cfg, &vm->pio);
	if (!r)
		r = fw_cfg_add_u16(fw->fw_cfg, FW_CFG_NB_CPUS, (uint16_t)vm->ncpus);
	if (!r)
		r = fw_cfg_add_u16(fw->fw_cfg, FW_CFG_MAX_CPUS, (uint16_t)vm->ncpus);
	if (!r)
		r = fw_cfg_add_u64(fw->fw_cfg, FW_CFG_RAM_SIZE, vm->mem.size);
	if (!r)
		r = fw_cfg_add_file(fw->fw_cfg, BOOT_FW_E820_NAME, e820, (size_t)e820_len);
	if (!r)
		r = pc_fw_smbios(pc, cfg);
	if (!r && cfg->option_rom)
		r = pc_fw_add_bootorder(fw, cfg);
	if (r < 0) {
		log_error("the firmware configuration device: %s", strerror(-r));
		return VM_EXIT_ERROR;
	}
	return 0;
}

void pc_fw_build_acpi(struct pc *pc, const struct acpi_config *acfg)
{
	struct pc_firmware *fw = pc->fw;
	struct acpi_fw_cfg_tables t;
	int r;

	if (fw->acpi_added)
		return;
	r = acpi_build_fw_cfg(acfg, &t);
	if (r < 0)
		return;		/* said why; the firmware boots without ACPI */
	r = fw_cfg_add_file(fw->fw_cfg, ACPI_FW_CFG_TABLES, t.tables, t.tables_len);
	if (!r)
		r = fw_cfg_add_file(fw->fw_cfg, ACPI_FW_CFG_RSDP, t.rsdp, t.rsdp_len);
	if (!r)
		r = fw_cfg_add_file(fw->fw_cfg, ACPI_FW_CFG_LOADER, t.loader, t.loader_len);
	if (r < 0)
		log_error("the ACPI tables for the firmware: %s", strerror(-r));
	fw->acpi_added = true;
	acpi_fw_cfg_tables_free(&t);
}

void pc_fw_reset(struct pc *pc)
{
	struct pc_firmware *fw = pc->fw;

	fw_cfg_reset(fw->fw_cfg);
	pci_bus_reset(fw->pci);
	if (fw->code)
		pflash_reset(fw->code);
	if (fw->vars)
		pflash_reset(fw->vars);
}

void pc_fw_fini(struct pc *pc)
{
	struct pc_firmware *fw = pc->fw;

	if (!fw)
		return;
	pflash_free(fw->code);
	pflash_free(fw->vars);
	flash_file_close(fw->code_file);
	flash_file_close(fw->vars_file);
	gmem_devmem_free(fw->code_mem);
	gmem_devmem_free(fw->vars_mem);
	piix_free(fw->piix);
	pci_bus_free(fw->pci);
	option_rom_free(fw->option_rom);
	fw_cfg_free(fw->fw_cfg);
	free(fw);
	pc->fw = NULL;
}
