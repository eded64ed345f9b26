#!/usr/bin/env bash
# tests/tools/vimage_cli.sh: vimage end to end on the build's signed test
# capsules (sys/capsules.mk): images made, inspected (text and JSON) and
# checked; then hostile inputs: refused, tampered, truncated and duplicate
# capsules, an image too small, garbage and empty images, a corrupted blob
# and corrupted superblocks. Every bad input must give a named reason and
# a non-zero exit, never a crash (vimage is built with ASan+UBSan).
#
#   bash tests/tools/vimage_cli.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VIMAGE=$B/tools/vimage
C=$B/capsules
T=$(mktemp -d /tmp/vectra-vimage-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
NOW=1800000000
SUITE=vimage_cli
. tests/tools/expect.bash

for f in "$VIMAGE" "$C/demo-1.0.0.vcap" "$C/demo-1.0.1.vcap" "$C/stranger-1.0.0.vcap" "$C/policy.bin"; do
  [ -e "$f" ] || { echo "FAIL vimage_cli:inputs_built: $f missing"; exit 1; }
done
P=(--policy "$C/policy.bin" --now $NOW)

expect help 0 'SYNOPSIS' -- "$VIMAGE" --help
expect no_command 2 'missing command' -- "$VIMAGE"
expect unknown_command 2 'unknown command' -- "$VIMAGE" frob x
expect unknown_option 2 'unknown option' -- "$VIMAGE" make "$T/x.img" --frob "${P[@]}"
expect option_without_value 2 'needs a value' -- "$VIMAGE" make "$T/x.img" --policy
expect no_policy 2 'missing --policy' -- "$VIMAGE" make "$T/x.img" "$C/demo-1.0.0.vcap"
expect no_capsules 2 'missing capsule' -- "$VIMAGE" make "$T/x.img" "${P[@]}"
expect bad_block 2 'bad --block' -- "$VIMAGE" make "$T/x.img" "${P[@]}" --block 1024 "$C/demo-1.0.0.vcap"
expect bad_size 2 'bad --size' -- "$VIMAGE" make "$T/x.img" "${P[@]}" --size 0 "$C/demo-1.0.0.vcap"
expect inspect_takes_no_capsules 2 'takes only' -- "$VIMAGE" inspect "$T/x.img" "$C/demo-1.0.0.vcap"

# good images, both block sizes
expect make 0 '2 capsules, generation 5' -- "$VIMAGE" make "$T/a.img" "${P[@]}" --generation 5 \
  "$C/demo-1.0.0.vcap" "$C/demo-1.0.1.vcap"
expect make_512 0 '1 capsules' -- "$VIMAGE" make "$T/b.img" "${P[@]}" --block 512 --size 1024 \
  "$C/demo-1.0.0.vcap"
expect inspect_text 0 'demo +1\.0\.1 \(previous 1\.0\.0\)' -- "$VIMAGE" inspect "$T/a.img"
expect inspect_512 0 'of 512 bytes' -- "$VIMAGE" inspect "$T/b.img"
"$VIMAGE" inspect "$T/a.img" --json >"$T/a.json" 2>&1
expect inspect_json 0 '' -- python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
g = j["generation"]
assert g["number"] == 5, g
assert g["pins"][0]["name"] == "demo" and g["pins"][0]["active"] == "1.0.1", g
assert g["pins"][0]["previous"] == "1.0.0", g
assert len(j["capsules"]) == 2 and j["policy"] and not j["fell_back"], j
assert all(s["status"] == "OK" for s in j["slots"]), j["slots"]
' "$T/a.json"
expect fsck_clean 0 'clean: 3 blobs, 2 capsules verified' -- "$VIMAGE" fsck "$T/a.img" --now $NOW
expect fsck_before_cert_validity 1 'CERT_NOT_YET_VALID' -- "$VIMAGE" fsck "$T/a.img" --now 1000
expect refuses_overwrite 1 'exists' -- "$VIMAGE" make "$T/a.img" "${P[@]}" "$C/demo-1.0.0.vcap"

# hostile capsules: nothing is written
expect refused_capsule 1 'UNKNOWN_PERSON' -- "$VIMAGE" make "$T/c.img" "${P[@]}" "$C/stranger-1.0.0.vcap"
expect refused_leaves_no_image 1 '' -- test -e "$T/c.img"
cp "$C/demo-1.0.0.vcap" "$T/tamper.vcap"
sz=$(stat -c %s "$T/tamper.vcap")
printf '\x55' | dd of="$T/tamper.vcap" bs=1 seek=$((sz - 100)) conv=notrunc 2>/dev/null
expect tampered_capsule 1 'BLOB_HASH|PAYLOAD_HASH' -- "$VIMAGE" make "$T/c.img" "${P[@]}" "$T/tamper.vcap"
head -c 100 "$C/demo-1.0.0.vcap" >"$T/short.vcap"
expect truncated_capsule 1 'LAYOUT|TRUNCATED' -- "$VIMAGE" make "$T/c.img" "${P[@]}" "$T/short.vcap"
expect missing_capsule 1 'cannot open' -- "$VIMAGE" make "$T/c.img" "${P[@]}" "$T/nowhere.vcap"
expect garbage_policy 1 'POLICY_FORMAT' -- "$VIMAGE" make "$T/c.img" --policy "$T/short.vcap" "$C/demo-1.0.0.vcap"
expect duplicate_capsule 1 'EXISTS' -- "$VIMAGE" make "$T/c.img" "${P[@]}" "$C/demo-1.0.0.vcap" "$C/demo-1.0.0.vcap"
expect duplicate_leaves_no_image 1 '' -- test -e "$T/c.img"
expect image_too_small 1 'NO_SPACE' -- "$VIMAGE" make "$T/c.img" "${P[@]}" --block 512 --size 40 "$C/demo-1.0.0.vcap"

# hostile images
head -c 1048576 /dev/urandom >"$T/garbage.img"
expect inspect_garbage 1 'SB_MAGIC' -- "$VIMAGE" inspect "$T/garbage.img"
: >"$T/empty.img"
expect inspect_empty 1 'BAD_DEVICE' -- "$VIMAGE" inspect "$T/empty.img"
expect inspect_missing 1 'cannot open' -- "$VIMAGE" inspect "$T/nowhere.img"
cp "$T/a.img" "$T/blob.img"
start=$("$VIMAGE" inspect "$T/a.img" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(max(b["start"] for b in j["blobs"]))')
printf '\x01' | dd of="$T/blob.img" bs=1 seek=$((start * 4096 + 777)) conv=notrunc 2>/dev/null
expect fsck_corrupt_blob 1 'BLOB_CORRUPT' -- "$VIMAGE" fsck "$T/blob.img" --now $NOW
cp "$T/a.img" "$T/slot.img"
printf '\xff' | dd of="$T/slot.img" bs=1 seek=$((4096 + 30)) conv=notrunc 2>/dev/null
expect inspect_one_slot_damaged 0 'one slot is damaged' -- "$VIMAGE" inspect "$T/slot.img"
expect fsck_one_slot_damaged 0 'warning: slot 1 is damaged \(SB_CHECKSUM\)' -- "$VIMAGE" fsck "$T/slot.img" --now $NOW
printf '\xff' | dd of="$T/slot.img" bs=1 seek=30 conv=notrunc 2>/dev/null
expect both_slots_damaged 1 'SB_CHECKSUM' -- "$VIMAGE" inspect "$T/slot.img"

exit $failed
