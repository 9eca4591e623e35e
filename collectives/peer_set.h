// SPDX-License-Identifier: Apache-2.0
// The peers a blocked operation waits for.
#pragma once

#include <array>

namespace weft::coll {

// Note [Stalled peers]: an operation may wait for several peers at once: a pairwise exchange's
// send to one peer and receive from another, a gather's unready peers. Every one of them is
// checked for liveness before a nap (checkStalled), not only the one its messages name: with
// only that one, ranks each stuck sending to a dead peer while receiving from a live rank stuck
// the same way formed a cycle of live "culprits", and none noticed the death (a 7-rank
// all-to-all over UCX hung so in a fault trial). The first peer is the one messages and timeouts
// name.
class PeerSet {
 public:
  static constexpr int kCapacity = 8;  // peers past it are left out (they are looked at later)

  PeerSet() = default;
  static PeerSet of(int peer) {
    PeerSet s;
    s.add(peer);
    return s;
  }
  void add(int peer) {
    if (peer < 0 || contains(peer) || n_ == kCapacity) return;
    peers_[size_t(n_++)] = peer;
  }
  bool contains(int peer) const {
    for (int i = 0; i < n_; ++i) {
      if (peers_[size_t(i)] == peer) return true;
    }
    return false;
  }
  bool empty() const { return n_ == 0; }
  int first() const { return n_ > 0 ? peers_[0] : -1; }
  const int* begin() const { return peers_.data(); }
  const int* end() const { return peers_.data() + n_; }

 private:
  std::array<int, kCapacity> peers_{};
  int n_ = 0;
};

}  // namespace weft::coll
