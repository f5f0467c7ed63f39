/* SPDX-License-Identifier: MIT */
#include "hv_features.h"
#include "hv_proto.h"
#include "util.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The version hvkvm reports: that of Windows Server 2019's hypervisor, 10.0.17763. */
#define HV_VERSION_BUILD	17763
#define HV_VERSION_MAJOR_MINOR	0x000a0000u

static const char *const feature_names[HV_FEAT_COUNT] = {
	[HV_FEAT_RELAXED] = "relaxed",
	[HV_FEAT_VPINDEX] = "vpindex",
	[HV_FEAT_RUNTIME] = "runtime",
	[HV_FEAT_TIME] = "time",
	[HV_FEAT_SYNIC] = "synic",
	[HV_FEAT_STIMER] = "stimer",
	[HV_FEAT_STIMER_DIRECT] = "stimer-direct",
	[HV_FEAT_FREQUENCIES] = "frequencies",
	[HV_FEAT_RESET] = "reset",
	[HV_FEAT_CRASH] = "crash",
	[HV_FEAT_IPI] = "ipi",
	[HV_FEAT_VAPIC] = "vapic",
};

/* Features that need others, as in QEMU. */
static const struct {
	enum hv_feature feat;
	uint32_t needs;
} deps[] = {
	{ HV_FEAT_SYNIC, 1u << HV_FEAT_VPINDEX },
	{ HV_FEAT_STIMER, (1u << HV_FEAT_SYNIC) | (1u << HV_FEAT_TIME) },
	{ HV_FEAT_STIMER_DIRECT, 1u << HV_FEAT_STIMER },
	{ HV_FEAT_IPI, 1u << HV_FEAT_VPINDEX },
};

/* Known to QEMU users but not offered here, with the reason. */
static const struct {
	const char *name;
	const char *why;
} refused[] = {
	{ "tlbflush", "KVM gives user space no way to flush another vCPU's TLB, so the flush hypercalls cannot be honoured" },
	{ "evmcs", "nested virtualization is not offered" },
	{ "reenlightenment", "TSC frequency changes are not offered" },
	{ "xmm-input", "XMM fast hypercall input is not implemented" },
};

void hv_features_default(struct hv_features *f)
{
	memset(f, 0, sizeof(*f));
	f->mask = (1u << HV_FEAT_COUNT) - 1;
	f->spinlock_retries = HV_SPINLOCKS_NEVER;
	snprintf(f->vendor, sizeof(f->vendor), "Microsoft Hv");
}

static int parse_item(const char *item, struct hv_features *f, char *err, size_t errlen)
{
	const char *eq = strchr(item, '=');
	size_t nlen = eq ? (size_t)(eq - item) : strlen(item);
	const char *val = eq ? eq + 1 : NULL;

	if (nlen == 9 && !strncmp(item, "spinlocks", 9)) {
		char *end;
		unsigned long n;

		if (!val || !*val)
			return util_fail(err, errlen, -EINVAL, "spinlocks: needs a retry count (spinlocks=N)");
		errno = 0;
		n = strtoul(val, &end, 0);
		if (errno || *end || n > 0xffffffffu || *val == '-')
			return util_fail(err, errlen, -EINVAL, "spinlocks=%s: not a 32-bit count", val);
		f->spinlock_retries = (uint32_t)n;
		return 0;
	}
	if (nlen == 9 && !strncmp(item, "vendor-id", 9)) {
		if (!val || !*val || strlen(val) > 12)
			return util_fail(err, errlen, -EINVAL, "vendor-id: 1 to 12 characters");
		memset(f->vendor, 0, sizeof(f->vendor));
		memcpy(f->vendor, val, strlen(val));
		return 0;
	}
	for (unsigned i = 0; i < HV_FEAT_COUNT; i++) {
		if (strlen(feature_names[i]) != nlen || strncmp(item, feature_names[i], nlen))
			continue;
		f->named |= 1u << i;
		if (!val || !strcmp(val, "on"))
			f->mask |= 1u << i;
		else if (!strcmp(val, "off"))
			f->mask &= ~(1u << i);
		else
			return util_fail(err, errlen, -EINVAL, "%s: expected %.*s, %.*s=on or %.*s=off", item,
					 (int)nlen, item, (int)nlen, item, (int)nlen, item);
		return 0;
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strlen(refused[i].name) == nlen && !strncmp(item, refused[i].name, nlen))
			return util_fail(err, errlen, -EINVAL, "%.*s: not offered: %s", (int)nlen, item,
					 refused[i].why);
	return util_fail(err, errlen, -EINVAL,
			 "%s: unknown feature (known: on, off, relaxed, vpindex, runtime, time, synic, "
			 "stimer, stimer-direct, frequencies, reset, crash, ipi, vapic, spinlocks=N, vendor-id=STR)", item);
}

int hv_features_parse(const char *s, struct hv_features *f, char *err, size_t errlen)
{
	char *copy, *save = NULL, *item;
	int r = 0;
	bool first = true;

	hv_features_default(f);
	f->mask = 0;
	if (!*s)
		return util_fail(err, errlen, -EINVAL, "empty (use on, off or a list of features)");
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item && r == 0; item = strtok_r(NULL, ",", &save)) {
		if (!strcmp(item, "on") || !strcmp(item, "off")) {
			if (!first) {
				r = util_fail(err, errlen, -EINVAL, "%s: on/off may only come first", item);
				break;
			}
			if (!strcmp(item, "on"))
				hv_features_default(f);
		} else {
			r = parse_item(item, f, err, errlen);
		}
		first = false;
	}
	free(copy);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
		if (hv_has(f, deps[i].feat) && (f->mask & deps[i].needs) != deps[i].needs) {
			char need[128];
			struct hv_features n = { .mask = deps[i].needs };

			return util_fail(err, errlen, -EINVAL, "%s: needs %s", feature_names[deps[i].feat],
					 hv_features_describe(&n, need, sizeof(need)));
		}
	}
	return 0;
}

