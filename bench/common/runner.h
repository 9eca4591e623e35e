// SPDX-License-Identifier: Apache-2.0
// The loop shared by the perf tools: sizes x types x ops x roots, warm-up, timed iterations, check, in and out of place.
#pragma once

#include <cstdint>

#include "bench/common/collective.h"
#include "bench/common/flags.h"
#include "runtime/weft.h"

namespace weft::bench {

// Parses the flags, forms the ranks (one per process under a launcher, or -t threads), runs the
// sweep and prints the table from rank 0. Returns the process exit status: 0; 1 when a check
// failed or weft returned an error; 2 for a bad command line.
int runPerfMain(int argc, char** argv, const Collective& collective);

// Runs the whole sweep as one rank of comm (every rank of comm must call it with the same
// options). Rank 0 prints the preamble, the table and the footer to stdout. Returns the number of
// checks that found wrong values, summed over all ranks (the footer's "Out of bounds values").
// Throws WeftFailure when a weft call fails.
int64_t runRank(const Options& options, const Collective& collective, weftComm_t comm);

}  // namespace weft::bench
