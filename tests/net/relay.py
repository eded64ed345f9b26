#!/usr/bin/env python3
"""relay.py PORT: QEMU's guestfwd=...-cmd: runs this once per guest
connection with the connection as stdin/stdout; it relays to
127.0.0.1:PORT (a server the scenario started) and back. Bounded: ends
at either side's close or after 30 s idle."""
import os
import select
import socket
import sys

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
fds = [0, s.fileno()]
while fds:
    r, _, _ = select.select(fds, [], [], 30)
    if not r:
        break
    if 0 in r:
        b = os.read(0, 65536)
        if b:
            s.sendall(b)
        else:
            s.shutdown(socket.SHUT_WR)
            fds.remove(0)
    if s.fileno() in r:
        b = s.recv(65536)
        if not b:
            break
        os.write(1, b)
