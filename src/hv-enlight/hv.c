/* SPDX-License-Identifier: MIT */
#include "hv_internal.h"
#include "io.h"
#include "log.h"
#include "memory.h"
#include "vcpu.h"
#include "vm.h"

#include <ctype.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/*
 * The hypercall page. It must work whether the guest calls it in 64-bit or 32-bit
 * mode, so it first tells the two apart: 0x40 is a REX prefix in 64-bit mode and
 * "inc eax" in 32-bit mode. In 64-bit mode a fast HvSignalEvent with flag 0 (what
 * VMBus guests send for every ring signal) writes the connection id to the signal
 * port, where an ioeventfd can take it without leaving the kernel; everything else
 * writes to the hypercall port, and hvkvm reads and writes the registers itself.
 * ENDBR64 first: kernels built with IBT check for it.
 */
static const uint8_t hypercall_code[] = {
	0xf3, 0x0f, 0x1e, 0xfa,			/* 00 endbr64 */
	0x50,					/* 04 push rax */
	0x31, 0xc0,				/* 05 xor eax, eax */
	0x40,					/* 07 rex (64) | inc eax (32) */
	0x90,					/* 08 nop */
	0x85, 0xc0,				/* 09 test eax, eax */
	0x58,					/* 0b pop rax */
	0x75, 0x19,				/* 0c jnz 0x27 (32-bit) */
	0x48, 0x81, 0xf9, 0x5d, 0x00, 0x01, 0x00, /* 0e cmp rcx, 0x1005d (fast HvSignalEvent) */
	0x75, 0x10,				/* 15 jne 0x27 */
	0x48, 0x89, 0xd0,			/* 17 mov rax, rdx */
	0x48, 0xc1, 0xe8, 0x20,			/* 1a shr rax, 32 (flag number, reserved) */
	0x75, 0x07,				/* 1e jnz 0x27 */
	0x89, 0xd0,				/* 20 mov eax, edx (connection id) */
	0xe7, HV_SIGNAL_PORT,			/* 22 out 0x37, eax */
	0x31, 0xc0,				/* 24 xor eax, eax (HV_STATUS_SUCCESS) */
	0xc3,					/* 26 ret */
	0xe7, HV_HYPERCALL_PORT,		/* 27 out 0x36, eax */
	0xc3,					/* 29 ret */
};

_Static_assert(HV_PAGE_SIGNAL_OUT == 0x22, "the signal port's out instruction");

static void reference_tsc_fill(struct hv *hv);

static uint64_t hv_clock_now_of(void *opaque)
{
	struct hv *hv = opaque;

	/* The clock changes only at boot and pause/resume, with every vCPU and timer
	 * stopped, on the loop thread. */
	return hv->clock_valid ? hv_clock_now(&hv->clock) : 0;
}

struct hv *hv_new(const struct hv_features *f, const struct gmem *mem, unsigned nvp,
		  struct loop *loop, synic_inject_fn *inject, void *inject_ctx)
{
	struct hv *hv = calloc(1, sizeof(*hv));

	if (!hv)
		return NULL;
	hv->feat = *f;
	hv_features_bits(f, &hv->bits);
	hv->mem = mem;
	hv->nvp = nvp;
	pthread_mutex_init(&hv->lock, NULL);
	pthread_rwlock_init(&hv->conn_lock, NULL);
	hv->vp = calloc(nvp, sizeof(*hv->vp));
	hv->synic = synic_new(mem, nvp, inject, inject_ctx);
	hv->stimers = hv->synic ? stimers_new(loop, hv->synic, &hv->clock, nvp,
					      hv_has(f, HV_FEAT_STIMER_DIRECT)) : NULL;
	if (!hv->vp || !hv->synic || !hv->stimers) {
		hv_free(hv);
		return NULL;
	}
	synic_set_clock(hv->synic, hv_clock_now_of, hv);
	return hv;
}

void hv_free(struct hv *hv)
{
	if (!hv)
		return;
	stimers_free(hv->stimers);
	synic_free(hv->synic);
	free(hv->vp);
	free(hv->conn);
	pthread_rwlock_destroy(&hv->conn_lock);
	pthread_mutex_destroy(&hv->lock);
	free(hv);
}

void hv_reset(struct hv *hv)
{
	stimers_reset(hv->stimers);
	synic_reset(hv->synic);
	pthread_mutex_lock(&hv->lock);
	hv->guest_os_id = 0;
	hv->hypercall = 0;
	hv->reference_tsc = 0;
	memset(hv->crash_p, 0, sizeof(hv->crash_p));
	memset(hv->vp, 0, hv->nvp * sizeof(*hv->vp));
	pthread_mutex_unlock(&hv->lock);
}

