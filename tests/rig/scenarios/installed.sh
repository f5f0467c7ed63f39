#!/bin/bash
# An installed Debian 12 (tests/rig/debian-image) as its users run it: its own kernel and
# initramfs, its root file system on a StorVSC disk (L1's /dev/vda), its network from
# dnsmasq over NetVSC with ifupdown's dhclient. The system's rig-report unit prints, once
# systemd has finished starting, the boot's number, systemd's state, the failed units, the
# leased address and what the initramfs's fsck said; boot 1 then reboots itself, boot 2
# is stopped by SIGTERM from the host (through the shutdown IC), and boot 3, in a new
# hvkvm, must find its file system clean. In boot 2 the host also talks to the guest's
# hyperv-daemons: KVP, file copy, and VSS (freeze and thaw) watched from a root shell on the serial
# console, whose input boots 1 and 2 take from a FIFO the scenario types into.
. "$(dirname "$0")/../lib.sh"
# Three Debian boots and two shutdowns under the emulated L1.
GUEST_TIMEOUT=${INSTALLED_TIMEOUT:-1500}
L2_KERNEL=$RIG_SHARE/vmlinuz
L2_INITRD=$RIG_SHARE/initrd.img
uuid=$(cat "$RIG_SHARE/root-uuid")
mac=00:15:5d:79:00:02
dhcp_host_start
run=(--cpus 2 --memory 1G --stats --disk path=/dev/vda,serial=DEBIAN-ROOT --net tap=hvtap0,mac=$mac
	--cmdline "root=UUID=$uuid ro quiet console=ttyS0 net.ifnames=0")

# bootline NAME N: the rig-report line of boot N (it may follow the login prompt).
bootline() { grep -a -o "rig: boot=$2 .*" "$OUT/$1.serial" | tr -d '\r' | tail -n 1; }
field() { echo "$1" | grep -o "$2=[^ ]*" | cut -d= -f2-; }
# fsck_of NAME N: what the initramfs's fsck said of the root in boot N (rig-report's lines
# come before the RIG-BOOT-N marker that ends them).
fsck_of() {
	awk -v n="RIG-BOOT-$2" '/rig: boot=/ {f = ""} /^rig: fsck: / {f = f $0 "\n"} index($0, n) == 1 {printf "%s", f; exit}' \
		"$OUT/$1.serial" | tr -d '\r'
}
in_range() { echo "$1" | grep -qE '^10\.78\.0\.([5-9][0-9])/24$'; }
says_clean() { echo "$1" | grep -q 'clean,'; }
no_recovery() { ! echo "$1" | grep -qi 'recover'; }
# boot_checks NAME N: systemd reached multi-user with no failed unit, and a DHCP lease.
boot_checks() {
	local l
	l=$(bootline "$1" "$2")
	echo "# $1: ${l:-no report from boot $2}"
	check "boot $2: systemd finished starting: running ($(field "$l" state))" [ "$(field "$l" state)" = running ]
	check "boot $2: 0 failed units ($(field "$l" failed))" [ "$(field "$l" failed)" = 0 ]
	check "boot $2: eth0 has a lease from dnsmasq ($(field "$l" addr))" in_range "$(field "$l" addr)"
	check "boot $2: dhclient logged no bad UDP checksums ($(field "$l" bad_udp_csum_logs))" \
		[ "$(field "$l" bad_udp_csum_logs)" = 0 ]
}

