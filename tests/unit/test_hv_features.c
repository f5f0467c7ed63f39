/* SPDX-License-Identifier: MIT */
/*
 * --hv parsing, the CPUID bits each feature stands for, and the leaves
 * 0x40000000-0x4000000A as a guest reads them (TLFS "Feature Discovery", QEMU's
 * hv-* table; see build/notes/hv-facts.md §1 and §9).
 */
#include <check.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_features.h"
#include "hv_proto.h"
#include "testutil.h"

#define ALL_FEATURES	((1u << HV_FEAT_COUNT) - 1)
#define BIT(f)		(1u << (f))

static char err[512];

static int parse(const char *s, struct hv_features *f)
{
	memset(err, 0, sizeof(err));
	memset(f, 0x5a, sizeof(*f));
	return hv_features_parse(s, f, err, sizeof(err));
}

/* The parse fails with -EINVAL and a message that names each of the words. */
static void parse_fails(const char *s, const char *w1, const char *w2)
{
	struct hv_features f;
	int r = parse(s, &f);

	ck_assert_msg(r == -EINVAL, "--hv %s: %d, expected -EINVAL", s, r);
	ck_assert_msg(err[0] != '\0', "--hv %s: no error message", s);
	if (w1)
		ck_assert_msg(strstr(err, w1), "--hv %s: \"%s\" does not mention \"%s\"", s, err, w1);
	if (w2)
		ck_assert_msg(strstr(err, w2), "--hv %s: \"%s\" does not mention \"%s\"", s, err, w2);
}

static void parse_ok(const char *s, struct hv_features *f)
{
	int r = parse(s, f);

	ck_assert_msg(r == 0, "--hv %s: %d (%s)", s, r, err);
}

static void assert_defaults_besides_mask(const struct hv_features *f)
{
	ck_assert_uint_eq(f->spinlock_retries, HV_SPINLOCKS_NEVER);
	ck_assert_str_eq(f->vendor, "Microsoft Hv");
}

/* ---- hv_features_parse ----------------------------------------------------------- */

START_TEST(parse_on)
{
	struct hv_features f, d;

	parse_ok("on", &f);
	ck_assert_uint_eq(f.mask, ALL_FEATURES);
	assert_defaults_besides_mask(&f);
	hv_features_default(&d);
	ck_assert_uint_eq(d.mask, ALL_FEATURES);
	ck_assert_uint_eq(d.spinlock_retries, HV_SPINLOCKS_NEVER);
	ck_assert_str_eq(d.vendor, "Microsoft Hv");
}
END_TEST

START_TEST(parse_off)
{
	struct hv_features f;
	char buf[64];

	parse_ok("off", &f);
	ck_assert_uint_eq(f.mask, 0);
	ck_assert_str_eq(hv_features_describe(&f, buf, sizeof(buf)), "off");
}
END_TEST

START_TEST(parse_list)
{
	struct hv_features f;
	char buf[256];

	parse_ok("vpindex,synic", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_VPINDEX) | BIT(HV_FEAT_SYNIC));
	assert_defaults_besides_mask(&f);

	parse_ok("relaxed", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_RELAXED));

	parse_ok("crash,frequencies,reset,runtime,time", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_CRASH) | BIT(HV_FEAT_FREQUENCIES) | BIT(HV_FEAT_RESET) |
				  BIT(HV_FEAT_RUNTIME) | BIT(HV_FEAT_TIME));

	parse_ok("vpindex,time,synic,stimer,stimer-direct,ipi", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_VPINDEX) | BIT(HV_FEAT_TIME) | BIT(HV_FEAT_SYNIC) |
				  BIT(HV_FEAT_STIMER) | BIT(HV_FEAT_STIMER_DIRECT) | BIT(HV_FEAT_IPI));
	ck_assert_str_eq(hv_features_describe(&f, buf, sizeof(buf)),
			 "vpindex,time,synic,stimer,stimer-direct,ipi");

	/* "off" first, then a list: the same as the list alone. */
	parse_ok("off,relaxed,vpindex", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_RELAXED) | BIT(HV_FEAT_VPINDEX));
}
END_TEST

