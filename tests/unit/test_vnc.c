/* SPDX-License-Identifier: MIT */
/*
 * The VNC server (src/backends/vnc.c) between a simulated guest (its keyboard, mouse
 * and video drivers as Linux's) and an RFB viewer written here message by message
 * (RFC 6143) on the server's Unix socket: the screen the guest shows reaches the
 * viewer, the viewer's keys and pointer reach the guest's drivers, and nothing is
 * copied while no viewer looks. The display thread runs confined by the sandbox.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include <rfb/rfbproto.h>

#include "guid.h"
#include "input.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "sandbox.h"
#include "synth_kbd.h"
#include "synth_mouse.h"
#include "synth_video.h"
#include "synthhid_proto.h"
#include "synthkbd_proto.h"
#include "synthvid_proto.h"
#include "testutil.h"
#include "vm.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vnc.h"

#define RAM		(16ull << 20)
#define KBD_GPA		(VG_RAM_START + 0x100000ull)
#define MOUSE_GPA	(VG_RAM_START + 0x200000ull)
#define VID_GPA		(VG_RAM_START + 0x300000ull)
#define RING_PAGES	16
#define LOW_WINDOW	0xc0000000ull
#define COMPLETION_REQUESTED	1
#define W		64
#define H		48

static char dir[64], sock_path[128], pw_path[128];
static uint16_t tcp_port;	/* non-zero: the server and the viewer use TCP on 127.0.0.1 */
static struct vg g;
static struct vg_chan kch, mch, vch;
static struct machine machine;
static struct vnc *vnc;
static uint8_t pkt[32768];
static uint8_t *vram;		/* the screen's first pixel, as the guest writes it */

/* ---- calls on the loop thread -------------------------------------------------------- */

enum { C_PIXELS, C_VNC_NEW, C_STATUS, C_KSTATUS, C_MSTATUS, C_INFO };

struct call {
	int what;
	struct vnc_config *cfg;
	char err[256];
	const uint8_t *pixels;
	struct display_mode mode;
	struct vnc_status st;
	struct synth_kbd_status ks;
	struct synth_mouse_status ms;
	char info[512];
};

static void do_call(void *opaque)
{
	struct call *c = opaque;

	switch (c->what) {
	case C_PIXELS: c->pixels = display_pixels(machine.video, &c->mode); break;
	case C_VNC_NEW: vnc = vnc_new(g.loop, machine.video, machine.input, c->cfg, c->err, sizeof(c->err)); break;
	case C_STATUS: vnc_get_status(vnc, &c->st); break;
	case C_KSTATUS: synth_kbd_get_status(machine.kbd, &c->ks); break;
	case C_MSTATUS: synth_mouse_get_status(machine.mouse, &c->ms); break;
	case C_INFO: {
		struct json_object *o;

		machine.vnc = vnc;
		o = mgmt_screen_vnc(&machine);
		snprintf(c->info, sizeof(c->info), "%s", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) : "null");
		json_object_put(o);
		break;
	}
	}
}

static struct call host(int what)
{
	struct call c = { .what = what };

	vg_call(&g, do_call, &c);
	return c;
}

static struct vnc_status vstatus(void)
{
	return host(C_STATUS).st;
}

/* ---- the guest's drivers ------------------------------------------------------------------ */

static uint8_t *host_msg(struct vg_chan *c, int *len)
{
	const struct vmbus_packet_desc *d = (const void *)pkt;
	int n = vg_read_wait(c, pkt, sizeof(pkt), VG_TMO);

	ck_assert_int_gt(n, (int)sizeof(*d));
	*len = n - d->offset8 * 8;
	return pkt + d->offset8 * 8;
}

static void kbd_connect(void)
{
	struct synth_kbd_protocol_request rq = { SYNTH_KBD_PROTOCOL_REQUEST, SYNTH_KBD_VERSION };
	int len;

	ck_assert_int_eq(vg_send(&kch, VM_PKT_DATA_INBAND, COMPLETION_REQUESTED, 1, &rq, sizeof(rq)), 0);
	host_msg(&kch, &len);
	ck_assert(WAIT_UNTIL(host(C_KSTATUS).ks.connected, VG_TMO));
}

