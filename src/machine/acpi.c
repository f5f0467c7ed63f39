/* SPDX-License-Identifier: MIT */
/*
 * ACPI table builder. Layouts follow the ACPI 6.0 specification, chapter 5; the
 * tables claim ACPI 6.0 (FADT 6.0, MADT revision 3).
 */
#include "acpi.h"
#include "acpi_loader.h"
#include "aml.h"
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACPI_OEM_ID		"HVKVM "
#define ACPI_OEM_TABLE_ID	"HVKVM   "
#define ACPI_OEM_REVISION	1
#define ACPI_CREATOR_ID		"HVKM"
#define ACPI_CREATOR_REVISION	1

#define ACPI_HDR_LEN		36
#define RSDP_LEN		36
#define RSDP_V1_LEN		20	/* what the first checksum covers */
#define RSDP_CHECKSUM		8
#define RSDP_RSDT		16
#define RSDP_XSDT		24
#define RSDP_EXT_CHECKSUM	32
#define FACS_LEN		64
#define FADT_LEN		276
#define MADT_HDR_LEN		44
#define MADT_LAPIC_LEN		8
#define MADT_IOAPIC_LEN		12
#define MADT_ISO_LEN		10
#define MADT_LAPIC_NMI_LEN	6

/* Tables listed in the RSDT/XSDT; the DSDT and FACS hang off the FADT. */
#define SDT_ENTRIES		2

/* FADT field offsets */
#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_SMI_CMD		48
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_PM_TMR_BLK		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_P_LVL2_LAT		96
#define FADT_P_LVL3_LAT		98
#define FADT_CENTURY		108
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_MINOR_VERSION	131
#define FADT_X_FIRMWARE_CTRL	132
#define FADT_X_DSDT		140
#define FADT_X_PM1A_EVT_BLK	148
#define FADT_X_PM1A_CNT_BLK	172
#define FADT_X_PM_TMR_BLK	208

/* FADT flags */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* set: control-method power button */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* set: no fixed-feature sleep button */
#define FADT_F_FIX_RTC		(1u << 6)	/* set: no RTC_STS in PM1 */
#define FADT_F_TMR_VAL_EXT	(1u << 8)
#define FADT_F_RESET_REG_SUP	(1u << 10)

/* IAPC_BOOT_ARCH */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042		(1u << 1)
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)

/* Latencies above these limits say C2 and C3 are not supported. */
#define FADT_C2_UNSUPPORTED	101
#define FADT_C3_UNSUPPORTED	1001

#define RTC_CENTURY_INDEX	0x32

/* Generic Address Structure */
#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1
#define GAS_ACCESS_WORD		2
#define GAS_ACCESS_DWORD	3

/* MADT */
#define MADT_PCAT_COMPAT	(1u << 0)
#define MADT_TYPE_LAPIC		0
#define MADT_TYPE_IOAPIC	1
#define MADT_TYPE_ISO		2
#define MADT_TYPE_LAPIC_NMI	4
#define MADT_LAPIC_ENABLED	(1u << 0)
#define MPS_POLARITY_HIGH	0x1
#define MPS_TRIGGER_LEVEL	(0x3 << 2)
#define MADT_ALL_PROCESSORS	0xff

struct acpi_layout {
	uint64_t gpa;		/* of the buffer */
	size_t size, used;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

/* Place len bytes at the next guest address aligned to align (a power of two). */
static int acpi_place(struct acpi_layout *l, size_t len, uint64_t align, size_t *off)
{
	uint64_t gpa = (l->gpa + l->used + align - 1) & ~(align - 1);
	uint64_t o = gpa - l->gpa;

	if (o > l->size || len > l->size - o)
		return -ENOSPC;
	*off = (size_t)o;
	l->used = (size_t)o + len;
	return 0;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, ACPI_OEM_REVISION);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, ACPI_CREATOR_REVISION);
}

static void acpi_seal(uint8_t *t, size_t len)
{
	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

static void acpi_gas(uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t access,
		     uint64_t addr)
{
	p[0] = space;
	p[1] = bit_width;
	p[2] = 0;	/* bit offset */
	p[3] = access;
	put64(p + 4, addr);
}

static void acpi_dsdt_cpus(const struct acpi_config *cfg, struct aml *a)
{
	/* Processor devices whose _UID matches the MADT's processor UID: OSes bind
	 * per-CPU drivers to these, and C1 (HLT) comes from the FADT. */
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		char name[16];

		snprintf(name, sizeof(name), "CP%02X", i & 0xff);
		aml_device_begin(a, name);
		aml_name_string(a, "_HID", "ACPI0007");
		aml_name_int(a, "_UID", i);
		aml_end(a);
	}
}

