/* SPDX-License-Identifier: MIT */
/*
 * The seccomp sandbox (libseccomp): once the VM is set up, each thread runs under an
 * allow-list of system calls for its kind (thread.h). The management socket is
 * served on the event-loop thread and shares its list.
 *
 *   vCPU threads  KVM ioctls, reads and writes on open descriptors, memory, futexes,
 *                 signals, clocks: no opening files, no sockets, no new threads.
 *   I/O workers   the vCPU list and fsync, fdatasync, fallocate.
 *   event loop    the I/O list and what devices and the management socket need:
 *                 opening files (disk.add, a reboot reloading the kernel), epoll,
 *                 timerfd/eventfd/signalfd, accept and datagrams on sockets it has,
 *                 io_uring, unlinking its socket, new threads (CLONE_THREAD only).
 *
 * Nothing may execve, fork, ptrace, mount, make stream sockets or connect any (but the
 * event loop's Unix stream sockets with --vsock), or signal another process. A forbidden call stops hvkvm at once: the SIGSYS handler
 * writes which thread kind made which system call, then the process exits with
 * status 1 (VM_EXIT_ERROR).
 */
#ifndef HVKVM_SANDBOX_H
#define HVKVM_SANDBOX_H

/* Sanitizer builds: LeakSanitizer needs ptrace and wait4 at exit, and gets them. */
#if defined(__SANITIZE_ADDRESS__)
#define HVKVM_LEAK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define HVKVM_LEAK_SANITIZER 1
#endif
#endif
#ifndef HVKVM_LEAK_SANITIZER
#define HVKVM_LEAK_SANITIZER 0
#endif

#include <stdbool.h>
#include <stddef.h>

#include "thread.h"

/* Built with libseccomp? */
bool sandbox_available(void);
/*
 * Confine every thread hvkvm starts from now on (thread_started() of its kind) and
 * catch forbidden calls. Before the first vCPU or I/O thread starts. 0, or -ENOSYS
 * without libseccomp.
 */
int sandbox_enable(void);
/* Confine the calling thread (and the threads it starts later) as kind. 0, or
 * -errno with a message in err. */
int sandbox_apply(enum thread_kind kind, char *err, size_t errlen);
/* VMBus sockets (--vsock): the event loop may also make Unix stream sockets and
 * connect them (a guest's connection to a host listener). Before sandbox_apply. */
void sandbox_allow_unix_connect(void);

#endif
