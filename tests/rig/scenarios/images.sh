#!/bin/bash
# VHDX and VHD images under Debian's hv_storvsc, checked with QEMU's own tools: what the
# guest writes at scattered offsets into images qemu-img made (VHDX dynamic and fixed, 1
# and 32 MiB blocks; VHD dynamic and fixed) is what qemu-img check and convert find, and
# what qemu-io put there first is what the guest reads; a differencing VHDX shows its
# parent and keeps the guest's writes to itself; 4096-byte logical sectors (which QEMU
# does not open: the second start reads them back instead); a dynamic VHDX stays whole,
# with every chunk the guest had synced, through ten SIGKILLs while it grows; and vm.info
# says each disk's format, size and parent. The guests boot quiet: every console byte is
# an exit, and exits are slow in the rig.
# The first boot reads 320 MiB and writes to eight disks: on a loaded 2-core host that is
# more than the usual limit per guest.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-900}
. "$(dirname "$0")/../lib.sh"
img=/tmp/images
mkdir -p "$img"
make=$(dirname "$HVKVM")/tests/vhdx-make
shaf() { sha256sum "$1" | cut -d' ' -f1; }
# rawsha IMG FMT: the checksum of the image's contents as qemu-img converts them to raw.
rawsha() {
	rm -f "$img/out.raw"
	qemu-img convert -f "$2" -O raw "$1" "$img/out.raw" && shaf "$img/out.raw"
}
# chunks N UNITS: N random chunks (OFF:LEN in 4 KiB units), one in each Nth of a disk of
# UNITS units, 4 KiB to 256 KiB long, so that they cross block boundaries now and then.
chunks() {
	local n=$1 slot=$(($2 / $1)) out= i len
	for ((i = 0; i < n; i++)); do
		len=$((RANDOM % 64 + 1))
		out+=${out:+,}$((i * slot + RANDOM % (slot - len))):$len
	done
	echo "$out"
}
# prefill IMG FMT RAW: qemu-io writes random data at eight random places of IMG and the
# same into RAW, which holds the image's contents (zeroes at first).
prefill() {
	local i off len cmds=()
	for ((i = 0; i < 8; i++)); do
		len=$(( (RANDOM % 48 + 1) * 4096 ))
		off=$(( (RANDOM * 32768 + RANDOM) % (size - len) / 512 * 512 ))
		head -c "$len" /dev/urandom > "$img/r$i"
		cmds+=(-c "write -q -s $img/r$i $off $len")
		dd if="$img/r$i" of="$3" bs=512 seek=$((off / 512)) conv=notrunc 2>/dev/null
	done
	qemu-io -f "$2" "${cmds[@]}" "$1" || echo "# qemu-io failed on $1"
	rm -f "$img"/r?
}
size=$((40 << 20))
zero=$(head -c "$size" /dev/zero | sha256sum | cut -d' ' -f1)

# --- images qemu-img made: both directions, one boot -------------------------------------------
names=(x1d x32d x1f x32f vd vf)
declare -A fmt=([x1d]=vhdx [x32d]=vhdx [x1f]=vhdx [x32f]=vhdx [vd]=vpc [vf]=vpc)
declare -A opts=([x1d]=subformat=dynamic,block_size=1M [x32d]=subformat=dynamic,block_size=32M
	[x1f]=subformat=fixed,block_size=1M [x32f]=subformat=fixed,block_size=32M
	[vd]=subformat=dynamic,force_size=on [vf]=subformat=fixed,force_size=on)
declare -A file fsize
disks=() serials=
for n in "${names[@]}"; do
	file[$n]=$img/$n.$([ "${fmt[$n]}" = vpc ] && echo vhd || echo vhdx)
	qemu-img create -q -f "${fmt[$n]}" -o "${opts[$n]}" "${file[$n]}" "$size"
	truncate -s "$size" "$img/$n.raw"
	prefill "${file[$n]}" "${fmt[$n]}" "$img/$n.raw"
	fsize[$n]=$(stat -c %s "${file[$n]}")
	disks+=(--disk "path=${file[$n]},serial=${n^^}")
	serials+=${serials:+,}${n^^}
