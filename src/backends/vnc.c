/* SPDX-License-Identifier: MIT */
#include "vnc.h"
#include "input.h"
#include "log.h"
#include "loop.h"
#include "synth_mouse.h"
#include "synth_video.h"
#include "thread.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfb.h>

/* The size viewers see before the guest set a mode. */
#define DEFAULT_W	1024
#define DEFAULT_H	768
/* Rectangles changed between two looks of the display thread, kept apart so that
 * small ones far from each other are sent as themselves; more become the box
 * around them all. */
#define DIRTY_RECTS	16

enum ev_kind { EV_KEY, EV_POINTER, EV_RELEASE };

struct vnc_event {
	uint8_t kind;
	bool down;
	uint8_t buttons;
	int16_t wheel;
	uint32_t keysym;
	uint16_t x, y;
};

/* Per viewer, on the display thread. */
struct vnc_client {
	struct vnc *v;
	int last_mask;		/* RFB button mask of the last pointer event */
};

struct vnc {
	/* set up before the thread starts, then read-only */
	struct loop *loop;
	struct synth_video *video;	/* loop thread */
	struct input *in;		/* loop thread */
	struct vnc_addr addr;
	char address[VNC_UNIX_PATH_MAX + 8];
	char *passwords[2];		/* libvncserver's list: the password, NULL */
	char *desktop;
	int listen_fd;			/* display thread polls and accepts */
	int wake_display;		/* eventfd: the loop has pixels, or stop */
	int wake_loop;			/* eventfd: the display thread has events or wants a refresh */
	pthread_t thread;
	bool thread_started;

	/* display thread only */
	rfbScreenInfoPtr screen;
	uint8_t *fb;			/* libvncserver's framebuffer, fb_w x fb_h, pitch fb_w * 4 */
	uint32_t fb_w, fb_h;

	/* lock: the handoff between the two threads */
	pthread_mutex_t lock;
	uint8_t *shadow;		/* sh_w x sh_h, pitch sh_w * 4; written by the loop thread */
	uint32_t sh_w, sh_h;
	bool resized;			/* the display thread has not taken sh_w x sh_h yet */
	unsigned ndirty;		/* rectangles changed since the display thread last looked */
	struct display_rect dirty[DIRTY_RECTS];
	bool stop;
	struct vnc_event ev[VNC_EVENT_QUEUE];
	unsigned ev_head, ev_count;
	/* A viewer connecting asks for the whole screen and waits for it, so that its
	 * ServerInit has the guest's size and its first update the guest's pixels. */
	uint64_t refresh_req, refresh_done;
	pthread_cond_t refreshed;
	uint64_t input_dropped;
	uint64_t connections;

	unsigned clients;		/* atomic: written by the display thread */

	/* loop thread only */
	uint64_t rects_copied, bytes_copied, input_events;
};

/* ---- addresses ------------------------------------------------------------------ */

static const char *const addr_rule =
	"unix:PATH, HOST:PORT or :PORT (HOST an IPv4 address, [IPv6] or localhost; PORT 1024-65535)";

const char *vnc_addr_parse(const char *s, struct vnc_addr *a)
{
	const char *colon, *host_end, *host = s;
	char hostbuf[64];
	unsigned long port;
	char *end;

	memset(a, 0, sizeof(*a));
	if (!strncmp(s, "unix:", 5)) {
		s += 5;
		if (!*s)
			return "unix:PATH, a path after unix:";
		if (strlen(s) > VNC_UNIX_PATH_MAX)
			return "a Unix socket's path of at most 107 characters";
		a->is_unix = true;
		a->loopback = true;
		strcpy(a->path, s);
		return NULL;
	}
	if (*s == '[') {
		host = s + 1;
		host_end = strchr(host, ']');
		if (!host_end || host_end[1] != ':')
			return addr_rule;
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return addr_rule;
		host_end = colon;
	}
	if ((size_t)(host_end - host) >= sizeof(hostbuf))
		return addr_rule;
	memcpy(hostbuf, host, (size_t)(host_end - host));
	hostbuf[host_end - host] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return addr_rule;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno)
		return addr_rule;
	if (port < 100)
		return "PORT 1024-65535, a port and not a display number (QEMU's :1 is :5901)";
	if (port < 1024 || port > 65535)
		return addr_rule;
	a->port = (uint16_t)port;
	if (!*hostbuf || !strcmp(hostbuf, "localhost"))
		strcpy(hostbuf, "127.0.0.1");
	if (*s == '[') {
		struct in6_addr in6;

		if (inet_pton(AF_INET6, hostbuf, &in6) != 1)
			return addr_rule;
		a->family = AF_INET6;
		a->loopback = IN6_IS_ADDR_LOOPBACK(&in6);
	} else {
		struct in_addr in4;

		if (inet_pton(AF_INET, hostbuf, &in4) != 1)
			return addr_rule;
		a->family = AF_INET;
		a->loopback = (ntohl(in4.s_addr) >> 24) == 127;
	}
	strcpy(a->host, hostbuf);
	return NULL;
}

