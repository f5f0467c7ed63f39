#!/bin/bash
# Socket throughput between L1 and an L2 guest, each way: hvkvm's VMBus sockets (--vsock,
# Linux's hv_sock in the guest, the host's end on hvkvm's Unix sockets) against TCP over
# hvkvm's NetVSC adapter and a tap in the same guest, and against QEMU's in-kernel
# vhost-vsock (virtio-vsock in the guest, AF_VSOCK in L1). The same guest script
# (tests/rig/guest/sockbench.sh) and the same socat at both ends everywhere. Runs inside
# the rig's L1 (see bench/run); environment HVKVM, L2_KERNEL, L2_INITRD (with hv_sock),
# L2_INITRD_VIRTIO (with vmw_vsock_virtio_transport), OUT; BENCH_VSOCK_MIB (default 256).
set -u
: "${HVKVM:?}" "${L2_KERNEL:?}" "${L2_INITRD:?}" "${L2_INITRD_VIRTIO:?}" "${OUT:?}"
mkdir -p "$OUT"
rm -f "$OUT/summary"
MIB=${BENCH_VSOCK_MIB:-256}
ns=hvkvm-sockbench
H=10.79.0.1
G=10.79.0.2
dir=/tmp/sockbench
rm -rf "$dir"
mkdir -p "$dir"
vs=$dir/vs
ip netns del $ns 2>/dev/null
ip netns add $ns
ip -n $ns link set lo up
nsx() { ip netns exec $ns "$@"; }
head -c "${MIB}M" /dev/zero > "$dir/tx"
wait_line() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -aqE "$2" "$1" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
# listen NAME LISTEN-ADDRESS5001 LISTEN-ADDRESS5002 [WRAPPER...]: one-shot listeners, the
# file to whoever connects to the first, and the byte count back to whoever sends to the
# second.
listen() {
	local name=$1 a=$2 b=$3; shift 3
	"$@" socat -b 131072 -u OPEN:"$dir/tx" "$a" > "$OUT/$name-5001.log" 2>&1 &
	"$@" socat -b 131072 -t 600 "$b" SYSTEM:'wc -c' > "$OUT/$name-5002.log" 2>&1 &
}
# run NAME CMD...: the VM until the guest's sb_done (or its end), its serial console on
# $OUT/NAME.serial.
run() {
	local name=$1; shift
	"$@" > "$OUT/$name.out" 2> "$OUT/$name.err" < /dev/null &
	pid=$!
	wait_line "$OUT/$name.serial" '^(sb_done|RIG-END)' 3600
	for i in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
}
# val NAME KEY: a key=value the guest printed.
val() { tr -d '\r' < "$OUT/$1.serial" 2>/dev/null | grep -a -o "$2=[^ ]*" | tail -n 1 | cut -d= -f2-; }
# rate NAME INDEX DIR: MiB/s of one transfer, 0 unless every byte arrived.
rate() {
	local b s
	b=$(val "$1" "sb$2_$3_bytes")
	s=$(val "$1" "sb$2_$3_secs")
	awk -v b="$b" -v s="$s" -v m="$MIB" 'BEGIN { if (b == m * 1048576 && s > 0) printf "%.1f", m / s; else print 0 }'
}

# hvkvm: hv_sock first, then TCP over NetVSC, in one guest.
nsx ip tuntap add dev sbtap mode tap vnet_hdr
nsx ip addr add $H/24 dev sbtap
nsx ip link set sbtap up
listen hv UNIX-LISTEN:"${vs}_5001" UNIX-LISTEN:"${vs}_5002"
listen tcp TCP-LISTEN:5001,bind=$H,reuseaddr TCP-LISTEN:5002,bind=$H,reuseaddr nsx
run hvkvm nsx "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 1 --memory 512M --stats \
	--serial "file:$OUT/hvkvm.serial" --vsock path="$vs" --net tap=sbtap \
	--cmdline "console=ttyS0 rig.test=sockbench rig.mib=$MIB rig.ip=$G rig.peer=$H rig.targets=VSOCK-CONNECT:2,TCP:$H"
nsx ip link del sbtap 2>/dev/null
hv_in=$(rate hvkvm 0 h2g) hv_out=$(rate hvkvm 0 g2h)
tcp_in=$(rate hvkvm 1 h2g) tcp_out=$(rate hvkvm 1 g2h)

