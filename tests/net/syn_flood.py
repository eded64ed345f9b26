#!/usr/bin/env python3
"""syn_flood.py PORT N: N TCP connection attempts, as fast as they go,
to 127.0.0.1:PORT (QEMU's hostfwd to a guest port nobody listens on:
each is one SYN to the guest's stack, answered with a reset). Bounded:
N at most 1000, 20 s in all; never anything but 127.0.0.1."""
import socket
import sys
import time

port, n = int(sys.argv[1]), min(int(sys.argv[2]), 1000)
end = time.monotonic() + 20
socks, done = [], 0
for i in range(n):
    if time.monotonic() > end:
        break
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        pass
    socks.append(s)
    done += 1
time.sleep(2)
for s in socks:
    s.close()
print(f"syn flood: {done} connection attempts sent", flush=True)
