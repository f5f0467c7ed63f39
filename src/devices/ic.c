/* SPDX-License-Identifier: MIT */
#include "ic_internal.h"
#include "guid.h"
#include "log.h"
#include "loop.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IC_HEARTBEAT_PERIOD_NS	2000000000ull
#define IC_HEARTBEAT_MISSED	3	/* unanswered beats before the guest counts as lost */
#define IC_TIMESYNC_PERIOD_NS	5000000000ull

static const struct ic_version framework_versions[] = { { 1, 0 }, { 3, 0 } };

static int ic_send_id(struct ic *ic, uint16_t msgtype, struct ic_version msgver, const void *body, uint16_t len,
		      uint64_t trans_id)
{
	struct {
		struct ic_pipe_hdr pipe;
		struct ic_msg_hdr ic;
	} __attribute__((packed)) h = {
		.pipe = { IC_PIPE_DATA, sizeof(struct ic_msg_hdr) + len },
		.ic = {
			.framework = ic->negotiated ? ic->framework : (struct ic_version){ 0, 0 },
			.msgtype = msgtype,
			.message = msgver,
			.msgsize = len,
			.flags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST,
		},
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)body, len } };
	int r;

	if (!ic->ch)
		return -EPIPE;
	r = vmbus_chan_send(ic->ch, VM_PKT_DATA_INBAND, 0, trans_id, iov, 2);
	if (r < 0 && r != -EPIPE && r != -EAGAIN)
		log_warn("%s IC: cannot send a message to the guest: %s", ic->kind->name, strerror(-r));
	return r;
}

static int ic_send(struct ic *ic, uint16_t msgtype, struct ic_version msgver, const void *body, uint16_t len)
{
	int r = ic_send_id(ic, msgtype, msgver, body, len, 0);

	if (r == -EAGAIN)
		log_warn("%s IC: cannot send a message to the guest: %s", ic->kind->name, strerror(-r));
	return r;
}

/* ---- requests --------------------------------------------------------------------- */

static void request_finish(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len)
{
	rq->done(rq, err, status, body, len);
	free(rq->body);
	free(rq);
}

/* The timer goes off at the earliest deadline of the outstanding and queued requests. */
static void requests_arm(struct ic *ic)
{
	uint64_t first = UINT64_MAX, now = loop_now_ns();

	if (!ic->req_timer)
		return;
	if (ic->paused) {
		loop_timer_disarm(ic->req_timer);
		return;
	}
	if (ic->outstanding)
		first = ic->outstanding->deadline_ns;
	for (struct ic_request *rq = ic->queue; rq; rq = rq->next)
		if (rq->deadline_ns < first)
			first = rq->deadline_ns;
	if (first == UINT64_MAX)
		loop_timer_disarm(ic->req_timer);
	else
		loop_timer_arm(ic->req_timer, first > now ? first - now : 1, 0);
}

/* Send the next request if none is with the guest. A full ring keeps it queued: the
 * channel's notify comes when the guest made room. */
static void requests_pump(struct ic *ic)
{
	while (!ic->outstanding && ic->queue && ic->ch && ic->negotiated && !ic->paused) {
		struct ic_request *rq = ic->queue;
		int r;

		rq->trans_id = ++ic->seq;
		r = ic_send_id(ic, ic->kind->msgtype, ic->message, rq->body, (uint16_t)rq->len, rq->trans_id);
		if (r == -EAGAIN)
			break;
		ic->queue = rq->next;
		if (!ic->queue)
			ic->queue_tail = NULL;
		ic->nqueued--;
		rq->next = NULL;
		if (r < 0) {
			request_finish(rq, -EPIPE, 0, NULL, 0);
			continue;
		}
		ic->outstanding = rq;
	}
	requests_arm(ic);
}

