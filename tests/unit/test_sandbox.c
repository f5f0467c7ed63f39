/* SPDX-License-Identifier: MIT */
/*
 * The seccomp sandbox, really loaded: each test forks a child that confines itself
 * as one kind of thread and then does something. What a kind needs works; what it
 * must not do ends the child with status 1 and a message naming the system call.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvkvm-config.h"
#include "blk_file.h"
#include "loop.h"
#include "mgmt.h"
#include "mgmt_client.h"
#include "sandbox.h"
#include "testutil.h"

static char dir[64], file[128];
static char child_err[4096];

static void setup(void)
{
	int fd;

	strcpy(dir, "/tmp/hvkvm-sandbox-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/data", dir);
	fd = open(file, O_CREAT | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	close(fd);
}

static void teardown(void)
{
	char path[160];

	unlink(file);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	unlink(path);
	rmdir(dir);
}

/* Fork; the child confines itself as kind and runs fn(arg). Returns the child's wait
 * status; what it wrote to stderr is in child_err. */
static int run_confined(enum thread_kind kind, void (*fn)(void *), void *arg)
{
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256];

		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		if (sandbox_enable() < 0 || sandbox_apply(kind, err, sizeof(err)) < 0) {
			fprintf(stderr, "cannot confine: %s\n", err);
			_exit(100);
		}
		fn(arg);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], child_err + len, sizeof(child_err) - 1 - len)) > 0)
		len += (size_t)n;
	child_err[len] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_ok(int status)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x: %s", status, child_err);
}

/* Stopped by the sandbox for system call nr, made by a thread of this kind. */
static void assert_killed_at(int line, int status, const char *kind, long nr)
{
	char want[128];

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "line %d: status 0x%x: %s", line, status,
		      child_err);
	snprintf(want, sizeof(want), " %s thread made system call %ld, which its sandbox forbids", kind, nr);
	ck_assert_msg(strstr(child_err, want), "line %d: expected '%s' in: %s", line, want, child_err);
}
#define assert_killed(status, kind, nr) assert_killed_at(__LINE__, status, kind, nr)

/* ---- what each kind does in hvkvm works --------------------------------------------------- */

static void common_work(void *arg)
{
	int *fds = arg;	/* a pipe, an eventfd, a timerfd and an epoll opened before */
	struct itimerspec its = { .it_value = { 5, 0 } };
	struct epoll_event ev = { .events = EPOLLOUT };
	uint64_t one = 1;
	struct timespec ts = { 0, 1000000 };
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	char buf[8];
	int avail;
	void *big;

	if (write(fds[1], "x", 1) != 1 || read(fds[0], buf, 1) != 1)
		_exit(2);
	if (write(fds[2], &one, 8) != 8 || read(fds[2], &one, 8) != 8)
		_exit(3);
	if (ioctl(fds[0], FIONREAD, &avail) < 0)
		_exit(4);
	/* a device's timer armed from a vCPU; the console waiting to write */
	if (timerfd_settime(fds[3], 0, &its, NULL) < 0 || timerfd_gettime(fds[3], &its) < 0 ||
	    epoll_ctl(fds[4], EPOLL_CTL_ADD, fds[1], &ev) < 0 || epoll_ctl(fds[4], EPOLL_CTL_DEL, fds[1], NULL) < 0)
		_exit(8);
	big = malloc(64 << 20);	/* mmap */
	if (!big)
		_exit(5);
	memset(big, 1, 1 << 20);
	free(big);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec = 0, ts.tv_nsec = 1000000;
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&mu);
	pthread_mutex_unlock(&mu);
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		_exit(6);
	fprintf(stderr, "pid %d\n", (int)getpid());	/* stdio on stderr */
	if (syscall(SYS_tgkill, getpid(), gettid(), 0) < 0)
		_exit(7);
}

