#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Whether waiters spin is decided from the CPUs all ranks of a host may run on together (Note
# [Spinning and cores]): ranks that weftrun binds one to a core still spin where every rank has a
# CPU, and do not where they outnumber them. Read from each rank's INFO line "waits spin S us: R
# ranks on this host, C CPUs between them"; the calls themselves are checked by all_reduce_perf.
# Usage: spin_cores_test.sh WEFTRUN ALL_REDUCE_PERF
set -u
weftrun=$1 perf=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
cpus=$(nproc)  # the CPUs this test may use, as weftrun will see them
first=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')

check() {  # WHAT EXPECTED-LINE-PART COMMAND...
  local what=$1 want=$2
  shift 2
  if ! WEFT_DEBUG=INFO "$@" -b 8 -e 64 -f 8 -n 5 -w 1 -c 1 >"$out" 2>&1 ||
     ! grep -q "Out of bounds values : 0 OK" "$out"; then
    echo "FAIL: $what: the job failed"; grep -v " INFO " "$out" | tail -10; fail=1; return
  fi
  local lines
  lines=$(grep -o "waits spin .*" "$out" | sort -u)
  if [ "$lines" != "waits spin $want" ]; then
    echo "FAIL: $what: want every rank to say 'waits spin $want', got:"; echo "$lines"; fail=1
  else
    echo "$what: waits spin $want"
  fi
}

if [ "$cpus" -ge 2 ]; then
  check "2 ranks bound to $cpus CPUs" "20 us: 2 ranks on this host, $cpus CPUs between them" \
    "$weftrun" -n 2 "$perf"
fi
check "$((cpus + 1)) ranks bound to $cpus CPUs" "0 us: $((cpus + 1)) ranks on this host, $cpus CPUs between them" \
  "$weftrun" -n $((cpus + 1)) "$perf"
check "2 ranks unbound on $cpus CPUs" \
  "$([ "$cpus" -ge 2 ] && echo 20 || echo 0) us: 2 ranks on this host, $cpus CPUs between them" \
  "$weftrun" -n 2 --bind-to none "$perf"
check "2 ranks on CPU $first" "0 us: 2 ranks on this host, 1 CPUs between them" \
  taskset -c "$first" "$weftrun" -n 2 "$perf"
[ "$fail" -eq 0 ] && echo "spin_cores_test: all passed"
exit "$fail"
