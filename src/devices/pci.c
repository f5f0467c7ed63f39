/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0: configuration space with writable and write-1-to-clear masks, BARs.
 */
#include "pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Command bits a generic function lets the guest set. */
#define PCI_COMMAND_WMASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)

struct pci_bar {
	bool present;
	enum pci_bar_type type;	/* the ROM: PCI_BAR_MEM32 */
	uint64_t size;
	uint64_t mapped;	/* what bar_map was last told; PCI_BAR_UNMAPPED */
};

struct pci_func {
	struct pci_bus *bus;
	unsigned devfn;
	const struct pci_func_ops *ops;
	void *opaque;
	uint8_t cfg[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];
	uint8_t w1c[PCI_CONFIG_SIZE];
	uint8_t reset_cfg[PCI_CONFIG_SIZE];	/* power-on values */
	uint8_t reset_wmask[PCI_CONFIG_SIZE];
	/* The upper half of a 64-bit BAR: !present. [PCI_ROM_BAR]: the expansion ROM. */
	struct pci_bar bar[PCI_NUM_BARS + 1];
	bool hidden;		/* off the bus until the next reset */
};

struct pci_bus {
	pthread_mutex_t lock;	/* every function's registers and BAR state */
	struct pci_func *fn[PCI_MAX_DEVFN];
};

struct pci_bus *pci_bus_new(void)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));

	if (bus)
		pthread_mutex_init(&bus->lock, NULL);
	return bus;
}

void pci_bus_free(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned i = 0; i < PCI_MAX_DEVFN; i++)
		free(bus->fn[i]);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

static void put_le(uint8_t *p, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static bool reg_ok(unsigned off, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && off < PCI_CONFIG_SIZE &&
	       len <= PCI_CONFIG_SIZE - off;
}

int pci_func_init_reg(struct pci_func *f, unsigned off, unsigned len, uint32_t val,
		      uint32_t wmask, uint32_t w1c)
{
	if (!reg_ok(off, len) || (wmask & w1c))
		return -EINVAL;
	put_le(f->cfg + off, len, val);
	put_le(f->reset_cfg + off, len, val);
	put_le(f->wmask + off, len, wmask);
	put_le(f->reset_wmask + off, len, wmask);
	put_le(f->w1c + off, len, w1c);
	return 0;
}

int pci_bus_add(struct pci_bus *bus, unsigned devfn, const struct pci_func_id *id,
		const struct pci_func_ops *ops, void *opaque, struct pci_func **out)
{
	struct pci_func *f, *f0;

	if (devfn >= PCI_MAX_DEVFN)
		return -EINVAL;
	if (bus->fn[devfn])
		return -EEXIST;
	f0 = bus->fn[devfn & ~7u];
	if ((devfn & 7) && !f0)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->bus = bus;
	f->devfn = devfn;
	f->ops = ops;
	f->opaque = opaque;
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++)
		f->bar[i].mapped = PCI_BAR_UNMAPPED;
	pci_func_init_reg(f, PCI_VENDOR_ID, 2, id->vendor, 0, 0);
	pci_func_init_reg(f, PCI_DEVICE_ID, 2, id->device, 0, 0);
	pci_func_init_reg(f, PCI_COMMAND, 2, 0, PCI_COMMAND_WMASK, 0);
	pci_func_init_reg(f, PCI_STATUS, 2, PCI_STATUS_DEVSEL_MEDIUM, 0, PCI_STATUS_W1C);
	pci_func_init_reg(f, PCI_REVISION_ID, 4, (id->class_code & 0xffffffu) << 8 | id->revision, 0, 0);
	pci_func_init_reg(f, PCI_CACHE_LINE_SIZE, 1, 0, 0xff, 0);
	pci_func_init_reg(f, PCI_LATENCY_TIMER, 1, 0, 0xff, 0);
	pci_func_init_reg(f, PCI_SUBSYSTEM_VENDOR_ID, 2, id->subsys_vendor, 0, 0);
	pci_func_init_reg(f, PCI_SUBSYSTEM_ID, 2, id->subsys, 0, 0);
	pci_func_init_reg(f, PCI_INTERRUPT_LINE, 1, 0, 0xff, 0);
	pci_func_init_reg(f, PCI_INTERRUPT_PIN, 1, id->irq_pin, 0, 0);
	/* Header type 0, read-only; software scans functions 1-7 of a device only when
	 * function 0 has the multi-function bit. */
	if (devfn & 7) {
		f0->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTI_FUNCTION;
		f0->reset_cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTI_FUNCTION;
	}
	bus->fn[devfn] = f;
	if (out)
		*out = f;
	return 0;
}

