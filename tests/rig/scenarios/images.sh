#!/bin/bash
# VHDX and VHD images under Debian's hv_storvsc, checked with QEMU's own tools: what the
# guest writes at scattered offsets into images qemu-img made (VHDX dynamic and fixed, 1
# and 32 MiB blocks; VHD dynamic and fixed) is what qemu-img check and convert find, and
# what qemu-io put there first is what the guest reads; a differencing VHDX shows its
# parent and keeps the guest's writes to itself; 4096-byte logical sectors (which QEMU
# does not open: the second start reads them back instead); and a dynamic VHDX stays
# whole, with every chunk the guest had synced, through ten SIGKILLs while it grows.
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
declare -A file
disks=() serials=
for n in "${names[@]}"; do
	file[$n]=$img/$n.$([ "${fmt[$n]}" = vpc ] && echo vhd || echo vhdx)
	qemu-img create -q -f "${fmt[$n]}" -o "${opts[$n]}" "${file[$n]}" "$size"
	truncate -s "$size" "$img/$n.raw"
	prefill "${file[$n]}" "${fmt[$n]}" "$img/$n.raw"
	disks+=(--disk "path=${file[$n]},serial=${n^^}")
	serials+=${serials:+,}${n^^}
done
ch=$(chunks 12 $((size / 4096)))
guest formats --cpus 1 --memory 512M \
	--cmdline "console=ttyS0 rig.test=diskpattern rig.op=scatter rig.disks=$serials rig.chunks=$ch" "${disks[@]}"
check "formats: the guest wrote to six images and powered off" \
	sh -c "[ $rc = 0 ] && grep -aq '^SYNCED' '$OUT/formats.serial'"
for n in "${names[@]}"; do
	S=${n^^} what="$n (${fmt[$n]} ${opts[$n]})"
	check "$what: the guest sees 40 MiB in 512-byte sectors" \
		[ "$(val formats ${S}_size):$(val formats ${S}_lbs)" = "$size:512" ]
	check "$what: the guest reads what qemu-io wrote" [ "$(val formats ${S}_read)" = "$(shaf "$img/$n.raw")" ]
	check "$what: twelve chunks synced" [ "$(val formats ${S}_synced)" = 12 ]
	check "$what: qemu-img check finds no error" qemu-img check -q -f "${fmt[$n]}" "${file[$n]}"
	w=$(val formats ${S}_written)
	check "$what: qemu-img convert holds exactly what the guest wrote" \
		[ "$(rawsha "${file[$n]}" "${fmt[$n]}")" = "${w:-none}" ]
done
check "formats: the fixed VHDX files did not grow" \
	[ "$(stat -c %s "${file[x1f]}")" -lt $((size + (8 << 20))) ]

# --- a differencing VHDX over x1d, and 4096-byte sectors -----------------------------------------
parent=${file[x1d]}
psum=$(shaf "$parent")
pdata=$(val formats X1D_written)
"$make" "$img/child.vhdx" 40 2 512 "$parent"
csize0=$(stat -c %s "$img/child.vhdx")
"$make" "$img/k4.vhdx" 40 1 4096
ch=$(chunks 10 $((size / 4096)))
guest diff --cpus 1 --memory 512M \
	--cmdline "console=ttyS0 rig.test=diskpattern rig.op=scatter rig.disks=CHILD,K4 rig.chunks=$ch" \
	--disk path="$img/child.vhdx",serial=CHILD --disk path="$img/k4.vhdx",serial=K4
check "diff: exit 0" [ "$rc" = 0 ]
check "differencing: the guest sees the parent's data through the child" [ "$(val diff CHILD_read)" = "$pdata" ]
check "differencing: ten chunks synced" [ "$(val diff CHILD_synced)" = 10 ]
check "differencing: the parent file is bit for bit as it was" [ "$(shaf "$parent")" = "$psum" ]
check "differencing: the writes went into the child ($csize0 -> $(stat -c %s "$img/child.vhdx") bytes)" \
	[ "$(stat -c %s "$img/child.vhdx")" -gt "$csize0" ]
check "4096-byte sectors: the guest sees them" [ "$(val diff K4_lbs)" = 4096 ]
check "4096-byte sectors: the empty image reads as zeroes" [ "$(val diff K4_read)" = "$zero" ]
check "4096-byte sectors: ten chunks synced" [ "$(val diff K4_synced)" = 10 ]

# --- SIGKILL ten times while the guest allocates blocks --------------------------------------------
# 48 slots of 1 MiB (one block each): each start writes four chunks into four slots no
# other start uses, and is killed at a random moment after its first write began.
crash=$img/crash.vhdx
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=1M "$crash" 48M
mapfile -t perm < <(shuf -i 0-47)
offs=() lens=() sums=()
killed_writing=0
for r in 0 1 2 3 4 5 6 7 8 9; do
	ch=
	for k in 0 1 2 3; do
		len=$((RANDOM % 192 + 8))
		ch+=${ch:+,}$((perm[r * 4 + k] * 256 + RANDOM % (256 - len))):$len
	done
	guest_start kill$r --cpus 1 --memory 512M --cmdline \
		"console=ttyS0 rig.test=diskpattern rig.op=scatter rig.disks=CRASH rig.read=0 rig.chunks=$ch rig.end=hang" \
		--disk path="$crash",serial=CRASH
	opened=no
	if wait_serial kill$r '^WRITING' 300; then
		opened=yes
		sleep "$(awk "BEGIN { srand($RANDOM); printf \"%.2f\", rand() * 2.5 }")"
	fi
	kill -KILL "$pid" 2>/dev/null
	guest_wait kill$r
	check "kill $r: hvkvm opened the image and the guest began writing" [ $opened = yes ]
	# The dead process's io_uring holds the image (and its lock) a little longer.
	check "kill $r: the dead hvkvm lets go of the image" \
		wait_for 30 "the lock on $crash" sh -c "qemu-img info -f vhdx '$crash' > /dev/null 2>&1"

	n=$(val kill$r CRASH_synced)
	n=${n:-0}
	[ "$n" -lt 4 ] && killed_writing=$((killed_writing + 1))
	arr=(${ch//,/ })
	for ((i = 0; i < n; i++)); do
		offs+=("${arr[i]%:*}"); lens+=("${arr[i]#*:}"); sums+=("$(val kill$r CRASH_c$i)")
	done
	check "kill $r: qemu-img check finds no error ($n of 4 chunks synced)" qemu-img check -q -f vhdx "$crash"
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

# --- a second start reads back the child, the 4096-byte-sector image and the killed one ----------
csum=$(rawsha "$crash" vhdx)
guest again --cpus 1 --memory 512M \
	--cmdline "console=ttyS0 rig.test=diskpattern rig.op=scatter rig.disks=CHILD,K4,CRASH" \
	--disk path="$img/child.vhdx",serial=CHILD --disk path="$img/k4.vhdx",serial=K4 \
	--disk path="$crash",serial=CRASH
check "again: exit 0" [ "$rc" = 0 ]
check "differencing: a second start reads the parent's data and the child's writes" \
	[ "$(val again CHILD_read)" = "$(val diff CHILD_written)" ]
check "differencing: the parent is still unchanged" [ "$(shaf "$parent")" = "$psum" ]
check "4096-byte sectors: a second start reads back what the guest wrote" \
	[ "$(val again K4_read)" = "$(val diff K4_written)" ]
check "kill: after the last SIGKILL the guest reads what qemu-img reads" [ "$(val again CRASH_read)" = "$csum" ]

rm -rf "$img"
finish
