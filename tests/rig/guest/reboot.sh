# Boot twice: count boots in a CMOS RAM byte (battery-backed, so it survives the reset),
# reboot the first time, report the second.
. /tests/lib.sh
n=$(count_boot 80)
echo "boot_count=$n"
sh /tests/sysinfo.sh
if [ "$n" -lt 2 ]; then
	echo "rebooting"
	reboot -f
	sleep 30
	echo "reboot -f: still running 30 s later"
	exit 1
fi
