# Boot twice: count boots in a CMOS RAM byte (battery-backed, so it survives the reset),
# reboot the first time, report the second.
cmos_index() { printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=112 2>/dev/null; }
cmos_read() { cmos_index "$1"; dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' \n'; }
cmos_write() { cmos_index "$1"; printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek=113 2>/dev/null; }
n=$(cmos_read 80)
n=$((n + 1))
cmos_write 80 "$n"
echo "boot_count=$n"
sh /tests/sysinfo.sh
if [ "$n" -lt 2 ]; then
	echo "rebooting"
	reboot -f
	sleep 30
fi
