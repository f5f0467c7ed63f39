#!/bin/bash
# rig: firmware
# An installed Debian 12 (tests/rig/debian-image) boots as a Generation 2 VM does on
# Hyper-V: no --kernel (nor --firmware or --option-rom: their defaults, Debian's OVMF and
# the driver ROM beside hvkvm, build/firmware/hvkvm-vmbus.rom). OVMF loads hvkvm's UEFI driver from the option ROM; the driver
# connects to VMBus and gives the firmware SCSI pass-through on the StorVSC disk; OVMF's
# own SCSI, partition and FAT drivers find the EFI system partition and start GRUB (its
# menu on the serial console); GRUB reads the kernel and initramfs from the ext4 root
# through the same path; the driver leaves VMBus at ExitBootServices and Linux mounts its
# root through hv_storvsc. The system reboots once (the firmware starts again) and then
# powers off (rig.then=reboot-once from uefidisk.drive); hvkvm exits 0. The firmware
# makes its boot option for the disk by itself (no --boot, so no bootorder from hvkvm):
# its device path is the option ROM function's, the driver's child for StorVSC
# controller 0 (Pci(0x0,0x0)), then Scsi(0,0).
# RIG_ARG_UEFIDISK_STARTS=N starts the same VM N more times (two boots each).
# A second guest boots the same way from a CD (--cdrom, a LUN of StorVSC controller 0)
# made by grub-mkrescue (uefidisk.drive): OVMF's El Torito support finds GRUB, which
# reads a file with a random token from the ISO and starts the rig's kernel from it.
. "$(dirname "$0")/../lib.sh"
GUEST_TIMEOUT=${UEFIDISK_TIMEOUT:-1500}
L2_KERNEL=
code=/usr/share/OVMF/OVMF_CODE_4M.fd
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
checkx "OVMF is installed ($code)" '[ -r "$code" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
checkx "the driver ROM was built ($rom; gnu-efi)" '[ -r "$rom" ]'
vars=$OUT/vm.vars
rm -f "$vars"

dflt=$("$HVKVM" --disk path=/dev/vda --print-config 2>&1 | tr -d ' ,' | grep -E '^"(firmware|option-rom)"' | tr '\n' ' ')
check "without --kernel hvkvm takes OVMF and the driver ROM beside it ($dflt)" \
	[ "$dflt" = "\"firmware\":\"$code\" \"option-rom\":\"$(readlink -f "$rom")\" " ]
guest disk1 --firmware-vars "$vars" --cpus 2 --memory 1G --stats --disk path=/dev/vda,serial=DEBIAN-ROOT
echo "# disk1: ${secs}s"
s=$OUT/disk1.serial
check "disk1: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
n=$(grep -a -c 'Debian GNU/Linux 12 (hvkvm rig)' "$s")
check "disk1: GRUB's menu from the disk's ESP on the serial console ($n times)" [ "$n" -ge 2 ]
n=$(grep -a -c 'rig: GRUB loads the kernel' "$s")
check "disk1: GRUB loaded the kernel from the disk at both boots ($n)" [ "$n" = 2 ]
for b in 1 2; do
	l=$(grep -a -o "rig: boot=$b .*" "$s" | tr -d '\r' | tail -n 1)
	echo "# disk1: ${l:-no report from boot $b}"
	check "disk1: boot $b: UEFI started Linux (${l##*efi=})" [ "${l##*efi=}" = yes ]
done
n=$(grep -a -c 'rig: fsck: .*/dev/sda2' "$s")
check "disk1: the root was on the StorVSC disk's second partition, /dev/sda2 ($n)" [ "$n" -ge 2 ]
check "disk1: the guest rebooted into the firmware" grep -q 'guest reset' "$OUT/disk1.err"
n=$(grep -c 'guest connected' "$OUT/disk1.err")
check "disk1: VMBus was connected by the firmware and by Linux at both boots ($n)" [ "$n" -ge 4 ]
# The driver's contact, its UNLOAD at ExitBootServices, then Linux's contact, at each boot
# (C connected, U unloaded, R the guest's reset).
seq=$(grep -o -E 'vmbus: guest (connected|unloaded)|guest reset' "$OUT/disk1.err" |
	sed -e 's/.*connected/C/' -e 's/.*unloaded/U/' -e 's/guest reset/R/' | tr -d '\n')
