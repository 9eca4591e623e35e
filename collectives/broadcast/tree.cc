// SPDX-License-Identifier: Apache-2.0
// Binomial-tree broadcast: ceil(log2(size)) hops from the root to the farthest rank instead of
// the chain's size-1, pipelined in chunks; for small messages and many ranks.
#include "collectives/broadcast/any_tree.h"
#include "collectives/patterns/tree.h"
#include "collectives/registry.h"

namespace weft::coll {

// Children are served largest subtree first.
TreePlace binomialPlace(const Context& ctx, int root) {
  const patterns::BinomialTree tree{ctx.size, root};
  const int v = tree.virtualRank(ctx.rank);
  TreePlace place;
  if (v != 0) place.parent = tree.realRank(tree.parent(v));
  tree.forEachChild(v, [&](int child) { place.children.push_back(tree.realRank(child)); });
  return place;
}

namespace {

class TreeBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "tree"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(patterns::ceilLog2(n))}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startTreeBroadcast(ctx, args, binomialPlace(ctx, args.root));
  }
};

}  // namespace

const Algorithm& treeBroadcast() {
  static const TreeBroadcast algo;
  return algo;
}

}  // namespace weft::coll
