/* SPDX-License-Identifier: MIT */
/*
 * The VMBus channel-management protocol, host side.
 *
 * Guest messages arrive by HvCallPostMessage on vCPU threads; they are copied into a
 * queue and handled in order on the event loop, where everything else of VMBus runs.
 * The guest waits, without a timeout, for the answer to most requests, so every
 * request gets one, failures included; malformed messages are logged and dropped.
 */
#include "vmbus_internal.h"
#include "hv.h"
#include "log.h"
#include "loop.h"
#include "synic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint32_t supported_versions[] = {
	VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1,
	VMBUS_VERSION_WIN10_V5, VMBUS_VERSION_WIN10_V4_1, VMBUS_VERSION_WIN10,
	VMBUS_VERSION_WIN8_1, VMBUS_VERSION_WIN8, VMBUS_VERSION_WIN7, VMBUS_VERSION_WS2008,
};

/* MMIO windows the guest may hand to VMBus devices (virtual PCI BARs, frame buffers):
 * below 4 GiB up to the I/O APIC, and one above RAM. */
#define VMBUS_MMIO_LOW_BASE	0xc0000000ull
#define VMBUS_MMIO_LOW_END	0xfec00000ull
#define VMBUS_MMIO_HIGH_SIZE	(64ull << 30)

/* ---- sending --------------------------------------------------------------------- */

static void outq_drain(struct vmbus *bus)
{
	while (bus->outq_count) {
		struct vmbus_inmsg *m = &bus->outq[bus->outq_head];

		if (synic_post_message(bus->synic, bus->msg_vp, bus->msg_sint, VMBUS_MESSAGE_TYPE, 0,
				       m->data, m->len) == -EAGAIN) {
			/* The guest has not emptied its message slot yet; try again soon. */
			loop_timer_arm(bus->outq_timer, 2000000, 0);
			return;
		}
		bus->outq_head = (bus->outq_head + 1) % VMBUS_OUTQ_LEN;
		bus->outq_count--;
	}
}

static void outq_retry(void *opaque)
{
	outq_drain(opaque);
}

void vmbus_send_msg(struct vmbus *bus, const void *msg, uint32_t len)
{
	uint32_t type = ((const struct vmbus_msg_header *)msg)->msgtype;
	struct vmbus_inmsg *m;

	if (type < CHANNELMSG_COUNT)
		bus->msgs_out[type]++;
	if (bus->outq_count == VMBUS_OUTQ_LEN) {
		log_error("vmbus: %u messages wait for the guest to read its message slot; dropping message %u",
			  VMBUS_OUTQ_LEN, type);
		return;
	}
	m = &bus->outq[(bus->outq_head + bus->outq_count) % VMBUS_OUTQ_LEN];
	m->len = len;
	memcpy(m->data, msg, len);
	bus->outq_count++;
	if (bus->outq_count == 1)
		outq_drain(bus);
}

static void send_offer(struct vmbus_channel *ch)
{
	struct vmbus_msg_offer_channel m;

	vmbus_chan_fill_offer(ch, &m);
	ch->state = CHAN_OFFERED;
	vmbus_send_msg(ch->bus, &m, sizeof(m));
}

static void send_relid_msg(struct vmbus *bus, uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid m = { .header.msgtype = type, .child_relid = relid };

	vmbus_send_msg(bus, &m, sizeof(m));
}

/* ---- devices and channels -------------------------------------------------------- */

static bool device_unused(const struct vmbus_device *dev)
{
	for (unsigned i = 0; i <= VMBUS_MAX_SUBCHANNELS; i++)
		if (dev->chan[i])
			return false;
	return dev->detached == 0;
}

static void device_free_if_gone(struct vmbus *bus, struct vmbus_device *dev)
{
	if (!dev->removed || !device_unused(dev))
		return;
	for (struct vmbus_device **pp = &bus->devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			free(dev);
			return;
		}
	}
}

/* Drop a channel's relid for good, with the GPADLs the guest made for it. The device
 * stays: the caller frees it (device_free_if_gone) once it is done with it. */
