/* SPDX-License-Identifier: MIT */
#include "msr.h"
#include "log.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>

int msr_register(struct vm *vm, const struct msr_handler *h)
{
	if (vm->nmsr_handlers == MSR_MAX_HANDLERS)
		return -ENOSPC;
	vm->msr_handlers[vm->nmsr_handlers++] = *h;
	return 0;
}

static const struct msr_handler *msr_find(const struct vm *vm, uint32_t index)
{
	for (unsigned i = 0; i < vm->nmsr_handlers; i++)
		if (index >= vm->msr_handlers[i].first && index <= vm->msr_handlers[i].last)
			return &vm->msr_handlers[i];
	return NULL;
}

int msr_read(struct vcpu *v, uint32_t index, uint64_t *val)
{
	const struct msr_handler *h = msr_find(v->vm, index);

	if (h && h->read)
		return h->read(v, index, val, h->opaque);
	log_debug_limited(&v->rdmsr_rl, "vCPU %u: rdmsr 0x%x: no such MSR, #GP", v->index, index);
	return -EPERM;
}

int msr_write(struct vcpu *v, uint32_t index, uint64_t val)
{
	const struct msr_handler *h = msr_find(v->vm, index);

	if (h && h->write)
		return h->write(v, index, val, h->opaque);
	log_debug_limited(&v->wrmsr_rl, "vCPU %u: wrmsr 0x%x <- 0x%llx: no such MSR, #GP", v->index, index,
			  (unsigned long long)val);
	return -EPERM;
}
