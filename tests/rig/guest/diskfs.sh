# A file system across a reboot: the first boot makes one and writes a file, the
# second (counted in CMOS) mounts it again and checks the file.
. /tests/lib.sh
dev=$(disk_by_serial FS) || { echo "no disk FS"; exit 1; }
n=$(count_boot 82)
mkdir -p /mnt
if [ "$n" = 1 ]; then
	mke2fs -q "$dev" || echo "mke2fs failed"
	mount -t ext2 "$dev" /mnt || echo "mount failed"
	dd if=/dev/urandom of=/mnt/file bs=1M count=8 2>/dev/null
	echo "fs_written_sha=$(sha256sum /mnt/file | cut -d' ' -f1)"
	sync
	reboot -f
	sleep 30
	echo "reboot -f: still running 30 s later"
	exit 1
fi
mount -t ext2 "$dev" /mnt || echo "mount failed"
echo "fs_read_sha=$(sha256sum /mnt/file | cut -d' ' -f1)"
umount /mnt