static void kbd_event(uint16_t make, uint32_t info)
{
	struct synth_kbd_keystroke ks;
	int len;
	uint8_t *m = host_msg(&kch, &len);

	ck_assert_int_ge(len, (int)sizeof(ks));
	memcpy(&ks, m, sizeof(ks));
	ck_assert_uint_eq(ks.type, SYNTH_KBD_EVENT);
	ck_assert_msg(ks.make_code == make && ks.info == info, "event 0x%x/0x%x, expected 0x%x/0x%x", ks.make_code,
		      ks.info, make, info);
}

static void mouse_send(uint32_t pipe_size, uint32_t type, uint32_t size, const void *body, uint32_t blen)
{
	uint8_t buf[256];
	struct synthhid_pipe_hdr p = { SYNTHHID_PIPE_DATA, pipe_size };
	struct synthhid_msg_hdr h = { type, size };

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 8, &h, sizeof(h));
	memcpy(buf + 16, body, blen);
	ck_assert_int_eq(vg_send(&mch, VM_PKT_DATA_INBAND, COMPLETION_REQUESTED, 2, buf, 16 + blen), 0);
}

static uint8_t *mouse_msg(uint32_t type)
{
	struct synthhid_msg_hdr h;
	int len;
	uint8_t *m = host_msg(&mch, &len);

	ck_assert_int_ge(len, 16);
	memcpy(&h, m + 8, sizeof(h));
	ck_assert_uint_eq(h.type, type);
	return m + 16;
}

static void mouse_connect(void)
{
	uint8_t body[7] = { 0 };
	uint32_t v = SYNTHHID_INPUT_VERSION;

	memcpy(body, &v, 4);
	mouse_send(12, SYNTH_HID_PROTOCOL_REQUEST, 4, body, 7);
	mouse_msg(SYNTH_HID_PROTOCOL_RESPONSE);
	mouse_msg(SYNTH_HID_INITIAL_DEVICE_INFO);
	memset(body, 0, sizeof(body));
	mouse_send(9, SYNTH_HID_INITIAL_DEVICE_INFO_ACK, 1, body, 4);
	ck_assert(WAIT_UNTIL(host(C_MSTATUS).ms.connected, VG_TMO));
}

static void mouse_report_is(uint8_t buttons, uint16_t x, uint16_t y, int16_t wheel)
{
	struct synthhid_mouse_report r;

	memcpy(&r, mouse_msg(SYNTH_HID_INPUT_REPORT), sizeof(r));
	ck_assert_uint_eq(r.buttons, buttons);
	ck_assert_uint_eq(r.x, x);
	ck_assert_uint_eq(r.y, y);
	ck_assert_int_eq(r.wheel, wheel);
}

static void vid_send(uint32_t type, const void *body, uint32_t len)
{
	uint8_t buf[256];
	struct synthvid_pipe_hdr p = { SYNTHVID_PIPE_DATA, 8 + len };
	struct synthvid_msg_hdr h = { type, 8 + len };

	memcpy(buf, &p, sizeof(p));
	memcpy(buf + 8, &h, sizeof(h));
	memcpy(buf + 16, body, len);
	ck_assert_int_eq(vg_send(&vch, VM_PKT_DATA_INBAND, 0, 0, buf, 16 + len), 0);
}

static void vid_msg(uint32_t type)
{
	struct synthvid_msg_hdr h;
	int len;
	uint8_t *m = host_msg(&vch, &len);

	ck_assert_int_ge(len, 16);
	memcpy(&h, m + 8, sizeof(h));
	ck_assert_msg(h.type == type, "message %u, expected %u", h.type, type);
}

static void situation(uint32_t w, uint32_t h)
{
	struct synthvid_situation_update su = {
		.video_output_count = 1,
		.video_output[0] = { 1, 0, 32, w, h, w * 4 },
	};

	vid_send(SYNTHVID_SITUATION_UPDATE, &su, sizeof(su));
	vid_msg(SYNTHVID_SITUATION_UPDATE_ACK);
}

static void dirt(uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2)
{
	uint8_t buf[2 + 16] = { 0, 1 };
	struct synthvid_rect r = { (int32_t)x1, (int32_t)y1, (int32_t)x2, (int32_t)y2 };

	memcpy(buf + 2, &r, sizeof(r));
	vid_send(SYNTHVID_DIRT, buf, sizeof(buf));
}

