#!/bin/bash
# NetVSC with Debian's hv_netvsc: the adapter's MAC and MTU, pings both ways, 64 MiB each
# way over TCP with one and two vCPUs (two channels), jumbo frames on a tap hvkvm
# creates, checksum and segmentation offload in use, and bad --net input.
# Everything happens in a network namespace of L1's that this script creates.
. "$(dirname "$0")/../lib.sh"
ns=hvkvm-net
H=10.77.0.1
G=10.77.0.2
ip netns del $ns 2>/dev/null
ip netns add $ns
ip -n $ns link set lo up
nsx() { ip netns exec $ns "$@"; }
link_exists() { nsx ip link show "$1" > /dev/null 2>&1; }
# send_file FILE LOCALPORT PORT: FILE to the guest's PORT, from LOCALPORT if not empty.
send_file() { nsx busybox nc ${2:+-p $2} $G "$3" < "$1" > /dev/null 2>&1; }
# The host's receive buffers start large (the namespace's own TCP settings): a receive
# window that never limits the guest's sender lets its TCP build multi-segment (TSO)
# sends, which the offload check below needs to see.
nsx sysctl -qw net.ipv4.tcp_rmem="1048576 8388608 33554432" net.core.rmem_max=33554432
# hvkvm runs in the namespace: guest_start runs $HVKVM.
real_hvkvm=$HVKVM
HVKVM=$(mktemp /tmp/hvkvm-ns.XXXXXX)
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' $ns "$real_hvkvm" > "$HVKVM"
chmod +x "$HVKVM"
shaf() { sha256sum "$1" | cut -d' ' -f1; }
# stat NAME REGEX: the number before REGEX in hvkvm's --stats output of guest NAME.
hstat() { sed -n "s/.*[ ,]\([0-9][0-9]*\) $2.*/\1/p" "$OUT/$1.err" | head -n 1; }
# mibps MIB SECONDS
mibps() { awk -v m="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", m / s; else print 0 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

FLOWS=1
# An existing tap, as an administrator would set it up for hvkvm.
nsx ip tuntap add dev hvtap0 mode tap vnet_hdr
nsx ip addr add $H/24 dev hvtap0
nsx ip link set hvtap0 up

# netrun NAME TAP MIB PSIZE [hvkvm args...]: boot a guest running guest/net.sh on TAP and
# play the host's side: pings, MIB MiB each way with busybox nc. Sets ping_back (replies
# the host got), tx_sha (what the host sent), rx_sha (what it received), rx_rate and
# tx_rate (MiB/s host to guest and guest to host).
netrun() {
	local name=$1 tap=$2 mib=$3 psize=$4 i a0 a1 lp; shift 4
	ping_back= tx_sha= rx_sha= rx_rate= tx_rate=
	[ "$mib" -gt 0 ] && head -c "${mib}M" /dev/urandom > /tmp/net.tx
	guest_start "$name" --memory 512M --stats --cmdline "console=ttyS0 rig.test=net rig.ip=$G rig.peer=$H \
rig.mib=$mib rig.flows=$FLOWS ${psize:+rig.psize=$psize} ${GUEST_MTU:+rig.mtu=$GUEST_MTU}" "$@"
	# A tap hvkvm creates gets its address once it exists.
	if ! nsx ip addr show dev "$tap" 2>/dev/null | grep -q "inet $H/"; then
		wait_for 120 "hvkvm to create the tap $tap" link_exists "$tap"
		nsx ip link show "$tap" > "$OUT/$name.tap" 2>&1
		nsx ip addr add $H/24 dev "$tap"
	fi
	if wait_serial "$name" '^NET-READY' "$GUEST_TIMEOUT"; then
		nsx busybox ping -c 20 -i 0.2 -W 5 ${psize:+-s $psize} $G > "$OUT/$name.ping" 2>&1
		ping_back=$(sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' "$OUT/$name.ping")
	fi
	if [ "$mib" -gt 0 ] && wait_serial "$name" '^NET-RX-LISTEN' 60; then
		tx_sha=$(shaf /tmp/net.tx)
		# FLOWS connections one after the other, each with its share, each from its own
		# local port: the guest's RSS key and table are fixed (Linux's defaults), so the
		# port picks the channel: 40001 lands on channel 0, 40002 on channel 1.
		local f per=$((mib / FLOWS))
		for f in $(seq "$FLOWS"); do
			dd if=/tmp/net.tx of=/tmp/net.tx.$f bs=1M skip=$(((f - 1) * per)) count=$per 2>/dev/null
		done
		a0=$(now)
		for f in $(seq "$FLOWS"); do
			# (the guest's listener may take a while to start: retry for up to 120 s)
			wait_for 120 "the guest's listener on port 5001" send_file /tmp/net.tx.$f $((40000 + f)) 5001
			rm -f /tmp/net.tx.$f
		done
		wait_serial "$name" '^rx_bytes=' 600
		a1=$(now)
		rx_rate=$(mibps "$mib" "$(elapsed "$a0" "$a1")")
		# Guest to host: listen before the guest is done making its data. busybox nc
		# stops at the end of its input, so its input is a pipe nobody writes to.
		rm -f /tmp/net.rx /tmp/net.in
		mkfifo /tmp/net.in
		exec 8<>/tmp/net.in
		timeout 900 ip netns exec $ns busybox nc -l -p 5002 > /tmp/net.rx < /tmp/net.in &
		lp=$!
		# The clock starts at the first byte (the guest makes its data first).
		while kill -0 $lp 2>/dev/null && [ ! -s /tmp/net.rx ]; do sleep 0.05; done
		a0=$(now)
		wait $lp
		a1=$(now)
		exec 8>&-
		rx_sha=$(shaf /tmp/net.rx)
		tx_rate=$(mibps "$mib" "$(elapsed "$a0" "$a1")")
		echo "# $name: host to guest $rx_rate MiB/s, guest to host $tx_rate MiB/s"
		rm -f /tmp/net.rx /tmp/net.tx /tmp/net.in
	fi
	wait_serial "$name" '^guest_rx_packets=' 300
	wait_for 120 "the guest's listener on port 5009" send_file /dev/null "" 5009
	guest_wait "$name"
}

# common NAME CPUS MIB: the checks every traffic run makes.
common() {
	local name=$1 cpus=$2 mib=$3
	check "$name: exit 0" [ "$rc" = 0 ]
	check "$name: Debian's hv_netvsc bound the adapter ($(val "$name" net_dev))" [ -n "$(val "$name" net_dev)" ]
	check "$name: link up in the guest" [ "$(val "$name" net_carrier)" = 1 ]
	check "$name: 20 pings guest to host, 0 lost" \
		both [ "$(val "$name" ping_sent)" = 20 ] [ "$(val "$name" ping_received)" = 20 ]
	check "$name: 20 pings host to guest, 0 lost" [ "$ping_back" = 20 ]
	if [ "$mib" -gt 0 ]; then
		check "$name: $mib MiB host to guest arrived intact ($rx_rate MiB/s)" \
			both [ "$(val "$name" rx_sha)" = "$tx_sha" ] [ "$(val "$name" rx_bytes)" = $((mib << 20)) ]
		check "$name: $mib MiB guest to host arrived intact ($tx_rate MiB/s)" \
			both [ -n "$rx_sha" ] [ "$(val "$name" tx_sha)" = "$rx_sha" ]
	fi
	check "$name: $cpus channel(s) in the guest ($(val "$name" net_queues)) and open in hvkvm" \
		both [ "$(val "$name" net_queues)" = "$cpus" ] [ "$(hstat "$name" 'channels')" = "$cpus" ]
	# Each channel's packets from the guest (sends and receive completions).
	local used
	used=$(grep -a 'vmbus channel [0-9]* netvsc' "$OUT/$name.err" | sed -n 's/.*packets in \([0-9]*\).*/\1/p' |
		awk '$1 >= 100' | wc -l)
	check "$name: traffic on $used channel(s): $(grep -a 'vmbus channel [0-9]* netvsc' "$OUT/$name.err" |
		sed -n 's/.*packets in \([0-9]*\).*/\1/p' | tr '\n' ' ')" [ "$used" = "$cpus" ]
	check "$name: no errors or drops in the guest" \
		sh -c "grep -a '^guest_rx_packets=' '$OUT/$name.serial' | grep -qv -E '_(errors|dropped)=[1-9]'"
}
both() {
	local a=(); while [ "$1" != "]" ]; do a+=("$1"); shift; done; a+=("]"); shift
	"${a[@]}" && "$@"
}

# --- one vCPU, an existing tap, a given MAC --------------------------------------------------
netrun one hvtap0 64 "" --cpus 1 --net tap=hvtap0,mac=00:15:5d:77:00:02
common one 1 64
check "one: the guest's MAC is the one given" [ "$(val one net_mac)" = 00:15:5d:77:00:02 ]
check "one: the guest's MTU is 1500" [ "$(val one net_mtu)" = 1500 ]
csum=$(hstat one checksum-offloaded) lso=$(hstat one LSO)
check "one: the guest offloads TCP checksums to hvkvm ($csum sends)" between "$csum" 1 100000000
check "one: the guest offloads TCP segmentation to hvkvm ($lso sends)" between "$lso" 1 100000000
rsc=$(hstat one coalesced) rxc=$(hstat one checksum-verified)
checkx "one: the host's TSO frames reach the guest coalesced (RSC, $rsc frames), checksums done ($rxc)" \
	'between "$rsc" 1 100000000 && between "$rxc" 1 100000000'
echo "# one: $(grep -a 'netvsp 0' "$OUT/one.err" | tr -s ' ' | tr '\n' ' ')"

# --- two vCPUs, two channels, a MAC made by hvkvm, a smaller MTU -------------------------------
FLOWS=2 netrun two hvtap0 64 "" --cpus 2 --net tap=hvtap0,mtu=1400
common two 2 64
mac2=$(val two net_mac)
check "two: no MAC given: a locally administered unicast one ($mac2)" \
	sh -c "echo '$mac2' | grep -qE '^[0-9a-f][26ae](:[0-9a-f]{2}){5}\$'"
check "two: the guest's MTU is the one given (1400)" [ "$(val two net_mtu)" = 1400 ]

# --- jumbo frames on a tap hvkvm creates --------------------------------------------------------
# The new tap takes the host's address: one route to the guest.
nsx ip addr flush dev hvtap0
GUEST_MTU=9000 netrun jumbo hvtap1 16 8972 --cpus 1 --net tap=hvtap1,mtu=9000
common jumbo 1 16
check "jumbo: hvkvm created the tap with MTU 9000" grep -q 'mtu 9000' "$OUT/jumbo.tap"
check "jumbo: the guest starts at 1500 and takes 9000" \
	both [ "$(val jumbo net_mtu)" = 1500 ] [ "$(val jumbo net_mtu_set)" = 9000 ]
check "jumbo: 8972-byte pings both ways" grep -aq '^8980 bytes from' "$OUT/jumbo.ping"
check "jumbo: the tap hvkvm created went with it" sh -c "! ip netns exec $ns ip link show hvtap1 2>/dev/null"

# --- bad --net input: exit 2 and say why --------------------------------------------------------
# err NAME ARGS...: run hvkvm (in the namespace) with ARGS; sets $rc, message in $OUT/NAME.txt.
err() {
	local name=$1; shift
	timeout 60 "$HVKVM" --kernel "$L2_KERNEL" --serial none "$@" > /dev/null 2> "$OUT/$name.txt" < /dev/null
	rc=$?
}
err bad-mac --net tap=hvtap0,mac=zz
check "bad MAC: exit 2 ($(cat "$OUT/bad-mac.txt"))" both [ "$rc" = 2 ] grep -q 'mac=zz' "$OUT/bad-mac.txt"
err not-tap --net tap=lo
check "not a tap: exit 2 ($(cat "$OUT/not-tap.txt"))" both [ "$rc" = 2 ] grep -q 'tap=lo: exists but is not' "$OUT/not-tap.txt"
err big-mtu --net tap=hvtap0,mtu=9300
check "MTU over 9202: exit 2 ($(cat "$OUT/big-mtu.txt"))" both [ "$rc" = 2 ] grep -q 'largest MTU' "$OUT/big-mtu.txt"
# No tap, and no CAP_NET_ADMIN to create one.
HVKVM_SAVE=$HVKVM
HVKVM=$(mktemp /tmp/hvkvm-nocap.XXXXXX)
printf '#!/bin/sh\nexec ip netns exec %s setpriv --bounding-set=-net_admin --inh-caps=-net_admin %s "$@"\n' \
	$ns "$real_hvkvm" > "$HVKVM"
chmod +x "$HVKVM"
err no-perm --net tap=hvnope
check "missing tap, no right to create it: exit 2 ($(cat "$OUT/no-perm.txt"))" \
	both [ "$rc" = 2 ] grep -q 'tap=hvnope: no such tap interface, and hvkvm may not create one' "$OUT/no-perm.txt"
HVKVM=$HVKVM_SAVE
# A tap another hvkvm holds.
guest_start holder --cpus 1 --memory 256M --cmdline "console=ttyS0 rig.test=wait" --net tap=hvtap0
holder=$pid
wait_serial holder RIG-READY "$GUEST_TIMEOUT"
err busy --net tap=hvtap0
check "tap in use: exit 2 ($(cat "$OUT/busy.txt"))" both [ "$rc" = 2 ] grep -q 'in use by another process' "$OUT/busy.txt"
kill -KILL "$holder"; pid=$holder; guest_wait holder

ip netns del $ns
rm -f "$HVKVM"
finish