static void channel_release(struct vmbus_channel *ch)
{
	struct vmbus *bus = ch->bus;
	uint32_t relid = ch->relid;
	struct vmbus_gpadl *g = bus->gpadls.head;

	vmbus_chan_free(ch);
	while (g) {
		struct vmbus_gpadl *next = g->next;

		if (g->relid == relid && g->users == 0)
			vmbus_gpadl_remove(&bus->gpadls, g);
		g = next;
	}
}

/* The connection ends (UNLOAD, a new INITIATE_CONTACT, a VM reset): every channel is
 * closed, rescinded ones are gone, the others wait to be offered again. */
static void vmbus_disconnect(struct vmbus *bus)
{
	/* First: nothing the closing channels cause (GPADL teardowns, rescinds) is
	 * sent into a connection that is ending. */
	bus->connected = false;
	for (uint32_t relid = 1; relid <= VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = bus->chan[relid];

		if (!ch)
			continue;
		vmbus_chan_close(ch);
		/* Sub-channels exist only while their primary is open: the device asks for
		 * them again on the next connection. */
		if (ch->state == CHAN_RESCINDED || ch->dev->removed || ch->subidx) {
			struct vmbus_device *dev = ch->dev;

			channel_release(ch);
			device_free_if_gone(bus, dev);
		} else {
			ch->state = CHAN_IDLE;
		}
	}
	vmbus_gpadl_clear(&bus->gpadls);
	bus->offers_requested = false;
	bus->version = 0;
	bus->int_page = 0;
	bus->outq_count = 0;
	loop_timer_disarm(bus->outq_timer);
}

struct vmbus_device *vmbus_device_add(struct vmbus *bus, const struct vmbus_offer *offer,
				      const struct vmbus_dev_ops *ops, void *opaque)
{
	struct vmbus_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->bus = bus;
	dev->offer = *offer;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->chan[0] = vmbus_chan_new(bus, dev, 0);
	if (!dev->chan[0]) {
		free(dev);
		return NULL;
	}
	dev->next = bus->devices;
	bus->devices = dev;
	if (bus->connected && bus->offers_requested)
		send_offer(dev->chan[0]);
	return dev;
}

int vmbus_device_add_subchannel(struct vmbus_device *dev, uint16_t index)
{
	struct vmbus *bus = dev->bus;

	if (index == 0 || index > VMBUS_MAX_SUBCHANNELS || dev->chan[index] || dev->removed)
		return -EINVAL;
	if (!dev->chan[0] || dev->chan[0]->state != CHAN_OPEN || bus->version < VMBUS_VERSION_WIN8)
		return -EPIPE;
	dev->chan[index] = vmbus_chan_new(bus, dev, index);
	if (!dev->chan[index])
		return -ENOSPC;
	send_offer(dev->chan[index]);
	return 0;
}

/* Close ch and take its offer back: released at once when the guest never saw it open
 * or is gone (false), else rescinded once and kept until RELID_RELEASED (true). */
static bool channel_rescind(struct vmbus *bus, struct vmbus_channel *ch)
{
	vmbus_chan_close(ch);
	if (ch->state == CHAN_IDLE || !bus->connected) {
		channel_release(ch);
		return false;
	}
	if (ch->state != CHAN_RESCINDED) {
		ch->state = CHAN_RESCINDED;
		send_relid_msg(bus, CHANNELMSG_RESCIND_CHANNELOFFER, ch->relid);
	}
	return true;
}

void vmbus_device_remove_subchannels(struct vmbus_device *dev)
{
	struct vmbus *bus = dev->bus;

	for (unsigned i = 1; i <= VMBUS_MAX_SUBCHANNELS; i++) {
		struct vmbus_channel *ch = dev->chan[i];

		if (!ch || !channel_rescind(bus, ch))
			continue;
		/* The relid stays taken until the guest releases it; the index is free. */
		dev->chan[i] = NULL;
		dev->detached++;
	}
}

void vmbus_device_remove(struct vmbus_device *dev)
{
	struct vmbus *bus = dev->bus;

	dev->removed = true;
	for (int i = VMBUS_MAX_SUBCHANNELS; i >= 0; i--) {
		struct vmbus_channel *ch = dev->chan[i];

		if (ch)
			channel_rescind(bus, ch);
	}
	device_free_if_gone(bus, dev);
}

