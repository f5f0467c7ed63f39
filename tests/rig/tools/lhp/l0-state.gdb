# L0 (QEMU 7.2 TCG, the rig's patched build, which has symbols): the state of L1's
# vCPU that decides whether a pending physical interrupt of L1 leaves L2 (#VMEXIT(INTR)):
# the CPU's interrupt_request (CPU_INTERRUPT_HARD 0x2, _POLL 0x80, _VIRQ 0x100), hflags2
# (GIF 0x1, HIF 0x2, VINTR 0x8, NPT 0x40, VGIF 0x100), L1's IF, the VMCB's int_ctl, and
# L1's local APIC (IRR/ISR, vector 236 = irr[7] bit 12, the timer).
# Run as: gdb -p QEMU-PID -batch -x l0-state.gdb  (no function is called in QEMU)
set pagination off
set print pretty off
# ($cs would be the CS register: convenience variables here are $c and $x)
set $c = cpus.tqh_first
set $x = (X86CPU *) $c
printf "interrupt_request=%#x halted=%d exit_request=%d\n", $c->interrupt_request, $c->halted, $c->exit_request
printf "hflags=%#x (HF_GUEST=%d) hflags2=%#x (GIF=%d HIF=%d VINTR=%d VGIF=%d)\n", $x->env.hflags, ($x->env.hflags >> 21) & 1, $x->env.hflags2, $x->env.hflags2 & 1, ($x->env.hflags2 >> 1) & 1, ($x->env.hflags2 >> 3) & 1, ($x->env.hflags2 >> 8) & 1
printf "eflags=%#lx eip=%#lx int_ctl=%#x (V_IRQ=%d V_INTR_MASKING=%d) intercept=%#lx\n", $x->env.eflags, $x->env.eip, $x->env.int_ctl, ($x->env.int_ctl >> 8) & 1, ($x->env.int_ctl >> 24) & 1, $x->env.intercept
set $a = (APICCommonState *) $x->apic_state
printf "apic: spurious_vec=%#x tpr=%#x\n", $a->spurious_vec, $a->tpr
p/x $a->irr
p/x $a->isr
echo == threads\n
thread apply all bt 8
detach
quit
