/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vcpu.h"
#include "cpuid.h"
#include "msr.h"
#include "thread.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIG_VCPU_KICK SIGUSR1

#define MSR_IA32_MISC_ENABLE		0x000001a0
#define MSR_IA32_MISC_ENABLE_FAST_STRING 0x1ull
#define MSR_MTRR_DEF_TYPE		0x000002ff
#define MTRR_DEF_TYPE_ENABLE_WB		0x806ull	/* MTRRs on, default write-back */

#define APIC_LVT0			0x350
#define APIC_LVT1			0x360
#define APIC_MODE_NMI			0x4
#define APIC_MODE_EXTINT		0x7

static __thread struct vcpu *current_vcpu;

static const struct { const char *label, *key; } stat_names[VCPU_STAT_COUNT] = {
	[VCPU_STAT_EXITS] = { "exits", "exits" },
	[VCPU_STAT_PIO] = { "port I/O", "port_io" },
	[VCPU_STAT_MMIO] = { "MMIO", "mmio" },
	[VCPU_STAT_MSR_READ] = { "MSR reads", "msr_reads" },
	[VCPU_STAT_MSR_WRITE] = { "MSR writes", "msr_writes" },
	[VCPU_STAT_INTR] = { "interrupted", "interrupted" },
	[VCPU_STAT_OTHER] = { "other", "other" },
};

const char *vcpu_stat_label(enum vcpu_stat k)
{
	return stat_names[k].label;
}

const char *vcpu_stat_key(enum vcpu_stat k)
{
	return stat_names[k].key;
}

struct vcpu *vcpu_current(void)
{
	return current_vcpu;
}

/*
 * With KVM_CAP_SYNC_REGS, KVM copies the general registers into kvm_run at every exit
 * and takes them back from there at the next KVM_RUN when marked dirty: the vCPU's own
 * thread, inside an exit, reads and writes them without a system call (a hypercall
 * then costs KVM_RUN and KVM_GET_SREGS instead of four ioctls). Anywhere else the
 * ioctls.
 */
static bool vcpu_in_exit(const struct vcpu *v)
{
	return current_vcpu == v && (v->run->kvm_valid_regs & KVM_SYNC_X86_REGS);
}

int vcpu_get_regs(struct vcpu *v, struct kvm_regs *r)
{
	if (vcpu_in_exit(v)) {
		*r = v->run->s.regs.regs;
		return 0;
	}
	return ioctl(v->fd, KVM_GET_REGS, r) < 0 ? -errno : 0;
}

int vcpu_set_regs(struct vcpu *v, const struct kvm_regs *r)
{
	if (vcpu_in_exit(v)) {
		v->run->s.regs.regs = *r;
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return ioctl(v->fd, KVM_SET_REGS, r) < 0 ? -errno : 0;
}

/* Registers written in an exit that no KVM_RUN took: hand them over with the ioctl, so
 * that what other threads read and write afterwards is the vCPU's real state. */
static void vcpu_flush_regs(struct vcpu *v)
{
	if (!(v->run->kvm_dirty_regs & KVM_SYNC_X86_REGS))
		return;
	if (ioctl(v->fd, KVM_SET_REGS, &v->run->s.regs.regs) < 0)
		log_error("vCPU %u: KVM_SET_REGS: %s", v->index, strerror(errno));
	v->run->kvm_dirty_regs &= ~(uint64_t)KVM_SYNC_X86_REGS;
}

int vcpu_get_sregs(struct vcpu *v, struct kvm_sregs *s)
{
	return ioctl(v->fd, KVM_GET_SREGS, s) < 0 ? -errno : 0;
}

int vcpu_inject_exception(struct vcpu *v, uint8_t vector)
{
	struct kvm_vcpu_events ev;

	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	ev.exception.injected = 1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0 ? -errno : 0;
}

static uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int vcpu_kvm_msr_get(struct vcpu *v, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };
	int r = ioctl(v->fd, KVM_GET_MSRS, &m);

	if (r < 0)
		return -errno;
	if (r != 1)
		return -EINVAL;
	*val = m.e.data;
	return 0;
}

int vcpu_get_tsc_offset(struct vcpu *v, int64_t *offset)
{
	uint64_t off;
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)&off,
	};
	uint64_t before, after, tsc;
	int r;

	if (ioctl(v->fd, KVM_GET_DEVICE_ATTR, &attr) == 0) {
		*offset = (int64_t)off;
		return 0;
	}
	/* Older KVM: read the guest TSC between two host reads. */
	before = host_rdtsc();
	r = vcpu_kvm_msr_get(v, 0x10 /* IA32_TSC */, &tsc);
	if (r < 0)
		return r;
	after = host_rdtsc();
	*offset = (int64_t)(tsc - (before + (after - before) / 2));
	return 0;
}

