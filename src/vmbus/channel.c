/* SPDX-License-Identifier: MIT */
/*
 * The data path of a channel: its rings, the eventfd guest signals land on, the
 * device callbacks, and signalling the guest back.
 */
#include "vmbus_internal.h"
#include "hv.h"
#include "iov.h"
#include "log.h"
#include "loop.h"
#include "synic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define VMBUS_DEFAULT_MAX_PKT	4096

static const char *chan_name(const struct vmbus_channel *ch)
{
	return ch->dev->offer.name ? ch->dev->offer.name : "device";
}

/* Run the device while the guest keeps the ring busy. The interrupt mask tells the
 * guest not to signal for packets written meanwhile; after unmasking, look once more
 * for one written just before. */
static void chan_on_signal(void *opaque, uint32_t events)
{
	struct vmbus_channel *ch = opaque;
	uint64_t n;

	(void)events;
	if (read(ch->efd, &n, sizeof(n)) != sizeof(n))
		return;
	if (ch->close_pending) {
		/* vmbus_chan_fail() woke us: the device hears of it now, outside its own calls. */
		ch->close_pending = false;
		ch->dev->ops->close(ch, ch->dev->opaque);
		return;
	}
	ch->signals_in += n;
	while (ch->state == CHAN_OPEN && !ch->failed) {
		bool drained;

		vmbus_ring_mask(&ch->in);
		drained = ch->dev->ops->notify(ch, ch->dev->opaque);
		if (ch->state != CHAN_OPEN || ch->failed)
			return;
		if (!vmbus_ring_unmask(&ch->in) || !drained)
			return;
	}
}

struct vmbus_channel *vmbus_chan_new(struct vmbus *bus, struct vmbus_device *dev, uint16_t subidx)
{
	struct vmbus_channel *ch;
	uint32_t relid;

	for (relid = 1; relid <= VMBUS_MAX_RELID && bus->chan[relid]; relid++)
		;
	if (relid > VMBUS_MAX_RELID)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->bus = bus;
	ch->dev = dev;
	ch->relid = relid;
	/* The form Hyper-V uses: the relid with the VMBus SINT above it. */
	ch->conn_id = relid | (VMBUS_MESSAGE_SINT << 12);
	ch->subidx = subidx;
	ch->state = CHAN_IDLE;
	ch->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ch->efd < 0)
		goto fail;
	if (hv_connect_eventfd(bus->hv, ch->conn_id, ch->efd) < 0)
		goto fail;
	if (loop_add_fd(bus->loop, ch->efd, EPOLLIN, chan_on_signal, ch) < 0) {
		hv_disconnect(bus->hv, ch->conn_id);
		goto fail;
	}
	pthread_mutex_lock(&bus->chan_lock);
	bus->chan[relid] = ch;
	pthread_mutex_unlock(&bus->chan_lock);
	return ch;
fail:
	if (ch->efd >= 0)
		close(ch->efd);
	free(ch);
	return NULL;
}

void vmbus_chan_free(struct vmbus_channel *ch)
{
	struct vmbus *bus = ch->bus;

	if (ch->state == CHAN_OPEN)
		vmbus_chan_close(ch);
	loop_del_fd(bus->loop, ch->efd);
	hv_disconnect(bus->hv, ch->conn_id);
	pthread_mutex_lock(&bus->chan_lock);
	bus->chan[ch->relid] = NULL;
	close(ch->efd);
	pthread_mutex_unlock(&bus->chan_lock);
	bool attached = false;

	for (unsigned i = 0; i <= VMBUS_MAX_SUBCHANNELS; i++) {
		if (ch->dev->chan[i] == ch) {
			ch->dev->chan[i] = NULL;
			attached = true;
		}
	}
	if (!attached && ch->dev->detached)
		ch->dev->detached--;
	if (ch->pkts_in || ch->pkts_out) {
		unsigned i = (unsigned)(bus->gone_count++ % VMBUS_STATS_GONE);

		bus->gone[i].relid = ch->relid;
		snprintf(bus->gone[i].name, sizeof(bus->gone[i].name), "%s", chan_name(ch));
		bus->gone[i].pkts_in = ch->pkts_in;
		bus->gone[i].pkts_out = ch->pkts_out;
		bus->gone[i].signals_in = ch->signals_in;
		bus->gone[i].signals_out = ch->signals_out;
	}
	free(ch);
}

