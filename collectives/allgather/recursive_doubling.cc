// SPDX-License-Identifier: Apache-2.0
// Recursive-doubling all-gather for power-of-two rank counts: log2(size) pairwise exchanges, each
// twice the size of the one before; other rank counts use another algorithm.
#include "collectives/allgather/block_exchange.h"
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Before the exchange with mask m, rank r holds the m blocks of the ranks that agree with it on
// every bit from m up; it swaps them for its partner r^m's, doubling the run it holds.
class RecursiveDoublingAllGatherOp final : public BlockExchangeOp {
 public:
  RecursiveDoublingAllGatherOp(const Context& ctx, const CollArgs& a) : BlockExchangeOp(ctx, a) {
    const int r = ctx.rank;
    for (int mask = 1; mask < ctx.size; mask <<= 1) {
      const int peer = r ^ mask;
      transport::Endpoint* link = &ctx.link(peer);
      addPhase(link, BlockRun{r & ~(mask - 1), mask}, link, BlockRun{peer & ~(mask - 1), mask});
    }
  }
};

class RecursiveDoublingAllGather final : public Algorithm {
 public:
  std::string_view name() const override { return "recursive_doubling"; }
  CollKind kind() const override { return CollKind::AllGather; }
  bool supports(const CollArgs&, const Context& ctx) const override { return (ctx.size & (ctx.size - 1)) == 0; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RecursiveDoublingAllGatherOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& recursiveDoublingAllGather() {
  static const RecursiveDoublingAllGather algo;
  return algo;
}

}  // namespace weft::coll