START_TEST(parse_name_on_off)
{
	struct hv_features f;

	parse_ok("relaxed=on,vpindex=on", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_RELAXED) | BIT(HV_FEAT_VPINDEX));
	parse_ok("relaxed=on,vpindex,relaxed=off", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_VPINDEX));
	parse_ok("crash=off", &f);
	ck_assert_uint_eq(f.mask, 0);
	parse_fails("relaxed=maybe", "relaxed", "relaxed=off");
	parse_fails("relaxed=", "relaxed", NULL);
}
END_TEST

START_TEST(parse_on_minus)
{
	struct hv_features f;

	parse_ok("on,ipi=off", &f);
	ck_assert_uint_eq(f.mask, ALL_FEATURES & ~BIT(HV_FEAT_IPI));
	assert_defaults_besides_mask(&f);

	parse_ok("on,stimer-direct=off,crash=off", &f);
	ck_assert_uint_eq(f.mask, ALL_FEATURES & ~(BIT(HV_FEAT_STIMER_DIRECT) | BIT(HV_FEAT_CRASH)));

	parse_ok("on,relaxed", &f);	/* already on: no change */
	ck_assert_uint_eq(f.mask, ALL_FEATURES);

	/* What the text named, on or off: how config_finish tells an asked-for vapic from
	 * the default. */
	parse_ok("on", &f);
	ck_assert_uint_eq(f.named, 0);
	parse_ok("on,vapic", &f);
	ck_assert_uint_eq(f.named, BIT(HV_FEAT_VAPIC));
	parse_ok("on,vapic=off,ipi=off", &f);
	ck_assert_uint_eq(f.named, BIT(HV_FEAT_VAPIC) | BIT(HV_FEAT_IPI));
	ck_assert_uint_eq(f.mask, ALL_FEATURES & ~(BIT(HV_FEAT_VAPIC) | BIT(HV_FEAT_IPI)));

	parse_ok("on,spinlocks=8191", &f);
	ck_assert_uint_eq(f.mask, ALL_FEATURES);
	ck_assert_uint_eq(f.spinlock_retries, 8191);

	parse_ok("on,vendor-id=hvkvm", &f);
	ck_assert_uint_eq(f.mask, ALL_FEATURES);
	ck_assert_str_eq(f.vendor, "hvkvm");

	/* Removing what others need is a dependency error, not a silent change. */
	parse_fails("on,vpindex=off", "vpindex", NULL);
	parse_fails("on,time=off", "stimer", "time");
	parse_fails("on,synic=off", "stimer", "synic");
	parse_fails("on,stimer=off", "stimer-direct", "needs");
}
END_TEST

START_TEST(parse_spinlocks)
{
	struct hv_features f;

	parse_ok("spinlocks=4096", &f);
	ck_assert_uint_eq(f.spinlock_retries, 4096);
	ck_assert_uint_eq(f.mask, 0);
	parse_ok("spinlocks=0x1fff", &f);
	ck_assert_uint_eq(f.spinlock_retries, 0x1fff);
	parse_ok("spinlocks=0xffffffff", &f);
	ck_assert_uint_eq(f.spinlock_retries, 0xffffffffu);
	parse_ok("spinlocks=4294967295", &f);
	ck_assert_uint_eq(f.spinlock_retries, 0xffffffffu);
	parse_ok("spinlocks=0", &f);
	ck_assert_uint_eq(f.spinlock_retries, 0);

	parse_fails("spinlocks=4294967296", "spinlocks", NULL);
	parse_fails("spinlocks=0x100000000", "spinlocks", NULL);
	parse_fails("spinlocks=99999999999999999999999", "spinlocks", NULL);
	parse_fails("spinlocks=-1", "spinlocks", NULL);
	parse_fails("spinlocks=-4294967295", "spinlocks", NULL);
	parse_fails("spinlocks=-18446744073709551615", "spinlocks", NULL);	/* wraps to 1 */
	parse_fails("spinlocks=", "spinlocks", NULL);
	parse_fails("spinlocks", "spinlocks", NULL);
	parse_fails("spinlocks=12abc", "spinlocks", NULL);
	parse_fails("spinlocks=0x", "spinlocks", NULL);
	parse_fails("spinlocks=ten", "spinlocks", NULL);
}
END_TEST