# kvp_checks SOCKET N: KVP through the guest's own hv_kvp_daemon (hyperv-daemons), in boot N:
# what the guest says of itself, the host's --kvp key, and a key set, read and deleted.
sock=/tmp/installed.sock
ctl() { "$HVKVM" ctl --socket "$sock" "$@"; }
# json KEY: a top-level value of the JSON object on stdin (a list joined with spaces).
json() { /usr/bin/python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(" ".join(v) if isinstance(v, list) else v)' "$1"; }
has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
kvp_checks() {
	local n=$1 addr info
	addr=$(field "$(bootline sys "$n")" addr)
	addr=${addr%/*}
	check "KVP: the guest's hv_kvp_daemon negotiated (boot $n)" \
		wait_for 120 "the guest's KVP daemon" ic_negotiated "$sock" kvp
	info=$(ctl guest.info 2>&1)
	echo "# guest.info: $(echo "$info" | tr -d '\n' | cut -c1-400)"
	check "KVP: guest.info: os_name Debian GNU/Linux ($(echo "$info" | json os_name))" \
		[ "$(echo "$info" | json os_name)" = "Debian GNU/Linux" ]
	check "KVP: guest.info: os_major 12 ($(echo "$info" | json os_major))" [ "$(echo "$info" | json os_major)" = 12 ]
	check "KVP: guest.info: fqdn hvkvm-debian ($(echo "$info" | json fqdn))" \
		[ "$(echo "$info" | json fqdn)" = hvkvm-debian ]
	check "KVP: guest.info: ipv4 holds eth0's lease $addr ($(echo "$info" | json ipv4))" \
		has_word "$(echo "$info" | json ipv4)" "$addr"
	check "KVP: the host's --kvp key is in the guest's pool 0" \
		[ "$(ctl kvp.get key=RigBoot 2>&1 | json value)" = boot-value ]
	ctl kvp.set key=RigSet value=set-by-host > "$OUT/kvp-set.txt" 2>&1
	check "KVP: kvp.set then kvp.get reads the value back" \
		[ "$(ctl kvp.get key=RigSet 2>&1 | json value)" = set-by-host ]
	ctl kvp.delete key=RigSet >> "$OUT/kvp-set.txt" 2>&1
	ctl kvp.get key=RigSet > "$OUT/kvp-gone.txt" 2>&1
	check "KVP: after kvp.delete the key is gone ($(head -n 1 "$OUT/kvp-gone.txt"))" \
		grep -q 'no key "RigSet"' "$OUT/kvp-gone.txt"
}

# fcopy_checks: file copy through the guest's own hv_fcopy_daemon (hyperv-daemons), seen
# from the root shell on the console that vss_checks logged in: 10 MiB of random bytes and
# a small file, each compared by its sha256 in the guest; the same copy again without
# overwrite, and a copy into a directory that is missing, are JSON-RPC errors. The guest's
# hv_utils drops an answer it finds no room for in its ring: its count of full rings is 0.
FCOPY_DEV=/sys/bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4
# guest_sha256 FILE: the sha256 the guest computes of its FILE (or "none").
guest_sha256() {
	local tag=fc$RANDOM
	type_in "echo \"rig-$tag: \$(sha256sum < $1 | cut -c1-64) end\""
	wait_for 120 "the guest's sha256 of $1" on_console "rig-$tag: [0-9a-f]* end" >/dev/null 2>&1 || true
	grep -a -o -E "rig-$tag: [0-9a-f]{64}" "$OUT/sys.serial" | tail -n 1 | cut -d' ' -f2 | grep . || echo none
}
# fcopy_copy NAME TIMEOUT ARGS...: guest.copy_file into $OUT/fcopy-NAME.txt; says how it went.
fcopy_copy() {
	local name=$1 tmo=$2 t0 rc
	shift 2
	t0=$(date +%s.%N)
	ctl --timeout "$tmo" guest.copy_file "$@" > "$OUT/fcopy-$name.txt" 2>&1
	rc=$?
	echo "# guest.copy_file $name: exit $rc after $(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}') s: $(tr -d '\n' < "$OUT/fcopy-$name.txt" | cut -c1-300)"
	return $rc
}
# both_in FILE RE1 RE2: FILE has both.
both_in() { grep -q -- "$2" "$1" && grep -q -- "$3" "$1"; }
FCOPY_SRC=/tmp/installed-fcopy.bin
FCOPY_SMALL=/tmp/installed-fcopy-small.txt
fcopy_checks() {
	local src=$FCOPY_SRC small=$FCOPY_SMALL want got out full
	head -c 10485760 /dev/urandom > "$src"
	want=$(sha256sum < "$src" | cut -d' ' -f1)
	check "fcopy: the guest's file copy driver negotiated" \
		wait_for 120 "the guest's file copy driver" ic_negotiated "$sock" fcopy
	fcopy_copy big 900 path="$src" guest_path=/var/lib/rig/fcopy/random.bin create_path=true
	check "fcopy: guest.copy_file copied 10 MiB ($(json bytes < "$OUT/fcopy-big.txt" 2>/dev/null) bytes in $(json ms < "$OUT/fcopy-big.txt" 2>/dev/null) ms)" \
		[ "$(json bytes < "$OUT/fcopy-big.txt" 2>/dev/null)" = 10485760 ]
	got=$(guest_sha256 /var/lib/rig/fcopy/random.bin)
	check "fcopy: the guest's 10 MiB file has the host's sha256 ($got)" [ "$got" = "$want" ]
	printf 'small file\nfrom the host\n' > "$small"
	want=$(sha256sum < "$small" | cut -d' ' -f1)
	fcopy_copy small 120 path="$small" guest_path=/var/lib/rig/fcopy/small.txt
	check "fcopy: guest.copy_file copied a small file ($(json bytes < "$OUT/fcopy-small.txt" 2>/dev/null) bytes)" \
		[ "$(json bytes < "$OUT/fcopy-small.txt" 2>/dev/null)" = "$(stat -c %s "$small")" ]
	got=$(guest_sha256 /var/lib/rig/fcopy/small.txt)
	check "fcopy: the guest's small file has the host's sha256 ($got)" [ "$got" = "$want" ]
	fcopy_copy again 300 path="$src" guest_path=/var/lib/rig/fcopy/random.bin
	out=$?
	check "fcopy: copying onto the file without overwrite is a JSON-RPC error (ctl exit $out)" [ "$out" = 1 ]
	check "fcopy: ... -32004 naming the guest's status ERROR_ALREADY_EXISTS" \
		both_in "$OUT/fcopy-again.txt" -32004 ERROR_ALREADY_EXISTS
	fcopy_copy nodir 120 path="$small" guest_path=/var/lib/rig/no-such-dir/small.txt
	out=$?
	check "fcopy: copying into a missing directory (no create_path) is a JSON-RPC error (ctl exit $out)" [ "$out" = 1 ]
	check "fcopy: ... -32004, the guest refused the start" \
		both_in "$OUT/fcopy-nodir.txt" -32004 '"stage": *"start"'
	got=$(guest_sha256 /var/lib/rig/fcopy/random.bin)
	check "fcopy: the refused copy left the 10 MiB file as it was ($got)" [ "$got" = "$(sha256sum < "$src" | cut -d' ' -f1)" ]
	type_in "echo \"rig-fcopy-ring: \$(cat $FCOPY_DEV/channels/*/out_full_total)\""
	wait_for 60 "the guest's ring counters" on_console 'rig-fcopy-ring: [0-9]' >/dev/null 2>&1
	full=$(grep -a -o -E 'rig-fcopy-ring: [0-9]+' "$OUT/sys.serial" | tail -n 1 | cut -d' ' -f2)
	check "fcopy: the guest never found its ring to the host full (out_full_total ${full:-unknown})" [ "$full" = 0 ]
}
# fcopy_disk_checks: once boot 2 is off, the copies as its file system holds them (read
# with debugfs from L1's /dev/vda): the same sha256 as the host's files.
# The root is the disk's partition 2, after the 64 MiB EFI system partition (debian-image).
disk_sha256() {
	local dev=/dev/vda2
	[ -b "$dev" ] || dev="/dev/vda?offset=$((65 * 1048576))"
	debugfs -R "cat $1" "$dev" 2>/dev/null | sha256sum | cut -d' ' -f1
}
fcopy_disk_checks() {
	local got
	got=$(disk_sha256 /var/lib/rig/fcopy/random.bin)
	check "fcopy: on the guest's disk after the shutdown, the 10 MiB file has the host's sha256 ($got)" \
		[ "$got" = "$(sha256sum < "$FCOPY_SRC" | cut -d' ' -f1)" ]
	got=$(disk_sha256 /var/lib/rig/fcopy/small.txt)
	check "fcopy: ... and the small file too ($got)" [ "$got" = "$(sha256sum < "$FCOPY_SMALL" | cut -d' ' -f1)" ]
	rm -f "$FCOPY_SRC" "$FCOPY_SMALL"
}

# vss_checks: VSS through the guest's own hv_vss_daemon (hyperv-daemons), seen from a root
# shell on the console (the serial getty logs root in without a password). A write and
# sync to the root file system started while it is frozen does not finish until
# guest.thaw; a freeze nobody thaws is thawed by hvkvm when its timeout_s runs out.
type_in() { printf '%s\n' "$*" >&7; }
# The console's text as lines: without bash's bracketed-paste switches, and a carriage
# return taken as a line break. Bash prints "ESC[?2004l" and a carriage return, with no
# line feed, before a command's first line of output: a pattern anchored at ^ must still
# find that line.
console_text() { sed 's/\x1b\[?2004[hl]//g; s/\r/\n/g' "$OUT/sys.serial" 2>/dev/null; }
on_console() { console_text | grep -aqE "$1"; }
# stays_off SECONDS REGEX: REGEX does not come on the console within SECONDS.
stays_off() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		on_console "$2" && return 1
		sleep 0.2
	done
	! on_console "$2"
}
fsfreeze_is() { [ "$(ctl guest.fsfreeze_status 2>/dev/null | json state)" = "$1" ]; }
vss_checks() {
	local r i evpid
	check "VSS: the guest's hv_utils negotiated the VSS IC" \
		wait_for 120 "the guest's VSS driver" ic_negotiated "$sock" vss
	for i in 1 2 3 4 5 6; do
		type_in root
		wait_for 20 "a root shell on the console" on_console 'root@hvkvm-debian:[^ ]*# ' && break
	done
	check "VSS: a root shell on the guest's console" on_console 'root@hvkvm-debian:[^ ]*# '
	# vw N: in the background, say it starts, write N to a file on / and sync, say so.
	type_in 'vw() { ( echo "rig-vss: start=$1" > /dev/console; echo $1 > /var/lib/rig/vss-$1 && sync && echo "rig-vss: wrote=$1" > /dev/console ) & }'
	type_in 'vw 0'
	check "VSS: not frozen, the guest's write and sync to / finish" \
		wait_for 60 "the guest's write 0" on_console 'rig-vss: wrote=0'

	r=$(ctl guest.freeze timeout_s=120 2>&1)
	echo "# guest.freeze: $(echo "$r" | tr -d "\n")"
	check "VSS: guest.freeze: hv_vss_daemon froze the guest's file systems ($(echo "$r" | json state))" \
		[ "$(echo "$r" | json state)" = frozen ]
	check "VSS: guest.fsfreeze_status: frozen" fsfreeze_is frozen
	type_in 'vw 1'
	check "VSS: frozen, the guest starts a write and sync to /" \
		wait_for 60 "the guest's write 1 to start" on_console 'rig-vss: start=1'
	check "VSS: frozen, the write and sync do not finish (5 s)" stays_off 5 'rig-vss: wrote=1'
	r=$(ctl guest.thaw 2>&1)
	echo "# guest.thaw: $(echo "$r" | tr -d "\n")"
	check "VSS: guest.thaw: thawed ($(echo "$r" | json state))" [ "$(echo "$r" | json state)" = thawed ]
	check "VSS: thawed, the write and sync finish" wait_for 60 "the guest's write 1" on_console 'rig-vss: wrote=1'

	ctl --timeout 0 --events types:='["fsfreeze"]' > "$OUT/vss-events.txt" 2>&1 &
	evpid=$!
	r=$(ctl guest.freeze timeout_s=60 2>&1)
	echo "# guest.freeze timeout_s=60: $(echo "$r" | tr -d "\n")"
	check "VSS: guest.freeze timeout_s=60: frozen ($(echo "$r" | json state))" [ "$(echo "$r" | json state)" = frozen ]
	type_in 'vw 2'
	check "VSS: frozen again, the guest starts a write and sync to /" \
		wait_for 60 "the guest's write 2 to start" on_console 'rig-vss: start=2'
	check "VSS: frozen again, the write and sync do not finish (3 s)" stays_off 3 'rig-vss: wrote=2'
	check "VSS: nobody thaws: hvkvm does when timeout_s runs out (fsfreeze event, reason timeout)" \
		wait_for 120 "the automatic thaw" grep -q '"state":"thawing".*"reason":"timeout"' "$OUT/vss-events.txt"
	check "VSS: after the automatic thaw the write and sync finish" \
		wait_for 60 "the guest's write 2" on_console 'rig-vss: wrote=2'
	check "VSS: guest.fsfreeze_status: thawed" wait_for 30 "the thawed state" fsfreeze_is thawed
	kill "$evpid" 2>/dev/null
	wait "$evpid" 2>/dev/null
	sed 's/^/# event: /' "$OUT/vss-events.txt"
}

