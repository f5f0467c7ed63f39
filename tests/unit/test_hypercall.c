/* SPDX-License-Identifier: MIT */
/*
 * Hypercall decoding and the calls hvkvm implements (TLFS "Hypercall Interface" and
 * the per-call pages; hv-facts.md §3, §4): the control word, memory operands from a
 * hostile guest, and the status each malformed input gets.
 */
#include <check.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_internal.h"
#include "hv_proto.h"
#include "loop.h"
#include "memory.h"
#include "testutil.h"

#define RAM_PAGES	16
#define RAM_SIZE	(RAM_PAGES * GMEM_PAGE_SIZE)
#define IN_GPA		0x4000ull	/* a page the "guest" builds inputs in */
#define NVP_SMALL	4
#define NVP_LARGE	200

#define FAST		HV_HCALL_FAST
#define VARHEAD(n)	((uint64_t)(n) << HV_HCALL_VARHEAD_SHIFT)
#define REP_COUNT(n)	((uint64_t)(n) << HV_HCALL_REP_COUNT_SHIFT)
#define REP_START(n)	((uint64_t)(n) << HV_HCALL_REP_START_SHIFT)

static uint8_t *ram;
static struct gmem mem;
static struct loop *loop;
static struct hv *hv;
static unsigned nvp;

/* ---- interrupt recorder ---------------------------------------------------------- */

static unsigned inj_per_vp[NVP_LARGE][256];
static unsigned ninj;

static void rec_inject(void *ctx, unsigned vp, uint8_t vector)
{
	(void)ctx;
	ck_assert_uint_lt(vp, nvp);
	inj_per_vp[vp][vector]++;
	ninj++;
}

static void inj_clear(void)
{
	memset(inj_per_vp, 0, sizeof(inj_per_vp));
	ninj = 0;
}

/* ---- connection handlers ---------------------------------------------------------- */

static struct {
	unsigned calls;
	void *opaque;
	unsigned vp;
	uint32_t type;
	uint32_t len;
	uint8_t payload[HV_MESSAGE_PAYLOAD_MAX + 16];
	int status;		/* what to answer */
} msg;

static struct {
	unsigned calls;
	void *opaque;
	unsigned vp;
	uint16_t flag;
	int status;
} ev;

static int tag_a, tag_b;

static int on_message(void *opaque, unsigned vp, uint32_t type, const void *payload, uint32_t len)
{
	msg.calls++;
	msg.opaque = opaque;
	msg.vp = vp;
	msg.type = type;
	msg.len = len;
	ck_assert_uint_le(len, HV_MESSAGE_PAYLOAD_MAX);
	memcpy(msg.payload, payload, len);
	return msg.status;
}

static int on_event(void *opaque, unsigned vp, uint16_t flag)
{
	ev.calls++;
	ev.opaque = opaque;
	ev.vp = vp;
	ev.flag = flag;
	return ev.status;
}

/* ---- fixture ---------------------------------------------------------------------- */

static void make_hv(const char *features, unsigned n)
{
	struct hv_features f;
	char err[256];

	ck_assert_int_eq(hv_features_parse(features, &f, err, sizeof(err)), 0);
	if (hv)
		hv_free(hv);
	nvp = n;
	hv = hv_new(&f, &mem, n, loop, rec_inject, NULL);
	ck_assert_ptr_nonnull(hv);
	ck_assert_int_eq(hv_set_clock(hv, 2000000000ull, 0, 0), 0);
	/* VMBus's connections: 4 for messages, 0x10 for a channel's events. */
	ck_assert_int_eq(hv_connect_messages(hv, 4, on_message, &tag_a), 0);
	ck_assert_int_eq(hv_connect_events(hv, 0x10, on_event, &tag_b), 0);
	ck_assert_int_eq(hv_connect_events(hv, 0xabcdef, on_event, &tag_a), 0);
}

static void setup(void)
{
	struct gmem_region r = { 0, RAM_SIZE, NULL, 0 };

	ram = aligned_alloc(GMEM_PAGE_SIZE, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0, RAM_SIZE);
	r.host = ram;
	ck_assert_int_eq(gmem_init_regions(&mem, &r, 1), 0);
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	hv = NULL;
	make_hv("on", NVP_SMALL);
	inj_clear();
	memset(&msg, 0, sizeof(msg));
	memset(&ev, 0, sizeof(ev));
}

