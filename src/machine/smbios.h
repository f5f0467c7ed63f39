/* SPDX-License-Identifier: MIT */
/*
 * SMBIOS tables with Hyper-V's identity, as a Generation 2 virtual machine's
 * firmware presents them, for a firmware that takes them from the VMM (OVMF reads
 * QEMU's fw_cfg files "etc/smbios/smbios-tables" and "etc/smbios/smbios-anchor").
 *
 * smbios_build() turns the VM's facts plus the user's overrides into two blobs:
 * the structures back to back, ending with type 127, and an SMBIOS 3.0 (64-bit)
 * entry point that describes them. OVMF takes only the version from the entry
 * point and requires its Structure Table Maximum Size to equal the size of the
 * structures blob; it ignores the address (left 0 here), builds its own entry
 * points, and keeps the handles given here.
 *
 * The structures: 0 BIOS, 1 system, 3 chassis, 2 baseboard, 4 one per socket,
 * 16 memory array, 17 + 19 per RAM range, 32 boot status, 127 end; handles
 * numbered from 0 in that order.
 */
#ifndef HVKVM_SMBIOS_H
#define HVKVM_SMBIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMBIOS_MAJOR		3
#define SMBIOS_MINOR		1
#define SMBIOS_EP3_LEN		24	/* the 3.0 entry point ("_SM3_") */
#define SMBIOS_STRING_MAX	64	/* bytes, without the NUL; our bound */
#define SMBIOS_MAX_STRINGS	255	/* string numbers are one byte; 0 is "none" */
#define SMBIOS_MAX_MEM_RANGES	16
#define SMBIOS_SERIAL_LEN	32	/* "dddd-dddd-dddd-dddd-dddd-dddd-dd" */
#define SMBIOS_MAX_CPUS		4096

/* What Azure's own VMs carry as chassis asset tag ("MSFT AZURE VM" in decimal
 * ASCII codes); software that targets Azure looks for it. */
#define SMBIOS_AZURE_ASSET_TAG	"7783-7084-3265-9085-8269-3286-77"

struct smbios_mem_range {
	uint64_t base;		/* guest physical, bytes */
	uint64_t size;		/* bytes, > 0 */
};

/* What the VM is; strings may be NULL (then Hyper-V's defaults). */
struct smbios_facts {
	unsigned ncpus;			/* 1..SMBIOS_MAX_CPUS */
	unsigned cpus_per_socket;	/* 0: all in one socket, as Hyper-V shows a VM */
	unsigned threads_per_core;	/* 0: 1 */
	struct smbios_mem_range mem[SMBIOS_MAX_MEM_RANGES];	/* guest RAM */
	unsigned nmem;			/* 1..SMBIOS_MAX_MEM_RANGES */
	uint8_t uuid[16];		/* RFC 4122 byte order, as printed */
	const char *serial;		/* NULL: smbios_serial_from_uuid() */
	const char *cpu_manufacturer;	/* e.g. the CPUID vendor; NULL: "None" */
	const char *cpu_version;	/* e.g. the CPUID brand string; NULL: "None" */
	uint64_t cpu_id;		/* CPUID.1 EAX | EDX << 32; 0: unknown */
	uint16_t cpu_family;		/* SMBIOS processor family; 0: 2 (unknown) */
	uint16_t cpu_mhz;		/* max and current speed; 0: unknown */
};

/*
 * User overrides, one member per field of QEMU's -smbios option for types 0-3,
 * named as QEMU names them: `type=1,manufacturer=X` sets system.manufacturer.
 * A string that is set but empty removes the string (the field then reads
 * "Not Specified"), as QEMU does.
 */
struct smbios_str {
	bool set;
	char s[SMBIOS_STRING_MAX + 1];
};

struct smbios_overrides {
	struct {				/* type=0 */
		struct smbios_str vendor, version, date;	/* date: mm/dd/yyyy */
		bool release_set;		/* release=MAJOR.MINOR */
		uint8_t release_major, release_minor;
		bool uefi_set, uefi;		/* uefi=on|off */
	} bios;
	struct {				/* type=1 */
		struct smbios_str manufacturer, product, version, serial, sku, family;
		bool uuid_set;			/* uuid=... (RFC 4122 byte order) */
		uint8_t uuid[16];
	} system;
	struct {				/* type=2 */
		struct smbios_str manufacturer, product, version, serial, asset, location;
	} baseboard;
	struct {				/* type=3 */
		struct smbios_str manufacturer, version, serial, asset, sku;
	} chassis;
};

struct smbios_blobs {
	uint8_t *tables;		/* "etc/smbios/smbios-tables" */
	size_t tables_len;
	uint8_t anchor[SMBIOS_EP3_LEN];	/* "etc/smbios/smbios-anchor" */
	size_t anchor_len;
};

/*
 * Parse one QEMU-style option "type=N,field=value,...", N in 0-3 (",," in a value
 * is a comma), into *ov on top of what it holds (a later option wins). On error
 * returns -EINVAL with a message in err naming the bad part, and leaves *ov
 * unchanged.
 */
int smbios_parse_option(const char *spec, struct smbios_overrides *ov, char *err, size_t errlen);

/*
 * Build the blobs. Returns 0, -EINVAL (err says which fact or override is bad)
 * or -ENOMEM. ov may be NULL. Free with smbios_blobs_free().
 */
int smbios_build(const struct smbios_facts *f, const struct smbios_overrides *ov,
		 struct smbios_blobs *out, char *err, size_t errlen);
void smbios_blobs_free(struct smbios_blobs *b);

/* Hyper-V's serial number form, SMBIOS_SERIAL_LEN digits and dashes, derived
 * from the VM's UUID so that it is stable for the VM; buf holds at least
 * SMBIOS_SERIAL_LEN + 1 bytes. */
void smbios_serial_from_uuid(const uint8_t uuid[16], char *buf);

/* NULL if s can be an SMBIOS string (at most SMBIOS_STRING_MAX bytes, no control
 * characters), else why not. */
const char *smbios_string_check(const char *s);

/* Minus the byte sum of len bytes (see acpi_checksum). */
uint8_t smbios_checksum(const void *p, size_t len);

#endif
