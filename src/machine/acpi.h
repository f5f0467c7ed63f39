/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for the guest: RSDP, RSDT, XSDT, FADT, FACS, MADT and a DSDT that
 * describes the legacy devices and whatever the DSDT hooks add under \_SB.
 *
 * The platform is a PC that is always in ACPI mode (no SMI command port): fixed
 * hardware PM1a event/control blocks and the PM timer at pm_base, a fixed-feature
 * power button, no sleep button, S5 only, and a reset register.
 */
#ifndef HVKVM_ACPI_H
#define HVKVM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "acpi_pm.h"	/* the PM register blocks at pm_base, ACPI_SLP_TYP_S5 */


#define ACPI_MAX_CPUS		255	/* xAPIC IDs 0-254 in one-byte MADT entries */

struct aml;

/* Adds devices inside \_SB; errors go into the struct aml (see aml.h). */
struct acpi_dsdt_hook {
	void (*fn)(struct aml *a, void *opaque);
	void *opaque;
};

struct acpi_config {
	unsigned ncpus;		/* one Local APIC per vCPU: processor UID = APIC ID = index */
	uint64_t lapic_addr;	/* 0xFEE00000 */
	uint64_t ioapic_addr;	/* 0xFEC00000; IOAPIC id 0, GSI base 0 */
	uint16_t pm_base;	/* 0x600, see ACPI_PM*_OFF */
	uint8_t sci_irq;	/* 9: ISA IRQ and GSI, level-triggered, active high */
	uint16_t reset_port;	/* 0xCF9 */
	uint8_t reset_value;	/* 0x06 */
	const struct acpi_dsdt_hook *hooks;
	unsigned nhooks;
	/* The i440FX/PIIX functions on PCI bus 0 (piix.h): the DSDT describes the root
	 * bridge PCI0, \_S5 is PIIX4's soft-off type and the PM timer is 24 bits. */
	bool piix;
};

/*
 * Write the RSDP and all tables into buf, the host view of guest memory at
 * buf_gpa (below 4 GiB), size bytes; the unused rest of buf is zeroed. The RSDP
 * comes first, at the first 16-byte aligned address.
 * Returns 0 and the RSDP's guest address in *rsdp_gpa, -EINVAL for a bad
 * configuration or a DSDT hook that emitted bad AML, -ENOSPC if the tables do
 * not fit, -ENOMEM.
 */
int acpi_build(const struct acpi_config *cfg, void *buf, uint64_t buf_gpa, size_t size,
	       uint64_t *rsdp_gpa);

/*
 * The same tables for firmware that takes them from fw_cfg (OVMF, SeaBIOS): the
 * RSDP and the other tables as two blobs whose pointers are offsets into the tables
 * blob and whose checksum fields are zero, and the "etc/table-loader" script that
 * places both, turns every pointer into an address and fills every checksum.
 * Apart from the addresses, the tables are those acpi_build() writes.
 */
#define ACPI_FW_CFG_RSDP	"etc/acpi/rsdp"
#define ACPI_FW_CFG_TABLES	"etc/acpi/tables"
#define ACPI_FW_CFG_LOADER	"etc/table-loader"

struct acpi_fw_cfg_tables {
	uint8_t *rsdp, *tables, *loader;
	size_t rsdp_len, tables_len, loader_len;
};

/* 0, -EINVAL for a bad configuration or DSDT hook, -ENOMEM; free the result with
 * acpi_fw_cfg_tables_free(). */
int acpi_build_fw_cfg(const struct acpi_config *cfg, struct acpi_fw_cfg_tables *t);
void acpi_fw_cfg_tables_free(struct acpi_fw_cfg_tables *t);

/* Minus the byte sum of len bytes at p: stored in a zeroed checksum field among
 * them, it makes them sum to zero. A valid table therefore yields 0. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
