/* SPDX-License-Identifier: MIT */
/*
 * The hypercall decoder (src/hv-enlight/hypercall.c, and hv_hcall_decode in hv.c):
 * any registers in either calling convention, so any control word (code, fast, rep
 * count and start, variable header size, reserved bits) with input and output at any
 * GPA, against guest RAM in two regions, with any set of enlightenments, and the
 * synthetic MSRs around it. Connections 1 (messages), 2 (events) and 3 (an eventfd)
 * are there to be reached; their handlers check what they are given.
 */
#include "fuzz.h"
#include "hv.h"
#include "hv_internal.h"
#include "hv_proto.h"
#include "loop.h"
#include "memory.h"

#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define REGION	(16u << 10)

static uint8_t low[REGION] __attribute__((aligned(4096))), high[REGION] __attribute__((aligned(4096)));
static struct gmem mem;
static struct loop *loop;
static int efd = -1;
static unsigned injected;

static void inject(void *ctx, unsigned vp, uint8_t vector)
{
	(void)ctx;
	FZ_CHECK(vp < FZ_HC_NVP, "interrupt for VP %u", vp);
	FZ_CHECK(vector >= 16, "vector %u", vector);
	injected++;
}

static int on_message(void *opaque, unsigned vp, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t copy[HV_MESSAGE_PAYLOAD_MAX];

	(void)opaque;
	FZ_CHECK(vp < FZ_HC_NVP, "message from VP %u", vp);
	FZ_CHECK(type != 0 && !(type & 0x80000000u), "message type 0x%x", type);
	FZ_CHECK(len <= HV_MESSAGE_PAYLOAD_MAX, "payload of %u bytes", len);
	memcpy(copy, payload, len);
	return copy[0] & 1 ? HV_STATUS_INSUFFICIENT_BUFFERS : HV_STATUS_SUCCESS;
}

static int on_event(void *opaque, unsigned vp, uint16_t flag)
{
	(void)opaque, (void)flag;
	FZ_CHECK(vp < FZ_HC_NVP, "event from VP %u", vp);
	return HV_STATUS_SUCCESS;
}

static void init(void)
{
	struct gmem_region r[2] = {
		{ 0, REGION, low, 0 },
		{ GMEM_HIGH_BASE, REGION, high, 0 },
	};

	FZ_CHECK(gmem_init_regions(&mem, r, 2) == 0, "gmem");
	loop = loop_new();
	FZ_CHECK(loop, "loop_new");
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	FZ_CHECK(efd >= 0, "eventfd");
}

static void check_result(uint64_t result, uint64_t control)
{
	/* Every call is a simple one: no reps completed, and a 16-bit status. */
	FZ_CHECK(result <= 0xffff, "result 0x%llx for control 0x%llx", (unsigned long long)result,
		 (unsigned long long)control);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct fz in = { data, size };
	struct hv_features f;
	struct hv *hv;
	uint64_t v;

	fuzz_quiet_logs();
	if (!initialized) {
		init();
		initialized = true;
	}
	memset(low, 0, sizeof(low));
	memset(high, 0, sizeof(high));
	hv_features_default(&f);
	f.mask &= fz_u16(&in);
	hv = hv_new(&f, &mem, FZ_HC_NVP, loop, inject, NULL);
	FZ_CHECK(hv, "hv_new");
	FZ_CHECK(hv_connect_messages(hv, 1, on_message, NULL) == 0, "connect 1");
	FZ_CHECK(hv_connect_events(hv, 2, on_event, NULL) == 0, "connect 2");
	FZ_CHECK(hv_connect_eventfd(hv, 3, efd) == 0, "connect 3");
	while (in.n) {
		switch (fz_u8(&in) % HC_OP_COUNT) {
		case HC_OP_WRITE_MEM: {
			uint16_t off = fz_u16(&in) % REGION;
			uint8_t len = fz_u8(&in), b[255];

			fz_bytes(&in, b, len);
			memcpy(low + off, b, len <= REGION - off ? len : REGION - off);
			break;
		}
		case HC_OP_REGS: {
			uint8_t mode = fz_u8(&in);
			struct kvm_regs regs = {
				.rax = fz_u64(&in), .rbx = fz_u64(&in), .rcx = fz_u64(&in), .rdx = fz_u64(&in),
				.rsi = fz_u64(&in), .rdi = fz_u64(&in), .r8 = fz_u64(&in),
			};
			uint64_t control, gin, gout, result;
			bool long_mode = mode & 0x80;

			hv_hcall_decode(long_mode, &regs, &control, &gin, &gout);
			result = hv_hypercall(hv, (mode & 0x7f) % FZ_HC_NVP, control, gin, gout);
			check_result(result, control);
			hv_hcall_encode(long_mode, result, &regs);
			FZ_CHECK(long_mode ? regs.rax == result : (regs.rax == (uint32_t)result && regs.rdx == result >> 32),
				 "result registers");
			break;
		}
		case HC_OP_CALL: {
			unsigned vp = fz_u8(&in) % FZ_HC_NVP;
			uint64_t control = fz_u64(&in), gin = fz_u64(&in), gout = fz_u64(&in);

			check_result(hv_hypercall(hv, vp, control, gin, gout), control);
			break;
		}
		case HC_OP_WRMSR: {
			unsigned vp = fz_u8(&in) % FZ_HC_NVP;
			uint32_t msr = HV_X64_MSR_FIRST + fz_u16(&in) % 0x200;

			hv_msr_write(hv, vp, msr, fz_u64(&in));
			break;
		}
		case HC_OP_RDMSR: {
			unsigned vp = fz_u8(&in) % FZ_HC_NVP;
			uint32_t msr = HV_X64_MSR_FIRST + fz_u16(&in) % 0x200;

			hv_msr_read(hv, vp, msr, &v);
			break;
		}
		}
	}
	hv_free(hv);
	/* Timers the MSRs armed are gone with hv; what they queued is not run. */
	while (read(efd, &v, sizeof(v)) > 0)
		;
	return 0;
}