START_TEST(parse_vendor_id)
{
	struct hv_features f;

	parse_ok("vendor-id=A", &f);
	ck_assert_str_eq(f.vendor, "A");
	ck_assert_uint_eq(f.mask, 0);
	parse_ok("vendor-id=KVMKVMKVM", &f);
	ck_assert_str_eq(f.vendor, "KVMKVMKVM");
	/* The rest of the 13 bytes is NUL: the signature is NUL-padded. */
	for (size_t i = strlen("KVMKVMKVM"); i < sizeof(f.vendor); i++)
		ck_assert_int_eq(f.vendor[i], 0);
	parse_ok("vendor-id=abcdefghijkl", &f);
	ck_assert_str_eq(f.vendor, "abcdefghijkl");

	parse_fails("vendor-id=abcdefghijklm", "vendor-id", "12");
	parse_fails("vendor-id=", "vendor-id", NULL);
	parse_fails("vendor-id", "vendor-id", NULL);
}
END_TEST

START_TEST(parse_dependencies)
{
	struct hv_features f;

	parse_fails("synic", "synic", "needs vpindex");
	parse_fails("vpindex,synic,stimer", "stimer", "time");
	parse_fails("vpindex,time,stimer", "stimer", "synic");
	parse_fails("stimer", "stimer", "needs");
	parse_fails("vpindex,time,synic,stimer-direct", "stimer-direct", "needs stimer");
	parse_fails("ipi", "ipi", "needs vpindex");
	parse_fails("vpindex,ipi,vpindex=off", "ipi", "vpindex");

	/* Order in the list does not matter. */
	parse_ok("stimer,synic,time,vpindex", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_STIMER) | BIT(HV_FEAT_SYNIC) | BIT(HV_FEAT_TIME) |
				  BIT(HV_FEAT_VPINDEX));
	parse_ok("ipi,vpindex", &f);
	ck_assert_uint_eq(f.mask, BIT(HV_FEAT_IPI) | BIT(HV_FEAT_VPINDEX));
}
END_TEST

START_TEST(parse_refused)
{
	static const char *const names[] = { "tlbflush", "evmcs", "reenlightenment", "xmm-input" };
	char s[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *reason;

		parse_fails(names[i], names[i], "not offered");
		/* A reason follows the name: "NAME: not offered: WHY". */
		reason = strstr(err, "not offered");
		ck_assert_msg(strlen(reason) > strlen("not offered: ") + 10, "--hv %s: no reason in \"%s\"",
			      names[i], err);
		snprintf(s, sizeof(s), "on,%s", names[i]);
		parse_fails(s, names[i], "not offered");
		snprintf(s, sizeof(s), "%s=on", names[i]);
		parse_fails(s, names[i], "not offered");
	}
}
END_TEST

START_TEST(parse_unknown)
{
	parse_fails("frobnicate", "frobnicate", "unknown");
	parse_fails("on,frobnicate=on", "frobnicate", "unknown");
	parse_fails("relax", "relax", "unknown");
	parse_fails("relaxedx", "relaxedx", "unknown");
	parse_fails("hv-relaxed", "hv-relaxed", "unknown");
	/* The message lists what is known. */
	parse_fails("frobnicate", "stimer-direct", "spinlocks");
}
END_TEST

START_TEST(parse_on_off_not_first)
{
	parse_fails("relaxed,on", "on", "first");
	parse_fails("relaxed,off", "off", "first");
	parse_fails("on,off", "off", "first");
	parse_fails("off,on", "on", "first");
	parse_fails("on,on", "on", "first");
}
END_TEST

START_TEST(parse_empty)
{
	parse_fails("", "empty", NULL);
}
END_TEST

/* ---- hv_features_bits ------------------------------------------------------------ */

static void bits_of(const char *s, struct hv_cpuid_bits *b)
{
	struct hv_features f;

	parse_ok(s, &f);
	memset(b, 0xa5, sizeof(*b));
	hv_features_bits(&f, b);
}

