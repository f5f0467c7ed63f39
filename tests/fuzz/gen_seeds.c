/* SPDX-License-Identifier: MIT */
/*
 * fuzz-seeds DIR: writes the seed corpora, DIR/TARGET/NAME, in the input formats of
 * fuzz.h. Each seed is a session a real guest (Linux 6.1's hv_vmbus, hv_storvsc and hv_netvsc)
 * or a real user would have: the fuzzer starts from valid messages and mutates them,
 * instead of having to discover the protocols byte by byte.
 */
#include "boot_proto.h"
#include "fuzz.h"
#include "hv_proto.h"
#include "memory.h"
#include "netvsp_proto.h"
#include "rndis_proto.h"
#include "storvsp_proto.h"
#include "vmbus_proto.h"
#include "vhd.h"
#include "vhdx.h"
#include "vhdx_image.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <sys/stat.h>

struct seed {
	uint8_t b[16384];
	size_t n;
};

static void put(struct seed *s, const void *p, size_t len)
{
	if (s->n + len > sizeof(s->b)) {
		fprintf(stderr, "fuzz-seeds: a seed outgrew %zu bytes\n", sizeof(s->b));
		exit(1);
	}
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

static void u8(struct seed *s, uint8_t v) { put(s, &v, 1); }
static void u16(struct seed *s, uint16_t v) { put(s, &v, 2); }
static void u32(struct seed *s, uint32_t v) { put(s, &v, 4); }
static void u64(struct seed *s, uint64_t v) { put(s, &v, 8); }

static const char *outdir;

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void emit(const char *target, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
		fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void emit_text(const char *target, const char *name, const char *text)
{
	struct seed s = { .n = 0 };

	put(&s, text, strlen(text));
	emit(target, name, &s);
}

/* ---- VMBus messages, as hv_vmbus builds them ------------------------------------------ */

static size_t msg_contact(uint8_t *m, uint32_t version)
{
	struct vmbus_msg_initiate_contact c = {
		.header.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = version,
		.monitor_page1 = 0x21000,
		.monitor_page2 = 0x22000,
	};

	if (version >= VMBUS_VERSION_WIN10_V5)
		c.msg_sint = VMBUS_MESSAGE_SINT;
	else
		c.interrupt_page = 0x20000;
	memcpy(m, &c, sizeof(c));
	return sizeof(c);
}

static size_t msg_hdr(uint8_t *m, uint32_t type)
{
	struct vmbus_msg_header h = { .msgtype = type };

	memcpy(m, &h, sizeof(h));
	return sizeof(h);
}

static size_t msg_relid(uint8_t *m, uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid r = { .header.msgtype = type, .child_relid = relid };

	memcpy(m, &r, sizeof(r));
	return sizeof(r);
}

/* GPADL_HEADER with the first PFNs of one range, and *body_pfns left for BODY messages. */
static size_t msg_gpadl_header(uint8_t *m, uint32_t relid, uint32_t id, uint64_t gpa, unsigned pages,
			       unsigned *in_header)
{
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = (uint16_t)(sizeof(struct vmbus_gpa_range) + 8 * pages),
		.rangecount = 1,
	};
	struct vmbus_gpa_range r = { .byte_count = pages * 4096, .byte_offset = 0 };
	unsigned max = (VMBUS_MSG_MAX - sizeof(h) - sizeof(r)) / 8, n = pages < max ? pages : max;
	size_t len = 0;

	memcpy(m, &h, sizeof(h));
	len += sizeof(h);
	memcpy(m + len, &r, sizeof(r));
	len += sizeof(r);
	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn = gpa / 4096 + i;

		memcpy(m + len, &pfn, 8);
		len += 8;
	}
	*in_header = n;
	return len;
}

static size_t msg_gpadl_body(uint8_t *m, uint32_t number, uint32_t id, uint64_t first_pfn, unsigned n)
{
	struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .msgnumber = number, .gpadl = id };
	size_t len = sizeof(b);

	memcpy(m, &b, sizeof(b));
	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn = first_pfn + i;

		memcpy(m + len, &pfn, 8);
		len += 8;
	}
	return len;
}

static size_t msg_open(uint8_t *m, uint32_t relid, uint32_t gpadl, uint32_t down, uint32_t vp)
{
	struct vmbus_msg_open_channel o = {
		.header.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = relid,
		.openid = relid,
		.ringbuffer_gpadl = gpadl,
		.target_vp = vp,
		.downstream_page_offset = down,
	};

	memcpy(m, &o, sizeof(o));
	return sizeof(o);
}

static size_t msg_teardown(uint8_t *m, uint32_t relid, uint32_t gpadl)
{
	struct vmbus_msg_gpadl_teardown t = { .header.msgtype = CHANNELMSG_GPADL_TEARDOWN, .child_relid = relid,
					      .gpadl = gpadl };

	memcpy(m, &t, sizeof(t));
	return sizeof(t);
}

static size_t msg_modify(uint8_t *m, uint32_t relid, uint32_t vp)
{
	struct vmbus_msg_modifychannel t = { .header.msgtype = CHANNELMSG_MODIFYCHANNEL, .child_relid = relid,
					     .target_vp = vp };

	memcpy(m, &t, sizeof(t));
	return sizeof(t);
}

/* ---- fuzz_vmbus_server ------------------------------------------------------------------ */

/* conn: 0 the connection VERSION_RESPONSE named (or 1), 1 connection 4 (INITIATE_CONTACT from 5.0) */
static void vs_post(struct seed *s, uint8_t conn, const uint8_t *m, size_t len)
{
	u8(s, VS_OP_POST);
	u8(s, conn);
	u8(s, (uint8_t)len);
	put(s, m, len);
}

static void vs_connect(struct seed *s, uint32_t version)
{
	uint8_t m[VMBUS_MSG_MAX];

	vs_post(s, version >= VMBUS_VERSION_WIN10_V5 ? 1 : 0, m, msg_contact(m, version));
	vs_post(s, 0, m, msg_hdr(m, CHANNELMSG_REQUESTOFFERS));
}

/* The rings of relid: a GPADL of pages at gpa (one message or a header and bodies),
 * then OPENCHANNEL with the guest-to-host ring `down` pages long. */
static void vs_open(struct seed *s, uint32_t relid, uint32_t gpadl, uint64_t gpa, unsigned pages, unsigned down)
{
	uint8_t m[VMBUS_MSG_MAX];
	unsigned done, number = 1;

	vs_post(s, 0, m, msg_gpadl_header(m, relid, gpadl, gpa, pages, &done));
	while (done < pages) {
		unsigned n = pages - done < 28 ? pages - done : 28;

		vs_post(s, 0, m, msg_gpadl_body(m, number++, gpadl, gpa / 4096 + done, n));
		done += n;
	}
	vs_post(s, 0, m, msg_open(m, relid, gpadl, down, 0));
}

static void vs_guest_send(struct seed *s, uint16_t relid, uint16_t type, uint16_t flags, uint8_t len)
{
	u8(s, VS_OP_GUEST_SEND);
	u16(s, relid);
	u16(s, type);
	u16(s, flags);
	u8(s, len);
	for (unsigned i = 0; i < len; i++)
		u8(s, (uint8_t)(i * 3));
}

static void vs_guest_recv(struct seed *s, uint16_t relid)
{
	u8(s, VS_OP_GUEST_RECV);
	u16(s, relid);
}

static void vs_device(struct seed *s, uint8_t dev, uint8_t action, uint8_t arg)
{
	u8(s, VS_OP_DEVICE);
	u8(s, dev);
	u8(s, action);
	u8(s, arg);
}

static void vs_close(struct seed *s, uint32_t relid, uint32_t gpadl)
{
	uint8_t m[VMBUS_MSG_MAX];

	vs_post(s, 0, m, msg_relid(m, CHANNELMSG_CLOSECHANNEL, relid));
	vs_post(s, 0, m, msg_teardown(m, relid, gpadl));
}

static void seeds_vmbus_server(void)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct seed s;

	/* Linux 6.1 on 5.3: contact, offers, one channel open, packets both ways, closed. */
	s.n = 0;
	vs_connect(&s, VMBUS_VERSION_WIN10_V5_3);
	vs_open(&s, 1, 0xe1e10, 0x100000, 8, 4);
	vs_guest_send(&s, 1, VM_PKT_DATA_INBAND, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, 40);
	vs_guest_recv(&s, 1);
	vs_device(&s, 0, 1, 64);
	vs_guest_recv(&s, 1);
	vs_close(&s, 1, 0xe1e10);
	vs_post(&s, 0, m, msg_hdr(m, CHANNELMSG_UNLOAD));
	emit("vmbus_server", "linux-5.3-open-close", &s);

	/* Every channel open, one with a ring GPADL in three messages; the device whose
	 * open fails; modify the target VP; signals by each path. */
	s.n = 0;
	vs_connect(&s, VMBUS_VERSION_WIN10_V5_3);
	vs_open(&s, 1, 0x100, 0x100000, 64, 32);
	vs_open(&s, 2, 0x101, 0x140000, 8, 4);
	vs_open(&s, 3, 0x102, 0x150000, 8, 4);
	vs_post(&s, 0, m, msg_modify(m, 3, 1));
	vs_guest_send(&s, 3, VM_PKT_DATA_INBAND, 0, 200);
	u8(&s, VS_OP_SIGNAL);
	u16(&s, 3);
	u8(&s, 1);
	vs_guest_recv(&s, 3);
	vs_guest_send(&s, 1, VM_PKT_COMP, 0, 8);
	emit("vmbus_server", "three-channels-big-gpadl", &s);

	/* Older protocols: the interrupt page, and the event connection. */
	s.n = 0;
	vs_connect(&s, VMBUS_VERSION_WIN7);
	vs_open(&s, 1, 0x200, 0x100000, 8, 4);
	vs_guest_send(&s, 1, VM_PKT_DATA_INBAND, 0, 16);
	u8(&s, VS_OP_SIGNAL);
	u16(&s, 1);
	u8(&s, 2);
	vs_guest_recv(&s, 1);
	emit("vmbus_server", "win7-interrupt-page", &s);

	s.n = 0;
	vs_connect(&s, VMBUS_VERSION_WIN8_1);
	vs_open(&s, 1, 0x300, 0x100000, 8, 4);
	vs_guest_send(&s, 1, VM_PKT_DATA_INBAND, 0, 16);
	emit("vmbus_server", "win8.1", &s);

	/* Sub-channels offered by the device, opened; then it is rescinded, the guest
	 * closes and releases the relids, and it comes back. */
	s.n = 0;
	vs_connect(&s, VMBUS_VERSION_WIN10_V5_2);
	vs_open(&s, 3, 0x400, 0x100000, 8, 4);
	vs_device(&s, 2, 0, 1);
	vs_device(&s, 2, 0, 2);
	vs_open(&s, 4, 0x401, 0x110000, 8, 4);
	vs_open(&s, 5, 0x402, 0x120000, 8, 4);
	vs_guest_send(&s, 4, VM_PKT_DATA_INBAND, 0, 24);
	vs_device(&s, 2, 2, 0);
	for (uint32_t relid = 3; relid <= 5; relid++) {
		vs_post(&s, 0, m, msg_relid(m, CHANNELMSG_CLOSECHANNEL, relid));
		vs_post(&s, 0, m, msg_relid(m, CHANNELMSG_RELID_RELEASED, relid));
	}
	vs_device(&s, 2, 3, 0);
	emit("vmbus_server", "subchannels-rescind", &s);

	/* The guest breaks a live ring: an index past the end, then a new contact. */
	s.n = 0;
	vs_connect(&s, VMBUS_VERSION_WIN10_V5_3);
	vs_open(&s, 1, 0x500, 0x100000, 8, 4);
	vs_open(&s, 3, 0x501, 0x110000, 8, 4);
	vs_guest_send(&s, 1, VM_PKT_DATA_INBAND, 0, 16);
	u8(&s, VS_OP_RING_CTL);
	u16(&s, 1);
	u8(&s, 0);
	u32(&s, 0x10000);
	u8(&s, VS_OP_SIGNAL);
	u16(&s, 1);
	u8(&s, 0);
	vs_guest_send(&s, 3, VM_PKT_DATA_INBAND, 0, 16);
	vs_connect(&s, VMBUS_VERSION_WIN10_V5_3);
	u8(&s, VS_OP_RESET);
	emit("vmbus_server", "corrupt-ring-reconnect", &s);
}

/* ---- fuzz_gpadl --------------------------------------------------------------------------- */

static void gp_msg(struct seed *s, uint8_t op, const uint8_t *m, size_t len)
{
	u8(s, op);
	u8(s, (uint8_t)len);
	put(s, m, len);
}

static void seeds_gpadl(void)
{
	uint8_t m[VMBUS_MSG_MAX];
	struct seed s;
	unsigned done;

	for (uint8_t layout = 0; layout < GP_MEM_COUNT; layout++) {
		char name[64];

		s.n = 0;
		u8(&s, layout);
		/* one message, then viewed whole and in part, and removed */
		gp_msg(&s, GP_OP_HEADER, m, msg_gpadl_header(m, 1, 0x10, 0x10000, 8, &done));
		u8(&s, GP_OP_VIEW);
		u32(&s, 0x10);
		u32(&s, 0);
		u32(&s, 8);
		u8(&s, GP_OP_VIEW);
		u32(&s, 0x10);
		u32(&s, 2);
		u32(&s, 3);
		/* a header and two bodies */
		gp_msg(&s, GP_OP_HEADER, m, msg_gpadl_header(m, 1, 0x11, 0x20000, 60, &done));
		gp_msg(&s, GP_OP_BODY, m, msg_gpadl_body(m, 1, 0x11, 0x20 + done, 28));
		gp_msg(&s, GP_OP_BODY, m, msg_gpadl_body(m, 2, 0x11, 0x20 + done + 28, 60 - done - 28));
		u8(&s, GP_OP_VIEW);
		u32(&s, 0x11);
		u32(&s, 0);
		u32(&s, 60);
		u8(&s, GP_OP_REMOVE);
		u32(&s, 0x10);
		/* scattered pages, and plain accesses */
		u8(&s, GP_OP_VIEW_PAGES);
		u8(&s, 4);
		u64(&s, 0x30);
		u64(&s, 0x12);
		u64(&s, 0x13);
		u64(&s, 0x40);
		u8(&s, GP_OP_ACCESS);
		u64(&s, 0xff8);
		u16(&s, 16);
		snprintf(name, sizeof(name), "layout-%u", layout);
		emit("gpadl", name, &s);
	}
}

/* ---- fuzz_packet ------------------------------------------------------------------------- */

#define PK_LOW_PFN	0x10ull			/* fuzz_packet's RAM: 16 pages at 64 KiB */
#define PK_HIGH_PFN	0xfffffffffffe0ull	/* and 31 pages near the top */

