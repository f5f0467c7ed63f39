/* SPDX-License-Identifier: MIT */
/*
 * Hyper-V integration components: shutdown, heartbeat, time synchronization, key-value
 * pair exchange (KVP, "Data Exchange") and VSS ("Backup"), the VMBus devices Linux's hv_utils and
 * Windows' ICs bind to. Every exchange is started by the host: a version negotiation
 * when the guest opens the channel, then requests the guest answers.
 */
#ifndef HVKVM_IC_H
#define HVKVM_IC_H

#include <stdbool.h>
#include <stdint.h>

struct vmbus;
struct loop;
struct ic;

/* Partition reference time (100 ns) now, for time-sync samples. */
typedef uint64_t ic_ref_time_fn(void *ctx);

struct ic *ic_shutdown_new(struct vmbus *bus, struct loop *loop);
struct ic *ic_heartbeat_new(struct vmbus *bus, struct loop *loop);
struct ic *ic_timesync_new(struct vmbus *bus, struct loop *loop, ic_ref_time_fn *ref_time, void *ctx);
void ic_free(struct ic *ic);

/*
 * Ask the guest to power off (reboot = false) or restart. Returns false if no guest
 * driver is there to ask (the channel is not open or not negotiated yet); the
 * request is then kept and sent once it is.
 */
bool ic_shutdown_request(struct ic *ic, bool reboot);

enum ic_heartbeat_state {
	IC_HEARTBEAT_NONE,	/* the guest never answered */
	IC_HEARTBEAT_ALIVE,
	IC_HEARTBEAT_LOST,	/* it answered once, then stopped */
};
enum ic_heartbeat_state ic_heartbeat_state(const struct ic *ic, uint64_t *last_seq);
/* CLOCK_MONOTONIC (ns) of the guest's last heartbeat answer, 0 if none. */
uint64_t ic_heartbeat_last_ns(const struct ic *ic);
/* Called on the loop thread when the state changes (alive, lost, alive again). */
typedef void ic_heartbeat_fn(void *opaque, enum ic_heartbeat_state state, uint64_t seq);
void ic_heartbeat_set_notify(struct ic *ic, ic_heartbeat_fn *fn, void *opaque);

/* Send the host time now with the hard "sync" flag (after a pause or restore). */
void ic_timesync_sync(struct ic *ic);

/* What the management API shows of a component. */
struct ic_status {
	const char *name;		/* "shutdown", "heartbeat", "time sync" */
	const char *class_id, *instance_id;
	bool open;			/* the guest opened the channel */
	bool negotiated;		/* and agreed on a version */
	bool answered;			/* the guest answered the negotiation (even to refuse) */
	unsigned queued;		/* requests waiting or with the guest */
	uint64_t dropped;		/* answers that matched no request */
	uint16_t major, minor;		/* the message version then */
};
void ic_get_status(const struct ic *ic, struct ic_status *st);

/* The VM pauses: periodic messages stop (a paused guest cannot answer a heartbeat);
 * on resume they start again, and time sync sends the host time with the sync flag. */
void ic_pause(struct ic *ic);
void ic_resume(struct ic *ic);

/* Called on the loop thread each time the guest agreed on a version (again after
 * each reopen of the channel). */
typedef void ic_negotiated_fn(void *opaque, struct ic *ic);
void ic_set_negotiated_notify(struct ic *ic, ic_negotiated_fn *fn, void *opaque);
/* Forget the callbacks of every request made with opaque (they are never called). */
void ic_cancel(struct ic *ic, void *opaque);
/* Per-request timeout (0: the kind's own); for tests. */
void ic_set_request_timeout(struct ic *ic, uint64_t ns);
/* Period of a kind's periodic messages (0: the kind's own); for tests. Loop thread. */
void ic_set_period(struct ic *ic, uint64_t ns);

/* ---- KVP (Data Exchange) ---------------------------------------------------------- */

