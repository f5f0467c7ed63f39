/* SPDX-License-Identifier: MIT */
/*
 * The screen through VNC, host side, without KVM: the synthetic video device
 * (src/devices/synth_video.c) driven by the simulated VMBus guest of the unit tests
 * (tests/guest/vmbus_guest.h) at 1920x1080x32, hvkvm's VNC server (src/backends/vnc.c)
 * on a Unix socket, and libvncclient as the viewer on a thread of its own.
 *
 * - latency: from the guest's dirty-rectangle message (VRAM already written) to the
 *   viewer having read the whole FramebufferUpdate that carries it; median and p99,
 *   for a full-screen update, a 64x16 one (a line of text) and two 64x16 ones in
 *   opposite quarters in one message (a cursor and a clock), per encoding the
 *   viewer asks for (Raw; ZRLE; Tight with JPEG as TigerVNC asks by default);
 * - CPU that hvkvm's threads spend per update: the loop thread (the device, the copy
 *   out of VRAM) and the display thread (libvncserver: encoding, sending), read from
 *   their per-thread CPU clocks;
 * - bytes the viewer read and read/write system calls of those two threads per update
 *   (/proc/self/task/TID/io), counts that hold on any machine;
 * - with no viewer connected (before the first and after the last): the guest keeps
 *   drawing full screens at 60 per second for 2 s; the display thread must stay
 *   below 2% of a CPU and nothing may be copied out of VRAM, or the bench fails.
 * The baseline, measured in the same run: memcpy of one 1080p frame (8 MB).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "guid.h"
#include "input.h"
#include "log.h"
#include "machine.h"
#include "synth_kbd.h"
#include "synth_mouse.h"
#include "synth_video.h"
#include "synthvid_proto.h"
#include "vmbus_guest.h"
#include "vnc.h"

#define RAM		(16ull << 20)
#define VID_GPA		(VG_RAM_START + 0x300000ull)
#define RING_PAGES	16
#define LOW_WINDOW	0xc0000000ull
#define W		1920
#define H		1080
#define FRAME		((size_t)W * H * 4)
#define SMALL_W		64
#define SMALL_H		16
#define N_FULL		24	/* 3 with ZRLE, which takes most of a second for each on a loaded machine */
#define N_SMALL		200
#define IDLE_NS		2000000000ull
#define IDLE_MAX_CPU	0.02	/* of one CPU, the display thread with no viewer */
#define WAIT_NS		10000000000ull

static struct vg g;
static struct vg_chan vch;
static struct machine machine;
static struct vnc *vnc;
static uint8_t pkt[32768];
static uint8_t *vram;
static char dir[64], sock_path[128];

_Noreturn void vg_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_vnc: %s:%d: '%s': ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_vnc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- hvkvm's threads: CPU clocks and I/O counts by thread id ----------------------- */

struct tstat {
	uint64_t cpu_ns, rchar, wchar, syscr, syscw;
};

static pid_t loop_tid, display_tid, viewer_tid;

/* The CPU clock of any thread of this process (the kernel's encoding of a per-thread
 * CPUCLOCK_SCHED clock id, as pthread_getcpuclockid makes it). */
static uint64_t thread_cpu_ns(pid_t tid)
{
	clockid_t id = (clockid_t)(((unsigned)~tid << 3) | 6);
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		die("the CPU clock of thread %d: %s", tid, strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct tstat thread_stat(pid_t tid)
{
	struct tstat s = { .cpu_ns = thread_cpu_ns(tid) };
	char p[64], key[32];
	unsigned long long val;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/self/task/%d/io", tid);
	f = fopen(p, "r");
	if (!f)
		return s;	/* no I/O accounting in this kernel: counts stay 0 */
	while (fscanf(f, "%31[^:]: %llu\n", key, &val) == 2) {
		if (!strcmp(key, "rchar")) s.rchar = val;
		else if (!strcmp(key, "wchar")) s.wchar = val;
		else if (!strcmp(key, "syscr")) s.syscr = val;
		else if (!strcmp(key, "syscw")) s.syscw = val;
	}
	fclose(f);
	return s;
}

static struct tstat diff(struct tstat a, struct tstat b)
{
	return (struct tstat){ b.cpu_ns - a.cpu_ns, b.rchar - a.rchar, b.wchar - a.wchar, b.syscr - a.syscr,
			       b.syscw - a.syscw };
}

static pid_t find_thread(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = 0;

	if (!d)
		die("/proc/self/task: %s", strerror(errno));
	while (!tid && (e = readdir(d))) {
		char p[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		if (!(f = fopen(p, "r")))
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, name, strlen(name)) && comm[strlen(name)] == '\n')
			tid = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return tid;
}

/* ---- calls on the loop thread ------------------------------------------------------ */

enum { C_TID, C_PIXELS, C_VNC_NEW, C_STATUS };

struct call {
	int what;
	pid_t tid;
	struct vnc_config *cfg;
	char err[256];
	const uint8_t *pixels;
	struct display_mode mode;
	struct vnc_status st;
};

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case C_TID: c->tid = (pid_t)syscall(SYS_gettid); break;
	case C_PIXELS: c->pixels = display_pixels(machine.video, &c->mode); break;
	case C_VNC_NEW: vnc = vnc_new(g.loop, machine.video, machine.input, c->cfg, c->err, sizeof(c->err)); break;
	case C_STATUS: vnc_get_status(vnc, &c->st); break;
	}
}

