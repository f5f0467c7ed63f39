/* SPDX-License-Identifier: MIT */
#include "synth_video.h"
#include "synthvid_proto.h"
#include "guid.h"
#include "log.h"
#include "loop.h"
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VIDEO_DEPTH	32
/* How often the screen is compared with its last picture while nobody reports what
 * changed (see scan_fire). */
#define SCAN_INTERVAL_NS	100000000ull

/* What RESOLUTION_RESPONSE offers; the guest's preferred mode is the default. */
static const struct synthvid_resolution resolutions[] = {
	{ 640, 480 }, { 800, 600 }, { 1024, 768 }, { 1152, 864 }, { 1280, 720 }, { 1280, 800 },
	{ 1280, 1024 }, { 1366, 768 }, { 1440, 900 }, { 1600, 900 }, { 1600, 1200 }, { 1680, 1050 },
	{ 1920, 1080 }, { 1920, 1200 }, { 2560, 1440 }, { 2560, 1600 },
};
#define DEFAULT_RESOLUTION	2	/* 1024x768 */
_Static_assert(2560ull * 1600 * 4 <= SYNTH_VIDEO_VRAM_SIZE, "the largest mode fits the VRAM");

struct synth_video {
	struct vmbus_device *dev;
	struct vmbus *bus;
	struct vmbus_channel *ch;	/* NULL while closed */
	struct gmem_devmem *vram;
	uint32_t version;		/* agreed on; 0 before */
	struct display_mode mode;
	uint32_t vram_offset;		/* of the screen */
	/* the pointer */
	struct display_pointer ptr;
	uint8_t cursor[SYNTHVID_CURSOR_MAX_X * SYNTHVID_CURSOR_MAX_Y * 4];	/* ARGB, shown */
	uint8_t shape_buf[SYNTHVID_CURSOR_MAX_X * SYNTHVID_CURSOR_MAX_Y * 4];	/* being received */
	struct synthvid_pointer_shape shape;	/* the one being received */
	uint32_t shape_have;		/* bytes of it so far */
	int shape_next;			/* the part expected next, -1 if none */
	/* front ends */
	display_update_fn *listener;
	display_looking_fn *looking;
	void *listener_opaque;
	/* The screen without a driver that reports DIRT: the last picture, compared. */
	struct loop_timer *scan_timer;
	bool scanning;
	uint8_t *seen;			/* width * 4 x height, packed; NULL until the first scan */
	size_t seen_size;
	bool dirty;
	struct display_rect box;
	uint64_t updates, mode_changes, last_update_ns, bad;
	struct log_ratelimit rl;
	uint8_t edid[SYNTHVID_EDID_BLOCK_SIZE];
	uint8_t rx[SYNTH_VIDEO_MAX_PACKET];
};

/* ---- sending ------------------------------------------------------------------------- */

/* One message: the pipe header counts what follows it, the synthvid header the payload. */
static int video_send(struct synth_video *v, uint32_t type, const void *body, uint32_t len)
{
	struct {
		struct synthvid_pipe_hdr pipe;
		struct synthvid_msg_hdr vid;
	} __attribute__((packed)) h = {
		.pipe = { SYNTHVID_PIPE_DATA, (uint32_t)sizeof(struct synthvid_msg_hdr) + len },
		.vid = { type, len },
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)body, len } };
	int r;

	if (!v->ch)
		return -EPIPE;
	r = vmbus_chan_send(v->ch, VM_PKT_DATA_INBAND, 0, 0, iov, 2);
	if (r < 0)
		log_warn_limited(&v->rl, "synthetic video: cannot send message %u: %s", type, strerror(-r));
	return r;
}