static void teardown(void)
{
	hv_free(hv);
	hv = NULL;
	loop_free(loop);
	free(ram);
}

/* The status, after checking that the rest of the result value is 0 (simple calls). */
static unsigned call(uint64_t control, uint64_t in, uint64_t out)
{
	uint64_t r = hv_hypercall(hv, 1, control, in, out);

	ck_assert_msg((r >> 16) == 0, "control 0x%llx: result 0x%llx has bits above the status",
		      (unsigned long long)control, (unsigned long long)r);
	return (unsigned)r;
}

#define ASSERT_STATUS(expr, st) do {							\
	unsigned _s = (expr);								\
	ck_assert_msg(_s == (unsigned)(st), "%s: status 0x%x, expected 0x%x", #expr, _s,	\
		      (unsigned)(st));							\
} while (0)

static struct hv_post_message_input *post_input(uint64_t gpa, uint32_t conn, uint32_t type, uint32_t size)
{
	struct hv_post_message_input *in = (struct hv_post_message_input *)(ram + gpa);

	memset(in, 0, sizeof(*in));
	in->connection_id = conn;
	in->message_type = type;
	in->payload_size = size;
	for (unsigned i = 0; i < HV_MESSAGE_PAYLOAD_MAX; i++)
		in->payload[i] = (uint8_t)(0x40 + i);
	return in;
}

/* ---- the control word --------------------------------------------------------------- */

START_TEST(unknown_code)
{
	static const uint16_t codes[] = { 0x0000, 0x0001, 0x0046, 0x0099, 0x8001, 0xffff };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ASSERT_STATUS(call(codes[i], IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
		ASSERT_STATUS(call(codes[i] | FAST, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
	}
}
END_TEST

START_TEST(reserved_control_bits)
{
	static const unsigned bits[] = { 27, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63 };

	post_input(IN_GPA, 4, 1, 8);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		uint64_t b = 1ull << bits[i];

		ASSERT_STATUS(call(HVCALL_NOTIFY_LONG_SPIN_WAIT | FAST | b, 0, 0),
			      HV_STATUS_INVALID_HYPERCALL_INPUT);
		ASSERT_STATUS(call(HVCALL_POST_MESSAGE | b, IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
		ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST | b, 0x10, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
		ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST | b, 0x30, 1), HV_STATUS_INVALID_HYPERCALL_INPUT);
	}
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ev.calls, 0);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(rep_fields_on_simple_calls)
{
	post_input(IN_GPA, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | REP_COUNT(1), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | REP_COUNT(0xfff), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | REP_START(1), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | REP_COUNT(2) | REP_START(1), IN_GPA, 0),
		      HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST | REP_COUNT(1), 0x10, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST | REP_START(3), 0x30, 1), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | REP_COUNT(1), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_NOTIFY_LONG_SPIN_WAIT | FAST | REP_COUNT(1), 0, 0),
		      HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ev.calls, 0);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(varhead_on_calls_without_one)
{
	post_input(IN_GPA, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | VARHEAD(1), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | VARHEAD(0x3ff), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST | VARHEAD(1), 0x10, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST | VARHEAD(2), 0x30, 1), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_NOTIFY_LONG_SPIN_WAIT | FAST | VARHEAD(1), 0, 0),
		      HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ev.calls, 0);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

/* ---- memory operands ------------------------------------------------------------------ */

