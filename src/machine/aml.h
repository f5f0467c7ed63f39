/* SPDX-License-Identifier: MIT */
/*
 * AML byte-code encoder: just enough of the ACPI Machine Language to describe a
 * handful of platform devices in the DSDT.
 *
 * The buffer grows as objects are emitted. Objects with a PkgLength (Scope, Device,
 * Method, Package, Buffer) are opened with *_begin() and closed with aml_end(); the
 * length is computed when the body is complete, so bodies of any size get the
 * right 1-4 byte encoding.
 *
 * Errors are sticky: the first failure (bad name, allocation failure, unbalanced
 * begin/end, a resource descriptor outside a ResourceTemplate...) is logged and
 * remembered, every later call does nothing and returns it, and aml_finish()
 * reports it. Builders can therefore emit a whole table and check once.
 *
 * Name() and Return() take their operand from the next object emitted:
 *
 *	aml_name(a, "_UID");
 *	aml_int(a, 0);
 */
#ifndef HVKVM_AML_H
#define HVKVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH	16

struct aml_frame {
	size_t start;		/* offset just after the opcode: the PkgLength goes here */
	unsigned kind;		/* private to aml.c */
	unsigned count;		/* objects started directly inside (Package elements) */
};

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err;		/* first error, 0 if none */
	unsigned pending;	/* operands still owed to Name()/Return() */
	unsigned depth;		/* open objects */
	struct aml_frame stack[AML_MAX_DEPTH];
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* 0, the sticky error, or -EINVAL if objects are still open or an operand is owed. */
int aml_finish(struct aml *a);

/*
 * PkgLength for a body of body_len bytes (not counting the PkgLength itself).
 * Returns the number of bytes written to out (1-4), or -E2BIG.
 */
int aml_encode_pkglen(size_t body_len, uint8_t out[4]);

/*
 * Name paths use ASL spelling: an optional root "\" or any number of parent "^",
 * then NameSegs separated by ".". A segment is 1-4 of A-Z, 0-9, "_" (not starting
 * with a digit) and is padded with "_" ("RTC" is RTC_). "\" alone is the root.
 */

/* Objects with a body; close each with aml_end(). */
int aml_scope_begin(struct aml *a, const char *path);
int aml_device_begin(struct aml *a, const char *path);
int aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized);
int aml_package_begin(struct aml *a);
/* A Buffer holding resource descriptors; aml_end() appends the EndTag. */
int aml_resource_template_begin(struct aml *a);
int aml_end(struct aml *a);

/* Statements whose operand is the next object emitted. */
int aml_name(struct aml *a, const char *path);
int aml_return(struct aml *a);

/* Data objects. */
int aml_int(struct aml *a, uint64_t v);		/* smallest encoding */
int aml_string(struct aml *a, const char *s);	/* ASCII 0x01-0x7F */
int aml_buffer(struct aml *a, const void *data, size_t len);
int aml_eisaid(struct aml *a, const char *id);	/* "PNP0501": compressed, as a DWord */
int aml_namestring(struct aml *a, const char *path);	/* a reference to a named object */

/* Shorthands for Name(path, value). */
int aml_name_int(struct aml *a, const char *path, uint64_t v);
int aml_name_string(struct aml *a, const char *path, const char *s);
int aml_name_eisaid(struct aml *a, const char *path, const char *id);

/*
 * Resource descriptors, only inside aml_resource_template_begin()/aml_end().
 */

/* IO (Decode16, min, max, align, len) */
int aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);

/* Interrupt attributes for aml_irq() and aml_interrupt(); 0 means Level,
 * ActiveHigh, Exclusive, NotWake, ResourceConsumer. */
#define AML_IRQ_EDGE		(1u << 0)	/* else Level */
#define AML_IRQ_ACTIVE_LOW	(1u << 1)	/* else ActiveHigh */
#define AML_IRQ_SHARED		(1u << 2)	/* else Exclusive */
#define AML_IRQ_WAKE		(1u << 3)	/* else NotWake */
#define AML_IRQ_PRODUCER	(1u << 4)	/* else ResourceConsumer; aml_interrupt() only */

/* IRQNoFlags () {n, ...}: mask has bit n set for IRQ n; edge, active high, exclusive. */
int aml_irq_noflags(struct aml *a, uint16_t mask);
/* IRQ (flags) {n, ...} */
int aml_irq(struct aml *a, uint16_t mask, unsigned flags);
/* Interrupt (flags) {irqs[0], ...}: the extended descriptor, 1-255 interrupts. */
int aml_interrupt(struct aml *a, unsigned flags, const uint32_t *irqs, unsigned n);

/* WordBusNumber / WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode; WordIO
 * decodes EntireRange) of [min, max], as a PCI root bridge's _CRS lists them.
 * -EINVAL if min > max or the range is 0-0xFFFF (its length does not fit). */
int aml_word_bus_number(struct aml *a, uint16_t min, uint16_t max);
int aml_word_io(struct aml *a, uint16_t min, uint16_t max);

enum aml_mem_cache {
	AML_MEM_NON_CACHEABLE,
	AML_MEM_CACHEABLE,
	AML_MEM_WRITE_COMBINING,
	AML_MEM_PREFETCHABLE,
};

/* DWordMemory/QWordMemory. Zero-initialised fields give the ASL defaults:
 * ResourceConsumer, PosDecode, MinNotFixed, MaxNotFixed, NonCacheable, ReadWrite,
 * AddressRangeMemory. */
struct aml_mem_range {
	bool producer;		/* ResourceProducer */
	bool sub_decode;	/* SubDecode */
	bool min_fixed;		/* MinFixed */
	bool max_fixed;		/* MaxFixed */
	enum aml_mem_cache cache;
	bool read_only;		/* ReadOnly */
	uint8_t mem_type;	/* _MTP: 0 memory, 1 reserved, 2 ACPI, 3 NVS */
	uint64_t granularity, min, max, translation, length;
};

/* -ERANGE if a value does not fit in 32 bits, -EINVAL if min/max/length disagree. */
int aml_dword_memory(struct aml *a, const struct aml_mem_range *r);
int aml_qword_memory(struct aml *a, const struct aml_mem_range *r);

#endif
