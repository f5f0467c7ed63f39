// SPDX-License-Identifier: GPL-2.0
/*
 * Lock-holder preemption on demand, for a guest with two vCPUs whose host has fewer
 * physical CPUs than that (the rig's L2 with --cpus 2 under an L1 with one vCPU).
 *
 * A kthread bound to CPU 1 takes a spinlock, holds it for hold_us of busy time and lets
 * it go, over and over. A kthread bound to CPU 0 keeps taking the same lock:
 *   mode=irqoff: with spin_lock_irqsave(), so whenever the host switched away from
 *     vCPU 1 while it held the lock, vCPU 0 spins in the qspinlock slow path
 *     (virt_spin_lock's "pause; jmp" loop on a hypervisor) with interrupts off until
 *     the host runs vCPU 1 again; only the host's own timer interrupt (a #VMEXIT, as the
 *     host intercepts physical interrupts) can end that spin;
 *   mode=ipi: no lock on CPU 0; it sends smp_call_function_single(1, ..., wait=1) in a
 *     loop, so it spins in csd_lock_wait() with interrupts on while vCPU 1 is away;
 *   mode=cpuid: like irqoff, but CPU 0 spins with spin_trylock() and a CPUID between
 *     tries: every try is an exit to the host and a new VMRUN, with interrupts off and
 *     (once the guest's own timer fired meanwhile) an interrupt for the guest pending,
 *     so the host asks for an interrupt window (V_IRQ) on each of those VMRUNs;
 *   mode=none: CPU 0 only counts, with interrupts on (no waiting on vCPU 1 at all).
 * CPU 0 prints the counters every second ("lhp: t=..."), and "lhp: done" after secs
 * seconds. A guest (or the host under it) that freezes stops the counters there.
 * On a one-CPU guest both kthreads share CPU 0: the same work with no lock-holder
 * preemption possible (a spinlock holder cannot be preempted there), the control.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/processor.h>

static char *mode = "irqoff";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "irqoff, ipi, cpuid or none: how CPU 0 waits for CPU 1");
static uint secs = 60;
module_param(secs, uint, 0444);
static uint hold_us = 50;
module_param(hold_us, uint, 0444);
MODULE_PARM_DESC(hold_us, "busy time CPU 1 holds the lock (and spends in each IPI)");
static uint gap_us = 5;
module_param(gap_us, uint, 0444);

static DEFINE_SPINLOCK(lhp_lock);
static unsigned long held, taken, ipis, maxwait_us, long_waits, cpuids;
static bool stop;
/* CPU 1, or CPU 0 on a one-CPU guest: the control, where nothing can spin. */
static int other;
static DECLARE_COMPLETION(holder_done);
static DECLARE_COMPLETION(waiter_done);

static int holder(void *unused)
{
	while (!READ_ONCE(stop)) {
		spin_lock(&lhp_lock);
		udelay(hold_us);
		held++;
		spin_unlock(&lhp_lock);
		udelay(gap_us);
		cond_resched();
	}
	complete(&holder_done);
	return 0;
}

static void ipi_fn(void *unused)
{
	udelay(hold_us);
}

static int waiter(void *unused)
{
	unsigned long start = jiffies, next = jiffies + HZ, flags;
	bool irqoff = !strcmp(mode, "irqoff"), ipi = !strcmp(mode, "ipi");
	bool cpuid = !strcmp(mode, "cpuid");
	u64 t0, us;

	pr_info("lhp: start mode=%s secs=%u hold_us=%u cpus=%u holder_cpu=%d\n", mode, secs,
		hold_us, num_online_cpus(), other);
	while (time_before(jiffies, start + secs * HZ)) {
		t0 = ktime_get_ns();
		if (irqoff) {
			spin_lock_irqsave(&lhp_lock, flags);
			taken++;
			spin_unlock_irqrestore(&lhp_lock, flags);
		} else if (cpuid) {
			local_irq_save(flags);
			while (!spin_trylock(&lhp_lock)) {
				cpuid_eax(0);
				cpuids++;
			}
			taken++;
			spin_unlock(&lhp_lock);
			local_irq_restore(flags);
		} else if (ipi) {
			smp_call_function_single(other, ipi_fn, NULL, 1);
			ipis++;
		} else {
			taken++;
		}
		us = (ktime_get_ns() - t0) / 1000;
		if (us > maxwait_us)
			maxwait_us = us;
		/* vCPU 1 was away (the host ran something else) while CPU 0 waited for it. */
		if (us >= 1000)
			long_waits++;
		udelay(gap_us);
		if (time_after_eq(jiffies, next)) {
			pr_info("lhp: t=%lu held=%lu taken=%lu ipis=%lu cpuids=%lu long_waits=%lu maxwait_us=%lu\n",
				(jiffies - start) / HZ, READ_ONCE(held), taken, ipis, cpuids,
				long_waits, maxwait_us);
			maxwait_us = 0;
			next += HZ;
		}
		cond_resched();
	}
	WRITE_ONCE(stop, true);
	complete(&waiter_done);
	return 0;
}

static int __init lhp_init(void)
{
	struct task_struct *h, *w;

	if (strcmp(mode, "irqoff") && strcmp(mode, "ipi") && strcmp(mode, "cpuid") &&
	    strcmp(mode, "none")) {
		pr_err("lhp: mode=%s: irqoff, ipi, cpuid or none\n", mode);
		return -EINVAL;
	}
	other = num_online_cpus() > 1 ? 1 : 0;
	h = kthread_create(holder, NULL, "lhp-holder");
	w = kthread_create(waiter, NULL, "lhp-waiter");
	if (IS_ERR(h) || IS_ERR(w))
		return -ENOMEM;
	kthread_bind(h, other);
	kthread_bind(w, 0);
	wake_up_process(h);
	wake_up_process(w);
	wait_for_completion(&waiter_done);
	wait_for_completion(&holder_done);
	pr_info("lhp: done held=%lu taken=%lu ipis=%lu long_waits=%lu\n", held, taken, ipis,
		long_waits);
	return 0;
}

static void __exit lhp_exit(void)
{
}

module_init(lhp_init);
module_exit(lhp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lock-holder preemption reproducer");
