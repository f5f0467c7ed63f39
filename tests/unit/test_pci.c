/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0 with the i440FX/PIIX functions and a test function with BARs, driven
 * through the port bus the way a guest does it: dword address at 0xCF8, data at
 * 0xCFC-0xCFF, the reset register at 0xCF9 beside them, and the ACPI PM block that
 * PIIX4's PMBA places.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_pm.h"
#include "io.h"
#include "pc_ports.h"
#include "pci.h"
#include "piix.h"
#include "platform.h"
#include "testutil.h"

#define TEST_DEVFN	PCI_DEVFN(3, 0)
#define TEST_IO_SIZE	32
#define TEST_MEM_SIZE	0x100000ull	/* 1 MiB, 64-bit prefetchable, BAR 2-3 */

struct events {
	unsigned reset, poweroff, other;
};

struct bar_event {
	unsigned calls, bar;
	uint64_t addr, size;
};

static struct io_bus bus;
static struct events ev;
static struct pc_ports *pp;
static struct pci_bus *pci;
static struct acpi_pm *pm;
static struct piix *px;
static struct pci_func *tf;
static struct bar_event bev;
static uint64_t fake_ns;

static void record_event(void *ctx, enum machine_event e)
{
	struct events *x = ctx;

	if (e == MACHINE_RESET)
		x->reset++;
	else if (e == MACHINE_POWEROFF)
		x->poweroff++;
	else
		x->other++;
}

static uint64_t fake_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static void test_bar_map(void *opaque, struct pci_func *f, unsigned bar, uint64_t addr,
			 uint64_t size)
{
	ck_assert_ptr_eq(opaque, &bev);
	ck_assert_ptr_eq(f, tf);
	bev.calls++;
	bev.bar = bar;
	bev.addr = addr;
	bev.size = size;
}

static const struct pci_func_ops test_ops = { .bar_map = test_bar_map };

static void setup(void)
{
	struct machine_ctl ctl = { record_event, &ev };
	struct pci_func_id id = { .vendor = 0x1af4, .device = 0x1001, .revision = 0x05,
				  .class_code = 0x010000, .subsys_vendor = 0x1af4, .subsys = 2,
				  .irq_pin = 1 };

	memset(&ev, 0, sizeof(ev));
	memset(&bev, 0, sizeof(bev));
	fake_ns = 1000000000ull * 60;
	io_bus_init(&bus, "port");
	pp = pc_ports_new(ctl);
	pci = pci_bus_new();
	pm = acpi_pm_new((struct irq_line){ NULL, NULL, 9 }, ctl);
	ck_assert_ptr_nonnull(pp);
	ck_assert_ptr_nonnull(pci);
	ck_assert_ptr_nonnull(pm);
	acpi_pm_set_clock(pm, fake_clock, &fake_ns);
	ck_assert_int_eq(pc_ports_register(pp, &bus), 0);
	pc_ports_attach_pci(pp, pci);
	px = piix_new(pci, pm, &bus);
	ck_assert_ptr_nonnull(px);
	ck_assert_int_eq(pci_bus_add(pci, TEST_DEVFN, &id, &test_ops, &bev, &tf), 0);
	ck_assert_int_eq(pci_func_add_bar(tf, 0, PCI_BAR_IO, TEST_IO_SIZE, false), 0);
	ck_assert_int_eq(pci_func_add_bar(tf, 2, PCI_BAR_MEM64, TEST_MEM_SIZE, true), 0);
}

static void teardown(void)
{
	piix_free(px);
	pci_bus_free(pci);
	acpi_pm_free(pm);
	pc_ports_free(pp);
}

static uint64_t in(uint16_t port, unsigned size)
{
	uint64_t v = 0;

	io_bus_access(&bus, port, &v, size, false);
	return v;
}

static bool claimed(uint16_t port, unsigned size)
{
	uint64_t v = 0;

	return io_bus_access(&bus, port, &v, size, false);
}

static void out(uint16_t port, uint64_t v, unsigned size)
{
	io_bus_access(&bus, port, &v, size, true);
}

