/* SPDX-License-Identifier: MIT */
/*
 * VMBus ring buffers (vmbus-facts.md §4): packet layout, padding and trailer, wrap
 * at the end of the data area, the "never completely full" rule, pending_send_sz
 * flow control, when each side is signalled, and a guest that scribbles over its
 * indices or descriptors. The "guest" here is written from the facts, like Linux's
 * ring_buffer.c, not from ring.c.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ring.h"
#include "testutil.h"
#include "vmbus_proto.h"

#define PAGE		4096u
#define DESC		((uint32_t)sizeof(struct vmbus_packet_desc))

/* A ring in ordinary memory: the control page, then size bytes of data. */
struct tring {
	uint8_t *mem;
	struct vmbus_ring_control *ctl;
	uint8_t *data;
	uint32_t size;
	struct vmbus_ring r;
};

static struct tring tr;

static void tring_alloc(struct tring *t, uint32_t data_size)
{
	t->mem = aligned_alloc(PAGE, PAGE + data_size);
	ck_assert_ptr_nonnull(t->mem);
	memset(t->mem, 0, PAGE + data_size);
	t->ctl = (struct vmbus_ring_control *)t->mem;
	t->data = t->mem + PAGE;
	t->size = data_size;
}

static void tring_new(struct tring *t, uint32_t data_size, bool inbound)
{
	tring_alloc(t, data_size);
	ck_assert_int_eq(vmbus_ring_init(&t->r, t->mem, PAGE + data_size, inbound), 0);
}

static void tring_free(struct tring *t)
{
	free(t->mem);
	memset(t, 0, sizeof(*t));
}

static void teardown(void)
{
	tring_free(&tr);
}

/* ---- the guest's side, as Linux does it ------------------------------------------ */

static void raw_copy_in(struct tring *t, uint32_t off, const void *src, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		t->data[(off + i) % t->size] = ((const uint8_t *)src)[i];
}

static void raw_copy_out(const struct tring *t, uint32_t off, void *dst, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)dst)[i] = t->data[(off + i) % t->size];
}

static uint32_t free_space(const struct tring *t)
{
	uint32_t w = t->ctl->write_index, r = t->ctl->read_index;

	return w >= r ? t->size - (w - r) : r - w;
}

/*
 * hv_ringbuffer_write: the descriptor, the payload, zero padding to 8 bytes, the
 * trailer; refused unless free > packet + trailer. Returns 1 if Linux would signal
 * (the host's mask clear and the ring was empty), 0 if not, -1 if it does not fit.
 */
static int guest_write(struct tring *t, uint16_t type, uint64_t trans, const void *payload, uint32_t plen)
{
	struct vmbus_packet_desc d = { .type = type, .offset8 = 2, .flags = 0, .trans_id = trans };
	uint32_t len = DESC + plen, padded = (len + 7) & ~7u, total = padded + 8;
	uint32_t w = t->ctl->write_index;
	uint64_t trailer = (uint64_t)w << 32;
	static const uint8_t zeros[8];

	if (free_space(t) <= total)
		return -1;
	d.len8 = (uint16_t)(padded / 8);
	raw_copy_in(t, w, &d, DESC);
	raw_copy_in(t, w + DESC, payload, plen);
	raw_copy_in(t, w + len, zeros, padded - len);
	raw_copy_in(t, w + padded, &trailer, 8);
	__atomic_store_n(&t->ctl->write_index, (w + total) % t->size, __ATOMIC_SEQ_CST);
	return !t->ctl->interrupt_mask && w == t->ctl->read_index;
}

/* Raw bytes (a hand-made packet, trailer included) at the write index. */
static void guest_write_raw(struct tring *t, const void *bytes, uint32_t len)
{
	uint32_t w = t->ctl->write_index;

	raw_copy_in(t, w, bytes, len);
	t->ctl->write_index = (w + len) % t->size;
}

/* Read one host packet: 0 with the packet in buf, its length and trailer, or -EAGAIN. */
static int guest_read(struct tring *t, void *buf, uint32_t *len, uint64_t *trailer)
{
	uint32_t r = t->ctl->read_index, w = t->ctl->write_index;
	struct vmbus_packet_desc d;

	if (r == w)
		return -EAGAIN;
	raw_copy_out(t, r, &d, DESC);
	*len = d.len8 * 8u;
	raw_copy_out(t, r, buf, *len);
	raw_copy_out(t, r + *len, trailer, 8);
	t->ctl->read_index = (r + *len + 8) % t->size;
	return 0;
}

static void fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* The host sends a packet with a plain descriptor and payload of plen bytes. */
static int host_send(struct vmbus_ring *r, uint16_t type, uint64_t trans, const void *payload, uint32_t plen,
		     bool *signal)
{
	struct vmbus_packet_desc d = { .type = type, .offset8 = 2, .trans_id = trans };
	struct iovec iov[2] = { { &d, DESC }, { (void *)payload, plen } };

	d.len8 = (uint16_t)((DESC + plen + 7) / 8);
	return vmbus_ring_send(r, iov, 2, signal);
}

/* ---- vmbus_ring_init ---------------------------------------------------------------- */

