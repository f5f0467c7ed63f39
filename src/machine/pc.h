/* SPDX-License-Identifier: MIT */
/*
 * The PC platform around the guest: COM1, the CMOS RTC, ACPI (tables and the PM
 * device), the legacy ports, and how a host asks the guest to shut down.
 */
#ifndef HVKVM_PC_H
#define HVKVM_PC_H

#include "acpi.h"
#include "config.h"
#include "vm.h"

/* Fixed platform addresses the ACPI tables describe. */
#define PC_LAPIC_ADDR		0xfee00000ull
#define PC_IOAPIC_ADDR		0xfec00000ull
#define PC_COM1_PORT		0x3f8
#define PC_COM1_IRQ		4
#define PC_RTC_PORT		0x70
#define PC_RTC_IRQ		8
#define PC_PM_BASE		0x600
#define PC_SCI_IRQ		9

struct console;
struct uart8250;
struct rtc;
struct acpi_pm;
struct pc_ports;
struct aml;
struct pc_firmware;


#define PC_MAX_DSDT_HOOKS 8

struct pc {
	struct vm *vm;
	struct acpi_dsdt_hook dsdt_hooks[PC_MAX_DSDT_HOOKS];
	unsigned ndsdt_hooks;
	struct console *con;
	struct uart8250 *uart;
	struct rtc *rtc;
	struct acpi_pm *pm;
	struct pc_ports *ports;
	uint64_t rsdp;			/* the ACPI tables of this boot; 0: none */
	struct pc_firmware *fw;		/* --firmware (pc_firmware.h); NULL: direct kernel boot */
};

/* Create the platform devices and register them with vm. Prints why on failure and
 * returns a vm_exit_code. */
int pc_init(struct pc *pc, struct vm *vm, const struct vm_config *cfg);
void pc_fini(struct pc *pc);

/* Devices in the DSDT's \_SB from another layer (VMBus). */
int pc_add_dsdt_hook(struct pc *pc, void (*fn)(struct aml *a, void *opaque), void *opaque);

/* Ask the guest to shut down the way a PC's power button does. */
void pc_request_shutdown(struct pc *pc);

#endif
