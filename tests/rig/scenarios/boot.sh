#!/bin/bash
# Boot Debian's unmodified kernel in hvkvm: SMP, memory above 4 GiB, the clock, reboot,
# power-off, an ELF vmlinux, a triple fault, and the console in both directions.
. "$(dirname "$0")/../lib.sh"

# --- 2 vCPUs, 1 GiB ------------------------------------------------------------------
guest smp2 --cpus 2 --memory 1G --cmdline "console=ttyS0 rig.test=sysinfo"
check "smp2: hvkvm exits 0 after the guest powers off" [ "$rc" = 0 ]
check "smp2: the guest reached its initramfs and ran the test" grep -aq 'RIG-END sysinfo rc=0' "$OUT/smp2.serial"
check "smp2: nproc is 2 ($(val smp2 nproc))" [ "$(val smp2 nproc)" = 2 ]
mem=$(val smp2 memtotal_kb)
check "smp2: MemTotal is about 1 GiB ($mem kB)" between "$mem" 900000 1048576
d=$(val smp2 date)
check "smp2: guest date $d is the host's ($t0..$t1)" between "$d" $((t0 - 2)) $((t1 + 2))
check "smp2: the kernel found the FADT, MADT and DSDT" \
	[ "$(grep -a -c -E 'dmesg: .*ACPI: (FACP|APIC|DSDT)' "$OUT/smp2.serial")" -ge 3 ]
boot_smp2=$secs

# --- 1 vCPU, 5 GiB: RAM above 4 GiB ----------------------------------------------------
guest highmem --cpus 1 --memory 5G --cmdline "console=ttyS0 rig.test=highmem"
check "highmem: hvkvm exits 0" [ "$rc" = 0 ]
check "highmem: nproc is 1" [ "$(val highmem nproc)" = 1 ]
mem=$(val highmem memtotal_kb)
check "highmem: MemTotal is about 5 GiB ($mem kB)" between "$mem" 4900000 5242880
check "highmem: /proc/iomem has System RAM above 4 GiB" [ "$(val highmem ram_above_4g)" -ge 1 ]
before=$(val highmem normal_free_before)
after=$(val highmem normal_free_after)
checkx "highmem: 128 MiB of tmpfs came from ZONE_NORMAL, above 4 GiB ($before -> $after free pages)" \
	'[ -n "$before" ] && [ -n "$after" ] && [ $((before - after)) -ge 30000 ]'
check "highmem: the data read back intact" [ "$(val highmem highmem_readback)" = ok ]

# --- reboot: the guest restarts, CMOS RAM survives ----------------------------------
guest reboot --cpus 2 --memory 512M --cmdline "console=ttyS0 rig.test=reboot"
check "reboot: hvkvm exits 0 after the second boot powers off" [ "$rc" = 0 ]
check "reboot: first boot counted 1" grep -aq 'boot_count=1' "$OUT/reboot.serial"
check "reboot: second boot counted 2" grep -aq 'boot_count=2' "$OUT/reboot.serial"
check "reboot: the second boot saw 2 CPUs" [ "$(val reboot nproc)" = 2 ]
check "reboot: hvkvm logged the reset" grep -q 'guest reset' "$OUT/reboot.err"

guest noreboot --cpus 1 --memory 512M --no-reboot --cmdline "console=ttyS0 rig.test=reboot"
check "--no-reboot: hvkvm exits 3 when the guest reboots" [ "$rc" = 3 ]
check "--no-reboot: only one boot" [ "$(count noreboot 'boot_count=')" = 1 ]

# --- triple fault: Linux's reboot=t resets by faulting ------------------------------------
guest triple --cpus 1 --memory 512M --cmdline "console=ttyS0 reboot=t rig.test=sysinfo rig.end=reboot"
check "triple fault: hvkvm exits 4" [ "$rc" = 4 ]
checkx "triple fault: reported with the vCPU's registers" \
	'grep -q "triple fault" "$OUT/triple.err" && grep -q "rip" "$OUT/triple.err"'

