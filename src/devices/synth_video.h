/* SPDX-License-Identifier: MIT */
/*
 * Hyper-V's synthetic video device on VMBus (Linux: hyperv_drm, hyperv_fb; Windows:
 * HyperVideo). The guest places the device's video memory (VRAM) in the VMBus MMIO
 * window with VRAM_LOCATION, says which part of it is the screen with
 * SITUATION_UPDATE, and reports what it drew with DIRT.
 *
 * The second half is what front ends (the management socket's screen.* methods, a
 * remote display) read: the mode, the pixels, the pointer, and the rectangles the guest
 * changed. Nothing is drawn or converted here: without a front end that looks, the
 * device only keeps the mode and the bounding box of what changed. With one, a screen
 * no connected driver reports changes of (the firmware's frame buffer after it left)
 * is compared with its last picture ten times a second.
 * Everything here is on the loop thread.
 */
#ifndef HVKVM_SYNTH_VIDEO_H
#define HVKVM_SYNTH_VIDEO_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"

struct vmbus;
struct synth_video;

/* Video memory offered to the guest (the offer's mmio_megabytes): room for
 * 2560x1600 at 32 bits per pixel. */
#define SYNTH_VIDEO_VRAM_MB	16
#define SYNTH_VIDEO_VRAM_SIZE	((uint64_t)SYNTH_VIDEO_VRAM_MB << 20)
/* The largest message a guest sends: a cursor part (the guest's own limit is 16 KiB). */
#define SYNTH_VIDEO_MAX_PACKET	(16384 + 64)

/* vram: device memory of SYNTH_VIDEO_VRAM_SIZE bytes (gmem_devmem_new) the device
 * maps where the guest asks; it stays the caller's. The device has a timer on the
 * bus's loop: free it after the bus (whose end closes the channel) but before the
 * loop. */
struct synth_video *synth_video_new(struct vmbus *bus, struct gmem_devmem *vram);
void synth_video_free(struct synth_video *v);
/* The machine resets: the VRAM is unmapped and the screen goes off. (A channel that
 * closes keeps both: the frame buffer outlives the driver that set it up.) */
void synth_video_reset(struct synth_video *v);

/* The message handler on its own, for tests and the fuzz target: one packet,
 * descriptor included. */
void synth_video_handle_packet(struct synth_video *v, const uint8_t *pkt, uint32_t len);

/* ---- what front ends see ----------------------------------------------------------- */

/* The screen: 32 bits per pixel, each pixel B, G, R, X in memory (XRGB8888). */
struct display_mode {
	bool active;		/* false: no screen (no driver, or the guest turned it off) */
	uint32_t width, height;
	uint32_t pitch;		/* bytes from one row to the next, >= width * 4 */
	uint32_t depth;		/* bits per pixel: 32 */
};

/* A rectangle of the screen, right and bottom exclusive, inside the mode. */
struct display_rect {
	uint32_t x1, y1, x2, y2;
};

struct display_pointer {
	bool visible;
	int32_t x, y;		/* the hot spot, in screen pixels */
	/* The shape, when the guest gave one: width x height ARGB pixels (B, G, R, A). */
	uint32_t width, height, hot_x, hot_y;
	const uint8_t *argb;	/* NULL: no shape */
	uint64_t serial;	/* changes with each new shape */
};

/*
 * The mode and its first pixel, valid until the next call into the device's loop-thread
 * code (the guest may move VRAM or change the mode then). NULL when there is no screen.
 * The guest writes the pixels at any time: copy what must not tear.
 */
const uint8_t *display_pixels(const struct synth_video *v, struct display_mode *mode);
void display_get_mode(const struct synth_video *v, struct display_mode *mode);
void display_get_pointer(const struct synth_video *v, struct display_pointer *p);

/*
 * A front end that looks: called on the loop thread with each rectangle the guest
 * reports changed, and with the whole screen after a mode change (mode_changed true).
 * One listener; NULL removes it.
 */
typedef void display_update_fn(void *opaque, const struct display_rect *r, bool mode_changed);
void display_set_listener(struct synth_video *v, display_update_fn *fn, void *opaque);

/*
 * Whether the listener has anybody to draw for now (given its opaque; called on the loop
 * thread). Without one the listener always looks. It spares the comparing of a screen
 * no driver reports changes of while, say, no VNC viewer is connected. Removing the
 * listener removes it too.
 */
typedef bool display_looking_fn(void *opaque);
void display_set_looking(struct synth_video *v, display_looking_fn *fn);

/*
 * Changes since the last call, for a front end that polls: the bounding box of every
 * rectangle reported (false if nothing changed). A mode change counts as all of it.
 */
bool display_take_dirty(struct synth_video *v, struct display_rect *box);

struct display_status {
	bool open;		/* the guest opened the channel */
	bool connected;		/* and agreed on a version */
	uint32_t version;	/* SYNTHVID_VERSION(major, minor), 0 before */
	bool vram_mapped;
	uint64_t vram_gpa;
	uint64_t vram_size;
	uint64_t updates;	/* rectangles the guest reported */
	uint64_t mode_changes;
	uint64_t last_update_ns;	/* CLOCK_MONOTONIC of the last change, 0 if none */
	uint64_t bad;		/* malformed or refused messages from the guest */
};
void display_get_status(const struct synth_video *v, struct display_status *st);

#endif