START_TEST(test_init_rejects_bad_sizes)
{
	uint8_t *mem = aligned_alloc(PAGE, 4 * PAGE);
	struct vmbus_ring r;

	memset(mem, 0, 4 * PAGE);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, 0, true), -EINVAL);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, PAGE, true), -EINVAL);	/* control page only */
	ck_assert_int_eq(vmbus_ring_init(&r, mem, PAGE, false), -EINVAL);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, PAGE + 100, true), -EINVAL);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, 2 * PAGE + 8, false), -EINVAL);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, 3 * PAGE - 8, true), -EINVAL);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, 2 * PAGE, true), 0);
	ck_assert_uint_eq(r.size, PAGE);
	ck_assert_int_eq(vmbus_ring_init(&r, mem, 4 * PAGE, false), 0);
	ck_assert_uint_eq(r.size, 3 * PAGE);
	free(mem);
}
END_TEST

START_TEST(test_init_rejects_bad_indices)
{
	struct vmbus_ring r;

	tring_alloc(&tr, 2 * PAGE);
	/* Inbound: hvkvm reads, so it takes over the guest's read index. */
	tr.ctl->read_index = 2 * PAGE;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, true), -EINVAL);
	tr.ctl->read_index = 0xfffffff8u;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, true), -EINVAL);
	tr.ctl->read_index = 12;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, true), -EINVAL);
	tr.ctl->read_index = 2 * PAGE - 8;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, true), 0);
	ck_assert_uint_eq(r.index, 2 * PAGE - 8);
	ck_assert(!r.broken);

	/* Outbound: hvkvm writes, so it takes over the write index. */
	tr.ctl->read_index = 0;
	tr.ctl->write_index = 2 * PAGE;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, false), -EINVAL);
	tr.ctl->write_index = 4;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, false), -EINVAL);
	tr.ctl->write_index = 64;
	tr.ctl->read_index = 64;
	tr.ctl->pending_send_sz = 1234;
	ck_assert_int_eq(vmbus_ring_init(&r, tr.mem, 3 * PAGE, false), 0);
	ck_assert_uint_eq(r.index, 64);
	/* The host-to-guest ring's writer is hvkvm: it announces pending_send_sz. */
	ck_assert_uint_eq(tr.ctl->feature_bits & VMBUS_RING_FEAT_PENDING_SEND_SZ, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	ck_assert_uint_eq(tr.ctl->pending_send_sz, 0);
}
END_TEST

/* ---- packets round trip -------------------------------------------------------------- */

/* hvkvm writes (outbound) and reads back (inbound) through one ring, every size. */
START_TEST(test_send_recv_round_trip_sizes)
{
	static const uint32_t sizes[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100, 255, 1000, 1500,
					  4000, 4096, 8191, 8192, 10000, 20000, 30000 };
	struct vmbus_ring in;
	uint8_t *pay = malloc(65536), *got = malloc(65536);

	tring_new(&tr, 32 * PAGE, false);
	ck_assert_int_eq(vmbus_ring_init(&in, tr.mem, PAGE + tr.size, true), 0);
	for (unsigned rep = 0; rep < 3; rep++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint32_t plen = sizes[i], len = 0;
			struct vmbus_packet_desc d;
			bool signal;

			fill_pattern(pay, plen, (uint32_t)(i + rep * 100));
			ck_assert_int_eq(host_send(&tr.r, VM_PKT_DATA_INBAND, 0x1000 + i, pay, plen, &signal), 0);
			ck_assert_int_eq(vmbus_ring_recv(&in, got, 65536, &len), 0);
			ck_assert_uint_eq(len, (DESC + plen + 7) & ~7u);
			memcpy(&d, got, DESC);
			ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
			ck_assert_uint_eq(d.offset8, 2);
			ck_assert_uint_eq(d.len8 * 8u, len);
			ck_assert_uint_eq(d.trans_id, 0x1000 + i);
			ck_assert_mem_eq(got + DESC, pay, plen);
			for (uint32_t k = DESC + plen; k < len; k++)
				ck_assert_uint_eq(got[k], 0);
			ck_assert_int_eq(vmbus_ring_recv(&in, got, 65536, &len), -EAGAIN);
			vmbus_ring_recv_done(&in);
			ck_assert_uint_eq(tr.ctl->read_index, tr.ctl->write_index);
		}
	}
	free(pay);
	free(got);
}
END_TEST

/* The bytes hvkvm puts in the host-to-guest ring, read as a guest reads them. */
START_TEST(test_send_layout_padding_trailer)
{
	uint8_t pay[64], buf[256];
	uint32_t len, start = 0;
	uint64_t trailer;
	bool signal;

	tring_new(&tr, PAGE, false);
	memset(tr.data, 0xee, tr.size);	/* stale bytes the padding must overwrite */
	for (uint32_t plen = 0; plen <= 40; plen++) {
		struct vmbus_packet_desc d;

		fill_pattern(pay, plen, plen);
		ck_assert_int_eq(host_send(&tr.r, VM_PKT_COMP, plen, pay, plen, &signal), 0);
		/* descriptor + payload padded to 8, then the 8-byte trailer */
		ck_assert_uint_eq(tr.ctl->write_index, (start + vmbus_ring_packet_space(DESC + plen)) % tr.size);
		ck_assert_uint_eq(vmbus_ring_packet_space(DESC + plen), ((DESC + plen + 7) & ~7u) + 8);
		ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
		memcpy(&d, buf, DESC);
		ck_assert_uint_eq(d.len8 * 8u, len);
		ck_assert_uint_eq(len, (DESC + plen + 7) & ~7u);
		ck_assert_uint_eq(d.type, VM_PKT_COMP);
		ck_assert_uint_eq(d.trans_id, plen);
		ck_assert_mem_eq(buf + DESC, pay, plen);
		for (uint32_t k = DESC + plen; k < len; k++)
			ck_assert_msg(buf[k] == 0, "padding byte %u of a %u-byte payload is 0x%x", k, plen, buf[k]);
		/* The trailer: this packet's start offset in the high half. */
		ck_assert_uint_eq(trailer, (uint64_t)start << 32);
		start = tr.ctl->write_index;
	}
	ck_assert_uint_gt(start, 0);
}
END_TEST