static void video_connect(void)
{
	struct synthvid_version_request rq = { SYNTHVID_VERSION_WIN10 };
	struct synthvid_vram_location loc = { 1, 1, LOW_WINDOW };
	struct call c;

	vid_send(SYNTHVID_VERSION_REQUEST, &rq, sizeof(rq));
	vid_msg(SYNTHVID_VERSION_RESPONSE);
	vid_send(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
	vid_msg(SYNTHVID_VRAM_LOCATION_ACK);
	vid_msg(SYNTHVID_FEATURE_CHANGE);
	situation(W, H);
	c = host(C_PIXELS);
	ck_assert_ptr_nonnull(c.pixels);
	ck_assert_uint_eq(c.mode.width, W);
	vram = (uint8_t *)c.pixels;
}

/* What the guest draws: a pixel that says where it is, B G R X. */
static void paint(uint32_t w, uint32_t h, uint8_t salt)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t *p = vram + ((size_t)y * w + x) * 4;

			p[0] = (uint8_t)(x * 3 + salt);
			p[1] = (uint8_t)(y * 5);
			p[2] = (uint8_t)(x ^ y ^ salt);
			p[3] = 0;
		}
}

/* ---- the viewer ---------------------------------------------------------------------------------- */

static void rd(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, (uint8_t *)buf + got, n - got, 0);

		ck_assert_msg(r > 0, "the server closed or failed (%zd, %s) after %zu of %zu bytes", r,
			      strerror(errno), got, n);
		got += (size_t)r;
	}
}

