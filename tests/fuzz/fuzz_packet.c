/* SPDX-License-Identifier: MIT */
/*
 * The VMBus packet layer (src/vmbus/packet.c) and the iovec walker (src/vmbus/iov.c):
 * one packet as the ring reader copies it, parsed with limits, room for iovecs and a
 * transfer page set the input chooses, over guest RAM of two regions (one near the top
 * of the address space). The copy and the buffers are allocated at their exact sizes,
 * so a read past them is a sanitizer report. A parse that succeeds must describe
 * exactly the packet's ranges: each piece is checked against the page or buffer bytes
 * the packet names, and the walker must read the same bytes back.
 */
#include "fuzz.h"
#include "iov.h"
#include "memory.h"
#include "packet.h"

#include <errno.h>

#define LOW_GPA		0x10000ull
#define LOW_SIZE	(64u << 10)
#define HIGH_GPA	0xfffffffffffe0000ull	/* 124 KiB, ending one page below 2^64 */
#define HIGH_SIZE	(124u << 10)
#define MAX_IOV		FZ_PK_MAX_IOV

static struct gmem mem;
static uint8_t *low, *high;

static void mem_init(void)
{
	struct gmem_region r[2];

	low = malloc(LOW_SIZE);
	high = malloc(HIGH_SIZE);
	FZ_CHECK(low && high, "malloc");
	r[0] = (struct gmem_region){ LOW_GPA, LOW_SIZE, low, 0 };
	r[1] = (struct gmem_region){ HIGH_GPA, HIGH_SIZE, high, 0 };
	FZ_CHECK(gmem_init_regions(&mem, r, 2) == 0, "gmem_init_regions");
}

/* A piece must lie in one place hvkvm may touch: RAM, or the transfer page set. */
static bool inside(const uint8_t *p, size_t len, const uint8_t *base, size_t size)
{
	return p >= base && (size_t)(p - base) <= size && len <= size - (size_t)(p - base);
}

/* The packet's GPA ranges, walked again by the book: each page's bytes must be the
 * stream's next bytes, at the very host address of that guest page. */
static void check_gpa_direct(const uint8_t *buf, const struct vmbus_pkt *p)
{
	struct vmbus_gpa_direct_header h;
	uint32_t pos = sizeof(h);
	uint64_t at = 0;

	memcpy(&h, buf, sizeof(h));
	FZ_CHECK(h.range_cnt == p->nranges && h.range_cnt >= 1, "range count %u", h.range_cnt);
	for (uint32_t i = 0; i < h.range_cnt; i++) {
		struct vmbus_gpa_range r;
		uint64_t left;

		memcpy(&r, buf + pos, sizeof(r));
		pos += sizeof(r);
		FZ_CHECK(r.byte_count && r.byte_offset < 4096, "range %u accepted: %u at %u", i, r.byte_count,
			 r.byte_offset);
		left = r.byte_count;
		for (uint32_t k = 0; left; k++, pos += 8) {
			uint64_t pfn, start = k ? 0 : r.byte_offset, chunk = 4096 - start;
			struct iovec piece[2];
			uint8_t *want;

			memcpy(&pfn, buf + pos, 8);
			if (chunk > left)
				chunk = left;
			want = gmem_ptr(&mem, pfn * 4096 + start, chunk);
			FZ_CHECK(pfn <= UINT64_MAX / 4096 && want, "page 0x%llx accepted", (unsigned long long)pfn);
			FZ_CHECK(iov_slice(p->iov, p->niov, at, chunk, piece, 2) == 1 && piece[0].iov_base == want,
				 "range %u page %u is not where the guest put it", i, k);
			at += chunk;
			left -= chunk;
		}
	}
	FZ_CHECK(pos <= (uint32_t)((const struct vmbus_packet_desc *)buf)->offset8 * 8, "page list past the payload");
	FZ_CHECK(at == p->bytes, "%llu bytes in the ranges, %llu described", (unsigned long long)at,
		 (unsigned long long)p->bytes);
}

static void check_xfer(const uint8_t *buf, const struct vmbus_pkt *p, const struct vmbus_xfer_buf *x)
{
	struct vmbus_xfer_page_header h;

	memcpy(&h, buf, sizeof(h));
	FZ_CHECK(h.xfer_pageset_id == x->id && p->niov == h.range_cnt && h.range_cnt >= 1, "transfer pages");
	for (uint32_t i = 0; i < h.range_cnt; i++) {
		struct vmbus_xfer_page_range r;

		memcpy(&r, buf + sizeof(h) + i * sizeof(r), sizeof(r));
		FZ_CHECK(p->iov[i].iov_base == x->base + r.byte_offset && p->iov[i].iov_len == r.byte_count &&
				 r.byte_count,
			 "transfer-page range %u", i);
	}
}

