#!/bin/bash
# The Hyper-V interface and VMBus as Debian's kernel uses them: enlightenments, clock,
# crash reporting, integration components, graceful shutdown, reboot, channel retargeting,
# and a plain PC with --hv off.
. "$(dirname "$0")/../lib.sh"

# --- enlightenments, VMBus and the ICs, 2 vCPUs; hvkvm under strace -----------------------
# strace stops hvkvm only at its ioctls (--seccomp-bpf), not at every system call.
t0=$SECONDS
strace -f --seccomp-bpf -qq -e trace=ioctl -o "$OUT/strace.txt" "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
	--serial "file:$OUT/enlight.serial" --cpus 2 --memory 1G --stats \
	--cmdline "console=ttyS0 rig.test=hvinfo" > /dev/null 2> "$OUT/enlight.err" < /dev/null
rc=$?
echo "# guest enlight (under strace): exit $rc after $((SECONDS - t0)) s"
d() { grep -aq "$1" "$OUT/enlight.serial"; }
check "enlight: exit 0" [ "$rc" = 0 ]
check "enlight: Hypervisor detected: Microsoft Hyper-V" d 'Hypervisor detected: Microsoft Hyper-V'
check "enlight: the privilege flags line" d 'Hyper-V: privilege flags low 0x'
grep -a -o 'Hyper-V: privilege flags.*' "$OUT/enlight.serial" | head -n 1 | sed 's/^/# /'
check "enlight: clocksource hyperv_clocksource_tsc_page" d 'Switched to clocksource hyperv_clocksource_tsc_page'
check "enlight: IPI hypercalls" d 'Hyper-V: Using IPI hypercalls'
check "enlight: TSC frequency from Hyper-V (no calibration)" d 'tsc: Detected .* MHz processor'
check "enlight: a Hyper-V stimer clockevent per CPU" \
	[ "$(grep -a -c 'clockevent=clockevent.*Hyper-V_clockevent' "$OUT/enlight.serial")" = 2 ]
stat_of() { awk -v k="$1" 'index($0, k) {print $NF; exit}' "$OUT/enlight.err"; }
ipis=$(stat_of SendSyntheticClusterIpi)
check "--stats: IPI hypercalls counted ($ipis)" [ "${ipis:-0}" -gt 0 ]
check "--stats: PostMessage hypercalls counted" [ "$(stat_of ' PostMessage')" -gt 0 ]
simp=$(awk '/ SIMP / {print $5 + $7}' "$OUT/enlight.err")
check "--stats: SynIC MSR accesses counted (SIMP: $simp)" [ "${simp:-0}" -gt 0 ]
msgs=$(sed -n 's/.*synic messages \([0-9]*\), event flags \([0-9]*\).*/\1 \2/p' "$OUT/enlight.err")
both_positive() { [ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ]; }
check "--stats: SINT deliveries counted (messages, event flags: $msgs)" both_positive $msgs
# vapic: Linux EOIs through the synthetic EOI MSR, and skips the EOI when the VP assist
# page's APIC assist bit says so (KVM's PV EOI sets it as it delivers an interrupt). An
# exit before the guest's EOI ends that chance (KVM clears the bit), and the stimer handler
# reprograms its timer, an MSR exit, before it EOIs: count each timer interrupt as one EOI
# write. Of the other interrupts (IPIs, VMBus), fewer than half may need one.
check "enlight: Using enlightened APIC (x2apic mode)" d 'Hyper-V: Using enlightened APIC (x2apic mode)'
eois=$(awk '/ EOI / {print $7}' "$OUT/enlight.err")
irqs=$(sed -n 's/.*SINT\/IPI interrupts \([0-9]*\),.*/\1/p' "$OUT/enlight.err")	# with the timers'
timers=$(awk '/stimer expirations/ {print $NF}' "$OUT/enlight.err")
others=$((${irqs:-0} - ${timers:-0}))
echo "# vapic: $eois EOI MSR writes; $irqs interrupts injected, $timers of them timers"
check "vapic: lazy EOI spares most EOIs ($eois EOI writes, $timers timer and $others other interrupts)" \
	sh -c "[ $others -gt 100 ] && [ $(((${eois:-0} - ${timers:-0}) * 2)) -lt $others ]"
check "vapic: KVM took every APIC MSR access" sh -c "! grep -q 'refused by KVM\|PV EOI at' '$OUT/enlight.err'"
check "strace: the MSR filter was installed" grep -q 'KVM_X86_SET_MSR_FILTER' "$OUT/strace.txt"
check "strace: no KVM_ENABLE_CAP of any KVM_CAP_HYPERV*" \
	sh -c "! grep -E 'KVM_ENABLE_CAP.*HYPERV' '$OUT/strace.txt'"
