/* SPDX-License-Identifier: MIT */
/*
 * EFI_GRAPHICS_OUTPUT_PROTOCOL on Hyper-V's synthetic video device, over synthvidc.
 * Two modes, 1024x768 and 1920x1080, 32 bits per pixel (B, G, R, reserved in
 * memory), pitch the width. The frame buffer is the device's VRAM: the caller gives
 * its guest physical address, which must lie in the VMBus MMIO window (hvkvm's device
 * maps its memory only there), page-aligned, away from anything else decoded there
 * (the ROM BAR), with room for the offer's mmio_megabytes; and the pointer through
 * which the firmware reaches it (the address itself, identity-mapped, in firmware).
 * The mode reports Blt only (no frame buffer address for the OS: hvkvm's device
 * unmaps its VRAM when the bus's UNLOAD closes the channel at ExitBootServices).
 * Blt draws there and reports the changed box as DIRT, at most once per
 * GOP_DIRT_INTERVAL_US: what comes sooner is merged and sent by a periodic timer.
 * Built with gnu-efi (GNU_EFI_USE_MS_ABI).
 */
#ifndef HVKVM_FW_GOP_H
#define HVKVM_FW_GOP_H

#include <efi.h>
#include <efilib.h>

#include "vmbusc.h"

#define GOP_TIMEOUT_US		5000000u	/* opening, the VRAM location, each mode set */
#define GOP_DIRT_INTERVAL_US	20000u		/* the shortest time between two DIRT messages */
#define GOP_TIMER_100NS		200000u		/* the flush timer's period: 20 ms */
#define GOP_VRAM_MIN		(1920u * 1080u * 4u)

struct gop;

/*
 * Opens the synthetic video channel (offer, on bus, which is connected), agrees on a
 * version, places VRAM at vram_gpa, sets mode 0 (1024x768), hides the hardware
 * pointer, clears the screen, and installs EFI_GRAPHICS_OUTPUT_PROTOCOL on
 * controller. vram: where the firmware writes the vram_size bytes at vram_gpa.
 * EFI_SUCCESS with *out, or the failure with everything undone: EFI_UNSUPPORTED
 * for a VRAM smaller than GOP_VRAM_MIN or not page-aligned, EFI_DEVICE_ERROR when the
 * device refuses or does not answer.
 */
EFI_STATUS gop_start(EFI_HANDLE controller, struct vmbusc *bus, const struct vmbusc_offer *offer,
		     UINT64 vram_gpa, VOID *vram, UINT64 vram_size, struct gop **out);
/* Uninstalls the protocol (EFI_ACCESS_DENIED if someone still holds it), stops the
 * timer, closes the channel, frees everything. Before the bus's vmbusc_unload. */
EFI_STATUS gop_stop(struct gop *g);
/* At ExitBootServices, before vmbusc_unload: the last dirt is sent, the timer and the
 * protocol stop using the channel (Blt still draws, but reports nothing), nothing is
 * freed, closed or uninstalled. The frame buffer stays where the OS finds it. */
void gop_shutdown(struct gop *g);
/* The flush timer's work, for callers that poll: pending dirt is sent now. */
void gop_flush(struct gop *g);

#endif