int hv_set_clock(struct hv *hv, uint64_t tsc_hz, int64_t tsc_offset, uint64_t guest_tsc_start)
{
	int r;

	pthread_mutex_lock(&hv->lock);
	r = hv_clock_init(&hv->clock, tsc_hz, tsc_offset, guest_tsc_start);
	hv->clock_valid = r == 0;
	pthread_mutex_unlock(&hv->lock);
	return r;
}

void hv_pause(struct hv *hv)
{
	stimers_suspend(hv->stimers);
	pthread_mutex_lock(&hv->lock);
	if (hv->clock_valid)
		hv_clock_stop(&hv->clock);
	pthread_mutex_unlock(&hv->lock);
}

void hv_resume(struct hv *hv)
{
	pthread_mutex_lock(&hv->lock);
	if (hv->clock_valid && hv->clock.stopped) {
		hv_clock_restart(&hv->clock);
		reference_tsc_fill(hv);
	}
	pthread_mutex_unlock(&hv->lock);
	stimers_resume(hv->stimers);
}

void hv_set_crash_fn(struct hv *hv, hv_crash_fn *fn, void *opaque)
{
	hv->crash_fn = fn;
	hv->crash_opaque = opaque;
}

struct synic *hv_synic(struct hv *hv)
{
	return hv->synic;
}

uint64_t hv_reference_time(struct hv *hv)
{
	uint64_t t = 0;

	pthread_mutex_lock(&hv->lock);
	if (hv->clock_valid)
		t = hv_clock_now(&hv->clock);
	pthread_mutex_unlock(&hv->lock);
	return t;
}

