/* SPDX-License-Identifier: MIT */
/*
 * A PCI function whose only resource is an expansion ROM (PCI 3.0, 6.3): the way a
 * firmware driver reaches the guest's UEFI firmware, which loads the EFI images it finds
 * in every device's ROM while it enumerates the bus (edk2's PciBusDxe).
 *
 * The function has no BARs and no interrupt: class 08 80 00 (other system peripheral),
 * IDs OPTION_ROM_VENDOR:OPTION_ROM_DEVICE. Its ROM BAR (0x30) decodes the smallest
 * power of two of at least OPTION_ROM_MIN_BAR bytes that holds the image (the rest
 * reads as zeroes), while the BAR's enable bit and the command register's memory
 * enable are both set. While it decodes, the window is read-only device memory
 * (gmem_devmem_set_readonly(): the guest reads it without exits, as the firmware's
 * byte-wide copy of the image does) over an MMIO range of the same place that takes the
 * writes (dropped). Where the memory cannot go (the guest placed the window over RAM
 * or other device memory) the MMIO range serves the reads too, one exit each.
 *
 * The image is checked as the firmware walks it (option_rom_parse): each image starts
 * with 55 AA, has a PCI data structure ("PCIR") at a non-zero, dword-aligned offset
 * inside the file, and a length that fits; the walk ends at the image marked last, at
 * the first image boundary without 55 AA, or at the end of the file (the firmware
 * would skip such a block and look 512 bytes further: this check is the stricter).
 *
 * Hide register: a 4-byte write of OPTION_ROM_HIDE_MAGIC to OPTION_ROM_HIDE_REG takes
 * the function off the bus until the next reset (its configuration reads return all
 * ones, its ROM stops decoding), so that the OS the firmware starts never sees a
 * device it has no driver for. The driver in the ROM writes it when the firmware's
 * boot services end. Other writes there are ignored; the register reads as 0.
 *
 * Configuration accesses come from vCPU threads under the PCI bus's lock, and map and
 * unmap the memory there (device memory has a lock of its own); the ROM's contents
 * never change after option_rom_new(), so its MMIO reads need no lock.
 */
#ifndef HVKVM_OPTION_ROM_H
#define HVKVM_OPTION_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "memory.h"
#include "pci.h"

#define OPTION_ROM_VENDOR	0x1414
#define OPTION_ROM_DEVICE	0xb007
#define OPTION_ROM_CLASS	0x088000	/* base 08, sub 80, prog-if 00 */
#define OPTION_ROM_HIDE_REG	0x40
#define OPTION_ROM_HIDE_MAGIC	0x45444948u	/* "HIDE" */
/* The firmware ignores a ROM BAR of 2 KiB (its size mask reads 0xFFFFF800). */
#define OPTION_ROM_MIN_BAR	0x1000ull
#define OPTION_ROM_MAX_SIZE	PCI_ROM_MAX_SIZE

/* Image header (PCI firmware 3.0, 5.1) and PCI data structure offsets. */
#define OPROM_SIGNATURE		0xaa55
#define OPROM_PCIR_PTR		0x18
#define OPROM_BLOCK		512
#define PCIR_SIGNATURE		0x52494350u	/* "PCIR" */
#define PCIR_VENDOR		0x04
#define PCIR_DEVICE		0x06
#define PCIR_LENGTH		0x0a
#define PCIR_REVISION		0x0c
#define PCIR_CLASS		0x0d
#define PCIR_IMAGE_LENGTH	0x10	/* in 512-byte units */
#define PCIR_CODE_TYPE		0x14
#define PCIR_INDICATOR		0x15
#define PCIR_MIN_LEN		0x18
#define PCIR_LAST_IMAGE		0x80
#define PCIR_CODE_EFI		0x03

/* EFI image header (UEFI 2.10, 14.4.2) fields after the signature. */
#define EFIROM_INIT_SIZE	0x02	/* in 512-byte units */
#define EFIROM_SIGNATURE	0x04	/* 0x0EF1 */
#define EFIROM_SUBSYSTEM	0x08
#define EFIROM_MACHINE		0x0a
#define EFIROM_COMPRESSION	0x0c
#define EFIROM_PE_OFFSET	0x16
#define EFIROM_EFI_SIGNATURE	0x0ef1

struct option_rom_info {
	unsigned nimages;
	unsigned nefi;		/* images with code type 3 */
	size_t used;		/* bytes the images span */
};

/* Walk rom[0, len) as the firmware does. 0, or -EINVAL with the reason in err. */
int option_rom_parse(const uint8_t *rom, size_t len, struct option_rom_info *info, char *err,
		     size_t errlen);

/* The ROM BAR's size for an image of len bytes (0: too large). */
uint64_t option_rom_bar_size(size_t len);

struct option_rom;

/*
 * The function at devfn of pci with the image rom[0, len) (copied into device memory of
 * mem), its ROM window that memory and a movable range of mmio. Set up time. NULL with
 * the reason in err (a bad image, no room on the bus or for device memory, out of
 * memory).
 */
struct option_rom *option_rom_new(struct pci_bus *pci, struct io_bus *mmio, struct gmem *mem,
				  unsigned devfn, const uint8_t *rom, size_t len, char *err,
				  size_t errlen);
void option_rom_free(struct option_rom *r);

#endif
