/* SPDX-License-Identifier: MIT */
/*
 * The SynIC (TLFS "Inter-Partition Communication", "Virtual Interrupts"; hv-facts.md
 * §2.1, §5): its MSRs, SIM slots with the MessagePending/EOM protocol, SIEF event
 * flags, timer messages, and what a guest that misplaces its pages gets.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv_proto.h"
#include "log.h"
#include "memory.h"
#include "synic.h"
#include "testutil.h"

#define NVP		2
#define RAM_PAGES	64
#define RAM_SIZE	(RAM_PAGES * GMEM_PAGE_SIZE)
#define SIMP_GPA(vp)	(0x10000ull + (vp) * 0x4000ull)
#define SIEFP_GPA(vp)	(0x12000ull + (vp) * 0x4000ull)
#define SINT_MSR(n)	(HV_X64_MSR_SINT0 + (n))
#define VEC		0xf3

static uint8_t *ram;
static struct gmem mem;
static struct synic *sy;

/* ---- interrupt recorder ---------------------------------------------------------- */

#define MAX_INJ 4096

static pthread_mutex_t inj_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned vp;
	uint8_t vector;
} inj[MAX_INJ];
static unsigned ninj;
static int inj_ctx_tag;

static void rec_inject(void *ctx, unsigned vp, uint8_t vector)
{
	ck_assert_ptr_eq(ctx, &inj_ctx_tag);
	pthread_mutex_lock(&inj_lock);
	if (ninj < MAX_INJ) {
		inj[ninj].vp = vp;
		inj[ninj].vector = vector;
	}
	ninj++;
	pthread_mutex_unlock(&inj_lock);
}

static unsigned inj_count(void)
{
	unsigned n;

	pthread_mutex_lock(&inj_lock);
	n = ninj;
	pthread_mutex_unlock(&inj_lock);
	return n;
}

static void assert_inj(unsigned i, unsigned vp, uint8_t vector)
{
	ck_assert_uint_gt(inj_count(), i);
	ck_assert_uint_eq(inj[i].vp, vp);
	ck_assert_uint_eq(inj[i].vector, vector);
}

/* ---- fixture ---------------------------------------------------------------------- */

static void setup(void)
{
	struct gmem_region r = { 0, RAM_SIZE, NULL, 0 };

	ram = aligned_alloc(GMEM_PAGE_SIZE, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0, RAM_SIZE);
	r.host = ram;
	ck_assert_int_eq(gmem_init_regions(&mem, &r, 1), 0);
	sy = synic_new(&mem, NVP, rec_inject, &inj_ctx_tag);
	ck_assert_ptr_nonnull(sy);
	ninj = 0;
}

static void teardown(void)
{
	synic_free(sy);
	free(ram);
}

static void wr(unsigned vp, uint32_t msr, uint64_t val)
{
	int r = synic_msr_write(sy, vp, msr, val);

	ck_assert_msg(r == 0, "write 0x%x = 0x%llx on VP %u: %d", msr, (unsigned long long)val, vp, r);
}

static uint64_t rd(unsigned vp, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;

	ck_assert_int_eq(synic_msr_read(sy, vp, msr, &v), 0);
	return v;
}

/* What Linux's hv_synic_enable_regs does, with the SINT value given. */
static void enable_vp(unsigned vp, unsigned sint, uint64_t sintval)
{
	wr(vp, HV_X64_MSR_SIMP, SIMP_GPA(vp) | HV_PAGE_ENABLE);
	wr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA(vp) | HV_PAGE_ENABLE);
	wr(vp, SINT_MSR(sint), sintval);
	wr(vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
}

static struct hv_message *slot(unsigned vp, unsigned sint)
{
	return (struct hv_message *)(ram + SIMP_GPA(vp) + sint * HV_MESSAGE_SIZE);
}

static uint8_t *sief(unsigned vp)
{
	return ram + SIEFP_GPA(vp);
}

static uint32_t slot_type(unsigned vp, unsigned sint)
{
	return __atomic_load_n(test_slot_type(slot(vp, sint)), __ATOMIC_ACQUIRE);
}

static uint8_t slot_flags(unsigned vp, unsigned sint)
{
	return __atomic_load_n(&slot(vp, sint)->header.message_flags, __ATOMIC_ACQUIRE);
}

/* The guest's side of a slot, as Linux's vmbus_signal_eom: empty it, then EOM if pending. */
static void guest_done(unsigned vp, unsigned sint)
{
	struct hv_message *m = slot(vp, sint);
	uint32_t old = __atomic_load_n(test_slot_type(m), __ATOMIC_ACQUIRE);

	ck_assert(__atomic_compare_exchange_n(test_slot_type(m), &old, HVMSG_NONE, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) & HV_MESSAGE_PENDING)
		wr(vp, HV_X64_MSR_EOM, 0);
}

static void fill_payload(uint8_t *p, unsigned tag, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(tag * 31 + i);
}

static int post(unsigned vp, unsigned sint, uint32_t type, unsigned tag, size_t len)
{
	uint8_t p[HV_MESSAGE_PAYLOAD_MAX];

	fill_payload(p, tag, len);
	return synic_post_message(sy, vp, sint, type, 0x1000 + tag, p, len);
}

