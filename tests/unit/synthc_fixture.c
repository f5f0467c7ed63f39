/* SPDX-License-Identifier: MIT */
/* The simulated guest's VMBus client with hvkvm's video and keyboard (synthc_fixture.h). */
#include "synthc_fixture.h"

#include <string.h>
#include <time.h>
#include <unistd.h>


struct vg g;
struct gmem_devmem *vram;
struct synth_video *video;
struct synth_kbd *kbd;
struct vmbusc bus;
struct env env;

static uint16_t e_post(void *ctx, uint32_t conn, uint32_t type, const void *payload, uint32_t len)
{
	ck_assert_ptr_eq(ctx, &env);
	ck_assert_uint_eq(type, VMBUS_MESSAGE_TYPE);
	return vg_post_raw(&g, 0, conn, payload, len);
}

static uint16_t e_signal(void *ctx, uint32_t conn)
{
	(void)ctx;
	return vg_signal_conn(&g, conn, false);
}

static int e_next(void *ctx, uint32_t *type, void *buf, uint32_t cap)
{
	union vg_msg m;
	int len = vg_take(&g, 0, VMBUS_MESSAGE_SINT, &m, type);

	(void)ctx;
	if (len < 0) {
		usleep(50);	/* the loop thread needs the CPU to answer */
		return -1;
	}
	memcpy(buf, &m, (uint32_t)len < cap ? (uint32_t)len : cap);
	return len;
}

static void *e_alloc(void *ctx, uint32_t npages, uint64_t *gpa)
{
	struct env *e = ctx;
	uint64_t len = (uint64_t)npages * 4096u;
	void *p;

	if (e->next + len > VG_RAM_START + RAM)
		return NULL;
	p = gmem_ptr(&g.mem, e->next, len);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, len);
	*gpa = e->next;
	e->next += len;
	e->allocated += npages;
	return p;
}

static void e_free(void *ctx, void *p, uint32_t npages)
{
	struct env *e = ctx;

	ck_assert_ptr_nonnull(p);
	e->freed += npages;
}

static uint64_t e_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const struct vmbusc_host host = {
	.ctx = &env,
	.post_message = e_post,
	.signal_event = e_signal,
	.next_message = e_next,
	.alloc_pages = e_alloc,
	.free_pages = e_free,
	.now_us = e_now,
};

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
	memset(&env, 0, sizeof(env));
	env.next = ALLOC_BASE;
	ck_assert_int_eq(vmbusc_connect(&bus, &host, TMO), 0);
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