static struct call host(int what)
{
	struct call c = { .what = what };

	vg_call(&g, do_call, &c);
	return c;
}

/* ---- the guest's video driver ------------------------------------------------------ */

static void vid_send(uint32_t type, const void *body, uint32_t len)
{
	uint8_t buf[256];
	struct synthvid_pipe_hdr p = { SYNTHVID_PIPE_DATA, 8 + len };
	struct synthvid_msg_hdr h = { type, 8 + len };

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 8, &h, sizeof(h));
	memcpy(buf + 16, body, len);
	VG_CHECK(vg_send(&vch, VM_PKT_DATA_INBAND, 0, 0, buf, 16 + len) == 0, "sending message %u", type);
}

static void vid_msg(uint32_t type)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	struct synthvid_msg_hdr h;
	int n = vg_read_wait(&vch, pkt, sizeof(pkt), VG_TMO);

	VG_CHECK(n > (int)sizeof(*d) && n - d->offset8 * 8 >= 16, "no answer %u from the device", type);
	memcpy(&h, pkt + d->offset8 * 8 + 8, sizeof(h));
	VG_CHECK(h.type == type, "message %u, expected %u", h.type, type);
}

static void video_connect(void)
{
	struct synthvid_version_request rq = { SYNTHVID_VERSION_WIN10 };
	struct synthvid_vram_location loc = { 1, 1, LOW_WINDOW };
	struct synthvid_situation_update su = {
		.video_output_count = 1,
		.video_output[0] = { 1, 0, 32, W, H, W * 4 },
	};
	struct call c;

	vid_send(SYNTHVID_VERSION_REQUEST, &rq, sizeof(rq));
	vid_msg(SYNTHVID_VERSION_RESPONSE);
	vid_send(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
	vid_msg(SYNTHVID_VRAM_LOCATION_ACK);
	vid_msg(SYNTHVID_FEATURE_CHANGE);
	vid_send(SYNTHVID_SITUATION_UPDATE, &su, sizeof(su));
	vid_msg(SYNTHVID_SITUATION_UPDATE_ACK);
	c = host(C_PIXELS);
	if (!c.pixels || c.mode.width != W || c.mode.height != H)
		die("the device did not take the %ux%u mode", W, H);
	vram = (uint8_t *)c.pixels;
}

/* One DIRT message with n rectangles (at most 2). */
static void dirt_n(const struct synthvid_rect *r, unsigned n)
{
	uint8_t buf[2 + 2 * sizeof(*r)] = { 0, (uint8_t)n };

	memcpy(buf + 2, r, n * sizeof(*r));
	vid_send(SYNTHVID_DIRT, buf, 2 + n * sizeof(*r));
}

static void dirt(uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2)
{
	struct synthvid_rect r = { (int32_t)x1, (int32_t)y1, (int32_t)x2, (int32_t)y2 };

	dirt_n(&r, 1);
}

/* What the guest draws: gradients crossed by a pattern that moves with salt, in
 * B G R X; not a photograph, not a flat colour. */
static void paint(uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2, uint8_t salt)
{
	for (uint32_t y = y1; y < y2; y++) {
		uint8_t *p = vram + ((size_t)y * W + x1) * 4;

		for (uint32_t x = x1; x < x2; x++, p += 4) {
			p[0] = (uint8_t)(x * 3 + salt);
			p[1] = (uint8_t)(y * 5);
			p[2] = (uint8_t)((x ^ y) + salt);
			p[3] = 0;
		}
	}
}

/* ---- the viewer (libvncclient on its own thread) ----------------------------------- */

static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vcond = PTHREAD_COND_INITIALIZER;
static uint64_t v_updates, v_pixels, v_last_ns;	/* vlock */
static uint64_t v_fin_pixels;			/* vlock: v_pixels when the last update finished */
static bool v_stop, v_failed;			/* vlock */

static void got_rect(rfbClient *cl, int x, int y, int w, int h)
{
	(void)cl; (void)x; (void)y;
	pthread_mutex_lock(&vlock);
	v_pixels += (uint64_t)w * (uint64_t)h;
	pthread_mutex_unlock(&vlock);
}

static void got_update(rfbClient *cl)
{
	uint64_t t = now_ns();

	(void)cl;
	pthread_mutex_lock(&vlock);
	v_updates++;
	v_last_ns = t;
	v_fin_pixels = v_pixels;
	pthread_cond_broadcast(&vcond);
	pthread_mutex_unlock(&vlock);
}

static void *viewer_thread(void *opaque)
{
	rfbClient *cl = opaque;
	bool stop = false;

	viewer_tid = (pid_t)syscall(SYS_gettid);
	while (!stop) {
		int r = WaitForMessage(cl, 50000);

		if (r < 0 || (r > 0 && !HandleRFBServerMessage(cl))) {
			pthread_mutex_lock(&vlock);
			v_failed = true;
			pthread_cond_broadcast(&vcond);
			pthread_mutex_unlock(&vlock);
			break;
		}
		pthread_mutex_lock(&vlock);
		stop = v_stop;
		pthread_mutex_unlock(&vlock);
	}
	return NULL;
}

struct viewer {
	rfbClient *cl;
	pthread_t thread;
};

static void rfb_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static struct viewer viewer_open(const char *encodings, int quality, int compress)
{
	struct viewer v = { 0 };

	rfbClientLog = rfb_quiet;
	rfbClientErr = rfb_quiet;
	v.cl = rfbGetClient(8, 3, 4);
	if (!v.cl)
		die("rfbGetClient failed");
	free(v.cl->serverHost);
	v.cl->serverHost = strdup(sock_path);	/* a socket's path: libvncclient connects to it */
	v.cl->serverPort = 0;
	v.cl->appData.encodingsString = encodings;
	v.cl->appData.shareDesktop = TRUE;
	if (quality >= 0) {
		v.cl->appData.enableJPEG = TRUE;
		v.cl->appData.qualityLevel = quality;
	} else {
		v.cl->appData.enableJPEG = FALSE;
	}
	v.cl->appData.compressLevel = compress;
	v.cl->GotFrameBufferUpdate = got_rect;
	v.cl->FinishedFrameBufferUpdate = got_update;
	pthread_mutex_lock(&vlock);
	v_updates = v_pixels = v_fin_pixels = 0;
	v_stop = v_failed = false;
	pthread_mutex_unlock(&vlock);
	if (!rfbInitClient(v.cl, NULL, NULL))	/* frees the client on failure */
		die("libvncclient cannot connect to %s", sock_path);
	if (v.cl->width != W || v.cl->height != H)
		die("the viewer sees %dx%d, not %ux%u", v.cl->width, v.cl->height, W, H);
	if (pthread_create(&v.thread, NULL, viewer_thread, v.cl))
		die("cannot start the viewer's thread");
	return v;
}

static void viewer_close(struct viewer *v)
{
	pthread_mutex_lock(&vlock);
	v_stop = true;
	pthread_mutex_unlock(&vlock);
	pthread_join(v->thread, NULL);
	free(v->cl->frameBuffer);	/* the application's, as libvncclient has it */
	v->cl->frameBuffer = NULL;
	rfbClientCleanup(v->cl);	/* closes the socket */
}

/* Until the viewer has finished an update after `updates` and the updates finished
 * since `pixels` carried `want` pixels: the time the last of them finished. */
static uint64_t wait_update(uint64_t updates, uint64_t pixels, uint64_t want)
{
	uint64_t t;
	struct timespec until;
	uint64_t dl = now_ns() + WAIT_NS;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += WAIT_NS / 1000000000ull;
	pthread_mutex_lock(&vlock);
	while (!v_failed && !(v_updates > updates && v_fin_pixels - pixels >= want) && now_ns() < dl)
		pthread_cond_timedwait(&vcond, &vlock, &until);
	if (v_failed || !(v_updates > updates && v_fin_pixels - pixels >= want)) {
		pthread_mutex_unlock(&vlock);
		die("the viewer %s (%llu of %llu pixels)", v_failed ? "lost the connection" : "got no update in 10 s",
		    (unsigned long long)(v_fin_pixels - pixels), (unsigned long long)want);
	}
	t = v_last_ns;
	pthread_mutex_unlock(&vlock);
	return t;
}

static void viewer_counts(uint64_t *updates, uint64_t *pixels)
{
	pthread_mutex_lock(&vlock);
	*updates = v_updates;
	*pixels = v_fin_pixels;
	pthread_mutex_unlock(&vlock);
}

/* ---- measurements ------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of n sorted values. */
static uint64_t quantile(uint64_t *v, unsigned n, double q)
{
	unsigned i = (unsigned)(q * n + 0.999999);

	qsort(v, n, sizeof(*v), cmp_u64);
	if (i < 1)
		i = 1;
	return v[(i > n ? n : i) - 1];
}

static double memcpy_ns;	/* median of one 8 MB frame */

static void bench_memcpy(void)
{
	uint8_t *src = malloc(FRAME), *dst = malloc(FRAME);
	uint64_t t[32];

	if (!src || !dst)
		die("no memory");
	memset(src, 0x5a, FRAME);
	memset(dst, 0, FRAME);
	for (unsigned i = 0; i < 32; i++) {
		uint64_t t0 = now_ns();

		memcpy(dst, src, FRAME);
		__asm__ __volatile__("" : : "r"(dst) : "memory");
		t[i] = now_ns() - t0;
		src[i] ^= 1;
	}
	memcpy_ns = (double)quantile(t, 32, 0.5);
	free(src);
	free(dst);
}

struct hv_stat {
	struct tstat loop, display, viewer;
};

static struct hv_stat hv_stat_now(void)
{
	return (struct hv_stat){ thread_stat(loop_tid), thread_stat(display_tid),
				 viewer_tid ? thread_stat(viewer_tid) : (struct tstat){ 0 } };
}

/* One kind of update, n times: rectangles at moving places (the whole screen when
 * its size is the screen's); with two, a second one mirrored through the centre, far
 * from the first, in the same message (a cursor in one corner, a clock in the other). */
static void run_updates(const char *enc, uint32_t rw, uint32_t rh, unsigned n, unsigned rects)
{
	uint64_t *lat = calloc(n, sizeof(*lat));
	struct hv_stat a, b;
	struct tstat l, d, v;
	double cpu;

	if (!lat)
		die("no memory");
	a = hv_stat_now();
	for (unsigned i = 0; i < n; i++) {
		/* two: the first in the top left quarter, the second in the bottom right one */
		uint32_t xs = rects > 1 ? W / 2 : W, ys = rects > 1 ? H / 2 : H;
		uint32_t x = rw == W ? 0 : (i * 131) % (xs - rw), y = rh == H ? 0 : (i * 37) % (ys - rh);
		uint64_t u, p, t0;

		struct synthvid_rect r[2] = {
			{ (int32_t)x, (int32_t)y, (int32_t)(x + rw), (int32_t)(y + rh) },
			{ (int32_t)(W - rw - x), (int32_t)(H - rh - y), (int32_t)(W - x), (int32_t)(H - y) },
		};

		for (unsigned k = 0; k < rects; k++)
			paint((uint32_t)r[k].x1, (uint32_t)r[k].y1, (uint32_t)r[k].x2, (uint32_t)r[k].y2,
			      (uint8_t)(i * 7 + 1));
		viewer_counts(&u, &p);
		t0 = now_ns();
		dirt_n(r, rects);
		lat[i] = wait_update(u, p, (uint64_t)rw * rh * rects) - t0;
	}
	usleep(20000);	/* what the threads still do after the last update counts too */
	b = hv_stat_now();
	l = diff(a.loop, b.loop);
	d = diff(a.display, b.display);
	v = diff(a.viewer, b.viewer);
	cpu = (double)(l.cpu_ns + d.cpu_ns) / n;
	{
		uint64_t med = quantile(lat, n, 0.5), p99 = quantile(lat, n, 0.99);
		char what[24];

		if (rects > 1)
			snprintf(what, sizeof(what), "%ux%ux%u", rects, rw, rh);
		else
			snprintf(what, sizeof(what), "%ux%u", rw, rh);
		printf("%-6s %-10s %5u %9.3f %8.3f %9.3f %8.3f %8.3f %8.3f %9.3f %12.0f %7.1f %9.3f\n", enc, what, n,
		       med / 1e6, p99 / 1e6, cpu / 1e6, med / memcpy_ns, cpu / memcpy_ns,
		       (double)l.cpu_ns / n / 1e6, (double)d.cpu_ns / n / 1e6, (double)v.rchar / n,
		       (double)(l.syscr + l.syscw + d.syscr + d.syscw) / n, (double)v.cpu_ns / n / 1e6);
	}
	free(lat);
}

/* The guest draws full screens at 60 per second with no viewer connected. */
static bool idle(const char *when)
{
	struct hv_stat a, b;
	struct call s0 = host(C_STATUS), s1;
	uint64_t t0 = now_ns(), t, next = t0, msgs = 0;
	double secs, disp, loop;
	bool ok;

	a = hv_stat_now();
	while ((t = now_ns()) - t0 < IDLE_NS) {
		if (t < next) {
			struct timespec ts = { 0, (long)(next - t) };

			nanosleep(&ts, NULL);
			continue;
		}
		paint(0, 0, W, H, (uint8_t)msgs);
		dirt(0, 0, W, H);
		msgs++;
		next += 1000000000ull / 60;
	}
	host(C_TID);	/* the loop has taken every message before this call */
	usleep(20000);
	b = hv_stat_now();
	s1 = host(C_STATUS);
	secs = (double)(now_ns() - t0) / 1e9;
	disp = (double)(b.display.cpu_ns - a.display.cpu_ns) / 1e9 / secs;
	loop = (double)(b.loop.cpu_ns - a.loop.cpu_ns) / 1e9 / secs;
	ok = disp <= IDLE_MAX_CPU && s1.st.bytes_copied == s0.st.bytes_copied && s1.st.clients == 0;
	printf("no-viewer %-6s %.1f s, %llu full-screen updates: display thread %.3f%% of a CPU, loop thread %.3f%% "
	       "(%.1f us a message), %llu bytes copied from VRAM, display syscalls %llu%s\n",
	       when, secs, (unsigned long long)msgs, disp * 100, loop * 100,
	       msgs ? (double)(b.loop.cpu_ns - a.loop.cpu_ns) / msgs / 1e3 : 0.0,
	       (unsigned long long)(s1.st.bytes_copied - s0.st.bytes_copied),
	       (unsigned long long)(b.display.syscr + b.display.syscw - a.display.syscr - a.display.syscw),
	       ok ? "" : "  FAILED");
	if (!ok)
		fprintf(stderr, "bench_vnc: with no viewer hvkvm must do nothing for the screen: the display thread "
			"used %.3f%% of a CPU (bound %.0f%%), %llu bytes were copied, %u viewers counted\n",
			disp * 100, IDLE_MAX_CPU * 100, (unsigned long long)(s1.st.bytes_copied - s0.st.bytes_copied),
			s1.st.clients);
	return ok;
}

/* ---- set-up ------------------------------------------------------------------------- */

static void setup(void)
{
	struct vmbus_msg_offer_channel offers[3];
	struct vnc_config vc = { .name = "bench" };
	struct call c = { .what = C_VNC_NEW, .cfg = &vc };
	char addr[160];
	unsigned n;
	int vi = -1;

	strcpy(dir, "/tmp/hvkvm-bench-vnc-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(sock_path, sizeof(sock_path), "%s/vnc.sock", dir);
	vg_init(&g, RAM, 1);
	memset(&machine, 0, sizeof(machine));
	machine.vmbus = g.bus;
	machine.kbd = synth_kbd_new(g.bus);
	machine.mouse = synth_mouse_new(g.bus);
	machine.input = input_new(machine.kbd, machine.mouse);
	if (!machine.kbd || !machine.mouse || !machine.input ||
	    gmem_devmem_new(&g.mem, SYNTH_VIDEO_VRAM_SIZE, &machine.vram) < 0 ||
	    !(machine.video = synth_video_new(g.bus, machine.vram)))
		die("cannot set up the devices");
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	n = vg_request_offers(&g, offers, 3);
	for (unsigned i = 0; i < n; i++) {
		struct vmbus_guid cls;

		vmbus_guid_parse(SYNTHVID_CLASS_ID, &cls);
		if (!memcmp(&offers[i].offer.if_type, &cls, sizeof(cls)))
			vi = (int)i;
	}
	if (vi < 0)
		die("no synthetic video offer");
	VG_CHECK(vg_open(&g, &vch, &offers[vi], 0x102, VID_GPA, RING_PAGES, RING_PAGES, 0) == 0, "opening video");
	video_connect();
	paint(0, 0, W, H, 0);

	snprintf(addr, sizeof(addr), "unix:%s", sock_path);
	if (vnc_addr_parse(addr, &vc.addr))
		die("bad address %s", addr);
	vg_call(&g, do_call, &c);
	if (!vnc)
		die("vnc_new: %s", c.err);
	loop_tid = host(C_TID).tid;
	for (unsigned i = 0; i < 1000 && !(display_tid = find_thread("hvkvm-vnc")); i++)
		usleep(1000);
	if (!display_tid)
		die("no display thread");
}

static void teardown(void)
{
	vg_stop(&g);
	vnc_free(vnc);
	synth_video_free(machine.video);	/* its timer before the loop */
	vg_destroy(&g);
	input_free(machine.input);
	synth_kbd_free(machine.kbd);
	synth_mouse_free(machine.mouse);
	gmem_devmem_free(machine.vram);
	rmdir(dir);
}

int main(void)
{
	static const struct {
		const char *name, *encodings;
		int quality, compress;
		unsigned n_full;
	} viewers[] = {
		{ "raw", "raw", -1, 0, N_FULL },
		{ "zrle", "zrle raw", -1, 2, N_FULL / 8 },
		/* TigerVNC's default: Tight, compression 2, JPEG quality 8 */
		{ "tight", "tight zrle raw", 8, 2, N_FULL },
	};
	uint64_t start = now_ns();
	bool ok;

	log_threshold = LOG_WARN;
	setup();
	bench_memcpy();
	printf("bench_vnc: synthetic video %ux%ux32 (simulated guest) -> VNC server -> libvncclient on a Unix socket;\n"
	       "latency from the guest's dirty-rectangle message to the whole FramebufferUpdate read; CPU of hvkvm's loop\n"
	       "and display threads (cpu = loop + disp) per update; memcpy of one %zu-byte frame %.3f ms (median);\n"
	       "bytes the viewer read and read/write syscalls of the two threads per update; the viewer's own CPU\n"
	       "(libvncclient reads and decodes as the bytes come: its decoding is part of the latency)\n",
	       W, H, FRAME, memcpy_ns / 1e6);
	ok = idle("before");
	printf("%-6s %-10s %5s %9s %8s %9s %8s %8s %8s %9s %12s %7s %9s\n", "enc", "update", "n", "median-ms", "p99-ms",
	       "cpu-ms", "lat/mcp", "cpu/mcp", "loop-ms", "disp-ms", "bytes", "syscall", "viewer-ms");
	for (unsigned i = 0; i < sizeof(viewers) / sizeof(viewers[0]); i++) {
		struct viewer v = viewer_open(viewers[i].encodings, viewers[i].quality, viewers[i].compress);

		wait_update(0, 0, (uint64_t)W * H);	/* the first, whole screen */
		run_updates(viewers[i].name, W, H, viewers[i].n_full, 1);
		run_updates(viewers[i].name, SMALL_W, SMALL_H, N_SMALL, 1);
		run_updates(viewers[i].name, SMALL_W, SMALL_H, N_SMALL / 2, 2);
		viewer_close(&v);
		viewer_tid = 0;
	}
	/* The viewer gone, the display thread must notice before it can rest. */
	for (unsigned i = 0; i < 5000 && host(C_STATUS).st.clients; i++)
		usleep(1000);
	ok = idle("after") && ok;
	teardown();
	printf("\ntotal %.1f s\n", (double)(now_ns() - start) / 1e9);
	if (!ok)
		die("hvkvm worked for the screen with no viewer connected");
	return 0;
}