START_TEST(input_alignment)
{
	for (unsigned mis = 1; mis < 8; mis++) {
		post_input(IN_GPA + 8 * mis, 4, 1, 8);	/* a valid input, but at +mis */
		ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA + 8 * mis + mis, 0), HV_STATUS_INVALID_ALIGNMENT);
		ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA + mis, 0), HV_STATUS_INVALID_ALIGNMENT);
		ASSERT_STATUS(call(HVCALL_SEND_IPI, IN_GPA + mis, 0), HV_STATUS_INVALID_ALIGNMENT);
		ASSERT_STATUS(call(HVCALL_SEND_IPI_EX, IN_GPA + mis, 0), HV_STATUS_INVALID_ALIGNMENT);
	}
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(input_crossing_page)
{
	uint64_t *sig;

	/* 256 bytes starting 8 bytes before a page end. */
	post_input(IN_GPA, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA + GMEM_PAGE_SIZE - 8, 0), HV_STATUS_INVALID_ALIGNMENT);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA + GMEM_PAGE_SIZE - 248, 0), HV_STATUS_INVALID_ALIGNMENT);
	/* 16 bytes of SendSyntheticClusterIpi from 8 before the end. */
	ASSERT_STATUS(call(HVCALL_SEND_IPI, IN_GPA + GMEM_PAGE_SIZE - 8, 0), HV_STATUS_INVALID_ALIGNMENT);
	/* Ex: 24 bytes of fixed header + 2 banks from 32 before the end. */
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(2), IN_GPA + GMEM_PAGE_SIZE - 32, 0),
		      HV_STATUS_INVALID_ALIGNMENT);
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ninj, 0);
	/* Exactly up to the end is fine. */
	post_input(IN_GPA + GMEM_PAGE_SIZE - 256, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA + GMEM_PAGE_SIZE - 256, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(msg.calls, 1);
	sig = (uint64_t *)(ram + IN_GPA + GMEM_PAGE_SIZE - 8);
	*sig = 0x10;
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA + GMEM_PAGE_SIZE - 8, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ev.calls, 1);
}
END_TEST

START_TEST(input_outside_ram)
{
	static const uint64_t gpas[] = {
		RAM_SIZE, RAM_SIZE - 8, 0x100000000ull, 0x8000000000000000ull, 0xfffffffffffffff8ull,
	};

	for (size_t i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
		ASSERT_STATUS(call(HVCALL_POST_MESSAGE, gpas[i], 0), HV_STATUS_INVALID_ALIGNMENT);
		ASSERT_STATUS(call(HVCALL_SEND_IPI, gpas[i], 0), HV_STATUS_INVALID_ALIGNMENT);
		ASSERT_STATUS(call(HVCALL_SEND_IPI_EX, gpas[i], 0), HV_STATUS_INVALID_ALIGNMENT);
		if (gpas[i] != RAM_SIZE - 8)	/* 8 bytes fit there */
			ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, gpas[i], 0), HV_STATUS_INVALID_ALIGNMENT);
	}
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

/* ---- HvCallPostMessage ---------------------------------------------------------------- */

START_TEST(post_message_success)
{
	static const uint32_t sizes[] = { 0, 1, 24, 239, 240 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct hv_post_message_input *in = post_input(IN_GPA, 4, 1, sizes[i]);

		msg.calls = 0;
		memset(msg.payload, 0xee, sizeof(msg.payload));
		ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_SUCCESS);
		ck_assert_uint_eq(msg.calls, 1);
		ck_assert_ptr_eq(msg.opaque, &tag_a);
		ck_assert_uint_eq(msg.vp, 1);
		ck_assert_uint_eq(msg.type, 1);
		ck_assert_uint_eq(msg.len, sizes[i]);
		ck_assert(!memcmp(msg.payload, in->payload, sizes[i]));
		ck_assert_uint_eq(msg.payload[sizes[i]], 0xee);	/* no more than the size */
	}
	/* Any type with bit 31 clear is the guest's to choose. */
	post_input(IN_GPA, 4, 0x7fffffff, 4);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(msg.type, 0x7fffffff);
}
END_TEST

START_TEST(post_message_handler_status)
{
	static const int statuses[] = { HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_INSUFFICIENT_MEMORY,
					HV_STATUS_INVALID_SYNIC_STATE, HV_STATUS_SUCCESS };

	post_input(IN_GPA, 4, 1, 16);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		msg.status = statuses[i];
		ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), statuses[i]);
	}
	ck_assert_uint_eq(msg.calls, 4);
}
END_TEST

