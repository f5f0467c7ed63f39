#!/bin/bash
# The hvkvm binary on bad input: one line on stderr naming the problem, exit status 2,
# before anything touches KVM. Usage: cli-errors.sh HVKVM
hvkvm=${1:?usage: cli-errors.sh HVKVM}
kernel=$(mktemp)
conf=$(mktemp --suffix=.json)
trap 'rm -f "$kernel" "$conf" "$out" "$err"' EXIT
out=$(mktemp)
err=$(mktemp)
failures=0
n=0

# expect STATUS STDERR-REGEX ARGS...: run hvkvm ARGS and check status and message.
expect() {
	local status=$1 regex=$2; shift 2
	n=$((n + 1))
	"$hvkvm" "$@" > "$out" 2> "$err" < /dev/null
	local rc=$? lines
	lines=$(wc -l < "$err")
	if [ "$regex" = EMPTY ]; then
		[ -s "$err" ] && regex='^nothing on stderr expected$'
		[ -s "$err" ] || regex=''
	fi
	if [ "$rc" != "$status" ] || { [ -n "$regex" ] && ! grep -qE "$regex" "$err"; } ||
	   { [ "$status" = 2 ] && [ "$lines" != 1 ]; }; then
		echo "not ok $n - hvkvm $* -> exit $rc (want $status), stderr:"; sed 's/^/    /' "$err"
		failures=$((failures + 1))
	else
		echo "ok $n - hvkvm $* -> exit $rc: $(head -n 1 "$err")"
	fi
}

expect 2 '^hvkvm: nothing to boot: give --kernel PATH, or --disk or --cdrom for the firmware to boot the VM from'
expect 2 '^hvkvm: --kernel /nonexistent/vmlinuz: No such file or directory$' --kernel /nonexistent/vmlinuz
expect 2 '^hvkvm: --initrd /nonexistent/initrd: No such file or directory$' --kernel "$kernel" --initrd /nonexistent/initrd
expect 2 '^hvkvm: --memory 12X: not a size' --kernel "$kernel" --memory 12X
expect 2 '^hvkvm: --memory 1M: must be between' --kernel "$kernel" --memory 1M
expect 2 '^hvkvm: --cpus 300: too many CPUs' --kernel "$kernel" --cpus 300
expect 2 '^hvkvm: --cpus 0: a VM needs at least 1 CPU' --kernel "$kernel" --cpus 0
expect 2 '^hvkvm: --serial tcp:1: expected stdio, file:PATH or none' --kernel "$kernel" --serial tcp:1
expect 2 "^hvkvm: --boot disk: orders the firmware's boot devices, but --kernel starts the kernel without them\$" \
	--kernel "$kernel" --disk path="$kernel" --boot disk
expect 2 '^hvkvm: --boot disk,net: a comma-separated list of cdrom and disk' --kernel "$kernel" --boot disk,net
expect 2 "^hvkvm: unknown option '--frobnicate'" --kernel "$kernel" --frobnicate
expect 2 '^hvkvm: --cpus needs an argument' --kernel "$kernel" --cpus
expect 2 '^hvkvm: --log-level loud: expected error, warn, info or debug' --kernel "$kernel" --log-level loud
expect 2 '^hvkvm: --api-socket needs an argument: PATH$' --kernel "$kernel" --api-socket
expect 2 '^hvkvm: --api-socket: empty path$' --kernel "$kernel" --api-socket=
expect 2 "^hvkvm: --vnc :1: expected PORT 1024-65535, a port and not a display number \\(QEMU's :1 is :5901\\)\$" --kernel "$kernel" --vnc :1
expect 2 '^hvkvm: --vnc 5901: expected unix:PATH, HOST:PORT or :PORT' --kernel "$kernel" --vnc 5901
expect 2 '^hvkvm: --vnc host.example:5901: expected unix:PATH, HOST:PORT or :PORT' --kernel "$kernel" --vnc host.example:5901
expect 2 '^hvkvm: --vnc :70000: expected unix:PATH' --kernel "$kernel" --vnc :70000
expect 2 '^hvkvm: --vnc unix:: expected unix:PATH, a path after unix:$' --kernel "$kernel" --vnc unix:
expect 2 '^hvkvm: --vnc needs an argument' --kernel "$kernel" --vnc
expect 2 '^hvkvm: --vnc 0.0.0.0:5901: an address other hosts can reach needs --vnc-password-file$' --kernel "$kernel" --vnc 0.0.0.0:5901
expect 2 '^hvkvm: --vnc \[::\]:5901: an address other hosts can reach needs --vnc-password-file$' --kernel "$kernel" --vnc '[::]:5901'
expect 2 '^hvkvm: --vnc unix:/tmp/x.vnc: VNC authentication is for TCP' --kernel "$kernel" --vnc unix:/tmp/x.vnc --vnc-password-file "$kernel"
expect 2 '^hvkvm: --vnc-password-file needs --vnc HOST:PORT$' --kernel "$kernel" --vnc-password-file "$kernel"
expect 2 '^hvkvm: --vnc-password-file: empty path$' --kernel "$kernel" --vnc :5901 --vnc-password-file=
expect 0 EMPTY --kernel "$kernel" --vnc 0.0.0.0:5901 --vnc-password-file "$kernel" --print-config
# --firmware: the images must fit the flash; the variable store has the template's size.
fwdir=$(mktemp -d)
trap 'rm -f "$kernel" "$conf" "$out" "$err"; rm -rf "$fwdir"' EXIT
head -c 8192 /dev/zero > "$fwdir/code.fd"
head -c 1000 /dev/zero > "$fwdir/odd.fd"
head -c 4096 /dev/zero > "$fwdir/small.vars"
expect 2 '^hvkvm: --firmware /nonexistent/OVMF.fd: No such file or directory$' --firmware /nonexistent/OVMF.fd
expect 2 '^hvkvm: --firmware-vars needs --firmware$' --kernel "$kernel" --firmware-vars "$fwdir/x.vars"
expect 2 "^hvkvm: --firmware $fwdir/odd.fd: not a flash image" --firmware "$fwdir/odd.fd"
expect 2 "^hvkvm: --firmware $kernel: not a flash image" --firmware "$kernel"
expect 2 '^hvkvm: --firmware-vars: empty path$' --firmware "$fwdir/code.fd" --firmware-vars=
long=$(printf '%04096d' 0)
expect 2 "^hvkvm: --firmware-vars 0{197}\.\.\.: longer than 4095 characters$" --firmware "$fwdir/code.fd" --firmware-vars "$long"
expect 2 "^hvkvm: --api-socket 0000.*: longer than 107 characters, the limit of a Unix socket's path$" \
	--kernel "$kernel" --api-socket "${long:0:108}"
