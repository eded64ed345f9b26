#!/usr/bin/env bash
# tests/tools/compile_commands.sh: `make compile_commands` writes a
# compile_commands.json that names every C file the build compiles, with
# arguments a compiler accepts: a kernel file, a user file and a host test
# each pass -fsyntax-only with exactly the entry's arguments.
#
#   bash tests/tools/compile_commands.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SUITE=compile_commands
. tests/tools/expect.bash
T=$(mktemp -d /tmp/vectra-cc.XXXXXX)
trap 'rm -rf "$T"' EXIT

expect written 0 'entries in' -- python3 scripts/compile-commands "$T/b"
J=$T/b/compile_commands.json
# every .c under kernel/, user/init and lib/capsule has an entry
missing=$(cd "$ROOT" && for f in kernel/core/*.c kernel/arch/x86_64/*.c user/init/*.c lib/capsule/*.c; do
  python3 -c "import json,sys; sys.exit(0 if any(e['file']==sys.argv[1] for e in json.load(open(sys.argv[2]))) else 1)" "$f" "$J" || echo "$f"; done)
if [ -z "$missing" ]; then pass every_file_named; else fail every_file_named "no entry for: $(echo $missing | head -c 300)"; fi
# the entry's own arguments, with -fsyntax-only instead of the object file
for f in kernel/core/cap.c user/init/main.c tests/host/test_pci.c; do
  python3 - "$J" "$f" > "$T/cmd" <<'PY'
import json, shlex, sys
e = next(e for e in json.load(open(sys.argv[1])) if e["file"] == sys.argv[2])
a = e["arguments"]
out = []
skip = False
for w in a:
    if skip:
        skip = False
        continue
    if w in ("-o", "-MF"):
        skip = True
        continue
    if w in ("-MMD", "-MP"):
        continue
    out.append(w)
print(shlex.join(out + ["-fsyntax-only"]))
PY
  expect "syntax_$(basename "$f" .c)" 0 '' -- bash -c "$(cat "$T/cmd")"
done
exit $failed
