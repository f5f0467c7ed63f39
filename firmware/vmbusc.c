/* SPDX-License-Identifier: MIT */
/*
 * A VMBus client in portable C (vmbusc.h): channel messages over the environment's
 * HvPostMessage and SynIC slot, GPADLs, and the two rings of a channel. Nothing here
 * includes a firmware or OS header, and no libc function is called: copies go through
 * the compiler's builtins.
 *
 * Every value the host writes is checked before it is used: the messages' lengths
 * and ids, the ring indices (inside the data area, 8-byte aligned) and each packet's
 * descriptor (its lengths inside what the host published). The client keeps its own
 * copy of the indices it owns (the write index of its ring, the read index of the
 * host's), so a host that scribbles on them cannot steer it. A ring found broken
 * stays broken: the channel only closes after that.
 */
#include "vmbusc.h"

#define PAGE		4096u
#define DESC		((uint32_t)sizeof(struct vmbus_packet_desc))
#define TRAILER		8u
/* Page numbers in GPADL_HEADER (after the header and its one range) and in a body. */
#define GPADL_HDR_PFNS	((VMBUS_MSG_MAX - sizeof(struct vmbus_msg_gpadl_header) - sizeof(struct vmbus_gpa_range)) / 8)
#define GPADL_BODY_PFNS	((VMBUS_MSG_MAX - sizeof(struct vmbus_msg_gpadl_body)) / 8)
/* The first GPADL id, as Linux numbers them. */
#define GPADL_FIRST	0xe1e10u
/* Ring pages a channel may ask for (each ring): the GPADL's page list fits its
 * 16-bit length field with room to spare. */
#define RING_PAGES_MAX	1024u
/* Ranges of pages a GPA-direct packet may name. */
#define GPA_PFNS_MAX	256u

struct vmbusc_chan {
	struct vmbusc *b;
	uint32_t relid, conn_id, gpadl;
	void *mem;			/* both rings: send ring's control page and data, then the receive ring's */
	uint64_t gpa;
	uint32_t npages;
	volatile struct vmbus_ring_control *out_ctl, *in_ctl;
	uint8_t *out, *in;
	uint32_t size;			/* data bytes of each ring */
	uint32_t out_w, in_r;		/* the indices the client owns: its own copies */
	bool broken;
};

static const uint32_t versions[] = {
	VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1, VMBUS_VERSION_WIN10_V5,
};

union msg {
	struct vmbus_msg_header h;
	struct vmbus_msg_version_response version;
	struct vmbus_msg_offer_channel offer;
	struct vmbus_msg_open_result open;
	struct vmbus_msg_gpadl_created created;
	struct vmbus_msg_gpadl_torndown torndown;
	uint8_t raw[VMBUS_MSG_MAX];
};

/* ---- messages ---------------------------------------------------------------------- */

static int post(struct vmbusc *b, uint32_t conn, const void *m, uint32_t len)
{
	return b->host->post_message(b->host->ctx, conn, VMBUS_MESSAGE_TYPE, m, len) == 0 ? 0 : VMBUSC_EIO;
}

/* The next VMBus message: its length (at least a header), 0 if none is waiting. A
 * message of another type, or too short to be one, is dropped. */
static int take(struct vmbusc *b, union msg *m)
{
	uint32_t type = 0;
	int len;

	__builtin_memset(m, 0, sizeof(*m));
	len = b->host->next_message(b->host->ctx, &type, m, sizeof(*m));
	if (len < 0)
		return 0;
	if (type != VMBUS_MESSAGE_TYPE || len < (int)sizeof(struct vmbus_msg_header))
		return -1;
	return len > (int)sizeof(*m) ? (int)sizeof(*m) : len;
}

/* Is m (len bytes) the answer wanted? */
typedef bool match_fn(const union msg *m, int len, const void *want);

/* Waits until the deadline for a message match() accepts, dropping the others:
 * its length, or VMBUSC_ETIMEDOUT (also when the host floods other messages). */
