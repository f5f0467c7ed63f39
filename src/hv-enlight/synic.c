/* SPDX-License-Identifier: MIT */
#include "synic.h"
#include "log.h"
#include "memory.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SIMP_OFF_FLAGS	5	/* message_flags within a slot */

struct synic_queue {
	struct hv_message msg[SYNIC_QUEUE_LEN];
	unsigned head, count;
};

struct synic_timer_msg {
	bool pending;
	bool delayed;		/* its slot was busy when it expired */
	unsigned sint;
	uint64_t expiration, delivery;
};

struct synic_vp {
	pthread_mutex_t lock;	/* everything below; taken on vCPU and loop threads */
	uint64_t scontrol;
	uint64_t siefp;
	uint64_t simp;
	uint64_t sint[HV_SINT_COUNT];
	struct synic_queue q[HV_SINT_COUNT];
	struct synic_timer_msg timer[HV_STIMER_COUNT];
};

struct synic {
	const struct gmem *mem;
	unsigned nvp;
	synic_inject_fn *inject;
	void *ctx;
	struct synic_vp *vp;
	struct synic_stats stats;	/* updated with atomic adds */
	struct log_ratelimit page_rl;	/* SIMP/SIEFP pages outside RAM */
	struct log_ratelimit auto_eoi_rl;
	uint64_t (*now)(void *ctx);
	void *now_ctx;
};

void synic_set_clock(struct synic *s, uint64_t (*now)(void *ctx), void *ctx)
{
	s->now = now;
	s->now_ctx = ctx;
}

static void stat_add(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static void vp_reset(struct synic_vp *v)
{
	v->scontrol = 0;
	v->siefp = 0;
	v->simp = 0;
	for (unsigned i = 0; i < HV_SINT_COUNT; i++) {
		v->sint[i] = HV_SINT_RESET;
		v->q[i].head = v->q[i].count = 0;
	}
	memset(v->timer, 0, sizeof(v->timer));
}

struct synic *synic_new(const struct gmem *mem, unsigned nvp, synic_inject_fn *inject, void *ctx)
{
	struct synic *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->vp = calloc(nvp, sizeof(*s->vp));
	if (!s->vp) {
		free(s);
		return NULL;
	}
	s->mem = mem;
	s->nvp = nvp;
	s->inject = inject;
	s->ctx = ctx;
	for (unsigned i = 0; i < nvp; i++) {
		pthread_mutex_init(&s->vp[i].lock, NULL);
		vp_reset(&s->vp[i]);
	}
	return s;
}

void synic_free(struct synic *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nvp; i++)
		pthread_mutex_destroy(&s->vp[i].lock);
	free(s->vp);
	free(s);
}

void synic_reset(struct synic *s)
{
	for (unsigned i = 0; i < s->nvp; i++) {
		pthread_mutex_lock(&s->vp[i].lock);
		vp_reset(&s->vp[i]);
		pthread_mutex_unlock(&s->vp[i].lock);
	}
}

static uint64_t page_gpa(uint64_t msr)
{
	return msr & ~(GMEM_PAGE_SIZE - 1);
}

/* The SIM slot of sint, or NULL while the SynIC or the SIM page is off or not RAM. */
static struct hv_message *sim_slot(const struct synic *s, const struct synic_vp *v, unsigned sint)
{
	uint8_t *page;

	if (!(v->scontrol & HV_SCONTROL_ENABLE) || !(v->simp & HV_PAGE_ENABLE))
		return NULL;
	page = gmem_ptr(s->mem, page_gpa(v->simp), GMEM_PAGE_SIZE);
	return page ? (struct hv_message *)(page + sint * HV_MESSAGE_SIZE) : NULL;
}

static bool sint_interrupts(uint64_t sint)
{
	return !(sint & (HV_SINT_MASKED | HV_SINT_POLLING)) && (sint & HV_SINT_VECTOR_MASK) >= 16;
}

