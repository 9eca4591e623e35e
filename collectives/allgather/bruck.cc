// SPDX-License-Identifier: Apache-2.0
// Bruck's all-gather for any rank count: ceil(log2(size)) exchanges, the k-th with the ranks 2^k
// away on either side, instead of the ring's size-1 steps; for small blocks and many ranks.
#include "collectives/allgather/block_exchange.h"
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// After the exchanges at distances 1, 2, ..., d/2, rank r holds the blocks of ranks r .. r+d-1
// (mod size). At distance d it sends the first min(d, size-d) of them to rank r-d and receives
// the same number, those of ranks r+d onwards, from rank r+d. Every block is kept at its final
// place in the output (the runs wrap around its end), so no rotation is needed afterwards.
class BruckAllGatherOp final : public BlockExchangeOp {
 public:
  BruckAllGatherOp(const Context& ctx, const CollArgs& a) : BlockExchangeOp(ctx, a) {
    const int r = ctx.rank, n = ctx.size;
    for (int d = 1; d < n; d <<= 1) {
      const int blocks = std::min(d, n - d);
      addPhase(&ctx.link(patterns::mod(r - d, n)), BlockRun{r, blocks}, &ctx.link(patterns::mod(r + d, n)),
               BlockRun{patterns::mod(r + d, n), blocks});
    }
  }
};

class BruckAllGather final : public Algorithm {
 public:
  std::string_view name() const override { return "bruck"; }
  CollKind kind() const override { return CollKind::AllGather; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<BruckAllGatherOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& bruckAllGather() {
  static const BruckAllGather algo;
  return algo;
}

}  // namespace weft::coll
