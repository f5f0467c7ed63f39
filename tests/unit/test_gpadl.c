/* SPDX-License-Identifier: MIT */
/*
 * GPADLs (vmbus-facts.md §5): a GPADL_HEADER and GPADL_BODY messages carry a range
 * buffer of range_buflen bytes; it is checked once complete. Malformed lists are
 * refused without keeping anything, and views of the pages stay inside guest RAM.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpadl.h"
#include "memory.h"
#include "testutil.h"
#include "vmbus_proto.h"

#define PAGE	4096u

static struct vmbus_gpadl_table t;
static uint8_t msg[256];

static void setup(void)
{
	memset(&t, 0, sizeof(t));
}

static void teardown(void)
{
	vmbus_gpadl_clear(&t);
}

/* A range header as the guest writes it: byte_count, then byte_offset. */
static uint64_t rng(uint32_t byte_count, uint32_t byte_offset)
{
	return byte_count | (uint64_t)byte_offset << 32;
}

static uint32_t mk_header(uint32_t relid, uint32_t id, uint16_t buflen, uint16_t rangecount, const void *data,
			  uint32_t datalen)
{
	struct vmbus_msg_gpadl_header h = {
		.header.msgtype = CHANNELMSG_GPADL_HEADER,
		.child_relid = relid,
		.gpadl = id,
		.range_buflen = buflen,
		.rangecount = rangecount,
	};

	ck_assert_uint_le(sizeof(h) + datalen, VMBUS_MSG_MAX);
	memset(msg, 0, sizeof(msg));
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), data, datalen);
	return (uint32_t)sizeof(h) + datalen;
}

static uint32_t mk_body(uint32_t id, const void *data, uint32_t datalen)
{
	struct vmbus_msg_gpadl_body b = { .header.msgtype = CHANNELMSG_GPADL_BODY, .gpadl = id };

	ck_assert_uint_le(sizeof(b) + datalen, VMBUS_MSG_MAX);
	memset(msg, 0, sizeof(msg));
	memcpy(msg, &b, sizeof(b));
	memcpy(msg + sizeof(b), data, datalen);
	return (uint32_t)sizeof(b) + datalen;
}

/* The whole range buffer in the header message. */
static int header_all(uint32_t id, uint16_t rangecount, const uint64_t *w, unsigned nwords, struct vmbus_gpadl **g)
{
	uint32_t len = mk_header(3, id, (uint16_t)(nwords * 8), rangecount, w, nwords * 8);

	return vmbus_gpadl_header(&t, msg, len, g);
}

static void assert_nothing_kept(uint32_t id)
{
	ck_assert_ptr_null(vmbus_gpadl_find(&t, id));
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.head);
}

/* ---- well-formed GPADLs ------------------------------------------------------------- */

START_TEST(test_single_range_in_header)
{
	uint64_t w[] = { rng(3 * PAGE, 0), 100, 101, 0x12345 };
	struct vmbus_gpadl *g = NULL;

	ck_assert_int_eq(header_all(0xe1e10, 1, w, 4, &g), 1);
	ck_assert_ptr_nonnull(g);
	ck_assert(g->complete);
	ck_assert_uint_eq(g->id, 0xe1e10);
	ck_assert_uint_eq(g->relid, 3);
	ck_assert_uint_eq(g->nranges, 1);
	ck_assert_uint_eq(g->ranges[0].byte_count, 3 * PAGE);
	ck_assert_uint_eq(g->ranges[0].byte_offset, 0);
	ck_assert_uint_eq(g->ranges[0].first, 0);
	ck_assert_uint_eq(g->ranges[0].npages, 3);
	ck_assert_uint_eq(g->npfns, 3);
	ck_assert_uint_eq(g->pfns[0], 100);
	ck_assert_uint_eq(g->pfns[1], 101);
	ck_assert_uint_eq(g->pfns[2], 0x12345);
	ck_assert_ptr_eq(vmbus_gpadl_find(&t, 0xe1e10), g);
	ck_assert_uint_eq(t.count, 1);
	vmbus_gpadl_remove(&t, g);
	assert_nothing_kept(0xe1e10);
}
END_TEST