done
# A differencing VHDX (2 MiB blocks) over a dynamic one (1 MiB) that qemu-io filled, and
# a dynamic VHDX with 4096-byte sectors, in the same boot.
parent=$img/parent.vhdx
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=1M "$parent" "$size"
truncate -s "$size" "$img/parent.raw"
prefill "$parent" vhdx "$img/parent.raw"
psum=$(shaf "$parent")
"$make" "$img/child.vhdx" 40 2 512 "$parent"
csize0=$(stat -c %s "$img/child.vhdx")
"$make" "$img/k4.vhdx" 40 1 4096
disks+=(--disk "path=$img/child.vhdx,serial=CHILD" --disk "path=$img/k4.vhdx,serial=K4")
ch=$(chunks 12 $((size / 4096)))
guest formats --cpus 1 --memory 512M --cmdline \
	"console=ttyS0 quiet rig.test=diskpattern rig.op=scatter rig.disks=$serials,CHILD,K4 rig.chunks=$ch" "${disks[@]}"
check "formats: the guest wrote to eight images and powered off" \
	sh -c "[ $rc = 0 ] && grep -aq '^SYNCED' '$OUT/formats.serial'"
for n in "${names[@]}"; do
	S=${n^^} what="$n (${fmt[$n]} ${opts[$n]})"
	check "$what: the guest sees 40 MiB in 512-byte sectors" \
		[ "$(val formats ${S}_size):$(val formats ${S}_lbs)" = "$size:512" ]
	check "$what: the guest reads what qemu-io wrote" [ "$(val formats ${S}_read)" = "$(shaf "$img/$n.raw")" ]
	check "$what: twelve chunks synced" [ "$(val formats ${S}_synced)" = 12 ]
	# (qemu-img has no check for VHD: convert alone speaks for those)
	[ "${fmt[$n]}" = vpc ] || check "$what: qemu-img check finds no error" qemu-img check -q -f vhdx "${file[$n]}"
	w=$(val formats ${S}_written)
	check "$what: qemu-img convert holds exactly what the guest wrote" \
		[ "$(rawsha "${file[$n]}" "${fmt[$n]}")" = "${w:-none}" ]
done
# (qemu-img's fixed VHDX marks its blocks PAYLOAD_BLOCK_ZERO naming no space, its
# default block_state_zero: a block first written goes past the end of the file)
check "vf: the fixed VHD's file did not grow" [ "$(stat -c %s "${file[vf]}")" = "${fsize[vf]}" ]

check "differencing: the guest sees the parent's data through the child" \
	[ "$(val formats CHILD_read)" = "$(shaf "$img/parent.raw")" ]
check "differencing: twelve chunks synced" [ "$(val formats CHILD_synced)" = 12 ]
check "differencing: the parent file is bit for bit as it was" [ "$(shaf "$parent")" = "$psum" ]
check "differencing: the writes went into the child ($csize0 -> $(stat -c %s "$img/child.vhdx") bytes)" \
	[ "$(stat -c %s "$img/child.vhdx")" -gt "$csize0" ]
check "4096-byte sectors: the guest sees them" [ "$(val formats K4_lbs)" = 4096 ]
check "4096-byte sectors: the empty image reads as zeroes" [ "$(val formats K4_read)" = "$zero" ]
check "4096-byte sectors: twelve chunks synced" [ "$(val formats K4_synced)" = 12 ]

