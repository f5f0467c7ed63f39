# Linux after firmware that used the synthetic video device: whether UEFI started it,
# what the firmware's frame buffer was (screen_info, as the EFI stub found it), and
# whether hyperv_drm bound the device and placed its VRAM afresh, and hyperv_keyboard
# the keyboard.
echo "efi=$([ -d /sys/firmware/efi ] && echo yes || echo no)"
for i in $(seq 300); do
	[ -e /dev/fb0 ] && break
	sleep 0.1
done
vdev=$(ls /sys/bus/vmbus/drivers/hyperv_drm 2>/dev/null | grep -- '-' | head -n 1)
echo "video-driver=hyperv_drm devices=$(ls /sys/bus/vmbus/drivers/hyperv_drm 2>/dev/null | grep -c -- '-')"
echo "drm-cards=$(ls /sys/class/drm | grep -E '^card[0-9]+$' | tr '\n' ' ')"
echo "video-vram=$([ -n "$vdev" ] && grep -F "$vdev" /proc/iomem | head -n 1 | sed 's/^ *\([0-9a-f]*-[0-9a-f]*\) .*/\1/')"
echo "fb0=$(cat /sys/class/graphics/fb0/name 2>/dev/null) mode=$(tr , x < /sys/class/graphics/fb0/virtual_size 2>/dev/null)"
dmesg | grep -iE 'hyperv_drm|hyperv-drm|efifb|simple-framebuffer|fb0:' | sed 's/^/video-dmesg: /'
# The synthetic keyboard, which the firmware used too: hyperv_keyboard's device.
echo "input-driver=hyperv_keyboard devices=$(ls /sys/bus/vmbus/drivers/hyperv_keyboard 2>/dev/null | grep -c -- '-')"
