# What the boot tests check: CPUs, memory, the clock, how RAM is laid out.
echo "nproc=$(nproc)"
echo "memtotal_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
echo "date=$(date +%s)"
echo "cpus_online=$(cat /sys/devices/system/cpu/online)"
echo "ram_above_4g=$(grep -c '^1[0-9a-f]\{8\}-.* : System RAM' /proc/iomem)"
echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "acpi_tables=$(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
dmesg | grep -iE 'ACPI: (FACP|APIC|DSDT)|smpboot: Allowing|Brought up|RTC time|rtc_cmos|x86/fpu' | sed 's/^/dmesg: /'
dmesg | grep -iE 'error|fail|warn|bug|call trace' | grep -viE 'insmod|hv_|vmbus' | sed 's/^/dmesg-bad: /'
true
