/* SPDX-License-Identifier: MIT */
/*
 * firmware/gop.c and firmware/textin.c, the UEFI driver's screen and keyboard glue,
 * against gnu-efi's headers with test-only boot services (efi_test_fake.c: protocols,
 * events, TPL), over synthvidc, synthkbdc and the real VMBus client on the simulated
 * guest, against hvkvm's synthetic video and keyboard devices (synthc_fixture.h).
 * What Blt draws is what hvkvm's device shows, and it learns of it through DIRT;
 * what hvkvm's front ends type is what ReadKeyStroke(Ex) returns.
 */
#include "efi_test_fake.h"
#include "gop.h"
#include "textin.h"

#include <eficonex.h>

#include "synthc_fixture.h"
#include "synthvid_proto.h"

static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static EFI_GUID in_guid = EFI_SIMPLE_TEXT_INPUT_PROTOCOL_GUID;
static EFI_GUID inex_guid = EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL_GUID;
static char controller_handle;
#define CONTROLLER	((EFI_HANDLE)&controller_handle)

static void efi_setup(void)
{
	setup();
	fake_efi_reset();
}

/* ---- GOP ------------------------------------------------------------------------------------------ */

static struct gop *gp_;
static EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;

static void gop_up(void)
{
	ck_assert_uint_eq(gop_start(CONTROLLER, &bus, find(SYNTHVID_CLASS_ID), LOW_WINDOW, gmem_devmem_host(vram),
				    SYNTH_VIDEO_VRAM_SIZE, &gp_), EFI_SUCCESS);
	gop = fake_find(CONTROLLER, &gop_guid);
	ck_assert_ptr_nonnull(gop);
}

static uint32_t px(uint32_t x, uint32_t y)
{
	struct call c = hv(C_MODE);
	uint32_t v;

	ck_assert_ptr_nonnull(c.pixels);
	ck_assert_uint_lt(x, c.mode.width);
	ck_assert_uint_lt(y, c.mode.height);
	memcpy(&v, c.pixels + (size_t)y * c.mode.pitch + x * 4, 4);
	return v;
}

/* The last rectangle hvkvm's front end saw, once it has seen n. */
static struct display_rect rect_after(unsigned n)
{
	ck_assert_msg(WAIT_UNTIL(hv(C_NRECTS).nrects >= n, 5000), "%u rectangles, expected %u", hv(C_NRECTS).nrects, n);
	return rects[n - 1];
}

/* The rectangles seen from index from on bound exactly x1, y1, x2, y2. */
static bool covered(unsigned from, uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2)
{
	unsigned n = hv(C_NRECTS).nrects;
	struct display_rect b = { UINT32_MAX, UINT32_MAX, 0, 0 };

	for (unsigned i = from; i < n; i++) {
		b.x1 = rects[i].x1 < b.x1 ? rects[i].x1 : b.x1;
		b.y1 = rects[i].y1 < b.y1 ? rects[i].y1 : b.y1;
		b.x2 = rects[i].x2 > b.x2 ? rects[i].x2 : b.x2;
		b.y2 = rects[i].y2 > b.y2 ? rects[i].y2 : b.y2;
	}
	return n > from && b.x1 == x1 && b.y1 == y1 && b.x2 == x2 && b.y2 == y2;
}