check "strace: no KVM_HYPERV_EVENTFD" sh -c "! grep -q 'KVM_HYPERV_EVENTFD' '$OUT/strace.txt'"
# Hypercalls take the registers from kvm_run (KVM_CAP_SYNC_REGS): KVM_GET_REGS and
# KVM_SET_REGS only where no exit is being handled (vCPU 0's boot state, a flush as a vCPU
# thread ends), against thousands of hypercalls (each one KVM_GET_SREGS).
n_regs=$(grep -c -E 'KVM_(GET|SET)_REGS' "$OUT/strace.txt")
n_sregs=$(grep -c 'KVM_GET_SREGS' "$OUT/strace.txt")
echo "# strace: KVM_GET_REGS and KVM_SET_REGS $n_regs, KVM_GET_SREGS $n_sregs"
check "strace: hypercalls use the registers in kvm_run ($n_regs KVM_GET/SET_REGS, $n_sregs KVM_GET_SREGS)" \
	sh -c "[ $n_regs -le 3 ] && [ $n_sregs -gt 100 ]"
check "vmbus: Vmbus version:5.3" d 'hv_vmbus: Vmbus version:5.3'

# --- VMBus devices bound to hv_utils ------------------------------------------------------
guest vmbus --cpus 2 --memory 1G --cmdline "console=ttyS0 rig.test=vmbus"
check "vmbus: exit 0" [ "$rc" = 0 ]
for c in 0e0b6031-5213-4934-818b-38d90ced39db 57164f39-9115-4e78-ab55-382f3bd5422d \
	 9527e630-d0ae-497b-adce-e80ab0175caf a9a0f4e7-5a45-4d96-b827-8a841e8c03e6; do
	check "vmbus: IC class $c bound to hv_utils" grep -aq "class={$c} driver=hv_utils" "$OUT/vmbus.serial"
done
check "vmbus: the synthetic keyboard bound to hyperv_keyboard" \
	grep -aq 'class={f912ad6d-2b17-48ea-bd65-f927a61c7684} driver=hyperv_keyboard' "$OUT/vmbus.serial"
check "vmbus: the synthetic mouse bound to hid_hyperv" \
	grep -aq 'class={cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a} driver=hid_hyperv' "$OUT/vmbus.serial"
check "vmbus: the synthetic video bound to hyperv_drm" \
	grep -aq 'class={da0a7802-e377-4aac-8e77-0558eb1073f8} driver=hyperv_drm' "$OUT/vmbus.serial"

# --- the guest clock over a minute ---------------------------------------------------------
# The host asks the guest for its clock on the guest's console and notes when it asked and
# when the answer arrived (tail wakes on the write, bash stamps with its own clock): a
# right guest clock lies between the two, so the offset is bounded by the round trip. Five
# questions in a row, twice, a minute apart; the one with the shortest round trip counts.
mkfifo /tmp/clock-in
: > "$OUT/clock.asked"
asker() {
	local r k
	wait_for "$GUEST_TIMEOUT" "the guest's clock-ready" grep -aq '^clock-ready' "$OUT/clock.serial" >&2 || return
	for r in 1 2; do
		# (the minute between the rounds is what this test measures)
		[ $r = 2 ] && sleep 60
		for k in 1 2 3 4 5; do
			echo "r$r.$k $EPOCHREALTIME" >> "$OUT/clock.asked"
			printf 'r%s.%s\n' $r $k
			wait_for 120 "the guest's answer to r$r.$k" grep -aq "^clock=r$r.$k " "$OUT/clock.serial" >&2 || return
		done
	done
	printf 'end\n'
}
(asker; exec sleep "$GUEST_TIMEOUT") > /tmp/clock-in &
asker=$!
rm -f "$OUT/clock.serial"
guest_args="--cpus 2 --memory 512M --serial stdio --cmdline console=ttyS0 rig.test=clock"
t0=$(date +%s) start_ns=$(date +%s.%N)
"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 512M --serial stdio \
	--cmdline "console=ttyS0 rig.test=clock" < /tmp/clock-in > "$OUT/clock.serial" 2> "$OUT/clock.err" &
pid=$!
tail --pid="$pid" -s 0.05 -n +1 -F "$OUT/clock.serial" 2>/dev/null |
	while IFS= read -r line; do
		case $line in clock=*) line=${line%$'\r'}; echo "${line#clock=} $EPOCHREALTIME" ;; esac
	done > "$OUT/clock.stamps" &
