# A guest that hvkvm's UEFI firmware started: how it booted (the EFI stub, the boot
# count in CMOS RAM), ACPI, SMBIOS, PCI, VMBus and its disk, and a UEFI variable that
# the next start must find (rig.efiset=VALUE writes it). With rig.reboot=1 the first
# boot reboots, so that the firmware starts Linux a second time.
# rig.ip=ADDR (a /24) and rig.peer=HOST: the hv_netvsc adapter gets ADDR and pings HOST
# (then NET-READY: the host pings back), takes a line from the host on TCP port 5001
# (NET-LISTEN; printed as nc_got=) and sends "guest-" and that line to the host's port
# 5002, retrying until the host listens. rig.wait=1: then stay up (RIG-READY) until the
# host ends the guest (through the shutdown IC).
. /tests/lib.sh
n=$(count_boot 81)
echo "boot_count=$n"
echo "efi=$([ -d /sys/firmware/efi ] && echo yes || echo no)"
echo "efi_by=$(dmesg | sed -n 's/.*efi: EFI v[0-9.]* by //p' | head -n 1 | tr ' ' _)"
dmesg | grep -E 'ACPI: (RSDP|XSDT|FACP|APIC|DSDT)|ACPI (BIOS )?(Error|Warning)|ACPI Exception|DMI:|efi:' | sed 's/^/dmesg: /'
echo "acpi_errors=$(dmesg | grep -cE 'ACPI (BIOS )?Error|ACPI Exception')"
echo "dmi_vendor=$(tr ' ' _ < /sys/class/dmi/id/sys_vendor)"
echo "dmi_product=$(tr ' ' _ < /sys/class/dmi/id/product_name)"
for d in /sys/bus/pci/devices/*; do
	[ -e "$d" ] && echo "pci=$(basename "$d")_$(cat "$d/vendor")_$(cat "$d/device")"
done
sh /tests/vmbus.sh
sh /tests/disk.sh
echo "vmbus_version=$(dmesg | sed -n 's/.*Vmbus version:\([0-9.]*\).*/\1/p' | head -n 1)"
vars=/sys/firmware/efi/efivars
modprobe efivarfs 2>/dev/null
mountpoint -q $vars || mount -t efivarfs efivarfs $vars
v=$vars/HvkvmRig-4a3c5d8e-1f2b-4c6d-9e8f-0123456789ab
echo "efivar_read=$([ -f $v ] && tail -c +5 $v || echo none)"
set_to=$(arg rig.efiset)
if [ -n "$set_to" ]; then
	[ -f $v ] && chattr -i $v 2>/dev/null
	# Attributes (non-volatile, boot service, runtime access) then the data.
	printf '\007\000\000\000%s' "$set_to" > $v
	echo "efivar_written=$(tail -c +5 $v)"
fi
ip=$(arg rig.ip); peer=$(arg rig.peer)
if [ -n "$ip" ]; then
	# (hv_netvsc may bind late on a loaded host: up to a minute)
	dev=
	for i in $(seq 600); do
		for d in /sys/class/net/*; do
			drv=$(readlink "$d/device/driver" 2>/dev/null)
			[ "${drv##*/}" = hv_netvsc ] && { dev=${d##*/}; break; }
		done
		[ -n "$dev" ] && break
		sleep 0.1
	done
	[ -n "$dev" ] || { echo "no interface bound to hv_netvsc: $(ls /sys/class/net)"; grep -i netvsc /tmp/insmod.log; exit 1; }
	s=/sys/class/net/$dev
	echo "net_dev=$dev net_mac=$(cat $s/address)"
	ip addr add "$ip/24" dev "$dev"
	ip link set "$dev" up
	i=0
	while [ "$(cat $s/carrier 2>/dev/null)" != 1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	echo "net_carrier=$(cat $s/carrier 2>/dev/null)"
	echo "net_addr=$(ip addr show dev "$dev" | sed -n 's/.*inet \([0-9.]*\/[0-9]*\).*/\1/p' | head -n 1)"
	# The first ping may wait for ARP.
	ping -c 5 -i 0.2 -W 5 "$peer" > /tmp/ping.txt 2>&1
	echo "ping_sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/ping.txt)" \
		"ping_received=$(sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' /tmp/ping.txt)"
	echo NET-READY
	# The listener's program gets the connection as stdin.
	printf '#!/bin/sh\nexec cat > /tmp/got\n' > /tmp/sink.sh
	chmod +x /tmp/sink.sh
	: > /tmp/got
	echo NET-LISTEN
	timeout 300 nc -l -p 5001 -e /tmp/sink.sh
	got=$(head -n 1 /tmp/got | tr -d ' \r')
	echo "nc_got=${got:-none}"
	echo "guest-$got" > /tmp/tx
	i=0
	until nc "$peer" 5002 < /tmp/tx 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge 600 ] && { echo "nc: the host never listened on port 5002"; break; }
		sleep 0.2
	done
	echo "nc_sent_after=$i"
	st=$s/statistics
	echo "guest_rx_packets=$(cat $st/rx_packets) guest_tx_packets=$(cat $st/tx_packets)" \
		"guest_rx_errors=$(cat $st/rx_errors) guest_tx_errors=$(cat $st/tx_errors)"
fi
if [ "$(arg rig.wait)" = 1 ]; then
	echo "RIG-READY"
	sleep 600
	echo "still running 600 s after RIG-READY"
	exit 1
fi
if [ "$(arg rig.reboot)" = 1 ] && [ "$n" -lt 2 ]; then
	echo "rebooting"
	reboot -f
	sleep 30
	echo "reboot -f: still running 30 s later"
	exit 1
fi
