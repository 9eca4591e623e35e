// SPDX-License-Identifier: Apache-2.0
// Decides whether the ranks are this process alone (under a launcher) or -t threads of it.
#pragma once

namespace weft::bench {

struct Launch {
  bool fromEnv = false;  // one rank: weftCommInitFromEnv
  int threads = 1;       // otherwise: this many ranks, weftCommInitAll
};

// envWorldSize is what weftGetEnvWorldSize reports (the launcher's world size, 1 without one).
// In a job of several processes each process is one rank (-t 1); -t N > 1 there is refused with a
// FlagError, because each process would form its own separate communicator. Otherwise -t N runs
// N thread ranks.
Launch chooseLaunch(int nThreads, int envWorldSize);

}  // namespace weft::bench