int pci_func_add_bar(struct pci_func *f, unsigned bar, enum pci_bar_type type, uint64_t size,
		     bool prefetch)
{
	unsigned off = PCI_BAR0 + 4 * bar;
	uint64_t addr_mask = ~(size - 1);
	uint32_t lo_bits;

	if (bar >= PCI_NUM_BARS || size == 0 || (size & (size - 1)))
		return -EINVAL;
	switch (type) {
	case PCI_BAR_IO:
		if (size < 4 || size > 256 || prefetch)
			return -EINVAL;
		lo_bits = PCI_BAR_SPACE_IO;
		break;
	case PCI_BAR_MEM32:
		if (size < 16 || size > 0x80000000ull)
			return -EINVAL;
		lo_bits = prefetch ? PCI_BAR_MEM_PREFETCH : 0;
		break;
	case PCI_BAR_MEM64:
		if (size < 16 || size > (1ull << 63) || bar + 1 >= PCI_NUM_BARS)
			return -EINVAL;
		lo_bits = PCI_BAR_MEM_TYPE_64 | (prefetch ? PCI_BAR_MEM_PREFETCH : 0);
		break;
	default:
		return -EINVAL;
	}
	if (f->bar[bar].present || get_le(f->wmask + off, 4) ||
	    (type == PCI_BAR_MEM64 && (f->bar[bar + 1].present || get_le(f->wmask + off + 4, 4))))
		return -EEXIST;
	/* The type bits are read-only; the address bits below the size read as 0. */
	pci_func_init_reg(f, off, 4, lo_bits,
			  (uint32_t)addr_mask & (type == PCI_BAR_IO ? ~3u : ~15u), 0);
	if (type == PCI_BAR_MEM64)
		pci_func_init_reg(f, off + 4, 4, 0, (uint32_t)(addr_mask >> 32), 0);
	f->bar[bar] = (struct pci_bar){ true, type, size, PCI_BAR_UNMAPPED };
	return 0;
}

int pci_func_add_rom(struct pci_func *f, uint64_t size)
{
	if (size < PCI_ROM_MIN_SIZE || size > PCI_ROM_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	if (f->bar[PCI_ROM_BAR].present || get_le(f->wmask + PCI_ROM_ADDRESS, 4))
		return -EEXIST;
	/* Address bits below the size read as 0; bits 10:1 are reserved (0). */
	pci_func_init_reg(f, PCI_ROM_ADDRESS, 4, 0,
			  ((uint32_t)~(size - 1) & PCI_ROM_ADDR_MASK) | PCI_ROM_ENABLE, 0);
	f->bar[PCI_ROM_BAR] = (struct pci_bar){ true, PCI_BAR_MEM32, size, PCI_BAR_UNMAPPED };
	return 0;
}

uint32_t pci_func_cfg(const struct pci_func *f, unsigned off, unsigned len)
{
	return reg_ok(off, len) ? get_le(f->cfg + off, len) : 0;
}

uint32_t pci_func_read(struct pci_func *f, unsigned off, unsigned len)
{
	uint32_t v;

	pthread_mutex_lock(&f->bus->lock);
	v = pci_func_cfg(f, off, len);
	pthread_mutex_unlock(&f->bus->lock);
	return v;
}

void pci_func_cfg_set(struct pci_func *f, unsigned off, unsigned len, uint32_t val)
{
	if (reg_ok(off, len))
		put_le(f->cfg + off, len, val);
}

void pci_func_set_wmask(struct pci_func *f, unsigned off, uint8_t wmask)
{
	if (off < PCI_CONFIG_SIZE)
		f->wmask[off] = wmask & (uint8_t)~f->w1c[off];
}

/* Where BAR i decodes now: PCI_BAR_UNMAPPED if its space is disabled, its address is 0,
 * or the window does not fit below the space's top (the all-ones sizing value). */
static uint64_t pci_bar_decode(const struct pci_func *f, unsigned i)
{
	const struct pci_bar *b = &f->bar[i];
	uint16_t cmd = (uint16_t)get_le(f->cfg + PCI_COMMAND, 2);
	uint64_t addr, top;

	if (f->hidden)
		return PCI_BAR_UNMAPPED;
	if (i == PCI_ROM_BAR) {
		addr = get_le(f->cfg + PCI_ROM_ADDRESS, 4);
		if (!(cmd & PCI_COMMAND_MEMORY) || !(addr & PCI_ROM_ENABLE))
			return PCI_BAR_UNMAPPED;
		addr &= PCI_ROM_ADDR_MASK;
		top = 0xfffffffe;
		goto check;
	}
	addr = get_le(f->cfg + PCI_BAR0 + 4 * i, 4);
	switch (b->type) {
	case PCI_BAR_IO:
		if (!(cmd & PCI_COMMAND_IO))
			return PCI_BAR_UNMAPPED;
		addr &= ~3ull;
		top = 0xffff;
		break;
	case PCI_BAR_MEM32:
		if (!(cmd & PCI_COMMAND_MEMORY))
			return PCI_BAR_UNMAPPED;
		addr &= ~15ull;
		top = 0xfffffffe;
		break;
	default:
		if (!(cmd & PCI_COMMAND_MEMORY))
			return PCI_BAR_UNMAPPED;
		addr = (addr & ~15ull) | (uint64_t)get_le(f->cfg + PCI_BAR0 + 4 * i + 4, 4) << 32;
		top = ~1ull;
		break;
	}
check:
	if (addr == 0 || addr + b->size - 1 < addr || addr + b->size - 1 > top)
		return PCI_BAR_UNMAPPED;
	return addr;
}

/* Called with the bus lock held. */
static void pci_func_update_bars(struct pci_func *f)
{
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++) {
		struct pci_bar *b = &f->bar[i];
		uint64_t now;

		if (!b->present)
			continue;
		now = pci_bar_decode(f, i);
		if (now == b->mapped)
			continue;
		b->mapped = now;
		if (f->ops && f->ops->bar_map)
			f->ops->bar_map(f->opaque, f, i, now, b->size);
	}
}

