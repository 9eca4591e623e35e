// SPDX-License-Identifier: Apache-2.0
// The main of the MPI reference tools (mpi_all_reduce_perf, ...): the same flags, sweep, checks
// and table as the weft tools, timing MPI's call instead, so that weft and MPI compare on any
// machine with one command each (bench/compare runs them interleaved).
#pragma once

#include <mpi.h>

#include "bench/common/collective.h"

namespace weft::bench {

// One MPI call of the collective on MPI_COMM_WORLD, as the weft call it stands for (in place when
// args.send == args.recv, or where the layout puts them in the same buffer). Returns MPI's code.
using MpiCall = int (*)(const CallArgs& args, MPI_Datatype type, MPI_Op op);

// Runs under mpirun (one rank per process; -t is refused). Types and ops MPI lacks (float16,
// bfloat16, avg) are left out of a sweep with a note; asked for alone, they are a usage error.
int runMpiPerfMain(int argc, char** argv, const Collective& collective, MpiCall call);

}  // namespace weft::bench
