/* SPDX-License-Identifier: MIT */
/*
 * diskbench: O_DIRECT throughput and IOPS of a block device, from inside a guest.
 * Static and dependency-free, so that it runs in the rig's busybox initramfs.
 *
 *   diskbench [-t SECS] [-s MIB] DEVICE [TEST...]
 *
 * A TEST is KIND:BLOCK:DEPTH, e.g. seqwrite:1m:1 or randread:4k:16, KIND one of
 * seqread, seqwrite, randread, randwrite. DEPTH threads each keep one request in
 * flight (synchronous pread/pwrite), which is what a queue of that depth is to the
 * device. Each test runs SECS seconds (default 5) over the first MIB MiB of the
 * device (default all of it) and prints one line:
 *
 *   diskbench test=randread bs=4096 qd=16 secs=5.001 ops=12345 mib_s=9.64 iops=2468.4 lat_us=6482.1
 *
 * Before it, "diskbench start test=T bs=B qd=Q" and, once the requests have stopped,
 * "diskbench end test=T bs=B qd=Q"; after each of these two lines the guest stays idle
 * for QUIET_SECS, so that a watcher outside (bench/kvmstat.py) can take a snapshot of the
 * VM's counters between tests, and the result line comes after that.
 *
 * lat_us is the mean time one request took (secs * qd / ops). Writes destroy the
 * data on the device. Default tests: seqwrite:1m:1 seqread:1m:1 randread:4k:1
 * randread:4k:16.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH	256
#define ALIGN		4096
#define QUIET_SECS	1

struct test {
	char kind[16];
	int seq, write;
	uint64_t bs;
	unsigned qd;
};

struct worker {
	pthread_t tid;
	const struct test *t;
	int fd;
	uint64_t region;	/* bytes, a multiple of bs */
	uint64_t seed;
	uint64_t ops;
	int err;
	void *buf;
};

static atomic_int stop;
static atomic_uint_fast64_t seq_next;	/* sequential tests: the next block, shared */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Idle for QUIET_SECS (see the head of this file). */
static void quiet(void)
{
	struct timespec ts = { .tv_sec = QUIET_SECS };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *run(void *opaque)
{
	struct worker *w = opaque;
	const struct test *t = w->t;
	uint64_t blocks = w->region / t->bs;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t blk = t->seq ? atomic_fetch_add(&seq_next, 1) % blocks : xorshift(&w->seed) % blocks;
		off_t off = (off_t)(blk * t->bs);
		ssize_t r = t->write ? pwrite(w->fd, w->buf, t->bs, off) : pread(w->fd, w->buf, t->bs, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)t->bs) {
			w->err = r < 0 ? errno : EIO;
			break;
		}
		w->ops++;
	}
	return NULL;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	default: break;
	}
	if (end == s || *end || v == 0 || v % 512)
		return -1;
	*out = v;
	return 0;
}

static int parse_test(const char *spec, struct test *t)
{
	char kind[16], bs[16];
	unsigned qd;

	memset(t, 0, sizeof(*t));
	if (sscanf(spec, "%15[a-z]:%15[0-9kKmM]:%u", kind, bs, &qd) != 3 || qd == 0 || qd > MAX_DEPTH ||
	    parse_size(bs, &t->bs) < 0 || t->bs % ALIGN)
		return -1;
	if (!strcmp(kind, "seqread") || !strcmp(kind, "seqwrite"))
		t->seq = 1;
	else if (strcmp(kind, "randread") && strcmp(kind, "randwrite"))
		return -1;
	t->write = !strcmp(kind + strlen(kind) - 5, "write");
	strcpy(t->kind, kind);
	t->qd = qd;
	return 0;
}

