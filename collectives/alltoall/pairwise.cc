// SPDX-License-Identifier: Apache-2.0
// Pairwise-exchange all-to-all: in step k = 1 .. size-1, rank r sends block r+k to rank r+k and
// receives block r-k from rank r-k, both directions at once, chunk by chunk.
#include <cstring>

#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"
#include "collectives/transfer.h"

namespace weft::coll {
namespace {

class PairwiseAllToAllOp final : public Operation {
 public:
  PairwiseAllToAllOp(const Context& ctx, const CollArgs& a)
      : ctx_(ctx), args_(a), prims_(ctx, nullptr, nullptr, a.dtype, a.op),
        block_(a.count * prims_.elementSize()) {
    // Block r stays here. (In place is refused by the runtime: block r-k would be overwritten
    // at step k before it is sent at step size-k.)
    own_ = {recvBlock(ctx.rank), sendBlock(ctx.rank), block_};
    startStep();
  }

  Progress advance() override {
    bool advanced = own_.run();
    while (step_ < ctx_.size) {
      advanced |= send_.advance(prims_);
      advanced |= recv_.advance(prims_);
      if (!send_.finished() || !recv_.finished()) return advanced ? Progress::Advanced : Progress::Blocked;
      ++step_;
      startStep();
    }
    return Progress::Done;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (exchange step " + std::to_string(step_) + " of " + std::to_string(ctx_.size - 1) + ")";
  }

 private:
  const std::byte* sendBlock(int j) const { return static_cast<const std::byte*>(args_.send) + size_t(j) * block_; }
  std::byte* recvBlock(int j) const { return static_cast<std::byte*>(args_.recv) + size_t(j) * block_; }
  void startStep() {
    if (step_ >= ctx_.size) return;
    const int to = patterns::mod(ctx_.rank + step_, ctx_.size), from = patterns::mod(ctx_.rank - step_, ctx_.size);
    send_ = Transfer{Prim::Send, &ctx_.link(to), sendBlock(to), nullptr, args_.count, 0};
    recv_ = Transfer{Prim::Recv, &ctx_.link(from), nullptr, recvBlock(from), args_.count, 0};
  }

  const Context& ctx_;
  const CollArgs& args_;
  Primitives prims_;
  const size_t block_;
  FirstCopy own_;  // this rank's own block, sendbuff to recvbuff
  int step_ = 1;
  Transfer send_, recv_;
};

class PairwiseAllToAll final : public Algorithm {
 public:
  std::string_view name() const override { return "pairwise"; }
  CollKind kind() const override { return CollKind::AllToAll; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(n - 1), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<PairwiseAllToAllOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& pairwiseAllToAll() {
  static const PairwiseAllToAll algo;
  return algo;
}

}  // namespace weft::coll
