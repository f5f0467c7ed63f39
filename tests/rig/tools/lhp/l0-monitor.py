#!/usr/bin/env python3
"""l0-monitor.py SOCKET CMD...: run QEMU (L0) monitor commands on the rig's monitor socket
(SHARE/.rig/monitor.sock) and print their output, e.g. `sendkey shift`: a key press is
an interrupt for L1 from outside (i8042, IRQ 1), which makes QEMU look at L1's local
APIC again, so an interrupt whose request bit was lost is taken after all."""
import socket
import sys
import time

s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])


def cmd(c):
    s.sendall(c.encode() + b"\n")
    out, end = b"", time.time() + 20
    while time.time() < end:
        try:
            out += s.recv(65536)
        except socket.timeout:
            break
        if out.rstrip().endswith(b"(qemu)"):
            break
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))


cmd("")
for c in sys.argv[2:]:
    cmd(c)
