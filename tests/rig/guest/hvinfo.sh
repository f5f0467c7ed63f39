# What the Hyper-V tests check: how the guest kernel took hvkvm's Hyper-V interface.
dmesg | grep -E 'Hypervisor detected|Hyper-V|hyperv|clocksource|tsc:|clockevent|hv_vmbus|Vmbus|vmbus' | sed 's/^/dmesg: /'
echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for d in /sys/devices/system/clockevents/clockevent*; do
	echo "clockevent=$(basename "$d"):$(cat "$d/current_device" 2>/dev/null | tr ' ' '_')"
done
echo "nproc=$(nproc)"
echo "date=$(date +%s)"
grep -E '^ *(RES|CAL|TLB|HYP|HRE|HVS|LOC):' /proc/interrupts | tr -s ' ' | sed 's/^/interrupts: /'