static int *work_fds(void)
{
	static int fds[5];

	ck_assert_int_eq(pipe(fds), 0);
	fds[2] = eventfd(0, 0);
	fds[3] = timerfd_create(CLOCK_MONOTONIC, 0);
	fds[4] = epoll_create1(0);
	ck_assert_int_ge(fds[2], 0);
	ck_assert_int_ge(fds[3], 0);
	ck_assert_int_ge(fds[4], 0);
	return fds;
}

START_TEST(vcpu_does_its_work)
{
	assert_ok(run_confined(THREAD_VCPU, common_work, work_fds()));
}
END_TEST

static void io_work(void *arg)
{
	int fd = open(arg, O_RDWR);	/* before: what a worker is given */
	char buf[5];

	if (fd < 0)
		_exit(2);
	/* confined from here on, as the worker pool's threads are */
	{
		char err[256];

		if (sandbox_apply(THREAD_IO, err, sizeof(err)) < 0)
			_exit(3);
	}
	if (pread(fd, buf, 5, 0) != 5 || pwrite(fd, "HELLO", 5, 0) != 5 || fdatasync(fd) < 0 || fsync(fd) < 0 ||
	    fallocate(fd, 0, 0, 8192) < 0)
		_exit(4);
}

START_TEST(io_does_its_work)
{
	assert_ok(run_confined(THREAD_LOOP, io_work, file));
}
END_TEST

static void *vcpu_like_thread(void *arg)
{
	int *fd = arg;

	thread_started(THREAD_VCPU);	/* as vcpu_thread() does */
	return write(*fd, "v", 1) == 1 ? NULL : (void *)1;
}

static void loop_work(void *arg)
{
	const char *path = arg;
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, ep, tfd, efd, sv[2];
	pthread_t th;
	void *ret;
	uint64_t n;

	fd = open(path, O_RDWR);	/* disk.add opens images */
	if (fd < 0)
		_exit(2);
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || efd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0 || epoll_wait(ep, &ev, 1, 1000) != 1 ||
	    read(tfd, &n, 8) != 8)
		_exit(3);
	if (fsync(fd) < 0 || close(fd) < 0 || fcntl(efd, F_GETFL) < 0)
		_exit(4);
	/* a vCPU thread started by the loop (as at a reset) confines itself */
	if (pipe(sv) < 0 || pthread_create(&th, NULL, vcpu_like_thread, &sv[1]) || pthread_join(th, &ret) || ret)
		_exit(5);
	if (unlink(path) < 0)	/* the socket at exit */
		_exit(6);
}

START_TEST(loop_does_its_work)
{
	assert_ok(run_confined(THREAD_LOOP, loop_work, file));
}
END_TEST

/* disk.add at run time: the block back end opens and probes an image, on a disk or
 * in memory. */
static void disk_open_work(void *arg)
{
	struct loop *l = loop_new();
	struct blk *b;
	char err[256];

	if (!l)
		_exit(2);
	if (blk_open(&b, l, arg, false, BLK_CACHE_WRITEBACK, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		_exit(3);
	}
	blk_close(b);
	loop_free(l);
}

START_TEST(loop_opens_disks)
{
	static const char *const dirs[] = { "/tmp", "/dev/shm" };

	for (unsigned i = 0; i < 2; i++) {
		char img[64];
		int fd;

		snprintf(img, sizeof(img), "%s/hvkvm-sandbox-disk-XXXXXX", dirs[i]);
		fd = mkstemp(img);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
		close(fd);
		assert_ok(run_confined(THREAD_LOOP, disk_open_work, img));
		unlink(img);
	}
}
END_TEST

/* The management socket served by a confined loop, set up before it is confined as
 * main() does: errors, batches, async answers and the socket's removal all work. */
static void m_quit(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)params;
	mgmt_reply(call, json_object_new_string("bye"));
	loop_quit(opaque);
}

static void m_echo(struct mgmt_call *call, struct json_object *params, void *opaque)
{
	(void)opaque;
	mgmt_reply(call, json_object_get(params));
}