void pci_func_hide(struct pci_func *f)
{
	f->hidden = true;
	pci_func_update_bars(f);
}

bool pci_func_hidden(struct pci_func *f)
{
	bool h;

	pthread_mutex_lock(&f->bus->lock);
	h = f->hidden;
	pthread_mutex_unlock(&f->bus->lock);
	return h;
}

void pci_bus_reset(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	for (unsigned i = 0; i < PCI_MAX_DEVFN; i++) {
		struct pci_func *f = bus->fn[i];

		if (!f)
			continue;
		memcpy(f->cfg, f->reset_cfg, sizeof(f->cfg));
		memcpy(f->wmask, f->reset_wmask, sizeof(f->wmask));
		f->hidden = false;
		pci_func_update_bars(f);
		if (f->ops && f->ops->reset)
			f->ops->reset(f->opaque, f);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* The function a configuration address selects, or NULL (also for a hidden one). Bus
 * lock held. */
static struct pci_func *pci_bus_select(struct pci_bus *bus, uint32_t confadd, unsigned off,
				       unsigned size)
{
	struct pci_func *f;

	if (!(confadd & PCI_CONFADD_ENABLE) || ((confadd >> 16) & 0xff) != 0)
		return NULL;
	if ((size != 1 && size != 2 && size != 4) || off > 3 || off + size > 4)
		return NULL;
	f = bus->fn[(confadd >> 8) & 0xff];
	return f && !f->hidden ? f : NULL;
}

uint32_t pci_bus_config_read(struct pci_bus *bus, uint32_t confadd, unsigned off, unsigned size)
{
	struct pci_func *f;
	uint32_t v = 0xffffffffu;

	pthread_mutex_lock(&bus->lock);
	f = pci_bus_select(bus, confadd, off, size);
	if (f)
		v = get_le(f->cfg + (confadd & 0xfc) + off, size);
	pthread_mutex_unlock(&bus->lock);
	return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void pci_bus_config_write(struct pci_bus *bus, uint32_t confadd, unsigned off, uint32_t val,
			  unsigned size)
{
	struct pci_func *f;
	unsigned reg = (confadd & 0xfc) + off;

	pthread_mutex_lock(&bus->lock);
	f = pci_bus_select(bus, confadd, off, size);
	if (f) {
		for (unsigned i = 0; i < size; i++) {
			uint8_t b = (uint8_t)(val >> (8 * i)), wm = f->wmask[reg + i];
			uint8_t v = (uint8_t)((f->cfg[reg + i] & ~wm) | (b & wm));

			f->cfg[reg + i] = v & (uint8_t)~(b & f->w1c[reg + i]);
		}
		if (f->ops && f->ops->config_written)
			f->ops->config_written(f->opaque, f, reg, size);
		if ((reg < PCI_BAR0 + 4 * PCI_NUM_BARS && reg + size > PCI_COMMAND) ||
		    (reg < PCI_ROM_ADDRESS + 4 && reg + size > PCI_ROM_ADDRESS))
			pci_func_update_bars(f);
	}
	pthread_mutex_unlock(&bus->lock);
}
