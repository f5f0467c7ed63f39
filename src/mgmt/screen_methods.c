/* SPDX-License-Identifier: MIT */
/* screen.screenshot and screen.info: the guest's screen on the synthetic video device,
 * read through synth_video.h as a remote display would. */
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "synth_video.h"
#include "synthvid_proto.h"
#include "vnc.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The largest PNG returned in the reply (base64 takes 4/3 of it); a larger one needs
 * a path. The reply limit is 512 KiB. */
#define MAX_INLINE_PNG	(256u << 10)
#define MAX_PATH_LEN	4096

/* An error's data: {errno: -r, path}. */
static struct json_object *path_errno_data(int r, const char *path)
{
	struct json_object *d = mgmt_errno_data(r);

	json_object_object_add(d, "path", json_object_new_string(path));
	return d;
}

/*
 * The screen as a PNG (8-bit RGB): XRGB8888 rows become BGR in a copy first, taken at
 * once so the guest drawing meanwhile tears at most one row. *out is malloc'd.
 */
static int screen_png_encode(const uint8_t *pixels, const struct display_mode *mode, void **out, size_t *outlen)
{
	png_image img = {
		.version = PNG_IMAGE_VERSION,
		.width = mode->width,
		.height = mode->height,
		.format = PNG_FORMAT_BGR,
	};
	size_t stride = (size_t)mode->width * 3, size = 0;
	uint8_t *bgr = malloc(stride * mode->height);
	void *png = NULL;

	*out = NULL;
	if (!bgr)
		return -ENOMEM;
	for (uint32_t y = 0; y < mode->height; y++) {
		const uint8_t *s = pixels + (size_t)y * mode->pitch;
		uint8_t *d = bgr + y * stride;

		for (uint32_t x = 0; x < mode->width; x++, s += 4, d += 3) {
			d[0] = s[0];
			d[1] = s[1];
			d[2] = s[2];
		}
	}
	/* Once for the size, once for the bytes. */
	if (!png_image_write_to_memory(&img, NULL, &size, 0, bgr, (png_int_32)stride, NULL) ||
	    !(png = malloc(size)) ||
	    !png_image_write_to_memory(&img, png, &size, 0, bgr, (png_int_32)stride, NULL)) {
		int err = png ? -EIO : (size ? -ENOMEM : -EIO);

		png_image_free(&img);
		free(png);
		free(bgr);
		return err;
	}
	free(bgr);
	*out = png;
	*outlen = size;
	return 0;
}

static char *base64(const uint8_t *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = 0;
	return s;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			close(fd);
			return err;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

static bool have_screen(struct mgmt_call *call, struct machine *m, const uint8_t **pixels,
			struct display_mode *mode)
{
	if (!mgmt_vm_alive(call, m->vm))
		return false;
	if (!m->video) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "no video device: the VM has no VMBus");
		return false;
	}
	*pixels = display_pixels(m->video, mode);
	if (!*pixels) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL,
			   "no screen: the guest's video driver (hyperv_drm) has not set a mode");
		return false;
	}
	return true;
}

static void screen_screenshot(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { "path", NULL };
	struct machine *m = opaque;
	const char *path = NULL;
	const uint8_t *pixels;
	struct display_mode mode;
	struct jsonrpc_error e;
	struct json_object *res;
	void *png;
	size_t len;
	int r;

	if (!mgmt_params_ok(call, params, known))
		return;
	if (jsonrpc_param_string(params, "path", false, MAX_PATH_LEN, &path, &e) < 0) {
		mgmt_fail(call, &e);
		return;
	}
	if (path && path[0] != '/') {
		mgmt_error(call, JSONRPC_INVALID_PARAMS, jsonrpc_param_data("path"),
			   "Invalid params: \"path\" must be absolute (hvkvm's working directory is not the caller's)");
		return;
	}
	if (!have_screen(call, m, &pixels, &mode))
		return;
	r = screen_png_encode(pixels, &mode, &png, &len);
	if (r < 0) {
		mgmt_error(call, MGMT_ERR_FAILED, mgmt_errno_data(r), "cannot encode the screen as PNG: %s",
			   strerror(-r));
		return;
	}
	res = json_object_new_object();
	json_object_object_add(res, "width", json_object_new_int((int)mode.width));
	json_object_object_add(res, "height", json_object_new_int((int)mode.height));
	json_object_object_add(res, "format", json_object_new_string("png"));
	json_object_object_add(res, "bytes", json_object_new_int64((int64_t)len));
	if (path) {
		r = write_file(path, png, len);
		if (r < 0) {
			json_object_put(res);
			free(png);
			mgmt_error(call, MGMT_ERR_FAILED, path_errno_data(r, path), "screen.screenshot: %s: %s", path,
				   strerror(-r));
			return;
		}
		json_object_object_add(res, "path", json_object_new_string(path));
	} else {
		char *b64;

		if (len > MAX_INLINE_PNG) {
			json_object_put(res);
			free(png);
			mgmt_error(call, MGMT_ERR_LIMIT, NULL,
				   "the PNG is %zu bytes, more than a reply carries (%u): give a path", len,
				   MAX_INLINE_PNG);
			return;
		}
		b64 = base64(png, len);
		if (!b64) {
			json_object_put(res);
			free(png);
			mgmt_error(call, MGMT_ERR_FAILED, mgmt_errno_data(-ENOMEM), "out of memory");
			return;
		}
		json_object_object_add(res, "data", json_object_new_string(b64));
		free(b64);
	}
	free(png);
	mgmt_reply(call, res);
}

