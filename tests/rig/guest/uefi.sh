# A guest that UEFI firmware started: the kernel's EFI stub ran and the kernel kept the
# firmware's runtime services.
echo "efi=$([ -d /sys/firmware/efi ] && echo yes || echo no)"
echo "efi_by=$(dmesg | sed -n 's/.*efi: EFI v[0-9.]* by //p' | head -n 1 | tr ' ' _)"
echo "nproc=$(nproc)"
