/* SPDX-License-Identifier: MIT */
/*
 * Port accesses of any size at any port near PCI configuration mechanism #1, the
 * reset register, the PIIX4 PM block and anywhere else, on the firmware machine's
 * set-up (pc_ports with a PCI bus, the i440FX/PIIX functions, a test function with an
 * I/O and a 64-bit memory BAR), with bus resets in between. After every access:
 * read-only IDs and type bits are what the models set, the PM block is mapped exactly
 * where PMBA/PMREGMISC say, and the BAR window the model was told is the one an
 * independent decode of the registers gives.
 *
 * Input: 9 bytes per access: op (bit 0 write; op % 16 == 15 bus reset, == 14 ports
 * reset), where (0: 0xCF8 + port % 8, 1: 0xB000 + port % 128, else port), port (2
 * bytes), size selector, value (4 bytes).
 */
#include "fuzz.h"
#include "acpi_pm.h"
#include "io.h"
#include "pc_ports.h"
#include "pci.h"
#include "piix.h"
#include "platform.h"

#define TEST_DEVFN	PCI_DEVFN(3, 0)
#define TEST_IO_SIZE	32
#define TEST_MEM_SIZE	0x1000ull

struct mirror {
	uint64_t addr[PCI_NUM_BARS];
};

static void count_event(void *ctx, enum machine_event ev)
{
	(void)ctx, (void)ev;
}

static uint64_t fixed_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static void bar_map(void *opaque, struct pci_func *f, unsigned bar, uint64_t addr, uint64_t size)
{
	struct mirror *m = opaque;

	(void)f;
	FZ_CHECK(bar == 0 || bar == 2, "bar %u", bar);
	FZ_CHECK(size == (bar == 0 ? TEST_IO_SIZE : TEST_MEM_SIZE), "size %llu", (unsigned long long)size);
	FZ_CHECK(addr != m->addr[bar], "bar_map without a change");
	m->addr[bar] = addr;
}

static const struct pci_func_ops test_ops = { .bar_map = bar_map };

static uint32_t cfg(struct pci_bus *pci, unsigned devfn, unsigned reg, unsigned size)
{
	return pci_bus_config_read(pci, 0x80000000u | devfn << 8 | (reg & 0xfc), reg & 3, size);
}

static void check(struct pci_bus *pci, struct io_bus *bus, const struct mirror *m)
{
	uint32_t cmd = cfg(pci, TEST_DEVFN, PCI_COMMAND, 2), pmba = cfg(pci, PIIX_PM_DEVFN, PIIX4_PMBA, 4);
	uint64_t io = cfg(pci, TEST_DEVFN, PCI_BAR0, 4), mem;
	bool pm_on = cfg(pci, PIIX_PM_DEVFN, PIIX4_PMREGMISC, 1) & PIIX4_PMIOSE;

	FZ_CHECK(cfg(pci, PIIX_HOST_DEVFN, 0, 4) == 0x12378086u, "host bridge id");
	FZ_CHECK(cfg(pci, PIIX_ISA_DEVFN, 0, 4) == 0x70008086u, "isa id");
	FZ_CHECK(cfg(pci, PIIX_ISA_DEVFN, 0x0e, 1) == 0x80, "multi-function bit");
	FZ_CHECK(cfg(pci, PIIX_PM_DEVFN, 0x08, 4) == 0x06800003u, "pm class");
	FZ_CHECK((pmba & ~PIIX4_PMBA_MASK) == 1, "PMBA 0x%x", pmba);
	FZ_CHECK(cfg(pci, PCI_DEVFN(2, 0), 0, 4) == 0xffffffffu, "missing function");
	FZ_CHECK((io & 0x1f) == 1, "I/O BAR type 0x%llx", (unsigned long long)io);
	FZ_CHECK((cfg(pci, TEST_DEVFN, PCI_BAR0 + 8, 4) & 0xfff) == 0x4, "64-bit BAR type");

	/* The PM block is the bus's first movable range. */
	FZ_CHECK(bus->nmov == 1, "movable ranges %u", bus->nmov);
	FZ_CHECK(bus->mov[0].len == (pm_on ? PIIX4_PM_IO_LEN : 0), "PM block length");
	FZ_CHECK(!pm_on || bus->mov[0].base == (pmba & PIIX4_PMBA_MASK), "PM block at 0x%llx, PMBA 0x%x",
		 (unsigned long long)bus->mov[0].base, pmba);

	io &= ~3ull;
	io = (cmd & PCI_COMMAND_IO) && io && io + TEST_IO_SIZE - 1 <= 0xffff ? io : PCI_BAR_UNMAPPED;
	FZ_CHECK(m->addr[0] == io, "I/O BAR mapped at 0x%llx, decodes 0x%llx",
		 (unsigned long long)m->addr[0], (unsigned long long)io);
	mem = (cfg(pci, TEST_DEVFN, PCI_BAR0 + 8, 4) & ~15ull) |
	      (uint64_t)cfg(pci, TEST_DEVFN, PCI_BAR0 + 12, 4) << 32;
	mem = (cmd & PCI_COMMAND_MEMORY) && mem && mem + TEST_MEM_SIZE - 1 > mem &&
	      mem + TEST_MEM_SIZE - 1 <= ~1ull ? mem : PCI_BAR_UNMAPPED;
	FZ_CHECK(m->addr[2] == mem, "memory BAR mapped at 0x%llx, decodes 0x%llx",
		 (unsigned long long)m->addr[2], (unsigned long long)mem);
}

