#!/usr/bin/env bash
# tests/tools/using_doc.sh: docs/USING.md is true. Its `console` blocks are
# run on the host and its `vectra` blocks typed into the tour image (see
# "How this page is tested" in the file); every output line it shows must
# appear, in order. One PASS/FAIL line per command.
#
#   bash tests/tools/using_doc.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d /tmp/vectra-using.XXXXXX)
trap 'rm -rf "$T"' EXIT
exec python3 - "$B" "$T" <<'PY'
import os, re, subprocess, sys

build, tmp = sys.argv[1], sys.argv[2]
doc = open("docs/USING.md").read()
blocks = re.findall(r"^```(console|vectra)\n(.*?)^```", doc, re.M | re.S)
failed = 0


def want(line):
    """An output line as a pattern: up to a trailing ' ...', blanks trimmed."""
    line = line.rstrip()
    return (line[:-4] if line.endswith(" ...") else line).strip()


def steps(text, prompt):
    """[(command, [expected lines])] of one block."""
    out = []
    for line in text.splitlines():
        if line.startswith(prompt):
            out.append((line[len(prompt):], []))
        elif out and line.strip():
            out[-1][1].append(want(line))
    return out


def report(ok, name, why=""):
    global failed
    print(("PASS" if ok else "FAIL") + " using_doc:" + name + ("" if ok else ": " + why))
    failed |= not ok


shell = []
n = 0
for kind, text in blocks:
    if kind == "vectra":
        shell += steps(text, "vectra> ")
        continue
    for cmd, lines in steps(text, "$ "):
        n += 1
        r = subprocess.run(cmd.replace("build/", build.rstrip("/") + "/"), shell=True,
                           capture_output=True, text=True, timeout=60)
        out, pos, miss = r.stdout + r.stderr, 0, None
        for w in lines:
            k = out.find(w, pos)
            if k < 0:
                miss = w
                break
            pos = k + len(w)
        report(r.returncode == 0 and miss is None, f"host{n}:{cmd.split()[1] if ' ' in cmd else cmd}",
               f"exit {r.returncode}" if r.returncode else f"no '{miss}' in: {out[:300]}")

# The shell part: one scenario, every command and its lines in order.
if not shell:
    report(False, "shell", "no vectra blocks")
    sys.exit(1)
scn = os.path.join(tmp, "using_tour.scn")
with open(scn, "w") as f:
    f.write("image: tour\ntimeout: 90\nexpect: greeter: ready\nexpect: vectra> \n")
    for cmd, lines in shell:
        f.write("send: " + cmd.replace("\\", "\\\\") + "\\n\n")
        for w in lines:
            f.write("expect: " + w + "\n")
        f.write("expect: vectra> \n")
    f.write("send: halt\\n\nforbid: PANIC\nexit: 33\n")
r = subprocess.run([sys.executable, "scripts/scenario.py", build, scn], capture_output=True,
                   text=True)
report(r.returncode == 0, f"shell({len(shell)} commands)",
       (r.stdout + r.stderr).strip().splitlines()[0] if r.returncode else "")
sys.exit(failed)
PY