/* Index of the first connection whose id is not below id. */
static unsigned conn_lower_bound(const struct hv *hv, uint32_t id)
{
	unsigned lo = 0, hi = hv->nconn;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (hv->conn[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct hv_connection *hv_conn_find(struct hv *hv, uint32_t id)
{
	unsigned i = conn_lower_bound(hv, id);

	return i < hv->nconn && hv->conn[i].id == id ? &hv->conn[i] : NULL;
}

static int hv_connect(struct hv *hv, uint32_t id, hv_message_fn *msg, hv_event_fn *event, void *opaque,
		      int fd)
{
	unsigned i;
	int r = 0;

	if (id & 0xff000000u)
		return -EINVAL;
	pthread_rwlock_wrlock(&hv->conn_lock);
	i = conn_lower_bound(hv, id);
	if (i < hv->nconn && hv->conn[i].id == id) {
		r = -EEXIST;
	} else if (hv->nconn == HV_MAX_CONNECTIONS) {
		r = -ENOSPC;
	} else if (hv->nconn == hv->conn_cap) {
		unsigned cap = hv->conn_cap ? hv->conn_cap * 2 : 16;
		struct hv_connection *c = realloc(hv->conn, cap * sizeof(*c));

		if (c) {
			hv->conn = c;
			hv->conn_cap = cap;
		} else {
			r = -ENOMEM;
		}
	}
	if (r == 0) {
		memmove(&hv->conn[i + 1], &hv->conn[i], (hv->nconn - i) * sizeof(hv->conn[0]));
		hv->conn[i] = (struct hv_connection){ id, msg, event, opaque, fd };
		hv->nconn++;
	}
	pthread_rwlock_unlock(&hv->conn_lock);
	return r;
}

int hv_connect_messages(struct hv *hv, uint32_t conn_id, hv_message_fn *fn, void *opaque)
{
	return hv_connect(hv, conn_id, fn, NULL, opaque, -1);
}

int hv_connect_events(struct hv *hv, uint32_t conn_id, hv_event_fn *fn, void *opaque)
{
	return hv_connect(hv, conn_id, NULL, fn, opaque, -1);
}

/* The slow path of an eventfd connection: what KVM does on the fast one. */
static int hv_event_to_fd(void *opaque, unsigned vp, uint16_t flag)
{
	uint64_t one = 1;
	int fd = (int)(intptr_t)opaque;

	(void)vp;
	if (flag != 0)
		return HV_STATUS_INVALID_PORT_ID;	/* a channel has a single flag */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	return HV_STATUS_SUCCESS;
}

int hv_connect_eventfd(struct hv *hv, uint32_t conn_id, int fd)
{
	int r = hv_connect(hv, conn_id, NULL, hv_event_to_fd, (void *)(intptr_t)fd, fd);

	if (r == 0 && hv->vm) {
		r = vm_ioeventfd_add(hv->vm, HV_SIGNAL_PORT, 4, conn_id, fd);
		if (r < 0) {
			/* Still correct, only slower: every signal takes the exit. */
			log_warn_limited(&hv->ioeventfd_rl, "KVM_IOEVENTFD: %s; guest signals go through hvkvm",
					 strerror(-r));
			r = 0;
		}
	}
	return r;
}

void hv_disconnect(struct hv *hv, uint32_t conn_id)
{
	int fd = -1;

	struct hv_connection *c;

	pthread_rwlock_wrlock(&hv->conn_lock);
	c = hv_conn_find(hv, conn_id);
	if (c) {
		fd = c->eventfd;
		memmove(c, c + 1, (size_t)(&hv->conn[hv->nconn] - (c + 1)) * sizeof(*c));
		hv->nconn--;
	}
	pthread_rwlock_unlock(&hv->conn_lock);
	if (fd >= 0 && hv->vm)
		vm_ioeventfd_del(hv->vm, HV_SIGNAL_PORT, 4, conn_id, fd);
}

/* ---- partition MSRs ------------------------------------------------------------ */

/* EOI, ICR and TPR are the vCPU's LAPIC registers, which KVM keeps: the x2APIC MSR of the
 * same register for each, 0 for any other MSR. Only hv_vm_msr_read/write reach them. */
#define X2APIC_MSR_TPR	0x808
#define X2APIC_MSR_EOI	0x80b
#define X2APIC_MSR_ICR	0x830

static uint32_t apic_msr_x2apic(uint32_t msr)
{
	switch (msr) {
	case HV_X64_MSR_EOI: return X2APIC_MSR_EOI;
	case HV_X64_MSR_ICR: return X2APIC_MSR_ICR;
	case HV_X64_MSR_TPR: return X2APIC_MSR_TPR;
	default: return 0;
	}
}

/* The privilege or feature bit that makes each synthetic MSR exist. */
static bool msr_offered(const struct hv *hv, uint32_t msr)
{
	const struct hv_cpuid_bits *b = &hv->bits;

	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
	case HV_X64_MSR_HYPERCALL:
		return b->priv_low & HV_ACCESS_HYPERCALL;
	case HV_X64_MSR_VP_INDEX:
		return b->priv_low & HV_ACCESS_VP_INDEX;
	case HV_X64_MSR_RESET:
		return b->priv_low & HV_ACCESS_RESET;
	case HV_X64_MSR_VP_RUNTIME:
		return b->priv_low & HV_ACCESS_VP_RUNTIME;
	case HV_X64_MSR_TIME_REF_COUNT:
		return b->priv_low & HV_ACCESS_TIME_REF_COUNT;
	case HV_X64_MSR_REFERENCE_TSC:
		return b->priv_low & HV_ACCESS_REFERENCE_TSC;
	case HV_X64_MSR_TSC_FREQUENCY:
	case HV_X64_MSR_APIC_FREQUENCY:
		return b->priv_low & HV_ACCESS_FREQUENCY_MSRS;
	case HV_X64_MSR_VP_ASSIST_PAGE:
		/* Linux writes it on every CPU whatever the privileges say; hvkvm keeps the
		 * value so the guest reads back what it wrote. */
		return b->priv_low & HV_ACCESS_HYPERCALL;
	case HV_X64_MSR_EOI:
	case HV_X64_MSR_ICR:
	case HV_X64_MSR_TPR:
		return b->priv_low & HV_ACCESS_APIC_MSRS;
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_CTL:
		return b->features & HV_FEATURE_GUEST_CRASH_MSRS;
	case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		return b->priv_low & HV_ACCESS_SYNIC;
	case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
		return b->priv_low & HV_ACCESS_STIMER;
	default:
		return false;
	}
}

static uint64_t vp_runtime_100ns(void)
{
	struct timespec ts;

	/* The calling thread is the vCPU's: its CPU time is the time the VP ran. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) / 100;
}

static void hypercall_page_fill(struct hv *hv)
{
	uint8_t *page = gmem_ptr(hv->mem, hv->hypercall & ~(GMEM_PAGE_SIZE - 1), GMEM_PAGE_SIZE);

	/* int3 everywhere else: a jump into the page's middle traps in the guest. */
	memset(page, 0xcc, GMEM_PAGE_SIZE);
	memcpy(page, hypercall_code, sizeof(hypercall_code));
}

static void reference_tsc_fill(struct hv *hv)
{
	struct hv_reference_tsc_page *p;

	if (!(hv->reference_tsc & HV_PAGE_ENABLE))
		return;
	p = gmem_ptr(hv->mem, hv->reference_tsc & ~(GMEM_PAGE_SIZE - 1), GMEM_PAGE_SIZE);
	if (!p)
		return;
	if (!hv->clock_valid) {
		/* Sequence 0 (at offset 0 of the page) sends the guest to TIME_REF_COUNT. */
		__atomic_store_n((uint32_t *)__builtin_assume_aligned(p, 4), 0, __ATOMIC_RELEASE);
		return;
	}
	if (++hv->tsc_sequence == 0)
		hv->tsc_sequence = 1;
	hv_clock_fill_page(&hv->clock, hv->tsc_sequence, p);
}

/* The guest's crash text (up to HV_CRASH_MESSAGE_MAX bytes) into buf, printable only. */
static void crash_read_message(struct hv *hv, uint64_t gpa, uint64_t len, char *buf)
{
	buf[0] = '\0';
	if (len > HV_CRASH_MESSAGE_MAX)
		len = HV_CRASH_MESSAGE_MAX;
	if (gmem_read(hv->mem, gpa, buf, len) < 0) {
		log_error("guest crash message at 0x%llx (%llu bytes) is outside RAM",
			  (unsigned long long)gpa, (unsigned long long)len);
		return;
	}
	for (uint64_t i = 0; i < len; i++)
		if (buf[i] != '\n' && !isprint((unsigned char)buf[i]))
			buf[i] = '.';
	buf[len] = '\0';
}

static void crash_report(struct hv *hv, uint64_t ctl)
{
	const uint64_t *p = hv->crash_p;
	char msg[HV_CRASH_MESSAGE_MAX + 1] = "";
	char lines[sizeof(msg)], *line, *save = NULL;

	log_error("guest crashed: CRASH_CTL 0x%016llx P0 0x%llx P1 0x%llx P2 0x%llx P3 0x%llx P4 0x%llx",
		  (unsigned long long)ctl, (unsigned long long)p[0], (unsigned long long)p[1],
		  (unsigned long long)p[2], (unsigned long long)p[3], (unsigned long long)p[4]);
	if (ctl & HV_CRASH_CTL_MESSAGE) {
		crash_read_message(hv, p[3], p[4], msg);
		memcpy(lines, msg, sizeof(lines));
		for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			log_error("guest: %s", line);
	}
	if (hv->crash_fn)
		hv->crash_fn(hv->crash_opaque, ctl, p, msg);
	if (hv->vm)
		vm_request(hv->vm, hv->on_crash == HV_CRASH_RESET ? VM_REQ_RESET : VM_REQ_CRASH);
}

int hv_msr_read(struct hv *hv, unsigned vp, uint32_t msr, uint64_t *val)
{
	int r = 0;

	if (!msr_offered(hv, msr) || vp >= hv->nvp || apic_msr_x2apic(msr))
		return -EPERM;
	__atomic_fetch_add(&hv->msr_reads[msr & 0x1ff], 1, __ATOMIC_RELAXED);
	if ((msr >= HV_X64_MSR_SCONTROL && msr <= HV_X64_MSR_SINT15))
		return synic_msr_read(hv->synic, vp, msr, val);
	if (msr >= HV_X64_MSR_STIMER0_CONFIG && msr <= HV_X64_MSR_STIMER3_COUNT)
		return stimer_msr_read(hv->stimers, vp, msr, val);
	pthread_mutex_lock(&hv->lock);
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
		*val = hv->guest_os_id;
		break;
	case HV_X64_MSR_HYPERCALL:
		*val = hv->hypercall;
		break;
	case HV_X64_MSR_VP_INDEX:
		*val = vp;
		break;
	case HV_X64_MSR_RESET:
		*val = 0;
		break;
	case HV_X64_MSR_VP_RUNTIME:
		*val = vp_runtime_100ns();
		break;
	case HV_X64_MSR_TIME_REF_COUNT:
		if (!hv->clock_valid)
			r = -EPERM;
		else
			*val = hv_clock_now(&hv->clock);
		break;
	case HV_X64_MSR_REFERENCE_TSC:
		*val = hv->reference_tsc;
		break;
	case HV_X64_MSR_TSC_FREQUENCY:
		*val = hv->clock.tsc_hz;
		break;
	case HV_X64_MSR_APIC_FREQUENCY:
		*val = HV_APIC_FREQUENCY_HZ;
		break;
	case HV_X64_MSR_VP_ASSIST_PAGE:
		*val = hv->vp[vp].vp_assist;
		break;
	case HV_X64_MSR_CRASH_CTL:
		*val = HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE;
		break;
	default:
		*val = hv->crash_p[msr - HV_X64_MSR_CRASH_P0];
		break;
	}
	pthread_mutex_unlock(&hv->lock);
	return r;
}

static int hypercall_msr_write(struct hv *hv, uint64_t val)
{
	if (hv->hypercall & HV_HYPERCALL_LOCKED)
		return -EPERM;
	if (val & HV_HYPERCALL_RSVD)
		return -EPERM;
	/* Without a guest OS ID the enable bit does not stick (TLFS). */
	if (!hv->guest_os_id)
		val &= ~HV_HYPERCALL_ENABLE;
	if ((val & HV_HYPERCALL_ENABLE) &&
	    !gmem_ptr(hv->mem, val & ~(GMEM_PAGE_SIZE - 1), GMEM_PAGE_SIZE))
		return -EPERM;
	hv->hypercall = val;
	if (val & HV_HYPERCALL_ENABLE)
		hypercall_page_fill(hv);
	return 0;
}

int hv_msr_write(struct hv *hv, unsigned vp, uint32_t msr, uint64_t val)
{
	uint64_t crash_ctl = 0;
	int r = 0;

	if (!msr_offered(hv, msr) || vp >= hv->nvp || apic_msr_x2apic(msr))
		return -EPERM;
	__atomic_fetch_add(&hv->msr_writes[msr & 0x1ff], 1, __ATOMIC_RELAXED);
	if (msr >= HV_X64_MSR_SCONTROL && msr <= HV_X64_MSR_SINT15)
		return synic_msr_write(hv->synic, vp, msr, val);
	if (msr >= HV_X64_MSR_STIMER0_CONFIG && msr <= HV_X64_MSR_STIMER3_COUNT)
		return stimer_msr_write(hv->stimers, vp, msr, val);
	pthread_mutex_lock(&hv->lock);
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
		hv->guest_os_id = val;
		if (!val)
			hv->hypercall &= ~HV_HYPERCALL_ENABLE;
		break;
	case HV_X64_MSR_HYPERCALL:
		r = hypercall_msr_write(hv, val);
		break;
	case HV_X64_MSR_RESET:
		if ((val & 1) && hv->vm) {
			log_info("guest reset through the Hyper-V reset MSR");
			vm_request(hv->vm, VM_REQ_RESET);
		}
		break;
	case HV_X64_MSR_REFERENCE_TSC:
		if (val & HV_PAGE_RSVD) {
			r = -EPERM;
			break;
		}
		hv->reference_tsc = val;
		reference_tsc_fill(hv);
		break;
	case HV_X64_MSR_VP_ASSIST_PAGE:
		if (val & HV_PAGE_RSVD)
			r = -EPERM;
		else
			hv->vp[vp].vp_assist = val;
		break;
	case HV_X64_MSR_CRASH_CTL:
		if (val & ~(HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_MESSAGE))
			r = -EPERM;
		else
			crash_ctl = val;
		break;
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
		hv->crash_p[msr - HV_X64_MSR_CRASH_P0] = val;
		break;
	default:	/* read-only: VP_INDEX, VP_RUNTIME, TIME_REF_COUNT, frequencies */
		r = -EPERM;
		break;
	}
	pthread_mutex_unlock(&hv->lock);
	if (crash_ctl & HV_CRASH_CTL_NOTIFY)
		crash_report(hv, crash_ctl);
	return r;
}

