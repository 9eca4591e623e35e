#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The shared algorithms between processes (Note [Shared algorithms]): with buffers from
# weftMemAlloc on every rank they load peers' data where it lies; with shared buffers on rank 0
# only they must hand every call to the fallback (and a broadcast whose root has one need not).
# Results are checked by the programs; this script checks which path ran, from the INFO log.
# Then the staged broadcast on heap buffers, and the all-reduce's push at 64 MiB out of place
# (Note [Shared all-reduce]; the programs' messages are smaller), checked by all_reduce_perf.
# Usage: shared_buffers_test.sh WEFTRUN MP_COLLECTIVES MP_COLLECTIVES2 ALL_REDUCE_PERF
set -u
weftrun=$1 mp1=$2 mp2=$3 perf=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
export WEFT_ALGO='allreduce:shared;broadcast:shared;allgather:shared' WEFT_DEBUG=INFO

run() {  # MODE RANKS PROGRAM
  if ! WEFT_TEST_SHARED_BUFFERS=$1 "$weftrun" -n "$2" "$3" >"$out" 2>&1; then
    echo "FAIL: $1, $2 ranks, $(basename "$3"):"; grep -v " INFO " "$out" | tail -20; fail=1; return 1
  fi
  # Calls that ran shared, and calls handed off, but for the programs' own calls on heap buffers:
  # the final tally (an int) and mp_collectives2's barrier timing (all-gathers of 2 int64).
  shared=$(grep -c "bytes: shared" "$out")
  handed=$(grep "runs as" "$out" | grep -v "(count=1, int32, sum)" | grep -vc "(count=2, int64)")
  echo "$1, $2 ranks, $(basename "$3"): $shared calls chose shared, $handed handed off"
}

expect() {  # WHAT CONDITION
  if ! eval "$2"; then echo "FAIL: $1 ($2)"; fail=1; fi
}

for n in 2 3; do
  run all "$n" "$mp1" && expect "all shared: nothing handed off" '[ "$shared" -gt 0 ] && [ "$handed" -eq 0 ]' &&
    expect "all shared: every peer buffer mapped" '! grep -q "cannot map" "$out"' &&
    expect "all shared: in-place all-reduces push" 'grep -q "pushes into every rank" "$out"'
done
run all 3 "$mp2" && expect "all-gather, all shared: nothing handed off" \
  '[ "$(grep -c "allgather.*bytes: shared" "$out")" -gt 0 ] && [ "$handed" -eq 0 ]'
run rank0 3 "$mp1" && {
  expect "rank 0 only: every all-reduce handed off" \
    '[ "$(grep "runs as" "$out" | grep -c "allreduce.*count=1000")" -gt 0 ]'
  expect "rank 0 only: broadcasts from rank 1 handed off" \
    '[ "$(grep "runs as" "$out" | grep -c "broadcast")" -gt 0 ]'
  expect "rank 0 only: no all-reduce pushed" '! grep -q "pushes into every rank" "$out"'
}
run rank0 3 "$mp2" && expect "rank 0 only: all-gathers handed off" \
  '[ "$(grep "runs as" "$out" | grep -c "allgather")" -gt 0 ]'
# The staged broadcast (Note [Staged broadcast]) on heap buffers: the receivers map the roots'
# staging buffers; none reads a chunk with process_vm_readv.
WEFT_ALGO=broadcast:staged run heap 3 "$mp1" && expect "staged broadcast: every chunk loaded from a mapping" \
  '[ "$(grep -c "broadcast.*bytes: staged" "$out")" -gt 0 ] && ! grep -q "process_vm_readv" "$out"'
for spec in "2 -d float -o sum" "3 -d double -o avg"; do
  set -- $spec
  n=$1; shift
  if ! "$weftrun" -n "$n" "$perf" -R 1 -b 64M -e 64M -n 1 -w 1 -c 1 "$@" >"$out" 2>&1 ||
     ! grep -q "Out of bounds values : 0 OK" "$out" || ! grep -q "pushes into every rank" "$out"; then
    echo "FAIL: all_reduce_perf -R 1 at 64 MiB, $n ranks, $*:"; tail -8 "$out"; fail=1
  else
    echo "all_reduce_perf -R 1 at 64 MiB, $n ranks, $*: pushed, 0 wrong"
  fi
done
[ "$fail" -eq 0 ] && echo "shared_buffers_test: all passed"
exit "$fail"
