/* SPDX-License-Identifier: MIT */
/*
 * i440FX host bridge, PIIX3 ISA bridge and PIIX4 power management function
 * (Intel 82441FX datasheet; 82371SB (PIIX3) and 82371AB (PIIX4) datasheets).
 *
 * Not emulated: the PAM registers' shadowing of 0xC0000-0xFFFFF (the BIOS area is
 * always RAM here, as no CSM needs it read-only) and the SMRAM register's effect (no
 * SMM: the A/B segments stay whatever the machine maps there). Both are stored so
 * firmware reads back what it wrote; SMRAM's lock bit freezes it as on hardware.
 * The PIIX3's other ISA-bridge registers and the PIIX4's SMBus controller
 * (SMBBA/SMBHSTCFG are stored, nothing decodes) are absent; those registers read 0.
 */
#include "piix.h"
#include "acpi_pm.h"

#include <errno.h>
#include <stdlib.h>

#define PIIX3_COMMAND_POWER_ON	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

struct piix {
	struct pci_bus *bus;
	struct pci_func *host, *isa, *pm_fn;
	struct acpi_pm *pm;
	/* Under the bus lock (only the PM function's hooks touch them). */
	bool pm_mapped;
	uint16_t pm_base;
};

static void i440fx_written(void *opaque, struct pci_func *f, unsigned off, unsigned len)
{
	uint8_t smram;

	(void)opaque;
	if (off > I440FX_SMRAM || off + len <= I440FX_SMRAM)
		return;
	/* D_LCK: D_OPEN clears, D_LCK and G_SMRAME freeze, until reset; D_CLS stays. */
	smram = (uint8_t)pci_func_cfg(f, I440FX_SMRAM, 1);
	if (smram & I440FX_SMRAM_D_LCK) {
		pci_func_cfg_set(f, I440FX_SMRAM, 1, smram & ~I440FX_SMRAM_D_OPEN);
		pci_func_set_wmask(f, I440FX_SMRAM, I440FX_SMRAM_D_CLS);
	}
}

static const struct pci_func_ops i440fx_ops = { .config_written = i440fx_written };

/* Bus lock held. PMIOSE alone enables the block (as QEMU's PIIX4 does; PCI command
 * I/O enable, which OVMF sets too, does not gate it). */
static void piix4_pm_update(struct piix *px, struct pci_func *f)
{
	bool on = pci_func_cfg(f, PIIX4_PMREGMISC, 1) & PIIX4_PMIOSE;
	uint16_t base = (uint16_t)(pci_func_cfg(f, PIIX4_PMBA, 4) & PIIX4_PMBA_MASK);

	if (on == px->pm_mapped && (!on || base == px->pm_base))
		return;
	if (on && acpi_pm_set_base(px->pm, base) == 0) {
		px->pm_mapped = true;
		px->pm_base = base;
	} else {
		acpi_pm_disable(px->pm);
		px->pm_mapped = false;
	}
}

static void piix4_pm_written(void *opaque, struct pci_func *f, unsigned off, unsigned len)
{
	if ((off < PIIX4_PMBA + 4 && off + len > PIIX4_PMBA) ||
	    (off <= PIIX4_PMREGMISC && off + len > PIIX4_PMREGMISC))
		piix4_pm_update(opaque, f);
}

static void piix4_pm_reset(void *opaque, struct pci_func *f)
{
	piix4_pm_update(opaque, f);
}

static const struct pci_func_ops piix4_pm_ops = {
	.config_written = piix4_pm_written,
	.reset = piix4_pm_reset,
};

