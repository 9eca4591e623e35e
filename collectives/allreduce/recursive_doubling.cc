// SPDX-License-Identifier: Apache-2.0
// Recursive-doubling all-reduce: log2(p) exchanges of the whole message with partners at distance
// 1, 2, 4, ..., each rank reducing what it receives into what it has. One exchange at 2 ranks
// against the ring's two steps, so the algorithm for small messages, where the number of steps is
// the cost; ranks beyond the largest power of two p fold onto a neighbour first (as MPI's does).
#include "collectives/allreduce/exchange_op.h"
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Every exchange sends and reduces the whole buffer (collectives/allreduce/exchange_op.h); avg is
// divided once the last exchange is done, before the fold-back, so a folded rank gets it divided.
void plan(ExchangeOp& op, const patterns::HalvingDoubling& hd, int v, patterns::Range all) {
  for (int mask = 1; mask < hd.pow2; mask <<= 1) op.add(hd.realRank(v ^ mask), all, all, true);
  op.divideNow(all);
}

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
    return startExchanges(ctx, args, plan);
  }
};

}  // namespace

const Algorithm& recursiveDoublingAllReduce() {
  static const RecursiveDoublingAllReduce algo;
  return algo;
}

}  // namespace weft::coll
