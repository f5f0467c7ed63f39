# Move every VMBus channel's interrupts to CPU 1 (MODIFYCHANNEL) and check they keep
# arriving there: the heartbeat and time sync ICs talk every few seconds.
hyp_cpu1() { awk '/^ *HYP:/ {print $3}' /proc/interrupts; }
for c in /sys/bus/vmbus/devices/*/channels/*/cpu; do
	echo 1 > "$c" && echo "retargeted=$c"
done
for c in /sys/bus/vmbus/devices/*/channels/*/cpu; do
	echo "target=$(cat "$c")"
done
before=$(hyp_cpu1)
# Until an interrupt arrives on CPU 1 (the ICs talk every few seconds), at most 120 s.
i=0
while [ "$(hyp_cpu1)" -le "$before" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
after=$(hyp_cpu1)
echo "hyp_cpu1_before=$before hyp_cpu1_after=$after"
