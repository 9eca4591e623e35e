// SPDX-License-Identifier: Apache-2.0
// --elastic: shrinking a dead rank away (Note [Elastic training]).
#include "train/trainer/elastic.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace weft::train {

weft::Comm survive(weft::Comm& comm, const weft::Error& failure) {
  const int rank = comm.rank(), size = comm.size();
  // A peer that fails by crashing is seen at once on this host (its pidfd) and as soon as its
  // connections close elsewhere; give the kernel a moment, not a timeout's worth.
  std::vector<int> failed;
  for (int tries = 0; tries < 100 && failed.empty(); ++tries) {
    failed = comm.failedRanks();
    if (failed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (failed.empty()) throw failure;
  std::string list;
  for (int r : failed) list += (list.empty() ? "" : ", ") + std::to_string(r);
  std::fprintf(stderr, "train_mnist: rank %d of %d: lost rank(s) %s (%s); going on without them\n", rank, size,
               list.c_str(), failure.what());
  weft::Comm survivors = comm.shrink(failed, WEFT_SHRINK_ABORT);
  if (survivors.rank() == 0) {
    std::printf("elastic: lost rank(s) %s, going on with %d ranks from the last checkpoint\n", list.c_str(),
                survivors.size());
    std::fflush(stdout);
  }
  return survivors;
}

}  // namespace weft::train