void vnc_addr_format(const struct vnc_addr *a, char *buf, size_t len)
{
	if (a->is_unix)
		snprintf(buf, len, "unix:%s", a->path);
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a->host, a->port);
	else
		snprintf(buf, len, "%s:%u", a->host, a->port);
}

static int vnc_listen(const struct vnc_addr *a, char *err, size_t errlen)
{
	int fd, one = 1;

	if (a->is_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		mode_t old;
		int r;

		strcpy(sun.sun_path, a->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		/* A stale socket from a hvkvm that is gone: nobody answers there. */
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(fd);
			snprintf(err, errlen, "%s: in use by a running server", a->path);
			return -EADDRINUSE;
		}
		if (errno == ECONNREFUSED) {
			struct stat st;

			if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
				unlink(a->path);
		}
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		old = umask(0177);	/* mode 0600 from the start: no window for others */
		r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
		if (r < 0)
			goto fail_fd;
	} else {
		struct sockaddr_storage ss;
		socklen_t sl;

		memset(&ss, 0, sizeof(ss));
		if (a->family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(a->port);
			inet_pton(AF_INET6, a->host, &s6->sin6_addr);
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			s4->sin_port = htons(a->port);
			inet_pton(AF_INET, a->host, &s4->sin_addr);
			sl = sizeof(*s4);
		}
		fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
			goto fail_fd;
	}
	if (listen(fd, 8) < 0)
		goto fail_fd;
	return fd;
fail_fd:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
fail:
	snprintf(err, errlen, "cannot listen: %s", strerror(errno));
	return -errno;
}

static int read_password(const char *path, char **out, char *err, size_t errlen)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';	/* the first line */
	if (!*buf) {
		snprintf(err, errlen, "%s: empty password", path);
		return -EINVAL;
	}
	if (strlen(buf) > VNC_PASSWORD_MAX)
		log_warn("VNC: only the first %d characters of the password in %s count (VNC authentication)",
			 VNC_PASSWORD_MAX, path);
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (!*out) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/* ---- libvncserver's messages ---------------------------------------------------- */

static void rfb_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	if (log_threshold < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_debug("VNC: %s", buf);
}

/* ---- the loop thread: pixels out of VRAM, events into input.h ------------------- */

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("VNC: cannot wake a thread: %s", strerror(errno));
}

static void box_union(struct display_rect *b, const struct display_rect *r)
{
	if (r->x1 < b->x1) b->x1 = r->x1;
	if (r->y1 < b->y1) b->y1 = r->y1;
	if (r->x2 > b->x2) b->x2 = r->x2;
	if (r->y2 > b->y2) b->y2 = r->y2;
}

static bool contains(const struct display_rect *a, const struct display_rect *b)
{
	return a->x1 <= b->x1 && a->y1 <= b->y1 && a->x2 >= b->x2 && a->y2 >= b->y2;
}

/* Add r to what changed (under the lock). */
static void add_dirty(struct vnc *v, const struct display_rect *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < v->ndirty; i++)
		if (contains(&v->dirty[i], r))
			return;
	for (unsigned i = 0; i < v->ndirty; i++)	/* those inside r go */
		if (!contains(r, &v->dirty[i]))
			v->dirty[n++] = v->dirty[i];
	if (n == DIRTY_RECTS) {
		for (unsigned i = 1; i < n; i++)
			box_union(&v->dirty[0], &v->dirty[i]);
		box_union(&v->dirty[0], r);
		v->ndirty = 1;
		return;
	}
	v->dirty[n++] = *r;
	v->ndirty = n;
}

