/* SPDX-License-Identifier: MIT */
/*
 * The synthetic video device (src/devices/synth_video.c), its VRAM as core device
 * memory (src/core/memory.c) and the screen.* methods (src/mgmt/screen_methods.c),
 * against a simulated guest that speaks as Linux's hyperv_drm does, and against
 * messages no driver should send.
 */
#include <check.h>
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guid.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "synth_video.h"
#include "synthvid_proto.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus.h"
#include "vmbus_guest.h"

#define RAM		(16ull << 20)
#define VID_GPA		(VG_RAM_START + 0x100000ull)
#define RING_PAGES	16
#define LOW_WINDOW	0xc0000000ull	/* the VMBus MMIO window below 4 GiB */
#define LOW_WINDOW_END	0xfec00000ull

static char dir[64], path[128];
static struct vg g;
static struct vg_chan ch;
static struct vmbus_msg_offer_channel offer;
static struct vm vm;
static struct machine machine;
static struct mgmt *mgmt;
static struct vm_config cfg;
static struct tc *t;
static uint8_t pkt[32768];

/* What the core told the VM: the slot calls, in order. */
#define MAX_SLOT_CALLS	16
static struct slot_call { unsigned slot; uint64_t gpa, size; void *host; } slots[MAX_SLOT_CALLS];
static unsigned nslots;
static int slot_fail;	/* the next slot call fails with this */

static int record_slot(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host,
		       unsigned flags)
{
	(void)opaque;
	(void)flags;
	if (slot_fail) {
		int r = slot_fail;

		slot_fail = 0;
		return r;
	}
	if (nslots < MAX_SLOT_CALLS)
		slots[nslots++] = (struct slot_call){ slot, gpa, size, host };
	return 0;
}

/* What a front end saw. */
#define MAX_RECTS	64
static struct display_rect rects[MAX_RECTS];
static bool rect_mode[MAX_RECTS];
static unsigned nrects;

static void on_update(void *opaque, const struct display_rect *r, bool mode_changed)
{
	(void)opaque;
	if (nrects < MAX_RECTS) {
		rect_mode[nrects] = mode_changed;
		rects[nrects++] = *r;
	}
}

/* ---- calls on the loop thread ----------------------------------------------------------- */

enum { C_STATUS, C_MODE, C_PACKET, C_TAKE, C_POINTER, C_SLOTS, C_RESET, C_UNLISTEN, C_LOOKING };

/* The listener's answer to display_looking_fn (set by the test thread). */
static bool looking = true;

static bool is_looking(void *opaque)
{
	(void)opaque;
	return __atomic_load_n(&looking, __ATOMIC_ACQUIRE);
}

struct call {
	int what;
	const uint8_t *pkt;
	uint32_t len;
	bool ret;
	struct display_status st;
	struct display_mode mode;
	struct display_rect box;
	struct display_pointer ptr;
	uint8_t argb[16];
	unsigned nslots, nrects;
	const uint8_t *pixels;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case C_STATUS: display_get_status(machine.video, &c->st); break;
	case C_MODE: c->pixels = display_pixels(machine.video, &c->mode); break;
	case C_PACKET: synth_video_handle_packet(machine.video, c->pkt, c->len); break;
	case C_TAKE: c->ret = display_take_dirty(machine.video, &c->box); break;
	case C_POINTER:
		display_get_pointer(machine.video, &c->ptr);
		if (c->ptr.argb)
			memcpy(c->argb, c->ptr.argb, sizeof(c->argb));
		break;
	case C_SLOTS: c->nslots = nslots; c->nrects = nrects; break;
	case C_RESET: synth_video_reset(machine.video); break;
	case C_UNLISTEN: display_set_listener(machine.video, NULL, NULL); nrects = 0; break;
	case C_LOOKING: display_set_looking(machine.video, is_looking); break;
	}
}

static struct call host(int what)
{
	struct call c = { .what = what };

	vg_call(&g, do_call, &c);
	return c;
}

static struct display_status status(void)
{
	return host(C_STATUS).st;
}

/* ---- the guest's driver --------------------------------------------------------------------- */

/* As hyperv_drm's hyperv_sendpacket: both headers say header plus payload. */
static void vid_send(uint32_t type, const void *body, uint32_t len)
{
	uint8_t buf[20000];
	struct synthvid_pipe_hdr p = { SYNTHVID_PIPE_DATA, 8 + len };
	struct synthvid_msg_hdr h = { type, 8 + len };

	ck_assert_uint_le(len + 16, sizeof(buf));
	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 8, &h, sizeof(h));
	if (len)
		memcpy(buf + 16, body, len);	/* body may be NULL when there is none */
	ck_assert_int_eq(vg_send(&ch, VM_PKT_DATA_INBAND, 0, 0, buf, 16 + len), 0);
}

/* The next message from the host: headers as Hyper-V writes them (the synthvid size
 * counts the payload, the pipe size what follows it); returns the payload. */
static uint8_t *vid_msg(uint32_t type, uint32_t *size)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	struct synthvid_pipe_hdr p;
	struct synthvid_msg_hdr h;
	int n = vg_read_wait(&ch, pkt, sizeof(pkt), VG_TMO), len;
	uint8_t *m;

	ck_assert_int_gt(n, (int)sizeof(*d));
	ck_assert_uint_eq(d->type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(d->flags, 0);
	len = n - d->offset8 * 8;
	m = pkt + d->offset8 * 8;
	ck_assert_int_ge(len, 16);
	/* hyperv_drm's receive buffer */
	ck_assert_int_le(len, 0x4000);
	memcpy(&p, m, sizeof(p));
	memcpy(&h, m + 8, sizeof(h));
	ck_assert_uint_eq(p.type, SYNTHVID_PIPE_DATA);
	ck_assert_msg(h.type == type, "message %u, expected %u", h.type, type);
	ck_assert_uint_eq(p.size, h.size + 8);
	ck_assert_int_ge(len, (int)(16 + h.size));
	*size = h.size;
	return m + 16;
}

static void nothing(void)
{
	usleep(20000);
	ck_assert_uint_eq(vg_read_avail(&ch), 0);
}

static uint8_t version(uint32_t v)
{
	struct synthvid_version_request rq = { v };
	struct synthvid_version_response rs;
	uint32_t size;
	uint8_t *m;

	vid_send(SYNTHVID_VERSION_REQUEST, &rq, sizeof(rq));
	m = vid_msg(SYNTHVID_VERSION_RESPONSE, &size);
	ck_assert_uint_eq(size, sizeof(rs));
	memcpy(&rs, m, sizeof(rs));
	ck_assert_uint_eq(rs.version, v);
	if (rs.is_accepted)
		ck_assert_uint_eq(rs.max_video_outputs, 1);
	return rs.is_accepted;
}

static void vram_location_send(uint64_t ctx, uint8_t specified, uint64_t gpa)
{
	struct synthvid_vram_location rq = { ctx, specified, gpa };

	vid_send(SYNTHVID_VRAM_LOCATION, &rq, sizeof(rq));
}

