/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vm.h"
#include "cpuid.h"
#include "log.h"
#include "vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Three pages KVM needs for real mode on Intel without unrestricted guest follow the
 * identity-map page (vm_params.identity_map_addr). */

static int kvm_check_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int add_hook(struct vm_hook *hooks, unsigned *n, vm_hook_fn *fn, void *opaque)
{
	if (*n == VM_MAX_HOOKS)
		return -ENOSPC;
	hooks[(*n)++] = (struct vm_hook){ fn, opaque };
	return 0;
}

int vm_add_reset_hook(struct vm *vm, vm_hook_fn *fn, void *opaque)
{
	return add_hook(vm->reset_hooks, &vm->nreset_hooks, fn, opaque);
}

int vm_add_boot_hook(struct vm *vm, vm_hook_fn *fn, void *opaque)
{
	return add_hook(vm->boot_hooks, &vm->nboot_hooks, fn, opaque);
}

int vm_add_kvm_hook(struct vm *vm, vm_hook_fn *fn, void *opaque)
{
	return add_hook(vm->kvm_hooks, &vm->nkvm_hooks, fn, opaque);
}

void vm_set_cpuid_fn(struct vm *vm, vm_cpuid_fn *fn, void *opaque)
{
	vm->cpuid_fn = fn;
	vm->cpuid_opaque = opaque;
}

enum vm_state vm_get_state(const struct vm *vm)
{
	return vm->state;
}

bool vm_is_stopping(const struct vm *vm)
{
	return atomic_load(&vm->stopping);
}

int vm_exit_code(const struct vm *vm)
{
	return vm->exit_code;
}

unsigned vm_boots(const struct vm *vm)
{
	return vm->boots;
}

uint64_t vm_started_ns(const struct vm *vm)
{
	return vm->started_ns;
}

uint64_t vm_boot_ns(const struct vm *vm)
{
	return vm->boot_ns;
}

unsigned vm_vcpu_count(const struct vm *vm)
{
	return vm->ncpus;
}

uint64_t vm_memory_size(const struct vm *vm)
{
	return vm->mem.size;
}

struct loop *vm_loop(const struct vm *vm)
{
	return vm->loop;
}

uint64_t vm_vcpu_stat(const struct vm *vm, unsigned index, enum vcpu_stat k)
{
	if (!vm->vcpus || index >= vm->ncpus || !vm->vcpus[index])
		return 0;
	return vcpu_stat(vm->vcpus[index], k);
}

void vm_set_loader(struct vm *vm, vm_loader_fn *fn, void *opaque)
{
	vm->loader = fn;
	vm->loader_opaque = opaque;
}

int vm_add_pause_hook(struct vm *vm, vm_hook_fn *fn, void *opaque)
{
	return add_hook(vm->pause_hooks, &vm->npause_hooks, fn, opaque);
}

int vm_add_resume_hook(struct vm *vm, vm_hook_fn *fn, void *opaque)
{
	return add_hook(vm->resume_hooks, &vm->nresume_hooks, fn, opaque);
}

int vm_add_event_hook(struct vm *vm, vm_event_fn *fn, void *opaque)
{
	if (vm->nevent_hooks == VM_MAX_HOOKS)
		return -ENOSPC;
	vm->event_hooks[vm->nevent_hooks++] = (struct vm_event_hook){ fn, opaque };
	return 0;
}

void vm_del_event_hook(struct vm *vm, vm_event_fn *fn, void *opaque)
{
	for (unsigned i = 0; i < vm->nevent_hooks; i++) {
		if (vm->event_hooks[i].fn == fn && vm->event_hooks[i].opaque == opaque) {
			vm->event_hooks[i] = vm->event_hooks[--vm->nevent_hooks];
			return;
		}
	}
}

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_STATE_CREATED: return "created";
	case VM_STATE_RUNNING: return "running";
	case VM_STATE_PAUSED: return "paused";
	case VM_STATE_SHUTTING_DOWN: return "shutting-down";
	case VM_STATE_STOPPED: return "stopped";
	}
	return "?";
}

static void vm_emit(struct vm *vm, enum vm_event ev, enum vm_state prev)
{
	for (unsigned i = 0; i < vm->nevent_hooks; i++)
		vm->event_hooks[i].fn(vm, ev, prev, vm->event_hooks[i].opaque);
}