static int run_test(int fd, uint64_t size, double secs, const struct test *t)
{
	struct worker w[MAX_DEPTH];
	struct timespec ts = { .tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };
	uint64_t region = size / t->bs * t->bs, ops = 0;
	double t0, el;
	int err = 0;

	if (region == 0) {
		fprintf(stderr, "diskbench: the device is smaller than one %llu-byte block\n", (unsigned long long)t->bs);
		return -1;
	}
	/* Who watches from outside (bench/rig-bench.sh) sees when a test starts. */
	printf("diskbench start test=%s bs=%llu qd=%u\n", t->kind, (unsigned long long)t->bs, t->qd);
	fflush(stdout);
	quiet();
	atomic_store(&stop, 0);
	atomic_store(&seq_next, 0);
	memset(w, 0, sizeof(w));
	for (unsigned i = 0; i < t->qd; i++) {
		w[i].t = t;
		w[i].fd = fd;
		w[i].region = region;
		w[i].seed = 0x9e3779b97f4a7c15ull * (i + 1) ^ (uint64_t)time(NULL);
		if (posix_memalign(&w[i].buf, ALIGN, t->bs)) {
			fprintf(stderr, "diskbench: out of memory\n");
			return -1;
		}
		memset(w[i].buf, 0x5a ^ (int)i, t->bs);
	}
	t0 = now();
	for (unsigned i = 0; i < t->qd; i++) {
		if (pthread_create(&w[i].tid, NULL, run, &w[i])) {
			fprintf(stderr, "diskbench: cannot start thread %u\n", i);
			atomic_store(&stop, 1);
			for (unsigned j = 0; j < i; j++)
				pthread_join(w[j].tid, NULL);
			return -1;
		}
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < t->qd; i++) {
		pthread_join(w[i].tid, NULL);
		ops += w[i].ops;
		if (w[i].err)
			err = w[i].err;
		free(w[i].buf);
	}
	el = now() - t0;
	printf("diskbench end test=%s bs=%llu qd=%u\n", t->kind, (unsigned long long)t->bs, t->qd);
	fflush(stdout);
	quiet();
	if (err) {
		fprintf(stderr, "diskbench: %s: %s\n", t->kind, strerror(err));
		printf("diskbench test=%s bs=%llu qd=%u error=%d\n", t->kind, (unsigned long long)t->bs, t->qd, err);
		return -1;
	}
	printf("diskbench test=%s bs=%llu qd=%u secs=%.3f ops=%llu mib_s=%.2f iops=%.1f lat_us=%.1f\n", t->kind,
	       (unsigned long long)t->bs, t->qd, el, (unsigned long long)ops,
	       (double)ops * (double)t->bs / el / 1048576.0, (double)ops / el,
	       ops ? el * t->qd / (double)ops * 1e6 : 0.0);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: diskbench [-t SECS] [-s MIB] DEVICE [KIND:BLOCK:DEPTH...]\n"
			"  KIND: seqread seqwrite randread randwrite; e.g. randread:4k:16\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = { "seqwrite:1m:1", "seqread:1m:1", "randread:4k:1", "randread:4k:16" };
	const char *const *specs = defaults;
	double secs = 5;
	uint64_t size, limit = 0;
	int opt, fd, nspecs = 4, rc = 0;
	struct test t;

	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		switch (opt) {
		case 't': secs = atof(optarg); break;
		case 's': limit = strtoull(optarg, NULL, 10) << 20; break;
		default: usage();
		}
	}
	if (optind >= argc || secs <= 0)
		usage();
	if (argc - optind > 1) {
		specs = (const char *const *)argv + optind + 1;
		nspecs = argc - optind - 1;
	}
	for (int i = 0; i < nspecs; i++) {
		if (parse_test(specs[i], &t) < 0) {
			fprintf(stderr, "diskbench: bad test %s\n", specs[i]);
			usage();
		}
	}
	fd = open(argv[optind], O_RDWR | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "diskbench: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		struct stat st;

		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "diskbench: %s: cannot tell its size: %s\n", argv[optind], strerror(errno));
			return 1;
		}
		size = (uint64_t)st.st_size;
	}
	if (limit && limit < size)
		size = limit;
	for (int i = 0; i < nspecs; i++) {
		parse_test(specs[i], &t);
		if (run_test(fd, size, secs, &t) < 0)
			rc = 1;
	}
	close(fd);
	return rc;
}