static int wait_for(struct vmbusc *b, union msg *m, match_fn *match, const void *want, uint64_t deadline)
{
	for (;;) {
		int len = take(b, m);

		if (len > 0 && match(m, len, want))
			return len;
		if (vmbusc_now_us(b) >= deadline)
			return VMBUSC_ETIMEDOUT;
	}
}

static uint64_t deadline_of(struct vmbusc *b, uint32_t timeout_us)
{
	return vmbusc_now_us(b) + timeout_us;
}

static bool is_type(const union msg *m, int len, const void *want)
{
	(void)len;
	return m->h.msgtype == *(const uint32_t *)want;
}

/* ---- connection ------------------------------------------------------------------- */

static bool is_version_response(const union msg *m, int len, const void *want)
{
	(void)want;
	return m->h.msgtype == CHANNELMSG_VERSION_RESPONSE && len >= (int)sizeof(m->version);
}

static void note_offer(struct vmbusc *b, const struct vmbus_msg_offer_channel *o)
{
	struct vmbusc_offer *n;

	if (o->child_relid == 0 || o->connection_id == 0 || b->noffers >= VMBUSC_MAX_OFFERS)
		return;
	for (unsigned i = 0; i < b->noffers; i++)
		if (b->offers[i].child_relid == o->child_relid)
			return;
	n = &b->offers[b->noffers++];
	n->if_type = o->offer.if_type;
	n->if_instance = o->offer.if_instance;
	n->child_relid = o->child_relid;
	n->connection_id = o->connection_id;
	n->sub_channel_index = o->offer.sub_channel_index;
	n->chn_flags = o->offer.chn_flags;
}

int vmbusc_connect(struct vmbusc *b, const struct vmbusc_host *host, uint32_t timeout_us)
{
	struct vmbus_msg_header req = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	uint64_t deadline;
	union msg m;
	int r = VMBUSC_EIO;

	__builtin_memset(b, 0, sizeof(*b));
	b->host = host;
	b->next_gpadl = GPADL_FIRST;
	deadline = deadline_of(b, timeout_us);
	for (unsigned i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct vmbus_msg_initiate_contact ic = {
			.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
			.version_requested = versions[i],
			.target_vcpu = 0,
			.msg_sint = VMBUS_MESSAGE_SINT,
		};

		if (post(b, VMBUS_MESSAGE_CONNECTION_ID_4, &ic, sizeof(ic)))
			return VMBUSC_EIO;
		r = wait_for(b, &m, is_version_response, NULL, deadline);
		if (r < 0)
			return r;
		if (!m.version.version_supported)
			continue;
		if (m.version.msg_conn_id == 0)
			return VMBUSC_EIO;
		b->version = versions[i];
		b->msg_conn_id = m.version.msg_conn_id;
		b->connected = true;
		break;
	}
	if (!b->connected)
		return VMBUSC_EIO;
	if (post(b, b->msg_conn_id, &req, sizeof(req)))
		return VMBUSC_EIO;
	for (;;) {
		int len = take(b, &m);

		if (len > 0 && m.h.msgtype == CHANNELMSG_ALLOFFERS_DELIVERED)
			return 0;
		if (len > 0 && m.h.msgtype == CHANNELMSG_OFFERCHANNEL && len >= (int)sizeof(m.offer))
			note_offer(b, &m.offer);
		if (vmbusc_now_us(b) >= deadline)
			return VMBUSC_ETIMEDOUT;
	}
}

const struct vmbusc_offer *vmbusc_find(const struct vmbusc *b, const struct vmbus_guid *if_type, unsigned index)
{
	for (unsigned i = 0; i < b->noffers; i++) {
		const struct vmbusc_offer *o = &b->offers[i];

		if (o->sub_channel_index == 0 && !__builtin_memcmp(&o->if_type, if_type, sizeof(*if_type)) &&
		    index-- == 0)
			return o;
	}
	return NULL;
}

/* Message exchanges (unload, open, close) take the bus: the host's message slot and
 * the environment's posting page are in use until they end. */
