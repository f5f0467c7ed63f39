/* SPDX-License-Identifier: MIT */
/*
 * The ring buffers (src/vmbus/ring.c) with any contents and any indices: a guest that
 * writes well-formed packets, garbage, or indices anywhere, while the host reads one
 * ring and writes the other. Each ring is a heap allocation of exactly its size, so
 * that the sanitizer sees any access outside it; the host's own state is checked
 * after every call.
 */
#include "fuzz.h"
#include "vmbus_guest.h"
#include "ring.h"

#include <errno.h>

struct side {
	uint8_t *mem;
	struct vmbus_ring r;
	bool ok;
	uint32_t size;
};

static void check_ring(const struct side *s)
{
	if (!s->ok || s->r.broken)
		return;
	FZ_CHECK(s->r.index < s->r.size && s->r.index % 8 == 0, "index %u of %u", s->r.index, s->r.size);
	FZ_CHECK(s->r.published < s->r.size && s->r.published % 8 == 0, "published %u", s->r.published);
}

static void side_init(struct side *s, unsigned pages, struct fz *in, bool inbound)
{
	struct vmbus_ring_control *ctl;

	s->size = (uint32_t)(pages + 1) * 4096;
	s->mem = aligned_alloc(4096, s->size);
	FZ_CHECK(s->mem, "aligned_alloc");
	memset(s->mem, 0, s->size);
	ctl = (struct vmbus_ring_control *)s->mem;
	ctl->write_index = fz_u32(in);
	ctl->read_index = fz_u32(in);
	ctl->interrupt_mask = fz_u32(in);
	ctl->pending_send_sz = fz_u32(in);
	ctl->feature_bits = fz_u32(in);
	s->ok = vmbus_ring_init(&s->r, s->mem, s->size, inbound) == 0;
	if (s->ok)
		FZ_CHECK(s->r.size == s->size - 4096, "data size %u", s->r.size);
}

static struct vg_ring guest_view(struct side *s)
{
	return (struct vg_ring){ (struct vmbus_ring_control *)s->mem, s->mem + 4096, s->size - 4096 };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct side rx = { 0 }, tx = { 0 };
	unsigned rx_pages = fz_u8(&in) % 8 + 1, tx_pages = fz_u8(&in) % 8 + 1;
	static uint8_t buf[65536 + 64], pay[4][65536];

	fuzz_quiet_logs();
	side_init(&rx, rx_pages, &in, true);
	side_init(&tx, tx_pages, &in, false);
	while (in.n) {
		uint8_t op = fz_u8(&in) % VR_OP_COUNT;

		switch (op) {
		case VR_OP_GUEST_RAW: {
			uint32_t off = fz_u16(&in) % (rx.size - 4096);
			uint8_t len = fz_u8(&in), b[255];

			fz_bytes(&in, b, len);
			for (unsigned i = 0; i < len; i++)
				rx.mem[4096 + (off + i) % (rx.size - 4096)] = b[i];
			break;
		}
		case VR_OP_CTL: {
			uint8_t f = fz_u8(&in);
			uint32_t v = fz_u32(&in);
			uint32_t *ctl = (uint32_t *)(f & 8 ? tx.mem : rx.mem);
			static const unsigned word[5] = { 0, 1, 2, 3, 16 };

			__atomic_store_n(&ctl[word[(f & 7) % 5]], v, __ATOMIC_RELEASE);
			break;
		}
		case VR_OP_GUEST_SEND: {
			struct vmbus_packet_desc d = { .type = fz_u16(&in), .flags = fz_u16(&in), .offset8 = 2 };
			uint16_t len = fz_u16(&in) % 8192;
			struct vg_ring g = guest_view(&rx);

			d.len8 = (uint16_t)((sizeof(d) + len + 7) / 8);
			d.trans_id = len;
			memcpy(buf, &d, sizeof(d));
			fz_bytes(&in, buf + sizeof(d), len);
			vg_ring_put1(&g, buf, (uint32_t)sizeof(d) + len);
			break;
		}
		case VR_OP_RECV: {
			uint32_t buflen = fz_u16(&in), len = 0xdeadbeef;
			int r;

			if (!rx.ok)
				break;
			r = vmbus_ring_recv(&rx.r, buf, buflen, &len);
			FZ_CHECK(r == 0 || r == -EAGAIN || r == -EMSGSIZE || r == -EBADMSG, "recv: %d", r);
			if (r == 0) {
				const struct vmbus_packet_desc *d = (const void *)buf;

				FZ_CHECK(len <= buflen && len >= sizeof(*d), "recv: %u bytes into %u", len, buflen);
				FZ_CHECK(d->len8 * 8u == len && d->offset8 * 8u >= sizeof(*d) && d->offset8 * 8u <= len,
					 "recv: descriptor (len8 %u, offset8 %u) does not match %u bytes", d->len8, d->offset8,
					 len);
			} else if (r == -EMSGSIZE) {
				FZ_CHECK(len > buflen, "-EMSGSIZE: %u bytes fit %u", len, buflen);
			}
			if (r == -EBADMSG)
				FZ_CHECK(vmbus_ring_recv(&rx.r, buf, sizeof(buf), &len) == -EBADMSG, "broken ring recovered");
			break;
		}
		case VR_OP_RECV_DONE:
			if (rx.ok)
				vmbus_ring_recv_done(&rx.r);
			break;
		case VR_OP_SEND: {
			unsigned n = fz_u8(&in) % 4 + 1;
			struct iovec iov[4];
			bool signal;
			int r;

			for (unsigned i = 0; i < n; i++) {
				uint16_t len = fz_u16(&in);

				memset(pay[i], (int)(0x11 * (i + 1)), len);
				iov[i] = (struct iovec){ pay[i], len };
			}
			if (!tx.ok)
				break;
			r = vmbus_ring_send(&tx.r, iov, n, &signal);
			FZ_CHECK(r == 0 || r == -EAGAIN || r == -EMSGSIZE || r == -EBADMSG, "send: %d", r);
			if (r == 0)
				FZ_CHECK(((struct vmbus_ring_control *)tx.mem)->write_index == tx.r.index,
					 "write index not published");
			break;
		}
		case VR_OP_GUEST_RECV: {
			struct vg_ring g = guest_view(&tx);

			for (unsigned i = 0; i < 64 && vg_ring_get(&g, buf, sizeof(buf)) > 0; i++)
				;
			break;
		}
		case VR_OP_MASK: {
			uint8_t m = fz_u8(&in) % 3;

			if (!rx.ok)
				break;
			if (m == 0)
				vmbus_ring_mask(&rx.r);
			else if (m == 1)
				vmbus_ring_unmask(&rx.r);
			else
				vmbus_ring_empty(&rx.r);
			break;
		}
		}
		check_ring(&rx);
		check_ring(&tx);
	}
	free(rx.mem);
	free(tx.mem);
	return 0;
}