#define inb(p)		in(p, 1)
#define inw(p)		in(p, 2)
#define inl(p)		in(p, 4)
#define outb(v, p)	out(p, v, 1)
#define outw(v, p)	out(p, v, 2)
#define outl(v, p)	out(p, v, 4)

static uint32_t cfg_addr(unsigned devfn, unsigned reg)
{
	return 0x80000000u | devfn << 8 | (reg & 0xfc);
}

/* As Linux's pci_conf1_read/write and edk2's PciCf8Lib do it. */
static uint32_t cfg_read(unsigned devfn, unsigned reg, unsigned size)
{
	outl(cfg_addr(devfn, reg), 0xcf8);
	return (uint32_t)in((uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
	outl(cfg_addr(devfn, reg), 0xcf8);
	out((uint16_t)(0xcfc + (reg & 3)), v, size);
}

START_TEST(ids_dword_word_byte)
{
	/* OVMF's host bridge probe: PciRead16(00:00.0, 0x02). */
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x02, 2), I440FX_DEVICE);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x00, 4), 0x12378086u);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x00, 1), 0x86);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x01, 1), 0x80);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x03, 1), 0x12);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x08, 4), 0x06000002u);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x0e, 1), 0x00);

	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, 0x00, 4), 0x70008086u);
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, 0x0a, 2), 0x0601);
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, 0x0e, 1), 0x80);	/* multi-function */
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, 0x04, 2), 0x0007);

	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, 0x00, 4), 0x71138086u);
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, 0x08, 4), 0x06800003u);
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, 0x0e, 1), 0x00);
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, 0x3d, 1), 1);
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, PIIX4_PMBA, 4), 0x00000001u);

	/* The test function: a word read at the upper half of the data dword. */
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, 0x02, 2), 0x1001);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, 0x2c, 4), 0x00021af4u);
	/* Unaligned inside the dword: bytes 1-2 of the ID dword. */
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, 0x01, 2), 0x011a);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, 0x01, 1), 0x1a);

	/* PIRQ route registers at power-on, then as OVMF's BDS writes them. */
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, PIIX3_PIRQRC, 4), 0x80808080u);
	ck_assert_int_eq(piix_pirq_irq(px, 0), -1);
	cfg_write(PIIX_ISA_DEVFN, PIIX3_PIRQRC, 0x0b0b0a0a, 4);
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, PIIX3_PIRQRC, 4), 0x0b0b0a0au);
	ck_assert_int_eq(piix_pirq_irq(px, 0), 10);
	ck_assert_int_eq(piix_pirq_irq(px, 3), 11);
	ck_assert_int_eq(piix_pirq_irq(px, 4), -1);
	cfg_write(PIIX_ISA_DEVFN, PIIX3_PIRQRC + 1, 0xff, 1);	/* reserved bits 6:4 */
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, PIIX3_PIRQRC + 1, 1), 0x8f);
}
END_TEST

