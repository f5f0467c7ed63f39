# Time HvSignalEvent's fast and slow paths with the benchmark module (bench/guest).
conn=$(sed -n 's/.* bench.conn=\([^ ]*\).*/\1/p' /proc/cmdline)
insmod /bench/hvkvm_signal_bench.ko conn="${conn:-0x2001}" iters=20000 || echo "bench module failed to load"
dmesg | grep -o 'hvkvm-bench: .*'
