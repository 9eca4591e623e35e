// SPDX-License-Identifier: Apache-2.0
// The CPUs a host's ranks may run on, for deciding whether a waiter may spin (Note [Spinning and
// cores]).
#pragma once

#include <string>

#include "runtime/transport_choice.h"

namespace weft::runtime {

// This thread's CPU affinity as published in the bootstrap identity: the bytes of its cpu_set_t
// without trailing zero bytes ("" where it cannot be read).
std::string ownCpus();

// How many CPUs the ranks on `rank`'s host may run on together: the union of their published
// affinities (a rank that published none counts as this thread's own).
int cpusOfHost(const Placement& where, int rank);

// How many ranks share `rank`'s host.
int ranksOfHost(const Placement& where, int rank);

}  // namespace weft::runtime
