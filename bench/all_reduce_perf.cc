// SPDX-License-Identifier: Apache-2.0
// all_reduce_perf: measures and checks weftAllReduce with nccl-tests' flags and table.
#include "bench/collectives/all_reduce.h"
#include "bench/common/runner.h"

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, weft::bench::tests::AllReduce()); }