START_TEST(post_message_bad_parameters)
{
	post_input(IN_GPA, 4, 0, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	post_input(IN_GPA, 4, 0x80000000u, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	post_input(IN_GPA, 4, HVMSG_TIMER_EXPIRED, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	post_input(IN_GPA, 4, 1, 241);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	post_input(IN_GPA, 4, 1, 0xffffffffu);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	post_input(IN_GPA, 0x01000004, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	post_input(IN_GPA, 0x80000004u, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	ck_assert_uint_eq(msg.calls, 0);
}
END_TEST

START_TEST(post_message_connections)
{
	post_input(IN_GPA, 5, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_CONNECTION_ID);
	post_input(IN_GPA, 0, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_CONNECTION_ID);
	/* An event connection takes no messages. */
	post_input(IN_GPA, 0x10, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_PORT_ID);
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ev.calls, 0);
	/* Disconnected: gone. */
	hv_disconnect(hv, 4);
	post_input(IN_GPA, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_INVALID_CONNECTION_ID);
	ck_assert_uint_eq(msg.calls, 0);
}
END_TEST

START_TEST(post_message_fast_refused)
{
	post_input(IN_GPA, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | FAST, 4, 1), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | FAST, IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(msg.calls, 0);
}
END_TEST

START_TEST(post_message_needs_synic)
{
	make_hv("vpindex,ipi", NVP_SMALL);
	post_input(IN_GPA, 4, 1, 8);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_ACCESS_DENIED);
	ck_assert_uint_eq(msg.calls, 0);
}
END_TEST

/* ---- HvCallSignalEvent -------------------------------------------------------------- */

START_TEST(signal_event_fast)
{
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x10, 0xdeadbeef), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ev.calls, 1);
	ck_assert_ptr_eq(ev.opaque, &tag_b);
	ck_assert_uint_eq(ev.vp, 1);
	ck_assert_uint_eq(ev.flag, 0);
	/* The flag number, relative to the connection, is passed through. */
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x10 | (7ull << 32), 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ev.flag, 7);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0xabcdef | (0xffffull << 32), 0), HV_STATUS_SUCCESS);
	ck_assert_ptr_eq(ev.opaque, &tag_a);
	ck_assert_uint_eq(ev.flag, 0xffff);
	ev.status = HV_STATUS_INVALID_SYNIC_STATE;
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x10, 0), HV_STATUS_INVALID_SYNIC_STATE);
	ck_assert_uint_eq(ev.calls, 4);
}
END_TEST

START_TEST(signal_event_slow)
{
	uint64_t *in = (uint64_t *)(ram + IN_GPA);

	*in = 0x10 | (3ull << 32);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ev.calls, 1);
	ck_assert_uint_eq(ev.flag, 3);
	ck_assert_ptr_eq(ev.opaque, &tag_b);
	*in = 0x10 | (1ull << 24);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	*in = 0x10 | (1ull << 48);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	*in = 0x11;
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA, 0), HV_STATUS_INVALID_CONNECTION_ID);
	*in = 4;
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT, IN_GPA, 0), HV_STATUS_INVALID_PORT_ID);
	ck_assert_uint_eq(ev.calls, 1);
	ck_assert_uint_eq(msg.calls, 0);
}
END_TEST

START_TEST(signal_event_bad_input)
{
	static const unsigned bits[] = { 24, 27, 31, 48, 52, 63 };

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x10 | (1ull << bits[i]), 0),
			      HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x11, 0), HV_STATUS_INVALID_CONNECTION_ID);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0, 0), HV_STATUS_INVALID_CONNECTION_ID);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 4, 0), HV_STATUS_INVALID_PORT_ID);
	ck_assert_uint_eq(ev.calls, 0);
	ck_assert_uint_eq(msg.calls, 0);
}
END_TEST

START_TEST(signal_event_needs_synic)
{
	make_hv("vpindex", NVP_SMALL);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x10, 0), HV_STATUS_ACCESS_DENIED);
	ck_assert_uint_eq(ev.calls, 0);
}
END_TEST

/* ---- HvCallSendSyntheticClusterIpi ---------------------------------------------------- */

static bool inj_exactly(const unsigned *vps, size_t n, uint8_t vector)
{
	unsigned total = 0;

	for (size_t i = 0; i < n; i++)
		if (inj_per_vp[vps[i]][vector] != 1)
			return false;
	for (unsigned vp = 0; vp < nvp; vp++)
		for (unsigned v = 0; v < 256; v++)
			total += inj_per_vp[vp][v];
	return total == n;
}

static bool ipi_refused(unsigned st)
{
	return st == HV_STATUS_INVALID_HYPERCALL_INPUT || st == HV_STATUS_INVALID_PARAMETER;
}

