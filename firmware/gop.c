/* SPDX-License-Identifier: MIT */
/* The graphics output protocol on synthvidc (gop.h). */
#include "gop.h"

#include "synthvidc.h"

#define NMODES	2
static const struct { UINT32 w, h; } modes[NMODES] = { { 1024, 768 }, { 1920, 1080 } };

static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;

struct gop {
	EFI_GRAPHICS_OUTPUT_PROTOCOL proto;	/* first: This is the struct gop */
	EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE mode;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION info;
	EFI_HANDLE controller;
	EFI_EVENT timer;
	struct synthvidc vid;
	UINT8 *fb;
	UINT64 vram_gpa, vram_size;
	BOOLEAN installed;
	BOOLEAN shut;			/* gop_shutdown: the channel is the bus's UNLOAD's */
	BOOLEAN dirty;			/* box holds dirt not yet sent */
	INT32 x1, y1, x2, y2;
	UINT64 last_sent_us;
};

static UINT64 now_us(struct gop *g)
{
	return vmbusc_now_us(g->vid.bus);
}

/* Sends the pending box if there is one; at TPL_NOTIFY (callers raise it). */
static void send_dirt(struct gop *g)
{
	struct synthvid_rect r;

	if (!g->dirty || g->shut || g->vid.broken)
		return;
	r.x1 = g->x1;
	r.y1 = g->y1;
	r.x2 = g->x2;
	r.y2 = g->y2;
	/* A full ring keeps the box for the next try. */
	if (synthvidc_dirt(&g->vid, &r, 1) == VMBUSC_EAGAIN)
		return;
	g->dirty = FALSE;
	g->last_sent_us = now_us(g);
	/* FEATURE_CHANGE and the like, so the receive ring never fills. */
	synthvidc_poll(&g->vid);
}

static void add_dirt(struct gop *g, UINTN x, UINTN y, UINTN w, UINTN h)
{
	INT32 x1 = (INT32)x, y1 = (INT32)y, x2 = (INT32)(x + w), y2 = (INT32)(y + h);

	if (!g->dirty) {
		g->x1 = x1, g->y1 = y1, g->x2 = x2, g->y2 = y2;
		g->dirty = TRUE;
	} else {
		g->x1 = x1 < g->x1 ? x1 : g->x1;
		g->y1 = y1 < g->y1 ? y1 : g->y1;
		g->x2 = x2 > g->x2 ? x2 : g->x2;
		g->y2 = y2 > g->y2 ? y2 : g->y2;
	}
	if (now_us(g) - g->last_sent_us >= GOP_DIRT_INTERVAL_US)
		send_dirt(g);
}

void gop_flush(struct gop *g)
{
	EFI_TPL old = BS->RaiseTPL(TPL_NOTIFY);

	send_dirt(g);
	BS->RestoreTPL(old);
}

static VOID EFIAPI timer_fn(EFI_EVENT e, VOID *ctx)
{
	(void)e;
	gop_flush(ctx);
}

static void fill_info(EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info, UINT32 m)
{
	ZeroMem(info, sizeof(*info));
	info->Version = 0;
	info->HorizontalResolution = modes[m].w;
	info->VerticalResolution = modes[m].h;
	/* Blt only: the frame buffer is no linear frame buffer for the OS. The device
	 * lets go of its VRAM when its driver leaves (the UNLOAD at ExitBootServices),
	 * so an OS that kept drawing at the address (Linux's efifb) would write into
	 * nothing; the firmware's consoles and boot loaders draw through Blt. */
	info->PixelFormat = PixelBltOnly;
	info->PixelsPerScanLine = modes[m].w;
}

static EFI_STATUS EFIAPI query_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *This, UINT32 m, UINTN *size,
				    EFI_GRAPHICS_OUTPUT_MODE_INFORMATION **info)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *i;

	if (!This || !size || !info || m >= NMODES)
		return EFI_INVALID_PARAMETER;
	i = AllocateZeroPool(sizeof(*i));
	if (!i)
		return EFI_OUT_OF_RESOURCES;
	fill_info(i, m);
	*size = sizeof(*i);
	*info = i;
	return EFI_SUCCESS;
}

