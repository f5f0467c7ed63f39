/* SPDX-License-Identifier: MIT */
/*
 * guest.copy_file: a host file into the guest through the file copy integration
 * component (Hyper-V's Copy-VMFile). hvkvm opens the file itself, on the loop thread,
 * which its sandbox lets open files at run time (as disk.add does); the call is
 * answered when the guest has closed its copy, and the loop never waits for the guest:
 * the copy goes one 6 KiB chunk at a time, each sent when the guest answered the last.
 */
#include "ic.h"
#include "ic_fcopy.h"
#include "jsonrpc.h"
#include "log.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct copy_op {
	struct mgmt_fcopy *mf;
	struct mgmt_call *call;
	char *path, *guest_path;
	uint64_t size;
	uint64_t start_ns;
};

struct mgmt_fcopy {
	struct machine *machine;
	struct copy_op *op;		/* the copy under way (one at a time) */
};

static void op_free(struct copy_op *op)
{
	if (op->mf->op == op)
		op->mf->op = NULL;
	free(op->path);
	free(op->guest_path);
	free(op);
}

static void op_cancel(struct mgmt_call *call, void *opaque)
{
	struct copy_op *op = opaque;

	(void)call;
	log_info("api socket: the client went away: cancelling the copy of %s into the guest", op->path);
	ic_fcopy_abort(op->mf->machine->ic_fcopy, op);
	op_free(op);
}

static const char *stage_name(enum ic_fcopy_stage s)
{
	return s == IC_FCOPY_STAGE_START ? "start" : s == IC_FCOPY_STAGE_WRITE ? "write" : "complete";
}

/* The guest's status as a name and what it means for this copy. */
static const char *status_name(uint32_t status)
{
	switch (status) {
	case IC_HV_E_FAIL: return "E_FAIL";
	case IC_HV_ERROR_ALREADY_EXISTS: return "ERROR_ALREADY_EXISTS";
	case IC_HV_ERROR_DISK_FULL: return "ERROR_DISK_FULL";
	default: return NULL;
	}
}

static const char *status_meaning(uint32_t status, enum ic_fcopy_stage stage)
{
	if (status == IC_HV_ERROR_ALREADY_EXISTS)
		return "the file exists in the guest (overwrite=true replaces it)";
	if (status == IC_HV_ERROR_DISK_FULL)
		return "the guest's file system is full";
	switch (stage) {
	case IC_FCOPY_STAGE_START:
		return "the guest could not create the file (is hv_fcopy_daemon running? does the directory exist? "
		       "create_path=true creates it)";
	case IC_FCOPY_STAGE_WRITE:
		return "the guest could not write the file";
	default:
		return "the guest could not close the file";
	}
}

