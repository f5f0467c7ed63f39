/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables: walk them the way an OS does (RSDP -> XSDT -> FADT -> DSDT/FACS),
 * check every checksum and the fields the platform depends on, then have ACPICA's
 * own disassembler (iasl, from acpica-tools) read each table back.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, strcasestr */
#endif
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acpi.h"
#include "aml.h"
#include "testutil.h"

#define BASE_GPA	0xe0000ull
#define IMAGE_SIZE	0x20000u

static uint8_t image[IMAGE_SIZE];

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* ---- the VMBus-like devices a later part adds, the way Hyper-V has them ---- */

#define VMBUS_LOW_MIN	0xf8000000ull
#define VMBUS_LOW_LEN	0x06c00000ull
#define VMBUS_HIGH_MIN	0xfe0000000ull
#define VMBUS_HIGH_LEN	0x20000000ull
#define VMBUS_IRQ	5

static void vmbus_hook(struct aml *a, void *opaque)
{
	struct aml_mem_range low = {
		.producer = true, .min_fixed = true, .max_fixed = true,
		.min = VMBUS_LOW_MIN, .max = VMBUS_LOW_MIN + VMBUS_LOW_LEN - 1,
		.length = VMBUS_LOW_LEN,
	};
	struct aml_mem_range high = low;

	high.min = VMBUS_HIGH_MIN;
	high.max = VMBUS_HIGH_MIN + VMBUS_HIGH_LEN - 1;
	high.length = VMBUS_HIGH_LEN;
	(*(int *)opaque)++;

	aml_device_begin(a, "VMOD");
	aml_name_string(a, "_HID", "ACPI0004");
	aml_name_int(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_qword_memory(a, &low);
	aml_qword_memory(a, &high);
	aml_end(a);

	aml_device_begin(a, "VMBS");
	aml_name_string(a, "_HID", "VMBUS");
	aml_name_string(a, "_CID", "VMBus");
	aml_name_int(a, "_UID", 0);
	aml_method_begin(a, "_STA", 0, false);
	aml_return(a);
	aml_int(a, 0x0f);
	aml_end(a);
	aml_method_begin(a, "_PS0", 0, false);
	aml_end(a);
	aml_method_begin(a, "_PS3", 0, false);
	aml_end(a);
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_irq(a, 1u << VMBUS_IRQ, AML_IRQ_EDGE);
	aml_end(a);
	aml_end(a);	/* VMBS */

	aml_end(a);	/* VMOD */
}

static void second_hook(struct aml *a, void *opaque)
{
	(void)opaque;
	aml_device_begin(a, "HK2D");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_end(a);
}

static void unbalanced_hook(struct aml *a, void *opaque)
{
	(void)opaque;
	aml_device_begin(a, "OPEN");
}

static void bad_name_hook(struct aml *a, void *opaque)
{
	(void)opaque;
	aml_device_begin(a, "lower");
	aml_end(a);
}

static struct acpi_config make_config(unsigned ncpus)
{
	return (struct acpi_config){
		.ncpus = ncpus,
		.lapic_addr = 0xfee00000,
		.ioapic_addr = 0xfec00000,
		.pm_base = 0x600,
		.sci_irq = 9,
		.reset_port = 0xcf9,
		.reset_value = 0x06,
	};
}

/* ---- walking the tables ---- */

struct tables {
	uint64_t rsdp_gpa;
	const uint8_t *rsdp, *rsdt, *xsdt, *fadt, *facs, *dsdt, *madt;
};

static const uint8_t *gpa_ptr(uint64_t gpa, uint64_t len)
{
	ck_assert_msg(gpa >= BASE_GPA && len <= IMAGE_SIZE && gpa - BASE_GPA <= IMAGE_SIZE - len,
		      "0x%llx+0x%llx outside the table area", (unsigned long long)gpa,
		      (unsigned long long)len);
	return image + (gpa - BASE_GPA);
}

static const uint8_t *get_table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = gpa_ptr(gpa, 36);
	uint32_t len = le32(t + 4);

	ck_assert_msg(!memcmp(t, sig, 4), "table at 0x%llx is %.4s, want %s",
		      (unsigned long long)gpa, (const char *)t, sig);
	ck_assert_uint_ge(len, 36);
	gpa_ptr(gpa, len);
	ck_assert_msg(sum8(t, len) == 0, "%s checksum", sig);
	ck_assert_msg(!memcmp(t + 10, "HVKVM ", 6), "%s OEM ID", sig);
	ck_assert_msg(!memcmp(t + 16, "HVKVM   ", 8), "%s OEM table ID", sig);
	return t;
}