START_TEST(send_ipi_fast)
{
	static const unsigned t1[] = { 0, 2 }, t2[] = { 1 }, t3[] = { 0, 1, 2, 3 };

	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x30, 0x5), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(t1, 2, 0x30));
	inj_clear();
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x10, 0x2), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(t2, 1, 0x10));
	inj_clear();
	/* Mask bits at or beyond nvp name no VP: ignored. */
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0xff, 0xffffffffffffffffull), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(t3, 4, 0xff));
	inj_clear();
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x40, 0xf0), HV_STATUS_SUCCESS);
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x40, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(send_ipi_fast_bad)
{
	/* Vectors outside 0x10-0xff. */
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI | FAST, 0x0f, 1)));
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI | FAST, 0x00, 1)));
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI | FAST, 0x100, 1)));
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI | FAST, 0xffffffff, 1)));
	/* A VTL other than 0. */
	ck_assert_uint_ne(call(HVCALL_SEND_IPI | FAST, 0x30 | (1ull << 32), 1), HV_STATUS_SUCCESS);
	ck_assert_uint_ne(call(HVCALL_SEND_IPI | FAST, 0x30 | (0x80ull << 32), 1), HV_STATUS_SUCCESS);
	/* RDX bits 63:40 are reserved. */
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x30 | (1ull << 40), 1), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x30 | (1ull << 63), 1), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(send_ipi_slow)
{
	static const unsigned t[] = { 1, 3 };
	struct hv_send_ipi_input *in = (struct hv_send_ipi_input *)(ram + IN_GPA);

	memset(in, 0, sizeof(*in));
	in->vector = 0xec;
	in->cpu_mask = 0xa | (1ull << 40);
	ASSERT_STATUS(call(HVCALL_SEND_IPI, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(t, 2, 0xec));
	inj_clear();
	in->vector = 0x0f;
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI, IN_GPA, 0)));
	in->vector = 0x100;
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI, IN_GPA, 0)));
	in->vector = 0x30;
	in->target_vtl = 2;
	ck_assert_uint_ne(call(HVCALL_SEND_IPI, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(send_ipi_needs_ipi)
{
	struct hv_send_ipi_input *in = (struct hv_send_ipi_input *)(ram + IN_GPA);

	make_hv("on,ipi=off", NVP_SMALL);
	memset(in, 0, sizeof(*in));
	in->vector = 0x30;
	in->cpu_mask = 1;
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x30, 1), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_SEND_IPI, IN_GPA, 0), HV_STATUS_ACCESS_DENIED);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

/* ---- HvCallSendSyntheticClusterIpiEx -------------------------------------------------- */

/* Builds the input at IN_GPA; returns the variable header size a guest would give. */
static unsigned ipi_ex_input(uint32_t vector, uint64_t format, uint64_t bank_mask, const uint64_t *banks,
			     unsigned nbanks)
{
	struct hv_send_ipi_ex_input *in = (struct hv_send_ipi_ex_input *)(ram + IN_GPA);

	memset(in, 0, GMEM_PAGE_SIZE);
	in->vector = vector;
	in->format = format;
	in->valid_bank_mask = bank_mask;
	if (nbanks)
		memcpy(ram + IN_GPA + sizeof(*in), banks, nbanks * sizeof(uint64_t));
	return nbanks;
}

START_TEST(send_ipi_ex_all)
{
	static const unsigned all4[] = { 0, 1, 2, 3 };

	ipi_ex_input(0x31, HV_GENERIC_SET_ALL, 0, NULL, 0);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(all4, 4, 0x31));
	inj_clear();
	/* Format ALL ignores the mask. */
	ipi_ex_input(0x32, HV_GENERIC_SET_ALL, 0x3, (const uint64_t[]){ 0, 0 }, 2);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(2), IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(all4, 4, 0x32));
	inj_clear();

	make_hv("on", NVP_LARGE);
	ipi_ex_input(0xfe, HV_GENERIC_SET_ALL, 0, NULL, 0);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, NVP_LARGE);
	for (unsigned vp = 0; vp < NVP_LARGE; vp++)
		ck_assert_uint_eq(inj_per_vp[vp][0xfe], 1);
}
END_TEST