#define ASSERT_BITS(s, lo, hi, feat, hint) do {						\
	struct hv_cpuid_bits _b;							\
	bits_of(s, &_b);								\
	ck_assert_msg(_b.priv_low == (lo), "%s: priv low 0x%x, expected 0x%x", s, _b.priv_low, (lo));	\
	ck_assert_msg(_b.priv_high == (hi), "%s: priv high 0x%x, expected 0x%x", s, _b.priv_high, (hi));	\
	ck_assert_msg(_b.features == (feat), "%s: features 0x%x, expected 0x%x", s, _b.features, (feat));	\
	ck_assert_msg(_b.hints == (hint), "%s: hints 0x%x, expected 0x%x", s, _b.hints, (hint));	\
} while (0)

START_TEST(bits_default)
{
	/*
	 * priv low: runtime 0, time 1+9, synic 2, stimer 3, hypercall 5, vpindex 6, reset 7,
	 * frequencies 11, APIC MSRs 4 = 0xaff. priv high: PostMessages 4, SignalEvents 5 = 0x30.
	 * features: frequencies 8, crash 10, hypercall MSR lock 18, direct stimers 19.
	 * hints: APIC MSRs 3, reset 4, relaxed 5, deprecate AutoEOI 9, cluster IPI 10,
	 * ExProcessorMasks 11.
	 */
	ASSERT_BITS("on", 0xaffu, 0x30u, 0xc0500u, 0xe38u);
	ASSERT_BITS("on,vapic=off", 0xaefu, 0x30u, 0xc0500u, 0xe30u);
}
END_TEST

START_TEST(bits_off)
{
	ASSERT_BITS("off", 0u, 0u, 0u, 0u);
}
END_TEST

START_TEST(bits_subsets)
{
	ASSERT_BITS("relaxed", 0x20u, 0u, 0x40000u, 0x220u);
	ASSERT_BITS("vpindex", 0x60u, 0u, 0x40000u, 0x200u);
	ASSERT_BITS("runtime", 0x21u, 0u, 0x40000u, 0x200u);
	ASSERT_BITS("time", 0x222u, 0u, 0x40000u, 0x200u);
	ASSERT_BITS("vpindex,synic", 0x64u, 0x30u, 0x40000u, 0x200u);
	ASSERT_BITS("vpindex,time,synic,stimer", 0x26eu, 0x30u, 0x40000u, 0x200u);
	ASSERT_BITS("vpindex,time,synic,stimer,stimer-direct", 0x26eu, 0x30u, 0xc0000u, 0x200u);
	ASSERT_BITS("frequencies", 0x820u, 0u, 0x40100u, 0x200u);
	ASSERT_BITS("reset", 0xa0u, 0u, 0x40000u, 0x210u);
	ASSERT_BITS("crash", 0x20u, 0u, 0x40400u, 0x200u);
	ASSERT_BITS("vpindex,ipi", 0x60u, 0u, 0x40000u, 0xe00u);
	ASSERT_BITS("vapic", 0x30u, 0u, 0x40000u, 0x208u);
	/* Only vendor-id/spinlocks: no feature, so no Hyper-V at all. */
	ASSERT_BITS("spinlocks=5", 0u, 0u, 0u, 0u);
}
END_TEST

START_TEST(bits_never)
{
	static const char *const sets[] = { "on", "relaxed", "vpindex,ipi", "crash", "vapic" };

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct hv_cpuid_bits b;

		bits_of(sets[i], &b);
		/* Mandatory for Linux: hypercall + guest OS ID; hint 9 always (no AutoEOI). */
		ck_assert(b.priv_low & HV_ACCESS_HYPERCALL);
		ck_assert(b.hints & HV_HINT_DEPRECATE_AEOI);
		/* Never: partition id (Linux BUG()s), extended hypercalls, root, isolation. */
		ck_assert(!(b.priv_high & ((1u << 1) | (1u << 12) | (1u << 20) | (1u << 22))));
		/* Never: the TLB flush hint (fact 0.4). */
		ck_assert(!(b.hints & HV_HINT_REMOTE_TLB_FLUSH));
		/* Never: XMM fast input (not implemented), guest idle (not implemented). */
		ck_assert(!(b.features & (1u << 4)));
		ck_assert(!(b.priv_low & HV_ACCESS_GUEST_IDLE));
		ck_assert(!(b.priv_low & 0xffff0000u));
	}
}
END_TEST

