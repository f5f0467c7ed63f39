/* SPDX-License-Identifier: MIT */
/*
 * The virtual machine: the KVM VM and its vCPUs, guest memory, the I/O buses, the
 * event loop, and the machine's life (boot, reset, power-off, faults).
 *
 * A guest reset rebuilds the KVM VM from scratch (new VM and vCPU file descriptors,
 * RAM discarded, devices reset, kernel loaded again), so no state of a previous boot
 * can leak into the next. Everything registered with KVM goes through this module,
 * which replays it on the new VM.
 */
#ifndef HVKVM_VM_H
#define HVKVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "io.h"
#include "loop.h"
#include "memory.h"
#include "msr.h"
#include "platform.h"
#include "vcpu.h"

struct vcpu;
struct kvm_cpuid2;

/* Process exit status; README and --help document them. */
enum vm_exit_code {
	VM_EXIT_POWEROFF = 0,
	VM_EXIT_ERROR = 1,
	VM_EXIT_USAGE = 2,
	VM_EXIT_REBOOT = 3,
	VM_EXIT_GUEST_FAULT = 4,
	VM_EXIT_GUEST_CRASH = 5,
	VM_EXIT_HOST_STOP = 6,
};

/* Requests to the machine, from any thread; a more severe one overrides a pending
 * milder one. */
enum vm_request {
	VM_REQ_NONE,
	VM_REQ_RESET,		/* the guest reboots (or exits with --no-reboot) */
	VM_REQ_HOST_RESET,	/* the host resets the guest: always a restart */
	VM_REQ_POWEROFF,
	VM_REQ_STOP,		/* the host stops the guest */
	VM_REQ_CRASH,		/* the guest reported a crash */
	VM_REQ_FAULT,		/* triple fault, or KVM cannot run the guest */
	VM_REQ_ERROR,		/* hvkvm itself failed */
};

/*
 * The machine's life as the host sees it; changed and read on the loop thread (and on
 * the main thread before the loop runs).
 */
enum vm_state {
	VM_STATE_CREATED,	/* not started yet */
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,	/* every vCPU out of KVM_RUN until resumed */
	VM_STATE_SHUTTING_DOWN,	/* running, and the guest was asked to power off */
	VM_STATE_STOPPED,	/* for good: hvkvm exits with exit_code */
};

enum vm_event {
	VM_EVENT_STATE,		/* vm->state changed (from prev) */
	VM_EVENT_RESET,		/* the guest is about to restart from scratch */
};

/* vCPUs a VM may have: xAPIC IDs 0..253; the I/O APIC and broadcast take the rest. */
#define VM_MAX_CPUS		254

/* What the VM itself needs of the configuration, validated by the machine. */
struct vm_params {
	unsigned cpus;			/* 1..VM_MAX_CPUS */
	uint64_t memory;		/* guest RAM, bytes */
	bool no_reboot;			/* a guest reboot ends the VM (VM_EXIT_REBOOT) */
	/* Where KVM's identity-map page and real-mode TSS (three pages) go, four pages
	 * from here; never RAM or device memory. 0: VM_IDENTITY_MAP_DEFAULT. */
	uint64_t identity_map_addr;
};

#define VM_IDENTITY_MAP_DEFAULT	0xfffbc000ull	/* the top of the MMIO window */

typedef void vm_hook_fn(struct vm *vm, void *opaque);
/*
 * Puts what the guest starts from into RAM (zeroed, the boot hooks' firmware tables
 * written) and says how vCPU 0 enters it: a kernel loaded directly, or firmware at the
 * reset vector. Loop or main thread, at every boot. 0, or -errno with a message
 * (without the "hvkvm: " prefix) in err.
 */
typedef int vm_loader_fn(struct vm *vm, struct vcpu_boot_state *st, char *err, size_t errlen,
			 void *opaque);
