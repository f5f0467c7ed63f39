#!/usr/bin/env python3
"""KVM's own counters of one VM for each test a guest benchmark runs.

    kvmstat.py PID SERIAL OUT [API-SOCKET]
    kvmstat.py --snap PID [API-SOCKET]

Runs beside a VMM (hvkvm or QEMU) in the machine that has /dev/kvm, as root. PID is the
VMM's process, or the process that started it (e.g. timeout(1)); the VM's counters are
KVM's debugfs directory /sys/kernel/debug/kvm/<pid>-<fd>/ of that process or of one of
its children, the same files for every VMM. SERIAL is the guest's serial log: at each
"... start test=T bs=B qd=Q" line and at the next "... end test=T bs=B qd=Q" line it
takes a snapshot of every counter (the guest benchmark stays idle for a moment after
both lines so that the snapshot falls between tests), and when the result line "... test=T
bs=B qd=Q ... ops=N" follows, appends to OUT one line:

    kvmstat test=T bs=B qd=Q ops=N late_ms=L exits=D io_exits=D ...

with the change of every counter between the two snapshots (late_ms: the longest time
between a marker line appearing and its snapshot, as far as polling can tell). With
API-SOCKET, hvkvm's management socket (--api-socket), each snapshot also holds hvkvm's
VMBus counters from vm.stats, summed over the channels of one device name:
vmbus.NAME.signals_in, .signals_out, .packets_in, .packets_out. Ends when PID has ended.

With --snap it prints one snapshot of the same counters, "name=value ...", and ends: for
a caller that knows itself when its test starts and ends (bench/net-bench.sh). The serial log is polled every 0.2 s, so the watcher costs no noticeable CPU.
"""
import json
import os
import re
import socket
import sys
import time

DEBUGFS = "/sys/kernel/debug"
POLL = 0.2
MARK = re.compile(r"\b(start|end) test=(\S+) bs=(\d+) qd=(\d+)\s*$")
RESULT = re.compile(r"\btest=(\S+) bs=(\d+) qd=(\d+) .*\bops=(\d+)\b")


def children(pid):
    """The PIDs whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                # The name in parentheses may hold spaces: the fields follow the last ')'.
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(d))
    return out


def vm_dir(pid):
    """KVM's debugfs directory of the newest VM of pid or of a child of pid, or None."""
    base = os.path.join(DEBUGFS, "kvm")
    try:
        names = os.listdir(base)
    except OSError:
        return None
    for p in [pid] + children(pid):
        # KVM names the directory by the thread that created the VM: any of p's threads.
        try:
            ids = {int(t) for t in os.listdir(f"/proc/{p}/task")} | {p}
        except (OSError, ValueError):
            ids = {p}
        mine = [n for n in names if n.split("-")[0].isdigit() and int(n.split("-")[0]) in ids
                and n.split("-")[-1].isdigit()]
        if mine:
            return os.path.join(base, max(mine, key=lambda n: int(n.split("-")[-1])))
    return None


def snapshot(d):
    """Every single-number counter file of the VM's directory (vCPU counters summed)."""
    snap = {}
    try:
        names = os.listdir(d)
    except OSError:
        return None
    for n in names:
        p = os.path.join(d, n)
        if n.endswith("_hist") or not os.path.isfile(p):
            continue
        try:
            with open(p) as f:
                v = f.read().strip()
        except OSError:
            continue
        if v.isdigit():
            snap[n] = int(v)
    return snap


def vmbus_counters(path):
    """hvkvm's VMBus channel counters by device name (vm.stats), {} when not reachable."""
    out = {}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(path)
            s.sendall(b'{"jsonrpc":"2.0","method":"vm.stats","id":1}\n')
            buf = b""
            while True:
                while b"\n" not in buf:
                    data = s.recv(65536)
                    if not data:
                        return out
                    buf += data
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                if msg.get("id") == 1:
                    break
    except (OSError, ValueError):
        return out
    for ch in (msg.get("result") or {}).get("channels") or []:
        # One word: "synthetic video" is vmbus.synthetic_video.*.
        name = re.sub(r"[^A-Za-z0-9_-]", "_", str(ch.get("name", "?")))
        for k in ("signals_in", "signals_out", "packets_in", "packets_out"):
            v = ch.get(k)
            if isinstance(v, int):
                key = f"vmbus.{name}.{k}"
                out[key] = out.get(key, 0) + v
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    # A zombie child of the shell that has not reaped it yet has ended too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def snap_once(args):
    if len(args) not in (1, 2) or not args[0].isdigit():
        sys.stderr.write("usage: kvmstat.py --snap PID [API-SOCKET]\n")
        return 2
    d = vm_dir(int(args[0]))
    snap = snapshot(d) if d else None
    if snap is None:
        sys.stderr.write(f"kvmstat: no KVM debugfs directory for PID {args[0]}\n")
        return 1
    if len(args) == 2:
        snap.update(vmbus_counters(args[1]))
    print(" ".join(f"{k}={snap[k]}" for k in sorted(snap)))
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--snap":
        return snap_once(sys.argv[2:])
    if len(sys.argv) not in (4, 5):
        sys.stderr.write("usage: kvmstat.py PID SERIAL OUT [API-SOCKET]\n")
        return 2
    pid, serial, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    api = sys.argv[4] if len(sys.argv) == 5 else None
    if not os.path.isdir(os.path.join(DEBUGFS, "kvm")):
        sys.stderr.write(f"kvmstat: no {DEBUGFS}/kvm (debugfs not mounted, or no KVM)\n")
        return 1
    pos, buf, d = 0, b"", None
    start = end = None  # (test key, snapshot, lateness in s)
    last_poll = time.monotonic()
    while True:
        running = alive(pid)
        try:
            with open(serial, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            data = b""
        now = time.monotonic()
        pos += len(data)
        buf += data
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            line = raw.decode("ascii", "replace").replace("\r", "")
            m = MARK.search(line)
            if m:
                key = m.group(2, 3, 4)
                if d is None:
                    d = vm_dir(pid)
                snap = snapshot(d) if d else None
                if snap is None:
                    sys.stderr.write(f"kvmstat: no KVM debugfs directory for PID {pid}\n")
                elif api:
                    snap.update(vmbus_counters(api))
                late = time.monotonic() - last_poll
                if m.group(1) == "start":
                    start, end = (key, snap, late), None
                elif start and start[0] == key:
                    end = (key, snap, late)
                continue
            m = RESULT.search(line)
            if m and start and end and end[0] == m.group(1, 2, 3) and start[1] and end[1]:
                t, bs, qd = end[0]
                deltas = " ".join(f"{k}={end[1][k] - start[1].get(k, 0)}" for k in sorted(end[1]))
                with open(out, "a") as f:
                    f.write(f"kvmstat test={t} bs={bs} qd={qd} ops={m.group(4)} "
                            f"late_ms={max(start[2], end[2]) * 1000:.0f} {deltas}\n")
                start = end = None
        last_poll = now
        if not running:
            return 0
        time.sleep(POLL)


if __name__ == "__main__":
    sys.exit(main())