struct pk_packet {
	uint8_t b[4096];
	uint32_t n;
};

static void pk_put(struct pk_packet *k, const void *p, uint32_t len)
{
	memcpy(k->b + k->n, p, len);
	k->n += len;
}

static void pk_u32(struct pk_packet *k, uint32_t v) { pk_put(k, &v, 4); }
static void pk_u64(struct pk_packet *k, uint64_t v) { pk_put(k, &v, 8); }

static void pk_begin(struct pk_packet *k, uint16_t type, uint64_t trans)
{
	struct vmbus_packet_desc d = { .type = type, .flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED,
				       .trans_id = trans };

	k->n = 0;
	pk_put(k, &d, sizeof(d));
}

/* The payload from here: offset8 and len8 set, as hv_vmbus writes them. */
static void pk_payload(struct pk_packet *k, const void *p, uint32_t len)
{
	struct vmbus_packet_desc d;
	uint32_t off = k->n;

	pk_put(k, p, len);
	while (k->n % 8)
		k->b[k->n++] = 0;
	memcpy(&d, k->b, sizeof(d));
	d.offset8 = (uint16_t)(off / 8);
	d.len8 = (uint16_t)(k->n / 8);
	memcpy(k->b, &d, sizeof(d));
}

static void pk_emit(const char *name, uint8_t max_ranges, uint16_t max_pages, uint32_t max_bytes, uint16_t xfer_id,
		    uint16_t xfer_len, uint32_t walk_off, uint16_t walk_len, const struct pk_packet *k)
{
	struct seed s = { .n = 0 };

	u8(&s, max_ranges);
	u16(&s, max_pages);
	u32(&s, max_bytes);
	u16(&s, FZ_PK_MAX_IOV);
	u8(&s, xfer_len ? 0 : 1);
	u16(&s, xfer_id);
	u16(&s, xfer_len);
	u32(&s, walk_off);
	u16(&s, walk_len);
	put(&s, k->b, k->n);
	emit("packet", name, &s);
}

static void seeds_packet(void)
{
	const uint32_t sv_pages = 2u * 1024 * 1024 / 4096 + 1, nv_pages = 512;
	struct vstor_packet vp = { .operation = VSTOR_OPERATION_EXECUTE_SRB, .flags = VSTOR_REQUEST_COMPLETION_FLAG };
	struct nvsp_msg1_send_rndis_pkt nm = { .msg_type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
					       .send_buf_section_index = NVSP_SECTION_NONE };
	struct pk_packet k;

	/* hv_storvsc: a 32 KiB READ(10) at offset 512 of its first page, then the vstor packet */
	vp.vm_srb.cdb_length = 10;
	vp.vm_srb.data_in = VSTOR_DATA_IN;
	vp.vm_srb.data_transfer_length = 32768;
	vp.vm_srb.cdb[0] = 0x28;
	vp.vm_srb.cdb[8] = 64;
	pk_begin(&k, VM_PKT_DATA_USING_GPA_DIRECT, 0x100);
	pk_u32(&k, 0);
	pk_u32(&k, 1);
	pk_u32(&k, 32768);
	pk_u32(&k, 512);
	for (unsigned i = 0; i < 9; i++)
		pk_u64(&k, i < 5 ? PK_LOW_PFN + 2 + i : PK_HIGH_PFN + 10 + 2 * i);
	pk_payload(&k, &vp, sizeof(vp));
	pk_emit("storvsc-read", 1, (uint16_t)sv_pages, sv_pages * 4096, 0, 0, 500, 8192, &k);

	/* the same request in-band, without data */
	vp.vm_srb.data_transfer_length = 0;
	vp.vm_srb.cdb[0] = 0x00;
	pk_begin(&k, VM_PKT_DATA_INBAND, 0x101);
	pk_payload(&k, &vp, sizeof(vp));
	pk_emit("storvsc-inband", 1, (uint16_t)sv_pages, sv_pages * 4096, 0, 0, 0, 0, &k);

	/* hv_netvsc: an RNDIS message in page buffers, one range per page piece */
	pk_begin(&k, VM_PKT_DATA_USING_GPA_DIRECT, 0x200);
	pk_u32(&k, 0);
	pk_u32(&k, 3);
	pk_u32(&k, 60);		/* the RNDIS header and its PPIs */
	pk_u32(&k, 3900);
	pk_u64(&k, PK_LOW_PFN + 1);
	pk_u32(&k, 1514 - 136);	/* the frame, over a page boundary */
	pk_u32(&k, 3960);
	pk_u64(&k, PK_LOW_PFN + 7);
	pk_u64(&k, PK_LOW_PFN + 8);
	pk_u32(&k, 136);
	pk_u32(&k, 0);
	pk_u64(&k, PK_HIGH_PFN + 30);
	pk_payload(&k, &nm, sizeof(nm));
	pk_emit("netvsc-pages", 64, (uint16_t)nv_pages, nv_pages * 4096, 0, 0, 50, 1500, &k);

	/* transfer pages: three frames in a receive buffer, as the host sends them */
	pk_begin(&k, VM_PKT_DATA_USING_XFER_PAGES, 0x300);
	{
		uint16_t id = 0xcafe, zero = 0;

		pk_put(&k, &id, 2);
		pk_put(&k, &zero, 2);
	}
	pk_u32(&k, 3);
	pk_u32(&k, 1514);
	pk_u32(&k, 0);
	pk_u32(&k, 60);
	pk_u32(&k, 4096);
	pk_u32(&k, 8000);
	pk_u32(&k, 8192);
	pk_payload(&k, &nm, sizeof(nm));
	pk_emit("xfer-pages", 128, 0, 65536, 0xcafe, 16384, 1000, 2000, &k);

	/* a completion: payload only */
	pk_begin(&k, VM_PKT_COMP, 0x400);
	pk_payload(&k, &nm, 8);
	pk_emit("completion", 1, 1, 4096, 0, 0, 0, 0, &k);

	/* refused: a page outside RAM, and a range longer than its page list */
	pk_begin(&k, VM_PKT_DATA_USING_GPA_DIRECT, 0x500);
	pk_u32(&k, 0);
	pk_u32(&k, 1);
	pk_u32(&k, 8192);
	pk_u32(&k, 0);
	pk_u64(&k, PK_LOW_PFN + 15);
	pk_u64(&k, PK_LOW_PFN + 16);
	pk_payload(&k, &vp, sizeof(vp));
	pk_emit("pfn-outside-ram", 1, (uint16_t)sv_pages, sv_pages * 4096, 0, 0, 0, 0, &k);
	pk_begin(&k, VM_PKT_DATA_USING_GPA_DIRECT, 0x501);
	pk_u32(&k, 0);
	pk_u32(&k, 1);
	pk_u32(&k, 8192);
	pk_u32(&k, 0);
	pk_u64(&k, PK_LOW_PFN);
	pk_payload(&k, &vp, sizeof(vp));
	pk_emit("range-past-page-list", 1, (uint16_t)sv_pages, sv_pages * 4096, 0, 0, 0, 0, &k);
}

/* ---- fuzz_vmbus_ring ------------------------------------------------------------------------ */

