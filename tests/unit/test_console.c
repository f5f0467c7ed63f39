/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "console.h"
#include "loop.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- a frontend that stands in for the UART -------------------------------- */

struct fe_mock {
	pthread_mutex_t m;
	uint8_t buf[256 * 1024];
	size_t len;		/* bytes received */
	size_t consumed;	/* of those, taken by the "guest" */
	size_t limit;		/* room = limit - unconsumed */
	int room_calls, room_zero;
	int breaks;
	size_t break_at;
	int tx_ready;
};

static struct fe_mock fe;
static int quits;

static size_t mock_rx_room(void *opaque)
{
	struct fe_mock *f = opaque;
	size_t room;

	pthread_mutex_lock(&f->m);
	room = f->limit - (f->len - f->consumed);
	f->room_calls++;
	if (!room)
		f->room_zero++;
	pthread_mutex_unlock(&f->m);
	return room;
}

static void mock_rx_push(void *opaque, const uint8_t *buf, size_t len)
{
	struct fe_mock *f = opaque;

	pthread_mutex_lock(&f->m);
	ck_assert_uint_le(len, f->limit - (f->len - f->consumed));
	ck_assert_uint_le(f->len + len, sizeof(f->buf));
	memcpy(f->buf + f->len, buf, len);
	f->len += len;
	pthread_mutex_unlock(&f->m);
}

static void mock_rx_break(void *opaque)
{
	struct fe_mock *f = opaque;

	pthread_mutex_lock(&f->m);
	f->breaks++;
	f->break_at = f->len;
	pthread_mutex_unlock(&f->m);
}

static void mock_tx_ready(void *opaque)
{
	struct fe_mock *f = opaque;

	pthread_mutex_lock(&f->m);
	f->tx_ready++;
	pthread_mutex_unlock(&f->m);
}

static const struct chardev_frontend mock_ops = {
	.rx_room = mock_rx_room,
	.rx_push = mock_rx_push,
	.rx_break = mock_rx_break,
	.tx_ready = mock_tx_ready,
};

static size_t fe_len(void)
{
	size_t n;

	pthread_mutex_lock(&fe.m);
	n = fe.len;
	pthread_mutex_unlock(&fe.m);
	return n;
}

static int fe_get(int *field)
{
	int v;

	pthread_mutex_lock(&fe.m);
	v = *field;
	pthread_mutex_unlock(&fe.m);
	return v;
}

static void on_quit(void *ctx)
{
	(void)ctx;
	__atomic_add_fetch(&quits, 1, __ATOMIC_SEQ_CST);
}

static int quit_count(void)
{
	return __atomic_load_n(&quits, __ATOMIC_SEQ_CST);
}

/* ---- loop thread ----------------------------------------------------------- */

static struct loop *loop;
static struct test_loop loop_thread;

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&fe.m, NULL);
	fe.len = fe.consumed = 0;
	fe.limit = sizeof(fe.buf);
	fe.room_calls = fe.room_zero = fe.breaks = fe.tx_ready = 0;
	quits = 0;
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	loop_thread = (struct test_loop){ .loop = loop };
}

static void teardown(void)
{
	test_loop_stop(&loop_thread);
	loop_free(loop);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 13 + i / 241);
}

/* ---- tests ----------------------------------------------------------------- */

