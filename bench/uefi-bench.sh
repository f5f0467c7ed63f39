#!/bin/bash
# Inside the rig's L1 (bench/run's uefi section): an installed Debian 12 booted from its
# own disk through UEFI, start of the VMM to the system's report on the serial console
# (systemd has finished starting): hvkvm with Debian's OVMF, its driver ROM and the disk
# on StorVSC, against QEMU with the same OVMF and the same disk (L1's /dev/vda) on
# virtio-scsi. Each boot powers off after its report (rig.then=poweroff on the ESP). Runs
# alternate, BENCH_UEFI_RUNS (3) each; the ratio is of the medians.
# Environment: HVKVM, OUT (bench/run sets them).
. "$(dirname "$0")/l1-lib.sh"
set -u
runs=${BENCH_UEFI_RUNS:-3}
code=/usr/share/OVMF/OVMF_CODE_4M.fd
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
mkdir -p "$OUT"
: > "$OUT/summary"
if [ ! -r "$rom" ] || [ ! -r "$code" ]; then
	echo "uefi bench: no driver ROM ($rom) or no OVMF: skipped"
	exit 0
fi
# boot_secs NAME CMD...: seconds from start to the report line, or "fail".
boot_secs() {
	local name=$1 t0 t1
	shift
	rm -f "$OUT/$name.serial"
	t0=$(date +%s.%N)
	"$@" > "$OUT/$name.out" 2> "$OUT/$name.err" < /dev/null &
	pid=$!
	if wait_line "$OUT/$name.serial" 'rig: boot=[0-9]+ ' 900; then
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
	else
		echo fail
	fi
	# It powers off by itself; a VMM still there after 120 s is stopped.
	for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
median() { sort -n | awk '{v[NR] = $1} END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
h=() q=()
for i in $(seq "$runs"); do
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$OUT/h.vars"
	s=$(boot_secs "hvkvm$i" "$HVKVM" --firmware uefi --firmware-vars "$OUT/h.vars" --option-rom "$rom" \
		--cpus 2 --memory 1G --disk path=/dev/vda --serial "file:$OUT/hvkvm$i.serial")
	echo "uefi boot $i: hvkvm $s s"
	[ "$s" = fail ] || h+=("$s")
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$OUT/q.vars"
	s=$(boot_secs "qemu$i" qemu-system-x86_64 -accel kvm -machine pc -cpu host -smp 2 -m 1G \
		-nodefaults -display none -serial "file:$OUT/qemu$i.serial" -monitor none -nic none \
		-drive if=pflash,format=raw,readonly=on,file="$code" \
		-drive if=pflash,format=raw,file="$OUT/q.vars" \
		-device virtio-scsi-pci -drive if=none,id=d0,file=/dev/vda,format=raw,cache=none,aio=io_uring \
		-device scsi-hd,drive=d0)
	echo "uefi boot $i: qemu $s s"
	[ "$s" = fail ] || q+=("$s")
done
hm=$(printf '%s\n' "${h[@]}" | median)
qm=$(printf '%s\n' "${q[@]}" | median)
echo "uefi boot: hvkvm ${#h[@]} of $runs, median $hm s; qemu ${#q[@]} of $runs, median $qm s"
printf 'UEFI boot from the disk to systemd started, median %s s (QEMU %s s)\t%s\tQEMU+OVMF virtio-scsi time / hvkvm+OVMF StorVSC time\n' \
	"$hm" "$qm" "$(ratio "$qm" "$hm")" >> "$OUT/summary"