uint64_t hv_hypercall(struct hv *hv, unsigned vp, uint64_t control, uint64_t in, uint64_t out)
{
	return hv_hypercall_dispatch(hv, vp, control, in, out);
}

/* ---- KVM wiring ---------------------------------------------------------------- */

/*
 * The APIC MSRs (vapic). EOI, ICR and TPR are the LAPIC's own registers, which KVM keeps:
 * hvkvm passes each access on to the x2APIC MSR of the same register (KVM_SET_MSRS as
 * the host, past the MSR filter), which is what the synthetic MSR means in x2APIC mode.
 * KVM takes x2APIC MSRs only in x2APIC mode; that is why vapic is offered by default only
 * to a Linux kernel hvkvm boots, which runs its APIC in x2APIC mode.
 */
static int apic_msr_access(struct hv *hv, struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	uint32_t x2 = apic_msr_x2apic(msr);
	int r;

	if (!msr_offered(hv, msr) || v->index >= hv->nvp || (msr == HV_X64_MSR_EOI && !write))
		return -EPERM;
	__atomic_fetch_add(write ? &hv->msr_writes[msr & 0x1ff] : &hv->msr_reads[msr & 0x1ff], 1,
			   __ATOMIC_RELAXED);
	r = write ? vcpu_kvm_msr_set(v, x2, msr == HV_X64_MSR_EOI ? 0 : *val) : vcpu_kvm_msr_get(v, x2, val);
	if (r < 0) {
		log_warn_limited(&hv->apic_msr_rl, "vCPU %u: %s of the synthetic APIC MSR 0x%x refused by KVM "
				 "(%s); the guest's APIC must be in x2APIC mode for vapic (--hv ...,vapic=off)",
				 v->index, write ? "write" : "read", msr, strerror(-r));
		return -EPERM;
	}
	return 0;
}