static void screen_info(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	static const char *const known[] = { NULL };
	struct machine *m = opaque;
	struct display_status st;
	struct display_mode mode;
	struct display_pointer ptr;
	struct json_object *res, *jm, *jp;
	char ver[16], gpa[24];

	if (!mgmt_params_ok(call, params, known) || !mgmt_vm_alive(call, m->vm))
		return;
	if (!m->video) {
		mgmt_error(call, MGMT_ERR_NO_DEVICE, NULL, "no video device: the VM has no VMBus");
		return;
	}
	display_get_status(m->video, &st);
	display_get_mode(m->video, &mode);
	display_get_pointer(m->video, &ptr);
	res = json_object_new_object();
	json_object_object_add(res, "open", json_object_new_boolean(st.open));
	json_object_object_add(res, "connected", json_object_new_boolean(st.connected));
	if (st.connected) {
		snprintf(ver, sizeof(ver), "%u.%u", st.version & 0xffff, st.version >> 16);
		json_object_object_add(res, "version", json_object_new_string(ver));
	} else {
		json_object_object_add(res, "version", NULL);
	}
	json_object_object_add(res, "vram_size", json_object_new_int64((int64_t)st.vram_size));
	if (st.vram_mapped) {
		snprintf(gpa, sizeof(gpa), "0x%llx", (unsigned long long)st.vram_gpa);
		json_object_object_add(res, "vram_gpa", json_object_new_string(gpa));
	} else {
		json_object_object_add(res, "vram_gpa", NULL);
	}
	if (mode.active) {
		jm = json_object_new_object();
		json_object_object_add(jm, "width", json_object_new_int((int)mode.width));
		json_object_object_add(jm, "height", json_object_new_int((int)mode.height));
		json_object_object_add(jm, "pitch", json_object_new_int((int)mode.pitch));
		json_object_object_add(jm, "depth", json_object_new_int((int)mode.depth));
		json_object_object_add(res, "mode", jm);
	} else {
		json_object_object_add(res, "mode", NULL);
	}
	jp = json_object_new_object();
	json_object_object_add(jp, "visible", json_object_new_boolean(ptr.visible));
	json_object_object_add(jp, "x", json_object_new_int(ptr.x));
	json_object_object_add(jp, "y", json_object_new_int(ptr.y));
	json_object_object_add(jp, "width", json_object_new_int((int)ptr.width));
	json_object_object_add(jp, "height", json_object_new_int((int)ptr.height));
	json_object_object_add(res, "pointer", jp);
	json_object_object_add(res, "updates", json_object_new_int64((int64_t)st.updates));
	json_object_object_add(res, "mode_changes", json_object_new_int64((int64_t)st.mode_changes));
	/* Seconds since the guest last changed the screen (a rectangle or the mode). */
	if (st.last_update_ns)
		json_object_object_add(res, "last_update_age",
				       json_object_new_double((double)(loop_now_ns() - st.last_update_ns) / 1e9));
	else
		json_object_object_add(res, "last_update_age", NULL);
	json_object_object_add(res, "malformed", json_object_new_int64((int64_t)st.bad));
	mgmt_reply(call, res);
}

void mgmt_screen_devices(struct machine *m, struct json_object *devs)
{
	struct display_status st;
	struct display_mode mode;
	struct json_object *d;

	if (!m->video)
		return;
	display_get_status(m->video, &st);
	display_get_mode(m->video, &mode);
	d = mgmt_vmbus_device("video", "video", SYNTHVID_CLASS_ID, SYNTHVID_INSTANCE_ID, st.open);
	json_object_object_add(d, "connected", json_object_new_boolean(st.connected));
	json_object_object_add(d, "width", json_object_new_int(mode.active ? (int)mode.width : 0));
	json_object_object_add(d, "height", json_object_new_int(mode.active ? (int)mode.height : 0));
	json_object_object_add(d, "malformed", json_object_new_int64((int64_t)st.bad));
	json_object_array_add(devs, d);
}

struct json_object *mgmt_screen_vnc(struct machine *m)
{
	struct vnc_status st;
	struct json_object *o;

	if (!m->vnc)
		return NULL;
	vnc_get_status(m->vnc, &st);
	o = json_object_new_object();
	json_object_object_add(o, "address", json_object_new_string(st.address));
	json_object_object_add(o, "clients", json_object_new_int((int)st.clients));
	json_object_object_add(o, "connections", json_object_new_int64((int64_t)st.connections));
	json_object_object_add(o, "rects_copied", json_object_new_int64((int64_t)st.rects_copied));
	json_object_object_add(o, "bytes_copied", json_object_new_int64((int64_t)st.bytes_copied));
	json_object_object_add(o, "input_events", json_object_new_int64((int64_t)st.input_events));
	json_object_object_add(o, "input_dropped", json_object_new_int64((int64_t)st.input_dropped));
	return o;
}

int mgmt_screen_methods_register(struct mgmt *m, struct machine *machine)
{
	static const struct mgmt_method_def methods[] = {
		{ "screen.screenshot", screen_screenshot },
		{ "screen.info", screen_info },
	};

	return MGMT_REGISTER_TABLE(m, methods, machine);
}
