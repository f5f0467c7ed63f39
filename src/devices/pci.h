/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0 and its configuration space (PCI Local Bus 3.0, chapter 6).
 *
 * Functions are registered by device/function number. Each has a 256-byte
 * configuration space with, per byte, a writable mask and a write-1-to-clear mask:
 * a guest write changes only writable bits, clears the W1C bits it writes as 1, and
 * leaves the rest (IDs, class, header type, BAR type bits) as the model set them.
 * BARs are sized the standard way (write all ones, read back the size mask with the
 * type bits); when the window a BAR decodes changes (its address, or the command
 * register's I/O or memory enable), the function's bar_map hook is told, so the
 * model can move its range.
 *
 * The bus knows no port: configuration mechanism #1 (0xCF8/0xCFC) is decoded by
 * pc_ports, which hands data-port accesses here with the address register's value
 * (pc_ports_attach_pci). Every offset and size the guest can produce is safe.
 *
 * Config accesses come from vCPU threads: the bus has one lock, held while a
 * function's hooks run. Lock order: the bus lock, then a device's own locks, then the
 * port bus's movable-range lock; a port handler never takes the bus lock.
 */
#ifndef HVKVM_PCI_H
#define HVKVM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_DEVFN(dev, fn)	((unsigned)(((dev) & 0x1f) << 3 | ((fn) & 7)))
#define PCI_MAX_DEVFN		256
#define PCI_CONFIG_SIZE		256
#define PCI_NUM_BARS		6

/* Type 0 header */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_PARITY	0x0040
#define PCI_COMMAND_SERR	0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_FAST_B2B	0x0080
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200
/* Master data parity error, signalled/received target and master abort, signalled
 * system error, detected parity error: write 1 to clear. */
#define PCI_STATUS_W1C		0xf900

#define PCI_HEADER_MULTI_FUNCTION 0x80

/* Expansion ROM base address register (PCI 3.0, 6.2.5.2): bit 0 enables the decode
 * (which also needs the command register's memory enable), bits 31:11 the address. */
#define PCI_ROM_ENABLE		0x00000001u
#define PCI_ROM_ADDR_MASK	0xfffff800u
#define PCI_ROM_MIN_SIZE	0x800ull	/* 2 KiB: the 11 bits below the address */
#define PCI_ROM_MAX_SIZE	0x1000000ull	/* 16 MiB */
/* bar_map's bar number for the expansion ROM. */
#define PCI_ROM_BAR		PCI_NUM_BARS

#define PCI_BAR_SPACE_IO	0x01
#define PCI_BAR_MEM_TYPE_64	0x04
#define PCI_BAR_MEM_PREFETCH	0x08

/* Address reported to bar_map when a BAR does not decode. */
#define PCI_BAR_UNMAPPED	(~0ull)

/* Configuration address register of mechanism #1 (0xCF8). */
#define PCI_CONFADD_ENABLE	0x80000000u
#define PCI_CONFADD_MASK	0x80fffffcu	/* bits 30:24 reserved, 1:0 zero */

enum pci_bar_type {
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,		/* takes two BAR slots */
};

struct pci_bus;
struct pci_func;

struct pci_func_ops {
	/* After a guest write to bytes [off, off + len) was stored. */
	void (*config_written)(void *opaque, struct pci_func *f, unsigned off, unsigned len);
	/* BAR bar (PCI_ROM_BAR: the expansion ROM) now decodes [addr, addr + size), or
	 * nothing (PCI_BAR_UNMAPPED). */
	void (*bar_map)(void *opaque, struct pci_func *f, unsigned bar, uint64_t addr,
			uint64_t size);
	/* After a bus reset restored the power-on registers (and unmapped the BARs). */
	void (*reset)(void *opaque, struct pci_func *f);
};

/* What the header says the function is. class_code is class << 16 | subclass << 8
 * | prog-if. */
struct pci_func_id {
	uint16_t vendor, device;
	uint8_t revision;
	uint32_t class_code;
	uint16_t subsys_vendor, subsys;
	uint8_t irq_pin;	/* 0 none, 1-4 INTA-INTD */
};

struct pci_bus *pci_bus_new(void);
void pci_bus_free(struct pci_bus *bus);

/*
 * Add a function at devfn (set up time, before the vCPUs start). Function n > 0 of
 * a device needs function 0 first; adding it sets function 0's multi-function bit.
 * ops may be NULL. -EEXIST, -EINVAL (devfn, or function 0 missing), -ENOMEM.
 */
int pci_bus_add(struct pci_bus *bus, unsigned devfn, const struct pci_func_id *id,
		const struct pci_func_ops *ops, void *opaque, struct pci_func **out);

/* Declare BAR bar (0-5; a 64-bit BAR also takes bar + 1): size a power of two, at
 * least 4 (I/O, at most 256) or 16 (memory). Set up time. -EINVAL, -EEXIST. */
int pci_func_add_bar(struct pci_func *f, unsigned bar, enum pci_bar_type type, uint64_t size,
		     bool prefetch);

/* Declare the expansion ROM (bar_map's PCI_ROM_BAR): size a power of two from
 * PCI_ROM_MIN_SIZE to PCI_ROM_MAX_SIZE. It decodes [address, address + size) while the
 * register's enable bit and the command register's memory enable are both set. Set
 * up time. -EINVAL, -EEXIST. */
int pci_func_add_rom(struct pci_func *f, uint64_t size);

/* Set up time: the power-on value of bytes [off, off + len) (len 1, 2 or 4; little
 * endian) and which of their bits the guest may write, or clear by writing 1. */
int pci_func_init_reg(struct pci_func *f, unsigned off, unsigned len, uint32_t val,
		      uint32_t wmask, uint32_t w1c);

/* A register's current value. From a hook (the bus lock is held): pci_func_cfg;
 * from anywhere else: pci_func_read. */
uint32_t pci_func_cfg(const struct pci_func *f, unsigned off, unsigned len);
uint32_t pci_func_read(struct pci_func *f, unsigned off, unsigned len);
/* Store a value regardless of the masks (a model updating its own register);
 * from a hook only. */
void pci_func_cfg_set(struct pci_func *f, unsigned off, unsigned len, uint32_t val);
/* Change a byte's writable mask (a lock bit freezing registers); from a hook only. */
void pci_func_set_wmask(struct pci_func *f, unsigned off, uint8_t wmask);

/* Take the function off the bus (from a hook, i.e. on its own request): until the
 * next bus reset its configuration reads return all ones, writes are dropped, and its
 * BARs and ROM stop decoding (bar_map told). */
void pci_func_hide(struct pci_func *f);
bool pci_func_hidden(struct pci_func *f);

/* Back to power-on: every register, the function shown again if it was hidden, the
 * BARs unmapped (bar_map told), then each function's reset hook. */
void pci_bus_reset(struct pci_bus *bus);

/*
 * Configuration mechanism #1, data side: confadd is the address register's value,
 * off (0-3) and size (1, 2, 4) the access within the data dword 0xCFC-0xCFF. With
 * the enable bit clear, another bus, a missing function, or an access crossing the
 * dword, reads return all ones and writes are dropped.
 */
uint32_t pci_bus_config_read(struct pci_bus *bus, uint32_t confadd, unsigned off, unsigned size);
void pci_bus_config_write(struct pci_bus *bus, uint32_t confadd, unsigned off, uint32_t val,
			  unsigned size);

#endif
