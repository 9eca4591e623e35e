// SPDX-License-Identifier: Apache-2.0
// broadcast_perf: measures and checks weftBroadcast with nccl-tests' flags and table.
#include "bench/collectives/broadcast.h"
#include "bench/common/runner.h"

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, weft::bench::tests::Broadcast()); }
