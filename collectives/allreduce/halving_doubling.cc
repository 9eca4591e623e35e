// SPDX-License-Identifier: Apache-2.0
// Recursive halving-doubling all-reduce (Rabenseifner): a reduce-scatter by recursive halving,
// then an all-gather by recursive doubling, 2*log2(p) exchanges instead of the ring's 2(n-1)
// steps; ranks beyond the largest power of two p fold onto a neighbour first.
#include <array>

#include "collectives/allreduce/exchange_op.h"
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

using patterns::Range;

// Rabenseifner's schedule as exchanges (collectives/allreduce/exchange_op.h).
void plan(ExchangeOp& op, const patterns::HalvingDoubling& hd, int v, Range all) {
  std::array<Range, 32> kept{}, given{};
  int steps = 0;
  Range range = all;
  for (int mask = 1; mask < hd.pow2; mask <<= 1, ++steps) {  // halving: keep one half, reduced
    const bool upper = (v & mask) != 0;
    kept[size_t(steps)] = upper ? range.upper() : range.lower();
    given[size_t(steps)] = upper ? range.lower() : range.upper();
    op.add(hd.realRank(v ^ mask), given[size_t(steps)], kept[size_t(steps)], true);
    range = kept[size_t(steps)];
  }
  op.divideNow(range);
  for (int k = steps - 1, mask = hd.pow2 / 2; k >= 0; --k, mask >>= 1) {  // doubling, in reverse
    op.add(hd.realRank(v ^ mask), kept[size_t(k)], given[size_t(k)], false);
  }
}

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
    return startExchanges(ctx, args, plan);
  }
};

}  // namespace

const Algorithm& halvingDoublingAllReduce() {
  static const HalvingDoublingAllReduce algo;
  return algo;
}

}  // namespace weft::coll
