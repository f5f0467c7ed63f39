/* SPDX-License-Identifier: MIT */
/*
 * The VSS integration component (src/devices/ic_vss.c): what a guest sends it. Parser
 * mode: a FREEZE or THAW answer's body, checked alone. Channel mode: the VSS channel
 * opened by the simulated guest, the host freezing, thawing, resetting, pausing and
 * timing out (a freeze held 1 ns thaws at once), the guest answering each message in
 * place with any edits, trans_id and status, sending any packets, breaking its ring,
 * closing and reopening. Every request ends exactly once and only with what it may end
 * with, each state change is a change, and the state is always one of the five.
 */
#include "fuzz.h"
#include "ic.h"
#include "vmbus_guest.h"

#include <errno.h>

#define HOUR_NS		3600000000000ull

static struct vg g;
static struct vg_chan ch;
static struct fz_chans fc;
static struct ic *vss;
static unsigned submitted, ended;
static bool paused;

static void on_result(void *opaque, int err, uint32_t status)
{
	(void)opaque;
	ended++;
	FZ_CHECK(ended <= submitted, "a request ended twice");
	FZ_CHECK(err == 0 || err == -EPROTO || err == -EPIPE || err == -ECANCELED || err == -ETIMEDOUT,
		 "request ended with %d", err);
	FZ_CHECK(!err || !status, "a failed request carries a status");
}

static void on_state(void *opaque, enum ic_vss_state st, enum ic_vss_state prev, const char *reason)
{
	(void)opaque;
	FZ_CHECK(st != prev, "a state change to the same state");
	FZ_CHECK(st <= IC_VSS_UNKNOWN && prev <= IC_VSS_UNKNOWN, "state %d from %d", st, prev);
	FZ_CHECK(reason && *reason, "a change without a reason");
}

static void host_op(struct fz *in)
{
	uint8_t what = fz_u8(in), hold = fz_u8(in);
	enum ic_vss_state before = ic_vss_get_state(vss, NULL);
	int r;

	switch (what % 5) {
	case 0:
		r = ic_vss_freeze(vss, hold & 1 ? 1 : HOUR_NS, on_result, NULL);
		FZ_CHECK(r == 0 || r == -ENODEV || r == -EBUSY || r == -EALREADY, "freeze: %d", r);
		FZ_CHECK(r != -EALREADY || before == IC_VSS_FROZEN, "freeze refused in state %d", before);
		if (r == 0)
			submitted++;
		break;
	case 1:
		r = ic_vss_thaw(vss, on_result, NULL);
		FZ_CHECK(r == 0 || r == -ENODEV || r == -EBUSY, "thaw: %d", r);
		if (r == 0)
			submitted++;
		break;
	case 2:
		ic_vss_reset(vss);
		FZ_CHECK(ic_vss_get_state(vss, NULL) == IC_VSS_THAWED, "reset");
		break;
	case 3:
		if (paused)
			ic_resume(vss);
		else
			ic_pause(vss);
		paused = !paused;
		break;
	default:
		ic_set_request_timeout(vss, hold & 1 ? 1 : 0);
		break;
	}
}

/* Linux's negotiation answers: message 5.0, or one not offered. */
static const uint16_t versions[4][2] = { { 5, 0 }, { 5, 0 }, { 4, 0 }, { 9, 9 } };

static void channel_mode(struct fz *in)
{
	submitted = ended = 0;
	paused = false;
	fz_chans_init(&fc, &g, &ch, 1, FZ_IC_RAM, 4);
	vss = ic_vss_new(g.bus, g.loop);
	FZ_CHECK(vss, "ic_vss_new");
	ic_vss_set_notify(vss, on_state, NULL);
	fz_chans_connect(&fc);
	while (in->n) {
		switch (fz_u8(in) % FV_OP_COUNT) {
		case FV_OP_HOST: host_op(in); break;
		case FV_OP_ANSWER: fz_ic_answer(&fc, &ch, in, versions, 0x80004005u); break;
		case FV_OP_PACKET: fz_chan_packet(&fc, &ch, in, true, 8192); break;
		case FV_OP_RING_CTL: fuzz_ring_ctl(&ch, in); break;
		case FV_OP_CLOSE: vg_chan_close(&g, &ch); break;
		case FV_OP_OPEN: fz_chan_open(&fc, &ch); break;
		}
		vg_settle(&g);
		FZ_CHECK(ic_vss_get_state(vss, NULL) <= IC_VSS_UNKNOWN, "state out of range");
	}
	vg_stop(&g);
	ic_free(vss);
	FZ_CHECK(ended == submitted, "%u requests ended of %u once the IC went", ended, submitted);
	vg_destroy(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data + 1, size ? size - 1 : 0 };
	int e;

	fuzz_quiet_logs();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		channel_mode(&in);
		return 0;
	}
	e = ic_vss_check_answer(data + 1, (uint32_t)(size - 1), data[0] & 2 ? 6 : 5);
	FZ_CHECK(e == 0 || e == -EPROTO, "answer check: %d", e);
	FZ_CHECK(e == -EPROTO || (size - 1 >= 12 && data[1] == (data[0] & 2 ? 6 : 5)), "a wrong answer passed");
	return 0;
}
