#!/usr/bin/env bash
# tests/tools/vlog_cli.sh: vlog end to end. A log is made, grown and
# proved; then every bad input the tool must refuse with a clear message
# and exit 1 (2 for usage): bad claims, truncated or altered tiles and
# entry bundles, bad signatures, unknown keys, proofs for another tree
# size, and a witness offered rollbacks, bad consistency proofs and a
# split view (a fork of the log signed with the same key).
#
#   bash tests/tools/vlog_cli.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
V=$B/tools/vlog
SUITE=vlog_cli
. tests/tools/expect.bash
[ -x "$V" ] || { echo "FAIL vlog_cli:tool_built: $V missing"; exit 1; }
T=$(mktemp -d /tmp/vectra-vlog.XXXXXX)
trap 'rm -rf "$T"' EXIT

vcid() { printf '%064x' "$1"; }
claim() { echo "$(vcid "$1") pkg$1 1.$1 alice git:vectra@$1"; }

expect help 0 'SYNOPSIS' -- "$V" --help
expect no_command 2 'missing command' -- "$V"
expect unknown_command 2 'unknown command' -- "$V" frob
expect unknown_option 2 'unknown option' -- "$V" check "$T/L" --frob

# keys
expect keygen 0 '^example.com/vlog\+[0-9a-f]{8}\+' -- "$V" keygen example.com/vlog -o "$T/log.key"
"$V" keygen example.com/vlog -o "$T/log2.key" >"$T/log2.vkey" 2>/dev/null
"$V" keygen example.com/vlog -o "$T/log.key.again" >"$T/log.vkey" 2>/dev/null
cp "$T/log.key.again" "$T/log.key"
expect keygen_witness 0 '^witness.example/w1\+' -- "$V" keygen witness.example/w1 --witness -o "$T/w.key"
"$V" keygen other.example/w2 --witness -o "$T/w2.key" >/dev/null
expect keygen_bad_name 2 'bad key name' -- "$V" keygen "a+b" -o "$T/x.key"
expect keygen_no_overwrite 1 'exists' -- "$V" keygen x -o "$T/log.key"
head -c 100 /dev/urandom >"$T/garbage"
expect key_garbage 1 'not a key file' -- "$V" init "$T/X" --origin o --key "$T/garbage"
sed 's/+\([0-9a-f]\{7\}\)./+\10/' "$T/log.key" >"$T/badhash.key"
cmp -s "$T/log.key" "$T/badhash.key" && sed -i 's/+\([0-9a-f]\{7\}\)0+/+\11+/' "$T/badhash.key"
expect key_wrong_hash 1 'key hash does not match' -- "$V" init "$T/X" --origin o --key "$T/badhash.key"
expect init_witness_key 1 'witness key' -- "$V" init "$T/X" --origin o --key "$T/w.key"
expect init_missing_origin 2 'missing --origin' -- "$V" init "$T/X" --key "$T/log.key"

# a log of 5, then 600 claims
L=$T/L
expect init 0 'size 0' -- "$V" init "$L" --origin example.com/vlog --key "$T/log.key"
expect init_twice 1 'is a log already' -- "$V" init "$L" --origin example.com/vlog --key "$T/log.key"
claims=(); for i in $(seq 1 600); do claims+=("$(claim "$i")"); done
expect append5 0 'appended entry 4' -- "$V" append "$L" "${claims[@]:0:5}"
expect checkpoint5 0 'size 5' -- "$V" checkpoint "$L"
cp "$L/checkpoint" "$T/cp5"
expect append595 0 'appended entry 599' -- "$V" append "$L" "${claims[@]:5}"
expect prove_not_yet 1 'not in a checkpoint yet' -- "$V" prove "$L" "$(vcid 7)" -o "$T/p"
expect checkpoint600 0 'size 600' -- "$V" checkpoint "$L"
expect tiles_laid_out 0 '' -- test -s "$L/tile/0/001" -a -s "$L/tile/0/002.p/88" -a -s "$L/tile/1/000.p/2" \
  -a -s "$L/tile/entries/002.p/88" -a -s "$L/tile/0/000.p/5"
expect check 0 'size 600, 8 files' -- "$V" check "$L" --key "$T/log.vkey"
expect prove 0 '' -- "$V" prove "$L" "$(vcid 300)" -o "$T/p"
expect verify_proof 0 'entry 299 of 600.*' -- "$V" verify-proof "$T/p" --key "$T/log.vkey"
expect verify_proof_claim 0 'source git:vectra@300' -- "$V" verify-proof "$T/p" --key "$(cat "$T/log.vkey")"
expect consistency 0 '' -- "$V" consistency "$L" 5 -o "$T/c5"
expect consistency_file 0 '^old 5$' -- cat "$T/c5"
expect consistency_stdout 0 '^old 600$' -- "$V" consistency "$L" 600

