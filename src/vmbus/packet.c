/* SPDX-License-Identifier: MIT */
#include "packet.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int fail(struct vmbus_pkt *p, int err, const char *why)
{
	p->niov = 0;
	p->bytes = 0;
	p->bad = why;
	return err;
}

/* Append [base, base + len) to the packet's pieces, merged with the last if merge and
 * adjacent in hvkvm. */
static int add_piece(struct vmbus_pkt *p, unsigned max_iov, uint8_t *base, size_t len, bool merge)
{
	struct iovec *last = p->niov ? &p->iov[p->niov - 1] : NULL;

	if (merge && last && (uint8_t *)last->iov_base + last->iov_len == base) {
		last->iov_len += len;
	} else {
		if (p->niov == max_iov)
			return -E2BIG;
		p->iov[p->niov++] = (struct iovec){ base, len };
	}
	p->bytes += len;
	return 0;
}

/* After the header: ranges of (byte count, byte offset, page numbers), up to the
 * payload at off. */
static int parse_gpa_direct(const uint8_t *buf, uint32_t off, const struct gmem *m,
			    const struct vmbus_pkt_limits *lim, unsigned max_iov, struct vmbus_pkt *p)
{
	struct vmbus_gpa_direct_header h;
	uint32_t pos = sizeof(h);
	uint64_t npages = 0;

	if (off < sizeof(h))
		return fail(p, -EINVAL, "GPA-direct header cut short");
	memcpy(&h, buf, sizeof(h));
	p->nranges = h.range_cnt;
	if (h.range_cnt == 0)
		return fail(p, -EINVAL, "GPA-direct packet without ranges");
	if (h.range_cnt > lim->max_ranges)
		return fail(p, -E2BIG, "more GPA ranges than the device takes");
	/* Each range takes its 8 bytes and at least one page number. */
	if ((uint64_t)h.range_cnt * (sizeof(struct vmbus_gpa_range) + 8) > off - pos)
		return fail(p, -EINVAL, "more GPA ranges than the packet holds");
	for (uint32_t i = 0; i < h.range_cnt; i++) {
		struct vmbus_gpa_range r;
		uint64_t pages, left;

		if (off - pos < sizeof(r))
			return fail(p, -EINVAL, "more GPA ranges than the packet holds");
		memcpy(&r, buf + pos, sizeof(r));
		pos += sizeof(r);
		if (r.byte_count == 0)
			return fail(p, -EINVAL, "empty GPA range");
		if (r.byte_offset >= GMEM_PAGE_SIZE)
			return fail(p, -EINVAL, "GPA range offset past its first page");
		pages = ((uint64_t)r.byte_offset + r.byte_count + GMEM_PAGE_SIZE - 1) / GMEM_PAGE_SIZE;
		if (pages > (off - pos) / 8)
			return fail(p, -EINVAL, "GPA range longer than its page list");
		if (pages > lim->max_pages - npages)
			return fail(p, -E2BIG, "more pages than the device takes");
		if (r.byte_count > lim->max_bytes - p->bytes)
			return fail(p, -E2BIG, "more bytes than the device takes");
		npages += pages;
		left = r.byte_count;
		for (uint64_t k = 0; k < pages; k++, pos += 8) {
			uint32_t start = k == 0 ? r.byte_offset : 0;
			uint64_t pfn, chunk = GMEM_PAGE_SIZE - start;
			uint8_t *host;

			memcpy(&pfn, buf + pos, 8);
			host = pfn <= UINT64_MAX / GMEM_PAGE_SIZE ? gmem_ptr(m, pfn * GMEM_PAGE_SIZE, GMEM_PAGE_SIZE)
								  : NULL;
			if (!host)
				return fail(p, -EFAULT, "GPA range page outside guest RAM");
			if (chunk > left)
				chunk = left;
			if (add_piece(p, max_iov, host + start, (size_t)chunk, true) < 0)
				return fail(p, -E2BIG, "more pieces than room for them");
			left -= chunk;
		}
	}
	return 0;
}

/* After the header: ranges of (byte count, byte offset) in the transfer page set. */
static int parse_xfer_pages(const uint8_t *buf, uint32_t off, const struct vmbus_xfer_buf *xfer,
			    const struct vmbus_pkt_limits *lim, unsigned max_iov, struct vmbus_pkt *p)
{
	struct vmbus_xfer_page_header h;
	uint32_t pos = sizeof(h);

	if (off < sizeof(h))
		return fail(p, -EINVAL, "transfer-page header cut short");
	memcpy(&h, buf, sizeof(h));
	p->xfer_pageset_id = h.xfer_pageset_id;
	p->nranges = h.range_cnt;
	if (!xfer || !xfer->base || h.xfer_pageset_id != xfer->id)
		return fail(p, -ENOENT, "unknown transfer page set");
	if (h.range_cnt == 0)
		return fail(p, -EINVAL, "transfer-page packet without ranges");
	if (h.range_cnt > lim->max_ranges)
		return fail(p, -E2BIG, "more transfer-page ranges than the device takes");
	if ((uint64_t)h.range_cnt * sizeof(struct vmbus_xfer_page_range) > off - pos)
		return fail(p, -EINVAL, "more transfer-page ranges than the packet holds");
	for (uint32_t i = 0; i < h.range_cnt; i++, pos += sizeof(struct vmbus_xfer_page_range)) {
		struct vmbus_xfer_page_range r;

		memcpy(&r, buf + pos, sizeof(r));
		if (r.byte_count == 0)
			return fail(p, -EINVAL, "empty transfer-page range");
		if (r.byte_offset > xfer->len || r.byte_count > xfer->len - r.byte_offset)
			return fail(p, -EFAULT, "transfer-page range outside its buffer");
		if (r.byte_count > lim->max_bytes - p->bytes)
			return fail(p, -E2BIG, "more bytes than the device takes");
		if (add_piece(p, max_iov, xfer->base + r.byte_offset, r.byte_count, false) < 0)
			return fail(p, -E2BIG, "more pieces than room for them");
	}
	return 0;
}

int vmbus_pkt_parse(const void *buf, uint32_t len, const struct gmem *m, const struct vmbus_xfer_buf *xfer,
		    const struct vmbus_pkt_limits *lim, struct iovec *iov, unsigned max_iov, struct vmbus_pkt *p)
{
	struct vmbus_packet_desc d;
	uint32_t off;

	memset(p, 0, sizeof(*p));
	p->iov = iov;
	if (len < sizeof(d))
		return fail(p, -EINVAL, "shorter than a packet descriptor");
	memcpy(&d, buf, sizeof(d));
	off = (uint32_t)d.offset8 * 8;
	if (off < sizeof(d) || off > len)
		return fail(p, -EINVAL, "payload offset outside the packet");
	p->type = d.type;
	p->flags = d.flags;
	p->trans_id = d.trans_id;
	p->data = (const uint8_t *)buf + off;
	p->data_len = len - off;
	if (d.type == VM_PKT_DATA_USING_GPA_DIRECT)
		return parse_gpa_direct(buf, off, m, lim, max_iov, p);
	if (d.type == VM_PKT_DATA_USING_XFER_PAGES)
		return parse_xfer_pages(buf, off, xfer, lim, max_iov, p);
	return 0;
}
