#!/bin/bash
# rig: firmware
# hvkvm with --firmware uefi and --option-rom the driver ROM meson built
# (build/firmware/hvkvm-vmbus.rom, from firmware/hvkvm-vmbus.c with gnu-efi): OVMF's PCI
# bus driver finds the EFI driver in the function's expansion ROM and starts it, which
# says so on COM1; at ExitBootServices the driver hides the function, so Linux's PCI
# scan does not find it. In between, the driver connects to VMBus (5.3) and lists the
# offers on COM1, opens the StorVSC controller's channel for SCSI pass-through, and at
# ExitBootServices it sends UNLOAD (with that channel still open) and turns the SynIC and
# the hypercall page off; Linux then connects afresh and its disk works. A reboot brings the
# function back for the firmware, which loads the driver again. Linux's efifb draws
# into the frame buffer of the driver's graphics output, which outlives the UNLOAD.
# ("# rig: firmware" asks for the emulator that runs firmware in L2.)
. "$(dirname "$0")/../lib.sh"
code=/usr/share/OVMF/OVMF_CODE_4M.fd
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
checkx "OVMF is installed ($code)" '[ -r "$code" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
checkx "the driver ROM was built ($rom; gnu-efi)" '[ -r "$rom" ]'

truncate -s 64M "$OUT/disk.img"
guest rom1 --stats --firmware uefi --option-rom "$rom" --cpus 2 --memory 1G \
	--disk path="$OUT/disk.img",serial=ROM-DISK --cmdline "console=ttyS0 rig.test=uefivm rig.reboot=1"
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

# --- VMBus in the firmware, then in Linux --------------------------------------------
fwbus=$(grep -a -c 'hvkvm-vmbus: VMBus 5\.3, [0-9]* offers' "$OUT/rom1.serial")
check "rom1: the driver connected to VMBus 5.3 at each boot ($fwbus)" [ "$fwbus" = 2 ]
scsi=$(grep -a -c 'hvkvm-vmbus: offer ba6163d9-04a1-4d29-b605-72e2ffb1dc7f relid [0-9]' "$OUT/rom1.serial")
check "rom1: and listed the SCSI controller's offer each time ($scsi)" [ "$scsi" = 2 ]
pt=$(grep -a -c -E 'hvkvm-vmbus: StorVSC controller 0 relid [0-9]+: SCSI pass-through' "$OUT/rom1.serial")
check "rom1: and gave it SCSI pass-through each time, its channel open until the UNLOAD ($pt)" [ "$pt" = 2 ]
conn=$(grep -c 'vmbus: guest connected with protocol 5.3' "$OUT/rom1.err")
check "rom1: hvkvm saw two VMBus 5.3 contacts a boot, firmware's and Linux's ($conn)" [ "$conn" = 4 ]
# The events of each boot, in order: C contact, U unload (R: the reset between boots).
seq=$(grep -o -E 'vmbus: guest connected|vmbus: guest unloaded|guest reset: restarting' "$OUT/rom1.err" |
	sed 's/.*connected/C/; s/.*unloaded/U/; s/.*restarting/R/' | tr -d '\n')
echo "# VMBus events (C contact, U unload, R reset): $seq"
check "rom1: each boot: the firmware's contact, its UNLOAD, then Linux's contact ($seq)" \
	sh -c "echo '$seq' | grep -qE '^CUCU?RCUCU?\$'"
# The EFI stub hands Linux the driver's graphics output as screen_info; the device keeps
# the VRAM mapped after the UNLOAD, so efifb's console draws there and the boot goes on.
fb=$(grep -a -c 'efifb: framebuffer at 0xfd000000, using 3072k' "$OUT/rom1.serial")
check "rom1: Linux's efifb took the firmware's frame buffer at 0xfd000000 at both boots ($fb)" [ "$fb" = 2 ]
check "rom1: and its console drew there both times" \
	[ "$(grep -a -c 'Console: switching to colour frame buffer device 128x48' "$OUT/rom1.serial")" = 2 ]
check "rom1: Linux negotiated VMBus 5.3 after the firmware ($(val rom1 vmbus_version))" [ "$(val rom1 vmbus_version)" = 5.3 ]
check "rom1: Linux's storvsc sees the 64 MiB disk both times" \
	[ "$(grep -a -c -E 'disk=sd[a-z] size_bytes=67108864 .*serial=ROM-DISK' "$OUT/rom1.serial")" = 2 ]
# (hvkvm's own lines: --stats adds a table with a line "hypercalls that failed N")
check "rom1: no hypercall or SynIC error in hvkvm's log" \
	sh -c "! grep -a '^hvkvm:' '$OUT/rom1.err' | grep -iE 'synic|hypercall' | grep -qiE 'error|refus|fail'"
hcf=$(sed -n 's/^ *hypercalls that failed *\([0-9][0-9]*\)$/\1/p' "$OUT/rom1.err" | tail -n 1)
check "rom1: --stats counted no failed hypercall (${hcf:-no count})" [ "$hcf" = 0 ]
grep -a 'hvkvm-vmbus' "$OUT/rom1.serial" | sed 's/^/# /'
# Exits of both boots (--stats), to compare runs: the ROM is memory, read without exits.
grep -E '^  vcpu ' "$OUT/rom1.err" | sed 's/^ */# rom1: /'
finish
