#!/bin/bash
# TCP throughput between L1 and an L2 guest, each way, through a tap: hvkvm's NetVSC
# adapter (Debian's hv_netvsc) against QEMU's virtio-net (user-space device, vhost=off,
# and the in-kernel vhost-net when L1 has it), the same guest script and the same busybox
# nc on both. Runs inside the rig's L1 (see bench/run); environment HVKVM, L2_KERNEL,
# L2_INITRD, OUT. Traffic stays in a network namespace of its own.
set -u
: "${HVKVM:?}" "${L2_KERNEL:?}" "${L2_INITRD:?}" "${OUT:?}"
mkdir -p "$OUT"
rm -f "$OUT/summary"
MIB=${BENCH_NET_MIB:-64}
CPUS=${BENCH_NET_CPUS:-1}
. "$(dirname "$0")/l1-lib.sh"
H=10.78.0.1
G=10.78.0.2
netns_new hvkvm-bench
now() { date +%s.%N; }
# KVM's own counters of the VM (debugfs, bench/kvmstat.py) around each direction, the
# same files for both VMMs; hvkvm's VMBus counters too through its management socket.
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
kvmstat=$(dirname "$0")/kvmstat.py
api=/tmp/bench-net-hvkvm.sock
kvm_snap() { python3 "$kvmstat" --snap "$pid" ${1:+"$1"} 2>> "$OUT/kvmstat.err"; }
# kvm_delta BEFORE AFTER: every counter's change, "name=delta ...".
kvm_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); v[kv[1]] = kv[2] }
		n = split(b, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); if (kv[1] in v) printf "%s%s=%d", (o++ ? " " : ""), kv[1], kv[2] - v[kv[1]] }
		print "" }'
}
rate() { awk -v m="$MIB" -v a="$1" -v b="$2" 'BEGIN { if (b > a) printf "%.1f", m / (b - a); else print 0 }'; }

# one NAME TAP API CMD...: start the VM (CMD, serial console on $OUT/NAME.serial), then
# move MIB MiB host to guest and back; writes "IN OUT" in MiB/s (0 for a failed or corrupt
# transfer) to $OUT/NAME.rate, and the counters' changes during each direction to
# $OUT/NAME.kvm-in and .kvm-out (API: hvkvm's management socket, or "").
one() {
	local name=$1 tap=$2 api=$3 log=$OUT/$1.serial a0 a1 in=0 out=0 lp k0 k1; shift 3
	rm -f "$OUT/$name.kvm-in" "$OUT/$name.kvm-out"
	rm -f "$log"
	tap_up "$tap" $H
	nsx "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" < /dev/null &
	pid=$!
	if wait_line "$log" '^NET-RX-LISTEN' 300; then
		k0=$(kvm_snap "$api")
		a0=$(now)
		for _ in $(seq 100); do nsx busybox nc $G 5001 < /tmp/bench.tx 2>/dev/null && break; sleep 0.1; done
		wait_line "$log" '^rx_bytes=' 600
		a1=$(now)
		k1=$(kvm_snap "$api")
		grep -aq "rx_sha=$sha" "$log" && in=$(rate "$a0" "$a1") && kvm_delta "$k0" "$k1" > "$OUT/$name.kvm-in"
		rm -f /tmp/bench.rx /tmp/bench.in
		k0=$(kvm_snap "$api")
		mkfifo /tmp/bench.in
		exec 8<>/tmp/bench.in
		nsx busybox nc -l -p 5002 > /tmp/bench.rx < /tmp/bench.in &
		lp=$!
		while kill -0 $lp 2>/dev/null && [ ! -s /tmp/bench.rx ]; do sleep 0.05; done
		a0=$(now)
		wait $lp
		a1=$(now)
		k1=$(kvm_snap "$api")
		exec 8>&-
		grep -aq "tx_sha=$(sha256sum /tmp/bench.rx | cut -d' ' -f1)" "$log" && out=$(rate "$a0" "$a1") &&
			kvm_delta "$k0" "$k1" > "$OUT/$name.kvm-out"
		rm -f /tmp/bench.rx /tmp/bench.in
		wait_line "$log" '^guest_rx_packets=' 300
		for _ in $(seq 50); do nsx busybox nc $G 5009 < /dev/null > /dev/null 2>&1 && break; sleep 0.2; done
	fi
	for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	tap_down "$tap"
	echo "$in $out" > "$OUT/$name.rate"
}

