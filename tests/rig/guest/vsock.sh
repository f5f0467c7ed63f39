# VMBus sockets with Linux's hv_sock (AF_VSOCK, CID 2 the host), driven by socat; the
# host's end is tests/rig/tools/vsock_host.py on hvkvm's --vsock Unix sockets
# (scenarios/vsock.sh). Prints key=value lines and markers the host waits for.
. /tests/lib.sh
# rig.vsock_mib: MiB each way (64 unless the host says)
mib=$(arg rig.vsock_mib)
M=$((${mib:-64} * 1024 * 1024))
sum() { sha256sum "$1" | cut -c1-64; }
echo "hv_sock_loaded=$(grep -c '^hv_sock ' /proc/modules)"
# 1. the guest connects: 64 MiB host to guest (the host ends, then the guest)
t0=$(now)
socat -u VSOCK-CONNECT:2:5001 CREATE:/tmp/a
echo "a_rc=$? a_size=$(wc -c < /tmp/a) a_sum=$(sum /tmp/a) a_secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
rm -f /tmp/a
# 2. the guest connects: 64 MiB guest to host (the guest ends, then the host)
dd if=/dev/urandom of=/tmp/b bs=1M count=${mib:-64} 2>/dev/null
echo "b_sum=$(sum /tmp/b)"
t0=$(now)
socat -u OPEN:/tmp/b VSOCK-CONNECT:2:5002
echo "b_rc=$? b_secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
# 3. the host connects: 64 MiB host to guest (port 6001), 64 MiB guest to host (6002),
# 20 connections at once to an echo server (7000), then "done" on 7999
socat -u VSOCK-LISTEN:6001 CREATE:/tmp/c &
p1=$!
socat -u OPEN:/tmp/b VSOCK-LISTEN:6002 &
p2=$!
socat -t 600 VSOCK-LISTEN:7000,fork,backlog=32 EXEC:cat &
p3=$!
echo VSOCK-LISTENING
wait $p1
echo "c_rc=$? c_size=$(wc -c < /tmp/c) c_sum=$(sum /tmp/c)"
rm -f /tmp/c
wait $p2
echo "d_rc=$?"
socat -u VSOCK-LISTEN:7999 - > /dev/null
# the guest's listener goes: the host's next CONNECT 7000 is refused
kill $p3
wait $p3 2>/dev/null
echo LISTENERS-GONE
# 4. 20 guest connections at once to the host's echo server, each 1 MiB both ways. After
# its input ends socat waits for the rest of the echo (-t); the peer's close ends it at
# once, so the bound only matters on a starved machine, where 20 echoes take minutes.
head -c 1048576 /tmp/b > /tmp/e
esum=$(sum /tmp/e)
i=0
pids=
while [ $i -lt 20 ]; do
	socat -t 600 - VSOCK-CONNECT:2:7001 < /tmp/e > /tmp/e$i &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait $p; done
ok=0
i=0
while [ $i -lt 20 ]; do
	[ "$(sum /tmp/e$i)" = "$esum" ] && ok=$((ok + 1))
	i=$((i + 1))
done
echo "g_echo_ok=$ok"
echo GUEST-ECHO-DONE
# the host says when it is done with its checks
socat -u VSOCK-LISTEN:7998 - > /dev/null
echo "vsock_done=1"
