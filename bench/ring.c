/* SPDX-License-Identifier: MIT */
/*
 * Host-side VMBus ring throughput: packets of 64 B, 1.5 KiB and 64 KiB of payload
 * through vmbus_ring_send()/vmbus_ring_recv() on a 1 MiB ring in ordinary memory,
 * against memcpy of the same bytes into a 1 MiB buffer, measured in the same run.
 *
 * "1 thread": one thread sends until the ring is full, then drains it.
 * "2 threads": a writer and a reader run at once, as the guest and hvkvm do.
 * GB/s counts payload bytes; the ring copies each byte twice (in and out).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"
#include "vmbus_proto.h"

#define PAGE		4096u
#define RING_DATA	(1u << 20)
#define RUN_NS		250000000ull	/* per measurement */
#define DESC		((uint32_t)sizeof(struct vmbus_packet_desc))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static void escape(void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

struct result {
	uint64_t bytes, packets, ns;
};

static double gbps(const struct result *r)
{
	return r->ns ? (double)r->bytes / (double)r->ns : 0;
}

/* ---- baseline ---------------------------------------------------------------------- */

static struct result bench_memcpy(const uint8_t *src, uint32_t len)
{
	uint8_t *dst = aligned_alloc(PAGE, RING_DATA);
	struct result res = { 0 };
	uint32_t off = 0;
	uint64_t start, end;

	memset(dst, 0, RING_DATA);
	start = now_ns();
	do {
		for (int i = 0; i < 64; i++) {
			if (off + len > RING_DATA)
				off = 0;
			memcpy(dst + off, src, len);
			escape(dst);
			off += (len + 7) & ~7u;
			res.bytes += len;
			res.packets++;
		}
		end = now_ns();
	} while (end - start < RUN_NS);
	res.ns = end - start;
	free(dst);
	return res;
}

/* ---- the ring ---------------------------------------------------------------------- */

struct bring {
	uint8_t *mem;
	struct vmbus_ring out, in;	/* writer's and reader's view of one ring */
};

static int bring_init(struct bring *b)
{
	b->mem = aligned_alloc(PAGE, PAGE + RING_DATA);
	if (!b->mem)
		return -ENOMEM;
	memset(b->mem, 0, PAGE + RING_DATA);
	if (vmbus_ring_init(&b->out, b->mem, PAGE + RING_DATA, false) < 0 ||
	    vmbus_ring_init(&b->in, b->mem, PAGE + RING_DATA, true) < 0)
		return -EINVAL;
	return 0;
}

static int send_one(struct bring *b, const uint8_t *payload, uint32_t len, uint64_t seq)
{
	struct vmbus_packet_desc d = { .type = VM_PKT_DATA_INBAND, .offset8 = 2, .trans_id = seq };
	struct iovec iov[2] = { { &d, DESC }, { (void *)payload, len } };
	bool signal;

	d.len8 = (uint16_t)((DESC + len + 7) / 8);
	return vmbus_ring_send(&b->out, iov, 2, &signal);
}

/* Receive one packet and check it is the next one. */
static int recv_one(struct bring *b, uint8_t *buf, uint32_t buflen, uint64_t want_seq)
{
	struct vmbus_packet_desc d;
	uint32_t len;
	int r = vmbus_ring_recv(&b->in, buf, buflen, &len);

	if (r < 0)
		return r;
	memcpy(&d, buf, DESC);
	if (d.trans_id != want_seq || len != d.len8 * 8u) {
		fprintf(stderr, "bench_ring: packet %llu arrived as %llu\n", (unsigned long long)want_seq,
			(unsigned long long)d.trans_id);
		exit(1);
	}
	return 0;
}

static struct result bench_ring_1thread(const uint8_t *payload, uint32_t len, uint8_t *buf, uint32_t buflen)
{
	struct result res = { 0 };
	struct bring b;
	uint64_t sent = 0, rcvd = 0, start, end;

	if (bring_init(&b) < 0)
		exit(1);
	start = now_ns();
	do {
		int r;

		while ((r = send_one(&b, payload, len, sent)) == 0)
			sent++;
		if (r != -EAGAIN) {
			fprintf(stderr, "bench_ring: send: %s\n", strerror(-r));
			exit(1);
		}
		while (rcvd < sent) {
			r = recv_one(&b, buf, buflen, rcvd);
			if (r < 0) {
				fprintf(stderr, "bench_ring: recv: %s\n", strerror(-r));
				exit(1);
			}
			rcvd++;
		}
		vmbus_ring_recv_done(&b.in);
		end = now_ns();
	} while (end - start < RUN_NS);
	res.ns = end - start;
	res.packets = rcvd;
	res.bytes = rcvd * len;
	free(b.mem);
	return res;
}

