/* SPDX-License-Identifier: MIT */
/*
 * VSS, Hyper-V's "Backup" IC: the host asks the guest to freeze its file systems (so a
 * snapshot of its disks is consistent) and to thaw them again. Linux's hv_utils hands
 * FREEZE and THAW to hv_vss_daemon, which runs FIFREEZE / FITHAW on every mounted
 * writable file system, and answers in place when it is done; without the daemon it
 * answers E_FAIL at once. Nothing in the guest thaws by itself, so the host must: a
 * freeze here always ends with a THAW, asked for or sent when the time it may last
 * runs out, and a freeze that was not answered (it may still happen) is followed by
 * one too.
 *
 * Linux negotiates framework 3.0 and message version 5.0 only (FREEZE and THAW need
 * 5.0), reads packets up to 8 KiB, and binds only on VMBus 3.0 (Windows 8.1) and later.
 */
#include "ic_internal.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VSS_MAX_PKT		8192		/* VSS_MAX_PKT_SIZE of hv_snapshot.c */
#define VSS_THAW_TIMEOUT_NS	35000000000ull	/* Linux gives its daemon 30 s for a THAW */
/* Linux gives its daemon 15 minutes for a FREEZE; a caller waits this long, then the
 * freeze is called off with a THAW the guest reads once it is done. */
#define VSS_FREEZE_TIMEOUT_NS	60000000000ull

struct ic_vss {
	struct ic *ic;
	enum ic_vss_state state;
	unsigned thaws;			/* THAW requests queued or with the guest */
	uint64_t hold_ns;		/* how long the freeze under way may last */
	uint64_t thaw_at_ns;		/* FROZEN: when the IC thaws by itself */
	struct loop_timer *timer;	/* that */
	ic_vss_notify_fn *notify;
	void *notify_opaque;
};

const char *ic_vss_state_name(enum ic_vss_state s)
{
	switch (s) {
	case IC_VSS_THAWED: return "thawed";
	case IC_VSS_FREEZING: return "freezing";
	case IC_VSS_FROZEN: return "frozen";
	case IC_VSS_THAWING: return "thawing";
	default: return "unknown";
	}
}

static void vss_set_state(struct ic *ic, enum ic_vss_state st, const char *reason)
{
	struct ic_vss *v = ic->vss;
	enum ic_vss_state prev = v->state;

	if (st != IC_VSS_FROZEN)
		loop_timer_disarm(v->timer);
	if (prev == st)
		return;
	v->state = st;
	if (st == IC_VSS_UNKNOWN)
		log_warn("VSS IC: whether the guest's file systems are frozen is unknown now (%s)", reason);
	else if (st == IC_VSS_FROZEN || st == IC_VSS_THAWED || prev == IC_VSS_FROZEN)
		log_info("VSS IC: the guest's file systems are %s (%s)", ic_vss_state_name(st), reason);
	if (v->notify)
		v->notify(v->notify_opaque, st, prev, reason);
}

int ic_vss_check_answer(const uint8_t *body, uint32_t len, uint8_t op)
{
	struct vss_msg m;

	/* answered in place: the operation the host asked for is still there */
	if (len < sizeof(m))
		return -EPROTO;
	memcpy(&m, body, sizeof(m));
	return m.operation == op ? 0 : -EPROTO;
}

static int vss_send(struct ic *ic, uint8_t op, uint64_t timeout_ns, ic_vss_fn *fn, void *opaque);

/* A THAW the IC sends of its own accord; UNKNOWN if it cannot. */
static void vss_thaw_now(struct ic *ic, const char *reason)
{
	if (vss_send(ic, VSS_OP_THAW, 0, NULL, NULL) < 0) {
		vss_set_state(ic, IC_VSS_UNKNOWN, reason);
		return;
	}
	vss_set_state(ic, IC_VSS_THAWING, reason);
}

