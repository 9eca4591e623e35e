#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# weft across simulated hosts (network namespaces; root only): every collective at 2 hosts x 2 ranks
# (shared memory inside a host, TCP between hosts) and 4 hosts x 1 rank, then with several sockets
# per pair, over IPv6, with the hierarchical all-reduce and broadcast and over UCX (its TCP between hosts); then a
# cut link and a killed rank, over weft's TCP and over UCX. Usage: weft_hosts_test.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
. "$here/skip.sh"
skipIfCannot weft_hosts_test
export WEFT_DEBUG=WARN WEFT_TIMEOUT=60
weftrun=$build/tools/weftrun
run() {  # HOSTS PER_HOST PROGRAM...
  local hosts=$1 per=$2
  shift 2
  echo "# $hosts hosts x $per ranks: $* ${WEFT_TRANSPORT:+(WEFT_TRANSPORT=$WEFT_TRANSPORT)}${WEFT_SOCKET_NSOCKS:+(WEFT_SOCKET_NSOCKS=$WEFT_SOCKET_NSOCKS)}${WEFT_SOCKET_FAMILY:+(WEFT_SOCKET_FAMILY=$WEFT_SOCKET_FAMILY)}${WEFT_ALGO:+(WEFT_ALGO=$WEFT_ALGO)}"
  "$here/netns-hosts" run "$hosts" -- "$here/on_hosts.sh" "$weftrun" "$per" "$@"
}
for program in "$build/tests/multiproc/mp_collectives" "$build/tests/multiproc/mp_collectives2"; do
  run 2 2 "$program"
  run 4 1 "$program"
done
WEFT_SOCKET_NSOCKS=3 run 2 2 "$build/tests/multiproc/mp_collectives"
WEFT_SOCKET_FAMILY=ipv6 run 2 2 "$build/tests/multiproc/mp_collectives2"
WEFT_ALGO=hierarchical run 2 2 "$build/tests/multiproc/mp_collectives"
WEFT_ALGO=hierarchical run 3 2 "$build/tests/multiproc/mp_collectives"
have_ucx=0
grep -q "WEFT_HAVE_UCX 1" "$build/weft_config.h" && have_ucx=1
# UCX between hosts: UCX's TCP on each host's own interface (its shared-memory transports would
# reach across namespaces, which real hosts cannot).
over_ucx() { WEFT_TRANSPORT=shm,ucx UCX_TLS=tcp UCX_NET_DEVICES=eth0 "$@"; }
if ((have_ucx)); then
  for program in "$build/tests/multiproc/mp_collectives" "$build/tests/multiproc/mp_collectives2"; do
    over_ucx run 2 2 "$program"
    over_ucx run 4 1 "$program"
  done
  # Every link over UCX, the pairs within a host too: with a peer on another host, every endpoint
  # asks for failure handling (Note [UCX failures]).
  WEFT_TRANSPORT=ucx UCX_TLS=tcp UCX_NET_DEVICES=eth0 run 2 2 "$build/tests/multiproc/mp_collectives"
fi
echo "# 3 hosts x 1 rank: host 1's link cut during all-reduces (one rank per host: weftrun stops a host's other ranks once one fails)"
WEFT_TIMEOUT=3 "$here/netns-hosts" run 3 -- "$here/link_cut.sh" "$weftrun" "$build/tests/runtime/env_rank" 1
echo "# the same cut found by TCP keepalive (3 s) long before WEFT_TIMEOUT (60 s): every rank a remote error"
WEFT_TIMEOUT=60 WEFT_SOCKET_KEEPALIVE=3 LINK_CUT_LIMIT=12 LINK_CUT_CODES=6 \
  "$here/netns-hosts" run 3 -- "$here/link_cut.sh" "$weftrun" "$build/tests/runtime/env_rank" 1
echo "# 3 hosts x 1 rank: the rank on host 1 killed during all-reduces"
"$here/netns-hosts" run 3 -- "$here/peer_kill.sh" "$weftrun" "$build/tests/runtime/env_rank"
if ((have_ucx)); then
  echo "# the same two over UCX"
  WEFT_TIMEOUT=3 over_ucx "$here/netns-hosts" run 3 -- "$here/link_cut.sh" "$weftrun" "$build/tests/runtime/env_rank" 1
  over_ucx "$here/netns-hosts" run 3 -- "$here/peer_kill.sh" "$weftrun" "$build/tests/runtime/env_rank"
fi
echo "weft_hosts_test: all passed"