/* KVM's PV EOI MSR: where KVM sets bit 0 of a 32-bit word when the guest may skip an EOI. */
#define KVM_MSR_PV_EOI_EN	0x4b564d04

/*
 * Lazy EOI: the VP assist page's first word is the APIC assist word, whose bit 0 tells the
 * guest that the interrupt it is handling needs no EOI. KVM's PV EOI does exactly that
 * for a 32-bit word anywhere in guest memory: it sets the bit when it delivers an
 * interrupt that nothing else waits behind, and does the EOI itself once the guest has
 * cleared it. A vCPU's reset (INIT, or a new KVM VM at reboot) turns it off.
 */
static void lazy_eoi_set(struct hv *hv, struct vcpu *v, uint64_t assist)
{
	uint64_t pv = assist & HV_PAGE_ENABLE ? (assist & ~0xfffull) | 1 : 0;
	int r = vcpu_kvm_msr_set(v, KVM_MSR_PV_EOI_EN, pv);

	/* Without it the guest still EOIs through the MSR: slower, not wrong. */
	if (r < 0)
		log_warn_limited(&hv->apic_msr_rl, "vCPU %u: KVM's PV EOI at 0x%llx: %s; every EOI exits",
				 v->index, (unsigned long long)(pv & ~1ull), strerror(-r));
}

