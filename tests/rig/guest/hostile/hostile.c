// SPDX-License-Identifier: GPL-2.0
/*
 * hostile.ko: a guest that breaks the VMBus protocol on purpose, for the rig's hostile
 * scenario. Loaded with host=N (a SCSI host of hv_storvsc) and attack=NAME, it finds
 * that controller's primary channel and does one thing to it:
 *
 *   ring    the write index of the guest-to-host ring moved past the ring's end
 *   readidx the read index of the host-to-guest ring set inside a packet, then a
 *           request the host must answer there
 *   pktlen  a packet whose descriptor claims more bytes than were written
 *   badpkt  well-formed ring packets with malformed vstor requests in them (short,
 *           no CDB, a page list shorter than its range, pages outside RAM, an unknown
 *           operation), each asking for a completion the driver does not know
 *   gpadl   malformed GPADL_HEADER and GPADL_BODY messages posted with HvPostMessage,
 *           a GPADL reusing the live ring's id, a GPADL of pages outside RAM torn down,
 *           and an OPENCHANNEL of the open channel with a bogus GPADL
 *
 * With net=IFNAME instead of host=N it takes that hv_netvsc interface's primary
 * channel, and attack=rndis sends NVSP "send RNDIS packet" messages whose RNDIS data
 * packets lie: offsets and lengths past the message, a message longer than its pages,
 * a page outside RAM, a range past its page; each asks for a completion the driver
 * does not know.
 *
 * Everything it did goes to the kernel log as "hostile: ..." lines. The module stays
 * loaded until rmmod; init fails only when the channel cannot be found.
 */
#include <linux/hyperv.h>
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <scsi/scsi_host.h>
#include <linux/netdevice.h>
#include <linux/io.h>
#include <asm/mshyperv.h>

static int host = -1;
module_param(host, int, 0444);
static char *net = "";
module_param(net, charp, 0444);
static char *attack = "";
module_param(attack, charp, 0444);

#define HOSTILE_GPADL		0x7fff0000u	/* far from Linux's ids (0xe1e10 up) */
#define HOSTILE_TRANS		0x7fff0001ull	/* a tag storvsc never has in flight */
#define VMBUS_MSG_CONN		1		/* what hvkvm's VERSION_RESPONSE names */

/* HvPostMessage input (TLFS); the payload is a VMBus channel message. */
struct post_input {
	u32 connection_id;
	u32 reserved;
	u32 message_type;
	u32 payload_size;
	u8 payload[240];
} __packed;

/* hv_storvsc's vstor packet, as far as the attacks need it. */
struct vstor_srb {
	u16 length;
	u8 srb_status, scsi_status, port, path, target, lun;
	u8 cdb_length, sense_info_length, data_in, reserved;
	u32 data_transfer_length;
	u8 cdb[20];
	u16 reserve;
	u8 queue_tag, queue_action;
	u32 srb_flags, time_out_value, queue_sort_key;
} __packed;

struct vstor_pkt {
	u32 operation;
	u32 flags;
	u32 status;
	union {
		struct vstor_srb srb;
		u8 raw[52];
	};
} __packed;

#define VSTOR_EXECUTE_SRB	3
#define VSTOR_COMPLETION_FLAG	1

static struct vmbus_channel *find_channel(void)
{
	struct Scsi_Host *sh = scsi_host_lookup(host);
	struct device *parent;
	struct vmbus_channel *ch = NULL;

	if (!sh)
		return NULL;
	parent = sh->shost_gendev.parent;
	if (parent && parent->bus && !strcmp(parent->bus->name, "vmbus"))
		ch = container_of(parent, struct hv_device, device)->channel;
	scsi_host_put(sh);
	return ch;
}

/*
 * Write a packet into the guest-to-host ring as hv_ringbuffer_write does: the bytes
 * (padded to 8), the trailer with the previous write index, the new write index; then
 * signal. The descriptor inside is whatever the caller made it, true or not.
 */
