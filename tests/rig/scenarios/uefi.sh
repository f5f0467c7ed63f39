#!/bin/bash
# rig: firmware
# hvkvm with --firmware uefi (Debian's OVMF) and --kernel: the firmware finds the kernel,
# initrd and command line in fw_cfg, as from QEMU's -kernel, and starts the kernel's EFI
# stub. In the guest: UEFI, ACPI without errors, SMBIOS, the i440FX host bridge, VMBus
# 5.3 with a disk; a UEFI variable the guest writes is there at the next start of hvkvm
# with the same variable store; a reboot starts the firmware again; power-off ends
# hvkvm with 0. ("# rig: firmware" asks for the emulator that runs firmware in L2.)
. "$(dirname "$0")/../lib.sh"
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
for n in uefi1 uefi2; do grep -E '^  vcpu ' "$OUT/$n.err" | sed "s/^ */# $n: /"; done
finish