/* pages = ceil((byte_offset + byte_count) / 4096) */
START_TEST(test_single_range_byte_offset)
{
	uint64_t w1[] = { rng(PAGE, 100), 7, 9 };
	uint64_t w2[] = { rng(2, PAGE - 1), 7, 9 };
	uint64_t w3[] = { rng(1, PAGE - 1), 7 };
	struct vmbus_gpadl *g;

	ck_assert_int_eq(header_all(1, 1, w1, 3, &g), 1);
	ck_assert_uint_eq(g->npfns, 2);
	ck_assert_uint_eq(g->ranges[0].byte_offset, 100);
	ck_assert_int_eq(header_all(2, 1, w2, 3, &g), 1);
	ck_assert_uint_eq(g->npfns, 2);
	ck_assert_int_eq(header_all(3, 1, w3, 2, &g), 1);
	ck_assert_uint_eq(g->npfns, 1);
	ck_assert_uint_eq(t.count, 3);
}
END_TEST

/* Linux's split: 26 page numbers in the header, 28 per body; the last body may carry
 * padding after the end of the range buffer. */
START_TEST(test_multi_message)
{
	uint64_t w[61];
	struct vmbus_gpadl *g = NULL;
	uint64_t pad[28];
	uint32_t len;

	w[0] = rng(60 * PAGE, 0);
	for (int i = 1; i <= 60; i++)
		w[i] = 1000 + (uint64_t)i * 3;
	len = mk_header(5, 77, sizeof(w), 1, w, 27 * 8);
	ck_assert_uint_eq(len, 236);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	ck_assert_ptr_nonnull(g);
	ck_assert(!g->complete);
	ck_assert_ptr_eq(vmbus_gpadl_find(&t, 77), g);
	len = mk_body(77, w + 27, 28 * 8);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), 0);
	ck_assert(!g->complete);
	/* The last 6 page numbers, then junk up to the maximum message length. */
	memcpy(pad, w + 55, 6 * 8);
	for (int i = 6; i < 28; i++)
		pad[i] = 0xdeadbeefcafe0000ull + (uint64_t)i;
	len = mk_body(77, pad, sizeof(pad));
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), 1);
	ck_assert_ptr_nonnull(g);
	ck_assert(g->complete);
	ck_assert_uint_eq(g->relid, 5);
	ck_assert_uint_eq(g->npfns, 60);
	ck_assert_uint_eq(g->nranges, 1);
	ck_assert_uint_eq(g->ranges[0].npages, 60);
	for (int i = 0; i < 60; i++)
		ck_assert_uint_eq(g->pfns[i], w[i + 1]);
	ck_assert_uint_eq(t.count, 1);
}
END_TEST

/* Exact bodies, several of them, as Linux sends for a large ring. */
START_TEST(test_multi_message_many_bodies)
{
	enum { NP = 26 + 28 * 4 + 5 };
	uint64_t w[NP + 1];
	struct vmbus_gpadl *g = NULL;
	unsigned done = 27;
	uint32_t len;

	w[0] = rng(NP * PAGE, 0);
	for (int i = 1; i <= NP; i++)
		w[i] = 0x40000 + (uint64_t)(NP - i);
	len = mk_header(9, 0xe1e11, sizeof(w), 1, w, 27 * 8);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	while (done < NP + 1) {
		unsigned n = NP + 1 - done < 28 ? NP + 1 - done : 28;
		int r;

		len = mk_body(0xe1e11, w + done, n * 8);
		r = vmbus_gpadl_body(&t, msg, len, &g);
		done += n;
		ck_assert_int_eq(r, done == NP + 1 ? 1 : 0);
	}
	ck_assert_uint_eq(g->npfns, NP);
	for (int i = 0; i < NP; i++)
		ck_assert_uint_eq(g->pfns[i], w[i + 1]);
}
END_TEST