/* An EDID 1.3 block for a monitor whose preferred mode is the default resolution. */
static void build_edid(uint8_t *e)
{
	static const char name[] = "hvkvm Video\n ";
	const struct synthvid_resolution *d = &resolutions[DEFAULT_RESOLUTION];
	/* 1024x768 at 60 Hz (VESA DMT): 65 MHz, blanking 320 x 38, sync 24+136, 3+6. */
	const uint32_t hblank = 320, vblank = 38, hso = 24, hsw = 136, vso = 3, vsw = 6;
	uint8_t *t = e + 54;
	uint8_t sum = 0;

	memset(e, 0, SYNTHVID_EDID_BLOCK_SIZE);
	memcpy(e, "\x00\xff\xff\xff\xff\xff\xff\x00", 8);
	e[8] = 0x36;	/* manufacturer "MSF", as Hyper-V's monitor */
	e[9] = 0x66;
	e[10] = 0x01;	/* product 1 */
	e[16] = 1;	/* week */
	e[17] = 30;	/* year 2020 */
	e[18] = 1;
	e[19] = 3;	/* EDID 1.3 */
	e[20] = 0x80;	/* digital */
	e[21] = 34;	/* 34 x 27 cm */
	e[22] = 27;
	e[23] = 0x78;	/* gamma 2.2 */
	e[24] = 0x0a;	/* RGB, preferred timing in the first descriptor */
	memset(e + 38, 0x01, 16);	/* no standard timings */
	/* Detailed timing descriptor: pixel clock in 10 kHz units. */
	t[0] = 6500 & 0xff;
	t[1] = 6500 >> 8;
	t[2] = d->width & 0xff;
	t[3] = hblank & 0xff;
	t[4] = (uint8_t)(((d->width >> 8) << 4) | (hblank >> 8));
	t[5] = d->height & 0xff;
	t[6] = vblank & 0xff;
	t[7] = (uint8_t)(((d->height >> 8) << 4) | (vblank >> 8));
	t[8] = hso & 0xff;
	t[9] = hsw & 0xff;
	t[10] = (uint8_t)((vso << 4) | vsw);
	t[11] = 0;
	t[12] = 340 & 0xff;	/* image size in mm */
	t[13] = 270 & 0xff;
	t[14] = (uint8_t)(((340 >> 8) << 4) | (270 >> 8));
	t[17] = 0x18;	/* digital separate sync */
	/* Monitor name. */
	t = e + 72;
	t[3] = 0xfc;
	memcpy(t + 5, name, 13);
	/* Two unused descriptors (dummy). */
	e[90 + 3] = 0x10;
	e[108 + 3] = 0x10;
	for (unsigned i = 0; i < 127; i++)
		sum = (uint8_t)(sum + e[i]);
	e[127] = (uint8_t)(0x100 - sum);
}

/* ---- what changed ----------------------------------------------------------------------- */

static void mark(struct synth_video *v, const struct display_rect *r, bool mode_changed)
{
	if (!v->dirty) {
		v->box = *r;
		v->dirty = true;
	} else {
		if (r->x1 < v->box.x1)
			v->box.x1 = r->x1;
		if (r->y1 < v->box.y1)
			v->box.y1 = r->y1;
		if (r->x2 > v->box.x2)
			v->box.x2 = r->x2;
		if (r->y2 > v->box.y2)
			v->box.y2 = r->y2;
	}
	v->last_update_ns = loop_now_ns();
	if (v->listener)
		v->listener(v->listener_opaque, r, mode_changed);
}

static void mark_all(struct synth_video *v)
{
	struct display_rect all = { 0, 0, v->mode.width, v->mode.height };

	v->mode_changes++;
	if (!v->mode.active) {
		v->dirty = false;
		v->last_update_ns = loop_now_ns();
		if (v->listener)
			v->listener(v->listener_opaque, &all, true);
		return;
	}
	v->dirty = false;	/* the old box is of the old mode */
	mark(v, &all, true);
}

static void screen_off(struct synth_video *v)
{
	bool was = v->mode.active;

	v->mode = (struct display_mode){ .depth = VIDEO_DEPTH };
	v->vram_offset = 0;
	if (was)
		mark_all(v);
}

