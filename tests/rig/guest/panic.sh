# Crash the kernel on the first boot (sysrq c); on a later boot (--on-crash=reset) say so.
. /tests/lib.sh
n=$(count_boot 81)
echo "panic_boot=$n"
if [ "$n" -lt 2 ]; then
	echo c > /proc/sysrq-trigger
	sleep 30
	echo "sysrq c: no panic 30 s later"
	exit 1
fi