static void seeds_vmbus_ring(void)
{
	struct seed s;

	/* Both rings empty, pending_send_sz supported; the guest sends, the host reads
	 * and answers, the guest reads. */
	s.n = 0;
	u8(&s, 1);
	u8(&s, 1);
	for (unsigned side = 0; side < 2; side++) {
		u32(&s, 0);
		u32(&s, 0);
		u32(&s, 0);
		u32(&s, 0);
		u32(&s, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	}
	for (unsigned i = 0; i < 3; i++) {
		u8(&s, VR_OP_GUEST_SEND);
		u16(&s, VM_PKT_DATA_INBAND);
		u16(&s, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
		u16(&s, (uint16_t)(24 + 100 * i));
	}
	u8(&s, VR_OP_MASK);
	u8(&s, 0);
	for (unsigned i = 0; i < 3; i++) {
		u8(&s, VR_OP_RECV);
		u16(&s, 512);
	}
	u8(&s, VR_OP_RECV_DONE);
	u8(&s, VR_OP_MASK);
	u8(&s, 1);
	u8(&s, VR_OP_SEND);
	u8(&s, 1);
	u16(&s, 16);
	u16(&s, 48);
	u8(&s, VR_OP_GUEST_RECV);
	emit("vmbus_ring", "send-recv", &s);

	/* Wrapping: a full ring, indices near the end, a blocked writer. */
	s.n = 0;
	u8(&s, 0);
	u8(&s, 0);
	u32(&s, 4000);
	u32(&s, 4000);
	u32(&s, 0);
	u32(&s, 0);
	u32(&s, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	u32(&s, 4000);
	u32(&s, 4000);
	u32(&s, 0);
	u32(&s, 0);
	u32(&s, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	u8(&s, VR_OP_GUEST_SEND);
	u16(&s, VM_PKT_DATA_INBAND);
	u16(&s, 0);
	u16(&s, 300);
	u8(&s, VR_OP_RECV);
	u16(&s, 64);
	u8(&s, VR_OP_RECV);
	u16(&s, 1024);
	u8(&s, VR_OP_RECV_DONE);
	u8(&s, VR_OP_SEND);
	u8(&s, 3);
	u16(&s, 16);
	u16(&s, 2000);
	u16(&s, 1500);
	u8(&s, VR_OP_CTL);
	u8(&s, 8 | 3);
	u32(&s, 4000);
	u8(&s, VR_OP_SEND);
	u8(&s, 0);
	u16(&s, 3000);
	u8(&s, VR_OP_GUEST_RECV);
	u8(&s, VR_OP_SEND);
	u8(&s, 0);
	u16(&s, 3000);
	emit("vmbus_ring", "wrap-full", &s);
}

/* ---- fuzz_storvsp ----------------------------------------------------------------------------- */

static void sv_packet(struct seed *s, uint8_t chan, uint16_t type, uint64_t trans, uint32_t count, uint32_t offset,
		      const uint64_t *pfns, uint8_t npfn, const struct vstor_packet *p, uint8_t len)
{
	u8(s, SV_OP_PACKET);
	u8(s, chan);
	u16(s, type);
	u16(s, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	u64(s, trans);
	u32(s, count);
	u32(s, offset);
	u8(s, npfn);
	for (unsigned i = 0; i < npfn; i++)
		u64(s, pfns[i]);
	u8(s, len);
	put(s, p, len);
}

static void sv_control(struct seed *s, uint8_t chan, uint32_t op, uint16_t arg, uint64_t trans)
{
	struct vstor_packet p = { .operation = op, .flags = VSTOR_REQUEST_COMPLETION_FLAG };

	if (op == VSTOR_OPERATION_QUERY_PROTOCOL_VERSION)
		p.version.major_minor = arg;
	if (op == VSTOR_OPERATION_CREATE_SUB_CHANNELS)
		p.sub_channel_count = arg;
	sv_packet(s, chan, VM_PKT_DATA_INBAND, trans, 0, 0, NULL, 0, &p, sizeof(p));
}

/* An SRB as storvsc_queuecommand sends it; data in the pages from FZ_SV_DATA_GPA. */
static void sv_srb(struct seed *s, uint8_t chan, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, bool in,
		   uint32_t len, uint32_t offset, uint64_t trans, uint8_t size)
{
	struct vstor_packet p = { .operation = VSTOR_OPERATION_EXECUTE_SRB, .flags = VSTOR_REQUEST_COMPLETION_FLAG };
	uint64_t pfns[16];
	uint8_t npfn = (uint8_t)((offset + len + 4095) / 4096);

	p.vm_srb.length = (uint16_t)(size - offsetof(struct vstor_packet, vm_srb));
	p.vm_srb.lun = lun;
	p.vm_srb.cdb_length = cdb_len;
	p.vm_srb.sense_info_length = VMSCSI_SENSE_BUFFER_SIZE;
	p.vm_srb.data_in = in ? VSTOR_DATA_IN : 0;
	p.vm_srb.data_transfer_length = len;
	memcpy(p.vm_srb.cdb, cdb, cdb_len);
	for (unsigned i = 0; i < npfn; i++)
		pfns[i] = FZ_SV_DATA_GPA / 4096 + i;
	if (len)
		sv_packet(s, chan, VM_PKT_DATA_USING_GPA_DIRECT, trans, len, offset, pfns, npfn, &p, size);
	else
		sv_packet(s, chan, VM_PKT_DATA_INBAND, trans, 0, 0, NULL, 0, &p, size);
}

static void seeds_storvsp(void)
{
	static const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
	static const uint8_t inquiry_vpd83[6] = { 0x12, 1, 0x83, 0, 255, 0 };
	static const uint8_t report_luns[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t read_cap16[16] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0 };
	static const uint8_t read10[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	static const uint8_t write10[10] = { 0x2a, 0, 0, 0, 0, 16, 0, 0, 2, 0 };
	static const uint8_t tur[6] = { 0 };
	static const uint8_t sync_cache[10] = { 0x35 };
	static const uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	static const uint8_t mode_sense[6] = { 0x1a, 0, 0x3f, 0, 192, 0 };
	struct seed s;

	/* The harness negotiates; the SCSI scan and I/O of sd_probe and a mount. */
	s.n = 0;
	u8(&s, SV_F_NEGOTIATE | SV_F_CONSUME | SV_F_LUN1);
	sv_srb(&s, 0, 0, report_luns, 12, true, 4096, 0, 0x10, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, inquiry, 6, true, 36, 0, 0x11, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 1, inquiry_vpd83, 6, true, 255, 0x100, 0x12, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 2, inquiry, 6, true, 36, 0, 0x13, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, tur, 6, false, 0, 0, 0x14, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, read_cap16, 16, true, 32, 0, 0x15, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, mode_sense, 6, true, 192, 0, 0x16, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, read10, 10, true, 4096, 0, 0x17, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, write10, 10, false, 1024, 512, 0x18, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 1, write10, 10, false, 1024, 0, 0x19, VSTOR_PACKET_SIZE);
	sv_srb(&s, 0, 0, sync_cache, 10, false, 0, 0, 0x1a, VSTOR_PACKET_SIZE);
	{
		/* UNMAP parameter list: 8-byte header, one 16-byte descriptor */
		uint8_t list[24] = { 0, 22, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 8 };

		u8(&s, SV_OP_WRITE_MEM);
		u32(&s, FZ_SV_DATA_GPA);
		u8(&s, sizeof(list));
		put(&s, list, sizeof(list));
		sv_srb(&s, 0, 0, unmap, 10, false, 24, 0, 0x1b, VSTOR_PACKET_SIZE);
	}
	emit("storvsp", "linux-scan-io", &s);

	/* The input negotiates itself (WIN8 sizes), asks for sub-channels, opens them,
	 * does I/O on one, closes and reopens the primary. */
	s.n = 0;
	u8(&s, SV_F_CONSUME);
	sv_control(&s, 0, VSTOR_OPERATION_BEGIN_INITIALIZATION, 0, 1);
	sv_control(&s, 0, VSTOR_OPERATION_QUERY_PROTOCOL_VERSION, VMSTOR_PROTO_VERSION_WIN10, 2);
	sv_control(&s, 0, VSTOR_OPERATION_QUERY_PROPERTIES, 0, 3);
	sv_control(&s, 0, VSTOR_OPERATION_CREATE_SUB_CHANNELS, 2, 4);
	sv_control(&s, 0, VSTOR_OPERATION_END_INITIALIZATION, 0, 5);
	u8(&s, SV_OP_OPEN);
	u8(&s, 1);
	u8(&s, SV_OP_OPEN);
	u8(&s, 2);
	sv_srb(&s, 1, 0, read10, 10, true, 4096, 0, 0x20, VSTOR_PACKET_SIZE);
	sv_srb(&s, 2, 0, write10, 10, false, 1024, 0, 0x21, VSTOR_PACKET_SIZE);
	sv_control(&s, 0, VSTOR_OPERATION_RESET_BUS, 0, 6);
	u8(&s, SV_OP_CLOSE);
	u8(&s, 2);
	u8(&s, SV_OP_CLOSE);
	u8(&s, 0);
	u8(&s, SV_OP_OPEN);
	u8(&s, 0);
	sv_control(&s, 0, VSTOR_OPERATION_BEGIN_INITIALIZATION, 0, 7);
	emit("storvsp", "subchannels-reopen", &s);

	/* WIN8 packet sizes; completions left in the ring until it is full. */
	s.n = 0;
	u8(&s, SV_F_NEGOTIATE | SV_F_WIN8);
	for (unsigned i = 0; i < 24; i++)
		sv_srb(&s, 0, 0, read10, 10, true, 4096, 0, 0x100 + i, VSTOR_PACKET_SIZE);
	u8(&s, SV_OP_CONSUME);
	u8(&s, 0);
	emit("storvsp", "win8-ring-full", &s);

	/* Broken indices on the live channel (the guest does not read its completions,
	 * which would put the index right again). */
	s.n = 0;
	u8(&s, SV_F_NEGOTIATE);
	sv_srb(&s, 0, 0, read10, 10, true, 4096, 0, 0x30, VSTOR_PACKET_SIZE);
	u8(&s, SV_OP_RING_CTL);
	u8(&s, 0);
	u8(&s, 4 | 1);
	u32(&s, 12);
	sv_srb(&s, 0, 0, tur, 6, false, 0, 0, 0x31, VSTOR_PACKET_SIZE);
	u8(&s, SV_OP_CLOSE);
	u8(&s, 0);
	u8(&s, SV_OP_OPEN);
	u8(&s, 0);
	emit("storvsp", "broken-ring-reopen", &s);
}

/* ---- fuzz_scsi_disk ---------------------------------------------------------------------------- */

static void sd_cmd(struct seed *s, uint8_t target, const uint8_t *cdb, uint8_t cdb_len, bool in, uint32_t len,
		   const uint8_t *out)
{
	uint8_t c[16] = { 0 };

	memcpy(c, cdb, cdb_len);
	u8(s, SD_OP_CMD);
	u8(s, target);
	u8(s, cdb_len);
	put(s, c, 16);
	u8(s, in);
	u32(s, len);
	u8(s, len ? 1 : 0);
	if (len) {
		u32(s, len);
		if (!in)
			put(s, out, len);
	}
}

static void seeds_scsi_disk(void)
{
	static const struct {
		uint8_t cdb[16], len;
		bool in;
		uint32_t data;
	} cmds[] = {
		{ { 0x12, 0, 0, 0, 36 }, 6, true, 36 },			/* INQUIRY */
		{ { 0x12, 1, 0x00, 0, 255 }, 6, true, 255 },		/* supported VPD pages */
		{ { 0x12, 1, 0x80, 0, 255 }, 6, true, 255 },		/* serial */
		{ { 0x12, 1, 0x83, 0, 255 }, 6, true, 255 },		/* identification */
		{ { 0x12, 1, 0xb0, 0, 64 }, 6, true, 64 },		/* block limits */
		{ { 0x12, 1, 0xb1, 0, 64 }, 6, true, 64 },		/* characteristics */
		{ { 0x12, 1, 0xb2, 0, 8 }, 6, true, 8 },		/* provisioning */
		{ { 0 }, 6, false, 0 },					/* TEST UNIT READY */
		{ { 0x25 }, 10, true, 8 },				/* READ CAPACITY(10) */
		{ { 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32 }, 16, true, 32 },
		{ { 0x1a, 0, 0x3f, 0, 192 }, 6, true, 192 },		/* MODE SENSE(6) */
		{ { 0x5a, 0, 0x08, 0, 0, 0, 0, 0, 64 }, 10, true, 64 },	/* MODE SENSE(10) caching */
		{ { 0x03, 0, 0, 0, 18 }, 6, true, 18 },		/* REQUEST SENSE */
		{ { 0x28, 0, 0, 0, 0, 0, 0, 0, 8 }, 10, true, 4096 },	/* READ(10) */
		{ { 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 1 }, 16, true, 512 },	/* READ(16) */
		{ { 0x08, 0, 0, 4, 1 }, 6, true, 512 },		/* READ(6) */
		{ { 0x35 }, 10, false, 0 },				/* SYNCHRONIZE CACHE */
		{ { 0x1e, 0, 0, 0, 1 }, 6, false, 0 },		/* PREVENT REMOVAL */
		{ { 0x1b, 0, 0, 0, 1 }, 6, false, 0 },		/* START STOP */
		{ { 0x2f, 0, 0, 0, 0, 0, 0, 0, 8 }, 10, false, 0 },	/* VERIFY(10) */
	};
	static const uint8_t write10[10] = { 0x2a, 0x08, 0, 0, 0, 8, 0, 0, 2, 0 };
	static const uint8_t write_same16[16] = { 0x93, 0x08, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 8 };
	static const uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	static const uint8_t mode_select[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, 28, 0 };
	static uint8_t out[1024];
	struct seed s;

	for (uint8_t flags = 0; flags < 4; flags++) {
		char name[64];

		s.n = 0;
		u8(&s, flags);
		u32(&s, 1u << 20);
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			sd_cmd(&s, 0, cmds[i].cdb, cmds[i].len, cmds[i].in, cmds[i].data, NULL);
		u8(&s, SD_OP_WAIT);
		snprintf(name, sizeof(name), "scan-read-%u", flags);
		emit("scsi_disk", name, &s);
	}

	s.n = 0;
	u8(&s, 2);
	u32(&s, 0);
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 13);
	sd_cmd(&s, 0, write10, 10, false, 1024, out);
	memset(out, 0, sizeof(out));
	/* UNMAP: 8-byte header, one descriptor of 8 blocks at 64 */
	out[1] = 22;
	out[3] = 16;
	out[15] = 64;
	out[19] = 8;
	sd_cmd(&s, 0, unmap, 10, false, 24, out);
	memset(out, 0, sizeof(out));
	sd_cmd(&s, 0, write_same16, 16, false, 512, out);
	/* MODE SELECT(10) of the caching page with the write cache off */
	memset(out, 0, sizeof(out));
	out[8] = 0x08;
	out[9] = 18;
	sd_cmd(&s, 0, mode_select, 10, false, 28, out);
	u8(&s, SD_OP_WAIT);
	/* no LUN, REPORT LUNS, a unit attention */
	sd_cmd(&s, 1, cmds[0].cdb, 6, true, 36, NULL);
	u8(&s, SD_OP_CMD);
	u8(&s, 2);
	u8(&s, 12);
	put(&s, (uint8_t[16]){ 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, 16);
	u8(&s, 1);
	u32(&s, 256);
	u8(&s, 1);
	u32(&s, 256);
	u8(&s, 3);
	u16(&s, 0);
	u16(&s, 1);
	u16(&s, 63);
	sd_cmd(&s, 3, cmds[7].cdb, 6, false, 0, NULL);
	u8(&s, SD_OP_WAIT);
	emit("scsi_disk", "write-unmap-modeselect", &s);

	/* A CD/DVD drive: what sr and cdrom.sys send, around media changes. */
	{
		static const struct {
			uint8_t cdb[16], len;
			bool in;
			uint32_t data;
		} cd[] = {
			{ { 0x12, 0, 0, 0, 96 }, 6, true, 96 },			/* INQUIRY */
			{ { 0 }, 6, false, 0 },					/* TEST UNIT READY */
			{ { 0x46, 0, 0, 0, 0, 0, 0, 1, 0 }, 10, true, 256 },	/* GET CONFIGURATION */
			{ { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 }, 10, true, 8 },	/* GESN media */
			{ { 0x25 }, 10, true, 8 },				/* READ CAPACITY(10) */
			{ { 0x43, 0, 0, 0, 0, 0, 0, 0, 64 }, 10, true, 64 },	/* READ TOC */
			{ { 0x43, 2, 1, 0, 0, 0, 0, 0, 64 }, 10, true, 64 },	/* READ TOC session, MSF */
			{ { 0x51, 0, 0, 0, 0, 0, 0, 0, 34 }, 10, true, 34 },	/* READ DISC INFORMATION */
			{ { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 128 }, 10, true, 128 },	/* MODE SENSE 2Ah */
			{ { 0x28, 0, 0, 0, 0, 16, 0, 0, 2 }, 10, true, 4096 },	/* READ(10) */
			{ { 0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 12, true, 2048 },	/* READ(12) */
			{ { 0xad, 0, 0, 0, 0, 0, 0, 0xff, 0, 64 }, 12, true, 64 },	/* READ DVD STRUCTURE */
			{ { 0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8 }, 12, true, 8 },	/* MECHANISM STATUS */
			{ { 0xbb, 0, 0xff, 0xff }, 12, false, 0 },		/* SET CD SPEED */
			{ { 0x1e, 0, 0, 0, 1 }, 6, false, 0 },		/* PREVENT */
			{ { 0x1b, 0, 0, 0, 2 }, 6, false, 0 },		/* eject (refused) */
			{ { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 }, 10, false, 0 },	/* WRITE(10) */
		};

		for (uint8_t flags = 0x10; flags <= 0x30; flags += 0x20) {
			char name[64];

			s.n = 0;
			u8(&s, flags);
			u32(&s, 1u << 20);
			for (size_t i = 0; i < sizeof(cd) / sizeof(cd[0]); i++)
				sd_cmd(&s, 0, cd[i].cdb, cd[i].len, cd[i].in, cd[i].data, NULL);
			u8(&s, SD_OP_MEDIUM);
			u8(&s, 0);	/* refused: locked */
			u8(&s, SD_OP_MEDIUM);
			u8(&s, 2);	/* forced */
			u8(&s, SD_OP_MEDIUM);
			u8(&s, 3);	/* medium B */
			for (size_t i = 0; i < sizeof(cd) / sizeof(cd[0]); i++)
				sd_cmd(&s, 0, cd[i].cdb, cd[i].len, cd[i].in, cd[i].data, NULL);
			u8(&s, SD_OP_WAIT);
			snprintf(name, sizeof(name), "cd-%s", flags & 0x20 ? "empty" : "medium");
			emit("scsi_disk", name, &s);
		}
	}
}

/* ---- fuzz_ic ------------------------------------------------------------------------------------- */

/* An IC message as hv_utils answers: pipe header, IC header with the response flag. */
static void ic_packet(struct seed *s, uint8_t chan, uint16_t msgtype, uint16_t fw_major, uint16_t fw_minor,
		      uint16_t msg_major, uint16_t msg_minor, const void *body, uint16_t len)
{
	uint8_t hdr[28] = { 0 };
	uint32_t pipe_flags = 1, pipe_size = 20u + len;
	uint8_t flags = 1 | 4;	/* transaction, response */

	memcpy(hdr, &pipe_flags, 4);
	memcpy(hdr + 4, &pipe_size, 4);
	memcpy(hdr + 8, &fw_major, 2);
	memcpy(hdr + 10, &fw_minor, 2);
	memcpy(hdr + 12, &msgtype, 2);
	memcpy(hdr + 14, &msg_major, 2);
	memcpy(hdr + 16, &msg_minor, 2);
	memcpy(hdr + 18, &len, 2);
	/* status (4 bytes) 0, transaction id 0 */
	hdr[25] = flags;
	u8(s, IC_OP_PACKET);
	u8(s, chan);
	u16(s, VM_PKT_DATA_INBAND);
	u16(s, 0);
	u16(s, (uint16_t)(sizeof(hdr) + len));
	put(s, hdr, sizeof(hdr));
	put(s, body, len);
}

static void ic_negotiated(struct seed *s, uint8_t chan, uint16_t msg_major, uint16_t msg_minor)
{
	uint16_t body[8] = { 1, 1, 0, 0, 3, 0, msg_major, msg_minor };	/* counts, reserved, fw, msg */

	u8(s, IC_OP_CONSUME);
	u8(s, chan);
	ic_packet(s, chan, 0, 0, 0, 0, 0, body, sizeof(body));
}

static void seeds_ic(void)
{
	static const uint8_t shutdown_body[12] = { 0 };
	uint64_t hb[5] = { 1 };
	uint8_t ts[24] = { 0 };
	struct seed s;

	/* hv_utils 6.1: every IC negotiated, heartbeat answered, shutdown and time sync
	 * requests answered. */
	s.n = 0;
	ic_negotiated(&s, 0, 3, 2);
	ic_negotiated(&s, 1, 3, 0);
	ic_negotiated(&s, 2, 4, 0);
	u8(&s, IC_OP_CONSUME);
	u8(&s, 1);
	ic_packet(&s, 1, 1, 3, 0, 3, 0, hb, sizeof(hb));
	u8(&s, IC_OP_HOST);
	u8(&s, 3);
	u8(&s, IC_OP_HOST);
	u8(&s, 0);
	u8(&s, IC_OP_CONSUME);
	u8(&s, 0);
	ic_packet(&s, 0, 3, 3, 0, 3, 2, shutdown_body, sizeof(shutdown_body));
	u8(&s, IC_OP_HOST);
	u8(&s, 2);
	u8(&s, IC_OP_CONSUME);
	u8(&s, 2);
	ic_packet(&s, 2, 4, 3, 0, 4, 0, ts, sizeof(ts));
	emit("ic", "hv_utils", &s);

	/* Older versions, a restart asked before the guest negotiated, channels closed
	 * and opened again. */
	s.n = 0;
	u8(&s, IC_OP_HOST);
	u8(&s, 1);
	ic_negotiated(&s, 0, 1, 0);
	ic_negotiated(&s, 2, 3, 0);
	u8(&s, IC_OP_CONSUME);
	u8(&s, 0);
	ic_packet(&s, 0, 3, 1, 0, 1, 0, shutdown_body, sizeof(shutdown_body));
	u8(&s, IC_OP_CLOSE);
	u8(&s, 1);
	u8(&s, IC_OP_OPEN);
	u8(&s, 1);
	ic_negotiated(&s, 1, 1, 0);
	u8(&s, IC_OP_RING_CTL);
	u8(&s, 2);
	u8(&s, 0);
	u32(&s, 0x7fff);
	u8(&s, IC_OP_HOST);
	u8(&s, 2);
	emit("ic", "old-versions-reopen", &s);
}

/* ---- fuzz_synth_input ------------------------------------------------------------------------------ */

static void si_packet(struct seed *s, uint8_t chan, uint16_t flags, const void *body, uint16_t len)
{
	u8(s, SI_OP_PACKET);
	u8(s, chan);
	u16(s, VM_PKT_DATA_INBAND);
	u16(s, flags);
	u16(s, len);
	put(s, body, len);
}

/* A synthhid message as hid_hyperv sends it: pipe header, synthhid header, payload. */
static void si_hid(struct seed *s, uint32_t pipe_size, uint32_t type, uint32_t size, const void *body, uint16_t len)
{
	uint8_t b[64] = { 0 };
	uint32_t pipe_type = 1;

	memcpy(b, &pipe_type, 4);
	memcpy(b + 4, &pipe_size, 4);
	memcpy(b + 8, &type, 4);
	memcpy(b + 12, &size, 4);
	memcpy(b + 16, body, len);
	si_packet(s, 1, 1, b, (uint16_t)(16 + len));
}

static void si_key(struct seed *s, uint32_t keysym, uint8_t down)
{
	u8(s, SI_OP_KEY);
	u32(s, keysym);
	u8(s, down);
}

static void si_pointer(struct seed *s, uint8_t buttons, uint16_t x, uint16_t y, uint16_t wheel)
{
	u8(s, SI_OP_POINTER);
	u8(s, buttons);
	u16(s, x);
	u16(s, y);
	u16(s, wheel);
}

static void si_consume(struct seed *s, uint8_t chan)
{
	u8(s, SI_OP_CONSUME);
	u8(s, chan);
}

static void seeds_synth_input(void)
{
	const uint32_t kbd_request[2] = { 1, 0x00010000 }, kbd_bad_version[2] = { 1, 0x00020000 };
	const uint32_t leds[2] = { 4, 0x4 };
	const uint8_t hid_request[7] = { 0x00, 0x00, 0x02, 0x00 }, ack[4] = { 0 };
	struct seed s;

	/* hyperv_keyboard and hid_hyperv 6.1 connect; keys typed, the pointer moved and
	 * clicked, the guest reading as it goes. */
	s.n = 0;
	si_packet(&s, 0, 1, kbd_request, sizeof(kbd_request));
	si_consume(&s, 0);
	si_hid(&s, 12, 0, 4, hid_request, sizeof(hid_request));
	si_consume(&s, 1);
	si_hid(&s, 9, 3, 1, ack, sizeof(ack));
	si_key(&s, 'A', 1);
	si_key(&s, 'A', 0);
	si_key(&s, 0xffe3, 1);	/* Control_L */
	si_key(&s, 0xff52, 1);	/* Up */
	si_key(&s, 0xff52, 0);
	si_key(&s, 0xffe3, 0);
	si_key(&s, 0xff13, 1);	/* Pause */
	si_consume(&s, 0);
	si_pointer(&s, 1, 16384, 8192, 0);
	si_pointer(&s, 0, 16384, 8192, 0xffff);
	si_consume(&s, 1);
	si_packet(&s, 0, 0, leds, sizeof(leds));
	emit("synth_input", "linux", &s);

	/* A refused version, asked again; channels closed and opened again; a full ring. */
	s.n = 0;
	si_packet(&s, 0, 1, kbd_bad_version, sizeof(kbd_bad_version));
	si_packet(&s, 0, 1, kbd_request, sizeof(kbd_request));
	si_hid(&s, 9, 3, 1, ack, sizeof(ack));
	si_hid(&s, 12, 0, 4, hid_request, sizeof(hid_request));
	for (int i = 0; i < 40; i++)
		si_key(&s, 'a' + (i % 26), i & 1);
	u8(&s, SI_OP_CLOSE);
	u8(&s, 0);
	u8(&s, SI_OP_OPEN);
	u8(&s, 0);
	si_packet(&s, 0, 1, kbd_request, sizeof(kbd_request));
	si_key(&s, 'x', 1);
	u8(&s, SI_OP_RING_CTL);
	u8(&s, 1);
	u8(&s, 4);
	u32(&s, 0x7fff);
	si_hid(&s, 9, 3, 1, ack, sizeof(ack));
	si_pointer(&s, 0x1f, 32767, 0, 1);
	emit("synth_input", "reconnect", &s);
}

/* ---- fuzz_synth_video ------------------------------------------------------------------------------ */

/* A synthvid message as hyperv_drm sends it: both headers say header plus payload. */
static void vid_msg(struct seed *s, uint32_t type, const void *body, uint16_t len)
{
	uint8_t b[256] = { 0 };
	uint32_t pipe_type = 1, size = 8u + len;

	memcpy(b, &pipe_type, 4);
	memcpy(b + 4, &size, 4);
	memcpy(b + 8, &type, 4);
	memcpy(b + 12, &size, 4);
	memcpy(b + 16, body, len);
	u8(s, VID_OP_PACKET);
	u16(s, VM_PKT_DATA_INBAND);
	u16(s, 0);
	u16(s, (uint16_t)(16 + len));
	put(s, b, (uint16_t)(16 + len));
}

static void vid_vram(struct seed *s, uint64_t gpa)
{
	uint8_t b[17] = { 0 };

	memcpy(b, &gpa, 8);
	b[8] = 1;
	memcpy(b + 9, &gpa, 8);
	vid_msg(s, 3, b, sizeof(b));
}

static void vid_situation(struct seed *s, uint32_t w, uint32_t h, uint32_t pitch)
{
	uint8_t b[27] = { 0 };

	b[8] = 1;	/* one output */
	b[9] = 1;	/* active */
	b[14] = 32;
	memcpy(b + 15, &w, 4);
	memcpy(b + 19, &h, 4);
	memcpy(b + 23, &pitch, 4);
	vid_msg(s, 5, b, sizeof(b));
}

static void vid_dirt(struct seed *s, int32_t x1, int32_t y1, int32_t x2, int32_t y2)
{
	uint8_t b[18] = { 0, 1 };
	int32_t r[4] = { x1, y1, x2, y2 };

	memcpy(b + 2, r, 16);
	vid_msg(s, 10, b, sizeof(b));
}

static void seeds_synth_video(void)
{
	const uint32_t v35 = 0x00050003, v32 = 0x00020003, v40 = 0x00000004;
	const uint8_t res_req = 64;
	/* hyperv_hide_hw_ptr */
	const uint8_t pos[10] = { 1, 0 };
	const uint8_t shape[22] = { 0xff, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 };
	uint8_t part[18 + 32] = { 0, 1, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 };
	struct seed s;

	/* hyperv_drm 6.1's probe and a console: version, resolutions, VRAM, the pointer
	 * hidden, a mode, damage; a front end looking and listening. */
	s.n = 0;
	u8(&s, VID_OP_LISTEN);
	u8(&s, 1);
	vid_msg(&s, 1, &v35, 4);
	u8(&s, VID_OP_CONSUME);
	vid_msg(&s, 13, &res_req, 1);
	u8(&s, VID_OP_CONSUME);
	vid_vram(&s, 0xc0000000ull);
	u8(&s, VID_OP_CONSUME);
	vid_msg(&s, 7, pos, sizeof(pos));
	vid_msg(&s, 8, shape, sizeof(shape));
	vid_situation(&s, 1024, 768, 4096);
	vid_dirt(&s, 0, 0, 1024, 768);
	vid_dirt(&s, 8, 16, 16, 32);
	u8(&s, VID_OP_LOOK);
	vid_situation(&s, 1920, 1080, 7680);
	vid_dirt(&s, -4, -4, 5000, 5000);
	u8(&s, VID_OP_CONSUME);
	u8(&s, VID_OP_LOOK);
	emit("synth_video", "linux", &s);

	/* An older VMBus's 3.2, a refused 4.0 first; Windows' requests; VRAM moved, then
	 * placed over RAM and outside the windows; a pointer in parts; reopened. */
	s.n = 0;
	vid_msg(&s, 1, &v40, 4);
	vid_msg(&s, 1, &v32, 4);
	vid_msg(&s, 11, NULL, 0);
	vid_msg(&s, 15, NULL, 0);
	vid_vram(&s, 0xc0000000ull);
	vid_vram(&s, 0xd0000000ull);
	vid_vram(&s, 0x100000ull);
	vid_vram(&s, 0xfec00000ull);
	vid_vram(&s, 0xc0000800ull);
	vid_situation(&s, 2560, 1600, 10240);
	vid_situation(&s, 4096, 4096, 16384);
	memset(part + 18, 0x55, 16);
	vid_msg(&s, 8, part, 18 + 16);
	part[0] = 0xff;
	vid_msg(&s, 8, part, 18 + 16);
	u8(&s, VID_OP_LOOK);
	u8(&s, VID_OP_CLOSE);
	u8(&s, VID_OP_OPEN);
	vid_msg(&s, 1, &v35, 4);
	vid_vram(&s, 0x100000000ull);
	vid_situation(&s, 640, 480, 2560);
	u8(&s, VID_OP_RING_CTL);
	u8(&s, 4);
	u32(&s, 0x7fff);
	vid_dirt(&s, 0, 0, 640, 480);
	u8(&s, VID_OP_LOOK);
	emit("synth_video", "hostile", &s);
}

/* ---- fuzz_hypercall ------------------------------------------------------------------------------ */

static void hc_wrmsr(struct seed *s, uint8_t vp, uint32_t msr, uint64_t v)
{
	u8(s, HC_OP_WRMSR);
	u8(s, vp);
	u16(s, (uint16_t)(msr - HV_X64_MSR_GUEST_OS_ID));
	u64(s, v);
}

static void hc_call(struct seed *s, uint8_t vp, uint64_t control, uint64_t in, uint64_t out)
{
	u8(s, HC_OP_CALL);
	u8(s, vp);
	u64(s, control);
	u64(s, in);
	u64(s, out);
}

static void hc_mem(struct seed *s, uint16_t off, const void *p, uint8_t len)
{
	u8(s, HC_OP_WRITE_MEM);
	u16(s, off);
	u8(s, len);
	put(s, p, len);
}

static void seeds_hypercall(void)
{
	struct seed s;
	uint8_t post[16 + 32] = { 0 };
	uint32_t w;

	/* Linux's hyperv_init and hv_synic_enable_regs on VP 0 and 1, then the calls
	 * VMBus makes: post a message, signal events fast and slow. */
	s.n = 0;
	u16(&s, 0xffff);
	hc_wrmsr(&s, 0, HV_X64_MSR_GUEST_OS_ID, 0x8100060100000000ull);
	hc_wrmsr(&s, 0, HV_X64_MSR_HYPERCALL, 0x1000 | 1);
	/* VP 0's pages in low RAM, VP 1's in the region above 4 GiB */
	for (uint8_t vp = 0; vp < 2; vp++) {
		hc_wrmsr(&s, vp, HV_X64_MSR_SIMP, (vp ? GMEM_HIGH_BASE : 0x2000) | 1);
		hc_wrmsr(&s, vp, HV_X64_MSR_SIEFP, (vp ? GMEM_HIGH_BASE + 0x1000 : 0x3000) | 1);
		hc_wrmsr(&s, vp, HV_X64_MSR_SINT0 + 2, 0xf3);
		hc_wrmsr(&s, vp, HV_X64_MSR_SCONTROL, 1);
	}
	w = 1;
	memcpy(post, &w, 4);		/* connection 1 */
	memcpy(post + 8, &w, 4);	/* message type 1 */
	w = 32;
	memcpy(post + 12, &w, 4);	/* payload size */
	post[16] = 14;			/* INITIATE_CONTACT */
	hc_mem(&s, 0x800, post, sizeof(post));
	hc_call(&s, 0, HVCALL_POST_MESSAGE, 0x800, 0);
	hc_call(&s, 1, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST, 3, 0);
	w = 2;
	hc_mem(&s, 0x900, &w, 4);
	hc_call(&s, 0, HVCALL_SIGNAL_EVENT, 0x900, 0);
	hc_wrmsr(&s, 0, HV_X64_MSR_EOM, 0);
	/* the same through the registers, 64-bit and 32-bit conventions */
	u8(&s, HC_OP_REGS);
	u8(&s, 0x80);
	u64(&s, 0);
	u64(&s, 0);
	u64(&s, HVCALL_SIGNAL_EVENT | HV_HCALL_FAST);	/* rcx */
	u64(&s, 3);					/* rdx */
	u64(&s, 0);
	u64(&s, 0);
	u64(&s, 0);					/* r8 */
	u8(&s, HC_OP_REGS);
	u8(&s, 1);
	u64(&s, 0);					/* rax: out low */
	u64(&s, 0x800);					/* rbx: in high... */
	u64(&s, 0x800);					/* rcx: in low */
	u64(&s, HVCALL_POST_MESSAGE);			/* rdx: control */
	u64(&s, 0);
	u64(&s, 0);					/* rdi: out high */
	u64(&s, 0);
	emit("hypercall", "synic-post-signal", &s);

	/* TLB flushes and IPIs with reps and sparse VP sets; timers; reference TSC. */
	s.n = 0;
	u16(&s, 0xffff);
	hc_wrmsr(&s, 0, HV_X64_MSR_GUEST_OS_ID, 0x8100060100000000ull);
	hc_wrmsr(&s, 0, HV_X64_MSR_HYPERCALL, 0x1000 | 1);
	hc_wrmsr(&s, 0, HV_X64_MSR_REFERENCE_TSC, (GMEM_HIGH_BASE + 0x2000) | 1);
	hc_wrmsr(&s, 1, HV_X64_MSR_SINT0 + 0, 0xf4);
	hc_wrmsr(&s, 1, HV_X64_MSR_SCONTROL, 1);
	hc_wrmsr(&s, 1, HV_X64_MSR_STIMER0_CONFIG + 1, 1000);
	hc_wrmsr(&s, 1, HV_X64_MSR_STIMER0_CONFIG, 1 | 2 | (0ull << 16));
	{
		uint64_t flush[3] = { 0, 0, 7 };	/* address space, flags, processor mask */
		uint64_t list[4] = { 0, 0, 3, 0x7000 };

		hc_mem(&s, 0xa00, flush, sizeof(flush));
		hc_call(&s, 0, HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 0xa00, 0);
		hc_mem(&s, 0xb00, list, sizeof(list));
		hc_call(&s, 0, HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST | (1ull << HV_HCALL_REP_COUNT_SHIFT), 0xb00, 0xc00);
	}
	{
		uint64_t ipi[2] = { 0xf5, 6 };	/* vector, processor mask */
		uint64_t ipi_ex[4] = { 0xf5, 1 /* sparse 4K */, 1, 6 };

		hc_mem(&s, 0xd00, ipi, sizeof(ipi));
		hc_call(&s, 0, HVCALL_SEND_IPI, 0xd00, 0);
		hc_call(&s, 0, HVCALL_SEND_IPI | HV_HCALL_FAST, 0xf5, 6);
		hc_mem(&s, 0xe00, ipi_ex, sizeof(ipi_ex));
		hc_call(&s, 0, HVCALL_SEND_IPI_EX | (1ull << HV_HCALL_VARHEAD_SHIFT), 0xe00, 0);
	}
	hc_call(&s, 2, HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HCALL_FAST, 1, 0);
	u8(&s, HC_OP_RDMSR);
	u8(&s, 1);
	u16(&s, HV_X64_MSR_TIME_REF_COUNT - HV_X64_MSR_GUEST_OS_ID);
	u8(&s, HC_OP_RDMSR);
	u8(&s, 2);
	u16(&s, HV_X64_MSR_VP_INDEX - HV_X64_MSR_GUEST_OS_ID);
	emit("hypercall", "flush-ipi-timers", &s);
}

/* ---- fuzz_config_json and fuzz_cli --------------------------------------------------------------- */

static void seeds_config(void)
{
	emit_text("config_json", "full",
		  "{\n"
		  "  \"name\": \"vm1\",\n"
		  "  \"kernel\": \"/boot/vmlinuz\",\n"
		  "  \"initrd\": \"/boot/initrd.img\",\n"
		  "  \"cmdline\": \"console=ttyS0 quiet\",\n"
		  "  \"memory\": \"1G\",\n"
		  "  \"cpus\": 2,\n"
		  "  \"serial\": \"file:/tmp/console.log\",\n"
		  "  \"hv\": \"relaxed,vpindex,synic,stimer\",\n"
		  "  \"on-crash\": \"reset\",\n"
		  "  \"no-reboot\": true,\n"
		  "  \"shutdown-timeout\": 10,\n"
		  "  \"log-level\": \"debug\",\n"
		  "  \"stats\": true,\n"
		  "  \"seccomp\": false,\n"
		  "  \"api-socket\": \"/run/hvkvm.sock\",\n"
		  "  \"disks\": [\n"
		  "    { \"path\": \"/tmp/a.img\", \"readonly\": true, \"cache\": \"none\", \"serial\": \"DISK-A\" },\n"
		  "    { \"path\": \"/tmp/b.img\", \"controller\": 1, \"lun\": 3 }\n"
		  "  ],\n"
		  "  \"nets\": [\n"
		  "    { \"tap\": \"tap0\", \"mac\": \"00:15:5d:01:02:03\", \"mtu\": 9000, \"id\": \"net0\" },\n"
		  "    { \"tap\": \"tap1\" }\n"
		  "  ]\n"
		  "}\n");
	emit_text("config_json", "minimal", "{ \"kernel\": \"/boot/vmlinuz\", \"memory\": 512 }\n");
	emit_text("config_json", "hv-off", "{ \"kernel\": \"k\", \"hv\": \"off\", \"cpus\": 254, \"memory\": \"6G\" }");

	{
		static const char *const lines[][24] = {
			{ "--kernel", "/boot/vmlinuz", "--initrd", "/boot/initrd.img", "-m", "2G", "--cpus", "4",
			  "--cmdline", "console=ttyS0 root=/dev/sda", "--serial", "stdio", NULL },
			{ "--kernel=/k", "--disk", "path=/tmp/a.img,readonly=on,serial=S1,cache=none",
			  "--disk", "path=/tmp/b.img,controller=1,lun=63", "--net", "tap=tap0,mac=00:15:5d:00:00:01,mtu=1500",
			  "--name", "vm-1", "--print-config", NULL },
			{ "--kernel", "/k", "--hv", "relaxed,vpindex,-stimer", "--on-crash", "reset", "--no-reboot",
			  "--shutdown-timeout", "5", "--log-level", "warn", "--stats", "--seccomp", "off",
			  "--api-socket", "/run/h.sock", NULL },
			{ "--help", NULL },
		};

		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			struct seed s = { .n = 0 };
			char name[32];

			for (const char *const *w = lines[i]; *w; w++)
				put(&s, *w, strlen(*w) + 1);
			snprintf(name, sizeof(name), "line-%zu", i);
			emit("cli", name, &s);
		}
	}
}

/* ---- fuzz_rndis and fuzz_netvsp --------------------------------------------------------------------- */

/* RNDIS control messages as rndis_filter.c builds them. */
static size_t rndis_init_msg(uint8_t *m, uint32_t req)
{
	struct rndis_initialize_request r = { RNDIS_MSG_INIT, sizeof(r), req, 1, 0, 0x4000 };

	memcpy(m, &r, sizeof(r));
	return sizeof(r);
}

static size_t rndis_oid_msg(uint8_t *m, uint32_t type, uint32_t req, uint32_t oid, const void *info, uint32_t len)
{
	struct rndis_query_request q = { type, (uint32_t)sizeof(q) + len, req, oid, len, len ? sizeof(q) - 8 : 0, 0 };

	memcpy(m, &q, sizeof(q));
	memcpy(m + sizeof(q), info, len);
	return sizeof(q) + len;
}

static size_t rndis_req_msg(uint8_t *m, uint32_t type, uint32_t req)
{
	struct rndis_request_id r = { type, sizeof(r), req };

	memcpy(m, &r, sizeof(r));
	return sizeof(r);
}

/* A data packet: one frame (a TCP/IPv4 segment to a peer) with the checksum PPI. */
static size_t rndis_data_msg(uint8_t *m, uint16_t frame_len)
{
	struct rndis_packet p = { RNDIS_MSG_PACKET, 0, 0, frame_len, 0, 0, 0, sizeof(p) - 8, 0, 0, 0 };
	struct rndis_ppi ppi = { RNDIS_PPI_SIZE(4), TCPIP_CHKSUM_PKTINFO, sizeof(ppi) };
	uint32_t csum = NDIS_TXCSUM_IS_IPV4 | NDIS_TXCSUM_TCP | 34u << 16;
	static const uint8_t hdr[54] = {
		0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 77, 2, 10, 0, 77, 1,
		0x9c, 0x40, 0x00, 0x16, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0x20, 0x00, 0, 0, 0, 0,
	};
	uint32_t off = sizeof(p);

	p.per_pkt_info_len = ppi.size;
	memcpy(m + off, &ppi, sizeof(ppi));
	memcpy(m + off + sizeof(ppi), &csum, 4);
	off += ppi.size;
	p.data_offset = off - 8;
	memset(m + off, 0x5a, frame_len);
	memcpy(m + off, hdr, frame_len < sizeof(hdr) ? frame_len : sizeof(hdr));
	off += frame_len;
	p.msg_len = off;
	memcpy(m, &p, sizeof(p));
	return off;
}

static size_t rndis_rss_msg(uint8_t *m, uint32_t req, unsigned queues)
{
	struct ndis_recv_scale_param p = {
		.hdr = { NDIS_OBJECT_TYPE_RSS_PARAMETERS, 2, sizeof(p) },
		.hashinfo = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6,
		.indirect_tabsize = 4 * 128,
		.indirect_taboffset = sizeof(p) + NDIS_RSS_KEY_SIZE,
		.hashkey_size = NDIS_RSS_KEY_SIZE,
		.hashkey_offset = sizeof(p),
	};
	uint8_t info[sizeof(p) + NDIS_RSS_KEY_SIZE + 4 * 128];

	memcpy(info, &p, sizeof(p));
	for (unsigned i = 0; i < NDIS_RSS_KEY_SIZE; i++)
		info[sizeof(p) + i] = (uint8_t)(0x6d + 31 * i);
	for (uint32_t i = 0; i < 128; i++) {
		uint32_t q = i % queues;

		memcpy(info + sizeof(p) + NDIS_RSS_KEY_SIZE + 4 * i, &q, 4);
	}
	return rndis_oid_msg(m, RNDIS_MSG_SET, req, OID_GEN_RECEIVE_SCALE_PARAMETERS, info, sizeof(info));
}

static size_t rndis_offload_msg(uint8_t *m, uint32_t req)
{
	struct ndis_offload_params p = {
		.header = { NDIS_OBJECT_TYPE_DEFAULT, 2, NDIS_OFFLOAD_PARAMETERS_SIZE_2 },
		.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
		.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
		.udp_ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
		.tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
		.udp_ip_v6_csum = NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
		.lso_v2_ipv4 = NDIS_OFFLOAD_PARAMETERS_ENABLED,
		.lso_v2_ipv6 = NDIS_OFFLOAD_PARAMETERS_ENABLED,
		.rsc_ip_v4 = NDIS_OFFLOAD_PARAMETERS_ENABLED,
		.rsc_ip_v6 = NDIS_OFFLOAD_PARAMETERS_ENABLED,
	};

	return rndis_oid_msg(m, RNDIS_MSG_SET, req, OID_TCP_OFFLOAD_PARAMETERS, &p, NDIS_OFFLOAD_PARAMETERS_SIZE_2);
}

/* OID_GEN_RNDIS_CONFIG_PARAMETER "NetworkAddress" = a string, in UTF-16, as netvsc.sys. */
static size_t rndis_netaddr_msg(uint8_t *m, uint32_t req)
{
	static const char name[] = "NetworkAddress", value[] = "00-15-5D-0A-0B-0C";
	uint8_t info[20 + 2 * sizeof(name) + 2 * sizeof(value)] = { 0 };
	struct rndis_config_parameter_info p = {
		20, 2 * (sizeof(name) - 1), RNDIS_CONFIG_PARAM_TYPE_STRING, 20 + 2 * (sizeof(name) - 1),
		2 * (sizeof(value) - 1),
	};

	memcpy(info, &p, sizeof(p));
	for (size_t i = 0; i + 1 < sizeof(name); i++)
		info[20 + 2 * i] = (uint8_t)name[i];
	for (size_t i = 0; i + 1 < sizeof(value); i++)
		info[p.parameter_value_offset + 2 * i] = (uint8_t)value[i];
	return rndis_oid_msg(m, RNDIS_MSG_SET, req, OID_GEN_RNDIS_CONFIG_PARAMETER, info,
			     p.parameter_value_offset + p.parameter_value_length);
}

static void rn_msg(struct seed *s, const uint8_t *m, size_t len)
{
	u16(s, (uint16_t)len);
	put(s, m, len);
}

static void seeds_rndis(void)
{
	static const uint32_t queries[] = {
		OID_GEN_SUPPORTED_LIST, OID_GEN_MAXIMUM_FRAME_SIZE, OID_802_3_PERMANENT_ADDRESS,
		OID_GEN_LINK_SPEED, OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_RECEIVE_SCALE_CAPABILITIES,
		OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, OID_GEN_LINK_STATE, OID_GEN_XMIT_OK,
	};
	uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_MULTICAST | RNDIS_PACKET_TYPE_BROADCAST;
	uint8_t m[1024];
	uint32_t req = 1;
	struct seed s = { .n = 0 };

	/* rndis_filter_device_add, then a MAC change, keepalive, reset and halt. */
	u8(&s, 3 << 2);
	rn_msg(&s, m, rndis_init_msg(m, req++));
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		rn_msg(&s, m, rndis_oid_msg(m, RNDIS_MSG_QUERY, req++, queries[i], NULL, 0));
	rn_msg(&s, m, rndis_offload_msg(m, req++));
	rn_msg(&s, m, rndis_rss_msg(m, req++, 4));
	rn_msg(&s, m, rndis_oid_msg(m, RNDIS_MSG_SET, req++, OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	rn_msg(&s, m, rndis_netaddr_msg(m, req++));
	rn_msg(&s, m, rndis_req_msg(m, RNDIS_MSG_KEEPALIVE, req++));
	rn_msg(&s, m, rndis_req_msg(m, RNDIS_MSG_RESET, req++));
	rn_msg(&s, m, rndis_req_msg(m, RNDIS_MSG_HALT, req++));
	emit("rndis", "hv_netvsc", &s);
}

static void nv_op_rndis(struct seed *s, uint8_t chan, uint32_t section, uint32_t section_size, uint32_t type,
			uint32_t gpa, uint16_t count)
{
	u8(s, NV_OP_RNDIS);
	u8(s, chan);
	u32(s, section);
	u32(s, section_size);
	u32(s, type);
	u8(s, count ? 1 : 0);
	if (count) {
		u32(s, gpa);
		u16(s, count);
	}
}

/* An RNDIS message in send section sec, sent from it. */
static void nv_section_msg(struct seed *s, uint8_t chan, uint16_t sec, const uint8_t *m, size_t len, uint32_t type)
{
	u8(s, NV_OP_SECTION);
	u16(s, sec);
	u16(s, 0);
	u16(s, (uint16_t)len);
	put(s, m, len);
	nv_op_rndis(s, chan, sec, (uint32_t)len, type, 0, 0);
}

/* An RNDIS message at gpa, sent GPA direct (rndis_filter_send_request). */
static void nv_gpa_msg(struct seed *s, uint8_t chan, uint32_t gpa, const uint8_t *m, size_t len, uint32_t type)
{
	u8(s, NV_OP_WRITE_MEM);
	u32(s, gpa);
	u16(s, (uint16_t)len);
	put(s, m, len);
	nv_op_rndis(s, chan, NVSP_SECTION_NONE, 0, type, gpa, (uint16_t)len);
}

/* A frame from the tap: a virtio-net header (checksum done, or a TSO frame), then it. */
static void nv_tap_frame(struct seed *s, uint16_t frame_len, bool tso)
{
	uint8_t f[2048];
	size_t n = rndis_data_msg(f, frame_len), off = n - frame_len;
	uint8_t vh[12] = { 2 };

	if (tso) {
		uint16_t hdr_len = 54, gso = 1448, cstart = 34, coff = 16;

		vh[0] = 1;
		vh[1] = 1;
		memcpy(vh + 2, &hdr_len, 2);
		memcpy(vh + 4, &gso, 2);
		memcpy(vh + 6, &cstart, 2);
		memcpy(vh + 8, &coff, 2);
	}
	/* The frame to the guest: swap the addresses. */
	memcpy(f + off, "\x00\x15\x5d\x01\x02\x03\x02\x00\x00\xaa\xbb\xcc", 12);
	u8(s, NV_OP_TAP);
	u16(s, (uint16_t)(12 + frame_len));
	put(s, vh, 12);
	put(s, f + off, frame_len);
}

static void seeds_netvsp(void)
{
	static const uint32_t queries[] = {
		OID_GEN_MAXIMUM_FRAME_SIZE, OID_802_3_PERMANENT_ADDRESS, OID_GEN_LINK_SPEED,
		OID_GEN_RECEIVE_SCALE_CAPABILITIES, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
	};
	uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_MULTICAST | RNDIS_PACKET_TYPE_BROADCAST;
	uint8_t m[2048];
	uint32_t req = 2;
	struct seed s = { .n = 0 };

	/* hv_netvsc after the harness's NVSP and RNDIS INITIALIZE: its queries and sets by
	 * GPA direct, then frames both ways, receives completed. */
	u8(&s, NV_F_NEGOTIATE | NV_F_RNDIS_INIT | NV_F_CONSUME | NV_F_SUBCHAN);
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		nv_gpa_msg(&s, 0, FZ_NV_DATA_GPA + 0x100 * (uint32_t)i,
			   m, rndis_oid_msg(m, RNDIS_MSG_QUERY, req++, queries[i], NULL, 0), NVSP_CHANNEL_TYPE_CONTROL);
	nv_gpa_msg(&s, 0, FZ_NV_DATA_GPA + 0x1000, m, rndis_offload_msg(m, req++), NVSP_CHANNEL_TYPE_CONTROL);
	nv_gpa_msg(&s, 0, FZ_NV_DATA_GPA + 0x2000, m, rndis_rss_msg(m, req++, FZ_NV_MAX_CHAN),
		   NVSP_CHANNEL_TYPE_CONTROL);
	nv_gpa_msg(&s, 0, FZ_NV_DATA_GPA + 0x3000, m,
		   rndis_oid_msg(m, RNDIS_MSG_SET, req++, OID_GEN_CURRENT_PACKET_FILTER, &filter, 4),
		   NVSP_CHANNEL_TYPE_CONTROL);
	nv_section_msg(&s, 0, 1, m, rndis_data_msg(m, 60), NVSP_CHANNEL_TYPE_DATA);
	nv_section_msg(&s, 1, 2, m, rndis_data_msg(m, 1514), NVSP_CHANNEL_TYPE_DATA);
	/* A frame across a page boundary, GPA direct. */
	nv_gpa_msg(&s, 0, FZ_NV_DATA_GPA + 0x4f00, m, rndis_data_msg(m, 1000), NVSP_CHANNEL_TYPE_DATA);
	nv_tap_frame(&s, 60, false);
	nv_tap_frame(&s, 1514, false);
	nv_tap_frame(&s, 1800, true);
	u8(&s, NV_OP_LINK);
	u8(&s, 0);
	u8(&s, NV_OP_LINK);
	u8(&s, 1);
	nv_section_msg(&s, 0, 3, m, rndis_req_msg(m, RNDIS_MSG_KEEPALIVE, req++), NVSP_CHANNEL_TYPE_CONTROL);
	emit("netvsp", "hv_netvsc", &s);

	/* The guest runs NVSP itself (an old version), frames arrive while it does not
	 * complete receives, then it revokes the buffers and closes. */
	s.n = 0;
	u8(&s, 0);
	{
		struct nvsp_msg_init init = { NVSP_MSG_TYPE_INIT, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_2 };
		struct nvsp_msg1_revoke_buf rv = { NVSP_MSG1_TYPE_REVOKE_SEND_BUF, 0 };

		u8(&s, NV_OP_NVSP);
		u8(&s, 0);
		u16(&s, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
		u64(&s, 1);
		u8(&s, 40);
		put(&s, &init, sizeof(init));
		for (size_t i = sizeof(init); i < 40; i++)
			u8(&s, 0);
		u8(&s, NV_OP_CONSUME);
		u8(&s, 0);
		u8(&s, 1);
		nv_tap_frame(&s, 100, false);
		u8(&s, NV_OP_NVSP);
		u8(&s, 0);
		u16(&s, 0);
		u64(&s, 2);
		u8(&s, sizeof(rv));
		put(&s, &rv, sizeof(rv));
		u8(&s, NV_OP_CLOSE);
		u8(&s, 0);
		u8(&s, NV_OP_OPEN);
		u8(&s, 0);
	}
	emit("netvsp", "old-version-reopen", &s);

	/* Negotiated by the harness, receives not completed: the buffer runs out. */
	s.n = 0;
	u8(&s, NV_F_NEGOTIATE | NV_F_RNDIS_INIT);
	nv_gpa_msg(&s, 0, FZ_NV_DATA_GPA, m,
		   rndis_oid_msg(m, RNDIS_MSG_SET, req++, OID_GEN_CURRENT_PACKET_FILTER, &filter, 4),
		   NVSP_CHANNEL_TYPE_CONTROL);
	for (int i = 0; i < 4; i++)
		nv_tap_frame(&s, 1514, false);
	u8(&s, NV_OP_CONSUME);
	u8(&s, 0);
	u8(&s, 1);
	emit("netvsp", "rx-no-completion", &s);
}

/* ---- fuzz_jsonrpc ----------------------------------------------------------------------------------- */

static void seeds_jsonrpc(void)
{
	emit_text("jsonrpc", "requests",
		  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":[1,2.5,\"x\",null,true]},\"id\":1}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"n\":7,\"flag\":true,\"name\":\"disk0\"},"
		  "\"id\":\"t\"}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[],\"id\":null}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":3}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"params\":{\"types\":[\"fuzz\"]},\"id\":4}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"note\":\"notification\"}}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":5}\n");
	emit_text("jsonrpc", "batch",
		  "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"k\":\"\\u00e9\\ud83d\\ude00\"},\"id\":1},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":2},{\"jsonrpc\":\"2.0\",\"method\":\"typed\"},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"n\":1e3},\"id\":3},1,[]]\n"
		  "[]\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"events.unsubscribe\",\"id\":9}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":10}");
	emit_text("jsonrpc", "malformed",
		  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1\n"
		  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
		  "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":{}}\n"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":\"\xff\xfe\",\"id\":2}\n"
		  "\n"
		  "NaN\n");

	/* A client that stops reading ('#' first): its replies pile up past the point
	 * where the server stops reading it, with calls still unanswered. */
	{
		struct seed s = { .n = 0 };
		char line[1200];

		put(&s, "#\n", 2);
		for (int i = 0; i < 24; i++) {
			int n = snprintf(line, sizeof(line),
					 "[{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":%d},"
					 "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"pad\":\"%0400d\"},"
					 "\"id\":%d}]\n", 2 * i, i, 2 * i + 1);

			put(&s, line, (size_t)n);
		}
		emit("jsonrpc", "stalled-reader", &s);
	}
}

/* ---- receive checksums ----------------------------------------------------------------- */

/* A frame as the host's kernel hands it over with NEEDS_CSUM: Ethernet, IPv4 or IPv6,
 * UDP (a DHCP reply) or TCP, the checksum field holding the pseudo-header's sum. */
static size_t nc_frame(uint8_t *f, bool v6, uint8_t proto, size_t payload)
{
	size_t ip = 14, l4 = v6 ? 54 : 34, hl = proto == 6 ? 20 : 8, len = l4 + hl + payload;

	memset(f, 0, len);
	memset(f, 0xff, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		f[ip] = 0x60;
		f[ip + 4] = (uint8_t)((hl + payload) >> 8);
		f[ip + 5] = (uint8_t)(hl + payload);
		f[ip + 6] = proto;
		f[ip + 7] = 64;
	} else {
		f[ip] = 0x45;
		f[ip + 2] = (uint8_t)((len - ip) >> 8);
		f[ip + 3] = (uint8_t)(len - ip);
		f[ip + 8] = 64;
		f[ip + 9] = proto;
		f[ip + 12] = 10;
		f[ip + 15] = 1;
		f[ip + 16] = 10;
		f[ip + 19] = 50;
	}
	f[l4 + 1] = proto == 6 ? 80 : 67;
	f[l4 + 3] = proto == 6 ? 0x50 : 68;
	for (size_t i = 0; i < payload; i++)
		f[l4 + hl + i] = (uint8_t)(i * 13 + 1);
	f[l4 + (proto == 6 ? 16 : 6)] = 0x5a;
	f[l4 + (proto == 6 ? 16 : 6) + 1] = 0xa5;
	return len;
}

static void nc_seed(const char *name, bool v6, uint8_t proto, size_t payload, uint16_t start, uint16_t offset,
		    uint8_t slack, const uint16_t *cuts, uint8_t ncuts)
{
	static uint8_t f[2048];
	struct seed s = { .n = 0 };
	size_t len = nc_frame(f, v6, proto, payload);

	u16(&s, start);
	u16(&s, offset);
	u8(&s, slack);
	u8(&s, ncuts);
	for (uint8_t i = 0; i < ncuts; i++)
		u16(&s, cuts[i]);
	put(&s, f, len);
	emit("net_csum", name, &s);
}

static void seeds_net_csum(void)
{
	static const uint16_t odd[] = { 1, 35, 101, 341 }, even[] = { 100, 200 }, field[] = { 40, 41 };

	nc_seed("dhcp-udp4", false, 17, 300, 34, 6, 0, NULL, 0);
	nc_seed("dhcp-udp4-odd-cuts", false, 17, 301, 34, 6, 0, odd, 4);
	nc_seed("udp6", true, 17, 200, 54, 6, 0, even, 2);
	nc_seed("tcp4-field-cut", false, 6, 99, 34, 16, 0, field, 2);
	nc_seed("tcp6", true, 6, 500, 54, 16, 0, even, 2);
	nc_seed("field-past-end", false, 17, 300, 340, 1, 0, NULL, 0);
	nc_seed("start-past-end", false, 17, 300, 0xffff, 0xffff, 0, NULL, 0);
	nc_seed("len-past-pieces", false, 17, 300, 34, 6, 4, odd, 4);
	nc_seed("len-short", false, 17, 300, 34, 6, 3, NULL, 0);
}

/* ---- PCI configuration and the PIIX functions (fuzz_pci.c) ------------------------- */

/* One access: op (bit 0 write), where (2: the port as it is), port, size selector,
 * value. */
static void pci_op(struct seed *s, uint8_t op, uint16_t port, unsigned size, uint32_t v)
{
	uint8_t szsel = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	u8(s, op);
	u8(s, 2);
	u16(s, port);
	u8(s, szsel);
	u32(s, v);
}

static void pci_cfg_write(struct seed *s, unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
	pci_op(s, 1, 0xcf8, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	pci_op(s, 1, (uint16_t)(0xcfc + (reg & 3)), size, v);
}

static void seeds_pci(void)
{
	struct seed s = { .n = 0 };

	/* OVMF's PlatformPei: host bridge probe, PMBA 0xB000, I/O enable, PMIOSE; then
	 * the timer, SCI_EN, and the soft-off write. */
	pci_op(&s, 1, 0xcf8, 4, 0x80000000u);
	pci_op(&s, 0, 0xcfe, 2, 0);
	pci_cfg_write(&s, 0x0b, 0x40, 0xb000, 4);
	pci_cfg_write(&s, 0x0b, 0x04, 1, 2);
	pci_cfg_write(&s, 0x0b, 0x80, 1, 1);
	pci_op(&s, 0, 0xb008, 4, 0);
	pci_op(&s, 1, 0xb004, 2, 1);
	pci_op(&s, 1, 0xb004, 2, 1u << 13 | 1);
	emit("pci", "ovmf-pm", &s);

	/* Linux sizing the test function's BARs, assigning them, enabling decode. */
	s.n = 0;
	pci_cfg_write(&s, 0x18, 0x10, 0xffffffff, 4);
	pci_op(&s, 0, 0xcfc, 4, 0);
	pci_cfg_write(&s, 0x18, 0x10, 0xc000, 4);
	pci_cfg_write(&s, 0x18, 0x18, 0xffffffff, 4);
	pci_cfg_write(&s, 0x18, 0x1c, 0xffffffff, 4);
	pci_cfg_write(&s, 0x18, 0x18, 0xfe000000, 4);
	pci_cfg_write(&s, 0x18, 0x1c, 0x1, 4);
	pci_cfg_write(&s, 0x18, 0x04, 3, 2);
	pci_op(&s, 15, 0, 1, 0);	/* bus reset */
	emit("pci", "linux-bars", &s);

	/* The reset register and odd sizes around the address register. */
	s.n = 0;
	pci_op(&s, 1, 0xcfb, 1, 1);
	pci_op(&s, 1, 0xcf9, 1, 6);
	pci_op(&s, 1, 0xcfa, 2, 0);
	pci_op(&s, 0, 0xcfb, 2, 0);
	pci_op(&s, 1, 0xcf8, 8, 0xffffffff);
	pci_op(&s, 1, 0xcfd, 2, 0xffff);
	pci_op(&s, 14, 0, 1, 0);	/* ports reset */
	emit("pci", "cf9-odd-sizes", &s);

	/* OVMF's PCI bus driver and the option ROM function (00:04.0 here): size the ROM
	 * BAR, place and enable it with memory decode, read the header byte by byte (where
	 * 3: MMIO at the window), turn it off; then the driver hides the function, and a
	 * bus reset brings it back. */
	s.n = 0;
	pci_cfg_write(&s, 0x20, 0x30, 0xfffffffe, 4);
	pci_op(&s, 0, 0xcfc, 4, 0);
	pci_cfg_write(&s, 0x20, 0x30, 0xc0000001, 4);
	pci_cfg_write(&s, 0x20, 0x04, 2, 2);
	for (uint16_t off = 0; off < 0x40; off++) {
		u8(&s, 0);
		u8(&s, 3);
		u16(&s, off);
		u8(&s, 0);
		u32(&s, 0);
	}
	pci_cfg_write(&s, 0x20, 0x04, 0, 2);
	pci_cfg_write(&s, 0x20, 0x30, 0xfffffffe, 4);
	pci_cfg_write(&s, 0x20, 0x40, 0x45444948, 4);
	pci_op(&s, 0, 0xcfc, 4, 0);
	pci_op(&s, 15, 0, 1, 0);	/* bus reset */
	emit("pci", "ovmf-option-rom", &s);
}

/* UTF-16LE of ASCII text at p (no NUL written: the zeroed message holds it). */
static uint32_t kvp_text(uint8_t *p, const char *t)
{
	uint32_t n = 0;

	for (; t[n]; n++)
		p[2 * n] = (uint8_t)t[n];
	return 2 * (n + 1);
}

/* An ENUMERATE answer as hv_kvp_daemon writes it, or an integer record. */
static void kvp_record(const char *name, uint8_t pool, const char *key, const char *value, uint32_t type)
{
	struct seed s = { .n = 1 + 2580 };
	uint8_t *m = s.b + 1;
	uint32_t ks, vs;

	memset(s.b, 0, sizeof(s.b));
	s.b[0] = (uint8_t)(pool << 2);
	m[0] = 3;
	m[1] = pool;
	ks = kvp_text(m + 20, key);
	if (type == 1) {
		vs = kvp_text(m + 532, value);
	} else {
		vs = type == 4 ? 4 : 8;
		m[532] = 42;
	}
	memcpy(m + 8, &type, 4);
	memcpy(m + 12, &ks, 4);
	memcpy(m + 16, &vs, 4);
	emit("kvp", name, &s);
}

static void seeds_kvp(void)
{
	struct seed s = { .n = 1 + 7428 };
	uint8_t *m = s.b + 1;

	kvp_record("fqdn", 2, "FullyQualifiedDomainName", "debian.example", 1);
	kvp_record("ipv4", 2, "NetworkAddressIPv4", "192.168.7.2;10.0.0.5", 1);
	kvp_record("external", 0, "Role", "web", 1);
	kvp_record("dword", 1, "Count", NULL, 4);
	kvp_record("qword", 1, "Big", NULL, 11);
	memset(s.b, 0, sizeof(s.b));
	s.b[0] = 1;
	m[0] = 4;
	kvp_text(m + 2, "00:15:5D:00:00:01");
	m[258] = 3;
	m[259] = 1;
	kvp_text(m + 260, "192.168.7.2;fe80::215:5dff:fe00:1");
	kvp_text(m + 2308, "255.255.255.0;64");
	kvp_text(m + 4356, "192.168.7.1");
	kvp_text(m + 5380, "192.168.7.1;9.9.9.9");
	emit("kvp", "ip-info", &s);

	/* Channel mode: Linux negotiates 4.0, then the host asks and the guest answers. */
	memset(&s, 0, sizeof(s));
	u8(&s, 2);
	u8(&s, KV_OP_ANSWER), u8(&s, 1), u8(&s, 0);
	u8(&s, KV_OP_HOST), u8(&s, 0), u8(&s, 2), u32(&s, 0), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_ANSWER), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_HOST), u8(&s, 1), u8(&s, 0), u32(&s, 0), u8(&s, 2), u8(&s, 0);
	u8(&s, KV_OP_HOST), u8(&s, 0), u8(&s, 0), u32(&s, 0), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_ANSWER), u8(&s, 0), u8(&s, 0);
	/* the ENUMERATE answered with a record: REG_SZ, key "R", value "" (the message
	 * starts 28 bytes after the pipe header) */
	u8(&s, KV_OP_ANSWER), u8(&s, 0), u8(&s, 4);
	u16(&s, 28 + 8), u8(&s, 1);
	u16(&s, 28 + 12), u8(&s, 4);
	u16(&s, 28 + 16), u8(&s, 2);
	u16(&s, 28 + 20), u8(&s, 'R');
	u8(&s, KV_OP_HOST), u8(&s, 7), u8(&s, 0), u32(&s, 0), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_ANSWER), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_HOST), u8(&s, 0), u8(&s, 2), u32(&s, 10), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_ANSWER), u8(&s, 0x20), u8(&s, 0);
	u8(&s, KV_OP_HOST), u8(&s, 0), u8(&s, 1), u32(&s, 0), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_CLOSE);
	u8(&s, KV_OP_OPEN);
	u8(&s, KV_OP_ANSWER), u8(&s, 1), u8(&s, 0);
	u8(&s, KV_OP_HOST), u8(&s, 2), u8(&s, 0), u32(&s, 0), u8(&s, 0), u8(&s, 0);
	u8(&s, KV_OP_ANSWER), u8(&s, 0x40), u8(&s, 0), u64(&s, 99);
	emit("kvp", "channel", &s);
}

