#!/usr/bin/env python3
"""peer.py IMAGE MAC LOCALPORT REMOTEPORT CMD: the second Vectra machine of
a two-machine scenario. Boots build/images/IMAGE.img in QEMU on a
`-netdev dgram` wire between 127.0.0.1:LOCALPORT and 127.0.0.1:REMOTEPORT
(nothing else), types CMD at its shell once the interface is configured,
and prints what the machine prints, each line as "B: LINE". Ends when
the machine halts, or after 90 s."""
import os
import select
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import scenario  # noqa: E402

image, mac, lport, rport, cmd = sys.argv[1:6]
disk = tempfile.NamedTemporaryFile(prefix="vectra-peer-", suffix=".disk", delete=False)
disk.truncate(4 << 20)
disk.close()
args = scenario.QEMU + scenario.image_args(os.path.join(ROOT, "build"), image) + [
    "-device", "intel-iommu", "-drive", f"file={disk.name},if=none,id=disk0,format=raw",
    "-device", "virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on",
    "-device", "virtio-rng-pci,disable-legacy=on,iommu_platform=on",
    "-netdev", f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={lport},"
               f"remote.type=inet,remote.host=127.0.0.1,remote.port={rport}",
    "-device", f"virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,mac={mac}"]
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     cwd=ROOT)
out, line, typed = b"", b"", False
end = time.monotonic() + 90
try:
    while time.monotonic() < end and p.poll() is None:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if not r:
            continue
        b = os.read(p.stdout.fileno(), 4096)
        if not b:
            break
        out += b
        line += b
        while b"\n" in line:
            ln, line = line.split(b"\n", 1)
            sys.stdout.write("B: " + ln.decode("latin-1").rstrip("\r") + "\n")
            sys.stdout.flush()
        if not typed and b"(static)" in out and b"vectra> " in out:
            typed = True
            for i in range(0, len(cmd), 8):
                p.stdin.write(cmd[i:i + 8].encode())
                p.stdin.flush()
                time.sleep(0.002)
            p.stdin.write(b"\r")
            p.stdin.flush()
finally:
    if p.poll() is None:
        p.kill()
    p.wait()
    os.unlink(disk.name)
