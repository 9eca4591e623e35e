// SPDX-License-Identifier: Apache-2.0
// Carving weftrun's CPUs into one set per rank.
#include "tools/weftrun/binding.h"

#include <unistd.h>

namespace weft::weftrun {

// Note [Binding ranks to cores]
// weft's ranks wait on futexes once their brief spin is over, and every wake-up lets the kernel
// pull the woken rank onto the waker's CPU (wake-affine placement). Left unbound, ranks that
// talk to each other drift together: on the 2-core development VM, 4 ranks were all seen on one
// CPU, and one short benchmark run in three was 2-3x slower from start to end (docs/benchmarks.md,
// "Binding ranks to cores"). mpirun and srun bind ranks for the same reason. So weftrun gives
// each rank its own share of the CPUs it was itself allowed (a cpuset, taskset or a batch
// system's allocation is respected): contiguous slices while CPUs are at least as many as
// ranks (a rank's threads, OpenBLAS's for one, keep room), one CPU each, round robin, beyond.
// --bind-to none leaves placement to the kernel. weft itself reads the
// affinity of every rank on the host to decide whether a waiter may spin (Note [Spinning and
// cores], runtime/config.cc), so binding does not make a rank think it is oversubscribed.
std::vector<cpu_set_t> rankCpuSets(BindTo bind, const cpu_set_t& allowed, int ranks) {
  std::vector<cpu_set_t> sets;
  if (bind == BindTo::None || ranks < 1) return sets;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  if (cpus.empty()) return sets;
  const size_t n = cpus.size();
  sets.resize(size_t(ranks));
  for (size_t r = 0; r < sets.size(); ++r) {
    CPU_ZERO(&sets[r]);
    if (size_t(ranks) > n) {
      CPU_SET(cpus[r % n], &sets[r]);
      continue;
    }
    for (size_t k = r * n / size_t(ranks); k < (r + 1) * n / size_t(ranks); ++k) CPU_SET(cpus[k], &sets[r]);
  }
  return sets;
}

cpu_set_t ownCpuSet() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return set;
  CPU_ZERO(&set);
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  for (long c = 0; c < online && c < CPU_SETSIZE; ++c) CPU_SET(int(c), &set);
  return set;
}

}  // namespace weft::weftrun