/*
 * A frame buffer nobody reports changes to: what the firmware set up and left mapped
 * when its driver went (the UNLOAD at ExitBootServices), drawn by an OS loader or an
 * OS's generic frame buffer driver (Linux's efifb, Windows' boot display) until the
 * OS's own driver connects. With a front end that looks, the screen is compared with
 * its last picture a few times a second and the rows that changed are reported.
 */
static void scan_fire(void *opaque)
{
	struct synth_video *v = opaque;
	const uint8_t *px;
	size_t row, need;
	uint32_t y, y1 = UINT32_MAX, y2 = 0;
	bool first;

	if (!v->scanning || !v->mode.active || !gmem_devmem_gpa(v->vram, &(uint64_t){ 0 }))
		return;
	/* Nobody to draw for: nothing compared or kept; the next look starts afresh. */
	if (v->looking && !v->looking(v->listener_opaque)) {
		free(v->seen);
		v->seen = NULL;
		v->seen_size = 0;
		return;
	}
	px = gmem_devmem_host(v->vram) + v->vram_offset;
	row = (size_t)v->mode.width * 4;
	need = row * v->mode.height;
	first = !v->seen || v->seen_size != need;
	if (first) {
		uint8_t *n = realloc(v->seen, need);

		if (!n)
			return;
		v->seen = n;
		v->seen_size = need;
	}
	for (y = 0; y < v->mode.height; y++) {
		const uint8_t *src = px + (size_t)y * v->mode.pitch;
		uint8_t *dst = v->seen + (size_t)y * row;

		if (!first && !memcmp(dst, src, row))
			continue;
		memcpy(dst, src, row);
		if (y < y1)
			y1 = y;
		y2 = y + 1;
	}
	/* The first picture is all new: what was drawn since the last DIRT is in it. */
	if (y1 < y2) {
		struct display_rect r = { 0, y1, v->mode.width, y2 };

		v->updates++;
		mark(v, &r, false);
	}
}

/* Scanning is on while a front end looks at a mapped screen that no connected driver
 * reports changes of. Called after every change to one of those. */
static void scan_update(struct synth_video *v)
{
	bool want = v->scan_timer && v->listener && v->mode.active && !(v->ch && v->version) &&
		    gmem_devmem_gpa(v->vram, &(uint64_t){ 0 });

	if (want == v->scanning)
		return;
	v->scanning = want;
	free(v->seen);
	v->seen = NULL;
	v->seen_size = 0;
	if (want) {
		loop_timer_arm(v->scan_timer, 1, SCAN_INTERVAL_NS);
	} else {
		loop_timer_disarm(v->scan_timer);
	}
}

/* ---- messages ---------------------------------------------------------------------------- */

static void bad(struct synth_video *v, const char *fmt, const char *what)
{
	v->bad++;
	log_warn_limited(&v->rl, fmt, what);
}

static bool version_ok(uint32_t version)
{
	/* 3.0 (Windows 7) is gone from every guest driver; 3.2 to 3.5 are one protocol
	 * with more messages as it goes. */
	return (version & 0xffff) == 3 && (version >> 16) >= 2 && (version >> 16) <= 5;
}

static void on_version(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct synthvid_version_request rq;
	struct synthvid_version_response rs = { .max_video_outputs = 1 };

	if (len < sizeof(rq)) {
		bad(v, "synthetic video: %s of too few bytes", "version request");
		return;
	}
	memcpy(&rq, p, sizeof(rq));
	rs.version = rq.version;
	rs.is_accepted = version_ok(rq.version) ? SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE : SYNTHVID_REJECTED;
	if (!rs.is_accepted)
		log_warn_limited(&v->rl, "synthetic video: the guest asks for version %u.%u, not 3.2 to 3.5",
				 rq.version & 0xffff, rq.version >> 16);
	/* A new negotiation starts over: the guest's driver was reloaded. */
	v->version = 0;
	if (video_send(v, SYNTHVID_VERSION_RESPONSE, &rs, sizeof(rs)) == 0 && rs.is_accepted) {
		v->version = rq.version;
		log_info("synthetic video: guest driver connected, version %u.%u", rq.version & 0xffff,
			 rq.version >> 16);
	}
}

