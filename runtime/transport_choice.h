// SPDX-License-Identifier: Apache-2.0
// Which transport reaches each peer: WEFT_TRANSPORT's preference list against where ranks run.
#pragma once

#include <string>
#include <vector>

namespace weft::runtime {

// Where the ranks of a communicator run, as the bootstrap learned it.
struct Placement {
  std::vector<std::string> hosts;  // every rank's host identity
  std::vector<bool> ucxNet;        // every rank's ucxNetworkHere()
  // Every rank's GPU at init (its current device's UUID, 16 bytes; empty: none), for the device
  // ring's placement rule (Note [Device link]); empty when not known (WEFT_CUDA_LINK=staged).
  std::vector<std::string> gpus;
  // Every rank's CPU affinity at init (ownCpus(); empty: not known), for Note [Spinning and cores].
  std::vector<std::string> cpus;
};

// True when this build has UCX and this host has an RDMA device (/sys/class/infiniband), so that
// UCX reaches other hosts over InfiniBand or RoCE rather than over TCP, where weft's own tcp
// transport does as well.
bool ucxNetworkHere();

// `spec` is WEFT_TRANSPORT: transports in order of preference, comma-separated, from "shm" (ranks
// of one host only), "ucx" (builds with UCX) and "tcp". Empty means the default: shm within a host;
// between hosts ucx where both ranks have ucxNet, else tcp. For each rank, the first transport
// of the list that can reach it from `rank`; "" for `rank` itself. Throws InvalidArgument for an
// unknown name, InvalidUsage when no listed transport reaches a peer.
std::vector<std::string> chooseTransports(const std::string& spec, const Placement& where, int rank);

// The transports some pair of ranks of the communicator uses (the same on every rank).
std::vector<std::string> transportsInUse(const std::string& spec, const Placement& where);

// The names of `spec` (empty: the default list), validated. Throws InvalidArgument.
std::vector<std::string> transportList(const std::string& spec);

}  // namespace weft::runtime