# --- SIGKILL ten times while the guest allocates blocks --------------------------------------------
# 128 slots of 1 MiB (one block each): each start writes twelve chunks of 512 KiB to
# 1 MiB into twelve slots no other start uses, and is killed right after a random number
# (up to eight) of them synced.
crash=$img/crash.vhdx
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=1M "$crash" 128M
perm=($(shuf -i 0-127))
offs=() lens=() sums=()
killed_writing=0
for r in 0 1 2 3 4 5 6 7 8 9; do
	ch=
	for ((k = 0; k < 12; k++)); do
		len=$((RANDOM % 129 + 128))
		ch+=${ch:+,}$((perm[r * 12 + k] * 256 + RANDOM % (257 - len))):$len
	done
	at=$((RANDOM % 9))
	guest_start kill$r --cpus 1 --memory 256M --cmdline \
		"console=ttyS0 quiet rig.test=diskpattern rig.op=scatter rig.disks=CRASH rig.read=0 rig.chunks=$ch rig.end=hang" \
		--disk path="$crash",serial=CRASH
	opened=no
	if wait_serial kill$r "^WRITING" 300; then
		opened=yes
		[ $at -gt 0 ] && wait_serial kill$r "CRASH_synced=$at([^0-9]|\$)" 120
		sleep "$(awk "BEGIN { srand($RANDOM); printf \"%.2f\", rand() * 0.3 }")"
	fi
	kill -KILL "$pid" 2>/dev/null
	guest_wait kill$r
	check "kill $r: hvkvm opened the image and the guest began writing" [ $opened = yes ]
	# The dead process's io_uring holds the image (and its lock) a little longer.
	check "kill $r: the dead hvkvm lets go of the image" \
		wait_for 30 "the lock on $crash" sh -c "qemu-img info -f vhdx '$crash' > /dev/null 2>&1"
	n=$(val kill$r CRASH_synced)
	n=${n:-0}
	[ "$n" -lt 12 ] && killed_writing=$((killed_writing + 1))
	arr=(${ch//,/ })
	for ((i = 0; i < n; i++)); do
		offs+=("${arr[i]%:*}"); lens+=("${arr[i]#*:}"); sums+=("$(val kill$r CRASH_c$i)")
	done
	check "kill $r: qemu-img check finds no error ($n of 12 chunks synced)" qemu-img check -q -f vhdx "$crash"
	rawsha "$crash" vhdx > /dev/null
	bad=0
	for ((i = 0; i < ${#offs[@]}; i++)); do
		got=$(dd if="$img/out.raw" bs=4K skip="${offs[i]}" count="${lens[i]}" 2>/dev/null | sha256sum | cut -d' ' -f1)
		[ "$got" = "${sums[i]}" ] || bad=$((bad + 1))
	done
	check "kill $r: every chunk synced so far is in the image (${#offs[@]} chunks, $bad missing)" [ $bad = 0 ]
done
echo "# killed while writing in $killed_writing of 10 starts"
check "kill: at least half of the kills came in the middle of the writes" [ $killed_writing -ge 5 ]

# --- a second start reads back the child, the 4096-byte-sector image, the killed one and a
# VHD; vm.info says each one's format, size and parent ----------------------------------------------
csum=$(rawsha "$crash" vhdx)
sock=$img/api.sock	# (not in the 9p share: no sockets there)
guest_start again --cpus 1 --memory 512M \
	--cmdline "console=ttyS0 quiet rig.test=diskpattern rig.op=scatter rig.disks=CHILD,K4,CRASH,VD rig.end=hang" \
	--disk path="$img/child.vhdx",serial=CHILD --disk path="$img/k4.vhdx",serial=K4 \
	--disk path="$crash",serial=CRASH --disk path="${file[vd]}",serial=VD --api-socket "$sock"
wait_serial again '^SYNCED' 300
"$HVKVM" ctl --socket "$sock" vm.info > "$OUT/again.info" 2>&1
# (read only: nothing to lose)
kill -KILL "$pid"
guest_wait again
check "again: the guest read all four disks" grep -aq '^SYNCED' "$OUT/again.serial"
check "differencing: a second start reads the parent's data and the child's writes" \
	[ "$(val again CHILD_read)" = "$(val formats CHILD_written)" ]
check "differencing: the parent is still unchanged" [ "$(shaf "$parent")" = "$psum" ]
check "4096-byte sectors: a second start reads back what the guest wrote" \
	[ "$(val again K4_read)" = "$(val formats K4_written)" ]
check "kill: after the last SIGKILL the guest reads what qemu-img reads" [ "$(val again CRASH_read)" = "$csum" ]
check "vd: a second start reads back what the guest wrote" [ "$(val again VD_read)" = "$(val formats VD_written)" ]
# info PATH: format, subformat, size and parent of the disk at PATH, as vm.info has them.
info() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in [k for x in d["devices"] if x.get("kind") == "scsi" for k in x["disks"] if k["path"] == sys.argv[2]]:
	print(k["format"], k["subformat"], k["size_bytes"], k.get("parent", "-"))' "$OUT/again.info" "$1"
}
echo "# vm.info: child: $(info "$img/child.vhdx"); k4: $(info "$img/k4.vhdx"); vd: $(info "${file[vd]}")"
check "vm.info: the differencing VHDX, its size and its parent" \
	[ "$(info "$img/child.vhdx")" = "vhdx differencing $size $parent" ]
check "vm.info: the dynamic VHDX with 4096-byte sectors" [ "$(info "$img/k4.vhdx")" = "vhdx dynamic $size -" ]
check "vm.info: the dynamic VHD" [ "$(info "${file[vd]}")" = "vhd dynamic $size -" ]

rm -rf "$img"
finish