# bad claims
expect claim_four_fields 1 'five fields' -- "$V" append "$L" "$(vcid 9000) a b c"
expect claim_short_vcid 1 'bad vcid' -- "$V" append "$L" "abc a b c d"
expect claim_upper_vcid 1 'bad vcid' -- "$V" append "$L" "$(vcid 9000 | tr a-f A-F)A a b c d"
expect claim_empty_field 1 'bad version' -- "$V" append "$L" "$(vcid 9000) a  c d"
expect claim_duplicate 1 'in the log already' -- "$V" append "$L" "$(claim 3)"
expect claim_twice 1 'claimed twice' -- "$V" append "$L" "$(claim 9001)" "$(claim 9001)"
expect prove_unknown 1 'no claim for VCID' -- "$V" prove "$L" "$(vcid 9999)"
expect prove_bad_vcid 2 'bad VCID' -- "$V" prove "$L" xyz
expect consistency_zero 2 'bad OLDSIZE' -- "$V" consistency "$L" 0
expect consistency_too_big 1 'larger than' -- "$V" consistency "$L" 601

# a damaged log directory
cp -a "$L" "$T/D1"; head -c 1000 "$L/.vlog/entries" >"$T/D1/.vlog/entries"
expect entries_truncated 1 'truncated or corrupt entry list' -- "$V" checkpoint "$T/D1"
cp -a "$L" "$T/D2"; head -c 8191 "$L/tile/0/001" >"$T/D2/tile/0/001"
expect tile_truncated 1 'tile/0/001: truncated tile' -- "$V" check "$T/D2" --key "$T/log.vkey"
cp -a "$L" "$T/D3"; flip "$T/D3/tile/1/000.p/2" 40
expect tile_altered 1 'tile/1/000.p/2: hashes differ' -- "$V" check "$T/D3" --key "$T/log.vkey"
cp -a "$L" "$T/D4"; rm "$T/D4/tile/0/002.p/88"
expect tile_missing 1 'tile/0/002.p/88: missing' -- "$V" check "$T/D4" --key "$T/log.vkey"
cp -a "$L" "$T/D5"; head -c 300 "$L/tile/entries/001" >"$T/D5/tile/entries/001"
expect bundle_truncated 1 'tile/entries/001: truncated or corrupt' -- "$V" check "$T/D5" --key "$T/log.vkey"
cp -a "$L" "$T/D6"; flip "$T/D6/tile/entries/000" 100
expect bundle_altered 1 'hashes differ' -- "$V" check "$T/D6" --key "$T/log.vkey"
cp -a "$L" "$T/D7"; sed -i '2s/600/601/' "$T/D7/checkpoint"
expect checkpoint_bad_sig 1 'bad signature' -- "$V" check "$T/D7" --key "$T/log.vkey"
expect checkpoint_unknown_key 1 'unknown key' -- "$V" check "$L" --key "$T/log2.vkey"
expect bad_vkey 1 'not a verifier key' -- "$V" check "$L" --key "example.com/vlog+00000000+AAAA"
cp -a "$L" "$T/D8"; printf 'x' >>"$T/D8/tile/0/000"
expect published_tile_rewrite 1 'refusing to rewrite a published tile' -- "$V" checkpoint "$T/D8"

