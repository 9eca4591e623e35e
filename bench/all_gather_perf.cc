// SPDX-License-Identifier: Apache-2.0
// all_gather_perf: measures and checks weftAllGather with nccl-tests' flags and table.
#include "bench/collectives/all_gather.h"
#include "bench/common/runner.h"

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, weft::bench::tests::AllGather()); }
