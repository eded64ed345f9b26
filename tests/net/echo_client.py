#!/usr/bin/env python3
"""echo_client.py PORT [BYTES]: connect to 127.0.0.1:PORT (QEMU's hostfwd
to the guest's `listen`), send BYTES (default 65536) of a pattern, read
them back, check them, close. Bounded: 20 s in all, on 127.0.0.1 only."""
import socket
import sys
import time

port = int(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 65536
data = bytes((i * 7 + i // 251) & 255 for i in range(n))
deadline = time.monotonic() + 20
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        break
    except OSError:
        if time.monotonic() > deadline:
            print("echo client: cannot connect", flush=True)
            sys.exit(1)
        time.sleep(0.2)
s.settimeout(10)
got = bytearray()
sent = 0
try:
    while sent < n or len(got) < n:
        if sent < n:
            k = s.send(data[sent:sent + 8192])
            sent += k
        if len(got) < sent:
            b = s.recv(65536)
            if not b:
                raise OSError("closed by the guest")
            got += b
except OSError as e:
    print(f"echo client: {e} after {sent} sent, {len(got)} back", flush=True)
    sys.exit(1)
s.close()
print(f"echo client: {len(got)} bytes echoed {'intact' if bytes(got) == data else 'CORRUPT'}", flush=True)
