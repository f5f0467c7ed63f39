/* SPDX-License-Identifier: MIT */
#include "console.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define CONSOLE_TX_SIZE		(64 * 1024)
/* Busy above this, so a device that keeps writing a FIFO-load after seeing "busy"
 * still fits. */
#define CONSOLE_TX_HIGH		(CONSOLE_TX_SIZE - 4096)
/* Resume the device once the host has taken half: resuming at "not quite full"
 * would wake the guest for every few bytes the host drains. */
#define CONSOLE_TX_LOW		(CONSOLE_TX_SIZE / 2)
/* console_close gives a reader that stopped reading this long to catch up. */
#define CONSOLE_FLUSH_STALL_MS	2000

#define CONSOLE_ESC_CHAR	0x01	/* Ctrl-A */

enum console_out_mode {
	CONSOLE_OUT_PLAIN,	/* regular file: write() never waits for a reader */
	CONSOLE_OUT_NONBLOCK,	/* our own (or borrowed) O_NONBLOCK description */
	CONSOLE_OUT_SOCKET,	/* send(MSG_DONTWAIT): no flag change on a shared socket */
};

struct console {
	struct chardev chr;		/* what the device sees */
	struct loop *loop;
	void (*on_quit)(void *ctx);
	void *quit_ctx;
	unsigned flags;
	bool owns_tty;			/* console_open put stdin in raw mode */

	/* Output descriptor; fixed after open. */
	int out_fd;			/* -1: output is discarded */
	bool out_owned;			/* we opened it and close it */
	int out_restore_fd;		/* borrowed fd we set O_NONBLOCK on, or -1 */
	int out_restore_flags;		/* its original fcntl flags */
	enum console_out_mode out_mode;

	pthread_mutex_t lock;		/* protects the fields up to "loop thread only" */
	uint8_t *tx_buf;		/* ring of CONSOLE_TX_SIZE bytes */
	size_t tx_head;			/* next byte to write out */
	size_t tx_len;			/* bytes queued */
	bool tx_posted;			/* a drain is queued on the loop */
	bool tx_busy;			/* console_write said "busy"; tx_ready is owed */
	bool out_dead;			/* output failed: discard from now on */
	uint64_t tx_dropped;
	bool rx_resume_posted;

	/* Loop thread only. */
	const struct chardev_frontend *fe;
	void *fe_opaque;
	bool out_polling;		/* registered for EPOLLOUT */
	int in_fd;			/* -1: no input */
	bool in_pollable;		/* false for regular files and /dev/null */
	bool in_registered;		/* registered for EPOLLIN */
	bool in_stalled;		/* reading stopped until the frontend has room */
	bool in_eof;
	bool esc_pending;		/* saw Ctrl-A, waiting for the command */
};

/*
 * Terminal state shared with signal handlers, hence file-scope and accessed with
 * atomics only: there is one stdin to put into raw mode.
 */
static struct termios console_saved_tios;
static int console_tty_fd = -1;
static int console_tty_raw;		/* 1 while console_saved_tios must be restored */
static int console_nonblock_fd = -1;	/* borrowed fd we set O_NONBLOCK on */
static int console_nonblock_flags;

static const int console_fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGBUS, SIGSEGV, SIGTERM,
};
#define CONSOLE_NSIG (sizeof(console_fatal_signals) / sizeof(console_fatal_signals[0]))
static bool console_sig_installed[CONSOLE_NSIG];

