/* SPDX-License-Identifier: MIT */
/*
 * The VMBus packet layer (src/vmbus/packet.c): in-band, GPA-direct and transfer-page
 * packets as the guest writes them, turned into descriptors and iovecs over guest RAM
 * or a transfer page set; every malformed shape a guest can send is refused with the
 * error the callers rely on. And the iovec walker (src/vmbus/iov.c) the devices share.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iov.h"
#include "memory.h"
#include "packet.h"
#include "testutil.h"
#include "vmbus_proto.h"

#define PAGE		4096u
#define LOW_GPA		0x10000ull	/* RAM: 16 pages here, a hole, 4 pages at HIGH_GPA */
#define LOW_PAGES	16
#define HIGH_GPA	0x100000ull
#define HIGH_PAGES	4
#define LOW_PFN		(LOW_GPA / PAGE)
#define HIGH_PFN	(HIGH_GPA / PAGE)
#define MAX_IOV		64

static uint8_t low[LOW_PAGES * PAGE] __attribute__((aligned(4096)));
static uint8_t high[HIGH_PAGES * PAGE] __attribute__((aligned(4096)));
static uint8_t xbuf[8192];
static struct gmem mem;
static struct vmbus_xfer_buf xfer = { .id = 7, .base = xbuf, .len = sizeof(xbuf) };
static struct vmbus_pkt_limits lim = { .max_ranges = 8, .max_pages = 32, .max_bytes = 32 * PAGE };
static struct iovec iov[MAX_IOV];
static struct vmbus_pkt p;
static uint8_t pkt[1024];
static uint32_t pos;		/* bytes of pkt written */
static uint32_t hdr_end;	/* where the payload starts */

static void setup(void)
{
	struct gmem_region r[2] = {
		{ LOW_GPA, sizeof(low), low, 0 },
		{ HIGH_GPA, sizeof(high), high, 0 },
	};

	ck_assert_int_eq(gmem_init_regions(&mem, r, 2), 0);
	lim = (struct vmbus_pkt_limits){ .max_ranges = 8, .max_pages = 32, .max_bytes = 32 * PAGE };
	memset(pkt, 0, sizeof(pkt));
	memset(&p, 0xa5, sizeof(p));
	pos = 0;
}

static void teardown(void)
{
}

static void put(const void *v, uint32_t len)
{
	ck_assert_uint_le(pos + len, sizeof(pkt));
	if (len)	/* an empty payload may come as NULL, which memcpy must not see */
		memcpy(pkt + pos, v, len);
	pos += len;
}

static void put32(uint32_t v)
{
	put(&v, 4);
}

static void put64(uint64_t v)
{
	put(&v, 8);
}

/* The descriptor and, for GPA direct and transfer pages, the 8 bytes that follow. */
static void begin(uint16_t type, uint16_t flags, uint64_t tid)
{
	struct vmbus_packet_desc d = { .type = type, .flags = flags, .trans_id = tid };

	put(&d, sizeof(d));
}

static void gpa_header(uint32_t ranges)
{
	put32(0);
	put32(ranges);
}

static void gpa_range(uint32_t byte_count, uint32_t byte_offset)
{
	put32(byte_count);
	put32(byte_offset);
}

static void xfer_header(uint16_t id, uint32_t ranges)
{
	uint16_t zero = 0;

	put(&id, 2);
	put(&zero, 2);	/* sender_owns_set, reserved */
	put32(ranges);
}

/* The in-band payload from here; offset8 and len8 written. */
static void payload(const void *data, uint32_t len)
{
	struct vmbus_packet_desc d;

	hdr_end = pos;
	put(data, len);
	pos = (pos + 7) & ~7u;
	memcpy(&d, pkt, sizeof(d));
	d.offset8 = (uint16_t)(hdr_end / 8);
	d.len8 = (uint16_t)(pos / 8);
	memcpy(pkt, &d, sizeof(d));
}

static int parse(void)
{
	return vmbus_pkt_parse(pkt, pos, &mem, &xfer, &lim, iov, MAX_IOV, &p);
}

static uint8_t *ram(uint64_t gpa)
{
	return gpa >= HIGH_GPA ? high + (gpa - HIGH_GPA) : low + (gpa - LOW_GPA);
}

/* ---- good packets ------------------------------------------------------------------ */

