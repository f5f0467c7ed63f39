#!/bin/bash
# The management socket with Debian's guest: vm.info, pause and resume (the guest's
# clock and output stop, then go on), keys typed into a shell on the guest's tty1 and
# pointer moves and clicks read from its event device, disks added and removed while it runs,
# events to a subscriber, the synthetic video device with the guest's hyperv_drm (its
# VRAM, its mode, a known picture in screen.screenshot; a second boot with another mode
# and a reset), a VNC viewer (tests/rig/tools/rfbcheck.py) on hvkvm's --vnc Unix socket
# that sees the guest's picture and mode and whose keys and clicks reach the guest,
# 50 clients at once during disk I/O, a malformed message
# on a connection that then goes on working, and a graceful shutdown; all of it
# with the seccomp sandbox on.
. "$(dirname "$0")/../lib.sh"
img=/tmp/mgmt
mkdir -p "$img"
sock=$img/api.sock
vnc=$img/vnc.sock
rfbcheck() { /usr/bin/python3 "$(dirname "$0")/../tools/rfbcheck.py" "$@"; }
ctl() { "$HVKVM" ctl --socket "$sock" "$@"; }
# jq-like: json FILE PYTHON-EXPRESSION on the parsed document d.
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
last_tick() { grep -a '^tick=' "$OUT/vm.serial" | tail -n 1 | tr -d '\r'; }
ticks() { grep -a -c '^tick=' "$OUT/vm.serial"; }
# wait_last_tick REGEX SECONDS: until the guest's latest line matches (or not, with !).
wait_last_tick() {
	local end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		last_tick | grep -qE "$1" && return 0
		sleep 0.5
	done
	return 1
}

truncate -s 64M "$img/base.img"
truncate -s 32M "$img/hot.img"
# systemd's side of Type=notify: a datagram socket that logs what it gets.
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode().replace("\n", " | "), flush=True)
' "$img/notify" > "$OUT/notify.txt" 2>&1 &
notify_pid=$!
# hvkvm sends READY=1 as soon as the guest runs: the listener must be bound before.
wait_for 60 "the sd_notify listener's socket" test -S "$img/notify"
check "the sd_notify listener is bound before hvkvm starts" test -S "$img/notify"
# (its screenshots, pixel checks and their waits take up to two minutes more)
GUEST_TIMEOUT=720
NOTIFY_SOCKET=$img/notify guest_start vm --cpus 2 --memory 1G --cmdline "console=ttyS0 rig.test=mgmt rig.io=on" \
	--disk path="$img/base.img",serial=BASE --net tap=hvmgmt0 --api-socket "$sock" --vnc "unix:$vnc"
