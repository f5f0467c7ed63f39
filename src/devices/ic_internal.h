/* SPDX-License-Identifier: MIT */
/*
 * What the integration components share (ic.c) with the kinds that live in files of
 * their own (ic_kvp.c, ic_vss.c, ic_fcopy.c): the IC framing, the kind description and
 * the request queue.
 *
 * Kinds whose exchanges the host starts on demand (KVP) submit requests: the IC
 * keeps them in a bounded queue and has at most one with the guest at a time, as
 * the guest drivers read the next message only once they answered the last. Each
 * goes out with the descriptor's trans_id set to a fresh sequence number; the guest
 * answers in place with the same trans_id, so an answer is accepted only if it
 * carries the response flag, the request's message type and trans_id while that
 * request is outstanding. Anything else is counted and dropped.
 */
#ifndef HVKVM_IC_INTERNAL_H
#define HVKVM_IC_INTERNAL_H

#include "ic.h"
#include "ic_proto.h"
#include "log.h"

#include <stdbool.h>
#include <stdint.h>

struct loop_timer;
struct vmbus_channel;
struct vmbus_device;

#define IC_MAX_PACKET		4096	/* what hv_utils reads at most, unless the kind says more */
#define IC_QUEUE_MAX		32	/* requests waiting per IC */

/* Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) into UTF-16LE
 * without a NUL (ic_text.c): the units written (out may be NULL to count), or -1 if s
 * is not valid UTF-8 or needs more than max_units. */
int ic_utf8_to_utf16(const char *s, uint8_t *out, unsigned max_units);

struct ic_request;
/*
 * A request's end, called exactly once (also for a cancelled one, which then only
 * frees what it holds). err 0: the guest answered with status (an HRESULT) and body
 * (len bytes, valid during the call); else -ETIMEDOUT (no answer in time), -EPIPE (the
 * channel closed or was reset first) or -ECANCELED (the IC is going away).
 */
typedef void ic_done_fn(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len);

struct ic_request {
	struct ic *ic;
	uint8_t *body;			/* what goes after the IC header */
	uint32_t len;
	uint64_t trans_id;		/* once sent */
	uint64_t timeout_ns;		/* how long the guest has to answer */
	uint64_t deadline_ns;
	ic_done_fn *done;
	void *fn;			/* the kind's: whom to tell, with opaque */
	void *opaque;
	bool cancelled;			/* ic_cancel(opaque): tell nobody */
	struct ic_request *next;
};

struct ic_kind {
	const char *name;
	const char *class_id;
	const char *instance_id;
	uint16_t msgtype;
	const struct ic_version *msg_versions;	/* what the host offers, oldest first */
	unsigned nmsg_versions;
	uint32_t max_pkt;			/* the guest's packet limit; 0: IC_MAX_PACKET */
	uint64_t request_timeout_ns;		/* for submitted requests */
	void (*negotiated)(struct ic *ic);
	void (*response)(struct ic *ic, const struct ic_msg_hdr *h, const uint8_t *body, uint32_t len);
	void (*tick)(struct ic *ic);
	uint64_t period_ns;
	void (*closed)(struct ic *ic);		/* after the requests ended with -EPIPE */
	void (*fini)(struct ic *ic);		/* ic_free(), after the requests ended */
};

struct ic {
	const struct ic_kind *kind;
	struct vmbus_device *dev;
	struct vmbus_channel *ch;	/* while open */
	struct loop_timer *timer;
	bool negotiated;
	bool answered;			/* the guest answered the version negotiation */
	struct ic_version framework, message;
	uint8_t *rx;			/* receive buffer of max_pkt bytes */
	uint32_t max_pkt;
	ic_ref_time_fn *ref_time;
	void *ref_ctx;
	bool paused;			/* with the VM: no periodic messages, no requests */
	ic_negotiated_fn *on_negotiated;
	void *on_negotiated_opaque;
	/* requests (loop thread) */
	struct ic_request *queue, *queue_tail;	/* waiting to be sent */
	unsigned nqueued;
	struct ic_request *outstanding;		/* with the guest */
	uint64_t seq;				/* trans_id of the last request sent */
	uint64_t request_timeout_ns;
	uint64_t period_ns;		/* of the periodic messages: the kind's, or a test's */
	struct loop_timer *req_timer;
	uint64_t dropped;			/* answers that matched nothing */
	struct log_ratelimit rl;		/* what the guest's answers make us log */
	/* shutdown */
	int pending_shutdown;		/* -1 none, else the flags to send */
	/* heartbeat */
	enum ic_heartbeat_state hb_state;
	uint64_t hb_seq;
	unsigned hb_unanswered;		/* ticks since the last answer */
	bool hb_in_flight;		/* a beat was sent and not answered yet */
	uint64_t hb_last_ns;
	ic_heartbeat_fn *hb_notify;
	void *hb_opaque;
	/* timesync */
	bool ts_sync_next;
	/* file copy: the copy under way, NULL if none */
	struct fcopy_job *fcopy_job;
	/* VSS (ic_vss.c) */
	struct ic_vss *vss;
};

struct ic *ic_new(struct vmbus *bus, struct loop *loop, const struct ic_kind *kind);

/*
 * Queue a request (body copied, len bytes) for the guest; done is called exactly once,
 * later (never from inside this call). 0, or -ENODEV (the channel is not open and
 * negotiated, or failed), -EBUSY (the queue is full), -EMSGSIZE (larger than the guest
 * reads), -ENOMEM; done is not called then.
 */
int ic_submit(struct ic *ic, const void *body, uint32_t len, ic_done_fn *done, void *fn, void *opaque);
/* The same with a timeout of its own (0: the IC's request timeout). */
int ic_submit_timeout(struct ic *ic, const void *body, uint32_t len, uint64_t timeout_ns, ic_done_fn *done,
		      void *fn, void *opaque);

#endif
