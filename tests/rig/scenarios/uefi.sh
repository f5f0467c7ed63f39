#!/bin/bash
# rig: firmware
# hvkvm with --firmware uefi (Debian's OVMF) and --kernel: the firmware finds the kernel,
# initrd and command line in fw_cfg, as from QEMU's -kernel, and starts the kernel's EFI
# stub. In the guest: UEFI, ACPI without errors, SMBIOS, the i440FX host bridge, VMBus
# 5.3 with a disk; a UEFI variable the guest writes is there at the next start of hvkvm
# with the same variable store; a reboot starts the firmware again; power-off ends
# hvkvm with 0. A third start adds a NetVSC adapter on a tap in a network namespace of
# L1's: hv_netvsc binds it with the MAC given, pings and a line each way over TCP go
# through the tap; the integration components, keyboard, mouse and video bind to their
# drivers; SIGTERM to hvkvm powers the guest off through the shutdown IC.
# ("# rig: firmware" asks for the emulator that runs firmware in L2.)
. "$(dirname "$0")/../lib.sh"
# both [ A ] [ B ]: both tests hold.
both() {
	local a=(); while [ "$1" != "]" ]; do a+=("$1"); shift; done; a+=("]"); shift
	"${a[@]}" && "$@"
}
code=/usr/share/OVMF/OVMF_CODE_4M.fd
checkx "OVMF is installed ($code)" '[ -r "$code" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
vars=$OUT/vm.vars
rm -f "$vars"
truncate -s 64M "$OUT/disk.img"
fw=(--stats --firmware uefi --firmware-vars "$vars" --cpus 2 --memory 1G --disk path="$OUT/disk.img",serial=UEFI-DISK)

# --- first start: a new variable store; the guest writes a variable ------------------
guest uefi1 "${fw[@]}" --cmdline "console=ttyS0 rig.test=uefivm rig.efiset=hvkvm-$$"
check "uefi1: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
check "uefi1: hvkvm made the variable store from the template" \
	[ "$(stat -c %s "$vars" 2>/dev/null)" = "$(stat -c %s /usr/share/OVMF/OVMF_VARS_4M.fd)" ]
check "uefi1: Linux ran the test to its end" grep -aq 'RIG-END uefivm rc=0' "$OUT/uefi1.serial"
checkx "uefi1: Linux was started by UEFI (efi=$(val uefi1 efi), by $(val uefi1 efi_by))" \
	'[ "$(val uefi1 efi)" = yes ] && [ -n "$(val uefi1 efi_by)" ]'
check "uefi1: no ACPI errors in dmesg ($(val uefi1 acpi_errors))" [ "$(val uefi1 acpi_errors)" = 0 ]
check "uefi1: the kernel took the firmware's ACPI tables (FACP, APIC, DSDT)" \
	[ "$(grep -a -c -E 'dmesg: .*ACPI: (FACP|APIC|DSDT)' "$OUT/uefi1.serial")" -ge 3 ]
check "uefi1: SMBIOS system: Microsoft Corporation ($(val uefi1 dmi_vendor))" \
	[ "$(val uefi1 dmi_vendor)" = Microsoft_Corporation ]
check "uefi1: SMBIOS product: Virtual Machine ($(val uefi1 dmi_product))" \
	[ "$(val uefi1 dmi_product)" = Virtual_Machine ]
check "uefi1: PCI 00:00.0 is the i440FX (8086:1237)" grep -aq 'pci=0000:00:00.0_0x8086_0x1237' "$OUT/uefi1.serial"
check "uefi1: VMBus 5.3 ($(val uefi1 vmbus_version))" [ "$(val uefi1 vmbus_version)" = 5.3 ]
check "uefi1: storvsc sees the 64 MiB disk" grep -aqE 'disk=sd[a-z] size_bytes=67108864 .*serial=UEFI-DISK' "$OUT/uefi1.serial"
check "uefi1: there was no variable yet ($(val uefi1 efivar_read))" [ "$(val uefi1 efivar_read)" = none ]
check "uefi1: the guest wrote the UEFI variable ($(val uefi1 efivar_written))" [ "$(val uefi1 efivar_written)" = "hvkvm-$$" ]