static int hv_vm_msr_read(struct vcpu *v, uint32_t index, uint64_t *val, void *opaque)
{
	if (apic_msr_x2apic(index))
		return apic_msr_access(opaque, v, index, false, val);
	return hv_msr_read(opaque, v->index, index, val);
}

static int hv_vm_msr_write(struct vcpu *v, uint32_t index, uint64_t val, void *opaque)
{
	struct hv *hv = opaque;
	int r;

	if (apic_msr_x2apic(index))
		return apic_msr_access(hv, v, index, true, &val);
	r = hv_msr_write(hv, v->index, index, val);
	if (r == 0 && index == HV_X64_MSR_VP_ASSIST_PAGE && hv_has(&hv->feat, HV_FEAT_VAPIC))
		lazy_eoi_set(hv, v, val);
	return r;
}

void hv_hcall_decode(bool long_mode, const struct kvm_regs *r, uint64_t *control, uint64_t *in,
		     uint64_t *out)
{
	if (long_mode) {
		*control = r->rcx;
		*in = r->rdx;
		*out = r->r8;
	} else {
		*control = (r->rdx & 0xffffffffu) << 32 | (r->rax & 0xffffffffu);
		*in = (r->rbx & 0xffffffffu) << 32 | (r->rcx & 0xffffffffu);
		*out = (r->rdi & 0xffffffffu) << 32 | (r->rsi & 0xffffffffu);
	}
}

void hv_hcall_encode(bool long_mode, uint64_t result, struct kvm_regs *r)
{
	if (long_mode) {
		r->rax = result;
	} else {
		r->rax = (uint32_t)result;
		r->rdx = (uint32_t)(result >> 32);
	}
}

/* A trap on one of the hypercall ports: decode by the caller's mode, answer in its
 * registers. Hypercalls are for CPL 0 in protected mode; anything else gets #UD. */
static void hv_port_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct hv *hv = dev;
	struct vcpu *v = vcpu_current();
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t control, in, out, result;
	bool long_mode;

	(void)val, (void)size;
	if (off > HV_SIGNAL_PORT - HV_HYPERCALL_PORT)
		return;
	if (!v || vcpu_get_regs(v, &r) < 0 || vcpu_get_sregs(v, &s) < 0) {
		log_error("hypercall: cannot read the vCPU's registers");
		return;
	}
	if (!(s.cr0 & 1) || s.ss.dpl != 0) {
		vcpu_inject_exception(v, 6);	/* #UD */
		return;
	}
	long_mode = (s.efer & (1u << 10)) && s.cs.l;
	hv_hcall_decode(long_mode, &r, &control, &in, &out);
	result = hv_hypercall(hv, v->index, control, in, out);
	hv_hcall_encode(long_mode, result, &r);
	/* The signal port's fallback continues after the success path's "xor eax, eax". */
	if (off == HV_SIGNAL_PORT - HV_HYPERCALL_PORT)
		r.rip += HV_PAGE_SIGNAL_SKIP;
	if (vcpu_set_regs(v, &r) < 0)
		log_error("hypercall: cannot write the vCPU's registers");
}

static uint64_t hv_port_read(void *dev, uint64_t off, unsigned size)
{
	(void)dev, (void)off, (void)size;
	return ~0ull;
}

