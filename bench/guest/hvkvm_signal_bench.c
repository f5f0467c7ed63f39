// SPDX-License-Identifier: GPL-2.0
/*
 * Times HvCallSignalEvent from inside a Linux guest of hvkvm: the same fast hypercall
 * (what VMBus drivers issue for every ring signal) through the hypercall page's entry,
 * whose 64-bit path hands it to a KVM ioeventfd, and through the page's general exit
 * at offset 0x27, which always goes through hvkvm. Results are printed with printk.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <asm/mshyperv.h>
#include <asm/nospec-branch.h>

static uint conn = 0x2001;
module_param(conn, uint, 0444);
MODULE_PARM_DESC(conn, "VMBus connection id to signal");
static uint iters = 20000;
module_param(iters, uint, 0444);

#define HVKVM_PAGE_GENERAL_EXIT 0x27

static u64 signal_via(void *entry, u64 input)
{
	u64 status, control = HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT;

	asm volatile(CALL_NOSPEC
		     : "=a" (status), ASM_CALL_CONSTRAINT, "+c" (control), "+d" (input)
		     : THUNK_TARGET(entry)
		     : "cc", "r8", "r9", "r10", "r11", "memory");
	return status;
}

static u64 time_calls(void *entry, u64 *bad)
{
	u64 t0, t1;
	uint i;

	*bad = 0;
	preempt_disable();
	t0 = ktime_get_ns();
	for (i = 0; i < iters; i++)
		if ((u16)signal_via(entry, conn) != HV_STATUS_SUCCESS)
			(*bad)++;
	t1 = ktime_get_ns();
	preempt_enable();
	return (t1 - t0) / iters;
}

static int __init bench_init(void)
{
	u64 fast, slow, bad_fast, bad_slow;

	if (!hv_hypercall_pg || !iters)
		return -ENODEV;
	/* Warm up both paths once. */
	signal_via(hv_hypercall_pg, conn);
	signal_via(hv_hypercall_pg + HVKVM_PAGE_GENERAL_EXIT, conn);
	fast = time_calls(hv_hypercall_pg, &bad_fast);
	slow = time_calls(hv_hypercall_pg + HVKVM_PAGE_GENERAL_EXIT, &bad_slow);
	pr_info("hvkvm-bench: signal conn=0x%x iters=%u fast_ns=%llu slow_ns=%llu fast_errors=%llu slow_errors=%llu\n",
		conn, iters, fast, slow, bad_fast, bad_slow);
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hvkvm HvSignalEvent fast/slow path timing");
