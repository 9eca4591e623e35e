#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inside `netns-hosts run`: one rank per host all-reduces in a loop; the rank on host 1 is killed
# (SIGKILL). The others must fail with weftRemoteError well before WEFT_TIMEOUT: a dead peer's
# connections close, which is news at once, unlike a cut link. (A survivor may name another
# survivor that gave up first; naming the first failure everywhere is issue 7's.)
# Usage: peer_kill.sh WEFTRUN ENV_RANK
set -euo pipefail
weftrun=$1 envRank=$2
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
WEFT_TIMEOUT=60 "$here/on_hosts.sh" "$weftrun" 1 "$envRank" loop "$dir/ready" >"$dir/out" 2>&1 &
job=$!
for _ in $(seq 200); do [ -e "$dir/ready" ] && break; sleep 0.05; done
[ -e "$dir/ready" ] || { cat "$dir/out"; echo "peer_kill: the ranks never started" >&2; exit 1; }
sleep 0.3
victim=""
for pid in $(ip netns pids "$NETNS_PREFIX-h1"); do
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = env_rank ] && victim=$pid
done
[ -n "$victim" ] || { echo "peer_kill: no env_rank in host 1" >&2; exit 1; }
kill -KILL "$victim"
start=$SECONDS
while kill -0 "$job" 2>/dev/null && ((SECONDS - start < 30)); do sleep 0.1; done
elapsed=$((SECONDS - start))
kill -0 "$job" 2>/dev/null && { cat "$dir/out"; echo "peer_kill: survivors still running after 30 s" >&2; exit 1; }
wait "$job" || true
survivors=$((NETNS_HOSTS - 1))
failed=$(grep -c "env_rank: weftAllReduce returned 6 " "$dir/out" || true)
echo "peer_kill: $failed of $survivors survivors got weftRemoteError, ${elapsed}s after the kill"
if ((failed != survivors || elapsed > 5)); then
  cat "$dir/out"
  echo "peer_kill: want every survivor to fail with a remote error within 5 s" >&2
  exit 1
fi
