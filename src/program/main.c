/* SPDX-License-Identifier: MIT */
#include "cli.h"
#include "config.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "machine.h"
#include "methods.h"
#include "mgmt.h"
#include "sandbox.h"
#include "sdnotify.h"
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct main_ctx {
	struct machine *machine;
	int sigfd;
	unsigned stop_signals;
	struct loop_timer *shutdown_timer;
	struct sdnotify notify;
};

/* Tell systemd once that the VM is stopping (from any thread). */
static void main_notify_stopping(struct main_ctx *m, const char *status)
{
	if (__atomic_exchange_n(&m->notify.stopping, true, __ATOMIC_ACQ_REL))
		return;
	sdnotify_sendf(&m->notify, "STOPPING=1\nSTATUS=%s", status);
}

/* systemd learns the VM's state: READY=1 once the guest runs, STOPPING=1 once it is on
 * its way out, and STATUS= lines in between. */
static void main_on_vm_event(struct vm *vm, enum vm_event ev, enum vm_state prev, void *opaque)
{
	struct main_ctx *m = opaque;

	(void)prev;
	if (ev == VM_EVENT_RESET) {
		sdnotify_sendf(&m->notify, "STATUS=the guest restarts (boot %u)", vm_boots(vm) + 1);
		return;
	}
	switch (vm_get_state(vm)) {
	case VM_STATE_RUNNING:
		if (!__atomic_exchange_n(&m->notify.ready, true, __ATOMIC_ACQ_REL))
			sdnotify_sendf(&m->notify, "READY=1\nMAINPID=%d\nSTATUS=running, %u vCPUs, %llu MiB",
				       (int)getpid(), vm_vcpu_count(vm), (unsigned long long)(vm_memory_size(vm) >> 20));
		else
			sdnotify_send(&m->notify, "STATUS=running");
		break;
	case VM_STATE_PAUSED:
		sdnotify_send(&m->notify, "STATUS=paused");
		break;
	case VM_STATE_SHUTTING_DOWN:
		main_notify_stopping(m, "the guest is shutting down");
		break;
	case VM_STATE_STOPPED:
		main_notify_stopping(m, "stopped");
		break;
	case VM_STATE_CREATED:
		break;
	}
}

static void main_shutdown_timeout(void *opaque)
{
	struct main_ctx *m = opaque;

	log_warn("the guest did not power off within %u s: stopping it",
		 m->machine->cfg->shutdown_timeout);
	vm_request(m->machine->vm, VM_REQ_STOP);
}

/* The first SIGTERM/SIGINT/SIGHUP asks the guest to shut down; a second one, or the
 * shutdown timeout, stops it. */
static void main_on_signal(void *opaque, uint32_t events)
{
	struct main_ctx *m = opaque;
	struct signalfd_siginfo si;
	unsigned timeout = m->machine->cfg->shutdown_timeout;

	(void)events;
	if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (++m->stop_signals > 1 || timeout == 0) {
		log_info("%s: stopping the guest now", strsignal((int)si.ssi_signo));
		vm_request(m->machine->vm, VM_REQ_STOP);
		return;
	}
	log_info("%s: asking the guest to shut down (again to stop it at once; stopping in %u s)",
		 strsignal((int)si.ssi_signo), timeout);
	main_notify_stopping(m, "asking the guest to shut down");
	machine_request_shutdown(m->machine);
	if (m->shutdown_timer)
		loop_timer_arm(m->shutdown_timer, (uint64_t)timeout * 1000000000ull, 0);
}

static int main_setup_api(struct machine *machine, const char *path, struct mgmt **mgmt,
			  struct mgmt_methods **methods)
{
	char err[512];
	int r;

