/* SPDX-License-Identifier: MIT */
/*
 * Port accesses of any size at any port near PCI configuration mechanism #1, the
 * reset register, the PIIX4 PM block and anywhere else, on the firmware machine's
 * set-up (pc_ports with a PCI bus, the i440FX/PIIX functions, a test function with an
 * I/O and a 64-bit memory BAR, and an option ROM function), with bus resets in
 * between. After every access: read-only IDs and type bits are what the models set,
 * the PM block is mapped exactly where PMBA/PMREGMISC say, the BAR window the model was
 * told is the one an independent decode of the registers gives, and the option ROM's
 * MMIO window is where its ROM BAR, enable bit and memory decode say (nowhere once it
 * hid itself); reads there return the image; its read-only memory is mapped there too,
 * unless the window overlaps the guest's RAM (a small region the window can reach),
 * and nowhere else.
 *
 * Input: 9 bytes per access: op (bit 0 write; op % 16 == 15 bus reset, == 14 ports
 * reset), where (0: 0xCF8 + port % 8, 1: 0xB000 + port % 128, 3: MMIO at the ROM's
 * window, or where it was last, + port % 0x3000, else port), port (2 bytes), size
 * selector, value (4 bytes).
 */
#include "fuzz.h"
#include "acpi_pm.h"
#include "io.h"
#include "memory.h"
#include "option_rom.h"
#include "pc_ports.h"
#include "pci.h"
#include "piix.h"
#include "platform.h"

#define TEST_DEVFN	PCI_DEVFN(3, 0)
#define TEST_IO_SIZE	32
#define TEST_MEM_SIZE	0x1000ull
#define ROM_DEVFN	PCI_DEVFN(4, 0)
#define ROM_LEN		5000		/* an 8 KiB ROM BAR */
#define ROM_BAR_SIZE	0x2000ull

static uint8_t rom_image[ROM_LEN];

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

/* RAM where the ROM's window can land on it. */
#define FZ_RAM_GPA	0x10000u
#define FZ_RAM_SIZE	0x10000u
static uint8_t fz_ram[FZ_RAM_SIZE];

/* The device memory slots the VM would have: the ROM's only. */
static struct { uint64_t gpa, size; const uint8_t *host; unsigned flags; unsigned n; } fz_slot;

static int fz_record_slot(void *opaque, unsigned n, uint64_t gpa, uint64_t size, void *host,
			  unsigned flags)
{
	(void)opaque;
	FZ_CHECK(!fz_slot.size || !size, "slot %u added at 0x%llx over one in place", n,
		 (unsigned long long)gpa);
	FZ_CHECK(!fz_slot.size || fz_slot.n == n, "slot %u removed, %u in place", n, fz_slot.n);
	fz_slot.gpa = gpa;
	fz_slot.size = size;
	fz_slot.host = host;
	fz_slot.flags = flags;
	fz_slot.n = n;
	return 0;
}

/* The option ROM function against its registers; mmio's only movable range is its window. */
static void check_rom(struct pci_bus *pci, struct io_bus *mmio)
{
	uint32_t id = cfg(pci, ROM_DEVFN, 0, 4), cmd, rom;
	uint64_t want = 0;

	FZ_CHECK(mmio->nmov == 1, "mmio movable ranges %u", mmio->nmov);
	if (id == 0xffffffffu) {	/* hidden: nothing decodes */
		FZ_CHECK(cfg(pci, ROM_DEVFN, PCI_ROM_ADDRESS, 4) == 0xffffffffu, "hidden ROM BAR");
		FZ_CHECK(mmio->mov[0].len == 0, "a hidden function's ROM decodes");
		FZ_CHECK(fz_slot.size == 0, "a hidden function's ROM is mapped");
		return;
	}
	FZ_CHECK(id == ((uint32_t)OPTION_ROM_DEVICE << 16 | OPTION_ROM_VENDOR), "ROM function id 0x%x", id);
	cmd = cfg(pci, ROM_DEVFN, PCI_COMMAND, 2);
	rom = cfg(pci, ROM_DEVFN, PCI_ROM_ADDRESS, 4);
	FZ_CHECK(!(cmd & ~PCI_COMMAND_MEMORY), "ROM function command 0x%x", cmd);
	FZ_CHECK(!(rom & ~(PCI_ROM_ADDR_MASK | PCI_ROM_ENABLE)) && !(rom & (ROM_BAR_SIZE - 1) & ~1u),
		 "ROM BAR 0x%x", rom);
	FZ_CHECK(cfg(pci, ROM_DEVFN, OPTION_ROM_HIDE_REG, 4) == 0, "hide register reads back");
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		FZ_CHECK(cfg(pci, ROM_DEVFN, PCI_BAR0 + 4 * i, 4) == 0, "ROM function BAR %u", i);
	if ((cmd & PCI_COMMAND_MEMORY) && (rom & PCI_ROM_ENABLE) && (rom & PCI_ROM_ADDR_MASK) &&
	    (uint64_t)(rom & PCI_ROM_ADDR_MASK) + ROM_BAR_SIZE - 1 <= 0xfffffffeull)
		want = rom & PCI_ROM_ADDR_MASK;
	FZ_CHECK(mmio->mov[0].len == (want ? ROM_BAR_SIZE : 0), "ROM window length %llu",
		 (unsigned long long)mmio->mov[0].len);
	FZ_CHECK(!want || mmio->mov[0].base == want, "ROM window at 0x%llx, decodes 0x%llx",
		 (unsigned long long)mmio->mov[0].base, (unsigned long long)want);
	/* Memory where it decodes, except over RAM. */
	if (want && want < FZ_RAM_GPA + FZ_RAM_SIZE && FZ_RAM_GPA < want + ROM_BAR_SIZE)
		want = 0;
	FZ_CHECK(fz_slot.size == (want ? ROM_BAR_SIZE : 0), "ROM memory of %llu bytes, want %s",
		 (unsigned long long)fz_slot.size, want ? "it" : "none");
	if (!want)
		return;
	FZ_CHECK(fz_slot.gpa == want && fz_slot.flags == GMEM_SLOT_READONLY,
		 "ROM memory at 0x%llx flags %u, decodes 0x%llx", (unsigned long long)fz_slot.gpa,
		 fz_slot.flags, (unsigned long long)want);
	FZ_CHECK(!memcmp(fz_slot.host, rom_image, ROM_LEN) && !fz_slot.host[ROM_BAR_SIZE - 1],
		 "ROM memory holds the image");
}

