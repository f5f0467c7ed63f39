#!/bin/bash
# rig: firmware
# UEFI firmware in L2: Debian's OVMF under Debian's QEMU with KVM and its in-kernel irqchip
# in L1 (the reference VMM; hvkvm takes no part), starting GRUB from a FAT disk and GRUB
# starting Debian's kernel, RIG_ARG_FIRMWARE_BOOTS times in a row (default 3). What it
# proves is L0's: that the emulator survives what firmware in L2 does (l0_qemu in
# tests/rig/rig; the "# rig: firmware" line above asks for that emulator).
. "$(dirname "$0")/../lib.sh"
boots=${RIG_ARG_FIRMWARE_BOOTS:-3}
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
checkx "OVMF is installed ($code, $vars)" '[ -r "$code" ] && [ -r "$vars" ]'

# The ESP: GRUB as the removable-media boot loader, the kernel and the L2 initramfs
# beside it, given to L2 as a FAT disk (QEMU's vvfat) of this directory.
esp=$OUT/esp
mkdir -p "$esp/EFI/BOOT"
cp "$L2_KERNEL" "$esp/vmlinuz"
cp "$L2_INITRD" "$esp/initrd"
cat > "$OUT/grub.cfg" <<'CFG'
echo "RIG-GRUB loading Linux"
search --no-floppy --set=root --file /vmlinuz
linux /vmlinuz console=ttyS0 panic=-1 quiet rig.test=uefi
initrd /initrd
boot
CFG
mods="normal search search_fs_file fat part_msdos part_gpt linux echo configfile"
grub-mkstandalone -O x86_64-efi -o "$esp/EFI/BOOT/BOOTX64.EFI" --locales= --fonts= --themes= \
	--install-modules="$mods" --modules="$mods" "boot/grub/grub.cfg=$OUT/grub.cfg" \
	> "$OUT/grub-mkstandalone.txt" 2>&1
check "grub-mkstandalone made the EFI boot loader" [ -s "$esp/EFI/BOOT/BOOTX64.EFI" ]

ok=0 times=
for i in $(seq 1 "$boots"); do
	n=uefi$i
	cp "$vars" "$OUT/$n.vars"
	s0=$(date +%s.%N)
	rc=0
	timeout -k 5 "$GUEST_TIMEOUT" qemu-system-x86_64 -machine q35,accel=kvm,kernel-irqchip=on \
		-cpu host -smp 1 -m 512M -nodefaults -display none -no-reboot \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
		-drive "if=pflash,format=raw,unit=1,file=$OUT/$n.vars" \
		-drive "file=fat:$esp,format=raw,if=virtio,readonly=on" \
		-serial "file:$OUT/$n.serial" > "$OUT/$n.err" 2>&1 < /dev/null || rc=$?
	secs=$(echo "$(date +%s.%N) $s0" | awk '{printf "%.1f", $1 - $2}')
	echo "# boot $i: QEMU exit $rc after ${secs}s"
	check "boot $i: QEMU exits 0 after the guest powers off" [ "$rc" = 0 ]
	check "boot $i: OVMF started GRUB from the FAT disk" grep -aq 'RIG-GRUB loading Linux' "$OUT/$n.serial"
	check "boot $i: Linux ran the test to its end" grep -aq 'RIG-END uefi rc=0' "$OUT/$n.serial"
	checkx "boot $i: Linux found UEFI (efi=$(val $n efi), by $(val $n efi_by))" \
		'[ "$(val $n efi)" = yes ] && [ -n "$(val $n efi_by)" ]'
	if [ "$rc" = 0 ] && [ "$(val $n efi)" = yes ]; then
		ok=$((ok + 1))
		times="$times ${secs}s"
	fi
done
echo "# firmware boots: $ok of $boots to Linux under UEFI:$times"
finish