/* Loop thread; prev is the state before the change (VM_EVENT_STATE) or the current one. */
typedef void vm_event_fn(struct vm *vm, enum vm_event ev, enum vm_state prev, void *opaque);
/* Adds or changes leaves of vCPU index's CPUID table before KVM sees it. */
typedef void vm_cpuid_fn(struct vm *vm, unsigned index, struct kvm_cpuid2 *cpuid, void *opaque);

#define VM_MAX_HOOKS 32

struct vm_hook {
	vm_hook_fn *fn;
	void *opaque;
};

struct vm_event_hook {
	vm_event_fn *fn;
	void *opaque;
};

struct vm {
	struct vm_params params;
	int kvm_fd;
	int vm_fd;			/* replaced on reset, with the vCPUs stopped */
	size_t run_size;		/* mmap size of struct kvm_run */
	bool sync_regs;			/* KVM_CAP_SYNC_REGS has the general registers */
	bool is_amd;
	uint32_t tsc_khz;
	struct kvm_cpuid2 *supported_cpuid;

	struct gmem mem;
	struct io_bus pio, mmio;
	struct loop *loop;
	struct log_ratelimit irq_line_rl;	/* KVM_IRQ_LINE failures */

	unsigned ncpus;
	struct vcpu **vcpus;
	struct vcpu_boot_state boot_state;	/* for vCPU 0 at each boot */
	vm_loader_fn *loader;
	void *loader_opaque;
	unsigned boots;			/* guest starts so far */

	/* Set with the first request of a boot, cleared when vCPUs restart: a vCPU that
	 * sees it leaves its loop instead of running guest code again, so a guest that
	 * asked for a reset cannot go on to fault. */
	atomic_bool halt;
	pthread_mutex_t req_lock;	/* protects pending, req_posted */
	enum vm_request pending;
	bool req_posted;
	atomic_bool stopping;		/* the VM is going away: refuse new work */
	int exit_code;

	/* Loop thread only (see enum vm_state). */
	enum vm_state state;
	bool shutdown_requested;	/* this boot; SHUTTING_DOWN again after a resume */
	uint64_t started_ns, boot_ns;	/* CLOCK_MONOTONIC at the first start, at this boot */

	/* Called on the loop thread with all vCPUs stopped, before guest RAM is cleared:
	 * devices stop using it and go back to their power-on state. */
	struct vm_hook reset_hooks[VM_MAX_HOOKS];
	unsigned nreset_hooks;
	struct vm_hook boot_hooks[VM_MAX_HOOKS];	/* write firmware tables before the kernel */
	unsigned nboot_hooks;
	/* Called whenever the KVM VM is (re)created, before its vCPUs. */
	struct vm_hook kvm_hooks[VM_MAX_HOOKS];
	unsigned nkvm_hooks;
	/* Called on the loop thread with all vCPUs stopped when the VM pauses, and before
	 * they start again when it resumes: devices whose timers follow guest time stop
	 * them, and the partition holds its reference time still. */
	struct vm_hook pause_hooks[VM_MAX_HOOKS];
	unsigned npause_hooks;
	struct vm_hook resume_hooks[VM_MAX_HOOKS];
	unsigned nresume_hooks;
	struct vm_event_hook event_hooks[VM_MAX_HOOKS];
	unsigned nevent_hooks;
	vm_cpuid_fn *cpuid_fn;
	void *cpuid_opaque;
	struct msr_handler msr_handlers[MSR_MAX_HANDLERS];	/* set up before the vCPUs run */
	unsigned nmsr_handlers;
	uint64_t stats[8];		/* vCPU counters of boots gone by (enum vcpu_stat) */

	pthread_mutex_t ioeventfd_lock;	/* the list below; KVM registrations follow it */
	struct vm_ioeventfd *ioeventfds;
};

/* A port write that KVM turns into an eventfd signal without leaving the kernel. */
struct vm_ioeventfd {
	uint16_t port;
	uint8_t len;
	uint32_t datamatch;
	int fd;
	struct vm_ioeventfd *next;
};

/* Open /dev/kvm, create the VM, RAM and vCPUs. On failure returns a vm_exit_code and
 * has printed why. */
int vm_create(const struct vm_params *params, struct vm **out);
void vm_destroy(struct vm *vm);