head -c "${MIB}M" /dev/urandom > /tmp/bench.tx
sha=$(sha256sum /tmp/bench.tx | cut -d' ' -f1)
cmd="console=ttyS0 rig.test=net rig.ip=$G rig.peer=$H rig.mib=$MIB"
one hvkvm hvtapb "$api" "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus "$CPUS" \
	--memory 512M --serial "file:$OUT/hvkvm.serial" --cmdline "$cmd" --net tap=hvtapb --api-socket "$api"
rm -f "$api"
read -r h_in h_out < "$OUT/hvkvm.rate"
qemu() {
	local name=$1 vhost=$2
	one "$name" hvtapq "" qemu-system-x86_64 -enable-kvm -cpu host -smp "$CPUS" -m 512M -kernel "$L2_KERNEL" \
		-initrd "$L2_INITRD" -append "$cmd rig.nic=virtio_net" -display none -nodefaults -no-reboot \
		-serial "file:$OUT/$name.serial" \
		-netdev "tap,id=n0,ifname=hvtapq,script=no,downscript=no,vhost=$vhost" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:78:00:02
}
qemu qemu off
read -r q_in q_out < "$OUT/qemu.rate"
echo "TCP, $MIB MiB each way with busybox nc over a tap, $CPUS vCPU(s), MiB/s:"
echo "  host to guest: hvkvm netvsc $h_in, qemu virtio-net $q_in, hvkvm/qemu $(ratio "$h_in" "$q_in")x"
echo "  guest to host: hvkvm netvsc $h_out, qemu virtio-net $q_out, hvkvm/qemu $(ratio "$h_out" "$q_out")x"
# Rows for bench/run's summary: label, ratio, what it compares.
printf 'TCP host to guest, %s vCPU (%s MiB/s, virtio-net %s)\t%sx\thvkvm netvsc / QEMU virtio-net\n' \
	"$CPUS" "$h_in" "$q_in" "$(ratio "$h_in" "$q_in")" >> "$OUT/summary"
printf 'TCP guest to host, %s vCPU (%s MiB/s, virtio-net %s)\t%sx\thvkvm netvsc / QEMU virtio-net\n' \
	"$CPUS" "$h_out" "$q_out" "$(ratio "$h_out" "$q_out")" >> "$OUT/summary"
# per_mib NAME DIR KEY: counter KEY's change during direction DIR (in, out) per MiB moved.
per_mib() {
	[ -s "$OUT/$1.kvm-$2" ] || return 0
	tr ' ' '\n' < "$OUT/$1.kvm-$2" | awk -F= -v k="$3" -v m="$MIB" '$1 == k { printf "%.1f", $2 / m }'
}
for dir in in out; do
	case $dir in in) what="host to guest" ;; *) what="guest to host" ;; esac
	line=""
	for key in exits irq_injections io_exits mmio_exits halt_exits hypercalls insn_emulation; do
		line+="${line:+; }$key $(per_mib hvkvm $dir $key | grep . || echo -) / $(per_mib qemu $dir $key | grep . || echo -)"
	done
	line+="; hvkvm NetVSC signals in $(per_mib hvkvm $dir vmbus.netvsc.signals_in | grep . || echo -)"
	line+=" out $(per_mib hvkvm $dir vmbus.netvsc.signals_out | grep . || echo -)"
	echo "  $what per MiB, hvkvm / qemu: $line"
	printf 'TCP %s, %s vCPU, KVM exits per MiB (hvkvm %s, virtio-net %s)\t%sx\thvkvm / qemu exits per MiB (below 1.0x: hvkvm exits less)\n' \
		"$what" "$CPUS" "$(per_mib hvkvm $dir exits)" "$(per_mib qemu $dir exits)" \
		"$(ratio "$(per_mib hvkvm $dir exits)" "$(per_mib qemu $dir exits)")" >> "$OUT/summary"
done
if modprobe vhost_net 2>/dev/null && [ -c /dev/vhost-net ]; then
	qemu vhost on
	read -r v_in v_out < "$OUT/vhost.rate"
	echo "  against virtio-net with vhost-net (in-kernel device): host to guest $v_in ($(ratio "$h_in" "$v_in")x)," \
		"guest to host $v_out ($(ratio "$h_out" "$v_out")x)"
fi
rm -f /tmp/bench.tx
ip netns del hvkvm-bench