/* Copy r (or, with all, the whole screen) from VRAM into the shadow. */
static void copy_from_vram(struct vnc *v, const struct display_rect *r, bool all)
{
	struct display_mode mode;
	const uint8_t *px = display_pixels(v->video, &mode);
	uint32_t w = px ? mode.width : 0, h = px ? mode.height : 0;
	struct display_rect c;

	pthread_mutex_lock(&v->lock);
	if (!px) {
		/* No screen: viewers keep their size and see black. */
		w = v->sh_w;
		h = v->sh_h;
		all = true;
	}
	if (w != v->sh_w || h != v->sh_h || !v->shadow) {
		uint8_t *n = calloc((size_t)w * h, 4);

		if (!n) {
			pthread_mutex_unlock(&v->lock);
			log_warn("VNC: no memory for a %ux%u screen", w, h);
			return;
		}
		free(v->shadow);
		v->shadow = n;
		v->sh_w = w;
		v->sh_h = h;
		v->resized = true;
		all = true;
	}
	c = all ? (struct display_rect){ 0, 0, w, h } : *r;
	if (c.x2 > w) c.x2 = w;
	if (c.y2 > h) c.y2 = h;
	if (c.x1 < c.x2 && c.y1 < c.y2) {
		size_t row = (size_t)(c.x2 - c.x1) * 4;

		for (uint32_t y = c.y1; y < c.y2; y++) {
			uint8_t *dst = v->shadow + ((size_t)y * w + c.x1) * 4;

			if (px)
				memcpy(dst, px + (size_t)y * mode.pitch + (size_t)c.x1 * 4, row);
			else
				memset(dst, 0, row);
		}
		add_dirty(v, &c);
		v->rects_copied++;
		v->bytes_copied += row * (c.y2 - c.y1);
	}
	pthread_mutex_unlock(&v->lock);
	kick(v->wake_display);
}

static void on_display_update(void *opaque, const struct display_rect *r, bool mode_changed)
{
	struct vnc *v = opaque;

	/* Without a viewer there is nobody to draw for. */
	if (__atomic_load_n(&v->clients, __ATOMIC_ACQUIRE) == 0)
		return;
	copy_from_vram(v, r, mode_changed);
}

static bool vnc_looking(void *opaque)
{
	struct vnc *v = opaque;

	return __atomic_load_n(&v->clients, __ATOMIC_ACQUIRE) > 0;
}

static void on_wake_loop(void *opaque, uint32_t events)
{
	struct vnc *v = opaque;
	struct vnc_event ev[VNC_EVENT_QUEUE];
	unsigned n = 0;
	uint64_t refresh, val;

	(void)events;
	if (read(v->wake_loop, &val, sizeof(val)) < 0 && errno != EAGAIN)
		log_warn("VNC: reading the wake-up: %s", strerror(errno));
	pthread_mutex_lock(&v->lock);
	while (v->ev_count) {
		ev[n++] = v->ev[v->ev_head];
		v->ev_head = (v->ev_head + 1) % VNC_EVENT_QUEUE;
		v->ev_count--;
	}
	refresh = v->refresh_req;
	pthread_mutex_unlock(&v->lock);

	if (refresh != v->refresh_done) {
		copy_from_vram(v, NULL, true);
		pthread_mutex_lock(&v->lock);
		v->refresh_done = refresh;
		pthread_cond_broadcast(&v->refreshed);
		pthread_mutex_unlock(&v->lock);
	}
	for (unsigned i = 0; i < n; i++) {
		int r = 0;

		switch (ev[i].kind) {
		case EV_KEY:
			r = input_keysym(v->in, ev[i].keysym, ev[i].down);
			break;
		case EV_POINTER:
			r = input_pointer(v->in, ev[i].x, ev[i].y, ev[i].buttons, ev[i].wheel);
			break;
		case EV_RELEASE: {
			uint16_t x, y;
			uint8_t b;

			input_release_all(v->in);
			input_pointer_state(v->in, &x, &y, &b);
			if (b)
				r = input_pointer(v->in, x, y, 0, 0);
			break;
		}
		}
		if (r < 0)
			log_debug("VNC: an input event was not delivered: %s", strerror(-r));
		else
			v->input_events++;
	}
}

/* ---- the display thread ---------------------------------------------------------- */

static void take_pixels(struct vnc *v);

static void queue_event(struct vnc *v, const struct vnc_event *e)
{
	pthread_mutex_lock(&v->lock);
	if (v->ev_count == VNC_EVENT_QUEUE) {
		v->input_dropped++;
	} else {
		v->ev[(v->ev_head + v->ev_count) % VNC_EVENT_QUEUE] = *e;
		v->ev_count++;
	}
	pthread_mutex_unlock(&v->lock);
	kick(v->wake_loop);
}

