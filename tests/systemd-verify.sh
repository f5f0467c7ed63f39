#!/bin/bash
# systemd-analyze verify on hvkvm@.service as meson built it, for an instance, with
# ExecStart/ExecStop pointing at the hvkvm just built (verify checks they exist).
# Usage: systemd-verify.sh UNIT HVKVM. Exit 77 (skipped) without systemd-analyze.
set -u
unit=${1:?usage: systemd-verify.sh UNIT HVKVM}
hvkvm=$(readlink -f "${2:?usage: systemd-verify.sh UNIT HVKVM}")
if ! command -v systemd-analyze > /dev/null; then
	echo "1..0 # SKIP systemd-analyze not found (apt-get install systemd)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
n=0
ok() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failures=$((failures + 1)); fi; }

sed -E "s#^(Exec[A-Za-z]+=-?)[^ ]*/hvkvm #\\1$hvkvm #" "$unit" > "$tmp/hvkvm@.service"
ln -s hvkvm@.service "$tmp/hvkvm@vm-1.service"
(cd "$tmp" && systemd-analyze verify --man=no "$tmp/hvkvm@vm-1.service") > "$tmp/out" 2>&1
rc=$?
# Without a running systemd (a container), verify may say things about the manager
# itself; every line about the unit counts, each warning included.
grep 'hvkvm@' "$tmp/out" > "$tmp/ours" || true
cat "$tmp/out"
ok "systemd-analyze verify: exit $rc, nothing said about the unit" "[ $rc = 0 ] && [ ! -s '$tmp/ours' ]"
u=$tmp/hvkvm@.service
ok "Type=notify" "grep -qx 'Type=notify' '$u'"
ok "the configuration is /etc/hvkvm/%i.json" "grep -q '^ExecStart=.* --config /etc/hvkvm/%i.json' '$u'"
ok "the socket is under /run/hvkvm/" "grep -q '^ExecStart=.* --api-socket /run/hvkvm/%i/' '$u'"
ok "ExecStop asks for a graceful shutdown" "grep -q '^ExecStop=-$hvkvm ctl --socket /run/hvkvm/%i/api.sock .*vm.shutdown' '$u'"
ok "the ExecStart options parse (--print-config)" \
	"'$hvkvm' --kernel /dev/null --name vm-1 --api-socket /run/hvkvm/vm-1/api.sock --print-config > /dev/null"
# The ExecStop command line parses: with nothing listening it fails to connect (3),
# not on its arguments (2).
stop=$(sed -n 's/^ExecStop=-//p' "$u" | sed "s#/run/hvkvm/%i/#$tmp/#")
$stop > /dev/null 2>&1
rc=$?
ok "the ExecStop command parses (exit $rc: cannot connect)" "[ $rc = 3 ]"
for o in NoNewPrivileges=yes ProtectSystem=full PrivateTmp=yes DevicePolicy=closed 'DeviceAllow=/dev/kvm rw' \
	'DeviceAllow=/dev/net/tun rw'; do
	ok "$o" "grep -qx '$o' '$u'"
done
echo "1..$n"
exit $((failures > 0))
