#!/bin/bash
# capnp_interop.sh: messages built by our runtime and generated builders
# (tests/capnp/cases.c via build/host/capnp/capnp_io) must read back in
# Debian's capnp exactly as the case's JSON does, in every encoding; and
# capnp's messages, canonicalized by us, must equal capnp's canonical bytes.
# Usage: bash tests/tools/capnp_interop.sh <build-dir>
B=${1:-build}
IO=$B/host/capnp/capnp_io
SCHEMA=tests/capnp/test.capnp
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

pass() { echo "PASS capnp_interop: $1"; }
fail() { echo "FAIL capnp_interop: $1: $2"; fails=$((fails + 1)); }

if ! command -v capnp >/dev/null; then
    fail setup "capnp not installed (Debian package capnproto)"; exit 1
fi
if [ ! -x "$IO" ]; then
    fail setup "$IO not built"; exit 1
fi

for json in tests/capnp/*.json; do
    c=$(basename "$json" .json)
    capnp convert json:binary $SCHEMA TestAll < "$json" > "$T/$c.want.bin" || { fail "$c" "capnp rejects $json"; continue; }
    capnp convert binary:json $SCHEMA TestAll < "$T/$c.want.bin" > "$T/$c.want.json"
    capnp convert json:canonical $SCHEMA TestAll < "$json" > "$T/$c.want.canon"

    # We build, capnp reads: JSON and canonical bytes must match.
    if "$IO" build "$c" > "$T/$c.ours.bin" 2> "$T/err" &&
       capnp convert binary:json $SCHEMA TestAll < "$T/$c.ours.bin" > "$T/$c.ours.json" 2>> "$T/err"; then
        if cmp -s "$T/$c.ours.json" "$T/$c.want.json"; then pass "$c: capnp reads our binary as the JSON"
        else fail "$c" "capnp reads our binary differently: $(diff "$T/$c.want.json" "$T/$c.ours.json" | head -5 | tr '\n' ' ')"; fi
        capnp convert binary:canonical < "$T/$c.ours.bin" > "$T/$c.ours.canon"
        if cmp -s "$T/$c.ours.canon" "$T/$c.want.canon"; then pass "$c: same value as capnp's (canonical bytes)"
        else fail "$c" "capnp's canonical form of our message differs"; fi
    else
        fail "$c" "build: $(head -c 300 "$T/err")"
    fi

    # We pack, capnp unpacks.
    if "$IO" build "$c" --packed > "$T/$c.ours.packed" &&
       capnp convert packed:json $SCHEMA TestAll < "$T/$c.ours.packed" > "$T/$c.ours.pjson" 2> "$T/err" &&
       cmp -s "$T/$c.ours.pjson" "$T/$c.want.json"; then pass "$c: capnp unpacks our packed message"
    else fail "$c" "packed message not read back by capnp: $(head -c 300 "$T/err")"; fi
    # Same bytes, same packing: capnp's binary packed by us equals capnp's packed.
    capnp convert json:packed $SCHEMA TestAll < "$json" > "$T/$c.their.packed"
    if "$IO" pack < "$T/$c.want.bin" > "$T/$c.repacked" && cmp -s "$T/$c.repacked" "$T/$c.their.packed"
    then pass "$c: our packing is byte-identical to capnp's"
    else fail "$c" "our packing of capnp's binary differs from capnp's packed form"; fi

    # capnp writes (one segment, many segments, packed), we read and canonicalize.
    for fmt in binary packed; do
        for seg in "" "--segment-size=2"; do
            capnp convert $seg json:$fmt $SCHEMA TestAll < "$json" > "$T/$c.in" 2>/dev/null
            flag=; [ $fmt = packed ] && flag=--packed
            name="$c: we read capnp's $fmt${seg:+ $seg}"
            if ! "$IO" check "$c" $flag < "$T/$c.in" 2> "$T/err"; then
                fail "$name" "$(head -c 300 "$T/err")"; continue
            fi
            if "$IO" canon $flag < "$T/$c.in" > "$T/$c.canon" 2> "$T/err" && cmp -s "$T/$c.canon" "$T/$c.want.canon"
            then pass "$name, canonical bytes equal capnp's"
            else fail "$name" "our canonical bytes differ from capnp's $(head -c 200 "$T/err")"; fi
        done
    done
done

[ $fails -eq 0 ]