START_TEST(nonexistent_all_ones)
{
	ck_assert_uint_eq(cfg_read(PCI_DEVFN(2, 0), 0, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(PCI_DEVFN(2, 0), 2, 2), 0xffff);
	ck_assert_uint_eq(cfg_read(PCI_DEVFN(0, 1), 0, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(PCI_DEVFN(1, 1), 0, 4), 0xffffffffu);	/* no IDE */
	ck_assert_uint_eq(cfg_read(PCI_DEVFN(31, 7), 0, 1), 0xff);
	/* Another bus. */
	outl(0x80010000u, 0xcf8);
	ck_assert_uint_eq(inl(0xcfc), 0xffffffffu);
	/* Enable bit clear: the data port finds nothing, writes go nowhere. */
	outl(0x00000000u, 0xcf8);
	ck_assert_uint_eq(inl(0xcfc), 0xffffffffu);
	ck_assert_uint_eq(inw(0xcfe), 0xffff);
	outl(0x00000050u | PIIX_HOST_DEVFN << 8, 0xcf8);
	outb(0x33, 0xcfe);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x5a, 1), 0);
	/* Writes to a missing function do not land anywhere. */
	cfg_write(PCI_DEVFN(2, 0), 0x04, 0xffff, 2);
	ck_assert_uint_eq(cfg_read(PCI_DEVFN(2, 0), 0x04, 2), 0xffff);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x04, 2), 0);
	/* A function of a device needs function 0. */
	{
		struct pci_func_id id = { .vendor = 1, .device = 2 };

		ck_assert_int_eq(pci_bus_add(pci, PCI_DEVFN(5, 2), &id, NULL, NULL, NULL), -EINVAL);
		ck_assert_int_eq(pci_bus_add(pci, PIIX_PM_DEVFN, &id, NULL, NULL, NULL), -EEXIST);
		ck_assert_int_eq(pci_bus_add(pci, PCI_MAX_DEVFN, &id, NULL, NULL, NULL), -EINVAL);
		/* Adding function 1 to the single-function test device sets its bit. */
		ck_assert_uint_eq(cfg_read(TEST_DEVFN, 0x0e, 1), 0x00);
		ck_assert_int_eq(pci_bus_add(pci, TEST_DEVFN + 1, &id, NULL, NULL, NULL), 0);
		ck_assert_uint_eq(cfg_read(TEST_DEVFN, 0x0e, 1), 0x80);
		ck_assert_uint_eq(cfg_read(TEST_DEVFN + 1, 0x00, 4), 0x00020001u);
	}
}
END_TEST