/*
 * Some clients (UEFI) always post the maximum message length: the header carries
 * 220 bytes after its fixed part, of which only whole 8-byte words are range data
 * (facts §5: "rounded down to 8"); the first body continues with the next word.
 */
START_TEST(test_header_padded_to_max_length)
{
	uint64_t w[61];
	uint8_t data[224];
	struct vmbus_gpadl *g = NULL;
	uint32_t len;

	w[0] = rng(60 * PAGE, 0);
	for (int i = 1; i <= 60; i++)
		w[i] = 2000 + (uint64_t)i;
	memset(data, 0xa5, sizeof(data));
	memcpy(data, w, 27 * 8);	/* 216 bytes of range data, 4 of padding */
	len = mk_header(5, 78, sizeof(w), 1, data, 220);
	ck_assert_uint_eq(len, VMBUS_MSG_MAX);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	len = mk_body(78, w + 27, 28 * 8);
	ck_assert_uint_eq(len, VMBUS_MSG_MAX);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), 0);
	memset(data, 0xa5, sizeof(data));
	memcpy(data, w + 55, 6 * 8);
	len = mk_body(78, data, 224);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), 1);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->npfns, 60);
	for (int i = 0; i < 60; i++)
		ck_assert_uint_eq(g->pfns[i], w[i + 1]);
}
END_TEST

START_TEST(test_multi_range)
{
	/* 2 pages, then 100 bytes straddling a page boundary (2 pages), then 5 pages */
	uint64_t w[] = { rng(2 * PAGE, 0), 10, 11, rng(100, 4000), 20, 21, rng(5 * PAGE, 0), 30, 31, 32, 33, 34 };
	struct vmbus_gpadl *g = NULL;
	uint32_t len;

	len = mk_header(4, 50, sizeof(w), 3, w, 5 * 8);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	len = mk_body(50, w + 5, 7 * 8);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), 1);
	ck_assert_uint_eq(g->nranges, 3);
	ck_assert_uint_eq(g->npfns, 9);
	ck_assert_uint_eq(g->ranges[0].first, 0);
	ck_assert_uint_eq(g->ranges[0].npages, 2);
	ck_assert_uint_eq(g->ranges[1].first, 2);
	ck_assert_uint_eq(g->ranges[1].npages, 2);
	ck_assert_uint_eq(g->ranges[1].byte_count, 100);
	ck_assert_uint_eq(g->ranges[1].byte_offset, 4000);
	ck_assert_uint_eq(g->ranges[2].first, 4);
	ck_assert_uint_eq(g->ranges[2].npages, 5);
	ck_assert_uint_eq(g->pfns[0], 10);
	ck_assert_uint_eq(g->pfns[2], 20);
	ck_assert_uint_eq(g->pfns[3], 21);
	ck_assert_uint_eq(g->pfns[8], 34);

	/* All in the header. */
	ck_assert_int_eq(header_all(51, 3, w, 12, &g), 1);
	ck_assert_uint_eq(g->nranges, 3);
	ck_assert_uint_eq(g->npfns, 9);
}
END_TEST

/* ---- malformed headers: refused, nothing kept ----------------------------------------- */

START_TEST(test_reject_rangecount_zero)
{
	uint64_t w[] = { rng(PAGE, 0), 1 };
	struct vmbus_gpadl *g = (void *)1;

	ck_assert_int_eq(header_all(1, 0, w, 2, &g), -EINVAL);
	ck_assert_ptr_null(g);
	assert_nothing_kept(1);
}
END_TEST

