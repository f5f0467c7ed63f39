/* SPDX-License-Identifier: MIT */
/*
 * A synthetic video client in portable C over vmbusc: what a guest's frame buffer
 * driver says to Hyper-V's synthetic video device (the sequence of Linux's
 * hyperv_drm): the protocol version (3.5, else 3.2), where its VRAM is, the mode
 * (one output, 32 bits per pixel), which parts of the screen changed, and the
 * hardware pointer hidden. No firmware or OS header: hvkvm's UEFI driver runs it
 * over its VMBus client, the unit tests against hvkvm's own device in process.
 *
 * The VRAM is memory the host provides at a guest physical address the guest
 * chooses: on hvkvm it must lie in the VMBus MMIO window (below 4 GiB or above),
 * page-aligned, and hold the offer's mmio_megabytes; the guest then writes pixels
 * there. Everything the host answers is checked (packet type, sizes, message type,
 * the echoed context). A host that breaks the protocol or does not answer in time
 * leaves the client broken: every later call fails with VMBUSC_EIO.
 */
#ifndef HVKVM_FW_SYNTHVIDC_H
#define HVKVM_FW_SYNTHVIDC_H

#include <stdbool.h>
#include <stdint.h>

#include "synthvid_proto.h"
#include "vmbusc.h"

#define SYNTHVIDC_RING_PAGES	8	/* data pages of each ring */
#define SYNTHVIDC_MAX_RECTS	32	/* rectangles in one DIRT message */
#define SYNTHVIDC_RECV_CAP	1024u	/* larger than any answer of the messages sent */

struct synthvidc {
	struct vmbusc *bus;
	struct vmbusc_chan *chan;
	bool own_chan;			/* opened by synthvidc_open */
	uint32_t version;		/* SYNTHVID_VERSION_* agreed */
	uint8_t max_outputs;		/* from the version response */
	bool vram_set;
	uint64_t vram_gpa;
	uint32_t width, height, pitch;	/* the mode set last; width 0: none */
	bool dirt_needed;		/* FEATURE_CHANGE asked for DIRT (the default) */
	bool broken;
	uint64_t features;		/* FEATURE_CHANGE messages seen */
	uint64_t skipped;		/* other messages from the host that were not ours */
	uint64_t next_trans;
	uint8_t buf[SYNTHVIDC_RECV_CAP];
};

/*
 * Opens the channel of a synthetic video offer (SYNTHVIDC_RING_PAGES each way) and
 * agrees on a version: SYNTHVID_VERSION_WIN10 when the bus is VMBus 4.0 (WIN10) or
 * later, then SYNTHVID_VERSION_WIN8. Each wait here and below is bounded by
 * timeout_us (0: no bound), whatever else the host sends meanwhile. 0, or a negative
 * VMBUSC_E* (the channel is closed again then); VMBUSC_EIO also when the host refuses
 * both versions.
 */
int synthvidc_open(struct synthvidc *v, struct vmbusc *bus, const struct vmbusc_offer *offer,
		   uint32_t timeout_us);
/* The same on a channel the caller opened (synthvidc_close does not close it then). */
int synthvidc_init(struct synthvidc *v, struct vmbusc *bus, struct vmbusc_chan *chan, uint32_t timeout_us);
/* Closes the channel synthvidc_open opened (bounded by timeout_us). */
void synthvidc_close(struct synthvidc *v, uint32_t timeout_us);

/* VRAM_LOCATION at gpa (user_ctx gpa, as hyperv_drm), waiting for its acknowledgement
 * with that context. A host that refuses a place does not answer: VMBUSC_ETIMEDOUT,
 * and the client is broken (the host may yet answer late). */
int synthvidc_set_vram(struct synthvidc *v, uint64_t gpa, uint32_t timeout_us);
/* SITUATION_UPDATE: one active output at VRAM offset 0, 32 bits per pixel, waiting
 * for the acknowledgement. VMBUSC_EINVAL (nothing sent) for a zero size or a pitch
 * less than width * 4. */
int synthvidc_set_mode(struct synthvidc *v, uint32_t width, uint32_t height, uint32_t pitch,
		       uint32_t timeout_us);
/* The pointer as hyperv_drm hides it: visible at 0,0 with a transparent 1x1 ARGB
 * shape. Nothing is answered. */
int synthvidc_hide_pointer(struct synthvidc *v);
/* DIRT with n rectangles (x1, y1 inclusive, x2, y2 exclusive), or the whole screen of
 * the current mode when n is 0. VMBUSC_EINVAL for n > SYNTHVIDC_MAX_RECTS or no mode;
 * VMBUSC_EAGAIN when the ring has no room now. Nothing is answered. */
int synthvidc_dirt(struct synthvidc *v, const struct synthvid_rect *r, unsigned n);
/* Takes what the host sent by itself (FEATURE_CHANGE) without waiting, at most
 * VMBUSC_POLL_MAX packets. 0, or VMBUSC_EIO for a broken ring or packet (the client is
 * broken then). */
int synthvidc_poll(struct synthvidc *v);

#endif
