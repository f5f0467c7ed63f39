# The CD/DVD drive (hvkvm --cdrom) through hv_storvsc and sr: what the guest sees, the
# ISO's bytes and a file on it, then the host's eject and insert as the guest sees them.
. /tests/lib.sh
for i in $(seq 1200); do [ -e /sys/block/sr0 ] && break; sleep 0.1; done
[ -e /sys/block/sr0 ] || { echo "no sr0:" /sys/block/*; cat /tmp/insmod.log; exit 1; }
hctl=$(basename "$(readlink /sys/block/sr0/device)")
echo "cd_hctl=$hctl"
echo "cd_driver=$(basename "$(readlink /sys/block/sr0/device/driver)")"
echo "cd_host=$(cat /sys/class/scsi_host/host${hctl%%:*}/proc_name)"
echo "cd_type=$(cat /sys/block/sr0/device/type)"
echo "cd_removable=$(cat /sys/block/sr0/removable)"
echo "cd_ro=$(cat /sys/block/sr0/ro)"
dmesg | grep -a -E 'sr0|sr 0|cdrom|CD-ROM' | sed 's/^/dmesg: /'
# Media changes are noticed by polling the drive (GET EVENT STATUS NOTIFICATION).
echo 200 > /sys/block/sr0/events_poll_msecs
echo "cd_dev_sha=$(dd if=/dev/sr0 bs=2048 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "cd_size=$(cat /sys/block/sr0/size)"
# The volume identifier of the ISO 9660 primary volume descriptor (sector 16, byte 40).
volid() { dd if=/dev/sr0 bs=1 skip=$((16 * 2048 + 40)) count=32 2>/dev/null | tr -d ' \0'; }
echo "cd_model=$(cat /sys/block/sr0/device/model | tr -d ' ')"
echo "cd_volid=$(volid)"
mkdir -p /mnt/cd
if mount -t iso9660 -o ro /dev/sr0 /mnt/cd; then
	echo "cd_file_sha=$(sha256sum /mnt/cd/hello.txt | cut -d' ' -f1)"
	umount /mnt/cd
else
	echo "cd_mount=failed"
fi
echo "CD-READY"
# The host ejects: opening the drive fails (no medium) from then on. (sr keeps the old
# size until a medium is there again.)
for i in $(seq 3000); do
	dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null || break
	sleep 0.1
done
echo "cd_ejected_read=$(dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null && echo ok || echo failed)"
echo "CD-EJECTED"
# The host inserts another ISO: it reads again, with its size and bytes.
for i in $(seq 3000); do
	dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null && break
	sleep 0.1
done
echo "cd2_dev_sha=$(dd if=/dev/sr0 bs=2048 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "cd2_size=$(cat /sys/block/sr0/size)"
echo "cd2_volid=$(volid)"
echo "CD-DONE"
