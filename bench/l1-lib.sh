# Shell functions the benchmarks that run inside the rig's L1 share (bench/net-bench.sh,
# bench/vsock-bench.sh): a network namespace of their own, taps in it, waiting for a
# guest's console line, ratios. Sourced, not run.

# netns_new NAME: a fresh network namespace NAME (an old one of that name goes), lo up;
# nsx runs a command in it.
netns_new() {
	ns=$1
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns"
	ip -n "$ns" link set lo up
}
nsx() { ip netns exec "$ns" "$@"; }

# tap_up TAP ADDRESS: a tap with virtio-net headers in the namespace, ADDRESS/24 on it.
tap_up() {
	nsx ip tuntap add dev "$1" mode tap vnet_hdr
	nsx ip addr add "$2/24" dev "$1"
	nsx ip link set "$1" up
}
tap_down() { nsx ip link del "$1" 2>/dev/null; }

# wait_line FILE REGEX SECONDS: until a line of FILE matches, while the process $pid lives.
wait_line() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -aqE "$2" "$1" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ratio A B: A/B with two decimals, "n/a" unless both were measured.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
