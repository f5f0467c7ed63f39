/* SPDX-License-Identifier: MIT */
/*
 * A PCI function with an expansion ROM and nothing else.
 */
#include "option_rom.h"
#include "byteorder.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct option_rom {
	struct pci_func *fn;
	struct io_bus *mmio;
	int range;		/* the ROM window's movable range */
	struct gmem_devmem *mem;	/* bar_size bytes: the image, then zeroes; read-only */
	const uint8_t *data;	/* its host view */
	uint64_t bar_size;
	struct log_ratelimit map_rl;
};

int option_rom_parse(const uint8_t *rom, size_t len, struct option_rom_info *info, char *err,
		     size_t errlen)
{
	size_t at = 0;

	memset(info, 0, sizeof(*info));
	if (len > OPTION_ROM_MAX_SIZE) {
		snprintf(err, errlen, "larger than %llu MiB", OPTION_ROM_MAX_SIZE >> 20);
		return -EINVAL;
	}
	/* Image after image, each at a 512-byte boundary; the firmware stops at the first
	 * boundary without a signature (a missing one at 0 means no ROM at all). */
	while (at + OPROM_BLOCK <= len && get_le16(rom + at) == OPROM_SIGNATURE) {
		const uint8_t *img = rom + at;
		size_t pcir = get_le16(img + OPROM_PCIR_PTR), ilen;

		if (pcir == 0 || pcir % 4 || pcir + PCIR_MIN_LEN > len - at) {
			snprintf(err, errlen, "image %u at 0x%zx: PCI data structure offset 0x%zx is "
				 "0, not dword aligned or outside the file", info->nimages, at, pcir);
			return -EINVAL;
		}
		if (get_le32(img + pcir) != PCIR_SIGNATURE) {
			snprintf(err, errlen, "image %u at 0x%zx: no \"PCIR\" at 0x%zx", info->nimages,
				 at, at + pcir);
			return -EINVAL;
		}
		ilen = (size_t)get_le16(img + pcir + PCIR_IMAGE_LENGTH) * OPROM_BLOCK;
		if (ilen == 0 || ilen > len - at) {
			snprintf(err, errlen, "image %u at 0x%zx: length %zu bytes (0, or past the "
				 "end of the file)", info->nimages, at, ilen);
			return -EINVAL;
		}
		if (img[pcir + PCIR_CODE_TYPE] == PCIR_CODE_EFI)
			info->nefi++;
		info->nimages++;
		at += ilen;
		if (img[pcir + PCIR_INDICATOR] & PCIR_LAST_IMAGE)
			break;
	}
	if (info->nimages == 0) {
		snprintf(err, errlen, "not a PCI expansion ROM (no 55 AA signature, or shorter "
			 "than %u bytes)", OPROM_BLOCK);
		return -EINVAL;
	}
	info->used = at;
	return 0;
}

uint64_t option_rom_bar_size(size_t len)
{
	uint64_t size = OPTION_ROM_MIN_BAR;

	if (len > OPTION_ROM_MAX_SIZE)
		return 0;
	while (size < len)
		size <<= 1;
	return size;
}

static uint64_t rom_read(void *dev, uint64_t off, unsigned size)
{
	const struct option_rom *r = dev;
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		if (off + i < r->bar_size)
			v |= (uint64_t)r->data[off + i] << (8 * i);
	return v;
}

static void rom_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	(void)dev, (void)off, (void)val, (void)size;	/* read-only memory */
}

static const struct io_ops rom_ops = { .read = rom_read, .write = rom_write };

static void rom_config_written(void *opaque, struct pci_func *f, unsigned off, unsigned len)
{
	(void)opaque;
	if (off >= OPTION_ROM_HIDE_REG + 4 || off + len <= OPTION_ROM_HIDE_REG)
		return;
	if (off == OPTION_ROM_HIDE_REG && len == 4 &&
	    pci_func_cfg(f, OPTION_ROM_HIDE_REG, 4) == OPTION_ROM_HIDE_MAGIC) {
		/* Once per reset at most: a hidden function takes no more writes. */
		log_info("option ROM function: hidden by the guest until the next reset");
		pci_func_hide(f);
	}
	pci_func_cfg_set(f, OPTION_ROM_HIDE_REG, 4, 0);
}

