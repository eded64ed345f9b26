# tests/tools/expect.bash: the case helpers of the tool test scripts
# (sourced; not a test itself, so it does not end in .sh). The script sets
# SUITE (its name in PASS/FAIL lines) and uses `failed` as its exit status.
#
#   expect NAME STATUS PATTERN -- command...
# passes when the command exits with STATUS and its combined output
# matches the extended regex PATTERN (empty: anything); a sanitizer report
# is always a failure, and so is a match of $NOT when it is set
# (NOT=pattern expect ...).
failed=0

pass() { echo "PASS $SUITE:$1"; }
fail() { echo "FAIL $SUITE:$1: $2"; failed=1; }

expect() {
  local name=$1 want=$2 pat=$3
  shift 4
  local out st
  out=$("$@" 2>&1)
  st=$?
  if grep -q 'Sanitizer\|runtime error' <<<"$out"; then
    fail "$name" "sanitizer report: $(grep -m1 'Sanitizer\|runtime error' <<<"$out")"
  elif [ -n "${NOT:-}" ] && grep -qE -- "$NOT" <<<"$out"; then
    fail "$name" "output has /$NOT/: $(head -c 300 <<<"$out")"
  elif [ "$st" != "$want" ]; then
    fail "$name" "exit $st, want $want: $(head -c 300 <<<"$out")"
  elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
    fail "$name" "output lacks /$pat/: $(head -c 300 <<<"$out")"
  else
    pass "$name"
  fi
}

# flip FILE OFFSET: xor one byte with 0x01 in place
flip() {
  python3 - "$1" "$2" <<'PY'
import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[o] ^= 1; open(p, 'wb').write(b)
PY
}