struct vmbus *vmbus_device_bus(struct vmbus_device *dev)
{
	return dev->bus;
}

/* ---- guest requests -------------------------------------------------------------- */

static bool version_supported(uint32_t v)
{
	for (size_t i = 0; i < sizeof(supported_versions) / sizeof(supported_versions[0]); i++)
		if (supported_versions[i] == v)
			return true;
	return false;
}

static void handle_initiate_contact(struct vmbus *bus, const struct vmbus_msg_initiate_contact *m)
{
	struct vmbus_msg_version_response r = { .header.msgtype = CHANNELMSG_VERSION_RESPONSE };
	uint32_t v = m->version_requested;
	bool ok = version_supported(v);

	/* A new contact ends the old one, whatever state it was in: firmware and boot
	 * loaders hand a live connection over, and kexec'd kernels start over. */
	if (bus->connected)
		vmbus_disconnect(bus);
	/* Where the answer goes: the VP the guest named (from Windows 8.1), on the SINT it
	 * named (from 5.0). An impossible choice gets VP 0 or SINT 2. */
	bus->msg_vp = v >= VMBUS_VERSION_WIN8_1 && m->target_vcpu < bus->nvp ? m->target_vcpu : 0;
	bus->msg_sint = v >= VMBUS_VERSION_WIN10_V5 && m->msg_sint < HV_SINT_COUNT ? m->msg_sint
										    : VMBUS_MESSAGE_SINT;
	if (ok) {
		bus->connected = true;
		bus->version = v;
		bus->int_page = v < VMBUS_VERSION_WIN10_V5 ? m->interrupt_page & ~(GMEM_PAGE_SIZE - 1) : 0;
		r.version_supported = 1;
		r.msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID;
		log_info("vmbus: guest connected with protocol %u.%u", v >> 16, v & 0xffff);
	} else {
		log_debug("vmbus: guest asked for protocol %u.%u: refused", v >> 16, v & 0xffff);
	}
	vmbus_send_msg(bus, &r, sizeof(r));
}

static void handle_request_offers(struct vmbus *bus)
{
	struct vmbus_msg_header done = { .msgtype = CHANNELMSG_ALLOFFERS_DELIVERED };

	bus->offers_requested = true;
	/* Primary channels only: sub-channels are offered when their device asks. */
	for (uint32_t relid = 1; relid <= VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = bus->chan[relid];

		if (ch && ch->state == CHAN_IDLE && ch->subidx == 0 && !ch->dev->removed)
			send_offer(ch);
	}
	vmbus_send_msg(bus, &done, sizeof(done));
}

static void send_gpadl_created(struct vmbus *bus, uint32_t relid, uint32_t gpadl, bool ok)
{
	struct vmbus_msg_gpadl_created r = {
		.header.msgtype = CHANNELMSG_GPADL_CREATED,
		.child_relid = relid,
		.gpadl = gpadl,
		.creation_status = ok ? 0 : VMBUS_STATUS_FAIL,
	};

	vmbus_send_msg(bus, &r, sizeof(r));
}

static void handle_gpadl_header(struct vmbus *bus, const uint8_t *msg, uint32_t len)
{
	struct vmbus_msg_gpadl_header h;
	struct vmbus_gpadl *g;
	int r;

	memcpy(&h, msg, sizeof(h));
	if (h.child_relid == 0 || h.child_relid > VMBUS_MAX_RELID || !bus->chan[h.child_relid]) {
		log_debug("vmbus: GPADL %u for unknown channel %u", h.gpadl, h.child_relid);
		send_gpadl_created(bus, h.child_relid, h.gpadl, false);
		return;
	}
	r = vmbus_gpadl_header(&bus->gpadls, msg, len, &g);
	if (r < 0) {
		log_debug("vmbus: GPADL %u refused: %s", h.gpadl, strerror(-r));
		send_gpadl_created(bus, h.child_relid, h.gpadl, false);
	} else if (r == 1) {
		send_gpadl_created(bus, g->relid, g->id, true);
	}
}

