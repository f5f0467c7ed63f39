#!/bin/bash
# The benchmarks that need a real KVM; runs inside the rig's L1 (see bench/run).
# Environment: HVKVM, L2_KERNEL, L2_INITRD, OUT; BENCH_RUNS (default 3), BENCH_SECTIONS
# (default "boot rss signal disk"), and the BENCH_DISK_* settings of the disk section.
set -u
: "${HVKVM:?}" "${L2_KERNEL:?}" "${L2_INITRD:?}" "${OUT:?}"
mkdir -p "$OUT"
RUNS=${BENCH_RUNS:-3}
want() { case " ${BENCH_SECTIONS:-boot rss signal disk} " in *" $1 "*) return 0 ;; esac; return 1; }

# One row of the summary table bench/run prints: what, ratio, what the ratio means.
summary() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$OUT/summary"; }

# xratio A B: A/B as "1.23x", "n/a" unless both were measured.
xratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
elapsed() { local s; s=$(date +%s.%N); "$@" > /dev/null 2>&1 < /dev/null; echo "$(date +%s.%N) $s" | awk '{printf "%.2f", $1 - $2}'; }

# Boot to the initramfs, run one command and power off: hvkvm against QEMU with KVM.
if want boot; then
	cmd="console=ttyS0 rig.test=sysinfo"
	for i in $(seq 1 "$RUNS"); do
		elapsed "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 1G \
			--serial "file:$OUT/boot-hvkvm.log" --cmdline "$cmd" >> "$OUT/boot-hvkvm.times"; echo >> "$OUT/boot-hvkvm.times"
		elapsed qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 1G -kernel "$L2_KERNEL" \
			-initrd "$L2_INITRD" -append "$cmd" -display none -nodefaults -no-reboot \
			-serial "file:$OUT/boot-qemu.log" >> "$OUT/boot-qemu.times"; echo >> "$OUT/boot-qemu.times"
	done
	h=$(grep . "$OUT/boot-hvkvm.times" | median)
	q=$(grep . "$OUT/boot-qemu.times" | median)
	r=$(echo "$q $h" | awk '{printf "%.2f", $1 / $2}')
	echo "boot to power-off, 2 vCPUs, 1 GiB (median of $RUNS): hvkvm ${h}s, qemu -enable-kvm ${q}s, qemu/hvkvm ${r}x"
	summary "boot to power-off (hvkvm ${h} s, qemu ${q} s)" "${r}x" "qemu time / hvkvm time"
fi

# hvkvm's own memory once the guest is up: RSS without the guest RAM it maps.
if want rss; then
	"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 1G --serial "file:$OUT/rss.log" \
		--cmdline "console=ttyS0 rig.test=sysinfo rig.end=hang" > /dev/null 2>&1 &
	pid=$!
	for i in $(seq 1 600); do grep -aq RIG-END "$OUT/rss.log" 2>/dev/null && break; sleep 0.1; done
	rss=$(awk '/^RssAnon|^RssFile/ {s += $2} END {print s}' /proc/$pid/status)
	shm=$(awk '/^RssShmem/ {print $2}' /proc/$pid/status)
	kill -KILL $pid; wait $pid 2>/dev/null
	echo "hvkvm RSS without guest RAM: ${rss} kB (guest RAM touched: ${shm} kB)"
	# QEMU the same way, its guest RAM in a memfd too, so that shared memory is guest RAM.
	qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 1G -object memory-backend-memfd,id=ram,size=1G \
		-machine memory-backend=ram -kernel "$L2_KERNEL" -initrd "$L2_INITRD" \
		-append "console=ttyS0 rig.test=sysinfo rig.end=hang" -display none -nodefaults -no-reboot \
		-serial "file:$OUT/rss-qemu.log" > /dev/null 2>&1 < /dev/null &
	pid=$!
	for i in $(seq 1 600); do grep -aq RIG-END "$OUT/rss-qemu.log" 2>/dev/null && break; sleep 0.1; done
	qrss=$(awk '/^RssAnon|^RssFile/ {s += $2} END {print s}' /proc/$pid/status)
	kill -KILL $pid; wait $pid 2>/dev/null
	echo "qemu -enable-kvm RSS without guest RAM: ${qrss} kB"
	if [ -n "$rss" ] && [ -n "$qrss" ]; then
		summary "RSS without guest RAM (hvkvm ${rss} kB, qemu ${qrss} kB)" \
			"$(echo "$qrss $rss" | awk '{printf "%.1fx", $1 / $2}')" "qemu RSS / hvkvm RSS"
	fi
