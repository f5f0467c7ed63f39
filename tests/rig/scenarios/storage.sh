#!/bin/bash
# StorVSC with Debian's hv_storvsc and sd: what the guest sees, data written through to
# the image and read back across boots, a file system across a reboot, a read-only disk,
# several LUNs and controllers, multi-queue channels, and durability after SIGKILL.
. "$(dirname "$0")/../lib.sh"
img=/tmp/storage
mkdir -p "$img"
shaf() { sha256sum "$1" | cut -d' ' -f1; }
# both TEST1 TEST2: two [ ... ] tests, both true.
both() {
	local a=() ; while [ "$1" != "]" ]; do a+=("$1"); shift; done; a+=("]"); shift
	"${a[@]}" && "$@"
}

# --- what the guest sees ---------------------------------------------------------------
truncate -s 96M "$img/a.img"
truncate -s 32M "$img/b.img"
truncate -s 48M "$img/c.img"
guest info --cpus 2 --memory 1G --cmdline "console=ttyS0 rig.test=disk" \
	--disk path="$img/a.img",serial=SER-A --disk path="$img/b.img",lun=5 \
	--disk path="$img/c.img",controller=1
check "info: exit 0" [ "$rc" = 0 ]
dev_a=$(grep -a 'serial=.*SER-A' "$OUT/info.serial" | sed 's/^disk=\([a-z]*\) .*/\1/')
line_a=$(grep -a "^disk=$dev_a " "$OUT/info.serial")
echo "# $line_a"
check "info: the disk with serial SER-A exists" [ -n "$dev_a" ]
check "info: its size is exact (96 MiB)" sh -c "echo '$line_a' | grep -q 'size_bytes=100663296 '"
check "info: non-rotational" sh -c "echo '$line_a' | grep -q 'rotational=0 '"
check "info: discard supported" sh -c "echo '$line_a' | grep -q 'discard_max=[1-9]'"
check "info: three disks (two LUNs on controller 0, one on controller 1)" \
	[ "$(grep -a -c '^disk=sd' "$OUT/info.serial")" = 3 ]
check "info: LUN 5 is there" grep -aq 'hctl=[0-9]*:0:0:5' "$OUT/info.serial"
check "info: two SCSI controllers" [ "$(grep -a -c '^storvsc=' "$OUT/info.serial")" = 2 ]
check "info: --cpus 2 uses 2 channels on controller 0" grep -aq '^storvsc=f8b3781a.* channels=2' "$OUT/info.serial"

# --- 64 MiB written by the guest reach the image, and come back on the next boot -------------
truncate -s 64M "$img/pat.img"
guest pwrite --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=diskpattern rig.op=write" \
	--disk path="$img/pat.img",serial=PAT
w=$(val pwrite written_sha)
h=$(shaf "$img/pat.img")
check "pattern: the guest wrote 64 MiB and powered off" both [ "$rc" = 0 ] [ -n "$w" ]
check "pattern: the image holds exactly those bytes" [ "$w" = "$h" ]
guest pread --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=diskpattern rig.op=readdiscard" \
	--disk path="$img/pat.img",serial=PAT
check "pattern: a second boot reads the same 64 MiB back" [ "$(val pread read_sha)" = "$w" ]
zero=$(head -c 64M /dev/zero | sha256sum | cut -d' ' -f1)
check "discard: blkdiscard of the whole disk succeeds" [ "$(val pread discarded)" = yes ]
check "discard: the disk then reads as zeroes" [ "$(val pread discarded_sha)" = "$zero" ]
check "discard: the image's blocks were released ($(du -k "$img/pat.img" | cut -f1) KiB left)" \
	[ "$(du -k "$img/pat.img" | cut -f1)" -lt 1024 ]

# --- cache=none (O_DIRECT) carries the same data ---------------------------------------------
# L1's /tmp is tmpfs, which has no O_DIRECT; the 9p share has.
dimg="$RIG_SHARE/direct.img"
truncate -s 64M "$dimg"
guest pdirect --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=diskpattern rig.op=writeread" \
	--disk path="$dimg",serial=PAT,cache=none
dw=$(val pdirect written_sha)
check "cache=none: the guest wrote 64 MiB and powered off" both [ "$rc" = 0 ] [ -n "$dw" ]
check "cache=none: the image holds exactly those bytes" [ "$(shaf "$dimg")" = "$dw" ]
check "cache=none: the guest read them back" [ "$(val pdirect read_sha)" = "$dw" ]
rm -f "$dimg"

# --- a file system survives a reboot ---------------------------------------------------------
truncate -s 64M "$img/fs.img"
guest fs --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=diskfs" --disk path="$img/fs.img",serial=FS
check "fs: exit 0 after two boots" [ "$rc" = 0 ]
fw=$(val fs fs_written_sha)
check "fs: the file's checksum survived the reboot" both [ -n "$fw" ] [ "$(val fs fs_read_sha)" = "$fw" ]

# --- readonly=on ------------------------------------------------------------------------------
dd if=/dev/urandom of="$img/ro.img" bs=1M count=16 2>/dev/null
before=$(shaf "$img/ro.img")
guest ro --cpus 1 --memory 512M --cmdline "console=ttyS0 rig.test=diskro" --disk path="$img/ro.img",serial=RO,readonly=on
check "readonly: the guest sees Write Protect" grep -aq 'Write Protect is on' "$OUT/ro.serial"
check "readonly: its write failed" [ "$(val ro ro_write)" = failed ]
check "readonly: the image is unchanged" [ "$(shaf "$img/ro.img")" = "$before" ]
check "readonly: and reads fine ($(val ro ro_read_sha | cut -c1-12)...)" [ "$(val ro ro_read_sha)" = "$before" ]

# --- SIGKILL right after the guest's sync loses nothing ---------------------------------------
truncate -s 64M "$img/kill.img"
guest_start kill --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=diskpattern rig.op=write rig.end=hang" \
	--disk path="$img/kill.img",serial=PAT
if wait_serial kill '^SYNCED' 300; then
	kill -KILL "$pid"
fi
guest_wait kill
check "SIGKILL: hvkvm was killed after the guest's sync" [ "$rc" = 137 ]
check "SIGKILL: the image holds every synced byte" [ "$(shaf "$img/kill.img")" = "$(val kill written_sha)" ]

# --- errors: a missing image and an image in use exit 2 with a message -------------------------
"$HVKVM" --kernel "$L2_KERNEL" --disk path=/nonexistent.img --serial none > /dev/null 2> "$OUT/missing.txt" < /dev/null
rc=$?
check "missing image: exit 2 naming it ($(cat "$OUT/missing.txt"))" \
	sh -c "[ $rc = 2 ] && grep -q '^hvkvm: --disk path=/nonexistent.img: No such file or directory' '$OUT/missing.txt'"
guest_start holder --cpus 1 --memory 512M --cmdline "console=ttyS0 rig.test=wait" --disk path="$img/a.img"
holder=$pid
wait_serial holder RIG-READY "$GUEST_TIMEOUT"
"$HVKVM" --kernel "$L2_KERNEL" --disk path="$img/a.img" --serial none > /dev/null 2> "$OUT/locked.txt" < /dev/null
rc=$?
check "image in use: exit 2 ($(cat "$OUT/locked.txt"))" sh -c "[ $rc = 2 ] && grep -q 'in use by another process' '$OUT/locked.txt'"
kill -KILL "$holder"; pid=$holder; guest_wait holder

rm -rf "$img"
finish
