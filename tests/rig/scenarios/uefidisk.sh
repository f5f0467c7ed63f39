#!/bin/bash
# rig: firmware
# An installed Debian 12 (tests/rig/debian-image) boots as a Generation 2 VM does on
# Hyper-V: no --kernel. OVMF loads hvkvm's UEFI driver from the option ROM; the driver
# connects to VMBus and gives the firmware SCSI pass-through on the StorVSC disk; OVMF's
# own SCSI, partition and FAT drivers find the EFI system partition and start GRUB (its
# menu on the serial console); GRUB reads the kernel and initramfs from the ext4 root
# through the same path; the driver leaves VMBus at ExitBootServices and Linux mounts its
# root through hv_storvsc. The system reboots once (the firmware starts again) and then
# powers off (rig.then=reboot-once from uefidisk.drive); hvkvm exits 0.
. "$(dirname "$0")/../lib.sh"
GUEST_TIMEOUT=${UEFIDISK_TIMEOUT:-1500}
L2_KERNEL=
code=/usr/share/OVMF/OVMF_CODE_4M.fd
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
checkx "OVMF is installed ($code)" '[ -r "$code" ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
checkx "the driver ROM was built ($rom; gnu-efi)" '[ -r "$rom" ]'
vars=$OUT/vm.vars
rm -f "$vars"

guest disk1 --firmware uefi --firmware-vars "$vars" --option-rom "$rom" --cpus 2 --memory 1G \
	--stats --disk path=/dev/vda,serial=DEBIAN-ROOT
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
grep -a 'hvkvm-vmbus' "$s" | sed 's/^/# /' | head -20
finish