static void assert_slot(unsigned vp, unsigned sint, uint32_t type, unsigned tag, size_t len)
{
	const struct hv_message *m = slot(vp, sint);
	uint8_t p[HV_MESSAGE_PAYLOAD_MAX];

	fill_payload(p, tag, len);
	ck_assert_uint_eq(m->header.message_type, type);
	ck_assert_uint_eq(m->header.payload_size, len);
	ck_assert_uint_eq(m->header.origin, 0x1000 + tag);
	ck_assert_uint_eq(m->header.reserved, 0);
	ck_assert_msg(!memcmp(m->payload, p, len), "VP %u SINT %u: payload of message %u differs", vp, sint,
		      tag);
}

static bool page_is(uint64_t gpa, uint8_t byte)
{
	for (uint64_t i = 0; i < GMEM_PAGE_SIZE; i++)
		if (ram[gpa + i] != byte)
			return false;
	return true;
}

/* ---- MSRs ------------------------------------------------------------------------- */

START_TEST(msr_reset_values)
{
	for (unsigned vp = 0; vp < NVP; vp++) {
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SCONTROL), 0);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SVERSION), 1);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SIEFP), 0);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SIMP), 0);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_EOM), 0);
		for (unsigned i = 0; i < HV_SINT_COUNT; i++)
			ck_assert_uint_eq(rd(vp, SINT_MSR(i)), 0x10000);
	}
}
END_TEST

START_TEST(msr_bad_access)
{
	uint64_t v;

	ck_assert_int_eq(synic_msr_write(sy, 0, HV_X64_MSR_SVERSION, 1), -EPERM);
	ck_assert_int_eq(synic_msr_write(sy, 0, HV_X64_MSR_SVERSION, 2), -EPERM);
	ck_assert_uint_eq(rd(0, HV_X64_MSR_SVERSION), 1);
	/* Holes in the range and VPs that do not exist. */
	for (uint32_t msr = 0x40000085; msr < HV_X64_MSR_SINT0; msr++) {
		ck_assert_int_eq(synic_msr_read(sy, 0, msr, &v), -EPERM);
		ck_assert_int_eq(synic_msr_write(sy, 0, msr, 0), -EPERM);
	}
	ck_assert_int_eq(synic_msr_read(sy, NVP, HV_X64_MSR_SCONTROL, &v), -EPERM);
	ck_assert_int_eq(synic_msr_write(sy, NVP, HV_X64_MSR_SCONTROL, 1), -EPERM);
}
END_TEST

START_TEST(sint_vector_rules)
{
	for (unsigned vec = 0; vec < 16; vec++) {
		ck_assert_int_eq(synic_msr_write(sy, 0, SINT_MSR(2), vec), -EPERM);
		ck_assert_int_eq(synic_msr_write(sy, 0, SINT_MSR(2), vec | HV_SINT_POLLING), -EPERM);
		ck_assert_uint_eq(rd(0, SINT_MSR(2)), 0x10000);
	}
	/* Masked: any vector, including 0 (what nested Hyper-V writes). */
	wr(0, SINT_MSR(3), 0x10000);
	ck_assert_uint_eq(rd(0, SINT_MSR(3)), 0x10000);
	wr(0, SINT_MSR(3), 0x10005);
	ck_assert_uint_eq(rd(0, SINT_MSR(3)), 0x10005);
	wr(0, SINT_MSR(2), 16);
	ck_assert_uint_eq(rd(0, SINT_MSR(2)), 16);
	wr(0, SINT_MSR(2), 0xff);
	ck_assert_uint_eq(rd(0, SINT_MSR(2)), 0xff);
	/* RsvdP bits read back as written (Linux does read-modify-write). */
	wr(0, SINT_MSR(4), 0xabc00000000ull | 0x5a00 | 0xf3);
	ck_assert_uint_eq(rd(0, SINT_MSR(4)), 0xabc00000000ull | 0x5a00 | 0xf3);
	/* Per VP. */
	ck_assert_uint_eq(rd(1, SINT_MSR(2)), 0x10000);
}
END_TEST

START_TEST(page_enable_zero_fills)
{
	memset(ram + SIMP_GPA(0), 0xa5, GMEM_PAGE_SIZE);
	memset(ram + SIEFP_GPA(0), 0x5a, GMEM_PAGE_SIZE);
	/* Naming a page without enabling it does not touch it. */
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0));
	wr(0, HV_X64_MSR_SIEFP, SIEFP_GPA(0));
	ck_assert(page_is(SIMP_GPA(0), 0xa5));
	ck_assert(page_is(SIEFP_GPA(0), 0x5a));
	/* Enabling does, and the reserved bits 11:1 read back. */
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0) | 0x100 | HV_PAGE_ENABLE);
	ck_assert(page_is(SIMP_GPA(0), 0));
	ck_assert_uint_eq(rd(0, HV_X64_MSR_SIMP), SIMP_GPA(0) | 0x101);
	wr(0, HV_X64_MSR_SIEFP, SIEFP_GPA(0) | 0xffe | HV_PAGE_ENABLE);
	ck_assert(page_is(SIEFP_GPA(0), 0));
	ck_assert_uint_eq(rd(0, HV_X64_MSR_SIEFP), SIEFP_GPA(0) | 0xfff);
	/* SCONTROL's RsvdP bits too. */
	wr(0, HV_X64_MSR_SCONTROL, 0xf0000001ull);
	ck_assert_uint_eq(rd(0, HV_X64_MSR_SCONTROL), 0xf0000001ull);
	/* Moving the page to a new GPFN cleans the new page. */
	memset(ram + SIMP_GPA(1), 0x77, GMEM_PAGE_SIZE);
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(1) | HV_PAGE_ENABLE);
	ck_assert(page_is(SIMP_GPA(1), 0));
}
END_TEST