static void vm_set_state(struct vm *vm, enum vm_state s)
{
	enum vm_state prev = vm->state;

	if (s == prev)
		return;
	vm->state = s;
	vm_emit(vm, VM_EVENT_STATE, prev);
}

static void run_hooks(struct vm *vm, const struct vm_hook *hooks, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		hooks[i].fn(vm, hooks[i].opaque);
}

static void vm_set_irq(void *ctx, unsigned gsi, int level)
{
	struct vm *vm = ctx;
	struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn_limited(&vm->irq_line_rl, "KVM_IRQ_LINE %u: %s", gsi, strerror(errno));
}

struct irq_line vm_irq_line(struct vm *vm, unsigned gsi)
{
	return (struct irq_line){ vm_set_irq, vm, gsi };
}

void vm_get_stats(struct vm *vm, uint64_t total[VCPU_STAT_COUNT])
{
	_Static_assert(VCPU_STAT_COUNT <= sizeof(vm->stats) / sizeof(vm->stats[0]), "stats");
	for (unsigned k = 0; k < VCPU_STAT_COUNT; k++) {
		total[k] = vm->stats[k];
		for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++)
			if (vm->vcpus[i])
				total[k] += vcpu_stat(vm->vcpus[i], (enum vcpu_stat)k);
	}
}

void vm_print_stats(struct vm *vm, FILE *out)
{
	uint64_t total[VCPU_STAT_COUNT];

	vm_get_stats(vm, total);
	fprintf(out, "hvkvm statistics (%u boot%s, %u vCPU%s):\n", vm->boots, vm->boots == 1 ? "" : "s",
		vm->ncpus, vm->ncpus == 1 ? "" : "s");
	for (unsigned k = 0; k < VCPU_STAT_COUNT; k++)
		fprintf(out, "  vcpu %-30s %12llu\n", vcpu_stat_label((enum vcpu_stat)k), (unsigned long long)total[k]);
}

static int ioeventfd_ioctl(struct vm *vm, const struct vm_ioeventfd *e, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = e->datamatch,
		.addr = e->port,
		.len = e->len,
		.fd = e->fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (vm->vm_fd < 0)
		return 0;
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

int vm_ioeventfd_add(struct vm *vm, uint16_t port, uint8_t len, uint32_t datamatch, int fd)
{
	struct vm_ioeventfd *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	*e = (struct vm_ioeventfd){ port, len, datamatch, fd, NULL };
	pthread_mutex_lock(&vm->ioeventfd_lock);
	r = ioeventfd_ioctl(vm, e, true);
	if (r == 0) {
		e->next = vm->ioeventfds;
		vm->ioeventfds = e;
	}
	pthread_mutex_unlock(&vm->ioeventfd_lock);
	if (r < 0)
		free(e);
	return r;
}

void vm_ioeventfd_del(struct vm *vm, uint16_t port, uint8_t len, uint32_t datamatch, int fd)
{
	pthread_mutex_lock(&vm->ioeventfd_lock);
	for (struct vm_ioeventfd **pp = &vm->ioeventfds; *pp; pp = &(*pp)->next) {
		struct vm_ioeventfd *e = *pp;

		if (e->port == port && e->len == len && e->datamatch == datamatch && e->fd == fd) {
			ioeventfd_ioctl(vm, e, false);
			*pp = e->next;
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&vm->ioeventfd_lock);
}

/* A rebuilt KVM VM knows none of them: register them all again. */
static int vm_replay_ioeventfds(struct vm *vm)
{
	int r = 0;

	pthread_mutex_lock(&vm->ioeventfd_lock);
	for (struct vm_ioeventfd *e = vm->ioeventfds; e && r == 0; e = e->next)
		r = ioeventfd_ioctl(vm, e, true);
	pthread_mutex_unlock(&vm->ioeventfd_lock);
	return r;
}

int vm_signal_msi(struct vm *vm, unsigned apic_id, uint8_t vector)
{
	struct kvm_msi msi = {
		.address_lo = 0xfee00000u | (apic_id << 12),
		.data = vector,
	};

	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static void vm_machine_event(void *ctx, enum machine_event ev)
{
	vm_request(ctx, ev == MACHINE_POWEROFF ? VM_REQ_POWEROFF : VM_REQ_RESET);
}

struct machine_ctl vm_machine_ctl(struct vm *vm)
{
	return (struct machine_ctl){ vm_machine_event, vm };
}

static void vm_destroy_kvm(struct vm *vm)
{
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->ncpus; i++) {
			for (unsigned k = 0; vm->vcpus[i] && k < VCPU_STAT_COUNT; k++)
				vm->stats[k] += vcpu_stat(vm->vcpus[i], (enum vcpu_stat)k);
			vcpu_destroy(vm->vcpus[i]);
			vm->vcpus[i] = NULL;
		}
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}

static int vm_set_memslots(struct vm *vm)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct gmem_region *r = &vm->mem.region[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return -errno;
	}
	return gmem_devmem_replay(&vm->mem);
}

/* Device memory coming and going (a frame buffer the guest places, a flash entering
 * command mode): on the loop thread or a vCPU thread, with the vCPUs running; KVM
 * makes the change atomic for them and serialises concurrent calls. Without a KVM
 * VM (during a reset) there is nothing to tell: vm_set_memslots() replays. */
static int vm_devmem_slot(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host,
			  unsigned flags)
{
	struct vm *vm = opaque;
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags & GMEM_SLOT_READONLY ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (vm->vm_fd < 0)
		return 0;
	if (size && (flags & GMEM_SLOT_READONLY) && kvm_check_cap(vm->vm_fd, KVM_CAP_READONLY_MEM) <= 0) {
		log_warn("read-only memory at 0x%llx: this KVM has no KVM_CAP_READONLY_MEM",
			 (unsigned long long)gpa);
		return -ENOTSUP;
	}
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		int err = -errno;

		log_warn("KVM_SET_USER_MEMORY_REGION slot %u at 0x%llx (%llu bytes): %s", slot,
			 (unsigned long long)gpa, (unsigned long long)size, strerror(-err));
		return err;
	}
	return 0;
}