/* The walker over what was parsed: a slice and a copy of [off, off + len). */
static void walk(const struct vmbus_pkt *p, uint64_t off, uint32_t len)
{
	static uint8_t out[65536];
	struct iovec slice[MAX_IOV + 1];
	size_t want = off >= p->bytes ? 0 : p->bytes - off < len ? (size_t)(p->bytes - off) : len;
	size_t got = iov_to_buf(p->iov, p->niov, off, out, len);
	int n = iov_slice(p->iov, p->niov, off, len, slice, MAX_IOV + 1);

	FZ_CHECK(got == want, "iov_to_buf copied %zu of %zu", got, want);
	if (off > p->bytes || len > p->bytes - off) {
		FZ_CHECK(n == -ERANGE, "a slice past the end: %d", n);
		return;
	}
	FZ_CHECK(n >= 0 && iov_size(slice, (unsigned)n) == len, "slice of %u bytes: %d", len, n);
	for (int i = 0, at = 0; i < n; at += (int)slice[i].iov_len, i++)
		FZ_CHECK(slice[i].iov_len && !memcmp(slice[i].iov_base, out + at, slice[i].iov_len),
			 "slice piece %d differs from the copy", i);
	FZ_CHECK(iov_from_buf(p->iov, p->niov, off, out, len) == len, "iov_from_buf of what was read");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	static struct iovec iov[MAX_IOV];
	struct fz in = { data, size };
	struct vmbus_pkt_limits lim;
	struct vmbus_xfer_buf x;
	struct vmbus_pkt p;
	unsigned max_iov;
	bool no_xfer;
	uint64_t walk_off;
	uint32_t walk_len, len;
	uint8_t *buf;
	int r;

	fuzz_quiet_logs();
	if (!init) {
		mem_init();
		init = true;
	}
	lim.max_ranges = fz_u8(&in) % 70;
	lim.max_pages = fz_u16(&in) % 600;
	lim.max_bytes = fz_u32(&in);
	max_iov = fz_u16(&in) % (MAX_IOV + 1);
	no_xfer = fz_u8(&in) & 1;
	x.id = fz_u16(&in);
	x.len = fz_u16(&in) % (FZ_PK_XFER_MAX + 1);
	walk_off = fz_u32(&in);
	walk_len = fz_u16(&in);
	len = in.n > FZ_PK_MAX ? FZ_PK_MAX : (uint32_t)in.n;
	/* Exact sizes: the sanitizer sees any read past the packet or the buffer. */
	buf = malloc(len ? len : 1);
	x.base = malloc(x.len ? x.len : 1);
	FZ_CHECK(buf && x.base, "malloc");
	fz_bytes(&in, buf, len);
	memset(x.base, 0x5a, x.len);

	memset(&p, 0xa5, sizeof(p));
	r = vmbus_pkt_parse(buf, len, &mem, no_xfer ? NULL : &x, &lim, iov, max_iov, &p);
	FZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -EFAULT || r == -ENOENT, "vmbus_pkt_parse: %d", r);
	if (r < 0) {
		FZ_CHECK(p.bad && p.niov == 0 && p.bytes == 0, "a refused packet describes data");
		goto out;
	}
	FZ_CHECK(!p.bad && p.iov == iov && p.niov <= max_iov, "parsed: %u pieces", p.niov);
	FZ_CHECK(len >= sizeof(struct vmbus_packet_desc) && p.data >= buf + sizeof(struct vmbus_packet_desc) &&
			 p.data + p.data_len == buf + len,
		 "payload outside the packet");
	FZ_CHECK(iov_size(p.iov, p.niov) == p.bytes && p.bytes <= lim.max_bytes, "%llu bytes",
		 (unsigned long long)p.bytes);
	for (unsigned i = 0; i < p.niov; i++) {
		const uint8_t *b = p.iov[i].iov_base;
		size_t l = p.iov[i].iov_len;

		FZ_CHECK(l && (inside(b, l, low, LOW_SIZE) || inside(b, l, high, HIGH_SIZE) ||
			       (p.type == VM_PKT_DATA_USING_XFER_PAGES && inside(b, l, x.base, x.len))),
			 "piece %u outside RAM and the buffer", i);
	}
	if (p.type == VM_PKT_DATA_USING_GPA_DIRECT) {
		FZ_CHECK(p.nranges <= lim.max_ranges, "%u ranges", p.nranges);
		check_gpa_direct(buf, &p);
	} else if (p.type == VM_PKT_DATA_USING_XFER_PAGES) {
		FZ_CHECK(p.nranges <= lim.max_ranges, "%u ranges", p.nranges);
		check_xfer(buf, &p, &x);
	} else {
		FZ_CHECK(p.niov == 0 && p.nranges == 0, "ranges in a packet of type %u", p.type);
	}
	walk(&p, walk_off, walk_len);
out:
	free(buf);
	free(x.base);
	return 0;
}