/* Bytes in the pipe the console reads that it has not read yet. */
static int unread(int fd)
{
	int n = -1;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

START_TEST(test_parse_kind)
{
	enum console_kind k;
	const char *path;

	ck_assert_int_eq(console_parse_kind("stdio", &k, &path), 0);
	ck_assert_int_eq(k, CONSOLE_STDIO);
	ck_assert_int_eq(console_parse_kind("none", &k, &path), 0);
	ck_assert_int_eq(k, CONSOLE_NONE);
	ck_assert_int_eq(console_parse_kind("file:/tmp/x.log", &k, &path), 0);
	ck_assert_int_eq(k, CONSOLE_FILE);
	ck_assert_str_eq(path, "/tmp/x.log");
	ck_assert_int_eq(console_parse_kind("file:", &k, &path), -EINVAL);
	ck_assert_int_eq(console_parse_kind("tcp:1234", &k, &path), -EINVAL);
}
END_TEST

START_TEST(test_escapes)
{
	static const char in[] = "a\x01\x01" "b\x01xc\x01" "bd\x01zE";
	struct console *c;
	int p[2], errp[2], saved_err;
	char help[512] = { 0 };

	ck_assert_int_eq(pipe(p), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, p[0], -1, CONSOLE_ESCAPES, on_quit, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	ck_assert_int_eq(write(p[1], in, sizeof(in) - 1), (ssize_t)sizeof(in) - 1);
	ck_assert(WAIT_UNTIL(fe_len() == 6, 2000));
	ck_assert_mem_eq(fe.buf, "a\x01" "bcdE", 6);	/* unknown "C-a z" swallowed */
	usleep(10000);
	ck_assert_uint_eq(fe_len(), 6);
	ck_assert_int_eq(quit_count(), 1);
	ck_assert_int_eq(fe_get(&fe.breaks), 1);
	ck_assert_uint_eq(fe.break_at, 4);	/* after "a\x01bc", before "d" */

	/* an escape split across reads, and the help text on stderr */
	ck_assert_int_eq(pipe2(errp, O_NONBLOCK), 0);
	saved_err = dup(STDERR_FILENO);
	dup2(errp[1], STDERR_FILENO);
	ck_assert_int_eq(write(p[1], "\x01", 1), 1);
	ck_assert(WAIT_UNTIL(unread(p[0]) == 0, 10000));	/* read alone */
	ck_assert_int_eq(write(p[1], "h", 1), 1);
	ck_assert(WAIT_UNTIL(read(errp[0], help, sizeof(help) - 1) > 0, 2000));
	dup2(saved_err, STDERR_FILENO);
	close(saved_err);
	ck_assert_ptr_nonnull(strstr(help, "C-a x"));
	ck_assert_ptr_nonnull(strstr(help, "\r\n"));
	ck_assert_int_eq(write(p[1], "\x01", 1), 1);
	ck_assert(WAIT_UNTIL(unread(p[0]) == 0, 10000));
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert(WAIT_UNTIL(quit_count() == 2, 2000));
	ck_assert_uint_eq(fe_len(), 6);

	console_close(c);
	close(p[0]);
	close(p[1]);
	close(errp[0]);
	close(errp[1]);
}
END_TEST

START_TEST(test_no_escapes_without_flag)
{
	static const char in[] = "a\x01x\x01\x01" "b";
	struct console *c;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, p[0], -1, 0, on_quit, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	ck_assert_int_eq(write(p[1], in, sizeof(in) - 1), (ssize_t)sizeof(in) - 1);
	ck_assert(WAIT_UNTIL(fe_len() == sizeof(in) - 1, 2000));
	ck_assert_mem_eq(fe.buf, in, sizeof(in) - 1);
	ck_assert_int_eq(quit_count(), 0);
	console_close(c);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_eof_stops_input)
{
	struct console *c;
	int p[2], calls;

	ck_assert_int_eq(pipe(p), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, p[0], -1, 0, NULL, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	ck_assert_int_eq(write(p[1], "hi", 2), 2);
	close(p[1]);
	ck_assert(WAIT_UNTIL(fe_len() == 2, 2000));
	usleep(20000);
	calls = fe_get(&fe.room_calls);
	usleep(50000);
	ck_assert_int_eq(fe_get(&fe.room_calls), calls);	/* not spinning on EOF/HUP */
	console_rx_ready(c);		/* harmless after EOF */
	usleep(10000);
	console_close(c);
	close(p[0]);
}
END_TEST

struct guest_reader {
	struct console *c;
	size_t want;
};

/* Takes what the frontend holds a little at a time, like a guest draining a FIFO. */
static void *guest_main(void *arg)
{
	struct guest_reader *g = arg;
	uint64_t end = test_now_ms() + 20000;

	while (test_now_ms() < end) {
		bool done, more = false;

		pthread_mutex_lock(&fe.m);
		if (fe.consumed < fe.len) {
			fe.consumed = fe.len;
			more = true;
		}
		done = fe.consumed >= g->want;
		pthread_mutex_unlock(&fe.m);
		if (more)
			console_rx_ready(g->c);
		if (done)
			break;
		usleep(100);
	}
	return NULL;
}

START_TEST(test_input_flow_control)
{
	const size_t total = 100 * 1024;
	struct guest_reader g = { .want = total };
	struct console *c;
	pthread_t th;
	uint8_t *data = malloc(total);
	int p[2], pending = 0;

	fe.limit = 16;
	ck_assert_int_eq(pipe(p), 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, p[0], -1, 0, NULL, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	for (size_t i = 0; i < total; i++)
		data[i] = pattern(i);
	ck_assert_int_eq(write(p[1], data, 4096), 4096);
	ck_assert(WAIT_UNTIL(fe_len() == 16 && fe_get(&fe.room_zero) > 0, 2000));
	usleep(20000);
	ck_assert_uint_eq(fe_len(), 16);
	ck_assert_int_eq(ioctl(p[0], FIONREAD, &pending), 0);
	ck_assert_int_eq(pending, 4096 - 16);

	g.c = c;
	ck_assert_int_eq(pthread_create(&th, NULL, guest_main, &g), 0);
	fcntl(p[1], F_SETFL, 0);
	ck_assert_int_eq(write(p[1], data + 4096, total - 4096), (ssize_t)(total - 4096));
	pthread_join(th, NULL);
	ck_assert_uint_eq(fe_len(), total);
	ck_assert_mem_eq(fe.buf, data, total);
	console_close(c);
	close(p[0]);
	close(p[1]);
	free(data);
}
END_TEST

/* A regular file as input cannot be polled: it is read on demand instead. */
START_TEST(test_input_regular_file)
{
	const size_t total = 5000;
	char path[] = "/tmp/hvkvm-console-in-XXXXXX";
	struct guest_reader g = { .want = total };
	uint8_t data[5000];
	struct console *c;
	pthread_t th;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (size_t i = 0; i < total; i++)
		data[i] = pattern(i);
	ck_assert_int_eq(write(fd, data, total), (ssize_t)total);
	lseek(fd, 0, SEEK_SET);
	fe.limit = 16;
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, fd, -1, 0, NULL, NULL), 0);
	g.c = c;
	ck_assert_int_eq(pthread_create(&th, NULL, guest_main, &g), 0);
	console_attach(c, &mock_ops, &fe);
	pthread_join(th, NULL);
	ck_assert_uint_eq(fe_len(), total);
	ck_assert_mem_eq(fe.buf, data, total);
	console_close(c);
	close(fd);
}
END_TEST

START_TEST(test_input_dev_null)
{
	struct console *c;
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, fd, -1, 0, NULL, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	usleep(20000);
	ck_assert_uint_eq(fe_len(), 0);
	ck_assert_int_le(fe_get(&fe.room_calls), 2);
	console_close(c);
	close(fd);
}
END_TEST

START_TEST(test_output_busy_and_ready)
{
	struct console *c;
	uint8_t chunk[1000], buf[4096];
	size_t sent = 0, got = 0;
	int p[2];
	bool bad = false;

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, -1, p[1], 0, NULL, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	for (;;) {
		bool ok;

		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = pattern(sent + i);
		ok = console_write(c, chunk, sizeof(chunk));
		sent += sizeof(chunk);
		if (!ok)
			break;
		ck_assert_uint_lt(sent, 200 * 1024);
	}
	ck_assert_uint_gt(sent, 32 * 1024);
	ck_assert_int_eq(fe_get(&fe.tx_ready), 0);
	while (got < sent) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EAGAIN) {
			usleep(200);
			continue;
		}
		ck_assert_int_gt(n, 0);
		for (ssize_t i = 0; i < n; i++)
			bad |= buf[i] != pattern(got + (size_t)i);
		got += (size_t)n;
	}
	ck_assert(!bad);
	ck_assert(WAIT_UNTIL(fe_get(&fe.tx_ready) == 1, 2000));
	console_close(c);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* One socket both ways, as a --serial on a socket would use it. */
START_TEST(test_socket_both_ways)
{
	struct console *c;
	char buf[8] = { 0 };
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&c, loop, sv[0], sv[0], 0, NULL, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	ck_assert_int_eq(write(sv[1], "ping", 4), 4);
	ck_assert(WAIT_UNTIL(fe_len() == 4, 2000));
	ck_assert_mem_eq(fe.buf, "ping", 4);
	ck_assert(console_write(c, "pong", 4));
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "pong");
	/* the caller's socket keeps its flags */
	ck_assert_int_eq(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	console_close(c);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_close_flushes_without_loop)
{
	struct console *c;
	char buf[16] = { 0 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(console_open_fds(&c, loop, -1, p[1], 0, NULL, NULL), 0);
	ck_assert(console_write(c, "bye\r\n", 5));
	console_close(c);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "bye\r\n");
	/* the caller's descriptor is untouched: still blocking, still open */
	ck_assert_int_eq(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_file_kind)
{
	char dir[] = "/tmp/hvkvm-console-XXXXXX", path[128], buf[64] = { 0 };
	struct console *c;
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/serial.log", dir);
	umask(022);
	test_loop_start(&loop_thread);

	/* created with mode 0644 */
	ck_assert_int_eq(console_open(&c, loop, CONSOLE_FILE, path, NULL, NULL), 0);
	ck_assert(console_write(c, "one\n", 4));
	console_close(c);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);

	/* truncated, as QEMU's file: does: the file holds this run's output only */
	ck_assert_int_eq(console_open(&c, loop, CONSOLE_FILE, path, NULL, NULL), 0);
	console_attach(c, &mock_ops, &fe);	/* no input: nothing is read */
	ck_assert(console_write(c, "two\n", 4));
	console_close(c);
	ck_assert_uint_eq(fe_get(&fe.room_calls), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "two\n");
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s/missing/serial.log", dir);
	ck_assert_int_eq(console_open(&c, loop, CONSOLE_FILE, path, NULL, NULL), -ENOENT);
	rmdir(dir);
}
END_TEST

START_TEST(test_none_kind)
{
	uint8_t junk[50] = { 0 };
	struct console *c;

	ck_assert_int_eq(console_open(&c, loop, CONSOLE_NONE, NULL, on_quit, NULL), 0);
	console_attach(c, &mock_ops, &fe);
	for (int i = 0; i < 10000; i++)
		ck_assert(console_write(c, junk, sizeof(junk)));
	console_flush(c);
	console_rx_ready(c);
	console_close(c);
	ck_assert(console_write(NULL, "x", 1));
}
END_TEST

/* stdio on a terminal: raw mode while open, the original settings afterwards. */
static int open_pty(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1;
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY);
	return *slave < 0 ? -1 : m;
}

