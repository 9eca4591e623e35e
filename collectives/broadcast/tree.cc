// SPDX-License-Identifier: Apache-2.0
// Binomial-tree broadcast: ceil(log2(size)) hops from the root to the farthest rank instead of
// the chain's size-1, pipelined in chunks; for small messages and many ranks.
#include <array>

#include "collectives/operation.h"
#include "collectives/patterns/tree.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Per chunk: a non-root rank first receives the chunk from its parent into its output, then every
// rank sends it on to each child, largest subtree first (the root sends from its input).
class TreeBroadcastOp final : public Operation {
 public:
  static constexpr int kMaxChildren = 31;  // log2 of the largest int rank count

  TreeBroadcastOp(const Context& ctx, const CollArgs& a)
      : args_(a), tree_{ctx.size, a.root}, v_(tree_.virtualRank(ctx.rank)),
        prims_(v_ == 0 ? nullptr : &ctx.link(tree_.realRank(tree_.parent(v_))), nullptr, a.dtype,
               ReduceOp::Sum, ctx.size, ctx.slotBytes()),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    tree_.forEachChild(v_, [&](int child) { children_[size_t(nChildren_++)] = &ctx.link(tree_.realRank(child)); });
    prims_.setOutput(a.count * elem_, false);
  }

  Progress advance() override {
    bool advanced = false;
    const int phases = (v_ == 0 ? 0 : 1) + nChildren_;
    while (round_ < chunking_.rounds) {
      const size_t len = chunking_.length(round_, args_.count);
      const size_t off = chunking_.offset(round_) * elem_;
      auto* dst = static_cast<std::byte*>(args_.recv) + off;
      // What goes to the children: the root's input, or the chunk just received.
      const auto* from = v_ == 0 ? static_cast<const std::byte*>(args_.send) + off : dst;
      if (v_ != 0 && phase_ == 0) {
        if (!prims_.tryStep(Prim::Recv, nullptr, dst, len)) return advanced ? Progress::Advanced : Progress::Blocked;
      } else {
        auto* child = children_[size_t(phase_ - (v_ == 0 ? 0 : 1))];
        if (!prims_.tryStepWith(Prim::Send, nullptr, child, from, nullptr, len)) {
          return advanced ? Progress::Advanced : Progress::Blocked;
        }
      }
      advanced = true;
      if (++phase_ >= phases) {
        if (v_ == 0 && args_.send != args_.recv) prims_.copyToOutput(dst, from, len);
        phase_ = 0;
        ++round_;
      }
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
  const patterns::BinomialTree tree_;
  const int v_;  // this rank's place in the tree (root = 0)
  Primitives prims_;
  patterns::Chunking chunking_;
  const size_t elem_;
  std::array<transport::Endpoint*, kMaxChildren> children_{};
  int nChildren_ = 0;
  size_t round_ = 0;
  int phase_ = 0;
};

class TreeBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "tree"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
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
