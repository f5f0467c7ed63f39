/* SPDX-License-Identifier: MIT */
/*
 * File copy ("Guest Services"). Linux's hv_utils reads a message, hands it to
 * hv_fcopy_daemon and answers in place with the daemon's status, one message at a time;
 * WRITE messages go to the daemon at their full size whatever the packet's length, so
 * each is sent whole (6196 bytes, 6240 with the framing: within the 8 KiB Linux reads).
 * Without the daemon Linux still negotiates, then answers every request E_FAIL.
 *
 * The guest sends nothing but statuses in the host's own messages: the host never
 * reads text from it. What an answer must be is checked (the request's operation, the
 * IC framework's trans_id), nothing more is taken from it. The names come from the
 * management client: they are checked and always NUL-terminated in their fields.
 */
#include "byteorder.h"
#include "ic_fcopy.h"
#include "ic_internal.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FCOPY_TIMEOUT_NS	35000000000ull	/* Linux gives its daemon 30 s */
#define FCOPY_MAX_PKT		8192		/* hv_fcopy_init's max_pkt_size */
#define FCOPY_WRITE_TRIES	3		/* sends of one WRITE at most */

struct fcopy_job {
	struct ic *ic;
	int fd;
	uint64_t size;			/* what fstat said at the start */
	uint64_t sent;			/* bytes in WRITEs sent */
	uint64_t written;		/* bytes the guest said it wrote */
	uint32_t chunk;			/* bytes in the WRITE with the guest */
	unsigned tries;			/* times that WRITE was sent */
	ic_fcopy_fn *fn;
	void *opaque;
	bool aborted;			/* nobody waits for it: freed when its request ends */
};

/* ---- names --------------------------------------------------------------------------- */

static const char *check_text(const char *s, size_t max)
{
	if (ic_utf8_to_utf16(s, NULL, UINT32_MAX / 2) < 0)
		return "valid UTF-8";
	if (strlen(s) > max)
		return "at most 259 bytes of UTF-8";
	return NULL;
}

const char *ic_fcopy_check_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return "a file name (not empty, \".\" or \"..\")";
	if (strchr(s, '/'))
		return "a file name without '/'";
	return check_text(s, IC_FCOPY_NAME_MAX);
}

const char *ic_fcopy_check_dir(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '/')
		return "an absolute path in the guest (starting with '/')";
	/* room for the '/' added at the end */
	return check_text(s, s[n - 1] == '/' ? IC_FCOPY_NAME_MAX : IC_FCOPY_NAME_MAX - 1);
}

/* A checked name into its field, NUL-terminated (the message is zeroed). */
static void put_name(void *field, const char *s, bool slash)
{
	uint8_t buf[FCOPY_W_MAX_PATH * 2] = { 0 };
	int n = ic_utf8_to_utf16(s, buf, FCOPY_W_MAX_PATH - 1);

	if (n < 0)
		n = 0;
	if (slash && n < FCOPY_W_MAX_PATH - 1 && (n == 0 || buf[2 * n - 2] != '/' || buf[2 * n - 1] != 0)) {
		buf[2 * n] = '/';
		n++;
	}
	memcpy(field, buf, (size_t)n * 2);
}

/* ---- the copy ------------------------------------------------------------------------- */

int ic_fcopy_check_answer(uint32_t op, const uint8_t *body, uint32_t len)
{
	if (len < sizeof(struct fcopy_hdr))
		return -EPROTO;
	return get_le32(body) == op ? 0 : -EPROTO;
}

static void job_free(struct fcopy_job *job)
{
	if (job->fd >= 0)
		close(job->fd);
	free(job);
}

static void cancel_done(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len)
{
	(void)body, (void)len;
	if (err && err != -EPIPE && err != -ECANCELED)
		log_warn_limited(&rq->ic->rl, "file copy IC: the guest did not answer CANCEL: %s", strerror(-err));
	else if (!err && status)
		log_info("file copy IC: the guest answered CANCEL with status 0x%08x", status);
}

/* Tell the guest to drop the file it was writing (Linux's daemon unlinks it). */
static void send_cancel(struct ic *ic)
{
	struct fcopy_hdr h = { .operation = FCOPY_OP_CANCEL };
	int r = ic_submit(ic, &h, sizeof(h), cancel_done, NULL, NULL);

	if (r < 0 && r != -ENODEV)
		log_warn("file copy IC: cannot send CANCEL to the guest: %s", strerror(-r));
}

