#!/usr/bin/env bash
# tests/tools/repro_capsule.sh: reproducible capsules and vrebuild.
#
# The tree as it is now is committed to a scratch git repository; then two
# real clean builds of one capsule (demo-1.0.0, the capdemo program and
# everything under it: user runtime, lib/, the host tools that build and
# sign it) must give the same manifest and payload, hence the same VCID:
#   A  cloned into one directory, built as this user, make -j1,
#      SOURCE_DATE_EPOCH=1
#   B  tools/vrebuild: its own temporary directory, run as a throwaway uid
#      when this runs as root (setpriv), make -j2, SOURCE_DATE_EPOCH = the
#      commit's time, and hours later on the wall clock for all it knows
# vrebuild compares B with A byte for byte and signs an attestation only
# because they match. Then a capsule with one payload byte flipped must be
# reported with the blob and the offset, and hostile input to vrebuild
# must get named errors. About 40 s: two clean builds of ~14 s each (the
# mismatch cases compare with build A: vrebuild --rebuilt).
#
#   bash tests/tools/repro_capsule.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SUITE=repro_capsule
. tests/tools/expect.bash
VR=tools/vrebuild/vrebuild
V=$ROOT/$B/tools/vlog
TARGET=build/capsules/demo-1.0.0.vcap
[ -x "$V" ] || { echo "FAIL $SUITE:tool_built: $V missing"; exit 1; }
T=$(mktemp -d /tmp/vectra-repro.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"

# the tree as committed plus the working copy of every file git knows
mkdir -p "$T/repo"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -f "$f" ] && mkdir -p "$T/repo/$(dirname "$f")" && cp -p "$f" "$T/repo/$f"
done
(cd "$T/repo" && git init -q && git add -A &&
 GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 \
   git -c user.name=repro -c user.email=repro@example.org commit -qm snapshot) ||
  { echo "FAIL $SUITE:snapshot: git commit failed"; exit 1; }
COMMIT=$(git -C "$T/repo" rev-parse HEAD)
SRC="git:$T/repo@$COMMIT"

# A: one directory, -j1, an early SOURCE_DATE_EPOCH
start=$(date +%s)
git clone -q "$T/repo" "$T/a/first-place/src" && cp -a deps "$T/a/first-place/src/deps"
if (cd "$T/a/first-place/src" && env -i PATH="$PATH" HOME="$T/a" TZ=Asia/Kolkata LC_ALL=C \
      SOURCE_DATE_EPOCH=1 make -j1 "$TARGET" >"$T/a.log" 2>&1); then
  pass build_a
else
  fail build_a "$(tail -5 "$T/a.log")"
  exit 1
fi
A=$T/a/first-place/src/$TARGET
cp "$A" "$T/a.vcap"
echo "  (build A: $(($(date +%s) - start)) s)"

# nothing in the capsule names the directory it was built in
if grep -q "first-place" "$A"; then fail no_build_path "the capsule embeds its build directory"
else pass no_build_path; fi

# B: vrebuild elsewhere, as another user, -j2
"$V" keygen rebuilder.example/r1 -o "$T/r1.key" >"$T/r1.vkey" 2>/dev/null
mkdir -p "$T/b"
RUN=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  U=54321
  # git refuses a repository owned by someone else (safe.directory): the
  # throwaway user owns the snapshot, and every later clone runs as it
  chown -R $U:$U "$T/b" "$T/r1.key" "$T/repo"
  RUN=(setpriv --reuid=$U --regid=$U --clear-groups)
fi
start=$(date +%s)
expect rebuild_matches 0 "^rebuilt: [0-9a-f]{64} from git:" -- \
  "${RUN[@]}" "$VR" "$T/a.vcap" --source "$SRC" --target "$TARGET" --deps "$ROOT/deps" -j 2 \
  --workdir "$T/b" --key "$T/r1.key" -o "$T/b/att" --vlog "$V"
echo "  (build B through vrebuild: $(($(date +%s) - start)) s; $([ ${#RUN[@]} -gt 0 ] && echo "uid $U" || echo "uid $(id -u)"))"
VCID=$(python3 -c 'import hashlib,struct,sys; d=open(sys.argv[1],"rb").read(); m=struct.unpack_from("<I",d,16)[0]; print(hashlib.sha256(d[40:40+m]).hexdigest())' "$T/a.vcap")
expect attestation_verifies 0 "vcid $VCID" -- "$V" verify-attest "$T/b/att" --key "$T/r1.vkey"
expect attestation_names_source 0 "source git:" -- "$V" verify-attest "$T/b/att" --key "$T/r1.vkey"