/* End every request with err: the channel closed, or the IC goes away. */
static void requests_fail(struct ic *ic, int err)
{
	struct ic_request *rq = ic->outstanding;

	ic->outstanding = NULL;
	if (rq)
		request_finish(rq, err, 0, NULL, 0);
	while (ic->queue) {
		rq = ic->queue;
		ic->queue = rq->next;
		if (!ic->queue)
			ic->queue_tail = NULL;	/* whole for what the callback submits */
		ic->nqueued--;
		rq->next = NULL;
		request_finish(rq, err, 0, NULL, 0);
	}
	requests_arm(ic);
}

/*
 * The guest did not answer in time. A late answer is dropped by its trans_id, so the
 * slot is free again; a guest that still holds the request reads the next one when it
 * is done with it.
 */
static void requests_timeout(void *opaque)
{
	struct ic *ic = opaque;
	uint64_t now = loop_now_ns();
	struct ic_request **pp, *expired = NULL, **ep = &expired;

	if (ic->outstanding && ic->outstanding->deadline_ns <= now) {
		struct ic_request *rq = ic->outstanding;

		ic->outstanding = NULL;
		log_warn_limited(&ic->rl, "%s IC: the guest did not answer request %llu within %llu ms", ic->kind->name,
				 (unsigned long long)rq->trans_id, (unsigned long long)(rq->timeout_ns / 1000000));
		request_finish(rq, -ETIMEDOUT, 0, NULL, 0);
	}
	/* The expired requests leave the queue first and are finished after: a callback
	 * may submit a new request, which must find the queue and its tail whole. */
	for (pp = &ic->queue; *pp;) {
		struct ic_request *rq = *pp;

		if (rq->deadline_ns > now) {
			pp = &rq->next;
			continue;
		}
		*pp = rq->next;
		ic->nqueued--;
		rq->next = NULL;
		*ep = rq;
		ep = &rq->next;
	}
	ic->queue_tail = NULL;
	for (struct ic_request *rq = ic->queue; rq; rq = rq->next)
		ic->queue_tail = rq;
	while (expired) {
		struct ic_request *rq = expired;

		expired = rq->next;
		request_finish(rq, -ETIMEDOUT, 0, NULL, 0);
	}
	requests_pump(ic);
}

int ic_submit(struct ic *ic, const void *body, uint32_t len, ic_done_fn *done, void *fn, void *opaque)
{
	return ic_submit_timeout(ic, body, len, 0, done, fn, opaque);
}

int ic_submit_timeout(struct ic *ic, const void *body, uint32_t len, uint64_t timeout_ns, ic_done_fn *done,
		      void *fn, void *opaque)
{
	struct ic_request *rq;

	if (!ic->ch || !ic->negotiated)
		return -ENODEV;
	if (ic->nqueued >= IC_QUEUE_MAX)
		return -EBUSY;
	if (len > UINT16_MAX || 16 + sizeof(struct ic_pipe_hdr) + sizeof(struct ic_msg_hdr) + len > ic->max_pkt)
		return -EMSGSIZE;
	rq = calloc(1, sizeof(*rq));
	if (!rq || !(rq->body = malloc(len ? len : 1))) {
		free(rq);
		return -ENOMEM;
	}
	memcpy(rq->body, body, len);
	rq->ic = ic;
	rq->len = len;
	rq->done = done;
	rq->fn = fn;
	rq->opaque = opaque;
	rq->timeout_ns = timeout_ns ? timeout_ns : ic->request_timeout_ns;
	rq->deadline_ns = loop_now_ns() + rq->timeout_ns;
	/* Sent at once if the slot is free; a failure then is the caller's to hear, never
	 * its callback's from inside this call. */
	if (!ic->outstanding && !ic->queue && !ic->paused) {
		int r;

		rq->trans_id = ++ic->seq;
		r = ic_send_id(ic, ic->kind->msgtype, ic->message, rq->body, (uint16_t)rq->len, rq->trans_id);
		if (r == 0) {
			ic->outstanding = rq;
			requests_arm(ic);
			return 0;
		}
		if (r != -EAGAIN) {
			free(rq->body);
			free(rq);
			return -ENODEV;	/* closed, or failed by a ring the guest broke */
		}
	}
	if (ic->queue_tail)
		ic->queue_tail->next = rq;
	else
		ic->queue = rq;
	ic->queue_tail = rq;
	ic->nqueued++;
	requests_arm(ic);
	return 0;
}