/* Called under the PCI bus's lock, on the vCPU thread whose configuration write changed
 * the decode: the window is in place before the guest's next access. */
static void rom_bar_map(void *opaque, struct pci_func *f, unsigned bar, uint64_t addr,
			uint64_t size)
{
	struct option_rom *r = opaque;
	int e;

	(void)f;
	if (bar != PCI_ROM_BAR)
		return;
	if (addr == PCI_BAR_UNMAPPED) {
		gmem_devmem_unmap(r->mem);
		io_bus_move(r->mmio, r->range, 0, 0);
		return;
	}
	/* The MMIO range always follows the window: it takes the writes (dropped), and
	 * the reads where the memory cannot go. */
	io_bus_move(r->mmio, r->range, addr, size);
	e = gmem_devmem_map(r->mem, addr);
	if (e < 0) {
		/* Over RAM or other device memory: the guest's own mistake, served slowly. */
		gmem_devmem_unmap(r->mem);
		log_warn_limited(&r->map_rl, "option ROM at 0x%llx: not mapped as memory (%s); "
				 "its reads exit", (unsigned long long)addr,
				 e == -EEXIST ? "it overlaps RAM or other device memory" : strerror(-e));
	}
}

static const struct pci_func_ops rom_func_ops = {
	.config_written = rom_config_written,
	.bar_map = rom_bar_map,
};

struct option_rom *option_rom_new(struct pci_bus *pci, struct io_bus *mmio, struct gmem *mem,
				  unsigned devfn, const uint8_t *rom, size_t len, char *err,
				  size_t errlen)
{
	const struct pci_func_id id = {
		.vendor = OPTION_ROM_VENDOR, .device = OPTION_ROM_DEVICE,
		.class_code = OPTION_ROM_CLASS,
		.subsys_vendor = OPTION_ROM_VENDOR, .subsys = OPTION_ROM_DEVICE,
	};
	struct option_rom_info info;
	struct option_rom *r;
	int e;

	if (option_rom_parse(rom, len, &info, err, errlen) < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->mmio = mmio;
	r->range = -1;
	r->bar_size = option_rom_bar_size(len);
	e = gmem_devmem_new(mem, r->bar_size, &r->mem);
	if (e == 0)
		e = gmem_devmem_set_readonly(r->mem, true);
	if (e < 0) {
		snprintf(err, errlen, "cannot allocate %llu bytes of device memory for it: %s",
			 (unsigned long long)r->bar_size, strerror(-e));
		goto fail;
	}
	/* Fresh device memory reads as zeroes past the image. */
	memcpy(gmem_devmem_host(r->mem), rom, len);
	r->data = gmem_devmem_host(r->mem);
	r->range = io_bus_add_movable(mmio, &rom_ops, r, "option ROM");
	if (r->range < 0) {
		snprintf(err, errlen, "no room for its MMIO window");
		goto fail;
	}
	e = pci_bus_add(pci, devfn, &id, &rom_func_ops, r, &r->fn);
	if (e == 0)
		e = pci_func_add_rom(r->fn, r->bar_size);
	if (e == 0)
		e = pci_func_init_reg(r->fn, OPTION_ROM_HIDE_REG, 4, 0, 0xffffffffu, 0);
	if (e < 0) {
		snprintf(err, errlen, "cannot add PCI function %02x.%x: %s", devfn >> 3, devfn & 7,
			 strerror(-e));
		goto fail;
	}
	/* Only memory decode: no BARs in I/O space, no DMA, no interrupt. */
	pci_func_init_reg(r->fn, PCI_COMMAND, 2, 0, PCI_COMMAND_MEMORY, 0);
	return r;
fail:
	gmem_devmem_free(r->mem);
	free(r);
	return NULL;
}

void option_rom_free(struct option_rom *r)
{
	if (!r)
		return;
	if (r->range >= 0)
		io_bus_move(r->mmio, r->range, 0, 0);
	gmem_devmem_free(r->mem);
	free(r);
}
