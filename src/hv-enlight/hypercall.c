/* SPDX-License-Identifier: MIT */
/*
 * Hypercall decoding and the hypercalls hvkvm implements. Every input comes from the
 * guest: the control word is checked field by field, input pages are copied out of
 * guest RAM before they are looked at, and each failure has its TLFS status.
 */
#include "hv_internal.h"
#include "log.h"
#include "memory.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#define HV_MAX_BANKS	64	/* sparse VP set banks: 64 x 64 VPs */

struct hcall {
	struct hv *hv;
	unsigned vp;
	bool fast;
	unsigned varhead;	/* 8-byte units */
	uint64_t in, out;	/* GPAs, or the fast input registers */
};

struct hcall_def {
	uint16_t code;
	bool varhead;		/* accepts a variable header */
	int (*fn)(struct hcall *c);
};

static int hc_read_input(struct hcall *c, void *buf, size_t len)
{
	if (c->in % 8)
		return HV_STATUS_INVALID_ALIGNMENT;
	/* Inputs never cross a page; one that would, or lies outside RAM, is refused. */
	if ((c->in & (GMEM_PAGE_SIZE - 1)) + len > GMEM_PAGE_SIZE ||
	    gmem_read(c->hv->mem, c->in, buf, len) < 0)
		return HV_STATUS_INVALID_ALIGNMENT;
	return HV_STATUS_SUCCESS;
}

static int hc_post_message(struct hcall *c)
{
	struct hv_post_message_input in;
	struct hv_connection *conn;
	int status;

	if (!(c->hv->bits.priv_high & HV_POST_MESSAGES))
		return HV_STATUS_ACCESS_DENIED;
	if (c->fast)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;	/* 256 bytes do not fit registers */
	status = hc_read_input(c, &in, sizeof(in));
	if (status)
		return status;
	if (in.message_type == 0 || (in.message_type & 0x80000000u) ||
	    in.payload_size > HV_MESSAGE_PAYLOAD_MAX || (in.connection_id & 0xff000000u))
		return HV_STATUS_INVALID_PARAMETER;
	pthread_rwlock_rdlock(&c->hv->conn_lock);
	conn = hv_conn_find(c->hv, in.connection_id);
	if (!conn)
		status = HV_STATUS_INVALID_CONNECTION_ID;
	else if (!conn->msg)
		status = HV_STATUS_INVALID_PORT_ID;
	else
		status = conn->msg(conn->opaque, c->vp, in.message_type, in.payload, in.payload_size);
	pthread_rwlock_unlock(&c->hv->conn_lock);
	return status;
}

static int hc_signal_event(struct hcall *c)
{
	struct hv_connection *conn;
	uint64_t in;
	int status;

	if (!(c->hv->bits.priv_high & HV_SIGNAL_EVENTS))
		return HV_STATUS_ACCESS_DENIED;
	if (c->fast) {
		in = c->in;
	} else {
		status = hc_read_input(c, &in, sizeof(in));
		if (status)
			return status;
	}
	/* Connection id in 23:0, flag number in 47:32; the rest is reserved. */
	if (in & 0xffff0000ff000000ull)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	pthread_rwlock_rdlock(&c->hv->conn_lock);
	conn = hv_conn_find(c->hv, (uint32_t)(in & HV_SIGNAL_CONNECTION_MASK));
	if (!conn)
		status = HV_STATUS_INVALID_CONNECTION_ID;
	else if (!conn->event)
		status = HV_STATUS_INVALID_PORT_ID;
	else
		status = conn->event(conn->opaque, c->vp, (uint16_t)(in >> HV_SIGNAL_FLAG_SHIFT));
	pthread_rwlock_unlock(&c->hv->conn_lock);
	return status;
}

static int hc_long_spin_wait(struct hcall *c)
{
	(void)c;
	/* Another vCPU holds the lock this one spins on: let it run. */
	sched_yield();
	return HV_STATUS_SUCCESS;
}

static void send_ipi(struct hcall *c, unsigned vp, uint8_t vector)
{
	if (vp < c->hv->nvp)
		synic_inject(c->hv->synic, vp, vector);
}