static bool bus_take(struct vmbusc *b)
{
	if (b->busy)
		return false;
	b->busy = true;
	return true;
}

static void bus_give(struct vmbusc *b)
{
	b->busy = false;
}

static int unload(struct vmbusc *b, uint32_t timeout_us)
{
	struct vmbus_msg_header req = { .msgtype = CHANNELMSG_UNLOAD };
	uint32_t want = CHANNELMSG_UNLOAD_RESPONSE;
	union msg m;
	int r;

	if (!b->connected)
		return VMBUSC_EINVAL;
	b->connected = false;
	b->noffers = 0;
	if (post(b, b->msg_conn_id, &req, sizeof(req)))
		return VMBUSC_EIO;
	r = wait_for(b, &m, is_type, &want, deadline_of(b, timeout_us));
	return r < 0 ? r : 0;
}

/* ---- channels: GPADL, open, close ------------------------------------------------------ */

struct gpadl_want {
	uint32_t relid, gpadl;
};

static bool is_created(const union msg *m, int len, const void *want)
{
	const struct gpadl_want *w = want;

	return m->h.msgtype == CHANNELMSG_GPADL_CREATED && len >= (int)sizeof(m->created) &&
	       m->created.child_relid == w->relid && m->created.gpadl == w->gpadl;
}

static bool is_torndown(const union msg *m, int len, const void *want)
{
	const struct gpadl_want *w = want;

	return m->h.msgtype == CHANNELMSG_GPADL_TORNDOWN && len >= (int)sizeof(m->torndown) &&
	       m->torndown.gpadl == w->gpadl;
}

static bool is_open_result(const union msg *m, int len, const void *want)
{
	const struct gpadl_want *w = want;

	return m->h.msgtype == CHANNELMSG_OPENCHANNEL_RESULT && len >= (int)sizeof(m->open) &&
	       m->open.child_relid == w->relid && m->open.openid == w->relid;
}

/* GPADL_HEADER and as many GPADL_BODY messages as the page list needs: the pages
 * [gpa, gpa + npages pages) as one range. */
static int gpadl_post(struct vmbusc *b, uint32_t relid, uint32_t id, uint64_t gpa, uint32_t npages)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(sizeof(struct vmbus_gpa_range) + 8 * npages),
		.rangecount = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = npages * PAGE, .byte_offset = 0 };
	uint32_t first = npages < GPADL_HDR_PFNS ? npages : (uint32_t)GPADL_HDR_PFNS, done, len;
	uint64_t pfn = gpa / PAGE;

	__builtin_memcpy(m, &h, sizeof(h));
	__builtin_memcpy(m + sizeof(h), &range, sizeof(range));
	len = sizeof(h) + sizeof(range);
	for (done = 0; done < first; done++, len += 8)
		__builtin_memcpy(m + len, &(uint64_t){ pfn + done }, 8);
	if (post(b, b->msg_conn_id, m, len))
		return VMBUSC_EIO;
	for (uint32_t n = 1; done < npages; n++) {
		struct vmbus_msg_gpadl_body body = { .header.msgtype = CHANNELMSG_GPADL_BODY, .msgnumber = n, .gpadl = id };
		uint32_t k = npages - done < GPADL_BODY_PFNS ? npages - done : (uint32_t)GPADL_BODY_PFNS;

		__builtin_memcpy(m, &body, sizeof(body));
		len = sizeof(body);
		for (uint32_t i = 0; i < k; i++, len += 8)
			__builtin_memcpy(m + len, &(uint64_t){ pfn + done + i }, 8);
		if (post(b, b->msg_conn_id, m, len))
			return VMBUSC_EIO;
		done += k;
	}
	return 0;
}

/* GPADL_TEARDOWN and its GPADL_TORNDOWN: 0 once the host let go of the pages. */
static int gpadl_teardown(struct vmbusc *b, uint32_t relid, uint32_t id, uint32_t timeout_us)
{
	struct vmbus_msg_gpadl_teardown t = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid, .gpadl = id };
	struct gpadl_want w = { relid, id };
	union msg m;
	int r;

	if (post(b, b->msg_conn_id, &t, sizeof(t)))
		return VMBUSC_EIO;
	r = wait_for(b, &m, is_torndown, &w, deadline_of(b, timeout_us));
	return r < 0 ? r : 0;
}

