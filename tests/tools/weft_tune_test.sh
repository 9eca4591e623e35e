#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# weft-tune end to end: its list of algorithms is the runtime's, a small calibration writes a table
# the runtime loads and uses, a malformed table fails init naming the line, and ranks with
# different WEFT_ALGO refuse to connect.
# Usage: weft_tune_test.sh SOURCE_ROOT BUILD_ROOT LIST_ALGORITHMS
set -euo pipefail
src=$1 build=$2 list=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
weftrun=$build/tools/weftrun
perf=$build/bench/all_reduce_perf

echo "# weft-tune --list matches the runtime's registry"
diff <("$src/tools/weft-tune" --list | sort) <("$list" | sort) || fail "weft-tune's list of algorithms is stale"

echo "# a small calibration writes a table the runtime uses"
"$src/tools/weft-tune" --bin "$build" --ranks 2,3 --collectives allreduce,broadcast --max-bytes 64K \
  --reps 1 --iters 2 --warmup 1 -q -o "$tmp/t.conf"
grep -q '^weft-tuning 1$' "$tmp/t.conf" || fail "no header"
for want in "allreduce ring shm 2 0-" "allreduce halving_doubling shm 3 0-" "broadcast tree shm 2 0-"; do
  grep -q "^$want" "$tmp/t.conf" || fail "no line starting '$want' in the table"
done
WEFT_TUNE_FILE=$tmp/t.conf WEFT_DEBUG=INFO "$weftrun" -n 2 "$perf" -b 1K -e 1K -n 1 -w 0 >"$tmp/out" 2>&1 ||
  { cat "$tmp/out"; fail "the bench failed with the table"; }
grep -q "allreduce #.*predicted .*(shm, 2 ranks, constants measured at 2; $tmp/t.conf over built-in)" "$tmp/out" ||
  { cat "$tmp/out"; fail "the log does not show the tuned choice"; }

echo "# a malformed table fails init, naming the file and line"
printf 'weft-tuning 1\nallreduce ring shm 2 0-inf 1\n' >"$tmp/bad.conf"
if WEFT_TUNE_FILE=$tmp/bad.conf "$weftrun" -n 2 "$perf" -b 8 -e 8 -n 1 -w 0 >"$tmp/out" 2>&1; then
  fail "a malformed table was accepted"
fi
grep -q "$tmp/bad.conf:2: expected 7 fields" "$tmp/out" || { cat "$tmp/out"; fail "no message naming the line"; }

echo "# ranks that would choose differently refuse to connect"
# shellcheck disable=SC2016
if "$weftrun" -n 2 bash -c 'if [ "$RANK" = 1 ]; then export WEFT_ALGO=allreduce:tree; fi; exec "$0" -b 8 -e 8 -n 1 -w 0' \
    "$perf" >"$tmp/out" 2>&1; then
  fail "ranks with different WEFT_ALGO connected"
fi
grep -q "chooses algorithms from other settings" "$tmp/out" || { cat "$tmp/out"; fail "no message about the mismatch"; }
echo "weft-tune test: all passed"