static void acpi_dsdt_legacy(struct aml *a)
{
	aml_device_begin(a, "COM1");
	aml_name_eisaid(a, "_HID", "PNP0501");
	aml_name_int(a, "_UID", 1);
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_io(a, 0x3f8, 0x3f8, 1, 8);
	aml_irq_noflags(a, 1u << 4);
	aml_end(a);
	aml_end(a);

	aml_device_begin(a, "RTC");
	aml_name_eisaid(a, "_HID", "PNP0B00");
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_io(a, 0x70, 0x70, 1, 2);
	aml_irq_noflags(a, 1u << 8);
	aml_end(a);
	aml_end(a);
}

/*
 * The PCI root bridge with the i440FX/PIIX functions: bus 0, the I/O ports other than
 * the configuration ports, the legacy VGA window. No 32-bit or 64-bit memory window:
 * nothing on the bus has a memory BAR, and the MMIO above RAM belongs to VMBus. _PRT
 * routes every slot's pins straight to GSIs 16-19 (level, active low), which no ISA
 * device uses; only the PIIX4 PM function (00:01.3) has a pin.
 */
static void acpi_dsdt_pci0(struct aml *a)
{
	struct aml_mem_range vga = {
		.producer = true, .min_fixed = true, .max_fixed = true,
		.min = 0xa0000, .max = 0xbffff, .length = 0x20000,
	};

	aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A03");
	aml_name_int(a, "_ADR", 0);
	aml_name_int(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_word_bus_number(a, 0, 0xff);
	aml_io(a, 0xcf8, 0xcf8, 1, 8);
	aml_word_io(a, 0x0000, 0x0cf7);
	aml_word_io(a, 0x0d00, 0xffff);
	aml_dword_memory(a, &vga);
	aml_end(a);
	aml_name(a, "_PRT");
	aml_package_begin(a);
	for (unsigned slot = 0; slot < 32; slot++)
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_package_begin(a);
			aml_int(a, (uint64_t)slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, 16 + ((slot + pin) & 3));
			aml_end(a);
		}
	aml_end(a);
	aml_end(a);
}

static int acpi_dsdt_build(const struct acpi_config *cfg, struct aml *a)
{
	unsigned s5 = cfg->piix ? 0 : ACPI_SLP_TYP_S5;	/* PIIX4_SLP_TYP_SOFF */

	/* SLP_TYPa, SLP_TYPb (no PM1b block), two reserved. */
	aml_name(a, "\\_S5");
	aml_package_begin(a);
	aml_int(a, s5);
	aml_int(a, s5);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_end(a);

	aml_scope_begin(a, "\\_SB");
	acpi_dsdt_cpus(cfg, a);
	acpi_dsdt_legacy(a);
	if (cfg->piix)
		acpi_dsdt_pci0(a);
	for (unsigned i = 0; i < cfg->nhooks; i++) {
		unsigned depth = a->depth;

		cfg->hooks[i].fn(a, cfg->hooks[i].opaque);
		if (a->err)
			break;
		/* Catch the hook's own imbalance here, not as a puzzling error at
		 * the end of \_SB. */
		if (a->depth != depth || a->pending) {
			log_error("acpi: DSDT hook %u left an object open", i);
			return -EINVAL;
		}
	}
	aml_end(a);
	return aml_finish(a);
}

static void acpi_write_rsdp(uint8_t *p, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, ACPI_OEM_ID, 6);
	p[15] = 2;		/* revision: ACPI 2.0+, XSDT present */
	put32(p + RSDP_RSDT, (uint32_t)rsdt);
	put32(p + 20, RSDP_LEN);
	put64(p + RSDP_XSDT, xsdt);
	p[RSDP_CHECKSUM] = acpi_checksum(p, RSDP_V1_LEN);
	p[RSDP_EXT_CHECKSUM] = acpi_checksum(p, RSDP_LEN);
}

static void acpi_write_facs(uint8_t *p)
{
	memcpy(p, "FACS", 4);
	put32(p + 4, FACS_LEN);
	p[32] = 2;		/* version */
}