int vmbusc_unload(struct vmbusc *b, uint32_t timeout_us)
{
	int r;

	if (!bus_take(b))
		return VMBUSC_EBUSY;
	r = unload(b, timeout_us);
	bus_give(b);
	return r;
}

static int open_chan(struct vmbusc *b, const struct vmbusc_offer *o, uint32_t ring_pages, uint32_t timeout_us,
		     struct vmbusc_chan **out)
{
	struct vmbus_msg_open_channel oc = { .header.msgtype = CHANNELMSG_OPENCHANNEL };
	struct vmbusc_chan *c;
	struct gpadl_want w;
	uint64_t deadline, gpa;
	union msg m;
	int r;

	*out = NULL;
	if (!b->connected || !o || ring_pages == 0 || ring_pages > RING_PAGES_MAX)
		return VMBUSC_EINVAL;
	deadline = deadline_of(b, timeout_us);
	c = b->host->alloc_pages(b->host->ctx, 1, &gpa);
	if (!c)
		return VMBUSC_ENOMEM;
	__builtin_memset(c, 0, sizeof(*c));
	c->b = b;
	c->relid = o->child_relid;
	c->conn_id = o->connection_id;
	c->npages = 2 * (ring_pages + 1);
	c->size = ring_pages * PAGE;
	c->mem = b->host->alloc_pages(b->host->ctx, c->npages, &c->gpa);
	if (!c->mem) {
		b->host->free_pages(b->host->ctx, c, 1);
		return VMBUSC_ENOMEM;
	}
	c->out_ctl = (volatile struct vmbus_ring_control *)c->mem;
	c->out = (uint8_t *)c->mem + PAGE;
	c->in_ctl = (volatile struct vmbus_ring_control *)((uint8_t *)c->mem + (ring_pages + 1) * PAGE);
	c->in = (uint8_t *)c->mem + (ring_pages + 2) * PAGE;
	c->out_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	c->in_ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;

	c->gpadl = b->next_gpadl++;
	if (b->next_gpadl == 0)
		b->next_gpadl = GPADL_FIRST;
	w = (struct gpadl_want){ c->relid, c->gpadl };
	r = gpadl_post(b, c->relid, c->gpadl, c->gpa, c->npages);
	if (r == 0)
		r = wait_for(b, &m, is_created, &w, deadline);
	if (r < 0)
		goto leak;	/* the host may hold the pages: they are never reused */
	if (m.created.creation_status != 0) {
		r = VMBUSC_EIO;
		goto free;
	}

	oc.child_relid = c->relid;
	oc.openid = c->relid;
	oc.ringbuffer_gpadl = c->gpadl;
	oc.target_vp = 0;
	oc.downstream_page_offset = ring_pages + 1;
	r = post(b, b->msg_conn_id, &oc, sizeof(oc));
	if (r == 0)
		r = wait_for(b, &m, is_open_result, &w, deadline);
	if (r >= 0 && m.open.status == 0) {
		*out = c;
		return 0;
	}
	if (r >= 0)
		r = VMBUSC_EIO;
	/* Not open (or no answer): the pages come back only if the host says so. */
	if (gpadl_teardown(b, c->relid, c->gpadl, timeout_us) != 0)
		goto leak;
free:
	b->host->free_pages(b->host->ctx, c->mem, c->npages);
	b->host->free_pages(b->host->ctx, c, 1);
	return r;
leak:
	b->host->free_pages(b->host->ctx, c, 1);
	return r;
}

int vmbusc_open(struct vmbusc *b, const struct vmbusc_offer *o, uint32_t ring_pages, uint32_t timeout_us,
		struct vmbusc_chan **out)
{
	int r;