static int ipi_check(uint64_t vector, uint8_t vtl)
{
	if (vector < HV_IPI_LOW_VECTOR || vector > HV_IPI_HIGH_VECTOR || vtl != 0)
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

static int hc_send_ipi(struct hcall *c)
{
	struct hv_send_ipi_input in;
	int status;

	/* A missing privilege is reported before anything about the input. */
	if (!hv_has(&c->hv->feat, HV_FEAT_IPI))
		return HV_STATUS_ACCESS_DENIED;
	if (c->fast) {
		/* RDX: vector in 31:0, target VTL in 39:32, the rest reserved; R8: the mask. */
		if (c->in >> 40)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		in.vector = (uint32_t)c->in;
		in.target_vtl = (uint8_t)(c->in >> 32);
		in.cpu_mask = c->out;
	} else {
		status = hc_read_input(c, &in, sizeof(in));
		if (status)
			return status;
	}
	status = ipi_check(in.vector, in.target_vtl);
	if (status)
		return status;
	for (unsigned vp = 0; vp < 64; vp++)
		if (in.cpu_mask & (1ull << vp))
			send_ipi(c, vp, (uint8_t)in.vector);
	return HV_STATUS_SUCCESS;
}

static int hc_send_ipi_ex(struct hcall *c)
{
	struct {
		struct hv_send_ipi_ex_input h;
		uint64_t banks[HV_MAX_BANKS];
	} in;
	unsigned nbanks, b, used = 0;
	int status;

	if (!hv_has(&c->hv->feat, HV_FEAT_IPI))
		return HV_STATUS_ACCESS_DENIED;
	if (c->fast)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;	/* XMM input is not offered */
	if (c->varhead > HV_MAX_BANKS)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = hc_read_input(c, &in, sizeof(in.h) + c->varhead * 8);
	if (status)
		return status;
	status = ipi_check(in.h.vector, in.h.target_vtl);
	if (status)
		return status;
	if (in.h.format == HV_GENERIC_SET_ALL) {
		for (unsigned vp = 0; vp < c->hv->nvp; vp++)
			send_ipi(c, vp, (uint8_t)in.h.vector);
		return HV_STATUS_SUCCESS;
	}
	if (in.h.format != HV_GENERIC_SET_SPARSE_4K)
		return HV_STATUS_INVALID_PARAMETER;
	nbanks = (unsigned)__builtin_popcountll(in.h.valid_bank_mask);
	if (nbanks != c->varhead)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	for (b = 0; b < HV_MAX_BANKS; b++) {
		uint64_t bits;

		if (!(in.h.valid_bank_mask & (1ull << b)))
			continue;
		bits = in.banks[used++];
		for (unsigned i = 0; i < 64; i++)
			if (bits & (1ull << i))
				send_ipi(c, b * 64 + i, (uint8_t)in.h.vector);
	}
	return HV_STATUS_SUCCESS;
}

static const struct hcall_def hcalls[] = {
	{ HVCALL_NOTIFY_LONG_SPIN_WAIT, false, hc_long_spin_wait },
	{ HVCALL_SEND_IPI, false, hc_send_ipi },
	{ HVCALL_SEND_IPI_EX, true, hc_send_ipi_ex },
	{ HVCALL_POST_MESSAGE, false, hc_post_message },
	{ HVCALL_SIGNAL_EVENT, false, hc_signal_event },
};

static void count_call(struct hv *hv, unsigned code)
{
	uint64_t *ctr = code < HV_HCALL_STAT_CODES ? &hv->hcalls[code] : &hv->hcalls_other;

	__atomic_fetch_add(ctr, 1, __ATOMIC_RELAXED);
}

uint64_t hv_hypercall_dispatch(struct hv *hv, unsigned vp, uint64_t control, uint64_t in, uint64_t out)
{
	unsigned code = (unsigned)(control & HV_HCALL_CODE_MASK);
	struct hcall c = {
		.hv = hv,
		.vp = vp,
		.fast = control & HV_HCALL_FAST,
		.varhead = (unsigned)((control & HV_HCALL_VARHEAD_MASK) >> HV_HCALL_VARHEAD_SHIFT),
		.in = in,
		.out = out,
	};
	const struct hcall_def *def = NULL;
	int status;

	count_call(hv, code);
	for (size_t i = 0; i < sizeof(hcalls) / sizeof(hcalls[0]); i++)
		if (hcalls[i].code == code)
			def = &hcalls[i];
	if (!def)
		status = HV_STATUS_INVALID_HYPERCALL_CODE;
	else if (control & HV_HCALL_RSVD)
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	/* Every implemented call is a simple one: rep fields must be zero. */
	else if (control & (HV_HCALL_REP_COUNT_MASK | HV_HCALL_REP_START_MASK))
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	else if (c.varhead && !def->varhead)
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	else
		status = def->fn(&c);
	if (status != HV_STATUS_SUCCESS) {
		__atomic_fetch_add(&hv->hcall_errors, 1, __ATOMIC_RELAXED);
		log_debug_limited(&hv->hcall_error_rl, "hypercall 0x%x (control 0x%llx) from VP %u: status 0x%x",
				  code, (unsigned long long)control, vp, status);
	}
	return (uint64_t)(uint16_t)status;
}
