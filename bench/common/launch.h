// SPDX-License-Identifier: Apache-2.0
// Decides whether the ranks are this process alone (under a launcher) or -t threads of it.
#pragma once

#include <functional>

namespace weft::bench {

struct Launch {
  bool fromEnv = false;  // one rank: weftCommInitFromEnv
  int threads = 1;       // otherwise: this many ranks, weftCommInitAll
};

// getenv, or a stand-in for tests.
using EnvLookup = std::function<const char*(const char*)>;

// A launcher is recognised by WEFT_INIT or a world size (WORLD_SIZE, OMPI_COMM_WORLD_SIZE,
// SLURM_NTASKS, PMI_SIZE). -t 1 under a launcher joins its job; -t N without one (or in a job of
// one process) runs N thread ranks; -t N > 1 in a job of several processes is refused with a
// FlagError, because each process would form its own separate communicator.
Launch chooseLaunch(int nThreads, const EnvLookup& env);

}  // namespace weft::bench