	*out = NULL;
	if (!bus_take(b))
		return VMBUSC_EBUSY;
	r = open_chan(b, o, ring_pages, timeout_us, out);
	bus_give(b);
	return r;
}

void vmbusc_close(struct vmbusc_chan *c, uint32_t timeout_us)
{
	struct vmbusc *b;
	struct vmbus_msg_relid cl = { .header.msgtype = CHANNELMSG_CLOSECHANNEL };

	if (!c)
		return;
	b = c->b;
	if (!bus_take(b))
		return;
	cl.child_relid = c->relid;
	/* A host that does not let go of the ring pages keeps them: they are leaked, never
	 * handed out again. */
	if (post(b, b->msg_conn_id, &cl, sizeof(cl)) == 0 && gpadl_teardown(b, c->relid, c->gpadl, timeout_us) == 0)
		b->host->free_pages(b->host->ctx, c->mem, c->npages);
	b->host->free_pages(b->host->ctx, c, 1);
	bus_give(b);
}

/* ---- rings ------------------------------------------------------------------------ */

static bool index_ok(const struct vmbusc_chan *c, uint32_t i)
{
	return i < c->size && i % 8 == 0;
}

/* Bytes from index a forward to index b, in a ring of size bytes. */
static uint32_t ring_dist(uint32_t size, uint32_t a, uint32_t b)
{
	return b >= a ? b - a : size - a + b;
}

static void ring_copy_in(const struct vmbusc_chan *c, uint32_t off, const void *p, uint32_t len)
{
	uint32_t first = c->size - off < len ? c->size - off : len;

	__builtin_memcpy(c->out + off, p, first);
	__builtin_memcpy(c->out, (const uint8_t *)p + first, len - first);
}

static void ring_copy_out(const struct vmbusc_chan *c, uint32_t off, void *p, uint32_t len)
{
	uint32_t first = c->size - off < len ? c->size - off : len;

	__builtin_memcpy(p, c->in + off, first);
	__builtin_memcpy((uint8_t *)p + first, c->in, len - first);
}

static void signal_host(struct vmbusc_chan *c)
{
	c->b->host->signal_event(c->b->host->ctx, c->conn_id);
}

struct seg {
	const void *p;
	uint32_t len;
};

/* One packet made of segments, padded to 8, and its trailer; the host is signalled
 * if the ring was empty and it did not mask its interrupt. */
static int ring_put(struct vmbusc_chan *c, const struct seg *s, unsigned n)
{
	static const uint8_t zeros[8];
	uint32_t rd, w = c->out_w, len = 0, padded, total, off;
	uint64_t trailer = (uint64_t)w << 32;

	if (c->broken)
		return VMBUSC_EIO;
	for (unsigned i = 0; i < n; i++)
		len += s[i].len;
	padded = (len + 7) & ~7u;
	total = padded + TRAILER;
	if (total >= c->size)
		return VMBUSC_EINVAL;
	rd = __atomic_load_n(&c->out_ctl->read_index, __ATOMIC_ACQUIRE);
	if (!index_ok(c, rd)) {
		c->broken = true;
		return VMBUSC_EIO;
	}
	/* Never fill the ring: equal indices mean empty. */
	if (total >= c->size - ring_dist(c->size, rd, w))
		return VMBUSC_EAGAIN;
	off = w;
	for (unsigned i = 0; i < n; i++) {
		ring_copy_in(c, off, s[i].p, s[i].len);
		off = (off + s[i].len) % c->size;
	}
	ring_copy_in(c, off, zeros, padded - len);
	off = (off + padded - len) % c->size;
	ring_copy_in(c, off, &trailer, TRAILER);
	c->out_w = (w + total) % c->size;
	__atomic_store_n(&c->out_ctl->write_index, c->out_w, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&c->out_ctl->interrupt_mask, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&c->out_ctl->read_index, __ATOMIC_SEQ_CST) == w)
		signal_host(c);
	return 0;
}