/* A location the host takes: its acknowledgement, then FEATURE_CHANGE asking for DIRT. */
static void vram_location(uint64_t ctx, uint64_t gpa)
{
	struct synthvid_vram_location_ack ack;
	struct synthvid_feature_change fc;
	uint32_t size;
	uint8_t *m;

	vram_location_send(ctx, 1, gpa);
	m = vid_msg(SYNTHVID_VRAM_LOCATION_ACK, &size);
	ck_assert_uint_eq(size, sizeof(ack));
	memcpy(&ack, m, sizeof(ack));
	ck_assert_uint_eq(ack.user_ctx, ctx);
	m = vid_msg(SYNTHVID_FEATURE_CHANGE, &size);
	ck_assert_uint_ge(size, sizeof(fc));
	memcpy(&fc, m, sizeof(fc));
	ck_assert_uint_eq(fc.is_dirt_needed, 1);
}

static void situation(uint64_t ctx, uint8_t count, uint8_t active, uint8_t depth, uint32_t w, uint32_t h,
		      uint32_t pitch)
{
	struct synthvid_situation_update su = {
		.user_ctx = ctx,
		.video_output_count = count,
		.video_output[0] = { active, 0, depth, w, h, pitch },
	};
	struct synthvid_situation_update_ack ack;
	uint32_t size;
	uint8_t *m;

	vid_send(SYNTHVID_SITUATION_UPDATE, &su, sizeof(su));
	m = vid_msg(SYNTHVID_SITUATION_UPDATE_ACK, &size);
	memcpy(&ack, m, sizeof(ack));
	ck_assert_uint_eq(ack.user_ctx, ctx);
}

static void dirt(const struct synthvid_rect *r, uint8_t n)
{
	uint8_t buf[2 + 16 * 8] = { 0, n };

	ck_assert_uint_le(n, 8);
	memcpy(buf + 2, r, n * sizeof(*r));
	vid_send(SYNTHVID_DIRT, buf, 2 + (n ? n : 1) * (uint32_t)sizeof(*r));
}

/* As hyperv_drm's probe up to the screen: version, resolutions, VRAM, a mode. */
static void drm_connect(uint32_t w, uint32_t h)
{
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WIN10), SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE);
	vram_location(LOW_WINDOW, LOW_WINDOW);
	situation(0, 1, 1, 32, w, h, w * 4);
	ck_assert(status().connected);
}

/* ---- setup ------------------------------------------------------------------------------------- */

static void setup_with(uint32_t vmbus_version)
{
	struct vmbus_msg_offer_channel offers[1];
	char err[256];

	strcpy(dir, "/tmp/hvkvm-video-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	vg_init(&g, RAM, 1);
	memset(&vm, 0, sizeof(vm));
	vm.loop = g.loop;
	vm.state = VM_STATE_RUNNING;
	memset(&machine, 0, sizeof(machine));
	config_init(&cfg);
	machine.cfg = &cfg;
	machine.vm = &vm;
	machine.vmbus = g.bus;
	nslots = nrects = 0;
	slot_fail = 0;
	ck_assert_int_eq(gmem_set_slot_fn(&g.mem, record_slot, NULL), 0);
	ck_assert_int_eq(gmem_devmem_new(&g.mem, SYNTH_VIDEO_VRAM_SIZE, &machine.vram), 0);
	machine.video = synth_video_new(g.bus, machine.vram);
	ck_assert_ptr_nonnull(machine.video);
	display_set_listener(machine.video, on_update, NULL);
	mgmt = mgmt_new(g.loop);
	ck_assert_int_eq(mgmt_screen_methods_register(mgmt, &machine), 0);
	ck_assert_msg(mgmt_listen(mgmt, path, err, sizeof(err)) == 0, "%s", err);
	vg_start(&g);
	vg_connect_with(&g, vmbus_version, 0, VMBUS_MESSAGE_SINT);
	ck_assert_uint_eq(vg_request_offers(&g, offers, 1), 1);
	offer = offers[0];
	memset(&ch, 0, sizeof(ch));
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, 0x100, VID_GPA, RING_PAGES, RING_PAGES, 0), 0);
	t = tc_open(path);
}

static void setup(void)
{
	looking = true;
	setup_with(VMBUS_VERSION_WIN10_V5_3);
}

static void setup_old(void)
{
	setup_with(VMBUS_VERSION_WIN8_1);
}

static void teardown(void)
{
	tc_close(t);
	vg_stop(&g);
	mgmt_free(mgmt, 0);
	/* The bus is gone (its close came); the device's timer goes before the loop. */
	synth_video_free(machine.video);
	vg_destroy(&g);
	gmem_devmem_free(machine.vram);
	config_free(&cfg);
	rmdir(dir);
}

/* ---- the device --------------------------------------------------------------------------------- */

START_TEST(video_offer)
{
	struct vmbus_guid c, inst;

	ck_assert_int_eq(vmbus_guid_parse(SYNTHVID_CLASS_ID, &c), 0);
	ck_assert_int_eq(vmbus_guid_parse(SYNTHVID_INSTANCE_ID, &inst), 0);
	ck_assert_mem_eq(&offer.offer.if_type, &c, sizeof(c));
	ck_assert_mem_eq(&offer.offer.if_instance, &inst, sizeof(inst));
	/* hyperv_drm's fb_size: the offer's megabytes. */
	ck_assert_uint_eq(offer.offer.mmio_megabytes, SYNTH_VIDEO_VRAM_MB);
	ck_assert_uint_ge((uint64_t)offer.offer.mmio_megabytes << 20, 1920ull * 1080 * 4);
	ck_assert_uint_eq(offer.offer.chn_flags & VMBUS_CHANNEL_NAMED_PIPE_MODE, VMBUS_CHANNEL_NAMED_PIPE_MODE);
	ck_assert_uint_eq(offer.offer.user_def[0], 4);
	ck_assert(status().open);
	ck_assert(!status().connected);
}
END_TEST

/* Linux on VMBus 5.1 and later asks for 3.5 alone. */
START_TEST(version_35)
{
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WIN10), SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE);
	ck_assert(status().connected);
	ck_assert_uint_eq(status().version, SYNTHVID_VERSION_WIN10);
}
END_TEST

/* On Windows 8.1's VMBus, Linux asks for 3.2. */
START_TEST(version_32_old_vmbus)
{
	ck_assert_uint_eq(vmbus_version(g.bus), VMBUS_VERSION_WIN8_1);
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WIN8), SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE);
	ck_assert_uint_eq(status().version, SYNTHVID_VERSION_WIN8);
	vram_location(7, LOW_WINDOW + 0x1000000);
	situation(1, 1, 1, 32, 1024, 768, 4096);
	ck_assert_uint_eq(host(C_MODE).mode.width, 1024);
}
END_TEST