/* ---- fuzz_fcopy ------------------------------------------------------------------- */

static void fc_answer(struct seed *s, uint8_t how)
{
	u8(s, FC_OP_ANSWER), u8(s, how), u8(s, 0);
}

static void fc_copy(struct seed *s, uint16_t size, uint8_t flags, uint8_t names)
{
	u8(s, FC_OP_HOST), u8(s, 0), u16(s, size), u8(s, flags), u8(s, names);
}

static void seeds_fcopy(void)
{
	struct seed s = { .n = 0 };

	/* Answers as Linux sends them back: the host's message with its operation. */
	for (uint8_t op = 0; op < 4; op++) {
		static const uint32_t lens[4] = { 1088, 6196, 36, 36 };
		char name[16];

		memset(&s, 0, sizeof(s));
		s.b[1] = op;
		s.b[2] = op;
		s.n = 2 + lens[op];
		snprintf(name, sizeof(name), "answer-%u", op);
		emit("fcopy", name, &s);
	}

	/* Channel mode: Linux negotiates 1.1; a copy of 7000 bytes (two WRITEs); the same
	 * again without overwrite (the file exists); one that the guest's disk fills; one
	 * abandoned, whose file then shrinks; the channel closes and reopens. */
	memset(&s, 0, sizeof(s));
	u8(&s, 1);
	fc_answer(&s, 0);
	fc_copy(&s, 7000, 0, 1 << 2 | 1);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	fc_copy(&s, 100, 0, 1 << 2 | 1);
	fc_answer(&s, 0x20);
	fc_copy(&s, 20000, 3, 2);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	u8(&s, FC_OP_ANSWER), u8(&s, 0x10), u8(&s, 0), u32(&s, 0x80070070u);
	fc_answer(&s, 0);
	fc_copy(&s, 13000, 1, 0);
	fc_answer(&s, 0);
	u8(&s, FC_OP_FILE), u16(&s, 100);
	fc_answer(&s, 0);
	u8(&s, FC_OP_HOST), u8(&s, 2), u16(&s, 0), u8(&s, 0), u8(&s, 0);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	fc_copy(&s, 6144, 1, 0);
	fc_answer(&s, 0x40), u64(&s, 5);
	fc_answer(&s, 0);
	u8(&s, FC_OP_CLOSE);
	u8(&s, FC_OP_OPEN);
	fc_answer(&s, 0);
	fc_copy(&s, 1, 1, 0);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	fc_answer(&s, 0);
	emit("fcopy", "channel", &s);
}

