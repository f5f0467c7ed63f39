/* SPDX-License-Identifier: MIT */
/*
 * GPADLs (src/vmbus/gpadl.c) and guest page lists mapped into hvkvm
 * (gmem_view_pages, gmem_ptr, gmem_read/write in src/core/memory.c): any sequence of
 * GPADL_HEADER and GPADL_BODY messages, then views of any page range of what was
 * built, over four guest memory layouts: hvkvm's own (one region, and two around
 * the PC hole), and regions near the top of the address space with and without a
 * memfd behind them. A view that succeeds must show exactly the guest pages asked
 * for: each page is marked through gmem and read back through the view, and the
 * other way round.
 */
#include "fuzz.h"
#include "gpadl.h"
#include "memory.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#define HIGH_GPA	0xfffffffffffe0000ull	/* 128 KiB, ending one page below 2^64 */
#define LOW_GPA		0x10000ull

static struct gmem layouts[GP_MEM_COUNT];

static void layouts_init(void)
{
	static uint8_t low[64 << 10] __attribute__((aligned(4096))), high[124 << 10] __attribute__((aligned(4096)));
	struct gmem_region r[2] = {
		{ LOW_GPA, sizeof(low), low, 0 },
		{ HIGH_GPA, sizeof(high), high, 0 },
	};
	struct gmem *m;
	int fd;

	FZ_CHECK(gmem_init(&layouts[GP_MEM_ONE], 1 << 20) == 0, "gmem_init");
	/* Two regions around the PC hole: RAM up to 3 GiB, then 64 KiB at 4 GiB (sparse). */
	FZ_CHECK(gmem_init(&layouts[GP_MEM_PC], GMEM_LOW_LIMIT + (64 << 10)) == 0, "gmem_init PC");
	FZ_CHECK(gmem_init_regions(&layouts[GP_MEM_HIGH_NOFD], r, 2) == 0, "gmem_init_regions");
	/* The same shape backed by a memfd, so scattered pages are mapped side by side. */
	m = &layouts[GP_MEM_HIGH_FD];
	fd = memfd_create("fuzz-gpadl", MFD_CLOEXEC);
	FZ_CHECK(fd >= 0 && ftruncate(fd, sizeof(low) + sizeof(high)) == 0, "memfd");
	r[0].host = mmap(NULL, sizeof(low) + sizeof(high), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	FZ_CHECK(r[0].host != MAP_FAILED, "mmap");
	r[1].host = r[0].host + sizeof(low);
	r[1].fd_offset = sizeof(low);
	FZ_CHECK(gmem_init_regions(m, r, 2) == 0, "gmem_init_regions");
	m->fd = fd;
	m->base = r[0].host;
}

/* A view of pfns that succeeded shows those pages and nothing else. */
static void check_view(const struct gmem *m, const uint64_t *pfns, size_t n, struct gmem_view *v)
{
	FZ_CHECK(v->len == n * 4096 && v->base, "view of %zu pages is %zu bytes", n, v->len);
	for (size_t i = 0; i < n; i++) {
		uint8_t *page = gmem_ptr(m, pfns[i] * 4096, 4096);
		uint64_t mark = pfns[i] * 0x9e3779b97f4a7c15ull, seen;

		FZ_CHECK(page, "view of page 0x%llx, which is not RAM", (unsigned long long)pfns[i]);
		memcpy(page + 8, &mark, 8);
		memcpy(&seen, v->base + i * 4096 + 8, 8);
		FZ_CHECK(seen == mark, "page %zu of the view is not guest page 0x%llx", i, (unsigned long long)pfns[i]);
		mark = ~mark;
		memcpy(v->base + i * 4096 + 4088, &mark, 8);
		memcpy(&seen, page + 4088, 8);
		FZ_CHECK(seen == mark, "a write through page %zu of the view missed the guest page", i);
	}
}

static void view_pages(const struct gmem *m, const uint64_t *pfns, size_t n)
{
	struct gmem_view v;
	int r;

	memset(&v, 0xa5, sizeof(v));
	r = gmem_view_pages(m, pfns, n, &v);

	FZ_CHECK(r == 0 || r == -EINVAL || r == -EFAULT || r == -ENOTSUP || r == -ENOMEM, "gmem_view_pages: %d", r);
	if (r == 0)
		check_view(m, pfns, n, &v);
	else
		FZ_CHECK(!v.base && !v.len && !v.mapped, "a failed view is not empty");
	gmem_view_release(&v);
}

static void op_access(const struct gmem *m, uint64_t gpa, uint16_t len)
{
	static uint8_t buf[65536];
	uint8_t *p = gmem_ptr(m, gpa, len);
	int r;

	if (p && len) {
		/* Every byte the pointer covers is RAM (none for len 0: then it may point
		 * just past the end of a region). */
		volatile uint8_t x = p[0];

		(void)x;
		x = p[len - 1];
	}
	r = gmem_read(m, gpa, buf, len);
	FZ_CHECK(r == 0 || r == -EFAULT, "gmem_read: %d", r);
	if (p)
		FZ_CHECK(r == 0 && !memcmp(buf, p, len), "gmem_read and gmem_ptr disagree");
	if (r == 0)
		FZ_CHECK(gmem_write(m, gpa, buf, len) == 0, "gmem_write of what gmem_read read");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct fz in = { data, size };
	struct vmbus_gpadl_table t = { 0 };
	const struct gmem *m;

	fuzz_quiet_logs();
	if (!init) {
		layouts_init();
		init = true;
	}
	m = &layouts[fz_u8(&in) % GP_MEM_COUNT];
	while (in.n) {
		uint8_t op = fz_u8(&in) % GP_OP_COUNT;

		switch (op) {
		case GP_OP_HEADER:
		case GP_OP_BODY: {
			bool header = op == GP_OP_HEADER;
			uint8_t len = fz_u8(&in), msg[255];
			struct vmbus_gpadl *g = NULL;
			int r;

			fz_bytes(&in, msg, len);
			r = header ? vmbus_gpadl_header(&t, msg, len, &g) : vmbus_gpadl_body(&t, msg, len, &g);
			FZ_CHECK(r >= -ENOSPC && r <= 1, "gpadl: %d", r);
			if (r == 1) {
				FZ_CHECK(g && g->complete && g->nranges >= 1, "complete GPADL");
				for (unsigned i = 0; i < g->nranges; i++)
					FZ_CHECK(g->ranges[i].first + g->ranges[i].npages <= g->npfns &&
						 g->ranges[i].byte_offset < 4096 &&
						 (uint64_t)g->ranges[i].byte_offset + g->ranges[i].byte_count <=
							 (uint64_t)g->ranges[i].npages * 4096,
						 "range %u does not fit its pages", i);
			}
			FZ_CHECK(t.count <= VMBUS_GPADL_MAX, "%u GPADLs", t.count);
			break;
		}
		case GP_OP_VIEW: {
			struct vmbus_gpadl *g = vmbus_gpadl_find(&t, fz_u32(&in));
			uint32_t first = fz_u32(&in), n = fz_u32(&in);
			struct gmem_view v;
			int r;

			if (!g)
				break;
			/* What a failed call leaves must be safe to release. */
			memset(&v, 0xa5, sizeof(v));
			r = vmbus_gpadl_view(g, m, first, n, &v);
			if (r == 0)
				check_view(m, g->pfns + first, n, &v);
			else
				FZ_CHECK(!v.base && !v.len && !v.mapped, "a failed view is not empty");
			gmem_view_release(&v);
			break;
		}
		case GP_OP_REMOVE: {
			struct vmbus_gpadl *g = vmbus_gpadl_find(&t, fz_u32(&in));

			if (g)
				vmbus_gpadl_remove(&t, g);
			break;
		}
		case GP_OP_VIEW_PAGES: {
			uint64_t pfns[32];
			size_t n = fz_u8(&in) % 33;

			for (size_t i = 0; i < n; i++)
				pfns[i] = fz_u64(&in);
			view_pages(m, pfns, n);
			break;
		}
		case GP_OP_ACCESS: {
			uint64_t gpa = fz_u64(&in);

			op_access(m, gpa, fz_u16(&in));
			break;
		}
		}
	}
	vmbus_gpadl_clear(&t);
	/* Forget what was written, so that the next input starts from zeroes and the
	 * sparse PC layout does not grow. */
	gmem_discard((struct gmem *)m);
	return 0;
}
