/* SPDX-License-Identifier: MIT */
/*
 * The UEFI driver's screen and keyboard clients as they run in the firmware,
 * natively: synthvidc and synthkbdc over the real VMBus client (firmware/vmbusc.c),
 * whose struct vmbusc_host is the simulated guest (HvPostMessage and HvSignalEvent
 * from VP 0, SINT 2's SIM slot of VP 0, pages of guest RAM), against hvkvm's VMBus
 * server with its synthetic video and keyboard devices. What the client sets, hvkvm's
 * device shows to its front ends (mode, pixels, dirty rectangles); what hvkvm's front
 * ends type arrives as scan codes.
 */
#include "synthc_fixture.h"
#include "synthkbdc.h"
#include "synthvidc.h"

/* ---- video ---------------------------------------------------------------------------------- */

/* Version, VRAM, a mode, the pointer hidden, pixels and their dirt: hvkvm shows them. */
START_TEST(video_life)
{
	struct synthvidc v;
	struct synthvid_rect r[2] = { { 10, 20, 30, 40 }, { 100, 100, 101, 101 } };
	struct call c;
	uint8_t *fb = gmem_devmem_host(vram);

	ck_assert_int_eq(synthvidc_open(&v, &bus, find(SYNTHVID_CLASS_ID), TMO), 0);
	ck_assert_uint_eq(v.version, SYNTHVID_VERSION_WIN10);
	ck_assert_uint_eq(v.max_outputs, 1);
	c = hv(C_VSTATUS);
	ck_assert(c.st.connected);
	ck_assert_uint_eq(c.st.version, SYNTHVID_VERSION_WIN10);
	/* Dirt before a mode: refused here, nothing sent. */
	ck_assert_int_eq(synthvidc_dirt(&v, NULL, 0), VMBUSC_EINVAL);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 1023 * 4, TMO), VMBUSC_EINVAL);

	ck_assert_int_eq(synthvidc_set_vram(&v, LOW_WINDOW + 0x100000, TMO), 0);
	c = hv(C_VSTATUS);
	ck_assert(c.st.vram_mapped);
	ck_assert_uint_eq(c.st.vram_gpa, LOW_WINDOW + 0x100000);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), 0);
	c = hv(C_MODE);
	ck_assert(c.mode.active);
	ck_assert_uint_eq(c.mode.width, 1024);
	ck_assert_uint_eq(c.mode.height, 768);
	ck_assert_uint_eq(c.mode.pitch, 4096);
	ck_assert_uint_eq(c.mode.depth, 32);
	ck_assert_ptr_eq(c.pixels, fb);
	ck_assert(hv(C_TAKE).ret);	/* the mode change */
	ck_assert(!hv(C_TAKE).ret);
	/* FEATURE_CHANGE after the VRAM location: dirt is wanted. */
	ck_assert_int_eq(synthvidc_poll(&v), 0);
	ck_assert(v.dirt_needed);
	ck_assert_uint_ge(v.features, 1);

	ck_assert_int_eq(synthvidc_hide_pointer(&v), 0);
	ck_assert(WAIT_UNTIL(hv(C_POINTER).ptr.argb != NULL, 5000));
	c = hv(C_POINTER);
	ck_assert_uint_eq(c.ptr.width, 1);
	ck_assert_uint_eq(c.ptr.height, 1);

	/* A pixel the guest writes is the pixel hvkvm shows. */
	memcpy(fb + 25 * 4096 + 15 * 4, "\x11\x22\x33\x00", 4);
	nrects = 0;
	ck_assert_int_eq(synthvidc_dirt(&v, r, 2), 0);
	ck_assert(WAIT_UNTIL(hv(C_NRECTS).nrects == 2, 5000));
	ck_assert(!rect_mode[0] && !rect_mode[1]);
	ck_assert(rects[0].x1 == 10 && rects[0].y1 == 20 && rects[0].x2 == 30 && rects[0].y2 == 40);
	ck_assert(rects[1].x1 == 100 && rects[1].y1 == 100 && rects[1].x2 == 101 && rects[1].y2 == 101);
	c = hv(C_TAKE);
	ck_assert(c.ret);
	ck_assert(c.box.x1 == 10 && c.box.y1 == 20 && c.box.x2 == 101 && c.box.y2 == 101);
	c = hv(C_MODE);
	ck_assert_mem_eq(c.pixels + 25 * 4096 + 15 * 4, "\x11\x22\x33\x00", 4);
	/* Full screen. */
	ck_assert_int_eq(synthvidc_dirt(&v, NULL, 0), 0);
	ck_assert(WAIT_UNTIL(hv(C_NRECTS).nrects == 3, 5000));
	ck_assert(rects[2].x1 == 0 && rects[2].y1 == 0 && rects[2].x2 == 1024 && rects[2].y2 == 768);
	ck_assert_int_eq(synthvidc_dirt(&v, r, SYNTHVIDC_MAX_RECTS + 1), VMBUSC_EINVAL);

	/* The other mode, pitch equal to a row. */
	ck_assert_int_eq(synthvidc_set_mode(&v, 1920, 1080, 1920 * 4, TMO), 0);
	c = hv(C_MODE);
	ck_assert_uint_eq(c.mode.width, 1920);
	ck_assert_uint_eq(c.mode.height, 1080);
	ck_assert_uint_eq(c.st.bad, 0);
	ck_assert_uint_eq(hv(C_VSTATUS).st.bad, 0);
	ck_assert(!v.broken);
	synthvidc_close(&v, TMO);
	ck_assert(!hv(C_VSTATUS).st.open);
	ck_assert_uint_eq(env.freed, env.allocated);
}
END_TEST

