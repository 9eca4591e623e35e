// SPDX-License-Identifier: Apache-2.0
// Affinity masks of a host's ranks: published at init, united to count the CPUs they share.
#include "runtime/host_cpus.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace weft::runtime {

// Note [Spinning and cores]
// A waiter spins briefly before it yields and sleeps (common/wait.h), which pays only where every
// rank of the host has a core of its own: otherwise the spinner may hold the very core the rank
// it waits for needs. Whether that holds is a question about the host's ranks together, not
// about one rank: a launcher that binds each rank to its own core (weftrun, mpirun -np 2, srun
// --cpu-bind) leaves every rank an affinity of one CPU, and counting only its own would make
// each rank think itself oversubscribed. So every rank publishes its affinity at init and the
// ranks of a host count the union: spinning is on while the ranks are at most as many as the
// CPUs they may run on together.
std::string ownCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return {};
  return encodeCpus(set);
}

std::string encodeCpus(const cpu_set_t& set) {
  std::string bytes(sizeof set, '\0');
  std::memcpy(bytes.data(), &set, sizeof set);
  while (!bytes.empty() && bytes.back() == '\0') bytes.pop_back();
  return bytes;
}

int cpusOfHost(const Placement& where, int rank) {
  const std::string own = ownCpus();
  std::string all;
  for (size_t r = 0; r < where.hosts.size(); ++r) {
    if (where.hosts[r] != where.hosts[size_t(rank)]) continue;
    const std::string& cpus = r < where.cpus.size() && !where.cpus[r].empty() ? where.cpus[r] : own;
    if (all.size() < cpus.size()) all.resize(cpus.size(), '\0');
    for (size_t i = 0; i < cpus.size(); ++i) all[i] = char(all[i] | cpus[i]);
  }
  int count = 0;
  for (char c : all) count += __builtin_popcount(static_cast<unsigned char>(c));
  return count > 0 ? count : int(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
}

int ranksOfHost(const Placement& where, int rank) {
  if (where.hosts.empty()) return 1;
  return int(std::count(where.hosts.begin(), where.hosts.end(), where.hosts[size_t(rank)]));
}

}  // namespace weft::runtime