/* ---- messages ----------------------------------------------------------------------- */

START_TEST(post_queued_until_enabled)
{
	ck_assert_int_eq(post(1, 2, 1, 7, 40), 0);
	ck_assert_uint_eq(inj_count(), 0);
	ck_assert(page_is(SIMP_GPA(1), 0));
	/* SIMP and the SINT alone are not enough: SCONTROL gates the SynIC. */
	wr(1, HV_X64_MSR_SIMP, SIMP_GPA(1) | HV_PAGE_ENABLE);
	wr(1, SINT_MSR(2), VEC);
	ck_assert_uint_eq(slot_type(1, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 0);
	wr(1, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	assert_slot(1, 2, 1, 7, 40);
	ck_assert_uint_eq(slot_flags(1, 2), 0);
	ck_assert_uint_eq(inj_count(), 1);
	assert_inj(0, 1, VEC);
	/* Nothing leaked to the other VP or other slots. */
	ck_assert(page_is(SIMP_GPA(0), 0));
	for (unsigned s = 0; s < HV_SINT_COUNT; s++)
		if (s != 2)
			ck_assert_uint_eq(slot_type(1, s), HVMSG_NONE);
}
END_TEST

START_TEST(post_delivered_when_simp_enabled_last)
{
	wr(0, SINT_MSR(5), 0x40);
	wr(0, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	ck_assert_int_eq(post(0, 5, 0x11, 1, 0), 0);
	ck_assert_uint_eq(inj_count(), 0);
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0) | HV_PAGE_ENABLE);
	assert_slot(0, 5, 0x11, 1, 0);
	ck_assert_uint_eq(inj_count(), 1);
	assert_inj(0, 0, 0x40);
}
END_TEST

START_TEST(post_immediate)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 3, HV_MESSAGE_PAYLOAD_MAX), 0);
	assert_slot(0, 2, 1, 3, HV_MESSAGE_PAYLOAD_MAX);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	ck_assert_uint_eq(inj_count(), 1);
	assert_inj(0, 0, VEC);
}
END_TEST

START_TEST(busy_slot_pending_then_eom)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 16), 0);
	ck_assert_int_eq(post(0, 2, 1, 2, 24), 0);
	/* The slot still holds the first, now flagged: the guest must EOM. */
	assert_slot(0, 2, 1, 1, 16);
	ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, HV_MESSAGE_PENDING);
	ck_assert_uint_eq(inj_count(), 1);
	/* EOM with the slot still full does nothing. */
	wr(0, HV_X64_MSR_EOM, 0);
	assert_slot(0, 2, 1, 1, 16);
	ck_assert_uint_eq(inj_count(), 1);
	/* Freeing the slot without EOM does nothing either (hvkvm cannot see it). */
	__atomic_store_n(test_slot_type(slot(0, 2)), HVMSG_NONE, __ATOMIC_SEQ_CST);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 1);
	wr(0, HV_X64_MSR_EOM, 0);
	assert_slot(0, 2, 1, 2, 24);
	ck_assert_uint_eq(slot_flags(0, 2), 0);	/* nothing more queued */
	ck_assert_uint_eq(inj_count(), 2);
	assert_inj(1, 0, VEC);
	/* and an empty queue makes EOM a no-op */
	guest_done(0, 2);
	wr(0, HV_X64_MSR_EOM, 0);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 2);
}
END_TEST

START_TEST(ordering_and_more_flag)
{
	const unsigned n = 6;

	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(post(0, 2, 1 + i, i, 8 + i), 0);
	enable_vp(0, 2, VEC);
	for (unsigned i = 0; i < n; i++) {
		assert_slot(0, 2, 1 + i, i, 8 + i);
		/* MessagePending says whether more is queued behind this one. */
		ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, i + 1 < n ? HV_MESSAGE_PENDING : 0);
		ck_assert_uint_eq(inj_count(), i + 1);
		guest_done(0, 2);
	}
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), n);
}
END_TEST

START_TEST(sints_are_independent)
{
	enable_vp(0, 2, VEC);
	wr(0, SINT_MSR(3), 0x33);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	ck_assert_int_eq(post(0, 3, 1, 2, 8), 0);
	ck_assert_int_eq(post(0, 2, 1, 3, 8), 0);
	assert_slot(0, 2, 1, 1, 8);
	assert_slot(0, 3, 1, 2, 8);
	ck_assert_uint_eq(inj_count(), 2);
	assert_inj(1, 0, 0x33);
	guest_done(0, 2);
	assert_slot(0, 2, 1, 3, 8);
	assert_slot(0, 3, 1, 2, 8);
}
END_TEST

/*
 * The guest empties the slot after hvkvm found it busy (and without seeing a
 * MessagePending that was not there yet), so it writes no EOM. The next post must
 * deliver what waits, flagged so that the guest EOMs for the rest.
 */
