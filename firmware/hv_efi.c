/* SPDX-License-Identifier: MIT */
/*
 * The Hyper-V layer of hvkvm's UEFI driver (hv_efi.h). It runs on the boot processor
 * (VP 0), which is where the firmware runs drivers. Messages are polled from SINT 2's
 * slot of the SIM page; the SINT is unmasked in polling mode, so the host may signal
 * its events (a masked SINT refuses them) but no interrupt is ever raised. Waits are
 * bounded by the partition reference counter (HV_X64_MSR_TIME_REF_COUNT, 100 ns), which
 * works in the ExitBootServices notification, where firmware timers do not.
 */
#include <efi.h>
#include <efilib.h>

#include "hv_efi.h"
#include "hv_proto.h"

/* Guest OS ID, open-source layout (TLFS): bit 63 set, an OS type in bits 62:56 (0x7f:
 * not one of the listed OSes), the build number in 15:0. */
#define HV_EFI_OS_ID		(1ull << 63 | 0x7full << 56 | 1)
#define SINT2_VECTOR		0x50	/* never raised: polling */
#define POST_RETRIES		100

struct vmbusc *hv_efi_bus;

static UINT8 *hypercall_page, *simp, *siefp, *post_page;
static BOOLEAN hv_on;

static inline UINT64 rdmsr(UINT32 msr)
{
	UINT32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (UINT64)hi << 32 | lo;
}

static inline void wrmsr(UINT32 msr, UINT64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((UINT32)v), "d"((UINT32)(v >> 32)) : "memory");
}

static inline void cpuid(UINT32 leaf, UINT32 *a, UINT32 *b, UINT32 *c, UINT32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* A hypercall through the page: control in RCX, input GPA in RDX, output GPA in R8;
 * the result in RAX. The page follows the Microsoft x64 convention, so every register
 * that convention lets a callee change is clobbered. */
static UINT64 hypercall(UINT64 control, UINT64 input, UINT64 output)
{
	UINT64 status;
	register UINT64 r8 __asm__("r8") = output;

	__asm__ volatile("call *%[page]"
			 : "=a"(status), "+c"(control), "+d"(input), "+r"(r8)
			 : [page] "r"(hypercall_page)
			 : "r9", "r10", "r11", "memory", "cc");
	return status;
}

static UINT64 now_us(void)
{
	return rdmsr(HV_X64_MSR_TIME_REF_COUNT) / 10;
}

/* ---- the VMBus client's environment -------------------------------------------------- */

static uint16_t h_post(void *ctx, uint32_t conn, uint32_t type, const void *payload, uint32_t len)
{
	struct hv_post_message_input *in = (struct hv_post_message_input *)post_page;
	uint16_t st = HV_STATUS_INVALID_PARAMETER;

	(void)ctx;
	if (len > HV_MESSAGE_PAYLOAD_MAX)
		return st;
	__builtin_memset(in, 0, sizeof(*in));
	in->connection_id = conn;
	in->message_type = type;
	in->payload_size = len;
	__builtin_memcpy(in->payload, payload, len);
	/* The host's message buffers may be full for a moment: Linux retries too. */
	for (unsigned i = 0; i < POST_RETRIES; i++) {
		st = (uint16_t)hypercall(HVCALL_POST_MESSAGE, (UINT64)(UINTN)in, 0);
		if (st != HV_STATUS_INSUFFICIENT_BUFFERS)
			break;
	}
	return st;
}

static uint16_t h_signal(void *ctx, uint32_t conn)
{
	(void)ctx;
	return (uint16_t)hypercall(HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, conn, 0);
}

static int h_next(void *ctx, uint32_t *type, void *buf, uint32_t cap)
{
	UINT8 *slot = simp + VMBUS_MESSAGE_SINT * HV_MESSAGE_SIZE;
	volatile struct hv_message *m = (volatile struct hv_message *)slot;
	/* the type, its first word: the slot is 256-byte aligned, which the packed
	 * struct does not tell the compiler */
	volatile uint32_t *slot_type = (volatile uint32_t *)(void *)slot;
	uint32_t t = *slot_type, len;
	uint8_t flags;

	(void)ctx;
	if (t == HVMSG_NONE)
		return -1;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	len = m->header.payload_size;
	if (len > HV_MESSAGE_PAYLOAD_MAX)
		len = HV_MESSAGE_PAYLOAD_MAX;
	for (uint32_t i = 0; i < len && i < cap; i++)
		((uint8_t *)buf)[i] = m->payload[i];
	flags = m->header.message_flags;
	*type = t;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*slot_type = HVMSG_NONE;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (flags & HV_MESSAGE_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
	return (int)len;
}

static void *h_alloc(void *ctx, uint32_t npages, uint64_t *gpa)
{
	EFI_PHYSICAL_ADDRESS a = 0;

	(void)ctx;
	if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, EfiBootServicesData, npages, &a)))
		return NULL;
	__builtin_memset((void *)(UINTN)a, 0, (UINTN)npages * EFI_PAGE_SIZE);
	*gpa = a;
	return (void *)(UINTN)a;
}

