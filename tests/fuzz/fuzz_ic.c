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
#include "fuzz_guest.h"
#include "hv.h"
#include "ic.h"
#include "loop.h"
#include "vmbus.h"

#define RING_PAGES	(2 * (1 + FZ_IC_RING_PAGES))
#define RING_GPA(k)	(0x100000ull + (uint64_t)(k) * 0x10000ull)

struct gch {
	uint32_t relid, conn, gpadl;
	bool open;
	struct fring in, out;
};

static struct fguest g;
static struct gch chans[FZ_IC_COUNT];
static uint32_t open_status, next_gpadl;

/* Offers come in the order the ICs were added: shutdown, heartbeat, time sync. */
static void on_msg(struct fguest *gu, const uint8_t *msg, uint32_t len)
{
	uint32_t type = ((const struct vmbus_msg_header *)msg)->msgtype;

	(void)gu;
	if (type == CHANNELMSG_OFFERCHANNEL && len >= sizeof(struct vmbus_msg_offer_channel)) {
		const struct vmbus_msg_offer_channel *o = (const void *)msg;

		for (unsigned k = 0; k < FZ_IC_COUNT; k++)
			if (chans[k].relid == o->child_relid)
				return;
		for (unsigned k = 0; k < FZ_IC_COUNT; k++) {
			if (!chans[k].relid) {
				chans[k].relid = o->child_relid;
				chans[k].conn = o->connection_id;
				break;
			}
		}
	} else if (type == CHANNELMSG_OPENCHANNEL_RESULT && len >= sizeof(struct vmbus_msg_open_result)) {
		open_status = ((const struct vmbus_msg_open_result *)msg)->status;
	}
}

static void chan_open(unsigned k)
{
	struct gch *c = &chans[k];
	uint8_t *base;

	if (!c->relid || c->open)
		return;
	c->gpadl = ++next_gpadl;
	fguest_gpadl(&g, c->relid, c->gpadl, RING_GPA(k), RING_PAGES);
	open_status = ~0u;
	fguest_open(&g, c->relid, c->gpadl, RING_GPA(k), RING_PAGES, 1 + FZ_IC_RING_PAGES, 0);
	if (open_status != 0)
		return;
	base = gmem_ptr(&g.mem, RING_GPA(k), RING_PAGES * 4096ull);
	c->in = (struct fring){ (void *)base, base + 4096, FZ_IC_RING_PAGES * 4096 };
	base += (1 + FZ_IC_RING_PAGES) * 4096;
	c->out = (struct fring){ (void *)base, base + 4096, FZ_IC_RING_PAGES * 4096 };
	c->open = true;
}

static void chan_close(unsigned k)
{
	struct gch *c = &chans[k];
	struct vmbus_msg_relid m = { .header.msgtype = CHANNELMSG_CLOSECHANNEL, .child_relid = c->relid };
	struct vmbus_msg_gpadl_teardown t = {
		.header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = c->relid, .gpadl = c->gpadl,
	};

	if (!c->relid)
		return;
	fguest_post(&g, g.conn, &m, sizeof(m));
	if (c->gpadl)
		fguest_post(&g, g.conn, &t, sizeof(t));
	c->open = false;
	c->gpadl = 0;
	fguest_pump(&g);
}

static void consume(unsigned k)
{
	struct gch *c = &chans[k];
	uint8_t buf[IC_FUZZ_MAX];

	if (!c->open)
		return;
	for (unsigned i = 0; i < 256 && fring_get(&c->out, buf, sizeof(buf)) > 0; i++)
		;
	fguest_signal(&g, c->conn, 0);
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
	next_gpadl = 0xe1e10;
	FZ_CHECK(fguest_init(&g, FZ_IC_RAM, FZ_VS_NVP) == 0, "fguest_init");
	g.on_msg = on_msg;
	ics[0] = ic_shutdown_new(g.bus, g.loop);
	ics[1] = ic_heartbeat_new(g.bus, g.loop);
	ics[2] = ic_timesync_new(g.bus, g.loop, ref_time, NULL);
	FZ_CHECK(ics[0] && ics[1] && ics[2], "ic_*_new");

	/* hv_vmbus comes up, hv_utils opens every IC (and the host starts negotiating). */
	fguest_contact(&g, VMBUS_VERSION_WIN10_V5_3);
	{
		struct vmbus_msg_header m = { .msgtype = CHANNELMSG_REQUESTOFFERS };

		fguest_post(&g, g.conn, &m, sizeof(m));
		fguest_pump(&g);
	}
	for (unsigned k = 0; k < FZ_IC_COUNT; k++) {
		chan_open(k);
		FZ_CHECK(chans[k].open, "the harness could not open IC channel %u", k);
	}

	while (in.n) {
		switch (fz_u8(&in) % IC_OP_COUNT) {
		case IC_OP_PACKET: {
			struct gch *c = &chans[fz_u8(&in) % FZ_IC_COUNT];
			struct vmbus_packet_desc d = { .type = fz_u16(&in), .flags = fz_u16(&in), .offset8 = 2 };
			uint16_t len = fz_u16(&in) % (IC_FUZZ_MAX - 16);
			uint8_t pkt[IC_FUZZ_MAX];

			fz_bytes(&in, pkt + sizeof(d), len);
			if (!c->open)
				break;
			d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
			memcpy(pkt, &d, sizeof(d));
			if (fring_put(&c->in, pkt, (uint32_t)sizeof(d) + len))
				fguest_signal(&g, c->conn, 0);
			break;
		}
		case IC_OP_RING_CTL: {
			struct gch *c = &chans[fz_u8(&in) % FZ_IC_COUNT];
			uint8_t field = fz_u8(&in);
			uint32_t val = fz_u32(&in);
			struct vmbus_ring_control *ctl;

			if (!c->open)
				break;
			ctl = field & 4 ? c->out.ctl : c->in.ctl;
			switch (field & 3) {
			case 0: __atomic_store_n(&ctl->write_index, val, __ATOMIC_RELEASE); break;
			case 1: __atomic_store_n(&ctl->read_index, val, __ATOMIC_RELEASE); break;
			case 2: __atomic_store_n(&ctl->interrupt_mask, val, __ATOMIC_RELEASE); break;
			case 3: __atomic_store_n(&ctl->pending_send_sz, val, __ATOMIC_RELEASE); break;
			}
			fguest_signal(&g, c->conn, 0);
			break;
		}
		case IC_OP_CONSUME: consume(fz_u8(&in) % FZ_IC_COUNT); break;
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
		fguest_pump(&g);
	}
	fguest_free_bus(&g);
	for (unsigned k = 0; k < FZ_IC_COUNT; k++)
		ic_free(ics[k]);
	fguest_free(&g);
	return 0;
}
