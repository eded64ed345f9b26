#!/bin/bash
# fuzz_short.sh: a short bounded run of every libFuzzer target built by
# fuzz/rules.mk (make fuzz runs them longer). One PASS/FAIL line per
# fuzzer; a FAIL shows the tail of the fuzzer's report. Each run starts
# from the build-time seed corpus in a scratch directory, so make test
# leaves nothing behind. FUZZ_SHORT_TIME (seconds, default 20) per fuzzer.
# Usage: bash tests/tools/fuzz_short.sh <build-dir>
B=${1:-build}
TIME=${FUZZ_SHORT_TIME:-20}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
shopt -s nullglob

for src in fuzz/*.c; do
    name=$(basename "$src" .c)
    bin=$B/fuzz/$name
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz_short: $name: $bin not built"; fails=$((fails + 1)); continue
    fi
    mkdir -p "$T/$name"
    seeds=()
    [ -d "$B/fuzz/corpus/$name" ] && seeds=("$B/fuzz/corpus/$name")
    if timeout $((TIME * 3 + 60)) "$bin" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$T/crash-" "$T/$name" "${seeds[@]}" > "$T/$name.log" 2>&1; then
        runs=$(grep -o 'Done [0-9]* runs' "$T/$name.log" | tail -1)
        echo "PASS fuzz_short: $name (${runs:-ran} in ${TIME}s)"
    else
        echo "FAIL fuzz_short: $name: fuzzer reported a problem"
        grep -v '^INFO\|^#' "$T/$name.log" | tail -20 | sed 's/^/    /'
        mkdir -p "$B/fuzz"
        for c in "$T"/crash-*; do cp "$c" "$B/fuzz/" && echo "    input kept: $B/fuzz/$(basename "$c")"; done
        fails=$((fails + 1))
    fi
done
[ $fails -eq 0 ]
