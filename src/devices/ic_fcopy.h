/* SPDX-License-Identifier: MIT */
/*
 * File copy, Hyper-V's "Guest Services" integration component (Copy-VMFile): a host
 * file written into the guest by Linux's hv_utils and hv_fcopy_daemon (Debian:
 * hyperv-daemons). A copy is a run of transactions, one with the guest at a time:
 * START (the guest creates the file), a WRITE per 6 KiB of it, then COMPLETE (the guest
 * closes it); a failure after START sends CANCEL (the guest's daemon removes the
 * partial file).
 */
#ifndef HVKVM_IC_FCOPY_H
#define HVKVM_IC_FCOPY_H

#include <stdbool.h>
#include <stdint.h>

struct ic;
struct loop;
struct vmbus;

/* Flags of a copy (the protocol's own values). */
#define IC_FCOPY_OVERWRITE	0x1	/* replace a file that exists */
#define IC_FCOPY_CREATE_PATH	0x2	/* create the missing directories */

/* HRESULTs the guest answers with (IC_HV_S_OK and IC_HV_E_FAIL in ic.h). */
#define IC_HV_ERROR_ALREADY_EXISTS	0x80070050u
#define IC_HV_ERROR_DISK_FULL		0x80070070u

/* Bytes of UTF-8 in each name the guest takes (Linux converts into 259 bytes). */
#define IC_FCOPY_NAME_MAX	259

enum ic_fcopy_stage {
	IC_FCOPY_STAGE_START,		/* creating the file */
	IC_FCOPY_STAGE_WRITE,		/* writing it */
	IC_FCOPY_STAGE_COMPLETE,	/* closing it */
};

/*
 * How a copy ended. err 0: the guest answered with status (0: the file is there,
 * whole); else -ETIMEDOUT (the guest did not answer a transaction in time), -EPIPE
 * (the channel closed or the VM reset), -ECANCELED (the IC went away), -EPROTO (the
 * guest's answer was not one to the request), -ESTALE (the host file changed size
 * while it was copied), or the -errno of reading the host file.
 */
struct ic_fcopy_result {
	int err;
	uint32_t status;
	enum ic_fcopy_stage stage;	/* where it ended */
	uint64_t bytes;			/* of the file the guest wrote */
	unsigned tries;			/* sends of the transaction it ended in: a WRITE
					 * the guest failed (E_FAIL) or did not answer
					 * goes again, 3 times at most */
};
typedef void ic_fcopy_fn(void *opaque, const struct ic_fcopy_result *r);

struct ic *ic_fcopy_new(struct vmbus *bus, struct loop *loop);

/* Why s cannot be a file name (or a directory) in the guest, NULL if it can. A name:
 * valid UTF-8, not empty, no '/', not "." or "..", at most IC_FCOPY_NAME_MAX bytes. A
 * directory: valid UTF-8, absolute, at most IC_FCOPY_NAME_MAX bytes with a '/' at its
 * end (added when missing, as Linux's daemon creates only the directories before one). */
const char *ic_fcopy_check_name(const char *s);
const char *ic_fcopy_check_dir(const char *s);

/*
 * Copy size bytes read from fd (pread, from offset 0) into the guest as dir/name; fn
 * gets the result on the loop thread. On success the copy owns fd and closes it. 0, or
 * -EINVAL (a name the checks above refuse, unknown flags), -ENODEV (the guest's file
 * copy is not negotiated), -EBUSY (a copy is under way: one at a time, as the guest's
 * daemon writes one file at a time), -ENOMEM; fn is not called then.
 */
int ic_fcopy_copy(struct ic *ic, int fd, uint64_t size, const char *dir, const char *name, uint32_t flags,
		  ic_fcopy_fn *fn, void *opaque);
/* The copy made with opaque is not wanted any more: the guest is told to cancel it and
 * fn is never called. */
void ic_fcopy_abort(struct ic *ic, void *opaque);
/* Is a copy under way? */
bool ic_fcopy_busy(const struct ic *ic);

/* The guest's answer to operation op (the message after the IC header): 0 if it is
 * one, -EPROTO if not (too short for the header, another operation). */
int ic_fcopy_check_answer(uint32_t op, const uint8_t *body, uint32_t len);

#endif
