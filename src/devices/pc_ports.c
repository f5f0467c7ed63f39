/* SPDX-License-Identifier: MIT */
#include "pc_ports.h"
#include "pci.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define KBD_CMD_PULSE_RESET	0xfe
#define PORT_A_FAST_RESET	0x01
#define PORT_A_A20		0x02
#define RESET_CONTROL_SYS_RST	0x02
#define RESET_CONTROL_RST_CPU	0x04

struct pc_ports {
	struct machine_ctl ctl;
	struct pci_bus *pci;		/* set up before the vCPUs start; may be NULL */
	pthread_mutex_t lock;		/* vCPUs trap here concurrently */
	uint32_t config_address;
	uint8_t reset_control;
	uint8_t port_a;
};

struct pc_ports *pc_ports_new(struct machine_ctl ctl)
{
	struct pc_ports *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ctl = ctl;
	pthread_mutex_init(&p->lock, NULL);
	pc_ports_reset(p);
	return p;
}

void pc_ports_free(struct pc_ports *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pc_ports_reset(struct pc_ports *p)
{
	pthread_mutex_lock(&p->lock);
	p->config_address = 0;
	p->reset_control = 0;
	p->port_a = PORT_A_A20;	/* A20 is always on */
	pthread_mutex_unlock(&p->lock);
}

void pc_ports_attach_pci(struct pc_ports *p, struct pci_bus *pci)
{
	p->pci = pci;
}

/* With a bus: the configuration data port's share of an access at off (4-7). */
static bool pci_data_access(uint64_t off, unsigned size)
{
	return off >= 4 && off - 4 + size <= 4;
}

static uint64_t pci_read_piix(struct pc_ports *p, uint64_t off, unsigned size)
{
	uint64_t v = ~0ull;
	uint32_t confadd;

	pthread_mutex_lock(&p->lock);
	confadd = p->config_address;
	if (off == 1 && size == 1)
		v = p->reset_control;
	else if (off == 0 && size == 4)
		v = confadd;
	pthread_mutex_unlock(&p->lock);
	/* The address may change under a racing vCPU, as on hardware: guests lock. */
	if (pci_data_access(off, size))
		v = pci_bus_config_read(p->pci, confadd, (unsigned)off - 4, size);
	return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/* 0xCF8-0xCFF. Without a bus: a byte at 0xCF9 is the reset control register;
 * other accesses to 0xCF8-0xCFB are the configuration address; 0xCFC-0xCFF is
 * configuration data, and with no device on the bus every read returns all ones. */
static uint64_t pci_read(void *dev, uint64_t off, unsigned size)
{
	struct pc_ports *p = dev;
	uint64_t v = ~0ull;

	if (p->pci)
		return pci_read_piix(p, off, size);
	pthread_mutex_lock(&p->lock);
	if (off == 1 && size == 1)
		v = p->reset_control;
	else if (off < 4 && off + size <= 4)
		v = p->config_address >> (off * 8);
	pthread_mutex_unlock(&p->lock);
	return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}

static void pci_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct pc_ports *p = dev;
	bool reset = false;
	uint32_t confadd;

	pthread_mutex_lock(&p->lock);
	confadd = p->config_address;
	if (off == 1 && size == 1) {
		/* RST_CPU going from 0 to 1 starts the reset SYS_RST selects. */
		reset = (val & RESET_CONTROL_RST_CPU) && !(p->reset_control & RESET_CONTROL_RST_CPU);
		p->reset_control = (uint8_t)val;
	} else if (p->pci) {
		/* PIIX: only a dword is the address; data goes to the bus below. */
		if (off == 0 && size == 4)
			p->config_address = (uint32_t)val & PCI_CONFADD_MASK;
	} else if (off < 4 && off + size <= 4) {
		uint32_t mask = (size == 4 ? 0xffffffffu : ((1u << (size * 8)) - 1)) << (off * 8);

		/* Bits 1:0 are hardwired to zero; bits 30:24 are reserved. */
		p->config_address = (p->config_address & ~mask) | (((uint32_t)val << (off * 8)) & mask);
		p->config_address &= 0x80fffffcu;
	}
	pthread_mutex_unlock(&p->lock);
	if (p->pci && pci_data_access(off, size))
		pci_bus_config_write(p->pci, confadd, (unsigned)off - 4, (uint32_t)val, size);
	if (reset)
		machine_ctl_event(&p->ctl, MACHINE_RESET);
}

const struct io_ops pc_pci_ops = { pci_read, pci_write };

static uint64_t port_a_read(void *dev, uint64_t off, unsigned size)
{
	struct pc_ports *p = dev;
	uint8_t v;

	(void)off, (void)size;
	pthread_mutex_lock(&p->lock);
	v = p->port_a;
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void port_a_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct pc_ports *p = dev;
	bool reset;

	(void)off, (void)size;
	pthread_mutex_lock(&p->lock);
	reset = (val & PORT_A_FAST_RESET) && !(p->port_a & PORT_A_FAST_RESET);
	p->port_a = (uint8_t)((val & PORT_A_FAST_RESET) | PORT_A_A20);
	pthread_mutex_unlock(&p->lock);
	if (reset)
		machine_ctl_event(&p->ctl, MACHINE_RESET);
}

const struct io_ops pc_port_a_ops = { port_a_read, port_a_write };

/* No keyboard controller is present (the FADT says so), but reboot code that falls
 * back to the 8042's pulse-reset command expects it to work, and polls the status
 * register first: report "nothing pending" so it does not spin. */
static uint64_t kbd_read(void *dev, uint64_t off, unsigned size)
{
	(void)dev, (void)off, (void)size;
	return 0;
}

static void kbd_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct pc_ports *p = dev;

	(void)off, (void)size;
	if ((val & 0xff) == KBD_CMD_PULSE_RESET)
		machine_ctl_event(&p->ctl, MACHINE_RESET);
}

const struct io_ops pc_kbd_ops = { kbd_read, kbd_write };

/* POST codes, and Linux's I/O delay port: accepted and forgotten. */
static uint64_t post_read(void *dev, uint64_t off, unsigned size)
{
	(void)dev, (void)off, (void)size;
	return 0xff;
}

static void post_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	(void)dev, (void)off, (void)val, (void)size;
}

const struct io_ops pc_post_ops = { post_read, post_write };

int pc_ports_register(struct pc_ports *p, struct io_bus *bus)
{
	int r;

	r = io_bus_register(bus, PC_PCI_CONFIG_PORT, PC_PCI_CONFIG_LEN, &pc_pci_ops, p, "pci-config");
	if (r == 0)
		r = io_bus_register(bus, PC_PORT_A, 1, &pc_port_a_ops, p, "port-a");
	if (r == 0)
		r = io_bus_register(bus, PC_KBD_STATUS_PORT, 1, &pc_kbd_ops, p, "kbd-reset");
	if (r == 0)
		r = io_bus_register(bus, PC_POST_PORT, 1, &pc_post_ops, p, "post");
	return r;
}