check "disk1: firmware contact, UNLOAD, Linux's contact at both boots ($seq)" \
	eval '[[ $seq =~ ^CUCU?RCUCU?$ ]]'
n=$(grep -a -c -E 'hvkvm-vmbus: StorVSC controller 0 relid [0-9]+: SCSI pass-through' "$s")
check "disk1: the driver gave StorVSC controller 0 SCSI pass-through at both boots ($n)" [ "$n" = 2 ]
# The option the firmware made for the disk: through the driver's child for controller
# 0, Pci(0x0,0x0) under the option ROM's function.
chan='/Pci(0x0,0x0)'
n=$(grep -a -c -F 'BdsDxe: starting Boot' "$s")
m=$(grep -a -F 'BdsDxe: starting Boot' "$s" | grep -a -c -F "from PciRoot(0x0)/Pci(0x3,0x0)$chan/Scsi(0x0,0x0)")
l=$(grep -a -o 'BdsDxe: starting [^"]*"[^"]*"' "$s" | head -n 1)
checkx "disk1: the firmware booted its option for the disk through the driver at both boots ($m of $n; ${l#BdsDxe: starting })" \
	'[ "$n" -ge 2 ] && [ "$m" = "$n" ]'
grep -a 'hvkvm-vmbus' "$s" | sed 's/^/# /' | head -20

# --- the same VM started again, RIG_ARG_UEFIDISK_STARTS times (default 0): each start
# boots the firmware twice (GRUB's rig.then=reboot-once), from the disk, to Linux's report.
starts=${RIG_ARG_UEFIDISK_STARTS:-0}
good=0 times=
for i in $(seq "$starts"); do
	guest again$i --firmware-vars "$vars" --cpus 2 --memory 1G --disk path=/dev/vda,serial=DEBIAN-ROOT
	s=$OUT/again$i.serial
	n=$(grep -a -c -E 'rig: boot=[0-9]+ .*efi=yes' "$s")
	m=$(grep -a -c -E 'hvkvm-vmbus: StorVSC controller 0 relid [0-9]+: SCSI pass-through' "$s")
	echo "# again$i: exit $rc after ${secs}s, $n UEFI boots of Linux, $m through the driver"
	[ "$rc" = 0 ] && [ "$n" = 2 ] && [ "$m" = 2 ] && good=$((good + 1))
	times="$times ${secs}s"
done
[ "$starts" = 0 ] || check "again: $starts more starts, each two firmware boots from the disk to Linux's report ($good of $starts:$times)" \
	[ "$good" = "$starts" ]

# --- the CD: GRUB from an El Torito image, through the same driver ---------------------
iso=$(dirname "$OUT")/rig-cd.iso
token=$(cat "$(dirname "$OUT")/cd-token" 2>/dev/null)
checkx "cd1: the CD image was made ($iso)" '[ -r "$iso" ] && [ -n "$token" ]'
guest cd1 --firmware uefi --option-rom "$rom" --cpus 2 --memory 1G --stats --cdrom "$iso"
echo "# cd1: ${secs}s"
s=$OUT/cd1.serial
check "cd1: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
n=$(grep -a -c -E 'hvkvm-vmbus: StorVSC controller 0 relid [0-9]+: SCSI pass-through' "$s")
check "cd1: the driver gave StorVSC controller 0 SCSI pass-through ($n)" [ "$n" = 1 ]
l=$(first_boot_option cd1)
echo "# cd1: ${l:-no boot option started}"
check "cd1: the firmware booted the CD through the driver's controller" \
	eval '[[ $l == *"$chan/Scsi(0x0,0x0)" ]]'
check "cd1: GRUB's menu from the CD on the serial console" grep -a -q 'rig CD (hvkvm)' "$s"
check "cd1: GRUB read the token file from the ISO ($token)" grep -a -q "rig: cd token=$token" "$s"
check "cd1: Linux from the CD ran its test to the end" grep -a -q 'RIG-END uefi rc=0' "$s"
check "cd1: UEFI started Linux ($(val cd1 efi))" [ "$(val cd1 efi)" = yes ]
seq=$(grep -o -E 'vmbus: guest (connected|unloaded)' "$OUT/cd1.err" |
	sed -e 's/.*connected/C/' -e 's/.*unloaded/U/' | tr -d '\n')
check "cd1: firmware contact, UNLOAD, Linux's contact ($seq)" eval '[[ $seq =~ ^CUCU?$ ]]'
finish