START_TEST(race_freed_between_posts)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	ck_assert_int_eq(post(0, 2, 1, 2, 8), 0);	/* busy: queued */
	assert_slot(0, 2, 1, 1, 8);
	/* The guest frees it and (having read the flags before they were set) no EOM. */
	__atomic_store_n(&slot(0, 2)->header.message_flags, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(test_slot_type(slot(0, 2)), HVMSG_NONE, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(post(0, 2, 1, 3, 8), 0);
	assert_slot(0, 2, 1, 2, 8);
	ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, HV_MESSAGE_PENDING);
	ck_assert_uint_eq(inj_count(), 2);
	guest_done(0, 2);
	assert_slot(0, 2, 1, 3, 8);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	guest_done(0, 2);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 3);
}
END_TEST

/*
 * The race itself, made deterministic: the SIM page is read-only, so hvkvm's
 * setting of MessagePending in a busy slot faults. In the fault handler the "guest"
 * empties the slot and reads the flags: MessagePending is not set yet, so it writes
 * no EOM. Then the page is made writable and hvkvm's write completes. hvkvm must see
 * that the slot is free now and deliver; otherwise the message waits for an EOM
 * that never comes.
 */
static uint8_t *race_page;
static int race_faults;
static uint8_t race_flags_seen;

static void race_segv(int sig, siginfo_t *si, void *uc)
{
	struct hv_message *m = (struct hv_message *)(race_page + 2 * HV_MESSAGE_SIZE);

	(void)uc;
	if ((uint8_t *)si->si_addr < race_page || (uint8_t *)si->si_addr >= race_page + GMEM_PAGE_SIZE) {
		signal(sig, SIG_DFL);	/* a real crash: let it happen */
		return;
	}
	race_faults++;
	mprotect(race_page, GMEM_PAGE_SIZE, PROT_READ | PROT_WRITE);
	/* The guest, as vmbus_signal_eom: empty the slot, then look at the flags. */
	__atomic_store_n(test_slot_type(m), HVMSG_NONE, __ATOMIC_SEQ_CST);
	race_flags_seen = __atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST);
}

START_TEST(race_freed_while_claiming)
{
	struct sigaction sa, old;

	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	assert_slot(0, 2, 1, 1, 8);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	race_page = ram + SIMP_GPA(0);
	race_faults = 0;
	race_flags_seen = 0xff;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = race_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, &old), 0);
	ck_assert_int_eq(mprotect(race_page, GMEM_PAGE_SIZE, PROT_READ), 0);
	ck_assert_int_eq(post(0, 2, 1, 2, 8), 0);
	mprotect(race_page, GMEM_PAGE_SIZE, PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, &old, NULL);
	ck_assert_int_eq(race_faults, 1);
	ck_assert_uint_eq(race_flags_seen & HV_MESSAGE_PENDING, 0);	/* so the guest wrote no EOM */
	ck_assert_msg(slot_type(0, 2) != HVMSG_NONE, "message 2 is stranded: the slot is free, nobody will EOM");
	assert_slot(0, 2, 1, 2, 8);
	ck_assert_uint_eq(inj_count(), 2);
}
END_TEST

/*
 * The same race for real: a poster thread posts message i as soon as the guest
 * (this thread) has copied message i-1, so the post lands while the guest is
 * emptying the slot. The guest follows Linux exactly: copy, cmpxchg the type to
 * NONE, then EOM only if MessagePending is set. For two seconds every message
 * posted must arrive, in order; one left in the queue with nobody to EOM is lost.
 */
static unsigned race_received, race_posted;
static bool race_stop;

