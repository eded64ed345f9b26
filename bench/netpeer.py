"""bench/netpeer.py: the host's side of the network figures, the same for
Vectra (user/apps/nettools/bench.c) and Linux (bench/linux/linux-bench.c,
bench_net), both on QEMU's user network with restrict=on (hostfwd_args).

UDP: the guest is a TFTP client of QEMU's own TFTP server (slirp, at
10.0.2.2:69, serving TFTP_FILE from tftp_dir()): each 4-byte ACK out and
the 516-byte DATA block back is one UDP round trip. It is the only UDP
peer restrict=on lets a guest reach: slirp drops every other datagram the
guest sends, the replies to a hostfwd'd UDP port included, so a host echo
server cannot be answered. No packet leaves QEMU.

TCP: two hostfwd rules from free ports of the host's 127.0.0.1 to the
guest's servers, which drive() connects to once the guest says it is ready:

    TCP  7001  accept, read to EOF, close   CONN_N connections in turn
    TCP  7002  read to EOF                  one connection, BULK_MIB MiB

Each connection is shut for writing at once (or after its bytes) and read
to the guest's FIN. Nothing here is timed: the figures are the guest's
instructions.
"""

import os
import socket
import time

GUEST_CONN, GUEST_BULK = 7001, 7002
TFTP_FILE = "netbench.bin"
TFTP_BLOCKS = 2000 + 200 + 1    # samples + warm-up + the first arrival, then one short block
CONN_N = 200 + 20 + 1
BULK_MIB = 17                   # one MiB of warm-up


def free_ports(n):
    """n free TCP ports of 127.0.0.1 (bound and released: a race only with
    another process choosing at the same moment)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def tftp_dir(build_bench):
    """The TFTP server's directory, holding TFTP_FILE: TFTP_BLOCKS blocks
    of 512 bytes and a last one of 100."""
    d = os.path.join(build_bench, "tftp")
    os.makedirs(d, exist_ok=True)
    path, size = os.path.join(d, TFTP_FILE), TFTP_BLOCKS * 512 + 100
    if not os.path.exists(path) or os.path.getsize(path) != size:
        with open(path, "wb") as f:
            f.write(bytes((i * 131 + 7) & 255 for i in range(size)))
    return d


def hostfwd_args(ports, tftp, device="virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on"):
    """QEMU options: user networking, restrict=on, the TFTP server, two
    forwards. The NIC has no option ROM (romfile=): iPXE's would run in
    every boot and move the boot figures (linux_boot_to_init)."""
    conn, bulk = ports
    return ["-netdev", "user,id=n0,restrict=on,tftp=%s,"
            "hostfwd=tcp:127.0.0.1:%d-:%d,hostfwd=tcp:127.0.0.1:%d-:%d"
            % (tftp, conn, GUEST_CONN, bulk, GUEST_BULK),
            "-device", device + ",romfile="]


def _connect(port, deadline):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _conns(port, deadline):
    for i in range(CONN_N):
        c = _connect(port, deadline)
        c.settimeout(max(1, deadline - time.monotonic()))
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096):
            pass
        c.close()


def _bulk(port, deadline):
    c = _connect(port, deadline)
    c.settimeout(max(1, deadline - time.monotonic()))
    chunk = os.urandom(1 << 16)
    for _ in range(BULK_MIB * 16):
        c.sendall(chunk)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()


def drive(ports, timeout=600):
    """Both TCP parts against the guest; returns None or why it failed."""
    deadline = time.monotonic() + timeout
    try:
        _conns(ports[0], deadline)
        _bulk(ports[1], deadline)
    except (OSError, TimeoutError) as e:
        return "the network peer failed: %s" % e
    return None


def run_guest(cmd, ready, done, ports, timeout, cwd=None):
    """Run QEMU (cmd) until its serial output (stdout) shows `done`, driving
    it from a thread once it shows `ready`; QEMU is then stopped. Returns
    (serial text, None) or (serial text, why it failed)."""
    import subprocess
    import threading
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, deadline, peer, result = b"", time.monotonic() + timeout, None, []
    os.set_blocking(p.stdout.fileno(), False)
    try:
        while time.monotonic() < deadline and done not in out and p.poll() is None \
                and not (peer and not peer.is_alive() and result[0]):
            chunk = p.stdout.read() or b""
            out += chunk
            if peer is None and ready in out:
                peer = threading.Thread(target=lambda: result.append(drive(ports, timeout)),
                                        daemon=True)
                peer.start()
            if not chunk:
                time.sleep(0.1)
        out += p.stdout.read() or b""
    finally:
        p.kill()
        p.wait()
    text = out.decode("utf-8", "replace").replace("\r", "")
    if done in out:
        return text, None
    if result and result[0]:
        return text, result[0]
    if peer is None:
        return text, "the guest never said %r" % ready.decode()
    return text, "the guest did not finish (QEMU %s)" % (
        "exited with status %s" % p.returncode if time.monotonic() < deadline else "timed out")
