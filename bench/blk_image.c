/* SPDX-License-Identifier: MIT */
/*
 * Host-side disk-image throughput through the block back end, as the SCSI disk drives
 * it (cache=none, requests in flight together), against baselines measured in the same
 * run on the same file system:
 *
 *   4 KiB writes at scattered offsets into an empty dynamic VHDX, then a flush, against
 *   the same into a sparse raw file, and against QEMU's vhdx driver (qemu-img bench with
 *   the same offsets, which flushes as it closes the image);
 *   1 MiB sequential reads of a VHDX, against a raw file and against QEMU's driver.
 *
 * One line per measurement: "NAME value unit baseline-name baseline ratio"; on stderr,
 * what the image layer did for the VHDX writes (new blocks, BAT rounds, BAT sector
 * writes, file flushes).
 * Usage: bench_blk_image [DIR] (default /var/tmp; it needs some GiB free).
 * BENCH_BLK_WRITE_REPS=n: the write comparison n times (medians; each pair on stderr).
 */
#include "blk_img.h"
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MiB		(1ull << 20)
#define DISK		(8ull << 30)
#define WRITES		20000
#define WRITE_DEPTH	32
#define STEP		(1ull * 1024 * 1024 * 1024 + 7 * 4096)	/* scatters: not a divisor of DISK */
#define READ_BYTES	(1ull << 30)
#define READ_DEPTH	8

static struct loop *loop;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

struct slot {
	struct blk_req req;
	struct iovec iov;
	bool busy;
	int64_t result;
};

static void done(struct blk_req *req, int64_t result)
{
	struct slot *s = (struct slot *)req;

	s->busy = false;
	s->result = result;
	if (result < 0) {
		fprintf(stderr, "bench_blk_image: request failed: %s\n", strerror((int)-result));
		exit(1);
	}
}

static bool flushed;

static void flush_done(struct blk_req *req, int64_t result)
{
	(void)req;
	if (result < 0) {
		fprintf(stderr, "bench_blk_image: flush failed: %s\n", strerror((int)-result));
		exit(1);
	}
	flushed = true;
}

