# Socket throughput for bench/vsock-bench.sh: rig.mib MiB from the host to this guest and
# rig.mib MiB back, with socat, once for each address in rig.targets (comma-separated
# socat address prefixes such as VSOCK-CONNECT:2 or TCP:10.78.0.1; the port is appended).
# The guest makes every connection: host to guest on port 5001, the host sending a file
# and closing; guest to host on port 5002, the host counting what it got and answering
# with the count. Times are the guest's: from before the connect to its end of file (host
# to guest), or to the host's count arriving (guest to host). rig.ip: put this address
# (/24) on the hv_netvsc adapter first and ping rig.peer.
. /tests/lib.sh
mib=$(arg rig.mib); mib=${mib:-64}
ip=$(arg rig.ip); peer=$(arg rig.peer)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
echo "sb_vsock_modules=$(grep -o -E '^(hv_sock|vmw_vsock_virtio_transport) ' /proc/modules | tr -d ' ' | tr '\n' ,)"
if [ -n "$ip" ]; then
	dev=$(netvsc_dev 60) || { echo "sb_error=no hv_netvsc interface"; exit 1; }
	ip addr add "$ip/24" dev "$dev"
	ip link set "$dev" up
	for i in $(seq 60); do ping -c 1 -W 1 "$peer" > /dev/null 2>&1 && break; done
	echo "sb_net_dev=$dev sb_ping=$i"
fi
i=0
for to in $(arg rig.targets | tr , ' '); do
	t0=$(now)
	n=$(socat -b 131072 -u "$to:5001" - | wc -c)
	echo "sb${i}_h2g_bytes=$n sb${i}_h2g_secs=$(secs "$t0" "$(now)")"
	t0=$(now)
	dd if=/dev/zero bs=128k count=$((mib * 8)) 2> /dev/null | socat -b 131072 -t 600 - "$to:5002" | {
		read -r n
		echo "sb${i}_g2h_bytes=$n sb${i}_g2h_secs=$(secs "$t0" "$(now)")"
		cat > /dev/null
	}
	i=$((i + 1))
done
echo "sb_done=1"