static void handle_gpadl_body(struct vmbus *bus, const uint8_t *msg, uint32_t len)
{
	struct vmbus_msg_gpadl_body b;
	struct vmbus_gpadl *g;
	uint32_t relid;
	int r;

	memcpy(&b, msg, sizeof(b));
	g = vmbus_gpadl_find(&bus->gpadls, b.gpadl);
	if (!g || g->complete) {
		/* No relid to answer to: a body for nothing the guest is building. */
		log_debug("vmbus: GPADL body for GPADL %u that is not being built", b.gpadl);
		return;
	}
	relid = g->relid;
	r = vmbus_gpadl_body(&bus->gpadls, msg, len, &g);
	if (r < 0) {
		log_debug("vmbus: GPADL %u refused: %s", b.gpadl, strerror(-r));
		send_gpadl_created(bus, relid, b.gpadl, false);
	} else if (r == 1) {
		send_gpadl_created(bus, relid, b.gpadl, true);
	}
}

static void handle_gpadl_teardown(struct vmbus *bus, const struct vmbus_msg_gpadl_teardown *m)
{
	struct vmbus_gpadl *g = vmbus_gpadl_find(&bus->gpadls, m->gpadl);
	struct vmbus_msg_gpadl_torndown r = { .header.msgtype = CHANNELMSG_GPADL_TORNDOWN, .gpadl = m->gpadl };

	if (g && g->users > 0) {
		/* Still a channel's ring: answer once that channel is closed. */
		g->teardown_pending = true;
		return;
	}
	if (g)
		vmbus_gpadl_remove(&bus->gpadls, g);
	/* An unknown GPADL is answered too: the guest waits for the answer forever. */
	vmbus_send_msg(bus, &r, sizeof(r));
}

static struct vmbus_channel *channel_of(struct vmbus *bus, uint32_t relid)
{
	return relid && relid <= VMBUS_MAX_RELID ? bus->chan[relid] : NULL;
}

static void handle_open_channel(struct vmbus *bus, const struct vmbus_msg_open_channel *m)
{
	struct vmbus_msg_open_result r = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL_RESULT,
		.child_relid = m->child_relid,
		.openid = m->openid,
		.status = VMBUS_STATUS_FAIL,
	};
	struct vmbus_channel *ch = channel_of(bus, m->child_relid);
	struct vmbus_gpadl *g = vmbus_gpadl_find(&bus->gpadls, m->ringbuffer_gpadl);
	/* Before Windows 8 channel interrupts always go to VP 0. */
	uint32_t vp = bus->version >= VMBUS_VERSION_WIN8 ? m->target_vp : 0;
	int e = -EINVAL;

	if (ch && ch->state == CHAN_OFFERED && !ch->dev->removed && g && g->complete &&
	    g->relid == m->child_relid && !g->teardown_pending) {
		e = vmbus_chan_open(ch, g, m->downstream_page_offset, vp);
		if (e == 0) {
			r.status = 0;
			ch->openid = m->openid;
		}
	}
	if (e < 0)
		log_warn("vmbus: the guest's open of channel %u failed: %s", m->child_relid, strerror(-e));
	vmbus_send_msg(bus, &r, sizeof(r));
}

static void handle_close_channel(struct vmbus *bus, uint32_t relid)
{
	struct vmbus_channel *ch = channel_of(bus, relid);

	if (ch)
		vmbus_chan_close(ch);
}

static void handle_relid_released(struct vmbus *bus, uint32_t relid)
{
	struct vmbus_channel *ch = channel_of(bus, relid);

	if (ch && ch->state == CHAN_RESCINDED) {
		struct vmbus_device *dev = ch->dev;

		channel_release(ch);
		device_free_if_gone(bus, dev);
	}
}

static void handle_unload(struct vmbus *bus)
{
	struct vmbus_msg_header r = { .msgtype = CHANNELMSG_UNLOAD_RESPONSE };
	uint32_t vp = bus->msg_vp;
	uint8_t sint = bus->msg_sint;

	vmbus_disconnect(bus);
	/* The answer goes where the connection's messages went. */
	bus->msg_vp = vp;
	bus->msg_sint = sint;
	vmbus_send_msg(bus, &r, sizeof(r));
	log_info("vmbus: guest unloaded the bus");
}