static void acpi_write_fadt(const struct acpi_config *cfg, uint8_t *t, uint64_t facs,
			    uint64_t dsdt)
{
	uint16_t evt = cfg->pm_base + ACPI_PM1_EVT_OFF;
	uint16_t cnt = cfg->pm_base + ACPI_PM1_CNT_OFF;
	uint16_t tmr = cfg->pm_base + ACPI_PM_TMR_OFF;

	acpi_header(t, "FACP", FADT_LEN, 6);
	t[FADT_MINOR_VERSION] = 0;
	/*
	 * ACPI 6.0 wants exactly one of FIRMWARE_CTRL and X_FIRMWARE_CTRL set; the
	 * tables live below 4 GiB, so the 32-bit field, which every OS reads.
	 * X_DSDT, by contrast, may duplicate DSDT.
	 */
	put32(t + FADT_FIRMWARE_CTRL, (uint32_t)facs);
	put64(t + FADT_X_FIRMWARE_CTRL, 0);
	put32(t + FADT_DSDT, (uint32_t)dsdt);
	put64(t + FADT_X_DSDT, dsdt);
	put16(t + FADT_SCI_INT, cfg->sci_irq);
	/* No SMI command port: the platform is always in ACPI mode. */
	put32(t + FADT_SMI_CMD, 0);

	put32(t + FADT_PM1A_EVT_BLK, evt);
	put32(t + FADT_PM1A_CNT_BLK, cnt);
	put32(t + FADT_PM_TMR_BLK, tmr);
	t[FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
	t[FADT_PM_TMR_LEN] = ACPI_PM_TMR_LEN;
	/* The event block is two 16-bit registers, status then enable. */
	acpi_gas(t + FADT_X_PM1A_EVT_BLK, GAS_SYSTEM_IO, ACPI_PM1_EVT_LEN * 8,
		 GAS_ACCESS_WORD, evt);
	acpi_gas(t + FADT_X_PM1A_CNT_BLK, GAS_SYSTEM_IO, ACPI_PM1_CNT_LEN * 8,
		 GAS_ACCESS_WORD, cnt);
	acpi_gas(t + FADT_X_PM_TMR_BLK, GAS_SYSTEM_IO, ACPI_PM_TMR_LEN * 8,
		 GAS_ACCESS_DWORD, tmr);

	put16(t + FADT_P_LVL2_LAT, FADT_C2_UNSUPPORTED);
	put16(t + FADT_P_LVL3_LAT, FADT_C3_UNSUPPORTED);
	t[FADT_CENTURY] = RTC_CENTURY_INDEX;
	/* No 8042: Linux then skips probing for a keyboard controller. */
	put16(t + FADT_IAPC_BOOT_ARCH, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_VGA_NOT_PRESENT);
	/* FIX_RTC: the PM1 block has no RTC_STS, so RTC wake is not announced. */
	put32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
	      FADT_F_FIX_RTC | (cfg->piix ? 0 : FADT_F_TMR_VAL_EXT) | FADT_F_RESET_REG_SUP);
	acpi_gas(t + FADT_RESET_REG, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, cfg->reset_port);
	t[FADT_RESET_VALUE] = cfg->reset_value;
	acpi_seal(t, FADT_LEN);
}

static size_t acpi_madt_len(unsigned ncpus)
{
	return MADT_HDR_LEN + ncpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN + MADT_ISO_LEN +
	       MADT_LAPIC_NMI_LEN;
}