void ic_cancel(struct ic *ic, void *opaque)
{
	if (ic->outstanding && ic->outstanding->opaque == opaque)
		ic->outstanding->cancelled = true;
	for (struct ic_request *rq = ic->queue; rq; rq = rq->next)
		if (rq->opaque == opaque)
			rq->cancelled = true;
}

void ic_set_request_timeout(struct ic *ic, uint64_t ns)
{
	ic->request_timeout_ns = ns ? ns : ic->kind->request_timeout_ns;
}

void ic_set_period(struct ic *ic, uint64_t ns)
{
	if (!ic->kind->period_ns)
		return;
	ic->period_ns = ns ? ns : ic->kind->period_ns;
	if (ic->ch && !ic->paused)
		loop_timer_arm(ic->timer, ic->period_ns, ic->period_ns);
}

void ic_set_negotiated_notify(struct ic *ic, ic_negotiated_fn *fn, void *opaque)
{
	ic->on_negotiated = fn;
	ic->on_negotiated_opaque = opaque;
}

/* An answer to the request with the guest: it must be that one's. */
static void requests_answer(struct ic *ic, uint64_t trans_id, const struct ic_msg_hdr *h, const uint8_t *body,
			    uint32_t len)
{
	struct ic_request *rq = ic->outstanding;

	if (!rq || h->msgtype != ic->kind->msgtype || trans_id != rq->trans_id) {
		ic->dropped++;
		log_warn_limited(&ic->rl, "%s IC: dropped an answer (message type %u, trans_id %llu) that matches no request",
				 ic->kind->name, h->msgtype, (unsigned long long)trans_id);
		return;
	}
	ic->outstanding = NULL;
	request_finish(rq, 0, h->status, body, len);
	requests_pump(ic);
}

static void ic_send_negotiate(struct ic *ic)
{
	uint8_t buf[sizeof(struct ic_negotiate) + 16 * sizeof(struct ic_version)];
	struct ic_negotiate *n = (struct ic_negotiate *)buf;
	unsigned nf = sizeof(framework_versions) / sizeof(framework_versions[0]);
	unsigned nm = ic->kind->nmsg_versions;

	memset(buf, 0, sizeof(buf));
	n->framework_count = (uint16_t)nf;
	n->message_count = (uint16_t)nm;
	memcpy(n->v, framework_versions, nf * sizeof(n->v[0]));
	memcpy(n->v + nf, ic->kind->msg_versions, nm * sizeof(n->v[0]));
	ic_send(ic, IC_MSGTYPE_NEGOTIATE, (struct ic_version){ 0, 0 },
		buf, (uint16_t)(sizeof(*n) + (nf + nm) * sizeof(n->v[0])));
}

static bool version_offered(const struct ic_version *list, unsigned n, struct ic_version v)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i].major == v.major && list[i].minor == v.minor)
			return true;
	return false;
}

static void ic_negotiate_answer(struct ic *ic, const uint8_t *body, uint32_t len)
{
	struct ic_negotiate n;
	struct ic_version fw, msg;

	if (len < sizeof(n) + 2 * sizeof(struct ic_version))
		goto refused;
	memcpy(&n, body, sizeof(n));
	if (n.framework_count != 1 || n.message_count != 1)
		goto refused;
	memcpy(&fw, body + sizeof(n), sizeof(fw));
	memcpy(&msg, body + sizeof(n) + sizeof(fw), sizeof(msg));
	/* The guest must have picked from what was offered. */
	if (!version_offered(framework_versions, 2, fw) ||
	    !version_offered(ic->kind->msg_versions, ic->kind->nmsg_versions, msg))
		goto refused;
	ic->framework = fw;
	ic->message = msg;
	ic->negotiated = true;
	ic->answered = true;
	log_info("%s IC: guest driver uses version %u.%u (framework %u.%u)", ic->kind->name,
		 msg.major, msg.minor, fw.major, fw.minor);
	if (ic->kind->negotiated)
		ic->kind->negotiated(ic);
	if (ic->on_negotiated)
		ic->on_negotiated(ic->on_negotiated_opaque, ic);
	requests_pump(ic);
	return;
refused:
	ic->answered = true;
	log_warn("%s IC: the guest accepted none of the versions offered", ic->kind->name);
}

