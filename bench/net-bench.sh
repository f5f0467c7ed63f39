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
rate() { awk -v m="$MIB" -v a="$1" -v b="$2" 'BEGIN { if (b > a) printf "%.1f", m / (b - a); else print 0 }'; }

# one NAME TAP CMD...: start the VM (CMD, serial console on $OUT/NAME.serial), then move
# MIB MiB host to guest and back; writes "IN OUT" in MiB/s (0 for a failed or corrupt
# transfer) to $OUT/NAME.rate.
one() {
	local name=$1 tap=$2 log=$OUT/$1.serial a0 a1 in=0 out=0 lp i; shift 2
	rm -f "$log"
	tap_up "$tap" $H
	nsx "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" < /dev/null &
	pid=$!
	if wait_line "$log" '^NET-RX-LISTEN' 300; then
		a0=$(now)
		for i in $(seq 100); do nsx busybox nc $G 5001 < /tmp/bench.tx 2>/dev/null && break; sleep 0.1; done
		wait_line "$log" '^rx_bytes=' 600
		a1=$(now)
		grep -aq "rx_sha=$sha" "$log" && in=$(rate "$a0" "$a1")
		rm -f /tmp/bench.rx /tmp/bench.in
		mkfifo /tmp/bench.in
		exec 8<>/tmp/bench.in
		nsx busybox nc -l -p 5002 > /tmp/bench.rx < /tmp/bench.in &
		lp=$!
		while kill -0 $lp 2>/dev/null && [ ! -s /tmp/bench.rx ]; do sleep 0.05; done
		a0=$(now)
		wait $lp
		a1=$(now)
		exec 8>&-
		grep -aq "tx_sha=$(sha256sum /tmp/bench.rx | cut -d' ' -f1)" "$log" && out=$(rate "$a0" "$a1")
		rm -f /tmp/bench.rx /tmp/bench.in
		wait_line "$log" '^guest_rx_packets=' 300
		for i in $(seq 50); do nsx busybox nc $G 5009 < /dev/null > /dev/null 2>&1 && break; sleep 0.2; done
	fi
	for i in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	tap_down "$tap"
	echo "$in $out" > "$OUT/$name.rate"
}

head -c "${MIB}M" /dev/urandom > /tmp/bench.tx
sha=$(sha256sum /tmp/bench.tx | cut -d' ' -f1)
cmd="console=ttyS0 rig.test=net rig.ip=$G rig.peer=$H rig.mib=$MIB"
one hvkvm hvtapb "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus "$CPUS" \
	--memory 512M --serial "file:$OUT/hvkvm.serial" --cmdline "$cmd" --net tap=hvtapb
read -r h_in h_out < "$OUT/hvkvm.rate"
qemu() {
	local name=$1 vhost=$2
	one "$name" hvtapq qemu-system-x86_64 -enable-kvm -cpu host -smp "$CPUS" -m 512M -kernel "$L2_KERNEL" \
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
if modprobe vhost_net 2>/dev/null && [ -c /dev/vhost-net ]; then
	qemu vhost on
	read -r v_in v_out < "$OUT/vhost.rate"
	echo "  against virtio-net with vhost-net (in-kernel device): host to guest $v_in ($(ratio "$h_in" "$v_in")x)," \
		"guest to host $v_out ($(ratio "$h_out" "$v_out")x)"
fi
rm -f /tmp/bench.tx
ip netns del $ns
