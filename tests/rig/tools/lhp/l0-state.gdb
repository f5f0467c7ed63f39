# L0 (QEMU 7.2 TCG, the rig's patched build, which has symbols): the state of L1's
# vCPU that decides whether a pending physical interrupt leaves L2 (#VMEXIT(INTR)).
# Run as: gdb -p QEMU-PID -batch -x l0-state.gdb
set pagination off
set print pretty off
define l1cpu
  set $cs = cpus.tqh_first
  set $x = (X86CPU *) $cs
  printf "interrupt_request=%#x halted=%d exception_index=%d icount_decr=%#x exit_request=%d\n", $cs->interrupt_request, $cs->halted, $cs->exception_index, $x->neg.icount_decr.u32, $cs->exit_request
  printf "eip=%#lx eflags=%#lx hflags=%#x hflags2=%#x (GIF=%d HIF=%d VINTR=%d VGIF=%d NPT=%d)\n", $x->env.eip, $x->env.eflags, $x->env.hflags, $x->env.hflags2, ($x->env.hflags2 >> 0) & 1, ($x->env.hflags2 >> 1) & 1, ($x->env.hflags2 >> 3) & 1, ($x->env.hflags2 >> 8) & 1, ($x->env.hflags2 >> 6) & 1
  printf "int_ctl=%#x intercept=%#lx vm_vmcb=%#lx efer=%#lx\n", $x->env.int_ctl, $x->env.intercept, $x->env.vm_vmcb, $x->env.efer
  printf "pending_interrupt(interrupt_request)=%#x\n", x86_cpu_pending_interrupt($cs, $cs->interrupt_request)
  set $a = (APICCommonState *) $x->apic_state
  printf "apic: tpr=%#x irr[7]=%#x isr[7]=%#x apic_get_interrupt-free check: apicbase=%#lx\n", $a->tpr, $a->irr[7], $a->isr[7], $a->apicbase
end
echo == L1 vCPU, first look\n
l1cpu
echo == stop 5 times in helper_pause (the spin of L2's vCPU)\n
break helper_pause
break x86_cpu_exec_interrupt
set $n = 0
while $n < 5
  continue
  bt 6
  l1cpu
  set $n = $n + 1
end
delete
echo == all threads\n
thread apply all bt 8
detach
quit