/* Check's runner handles some of these itself; the console only takes over
 * signals nobody handles. */
static void default_signals(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };

	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
}

START_TEST(test_stdio_tty_raw_mode)
{
	struct termios t;
	struct sigaction sa;
	struct console *c;
	int master, slave, saved_in, saved_out, p[2];

	master = open_pty(&slave);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(pipe(p), 0);
	saved_in = dup(STDIN_FILENO);
	saved_out = dup(STDOUT_FILENO);
	dup2(slave, STDIN_FILENO);
	dup2(p[1], STDOUT_FILENO);
	default_signals();
	test_loop_start(&loop_thread);

	ck_assert_int_eq(console_open(&c, loop, CONSOLE_STDIO, NULL, on_quit, NULL), 0);
	ck_assert_int_eq(tcgetattr(slave, &t), 0);
	ck_assert_int_eq(t.c_lflag & (ECHO | ICANON | ISIG), 0);
	ck_assert_int_eq(t.c_iflag & ICRNL, 0);
	ck_assert_int_eq(t.c_oflag & OPOST, 0);
	ck_assert_int_eq(sigaction(SIGTERM, NULL, &sa), 0);
	ck_assert(sa.sa_handler != SIG_DFL);

	/* escapes are on for a terminal; Ctrl-C is just a byte */
	console_attach(c, &mock_ops, &fe);
	ck_assert_int_eq(write(master, "\x03\x01x", 3), 3);
	ck_assert(WAIT_UNTIL(quit_count() == 1, 2000));
	ck_assert_uint_eq(fe_len(), 1);
	ck_assert_uint_eq(fe.buf[0], 0x03);

	/* output goes to stdout untranslated */
	ck_assert(console_write(c, "ok\r\n", 4));
	console_close(c);
	{
		char buf[8] = { 0 };

		ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 4);
		ck_assert_str_eq(buf, "ok\r\n");
	}
	ck_assert_int_eq(tcgetattr(slave, &t), 0);
	ck_assert_int_ne(t.c_lflag & ECHO, 0);
	ck_assert_int_ne(t.c_lflag & ICANON, 0);
	ck_assert_int_ne(t.c_lflag & ISIG, 0);
	ck_assert_int_eq(sigaction(SIGTERM, NULL, &sa), 0);
	ck_assert(sa.sa_handler == SIG_DFL);
	console_restore_terminal();	/* idempotent */

	dup2(saved_in, STDIN_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_in);
	close(saved_out);
	close(master);
	close(slave);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Killed by a signal while in raw mode: the terminal is still put back. */
