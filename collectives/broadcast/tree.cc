// SPDX-License-Identifier: Apache-2.0
// Binomial-tree broadcast: ceil(log2(size)) hops from the root to the farthest rank instead of
// the chain's size-1, pipelined in chunks; for small messages and many ranks.
#include <array>

#include "collectives/patterns/tree.h"
#include "collectives/registry.h"
#include "collectives/round_op.h"

namespace weft::coll {
namespace {

// Per chunk: a non-root rank first receives the chunk from its parent into its output, then every
// rank sends it on to each child, largest subtree first (the root sends from its input).
class TreeBroadcastOp final : public RoundOp {
 public:
  static constexpr int kMaxChildren = 31;  // log2 of the largest int rank count

  TreeBroadcastOp(const Context& ctx, const CollArgs& a)
      : RoundOp(Primitives(parentLink(ctx, a.root), nullptr, a.dtype, ReduceOp::Sum, ctx.size, ctx.slotBytes())),
        args_(a), v_(patterns::BinomialTree{ctx.size, a.root}.virtualRank(ctx.rank)),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    const patterns::BinomialTree tree{ctx.size, a.root};
    tree.forEachChild(v_, [&](int child) { children_[size_t(nChildren_++)] = &ctx.link(tree.realRank(child)); });
    prims_.setOutput(a.count * elem_, false);
    schedule(chunking_.rounds, (v_ == 0 ? 0 : 1) + nChildren_);
  }

 private:
  static transport::Endpoint* parentLink(const Context& ctx, int root) {
    const patterns::BinomialTree tree{ctx.size, root};
    const int v = tree.virtualRank(ctx.rank);
    return v == 0 ? nullptr : &ctx.link(tree.realRank(tree.parent(v)));
  }

  Step stepAt(size_t round, int p) const override {
    Step s;
    s.count = chunking_.length(round, args_.count);
    const size_t off = chunking_.offset(round) * elem_;
    s.dst = static_cast<std::byte*>(args_.recv) + off;
    if (v_ != 0 && p == 0) {  // first the chunk from the parent
      s.prim = Prim::Recv;
      return s;
    }
    // Then on to each child: the root sends its input, the others what they just received.
    const int child = p - (v_ == 0 ? 0 : 1);
    s.prim = Prim::Send;
    s.to = children_[size_t(child)];
    s.src = v_ == 0 ? static_cast<const std::byte*>(args_.send) + off : s.dst;
    s.copyLocal = v_ == 0 && child == 0 && args_.send != args_.recv;
    return s;
  }

  const CollArgs& args_;
  const int v_;  // this rank's place in the tree (root = 0)
  const patterns::Chunking chunking_;
  const size_t elem_;
  std::array<transport::Endpoint*, kMaxChildren> children_{};
  int nChildren_ = 0;
};

class TreeBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "tree"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(patterns::ceilLog2(n))}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<TreeBroadcastOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& treeBroadcast() {
  static const TreeBroadcast algo;
  return algo;
}

}  // namespace weft::coll