static bool ic_notify(struct vmbus_channel *ch, void *opaque)
{
	struct ic *ic = opaque;
	uint8_t *pkt = ic->rx;
	uint32_t len;
	int r;

	while ((r = vmbus_chan_recv(ch, pkt, ic->max_pkt, &len)) != -EAGAIN) {
		const struct vmbus_packet_desc *d = (const void *)pkt;
		struct ic_msg_hdr h;
		uint32_t off;

		if (r == -EMSGSIZE) {
			vmbus_chan_fail(ch, "packet larger than any IC message");
			return true;
		}
		if (r < 0)
			return true;
		/*
		 * Give the guest its ring space back before acting on the packet: an answer
		 * can start the next request, and the guest answers that one in place, as
		 * large as it came. Linux's util rings hold 12 KiB, file copy's messages
		 * 6 KiB: with the last answer still counted as unread, the next one would
		 * not fit, and hv_utils drops an answer it cannot send, never to retry.
		 */
		vmbus_chan_recv_done(ch);
		off = (uint32_t)d->offset8 * 8 + sizeof(struct ic_pipe_hdr);
		if (d->type != VM_PKT_DATA_INBAND || d->offset8 * 8u < sizeof(*d) || len < off + sizeof(h))
			continue;	/* not an IC message: nothing to answer */
		memcpy(&h, pkt + off, sizeof(h));
		off += sizeof(h);
		if (!(h.flags & IC_FLAG_RESPONSE))
			continue;
		if (h.msgsize > len - off) {
			ic->dropped++;
			continue;
		}
		if (h.msgtype == IC_MSGTYPE_NEGOTIATE) {
			if (!ic->negotiated)
				ic_negotiate_answer(ic, pkt + off, h.msgsize);
		} else if (!ic->negotiated) {
			continue;
		} else if (ic->kind->request_timeout_ns) {
			requests_answer(ic, d->trans_id, &h, pkt + off, h.msgsize);
		} else if (h.msgtype == ic->kind->msgtype && ic->kind->response) {
			ic->kind->response(ic, &h, pkt + off, h.msgsize);
		}
	}
	/* A request that did not fit goes now that the guest has read. */
	requests_pump(ic);
	return true;
}

static int ic_open(struct vmbus_channel *ch, void *opaque)
{
	struct ic *ic = opaque;

	ic->ch = ch;
	ic->negotiated = false;
	ic->answered = false;
	ic_send_negotiate(ic);
	if (ic->period_ns && !ic->paused)
		loop_timer_arm(ic->timer, ic->period_ns, ic->period_ns);
	return 0;
}

static void ic_close(struct vmbus_channel *ch, void *opaque)
{
	struct ic *ic = opaque;

	(void)ch;
	loop_timer_disarm(ic->timer);
	ic->ch = NULL;
	ic->negotiated = false;
	ic->answered = false;
	requests_fail(ic, -EPIPE);
	if (ic->kind->closed)
		ic->kind->closed(ic);
}

static const struct vmbus_dev_ops ic_ops = {
	.open = ic_open,
	.close = ic_close,
	.notify = ic_notify,
};

static void ic_tick(void *opaque)
{
	struct ic *ic = opaque;

	if (ic->ch && ic->negotiated && ic->kind->tick)
		ic->kind->tick(ic);
}

struct ic *ic_new(struct vmbus *bus, struct loop *loop, const struct ic_kind *kind)
{
	struct ic *ic = calloc(1, sizeof(*ic));
	struct vmbus_offer o = {
		/* A message-mode pipe, as Hyper-V offers its ICs. */
		.chn_flags = VMBUS_CHANNEL_ENUMERATE_DEVICE_INTERFACE | VMBUS_CHANNEL_NAMED_PIPE_MODE,
		.max_pkt = kind->max_pkt ? kind->max_pkt : IC_MAX_PACKET,
		.name = kind->name,
	};

