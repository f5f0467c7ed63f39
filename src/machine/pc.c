/* SPDX-License-Identifier: MIT */
#include "pc.h"
#include "acpi.h"
#include "boot.h"
#include "console.h"
#include "acpi_pm.h"
#include "pc_ports.h"
#include "pc_firmware.h"
#include "rtc.h"
#include "uart8250.h"
#include "log.h"

#include <errno.h>
#include <string.h>

static void pc_on_console_quit(void *ctx)
{
	struct pc *pc = ctx;

	vm_request(pc->vm, VM_REQ_STOP);
}

int pc_add_dsdt_hook(struct pc *pc, void (*fn)(struct aml *a, void *opaque), void *opaque)
{
	if (pc->ndsdt_hooks == PC_MAX_DSDT_HOOKS)
		return -ENOSPC;
	pc->dsdt_hooks[pc->ndsdt_hooks++] = (struct acpi_dsdt_hook){ fn, opaque };
	return 0;
}

static void pc_build_acpi(struct vm *vm, void *opaque)
{
	struct pc *pc = opaque;
	struct acpi_config cfg = {
		.ncpus = vm->ncpus,
		.lapic_addr = PC_LAPIC_ADDR,
		.ioapic_addr = PC_IOAPIC_ADDR,
		.pm_base = PC_PM_BASE,
		.sci_irq = PC_SCI_IRQ,
		.reset_port = PC_RESET_CONTROL_PORT,
		.reset_value = PC_RESET_VALUE,
		.hooks = pc->dsdt_hooks,
		.nhooks = pc->ndsdt_hooks,
	};
	void *buf;
	int r;

	if (pc->fw) {
		/* The firmware places the tables; the PM block is where it puts PIIX4's. */
		cfg.pm_base = PC_FW_PM_BASE;
		cfg.piix = true;
		pc_fw_build_acpi(pc, &cfg);
		return;
	}
	buf = gmem_ptr(&vm->mem, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE);

	r = buf ? acpi_build(&cfg, buf, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE, &pc->rsdp) : -ENOSPC;
	if (r < 0) {
		/* Boot without ACPI rather than not at all; Linux falls back to one CPU. */
		log_error("building the ACPI tables: %s", strerror(-r));
		pc->rsdp = 0;
	}
}

static void pc_reset(struct vm *vm, void *opaque)
{
	struct pc *pc = opaque;

	(void)vm;
	uart8250_reset(pc->uart);
	rtc_reset(pc->rtc);
	acpi_pm_reset(pc->pm);
	pc_ports_reset(pc->ports);
	if (pc->fw)
		pc_fw_reset(pc);
}

int pc_init(struct pc *pc, struct vm *vm, const struct vm_config *cfg)
{
	int r;

	memset(pc, 0, sizeof(*pc));
	pc->vm = vm;
	r = console_open(&pc->con, vm->loop, cfg->serial, cfg->serial_path, pc_on_console_quit, pc);
	if (r < 0) {
		if (cfg->serial == CONSOLE_FILE)
			log_error("--serial file:%s: %s", cfg->serial_path, strerror(-r));
		else
			log_error("--serial: %s", strerror(-r));
		return VM_EXIT_USAGE;
	}
	pc->uart = uart8250_new(vm->loop, vm_irq_line(vm, PC_COM1_IRQ), console_chardev(pc->con));
	pc->rtc = rtc_new(vm->loop, vm_irq_line(vm, PC_RTC_IRQ), NULL, NULL);
	pc->pm = acpi_pm_new(vm_irq_line(vm, PC_SCI_IRQ), vm_machine_ctl(vm));
	pc->ports = pc_ports_new(vm_machine_ctl(vm));
	if (!pc->uart || !pc->rtc || !pc->pm || !pc->ports) {
		log_error("out of memory creating the platform devices");
		return VM_EXIT_ERROR;
	}
	r = io_bus_register(&vm->pio, PC_COM1_PORT, 8, &uart8250_io_ops, pc->uart, "com1");
	if (r == 0)
		r = io_bus_register(&vm->pio, PC_RTC_PORT, 2, &rtc_io_ops, pc->rtc, "rtc");
	/* With firmware the PIIX4 function places the PM block (pc_fw_init). */
	if (r == 0 && !cfg->firmware)
		r = io_bus_register(&vm->pio, PC_PM_BASE, ACPI_PM_IO_LEN, &acpi_pm_io_ops, pc->pm, "acpi-pm");
	if (r == 0)
		r = pc_ports_register(pc->ports, &vm->pio);
	if (r == 0)
		r = vm_add_boot_hook(vm, pc_build_acpi, pc);
	if (r == 0)
		r = vm_add_reset_hook(vm, pc_reset, pc);
	if (r < 0) {
		log_error("registering the platform devices: %s", strerror(-r));
		return VM_EXIT_ERROR;
	}
	return cfg->firmware ? pc_fw_init(pc, cfg) : 0;
}

void pc_fini(struct pc *pc)
{
	pc_fw_fini(pc);
	/* The UART flushes what the guest last wrote before the console goes away. */
	uart8250_free(pc->uart);
	rtc_free(pc->rtc);
	acpi_pm_free(pc->pm);
	pc_ports_free(pc->ports);
	console_close(pc->con);
	memset(pc, 0, sizeof(*pc));
}

void pc_request_shutdown(struct pc *pc)
{
	acpi_pm_press_power_button(pc->pm);
}
