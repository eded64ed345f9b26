#!/usr/bin/env bash
# tests/tools/capsule_cli.sh: vkey and vcapsule end to end, good paths and
# hostile ones (missing files, wrong passphrases, truncated and garbage
# files, unknown options). Every bad input must give a clear message and a
# non-zero exit, never a crash (the tools are built with ASan+UBSan, which
# turn any memory error into a failed case here).
#
#   bash tests/tools/capsule_cli.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VKEY=$B/tools/vkey
VCAP=$B/tools/vcapsule
T=$(mktemp -d /tmp/vectra-capsule-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
SUITE=capsule_cli
. tests/tools/expect.bash

for t in "$VKEY" "$VCAP"; do
  [ -x "$t" ] || { echo "FAIL capsule_cli:tools_built: $t missing"; exit 1; }
done

echo "correct horse battery" >"$T/pw"
echo "not the passphrase" >"$T/badpw"
cp tests/capsule/words.txt "$T/words"
sed 's/ art$/ zoo/' tests/capsule/words.txt >"$T/badwords"
head -c 300 /dev/urandom >"$T/garbage"
: >"$T/empty"

expect help_vkey 0 '^NAME' -- "$VKEY" --help
expect help_vcapsule 0 'SYNOPSIS' -- "$VCAP" --help
expect help_subcommand 0 'EXIT STATUS' -- "$VKEY" cert issue --help
expect no_command 2 'missing command' -- "$VKEY"
expect unknown_command 2 "unknown command" -- "$VCAP" frobnicate x
expect unknown_option 2 "unknown option" -- "$VKEY" person show x --frob
expect option_without_value 2 "needs a value" -- "$VKEY" machine new -o

# Person
expect person_restore 0 'person alice key [0-9a-f]{64}' -- \
  "$VKEY" person restore --name alice --words-file "$T/words" -o "$T/alice.vperson"
expect person_restore_is_deterministic 0 '' -- \
  "$VKEY" person restore --name alice --words-file "$T/words" -o "$T/alice2.vperson"
expect person_files_equal 0 '' -- cmp "$T/alice.vperson" "$T/alice2.vperson"
expect person_new 0 '^([a-z]+ ){23}[a-z]+$' -- \
  "$VKEY" person new --name bob -o "$T/bob.vperson"
expect person_bad_checksum 1 'checksum' -- \
  "$VKEY" person restore --name x --words-file "$T/badwords" -o "$T/x.vperson"
expect person_words_missing 1 'cannot open' -- \
  "$VKEY" person restore --name x --words-file "$T/nowhere" -o "$T/x.vperson"
expect person_bad_name 1 'bad Person name' -- \
  "$VKEY" person restore --name 'a b' --words-file "$T/words" -o "$T/y.vperson"
expect person_show_garbage 1 'not a Person' -- "$VKEY" person show "$T/garbage"
expect person_show_json 0 '"key":"[0-9a-f]{64}"' -- "$VKEY" person show "$T/alice.vperson" --json
expect person_refuses_overwrite 1 'exists' -- \
  "$VKEY" person restore --name alice --words-file "$T/words" -o "$T/alice.vperson"

# Machine
expect machine_new 0 'machine key [0-9a-f]{64}' -- \
  "$VKEY" machine new --passphrase-file "$T/pw" -o "$T/m.vmkey"
expect machine_show 0 't=3 m=65536 KiB p=4' -- "$VKEY" machine show "$T/m.vmkey"
expect machine_unseal 0 'unsealed' -- "$VKEY" machine unseal "$T/m.vmkey" --passphrase-file "$T/pw"
expect machine_wrong_passphrase 1 'wrong passphrase' -- \
  "$VKEY" machine unseal "$T/m.vmkey" --passphrase-file "$T/badpw"
expect machine_empty_passphrase 1 'empty passphrase' -- \
  "$VKEY" machine new --passphrase-file "$T/empty" -o "$T/m2.vmkey"
head -c 100 "$T/m.vmkey" >"$T/m.trunc"
expect machine_truncated 1 'truncated' -- "$VKEY" machine unseal "$T/m.trunc" --passphrase-file "$T/pw"
expect machine_garbage 1 'not a Machine key' -- "$VKEY" machine show "$T/garbage"
expect machine_missing 1 'cannot open' -- "$VKEY" machine show "$T/nowhere"
expect machine_directory 1 'not a regular file' -- "$VKEY" machine show "$T"

# Certificates
expect cert_issue 0 'signature   good' -- \
  "$VKEY" cert issue --words-file "$T/words" --machine "$T/m.vmkey" --name build-01 \
  --domains D2 --not-before 1000000000 --not-after 2000000000 --serial 42 -o "$T/m.vcert"
expect cert_show_json 0 '"domains":\["D2"\]' -- "$VKEY" cert show "$T/m.vcert" --json
head -c 60 "$T/m.vcert" >"$T/c.trunc"
expect cert_truncated 1 'malformed' -- "$VKEY" cert show "$T/c.trunc"
cp "$T/m.vcert" "$T/c.flip"
# the last signature byte, complemented (writing a fixed byte would leave
# it unchanged 1 time in 256)
last=$(( $(stat -c %s "$T/m.vcert") - 1 ))
byte=$(od -An -tu1 -j "$last" -N1 "$T/m.vcert" | tr -d ' ')
printf "\\$(printf %03o $(( byte ^ 255 )))" | dd of="$T/c.flip" bs=1 seek="$last" conv=notrunc 2>/dev/null
expect cert_altered 1 'signature does not verify' -- "$VKEY" cert show "$T/c.flip"
expect cert_bad_domains 2 'bad --domains' -- \
  "$VKEY" cert issue --words-file "$T/words" --machine "$T/m.vmkey" --name n --domains D7 -o "$T/z.vcert"
expect cert_backwards_validity 1 'ends before it begins|end before' -- \
  "$VKEY" cert issue --words-file "$T/words" --machine "$T/m.vmkey" --name n --domains D2 \
  --not-before 20 --not-after 10 -o "$T/z.vcert"

# Policy
KEY=$("$VKEY" person show "$T/alice.vperson" --json | sed 's/.*"key":"\([0-9a-f]*\)".*/\1/')
cat >"$T/policy.json" <<EOF
{"persons": [{"name": "alice", "key": "$KEY"}],
 "domains": [{"domain": "D2", "ceiling": ["IPC_SRV", "svc:*"], "signers": ["alice"]}]}
EOF
cat >"$T/tight.json" <<EOF
{"persons": [{"name": "alice", "key": "$KEY"}],
 "domains": [{"domain": "D2", "ceiling": ["IPC_SRV"], "signers": ["alice"]}]}
EOF
BOB=$("$VKEY" person show "$T/bob.vperson" --json | sed 's/.*"key":"\([0-9a-f]*\)".*/\1/')
cat >"$T/nobody.json" <<EOF
{"persons": [{"name": "bob", "key": "$BOB"}],
 "domains": [{"domain": "D2", "ceiling": ["*"], "signers": ["bob"]}]}
EOF
echo '{"persons": [], "domians": []}' >"$T/typo.json"
expect policy_compile 0 'bytes' -- "$VCAP" policy "$T/policy.json" -o "$T/policy.bin"
expect policy_unknown_field 1 'unknown field "domians"' -- "$VCAP" policy "$T/typo.json" -o "$T/x.bin"
expect policy_garbage 1 'malformed' -- "$VCAP" policy "$T/garbage" -o "$T/x.bin"

# Capsules
M=tests/capsule/hello/manifest.json
expect build 0 'vcid [0-9a-f]{64}' -- "$VCAP" build "$M" -o "$T/h.vcap"
expect inspect_unsigned 0 'proof     none: unsigned' -- "$VCAP" inspect "$T/h.vcap"
expect verify_unsigned 1 'REFUSED UNSIGNED' -- "$VCAP" verify "$T/h.vcap" --policy "$T/policy.json"
expect sign 0 'signed .* vcid' -- "$VCAP" sign "$T/h.vcap" --key "$T/m.vmkey" --cert "$T/m.vcert" \
  --passphrase-file "$T/pw" -o "$T/hs.vcap"
expect sign_wrong_passphrase 1 'wrong passphrase' -- "$VCAP" sign "$T/h.vcap" --key "$T/m.vmkey" \
  --cert "$T/m.vcert" --passphrase-file "$T/badpw" -o "$T/x.vcap"
expect sign_garbage_capsule 1 'not a well-formed capsule' -- "$VCAP" sign "$T/garbage" \
  --key "$T/m.vmkey" --cert "$T/m.vcert" --passphrase-file "$T/pw" -o "$T/x.vcap"
expect verify_ok 0 '^OK .* vcid [0-9a-f]{64}' -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/policy.json" --now 1500000000
expect verify_binary_policy 0 '^OK' -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/policy.bin" --now 1500000000
expect verify_expired 1 'REFUSED CERT_EXPIRED' -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/policy.json" --now 2000000001
expect verify_unknown_person 1 'REFUSED UNKNOWN_PERSON' -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/nobody.json" --now 1500000000
expect verify_overreach 1 'REFUSED DOMAIN_OVERREACH.*svc:log' -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/tight.json" --now 1500000000
expect verify_json 0 '"ok":true' -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/policy.json" --now 1500000000 --json
expect verify_needs_policy 2 'missing --policy' -- "$VCAP" verify "$T/hs.vcap"
expect verify_bad_now 2 'bad --now' -- "$VCAP" verify "$T/hs.vcap" --policy "$T/policy.json" --now soon
head -c 500 "$T/hs.vcap" >"$T/hs.trunc"
expect verify_truncated 1 'REFUSED LAYOUT' -- "$VCAP" verify "$T/hs.trunc" --policy "$T/policy.json"
expect verify_garbage 1 'REFUSED MAGIC' -- "$VCAP" verify "$T/garbage" --policy "$T/policy.json"
expect verify_empty 1 'REFUSED TRUNCATED' -- "$VCAP" verify "$T/empty" --policy "$T/policy.json"
expect verify_missing 1 'cannot open' -- "$VCAP" verify "$T/nowhere" --policy "$T/policy.json"
expect inspect_garbage 1 'bad magic' -- "$VCAP" inspect "$T/garbage"
expect inspect_truncated 1 'section lengths' -- "$VCAP" inspect "$T/hs.trunc"
out=$("$VCAP" inspect "$T/hs.vcap" --json 2>&1)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["signed"] and d["manifest"]["name"]=="hello"' "$out" 2>/dev/null; then
  pass inspect_json_parses
else
  fail inspect_json_parses "$out"
fi

# Bad manifests
mkdir -p "$T/bad"
cp tests/capsule/hello/hello.bin tests/capsule/hello/config.txt "$T/bad/"
bad_manifest() {
  local name=$1 pat=$2 json=$3
  printf '%s\n' "$json" >"$T/bad/$name.json"
  expect "build_$name" 1 "$pat" -- "$VCAP" build "$T/bad/$name.json" -o "$T/bad/$name.vcap"
}
bad_manifest not_json 'JSON: ' '{"name": "x",'
bad_manifest trailing_comma 'JSON: ' '{"name": "x", "ver": "1.0.0", "domain": "D0",}'
bad_manifest unknown_field 'unknown field "requries"' '{"name":"x","ver":"1.0.0","domain":"D0","requries":[]}'
bad_manifest missing_ver 'are required' '{"name":"x","domain":"D0"}'
bad_manifest bad_domain 'one of D0' '{"name":"x","ver":"1.0.0","domain":"D9"}'
bad_manifest bad_name 'BAD_NAME' '{"name":"X Y","ver":"1.0.0","domain":"D0"}'
bad_manifest bad_semver 'BAD_VERSION' '{"name":"x","ver":"1.0","domain":"D0"}'
bad_manifest bad_cap 'BAD_CAPABILITY' '{"name":"x","ver":"1.0.0","domain":"D0","requires":["gpu"]}'
bad_manifest blob_file_missing 'blob "a".*cannot open' '{"name":"x","ver":"1.0.0","domain":"D0","blobs":[{"name":"a","file":"nope"}]}'
bad_manifest blob_wrong_digest 'does not match' '{"name":"x","ver":"1.0.0","domain":"D0","blobs":[{"name":"a","file":"hello.bin","integrity":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}'
bad_manifest entry_not_a_blob 'BAD_ENTRY' '{"name":"x","ver":"1.0.0","domain":"D0","entry":"main"}'
bad_manifest deep_nesting 'nested too deeply' "$(printf '%.0s[' $(seq 40))"
expect build_missing_manifest 1 'cannot open' -- "$VCAP" build "$T/nowhere.json" -o "$T/x.vcap"
expect build_garbage_manifest 1 'JSON' -- "$VCAP" build "$T/garbage" -o "$T/x.vcap"

# ---- what a new user meets (issue 19) ----
# Without a words file and without a terminal (setsid: no controlling
# one), the question is the words', not a passphrase's.
expect restore_without_words 1 'no --words-file given and no terminal' -- \
  setsid "$VKEY" person restore --name x -o "$T/nw.vperson"
expect cert_without_words 1 'no --words-file given and no terminal' -- \
  setsid "$VKEY" cert issue --machine "$T/m.vmkey" --name n --domains D2 -o "$T/nw.vcert"
tr a-z A-Z <"$T/words" >"$T/upper"
expect restore_uppercase_words 0 'person alice key' -- \
  "$VKEY" person restore --name alice --words-file "$T/upper" -o "$T/upper.vperson"
expect uppercase_words_same_key 0 '' -- cmp "$T/alice.vperson" "$T/upper.vperson"

# Passphrases: a new one has at least 8 bytes; a file's line end (LF or
# CRLF) is not part of it.
printf 'abc\n' >"$T/shortpw"
expect machine_short_passphrase 1 'passphrase too short \(8 to 1023 bytes\)' -- \
  "$VKEY" machine new --passphrase-file "$T/shortpw" -o "$T/short.vmkey"
printf 'correct horse battery\r\n' >"$T/crlfpw"
expect passphrase_crlf_stripped 0 'unsealed' -- \
  "$VKEY" machine unseal "$T/m.vmkey" --passphrase-file "$T/crlfpw"

# Argon2 parameters (offset 16 t, 20 m KiB, 24 p, little-endian): a
# hostile m is refused before any work; a weak one is refused on unseal
# and sign, and only warned about by show.
patch_m() { cp "$T/m.vmkey" "$2"; printf "$1" | dd of="$2" bs=1 seek=20 conv=notrunc 2>/dev/null; }
patch_m '\x00\x00\x00\x01' "$T/huge.vmkey"     # 16 GiB
patch_m '\x00\x10\x00\x00' "$T/weak.vmkey"     # 4 MiB
start=$(date +%s%N)
expect machine_huge_memory 1 'out of range .*at most t=8 m=1048576 KiB p=16' -- \
  "$VKEY" machine unseal "$T/huge.vmkey" --passphrase-file "$T/pw"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$ms" -lt 2000 ]; then pass machine_huge_memory_fast; else fail machine_huge_memory_fast "${ms} ms"; fi
expect machine_weak_unseal 1 'weak Argon2id parameters' -- \
  "$VKEY" machine unseal "$T/weak.vmkey" --passphrase-file "$T/pw"
expect machine_weak_show_warns 0 'warning: .*weak' -- "$VKEY" machine show "$T/weak.vmkey"
expect sign_weak_key 1 'weak Argon2id parameters' -- "$VCAP" sign "$T/h.vcap" --key "$T/weak.vmkey" \
  --cert "$T/m.vcert" --passphrase-file "$T/pw" -o "$T/weak.vcap"

# Policies: a line and column, never a capnp exception; every signer a
# Person; each Person, key and domain once.
policy_bad() {
  local name=$1 pat=$2
  printf '%s\n' "$3" >"$T/pol-$name.json"
  NOT='exception|stack' expect "policy_$name" 1 "$pat" -- "$VCAP" policy "$T/pol-$name.json" -o "$T/pol-$name.bin"
}
P1="{\"name\": \"alice\", \"key\": \"$KEY\"}"
policy_bad bad_domain 'line 2 column 15: "domain" must be one of D0, D1, D2, D3, D4, not "D7"' \
  "{\"persons\": [$P1],
 \"domains\": [{\"domain\": \"D7\", \"ceiling\": [], \"signers\": [\"alice\"]}]}"
policy_bad unknown_signer 'line 2 column 58: D2 signer "bob" is not one of the policy' \
  "{\"persons\": [$P1],
 \"domains\": [{\"domain\": \"D2\", \"ceiling\": [], \"signers\": [\"bob\"]}]}"
policy_bad duplicate_person 'Person "alice" is listed twice' "{\"persons\": [$P1, $P1], \"domains\": []}"
policy_bad duplicate_key 'Persons "alice" and "bob" have the same key' \
  "{\"persons\": [$P1, {\"name\": \"bob\", \"key\": \"$KEY\"}], \"domains\": []}"
policy_bad short_key 'line 1 column 32: Person "alice": "key": expected 64 hex digits' \
  '{"persons": [{"name": "alice", "key": "abcd"}], "domains": []}'
policy_bad key_not_string 'every Person needs a string "name" and "key"' \
  '{"persons": [{"name": "alice", "key": 7}], "domains": []}'
policy_bad ceiling_not_strings '"ceiling"' \
  '{"persons": [], "domains": [{"domain": "D1", "ceiling": [1]}]}'
policy_bad unknown_field_position 'line 1 column 30: unknown field "signer"' \
  '{"persons": [], "domains": [{"signer": []}]}'

# Blob paths stay inside the manifest's directory.
bad_manifest blob_absolute 'relative to the manifest.s directory' \
  '{"name":"x","ver":"1.0.0","domain":"D0","blobs":[{"name":"a","file":"/etc/passwd"}]}'
bad_manifest blob_dotdot 'without "\.\."' \
  '{"name":"x","ver":"1.0.0","domain":"D0","blobs":[{"name":"a","file":"sub/../../bad/hello.bin"}]}'
bad_manifest blob_empty_path 'relative to the manifest' \
  '{"name":"x","ver":"1.0.0","domain":"D0","blobs":[{"name":"a","file":""}]}'

# Signing: the certificate must allow the capsule's domain (m.vcert: D2).
sed 's/"D2"/"D3"/' tests/capsule/hello/manifest.json >"$T/bad/d3.json"
expect build_d3 0 'vcid' -- "$VCAP" build "$T/bad/d3.json" -o "$T/d3.vcap"
expect sign_domain_not_certified 1 'domain D3 but the certificate build-01 allows only D2' -- \
  "$VCAP" sign "$T/d3.vcap" --key "$T/m.vmkey" --cert "$T/m.vcert" --passphrase-file "$T/pw" -o "$T/d3s.vcap"
[ -e "$T/d3s.vcap" ] && fail sign_refused_writes_nothing "$T/d3s.vcap exists" || pass sign_refused_writes_nothing
expect verify_negative_now 2 "bad --now '-1'" -- \
  "$VCAP" verify "$T/hs.vcap" --policy "$T/policy.json" --now -1

# One -o rule in both tools: an existing file is refused, --force replaces it.
expect build_refuses_overwrite 1 'exists \(add --force' -- "$VCAP" build "$M" -o "$T/h.vcap"
expect build_force_replaces 0 'vcid' -- "$VCAP" build "$M" -o "$T/h.vcap" --force
expect policy_refuses_overwrite 1 'exists \(add --force' -- "$VCAP" policy "$T/policy.json" -o "$T/policy.bin"
expect machine_refuses_overwrite 1 'exists \(add --force' -- \
  "$VKEY" machine new --passphrase-file "$T/pw" -o "$T/m.vmkey"
expect person_force_replaces 0 'person alice' -- \
  "$VKEY" person restore --name alice --words-file "$T/words" -o "$T/alice.vperson" --force

# One date and domain format in both tools.
vk=$("$VKEY" cert show "$T/m.vcert" | sed -n 's/^valid *//p; s/^domains *//p')
vc=$("$VCAP" inspect "$T/hs.vcap" | sed -n 's/^  valid *//p; s/^  domains *//p')
if [ -n "$vk" ] && [ "$vk" = "$vc" ] && grep -q '^2001-09-09T01:46:40Z .. 2033-05-18T03:33:20Z$' <<<"$vk"; then
  pass same_dates_and_domains
else
  fail same_dates_and_domains "vkey '$vk' vs vcapsule '$vc'"
fi
expect inspect_json_domains 0 '"cert_domains":\["D2"\]' -- "$VCAP" inspect "$T/hs.vcap" --json

exit $failed