static void acpi_write_madt(const struct acpi_config *cfg, uint8_t *t)
{
	size_t len = acpi_madt_len(cfg->ncpus);
	uint8_t *e = t + MADT_HDR_LEN;

	acpi_header(t, "APIC", (uint32_t)len, 3);
	put32(t + 36, (uint32_t)cfg->lapic_addr);
	/* The 8259 PICs are there too; the OS masks them when it uses the APIC. */
	put32(t + 40, MADT_PCAT_COMPAT);

	for (unsigned i = 0; i < cfg->ncpus; i++, e += MADT_LAPIC_LEN) {
		e[0] = MADT_TYPE_LAPIC;
		e[1] = MADT_LAPIC_LEN;
		e[2] = (uint8_t)i;	/* ACPI processor UID */
		e[3] = (uint8_t)i;	/* APIC ID */
		put32(e + 4, MADT_LAPIC_ENABLED);
	}

	e[0] = MADT_TYPE_IOAPIC;
	e[1] = MADT_IOAPIC_LEN;
	e[2] = 0;		/* I/O APIC ID */
	put32(e + 4, (uint32_t)cfg->ioapic_addr);
	put32(e + 8, 0);	/* GSI base */
	e += MADT_IOAPIC_LEN;

	/*
	 * ISA interrupts are edge/active-high by default, the SCI is level/high.
	 * No override for IRQ0: KVM's in-kernel PIT raises GSI 0, which KVM's
	 * default routing sends to IOAPIC pin 0, so the identity mapping holds.
	 */
	e[0] = MADT_TYPE_ISO;
	e[1] = MADT_ISO_LEN;
	e[2] = 0;		/* bus: ISA */
	e[3] = cfg->sci_irq;
	put32(e + 4, cfg->sci_irq);
	put16(e + 8, MPS_POLARITY_HIGH | MPS_TRIGGER_LEVEL);
	e += MADT_ISO_LEN;

	/* NMI on LINT1 of every processor, as on PC hardware. */
	e[0] = MADT_TYPE_LAPIC_NMI;
	e[1] = MADT_LAPIC_NMI_LEN;
	e[2] = MADT_ALL_PROCESSORS;
	put16(e + 3, 0);	/* flags: conforms to the bus */
	e[5] = 1;		/* LINT1 */

	acpi_seal(t, len);
}

static void acpi_write_sdt(uint8_t *t, const char *sig, unsigned entry_size,
			   const uint64_t *entries)
{
	size_t len = ACPI_HDR_LEN + SDT_ENTRIES * entry_size;

	acpi_header(t, sig, (uint32_t)len, 1);
	for (unsigned i = 0; i < SDT_ENTRIES; i++) {
		if (entry_size == 4)
			put32(t + ACPI_HDR_LEN + 4 * i, (uint32_t)entries[i]);
		else
			put64(t + ACPI_HDR_LEN + 8 * i, entries[i]);
	}
	acpi_seal(t, len);
}

static int acpi_check_config(const struct acpi_config *cfg)
{
	if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS) {
		log_error("acpi: %u vCPUs: the MADT describes 1 to %u", cfg->ncpus,
			  ACPI_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->lapic_addr > UINT32_MAX || cfg->ioapic_addr > UINT32_MAX) {
		log_error("acpi: APIC addresses must be below 4 GiB");
		return -EINVAL;
	}
	if ((uint64_t)cfg->pm_base + ACPI_PM_IO_LEN > 0x10000) {
		log_error("acpi: PM block at port 0x%x runs past port 0xffff", cfg->pm_base);
		return -EINVAL;
	}
	if (cfg->nhooks && !cfg->hooks) {
		log_error("acpi: %u DSDT hooks but no array", cfg->nhooks);
		return -EINVAL;
	}
	return 0;
}

/* Where each table went, as offsets into the buffer. */
struct acpi_offsets {
	size_t rsdp, facs, dsdt, fadt, madt, rsdt, xsdt;
	size_t dsdt_len, madt_len;
	size_t end;		/* one past the last table */
};

/* Build the DSDT's body into a (aml_init'ed by the caller, who frees it). */
static int acpi_dsdt_body(const struct acpi_config *cfg, struct aml *a)
{
	int ret = acpi_dsdt_build(cfg, a);

	if (ret) {
		log_error("acpi: cannot build the DSDT: %s", strerror(-ret));
		return ret;
	}
	if (ACPI_HDR_LEN + a->len > UINT32_MAX)
		return -E2BIG;
	return 0;
}

/*
 * Lay the tables out in b (size bytes, zeroed first) as if b sat at guest address
 * base, and write them with their pointers and checksums; the RSDP first if
 * with_rsdp. -ENOSPC if they do not fit.
 */