/* An MMIO access near the ROM's window: reads inside it return the image (zeroes after
 * it), writes change nothing, and nothing answers outside it. */
static void rom_access(struct io_bus *mmio, uint64_t *last_base, uint16_t port, unsigned size,
		       uint64_t v, bool write)
{
	uint64_t addr, len = mmio->mov[0].len;
	bool claimed;

	if (len)
		*last_base = mmio->mov[0].base;
	addr = *last_base + port % 0x3000;
	claimed = io_bus_access(mmio, addr, &v, size, write);
	FZ_CHECK(claimed == (len && addr >= *last_base && addr + size <= *last_base + len),
		 "ROM access at 0x%llx claimed %d", (unsigned long long)addr, claimed);
	if (!claimed || write)
		return;
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = addr - *last_base + i;

		FZ_CHECK(((v >> (8 * i)) & 0xff) == (off < ROM_LEN ? rom_image[off] : 0),
			 "ROM byte 0x%llx", (unsigned long long)off);
	}
}

/* Most accesses near the interesting ports; the rest anywhere. */
static uint16_t pick_port(uint8_t where, uint16_t port)
{
	switch (where % 4) {
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
	struct io_bus bus, mmio;
	struct gmem gm;
	struct gmem_region ram = { FZ_RAM_GPA, FZ_RAM_SIZE, fz_ram, 0 };
	struct option_rom *orom;
	uint64_t rom_base = 0xc0000000u;
	char err[256];
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
	/* One 4.5 KiB image (55 AA, PCIR at 0x1C, last), then bytes of the file after it. */
	for (unsigned i = 0; i < ROM_LEN; i++)
		rom_image[i] = (uint8_t)(i * 13 + 1);
	memset(rom_image, 0, 0x40);
	rom_image[0] = 0x55;
	rom_image[1] = 0xaa;
	rom_image[OPROM_PCIR_PTR] = 0x1c;
	memcpy(rom_image + 0x1c, "PCIR", 4);
	rom_image[0x1c + PCIR_IMAGE_LENGTH] = 9;
	rom_image[0x1c + PCIR_CODE_TYPE] = PCIR_CODE_EFI;
	rom_image[0x1c + PCIR_INDICATOR] = PCIR_LAST_IMAGE;
	io_bus_init(&mmio, "mmio");
	memset(&fz_slot, 0, sizeof(fz_slot));
	FZ_CHECK(gmem_init_regions(&gm, &ram, 1) == 0, "RAM");
	FZ_CHECK(gmem_set_slot_fn(&gm, fz_record_slot, NULL) == 0, "slot handler");
	orom = option_rom_new(pci, &mmio, &gm, ROM_DEVFN, rom_image, ROM_LEN, err, sizeof(err));
	FZ_CHECK(orom, "option ROM: %s", err);

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
		if (where % 4 == 3)
			rom_access(&mmio, &rom_base, port, sz, v, op & 1);
		else
			io_bus_access(&bus, port, &v, sz, op & 1);
		check(pci, &bus, &m);
		check_rom(pci, &mmio);
	}

	piix_free(px);
	pci_bus_free(pci);
	option_rom_free(orom);
	FZ_CHECK(fz_slot.size == 0, "the ROM's memory outlived it");
	acpi_pm_free(pm);
	pc_ports_free(pp);
	return 0;
}