START_TEST(version_refused)
{
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WIN7), SYNTHVID_REJECTED);
	ck_assert_uint_eq(version(SYNTHVID_VERSION(4, 0)), SYNTHVID_REJECTED);
	ck_assert_uint_eq(version(SYNTHVID_VERSION(3, 6)), SYNTHVID_REJECTED);
	ck_assert(!status().connected);
	/* Nothing else before a version: no acknowledgement, VRAM stays away. */
	vram_location_send(1, 1, LOW_WINDOW);
	nothing();
	ck_assert(!status().vram_mapped);
	ck_assert_uint_ge(status().bad, 1);
	/* A guest may try again. */
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WINBLUE), SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE);
	vram_location(2, LOW_WINDOW);
}
END_TEST

START_TEST(resolutions)
{
	struct synthvid_resolution_response rs;
	struct synthvid_resolution r;
	uint8_t req = 64, sum = 0;
	uint32_t size;
	uint8_t *m;
	bool hd = false;

	version(SYNTHVID_VERSION_WIN10);
	vid_send(SYNTHVID_RESOLUTION_REQUEST, &req, 1);
	m = vid_msg(SYNTHVID_RESOLUTION_RESPONSE, &size);
	memcpy(&rs, m, sizeof(rs));
	/* hyperv_drm's checks: 1..64 of them, the default among them, all there. */
	ck_assert_uint_ge(rs.resolution_count, 1);
	ck_assert_uint_le(rs.resolution_count, 64);
	ck_assert_uint_lt(rs.default_resolution_index, rs.resolution_count);
	ck_assert_uint_eq(size, 131 + 4 * rs.resolution_count);
	for (unsigned i = 0; i < rs.resolution_count; i++) {
		memcpy(&r, m + 131 + 4 * i, sizeof(r));
		ck_assert_uint_le((uint64_t)r.width * r.height * 4, SYNTH_VIDEO_VRAM_SIZE);
		hd |= r.width == 1920 && r.height == 1080;
	}
	ck_assert(hd);
	memcpy(&r, m + 131 + 4 * rs.default_resolution_index, sizeof(r));
	ck_assert_uint_eq(r.width, 1024);
	ck_assert_uint_eq(r.height, 768);
	/* The EDID block: header and checksum. */
	ck_assert_mem_eq(rs.edid_block, "\x00\xff\xff\xff\xff\xff\xff\x00", 8);
	for (unsigned i = 0; i < 128; i++)
		sum = (uint8_t)(sum + rs.edid_block[i]);
	ck_assert_uint_eq(sum, 0);
	/* Room for two: two, the default among them. */
	req = 2;
	vid_send(SYNTHVID_RESOLUTION_REQUEST, &req, 1);
	m = vid_msg(SYNTHVID_RESOLUTION_RESPONSE, &size);
	memcpy(&rs, m, sizeof(rs));
	ck_assert_uint_eq(rs.resolution_count, 2);
	ck_assert_uint_lt(rs.default_resolution_index, 2);
	/* Windows' requests. */
	vid_send(SYNTHVID_BIOS_INFO_REQUEST, NULL, 0);
	m = vid_msg(SYNTHVID_BIOS_INFO_RESPONSE, &size);
	ck_assert_uint_eq(size, 16);
	ck_assert_uint_eq(m[0], 1);
	vid_send(SYNTHVID_CAPABILITY_REQUEST, NULL, 0);
	m = vid_msg(SYNTHVID_CAPABILITY_RESPONSE, &size);
	ck_assert_uint_eq(size, 64);
	ck_assert_uint_eq(m[0], 0);
}
END_TEST

START_TEST(vram_location_good)
{
	struct call c;
	struct display_status st;

	version(SYNTHVID_VERSION_WIN10);
	/* hyperv_drm: user_ctx is the GPA, 1 MiB aligned in the window. */
	vram_location(LOW_WINDOW + 0x100000, LOW_WINDOW + 0x100000);
	c = host(C_SLOTS);
	ck_assert_uint_eq(c.nslots, 1);
	ck_assert_uint_eq(slots[0].slot, GMEM_MAX_REGIONS);
	ck_assert_uint_eq(slots[0].gpa, LOW_WINDOW + 0x100000);
	ck_assert_uint_eq(slots[0].size, SYNTH_VIDEO_VRAM_SIZE);
	ck_assert_ptr_eq(slots[0].host, gmem_devmem_host(machine.vram));
	st = status();
	ck_assert(st.vram_mapped);
	ck_assert_uint_eq(st.vram_gpa, LOW_WINDOW + 0x100000);
	ck_assert_uint_eq(st.vram_size, SYNTH_VIDEO_VRAM_SIZE);
	/* VRAM is never RAM to the rest of hvkvm. */
	ck_assert_ptr_null(gmem_ptr(&g.mem, LOW_WINDOW + 0x100000, 1));
	/* The last possible place below 4 GiB, and one in the window above. */
	vram_location(2, LOW_WINDOW_END - SYNTH_VIDEO_VRAM_SIZE);
	vram_location(3, 0x100000000ull);
	ck_assert_uint_eq(status().vram_gpa, 0x100000000ull);
}
END_TEST

START_TEST(vram_location_refused)
{
	uint64_t bad_gpas[] = {
		VG_RAM_START,				/* RAM */
		0,					/* RAM, page 0 */
		LOW_WINDOW - 0x100000,			/* straddles the window's start */
		LOW_WINDOW_END - 0x100000,		/* runs past its end into the I/O APIC */
		0xfee00000ull,				/* the local APIC */
		LOW_WINDOW + 0x800,			/* not page-aligned */
		LOW_WINDOW + 1,
		0xfffffffffffff000ull,			/* wraps */
	};

	version(SYNTHVID_VERSION_WIN10);
	for (unsigned i = 0; i < sizeof(bad_gpas) / sizeof(bad_gpas[0]); i++) {
		vram_location_send(i, 1, bad_gpas[i]);
		nothing();
		ck_assert_msg(!status().vram_mapped, "VRAM mapped at 0x%llx", (unsigned long long)bad_gpas[i]);
	}
	ck_assert_uint_eq(status().bad, sizeof(bad_gpas) / sizeof(bad_gpas[0]));
	ck_assert_uint_eq(host(C_SLOTS).nslots, 0);
	/* A refused move leaves it where it was. */
	vram_location(100, LOW_WINDOW);
	vram_location_send(101, 1, VG_RAM_START);
	nothing();
	ck_assert_uint_eq(status().vram_gpa, LOW_WINDOW);
	/* The VM cannot map it: no acknowledgement, the old place stays. */
	slot_fail = -ENOMEM;
	vram_location_send(102, 1, LOW_WINDOW + 0x2000000);
	nothing();
	ck_assert(status().vram_mapped);
	ck_assert_uint_eq(status().vram_gpa, LOW_WINDOW);
}
END_TEST