/* Gathered payload: several iovecs make one packet, also across the end of the ring. */
START_TEST(test_send_gather_iov)
{
	uint8_t a[24], b[3], c[37], buf[256];
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = (16 + 64 + 7) / 8 };
	struct iovec iov[4] = { { &d, DESC }, { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	uint32_t len;
	uint64_t trailer;
	bool signal;

	tring_new(&tr, PAGE, false);
	fill_pattern(a, sizeof(a), 1);
	fill_pattern(b, sizeof(b), 2);
	fill_pattern(c, sizeof(c), 3);
	for (unsigned i = 0; i < 200; i++) {
		uint32_t start = tr.ctl->write_index;

		d.trans_id = i;
		ck_assert_int_eq(vmbus_ring_send(&tr.r, iov, 4, &signal), 0);
		ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
		ck_assert_uint_eq(len, 80);
		ck_assert_mem_eq(buf, &d, DESC);
		ck_assert_mem_eq(buf + 16, a, sizeof(a));
		ck_assert_mem_eq(buf + 40, b, sizeof(b));
		ck_assert_mem_eq(buf + 43, c, sizeof(c));
		ck_assert_uint_eq(trailer, (uint64_t)start << 32);
	}
}
END_TEST

/* The guest writes (Linux's writer), hvkvm reads: every size, including the trailer rule. */
START_TEST(test_recv_guest_packets)
{
	uint8_t pay[3000], buf[4096];
	struct vmbus_packet_desc d;
	uint32_t len;

	tring_new(&tr, 4 * PAGE, true);
	for (uint32_t plen = 0; plen < 3000; plen += 37) {
		fill_pattern(pay, plen, plen);
		ck_assert_int_ge(guest_write(&tr, VM_PKT_DATA_USING_GPA_DIRECT, plen * 3, pay, plen), 0);
		ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
		memcpy(&d, buf, DESC);
		ck_assert_uint_eq(len, (DESC + plen + 7) & ~7u);
		ck_assert_uint_eq(d.type, VM_PKT_DATA_USING_GPA_DIRECT);
		ck_assert_uint_eq(d.trans_id, plen * 3);
		ck_assert_mem_eq(buf + DESC, pay, plen);
		/* Nothing is published until recv_done. */
		ck_assert_uint_ne(tr.ctl->read_index, tr.ctl->write_index);
		vmbus_ring_recv_done(&tr.r);
		ck_assert_uint_eq(tr.ctl->read_index, tr.ctl->write_index);
	}
}
END_TEST

/* Random sizes through a small ring: packets split across its end, many times. */
START_TEST(test_wrap_around)
{
	static uint16_t plens[65536];
	struct vmbus_ring in;
	uint8_t *pay = malloc(4096), *got = malloc(4096);
	unsigned splits = 0, wraps = 0;
	uint32_t sent = 0, rcvd = 0;

	tring_new(&tr, 2 * PAGE, false);
	ck_assert_int_eq(vmbus_ring_init(&in, tr.mem, PAGE + tr.size, true), 0);
	rng_state = 99;
	while (rcvd < 20000) {
		/* Send until full, then drain part of it: the ring is rarely simply empty. */
		for (;;) {
			uint32_t plen = rnd() % 2500, start = tr.ctl->write_index;
			bool signal;
			int r;

			fill_pattern(pay, plen, sent);
			r = host_send(&tr.r, VM_PKT_DATA_INBAND, sent, pay, plen, &signal);
			if (r == -EAGAIN)
				break;
			ck_assert_int_eq(r, 0);
			if (start + vmbus_ring_packet_space(DESC + plen) > tr.size)
				splits++;
			if (tr.ctl->write_index < start)
				wraps++;
			plens[sent % 65536] = (uint16_t)plen;
			sent++;
		}
		for (unsigned k = rnd() % 4 + 1; k && rcvd < sent; k--) {
			struct vmbus_packet_desc d;
			uint32_t len, plen = plens[rcvd % 65536];

			ck_assert_int_eq(vmbus_ring_recv(&in, got, 4096, &len), 0);
			memcpy(&d, got, DESC);
			ck_assert_uint_eq(d.trans_id, rcvd);
			ck_assert_uint_eq(len, (DESC + plen + 7) & ~7u);
			fill_pattern(pay, plen, rcvd);
			ck_assert_mem_eq(got + DESC, pay, plen);
			rcvd++;
		}
		vmbus_ring_recv_done(&in);
	}
	ck_assert_uint_gt(splits, 100);
	ck_assert_uint_gt(wraps, 100);
	free(pay);
	free(got);
}
END_TEST

/* Linux's writer through the inbound ring, wrapping: every split is read right. */
START_TEST(test_wrap_around_guest_writer)
{
	uint8_t pay[1200], buf[2048];
	unsigned splits = 0;
	uint32_t seq = 0, next = 0;

	tring_new(&tr, PAGE, true);
	rng_state = 7;
	for (unsigned round = 0; round < 5000; round++) {
		uint32_t plen = rnd() % 1200, start = tr.ctl->write_index;

		fill_pattern(pay, plen, seq);
		if (guest_write(&tr, VM_PKT_DATA_INBAND, seq, pay, plen) >= 0) {
			if (start + ((DESC + plen + 7) & ~7u) + 8 > tr.size)
				splits++;
			seq++;
		}
		while (rnd() % 2 || free_space(&tr) < 1400) {
			struct vmbus_packet_desc d;
			uint32_t len;
			int r = vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len);

			if (r == -EAGAIN)
				break;
			ck_assert_int_eq(r, 0);
			memcpy(&d, buf, DESC);
			ck_assert_uint_eq(d.trans_id, next);
			ck_assert_uint_eq(d.len8 * 8u, len);
			next++;
			vmbus_ring_recv_done(&tr.r);
		}
	}
	ck_assert_uint_gt(splits, 100);
	ck_assert_uint_gt(next, 1000);
}
END_TEST