/* Inside one of the windows VMBus gives its devices (the guest's _CRS). */
static bool in_windows(const struct synth_video *v, uint64_t gpa, uint64_t size)
{
	struct vmbus_mmio_window w[2];

	vmbus_mmio_windows(v->bus, &w[0], &w[1]);
	for (unsigned i = 0; i < 2; i++)
		if (gpa >= w[i].base && gpa - w[i].base <= w[i].size && size <= w[i].size - (gpa - w[i].base))
			return true;
	return false;
}

static void on_vram_location(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct synthvid_vram_location rq;
	struct synthvid_vram_location_ack ack;
	uint64_t size = gmem_devmem_size(v->vram);
	int r;

	if (len < sizeof(rq)) {
		bad(v, "synthetic video: %s of too few bytes", "VRAM location");
		return;
	}
	memcpy(&rq, p, sizeof(rq));
	if (!rq.is_vram_gpa_specified) {
		gmem_devmem_unmap(v->vram);
		screen_off(v);
	} else if (!in_windows(v, rq.vram_gpa, size)) {
		v->bad++;
		log_warn_limited(&v->rl, "synthetic video: VRAM at 0x%llx (%llu MiB) is outside the VMBus MMIO windows",
				 (unsigned long long)rq.vram_gpa, (unsigned long long)(size >> 20));
		return;
	} else if ((r = gmem_devmem_map(v->vram, rq.vram_gpa)) < 0) {
		v->bad++;
		log_warn_limited(&v->rl, "synthetic video: cannot place VRAM at 0x%llx: %s",
				 (unsigned long long)rq.vram_gpa,
				 r == -EEXIST ? "it overlaps memory" : r == -EINVAL ? "not page-aligned" : strerror(-r));
		return;
	} else if (v->mode.active) {
		mark_all(v);	/* the same mode, other pixels */
	}
	/* The acknowledgement says the memory is there: only now. */
	ack.user_ctx = rq.user_ctx;
	video_send(v, SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack));
	/* Ask for the rectangles the guest draws: that is cheaper than looking for them. */
	if (rq.is_vram_gpa_specified) {
		struct synthvid_feature_change fc = { .is_dirt_needed = 1 };

		video_send(v, SYNTHVID_FEATURE_CHANGE, &fc, sizeof(fc));
	}
}

static bool output_ok(const struct synth_video *v, const struct synthvid_video_output *o, const char **why)
{
	uint64_t size = gmem_devmem_size(v->vram);

	*why = NULL;
	if (o->depth_bits != VIDEO_DEPTH)
		*why = "a depth other than 32 bits";
	else if (o->width_pixels == 0 || o->height_pixels == 0 || o->width_pixels > 16384 || o->height_pixels > 16384)
		*why = "a width or height of 0 or over 16384";
	else if (o->pitch_bytes < (uint64_t)o->width_pixels * 4 || o->pitch_bytes % 4)
		*why = "a pitch shorter than a row or not a multiple of 4";
	else if (o->vram_offset % 4 || o->vram_offset >= size ||
		 (uint64_t)o->pitch_bytes * (o->height_pixels - 1) + (uint64_t)o->width_pixels * 4 > size - o->vram_offset)
		*why = "a screen larger than the VRAM";
	return !*why;
}