START_TEST(vram_location_moved)
{
	struct call c;
	const uint8_t *before;

	drm_connect(640, 480);
	before = host(C_MODE).pixels;
	ck_assert_ptr_nonnull(before);
	/* Moved twice: each time the old slot goes before the new one comes. */
	vram_location(1, LOW_WINDOW + 0x4000000);
	vram_location(2, LOW_WINDOW + 0x8000000);
	c = host(C_SLOTS);
	ck_assert_uint_eq(c.nslots, 5);
	ck_assert_uint_eq(slots[1].size, 0);
	ck_assert_uint_eq(slots[1].gpa, LOW_WINDOW);
	ck_assert_uint_eq(slots[2].gpa, LOW_WINDOW + 0x4000000);
	ck_assert_uint_eq(slots[2].size, SYNTH_VIDEO_VRAM_SIZE);
	ck_assert_uint_eq(slots[3].size, 0);
	ck_assert_uint_eq(slots[3].gpa, LOW_WINDOW + 0x4000000);
	ck_assert_uint_eq(slots[4].gpa, LOW_WINDOW + 0x8000000);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(slots[i].slot, GMEM_MAX_REGIONS);
	/* The same memory, and the same mode on it. */
	c = host(C_MODE);
	ck_assert_ptr_eq(c.pixels, before);
	ck_assert_uint_eq(c.mode.width, 640);
	/* The same place again changes nothing. */
	vram_location(3, LOW_WINDOW + 0x8000000);
	ck_assert_uint_eq(host(C_SLOTS).nslots, 5);
	/* No location: unmapped, the screen off. */
	vram_location_send(4, 0, 0);
	{
		uint32_t size;

		vid_msg(SYNTHVID_VRAM_LOCATION_ACK, &size);
	}
	ck_assert(!status().vram_mapped);
	ck_assert_ptr_null(host(C_MODE).pixels);
	ck_assert_uint_eq(host(C_SLOTS).nslots, 6);
	ck_assert_uint_eq(slots[5].size, 0);
}
END_TEST

START_TEST(situation_modes)
{
	struct call c;

	version(SYNTHVID_VERSION_WIN10);
	vram_location(1, LOW_WINDOW);
	situation(0x55, 1, 1, 32, 1024, 768, 4096);
	c = host(C_MODE);
	ck_assert(c.mode.active);
	ck_assert_uint_eq(c.mode.width, 1024);
	ck_assert_uint_eq(c.mode.height, 768);
	ck_assert_uint_eq(c.mode.pitch, 4096);
	ck_assert_uint_eq(c.mode.depth, 32);
	ck_assert_ptr_eq(c.pixels, gmem_devmem_host(machine.vram));
	/* A front end sees the whole screen change. */
	c = host(C_SLOTS);
	ck_assert_uint_eq(c.nrects, 1);
	ck_assert(rect_mode[0]);
	ck_assert_uint_eq(rects[0].x2, 1024);
	ck_assert_uint_eq(rects[0].y2, 768);
	/* Up to 1920x1080 and beyond, with a pitch wider than a row. */
	situation(2, 1, 1, 32, 1920, 1080, 1920 * 4);
	ck_assert_uint_eq(host(C_MODE).mode.width, 1920);
	situation(3, 1, 1, 32, 2560, 1600, 2560 * 4);
	ck_assert_uint_eq(host(C_MODE).mode.height, 1600);
	situation(4, 1, 1, 32, 800, 600, 4096);
	ck_assert_uint_eq(host(C_MODE).mode.pitch, 4096);
	ck_assert_uint_eq(status().mode_changes, 4);
	/* The same mode again is no change. */
	situation(5, 1, 1, 32, 800, 600, 4096);
	ck_assert_uint_eq(status().mode_changes, 4);
	/* What does not fit or is not 32 bits: the screen goes off, the guest still gets
	 * its acknowledgement. */
	situation(6, 1, 1, 32, 4096, 4096, 16384);
	ck_assert(!host(C_MODE).mode.active);
	situation(7, 1, 1, 32, 800, 600, 4096);
	situation(8, 1, 1, 16, 800, 600, 1600);
	ck_assert(!host(C_MODE).mode.active);
	situation(9, 1, 1, 32, 800, 600, 3199);
	situation(10, 1, 1, 32, 0, 600, 3200);
	situation(11, 1, 1, 32, 800, 0, 3200);
	ck_assert(!host(C_MODE).mode.active);
	ck_assert_uint_eq(status().bad, 5);
	/* Turned off on purpose: no output, or an inactive one. */
	situation(12, 1, 1, 32, 800, 600, 3200);
	ck_assert(host(C_MODE).mode.active);
	situation(13, 0, 0, 0, 0, 0, 0);
	ck_assert(!host(C_MODE).mode.active);
	situation(14, 1, 1, 32, 800, 600, 3200);
	situation(15, 1, 0, 32, 800, 600, 3200);
	ck_assert(!host(C_MODE).mode.active);
	ck_assert_uint_eq(status().bad, 5);
}
END_TEST

START_TEST(dirty_rects)
{
	struct synthvid_rect r[4] = {
		{ 10, 20, 30, 40 },
		{ -5, -5, 5, 5 },		/* clipped */
		{ 600, 400, 9000, 9000 },	/* clipped */
		{ 700, 10, 700, 20 },		/* empty */
	};
	struct call c;

	drm_connect(640, 480);
	ck_assert(host(C_TAKE).ret);	/* the mode change */
	ck_assert(!host(C_TAKE).ret);
	nrects = 0;
	dirt(r, 4);
	ck_assert(WAIT_UNTIL(host(C_SLOTS).nrects == 3, VG_TMO));
	ck_assert(!rect_mode[0]);
	ck_assert(rects[0].x1 == 10 && rects[0].y1 == 20 && rects[0].x2 == 30 && rects[0].y2 == 40);
	ck_assert(rects[1].x1 == 0 && rects[1].y1 == 0 && rects[1].x2 == 5 && rects[1].y2 == 5);
	ck_assert(rects[2].x1 == 600 && rects[2].y1 == 400 && rects[2].x2 == 640 && rects[2].y2 == 480);
	ck_assert_uint_eq(status().updates, 3);
	ck_assert_uint_ne(status().last_update_ns, 0);
	/* A front end that polls gets the bounding box, once. */
	c = host(C_TAKE);
	ck_assert(c.ret);
	ck_assert(c.box.x1 == 0 && c.box.y1 == 0 && c.box.x2 == 640 && c.box.y2 == 480);
	ck_assert(!host(C_TAKE).ret);
	dirt(r, 1);
	ck_assert(WAIT_UNTIL(host(C_SLOTS).nrects == 4, VG_TMO));
	c = host(C_TAKE);
	ck_assert(c.box.x1 == 10 && c.box.y1 == 20 && c.box.x2 == 30 && c.box.y2 == 40);
	/* Corners swapped, another output, more rectangles than bytes. */
	{
		struct synthvid_rect sw = { 30, 40, 10, 20 };
		uint8_t other[18] = { 1, 1 };
		uint8_t many[2 + 16] = { 0, 5 };

		dirt(&sw, 1);
		vid_send(SYNTHVID_DIRT, other, sizeof(other));
		vid_send(SYNTHVID_DIRT, many, sizeof(many));
	}
	ck_assert(WAIT_UNTIL(status().bad == 3, VG_TMO));
	ck_assert_uint_eq(host(C_SLOTS).nrects, 4);
	/* Without a screen nothing is dirty. */
	situation(1, 0, 0, 0, 0, 0, 0);
	host(C_TAKE);
	dirt(r, 1);
	nothing();
	ck_assert(!host(C_TAKE).ret);
}
END_TEST