ready=no
wait_serial vm '^tick=1 ' 300 && ready=yes
check "the guest runs and ticks" [ $ready = yes ]
check "sd_notify: READY=1 once the guest runs ($(head -n 1 "$OUT/notify.txt"))" grep -q '^READY=1 | MAINPID=' "$OUT/notify.txt"
check "the socket has mode 0600" [ "$(stat -c %a "$sock")" = 600 ]
# Seccomp: 2 is filter mode; every thread of hvkvm's (loop, vCPUs) has its filters.
# (io_uring's kernel workers, iou-*, are not hvkvm's threads.)
threads=0 filtered=0
for t in /proc/$pid/task/*; do
	grep -q '^Name:[[:space:]]*iou-' $t/status && continue
	threads=$((threads + 1))
	grep -q '^Seccomp:[[:space:]]*2$' $t/status && filtered=$((filtered + 1))
done
check "the seccomp sandbox is on by default: $filtered of $threads threads filtered" \
	sh -c "[ $threads -ge 3 ] && [ $filtered = $threads ]"
vcpu_filters=$(for t in /proc/$pid/task/*; do grep -q '^Name:[[:space:]]*vcpu' $t/status && awk '/^Seccomp_filters/ {print $2}' $t/status; done | sort -u)
check "vCPU threads have a filter of their own on top of the loop's (filters: $vcpu_filters)" [ "$vcpu_filters" = 2 ]

# --- events: a subscriber that stays connected throughout ----------------------------------
ctl --events > "$OUT/events.txt" 2> "$OUT/events.err" &
events_pid=$!

# --- vm.info -----------------------------------------------------------------------------------
ctl vm.info > "$OUT/info.json"
rc_info=$?
check "vm.info answers (exit $rc_info)" [ $rc_info = 0 ]
check "vm.info: running, 2 vCPUs, 1 GiB" [ "$(json "$OUT/info.json" 'd["state"], d["vcpus"], d["memory_bytes"]')" = "('running', 2, 1073741824)" ]
check "vm.info: the disk BASE on a SCSI controller" \
	[ "$(json "$OUT/info.json" '[k["serial"] for x in d["devices"] if x["kind"] == "scsi" for k in x["disks"]]')" = "['BASE']" ]
check "vm.info: the shutdown IC is negotiated" \
	[ "$(json "$OUT/info.json" '[x["negotiated"] for x in d["devices"] if x["id"] == "shutdown"]')" = "[True]" ]
check "vm.info: the keyboard and the mouse have their guest drivers connected" \
	[ "$(json "$OUT/info.json" '[x["connected"] for x in d["devices"] if x["kind"] in ("keyboard", "mouse")]')" = "[True, True]" ]
ctl vm.stats > "$OUT/stats.json"; r=$?
check "vm.stats answers" [ $r = 0 ]

# --- the synthetic keyboard and mouse ---------------------------------------------------------
check "the guest's hyperv_keyboard bound the synthetic keyboard" \
	grep -aq '^input-driver=hyperv_keyboard devices=1' "$OUT/vm.serial"
check "the guest's hid_hyperv bound the synthetic mouse" grep -aq '^input-driver=hid_hyperv devices=1' "$OUT/vm.serial"
check "the guest has the mouse as an input device" \
	grep -aq '^input-device: N: Name="Microsoft Vmbus HID-compliant Mouse"' "$OUT/vm.serial"
check "the guest has the keyboard as an input device" \
	grep -aq '^input-device: N: Name="AT Translated Set 2 keyboard"' "$OUT/vm.serial"
grep -a -E '^(input-|dmesg: |mouse-events=)' "$OUT/vm.serial" | tr -d '\r' | sed 's/^/# /'
ctl input.send_keys text="touch /tmp/kbd-ok" keys=Return > "$OUT/keys.json" 2>&1; r=$?
check "input.send_keys answers ($(tr -d '\n ' < "$OUT/keys.json"))" [ $r = 0 ]
wait_last_tick ' tty1=1 ' 60; r=$?
check "input.send_keys: the command typed on tty1 ran in the guest's shell: $(last_tick | sed 's/.*\(tty1=[^ ]*\).*/\1/')" [ $r = 0 ]
ctl input.send_keys keys=Nokey > /dev/null 2>&1; r=$?
check "input.send_keys with an unknown key name is an error (exit $r)" [ $r = 1 ]
ctl input.pointer x=12345 y=23456 buttons=none > "$OUT/pointer.json" 2>&1; r1=$?
ctl input.pointer buttons=left > /dev/null 2>&1; r2=$?
ctl input.pointer buttons=none > /dev/null 2>&1; r3=$?
check "input.pointer answers ($(tr -d '\n ' < "$OUT/pointer.json"))" sh -c "[ $r1 = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ]"
wait_last_tick ' mouse=12345:23456:1:1 ' 60; r=$?
check "input.pointer: the guest's event device has ABS_X 12345, ABS_Y 23456, one BTN_LEFT press and release: $(last_tick | sed 's/.*\(mouse=[^ ]*\).*/\1/')" [ $r = 0 ]