/* ---- hv_cpuid_add ---------------------------------------------------------------- */

#define PRE_ENTRIES 2

static struct kvm_cpuid2 *cpuid_table(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 32 * sizeof(c->entries[0]));

	ck_assert_ptr_nonnull(c);
	/* Entries already there must survive. */
	c->entries[0].function = 0;
	c->entries[0].eax = 0xd;
	c->entries[1].function = 1;
	c->entries[1].ecx = 1u << 31;
	c->nent = PRE_ENTRIES;
	return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn)
{
	const struct kvm_cpuid_entry2 *found = NULL;
	unsigned n = 0;

	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function == fn) {
			found = &c->entries[i];
			n++;
		}
	}
	ck_assert_msg(n == 1, "leaf 0x%x appears %u times", fn, n);
	return found;
}

static void cpuid_of(const char *s, unsigned max_vps, struct kvm_cpuid2 **out, struct hv_cpuid_bits *b)
{
	struct hv_features f;
	struct kvm_cpuid2 *c = cpuid_table();

	parse_ok(s, &f);
	hv_features_bits(&f, b);
	hv_cpuid_add(&f, max_vps, c);
	*out = c;
}

START_TEST(cpuid_leaves_once)
{
	struct kvm_cpuid2 *c;
	struct hv_cpuid_bits b;

	cpuid_of("on", 64, &c, &b);
	ck_assert_uint_eq(c->nent, PRE_ENTRIES + 11);
	ck_assert_uint_eq(c->entries[0].eax, 0xd);
	ck_assert_uint_eq(c->entries[1].ecx, 1u << 31);
	for (uint32_t fn = 0x40000000; fn <= 0x4000000a; fn++) {
		const struct kvm_cpuid_entry2 *e = leaf(c, fn);

		ck_assert_uint_eq(e->index, 0);
		ck_assert_uint_eq(e->flags, 0);
	}
	/* Nothing beyond the max leaf in the hypervisor range. */
	for (unsigned i = 0; i < c->nent; i++)
		ck_assert(c->entries[i].function <= 0x4000000a || c->entries[i].function >= 0x50000000);
	free(c);
}
END_TEST

START_TEST(cpuid_vendor_and_max)
{
	struct kvm_cpuid2 *c;
	struct hv_cpuid_bits b;
	const struct kvm_cpuid_entry2 *e;

	cpuid_of("on", 64, &c, &b);
	e = leaf(c, 0x40000000);
	/* The max leaf covers every leaf given and is at least 0x40000005 (Linux checks). */
	ck_assert_uint_eq(e->eax, 0x4000000a);
	ck_assert_uint_eq(e->ebx, 0x7263694d);	/* "Micr" */
	ck_assert_uint_eq(e->ecx, 0x666f736f);	/* "osof" */
	ck_assert_uint_eq(e->edx, 0x76482074);	/* "t Hv" */
	e = leaf(c, 0x40000001);
	ck_assert_uint_eq(e->eax, 0x31237648);	/* "Hv#1" */
	ck_assert_uint_eq(e->ebx, 0);
	ck_assert_uint_eq(e->ecx, 0);
	ck_assert_uint_eq(e->edx, 0);
	free(c);

	cpuid_of("on,vendor-id=KVMKVM", 64, &c, &b);
	e = leaf(c, 0x40000000);
	ck_assert_uint_eq(e->eax, 0x4000000a);
	ck_assert_uint_eq(e->ebx, 0x4b4d564b);	/* "KVMK" */
	ck_assert_uint_eq(e->ecx, 0x00004d56);	/* "VM\0\0" */
	ck_assert_uint_eq(e->edx, 0);
	free(c);

	cpuid_of("on,vendor-id=abcdefghijkl", 64, &c, &b);
	e = leaf(c, 0x40000000);
	ck_assert_uint_eq(e->ebx, 0x64636261);
	ck_assert_uint_eq(e->ecx, 0x68676665);
	ck_assert_uint_eq(e->edx, 0x6c6b6a69);
	free(c);
}
END_TEST

