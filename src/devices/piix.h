/* SPDX-License-Identifier: MIT */
/*
 * The i440FX/PIIX functions a PC firmware (OVMF's PlatformPei, SeaBIOS) looks for on
 * PCI bus 0, as QEMU's "pc" machine lays them out:
 *
 *   00:00.0  i440FX host bridge (8086:1237, class 0600): PAM 0x59-0x5F and SMRAM
 *            0x72 as registers only
 *   00:01.0  PIIX3 PCI-to-ISA bridge (8086:7000, class 0601, multi-function): the
 *            PIRQ route registers 0x60-0x63
 *   00:01.3  PIIX4 power management (8086:7113, class 0680): PMBA 0x40 and PMREGMISC
 *            0x80 place the ACPI PM block (acpi_pm) in I/O space
 *
 * The PM block follows PMBA while PMREGMISC.PMIOSE is set, and is unmapped while it
 * is clear (power-on). PIIX4's PM1 control encodes soft-off as SLP_TYP 0 and its PM
 * timer is 24 bits: piix_new() sets both on the acpi_pm, so the DSDT of a machine
 * using these functions names \_S5 = PIIX4_SLP_TYP_SOFF and its FADT leaves
 * TMR_VAL_EXT clear.
 */
#ifndef HVKVM_PIIX_H
#define HVKVM_PIIX_H

#include <stdint.h>

#include "io.h"
#include "pci.h"

#define PIIX_HOST_DEVFN		PCI_DEVFN(0, 0)
#define PIIX_ISA_DEVFN		PCI_DEVFN(1, 0)
#define PIIX_PM_DEVFN		PCI_DEVFN(1, 3)

#define I440FX_VENDOR		0x8086
#define I440FX_DEVICE		0x1237
#define PIIX3_ISA_DEVICE	0x7000
#define PIIX4_PM_DEVICE		0x7113

/* i440FX */
#define I440FX_PAM0		0x59	/* PAM0-PAM6: 0x59-0x5f */
#define I440FX_NPAM		7
#define I440FX_SMRAM		0x72
#define I440FX_SMRAM_POWER_ON	0x02	/* C_BASE_SEG = 010: SMRAM at 0xA0000 */
#define I440FX_SMRAM_D_OPEN	0x40
#define I440FX_SMRAM_D_CLS	0x20
#define I440FX_SMRAM_D_LCK	0x10
#define I440FX_SMRAM_G_SMRAME	0x08

/* PIIX3 ISA bridge */
#define PIIX3_PIRQRC		0x60	/* PIRQA-D route control: 0x60-0x63 */
#define PIIX3_PIRQ_DISABLE	0x80	/* IRQROUTEN# (power-on value) */
#define PIIX3_PIRQ_IRQ_MASK	0x0f

/* PIIX4 power management */
#define PIIX4_PMBA		0x40	/* bits 15:6 base, bit 0 reads 1 (I/O space) */
#define PIIX4_PMBA_MASK		0xffc0u
#define PIIX4_PM_IO_LEN		64
#define PIIX4_PMREGMISC		0x80
#define PIIX4_PMIOSE		0x01	/* PM I/O space enable */
#define PIIX4_SMBBA		0x90	/* SMBus base: bits 15:4, bit 0 reads 1 */
#define PIIX4_SMBHSTCFG		0xd2	/* bit 0: SMBus host enable */
#define PIIX4_SLP_TYP_SOFF	0	/* PM1_CNT SLP_TYP for soft-off (S5) */

struct pci_bus;
struct acpi_pm;
struct piix;

/*
 * Add the three functions to bus (which must not have them yet) and take over pm's
 * placement: pm becomes a movable PIIX4_PM_IO_LEN-byte range on pio, unmapped until
 * the guest enables it. Set up time. NULL with errno set on failure; the bus and pm
 * may then hold part of this set-up, so the caller gives up on both.
 */
struct piix *piix_new(struct pci_bus *bus, struct acpi_pm *pm, struct io_bus *pio);
void piix_free(struct piix *px);

/* The ISA IRQ PIRQ n (0-3, A-D) is routed to, or -1 if routing is disabled. */
int piix_pirq_irq(struct piix *px, unsigned n);

#endif