/* ---- full rings and flow control ------------------------------------------------------ */

/* Equal indices mean empty, so a packet that would fill the free space exactly is refused. */
START_TEST(test_one_byte_short_of_full)
{
	uint8_t pay[8192];
	bool signal;

	tring_new(&tr, 2 * PAGE, false);
	memset(pay, 0x5a, sizeof(pay));
	/* Leave exactly 64 bytes free. */
	ck_assert_int_eq(host_send(&tr.r, 6, 1, pay, tr.size - 64 - 8 - DESC, &signal), 0);
	ck_assert_uint_eq(free_space(&tr), 64);
	/* 40 bytes of payload: 56 + 8 = 64 bytes, exactly the free space. */
	ck_assert_int_eq(host_send(&tr.r, 6, 2, pay, 40, &signal), -EAGAIN);
	ck_assert_uint_eq(tr.ctl->pending_send_sz, 64);
	ck_assert_uint_eq(tr.ctl->write_index, tr.size - 64);
	/* 56 bytes in all fit, leaving 8. */
	ck_assert_int_eq(host_send(&tr.r, 6, 3, pay, 32, &signal), 0);
	ck_assert_uint_eq(free_space(&tr), 8);
	ck_assert_uint_eq(tr.ctl->pending_send_sz, 0);
	ck_assert_int_eq(host_send(&tr.r, 6, 4, pay, 0, &signal), -EAGAIN);
	ck_assert_uint_eq(tr.ctl->pending_send_sz, 24);
}
END_TEST

START_TEST(test_full_eagain_pending_then_success)
{
	uint8_t pay[1000], buf[2048];
	uint32_t len, n = 0;
	uint64_t trailer;
	bool signal;
	int r;

	tring_new(&tr, PAGE, false);
	memset(pay, 1, sizeof(pay));
	while ((r = host_send(&tr.r, 6, n, pay, 1000, &signal)) == 0)
		n++;
	ck_assert_int_eq(r, -EAGAIN);
	ck_assert_uint_eq(n, 3);	/* 3 x 1024 of 4096; a fourth would fill it */
	/* pending_send_sz tells the guest how much room the host needs. */
	ck_assert_uint_eq(tr.ctl->pending_send_sz, vmbus_ring_packet_space(DESC + 1000));
	ck_assert_uint_eq(tr.ctl->write_index, 3 * 1024);
	/* Still full on a second try; nothing written. */
	ck_assert_int_eq(host_send(&tr.r, 6, n, pay, 1000, &signal), -EAGAIN);
	ck_assert_uint_eq(tr.ctl->write_index, 3 * 1024);
	/* The guest reads one packet: now it fits. */
	ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
	ck_assert_int_eq(host_send(&tr.r, 6, n, pay, 1000, &signal), 0);
	ck_assert_uint_eq(tr.ctl->pending_send_sz, 0);
	ck_assert_uint_eq(tr.ctl->write_index, 0);	/* 4 x 1024: wrapped exactly to 0 */
	for (uint32_t i = 1; i <= 3; i++) {
		struct vmbus_packet_desc d;

		ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
		memcpy(&d, buf, DESC);
		ck_assert_uint_eq(d.trans_id, i);
	}
	ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), -EAGAIN);
}
END_TEST

/* vmbus_ring_send_room: the largest packet that fits now is accepted, one 8 bytes
 * longer (the next padded size) is not; vmbus_ring_send_max for an empty ring. */
