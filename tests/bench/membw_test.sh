#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# membw at small sizes (about a second): both tables, and every summary line with a positive
# figure; --no-latency leaves the latency line out; bad flags exit 2.
# Usage: membw_test.sh MEMBW_BINARY.
set -euo pipefail
membw=$1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp" >&2; exit 1; }

"$membw" -b 4K -e 64K -f 4 -n 1 -t 2 -s 1M --latency-trips 1000 >"$tmp" || fail "membw exited with $?"

# Data rows (not starting with '#'): 4K, 16K and 64K for memcpy, then the same for reduce.
rows=$(grep -v '^#' "$tmp" | awk '{print $1}' | tr '\n' ' ')
[ "$rows" = "4096 16384 65536 4096 16384 65536 " ] || fail "table rows: '$rows'"
grep -q '^# memcpy bandwidth: ' "$tmp" || fail "no memcpy table header"
grep -q '^# reduce bandwidth: .*dst bytes / time' "$tmp" || fail "no reduce table header"
awk '!/^#/ && !($4 > 0) {bad = 1} END {exit bad}' "$tmp" || fail "a row without a positive bandwidth"

# A summary line matching the pattern, whose figure (the field after the colon) is above zero.
positive() {
  local line
  line=$(grep -E "^# $1$" "$tmp") || fail "no line matching '# $1'"
  awk -F': ' '{split($2, f, " "); exit !(f[1] > 0)}' <<<"$line" || fail "not positive: $line"
}
num='[0-9]+\.[0-9]+'
# The memcpy single-thread line comes first, as before (bench/baseline, docs).
first=$(awk '/^# [a-z]/ && !/bandwidth:/ {print; exit}' "$tmp")
[[ $first == "# memcpy 1 MiB single thread: "* ]] || fail "first summary line: '$first'"
positive "memcpy 1 MiB single thread: $num GB/s"
positive "reduce 1 MiB single thread: $num GB/s"
positive "memcpy 1 MiB, 2 threads: $num GB/s \(aggregate\)"
positive "reduce 1 MiB, 2 threads: $num GB/s \(aggregate\)"
positive "shm one-way latency: $num ns \(median of 1 runs of 1000 round trips\)"
echo "ok: tables and summary lines"

"$membw" -b 4K -e 4K -n 1 -t 1 -s 64K --no-latency >"$tmp" || fail "--no-latency exited with $?"
grep -q 'latency' "$tmp" && fail "--no-latency printed a latency line"
positive "reduce 64 KiB, 1 threads: $num GB/s \(aggregate\)"
echo "ok: --no-latency"

for bad in "-t 0" "-s 2" "--latency-trips 0" "-f 1" "--bogus 1" "-n"; do
  set +e
  # shellcheck disable=SC2086
  "$membw" $bad >"$tmp" 2>&1
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "'$bad' exited with $rc, not 2"
done
echo "ok: bad flags refused"