static void on_situation(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct synthvid_situation_update rq;
	struct synthvid_situation_update_ack ack;
	const struct synthvid_video_output *o = &rq.video_output[0];
	const char *why;

	if (len < offsetof(struct synthvid_situation_update, video_output)) {
		bad(v, "synthetic video: %s of too few bytes", "situation update");
		return;
	}
	memset(&rq, 0, sizeof(rq));
	memcpy(&rq, p, len < sizeof(rq) ? len : sizeof(rq));
	if (rq.video_output_count && len < sizeof(rq)) {
		bad(v, "synthetic video: %s of too few bytes", "situation update");
		return;
	}
	ack.user_ctx = rq.user_ctx;
	if (!rq.video_output_count || !o->active) {
		screen_off(v);
	} else if (!output_ok(v, o, &why)) {
		bad(v, "synthetic video: the guest asks for a screen with %s", why);
		screen_off(v);
	} else if (!v->mode.active || v->mode.width != o->width_pixels || v->mode.height != o->height_pixels ||
		   v->mode.pitch != o->pitch_bytes || v->vram_offset != o->vram_offset) {
		v->mode = (struct display_mode){
			.active = true,
			.width = o->width_pixels,
			.height = o->height_pixels,
			.pitch = o->pitch_bytes,
			.depth = VIDEO_DEPTH,
		};
		v->vram_offset = o->vram_offset;
		log_info("synthetic video: %ux%u, pitch %u", v->mode.width, v->mode.height, v->mode.pitch);
		mark_all(v);
	}
	video_send(v, SYNTHVID_SITUATION_UPDATE_ACK, &ack, sizeof(ack));
}

static void on_dirt(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct synthvid_dirt d;

	if (len < sizeof(d)) {
		bad(v, "synthetic video: %s of too few bytes", "dirt message");
		return;
	}
	memcpy(&d, p, sizeof(d));
	if (d.video_output != 0 || (len - sizeof(d)) / sizeof(struct synthvid_rect) < d.dirt_count) {
		bad(v, "synthetic video: %s for another output or of too few bytes", "dirt message");
		return;
	}
	for (unsigned i = 0; i < d.dirt_count; i++) {
		struct synthvid_rect s;
		struct display_rect r;

		memcpy(&s, p + sizeof(d) + i * sizeof(s), sizeof(s));
		if (s.x1 > s.x2 || s.y1 > s.y2) {
			bad(v, "synthetic video: %s with corners swapped", "a dirty rectangle");
			continue;
		}
		if (!v->mode.active)
			continue;
		/* Clipped to the screen: a guest may round outwards. */
		r.x1 = s.x1 < 0 ? 0 : (uint32_t)s.x1;
		r.y1 = s.y1 < 0 ? 0 : (uint32_t)s.y1;
		r.x2 = s.x2 < 0 ? 0 : (uint32_t)s.x2;
		r.y2 = s.y2 < 0 ? 0 : (uint32_t)s.y2;
		if (r.x2 > v->mode.width)
			r.x2 = v->mode.width;
		if (r.y2 > v->mode.height)
			r.y2 = v->mode.height;
		if (r.x1 >= r.x2 || r.y1 >= r.y2)
			continue;
		v->updates++;
		mark(v, &r, false);
	}
}

static void on_pointer_position(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct synthvid_pointer_position pp;

	if (len < sizeof(pp)) {
		bad(v, "synthetic video: %s of too few bytes", "pointer position");
		return;
	}
	memcpy(&pp, p, sizeof(pp));
	v->ptr.visible = pp.is_visible;
	v->ptr.x = pp.image_x;
	v->ptr.y = pp.image_y;
}

/* Monochrome AND and XOR masks to ARGB: transparent, black, white, or inverted (shown
 * black here). */
static void mono_to_argb(const uint8_t *and_mask, const uint8_t *xor_mask, uint32_t w, uint32_t h, uint8_t *out)
{
	uint32_t stride = (w + 7) / 8;

	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			unsigned a = (and_mask[y * stride + x / 8] >> (7 - x % 8)) & 1;
			unsigned xr = (xor_mask[y * stride + x / 8] >> (7 - x % 8)) & 1;
			uint8_t *px = out + ((size_t)y * w + x) * 4;
			uint8_t c = !a && xr ? 0xff : 0;

			px[0] = px[1] = px[2] = c;
			px[3] = a && !xr ? 0 : 0xff;
		}
	}
}

