#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A VNC viewer for checks: RFB 3.8 (RFC 6143) over a Unix socket or TCP, security
type None, with the Python standard library only. It connects, prints what the
server offers, then runs the steps given, in order, on that one connection, one
line of output each:

  security TYPES                the security types the server offered (None taken)
  init WxH name=NAME            ServerInit
  frame WxH rects=N -> PNG      frame=PNG: SetPixelFormat (32 bits, true colour, R G B X
                                in memory, not the server's own B G R X) and Raw, a
                                non-incremental FramebufferUpdateRequest for the whole
                                screen, written to PNG (RGB)
  keys N                        type=TEXT: KeyEvent down and up for each character
                                (its keysym); key=NAME: the same for Return, Tab,
                                Escape or BackSpace
  click X,Y                     click=X,Y or click=max (the bottom right pixel):
                                PointerEvent with button 1 down at X,Y, then up
  desktopsize WxH               resize=WxH:SECONDS: SetEncodings Raw and DesktopSize,
                                then incremental requests until a DesktopSize
                                rectangle of WxH arrives (every one seen is printed)
  info K=V ...                  info: vm.info's vnc entry over --api SOCKET

Usage: rfbcheck.py [--api SOCKET] [--timeout SECONDS] ADDRESS STEP...
ADDRESS is a Unix socket's path or HOST:PORT. Exit status 1 with an "error:" line
when the server does not answer as RFB says.
"""
import json
import socket
import struct
import sys
import time
import zlib

KEYS = {"Return": 0xFF0D, "Tab": 0xFF09, "Escape": 0xFF1B, "BackSpace": 0xFF08}
ENC_RAW = 0
ENC_DESKTOP_SIZE = -223


class RfbError(Exception):
    pass


class Viewer:
    def __init__(self, address, timeout):
        self.timeout = timeout
        if ":" in address and not address.startswith("/"):
            host, port = address.rsplit(":", 1)
            self.s = socket.create_connection((host, int(port)), timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(address)
        self.w = self.h = 0
        self.bpp = 32

    def recv(self, n):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.s.recv(min(n - len(buf), 1 << 20))
            except socket.timeout:
                raise RfbError("no answer from the server for %ss" % self.s.gettimeout())
            if not chunk:
                raise RfbError("the server closed the connection")
            buf += chunk
        return bytes(buf)

    def send(self, data):
        self.s.sendall(data)

    def handshake(self):
        ver = self.recv(12)
        if ver != b"RFB 003.008\n":
            raise RfbError("version %r, not RFB 003.008" % ver)
        self.send(b"RFB 003.008\n")
        (n,) = struct.unpack("B", self.recv(1))
        if n == 0:
            (rlen,) = struct.unpack(">I", self.recv(4))
            raise RfbError("refused: %s" % self.recv(rlen).decode(errors="replace"))
        types = list(self.recv(n))
        print("security " + " ".join(str(t) for t in types), flush=True)
        if 1 not in types:
            raise RfbError("no security type None offered")
        self.send(b"\x01")
        (result,) = struct.unpack(">I", self.recv(4))
        if result != 0:
            raise RfbError("SecurityResult %u" % result)
        self.send(b"\x01")  # ClientInit: shared
        si = self.recv(24)
        self.w, self.h = struct.unpack(">HH", si[:4])
        (nlen,) = struct.unpack(">I", si[20:24])
        if nlen > 4096:
            raise RfbError("a desktop name of %u bytes" % nlen)
        name = self.recv(nlen).decode(errors="replace")
        print("init %dx%d name=%s" % (self.w, self.h, name), flush=True)

    def set_pixel_format(self):
        # 32 bits per pixel, depth 24, little-endian, true colour, 255 each;
        # red at bit 0, green 8, blue 16: R, G, B, X in memory.
        pf = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 0, 8, 16)
        self.send(struct.pack(">B3x", 0) + pf)

    def set_encodings(self, encs):
        self.send(struct.pack(">BxH", 2, len(encs)) + b"".join(struct.pack(">i", e) for e in encs))

    def request(self, incremental):
        self.send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, 0, 0, self.w, self.h))

    def message(self, fb=None):
        """Read one server message; for a FramebufferUpdate, the list of its
        rectangles (x, y, w, h, encoding) with Raw pixels put into fb (w x h x 4)."""
        (t,) = struct.unpack("B", self.recv(1))
        if t == 2:  # Bell
            return None
        if t == 3:  # ServerCutText
            (n,) = struct.unpack(">3xI", self.recv(7))
            self.recv(n)
            return None
        if t == 1:  # SetColourMapEntries
            _, n = struct.unpack(">xHH", self.recv(5))
            self.recv(6 * n)
            return None
        if t != 0:
            raise RfbError("server message type %u" % t)
        (n,) = struct.unpack(">xH", self.recv(3))
        rects = []
        for _ in range(n):
            x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
            rects.append((x, y, w, h, enc))
            if enc == ENC_DESKTOP_SIZE:
                self.w, self.h = w, h
                continue
            if enc != ENC_RAW:
                raise RfbError("a rectangle in encoding %d, not Raw" % enc)
            if x + w > self.w or y + h > self.h:
                raise RfbError("a rectangle %dx%d+%d+%d outside %dx%d" % (w, h, x, y, self.w, self.h))
            data = self.recv(w * h * 4)
            if fb is not None:
                stride = self.w * 4
                for row in range(h):
                    o = (y + row) * stride + x * 4
                    fb[o:o + w * 4] = data[row * w * 4:(row + 1) * w * 4]
        return rects

    def frame(self, path):
        self.set_pixel_format()
        self.set_encodings([ENC_RAW])
        self.request(False)
        fb = bytearray(self.w * self.h * 4)
        end = time.monotonic() + self.timeout
        # Updates for requests sent before (an incremental one of resize=) may come
        # first; the answer to this one has every pixel of the screen.
        while True:
            rects = self.message(fb)
            if rects is not None:
                area = sum(w * h for (_, _, w, h, e) in rects if e == ENC_RAW)
                if area == self.w * self.h:
                    break
                if area > self.w * self.h:
                    raise RfbError("an update of %d pixels for a screen of %d" % (area, self.w * self.h))
            if time.monotonic() > end:
                raise RfbError("no FramebufferUpdate of the whole screen in %ss" % self.timeout)
        del fb[3::4]  # R G B X -> R G B
        write_png(path, self.w, self.h, fb)
        print("frame %dx%d rects=%d -> %s" % (self.w, self.h, len(rects), path), flush=True)

    def key(self, keysym):
        self.send(struct.pack(">BBxxI", 4, 1, keysym))
        self.send(struct.pack(">BBxxI", 4, 0, keysym))

    def click(self, x, y):
        self.send(struct.pack(">BBHH", 5, 1, x, y))
        self.send(struct.pack(">BBHH", 5, 0, x, y))
        print("click %d,%d" % (x, y), flush=True)

    def resize(self, w, h, secs):
        self.set_encodings([ENC_RAW, ENC_DESKTOP_SIZE])
        end = time.monotonic() + secs
        self.request(True)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise RfbError("no DesktopSize of %dx%d in %ss" % (w, h, secs))
            self.s.settimeout(left)
            rects = self.message()
            if rects is None:
                continue
            for (_, _, rw, rh, e) in rects:
                if e == ENC_DESKTOP_SIZE:
                    print("desktopsize %dx%d" % (rw, rh), flush=True)
                    if (rw, rh) == (w, h):
                        self.s.settimeout(self.timeout)
                        return
            self.request(True)


def write_png(path, w, h, rgb):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    stride = w * 3
    raw = b"".join(b"\0" + bytes(rgb[y * stride:(y + 1) * stride]) for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 1)))
        f.write(chunk(b"IEND", b""))


def vm_info_vnc(api, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(api)
    f = s.makefile("rwb")
    f.write(b'{"jsonrpc": "2.0", "method": "vm.info", "id": 1}\n')
    f.flush()
    r = json.loads(f.readline())
    s.close()
    v = r["result"]["vnc"]
    if v is None:
        raise RfbError("vm.info has no vnc entry")
    return " ".join("%s=%s" % (k, v[k]) for k in sorted(v))


def main(argv):
    api = None
    timeout = 60.0
    while argv and argv[0].startswith("--"):
        if argv[0] == "--api" and len(argv) > 1:
            api = argv[1]
        elif argv[0] == "--timeout" and len(argv) > 1:
            timeout = float(argv[1])
        else:
            break
        argv = argv[2:]
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    try:
        v = Viewer(argv[0], timeout)
        v.handshake()
        for step in argv[1:]:
            op, _, arg = step.partition("=")
            if op == "frame":
                v.frame(arg)
            elif op == "type":
                for c in arg:
                    v.key(ord(c))
                print("keys %d" % len(arg), flush=True)
            elif op == "key":
                if arg not in KEYS:
                    raise RfbError("no key %s" % arg)
                v.key(KEYS[arg])
                print("keys 1", flush=True)
            elif op == "click":
                if arg == "max":
                    v.click(v.w - 1, v.h - 1)
                else:
                    x, y = arg.split(",")
                    v.click(int(x), int(y))
            elif op == "resize":
                size, _, secs = arg.partition(":")
                w, h = size.split("x")
                v.resize(int(w), int(h), float(secs or timeout))
            elif op == "info":
                if not api:
                    raise RfbError("info needs --api")
                print("info " + vm_info_vnc(api, timeout), flush=True)
            else:
                raise RfbError("no step %s" % step)
        v.s.close()
    except (RfbError, OSError, ValueError, KeyError) as e:
        print("error: %s" % e, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
