/* SPDX-License-Identifier: MIT */
/* The simulated guest's VMBus client with hvkvm's video and keyboard (synthc_fixture.h). */
#include "synthc_fixture.h"

#include <string.h>

struct vg g;
struct gmem_devmem *vram;
struct synth_video *video;
struct synth_kbd *kbd;
struct vmbusc bus;
struct vmbusc_vg_host env;

/* ---- hvkvm's side, on the loop thread ---------------------------------------------------- */

struct display_rect rects[MAX_RECTS];
bool rect_mode[MAX_RECTS];
unsigned nrects;

static void on_update(void *opaque, const struct display_rect *r, bool mode_changed)
{
	(void)opaque;
	if (nrects < MAX_RECTS) {
		rect_mode[nrects] = mode_changed;
		rects[nrects++] = *r;
	}
}

static int no_slot(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *hostp, unsigned flags)
{
	(void)opaque, (void)slot, (void)gpa, (void)size, (void)hostp, (void)flags;
	return 0;
}

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case C_VSTATUS: display_get_status(video, &c->st); break;
	case C_MODE: c->pixels = display_pixels(video, &c->mode); break;
	case C_TAKE: c->ret = display_take_dirty(video, &c->box); break;
	case C_POINTER: display_get_pointer(video, &c->ptr); break;
	case C_NRECTS: c->nrects = nrects; break;
	case C_KSTATUS: synth_kbd_get_status(kbd, &c->kst); break;
	case C_KEY: c->r = synth_kbd_key(kbd, c->code, c->down); break;
	}
}

struct call hv(int what)
{
	struct call c = { .what = what };

	vg_call(&g, do_call, &c);
	return c;
}

int key(uint16_t code, bool down)
{
	struct call c = { .what = C_KEY, .code = code, .down = down };

	vg_call(&g, do_call, &c);
	return c.r;
}

void setup(void)
{
	vg_init(&g, RAM, 1);
	ck_assert_int_eq(gmem_set_slot_fn(&g.mem, no_slot, NULL), 0);
	ck_assert_int_eq(gmem_devmem_new(&g.mem, SYNTH_VIDEO_VRAM_SIZE, &vram), 0);
	video = synth_video_new(g.bus, vram);
	ck_assert_ptr_nonnull(video);
	kbd = synth_kbd_new(g.bus);
	ck_assert_ptr_nonnull(kbd);
	display_set_listener(video, on_update, NULL);
	nrects = 0;
	vg_start(&g);
	vmbusc_vg_host_init(&env, &g, ALLOC_BASE);
	ck_assert_int_eq(vmbusc_connect(&bus, &env.host, TMO), 0);
}

void teardown(void)
{
	vg_stop(&g);
	synth_video_free(video);
	synth_kbd_free(kbd);
	vg_destroy(&g);
	gmem_devmem_free(vram);
}

const struct vmbusc_offer *find(const char *class_id)
{
	struct vmbus_guid class;
	const struct vmbusc_offer *o;

	ck_assert_int_eq(vmbus_guid_parse(class_id, &class), 0);
	o = vmbusc_find(&bus, &class, 0);
	ck_assert_ptr_nonnull(o);
	return o;
}