static uint32_t table_len(const uint8_t *t)
{
	return le32(t + 4);
}

static void walk(const struct acpi_config *cfg, struct tables *t)
{
	uint64_t ents[2], xents[2];
	const uint8_t *r;

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(acpi_build(cfg, image, BASE_GPA, sizeof(image), &t->rsdp_gpa), 0);
	ck_assert_uint_eq(t->rsdp_gpa % 16, 0);

	r = t->rsdp = gpa_ptr(t->rsdp_gpa, 36);
	ck_assert(!memcmp(r, "RSD PTR ", 8));
	ck_assert_uint_eq(sum8(r, 20), 0);
	ck_assert_uint_eq(sum8(r, 36), 0);
	ck_assert_uint_eq(r[15], 2);
	ck_assert_uint_eq(le32(r + 20), 36);
	ck_assert(!memcmp(r + 9, "HVKVM ", 6));

	t->rsdt = get_table(le32(r + 16), "RSDT");
	t->xsdt = get_table(le64(r + 24), "XSDT");
	ck_assert_uint_eq(table_len(t->rsdt), 36 + 2 * 4);
	ck_assert_uint_eq(table_len(t->xsdt), 36 + 2 * 8);
	for (int i = 0; i < 2; i++) {
		ents[i] = le32(t->rsdt + 36 + 4 * i);
		xents[i] = le64(t->xsdt + 36 + 8 * i);
		ck_assert_uint_eq(ents[i], xents[i]);
	}
	t->fadt = get_table(xents[0], "FACP");
	t->madt = get_table(xents[1], "APIC");

	ck_assert_uint_eq(table_len(t->fadt), 276);
	ck_assert_uint_eq(t->fadt[8], 6);
	/* The DSDT through both pointers; the FACS through the 32-bit one only. */
	ck_assert_uint_eq(le32(t->fadt + 40), le64(t->fadt + 140));
	t->dsdt = get_table(le64(t->fadt + 140), "DSDT");
	ck_assert_uint_eq(t->dsdt[8], 2);
	ck_assert_uint_eq(le64(t->fadt + 132), 0);
	ck_assert_uint_eq(le32(t->fadt + 36) % 64, 0);
	t->facs = gpa_ptr(le32(t->fadt + 36), 64);
	ck_assert(!memcmp(t->facs, "FACS", 4));
	ck_assert_uint_eq(le32(t->facs + 4), 64);

	/* No two tables overlap. */
	const uint8_t *all[] = { t->rsdp, t->facs, t->rsdt, t->xsdt, t->fadt, t->madt, t->dsdt };
	size_t lens[] = { 36, 64, table_len(t->rsdt), table_len(t->xsdt), table_len(t->fadt),
			  table_len(t->madt), table_len(t->dsdt) };
	for (unsigned i = 0; i < 7; i++)
		for (unsigned j = i + 1; j < 7; j++)
			ck_assert_msg(all[i] + lens[i] <= all[j] || all[j] + lens[j] <= all[i],
				      "tables %u and %u overlap", i, j);
}

static void check_gas(const uint8_t *g, uint8_t space, uint8_t width, uint8_t access,
		      uint64_t addr)
{
	ck_assert_uint_eq(g[0], space);
	ck_assert_uint_eq(g[1], width);
	ck_assert_uint_eq(g[2], 0);
	ck_assert_uint_eq(g[3], access);
	ck_assert_uint_eq(le64(g + 4), addr);
}

