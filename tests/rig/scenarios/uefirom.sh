#!/bin/bash
# rig: firmware
# hvkvm with --firmware uefi and --option-rom the driver ROM meson built
# (build/firmware/hvkvm-vmbus.rom, from firmware/hvkvm-vmbus.c with gnu-efi): OVMF's PCI
# bus driver finds the EFI driver in the function's expansion ROM and starts it, which
# says so on COM1; at ExitBootServices the driver hides the function, so Linux's PCI
# scan does not find it. A reboot brings the function back for the firmware, which loads
# the driver again. ("# rig: firmware" asks for the emulator that runs firmware in L2.)
. "$(dirname "$0")/../lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
checkx "OVMF is installed ($code)" '[ -r "$code" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
checkx "the driver ROM was built ($rom; gnu-efi)" '[ -r "$rom" ]'

guest rom1 --stats --firmware uefi --option-rom "$rom" --cpus 2 --memory 1G \
	--cmdline "console=ttyS0 rig.test=uefivm rig.reboot=1"
check "rom1: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
loaded=$(grep -a -c 'hvkvm-vmbus: driver loaded from the option ROM' "$OUT/rom1.serial")
check "rom1: OVMF loaded the driver from the ROM at each of the two boots ($loaded)" [ "$loaded" = 2 ]
check "rom1: both boots were UEFI's" [ "$(grep -a -c '^efi=yes' "$OUT/rom1.serial")" = 2 ]
check "rom1: first boot counted 1" grep -aq 'boot_count=1' "$OUT/rom1.serial"
check "rom1: second boot counted 2" grep -aq 'boot_count=2' "$OUT/rom1.serial"
check "rom1: the second boot ran the test to its end" grep -aq 'RIG-END uefivm rc=0' "$OUT/rom1.serial"
check "rom1: Linux listed the PCI functions both times" \
	[ "$(grep -a -c 'pci=0000:00:00.0_0x8086_0x1237' "$OUT/rom1.serial")" = 2 ]
hid=$(grep -c 'option ROM function: hidden by the guest' "$OUT/rom1.err")
check "rom1: the driver wrote the hide register at each ExitBootServices ($hid)" [ "$hid" = 2 ]
seen=$(grep -a -c 'pci=0000:00:03.0' "$OUT/rom1.serial")
check "rom1: so Linux's PCI scan never found 00:03.0 ($seen)" [ "$seen" = 0 ]
check "rom1: hvkvm logged the reset" grep -q 'guest reset' "$OUT/rom1.err"
grep -a 'hvkvm-vmbus' "$OUT/rom1.serial" | sed 's/^/# /'
# Exits of both boots (--stats), to compare runs: the ROM is memory, read without exits.
grep -E '^  vcpu ' "$OUT/rom1.err" | sed 's/^ */# rom1: /'
finish
