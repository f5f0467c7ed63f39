# A hostile guest: /hostile.ko breaks the channels of controllers 0, 1 and 3 (ring
# indices, a packet length), sends malformed requests on controller 2's and malformed
# GPADL messages; controller 2's disk must still read and write right; then lying RNDIS
# packets on the network adapter, which must still carry pings; and the guest then
# waits for the host to shut it down through the shutdown IC.
. /tests/lib.sh
# The SCSI host of the controller whose VMBus instance starts with $1.
host_of() {
	for h in /sys/class/scsi_host/host*; do
		case "$(readlink -f "$h")" in
		*/$1-*) basename "$h" | sed 's/^host//'; return 0 ;;
		esac
	done
	return 1
}
disk_of_host() {
	for b in /sys/block/sd*; do
		case "$(basename "$(readlink "$b/device")")" in
		"$1":*) echo "$(basename "$b")"; return 0 ;;
		esac
	done
	return 1
}
hostile() {
	insmod /hostile.ko "host=$1" "attack=$2" || echo "hostile: insmod for $2 failed"
	rmmod hostile
}
ha=$(host_of f8b3781a); hb=$(host_of f8b3781b); hc=$(host_of f8b3781c); hd=$(host_of f8b3781d)
echo "hosts: a=$ha b=$hb c=$hc d=$hd"
[ -n "$ha" ] && [ -n "$hb" ] && [ -n "$hc" ] && [ -n "$hd" ] || exit 1
dc=$(disk_of_host "$hc")
echo "disk_c=$dc"
# The disks of the controllers about to break go first, while their channels work:
# nothing may wait on them later (not even the cache flush at power-off).
for h in "$ha" "$hb" "$hd"; do
	d=$(disk_of_host "$h") && echo 1 > "/sys/block/$d/device/delete"
done
sha_before=$(dd if="/dev/$dc" bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "disk_c_before=$sha_before"
hostile "$ha" ring
hostile "$hb" pktlen
hostile "$hd" readidx
hostile "$hc" badpkt
hostile "$hc" gpadl
echo "incorrect_ids=$(dmesg | grep -c 'Incorrect transaction ID')"
sha_after=$(dd if="/dev/$dc" bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "disk_c_after=$sha_after"
# and a write that comes back
dd if=/dev/urandom of=/tmp/blk bs=4096 count=1 2>/dev/null
dd if=/tmp/blk of="/dev/$dc" bs=4096 seek=100 oflag=direct conv=notrunc 2>/dev/null
dd if="/dev/$dc" of=/tmp/back bs=4096 skip=100 count=1 iflag=direct 2>/dev/null
cmp -s /tmp/blk /tmp/back && echo "disk_c_write=ok" || echo "disk_c_write=bad"
# The network adapter: pings to the host before and after lying RNDIS packets on its
# primary channel.
pings() { ping -c "$1" -i 0.3 -W 5 10.99.0.1 2>/dev/null | sed -n 's/.*, \([0-9]*\) packets received.*/\1/p'; }
ip addr add 10.99.0.2/24 dev eth0
ip link set eth0 up
echo "net_before=$(pings 3)"
insmod /hostile.ko net=eth0 attack=rndis || echo "hostile: insmod for rndis failed"
rmmod hostile
echo "invalid_ids=$(dmesg | grep -c 'Invalid transaction ID')"
echo "net_after=$(pings 5)"
echo "RIG-READY"
sleep 600