static int ring_put(struct vmbus_channel *ch, const void *pkt, u32 len)
{
	struct hv_ring_buffer_info *ri = &ch->outbound;
	u32 padded = ALIGN(len, 8), total = padded + 8, w, dsize = ri->ring_datasize;
	u64 trailer;
	unsigned long flags;
	u8 *data = ri->ring_buffer->buffer;

	spin_lock_irqsave(&ri->ring_lock, flags);
	if (hv_get_bytes_to_write(ri) <= total) {
		spin_unlock_irqrestore(&ri->ring_lock, flags);
		return -EAGAIN;
	}
	w = ri->ring_buffer->write_index;
	/* The data pages are mapped twice in a row: no wrapping by hand. */
	memset(data + w, 0, padded);
	memcpy(data + w, pkt, len);
	trailer = (u64)w << 32;
	memcpy(data + (w + padded) % dsize, &trailer, 8);
	virt_mb();
	WRITE_ONCE(ri->ring_buffer->write_index, (w + total) % dsize);
	spin_unlock_irqrestore(&ri->ring_lock, flags);
	vmbus_setevent(ch);
	return 0;
}

static void attack_ring(struct vmbus_channel *ch)
{
	struct hv_ring_buffer_info *ri = &ch->outbound;
	unsigned long flags;
	u32 old, bad = ri->ring_datasize + 64;

	spin_lock_irqsave(&ri->ring_lock, flags);
	old = ri->ring_buffer->write_index;
	WRITE_ONCE(ri->ring_buffer->write_index, bad);
	spin_unlock_irqrestore(&ri->ring_lock, flags);
	vmbus_setevent(ch);
	pr_info("hostile: relid %u: write index %u -> %u (ring of %u bytes), signalled\n",
		ch->offermsg.child_relid, old, bad, ri->ring_datasize);
	/* Put it back once the host has seen it, so that this driver cannot overrun its
	 * own ring should it send again. */
	msleep(2000);
	spin_lock_irqsave(&ri->ring_lock, flags);
	WRITE_ONCE(ri->ring_buffer->write_index, old);
	spin_unlock_irqrestore(&ri->ring_lock, flags);
	pr_info("hostile: ring attack done\n");
}

static int put_vstor(struct vmbus_channel *ch, const struct vstor_pkt *p, u32 len, u32 byte_count,
		     const u64 *pfns, u32 npfn, u64 trans);

static void attack_readidx(struct vmbus_channel *ch)
{
	struct hv_ring_buffer_info *ri = &ch->inbound;
	struct vstor_pkt p = { .operation = 0x5a5a };
	u32 old = READ_ONCE(ri->ring_buffer->read_index), bad = 12;
	int r;

	/* Nothing else reads this ring meanwhile: the host sends only answers, and this
	 * driver has no request out. */
	WRITE_ONCE(ri->ring_buffer->read_index, bad);
	r = put_vstor(ch, &p, sizeof(p), 0, NULL, 0, HOSTILE_TRANS);
	pr_info("hostile: relid %u: read index %u -> %u, then a request to answer: %d\n",
		ch->offermsg.child_relid, old, bad, r);
	msleep(2000);
	WRITE_ONCE(ri->ring_buffer->read_index, old);
	pr_info("hostile: readidx attack done\n");
}

static void attack_pktlen(struct vmbus_channel *ch)
{
	struct vmpacket_descriptor d = {
		.type = VM_PKT_DATA_INBAND,
		.offset8 = sizeof(d) / 8,
		.len8 = 0x1000,		/* 32 KiB claimed, 16 bytes written */
		.flags = 0,
		.trans_id = HOSTILE_TRANS,
	};
	int r = ring_put(ch, &d, sizeof(d));

	pr_info("hostile: relid %u: packet of 16 bytes claiming %u: %d\n", ch->offermsg.child_relid,
		d.len8 * 8, r);
	msleep(2000);
	pr_info("hostile: pktlen attack done\n");
}