struct writer {
	struct bring *b;
	const uint8_t *payload;
	uint32_t len;
	volatile bool stop;
	uint64_t sent;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	while (!w->stop) {
		int r = send_one(w->b, w->payload, w->len, w->sent);

		if (r == 0)
			__atomic_store_n(&w->sent, w->sent + 1, __ATOMIC_RELEASE);
		else if (r == -EAGAIN)
			cpu_relax();
		else {
			fprintf(stderr, "bench_ring: send: %s\n", strerror(-r));
			exit(1);
		}
	}
	return NULL;
}

static struct result bench_ring_2threads(const uint8_t *payload, uint32_t len, uint8_t *buf, uint32_t buflen)
{
	struct result res = { 0 };
	struct bring b;
	struct writer w = { .b = &b, .payload = payload, .len = len };
	pthread_t th;
	uint64_t rcvd = 0, start, end, since_publish = 0;
	uint32_t space = vmbus_ring_packet_space(DESC + len);

	if (bring_init(&b) < 0)
		exit(1);
	start = now_ns();
	if (pthread_create(&th, NULL, writer_main, &w) != 0)
		exit(1);
	for (;;) {
		int r = recv_one(&b, buf, buflen, rcvd);

		if (r == 0) {
			rcvd++;
			/* Give room back in chunks, as a driver draining its ring does. */
			since_publish += space;
			if (since_publish >= RING_DATA / 8) {
				vmbus_ring_recv_done(&b.in);
				since_publish = 0;
			}
			if ((rcvd & 63) == 0 && now_ns() - start >= RUN_NS)
				break;
		} else if (r == -EAGAIN) {
			vmbus_ring_recv_done(&b.in);
			since_publish = 0;
			if (now_ns() - start >= RUN_NS)
				break;
			cpu_relax();
		} else {
			fprintf(stderr, "bench_ring: recv: %s\n", strerror(-r));
			exit(1);
		}
	}
	end = now_ns();
	w.stop = true;
	pthread_join(th, NULL);
	res.ns = end - start;
	res.packets = rcvd;
	res.bytes = rcvd * len;
	free(b.mem);
	return res;
}

static void print_row(const char *size, const char *mode, const struct result *ring, const struct result *base)
{
	printf("%-9s %-10s %10.2f %12.2f %8.2f %14.0f\n", size, mode, gbps(ring), gbps(base),
	       gbps(base) > 0 ? gbps(ring) / gbps(base) : 0, (double)ring->packets * 1e9 / (double)ring->ns);
}

int main(void)
{
	static const struct {
		uint32_t len;
		const char *name;
	} sizes[] = { { 64, "64 B" }, { 1536, "1.5 KiB" }, { 65536, "64 KiB" } };
	uint64_t t0 = now_ns();

	printf("bench_ring: one %u KiB ring in ordinary memory (control page + %u KiB data);\n"
	       "baseline: memcpy of the same payloads into a %u KiB buffer; GB/s = payload bytes/ns\n\n",
	       (PAGE + RING_DATA) / 1024, RING_DATA / 1024, RING_DATA / 1024);
	printf("%-9s %-10s %10s %12s %8s %14s\n", "payload", "mode", "ring GB/s", "memcpy GB/s", "ratio",
	       "packets/s");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t len = sizes[i].len, buflen = DESC + len + 8;
		uint8_t *payload = malloc(len), *buf = malloc(buflen);
		struct result base, one, two;

		for (uint32_t k = 0; k < len; k++)
			payload[k] = (uint8_t)(k * 13 + 1);
		(void)bench_memcpy(payload, len);	/* warm up */
		base = bench_memcpy(payload, len);
		one = bench_ring_1thread(payload, len, buf, buflen);
		two = bench_ring_2threads(payload, len, buf, buflen);
		if (memcmp(buf + DESC, payload, len)) {
			fprintf(stderr, "bench_ring: payload corrupted\n");
			return 1;
		}
		print_row(sizes[i].name, "1 thread", &one, &base);
		print_row(sizes[i].name, "2 threads", &two, &base);
		free(payload);
		free(buf);
	}
	printf("\ntotal %.1f s\n", (double)(now_ns() - t0) / 1e9);
	return 0;
}