/* The pools (Hyper-V's registry keys under Virtual Machine\... in Windows guests). */
enum ic_kvp_pool {
	IC_KVP_POOL_EXTERNAL,		/* host to guest, set by the user on the host */
	IC_KVP_POOL_GUEST,		/* written inside the guest for the host */
	IC_KVP_POOL_AUTO,		/* the guest's intrinsic data: name, OS, addresses */
	IC_KVP_POOL_AUTO_EXTERNAL,	/* host to guest, what the host says itself */
	IC_KVP_POOL_AUTO_INTERNAL,	/* never exchanged */
	IC_KVP_POOL_COUNT,
};

/* HRESULTs the guest answers with. */
#define IC_HV_S_OK		0x00000000u
#define IC_HV_E_FAIL		0x80004005u
#define IC_HV_S_CONT		0x80070103u	/* ERROR_NO_MORE_ITEMS: past the last record */

/* Limits of the text: UTF-16 code units without the NUL, and the UTF-8 bytes that
 * Linux's daemon takes. */
#define IC_KVP_KEY_UNITS	255
#define IC_KVP_VALUE_UNITS	1023
#define IC_KVP_KEY_UTF8		511
#define IC_KVP_VALUE_UTF8	2047

/* What a KVP request ends with. err as in every IC request: 0 answered (status),
 * -ETIMEDOUT, -EPIPE (channel closed, VM reset), -ECANCELED; -EPROTO: the guest's
 * answer was malformed (why in the log). */
struct ic_kvp_result {
	int err;
	uint32_t status;
	/* ENUMERATE with status 0: the record, as UTF-8 (integers in decimal) */
	uint32_t value_type;
	char key[IC_KVP_KEY_UNITS * 3 + 1];
	char value[IC_KVP_VALUE_UNITS * 3 + 1];
	/* GET_IP_INFO with status 0: ';'-separated lists, as the guest sent them */
	uint8_t addr_family, dhcp;
	char ip[1024 * 3], subnet[1024 * 3], gateway[512 * 3], dns[1024 * 3];
};
typedef void ic_kvp_fn(void *opaque, const struct ic_kvp_result *r);

struct ic *ic_kvp_new(struct vmbus *bus, struct loop *loop);
/* Why s cannot be a key (or a value), NULL if it can: valid UTF-8, not empty (keys),
 * within the limits above. */
const char *ic_kvp_check_key(const char *s);
const char *ic_kvp_check_value(const char *s);
/*
 * The operations, each one transaction; fn (may be NULL) gets the result later on the
 * loop thread. 0, or -EINVAL (a key or value ic_kvp_check_*() refuses, a pool out of
 * range), or what ic requests fail with at once: -ENODEV (the guest's KVP is not
 * negotiated), -EBUSY (too many queued), -ENOMEM. fn is not called then.
 */
int ic_kvp_set(struct ic *ic, unsigned pool, const char *key, const char *value, ic_kvp_fn *fn, void *opaque);
int ic_kvp_delete(struct ic *ic, unsigned pool, const char *key, ic_kvp_fn *fn, void *opaque);
int ic_kvp_enumerate(struct ic *ic, unsigned pool, uint32_t index, ic_kvp_fn *fn, void *opaque);
/* The addresses of the guest's adapter with this MAC (six hex pairs, any case), in
 * the string form of message version 4.0 (what Linux negotiates); -EOPNOTSUPP if the
 * guest negotiated another version. */
int ic_kvp_get_ip_info(struct ic *ic, const char *mac, ic_kvp_fn *fn, void *opaque);
/* What SET_IP_INFO gives a guest adapter: either DHCP, or static addresses. The lists
 * are ';'-separated ASCII as Hyper-V sends them: ip the addresses, subnet one item per
 * address (an IPv4 mask in dotted form, an IPv6 prefix length in decimal), gateway
 * and dns the servers. family: bit 0 IPv4, bit 1 IPv6. */
struct ic_kvp_ip_config {
	bool dhcp;
	uint8_t family;
	const char *ip, *subnet, *gateway, *dns;
};
#define IC_KVP_IP_CHARS		1023	/* ip, subnet, dns: characters without the NUL */
#define IC_KVP_GW_CHARS		511	/* gateway */
/* Give the guest's adapter that configuration, in the string form of message version
 * 4.0 (the only one Linux speaks, and the first with IP injection). The adapter is named
 * by its VMBus instance GUID within braces, "{xxxxxxxx-...}" in lower case: what
 * hv_kvp_daemon compares with each interface's device/device_id (not the MAC, which
 * only GET_IP_INFO takes). -EINVAL for an adapter id or list too long or not ASCII,
 * -EOPNOTSUPP if the guest negotiated another version. The answer is the daemon's
 * status (0 done). */