# kvp_guest_checks: what the guest tells the host by itself, seen by a subscriber to kvp
# events (hvkvm reads the guest's pools every 5 s while one listens), from the root shell
# vss_checks logged in. The guest rewrites a record of its pool 1 every 2 s (the file
# hv_kvp_daemon reads at each request; records of 512 and 2048 bytes), so kvp.get pool=1
# returns it and its changes come as events; then an address added to eth0 comes as a
# change of pool 2's NetworkAddressIPv4 and shows in guest.info.
KVP_ADDR=192.0.2.77
kvp_guest_checks() {
	local evpid info
	ctl --timeout 0 --events types:='["kvp"]' > "$OUT/kvp-events.txt" 2>&1 &
	evpid=$!
	type_in 'rec() { printf %s "$1"; head -c $((512 - ${#1})) /dev/zero; printf %s "$2"; head -c $((2048 - ${#2})) /dev/zero; }'
	type_in 'p=/var/lib/hyperv/.kvp_pool_1; ( for i in $(seq 1 90); do rec RigTick $i > $p.new && mv $p.new $p; sleep 2; done ) & rigkvp=$!'
	check "KVP: a record the guest writes to its pool 1 is read by kvp.get pool=1" \
		wait_for 60 "RigTick in pool 1" eval '[ -n "$(ctl kvp.get pool=1 key=RigTick 2>/dev/null | json value)" ]'
	check "KVP: a kvp event for each change of that record (pool 1, a previous value)" \
		wait_for 60 "a kvp event for RigTick" grep -qE '"pool": ?1,.*"key": ?"RigTick",.*"previous": ?"[0-9]+"' "$OUT/kvp-events.txt"
	type_in "ip addr add $KVP_ADDR/24 dev eth0"
	check "KVP: an address added to eth0 comes as a kvp event (pool 2, NetworkAddressIPv4)" \
		wait_for 60 "a kvp event for $KVP_ADDR" grep -qE "\"key\": ?\"NetworkAddressIPv4\",.*\"value\": ?\"[^\"]*$KVP_ADDR" "$OUT/kvp-events.txt"
	info=$(ctl guest.info 2>&1)
	check "KVP: guest.info: ipv4 has the added address $KVP_ADDR ($(echo "$info" | json ipv4))" \
		has_word "$(echo "$info" | json ipv4)" "$KVP_ADDR"
	type_in "ip addr del $KVP_ADDR/24 dev eth0"
	type_in 'kill $rigkvp'
	kill "$evpid" 2>/dev/null
	wait "$evpid" 2>/dev/null
	grep -v RigTick "$OUT/kvp-events.txt" | cut -c1-300 | sed 's/^/# event: /'
	echo "# kvp events for RigTick: $(grep -c RigTick "$OUT/kvp-events.txt")"
}