START_TEST(test_inband)
{
	static const char msg[] = "a vstor packet";

	begin(VM_PKT_DATA_INBAND, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED, 0x1122334455667788ull);
	payload(msg, sizeof(msg));
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(p.flags, VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED);
	ck_assert_uint_eq(p.trans_id, 0x1122334455667788ull);
	ck_assert_ptr_eq(p.data, pkt + 16);
	ck_assert_uint_eq(p.data_len, pos - 16);
	ck_assert_mem_eq(p.data, msg, sizeof(msg));
	ck_assert_uint_eq(p.niov, 0);
	ck_assert_uint_eq(p.bytes, 0);
	ck_assert_uint_eq(p.nranges, 0);
}
END_TEST

START_TEST(test_inband_empty_payload)
{
	begin(VM_PKT_DATA_INBAND, 0, 1);
	payload(NULL, 0);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.data_len, 0);
}
END_TEST

/* A completion or any other type: the payload, and no ranges looked for. */
START_TEST(test_other_types_no_ranges)
{
	uint32_t v = 0x12345678;

	begin(VM_PKT_COMP, 0, 9);
	payload(&v, 4);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.type, VM_PKT_COMP);
	ck_assert_uint_eq(p.data_len, 8);
	ck_assert_uint_eq(p.niov, 0);
}
END_TEST

/* One range over two pages adjacent in RAM: one iovec, where the guest put it. */
START_TEST(test_gpa_direct_one_range)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 1, 5);
	gpa_header(1);
	gpa_range(8000, 100);
	put64(LOW_PFN + 2);
	put64(LOW_PFN + 3);
	payload("vstor", 5);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.type, VM_PKT_DATA_USING_GPA_DIRECT);
	ck_assert_uint_eq(p.trans_id, 5);
	ck_assert_uint_eq(p.nranges, 1);
	ck_assert_uint_eq(p.niov, 1);
	ck_assert_ptr_eq(p.iov, iov);
	ck_assert_ptr_eq(iov[0].iov_base, ram(LOW_GPA + 2 * PAGE + 100));
	ck_assert_uint_eq(iov[0].iov_len, 8000);
	ck_assert_uint_eq(p.bytes, 8000);
	ck_assert_uint_eq(p.data_len, 8);
	ck_assert_mem_eq(p.data, "vstor", 5);
}
END_TEST

/* Pages scattered over RAM, in both regions: one iovec each, in the page list's order. */
START_TEST(test_gpa_direct_scattered)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 1);
	gpa_header(1);
	gpa_range(2 * PAGE + 10, 4000);
	put64(LOW_PFN + 5);
	put64(HIGH_PFN + 1);
	put64(LOW_PFN + 1);
	payload(NULL, 0);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.niov, 3);
	ck_assert_ptr_eq(iov[0].iov_base, ram(LOW_GPA + 5 * PAGE + 4000));
	ck_assert_uint_eq(iov[0].iov_len, 96);
	ck_assert_ptr_eq(iov[1].iov_base, ram(HIGH_GPA + PAGE));
	ck_assert_uint_eq(iov[1].iov_len, PAGE);
	ck_assert_ptr_eq(iov[2].iov_base, ram(LOW_GPA + PAGE));
	ck_assert_uint_eq(iov[2].iov_len, 2 * PAGE + 10 - 96 - PAGE);
	ck_assert_uint_eq(p.bytes, 2 * PAGE + 10);
	ck_assert_uint_eq(p.data_len, 0);
}
END_TEST

/* Several ranges (NetVSC's page buffers) read as one run of bytes. */
START_TEST(test_gpa_direct_ranges_stream)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 1);
	gpa_header(3);
	gpa_range(96, 4000);	/* ends where the next range begins: merged */
	put64(LOW_PFN);
	gpa_range(50, 0);
	put64(LOW_PFN + 1);
	gpa_range(PAGE, 0);
	put64(HIGH_PFN);
	payload("x", 1);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.nranges, 3);
	ck_assert_uint_eq(p.niov, 2);
	ck_assert_ptr_eq(iov[0].iov_base, ram(LOW_GPA + 4000));
	ck_assert_uint_eq(iov[0].iov_len, 96 + 50);
	ck_assert_ptr_eq(iov[1].iov_base, ram(HIGH_GPA));
	ck_assert_uint_eq(iov[1].iov_len, PAGE);
	ck_assert_uint_eq(p.bytes, 96 + 50 + PAGE);
}
END_TEST