# --- the synthetic video device with the guest's hyperv_drm ----------------------------------
fbpattern=$(dirname "$HVKVM")/tests/fbpattern
wait_serial vm '^fb-pattern=' 60
grep -a -E '^(video-|drm-|fb-|vtconsole=)' "$OUT/vm.serial" | tr -d '\r' | sed 's/^/# /'
check "the guest's hyperv_drm bound the synthetic video device" \
	grep -aq '^video-driver=hyperv_drm devices=1' "$OUT/vm.serial"
check "the guest has a DRM card for it" grep -aq '^drm-cards=card0 ' "$OUT/vm.serial"
ctl screen.info > "$OUT/screen.json" 2>&1; r=$?
check "screen.info answers ($(tr -d '\n ' < "$OUT/screen.json"))" [ $r = 0 ]
check "screen.info: hyperv_drm connected with protocol 3.5 (Windows 10's)" \
	[ "$(json "$OUT/screen.json" 'd["connected"], d["version"]')" = "(True, '3.5')" ]
check "screen.info: the driver's default mode, 1024x768 of 32 bits, pitch 4096" \
	[ "$(json "$OUT/screen.json" 'd["mode"]["width"], d["mode"]["height"], d["mode"]["pitch"], d["mode"]["depth"]')" = "(1024, 768, 4096, 32)" ]