const char *hv_features_describe(const struct hv_features *f, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < HV_FEAT_COUNT && n < len; i++)
		if (hv_has(f, (enum hv_feature)i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", feature_names[i]);
	if (!f->mask)
		snprintf(buf, len, "off");
	return buf;
}

void hv_features_bits(const struct hv_features *f, struct hv_cpuid_bits *b)
{
	memset(b, 0, sizeof(*b));
	if (!f->mask)
		return;
	/* The hypercall page and guest OS ID are the entry ticket. Hint 9 is not optional:
	 * hvkvm cannot auto-EOI on the in-kernel LAPIC, so guests must EOI SINT vectors. */
	b->priv_low = HV_ACCESS_HYPERCALL;
	b->hints = HV_HINT_DEPRECATE_AEOI;
	if (hv_has(f, HV_FEAT_RELAXED))
		b->hints |= HV_HINT_RELAXED_TIMING;
	if (hv_has(f, HV_FEAT_VPINDEX))
		b->priv_low |= HV_ACCESS_VP_INDEX;
	if (hv_has(f, HV_FEAT_RUNTIME))
		b->priv_low |= HV_ACCESS_VP_RUNTIME;
	if (hv_has(f, HV_FEAT_TIME))
		b->priv_low |= HV_ACCESS_TIME_REF_COUNT | HV_ACCESS_REFERENCE_TSC;
	if (hv_has(f, HV_FEAT_SYNIC)) {
		b->priv_low |= HV_ACCESS_SYNIC;
		b->priv_high |= HV_POST_MESSAGES | HV_SIGNAL_EVENTS;
	}
	if (hv_has(f, HV_FEAT_STIMER))
		b->priv_low |= HV_ACCESS_STIMER;
	if (hv_has(f, HV_FEAT_STIMER_DIRECT))
		b->features |= HV_FEATURE_STIMER_DIRECT;
	if (hv_has(f, HV_FEAT_FREQUENCIES)) {
		b->priv_low |= HV_ACCESS_FREQUENCY_MSRS;
		b->features |= HV_FEATURE_FREQUENCY_MSRS;
	}
	if (hv_has(f, HV_FEAT_RESET)) {
		b->priv_low |= HV_ACCESS_RESET;
		b->hints |= HV_HINT_SYSTEM_RESET;
	}
	if (hv_has(f, HV_FEAT_CRASH))
		b->features |= HV_FEATURE_GUEST_CRASH_MSRS;
	if (hv_has(f, HV_FEAT_IPI))
		b->hints |= HV_HINT_CLUSTER_IPI | HV_HINT_EX_PROCESSOR_MASKS;
	if (hv_has(f, HV_FEAT_VAPIC)) {
		b->priv_low |= HV_ACCESS_APIC_MSRS;
		b->hints |= HV_HINT_APIC_ACCESS;
	}
	b->features |= HV_FEATURE_HYPERCALL_MSR_LOCK;
}

static void add_leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t a, uint32_t b, uint32_t cx, uint32_t d)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->eax = a;
	e->ebx = b;
	e->ecx = cx;
	e->edx = d;
}

void hv_cpuid_add(const struct hv_features *f, unsigned max_vps, struct kvm_cpuid2 *c)
{
	struct hv_cpuid_bits b;
	uint32_t sig[3] = { 0 };
	long host_cpus = sysconf(_SC_NPROCESSORS_CONF);

	if (!f->mask)
		return;
	hv_features_bits(f, &b);
	memcpy(sig, f->vendor, strnlen(f->vendor, 12));
	add_leaf(c, HV_CPUID_VENDOR_AND_MAX, HV_CPUID_MAX, sig[0], sig[1], sig[2]);
	add_leaf(c, HV_CPUID_INTERFACE, HV_CPUID_INTERFACE_HV1, 0, 0, 0);
	add_leaf(c, HV_CPUID_VERSION, HV_VERSION_BUILD, HV_VERSION_MAJOR_MINOR, 0, 0);
	add_leaf(c, HV_CPUID_FEATURES, b.priv_low, b.priv_high, 0, b.features);
	add_leaf(c, HV_CPUID_ENLIGHTENMENT_INFO, b.hints, f->spinlock_retries, 0, 0);
	add_leaf(c, HV_CPUID_IMPLEMENT_LIMITS, max_vps, host_cpus > 0 ? (uint32_t)host_cpus : 1, 0, 0);
	/* KVM runs every guest with second-level address translation and MSR bitmaps. */
	add_leaf(c, HV_CPUID_HARDWARE_FEATURES, HV_HW_MSR_BITMAPS | HV_HW_SLAT, 0, 0, 0);
	/* No root-partition CPU management, no nested virtualization. */
	for (uint32_t fn = 0x40000007; fn <= HV_CPUID_MAX; fn++)
		add_leaf(c, fn, 0, 0, 0, 0);
}