void vmbus_chan_fill_offer(const struct vmbus_channel *ch, struct vmbus_msg_offer_channel *m)
{
	const struct vmbus_offer *o = &ch->dev->offer;

	memset(m, 0, sizeof(*m));
	m->header.msgtype = CHANNELMSG_OFFERCHANNEL;
	m->offer.if_type = o->class_id;
	m->offer.if_instance = o->instance_id;
	m->offer.chn_flags = o->chn_flags;
	m->offer.mmio_megabytes = o->mmio_megabytes;
	memcpy(m->offer.user_def, o->user_def, sizeof(m->offer.user_def));
	m->offer.sub_channel_index = ch->subidx;
	m->child_relid = ch->relid;
	/* No monitor pages: the guest then signals with HvSignalEvent, which hvkvm sees. */
	m->monitorid = 0xff;
	m->monitor_allocated = 0;
	m->is_dedicated_interrupt = 1;
	m->connection_id = ch->conn_id;
}

int vmbus_chan_open(struct vmbus_channel *ch, struct vmbus_gpadl *g, uint32_t downstream_pages,
		    uint32_t target_vp)
{
	struct vmbus *bus = ch->bus;
	size_t up, down;
	int r;

	/* One range, page aligned, both rings at least a control and a data page. */
	if (g->nranges != 1 || g->ranges[0].byte_offset != 0 ||
	    g->ranges[0].byte_count != (uint64_t)g->npfns * GMEM_PAGE_SIZE ||
	    g->npfns < 4 || downstream_pages < 2 || downstream_pages > g->npfns - 2 ||
	    target_vp >= bus->nvp)
		return -EINVAL;
	r = vmbus_gpadl_view(g, bus->mem, 0, g->npfns, &ch->ring_view);
	if (r < 0)
		return r;
	up = (size_t)downstream_pages * GMEM_PAGE_SIZE;
	down = ch->ring_view.len - up;
	r = vmbus_ring_init(&ch->in, ch->ring_view.base, up, true);
	if (r == 0)
		r = vmbus_ring_init(&ch->out, ch->ring_view.base + up, down, false);
	if (r < 0) {
		gmem_view_release(&ch->ring_view);
		return r;
	}
	ch->ring_gpadl = g;
	g->users++;
	ch->target_vp = target_vp;
	ch->failed = false;
	ch->close_pending = false;
	ch->state = CHAN_OPEN;
	r = ch->dev->ops->open(ch, ch->dev->opaque);
	if (r < 0) {
		ch->state = CHAN_OFFERED;
		g->users--;
		ch->ring_gpadl = NULL;
		gmem_view_release(&ch->ring_view);
		return r;
	}
	return 0;
}

/* One user of g fewer; the guest may have asked to tear it down meanwhile. */
static void gpadl_unuse(struct vmbus *bus, struct vmbus_gpadl *g)
{
	g->users--;
	if (g->users == 0 && g->teardown_pending) {
		struct vmbus_msg_gpadl_torndown m = {
			.header.msgtype = CHANNELMSG_GPADL_TORNDOWN,
			.gpadl = g->id,
		};

		vmbus_gpadl_remove(&bus->gpadls, g);
		if (bus->connected)
			vmbus_send_msg(bus, &m, sizeof(m));
	}
}

static void chan_release_ring(struct vmbus_channel *ch)
{
	struct vmbus_gpadl *g = ch->ring_gpadl;

	gmem_view_release(&ch->ring_view);
	ch->ring_gpadl = NULL;
	if (g)
		gpadl_unuse(ch->bus, g);
}

void vmbus_chan_close(struct vmbus_channel *ch)
{
	if (ch->state != CHAN_OPEN && !ch->ring_gpadl)
		return;
	if (ch->state == CHAN_OPEN) {
		ch->state = CHAN_OFFERED;
		/* A failed channel's device was told, or is about to be: once, here. */
		if (!ch->failed || ch->close_pending)
			ch->dev->ops->close(ch, ch->dev->opaque);
		ch->close_pending = false;
	}
	chan_release_ring(ch);
}