	if (!ic)
		return NULL;
	ic->kind = kind;
	ic->max_pkt = o.max_pkt;
	ic->request_timeout_ns = kind->request_timeout_ns;
	ic->period_ns = kind->period_ns;
	ic->rx = malloc(ic->max_pkt);
	if (!ic->rx)
		goto fail;
	ic->pending_shutdown = -1;
	o.user_def[0] = 4;	/* pipe mode: message */
	if (vmbus_guid_parse(kind->class_id, &o.class_id) < 0 ||
	    vmbus_guid_parse(kind->instance_id, &o.instance_id) < 0)
		goto fail;
	ic->timer = loop_timer_new(loop, ic_tick, ic);
	if (!ic->timer)
		goto fail;
	if (kind->request_timeout_ns && !(ic->req_timer = loop_timer_new(loop, requests_timeout, ic)))
		goto fail;
	ic->dev = vmbus_device_add(bus, &o, &ic_ops, ic);
	if (!ic->dev)
		goto fail;
	return ic;
fail:
	loop_timer_free(ic->timer);
	loop_timer_free(ic->req_timer);
	free(ic->rx);
	free(ic);
	return NULL;
}

void ic_free(struct ic *ic)
{
	if (!ic)
		return;
	requests_fail(ic, -ECANCELED);
	if (ic->kind->fini)
		ic->kind->fini(ic);
	loop_timer_free(ic->timer);
	loop_timer_free(ic->req_timer);
	free(ic->rx);
	free(ic);
}

void ic_get_status(const struct ic *ic, struct ic_status *st)
{
	*st = (struct ic_status){
		.name = ic->kind->name,
		.class_id = ic->kind->class_id,
		.instance_id = ic->kind->instance_id,
		.open = ic->ch != NULL,
		.negotiated = ic->ch && ic->negotiated,
		.answered = ic->ch && ic->answered,
		.queued = ic->nqueued + (ic->outstanding != NULL),
		.dropped = ic->dropped,
		.major = ic->message.major,
		.minor = ic->message.minor,
	};
}

void ic_pause(struct ic *ic)
{
	ic->paused = true;
	loop_timer_disarm(ic->timer);
	requests_arm(ic);
}

void ic_resume(struct ic *ic)
{
	ic->paused = false;
	ic->hb_unanswered = 0;
	if (ic->ch && ic->period_ns)
		loop_timer_arm(ic->timer, ic->period_ns, ic->period_ns);
	if (ic->kind->msgtype == IC_MSGTYPE_TIMESYNC)
		ic_timesync_sync(ic);
	/* The time the VM was paused does not count: a paused guest cannot answer. */
	if (ic->outstanding)
		ic->outstanding->deadline_ns = loop_now_ns() + ic->outstanding->timeout_ns;
	for (struct ic_request *rq = ic->queue; rq; rq = rq->next)
		rq->deadline_ns = loop_now_ns() + rq->timeout_ns;
	requests_pump(ic);
}

/* ---- shutdown -------------------------------------------------------------------- */

static void shutdown_send(struct ic *ic)
{
	struct ic_shutdown_msg m = {
		.reason_code = IC_SHUTDOWN_REASON_PLANNED,
		.flags = (uint32_t)ic->pending_shutdown,
	};

	snprintf((char *)m.display_message, sizeof(m.display_message), "hvkvm: the host asked for a %s",
		 ic->pending_shutdown == IC_SHUTDOWN_RESTART ? "restart" : "shutdown");
	if (ic_send(ic, IC_MSGTYPE_SHUTDOWN, ic->message, &m, sizeof(m)) == 0)
		ic->pending_shutdown = -1;
}

static void shutdown_negotiated(struct ic *ic)
{
	if (ic->pending_shutdown >= 0)
		shutdown_send(ic);
}