# --- second start, same store: the variable is there; a reboot starts OVMF again ------
guest uefi2 "${fw[@]}" --cmdline "console=ttyS0 rig.test=uefivm rig.reboot=1"
check "uefi2: hvkvm exits 0 after the second boot powers off" [ "$rc" = 0 ]
check "uefi2: the variable written before survived hvkvm's restart ($(val uefi2 efivar_read))" \
	[ "$(val uefi2 efivar_read)" = "hvkvm-$$" ]
check "uefi2: first boot counted 1" grep -aq 'boot_count=1' "$OUT/uefi2.serial"
check "uefi2: second boot counted 2" grep -aq 'boot_count=2' "$OUT/uefi2.serial"
check "uefi2: hvkvm logged the reset" grep -q 'guest reset' "$OUT/uefi2.err"
check "uefi2: both boots were UEFI's" [ "$(grep -a -c '^efi=yes' "$OUT/uefi2.serial")" = 2 ]
check "uefi2: the second boot ran the test to its end" grep -aq 'RIG-END uefivm rc=0' "$OUT/uefi2.serial"
# The kernel's own lines, not the test's "dmesg: " copies of them.
check "uefi2: VMBus negotiated twice" [ "$(grep -a -v '^dmesg:' "$OUT/uefi2.serial" | grep -a -c 'hv_vmbus: Vmbus version:5.3')" = 2 ]
# --- third start: NetVSC on a tap, the ICs, SIGTERM through the shutdown IC ------------
ns=hvkvm-uefi
H=10.79.0.1
G=10.79.0.2
MAC=00:15:5d:79:00:02
ip netns del $ns 2>/dev/null
ip netns add $ns
ip -n $ns link set lo up
nsx() { ip netns exec $ns "$@"; }
nsx ip tuntap add dev hvtap0 mode tap vnet_hdr
nsx ip addr add $H/24 dev hvtap0
nsx ip link set hvtap0 up
# hvkvm runs in the namespace: guest_start runs $HVKVM.
real_hvkvm=$HVKVM
HVKVM=$(mktemp /tmp/hvkvm-ns.XXXXXX)
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' $ns "$real_hvkvm" > "$HVKVM"
chmod +x "$HVKVM"
sock=/tmp/uefi3.sock
rm -f "$sock"
token=hvkvm-$$-$RANDOM
# send_line PORT: the token to the guest's PORT.
send_line() { printf '%s\n' "$token" | nsx busybox nc $G "$1" > /dev/null 2>&1; }
ping_back='' back='' took=never
guest_start uefi3 "${fw[@]}" --net tap=hvtap0,mac=$MAC --api-socket "$sock" \
	--cmdline "console=ttyS0 rig.test=uefivm rig.ip=$G rig.peer=$H rig.wait=1"
