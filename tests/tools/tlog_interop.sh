#!/usr/bin/env bash
# tests/tools/tlog_interop.sh: vlog against an independent implementation,
# both ways. tests/tlog/interop/main.go uses Go's golang.org/x/mod/sumdb/note
# and /sumdb/tlog (Debian: golang-go, golang-golang-x-mod-dev; GOPATH mode,
# offline):
#   - vlog writes a log (checkpoints at sizes 1, 256, 257, 1000); Go verifies
#     each signed checkpoint, recomputes the tree from the tiles and entry
#     bundles, and checks vlog's inclusion and consistency proofs; Go must
#     refuse the same files tampered;
#   - Go reads vlog's key file and signs vlog's checkpoint text to the same
#     bytes;
#   - Go writes logs of 1000 and 70,000 entries (three tile levels); vlog
#     audits them, verifies Go's tlog-proof, and its witness cosigns Go's
#     checkpoints with Go's consistency proof; vlog must refuse them
#     tampered.
#
#   bash tests/tools/tlog_interop.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=$(cd "$B" && pwd)
V=$B/tools/vlog
SUITE=tlog_interop
. tests/tools/expect.bash
[ -x "$V" ] || { echo "FAIL tlog_interop:tool_built: $V missing"; exit 1; }
X=/usr/share/gocode/src/golang.org/x/mod/sumdb
if ! command -v go >/dev/null || [ ! -d "$X/tlog" ] || [ ! -d "$X/note" ]; then
  echo "FAIL tlog_interop:go_toolchain: golang-go and golang-golang-x-mod-dev are needed (scripts/setup)"
  exit 1
fi
T=$(mktemp -d /tmp/vectra-tlog-interop.XXXXXX)
trap 'rm -rf "$T"' EXIT
GO=$B/tlog/interop
mkdir -p "$B/tlog"
expect go_build 0 '' -- env GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$B/tlog/go-cache" \
  GOPROXY=off go build -o "$GO" ./tests/tlog/interop
[ -x "$GO" ] || exit 1

# ---- vlog writes, Go checks ----
"$V" keygen vectra.example/log -o "$T/log.key" >"$T/log.vkey"
"$V" init "$T/L" --origin vectra.example/log --key "$T/log.key" >/dev/null
claim() { printf '%064x pkg%d 1.%d alice git:vectra@%d' "$1" "$1" "$1" "$1"; }
n=0; prev=
for size in 1 256 257 1000; do
  cl=(); while [ $n -lt $size ]; do n=$((n + 1)); cl+=("$(claim $n)"); done
  "$V" append "$T/L" "${cl[@]}" >/dev/null
  "$V" checkpoint "$T/L" >/dev/null
  cp "$T/L/checkpoint" "$T/cp$size"
  "$V" prove "$T/L" "$(printf '%064x' $(( (size + 1) / 2 )))" -o "$T/proof$size"
  old=${prev:-$size}
  "$V" consistency "$T/L" "$old" -o "$T/cons$size"
  expect "go_checks_vlog_$size" 0 "consistency proof $old -> $size verifies" -- \
    "$GO" check "$T/L" "$T/log.vkey" "$T/proof$size" "$T/cons$size" "$T/cp$old"
  prev=$size