/* ---- fuzz_vss ----------------------------------------------------------------------- */

static void vs_answer(struct seed *s, uint8_t op, unsigned extra)
{
	memset(s, 0, sizeof(*s));
	u8(s, op == 6 ? 2 : 0);
	u8(s, op);
	for (unsigned i = 0; i < 11 + extra; i++)
		u8(s, 0);
}

/* Channel mode: Linux negotiates (framework 3.0, message 5.0) first. */
static void vs_begin(struct seed *s)
{
	memset(s, 0, sizeof(*s));
	u8(s, 1);
	u8(s, FV_OP_ANSWER), u8(s, 0), u8(s, 0);
}

static void vs_host(struct seed *s, uint8_t what, uint8_t hold)
{
	u8(s, FV_OP_HOST), u8(s, what), u8(s, hold);
}

static void vs_ok(struct seed *s)
{
	u8(s, FV_OP_ANSWER), u8(s, 0), u8(s, 0);
}

static void seeds_vss(void)
{
	struct seed s;

	vs_answer(&s, 5, 0);
	emit("vss", "freeze-answer", &s);
	vs_answer(&s, 6, 0);
	emit("vss", "thaw-answer", &s);
	vs_answer(&s, 5, 6248);	/* Windows' size of a FREEZE */
	emit("vss", "freeze-answer-long", &s);
	vs_answer(&s, 5, 0);
	s.n = 5;
	emit("vss", "short-answer", &s);

	vs_begin(&s);
	vs_host(&s, 0, 0), vs_ok(&s);
	vs_host(&s, 1, 0), vs_ok(&s);
	emit("vss", "freeze-thaw", &s);
	/* held 1 ns: the IC thaws at once */
	vs_begin(&s);
	vs_host(&s, 0, 1), vs_ok(&s), vs_ok(&s);
	vs_host(&s, 0, 0), vs_ok(&s);
	emit("vss", "automatic-thaw", &s);
	/* the FREEZE times out, a THAW follows, the late answer is dropped */
	vs_begin(&s);
	vs_host(&s, 4, 1), vs_host(&s, 0, 0), vs_ok(&s), vs_ok(&s), vs_host(&s, 4, 0);
	emit("vss", "freeze-timeout", &s);
	/* E_FAIL (no daemon), then an unknown operation in the answer */
	vs_begin(&s);
	vs_host(&s, 0, 0);
	u8(&s, FV_OP_ANSWER), u8(&s, 0x20), u8(&s, 0);
	vs_host(&s, 0, 0);
	u8(&s, FV_OP_ANSWER), u8(&s, 0), u8(&s, 1), u16(&s, 28), u8(&s, 99);
	vs_ok(&s);
	emit("vss", "failed-and-unknown-op", &s);
	/* a THAW behind the FREEZE; pause and resume; the channel closes while frozen and
	 * reopens (a THAW to recover); a reset */
	vs_begin(&s);
	vs_host(&s, 0, 0), vs_host(&s, 1, 0), vs_ok(&s), vs_ok(&s);
	vs_host(&s, 0, 0), vs_host(&s, 3, 0), vs_host(&s, 3, 0), vs_ok(&s);
	u8(&s, FV_OP_CLOSE);
	u8(&s, FV_OP_OPEN);
	vs_ok(&s), vs_ok(&s);
	vs_host(&s, 0, 0), vs_host(&s, 2, 0);
	u8(&s, FV_OP_ANSWER), u8(&s, 0x40), u8(&s, 0), u64(&s, 7);
	emit("vss", "channel", &s);
}

