/* SPDX-License-Identifier: MIT */
#include "guest_fixture.h"
#include "guid.h"
#include "mgmt.h"
#include "mgmt_client.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gf_init(struct gf *f)
{
	memset(f, 0, sizeof(*f));
	f->next_gpadl = 0x100;
	vg_init(&f->g, GF_RAM, 1);
	f->vm.loop = f->g.loop;
	f->vm.state = VM_STATE_RUNNING;
	config_init(&f->cfg);
	f->machine.cfg = &f->cfg;
	f->machine.vm = &f->vm;
	f->machine.vmbus = f->g.bus;
}

struct mgmt *gf_mgmt(struct gf *f, const char *name)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/hvkvm-%s-XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/api.sock", f->dir);
	f->mgmt = mgmt_new(f->g.loop);
	ck_assert_ptr_nonnull(f->mgmt);
	return f->mgmt;
}

void gf_start(struct gf *f, unsigned noffers)
{
	char err[256];

	ck_assert_uint_le(noffers, GF_MAX_OFFERS);
	if (f->mgmt)
		ck_assert_msg(mgmt_listen(f->mgmt, f->path, err, sizeof(err)) == 0, "%s", err);
	vg_start(&f->g);
	vg_connect(&f->g, VG_VERSION(5, 3));
	f->noffers = vg_request_offers(&f->g, f->offers, GF_MAX_OFFERS);
	ck_assert_uint_eq(f->noffers, noffers);
	if (f->mgmt)
		f->t = tc_open(f->path);
}

const struct vmbus_msg_offer_channel *gf_offer(struct gf *f, const char *class_id)
{
	struct vmbus_guid c;

	ck_assert_int_eq(vmbus_guid_parse(class_id, &c), 0);
	for (unsigned i = 0; i < f->noffers; i++)
		if (!memcmp(&f->offers[i].offer.if_type, &c, sizeof(c)))
			return &f->offers[i];
	ck_abort_msg("no offer of class %s", class_id);
	return NULL;
}

void gf_reopen(struct gf *f, struct vg_chan *ch, const char *class_id, uint64_t gpa, unsigned pages)
{
	ck_assert_uint_eq(vg_open(&f->g, ch, gf_offer(f, class_id), f->next_gpadl++, gpa, pages, pages, 0), 0);
}

void gf_open(struct gf *f, struct vg_chan *ch, const char *class_id, uint64_t gpa, unsigned pages)
{
	memset(ch, 0, sizeof(*ch));
	gf_reopen(f, ch, class_id, gpa, pages);
}

void gf_stop(struct gf *f)
{
	if (f->t)
		tc_close(f->t);
	f->t = NULL;
	vg_stop(&f->g);
}

void gf_destroy(struct gf *f)
{
	if (f->mgmt)
		mgmt_free(f->mgmt, 0);
	vg_destroy(&f->g);
	config_free(&f->cfg);
	if (f->dir[0])
		rmdir(f->dir);
}