/*
 * The device's close runs later, from the loop: this is called from inside the
 * device (its own vmbus_chan_fail, or a vmbus_chan_recv/send that found the ring
 * broken), which must be able to go on using its state until it returns. Until then
 * every call on the channel fails with -EPIPE.
 */
void vmbus_chan_fail(struct vmbus_channel *ch, const char *why)
{
	uint64_t one = 1;

	if (ch->failed)
		return;
	log_error("vmbus: %s channel %u: %s; closing it", chan_name(ch), ch->relid, why);
	ch->failed = true;
	if (ch->state != CHAN_OPEN)
		return;
	ch->close_pending = true;
	if (write(ch->efd, &one, sizeof(one)) != sizeof(one)) {
		/* The counter cannot overflow from here; never leave the device unaware. */
		ch->close_pending = false;
		ch->dev->ops->close(ch, ch->dev->opaque);
	}
}

void vmbus_chan_kick(struct vmbus_channel *ch)
{
	uint64_t one = 1;

	if (ch->state != CHAN_OPEN || ch->failed)
		return;
	/* The counter cannot overflow from here; a failed write loses nothing that a
	 * pending wake-up does not already bring. */
	if (write(ch->efd, &one, sizeof(one)) != sizeof(one))
		log_debug("vmbus: %s channel %u: wake-up not queued", chan_name(ch), ch->relid);
}

void vmbus_chan_signal(struct vmbus_channel *ch)
{
	struct vmbus *bus = ch->bus;

	ch->signals_out++;
	if (bus->version >= VMBUS_VERSION_WIN8) {
		/* Guests scan the event flags of the VMBus SINT, whichever SINT they chose
		 * for messages. */
		synic_signal_event(bus->synic, ch->target_vp, VMBUS_MESSAGE_SINT, ch->relid);
		return;
	}
	/* Older protocols: the relid's bit in the receive half of the interrupt page, and
	 * event flag 0 on VP 0. */
	uint8_t *page = bus->int_page ? gmem_ptr(bus->mem, bus->int_page, GMEM_PAGE_SIZE / 2) : NULL;

	if (page)
		__atomic_fetch_or(page + ch->relid / 8, (uint8_t)(1u << (ch->relid % 8)), __ATOMIC_SEQ_CST);
	synic_signal_event(bus->synic, 0, VMBUS_MESSAGE_SINT, 0);
}

struct vmbus_device *vmbus_chan_device(struct vmbus_channel *ch)
{
	return ch->dev;
}

uint16_t vmbus_chan_subchannel(const struct vmbus_channel *ch)
{
	return ch->subidx;
}

uint32_t vmbus_chan_relid(const struct vmbus_channel *ch)
{
	return ch->relid;
}

uint32_t vmbus_chan_target_vp(const struct vmbus_channel *ch)
{
	return ch->target_vp;
}

void vmbus_chan_set_priv(struct vmbus_channel *ch, void *priv)
{
	ch->priv = priv;
}

void *vmbus_chan_priv(const struct vmbus_channel *ch)
{
	return ch->priv;
}

int vmbus_chan_recv(struct vmbus_channel *ch, void *buf, uint32_t buflen, uint32_t *len)
{
	int r;

	if (ch->state != CHAN_OPEN || ch->failed)
		return -EPIPE;
	r = vmbus_ring_recv(&ch->in, buf, buflen, len);
	if (r == 0)
		ch->pkts_in++;
	else if (r == -EBADMSG)
		vmbus_chan_fail(ch, "the guest corrupted its ring (indices or packet descriptor)");
	return r;
}

void vmbus_chan_recv_done(struct vmbus_channel *ch)
{
	if (ch->state == CHAN_OPEN && !ch->failed && vmbus_ring_recv_done(&ch->in))
		vmbus_chan_signal(ch);
}

bool vmbus_chan_recv_each(struct vmbus_channel *ch, void *buf, uint32_t size,
			  bool (*handle)(void *opaque, const void *pkt, uint32_t len), void *opaque)
{
	uint32_t len;
	int r;

	while ((r = vmbus_chan_recv(ch, buf, size, &len)) != -EAGAIN) {
		if (r == -EMSGSIZE) {
			vmbus_chan_fail(ch, "packet larger than any message");
			return false;
		}
		if (r < 0 || !handle(opaque, buf, len))
			return false;
	}
	vmbus_chan_recv_done(ch);
	return true;
}