done
# vlog's key file is Go's private-key string: Go signs the same checkpoint
# text with it to the same bytes (Ed25519 is deterministic).
"$GO" sign "$T/log.key" "$T/L/checkpoint" >"$T/cp_go_signed" 2>"$T/sign.err"
expect go_signs_with_vlog_key 0 '' -- cmp "$T/cp_go_signed" "$T/L/checkpoint"
# what if Go is handed vlog's files tampered?
cp -a "$T/L" "$T/Lt"; flip "$T/Lt/tile/0/002" 9
expect go_refuses_tile 1 'tiles' -- "$GO" check "$T/Lt" "$T/log.vkey" "$T/proof1000" "$T/cons1000" "$T/cp257"
cp -a "$T/L" "$T/Lb"; flip "$T/Lb/tile/entries/001" 77
expect go_refuses_bundle 1 'does not hash to its leaf' -- "$GO" check "$T/Lb" "$T/log.vkey" "$T/proof1000" "$T/cons1000" "$T/cp257"
sed '4s/^./A/;4s/^AA/BA/' "$T/proof1000" >"$T/proof_t"
expect go_refuses_proof 1 'inclusion proof' -- "$GO" check "$T/L" "$T/log.vkey" "$T/proof_t" "$T/cons1000" "$T/cp257"
sed '2s/^./A/;2s/^AA/BA/' "$T/cons1000" >"$T/cons_t"
expect go_refuses_consistency 1 'consistency proof' -- "$GO" check "$T/L" "$T/log.vkey" "$T/proof1000" "$T/cons_t" "$T/cp257"
cp -a "$T/L" "$T/Ls"; sed -i '2s/1000/999/' "$T/Ls/checkpoint"
expect go_refuses_signature 1 'checkpoint note' -- "$GO" check "$T/Ls" "$T/log.vkey" "$T/proof1000" "$T/cons1000" "$T/cp257"

# ---- Go writes, vlog checks ----
"$V" keygen w.example/witness --witness -o "$T/w.key" >/dev/null
for sizes in "1000 300" "70000 65537"; do
  set -- $sizes
  G=$T/G$1
  expect "go_writes_$1" 0 "wrote $1 entries" -- "$GO" write "$G" "$1" "$2"
  expect "vlog_checks_go_$1" 0 "size $1," -- "$V" check "$G" --key "$G/log.vkey"
  expect "vlog_verifies_go_proof_$1" 0 "entry $(( $1 / 2 )) of $1 in go.example/log" -- \
    "$V" verify-proof "$G/proof" --key "$G/log.vkey"
  expect "witness_cosigns_go_old_$1" 0 '^— w.example/witness ' -- \
    "$V" witness "$T/S$1" --key "$T/w.key" --log "$G/log.vkey" "$G/checkpoint.old"
  sed '2s/^./A/;2s/^AA/BA/' "$G/cons" >"$G/cons_t"
  expect "witness_refuses_tampered_go_consistency_$1" 1 'inconsistent' -- \
    "$V" witness "$T/S$1" --key "$T/w.key" --log "$G/log.vkey" "$G/checkpoint" --proof "$G/cons_t"
  expect "witness_cosigns_go_new_$1" 0 '^— w.example/witness ' -- \
    "$V" witness "$T/S$1" --key "$T/w.key" --log "$G/log.vkey" "$G/checkpoint" --proof "$G/cons"
done
G=$T/G70000
expect go_layout_has_level2 0 '' -- test -s "$G/tile/2/000.p/1" -a -s "$G/tile/1/000" -a -s "$G/tile/0/273.p/112"
cp -a "$G" "$T/Gt"; flip "$T/Gt/tile/1/001.p/17" 33
expect vlog_refuses_go_tile 1 'tile/1/001.p/17: hashes differ' -- "$V" check "$T/Gt" --key "$G/log.vkey"
head -c 3000 "$G/tile/0/273.p/112" >"$T/Gt/tile/0/273.p/112"
expect vlog_refuses_go_truncated_tile 1 'truncated tile' -- "$V" check "$T/Gt" --key "$G/log.vkey"
sed '5s/^./A/;5s/^AA/BA/' "$G/proof" >"$T/gproof_t"
expect vlog_refuses_go_proof 1 'inclusion: proof does not verify' -- "$V" verify-proof "$T/gproof_t" --key "$G/log.vkey"
expect vlog_refuses_go_proof_other_key 1 'unknown key' -- "$V" verify-proof "$G/proof" --key "$T/G1000/log.vkey"
exit $failed
