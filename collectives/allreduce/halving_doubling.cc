// SPDX-License-Identifier: Apache-2.0
// Recursive halving-doubling all-reduce (Rabenseifner): a reduce-scatter by recursive halving,
// then an all-gather by recursive doubling, 2*log2(p) exchanges instead of the ring's 2(n-1)
// steps; ranks beyond the largest power of two p fold onto a neighbour first.
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

using patterns::Range;

// Everything happens in the receive buffer (the input is copied there first when out of place).
// Each phase exchanges with one peer: sends one range and receives another, either reduced into
// what is there (the halving) or copied (the doubling and the fold-back), chunk by chunk.
struct Phase {
  transport::Endpoint* peer = nullptr;
  Range send;
  Range recv;
  bool reduce = false;
};

class HalvingDoublingOp final : public Operation {
 public:
  HalvingDoublingOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        // Avg sums here and divides once, below: RecvReduceCopy would divide at every step.
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
      while (sent_ < ph.send.length()) {
        const size_t len = std::min(chunk, ph.send.length() - sent_);
        if (!prims_.tryStepWith(Prim::Send, nullptr, ph.peer, buf + (ph.send.begin + sent_) * elem_, nullptr, len)) break;
        sent_ += len;
        advanced = true;
      }
      while (received_ < ph.recv.length()) {
        const size_t len = std::min(chunk, ph.recv.length() - received_);
        std::byte* at = buf + (ph.recv.begin + received_) * elem_;
        if (!prims_.tryStepWith(ph.reduce ? Prim::RecvReduceCopy : Prim::Recv, ph.peer, nullptr, at, at, len)) break;
        received_ += len;
        advanced = true;
      }
      if (sent_ < ph.send.length() || received_ < ph.recv.length()) {
        return advanced ? Progress::Advanced : Progress::Blocked;
      }
      if (phase_ == divideAfter_ && args_.op == ReduceOp::Avg) {
        reduce::divide(args_.dtype, buf + owned_.begin * elem_, owned_.length(), nranks_);
      }
      ++phase_;
      sent_ = received_ = 0;
    }
    return Progress::Done;
  }
  int blockedOn() const override { return prims_.blockedPeer(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (exchange " + std::to_string(phase_ + 1) + " of " + std::to_string(nPhases_) + ")";
  }

 private:
  void add(transport::Endpoint* peer, Range send, Range recv, bool reduce) {
    phases_[size_t(nPhases_++)] = Phase{peer, send, recv, reduce};
  }

  void plan(const Context& ctx) {
    const patterns::HalvingDoubling hd(ctx.size);
    const int r = ctx.rank;
    const Range all{0, args_.count};
    if (hd.folded(r)) {  // hand the input over, get the result back
      add(&ctx.link(r + 1), all, {}, false);
      add(&ctx.link(r + 1), {}, all, false);
      return;
    }
    if (hd.absorbs(r)) add(&ctx.link(r - 1), {}, all, true);
    const int v = hd.virtualRank(r);
    std::array<Range, 32> kept{}, given{};
    int steps = 0;
    Range range = all;
    for (int mask = 1; mask < hd.pow2; mask <<= 1, ++steps) {  // halving: keep one half, reduced
      const bool upper = (v & mask) != 0;
      kept[size_t(steps)] = upper ? range.upper() : range.lower();
      given[size_t(steps)] = upper ? range.lower() : range.upper();
      add(&ctx.link(hd.realRank(v ^ mask)), given[size_t(steps)], kept[size_t(steps)], true);
      range = kept[size_t(steps)];
    }
    owned_ = range;
    divideAfter_ = nPhases_ - 1;
    for (int k = steps - 1, mask = hd.pow2 / 2; k >= 0; --k, mask >>= 1) {  // doubling, in reverse
      add(&ctx.link(hd.realRank(v ^ mask)), kept[size_t(k)], given[size_t(k)], false);
    }
    if (hd.absorbs(r)) add(&ctx.link(r - 1), all, {}, false);
  }

  const CollArgs& args_;
  Primitives prims_;
  const size_t elem_;
  const int nranks_;
  std::array<Phase, 2 * 32 + 2> phases_{};
  int nPhases_ = 0;
  int phase_ = 0;
  int divideAfter_ = -1;  // avg: the fully reduced range `owned_` is divided after this phase
  Range owned_;
  size_t sent_ = 0, received_ = 0;
  FirstCopy input_;  // the input into the output, where everything happens
};

class HalvingDoublingAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "halving_doubling"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  // A power-of-two core of p ranks halves and doubles (2 log2 p steps moving 2(p-1)/p of the
  // message); any extra rank folds into a partner first and gets the result back (2 steps, 2x).
  CostShape shape(int n) const override {
    const patterns::HalvingDoubling hd(n);
    const double fold = hd.extra > 0 ? 2 : 0;
    return {2.0 * patterns::ceilLog2(hd.pow2) + fold, 2.0 * (hd.pow2 - 1) / hd.pow2 + fold};
  }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<HalvingDoublingOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& halvingDoublingAllReduce() {
  static const HalvingDoublingAllReduce algo;
  return algo;
}

}  // namespace weft::coll