/* Create the KVM VM and its vCPUs; on a reset this runs again on fresh descriptors. */
static int vm_build_kvm(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = vm->params.identity_map_addr ? vm->params.identity_map_addr : VM_IDENTITY_MAP_DEFAULT;
	const char *what;
	int r;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		what = "KVM_CREATE_VM";
		goto fail;
	}
	what = "KVM_SET_TSS_ADDR";
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)(ident + 0x1000)) < 0)
		goto fail;
	what = "KVM_SET_IDENTITY_MAP_ADDR";
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		goto fail;
	what = "KVM_CREATE_IRQCHIP";
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		goto fail;
	what = "KVM_CREATE_PIT2";
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		goto fail;
	what = "KVM_SET_USER_MEMORY_REGION";
	r = vm_set_memslots(vm);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	if (kvm_check_cap(vm->vm_fd, KVM_CAP_X86_USER_SPACE_MSR)) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_X86_USER_SPACE_MSR,
			.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_FILTER,
		};

		what = "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)";
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			goto fail;
	}
	run_hooks(vm, vm->kvm_hooks, vm->nkvm_hooks);
	what = "KVM_IOEVENTFD";
	r = vm_replay_ioeventfds(vm);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		r = vcpu_create(vm, i, &vm->vcpus[i]);
		if (r < 0)
			return r;
	}
	if (!vm->tsc_khz) {
		int khz = ioctl(vm->vcpus[0]->fd, KVM_GET_TSC_KHZ, 0);

		vm->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
		log_debug("TSC frequency %u kHz", vm->tsc_khz);
	}
	return 0;
fail:
	r = -errno;
	log_error("%s: %s", what, strerror(errno));
	return r;
}

static int vm_open_kvm(struct vm *vm)
{
	int r;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		r = errno;
		log_error("/dev/kvm: %s%s", strerror(r),
			  r == ENOENT ? " (KVM is not available here: load kvm-intel or kvm-amd, or enable virtualization)" :
			  r == EACCES ? " (add your user to group kvm)" : "");
		return -r;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		log_error("/dev/kvm: API version %d, expected %d", r, KVM_API_VERSION);
		return -ENOTSUP;
	}
	static const struct { long cap; const char *name; } needed[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ" },
	};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!kvm_check_cap(vm->kvm_fd, needed[i].cap)) {
			log_error("/dev/kvm lacks %s, which hvkvm needs", needed[i].name);
			return -ENOTSUP;
		}
	}
	r = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPUS);
	if (!r)
		r = kvm_check_cap(vm->kvm_fd, KVM_CAP_NR_VCPUS);
	if (r && vm->ncpus > (unsigned)r) {
		log_error("--cpus %u: too many CPUs, this KVM supports at most %d", vm->ncpus, r);
		return -E2BIG;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0) {
		log_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -errno;
	}
	vm->run_size = (size_t)r;
	r = kvm_check_cap(vm->kvm_fd, KVM_CAP_SYNC_REGS);
	vm->sync_regs = r > 0 && (r & KVM_SYNC_X86_REGS);
	vm->supported_cpuid = cpuid_get_supported(vm->kvm_fd);
	if (!vm->supported_cpuid) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -errno;
	}
	vm->is_amd = cpuid_is_amd(vm->supported_cpuid);
	return 0;
}

