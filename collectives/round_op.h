// SPDX-License-Identifier: Apache-2.0
// The shape shared by ring, chain and tree schedules: rounds (one per chunk of the message) of a
// fixed number of steps, each step one primitive. Subclasses only say what step (round, s) is.
#pragma once

#include <cstddef>
#include <string>

#include "collectives/operation.h"
#include "collectives/primitives.h"

namespace weft::coll {

// The endpoints a RoundOp's Primitives take by default (null: none on that side).
struct PrimEnds {
  transport::Endpoint* prev = nullptr;
  transport::Endpoint* next = nullptr;
};

class RoundOp : public Operation {
 public:
  Progress advance() final;
  PeerSet blockedOn() const final { return prims_.blockedPeers(); }
  std::string waitingFor() const final;

 protected:
  struct Step {
    Prim prim = Prim::Send;
    const void* src = nullptr;
    void* dst = nullptr;
    size_t count = 0;                   // elements; 0: nothing to do at this step
    transport::Endpoint* to = nullptr;  // null: the Primitives' `next`
    bool copyLocal = false;             // also copy src to dst (a root's own output, out of place)
  };

  // Primitives are built in place: a copy is a few hundred bytes per call (Note [Stores on the
  // hot path]).
  RoundOp(const Context& ctx, PrimEnds ends, DataType dtype, ReduceOp op) : prims_(ctx, ends.prev, ends.next, dtype, op) {}
  // Called once by the subclass's constructor, when it knows its chunking.
  void schedule(size_t rounds, int steps) {
    rounds_ = rounds;
    steps_ = steps;
  }
  virtual Step stepAt(size_t round, int step) const = 0;

  Primitives prims_;

 private:
  size_t rounds_ = 0;
  int steps_ = 1;
  size_t round_ = 0;
  int step_ = 0;
};

// The ring's neighbours of this rank.
PrimEnds ringEnds(const Context& ctx);
// The ends of a chain along the ring that starts at rank `first` and ends just before it: no
// `prev` for the first rank, no `next` for the last.
PrimEnds chainEnds(const Context& ctx, int first);

}  // namespace weft::coll