static EFI_STATUS set_mode_locked(struct gop *g, UINT32 m)
{
	UINT32 pitch = modes[m].w * 4;

	if (g->shut || synthvidc_set_mode(&g->vid, modes[m].w, modes[m].h, pitch, GOP_TIMEOUT_US) < 0)
		return EFI_DEVICE_ERROR;
	fill_info(&g->info, m);
	g->mode.Mode = m;
	/* The spec: SetMode clears the screen to black. */
	SetMem(g->fb, (UINTN)pitch * modes[m].h, 0);
	g->dirty = FALSE;
	add_dirt(g, 0, 0, modes[m].w, modes[m].h);
	send_dirt(g);
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI set_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *This, UINT32 m)
{
	struct gop *g = (struct gop *)This;
	EFI_TPL old;
	EFI_STATUS s;

	if (!This)
		return EFI_INVALID_PARAMETER;
	if (m >= NMODES)
		return EFI_UNSUPPORTED;
	old = BS->RaiseTPL(TPL_NOTIFY);
	s = set_mode_locked(g, m);
	BS->RestoreTPL(old);
	return s;
}

static EFI_STATUS EFIAPI blt(EFI_GRAPHICS_OUTPUT_PROTOCOL *This, EFI_GRAPHICS_OUTPUT_BLT_PIXEL *buf,
			     EFI_GRAPHICS_OUTPUT_BLT_OPERATION op, UINTN sx, UINTN sy, UINTN dx, UINTN dy, UINTN w,
			     UINTN h, UINTN delta)
{
	struct gop *g = (struct gop *)This;
	UINTN sw, sh, pitch, row;
	EFI_TPL old;

	if (!This || op >= EfiGraphicsOutputBltOperationMax)
		return EFI_INVALID_PARAMETER;
	if (!w || !h)
		return EFI_INVALID_PARAMETER;
	sw = g->info.HorizontalResolution;
	sh = g->info.VerticalResolution;
	pitch = sw * 4;
	if (!buf && op != EfiBltVideoToVideo)
		return EFI_INVALID_PARAMETER;
	if (!delta)
		delta = w * sizeof(*buf);
	/* The rectangles on the screen must fit it (w, h <= sw, sh first: no overflow). */
	if (w > sw || h > sh)
		return EFI_INVALID_PARAMETER;
	if (op == EfiBltVideoToBltBuffer || op == EfiBltVideoToVideo) {
		if (sx > sw - w || sy > sh - h)
			return EFI_INVALID_PARAMETER;
	}
	if (op != EfiBltVideoToBltBuffer) {
		if (dx > sw - w || dy > sh - h)
			return EFI_INVALID_PARAMETER;
	}
	old = BS->RaiseTPL(TPL_NOTIFY);
	switch (op) {
	case EfiBltVideoFill:
		for (row = 0; row < h; row++) {
			UINT32 *d = (UINT32 *)(g->fb + (dy + row) * pitch + dx * 4);
			UINT32 px;

			CopyMem(&px, buf, 4);
			for (UINTN i = 0; i < w; i++)
				d[i] = px;
		}
		break;
	case EfiBltVideoToBltBuffer:
		for (row = 0; row < h; row++)
			CopyMem((UINT8 *)buf + (dy + row) * delta + dx * 4, g->fb + (sy + row) * pitch + sx * 4, w * 4);
		break;
	case EfiBltBufferToVideo:
		for (row = 0; row < h; row++)
			CopyMem(g->fb + (dy + row) * pitch + dx * 4, (UINT8 *)buf + (sy + row) * delta + sx * 4, w * 4);
		break;
	case EfiBltVideoToVideo:
		/* Overlapping: copy rows in the direction that does not overwrite the source. */
		if (dy <= sy) {
			for (row = 0; row < h; row++)
				CopyMem(g->fb + (dy + row) * pitch + dx * 4, g->fb + (sy + row) * pitch + sx * 4, w * 4);
		} else {
			for (row = h; row-- > 0;)
				CopyMem(g->fb + (dy + row) * pitch + dx * 4, g->fb + (sy + row) * pitch + sx * 4, w * 4);
		}
		break;
	default:
		break;
	}
	if (op != EfiBltVideoToBltBuffer)
		add_dirt(g, dx, dy, w, h);
	BS->RestoreTPL(old);
	return EFI_SUCCESS;
}

