/* SPDX-License-Identifier: MIT */
#include "sandbox.h"
#include "hvkvm-config.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if HVKVM_HAVE_SECCOMP
#include <json-c/json.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/socket.h>

static bool allow_unix_connect;

/* What the calling thread was confined as, for the SIGSYS message. */
static __thread int current_kind = -1;

/* The VNC server's thread (src/backends/vnc.c): it accepts viewers on a socket the
 * main thread opened and speaks RFB on them through libvncserver, which waits with
 * select() and sets each socket non-blocking and, for TCP, TCP_NODELAY. */
static const char *const display_calls[] = {
	"accept4", "accept", "recvfrom", "sendto", "select", "pselect6", "fcntl",
	"getpeername", "setsockopt", "shutdown",
	NULL,
};

/* Every kind: memory, futexes, signals, clocks, I/O on descriptors it was given. */
static const char *const common_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
	"pwritev2", "lseek", "close", "ioctl", "fstat", "newfstatat", "statx", "poll", "ppoll",
	"futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq",
	"mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "rt_sigtimedwait", "rt_sigpending",
	"sigaltstack", "restart_syscall",
	"nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"sched_yield", "sched_getaffinity", "getcpu", "getpid", "gettid", "getrandom",
	"exit", "exit_group",
	/* devices a vCPU touches arm the loop's timers (synthetic timers, RTC, UART)
	 * and wait for a full console to drain */
	"timerfd_settime", "timerfd_gettime", "epoll_ctl",
	NULL,
};

static const char *const io_calls[] = {
	"fsync", "fdatasync", "fallocate", "sync_file_range",
	NULL,
};

/* A vCPU that ends a run of changes to the firmware's variable store starts their
 * write-back (src/backends/flash_file.c); it does not wait for it. */
static const char *const vcpu_calls[] = {
	"sync_file_range",
	NULL,
};

static const char *const loop_calls[] = {
	"open", "openat", "openat2", "fcntl", "flock", "dup", "dup2", "dup3", "pipe2", "ftruncate",
	"fstatfs",	/* where a disk image lives (tmpfs is served inline) */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "eventfd2", "signalfd4",
	"accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown",
	"getsockopt", "setsockopt", "getsockname", "getpeername",
	"unlink", "unlinkat", "readlink", "readlinkat", "access", "faccessat", "faccessat2",
	"getdents64", "getcwd", "umask", "uname", "sysinfo", "prlimit64", "getrlimit",
	"getuid", "geteuid", "getgid", "getegid",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* threads it starts confine themselves */
	"prctl", "seccomp",
	NULL,
};

static int add_list(scmp_filter_ctx ctx, const char *const *names, char *err, size_t errlen)
{
	for (; *names; names++) {
		int nr = seccomp_syscall_resolve_name(*names);
		int r;

		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			snprintf(err, errlen, "seccomp: cannot allow %s: %s", *names, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, enum thread_kind kind, char *err, size_t errlen)
{
	int r = add_list(ctx, common_calls, err, errlen);

	/* signals only to threads of this process (vCPU kicks) */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (r == 0 && kind != THREAD_VCPU && kind != THREAD_DISPLAY)
		r = add_list(ctx, io_calls, err, errlen);
	if (r == 0 && kind == THREAD_DISPLAY)
		r = add_list(ctx, display_calls, err, errlen);
	if (r == 0 && kind == THREAD_VCPU)
		r = add_list(ctx, vcpu_calls, err, errlen);
	if (r == 0 && kind == THREAD_LOOP) {
		r = add_list(ctx, loop_calls, err, errlen);
		/* threads, never processes; clone3 hides its flags in memory: glibc falls
		 * back to clone on ENOSYS */
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		/* net.add opens a tap at run time: looking an interface up and setting its
		 * MTU take a datagram socket for ioctls (it can reach nobody: no connect,
		 * no bind) */
		for (int fam = 0; r == 0 && fam < 2; fam++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
					     SCMP_A0(SCMP_CMP_EQ, fam ? AF_INET : AF_UNIX),
					     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
		/* --vsock: a guest's connection reaches a host listener's Unix socket */
		if (r == 0 && allow_unix_connect)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
					     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM));
		if (r == 0 && allow_unix_connect)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0);
	}
#if HVKVM_LEAK_SANITIZER
	/* LeakSanitizer checks at exit from a tracer it clones, which ptraces every thread
	 * and waits for them: in sanitizer builds only. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(wait4), 0);
	if (r == 0 && kind == THREAD_LOOP)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_VM, CLONE_VM));
#endif
	if (r < 0 && !*err)
		snprintf(err, errlen, "seccomp: cannot build the %s filter: %s", thread_kind_name(kind), strerror(-r));
	return r;
}

int sandbox_apply(enum thread_kind kind, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r;

	if (errlen)
		err[0] = '\0';
	if (!ctx) {
		snprintf(err, errlen, "seccomp: out of memory");
		return -ENOMEM;
	}
	r = add_rules(ctx, kind, err, errlen);
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r < 0)
			snprintf(err, errlen, "seccomp: cannot load the %s filter: %s", thread_kind_name(kind),
				 strerror(-r));
	}
	seccomp_release(ctx);
	if (r == 0)
		current_kind = (int)kind;
	return r;
}

/* Async-signal-safe: only write() and _exit(). */
static void put(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char num[16], *p = num + sizeof(num);
	unsigned n = (unsigned)si->si_syscall;

	(void)sig, (void)uc;
	*--p = '\0';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) && p > num);
	put("hvkvm: seccomp: a");
	put(current_kind == THREAD_LOOP || current_kind == THREAD_IO ? "n " : " ");
	put(current_kind >= 0 ? thread_kind_name((enum thread_kind)current_kind) : "unconfined");
	put(" thread made system call ");
	put(p);
	put(", which its sandbox forbids: stopping (--seccomp off runs without the sandbox)\n");
	_exit(1);
}

static void sandbox_thread_start(enum thread_kind kind)
{
	char err[256];

	if (sandbox_apply(kind, err, sizeof(err)) < 0) {
		log_error("%s: stopping (--seccomp off runs without the sandbox)", err);
		_exit(1);
	}
}

bool sandbox_available(void)
{
	return true;
}

int sandbox_enable(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	/* json-c seeds its string hash on first use, from /dev/urandom where getrandom
	 * fails; a vCPU reporting a crash event may be first, and may not open files. */
	json_object_put(json_tokener_parse("{\"seed\":0}"));
	thread_set_start_hook(sandbox_thread_start);
	return 0;
}

void sandbox_allow_unix_connect(void)
{
	allow_unix_connect = true;
}

#else

bool sandbox_available(void)
{
	return false;
}

int sandbox_enable(void)
{
	return -ENOSYS;
}

int sandbox_apply(enum thread_kind kind, char *err, size_t errlen)
{
	(void)kind;
	snprintf(err, errlen, "seccomp: hvkvm was built without libseccomp");
	return -ENOSYS;
}

void sandbox_allow_unix_connect(void)
{
}

#endif
