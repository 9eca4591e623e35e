#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# weftCommInitFromEnv under a real Open MPI mpirun across simulated hosts (root only): mpirun runs
# on host 0 and starts its daemons on every host through tests/netns/mpi-rsh instead of ssh; the
# ranks learn rank and size from Open MPI's variables and the rendezvous from MASTER_ADDR and
# MASTER_PORT passed with -x, as docs/multinode.md shows. Skips (77) without root, network
# namespaces or mpirun (tools/setup --compare installs Open MPI).
# Usage: mpirun_hosts_test.sh BUILD_DIR
set -euo pipefail
build=$(readlink -f "$1")
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
. "$here/skip.sh"
skipIfCannot mpirun_hosts_test mpirun "tools/setup --compare installs Open MPI"
inner=$(mktemp)
trap 'rm -f "$inner"' EXIT
cat >"$inner" <<INNER
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 WEFT_DEBUG=WARN
per=\$1 program=\$2
hosts=""
for ((i = 0; i < NETNS_HOSTS; i++)); do hosts+="\${hosts:+,}h\$i:\$per"; done
echo "# mpirun: \$NETNS_HOSTS hosts x \$per ranks: \$program"
"\$NETNS_EXEC" exec "\$NETNS_PREFIX" 0 timeout 120 mpirun --host "\$hosts" -np \$((per * NETNS_HOSTS)) \\
  --mca plm_rsh_agent "$here/mpi-rsh" --mca plm_rsh_no_tree_spawn 1 --mca oob_tcp_if_include eth0 \\
  -x MASTER_ADDR="\$NETNS_ADDR_0" -x MASTER_PORT=\$((20000 + RANDOM % 20000)) -x WEFT_DEBUG "\$program"
INNER
"$here/netns-hosts" run 2 -- bash "$inner" 2 "$build/tests/multiproc/mp_collectives"
"$here/netns-hosts" run 3 -- bash "$inner" 1 "$build/tests/multiproc/mp_collectives2"
echo "mpirun_hosts_test: all passed"