/* A place hvkvm refuses (RAM) gets no acknowledgement: a timeout, the client broken. */
START_TEST(video_vram_refused)
{
	struct synthvidc v;

	ck_assert_int_eq(synthvidc_open(&v, &bus, find(SYNTHVID_CLASS_ID), TMO), 0);
	ck_assert_int_eq(synthvidc_set_vram(&v, VG_RAM_START, 200000), VMBUSC_ETIMEDOUT);
	ck_assert(v.broken);
	ck_assert(!hv(C_VSTATUS).st.vram_mapped);
	ck_assert_uint_ge(hv(C_VSTATUS).st.bad, 1);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), VMBUSC_EIO);
	ck_assert_int_eq(synthvidc_set_vram(&v, LOW_WINDOW, TMO), VMBUSC_EIO);
	synthvidc_close(&v, TMO);
}
END_TEST

/* Above 4 GiB in the high window works too; the client can be opened again. */
START_TEST(video_reopen)
{
	struct synthvidc v;

	ck_assert_int_eq(synthvidc_open(&v, &bus, find(SYNTHVID_CLASS_ID), TMO), 0);
	ck_assert_int_eq(synthvidc_set_vram(&v, LOW_WINDOW, TMO), 0);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), 0);
	synthvidc_close(&v, TMO);
	ck_assert(!hv(C_VSTATUS).st.open);
	ck_assert_int_eq(synthvidc_open(&v, &bus, find(SYNTHVID_CLASS_ID), TMO), 0);
	ck_assert_int_eq(synthvidc_set_vram(&v, LOW_WINDOW + 0x1000000, TMO), 0);
	ck_assert_uint_eq(hv(C_VSTATUS).st.vram_gpa, LOW_WINDOW + 0x1000000);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), 0);
	ck_assert(hv(C_MODE).mode.active);
	synthvidc_close(&v, TMO);
	ck_assert_uint_eq(env.freed, env.allocated);
}
END_TEST

/* ---- keyboard ------------------------------------------------------------------------------- */

static void expect_key(struct synthkbdc *k, uint16_t code, uint8_t prefix, bool down)
{
	struct synthkbdc_key e;

	ck_assert(WAIT_UNTIL((synthkbdc_poll(k), k->count > 0), 5000));
	ck_assert(synthkbdc_next(k, &e));
	ck_assert_msg(e.code == code && e.prefix == prefix && e.down == down && !e.unicode,
		      "got %02x prefix %02x down %d unicode %d, expected %02x %02x %d", e.code, e.prefix, e.down,
		      e.unicode, code, prefix, down);
}

