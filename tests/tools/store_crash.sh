#!/usr/bin/env bash
# tests/tools/store_crash.sh: make test's slice of the store's crash test
# in QEMU (scripts/store-crash, docs/STORE.md "Crash consistency in QEMU"):
# 20 seeded cut points; `make soak` runs 200.
#
#   bash tests/tools/store_crash.sh BUILD_DIR
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
exec python3 scripts/store-crash "$B" --points 20 --seed 14 --log store_crash.log