int vmbusc_send(struct vmbusc_chan *c, uint64_t trans_id, uint16_t flags, const void *data, uint32_t len)
{
	struct vmbus_packet_desc d = {
		.type = VM_PKT_DATA_INBAND,
		.offset8 = DESC / 8,
		.flags = flags,
		.trans_id = trans_id,
	};
	struct seg s[2] = { { &d, DESC }, { data, len } };

	if (!c || (len && !data) || len > 0xffff * 8u - DESC)
		return VMBUSC_EINVAL;
	d.len8 = (uint16_t)((DESC + len + 7) / 8);
	return ring_put(c, s, 2);
}

int vmbusc_send_gpa(struct vmbusc_chan *c, uint64_t trans_id, const void *data, uint32_t len, uint64_t gpa,
		    uint32_t bytes)
{
	uint64_t pfns[GPA_PFNS_MAX];
	struct vmbus_gpa_direct_header h = {
		.d = {
			.type = VM_PKT_DATA_USING_GPA_DIRECT,
			.flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED,
			.trans_id = trans_id,
		},
		.range_cnt = 1,
	};
	struct vmbus_gpa_range range = { .byte_count = bytes, .byte_offset = (uint32_t)(gpa % PAGE) };
	uint32_t npfn, hdr;
	struct seg s[4];

	if (!c || (len && !data) || bytes == 0)
		return VMBUSC_EINVAL;
	npfn = (uint32_t)((gpa % PAGE + bytes + PAGE - 1) / PAGE);
	if (npfn > GPA_PFNS_MAX || gpa + bytes < gpa)
		return VMBUSC_EINVAL;
	hdr = (uint32_t)(sizeof(h) + sizeof(range)) + 8 * npfn;
	if (len > 0xffff * 8u - hdr)
		return VMBUSC_EINVAL;
	for (uint32_t i = 0; i < npfn; i++)
		pfns[i] = gpa / PAGE + i;
	h.d.offset8 = (uint16_t)(hdr / 8);
	h.d.len8 = (uint16_t)((hdr + len + 7) / 8);
	s[0] = (struct seg){ &h, sizeof(h) };
	s[1] = (struct seg){ &range, sizeof(range) };
	s[2] = (struct seg){ pfns, 8 * npfn };
	s[3] = (struct seg){ data, len };
	return ring_put(c, s, 4);
}

int vmbusc_recv(struct vmbusc_chan *c, struct vmbusc_packet *p, void *buf, uint32_t cap)
{
	uint32_t w, r = c->in_r, avail, len, off, pending, before, after;
	struct vmbus_packet_desc d;

	if (c->broken)
		return VMBUSC_EIO;
	w = __atomic_load_n(&c->in_ctl->write_index, __ATOMIC_ACQUIRE);
	if (!index_ok(c, w))
		goto broken;
	if (w == r)
		return 0;
	avail = ring_dist(c->size, r, w);
	if (avail < DESC + TRAILER)
		goto broken;
	ring_copy_out(c, r, &d, DESC);
	len = (uint32_t)d.len8 * 8;
	off = (uint32_t)d.offset8 * 8;
	if (len < DESC || off < DESC || off > len || len + TRAILER > avail || len - off > cap)
		goto broken;
	ring_copy_out(c, (r + off) % c->size, buf, len - off);
	p->type = d.type;
	p->flags = d.flags;
	p->trans_id = d.trans_id;
	p->len = len - off;
	before = c->size - ring_dist(c->size, r, w);
	c->in_r = (r + len + TRAILER) % c->size;
	__atomic_store_n(&c->in_ctl->read_index, c->in_r, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* The host waits for room (pending_send_sz) that this read made: tell it. */
	pending = __atomic_load_n(&c->in_ctl->pending_send_sz, __ATOMIC_SEQ_CST);
	if (pending) {
		w = __atomic_load_n(&c->in_ctl->write_index, __ATOMIC_SEQ_CST);
		after = index_ok(c, w) ? c->size - ring_dist(c->size, c->in_r, w) : 0;
		if (before <= pending && after > pending)
			signal_host(c);
	}
	return 1;
broken:
	c->broken = true;
	return VMBUSC_EIO;
}