/* Most accesses near the interesting ports; the rest anywhere. */
static uint16_t pick_port(uint8_t where, uint16_t port)
{
	switch (where % 3) {
	case 0:
		return (uint16_t)(0xcf8 + (port & 7));
	case 1:
		return (uint16_t)(0xb000 + (port & 0x7f));
	default:
		return port;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 4, 4, 1, 2 };
	struct fz in = { data, size };
	struct machine_ctl ctl = { count_event, NULL };
	struct pci_func_id id = { .vendor = 0x1af4, .device = 0x1001, .class_code = 0x010000 };
	struct mirror m;
	struct io_bus bus;
	struct pc_ports *pp;
	struct pci_bus *pci;
	struct acpi_pm *pm;
	struct piix *px;
	struct pci_func *tf;
	uint64_t now = 0;

	fuzz_quiet_logs();
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		m.addr[i] = PCI_BAR_UNMAPPED;
	io_bus_init(&bus, "port");
	pp = pc_ports_new(ctl);
	pci = pci_bus_new();
	pm = acpi_pm_new((struct irq_line){ NULL, NULL, 9 }, ctl);
	FZ_CHECK(pp && pci && pm, "out of memory");
	acpi_pm_set_clock(pm, fixed_clock, &now);
	FZ_CHECK(pc_ports_register(pp, &bus) == 0, "ports");
	pc_ports_attach_pci(pp, pci);
	px = piix_new(pci, pm, &bus);
	FZ_CHECK(px, "piix");
	FZ_CHECK(pci_bus_add(pci, TEST_DEVFN, &id, &test_ops, &m, &tf) == 0, "test function");
	FZ_CHECK(pci_func_add_bar(tf, 0, PCI_BAR_IO, TEST_IO_SIZE, false) == 0, "bar 0");
	FZ_CHECK(pci_func_add_bar(tf, 2, PCI_BAR_MEM64, TEST_MEM_SIZE, false) == 0, "bar 2");

	while (in.n) {
		uint8_t op = fz_u8(&in), where = fz_u8(&in);
		uint16_t port = pick_port(where, fz_u16(&in));
		unsigned sz = sizes[fz_u8(&in) & 7];
		uint64_t v = fz_u32(&in);

		now += 1000;
		if (op % 16 == 15)
			pci_bus_reset(pci);
		else if (op % 16 == 14)
			pc_ports_reset(pp);
		else if (sz == 8 && (op & 2))
			v |= v << 32;
		io_bus_access(&bus, port, &v, sz, op & 1);
		check(pci, &bus, &m);
	}

	piix_free(px);
	pci_bus_free(pci);
	acpi_pm_free(pm);
	pc_ports_free(pp);
	return 0;
}
