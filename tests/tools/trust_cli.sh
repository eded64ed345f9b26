#!/usr/bin/env bash
# tests/tools/trust_cli.sh: the trust half of the policy and the evidence
# that travels with a capsule (docs/TRUST.md), at the tools:
#   - `vcapsule policy` compiles logs, witnesses, rebuilders, min_rebuilders
#     and min_witnesses, and refuses a key of the wrong type, a key listed
#     twice, a malformed key, a bad threshold and an unknown field, naming
#     line and column; a policy without them compiles to the bytes it
#     always did (no new field: the signature-only behaviour)
#   - `vevidence` packs attestations and proofs and refuses empty,
#     missing, oversized and too many inputs
#
#   bash tests/tools/trust_cli.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SUITE=trust_cli
. tests/tools/expect.bash
V=$B/tools/vlog
VC=$B/tools/vcapsule
VE=tools/vrebuild/vevidence
for t in "$V" "$VC"; do [ -x "$t" ] || { echo "FAIL $SUITE:tool_built: $t missing"; exit 1; }; done
T=$(mktemp -d /tmp/vectra-trust.XXXXXX)
trap 'rm -rf "$T"' EXIT

"$V" keygen log.example/l -o "$T/l.key" >"$T/l.vkey" 2>/dev/null
"$V" keygen witness.example/w --witness -o "$T/w.key" >"$T/w.vkey" 2>/dev/null
"$V" keygen rebuilder.example/r -o "$T/r.key" >"$T/r.vkey" 2>/dev/null
L=$(cat "$T/l.vkey") W=$(cat "$T/w.vkey") R=$(cat "$T/r.vkey")
P='"persons":[{"name":"alice","key":"'$(printf '%064d' 0)'"}]'
D='"domains":[{"domain":"D2","ceiling":["IPC_SRV"],"signers":["alice"]'
pol() { echo "{$P,$D$1}]$2}" >"$T/$3.json"; }

pol ',"min_rebuilders":2,"min_witnesses":1' ",\"logs\":[\"$L\"],\"witnesses\":[\"$W\"],\"rebuilders\":[\"$R\"]" full
expect full_policy 0 'bytes' -- "$VC" policy "$T/full.json" -o "$T/full.bin"
pol '' '' old
expect old_policy 0 'bytes' -- "$VC" policy "$T/old.json" -o "$T/old.bin"
# the old form's bytes are the message capnp made before these fields existed
capnp convert json:canonical schema/capsule.capnp Policy <"$T/old.json" >"$T/old.ref" 2>/dev/null
cmp -s "$T/old.bin" "$T/old.ref" && pass old_policy_same_bytes || fail old_policy_same_bytes "bytes differ"
pol '' ",\"witnesses\":[\"$R\"]" wtype
expect witness_wrong_type 1 'type 0x01, not 0x04' -- "$VC" policy "$T/wtype.json" -o "$T/x.bin"
pol '' ",\"rebuilders\":[\"$W\"]" rtype
expect rebuilder_wrong_type 1 'type 0x04, not 0x01' -- "$VC" policy "$T/rtype.json" -o "$T/x.bin"
pol '' ",\"rebuilders\":[\"$R\",\"$R\"]" twice
expect key_twice 1 'listed twice' -- "$VC" policy "$T/twice.json" -o "$T/x.bin"
# the key with its last character changed (to one it is not: keys are
# drawn per build, so a fixed replacement is the same key one time in 64)
last=${L: -1}; [ "$last" = A ] && sub=B || sub=A
pol '' ",\"logs\":[\"${L%?}$sub\"]" badkey
expect key_malformed 1 'not a verifier key' -- "$VC" policy "$T/badkey.json" -o "$T/x.bin"
pol '' ',"logs":["x"]' shortkey
expect key_garbage 1 'not a verifier key' -- "$VC" policy "$T/shortkey.json" -o "$T/x.bin"
pol '' ',"logs":"x"' notlist
expect keys_not_a_list 1 'must be an array' -- "$VC" policy "$T/notlist.json" -o "$T/x.bin"
pol ',"min_rebuilders":256' '' n256
expect threshold_too_big 1 'whole number 0-255' -- "$VC" policy "$T/n256.json" -o "$T/x.bin"
pol ',"min_witnesses":1.5' '' nfrac
expect threshold_fraction 1 'whole number 0-255' -- "$VC" policy "$T/nfrac.json" -o "$T/x.bin"
pol ',"min_witnesses":"2"' '' nstr
expect threshold_string 1 'whole number 0-255' -- "$VC" policy "$T/nstr.json" -o "$T/x.bin"
pol ',"min_witneses":2' '' typo
expect threshold_typo 1 'unknown field "min_witneses"' -- "$VC" policy "$T/typo.json" -o "$T/x.bin"
pol '' ',"loggs":[]' ttypo
expect top_typo 1 'unknown field "loggs"' -- "$VC" policy "$T/ttypo.json" -o "$T/x.bin"

