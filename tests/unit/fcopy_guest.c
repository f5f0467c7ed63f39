/* SPDX-License-Identifier: MIT */
#include "fcopy_guest.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define E_FAIL		0x80004005u
#define ALREADY_EXISTS	0x80070050u
#define DISK_FULL	0x80070070u

void fcopy_guest_init(struct fcopy_guest *fg, struct vg_chan *c, const char *root)
{
	memset(fg, 0, sizeof(*fg));
	fg->c = c;
	fg->fd = -1;
	fg->daemon = true;
	snprintf(fg->root, sizeof(fg->root), "%s", root);
}

void fcopy_guest_fini(struct fcopy_guest *fg)
{
	fcopy_guest_stop(fg);
	if (fg->fd >= 0)
		close(fg->fd);
	fg->fd = -1;
}

int fcopy_guest_read(struct fcopy_guest *fg, uint8_t *pkt, unsigned ms)
{
	return vg_read_wait(fg->c, pkt, FG_PKT, ms);
}

void fcopy_guest_send(struct fcopy_guest *fg, const uint8_t *pkt, int len)
{
	uint64_t trans;

	memcpy(&trans, pkt + 8, 8);
	ck_assert_int_eq(vg_send(fg->c, VM_PKT_DATA_INBAND, 0, trans, pkt + 16, (uint32_t)len - 16), 0);
}

static void set_response(uint8_t *pkt, uint32_t status)
{
	pkt[FG_FLAGS] = 1 | 4;
	memcpy(pkt + FG_STATUS, &status, 4);
}

void fcopy_guest_negotiate(struct fcopy_guest *fg, uint8_t *pkt, int len)
{
	uint16_t nf, nm, v[4], size = 0x10;
	bool fw = false, msg = false;

	ck_assert_int_ge(len, FG_BODY + 8);
	ck_assert_uint_eq(pkt[FG_MSGTYPE], 0);
	memcpy(&nf, pkt + FG_BODY, 2);
	memcpy(&nm, pkt + FG_BODY + 2, 2);
	ck_assert_int_ge(len, FG_BODY + 8 + 4 * (nf + nm));
	for (unsigned i = 0; i < (unsigned)nf + nm; i++) {
		memcpy(v, pkt + FG_BODY + 8 + 4 * i, 4);
		if (i < nf && v[0] == 3 && v[1] == 0)
			fw = true;
		if (i >= nf && v[0] == 1 && v[1] == 1)
			msg = true;
	}
	nf = nm = fw && msg ? 1 : 0;
	memcpy(pkt + FG_BODY, &nf, 2);
	memcpy(pkt + FG_BODY + 2, &nm, 2);
	v[0] = 3, v[1] = 0, v[2] = 1, v[3] = 1;
	memcpy(pkt + FG_BODY + 8, v, 8);
	memcpy(pkt + FG_MSGSIZE, &size, 2);
	set_response(pkt, 0);
	fcopy_guest_send(fg, pkt, len);
}

/* The kernel's utf16s_to_utf8s into 259 bytes, ASCII only here: stops at the NUL or
 * the field's end. */
static void name_of(const uint8_t *field, char *out)
{
	unsigned i;

	for (i = 0; i < 259; i++) {
		uint16_t u;

		memcpy(&u, field + 2 * i, 2);
		if (!u)
			break;
		out[i] = u < 0x80 ? (char)u : '?';
	}
	out[i] = 0;
}