static void copy_done(void *opaque, const struct ic_fcopy_result *r)
{
	struct copy_op *op = opaque;
	struct mgmt_call *call = op->call;
	struct json_object *d = json_object_new_object();
	const char *name;

	json_object_object_add(d, "stage", json_object_new_string(stage_name(r->stage)));
	json_object_object_add(d, "bytes", json_object_new_int64((int64_t)r->bytes));
	if (r->tries > 1)
		json_object_object_add(d, "tries", json_object_new_int((int)r->tries));
	if (!r->err && r->status == IC_HV_S_OK) {
		uint64_t ms = (loop_now_ns() - op->start_ns) / 1000000;

		json_object_put(d);
		d = json_object_new_object();
		json_object_object_add(d, "bytes", json_object_new_int64((int64_t)r->bytes));
		json_object_object_add(d, "guest_path", json_object_new_string(op->guest_path));
		json_object_object_add(d, "ms", json_object_new_int64((int64_t)ms));
		log_info("api socket: copied %s into the guest as %s (%llu bytes in %llu ms)", op->path,
			 op->guest_path, (unsigned long long)r->bytes, (unsigned long long)ms);
		op_free(op);
		mgmt_reply(call, d);
		return;
	}
	switch (r->err) {
	case 0:
		name = status_name(r->status);
		json_object_object_add(d, "status", mgmt_hresult(r->status));
		json_object_object_add(d, "status_name", name ? json_object_new_string(name) : NULL);
		mgmt_error(call, MGMT_ERR_FAILED, d, "copying %s into the guest as %s: %s (status %s%s0x%08x%s)",
			   op->path, op->guest_path, status_meaning(r->status, r->stage), name ? name : "",
			   name ? " " : "", r->status, r->tries > 1 ? ", the same each time it was sent" : "");
		break;
	case -ETIMEDOUT:
		mgmt_error(call, MGMT_ERR_TIMEOUT, d,
			   "copying %s into the guest: the guest's file copy daemon did not answer in time%s", op->path,
			   r->tries > 1 ? ", each time the write was sent" : "");
		break;
	case -EPIPE:
	case -ECANCELED:
		mgmt_error(call, MGMT_ERR_CANCELLED, d,
			   "copying %s into the guest: the guest's file copy channel closed first (driver unloaded or VM reset)",
			   op->path);
		break;
	case -EPROTO:
		json_object_object_add(d, "errno", json_object_new_int(EPROTO));
		mgmt_error(call, MGMT_ERR_FAILED, d, "copying %s into the guest: the guest's answer was malformed",
			   op->path);
		break;
	case -ESTALE:
		json_object_object_add(d, "errno", json_object_new_int(ESTALE));
		mgmt_error(call, MGMT_ERR_FAILED, d,
			   "copying %s into the guest: the file changed size while it was copied; the guest's copy was removed",
			   op->path);
		break;
	default:
		json_object_object_add(d, "errno", json_object_new_int(-r->err));
		mgmt_error(call, MGMT_ERR_FAILED, d, "copying %s into the guest: cannot read it: %s", op->path,
			   strerror(-r->err));
		break;
	}
	log_warn("api socket: the copy of %s into the guest as %s failed (%s, %llu bytes written)", op->path,
		 op->guest_path, r->err ? strerror(-r->err) : "guest status", (unsigned long long)r->bytes);
	op_free(op);
}

/* Why the guest's file copy cannot be used, as an error to call; false if it can. */
static bool fcopy_unavailable(struct mgmt_call *call, struct machine *m)
{
	return mgmt_ic_unavailable(call, m, m->ic_fcopy, "fcopy", "file copy",
				   "the guest's file copy driver has not answered the version negotiation yet");
}

static bool param_string(struct mgmt_call *call, struct json_object *params, const char *key, const char **out)
{
	struct jsonrpc_error e;

	if (jsonrpc_param_string(params, key, true, PATH_MAX - 1, out, &e) < 0) {
		mgmt_fail(call, &e);
		return false;
	}
	return true;
}

static bool param_bool(struct mgmt_call *call, struct json_object *params, const char *key, bool *out)
{
	struct jsonrpc_error e;

	*out = false;
	if (jsonrpc_param_bool(params, key, false, out, &e) < 0) {
		mgmt_fail(call, &e);
		return false;
	}
	return true;
}

/* guest_path into its directory and name, each checked; false after answering. */
static bool split_guest_path(struct mgmt_call *call, const char *gp, char *dir, size_t dirlen, const char **name)
{
	const char *slash = strrchr(gp, '/');
	size_t n;

	if (gp[0] != '/' || !slash[1])
		return mgmt_param_keeps(call, "guest_path", "an absolute path of a file in the guest (not ending in '/')");
	n = slash == gp ? 1 : (size_t)(slash - gp);
	if (n >= dirlen)
		return mgmt_param_keeps(call, "guest_path", "a directory of at most 259 bytes of UTF-8 and a name");
	memcpy(dir, gp, n);
	dir[n] = 0;
	*name = slash + 1;
	return mgmt_param_keeps(call, "guest_path", ic_fcopy_check_dir(dir)) &&
	       mgmt_param_keeps(call, "guest_path", ic_fcopy_check_name(*name));
}

