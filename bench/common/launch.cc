// SPDX-License-Identifier: Apache-2.0
// Chooses between process ranks (launcher environment) and thread ranks (-t).
#include "bench/common/launch.h"

#include <string>

#include "bench/common/flags.h"

namespace weft::bench {

Launch chooseLaunch(int nThreads, int envWorldSize) {
  if (envWorldSize <= 1) return Launch{.fromEnv = false, .threads = nThreads};
  if (nThreads == 1) return Launch{.fromEnv = true, .threads = 1};
  throw FlagError("-t " + std::to_string(nThreads) +
                  " runs ranks as threads of one process and cannot be combined with a "
                  "multi-process launch of " + std::to_string(envWorldSize) +
                  " ranks: use either weftrun -n N or -t N");
}

}  // namespace weft::bench
