// SPDX-License-Identifier: Apache-2.0
// Which transport reaches each peer: WEFT_TRANSPORT's preference list against where ranks run.
#pragma once

#include <string>
#include <vector>

namespace weft::runtime {

// `spec` is WEFT_TRANSPORT: transports in order of preference, comma-separated, from "shm" (ranks
// of one host only) and "tcp"; empty means "shm,tcp". For each rank, the first transport of the
// list that can reach it from `rank` (`hosts` holds every rank's host identity); "" for `rank`
// itself. Throws InvalidArgument for an unknown name, or naming a peer no listed transport reaches.
std::vector<std::string> chooseTransports(const std::string& spec, const std::vector<std::string>& hosts, int rank);

// The transports some pair of ranks of the communicator uses (the same on every rank).
std::vector<std::string> transportsInUse(const std::string& spec, const std::vector<std::string>& hosts);

// The names of `spec` (empty: the default list), validated. Throws InvalidArgument.
std::vector<std::string> transportList(const std::string& spec);

}  // namespace weft::runtime