START_TEST(test_reject_range_buflen_too_small)
{
	uint64_t w[] = { rng(PAGE, 0), 1 };
	struct vmbus_gpadl *g;
	uint32_t len;

	/* a range header and no page number */
	ck_assert_int_eq(header_all(1, 1, w, 1, &g), -EINVAL);
	assert_nothing_kept(1);
	len = mk_header(3, 1, 0, 1, w, 16);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), -EINVAL);
	assert_nothing_kept(1);
	len = mk_header(3, 1, 15, 1, w, 16);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), -EINVAL);
	assert_nothing_kept(1);
	/* shorter than the header itself */
	len = mk_header(3, 1, 16, 1, w, 16);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, 19, &g), -EINVAL);
	(void)len;
	assert_nothing_kept(1);
}
END_TEST

START_TEST(test_reject_byte_count_zero)
{
	uint64_t w[] = { rng(0, 0), 1 };
	struct vmbus_gpadl *g;

	ck_assert_int_eq(header_all(1, 1, w, 2, &g), -EINVAL);
	assert_nothing_kept(1);
}
END_TEST

START_TEST(test_reject_byte_offset)
{
	uint64_t w1[] = { rng(PAGE, PAGE), 1, 2 };
	uint64_t w2[] = { rng(PAGE, 0xffffffffu), 1, 2 };
	/* offset + count overflows 32 bits */
	uint64_t w3[] = { rng(0xffffffffu, PAGE - 1), 1, 2 };
	struct vmbus_gpadl *g;

	ck_assert_int_eq(header_all(1, 1, w1, 3, &g), -EINVAL);
	assert_nothing_kept(1);
	ck_assert_int_eq(header_all(1, 1, w2, 3, &g), -EINVAL);
	assert_nothing_kept(1);
	ck_assert_int_eq(header_all(1, 1, w3, 3, &g), -EINVAL);
	assert_nothing_kept(1);
}
END_TEST

START_TEST(test_reject_too_few_pages)
{
	uint64_t w1[] = { rng(3 * PAGE, 0), 1, 2 };
	uint64_t w2[] = { rng(PAGE, 1), 1 };	/* spills into a second page */
	uint64_t w3[] = { rng(PAGE, 0), 1, rng(2 * PAGE, 0), 2 };
	struct vmbus_gpadl *g;

	ck_assert_int_eq(header_all(1, 1, w1, 3, &g), -EINVAL);
	assert_nothing_kept(1);
	ck_assert_int_eq(header_all(1, 1, w2, 2, &g), -EINVAL);
	assert_nothing_kept(1);
	ck_assert_int_eq(header_all(1, 2, w3, 4, &g), -EINVAL);
	assert_nothing_kept(1);
	/* more ranges announced than the buffer holds */
	ck_assert_int_eq(header_all(1, 3, w3, 3, &g), -EINVAL);
	assert_nothing_kept(1);
}
END_TEST

START_TEST(test_reject_leftover_bytes)
{
	uint64_t w1[] = { rng(2 * PAGE, 0), 1, 2, 3 };
	uint64_t w2[] = { rng(PAGE, 0), 1, rng(PAGE, 0), 2 };
	struct vmbus_gpadl *g;

	ck_assert_int_eq(header_all(1, 1, w1, 4, &g), -EINVAL);
	assert_nothing_kept(1);
	/* two ranges in the buffer, one announced */
	ck_assert_int_eq(header_all(1, 1, w2, 4, &g), -EINVAL);
	assert_nothing_kept(1);
	/* range_buflen not a whole number of words */
	{
		uint32_t len = mk_header(3, 1, 20, 1, w1, 20);

		ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), -EINVAL);
		assert_nothing_kept(1);
	}
	/* the control: both ranges announced */
	ck_assert_int_eq(header_all(1, 2, w2, 4, &g), 1);
}
END_TEST

