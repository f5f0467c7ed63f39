# A guest for the management socket: stays up, and every second prints its clocks
# (uptime, which stands still while the VM is paused, and the wall clock), what
# came from the synthetic keyboard and mouse, the network adapters it sees with
# their carrier (name:1 up, name:0 down) and the SCSI disks it sees (by unit serial),
# until the host shuts it down. With rig.io=on it reads its first disk over and over
# meanwhile. Before that, a known picture on the synthetic video device's frame buffer.
. /tests/lib.sh
if [ "$(arg rig.io)" = on ]; then
	( while :; do dd if=/dev/sda of=/dev/null bs=64k 2>/dev/null; done ) &
fi
# The synthetic keyboard types into the foreground virtual terminal, tty1: a shell
# reads commands there (tty1=1 once /tmp/kbd-ok exists, vnc-keys=1 once /tmp/vnc-ok does:
# the one input.send_keys types, the other a VNC viewer).
setsid sh -c 'exec sh < /dev/tty1 > /dev/tty1 2>&1' &
for d in /sys/bus/vmbus/drivers/hyperv_keyboard /sys/bus/vmbus/drivers/hid_hyperv; do
	echo "input-driver=${d##*/} devices=$(ls "$d" | grep -c -- '-')"
done
grep '^N: Name=' /proc/bus/input/devices | sed 's/^/input-device: /'
dmesg | grep -iE 'hyperv_keyboard|hid.hyperv|Vmbus HID|AT Translated' | sed 's/^/dmesg: /'
# The mouse's event device, read into a file as struct input_event (24 bytes:
# timeval, u16 type, u16 code, s32 value); mouse=X:Y:PRESSES:RELEASES sums it up:
# the last ABS_X and ABS_Y, and BTN_LEFT's presses and releases.
mouse_event_dev() {
	awk '/^N: Name=/ { m = /Vmbus HID-compliant Mouse/ }
	     m && /^H: Handlers=/ { for (i = 2; i <= NF; i++) { s = $i; sub(/^Handlers=/, "", s); if (s ~ /^event[0-9]+$/) print s } }' \
		/proc/bus/input/devices
}
mouse_summary() {
	od -An -v -tu2 -w24 /tmp/mouse.ev 2>/dev/null | awk '
		$9 == 3 && $10 == 0 { x = $11 } $9 == 3 && $10 == 1 { y = $11 }
		$9 == 1 && $10 == 272 { if ($11) p++; else r++ }
		END { printf "%d:%d:%d:%d", x, y, p, r }'
}
# The synthetic video device: hyperv_drm's card and the VRAM it placed (its region in
# /proc/iomem is named after the device), then, with the console unbound from the frame
# buffer, a known picture written to /dev/fb0: /tests/fb-WxH.raw for the mode WxH that
# the driver set (fb-pattern=WxH rc=0).
for i in $(seq 300); do
	[ -e /dev/fb0 ] && break
	sleep 0.1
done
hyperv_drm_report
dmesg | grep -iE 'hyperv_drm|hyperv-drm|fb0:' | sed 's/^/video-dmesg: /'
if [ -e /dev/fb0 ]; then
	fbsize=$(tr , x < /sys/class/graphics/fb0/virtual_size)
	echo "fb-mode=$fbsize stride=$(cat /sys/class/graphics/fb0/stride)"
	for v in /sys/class/vtconsole/vtcon*; do
		grep -q 'frame buffer' "$v/name" && echo 0 > "$v/bind"
	done
	for v in /sys/class/vtconsole/vtcon*; do
		echo "vtconsole=${v##*/} bind=$(cat "$v/bind") $(cat "$v/name")"
	done
	# In blocks of many rows: the fbdev emulation of Linux 6.1 takes a write() of exactly
	# one whole row for an empty change and never flushes it to the device.
	dd if="/tests/fb-$fbsize.raw" of=/dev/fb0 bs=64k 2>/dev/null
	echo "fb-pattern=$fbsize rc=$?"
fi
mev=
echo "RIG-READY"
i=0
while :; do
	if [ -z "$mev" ]; then
		mev=$(mouse_event_dev)
		[ -n "$mev" ] && { cat "/dev/input/$mev" > /tmp/mouse.ev & echo "mouse-events=/dev/input/$mev"; }
	fi
	kb=0 vk=0
	[ -e /tmp/kbd-ok ] && kb=1
	[ -e /tmp/vnc-ok ] && vk=1
	d=
	for b in /sys/block/sd*; do
		[ -e "$b" ] || continue
		s=$(dd if="$b/device/vpd_pg80" bs=1 skip=4 2>/dev/null | tr -d '\0 ')
		d="$d,$(basename "$b"):$s"
	done
	n=
	for c in /sys/class/net/eth*; do
		[ -e "$c" ] || continue
		ip link set "$(basename "$c")" up 2>/dev/null
		n="$n,$(basename "$c"):$(cat "$c/carrier" 2>/dev/null)"
	done
	echo "tick=$i up=$(cut -d' ' -f1 /proc/uptime) clock=$(now) tty1=$kb vnc-keys=$vk mouse=$(mouse_summary) nets=${n#,} disks=${d#,}"
	i=$((i + 1))
	sleep 1
done
