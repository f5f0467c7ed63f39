/* SPDX-License-Identifier: MIT */
/*
 * The integration components (src/devices/ic.c): shutdown, heartbeat and time sync on
 * open channels, as hv_utils has them after vmbus_open. The input sends any packets
 * on them (IC messages: the version negotiation, answers to requests), breaks their
 * rings, reads what the host sent, asks the host for a shutdown or a time sync and
 * closes and reopens the channels; the host must answer what it can and never act on
 * a malformed message.
 */
#include "fuzz.h"
#include "vmbus_guest.h"
#include "hv.h"
#include "ic.h"
#include "loop.h"
#include "vmbus.h"

static struct vg g;
static struct vg_chan chans[FZ_IC_COUNT];
static struct fz_chans fc;

static uint64_t ref_time(void *ctx)
{
	(void)ctx;
	return 0x1234567890ull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct ic *ics[FZ_IC_COUNT];

	fuzz_quiet_logs();
	/* Offers come in the order the ICs are added: shutdown, heartbeat, time sync. */
	fz_chans_init(&fc, &g, chans, FZ_IC_COUNT, FZ_IC_RAM, FZ_IC_RING_PAGES);
	ics[0] = ic_shutdown_new(g.bus, g.loop);
	ics[1] = ic_heartbeat_new(g.bus, g.loop);
	ics[2] = ic_timesync_new(g.bus, g.loop, ref_time, NULL);
	FZ_CHECK(ics[0] && ics[1] && ics[2], "ic_*_new");
	/* hv_vmbus comes up, hv_utils opens every IC (and the host starts negotiating). */
	fz_chans_connect(&fc);

	while (in.n) {
		switch (fz_u8(&in) % IC_OP_COUNT) {
		case IC_OP_PACKET: fz_chan_packet(&fc, fz_chan(&fc, &in), &in, false, IC_FUZZ_MAX - 16); break;
		case IC_OP_RING_CTL: fuzz_ring_ctl(fz_chan(&fc, &in), &in); break;
		case IC_OP_CONSUME: vg_chan_consume(fz_chan(&fc, &in), 256); break;
		case IC_OP_HOST: {
			uint8_t what = fz_u8(&in) % 4;
			uint64_t seq;

			if (what < 2)
				ic_shutdown_request(ics[0], what == 1);
			else if (what == 2)
				ic_timesync_sync(ics[2]);
			else
				FZ_CHECK(ic_heartbeat_state(ics[1], &seq) <= IC_HEARTBEAT_LOST, "heartbeat state");
			break;
		}
		case IC_OP_CLOSE: vg_chan_close(&g, fz_chan(&fc, &in)); break;
		case IC_OP_OPEN: fz_chan_open(&fc, fz_chan(&fc, &in)); break;
		}
		vg_settle(&g);
	}
	vg_stop(&g);
	for (unsigned k = 0; k < FZ_IC_COUNT; k++)
		ic_free(ics[k]);
	vg_destroy(&g);
	return 0;
}
