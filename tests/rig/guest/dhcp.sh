# Debian's DHCP client (isc-dhcp-client's dhclient, which reads its replies on a raw
# socket and checks their UDP checksums itself) takes a lease for the NetVSC adapter
# from the host's DHCP server, on its first exchange: one try (-1), nothing repeated.
# rig.peer: the host's address. Prints key=value lines and DHCP-DONE; ends when the
# host connects to port 5009.
. /tests/lib.sh
peer=$(arg rig.peer)
dev=$(netvsc_dev 5) || { echo "no interface bound to hv_netvsc: $(ls /sys/class/net)"; exit 1; }
s=/sys/class/net/$dev
echo "net_dev=$dev net_mac=$(cat $s/address)"
ip link set "$dev" up
i=0
while [ "$(cat $s/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "net_carrier=$(cat $s/carrier 2>/dev/null)"

# A minimal dhclient-script: the address and the router of a lease, nothing else.
mkdir -p /etc/dhcp /var/lib/dhcp
cat > /sbin/dhclient-script <<'SCRIPT'
#!/bin/sh
echo "dhclient-script: $reason $interface ${new_ip_address:-} ${new_subnet_mask:-}" >> /tmp/dhclient-script.log
case "$reason" in
PREINIT) ip link set "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT)
	ifconfig "$interface" "$new_ip_address" netmask "$new_subnet_mask" up || exit 1
	for r in $new_routers; do route add default gw "$r" dev "$interface"; break; done ;;
EXPIRE|FAIL|RELEASE|STOP) ip addr flush dev "$interface" ;;
esac
exit 0
SCRIPT
chmod +x /sbin/dhclient-script
# One try: dhclient's first DHCPDISCOVER must bring the offer (resent only after 10 s).
printf 'timeout 40;\ninitial-interval 10;\n' > /etc/dhcp/dhclient.conf
t0=$(now)
dhclient -1 -v -4 -cf /etc/dhcp/dhclient.conf -lf /var/lib/dhcp/dhclient.leases \
	-pf /tmp/dhclient.pid -sf /sbin/dhclient-script "$dev" > /tmp/dhclient.log 2>&1
rc=$?
t1=$(now)
sed 's/^/dhclient: /' /tmp/dhclient.log
sed 's/^/dhclient: /' /tmp/dhclient-script.log 2>/dev/null
addr=$(ip -4 -o addr show dev "$dev" | awk '{print $4}' | head -n 1)
echo "dhclient_rc=$rc dhcp_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
	"dhcp_discover=$(grep -c '^DHCPDISCOVER' /tmp/dhclient.log)" \
	"dhcp_request=$(grep -c '^DHCPREQUEST' /tmp/dhclient.log)" \
	"dhcp_bad_csum=$(grep -c 'bad udp checksums' /tmp/dhclient.log)" \
	"dhcp_addr=${addr:-none}"
# The leased address talks to the host.
ping -c 5 -i 0.2 -W 5 "$peer" > /tmp/ping.txt 2>&1
echo "ping_sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/ping.txt)" \
	"ping_received=$(sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' /tmp/ping.txt)"
st=$s/statistics
echo "guest_rx_packets=$(cat $st/rx_packets) guest_rx_errors=$(cat $st/rx_errors)" \
	"guest_rx_dropped=$(cat $st/rx_dropped)"
echo DHCP-DONE
[ -f /tmp/dhclient.pid ] && kill "$(cat /tmp/dhclient.pid)" 2>/dev/null
# Without an address the host cannot reach us: nothing to wait for.
[ -n "$addr" ] || exit 1
# Stay until the host side is done with us: it connects to port 5009.
timeout 120 nc -l -p 5009 -e /bin/true
