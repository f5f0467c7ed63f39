/* SPDX-License-Identifier: MIT */
/*
 * SMBIOS tables: walk the structures the way a firmware does (formatted area,
 * string set up to the double NUL, type 127 last), check the entry point's
 * checksum and sizes, then have dmidecode (the independent reference) decode them
 * from a dump file in its own --dump-bin layout. Also the -smbios option parser,
 * with hostile input.
 */
#include <check.h>
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

#include "smbios.h"
#include "testutil.h"

#define UUID_TEXT	"f78a0579-5bf5-4de9-a5c7-b5ad2023449b"
#define MAX_STRUCTS	4200
#define MAX_KEPT	16	/* strings remembered per structure */

static const uint8_t uuid_bytes[16] = {
	0xf7, 0x8a, 0x05, 0x79, 0x5b, 0xf5, 0x4d, 0xe9,
	0xa5, 0xc7, 0xb5, 0xad, 0x20, 0x23, 0x44, 0x9b,
};

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

/* 2 GiB below 4 GiB and 1 GiB above, 4 vCPUs. */
static struct smbios_facts facts(void)
{
	struct smbios_facts f = {
		.ncpus = 4,
		.nmem = 2,
		.mem = { { 0, 2ull << 30 }, { 4ull << 30, 1ull << 30 } },
	};

	memcpy(f.uuid, uuid_bytes, 16);
	return f;
}

/* ---- the walk a firmware does ---- */

struct st {
	const uint8_t *p;	/* formatted area */
	uint8_t type, len;
	uint16_t handle;
	const char *str[MAX_KEPT + 1];	/* str[1..min(nstr, MAX_KEPT)] */
	unsigned nstr;
	size_t size;		/* formatted area + string set */
};

struct walk {
	struct st s[MAX_STRUCTS];
	unsigned n;
};

static struct walk w;

/* Every structure must end inside the blob with its double NUL; 127 must be the
 * last and end exactly at the end; handles unique and below 0xff00. */
static void walk_tables(const uint8_t *t, size_t len)
{
	size_t o = 0;

	memset(&w, 0, sizeof(w));
	for (;;) {
		struct st *s;
		size_t q;

		ck_assert_uint_lt(w.n, MAX_STRUCTS);
		s = &w.s[w.n];
		ck_assert_msg(o + 4 <= len, "structure %u header beyond the end", w.n);
		s->p = t + o;
		s->type = t[o];
		s->len = t[o + 1];
		s->handle = le16(t + o + 2);
		ck_assert_msg(s->len >= 4, "structure %u length %u", w.n, s->len);
		ck_assert_msg(o + s->len + 2 <= len, "structure %u formatted area beyond the end", w.n);
		ck_assert_uint_lt(s->handle, 0xff00);
		for (unsigned i = 0; i < w.n; i++)
			ck_assert_msg(w.s[i].handle != s->handle, "handle %#x twice", s->handle);
		q = o + s->len;
		if (t[q] == 0) {
			ck_assert_msg(t[q + 1] == 0, "type %u: no strings but one NUL", s->type);
			q += 2;
		} else {
			while (t[q]) {
				size_t n = strnlen((const char *)t + q, len - q);

				ck_assert_msg(q + n < len, "type %u: unterminated string", s->type);
				ck_assert_uint_lt(s->nstr, 255);
				ck_assert_uint_le(n, SMBIOS_STRING_MAX);
				if (++s->nstr <= MAX_KEPT)
					s->str[s->nstr] = (const char *)t + q;
				q += n + 1;
				ck_assert_msg(q < len, "type %u: string set not closed", s->type);
			}
			q++;
		}
		s->size = q - o;
		o = q;
		w.n++;
		if (s->type == 127) {
			ck_assert_uint_eq(o, len);
			return;
		}
	}
}

static const struct st *find(uint8_t type, unsigned nth)
{
	for (unsigned i = 0; i < w.n; i++)
		if (w.s[i].type == type && nth-- == 0)
			return &w.s[i];
	return NULL;
}

static unsigned count(uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < w.n; i++)
		n += w.s[i].type == type;
	return n;
}

