/* SPDX-License-Identifier: MIT */
/*
 * The VMBus server and the interface devices use.
 *
 * A device makes an offer (class and instance GUID); when the guest opens a channel
 * of it, the device's open callback runs, then notify whenever the guest signals
 * (packets to read, or room freed in a ring the device waits on). Devices read and
 * write packets with vmbus_chan_recv()/vmbus_chan_send() and never see KVM, the SynIC
 * or the channel-management protocol. Everything here runs on the event-loop thread.
 */
#ifndef HVKVM_VMBUS_H
#define HVKVM_VMBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "memory.h"
#include "vmbus_proto.h"

struct vmbus;
struct vmbus_device;
struct vmbus_channel;
struct hv;
struct loop;

#define VMBUS_MAX_SUBCHANNELS	64

struct vmbus_dev_ops {
	/* The guest opened ch (primary or sub-channel). Return 0 or a negative errno:
	 * the guest then sees the open fail. */
	int (*open)(struct vmbus_channel *ch, void *opaque);
	/* The channel closed (guest close, rescind, unload or reset): stop using it. */
	void (*close)(struct vmbus_channel *ch, void *opaque);
	/* The guest signalled. Read everything there is; return false if the device
	 * stopped early because it waits for the guest (a full host-to-guest ring), true
	 * when the ring was drained. */
	bool (*notify)(struct vmbus_channel *ch, void *opaque);
};

struct vmbus_offer {
	struct vmbus_guid class_id;
	struct vmbus_guid instance_id;
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	uint8_t user_def[VMBUS_MAX_USER_DEFINED_BYTES];
	uint32_t max_pkt;	/* largest packet the guest driver reads; 0: 4096 */
	const char *name;	/* for logs */
};

/* ---- the server ------------------------------------------------------------------ */

struct vmbus *vmbus_new(struct loop *loop, const struct gmem *mem, struct hv *hv, unsigned nvp);
void vmbus_free(struct vmbus *bus);
/* Back to "not connected", every channel closed (guest reset). */
void vmbus_reset(struct vmbus *bus);
/* The loop the bus runs on: its devices' timers go there. */
struct loop *vmbus_loop(const struct vmbus *bus);
/* MMIO windows the guest may hand to VMBus devices (virtual PCI BARs, frame
 * buffers), for the machine's firmware tables: below 4 GiB up to the I/O APIC, and
 * one above RAM, 1 GiB aligned. */
struct vmbus_mmio_window {
	uint64_t base;
	uint64_t size;
};
void vmbus_mmio_windows(const struct vmbus *bus, struct vmbus_mmio_window *low,
			struct vmbus_mmio_window *high);
void vmbus_print_stats(struct vmbus *bus, FILE *out);
/* One channel's counters since it was opened: packets and signals each way. */
struct vmbus_chan_stats {
	uint32_t relid;
	const char *name;	/* the device's offer name, "?" without one */
	uint64_t pkts_in, pkts_out, signals_in, signals_out;
};
/* fn for each channel that exists now, by relid. */
void vmbus_foreach_chan_stats(struct vmbus *bus, void (*fn)(void *opaque, const struct vmbus_chan_stats *st),
			      void *opaque);
/* The negotiated protocol version, 0 while not connected. */
uint32_t vmbus_version(const struct vmbus *bus);

/* A guest socket asks to connect to a host service (CHANNELMSG_TL_CONNECT_REQUEST,
 * from protocol 4.0): the handler answers, if it will, by offering a socket channel.
 * One handler a bus; NULL removes it. Without one the requests are dropped. */
typedef void vmbus_tl_connect_fn(void *opaque, const struct vmbus_guid *guest_endpoint,
				 const struct vmbus_guid *host_service);
void vmbus_set_tl_connect(struct vmbus *bus, vmbus_tl_connect_fn *fn, void *opaque);

/* ---- devices ------------------------------------------------------------------- */

/* Offer a device; the guest sees it at once if connected. NULL on failure. */
struct vmbus_device *vmbus_device_add(struct vmbus *bus, const struct vmbus_offer *offer,
				      const struct vmbus_dev_ops *ops, void *opaque);
/* Rescind the offer (hot-unplug); the device's callbacks are not called afterwards. */
void vmbus_device_remove(struct vmbus_device *dev);
/* Offer sub-channel index (1..VMBUS_MAX_SUBCHANNELS) of an open primary channel. */
int vmbus_device_add_subchannel(struct vmbus_device *dev, uint16_t index);
/* Close and rescind every sub-channel, as Hyper-V does when the primary closes: the
 * guest asks for fresh ones when it opens the primary again, and their indices are
 * free for that at once (the old relids wait for RELID_RELEASED). */