START_TEST(read_only_and_w1c)
{
	/* IDs, class and header type do not change. */
	cfg_write(PIIX_HOST_DEVFN, 0x00, 0xdeadbeef, 4);
	cfg_write(PIIX_HOST_DEVFN, 0x08, 0xffffffff, 4);
	cfg_write(PIIX_ISA_DEVFN, 0x0c, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x00, 4), 0x12378086u);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x08, 4), 0x06000002u);
	/* Cache line size and latency timer are writable, header type and BIST not. */
	ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, 0x0c, 4), 0x0080ffffu);
	/* PMBA: bits 15:6 writable, bit 0 stays 1, the upper half stays 0. */
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMBA, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, PIIX4_PMBA, 4), 0x0000ffc1u);
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMBA, 0, 4);
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, PIIX4_PMBA, 4), 0x00000001u);
	/* Unimplemented registers and the ROM BAR read 0 and keep it. */
	cfg_write(PIIX_HOST_DEVFN, PCI_ROM_ADDRESS, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, PCI_ROM_ADDRESS, 4), 0);
	cfg_write(PIIX_HOST_DEVFN, 0xfc, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0xfc, 4), 0);
	/* PAM: PAM0 has bits 5:4, PAM1-6 bits 5:4 and 1:0. */
	cfg_write(PIIX_HOST_DEVFN, 0x58, 0xffffffff, 4);
	cfg_write(PIIX_HOST_DEVFN, 0x5c, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x58, 4), 0x33333000u);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x5c, 4), 0x33333333u);
	/* SMRAM: C_BASE_SEG fixed; D_LCK clears D_OPEN and freezes all but D_CLS. */
	cfg_write(PIIX_HOST_DEVFN, I440FX_SMRAM, 0x4f, 1);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, I440FX_SMRAM, 1), 0x4a);
	cfg_write(PIIX_HOST_DEVFN, I440FX_SMRAM, 0x5a, 1);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, I440FX_SMRAM, 1), 0x1a);
	cfg_write(PIIX_HOST_DEVFN, I440FX_SMRAM, 0x60, 1);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, I440FX_SMRAM, 1), 0x3a);

	/* Status: the error bits are W1C, the rest read-only. Set two error bits the way
	 * a model would, then clear one with a write of 1; 0s leave the other. */
	{
		uint32_t st;

		ck_assert_int_eq(pci_func_init_reg(tf, PCI_STATUS, 2,
						   PCI_STATUS_DEVSEL_MEDIUM | 0x2000 | 0x8000, 0,
						   PCI_STATUS_W1C), 0);
		st = cfg_read(TEST_DEVFN, PCI_STATUS, 2);
		ck_assert_uint_eq(st, 0xa200);
		cfg_write(TEST_DEVFN, PCI_STATUS, 0x2000 | 0x0200 | 0x0010, 2);
		ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_STATUS, 2), 0x8200);
		/* A dword write to command+status: command set, status bit cleared. */
		cfg_write(TEST_DEVFN, PCI_COMMAND, 0x80000000u | PCI_COMMAND_MASTER, 4);
		ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_COMMAND, 4), 0x02000004u);
		/* Reset brings the power-on value back. */
		pci_bus_reset(pci);
		ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_COMMAND, 4), 0xa2000000u);
		ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, I440FX_SMRAM, 1), 0x02);
		ck_assert_uint_eq(cfg_read(PIIX_ISA_DEVFN, PIIX3_PIRQRC, 4), 0x80808080u);
	}
	/* Masks that overlap are refused. */
	ck_assert_int_eq(pci_func_init_reg(tf, 0x40, 1, 0, 0x0f, 0x01), -EINVAL);
	ck_assert_int_eq(pci_func_init_reg(tf, 0xfe, 4, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(pci_func_init_reg(tf, 0x40, 3, 0, 0, 0), -EINVAL);
}
END_TEST

START_TEST(bar_sizing)
{
	uint32_t lo, hi, saved;

	/* I/O BAR 0: all ones reads back the size mask with the I/O bit. */
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0, 4), PCI_BAR_SPACE_IO);
	saved = cfg_read(TEST_DEVFN, PCI_BAR0, 4);
	cfg_write(TEST_DEVFN, PCI_BAR0, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0, 4), ~(uint32_t)(TEST_IO_SIZE - 1) | 1u);
	cfg_write(TEST_DEVFN, PCI_BAR0, saved, 4);
	/* BAR 1 is not implemented. */
	cfg_write(TEST_DEVFN, PCI_BAR0 + 4, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0 + 4, 4), 0);

	/* 64-bit BAR 2-3, as Linux's __pci_read_base sizes it. */
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0 + 8, 4),
			  PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
	cfg_write(TEST_DEVFN, PCI_BAR0 + 8, 0xffffffff, 4);
	cfg_write(TEST_DEVFN, PCI_BAR0 + 12, 0xffffffff, 4);
	lo = cfg_read(TEST_DEVFN, PCI_BAR0 + 8, 4);
	hi = cfg_read(TEST_DEVFN, PCI_BAR0 + 12, 4);
	ck_assert_uint_eq(lo, 0xfff0000cu);
	ck_assert_uint_eq(hi, 0xffffffffu);
	ck_assert_uint_eq(~(((uint64_t)hi << 32 | (lo & ~15u))) + 1, TEST_MEM_SIZE);
	/* Word and byte writes land in the right bytes; the type bits stay. */
	cfg_write(TEST_DEVFN, PCI_BAR0 + 8, 0, 2);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0 + 8, 4), 0xfff0000cu);
	cfg_write(TEST_DEVFN, PCI_BAR0 + 10, 0x0, 1);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0 + 8, 4), 0xff00000cu);
	/* The decoding state never saw a window: decode is off. */
	ck_assert_uint_eq(bev.calls, 0);

	/* Bad BAR declarations. */
	ck_assert_int_eq(pci_func_add_bar(tf, 2, PCI_BAR_IO, 16, false), -EEXIST);
	ck_assert_int_eq(pci_func_add_bar(tf, 3, PCI_BAR_IO, 16, false), -EEXIST);
	ck_assert_int_eq(pci_func_add_bar(tf, 1, PCI_BAR_IO, 24, false), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(tf, 1, PCI_BAR_IO, 512, false), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(tf, 1, PCI_BAR_MEM32, 8, false), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(tf, 5, PCI_BAR_MEM64, 4096, false), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(tf, 6, PCI_BAR_MEM32, 4096, false), -EINVAL);
	ck_assert_int_eq(pci_func_add_bar(tf, 0, PCI_BAR_MEM32, 4096, false), -EEXIST);
	ck_assert_int_eq(pci_func_add_bar(tf, 4, PCI_BAR_MEM32, 4096, false), 0);
}
END_TEST