START_TEST(test_stdio_tty_restored_on_signal)
{
	struct termios t;
	int master, slave, status;
	pid_t pid;

	master = open_pty(&slave);
	ck_assert_int_ge(master, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct console *c;
		struct loop *l = loop_new();

		dup2(slave, STDIN_FILENO);
		default_signals();
		if (console_open(&c, l, CONSOLE_STDIO, NULL, NULL, NULL) < 0)
			_exit(2);
		if (tcgetattr(slave, &t) < 0 || (t.c_lflag & ECHO))
			_exit(3);
		raise(SIGTERM);
		_exit(4);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status), "child status %d", status);
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);
	ck_assert_int_eq(tcgetattr(slave, &t), 0);
	ck_assert_int_ne(t.c_lflag & ECHO, 0);
	close(master);
	close(slave);
}
END_TEST

static Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("console");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse_kind);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_no_escapes_without_flag);
	tcase_add_test(tc, test_eof_stops_input);
	tcase_add_test(tc, test_input_flow_control);
	tcase_add_test(tc, test_input_regular_file);
	tcase_add_test(tc, test_input_dev_null);
	tcase_add_test(tc, test_output_busy_and_ready);
	tcase_add_test(tc, test_socket_both_ways);
	tcase_add_test(tc, test_close_flushes_without_loop);
	tcase_add_test(tc, test_file_kind);
	tcase_add_test(tc, test_none_kind);
	tcase_add_test(tc, test_stdio_tty_raw_mode);
	tcase_add_test(tc, test_stdio_tty_restored_on_signal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(console_suite());
}