/* The string a field names, "" for none; a bad number fails. */
static const char *str_at(const struct st *s, unsigned off)
{
	uint8_t i = s->p[off];

	ck_assert_uint_lt(off, s->len);
	if (!i)
		return "";
	ck_assert_msg(i <= s->nstr && i <= MAX_KEPT, "type %u field %#x: string %u of %u", s->type, off, i, s->nstr);
	return s->str[i];
}

static void check_anchor(const struct smbios_blobs *b)
{
	const uint8_t *ep = b->anchor;

	ck_assert_uint_eq(b->anchor_len, 24);
	ck_assert_int_eq(memcmp(ep, "_SM3_", 5), 0);
	ck_assert_uint_eq(ep[6], 24);
	ck_assert_uint_eq(ep[7], 3);
	ck_assert_uint_eq(ep[8], 1);
	ck_assert_uint_eq(ep[10], 1);
	ck_assert_uint_eq(sum8(ep, 24), 0);
	/* What OVMF compares with the size of etc/smbios/smbios-tables. */
	ck_assert_uint_eq(le32(ep + 12), b->tables_len);
}

static void build_ok(const struct smbios_facts *f, const struct smbios_overrides *ov,
		     struct smbios_blobs *b)
{
	char err[256] = "";
	int rc = smbios_build(f, ov, b, err, sizeof(err));

	ck_assert_msg(rc == 0, "smbios_build: %d %s", rc, err);
	check_anchor(b);
	walk_tables(b->tables, b->tables_len);
}

/* ---- dmidecode ---- */

static const char *dmidecode_path(void)
{
	static char buf[4096];
	const char *path = getenv("PATH");
	char all[8192];
	char *save = NULL;

	snprintf(all, sizeof(all), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(all, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/dmidecode", d);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	ck_abort_msg("dmidecode not found: this test needs it as the reference decoder, "
		     "install it (apt-get install dmidecode)");
	return NULL;
}

/* dmidecode's --dump-bin layout: the entry point at offset 0 with its table
 * address rewritten to 32, the table at 32. The checksum is adjusted by the
 * change, as dmidecode does, so that a wrong one stays wrong. */
static void write_dump(const char *path, const struct smbios_blobs *b)
{
	uint8_t head[32] = { 0 };
	FILE *f;

	memcpy(head, b->anchor, 24);
	head[5] = (uint8_t)(head[5] + sum8(head + 0x10, 8));
	for (int i = 0; i < 8; i++)
		head[0x10 + i] = (uint8_t)((uint64_t)32 >> (8 * i));
	head[5] = (uint8_t)(head[5] - sum8(head + 0x10, 8));
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(head, 1, 32, f), 32);
	ck_assert_uint_eq(fwrite(b->tables, 1, b->tables_len, f), b->tables_len);
	ck_assert_int_eq(fclose(f), 0);
}

