# rig.op=write: put 64 MiB of random data on the disk with serial PAT and say its
# checksum; rig.op=read: say the checksum of the disk's first 64 MiB; rig.op=writeread:
# both, dropping the page cache in between so that the read reaches the disk;
# rig.op=readdiscard: read, then discard the whole disk and say what it reads as after.
. /tests/lib.sh
dev=$(disk_by_serial PAT) || { echo "no disk PAT"; exit 1; }
op=$(arg rig.op)
case "$op" in
write|writeread)
	dd if=/dev/urandom of=/dev/shm/pat bs=1M count=64 2>/dev/null
	echo "written_sha=$(sha256sum /dev/shm/pat | cut -d' ' -f1)"
	dd if=/dev/shm/pat of="$dev" bs=1M 2>/dev/null || echo "write failed"
	sync
	echo "SYNCED"
	;;
esac
case "$op" in
read|writeread|readdiscard)
	echo 3 > /proc/sys/vm/drop_caches
	echo "read_sha=$(dd if="$dev" bs=1M count=64 2>/dev/null | sha256sum | cut -d' ' -f1)"
	;;
esac
if [ "$op" = readdiscard ]; then
	blkdiscard "$dev" && echo "discarded=yes"
	echo 3 > /proc/sys/vm/drop_caches
	echo "discarded_sha=$(dd if="$dev" bs=1M count=64 2>/dev/null | sha256sum | cut -d' ' -f1)"
fi
