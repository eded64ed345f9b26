#!/usr/bin/env python3
"""Run QEMU scenario tests and judge them from the serial transcript.

A scenario is a small text file in tests/scenarios/, one directive a line:

    image:   NAME        boot build/images/NAME.img (kernel, modules, cmdline)
    timeout: SECONDS     the whole run; a timeout is a failure (default 30)
    expect:  TEXT        TEXT must appear, after the previous expect matched
    send:    TEXT        type TEXT (\\n, \\r, \\xNN, \\e escapes) once the expect
                         before it has matched
    sendfile: PATH BYTES type BYTES bytes of PATH (random input tests)
    forbid:  TEXT        TEXT must not appear anywhere
    exit:    N           QEMU's exit status must be N (isa-debug-exit: 2*v+1)
    cases:   PREFIX      every "PREFIX PASS ..." / "PREFIX FAIL ..." line is
                         reported as its own case
    qemu:    ARGS        extra QEMU arguments ("@DISK@" is the disk below)
    disk:    BYTES       fresh zeroed disk images for this run: @DISK@, and one
                         for each @DISK@.N named in the qemu arguments
    diskfile: PATH       @DISK@ starts as a copy of PATH (relative to the build
                         directory, e.g. store/test.img); @DISK@.N disks are
                         fresh zeros of PATH's size unless disk: says
    boots:   N           boot up to N times in a row (the same disk): when
                         QEMU exits with steps left, it starts again
    host:    CMD         start CMD on the host (from the repository root)
                         once the expect before it has matched; each line
                         it prints joins the transcript as "[host] LINE";
                         it is killed when the run ends (servers and
                         clients of the network scenarios, on 127.0.0.1)

"@PORT1@" .. "@PORT9@" in qemu, send, expect and host lines become free
TCP ports of 127.0.0.1, chosen for this run.

Every scenario also fails on a line containing "PANIC" or "triple fault"
unless it says "allow-panic: yes". The transcript goes to
build/test-logs/<scenario>.log.
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import select

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def unescape(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")


def parse(path):
    sc = {"name": os.path.splitext(os.path.basename(path))[0], "steps": [],
          "forbid": [], "timeout": 30.0, "exit": None, "cases": None,
          "qemu": [], "allow_panic": False, "image": None, "disk": None, "boots": 1, "diskfile": None}
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, val = line.partition(":")
            key, val = key.strip(), val.strip()
            if key == "image":
                sc["image"] = val
            elif key == "timeout":
                sc["timeout"] = float(val)
            elif key == "expect":
                sc["steps"].append(("expect", val.encode()))
            elif key == "send":
                sc["steps"].append(("send", unescape(val)))
            elif key == "sendfile":
                p, cnt = val.split()
                sc["steps"].append(("sendfile", (p, int(cnt))))
            elif key == "forbid":
                sc["forbid"].append(val.encode())
            elif key == "exit":
                sc["exit"] = int(val)
            elif key == "cases":
                sc["cases"] = val
            elif key == "qemu":
                sc["qemu"] += shlex.split(val)
            elif key == "disk":
                sc["disk"] = int(val)
            elif key == "diskfile":
                sc["diskfile"] = val
            elif key == "host":
                sc["steps"].append(("host", val))
            elif key == "boots":
                sc["boots"] = int(val)
            elif key == "allow-panic":
                sc["allow_panic"] = val == "yes"
            else:
                raise SystemExit(f"{path}:{n}: unknown directive {key!r}")
    if not sc["image"]:
        raise SystemExit(f"{path}: no image")
    return sc


def image_args(build, name):
    """build/images/NAME.img holds 'kernel: …', 'modules: a,b', 'cmdline: …',
    or 'iso: PATH' and optionally 'firmware: ovmf' (UEFI instead of SeaBIOS)."""
    conf = {}
    with open(os.path.join(build, "images", name + ".img")) as f:
        for line in f:
            k, _, v = line.partition(":")
            conf[k.strip()] = v.strip()
    if conf.get("iso"):
        args = ["-cdrom", conf["iso"]]
        if conf.get("firmware") == "ovmf":
            args += ["-bios", "/usr/share/ovmf/OVMF.fd"]
        return args
    args = ["-kernel", conf["kernel"]]
    if conf.get("modules"):
        args += ["-initrd", conf["modules"]]
    if conf.get("cmdline"):
        args += ["-append", conf["cmdline"]]
    return args


QEMU = ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-m", "256M",
        "-smp", "1", "-no-reboot", "-display", "none", "-serial", "stdio",
        "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def free_ports(n):
    import socket
    socks, ports = [], []
    for _ in range(n):
        k = socket.socket()
        k.bind(("127.0.0.1", 0))
        socks.append(k)
        ports.append(k.getsockname()[1])
    for k in socks:
        k.close()
    return ports


def with_ports(sc):
    ports = free_ports(9)
    def sub(x):
        if isinstance(x, bytes):
            for i, p in enumerate(ports, 1):
                x = x.replace(b"@PORT%d@" % i, str(p).encode())
            return x
        if isinstance(x, str):
            for i, p in enumerate(ports, 1):
                x = x.replace("@PORT%d@" % i, str(p))
        return x
    sc["qemu"] = [sub(a) for a in sc["qemu"]]
    sc["steps"] = [(k, sub(v)) for k, v in sc["steps"]]


def run(build, path):
    sc = parse(path)
    with_ports(sc)
    import threading
    helpers, host_lines, host_lock = [], [], threading.Lock()

    def start_host(cmd):
        # its own process group: the end of the run kills the helper and
        # whatever it started (a second machine's QEMU), not the helper alone
        h = subprocess.Popen(shlex.split(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        helpers.append(h)

        def pump():
            for ln in h.stdout:
                with host_lock:
                    host_lines.append(b"[host] " + ln)
        threading.Thread(target=pump, daemon=True).start()
    logdir = os.path.join(build, "test-logs")
    os.makedirs(logdir, exist_ok=True)
    qemu_args = sc["qemu"]
    if sc["diskfile"] is not None:
        src = os.path.join(build, sc["diskfile"])
        if sc["disk"] is None:
            sc["disk"] = os.path.getsize(src)
    if sc["disk"] is not None:
        disk = os.path.join(logdir, sc["name"] + ".disk")
        for name in {disk} | {disk + m for a in qemu_args for m in re.findall(r"@DISK@(\.\d+)", a)}:
            with open(name, "wb") as f:
                f.truncate(sc["disk"])
        if sc["diskfile"] is not None:
            import shutil
            shutil.copyfile(src, disk)
        qemu_args = [a.replace("@DISK@", disk) for a in qemu_args]
    cmd = QEMU + image_args(build, sc["image"]) + qemu_args
    # host lines before the first expect start before QEMU (servers a
    # guestfwd rule names), with a moment to bind
    early = False
    while sc["steps"] and sc["steps"][0][0] == "host":
        start_host(sc["steps"].pop(0)[1])
        early = True
    if early:
        time.sleep(0.5)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    boots = 1
    out = bytearray()
    steps = list(sc["steps"])
    pos = 0                      # expects match at or after this offset
    failures = []
    deadline = time.monotonic() + sc["timeout"]
    timed_out = False
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)

    def feed_sends():
        nonlocal steps
        while steps and steps[0][0] in ("send", "sendfile", "host"):
            kind, val = steps.pop(0)
            if kind == "host":
                start_host(val)
                continue
            data = val
            if kind == "sendfile":
                with open(os.path.join(ROOT, val[0]) if not os.path.isabs(val[0]) else val[0], "rb") as f:
                    data = f.read(val[1])
            # Type slowly enough for a 16550 with a 16-byte FIFO under TCG.
            for i in range(0, len(data), 8):
                try:
                    proc.stdin.write(data[i:i + 8])
                    proc.stdin.flush()
                except BrokenPipeError:
                    return
                time.sleep(0.002)

    feed_sends()
    held_since = 0
    while True:
        # host lines go in between the guest's lines, not inside one
        with host_lock:
            if host_lines and not held_since:
                held_since = time.monotonic()
            if host_lines and (not out or out.endswith(b"\n") or time.monotonic() - held_since > 1):
                if out and not out.endswith(b"\n"):
                    out += b"\n"
                for ln in host_lines:
                    out += ln
                host_lines.clear()
                held_since = 0
        # consume expects already satisfied
        while steps and steps[0][0] == "expect":
            i = out.find(steps[0][1], pos)
            if i < 0:
                break
            pos = i + len(steps[0][1])
            steps.pop(0)
            feed_sends()
        if proc.poll() is not None:
            try:
                rest = proc.stdout.read()
            except Exception:
                rest = None
            if rest:
                out += rest
                continue
            if steps and boots < sc["boots"]:
                boots += 1
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, cwd=ROOT)
                fd = proc.stdout.fileno()
                os.set_blocking(fd, False)
                feed_sends()
                continue
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            proc.kill()
            proc.wait()
            break
        r, _, _ = select.select([fd], [], [], min(remaining, 0.2))
        if r:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                chunk = b""
            if chunk:
                out += chunk
    for h in helpers:
        try:
            os.killpg(h.pid, signal.SIGKILL)    # the group outlives a helper that ended
        except ProcessLookupError:
            pass
        h.wait()
    time.sleep(0.05)
    with host_lock:
        for ln in host_lines:
            out += ln
    # final pass over expects (output read after exit)
    while steps and steps[0][0] == "expect":
        i = out.find(steps[0][1], pos)
        if i < 0:
            break
        pos = i + len(steps[0][1])
        steps.pop(0)
    status = proc.returncode
    with open(os.path.join(logdir, sc["name"] + ".log"), "wb") as f:
        f.write(out)

    text = out.decode("latin-1")
    if timed_out:
        failures.append(f"timed out after {sc['timeout']:.0f}s")
    for kind, val in steps:
        if kind == "expect":
            failures.append(f"never saw {val.decode()!r}")
            break
    for bad in sc["forbid"]:
        if bad in out:
            failures.append(f"saw forbidden {bad.decode()!r}")
    if not sc["allow_panic"]:
        for bad in ("PANIC", "triple fault"):
            if bad in text:
                failures.append(f"saw {bad!r}")
    if sc["exit"] is not None and not timed_out and status != sc["exit"]:
        failures.append(f"exit status {status}, expected {sc['exit']}")

    results = []
    if sc["cases"]:
        pat = re.compile(re.escape(sc["cases"]) + r" (PASS|FAIL) (.*)")
        for m in pat.finditer(text):
            results.append((m.group(1) == "PASS", f"{sc['name']}/{m.group(2).strip()}"))
    results.append((not failures, sc["name"] + ("" if not failures else ": " + "; ".join(failures))))
    return results


def main(argv):
    build = argv[1]
    paths = argv[2:] or sorted(
        os.path.join(ROOT, "tests", "scenarios", p)
        for p in os.listdir(os.path.join(ROOT, "tests", "scenarios")) if p.endswith(".scn"))
    passed = failed = 0
    for p in paths:
        for ok, name in run(build, p):
            print(("PASS " if ok else "FAIL ") + "scenario " + name, flush=True)
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