START_TEST(mgmt_served_confined)
{
	struct loop *loop = loop_new();
	struct mgmt *m = mgmt_new(loop);
	char path[160], err[256];
	int pfd[2], status;
	struct json_object *r;
	struct tc *t, *u;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/api.sock", dir);
	ck_assert_int_eq(mgmt_register(m, "quit", m_quit, loop), 0);
	ck_assert_int_eq(mgmt_register(m, "echo", m_echo, NULL), 0);
	ck_assert_msg(mgmt_listen(m, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		if (sandbox_enable() < 0 || sandbox_apply(THREAD_LOOP, err, sizeof(err)) < 0)
			_exit(100);
		if (loop_run(loop) < 0)
			_exit(2);
		mgmt_free(m, 100);
		loop_free(loop);
		_exit(0);
	}
	close(pfd[1]);
	t = tc_open(path);
	u = tc_open(path);
	json_object_put(expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":", JSONRPC_PARSE_ERROR, "null"));
	json_object_put(expect_error(t, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}", JSONRPC_METHOD_NOT_FOUND, "1"));
	json_object_put(call_ok(u, "{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"id\":1}"));
	tc_send(t, "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1},{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}]");
	r = tc_recv(t, 5000);
	ck_assert_msg(r && json_object_array_length(r) == 2, "%s", child_err);
	json_object_put(r);
	tc_close(u);
	r = call_ok(t, "{\"jsonrpc\":\"2.0\",\"method\":\"quit\",\"id\":9}");
	ck_assert_str_eq(json_object_get_string(get(r, "result")), "bye");
	json_object_put(r);
	n = read(pfd[0], child_err, sizeof(child_err) - 1);
	child_err[n > 0 ? n : 0] = '\0';
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_ok(status);
	ck_assert_int_eq(access(path, F_OK), -1);	/* removed by the confined loop */
	tc_close(t);
	mgmt_free(m, 0);	/* this process's copy; the socket is gone already */
	loop_free(loop);
}
END_TEST

/* ---- what no thread of a kind may do ----------------------------------------------------- */

static void do_open(void *arg)
{
	open(arg, O_RDONLY);
}

static void do_socket(void *arg)
{
	(void)arg;
	socket(AF_INET, SOCK_STREAM, 0);
}

static void do_execve(void *arg)
{
	char *argv[] = { "/bin/true", NULL };

	(void)arg;
	execve(argv[0], argv, argv + 1);
}

static void do_fork(void *arg)
{
	pid_t pid;

	(void)arg;
	pid = fork();
	if (pid == 0)
		_exit(0);
}

static void *nothing(void *arg)
{
	return arg;
}

static void do_thread(void *arg)
{
	pthread_t th;

	(void)arg;
	if (pthread_create(&th, NULL, nothing, NULL) == 0)
		pthread_join(th, NULL);
}

static void do_kill(void *arg)
{
	(void)arg;
	kill(1, 0);
}

static void do_ptrace(void *arg)
{
	(void)arg;
	syscall(SYS_ptrace, 0, 0, 0, 0);
}

static void do_connect(void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = *(int *)arg;

	strcpy(sa.sun_path, "/nonexistent");
	connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

START_TEST(vcpu_forbidden)
{
	assert_killed(run_confined(THREAD_VCPU, do_open, file), "vCPU", SYS_openat);
	assert_killed(run_confined(THREAD_VCPU, do_socket, NULL), "vCPU", SYS_socket);
	assert_killed(run_confined(THREAD_VCPU, do_execve, NULL), "vCPU", SYS_execve);
	/* No threads. glibc blocks every signal around clone3, SIGSYS too: the kernel
	 * then kills the process with SIGSYS, no message. */
	{
		int st = run_confined(THREAD_VCPU, do_thread, NULL);

		if (WIFSIGNALED(st))
			ck_assert_int_eq(WTERMSIG(st), SIGSYS);
		else
			assert_killed(st, "vCPU", SYS_clone3);
	}
	assert_killed(run_confined(THREAD_VCPU, do_kill, NULL), "vCPU", SYS_kill);
}
END_TEST

START_TEST(io_forbidden)
{
	assert_killed(run_confined(THREAD_IO, do_open, file), "I/O", SYS_openat);
	assert_killed(run_confined(THREAD_IO, do_socket, NULL), "I/O", SYS_socket);
	assert_killed(run_confined(THREAD_IO, do_fork, NULL), "I/O", SYS_clone);
}
END_TEST

/* The VNC server's thread speaks on sockets it is given: it opens nothing, makes no
 * socket, connects nowhere, starts nothing, and does not write files to disk. */
START_TEST(display_forbidden)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	assert_killed(run_confined(THREAD_DISPLAY, do_open, file), "display", SYS_openat);
	assert_killed(run_confined(THREAD_DISPLAY, do_socket, NULL), "display", SYS_socket);
	assert_killed(run_confined(THREAD_DISPLAY, do_connect, &fd), "display", SYS_connect);
	assert_killed(run_confined(THREAD_DISPLAY, do_fork, NULL), "display", SYS_clone);
	assert_killed(run_confined(THREAD_DISPLAY, do_execve, NULL), "display", SYS_execve);
	close(fd);
}
END_TEST

/* What opening a tap at run time takes (net.add): interface lookups and MTU ioctls on
 * a datagram socket, which the loop may create; a stream socket it may not. */
static void do_ifindex(void *arg)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);

	(void)arg;
	if (s < 0 || u < 0 || if_nametoindex("lo") == 0)
		_exit(3);
	close(s);
	close(u);
}

