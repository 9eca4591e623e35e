// SPDX-License-Identifier: Apache-2.0
// Binomial-tree reduce: ceil(log2(size)) hops from the farthest rank to the root instead of the
// chain's size-1, pipelined in chunks; for small messages and many ranks.
#include <array>
#include <vector>

#include "collectives/kernels/reduce.h"
#include "collectives/operation.h"
#include "collectives/patterns/tree.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Per chunk, a rank folds its children's chunks (largest subtree first) into its own partial
// result, then passes that to its parent. A leaf Sends its input. An inner rank with one child
// RecvReduceSends. The root accumulates in its output (RecvReduceCopy, which may alias) and
// divides once for avg. An inner rank with several children has no output buffer, so it
// accumulates the chunk in a scratch chunk before the last child's RecvReduceSend.
class TreeReduceOp final : public Operation {
 public:
  static constexpr int kMaxChildren = 31;  // log2 of the largest int rank count

  TreeReduceOp(const Context& ctx, const CollArgs& a)
      : args_(a), tree_{ctx.size, a.root}, v_(tree_.virtualRank(ctx.rank)),
        // Avg sums on the way and divides once at the root (RecvReduceCopy would divide each time).
        parent_(v_ == 0 ? nullptr : &ctx.link(tree_.realRank(tree_.parent(v_)))),
        prims_(ctx, nullptr, parent_, a.dtype,
               a.op == ReduceOp::Avg ? ReduceOp::Sum : a.op),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()), nranks_(ctx.size) {
    tree_.forEachChild(v_, [&](int child) { children_[size_t(nChildren_++)] = &ctx.link(tree_.realRank(child)); });
    // The one per-call buffer: a single chunk of partial sums, only where there is nowhere else
    // to keep one (no output off the root, and the parent's slot can take one step only).
    if (v_ != 0 && nChildren_ > 1) scratch_.resize(chunking_.chunk * elem_);
  }

  Progress advance() override {
    bool advanced = false;
    while (round_ < chunking_.rounds) {
      const size_t len = chunking_.length(round_, args_.count);
      const size_t off = chunking_.offset(round_) * elem_;
      if (!step(len, off)) return advanced ? Progress::Advanced : Progress::Blocked;
      advanced = true;
      if (++phase_ > lastPhase()) {
        if (v_ == 0 && args_.op == ReduceOp::Avg) {
          reduce::divide(args_.dtype, static_cast<std::byte*>(args_.recv) + off, len, nranks_);
        }
        phase_ = 0;
        ++round_;
      }
    }
    return Progress::Done;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (chunk " + std::to_string(round_ + 1) + " of " + std::to_string(chunking_.rounds) + ")";
  }

 private:
  // Phases of a chunk: one per child, plus the Send of a leaf.
  int lastPhase() const { return nChildren_ == 0 ? 0 : nChildren_ - 1; }

  // Phase `phase_` of the chunk at byte offset `off`; false when a slot is not there yet.
  bool step(size_t len, size_t off) {
    const auto* input = static_cast<const std::byte*>(args_.send) + off;
    if (nChildren_ == 0) return prims_.tryStepWith(Prim::Send, nullptr, parent_, input, nullptr, len);
    transport::Endpoint* child = children_[size_t(phase_)];
    // Where the partial result accumulates, and what it is before this phase.
    std::byte* acc = v_ == 0 ? static_cast<std::byte*>(args_.recv) + off : scratch_.data();
    const std::byte* partial = phase_ == 0 ? input : acc;
    if (v_ != 0 && phase_ == lastPhase()) {
      return prims_.tryStepWith(Prim::RecvReduceSend, child, parent_, partial, nullptr, len);
    }
    return prims_.tryStepWith(Prim::RecvReduceCopy, child, nullptr, partial, acc, len);
  }

  const CollArgs& args_;
  const patterns::BinomialTree tree_;
  const int v_;  // this rank's place in the tree (root = 0)
  transport::Endpoint* const parent_;  // null on the root
  Primitives prims_;
  patterns::Chunking chunking_;
  const size_t elem_;
  const int nranks_;
  std::array<transport::Endpoint*, kMaxChildren> children_{};
  int nChildren_ = 0;
  std::vector<std::byte> scratch_;
  size_t round_ = 0;
  int phase_ = 0;
};

class TreeReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "tree"; }
  CollKind kind() const override { return CollKind::Reduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(patterns::ceilLog2(n))}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<TreeReduceOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& treeReduce() {
  static const TreeReduce algo;
  return algo;
}

}  // namespace weft::coll