	*mgmt = mgmt_new(vm_loop(machine->vm));
	if (!*mgmt) {
		log_error("--api-socket %s: out of memory", path);
		return VM_EXIT_ERROR;
	}
	r = mgmt_listen(*mgmt, path, err, sizeof(err));
	if (r < 0) {
		log_error("--api-socket %s", err);
		return r == -ENOMEM ? VM_EXIT_ERROR : VM_EXIT_USAGE;
	}
	*methods = mgmt_methods_new(*mgmt, machine);
	if (!*methods) {
		log_error("--api-socket %s: cannot register the methods", path);
		return VM_EXIT_ERROR;
	}
	log_info("api socket: listening on %s", path);
	return 0;
}

static int main_setup_signals(struct main_ctx *m, const sigset_t *set)
{
	struct loop *loop = vm_loop(m->machine->vm);

	m->sigfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0)
		return -errno;
	m->shutdown_timer = loop_timer_new(loop, main_shutdown_timeout, m);
	return loop_add_fd(loop, m->sigfd, EPOLLIN, main_on_signal, m);
}

#if HVKVM_LEAK_SANITIZER
/*
 * Sanitizer builds: LeakSanitizer's check at exit stops every thread by tracing it from
 * a thread it clones, which does not get through the seccomp sandbox; hvkvm itself runs
 * with leak checking off (memory errors and undefined behaviour are still caught), and
 * the unit tests check for leaks. ASAN_OPTIONS still overrides this.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct machine machine;
	struct main_ctx m = { .machine = &machine, .sigfd = -1, .notify = { .fd = -1 } };
	struct mgmt *mgmt = NULL;
	struct mgmt_methods *methods = NULL;
	char err[512];
	sigset_t set;
	int code;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	config_init(&cfg);
	switch (cli_parse(argc, argv, &cfg, stdout, err, sizeof(err))) {
	case CLI_EXIT_OK:
		config_free(&cfg);
		return 0;
	case CLI_ERROR:
		fprintf(stderr, "hvkvm: %s\n", err);
		config_free(&cfg);
		return VM_EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	log_threshold = cfg.log_level;
	if (sdnotify_open(&m.notify, getenv("NOTIFY_SOCKET")) < 0)
		log_warn("NOTIFY_SOCKET=%s: not a socket address; systemd will not hear from hvkvm",
			 getenv("NOTIFY_SOCKET"));

	/* Signals that stop the VM are read from a signalfd on the loop thread; block them
	 * before any thread exists so every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Threads started from here on confine themselves as they start. */
	if (cfg.seccomp && sandbox_enable() == -ENOSYS)
		log_warn("--seccomp on: this hvkvm was built without libseccomp; it runs without a sandbox");
	code = machine_create(&machine, &cfg);
	if (code == 0 && main_setup_signals(&m, &set) < 0) {
		log_error("cannot watch for signals: %s", strerror(errno));
		code = VM_EXIT_ERROR;
	}
	if (code == 0 && vm_add_event_hook(machine.vm, main_on_vm_event, &m) < 0) {
		log_error("cannot watch the VM's state");
		code = VM_EXIT_ERROR;
	}
	if (code == 0 && cfg.api_socket)
		code = main_setup_api(&machine, cfg.api_socket, &mgmt, &methods);
	if (code == 0 && cfg.seccomp && sandbox_available()) {
		if (cfg.vsock_path)
			sandbox_allow_unix_connect();
		if (sandbox_apply(THREAD_LOOP, err, sizeof(err)) < 0) {
			log_error("%s (--seccomp off runs without the sandbox)", err);
			code = VM_EXIT_ERROR;
		} else {
			log_debug("seccomp: sandbox on");
		}
	}
	if (code == 0)
		code = machine_run(&machine);
	if (machine.vm) {
		main_notify_stopping(&m, "stopping");
		vm_stop(machine.vm);
		if (cfg.stats)
			machine_print_stats(&machine, stderr);
	}
	/* Clients get the last replies and events (the stop) before the socket goes. */
	mgmt_methods_free(methods);
	mgmt_free(mgmt, 500);
	if (m.shutdown_timer)
		loop_timer_free(m.shutdown_timer);
	if (m.sigfd >= 0)
		close(m.sigfd);
	machine_destroy(&machine);
	sdnotify_close(&m.notify);
	config_free(&cfg);
	return code;
}
