// SPDX-License-Identifier: Apache-2.0
// Linear scatter and gather: the root exchanges one block with every other rank, all at once.
#include <cstring>
#include <vector>

#include "collectives/operation.h"
#include "collectives/registry.h"
#include "collectives/transfer.h"

namespace weft::coll {
namespace {

// Scatter: the root Sends block j to rank j; others Recv their block. Gather is the mirror.
// The root drives its size-1 transfers round-robin so that a slow rank does not hold up the rest.
class LinearOp final : public Operation {
 public:
  LinearOp(const Context& ctx, const CollArgs& a)
      : prims_(ctx, nullptr, nullptr, a.dtype, a.op) {
    const bool scatter = a.kind == CollKind::Scatter;
    const size_t block = a.count * prims_.elementSize();
    if (ctx.rank != a.root) {
      auto* ep = &ctx.link(a.root);
      transfers_.push_back(scatter ? Transfer{Prim::Recv, ep, nullptr, static_cast<std::byte*>(a.recv), a.count, 0}
                                   : Transfer{Prim::Send, ep, static_cast<const std::byte*>(a.send), nullptr, a.count, 0});
      return;
    }
    // The root's own block; in place (NCCL: recvbuff == sendbuff + root*count for scatter, the
    // mirror for gather) it is already there.
    const auto* ownSrc = scatter ? static_cast<const std::byte*>(a.send) + size_t(a.root) * block
                                 : static_cast<const std::byte*>(a.send);
    auto* ownDst = scatter ? static_cast<std::byte*>(a.recv) : static_cast<std::byte*>(a.recv) + size_t(a.root) * block;
    own_ = {ownDst, ownSrc, block};
    transfers_.reserve(size_t(ctx.size - 1));
    for (int j = 0; j < ctx.size; ++j) {
      if (j == a.root) continue;
      if (scatter) {
        transfers_.push_back(Transfer{Prim::Send, &ctx.link(j), static_cast<const std::byte*>(a.send) + size_t(j) * block, nullptr, a.count, 0});
      } else {
        transfers_.push_back(Transfer{Prim::Recv, &ctx.link(j), nullptr, static_cast<std::byte*>(a.recv) + size_t(j) * block, a.count, 0});
      }
    }
  }

  Progress advance() override {
    bool advanced = own_.run(), all = true;
    for (Transfer& t : transfers_) {
      advanced |= t.advance(prims_);
      all = all && t.finished();
    }
    if (all) return Progress::Done;
    return advanced ? Progress::Advanced : Progress::Blocked;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override { return prims_.waitingFor(); }

 private:
  Primitives prims_;
  std::vector<Transfer> transfers_;  // one per peer on the root, one on the others
  FirstCopy own_;                    // the root's own block, unless in place
};

template <CollKind K>
class Linear final : public Algorithm {
 public:
  std::string_view name() const override { return "linear"; }
  CollKind kind() const override { return K; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(n - 1), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<LinearOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& linearScatter() {
  static const Linear<CollKind::Scatter> algo;
  return algo;
}

const Algorithm& linearGather() {
  static const Linear<CollKind::Gather> algo;
  return algo;
}

}  // namespace weft::coll