/* The last page of RAM, and exactly the limits. */
START_TEST(test_gpa_direct_at_limits)
{
	lim.max_ranges = 1;
	lim.max_pages = 2;
	lim.max_bytes = 2 * PAGE;
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 1);
	gpa_header(1);
	gpa_range(2 * PAGE, 0);
	put64(HIGH_PFN + HIGH_PAGES - 2);
	put64(HIGH_PFN + HIGH_PAGES - 1);
	payload(NULL, 0);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.niov, 1);
	ck_assert_uint_eq(p.bytes, 2 * PAGE);
}
END_TEST

/* Transfer pages: one iovec per range, even adjacent ones. */
START_TEST(test_xfer_pages)
{
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 3);
	xfer_header(7, 3);
	gpa_range(1500, 0);
	gpa_range(100, 1500);
	gpa_range(8192 - 6000, 6000);	/* to the buffer's end */
	payload("nvsp", 4);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(p.type, VM_PKT_DATA_USING_XFER_PAGES);
	ck_assert_uint_eq(p.xfer_pageset_id, 7);
	ck_assert_uint_eq(p.nranges, 3);
	ck_assert_uint_eq(p.niov, 3);
	ck_assert_ptr_eq(iov[0].iov_base, xbuf);
	ck_assert_uint_eq(iov[0].iov_len, 1500);
	ck_assert_ptr_eq(iov[1].iov_base, xbuf + 1500);
	ck_assert_uint_eq(iov[1].iov_len, 100);
	ck_assert_ptr_eq(iov[2].iov_base, xbuf + 6000);
	ck_assert_uint_eq(iov[2].iov_len, 2192);
	ck_assert_uint_eq(p.bytes, 1500 + 100 + 2192);
	ck_assert_mem_eq(p.data, "nvsp", 4);
}
END_TEST

/* ---- malformed descriptors ---------------------------------------------------------- */

START_TEST(test_shorter_than_descriptor)
{
	begin(VM_PKT_DATA_INBAND, 0, 1);
	ck_assert_int_eq(vmbus_pkt_parse(pkt, 15, &mem, NULL, &lim, iov, MAX_IOV, &p), -EINVAL);
	ck_assert_ptr_nonnull(p.bad);
	ck_assert_ptr_null(p.data);
	ck_assert_uint_eq(p.niov, 0);
}
END_TEST

START_TEST(test_offset_inside_descriptor)
{
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = 1, .len8 = 4 };

	memcpy(pkt, &d, sizeof(d));
	ck_assert_int_eq(vmbus_pkt_parse(pkt, 32, &mem, NULL, &lim, iov, MAX_IOV, &p), -EINVAL);
	ck_assert_ptr_nonnull(p.bad);
	d.offset8 = 0;
	memcpy(pkt, &d, sizeof(d));
	ck_assert_int_eq(vmbus_pkt_parse(pkt, 32, &mem, NULL, &lim, iov, MAX_IOV, &p), -EINVAL);
}
END_TEST

START_TEST(test_offset_past_packet)
{
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = 5, .len8 = 4 };

	memcpy(pkt, &d, sizeof(d));
	ck_assert_int_eq(vmbus_pkt_parse(pkt, 32, &mem, NULL, &lim, iov, MAX_IOV, &p), -EINVAL);
	/* At the very end: an empty payload. */
	d.offset8 = 4;
	memcpy(pkt, &d, sizeof(d));
	ck_assert_int_eq(vmbus_pkt_parse(pkt, 32, &mem, NULL, &lim, iov, MAX_IOV, &p), 0);
	ck_assert_uint_eq(p.data_len, 0);
}
END_TEST

/* ---- malformed GPA-direct packets --------------------------------------------------- */

/* The answer to a refused packet still needs its descriptor and payload. */
static void expect_refused(int err)
{
	ck_assert_int_eq(parse(), err);
	ck_assert_ptr_nonnull(p.bad);
	ck_assert_uint_eq(p.niov, 0);
	ck_assert_uint_eq(p.bytes, 0);
	ck_assert_uint_eq(p.trans_id, 0xabcd);
	ck_assert_ptr_eq(p.data, pkt + hdr_end);
	ck_assert_uint_eq(p.data_len, pos - hdr_end);
}