if wait_serial uefi3 '^NET-READY' "$GUEST_TIMEOUT"; then
	nsx busybox ping -c 5 -i 0.2 -W 5 $G > "$OUT/uefi3.ping" 2>&1
	ping_back=$(sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' "$OUT/uefi3.ping")
	if wait_serial uefi3 '^NET-LISTEN' 60; then
		# (the guest's listener may take a while to start: retry)
		wait_for 120 "the guest's listener on port 5001" send_line 5001
		# The guest's line back: busybox nc stops at the end of its input, so its
		# input is a pipe nobody writes to.
		rm -f /tmp/uefi3.in
		mkfifo /tmp/uefi3.in
		exec 8<>/tmp/uefi3.in
		timeout 180 ip netns exec $ns busybox nc -l -p 5002 > "$OUT/uefi3.nc" < /tmp/uefi3.in
		exec 8>&-
		rm -f /tmp/uefi3.in
		back=$(head -n 1 "$OUT/uefi3.nc" | tr -d '\r')
	fi
fi
# SIGTERM asks through the shutdown IC: wait until the guest's hv_utils has negotiated it.
if wait_serial uefi3 '^RIG-READY' "$GUEST_TIMEOUT" &&
	wait_for 60 "the guest to negotiate the shutdown IC" ic_negotiated "$sock" shutdown; then
	ts=$(date +%s.%N)
	kill -TERM "$pid"
	guest_wait uefi3
	took=$(echo "$(date +%s.%N) $ts" | awk '{printf "%.1f", $1 - $2}')
else
	guest_wait uefi3
fi
ip netns del $ns
rm -f "$HVKVM" "$sock"
HVKVM=$real_hvkvm
check "uefi3: Linux was started by UEFI ($(val uefi3 efi))" [ "$(val uefi3 efi)" = yes ]
check "uefi3: VMBus 5.3 ($(val uefi3 vmbus_version))" [ "$(val uefi3 vmbus_version)" = 5.3 ]
check "uefi3: hv_netvsc bound the adapter ($(val uefi3 net_dev))" \
	grep -aq 'class={f8615163-df3e-46c5-913f-f2d2f965ed0e} driver=hv_netvsc' "$OUT/uefi3.serial"
check "uefi3: the guest's MAC is the one given ($(val uefi3 net_mac))" [ "$(val uefi3 net_mac)" = $MAC ]
check "uefi3: link up, address $G/24 on it ($(val uefi3 net_addr))" \
	both [ "$(val uefi3 net_carrier)" = 1 ] [ "$(val uefi3 net_addr)" = $G/24 ]
check "uefi3: 5 pings guest to L1, 0 lost ($(val uefi3 ping_received))" \
	both [ "$(val uefi3 ping_sent)" = 5 ] [ "$(val uefi3 ping_received)" = 5 ]
check "uefi3: 5 pings L1 to guest, 0 lost ($ping_back)" [ "$ping_back" = 5 ]
check "uefi3: a line L1 to guest over TCP ($(val uefi3 nc_got))" [ "$(val uefi3 nc_got)" = "$token" ]
check "uefi3: a line guest to L1 over TCP ($back)" [ "$back" = "guest-$token" ]
check "uefi3: no errors in the guest's adapter" \
	both [ "$(val uefi3 guest_rx_errors)" = 0 ] [ "$(val uefi3 guest_tx_errors)" = 0 ]
for c in 0e0b6031-5213-4934-818b-38d90ced39db:shutdown 57164f39-9115-4e78-ab55-382f3bd5422d:heartbeat \
	 9527e630-d0ae-497b-adce-e80ab0175caf:timesync a9a0f4e7-5a45-4d96-b827-8a841e8c03e6:KVP \
	 35fa2e29-ea23-4236-96ae-3a6ebacba440:VSS 34d14be3-dee4-41c8-9ae7-6b174977c192:fcopy; do
	check "uefi3: IC ${c#*:} ({${c%%:*}}) bound to hv_utils" grep -aq "class={${c%%:*}} driver=hv_utils" "$OUT/uefi3.serial"
done
check "uefi3: the synthetic keyboard bound to hyperv_keyboard" \
	grep -aq 'class={f912ad6d-2b17-48ea-bd65-f927a61c7684} driver=hyperv_keyboard' "$OUT/uefi3.serial"
check "uefi3: the synthetic mouse bound to hid_hyperv" \
	grep -aq 'class={cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a} driver=hid_hyperv' "$OUT/uefi3.serial"
check "uefi3: the synthetic video bound to hyperv_drm" \
	grep -aq 'class={da0a7802-e377-4aac-8e77-0558eb1073f8} driver=hyperv_drm' "$OUT/uefi3.serial"
check "uefi3: SIGTERM: hvkvm exits 0" [ "$rc" = 0 ]
under20() { awk -v t="$1" 'BEGIN {exit !(t + 0 > 0 && t < 20)}'; }
check "uefi3: SIGTERM: powered off within 20 s (${took} s)" under20 "$took"
check "uefi3: SIGTERM: the guest logged the shutdown request" \
	grep -aq 'Shutdown request received - graceful shutdown initiated' "$OUT/uefi3.serial"
check "uefi3: SIGTERM: hvkvm asked through the shutdown IC" grep -q 'shutdown IC: the guest accepted' "$OUT/uefi3.err"
for n in uefi1 uefi2 uefi3; do grep -E '^  vcpu ' "$OUT/$n.err" | sed "s/^ */# $n: /"; done
finish
