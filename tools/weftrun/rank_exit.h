// SPDX-License-Identifier: Apache-2.0
// How weftrun words a rank's end on stderr and turns it into an exit status.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace weft::weftrun {

// The exit status a job ended by this rank returns: its exit code, or 128 + the signal that
// killed it. `waitStatus` is as waitpid() reports it.
int exitStatusOf(int waitStatus);

// "rank 2 (pid 4243) exited with status 3", or
// "rank 1 (pid 4242) was killed by signal 11 (Segmentation fault), core dumped".
std::string describeExit(int rank, pid_t pid, int waitStatus);

// "1 of 3 ranks lost (rank 2)", "2 of 4 ranks lost (ranks 1, 3)".
std::string describeLosses(const std::vector<int>& lostRanks, int rankCount);

}  // namespace weft::weftrun
