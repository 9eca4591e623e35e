// SPDX-License-Identifier: Apache-2.0
// Dissemination barrier: in round k rank r signals rank r+2^k and waits for rank r-2^k;
// after ceil(log2(size)) rounds every rank has heard, indirectly, from every other.
#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Signals are empty chunks; a round's signal is sent before its wait, so no round can deadlock.
class DisseminationOp final : public Operation {
 public:
  explicit DisseminationOp(const Context& ctx, const CollArgs&)
      : ctx_(ctx), prims_(ctx, nullptr, nullptr, DataType::Uint8, ReduceOp::Sum) {}

  Progress advance() override {
    bool advanced = false;
    while (distance_ < ctx_.size) {
      if (!signalled_) {
        auto* to = &ctx_.link(patterns::mod(ctx_.rank + distance_, ctx_.size));
        if (!prims_.tryStepWith(Prim::Send, nullptr, to, &token_, nullptr, 0)) break;
        signalled_ = advanced = true;
      }
      auto* from = &ctx_.link(patterns::mod(ctx_.rank - distance_, ctx_.size));
      if (!prims_.tryStepWith(Prim::Recv, from, nullptr, nullptr, &token_, 0)) break;
      advanced = true;
      signalled_ = false;
      distance_ *= 2;
    }
    if (distance_ >= ctx_.size) return Progress::Done;
    return advanced ? Progress::Advanced : Progress::Blocked;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (round with distance " + std::to_string(distance_) + ")";
  }

 private:
  const Context& ctx_;
  Primitives prims_;
  std::byte token_{};  // empty copies still need valid pointers
  int distance_ = 1;
  bool signalled_ = false;
};

class DisseminationBarrier final : public Algorithm {
 public:
  std::string_view name() const override { return "dissemination"; }
  CollKind kind() const override { return CollKind::Barrier; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), 0}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<DisseminationOp>(ctx, args);  // one rank: nothing to wait for
  }
};

}  // namespace

const Algorithm& disseminationBarrier() {
  static const DisseminationBarrier algo;
  return algo;
}

}  // namespace weft::coll