static void check_fadt(const uint8_t *f)
{
	uint32_t flags = le32(f + 112);

	ck_assert_uint_eq(le16(f + 46), 9);		/* SCI_INT */
	ck_assert_uint_eq(le32(f + 48), 0);		/* SMI_CMD: always ACPI mode */
	ck_assert_uint_eq(le32(f + 56), 0x600);		/* PM1a_EVT_BLK */
	ck_assert_uint_eq(le32(f + 60), 0);
	ck_assert_uint_eq(le32(f + 64), 0x604);		/* PM1a_CNT_BLK */
	ck_assert_uint_eq(le32(f + 68), 0);
	ck_assert_uint_eq(le32(f + 76), 0x608);		/* PM_TMR_BLK */
	ck_assert_uint_eq(f[88], 4);
	ck_assert_uint_eq(f[89], 2);
	ck_assert_uint_eq(f[91], 4);
	ck_assert_uint_gt(le16(f + 96), 100);		/* C2 unsupported */
	ck_assert_uint_gt(le16(f + 98), 1000);		/* C3 unsupported */
	ck_assert_uint_eq(f[108], 0x32);		/* CENTURY */
	ck_assert_uint_eq(le16(f + 109), 0x0005);	/* legacy devices, no VGA, no 8042 */
	ck_assert(flags & (1u << 0));			/* WBINVD */
	ck_assert(flags & (1u << 2));			/* PROC_C1 */
	ck_assert(!(flags & (1u << 4)));		/* fixed-feature power button */
	ck_assert(flags & (1u << 5));			/* no sleep button */
	ck_assert(flags & (1u << 8));			/* TMR_VAL_EXT */
	ck_assert(flags & (1u << 10));			/* RESET_REG_SUP */
	ck_assert(!(flags & (1u << 20)));		/* not HW_REDUCED_ACPI */
	check_gas(f + 116, 1, 8, 1, 0xcf9);		/* RESET_REG */
	ck_assert_uint_eq(f[128], 0x06);
	check_gas(f + 148, 1, 32, 2, 0x600);		/* X_PM1a_EVT_BLK */
	check_gas(f + 172, 1, 16, 2, 0x604);		/* X_PM1a_CNT_BLK */
	check_gas(f + 208, 1, 32, 3, 0x608);		/* X_PM_TMR_BLK */
}

