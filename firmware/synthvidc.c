/* SPDX-License-Identifier: MIT */
/*
 * synthvidc: the guest side of the synthetic video protocol (synthvidc.h). Every
 * message sent is a pipe header, a synthvid header (both sizes header plus payload,
 * as hyperv_drm writes them) and the message; the host's answers are read by their
 * packet length, not by the sizes in their headers.
 */
#include "synthvidc.h"

/* No C library in firmware: the compiler's own (gnu-efi provides memcpy/memset). */
#define sv_copy(d, s, n)	__builtin_memcpy((d), (s), (n))
#define sv_zero(d, n)		__builtin_memset((d), 0, (n))

#define HDRS		16u	/* pipe header + synthvid header */
#define SEND_CAP	(HDRS + 2u + SYNTHVIDC_MAX_RECTS * sizeof(struct synthvid_rect))

static int fail(struct synthvidc *v, int r)
{
	if (r == VMBUSC_EIO || r == VMBUSC_ETIMEDOUT)
		v->broken = true;
	return r;
}

static int send_msg(struct synthvidc *v, uint32_t type, const void *body, uint32_t len)
{
	uint8_t buf[SEND_CAP];
	struct synthvid_pipe_hdr p = { SYNTHVID_PIPE_DATA, 8u + len };
	struct synthvid_msg_hdr h = { type, 8u + len };

	if (len > sizeof(buf) - HDRS)
		return VMBUSC_EINVAL;
	sv_copy(buf, &p, sizeof(p));
	sv_copy(buf + 8, &h, sizeof(h));
	if (len)
		sv_copy(buf + HDRS, body, len);
	return vmbusc_send(v->chan, ++v->next_trans, 0, buf, HDRS + len);
}

/*
 * One message from the host: 1 with its message type and payload (*body, *len),
 * VMBUSC_EIO when the ring is broken. budget NULL: waits, VMBUSC_ETIMEDOUT once
 * timeout_us from start has passed (see vmbusc_recv_wait). Else no wait: 0 when the
 * ring is empty or *budget packets have been taken (each one taken counts). Packets
 * that carry no synthvid message (completions, a pipe type other than data, too short)
 * are skipped here.
 */
static int recv_msg(struct synthvidc *v, unsigned *budget, uint64_t start, uint32_t timeout_us, uint32_t *type,
		    const uint8_t **body, uint32_t *len)
{
	struct vmbusc_packet pk;
	struct synthvid_pipe_hdr p;
	struct synthvid_msg_hdr h;
	int r;

	for (;;) {
		if (!budget) {
			r = vmbusc_recv_wait(v->bus, v->chan, &pk, v->buf, sizeof(v->buf), start, timeout_us);
		} else if (*budget) {
			(*budget)--;
			r = vmbusc_recv(v->chan, &pk, v->buf, sizeof(v->buf));
		} else {
			return 0;
		}
		if (r <= 0)
			return r < 0 ? fail(v, r) : 0;
		if (pk.type != VM_PKT_DATA_INBAND || pk.len < HDRS) {
			v->skipped++;
			continue;
		}
		sv_copy(&p, v->buf, sizeof(p));
		sv_copy(&h, v->buf + 8, sizeof(h));
		if (p.type != SYNTHVID_PIPE_DATA) {
			v->skipped++;
			continue;
		}
		*type = h.type;
		*body = v->buf + HDRS;
		*len = pk.len - HDRS;
		return 1;
	}
}

/* FEATURE_CHANGE, or something else the host sent by itself. */
static void unsolicited(struct synthvidc *v, uint32_t type, const uint8_t *body, uint32_t len)
{
	struct synthvid_feature_change fc;

	if (type == SYNTHVID_FEATURE_CHANGE && len >= sizeof(fc)) {
		sv_copy(&fc, body, sizeof(fc));
		v->dirt_needed = fc.is_dirt_needed != 0;
		v->features++;
		return;
	}
	v->skipped++;
}