static int i440fx_add(struct piix *px)
{
	static const struct pci_func_id id = {
		.vendor = I440FX_VENDOR, .device = I440FX_DEVICE, .revision = 0x02,
		.class_code = 0x060000,
	};
	int r = pci_bus_add(px->bus, PIIX_HOST_DEVFN, &id, &i440fx_ops, px, &px->host);

	if (r == 0)
		r = pci_func_init_reg(px->host, PCI_STATUS, 2,
				      PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_B2B, 0, PCI_STATUS_W1C);
	/* PAM0 has only the high half (0xF0000-0xFFFFF); PAM1-6 two halves, 2 bits each. */
	if (r == 0)
		r = pci_func_init_reg(px->host, I440FX_PAM0, 1, 0, 0x30, 0);
	for (unsigned i = 1; r == 0 && i < I440FX_NPAM; i++)
		r = pci_func_init_reg(px->host, I440FX_PAM0 + i, 1, 0, 0x33, 0);
	if (r == 0)
		r = pci_func_init_reg(px->host, I440FX_SMRAM, 1, I440FX_SMRAM_POWER_ON,
				      I440FX_SMRAM_D_OPEN | I440FX_SMRAM_D_CLS | I440FX_SMRAM_D_LCK |
				      I440FX_SMRAM_G_SMRAME, 0);
	return r;
}

static int piix3_isa_add(struct piix *px)
{
	static const struct pci_func_id id = {
		.vendor = I440FX_VENDOR, .device = PIIX3_ISA_DEVICE, .class_code = 0x060100,
	};
	int r = pci_bus_add(px->bus, PIIX_ISA_DEVFN, &id, NULL, px, &px->isa);

	if (r == 0)
		r = pci_func_init_reg(px->isa, PCI_COMMAND, 2, PIIX3_COMMAND_POWER_ON,
				      PCI_COMMAND_MASTER | PCI_COMMAND_SERR, 0);
	for (unsigned i = 0; r == 0 && i < 4; i++)
		r = pci_func_init_reg(px->isa, PIIX3_PIRQRC + i, 1, PIIX3_PIRQ_DISABLE,
				      PIIX3_PIRQ_DISABLE | PIIX3_PIRQ_IRQ_MASK, 0);
	return r;
}

static int piix4_pm_add(struct piix *px)
{
	static const struct pci_func_id id = {
		.vendor = I440FX_VENDOR, .device = PIIX4_PM_DEVICE, .revision = 0x03,
		.class_code = 0x068000, .irq_pin = 1,
	};
	int r = pci_bus_add(px->bus, PIIX_PM_DEVFN, &id, &piix4_pm_ops, px, &px->pm_fn);

	if (r == 0)
		r = pci_func_init_reg(px->pm_fn, PIIX4_PMBA, 4, 1, PIIX4_PMBA_MASK, 0);
	if (r == 0)
		r = pci_func_init_reg(px->pm_fn, PIIX4_PMREGMISC, 1, 0, PIIX4_PMIOSE, 0);
	if (r == 0)
		r = pci_func_init_reg(px->pm_fn, PIIX4_SMBBA, 4, 1, 0xfff0, 0);
	if (r == 0)
		r = pci_func_init_reg(px->pm_fn, PIIX4_SMBHSTCFG, 1, 0, 0x0f, 0);
	return r;
}

struct piix *piix_new(struct pci_bus *bus, struct acpi_pm *pm, struct io_bus *pio)
{
	struct piix *px = calloc(1, sizeof(*px));
	int r;

	if (!px)
		return NULL;
	px->bus = bus;
	px->pm = pm;
	r = acpi_pm_attach_movable(pm, pio, PIIX4_PM_IO_LEN);
	if (r == 0)
		r = acpi_pm_set_timer_bits(pm, 24);
	if (r == 0)
		r = i440fx_add(px);
	if (r == 0)
		r = piix3_isa_add(px);
	if (r == 0)
		r = piix4_pm_add(px);
	if (r < 0) {
		free(px);
		errno = -r;
		return NULL;
	}
	acpi_pm_set_s5_type(pm, PIIX4_SLP_TYP_SOFF);
	return px;
}

void piix_free(struct piix *px)
{
	free(px);
}

int piix_pirq_irq(struct piix *px, unsigned n)
{
	uint8_t v;

	if (n > 3)
		return -1;
	v = (uint8_t)pci_func_read(px->isa, PIIX3_PIRQRC + n, 1);
	return v & PIIX3_PIRQ_DISABLE ? -1 : v & PIIX3_PIRQ_IRQ_MASK;
}
