/* SPDX-License-Identifier: MIT */
/*
 * A VNC server (RFB, with libvncserver): the guest's screen, keyboard and mouse for
 * remote viewers. It reads the screen through the display half of synth_video.h and
 * types and points through input.h, like any other front end.
 *
 * Threads: libvncserver runs on a display thread of its own (THREAD_DISPLAY), so a
 * slow or stalled viewer never holds up the event loop. The two sides share only
 * what struct vnc says beside each field:
 *  - pixels: the loop thread copies each rectangle the guest reports from VRAM into
 *    a shadow buffer (the device's pixel pointer is valid only on the loop thread),
 *    the display thread copies it on into libvncserver's framebuffer, which it then
 *    encodes for viewers; both copies take the same mutex for a memcpy and never
 *    across network I/O. With no viewer connected nothing is copied.
 *  - input: the display thread queues keys and pointer moves (bounded) and wakes
 *    the loop through an eventfd; the loop feeds them to input.h.
 */
#ifndef HVKVM_VNC_H
#define HVKVM_VNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct synth_video;
struct input;
struct vnc;

#define VNC_MAX_CLIENTS		16
#define VNC_EVENT_QUEUE		512	/* input events waiting for the loop */
#define VNC_PASSWORD_MAX	8	/* VNC authentication's DES key: longer ones are cut */
#define VNC_UNIX_PATH_MAX	107

/* Where the server listens: "unix:PATH", or "HOST:PORT" with HOST an IPv4 address,
 * an IPv6 address in brackets or "localhost", or ":PORT" for 127.0.0.1. */
struct vnc_addr {
	bool is_unix;
	char path[VNC_UNIX_PATH_MAX + 1];	/* is_unix */
	char host[48];				/* numeric, without brackets */
	int family;				/* AF_INET, AF_INET6 */
	uint16_t port;
	bool loopback;				/* a Unix socket, or 127/8, ::1 */
};

/* NULL if s is a valid address (stored in *a), else the rule as a phrase. */
const char *vnc_addr_parse(const char *s, struct vnc_addr *a);
/* "unix:/run/x.sock", "127.0.0.1:5901", "[::1]:5901" */
void vnc_addr_format(const struct vnc_addr *a, char *buf, size_t len);

struct vnc_config {
	struct vnc_addr addr;
	const char *password_file;	/* NULL: no authentication */
	const char *name;		/* the desktop's name viewers show; NULL: "hvkvm" */
};

/*
 * Read the password, listen, and start the display thread. The loop thread owns the
 * result; video and in stay the caller's and must outlive it. NULL with a message in
 * err that does not name the option (the caller does).
 */
struct vnc *vnc_new(struct loop *loop, struct synth_video *video, struct input *in,
		    const struct vnc_config *cfg, char *err, size_t errlen);
/* Stops the thread, disconnects the viewers and closes the socket (a Unix socket's
 * file is removed). On the loop thread, or once the loop has stopped. */
void vnc_free(struct vnc *v);

struct vnc_status {
	char address[VNC_UNIX_PATH_MAX + 8];
	unsigned clients;
	uint64_t connections;		/* viewers accepted since start */
	uint64_t rects_copied;		/* rectangles copied from VRAM (loop thread) */
	uint64_t bytes_copied;
	uint64_t input_events;		/* keys and pointer moves handed to input.h */
	uint64_t input_dropped;		/* lost to a full queue */
};
/* On the loop thread. */
void vnc_get_status(const struct vnc *v, struct vnc_status *st);

#endif
