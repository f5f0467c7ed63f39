/* SPDX-License-Identifier: MIT */
/*
 * The vstor protocol (src/devices/storvsp.c) on an open channel: the harness brings
 * VMBus up as Linux does (INITIATE_CONTACT 5.3, REQUESTOFFERS, a GPADL for the rings,
 * OPENCHANNEL) and, unless the input wants to do it itself, negotiates vstor (BEGIN,
 * QUERY_PROTOCOL_VERSION, QUERY_PROPERTIES, END). Then the input sends any packets,
 * in-band or with a GPA-direct page list, on the primary channel or on sub-channels
 * it had the host create and then opened, writes raw bytes and any indices into the
 * rings, writes guest memory, and closes and reopens channels. The disks are temp
 * files behind the real block back end; after each step every I/O completes.
 */
#include "blk_file.h"
#include "fuzz.h"
#include "vmbus_guest.h"
#include "hv.h"
#include "loop.h"
#include "storvsp.h"
#include "storvsp_proto.h"
#include "vmbus.h"

static struct vg g;
static struct vg_chan chans[FZ_SV_MAX_CHAN];
static struct blk *blks[2];
static const char *paths[2];
static char path_buf[2][64];

static void on_msg(struct vg *gu, const union vg_msg *msg, uint32_t len)
{
	(void)gu;
	vg_chan_offered(chans, FZ_SV_MAX_CHAN, msg, len);
}

static void settle(void)
{
	uint64_t start = loop_now_ns();

	vg_settle(&g);
	while ((blks[0] && blk_inflight(blks[0])) || (blks[1] && blk_inflight(blks[1]))) {
		FZ_CHECK(loop_now_ns() - start < 20000000000ull, "disk I/O never completes");
		loop_run_once(g.loop, 100);
		vg_settle(&g);
	}
}

static void chan_open(unsigned k)
{
	vg_chan_open(&g, &chans[k], FZ_RING_GPA(k), FZ_SV_RING_PAGES, k % FZ_VS_NVP);
}

static void chan_close(unsigned k)
{
	vg_chan_close(&g, &chans[k]);
}

static void consume(unsigned k)
{
	vg_chan_consume(&chans[k], 4096);
}

/* A packet as storvsc sends it: in-band, or GPA direct with one range of pages. */
static void send_packet(unsigned k, uint16_t type, uint16_t flags, uint64_t trans, uint32_t byte_count,
			uint32_t byte_offset, const uint64_t *pfns, unsigned npfn, const void *pay, uint32_t len)
{
	struct vg_chan *c = &chans[k];
	static uint8_t pkt[4096];
	struct vmbus_packet_desc d = { .type = type, .flags = flags, .trans_id = trans };
	uint32_t off = sizeof(d);

	if (!c->open)
		return;
	if (type == VM_PKT_DATA_USING_GPA_DIRECT) {
		struct vmbus_gpa_direct_header h = { .range_cnt = 1 };
		struct vmbus_gpa_range r = { byte_count, byte_offset };

		memcpy(pkt + sizeof(d), (uint8_t *)&h + sizeof(d), sizeof(h) - sizeof(d));
		memcpy(pkt + sizeof(h), &r, sizeof(r));
		memcpy(pkt + sizeof(h) + sizeof(r), pfns, 8 * npfn);
		off = (uint32_t)(sizeof(h) + sizeof(r) + 8 * npfn);
	}
	memcpy(pkt + off, pay, len);
	d.offset8 = (uint16_t)(off / 8);
	d.len8 = (uint16_t)((off + len + 7) / 8);
	memcpy(pkt, &d, sizeof(d));
	if (vg_chan_put(c, pkt, off + len) == 0)
		vg_signal_conn(&g, c->conn_id, false);
}

static void vstor_request(uint32_t op, uint16_t version, uint64_t trans)
{
	struct vstor_packet p = { .operation = op, .flags = VSTOR_REQUEST_COMPLETION_FLAG };

	if (op == VSTOR_OPERATION_QUERY_PROTOCOL_VERSION)
		p.version.major_minor = version;
	send_packet(0, VM_PKT_DATA_INBAND, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, trans, 0, 0, NULL, 0, &p,
		    sizeof(p));
	settle();
	consume(0);
	settle();
}

static void op_packet(struct fz *in)
{
	unsigned k = fz_u8(in) % FZ_SV_MAX_CHAN;
	uint16_t type = fz_u16(in), flags = fz_u16(in);
	uint64_t trans = fz_u64(in);
	uint32_t count = fz_u32(in), offset = fz_u32(in);
	unsigned npfn = fz_u8(in) % 65;
	uint64_t pfns[64];
	uint8_t len, pay[255];

	for (unsigned i = 0; i < npfn; i++)
		pfns[i] = fz_u64(in);
	len = fz_u8(in);
	fz_bytes(in, pay, len);
	send_packet(k, type, flags, trans, count, offset, pfns, npfn, pay, len);
}