static int acpi_write_tables(const struct acpi_config *cfg, const struct aml *a, uint8_t *b,
			     uint64_t base, size_t size, bool with_rsdp, struct acpi_offsets *o)
{
	struct acpi_layout l = { .gpa = base, .size = size };
	uint64_t sdt_entries[SDT_ENTRIES];

	memset(o, 0, sizeof(*o));
	o->dsdt_len = ACPI_HDR_LEN + a->len;
	o->madt_len = acpi_madt_len(cfg->ncpus);
	if ((with_rsdp && acpi_place(&l, RSDP_LEN, 16, &o->rsdp)) ||
	    acpi_place(&l, FACS_LEN, 64, &o->facs) ||
	    acpi_place(&l, o->dsdt_len, 16, &o->dsdt) ||
	    acpi_place(&l, FADT_LEN, 16, &o->fadt) ||
	    acpi_place(&l, o->madt_len, 16, &o->madt) ||
	    acpi_place(&l, ACPI_HDR_LEN + SDT_ENTRIES * 4, 16, &o->rsdt) ||
	    acpi_place(&l, ACPI_HDR_LEN + SDT_ENTRIES * 8, 16, &o->xsdt))
		return -ENOSPC;
	o->end = l.used;

	memset(b, 0, size);
	acpi_write_facs(b + o->facs);

	acpi_header(b + o->dsdt, "DSDT", (uint32_t)o->dsdt_len, 2);	/* 2: 64-bit integers */
	memcpy(b + o->dsdt + ACPI_HDR_LEN, a->buf, a->len);
	acpi_seal(b + o->dsdt, o->dsdt_len);

	acpi_write_fadt(cfg, b + o->fadt, base + o->facs, base + o->dsdt);
	acpi_write_madt(cfg, b + o->madt);

	sdt_entries[0] = base + o->fadt;
	sdt_entries[1] = base + o->madt;
	acpi_write_sdt(b + o->rsdt, "RSDT", 4, sdt_entries);
	acpi_write_sdt(b + o->xsdt, "XSDT", 8, sdt_entries);

	if (with_rsdp)
		acpi_write_rsdp(b + o->rsdp, base + o->rsdt, base + o->xsdt);
	return 0;
}

int acpi_build(const struct acpi_config *cfg, void *buf, uint64_t buf_gpa, size_t size,
	       uint64_t *rsdp_gpa)
{
	struct acpi_offsets o;
	struct aml a;
	int ret;

	if (!cfg || !buf || !rsdp_gpa)
		return -EINVAL;
	ret = acpi_check_config(cfg);
	if (ret)
		return ret;
	/* The RSDT and the FADT's 32-bit fields hold 32-bit addresses. */
	if (buf_gpa > UINT32_MAX || size > UINT32_MAX + 1ull - buf_gpa) {
		log_error("acpi: tables at 0x%llx (+0x%zx) must lie below 4 GiB",
			  (unsigned long long)buf_gpa, size);
		return -EINVAL;
	}

	aml_init(&a);
	ret = acpi_dsdt_body(cfg, &a);
	if (ret)
		goto out;
	ret = acpi_write_tables(cfg, &a, buf, buf_gpa, size, true, &o);
	if (ret) {
		log_error("acpi: tables do not fit in %zu bytes at 0x%llx", size,
			  (unsigned long long)buf_gpa);
		goto out;
	}
	*rsdp_gpa = buf_gpa + o.rsdp;
out:
	aml_free(&a);
	return ret;
}

/* The checksum fields the loader fills in: zero in the blobs, since the firmware
 * sums each range with its checksum byte included. */
static void acpi_unseal(uint8_t *t)
{
	t[9] = 0;
}

