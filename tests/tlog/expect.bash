# tests/tlog/expect.bash: the case helpers the vlog test scripts share
# (sourced; set SUITE first). A case passes on its exit status and a
# pattern in its output; a sanitizer report always fails it.
failed=0
pass() { echo "PASS $SUITE:$1"; }
fail() { echo "FAIL $SUITE:$1: $2"; failed=1; }

# expect NAME STATUS PATTERN -- command...
expect() {
  local name=$1 want=$2 pat=$3
  shift 4
  local out st
  out=$("$@" 2>&1)
  st=$?
  if grep -q 'Sanitizer\|runtime error' <<<"$out"; then
    fail "$name" "sanitizer report: $(grep -m1 'Sanitizer\|runtime error' <<<"$out")"
  elif [ "$st" != "$want" ]; then
    fail "$name" "exit $st, want $want: $(head -c 400 <<<"$out")"
  elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
    fail "$name" "output lacks /$pat/: $(head -c 400 <<<"$out")"
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
