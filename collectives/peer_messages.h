// SPDX-License-Identifier: Apache-2.0
// The small messages of the direct (single-copy) algorithms (Note [Direct all-reduce]): announce
// buffer addresses to every peer, do this rank's work, say ready, act on each peer's ready, then
// say done and wait until no peer reads this rank's buffers any more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "collectives/algorithm.h"

namespace weft::coll {

// The buffers a rank lends its peers for one call, as addresses in its process.
struct PeerAddress {
  uint64_t send = 0;
  uint64_t recv = 0;
};

// Loop-bound, like the operation that owns it. step() sends and receives what it can without
// blocking and stops where the caller has to act: Work once (then workDone()), PeerReady once
// per peer (its ready arrived: its output may be read), Finished at the end.
class PeerMessages {
 public:
  enum class Stage { Work, PeerReady, Finished };
  struct Step {
    Stage stage = Stage::Finished;
    int peer = -1;          // PeerReady: whose
    bool advanced = false;  // a message moved
    bool blocked = false;   // nothing to act on until a peer moves
  };

  // `readyRound` false: peers' buffers may be read as soon as their addresses are known (they
  // are inputs), so there is no ready message and PeerReady comes for every peer after Work.
  PeerMessages(const Context& ctx, const CollArgs& args, PeerAddress mine, bool readyRound = true);
  Step step();
  void workDone() { workDone_ = true; }
  const PeerAddress& addressOf(int peer) const { return peers_[size_t(peer)]; }
  int blockedOn() const { return blockedPeer_; }
  std::string waitingFor() const;

 private:
  enum class Phase { Announce, Learn, Work, Ready, Gather, Done, Drain, Finished };
  int peerAt(int i) const { return (ctx_.rank + 1 + i) % ctx_.size; }  // i-th peer, from the next rank on
  bool post(int peer, uint32_t tag);                       // false: no slot (blocked)
  bool receive(int peer, uint32_t tag);                    // false: not arrived (blocked)
  void check(int peer, const std::byte* m, size_t bytes, uint32_t tag);

  const Context& ctx_;
  const CollArgs& args_;
  const PeerAddress mine_;
  std::vector<PeerAddress> peers_;
  std::vector<bool> gathered_;
  Phase phase_ = Phase::Announce;
  int next_ = 0;          // peers done in the current phase
  bool workDone_ = false;
  const bool readyRound_;
  int blockedPeer_ = -1;
  bool blockedOnSlot_ = false;
};

// A buffer of at least `bytes` for this thread, kept and already touched across calls (the first
// touch of a page costs ~12 us on some VMs, more than copying it).
std::byte* threadScratch(size_t bytes);

}  // namespace weft::coll