static void check_madt(const uint8_t *m, unsigned ncpus)
{
	uint32_t len = table_len(m);
	unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	ck_assert_uint_eq(le32(m + 36), 0xfee00000);
	ck_assert_uint_eq(le32(m + 40), 1);		/* PCAT_COMPAT */
	for (uint32_t off = 44; off < len;) {
		const uint8_t *e = m + off;

		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(off + e[1], len);
		switch (e[0]) {
		case 0:
			ck_assert_uint_eq(e[1], 8);
			ck_assert_uint_eq(e[2], lapics);	/* processor UID */
			ck_assert_uint_eq(e[3], lapics);	/* APIC ID */
			ck_assert_uint_eq(le32(e + 4), 1);	/* enabled */
			lapics++;
			break;
		case 1:
			ck_assert_uint_eq(e[1], 12);
			ck_assert_uint_eq(e[2], 0);
			ck_assert_uint_eq(le32(e + 4), 0xfec00000);
			ck_assert_uint_eq(le32(e + 8), 0);
			ioapics++;
			break;
		case 2:
			ck_assert_uint_eq(e[1], 10);
			ck_assert_uint_eq(e[2], 0);
			/* Only the SCI; IRQ0 stays identity-mapped for KVM's PIT. */
			ck_assert_uint_eq(e[3], 9);
			ck_assert_uint_eq(le32(e + 4), 9);
			ck_assert_uint_eq(le16(e + 8), 0x000d);	/* level, active high */
			isos++;
			break;
		case 4:
			ck_assert_uint_eq(e[1], 6);
			ck_assert_uint_eq(e[2], 0xff);
			ck_assert_uint_eq(e[5], 1);		/* LINT1 */
			nmis++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	ck_assert_uint_eq(lapics, ncpus);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(isos, 1);
	ck_assert_uint_eq(nmis, 1);
}

START_TEST(test_tables_one_cpu)
{
	struct acpi_config cfg = make_config(1);
	struct tables t;

	walk(&cfg, &t);
	check_fadt(t.fadt);
	check_madt(t.madt, 1);
	ck_assert_uint_eq(t.facs[32], 2);	/* FACS version */
}
END_TEST

START_TEST(test_tables_four_cpus_vmbus)
{
	int calls = 0;
	struct acpi_dsdt_hook hooks[] = { { vmbus_hook, &calls }, { second_hook, NULL } };
	struct acpi_config cfg = make_config(4);
	struct tables t;

	cfg.hooks = hooks;
	cfg.nhooks = 2;
	walk(&cfg, &t);
	ck_assert_int_eq(calls, 1);
	check_fadt(t.fadt);
	check_madt(t.madt, 4);
	/* The hooks' devices are in the DSDT, in order. */
	const uint8_t *d = t.dsdt;
	size_t n = table_len(d);
	const uint8_t *vmod = memmem(d, n, "VMOD", 4), *vmbs = memmem(d, n, "VMBS", 4);
	const uint8_t *hk2 = memmem(d, n, "HK2D", 4);
	ck_assert_ptr_nonnull(vmod);
	ck_assert_ptr_nonnull(vmbs);
	ck_assert_ptr_nonnull(hk2);
	ck_assert(vmod < vmbs && vmbs < hk2);
}
END_TEST

START_TEST(test_max_cpus)
{
	struct acpi_config cfg = make_config(ACPI_MAX_CPUS);
	struct tables t;

	walk(&cfg, &t);
	check_madt(t.madt, ACPI_MAX_CPUS);
}
END_TEST

START_TEST(test_unaligned_buffer)
{
	struct acpi_config cfg = make_config(2);
	uint64_t rsdp;

	/* The buffer itself may start anywhere; what the guest sees is aligned. */
	ck_assert_int_eq(acpi_build(&cfg, image + 8, BASE_GPA + 8, sizeof(image) - 8, &rsdp), 0);
	ck_assert_uint_eq(rsdp, BASE_GPA + 16);
	ck_assert(!memcmp(image + 16, "RSD PTR ", 8));
	const uint8_t *rsdt = gpa_ptr(le32(image + 16 + 16), 36);
	const uint8_t *fadt = gpa_ptr(le32(rsdt + 36), 276);
	ck_assert_uint_eq(le32(fadt + 36) % 64, 0);
	ck_assert(!memcmp(gpa_ptr(le32(fadt + 36), 4), "FACS", 4));
}
END_TEST

START_TEST(test_errors)
{
	struct acpi_dsdt_hook bad[] = { { unbalanced_hook, NULL } };
	struct acpi_dsdt_hook badname[] = { { bad_name_hook, NULL } };
	struct acpi_config cfg = make_config(1);
	uint64_t rsdp = 0x1234;

	cfg.ncpus = 0;
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
	cfg.ncpus = ACPI_MAX_CPUS + 1;
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
	cfg.ncpus = 1;
	ck_assert_int_eq(acpi_build(NULL, image, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
	ck_assert_int_eq(acpi_build(&cfg, NULL, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, sizeof(image), NULL), -EINVAL);
	ck_assert_int_eq(acpi_build(&cfg, image, 0x100000000ull, sizeof(image), &rsdp), -EINVAL);
	ck_assert_int_eq(acpi_build(&cfg, image, 0xfffff000ull, sizeof(image), &rsdp), -EINVAL);

	/* Too small: nothing is written. */
	memset(image, 0xaa, sizeof(image));
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, 512, &rsdp), -ENOSPC);
	ck_assert_uint_eq(image[0], 0xaa);
	ck_assert_uint_eq(rsdp, 0x1234);

	cfg.hooks = bad;
	cfg.nhooks = 1;
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
	cfg.hooks = badname;
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
	cfg.hooks = NULL;
	ck_assert_int_eq(acpi_build(&cfg, image, BASE_GPA, sizeof(image), &rsdp), -EINVAL);
}
END_TEST

/* ---- the direct-boot tables, byte for byte ----
 *
 * FNV-1a 64 of the whole buffer (tables and the zeroed rest) for a few
 * configurations, recorded from the builder as direct boot has always used it: the
 * firmware path shares this code, so any change to what direct boot writes shows
 * here first.
 */

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void golden_hook(struct aml *a, void *opaque)
{
	(void)opaque;
	aml_device_begin(a, "HK2D");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_int(a, "_UID", 7);
	aml_end(a);
}

START_TEST(test_direct_boot_golden)
{
	static const struct {
		unsigned ncpus;
		uint64_t base;
		bool hook;
		uint64_t rsdp, hash;
	} g[] = {
		{ 1, 0xe0000, false, 0xe0000, 0x6b9c114603803314ull },
		{ 4, 0xe0000, true, 0xe0000, 0xb83125325c7dc526ull },
		{ 255, 0x9f008, true, 0x9f010, 0xc2e9eb051efe1de6ull },
		{ 2, 0x7ff0004, false, 0x7ff0010, 0x2a4c640e2c5f7bd0ull },
	};
	struct acpi_dsdt_hook h = { golden_hook, NULL };

	for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct acpi_config cfg = make_config(g[i].ncpus);
		uint64_t rsdp = 0;

		if (g[i].hook) {
			cfg.hooks = &h;
			cfg.nhooks = 1;
		}
		memset(image, 0xaa, sizeof(image));
		ck_assert_int_eq(acpi_build(&cfg, image, g[i].base, sizeof(image), &rsdp), 0);
		ck_assert_uint_eq(rsdp, g[i].rsdp);
		ck_assert_msg(fnv1a64(image, sizeof(image)) == g[i].hash,
			      "configuration %u: tables changed (hash 0x%016llx)", i,
			      (unsigned long long)fnv1a64(image, sizeof(image)));
	}
}
END_TEST

START_TEST(test_checksum_helper)
{
	uint8_t b[5] = { 1, 2, 3, 0, 4 };

	b[3] = acpi_checksum(b, sizeof(b));
	ck_assert_uint_eq(sum8(b, sizeof(b)), 0);
	ck_assert_uint_eq(acpi_checksum(b, sizeof(b)), 0);
}
END_TEST

/* ---- iasl ---- */

static bool iasl_in_path(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(buf) - 6) {
			memcpy(buf, path, n);
			strcpy(buf + n, "/iasl");
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path)
			path++;
	}
	return false;
}

