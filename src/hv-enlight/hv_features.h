/* SPDX-License-Identifier: MIT */
/*
 * Which parts of the Hyper-V interface a VM offers (--hv), and the CPUID leaves that
 * tell the guest so. Names follow QEMU's hv-* properties.
 */
#ifndef HVKVM_HV_FEATURES_H
#define HVKVM_HV_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid2;

enum hv_feature {
	HV_FEAT_RELAXED,
	HV_FEAT_VPINDEX,
	HV_FEAT_RUNTIME,
	HV_FEAT_TIME,
	HV_FEAT_SYNIC,
	HV_FEAT_STIMER,
	HV_FEAT_STIMER_DIRECT,
	HV_FEAT_FREQUENCIES,
	HV_FEAT_RESET,
	HV_FEAT_CRASH,
	HV_FEAT_IPI,
	HV_FEAT_VAPIC,
	HV_FEAT_COUNT
};

#define HV_SPINLOCKS_NEVER	0xffffffffu

struct hv_features {
	uint32_t mask;			/* 1 << enum hv_feature; 0 = no Hyper-V at all */
	uint32_t named;			/* features the text named (NAME, NAME=on or NAME=off) */
	uint32_t spinlock_retries;	/* CPUID 0x40000004 EBX */
	char vendor[13];		/* CPUID 0x40000000 signature, NUL-terminated */
};

static inline bool hv_has(const struct hv_features *f, enum hv_feature feat)
{
	return f->mask & (1u << feat);
}

/* Everything hvkvm implements: what --hv on (the default) means. */
void hv_features_default(struct hv_features *f);
/* Parse "on", "off", or a comma list of names, name=on|off, spinlocks=N, vendor-id=STR;
 * a list that does not start with on/off starts from nothing. On error -EINVAL and in
 * err "ITEM: problem" (or "empty ..."), which the caller prefixes with its name for
 * the setting. */
int hv_features_parse(const char *s, struct hv_features *f, char *err, size_t errlen);
/* "relaxed,vpindex,..." for messages and vm.info; returns buf. */
const char *hv_features_describe(const struct hv_features *f, char *buf, size_t len);

struct hv_cpuid_bits {
	uint32_t priv_low, priv_high, features, hints;
};
void hv_features_bits(const struct hv_features *f, struct hv_cpuid_bits *b);

/* Append leaves 0x40000000-0x4000000A; the table needs room for 11 more entries. */
void hv_cpuid_add(const struct hv_features *f, unsigned max_vps, struct kvm_cpuid2 *c);

#endif