static const struct io_ops hv_port_ops = { hv_port_read, hv_port_write };

static void hv_cpuid(struct vm *vm, unsigned index, struct kvm_cpuid2 *cpuid, void *opaque)
{
	struct hv *hv = opaque;

	(void)index;
	hv_cpuid_add(&hv->feat, VM_MAX_CPUS, cpuid);
	(void)vm;
}

/* Every synthetic MSR exits to hvkvm, whether or not this KVM has Hyper-V code. */
static void hv_kvm_setup(struct vm *vm, void *opaque)
{
	static uint8_t deny[(HV_X64_MSR_LAST - HV_X64_MSR_FIRST + 1) / 8];
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = {
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = HV_X64_MSR_LAST - HV_X64_MSR_FIRST + 1,
			.base = HV_X64_MSR_FIRST,
			.bitmap = deny,
		},
	};

	(void)opaque;
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0) {
		log_error("KVM_X86_SET_MSR_FILTER: %s; Hyper-V MSRs cannot be emulated", strerror(errno));
		vm_request(vm, VM_REQ_ERROR);
	}
}

static void hv_on_reset(struct vm *vm, void *opaque)
{
	(void)vm;
	hv_reset(opaque);
}

/* At each boot the new VM has new vCPUs and a new TSC offset: restart the clock. */
static void hv_on_boot(struct vm *vm, void *opaque)
{
	struct hv *hv = opaque;
	int64_t offset = 0;

	if (vcpu_get_tsc_offset(vm->vcpus[0], &offset) < 0)
		log_warn("cannot read the guest TSC offset: %s", strerror(errno));
	if (hv_set_clock(hv, (uint64_t)vm->tsc_khz * 1000, offset, hv_rdtsc() + (uint64_t)offset) < 0)
		log_warn("TSC frequency %u kHz unusable: no reference time for the guest", vm->tsc_khz);
}

static void hv_on_pause(struct vm *vm, void *opaque)
{
	(void)vm;
	hv_pause(opaque);
}

static void hv_on_resume(struct vm *vm, void *opaque)
{
	(void)vm;
	hv_resume(opaque);
}

static void hv_inject_msi(void *ctx, unsigned vp, uint8_t vector)
{
	/* VP index = vCPU index = APIC ID. */
	vm_signal_msi(ctx, vp, vector);
}

int hv_attach(struct hv *hv, struct vm *vm, enum hv_crash_action on_crash)
{
	struct msr_handler h = {
		.first = HV_X64_MSR_FIRST,
		.last = HV_X64_MSR_LAST,
		.read = hv_vm_msr_read,
		.write = hv_vm_msr_write,
		.opaque = hv,
	};
	int r;

	hv->vm = vm;
	hv->on_crash = on_crash;
	vm_set_cpuid_fn(vm, hv_cpuid, hv);
	r = msr_register(vm, &h);
	if (r == 0)
		r = vm_add_kvm_hook(vm, hv_kvm_setup, hv);
	if (r == 0)
		r = vm_add_boot_hook(vm, hv_on_boot, hv);
	if (r == 0)
		r = vm_add_reset_hook(vm, hv_on_reset, hv);
	if (r == 0)
		r = vm_add_pause_hook(vm, hv_on_pause, hv);
	if (r == 0)
		r = vm_add_resume_hook(vm, hv_on_resume, hv);
	if (r == 0)
		r = io_bus_register(&vm->pio, HV_HYPERCALL_PORT, HV_PORT_RANGE, &hv_port_ops, hv, "hypercall");
	return r;
}

struct hv *hv_create_for_vm(struct vm *vm, const struct hv_features *f)
{
	return hv_new(f, &vm->mem, vm->ncpus, vm->loop, hv_inject_msi, vm);
}

/* ---- statistics ---------------------------------------------------------------- */