# set_ip_checks: net.set_ip on eth0 (KVP's SET_IP_INFO). hv_kvp_daemon writes
# /var/lib/hyperv/ifcfg-eth0 with what it was given, then runs the distribution's
# hv_set_ifconfig; hvkvm answers with the daemon's status. Debian's script is written for
# Red Hat's network-scripts and may fail: then the answer must be the daemon's E_FAIL, and
# the daemon's log must say the script failed. The marker lines are computed in the guest
# so that the console's echo of the command never matches them.
SETIP_ADDR=192.0.2.88
set_ip_checks() {
	local rc status fails
	type_in 'rm -f /var/lib/hyperv/ifcfg-eth0; echo RIG-SETIP-$((20+1))'
	check "net.set_ip: the guest removed an old ifcfg-eth0" wait_for 120 "the marker RIG-SETIP-21" on_console '^RIG-SETIP-21'
	ctl net.set_ip mac=$mac addresses:="[\"$SETIP_ADDR/24\"]" gateways:='["192.0.2.1"]' dns:='["192.0.2.53"]' \
		> "$OUT/setip.txt" 2>&1
	rc=$?
	sed 's/^/# net.set_ip: /' "$OUT/setip.txt"
	type_in 'sed "s/^/RIG-IFCFG-$((1+1)) /" /var/lib/hyperv/ifcfg-eth0; echo RIG-SETIP-FAILS-$((2+2))=$(journalctl -b -o cat -t KVP | grep -ci "failed to execute")'
	check "net.set_ip: the guest's daemon answered (the log of its script failures came)" \
		wait_for 60 "the marker RIG-SETIP-FAILS-4" on_console '^RIG-SETIP-FAILS-4=[0-9]+'
	console_text | grep -a '^RIG-IFCFG-2 ' | sed 's/^/# /'
	check "net.set_ip: the daemon wrote ifcfg-eth0 with $SETIP_ADDR" \
		on_console "^RIG-IFCFG-2 IPADDR[0-9]*=\"?${SETIP_ADDR//./\\.}\"?"
	check "net.set_ip: ... with the mask of /24 (255.255.255.0)" \
		on_console '^RIG-IFCFG-2 NETMASK[0-9]*="?255\.255\.255\.0"?'
	check "net.set_ip: ... with the gateway and the DNS server" \
		eval 'on_console "^RIG-IFCFG-2 GATEWAY[0-9]*=\"?192\.0\.2\.1\"?" && on_console "^RIG-IFCFG-2 DNS[0-9]*=\"?192\.0\.2\.53\"?"'
	check "net.set_ip: ... for this adapter's MAC" grep -aqiE "RIG-IFCFG-2 HWADDR=\"?$mac\"?" "$OUT/sys.serial"
	fails=$(console_text | grep -a -o '^RIG-SETIP-FAILS-4=[0-9]*' | tail -n 1 | cut -d= -f2)
	if [ "$rc" = 0 ]; then
		status=$(json status < "$OUT/setip.txt")
		check "net.set_ip: success (status $status) as the daemon reported (its script did not fail: $fails failures logged)" \
			eval '[ "$status" = 0x00000000 ] && [ "$fails" = 0 ]'
	else
		status=$(grep -o '"status": *"0x[0-9a-f]*"' "$OUT/setip.txt" | grep -o '0x[0-9a-f]*')
		check "net.set_ip: the daemon's error came back faithfully (ctl exit $rc, status $status; script failures logged: $fails)" \
			eval '[ "$rc" = 1 ] && [ "$status" = 0x80004005 ] && [ "${fails:-0}" -ge 1 ]'
	fi
}