START_TEST(pointer)
{
	/* hyperv_drm's hyperv_hide_hw_ptr: visible at 0,0 with a 1x1 ARGB shape. */
	struct synthvid_pointer_position pos = { 1, 0, 0, 0 };
	uint8_t shape[18 + 4] = { SYNTHVID_CURSOR_COMPLETE, 1, 1, 0, 0, 0, 1, 0, 0, 0 };
	uint8_t big[18 + 2 * 2 * 4];
	struct synthvid_pointer_shape s;
	struct call c;

	drm_connect(640, 480);
	memcpy(shape + 18, "\x00\x01\x01\x01", 4);
	vid_send(SYNTHVID_POINTER_POSITION, &pos, sizeof(pos));
	vid_send(SYNTHVID_POINTER_SHAPE, shape, sizeof(shape));
	ck_assert(WAIT_UNTIL(host(C_POINTER).ptr.serial == 1, VG_TMO));
	c = host(C_POINTER);
	ck_assert(c.ptr.visible);
	ck_assert_uint_eq(c.ptr.width, 1);
	ck_assert_uint_eq(c.ptr.height, 1);
	ck_assert_mem_eq(c.argb, "\x00\x01\x01\x01", 4);
	pos = (struct synthvid_pointer_position){ 1, 0, 300, 200 };
	vid_send(SYNTHVID_POINTER_POSITION, &pos, sizeof(pos));
	ck_assert(WAIT_UNTIL(host(C_POINTER).ptr.x == 300, VG_TMO));
	ck_assert_int_eq(host(C_POINTER).ptr.y, 200);
	/* A 2x2 ARGB shape in two parts, 0 then the last. */
	s = (struct synthvid_pointer_shape){ 0, 1, 2, 2, 1, 1 };
	memcpy(big, &s, sizeof(s));
	memset(big + 18, 0xab, 8);
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 8);
	s.part_idx = SYNTHVID_CURSOR_COMPLETE;
	memcpy(big, &s, sizeof(s));
	memset(big + 18, 0xcd, 8);
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 8);
	ck_assert(WAIT_UNTIL(host(C_POINTER).ptr.serial == 2, VG_TMO));
	c = host(C_POINTER);
	ck_assert_uint_eq(c.ptr.width, 2);
	ck_assert_uint_eq(c.ptr.hot_x, 1);
	ck_assert_mem_eq(c.argb, "\xab\xab\xab\xab\xab\xab\xab\xab\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd", 16);
	/* A 1x1 monochrome shape: AND 0, XOR 1 is white. */
	s = (struct synthvid_pointer_shape){ SYNTHVID_CURSOR_COMPLETE, 0, 1, 1, 0, 0 };
	memcpy(big, &s, sizeof(s));
	big[18] = 0x00;
	big[19] = 0x80;
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 2);
	ck_assert(WAIT_UNTIL(host(C_POINTER).ptr.serial == 3, VG_TMO));
	ck_assert_mem_eq(host(C_POINTER).argb, "\xff\xff\xff\xff", 4);
	/* Too large, hot spot outside, too short, a part out of order: refused, the
	 * shape stays. */
	s = (struct synthvid_pointer_shape){ SYNTHVID_CURSOR_COMPLETE, 1, 97, 1, 0, 0 };
	memcpy(big, &s, sizeof(s));
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 8);
	s = (struct synthvid_pointer_shape){ SYNTHVID_CURSOR_COMPLETE, 1, 2, 2, 2, 0 };
	memcpy(big, &s, sizeof(s));
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 8);
	s = (struct synthvid_pointer_shape){ SYNTHVID_CURSOR_COMPLETE, 1, 2, 2, 0, 0 };
	memcpy(big, &s, sizeof(s));
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 4);
	s = (struct synthvid_pointer_shape){ 3, 1, 2, 2, 0, 0 };
	memcpy(big, &s, sizeof(s));
	vid_send(SYNTHVID_POINTER_SHAPE, big, 18 + 4);
	vid_send(SYNTHVID_POINTER_POSITION, &pos, 9);
	ck_assert(WAIT_UNTIL(status().bad == 5, VG_TMO));
	ck_assert_uint_eq(host(C_POINTER).ptr.serial, 3);
	ck_assert_uint_eq(host(C_POINTER).ptr.width, 1);
}
END_TEST

/* One packet straight into the handler, descriptor and all. */
static void raw(const void *p, uint32_t len)
{
	struct call c = { .what = C_PACKET, .pkt = p, .len = len };

	vg_call(&g, do_call, &c);
}

static uint32_t raw_msg(uint8_t *buf, uint16_t offset8, uint32_t pipe_type, uint32_t pipe_size, uint32_t type,
			const void *body, uint32_t blen)
{
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = offset8 };
	struct synthvid_pipe_hdr p = { pipe_type, pipe_size };
	struct synthvid_msg_hdr h = { type, 8 + blen };
	uint32_t off = offset8 * 8u;

	memset(buf, 0, 512);
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + off, &p, sizeof(p));
	memcpy(buf + off + 8, &h, sizeof(h));
	if (blen)
		memcpy(buf + off + 16, body, blen);
	d.len8 = (uint16_t)((off + 16 + blen + 7) / 8);
	memcpy(buf, &d, sizeof(d));
	return off + 16 + blen;
}