/* ---- fuzz_vhdx, fuzz_vhd --------------------------------------------------------- */

/* Bytes of p up to its last non-zero one (the targets pad with zeroes). */
static size_t trimmed(const uint8_t *p, size_t len)
{
	while (len && !p[len - 1])
		len--;
	return len;
}

static void vx_begin(struct seed *s, uint8_t kind)
{
	s->n = 0;
	u8(s, kind);
	u8(s, 1);	/* checksums put right */
}

static void vx_image(const char *tag, uint64_t size, uint32_t bs, uint32_t ls, bool fixed, const char *parent)
{
	static struct seed s;
	struct tvx_layout lay;
	size_t len;
	uint8_t *f = tvx_build(size, bs, ls, fixed, parent, &len, &lay);
	const uint8_t *m = f + lay.meta_offset;
	char name[64];
	size_t tl, il;

	if (!f) {
		fprintf(stderr, "fuzz-seeds: out of memory\n");
		exit(1);
	}
	vx_begin(&s, FZ_VX_HEADER);
	u64(&s, len);
	put(&s, f + VHDX_HEADER1_OFFSET, trimmed(f + VHDX_HEADER1_OFFSET, VHDX_HEADER_SIZE));
	snprintf(name, sizeof(name), "header-%s", tag);
	emit("vhdx", name, &s);
	vx_begin(&s, FZ_VX_REGION);
	u64(&s, len);
	u32(&s, TVX_LOG_OFFSET);
	u32(&s, TVX_LOG_LENGTH);
	put(&s, f + VHDX_REGION1_OFFSET, trimmed(f + VHDX_REGION1_OFFSET, VHDX_REGION_TABLE_SIZE));
	snprintf(name, sizeof(name), "region-%s", tag);
	emit("vhdx", name, &s);
	/* The metadata table, then its items from 64 KiB. */
	tl = trimmed(m, VHDX_METADATA_TABLE_SIZE);
	il = trimmed(m + VHDX_METADATA_TABLE_SIZE, 8192);
	vx_begin(&s, FZ_VX_METADATA);
	u32(&s, (uint32_t)(lay.meta_length - VHDX_METADATA_TABLE_SIZE));
	u16(&s, (uint16_t)tl);
	put(&s, m, tl);
	put(&s, m + VHDX_METADATA_TABLE_SIZE, il);
	snprintf(name, sizeof(name), "metadata-%s", tag);
	emit("vhdx", name, &s);
	if (parent) {
		vx_begin(&s, FZ_VX_LOCATOR);
		put(&s, m + 0x11000, trimmed(m + 0x11000, 4096));
		snprintf(name, sizeof(name), "locator-%s", tag);
		emit("vhdx", name, &s);
	}
	vx_begin(&s, FZ_VX_BAT);
	u8(&s, (uint8_t)(__builtin_ctz(bs) - 20));
	u8(&s, (uint8_t)((ls == 4096) | (parent ? 2 : 0)));
	u32(&s, (uint32_t)(size / ls - 1));
	u64(&s, len);
	put(&s, f + lay.bat_offset, lay.bat_entries * 8 < 8192 ? lay.bat_entries * 8 : 8192);
	snprintf(name, sizeof(name), "bat-%s", tag);
	emit("vhdx", name, &s);
	free(f);
}