static void shutdown_response(struct ic *ic, const struct ic_msg_hdr *h, const uint8_t *body, uint32_t len)
{
	(void)ic, (void)body, (void)len;
	if (h->status == IC_STATUS_OK)
		log_info("shutdown IC: the guest accepted the request");
	else
		log_warn("shutdown IC: the guest refused the request (status 0x%x)", h->status);
}

static const struct ic_version shutdown_versions[] = { { 1, 0 }, { 3, 0 }, { 3, 1 }, { 3, 2 } };

static const struct ic_kind shutdown_kind = {
	.name = "shutdown",
	.class_id = "0e0b6031-5213-4934-818b-38d90ced39db",
	.instance_id = "b6650ff7-33bc-4840-8048-e0676786f393",
	.msgtype = IC_MSGTYPE_SHUTDOWN,
	.msg_versions = shutdown_versions,
	.nmsg_versions = sizeof(shutdown_versions) / sizeof(shutdown_versions[0]),
	.negotiated = shutdown_negotiated,
	.response = shutdown_response,
};

struct ic *ic_shutdown_new(struct vmbus *bus, struct loop *loop)
{
	return ic_new(bus, loop, &shutdown_kind);
}

bool ic_shutdown_request(struct ic *ic, bool reboot)
{
	ic->pending_shutdown = reboot ? IC_SHUTDOWN_RESTART : IC_SHUTDOWN_POWEROFF;
	if (!ic->ch || !ic->negotiated)
		return false;
	shutdown_send(ic);
	return true;
}

/* ---- heartbeat ------------------------------------------------------------------- */

static void heartbeat_set_state(struct ic *ic, enum ic_heartbeat_state st)
{
	if (ic->hb_state == st)
		return;
	ic->hb_state = st;
	if (ic->hb_notify)
		ic->hb_notify(ic->hb_opaque, st, ic->hb_seq);
}

static void heartbeat_tick(struct ic *ic)
{
	struct ic_heartbeat_msg m = { .seq_num = ic->hb_seq };

	if (ic->hb_unanswered >= IC_HEARTBEAT_MISSED && ic->hb_state == IC_HEARTBEAT_ALIVE) {
		log_warn("heartbeat IC: the guest stopped answering (%u beats missed)", ic->hb_unanswered);
		heartbeat_set_state(ic, IC_HEARTBEAT_LOST);
	}
	ic->hb_unanswered++;
	/*
	 * One beat at a time: while the last one is unanswered, another would only queue
	 * behind it in the ring of a guest that does not read, until the ring is full. A
	 * beat that could not be sent is not in flight: the next tick tries again.
	 */
	if (!ic->hb_in_flight && ic_send(ic, IC_MSGTYPE_HEARTBEAT, ic->message, &m, sizeof(m)) == 0)
		ic->hb_in_flight = true;
}

static void heartbeat_response(struct ic *ic, const struct ic_msg_hdr *h, const uint8_t *body, uint32_t len)
{
	struct ic_heartbeat_msg m;

	(void)h;
	if (len < sizeof(m.seq_num))
		return;
	memcpy(&m.seq_num, body, sizeof(m.seq_num));
	/* The guest answers with the sequence number plus one; the next beat continues it. */
	if (m.seq_num != ic->hb_seq + 1)
		return;
	ic->hb_seq = m.seq_num;
	ic->hb_unanswered = 0;
	ic->hb_in_flight = false;
	ic->hb_last_ns = loop_now_ns();
	if (ic->hb_state != IC_HEARTBEAT_ALIVE)
		log_info("heartbeat IC: the guest %s", ic->hb_state == IC_HEARTBEAT_LOST ? "answers again" : "is alive");
	heartbeat_set_state(ic, IC_HEARTBEAT_ALIVE);
}

static void heartbeat_negotiated(struct ic *ic)
{
	ic->hb_unanswered = 0;
	ic->hb_in_flight = false;
	heartbeat_tick(ic);
}

static const struct ic_version heartbeat_versions[] = { { 1, 0 }, { 3, 0 } };