/*
 * Waits, until timeout_us from start, for a message of type want with at least
 * min_len bytes, copying min_len of them to out. A message of that type that is too
 * short is the host breaking the protocol; others are taken as unsolicited.
 */
static int wait_msg(struct synthvidc *v, uint32_t want, void *out, uint32_t min_len, uint64_t start,
		    uint32_t timeout_us)
{
	const uint8_t *body;
	uint32_t type, len;
	int r;

	for (;;) {
		r = recv_msg(v, NULL, start, timeout_us, &type, &body, &len);
		if (r < 0)
			return r;
		if (type != want) {
			unsolicited(v, type, body, len);
			continue;
		}
		if (len < min_len)
			return fail(v, VMBUSC_EIO);
		sv_copy(out, body, min_len);
		return 0;
	}
}

static int check(struct synthvidc *v)
{
	return v->broken || !v->chan ? VMBUSC_EIO : 0;
}

/* 1 accepted, 0 refused, or a negative VMBUSC_E*. */
static int negotiate(struct synthvidc *v, uint32_t version, uint32_t timeout_us)
{
	struct synthvid_version_request rq = { version };
	struct synthvid_version_response rs;
	int r;

	if ((r = send_msg(v, SYNTHVID_VERSION_REQUEST, &rq, sizeof(rq))) < 0)
		return fail(v, r);
	if ((r = wait_msg(v, SYNTHVID_VERSION_RESPONSE, &rs, sizeof(rs), vmbusc_now_us(v->bus), timeout_us)) < 0)
		return r;
	if (!rs.is_accepted)
		return 0;
	/* An answer for another version, or with no output, is not one we can use. */
	if (rs.version != version || rs.max_video_outputs < 1)
		return fail(v, VMBUSC_EIO);
	v->version = version;
	v->max_outputs = rs.max_video_outputs;
	return 1;
}

int synthvidc_init(struct synthvidc *v, struct vmbusc *bus, struct vmbusc_chan *chan, uint32_t timeout_us)
{
	int r = 0;

	sv_zero(v, sizeof(*v));
	v->bus = bus;
	v->chan = chan;
	v->dirt_needed = true;
	if (bus->version >= VMBUS_VERSION_WIN10)
		r = negotiate(v, SYNTHVID_VERSION_WIN10, timeout_us);
	if (r == 0)
		r = negotiate(v, SYNTHVID_VERSION_WIN8, timeout_us);
	if (r == 0)
		return fail(v, VMBUSC_EIO);
	return r < 0 ? r : 0;
}

int synthvidc_open(struct synthvidc *v, struct vmbusc *bus, const struct vmbusc_offer *offer,
		   uint32_t timeout_us)
{
	struct vmbusc_chan *chan;
	int r;

	sv_zero(v, sizeof(*v));
	if ((r = vmbusc_open(bus, offer, SYNTHVIDC_RING_PAGES, timeout_us, &chan)) < 0)
		return r;
	if ((r = synthvidc_init(v, bus, chan, timeout_us)) < 0) {
		vmbusc_close(chan, timeout_us);
		v->chan = NULL;
		return r;
	}
	v->own_chan = true;
	return 0;
}

void synthvidc_close(struct synthvidc *v, uint32_t timeout_us)
{
	if (v->chan && v->own_chan)
		vmbusc_close(v->chan, timeout_us);
	v->chan = NULL;
	v->own_chan = false;
}

int synthvidc_set_vram(struct synthvidc *v, uint64_t gpa, uint32_t timeout_us)
{
	struct synthvid_vram_location rq = { .user_ctx = gpa, .is_vram_gpa_specified = 1, .vram_gpa = gpa };
	struct synthvid_vram_location_ack ack;
	uint64_t start;
	int r;

	if ((r = check(v)) < 0)
		return r;
	if ((r = send_msg(v, SYNTHVID_VRAM_LOCATION, &rq, sizeof(rq))) < 0)
		return fail(v, r);
	/* An acknowledgement with another context is a late one for an earlier request. */
	start = vmbusc_now_us(v->bus);
	do {
		if ((r = wait_msg(v, SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack), start, timeout_us)) < 0)
			return r;
	} while (ack.user_ctx != gpa);
	v->vram_set = true;
	v->vram_gpa = gpa;
	return 0;
}