fi

# HvSignalEvent: KVM's ioeventfd (fast) against the exit through hvkvm (slow).
if want signal; then
	"$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 1 --memory 512M --serial "file:$OUT/signal.log" \
		--cmdline "console=ttyS0 rig.test=signalbench" > /dev/null 2>&1 < /dev/null
	line=$(grep -a -o 'hvkvm-bench: signal.*' "$OUT/signal.log" | tail -n 1)
	fast=$(echo "$line" | sed -n 's/.*fast_ns=\([0-9]*\).*/\1/p')
	slow=$(echo "$line" | sed -n 's/.*slow_ns=\([0-9]*\).*/\1/p')
	if [ -n "$fast" ] && [ -n "$slow" ]; then
		echo "HvSignalEvent from the guest: fast path (ioeventfd) ${fast} ns, slow path (exit to hvkvm) ${slow} ns, slow/fast $(echo "$slow $fast" | awk '{printf "%.2f", $1 / $2}')x"
		echo "  ($line)"
		summary "HvSignalEvent (fast ${fast} ns, slow ${slow} ns)" \
			"$(echo "$slow $fast" | awk '{printf "%.2fx", $1 / $2}')" "slow path time / fast path time"
	else
		echo "HvSignalEvent: no result (see $OUT/signal.log)"
	fi
fi

