/* SPDX-License-Identifier: MIT */
/*
 * The small PC ports every guest touches: the PCI configuration mechanism #1 (0xCF8
 * address, 0xCFC data) on a bus with no devices, the reset control register at
 * 0xCF9 (the FADT's reset register), System Control Port A at 0x92 (fast reset, A20)
 * and the keyboard controller's pulse-reset command at 0x64, and the POST port 0x80.
 *
 * 0xCF8-0xCFF has two decodes. Without a PCI bus (the direct-boot machine) any
 * access to 0xCF8-0xCFB other than a byte at 0xCF9 reads or writes the address
 * register, and the data port answers all ones. With a bus attached
 * (pc_ports_attach_pci) it decodes as a PIIX does: a byte at 0xCF9 is the reset
 * control register, a dword at 0xCF8 is the configuration address, 0xCFC-0xCFF
 * (any size that stays inside the dword) is configuration data for the function
 * the address selects, and every other access to 0xCF8-0xCFB finds nothing (reads
 * all ones, writes dropped).
 */
#ifndef HVKVM_PC_PORTS_H
#define HVKVM_PC_PORTS_H

#include <stdint.h>

#include "io.h"
#include "platform.h"

#define PC_PCI_CONFIG_PORT	0xcf8
#define PC_PCI_CONFIG_LEN	8
#define PC_RESET_CONTROL_PORT	0xcf9
#define PC_RESET_VALUE		0x06	/* SYS_RST | RST_CPU */
#define PC_PORT_A		0x92
#define PC_KBD_STATUS_PORT	0x64
#define PC_POST_PORT		0x80

struct pc_ports;

struct pc_ports *pc_ports_new(struct machine_ctl ctl);
void pc_ports_free(struct pc_ports *p);
void pc_ports_reset(struct pc_ports *p);
/* Register every port above on bus. */
int pc_ports_register(struct pc_ports *p, struct io_bus *bus);

struct pci_bus;
/* Decode configuration mechanism #1 onto pci (see above). Set up time. */
void pc_ports_attach_pci(struct pc_ports *p, struct pci_bus *pci);

extern const struct io_ops pc_pci_ops, pc_port_a_ops, pc_kbd_ops, pc_post_ops;

#endif