int ic_kvp_set_ip_info(struct ic *ic, const char *adapter_id, const struct ic_kvp_ip_config *cfg, ic_kvp_fn *fn,
		       void *opaque);

/* The answer parser on its own, for the fuzz target: an ENUMERATE answer body
 * (after the IC header) into r; 0 or -EPROTO. */
int ic_kvp_parse_enumerate(const uint8_t *body, uint32_t len, uint8_t pool, struct ic_kvp_result *r);
int ic_kvp_parse_ip_info(const uint8_t *body, uint32_t len, struct ic_kvp_result *r);

/* ---- VSS (Backup) ------------------------------------------------------------------- */

/*
 * Whether the guest's file systems are frozen, as hvkvm knows it: FREEZING and THAWING
 * while a request is with the guest; UNKNOWN when hvkvm lost track (the channel closed
 * while they were or might have been frozen, a thaw failed or was not answered).
 */
enum ic_vss_state {
	IC_VSS_THAWED,
	IC_VSS_FREEZING,
	IC_VSS_FROZEN,
	IC_VSS_THAWING,
	IC_VSS_UNKNOWN,
};
/* "thawed", "freezing", "frozen", "thawing", "unknown" */
const char *ic_vss_state_name(enum ic_vss_state s);

struct ic *ic_vss_new(struct vmbus *bus, struct loop *loop);
/* How a FREEZE or THAW ended: err 0 with the guest's status (an HRESULT, IC_HV_S_OK
 * when it did it), or -ETIMEDOUT, -EPIPE, -ECANCELED as every IC request, or -EPROTO
 * (the answer was malformed). */
typedef void ic_vss_fn(void *opaque, int err, uint32_t status);
/*
 * Ask the guest to freeze its file systems. Once it has, they stay frozen at most
 * hold_ns: then the IC sends THAW itself. A freeze the guest does not answer in time
 * (or answers malformed) is followed by a THAW as well, as it may still happen. 0, or
 * -EINVAL (hold_ns 0), -EALREADY (frozen), -EBUSY (a freeze or thaw is under way, or
 * the queue is full), -ENODEV (the channel is not open and negotiated), -ENOMEM.
 */
int ic_vss_freeze(struct ic *ic, uint64_t hold_ns, ic_vss_fn *fn, void *opaque);
/* Ask the guest to thaw them, whatever hvkvm knows (Linux's daemon answers success for
 * file systems that are not frozen); after a FREEZE under way if there is one. 0, or
 * -EBUSY (queue full), -ENODEV, -ENOMEM. */
int ic_vss_thaw(struct ic *ic, ic_vss_fn *fn, void *opaque);
/* The state; with FROZEN, *thaw_in_ns (if not NULL) is the time left until the IC
 * thaws by itself. */
enum ic_vss_state ic_vss_get_state(const struct ic *ic, uint64_t *thaw_in_ns);
/* Called on the loop thread at each change of state. reason: "request" (a caller's
 * freeze or thaw), "guest" (the guest's answer), "failed" (the guest's failure status),
 * "timeout" (no answer in time, or the time a freeze may last ran out), "malformed",
 * "closed" (the channel closed), "recover" (a thaw sent when the channel reopened with
 * the state unknown), "reset" (the VM restarted). */
typedef void ic_vss_notify_fn(void *opaque, enum ic_vss_state state, enum ic_vss_state prev, const char *reason);
void ic_vss_set_notify(struct ic *ic, ic_vss_notify_fn *fn, void *opaque);
/* The VM restarted: none of the guest's file systems is frozen. */
void ic_vss_reset(struct ic *ic);
/* The answer check on its own, for the fuzz target: a FREEZE or THAW answer's body
 * (after the IC header) to a request for op; 0 or -EPROTO. */
int ic_vss_check_answer(const uint8_t *body, uint32_t len, uint8_t op);

#endif