# QEMU with vhost-vsock: the guest is CID 3, L1 is CID 2.
vh_in=0 vh_out=0
if modprobe vhost_vsock 2>/dev/null && [ -c /dev/vhost-vsock ]; then
	listen vhost VSOCK-LISTEN:5001 VSOCK-LISTEN:5002
	run qemu qemu-system-x86_64 -enable-kvm -cpu host -smp 1 -m 512M -kernel "$L2_KERNEL" \
		-initrd "$L2_INITRD_VIRTIO" -display none -nodefaults -no-reboot \
		-append "console=ttyS0 rig.test=sockbench rig.mib=$MIB rig.targets=VSOCK-CONNECT:2" \
		-serial "file:$OUT/qemu.serial" -device vhost-vsock-pci,guest-cid=3
	vh_in=$(rate qemu 0 h2g) vh_out=$(rate qemu 0 g2h)
else
	echo "vhost-vsock: no /dev/vhost-vsock in L1 (modprobe vhost_vsock failed)"
fi
jobs -p | while read -r p; do kill "$p" 2>/dev/null; done
wait 2>/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# hvkvm's counters (--stats) for the whole run of its guest: the hv_sock connections'
# channels are gone by then, so their signals to the guest are the SynIC event
# interrupts less the signals of the channels still there (boot's included, a few
# dozen); NetVSC's channel has its own line.
st=$OUT/hvkvm.err
echo "Sockets, $MIB MiB each way with socat (-b 131072), 1 vCPU, MiB/s (guest's clock; the guest connects):"
echo "  host to guest: hv_sock $hv_in, TCP over NetVSC $tcp_in, QEMU vhost-vsock $vh_in;" \
	"hv_sock/TCP $(ratio "$hv_in" "$tcp_in")x, hv_sock/vhost-vsock $(ratio "$hv_in" "$vh_in")x"
echo "  guest to host: hv_sock $hv_out, TCP over NetVSC $tcp_out, QEMU vhost-vsock $vh_out;" \
	"hv_sock/TCP $(ratio "$hv_out" "$tcp_out")x, hv_sock/vhost-vsock $(ratio "$hv_out" "$vh_out")x"
tr -d '\r' < "$st" | awk -v m="$MIB" '
	/ SINT\/IPI interrupts / { for (i = 1; i <= NF; i++) if ($i == "flags") ev = $(i + 1) + 0 }
	/^  vmbus channel / {
		for (i = 1; i <= NF; i++) {
			if ($i == "signals") { si = $(i + 2) + 0; so = $(i + 4) + 0 }
			if ($i == "packets") { pin = $(i + 2) + 0; pout = $(i + 4) + 0 }
		}
		open_out += so
		if ($0 ~ / netvsc /) { n = 1; nsin = si; nsout = so; npin = pin; npout = pout }
	}
	END {
		if (ev == "") exit
		printf "  hvkvm counters per MiB moved (whole run): hv_sock signals to the guest %.1f", (ev - open_out) / (2 * m)
		if (n) printf "; NetVSC channel: packets from/to the guest %.1f/%.1f, signals from/to the guest %.1f/%.1f", \
			npin / (2 * m), npout / (2 * m), nsin / (2 * m), nsout / (2 * m)
		printf "\n"
	}'
# The hv_sock connections' own channels, kept by --stats once closed: the guest's first
# connection (host to guest), then its second (guest to host).
tr -d '\r' < "$st" | awk -v m="$MIB" '
	/^  vmbus closed channel [0-9]+ hvsock / {
		k++
		if (k > 2) next
		for (i = 1; i <= NF; i++) {
			if ($i == "signals") { si = $(i + 2) + 0; so = $(i + 4) + 0 }
			if ($i == "packets") { pin = $(i + 2) + 0; pout = $(i + 4) + 0 }
		}
		printf "  hv_sock %s, per MiB: packets from/to the guest %.1f/%.1f, signals from/to the guest %.1f/%.1f\n", \
			k == 1 ? "host to guest" : "guest to host", pin / m, pout / m, si / m, so / m
	}'
grep -a -E '^  (vcpu exits|synic|vmbus channel [0-9]+ netvsc|vmbus closed channel|netvsp 0 (tx|rx))' "$st" | sed 's/^  /  hvkvm --stats: /'
for d in "host to guest:$hv_in:$tcp_in:$vh_in" "guest to host:$hv_out:$tcp_out:$vh_out"; do
	IFS=: read -r what h t v <<< "$d"
	printf 'hv_sock %s (%s MiB/s, TCP over NetVSC %s)\t%sx\thv_sock / TCP over hvkvm netvsc\n' \
		"$what" "$h" "$t" "$(ratio "$h" "$t")" >> "$OUT/summary"
	printf 'hv_sock %s (%s MiB/s, vhost-vsock %s)\t%sx\thv_sock / QEMU vhost-vsock\n' \
		"$what" "$h" "$v" "$(ratio "$h" "$v")" >> "$OUT/summary"
done
rm -rf "$dir"
ip netns del $ns
