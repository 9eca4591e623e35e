// SPDX-License-Identifier: Apache-2.0
// Bootstrap: ranks publish their transport addresses through the store and open links to each other.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/store/store.h"
#include "runtime/transport_choice.h"
#include "transport/mux.h"
#include "transport/transport.h"

namespace weft::runtime {

struct Links {
  std::unique_ptr<transport::Transport> transport;
  std::vector<std::unique_ptr<transport::Endpoint>> endpoints;  // by peer rank; null for self
  Placement where;  // every rank's host identity and network, by rank
  bool peerReads = false;  // every rank can read every peer's memory (Note [Peer reads])
};

// The transport settings of `config` for a communicator whose bootstrap drew `tag`, on the rank
// mux.rank placed as `where` says, once mux.perPeer holds the transport chosen for each peer.
void setTransportOptions(const Config& config, const std::string& tag, const Placement& where,
                         transport::MuxOptions& mux);

// Collective over `size` ranks: exchanges addresses through `store` and connects every pair.
// Waits at most config.bootstrapTimeoutSeconds; Timeout lists the ranks that never arrived.
// Ranks whose `choosing` fingerprints differ (runtime/choosing.h) are refused (InvalidUsage).
Links connectRanks(store::Store& store, int rank, int size, const Config& config, uint64_t choosing);

// hostname + boot id (or WEFT_HOSTID): equal for ranks on one host, across containers too.
std::string hostIdentity(const Config& config);

// 16 hex digits from the kernel's random source.
std::string randomHex();

}  // namespace weft::runtime