static void *race_poster(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; !__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE); i++) {
		for (unsigned n = 0; __atomic_load_n(&race_received, __ATOMIC_ACQUIRE) < i; n++) {
			if (__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE))
				return NULL;
			if (n < 100000)
				__builtin_ia32_pause();
			else
				sched_yield();
		}
		if (synic_post_message(sy, 0, 2, 1, 0, &i, sizeof(i)) != 0)
			return NULL;
		__atomic_store_n(&race_posted, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The guest takes one message if there is one: true if it did, and it was in order. */
static bool race_guest_step(unsigned *expected, unsigned *spin, bool *in_order)
{
	struct hv_message *m = slot(0, 2);
	uint32_t type = __atomic_load_n(test_slot_type(m), __ATOMIC_ACQUIRE);
	uint32_t seq;

	if (type == HVMSG_NONE)
		return false;
	memcpy(&seq, m->payload, sizeof(seq));
	if (seq != *expected)
		*in_order = false;
	(*expected)++;
	__atomic_store_n(&race_received, *expected, __ATOMIC_RELEASE);
	/* vary the moment the slot is emptied */
	*spin = *spin * 1103515245u + 12345u;
	for (volatile unsigned k = 0; k < ((*spin >> 16) & 0x3f); k++)
		;
	ck_assert(__atomic_compare_exchange_n(test_slot_type(m), &type, HVMSG_NONE, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) & HV_MESSAGE_PENDING)
		wr(0, HV_X64_MSR_EOM, 0);
	return true;
}

START_TEST(race_concurrent_no_stranding)
{
	pthread_t t;
	unsigned expected = 0, spin = 1, posted;
	bool in_order = true;
	uint64_t end, hard_end, idle_since;

	enable_vp(0, 2, VEC);
	race_received = race_posted = 0;
	race_stop = false;
	ck_assert_int_eq(pthread_create(&t, NULL, race_poster, NULL), 0);
	/*
	 * 2 s, and on a loaded machine on until 100 messages went through (30 s at most).
	 * A message posted and not seen for 2 s is stuck; a poster that has not posted
	 * is only starved of the CPU, and the test waits for it.
	 */
	end = test_now_ms() + 2000;
	hard_end = test_now_ms() + 30000;
	idle_since = test_now_ms();
	while (in_order && (test_now_ms() < end || expected < 100) && test_now_ms() < hard_end) {
		if (race_guest_step(&expected, &spin, &in_order)) {
			idle_since = test_now_ms();
			continue;
		}
		if (__atomic_load_n(&race_posted, __ATOMIC_ACQUIRE) <= expected) {
			idle_since = test_now_ms();
			sched_yield();
			continue;
		}
		if (test_now_ms() - idle_since > 2000)
			break;	/* the poster waits for us: a message is stuck */
	}
	__atomic_store_n(&race_stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	posted = __atomic_load_n(&race_posted, __ATOMIC_ACQUIRE);
	/* What was posted before the stop may still be on its way. */
	end = test_now_ms() + 500;
	while (in_order && expected < posted && test_now_ms() < end)
		if (!race_guest_step(&expected, &spin, &in_order))
			sched_yield();
	ck_assert_msg(in_order, "message %u arrived out of order", expected - 1);
	ck_assert_msg(expected == posted, "%u messages posted, %u arrived: one is stranded in the queue",
		      posted, expected);
	ck_assert_uint_ge(posted, 100);
}
END_TEST

START_TEST(masked_sint_writes_without_interrupt)
{
	enable_vp(0, 2, VEC | HV_SINT_MASKED);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	assert_slot(0, 2, 1, 1, 8);
	ck_assert_uint_eq(inj_count(), 0);
	/* EOM drains a masked SINT's queue too. */
	ck_assert_int_eq(post(0, 2, 1, 2, 8), 0);
	guest_done(0, 2);
	assert_slot(0, 2, 1, 2, 8);
	ck_assert_uint_eq(inj_count(), 0);
	/* Unmasking later does not fire for an already delivered message... */
	guest_done(0, 2);
	wr(0, SINT_MSR(2), VEC);
	ck_assert_uint_eq(inj_count(), 0);
	/* ...but new ones interrupt. */
	ck_assert_int_eq(post(0, 2, 1, 3, 8), 0);
	ck_assert_uint_eq(inj_count(), 1);
}
END_TEST

START_TEST(polling_sint_no_interrupt)
{
	enable_vp(0, 2, VEC | HV_SINT_POLLING);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	assert_slot(0, 2, 1, 1, 8);
	ck_assert_uint_eq(inj_count(), 0);
	ck_assert_int_eq(post(0, 2, 1, 2, 8), 0);
	guest_done(0, 2);
	assert_slot(0, 2, 1, 2, 8);
	ck_assert_uint_eq(inj_count(), 0);
}
END_TEST

START_TEST(queue_full)
{
	struct synic_stats st;

	/* Nowhere to deliver: every post waits in the queue. */
	for (unsigned i = 0; i < SYNIC_QUEUE_LEN; i++)
		ck_assert_int_eq(post(0, 2, 1, i, 4), 0);
	ck_assert_int_eq(post(0, 2, 1, 999, 4), -EAGAIN);
	synic_get_stats(sy, &st);
	ck_assert_uint_eq(st.queue_full, 1);
	/* Other SINTs and VPs have their own queues. */
	ck_assert_int_eq(post(0, 3, 1, 0, 4), 0);
	ck_assert_int_eq(post(1, 2, 1, 0, 4), 0);
	/* Everything accepted arrives, in order, and then there is room again. */
	enable_vp(0, 2, VEC);
	for (unsigned i = 0; i < SYNIC_QUEUE_LEN; i++) {
		assert_slot(0, 2, 1, i, 4);
		guest_done(0, 2);
	}
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_int_eq(post(0, 2, 1, 5, 4), 0);
}
END_TEST

START_TEST(queue_full_behind_busy_slot)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 0, 4), 0);	/* in the slot */
	for (unsigned i = 1; i <= SYNIC_QUEUE_LEN; i++)
		ck_assert_int_eq(post(0, 2, 1, i, 4), 0);
	ck_assert_int_eq(post(0, 2, 1, 999, 4), -EAGAIN);
	for (unsigned i = 0; i <= SYNIC_QUEUE_LEN; i++) {
		assert_slot(0, 2, 1, i, 4);
		guest_done(0, 2);
	}
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
}
END_TEST

START_TEST(post_bad_args)
{
	uint8_t p[HV_MESSAGE_PAYLOAD_MAX + 1] = { 0 };

	enable_vp(0, 2, VEC);
	ck_assert_int_eq(synic_post_message(sy, NVP, 2, 1, 0, p, 8), -EINVAL);
	ck_assert_int_eq(synic_post_message(sy, 1000, 2, 1, 0, p, 8), -EINVAL);
	ck_assert_int_eq(synic_post_message(sy, 0, HV_SINT_COUNT, 1, 0, p, 8), -EINVAL);
	ck_assert_int_eq(synic_post_message(sy, 0, 2, HVMSG_NONE, 0, p, 8), -EINVAL);
	ck_assert_int_eq(synic_post_message(sy, 0, 2, 1, 0, p, HV_MESSAGE_PAYLOAD_MAX + 1), -EINVAL);
	ck_assert_int_eq(synic_post_message(sy, 0, 2, 1, 0, p, 100000), -EINVAL);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 0);
	ck_assert_int_eq(synic_post_message(sy, 0, 2, 1, 0, p, HV_MESSAGE_PAYLOAD_MAX), 0);
}
END_TEST