/* An in-band or GPA-direct packet around a vstor packet of len bytes. */
static int put_vstor(struct vmbus_channel *ch, const struct vstor_pkt *p, u32 len, u32 byte_count,
		     const u64 *pfns, u32 npfn, u64 trans)
{
	u8 buf[256];
	struct vmpacket_descriptor d = { .flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, .trans_id = trans };
	u32 off = sizeof(d);

	if (npfn) {
		struct gpa_range r = { .byte_count = byte_count, .byte_offset = 0 };
		u32 hdr[2] = { 0, 1 };	/* reserved, range count */

		memcpy(buf + off, hdr, sizeof(hdr));
		off += sizeof(hdr);
		memcpy(buf + off, &r, sizeof(r));
		off += sizeof(r);
		memcpy(buf + off, pfns, 8 * npfn);
		off += 8 * npfn;
		d.type = VM_PKT_DATA_USING_GPA_DIRECT;
	} else {
		d.type = VM_PKT_DATA_INBAND;
	}
	memcpy(buf + off, p, len);
	d.offset8 = off / 8;
	d.len8 = ALIGN(off + len, 8) / 8;
	memcpy(buf, &d, sizeof(d));
	return ring_put(ch, buf, off + len);
}

static void attack_badpkt(struct vmbus_channel *ch)
{
	struct vstor_pkt p;
	u64 pfns[2];
	int n = 0, r;

	/* 1: shorter than any vstor packet */
	memset(&p, 0, sizeof(p));
	p.operation = VSTOR_EXECUTE_SRB;
	r = put_vstor(ch, &p, 8, 0, NULL, 0, HOSTILE_TRANS + n);
	pr_info("hostile: short packet: %d\n", r);
	n++;
	/* 2: an SRB without a CDB */
	memset(&p, 0, sizeof(p));
	p.operation = VSTOR_EXECUTE_SRB;
	p.flags = VSTOR_COMPLETION_FLAG;
	p.srb.length = sizeof(p.srb);
	p.srb.cdb_length = 0;
	r = put_vstor(ch, &p, sizeof(p), 0, NULL, 0, HOSTILE_TRANS + n);
	pr_info("hostile: SRB without a CDB: %d\n", r);
	n++;
	/* 3: a READ(10) of 8 KiB whose page list has one page */
	p.srb.cdb_length = 10;
	p.srb.data_in = 1;
	p.srb.data_transfer_length = 8192;
	p.srb.cdb[0] = 0x28;
	p.srb.cdb[8] = 16;
	pfns[0] = page_to_pfn(ZERO_PAGE(0));
	r = put_vstor(ch, &p, sizeof(p), 8192, pfns, 1, HOSTILE_TRANS + n);
	pr_info("hostile: range longer than its page list: %d\n", r);
	n++;
	/* 4: a READ(10) of 4 KiB into a page far outside RAM */
	p.srb.data_transfer_length = 4096;
	p.srb.cdb[8] = 8;
	pfns[0] = 0xfffffffffull;
	r = put_vstor(ch, &p, sizeof(p), 4096, pfns, 1, HOSTILE_TRANS + n);
	pr_info("hostile: pages outside RAM: %d\n", r);
	n++;
	/* 5: an operation that does not exist */
	memset(&p, 0, sizeof(p));
	p.operation = 0x5a5a;
	r = put_vstor(ch, &p, sizeof(p), 0, NULL, 0, HOSTILE_TRANS + n);
	pr_info("hostile: unknown operation: %d\n", r);
	n++;
	msleep(2000);
	pr_info("hostile: badpkt attack done: %d requests\n", n);
}

static u64 post(struct post_input *in, const void *msg, u32 len)
{
	memset(in, 0, sizeof(*in));
	in->connection_id = VMBUS_MSG_CONN;
	in->message_type = 1;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	return hv_do_hypercall(HVCALL_POST_MESSAGE, in, NULL) & 0xffff;
}