START_TEST(test_send_room)
{
	uint8_t *pay = calloc(1, 2 * PAGE);
	uint8_t buf[2 * PAGE];
	uint32_t len, room;
	uint64_t trailer;
	bool signal;

	tring_new(&tr, 2 * PAGE, false);
	ck_assert_uint_eq(vmbus_ring_send_max(&tr.r), tr.size - 16);
	ck_assert_uint_eq(vmbus_ring_send_room(&tr.r), tr.size - 16);
	/* An empty ring takes the largest packet, and not 8 bytes more. */
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, tr.size - 16 - DESC + 8, &signal), -EMSGSIZE);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 1000, &signal), 0);
	room = vmbus_ring_send_room(&tr.r);
	ck_assert_uint_eq(room, tr.size - vmbus_ring_packet_space(DESC + 1000) - 16);
	ck_assert_int_eq(host_send(&tr.r, 6, 1, pay, room - DESC + 1, &signal), -EAGAIN);
	ck_assert_int_eq(host_send(&tr.r, 6, 1, pay, room - DESC, &signal), 0);
	ck_assert_uint_eq(vmbus_ring_send_room(&tr.r), 0);
	ck_assert_int_eq(host_send(&tr.r, 6, 2, pay, 1, &signal), -EAGAIN);
	/* The guest reads the first packet: its space is room again. */
	ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
	ck_assert_uint_eq(vmbus_ring_send_room(&tr.r), vmbus_ring_packet_space(DESC + 1000) - 8);
	/* A corrupt read index: no room. */
	tr.ctl->read_index = 3;
	ck_assert_uint_eq(vmbus_ring_send_room(&tr.r), 0);
	free(pay);
}
END_TEST

START_TEST(test_send_never_fits)
{
	uint8_t *pay = calloc(1, 3 * PAGE);
	struct vmbus_packet_desc d = { .type = 6, .offset8 = 2, .len8 = 1 };
	struct iovec iov = { &d, 8 };
	bool signal = true;

	tring_new(&tr, 2 * PAGE, false);
	/* Shorter than a descriptor. */
	ck_assert_int_eq(vmbus_ring_send(&tr.r, &iov, 1, &signal), -EMSGSIZE);
	ck_assert(!signal);
	ck_assert_int_eq(vmbus_ring_send(&tr.r, &iov, 0, &signal), -EMSGSIZE);
	/* A packet taking the whole data area (or more) can never be written. */
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, tr.size - 8 - DESC, &signal), -EMSGSIZE);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, tr.size - 1 - DESC, &signal), -EMSGSIZE);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, tr.size - DESC, &signal), -EMSGSIZE);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 3 * PAGE - DESC, &signal), -EMSGSIZE);
	/* -EMSGSIZE is not "wait for room": no pending_send_sz for the guest to honour. */
	ck_assert_uint_eq(tr.ctl->pending_send_sz, 0);
	ck_assert_uint_eq(tr.ctl->write_index, 0);
	ck_assert(!tr.r.broken);
	free(pay);
}
END_TEST

/*
 * The largest packet an empty ring takes: size - 8 bytes with its trailer, which
 * leaves 8 bytes free (facts §4.2: a write needs free > packet + trailer).
 */
START_TEST(test_send_largest_packet)
{
	uint8_t *pay = calloc(1, 2 * PAGE), *buf = malloc(2 * PAGE);
	uint32_t len;
	uint64_t trailer;
	bool signal;

	tring_new(&tr, 2 * PAGE, false);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, tr.size - 24 - DESC, &signal), 0);
	ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
	/* payload + descriptor = size - 16: packet space size - 8 < size free */
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, tr.size - 16 - DESC, &signal), 0);
	ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
	ck_assert_uint_eq(len, tr.size - 16);
	free(pay);
	free(buf);
}
END_TEST

START_TEST(test_recv_buffer_too_small)
{
	uint8_t pay[100], buf[256];
	uint32_t len = 0;

	tring_new(&tr, PAGE, true);
	fill_pattern(pay, sizeof(pay), 3);
	ck_assert_int_ge(guest_write(&tr, 6, 77, pay, sizeof(pay)), 0);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, 16, &len), -EMSGSIZE);
	ck_assert_uint_eq(len, 120);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, 119, &len), -EMSGSIZE);
	ck_assert_uint_eq(len, 120);
	/* Nothing consumed: not the index, not the guest's view. */
	ck_assert_uint_eq(tr.r.index, 0);
	ck_assert(!vmbus_ring_recv_done(&tr.r));
	ck_assert_uint_eq(tr.ctl->read_index, 0);
	ck_assert(!tr.r.broken);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, 120, &len), 0);
	ck_assert_uint_eq(len, 120);
	ck_assert_mem_eq(buf + DESC, pay, sizeof(pay));
}
END_TEST

/* ---- signalling ------------------------------------------------------------------------- */

START_TEST(test_send_signal_rules)
{
	uint8_t pay[40], buf[128];
	uint32_t len;
	uint64_t trailer;
	bool signal;

	tring_new(&tr, PAGE, false);
	memset(pay, 9, sizeof(pay));
	/* empty -> non-empty: signal */
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(signal);
	/* already non-empty: the guest knows */
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(!signal);
	ck_assert_int_eq(guest_read(&tr, buf, &len, &trailer), 0);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(!signal);
	while (guest_read(&tr, buf, &len, &trailer) == 0)
		;
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(signal);
	/* The guest polls (interrupt_mask): no signal even on empty -> non-empty. */
	while (guest_read(&tr, buf, &len, &trailer) == 0)
		;
	tr.ctl->interrupt_mask = 1;
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(!signal);
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(!signal);
	while (guest_read(&tr, buf, &len, &trailer) == 0)
		;
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(!signal);
	tr.ctl->interrupt_mask = 0;
	while (guest_read(&tr, buf, &len, &trailer) == 0)
		;
	ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 40, &signal), 0);
	ck_assert(signal);
	/* A failed send never asks for a signal. */
	while (host_send(&tr.r, 6, 0, pay, 40, &signal) == 0)
		;
	ck_assert(!signal);
}
END_TEST