static void wr(int fd, const void *buf, size_t n)
{
	ck_assert_int_eq(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int viewer_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(tcp_port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(tcp_port ? AF_INET : AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, sock_path);
	if (tcp_port)
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	else
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A port nobody listens on now: the kernel's pick for an ephemeral bind. */
static uint16_t free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	ck_assert_uint_ge(ntohs(sin.sin_port), 1024);
	return ntohs(sin.sin_port);
}

/* RFB 3.8 up to ServerInit; the size it gives. */
static int viewer_open(const char *password, uint16_t *w, uint16_t *h)
{
	int fd = viewer_socket();
	char ver[13] = { 0 };
	uint8_t n, types[16], b[24], result[4];
	uint8_t want = password ? 2 : 1;	/* VNC authentication, None */
	bool offered = false;
	char name[64];
	uint32_t nlen;

	rd(fd, ver, 12);
	ck_assert_str_eq(ver, "RFB 003.008\n");
	wr(fd, "RFB 003.008\n", 12);
	rd(fd, &n, 1);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, sizeof(types));
	rd(fd, types, n);
	for (unsigned i = 0; i < n; i++)
		offered |= types[i] == want;
	ck_assert_msg(offered, "security type %u not offered", want);
	wr(fd, &want, 1);
	if (password) {
		uint8_t challenge[16];
		char pw[9] = { 0 };

		strncpy(pw, password, 8);
		rd(fd, challenge, 16);
		rfbEncryptBytes(challenge, pw);
		wr(fd, challenge, 16);
	}
	rd(fd, result, 4);
	if (be32(result) != 0) {
		close(fd);
		return -EACCES;
	}
	wr(fd, "\1", 1);	/* ClientInit: shared */
	rd(fd, b, 24);
	*w = be16(b);
	*h = be16(b + 2);
	/* The pixel format: 32 bits, depth 24 or 32, true colour, 8 bits each, the
	 * guest's XRGB8888 as is. */
	ck_assert_uint_eq(b[4], 32);
	ck_assert_uint_eq(b[6], 0);	/* little-endian */
	ck_assert_uint_ne(b[7], 0);	/* true colour */
	ck_assert_uint_eq(be16(b + 8), 255);
	ck_assert_uint_eq(be16(b + 10), 255);
	ck_assert_uint_eq(be16(b + 12), 255);
	ck_assert_uint_eq(b[14], 16);
	ck_assert_uint_eq(b[15], 8);
	ck_assert_uint_eq(b[16], 0);
	nlen = be32(b + 20);
	ck_assert_uint_lt(nlen, sizeof(name));
	rd(fd, name, nlen);
	name[nlen] = '\0';
	ck_assert_str_eq(name, "test-vm");
	return fd;
}

static void set_encodings(int fd, const int32_t *enc, unsigned n)
{
	uint8_t m[4 + 4 * 8] = { 2, 0, 0, (uint8_t)n };

	for (unsigned i = 0; i < n; i++) {
		uint32_t e = (uint32_t)enc[i];

		m[4 + i * 4] = (uint8_t)(e >> 24);
		m[5 + i * 4] = (uint8_t)(e >> 16);
		m[6 + i * 4] = (uint8_t)(e >> 8);
		m[7 + i * 4] = (uint8_t)e;
	}
	wr(fd, m, 4 + 4 * n);
}

static void update_request(int fd, bool incremental, uint16_t x, uint16_t y, uint16_t w, uint16_t h)
{
	uint8_t m[10] = { 3, incremental, (uint8_t)(x >> 8), (uint8_t)x, (uint8_t)(y >> 8), (uint8_t)y,
			  (uint8_t)(w >> 8), (uint8_t)w, (uint8_t)(h >> 8), (uint8_t)h };

	wr(fd, m, sizeof(m));
}

static void key_event(int fd, bool down, uint32_t keysym)
{
	uint8_t m[8] = { 4, down, 0, 0, (uint8_t)(keysym >> 24), (uint8_t)(keysym >> 16), (uint8_t)(keysym >> 8),
			 (uint8_t)keysym };

	wr(fd, m, sizeof(m));
}

static void pointer_event(int fd, uint8_t mask, uint16_t x, uint16_t y)
{
	uint8_t m[6] = { 5, mask, (uint8_t)(x >> 8), (uint8_t)x, (uint8_t)(y >> 8), (uint8_t)y };

	wr(fd, m, sizeof(m));
}

/*
 * Read one FramebufferUpdate into shot (a w x h copy of the viewer's screen, B G R X)
 * with Raw rectangles; a DesktopSize rectangle is returned in *nw, *nh. The number of
 * pixels it carried.
 */
static unsigned read_update(int fd, uint8_t *shot, uint32_t w, uint32_t h, uint16_t *nw, uint16_t *nh)
{
	uint8_t hdr[4], r[12];
	unsigned pixels = 0;

	do
		rd(fd, hdr, 1);
	while (hdr[0] != 0 && (hdr[0] == 2 /* Bell */ || (ck_abort_msg("server message %u", hdr[0]), 0)));
	rd(fd, hdr + 1, 3);
	for (unsigned i = 0; i < be16(hdr + 2); i++) {
		uint32_t rx, ry, rw, rh;
		int32_t enc;

		rd(fd, r, 12);
		rx = be16(r);
		ry = be16(r + 2);
		rw = be16(r + 4);
		rh = be16(r + 6);
		enc = (int32_t)be32(r + 8);
		if (enc == (int32_t)rfbEncodingNewFBSize) {
			*nw = (uint16_t)rw;
			*nh = (uint16_t)rh;
			continue;
		}
		ck_assert_int_eq(enc, (int32_t)rfbEncodingRaw);
		ck_assert_uint_le(rx + rw, w);
		ck_assert_uint_le(ry + rh, h);
		for (uint32_t y = 0; y < rh; y++)
			rd(fd, shot + ((size_t)(ry + y) * w + rx) * 4, (size_t)rw * 4);
		pixels += rw * rh;
	}
	return pixels;
}

static bool same(const uint8_t *shot, uint32_t w, uint32_t h)
{
	for (uint32_t i = 0; i < w * h; i++)
		if (memcmp(shot + (size_t)i * 4, vram + (size_t)i * 4, 3))
			return false;
	return true;
}

static void assert_same(const uint8_t *shot, uint32_t w, uint32_t h)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *a = shot + ((size_t)y * w + x) * 4, *b = vram + ((size_t)y * w + x) * 4;

			ck_assert_msg(!memcmp(a, b, 3), "pixel %u,%u: %02x%02x%02x, the guest's %02x%02x%02x", x, y,
				      a[2], a[1], a[0], b[2], b[1], b[0]);
		}
}

/* ---- setup ---------------------------------------------------------------------------------- */

static const struct vmbus_msg_offer_channel *find_offer(const struct vmbus_msg_offer_channel *o, unsigned n,
							const char *class_id)
{
	struct vmbus_guid c;

	ck_assert_int_eq(vmbus_guid_parse(class_id, &c), 0);
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(&o[i].offer.if_type, &c, sizeof(c)))
			return &o[i];
	ck_abort_msg("no offer of class %s", class_id);
	return NULL;
}

static void start_vnc(const char *password)
{
	struct vnc_config vc = { .name = "test-vm" };
	struct call c = { .what = C_VNC_NEW, .cfg = &vc };
	char addr[160];

	if (tcp_port)
		snprintf(addr, sizeof(addr), ":%u", tcp_port);
	else
		snprintf(addr, sizeof(addr), "unix:%s", sock_path);
	ck_assert_ptr_null(vnc_addr_parse(addr, &vc.addr));
	if (password) {
		FILE *f = fopen(pw_path, "w");

		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s\n", password);
		fclose(f);
		vc.password_file = pw_path;
	}
	vg_call(&g, do_call, &c);
	ck_assert_msg(vnc, "vnc_new: %s", c.err);
}