static void on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	struct vnc_event e = { .kind = EV_KEY, .down = down, .keysym = keysym };

	queue_event(c->v, &e);
}

/* A coordinate of a screen of n pixels on the mouse's 0..32767. */
static uint16_t scale(int p, uint32_t n)
{
	if (p <= 0 || n <= 1)
		return 0;
	if ((uint32_t)p >= n - 1)
		return SYNTH_MOUSE_MAX_COORD;
	return (uint16_t)(((uint64_t)p * SYNTH_MOUSE_MAX_COORD + (n - 1) / 2) / (n - 1));
}

static void on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	struct vnc *v = c->v;
	int pressed = mask & ~c->last_mask;
	struct vnc_event e = { .kind = EV_POINTER };

	/* RFB: 1 left, 2 middle, 4 right, 8/16 wheel up/down (a press per click),
	 * 128/256 back/forward in some viewers. */
	if (mask & 1) e.buttons |= SYNTH_MOUSE_BTN_LEFT;
	if (mask & 2) e.buttons |= SYNTH_MOUSE_BTN_MIDDLE;
	if (mask & 4) e.buttons |= SYNTH_MOUSE_BTN_RIGHT;
	if (mask & 128) e.buttons |= SYNTH_MOUSE_BTN_SIDE;
	if (mask & 256) e.buttons |= SYNTH_MOUSE_BTN_EXTRA;
	if (pressed & 8) e.wheel++;
	if (pressed & 16) e.wheel--;
	c->last_mask = mask;
	e.x = scale(x, v->fb_w);
	e.y = scale(y, v->fb_h);
	queue_event(v, &e);
}

static void on_client_gone(rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	struct vnc_event e = { .kind = EV_RELEASE };

	if (!c)
		return;
	__atomic_sub_fetch(&c->v->clients, 1, __ATOMIC_ACQ_REL);
	/* Keys and buttons held are let go: the guest must not see a key stuck down. */
	queue_event(c->v, &e);
	log_info("VNC: a viewer disconnected from %s", c->v->address);
	free(c);
	cl->clientData = NULL;
}

static enum rfbNewClientAction on_new_client(rfbClientPtr cl)
{
	struct vnc *v = cl->screen->screenData;
	struct vnc_client *c = calloc(1, sizeof(*c));
	struct timespec until;
	uint64_t gen;

	if (!c)
		return RFB_CLIENT_REFUSE;
	c->v = v;
	cl->clientData = c;
	cl->clientGoneHook = on_client_gone;
	__atomic_add_fetch(&v->clients, 1, __ATOMIC_ACQ_REL);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 2;	/* a loop that does not answer (stopping) is not waited for */
	pthread_mutex_lock(&v->lock);
	v->connections++;
	gen = ++v->refresh_req;
	kick(v->wake_loop);
	while (v->refresh_done < gen && !v->stop &&
	       pthread_cond_timedwait(&v->refreshed, &v->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&v->lock);
	take_pixels(v);
	log_info("VNC: a viewer connected to %s", v->address);
	return RFB_CLIENT_ACCEPT;
}

/* VRAM's XRGB8888 is B, G, R, X in memory; libvncserver's default is R first. */
static void set_format(struct vnc *v)
{
	rfbClientIteratorPtr it;
	rfbClientPtr cl;

	v->screen->serverFormat.redShift = 16;
	v->screen->serverFormat.greenShift = 8;
	v->screen->serverFormat.blueShift = 0;
	it = rfbGetClientIterator(v->screen);
	while ((cl = rfbClientIteratorNext(it)))
		rfbSetTranslateFunction(cl);
	rfbReleaseClientIterator(it);
}

/* Take what the loop thread copied. */
static void take_pixels(struct vnc *v)
{
	struct display_rect b[DIRTY_RECTS];
	unsigned n = 0;

	pthread_mutex_lock(&v->lock);
	if (v->resized) {
		uint8_t *n = malloc((size_t)v->sh_w * v->sh_h * 4);

		if (n) {
			uint8_t *old = v->fb;

			memcpy(n, v->shadow, (size_t)v->sh_w * v->sh_h * 4);
			v->fb = n;
			v->fb_w = v->sh_w;
			v->fb_h = v->sh_h;
			v->resized = false;
			v->ndirty = 0;
			pthread_mutex_unlock(&v->lock);
			rfbNewFramebuffer(v->screen, (char *)n, (int)v->fb_w, (int)v->fb_h, 8, 3, 4);
			set_format(v);
			free(old);
			return;
		}
		log_warn("VNC: no memory for a %ux%u screen", v->sh_w, v->sh_h);
	}
	if (v->ndirty && !v->resized && v->sh_w == v->fb_w && v->sh_h == v->fb_h) {
		n = v->ndirty;
		memcpy(b, v->dirty, n * sizeof(b[0]));
		for (unsigned i = 0; i < n; i++) {
			size_t row = (size_t)(b[i].x2 - b[i].x1) * 4;

			for (uint32_t y = b[i].y1; y < b[i].y2; y++)
				memcpy(v->fb + ((size_t)y * v->fb_w + b[i].x1) * 4,
				       v->shadow + ((size_t)y * v->sh_w + b[i].x1) * 4, row);
		}
		v->ndirty = 0;
	}
	pthread_mutex_unlock(&v->lock);
	for (unsigned i = 0; i < n; i++)
		rfbMarkRectAsModified(v->screen, (int)b[i].x1, (int)b[i].y1, (int)b[i].x2, (int)b[i].y2);
}

static void accept_client(struct vnc *v)
{
	int fd = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("VNC: accept on %s: %s", v->address, strerror(errno));
		return;
	}
	/* libvncserver waits on its sockets with select(). */
	if (fd >= FD_SETSIZE || __atomic_load_n(&v->clients, __ATOMIC_ACQUIRE) >= VNC_MAX_CLIENTS) {
		log_warn("VNC: a viewer refused on %s: %s", v->address,
			 fd >= FD_SETSIZE ? "too many open files for select()" : "too many viewers");
		close(fd);
		return;
	}
	rfbNewClient(v->screen, fd);
}

