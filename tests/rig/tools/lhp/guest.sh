# shellcheck shell=sh
# L2 side of the lock-holder preemption reproducer (see lhp_repro.c): run it with the
# lhp.mode= and lhp.secs= of the kernel command line.
arg() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
echo "lhp: guest with $(nproc) CPU(s)"
insmod /lhp/lhp_repro.ko mode="$(arg lhp.mode)" secs="$(arg lhp.secs)" hold_us="$(arg lhp.hold_us)" ||
	echo "lhp: insmod failed"