static void attack_gpadl(struct vmbus_channel *ch)
{
	struct post_input *in = (void *)__get_free_page(GFP_KERNEL);
	u8 m[240];
	struct vmbus_channel_gpadl_header *h = (void *)m;
	struct vmbus_channel_gpadl_body *b = (void *)m;
	struct vmbus_channel_gpadl_teardown *t = (void *)m;
	struct vmbus_channel_open_channel *o = (void *)m;
	struct gpa_range *rg;
	u32 relid = ch->offermsg.child_relid, ring = ch->ringbuffer_gpadlhandle.gpadl_handle;
	u64 st;

	if (!in)
		return;
#define HDR(id, ranges, buflen) do {						\
		memset(m, 0, sizeof(m));					\
		h->header.msgtype = CHANNELMSG_GPADL_HEADER;			\
		h->child_relid = relid;						\
		h->gpadl = (id);						\
		h->rangecount = (ranges);					\
		h->range_buflen = (buflen);					\
		rg = (void *)(h + 1);						\
	} while (0)

	/* no range at all */
	HDR(HOSTILE_GPADL + 1, 0, 0);
	st = post(in, m, sizeof(*h));
	pr_info("hostile: GPADL %u without ranges: posted %llu\n", HOSTILE_GPADL + 1, st);
	/* a range starting past its first page */
	HDR(HOSTILE_GPADL + 2, 1, sizeof(*rg) + 8);
	rg->byte_count = 4096;
	rg->byte_offset = 5000;
	rg->pfn_array[0] = 0x100;
	st = post(in, m, sizeof(*h) + sizeof(*rg) + 8);
	pr_info("hostile: GPADL %u offset past its page: posted %llu\n", HOSTILE_GPADL + 2, st);
	/* a range of 100 pages whose page list has room for 10 */
	HDR(HOSTILE_GPADL + 3, 1, sizeof(*rg) + 8 * 10);
	rg->byte_count = 100 * 4096;
	for (int i = 0; i < 10; i++)
		rg->pfn_array[i] = 0x100 + i;
	st = post(in, m, sizeof(*h) + sizeof(*rg) + 8 * 10);
	pr_info("hostile: GPADL %u of 100 pages listing 10: posted %llu\n", HOSTILE_GPADL + 3, st);
	/* 100 pages in a header and three bodies, then one body too many; torn down */
	HDR(HOSTILE_GPADL + 6, 1, sizeof(*rg) + 8 * 100);
	rg->byte_count = 100 * 4096;
	for (int i = 0; i < 26; i++)
		rg->pfn_array[i] = 0x100 + i;
	st = post(in, m, sizeof(*h) + sizeof(*rg) + 8 * 26);
	pr_info("hostile: GPADL %u header of 100 pages: posted %llu\n", HOSTILE_GPADL + 6, st);
	for (int k = 0, done = 26; k < 4; k++) {
		int n = k < 3 ? min(28, 100 - done) : 28;

		memset(m, 0, sizeof(m));
		b->header.msgtype = CHANNELMSG_GPADL_BODY;
		b->msgnumber = k + 1;
		b->gpadl = HOSTILE_GPADL + 6;
		for (int i = 0; i < n; i++)
			b->pfn[i] = 0x100 + done + i;
		done += n;
		st = post(in, m, sizeof(*b) + 8 * n);
		pr_info("hostile: GPADL %u body %d of %d pages: posted %llu\n", HOSTILE_GPADL + 6, k + 1, n, st);
	}
	memset(m, 0, sizeof(m));
	t->header.msgtype = CHANNELMSG_GPADL_TEARDOWN;
	t->child_relid = relid;
	t->gpadl = HOSTILE_GPADL + 6;
	st = post(in, m, sizeof(*t));
	pr_info("hostile: GPADL %u torn down: posted %llu\n", HOSTILE_GPADL + 6, st);
	/* a body for a GPADL nobody is building */
	memset(m, 0, sizeof(m));
	b->header.msgtype = CHANNELMSG_GPADL_BODY;
	b->msgnumber = 1;
	b->gpadl = HOSTILE_GPADL + 4;
	b->pfn[0] = 0x100;
	st = post(in, m, sizeof(*b) + 8);
	pr_info("hostile: GPADL %u body without a header: posted %llu\n", HOSTILE_GPADL + 4, st);
	/* the id of the live ring's GPADL again, and a body for it */
	HDR(ring, 1, sizeof(*rg) + 8);
	rg->byte_count = 4096;
	rg->pfn_array[0] = 0x100;
	st = post(in, m, sizeof(*h) + sizeof(*rg) + 8);
	pr_info("hostile: GPADL %u (the live ring's) again: posted %llu\n", ring, st);
	memset(m, 0, sizeof(m));
	b->header.msgtype = CHANNELMSG_GPADL_BODY;
	b->msgnumber = 1;
	b->gpadl = ring;
	b->pfn[0] = 0x100;
	st = post(in, m, sizeof(*b) + 8);
	pr_info("hostile: GPADL %u (the live ring's) body: posted %llu\n", ring, st);
	/* pages far outside RAM, complete in one message, then torn down */
	HDR(HOSTILE_GPADL + 5, 1, sizeof(*rg) + 8 * 4);
	rg->byte_count = 4 * 4096;
	for (int i = 0; i < 4; i++)
		rg->pfn_array[i] = 0xffffff000ull + i;
	st = post(in, m, sizeof(*h) + sizeof(*rg) + 8 * 4);
	pr_info("hostile: GPADL %u of pages outside RAM: posted %llu\n", HOSTILE_GPADL + 5, st);
	/* the open channel opened again, on that GPADL */
	memset(m, 0, sizeof(m));
	o->header.msgtype = CHANNELMSG_OPENCHANNEL;
	o->child_relid = relid;
	o->openid = 0x7fff;
	o->ringbuffer_gpadlhandle = HOSTILE_GPADL + 5;
	o->downstream_ringbuffer_pageoffset = 2;
	st = post(in, m, sizeof(*o));
	pr_info("hostile: OPENCHANNEL of open channel %u on GPADL %u: posted %llu\n", relid, HOSTILE_GPADL + 5, st);
	msleep(500);
	memset(m, 0, sizeof(m));
	t->header.msgtype = CHANNELMSG_GPADL_TEARDOWN;
	t->child_relid = relid;
	t->gpadl = HOSTILE_GPADL + 5;
	st = post(in, m, sizeof(*t));
	pr_info("hostile: GPADL %u torn down: posted %llu\n", HOSTILE_GPADL + 5, st);
	msleep(1000);
	free_page((unsigned long)in);
	pr_info("hostile: gpadl attack done\n");