/* dmidecode --from-dump DUMP [arg arg]: its stdout and stderr together. */
static char *dmidecode(const char *dump, const char *a1, const char *a2)
{
	const char *exe = dmidecode_path();
	char out[] = "/tmp/test_smbios_out.XXXXXX";
	int fd = mkstemp(out);
	struct stat st;
	int status;
	pid_t pid;
	char *s;

	ck_assert_int_ge(fd, 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execl(exe, "dmidecode", "--from-dump", dump, a1, a2, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dmidecode failed: %d",
		      status);
	ck_assert_int_eq(fstat(fd, &st), 0);
	s = calloc(1, (size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pread(fd, s, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	unlink(out);
	return s;
}

/* On failure the whole output goes to stderr: Check's messages are short. */
static void expect_text(const char *text, const char *needle, bool present)
{
	ck_assert_ptr_nonnull(text);
	if ((strstr(text, needle) != NULL) != present)
		fprintf(stderr, "%s\n", text);
	ck_assert_msg((strstr(text, needle) != NULL) == present, "dmidecode output %s \"%s\" (output on stderr)",
		      present ? "lacks" : "has", needle);
}
#define EXPECT(text, needle)		expect_text((text), (needle), true)
#define EXPECT_NOT(text, needle)	expect_text((text), (needle), false)

/* Full decode of the blobs; fails on any of dmidecode's complaints. */
static char *decode(const struct smbios_blobs *b, const char *a1, const char *a2)
{
	char dump[] = "/tmp/test_smbios_dump.XXXXXX";
	int fd = mkstemp(dump);
	char *s;

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_dump(dump, b);
	s = dmidecode(dump, a1, a2);
	unlink(dump);
	if (!a1) {
		EXPECT(s, "SMBIOS 3.1.0 present.");
		EXPECT_NOT(s, "No SMBIOS nor DMI entry point found");
		EXPECT_NOT(s, "Invalid entry length");
		EXPECT_NOT(s, "checksum");
		EXPECT_NOT(s, "Wrong DMI structures");
		EXPECT_NOT(s, "<TRUNCATED>");
		EXPECT_NOT(s, "<BAD INDEX>");
		EXPECT_NOT(s, "<OUT OF SPEC>");
		EXPECT_NOT(s, "not fully supported");
	}
	return s;
}

static unsigned occurrences(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- tests ---- */

START_TEST(test_default_tables)
{
	static const uint8_t order[] = { 0, 1, 3, 2, 4, 16, 17, 19, 17, 19, 32, 127 };
	struct smbios_facts f = facts();
	struct smbios_blobs b;
	const struct st *s;

	build_ok(&f, NULL, &b);
	ck_assert_uint_eq(w.n, sizeof(order));
	for (unsigned i = 0; i < w.n; i++) {
		ck_assert_uint_eq(w.s[i].type, order[i]);
		ck_assert_uint_eq(w.s[i].handle, i);
	}

	s = find(0, 0);
	ck_assert_uint_eq(s->len, 0x1a);
	ck_assert_str_eq(str_at(s, 0x04), "Microsoft Corporation");
	ck_assert_str_eq(str_at(s, 0x05), "Hyper-V UEFI Release v4.1");
	ck_assert_str_eq(str_at(s, 0x08), "04/06/2022");
	ck_assert_uint_eq(s->p[0x13] & 0x08, 0x08);	/* UEFI */
	ck_assert_uint_eq(s->p[0x13] & 0x10, 0x10);	/* virtual machine */
	ck_assert_uint_eq(s->p[0x14], 4);
	ck_assert_uint_eq(s->p[0x15], 1);

	s = find(1, 0);
	ck_assert_uint_eq(s->len, 0x1b);
	ck_assert_str_eq(str_at(s, 0x04), "Microsoft Corporation");
	ck_assert_str_eq(str_at(s, 0x05), "Virtual Machine");
	ck_assert_str_eq(str_at(s, 0x1a), "Virtual Machine");
	/* First three fields little-endian (SMBIOS 2.6+). */
	ck_assert_uint_eq(le32(s->p + 0x08), 0xf78a0579);
	ck_assert_uint_eq(le16(s->p + 0x0c), 0x5bf5);
	ck_assert_uint_eq(le16(s->p + 0x0e), 0x4de9);
	ck_assert_int_eq(memcmp(s->p + 0x10, uuid_bytes + 8, 8), 0);
	ck_assert_uint_eq(strlen(str_at(s, 0x07)), SMBIOS_SERIAL_LEN);

	s = find(3, 0);
	ck_assert_uint_eq(s->p[0x05], 3);
	ck_assert_str_eq(str_at(s, 0x08), "7783-7084-3265-9085-8269-3286-77");
	ck_assert_str_eq(str_at(s, 0x07), str_at(find(1, 0), 0x07));
	ck_assert_uint_eq(le16(find(2, 0)->p + 0x0b), s->handle);

	/* Structures without strings end in two NULs. */
	for (unsigned i = 0; i < 4; i++) {
		s = find((const uint8_t[]){ 16, 19, 32, 127 }[i], 0);
		ck_assert_uint_eq(s->nstr, 0);
		ck_assert_uint_eq(s->size, s->len + 2u);
		ck_assert_uint_eq(s->p[s->len], 0);
		ck_assert_uint_eq(s->p[s->len + 1], 0);
	}

	s = find(16, 0);
	ck_assert_uint_eq(le32(s->p + 0x07), 3u << 20);	/* KiB */
	ck_assert_uint_eq(le16(s->p + 0x0d), 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct st *d = find(17, i), *m = find(19, i);

		ck_assert_uint_eq(le16(d->p + 0x04), s->handle);
		ck_assert_uint_eq(le16(m->p + 0x0c), s->handle);
		ck_assert_uint_eq(le16(d->p + 0x0c), i ? 1024 : 2048);	/* MiB */
		ck_assert_str_eq(str_at(d, 0x10), i ? "M0002" : "M0001");
		ck_assert_uint_eq(le32(m->p + 0x04), (uint32_t)(f.mem[i].base >> 10));
		ck_assert_uint_eq(le32(m->p + 0x08),
				  (uint32_t)((f.mem[i].base + f.mem[i].size - 1) >> 10));
	}

	s = find(4, 0);
	ck_assert_uint_eq(s->len, 0x30);
	ck_assert_uint_eq(s->p[0x25], 4);
	ck_assert_uint_eq(le16(s->p + 0x2e), 4);
	smbios_blobs_free(&b);
}
END_TEST

START_TEST(test_dmidecode_default)
{
	struct smbios_facts f = facts();
	struct smbios_blobs b;
	char serial[SMBIOS_SERIAL_LEN + 1];
	char line[128];
	char *s;

	build_ok(&f, NULL, &b);
	s = decode(&b, NULL, NULL);
	EXPECT(s, "BIOS Information\n\tVendor: Microsoft Corporation\n"
		  "\tVersion: Hyper-V UEFI Release v4.1\n\tRelease Date: 04/06/2022\n");
	EXPECT(s, "UEFI is supported");
	EXPECT(s, "System is a virtual machine");
	EXPECT(s, "BIOS Revision: 4.1");
	EXPECT(s, "System Information\n\tManufacturer: Microsoft Corporation\n"
		  "\tProduct Name: Virtual Machine\n\tVersion: Hyper-V UEFI Release v4.1\n");
	EXPECT(s, "UUID: " UUID_TEXT "\n");
	EXPECT(s, "Family: Virtual Machine");
	EXPECT(s, "Base Board Information\n\tManufacturer: Microsoft Corporation\n"
		  "\tProduct Name: Virtual Machine\n");
	EXPECT(s, "Chassis Information\n\tManufacturer: Microsoft Corporation\n\tType: Desktop\n");
	EXPECT(s, "Asset Tag: 7783-7084-3265-9085-8269-3286-77\n");
	smbios_serial_from_uuid(uuid_bytes, serial);
	snprintf(line, sizeof(line), "Serial Number: %s\n", serial);
	ck_assert_uint_eq(occurrences(s, line), 3);	/* system, board, chassis */
	ck_assert_uint_eq(occurrences(s, "Processor Information"), 1);
	EXPECT(s, "Thread Count: 4\n");
	EXPECT(s, "Core Count: 4\n");
	EXPECT(s, "Maximum Capacity: 3 GB\n");
	EXPECT(s, "Number Of Devices: 2\n");
	EXPECT(s, "Size: 2 GB\n");
	EXPECT(s, "Size: 1 GB\n");
	EXPECT(s, "Locator: M0001\n");
	EXPECT(s, "Starting Address: 0x00100000000\n");
	EXPECT(s, "Ending Address: 0x0013FFFFFFF\n");
	EXPECT(s, "Status: No errors detected\n");
	EXPECT(s, "End Of Table");
	free(s);

	/* What Linux shows in /sys/class/dmi/id/product_uuid, and the tag. */
	s = decode(&b, "-s", "system-uuid");
	ck_assert_str_eq(s, UUID_TEXT "\n");
	free(s);
	s = decode(&b, "-s", "chassis-asset-tag");
	ck_assert_str_eq(s, SMBIOS_AZURE_ASSET_TAG "\n");
	free(s);
	smbios_blobs_free(&b);
}
END_TEST

START_TEST(test_dmidecode_sockets_and_big_memory)
{
	struct smbios_facts f = facts();
	struct smbios_blobs b;
	const struct st *m;
	char *s;

	f.ncpus = 7;
	f.cpus_per_socket = 3;
	f.threads_per_core = 2;
	f.mem[1].size = 5ull << 40;	/* above 4 TiB: extended fields */
	f.cpu_manufacturer = "GenuineIntel";
	f.cpu_version = "Intel(R) Xeon(R) CPU E5-2673 v4 @ 2.30GHz";
	f.cpu_id = 0x178bfbff000406f1ull;
	f.cpu_family = 0xb3;
	f.cpu_mhz = 2300;
	build_ok(&f, NULL, &b);
	ck_assert_uint_eq(count(4), 3);
	m = find(19, 1);
	ck_assert_uint_eq(le32(m->p + 0x04), 0xffffffffu);
	ck_assert_uint_eq(le64(m->p + 0x0f), 4ull << 30);
	ck_assert_uint_eq(le64(m->p + 0x17), (4ull << 30) + (5ull << 40) - 1);
	ck_assert_uint_eq(le16(find(17, 1)->p + 0x0c), 0x7fff);
	ck_assert_uint_eq(le32(find(17, 1)->p + 0x1c), 5u << 20);

	s = decode(&b, NULL, NULL);
	ck_assert_uint_eq(occurrences(s, "Processor Information"), 3);
	/* 7 over 3 sockets: 3, 2, 2 threads; 2 threads a core. */
	ck_assert_uint_eq(occurrences(s, "Thread Count: 3\n"), 1);
	ck_assert_uint_eq(occurrences(s, "Thread Count: 2\n"), 2);
	ck_assert_uint_eq(occurrences(s, "Core Count: 2\n"), 1);
	ck_assert_uint_eq(occurrences(s, "Core Count: 1\n"), 2);
	EXPECT(s, "Family: Xeon\n");
	EXPECT(s, "Manufacturer: GenuineIntel\n");
	EXPECT(s, "Version: Intel(R) Xeon(R) CPU E5-2673 v4 @ 2.30GHz\n");
	EXPECT(s, "Max Speed: 2300 MHz\n");
	EXPECT(s, "64-bit capable");
	EXPECT(s, "Size: 5 TB\n");
	EXPECT(s, "Range Size: 5 TB\n");
	EXPECT(s, "Maximum Capacity: 5122 GB\n");	/* 2 GiB + 5 TiB */
	free(s);
	smbios_blobs_free(&b);
}
END_TEST

START_TEST(test_many_cpus)
{
	struct smbios_facts f = facts();
	struct smbios_blobs b;
	char *s;

	f.ncpus = 254;
	f.cpus_per_socket = 1;
	build_ok(&f, NULL, &b);
	ck_assert_uint_eq(count(4), 254);
	s = decode(&b, NULL, NULL);
	ck_assert_uint_eq(occurrences(s, "Processor Information"), 254);
	free(s);
	smbios_blobs_free(&b);

	f.ncpus = SMBIOS_MAX_CPUS;
	build_ok(&f, NULL, &b);
	ck_assert_uint_eq(count(4), SMBIOS_MAX_CPUS);
	smbios_blobs_free(&b);
}
END_TEST

static void parse_ok(const char *spec, struct smbios_overrides *ov)
{
	char err[256] = "";
	int rc = smbios_parse_option(spec, ov, err, sizeof(err));

	ck_assert_msg(rc == 0, "'%s': %d %s", spec, rc, err);
}

START_TEST(test_overrides_dmidecode)
{
	struct smbios_overrides ov;
	struct smbios_facts f = facts();
	struct smbios_blobs b;
	const struct st *t;
	char *s;

	memset(&ov, 0, sizeof(ov));
	parse_ok("type=0,vendor=ACME,,Inc,version=7.1,date=12/31/2023,release=2.9,uefi=off", &ov);
	parse_ok("type=1,manufacturer=Example Corp,product=Box,version=2,serial=SN-1,"
		 "uuid=00112233-4455-6677-8899-AABBCCDDEEFF,sku=SKU9,family=Fam", &ov);
	parse_ok("type=2,manufacturer=BoardCo,product=B1,version=v,serial=BS,asset=BA,location=slot", &ov);
	parse_ok("type=3,manufacturer=CaseCo,version=cv,serial=CS,asset=,sku=CK", &ov);
	/* A later option wins. */
	parse_ok("type=1,serial=SN-2", &ov);
	ck_assert(ov.system.uuid_set);
	ck_assert(ov.chassis.asset.set);
	ck_assert_str_eq(ov.chassis.asset.s, "");

	build_ok(&f, &ov, &b);
	t = find(3, 0);
	ck_assert_uint_eq(t->p[0x08], 0);		/* asset removed */
	ck_assert_uint_eq(find(0, 0)->p[0x13] & 0x08, 0);	/* uefi=off */

	s = decode(&b, NULL, NULL);
	EXPECT(s, "Vendor: ACME,Inc\n\tVersion: 7.1\n\tRelease Date: 12/31/2023\n");
	EXPECT_NOT(s, "UEFI is supported");
	EXPECT(s, "BIOS Revision: 2.9\n");
	EXPECT(s, "Manufacturer: Example Corp\n\tProduct Name: Box\n\tVersion: 2\n"
		  "\tSerial Number: SN-2\n\tUUID: 00112233-4455-6677-8899-aabbccddeeff\n");
	EXPECT(s, "SKU Number: SKU9\n\tFamily: Fam\n");
	EXPECT(s, "Manufacturer: BoardCo\n\tProduct Name: B1\n\tVersion: v\n\tSerial Number: BS\n"
		  "\tAsset Tag: BA\n");
	EXPECT(s, "Location In Chassis: slot\n");
	EXPECT(s, "Manufacturer: CaseCo\n\tType: Desktop\n\tLock: Not Present\n\tVersion: cv\n"
		  "\tSerial Number: CS\n\tAsset Tag: Not Specified\n");
	EXPECT(s, "SKU Number: CK\n");
	EXPECT_NOT(s, SMBIOS_AZURE_ASSET_TAG);
	free(s);
	smbios_blobs_free(&b);
}
END_TEST

START_TEST(test_all_strings_removed)
{
	struct smbios_overrides ov;
	struct smbios_facts f = facts();
	struct smbios_blobs b;
	const struct st *t;

	memset(&ov, 0, sizeof(ov));
	parse_ok("type=2,manufacturer=,product=,version=,serial=,asset=,location=", &ov);
	build_ok(&f, &ov, &b);
	t = find(2, 0);
	ck_assert_uint_eq(t->nstr, 0);
	ck_assert_uint_eq(t->size, t->len + 2u);
	free(decode(&b, NULL, NULL));
	smbios_blobs_free(&b);
}
END_TEST

struct bad {
	const char *spec;
	const char *msg;	/* a part of the error message */
};

START_TEST(test_option_errors)
{
	static const struct bad cases[] = {
		{ "", "empty option" },
		{ "manufacturer=x", "type= is missing" },
		{ "type=4,manufacturer=x", "type=4: not supported" },
		{ "type=11,value=x", "type=11: not supported" },
		{ "type=256", "expected a number" },
		{ "type=-1", "expected a number" },
		{ "type=x", "expected a number" },
		{ "type", "expected a number" },
		{ "type=1,type=1", "type= given twice" },
		{ "type=1,colour=red", "unknown field 'colour' (known: manufacturer, product, version, serial, uuid, sku, family)" },
		{ "type=3,product=x", "unknown field 'product'" },
		{ "type=0,asset=x", "unknown field 'asset'" },
		{ "type=1,serial=a,serial=b", "serial given twice" },
		{ "type=1,serial", "expected serial=VALUE" },
		{ "type=1,", "trailing comma" },
		{ "type=1,,serial=x", "expected a number" },	/* ",," is a comma */
		{ "type=1,,", "expected a number" },
		{ ",type=1", "empty field name" },
		{ "=x,type=1", "empty field name" },
		{ "type=1,Serial=x", "bad character" },
		{ "type=0,date=2023-12-31", "expected mm/dd/yyyy" },
		{ "type=0,date=13/01/2023", "expected mm/dd/yyyy" },
		{ "type=0,date=12/32/2023", "expected mm/dd/yyyy" },
		{ "type=0,date=1/1/2023", "expected mm/dd/yyyy" },
		{ "type=0,release=1", "expected MAJOR.MINOR" },
		{ "type=0,release=1.256", "expected MAJOR.MINOR" },
		{ "type=0,release=.1", "expected MAJOR.MINOR" },
		{ "type=0,release=1.2.3", "expected MAJOR.MINOR" },
		{ "type=0,uefi=maybe", "expected on or off" },
		{ "type=1,uuid=f78a0579-5bf5-4de9-a5c7-b5ad2023449", "expected xxxxxxxx" },
		{ "type=1,uuid=f78a0579x5bf5-4de9-a5c7-b5ad2023449b", "expected xxxxxxxx" },
		{ "type=1,uuid=g78a0579-5bf5-4de9-a5c7-b5ad2023449b", "expected xxxxxxxx" },
		{ "type=1,serial=a\tb", "control character" },
		{ "type=1,serial=a\x1b[2Jb", "control character" },
		{ "type=1,serial=a\x7f", "control character" },
		{ "file=/etc/passwd", "not supported" },
	};
	struct smbios_overrides ov, before;

	memset(&ov, 0, sizeof(ov));
	parse_ok("type=1,manufacturer=keep", &ov);
	before = ov;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		int rc = smbios_parse_option(cases[i].spec, &ov, err, sizeof(err));

		ck_assert_msg(rc == -EINVAL, "'%s' accepted", cases[i].spec);
		ck_assert_msg(strstr(err, cases[i].msg), "'%s': error '%s' lacks '%s'", cases[i].spec,
			      err, cases[i].msg);
		ck_assert_msg(memcmp(&ov, &before, sizeof(ov)) == 0, "'%s' changed the overrides",
			      cases[i].spec);
	}
	/* Partially applied options leave nothing behind either. */
	ck_assert_int_eq(smbios_parse_option("type=1,product=p,colour=x", &ov, NULL, 0), -EINVAL);
	ck_assert_int_eq(memcmp(&ov, &before, sizeof(ov)), 0);
	ck_assert_int_eq(smbios_parse_option(NULL, &ov, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_option_hostile)
{
	struct smbios_overrides ov;
	char big[4096], err[256];
	char tiny[8];

	memset(&ov, 0, sizeof(ov));

	/* Values: 64 bytes fit, 65 do not, with commas counted once. */
	memset(big, 0, sizeof(big));
	strcpy(big, "type=1,serial=");
	memset(big + strlen(big), 'x', 64);
	parse_ok(big, &ov);
	ck_assert_uint_eq(strlen(ov.system.serial.s), 64);
	strcat(big, "x");
	ck_assert_int_eq(smbios_parse_option(big, &ov, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "longer than 64"));
	memset(big, 0, sizeof(big));
	strcpy(big, "type=1,serial=");
	for (int i = 0; i < 64; i++)
		strcat(big, ",,");
	parse_ok(big, &ov);
	ck_assert_uint_eq(strlen(ov.system.serial.s), 64);
	ck_assert_uint_eq(ov.system.serial.s[63], ',');

	/* A huge field name, a huge value, very many fields. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ck_assert_int_eq(smbios_parse_option(big, &ov, err, sizeof(err)), -EINVAL);
	memcpy(big, "type=1,serial=", 14);
	ck_assert_int_eq(smbios_parse_option(big, &ov, err, sizeof(err)), -EINVAL);
	memset(big, 0, sizeof(big));
	strcpy(big, "type=1");
	for (int i = 0; i < 100; i++)
		strcat(big, ",sku=1");
	ck_assert_int_eq(smbios_parse_option(big, &ov, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(smbios_parse_option("type=99999999999999999999", &ov, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(smbios_parse_option(",,,,,,,,", &ov, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(smbios_parse_option("=,=,=", &ov, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(smbios_parse_option("type=1,serial=\xff\xfe", &ov, err, sizeof(err)), 0);

	/* A short error buffer is truncated and terminated. */
	memset(tiny, 'z', sizeof(tiny));
	ck_assert_int_eq(smbios_parse_option("type=9", &ov, tiny, sizeof(tiny)), -EINVAL);
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
}
END_TEST

START_TEST(test_string_limits)
{
	struct smbios_facts f = facts();
	struct smbios_overrides ov;
	struct smbios_blobs b;
	char s64[65], s65[66], err[256];

	memset(s64, 'v', 64);
	s64[64] = 0;
	memset(s65, 'v', 65);
	s65[65] = 0;

	f.cpu_version = s64;
	build_ok(&f, NULL, &b);
	ck_assert_str_eq(str_at(find(4, 0), 0x10), s64);
	smbios_blobs_free(&b);

	f.cpu_version = s65;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "type 4 version: longer than 64"));
	ck_assert_ptr_null(b.tables);

	f = facts();
	f.cpu_manufacturer = "bad\nname";
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "control character"));

	f = facts();
	f.serial = s65;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "serial"));

	/* Overrides filled in directly, without the parser: a string that fills its
	 * array without a NUL is refused, not overrun. */
	f = facts();
	memset(&ov, 0, sizeof(ov));
	ov.system.product.set = true;
	memset(ov.system.product.s, 'A', sizeof(ov.system.product.s));
	ck_assert_int_eq(smbios_build(&f, &ov, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "type 1 product"));
	ov.system.product.s[SMBIOS_STRING_MAX] = 0;
	build_ok(&f, &ov, &b);
	smbios_blobs_free(&b);
	ov.chassis.asset.set = true;
	strcpy(ov.chassis.asset.s, "tab\there");
	ck_assert_int_eq(smbios_build(&f, &ov, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "type 3 asset: control character"));
}
END_TEST

