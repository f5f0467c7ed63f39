# A plain PC: no Hyper-V found, and nothing logged at error level or worse.
echo "hyperv_lines=$(dmesg | grep -c -i 'hyper-v')"
echo "vmbus_devices=$(ls /sys/bus/vmbus/devices 2>/dev/null | wc -l)"
echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
dmesg -l err,crit,alert,emerg | grep -v -E 'insmod|Unknown symbol' | sed 's/^/dmesg-err: /'
echo "nproc=$(nproc)"
