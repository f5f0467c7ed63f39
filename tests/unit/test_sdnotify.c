/* SPDX-License-Identifier: MIT */
/* The NOTIFY_SOCKET protocol against a datagram socket standing in for systemd. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "testutil.h"

static char dir[64], path[128];
static int srv = -1;

static void setup(void)
{
	strcpy(dir, "/tmp/hvkvm-notify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
}

static void teardown(void)
{
	if (srv >= 0)
		close(srv);
	srv = -1;
	unlink(path);
	rmdir(dir);
}

/* A manager's socket at addr (len bytes of it). */
static void listen_at(const struct sockaddr_un *sa, socklen_t len)
{
	srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(srv, 0);
	ck_assert_int_eq(bind(srv, (const struct sockaddr *)sa, len), 0);
}

/* The next datagram, or NULL after 2 s. */
static const char *recv_msg(void)
{
	static char buf[4096];
	struct pollfd p = { .fd = srv, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return NULL;
	n = recv(srv, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

START_TEST(path_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sdnotify n;

	strcpy(sa.sun_path, path);
	listen_at(&sa, sizeof(sa));
	ck_assert_int_eq(sdnotify_open(&n, path), 0);
	ck_assert_int_ge(n.fd, 0);
	ck_assert_int_eq(sdnotify_send(&n, "READY=1\nSTATUS=running"), 0);
	ck_assert_str_eq(recv_msg(), "READY=1\nSTATUS=running");
	ck_assert_int_eq(sdnotify_sendf(&n, "STATUS=%s, %u vCPUs", "paused", 2u), 0);
	ck_assert_str_eq(recv_msg(), "STATUS=paused, 2 vCPUs");
	ck_assert_int_eq(sdnotify_send(&n, "STOPPING=1"), 0);
	ck_assert_str_eq(recv_msg(), "STOPPING=1");
	sdnotify_close(&n);
	ck_assert_int_eq(n.fd, -1);
	sdnotify_close(&n);	/* twice is harmless */
}
END_TEST

START_TEST(abstract_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64];
	struct sdnotify n;
	socklen_t len;

	/* "@name" is the abstract name "\0name", its length without a NUL */
	snprintf(name, sizeof(name), "@hvkvm-test-notify-%d", (int)getpid());
	memcpy(sa.sun_path, name, strlen(name));
	sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	listen_at(&sa, len);
	ck_assert_int_eq(sdnotify_open(&n, name), 0);
	ck_assert_int_eq(sdnotify_send(&n, "READY=1"), 0);
	ck_assert_str_eq(recv_msg(), "READY=1");
	sdnotify_close(&n);
}
END_TEST

START_TEST(not_under_systemd)
{
	struct sdnotify n;

	ck_assert_int_eq(sdnotify_open(&n, NULL), 0);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_int_eq(sdnotify_send(&n, "READY=1"), 0);
	ck_assert_int_eq(sdnotify_sendf(&n, "STATUS=%d", 1), 0);
	sdnotify_close(&n);
	ck_assert_int_eq(sdnotify_open(&n, ""), 0);
	ck_assert_int_eq(n.fd, -1);
}
END_TEST

START_TEST(bad_values)
{
	char longpath[200];
	struct sdnotify n;

	ck_assert_int_eq(sdnotify_open(&n, "relative/notify"), -EINVAL);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_int_eq(sdnotify_open(&n, "@"), -EINVAL);
	ck_assert_int_eq(sdnotify_open(&n, "/"), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(sdnotify_open(&n, longpath), -EINVAL);
	ck_assert_int_eq(sdnotify_send(&n, "READY=1"), 0);
}
END_TEST

START_TEST(manager_gone)
{
	struct sdnotify n;
	char big[2000];

	/* Nobody listens: an error to log, not a hang or a signal. */
	ck_assert_int_eq(sdnotify_open(&n, path), 0);
	ck_assert_int_lt(sdnotify_send(&n, "READY=1"), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sdnotify_sendf(&n, "STATUS=%s", big), -EMSGSIZE);
	sdnotify_close(&n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, path_socket);
	tcase_add_test(tc, abstract_socket);
	tcase_add_test(tc, not_under_systemd);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, manager_gone);
	suite_add_tcase(s, tc);
	return test_main(s);
}
