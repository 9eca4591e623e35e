// SPDX-License-Identifier: Apache-2.0
// The loop shared by the perf tools: sizes x types x ops x roots, warm-up, timed iterations, check, in and out of place.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "bench/common/backend.h"
#include "bench/common/collective.h"
#include "bench/common/flags.h"
#include "runtime/weft.h"

namespace weft::bench {

// Parses the flags, forms the ranks (one per process under a launcher, or -t threads), runs the
// sweep and prints the table from rank 0. Returns the process exit status: 0; 1 when a check
// failed or weft returned an error; 2 for a bad command line.
int runPerfMain(int argc, char** argv, const Collective& collective);

// A job that cannot run as asked (an -J file that cannot be written), found after init and
// thrown by every rank alike, so no rank is left waiting; the tool exits with status 2. Rank 0
// has already printed the cause on stderr (its what() holds it too).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs the whole sweep as one rank of comm (every rank of comm must call it with the same
// options). Rank 0 prints the preamble, the table and the footer to stdout. Returns the number of
// checks that found wrong values, summed over all ranks (the footer's "Out of bounds values").
// With -J, rank 0 writes the report at the end (bench/common/report.h). Throws WeftFailure when a
// weft call fails, UsageError (on every rank) when the -J file cannot be created, and
// std::system_error (on rank 0) when writing it fails at the end.
int64_t runRank(const Options& options, const Collective& collective, Backend& backend);
// The same over a weft communicator.
int64_t runRank(const Options& options, const Collective& collective, weftComm_t comm);

}  // namespace weft::bench
