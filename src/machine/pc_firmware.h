/* SPDX-License-Identifier: MIT */
/*
 * The PC as UEFI firmware (OVMF) expects QEMU's "pc" machine to be: the i440FX/PIIX
 * functions on PCI bus 0 (piix.h), the fw_cfg device (fw_cfg.h) with the RAM map, the
 * CPU count, the ACPI tables and their loader script, the SMBIOS tables and, when a
 * kernel is given, QEMU's kernel loader items; and two CFI flash devices that end at
 * 4 GiB: the firmware's code (read-only) and right below it its variable store.
 *
 * The flash layout for sizes code and vars (multiples of 4 KiB):
 *   code at 4 GiB - code, vars at 4 GiB - code - vars
 * and KVM's identity map and TSS in the four pages below PC_FW_IDENTITY_MAP_END.
 *
 * With --option-rom, a PCI function at PC_FW_OPTION_ROM_DEVFN whose expansion ROM holds
 * that file (option_rom.h): the firmware loads the EFI drivers in it while it
 * enumerates the bus.
 */
#ifndef HVKVM_PC_FIRMWARE_H
#define HVKVM_PC_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "config.h"
#include "pci.h"

struct pc;
struct acpi_config;
struct vm;
struct fw_cfg;
struct pci_bus;
struct piix;
struct pflash;
struct flash_file;
struct gmem_devmem;
struct option_rom;

#define PC_FW_FLASH_END		0x100000000ull
/* Where OVMF places the PIIX4 PM block (PMBA): the FADT says so. */
#define PC_FW_PM_BASE		0xb000
/* The function carrying --option-rom's image (option_rom.h). */
#define PC_FW_OPTION_ROM_DEVFN	PCI_DEVFN(3, 0)
/* Below the lowest flash address CONFIG_FIRMWARE_MAX allows. */
#define PC_FW_IDENTITY_MAP_END	(PC_FW_FLASH_END - CONFIG_FIRMWARE_MAX)
#define PC_FW_IDENTITY_MAP_ADDR	(PC_FW_IDENTITY_MAP_END - 0x4000)

struct pc_firmware {
	struct fw_cfg *fw_cfg;
	struct pci_bus *pci;
	struct piix *piix;
	struct gmem_devmem *code_mem, *vars_mem;
	struct pflash *code, *vars;
	struct flash_file *code_file, *vars_file;	/* vars_file NULL: not kept */
	struct option_rom *option_rom;	/* NULL: no --option-rom */
	bool acpi_added;		/* the ACPI files are in fw_cfg */
};

/*
 * --boot as QEMU's fw_cfg file "bootorder", which OVMF reorders BootOrder by: one
 * OpenFirmware path a line for each device in cfg->boot's order ("disk": every --disk,
 * in the order given), NUL-terminated. A device is a LUN behind hvkvm's UEFI driver on
 * the function at devfn, which names StorVSC controller N's child Pci(N,0) (a
 * bridge's child to OVMF's QemuBootOrderLib); ScsiBus adds Scsi(0,LUN):
 *   /pci@i0cf8/pci-bridge@3/scsi@N/channel@0/disk@0,LUN
 *   -> PciRoot(0x0)/Pci(0x3,0x0)/Pci(0xN,0x0)/Scsi(0x0,0xLUN)
 * The file's length with its NUL, or -ENOSPC if len is too short.
 */
#define PC_FW_BOOTORDER_NAME	"bootorder"
#define PC_FW_BOOTORDER_MAX	8192
long pc_fw_bootorder(const struct vm_config *cfg, unsigned devfn, char *buf, size_t len);

/* Where the two images go (see above); -EINVAL for sizes this layout cannot hold. */
int pc_fw_flash_layout(uint64_t code_size, uint64_t vars_size, uint64_t *code_gpa,
		       uint64_t *vars_gpa);

/*
 * QEMU's kernel loader items for a bzImage (kernel fd), its initrd (fd -1: none) and
 * command line: the setup part (the boot sector and the setup sectors) and the rest
 * of the kernel as separate items, as QEMU gives them and OVMF joins them again.
 * 0, or -errno with the reason in err ("not a bzImage", a read error).
 */
int pc_fw_add_kernel(struct fw_cfg *c, const struct boot_files *f, const char *cmdline,
		     char *err, size_t errlen);

/* Set up everything above for pc (pc_init with cfg->firmware; the PM block is
 * pc->pm, not yet registered). Prints why and returns a vm_exit_code. */
int pc_fw_init(struct pc *pc, const struct vm_config *cfg);
/* The ACPI tables as fw_cfg files (first boot; the DSDT hooks are all there). */
void pc_fw_build_acpi(struct pc *pc, const struct acpi_config *acfg);
void pc_fw_reset(struct pc *pc);
void pc_fw_fini(struct pc *pc);

#endif