/* ---- event flags -------------------------------------------------------------------- */

static unsigned sief_bits_set(unsigned vp)
{
	unsigned n = 0;

	for (unsigned i = 0; i < GMEM_PAGE_SIZE; i++)
		n += (unsigned)__builtin_popcount(sief(vp)[i]);
	return n;
}

START_TEST(event_exact_bit)
{
	static const struct {
		unsigned sint, flag;
	} cases[] = { { 0, 0 }, { 2, 1 }, { 2, 9 }, { 2, 255 }, { 5, 1234 }, { 15, 2047 }, { 7, 8 } };

	enable_vp(1, 2, VEC);
	for (unsigned s = 0; s < HV_SINT_COUNT; s++)
		wr(1, SINT_MSR(s), 0x20 + s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned sint = cases[i].sint, flag = cases[i].flag;
		unsigned byte = sint * 256 + flag / 8;

		memset(sief(1), 0, GMEM_PAGE_SIZE);
		ninj = 0;
		ck_assert_int_eq(synic_signal_event(sy, 1, sint, flag), HV_STATUS_SUCCESS);
		ck_assert_msg(sief(1)[byte] == (1u << (flag % 8)), "SINT %u flag %u: byte %u = 0x%x", sint, flag,
			      byte, sief(1)[byte]);
		ck_assert_uint_eq(sief_bits_set(1), 1);
		ck_assert_uint_eq(inj_count(), 1);
		assert_inj(0, 1, (uint8_t)(0x20 + sint));
		ck_assert_uint_eq(sief_bits_set(0), 0);
	}
}
END_TEST

START_TEST(event_interrupt_on_rising_edge_only)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 17), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(inj_count(), 1);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 17), HV_STATUS_SUCCESS);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 17), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(inj_count(), 1);
	/* Another flag of the same SINT is another 0->1. */
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 18), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(inj_count(), 2);
	/* The guest clears the flag: the next signal interrupts again. */
	__atomic_and_fetch(&sief(0)[2 * 256 + 17 / 8], (uint8_t)~(1u << (17 % 8)), __ATOMIC_SEQ_CST);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 17), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(inj_count(), 3);
	/* Bits the guest set itself are kept. */
	ck_assert_uint_eq(sief(0)[2 * 256 + 2], 0x06);
}
END_TEST

START_TEST(event_synic_state)
{
	/* Nothing enabled. */
	wr(0, SINT_MSR(2), VEC);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 1), HV_STATUS_INVALID_SYNIC_STATE);
	/* SIEFP on, SCONTROL off. */
	wr(0, HV_X64_MSR_SIEFP, SIEFP_GPA(0) | HV_PAGE_ENABLE);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 1), HV_STATUS_INVALID_SYNIC_STATE);
	/* SCONTROL on, SIEFP off. */
	wr(0, HV_X64_MSR_SIEFP, SIEFP_GPA(0));
	wr(0, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 1), HV_STATUS_INVALID_SYNIC_STATE);
	/* All on, SINT masked. */
	wr(0, HV_X64_MSR_SIEFP, SIEFP_GPA(0) | HV_PAGE_ENABLE);
	wr(0, SINT_MSR(2), VEC | HV_SINT_MASKED);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 1), HV_STATUS_INVALID_SYNIC_STATE);
	ck_assert_uint_eq(sief_bits_set(0), 0);
	ck_assert_uint_eq(inj_count(), 0);
	/* Polling: the flag is set, no interrupt. */
	wr(0, SINT_MSR(2), VEC | HV_SINT_POLLING);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 1), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(sief(0)[2 * 256], 0x02);
	ck_assert_uint_eq(inj_count(), 0);
	/* Unmasked at last. */
	wr(0, SINT_MSR(2), VEC);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 2), HV_STATUS_SUCCESS);
	ck_assert_uint_eq(inj_count(), 1);
}
END_TEST

START_TEST(event_bad_args)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, HV_EVENT_FLAGS_PER_SINT), HV_STATUS_INVALID_PARAMETER);
	ck_assert_int_eq(synic_signal_event(sy, 0, 2, 0xffffffffu), HV_STATUS_INVALID_PARAMETER);
	ck_assert_int_eq(synic_signal_event(sy, 0, HV_SINT_COUNT, 0), HV_STATUS_INVALID_PARAMETER);
	ck_assert_int_eq(synic_signal_event(sy, NVP, 2, 0), HV_STATUS_INVALID_VP_INDEX);
	ck_assert_uint_eq(sief_bits_set(0), 0);
	ck_assert_uint_eq(sief_bits_set(1), 0);
	ck_assert_uint_eq(inj_count(), 0);
}
END_TEST

/* ---- timer messages ----------------------------------------------------------------- */

static void assert_timer_slot(unsigned vp, unsigned sint, unsigned timer, uint64_t exp, uint64_t del)
{
	const struct hv_message *m = slot(vp, sint);
	struct hv_timer_message_payload p;

	ck_assert_uint_eq(m->header.message_type, HVMSG_TIMER_EXPIRED);
	ck_assert_uint_eq(m->header.payload_size, sizeof(p));
	ck_assert_uint_eq(m->header.origin, 0);
	memcpy(&p, m->payload, sizeof(p));
	ck_assert_uint_eq(p.timer_index, timer);
	ck_assert_uint_eq(p.reserved, 0);
	ck_assert_uint_eq(p.expiration_time, exp);
	ck_assert_uint_eq(p.delivery_time, del);
}

