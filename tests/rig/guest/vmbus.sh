# VMBus as the guest sees it: the negotiated version, the devices and their drivers.
dmesg | grep -iE 'vmbus|hv_utils|hv_vmbus' | grep -v 'Unknown symbol' | sed 's/^/dmesg: /'
for d in /sys/bus/vmbus/devices/*; do
	[ -e "$d" ] || continue
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	echo "vmbus-device=$(basename "$d") class=$(cat "$d/class_id") driver=${drv:-none} channels=$(ls "$d/channels" 2>/dev/null | wc -l)"
done