# vevidence
printf 'vectra-rebuild/v1\n' >"$T/a1"
printf 'c2sp.org/tlog-proof@v1\n' >"$T/p"
expect evidence 0 '' -- "$VE" -o "$T/ev" --attest "$T/a1" --attest "$T/a1" --proof "$T/p"
printf 'vectra-evidence/v1\nattestation 18\nvectra-rebuild/v1\n\nattestation 18\nvectra-rebuild/v1\n\nproof 23\nc2sp.org/tlog-proof@v1\n\n' >"$T/ev.ref"
cmp -s "$T/ev" "$T/ev.ref" && pass evidence_bytes || fail evidence_bytes "not the documented bytes"
expect evidence_exists 1 'exists' -- "$VE" -o "$T/ev" --proof "$T/p"
: >"$T/empty"
expect evidence_empty 1 '1-65536 bytes' -- "$VE" -o "$T/e1" --proof "$T/empty"
head -c 65537 /dev/zero >"$T/big"
expect evidence_too_big 1 '1-65536 bytes' -- "$VE" -o "$T/e2" --checkpoint "$T/big"
expect evidence_missing 1 'No such file' -- "$VE" -o "$T/e3" --consistency "$T/none"
args=(); for i in $(seq 17); do args+=(--attest "$T/a1"); done
expect evidence_too_many 1 'at most 16' -- "$VE" -o "$T/e4" "${args[@]}"
expect evidence_no_out 2 'Try' -- "$VE" --proof "$T/p"
expect evidence_help 0 'SYNOPSIS' -- "$VE" --help
# release attestations: vlog attest with several VCIDs (vectra-rebuild-set/v1)
VA=$(printf 'a%.0s' $(seq 64)) VB=$(printf 'b%.0s' $(seq 64))
expect release_attest 0 '' -- "$V" attest --key "$T/r.key" --vcid "$VB,$VA" --source git:x@y -o "$T/rel"
printf 'vectra-rebuild-set/v1\nvcid %s\nvcid %s\nsource git:x@y\n\n' "$VA" "$VB" >"$T/rel.ref"
head -5 "$T/rel" >"$T/rel.text"
expect release_sorted 0 '' -- cmp "$T/rel.text" "$T/rel.ref"
expect release_verifies 0 "vcid $VB" -- "$V" verify-attest "$T/rel" --key "$T/r.vkey"
expect release_twice 2 'listed twice' -- "$V" attest --key "$T/r.key" --vcid "$VA,$VA" --source s
expect release_empty_item 2 'bad VCID list' -- "$V" attest --key "$T/r.key" --vcid "$VA," --source s
sed 's/^vcid b/vcid c/' "$T/rel" >"$T/rel.bad"
expect release_altered 1 'signature' -- "$V" verify-attest "$T/rel.bad" --key "$T/r.vkey"
exit $failed
