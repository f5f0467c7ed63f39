#!/bin/bash
# The hvkvm binary on bad input: one line on stderr naming the problem, exit status 2,
# before anything touches KVM. Usage: cli-errors.sh HVKVM
hvkvm=${1:?usage: cli-errors.sh HVKVM}
kernel=$(mktemp)
trap 'rm -f "$kernel" "$out" "$err"' EXIT
out=$(mktemp)
err=$(mktemp)
failures=0
n=0

# expect STATUS STDERR-REGEX ARGS...: run hvkvm ARGS and check status and message.
expect() {
	local status=$1 regex=$2; shift 2
	n=$((n + 1))
	"$hvkvm" "$@" > "$out" 2> "$err" < /dev/null
	local rc=$? lines
	lines=$(wc -l < "$err")
	if [ "$regex" = EMPTY ]; then
		[ -s "$err" ] && regex='^nothing on stderr expected$'
		[ -s "$err" ] || regex=''
	fi
	if [ "$rc" != "$status" ] || { [ -n "$regex" ] && ! grep -qE "$regex" "$err"; } ||
	   { [ "$status" = 2 ] && [ "$lines" != 1 ]; }; then
		echo "not ok $n - hvkvm $* -> exit $rc (want $status), stderr:"; sed 's/^/    /' "$err"
		failures=$((failures + 1))
	else
		echo "ok $n - hvkvm $* -> exit $rc: $(head -n 1 "$err")"
	fi
}

expect 2 '^hvkvm: --kernel PATH is required'
expect 2 '^hvkvm: --kernel /nonexistent/vmlinuz: No such file or directory$' --kernel /nonexistent/vmlinuz
expect 2 '^hvkvm: --initrd /nonexistent/initrd: No such file or directory$' --kernel "$kernel" --initrd /nonexistent/initrd
expect 2 '^hvkvm: --memory 12X: not a size' --kernel "$kernel" --memory 12X
expect 2 '^hvkvm: --memory 1M: must be between' --kernel "$kernel" --memory 1M
expect 2 '^hvkvm: --cpus 300: too many CPUs' --kernel "$kernel" --cpus 300
expect 2 '^hvkvm: --cpus 0: a VM needs at least 1 CPU' --kernel "$kernel" --cpus 0
expect 2 '^hvkvm: --serial tcp:1: expected stdio, file:PATH or none' --kernel "$kernel" --serial tcp:1
expect 2 "^hvkvm: unknown option '--frobnicate'" --kernel "$kernel" --frobnicate
expect 2 '^hvkvm: --cpus needs an argument' --kernel "$kernel" --cpus
expect 2 '^hvkvm: --log-level loud: expected error, warn, info or debug' --kernel "$kernel" --log-level loud
expect 2 '^hvkvm: --api-socket needs a PATH$' --kernel "$kernel" --api-socket
expect 2 '^hvkvm: --api-socket needs a PATH$' --kernel "$kernel" --api-socket=
expect 2 '^hvkvm ctl: a METHOD is required' ctl --socket /nonexistent.sock
expect 2 '^hvkvm ctl: --socket PATH is required' ctl vm.info
expect 2 "^hvkvm ctl: 'x': expected key=value" ctl --socket /nonexistent.sock vm.info x
expect 3 '^hvkvm ctl: /nonexistent.sock: No such file or directory' ctl --socket /nonexistent.sock vm.info
expect 0 EMPTY ctl --help
expect 0 EMPTY --help
expect 0 EMPTY --version
"$hvkvm" --help | grep -q '^Usage: hvkvm --kernel PATH' || { echo "not ok - --help prints the usage"; failures=$((failures + 1)); }
"$hvkvm" --version | grep -qE '^hvkvm [0-9]+\.[0-9]+\.[0-9]+$' || { echo "not ok - --version prints the version"; failures=$((failures + 1)); }
echo "# $n cases, $failures failed"
[ $failures = 0 ]