START_TEST(test_duplicate_id)
{
	uint64_t w[] = { rng(2 * PAGE, 0), 5, 6 };
	uint64_t w2[] = { rng(2 * PAGE, 0), 8, 9 };
	struct vmbus_gpadl *g, *g2;
	uint32_t len;

	ck_assert_int_eq(header_all(42, 1, w, 3, &g), 1);
	ck_assert_int_eq(header_all(42, 1, w2, 3, &g2), -EEXIST);
	ck_assert_ptr_eq(vmbus_gpadl_find(&t, 42), g);
	ck_assert_uint_eq(g->pfns[0], 5);
	ck_assert_uint_eq(t.count, 1);
	/* also while the first one is still being built */
	len = mk_header(3, 43, 24, 1, w, 8);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	len = mk_header(3, 43, 24, 1, w2, 24);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g2), -EEXIST);
	len = mk_body(43, w + 1, 16);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), 1);
	ck_assert_uint_eq(g->pfns[1], 6);
	ck_assert_uint_eq(t.count, 2);
}
END_TEST

START_TEST(test_too_many)
{
	uint64_t w[] = { rng(PAGE, 0), 1 };
	struct vmbus_gpadl *g;

	for (uint32_t id = 1; id <= VMBUS_GPADL_MAX; id++)
		ck_assert_int_eq(header_all(id, 1, w, 2, &g), 1);
	ck_assert_uint_eq(t.count, VMBUS_GPADL_MAX);
	ck_assert_int_eq(header_all(VMBUS_GPADL_MAX + 1, 1, w, 2, &g), -ENOSPC);
	ck_assert_ptr_null(vmbus_gpadl_find(&t, VMBUS_GPADL_MAX + 1));
	/* an incomplete one counts too */
	{
		uint32_t len = mk_header(3, VMBUS_GPADL_MAX + 2, 16, 1, w, 8);

		ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), -ENOSPC);
	}
	vmbus_gpadl_remove(&t, vmbus_gpadl_find(&t, 17));
	ck_assert_uint_eq(t.count, VMBUS_GPADL_MAX - 1);
	ck_assert_int_eq(header_all(VMBUS_GPADL_MAX + 1, 1, w, 2, &g), 1);
	vmbus_gpadl_clear(&t);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.head);
}
END_TEST

/* ---- bodies ------------------------------------------------------------------------------ */

START_TEST(test_body_unknown_id)
{
	uint64_t w[] = { 1, 2 };
	struct vmbus_gpadl *g = (void *)1;
	uint32_t len = mk_body(99, w, 16);

	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), -ENOENT);
	ck_assert_ptr_null(g);
	ck_assert_uint_eq(t.count, 0);
}
END_TEST

START_TEST(test_body_for_complete_gpadl)
{
	uint64_t w[] = { rng(2 * PAGE, 0), 5, 6 };
	uint64_t junk[] = { 7, 8 };
	struct vmbus_gpadl *g, *g2;
	uint32_t len;

	ck_assert_int_eq(header_all(42, 1, w, 3, &g), 1);
	len = mk_body(42, junk, 16);
	ck_assert_int_lt(vmbus_gpadl_body(&t, msg, len, &g2), 0);
	/* A GPADL the guest may already use as a ring is not changed by a stray body. */
	g2 = vmbus_gpadl_find(&t, 42);
	if (g2) {
		ck_assert(g2->complete);
		ck_assert_uint_eq(g2->npfns, 2);
		ck_assert_uint_eq(g2->pfns[0], 5);
		ck_assert_uint_eq(g2->pfns[1], 6);
	}
}
END_TEST

START_TEST(test_body_too_short)
{
	uint64_t w[] = { rng(2 * PAGE, 0), 5, 6 };
	struct vmbus_gpadl *g;
	uint32_t len;

	len = mk_header(3, 60, 24, 1, w, 8);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	mk_body(60, w + 1, 16);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, 15, &g), -EINVAL);
}
END_TEST

