// SPDX-License-Identifier: Apache-2.0
// Pipelined chain reduce: root+1 -> root+2 -> ... -> root along the ring, partial results
// travelling chunk by chunk and completed at the root.
#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// The chain starts after the root so that the root, last, only receives: the first rank Sends
// its input, inner ranks RecvReduceSend, the root RecvReduceCopy into its output.
class ChainReduceOp final : public Operation {
 public:
  ChainReduceOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        position_(patterns::mod(ctx.rank - a.root - 1, ctx.size)),
        size_(ctx.size),
        prims_(position_ == 0 ? nullptr : &ctx.link(patterns::ringPrev(ctx.rank, ctx.size)),
               position_ == ctx.size - 1 ? nullptr : &ctx.link(patterns::ringNext(ctx.rank, ctx.size)),
               a.dtype, a.op, ctx.size, ctx.slotBytes()),
        chunking_(a.count, prims_.maxChunkElements()),
        elem_(prims_.elementSize()) {
    prims_.setOutput(a.count * elem_, a.send == a.recv);
  }

  Progress advance() override {
    const Prim prim = position_ == 0 ? Prim::Send : position_ == size_ - 1 ? Prim::RecvReduceCopy : Prim::RecvReduceSend;
    bool advanced = false;
    while (round_ < chunking_.rounds) {
      const size_t len = chunking_.length(round_, args_.count);
      const size_t off = chunking_.offset(round_) * elem_;
      const auto* src = static_cast<const std::byte*>(args_.send) + off;
      // The receive buffer matters on the root only and may be null elsewhere.
      auto* dst = prim == Prim::RecvReduceCopy ? static_cast<std::byte*>(args_.recv) + off : nullptr;
      if (!prims_.tryStep(prim, src, dst, len)) return advanced ? Progress::Advanced : Progress::Blocked;
      advanced = true;
      ++round_;
    }
    prims_.finish();
    return Progress::Done;
  }
  int blockedOn() const override { return prims_.blockedPeer(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (chunk " + std::to_string(round_ + 1) + " of " + std::to_string(chunking_.rounds) + ")";
  }

 private:
  const CollArgs& args_;
  const int position_;  // 0 for root+1, size-1 for the root
  const int size_;
  Primitives prims_;
  patterns::Chunking chunking_;
  const size_t elem_;
  size_t round_ = 0;
};

class ChainReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "chain"; }
  CollKind kind() const override { return CollKind::Reduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<ChainReduceOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& chainReduce() {
  static const ChainReduce algo;
  return algo;
}

}  // namespace weft::coll
