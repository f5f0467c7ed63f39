#!/bin/bash
# VMBus sockets (--vsock) with Linux's hv_sock in the guest and socat on both ends of each
# test in the guest (guest/vsock.sh), the host's end on hvkvm's Unix sockets
# (tools/vsock_host.py): 64 MiB each way with matching checksums over connections the
# guest makes and over connections the host makes, 20 connections at once each way (an
# echo of 1 MiB on each), each side's end of file seen by the other, and a CONNECT to a
# port the guest no longer listens on closed without OK. With the seccomp sandbox on.
# 256 MiB through VMBus and sha256sum over it in the guest: slow under emulation.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-1800}
. "$(dirname "$0")/../lib.sh"
dir=/tmp/vsock
rm -rf "$dir"
mkdir -p "$dir"
vs=$dir/vs
# RIG_ARG_VSOCK_MIB: MiB each way (default 64).
mib=${RIG_ARG_VSOCK_MIB:-64}
M=$((mib * 1024 * 1024))
tool() { /usr/bin/python3 "$(dirname "$0")/../tools/vsock_host.py" "$@"; }
# hval FILE KEY: the value of KEY=... in one of the tool's outputs.
hval() { grep -a -o "$2=[^ ]*" "$OUT/$1" 2>/dev/null | tail -n 1 | cut -d= -f2-; }
# checkall [ A ] [ B ] ...: every test holds.
checkall() {
	local a
	while [ $# -gt 0 ]; do
		a=()
		while [ "$1" != "]" ]; do a+=("$1"); shift; done
		a+=("]"); shift
		"${a[@]}" || return 1
	done
}
# connect_retry FILE ARGS...: the guest's listener may start a moment after its marker;
# a CONNECT it did not answer closes without OK (after hvkvm's 5 s), then try again.
connect_retry() {
	local f=$1 i; shift
	for i in 1 2 3 4 5; do
		tool connect "$vs" "$@" > "$OUT/$f"
		[ "$(hval "$f" ok_line)" != none ] && return 0
		echo "# $f: no OK on try $i"
	done
	return 1
}

tool serve "${vs}_5001" $M seedA > "$OUT/serve.txt" 2>&1 &
tool sink "${vs}_5002" > "$OUT/sink.txt" 2>&1 &
tool echo "${vs}_7001" 20 > "$OUT/gecho.txt" 2>&1 &
wait_for 120 "the host's listeners" sh -c "grep -q ready=1 $OUT/serve.txt && grep -q ready=1 $OUT/sink.txt && grep -q ready=1 $OUT/gecho.txt"

guest_start vm --memory 1G --stats --vsock path="$vs" --cmdline "console=ttyS0 rig.test=vsock rig.vsock_mib=$mib"
if wait_serial vm '^VSOCK-LISTENING' 1200; then
	connect_retry c.txt 6001 send $M seedC
	connect_retry d.txt 6002 recv
	tool connect "$vs" 7000 echo 20 1048576 > "$OUT/hecho.txt" 2>&1
	connect_retry done1.txt 7999 recv
fi
if wait_serial vm '^LISTENERS-GONE' 1200; then
	tool connect "$vs" 7000 refused > "$OUT/refused.txt" 2>&1
fi
wait_serial vm '^GUEST-ECHO-DONE' 600 && connect_retry done2.txt 7998 recv
guest_wait vm
for f in serve sink gecho c d hecho refused; do sed "s/^/# $f: /" "$OUT/$f.txt" 2>/dev/null; done
grep -a -E '^(hv_sock|a_|b_|c_|d_|g_echo)' "$OUT/vm.serial" | sed 's/^/# guest: /'

check "exit 0" [ "$rc" = 0 ]
check "hv_sock loaded in the guest" [ "$(val vm hv_sock_loaded)" = 1 ]
check "guest connects, host to guest: $(val vm a_size) bytes in $(val vm a_secs) s, checksums match" \
	checkall [ "$(val vm a_rc)" = 0 ] [ "$(val vm a_size)" = $M ] [ "$(val vm a_sum)" = "$(hval serve.txt sent_sum)" ]
check "guest connects, host to guest: the host saw the guest's end of file" [ "$(hval serve.txt peer_eof)" = 1 ]
check "guest connects, guest to host: $(hval sink.txt got) bytes in $(val vm b_secs) s, checksums match" \
	checkall [ "$(val vm b_rc)" = 0 ] [ "$(hval sink.txt got)" = $M ] [ "$(hval sink.txt got_sum)" = "$(val vm b_sum)" ]
check "host connects: OK line ($(hval c.txt ok_line))" sh -c "echo '$(hval c.txt ok_line)' | grep -qE '^OK_[0-9]+\$'"
check "host connects, host to guest: $(val vm c_size) bytes, checksums match, the guest's end seen" \
	checkall [ "$(val vm c_rc)" = 0 ] [ "$(val vm c_size)" = $M ] [ "$(val vm c_sum)" = "$(hval c.txt sent_sum)" ] [ "$(hval c.txt peer_eof)" = 1 ]
check "host connects, guest to host: $(hval d.txt got) bytes, checksums match" \
	checkall [ "$(hval d.txt got)" = $M ] [ "$(hval d.txt got_sum)" = "$(val vm b_sum)" ]
check "host connects 20 at once to the guest's echo: $(hval hecho.txt echo_ok) of 20 echoed 1 MiB whole" \
	checkall [ "$(hval hecho.txt echo_conns)" = 20 ] [ "$(hval hecho.txt echo_ok)" = 20 ]
check "guest connects 20 at once to the host's echo: $(val vm g_echo_ok) of 20 whole (host: $(hval gecho.txt echoed) served, $(hval gecho.txt echo_peak) at once)" \
	checkall [ "$(val vm g_echo_ok)" = 20 ] [ "$(hval gecho.txt echoed)" = 20 ]
check "the guest's listener gone: CONNECT closed without OK ($(hval refused.txt refused_secs) s)" \
	checkall [ "$(hval refused.txt refused)" = 1 ] [ "$(hval refused.txt refused_line)" = - ]
check "the guest finished" [ "$(val vm vsock_done)" = 1 ]
echo "# hvkvm: $(grep -a -E 'TL_CONNECT|RESCIND' "$OUT/vm.err" | tr -s ' ' | tr '\n' ' ')"
finish