START_TEST(test_fact_errors)
{
	struct smbios_facts f;
	struct smbios_blobs b;
	char err[256];

	f = facts();
	f.ncpus = 0;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	f.ncpus = SMBIOS_MAX_CPUS + 1;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	f = facts();
	f.cpus_per_socket = SMBIOS_MAX_CPUS + 1;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	f.cpus_per_socket = 0;
	f.threads_per_core = ~0u;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	/* More per socket or core than there are vCPUs: one socket, one core. */
	f.cpus_per_socket = 64;
	f.threads_per_core = 8;
	build_ok(&f, NULL, &b);
	ck_assert_uint_eq(count(4), 1);
	ck_assert_uint_eq(find(4, 0)->p[0x23], 1);
	ck_assert_uint_eq(find(4, 0)->p[0x25], 4);
	smbios_blobs_free(&b);
	f = facts();
	f.nmem = 0;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	f.nmem = SMBIOS_MAX_MEM_RANGES + 1;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	f = facts();
	f.mem[1].size = 0;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "memory range 1"));
	f = facts();
	f.mem[1].base = UINT64_MAX - 4095;
	f.mem[1].size = 8192;
	ck_assert_int_eq(smbios_build(&f, NULL, &b, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(smbios_build(&f, NULL, &b, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_serial_and_checksum)
{
	char s[SMBIOS_SERIAL_LEN + 1];
	uint8_t zero[16] = { 0 }, ones[16];
	uint8_t blk[24];

	smbios_serial_from_uuid(uuid_bytes, s);
	ck_assert_uint_eq(strlen(s), SMBIOS_SERIAL_LEN);
	for (int i = 0; i < SMBIOS_SERIAL_LEN; i++)
		ck_assert(i % 5 == 4 ? s[i] == '-' : (s[i] >= '0' && s[i] <= '9'));
	smbios_serial_from_uuid(zero, s);
	ck_assert_str_eq(s, "0000-0000-0000-0000-0000-0000-00");
	memset(ones, 0xff, sizeof(ones));
	smbios_serial_from_uuid(ones, s);
	ck_assert_uint_eq(strlen(s), SMBIOS_SERIAL_LEN);

	for (unsigned i = 0; i < sizeof(blk); i++)
		blk[i] = (uint8_t)(i * 37 + 1);
	blk[5] = 0;
	blk[5] = smbios_checksum(blk, sizeof(blk));
	ck_assert_uint_eq(sum8(blk, sizeof(blk)), 0);
	ck_assert_uint_eq(smbios_checksum(blk, sizeof(blk)), 0);
}
END_TEST

static Suite *smbios_suite(void)
{
	Suite *s = suite_create("smbios");
	TCase *tc = tcase_create("tables");
	TCase *td = tcase_create("dmidecode");
	TCase *to = tcase_create("option");

	tcase_add_test(tc, test_default_tables);
	tcase_add_test(tc, test_string_limits);
	tcase_add_test(tc, test_fact_errors);
	tcase_add_test(tc, test_serial_and_checksum);
	suite_add_tcase(s, tc);

	tcase_set_timeout(td, 60);
	tcase_add_test(td, test_dmidecode_default);
	tcase_add_test(td, test_dmidecode_sockets_and_big_memory);
	tcase_add_test(td, test_many_cpus);
	tcase_add_test(td, test_overrides_dmidecode);
	tcase_add_test(td, test_all_strings_removed);
	suite_add_tcase(s, td);

	tcase_add_test(to, test_option_errors);
	tcase_add_test(to, test_option_hostile);
	suite_add_tcase(s, to);
	return s;
}

int main(void)
{
	return test_main(smbios_suite());
}