/* The guest waits for room (pending_send_sz): one signal when the host's reads cross it. */
START_TEST(test_recv_done_pending_send_sz)
{
	uint8_t pay[1000], buf[2048];
	uint32_t len;

	tring_new(&tr, 2 * PAGE, true);
	tr.ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;	/* Linux sets it */
	memset(pay, 4, sizeof(pay));
	/* 7 packets of 1024 bytes: 1024 of 8192 left, the eighth does not fit. */
	for (int i = 0; i < 7; i++)
		ck_assert_int_ge(guest_write(&tr, 6, i, pay, 1000), 0);
	ck_assert_int_eq(guest_write(&tr, 6, 7, pay, 1000), -1);
	ck_assert_uint_eq(free_space(&tr), 1024);
	tr.ctl->pending_send_sz = 3000;
	/* 2048 free: not enough yet */
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(!vmbus_ring_recv_done(&tr.r));
	/* 3072 free: crossed */
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(vmbus_ring_recv_done(&tr.r));
	/* 4096: still above, not again */
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(!vmbus_ring_recv_done(&tr.r));
	/* Nothing consumed since: nothing to say. */
	ck_assert(!vmbus_ring_recv_done(&tr.r));

	/* Several reads published at once that cross it: one signal. */
	tr.ctl->pending_send_sz = 6000;
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);	/* 5120 */
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);	/* 6144 */
	ck_assert(vmbus_ring_recv_done(&tr.r));
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(!vmbus_ring_recv_done(&tr.r));
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(!vmbus_ring_recv_done(&tr.r));
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EAGAIN);
	ck_assert_uint_eq(tr.ctl->read_index, tr.ctl->write_index);
}
END_TEST

START_TEST(test_recv_done_no_signal_without_request)
{
	uint8_t pay[1000], buf[2048];
	uint32_t len;

	tring_new(&tr, 2 * PAGE, true);
	memset(pay, 4, sizeof(pay));
	for (int i = 0; i < 7; i++)
		ck_assert_int_ge(guest_write(&tr, 6, i, pay, 1000), 0);
	/* pending_send_sz without the feature bit: the guest does not use it */
	tr.ctl->feature_bits = 0;
	tr.ctl->pending_send_sz = 1500;
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(!vmbus_ring_recv_done(&tr.r));
	ck_assert_uint_eq(tr.ctl->read_index, 1024);	/* published all the same */
	/* the feature bit but pending_send_sz 0: the guest waits for nothing */
	tr.ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	tr.ctl->pending_send_sz = 0;
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
		ck_assert(!vmbus_ring_recv_done(&tr.r));
	}
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EAGAIN);
}
END_TEST

START_TEST(test_mask_unmask)
{
	uint8_t pay[8], buf[64];
	uint32_t len;

	tring_new(&tr, PAGE, true);
	memset(pay, 0, sizeof(pay));
	vmbus_ring_mask(&tr.r);
	ck_assert_uint_eq(tr.ctl->interrupt_mask, 1);
	ck_assert(!vmbus_ring_unmask(&tr.r));
	ck_assert_uint_eq(tr.ctl->interrupt_mask, 0);
	/* The guest writes while masked: it does not signal, unmask reports the packet. */
	vmbus_ring_mask(&tr.r);
	ck_assert_int_eq(guest_write(&tr, 6, 1, pay, 8), 0);
	ck_assert(vmbus_ring_unmask(&tr.r));
	ck_assert_uint_eq(tr.ctl->interrupt_mask, 0);
	ck_assert(!vmbus_ring_empty(&tr.r));
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(vmbus_ring_empty(&tr.r));
	vmbus_ring_mask(&tr.r);
	ck_assert(!vmbus_ring_unmask(&tr.r));
	/* Unmasked, the guest signals for empty -> non-empty. */
	vmbus_ring_recv_done(&tr.r);
	ck_assert_int_eq(guest_write(&tr, 6, 2, pay, 8), 1);
}
END_TEST

/* ---- a guest that corrupts the ring ---------------------------------------------------- */

static void assert_stays_broken(struct tring *t)
{
	uint8_t buf[256];
	uint32_t len;

	ck_assert(t->r.broken);
	/* Even once the guest puts everything back. */
	t->ctl->write_index = 0;
	t->ctl->read_index = 0;
	ck_assert_int_eq(vmbus_ring_recv(&t->r, buf, sizeof(buf), &len), -EBADMSG);
	ck_assert(!vmbus_ring_recv_done(&t->r));
	ck_assert(vmbus_ring_empty(&t->r));
}

