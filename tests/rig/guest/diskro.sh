# A read-only disk: writing must fail.
. /tests/lib.sh
dev=$(disk_by_serial RO) || { echo "no disk RO"; exit 1; }
echo "ro_flag=$(cat /sys/block/$(basename $dev)/ro)"
dmesg | grep -a 'Write Protect is on' | sed 's/^/dmesg: /'
if dd if=/dev/zero of="$dev" bs=4096 count=16 conv=fsync 2>/dev/null; then
	echo "ro_write=succeeded"
else
	echo "ro_write=failed"
fi
echo "ro_read_sha=$(dd if="$dev" bs=1M count=16 2>/dev/null | sha256sum | cut -d' ' -f1)"