START_TEST(loop_tap_sockets)
{
	assert_ok(run_confined(THREAD_LOOP, do_ifindex, NULL));
	assert_killed(run_confined(THREAD_IO, do_ifindex, NULL), "I/O", SYS_socket);
}
END_TEST

START_TEST(loop_forbidden)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_killed(run_confined(THREAD_LOOP, do_execve, NULL), "event-loop", SYS_execve);
	assert_killed(run_confined(THREAD_LOOP, do_fork, NULL), "event-loop", SYS_clone);
	assert_killed(run_confined(THREAD_LOOP, do_socket, NULL), "event-loop", SYS_socket);
	assert_killed(run_confined(THREAD_LOOP, do_connect, &fd), "event-loop", SYS_connect);
	assert_killed(run_confined(THREAD_LOOP, do_kill, NULL), "event-loop", SYS_kill);
#if HVKVM_LEAK_SANITIZER
	assert_ok(run_confined(THREAD_LOOP, do_ptrace, NULL));	/* LeakSanitizer traces at exit */
#else
	assert_killed(run_confined(THREAD_LOOP, do_ptrace, NULL), "event-loop", SYS_ptrace);
#endif
	close(fd);
}
END_TEST

/* A thread the confined loop starts is confined as its own kind as well. */
static void *vcpu_thread_opens(void *arg)
{
	thread_started(THREAD_VCPU);
	open(arg, O_RDONLY);
	return NULL;
}

static void loop_starts_vcpu_that_opens(void *arg)
{
	pthread_t th;

	if (pthread_create(&th, NULL, vcpu_thread_opens, arg) == 0)
		pthread_join(th, NULL);
}

START_TEST(started_threads_confined)
{
	assert_killed(run_confined(THREAD_LOOP, loop_starts_vcpu_that_opens, file), "vCPU", SYS_openat);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("seccomp");

	if (!sandbox_available()) {
		fprintf(stderr, "built without libseccomp: nothing to test\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, vcpu_does_its_work);
	tcase_add_test(tc, io_does_its_work);
	tcase_add_test(tc, loop_does_its_work);
	tcase_add_test(tc, mgmt_served_confined);
	tcase_add_test(tc, vcpu_forbidden);
	tcase_add_test(tc, io_forbidden);
	tcase_add_test(tc, display_forbidden);
	tcase_add_test(tc, loop_forbidden);
	tcase_add_test(tc, loop_tap_sockets);
	tcase_add_test(tc, loop_opens_disks);
	tcase_add_test(tc, started_threads_confined);
	suite_add_tcase(s, tc);
	return test_main(s);
}
