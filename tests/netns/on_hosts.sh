#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inside `netns-hosts run`: starts one weftrun per simulated host, together one job, and waits for
# all of them. Usage: on_hosts.sh WEFTRUN RANKS_PER_HOST PROGRAM [ARGS...]
# Exit status: 0 when every host's weftrun exits 0, else the first failing one's.
set -euo pipefail
weftrun=$1 per=$2
shift 2
port=$((20000 + RANDOM % 20000))
pids=()
for ((i = 0; i < NETNS_HOSTS; i++)); do
  "$NETNS_EXEC" exec "$NETNS_PREFIX" "$i" "$weftrun" --nnodes "$NETNS_HOSTS" --node-rank "$i" \
    --master-addr "$NETNS_ADDR_0" --master-port "$port" -n "$per" "$@" &
  pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
  status=0
  wait "${pids[$i]}" || status=$?
  if ((status != 0)); then
    echo "on_hosts: host $i's weftrun exited with $status" >&2
    ((rc != 0)) || rc=$status
  fi
done
exit "$rc"