START_TEST(timer_written_when_free)
{
	enable_vp(1, 2, VEC);
	ck_assert(synic_post_timer(sy, 1, 2, 3, 1000, 1005));
	assert_timer_slot(1, 2, 3, 1000, 1005);
	ck_assert_uint_eq(slot_flags(1, 2), 0);
	ck_assert_uint_eq(inj_count(), 1);
	assert_inj(0, 1, VEC);
	/* Bad arguments are refused without effect. */
	guest_done(1, 2);
	ck_assert(!synic_post_timer(sy, NVP, 2, 0, 1, 1));
	ck_assert(!synic_post_timer(sy, 1, HV_SINT_COUNT, 0, 1, 1));
	ck_assert(!synic_post_timer(sy, 1, 2, HV_STIMER_COUNT, 1, 1));
	ck_assert_uint_eq(slot_type(1, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 1);
}
END_TEST

START_TEST(timer_pending_until_eom)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	ck_assert(!synic_post_timer(sy, 0, 2, 0, 500, 501));
	assert_slot(0, 2, 1, 1, 8);
	ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, HV_MESSAGE_PENDING);
	ck_assert_uint_eq(inj_count(), 1);
	guest_done(0, 2);
	assert_timer_slot(0, 2, 0, 500, 501);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	ck_assert_uint_eq(inj_count(), 2);
	guest_done(0, 2);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
}
END_TEST

START_TEST(timer_pending_until_simp)
{
	wr(0, SINT_MSR(2), VEC);
	wr(0, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	ck_assert(!synic_post_timer(sy, 0, 2, 1, 77, 78));
	ck_assert_uint_eq(inj_count(), 0);
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0) | HV_PAGE_ENABLE);
	assert_timer_slot(0, 2, 1, 77, 78);
	ck_assert_uint_eq(inj_count(), 1);
}
END_TEST

START_TEST(timer_newer_replaces_pending)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	ck_assert(!synic_post_timer(sy, 0, 2, 2, 100, 101));
	ck_assert(!synic_post_timer(sy, 0, 2, 2, 200, 201));
	guest_done(0, 2);
	assert_timer_slot(0, 2, 2, 200, 201);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	guest_done(0, 2);
	/* One buffer per timer: the older expiry is gone. */
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 2);
}
END_TEST

START_TEST(timer_before_queued_messages)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);	/* in the slot */
	ck_assert_int_eq(post(0, 2, 1, 2, 8), 0);	/* queued */
	ck_assert_int_eq(post(0, 2, 1, 3, 8), 0);	/* queued */
	ck_assert(!synic_post_timer(sy, 0, 2, 0, 900, 901));
	guest_done(0, 2);
	assert_timer_slot(0, 2, 0, 900, 901);
	ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, HV_MESSAGE_PENDING);
	guest_done(0, 2);
	assert_slot(0, 2, 1, 2, 8);
	ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, HV_MESSAGE_PENDING);
	guest_done(0, 2);
	assert_slot(0, 2, 1, 3, 8);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	guest_done(0, 2);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
}
END_TEST

START_TEST(two_timers_one_sint)
{
	enable_vp(0, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	ck_assert(!synic_post_timer(sy, 0, 2, 3, 30, 31));
	ck_assert(!synic_post_timer(sy, 0, 2, 1, 10, 11));
	guest_done(0, 2);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_TIMER_EXPIRED);
	/* the second is flagged as waiting */
	ck_assert_uint_eq(slot_flags(0, 2) & HV_MESSAGE_PENDING, HV_MESSAGE_PENDING);
	guest_done(0, 2);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_TIMER_EXPIRED);
	ck_assert_uint_eq(slot_flags(0, 2), 0);
	guest_done(0, 2);
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
	ck_assert_uint_eq(inj_count(), 3);
}
END_TEST

/* ---- hostile page placement, reset ----------------------------------------------------- */

START_TEST(pages_outside_ram)
{
	/* Just past RAM, above 4 GiB, and at the top of the address space: all "not RAM". */
	static const uint64_t bad[] = { RAM_SIZE, 0x100000000ull, 0xfffffffffffff000ull };

	wr(0, SINT_MSR(2), VEC);
	wr(0, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(0, HV_X64_MSR_SIMP, bad[i] | HV_PAGE_ENABLE);
		wr(0, HV_X64_MSR_SIEFP, bad[i] | HV_PAGE_ENABLE);
		ck_assert_uint_eq(rd(0, HV_X64_MSR_SIMP), bad[i] | HV_PAGE_ENABLE);
		ck_assert_int_eq(post(0, 2, 1, (unsigned)i, 8), 0);
		ck_assert(!synic_post_timer(sy, 0, 2, 0, 5, 6));
		ck_assert_int_eq(synic_signal_event(sy, 0, 2, 3), HV_STATUS_INVALID_SYNIC_STATE);
		wr(0, HV_X64_MSR_EOM, 0);
	}
	ck_assert_uint_eq(inj_count(), 0);
	/* Nothing was lost: a real page gets the timer, then the messages in order. */
	wr(0, HV_X64_MSR_SIMP, SIMP_GPA(0) | HV_PAGE_ENABLE);
	assert_timer_slot(0, 2, 0, 5, 6);
	guest_done(0, 2);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_slot(0, 2, 1, i, 8);
		guest_done(0, 2);
	}
	ck_assert_uint_eq(slot_type(0, 2), HVMSG_NONE);
}
END_TEST