/* n requests of len bytes, depth at a time; offset i: (i * step) % DISK. Seconds. */
static double run(struct blk *b, enum blk_op op, unsigned n, uint64_t len, uint64_t step, unsigned depth, void *buf)
{
	struct slot *slots = calloc(depth, sizeof(*slots));
	double t0 = now();
	unsigned next = 0;

	while (next < n) {
		blk_plug(b);
		for (unsigned k = 0; k < depth && next < n; k++) {
			struct slot *s = &slots[k];

			if (s->busy)
				continue;
			s->iov = (struct iovec){ (uint8_t *)buf + (uint64_t)k * len, len };
			s->req = (struct blk_req){ .op = op, .offset = (uint64_t)next * step % DISK, .len = len,
						   .iov = &s->iov, .iovcnt = 1, .done = done };
			s->busy = true;
			next++;
			if (blk_submit(b, &s->req) < 0) {
				fprintf(stderr, "bench_blk_image: submit failed\n");
				exit(1);
			}
		}
		blk_unplug(b);
		/* Completions arrive through the loop, as in hvkvm: wait for at least one
		 * while every slot is busy. */
		for (;;) {
			bool all = true;

			for (unsigned k = 0; k < depth; k++)
				all &= slots[k].busy;
			if (!all || next == n)
				break;
			loop_run_once(loop, 1000);
		}
	}
	blk_drain(b);
	/* Written means durable for the measurement: what a format leaves for the flush
	 * (the BAT's sectors) counts. */
	if (op == BLK_WRITE) {
		struct blk_req f = { .op = BLK_FLUSH, .done = flush_done };

		flushed = false;
		if (blk_submit(b, &f) < 0) {
			fprintf(stderr, "bench_blk_image: flush failed\n");
			exit(1);
		}
		while (!flushed)
			loop_run_once(loop, 1000);
		blk_drain(b);
	}
	free(slots);
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct blk *open_img(const char *path)
{
	struct blk_image_desc desc;
	struct blk *b;
	char err[512];

	if (blk_image_open(&b, loop, path, BLK_FORMAT_AUTO, false, BLK_CACHE_NONE, &desc, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_blk_image: %s: %s\n", path, err);
		exit(1);
	}
	return b;
}

/* qemu-img bench's time for the same requests, in seconds; 0 if it failed. */
static double qemu_bench(const char *path, const char *fmt, bool write, unsigned n, uint64_t len, uint64_t step,
			 unsigned depth)
{
	char cmd[1024];
	double t0;

	snprintf(cmd, sizeof(cmd),
		 "qemu-img bench -q -f %s -t none -i native %s -c %u -d %u -s %llu -S %llu '%s' >/dev/null 2>&1 || "
		 "qemu-img bench -q -f %s -t none %s -c %u -d %u -s %llu -S %llu '%s' >/dev/null",
		 fmt, write ? "-w" : "", n, depth, (unsigned long long)len, (unsigned long long)step, path,
		 fmt, write ? "-w" : "", n, depth, (unsigned long long)len, (unsigned long long)step, path);
	t0 = now();
	return sh(cmd) == 0 ? now() - t0 : 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/var/tmp";
	char vhdx[512], raw[512], qv[512], cmd[4096];
	void *buf;
	struct blk *b;
	double tv, tr, tq, ratio;

	loop = loop_new();
	if (!loop || posix_memalign(&buf, 4096, WRITE_DEPTH * 4096 > READ_DEPTH * MiB ? WRITE_DEPTH * 4096 : READ_DEPTH * MiB))
		return 1;
	memset(buf, 0x5a, READ_DEPTH * MiB);
	snprintf(vhdx, sizeof(vhdx), "%s/bench-%d.vhdx", dir, getpid());
	snprintf(raw, sizeof(raw), "%s/bench-%d.img", dir, getpid());
	snprintf(qv, sizeof(qv), "%s/bench-%d-qemu.vhdx", dir, getpid());
	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f vhdx '%s' 8G && qemu-img create -q -f vhdx '%s' 8G && "
		 "truncate -s 8G '%s'", vhdx, qv, raw);
	if (sh(cmd) != 0) {
		fprintf(stderr, "bench_blk_image: qemu-img create failed (qemu-utils installed?)\n");
		return 1;
	}

	/* On a loaded machine one pair of runs says little: BENCH_BLK_WRITE_REPS pairs, on
	 * fresh images, in alternating order; the median of their times and ratios. */
	{
		const char *e = getenv("BENCH_BLK_WRITE_REPS");
		int reps = e && atoi(e) > 0 ? atoi(e) : 1;
		double *tvs = calloc((size_t)reps, sizeof(double)), *trs = calloc((size_t)reps, sizeof(double));
		double *ratios = calloc((size_t)reps, sizeof(double));

		if (!tvs || !trs || !ratios)
			return 1;
		for (int k = 0; k < reps; k++) {
			struct blk_image_stats st;

			if (k) {
				snprintf(cmd, sizeof(cmd), "rm -f '%s' '%s' && qemu-img create -q -f vhdx '%s' 8G && "
					 "truncate -s 8G '%s'", vhdx, raw, vhdx, raw);
				if (sh(cmd) != 0)
					return 1;
			}
			for (int j = 0; j < 2; j++) {
				bool img = (j == 0) == (k % 2 == 0);

				b = open_img(img ? vhdx : raw);
				*(img ? &tvs[k] : &trs[k]) = run(b, BLK_WRITE, WRITES, 4096, STEP, WRITE_DEPTH, buf);
				if (img && blk_image_stats(b, &st) == 0)
					fprintf(stderr, "vhdx-randwrite-4k: %u writes, %llu new blocks, %llu BAT rounds, "
						"%llu BAT sector writes, %llu file flushes\n", WRITES,
						(unsigned long long)st.allocations, (unsigned long long)st.rounds,
						(unsigned long long)st.bat_writes, (unsigned long long)st.flushes);
				blk_close(b);
			}
			ratios[k] = trs[k] / tvs[k];
			if (reps > 1)
				fprintf(stderr, "vhdx-randwrite-4k pair %d: %.0f IOPS raw %.0f %.2fx\n", k + 1,
					WRITES / tvs[k], WRITES / trs[k], ratios[k]);
		}
		tv = median(tvs, reps);
		tr = median(trs, reps);
		ratio = median(ratios, reps);
		free(tvs);
		free(trs);
		free(ratios);
	}
	tq = qemu_bench(qv, "vhdx", true, WRITES, 4096, STEP, WRITE_DEPTH);
	printf("vhdx-randwrite-4k %.0f IOPS raw %.0f %.2fx\n", WRITES / tv, WRITES / tr, ratio);
	if (tq > 0)
		printf("vhdx-randwrite-4k %.0f IOPS qemu-vhdx %.0f %.2fx\n", WRITES / tv, WRITES / tq, tq / tv);

	/* Sequential reads of the first GiB, written whole first. */
	snprintf(cmd, sizeof(cmd), "qemu-img bench -q -f vhdx -t none -w -c 1024 -d 8 -s 1M '%s' >/dev/null && "
		 "qemu-img bench -q -f vhdx -t none -w -c 1024 -d 8 -s 1M '%s' >/dev/null && "
		 "qemu-img bench -q -f raw -t none -w -c 1024 -d 8 -s 1M '%s' >/dev/null", vhdx, qv, raw);
	if (sh(cmd) != 0) {
		fprintf(stderr, "bench_blk_image: filling the images failed\n");
		return 1;
	}
	b = open_img(vhdx);
	tv = run(b, BLK_READ, READ_BYTES / MiB, MiB, MiB, READ_DEPTH, buf);
	blk_close(b);
	b = open_img(raw);
	tr = run(b, BLK_READ, READ_BYTES / MiB, MiB, MiB, READ_DEPTH, buf);
	blk_close(b);
	tq = qemu_bench(qv, "vhdx", false, READ_BYTES / MiB, MiB, MiB, READ_DEPTH);
	printf("vhdx-seqread-1m %.0f MB/s raw %.0f %.2fx\n", READ_BYTES / tv / 1e6, READ_BYTES / tr / 1e6, tr / tv);
	if (tq > 0)
		printf("vhdx-seqread-1m %.0f MB/s qemu-vhdx %.0f %.2fx\n", READ_BYTES / tv / 1e6, READ_BYTES / tq / 1e6,
		       tq / tv);
	unlink(vhdx);
	unlink(raw);
	unlink(qv);
	loop_free(loop);
	return 0;
}