/* Called with v->lock held; the callback only issues an ioctl and takes no locks. */
static void raise_sint(struct synic *s, unsigned vp, struct synic_vp *v, unsigned sint)
{
	if (!sint_interrupts(v->sint[sint]))
		return;
	stat_add(&s->stats.interrupts);
	s->inject(s->ctx, vp, (uint8_t)(v->sint[sint] & HV_SINT_VECTOR_MASK));
}

/*
 * Claim the slot if the guest has emptied it. If not, set MessagePending so that the
 * guest writes EOM when it does, then look again: the guest may have emptied it
 * between our first look and the flag, without seeing the flag.
 */
/* The type is at offset 0 of a 256-byte slot in the SIM page, so 4-byte aligned; the
 * packed struct does not say so, and atomics on its member would become libatomic
 * calls (clang). */
static uint32_t *slot_type(struct hv_message *slot)
{
	return __builtin_assume_aligned(slot, 4);
}

static bool slot_claim(struct hv_message *slot)
{
	uint8_t *flags = (uint8_t *)slot + SIMP_OFF_FLAGS;

	if (__atomic_load_n(slot_type(slot), __ATOMIC_ACQUIRE) == HVMSG_NONE)
		return true;
	__atomic_fetch_or(flags, HV_MESSAGE_PENDING, __ATOMIC_SEQ_CST);
	return __atomic_load_n(slot_type(slot), __ATOMIC_SEQ_CST) == HVMSG_NONE;
}

/* Write a message into a claimed slot: the type last, since the guest reads it first. */
static void slot_write(struct hv_message *slot, uint32_t type, uint64_t origin, const void *payload,
		       uint8_t len, bool more)
{
	memcpy(slot->payload, payload, len);
	slot->header.payload_size = len;
	slot->header.message_flags = more ? HV_MESSAGE_PENDING : 0;
	slot->header.reserved = 0;
	slot->header.origin = origin;
	__atomic_store_n(slot_type(slot), type, __ATOMIC_RELEASE);
}

static bool sint_has_pending_timer(const struct synic_vp *v, unsigned sint, unsigned except)
{
	for (unsigned t = 0; t < HV_STIMER_COUNT; t++)
		if (t != except && v->timer[t].pending && v->timer[t].sint == sint)
			return true;
	return false;
}

/* Move what is waiting for sint into its slot, if the slot is free. Timer messages go
 * first: a late tick is worse than a late VMBus message. */
static void sint_flush(struct synic *s, unsigned vp, struct synic_vp *v, unsigned sint)
{
	struct synic_queue *q = &v->q[sint];
	struct hv_message *slot = sim_slot(s, v, sint);

	if (!slot)
		return;
	for (unsigned t = 0; t < HV_STIMER_COUNT; t++) {
		struct synic_timer_msg *tm = &v->timer[t];
		struct hv_timer_message_payload p;

		if (!tm->pending || tm->sint != sint)
			continue;
		if (!slot_claim(slot))
			return;
		/* DeliveryTime is when the message reaches the slot, which may be after an EOM. */
		p = (struct hv_timer_message_payload){ t, 0, tm->expiration,
						       tm->delayed && s->now ? s->now(s->now_ctx) : tm->delivery };
		tm->pending = false;
		slot_write(slot, HVMSG_TIMER_EXPIRED, 0, &p, sizeof(p),
			   q->count > 0 || sint_has_pending_timer(v, sint, t));
		stat_add(&s->stats.messages);
		raise_sint(s, vp, v, sint);
		return;
	}
	if (q->count == 0 || !slot_claim(slot))
		return;
	{
		const struct hv_message *m = &q->msg[q->head];

		slot_write(slot, m->header.message_type, m->header.origin, m->payload,
			   m->header.payload_size, q->count > 1);
	}
	q->head = (q->head + 1) % SYNIC_QUEUE_LEN;
	q->count--;
	stat_add(&s->stats.messages);
	raise_sint(s, vp, v, sint);
}