#undef HDR
}

/* ---- hv_netvsc: lying RNDIS data packets ---------------------------------------- */

static struct vmbus_channel *find_net_channel(void)
{
	struct net_device *nd = dev_get_by_name(&init_net, net);
	struct device *parent;
	struct vmbus_channel *ch = NULL;

	if (!nd)
		return NULL;
	parent = nd->dev.parent;
	if (parent && parent->bus && !strcmp(parent->bus->name, "vmbus"))
		ch = container_of(parent, struct hv_device, device)->channel;
	dev_put(nd);
	return ch;
}

struct nvsp_send_rndis {
	u32 msg_type;		/* 107: send RNDIS packet */
	u32 channel_type;	/* 0: data */
	u32 section_index;	/* 0xffffffff: in the pages, not the send buffer */
	u32 section_size;
	u8 pad[24];		/* to the 40 bytes Linux sends */
} __packed;

struct rndis_data {
	u32 msg_type, msg_len;	/* 1: packet */
	u32 data_offset, data_len, oob_offset, oob_len, oob_count, ppi_offset, ppi_len;
	u32 vc, reserved;
} __packed;

static int put_rndis(struct vmbus_channel *ch, u64 pfn, u32 byte_offset, u32 byte_count, u64 trans)
{
	u8 buf[128];
	struct vmpacket_descriptor d = {
		.type = VM_PKT_DATA_USING_GPA_DIRECT,
		.flags = VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED,
		.trans_id = trans,
	};
	struct nvsp_send_rndis m = { .msg_type = 107, .section_index = 0xffffffff };
	struct gpa_range r = { .byte_count = byte_count, .byte_offset = byte_offset };
	u32 hdr[2] = { 0, 1 };	/* reserved, range count */
	u32 off = sizeof(d);

	memcpy(buf + off, hdr, sizeof(hdr));
	off += sizeof(hdr);
	memcpy(buf + off, &r, sizeof(r));
	off += sizeof(r);
	memcpy(buf + off, &pfn, 8);
	off += 8;
	d.offset8 = off / 8;
	d.len8 = ALIGN(off + sizeof(m), 8) / 8;
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + off, &m, sizeof(m));
	return ring_put(ch, buf, off + sizeof(m));
}

