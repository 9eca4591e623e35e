// SPDX-License-Identifier: Apache-2.0
// Binomial-tree scatter and gather: ceil(log2(size)) hops between the root and the farthest rank
// instead of the root's size-1 transfers; inner ranks forward their subtrees' blocks.
#include <array>
#include <cstring>
#include <vector>

#include "collectives/operation.h"
#include "collectives/patterns/tree.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// The blocks of a subtree (virtual ranks c .. c+blocks-1) as one message. In the root's buffer
// they are the blocks of ranks real(c) onwards, wrapping past the last block to block 0; in an
// inner rank's scratch they lie in virtual order. Both ends cut chunks at the wrap point of the
// root's layout, so sender and receiver cut the same chunks whatever their layouts.
struct Stream {
  Prim prim = Prim::Send;  // Send or Recv
  transport::Endpoint* peer = nullptr;
  std::byte* first = nullptr;   // elements before the cut
  std::byte* second = nullptr;  // elements after it
  size_t cut = 0, total = 0, done = 0;

  bool finished() const { return done == total; }
  // Moves chunks while slots allow, never past element `limit`; whether any moved.
  bool advance(Primitives& prims, size_t limit) {
    const size_t elem = prims.elementSize(), chunk = prims.maxChunkElements();
    bool moved = false;
    while (done < total) {
      const bool after = done >= cut;
      const size_t len = std::min(chunk, (after ? total : cut) - done);
      if (done + len > limit) break;
      std::byte* p = after ? second + (done - cut) * elem : first + done * elem;
      if (!prims.tryStepWith(prim, peer, peer, p, p, len)) break;
      done += len;
      moved = true;
    }
    return moved;
  }
};

class TreeOp final : public Operation {
 public:
  static constexpr int kMaxChildren = 31;  // log2 of the largest int rank count

  TreeOp(const Context& ctx, const CollArgs& a)
      : args_(a), scatter_(a.kind == CollKind::Scatter), tree_{ctx.size, a.root}, v_(tree_.virtualRank(ctx.rank)),
        prims_(ctx, nullptr, nullptr, a.dtype, a.op), elem_(prims_.elementSize()),
        block_(a.count * elem_) {
    auto* send = const_cast<std::byte*>(static_cast<const std::byte*>(a.send));  // only read from
    auto* recv = static_cast<std::byte*>(a.recv);
    // The subtree's blocks pass through here in virtual order: the input or output of a leaf
    // (one block), the user's buffer on the root, and otherwise the one per-call buffer, since
    // a non-root rank's buffers hold its own block only.
    std::byte* mine = v_ == 0 ? nullptr : scatter_ ? recv : send;
    if (v_ != 0 && tree_.childCount(v_) > 0) {
      scratch_.resize(subtree(v_) * block_);
      mine = scratch_.data();
      if (!scatter_) own_ = {mine, send, block_};
    }
    if (v_ == 0 && block_ > 0) {  // the root's own block, unless in place
      const std::byte* from = scatter_ ? send + size_t(a.root) * block_ : send;
      std::byte* to = scatter_ ? recv : recv + size_t(a.root) * block_;
      own_ = {to, from, block_};
    }
    if (v_ != 0) {
      up_ = stream(scatter_ ? Prim::Recv : Prim::Send, &ctx.link(tree_.realRank(tree_.parent(v_))), v_, mine, false);
    }
    // Children in increasing virtual order, which is the order of their blocks here.
    std::array<int, kMaxChildren> kids{};
    int n = 0;
    tree_.forEachChild(v_, [&](int c) { kids[size_t(n++)] = c; });
    for (int i = n - 1; i >= 0; --i) {
      const int c = kids[size_t(i)];
      std::byte* at = v_ == 0 ? (scatter_ ? send : recv) : mine + size_t(c - v_) * block_;
      offsets_[size_t(nChildren_)] = size_t(c - v_) * a.count;
      down_[size_t(nChildren_++)] =
          stream(scatter_ ? Prim::Send : Prim::Recv, &ctx.link(tree_.realRank(c)), c, at, v_ == 0);
    }
  }

  Progress advance() override {
    bool advanced = own_.run(), all = true;
    if (scatter_ && v_ != 0) advanced |= up_.advance(prims_, up_.total);
    size_t prefix = v_ == 0 ? 0 : args_.count;  // gather: the own block leads what goes up
    bool contiguous = true;
    for (int i = 0; i < nChildren_; ++i) {
      Stream& s = down_[size_t(i)];
      // Scatter forwards what has arrived from the parent: from the child's offset on.
      const size_t off = offsets_[size_t(i)];
      const size_t have = v_ == 0 || !scatter_ ? s.total : up_.done > off ? up_.done - off : 0;
      advanced |= s.advance(prims_, have);
      all = all && s.finished();
      if (contiguous) prefix += s.done;
      contiguous = contiguous && s.finished();
    }
    if (!scatter_ && v_ != 0) advanced |= up_.advance(prims_, prefix);
    all = all && (v_ == 0 || up_.finished());
    if (!all) return advanced ? Progress::Advanced : Progress::Blocked;
    // An inner rank's own block arrived in its scratch.
    if (scatter_ && !scratch_.empty() && block_ > 0) std::memcpy(args_.recv, scratch_.data(), block_);
    return Progress::Done;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override { return prims_.waitingFor(); }

 private:
  size_t subtree(int v) const { return size_t(std::min(tree_.span(v), tree_.size - v)); }

  // The message of subtree c, at `at`: the root's whole buffer in rank order (rootLayout) or the
  // subtree's own blocks in virtual order.
  Stream stream(Prim prim, transport::Endpoint* peer, int c, std::byte* at, bool rootLayout) const {
    const size_t blocks = subtree(c), start = size_t(tree_.realRank(c));
    const size_t before = std::min(blocks, size_t(tree_.size) - start);
    Stream s{prim, peer, at, at + before * block_, before * args_.count, blocks * args_.count, 0};
    if (rootLayout) {
      s.first = at + start * block_;
      s.second = at;
    }
    return s;
  }

  const CollArgs& args_;
  const bool scatter_;
  const patterns::BinomialTree tree_;
  const int v_;  // this rank's place in the tree (root = 0)
  Primitives prims_;
  const size_t elem_, block_;
  std::vector<std::byte> scratch_;
  FirstCopy own_;  // the root's own block, or an inner gathering rank's into its scratch
  Stream up_;
  std::array<Stream, kMaxChildren> down_{};
  std::array<size_t, kMaxChildren> offsets_{};  // of each child's blocks in this subtree, elements
  int nChildren_ = 0;
};

template <CollKind K>
class Tree final : public Algorithm {
 public:
  std::string_view name() const override { return "tree"; }
  CollKind kind() const override { return K; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<TreeOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& treeScatter() {
  static const Tree<CollKind::Scatter> algo;
  return algo;
}

const Algorithm& treeGather() {
  static const Tree<CollKind::Gather> algo;
  return algo;
}

}  // namespace weft::coll