static void *display_thread(void *opaque)
{
	struct vnc *v = opaque;
	sigset_t pipe;

	/* libvncserver writes with write(): a viewer that went away is EPIPE here, never a
	 * SIGPIPE that would end the process if nobody ignored it. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	thread_started(THREAD_DISPLAY);
	for (;;) {
		struct pollfd pfd[2 + VNC_MAX_CLIENTS];
		rfbClientIteratorPtr it;
		rfbClientPtr cl;
		unsigned n = 2;
		bool stop;

		pfd[0] = (struct pollfd){ .fd = v->wake_display, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = v->listen_fd, .events = POLLIN };
		it = rfbGetClientIterator(v->screen);
		while ((cl = rfbClientIteratorNext(it)) && n < 2 + VNC_MAX_CLIENTS)
			if (cl->sock != RFB_INVALID_SOCKET)
				pfd[n++] = (struct pollfd){ .fd = cl->sock, .events = POLLIN };
		rfbReleaseClientIterator(it);
		if (poll(pfd, n, -1) < 0 && errno != EINTR) {
			log_error("VNC: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			uint64_t val;

			if (read(v->wake_display, &val, sizeof(val)) < 0 && errno != EAGAIN)
				log_warn("VNC: reading the wake-up: %s", strerror(errno));
		}
		pthread_mutex_lock(&v->lock);
		stop = v->stop;
		pthread_mutex_unlock(&v->lock);
		if (stop)
			break;
		take_pixels(v);
		if (pfd[1].revents)
			accept_client(v);
		/* Reads what viewers sent, sends what they asked for and changed. */
		rfbProcessEvents(v->screen, 0);
	}
	return NULL;
}

/* ---- set-up and teardown ---------------------------------------------------------- */