START_TEST(malformed)
{
	uint8_t buf[512];
	struct synthvid_vram_location loc = { 9, 1, LOW_WINDOW };
	struct synthvid_version_request vr = { SYNTHVID_VERSION_WIN10 };
	uint8_t junk[32];
	uint64_t b0;
	uint32_t n;

	memset(junk, 1, sizeof(junk));
	version(SYNTHVID_VERSION_WIN10);
	b0 = status().bad;
	raw(buf, 0);
	raw(buf, 15);
	/* offset8 before the descriptor's end, past the packet */
	n = raw_msg(buf, 1, 1, 8 + 17, SYNTHVID_VRAM_LOCATION, &loc, 17);
	raw(buf, n);
	n = raw_msg(buf, 30, 1, 8 + 17, SYNTHVID_VRAM_LOCATION, &loc, 17);
	raw(buf, 64);
	/* the pipe size past the packet, under the synthvid header */
	n = raw_msg(buf, 2, 1, 8 + 18, SYNTHVID_VRAM_LOCATION, &loc, 17);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 4, SYNTHVID_VRAM_LOCATION, &loc, 17);
	raw(buf, n);
	/* headers cut short */
	n = raw_msg(buf, 2, 1, 8 + 17, SYNTHVID_VRAM_LOCATION, &loc, 17);
	raw(buf, 16 + 12);
	/* each message one byte short of its fields */
	n = raw_msg(buf, 2, 1, 8 + 16, SYNTHVID_VRAM_LOCATION, &loc, 16);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8 + 3, SYNTHVID_VERSION_REQUEST, &vr, 3);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8 + 26, SYNTHVID_SITUATION_UPDATE, junk, 26);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8 + 9, SYNTHVID_POINTER_POSITION, junk, 9);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8 + 17, SYNTHVID_POINTER_SHAPE, junk, 17);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8 + 1, SYNTHVID_DIRT, junk, 1);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8, SYNTHVID_RESOLUTION_REQUEST, NULL, 0);
	raw(buf, n);
	/* unknown types, including the host's own */
	n = raw_msg(buf, 2, 1, 8, SYNTHVID_VRAM_LOCATION_ACK, NULL, 0);
	raw(buf, n);
	n = raw_msg(buf, 2, 1, 8, 200, NULL, 0);
	raw(buf, n);
	ck_assert_uint_eq(status().bad - b0, 16);
	ck_assert(!status().vram_mapped);
	/* Ignored without complaint: other pipe messages, other packet types. */
	n = raw_msg(buf, 2, 2, 8 + 17, SYNTHVID_VRAM_LOCATION, &loc, 17);
	raw(buf, n);
	((struct vmbus_packet_desc *)buf)->type = VM_PKT_COMP;
	raw(buf, n);
	ck_assert_uint_eq(status().bad - b0, 16);
	ck_assert(!status().vram_mapped);
	nothing();
	/* Trailing bytes (a packet padded to 8) are fine; the synthvid size is not read. */
	n = raw_msg(buf, 2, 1, 8 + 17, SYNTHVID_VRAM_LOCATION, &loc, 17);
	((struct synthvid_msg_hdr *)(buf + 24))->size = 0xffffffff;
	raw(buf, n + 7);
	ck_assert(status().vram_mapped);
	/* A packet larger than any message closes the channel. */
	{
		static uint8_t huge[SYNTH_VIDEO_MAX_PACKET + 64];

		memset(huge, 0, sizeof(huge));
		ck_assert_int_eq(vg_send(&ch, VM_PKT_DATA_INBAND, 0, 0, huge, sizeof(huge)), 0);
		ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	}
	/* Closed by the host like any close: the frame buffer stays. */
	ck_assert(status().vram_mapped);
	ck_assert(!status().connected);
}
END_TEST

static void reopen(uint32_t relid)
{
	memset(&ch, 0, sizeof(ch));
	ck_assert_uint_eq(vg_open(&g, &ch, &offer, relid, VID_GPA, RING_PAGES, RING_PAGES, 0), 0);
	ck_assert(WAIT_UNTIL(status().open, VG_TMO));
}

static unsigned mapped_slots(void)
{
	unsigned n = host(C_SLOTS).nslots, live = 0;

	/* Each map adds a slot of the VRAM's size, each unmap one of size 0. */
	for (unsigned i = 0; i < n; i++)
		live = slots[i].size ? live + 1 : live - 1;
	return live;
}

/* The channel closes (the firmware's driver unloads at ExitBootServices): the VRAM
 * stays mapped where it was and the screen keeps its mode and pixels, as the frame
 * buffer an OS loader draws into. */
START_TEST(close_keeps_mapping)
{
	struct display_status st;
	struct call c;
	unsigned n0;

	drm_connect(800, 600);
	n0 = host(C_SLOTS).nslots;
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	st = status();
	ck_assert(st.vram_mapped);
	ck_assert_uint_eq(st.vram_gpa, LOW_WINDOW);
	ck_assert(!st.connected);
	c = host(C_MODE);
	ck_assert_ptr_nonnull(c.pixels);
	ck_assert(c.mode.active);
	ck_assert_uint_eq(c.mode.width, 800);
	ck_assert_uint_eq(c.mode.height, 600);
	/* No slot went or came. */
	ck_assert_uint_eq(host(C_SLOTS).nslots, n0);
	ck_assert_uint_eq(mapped_slots(), 1);
	/* Opened and closed again without a word: still there, still one mapping. */
	reopen(0x101);
	ck_assert(status().vram_mapped);
	ck_assert_ptr_nonnull(host(C_MODE).pixels);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	ck_assert(status().vram_mapped);
	ck_assert_uint_eq(host(C_SLOTS).nslots, n0);
	/* A new driver starts over on the same memory. */
	reopen(0x102);
	drm_connect(1024, 768);
	ck_assert_uint_eq(host(C_MODE).mode.width, 1024);
	ck_assert_uint_eq(host(C_SLOTS).nslots, n0);
	ck_assert_uint_eq(mapped_slots(), 1);
}
END_TEST

/* What a driver that came after the firmware's does: its own VRAM location, after a
 * version; before a version its messages change nothing. */
START_TEST(relocate_after_reopen)
{
	struct call c;
	uint64_t gpa;
	unsigned n0;

	drm_connect(640, 480);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	reopen(0x101);
	n0 = host(C_SLOTS).nslots;
	/* No version yet: refused, the old place stays. */
	vram_location_send(1, 1, LOW_WINDOW + 0x4000000);
	nothing();
	ck_assert_uint_eq(status().vram_gpa, LOW_WINDOW);
	ck_assert_uint_eq(host(C_SLOTS).nslots, n0);
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WIN10), SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE);
	/* Outside the windows: refused, still where it was. */
	vram_location_send(2, 1, 0x1000);
	nothing();
	ck_assert(status().vram_mapped);
	ck_assert_uint_eq(status().vram_gpa, LOW_WINDOW);
	/* Moved: the old slot goes, the new comes, one mapping. */
	vram_location(3, LOW_WINDOW + 0x4000000);
	c = host(C_SLOTS);
	ck_assert_uint_eq(c.nslots, n0 + 2);
	ck_assert_uint_eq(slots[n0].gpa, LOW_WINDOW);
	ck_assert_uint_eq(slots[n0].size, 0);
	ck_assert_uint_eq(slots[n0 + 1].gpa, LOW_WINDOW + 0x4000000);
	ck_assert_uint_eq(slots[n0 + 1].size, SYNTH_VIDEO_VRAM_SIZE);
	ck_assert(gmem_devmem_gpa(machine.vram, &gpa));
	ck_assert_uint_eq(gpa, LOW_WINDOW + 0x4000000);
	ck_assert_uint_eq(mapped_slots(), 1);
	/* The same place as the firmware's again (hyperv_drm may take it back). */
	vram_location(4, LOW_WINDOW);
	ck_assert_uint_eq(status().vram_gpa, LOW_WINDOW);
	ck_assert_uint_eq(mapped_slots(), 1);
	situation(5, 1, 1, 32, 1024, 768, 4096);
	ck_assert_uint_eq(host(C_MODE).mode.width, 1024);
}
END_TEST