static void handle_modify_channel(struct vmbus *bus, const struct vmbus_msg_modifychannel *m)
{
	struct vmbus_msg_modifychannel_response r = {
		.header.msgtype = CHANNELMSG_MODIFYCHANNEL_RESPONSE,
		.child_relid = m->child_relid,
		.status = VMBUS_STATUS_FAIL,
	};
	struct vmbus_channel *ch = channel_of(bus, m->child_relid);

	if (ch && (ch->state == CHAN_OPEN || ch->state == CHAN_OFFERED) && m->target_vp < bus->nvp) {
		ch->target_vp = m->target_vp;
		r.status = 0;
	}
	if (bus->version >= VMBUS_VERSION_WIN10_V5_3)
		vmbus_send_msg(bus, &r, sizeof(r));
}

static void handle_tl_connect(struct vmbus *bus, const struct vmbus_msg_tl_connect_request *m)
{
	/* Hyper-V knows the request from 4.0 on (Linux's hv_sock needs that version). */
	if (bus->version < VMBUS_VERSION_WIN10 || !bus->tl_connect) {
		log_debug("vmbus: socket connect request with no socket service, dropped");
		return;
	}
	bus->tl_connect(bus->tl_connect_opaque, &m->guest_endpoint_id, &m->host_service_id);
}

void vmbus_set_tl_connect(struct vmbus *bus, vmbus_tl_connect_fn *fn, void *opaque)
{
	bus->tl_connect = fn;
	bus->tl_connect_opaque = opaque;
}

/* Smallest size of each guest message, so that a handler may read its fields. */
static uint32_t min_len(uint32_t type)
{
	switch (type) {
	case CHANNELMSG_INITIATE_CONTACT: return sizeof(struct vmbus_msg_initiate_contact);
	case CHANNELMSG_REQUESTOFFERS: return sizeof(struct vmbus_msg_header);
	case CHANNELMSG_OPENCHANNEL: return sizeof(struct vmbus_msg_open_channel);
	case CHANNELMSG_CLOSECHANNEL: return sizeof(struct vmbus_msg_relid);
	case CHANNELMSG_GPADL_HEADER: return sizeof(struct vmbus_msg_gpadl_header);
	case CHANNELMSG_GPADL_BODY: return sizeof(struct vmbus_msg_gpadl_body);
	case CHANNELMSG_GPADL_TEARDOWN: return sizeof(struct vmbus_msg_gpadl_teardown);
	case CHANNELMSG_RELID_RELEASED: return sizeof(struct vmbus_msg_relid);
	case CHANNELMSG_UNLOAD: return sizeof(struct vmbus_msg_header);
	case CHANNELMSG_MODIFYCHANNEL: return sizeof(struct vmbus_msg_modifychannel);
	case CHANNELMSG_TL_CONNECT_REQUEST: return sizeof(struct vmbus_msg_tl_connect_request);
	default: return 0;
	}
}

static void handle_message(struct vmbus *bus, const uint8_t *data, uint32_t len)
{
	union {
		struct vmbus_msg_header h;
		struct vmbus_msg_initiate_contact ic;
		struct vmbus_msg_open_channel open;
		struct vmbus_msg_relid relid;
		struct vmbus_msg_gpadl_teardown teardown;
		struct vmbus_msg_modifychannel modify;
		struct vmbus_msg_tl_connect_request tl;
		uint8_t raw[VMBUS_MSG_MAX];
	} m;
	uint32_t type, need;

	memset(&m, 0, sizeof(m));
	memcpy(&m, data, len);
	type = len >= sizeof(m.h) ? m.h.msgtype : CHANNELMSG_INVALID;
	need = min_len(type);
	if (need == 0 || len < need) {
		bus->msgs_bad++;
		log_warn_limited(&bus->msg_bad_rl, "vmbus: dropped guest message type %u (%u bytes)", type, len);
		return;
	}
	bus->msgs_in[type]++;
	if (!bus->connected && type != CHANNELMSG_INITIATE_CONTACT) {
		log_debug("vmbus: message %u before the guest connected, dropped", type);
		return;
	}
	switch (type) {
	case CHANNELMSG_INITIATE_CONTACT: handle_initiate_contact(bus, &m.ic); break;
	case CHANNELMSG_REQUESTOFFERS: handle_request_offers(bus); break;
	case CHANNELMSG_OPENCHANNEL: handle_open_channel(bus, &m.open); break;
	case CHANNELMSG_CLOSECHANNEL: handle_close_channel(bus, m.relid.child_relid); break;
	case CHANNELMSG_GPADL_HEADER: handle_gpadl_header(bus, data, len); break;
	case CHANNELMSG_GPADL_BODY: handle_gpadl_body(bus, data, len); break;
	case CHANNELMSG_GPADL_TEARDOWN: handle_gpadl_teardown(bus, &m.teardown); break;
	case CHANNELMSG_RELID_RELEASED: handle_relid_released(bus, m.relid.child_relid); break;
	case CHANNELMSG_UNLOAD: handle_unload(bus); break;
	case CHANNELMSG_MODIFYCHANNEL: handle_modify_channel(bus, &m.modify); break;
	case CHANNELMSG_TL_CONNECT_REQUEST: handle_tl_connect(bus, &m.tl); break;
	}
}