int vm_create(const struct vm_params *params, struct vm **out)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int r;

	if (!vm) {
		log_error("out of memory");
		return VM_EXIT_ERROR;
	}
	vm->params = *params;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.fd = -1;
	vm->ncpus = params->cpus;
	pthread_mutex_init(&vm->req_lock, NULL);
	pthread_mutex_init(&vm->ioeventfd_lock, NULL);
	io_bus_init(&vm->pio, "port");
	io_bus_init(&vm->mmio, "mmio");
	*out = vm;

	if (vm_open_kvm(vm) < 0)
		return VM_EXIT_USAGE;
	r = gmem_init(&vm->mem, params->memory);
	if (r == 0)
		r = gmem_set_slot_fn(&vm->mem, vm_devmem_slot, vm);
	if (r < 0) {
		log_error("--memory %lluM: cannot allocate guest RAM: %s",
			  (unsigned long long)(params->memory >> 20), strerror(-r));
		return VM_EXIT_USAGE;
	}
	vm->loop = loop_new();
	vm->vcpus = calloc(vm->ncpus, sizeof(vm->vcpus[0]));
	if (!vm->loop || !vm->vcpus) {
		log_error("out of memory");
		return VM_EXIT_ERROR;
	}
	if (vcpu_init_signals() < 0) {
		log_error("cannot install the vCPU kick signal: %s", strerror(errno));
		return VM_EXIT_ERROR;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_destroy_kvm(vm);
	free(vm->vcpus);
	free(vm->supported_cpuid);
	gmem_destroy(&vm->mem);
	loop_free(vm->loop);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->req_lock);
	while (vm->ioeventfds) {
		struct vm_ioeventfd *e = vm->ioeventfds;

		vm->ioeventfds = e->next;
		free(e);
	}
	pthread_mutex_destroy(&vm->ioeventfd_lock);
	free(vm);
}

static int vm_start_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int r = vm->vcpus[i] ? vcpu_start(vm->vcpus[i]) : 0;

		if (r < 0) {
			log_error("vCPU %u: cannot start its thread: %s", i, strerror(-r));
			return r;
		}
	}
	return 0;
}

int vm_start(struct vm *vm)
{
	char err[512];
	int r;

	if (vm->vm_fd < 0 && vm_build_kvm(vm) < 0)
		return VM_EXIT_ERROR;
	vm->boots++;
	vm->boot_ns = loop_now_ns();
	if (!vm->started_ns)
		vm->started_ns = vm->boot_ns;
	vm->shutdown_requested = false;
	run_hooks(vm, vm->boot_hooks, vm->nboot_hooks);
	if (!vm->loader) {
		log_error("no guest loader: nothing to boot");
		return VM_EXIT_ERROR;
	}
	r = vm->loader(vm, &vm->boot_state, err, sizeof(err), vm->loader_opaque);
	if (r < 0) {
		/* Everything a loader checks comes from the user: the files and --memory. */
		log_error("%s", err);
		return VM_EXIT_USAGE;
	}
	atomic_store(&vm->halt, false);
	r = vcpu_set_boot_state(vm->vcpus[0], &vm->boot_state);
	if (r < 0) {
		log_error("vCPU 0: setting the boot registers: %s", strerror(-r));
		return VM_EXIT_ERROR;
	}
	r = vm_start_vcpus(vm);
	if (r < 0)
		return VM_EXIT_ERROR;
	vm_set_state(vm, VM_STATE_RUNNING);
	return 0;
}

void vm_stop(struct vm *vm)
{
	/* Kick them all first so they leave KVM_RUN in parallel, then wait. */
	if (!vm->vcpus)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i]) {
			atomic_store(&vm->vcpus[i]->stop, true);
			vcpu_kick(vm->vcpus[i]);
		}
	}
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_stop(vm->vcpus[i]);
}