static void on_pointer_shape(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct synthvid_pointer_shape s;
	uint32_t need, take;

	if (len < sizeof(s)) {
		bad(v, "synthetic video: %s of too few bytes", "pointer shape");
		return;
	}
	memcpy(&s, p, sizeof(s));
	p += sizeof(s);
	len -= (uint32_t)sizeof(s);
	if (s.part_idx == 0 || (s.part_idx == SYNTHVID_CURSOR_COMPLETE && v->shape_next < 0)) {
		if (s.width == 0 || s.height == 0 || s.width > SYNTHVID_CURSOR_MAX_X ||
		    s.height > SYNTHVID_CURSOR_MAX_Y || s.hot_x >= s.width || s.hot_y >= s.height) {
			bad(v, "synthetic video: %s larger than 96x96 or its hot spot outside", "a pointer shape");
			v->shape_next = -1;
			return;
		}
		v->shape = s;
		v->shape_have = 0;
	} else if ((int)s.part_idx != v->shape_next && s.part_idx != SYNTHVID_CURSOR_COMPLETE) {
		bad(v, "synthetic video: %s out of order", "a pointer shape part");
		v->shape_next = -1;
		return;
	}
	need = v->shape.is_argb ? v->shape.width * v->shape.height * 4 : (v->shape.width + 7) / 8 * v->shape.height * 2;
	take = len < need - v->shape_have ? len : need - v->shape_have;
	memcpy(v->shape_buf + v->shape_have, p, take);
	v->shape_have += take;
	if (s.part_idx != SYNTHVID_CURSOR_COMPLETE) {
		v->shape_next = s.part_idx + 1;
		return;
	}
	v->shape_next = -1;
	if (v->shape_have < need) {
		bad(v, "synthetic video: %s shorter than its size", "a pointer shape");
		return;
	}
	if (v->shape.is_argb)
		memcpy(v->cursor, v->shape_buf, need);
	else
		mono_to_argb(v->shape_buf, v->shape_buf + need / 2, v->shape.width, v->shape.height, v->cursor);
	v->ptr.width = v->shape.width;
	v->ptr.height = v->shape.height;
	v->ptr.hot_x = v->shape.hot_x;
	v->ptr.hot_y = v->shape.hot_y;
	v->ptr.argb = v->cursor;
	v->ptr.serial++;
}

static void on_resolution_request(struct synth_video *v, const uint8_t *p, uint32_t len)
{
	struct {
		struct synthvid_resolution_response h;
		struct synthvid_resolution list[sizeof(resolutions) / sizeof(resolutions[0])];
	} __attribute__((packed)) rs;
	unsigned n = sizeof(resolutions) / sizeof(resolutions[0]);

	if (len < 1) {
		bad(v, "synthetic video: %s of too few bytes", "resolution request");
		return;
	}
	/* A guest with room for fewer gets the first ones, the smallest. */
	if (p[0] < n)
		n = p[0];
	memset(&rs, 0, sizeof(rs));
	memcpy(rs.h.edid_block, v->edid, sizeof(v->edid));
	rs.h.resolution_count = (uint8_t)n;
	rs.h.default_resolution_index = n > DEFAULT_RESOLUTION ? DEFAULT_RESOLUTION : (n ? (uint8_t)(n - 1) : 0);
	rs.h.is_standard = 0;
	memcpy(rs.list, resolutions, n * sizeof(resolutions[0]));
	video_send(v, SYNTHVID_RESOLUTION_RESPONSE, &rs, (uint32_t)(sizeof(rs.h) + n * sizeof(resolutions[0])));
}