# hostile proofs
P=$T/p
sed '4s/^./A/;4s/^AA/BA/' "$P" >"$T/p_hash"; cmp -s "$P" "$T/p_hash" && echo "FAIL vlog_cli:setup: p_hash unchanged"
expect proof_hash_altered 1 'inclusion: proof does not verify' -- "$V" verify-proof "$T/p_hash" --key "$T/log.vkey"
sed 's/^index 299$/index 601/' "$P" >"$T/p_index"
expect proof_other_size 1 'another tree size' -- "$V" verify-proof "$T/p_index" --key "$T/log.vkey"
sed 's/^index 299$/index 298/' "$P" >"$T/p_index2"
expect proof_wrong_index 1 'inclusion: proof does not verify' -- "$V" verify-proof "$T/p_index2" --key "$T/log.vkey"
{ sed -n '1,/^$/p' "$P"; cat "$T/cp5"; } >"$T/p_oldcp"
expect proof_against_other_tree 1 'another tree size|inclusion: proof' -- "$V" verify-proof "$T/p_oldcp" --key "$T/log.vkey"
sed '/^600$/s/600/599/' "$P" >"$T/p_cpsig"
expect proof_checkpoint_bad_sig 1 'checkpoint: signature by a known key does not verify' -- "$V" verify-proof "$T/p_cpsig" --key "$T/log.vkey"
expect proof_unknown_key 1 'unknown key' -- "$V" verify-proof "$P" --key "$T/log2.vkey"
head -c 200 "$P" >"$T/p_cut"
expect proof_truncated 1 'not a c2sp.org/tlog-proof' -- "$V" verify-proof "$T/p_cut" --key "$T/log.vkey"
expect proof_garbage 1 'not a c2sp.org/tlog-proof' -- "$V" verify-proof "$T/garbage" --key "$T/log.vkey"
grep -v '^extra ' "$P" >"$T/p_noextra"
expect proof_no_claim 1 'does not carry its claim' -- "$V" verify-proof "$T/p_noextra" --key "$T/log.vkey"

# the witness
W="$V witness $T/S --key $T/w.key --log $T/log.vkey"
expect witness_first 0 '^— witness.example/w1 ' -- $W "$T/cp5" --time 1000
expect witness_same 0 '^— witness.example/w1 ' -- $W "$T/cp5" --time 1001
expect witness_grow_no_proof 1 'consistency proof is needed' -- $W "$L/checkpoint"
"$V" consistency "$L" 4 -o "$T/c4" >/dev/null 2>&1 || true
expect witness_proof_other_size 1 'another tree size' -- $W "$L/checkpoint" --proof "$T/c4"
sed '3s/^./A/;3s/^AA/BA/' "$T/c5" >"$T/c5_bad"
expect witness_bad_proof 1 'inconsistent with the cosigned checkpoint' -- $W "$L/checkpoint" --proof "$T/c5_bad"
expect witness_bad_proof_evidence 1 'offered now' -- $W "$L/checkpoint" --proof "$T/c5_bad"
expect witness_bad_proof_file 1 'not a consistency proof' -- $W "$L/checkpoint" --proof "$T/garbage"
expect witness_grow 0 '' -- $W "$L/checkpoint" --proof "$T/c5" --time 1002 -o "$T/cosigned"
expect witness_grow_cosigned 0 '^— witness.example/w1 ' -- cat "$T/cosigned"
# a note offered again with our own cosignature keeps one line of ours
expect witness_recosign_one_line 0 '^1$' -- bash -c "$W '$T/cosigned' --time 1003 | grep -c '^— witness.example/w1 '"
expect witness_rollback 1 'size 5 is older than the checkpoint of size 600 this witness cosigned' -- $W "$T/cp5"
expect witness_wrong_log_key 1 'unknown key' -- "$V" witness "$T/S" --key "$T/w.key" --log "$T/log2.vkey" "$L/checkpoint"
expect witness_note_key 1 'not a witness key' -- "$V" witness "$T/S" --key "$T/log.key" --log "$T/log.vkey" "$L/checkpoint"
expect witness_bad_sig 1 'bad signature' -- $W "$T/D7/checkpoint"
expect witness_garbage 1 'not a signed note' -- $W "$T/garbage"

# a split view: a fork of the log, same origin and key, other entries
F=$T/F
"$V" init "$F" --origin example.com/vlog --key "$T/log.key" >/dev/null
"$V" append "$F" "${claims[@]:0:599}" "$(claim 7777)" >/dev/null
"$V" checkpoint "$F" >/dev/null
expect split_view_same_size 1 'split view: same size, different root' -- $W "$F/checkpoint"
expect split_view_evidence 1 'cosigned earlier' -- $W "$F/checkpoint"
"$V" append "$F" "$(claim 8888)" >/dev/null; "$V" checkpoint "$F" >/dev/null
"$V" consistency "$F" 600 -o "$T/cf" >/dev/null
expect split_view_grown 1 'inconsistent with the cosigned checkpoint' -- $W "$F/checkpoint" --proof "$T/cf"
# a second witness has its own state: the fork is new to it
expect other_witness 0 '^— other.example/w2 ' -- "$V" witness "$T/S2" --key "$T/w2.key" --log "$T/log.vkey" "$F/checkpoint"
# what if the witness state itself was altered?
for s in "$T"/S/*; do sed -i '2s/600/601/' "$s"; done
expect witness_state_altered 1 'bad signature' -- $W "$L/checkpoint"

exit $failed