/* The end: tell the caller, free the job. Its request has ended. */
static void job_finish(struct fcopy_job *job, int err, uint32_t status, enum ic_fcopy_stage stage)
{
	struct ic_fcopy_result r = {
		.err = err, .status = status, .stage = stage, .bytes = job->written,
		.tries = stage == IC_FCOPY_STAGE_WRITE && job->tries ? job->tries : 1,
	};

	if (job->ic->fcopy_job == job)
		job->ic->fcopy_job = NULL;
	if (!job->aborted && job->fn)
		job->fn(job->opaque, &r);
	job_free(job);
}

static void job_done(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len);

static int job_submit(struct fcopy_job *job, const void *msg, uint32_t len)
{
	return ic_submit(job->ic, msg, len, job_done, NULL, job);
}

/* The next WRITE, or COMPLETE after the last. */
static void job_next(struct fcopy_job *job)
{
	struct ic *ic = job->ic;
	int r;

	if (job->sent < job->size) {
		struct fcopy_write *w = calloc(1, sizeof(*w));
		uint32_t want = job->size - job->sent < FCOPY_DATA_FRAGMENT ? (uint32_t)(job->size - job->sent)
									     : FCOPY_DATA_FRAGMENT;
		uint32_t got = 0;

		if (!w) {
			send_cancel(ic);
			job_finish(job, -ENOMEM, 0, IC_FCOPY_STAGE_WRITE);
			return;
		}
		while (got < want) {
			ssize_t n = pread(job->fd, w->data + got, want - got, (off_t)(job->sent + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* a read error, or the file ended early: it shrank */
				int e = n < 0 ? -errno : -ESTALE;

				free(w);
				send_cancel(ic);
				job_finish(job, e, 0, IC_FCOPY_STAGE_WRITE);
				return;
			}
			got += (uint32_t)n;
		}
		w->h.operation = FCOPY_OP_WRITE;
		w->offset = job->sent;
		w->size = want;
		r = job_submit(job, w, sizeof(*w));
		free(w);
		if (r < 0) {
			job_finish(job, r == -ENODEV ? -EPIPE : r, 0, IC_FCOPY_STAGE_WRITE);
			return;
		}
		job->chunk = want;
		job->sent += want;
		job->tries++;
		return;
	} else {
		struct fcopy_hdr h = { .operation = FCOPY_OP_COMPLETE };
		struct stat st;

		/* A file that grew meanwhile would arrive cut short. */
		if (fstat(job->fd, &st) == 0 && (uint64_t)st.st_size != job->size) {
			send_cancel(ic);
			job_finish(job, -ESTALE, 0, IC_FCOPY_STAGE_WRITE);
			return;
		}
		job->chunk = 0;
		r = job_submit(job, &h, sizeof(h));
		if (r < 0)
			job_finish(job, r == -ENODEV ? -EPIPE : r, 0, IC_FCOPY_STAGE_COMPLETE);
	}
}

static enum ic_fcopy_stage stage_of(uint32_t op)
{
	return op == FCOPY_OP_START ? IC_FCOPY_STAGE_START :
	       op == FCOPY_OP_WRITE ? IC_FCOPY_STAGE_WRITE : IC_FCOPY_STAGE_COMPLETE;
}

/*
 * A WRITE the guest failed (E_FAIL) or did not answer in time goes again, up to
 * FCOPY_WRITE_TRIES times: it writes its bytes at its offset, so a second write of
 * them changes nothing. Linux's hv_fcopy can lose the daemon's answer (6.1 arms its
 * timeout only after handing the message to the daemon, which may have answered by
 * then) and answers E_FAIL 30 s later for a WRITE the daemon did write; a late answer
 * to the first send is dropped by its trans_id. Other statuses (a full disk) are final.
 */
static bool write_again(struct fcopy_job *job, uint32_t op, int err, uint32_t status)
{
	if (op != FCOPY_OP_WRITE || job->tries >= FCOPY_WRITE_TRIES ||
	    (err != -ETIMEDOUT && (err || status != IC_HV_E_FAIL)))
		return false;
	log_warn_limited(&job->ic->rl, "file copy IC: the guest %s the WRITE of %u bytes at offset %llu: sending it again (%u of %u)",
			 err ? "did not answer" : "failed", job->chunk, (unsigned long long)(job->sent - job->chunk),
			 job->tries + 1, FCOPY_WRITE_TRIES);
	job->sent -= job->chunk;
	job_next(job);
	return true;
}

static void job_done(struct ic_request *rq, int err, uint32_t status, const uint8_t *body, uint32_t len)
{
	struct fcopy_job *job = rq->opaque;
	uint32_t op;
	enum ic_fcopy_stage stage;

	op = get_le32(rq->body);
	stage = stage_of(op);
	if (job->aborted) {
		job_free(job);
		return;
	}
	if (err && write_again(job, op, err, 0))
		return;
	if (err) {
		/* A guest that took too long may still be writing: have it drop the file. */
		if (err == -ETIMEDOUT)
			send_cancel(job->ic);
		job_finish(job, err, 0, stage);
		return;
	}
	if (ic_fcopy_check_answer(op, body, len) < 0) {
		log_warn_limited(&job->ic->rl, "file copy IC: the guest's answer to operation %u is malformed", op);
		send_cancel(job->ic);
		job_finish(job, -EPROTO, 0, stage);
		return;
	}
	if (status != IC_HV_S_OK && write_again(job, op, 0, status))
		return;
	if (status != IC_HV_S_OK) {
		/* A START that failed left no file. */
		if (op != FCOPY_OP_START)
			send_cancel(job->ic);
		job_finish(job, 0, status, stage);
		return;
	}
	switch (op) {
	case FCOPY_OP_WRITE:
		job->written += job->chunk;
		job->tries = 0;
		/* fall through */
	case FCOPY_OP_START:
		job_next(job);
		return;
	default:
		job_finish(job, 0, IC_HV_S_OK, IC_FCOPY_STAGE_COMPLETE);
		return;
	}
}

int ic_fcopy_copy(struct ic *ic, int fd, uint64_t size, const char *dir, const char *name, uint32_t flags,
		  ic_fcopy_fn *fn, void *opaque)
{
	struct fcopy_start m;
	struct fcopy_job *job;
	int r;

	if (ic_fcopy_check_dir(dir) || ic_fcopy_check_name(name) ||
	    (flags & ~(uint32_t)(IC_FCOPY_OVERWRITE | IC_FCOPY_CREATE_PATH)))
		return -EINVAL;
	if (!ic->ch || !ic->negotiated)
		return -ENODEV;
	if (ic->fcopy_job)
		return -EBUSY;
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	memset(&m, 0, sizeof(m));
	m.h.operation = FCOPY_OP_START;
	put_name((uint8_t *)&m + __builtin_offsetof(struct fcopy_start, file_name), name, false);
	put_name((uint8_t *)&m + __builtin_offsetof(struct fcopy_start, path_name), dir, true);
	m.copy_flags = flags;
	m.file_size = size;
	job->ic = ic;
	job->fd = -1;
	job->size = size;
	job->fn = fn;
	job->opaque = opaque;
	r = job_submit(job, &m, sizeof(m));
	if (r < 0) {
		free(job);
		return r;
	}
	job->fd = fd;
	ic->fcopy_job = job;
	return 0;
}

void ic_fcopy_abort(struct ic *ic, void *opaque)
{
	struct fcopy_job *job = ic->fcopy_job;

	if (!job || job->opaque != opaque)
		return;
	/* Its request still ends (and frees it); CANCEL goes after it, before any next copy. */
	job->aborted = true;
	ic->fcopy_job = NULL;
	send_cancel(ic);
}

bool ic_fcopy_busy(const struct ic *ic)
{
	return ic->fcopy_job != NULL;
}

/* Linux's only version (WIN8_SRV); its framework is 3.0. */
static const struct ic_version fcopy_versions[] = { { 1, 1 } };

static const struct ic_kind fcopy_kind = {
	.name = "file copy",
	.class_id = "34d14be3-dee4-41c8-9ae7-6b174977c192",
	/* Hyper-V's: the fcopy daemon of Linux 6.10 and later looks for this device */
	.instance_id = "eb765408-105f-49b6-b4aa-c123b64d17d4",
	.msgtype = IC_MSGTYPE_FCOPY,
	.msg_versions = fcopy_versions,
	.nmsg_versions = sizeof(fcopy_versions) / sizeof(fcopy_versions[0]),
	.max_pkt = FCOPY_MAX_PKT,
	.request_timeout_ns = FCOPY_TIMEOUT_NS,
};

struct ic *ic_fcopy_new(struct vmbus *bus, struct loop *loop)
{
	return ic_new(bus, loop, &fcopy_kind);
}