/* A body that completes a malformed range buffer: the GPADL is dropped. */
START_TEST(test_malformed_body_drops_gpadl)
{
	uint64_t w[] = { rng(3 * PAGE, 0), 1, 2, 3, 4 };	/* one page number too many */
	uint64_t z[] = { rng(0, 0), 1 };
	struct vmbus_gpadl *g;
	uint32_t len;

	len = mk_header(3, 61, sizeof(w), 1, w, 8);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	len = mk_body(61, w + 1, 32);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), -EINVAL);
	ck_assert_ptr_null(g);
	assert_nothing_kept(61);
	/* the id is free again */
	len = mk_header(3, 61, 16, 1, w, 16);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), -EINVAL);	/* 3 pages, 1 given */
	assert_nothing_kept(61);

	/* byte_count 0 in a range that arrives in the body */
	len = mk_header(3, 62, 16, 1, z, 0);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	len = mk_body(62, z, 16);
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), -EINVAL);
	assert_nothing_kept(62);
	/* later bodies for it are unknown */
	ck_assert_int_eq(vmbus_gpadl_body(&t, msg, len, &g), -ENOENT);
}
END_TEST

/* ---- views of the pages -------------------------------------------------------------------- */

static struct gmem mem;

static void view_setup(void)
{
	setup();
	ck_assert_int_eq(gmem_init(&mem, 4 << 20), 0);
}

static void view_teardown(void)
{
	teardown();
	gmem_destroy(&mem);
}

START_TEST(test_view_outside_ram)
{
	uint64_t w[] = { rng(3 * PAGE, 0), 1, (4 << 20) / PAGE, 2 };
	uint64_t w2[] = { rng(PAGE, 0), 0xfffffffffffffull };
	struct vmbus_gpadl *g;
	struct gmem_view v;

	ck_assert_int_eq(header_all(1, 1, w, 4, &g), 1);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 3, &v), -EFAULT);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 1, 1, &v), -EFAULT);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 1, &v), 0);
	gmem_view_release(&v);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 2, 1, &v), 0);
	gmem_view_release(&v);
	ck_assert_int_eq(header_all(2, 1, w2, 2, &g), 1);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 1, &v), -EFAULT);
}
END_TEST

START_TEST(test_view_contiguous_in_place)
{
	uint64_t w[] = { rng(3 * PAGE, 0), 10, 11, 12 };
	struct vmbus_gpadl *g;
	struct gmem_view v;

	ck_assert_int_eq(header_all(1, 1, w, 4, &g), 1);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 3, &v), 0);
	ck_assert(!v.mapped);
	ck_assert_ptr_eq(v.base, gmem_ptr(&mem, 10 * PAGE, 3 * PAGE));
	ck_assert_uint_eq(v.len, 3 * PAGE);
	gmem_view_release(&v);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 1, 2, &v), 0);
	ck_assert_ptr_eq(v.base, gmem_ptr(&mem, 11 * PAGE, 2 * PAGE));
	ck_assert_uint_eq(v.len, 2 * PAGE);
	gmem_view_release(&v);
}
END_TEST

START_TEST(test_view_scattered_remapped)
{
	uint64_t w[] = { rng(4 * PAGE, 0), 20, 5, 300, 301 };
	struct vmbus_gpadl *g;
	struct gmem_view v;

	ck_assert_int_eq(header_all(1, 1, w, 5, &g), 1);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 4, &v), 0);
	ck_assert(v.mapped);
	ck_assert_uint_eq(v.len, 4 * PAGE);
	for (unsigned i = 0; i < 4; i++) {
		uint8_t *guest = gmem_ptr(&mem, w[i + 1] * PAGE, PAGE);

		/* through the view, seen in guest RAM ... */
		memset(v.base + i * PAGE, 0x10 + i, PAGE);
		ck_assert_uint_eq(guest[0], 0x10 + i);
		ck_assert_uint_eq(guest[PAGE - 1], 0x10 + i);
		/* ... and the other way round */
		guest[123] = 0xc0 + i;
		ck_assert_uint_eq(v.base[i * PAGE + 123], 0xc0 + i);
	}
	gmem_view_release(&v);
	/* a part of it */
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 1, 2, &v), 0);
	ck_assert(v.mapped);
	ck_assert_uint_eq(v.base[123], 0xc1);
	ck_assert_uint_eq(v.base[PAGE + 123], 0xc2);
	v.base[PAGE + 7] = 0x77;
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 300 * PAGE + 7, 1), 0x77);
	gmem_view_release(&v);
}
END_TEST