int vcpu_kvm_msr_set(struct vcpu *v, uint32_t index, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = val };
	int r = ioctl(v->fd, KVM_SET_MSRS, &m);

	if (r < 0)
		return -errno;
	return r == 1 ? 0 : -EINVAL;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;	/* only here to interrupt KVM_RUN */
}

int vcpu_init_signals(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIG_VCPU_KICK, &sa, NULL) < 0 ? -errno : 0;
}

static int vcpu_set_msrs(struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = {
		.hdr.nmsrs = 2,
		.e = {
			{ .index = MSR_IA32_MISC_ENABLE, .data = MSR_IA32_MISC_ENABLE_FAST_STRING },
			{ .index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_TYPE_ENABLE_WB },
		},
	};
	int r = ioctl(v->fd, KVM_SET_MSRS, &m);

	if (r < 0)
		return -errno;
	if (r != 2)
		log_debug("vCPU %u: KVM took %d of 2 initial MSRs", v->index, r);
	return 0;
}

/* What firmware leaves behind on a PC: LINT0 in virtual-wire mode (ExtINT from the
 * 8259) and LINT1 as NMI. Linux's timer check relies on it. */
static int vcpu_set_lapic(struct vcpu *v)
{
	struct kvm_lapic_state la;
	uint32_t lvt;

	if (ioctl(v->fd, KVM_GET_LAPIC, &la) < 0)
		return -errno;
	memcpy(&lvt, la.regs + APIC_LVT0, 4);
	lvt = (lvt & ~0x700u) | (APIC_MODE_EXTINT << 8);
	memcpy(la.regs + APIC_LVT0, &lvt, 4);
	memcpy(&lvt, la.regs + APIC_LVT1, 4);
	lvt = (lvt & ~0x700u) | (APIC_MODE_NMI << 8);
	memcpy(la.regs + APIC_LVT1, &lvt, 4);
	return ioctl(v->fd, KVM_SET_LAPIC, &la) < 0 ? -errno : 0;
}

int vcpu_create(struct vm *vm, unsigned index, struct vcpu **out)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	struct kvm_cpuid2 *cpuid = NULL;
	int r;

	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->index = index;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0) {
		r = -errno;
		log_error("KVM_CREATE_VCPU %u: %s", index, strerror(errno));
		free(v);
		return r;
	}
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		r = -errno;
		log_error("vCPU %u: mmap kvm_run: %s", index, strerror(errno));
		v->run = NULL;
		goto fail;
	}
	if (vm->sync_regs)
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	cpuid = cpuid_for_vcpu(vm->supported_cpuid, index, vm->ncpus);
	if (!cpuid) {
		r = -ENOMEM;
		goto fail;
	}
	if (vm->cpuid_fn)
		vm->cpuid_fn(vm, index, cpuid, vm->cpuid_opaque);
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0) {
		r = -errno;
		log_error("vCPU %u: KVM_SET_CPUID2: %s", index, strerror(errno));
		goto fail;
	}
	free(cpuid);
	cpuid = NULL;
	r = vcpu_set_msrs(v);
	if (r == 0)
		r = vcpu_set_lapic(v);
	if (r < 0) {
		log_error("vCPU %u: initial state: %s", index, strerror(-r));
		goto fail;
	}
	*out = v;
	return 0;
fail:
	free(cpuid);
	vcpu_destroy(v);
	return r;
}

void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	if (v->running)
		vcpu_stop(v);
	if (v->run)
		munmap(v->run, v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0, .g = 1,
	};
}

int vcpu_set_boot_state(struct vcpu *v, const struct vcpu_boot_state *st)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_fpu fpu = { 0 };

	if (st->entry == VCPU_ENTRY_RESET)
		return 0;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.cs = flat_segment(st->cs, 0xb, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(st->ds, 0x3, false);
	sregs.gdt.base = st->gdt_base;
	sregs.gdt.limit = st->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = st->cr0;
	sregs.cr3 = st->cr3;
	sregs.cr4 = st->cr4;
	sregs.efer = st->efer;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	regs.rflags = 0x2;
	regs.rip = st->rip;
	regs.rsi = st->rsi;
	regs.rsp = st->rsp;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;

	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}

