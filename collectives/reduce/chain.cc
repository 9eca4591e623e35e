// SPDX-License-Identifier: Apache-2.0
// Pipelined chain reduce: root+1 -> root+2 -> ... -> root along the ring, partial results
// travelling chunk by chunk and completed at the root.
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"
#include "collectives/round_op.h"

namespace weft::coll {
namespace {

// The chain starts after the root so that the root, last, only receives: the first rank Sends
// its input, inner ranks RecvReduceSend, the root RecvReduceCopy into its output.
class ChainReduceOp final : public RoundOp {
 public:
  ChainReduceOp(const Context& ctx, const CollArgs& a)
      : RoundOp(ctx, chainEnds(ctx, a.root + 1), a.dtype, a.op),
        args_(a), position_(patterns::mod(ctx.rank - a.root - 1, ctx.size)), size_(ctx.size),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    prims_.setOutput(a.count * elem_, a.send == a.recv);
    schedule(chunking_.rounds, 1);
  }

 private:
  Step stepAt(size_t round, int) const override {
    Step s;
    s.prim = position_ == 0 ? Prim::Send : position_ == size_ - 1 ? Prim::RecvReduceCopy : Prim::RecvReduceSend;
    s.count = chunking_.length(round, args_.count);
    const size_t off = chunking_.offset(round) * elem_;
    s.src = static_cast<const std::byte*>(args_.send) + off;
    // The receive buffer matters on the root only and may be null elsewhere.
    s.dst = s.prim == Prim::RecvReduceCopy ? static_cast<std::byte*>(args_.recv) + off : nullptr;
    return s;
  }

  const CollArgs& args_;
  const int position_;  // 0 for root+1, size-1 for the root
  const int size_;
  const patterns::Chunking chunking_;
  const size_t elem_;
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