START_TEST(bar_map_callback)
{
	/* Address first, then I/O enable: the window appears. */
	cfg_write(TEST_DEVFN, PCI_BAR0, 0xc01e, 4);	/* bits below the size ignored */
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0, 4), 0xc001);
	ck_assert_uint_eq(bev.calls, 0);
	cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
	ck_assert_uint_eq(bev.calls, 1);
	ck_assert_uint_eq(bev.bar, 0);
	ck_assert_uint_eq(bev.addr, 0xc000);
	ck_assert_uint_eq(bev.size, TEST_IO_SIZE);
	/* Same value again: no call. */
	cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
	ck_assert_uint_eq(bev.calls, 1);
	/* Moving it. */
	cfg_write(TEST_DEVFN, PCI_BAR0, 0xc100, 4);
	ck_assert_uint_eq(bev.calls, 2);
	ck_assert_uint_eq(bev.addr, 0xc100);
	/* Sizing with decode on: the all-ones value is no window. */
	cfg_write(TEST_DEVFN, PCI_BAR0, 0xffffffff, 4);
	ck_assert_uint_eq(bev.calls, 3);
	ck_assert_uint_eq(bev.addr, PCI_BAR_UNMAPPED);
	cfg_write(TEST_DEVFN, PCI_BAR0, 0xc100, 4);
	ck_assert_uint_eq(bev.calls, 4);
	ck_assert_uint_eq(bev.addr, 0xc100);
	/* A window past port 0xffff is none. */
	cfg_write(TEST_DEVFN, PCI_BAR0, 0x10000, 4);
	ck_assert_uint_eq(bev.addr, PCI_BAR_UNMAPPED);
	cfg_write(TEST_DEVFN, PCI_BAR0, 0xffe0, 4);
	ck_assert_uint_eq(bev.addr, 0xffe0);

	/* 64-bit memory BAR: above 4G, enabled by the memory bit. */
	cfg_write(TEST_DEVFN, PCI_BAR0 + 8, 0x00100000, 4);
	cfg_write(TEST_DEVFN, PCI_BAR0 + 12, 0x8, 4);
	ck_assert_uint_eq(bev.bar, 0);
	cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
	ck_assert_uint_eq(bev.bar, 2);
	ck_assert_uint_eq(bev.addr, 0x800100000ull);
	ck_assert_uint_eq(bev.size, TEST_MEM_SIZE);
	/* Memory off, I/O off: both unmapped. */
	bev.calls = 0;
	cfg_write(TEST_DEVFN, PCI_COMMAND, 0, 2);
	ck_assert_uint_eq(bev.calls, 2);
	ck_assert_uint_eq(bev.addr, PCI_BAR_UNMAPPED);
	/* Bus reset with a BAR mapped tells the model it is gone. */
	cfg_write(TEST_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	ck_assert_uint_eq(bev.addr, 0x800100000ull);
	pci_bus_reset(pci);
	ck_assert_uint_eq(bev.addr, PCI_BAR_UNMAPPED);
	ck_assert_uint_eq(cfg_read(TEST_DEVFN, PCI_BAR0 + 8, 4), 0x0c);
}
END_TEST

