// SPDX-License-Identifier: Apache-2.0
// The wording of rank exits and losses (docs/weftrun.md quotes it; tests match it).
#include "tools/weftrun/rank_exit.h"

#include <sys/wait.h>

#include <cstring>

namespace weft::weftrun {

int exitStatusOf(int waitStatus) {
  return WIFSIGNALED(waitStatus) ? 128 + WTERMSIG(waitStatus) : WEXITSTATUS(waitStatus);
}

std::string describeExit(int rank, pid_t pid, int waitStatus) {
  std::string text = "rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ")";
  if (!WIFSIGNALED(waitStatus)) return text + " exited with status " + std::to_string(WEXITSTATUS(waitStatus));
  const int sig = WTERMSIG(waitStatus);
  text += " was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  return WCOREDUMP(waitStatus) ? text + ", core dumped" : text;
}

std::string describeLosses(const std::vector<int>& lostRanks, int rankCount) {
  std::string text = std::to_string(lostRanks.size()) + " of " + std::to_string(rankCount) + " ranks lost (rank";
  if (lostRanks.size() > 1) text += 's';
  for (size_t i = 0; i < lostRanks.size(); ++i) text += (i == 0 ? " " : ", ") + std::to_string(lostRanks[i]);
  return text + ")";
}

}  // namespace weft::weftrun