static void inq_drain(void *opaque)
{
	struct vmbus *bus = opaque;
	struct vmbus_inmsg m;

	for (;;) {
		pthread_mutex_lock(&bus->inq_lock);
		if (bus->inq_count == 0) {
			bus->inq_posted = false;
			pthread_mutex_unlock(&bus->inq_lock);
			return;
		}
		m = bus->inq[bus->inq_head];
		bus->inq_head = (bus->inq_head + 1) % VMBUS_INQ_LEN;
		bus->inq_count--;
		pthread_mutex_unlock(&bus->inq_lock);
		handle_message(bus, m.data, m.len);
	}
}

/* HvCallPostMessage on a VMBus connection id, on the calling vCPU's thread. */
static int vmbus_on_post(void *opaque, unsigned vp, uint32_t type, const void *payload, uint32_t len)
{
	struct vmbus *bus = opaque;
	bool post;

	(void)vp, (void)type;
	pthread_mutex_lock(&bus->inq_lock);
	if (bus->inq_count == VMBUS_INQ_LEN) {
		pthread_mutex_unlock(&bus->inq_lock);
		return HV_STATUS_INSUFFICIENT_BUFFERS;	/* the guest retries */
	}
	struct vmbus_inmsg *m = &bus->inq[(bus->inq_head + bus->inq_count) % VMBUS_INQ_LEN];

	m->len = len;
	memcpy(m->data, payload, len);
	bus->inq_count++;
	post = !bus->inq_posted;
	bus->inq_posted = true;
	pthread_mutex_unlock(&bus->inq_lock);
	if (post && loop_post(bus->loop, inq_drain, bus) < 0) {
		/* Take the message back: the guest retries it. */
		pthread_mutex_lock(&bus->inq_lock);
		bus->inq_count--;
		bus->inq_posted = false;
		pthread_mutex_unlock(&bus->inq_lock);
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	return HV_STATUS_SUCCESS;
}

/* Before Windows 8 every channel signals one connection; the interrupt page's send
 * half says which. */
static int vmbus_on_legacy_event(void *opaque, unsigned vp, uint16_t flag)
{
	struct vmbus *bus = opaque;
	uint64_t gpa = __atomic_load_n(&bus->int_page, __ATOMIC_ACQUIRE);
	uint8_t *send_half;

	(void)vp, (void)flag;
	send_half = gpa ? gmem_ptr(bus->mem, gpa + GMEM_PAGE_SIZE / 2, GMEM_PAGE_SIZE / 2) : NULL;
	if (!send_half)
		return HV_STATUS_SUCCESS;
	for (uint32_t byte = 0; byte < (VMBUS_MAX_RELID + 1) / 8; byte++) {
		uint8_t bits = __atomic_exchange_n(send_half + byte, 0, __ATOMIC_SEQ_CST);

		for (unsigned b = 0; bits && b < 8; b++) {
			uint32_t relid = byte * 8 + b;
			uint64_t one = 1;

			if (!(bits & (1u << b)) || relid == 0 || relid > VMBUS_MAX_RELID)
				continue;
			struct vmbus_channel *ch;
			bool failed = false;

			pthread_mutex_lock(&bus->chan_lock);
			ch = bus->chan[relid];
			if (ch && write(ch->efd, &one, sizeof(one)) < 0)
				failed = true;
			pthread_mutex_unlock(&bus->chan_lock);
			if (failed)
				return HV_STATUS_INSUFFICIENT_MEMORY;
		}
	}
	return HV_STATUS_SUCCESS;
}

/* ---- the bus --------------------------------------------------------------------- */

struct vmbus *vmbus_new(struct loop *loop, const struct gmem *mem, struct hv *hv, unsigned nvp)
{
	struct vmbus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	bus->loop = loop;
	bus->mem = mem;
	bus->hv = hv;
	bus->synic = hv_synic(hv);
	bus->nvp = nvp;
	bus->msg_sint = VMBUS_MESSAGE_SINT;
	pthread_mutex_init(&bus->inq_lock, NULL);
	pthread_mutex_init(&bus->chan_lock, NULL);
	bus->outq_timer = loop_timer_new(loop, outq_retry, bus);
	if (!bus->outq_timer ||
	    hv_connect_messages(hv, VMBUS_MESSAGE_CONNECTION_ID, vmbus_on_post, bus) < 0 ||
	    hv_connect_messages(hv, VMBUS_MESSAGE_CONNECTION_ID_4, vmbus_on_post, bus) < 0 ||
	    hv_connect_events(hv, VMBUS_EVENT_CONNECTION_ID, vmbus_on_legacy_event, bus) < 0) {
		vmbus_free(bus);
		return NULL;
	}
	return bus;
}

void vmbus_free(struct vmbus *bus)
{
	if (!bus)
		return;
	hv_disconnect(bus->hv, VMBUS_MESSAGE_CONNECTION_ID);
	hv_disconnect(bus->hv, VMBUS_MESSAGE_CONNECTION_ID_4);
	hv_disconnect(bus->hv, VMBUS_EVENT_CONNECTION_ID);
	vmbus_disconnect(bus);
	for (uint32_t relid = 1; relid <= VMBUS_MAX_RELID; relid++)
		if (bus->chan[relid])
			vmbus_chan_free(bus->chan[relid]);
	while (bus->devices) {
		struct vmbus_device *dev = bus->devices;

		bus->devices = dev->next;
		free(dev);
	}
	loop_timer_free(bus->outq_timer);
	pthread_mutex_destroy(&bus->inq_lock);
	pthread_mutex_destroy(&bus->chan_lock);
	free(bus);
}

void vmbus_reset(struct vmbus *bus)
{
	pthread_mutex_lock(&bus->inq_lock);
	bus->inq_count = 0;
	pthread_mutex_unlock(&bus->inq_lock);
	vmbus_disconnect(bus);
}

struct loop *vmbus_loop(const struct vmbus *bus)
{
	return bus->loop;
}

uint32_t vmbus_version(const struct vmbus *bus)
{
	return bus->connected ? bus->version : 0;
}

static uint64_t high_ram_end(const struct gmem *m)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < m->nregions; i++)
		if (m->region[i].gpa + m->region[i].size > end)
			end = m->region[i].gpa + m->region[i].size;
	return end;
}