void synth_video_handle_packet(struct synth_video *v, const uint8_t *pkt, uint32_t len)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	struct synthvid_pipe_hdr pipe;
	struct synthvid_msg_hdr h;
	uint32_t off, body;

	if (len < sizeof(*d))
		goto malformed;
	if (d->type != VM_PKT_DATA_INBAND)
		return;
	off = (uint32_t)d->offset8 * 8;
	if (off < sizeof(*d) || off > len || len - off < sizeof(pipe) + sizeof(h))
		goto malformed;
	memcpy(&pipe, pkt + off, sizeof(pipe));
	memcpy(&h, pkt + off + sizeof(pipe), sizeof(h));
	off += sizeof(pipe) + sizeof(h);
	if (pipe.type != SYNTHVID_PIPE_DATA)
		return;
	/* The pipe header bounds the message within the packet (which has padding);
	 * the synthvid header's size means different things to different guests. */
	if (pipe.size < sizeof(h) || pipe.size - sizeof(h) > len - off)
		goto malformed;
	body = pipe.size - (uint32_t)sizeof(h);
	if (!v->version && h.type != SYNTHVID_VERSION_REQUEST) {
		v->bad++;
		log_warn_limited(&v->rl, "synthetic video: message %u before a version was agreed on", h.type);
		return;
	}
	switch (h.type) {
	case SYNTHVID_VERSION_REQUEST: on_version(v, pkt + off, body); scan_update(v); return;
	case SYNTHVID_VRAM_LOCATION: on_vram_location(v, pkt + off, body); scan_update(v); return;
	case SYNTHVID_SITUATION_UPDATE: on_situation(v, pkt + off, body); scan_update(v); return;
	case SYNTHVID_POINTER_POSITION: on_pointer_position(v, pkt + off, body); return;
	case SYNTHVID_POINTER_SHAPE: on_pointer_shape(v, pkt + off, body); return;
	case SYNTHVID_DIRT: on_dirt(v, pkt + off, body); return;
	case SYNTHVID_RESOLUTION_REQUEST: on_resolution_request(v, pkt + off, body); return;
	case SYNTHVID_BIOS_INFO_REQUEST: {
		struct synthvid_bios_info_response rs = { .stop_device_supported = 1 };

		video_send(v, SYNTHVID_BIOS_INFO_RESPONSE, &rs, sizeof(rs));
		return;
	}
	case SYNTHVID_CAPABILITY_REQUEST: {
		struct synthvid_capability_response rs = { 0 };

		video_send(v, SYNTHVID_CAPABILITY_RESPONSE, &rs, sizeof(rs));
		return;
	}
	default:
		v->bad++;
		log_warn_limited(&v->rl, "synthetic video: unknown message type %u from the guest", h.type);
		return;
	}
malformed:
	v->bad++;
	log_warn_limited(&v->rl, "synthetic video: malformed packet of %u bytes from the guest", len);
}

/* ---- the channel ------------------------------------------------------------------------- */

static bool video_packet(void *opaque, const void *pkt, uint32_t len)
{
	struct synth_video *v = opaque;

	synth_video_handle_packet(v, pkt, len);
	return v->ch != NULL;
}

static bool video_notify(struct vmbus_channel *ch, void *opaque)
{
	struct synth_video *v = opaque;

	vmbus_chan_recv_each(ch, v->rx, sizeof(v->rx), video_packet, v);
	return true;
}

/* A driver comes or goes: what it negotiated goes, its frame buffer stays. */
static void video_forget_driver(struct synth_video *v)
{
	v->version = 0;
	v->shape_next = -1;
	v->ptr = (struct display_pointer){ .serial = v->ptr.serial };
}

static int video_open(struct vmbus_channel *ch, void *opaque)
{
	struct synth_video *v = opaque;

	video_forget_driver(v);
	v->ch = ch;
	scan_update(v);
	return 0;
}

/*
 * The driver is gone (unloaded: the firmware's at ExitBootServices, an OS's driver
 * removed). As on Hyper-V, the VRAM stays where it was and the screen keeps its mode:
 * the next one to draw (an OS loader, an OS's generic frame buffer driver) finds the
 * frame buffer the firmware described, until a driver places the VRAM elsewhere or
 * turns the screen off, or the machine resets (synth_video_reset).
 */
