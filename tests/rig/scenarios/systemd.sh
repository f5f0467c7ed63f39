#!/bin/bash
# rig: systemd
# hvkvm@.service as built, under a real systemd (L1's init) on a real /dev/kvm: the VM
# /etc/hvkvm/rig.json (the rig's guest, which answers the shutdown IC) started with
# systemctl, active only once hvkvm's READY=1 came; its management socket where, and as,
# the unit and README say; the unit's sandbox in force; a SIGKILL of hvkvm restarted by
# Restart=on-abnormal; systemctl stop shutting the guest down through its shutdown IC;
# and a start without READY=1 that never becomes active.
. "$(dirname "$0")/../lib.sh"
unit_src=$(dirname "$HVKVM")/systemd/hvkvm@.service
name=rig
u=hvkvm@$name
sock=/run/hvkvm/$name/api.sock
serial=/var/log/hvkvm/$name.serial
ctl() { "$HVKVM" ctl --socket "$sock" "$@"; }
prop() { systemctl show -p "$1" --value "$u"; }
state() { echo "$(prop ActiveState)/$(prop SubState)"; }
journal() { journalctl -q -o cat -u "$u" > "$OUT/$name.err" 2>&1; }

check "systemd is L1's init ($(cat /proc/1/comm))" [ "$(cat /proc/1/comm)" = systemd ]
check "the unit was built ($unit_src)" test -f "$unit_src"
# The unit as built, unchanged, with hvkvm where it says (the root is an overlay).
exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit_src")
install -D -m 0755 "$HVKVM" "$exe"
install -m 0644 "$unit_src" /etc/systemd/system/hvkvm@.service
mkdir -p /etc/hvkvm /var/lib/hvkvm/$name /var/log/hvkvm
cp "$L2_INITRD" /var/lib/hvkvm/$name/initrd.img
cat > /etc/hvkvm/$name.json <<EOF
{
  "kernel": "$L2_KERNEL",
  "initrd": "/var/lib/hvkvm/$name/initrd.img",
  "cmdline": "console=ttyS0 rig.test=wait",
  "memory": "512M",
  "cpus": 1,
  "serial": "file:$serial"
}
EOF
systemctl daemon-reload

# --- start: active (running) once READY=1 came ----------------------------------------------
t=$(date +%s.%N)
systemctl start "$u" > "$OUT/start.txt" 2>&1; r=$?
took=$(echo "$(date +%s.%N) $t" | awk '{printf "%.1f", $1 - $2}')
echo "# systemctl start: exit $r after ${took}s; $(prop StatusText)"
check "systemctl start $u: exit $r ($(tr '\n' ' ' < "$OUT/start.txt"))" [ $r = 0 ]
check "active (running) as systemctl start returns: $(state)" [ "$(state)" = active/running ]
# STATUS= came in the datagram of READY=1 (main.c): systemd took hvkvm's READY=1.
status=$(prop StatusText)
checkx "the status is READY=1's: $status" '[[ $status == "running, 1 vCPUs, 512 MiB"* ]]'
pid1=$(prop MainPID)
check "MainPID ($pid1) is hvkvm at $exe" [ "$(readlink "/proc/$pid1/exe")" = "$exe" ]

# --- the management socket -------------------------------------------------------------------
check "the socket: $(stat -c '%n %F %a %U:%G' "$sock" 2>&1)" \
	[ "$(stat -c '%F %a %U:%G' "$sock" 2>&1)" = "socket 600 root:root" ]
