#!/bin/bash
# capnp_generator.sh: tools/capnpc-c (the capnp compile plugin) against
# hostile and odd input. It must answer every malformed CodeGeneratorRequest
# with an error message and a non-zero exit -- never a sanitizer report or
# a hang -- and refuse schemas whose generated names would clash.
# Usage: bash tests/tools/capnp_generator.sh <build-dir>
B=${1:-build}
GEN=$(realpath "$B/tools/capnpc-c" 2>/dev/null)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS capnp_generator: $1"; }
fail() { echo "FAIL capnp_generator: $1: $2"; fails=$((fails + 1)); }

if [ ! -x "$GEN" ]; then fail setup "$B/tools/capnpc-c not built"; exit 1; fi

# Runs the generator on request file $1 in a scratch directory; sets rc/err.
run() {
    rm -rf "$T/out"; mkdir -p "$T/out"
    (cd "$T/out" && timeout 20 "$GEN" < "$1" > /dev/null 2> "$T/err"); rc=$?
}
sane() { ! grep -q 'Sanitizer\|runtime error' "$T/err" && [ $rc -le 1 ]; }

capnp compile -o- tests/capnp/test.capnp schema/system.capnp > "$T/req.bin"
run "$T/req.bin"
if [ $rc -eq 0 ] && [ -s "$T/out/tests/capnp/test.capnp.h" ]; then pass "a real request generates"
else fail "a real request generates" "rc=$rc $(head -c 300 "$T/err")"; fi

: > "$T/empty"
run "$T/empty"
if [ $rc -eq 1 ] && grep -q 'capnpc-c: cannot read' "$T/err" && sane; then pass "empty input is refused"
else fail "empty input is refused" "rc=$rc $(head -c 300 "$T/err")"; fi

# 40 prefixes of a real request, spread over its length.
bad=0
size=$(stat -c %s "$T/req.bin")
step=$((size / 40 + 1))
for ((n = 1; n < size; n += step)); do
    head -c $n "$T/req.bin" > "$T/cut"
    run "$T/cut"
    if [ $rc -eq 0 ] || ! sane; then bad=$((bad + 1)); echo "    prefix $n: rc=$rc $(head -c 200 "$T/err")"; fi
done
if [ $bad -eq 0 ]; then pass "truncated requests are refused with an error"
else fail "truncated requests are refused with an error" "$bad bad runs"; fi

# Single-byte corruptions at pseudo-random places (fixed seed).
python3 - "$T/req.bin" "$T" <<'PY'
import random, sys
data = open(sys.argv[1], 'rb').read()
rng = random.Random(1234)
for i in range(60):
    d = bytearray(data)
    for _ in range(1 + i % 3):
        d[rng.randrange(8, len(d))] ^= rng.choice([0x01, 0x80, 0xff, 0x40, 0x10])
    open(f"{sys.argv[2]}/mut{i}", 'wb').write(d)
PY
bad=0
for f in "$T"/mut*; do
    run "$f"
    if ! sane; then bad=$((bad + 1)); echo "    $(basename "$f"): rc=$rc $(grep -m3 'Sanitizer\|runtime error\|capnpc-c' "$T/err")"; fi
done
if [ $bad -eq 0 ]; then pass "corrupted requests end in output or an error, never a crash"
else fail "corrupted requests end in output or an error, never a crash" "$bad bad runs"; fi

# Generated names that would clash are refused.
cat > "$T/clash.capnp" <<'CAPNP'
@0xd2d1b1a1f0e0c0b0;
struct S {
  union {
    a @0 :Void;
    b @1 :UInt8;
  }
  which @2 :UInt8;
}
CAPNP
mkdir -p "$T/clashout"
if (cd "$T" && capnp compile -o"$GEN":clashout clash.capnp) 2> "$T/err"; then
    fail "clashing names are refused" "generator accepted a field named 'which'"
elif grep -q "generated name 'S_which' is used twice" "$T/err"; then pass "clashing names are refused"
else fail "clashing names are refused" "$(head -c 300 "$T/err")"; fi

# The method list a server's table is made from: every method, in number order.
run "$T/req.bin"
h="$T/out/tests/capnp/test.capnp.h"
if [ $rc -eq 0 ] && tr -d '\\\n ' < "$h" | grep -q '#defineCalc_METHODS(X)X(add)X(reset)X(describe)#'
then pass "an interface's methods are listed for its server's table"
else fail "an interface's methods are listed for its server's table" "$(grep -A4 METHODS "$h" | head -6)"; fi

[ $fails -eq 0 ]