START_TEST(cpuid_features_and_limits)
{
	struct kvm_cpuid2 *c;
	struct hv_cpuid_bits b;
	const struct kvm_cpuid_entry2 *e;

	cpuid_of("on,spinlocks=0x1234", 288, &c, &b);
	e = leaf(c, 0x40000002);
	ck_assert_uint_ne(e->eax, 0);			/* build number */
	ck_assert_uint_eq(e->ebx >> 16, 10);		/* major 10 */
	e = leaf(c, 0x40000003);
	ck_assert_uint_eq(e->eax, b.priv_low);
	ck_assert_uint_eq(e->ebx, b.priv_high);
	ck_assert_uint_eq(e->ecx, 0);
	ck_assert_uint_eq(e->edx, b.features);
	ck_assert_uint_eq(e->eax, 0xaff);
	e = leaf(c, 0x40000004);
	ck_assert_uint_eq(e->eax, b.hints);
	ck_assert_uint_eq(e->eax, 0xe38);
	ck_assert_uint_eq(e->ebx, 0x1234);
	ck_assert_uint_eq(e->ecx, 0);
	ck_assert_uint_eq(e->edx, 0);
	e = leaf(c, 0x40000005);
	ck_assert_uint_eq(e->eax, 288);
	ck_assert_uint_ge(e->ebx, 1);
	ck_assert_uint_eq(e->ecx, 0);
	ck_assert_uint_eq(e->edx, 0);
	for (uint32_t fn = 0x40000007; fn <= 0x4000000a; fn++) {
		e = leaf(c, fn);
		ck_assert_msg(!e->eax && !e->ebx && !e->ecx && !e->edx, "leaf 0x%x not zero", fn);
	}
	free(c);

	/* The default spin count: never notify. */
	cpuid_of("vpindex", 1, &c, &b);
	e = leaf(c, 0x40000004);
	ck_assert_uint_eq(e->eax, 0x200);
	ck_assert_uint_eq(e->ebx, 0xffffffffu);
	ck_assert_uint_eq(leaf(c, 0x40000003)->eax, 0x60);
	ck_assert_uint_eq(leaf(c, 0x40000005)->eax, 1);
	free(c);
}
END_TEST

START_TEST(cpuid_off_adds_nothing)
{
	struct kvm_cpuid2 *c;
	struct hv_cpuid_bits b;

	cpuid_of("off", 64, &c, &b);
	ck_assert_uint_eq(c->nent, PRE_ENTRIES);
	free(c);
	cpuid_of("vendor-id=abc,spinlocks=3", 64, &c, &b);
	ck_assert_uint_eq(c->nent, PRE_ENTRIES);
	for (unsigned i = 0; i < 32; i++)
		ck_assert(i < PRE_ENTRIES || c->entries[i].function == 0);
	free(c);
}
END_TEST

static Suite *hv_features_suite(void)
{
	Suite *s = suite_create("hv_features");
	TCase *tp = tcase_create("parse");
	TCase *tb = tcase_create("bits");
	TCase *tc = tcase_create("cpuid");

	tcase_add_test(tp, parse_on);
	tcase_add_test(tp, parse_off);
	tcase_add_test(tp, parse_list);
	tcase_add_test(tp, parse_name_on_off);
	tcase_add_test(tp, parse_on_minus);
	tcase_add_test(tp, parse_spinlocks);
	tcase_add_test(tp, parse_vendor_id);
	tcase_add_test(tp, parse_dependencies);
	tcase_add_test(tp, parse_refused);
	tcase_add_test(tp, parse_unknown);
	tcase_add_test(tp, parse_on_off_not_first);
	tcase_add_test(tp, parse_empty);
	suite_add_tcase(s, tp);

	tcase_add_test(tb, bits_default);
	tcase_add_test(tb, bits_off);
	tcase_add_test(tb, bits_subsets);
	tcase_add_test(tb, bits_never);
	suite_add_tcase(s, tb);

	tcase_add_test(tc, cpuid_leaves_once);
	tcase_add_test(tc, cpuid_vendor_and_max);
	tcase_add_test(tc, cpuid_features_and_limits);
	tcase_add_test(tc, cpuid_off_adds_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(hv_features_suite());
}
