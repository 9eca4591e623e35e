// SPDX-License-Identifier: Apache-2.0
// Chooses between process ranks (launcher environment) and thread ranks (-t).
#include "bench/common/launch.h"

#include <cstdlib>
#include <string>

#include "bench/common/flags.h"

namespace weft::bench {

Launch chooseLaunch(int nThreads, const EnvLookup& env) {
  bool launched = env("WEFT_INIT") != nullptr;
  long worldSize = 0;  // 0: not known
  const char* sizeName = nullptr;
  for (const char* name : {"WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS", "PMI_SIZE"}) {
    const char* value = env(name);
    if (value == nullptr) continue;
    launched = true;
    char* end = nullptr;
    const long parsed = std::strtol(value, &end, 10);
    if (end != value && *end == '\0' && parsed > 0) {
      worldSize = parsed;
      sizeName = name;
      break;
    }
  }
  if (!launched) return Launch{.fromEnv = false, .threads = nThreads};
  if (nThreads == 1) return Launch{.fromEnv = true, .threads = 1};
  if (worldSize == 1) return Launch{.fromEnv = false, .threads = nThreads};
  const std::string where = sizeName != nullptr
                                ? std::string(sizeName) + "=" + std::to_string(worldSize)
                                : std::string("WEFT_INIT is set");
  throw FlagError("-t " + std::to_string(nThreads) +
                  " runs ranks as threads of one process and cannot be combined with a "
                  "multi-process launch (" + where + "): use either weftrun -n N or -t N");
}

}  // namespace weft::bench