/* A reset takes the frame buffer away, whether a driver is there or not. */
START_TEST(reset_unmaps)
{
	struct call c;

	drm_connect(800, 600);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	ck_assert(status().vram_mapped);
	nrects = 0;
	host(C_RESET);
	ck_assert(!status().vram_mapped);
	c = host(C_MODE);
	ck_assert_ptr_null(c.pixels);
	ck_assert(!c.mode.active);
	c = host(C_SLOTS);
	ck_assert_uint_eq(slots[c.nslots - 1].size, 0);
	ck_assert_uint_eq(mapped_slots(), 0);
	/* The front end heard of the screen going off. */
	ck_assert_uint_ge(c.nrects, 1);
	ck_assert(rect_mode[c.nrects - 1]);
	/* Twice is harmless; and with the channel open and a driver connected too. */
	host(C_RESET);
	ck_assert_uint_eq(host(C_SLOTS).nslots, c.nslots);
	reopen(0x101);
	drm_connect(640, 480);
	ck_assert_uint_eq(mapped_slots(), 1);
	host(C_RESET);
	ck_assert(!status().vram_mapped);
	ck_assert(!status().connected);
	ck_assert_uint_eq(mapped_slots(), 0);
}
END_TEST

static bool saw_rows(uint32_t y1, uint32_t y2, uint32_t w)
{
	unsigned n = host(C_SLOTS).nrects;

	for (unsigned i = 0; i < n; i++)
		if (!rect_mode[i] && rects[i].x1 == 0 && rects[i].x2 == w && rects[i].y1 <= y1 && rects[i].y2 >= y2)
			return true;
	return false;
}

/* Nobody sends DIRT once the driver is gone: what is drawn into the frame buffer is
 * found by comparing, reported as the rows that changed. */
START_TEST(undriven_scan)
{
	uint8_t *vram = gmem_devmem_host(machine.vram);
	uint64_t u0;
	unsigned n;

	drm_connect(640, 480);
	/* Driven: drawing without DIRT is not looked for. */
	nrects = 0;
	memset(vram + 10 * 640 * 4, 0x55, 640 * 4);
	usleep(300000);
	ck_assert_uint_eq(host(C_SLOTS).nrects, 0);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	/* The first look reports everything (what was drawn since the last DIRT). */
	ck_assert(WAIT_UNTIL(saw_rows(0, 480, 640), VG_TMO));
	u0 = status().updates;
	nrects = 0;
	/* efifb draws rows 100 to 119. */
	memset(vram + 100 * 640 * 4, 0xaa, 20 * 640 * 4);
	ck_assert(WAIT_UNTIL(saw_rows(100, 120, 640), VG_TMO));
	n = host(C_SLOTS).nrects;
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(rects[i].y1 >= 100 && rects[i].y2 <= 120, "rows %u-%u", rects[i].y1, rects[i].y2);
	ck_assert_uint_gt(status().updates, u0);
	/* Nothing drawn: nothing reported. */
	usleep(300000);
	ck_assert_uint_eq(host(C_SLOTS).nrects, n);
	/* Nobody looking (a VNC server without viewers): nothing compared or reported. */
	__atomic_store_n(&looking, false, __ATOMIC_RELEASE);
	host(C_LOOKING);
	nrects = 0;
	u0 = status().updates;
	memset(vram + 150 * 640 * 4, 0x33, 640 * 4);
	usleep(300000);
	ck_assert_uint_eq(host(C_SLOTS).nrects, 0);
	ck_assert_uint_eq(status().updates, u0);
	/* Someone looks again: the first look is the whole picture. */
	__atomic_store_n(&looking, true, __ATOMIC_RELEASE);
	ck_assert(WAIT_UNTIL(saw_rows(0, 480, 640), VG_TMO));
	/* A driver connects: it reports again, the comparing stops. */
	reopen(0x101);
	drm_connect(640, 480);
	nrects = 0;
	memset(vram + 200 * 640 * 4, 0x11, 640 * 4);
	usleep(300000);
	for (unsigned i = 0, m = host(C_SLOTS).nrects; i < m; i++)
		ck_assert(rect_mode[i]);
	/* No front end: no comparing either. */
	host(C_UNLISTEN);
	vg_close(&g, &ch);
	ck_assert(WAIT_UNTIL(!status().open, VG_TMO));
	u0 = status().updates;
	memset(vram + 300 * 640 * 4, 0x22, 640 * 4);
	usleep(300000);
	ck_assert_uint_eq(status().updates, u0);
	ck_assert_uint_eq(host(C_SLOTS).nrects, 0);
}
END_TEST

/* ---- the screen.* methods --------------------------------------------------------------------- */

static const char b64tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint8_t *unbase64(const char *s, size_t *n)
{
	size_t len = strlen(s);
	uint8_t *o = malloc(len / 4 * 3 + 3);

	ck_assert_uint_eq(len % 4, 0);
	*n = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		unsigned pad = 0;

		for (unsigned k = 0; k < 4; k++) {
			const char *p = strchr(b64tab, s[i + k]);

			if (s[i + k] == '=') {
				pad++;
				v <<= 6;
				continue;
			}
			ck_assert_ptr_nonnull(p);
			v = v << 6 | (uint32_t)(p - b64tab);
		}
		o[(*n)++] = (uint8_t)(v >> 16);
		if (pad < 2)
			o[(*n)++] = (uint8_t)(v >> 8);
		if (pad < 1)
			o[(*n)++] = (uint8_t)v;
	}
	return o;
}

/* A pattern no two neighbours share, in XRGB8888 with junk in X. */
static void pattern(uint8_t *vram, uint32_t w, uint32_t h, uint32_t pitch)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t *p = vram + (size_t)y * pitch + x * 4;

			p[0] = (uint8_t)(x * 3);		/* B */
			p[1] = (uint8_t)(y * 5);		/* G */
			p[2] = (uint8_t)(x ^ y);		/* R */
			p[3] = (uint8_t)(x + y);		/* X */
		}
}

static void check_png(png_image *img, const uint8_t *vram, uint32_t w, uint32_t h, uint32_t pitch)
{
	uint8_t *rgb;

	ck_assert_uint_eq(img->width, w);
	ck_assert_uint_eq(img->height, h);
	/* Opaque: no alpha channel in the file. */
	ck_assert_uint_eq(img->format & PNG_FORMAT_FLAG_ALPHA, 0);
	img->format = PNG_FORMAT_RGB;
	rgb = malloc((size_t)w * h * 3);
	ck_assert(png_image_finish_read(img, NULL, rgb, 0, NULL));
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *s = vram + (size_t)y * pitch + x * 4, *d = rgb + ((size_t)y * w + x) * 3;

			ck_assert_msg(d[0] == s[2] && d[1] == s[1] && d[2] == s[0], "pixel %u,%u", x, y);
		}
	free(rgb);
}