stamper=$!
guest_wait clock
wait "$stamper"
kill "$asker" 2>/dev/null
rm -f /tmp/clock-in
# best_of ROUND: "asked guest answered" of the round's question with the shortest round trip.
best_of() {
	awk -v r="r$1." 'NR == FNR { if (index($1, r) == 1) a[$1] = $2; next }
		($1 in a) && (best == "" || $3 - a[$1] < best) { best = $3 - a[$1]; l = a[$1] " " $2 " " $3 }
		END { print l }' "$OUT/clock.asked" "$OUT/clock.stamps"
}
# within1 ASKED GUEST ANSWERED: some instant between asking and the answer's arrival has the
# host's clock within 1 s of the guest's, and the round trip took under 3 s.
within1() { [ $# = 3 ] && awk -v a="$1" -v g="$2" -v r="$3" 'BEGIN {exit !(a - g < 1 && r - g > -1 && r - a < 3)}'; }
span() { [ $# = 3 ] && awk -v a="$1" -v g="$2" -v r="$3" 'BEGIN {printf "%.3f..%.3f s, round trip %.3f s", a - g, r - g, r - a}'; }
c1=$(best_of 1) c2=$(best_of 2)
echo "# host minus guest clock at start: $(span $c1); after 60 s: $(span $c2)"
check "clock: the guest was within 1 s of the host at start ($(span $c1))" within1 $c1
check "clock: and within 1 s after 60 s ($(span $c2))" within1 $c2

# --- graceful shutdown through the shutdown IC: SIGTERM, powered off within 10 s ----------
guest_start term --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=wait" --api-socket /tmp/term.sock
# SIGTERM asks through the shutdown IC: wait until the guest's hv_utils has negotiated it.
if wait_serial term RIG-READY "$GUEST_TIMEOUT" &&
	wait_for 60 "the guest to negotiate the shutdown IC" ic_negotiated /tmp/term.sock shutdown; then
	ts=$(date +%s.%N)
	kill -TERM "$pid"
	guest_wait term
	took=$(echo "$(date +%s.%N) $ts" | awk '{printf "%.1f", $1 - $2}')
else
	guest_wait term
	took=never
fi
check "SIGTERM: hvkvm exits 0" [ "$rc" = 0 ]
under10() { awk -v t="$1" 'BEGIN {exit !(t + 0 > 0 && t < 10)}'; }
check "SIGTERM: within 10 s (${took} s)" under10 "$took"
check "SIGTERM: the guest logged the shutdown request" \
	grep -aq 'Shutdown request received - graceful shutdown initiated' "$OUT/term.serial"
check "SIGTERM: hvkvm asked through the shutdown IC" grep -q 'shutdown IC: the guest accepted' "$OUT/term.err"

# --- reboot: VMBus negotiated and the ICs bound again -----------------------------------------
guest reboot --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=reboot"
check "reboot: exit 0 after the second boot" [ "$rc" = 0 ]
check "reboot: two boots" grep -aq 'boot_count=2' "$OUT/reboot.serial"
check "reboot: VMBus negotiated twice" [ "$(grep -a -c 'hv_vmbus: Vmbus version:5.3' "$OUT/reboot.serial")" = 2 ]
check "reboot: the ICs bound twice" [ "$(grep -a -c 'hv_utils: TimeSync IC version' "$OUT/reboot.serial")" = 2 ]
check "reboot: hvkvm saw two connections" [ "$(grep -c 'vmbus: guest connected' "$OUT/reboot.err")" = 2 ]

# --- channels retargeted to vCPU 1 keep working ----------------------------------------------
guest retarget --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=retarget"
check "retarget: exit 0" [ "$rc" = 0 ]
check "retarget: every channel now targets CPU 1" \
	sh -c "[ \$(grep -a -c '^target=1' '$OUT/retarget.serial') -ge 3 ] && ! grep -aq '^target=0' '$OUT/retarget.serial'"
b=$(val retarget hyp_cpu1_before)
a=$(val retarget hyp_cpu1_after)
checkx "retarget: VMBus interrupts arrive on CPU 1 afterwards ($b -> $a)" '[ -n "$a" ] && [ "$a" -gt "$b" ]'
check "retarget: the heartbeat never stopped" sh -c "! grep -q 'stopped answering' '$OUT/retarget.err'"

# --- a guest crash is reported and ends hvkvm with status 5 ---------------------------------
guest panic --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=panic"
check "panic: hvkvm exits 5" [ "$rc" = 5 ]
check "panic: the crash parameters are printed" grep -q 'guest crashed: CRASH_CTL 0x' "$OUT/panic.err"
check "panic: with the guest's panic message" grep -q 'sysrq triggered crash' "$OUT/panic.err"
guest panicreset --cpus 1 --memory 512M --on-crash reset --cmdline "console=ttyS0 rig.test=panic"
check "--on-crash reset: the guest restarts and powers off (exit 0)" [ "$rc" = 0 ]
check "--on-crash reset: it booted a second time" grep -aq 'panic_boot=2' "$OUT/panicreset.serial"

# --- --hv off: a plain PC ------------------------------------------------------------------
guest hvoff --hv off --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=hvoff"
check "--hv off: exit 0" [ "$rc" = 0 ]
check "--hv off: no Hyper-V in the kernel log" [ "$(val hvoff hyperv_lines)" = 0 ]
check "--hv off: no VMBus devices" [ "$(val hvoff vmbus_devices)" = 0 ]
check "--hv off: nothing logged at error level" sh -c "! grep -aq '^dmesg-err:' '$OUT/hvoff.serial'"

finish