void vmbus_device_remove_subchannels(struct vmbus_device *dev);
struct vmbus *vmbus_device_bus(struct vmbus_device *dev);

/* ---- channels ------------------------------------------------------------------ */

struct vmbus_device *vmbus_chan_device(struct vmbus_channel *ch);
uint16_t vmbus_chan_subchannel(const struct vmbus_channel *ch);	/* 0: primary */
uint32_t vmbus_chan_relid(const struct vmbus_channel *ch);
uint32_t vmbus_chan_target_vp(const struct vmbus_channel *ch);
/* Per-channel device state. */
void vmbus_chan_set_priv(struct vmbus_channel *ch, void *priv);
void *vmbus_chan_priv(const struct vmbus_channel *ch);

/* Next guest packet, descriptor included: 0, -EAGAIN (none), -EMSGSIZE (buf too
 * small, *len tells), -EBADMSG (the guest broke the ring; the channel is now dead and
 * close follows, as after vmbus_chan_fail). */
int vmbus_chan_recv(struct vmbus_channel *ch, void *buf, uint32_t buflen, uint32_t *len);
/* Publish consumed packets; signals the guest if it waits for that room. */
void vmbus_chan_recv_done(struct vmbus_channel *ch);
/* Each waiting packet copied into buf (size bytes) and handed to handle, then the read
 * index published once. A packet larger than size fails the channel. handle returns
 * false when the channel closed under it: nothing more is read. True when the ring was
 * drained and the read index published. */
bool vmbus_chan_recv_each(struct vmbus_channel *ch, void *buf, uint32_t size,
			  bool (*handle)(void *opaque, const void *pkt, uint32_t len), void *opaque);

/* Send a packet of `type` whose payload is iov (the descriptor is built here):
 * 0, -EAGAIN (ring full: notify follows when the guest makes room), -EMSGSIZE,
 * -EBADMSG, -EPIPE (channel not open). */
int vmbus_chan_send(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t trans_id,
		    const struct iovec *iov, unsigned n);
/* The largest packet, descriptor included, vmbus_chan_send takes now (the guest's
 * ring has room for it), and the largest it ever takes (the ring's size and the
 * offer's max_pkt): 0 when the channel is not open. */
uint32_t vmbus_chan_send_room(struct vmbus_channel *ch);
uint32_t vmbus_chan_send_max(struct vmbus_channel *ch);
/* Packets sent from hold to flush signal the guest once, at the flush, if any of them
 * would have (the ring was empty): a device writing several packets at once wakes the
 * guest to all of them rather than to the first while it writes the rest. */
void vmbus_chan_send_hold(struct vmbus_channel *ch);
void vmbus_chan_send_flush(struct vmbus_channel *ch);
/* Send a packet whose first iov element is its full header (descriptor and any
 * transfer-page header), as is: for packet kinds with more than a descriptor. */
int vmbus_chan_send_raw(struct vmbus_channel *ch, const struct iovec *iov, unsigned n);

/* A host view of a GPADL the guest created for this channel's device (e.g. NetVSC's
 * buffers): one page-aligned range, *npages pages. The device holds the GPADL until
 * vmbus_chan_gpadl_put(): a teardown the guest asks for meanwhile is answered only
 * then, so the host never writes into memory the guest has taken back. */
int vmbus_chan_gpadl_view(struct vmbus_channel *ch, uint32_t gpadl, struct gmem_view *v,
			  uint32_t *npages);
void vmbus_chan_gpadl_put(struct vmbus_channel *ch, uint32_t gpadl, struct gmem_view *v);

/* Run the device's notify again soon, from the loop (never inside this call), as if
 * the guest had signalled: a device that stopped reading for a reason of its own (its
 * host side was full) resumes with this. */
void vmbus_chan_kick(struct vmbus_channel *ch);

/* The device found the guest's data malformed beyond recovery: close the channel
 * from the host side (the guest sees it stop). Calls on the channel fail from now on;
 * the device's close callback runs later, from the loop, never inside this call or
 * inside the vmbus_chan_recv/send that found a ring broken. */
void vmbus_chan_fail(struct vmbus_channel *ch, const char *why);

#endif