/* Linux's pci_check_type1(), then 0xCF9 and 0xCF8 side by side. */
START_TEST(reset_register_beside_config)
{
	uint32_t tmp;

	outb(0x01, 0xcfb);		/* a byte at 0xCFB is not the address */
	tmp = (uint32_t)inl(0xcf8);
	ck_assert_uint_eq(tmp, 0);
	outl(0x80000000u, 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x80000000u);
	outl(tmp, 0xcf8);

	/* Dword at 0xCF8: the address; no reset. */
	outl(cfg_addr(PIIX_ISA_DEVFN, 0x08), 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x80000808u);
	ck_assert_uint_eq(inb(0xcf9), 0);
	ck_assert_uint_eq(inw(0xcfe), 0x0601);
	/* Reserved and low bits of the address read 0. */
	outl(0xffffffffu, 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x80fffffcu);
	/* Byte and word accesses to 0xCF8/0xCFA touch nothing. */
	outb(0x00, 0xcf8);
	outw(0x0000, 0xcfa);
	ck_assert_uint_eq(inl(0xcf8), 0x80fffffcu);
	ck_assert_uint_eq(inb(0xcf8), 0xff);
	ck_assert_uint_eq(inw(0xcfa), 0xffff);
	ck_assert_uint_eq(ev.reset, 0);

	/* OVMF's ResetCold: a byte 0x06 at 0xCF9. */
	outb(0x06, 0xcf9);
	ck_assert_uint_eq(ev.reset, 1);
	ck_assert_uint_eq(inb(0xcf9), 0x06);
	ck_assert_uint_eq(inl(0xcf8), 0x80fffffcu);	/* the address is untouched */
	/* Config still works after it. */
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x00, 4), 0x12378086u);
	outb(0x00, 0xcf9);
	outb(0x06, 0xcf9);
	ck_assert_uint_eq(ev.reset, 2);
	/* An access straddling address and data, and size 8, do nothing. */
	outl(cfg_addr(PIIX_HOST_DEVFN, 0), 0xcf8);
	ck_assert_uint_eq(in(0xcfb, 2), 0xffff);
	ck_assert_uint_eq(in(0xcf8, 8), ~0ull);
	out(0xcf8, ~0ull, 8);
	out(0xcfb, 0xffff, 2);
	ck_assert_uint_eq(inl(0xcf8), cfg_addr(PIIX_HOST_DEVFN, 0));
	ck_assert_uint_eq(ev.reset, 2);
	ck_assert_uint_eq(ev.poweroff + ev.other, 0);
}
END_TEST

START_TEST(pm_base_moves_timer)
{
	uint32_t t0, t1;

	/* Power-on: PMIOSE clear, the block is nowhere (and not at 0x600). */
	ck_assert(!claimed(0xb008, 4));
	ck_assert(!claimed(0x0608, 4));
	/* OVMF's PlatformPei: PMBA = 0xB000, command I/O, PMREGMISC.PMIOSE. */
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMBA, 0xb000, 4);
	ck_assert(!claimed(0xb008, 4));
	cfg_write(PIIX_PM_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 1);
	ck_assert(claimed(0xb008, 4));
	ck_assert(claimed(0xb03f, 1));
	ck_assert(!claimed(0xb040, 1));
	/* The timer at PMBA + 8 advances (3.579545 MHz; 24 bits). */
	t0 = (uint32_t)inl(0xb008);
	fake_ns += 1000000;	/* 1 ms */
	t1 = (uint32_t)inl(0xb008);
	ck_assert_uint_eq((t1 - t0) & 0xffffff, 3579);
	/* 5 s later: 17,901,304 ticks since the start, seen through 24 bits. */
	fake_ns += 5000000000ull;
	ck_assert_uint_eq(inl(0xb008), 17901304u & 0xffffff);
	/* Past the registers the block reads 0. */
	ck_assert_uint_eq(inl(0xb020), 0);

	/* A new PMBA moves it: the old port no longer answers. */
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMBA + 1, 0xc1, 1);	/* byte write: 0xC100 */
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, PIIX4_PMBA, 4), 0xc101);
	ck_assert(!claimed(0xb008, 4));
	ck_assert(claimed(0xc108, 4));
	t0 = (uint32_t)inl(0xc108);
	fake_ns += 2000000;
	ck_assert_uint_eq(((uint32_t)inl(0xc108) - t0) & 0xffffff, 7159);

	/* PMIOSE clear: gone. */
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMREGMISC, 0, 1);
	ck_assert(!claimed(0xc108, 4));
	ck_assert_uint_eq(inl(0xc108), 0xffffffffu);
	/* Enabled again, then a bus reset unmaps it, as at power-on. */
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 1);
	ck_assert(claimed(0xc108, 4));
	pci_bus_reset(pci);
	ck_assert(!claimed(0xc108, 4));
	ck_assert_uint_eq(cfg_read(PIIX_PM_DEVFN, PIIX4_PMBA, 4), 1);

	/* A fixed range always wins: a PM block placed over 0xCF8-0xCFF does not take
	 * configuration space away; its other ports answer. */
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMBA, 0x0cc0, 4);
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 1);
	ck_assert_uint_eq(cfg_read(PIIX_HOST_DEVFN, 0x00, 4), 0x12378086u);
	ck_assert(claimed(0x0cc8, 4));
	ck_assert_uint_eq(ev.poweroff + ev.reset + ev.other, 0);
}
END_TEST