static void video_close(struct vmbus_channel *ch, void *opaque)
{
	struct synth_video *v = opaque;

	(void)ch;
	v->ch = NULL;
	video_forget_driver(v);
	scan_update(v);
}

void synth_video_reset(struct synth_video *v)
{
	video_forget_driver(v);
	gmem_devmem_unmap(v->vram);
	screen_off(v);
	scan_update(v);
}

static const struct vmbus_dev_ops video_ops = {
	.open = video_open,
	.close = video_close,
	.notify = video_notify,
};

struct synth_video *synth_video_new(struct vmbus *bus, struct gmem_devmem *vram)
{
	struct synth_video *v;
	/* As Hyper-V offers it: a message-mode pipe, with the size of the VRAM. */
	struct vmbus_offer o = {
		.chn_flags = VMBUS_CHANNEL_NAMED_PIPE_MODE,
		.mmio_megabytes = SYNTH_VIDEO_VRAM_MB,
		.max_pkt = 0x4000,
		.name = "synthetic video",
	};

	if (!vram || gmem_devmem_size(vram) != SYNTH_VIDEO_VRAM_SIZE)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->bus = bus;
	v->vram = vram;
	v->scan_timer = loop_timer_new(vmbus_loop(bus), scan_fire, v);
	if (!v->scan_timer)
		goto fail;
	v->shape_next = -1;
	v->mode.depth = VIDEO_DEPTH;
	build_edid(v->edid);
	o.user_def[0] = 4;	/* pipe mode: message */
	if (vmbus_guid_parse(SYNTHVID_CLASS_ID, &o.class_id) < 0 ||
	    vmbus_guid_parse(SYNTHVID_INSTANCE_ID, &o.instance_id) < 0)
		goto fail;
	v->dev = vmbus_device_add(bus, &o, &video_ops, v);
	if (!v->dev)
		goto fail;
	return v;
fail:
	if (v->scan_timer)
		loop_timer_free(v->scan_timer);
	free(v);
	return NULL;
}

void synth_video_free(struct synth_video *v)
{
	if (!v)
		return;
	gmem_devmem_unmap(v->vram);
	loop_timer_free(v->scan_timer);
	free(v->seen);
	free(v);
}

/* ---- front ends ------------------------------------------------------------------------------ */

void display_get_mode(const struct synth_video *v, struct display_mode *mode)
{
	*mode = v->mode;
}

const uint8_t *display_pixels(const struct synth_video *v, struct display_mode *mode)
{
	*mode = v->mode;
	/* The mode was checked against the VRAM's size when it was set. */
	if (!v->mode.active || !gmem_devmem_gpa(v->vram, &(uint64_t){ 0 }))
		return NULL;
	return gmem_devmem_host(v->vram) + v->vram_offset;
}

void display_get_pointer(const struct synth_video *v, struct display_pointer *p)
{
	*p = v->ptr;
}

void display_set_listener(struct synth_video *v, display_update_fn *fn, void *opaque)
{
	v->listener = fn;
	v->listener_opaque = opaque;
	if (!fn)
		v->looking = NULL;
	scan_update(v);
}

void display_set_looking(struct synth_video *v, display_looking_fn *fn)
{
	v->looking = fn;
}

bool display_take_dirty(struct synth_video *v, struct display_rect *box)
{
	if (!v->dirty)
		return false;
	*box = v->box;
	v->dirty = false;
	return true;
}

void display_get_status(const struct synth_video *v, struct display_status *st)
{
	*st = (struct display_status){
		.open = v->ch != NULL,
		.connected = v->ch && v->version,
		.version = v->version,
		.vram_size = gmem_devmem_size(v->vram),
		.updates = v->updates,
		.mode_changes = v->mode_changes,
		.last_update_ns = v->last_update_ns,
		.bad = v->bad,
	};
	st->vram_mapped = gmem_devmem_gpa(v->vram, &st->vram_gpa);
}
