#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# weftCommInitFromEnv under PyTorch's torchrun across simulated hosts (root only): one torchrun
# per host with a static rendezvous (--nnodes, --node_rank, --master_addr, --master_port), running
# the weft program itself (--no_python). torchrun's agent keeps MASTER_PORT for its own store;
# weft meets on the port above (runtime/launch_env.cc). Skips (77) without root, network
# namespaces or torchrun (tools/setup --compare installs PyTorch).
# Usage: torchrun_hosts_test.sh BUILD_DIR
set -euo pipefail
build=$(readlink -f "$1")
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
. "$here/skip.sh"
skipIfCannot torchrun_hosts_test torchrun "tools/setup --compare installs PyTorch"
inner=$(mktemp)
logs=$(mktemp -d)
trap 'rm -rf "$inner" "$logs"' EXIT
cat >"$inner" <<INNER
set -euo pipefail
per=\$1 program=\$2
port=\$((20000 + RANDOM % 20000))
echo "# torchrun: \$NETNS_HOSTS hosts x \$per ranks: \$program"
pids=()
for ((i = 0; i < NETNS_HOSTS; i++)); do
  # --redirects 1: Debian's torch 1.13 on Python 3.11 fails on the default (0) while parsing it.
  "\$NETNS_EXEC" exec "\$NETNS_PREFIX" "\$i" timeout 120 torchrun --nnodes "\$NETNS_HOSTS" --node_rank "\$i" \\
    --nproc_per_node "\$per" --master_addr "\$NETNS_ADDR_0" --master_port "\$port" \\
    --redirects 1 --tee 1 --log_dir "$logs/\$i-\$port" --no_python "\$program" &
  pids+=(\$!)
done
rc=0
for p in "\${pids[@]}"; do wait "\$p" || rc=\$?; done
exit \$rc
INNER
export WEFT_DEBUG=WARN OMP_NUM_THREADS=1
"$here/netns-hosts" run 2 -- bash "$inner" 2 "$build/tests/multiproc/mp_collectives" 2>&1 | grep -v "^WARNING:torch\|^\*\*\*\|OMP_NUM_THREADS\|^$"
"$here/netns-hosts" run 3 -- bash "$inner" 1 "$build/tests/multiproc/mp_collectives2" 2>&1 | grep -v "^WARNING:torch\|^\*\*\*\|OMP_NUM_THREADS\|^$"
echo "torchrun_hosts_test: all passed"
