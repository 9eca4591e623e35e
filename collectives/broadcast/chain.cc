// SPDX-License-Identifier: Apache-2.0
// Pipelined chain broadcast: root -> root+1 -> ... -> root-1 along the ring, chunk by chunk.
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"
#include "collectives/round_op.h"

namespace weft::coll {
namespace {

// The root sends each chunk of its buffer (and copies it to its own recv buffer when out of
// place); inner ranks keep a copy while forwarding; the last rank of the chain only receives.
// With every link busy at once, the time is about (size - 2 + rounds) chunk transfers.
class ChainBroadcastOp final : public RoundOp {
 public:
  ChainBroadcastOp(const Context& ctx, const CollArgs& a)
      : RoundOp(ctx, chainEnds(ctx, a.root), a.dtype, ReduceOp::Sum),
        args_(a), position_(patterns::mod(ctx.rank - a.root, ctx.size)), size_(ctx.size),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    // Outputs are never read back: the root's own copy comes from its send buffer.
    prims_.setOutput(a.count * elem_, false);
    schedule(chunking_.rounds, 1);
  }

 private:
  Step stepAt(size_t round, int) const override {
    Step s;
    s.prim = position_ == 0 ? Prim::Send : position_ == size_ - 1 ? Prim::Recv : Prim::RecvCopySend;
    s.count = chunking_.length(round, args_.count);
    const size_t off = chunking_.offset(round) * elem_;
    // The send buffer matters on the root only and may be null elsewhere.
    s.src = position_ == 0 ? static_cast<const std::byte*>(args_.send) + off : nullptr;
    s.dst = static_cast<std::byte*>(args_.recv) + off;
    s.copyLocal = position_ == 0 && args_.send != args_.recv;
    return s;
  }

  const CollArgs& args_;
  const int position_;  // distance from the root along the ring
  const int size_;
  const patterns::Chunking chunking_;
  const size_t elem_;
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
