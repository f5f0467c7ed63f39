# A guest that hvkvm's UEFI firmware started: how it booted (the EFI stub, the boot
# count in CMOS RAM), ACPI, SMBIOS, PCI, VMBus and its disk, and a UEFI variable that
# the next start must find (rig.efiset=VALUE writes it). With rig.reboot=1 the first
# boot reboots, so that the firmware starts Linux a second time.
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
if [ "$(arg rig.reboot)" = 1 ] && [ "$n" -lt 2 ]; then
	echo "rebooting"
	reboot -f
	sleep 30
	echo "reboot -f: still running 30 s later"
	exit 1
fi