static uint32_t do_start(struct fcopy_guest *fg, const uint8_t *m)
{
	char path[300], name[300], full[PATH_MAX], *p, *q;
	uint32_t flags;
	int n;

	name_of(m + 36, name);
	name_of(m + 556, path);
	memcpy(&flags, m + 1076, 4);
	/* hv_fcopy_daemon: each component followed by a '/' must exist or be made */
	n = snprintf(full, sizeof(full), "%s%s", fg->root, path);
	ck_assert_int_lt(n, (int)sizeof(full));
	p = full + strlen(fg->root);
	while ((q = strchr(p, '/')) != NULL) {
		if (q == p) {
			p++;
			continue;
		}
		*q = 0;
		if (access(full, F_OK)) {
			if (!(flags & 2) || mkdir(full, 0755))
				return E_FAIL;
		}
		*q = '/';
		p = q + 1;
	}
	snprintf(fg->target, sizeof(fg->target), "%s%s/%s", fg->root, path, name);
	if (!access(fg->target, F_OK) && !(flags & 1)) {
		fg->target[0] = 0;
		return ALREADY_EXISTS;
	}
	if (fg->fd >= 0)
		close(fg->fd);
	fg->fd = open(fg->target, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0744);
	if (fg->fd < 0) {
		fg->target[0] = 0;
		return E_FAIL;
	}
	return 0;
}

void fcopy_guest_process(struct fcopy_guest *fg, uint8_t *pkt, int len)
{
	uint8_t *m = pkt + FG_BODY;
	uint32_t op, status = 0, size;
	uint64_t off;

	ck_assert_uint_eq(pkt[FG_MSGTYPE], 7);
	ck_assert_int_ge(len, FG_BODY + 36);
	memcpy(&op, m, 4);
	if (op < 4)
		fg->ops[op]++;
	if (!fg->daemon) {
		set_response(pkt, E_FAIL);
		return;
	}
	switch (op) {
	case 0:
		ck_assert_int_ge(len, FG_BODY + 1088);
		status = do_start(fg, m);
		break;
	case 1:
		/* the kernel hands the daemon a whole hv_do_fcopy whatever came */
		ck_assert_int_ge(len, FG_BODY + 6196);
		memcpy(&off, m + 40, 8);
		memcpy(&size, m + 48, 4);
		if (fg->fail_write_at && fg->ops[1] >= fg->fail_write_at &&
		    fg->ops[1] - fg->fail_write_at < (fg->fail_times ? fg->fail_times : 1))
			status = fg->fail_status ? fg->fail_status : DISK_FULL;
		else if (size > 6144 || pwrite(fg->fd, m + 52, size, (off_t)off) != (ssize_t)size)
			status = E_FAIL;
		break;
	case 2:
		close(fg->fd);
		fg->fd = -1;
		fg->target[0] = 0;
		break;
	case 3:
		if (fg->fd >= 0)
			close(fg->fd);
		fg->fd = -1;
		if (fg->target[0])
			unlink(fg->target);
		fg->target[0] = 0;
		break;
	default:
		status = E_FAIL;
		break;
	}
	set_response(pkt, status);
}

bool fcopy_guest_serve(struct fcopy_guest *fg, unsigned ms)
{
	static _Thread_local uint8_t pkt[FG_PKT];
	int len = fcopy_guest_read(fg, pkt, ms);

	if (len < 0)
		return false;
	if (pkt[FG_MSGTYPE] == 0) {
		fcopy_guest_negotiate(fg, pkt, len);
	} else {
		fcopy_guest_process(fg, pkt, len);
		fcopy_guest_send(fg, pkt, len);
	}
	atomic_fetch_add(&fg->served, 1);
	return true;
}

static void *daemon_thread(void *opaque)
{
	struct fcopy_guest *fg = opaque;

	while (!atomic_load(&fg->stop))
		fcopy_guest_serve(fg, 20);
	return NULL;
}

void fcopy_guest_start(struct fcopy_guest *fg)
{
	atomic_store(&fg->stop, false);
	ck_assert_int_eq(pthread_create(&fg->thread, NULL, daemon_thread, fg), 0);
	fg->running = true;
}

void fcopy_guest_stop(struct fcopy_guest *fg)
{
	if (!fg->running)
		return;
	atomic_store(&fg->stop, true);
	pthread_join(fg->thread, NULL);
	fg->running = false;
}