static void require_iasl(void)
{
	ck_assert_msg(iasl_in_path(),
		      "iasl not found in PATH: this test needs the ACPICA disassembler, "
		      "install acpica-tools (apt-get install acpica-tools)");
}

static char *read_text(const char *dir, const char *name)
{
	char path[512];
	struct stat st;
	char *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	s = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	s[st.st_size] = 0;
	fclose(f);
	return s;
}

static void write_bin(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* Run iasl with args in dir, its output going to log; returns its exit status. */
static int run_iasl(const char *dir, const char *log, const char *a1, const char *a2,
		    const char *a3)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		if (chdir(dir))
			_exit(126);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		execlp("iasl", "iasl", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "iasl died");
	return WEXITSTATUS(status);
}

/* Collapse whitespace runs so that matches do not depend on iasl's layout. */
static void squeeze(char *s)
{
	char *w = s;
	bool space = false;

	for (char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r') {
			space = true;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = 0;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define EXPECT_TEXT(text, needle)						\
	ck_assert_msg(strstr((text), (needle)) != NULL, "iasl output lacks \"%s\"", (needle))

/* Complain about any line of iasl's messages that reports a problem. */
static void check_log_clean(const char *dir, const char *log)
{
	char *s = read_text(dir, log);

	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, " 0 Errors") || strstr(line, " 0 Warnings"))
			continue;
		ck_assert_msg(!strcasestr(line, "error") && !strcasestr(line, "warning") &&
			      !strstr(line, "Invalid") && !strstr(line, "****"),
			      "iasl reported: %s", line);
	}
	free(s);
}