static void setup(void)
{
	struct vmbus_msg_offer_channel offers[3];
	struct vmbus_msg_offer_channel ko, mo, vo;

	strcpy(dir, "/tmp/hvkvm-vnc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/vnc.sock", dir);
	snprintf(pw_path, sizeof(pw_path), "%s/password", dir);
	vg_init(&g, RAM, 1);
	memset(&machine, 0, sizeof(machine));
	machine.vmbus = g.bus;
	machine.kbd = synth_kbd_new(g.bus);
	machine.mouse = synth_mouse_new(g.bus);
	machine.input = input_new(machine.kbd, machine.mouse);
	ck_assert(machine.kbd && machine.mouse && machine.input);
	ck_assert_int_eq(gmem_devmem_new(&g.mem, SYNTH_VIDEO_VRAM_SIZE, &machine.vram), 0);
	machine.video = synth_video_new(g.bus, machine.vram);
	ck_assert_ptr_nonnull(machine.video);
	vnc = NULL;
	tcp_port = 0;
	/* The display thread confines itself as in hvkvm. */
	if (sandbox_available())
		ck_assert_int_eq(sandbox_enable(), 0);
	vg_start(&g);
	vg_connect(&g, VG_VERSION(5, 3));
	ck_assert_uint_eq(vg_request_offers(&g, offers, 3), 3);
	ko = *find_offer(offers, 3, SYNTHKBD_CLASS_ID);
	mo = *find_offer(offers, 3, SYNTHHID_CLASS_ID);
	vo = *find_offer(offers, 3, SYNTHVID_CLASS_ID);
	memset(&kch, 0, sizeof(kch));
	memset(&mch, 0, sizeof(mch));
	memset(&vch, 0, sizeof(vch));
	ck_assert_uint_eq(vg_open(&g, &kch, &ko, 0x100, KBD_GPA, RING_PAGES, RING_PAGES, 0), 0);
	ck_assert_uint_eq(vg_open(&g, &mch, &mo, 0x101, MOUSE_GPA, RING_PAGES, RING_PAGES, 0), 0);
	ck_assert_uint_eq(vg_open(&g, &vch, &vo, 0x102, VID_GPA, RING_PAGES, RING_PAGES, 0), 0);
	kbd_connect();
	mouse_connect();
	video_connect();
	paint(W, H, 0);
}

static void teardown(void)
{
	vg_stop(&g);
	vnc_free(vnc);
	ck_assert_int_ne(access(sock_path, F_OK), 0);	/* the socket's file goes with it */
	synth_video_free(machine.video);	/* its timer before the loop */
	vg_destroy(&g);
	input_free(machine.input);
	synth_kbd_free(machine.kbd);
	synth_mouse_free(machine.mouse);
	gmem_devmem_free(machine.vram);
	unlink(pw_path);
	rmdir(dir);
}

/* The display thread's seccomp mode (2: a filter), found by its name. */
static int display_seccomp(void)
{
	char buf[4096], p[300];
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int mode = -1;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) && mode < 0) {
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/status", e->d_name);
		if (!(f = fopen(p, "r")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strstr(buf, "Name:\thvkvm-vnc\n")) {
			const char *s = strstr(buf, "\nSeccomp:\t");

			mode = s ? atoi(s + 10) : 0;
		}
	}
	closedir(d);
	return mode;
}

/* ---- the tests ------------------------------------------------------------------------------- */

/* The screen: ServerInit has the guest's mode, a full update its pixels, a rectangle
 * the guest reports changed comes as an incremental update. */