void console_restore_terminal(void)
{
	int fd;

	if (__atomic_exchange_n(&console_tty_raw, 0, __ATOMIC_ACQ_REL))
		tcsetattr(console_tty_fd, TCSANOW, &console_saved_tios);
	/* Leaving O_NONBLOCK on a description the shell shares breaks the shell. */
	fd = __atomic_exchange_n(&console_nonblock_fd, -1, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		fcntl(fd, F_SETFL, console_nonblock_flags);
}

static void console_fatal_signal(int sig)
{
	int saved_errno = errno;

	console_restore_terminal();
	/* SA_RESETHAND put back SIG_DFL and SA_NODEFER lets it act now. */
	raise(sig);
	errno = saved_errno;
}

static void console_install_signals(void)
{
	static bool atexit_done;

	if (!atexit_done) {
		atexit(console_restore_terminal);
		atexit_done = true;
	}
	for (unsigned i = 0; i < CONSOLE_NSIG; i++) {
		struct sigaction old, sa = {
			.sa_handler = console_fatal_signal,
			.sa_flags = SA_RESETHAND | SA_NODEFER,
		};

		/* Someone (main, a sanitizer) already handles it: leave theirs alone. */
		if (sigaction(console_fatal_signals[i], NULL, &old) < 0 ||
		    (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		sigemptyset(&sa.sa_mask);
		if (sigaction(console_fatal_signals[i], &sa, NULL) == 0)
			console_sig_installed[i] = true;
	}
}

static void console_uninstall_signals(void)
{
	for (unsigned i = 0; i < CONSOLE_NSIG; i++) {
		struct sigaction cur;

		if (!console_sig_installed[i])
			continue;
		console_sig_installed[i] = false;
		if (sigaction(console_fatal_signals[i], NULL, &cur) == 0 &&
		    !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == console_fatal_signal)
			signal(console_fatal_signals[i], SIG_DFL);
	}
}

static int console_make_raw(int fd)
{
	struct termios raw;

	if (tcgetattr(fd, &console_saved_tios) < 0)
		return -errno;
	raw = console_saved_tios;
	/* No echo, no line editing, no signals from Ctrl-C/Ctrl-Z, no CR/NL mapping in
	 * either direction: the guest's own tty layer does all of that. */
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return -errno;
	console_tty_fd = fd;
	__atomic_store_n(&console_tty_raw, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static ssize_t console_out_write(struct console *c, const void *buf, size_t len)
{
	ssize_t n;

	do {
		if (c->out_mode == CONSOLE_OUT_SOCKET)
			n = send(c->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(c->out_fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return n;
}

static void console_out_event(void *opaque, uint32_t events);

/*
 * Loop thread. Write out what is queued until done or the descriptor is full; in
 * the latter case wait for EPOLLOUT. Returns true if anything was written.
 */
static bool console_drain(struct console *c)
{
	bool progress = false, notify = false, want_poll;

	pthread_mutex_lock(&c->lock);
	c->tx_posted = false;
	while (c->tx_len && !c->out_dead) {
		size_t seg = CONSOLE_TX_SIZE - c->tx_head;
		const uint8_t *p = c->tx_buf + c->tx_head;
		ssize_t n;

		if (seg > c->tx_len)
			seg = c->tx_len;
		/* The producers only append past tx_head + tx_len, so the segment stays
		 * ours while unlocked. */
		pthread_mutex_unlock(&c->lock);
		n = console_out_write(c, p, seg);
		pthread_mutex_lock(&c->lock);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			log_warn("serial console: writing output: %s; discarding further output",
				 n < 0 ? strerror(errno) : "wrote nothing");
			c->out_dead = true;
			c->tx_len = 0;
			break;
		}
		c->tx_head = (c->tx_head + (size_t)n) % CONSOLE_TX_SIZE;
		c->tx_len -= (size_t)n;
		progress = true;
	}
	if (c->tx_busy && (c->tx_len <= CONSOLE_TX_LOW || c->out_dead)) {
		c->tx_busy = false;
		notify = true;
	}
	want_poll = c->tx_len > 0 && !c->out_dead;
	pthread_mutex_unlock(&c->lock);

	if (want_poll && !c->out_polling) {
		int r = loop_add_fd(c->loop, c->out_fd, EPOLLOUT, console_out_event, c);

		if (r < 0) {
			log_warn("serial console: cannot poll output: %s; discarding output",
				 strerror(-r));
			pthread_mutex_lock(&c->lock);
			c->out_dead = true;
			c->tx_len = 0;
			notify |= c->tx_busy;
			c->tx_busy = false;
			pthread_mutex_unlock(&c->lock);
		} else {
			c->out_polling = true;
		}
	} else if (!want_poll && c->out_polling) {
		loop_del_fd(c->loop, c->out_fd);
		c->out_polling = false;
	}
	if (notify && c->fe && c->fe->tx_ready)
		c->fe->tx_ready(c->fe_opaque);
	return progress;
}

static void console_out_event(void *opaque, uint32_t events)
{
	(void)events;	/* errors surface from write() */
	console_drain(opaque);
}

static void console_drain_work(void *opaque)
{
	console_drain(opaque);
}

bool console_write(struct console *c, const void *buf, size_t len)
{
	size_t room, n, tail, first;
	bool post, ok;

	if (!c || c->out_fd < 0)
		return true;
	pthread_mutex_lock(&c->lock);
	if (c->out_dead) {
		pthread_mutex_unlock(&c->lock);
		return true;
	}
	room = CONSOLE_TX_SIZE - c->tx_len;
	n = len < room ? len : room;
	if (n < len) {
		if (c->tx_dropped == 0)
			log_warn("serial console: output buffer full, dropping output");
		c->tx_dropped += len - n;
	}
	tail = (c->tx_head + c->tx_len) % CONSOLE_TX_SIZE;
	first = CONSOLE_TX_SIZE - tail < n ? CONSOLE_TX_SIZE - tail : n;
	memcpy(c->tx_buf + tail, buf, first);
	memcpy(c->tx_buf, (const uint8_t *)buf + first, n - first);
	/* Wake the loop only on empty -> non-empty: otherwise a drain is queued,
	 * running (it loops until empty) or waiting for EPOLLOUT. */
	post = c->tx_len == 0 && n > 0 && !c->tx_posted;
	c->tx_len += n;
	if (post)
		c->tx_posted = true;
	ok = c->tx_len < CONSOLE_TX_HIGH;
	if (!ok)
		c->tx_busy = true;
	pthread_mutex_unlock(&c->lock);
	if (post && loop_post(c->loop, console_drain_work, c) < 0) {
		pthread_mutex_lock(&c->lock);
		c->tx_posted = false;
		pthread_mutex_unlock(&c->lock);
	}
	return ok;
}

static void console_flush_fn(void *opaque)
{
	struct console *c = opaque;
	uint64_t stalled_since = loop_now_ns();

	if (c->out_fd < 0)
		return;
	for (;;) {
		struct pollfd pfd = { .fd = c->out_fd, .events = POLLOUT };
		size_t left;

		if (console_drain(c))
			stalled_since = loop_now_ns();
		pthread_mutex_lock(&c->lock);
		left = c->tx_len;
		pthread_mutex_unlock(&c->lock);
		if (!left)
			break;
		if (loop_now_ns() - stalled_since > CONSOLE_FLUSH_STALL_MS * 1000000ull) {
			log_warn("serial console: output not draining; dropping %zu bytes", left);
			pthread_mutex_lock(&c->lock);
			c->tx_len = 0;
			pthread_mutex_unlock(&c->lock);
			console_drain(c);	/* deregisters, answers a pending tx_ready */
			break;
		}
		poll(&pfd, 1, 100);
	}
}

void console_flush(struct console *c)
{
	if (c)
		loop_call(c->loop, console_flush_fn, c);
}

/* ---- input ----------------------------------------------------------------- */

static void console_rx_event(void *opaque, uint32_t events);

static void console_rx_unregister(struct console *c)
{
	if (c->in_registered) {
		loop_del_fd(c->loop, c->in_fd);
		c->in_registered = false;
	}
}

static void console_rx_stop(struct console *c)
{
	console_rx_unregister(c);
	c->in_eof = true;
}

static void console_print_help(void)
{
	static const char help[] =
		"\r\n"
		"hvkvm serial console escapes:\r\n"
		"  C-a h    print this help\r\n"
		"  C-a x    stop the VM and exit\r\n"
		"  C-a b    send a break (magic SysRq in Linux guests)\r\n"
		"  C-a C-a  send C-a to the guest\r\n";
	ssize_t r = write(STDERR_FILENO, help, sizeof(help) - 1);

	(void)r;
}

/*
 * Turn the bytes read into what the guest gets, acting on escapes. Escapes never
 * produce more bytes than they consume, so the result fits the frontend's room.
 */
static void console_rx_deliver(struct console *c, const uint8_t *in, size_t n)
{
	uint8_t out[4096];
	size_t m = 0;

	if (!(c->flags & CONSOLE_ESCAPES)) {
		c->fe->rx_push(c->fe_opaque, in, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = in[i];

		if (!c->esc_pending) {
			if (ch == CONSOLE_ESC_CHAR)
				c->esc_pending = true;
			else
				out[m++] = ch;
			continue;
		}
		c->esc_pending = false;
		switch (ch) {
		case CONSOLE_ESC_CHAR:
			out[m++] = ch;
			break;
		case 'x':
		case 'X':
			if (c->on_quit)
				c->on_quit(c->quit_ctx);
			break;
		case 'h':
		case 'H':
		case '?':
			console_print_help();
			break;
		case 'b':
		case 'B':
			/* Keep the order of what was typed around the break. */
			if (m)
				c->fe->rx_push(c->fe_opaque, out, m);
			m = 0;
			if (c->fe->rx_break)
				c->fe->rx_break(c->fe_opaque);
			break;
		default:
			break;	/* unknown escapes are swallowed, as in QEMU */
		}
	}
	if (m)
		c->fe->rx_push(c->fe_opaque, out, m);
}

static void console_rx_pump(struct console *c)
{
	uint8_t buf[4096];

	while (!c->in_eof) {
		size_t room = c->fe ? c->fe->rx_room(c->fe_opaque) : 0;
		ssize_t n;

		if (room == 0) {
			/* Leave the rest in the pipe or tty: that is the flow control. */
			console_rx_unregister(c);
			c->in_stalled = true;
			return;
		}
		if (room > sizeof(buf))
			room = sizeof(buf);
		n = read(c->in_fd, buf, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			log_warn("serial console: reading input: %s; input stopped",
				 strerror(errno));
			console_rx_stop(c);
			return;
		}
		if (n == 0) {
			console_rx_stop(c);
			return;
		}
		console_rx_deliver(c, buf, (size_t)n);
		/* A blocking descriptor is read again only when epoll says it is ready;
		 * a regular file never blocks, so keep going until the device is full. */
		if (c->in_pollable)
			return;
	}
}

static void console_rx_event(void *opaque, uint32_t events)
{
	(void)events;	/* EPOLLHUP/EPOLLERR show up as EOF or an error from read() */
	console_rx_pump(opaque);
}

/* Loop thread: start reading again if we had stopped. */
static void console_rx_resume(struct console *c)
{
	int r;

	if (c->in_fd < 0 || c->in_eof || !c->in_stalled || !c->fe)
		return;
	c->in_stalled = false;
	if (c->in_pollable) {
		r = loop_add_fd(c->loop, c->in_fd, EPOLLIN, console_rx_event, c);
		if (r == 0) {
			c->in_registered = true;
			return;
		}
		if (r != -EPERM) {
			log_warn("serial console: cannot poll input: %s; input stopped",
				 strerror(-r));
			c->in_eof = true;
			return;
		}
		c->in_pollable = false;	/* regular file or /dev/null: always "ready" */
	}
	console_rx_pump(c);
}

static void console_rx_resume_work(void *opaque)
{
	struct console *c = opaque;

	pthread_mutex_lock(&c->lock);
	c->rx_resume_posted = false;
	pthread_mutex_unlock(&c->lock);
	console_rx_resume(c);
}

void console_rx_ready(struct console *c)
{
	bool post;

	if (!c || c->in_fd < 0)
		return;
	/* Always go through the loop, even if we look not stalled yet: the loop thread
	 * may be about to stall, and this work item runs after it has. */
	pthread_mutex_lock(&c->lock);
	post = !c->rx_resume_posted;
	c->rx_resume_posted = true;
	pthread_mutex_unlock(&c->lock);
	if (post && loop_post(c->loop, console_rx_resume_work, c) < 0) {
		pthread_mutex_lock(&c->lock);
		c->rx_resume_posted = false;
		pthread_mutex_unlock(&c->lock);
	}
}

struct console_attach_args {
	struct console *c;
	const struct chardev_frontend *fe;
	void *opaque;
};

static void console_attach_fn(void *opaque)
{
	struct console_attach_args *a = opaque;
	struct console *c = a->c;

	c->fe = a->fe;
	c->fe_opaque = a->opaque;
	if (c->fe) {
		console_rx_resume(c);
	} else if (c->in_fd >= 0 && !c->in_eof) {
		console_rx_unregister(c);
		c->in_stalled = true;
	}
}

void console_attach(struct console *c, const struct chardev_frontend *fe, void *opaque)
{
	struct console_attach_args a = { c, fe, opaque };

	if (c)
		loop_call(c->loop, console_attach_fn, &a);
}

/* ---- open / close ---------------------------------------------------------- */

/*
 * Find a way to write out_fd without blocking that does not change a file
 * description we share with other processes (O_NONBLOCK on a shell's tty breaks
 * the shell): regular files need nothing, sockets take MSG_DONTWAIT, anything else
 * is reopened through /proc to get a description of our own.
 */
static int console_setup_out(struct console *c, int fd, bool own_description)
{
	struct stat st;
	char path[64];
	int nfd, fl;

	c->out_fd = fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		c->out_mode = CONSOLE_OUT_PLAIN;
		return 0;
	}
	if (S_ISSOCK(st.st_mode)) {
		c->out_mode = CONSOLE_OUT_SOCKET;
		return 0;
	}
	c->out_mode = CONSOLE_OUT_NONBLOCK;
	if (own_description)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0) {
		c->out_fd = nfd;
		c->out_owned = true;
		return 0;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
		c->out_restore_fd = fd;
		c->out_restore_flags = fl;
		console_nonblock_flags = fl;
		__atomic_store_n(&console_nonblock_fd, fd, __ATOMIC_RELEASE);
	}
	return 0;
}

/* ---- the character back end -------------------------------------------------- */

static struct console *chr_console(struct chardev *chr)
{
	return (struct console *)((char *)chr - offsetof(struct console, chr));
}

static void chr_attach(struct chardev *chr, const struct chardev_frontend *fe, void *opaque)
{
	console_attach(chr_console(chr), fe, opaque);
}

static bool chr_write(struct chardev *chr, const void *buf, size_t len)
{
	return console_write(chr_console(chr), buf, len);
}

static void chr_rx_ready(struct chardev *chr)
{
	console_rx_ready(chr_console(chr));
}

static void chr_flush(struct chardev *chr)
{
	console_flush(chr_console(chr));
}

static const struct chardev_ops console_chardev_ops = {
	.attach = chr_attach,
	.write = chr_write,
	.rx_ready = chr_rx_ready,
	.flush = chr_flush,
};

struct chardev *console_chardev(struct console *c)
{
	return c ? &c->chr : NULL;
}

static int console_alloc(struct console **out, struct loop *loop, unsigned flags,
			 void (*on_quit)(void *ctx), void *ctx)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->chr.ops = &console_chardev_ops;
	c->tx_buf = malloc(CONSOLE_TX_SIZE);
	if (!c->tx_buf) {
		free(c);
		return -ENOMEM;
	}
	c->loop = loop;
	c->flags = flags;
	c->on_quit = on_quit;
	c->quit_ctx = ctx;
	c->out_fd = -1;
	c->in_fd = -1;
	c->out_restore_fd = -1;
	c->in_pollable = true;
	c->in_stalled = true;	/* until a frontend attaches */
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

static void console_free(struct console *c)
{
	if (c->out_restore_fd >= 0) {
		int fd = c->out_restore_fd;

		/* Only undo it if a signal-time restore has not already done so. */
		if (__atomic_compare_exchange_n(&console_nonblock_fd, &fd, -1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			fcntl(c->out_restore_fd, F_SETFL, c->out_restore_flags);
	}
	if (c->out_owned && c->out_fd >= 0)
		close(c->out_fd);
	pthread_mutex_destroy(&c->lock);
	free(c->tx_buf);
	free(c);
}

int console_open_fds(struct console **out, struct loop *loop, int in_fd, int out_fd,
		     unsigned flags, void (*on_quit)(void *ctx), void *ctx)
{
	struct console *c;
	int r;

	r = console_alloc(&c, loop, flags, on_quit, ctx);
	if (r < 0)
		return r;
	c->in_fd = in_fd;
	if (out_fd >= 0) {
		r = console_setup_out(c, out_fd, false);
		/* The loop keys sources by descriptor: one for EPOLLIN, one for EPOLLOUT. */
		if (r == 0 && c->out_fd == in_fd) {
			c->out_fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 0);
			r = c->out_fd < 0 ? -errno : 0;
			c->out_owned = c->out_fd >= 0;
		}
		if (r < 0) {
			console_free(c);
			return r;
		}
	}
	*out = c;
	return 0;
}

int console_parse_kind(const char *s, enum console_kind *kind, const char **path)
{
	*path = NULL;
	if (!strcmp(s, "stdio")) {
		*kind = CONSOLE_STDIO;
	} else if (!strcmp(s, "none")) {
		*kind = CONSOLE_NONE;
	} else if (!strncmp(s, "file:", 5) && s[5]) {
		*kind = CONSOLE_FILE;
		*path = s + 5;
	} else {
		return -EINVAL;
	}
	return 0;
}

int console_open(struct console **out, struct loop *loop, enum console_kind kind,
		 const char *path, void (*on_quit)(void *ctx), void *ctx)
{
	struct console *c = NULL;
	bool tty;
	int fd, r;

	switch (kind) {
	case CONSOLE_NONE:
		return console_alloc(out, loop, 0, on_quit, ctx);
	case CONSOLE_FILE:
		if (!path || !*path)
			return -EINVAL;
		/* O_NONBLOCK: a FIFO without a reader fails now (ENXIO) instead of
		 * hanging start-up, and a slow one is drained by the loop. */
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			  0644);
		if (fd < 0)
			return -errno;
		r = console_alloc(&c, loop, 0, on_quit, ctx);
		if (r == 0)
			r = console_setup_out(c, fd, true);
		if (r < 0) {
			if (c)
				console_free(c);
			close(fd);
			return r;
		}
		c->out_owned = true;
		*out = c;
		return 0;
	case CONSOLE_STDIO:
		break;
	default:
		return -EINVAL;
	}

	tty = isatty(STDIN_FILENO);
	r = console_open_fds(&c, loop, STDIN_FILENO, STDOUT_FILENO,
			     tty ? CONSOLE_ESCAPES : 0, on_quit, ctx);
	if (r < 0)
		return r;
	if (tty && !__atomic_load_n(&console_tty_raw, __ATOMIC_ACQUIRE)) {
		r = console_make_raw(STDIN_FILENO);
		if (r < 0) {
			console_free(c);
			return r;
		}
		c->owns_tty = true;
		console_install_signals();
	}
	*out = c;
	return 0;
}

static void console_close_fn(void *opaque)
{
	struct console *c = opaque;

	c->fe = NULL;
	console_rx_unregister(c);
	c->in_eof = true;
	console_flush_fn(c);
	if (c->out_polling) {
		loop_del_fd(c->loop, c->out_fd);
		c->out_polling = false;
	}
}

void console_close(struct console *c)
{
	if (!c)
		return;
	loop_call(c->loop, console_close_fn, c);
	if (c->owns_tty) {
		console_restore_terminal();
		console_uninstall_signals();
	}
	console_free(c);
}