static void h_free(void *ctx, void *p, uint32_t npages)
{
	(void)ctx;
	BS->FreePages((EFI_PHYSICAL_ADDRESS)(UINTN)p, npages);
}

static uint64_t h_now(void *ctx)
{
	(void)ctx;
	return now_us();
}

static const struct vmbusc_host host = {
	.post_message = h_post,
	.signal_event = h_signal,
	.next_message = h_next,
	.alloc_pages = h_alloc,
	.free_pages = h_free,
	.now_us = h_now,
};

const struct vmbusc_host *hv_efi_host(void)
{
	return &host;
}

/* ---- set-up and teardown ------------------------------------------------------------ */

static UINT8 *page(EFI_MEMORY_TYPE type)
{
	EFI_PHYSICAL_ADDRESS a = 0;

	if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, type, 1, &a)))
		return NULL;
	__builtin_memset((void *)(UINTN)a, 0, EFI_PAGE_SIZE);
	return (UINT8 *)(UINTN)a;
}

EFI_STATUS hv_efi_init(const char **why)
{
	UINT32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 31))) {
		*why = "no hypervisor";
		return EFI_UNSUPPORTED;
	}
	cpuid(HV_CPUID_VENDOR_AND_MAX, &a, &b, &c, &d);
	/* "Microsoft Hv" in EBX, ECX, EDX */
	if (b != 0x7263694d || c != 0x666f736f || d != 0x76482074 || a < HV_CPUID_FEATURES) {
		*why = "not Microsoft Hv";
		return EFI_UNSUPPORTED;
	}
	cpuid(HV_CPUID_FEATURES, &a, &b, &c, &d);
	if ((a & (HV_ACCESS_HYPERCALL | HV_ACCESS_SYNIC | HV_ACCESS_TIME_REF_COUNT)) !=
		    (HV_ACCESS_HYPERCALL | HV_ACCESS_SYNIC | HV_ACCESS_TIME_REF_COUNT) ||
	    (b & (HV_POST_MESSAGES | HV_SIGNAL_EVENTS)) != (HV_POST_MESSAGES | HV_SIGNAL_EVENTS)) {
		*why = "no hypercalls, SynIC, reference counter, PostMessage or SignalEvent";
		return EFI_UNSUPPORTED;
	}
	/* The hypercall page is code: BootServicesCode is never marked no-execute. */
	if (!hypercall_page)
		hypercall_page = page(EfiBootServicesCode);
	if (!simp)
		simp = page(EfiBootServicesData);
	if (!siefp)
		siefp = page(EfiBootServicesData);
	if (!post_page)
		post_page = page(EfiBootServicesData);
	if (!hypercall_page || !simp || !siefp || !post_page) {
		*why = "out of memory";
		return EFI_OUT_OF_RESOURCES;
	}
	wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_EFI_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, (UINT64)(UINTN)hypercall_page | HV_HYPERCALL_ENABLE);
	if (!(rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE)) {
		wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
		*why = "the hypercall page did not enable";
		return EFI_DEVICE_ERROR;
	}
	wrmsr(HV_X64_MSR_SIMP, (UINT64)(UINTN)simp | HV_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SIEFP, (UINT64)(UINTN)siefp | HV_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, SINT2_VECTOR | HV_SINT_POLLING);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	hv_on = TRUE;
	return EFI_SUCCESS;
}

void hv_efi_teardown(void)
{
	if (!hv_on)
		return;
	hv_on = FALSE;
	wrmsr(HV_X64_MSR_SINT0 + VMBUS_MESSAGE_SINT, HV_SINT_MASKED);
	wrmsr(HV_X64_MSR_SCONTROL, 0);
	wrmsr(HV_X64_MSR_SIMP, 0);
	wrmsr(HV_X64_MSR_SIEFP, 0);
	wrmsr(HV_X64_MSR_HYPERCALL, 0);
	wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
}