static const char *msr_name(uint32_t msr)
{
	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID: return "GUEST_OS_ID";
	case HV_X64_MSR_HYPERCALL: return "HYPERCALL";
	case HV_X64_MSR_VP_INDEX: return "VP_INDEX";
	case HV_X64_MSR_RESET: return "RESET";
	case HV_X64_MSR_VP_RUNTIME: return "VP_RUNTIME";
	case HV_X64_MSR_TIME_REF_COUNT: return "TIME_REF_COUNT";
	case HV_X64_MSR_REFERENCE_TSC: return "REFERENCE_TSC";
	case HV_X64_MSR_TSC_FREQUENCY: return "TSC_FREQUENCY";
	case HV_X64_MSR_APIC_FREQUENCY: return "APIC_FREQUENCY";
	case HV_X64_MSR_EOI: return "EOI";
	case HV_X64_MSR_ICR: return "ICR";
	case HV_X64_MSR_TPR: return "TPR";
	case HV_X64_MSR_VP_ASSIST_PAGE: return "VP_ASSIST_PAGE";
	case HV_X64_MSR_SCONTROL: return "SCONTROL";
	case HV_X64_MSR_SVERSION: return "SVERSION";
	case HV_X64_MSR_SIEFP: return "SIEFP";
	case HV_X64_MSR_SIMP: return "SIMP";
	case HV_X64_MSR_EOM: return "EOM";
	case HV_X64_MSR_CRASH_CTL: return "CRASH_CTL";
	default: break;
	}
	if (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15)
		return "SINTx";
	if (msr >= HV_X64_MSR_STIMER0_CONFIG && msr <= HV_X64_MSR_STIMER3_COUNT)
		return (msr & 1) ? "STIMERx_COUNT" : "STIMERx_CONFIG";
	if (msr >= HV_X64_MSR_CRASH_P0 && msr <= HV_X64_MSR_CRASH_P4)
		return "CRASH_Px";
	return "other";
}

static const char *hcall_name(unsigned code)
{
	switch (code) {
	case HVCALL_NOTIFY_LONG_SPIN_WAIT: return "NotifyLongSpinWait";
	case HVCALL_SEND_IPI: return "SendSyntheticClusterIpi";
	case HVCALL_SEND_IPI_EX: return "SendSyntheticClusterIpiEx";
	case HVCALL_POST_MESSAGE: return "PostMessage";
	case HVCALL_SIGNAL_EVENT: return "SignalEvent";
	default: return "unimplemented";
	}
}

void hv_get_stats(struct hv *hv, struct hv_stats *s)
{
	s->hcalls_other = __atomic_load_n(&hv->hcalls_other, __ATOMIC_RELAXED);
	s->hcall_errors = __atomic_load_n(&hv->hcall_errors, __ATOMIC_RELAXED);
	s->stimer_expirations = stimers_expirations(hv->stimers);
	synic_get_stats(hv->synic, &s->synic);
}

void hv_foreach_msr_stat(struct hv *hv, void (*fn)(void *opaque, uint32_t msr, const char *name,
						   uint64_t reads, uint64_t writes), void *opaque)
{
	for (unsigned i = 0; i < 0x200; i++) {
		uint64_t rd = __atomic_load_n(&hv->msr_reads[i], __ATOMIC_RELAXED);
		uint64_t wr = __atomic_load_n(&hv->msr_writes[i], __ATOMIC_RELAXED);

		if (rd || wr)
			fn(opaque, HV_X64_MSR_FIRST + i, msr_name(HV_X64_MSR_FIRST + i), rd, wr);
	}
}

void hv_foreach_hcall_stat(struct hv *hv, void (*fn)(void *opaque, unsigned code, const char *name,
						     uint64_t count), void *opaque)
{
	for (unsigned i = 0; i < HV_HCALL_STAT_CODES; i++) {
		uint64_t n = __atomic_load_n(&hv->hcalls[i], __ATOMIC_RELAXED);

		if (n)
			fn(opaque, i, hcall_name(i), n);
	}
}

static void print_msr_stat(void *out, uint32_t msr, const char *name, uint64_t rd, uint64_t wr)
{
	fprintf(out, "  msr 0x%08x %-16s reads %10llu  writes %10llu\n", msr, name,
		(unsigned long long)rd, (unsigned long long)wr);
}

static void print_hcall_stat(void *out, unsigned code, const char *name, uint64_t n)
{
	fprintf(out, "  hypercall 0x%04x %-26s %10llu\n", code, name, (unsigned long long)n);
}

void hv_print_stats(struct hv *hv, FILE *out)
{
	struct hv_stats s;

	hv_get_stats(hv, &s);
	hv_foreach_msr_stat(hv, print_msr_stat, out);
	hv_foreach_hcall_stat(hv, print_hcall_stat, out);
	if (s.hcalls_other)
		fprintf(out, "  hypercall other %-28s %10llu\n", "", (unsigned long long)s.hcalls_other);
	fprintf(out, "  hypercalls that failed %21llu\n", (unsigned long long)s.hcall_errors);
	fprintf(out, "  synic messages %llu, event flags %llu, SINT/IPI interrupts %llu, EOMs %llu, queue full %llu\n",
		(unsigned long long)s.synic.messages, (unsigned long long)s.synic.events,
		(unsigned long long)s.synic.interrupts, (unsigned long long)s.synic.eoms,
		(unsigned long long)s.synic.queue_full);
	fprintf(out, "  stimer expirations %llu\n", (unsigned long long)s.stimer_expirations);
}
