# rig.op=write: put 64 MiB of random data on the disk with serial PAT and say its
# checksum; rig.op=read: say the checksum of the disk's first 64 MiB; rig.op=writeread:
# both, dropping the page cache in between so that the read reaches the disk;
# rig.op=readdiscard: read, then discard the whole disk and say what it reads as after.
# rig.op=scatter: for each disk SER of rig.disks=SER,SER...: say its size, logical block
# size and the checksum of all of it (SER_read, unless rig.read=0), then write random
# chunks at rig.chunks=OFF:LEN,... (in 4 KiB units), each fsync'd, saying each one's
# checksum (SER_cN) and then SER_synced=N; last the checksum of the whole disk as it must
# now read (SER_written). WRITING comes before the first chunk, SYNCED after the last.
. /tests/lib.sh
if [ "$(arg rig.op)" = scatter ]; then
	first=1
	for s in $(arg rig.disks | tr , ' '); do
		d=$(disk_by_serial "$s") || { echo "no disk $s"; continue; }
		b=${d#/dev/}
		echo "${s}_size=$(($(cat "/sys/block/$b/size") * 512)) ${s}_lbs=$(cat "/sys/block/$b/queue/logical_block_size")"
		if [ "$(arg rig.read)" = 0 ]; then
			truncate -s "$(($(cat "/sys/block/$b/size") * 512))" /dev/shm/img
		else
			dd if="$d" of=/dev/shm/img bs=1M 2>/dev/null
			echo "${s}_read=$(sha256sum /dev/shm/img | cut -d' ' -f1)"
		fi
		[ $first = 1 ] && echo "WRITING"
		first=0
		n=0
		for c in $(arg rig.chunks | tr , ' '); do
			off=${c%:*}
			len=${c#*:}
			dd if=/dev/urandom of=/dev/shm/c bs=4K count="$len" 2>/dev/null
			dd if=/dev/shm/c of=/dev/shm/img bs=4K seek="$off" conv=notrunc 2>/dev/null
			dd if=/dev/shm/c of="$d" bs=4K seek="$off" conv=fsync 2>/dev/null || echo "${s}: write at $off failed"
			echo "${s}_c$n=$(sha256sum /dev/shm/c | cut -d' ' -f1) ${s}_synced=$((n + 1))"
			n=$((n + 1))
		done
		echo "${s}_written=$(sha256sum /dev/shm/img | cut -d' ' -f1)"
		rm -f /dev/shm/img /dev/shm/c
	done
	echo "SYNCED"
	exit 0
fi
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