static void seeds_vhdx(void)
{
	static const uint8_t guid[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
	static struct seed s;
	static uint8_t entry[8192], sector[4096];
	const void *sectors[1] = { sector };
	uint64_t target = 2u << 20;
	size_t n;

	vx_image("dynamic-1m", 64u << 20, 1u << 20, 512, false, NULL);
	vx_image("fixed-32m", 96u << 20, 32u << 20, 512, true, NULL);
	vx_image("4k-sectors", 48u << 20, 1u << 20, 4096, false, NULL);
	vx_image("differencing", 16u << 20, 2u << 20, 512, false, "base.vhdx");
	/* A log of one entry writing one sector of the BAT, and one zeroing a range. */
	memset(sector, 0, sizeof(sector));
	sector[24] = 6;
	sector[26] = 0x50;
	n = vhdx_log_build_entry(entry, guid, 1, 0, 5u << 20, 5u << 20, &target, sectors, 1);
	vx_begin(&s, FZ_VX_LOG);
	u8(&s, 3);
	put(&s, guid, 16);
	put(&s, entry, n);
	emit("vhdx", "log-one-entry", &s);
	memset(entry, 0, 4096);
	memcpy(entry, "loge", 4);
	entry[8] = 0;
	entry[9] = 0x10;	/* 4096 bytes */
	entry[16] = 2;		/* sequence number */
	entry[24] = 1;		/* one descriptor */
	memcpy(entry + 32, guid, 16);
	memcpy(entry + 64, "zero", 4);
	entry[64 + 9] = 0x20;	/* 8192 bytes */
	entry[64 + 18] = 0x30;	/* at 3 MiB */
	entry[64 + 24] = 2;
	vx_begin(&s, FZ_VX_LOG);
	u8(&s, 0);
	put(&s, guid, 16);
	put(&s, entry, trimmed(entry, 4096));
	emit("vhdx", "log-zero", &s);
}

static void seeds_vhd(void)
{
	static struct seed s;
	size_t len;
	uint8_t *f = tvhd_build(8u << 20, false, 0, &len);

	vx_begin(&s, FZ_VHD_FOOTER);
	u64(&s, len);
	put(&s, f + len - 512, trimmed(f + len - 512, 512));
	emit("vhd", "footer-fixed", &s);
	free(f);
	f = tvhd_build(20u << 20, true, 2u << 20, &len);
	vx_begin(&s, FZ_VHD_FOOTER);
	u64(&s, len);
	put(&s, f + len - 512, trimmed(f + len - 512, 512));
	emit("vhd", "footer-dynamic", &s);
	vx_begin(&s, FZ_VHD_DYNAMIC);
	u64(&s, len);
	u64(&s, 20u << 20);
	u64(&s, 512);
	put(&s, f + 512, trimmed(f + 512, 1024));
	emit("vhd", "dynamic-header", &s);
	vx_begin(&s, FZ_VHD_BAT);
	u8(&s, 21 - 12);	/* 2 MiB blocks */
	u16(&s, 10);
	u64(&s, 20u << 20);
	u64(&s, len + 2 * ((2u << 20) + 512));
	u32(&s, 1536);
	u32(&s, 512);
	for (uint32_t i = 0; i < 10; i++)
		u32(&s, i == 1 ? htobe32((uint32_t)(len - 512) / 512) : i == 4 ? htobe32((uint32_t)(len - 512 + (2u << 20) + 512) / 512) : 0xffffffffu);
	emit("vhd", "bat", &s);
	free(f);
}

/* ---- fuzz_fw_cfg: what OVMF's QemuFwCfgLib does, and worse --------------------------------------- */

static void cf_out(struct seed *s, uint8_t port, uint8_t size_log2, uint32_t v)
{
	u8(s, CF_OP_OUT);
	u8(s, port);
	u8(s, size_log2);
	u32(s, v);
}

static void cf_in(struct seed *s, uint8_t port, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		u8(s, CF_OP_IN);
		u8(s, port);
		u8(s, 0);
	}
}