static const struct ic_kind heartbeat_kind = {
	.name = "heartbeat",
	.class_id = "57164f39-9115-4e78-ab55-382f3bd5422d",
	.instance_id = "2f9bcc4a-0069-4af3-b76b-6fd0be528cda",
	.msgtype = IC_MSGTYPE_HEARTBEAT,
	.msg_versions = heartbeat_versions,
	.nmsg_versions = sizeof(heartbeat_versions) / sizeof(heartbeat_versions[0]),
	.negotiated = heartbeat_negotiated,
	.response = heartbeat_response,
	.tick = heartbeat_tick,
	.period_ns = IC_HEARTBEAT_PERIOD_NS,
};

struct ic *ic_heartbeat_new(struct vmbus *bus, struct loop *loop)
{
	return ic_new(bus, loop, &heartbeat_kind);
}

enum ic_heartbeat_state ic_heartbeat_state(const struct ic *ic, uint64_t *last_seq)
{
	if (last_seq)
		*last_seq = ic->hb_seq;
	return ic->hb_state;
}

uint64_t ic_heartbeat_last_ns(const struct ic *ic)
{
	return ic->hb_last_ns;
}

void ic_heartbeat_set_notify(struct ic *ic, ic_heartbeat_fn *fn, void *opaque)
{
	ic->hb_notify = fn;
	ic->hb_opaque = opaque;
}

/* ---- time synchronization -------------------------------------------------------- */

static void timesync_send(struct ic *ic, uint8_t flags)
{
	struct timespec now;
	uint64_t parent;

	clock_gettime(CLOCK_REALTIME, &now);
	parent = (uint64_t)now.tv_sec * 10000000ull + (uint64_t)now.tv_nsec / 100 + IC_WINDOWS_EPOCH_DELTA;
	if (ic->message.major >= 4) {
		struct ic_timesync_msg m = {
			.parent_time = parent,
			.vm_reference_time = ic->ref_time(ic->ref_ctx),
			.flags = flags,
		};

		ic_send(ic, IC_MSGTYPE_TIMESYNC, ic->message, &m, sizeof(m));
	} else {
		struct ic_timesync_msg_v3 m = { .parent_time = parent, .flags = flags };

		ic_send(ic, IC_MSGTYPE_TIMESYNC, ic->message, &m, sizeof(m));
	}
}

static void timesync_negotiated(struct ic *ic)
{
	/* The first message after the channel opens sets the clock. */
	timesync_send(ic, IC_TIMESYNC_SYNC);
}

static void timesync_tick(struct ic *ic)
{
	timesync_send(ic, ic->ts_sync_next ? IC_TIMESYNC_SYNC : IC_TIMESYNC_SAMPLE);
	ic->ts_sync_next = false;
}

static const struct ic_version timesync_versions[] = { { 1, 0 }, { 3, 0 }, { 4, 0 } };

static const struct ic_kind timesync_kind = {
	.name = "time sync",
	.class_id = "9527e630-d0ae-497b-adce-e80ab0175caf",
	.instance_id = "2dd1ce17-079e-403c-b352-a1921ee207ee",
	.msgtype = IC_MSGTYPE_TIMESYNC,
	.msg_versions = timesync_versions,
	.nmsg_versions = sizeof(timesync_versions) / sizeof(timesync_versions[0]),
	.negotiated = timesync_negotiated,
	.tick = timesync_tick,
	.period_ns = IC_TIMESYNC_PERIOD_NS,
};

struct ic *ic_timesync_new(struct vmbus *bus, struct loop *loop, ic_ref_time_fn *ref_time, void *ctx)
{
	struct ic *ic = ic_new(bus, loop, &timesync_kind);

	if (ic) {
		ic->ref_time = ref_time;
		ic->ref_ctx = ctx;
	}
	return ic;
}

void ic_timesync_sync(struct ic *ic)
{
	if (ic->ch && ic->negotiated) {
		timesync_send(ic, IC_TIMESYNC_SYNC);
		ic->ts_sync_next = false;
	} else {
		ic->ts_sync_next = true;
	}
}