START_TEST(gop_modes)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
	UINTN size;
	struct call c;

	/* VRAM too small or not page-aligned: refused before anything is sent. */
	ck_assert_uint_eq(gop_start(CONTROLLER, &bus, find(SYNTHVID_CLASS_ID), LOW_WINDOW, gmem_devmem_host(vram),
				    1 << 20, &gp_), EFI_UNSUPPORTED);
	ck_assert_uint_eq(gop_start(CONTROLLER, &bus, find(SYNTHVID_CLASS_ID), LOW_WINDOW + 0x800,
				    gmem_devmem_host(vram), SYNTH_VIDEO_VRAM_SIZE, &gp_), EFI_UNSUPPORTED);
	ck_assert(!hv(C_VSTATUS).st.open);
	ck_assert_int_eq(fake.pools, 0);

	memset(gmem_devmem_host(vram), 0x5a, 1024 * 768 * 4);
	gop_up();
	ck_assert_uint_eq(gop->Mode->MaxMode, 2);
	ck_assert_uint_eq(gop->Mode->Mode, 0);
	/* Blt only: no linear frame buffer handed to the OS. */
	ck_assert_uint_eq(gop->Mode->FrameBufferBase, 0);
	ck_assert_uint_eq(gop->Mode->FrameBufferSize, 0);
	ck_assert_uint_eq(gop->Mode->Info->HorizontalResolution, 1024);
	ck_assert_uint_eq(gop->Mode->Info->VerticalResolution, 768);
	ck_assert_uint_eq(gop->Mode->Info->PixelsPerScanLine, 1024);
	ck_assert_int_eq(gop->Mode->Info->PixelFormat, PixelBltOnly);
	/* hvkvm's device: VRAM where the protocol says, the mode, a black screen, the
	 * pointer hidden, a full-screen update. */
	c = hv(C_VSTATUS);
	ck_assert(c.st.vram_mapped);
	ck_assert_uint_eq(c.st.vram_gpa, LOW_WINDOW);
	c = hv(C_MODE);
	ck_assert(c.mode.active);
	ck_assert(c.mode.width == 1024 && c.mode.height == 768 && c.mode.pitch == 4096);
	ck_assert_uint_eq(px(0, 0), 0);
	ck_assert_uint_eq(px(1023, 767), 0);
	ck_assert(WAIT_UNTIL(hv(C_POINTER).ptr.argb != NULL, 5000));
	{
		struct display_rect r = rect_after(2);	/* the mode change, then our DIRT */

		ck_assert(r.x1 == 0 && r.y1 == 0 && r.x2 == 1024 && r.y2 == 768);
		ck_assert(!rect_mode[1]);
	}
	/* A periodic flush timer at TPL_CALLBACK. */
	ck_assert_uint_eq(fake.events_open, 1);

	ck_assert_uint_eq(gop->QueryMode(gop, 1, &size, &info), EFI_SUCCESS);
	ck_assert_uint_eq(size, sizeof(*info));
	ck_assert(info->HorizontalResolution == 1920 && info->VerticalResolution == 1080);
	ck_assert_uint_eq(info->PixelsPerScanLine, 1920);
	FreePool(info);
	ck_assert_uint_eq(gop->QueryMode(gop, 2, &size, &info), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->SetMode(gop, 2), EFI_UNSUPPORTED);
	ck_assert_uint_eq(gop->SetMode(gop, 1), EFI_SUCCESS);
	ck_assert_uint_eq(gop->Mode->Mode, 1);
	ck_assert_uint_eq(gop->Mode->FrameBufferSize, 0);
	c = hv(C_MODE);
	ck_assert(c.mode.width == 1920 && c.mode.height == 1080 && c.mode.pitch == 1920 * 4);
	ck_assert_uint_eq(px(1919, 1079), 0);
	ck_assert_uint_eq(fake.max_tpl, TPL_NOTIFY);
	ck_assert_uint_eq(fake.tpl, TPL_APPLICATION);
	ck_assert_uint_eq(hv(C_VSTATUS).st.bad, 0);

	ck_assert_uint_eq(gop_stop(gp_), EFI_SUCCESS);
	ck_assert_ptr_null(fake_find(CONTROLLER, &gop_guid));
	ck_assert(!hv(C_VSTATUS).st.open);
	ck_assert_uint_eq(fake.events_open, 0);
	ck_assert_int_eq(fake.pools, 0);
	ck_assert_uint_eq(env.freed, env.allocated);
}
END_TEST

