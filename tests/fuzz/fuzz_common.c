/* SPDX-License-Identifier: MIT */
#include "fuzz.h"
#include "config.h"
#include "vmbus_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

/* The shared guest's checks fail as FZ_CHECK does: the input is recorded as a crash. */
void vg_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	dprintf(2, "fuzz check failed at %s:%d: %s: ", file, line, cond);
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	abort();
}

void fuzz_guest_init(struct vg *g, uint64_t ram, unsigned nvp)
{
	struct vg_config cfg = { .ram = ram, .nvp = nvp, .mode = VG_PUMPED };

	memset(cfg.sint_vector, VG_SINT_VECTOR, sizeof(cfg.sint_vector));
	vg_init_with(g, &cfg);
}

void fuzz_guest_connect(struct vg *g)
{
	struct vmbus_msg_header m = { .msgtype = CHANNELMSG_REQUESTOFFERS };

	vg_contact(g, VMBUS_VERSION_WIN10_V5_3, 0, VMBUS_MESSAGE_SINT);
	vg_settle(g);
	vg_post_raw(g, 0, g->msg_conn, &m, sizeof(m));
	vg_settle(g);
}

void fuzz_ring_ctl(struct vg_chan *c, struct fz *in)
{
	uint8_t field = fz_u8(in);
	uint32_t val = fz_u32(in);
	struct vmbus_ring_control *ctl;

	if (!c->open)
		return;
	ctl = field & 4 ? c->dn_ctl : c->up_ctl;
	switch (field & 3) {
	case 0: __atomic_store_n(&ctl->write_index, val, __ATOMIC_RELEASE); break;
	case 1: __atomic_store_n(&ctl->read_index, val, __ATOMIC_RELEASE); break;
	case 2: __atomic_store_n(&ctl->interrupt_mask, val, __ATOMIC_RELEASE); break;
	case 3: __atomic_store_n(&ctl->pending_send_sz, val, __ATOMIC_RELEASE); break;
	}
	vg_signal_conn(c->g, c->conn_id, false);
}

void fuzz_quiet_logs(void)
{
	static bool done;
	FILE *null;

	if (done || getenv("HVKVM_FUZZ_LOG"))
		return;
	done = true;
	/* log.c writes to the stdio stream stderr; libFuzzer and the sanitizers write to
	 * file descriptor 2, which stays. */
	null = fopen("/dev/null", "we");
	if (null)
		stderr = null;
}

int fuzz_temp_file(uint64_t bytes, char *path, size_t pathlen)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, pathlen, "%s/hvkvm-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, (off_t)bytes) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

static char *print(const struct vm_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FZ_CHECK(f, "open_memstream");
	FZ_CHECK(config_print_json(cfg, f) == 0, "config_print_json");
	fclose(f);
	return buf;
}

void fuzz_config_roundtrip(const struct vm_config *cfg)
{
	struct vm_config again;
	char err[512];
	size_t len, len2;
	char *text = print(cfg, &len), *text2;

	config_init(&again);
	FZ_CHECK(config_load_json(&again, "printed.json", text, len, err, sizeof(err)) == 0,
		 "--print-config wrote a file --config refuses: %s\n%s", err, text);
	FZ_CHECK(config_finish(&again, err, sizeof(err)) == 0, "config_finish: %s", err);
	text2 = print(&again, &len2);
	FZ_CHECK(len == len2 && !memcmp(text, text2, len), "the printed file loads differently:\n%s\n%s", text, text2);
	free(text);
	free(text2);
	config_free(&again);
}