START_TEST(send_ipi_ex_sparse)
{
	static const unsigned t[] = { 0, 5, 130 };
	static const unsigned t2[] = { 64, 199 };
	unsigned vh;

	make_hv("on", NVP_LARGE);
	/* The TLFS example: VPs {0, 5, 130} = mask 0x5, banks {0x21, 0x4}. */
	vh = ipi_ex_input(0x40, HV_GENERIC_SET_SPARSE_4K, 0x5, (const uint64_t[]){ 0x21, 0x4 }, 2);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(vh), IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(t, 3, 0x40));
	inj_clear();
	/* Banks 1 and 3 (VP 199 = bank 3 bit 7); a present bank may be 0. */
	vh = ipi_ex_input(0x41, HV_GENERIC_SET_SPARSE_4K, 0xf, (const uint64_t[]){ 0, 1, 0, 0x80 }, 4);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(vh), IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert(inj_exactly(t2, 2, 0x41));
	inj_clear();
	/* VPs that do not exist (bank 3 bit 8 = VP 200, bank 40) are ignored. */
	vh = ipi_ex_input(0x42, HV_GENERIC_SET_SPARSE_4K, (1ull << 3) | (1ull << 40),
			  (const uint64_t[]){ 0x100, ~0ull }, 2);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(vh), IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, 0);
	/* No banks at all: nothing to do, not an error. */
	vh = ipi_ex_input(0x43, HV_GENERIC_SET_SPARSE_4K, 0, NULL, 0);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(vh), IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(send_ipi_ex_bad)
{
	make_hv("on", NVP_LARGE);
	/* Variable header size must be the number of banks. */
	ipi_ex_input(0x40, HV_GENERIC_SET_SPARSE_4K, 0x5, (const uint64_t[]){ 0x21, 0x4, 0x8 }, 3);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(1), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(3), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX, IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* More than 64 banks cannot be. */
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(65), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(0x3ff), IN_GPA, 0), HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* Unknown format. */
	ipi_ex_input(0x40, 2, 0x1, (const uint64_t[]){ 1 }, 1);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(1), IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	ipi_ex_input(0x40, 0x8000000000000000ull, 0x1, (const uint64_t[]){ 1 }, 1);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(1), IN_GPA, 0), HV_STATUS_INVALID_PARAMETER);
	/* Fast (XMM) input is not offered. */
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | FAST, 0x40, HV_GENERIC_SET_ALL), HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* Bad vectors and VTLs. */
	ipi_ex_input(0x0f, HV_GENERIC_SET_ALL, 0, NULL, 0);
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI_EX, IN_GPA, 0)));
	ipi_ex_input(0x100, HV_GENERIC_SET_ALL, 0, NULL, 0);
	ck_assert(ipi_refused(call(HVCALL_SEND_IPI_EX, IN_GPA, 0)));
	ipi_ex_input(0x40, HV_GENERIC_SET_ALL, 0, NULL, 0);
	((struct hv_send_ipi_ex_input *)(ram + IN_GPA))->target_vtl = 1;
	ck_assert_uint_ne(call(HVCALL_SEND_IPI_EX, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

START_TEST(send_ipi_ex_needs_ipi)
{
	make_hv("on,ipi=off", NVP_SMALL);
	ipi_ex_input(0x40, HV_GENERIC_SET_ALL, 0, NULL, 0);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX, IN_GPA, 0), HV_STATUS_ACCESS_DENIED);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST

/* "ACCESS_DENIED takes precedence over any other status" (TLFS; hv-facts §3.7): a caller
 * without the privilege learns nothing else about its input. */
START_TEST(access_denied_first)
{
	make_hv("on,ipi=off", NVP_SMALL);
	ASSERT_STATUS(call(HVCALL_SEND_IPI, IN_GPA + 4, 0), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_SEND_IPI, RAM_SIZE, 0), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_SEND_IPI | FAST, 0x30 | (1ull << 40), 1), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | FAST, 0x30, 1), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_SEND_IPI_EX | VARHEAD(65), IN_GPA, 0), HV_STATUS_ACCESS_DENIED);
	make_hv("vpindex", NVP_SMALL);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE | FAST, 0, 0), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_POST_MESSAGE, IN_GPA + 4, 0), HV_STATUS_ACCESS_DENIED);
	ASSERT_STATUS(call(HVCALL_SIGNAL_EVENT | FAST, 0x10 | (1ull << 63), 0), HV_STATUS_ACCESS_DENIED);
	ck_assert_uint_eq(ninj, 0);
	ck_assert_uint_eq(msg.calls, 0);
	ck_assert_uint_eq(ev.calls, 0);
}
END_TEST

/* ---- HvCallNotifyLongSpinWait --------------------------------------------------------- */