static void copy_file_m(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "path", "guest_path", "overwrite", "create_path", NULL };
	struct mgmt_fcopy *mf = opaque;
	struct machine *m = mf->machine;
	const char *path, *guest_path, *name = NULL;
	char dir[IC_FCOPY_NAME_MAX + 2];
	bool overwrite, create_path;
	struct copy_op *op;
	struct stat st;
	int fd, r, err = 0;

	if (!mgmt_params_ok(call, params, known))
		return;
	if (!param_string(call, params, "path", &path) || !param_string(call, params, "guest_path", &guest_path) ||
	    !param_bool(call, params, "overwrite", &overwrite) ||
	    !param_bool(call, params, "create_path", &create_path))
		return;
	if (path[0] != '/' && !mgmt_param_keeps(call, "path", "an absolute path (hvkvm opens it in its own working directory)"))
		return;
	if (!split_guest_path(call, guest_path, dir, sizeof(dir), &name) || fcopy_unavailable(call, m))
		return;
	if (mf->op || ic_fcopy_busy(m->ic_fcopy)) {
		mgmt_error(call, MGMT_ERR_BUSY, jsonrpc_data("device", "fcopy"),
			   "a file copy into the guest is under way: the guest takes one at a time");
		return;
	}
	/* O_NONBLOCK: a FIFO there must not hang the loop in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		err = errno;
	else if (fstat(fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	if (err) {
		struct json_object *d = mgmt_errno_data(-err);

		if (fd >= 0)
			close(fd);
		json_object_object_add(d, "param", json_object_new_string("path"));
		if (err == EINVAL)
			mgmt_error(call, MGMT_ERR_FAILED, d, "cannot copy %s: not a regular file", path);
		else
			mgmt_error(call, MGMT_ERR_FAILED, d, "cannot copy %s: %s", path, strerror(err));
		return;
	}
	op = calloc(1, sizeof(*op));
	if (!op || !(op->path = strdup(path)) || !(op->guest_path = strdup(guest_path))) {
		if (op)
			free(op->path);
		free(op);
		close(fd);
		mgmt_error(call, JSONRPC_INTERNAL_ERROR, NULL, "Internal error: out of memory");
		return;
	}
	op->mf = mf;
	op->call = call;
	op->size = (uint64_t)st.st_size;
	op->start_ns = loop_now_ns();
	r = ic_fcopy_copy(m->ic_fcopy, fd, op->size, dir, name,
			  (overwrite ? IC_FCOPY_OVERWRITE : 0) | (create_path ? IC_FCOPY_CREATE_PATH : 0), copy_done, op);
	if (r < 0) {
		close(fd);
		op_free(op);
		if (r == -ENODEV && fcopy_unavailable(call, m))
			return;
		mgmt_error(call, r == -EBUSY ? MGMT_ERR_BUSY : MGMT_ERR_FAILED, mgmt_errno_data(r),
			   "cannot start the copy: %s", strerror(-r));
		return;
	}
	mf->op = op;
	mgmt_call_set_cancel(call, op_cancel, op);
	log_info("api socket: client %u copies %s (%llu bytes) into the guest as %s%s", mgmt_call_client(call), path,
		 (unsigned long long)op->size, guest_path, overwrite ? " (overwrite)" : "");
}

struct mgmt_fcopy *mgmt_fcopy_methods_new(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "guest.copy_file", copy_file_m },
	};
	struct mgmt_fcopy *mf = calloc(1, sizeof(*mf));

	if (!mf)
		return NULL;
	mf->machine = machine;
	if (MGMT_REGISTER_TABLE(m, methods, mf) < 0) {
		free(mf);
		return NULL;
	}
	return mf;
}

void mgmt_fcopy_methods_free(struct mgmt_fcopy *mf)
{
	if (!mf)
		return;
	if (mf->op) {
		struct copy_op *op = mf->op;
		struct mgmt_call *call = op->call;

		ic_fcopy_abort(mf->machine->ic_fcopy, op);
		op_free(op);
		mgmt_error(call, MGMT_ERR_CANCELLED, NULL, "hvkvm is exiting");
	}
	free(mf);
}
