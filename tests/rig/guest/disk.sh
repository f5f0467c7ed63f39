# What the guest sees of its disks: sizes, rotation, discard, serials, and channels.
dmesg | grep -E 'sd [0-9]|scsi host|storvsc|Attached SCSI|Write Protect|Write cache|logical blocks' | sed 's/^/dmesg: /'
for b in /sys/block/sd*; do
	[ -e "$b" ] || continue
	d=$(basename "$b")
	echo "disk=$d size_bytes=$(($(cat $b/size) * 512)) rotational=$(cat $b/queue/rotational) discard_max=$(cat $b/queue/discard_max_bytes) ro=$(cat $b/ro) serial=$(dd if=$b/device/vpd_pg80 bs=1 skip=4 2>/dev/null) hctl=$(basename "$(readlink $b/device)")"
done
for d in /sys/bus/vmbus/devices/*; do
	case "$(cat $d/class_id)" in
	*ba6163d9*) echo "storvsc=$(basename $d) channels=$(ls $d/channels | wc -l)" ;;
	esac
done
