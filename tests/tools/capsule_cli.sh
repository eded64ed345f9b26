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
failed=0

pass() { echo "PASS capsule_cli:$1"; }
fail() { echo "FAIL capsule_cli:$1: $2"; failed=1; }

# expect NAME STATUS PATTERN -- command...: exit status and a pattern in the
# combined output; a sanitizer report is always a failure.
expect() {
  local name=$1 want=$2 pat=$3
  shift 4
  local out st
  out=$("$@" 2>&1)
  st=$?
  if grep -q 'Sanitizer\|runtime error' <<<"$out"; then
    fail "$name" "sanitizer report: $(grep -m1 'Sanitizer\|runtime error' <<<"$out")"
  elif [ "$st" != "$want" ]; then
    fail "$name" "exit $st, want $want: $(head -c 300 <<<"$out")"
  elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
    fail "$name" "output lacks /$pat/: $(head -c 300 <<<"$out")"
  else
    pass "$name"
  fi
}

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
printf '\x01' | dd of="$T/c.flip" bs=1 seek=$(( $(stat -c %s "$T/m.vcert") - 1 )) conv=notrunc 2>/dev/null
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
cat >"$T/nobody.json" <<EOF
{"persons": [], "domains": [{"domain": "D2", "ceiling": ["*"], "signers": ["alice"]}]}
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

exit $failed