# --- an uncompressed ELF vmlinux, extracted from the same bzImage ----------------------
u8() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '; }
setup=$(( ($(u8 "$L2_KERNEL" $((0x1f1))) + 1) * 512 ))
poff=$(u32 "$L2_KERNEL" $((0x248)))
plen=$(u32 "$L2_KERNEL" $((0x24c)))
tail -c +$((setup + poff + 1)) "$L2_KERNEL" | head -c "$plen" | xz -dc --single-stream > /tmp/vmlinux 2>/dev/null
check "vmlinux: extracted an ELF from the bzImage" [ "$(head -c 4 /tmp/vmlinux | od -An -c | tr -d ' ')" = '177ELF' ]
L2_KERNEL_SAVED=$L2_KERNEL
L2_KERNEL=/tmp/vmlinux guest elf --cpus 2 --memory 1G --cmdline "console=ttyS0 rig.test=sysinfo"
checkx "vmlinux: boots to the initramfs and powers off" \
	'[ "$rc" = 0 ] && grep -aq "RIG-END sysinfo rc=0" "$OUT/elf.serial"'
check "vmlinux: nproc is 2" [ "$(val elf nproc)" = 2 ]
L2_KERNEL=$L2_KERNEL_SAVED
rm -f /tmp/vmlinux

# --- the console both ways: host stdin reaches the guest's shell ----------------------
mkfifo /tmp/console-in
(
	# Type only once the shell prompts: the guest's driver drops what arrives before.
	in_console() { grep -aqE "$1" "$OUT/console.out" 2>/dev/null; }
	wait_for "$GUEST_TIMEOUT" "the guest shell's prompt" in_console '^[~/][^ ]* # ' >&2
	printf 'echo typed-$((6 * 7))\n'
	wait_for 120 "the output of the typed command" in_console '^typed-42' >&2
	printf 'poweroff -f\n'
	# Hold the pipe open (no end of input) until hvkvm has exited and this is killed.
	exec sleep "$GUEST_TIMEOUT"
) > /tmp/console-in &
feeder=$!
t0=$(date +%s)
timeout -k 5 "$GUEST_TIMEOUT" "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 1 \
	--memory 512M --serial stdio < /tmp/console-in > "$OUT/console.out" 2> "$OUT/console.err"
rc=$?
kill $feeder 2>/dev/null
rm -f /tmp/console-in
cp "$OUT/console.out" "$OUT/console.serial"
check "console: hvkvm exits 0 after 'poweroff -f' typed on stdin" [ "$rc" = 0 ]
check "console: the guest ran what was typed (typed-42)" grep -aq 'typed-42' "$OUT/console.out"

# --- hvkvm's own memory: RSS without guest RAM ------------------------------------------
"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 1G --serial "file:$OUT/rss.serial" \
	--cmdline "console=ttyS0 rig.test=sysinfo rig.end=hang" 2> "$OUT/rss.err" &
pid=$!
wait_for "$GUEST_TIMEOUT" "the guest's RIG-END" grep -aq 'RIG-END' "$OUT/rss.serial"
rss=$(awk '/^RssAnon|^RssFile/ {s += $2} END {print s}' /proc/$pid/status)
shm=$(awk '/^RssShmem/ {print $2}' /proc/$pid/status)
echo "# hvkvm RSS excluding guest RAM: ${rss} kB (guest RAM touched: ${shm} kB)"
kill -KILL $pid; wait $pid 2>/dev/null
check "hvkvm's own RSS is under 16 MiB (${rss} kB)" [ "${rss:-999999}" -lt 16384 ]

# --- setup errors that need KVM to be looked at: one line, exit 2 ----------------------
unshare -m sh -c 'mount -t tmpfs tmpfs /dev && exec "$0" --kernel "$1"' "$HVKVM" "$L2_KERNEL" \
	> /dev/null 2> "$OUT/nokvm.txt" < /dev/null
rc=$?
checkx "no /dev/kvm: exit 2 with one line naming it ($(cat "$OUT/nokvm.txt"))" \
	'[ $rc = 2 ] && [ "$(wc -l < "$OUT/nokvm.txt")" = 1 ] && grep -q "^hvkvm: /dev/kvm: No such file or directory" "$OUT/nokvm.txt"'
"$HVKVM" --kernel "$L2_KERNEL" --memory 32M --serial none > /dev/null 2> "$OUT/small.txt" < /dev/null
rc=$?
checkx "--memory 32M: exit 2 saying the kernel needs more ($(cat "$OUT/small.txt"))" \
	'[ $rc = 2 ] && [ "$(wc -l < "$OUT/small.txt")" = 1 ] && grep -q "give more --memory" "$OUT/small.txt"'

echo "# boot to power-off with 2 vCPUs: ${boot_smp2}s"
finish