START_TEST(gop_blt)
{
	EFI_GRAPHICS_OUTPUT_BLT_PIXEL red = { 0, 0, 0xff, 0 }, buf[4 * 3], back[4 * 3];
	struct gop_timer_view { EFI_EVENT e; } tv = { 0 };
	struct display_rect r;
	unsigned n;

	gop_up();
	for (unsigned i = 0; i < FAKE_MAX_EVENTS; i++)
		if (fake.events[i].used)
			tv.e = &fake.events[i];
	ck_assert_ptr_nonnull(tv.e);
	ck_assert(fake_event(tv.e)->type & EVT_TIMER);
	ck_assert_uint_eq(fake_event(tv.e)->timer_type, TimerPeriodic);
	rect_after(2);	/* the mode change and the first DIRT */
	n = 2;

	/* Fill: the pixels at once, the rectangle by DIRT now or at the next timer tick. */
	ck_assert_uint_eq(gop->Blt(gop, &red, EfiBltVideoFill, 0, 0, 10, 20, 30, 40, 0), EFI_SUCCESS);
	ck_assert_uint_eq(px(10, 20), 0x00ff0000);
	ck_assert_uint_eq(px(39, 59), 0x00ff0000);
	ck_assert_uint_eq(px(40, 59), 0);
	ck_assert_uint_eq(px(9, 20), 0);
	usleep(GOP_DIRT_INTERVAL_US);
	fake_fire(tv.e);
	r = rect_after(++n);
	ck_assert(r.x1 == 10 && r.y1 == 20 && r.x2 == 40 && r.y2 == 60);

	/* Buffer to video with a delta and a source offset, then back. */
	for (unsigned i = 0; i < 12; i++)
		buf[i] = (EFI_GRAPHICS_OUTPUT_BLT_PIXEL){ (UINT8)i, (UINT8)(i * 2), (UINT8)(i * 3), 0 };
	ck_assert_uint_eq(gop->Blt(gop, buf, EfiBltBufferToVideo, 1, 1, 100, 200, 3, 2, 4 * sizeof(buf[0])),
			  EFI_SUCCESS);
	ck_assert_uint_eq(px(100, 200), 0x000f0a05);	/* buf[5]: B 5, G 10, R 15 */
	ck_assert_uint_eq(px(100, 201), 0x001b1209);	/* buf[9] */
	ck_assert_uint_eq(px(102, 201), 0x0021160b);	/* buf[11] */
	memset(back, 0xee, sizeof(back));
	ck_assert_uint_eq(gop->Blt(gop, back, EfiBltVideoToBltBuffer, 100, 200, 0, 0, 3, 2, 0), EFI_SUCCESS);
	ck_assert_mem_eq(&back[0], &buf[5], 3 * sizeof(buf[0]));
	ck_assert_mem_eq(&back[3], &buf[9], 3 * sizeof(buf[0]));
	/* Video to video, overlapping downwards. */
	ck_assert_uint_eq(gop->Blt(gop, NULL, EfiBltVideoToVideo, 100, 200, 100, 201, 3, 2, 0), EFI_SUCCESS);
	ck_assert_uint_eq(px(100, 201), 0x000f0a05);
	ck_assert_uint_eq(px(102, 202), 0x0021160b);
	usleep(GOP_DIRT_INTERVAL_US);
	fake_fire(tv.e);
	/* Both drawings reported (merged into one box unless the interval had passed
	 * between them), nothing outside them (the read sends nothing). */
	ck_assert(WAIT_UNTIL(covered(n, 100, 200, 103, 203), 5000));
	n = hv(C_NRECTS).nrects;

	/* Outside the screen, or nothing: refused, nothing drawn. */
	ck_assert_uint_eq(gop->Blt(gop, &red, EfiBltVideoFill, 0, 0, 1000, 0, 25, 1, 0), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->Blt(gop, &red, EfiBltVideoFill, 0, 0, 0, 760, 1, 9, 0), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->Blt(gop, &red, EfiBltVideoFill, 0, 0, (UINTN)-1, 0, 2, 1, 0), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->Blt(gop, &red, EfiBltVideoFill, 0, 0, 0, 0, 0, 1, 0), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->Blt(gop, back, EfiBltVideoToBltBuffer, 1023, 0, 0, 0, 2, 1, 0), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->Blt(gop, NULL, EfiBltBufferToVideo, 0, 0, 0, 0, 1, 1, 0), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(gop->Blt(gop, &red, EfiGraphicsOutputBltOperationMax, 0, 0, 0, 0, 1, 1, 0),
			  EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(px(1023, 0), 0);
	ck_assert_uint_eq(px(0, 767), 0);
	usleep(GOP_DIRT_INTERVAL_US);
	fake_fire(tv.e);
	usleep(20000);
	ck_assert_uint_eq(hv(C_NRECTS).nrects, n);
	ck_assert_uint_eq(hv(C_VSTATUS).st.bad, 0);
	ck_assert_uint_eq(gop_stop(gp_), EFI_SUCCESS);
}
END_TEST

/* A burst of Blts: few DIRT messages, none sooner than the interval after another,
 * and the last box covers what the burst drew. */
START_TEST(gop_rate)
{
	EFI_GRAPHICS_OUTPUT_BLT_PIXEL white = { 0xff, 0xff, 0xff, 0 };
	uint64_t t0, ms;
	unsigned before, sent;
	EFI_EVENT timer = NULL;
	struct display_rect r;

	gop_up();
	for (unsigned i = 0; i < FAKE_MAX_EVENTS; i++)
		if (fake.events[i].used)
			timer = &fake.events[i];
	rect_after(2);
	before = 2;
	t0 = test_now_ms();
	for (unsigned i = 0; i < 2000; i++)
		ck_assert_uint_eq(gop->Blt(gop, &white, EfiBltVideoFill, 0, 0, i % 1000, i % 700, 8, 16, 0), EFI_SUCCESS);
	ms = test_now_ms() - t0;
	usleep(GOP_DIRT_INTERVAL_US);
	fake_fire(timer);
	usleep(50000);
	sent = hv(C_NRECTS).nrects - before;
	ck_assert_uint_ge(sent, 1);
	ck_assert_msg(sent <= ms / (GOP_DIRT_INTERVAL_US / 1000) + 2, "%u DIRT messages in %llu ms", sent,
		      (unsigned long long)ms);
	/* The final one reaches the last drawing. */
	r = rects[hv(C_NRECTS).nrects - 1];
	ck_assert_uint_ge(r.x2, 1999 % 1000 + 8);
	ck_assert_uint_ge(r.y2, 1999 % 700 + 16);
	ck_assert_uint_eq(px(999, 599), 0x00ffffff);
	ck_assert_uint_eq(gop_stop(gp_), EFI_SUCCESS);
}
END_TEST

/* ExitBootServices: the last dirt goes, then nothing more is sent; UNLOAD closes the
 * channel; the stop afterwards frees only the pool. */
START_TEST(gop_exit_boot_services)
{
	EFI_GRAPHICS_OUTPUT_BLT_PIXEL blue = { 0xff, 0, 0, 0 };
	unsigned n;
	struct display_rect r;

	gop_up();
	rect_after(2);	/* the mode change and the first DIRT */
	n = 2;
	ck_assert_uint_eq(gop->Blt(gop, &blue, EfiBltVideoFill, 0, 0, 5, 5, 1, 1, 0), EFI_SUCCESS);
	gop_shutdown(gp_);
	r = rect_after(n + 1);
	ck_assert(r.x1 == 5 && r.y1 == 5 && r.x2 == 6 && r.y2 == 6);
	ck_assert_uint_eq(gop->Blt(gop, &blue, EfiBltVideoFill, 0, 0, 7, 7, 1, 1, 0), EFI_SUCCESS);
	ck_assert_uint_eq(px(7, 7), 0x000000ff);
	ck_assert_uint_eq(gop->SetMode(gop, 1), EFI_DEVICE_ERROR);
	usleep(20000);
	ck_assert_uint_eq(hv(C_NRECTS).nrects, n + 1);
	ck_assert_int_eq(vmbusc_unload(&bus, TMO), 0);
	ck_assert(!hv(C_VSTATUS).st.open);
	/* Only the device's own change (the screen off with the channel), nothing of ours. */
	for (unsigned i = n + 1; i < hv(C_NRECTS).nrects; i++)
		ck_assert(rect_mode[i]);
	ck_assert_uint_eq(gop_stop(gp_), EFI_SUCCESS);
	ck_assert_int_eq(fake.pools, 0);
	/* The channel's ring pages stay: the memory map must not change at that point. */
	ck_assert_uint_lt(env.freed, env.allocated);
}
END_TEST

/* ---- text input ------------------------------------------------------------------------------- */

static struct textin *ti;
static SIMPLE_INPUT_INTERFACE *in;
static EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL *inex;
static EFI_EVENT ti_timer;

static void textin_up(void)
{
	ck_assert_uint_eq(textin_start(CONTROLLER, &bus, find(SYNTHKBD_CLASS_ID), &ti), EFI_SUCCESS);
	in = fake_find(CONTROLLER, &in_guid);
	inex = fake_find(CONTROLLER, &inex_guid);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(inex);
	ti_timer = NULL;
	for (unsigned i = 0; i < FAKE_MAX_EVENTS; i++)
		if (fake.events[i].used && (fake.events[i].type & EVT_TIMER))
			ti_timer = &fake.events[i];
	ck_assert_ptr_nonnull(ti_timer);
}

static void press(uint16_t code)
{
	ck_assert_int_eq(key(code, true), 0);
	ck_assert_int_eq(key(code, false), 0);
}

/* The next key through WaitForKey and ReadKeyStroke. */
static EFI_INPUT_KEY next_key(void)
{
	EFI_INPUT_KEY k;

	ck_assert(WAIT_UNTIL(fake_check(in->WaitForKey), 5000));
	ck_assert_uint_eq(in->ReadKeyStroke(in, &k), EFI_SUCCESS);
	return k;
}

static void expect(uint16_t scan, CHAR16 ch)
{
	EFI_INPUT_KEY k = next_key();

	ck_assert_msg(k.ScanCode == scan && k.UnicodeChar == ch, "key scan %u char 0x%x, expected %u 0x%x",
		      k.ScanCode, k.UnicodeChar, scan, ch);
}

static unsigned f2_calls;
static EFI_KEY_DATA f2_seen;

static EFI_STATUS EFIAPI on_f2(EFI_KEY_DATA *d)
{
	f2_calls++;
	f2_seen = *d;
	return EFI_SUCCESS;
}

START_TEST(textin_keys)
{
	EFI_INPUT_KEY k;
	EFI_KEY_DATA d;
	EFI_KEY_TOGGLE_STATE st;
	VOID *h;

	textin_up();
	ck_assert(hv(C_KSTATUS).kst.connected);
	ck_assert_uint_eq(fake.events_open, 3);
	ck_assert_uint_eq(in->ReadKeyStroke(in, &k), EFI_NOT_READY);
	ck_assert(!fake_check(in->WaitForKey));

	press(0x1e);
	expect(SCAN_NULL, 'a');
	/* Shift + a, Shift + 1. */
	ck_assert_int_eq(key(0x2a, true), 0);
	press(0x1e);
	press(0x02);
	ck_assert_int_eq(key(0x2a, false), 0);
	expect(SCAN_NULL, 'A');
	expect(SCAN_NULL, '!');
	press(0x02);
	expect(SCAN_NULL, '1');
	/* The keys of menus and GRUB. */
	press(0xe048);
	press(0xe050);
	press(0xe04b);
	press(0xe04d);
	press(0x1c);
	press(0x01);
	press(0x0e);
	press(0x0f);
	press(0x3b);
	press(0x44);
	press(0x58);
	expect(SCAN_UP, 0);
	expect(SCAN_DOWN, 0);
	expect(SCAN_LEFT, 0);
	expect(SCAN_RIGHT, 0);
	expect(SCAN_NULL, CHAR_CARRIAGE_RETURN);
	expect(SCAN_ESC, 0);
	expect(SCAN_NULL, CHAR_BACKSPACE);
	expect(SCAN_NULL, CHAR_TAB);
	expect(SCAN_F1, 0);
	expect(SCAN_F10, 0);
	expect(SCAN_F12, 0);
	/* Ctrl + x, as GRUB's editor boots with; the Ex form tells Ctrl. */
	ck_assert_int_eq(key(0x1d, true), 0);
	press(0x2d);
	ck_assert(WAIT_UNTIL(fake_check(inex->WaitForKeyEx), 5000));
	ck_assert_uint_eq(inex->ReadKeyStrokeEx(inex, &d), EFI_SUCCESS);
	ck_assert_uint_eq(d.Key.UnicodeChar, 0x18);
	ck_assert_uint_eq(d.KeyState.KeyShiftState, EFI_SHIFT_STATE_VALID | EFI_LEFT_CONTROL_PRESSED);
	ck_assert_int_eq(key(0x1d, false), 0);
	/* Caps Lock: upper case, the light on hvkvm's side. */
	press(0x3a);
	press(0x10);
	expect(SCAN_NULL, 'Q');
	ck_assert(WAIT_UNTIL(hv(C_KSTATUS).kst.leds == SYNTH_KBD_LED_CAPS_LOCK, 5000));
	st = EFI_TOGGLE_STATE_VALID | EFI_NUM_LOCK_ACTIVE;
	ck_assert_uint_eq(inex->SetState(inex, &st), EFI_SUCCESS);
	ck_assert(WAIT_UNTIL(hv(C_KSTATUS).kst.leds == SYNTH_KBD_LED_NUM_LOCK, 5000));
	press(0x4f);					/* keypad 1 with Num Lock */
	expect(SCAN_NULL, '1');
	st = EFI_TOGGLE_STATE_VALID;
	ck_assert_uint_eq(inex->SetState(inex, &st), EFI_SUCCESS);
	press(0x4f);					/* End without */
	expect(SCAN_END, 0);

	/* A notification for F2, run by the poll timer; the key is still read after. */
	memset(&d, 0, sizeof(d));
	d.Key.ScanCode = SCAN_F2;
	ck_assert_uint_eq(inex->RegisterKeyNotify(inex, &d, on_f2, &h), EFI_SUCCESS);
	press(0x3c);
	press(0x3d);
	ck_assert(WAIT_UNTIL((fake_fire(ti_timer), f2_calls == 1), 5000));
	ck_assert_uint_eq(f2_seen.Key.ScanCode, SCAN_F2);
	expect(SCAN_F2, 0);
	expect(SCAN_F3, 0);
	ck_assert_uint_eq(f2_calls, 1);
	ck_assert_uint_eq(inex->UnregisterKeyNotify(inex, h), EFI_SUCCESS);
	ck_assert_uint_eq(inex->UnregisterKeyNotify(inex, h), EFI_INVALID_PARAMETER);

	/* Reset drops what waits. */
	press(0x1e);
	ck_assert(WAIT_UNTIL(fake_check(in->WaitForKey), 5000));
	ck_assert_uint_eq(in->Reset(in, FALSE), EFI_SUCCESS);
	ck_assert_uint_eq(in->ReadKeyStroke(in, &k), EFI_NOT_READY);
	ck_assert_uint_eq(fake.tpl, TPL_APPLICATION);

	/* Someone holds the protocol: stop refuses. */
	fake_set_in_use(CONTROLLER, &in_guid, TRUE);
	ck_assert_uint_eq(textin_stop(ti), EFI_ACCESS_DENIED);
	ck_assert_ptr_eq(fake_find(CONTROLLER, &in_guid), in);
	ck_assert_ptr_eq(fake_find(CONTROLLER, &inex_guid), inex);
	press(0x30);
	expect(SCAN_NULL, 'b');
	fake_set_in_use(CONTROLLER, &in_guid, FALSE);
	fake_set_in_use(CONTROLLER, &inex_guid, TRUE);
	ck_assert_uint_eq(textin_stop(ti), EFI_ACCESS_DENIED);
	ck_assert_ptr_eq(fake_find(CONTROLLER, &in_guid), in);
	ck_assert_ptr_eq(fake_find(CONTROLLER, &inex_guid), inex);
	fake_set_in_use(CONTROLLER, &inex_guid, FALSE);
	ck_assert_uint_eq(textin_stop(ti), EFI_SUCCESS);
	ck_assert_ptr_null(fake_find(CONTROLLER, &in_guid));
	ck_assert_ptr_null(fake_find(CONTROLLER, &inex_guid));
	ck_assert_uint_eq(fake.events_open, 0);
	ck_assert_int_eq(fake.pools, 0);
	ck_assert(!hv(C_KSTATUS).kst.open);
	ck_assert_uint_eq(env.freed, env.allocated);
}
END_TEST

START_TEST(textin_exit_boot_services)
{
	EFI_INPUT_KEY k;

	textin_up();
	textin_shutdown(ti);
	ck_assert_int_eq(key(0x1e, true), 0);
	usleep(20000);
	fake_fire(ti_timer);
	ck_assert_uint_eq(in->ReadKeyStroke(in, &k), EFI_DEVICE_ERROR);
	ck_assert_int_eq(vmbusc_unload(&bus, TMO), 0);
	ck_assert(!hv(C_KSTATUS).kst.open);
	ck_assert_uint_eq(textin_stop(ti), EFI_SUCCESS);
	ck_assert_int_eq(fake.pools, 0);
	ck_assert_uint_lt(env.freed, env.allocated);
}
END_TEST

/* The translation alone, over the keys it knows and some it does not. */
START_TEST(textin_table)
{
	static const struct { uint16_t code; uint8_t prefix; UINT32 shift; UINT8 toggle; uint16_t scan; CHAR16 ch; } t[] = {
		{ 0x10, 0, 0, 0, 0, 'q' }, { 0x19, 0, 0, 0, 0, 'p' }, { 0x26, 0, 0, 0, 0, 'l' },
		{ 0x2c, 0, 0, 0, 0, 'z' }, { 0x32, 0, 0, 0, 0, 'm' }, { 0x0b, 0, 0, 0, 0, '0' },
		{ 0x0b, 0, EFI_RIGHT_SHIFT_PRESSED, 0, 0, ')' }, { 0x39, 0, 0, 0, 0, ' ' },
		{ 0x35, 0, EFI_LEFT_SHIFT_PRESSED, 0, 0, '?' }, { 0x28, 0, EFI_LEFT_SHIFT_PRESSED, 0, 0, '"' },
		{ 0x2b, 0, 0, 0, 0, '\\' }, { 0x29, 0, 0, 0, 0, '`' },
		{ 0x1e, 0, EFI_LEFT_SHIFT_PRESSED, EFI_CAPS_LOCK_ACTIVE, 0, 'a' },
		{ 0x02, 0, 0, EFI_CAPS_LOCK_ACTIVE, 0, '1' },
		{ 0x3b, 0, 0, 0, SCAN_F1, 0 }, { 0x3f, 0, 0, 0, SCAN_F5, 0 }, { 0x57, 0, 0, 0, SCAN_F11, 0 },
		{ 0x47, 0xe0, 0, 0, SCAN_HOME, 0 }, { 0x49, 0xe0, 0, 0, SCAN_PAGE_UP, 0 },
		{ 0x51, 0xe0, 0, 0, SCAN_PAGE_DOWN, 0 }, { 0x52, 0xe0, 0, 0, SCAN_INSERT, 0 },
		{ 0x53, 0xe0, 0, 0, SCAN_DELETE, 0 }, { 0x1c, 0xe0, 0, 0, 0, CHAR_CARRIAGE_RETURN },
		{ 0x48, 0, 0, 0, SCAN_UP, 0 }, { 0x48, 0, 0, EFI_NUM_LOCK_ACTIVE, 0, '8' },
		{ 0x53, 0, 0, EFI_NUM_LOCK_ACTIVE, 0, '.' },
		{ 0x03, 0, EFI_LEFT_CONTROL_PRESSED, 0, 0, '2' },
	};
	static const struct { uint16_t code; uint8_t prefix; } none[] = {
		{ 0x2a, 0 }, { 0x36, 0 }, { 0x1d, 0 }, { 0x38, 0 }, { 0x1d, 0xe0 }, { 0x38, 0xe0 }, { 0x2a, 0xe0 },
		{ 0x5b, 0xe0 }, { 0x3a, 0 }, { 0x45, 0 }, { 0x46, 0 }, { 0x1d, 0xe1 }, { 0x7f, 0 }, { 0x5b, 0 },
		{ 0x10, 0xe0 },
	};
	struct synthkbdc_key k = { 0 };
	EFI_INPUT_KEY out;
	UINT32 shift;
	EFI_KEY_TOGGLE_STATE toggle;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		k = (struct synthkbdc_key){ t[i].code, t[i].prefix, true, false };
		shift = t[i].shift;
		toggle = t[i].toggle;
		ck_assert_msg(textin_translate(&k, &shift, &toggle, &out), "entry %u", i);
		ck_assert_msg(out.ScanCode == t[i].scan && out.UnicodeChar == t[i].ch, "entry %u: %u 0x%x", i,
			      out.ScanCode, out.UnicodeChar);
		/* A release gives nothing. */
		k.down = false;
		ck_assert(!textin_translate(&k, &shift, &toggle, &out));
	}
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		k = (struct synthkbdc_key){ none[i].code, none[i].prefix, true, false };
		shift = 0;
		toggle = 0;
		ck_assert_msg(!textin_translate(&k, &shift, &toggle, &out), "none %u", i);
	}
	/* Modifiers come and go; locks toggle on presses. */
	shift = 0;
	toggle = 0;
	k = (struct synthkbdc_key){ 0x38, 0xe0, true, false };
	textin_translate(&k, &shift, &toggle, &out);
	ck_assert_uint_eq(shift, EFI_RIGHT_ALT_PRESSED);
	k.down = false;
	textin_translate(&k, &shift, &toggle, &out);
	ck_assert_uint_eq(shift, 0);
	k = (struct synthkbdc_key){ 0x3a, 0, true, false };
	textin_translate(&k, &shift, &toggle, &out);
	k.down = false;
	textin_translate(&k, &shift, &toggle, &out);
	ck_assert_uint_eq(toggle, EFI_CAPS_LOCK_ACTIVE);
	/* A UTF-16 unit from the host. */
	k = (struct synthkbdc_key){ 0x00e9, 0, true, true };
	ck_assert(textin_translate(&k, &shift, &toggle, &out));
	ck_assert(out.ScanCode == 0 && out.UnicodeChar == 0xe9);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gop_textin");
	TCase *tc = tcase_create("gop");

	tcase_add_checked_fixture(tc, efi_setup, teardown);
	tcase_add_test(tc, gop_modes);
	tcase_add_test(tc, gop_blt);
	tcase_add_test(tc, gop_rate);
	tcase_add_test(tc, gop_exit_boot_services);
	suite_add_tcase(s, tc);
	tc = tcase_create("textin");
	tcase_add_checked_fixture(tc, efi_setup, teardown);
	tcase_add_test(tc, textin_keys);
	tcase_add_test(tc, textin_exit_boot_services);
	tcase_add_test(tc, textin_table);
	suite_add_tcase(s, tc);
	return test_main(s);
}