static void write_desc(struct tring *t, uint16_t offset8, uint16_t len8, uint32_t advance)
{
	uint8_t pkt[512] = { 0 };
	struct vmbus_packet_desc d = { .type = 6, .offset8 = offset8, .len8 = len8 };

	memcpy(pkt, &d, DESC);
	guest_write_raw(t, pkt, advance);
}

START_TEST(test_corrupt_write_index_beyond_size)
{
	uint8_t buf[256], pay[8] = { 0 };
	uint32_t len;

	tring_new(&tr, PAGE, true);
	ck_assert_int_ge(guest_write(&tr, 6, 0, pay, 8), 0);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	tr.ctl->write_index = tr.size;
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
	tring_free(&tr);

	tring_new(&tr, PAGE, true);
	tr.ctl->write_index = 0xfffffff0u;
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
}
END_TEST

START_TEST(test_corrupt_write_index_unaligned)
{
	uint8_t buf[256], pay[8] = { 0 };
	uint32_t len;

	tring_new(&tr, PAGE, true);
	ck_assert_int_ge(guest_write(&tr, 6, 0, pay, 8), 0);
	tr.ctl->write_index += 4;
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
}
END_TEST

/* Fewer bytes published than a descriptor and a trailer. */
START_TEST(test_corrupt_short_packet)
{
	uint8_t buf[256];
	uint32_t len;

	tring_new(&tr, PAGE, true);
	write_desc(&tr, 2, 2, 16);	/* descriptor, no trailer */
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
}
END_TEST

START_TEST(test_corrupt_len8_zero)
{
	uint8_t buf[256];
	uint32_t len;

	tring_new(&tr, PAGE, true);
	write_desc(&tr, 2, 0, 64);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
	tring_free(&tr);

	tring_new(&tr, PAGE, true);
	write_desc(&tr, 1, 1, 64);	/* shorter than its own descriptor */
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
}
END_TEST

START_TEST(test_corrupt_len8_beyond_available)
{
	uint8_t buf[4096];
	uint32_t len;

	tring_new(&tr, PAGE, true);
	/* 64 bytes published; the descriptor claims 64 + trailer = 72 */
	write_desc(&tr, 2, 8, 64);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
	tring_free(&tr);

	tring_new(&tr, PAGE, true);
	write_desc(&tr, 2, 0xffff, 64);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
	tring_free(&tr);

	/* The boundary is fine: len8 * 8 + 8 == available. */
	tring_new(&tr, PAGE, true);
	write_desc(&tr, 2, 7, 64);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 56);
}
END_TEST

START_TEST(test_corrupt_offset8)
{
	uint8_t buf[256];
	uint32_t len;

	for (uint16_t off8 = 0; off8 < 2; off8++) {
		tring_new(&tr, PAGE, true);
		write_desc(&tr, off8, 4, 40);
		ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
		assert_stays_broken(&tr);
		tring_free(&tr);
	}
	/* offset8 beyond the packet */
	tring_new(&tr, PAGE, true);
	write_desc(&tr, 5, 4, 40);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	assert_stays_broken(&tr);
	tring_free(&tr);
	/* offset8 == len8: an empty payload is fine */
	tring_new(&tr, PAGE, true);
	write_desc(&tr, 4, 4, 40);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 32);
}
END_TEST

/* A bad packet after good ones: the good ones were delivered, then the ring breaks. */
START_TEST(test_corrupt_after_good_packets)
{
	uint8_t buf[256], pay[20] = { 1 };
	uint32_t len;

	tring_new(&tr, PAGE, true);
	ck_assert_int_ge(guest_write(&tr, 6, 1, pay, 20), 0);
	ck_assert_int_ge(guest_write(&tr, 6, 2, pay, 20), 0);
	write_desc(&tr, 3, 2, 24);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	ck_assert(vmbus_ring_recv_done(&tr.r) == false);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), -EBADMSG);
	ck_assert_uint_eq(tr.ctl->read_index, 96);
	assert_stays_broken(&tr);
}
END_TEST

/* Outbound: the guest owns read_index; a bad one breaks the ring for hvkvm's writes. */
START_TEST(test_corrupt_read_index)
{
	uint8_t pay[32] = { 0 };
	bool signal;
	uint32_t bad[] = { PAGE, PAGE + 8, 0x80000000u, 4, 12 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tring_new(&tr, PAGE, false);
		ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 32, &signal), 0);
		tr.ctl->read_index = bad[i];
		ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 32, &signal), -EBADMSG);
		ck_assert(!signal);
		ck_assert(tr.r.broken);
		tr.ctl->read_index = 0;
		ck_assert_int_eq(host_send(&tr.r, 6, 0, pay, 32, &signal), -EBADMSG);
		ck_assert_uint_eq(tr.ctl->write_index, 56);
		tring_free(&tr);
	}
}
END_TEST

/* The descriptor handed to the caller is the copy that was checked. */
START_TEST(test_descriptor_is_checked_copy)
{
	uint8_t pay[40], buf[256];
	struct vmbus_packet_desc d;
	uint32_t len;

	tring_new(&tr, PAGE, true);
	fill_pattern(pay, sizeof(pay), 5);
	ck_assert_int_ge(guest_write(&tr, VM_PKT_DATA_INBAND, 0xabcdef, pay, sizeof(pay)), 0);
	ck_assert_int_eq(vmbus_ring_recv(&tr.r, buf, sizeof(buf), &len), 0);
	memcpy(&d, buf, DESC);
	ck_assert_uint_eq(d.type, VM_PKT_DATA_INBAND);
	ck_assert_uint_eq(d.offset8, 2);
	ck_assert_uint_eq(d.len8, 7);
	ck_assert_uint_eq(d.trans_id, 0xabcdef);
	ck_assert_uint_eq(len, d.len8 * 8u);
}
END_TEST