/* Disassemble name.dat; returns the squeezed .dsl text. */
static char *disassemble(const char *dir, const char *name, const uint8_t *t, size_t len)
{
	char dat[64], dsl[64], log[64];
	char *s;
	int rc;

	snprintf(dat, sizeof(dat), "%s.dat", name);
	snprintf(dsl, sizeof(dsl), "%s.dsl", name);
	snprintf(log, sizeof(log), "%s.log", name);
	write_bin(dir, dat, t, len);
	rc = run_iasl(dir, log, "-d", dat, NULL);
	ck_assert_msg(rc == 0, "iasl -d %s exited %d (see %s/%s)", dat, rc, dir, log);
	check_log_clean(dir, log);
	s = read_text(dir, dsl);
	/* The disassembler notes bad checksums and truncation inside the output. */
	ck_assert_msg(!strstr(s, "Incorrect checksum") && !strstr(s, "****"),
		      "iasl complains in %s", dsl);
	squeeze(s);
	return s;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void check_with_iasl(unsigned ncpus, bool vmbus)
{
	int calls = 0;
	struct acpi_dsdt_hook hooks[] = { { vmbus_hook, &calls } };
	struct acpi_config cfg = make_config(ncpus);
	char dir[] = "/tmp/test_acpi.XXXXXX";
	struct tables t;
	char *s;

	require_iasl();
	if (vmbus) {
		cfg.hooks = hooks;
		cfg.nhooks = 1;
	}
	walk(&cfg, &t);
	ck_assert_ptr_nonnull(mkdtemp(dir));

	/* The RSDP has no table header and this iasl cannot read it on its own;
	 * walk() checked it byte by byte. */
	s = disassemble(dir, "rsdt", t.rsdt, table_len(t.rsdt));
	EXPECT_TEXT(s, "Signature : \"RSDT\"");
	free(s);
	s = disassemble(dir, "xsdt", t.xsdt, table_len(t.xsdt));
	EXPECT_TEXT(s, "ACPI Table Address 1 :");
	free(s);
	s = disassemble(dir, "facs", t.facs, 64);
	EXPECT_TEXT(s, "Signature : \"FACS\"");
	EXPECT_TEXT(s, "Version : 02");
	free(s);

	s = disassemble(dir, "facp", t.fadt, table_len(t.fadt));
	EXPECT_TEXT(s, "Revision : 06");
	EXPECT_TEXT(s, "SCI Interrupt : 0009");
	EXPECT_TEXT(s, "SMI Command Port : 00000000");
	EXPECT_TEXT(s, "PM1A Event Block Address : 00000600");
	EXPECT_TEXT(s, "PM1A Control Block Address : 00000604");
	EXPECT_TEXT(s, "PM Timer Block Address : 00000608");
	EXPECT_TEXT(s, "RTC Century Index : 32");
	EXPECT_TEXT(s, "Legacy Devices Supported (V2) : 1");
	EXPECT_TEXT(s, "8042 Present on ports 60/64 (V2) : 0");
	EXPECT_TEXT(s, "VGA Not Present (V4) : 1");
	EXPECT_TEXT(s, "Control Method Power Button (V1) : 0");
	EXPECT_TEXT(s, "Control Method Sleep Button (V1) : 1");
	EXPECT_TEXT(s, "32-bit PM Timer (V1) : 1");
	EXPECT_TEXT(s, "Reset Register Supported (V2) : 1");
	EXPECT_TEXT(s, "Hardware Reduced (V5) : 0");
	EXPECT_TEXT(s, "Reset Register : [Generic Address Structure] [074h 0116 1] Space ID : "
		       "01 [SystemIO] [075h 0117 1] Bit Width : 08");
	EXPECT_TEXT(s, "Address : 0000000000000CF9 [080h 0128 1] Value to cause reset : 06");
	EXPECT_TEXT(s, "PM1A Control Block : [Generic Address Structure] [0ACh 0172 1] "
		       "Space ID : 01 [SystemIO]");
	EXPECT_TEXT(s, "Address : 0000000000000604");
	free(s);

	s = disassemble(dir, "apic", t.madt, table_len(t.madt));
	ck_assert_uint_eq(count(s, "Subtable Type : 00 [Processor Local APIC]"), ncpus);
	ck_assert_uint_eq(count(s, "Processor Enabled : 1"), ncpus);
	ck_assert_uint_eq(count(s, "[I/O APIC]"), 1);
	ck_assert_uint_eq(count(s, "[Interrupt Source Override]"), 1);
	EXPECT_TEXT(s, "Source : 09 [");
	EXPECT_TEXT(s, "Interrupt : 00000009 [");
	EXPECT_TEXT(s, "Trigger Mode : 3");
	EXPECT_TEXT(s, "PC-AT Compatibility : 1");
	EXPECT_TEXT(s, "[Local APIC NMI]");
	EXPECT_TEXT(s, "Interrupt Input LINT : 01");
	free(s);

	s = disassemble(dir, "dsdt", t.dsdt, table_len(t.dsdt));
	EXPECT_TEXT(s, "Name (\\_S5, Package (0x04) // _S5_: S5 System State { 0x05, 0x05, "
		       "Zero, Zero })");
	EXPECT_TEXT(s, "Scope (\\_SB) {");
	EXPECT_TEXT(s, "Device (COM1) { Name (_HID, EisaId (\"PNP0501\")");
	EXPECT_TEXT(s, "Name (_UID, One)");
	EXPECT_TEXT(s, "IO (Decode16, 0x03F8, // Range Minimum 0x03F8, // Range Maximum 0x01, "
		       "// Alignment 0x08, // Length ) IRQNoFlags () {4}");
	EXPECT_TEXT(s, "Device (RTC) { Name (_HID, EisaId (\"PNP0B00\")");
	EXPECT_TEXT(s, "IO (Decode16, 0x0070, // Range Minimum 0x0070, // Range Maximum 0x01, "
		       "// Alignment 0x02, // Length ) IRQNoFlags () {8}");
	ck_assert_uint_eq(count(s, "Name (_HID, \"ACPI0007\""), ncpus);
	if (vmbus) {
		EXPECT_TEXT(s, "Device (VMOD) { Name (_HID, \"ACPI0004\"");
		EXPECT_TEXT(s, "QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, "
			       "NonCacheable, ReadWrite, 0x0000000000000000, // Granularity "
			       "0x00000000F8000000, // Range Minimum 0x00000000FEBFFFFF, // Range "
			       "Maximum 0x0000000000000000, // Translation Offset "
			       "0x0000000006C00000, // Length");
		EXPECT_TEXT(s, "0x0000000FE0000000, // Range Minimum 0x0000000FFFFFFFFF, // Range "
			       "Maximum");
		EXPECT_TEXT(s, "Device (VMBS) { Name (_HID, \"VMBUS\") // _HID: Hardware ID "
			       "Name (_CID, \"VMBus\") // _CID: Compatible ID "
			       "Name (_UID, Zero) // _UID: Unique ID "
			       "Method (_STA, 0, NotSerialized) // _STA: Status { Return (0x0F) } "
			       "Method (_PS0, 0, NotSerialized) // _PS0: Power State 0 { } "
			       "Method (_PS3, 0, NotSerialized) // _PS3: Power State 3 { }");
		EXPECT_TEXT(s, "IRQ (Edge, ActiveHigh, Exclusive, ) {5}");
		/* VMBS sits inside VMOD, inside \_SB. */
		ck_assert(strstr(s, "Scope (\\_SB)") < strstr(s, "Device (VMOD)"));
		ck_assert(strstr(s, "Device (VMOD)") < strstr(s, "Device (VMBS)"));
		ck_assert_int_eq(calls, 1);
	} else {
		ck_assert_ptr_null(strstr(s, "VMBS"));
	}
	free(s);
	remove_dir(dir);
}

START_TEST(test_iasl_one_cpu)
{
	check_with_iasl(1, false);
}
END_TEST

START_TEST(test_iasl_four_cpus_vmbus)
{
	check_with_iasl(4, true);
}
END_TEST

/*
 * Compile iasl's disassembly back with optimisations off and compare it with our
 * byte code: the encodings must be the ones ACPICA's own compiler chooses. -f
 * because iasl rejects the 5-character _HID "VMBUS" that Hyper-V uses. The only
 * allowed differences are end tag checksums, which iasl leaves at 0.
 */
static void roundtrip(struct acpi_config *cfg)
{
	char dir[] = "/tmp/test_acpi.XXXXXX";
	char path[600];
	struct tables t;
	uint8_t *aml;
	size_t n;
	FILE *f;
	int rc;

	require_iasl();
	walk(cfg, &t);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	free(disassemble(dir, "dsdt", t.dsdt, table_len(t.dsdt)));
	rc = run_iasl(dir, "compile.log", "-f", "-oa", "dsdt.dsl");
	ck_assert_msg(rc == 0, "iasl -f -oa dsdt.dsl exited %d (see %s/compile.log)", rc, dir);

	snprintf(path, sizeof(path), "%s/dsdt.aml", dir);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "iasl produced no %s", path);
	n = table_len(t.dsdt);
	aml = malloc(n + 1);
	ck_assert_ptr_nonnull(aml);
	ck_assert_uint_eq(fread(aml, 1, n + 1, f), n);
	fclose(f);
	for (size_t i = 36; i < n; i++) {
		if (aml[i] == t.dsdt[i])
			continue;
		ck_assert_msg(aml[i] == 0 && t.dsdt[i - 1] == 0x79 && aml[i - 1] == 0x79,
			      "DSDT byte %zu: iasl 0x%02x, ours 0x%02x", i, aml[i], t.dsdt[i]);
	}
	free(aml);
	remove_dir(dir);
}

