#!/usr/bin/python3
# The host's end of the vsock scenario, on hvkvm's --vsock Unix sockets (python3 stdlib):
#   serve PATH SIZE SEED     listen on PATH, send one connection SIZE bytes of the stream
#                            SEED, then end it; print size and sha256 sent
#   sink PATH                listen on PATH, read one connection to its end; print size
#                            and sha256 read
#   echo PATH N              listen on PATH, echo N connections at once (each to its end,
#                            then end it); print how many were served
#   connect PATH PORT send SIZE SEED | recv | refused | echo N SIZE
#                            "CONNECT PORT" on PATH: send SIZE bytes, or read to the end,
#                            or expect the connection closed without OK, or N connections
#                            at once each sending SIZE bytes and reading them back
# Every line printed is key=value, for the scenario to check.
import hashlib
import os
import queue
import socket
import sys
import threading
import time

CHUNK = 1 << 16


def stream(size, seed):
    """SIZE bytes of a stream only SEED determines, in chunks."""
    block = hashlib.sha256(seed.encode()).digest() * (CHUNK // 32)
    sent = 0
    n = 0
    while sent < size:
        b = bytes((x + n) & 0xff for x in block[:256]) + block[256:] if n % 7 == 0 else block
        b = b[:size - sent]
        yield b
        sent += len(b)
        n += 1


def listener(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    return s


def read_all(c):
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(CHUNK)
        if not b:
            return n, h.hexdigest()
        n += len(b)
        h.update(b)


def send_stream(c, size, seed):
    h = hashlib.sha256()
    for b in stream(size, seed):
        c.sendall(b)
        h.update(b)
    return h.hexdigest()


def host_connect(path, port, timeout=600):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(timeout)
    c.connect(path)
    c.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        b = c.recv(1)
        if not b:
            c.close()
            return None, line
        line += b
    return c, line


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        path, size, seed = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        s = listener(path)
        print("ready=1", flush=True)
        c, _ = s.accept()
        digest = send_stream(c, size, seed)
        c.shutdown(socket.SHUT_WR)
        # the guest ends its side too (its end of file reaches us)
        rest, _ = read_all(c)
        print("sent=%d sent_sum=%s peer_eof=1 extra=%d" % (size, digest, rest), flush=True)
    elif cmd == "sink":
        s = listener(sys.argv[2])
        print("ready=1", flush=True)
        c, _ = s.accept()
        n, digest = read_all(c)
        c.shutdown(socket.SHUT_WR)
        print("got=%d got_sum=%s" % (n, digest), flush=True)
    elif cmd == "echo":
        s = listener(sys.argv[2])
        want = int(sys.argv[3])
        print("ready=1", flush=True)
        done = []
        live = [0]
        peak = [0]
        lock = threading.Lock()

        def serve(c):
            # Reading never waits for writing: a peer that writes all before it reads
            # (socat writes blocking) would otherwise wait for us while we wait for it.
            with lock:
                live[0] += 1
                peak[0] = max(peak[0], live[0])
            q = queue.Queue()
            n = 0

            def writer():
                while True:
                    b = q.get()
                    if b is None:
                        break
                    c.sendall(b)
                c.shutdown(socket.SHUT_WR)

            w = threading.Thread(target=writer)
            w.start()
            while True:
                b = c.recv(CHUNK)
                if not b:
                    break
                q.put(b)
                n += len(b)
            q.put(None)
            w.join()
            c.close()
            with lock:
                live[0] -= 1
                done.append(n)

        ts = []
        for _ in range(want):
            c, _ = s.accept()
            t = threading.Thread(target=serve, args=(c,))
            t.start()
            ts.append(t)
        for t in ts:
            t.join()
        print("echoed=%d echo_bytes=%d echo_peak=%d" % (len(done), sum(done), peak[0]), flush=True)
    elif cmd == "connect":
        path, port, what = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        if what == "refused":
            t0 = time.monotonic()
            c, line = host_connect(path, port)
            ok = c is not None
            print("refused=%d refused_secs=%.1f refused_line=%s" % (0 if ok else 1, time.monotonic() - t0,
                                                                   line.decode(errors="replace").strip() or "-"))
            return
        if what in ("send", "recv"):
            c, line = host_connect(path, port)
            if c is None:
                print("ok_line=none")
                return
            print("ok_line=%s" % line.decode().strip().replace(" ", "_"), flush=True)
            if what == "send":
                size, seed = int(sys.argv[5]), sys.argv[6]
                digest = send_stream(c, size, seed)
                c.shutdown(socket.SHUT_WR)
                rest, _ = read_all(c)
                print("sent=%d sent_sum=%s peer_eof=1 extra=%d" % (size, digest, rest), flush=True)
            else:
                c.shutdown(socket.SHUT_WR)
                n, digest = read_all(c)
                print("got=%d got_sum=%s" % (n, digest), flush=True)
            return
        if what == "echo":
            n, size = int(sys.argv[5]), int(sys.argv[6])
            results = [None] * n
            oks = [0] * n
            barrier = threading.Barrier(n)

            def one(i):
                c, line = host_connect(path, port)
                if c is None:
                    results[i] = "no-ok"
                    barrier.abort()
                    return
                oks[i] = 1
                try:
                    barrier.wait(60)  # all connected at once
                except threading.BrokenBarrierError:
                    pass
                seed = "echo%d" % i
                want = hashlib.sha256(b"".join(stream(size, seed))).hexdigest()
                r = {}

                def reader():
                    r["n"], r["sum"] = read_all(c)

                t = threading.Thread(target=reader)
                t.start()
                send_stream(c, size, seed)
                c.shutdown(socket.SHUT_WR)
                t.join()
                results[i] = "ok" if r.get("n") == size and r.get("sum") == want else "bad:%s" % r.get("n")

            ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            good = sum(1 for x in results if x == "ok")
            print("echo_conns=%d echo_ok=%d echo_results=%s" % (sum(oks), good, ",".join(str(x) for x in results)))
            return
    else:
        sys.exit("usage: see the head of " + sys.argv[0])


if __name__ == "__main__":
    main()
