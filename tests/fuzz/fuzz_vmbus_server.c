/* SPDX-License-Identifier: MIT */
/*
 * The VMBus channel-management server (src/vmbus/server.c) and the channel data path
 * behind it, driven by a hostile guest: any sequence of messages on any connection,
 * guest memory written at will, signals on any relid, packets in the rings of open
 * channels and their indices overwritten. Three devices are registered: one that
 * echoes every packet, one whose open fails, and one the input can remove, re-add
 * and ask for sub-channels. Each device checks that the server calls it in order:
 * no close without an open, no second open, nothing after it was removed.
 */
#include "fuzz.h"
#include "vmbus_guest.h"
#include "hv.h"
#include "hv_proto.h"
#include "loop.h"
#include "vmbus.h"
#include "vmbus_internal.h"

#include <errno.h>

#define NDEV	3

struct fdev {
	struct vmbus_offer offer;
	struct vmbus_device *dev;
	int open_ret;
	bool echo;
	bool gone;			/* removed: no callback may come */
	struct vmbus_channel *ch[VMBUS_MAX_SUBCHANNELS + 1];	/* open channels */
};

static struct vg g;
static struct fdev devs[NDEV];

static int fd_open(struct vmbus_channel *ch, void *opaque)
{
	struct fdev *d = opaque;
	uint16_t sub = vmbus_chan_subchannel(ch);

	FZ_CHECK(!d->gone, "open of a removed device");
	FZ_CHECK(sub <= VMBUS_MAX_SUBCHANNELS, "sub-channel %u", sub);
	FZ_CHECK(!d->ch[sub], "second open of sub-channel %u", sub);
	FZ_CHECK(vmbus_chan_device(ch) == d->dev, "open for another device");
	if (d->open_ret == 0)
		d->ch[sub] = ch;
	return d->open_ret;
}

static void fd_close(struct vmbus_channel *ch, void *opaque)
{
	struct fdev *d = opaque;
	uint16_t sub = vmbus_chan_subchannel(ch);

	FZ_CHECK(sub <= VMBUS_MAX_SUBCHANNELS && d->ch[sub] == ch, "close of a channel that is not open");
	d->ch[sub] = NULL;
}

static bool fd_notify(struct vmbus_channel *ch, void *opaque)
{
	struct fdev *d = opaque;
	uint16_t sub = vmbus_chan_subchannel(ch);
	uint8_t buf[512];
	bool drained = true;

	FZ_CHECK(!d->gone, "notify of a removed device");
	FZ_CHECK(sub <= VMBUS_MAX_SUBCHANNELS && d->ch[sub] == ch, "notify of a channel that is not open");
	for (unsigned i = 0; i < 256; i++) {
		uint32_t len = 0;
		int r = vmbus_chan_recv(ch, buf, sizeof(buf), &len);

		if (r == -EMSGSIZE) {
			FZ_CHECK(len > sizeof(buf), "-EMSGSIZE for %u bytes", len);
			vmbus_chan_fail(ch, "packet too large");
			return true;
		}
		if (r < 0)
			break;
		FZ_CHECK(len >= sizeof(struct vmbus_packet_desc) && len <= sizeof(buf), "packet of %u bytes", len);
		if (d->echo) {
			const struct vmbus_packet_desc *desc = (const void *)buf;
			struct iovec iov = { buf + desc->offset8 * 8u, len - desc->offset8 * 8u };

			FZ_CHECK(desc->offset8 * 8u <= len, "offset %u past the packet", desc->offset8 * 8u);
			r = vmbus_chan_send(ch, VM_PKT_COMP, 0, desc->trans_id, &iov, 1);
			if (r == -EAGAIN) {
				drained = false;
				break;
			}
			if (r == -EBADMSG || d->ch[sub] != ch)
				return true;
		}
	}
	vmbus_chan_recv_done(ch);
	return drained;
}

static const struct vmbus_dev_ops fd_ops = { fd_open, fd_close, fd_notify };

static void dev_add(unsigned i)
{
	struct fdev *d = &devs[i];

	memset(d, 0, sizeof(*d));
	for (int b = 0; b < 16; b++) {
		d->offer.class_id.b[b] = (uint8_t)(0x10 + b + i * 0x40);
		d->offer.instance_id.b[b] = (uint8_t)(0xa0 + b - i);
	}
	d->offer.chn_flags = VMBUS_CHANNEL_ENUMERATE_DEVICE_INTERFACE;
	d->offer.max_pkt = i == 0 ? 0 : 256;
	d->offer.name = "fuzz";
	d->open_ret = i == 1 ? -EIO : 0;
	d->echo = i != 1;
	d->dev = vmbus_device_add(g.bus, &d->offer, &fd_ops, d);
	FZ_CHECK(d->dev, "vmbus_device_add");
}

static struct vmbus_channel *open_chan(uint16_t relid)
{
	struct vmbus_channel *ch = relid && relid <= VMBUS_MAX_RELID ? g.bus->chan[relid] : NULL;

	return ch && ch->state == CHAN_OPEN && !ch->failed && ch->ring_view.base ? ch : NULL;
}

static struct vg_ring ring_of(struct vmbus_ring *r)
{
	return (struct vg_ring){ r->ctl, r->data, r->size };
}

