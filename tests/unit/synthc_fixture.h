/* SPDX-License-Identifier: MIT */
/*
 * The UEFI driver's VMBus client over the simulated guest, with hvkvm's synthetic
 * video and keyboard devices on the bus: the real firmware/vmbusc.c whose struct
 * vmbusc_host is the simulated guest (vmbusc_vg_host.h). setup() connects the bus.
 */
#ifndef HVKVM_TEST_SYNTHC_FIXTURE_H
#define HVKVM_TEST_SYNTHC_FIXTURE_H

#include <errno.h>

#include "guid.h"
#include "synth_kbd.h"
#include "synth_video.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vmbusc.h"
#include "vmbusc_vg_host.h"

#define RAM		(16ull << 20)
#define TMO		5000000u	/* us */
#define ALLOC_BASE	(VG_RAM_START + 0x100000ull)
#define LOW_WINDOW	0xc0000000ull	/* the VMBus MMIO window below 4 GiB */

extern struct vg g;
extern struct gmem_devmem *vram;
extern struct synth_video *video;
extern struct synth_kbd *kbd;
extern struct vmbusc bus;
extern struct vmbusc_vg_host env;	/* the client's environment */

/* What a front end of the video device saw (on the loop thread). */
#define MAX_RECTS	64
extern struct display_rect rects[MAX_RECTS];
extern bool rect_mode[MAX_RECTS];
extern unsigned nrects;

enum { C_VSTATUS, C_MODE, C_TAKE, C_POINTER, C_NRECTS, C_KSTATUS, C_KEY };

struct call {
	int what;
	struct display_status st;
	struct display_mode mode;
	struct display_rect box;
	struct display_pointer ptr;
	const uint8_t *pixels;
	bool ret;
	unsigned nrects;
	struct synth_kbd_status kst;
	uint16_t code;
	bool down;
	int r;
};

/* One look at hvkvm's side, on the loop thread. */
struct call hv(int what);
/* A key pressed or released on hvkvm's side (synth_kbd_key). */
int key(uint16_t code, bool down);
/* The first offer of a class on the bus. */
const struct vmbusc_offer *find(const char *class_id);

void setup(void);
void teardown(void);

#endif