static void vss_done(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len)
{
	struct ic *ic = rq->ic;
	struct ic_vss *v = ic->vss;
	ic_vss_fn *fn = (ic_vss_fn *)rq->fn;
	uint8_t op = rq->body[0];

	if (!err && ic_vss_check_answer(body, len, op) < 0) {
		log_warn_limited(&ic->rl, "VSS IC: the guest's answer to %s is malformed",
				 op == VSS_OP_FREEZE ? "FREEZE" : "THAW");
		err = -EPROTO;
	}
	if (v) {
		if (op == VSS_OP_THAW)
			v->thaws--;
		if (err == -EPIPE || err == -ECANCELED) {
			vss_set_state(ic, IC_VSS_UNKNOWN, "closed");
		} else if (op == VSS_OP_FREEZE) {
			if (!err && status == IC_HV_S_OK && v->thaws) {
				vss_set_state(ic, IC_VSS_THAWING, "request");
			} else if (!err && status == IC_HV_S_OK) {
				vss_set_state(ic, IC_VSS_FROZEN, "guest");
				v->thaw_at_ns = loop_now_ns() + v->hold_ns;
				loop_timer_arm(v->timer, v->hold_ns, 0);
			} else if (!err) {
				/* Linux's daemon thaws what it froze when one file system fails */
				log_warn("VSS IC: the guest could not freeze its file systems (status 0x%08x)", status);
				vss_set_state(ic, v->thaws ? IC_VSS_THAWING : IC_VSS_THAWED, "failed");
			} else if (v->thaws) {
				vss_set_state(ic, IC_VSS_THAWING, err == -ETIMEDOUT ? "timeout" : "malformed");
			} else {
				/* it may still freeze: make sure it thaws after */
				vss_thaw_now(ic, err == -ETIMEDOUT ? "timeout" : "malformed");
			}
		} else if (!v->thaws && v->state == IC_VSS_THAWING) {
			if (!err && status == IC_HV_S_OK)
				vss_set_state(ic, IC_VSS_THAWED, "guest");
			else {
				if (!err)
					log_warn("VSS IC: the guest could not thaw its file systems (status 0x%08x)",
						 status);
				vss_set_state(ic, IC_VSS_UNKNOWN,
					      !err ? "failed" : err == -ETIMEDOUT ? "timeout" : "malformed");
			}
		}
	}
	if (fn && !rq->cancelled)
		fn(rq->opaque, err, err ? 0 : status);
}

static int vss_send(struct ic *ic, uint8_t op, uint64_t timeout_ns, ic_vss_fn *fn, void *opaque)
{
	struct vss_msg m = { .operation = op };
	int r = ic_submit_timeout(ic, &m, sizeof(m), timeout_ns, vss_done, (void *)fn, opaque);

	if (r == 0 && op == VSS_OP_THAW)
		ic->vss->thaws++;
	return r;
}

/* A timeout set for the tests (ic_set_request_timeout) applies to FREEZE as well. */
static uint64_t freeze_timeout(const struct ic *ic)
{
	return ic->request_timeout_ns != ic->kind->request_timeout_ns ? ic->request_timeout_ns
								      : VSS_FREEZE_TIMEOUT_NS;
}

int ic_vss_freeze(struct ic *ic, uint64_t hold_ns, ic_vss_fn *fn, void *opaque)
{
	struct ic_vss *v = ic->vss;
	int r;

	if (!hold_ns)
		return -EINVAL;
	if (!ic->ch || !ic->negotiated)
		return -ENODEV;
	if (v->state == IC_VSS_FROZEN)
		return -EALREADY;
	if (v->state == IC_VSS_FREEZING || v->state == IC_VSS_THAWING)
		return -EBUSY;
	r = vss_send(ic, VSS_OP_FREEZE, freeze_timeout(ic), fn, opaque);
	if (r < 0)
		return r;
	v->hold_ns = hold_ns;
	vss_set_state(ic, IC_VSS_FREEZING, "request");
	return 0;
}