static void op_device(struct fz *in)
{
	struct fdev *d = &devs[fz_u8(in) % NDEV];
	uint8_t action = fz_u8(in) % 4, arg = fz_u8(in);

	switch (action) {
	case 0:
		if (d->dev)
			vmbus_device_add_subchannel(d->dev, arg % (VMBUS_MAX_SUBCHANNELS + 2));
		break;
	case 1: {
		uint8_t pay[255];
		struct iovec iov = { pay, arg };
		struct vmbus_channel *ch = d->ch[0];

		memset(pay, 0x5a, sizeof(pay));
		if (ch && !d->gone)
			vmbus_chan_send(ch, VM_PKT_DATA_INBAND, 0, arg, &iov, 1);
		break;
	}
	case 2:
		if (d->dev) {
			vmbus_device_remove(d->dev);
			d->dev = NULL;
			d->gone = true;
		}
		break;
	case 3:
		if (!d->dev)
			dev_add((unsigned)(d - devs));
		break;
	}
}

static void op_guest_send(struct fz *in)
{
	struct vmbus_channel *ch = open_chan(fz_u16(in));
	uint8_t pkt[16 + 255];
	struct vmbus_packet_desc desc = { .type = fz_u16(in), .flags = fz_u16(in), .offset8 = 2 };
	uint8_t len = fz_u8(in);
	struct vg_ring r;

	fz_bytes(in, pkt + sizeof(desc), len);
	if (!ch)
		return;
	desc.len8 = (uint16_t)((sizeof(desc) + len + 7) / 8);
	desc.trans_id = len;
	memcpy(pkt, &desc, sizeof(desc));
	r = ring_of(&ch->in);
	if (vg_ring_put1(&r, pkt, (uint32_t)sizeof(desc) + len) == 0)
		vg_signal_conn(&g, ch->conn_id, false);
}

static void op_guest_recv(struct fz *in)
{
	struct vmbus_channel *ch = open_chan(fz_u16(in));
	uint8_t buf[1024];
	struct vg_ring r;

	if (!ch)
		return;
	r = ring_of(&ch->out);
	for (unsigned i = 0; i < 1024 && vg_ring_get(&r, buf, sizeof(buf)) > 0; i++)
		;
	/* The host may wait for this room. */
	vg_signal_conn(&g, ch->conn_id, false);
}

static void op_ring_ctl(struct fz *in)
{
	struct vmbus_channel *ch = open_chan(fz_u16(in));
	uint8_t field = fz_u8(in);
	uint32_t val = fz_u32(in);
	struct vmbus_ring_control *ctl;

	if (!ch)
		return;
	ctl = field & 4 ? ch->out.ctl : ch->in.ctl;
	switch (field & 3) {
	case 0: __atomic_store_n(&ctl->write_index, val, __ATOMIC_RELEASE); break;
	case 1: __atomic_store_n(&ctl->read_index, val, __ATOMIC_RELEASE); break;
	case 2: __atomic_store_n(&ctl->interrupt_mask, val, __ATOMIC_RELEASE); break;
	case 3: __atomic_store_n(&ctl->pending_send_sz, val, __ATOMIC_RELEASE); break;
	}
}

static void op_signal(struct fz *in)
{
	uint16_t relid = fz_u16(in);
	uint8_t how = fz_u8(in) % 3;
	uint8_t *send_half;

	if (how < 2) {
		vg_signal_conn(&g, (uint32_t)relid | VMBUS_MESSAGE_SINT << 12, how == 1);
		return;
	}
	/* Before Windows 8: the relid's bit in the send half of the interrupt page. */
	send_half = gmem_ptr(&g.mem, VG_INT_PAGE + 2048, 2048);
	if (send_half)
		send_half[(relid / 8) % 2048] |= (uint8_t)(1u << (relid % 8));
	vg_signal_conn(&g, VMBUS_EVENT_CONNECTION_ID, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };

	fuzz_quiet_logs();
	fuzz_guest_init(&g, FZ_VS_RAM, FZ_VS_NVP);
	for (unsigned i = 0; i < NDEV; i++)
		dev_add(i);
	while (in.n) {
		switch (fz_u8(&in) % VS_OP_COUNT) {
		case VS_OP_POST: {
			uint8_t c = fz_u8(&in), len = fz_u8(&in), msg[255];
			uint32_t conn = c == 0 ? g.msg_conn : c == 1 ? VMBUS_MESSAGE_CONNECTION_ID_4 : c;

			fz_bytes(&in, msg, len);
			vg_post_raw(&g, 0, conn, msg, len);
			break;
		}
		case VS_OP_WRITE_MEM: {
			uint32_t gpa = fz_u32(&in) % FZ_VS_RAM;
			uint8_t len = fz_u8(&in), buf[255];

			fz_bytes(&in, buf, len);
			gmem_write(&g.mem, gpa, buf, len <= FZ_VS_RAM - gpa ? len : FZ_VS_RAM - gpa);
			break;
		}
		case VS_OP_SIGNAL: op_signal(&in); break;
		case VS_OP_GUEST_SEND: op_guest_send(&in); break;
		case VS_OP_GUEST_RECV: op_guest_recv(&in); break;
		case VS_OP_DEVICE: op_device(&in); break;
		case VS_OP_RESET:
			vmbus_reset(g.bus);
			g.msg_conn = VMBUS_MESSAGE_CONNECTION_ID;
			break;
		case VS_OP_RING_CTL: op_ring_ctl(&in); break;
		}
		vg_settle(&g);
	}
	vg_destroy(&g);
	return 0;
}
