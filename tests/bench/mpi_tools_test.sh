#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The MPI reference tools (bench/mpi) under Open MPI's mpirun: every type and op MPI has, in and
# out of place, checked, at 2 and 3 ranks; what MPI lacks left out or refused.
# Usage: mpi_tools_test.sh BUILD_DIR. Exits 77 (skip) without mpirun.
set -euo pipefail
build=$1
command -v mpirun >/dev/null || { echo "skip: no mpirun (tools/setup --compare installs Open MPI)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in all_reduce broadcast all_gather reduce_scatter; do
  for n in 2 3; do
    extra=()
    [ $tool = broadcast ] && extra=(-r all)
    mpirun -np $n "$build/bench/mpi_${tool}_perf" -b 8 -e 256K -f 16 -d all -o all -c 1 -n 3 -w 1 "${extra[@]}" \
      >"$tmp" 2>&1 || { cat "$tmp"; fail "mpi_${tool}_perf at $n ranks"; }
    grep -q 'Out of bounds values : 0 OK' "$tmp" || { cat "$tmp"; fail "mpi_${tool}_perf at $n ranks: wrong values"; }
    grep -q 'MPI has no half type: left out' "$tmp" || fail "mpi_${tool}_perf: no note for float16"
    echo "ok: mpi_${tool}_perf, $n ranks"
  done
done
set +e
mpirun -np 2 "$build/bench/mpi_all_reduce_perf" -d bfloat16 >"$tmp" 2>&1
[ $? -ne 0 ] || fail "-d bfloat16 alone was not refused"
"$build/bench/mpi_all_reduce_perf" -t 2 >"$tmp" 2>&1
[ $? -eq 2 ] || fail "-t was not refused with exit 2"
set -e
grep -q -- '-t: MPI ranks are processes' "$tmp" || fail "no reason given for refusing -t"
echo "ok: refusals"
