/* SPDX-License-Identifier: MIT */
#include "vss_guest.h"

#include <check.h>
#include <string.h>

#define OP_FREEZE	5
#define OP_THAW		6

void vss_guest_init(struct vss_guest *vs, struct vg_chan *c)
{
	memset(vs, 0, sizeof(*vs));
	vs->c = c;
}

int vss_guest_read(struct vss_guest *vs, uint8_t *pkt, unsigned ms)
{
	return vg_read_wait(vs->c, pkt, VSG_PKT, ms);
}

static void send_back(struct vss_guest *vs, const uint8_t *pkt, int len)
{
	uint64_t trans;

	memcpy(&trans, pkt + 8, 8);
	ck_assert_int_eq(vg_send(vs->c, VM_PKT_DATA_INBAND, 0, trans, pkt + 16, (uint32_t)len - 16), 0);
}

void vss_guest_answer(struct vss_guest *vs, uint8_t *pkt, int len, uint32_t status)
{
	pkt[VSG_FLAGS] = 1 | 4;	/* TRANSACTION | RESPONSE */
	memcpy(pkt + VSG_STATUS, &status, 4);
	send_back(vs, pkt, len);
}

void vss_guest_negotiate(struct vss_guest *vs, uint8_t *pkt, int len)
{
	uint16_t nf, nm, v[4], size = 0x10;
	bool fw = false, msg = false;

	ck_assert_int_ge(len, VSG_BODY + 8);
	ck_assert_uint_eq(pkt[VSG_MSGTYPE], 0);
	memcpy(&nf, pkt + VSG_BODY, 2);
	memcpy(&nm, pkt + VSG_BODY + 2, 2);
	ck_assert_int_ge(len, VSG_BODY + 8 + 4 * (nf + nm));
	for (unsigned i = 0; i < nf + nm; i++) {
		memcpy(v, pkt + VSG_BODY + 8 + 4 * i, 4);
		if (i < nf && v[0] == 3 && v[1] == 0)
			fw = true;
		if (i >= nf && v[0] == 5 && v[1] == 0)
			msg = true;
	}
	ck_assert(fw && msg);
	nf = nm = 1;
	memcpy(pkt + VSG_BODY, &nf, 2);
	memcpy(pkt + VSG_BODY + 2, &nm, 2);
	v[0] = 3, v[1] = 0, v[2] = 5, v[3] = 0;
	memcpy(pkt + VSG_BODY + 8, v, 8);
	memcpy(pkt + VSG_MSGSIZE, &size, 2);
	vss_guest_answer(vs, pkt, len, 0);
}

bool vss_guest_serve(struct vss_guest *vs, unsigned ms)
{
	uint8_t pkt[VSG_PKT];
	int len = vss_guest_read(vs, pkt, ms);
	uint32_t status;

	if (len < 0)
		return false;
	if (pkt[VSG_MSGTYPE] == 0) {
		vss_guest_negotiate(vs, pkt, len);
		return true;
	}
	/* hv_snapshot.c drops what is shorter than the IC header and hv_vss_msg */
	if (len < VSG_BODY + 12 || pkt[VSG_MSGTYPE] != 5)
		return true;
	status = atomic_load(&vs->status);
	switch (pkt[VSG_BODY]) {
	case OP_FREEZE:
		atomic_fetch_add(&vs->freezes, 1);
		if (!status)
			atomic_store(&vs->frozen, true);
		break;
	case OP_THAW:
		atomic_fetch_add(&vs->thaws, 1);
		if (!status)
			atomic_store(&vs->frozen, false);
		break;
	default:
		status = 0;	/* the other operations are answered at once */
		break;
	}
	vss_guest_answer(vs, pkt, len, status);
	return true;
}

static void *daemon_thread(void *opaque)
{
	struct vss_guest *vs = opaque;

	while (!atomic_load(&vs->stop))
		vss_guest_serve(vs, 20);
	return NULL;
}

void vss_guest_start(struct vss_guest *vs)
{
	atomic_store(&vs->stop, false);
	ck_assert_int_eq(pthread_create(&vs->thread, NULL, daemon_thread, vs), 0);
	vs->running = true;
}

void vss_guest_stop(struct vss_guest *vs)
{
	if (!vs->running)
		return;
	atomic_store(&vs->stop, true);
	pthread_join(vs->thread, NULL);
	vs->running = false;
}