check "its directory: $(stat -c '%n %a %U:%G' "${sock%/*}" 2>&1)" \
	[ "$(stat -c '%a %U:%G' "${sock%/*}" 2>&1)" = "700 root:root" ]
ctl vm.info > "$OUT/info.json" 2>&1; r=$?
check "hvkvm ctl vm.info through it: exit $r, running" \
	sh -c "[ $r = 0 ] && grep -q '\"state\": \"running\"' '$OUT/info.json'"

# --- the sandbox ---------------------------------------------------------------------------
st=/proc/$pid1/status
check "NoNewPrivileges: $(grep NoNewPrivs "$st" | tr -s '\t ' ' ')" grep -q '^NoNewPrivs:[[:space:]]*1$' "$st"
# CAP_DAC_OVERRIDE (1), CAP_NET_ADMIN (12), CAP_IPC_LOCK (14).
check "CapabilityBoundingSet: $(grep CapBnd "$st" | tr -s '\t ' ' ')" grep -q '^CapBnd:[[:space:]]*0000000000005002$' "$st"
check "seccomp filters: $(grep Seccomp: "$st" | tr -s '\t ' ' ')" grep -q '^Seccomp:[[:space:]]*2$' "$st"
# (Each against what the same command may do there: nsenter itself works.)
nsenter -t "$pid1" -m touch /etc/hvkvm/forbidden > "$OUT/forbidden.txt" 2>&1; r1=$?
nsenter -t "$pid1" -m touch /var/lib/hvkvm/$name/allowed; r2=$?
check "ProtectSystem=full: /etc is read-only for hvkvm (exit $r1: $(cat "$OUT/forbidden.txt")), /var is not (exit $r2)" \
	sh -c "[ $r1 != 0 ] && [ ! -e /etc/hvkvm/forbidden ] && [ $r2 = 0 ] && [ -e /var/lib/hvkvm/$name/allowed ]"
touch /tmp/rig-host-tmp
nsenter -t "$pid1" -m test -e /tmp/rig-host-tmp; r1=$?
nsenter -t "$pid1" -m test -e /etc/hvkvm/$name.json; r2=$?
check "PrivateTmp: hvkvm's /tmp is its own (the host's file: exit $r1; its configuration: exit $r2)" \
	sh -c "[ $r1 = 1 ] && [ $r2 = 0 ]"
# DevicePolicy=closed: a process in the unit's control group opens /dev/kvm, not /dev/mem.
cg=/sys/fs/cgroup$(prop ControlGroup)
dev_in_unit() { sh -c 'echo $$ > "$1/cgroup.procs" && exec dd if="$2" of=/dev/null bs=1 count=0' sh "$cg" "$1" 2>&1; }
dev_in_unit /dev/kvm > "$OUT/dev-kvm.txt"; r1=$?
dev_in_unit /dev/mem > "$OUT/dev-mem.txt"; r2=$?
dd if=/dev/mem of=/dev/null bs=1 count=0 2> /dev/null; r3=$?
check "DevicePolicy=closed: /dev/kvm opens in the unit (exit $r1), /dev/mem does not (exit $r2: $(tail -n 1 "$OUT/dev-mem.txt")) though it does outside (exit $r3)" \
	sh -c "[ $r1 = 0 ] && [ $r2 != 0 ] && [ $r3 = 0 ]"

# --- SIGKILL: Restart=on-abnormal starts it again ---------------------------------------------
ready() { grep -aq RIG-READY "$serial" 2>/dev/null && ic_negotiated "$sock" shutdown; }
wait_for "$GUEST_TIMEOUT" "the guest to boot and negotiate the shutdown IC" ready
check "the guest booted and negotiated the shutdown IC" ready
kill -KILL "$pid1"
restarted() { [ "$(prop NRestarts)" = 1 ] && [ "$(state)" = active/running ] && [ "$(prop MainPID)" != "$pid1" ]; }
wait_for 120 "systemd to restart hvkvm" restarted
pid2=$(prop MainPID)
check "after kill -9 of hvkvm ($pid1) systemd restarted it: $(state), NRestarts=$(prop NRestarts), MainPID $pid2" restarted
wait_for "$GUEST_TIMEOUT" "the guest to boot again and negotiate the shutdown IC" ready
check "the restarted guest booted and negotiated the shutdown IC" ready
check "the socket is there again, mode 0600" [ "$(stat -c '%F %a' "$sock" 2>&1)" = "socket 600" ]

# --- stop: the guest powers off through its shutdown IC --------------------------------------
t=$(date +%s.%N)
systemctl stop "$u" > "$OUT/stop.txt" 2>&1; r=$?
took=$(echo "$(date +%s.%N) $t" | awk '{printf "%.1f", $1 - $2}')
echo "# systemctl stop: exit $r after ${took}s"
cp "$serial" "$OUT/$name.serial"
# (journald may take a moment to have hvkvm's last lines)
accepted() { journal; grep -q 'shutdown IC: the guest accepted the request' "$OUT/$name.err"; }
wait_for 10 "hvkvm's log of the shutdown IC's answer" accepted
check "systemctl stop: exit $r ($(tr '\n' ' ' < "$OUT/stop.txt"))" [ $r = 0 ]
check "within TimeoutStopSec (${took}s of $(prop TimeoutStopUSec))" awk -v t="$took" 'BEGIN { exit !(t < 240) }'
check "inactive (dead), Result=$(prop Result), hvkvm's exit status $(prop ExecMainStatus)" \
	sh -c "[ '$(state)' = inactive/dead ] && [ '$(prop Result)' = success ] && [ '$(prop ExecMainStatus)' = 0 ]"
check "the guest logged the shutdown request" \
	grep -aq 'Shutdown request received - graceful shutdown initiated' "$OUT/$name.serial"
check "the guest powered itself off (reboot: Power down)" grep -aq 'reboot: Power down' "$OUT/$name.serial"
check "hvkvm's log: the guest accepted the shutdown IC's request" accepted
check "the runtime directory is gone" [ ! -e "${sock%/*}" ]

# --- without READY=1 the unit never becomes active --------------------------------------------
# The same unit with hvkvm not told of systemd's socket: systemd must keep it activating
# while the guest runs, then give up (and kill it at once: this one is not to be stopped
# gracefully). On a loaded host the guest's first console line can take most of a minute
# under the emulated L1: systemd's bound leaves room for it and for the state read after.
d=/run/systemd/system/$u.service.d
mkdir -p "$d"
{
	echo "[Service]"
	echo "ExecStart="
	echo "ExecStart=/usr/bin/env -u NOTIFY_SOCKET $(sed -n 's/^ExecStart=//p' "$unit_src")"
	echo "ExecStop="
	echo "TimeoutStartSec=120"
	echo "TimeoutStopSec=1"
	echo "Restart=no"
} > "$d/no-ready.conf"
systemctl daemon-reload
rm -f "$serial"
systemctl start "$u" > "$OUT/start2.txt" 2>&1 &
starter=$!
booting() { grep -aq 'Linux version' "$serial" 2>/dev/null; }
wait_for 100 "the guest's first console line" booting
s_booting=$(state)
wait "$starter"; r=$?
check "no READY=1: activating while the guest runs ($s_booting), then systemctl start fails (exit $r), Result=$(prop Result)" \
	sh -c "[ '$s_booting' = activating/start ] && [ $r != 0 ] && [ '$(prop Result)' = timeout ]"
cp "$serial" "$OUT/$name-noready.serial" 2>/dev/null
rm -rf "$d"
systemctl daemon-reload
systemctl reset-failed "$u"
# (for the log of a failed run: the console of the guest last started, hvkvm's journal)
[ -f "$OUT/$name.serial" ] || cp "$serial" "$OUT/$name.serial" 2>/dev/null
journal
journalctl -b -q --no-pager > "$OUT/l1.journal" 2>&1
finish
