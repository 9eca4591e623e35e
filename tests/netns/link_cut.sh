#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inside `netns-hosts run`: ranks on every host all-reduce in a loop; once they run, host 1's cable
# is pulled (its switch port goes down, packets vanish). Every rank must then fail with an error
# (weftTimeout, or weftRemoteError once a peer has given up) within WEFT_TIMEOUT plus slack, not hang.
# LINK_CUT_LIMIT (seconds) and LINK_CUT_CODES (weft error codes, e.g. "6") tighten the rule, for
# cuts that TCP keepalive must find before WEFT_TIMEOUT (Note [TCP keepalive]).
# Usage: link_cut.sh WEFTRUN ENV_RANK RANKS_PER_HOST
set -euo pipefail
weftrun=$1 envRank=$2 per=$3
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$here/on_hosts.sh" "$weftrun" "$per" "$envRank" loop "$dir/ready" >"$dir/out" 2>&1 &
job=$!
for _ in $(seq 200); do [ -e "$dir/ready" ] && break; sleep 0.05; done
[ -e "$dir/ready" ] || { cat "$dir/out"; echo "link_cut: the ranks never started" >&2; exit 1; }
sleep 0.3
"$NETNS_EXEC" link "$NETNS_PREFIX" 1 down
start=$SECONDS
limit=${LINK_CUT_LIMIT:-$((WEFT_TIMEOUT + 20))}
codes=${LINK_CUT_CODES:-68}
while kill -0 "$job" 2>/dev/null && ((SECONDS - start < limit)); do sleep 0.2; done
if kill -0 "$job" 2>/dev/null; then
  cat "$dir/out"
  echo "link_cut: ranks still running ${limit}s after the link went down" >&2
  exit 1
fi
status=0
wait "$job" || status=$?
echo "link_cut: every rank stopped $((SECONDS - start))s after the cut (WEFT_TIMEOUT=$WEFT_TIMEOUT), status $status"
grep -E "env_rank: weftAllReduce returned" "$dir/out" | sed 's/^/  /' || true
# env_rank exits 100 + weft's error code: 106 (weftRemoteError) or 108 (weftTimeout).
failed=$(grep -c "env_rank: weftAllReduce returned [$codes] " "$dir/out" || true)
if [[ $status != 10[$codes] ]] || ((failed != NETNS_HOSTS * per)); then
  cat "$dir/out"
  echo "link_cut: want every one of $((NETNS_HOSTS * per)) ranks to fail with error code [$codes]" \
    "(exit 10[$codes]); $failed did, status $status" >&2
  exit 1
fi