START_TEST(kbd_life)
{
	struct synthkbdc k;
	struct synthkbdc_key e;

	/* Before a driver connects, hvkvm has nowhere to send keys. */
	ck_assert_int_eq(key(0x1e, true), -ENODEV);
	ck_assert_int_eq(synthkbdc_open(&k, &bus, find(SYNTHKBD_CLASS_ID), TMO), 0);
	ck_assert(hv(C_KSTATUS).kst.connected);
	ck_assert(!synthkbdc_next(&k, &e));
	/* 'a' pressed and released, Up (E0 48), Pause's E1 1D, Enter. */
	ck_assert_int_eq(key(0x1e, true), 0);
	ck_assert_int_eq(key(0x1e, false), 0);
	ck_assert_int_eq(key(0xe048, true), 0);
	ck_assert_int_eq(key(0xe048, false), 0);
	ck_assert_int_eq(key(0xe11d, true), 0);
	ck_assert_int_eq(key(0x1c, true), 0);
	expect_key(&k, 0x1e, 0, true);
	expect_key(&k, 0x1e, 0, false);
	expect_key(&k, 0x48, 0xe0, true);
	expect_key(&k, 0x48, 0xe0, false);
	expect_key(&k, 0x1d, 0xe1, true);
	expect_key(&k, 0x1c, 0, true);
	ck_assert(!synthkbdc_next(&k, &e));
	ck_assert_uint_eq(k.events, 6);
	ck_assert_uint_eq(k.bad, 0);
	/* The lights. */
	ck_assert_int_eq(synthkbdc_set_leds(&k, SYNTH_KBD_LED_CAPS_LOCK | SYNTH_KBD_LED_NUM_LOCK), 0);
	ck_assert(WAIT_UNTIL(hv(C_KSTATUS).kst.leds == (SYNTH_KBD_LED_CAPS_LOCK | SYNTH_KBD_LED_NUM_LOCK), 5000));
	ck_assert_uint_eq(hv(C_KSTATUS).kst.bad, 0);
	synthkbdc_close(&k, TMO);
	ck_assert(!hv(C_KSTATUS).kst.open);
	ck_assert_uint_eq(env.freed, env.allocated);
}
END_TEST

/* More keys than the queue holds: the first SYNTHKBDC_QUEUE stay, in order. */
START_TEST(kbd_queue_full)
{
	struct synthkbdc k;
	struct synthkbdc_key e;
	unsigned n = SYNTHKBDC_QUEUE + 10;

	ck_assert_int_eq(synthkbdc_open(&k, &bus, find(SYNTHKBD_CLASS_ID), TMO), 0);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(key((uint16_t)(0x02 + i % 10), i % 2 == 0), 0);
	ck_assert(WAIT_UNTIL(hv(C_KSTATUS).kst.events == n, 5000));
	ck_assert(WAIT_UNTIL((synthkbdc_poll(&k), k.events + k.dropped == n), 5000));
	ck_assert_uint_eq(k.events, SYNTHKBDC_QUEUE);
	ck_assert_uint_eq(k.dropped, 10);
	for (unsigned i = 0; i < SYNTHKBDC_QUEUE; i++) {
		ck_assert(synthkbdc_next(&k, &e));
		ck_assert_uint_eq(e.code, 0x02 + i % 10);
		ck_assert_int_eq(e.down, i % 2 == 0);
	}
	ck_assert(!synthkbdc_next(&k, &e));
	synthkbdc_close(&k, TMO);
}
END_TEST

/* Screen and keyboard at once, then UNLOAD with both open (as at ExitBootServices). */
START_TEST(both_then_unload)
{
	struct synthvidc v;
	struct synthkbdc k;

	ck_assert_int_eq(synthvidc_open(&v, &bus, find(SYNTHVID_CLASS_ID), TMO), 0);
	ck_assert_int_eq(synthkbdc_open(&k, &bus, find(SYNTHKBD_CLASS_ID), TMO), 0);
	ck_assert_int_eq(synthvidc_set_vram(&v, LOW_WINDOW, TMO), 0);
	ck_assert_int_eq(synthvidc_set_mode(&v, 1024, 768, 4096, TMO), 0);
	ck_assert_int_eq(key(0x01, true), 0);
	expect_key(&k, 0x01, 0, true);
	ck_assert_int_eq(synthvidc_dirt(&v, NULL, 0), 0);
	ck_assert_int_eq(vmbusc_unload(&bus, TMO), 0);
	ck_assert(!hv(C_VSTATUS).st.open);
	ck_assert(!hv(C_KSTATUS).kst.open);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("synthc_vmbusc");
	TCase *tc = tcase_create("video");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, video_life);
	tcase_add_test(tc, video_vram_refused);
	tcase_add_test(tc, video_reopen);
	suite_add_tcase(s, tc);
	tc = tcase_create("keyboard");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kbd_life);
	tcase_add_test(tc, kbd_queue_full);
	tcase_add_test(tc, both_then_unload);
	suite_add_tcase(s, tc);
	return test_main(s);
}
