#!/bin/bash
# A hostile guest (guest/hostile/hostile.c, a kernel module) breaks live VMBus channels
# under hv_storvsc: a write index past the ring (controller 0), a packet longer than
# what was written (controller 1), a read index inside a packet (controller 3);
# on controller 2 it sends malformed vstor requests, and it posts malformed GPADL
# messages through HvPostMessage; on the network adapter's channel it sends RNDIS data
# packets with lying offsets and lengths. hvkvm must log and close those three channels only,
# answer the malformed requests, refuse the GPADLs, and keep serving the rest:
# controller 2's disk reads and writes, the heartbeat goes on, and the shutdown IC
# still powers the guest off, with hvkvm exiting 0.
. "$(dirname "$0")/../lib.sh"
img=/tmp/hostile
mkdir -p "$img"
truncate -s 8M "$img/a.img"
truncate -s 8M "$img/b.img"
truncate -s 8M "$img/d.img"
dd if=/dev/urandom of="$img/c.img" bs=1M count=8 2>/dev/null
c_sha=$(sha256sum "$img/c.img" | cut -d' ' -f1)

# The host side of the guest's network adapter.
ip tuntap add dev hvhost0 mode tap vnet_hdr
ip addr add 10.99.0.1/24 dev hvhost0
ip link set hvhost0 up
guest_start hostile --cpus 1 --memory 512M --log-level debug --stats --net tap=hvhost0 \
	--cmdline "console=ttyS0 rig.test=hostile" \
	--disk path="$img/a.img",controller=0 --disk path="$img/b.img",controller=1 \
	--disk path="$img/c.img",controller=2 --disk path="$img/d.img",controller=3 \
	--api-socket "$img/api.sock"
if wait_serial hostile RIG-READY 400 &&
	wait_for 60 "the guest to negotiate the shutdown IC" ic_negotiated "$img/api.sock" shutdown; then
	kill -TERM "$pid"
fi
guest_wait hostile
s=$OUT/hostile.serial e=$OUT/hostile.err
relid() { grep -a "hostile: host [0-9]*: relid [0-9]*, attack $1" "$s" | sed 's/.*relid \([0-9]*\),.*/\1/' | head -n 1; }
ra=$(relid ring) rb=$(relid pktlen) rc_=$(relid badpkt) rd=$(relid readidx)
echo "# relids: ring $ra, pktlen $rb, readidx $rd, badpkt/gpadl $rc_"
grep -a 'hostile:' "$s" | sed 's/^/# guest: /'
grep -E 'storvsc channel|storvsp|GPADL|open of channel' "$e" | sed 's/^/# hvkvm: /' | head -n 40

check "the module ran every attack" \
	sh -c "grep -aq 'ring attack done' '$s' && grep -aq 'pktlen attack done' '$s' && \
	       grep -aq 'readidx attack done' '$s' && \
	       grep -aq 'badpkt attack done' '$s' && grep -aq 'gpadl attack done' '$s'"
check "ring index: hvkvm closed channel $ra and said why" \
	grep -q "storvsc channel $ra: the guest corrupted its ring" "$e"
check "packet length: hvkvm closed channel $rb and said why" \
	grep -q "storvsc channel $rb: the guest corrupted its ring" "$e"
check "read index: hvkvm closed channel $rd and said why" \
	grep -q "storvsc channel $rd: the guest corrupted its receive ring's read index" "$e"
check "malformed requests: channel $rc_ stayed open" sh -c "! grep -q 'storvsc channel $rc_:' '$e'"
check "malformed requests: hvkvm logged them" grep -q 'storvsp 2: malformed' "$e"
check "malformed requests: each was answered (5 unknown completions in the guest)" [ "$(val hostile incorrect_ids)" = 5 ]
ring_gpadl=$(grep -a "(the live ring's) again" "$s" | sed 's/.*GPADL \([0-9]*\) .*/\1/' | head -n 1)
for id in 2147418113 2147418114 2147418115; do
	check "GPADLs: malformed GPADL $id refused" grep -q "GPADL $id refused" "$e"
done
check "GPADLs: a second GPADL $ring_gpadl (the live ring's id) refused" grep -q "GPADL $ring_gpadl refused" "$e"
check "GPADLs: the body without a header was dropped" grep -q 'GPADL body for GPADL 2147418116 ' "$e"
check "GPADLs: a body past a complete GPADL was dropped" grep -q 'GPADL body for GPADL 2147418118 ' "$e"
check "GPADLs: re-opening the open channel failed" grep -q "open of channel $rc_ failed" "$e"
checkx "controller 2: its disk read the same bytes before and after" \
	'[ "$(val hostile disk_c_before)" = "$c_sha" ] && [ "$(val hostile disk_c_after)" = "$c_sha" ]'
check "controller 2: its disk still writes" [ "$(val hostile disk_c_write)" = ok ]
check "network: the guest reached the host before the attack (3 of 3 pings)" [ "$(val hostile net_before)" = 3 ]
check "rndis: the module sent its 6 lying packets" grep -aq 'rndis attack done: 6 packets' "$s"
check "rndis: hvkvm logged malformed RNDIS data packets" grep -q 'netvsp 0: malformed RNDIS data packet' "$e"
check "rndis: hvkvm logged RNDIS messages outside their pages" grep -q 'netvsp 0: RNDIS ' "$e"
bad=$(sed -n 's/.*netvsp 0 control: [0-9]* RNDIS messages, \([0-9]*\) malformed guest messages.*/\1/p' "$e")
check "rndis: hvkvm counted every lie (${bad:-no} malformed guest messages)" sh -c "[ '${bad:-0}' -ge 6 ]"
check "rndis: each was answered (6 unknown completions in the guest)" [ "$(val hostile invalid_ids)" = 6 ]
check "rndis: the adapter's channel stayed open" sh -c "! grep -q 'netvsc channel [0-9]*: .*closing it' '$e'"
check "network: the guest still reaches the host after the attack (5 of 5 pings)" [ "$(val hostile net_after)" = 5 ]
check "the heartbeat never stopped" sh -c "! grep -q 'stopped answering' '$e'"
check "the shutdown IC powered the guest off" \
	grep -aq 'Shutdown request received - graceful shutdown initiated' "$s"
check "hvkvm exits 0" [ "$rc" = 0 ]
rm -rf "$img"
finish