START_TEST(pm_poweroff_at_base)
{
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMBA, 0xb000, 4);
	cfg_write(PIIX_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 1);
	/* BDS sets SCI_EN; it reads back. */
	outw(ACPI_PM1_SCI_EN, 0xb004);
	ck_assert_uint_eq(inw(0xb004) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
	/* The direct-boot machine's S5 type is no power-off here. */
	test_stderr_begin();
	outw(ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN, 0xb004);
	free(test_stderr_end());
	ck_assert_uint_eq(ev.poweroff, 0);
	/* OVMF's ResetShutdown on i440FX: SLP_TYP = 0, then SLP_EN, at PMBA + 4. */
	outw(inw(0xb004) & ~ACPI_PM1_SLP_TYP_MASK, 0xb004);
	ck_assert_uint_eq(ev.poweroff, 0);
	outw(inw(0xb004) | ACPI_PM1_SLP_EN, 0xb004);
	ck_assert_uint_eq(ev.poweroff, 1);
	ck_assert_uint_eq(ev.reset + ev.other, 0);
}
END_TEST

/* The relocation API on its own, and the default placement untouched by it. */
START_TEST(acpi_pm_relocation_api)
{
	struct acpi_pm *p2 = acpi_pm_new((struct irq_line){ NULL, NULL, 9 },
					 (struct machine_ctl){ record_event, &ev });
	struct io_bus b;
	uint16_t v = 0;

	ck_assert_ptr_nonnull(p2);
	io_bus_init(&b, "port");
	ck_assert_int_eq(acpi_pm_set_base(p2, 0x600), -ENODEV);
	acpi_pm_disable(p2);	/* harmless */
	ck_assert_int_eq(acpi_pm_attach_movable(p2, &b, 8), -EINVAL);
	ck_assert_int_eq(acpi_pm_attach_movable(p2, &b, 64), 0);
	ck_assert_int_eq(acpi_pm_attach_movable(p2, &b, 64), -EBUSY);
	ck_assert_int_eq(acpi_pm_set_base(p2, 0xffc1), -EINVAL);
	ck_assert_int_eq(acpi_pm_set_base(p2, 0xffc0), 0);
	ck_assert(io_bus_access(&b, 0xffc4, &v, 2, false));
	ck_assert_uint_eq(v, ACPI_PM1_SCI_EN);
	ck_assert_int_eq(acpi_pm_set_timer_bits(p2, 16), -EINVAL);
	/* Default S5 type is the one the direct-boot DSDT names. */
	v = ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN;
	ck_assert(io_bus_access(&b, 0xffc4, &v, 2, true));
	ck_assert_uint_eq(ev.poweroff, 1);
	acpi_pm_disable(p2);
	ck_assert(!io_bus_access(&b, 0xffc4, &v, 2, false));
	acpi_pm_free(p2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("pci");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ids_dword_word_byte);
	tcase_add_test(tc, nonexistent_all_ones);
	tcase_add_test(tc, read_only_and_w1c);
	tcase_add_test(tc, bar_sizing);
	tcase_add_test(tc, bar_map_callback);
	tcase_add_test(tc, reset_register_beside_config);
	tcase_add_test(tc, pm_base_moves_timer);
	tcase_add_test(tc, pm_poweroff_at_base);
	tcase_add_test(tc, acpi_pm_relocation_api);
	suite_add_tcase(s, tc);
	return test_main(s);
}
