// SPDX-License-Identifier: Apache-2.0
// Double binary tree all-reduce: each half of the message is reduced up one of two binary trees
// and broadcast back down it, about 2*log2(n) hops instead of the ring's 2(n-1); every rank
// forwards for at most one tree (collectives/patterns/double_tree.h).
#include <array>

#include "collectives/kernels/reduce.h"
#include "collectives/operation.h"
#include "collectives/patterns/double_tree.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Note [Double tree schedule]
// Tree 1 all-reduces the first half of the buffer, tree 2 the second, both pipelined in chunks.
// Up: a rank folds its children's chunks, in children order, into its partial result (the
// receive buffer serves as accumulator: the first fold reads the input, RecvReduceCopy), and
// the last fold goes straight on to the parent (RecvReduceSend); a leaf Sends its input; the
// root's result is complete after its last fold (avg sums and divides once there). Down: a
// rank receives the chunk into its output and passes it on to its first child in the same step
// (RecvCopySend), then Sends it to the second; the root Sends from its output.
// The two trees can use the same directed pair of ranks (always so for n = 2), and each pair has
// one FIFO, so every rank runs one sequence of steps ordered by the key (phase, chunk, tree):
// all of Up, then all of Down; chunk i of tree 1, then of tree 2, then chunk i+1. A key puts at
// most one message on any directed pair (a tree edge carries one chunk per phase, and a pair is
// one edge of a tree at most), hence at most two per pair per chunk and phase, and both ends of
// a pair meet its messages in key order: what is sent is what the receiver expects next.
// No deadlock, even with one slot per FIFO: take a stuck rank at the smallest key K. It cannot
// wait for a free slot at a peer, since that peer has consumed everything we sent below K (it
// is at K or beyond) and we send one message at K. So it waits for a chunk at K from a child
// (Up) or the parent (Down), which is stuck at K too and one hop further from the root (Up) or
// nearer (Down); that chain ends at a leaf's Send or the root's first Send, which need nothing.
class DoubleTreeAllReduceOp final : public Operation {
 public:
  DoubleTreeAllReduceOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        prims_(ctx, nullptr, nullptr, a.dtype, a.op == ReduceOp::Avg ? ReduceOp::Sum : a.op),
        halves_{a.count, 2}, chunking_(halves_.longest(), prims_.maxChunkElements()),
        elem_(prims_.elementSize()), nranks_(ctx.size) {
    for (int t = 0; t < 2; ++t) {
      const patterns::TreeNode node = patterns::doubleTreeNode(ctx.size, ctx.rank, t);
      Links& l = trees_[size_t(t)];
      l.parent = node.parent < 0 ? nullptr : &ctx.link(node.parent);
      for (int c : node.children) {
        if (c >= 0) l.children[size_t(l.nChildren++)] = &ctx.link(c);
      }
    }
    prims_.setOutput(a.count * elem_, true);  // the output is also the accumulator, read back
  }

  Progress advance() override {
    bool advanced = false;
    while (phase_ < kPhases) {
      if (round_ == chunking_.rounds) {
        ++phase_;
        round_ = 0;
        continue;
      }
      const size_t len = chunking_.length(round_, halves_.length(tree_));
      const size_t off = (halves_.begin(tree_) + chunking_.offset(round_)) * elem_;
      for (; len > 0 && step_ < steps(); ++step_) {
        if (!step(len, off)) return advanced ? Progress::Advanced : Progress::Blocked;
        advanced = true;
        if (phase_ == kUp && step_ == steps() - 1 && !links().parent && args_.op == ReduceOp::Avg) {
          reduce::divide(args_.dtype, static_cast<std::byte*>(args_.recv) + off, len, nranks_);
        }
      }
      step_ = 0;
      if (++tree_ == 2) {
        tree_ = 0;
        ++round_;
      }
    }
    prims_.finish();
    return Progress::Done;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (" + (phase_ == kUp ? "reducing" : "broadcasting") + " on tree " +
           std::to_string(tree_ + 1) + ", chunk " + std::to_string(round_ + 1) + " of " +
           std::to_string(chunking_.rounds) + ")";
  }

 private:
  static constexpr int kUp = 0, kPhases = 2;
  struct Links {
    transport::Endpoint* parent = nullptr;  // null on the root
    std::array<transport::Endpoint*, 2> children{};
    int nChildren = 0;
  };
  const Links& links() const { return trees_[size_t(tree_)]; }

  // Steps of one chunk of the current tree in the current phase.
  int steps() const {
    const Links& l = links();
    if (phase_ == kUp || l.parent) return l.nChildren == 0 ? 1 : l.nChildren;
    return l.nChildren;  // the root's Sends down
  }

  // Step `step_` on the chunk at byte offset `off`; false when a slot is not there yet.
  bool step(size_t len, size_t off) {
    const Links& l = links();
    const auto* input = static_cast<const std::byte*>(args_.send) + off;
    std::byte* acc = static_cast<std::byte*>(args_.recv) + off;
    transport::Endpoint* child = l.nChildren == 0 ? nullptr : l.children[size_t(step_)];
    if (phase_ == kUp) {
      if (!child) return prims_.tryStepWith(Prim::Send, nullptr, l.parent, input, nullptr, len);
      const std::byte* partial = step_ == 0 ? input : acc;
      if (l.parent && step_ == l.nChildren - 1) {
        return prims_.tryStepWith(Prim::RecvReduceSend, child, l.parent, partial, nullptr, len);
      }
      return prims_.tryStepWith(Prim::RecvReduceCopy, child, nullptr, partial, acc, len);
    }
    if (l.parent && step_ == 0) {
      return child ? prims_.tryStepWith(Prim::RecvCopySend, l.parent, child, nullptr, acc, len)
                   : prims_.tryStepWith(Prim::Recv, l.parent, nullptr, nullptr, acc, len);
    }
    return prims_.tryStepWith(Prim::Send, nullptr, child, acc, nullptr, len);
  }

  const CollArgs& args_;
  Primitives prims_;
  const patterns::Segments halves_;  // half 0 for tree 1, half 1 for tree 2
  const patterns::Chunking chunking_;
  const size_t elem_;
  const int nranks_;
  std::array<Links, 2> trees_{};
  int phase_ = kUp;
  size_t round_ = 0;
  int tree_ = 0;
  int step_ = 0;
};

class DoubleTreeAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "tree"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  // Up and down a tree about log2(n)+1 deep; an inner rank takes two children's halves and sends
  // one up, then the reverse, and as a leaf of the other tree sends and receives a half.
  CostShape shape(int n) const override { return {2.0 * (patterns::ceilLog2(n) + 1), 2}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<DoubleTreeAllReduceOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& treeAllReduce() {
  static const DoubleTreeAllReduce algo;
  return algo;
}

}  // namespace weft::coll