/*
 * The guest rewrites the descriptor right after hvkvm has read it. A descriptor that
 * straddles the end of the ring is read in two parts; the second part's page is
 * inaccessible, so the first read of it faults, and the fault handler, playing a
 * guest vCPU, rewrites the first half (type, offset8, len8) before letting the read
 * go on. Every later read of the ring sees the new bytes.
 */
static uint8_t *trap_page, *trap_desc;
static volatile int trap_faults;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	uint8_t *a = si->si_addr;
	struct vmbus_packet_desc evil = { .type = VM_PKT_DATA_USING_GPA_DIRECT, .offset8 = 3, .len8 = 3, .flags = 1 };

	(void)sig, (void)uc;
	if (a < trap_page || a >= trap_page + PAGE || trap_faults) {
		signal(SIGSEGV, SIG_DFL);	/* a real crash: let it happen */
		return;
	}
	trap_faults++;
	memcpy(trap_desc, &evil, 8);
	mprotect(trap_page, PAGE, PROT_READ | PROT_WRITE);
}

START_TEST(test_descriptor_rewritten_after_check)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	struct vmbus_packet_desc d = {
		.type = VM_PKT_DATA_INBAND, .offset8 = 2, .len8 = 4, .trans_id = 0x1122334455667788ull,
	};
	uint8_t *mem = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vmbus_ring_control *ctl = (struct vmbus_ring_control *)mem;
	uint8_t *data = mem + PAGE, buf[256], pay[16];
	struct vmbus_ring r;
	uint32_t len = 0;

	ck_assert_ptr_ne(mem, MAP_FAILED);
	/* A 32-byte packet at the last 8 bytes of the 8 KiB data area. */
	ctl->read_index = 2 * PAGE - 8;
	ctl->write_index = 32;
	ck_assert_int_eq(vmbus_ring_init(&r, mem, 3 * PAGE, true), 0);
	memcpy(data + 2 * PAGE - 8, &d, 8);
	memcpy(data, (uint8_t *)&d + 8, 8);
	fill_pattern(pay, sizeof(pay), 1);
	memcpy(data + 8, pay, sizeof(pay));
	trap_page = data;
	trap_desc = data + 2 * PAGE - 8;
	trap_faults = 0;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, &old), 0);
	ck_assert_int_eq(mprotect(data, PAGE, PROT_NONE), 0);
	ck_assert_int_eq(vmbus_ring_recv(&r, buf, sizeof(buf), &len), 0);
	sigaction(SIGSEGV, &old, NULL);
	ck_assert_int_eq(trap_faults, 1);
	/* The caller gets the descriptor that was validated, not the guest's new one. */
	ck_assert_uint_eq(len, 32);
	ck_assert_mem_eq(buf, &d, DESC);
	ck_assert_mem_eq(buf + DESC, pay, sizeof(pay));
	ck_assert_uint_eq(r.index, 32);
	munmap(mem, 3 * PAGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmbus_ring");
	TCase *tc = tcase_create("ring");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_init_rejects_bad_sizes);
	tcase_add_test(tc, test_init_rejects_bad_indices);
	tcase_add_test(tc, test_send_recv_round_trip_sizes);
	tcase_add_test(tc, test_send_layout_padding_trailer);
	tcase_add_test(tc, test_send_gather_iov);
	tcase_add_test(tc, test_recv_guest_packets);
	tcase_add_test(tc, test_wrap_around);
	tcase_add_test(tc, test_wrap_around_guest_writer);
	tcase_add_test(tc, test_one_byte_short_of_full);
	tcase_add_test(tc, test_full_eagain_pending_then_success);
	tcase_add_test(tc, test_send_never_fits);
	tcase_add_test(tc, test_send_largest_packet);
	tcase_add_test(tc, test_recv_buffer_too_small);
	tcase_add_test(tc, test_send_signal_rules);
	tcase_add_test(tc, test_recv_done_pending_send_sz);
	tcase_add_test(tc, test_recv_done_no_signal_without_request);
	tcase_add_test(tc, test_mask_unmask);
	tcase_add_test(tc, test_corrupt_write_index_beyond_size);
	tcase_add_test(tc, test_corrupt_write_index_unaligned);
	tcase_add_test(tc, test_corrupt_short_packet);
	tcase_add_test(tc, test_corrupt_len8_zero);
	tcase_add_test(tc, test_corrupt_len8_beyond_available);
	tcase_add_test(tc, test_corrupt_offset8);
	tcase_add_test(tc, test_corrupt_after_good_packets);
	tcase_add_test(tc, test_corrupt_read_index);
	tcase_add_test(tc, test_send_room);
	tcase_add_test(tc, test_descriptor_is_checked_copy);
	tcase_add_test(tc, test_descriptor_rewritten_after_check);
	suite_add_tcase(s, tc);
	return test_main(s);
}