static void vp_flush_all(struct synic *s, unsigned vp, struct synic_vp *v)
{
	for (unsigned i = 0; i < HV_SINT_COUNT; i++)
		sint_flush(s, vp, v, i);
}

int synic_post_message(struct synic *s, unsigned vp, unsigned sint, uint32_t type, uint64_t origin,
		       const void *payload, size_t len)
{
	struct synic_vp *v;
	struct synic_queue *q;
	struct hv_message *m;

	if (vp >= s->nvp || sint >= HV_SINT_COUNT || type == HVMSG_NONE || len > HV_MESSAGE_PAYLOAD_MAX)
		return -EINVAL;
	v = &s->vp[vp];
	pthread_mutex_lock(&v->lock);
	q = &v->q[sint];
	if (q->count == SYNIC_QUEUE_LEN) {
		pthread_mutex_unlock(&v->lock);
		stat_add(&s->stats.queue_full);
		return -EAGAIN;
	}
	m = &q->msg[(q->head + q->count) % SYNIC_QUEUE_LEN];
	memset(&m->header, 0, sizeof(m->header));
	m->header.message_type = type;
	m->header.payload_size = (uint8_t)len;
	m->header.origin = origin;
	memcpy(m->payload, payload, len);
	q->count++;
	sint_flush(s, vp, v, sint);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

bool synic_post_timer(struct synic *s, unsigned vp, unsigned sint, unsigned timer,
		      uint64_t expiration, uint64_t delivery)
{
	struct synic_vp *v;
	bool written;

	if (vp >= s->nvp || sint >= HV_SINT_COUNT || timer >= HV_STIMER_COUNT)
		return false;
	v = &s->vp[vp];
	pthread_mutex_lock(&v->lock);
	/* A tick still waiting for its slot absorbs this one: the guest learns of the
	 * latest expiry, as with Hyper-V's single buffer per timer. */
	v->timer[timer] = (struct synic_timer_msg){ true, false, sint, expiration, delivery };
	sint_flush(s, vp, v, sint);
	written = !v->timer[timer].pending;
	v->timer[timer].delayed = !written;
	pthread_mutex_unlock(&v->lock);
	return written;
}

int synic_signal_event(struct synic *s, unsigned vp, unsigned sint, unsigned flag)
{
	struct synic_vp *v;
	uint8_t *page, old;
	int status = HV_STATUS_SUCCESS;

	if (vp >= s->nvp)
		return HV_STATUS_INVALID_VP_INDEX;
	if (sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_PER_SINT)
		return HV_STATUS_INVALID_PARAMETER;
	v = &s->vp[vp];
	pthread_mutex_lock(&v->lock);
	page = (v->scontrol & HV_SCONTROL_ENABLE) && (v->siefp & HV_PAGE_ENABLE) ?
		       gmem_ptr(s->mem, page_gpa(v->siefp), GMEM_PAGE_SIZE) : NULL;
	if (!page || (v->sint[sint] & HV_SINT_MASKED)) {
		status = HV_STATUS_INVALID_SYNIC_STATE;
	} else {
		uint8_t bit = (uint8_t)(1u << (flag % 8));

		old = __atomic_fetch_or(page + sint * (HV_EVENT_FLAGS_PER_SINT / 8) + flag / 8, bit,
					__ATOMIC_SEQ_CST);
		if (!(old & bit)) {
			stat_add(&s->stats.events);
			raise_sint(s, vp, v, sint);
		}
	}
	pthread_mutex_unlock(&v->lock);
	return status;
}

void synic_inject(struct synic *s, unsigned vp, uint8_t vector)
{
	stat_add(&s->stats.interrupts);
	s->inject(s->ctx, vp, vector);
}

/* KVM and Hyper-V hand the guest clean pages when it turns them on. */
static void page_enabled(struct synic *s, uint64_t old, uint64_t val)
{
	void *page;

	if (!(val & HV_PAGE_ENABLE) || ((old & HV_PAGE_ENABLE) && page_gpa(old) == page_gpa(val)))
		return;
	page = gmem_ptr(s->mem, page_gpa(val), GMEM_PAGE_SIZE);
	if (page)
		memset(page, 0, GMEM_PAGE_SIZE);
	else
		log_warn_limited(&s->page_rl, "SynIC: the guest placed a page at 0x%llx, outside RAM; it stays unusable",
				 (unsigned long long)page_gpa(val));
}

/* A VP's SynIC, locked; NULL if the partition has no such VP. */
static struct synic_vp *vp_lock(struct synic *s, unsigned vp)
{
	if (vp >= s->nvp)
		return NULL;
	pthread_mutex_lock(&s->vp[vp].lock);
	return &s->vp[vp];
}

int synic_msr_read(struct synic *s, unsigned vp, uint32_t msr, uint64_t *val)
{
	struct synic_vp *v = vp_lock(s, vp);
	int r = 0;

	if (!v)
		return -EPERM;
	if (msr == HV_X64_MSR_SCONTROL)
		*val = v->scontrol;
	else if (msr == HV_X64_MSR_SVERSION)
		*val = HV_SYNIC_VERSION;
	else if (msr == HV_X64_MSR_SIEFP)
		*val = v->siefp;
	else if (msr == HV_X64_MSR_SIMP)
		*val = v->simp;
	else if (msr == HV_X64_MSR_EOM)
		*val = 0;
	else if (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15)
		*val = v->sint[msr - HV_X64_MSR_SINT0];
	else
		r = -EPERM;
	pthread_mutex_unlock(&v->lock);
	return r;
}

int synic_msr_write(struct synic *s, unsigned vp, uint32_t msr, uint64_t val)
{
	struct synic_vp *v = vp_lock(s, vp);
	int r = 0;

	if (!v)
		return -EPERM;
	switch (msr) {
	case HV_X64_MSR_SCONTROL:
		v->scontrol = val;
		vp_flush_all(s, vp, v);
		break;
	case HV_X64_MSR_SVERSION:
		r = -EPERM;
		break;
	case HV_X64_MSR_SIEFP:
		page_enabled(s, v->siefp, val);
		v->siefp = val;
		break;
	case HV_X64_MSR_SIMP:
		page_enabled(s, v->simp, val);
		v->simp = val;
		vp_flush_all(s, vp, v);
		break;
	case HV_X64_MSR_EOM:
		stat_add(&s->stats.eoms);
		vp_flush_all(s, vp, v);
		break;
	default:
		if (msr < HV_X64_MSR_SINT0 || msr > HV_X64_MSR_SINT15) {
			r = -EPERM;
			break;
		}
		/* An unmasked SINT needs a real vector; a masked one may hold anything. */
		if (!(val & HV_SINT_MASKED) && (val & HV_SINT_VECTOR_MASK) < 16) {
			r = -EPERM;
			break;
		}
		if (val & HV_SINT_AUTO_EOI)
			log_warn_limited(&s->auto_eoi_rl,
					 "SynIC: the guest asked for auto-EOI, which hvkvm advertises as deprecated "
					 "and does not perform; it must EOI SINT interrupts itself");
		v->sint[msr - HV_X64_MSR_SINT0] = val;
		sint_flush(s, vp, v, msr - HV_X64_MSR_SINT0);
		break;
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}

void synic_get_stats(struct synic *s, struct synic_stats *out)
{
	out->messages = __atomic_load_n(&s->stats.messages, __ATOMIC_RELAXED);
	out->events = __atomic_load_n(&s->stats.events, __ATOMIC_RELAXED);
	out->interrupts = __atomic_load_n(&s->stats.interrupts, __ATOMIC_RELAXED);
	out->eoms = __atomic_load_n(&s->stats.eoms, __ATOMIC_RELAXED);
	out->queue_full = __atomic_load_n(&s->stats.queue_full, __ATOMIC_RELAXED);
}