static void op_raw(struct fz *in)
{
	struct vg_chan *c = &chans[fz_u8(in) % FZ_SV_MAX_CHAN];
	uint8_t len = fz_u8(in), b[255];
	uint32_t idx;

	fz_bytes(in, b, len);
	idx = fz_u32(in);
	if (!c->open)
		return;
	for (unsigned i = 0; i < len; i++)
		c->up[(c->up_ctl->write_index % c->up_size + i) % c->up_size] = b[i];
	__atomic_store_n(&c->up_ctl->write_index, idx, __ATOMIC_RELEASE);
	vg_signal_conn(&g, c->conn_id, false);
}

static void init(void)
{
	for (unsigned i = 0; i < 2; i++) {
		int fd = fuzz_temp_file(1u << 20, path_buf[i], sizeof(path_buf[i]));

		FZ_CHECK(fd >= 0, "temp file");
		paths[i] = path_buf[i];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct fz in = { data, size };
	uint8_t flags = fz_u8(&in);
	struct scsi_disk_config cfg = { .serial = "FUZZ", .naa_id = 0x6002248000000001ull, .write_cache = true };
	struct storvsp *s;
	char err[256];

	fuzz_quiet_logs();
	if (!initialized) {
		init();
		initialized = true;
	}
	memset(chans, 0, sizeof(chans));
	fuzz_guest_init(&g, FZ_SV_RAM, FZ_VS_NVP);
	g.next_gpadl = 0xe1e10;
	g.on_msg = on_msg;
	s = storvsp_new(g.bus, &g.mem, 0, FZ_SV_MAX_CHAN - 1);
	FZ_CHECK(s, "storvsp_new");
	blks[1] = NULL;
	FZ_CHECK(blk_open(&blks[0], g.loop, paths[0], false, BLK_CACHE_WRITEBACK, err, sizeof(err)) == 0, "%s", err);
	FZ_CHECK(storvsp_attach(s, 0, blks[0], &cfg) == 0, "storvsp_attach");
	if (flags & SV_F_LUN1) {
		FZ_CHECK(blk_open(&blks[1], g.loop, paths[1], true, BLK_CACHE_WRITEBACK, err, sizeof(err)) == 0, "%s",
			 err);
		FZ_CHECK(storvsp_attach(s, 1, blks[1], &cfg) == 0, "storvsp_attach");
	}

	/* Linux 6.1: vmbus_connect, vmbus_request_offers, then storvsc_probe's vmbus_open. */
	fuzz_guest_connect(&g);
	chan_open(0);
	FZ_CHECK(chans[0].open, "the harness could not open the storvsp channel");
	if (flags & SV_F_NEGOTIATE) {
		/* storvsc_channel_init */
		vstor_request(VSTOR_OPERATION_BEGIN_INITIALIZATION, 0, 1);
		vstor_request(VSTOR_OPERATION_QUERY_PROTOCOL_VERSION,
			      flags & SV_F_WIN8 ? VMSTOR_PROTO_VERSION_WIN8 : VMSTOR_PROTO_VERSION_WIN10, 2);
		vstor_request(VSTOR_OPERATION_QUERY_PROPERTIES, 0, 3);
		vstor_request(VSTOR_OPERATION_END_INITIALIZATION, 0, 4);
	}

	while (in.n) {
		switch (fz_u8(&in) % SV_OP_COUNT) {
		case SV_OP_PACKET: op_packet(&in); break;
		case SV_OP_RAW: op_raw(&in); break;
		case SV_OP_RING_CTL: fuzz_ring_ctl(&chans[fz_u8(&in) % FZ_SV_MAX_CHAN], &in); break;
		case SV_OP_CONSUME: consume(fz_u8(&in) % FZ_SV_MAX_CHAN); break;
		case SV_OP_WRITE_MEM: {
			uint32_t gpa = fz_u32(&in) % FZ_SV_RAM;
			uint8_t len = fz_u8(&in), b[255];

			fz_bytes(&in, b, len);
			gmem_write(&g.mem, gpa, b, len <= FZ_SV_RAM - gpa ? len : FZ_SV_RAM - gpa);
			break;
		}
		case SV_OP_CLOSE: chan_close(fz_u8(&in) % FZ_SV_MAX_CHAN); break;
		case SV_OP_OPEN: chan_open(fz_u8(&in) % FZ_SV_MAX_CHAN); break;
		}
		settle();
		if (flags & SV_F_CONSUME) {
			for (unsigned k = 0; k < FZ_SV_MAX_CHAN; k++)
				consume(k);
			settle();
		}
	}
	/* Channels close (and their I/O drains) with the bus; then the controller goes. */
	vg_stop(&g);
	storvsp_free(s);
	blks[0] = blks[1] = NULL;
	vg_destroy(&g);
	return 0;
}
