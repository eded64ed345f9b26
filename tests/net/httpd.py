#!/usr/bin/env python3
"""httpd.py PORT: the HTTP server of the network scenarios, on 127.0.0.1
only, reached from the guest through QEMU's guestfwd. It serves the files
of tests/net/ and, to test the guest's `fetch` against a hostile server:
  /garbage   bytes that are no HTTP response
  /endless   a status line, then header lines without end (bounded: 1 MiB)
  /short     Content-Length: 1000, then 10 bytes and close
  /long      Content-Length: 5, then 50 bytes
  /slow      a status line, then one byte every 2 s (slowloris, 40 s at most)
Quiet: it prints one line when it is listening. It stops after 300 s."""
import os
import socket
import sys
import threading
import time

ROOT = os.path.dirname(os.path.abspath(__file__))


def serve(c):
    c.settimeout(10)
    try:
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 8192:
            b = c.recv(4096)
            if not b:
                return
            req += b
        path = req.split(b" ")[1].decode("latin-1") if req.count(b" ") >= 2 else "/"
        if path == "/garbage":
            c.sendall(bytes(range(256)) * 4)
        elif path == "/endless":
            c.sendall(b"HTTP/1.1 200 OK\r\n")
            for i in range((1 << 20) // 32):
                c.sendall(b"X-Endless-%08d: and more\r\n" % i)
        elif path == "/short":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
        elif path == "/long":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + b"x" * 50)
        elif path == "/slow":
            c.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(20):
                time.sleep(2)
                c.sendall(b"X")
        else:
            f = os.path.join(ROOT, os.path.basename(path))
            if os.path.isfile(f):
                body = open(f, "rb").read()
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                          b"Connection: close\r\n\r\n" % len(body) + body)
            else:
                c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    finally:
        c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
s.settimeout(1)
print("httpd: listening", flush=True)
end = time.monotonic() + 300
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