static int acpi_fw_cfg_script(struct acpi_loader *l, const struct acpi_fw_cfg_tables *t,
			      const struct acpi_offsets *o)
{
	const char *tb = ACPI_FW_CFG_TABLES, *rp = ACPI_FW_CFG_RSDP;
	size_t rsdt_len = ACPI_HDR_LEN + SDT_ENTRIES * 4, xsdt_len = ACPI_HDR_LEN + SDT_ENTRIES * 8;
	int r = 0;

#define TRY(call) do { if (!r) r = (call); } while (0)
	/* The RSDP where a BIOS looks for it; the tables anywhere (the FACS is 64-byte
	 * aligned in its blob, so the blob is too). */
	TRY(acpi_loader_allocate(l, rp, t->rsdp, t->rsdp_len, 16, ACPI_LOADER_ZONE_FSEG));
	TRY(acpi_loader_allocate(l, tb, t->tables, t->tables_len, 64, ACPI_LOADER_ZONE_HIGH));

	TRY(acpi_loader_add_checksum(l, tb, (uint32_t)o->dsdt + 9, (uint32_t)o->dsdt,
				     (uint32_t)o->dsdt_len));
	/* The firmware finds the FACS and the DSDT through these pointers. */
	TRY(acpi_loader_add_pointer(l, tb, (uint32_t)o->fadt + FADT_FIRMWARE_CTRL, 4, tb));
	TRY(acpi_loader_add_pointer(l, tb, (uint32_t)o->fadt + FADT_DSDT, 4, tb));
	TRY(acpi_loader_add_pointer(l, tb, (uint32_t)o->fadt + FADT_X_DSDT, 8, tb));
	TRY(acpi_loader_add_checksum(l, tb, (uint32_t)o->fadt + 9, (uint32_t)o->fadt, FADT_LEN));
	TRY(acpi_loader_add_checksum(l, tb, (uint32_t)o->madt + 9, (uint32_t)o->madt,
				     (uint32_t)o->madt_len));
	for (unsigned i = 0; i < SDT_ENTRIES; i++) {
		TRY(acpi_loader_add_pointer(l, tb, (uint32_t)(o->rsdt + ACPI_HDR_LEN + 4 * i), 4, tb));
		TRY(acpi_loader_add_pointer(l, tb, (uint32_t)(o->xsdt + ACPI_HDR_LEN + 8 * i), 8, tb));
	}
	TRY(acpi_loader_add_checksum(l, tb, (uint32_t)o->rsdt + 9, (uint32_t)o->rsdt,
				     (uint32_t)rsdt_len));
	TRY(acpi_loader_add_checksum(l, tb, (uint32_t)o->xsdt + 9, (uint32_t)o->xsdt,
				     (uint32_t)xsdt_len));

	TRY(acpi_loader_add_pointer(l, rp, RSDP_RSDT, 4, tb));
	TRY(acpi_loader_add_pointer(l, rp, RSDP_XSDT, 8, tb));
	/* The first checksum covers the ACPI 1.0 part, the second all of it, the
	 * first one's byte included: in this order. */
	TRY(acpi_loader_add_checksum(l, rp, RSDP_CHECKSUM, 0, RSDP_V1_LEN));
	TRY(acpi_loader_add_checksum(l, rp, RSDP_EXT_CHECKSUM, 0, RSDP_LEN));
#undef TRY
	return r;
}

int acpi_build_fw_cfg(const struct acpi_config *cfg, struct acpi_fw_cfg_tables *t)
{
	struct acpi_loader l;
	struct acpi_offsets o;
	struct aml a;
	size_t max;
	int ret;

	if (!cfg || !t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	ret = acpi_check_config(cfg);
	if (ret)
		return ret;

	aml_init(&a);
	acpi_loader_init(&l);
	ret = acpi_dsdt_body(cfg, &a);
	if (ret)
		goto out;
	/* Room for every table and the padding before each (alignment at most 64). */
	max = FACS_LEN + ACPI_HDR_LEN + a.len + FADT_LEN + acpi_madt_len(cfg->ncpus) +
	      2 * ACPI_HDR_LEN + SDT_ENTRIES * 12 + 6 * 64;
	t->tables = malloc(max);
	t->rsdp = calloc(1, RSDP_LEN);
	if (!t->tables || !t->rsdp) {
		ret = -ENOMEM;
		goto out;
	}
	/* At guest address 0: every pointer is an offset into the blob, which the
	 * loader's ADD_POINTERs turn into an address. */
	ret = acpi_write_tables(cfg, &a, t->tables, 0, max, false, &o);
	if (ret)
		goto out;
	t->tables_len = o.end;
	acpi_unseal(t->tables + o.dsdt);
	acpi_unseal(t->tables + o.fadt);
	acpi_unseal(t->tables + o.madt);
	acpi_unseal(t->tables + o.rsdt);
	acpi_unseal(t->tables + o.xsdt);

	t->rsdp_len = RSDP_LEN;
	acpi_write_rsdp(t->rsdp, o.rsdt, o.xsdt);
	t->rsdp[RSDP_CHECKSUM] = 0;
	t->rsdp[RSDP_EXT_CHECKSUM] = 0;

	ret = acpi_fw_cfg_script(&l, t, &o);
	if (ret)
		goto out;
	t->loader = l.buf;
	t->loader_len = l.len;
	l.buf = NULL;
out:
	acpi_loader_free(&l);
	aml_free(&a);
	if (ret) {
		log_error("acpi: cannot build the firmware's tables: %s", strerror(-ret));
		acpi_fw_cfg_tables_free(t);
	}
	return ret;
}

void acpi_fw_cfg_tables_free(struct acpi_fw_cfg_tables *t)
{
	if (!t)
		return;
	free(t->rsdp);
	free(t->tables);
	free(t->loader);
	memset(t, 0, sizeof(*t));
}
