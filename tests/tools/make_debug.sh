#!/bin/bash
# make_debug.sh: `make debug` boots halted with QEMU's gdb stub on
# 127.0.0.1:1234 and prints one gdb command; that very command, run in
# batch mode with a few more, stops at kmain, in init's main and in a
# system call, and each backtrace is whole (ends at the boot or trap
# frame, every frame named). Usage: bash tests/tools/make_debug.sh <build>
B=${1:-build}
fails=0
check() {
    if [ "$2" = 0 ]; then echo "PASS make_debug: $1"; else echo "FAIL make_debug: $1"; fails=$((fails + 1)); fi
}
out=$(mktemp); log=$(mktemp)
trap 'rm -f "$out" "$log"; [ -n "$qpid" ] && kill "$qpid" 2>/dev/null' EXIT
setsid timeout 120 make -s --no-print-directory debug < /dev/null > "$out" 2>&1 &
qpid=$!
for i in $(seq 100); do
    grep -q "target remote" "$out" && nc -z 127.0.0.1 1234 2>/dev/null && break
    grep -q "target remote" "$out" && [ "$i" -gt 20 ] && break
    sleep 0.2
done
cmd=$(grep -o "gdb -q .*" "$out" | head -1)
[ -n "$cmd" ]; check "make debug prints the gdb command" $?
echo "$cmd" | grep -q "127.0.0.1:1234"; check "the stub is on 127.0.0.1 only" $?
# the printed command, without its final `continue`, then our own steps.
# `tbreak main`, not `break main`: resuming from a kept breakpoint makes
# gdb step over it, and QEMU 7.2's TCG stub stepping over init's first
# instruction (`push %rbp`) leaves %rsp 8 bytes lower, so init later
# faults on an aligned SSE store (seen once main began with that push).
base=${cmd% -ex continue}
eval "timeout 60 $base -batch -ex continue -ex bt -ex 'tbreak main' -ex continue -ex bt \
      -ex 'break sys_cap_info' -ex continue -ex bt -ex kill" > "$log" 2>&1
grep -q "^#0  kmain" "$log" && grep -q "^#1  .* in start64_high" "$log"; check "kmain's backtrace ends at the boot frame" $?
grep -q "^#0  main () at user/init/main.c" "$log"; check "init's main is reached with its symbols" $?
grep -q "^#0  sys_cap_info" "$log" && grep -q "in syscall_entry" "$log"; check "a system call's backtrace ends at syscall_entry" $?
! grep -q "^#.* in ?? ()" "$log"; check "no backtrace frame without a name" $?
[ $fails = 0 ] || sed 's/^/  /' "$log" | head -40
exit $((fails > 0))
