# The disk benchmark (bench/guest/diskbench.c, in the initramfs as /bench/diskbench) on
# the disk with SCSI serial BENCH (hvkvm's StorVSC) or else /dev/vda (QEMU's
# virtio-blk). rig.secs=: seconds per test; rig.tests=: tests, comma separated.
# After each result line, the interrupts the guest took during that test.
. /tests/lib.sh
[ -x /bench/diskbench ] || { echo "no /bench/diskbench in the initramfs"; exit 1; }
dev=$(disk_by_serial BENCH) || dev=/dev/vda
[ -b "$dev" ] || { echo "no benchmark disk (serial BENCH or /dev/vda)"; exit 1; }
q=/sys/block/$(basename "$dev")/queue
# The same block layer above both drivers: no I/O scheduler.
echo none > "$q/scheduler" 2>/dev/null
echo "diskbench_dev=$dev scheduler=$(cat "$q/scheduler") hw_queues=$(ls -d "$q"/../mq/* 2>/dev/null | wc -l) max_sectors_kb=$(cat "$q/max_sectors_kb") max_segments=$(cat "$q/max_segments") nproc=$(nproc)"
secs=$(arg rig.secs)
tests=$(arg rig.tests)
[ -n "$tests" ] || tests=seqwrite:1m:1,seqread:1m:1,randread:4k:1,randread:4k:16
# Interrupts by kind, summed over CPUs: device (the disk's queues), HYP (VMBus), HVS
# (stimer), LOC (LAPIC timer), CAL+RES (IPIs).
irqs() {
	awk '$1 ~ /^[0-9]+:$/ && /virtio[0-9]-req/ {k = "dev"} $1 == "HYP:" {k = "HYP"} $1 == "HVS:" {k = "HVS"}
	     $1 == "LOC:" {k = "LOC"} $1 == "CAL:" || $1 == "RES:" {k = "IPI"}
	     k != "" {for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s[k] += $i; k = ""}
	     END {printf "dev=%d HYP=%d HVS=%d LOC=%d IPI=%d\n", s["dev"], s["HYP"], s["HVS"], s["LOC"], s["IPI"]}' /proc/interrupts
}
rc=0
for t in $(echo "$tests" | tr , ' '); do
	before=$(irqs)
	/bench/diskbench -t "${secs:-5}" "$dev" "$t" || rc=1
	after=$(irqs)
	echo "$before $after" | awk '{for (i = 1; i <= 5; i++) {split($i, a, "="); split($(i + 5), b, "="); printf "%s%s=%d", (i > 1 ? " " : "diskbench irqs "), a[1], b[2] - a[2]} print ""}'
done
exit $rc
