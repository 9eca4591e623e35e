// SPDX-License-Identifier: Apache-2.0
// A communicator: this rank's place in a group of ranks, its links to the others, and the
// collectives it runs over them.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "collectives/algo_spec.h"
#include "collectives/algorithm.h"
#include "runtime/config.h"
#include "runtime/store/store.h"
#include "transport/transport.h"

namespace weft::runtime {

struct Links;  // runtime/bootstrap.h

// Thread-compatible, as an NCCL communicator: one thread at a time calls its collectives (a
// concurrent second caller gets InvalidUsage). Different communicators are independent.
class Communicator {
 public:
  // Collective over `size` callers sharing `store` (already scoped to this communicator): links
  // every pair of ranks. `keepAlive` (e.g. the store server hosted by this rank) is destroyed
  // with the communicator. Throws Timeout naming ranks that never arrived.
  static std::unique_ptr<Communicator> create(std::shared_ptr<store::Store> store, int rank, int size,
                                              const Config& config,
                                              std::shared_ptr<void> keepAlive = nullptr);
  ~Communicator();

  // Collective over this communicator (MPI_Comm_split, ncclCommSplit): ranks passing the same
  // non-negative color form a new communicator, ranked by (key, rank here); a negative color
  // takes part and gets nullptr. Links are set up through this communicator, no store needed.
  std::unique_ptr<Communicator> split(int color, int key);

  int rank() const { return rank_; }
  int size() const { return size_; }
  const Config& config() const { return config_; }

  // Runs one collective (arguments validated by the C API; args.seq is assigned here). Throws
  // Timeout or RemoteError, after which the communicator refuses further calls (InvalidUsage).
  void run(coll::CollArgs& args);

 private:
  Communicator(int rank, int size, const Config& config) : rank_(rank), size_(size), config_(config) {}
  static std::unique_ptr<Communicator> assemble(int rank, int size, const Config& config,
                                                coll::AlgoSpec spec, Links links);
  const int rank_;
  const int size_;
  const Config config_;
  std::shared_ptr<void> keepAlive_;  // destroyed last
  std::unique_ptr<transport::Transport> transport_;
  std::vector<std::unique_ptr<transport::Endpoint>> links_;  // by peer; endpoints die first
  uint64_t seq_ = 0;
  std::string failure_;
  coll::AlgoSpec algoSpec_;  // WEFT_ALGO, parsed at init  // set by a Timeout or RemoteError mid-collective; later calls are refused
  std::atomic<bool> busy_{false};
};

}  // namespace weft::runtime