# where two builds differ: one payload byte flipped, the blob and offset
# named (compared with build A without a third build: --rebuilt), and
# a manifest byte; the same capsule is the same
cp "$T/a.vcap" "$T/flip.vcap"
chmod 644 "$T/flip.vcap"
OFF=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); m,p=struct.unpack_from("<II",d,16); print(40+m+p+8+4242)' "$T/flip.vcap")
flip "$T/flip.vcap" "$OFF"
expect rebuild_differs_in_blob 1 "blob capdemo.elf: first difference at offset 4242 \(sizes" -- \
  "$VR" "$T/flip.vcap" --rebuilt "$T/a.vcap" --vcapsule "$ROOT/$B/tools/vcapsule"
cp "$T/a.vcap" "$T/man.vcap"
flip "$T/man.vcap" 100
expect rebuild_differs_in_manifest 1 "manifest: first difference at byte 60" -- \
  "$VR" "$T/man.vcap" --rebuilt "$T/a.vcap"
expect rebuild_same 0 "^same: $VCID" -- "$VR" "$T/a.vcap" --rebuilt "$T/a.vcap"
expect rebuilt_signs_nothing 2 "compares only" -- \
  "$VR" "$T/a.vcap" --rebuilt "$T/a.vcap" --key "$T/r1.key" -o "$T/x.att"
expect no_source 2 "missing --source" -- "$VR" "$T/a.vcap"

# hostile input: named errors before any build
expect rebuilt_truncated 1 "shorter than its 40-byte header" -- "$VR" "$T/a.vcap" --rebuilt /dev/null
head -c 39 "$T/a.vcap" >"$T/short.vcap"
expect truncated_capsule 1 "shorter than its 40-byte header" -- \
  "$VR" "$T/short.vcap" --source "$SRC" --target "$TARGET"
head -c 4000 "$T/a.vcap" >"$T/cut.vcap"
expect cut_capsule 1 "section lengths disagree" -- "$VR" "$T/cut.vcap" --source "$SRC" --target "$TARGET"
printf 'NOTACAPSULE%.0s' $(seq 10) >"$T/magic.vcap"
expect bad_magic 1 "bad magic" -- "$VR" "$T/magic.vcap" --source "$SRC" --target "$TARGET"
expect bad_source 2 "bad source reference" -- "$VR" "$T/a.vcap" --source "http://x" --target "$TARGET"
expect short_commit 2 "bad source reference" -- "$VR" "$T/a.vcap" --source "git:$T/repo@abc" --target "$TARGET"
expect unknown_commit 1 "checkout failed" -- \
  "${RUN[@]}" "$VR" "$T/a.vcap" --source "git:$T/repo@$(printf '%040d' 7)" --target "$TARGET"
expect no_repo 1 "clone failed" -- \
  "${RUN[@]}" "$VR" "$T/a.vcap" --source "git:$T/nothing@$COMMIT" --target "$TARGET"
expect bad_target 2 "bad target" -- "$VR" "$T/a.vcap" --source "$SRC" --target "../etc/passwd"
expect key_without_out 2 "go together" -- "$VR" "$T/a.vcap" --source "$SRC" --target "$TARGET" --key "$T/r1.key"
expect out_exists 1 "exists" -- \
  "$VR" "$T/a.vcap" --source "$SRC" --target "$TARGET" --key "$T/r1.key" -o "$T/r1.vkey"
expect missing_capsule 1 "No such file" -- "$VR" "$T/none.vcap" --source "$SRC" --target "$TARGET"
expect help 0 "SYNOPSIS" -- "$VR" --help

# attestations: vlog attest / verify-attest refusals
expect attest_bad_vcid 2 "bad VCID" -- "$V" attest --key "$T/r1.key" --vcid XYZ --source s
expect attest_bad_source 2 "bad SOURCE" -- "$V" attest --key "$T/r1.key" --vcid "$VCID" --source "a b"
"$V" keygen w.example/w --witness -o "$T/w.key" >/dev/null 2>&1
expect attest_witness_key 1 "note key" -- "$V" attest --key "$T/w.key" --vcid "$VCID" --source s
"$V" keygen rebuilder.example/r2 -o "$T/r2.key" >"$T/r2.vkey" 2>/dev/null
expect attest_other_key 1 "not signed by the given rebuilder key" -- \
  "$V" verify-attest "$T/b/att" --key "$T/r2.vkey"
cp "$T/b/att" "$T/att.bad"
sed -i 's/^source git:/source hg:/' "$T/att.bad"
expect attest_altered 1 "signature" -- "$V" verify-attest "$T/att.bad" --key "$T/r1.vkey"
head -c 30 "$T/b/att" >"$T/att.cut"
expect attest_truncated 1 "not a signed note" -- "$V" verify-attest "$T/att.cut" --key "$T/r1.vkey"
exit $failed