static void vm_finish(struct vm *vm, int code)
{
	atomic_store(&vm->stopping, true);
	vm->exit_code = code;
	vm_set_state(vm, VM_STATE_STOPPED);
	loop_quit(vm->loop);
}

static int vm_restart(struct vm *vm)
{
	int r;

	vm_emit(vm, VM_EVENT_RESET, vm->state);
	vm_destroy_kvm(vm);
	/* Devices first: they finish the I/O still writing into guest RAM, which must not
	 * land in the next boot's memory. */
	run_hooks(vm, vm->reset_hooks, vm->nreset_hooks);
	r = gmem_discard(&vm->mem);
	if (r < 0) {
		log_error("reset: discarding guest RAM: %s", strerror(-r));
		return r;
	}
	return vm_start(vm) ? -EIO : 0;
}

static void vm_handle_request(void *opaque)
{
	struct vm *vm = opaque;
	enum vm_request req;

	pthread_mutex_lock(&vm->req_lock);
	req = vm->pending;
	vm->pending = VM_REQ_NONE;
	vm->req_posted = false;
	pthread_mutex_unlock(&vm->req_lock);
	if (req == VM_REQ_NONE || atomic_load(&vm->stopping))
		return;

	vm_stop(vm);
	/* Devices paused with the VM see it resume before they are reset or torn down. */
	if (vm->state == VM_STATE_PAUSED)
		run_hooks(vm, vm->resume_hooks, vm->nresume_hooks);
	switch (req) {
	case VM_REQ_RESET:
		if (vm->params.no_reboot) {
			log_info("guest rebooted; exiting (--no-reboot)");
			vm_finish(vm, VM_EXIT_REBOOT);
		} else {
			log_info("guest reset: restarting it");
			if (vm_restart(vm) < 0)
				vm_finish(vm, VM_EXIT_ERROR);
		}
		break;
	case VM_REQ_HOST_RESET:
		log_info("reset by the host: restarting the guest");
		if (vm_restart(vm) < 0)
			vm_finish(vm, VM_EXIT_ERROR);
		break;
	case VM_REQ_POWEROFF:
		log_info("guest powered off");
		vm_finish(vm, VM_EXIT_POWEROFF);
		break;
	case VM_REQ_STOP:
		log_info("guest stopped by the host");
		vm_finish(vm, VM_EXIT_HOST_STOP);
		break;
	case VM_REQ_CRASH:
		vm_finish(vm, VM_EXIT_GUEST_CRASH);
		break;
	case VM_REQ_FAULT:
		vm_finish(vm, VM_EXIT_GUEST_FAULT);
		break;
	case VM_REQ_ERROR:
	default:
		vm_finish(vm, VM_EXIT_ERROR);
		break;
	}
}

void vm_request(struct vm *vm, enum vm_request req)
{
	bool post;

	pthread_mutex_lock(&vm->req_lock);
	if (req > vm->pending)
		vm->pending = req;
	post = !vm->req_posted;
	vm->req_posted = true;
	pthread_mutex_unlock(&vm->req_lock);
	atomic_store(&vm->halt, true);
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i]);
	if (post && loop_post(vm->loop, vm_handle_request, vm) < 0)
		log_error("cannot queue a machine request: out of memory");
}

int vm_pause(struct vm *vm)
{
	if (vm->state == VM_STATE_PAUSED)
		return 0;
	if ((vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_SHUTTING_DOWN) ||
	    atomic_load(&vm->stopping))
		return -ESRCH;
	vm_stop(vm);
	run_hooks(vm, vm->pause_hooks, vm->npause_hooks);
	vm_set_state(vm, VM_STATE_PAUSED);
	return 0;
}

int vm_resume(struct vm *vm)
{
	int r;

	if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_SHUTTING_DOWN)
		return 0;
	if (vm->state != VM_STATE_PAUSED || atomic_load(&vm->stopping))
		return -ESRCH;
	run_hooks(vm, vm->resume_hooks, vm->nresume_hooks);
	r = vm_start_vcpus(vm);
	if (r < 0) {
		vm_request(vm, VM_REQ_ERROR);
		return r;
	}
	vm_set_state(vm, vm->shutdown_requested ? VM_STATE_SHUTTING_DOWN : VM_STATE_RUNNING);
	return 0;
}

void vm_note_shutdown(struct vm *vm)
{
	vm->shutdown_requested = true;
	if (vm->state == VM_STATE_RUNNING)
		vm_set_state(vm, VM_STATE_SHUTTING_DOWN);
}