static void undo(struct gop *g)
{
	if (g->timer)
		BS->CloseEvent(g->timer);
	synthvidc_close(&g->vid, GOP_TIMEOUT_US);
	FreePool(g);
}

EFI_STATUS gop_start(EFI_HANDLE controller, struct vmbusc *bus, const struct vmbusc_offer *offer,
		     UINT64 vram_gpa, VOID *vram, UINT64 vram_size, struct gop **out)
{
	struct gop *g;
	EFI_STATUS s;

	if (!controller || !bus || !offer || !vram || !out)
		return EFI_INVALID_PARAMETER;
	if (vram_size < GOP_VRAM_MIN || (vram_gpa & 0xfff))
		return EFI_UNSUPPORTED;
	g = AllocateZeroPool(sizeof(*g));
	if (!g)
		return EFI_OUT_OF_RESOURCES;
	g->controller = controller;
	g->fb = vram;
	g->vram_gpa = vram_gpa;
	g->vram_size = vram_size;
	if (synthvidc_open(&g->vid, bus, offer, GOP_TIMEOUT_US) < 0) {
		FreePool(g);
		return EFI_DEVICE_ERROR;
	}
	if (synthvidc_set_vram(&g->vid, vram_gpa, GOP_TIMEOUT_US) < 0 || synthvidc_hide_pointer(&g->vid) < 0) {
		undo(g);
		return EFI_DEVICE_ERROR;
	}
	g->proto.QueryMode = query_mode;
	g->proto.SetMode = set_mode;
	g->proto.Blt = blt;
	g->proto.Mode = &g->mode;
	g->mode.MaxMode = NMODES;
	g->mode.Info = &g->info;
	g->mode.SizeOfInfo = sizeof(g->info);
	/* (FrameBufferBase and FrameBufferSize stay 0: Blt only.) */
	if ((s = set_mode_locked(g, 0)) != EFI_SUCCESS) {
		undo(g);
		return s;
	}
	s = BS->CreateEvent(EVT_TIMER | EVT_NOTIFY_SIGNAL, TPL_CALLBACK, timer_fn, g, &g->timer);
	if (s == EFI_SUCCESS)
		s = BS->SetTimer(g->timer, TimerPeriodic, GOP_TIMER_100NS);
	if (s == EFI_SUCCESS)
		s = BS->InstallProtocolInterface(&g->controller, &gop_guid, EFI_NATIVE_INTERFACE, &g->proto);
	if (s != EFI_SUCCESS) {
		undo(g);
		return s;
	}
	g->installed = TRUE;
	*out = g;
	return EFI_SUCCESS;
}

EFI_STATUS gop_stop(struct gop *g)
{
	EFI_STATUS s;

	if (g->installed) {
		s = BS->UninstallProtocolInterface(g->controller, &gop_guid, &g->proto);
		if (s != EFI_SUCCESS)
			return s;
		g->installed = FALSE;
	}
	if (g->timer)
		BS->CloseEvent(g->timer);
	g->timer = NULL;
	if (!g->shut)
		synthvidc_close(&g->vid, GOP_TIMEOUT_US);
	FreePool(g);
	return EFI_SUCCESS;
}

void gop_shutdown(struct gop *g)
{
	/* At ExitBootServices timers no longer fire; the last dirt goes now. */
	send_dirt(g);
	g->shut = TRUE;
}
