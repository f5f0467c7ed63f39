# Helpers for guest test scripts (sourced).
# Wall clock with microseconds.
now() { adjtimex | awk '/tv_sec/ {s = $2} /tv_usec/ {u = $2} END {printf "%d.%06d", s, u}'; }
cmos_index() { printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=112 2>/dev/null; }
cmos_read() { cmos_index "$1"; dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' \n'; }
cmos_write() { cmos_index "$1"; printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek=113 2>/dev/null; }
# Count this boot in CMOS byte $1 (battery-backed RAM survives resets); prints the count.
count_boot() { n=$(cmos_read "$1"); n=$((n + 1)); cmos_write "$1" "$n"; echo "$n"; }
# The block device whose SCSI unit serial (VPD page 0x80) is $1, e.g. /dev/sdb.
disk_by_serial() {
	for b in /sys/block/sd*; do
		s=$(dd if="$b/device/vpd_pg80" bs=1 skip=4 2>/dev/null | tr -d '\0 ')
		[ "$s" = "$1" ] && { echo "/dev/$(basename "$b")"; return 0; }
	done
	return 1
}
# The name of the network interface bound to hv_netvsc, waiting up to $1 seconds for it
# to appear: netvsc_dev SECONDS. Prints nothing and fails if none does.
netvsc_dev() {
	local i d drv
	for i in $(seq $(($1 * 10))); do
		for d in /sys/class/net/*; do
			drv=$(readlink "$d/device/driver" 2>/dev/null)
			[ "${drv##*/}" = hv_netvsc ] && { echo "${d##*/}"; return 0; }
		done
		sleep 0.1
	done
	return 1
}
# A kernel command line argument: arg NAME.
arg() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
# hyperv_drm, the synthetic video device's driver: the VMBus devices it bound
# (video-driver=hyperv_drm devices=N), the DRM cards (drm-cards=card0 ...) and the VRAM
# it placed, its region in /proc/iomem being named after the device (video-vram=START-END).
hyperv_drm_report() {
	local vdev
	vdev=$(ls /sys/bus/vmbus/drivers/hyperv_drm 2>/dev/null | grep -- '-' | head -n 1)
	echo "video-driver=hyperv_drm devices=$(ls /sys/bus/vmbus/drivers/hyperv_drm 2>/dev/null | grep -c -- '-')"
	echo "drm-cards=$(ls /sys/class/drm | grep -E '^card[0-9]+$' | tr '\n' ' ')"
	echo "video-vram=$([ -n "$vdev" ] && grep -F "$vdev" /proc/iomem | head -n 1 | sed 's/^ *\([0-9a-f]*-[0-9a-f]*\) .*/\1/')"
}
