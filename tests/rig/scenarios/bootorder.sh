#!/bin/bash
# rig: firmware
# --boot: the firmware's boot order from hvkvm's fw_cfg "bootorder". One VM with the
# installed Debian disk (LUN 0 of StorVSC controller 0) and uefidisk's grub-mkrescue CD
# (the drive at LUN 1), both bootable, and one variable store for both runs:
#  - --boot cdrom,disk: OVMF puts the CD's option first and boots it (the CD's GRUB
#    prints its token, the rig's kernel runs its test and powers off);
#  - --boot disk,cdrom, with BootOrder as the first run stored it (the CD first): the
#    disk's GRUB starts Debian, which reports its boot (rig: boot=1 ... efi=yes) and
#    powers off (rig.then=poweroff from bootorder.drive);
#  - --boot cdrom,disk with a CD that does not boot (rig-data.iso, no El Torito): the
#    firmware tries the CD first, fails, and boots Debian from the disk.
# Each device's option goes through the driver's child for controller 0, Pci(0x0,0x0),
# then Scsi(0x0,LUN). Run by hand (tests/rig/run bootorder build/hvkvm); not in meson's
# rig suite.
. "$(dirname "$0")/../lib.sh"
GUEST_TIMEOUT=${BOOTORDER_TIMEOUT:-1500}
L2_KERNEL=
rom=$(dirname "$HVKVM")/firmware/hvkvm-vmbus.rom
checkx "OVMF is installed" '[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]'
checkx "the driver ROM was built ($rom; gnu-efi)" '[ -r "$rom" ]'
iso=$(dirname "$OUT")/rig-cd.iso
token=$(cat "$(dirname "$OUT")/cd-token" 2>/dev/null)
checkx "the CD image was made ($iso)" '[ -r "$iso" ] && [ -n "$token" ]'
vars=$OUT/vm.vars
rm -f "$vars"
ctl='PciRoot(0x0)/Pci(0x3,0x0)/Pci(0x0,0x0)'
devs=(--disk path=/dev/vda,serial=DEBIAN-ROOT --cdrom "$iso")

# The order hvkvm hands the firmware, without starting it.
n=$("$HVKVM" "${devs[@]}" --boot cdrom,disk --print-config 2>&1 | tr -d ' \n')
ok=no
[[ $n == *'"boot":["cdrom","disk"]'* ]] && ok=yes
check "--print-config shows the order ($ok)" [ "$ok" = yes ]
"$HVKVM" "${devs[@]}" --kernel /dev/null --boot cdrom > /dev/null 2> "$OUT/err1"
r=$?
check "--boot with --kernel: exit 2 ($r; $(head -c 120 "$OUT/err1"))" [ "$r" = 2 ]
"$HVKVM" --disk path=/dev/vda --boot cdrom,disk > /dev/null 2> "$OUT/err2"
r=$?
check "--boot cdrom without --cdrom: exit 2 ($r; $(head -c 120 "$OUT/err2"))" \
	eval '[ "$r" = 2 ] && grep -q "no CD/DVD drive" "$OUT/err2"'

# --- the CD first -------------------------------------------------------------------
guest cdfirst --firmware-vars "$vars" --cpus 2 --memory 1G --stats "${devs[@]}" --boot cdrom,disk
echo "# cdfirst: ${secs}s"
s=$OUT/cdfirst.serial
check "cdfirst: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
l=$(first_boot_option cdfirst)
echo "# cdfirst: ${l:-no boot option started}"
check "cdfirst: the firmware's first option was the CD's, LUN 1 of controller 0" \
	eval '[[ $l == *" from $ctl/Scsi(0x0,0x1)" ]]'
check "cdfirst: GRUB's menu from the CD" grep -a -q 'rig CD (hvkvm)' "$s"
check "cdfirst: GRUB read the token file from the ISO ($token)" grep -a -q "rig: cd token=$token" "$s"
check "cdfirst: Linux from the CD ran its test to the end" grep -a -q 'RIG-END uefi rc=0' "$s"
check "cdfirst: the disk's GRUB did not run" eval '! grep -a -q "Debian GNU/Linux 12 (hvkvm rig)" "$s"'

# --- the disk first, with the store the CD-first run left -------------------------
guest diskfirst --firmware-vars "$vars" --cpus 2 --memory 1G --stats "${devs[@]}" --boot disk,cdrom
echo "# diskfirst: ${secs}s"
s=$OUT/diskfirst.serial
check "diskfirst: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
l=$(first_boot_option diskfirst)
echo "# diskfirst: ${l:-no boot option started}"
check "diskfirst: the firmware's first option was the disk's, LUN 0 of controller 0" \
	eval '[[ $l == *" from $ctl/Scsi(0x0,0x0)" ]]'
check "diskfirst: GRUB's menu from the disk's ESP" grep -a -q 'Debian GNU/Linux 12 (hvkvm rig)' "$s"
l=$(grep -a -o "rig: boot=1 .*" "$s" | tr -d '\r' | tail -n 1)
echo "# diskfirst: ${l:-no report from Debian}"
check "diskfirst: Debian booted from the disk under UEFI (${l##*efi=})" [ "${l##*efi=}" = yes ]
check "diskfirst: the CD's GRUB did not run" eval '! grep -a -q "rig: cd token=" "$s"'

# --- a CD that does not boot falls through to the disk ----------------------------
data=$(dirname "$OUT")/rig-data.iso
checkx "the data CD was made ($data)" '[ -r "$data" ]'
guest fallthrough --firmware-vars "$vars" --cpus 2 --memory 1G --stats --disk path=/dev/vda,serial=DEBIAN-ROOT \
	--cdrom "$data" --boot cdrom,disk
echo "# fallthrough: ${secs}s"
s=$OUT/fallthrough.serial
check "fallthrough: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
grep -a -o -E 'BdsDxe: [a-z ]+ Boot[0-9A-F]* "[^"]*" from [^ ]*' "$s" | tr -d '\r' | sed 's/^/# fallthrough: /'
# The CD's attempt: "BdsDxe: failed to load Boot#### ... from ...: Not Found".
l=$(grep -a -o -E 'BdsDxe: (loading|failed to load) Boot[0-9A-F]* "[^"]*" from [^ ]*' "$s" | tr -d '\r' | head -n 1)
check "fallthrough: the firmware tried the CD first" eval '[[ $l == *"failed to load"*" from $ctl/Scsi(0x0,0x1):" ]]'
l=$(first_boot_option fallthrough)
check "fallthrough: then started the disk's option" eval '[[ $l == *" from $ctl/Scsi(0x0,0x0)" ]]'
# The disk counts its boots: this is its second (diskfirst was the first).
l=$(grep -a -o "rig: boot=2 .*" "$s" | tr -d '\r' | tail -n 1)
echo "# fallthrough: ${l:-no report from Debian}"
check "fallthrough: Debian booted from the disk under UEFI (${l##*efi=})" [ "${l##*efi=}" = yes ]
finish
