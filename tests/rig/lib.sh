# Helpers for rig scenarios, which run inside L1 (see rig). Source it; set HVKVM,
# L2_KERNEL, L2_INITRD, OUT in the environment (tests/rig/run does).
: "${HVKVM:?}" "${L2_KERNEL:?}" "${L2_INITRD:?}" "${OUT:?}"
# Generous: on a loaded 2-core host an L2 boot under the emulated L1 can take minutes.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-360}
failures=0
checks=0
failed_checks=
mkdir -p "$OUT"

# guest NAME [hvkvm args...]: boot L2 with its serial console in $OUT/NAME.serial and
# hvkvm's messages in $OUT/NAME.err; sets $rc, $t0, $t1 (epoch seconds), $secs.
guest() {
	guest_start "$@"
	guest_wait "$1"
}

# guest_start NAME [hvkvm args...]: start hvkvm in the background ($pid).
guest_start() {
	local name=$1; shift
	rm -f "$OUT/$name.serial" "$OUT/$name.bt"
	guest_args="$*"
	t0=$(date +%s)
	start_ns=$(date +%s.%N)
	# With L2_KERNEL empty (firmware scenarios that boot from a disk) no kernel is given.
	local boot=()
	[ -z "$L2_KERNEL" ] || boot=(--kernel "$L2_KERNEL" --initrd "$L2_INITRD")
	"$HVKVM" "${boot[@]}" --serial "file:$OUT/$name.serial" "$@" \
		> "$OUT/$name.out" 2> "$OUT/$name.err" < /dev/null &
	pid=$!
}

# guest_wait NAME: wait for it to exit (at most GUEST_TIMEOUT s from its start); sets $rc,
# $t1 and $secs. A guest still running then is stopped, its threads' stacks kept.
guest_wait() {
	local name=$1 deadline stalled n=0
	deadline=$(( t0 + GUEST_TIMEOUT ))
	stalled=
	while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.2
		if [ $(( ++n % 25 )) = 0 ] && stalled_guest "$name"; then
			stalled=1
			break
		fi
	done
	if kill -0 "$pid" 2>/dev/null; then
		# Keep the evidence before killing it: every thread's stack and L1's view.
		hang_report "$pid" > "$OUT/$name.bt" 2>&1
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		rc=124
	else
		wait "$pid"
		rc=$?
	fi
	t1=$(date +%s)
	secs=$(echo "$(date +%s.%N) $start_ns" | awk '{printf "%.2f", $1 - $2}')
	echo "# guest $name: exit $rc after ${secs}s ($guest_args)"
	if [ -n "$stalled" ]; then
		echo "# guest $name: STALLED: hvkvm lost the guest's heartbeat and its console has been silent ${RIG_GUEST_STALL}s; state in $OUT/$name.bt"
	elif [ $rc = 124 ]; then
		echo "# guest $name: TIMED OUT after ${GUEST_TIMEOUT}s; stacks in $OUT/$name.bt"
	fi
	return 0
}

# stalled_guest NAME: the guest stopped answering hvkvm's heartbeat IC (and did not
# answer again since) and its console has printed nothing for RIG_GUEST_STALL seconds.
RIG_GUEST_STALL=${RIG_GUEST_STALL:-90}
stalled_guest() {
	local last
	last=$(grep -E 'heartbeat IC: the guest (stopped answering|answers again|is alive)' "$OUT/$1.err" 2>/dev/null | tail -n 1)
	case "$last" in *"stopped answering"*) ;; *) return 1 ;; esac
	[ $(( $(date +%s) - $(stat -c %Y "$OUT/$1.serial" 2>/dev/null || echo 0) )) -ge "$RIG_GUEST_STALL" ]
}

# wait_serial NAME REGEX SECONDS: until NAME's console has a line matching REGEX.
wait_serial() {
	local end=$(( $(date +%s) + $3 )) n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -aqE "$2" "$OUT/$1.serial" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		[ $(( ++n % 50 )) = 0 ] && stalled_guest "$1" && return 1
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS WHAT CMD [ARG...]: run CMD every 0.1 s until it succeeds; after
# SECONDS without success, say that WHAT never came and return 1.
wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$(( $(date +%s) + secs ))
	until "$@"; do
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "# waited ${secs}s for $what: it never came"
			return 1
		fi
		sleep 0.1
	done
}

# ic_negotiated SOCKET ID: hvkvm's vm.info (on its --api-socket SOCKET) says the
# integration component ID (e.g. shutdown) has negotiated with the guest's driver.
ic_negotiated() {
	"$HVKVM" ctl --socket "$1" vm.info 2>/dev/null | /usr/bin/python3 -c \
		'import json,sys; d=json.load(sys.stdin); sys.exit(not [x for x in d["devices"] if x["id"] == sys.argv[1] and x["negotiated"]])' "$2"
}