int vm_add_reset_hook(struct vm *vm, vm_hook_fn *fn, void *opaque);
int vm_add_boot_hook(struct vm *vm, vm_hook_fn *fn, void *opaque);
int vm_add_kvm_hook(struct vm *vm, vm_hook_fn *fn, void *opaque);
void vm_set_cpuid_fn(struct vm *vm, vm_cpuid_fn *fn, void *opaque);
/* The guest loader vm_start() calls after the boot hooks (one per VM). */
void vm_set_loader(struct vm *vm, vm_loader_fn *fn, void *opaque);
int vm_add_pause_hook(struct vm *vm, vm_hook_fn *fn, void *opaque);
int vm_add_resume_hook(struct vm *vm, vm_hook_fn *fn, void *opaque);
int vm_add_event_hook(struct vm *vm, vm_event_fn *fn, void *opaque);
void vm_del_event_hook(struct vm *vm, vm_event_fn *fn, void *opaque);

/* "running", "paused", "shutting-down", ... */
const char *vm_state_name(enum vm_state s);

/* What management may read of the VM (loop thread, or the main thread before the loop
 * runs); the struct's fields are the VM's own. */
enum vm_state vm_get_state(const struct vm *vm);
bool vm_is_stopping(const struct vm *vm);	/* going away: refuse new work; any thread */
int vm_exit_code(const struct vm *vm);		/* once VM_STATE_STOPPED */
unsigned vm_boots(const struct vm *vm);		/* guest starts so far */
uint64_t vm_started_ns(const struct vm *vm);	/* CLOCK_MONOTONIC at the first start; 0: never */
uint64_t vm_boot_ns(const struct vm *vm);	/* ... at this boot */
unsigned vm_vcpu_count(const struct vm *vm);
uint64_t vm_memory_size(const struct vm *vm);	/* guest RAM, bytes */
struct loop *vm_loop(const struct vm *vm);
/* Counter k of vCPU index in this boot (0 for a vCPU that does not exist). */
uint64_t vm_vcpu_stat(const struct vm *vm, unsigned index, enum vcpu_stat k);

/* Load the guest and start the vCPUs (first boot and after each reset). Returns 0,
 * or a vm_exit_code after printing why. */
int vm_start(struct vm *vm);
/* Exit counters of all vCPUs over all boots (loop thread). */
void vm_get_stats(struct vm *vm, uint64_t total[VCPU_STAT_COUNT]);
void vm_print_stats(struct vm *vm, FILE *out);
/* Stop every vCPU thread and wait for them (before tearing devices down). */
void vm_stop(struct vm *vm);
/* Ask the machine to reset, power off, stop...; safe from any thread. */
void vm_request(struct vm *vm, enum vm_request req);

/*
 * Pause: stop every vCPU thread (the vCPUs keep their state in KVM) and run the pause
 * hooks; resume: run the resume hooks and start the threads again. Loop thread.
 * Pausing a paused VM or resuming a running one does nothing; both return -ESRCH
 * when the VM is not started yet or stopped for good.
 */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
/* The guest was asked to power off (SHUTTING_DOWN until it does or restarts). */
void vm_note_shutdown(struct vm *vm);

/* An irq_line that drives a GSI of the in-kernel IOAPIC/PIC. */
struct irq_line vm_irq_line(struct vm *vm, unsigned gsi);
/* Writes of `len` bytes equal to datamatch to port signal fd (kept across resets). */
int vm_ioeventfd_add(struct vm *vm, uint16_t port, uint8_t len, uint32_t datamatch, int fd);
void vm_ioeventfd_del(struct vm *vm, uint16_t port, uint8_t len, uint32_t datamatch, int fd);
/* Deliver vector to the local APIC whose ID is apic_id (fixed, edge); any thread. */
int vm_signal_msi(struct vm *vm, unsigned apic_id, uint8_t vector);
/* A machine_ctl that turns device events into requests. */
struct machine_ctl vm_machine_ctl(struct vm *vm);

#endif
