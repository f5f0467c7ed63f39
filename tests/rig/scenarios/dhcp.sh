#!/bin/bash
# DHCP as an installed Debian does it: dnsmasq serves leases on the tap, and Debian's
# dhclient (isc-dhcp-client, in the L2 initramfs: dhcp.initrd) asks for one on the NetVSC
# adapter. dhclient reads its replies on a raw socket and checks their UDP checksums
# itself, while the host sends them with the checksum left to the device (the tap hands
# them over unfinished once the guest enables receive offloads): hvkvm must finish them.
# The lease must come from dhclient's first exchange, with one vCPU and with two; the
# guest then pings the host from its leased address and the host pings it back.
# Everything happens in a network namespace of L1's that this script creates.
. "$(dirname "$0")/../lib.sh"
dhcp_host_start

# dhcprun NAME CPUS MAC: a guest running guest/dhcp.sh; the host pings its leased address.
dhcprun() {
	local name=$1 cpus=$2 mac=$3 i addr=
	ping_back=
	guest_start "$name" --cpus "$cpus" --memory 512M --stats --net tap=hvtap0,mac="$mac" \
		--cmdline "console=ttyS0 rig.test=dhcp rig.peer=$H"
	if wait_serial "$name" '^DHCP-DONE' 240; then
		addr=$(val "$name" dhcp_addr)
		nsx busybox ping -c 5 -i 0.2 -W 5 "${addr%/*}" > "$OUT/$name.ping" 2>&1
		ping_back=$(sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' "$OUT/$name.ping")
	fi
	for i in $(seq 50); do
		[ -n "$addr" ] && [ "$addr" != none ] || break
		nsx busybox nc "${addr%/*}" 5009 < /dev/null > /dev/null 2>&1 && break
		sleep 0.2
	done
	guest_wait "$name"
	grep -a '^dhclient' "$OUT/$name.serial" | sed "s/^/# $name: /"
}

# checks NAME CPUS MAC
checks() {
	local name=$1 cpus=$2 mac=$3 addr
	addr=$(val "$name" dhcp_addr)
	check "$name: exit 0" [ "$rc" = 0 ]
	check "$name: link up in the guest" [ "$(val "$name" net_carrier)" = 1 ]
	check "$name: dhclient got its lease ($(val "$name" dhcp_secs) s)" [ "$(val "$name" dhclient_rc)" = 0 ]
	check "$name: on its first exchange: one DHCPDISCOVER, one DHCPREQUEST" \
		both [ "$(val "$name" dhcp_discover)" = 1 ] [ "$(val "$name" dhcp_request)" = 1 ]
	check "$name: no bad UDP checksums in dhclient's log" [ "$(val "$name" dhcp_bad_csum)" = 0 ]
	check "$name: the leased address ($addr) is configured, in the server's range" \
		sh -c "echo '$addr' | grep -qE '^10\.78\.0\.([5-9][0-9])/24\$'"
	check "$name: the server leased it to this guest's MAC" \
		grep -q "DHCPACK(hvtap0) ${addr%/*} $mac" "$OUT/dnsmasq.log"
	check "$name: 5 pings guest to host, 0 lost" \
		both [ "$(val "$name" ping_sent)" = 5 ] [ "$(val "$name" ping_received)" = 5 ]
	check "$name: 5 pings host to guest, 0 lost" [ "$ping_back" = 5 ]
	check "$name: $cpus vCPU(s) in the guest" [ "$(hstat "$name" 'channels')" = "$cpus" ]
	# The offer and the ack at least reached the guest with their checksums vouched for.
	check "$name: hvkvm vouched for received checksums ($(hstat "$name" checksum-verified))" \
		between "$(hstat "$name" checksum-verified)" 2 100000
}
both() {
	local a=(); while [ "$1" != "]" ]; do a+=("$1"); shift; done; a+=("]"); shift
	"${a[@]}" && "$@"
}

dhcprun one 1 00:15:5d:78:00:02
checks one 1 00:15:5d:78:00:02
dhcprun two 2 00:15:5d:78:00:03
checks two 2 00:15:5d:78:00:03
echo "# hvkvm: $(grep -a 'netvsp 0' "$OUT/one.err" | tr -s ' ' | tr '\n' ' ')"
sed 's/^/# dnsmasq: /' "$OUT/dnsmasq.log" | grep -E 'DHCP(DISCOVER|OFFER|REQUEST|ACK)'

dhcp_host_stop
finish
