# A guest for the management socket: stays up, and every second prints its clocks
# (uptime, which stands still while the VM is paused, and the wall clock) and
# the network adapters it sees with their carrier (name:1 up, name:0 down) and
# the SCSI disks it sees (by unit serial), until the host shuts it down. With
# rig.io=on it reads its first disk over and over meanwhile.
. /tests/lib.sh
if [ "$(arg rig.io)" = on ]; then
	( while :; do dd if=/dev/sda of=/dev/null bs=64k 2>/dev/null; done ) &
fi
echo "RIG-READY"
i=0
while :; do
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
	echo "tick=$i up=$(cut -d' ' -f1 /proc/uptime) clock=$(now) nets=${n#,} disks=${d#,}"
	i=$((i + 1))
	sleep 1
done
