# The NetVSC adapter as hv_netvsc sees it, and traffic with the host at the other end of
# its tap. rig.ip: this guest's address (a /24); rig.peer: the host's; rig.mtu: an MTU to
# set first; rig.mib: MiB to move each way (0: no transfers), host to guest in rig.flows
# connections one after the other (default 1); rig.psize: ping payload.
# Prints what it sees as key=value, and NET-READY, NET-RX-LISTEN and NET-TX lines the host
# side waits for: it pings the guest after NET-READY and sends to port 5001 after
# NET-RX-LISTEN; the guest sends to the host's port 5002 after NET-TX, retrying until
# the host listens, and ends when the host connects to port 5009.
# rig.nic=virtio_net: use a virtio-net adapter instead (the benchmark's baseline under
# QEMU; its initramfs loads virtio_net).
. /tests/lib.sh
ip=$(arg rig.ip); peer=$(arg rig.peer); mtu=$(arg rig.mtu); mib=$(arg rig.mib); psize=$(arg rig.psize)
flows=$(arg rig.flows)
nic=$(arg rig.nic)
nic=${nic:-hv_netvsc}
dev=
for i in $(seq 600); do
	for d in /sys/class/net/*; do
		drv=$(readlink "$d/device/driver" 2>/dev/null)
		[ "${drv##*/}" = "$nic" ] && { dev=${d##*/}; break; }
	done
	[ -n "$dev" ] && break
	sleep 0.1
done
[ -n "$dev" ] || { echo "no interface bound to $nic: $(ls /sys/class/net)"; grep -i netvsc /tmp/insmod.log; exit 1; }
s=/sys/class/net/$dev
echo "net_dev=$dev net_mac=$(cat $s/address) net_mtu=$(cat $s/mtu) net_queues=$(ls -d $s/queues/rx-* | wc -l)"
if [ -n "$mtu" ]; then
	ip link set "$dev" mtu "$mtu" || echo "setting mtu $mtu failed"
	echo "net_mtu_set=$(cat $s/mtu)"
fi
ip addr add "$ip/24" dev "$dev"
ip link set "$dev" up
i=0
while [ "$(cat $s/carrier 2>/dev/null)" != 1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "net_carrier=$(cat $s/carrier 2>/dev/null)"
# 20 pings to the host; the first may wait for ARP.
ping -c 20 -i 0.2 -W 5 ${psize:+-s $psize} "$peer" > /tmp/ping.txt 2>&1
echo "ping_sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/ping.txt)" \
	"ping_received=$(sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' /tmp/ping.txt)"
tail -n 1 /tmp/ping.txt
echo NET-READY
if [ "${mib:-0}" -gt 0 ]; then
	# Host to guest: the listener's program gets the connection as stdin.
	printf '#!/bin/sh\nexec cat >> /tmp/rx\n' > /tmp/sink.sh
	chmod +x /tmp/sink.sh
	: > /tmp/rx
	echo NET-RX-LISTEN
	# rig.flows connections, one after the other, their bytes in order.
	f=0
	while [ $f -lt "${flows:-1}" ]; do
		nc -l -p 5001 -e /tmp/sink.sh
		f=$((f + 1))
	done
	echo "rx_bytes=$(wc -c < /tmp/rx) rx_sha=$(sha256sum /tmp/rx | cut -d' ' -f1)"
	rm -f /tmp/rx
	# Guest to host, from a large send buffer: the sender always has more than a
	# segment queued, so its TCP builds multi-segment (TSO) sends.
	echo "4096 4194304 16777216" > /proc/sys/net/ipv4/tcp_wmem
	dd if=/dev/urandom of=/tmp/tx bs=1M count="$mib" 2>/dev/null
	echo "tx_sha=$(sha256sum /tmp/tx | cut -d' ' -f1)"
	echo NET-TX
	i=0
	until nc "$peer" 5002 < /tmp/tx 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge 300 ] && { echo "tx: the host never listened"; break; }
		sleep 0.2
	done
	echo "tx_done=$i"
	rm -f /tmp/tx
fi
st=$s/statistics
echo "guest_rx_packets=$(cat $st/rx_packets) guest_tx_packets=$(cat $st/tx_packets)" \
	"guest_rx_errors=$(cat $st/rx_errors) guest_tx_errors=$(cat $st/tx_errors)" \
	"guest_rx_dropped=$(cat $st/rx_dropped) guest_tx_dropped=$(cat $st/tx_dropped)"
# Stay until the host side is done with us: it connects to port 5009.
timeout 300 nc -l -p 5009 -e /bin/true
echo NET-DONE
