// SPDX-License-Identifier: Apache-2.0
// Pipelined chain broadcast: root -> root+1 -> ... -> root-1 along the ring, chunk by chunk.
#include <cstring>

#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// The root sends each chunk of its buffer (and copies it to its own recv buffer when out of
// place); inner ranks keep a copy while forwarding; the last rank of the chain only receives.
// With every link busy at once, the time is about (size - 2 + rounds) chunk transfers.
class ChainBroadcastOp final : public Operation {
 public:
  ChainBroadcastOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        position_(patterns::mod(ctx.rank - a.root, ctx.size)),
        size_(ctx.size),
        prims_(position_ == 0 ? nullptr : &ctx.link(patterns::ringPrev(ctx.rank, ctx.size)),
               position_ == ctx.size - 1 ? nullptr : &ctx.link(patterns::ringNext(ctx.rank, ctx.size)),
               a.dtype, ReduceOp::Sum, ctx.size, ctx.slotBytes()),
        chunking_(a.count, prims_.maxChunkElements()),
        elem_(prims_.elementSize()) {
    // Outputs are never read back: the root's own copy comes from its send buffer.
    prims_.setOutput(a.count * elem_, false);
  }

  Progress advance() override {
    const Prim prim = position_ == 0 ? Prim::Send : position_ == size_ - 1 ? Prim::Recv : Prim::RecvCopySend;
    bool advanced = false;
    while (round_ < chunking_.rounds) {
      const size_t len = chunking_.length(round_, args_.count);
      const size_t off = chunking_.offset(round_) * elem_;
      // The send buffer matters on the root only and may be null elsewhere.
      const auto* src = position_ == 0 ? static_cast<const std::byte*>(args_.send) + off : nullptr;
      auto* dst = static_cast<std::byte*>(args_.recv) + off;
      if (!prims_.tryStep(prim, src, dst, len)) return advanced ? Progress::Advanced : Progress::Blocked;
      if (prim == Prim::Send && args_.send != args_.recv) prims_.copyToOutput(dst, src, len);
      advanced = true;
      ++round_;
    }
    prims_.finish();
    return Progress::Done;
  }

  int blockedOn() const override { return prims_.blockedPeer(); }

  std::string waitingFor() const override {
    return prims_.waitingFor() + " (chunk " + std::to_string(round_ + 1) + " of " +
           std::to_string(chunking_.rounds) + ")";
  }

 private:
  const CollArgs& args_;
  const int position_;  // distance from the root along the ring
  const int size_;
  Primitives prims_;
  patterns::Chunking chunking_;
  const size_t elem_;
  size_t round_ = 0;
};

class ChainBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "chain"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<ChainBroadcastOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& chainBroadcast() {
  static const ChainBroadcast algo;
  return algo;
}

}  // namespace weft::coll
