// SPDX-License-Identifier: Apache-2.0
// The CPUs a host's ranks may run on, for deciding whether a waiter may spin (Note [Spinning and
// cores]).
#pragma once

#include <sched.h>

#include <string>

#include "runtime/transport_choice.h"

namespace weft::runtime {

// A CPU set as published in the bootstrap identity: the bytes of the cpu_set_t without trailing
// zero bytes.
std::string encodeCpus(const cpu_set_t& set);
// This thread's CPU affinity, encoded ("" where it cannot be read).
std::string ownCpus();

// How many CPUs the ranks on `rank`'s host may run on together: the union of their published
// affinities (a rank that published none counts as this thread's own).
int cpusOfHost(const Placement& where, int rank);

// How many ranks share `rank`'s host.
int ranksOfHost(const Placement& where, int rank);

}  // namespace weft::runtime