START_TEST(test_gpa_header_cut_short)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	payload("abcdefgh", 8);	/* the payload where the range count would be */
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_gpa_zero_ranges)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(0);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_gpa_too_many_ranges)
{
	lim.max_ranges = 1;
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(2);
	gpa_range(10, 0);
	put64(LOW_PFN);
	gpa_range(10, 0);
	put64(LOW_PFN);
	payload("abcd", 4);
	expect_refused(-E2BIG);
}
END_TEST

/* A range count the packet has no room for: the ranges would be read from the payload
 * and beyond. */
START_TEST(test_gpa_range_count_lies)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(3);
	gpa_range(10, 0);
	put64(LOW_PFN);
	payload("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl", 48);
	expect_refused(-EINVAL);
	/* Room for the second range's header but not its page. */
	memset(pkt, 0, sizeof(pkt));
	pos = 0;
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(2);
	gpa_range(3 * PAGE, 0);
	put64(LOW_PFN);
	put64(LOW_PFN + 1);
	put64(LOW_PFN + 2);
	gpa_range(10, 0);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_gpa_offset_past_page)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(1);
	gpa_range(10, PAGE);
	put64(LOW_PFN);
	put64(LOW_PFN + 1);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

/* 8 KiB over one page number; and a byte count whose end overflows 32 bits. */
START_TEST(test_gpa_length_past_page_list)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(1);
	gpa_range(2 * PAGE, 0);
	put64(LOW_PFN);
	payload("abcd", 4);
	expect_refused(-EINVAL);

	memset(pkt, 0, sizeof(pkt));
	pos = 0;
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(1);
	gpa_range(UINT32_MAX, PAGE - 1);
	put64(LOW_PFN);
	put64(LOW_PFN + 1);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

/* One byte into the next page needs its page number too. */
START_TEST(test_gpa_offset_pushes_into_next_page)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(1);
	gpa_range(PAGE, 1);
	put64(LOW_PFN);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_gpa_zero_length_range)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(1);
	gpa_range(0, 0);
	put64(LOW_PFN);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_gpa_pfn_outside_ram)
{
	static const uint64_t bad[] = {
		LOW_PFN - 1,				/* below RAM */
		LOW_PFN + LOW_PAGES,			/* in the hole */
		HIGH_PFN + HIGH_PAGES,			/* past the end */
		0xfffffffffull,				/* far away */
		UINT64_MAX / PAGE,			/* the last page of the address space */
		UINT64_MAX / PAGE + 1,			/* its address overflows */
		UINT64_MAX,
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(pkt, 0, sizeof(pkt));
		pos = 0;
		begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
		gpa_header(1);
		gpa_range(PAGE + 1, 0);
		put64(LOW_PFN);	/* a good page first: what was built is dropped */
		put64(bad[i]);
		payload("abcd", 4);
		expect_refused(-EFAULT);
	}
}
END_TEST

START_TEST(test_gpa_too_many_pages)
{
	lim.max_pages = 2;
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(2);
	gpa_range(PAGE, 0);
	put64(LOW_PFN);
	gpa_range(PAGE + 1, 0);
	put64(LOW_PFN + 1);
	put64(LOW_PFN + 2);
	payload("abcd", 4);
	expect_refused(-E2BIG);
}
END_TEST

START_TEST(test_gpa_too_many_bytes)
{
	lim.max_bytes = PAGE + 99;
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(2);
	gpa_range(PAGE, 0);
	put64(LOW_PFN);
	gpa_range(100, 0);
	put64(LOW_PFN + 3);
	payload("abcd", 4);
	expect_refused(-E2BIG);
}
END_TEST

/* More pieces than the caller has iovecs for. */
START_TEST(test_gpa_no_room_for_pieces)
{
	begin(VM_PKT_DATA_USING_GPA_DIRECT, 0, 0xabcd);
	gpa_header(1);
	gpa_range(3 * PAGE, 0);
	put64(LOW_PFN);
	put64(LOW_PFN + 2);
	put64(LOW_PFN + 4);
	payload("abcd", 4);
	ck_assert_int_eq(vmbus_pkt_parse(pkt, pos, &mem, NULL, &lim, iov, 2, &p), -E2BIG);
	ck_assert_uint_eq(p.niov, 0);
	ck_assert_int_eq(vmbus_pkt_parse(pkt, pos, &mem, NULL, &lim, iov, 3, &p), 0);
	ck_assert_uint_eq(p.niov, 3);
}
END_TEST

/* ---- malformed transfer-page packets ------------------------------------------------ */