if [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
	expect 2 "^hvkvm: --firmware-vars $fwdir/small.vars: 4096 bytes, but a variable store is 540672 " \
		--firmware "$fwdir/code.fd" --firmware-vars "$fwdir/small.vars"
	expect 2 "^hvkvm: --firmware-vars $fwdir: not a regular file$" --firmware "$fwdir/code.fd" --firmware-vars "$fwdir"
	# A store that does not exist yet is made at the start, not by --print-config.
	expect 0 EMPTY --firmware "$fwdir/code.fd" --firmware-vars "$fwdir/new.vars" --print-config
	expect 0 EMPTY --firmware uefi --kernel "$kernel" --print-config
fi
# --option-rom: a regular file, 512 bytes to 16 MiB, whose images the firmware can walk.
head -c 1024 /dev/zero > "$fwdir/zero.rom"
printf '\x55\xaa' > "$fwdir/short.rom"
{ printf '\x55\xaa'; head -c 22 /dev/zero; printf '\x1c\x00\x00\x00PCIR'; head -c 12 /dev/zero
  printf '\x01\x00'; head -c 494 /dev/zero; } > "$fwdir/good.rom"
expect 2 '^hvkvm: --option-rom needs --firmware$' --kernel "$kernel" --option-rom "$fwdir/good.rom"
expect 2 "^hvkvm: --option-rom $fwdir/none.rom: No such file or directory$" --firmware "$fwdir/code.fd" --option-rom "$fwdir/none.rom"
expect 2 "^hvkvm: --option-rom $fwdir: not a regular file$" --firmware "$fwdir/code.fd" --option-rom "$fwdir"
expect 2 "^hvkvm: --option-rom $fwdir/short.rom: not a PCI expansion ROM \(512 bytes to 16 MiB\)$" \
	--firmware "$fwdir/code.fd" --option-rom "$fwdir/short.rom"
expect 2 "^hvkvm: --option-rom $fwdir/zero.rom: not a PCI expansion ROM \(no 55 AA signature" \
	--firmware "$fwdir/code.fd" --option-rom "$fwdir/zero.rom"
if [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
	expect 0 EMPTY --firmware "$fwdir/code.fd" --option-rom "$fwdir/good.rom" --print-config
fi
expect 2 '^hvkvm ctl: a METHOD is required' ctl --socket /nonexistent.sock
expect 2 '^hvkvm ctl: --socket PATH is required' ctl vm.info
expect 2 "^hvkvm ctl: 'x': expected key=value" ctl --socket /nonexistent.sock vm.info x
expect 3 '^hvkvm ctl: /nonexistent.sock: No such file or directory' ctl --socket /nonexistent.sock vm.info
expect 0 EMPTY ctl --help
expect 2 "^hvkvm: --net mac=01:00:5e:00:00:01: a multicast address" --kernel "$kernel" --net tap=tap0,mac=01:00:5e:00:00:01
expect 2 "^hvkvm: --net mtu=9000: tap=NAME is required\$" --kernel "$kernel" --net mtu=9000
expect 2 '^hvkvm: --net mtu=65522: expected an integer 68-9202 \(9202 is the largest MTU' --kernel "$kernel" --net tap=t,mtu=65522
expect 2 '^hvkvm: --net mtu=9203: expected an integer 68-9202 \(9202 is the largest MTU' --kernel "$kernel" --net tap=t,mtu=9203
expect 2 '^hvkvm: --net mtu=20000: expected an integer 68-9202 \(9202 is the largest MTU' --kernel "$kernel" --net tap=t0,mtu=20000 --print-config
expect 2 '^hvkvm: --net tap=averyveryverylongname: expected an interface name of 1 to 15 characters' --kernel "$kernel" --net tap=averyveryverylongname
expect 2 '^hvkvm: --seccomp maybe: expected on or off$' --kernel "$kernel" --seccomp maybe
expect 2 '^hvkvm: --disk format=qcow2: expected raw, vhd or vhdx$' --kernel "$kernel" --disk path=a.img,format=qcow2
expect 2 "^hvkvm: --name a/b: expected a name of 1 to 63 letters" --kernel "$kernel" --name a/b
expect 2 '^hvkvm: /nonexistent/vm.json: No such file or directory$' --config /nonexistent/vm.json
echo '{"kernel": "'"$kernel"'", "disks": [{"path": "a.img"}, {"path": "b.img", "lun": "x"}]}' > "$conf"
expect 2 "^hvkvm: $conf: disks\[1\]\.lun: expected an integer 0-63, got \"x\"\$" --config "$conf"
echo '{"kernel": "'"$kernel"'", "cpus": 2, "frobnicate": true}' > "$conf"
expect 2 "^hvkvm: $conf: frobnicate: unknown key \(known: name, kernel," --config "$conf"
echo '{"kernel": "'"$kernel"'", "nets": [{"tap": "tap0", "mac": "00:00:00:00:00:00"}]}' > "$conf"
expect 2 "^hvkvm: $conf: nets\[0\]\.mac: the all-zero address" --config "$conf" --print-config
printf '{\n  "cpus": 2,\n  "memory": "1G",\n}\n' > "$conf"
expect 2 "^hvkvm: $conf:4:1: JSON syntax error: unexpected character\$" --config "$conf"
echo '{"kernel": "'"$kernel"'", "vnc": 5901}' > "$conf"
expect 2 "^hvkvm: $conf: vnc: expected unix:PATH or \\[HOST\\]:PORT, got 5901\$" --config "$conf"
echo '{"kernel": "'"$kernel"'", "vnc": "192.168.1.5:5901"}' > "$conf"
expect 2 "^hvkvm: --vnc 192.168.1.5:5901: an address other hosts can reach needs --vnc-password-file\$" --config "$conf"
echo '["not", "an", "object"]' > "$conf"
expect 2 "^hvkvm: $conf: expected a JSON object at the top level" --config "$conf"
echo '{"cpus": 2}' > "$conf"
expect 2 "^hvkvm: nothing to boot: give --kernel PATH, or \"kernel\" in $conf, or --disk or --cdrom" --config "$conf"
# Without --kernel the firmware boots the disks through hvkvm's UEFI driver: a copy of
# hvkvm with no firmware/hvkvm-vmbus.rom beside it finds none (unless one is installed).
lone=$(mktemp -d)
cp "$hvkvm" "$lone/hvkvm"
truncate -s 1M "$lone/disk.img"
if "$lone/hvkvm" --disk path="$lone/disk.img" --option-rom none --print-config > /dev/null 2>&1; then
	if "$lone/hvkvm" --disk path="$lone/disk.img" --print-config 2> /dev/null | grep -q '"option-rom": "/'; then
		n=$((n + 1)); echo "ok $n # skip: a driver ROM is installed"
	else
		hvkvm_was=$hvkvm hvkvm=$lone/hvkvm
		expect 2 "^hvkvm: no --kernel, and no UEFI driver ROM to boot the disks with \\(firmware/hvkvm-vmbus.rom beside hvkvm, or /" \
			--disk path="$lone/disk.img"
		hvkvm=$hvkvm_was
	fi
else
	n=$((n + 1)); echo "ok $n # skip: no OVMF installed"
fi
rm -rf "$lone"
expect 0 EMPTY --help
expect 0 EMPTY --version
"$hvkvm" --help | grep -q '^Usage: hvkvm --kernel PATH' || { echo "not ok - --help prints the usage"; failures=$((failures + 1)); }
"$hvkvm" --version | grep -qE '^hvkvm [0-9]+\.[0-9]+\.[0-9]+$' || { echo "not ok - --version prints the version"; failures=$((failures + 1)); }
# --print-config prints a file that --config reads back to the same output.
printf '{"kernel": "%s", "cpus": 3, "disks": [{"path": "a.img"}], "nets": [{"tap": "tap0"}]}' "$kernel" > "$conf"
n=$((n + 1))
if "$hvkvm" --config "$conf" --memory 2G --net tap=tap1,mtu=9000 --print-config > "$out" 2> "$err" &&
   grep -q '"memory": "2G"' "$out" && grep -q '"cpus": 3' "$out" && grep -q '"tap": "tap1"' "$out" &&
   cp "$out" "$conf" && "$hvkvm" --config "$conf" --print-config 2> "$err" | cmp -s - "$out"; then
	echo "ok $n - --print-config output reads back through --config"
else
	echo "not ok $n - --print-config round trip:"; sed 's/^/    /' "$out" "$err"
	failures=$((failures + 1))
fi
echo "# $n cases, $failures failed"
[ $failures = 0 ]