# The guest's /proc/iomem names the region it took for the VRAM after the device.
vram=$(json "$OUT/screen.json" 'd["vram_gpa"]')
vram_size=$(json "$OUT/screen.json" 'd["vram_size"]')
guest_vram=$(val vm video-vram)
vram_placed() {
	local s=$((16#${guest_vram%-*})) e=$((16#${guest_vram#*-}))
	[ -n "$vram" ] && [ "$vram" != None ] && [ $((vram)) = "$s" ] && [ $((e - s + 1)) = "$vram_size" ] &&
		[ "$s" -ge $((0xc0000000)) ] && [ $((e + 1)) -le $((0xfec00000)) ]
}
check "screen.info: VRAM ($vram_size bytes) at $vram, where hyperv_drm placed it ($guest_vram in the guest's /proc/iomem), inside the low MMIO window of hvkvm's ACPI (0xc0000000-0xfebfffff)" \
	vram_placed
# shot NAME W H: a screenshot to $OUT/NAME.png equals the known picture of W x H; it
# may take the guest's driver a moment to flush what it drew: up to 60 s.
shot() {
	local end=$(( $(date +%s) + 60 ))
	while :; do
		ctl screen.screenshot path="$OUT/$1.png" > "$OUT/$1.json" 2>&1 &&
			"$fbpattern" check "$2" "$3" "$OUT/$1.png" > "$OUT/$1.txt" 2>&1 && return 0
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 1
	done
}
shot shot1 1024 768; r=$?
check "screen.screenshot: the picture the guest wrote to /dev/fb0, pixel for pixel ($(cat "$OUT/shot1.txt" "$OUT/shot1.json" | tr -d '\n' | cut -c1-200))" [ $r = 0 ]
ctl screen.info > "$OUT/screen2.json" 2>&1
check "screen.info: the guest's dirty rectangles arrived ($(json "$OUT/screen2.json" 'd["updates"]') updates, $(json "$OUT/screen2.json" 'd["malformed"]') malformed)" \
	[ "$(json "$OUT/screen2.json" 'd["updates"] > 0 and d["malformed"] == 0')" = True ]

# --- a VNC viewer on hvkvm's --vnc Unix socket ------------------------------------------------
# rfbcheck.py speaks RFB 3.8 itself: one connection that takes the whole screen (in a pixel
# format of its own: libvncserver translates), types a command on tty1, clicks at the
# bottom right pixel and reads vm.info's vnc entry while connected.
check "VNC: the socket has mode 0600" [ "$(stat -c %a "$vnc" 2>/dev/null)" = 600 ]
rfbcheck --api "$sock" "$vnc" frame="$OUT/vnc1.png" type="touch /tmp/vnc-ok" key=Return click=max info \
	> "$OUT/vnc1.txt" 2>&1; r=$?
sed 's/^/# vnc: /' "$OUT/vnc1.txt"
check "VNC: the viewer's session ran (exit $r)" [ $r = 0 ]
check "VNC: security type None offered on the Unix socket" grep -q '^security 1$' "$OUT/vnc1.txt"
vnc_init=$(sed -n 's/^init \([0-9]*x[0-9]*\) .*/\1/p' "$OUT/vnc1.txt")
check "VNC: ServerInit's size ($vnc_init) is screen.info's mode" \
	[ "$vnc_init" = "$(json "$OUT/screen.json" '"%dx%d" % (d["mode"]["width"], d["mode"]["height"])')" ]
"$fbpattern" check 1024 768 "$OUT/vnc1.png" > "$OUT/vnc1-check.txt" 2>&1; r=$?
check "VNC: a Raw update of the whole screen is the guest's picture, as screen.screenshot's, pixel for pixel ($(cat "$OUT/vnc1-check.txt"))" [ $r = 0 ]
wait_last_tick ' vnc-keys=1 ' 60; r=$?
check "VNC: KeyEvents typed a command on tty1 that ran in the guest's shell: $(last_tick | sed 's/.*\(vnc-keys=[^ ]*\).*/\1/')" [ $r = 0 ]
# input.pointer left ABS 12345/23456 and one click before.
wait_last_tick ' mouse=32767:32767:2:2 ' 60; r=$?
check "VNC: a click at ($(sed -n 's/^click //p' "$OUT/vnc1.txt")) reaches the guest's event device as ABS_X, ABS_Y 32767 and a BTN_LEFT press and release: $(last_tick | sed 's/.*\(mouse=[^ ]*\).*/\1/')" [ $r = 0 ]
check "VNC: vm.info while the viewer is connected: clients=1 ($(sed -n 's/^info //p' "$OUT/vnc1.txt"))" \
	grep -q "^info .*address=unix:$vnc .*clients=1 .*connections=1 " "$OUT/vnc1.txt"
vnc_gone() { ctl vm.info > "$OUT/info-vnc.json" 2>&1 && [ "$(json "$OUT/info-vnc.json" 'd["vnc"]["clients"]')" = 0 ]; }
wait_for 30 "vm.info's vnc clients to be 0" vnc_gone
check "VNC: after the viewer left vm.info says clients=0, connections=1, no input dropped ($(json "$OUT/info-vnc.json" 'd["vnc"]'))" \
	[ "$(json "$OUT/info-vnc.json" 'd["vnc"]["clients"], d["vnc"]["connections"], d["vnc"]["input_dropped"]')" = "(0, 1, 0)" ]
check "VNC: hvkvm and its display thread (hvkvm-vnc) live on under the sandbox" \
	sh -c "kill -0 $pid && grep -qx hvkvm-vnc /proc/$pid/task/*/comm"

# --- text on the screen: the console drawn by fbcon, read back by OCR -------------------------
# The shell on tty1 gives the console back to the frame buffer (fbcon redraws it), clears
# it and prints a number it computes (so the typed command is not what is read); the top
# of screen.screenshot, enlarged, is read by tesseract (tesseract-ocr).
ocr_text() {
	ctl screen.screenshot path="$OUT/text.png" > "$OUT/text.json" 2>&1 &&
		"$fbpattern" ocr 3 64 "$OUT/text.png" "$OUT/text.pgm" > "$OUT/text-ocr.err" 2>&1 &&
		tesseract "$OUT/text.pgm" - --psm 6 > "$OUT/text-ocr.txt" 2>> "$OUT/text-ocr.err" &&
		grep -q 'TEXT 4711' "$OUT/text-ocr.txt"
}
ctl input.send_keys text="for v in /sys/class/vtconsole/vtcon*; do grep -q 'frame buffer' \$v/name && echo 1 > \$v/bind; done; clear; echo SCREEN TEXT \$((40 * 100 + 711))" keys=Return \
	> "$OUT/text-keys.json" 2>&1
wait_for 120 "TEXT 4711 in the screenshot (OCR)" ocr_text; r=$?
check "screen.screenshot: text the guest printed on its console is legible (OCR: $(head -n 2 "$OUT/text-ocr.txt" 2>/dev/null | tr '\n' '|' | cut -c1-100)$(head -n 1 "$OUT/text-ocr.err" 2>/dev/null))" [ $r = 0 ]

# --- 50 clients at once while the guest reads its disk --------------------------------------
for i in $(seq 1 50); do
	( ctl vm.info > "$OUT/c$i.json" 2> "$OUT/c$i.err"; echo $? > "$OUT/c$i.rc" ) &
done
wait_start=$(date +%s)
while [ "$(ls "$OUT"/c*.rc 2>/dev/null | wc -l)" -lt 50 ] && [ $(( $(date +%s) - wait_start )) -lt 120 ]; do sleep 0.5; done
answered=0
for i in $(seq 1 50); do
	# (python in L1 is slow: grep will do for 50 of them)
	[ "$(cat "$OUT/c$i.rc" 2>/dev/null)" = 0 ] && grep -q '^  "state": "running",$' "$OUT/c$i.json" &&
		answered=$((answered + 1))
done
check "50 concurrent vm.info calls during disk I/O: $answered answered" [ $answered = 50 ]

# --- malformed JSON, then the same connection goes on ----------------------------------------
/usr/bin/python3 - "$sock" > "$OUT/malformed.txt" 2>&1 <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def call(line):
    f.write(line + b"\n"); f.flush()
    return json.loads(f.readline())
r = call(b'{"jsonrpc": "2.0", "method": "vm.info", "id": 1')
print("malformed", r["error"]["code"])
r = call(b'{"jsonrpc": "2.0", "method": "vm.nope", "id": 2}')
print("unknown", r["error"]["code"])
r = call(b'{"jsonrpc": "2.0", "method": "vm.info", "id": 3}')
print("after", r["id"], r["result"]["state"])
PY
check "malformed JSON: -32700" grep -q '^malformed -32700$' "$OUT/malformed.txt"
check "unknown method: -32601" grep -q '^unknown -32601$' "$OUT/malformed.txt"
check "the same connection answers vm.info after both" grep -q '^after 3 running$' "$OUT/malformed.txt"

# --- pause and resume -----------------------------------------------------------------------
ctl vm.pause > /dev/null; r=$?
check "vm.pause answers" [ $r = 0 ]
vm_state() { ctl vm.info | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
state_is() { [ "$(vm_state)" = "$1" ]; }
wait_for 30 "vm.info to say paused" state_is paused
state=$(vm_state)
before=$(last_tick); n0=$(ticks); size0=$(stat -c %s "$OUT/vm.serial")
# The pause itself is under test: 5 s of it must show no guest output at all.
sleep 5
n1=$(ticks); size1=$(stat -c %s "$OUT/vm.serial")
check "paused: vm.info says paused" [ "$state" = paused ]
checkx "paused: no output for 5 s ($n0 -> $n1 ticks, $size0 -> $size1 bytes)" '[ "$n0" = "$n1" ] && [ "$size0" = "$size1" ]'
ctl vm.resume > /dev/null; r=$?
check "vm.resume answers" [ $r = 0 ]
resumed=no
wait_serial vm "^tick=$(( n1 + 1 )) " 30 && resumed=yes
check "resumed: the guest ticks again" [ $resumed = yes ]
after=$(grep -a "^tick=$n1 " "$OUT/vm.serial" | tr -d '\r')
field() { echo "$1" | sed "s/.* $2=\([0-9.]*\).*/\1/"; }
gap=$(awk -v a="$(field "$before" up)" -v b="$(field "$after" up)" 'BEGIN { printf "%.2f", b - a }')
# The guest's own tick period (1 s of sleep plus its loop, slower on a loaded host): the
# longest uptime step between the ticks before the pause. Had its clock run on through
# the pause (at least 5 s), the step across it would be that much longer.
period=$(grep -a '^tick=' "$OUT/vm.serial" | head -n "$n0" | tail -n 8 | tr -d '\r' |
	sed 's/.* up=\([0-9.]*\) .*/\1/' | awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 } END { printf "%.2f", m }')
echo "# across the pause: '$before' then '$after': guest uptime gap ${gap}s (tick period up to ${period}s)"
check "the guest's uptime stood still during the 6 s pause (one tick: ${gap}s; a tick before it: up to ${period}s)" \
	awk -v g="$gap" -v p="$period" 'BEGIN { exit !(g > 0 && p > 0 && g < p + 2.5) }'
# The time-sync IC steps the guest's wall clock to the host's after a resume: wait
# (bounded) for a tick printed after the step whose clock agrees with the host's.
skew=
clock_synced() {
	local host_now guest_now
	host_now=$(date +%s.%N); guest_now=$(field "$(last_tick)" clock)
	skew=$(awk -v h="$host_now" -v g="$guest_now" 'BEGIN { printf "%.2f", h - g }')
	awk -v s="$skew" 'BEGIN { exit !(s > -1.5 && s < 3) }'
}
resumed_at=$(date +%s)
wait_for 60 "the guest's clock to be stepped to the host's" clock_synced; r=$?
check "after resume the guest's wall clock becomes the host's (host - guest: ${skew}s, $(( $(date +%s) - resumed_at ))s after)" \
	[ $r = 0 ]

# --- disks added and removed while the guest runs --------------------------------------------
echo "# disks before disk.add: $(last_tick | sed 's/.*disks=//')"
ctl disk.add path="$img/hot.img" serial=HOT > "$OUT/add.json" 2>&1; r=$?
check "disk.add answers ($(tr -d '\n ' < "$OUT/add.json"))" [ $r = 0 ]
lun=$(json "$OUT/add.json" 'd["lun"]')
wait_last_tick 'disks=.*:HOT' 90; r=$?
check "disk.add: the guest's hv_storvsc found the disk HOT (lun $lun): $(last_tick | sed 's/.*disks=//')" [ $r = 0 ]
ctl disk.remove lun="$lun" > "$OUT/remove.json" 2>&1; r=$?
check "disk.remove answers" [ $r = 0 ]
wait_last_tick ' disks=sd[a-z]+:BASE$' 90; r=$?
check "disk.remove: the disk left the guest: $(last_tick | sed 's/.*disks=//')" [ $r = 0 ]
ctl disk.remove lun="$lun" > /dev/null 2>&1; r=$?
check "disk.remove of a LUN that is gone is an error (exit $r)" [ $r = 1 ]

# --- network adapters: the cable, and adapters added and removed ----------------------------
wait_last_tick ' nets=eth0:1 ' 60; r=$?
check "the guest's hv_netvsc has eth0 with its carrier up: $(last_tick | sed 's/.*nets=\([^ ]*\).*/\1/')" [ $r = 0 ]
ctl net.set_link id=net0 up=false > "$OUT/link.json" 2>&1; r=$?
check "net.set_link down answers ($(tr -d '\n ' < "$OUT/link.json"))" [ $r = 0 ]
wait_last_tick ' nets=eth0:0 ' 60; r=$?
check "net.set_link down: the guest sees no carrier" [ $r = 0 ]
ctl net.set_link id=net0 up=true > /dev/null 2>&1; r=$?
wait_last_tick ' nets=eth0:1 ' 60; r2=$?
check "net.set_link up: the guest sees the carrier again (exit $r)" sh -c "[ $r = 0 ] && [ $r2 = 0 ]"
ctl net.add tap=hvmgmt1 id=hot > "$OUT/netadd.json" 2>&1; r=$?
check "net.add answers ($(tr -d '\n ' < "$OUT/netadd.json"))" [ $r = 0 ]
wait_last_tick ' nets=eth0:1,eth1:1 ' 90; r=$?
check "net.add: the guest's hv_netvsc found a second adapter: $(last_tick | sed 's/.*nets=\([^ ]*\).*/\1/')" [ $r = 0 ]
ctl net.remove id=hot > /dev/null 2>&1; r=$?
wait_last_tick ' nets=eth0:1 ' 90; r2=$?
check "net.remove: the adapter left the guest (exit $r): $(last_tick | sed 's/.*nets=\([^ ]*\).*/\1/')" \
	sh -c "[ $r = 0 ] && [ $r2 = 0 ]"
ctl net.remove id=hot > /dev/null 2>&1; r=$?
check "net.remove of an adapter that is gone is an error (exit $r)" [ $r = 1 ]
ctl net.add tap=hvmgmt1 id=hot > /dev/null 2>&1; r=$?
wait_last_tick ' nets=eth0:1,eth[0-9]+:1 ' 90; r2=$?
check "net.add after net.remove: the adapter comes back (exit $r)" sh -c "[ $r = 0 ] && [ $r2 = 0 ]"

# --- a graceful shutdown ------------------------------------------------------------------------
ctl vm.shutdown timeout_s=120 > "$OUT/shutdown.json" 2> "$OUT/shutdown.err"
rc_sd=$?
guest_wait vm
check "vm.shutdown answers (exit $rc_sd)" [ $rc_sd = 0 ]
check "the guest powered itself off (reboot: Power down)" grep -aq 'reboot: Power down' "$OUT/vm.serial"
check "hvkvm exited 0" [ "$rc" = 0 ]
check "the socket is removed at exit" [ ! -e "$sock" ]
check "the VNC socket is removed at exit" [ ! -e "$vnc" ]

kill "$notify_pid" 2>/dev/null; wait "$notify_pid" 2>/dev/null
check "sd_notify: STATUS=paused while paused" grep -q '^STATUS=paused$' "$OUT/notify.txt"
check "sd_notify: STOPPING=1 at the shutdown" grep -q '^STOPPING=1 | STATUS=the guest is shutting down$' "$OUT/notify.txt"
echo "# sd_notify: $(tr '\n' '/' < "$OUT/notify.txt")"

# --- the subscriber saw it all ----------------------------------------------------------------
ev() { grep -c "\"type\": *\"state\".*\"state\": *\"$1\"" "$OUT/events.txt"; }
# The last event, "stopped", may still be on its way to the subscriber.
stopped_seen() { [ "$(ev stopped)" -ge 1 ]; }
wait_for 30 "the event 'stopped' at the subscriber" stopped_seen
kill "$events_pid" 2>/dev/null; wait "$events_pid" 2>/dev/null
echo "# events: $(wc -l < "$OUT/events.txt")"
check "events: paused" [ "$(ev paused)" -ge 1 ]
check "events: running again" [ "$(ev running)" -ge 1 ]
check "events: shutting-down" [ "$(ev shutting-down)" -ge 1 ]
check "events: stopped" [ "$(ev stopped)" -ge 1 ]
[ $failures -gt 0 ] && { echo "---- events ----"; cat "$OUT/events.txt" "$OUT/events.err"; }

# --- the video device again: a mode the guest asks for, and a reset ---------------------------
# A second boot with video=1280x720 on the kernel command line (hyperv_drm's fbdev takes
# it), then vm.reset: hyperv_drm negotiates again, sets the mode again and draws again.
GUEST_TIMEOUT=600
guest_start vm2 --cpus 1 --memory 512M --cmdline "console=ttyS0 rig.test=mgmt video=1280x720" --api-socket "$sock" \
	--vnc "unix:$vnc"
# A viewer connected from the start, before the guest's driver set a mode, with the
# DesktopSize pseudo-encoding: it must be told of the guest's 1280x720.
wait_for 60 "hvkvm's VNC socket" test -S "$vnc"
rfbcheck "$vnc" resize=1280x720:400 > "$OUT/vnc2.txt" 2>&1 &
vnc2_pid=$!
booted=no
wait_serial vm2 '^fb-pattern=' 300 && booted=yes
grep -a -E '^(video-|drm-|fb-)' "$OUT/vm2.serial" | tr -d '\r' | sed 's/^/# /'
check "video=1280x720: the guest drew its picture (fb-pattern=$(val vm2 fb-pattern))" \
	sh -c "[ $booted = yes ] && grep -aq '^fb-pattern=1280x720 rc=0' '$OUT/vm2.serial'"
ctl screen.info > "$OUT/screen3.json" 2>&1
check "video=1280x720: screen.info follows, 1280x720, pitch 5120 ($(tr -d '\n ' < "$OUT/screen3.json" | cut -c1-200))" \
	[ "$(json "$OUT/screen3.json" 'd["connected"], d["mode"]["width"], d["mode"]["height"], d["mode"]["pitch"]')" = "(True, 1280, 720, 5120)" ]
shot shot2 1280 720; r=$?
check "video=1280x720: screen.screenshot is the guest's picture ($(cat "$OUT/shot2.txt" "$OUT/shot2.json" | tr -d '\n' | cut -c1-200))" [ $r = 0 ]
wait "$vnc2_pid"; r=$?
sed 's/^/# vnc: /' "$OUT/vnc2.txt"
check "VNC: a viewer connected at the start ($(sed -n 's/^init \([^ ]*\) .*/\1/p' "$OUT/vnc2.txt")) gets a DesktopSize of 1280x720 (exit $r)" \
	sh -c "[ $r = 0 ] && grep -q '^init 1024x768 ' '$OUT/vnc2.txt' && grep -q '^desktopsize 1280x720$' '$OUT/vnc2.txt'"
rfbcheck "$vnc" frame="$OUT/vnc2.png" > "$OUT/vnc3.txt" 2>&1; r=$?
"$fbpattern" check 1280 720 "$OUT/vnc2.png" > "$OUT/vnc2-check.txt" 2>&1; r2=$?
check "VNC: a new viewer's ServerInit is 1280x720 and its frame the guest's picture ($(sed -n 's/^init //p' "$OUT/vnc3.txt"); $(cat "$OUT/vnc2-check.txt"))" \
	sh -c "[ $r = 0 ] && [ $r2 = 0 ] && grep -q '^init 1280x720 ' '$OUT/vnc3.txt'"
ctl vm.reset > "$OUT/reset.json" 2>&1; r=$?
check "vm.reset answers" [ $r = 0 ]
rebooted=no
redrawn() { [ "$(count vm2 '^fb-pattern=1280x720 rc=0')" -ge 2 ]; }
wait_for 300 "the guest to boot again and draw" redrawn && rebooted=yes
check "after vm.reset the guest booted again and drew its picture" [ $rebooted = yes ]
connects=$(grep -c 'synthetic video: guest driver connected' "$OUT/vm2.err")
check "after vm.reset hyperv_drm negotiated the protocol again ($connects times in hvkvm's log)" [ "$connects" = 2 ]
ctl screen.info > "$OUT/screen4.json" 2>&1
check "after vm.reset screen.info: connected, 3.5, 1280x720" \
	[ "$(json "$OUT/screen4.json" 'd["connected"], d["version"], d["mode"]["width"], d["mode"]["height"]')" = "(True, '3.5', 1280, 720)" ]
shot shot3 1280 720; r=$?
check "after vm.reset screen.screenshot is the guest's picture ($(cat "$OUT/shot3.txt" "$OUT/shot3.json" | tr -d '\n' | cut -c1-200))" [ $r = 0 ]
ctl vm.shutdown timeout_s=120 > /dev/null 2>&1
guest_wait vm2
check "the second guest's hvkvm exited 0" [ "$rc" = 0 ]

rm -rf "$img"
finish