/* A request in low RAM at desc (where 0). */
static void cf_dma(struct seed *s, uint16_t desc, uint32_t control, uint32_t len, uint64_t addr)
{
	u8(s, CF_OP_DMA);
	u8(s, 0);
	u32(s, control);
	u32(s, len);
	u64(s, addr);
	u16(s, desc);
}

static void seeds_fw_cfg(void)
{
	struct seed s = { .n = 0 };

	/* Probe: signature and ID by port, the directory by DMA. */
	cf_out(&s, 0, 1, 0x0000);
	cf_in(&s, 1, 4);
	cf_out(&s, 0, 1, 0x0001);
	cf_in(&s, 1, 4);
	cf_out(&s, 0, 1, 0x0019);
	cf_dma(&s, 0x1000, 0x02, 4 + 64 * 2, 0x2000);
	emit("fw_cfg", "probe", &s);

	/* The files: the read-only one past its end, the writable one as WRITE_POINTER. */
	s.n = 0;
	cf_dma(&s, 0x1000, 0x20u << 16 | 0x08 | 0x02, 400, 0x2000);
	u8(&s, CF_OP_WRITE_MEM);
	u16(&s, 0x3000);
	u8(&s, 8);
	u64(&s, 0x12345678ull);
	cf_dma(&s, 0x1000, 0x21u << 16 | 0x08 | 0x04, 8, 0);
	cf_dma(&s, 0x1000, 0x10, 8, 0x3000);
	cf_dma(&s, 0x1000, 0x10, 8, 0x3000);	/* past the end: ERROR */
	cf_out(&s, 0, 1, 0x21);
	cf_in(&s, 1, 17);
	emit("fw_cfg", "files", &s);

	/* Requests and targets that are not RAM, or run off its end, or wrap. */
	s.n = 0;
	u8(&s, CF_OP_DMA);
	u8(&s, 2);
	u32(&s, 0x02);
	u32(&s, 16);
	u64(&s, 0x2000);
	u64(&s, 0x40000000ull);
	u8(&s, CF_OP_DMA);
	u8(&s, 1);
	u32(&s, 0x02);
	u32(&s, 0xffffffffu);
	u64(&s, GMEM_HIGH_BASE + 0x100);
	u16(&s, 0x3ff8);
	cf_dma(&s, 0xfff8, 0x02, 16, 0x2000);
	cf_dma(&s, 0x1000, 0x02, 16, UINT64_MAX - 7);
	cf_dma(&s, 0x1000, 0x04, 0xffffffffu, 0);
	u8(&s, CF_OP_RESET);
	emit("fw_cfg", "hostile", &s);
}

static void pf_cmd(struct seed *s, uint16_t off, uint8_t b)
{
	u8(s, PF_OP_CMD);
	u16(s, off);
	u8(s, b);
}

static void pf_read(struct seed *s, uint16_t off, uint8_t size_log2)
{
	u8(s, PF_OP_READ);
	u16(s, off);
	u8(s, size_log2);
}

/* OVMF's flash driver (OvmfPkg/QemuFlashFvbServicesRuntimeDxe/QemuFlash.c): its probe,
 * byte programs ending in 0xFF, block erases; and the rest of the command set. */
static void seeds_pflash(void)
{
	struct seed s = { .n = 0 };

	u8(&s, 3 << 1);		/* writable, 4 blocks */
	pf_read(&s, 0, 0);
	pf_cmd(&s, 0, 0x50);
	pf_read(&s, 0, 0);
	pf_cmd(&s, 0, 0x70);
	pf_read(&s, 0, 0);
	pf_cmd(&s, 0, 0xff);
	emit("pflash", "ovmf-probe", &s);
	for (uint16_t i = 0; i < 8; i++) {
		pf_cmd(&s, 0x40 + i, 0x10);
		pf_cmd(&s, 0x40 + i, (uint8_t)(0xa0 + i));
	}
	pf_cmd(&s, 0x47, 0xff);
	pf_cmd(&s, 0x1000, 0x20);
	pf_cmd(&s, 0x1000, 0xd0);
	pf_read(&s, 0x1000, 2);
	pf_cmd(&s, 0x1000, 0xff);
	pf_read(&s, 0x1000, 3);
	emit("pflash", "ovmf-write-erase", &s);
	s.n = 0;
	u8(&s, 1 << 1);
	pf_cmd(&s, 0, 0x98);
	pf_read(&s, 0x10, 1);
	pf_read(&s, 0x2d, 2);
	pf_cmd(&s, 0, 0x90);
	pf_read(&s, 0, 1);
	pf_cmd(&s, 0, 0xff);
	u8(&s, PF_OP_WRITE);
	u16(&s, 0x20);
	u8(&s, 2);
	u64(&s, 0x40);
	u8(&s, PF_OP_WRITE);
	u16(&s, 0x20);
	u8(&s, 2);
	u64(&s, 0x12345678);
	pf_cmd(&s, 0, 0x20);
	pf_cmd(&s, 0, 0x33);		/* a bad confirm */
	pf_cmd(&s, 0, 0x70);
	pf_read(&s, 0, 0);
	u8(&s, PF_OP_FAULT);
	u8(&s, 3);
	pf_cmd(&s, 0, 0x10);
	pf_cmd(&s, 0, 0x00);
	pf_cmd(&s, 0, 0xff);
	u8(&s, PF_OP_RESET);
	emit("pflash", "commands", &s);
	s.n = 0;
	u8(&s, 1);		/* read-only, 1 block */
	pf_cmd(&s, 0, 0x20);
	pf_cmd(&s, 0, 0xd0);
	pf_cmd(&s, 0, 0x10);
	pf_cmd(&s, 0, 0x00);
	pf_read(&s, 0, 3);
	emit("pflash", "read-only", &s);
}

/* VMBus sockets: a guest connect opened, data both ways, ends of file; a host connect
 * opened; a malformed packet; a stalled back end. */
static void hs_packet(struct seed *s, uint8_t chan, uint32_t pkt_type, const char *data)
{
	uint32_t len = (uint32_t)strlen(data);

	u8(s, HS_OP_PACKET);
	u8(s, chan);
	u16(s, 0x8000);			/* in-band */
	u32(s, pkt_type);
	u32(s, len);
	u16(s, (uint16_t)len);
	put(s, data, len);
}

static void seeds_hvsock(void)
{
	struct seed s;

	s.n = 0;
	u8(&s, HS_OP_CONNECT); u32(&s, 1234); u32(&s, 5000); u8(&s, 0);
	u8(&s, HS_OP_OPEN); u8(&s, 0);
	hs_packet(&s, 0, 1, "hello");
	u8(&s, HS_OP_HOST_SEND); u8(&s, 0); u16(&s, 9000);
	u8(&s, HS_OP_CONSUME); u8(&s, 0);
	hs_packet(&s, 0, 1, "");
	u8(&s, HS_OP_HOST_SHUTDOWN); u8(&s, 0);
	u8(&s, HS_OP_CONSUME); u8(&s, 0);
	u8(&s, HS_OP_CLOSE); u8(&s, 0);
	u8(&s, HS_OP_RELEASE); u8(&s, 0);
	emit("hvsock", "guest-connect", &s);

	s.n = 0;
	u8(&s, HS_OP_HOST_CONNECT); u32(&s, 80);
	u8(&s, HS_OP_OPEN); u8(&s, 0);
	u8(&s, HS_OP_HOST_SEND); u8(&s, 0); u16(&s, 100);
	u8(&s, HS_OP_HOST_STALL); u8(&s, 0); u8(&s, 1);
	hs_packet(&s, 0, 1, "stalled");
	u8(&s, HS_OP_HOST_STALL); u8(&s, 0); u8(&s, 0);
	hs_packet(&s, 0, 2, "bad type");
	u8(&s, HS_OP_HOST_CLOSE); u8(&s, 0);
	emit("hvsock", "host-connect", &s);

	s.n = 0;
	u8(&s, HS_OP_CONNECT); u32(&s, 1); u32(&s, 2); u8(&s, 0x85);
	u8(&s, HS_OP_CONNECT); u32(&s, 3); u32(&s, 4); u8(&s, 0x40);
	u8(&s, HS_OP_REFUSE); u8(&s, 1);
	u8(&s, HS_OP_CONNECT); u32(&s, 5); u32(&s, 6); u8(&s, 0);
	emit("hvsock", "requests", &s);
}

/* ---- fuzz_boot_image: the kernels distributions ship, in miniature ------------------------------ */

/* A bzImage: setup_sects (0: the old default of 4) sectors of setup code after the
 * boot sector, then payload bytes of protected-mode code. */
static void bi_bzimage(const char *name, uint8_t ram, uint8_t setup_sects, uint64_t pref_address,
		       uint32_t init_size, size_t payload)
{
	struct seed s = { .n = 0 };
	size_t setup = ((size_t)(setup_sects ? setup_sects : 4) + 1) * 512;
	struct setup_header h;
	uint8_t img[8192] = { 0 };

	memset(&h, 0, sizeof(h));
	h.setup_sects = setup_sects;
	h.syssize = (uint32_t)((payload + 15) / 16);
	h.vid_mode = 0xffff;
	h.boot_flag = BOOT_FLAG_MAGIC;
	h.jump = (uint16_t)(0xeb | ((0x26c - 0x202) << 8));
	h.header = BOOT_HDRS_MAGIC;
	h.version = 0x020f;
	h.loadflags = BOOT_LOADED_HIGH;
	h.code32_start = 0x100000;
	h.initrd_addr_max = 0x7fffffff;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.min_alignment = 21;
	h.xloadflags = BOOT_XLF_KERNEL_64 | BOOT_XLF_CAN_BE_LOADED_ABOVE_4G;
	h.cmdline_size = 2047;
	h.pref_address = pref_address;
	h.init_size = init_size;
	memcpy(img + BOOT_HDR_OFFSET, &h, sizeof(h));
	for (size_t i = 0; i < payload; i++)
		img[setup + i] = (uint8_t)(0x90 + i % 7);
	u8(&s, ram);
	put(&s, img, setup + payload);
	emit("boot_image", name, &s);
}

/* A vmlinux as Linux links it: a PT_LOAD for text at 1 MiB (virtual address in the
 * kernel's map), one for data with a .bss tail, and a PT_NOTE; the entry given
 * virtually or physically. */
static void bi_vmlinux(const char *name, uint8_t ram, bool virtual_entry)
{
	struct seed s = { .n = 0 };
	const uint64_t kmap = 0xffffffff80000000ull;
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000, .p_vaddr = kmap + 0x100000,
		  .p_paddr = 0x100000, .p_filesz = 0x200, .p_memsz = 0x200, .p_align = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x1200, .p_vaddr = kmap + 0x200000,
		  .p_paddr = 0x200000, .p_filesz = 0x100, .p_memsz = 0x3000, .p_align = 0x1000 },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x1300, .p_vaddr = kmap + 0x1300,
		  .p_paddr = 0x1300, .p_filesz = 0x20, .p_memsz = 0x20, .p_align = 4 },
	};
	uint8_t img[0x1320] = { 0 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = (virtual_entry ? kmap : 0) + 0x100000 + 0x40;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	for (size_t i = 0x1000; i < sizeof(img); i++)
		img[i] = (uint8_t)(0x90 + i % 5);
	u8(&s, ram);
	put(&s, img, sizeof(img));
	emit("boot_image", name, &s);
}

static void seeds_boot_image(void)
{
	bi_bzimage("bzimage", 3, 4, 0x1000000, 0x100000, 0x400);
	bi_bzimage("bzimage-old-setup-sects", 2, 0, 0, 0x2000, 0x300);
	bi_bzimage("bzimage-init-size-too-big", 1, 8, 0x100000, 0x200000, 0x200);
	bi_vmlinux("vmlinux", 3, true);
	bi_vmlinux("vmlinux-physical-entry", 2, false);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir_p(outdir);
	seeds_vmbus_server();
	seeds_gpadl();
	seeds_packet();
	seeds_vmbus_ring();
	seeds_storvsp();
	seeds_scsi_disk();
	seeds_ic();
	seeds_hvsock();
	seeds_netvsp();
	seeds_rndis();
	seeds_net_csum();
	seeds_hypercall();
	seeds_fw_cfg();
	seeds_config();
	seeds_jsonrpc();
	seeds_kvp();
	seeds_fcopy();
	seeds_vss();
	seeds_synth_input();
	seeds_synth_video();
	seeds_vhdx();
	seeds_vhd();
	seeds_pci();
	seeds_pflash();
	seeds_boot_image();
	return 0;
}
