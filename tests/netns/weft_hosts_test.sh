#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# weft across simulated hosts (network namespaces; root only): every collective at 2 hosts x 2 ranks
# (shared memory inside a host, TCP between hosts) and 4 hosts x 1 rank, then with several sockets
# per pair, over IPv6 and with the hierarchical all-reduce; then a cut link and a killed rank. Usage: weft_hosts_test.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
  echo "weft_hosts_test: skipped (needs root and network namespaces)"
  exit 77
fi
export WEFT_DEBUG=WARN WEFT_TIMEOUT=60
weftrun=$build/tools/weftrun
run() {  # HOSTS PER_HOST PROGRAM...
  local hosts=$1 per=$2
  shift 2
  echo "# $hosts hosts x $per ranks: $* ${WEFT_SOCKET_NSOCKS:+(WEFT_SOCKET_NSOCKS=$WEFT_SOCKET_NSOCKS)}${WEFT_SOCKET_FAMILY:+(WEFT_SOCKET_FAMILY=$WEFT_SOCKET_FAMILY)}${WEFT_ALGO:+(WEFT_ALGO=$WEFT_ALGO)}"
  "$here/netns-hosts" run "$hosts" -- "$here/on_hosts.sh" "$weftrun" "$per" "$@"
}
for program in "$build/tests/multiproc/mp_collectives" "$build/tests/multiproc/mp_collectives2"; do
  run 2 2 "$program"
  run 4 1 "$program"
done
WEFT_SOCKET_NSOCKS=3 run 2 2 "$build/tests/multiproc/mp_collectives"
WEFT_SOCKET_FAMILY=ipv6 run 2 2 "$build/tests/multiproc/mp_collectives2"
WEFT_ALGO=allreduce:hierarchical run 2 2 "$build/tests/multiproc/mp_collectives"
WEFT_ALGO=allreduce:hierarchical run 3 2 "$build/tests/multiproc/mp_collectives"
echo "# 3 hosts x 1 rank: host 1's link cut during all-reduces (one rank per host: weftrun stops a host's other ranks once one fails)"
WEFT_TIMEOUT=3 "$here/netns-hosts" run 3 -- "$here/link_cut.sh" "$weftrun" "$build/tests/runtime/env_rank" 1
echo "# 3 hosts x 1 rank: the rank on host 1 killed during all-reduces"
"$here/netns-hosts" run 3 -- "$here/peer_kill.sh" "$weftrun" "$build/tests/runtime/env_rank"
echo "weft_hosts_test: all passed"