START_TEST(test_iasl_roundtrip)
{
	int calls = 0;
	struct acpi_dsdt_hook hooks[] = { { vmbus_hook, &calls }, { second_hook, NULL } };
	struct acpi_config cfg = make_config(3);

	cfg.hooks = hooks;
	cfg.nhooks = 2;
	roundtrip(&cfg);
}
END_TEST

/* The board with the i440FX/PIIX functions: PCI0 with its resources and routing, PIIX4's
 * soft-off type, a 24-bit PM timer; the same encodings as iasl's. */
START_TEST(test_iasl_piix)
{
	int calls = 0;
	struct acpi_dsdt_hook hooks[] = { { vmbus_hook, &calls } };
	struct acpi_config cfg = make_config(2);
	char dir[] = "/tmp/test_acpi.XXXXXX";
	struct tables t;
	char *s;

	require_iasl();
	cfg.piix = true;
	cfg.pm_base = 0xb000;
	cfg.hooks = hooks;
	cfg.nhooks = 1;
	walk(&cfg, &t);
	ck_assert(!(le32(t.fadt + 112) & (1u << 8)));	/* TMR_VAL_EXT clear */
	ck_assert_uint_eq(le32(t.fadt + 76), 0xb008);	/* PM_TMR_BLK */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s = disassemble(dir, "dsdt", t.dsdt, table_len(t.dsdt));
	EXPECT_TEXT(s, "Device (PCI0)");
	EXPECT_TEXT(s, "Device (PCI0) { Name (_HID, EisaId (\"PNP0A03\")");
	EXPECT_TEXT(s, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, // Granularity 0x0000, // Range Minimum 0x00FF,");
	EXPECT_TEXT(s, "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, // Granularity 0x0D00, // Range Minimum 0xFFFF,");
	EXPECT_TEXT(s, "Name (_PRT, Package (0x80) // _PRT: PCI Routing Table");
	EXPECT_TEXT(s, "Package (0x04) { 0x0001FFFF, Zero, Zero, 0x11 }");
	EXPECT_TEXT(s, "_S5, Package (0x04) // _S5_: S5 System State { Zero, Zero, Zero, Zero })");
	ck_assert_uint_eq(count(s, "Device (VMBS)"), 1);
	free(s);
	remove_dir(dir);
	roundtrip(&cfg);
}
END_TEST

static Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");
	TCase *ti = tcase_create("iasl");

	tcase_add_test(tc, test_tables_one_cpu);
	tcase_add_test(tc, test_tables_four_cpus_vmbus);
	tcase_add_test(tc, test_max_cpus);
	tcase_add_test(tc, test_unaligned_buffer);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_checksum_helper);
	tcase_add_test(tc, test_direct_boot_golden);
	suite_add_tcase(s, tc);

	tcase_set_timeout(ti, 120);
	tcase_add_test(ti, test_iasl_one_cpu);
	tcase_add_test(ti, test_iasl_four_cpus_vmbus);
	tcase_add_test(ti, test_iasl_roundtrip);
	tcase_add_test(ti, test_iasl_piix);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	return test_main(acpi_suite());
}
