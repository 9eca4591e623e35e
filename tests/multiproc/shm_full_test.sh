#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A /dev/shm too small for the FIFOs fails init on every rank with a message that says so and what
# to change (Note [Populated segments]), rather than a SIGBUS at some later call; one just big
# enough works. Mounts a small tmpfs on /dev/shm in a private mount namespace: needs root (and
# unshare), else it reports itself skipped (77).
# Usage: shm_full_test.sh WEFTRUN ALL_REDUCE_PERF
set -u
weftrun=$1 perf=$2
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
  echo "SKIP: needs root and unshare -m"; exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
# 4 ranks, WEFT_SHM_SLOTS x WEFT_SHM_SLOT_BYTES = 8 x 64 KiB: each segment about 2 MiB.
unshare -m bash -c "mount -t tmpfs -o size=4M tmpfs /dev/shm && \"$weftrun\" -n 4 \"$perf\" -b 8 -e 64 -n 2 -w 1" >"$out" 2>&1
rc=$?
if [ $rc = 0 ]; then
  echo "FAIL: 4 ranks ran in a 4 MiB /dev/shm"; fail=1
elif [ "$(grep -c 'not enough room in /dev/shm' "$out")" -lt 1 ] || grep -qi "bus error\|SIGBUS\|signal 7" "$out"; then
  echo "FAIL: no clear message (exit $rc):"; tail -5 "$out"; fail=1
else
  echo "4 ranks, 4 MiB /dev/shm: $(grep -o 'not enough room in /dev/shm[^:]*: [^:]*' "$out" | head -1)"
fi
unshare -m bash -c "mount -t tmpfs -o size=4M tmpfs /dev/shm && WEFT_SHM_SLOT_BYTES=16K \"$weftrun\" -n 4 \"$perf\" -b 8 -e 1M -f 32 -n 2 -w 1 -c 1" >"$out" 2>&1
if ! grep -q "Out of bounds values : 0 OK" "$out"; then
  echo "FAIL: 4 ranks with 16 KiB slots in a 4 MiB /dev/shm:"; tail -5 "$out"; fail=1
else
  echo "4 ranks, 16 KiB slots, 4 MiB /dev/shm: ran"
fi
exit $fail