# hang_report PID: what hvkvm's threads and the guest's vCPUs are doing: each thread's
# state and kernel stack, two seconds of L1's KVM trace events (exit reasons and guest
# RIPs per vCPU thread), hvkvm's own stacks (gdb) and L1's kernel log.
hang_report() {
	local tr=/sys/kernel/tracing
	echo "== threads of hvkvm ($1)"
	for t in /proc/$1/task/*; do
		echo "$(basename "$t") $(cat "$t/comm") state=$(awk '/^State/ {print $2}' "$t/status") wchan=$(cat "$t/wchan" 2>/dev/null) syscall=$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)"
		sed 's/^/    /' "$t/stack" 2>/dev/null
	done
	[ -d $tr/events ] || mount -t tracefs tracefs $tr 2>/dev/null
	if [ -w $tr/events/kvm/enable ]; then
		echo "== L1's KVM events for 2 s (last 15 per thread, and counts)"
		echo > $tr/trace
		echo 1 > $tr/events/kvm/enable
		sleep 2
		echo 0 > $tr/events/kvm/enable
		grep -v '^#' $tr/trace > "$OUT/kvm-trace.txt"
		awk '{ t = $1; n[t]++; l[t, n[t] % 15] = $0 } END { for (t in n) { print "-- " t ": " n[t] " events"; for (i = n[t] + 1; i <= n[t] + 15; i++) if ((t, i % 15) in l) print l[t, i % 15] } }' "$OUT/kvm-trace.txt"
		echo > $tr/trace
	fi
	if command -v gdb >/dev/null; then
		echo "== gdb"
		timeout 60 gdb -p "$1" -batch -ex "thread apply all bt" 2>&1 | grep -E '^Thread|^#'
	fi
	echo "== L1 dmesg"
	dmesg | tail -n 30
}

# val NAME KEY: the last value printed as KEY=value on NAME's console.
val() { grep -a -o "$2=[^ ]*" "$OUT/$1.serial" 2>/dev/null | tail -n 1 | cut -d= -f2- | tr -d '\r'; }
# count NAME REGEX: lines of NAME's console matching REGEX.
count() { grep -a -c -E "$2" "$OUT/$1.serial" 2>/dev/null || true; }
# first_boot_option NAME: the first boot option OVMF started on NAME's console, as its
# line says: 'BdsDxe: starting Boot#### "description" from DEVICE-PATH'; nothing if none.
first_boot_option() { grep -a -o 'BdsDxe: starting [^"]*"[^"]*" from [^ ]*' "$OUT/$1.serial" | tr -d '\r' | head -n 1; }

# check DESCRIPTION TEST-ARGS...: one TAP-like line; on failure remember it.
check() {
	local desc=$1; shift
	checks=$((checks + 1))
	if "$@"; then
		echo "ok $checks - $desc"
	else
		echo "not ok $checks - $desc"
		failures=$((failures + 1))
		failed_checks+="not ok $checks - $desc"$'\n'
	fi
}

# checkx DESCRIPTION 'SHELL EXPRESSION': like check, for compound conditions.
checkx() {
	local desc=$1; shift
	check "$desc" eval "$*"
}

# show NAME: a failed guest's console and hvkvm messages, for the log.
show() {
	echo "---- $1: hvkvm stderr ----"; tail -n 40 "$OUT/$1.err"
	echo "---- $1: serial console (last 60 lines) ----"; tail -n 60 "$OUT/$1.serial" 2>/dev/null
	[ -f "$OUT/$1.bt" ] && { echo "---- $1: hang report ----"; cat "$OUT/$1.bt"; }
}

between() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

finish() {
	local san
	# A sanitized hvkvm (scripts/test-sanitized) reports on stderr: any report fails.
	san=$(grep -a -l -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' \
		"$OUT"/*.err "$OUT"/*.txt 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
	check "no sanitizer report in hvkvm's stderr${san:+ (in $san)}" [ -z "$san" ]
	echo "# $checks checks, $failures failed"
	if [ $failures -gt 0 ]; then
		for f in "$OUT"/*.serial; do show "$(basename "$f" .serial)"; done
		# Once more last, where a log's tail (meson keeps the last 100 lines) shows it.
		echo "# failed:"; printf '%s' "$failed_checks" | cut -c1-400
		exit 1
	fi
	exit 0
}

# hstat NAME WORD: the first number printed right before WORD in NAME's --stats output.
hstat() { sed -n "s/.*[ ,]\([0-9][0-9]*\) $2.*/\1/p" "$OUT/$1.err" | head -n 1; }

# dhcp_host_start: a host side as libvirt-style hosts have it, in a network namespace of
# L1's (hvkvm-dhcp): the tap hvtap0 with address $H (10.78.0.1/24) and dnsmasq serving
# leases 10.78.0.50-99 on it, logged to $OUT/dnsmasq.log. $HVKVM is wrapped to run in the
# namespace; nsx CMD runs CMD there. dhcp_host_stop undoes it all.
dhcp_host_start() {
	ns=hvkvm-dhcp
	H=10.78.0.1
	ip netns del $ns 2>/dev/null
	ip netns add $ns
	ip -n $ns link set lo up
	real_hvkvm=$HVKVM
	HVKVM=$(mktemp /tmp/hvkvm-ns.XXXXXX)
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' $ns "$real_hvkvm" > "$HVKVM"
	chmod +x "$HVKVM"
	nsx ip tuntap add dev hvtap0 mode tap vnet_hdr
	nsx ip addr add $H/24 dev hvtap0
	nsx ip link set hvtap0 up
	# DHCP only (no DNS), its state in /tmp (L1's root is read-only).
	nsx dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --user=root \
		--interface=hvtap0 --bind-interfaces --dhcp-range=10.78.0.50,10.78.0.99,255.255.255.0,1h \
		--dhcp-authoritative --no-ping --log-dhcp --log-facility="$OUT/dnsmasq.log" \
		--dhcp-leasefile=/tmp/dhcp.leases --pid-file=/tmp/dhcp.pid &
	dnsmasq_pid=$!
}
nsx() { ip netns exec $ns "$@"; }
dhcp_host_stop() {
	kill "$dnsmasq_pid" 2>/dev/null
	wait "$dnsmasq_pid" 2>/dev/null
	ip netns del $ns
	rm -f "$HVKVM" /tmp/dhcp.leases /tmp/dhcp.pid
	HVKVM=$real_hvkvm
}