static uint32_t chan_max_pkt(const struct vmbus_channel *ch)
{
	return ch->dev->offer.max_pkt ? ch->dev->offer.max_pkt : VMBUS_DEFAULT_MAX_PKT;
}

uint32_t vmbus_chan_send_max(struct vmbus_channel *ch)
{
	uint32_t ring;

	if (ch->state != CHAN_OPEN || ch->failed)
		return 0;
	ring = vmbus_ring_send_max(&ch->out);
	return ring < chan_max_pkt(ch) ? ring : chan_max_pkt(ch);
}

uint32_t vmbus_chan_send_room(struct vmbus_channel *ch)
{
	uint32_t room, max;

	if (ch->state != CHAN_OPEN || ch->failed)
		return 0;
	room = vmbus_ring_send_room(&ch->out);
	max = chan_max_pkt(ch);
	return room < max ? room : max;
}

static int chan_send(struct vmbus_channel *ch, const struct iovec *iov, unsigned n, uint64_t len)
{
	uint32_t max = chan_max_pkt(ch);
	bool signal;
	int r;

	if (ch->state != CHAN_OPEN || ch->failed)
		return -EPIPE;
	/* A packet larger than the guest driver reads would desynchronise its ring. */
	if (len > max)
		return -EMSGSIZE;
	r = vmbus_ring_send(&ch->out, iov, n, &signal);
	if (r == -EBADMSG) {
		vmbus_chan_fail(ch, "the guest corrupted its receive ring's read index");
		return r;
	}
	if (r == 0) {
		ch->pkts_out++;
		if (signal && ch->hold_signal)
			ch->signal_owed = true;
		else if (signal)
			vmbus_chan_signal(ch);
	}
	return r;
}

void vmbus_chan_send_hold(struct vmbus_channel *ch)
{
	ch->hold_signal = true;
}

void vmbus_chan_send_flush(struct vmbus_channel *ch)
{
	bool owed = ch->signal_owed;

	ch->hold_signal = false;
	ch->signal_owed = false;
	if (owed && ch->state == CHAN_OPEN && !ch->failed)
		vmbus_chan_signal(ch);
}

int vmbus_chan_send(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t trans_id,
		    const struct iovec *iov, unsigned n)
{
	struct iovec v[9];
	struct vmbus_packet_desc d = { .type = type, .offset8 = sizeof(d) / 8, .flags = flags, .trans_id = trans_id };
	uint64_t len = sizeof(d) + iov_size(iov, n);

	if (n > 8)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		v[i + 1] = iov[i];
	if (len > 0xffff * 8)
		return -EMSGSIZE;
	d.len8 = (uint16_t)((len + 7) / 8);
	v[0] = (struct iovec){ &d, sizeof(d) };
	return chan_send(ch, v, n + 1, len);
}

int vmbus_chan_send_raw(struct vmbus_channel *ch, const struct iovec *iov, unsigned n)
{
	return chan_send(ch, iov, n, iov_size(iov, n));
}

int vmbus_chan_gpadl_view(struct vmbus_channel *ch, uint32_t gpadl, struct gmem_view *v, uint32_t *npages)
{
	struct vmbus_gpadl *g = vmbus_gpadl_find(&ch->bus->gpadls, gpadl);
	struct vmbus_channel *primary = ch->dev->chan[0];
	int r;

	if (!g || !g->complete || !primary || g->relid != primary->relid || g->teardown_pending)
		return -ENOENT;
	if (g->nranges != 1 || g->ranges[0].byte_offset != 0 ||
	    g->ranges[0].byte_count != (uint64_t)g->npfns * GMEM_PAGE_SIZE)
		return -EINVAL;
	r = vmbus_gpadl_view(g, ch->bus->mem, 0, g->npfns, v);
	if (r == 0) {
		*npages = g->npfns;
		g->users++;
	}
	return r;
}

void vmbus_chan_gpadl_put(struct vmbus_channel *ch, uint32_t gpadl, struct gmem_view *v)
{
	struct vmbus_gpadl *g = vmbus_gpadl_find(&ch->bus->gpadls, gpadl);

	gmem_view_release(v);
	if (g && g->users)
		gpadl_unuse(ch->bus, g);
}