START_TEST(test_xfer_unknown_set)
{
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	xfer_header(8, 1);
	gpa_range(10, 0);
	payload("abcd", 4);
	expect_refused(-ENOENT);
	ck_assert_uint_eq(p.xfer_pageset_id, 8);
	ck_assert_int_eq(vmbus_pkt_parse(pkt, pos, &mem, NULL, &lim, iov, MAX_IOV, &p), -ENOENT);
}
END_TEST

START_TEST(test_xfer_header_cut_short)
{
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_xfer_zero_ranges)
{
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	xfer_header(7, 0);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_xfer_too_many_ranges)
{
	lim.max_ranges = 2;
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	xfer_header(7, 3);
	gpa_range(10, 0);
	gpa_range(10, 10);
	gpa_range(10, 20);
	payload("abcd", 4);
	expect_refused(-E2BIG);
}
END_TEST

START_TEST(test_xfer_range_count_lies)
{
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	xfer_header(7, 4);
	gpa_range(10, 0);
	gpa_range(10, 10);
	payload("abcdefgh", 8);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_xfer_zero_length_range)
{
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	xfer_header(7, 2);
	gpa_range(10, 0);
	gpa_range(0, 10);
	payload("abcd", 4);
	expect_refused(-EINVAL);
}
END_TEST

START_TEST(test_xfer_range_outside_buffer)
{
	static const uint32_t bad[][2] = {
		{ 1, 8192 },		/* starts at the end */
		{ 8193, 0 },		/* longer than the buffer */
		{ 2, 8191 },		/* one byte past */
		{ 0x10, 0xfffffff8 },	/* offset + count overflows 32 bits */
		{ 0xffffffff, 1 },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(pkt, 0, sizeof(pkt));
		pos = 0;
		begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
		xfer_header(7, 2);
		gpa_range(10, 0);
		gpa_range(bad[i][0], bad[i][1]);
		payload("abcd", 4);
		expect_refused(-EFAULT);
	}
}
END_TEST

START_TEST(test_xfer_too_many_bytes)
{
	lim.max_bytes = 1000;
	begin(VM_PKT_DATA_USING_XFER_PAGES, 0, 0xabcd);
	xfer_header(7, 2);
	gpa_range(600, 0);
	gpa_range(401, 600);
	payload("abcd", 4);
	expect_refused(-E2BIG);
}
END_TEST

/* ---- the iovec walker --------------------------------------------------------------- */

static uint8_t a[10], b[1], c[5], d[7];
static const struct iovec list[] = { { a, sizeof(a) }, { b, 0 }, { c, sizeof(c) }, { d, sizeof(d) } };
#define NLIST	4u

static void fill_list(void)
{
	uint8_t v = 0;

	for (unsigned i = 0; i < NLIST; i++)
		for (size_t k = 0; k < list[i].iov_len; k++)
			((uint8_t *)list[i].iov_base)[k] = v++;
}

START_TEST(test_iov_size)
{
	ck_assert_uint_eq(iov_size(list, NLIST), 22);
	ck_assert_uint_eq(iov_size(list, 0), 0);
}
END_TEST

START_TEST(test_iov_to_buf)
{
	uint8_t out[32];

	fill_list();
	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(iov_to_buf(list, NLIST, 8, out, 9), 9);	/* across three pieces */
	for (unsigned i = 0; i < 9; i++)
		ck_assert_uint_eq(out[i], 8 + i);
	ck_assert_uint_eq(out[9], 0xee);
	ck_assert_uint_eq(iov_to_buf(list, NLIST, 20, out, 9), 2);	/* the list ends first */
	ck_assert_uint_eq(out[0], 20);
	ck_assert_uint_eq(out[1], 21);
	ck_assert_uint_eq(iov_to_buf(list, NLIST, 22, out, 1), 0);
	ck_assert_uint_eq(iov_to_buf(list, NLIST, UINT64_MAX, out, 1), 0);
	ck_assert_uint_eq(iov_to_buf(list, NLIST, 0, out, 0), 0);
}
END_TEST

