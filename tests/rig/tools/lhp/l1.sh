#!/bin/bash
# L1 side of the lock-holder preemption reproducer (see lhp_repro.c and lhp-repro):
# boots L2 under hvkvm LHP_RUNS times for each of LHP_CASES (MODE:CPUS ...), each run
# LHP_SECS seconds of the reproducer, and prints one line per run with how far its
# counters got. Environment as for tests/rig/lib.sh.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
# Read by lib.sh's guest_wait.
# shellcheck disable=SC2034
GUEST_TIMEOUT=$(( ${LHP_SECS:-60} + ${LHP_BOOT:-300} ))
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$top/tests/rig/lib.sh"
# LHP_L1_TIMERS=1: a process in L1 that sleeps 0.5 ms over and over, so that L1 takes
# many more timer interrupts (each one a #VMEXIT(INTR) out of L2) than its tick alone.
if [ "${LHP_L1_TIMERS:-0}" = 1 ]; then
	python3 -c 'import time
while True: time.sleep(0.0005)' &
	timers=$!
fi
for spec in ${LHP_CASES:-irqoff:2}; do
	mode=${spec%:*}
	cpus=${spec#*:}
	for i in $(seq 1 "${LHP_RUNS:-3}"); do
		name=lhp-$mode-c$cpus-$i
		echo "# $(date -u +%T) start $name" | tee -a "$OUT/progress"
		guest "$name" --cpus "$cpus" --memory 512M \
			--cmdline "console=ttyS0 rig.test=lhp lhp.mode=$mode lhp.secs=${LHP_SECS:-60} lhp.hold_us=${LHP_HOLD_US:-50}"
		last=$(grep -a -o 'lhp: t=.*' "$OUT/$name.serial" | tail -n 1 | tr -d '\r')
		# (rc and secs come from lib.sh's guest)
		# shellcheck disable=SC2154
		echo "# $(date -u +%T) $name: rc=$rc ${secs}s done=$(count "$name" 'lhp: done') last: $last" | tee -a "$OUT/progress"
	done
done
if [ -n "${timers:-}" ]; then kill "$timers"; fi
