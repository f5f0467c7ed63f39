# Linux after firmware that used the synthetic video device: whether UEFI started it,
# what the firmware's frame buffer was (screen_info, as the EFI stub found it: efifb's
# lines), and whether hyperv_drm bound the device and placed its VRAM afresh, and
# hyperv_keyboard the keyboard. Then hyperv_drm draws: a known picture written to
# /dev/fb0 (fb-pattern=WxH rc=0), and the guest waits (at most 300 s) until the host
# has looked at the screen and typed "touch /tmp/fb-seen" on tty1.
. /tests/lib.sh
echo "efi=$([ -d /sys/firmware/efi ] && echo yes || echo no)"
setsid sh -c 'exec sh < /dev/tty1 > /dev/tty1 2>&1' &
# efifb's fb0 first, then hyperv_drm's in its place (at most 60 s).
for i in $(seq 600); do
	grep -q hyperv_drm /sys/class/graphics/fb0/name 2>/dev/null && break
	sleep 0.1
done
hyperv_drm_report
echo "fb0=$(cat /sys/class/graphics/fb0/name 2>/dev/null) mode=$(tr , x < /sys/class/graphics/fb0/virtual_size 2>/dev/null)"
dmesg | grep -iE 'hyperv_drm|hyperv-drm|efifb|simple-framebuffer|fb0:' | sed 's/^/video-dmesg: /'
# The synthetic keyboard, which the firmware used too: hyperv_keyboard's device.
echo "input-driver=hyperv_keyboard devices=$(ls /sys/bus/vmbus/drivers/hyperv_keyboard 2>/dev/null | grep -c -- '-')"
if [ -e /dev/fb0 ]; then
	fbsize=$(tr , x < /sys/class/graphics/fb0/virtual_size)
	for v in /sys/class/vtconsole/vtcon*; do
		grep -q 'frame buffer' "$v/name" && echo 0 > "$v/bind"
	done
	# In blocks of many rows (Linux 6.1's fbdev emulation drops a write of one row).
	dd if="/tests/fb-$fbsize.raw" of=/dev/fb0 bs=64k 2>/dev/null
	echo "fb-pattern=$fbsize rc=$?"
	for i in $(seq 300); do
		[ -e /tmp/fb-seen ] && break
		sleep 1
	done
	echo "fb-seen=$([ -e /tmp/fb-seen ] && echo yes || echo no)"
fi