START_TEST(screenshot_method)
{
	const uint32_t w = 100, h = 60, pitch = 512;
	struct json_object *r, *res;
	char file[160], params[256];
	png_image img;
	uint8_t *png;
	size_t n;

	json_object_put(rpc_err(t, "screen.screenshot", NULL, MGMT_ERR_NO_DEVICE));
	ck_assert_uint_eq(version(SYNTHVID_VERSION_WIN10), SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE);
	vram_location(1, LOW_WINDOW);
	json_object_put(rpc_err(t, "screen.screenshot", NULL, MGMT_ERR_NO_DEVICE));
	situation(0, 1, 1, 32, w, h, pitch);
	pattern(gmem_devmem_host(machine.vram), w, h, pitch);

	/* In the reply. */
	r = rpc_ok(t, "screen.screenshot", NULL);
	res = get(r, "result");
	ck_assert_int_eq(json_object_get_int(get(res, "width")), (int)w);
	ck_assert_int_eq(json_object_get_int(get(res, "height")), (int)h);
	ck_assert_str_eq(get_str(res, "format"), "png");
	png = unbase64(get_str(res, "data"), &n);
	ck_assert_int_eq(json_object_get_int(get(res, "bytes")), (int)n);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_memory(&img, png, n), "%s", img.message);
	check_png(&img, gmem_devmem_host(machine.vram), w, h, pitch);
	free(png);
	json_object_put(r);

	/* To a file. */
	snprintf(file, sizeof(file), "%s/shot.png", dir);
	snprintf(params, sizeof(params), "{\"path\":\"%s\"}", file);
	r = rpc_ok(t, "screen.screenshot", params);
	ck_assert_str_eq(get_str(get(r, "result"), "path"), file);
	ck_assert(!has(get(r, "result"), "data"));
	json_object_put(r);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_file(&img, file), "%s", img.message);
	check_png(&img, gmem_devmem_host(machine.vram), w, h, pitch);
	unlink(file);

	/* Refused: relative paths, a directory that is not there, unknown parameters. */
	json_object_put(rpc_err(t, "screen.screenshot", "{\"path\":\"shot.png\"}", JSONRPC_INVALID_PARAMS));
	json_object_put(rpc_err(t, "screen.screenshot", "{\"path\":\"/nonexistent/dir/shot.png\"}", MGMT_ERR_FAILED));
	json_object_put(rpc_err(t, "screen.screenshot", "{\"file\":\"/tmp/x\"}", JSONRPC_INVALID_PARAMS));

	/* 640x480 of noise is more than a reply carries: a path is needed. */
	situation(1, 1, 1, 32, 640, 480, 640 * 4);
	{
		uint32_t x = 2463534242u, *px = (uint32_t *)gmem_devmem_host(machine.vram);

		for (size_t i = 0; i < 640 * 480; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			px[i] = x;
		}
	}
	json_object_put(rpc_err(t, "screen.screenshot", NULL, MGMT_ERR_LIMIT));
	r = rpc_ok(t, "screen.screenshot", params);
	json_object_put(r);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	ck_assert_msg(png_image_begin_read_from_file(&img, file), "%s", img.message);
	check_png(&img, gmem_devmem_host(machine.vram), 640, 480, 640 * 4);
	unlink(file);
}
END_TEST

static void list_devices(void *opaque)
{
	mgmt_screen_devices(&machine, opaque);
}

START_TEST(info_method)
{
	struct json_object *r, *res, *mode;
	struct synthvid_rect rc = { 0, 0, 8, 8 };

	r = rpc_ok(t, "screen.info", NULL);
	res = get(r, "result");
	ck_assert(json_object_get_boolean(get(res, "open")));
	ck_assert(!json_object_get_boolean(get(res, "connected")));
	ck_assert(json_object_is_type(get(res, "mode"), json_type_null));
	ck_assert(json_object_is_type(get(res, "vram_gpa"), json_type_null));
	ck_assert(json_object_is_type(get(res, "last_update_age"), json_type_null));
	ck_assert_int_eq(json_object_get_int64(get(res, "vram_size")), (int64_t)SYNTH_VIDEO_VRAM_SIZE);
	json_object_put(r);
	drm_connect(1280, 720);
	dirt(&rc, 1);
	ck_assert(WAIT_UNTIL(status().updates == 1, VG_TMO));
	r = rpc_ok(t, "screen.info", NULL);
	res = get(r, "result");
	ck_assert(json_object_get_boolean(get(res, "connected")));
	ck_assert_str_eq(get_str(res, "version"), "3.5");
	ck_assert_str_eq(get_str(res, "vram_gpa"), "0xc0000000");
	mode = get(res, "mode");
	ck_assert_int_eq(json_object_get_int(get(mode, "width")), 1280);
	ck_assert_int_eq(json_object_get_int(get(mode, "height")), 720);
	ck_assert_int_eq(json_object_get_int(get(mode, "pitch")), 1280 * 4);
	ck_assert_int_eq(json_object_get_int(get(mode, "depth")), 32);
	ck_assert_int_eq(json_object_get_int(get(res, "updates")), 1);
	ck_assert_int_eq(json_object_get_int(get(res, "mode_changes")), 1);
	ck_assert(json_object_get_double(get(res, "last_update_age")) >= 0);
	ck_assert(json_object_get_double(get(res, "last_update_age")) < 60);
	ck_assert_int_eq(json_object_get_int(get(res, "malformed")), 0);
	json_object_put(r);
	json_object_put(rpc_err(t, "screen.info", "{\"x\":1}", JSONRPC_INVALID_PARAMS));
	/* vm.info's entry */
	{
		struct json_object *devs = json_object_new_array(), *d;

		vg_call(&g, list_devices, devs);
		ck_assert_uint_eq(json_object_array_length(devs), 1);
		d = json_object_array_get_idx(devs, 0);
		ck_assert_str_eq(get_str(d, "kind"), "video");
		ck_assert_str_eq(get_str(d, "class_id"), SYNTHVID_CLASS_ID);
		ck_assert(json_object_get_boolean(get(d, "connected")));
		ck_assert_int_eq(json_object_get_int(get(d, "width")), 1280);
		ck_assert_int_eq(json_object_get_int(get(d, "height")), 720);
		json_object_put(devs);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("synth_video");
	TCase *tc = tcase_create("device");
	TCase *old = tcase_create("old_vmbus");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, video_offer);
	tcase_add_test(tc, version_35);
	tcase_add_test(tc, version_refused);
	tcase_add_test(tc, resolutions);
	tcase_add_test(tc, vram_location_good);
	tcase_add_test(tc, vram_location_refused);
	tcase_add_test(tc, vram_location_moved);
	tcase_add_test(tc, situation_modes);
	tcase_add_test(tc, dirty_rects);
	tcase_add_test(tc, pointer);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, close_keeps_mapping);
	tcase_add_test(tc, relocate_after_reopen);
	tcase_add_test(tc, reset_unmaps);
	tcase_add_test(tc, undriven_scan);
	tcase_add_test(tc, screenshot_method);
	tcase_add_test(tc, info_method);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(old, setup_old, teardown);
	tcase_add_test(old, version_32_old_vmbus);
	suite_add_tcase(s, old);
	return s;
}

int main(void)
{
	return test_main(suite());
}