int ic_vss_thaw(struct ic *ic, ic_vss_fn *fn, void *opaque)
{
	struct ic_vss *v = ic->vss;
	uint64_t timeout_ns = 0;	/* the IC's own */
	int r;

	if (!ic->ch || !ic->negotiated)
		return -ENODEV;
	/*
	 * Behind a FREEZE under way the THAW is sent only once the FREEZE ends, which may
	 * take the FREEZE's whole time: its own time starts after that, or it could run
	 * out unsent and the freeze would then be left in force.
	 */
	if (v->state == IC_VSS_FREEZING)
		timeout_ns = freeze_timeout(ic) + ic->request_timeout_ns;
	r = vss_send(ic, VSS_OP_THAW, timeout_ns, fn, opaque);
	if (r < 0)
		return r;
	/* a FREEZE under way ends first; its answer then says THAWING */
	if (v->state != IC_VSS_FREEZING)
		vss_set_state(ic, IC_VSS_THAWING, "request");
	return 0;
}

enum ic_vss_state ic_vss_get_state(const struct ic *ic, uint64_t *thaw_in_ns)
{
	const struct ic_vss *v = ic->vss;

	if (thaw_in_ns) {
		uint64_t now = loop_now_ns();

		*thaw_in_ns = v->state == IC_VSS_FROZEN && v->thaw_at_ns > now ? v->thaw_at_ns - now : 0;
	}
	return v->state;
}

void ic_vss_set_notify(struct ic *ic, ic_vss_notify_fn *fn, void *opaque)
{
	ic->vss->notify = fn;
	ic->vss->notify_opaque = opaque;
}

void ic_vss_reset(struct ic *ic)
{
	vss_set_state(ic, IC_VSS_THAWED, "reset");
}

/* The time a freeze may last ran out. */
static void vss_expired(void *opaque)
{
	struct ic *ic = ((struct ic_vss *)opaque)->ic;

	if (ic->vss->state != IC_VSS_FROZEN)
		return;
	log_info("VSS IC: the freeze ran out of time: thawing the guest");
	if (!ic->ch || !ic->negotiated) {
		vss_set_state(ic, IC_VSS_UNKNOWN, "closed");
		return;
	}
	vss_thaw_now(ic, "timeout");
}

static void vss_negotiated(struct ic *ic)
{
	/* Whatever happened while hvkvm could not see: thaw, to be sure. */
	if (ic->vss->state == IC_VSS_UNKNOWN)
		vss_thaw_now(ic, "recover");
}

static void vss_closed(struct ic *ic)
{
	/* A Linux daemon thaws when its device goes away; other guests may not. */
	if (ic->vss->state != IC_VSS_THAWED)
		vss_set_state(ic, IC_VSS_UNKNOWN, "closed");
}

static void vss_fini(struct ic *ic)
{
	if (!ic->vss)
		return;
	loop_timer_free(ic->vss->timer);
	free(ic->vss);
	ic->vss = NULL;
}

static const struct ic_version vss_versions[] = { { 5, 0 } };

static const struct ic_kind vss_kind = {
	.name = "VSS",
	.class_id = "35fa2e29-ea23-4236-96ae-3a6ebacba440",
	.instance_id = "2450ee40-33bf-4fbd-892e-9fb06e9214cf",
	.msgtype = IC_MSGTYPE_VSS,
	.msg_versions = vss_versions,
	.nmsg_versions = sizeof(vss_versions) / sizeof(vss_versions[0]),
	.max_pkt = VSS_MAX_PKT,
	.request_timeout_ns = VSS_THAW_TIMEOUT_NS,
	.negotiated = vss_negotiated,
	.closed = vss_closed,
	.fini = vss_fini,
};

struct ic *ic_vss_new(struct vmbus *bus, struct loop *loop)
{
	struct ic_vss *v = calloc(1, sizeof(*v));
	struct ic *ic;

	if (!v)
		return NULL;
	v->timer = loop_timer_new(loop, vss_expired, v);
	if (!v->timer || !(ic = ic_new(bus, loop, &vss_kind))) {
		loop_timer_free(v->timer);
		free(v);
		return NULL;
	}
	ic->vss = v;
	v->ic = ic;
	return ic;
}