START_TEST(test_view_out_of_bounds)
{
	uint64_t w[] = { rng(4 * PAGE, 0), 20, 21, 22, 23 };
	struct vmbus_gpadl *g;
	struct gmem_view v;
	uint32_t len;

	ck_assert_int_eq(header_all(1, 1, w, 5, &g), 1);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 5, &v), -EINVAL);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 1, 4, &v), -EINVAL);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 4, 1, &v), -EINVAL);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 5, 0, &v), -EINVAL);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0xffffffffu, 2, &v), -EINVAL);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 2, 0xffffffffu, &v), -EINVAL);
	ck_assert_int_lt(vmbus_gpadl_view(g, &mem, 0, 0, &v), 0);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 3, 1, &v), 0);
	gmem_view_release(&v);
	/* not complete yet */
	len = mk_header(3, 2, 40, 1, w, 16);
	ck_assert_int_eq(vmbus_gpadl_header(&t, msg, len, &g), 0);
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 0, 1, &v), -EINVAL);
}
END_TEST

/* A refused view is empty, whatever the caller's struct held: releasing it is safe. */
START_TEST(test_view_refused_is_empty)
{
	uint64_t w[] = { rng(2 * PAGE, 0), 20, 21 };
	struct vmbus_gpadl *g;
	struct gmem_view v;

	ck_assert_int_eq(header_all(1, 1, w, 3, &g), 1);
	memset(&v, 0xa5, sizeof(v));
	ck_assert_int_eq(vmbus_gpadl_view(g, &mem, 1, 2, &v), -EINVAL);
	ck_assert_ptr_null(v.base);
	ck_assert_uint_eq(v.len, 0);
	ck_assert(!v.mapped);
	gmem_view_release(&v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gpadl");
	TCase *tc = tcase_create("gpadl");
	TCase *tv = tcase_create("view");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_single_range_in_header);
	tcase_add_test(tc, test_single_range_byte_offset);
	tcase_add_test(tc, test_multi_message);
	tcase_add_test(tc, test_multi_message_many_bodies);
	tcase_add_test(tc, test_header_padded_to_max_length);
	tcase_add_test(tc, test_multi_range);
	tcase_add_test(tc, test_reject_rangecount_zero);
	tcase_add_test(tc, test_reject_range_buflen_too_small);
	tcase_add_test(tc, test_reject_byte_count_zero);
	tcase_add_test(tc, test_reject_byte_offset);
	tcase_add_test(tc, test_reject_too_few_pages);
	tcase_add_test(tc, test_reject_leftover_bytes);
	tcase_add_test(tc, test_duplicate_id);
	tcase_add_test(tc, test_too_many);
	tcase_add_test(tc, test_body_unknown_id);
	tcase_add_test(tc, test_body_for_complete_gpadl);
	tcase_add_test(tc, test_body_too_short);
	tcase_add_test(tc, test_malformed_body_drops_gpadl);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tv, view_setup, view_teardown);
	tcase_set_timeout(tv, 30);
	tcase_add_test(tv, test_view_outside_ram);
	tcase_add_test(tv, test_view_contiguous_in_place);
	tcase_add_test(tv, test_view_scattered_remapped);
	tcase_add_test(tv, test_view_out_of_bounds);
	tcase_add_test(tv, test_view_refused_is_empty);
	suite_add_tcase(s, tv);
	return test_main(s);
}