START_TEST(test_iov_from_buf)
{
	uint8_t in[22];

	memset(a, 0, sizeof(a));
	memset(c, 0, sizeof(c));
	memset(d, 0, sizeof(d));
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(100 + i);
	ck_assert_uint_eq(iov_from_buf(list, NLIST, 9, in, 7), 7);
	ck_assert_uint_eq(a[8], 0);
	ck_assert_uint_eq(a[9], 100);
	ck_assert_mem_eq(c, in + 1, 5);
	ck_assert_uint_eq(d[0], 106);
	ck_assert_uint_eq(d[1], 0);
	ck_assert_uint_eq(iov_from_buf(list, NLIST, 18, in, 10), 4);
	ck_assert_mem_eq(d + 3, in, 4);
}
END_TEST

START_TEST(test_iov_slice)
{
	struct iovec out[4];

	ck_assert_int_eq(iov_slice(list, NLIST, 9, 4, out, 4), 2);
	ck_assert_ptr_eq(out[0].iov_base, a + 9);
	ck_assert_uint_eq(out[0].iov_len, 1);
	ck_assert_ptr_eq(out[1].iov_base, c);	/* the empty piece skipped */
	ck_assert_uint_eq(out[1].iov_len, 3);
	ck_assert_int_eq(iov_slice(list, NLIST, 0, 22, out, 4), 3);
	ck_assert_uint_eq(out[2].iov_len, 7);
	ck_assert_int_eq(iov_slice(list, NLIST, 10, 0, out, 4), 0);
	ck_assert_int_eq(iov_slice(list, NLIST, 22, 0, out, 4), 0);	/* empty, at the end */
	ck_assert_int_eq(iov_slice(list, NLIST, 23, 0, out, 4), -ERANGE);	/* empty, past it */
	ck_assert_int_eq(iov_slice(list, NLIST, 0, 23, out, 4), -ERANGE);
	ck_assert_int_eq(iov_slice(list, NLIST, 22, 1, out, 4), -ERANGE);
	ck_assert_int_eq(iov_slice(list, NLIST, UINT64_MAX, 1, out, 4), -ERANGE);
	ck_assert_int_eq(iov_slice(list, NLIST, 5, 10, out, 1), -E2BIG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("packet");
	TCase *tg = tcase_create("good");
	TCase *tm = tcase_create("malformed");
	TCase *ti = tcase_create("iov");

	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_test(tg, test_inband);
	tcase_add_test(tg, test_inband_empty_payload);
	tcase_add_test(tg, test_other_types_no_ranges);
	tcase_add_test(tg, test_gpa_direct_one_range);
	tcase_add_test(tg, test_gpa_direct_scattered);
	tcase_add_test(tg, test_gpa_direct_ranges_stream);
	tcase_add_test(tg, test_gpa_direct_at_limits);
	tcase_add_test(tg, test_xfer_pages);
	suite_add_tcase(s, tg);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, test_shorter_than_descriptor);
	tcase_add_test(tm, test_offset_inside_descriptor);
	tcase_add_test(tm, test_offset_past_packet);
	tcase_add_test(tm, test_gpa_header_cut_short);
	tcase_add_test(tm, test_gpa_zero_ranges);
	tcase_add_test(tm, test_gpa_too_many_ranges);
	tcase_add_test(tm, test_gpa_range_count_lies);
	tcase_add_test(tm, test_gpa_offset_past_page);
	tcase_add_test(tm, test_gpa_length_past_page_list);
	tcase_add_test(tm, test_gpa_offset_pushes_into_next_page);
	tcase_add_test(tm, test_gpa_zero_length_range);
	tcase_add_test(tm, test_gpa_pfn_outside_ram);
	tcase_add_test(tm, test_gpa_too_many_pages);
	tcase_add_test(tm, test_gpa_too_many_bytes);
	tcase_add_test(tm, test_gpa_no_room_for_pieces);
	tcase_add_test(tm, test_xfer_unknown_set);
	tcase_add_test(tm, test_xfer_header_cut_short);
	tcase_add_test(tm, test_xfer_zero_ranges);
	tcase_add_test(tm, test_xfer_too_many_ranges);
	tcase_add_test(tm, test_xfer_range_count_lies);
	tcase_add_test(tm, test_xfer_zero_length_range);
	tcase_add_test(tm, test_xfer_range_outside_buffer);
	tcase_add_test(tm, test_xfer_too_many_bytes);
	suite_add_tcase(s, tm);

	tcase_add_test(ti, test_iov_size);
	tcase_add_test(ti, test_iov_to_buf);
	tcase_add_test(ti, test_iov_from_buf);
	tcase_add_test(ti, test_iov_slice);
	suite_add_tcase(s, ti);
	return test_main(s);
}
