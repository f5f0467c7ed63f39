#!/bin/bash
# StorVSC with Debian's hv_storvsc and sd: what the guest sees, data written through to
# the image and read back across boots, a file system across a reboot, a read-only disk,
# several LUNs and controllers, multi-queue channels, durability after SIGKILL, and a
# CD/DVD drive (--cdrom) bound by sr with media changes from the management socket.
. "$(dirname "$0")/../lib.sh"
img=/tmp/storage
mkdir -p "$img"
shaf() { sha256sum "$1" | cut -d' ' -f1; }
# both TEST1 TEST2: two [ ... ] tests, both true.
both() {
	local a=() ; while [ "$1" != "]" ]; do a+=("$1"); shift; done; a+=("]"); shift
	"${a[@]}" && "$@"
}

# --- a CD/DVD drive: sr binds it through hv_storvsc, reads the ISO, sees media changes ----
mkiso() { /usr/bin/python3 "$(dirname "$0")/../tools/mkiso.py" "$@" > /dev/null; }
head -c 300000 /dev/urandom > "$img/hello.txt"
mkiso "$img/a.iso" HVKVM_A HELLO.TXT="$img/hello.txt"
head -c 70000 /dev/urandom > "$img/other.txt"
mkiso "$img/b.iso" HVKVM_B HELLO.TXT="$img/other.txt" README.TXT="$img/hello.txt"
sock=/tmp/storage-cd.sock
truncate -s 16M "$img/a.img"
guest_start cd --cpus 1 --memory 512M --cmdline "console=ttyS0 rig.test=cdrom" \
	--disk path="$img/a.img",serial=SER-A --cdrom "$img/a.iso" --api-socket "$sock"
cdinfo() { "$HVKVM" ctl --socket "$sock" vm.info | /usr/bin/python3 -c \
	'import json,sys; d=json.load(sys.stdin); c=[x["cdrom"] for x in d["devices"] if x.get("cdrom")]; print("lun=%d medium=%s size=%d" % (c[0]["lun"], c[0]["medium"], c[0]["size_bytes"]) if c else "none")'; }
if wait_serial cd '^CD-READY' "$GUEST_TIMEOUT"; then
	echo "# vm.info: $(cdinfo)"
	cd_info1=$(cdinfo)
	# The guest's reads open the drive, and sr locks the medium in while it is open
	# (PREVENT ALLOW MEDIUM REMOVAL): an eject that meets one is refused, as on a real
	# drive, so it is tried again until it meets the drive closed.
	eject_tries=0
	cd_eject() {
		eject_tries=$((eject_tries + 1))
		"$HVKVM" ctl --socket "$sock" cdrom.eject > "$OUT/cd-eject.txt" 2>&1
		! grep -q 'locked the medium in' "$OUT/cd-eject.txt"
	}
	wait_for 60 "an eject between the guest's reads" cd_eject
	echo "# cdrom.eject: try $eject_tries: $(cat "$OUT/cd-eject.txt")"
	wait_serial cd '^CD-EJECTED' 300
	"$HVKVM" ctl --socket "$sock" cdrom.insert path="$img/b.iso" > "$OUT/cd-insert.txt" 2>&1
	echo "# cdrom.insert: rc $? $(cat "$OUT/cd-insert.txt")"
	echo "# vm.info: $(cdinfo)"
	wait_serial cd '^CD-DONE' 300
fi
guest_wait cd
check "cdrom: the guest's test ran (exit $rc)" both [ "$rc" = 0 ] grep -aq '^RIG-END cdrom rc=0' "$OUT/cd.serial"
check "cdrom: sr bound it ($(val cd cd_driver) on $(val cd cd_host) $(val cd cd_hctl))" \
	sh -c "[ '$(val cd cd_driver)' = sr ] && echo '$(val cd cd_host)' | grep -q storvsc"
check "cdrom: a removable CD/DVD device (type $(val cd cd_type), removable $(val cd cd_removable), ro $(val cd cd_ro))" \
	sh -c "[ '$(val cd cd_type)' = 5 ] && [ '$(val cd cd_removable)' = 1 ] && [ '$(val cd cd_ro)' = 1 ]"
check "cdrom: its size is the ISO's ($(val cd cd_size) sectors)" \
	[ "$(val cd cd_size)" = "$(( $(stat -c %s "$img/a.iso") / 512 ))" ]
check "cdrom: the device reads back the ISO's bytes" [ "$(val cd cd_dev_sha)" = "$(shaf "$img/a.iso")" ]
check "cdrom: the drive's model is Virtual DVD-ROM ($(val cd cd_model))" [ "$(val cd cd_model)" = VirtualDVD-ROM ]
check "cdrom: the volume is the ISO's ($(val cd cd_volid))" [ "$(val cd cd_volid)" = HVKVM_A ]
check "cdrom: a file on the mounted iso9660 has the right checksum" [ "$(val cd cd_file_sha)" = "$(shaf "$img/hello.txt")" ]
check "vm.info: the drive at LUN 1 with a.iso (${cd_info1:-})" \
	[ "${cd_info1:-}" = "lun=1 medium=$img/a.iso size=$(stat -c %s "$img/a.iso")" ]
check "cdrom.eject: answered with the drive empty" grep -q '"medium": null' "$OUT/cd-eject.txt"
check "cdrom.eject: the guest's reads fail (no medium)" [ "$(val cd cd_ejected_read)" = failed ]
check "cdrom.insert: answered with b.iso in the drive" grep -q "\"medium\": \"$img/b.iso\"" "$OUT/cd-insert.txt"
check "cdrom.insert: the guest sees the new size ($(val cd cd2_size) sectors)" \
	[ "$(val cd cd2_size)" = "$(( $(stat -c %s "$img/b.iso") / 512 ))" ]
check "cdrom.insert: and reads the new ISO's bytes" [ "$(val cd cd2_dev_sha)" = "$(shaf "$img/b.iso")" ]
check "cdrom.insert: the new volume ($(val cd cd2_volid))" [ "$(val cd cd2_volid)" = HVKVM_B ]
"$HVKVM" --kernel "$L2_KERNEL" --cdrom "$img/hello.txt" --serial none > /dev/null 2> "$OUT/badiso.txt" < /dev/null
rc=$?
check "cdrom: a file that is not whole 2048-byte sectors exits 2 ($(cat "$OUT/badiso.txt"))" \
	sh -c "[ $rc = 2 ] && grep -q 'not a CD/DVD image' '$OUT/badiso.txt'"
rm -f "$img/a.img" "$sock"

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
