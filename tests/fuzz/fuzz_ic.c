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

/* Offers come in the order the ICs were added: shutdown, heartbeat, time sync. */
static void on_msg(struct vg *gu, const union vg_msg *msg, uint32_t len)
{
	const struct vmbus_msg_offer_channel *o = &msg->offer;

	(void)gu;
	if (msg->h.msgtype == CHANNELMSG_OFFERCHANNEL && len >= sizeof(*o)) {
		for (unsigned k = 0; k < FZ_IC_COUNT; k++)
			if (chans[k].relid == o->child_relid)
				return;
		for (unsigned k = 0; k < FZ_IC_COUNT; k++) {
			if (!chans[k].relid) {
				chans[k].relid = o->child_relid;
				chans[k].conn_id = o->connection_id;
				break;
			}
		}
	}
}

static void chan_open(unsigned k)
{
	vg_chan_open(&g, &chans[k], FZ_RING_GPA(k), FZ_IC_RING_PAGES, 0);
}

static void chan_close(unsigned k)
{
	vg_chan_close(&g, &chans[k]);
}

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
	memset(chans, 0, sizeof(chans));
	fuzz_guest_init(&g, FZ_IC_RAM, FZ_VS_NVP);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	ics[0] = ic_shutdown_new(g.bus, g.loop);
	ics[1] = ic_heartbeat_new(g.bus, g.loop);
	ics[2] = ic_timesync_new(g.bus, g.loop, ref_time, NULL);
	FZ_CHECK(ics[0] && ics[1] && ics[2], "ic_*_new");

	/* hv_vmbus comes up, hv_utils opens every IC (and the host starts negotiating). */
	fuzz_guest_connect(&g);
	for (unsigned k = 0; k < FZ_IC_COUNT; k++) {
		chan_open(k);
		FZ_CHECK(chans[k].open, "the harness could not open IC channel %u", k);
	}

	while (in.n) {
		switch (fz_u8(&in) % IC_OP_COUNT) {
		case IC_OP_PACKET: {
			struct vg_chan *c = &chans[fz_u8(&in) % FZ_IC_COUNT];
			struct vmbus_packet_desc d = { .type = fz_u16(&in), .flags = fz_u16(&in), .offset8 = 2 };
			uint16_t len = fz_u16(&in) % (IC_FUZZ_MAX - 16);
			uint8_t pkt[IC_FUZZ_MAX];

			fz_bytes(&in, pkt + sizeof(d), len);
			if (!c->open)
				break;
			d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
			memcpy(pkt, &d, sizeof(d));
			if (vg_chan_put(c, pkt, (uint32_t)sizeof(d) + len) == 0)
				vg_signal_conn(&g, c->conn_id, false);
			break;
		}
		case IC_OP_RING_CTL: fuzz_ring_ctl(&chans[fz_u8(&in) % FZ_IC_COUNT], &in); break;
		case IC_OP_CONSUME: vg_chan_consume(&chans[fz_u8(&in) % FZ_IC_COUNT], 256); break;
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
		case IC_OP_CLOSE: chan_close(fz_u8(&in) % FZ_IC_COUNT); break;
		case IC_OP_OPEN: chan_open(fz_u8(&in) % FZ_IC_COUNT); break;
		}
		vg_settle(&g);
	}
	vg_stop(&g);
	for (unsigned k = 0; k < FZ_IC_COUNT; k++)
		ic_free(ics[k]);
	vg_destroy(&g);
	return 0;
}
