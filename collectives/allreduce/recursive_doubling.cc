// SPDX-License-Identifier: Apache-2.0
// Recursive-doubling all-reduce: log2(p) exchanges of the whole message with partners at distance
// 1, 2, 4, ..., each rank reducing what it receives into what it has. One exchange at 2 ranks
// against the ring's two steps, so the algorithm for small messages, where the number of steps is
// the cost; ranks beyond the largest power of two p fold onto a neighbour first (as MPI's does).
#include <algorithm>
#include <array>
#include <cstring>

#include "collectives/kernels/reduce.h"
#include "collectives/operation.h"
#include "collectives/patterns/halving_doubling.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Everything happens in the receive buffer (the input is copied there first when out of place).
// An exchange sends the buffer chunk by chunk and reduces the partner's chunks into it; chunk k
// is reduced only after it was sent (copied into a slot), so the partner gets the values from
// before the exchange, as the rank itself uses the partner's.
class RecursiveDoublingOp final : public Operation {
 public:
  RecursiveDoublingOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        // Avg sums here and divides once, at the end: RecvReduceCopy would divide at every step.
        prims_(nullptr, nullptr, a.dtype, a.op == ReduceOp::Avg ? ReduceOp::Sum : a.op, ctx.size, ctx.slotBytes()),
        elem_(prims_.elementSize()), nranks_(ctx.size), input_{a.recv, a.send, a.count * elem_} {
    plan(ctx);
  }

  Progress advance() override {
    bool advanced = false;
    advanced = input_.run();
    auto* buf = static_cast<std::byte*>(args_.recv);
    const size_t chunk = prims_.maxChunkElements();
    while (phase_ < nPhases_) {
      const Phase& ph = phases_[size_t(phase_)];
      const size_t total = args_.count;
      while (ph.send && sent_ < total) {
        const size_t len = std::min(chunk, total - sent_);
        if (!prims_.tryStepWith(Prim::Send, nullptr, ph.peer, buf + sent_ * elem_, nullptr, len)) break;
        sent_ += len;
        advanced = true;
      }
      // A reduced chunk must have left first (its old values are what the partner needs).
      const size_t limit = ph.send && ph.reduce ? sent_ : total;
      while (ph.recv && received_ < limit) {
        const size_t len = std::min(chunk, total - received_);
        std::byte* at = buf + received_ * elem_;
        if (!prims_.tryStepWith(ph.reduce ? Prim::RecvReduceCopy : Prim::Recv, ph.peer, nullptr, at, at, len)) break;
        received_ += len;
        advanced = true;
      }
      if ((ph.send && sent_ < total) || (ph.recv && received_ < total)) {
        return advanced ? Progress::Advanced : Progress::Blocked;
      }
      ++phase_;
      sent_ = received_ = 0;
    }
    if (args_.op == ReduceOp::Avg) reduce::divide(args_.dtype, buf, args_.count, nranks_);
    return Progress::Done;
  }
  int blockedOn() const override { return prims_.blockedPeer(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (exchange " + std::to_string(phase_ + 1) + " of " + std::to_string(nPhases_) + ")";
  }

 private:
  struct Phase {
    transport::Endpoint* peer = nullptr;
    bool send = false;
    bool recv = false;
    bool reduce = false;
  };

  void plan(const Context& ctx) {
    const patterns::HalvingDoubling hd(ctx.size);
    const int r = ctx.rank;
    auto add = [&](int peer, bool send, bool recv, bool reduce) {
      phases_[size_t(nPhases_++)] = Phase{&ctx.link(peer), send, recv, reduce};
    };
    if (hd.folded(r)) {  // hand the input over, get the result back (avg: divided below, as everywhere)
      add(r + 1, true, false, false);
      add(r + 1, false, true, false);
      return;
    }
    if (hd.absorbs(r)) add(r - 1, false, true, true);
    const int v = hd.virtualRank(r);
    for (int mask = 1; mask < hd.pow2; mask <<= 1) add(hd.realRank(v ^ mask), true, true, true);
    if (hd.absorbs(r)) add(r - 1, true, false, false);
  }

  const CollArgs& args_;
  Primitives prims_;
  const size_t elem_;
  const int nranks_;
  std::array<Phase, 32 + 2> phases_{};
  int nPhases_ = 0;
  int phase_ = 0;
  size_t sent_ = 0, received_ = 0;
  FirstCopy input_;  // the input into the output, where everything happens
};

class RecursiveDoublingAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "recursive_doubling"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  // log2 p exchanges, each moving the whole message; a fold adds two steps of the whole message.
  CostShape shape(int n) const override {
    const patterns::HalvingDoubling hd(n);
    const double steps = patterns::ceilLog2(hd.pow2) + (hd.extra > 0 ? 2 : 0);
    return {steps, steps};
  }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RecursiveDoublingOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& recursiveDoublingAllReduce() {
  static const RecursiveDoublingAllReduce algo;
  return algo;
}

}  // namespace weft::coll