/*
 * A guest that moves its pages to a new address outside RAM each time cannot fill
 * the log, nor silence the warnings after it: the SynIC logs a bounded number of
 * lines for the flood, and a different warning still gets through.
 */
START_TEST(page_flood_cannot_silence)
{
	char *text;

	test_stderr_begin();
	for (uint64_t i = 0; i < 5000; i++) {
		wr(0, HV_X64_MSR_SIMP, (RAM_SIZE + i * GMEM_PAGE_SIZE) | HV_PAGE_ENABLE);
		wr(1, HV_X64_MSR_SIEFP, (0x100000000ull + i * GMEM_PAGE_SIZE) | HV_PAGE_ENABLE);
	}
	wr(1, SINT_MSR(5), VEC | HV_SINT_AUTO_EOI);
	text = test_stderr_end();
	ck_assert_uint_le(test_count_lines(text, "outside RAM"), LOG_RATELIMIT_BURST);
	ck_assert_uint_ge(test_count_lines(text, "outside RAM"), 1);
	ck_assert_uint_eq(test_count_lines(text, "auto-EOI"), 1);
	free(text);
}
END_TEST

START_TEST(reset_clears_everything)
{
	enable_vp(0, 2, VEC);
	enable_vp(1, 2, VEC);
	ck_assert_int_eq(post(0, 2, 1, 1, 8), 0);
	ck_assert_int_eq(post(0, 2, 1, 2, 8), 0);
	ck_assert(!synic_post_timer(sy, 0, 2, 0, 5, 6));
	ck_assert_int_eq(post(1, 3, 1, 3, 8), 0);	/* SINT3 masked: written, no interrupt */
	synic_reset(sy);
	for (unsigned vp = 0; vp < NVP; vp++) {
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SCONTROL), 0);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SIMP), 0);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SIEFP), 0);
		ck_assert_uint_eq(rd(vp, HV_X64_MSR_SVERSION), 1);
		for (unsigned s = 0; s < HV_SINT_COUNT; s++)
			ck_assert_uint_eq(rd(vp, SINT_MSR(s)), 0x10000);
	}
	/* Queued messages and pending timers are gone: a fresh start delivers nothing. */
	ninj = 0;
	enable_vp(0, 2, VEC);
	ck_assert(page_is(SIMP_GPA(0), 0));
	ck_assert_uint_eq(inj_count(), 0);
	/* and the queue has its full length again (one in the slot, the rest queued) */
	for (unsigned i = 0; i < SYNIC_QUEUE_LEN + 1; i++)
		ck_assert_int_eq(post(0, 2, 1, i, 4), 0);
}
END_TEST

static Suite *synic_suite(void)
{
	Suite *s = suite_create("synic");
	TCase *tm = tcase_create("msr");
	TCase *tq = tcase_create("messages");
	TCase *te = tcase_create("events");
	TCase *tt = tcase_create("timers");
	TCase *tx = tcase_create("hostile");

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, msr_reset_values);
	tcase_add_test(tm, msr_bad_access);
	tcase_add_test(tm, sint_vector_rules);
	tcase_add_test(tm, page_enable_zero_fills);
	tcase_add_test(tm, page_flood_cannot_silence);
	suite_add_tcase(s, tm);

	tcase_add_checked_fixture(tq, setup, teardown);
	tcase_set_timeout(tq, 60);
	tcase_add_test(tq, post_queued_until_enabled);
	tcase_add_test(tq, post_delivered_when_simp_enabled_last);
	tcase_add_test(tq, post_immediate);
	tcase_add_test(tq, busy_slot_pending_then_eom);
	tcase_add_test(tq, ordering_and_more_flag);
	tcase_add_test(tq, sints_are_independent);
	tcase_add_test(tq, race_freed_between_posts);
	tcase_add_test(tq, race_freed_while_claiming);
	tcase_add_test(tq, race_concurrent_no_stranding);
	tcase_add_test(tq, masked_sint_writes_without_interrupt);
	tcase_add_test(tq, polling_sint_no_interrupt);
	tcase_add_test(tq, queue_full);
	tcase_add_test(tq, queue_full_behind_busy_slot);
	tcase_add_test(tq, post_bad_args);
	suite_add_tcase(s, tq);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, event_exact_bit);
	tcase_add_test(te, event_interrupt_on_rising_edge_only);
	tcase_add_test(te, event_synic_state);
	tcase_add_test(te, event_bad_args);
	suite_add_tcase(s, te);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, timer_written_when_free);
	tcase_add_test(tt, timer_pending_until_eom);
	tcase_add_test(tt, timer_pending_until_simp);
	tcase_add_test(tt, timer_newer_replaces_pending);
	tcase_add_test(tt, timer_before_queued_messages);
	tcase_add_test(tt, two_timers_one_sint);
	suite_add_tcase(s, tt);

	tcase_add_checked_fixture(tx, setup, teardown);
	tcase_add_test(tx, pages_outside_ram);
	tcase_add_test(tx, reset_clears_everything);
	suite_add_tcase(s, tx);
	return s;
}

int main(void)
{
	return test_main(synic_suite());
}
