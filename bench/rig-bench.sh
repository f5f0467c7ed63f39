#!/bin/bash
# The benchmarks that need a real KVM; runs inside the rig's L1 (see bench/run).
# Environment: HVKVM, L2_KERNEL, L2_INITRD, OUT.
set -u
: "${HVKVM:?}" "${L2_KERNEL:?}" "${L2_INITRD:?}" "${OUT:?}"
mkdir -p "$OUT"
RUNS=${BENCH_RUNS:-3}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
elapsed() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1 < /dev/null; echo "$(date +%s.%N) $s" | awk '{printf "%.2f", $1 - $2}'; }

# Boot to the initramfs, run one command and power off: hvkvm against QEMU with KVM.
cmd="console=ttyS0 rig.test=sysinfo"
for i in $(seq 1 "$RUNS"); do
	elapsed "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 1G \
		--serial "file:$OUT/boot-hvkvm.log" --cmdline "$cmd" >> "$OUT/boot-hvkvm.times"; echo >> "$OUT/boot-hvkvm.times"
	elapsed qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 1G -kernel "$L2_KERNEL" \
		-initrd "$L2_INITRD" -append "$cmd" -display none -nodefaults -no-reboot \
		-serial "file:$OUT/boot-qemu.log" >> "$OUT/boot-qemu.times"; echo >> "$OUT/boot-qemu.times"
done
h=$(grep . "$OUT/boot-hvkvm.times" | median)
q=$(grep . "$OUT/boot-qemu.times" | median)
echo "boot to power-off, 2 vCPUs, 1 GiB (median of $RUNS): hvkvm ${h}s, qemu -enable-kvm ${q}s, qemu/hvkvm $(echo "$q $h" | awk '{printf "%.2f", $1 / $2}')x"

# hvkvm's own memory once the guest is up: RSS without the guest RAM it maps.
"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 1G --serial "file:$OUT/rss.log" \
	--cmdline "console=ttyS0 rig.test=sysinfo rig.end=hang" > /dev/null 2>&1 &
pid=$!
for i in $(seq 1 600); do grep -aq RIG-END "$OUT/rss.log" 2>/dev/null && break; sleep 0.1; done
rss=$(awk '/^RssAnon|^RssFile/ {s += $2} END {print s}' /proc/$pid/status)
shm=$(awk '/^RssShmem/ {print $2}' /proc/$pid/status)
kill -KILL $pid; wait $pid 2>/dev/null
echo "hvkvm RSS without guest RAM: ${rss} kB (guest RAM touched: ${shm} kB)"

# HvSignalEvent: KVM's ioeventfd (fast) against the exit through hvkvm (slow).
"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 1 --memory 512M --serial "file:$OUT/signal.log" \
	--cmdline "console=ttyS0 rig.test=signalbench" > /dev/null 2>&1 < /dev/null
line=$(grep -a -o 'hvkvm-bench: signal.*' "$OUT/signal.log" | tail -n 1)
fast=$(echo "$line" | sed -n 's/.*fast_ns=\([0-9]*\).*/\1/p')
slow=$(echo "$line" | sed -n 's/.*slow_ns=\([0-9]*\).*/\1/p')
if [ -n "$fast" ] && [ -n "$slow" ]; then
	echo "HvSignalEvent from the guest: fast path (ioeventfd) ${fast} ns, slow path (exit to hvkvm) ${slow} ns, slow/fast $(echo "$slow $fast" | awk '{printf "%.2f", $1 / $2}')x"
	echo "  ($line)"
else
	echo "HvSignalEvent: no result (see $OUT/signal.log)"
fi