START_TEST(screen)
{
	static uint8_t shot[W * H * 4];
	struct stat st;
	uint16_t w, h, nw = 0, nh = 0;
	int fd;

	start_vnc(NULL);
	if (sandbox_available())
		ck_assert(WAIT_UNTIL(display_seccomp() == 2, VG_TMO));	/* once it started */
	ck_assert_int_eq(stat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	fd = viewer_open(NULL, &w, &h);
	ck_assert_uint_eq(w, W);
	ck_assert_uint_eq(h, H);
	ck_assert(WAIT_UNTIL(vstatus().clients == 1, VG_TMO));
	update_request(fd, false, 0, 0, W, H);
	ck_assert_uint_eq(read_update(fd, shot, W, H, &nw, &nh), W * H);
	assert_same(shot, W, H);

	/* The guest draws a rectangle and says so. */
	paint(W, H, 0x40);
	dirt(8, 4, 24, 20);
	update_request(fd, true, 0, 0, W, H);
	read_update(fd, shot, W, H, &nw, &nh);
	for (uint32_t y = 4; y < 20; y++)
		for (uint32_t x = 8; x < 24; x++)
			ck_assert(!memcmp(shot + ((size_t)y * W + x) * 4, vram + ((size_t)y * W + x) * 4, 3));
	/* vm.info's "vnc" */
	{
		struct call c = { .what = C_INFO };
		char want[200];

		vg_call(&g, do_call, &c);
		snprintf(want, sizeof(want), "\"address\": \"unix:%s\", \"clients\": 1, \"connections\": 1,",
			 sock_path);
		ck_assert_msg(strstr(c.info, want), "%s", c.info);
	}
	close(fd);
	ck_assert(WAIT_UNTIL(vstatus().clients == 0, VG_TMO));
	ck_assert_uint_eq(vstatus().connections, 1);
}
END_TEST

/* A new mode reaches a viewer that understands DesktopSize as a new framebuffer size,
 * then the new screen's pixels. */
START_TEST(mode_change)
{
	static uint8_t shot[W * H * 4];
	const int32_t enc[] = { rfbEncodingRaw, rfbEncodingNewFBSize };
	uint16_t w, h, nw = 0, nh = 0;
	int fd;

	start_vnc(NULL);
	fd = viewer_open(NULL, &w, &h);
	set_encodings(fd, enc, 2);
	update_request(fd, false, 0, 0, w, h);
	read_update(fd, shot, W, H, &nw, &nh);
	situation(32, 24);
	paint(32, 24, 7);
	dirt(0, 0, 32, 24);
	update_request(fd, true, 0, 0, w, h);
	read_update(fd, shot, W, H, &nw, &nh);
	ck_assert_uint_eq(nw, 32);
	ck_assert_uint_eq(nh, 24);
	/* A full update is what the server holds: the guest's new picture once the display
	 * thread has copied the dirty rectangle, which may come a moment after the new size. */
	for (uint64_t end = test_now_ms() + VG_TMO;;) {
		memset(shot, 0, sizeof(shot));
		update_request(fd, false, 0, 0, 32, 24);
		ck_assert_uint_eq(read_update(fd, shot, 32, 24, &nw, &nh), 32 * 24);
		if (same(shot, 32, 24) || test_now_ms() >= end)
			break;
	}
	assert_same(shot, 32, 24);
	close(fd);
}
END_TEST

static bool rect_same(const uint8_t *shot, const struct synthvid_rect *r)
{
	for (int32_t y = r->y1; y < r->y2; y++)
		if (memcmp(shot + ((size_t)y * W + (size_t)r->x1) * 4, vram + ((size_t)y * W + (size_t)r->x1) * 4,
			   (size_t)(r->x2 - r->x1) * 4))
			return false;
	return true;
}

/* Small rectangles far apart that the guest reports at once reach the viewer as
 * themselves, not as the box around them (a text cursor in one corner and a clock in
 * the other must not cost a full screen). */
START_TEST(separate_rects)
{
	static uint8_t shot[W * H * 4];
	const struct synthvid_rect r[2] = { { 0, 0, 8, 4 }, { W - 8, H - 4, W, H } };
	uint8_t buf[2 + sizeof(r)] = { 0, 2 };
	uint16_t w, h, nw = 0, nh = 0;
	unsigned pixels = 0;
	uint64_t copied;
	int fd;

	start_vnc(NULL);
	fd = viewer_open(NULL, &w, &h);
	update_request(fd, false, 0, 0, W, H);
	ck_assert_uint_eq(read_update(fd, shot, W, H, &nw, &nh), W * H);
	copied = vstatus().rects_copied;
	paint(W, H, 0x55);	/* the whole screen changes, the guest reports two corners */
	memcpy(buf + 2, r, sizeof(r));
	vid_send(SYNTHVID_DIRT, buf, sizeof(buf));
	ck_assert(WAIT_UNTIL(vstatus().rects_copied == copied + 2, VG_TMO));
	for (uint64_t end = test_now_ms() + VG_TMO; !(rect_same(shot, &r[0]) && rect_same(shot, &r[1]));) {
		ck_assert_msg(test_now_ms() < end, "the two rectangles did not arrive");
		update_request(fd, true, 0, 0, W, H);
		pixels += read_update(fd, shot, W, H, &nw, &nh);
	}
	ck_assert_msg(pixels <= 2 * 8 * 4, "%u pixels sent for two rectangles of 32", pixels);
	close(fd);
}
END_TEST

/* Nothing is copied out of VRAM while nobody looks; a viewer gets the whole screen. */
START_TEST(no_copy_without_viewers)
{
	struct vnc_status st;
	uint16_t w, h;
	int fd;

	start_vnc(NULL);
	for (int i = 0; i < 20; i++)
		dirt(0, 0, W, H);
	situation(32, 24);
	situation(W, H);
	dirt(1, 1, 2, 2);
	/* the last DIRT was handled: the device counted it */
	vid_send(SYNTHVID_SITUATION_UPDATE, &(struct synthvid_situation_update){ .video_output_count = 1,
		 .video_output[0] = { 1, 0, 32, W, H, W * 4 } }, sizeof(struct synthvid_situation_update));
	vid_msg(SYNTHVID_SITUATION_UPDATE_ACK);
	st = vstatus();
	ck_assert_uint_eq(st.clients, 0);
	ck_assert_uint_eq(st.rects_copied, 0);
	ck_assert_uint_eq(st.bytes_copied, 0);

	fd = viewer_open(NULL, &w, &h);
	st = vstatus();
	ck_assert_uint_eq(st.rects_copied, 1);
	ck_assert_uint_eq(st.bytes_copied, W * H * 4);
	close(fd);
	ck_assert(WAIT_UNTIL(vstatus().clients == 0, VG_TMO));
	dirt(0, 0, W, H);
	vid_send(SYNTHVID_SITUATION_UPDATE, &(struct synthvid_situation_update){ .video_output_count = 1,
		 .video_output[0] = { 1, 0, 32, W, H, W * 4 } }, sizeof(struct synthvid_situation_update));
	vid_msg(SYNTHVID_SITUATION_UPDATE_ACK);
	ck_assert_uint_eq(vstatus().rects_copied, 1);
}
END_TEST

/* A viewer's keys become the synthetic keyboard's scan codes (the US layout of
 * input.h); what it held is released when it goes. */
START_TEST(keys)
{
	uint16_t w, h;
	int fd;

	start_vnc(NULL);
	fd = viewer_open(NULL, &w, &h);
	key_event(fd, true, 'a');
	kbd_event(0x1e, 0);
	key_event(fd, false, 'a');
	kbd_event(0x1e, SYNTH_KBD_IS_BREAK);
	key_event(fd, true, 0xff52);	/* Up */
	kbd_event(0x48, SYNTH_KBD_IS_E0);
	key_event(fd, false, 0xff52);
	kbd_event(0x48, SYNTH_KBD_IS_E0 | SYNTH_KBD_IS_BREAK);
	/* 'A' without Shift held: Shift around it */
	key_event(fd, true, 'A');
	kbd_event(0x2a, 0);
	kbd_event(0x1e, 0);
	kbd_event(0x2a, SYNTH_KBD_IS_BREAK);
	key_event(fd, false, 'A');
	kbd_event(0x1e, SYNTH_KBD_IS_BREAK);
	/* held when the viewer goes */
	key_event(fd, true, 0xffe3);	/* Control_L */
	kbd_event(0x1d, 0);
	close(fd);
	kbd_event(0x1d, SYNTH_KBD_IS_BREAK);
	ck_assert(WAIT_UNTIL(vstatus().input_events >= 7, VG_TMO));
}
END_TEST

/* The pointer: a position on the screen scaled to the mouse's 0..32767, the buttons,
 * a wheel click. */
START_TEST(pointer)
{
	uint16_t w, h;
	int fd;

	start_vnc(NULL);
	fd = viewer_open(NULL, &w, &h);
	pointer_event(fd, 0, 0, 0);
	mouse_report_is(0, 0, 0, 0);
	pointer_event(fd, 1, W - 1, H - 1);
	mouse_report_is(SYNTH_MOUSE_BTN_LEFT, 32767, 32767, 0);
	pointer_event(fd, 4, (W - 1) / 2, 0);	/* 31.5 of 63 */
	mouse_report_is(SYNTH_MOUSE_BTN_RIGHT, (uint16_t)((31 * 32767 + 31) / 63), 0, 0);
	pointer_event(fd, 2, 0, 0);
	mouse_report_is(SYNTH_MOUSE_BTN_MIDDLE, 0, 0, 0);
	pointer_event(fd, 8, 0, 0);	/* wheel up: a press... */
	mouse_report_is(0, 0, 0, 1);
	pointer_event(fd, 0, 0, 0);	/* ...and its release */
	mouse_report_is(0, 0, 0, 0);
	pointer_event(fd, 16, 0, 0);
	mouse_report_is(0, 0, 0, -1);
	/* a button held when the viewer goes is released */
	pointer_event(fd, 1, 10, 10);
	mouse_report_is(SYNTH_MOUSE_BTN_LEFT, (uint16_t)((10 * 32767 + 31) / 63), (uint16_t)((10 * 32767 + 23) / 47), 0);
	close(fd);
	mouse_report_is(0, (uint16_t)((10 * 32767 + 31) / 63), (uint16_t)((10 * 32767 + 23) / 47), 0);
}
END_TEST

/* VNC authentication: the right password gets in, a wrong one does not. */
START_TEST(password)
{
	uint16_t w, h;
	int fd;

	start_vnc("s3cret");
	ck_assert_int_eq(viewer_open("wrong", &w, &h), -EACCES);
	fd = viewer_open("s3cret", &w, &h);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(w, W);
	close(fd);
}
END_TEST

/* TCP on loopback, with a password, as --vnc :PORT --vnc-password-file sets it up:
 * the screen and a key. */
START_TEST(tcp_loopback)
{
	static uint8_t shot[W * H * 4];
	uint16_t w, h, nw, nh;
	int fd;

	tcp_port = free_port();
	start_vnc("longer-than-8");	/* VNC authentication uses the first 8 */
	fd = viewer_open("longer-t", &w, &h);
	ck_assert_uint_eq(w, W);
	ck_assert_uint_eq(h, H);
	update_request(fd, false, 0, 0, W, H);
	ck_assert_uint_eq(read_update(fd, shot, W, H, &nw, &nh), W * H);
	assert_same(shot, W, H);
	key_event(fd, true, 0xff0d);	/* Return */
	kbd_event(0x1c, 0);
	close(fd);
	kbd_event(0x1c, SYNTH_KBD_IS_BREAK);
}
END_TEST

/* The address syntax --vnc and the config's "vnc" share. */
START_TEST(addresses)
{
	struct vnc_addr a;
	char buf[160];

	ck_assert_ptr_null(vnc_addr_parse("unix:/run/x.sock", &a));
	ck_assert(a.is_unix && a.loopback);
	ck_assert_str_eq(a.path, "/run/x.sock");
	ck_assert_ptr_null(vnc_addr_parse(":5901", &a));
	ck_assert(!a.is_unix && a.loopback);
	vnc_addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.1:5901");
	ck_assert_ptr_null(vnc_addr_parse("localhost:5902", &a));
	ck_assert_str_eq(a.host, "127.0.0.1");
	ck_assert_ptr_null(vnc_addr_parse("0.0.0.0:5900", &a));
	ck_assert(!a.loopback);
	ck_assert_ptr_null(vnc_addr_parse("[::1]:5900", &a));
	ck_assert(a.loopback);
	vnc_addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[::1]:5900");
	ck_assert_ptr_null(vnc_addr_parse("[::]:5900", &a));
	ck_assert(!a.loopback);
	ck_assert_ptr_null(vnc_addr_parse("127.1.2.3:65535", &a));
	ck_assert(a.loopback);
	ck_assert_ptr_nonnull(vnc_addr_parse(":1", &a));	/* a display number */
	ck_assert_ptr_nonnull(vnc_addr_parse(":1023", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse(":65536", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse(":", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse("5900", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse("::1:5900", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse("host.example:5900", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse("unix:", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse(":5900x", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse(":+5900", &a));
	ck_assert_ptr_nonnull(vnc_addr_parse("[::1]5900", &a));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vnc");
	TCase *tc = tcase_create("rfb");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, screen);
	tcase_add_test(tc, mode_change);
	tcase_add_test(tc, separate_rects);
	tcase_add_test(tc, no_copy_without_viewers);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, pointer);
	tcase_add_test(tc, password);
	tcase_add_test(tc, tcp_loopback);
	suite_add_tcase(s, tc);
	tc = tcase_create("syntax");
	tcase_add_test(tc, addresses);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite());
}