START_TEST(long_spin_wait)
{
	ASSERT_STATUS(call(HVCALL_NOTIFY_LONG_SPIN_WAIT | FAST, 100, 0), HV_STATUS_SUCCESS);
	ASSERT_STATUS(call(HVCALL_NOTIFY_LONG_SPIN_WAIT | FAST, 0xffffffff, 0xdead), HV_STATUS_SUCCESS);
	*(uint64_t *)(ram + IN_GPA) = 5;
	ASSERT_STATUS(call(HVCALL_NOTIFY_LONG_SPIN_WAIT, IN_GPA, 0), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(ninj, 0);
}
END_TEST


/* The registers of both calling conventions, as the hypercall port's handler sees them:
 * 64-bit RCX/RDX/R8 in, RAX out; 32-bit EDX:EAX, EBX:ECX, EDI:ESI in, EDX:EAX out, with
 * the upper halves of the 64-bit registers ignored. */
START_TEST(calling_conventions)
{
	struct kvm_regs r;
	uint64_t control, in, out;

	memset(&r, 0xa5, sizeof(r));
	r.rcx = 0x000000000001005dull;
	r.rdx = 0x1122334455667788ull;
	r.r8 = 0x99aabbccddeeff00ull;
	hv_hcall_decode(true, &r, &control, &in, &out);
	ck_assert_uint_eq(control, 0x1005d);
	ck_assert_uint_eq(in, 0x1122334455667788ull);
	ck_assert_uint_eq(out, 0x99aabbccddeeff00ull);
	hv_hcall_encode(true, 0x0000000300000005ull, &r);
	ck_assert_uint_eq(r.rax, 0x0000000300000005ull);
	ck_assert_uint_eq(r.rdx, 0x1122334455667788ull);	/* untouched in 64-bit mode */

	memset(&r, 0xa5, sizeof(r));
	r.rdx = 0xdead000000000001ull;	/* control high */
	r.rax = 0xdead00000001005cull;	/* control low */
	r.rbx = 0xdead000000000002ull;	/* input GPA high */
	r.rcx = 0xdead000000003000ull;	/* input GPA low */
	r.rdi = 0xdead000000000000ull;	/* output GPA high */
	r.rsi = 0xdead000000004000ull;	/* output GPA low */
	hv_hcall_decode(false, &r, &control, &in, &out);
	ck_assert_uint_eq(control, 0x000000010001005cull);
	ck_assert_uint_eq(in, 0x0000000200003000ull);
	ck_assert_uint_eq(out, 0x0000000000004000ull);
	hv_hcall_encode(false, 0x0000000700000012ull, &r);
	ck_assert_uint_eq(r.rax, 0x12);
	ck_assert_uint_eq(r.rdx, 0x7);
}
END_TEST

static Suite *hypercall_suite(void)
{
	Suite *s = suite_create("hypercall");
	TCase *tc = tcase_create("control");
	TCase *tm = tcase_create("message");
	TCase *te = tcase_create("event");
	TCase *ti = tcase_create("ipi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_code);
	tcase_add_test(tc, reserved_control_bits);
	tcase_add_test(tc, rep_fields_on_simple_calls);
	tcase_add_test(tc, varhead_on_calls_without_one);
	tcase_add_test(tc, input_alignment);
	tcase_add_test(tc, input_crossing_page);
	tcase_add_test(tc, input_outside_ram);
	tcase_add_test(tc, access_denied_first);
	tcase_add_test(tc, calling_conventions);
	tcase_add_test(tc, long_spin_wait);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, post_message_success);
	tcase_add_test(tm, post_message_handler_status);
	tcase_add_test(tm, post_message_bad_parameters);
	tcase_add_test(tm, post_message_connections);
	tcase_add_test(tm, post_message_fast_refused);
	tcase_add_test(tm, post_message_needs_synic);
	suite_add_tcase(s, tm);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, signal_event_fast);
	tcase_add_test(te, signal_event_slow);
	tcase_add_test(te, signal_event_bad_input);
	tcase_add_test(te, signal_event_needs_synic);
	suite_add_tcase(s, te);

	tcase_add_checked_fixture(ti, setup, teardown);
	tcase_add_test(ti, send_ipi_fast);
	tcase_add_test(ti, send_ipi_fast_bad);
	tcase_add_test(ti, send_ipi_slow);
	tcase_add_test(ti, send_ipi_needs_ipi);
	tcase_add_test(ti, send_ipi_ex_all);
	tcase_add_test(ti, send_ipi_ex_sparse);
	tcase_add_test(ti, send_ipi_ex_bad);
	tcase_add_test(ti, send_ipi_ex_needs_ipi);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	return test_main(hypercall_suite());
}
