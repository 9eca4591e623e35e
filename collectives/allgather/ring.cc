// SPDX-License-Identifier: Apache-2.0
// Ring all-gather: each rank's block travels once around the ring, copied out at every stop.
#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Per chunk round, rank r does
//   p = 0            Send its own block (and copies it to block r of the output, out of place)
//   p = 1 .. size-2  RecvCopySend block r-p
//   p = size-1       Recv block r+1
class RingAllGatherOp final : public Operation {
 public:
  RingAllGatherOp(const Context& ctx, const CollArgs& a)
      : args_(a), rank_(ctx.rank), size_(ctx.size),
        prims_(&ctx.link(patterns::ringPrev(ctx.rank, ctx.size)),
               &ctx.link(patterns::ringNext(ctx.rank, ctx.size)), a.dtype, a.op, ctx.size, ctx.slotBytes()),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    prims_.setOutput(a.count * elem_ * size_t(ctx.size), false);
  }

  Progress advance() override {
    bool advanced = false;
    while (round_ < chunking_.rounds) {
      const int block = patterns::mod(rank_ - step_, size_);
      const Prim prim = step_ == 0 ? Prim::Send : step_ < size_ - 1 ? Prim::RecvCopySend : Prim::Recv;
      const size_t len = chunking_.length(round_, args_.count);
      const size_t off = chunking_.offset(round_) * elem_;
      const auto* src = static_cast<const std::byte*>(args_.send) + off;
      auto* dst = static_cast<std::byte*>(args_.recv) + size_t(block) * args_.count * elem_ + off;
      if (!prims_.tryStep(prim, src, dst, len)) return advanced ? Progress::Advanced : Progress::Blocked;
      if (prim == Prim::Send && src != dst) prims_.copyToOutput(dst, src, len);
      advanced = true;
      if (++step_ == size_) {
        step_ = 0;
        ++round_;
      }
    }
    prims_.finish();
    return Progress::Done;
  }
  int blockedOn() const override { return prims_.blockedPeer(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (round " + std::to_string(round_ + 1) + ", step " + std::to_string(step_ + 1) + ")";
  }

 private:
  const CollArgs& args_;
  const int rank_, size_;
  Primitives prims_;
  patterns::Chunking chunking_;
  const size_t elem_;
  size_t round_ = 0;
  int step_ = 0;
};

class RingAllGather final : public Algorithm {
 public:
  std::string_view name() const override { return "ring"; }
  CollKind kind() const override { return CollKind::AllGather; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RingAllGatherOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& ringAllGather() {
  static const RingAllGather algo;
  return algo;
}

}  // namespace weft::coll
