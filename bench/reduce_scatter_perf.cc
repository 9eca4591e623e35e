// SPDX-License-Identifier: Apache-2.0
// reduce_scatter_perf: measures and checks weftReduceScatter with nccl-tests' flags and table.
#include "bench/collectives/reduce_scatter.h"
#include "bench/common/runner.h"

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, weft::bench::tests::ReduceScatter()); }