struct vnc *vnc_new(struct loop *loop, struct synth_video *video, struct input *in,
		    const struct vnc_config *cfg, char *err, size_t errlen)
{
	struct vnc *v = calloc(1, sizeof(*v));
	int r;

	if (!v) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	v->loop = loop;
	v->video = video;
	v->in = in;
	v->addr = cfg->addr;
	v->listen_fd = v->wake_display = v->wake_loop = -1;
	vnc_addr_format(&cfg->addr, v->address, sizeof(v->address));
	pthread_mutex_init(&v->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&v->refreshed, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (cfg->password_file && read_password(cfg->password_file, &v->passwords[0], err, errlen) < 0)
		goto fail;
	v->desktop = strdup(cfg->name ? cfg->name : "hvkvm");
	v->fb_w = v->sh_w = DEFAULT_W;
	v->fb_h = v->sh_h = DEFAULT_H;
	v->fb = calloc((size_t)DEFAULT_W * DEFAULT_H, 4);
	v->shadow = calloc((size_t)DEFAULT_W * DEFAULT_H, 4);
	v->wake_display = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->wake_loop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!v->desktop || !v->fb || !v->shadow || v->wake_display < 0 || v->wake_loop < 0) {
		snprintf(err, errlen, "%s", strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	r = vnc_listen(&cfg->addr, err, errlen);
	if (r < 0)
		goto fail;
	v->listen_fd = r;
	fcntl(v->listen_fd, F_SETFL, fcntl(v->listen_fd, F_GETFL) | O_NONBLOCK);

	rfbLog = rfb_log;
	rfbErr = rfb_log;
	v->screen = rfbGetScreen(NULL, NULL, DEFAULT_W, DEFAULT_H, 8, 3, 4);
	if (!v->screen) {
		snprintf(err, errlen, "cannot set up the RFB server");
		goto fail;
	}
	/* hvkvm listens and accepts itself: libvncserver's own listeners stay shut. */
	v->screen->port = 0;
	v->screen->ipv6port = 0;
	v->screen->autoPort = FALSE;
	v->screen->httpPort = 0;
	v->screen->httpDir = NULL;
	v->screen->frameBuffer = (char *)v->fb;
	v->screen->desktopName = v->desktop;
	v->screen->screenData = v;
	v->screen->alwaysShared = TRUE;
	v->screen->deferUpdateTime = 0;
	v->screen->deferPtrUpdateTime = 0;
	v->screen->kbdAddEvent = on_key;
	v->screen->ptrAddEvent = on_pointer;
	v->screen->newClientHook = on_new_client;
	v->screen->cursor = NULL;	/* the guest draws its own cursor unless it gives one */
	if (v->passwords[0]) {
		v->screen->authPasswdData = v->passwords;
		v->screen->passwordCheck = rfbCheckPasswordByList;
	}
	set_format(v);

	if (loop_add_fd(loop, v->wake_loop, EPOLLIN, on_wake_loop, v) < 0) {
		snprintf(err, errlen, "cannot watch its eventfd");
		goto fail;
	}
	display_set_listener(video, on_display_update, v);
	display_set_looking(video, vnc_looking);
	r = pthread_create(&v->thread, NULL, display_thread, v);
	if (r) {
		snprintf(err, errlen, "cannot start its thread: %s", strerror(r));
		display_set_listener(video, NULL, NULL);
		loop_del_fd(loop, v->wake_loop);
		goto fail;
	}
	v->thread_started = true;
	pthread_setname_np(v->thread, "hvkvm-vnc");	/* named from here: it may not open /proc */
	log_info("VNC: listening on %s%s", v->address, v->passwords[0] ? " (password)" : "");
	return v;
fail:
	vnc_free(v);
	return NULL;
}

void vnc_free(struct vnc *v)
{
	if (!v)
		return;
	if (v->thread_started) {
		display_set_listener(v->video, NULL, NULL);
		pthread_mutex_lock(&v->lock);
		v->stop = true;
		pthread_cond_broadcast(&v->refreshed);
		pthread_mutex_unlock(&v->lock);
		kick(v->wake_display);
		pthread_join(v->thread, NULL);
		loop_del_fd(v->loop, v->wake_loop);
	}
	if (v->screen) {
		rfbShutdownServer(v->screen, TRUE);
		v->screen->authPasswdData = NULL;
		rfbScreenCleanup(v->screen);
	}
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		if (v->addr.is_unix)
			unlink(v->addr.path);
	}
	if (v->wake_display >= 0)
		close(v->wake_display);
	if (v->wake_loop >= 0)
		close(v->wake_loop);
	if (v->passwords[0]) {
		explicit_bzero(v->passwords[0], strlen(v->passwords[0]));
		free(v->passwords[0]);
	}
	free(v->desktop);
	free(v->fb);
	free(v->shadow);
	pthread_cond_destroy(&v->refreshed);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void vnc_get_status(const struct vnc *v, struct vnc_status *st)
{
	struct vnc *m = (struct vnc *)v;

	memset(st, 0, sizeof(*st));
	snprintf(st->address, sizeof(st->address), "%s", v->address);
	st->clients = __atomic_load_n(&v->clients, __ATOMIC_ACQUIRE);
	st->rects_copied = v->rects_copied;
	st->bytes_copied = v->bytes_copied;
	st->input_events = v->input_events;
	pthread_mutex_lock(&m->lock);
	st->connections = v->connections;
	st->input_dropped = v->input_dropped;
	pthread_mutex_unlock(&m->lock);
}