int synthvidc_set_mode(struct synthvidc *v, uint32_t width, uint32_t height, uint32_t pitch,
		       uint32_t timeout_us)
{
	struct synthvid_situation_update su;
	struct synthvid_situation_update_ack ack;
	uint64_t ctx;
	int r;

	if ((r = check(v)) < 0)
		return r;
	if (!width || !height || pitch / 4 < width)
		return VMBUSC_EINVAL;
	sv_zero(&su, sizeof(su));
	ctx = ++v->next_trans;
	su.user_ctx = ctx;
	su.video_output_count = 1;
	su.video_output[0].active = 1;
	su.video_output[0].vram_offset = 0;
	su.video_output[0].depth_bits = 32;
	su.video_output[0].width_pixels = width;
	su.video_output[0].height_pixels = height;
	su.video_output[0].pitch_bytes = pitch;
	if ((r = send_msg(v, SYNTHVID_SITUATION_UPDATE, &su, sizeof(su))) < 0)
		return fail(v, r);
	if ((r = wait_msg(v, SYNTHVID_SITUATION_UPDATE_ACK, &ack, sizeof(ack), vmbusc_now_us(v->bus), timeout_us)) < 0)
		return r;
	if (ack.user_ctx != ctx)
		return fail(v, VMBUSC_EIO);
	v->width = width;
	v->height = height;
	v->pitch = pitch;
	return 0;
}

int synthvidc_hide_pointer(struct synthvidc *v)
{
	struct synthvid_pointer_position pos = { .is_visible = 1, .video_output = 0, .image_x = 0, .image_y = 0 };
	uint8_t shape[sizeof(struct synthvid_pointer_shape) + 4];
	struct synthvid_pointer_shape s = {
		.part_idx = SYNTHVID_CURSOR_COMPLETE, .is_argb = 1, .width = 1, .height = 1,
	};
	int r;

	if ((r = check(v)) < 0)
		return r;
	sv_zero(shape, sizeof(shape));
	sv_copy(shape, &s, sizeof(s));
	if ((r = send_msg(v, SYNTHVID_POINTER_POSITION, &pos, sizeof(pos))) < 0)
		return fail(v, r);
	return fail(v, send_msg(v, SYNTHVID_POINTER_SHAPE, shape, sizeof(shape)));
}

int synthvidc_dirt(struct synthvidc *v, const struct synthvid_rect *r, unsigned n)
{
	uint8_t body[2 + SYNTHVIDC_MAX_RECTS * sizeof(struct synthvid_rect)];
	struct synthvid_rect full;
	int e;

	if ((e = check(v)) < 0)
		return e;
	if (n > SYNTHVIDC_MAX_RECTS || !v->width)
		return VMBUSC_EINVAL;
	if (!n) {
		full.x1 = 0;
		full.y1 = 0;
		full.x2 = (int32_t)v->width;
		full.y2 = (int32_t)v->height;
		r = &full;
		n = 1;
	}
	body[0] = 0;
	body[1] = (uint8_t)n;
	sv_copy(body + 2, r, n * sizeof(*r));
	return fail(v, send_msg(v, SYNTHVID_DIRT, body, 2u + n * (uint32_t)sizeof(*r)));
}

int synthvidc_poll(struct synthvidc *v)
{
	unsigned budget = VMBUSC_POLL_MAX;
	const uint8_t *body;
	uint32_t type, len;
	int r;

	if ((r = check(v)) < 0)
		return r;
	while ((r = recv_msg(v, &budget, 0, 0, &type, &body, &len)) > 0)
		unsolicited(v, type, body, len);
	return r;
}