# --- boots 1 and 2: multi-user, DHCP, `systemctl reboot`, then SIGTERM ---------------------
# Their console both ways: output in sys.serial, input from a FIFO held open on fd 7.
console_in=/tmp/installed-console
rm -f "$console_in"
mkfifo "$console_in"
exec 7<> "$console_in"
rm -f "$OUT/sys.serial"
guest_args="--serial stdio ${run[*]} --api-socket $sock --kvp RigBoot=boot-value"
t0=$(date +%s)
start_ns=$(date +%s.%N)
"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --serial stdio "${run[@]}" --api-socket "$sock" \
	--kvp RigBoot=boot-value < "$console_in" > "$OUT/sys.serial" 2> "$OUT/sys.err" 7>&- &
pid=$!
took=never
if wait_serial sys '^RIG-BOOT-2' $GUEST_TIMEOUT; then
	kvp_checks 2
	vss_checks
	kvp_guest_checks
	set_ip_checks
	fcopy_checks
	ts=$(date +%s.%N)
	kill -TERM "$pid"
	guest_wait sys
	took=$(echo "$(date +%s.%N) $ts" | awk '{printf "%.1f", $1 - $2}')
else
	guest_wait sys
fi
exec 7>&-
rm -f "$console_in"
echo "# sys: SIGTERM to exit ${took} s"
boot_checks sys 1
check "reboot: the system came back from \`systemctl reboot\` (boot 2)" on_console '^RIG-BOOT-2'
boot_checks sys 2
check "boot 2: the root file system was clean after the reboot" says_clean "$(fsck_of sys 2)"
check "SIGTERM: hvkvm asked the guest through the shutdown IC" grep -q 'shutdown IC: the guest accepted' "$OUT/sys.err"
check "SIGTERM: the system powered off and hvkvm exited 0 ($took s)" [ "$rc" = 0 ]
check "SIGTERM: systemd stopped the system (reboot: Power down)" grep -aq 'reboot: Power down' "$OUT/sys.serial"
check "dnsmasq leased to this MAC" grep -q "DHCPACK(hvtap0) [0-9.]* $mac" "$OUT/dnsmasq.log"
fcopy_disk_checks

# --- boot 3, a new hvkvm: the file system was left clean -----------------------------------
guest_start after "${run[@]}"
guest_wait after
boot_checks after 3
f=$(fsck_of after 3)
echo "$f" | sed 's/^/# after: /'
check "boot 3: fsck found the root file system clean after SIGTERM" says_clean "$f"
check "boot 3: no journal to recover" no_recovery "$f"
check "boot 3: the system powered itself off, hvkvm exit 0" [ "$rc" = 0 ]

dhcp_host_stop
finish