void vcpu_dump_state(struct vcpu *v, enum log_level level)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		log_msg(level, "vCPU %u: cannot read registers: %s", v->index, strerror(errno));
		return;
	}
	log_msg(level, "vCPU %u: rip %016llx rsp %016llx rflags %08llx", v->index, r.rip, r.rsp, r.rflags);
	log_msg(level, "vCPU %u: rax %016llx rbx %016llx rcx %016llx rdx %016llx", v->index,
		r.rax, r.rbx, r.rcx, r.rdx);
	log_msg(level, "vCPU %u: rsi %016llx rdi %016llx rbp %016llx r8  %016llx", v->index,
		r.rsi, r.rdi, r.rbp, r.r8);
	log_msg(level, "vCPU %u: cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx",
		v->index, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	log_msg(level, "vCPU %u: cs %04x base %llx l %u db %u  ss %04x  gdt %llx/%x  idt %llx/%x",
		v->index, s.cs.selector, s.cs.base, s.cs.l, s.cs.db, s.ss.selector, s.gdt.base,
		s.gdt.limit, s.idt.base, s.idt.limit);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	vcpu_stat_inc(v, VCPU_STAT_PIO);
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		io_bus_access(&v->vm->pio, run->io.port, data, run->io.size, write);
}

static void vcpu_handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	vcpu_stat_inc(v, VCPU_STAT_MMIO);
	io_bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		      run->mmio.is_write);
}

/* Returns false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	vcpu_stat_inc(v, VCPU_STAT_EXITS);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(v);
		return true;
	case KVM_EXIT_X86_RDMSR: {
		uint64_t val = 0;

		vcpu_stat_inc(v, VCPU_STAT_MSR_READ);
		run->msr.error = msr_read(v, run->msr.index, &val) < 0;
		run->msr.data = val;
		return true;
	}
	case KVM_EXIT_X86_WRMSR:
		vcpu_stat_inc(v, VCPU_STAT_MSR_WRITE);
		run->msr.error = msr_write(v, run->msr.index, run->msr.data) < 0;
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; treat as the guest being done. */
		log_info("vCPU %u halted with interrupts off", v->index);
		vm_request(vm, VM_REQ_POWEROFF);
		return false;
	case KVM_EXIT_SHUTDOWN:
		log_error("guest triple fault on vCPU %u (shutdown); state follows%s", v->index,
			  vm->is_amd ? " (KVM on AMD reinitializes the vCPU on shutdown: these may be reset values)" : "");
		vcpu_dump_state(v, LOG_ERROR);
		vm_request(vm, VM_REQ_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request(vm, VM_REQ_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request(vm, VM_REQ_RESET);
			break;
		default:
			log_error("vCPU %u: system event %u", v->index, run->system_event.type);
			vm_request(vm, VM_REQ_CRASH);
			break;
		}
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("KVM internal error on vCPU %u: suberror %u%s", v->index,
			  run->internal.suberror,
			  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				  " (KVM could not emulate an instruction: this host cannot run this guest)" : "");
		for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++)
			log_error("  data[%u] = 0x%llx", i, run->internal.data[i]);
		vcpu_dump_state(v, LOG_ERROR);
		vm_request(vm, VM_REQ_FAULT);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vCPU %u: VM entry failed, hardware reason 0x%llx", v->index,
			  run->fail_entry.hardware_entry_failure_reason);
		vcpu_dump_state(v, LOG_ERROR);
		vm_request(vm, VM_REQ_FAULT);
		return false;
	default:
		vcpu_stat_inc(v, VCPU_STAT_OTHER);
		log_warn_limited(&v->exit_rl, "vCPU %u: unexpected exit reason %u, ignored", v->index,
				 run->exit_reason);
		return true;
	}
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *v = opaque;
	char name[16];
	sigset_t set;

	current_vcpu = v;
	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	thread_started(THREAD_VCPU);
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&v->stop) && !atomic_load(&v->vm->halt)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu_stat_inc(v, VCPU_STAT_INTR);
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			log_error("vCPU %u: KVM_RUN: %s", v->index, strerror(errno));
			vm_request(v->vm, VM_REQ_ERROR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	vcpu_flush_regs(v);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int r;

	atomic_store(&v->stop, false);
	v->run->immediate_exit = 0;
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r)
		return -r;
	v->running = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->running)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, SIG_VCPU_KICK);
}

void vcpu_stop(struct vcpu *v)
{
	if (!v->running)
		return;
	atomic_store(&v->stop, true);
	vcpu_kick(v);
	pthread_join(v->thread, NULL);
	v->running = false;
}