void vmbus_mmio_windows(const struct vmbus *bus, struct vmbus_mmio_window *low,
			struct vmbus_mmio_window *high)
{
	uint64_t end = high_ram_end(bus->mem);

	if (end < GMEM_HIGH_BASE)
		end = GMEM_HIGH_BASE;
	low->base = VMBUS_MMIO_LOW_BASE;
	low->size = VMBUS_MMIO_LOW_END - VMBUS_MMIO_LOW_BASE;
	high->base = (end + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	high->size = VMBUS_MMIO_HIGH_SIZE;
}

void vmbus_foreach_chan_stats(struct vmbus *bus, void (*fn)(void *opaque, const struct vmbus_chan_stats *st),
			      void *opaque)
{
	for (uint32_t relid = 1; relid <= VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = bus->chan[relid];

		if (ch)
			fn(opaque, &(struct vmbus_chan_stats){
					   .relid = relid,
					   .name = ch->dev->offer.name ? ch->dev->offer.name : "?",
					   .pkts_in = ch->pkts_in,
					   .pkts_out = ch->pkts_out,
					   .signals_in = ch->signals_in,
					   .signals_out = ch->signals_out,
				   });
	}
}

static void print_chan_stats(void *out, const struct vmbus_chan_stats *st)
{
	fprintf(out, "  vmbus channel %u %-12s packets in %llu out %llu, signals in %llu out %llu\n", st->relid,
		st->name, (unsigned long long)st->pkts_in, (unsigned long long)st->pkts_out,
		(unsigned long long)st->signals_in, (unsigned long long)st->signals_out);
}

void vmbus_print_stats(struct vmbus *bus, FILE *out)
{
	static const char *const names[CHANNELMSG_COUNT] = {
		[CHANNELMSG_OFFERCHANNEL] = "OFFERCHANNEL", [CHANNELMSG_RESCIND_CHANNELOFFER] = "RESCIND",
		[CHANNELMSG_REQUESTOFFERS] = "REQUESTOFFERS", [CHANNELMSG_ALLOFFERS_DELIVERED] = "ALLOFFERS_DELIVERED",
		[CHANNELMSG_OPENCHANNEL] = "OPENCHANNEL", [CHANNELMSG_OPENCHANNEL_RESULT] = "OPENCHANNEL_RESULT",
		[CHANNELMSG_CLOSECHANNEL] = "CLOSECHANNEL", [CHANNELMSG_GPADL_HEADER] = "GPADL_HEADER",
		[CHANNELMSG_GPADL_BODY] = "GPADL_BODY", [CHANNELMSG_GPADL_CREATED] = "GPADL_CREATED",
		[CHANNELMSG_GPADL_TEARDOWN] = "GPADL_TEARDOWN", [CHANNELMSG_GPADL_TORNDOWN] = "GPADL_TORNDOWN",
		[CHANNELMSG_RELID_RELEASED] = "RELID_RELEASED", [CHANNELMSG_INITIATE_CONTACT] = "INITIATE_CONTACT",
		[CHANNELMSG_VERSION_RESPONSE] = "VERSION_RESPONSE", [CHANNELMSG_UNLOAD] = "UNLOAD",
		[CHANNELMSG_UNLOAD_RESPONSE] = "UNLOAD_RESPONSE", [CHANNELMSG_MODIFYCHANNEL] = "MODIFYCHANNEL",
		[CHANNELMSG_MODIFYCHANNEL_RESPONSE] = "MODIFYCHANNEL_RESPONSE",
		[CHANNELMSG_TL_CONNECT_REQUEST] = "TL_CONNECT_REQUEST",
	};

	fprintf(out, "  vmbus protocol %u.%u, malformed guest messages %llu\n", bus->version >> 16,
		bus->version & 0xffff, (unsigned long long)bus->msgs_bad);
	for (unsigned i = 0; i < CHANNELMSG_COUNT; i++)
		if (bus->msgs_in[i] || bus->msgs_out[i])
			fprintf(out, "  vmbus %-24s from guest %6llu  to guest %6llu\n", names[i] ? names[i] : "?",
				(unsigned long long)bus->msgs_in[i], (unsigned long long)bus->msgs_out[i]);
	vmbus_foreach_chan_stats(bus, print_chan_stats, out);
	/* Channels gone before the end (a socket's goes with its connection), oldest first. */
	for (uint64_t n = bus->gone_count > VMBUS_STATS_GONE ? bus->gone_count - VMBUS_STATS_GONE : 0;
	     n < bus->gone_count; n++) {
		unsigned i = (unsigned)(n % VMBUS_STATS_GONE);

		fprintf(out, "  vmbus closed channel %u %-12s packets in %llu out %llu, signals in %llu out %llu\n",
			bus->gone[i].relid, bus->gone[i].name,
			(unsigned long long)bus->gone[i].pkts_in, (unsigned long long)bus->gone[i].pkts_out,
			(unsigned long long)bus->gone[i].signals_in, (unsigned long long)bus->gone[i].signals_out);
	}
}