# StorVSC against QEMU's virtio-blk: O_DIRECT I/O from the guest (bench/guest/diskbench.c)
# on the same image in L1, with the same host cache mode (L1's /tmp is tmpfs, which has
# no O_DIRECT, so both use the page cache), the same vCPUs and memory. BENCH_DISK_PATH
# puts the disk elsewhere instead, e.g. on a block device of L1 (rig run --drive), and
# BENCH_DISK_CACHE sets both VMMs' cache mode (writeback, or none: O_DIRECT, where the
# back end's requests complete later, not inside their submission as on tmpfs).
if want disk; then
	DISK_SECS=${BENCH_DISK_SECS:-5}
	DISK_MIB=${BENCH_DISK_MIB:-256}
	DISK_TESTS=${BENCH_DISK_TESTS:-seqwrite:1m:1,seqread:1m:1,randread:4k:1,randread:4k:16}
	DISK_CACHE=${BENCH_DISK_CACHE:-writeback}
	QEMU_AIO=${BENCH_QEMU_AIO:-io_uring}
	img=${BENCH_DISK_PATH:-/tmp/bench-disk.img}
	# Every block allocated up front, so that no run reads holes the other wrote.
	[ -b "$img" ] || dd if=/dev/zero of="$img" bs=1M count="$DISK_MIB" 2>/dev/null
	cmd="console=ttyS0 rig.test=diskbench rig.secs=$DISK_SECS rig.tests=$DISK_TESTS"
	gtimeout=$(( 120 + 10 * DISK_SECS * $(echo "$DISK_TESTS" | tr , '\n' | wc -l) ))
	# KVM's own counters of each VM (debugfs), the same files for both VMMs: exits by
	# reason, interrupts injected, hypercalls, per test (bench/kvmstat.py).
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	kvmstat=$(dirname "${BASH_SOURCE[0]}")/kvmstat.py
	# watched SYS RUN API CMD...: run the VMM CMD with the watcher beside it, which
	# appends one line per test to $OUT/kvmstat-SYS-RUN.txt; API: hvkvm's management
	# socket, for its VMBus counters too, or "".
	watched() {
		local log=$OUT/disk-$1-$2.log counts=$OUT/kvmstat-$1-$2.txt api=$3 vpid
		shift 3
		rm -f "$log" "$counts"
		"$@" &
		vpid=$!
		python3 "$kvmstat" "$vpid" "$log" "$counts" ${api:+"$api"} 2>> "$OUT/kvmstat.err" &
		wait "$vpid"
		wait $!
	}
	for i in $(seq 1 "$RUNS"); do
		api=/tmp/bench-hvkvm-$i.sock
		watched hvkvm "$i" "$api" timeout -k 5 "$gtimeout" "$HVKVM" --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --cpus 2 --memory 1G \
			--disk path="$img",serial=BENCH,cache="$DISK_CACHE" --stats --api-socket "$api" \
			--serial "file:$OUT/disk-hvkvm-$i.log" --cmdline "$cmd" > /dev/null 2> "$OUT/disk-hvkvm-$i.err" < /dev/null
		rm -f "$api"
		watched qemu "$i" "" timeout -k 5 "$gtimeout" qemu-system-x86_64 -enable-kvm -cpu host -smp 2 -m 1G -kernel "$L2_KERNEL" \
			-initrd "$L2_INITRD" -append "$cmd" -display none -nodefaults -no-reboot \
			-drive file="$img",if=virtio,format=raw,cache="$DISK_CACHE",aio="$QEMU_AIO" \
			-serial "file:$OUT/disk-qemu-$i.log" > /dev/null 2> "$OUT/disk-qemu-$i.err" < /dev/null
	done
	# disk_metric SYS TEST BS QD KEY: the median of KEY over the runs' result lines.
	disk_metric() {
		cat "$OUT"/disk-"$1"-*.log 2>/dev/null | tr -d '\r' |
			awk -v t="$2" -v b="$3" -v q="$4" -v k="$5" '
				/^diskbench test=/ {
					delete f
					for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
					if (f["test"] == t && f["bs"] == b && f["qd"] == q && (k in f)) print f[k]
				}' | median
	}
	# kvm_per_op SYS TEST BS QD KEY: the median over the runs of KVM counter KEY per
	# request (its change during the test / the test's requests).
	kvm_per_op() {
		cat "$OUT"/kvmstat-"$1"-*.txt 2>/dev/null |
			awk -v t="$2" -v b="$3" -v q="$4" -v k="$5" '
				$1 == "kvmstat" {
					delete f
					for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
					if (f["test"] == t && f["bs"] == b && f["qd"] == q && f["ops"] > 0 && (k in f))
						printf "%.2f\n", f[k] / f["ops"]
				}' | median
	}
	# The longest a snapshot came after its marker line (ms, all runs of both VMMs).
	kvm_late() { cat "$OUT"/kvmstat-*.txt 2>/dev/null | tr ' ' '\n' | sed -n 's/^late_ms=//p' | sort -n | tail -n 1; }
	echo "StorVSC (hvkvm) against virtio-blk (qemu -enable-kvm -cpu host, aio=$QEMU_AIO), O_DIRECT in the guest, 2 vCPUs, 1 GiB,"
	if [ -n "${BENCH_DISK_PATH:-}" ]; then where="$img"; else where="a $DISK_MIB MiB image on L1's tmpfs"; fi
	echo "  $where with cache=$DISK_CACHE; $DISK_SECS s per test, median of $RUNS runs; ratio hvkvm/qemu, above 1.0x: hvkvm faster"
	for spec in $(echo "$DISK_TESTS" | tr , ' '); do
		IFS=: read -r kind bs qd <<< "$spec"
		case "$bs" in *[kK]) bytes=$(( ${bs%?} * 1024 )) ;; *[mM]) bytes=$(( ${bs%?} * 1048576 )) ;; *) bytes=$bs ;; esac
		case "$kind" in seq*) key=mib_s unit=MiB/s ;; *) key=iops unit=IOPS ;; esac
		h=$(disk_metric hvkvm "$kind" "$bytes" "$qd" "$key")
		q=$(disk_metric qemu "$kind" "$bytes" "$qd" "$key")
		if [ -n "$h" ] && [ -n "$q" ]; then
			ratio=$(echo "$h $q" | awk '{printf "%.2fx", ($2 > 0 ? $1 / $2 : 0)}')
		else
			ratio="no result (see $OUT/disk-*.log)"
		fi
		printf '  %-9s %4s qd %-3s  hvkvm %10s %-5s  qemu %10s %-5s  hvkvm/qemu %s\n' "$kind" "$bs" "$qd" \
			"${h:--}" "$unit" "${q:--}" "$unit" "$ratio"
		summary "StorVSC $kind $bs qd $qd (hvkvm ${h:--}, virtio-blk ${q:--} $unit)" "$ratio" \
			"hvkvm / qemu virtio-blk"
		# The same test through KVM's counters: per request, hvkvm / qemu.
		line="" he="" qe="" hi="" qi=""
		for key in exits irq_injections io_exits mmio_exits halt_exits hypercalls insn_emulation irq_window_exits; do
			hk=$(kvm_per_op hvkvm "$kind" "$bytes" "$qd" "$key")
			qk=$(kvm_per_op qemu "$kind" "$bytes" "$qd" "$key")
			line+="${line:+; }$key ${hk:--} / ${qk:--}"
			case $key in exits) he=$hk qe=$qk ;; irq_injections) hi=$hk qi=$qk ;; esac
		done
		# hvkvm's own VMBus counters of the same test (vm.stats): StorVSC signals.
		si=$(kvm_per_op hvkvm "$kind" "$bytes" "$qd" vmbus.storvsc.signals_in)
		so=$(kvm_per_op hvkvm "$kind" "$bytes" "$qd" vmbus.storvsc.signals_out)
		line+="; hvkvm StorVSC signals in ${si:--} out ${so:--}"
		printf '  %-9s %4s qd %-3s  per I/O, hvkvm / qemu: %s\n' "$kind" "$bs" "$qd" "$line"
		summary "StorVSC $kind $bs qd $qd, KVM exits per I/O (hvkvm ${he:--}, virtio-blk ${qe:--})" \
			"$(xratio "$he" "$qe")" "hvkvm / qemu exits per I/O (below 1.0x: hvkvm exits less)"
		summary "StorVSC $kind $bs qd $qd, interrupts injected per I/O (hvkvm ${hi:--}, virtio-blk ${qi:--})" \
			"$(xratio "$hi" "$qi")" "hvkvm / qemu injected interrupts per I/O (below 1.0x: fewer)"
	done
	late=$(kvm_late)
	if [ -z "$late" ]; then
		echo "  (no KVM counters: see $OUT/kvmstat.err)"
	elif [ "$late" -ge 1000 ]; then
		echo "  (KVM counters: a snapshot came up to $late ms after its marker, later than the guest's 1 s pause: the counts above may mix in a test's start or end)"
	fi
	# hvkvm's own counters (--stats, whole runs including boot): VMBus signals of the
	# StorVSC channels per SCSI request.
	for i in $(seq 1 "$RUNS"); do
		tr -d '\r' < "$OUT/disk-hvkvm-$i.err" 2>/dev/null | awk '
			$1 == "vmbus" && $2 == "channel" && $4 == "storvsc" { si += $12; so += $14 }
			$1 == "storvsp" { for (i = 1; i < NF; i++) if ($(i + 1) == "SCSI" && $(i + 2) == "requests,") r += $i }
			END { if (r > 0) printf "%d %.2f %.2f\n", r, si / r, so / r }'
	done > "$OUT/disk-hvkvm-signals"
	if [ -s "$OUT/disk-hvkvm-signals" ]; then
		echo "  hvkvm --stats, whole runs with boot (median): $(awk '{print $1}' "$OUT/disk-hvkvm-signals" | median) SCSI requests;" \
			"StorVSC signals per request: guest to host $(awk '{print $2}' "$OUT/disk-hvkvm-signals" | median)," \
			"host to guest $(awk '{print $3}' "$OUT/disk-hvkvm-signals" | median)"
	fi
	[ -n "${BENCH_DISK_PATH:-}" ] || rm -f "$img"
fi