static void attack_rndis(struct vmbus_channel *ch)
{
	struct rndis_data *p = (struct rndis_data *)get_zeroed_page(GFP_KERNEL);
	u64 pfn;
	int n = 0, r;

	if (!p) {
		pr_err("hostile: no page\n");
		return;
	}
	pfn = virt_to_phys(p) >> 12;
#define LIE(what, off, count, page)							\
	do {										\
		r = put_rndis(ch, (page), (off), (count), HOSTILE_TRANS + n);		\
		pr_info("hostile: rndis %s: %d\n", what, r);				\
		n += r == 0;								\
		msleep(100);								\
	} while (0)
	/* data past the end of its message */
	*p = (struct rndis_data){ .msg_type = 1, .msg_len = 100, .data_offset = 0xfffffff0, .data_len = 64 };
	LIE("data offset past the message", 0, 100, pfn);
	/* data that wraps around */
	*p = (struct rndis_data){ .msg_type = 1, .msg_len = 100, .data_offset = 36, .data_len = 0xffffffff };
	LIE("data length wrapping", 0, 100, pfn);
	/* per-packet info past the message */
	*p = (struct rndis_data){ .msg_type = 1, .msg_len = 100, .data_offset = 36, .data_len = 20,
				  .ppi_offset = 4000, .ppi_len = 64 };
	LIE("per-packet info past the message", 0, 100, pfn);
	/* a message longer than the bytes it came in */
	*p = (struct rndis_data){ .msg_type = 1, .msg_len = 8000, .data_offset = 36, .data_len = 64 };
	LIE("message longer than its pages", 0, 4096, pfn);
	/* a page outside guest RAM */
	*p = (struct rndis_data){ .msg_type = 1, .msg_len = 100, .data_offset = 36, .data_len = 64 };
	LIE("page outside RAM", 0, 100, 0xfffffffffull);
	/* a range past the end of its one page */
	LIE("range past its page", 4000, 200, pfn);
#undef LIE
	msleep(500);
	free_page((unsigned long)p);
	pr_info("hostile: rndis attack done: %d packets\n", n);
}

static int __init hostile_init(void)
{
	struct vmbus_channel *ch;

	if (*net) {
		ch = find_net_channel();
		if (!ch) {
			pr_err("hostile: %s is not a VMBus network adapter\n", net);
			return -ENODEV;
		}
		pr_info("hostile: net %s: relid %u, attack %s\n", net, ch->offermsg.child_relid, attack);
		if (!strcmp(attack, "rndis"))
			attack_rndis(ch);
		else
			pr_err("hostile: no network attack named '%s'\n", attack);
		return 0;
	}
	ch = find_channel();
	if (!ch) {
		pr_err("hostile: SCSI host %d is not a VMBus storage controller\n", host);
		return -ENODEV;
	}
	pr_info("hostile: host %d: relid %u, attack %s\n", host, ch->offermsg.child_relid, attack);
	if (!strcmp(attack, "ring"))
		attack_ring(ch);
	else if (!strcmp(attack, "readidx"))
		attack_readidx(ch);
	else if (!strcmp(attack, "pktlen"))
		attack_pktlen(ch);
	else if (!strcmp(attack, "badpkt"))
		attack_badpkt(ch);
	else if (!strcmp(attack, "gpadl"))
		attack_gpadl(ch);
	else
		pr_err("hostile: no attack named '%s'\n", attack);
	return 0;
}

static void __exit hostile_exit(void)
{
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hvkvm rig: a guest that breaks VMBus on purpose");
